/*
 * ETA accuracy, measured: replay delivered histories, cut after every
 * event before delivery, and ask the ETA at each cut (with `now` = the
 * latest event kept; the start of its day when it has no time). Reports, per set, carrier and ETA source, how often
 * the window contains the actual delivery and the mean absolute error (in
 * hours) of the window's midpoint, plus the mean window width.
 *
 * Histories:
 *  - pages: the .html files of tests/data/<carrier>/ for yamato, japanpost and sagawa
 *    whose .expect.json sidecar says delivered, parsed by the registered
 *    adapter (skipped when the adapter is not built in). The reference time
 *    for year inference is the expectation's "now" (the capture time).
 *  - the .json files of tests/data/eta/: {"histories":[{carrier, tracking_number,
 *    service?, origin_region?, destination_region?, events:[{time (RFC 3339,
 *    a date, or null), status, carrier_status, location?, region?}],
 *    carrier_eta?:[{after_event, earliest, latest}]}]}; the set is the file
 *    name. A history already loaded from a page is not counted twice.
 *
 * The model is run twice: with the built-in tables, and with lanes learned
 * from every other history (leave-one-out), reported as "model+learned".
 * A carrier-stated window in a page is the one shown at capture time, so
 * page replays use the model only; constructed histories say when their
 * carrier window appeared.
 *
 * A benchmark: it prints a table and exits 0 unless it cannot run at all.
 *
 * Usage: eta_eval [-v] [DATA_DIR]   (default $TSK_TEST_DATA, else tests/data);
 * -v prints every cut.
 */
#include "analyze.h"
#include "carriers.h"
#include "context.h"
#include "eta.h"
#include "model.h"
#include "timeutil.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

struct stated {
	long after_event;
	tsk_time earliest, latest;
};

struct item {
	tsk_shipment *s;          /* the whole delivered history */
	char set[32];
	struct stated *stated;
	size_t nstated;
};

struct corpus {
	struct item *items;
	size_t n, cap;
};

struct stat {
	char set[32], carrier[32], source[32];
	size_t n, hits;
	double abs_err, width;
};

struct table {
	struct stat rows[128];
	size_t n;
};

static void die(const char *what)
{
	fprintf(stderr, "eta_eval: %s\n", what);
	exit(2);
}

static struct item *corpus_add(struct corpus *c)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->items = realloc(c->items, c->cap * sizeof *c->items);
		if (!c->items)
			die("out of memory");
	}
	struct item *it = &c->items[c->n++];
	memset(it, 0, sizeof *it);
	return it;
}

static bool corpus_has(const struct corpus *c, const char *carrier, const char *number)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->items[i].s->carrier, carrier) == 0 && strcmp(c->items[i].s->number, number) == 0)
			return true;
	return false;
}

static char *read_all(const char *path, size_t *len)
{
	char *data = NULL;
	if (tsk__read_file(path, 64u << 20, &data, len) != 0)
		return NULL;
	return data;
}

static size_t arr_len(yajl_val v)
{
	return v && YAJL_IS_ARRAY(v) ? v->u.array.len : 0;
}

static yajl_val arr_at(yajl_val v, size_t i)
{
	return i < arr_len(v) ? v->u.array.values[i] : NULL;
}

static const char *jstr(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
	return v ? YAJL_GET_STRING(v) : NULL;
}

/* ----------------------------------------------------------------- pages */

static bool sidecar_delivered(yajl_val doc)
{
	const char *st = jstr(doc, "status");
	if (st && strcmp(st, "delivered") == 0)
		return true;
	const char *path[] = { "parcels", NULL };
	yajl_val parcels = yajl_tree_get(doc, path, yajl_t_array);
	for (size_t i = 0; i < arr_len(parcels); i++) {
		const char *ps = jstr(arr_at(parcels, i), "status");
		if (ps && strcmp(ps, "delivered") == 0)
			return true;
	}
	return false;
}

static void load_pages(struct corpus *c, tsk_ctx *ctx, const char *data, const char *carrier)
{
	if (!tsk_ctx_carrier(ctx, carrier)) {
		printf("# %s: no adapter built in, its pages are skipped\n", carrier);
		return;
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/%s", data, carrier);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".html") != 0)
			continue;
		char path[8192], side[8192];
		if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path ||
		    snprintf(side, sizeof side, "%s/%.*s.expect.json", dir, (int)(l - 5), de->d_name) >= (int)sizeof side)
			continue;
		size_t slen, blen;
		char *sj = read_all(side, &slen);
		if (!sj)
			continue;
		yajl_val doc = yajl_tree_parse(sj, NULL, 0);
		bool delivered = doc && sidecar_delivered(doc);
		/* the reference time for year inference: the capture time the
		 * expectation names, as the page tests use it */
		tsk_time now;
		const char *at = doc ? jstr(doc, "now") : NULL;
		bool has_now = at && tsk_time_parse_rfc3339(&now, at) == TSK_OK;
		yajl_tree_free(doc);
		free(sj);
		if (!delivered)
			continue;
		char *body = read_all(path, &blen);
		if (!body)
			continue;
		if (!has_now) {
			printf("# %s: its expectation names no \"now\", skipped\n", de->d_name);
			free(body);
			continue;
		}
		tsk_ctx_set_now(ctx, &now);
		tsk_shipment_list *list = NULL;
		if (tsk_parse(&list, ctx, carrier, body, blen, NULL) == TSK_OK) {
			for (size_t i = 0; i < tsk_shipment_list_count(list); i++) {
				const tsk_shipment *s = tsk_shipment_list_at(list, i);
				if (s->status != TSK_STATUS_DELIVERED || s->nevents < 2 ||
				    corpus_has(c, s->carrier, s->number))
					continue;
				struct item *it = corpus_add(c);
				if (tsk_shipment_dup(&it->s, s) != TSK_OK)
					die("out of memory");
				snprintf(it->set, sizeof it->set, "%s", strncmp(de->d_name, "synthetic", 9) == 0
				                                              ? "synthetic pages"
				                                              : "pages");
			}
		} else {
			printf("# %s: %s\n", path, tsk_ctx_last_error(ctx));
		}
		tsk_shipment_list_free(list);
		free(body);
	}
	closedir(d);
	tsk_ctx_set_now(ctx, NULL);
}

/* ------------------------------------------------------------ JSON sets */

static bool parse_time(tsk_time *out, yajl_val v)
{
	if (!v || !YAJL_IS_STRING(v))
		return false;
	return tsk_time_parse_rfc3339(out, YAJL_GET_STRING(v)) == TSK_OK;
}

static void load_history(struct corpus *c, yajl_val h, const char *set)
{
	const char *carrier = jstr(h, "carrier"), *number = jstr(h, "tracking_number");
	if (!carrier || !number || corpus_has(c, carrier, number))
		return;
	tsk_shipment *s;
	if (tsk_shipment_new(&s, carrier, number) != TSK_OK)
		die("out of memory");
	tsk_shipment_set_text(s, TSK_SHIPMENT_SERVICE, jstr(h, "service"));
	tsk_shipment_set_text(s, TSK_SHIPMENT_ORIGIN_REGION, jstr(h, "origin_region"));
	tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, jstr(h, "destination_region"));
	const char *ep[] = { "events", NULL };
	yajl_val events = yajl_tree_get(h, ep, yajl_t_array);
	for (size_t i = 0; i < arr_len(events); i++) {
		yajl_val e = arr_at(events, i);
		tsk_event *ev;
		if (tsk_event_new(&ev) != TSK_OK)
			die("out of memory");
		const char *tp[] = { "time", NULL };
		tsk_time t;
		if (parse_time(&t, yajl_tree_get(e, tp, yajl_t_any)))
			tsk_event_set_time(ev, &t);
		tsk_status st = TSK_STATUS_UNKNOWN;
		if (jstr(e, "status"))
			tsk_status_from_string(&st, jstr(e, "status"));
		tsk_event_set_status(ev, st, TSK_EXC_NONE, 0);
		tsk_event_set_text(ev, TSK_EVENT_TIME_RAW, jstr(e, "time_raw"));
		tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, jstr(e, "carrier_status"));
		tsk_event_set_text(ev, TSK_EVENT_LOCATION, jstr(e, "location"));
		tsk_event_set_text(ev, TSK_EVENT_REGION, jstr(e, "region"));
		if (tsk_shipment_append_event(s, ev) != TSK_OK)
			die("out of memory");
	}
	tsk_time last = tsk_time_now();
	for (size_t i = 0; i < s->nevents; i++)
		if (tsk_time_is_set(&tsk__shipment_event(s, i)->time))
			last = tsk__shipment_event(s, i)->time;
	if (tsk__shipment_finalize(s, &last) != TSK_OK)
		die("out of memory");
	if (s->status != TSK_STATUS_DELIVERED) {
		fprintf(stderr, "eta_eval: %s %s in %s is not delivered; skipped\n", carrier, number, set);
		tsk_shipment_free(s);
		return;
	}
	struct item *it = corpus_add(c);
	it->s = s;
	snprintf(it->set, sizeof it->set, "%s", set);
	const char *cp[] = { "carrier_eta", NULL };
	yajl_val stated = yajl_tree_get(h, cp, yajl_t_array);
	for (size_t i = 0; i < arr_len(stated); i++) {
		yajl_val w = arr_at(stated, i);
		const char *ap[] = { "after_event", NULL }, *e1[] = { "earliest", NULL }, *e2[] = { "latest", NULL };
		yajl_val after = yajl_tree_get(w, ap, yajl_t_number);
		struct stated st;
		if (!after || !parse_time(&st.earliest, yajl_tree_get(w, e1, yajl_t_any)) ||
		    !parse_time(&st.latest, yajl_tree_get(w, e2, yajl_t_any)))
			continue;
		st.after_event = (long)YAJL_GET_INTEGER(after);
		it->stated = realloc(it->stated, (it->nstated + 1) * sizeof *it->stated);
		if (!it->stated)
			die("out of memory");
		it->stated[it->nstated++] = st;
	}
}

static void load_sets(struct corpus *c, const char *data)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/eta", data);
	DIR *d = opendir(dir);
	if (!d)
		return;
	/* a stable order: names sorted */
	char *names[64];
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(d)) && nn < 64) {
		size_t l = strlen(de->d_name);
		if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
			names[nn++] = tsk__strdup(de->d_name);
	}
	closedir(d);
	for (size_t i = 1; i < nn; i++)
		for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
			char *t = names[k];
			names[k] = names[k - 1];
			names[k - 1] = t;
		}
	for (size_t i = 0; i < nn; i++) {
		char path[8192], set[32];
		if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path ||
		    snprintf(set, sizeof set, "%.*s", (int)(strlen(names[i]) - 5), names[i]) >= (int)sizeof set) {
			free(names[i]);
			continue;
		}
		char *u = strchr(set, '_');
		if (u)
			*u = '\0'; /* transcribed_2009 -> transcribed */
		size_t len;
		char *text = read_all(path, &len);
		char err[256];
		yajl_val doc = text ? yajl_tree_parse(text, err, sizeof err) : NULL;
		if (!doc) {
			fprintf(stderr, "eta_eval: %s: %s\n", path, text ? err : "unreadable");
			free(text);
			free(names[i]);
			continue;
		}
		const char *hp[] = { "histories", NULL };
		yajl_val hs = yajl_tree_get(doc, hp, yajl_t_array);
		for (size_t k = 0; k < arr_len(hs); k++)
			load_history(c, arr_at(hs, k), set);
		yajl_tree_free(doc);
		free(text);
		free(names[i]);
	}
}

/* ---------------------------------------------------------------- replay */

static struct stat *row(struct table *t, const char *set, const char *carrier, const char *source)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].set, set) && !strcmp(t->rows[i].carrier, carrier) &&
		    !strcmp(t->rows[i].source, source))
			return &t->rows[i];
	if (t->n == sizeof t->rows / sizeof t->rows[0])
		die("too many rows");
	struct stat *r = &t->rows[t->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->set, sizeof r->set, "%s", set);
	snprintf(r->carrier, sizeof r->carrier, "%s", carrier);
	snprintf(r->source, sizeof r->source, "%s", source);
	return r;
}

static bool verbose;

static void record(struct table *t, const char *set, const char *carrier, const char *source, bool hit,
                   double err_h, double width_h)
{
	const char *sets[2] = { set, "all" };
	for (int i = 0; i < 2; i++) {
		struct stat *r = row(t, sets[i], carrier, source);
		r->n++;
		r->hits += hit;
		r->abs_err += err_h;
		r->width += width_h;
	}
}

/* Cut the history after every event before the first delivery. */
static void replay(struct table *t, const tsk_ctx *ctx, const struct item *it, const struct tsk__eta_model *model,
                   bool learned_run)
{
	const tsk_shipment *full = it->s;
	long first_delivered = -1;
	for (size_t i = 0; i < full->nevents && first_delivered < 0; i++)
		if (tsk__shipment_event(full, i)->status == TSK_STATUS_DELIVERED)
			first_delivered = (long)i;
	if (first_delivered <= 0 || !tsk_time_is_set(&full->delivered_at))
		return;
	/* the actual delivery; 00:00 is a page artefact (a 配達完了 after a 13:29
	 * 配達中), so it counts as "that day" */
	int64_t day = tsk__jst_day(full->delivered_at.epoch);
	bool whole_day = full->delivered_at.precision == TSK_PRECISION_DAY ||
	                 full->delivered_at.epoch == tsk__jst_epoch(day, 0, 0);
	int64_t actual = whole_day ? tsk__jst_epoch(day, 12, 0) : full->delivered_at.epoch;
	int64_t day_start = tsk__jst_epoch(day, 0, 0), day_end = tsk__jst_epoch(day + 1, 0, 0);

	for (long k = 1; k <= first_delivered; k++) {
		tsk_shipment *cut;
		if (tsk_shipment_new(&cut, full->carrier, full->number) != TSK_OK)
			die("out of memory");
		for (int f = 0; f < TSK_SHIPMENT__FIELD_COUNT; f++)
			if (f == TSK_SHIPMENT_SERVICE || f == TSK_SHIPMENT_ORIGIN_REGION ||
			    f == TSK_SHIPMENT_DESTINATION_REGION)
				tsk_shipment_set_text(cut, (tsk_shipment_field)f, full->text[f]);
		bool dated = false;
		tsk_time now = TSK_TIME_NULL_INIT;
		int64_t last = 0;
		for (long i = 0; i < k; i++) {
			tsk_event *ev = tsk__event_dup(tsk__shipment_event(full, i));
			if (!ev)
				die("out of memory");
			ev->has_local = false; /* times as resolved on the whole page */
			if (tsk_time_is_set(&ev->time) && (!dated || tsk__event_instant(ev) > last)) {
				/* a dated-only event is known from the start of its day: its
				 * noon (the instant arithmetic uses) could be after a
				 * delivery that morning, and a window is never shown before
				 * now */
				last = tsk__event_instant(ev);
				now.epoch = ev->time.precision == TSK_PRECISION_DAY ? ev->time.epoch : last;
				now.offset = TSK_JST_OFFSET;
				now.precision = TSK_PRECISION_MINUTE;
				dated = true;
			}
			if (tsk_shipment_append_event(cut, ev) != TSK_OK)
				die("out of memory");
		}
		const struct stated *st = NULL;
		for (size_t i = 0; i < it->nstated; i++)
			if (it->stated[i].after_event < k)
				st = &it->stated[i];
		if (st)
			tsk_shipment_set_carrier_eta(cut, &st->earliest, &st->latest);
		if (dated && tsk__shipment_finalize(cut, &now) == TSK_OK &&
		    tsk__analyze(cut, NULL, &now, model, tsk__ctx_tables_adapter(ctx, cut->carrier)) == TSK_OK) {
			const tsk_eta *e = tsk_shipment_eta(cut);
			const char *source = !e                           ? "(no ETA)"
			                     : e->source == TSK_ETA_CARRIER ? "carrier"
			                     : learned_run                  ? "model+learned"
			                                                    : "model";
			if (learned_run && (!e || e->source != TSK_ETA_MODEL)) {
				/* the learned run only measures the model */
			} else if (!e) {
				record(t, it->set, full->carrier, source, false, 0, 0);
				if (verbose)
					printf("  %-14s %s %s cut %ld (%s)\n", source, full->carrier, full->number, k,
					       tsk_status_to_string(cut->status));
			} else {
				bool hit = whole_day ? e->earliest.epoch < day_end && e->latest.epoch >= day_start
				                     : e->earliest.epoch <= actual && actual <= e->latest.epoch;
				double mid = ((double)e->earliest.epoch + (double)e->latest.epoch) / 2.0;
				double err = (mid > (double)actual ? mid - (double)actual : (double)actual - mid) / 3600.0;
				record(t, it->set, full->carrier, source, hit, err,
				       (double)(e->latest.epoch - e->earliest.epoch) / 3600.0);
				if (verbose) {
					char a[48], b[48], d[48];
					tsk_time_format(a, sizeof a, &e->earliest);
					tsk_time_format(b, sizeof b, &e->latest);
					tsk_time_format(d, sizeof d, &full->delivered_at);
					printf("  %-14s %s %s cut %ld (%s): %.16s .. %.16s  conf %.2f  actual %.16s%s  %s\n",
					       source, full->carrier, full->number, k, tsk_status_to_string(cut->status), a, b,
					       e->confidence, d, whole_day ? " (day)" : "", hit ? "hit" : "MISS");
				}
			}
		}
		tsk_shipment_free(cut);
	}
}

static int cmp_rows(const void *a, const void *b)
{
	const struct stat *x = a, *y = b;
	bool xa = strcmp(x->set, "all") == 0, ya = strcmp(y->set, "all") == 0;
	int c = xa != ya ? (xa ? 1 : -1) : strcmp(x->set, y->set);
	if (c)
		return c;
	if ((c = strcmp(x->carrier, y->carrier)))
		return c;
	return strcmp(x->source, y->source);
}

int main(int argc, char **argv)
{
	int arg = 1;
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = true;
		arg++;
	}
	const char *data = argc > arg ? argv[arg] : getenv("TSK_TEST_DATA");
	if (!data)
		data = "tests/data";
	tsk_ctx *ctx;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		die("cannot create a context");

	struct corpus c = { NULL, 0, 0 };
	static const char *const carriers[] = { "yamato", "japanpost", "sagawa" };
	for (size_t i = 0; i < 3; i++)
		load_pages(&c, ctx, data, carriers[i]);
	load_sets(&c, data);
	if (!c.n) {
		printf("eta_eval: no delivered histories under %s\n", data);
		tsk_ctx_free(ctx);
		return 0;
	}

	struct table t;
	t.n = 0;
	for (size_t i = 0; i < c.n; i++)
		replay(&t, ctx, &c.items[i], NULL, false);

	/* leave-one-out: learn from every other history, replay this one */
	size_t in_use = 0;
	for (size_t i = 0; i < c.n; i++) {
		tsk_shipment_list *others;
		if (tsk_shipment_list_new(&others) != TSK_OK)
			die("out of memory");
		for (size_t k = 0; k < c.n; k++) {
			tsk_shipment *d;
			if (k == i)
				continue;
			if (tsk_shipment_dup(&d, c.items[k].s) != TSK_OK || tsk_shipment_list_append(others, d) != TSK_OK)
				die("out of memory");
		}
		tsk_ctx_forget_transit(ctx);
		if (tsk_ctx_learn_transit(ctx, others) != TSK_OK)
			die(tsk_ctx_last_error(ctx));
		for (size_t k = 0; k < tsk_ctx_transit_lane_count(ctx); k++) {
			tsk_transit_lane lane;
			if (tsk_ctx_transit_lane_at(ctx, k, &lane) == TSK_OK && lane.in_use)
				in_use++;
		}
		replay(&t, ctx, &c.items[i], tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT), true);
		tsk_shipment_list_free(others);
	}

	size_t per_set[8] = { 0 };
	const char *set_names[8] = { NULL };
	size_t nsets = 0;
	for (size_t i = 0; i < c.n; i++) {
		size_t k = 0;
		while (k < nsets && strcmp(set_names[k], c.items[i].set) != 0)
			k++;
		if (k == nsets && nsets < 8)
			set_names[nsets++] = c.items[i].set;
		if (k < 8)
			per_set[k]++;
	}
	printf("ETA accuracy: %zu delivered histories (", c.n);
	for (size_t k = 0; k < nsets; k++)
		printf("%s%s %zu", k ? ", " : "", set_names[k], per_set[k]);
	printf("), cut after every event before delivery\n");
	printf("hit = the window contains the actual delivery; MAE = |window midpoint - delivery|;\n"
	       "model+learned = lanes learned from the other histories (%.1f lanes in use per run)\n\n",
	       (double)in_use / (double)c.n);

	qsort(t.rows, t.n, sizeof t.rows[0], cmp_rows);
	printf("%-16s %-10s %-14s %6s %8s %9s %10s\n", "set", "carrier", "source", "cuts", "hit %", "MAE (h)",
	       "width (h)");
	for (size_t i = 0; i < t.n; i++) {
		const struct stat *r = &t.rows[i];
		if (strcmp(r->source, "(no ETA)") == 0) {
			printf("%-16s %-10s %-14s %6zu %8s %9s %10s\n", r->set, r->carrier, r->source, r->n, "-", "-", "-");
			continue;
		}
		printf("%-16s %-10s %-14s %6zu %7.1f%% %9.1f %10.1f\n", r->set, r->carrier, r->source, r->n,
		       100.0 * (double)r->hits / (double)r->n, r->abs_err / (double)r->n, r->width / (double)r->n);
	}

	for (size_t i = 0; i < c.n; i++) {
		tsk_shipment_free(c.items[i].s);
		free(c.items[i].stated);
	}
	free(c.items);
	tsk_ctx_free(ctx);
	return 0;
}
