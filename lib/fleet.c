/*
 * The fleet (include/tsuiseki/fleet.h): many shipments over time on a
 * store (lib/store.h), the schedule, and the notifications (lib/notify.c).
 *
 * Invariants:
 *  - a shipment is active exactly when it has a next poll; it is asked
 *    only once that time has come (due() is the store's index look-up),
 *    never more often than the minimum interval;
 *  - a poll result is written with the notifications it produced in one
 *    store transaction (save), so a crash loses or repeats nothing; a
 *    notification that was written before (same id) is not written again;
 *  - a failed query never replaces a good snapshot: the last good state is
 *    kept, carrying the error, and asked again later;
 *  - "auto" is asked of every candidate carrier until one knows the
 *    number; the first answer that knows it pins the carrier;
 *  - retired and given-up shipments are never asked again and never
 *    notify again;
 *  - the blocking run (tsk_track_batch) and the event-loop submit
 *    (tsk_query_submit) hand their answers to the same apply(), so both
 *    write the same thing;
 *  - the fleet holds at most one round of records in memory, never the
 *    whole fleet.
 */
#include "context.h"
#include "model.h"
#include "notify.h"
#include "store.h"
#ifdef TSK_HAVE_POSTGRESQL
#include "share_pg.h"
#include "store_pg.h"
#endif
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every store this build has; a PostgreSQL store is one more line. */
static const tsk__store_ops *const stores[] = {
	&tsk__store_sqlite, &tsk__store_memory,
#ifdef TSK_HAVE_POSTGRESQL
	&tsk__store_postgresql, &tsk__store_postgres,
#endif
};

#ifdef TSK_HAVE_POSTGRESQL
/* The PostgreSQL store reports a lost connection (and its return) here. */
static void store_log(void *data, int level, const char *message)
{
	tsk__ctx_log(data, level, "%s", message);
}
#endif

/* not-found re-probes: 30 min, doubling, at most 12 h apart */
#define PROBE_FIRST_S (30 * 60)
#define PROBE_MAX_S (12 * 3600)

struct submission;

struct tsk_fleet {
	tsk_ctx *ctx;
	tsk__store *store;
#ifdef TSK_HAVE_POSTGRESQL
	tsk__pg_share *share;            /* carrier politeness shared with the other pollers */
#endif
	tsk__templates *templates;
	long options[TSK_FLEET_OPT__COUNT];
	int wake[2];                     /* self-pipe of tsk_fleet_wakeup */
	volatile sig_atomic_t stop;
	tsk_fleet_result_cb result_cb;
	void *result_userdata;
	/* event-loop submissions in flight, and the ids they hold */
	struct submission *subs;
	int64_t *in_flight;              /* sorted */
	size_t nin_flight, in_flight_cap;
};

static const long option_defaults[TSK_FLEET_OPT__COUNT] = {
	[TSK_FLEET_OPT_GIVE_UP_S] = 14L * 86400,
	[TSK_FLEET_OPT_ROUND_SIZE] = 200,
	[TSK_FLEET_OPT_MIN_INTERVAL_S] = 60,
	[TSK_FLEET_OPT_MAX_INTERVAL_S] = 0,
};

static int fail(tsk_fleet *f, const tsk_error *err)
{
	return tsk__ctx_error(f->ctx, err->code, "%s", err->message);
}

TSK_API const char *tsk_fleet_state_to_string(tsk_fleet_state state)
{
	switch (state) {
	case TSK_FLEET_ACTIVE: return "active";
	case TSK_FLEET_RETIRED: return "retired";
	case TSK_FLEET_GAVE_UP: return "gave_up";
	}
	return "unknown";
}

/* ------------------------------------------------------------ open/close */

TSK_API int tsk_fleet_open(tsk_fleet **out, tsk_ctx *ctx, const char *store_url)
{
	if (!out || !ctx || !store_url)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_fleet_open: missing argument");
	*out = NULL;
	const char *colon = strchr(store_url, ':');
	size_t slen = colon ? (size_t)(colon - store_url) : 0;
	const tsk__store_ops *ops = NULL;
	for (size_t i = 0; colon && i < TSK__ARRAY_LEN(stores); i++)
		if (strlen(stores[i]->scheme) == slen && strncmp(stores[i]->scheme, store_url, slen) == 0)
			ops = stores[i];
	if (!ops) {
		if (colon && (strncmp(store_url, "postgresql:", 11) == 0 || strncmp(store_url, "postgres:", 9) == 0))
			return tsk__ctx_error(ctx, TSK_ECONFIG,
			                      "%.*s: this build of tsuiseki has no PostgreSQL store (use sqlite:PATH)",
			                      (int)slen, store_url);
		return tsk__ctx_error(ctx, TSK_EINVAL,
		                      "%s: not a fleet store (sqlite:PATH or memory:)", store_url);
	}
	tsk_fleet *f = calloc(1, sizeof *f);
	if (!f)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	f->ctx = ctx;
	f->wake[0] = f->wake[1] = -1;
	memcpy(f->options, option_defaults, sizeof f->options);
	tsk_error err;
	tsk_error_clear(&err);
	int rc = tsk__templates_new(&f->templates, &err);
	if (rc == TSK_OK) {
		const char *tpl = tsk__ctx_getenv(ctx, "TSUISEKI_TEMPLATES");
		if (tpl && *tpl)
			rc = tsk__templates_load(f->templates, tpl, &err);
	}
	if (rc == TSK_OK)
		rc = ops->open(&f->store, colon + 1, &err);
#ifdef TSK_HAVE_POSTGRESQL
	if (rc == TSK_OK && (ops == &tsk__store_postgresql || ops == &tsk__store_postgres)) {
		tsk__pg_set_log(f->store, store_log, ctx);
		/* every poller on this database keeps each carrier's limits and
		 * breaker together with the others (lib/share_pg.c) */
		if (tsk__pg_share_install(&f->share, ctx, f->store, tsk__pg_lease(f->store)) != TSK_OK)
			rc = tsk_error_set(&err, TSK_ENOMEM, "out of memory");
	}
#endif
	if (rc == TSK_OK && pipe(f->wake) != 0)
		rc = tsk_error_set(&err, TSK_EIO, "cannot create a pipe: %s", strerror(errno));
	if (rc != TSK_OK) {
		tsk__ctx_error(ctx, rc, "%s", err.message);
		tsk_fleet_free(f);
		return rc;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(f->wake[i], F_SETFD, FD_CLOEXEC);
		fcntl(f->wake[i], F_SETFL, O_NONBLOCK);
	}
	*out = f;
	return TSK_OK;
}

static void cancel_submissions(tsk_fleet *f);

TSK_API void tsk_fleet_free(tsk_fleet *f)
{
	if (!f)
		return;
	cancel_submissions(f);
#ifdef TSK_HAVE_POSTGRESQL
	tsk__pg_share_remove(f->share);
#endif
	if (f->store)
		f->store->ops->close(f->store);
	tsk__templates_free(f->templates);
	for (int i = 0; i < 2; i++)
		if (f->wake[i] >= 0)
			close(f->wake[i]);
	free(f->in_flight);
	free(f);
}

#ifdef TSK_HAVE_POSTGRESQL
unsigned long tsk__fleet_pg_round_trips(const tsk_fleet *f)
{
	return f->share ? tsk__pg_round_trips(f->store) : 0;
}
#endif

TSK_API int tsk_fleet_set_option(tsk_fleet *f, tsk_fleet_opt opt, long value)
{
	if (!f || (unsigned)opt >= TSK_FLEET_OPT__COUNT)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "unknown fleet option %d", (int)opt) : TSK_EINVAL;
	long min = opt == TSK_FLEET_OPT_ROUND_SIZE ? 1 : 0;
	if (value < min || (opt == TSK_FLEET_OPT_ROUND_SIZE && value > 100000))
		return tsk__ctx_error(f->ctx, TSK_EINVAL, "fleet option %d: %ld is out of range", (int)opt, value);
	f->options[opt] = value;
	return TSK_OK;
}

TSK_API long tsk_fleet_option(const tsk_fleet *f, tsk_fleet_opt opt)
{
	return f && (unsigned)opt < TSK_FLEET_OPT__COUNT ? f->options[opt] : -1;
}

TSK_API int tsk_fleet_load_templates(tsk_fleet *f, const char *path)
{
	if (!f || !path)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_load_templates: missing argument") : TSK_EINVAL;
	tsk_error err;
	tsk_error_clear(&err);
	return tsk__templates_load(f->templates, path, &err) == TSK_OK ? TSK_OK : fail(f, &err);
}

/* ------------------------------------------------------------- shipments */

static uint32_t exception_bits(const tsk_shipment *s);
static void end_rec(tsk__store_rec *rec, int state, int64_t now);

struct tsk_fleet_item {
	tsk__store_rec rec;
	tsk_time added, next;
	tsk_shipment *shipment;
};

struct tsk_fleet_item_list {
	tsk_fleet_item **items;
	size_t count, cap;
};

static int64_t now_epoch(const tsk_fleet *f)
{
	return tsk_ctx_now(f->ctx).epoch;
}

static tsk_time jst(int64_t epoch)
{
	tsk_time t = { epoch, TSK_JST_OFFSET, TSK_PRECISION_MINUTE };
	return t;
}

TSK_API int tsk_fleet_add(tsk_fleet *f, const char *number, const char *carrier, const char *reference,
                          const char *locale)
{
	if (!f || !number)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_add: missing argument") : TSK_EINVAL;
	if (!locale)
		locale = "ja";
	if (strcmp(locale, "ja") != 0 && strcmp(locale, "en") != 0)
		return tsk__ctx_error(f->ctx, TSK_EINVAL, "locale %s: the fleet speaks ja and en", locale);
	bool auto_mode = !carrier || strcmp(carrier, "auto") == 0;
	if (!auto_mode && !tsk_ctx_carrier(f->ctx, carrier))
		return tsk__ctx_error(f->ctx, TSK_ENOCARRIER, "no carrier named %s", carrier);
	tsk__store_rec rec;
	memset(&rec, 0, sizeof rec);
	int rc;
	if (auto_mode) {
		/* only numbers some carrier could own: the fleet would probe in vain */
		tsk_detection *d = NULL;
		rc = tsk_detect(&d, f->ctx, number);
		if (rc == TSK_OK && !(rec.number = tsk__strdup(tsk_detection_number(d))))
			rc = TSK_ENOMEM;
		tsk_detection_free(d);
		if (rc != TSK_OK)
			return rc == TSK_ENOMEM ? tsk__ctx_error(f->ctx, rc, "out of memory") : rc;
	} else {
		tsk_error err;
		tsk_error_clear(&err);
		if ((rc = tsk_number_normalize(&rec.number, number, &err)) != TSK_OK)
			return fail(f, &err);
	}
	rec.carrier = tsk__strdup(auto_mode ? "auto" : carrier);
	rec.reference = reference ? tsk__strdup(reference) : NULL;
	snprintf(rec.locale, sizeof rec.locale, "%s", locale);
	rec.state = TSK_FLEET_ACTIVE;
	rec.added_at = rec.next_poll = now_epoch(f);
	rec.ended_at = TSK__NEVER;
	rec.status = TSK_STATUS_UNKNOWN;
	if (!rec.carrier || (reference && !rec.reference)) {
		tsk__store_rec_dispose(&rec);
		return tsk__ctx_error(f->ctx, TSK_ENOMEM, "out of memory");
	}
	tsk_error err;
	tsk_error_clear(&err);
	rc = f->store->ops->add(f->store, &rec, &err);
	tsk__store_rec_dispose(&rec);
	return rc == TSK_OK ? TSK_OK : fail(f, &err);
}

TSK_API int tsk_fleet_import(tsk_fleet *f, const tsk_shipment *snap, const char *reference, const char *locale)
{
	if (!f || !snap)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_import: missing argument") : TSK_EINVAL;
	if (!locale)
		locale = "ja";
	if (strcmp(locale, "ja") != 0 && strcmp(locale, "en") != 0)
		return tsk__ctx_error(f->ctx, TSK_EINVAL, "locale %s: the fleet speaks ja and en", locale);
	int64_t now = now_epoch(f);
	tsk__store_rec rec;
	memset(&rec, 0, sizeof rec);
	rec.number = tsk__strdup(snap->number);
	rec.carrier = tsk__strdup(snap->carrier && tsk_ctx_carrier(f->ctx, snap->carrier) ? snap->carrier : "auto");
	rec.reference = reference ? tsk__strdup(reference) : NULL;
	snprintf(rec.locale, sizeof rec.locale, "%s", locale);
	rec.added_at = now;
	rec.status = snap->status;
	rec.exceptions = exception_bits(snap);
	size_t legs = tsk_shipment_leg_count(snap);
	bool oom = !rec.number || !rec.carrier || (reference && !rec.reference);
	if (legs > 1) {
		rec.leg_carrier = tsk__strdup(tsk_shipment_leg_carrier(snap, legs - 1));
		rec.leg_number = tsk__strdup(tsk_shipment_leg_number(snap, legs - 1));
		oom = oom || !rec.leg_carrier || !rec.leg_number;
	}
	if (snap->status == TSK_STATUS_DELIVERED || snap->status == TSK_STATUS_RETURNED_TO_SENDER) {
		end_rec(&rec, TSK_FLEET_RETIRED, now);
	} else if (snap->error == TSK_EINVALID_NUMBER) {
		end_rec(&rec, TSK_FLEET_GAVE_UP, now);
	} else {
		rec.state = TSK_FLEET_ACTIVE;
		rec.ended_at = TSK__NEVER;
		const tsk_time *np = tsk_shipment_next_poll(snap);
		rec.next_poll = np ? np->epoch : now;
		long max_wait = f->options[TSK_FLEET_OPT_MAX_INTERVAL_S];
		if (max_wait > 0 && rec.next_poll > now + max_wait)
			rec.next_poll = now + max_wait;
	}
	int rc = oom ? TSK_ENOMEM : tsk_shipment_to_json(&rec.snapshot, NULL, snap, TSK_JSON_SNAPSHOT);
	if (rc != TSK_OK) {
		tsk__store_rec_dispose(&rec);
		return tsk__ctx_error(f->ctx, rc, "%s", rc == TSK_ENOMEM ? "out of memory" : "the snapshot cannot be written");
	}
	tsk_error err;
	tsk_error_clear(&err);
	rc = f->store->ops->add(f->store, &rec, &err);
	tsk__store_rec_dispose(&rec);
	return rc == TSK_OK ? TSK_OK : fail(f, &err);
}

TSK_API int tsk_fleet_set_result_cb(tsk_fleet *f, tsk_fleet_result_cb cb, void *userdata)
{
	if (!f)
		return TSK_EINVAL;
	f->result_cb = cb;
	f->result_userdata = userdata;
	return TSK_OK;
}

/* The store's key: the normalized number (a typed number may have hyphens). */
static int store_key(tsk_fleet *f, const char *number, char **out)
{
	tsk_error err;
	tsk_error_clear(&err);
	if (tsk_number_normalize(out, number, &err) != TSK_OK)
		return fail(f, &err);
	return TSK_OK;
}

TSK_API int tsk_fleet_remove(tsk_fleet *f, const char *number)
{
	if (!f || !number)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_remove: missing argument") : TSK_EINVAL;
	char *key = NULL;
	int rc = store_key(f, number, &key);
	if (rc != TSK_OK)
		return rc;
	tsk_error err;
	tsk_error_clear(&err);
	rc = f->store->ops->remove(f->store, key, &err);
	free(key);
	return rc == TSK_OK ? TSK_OK : fail(f, &err);
}

static int item_from_rec(tsk_fleet_item **out, const tsk__store_rec *rec)
{
	tsk_fleet_item *it = calloc(1, sizeof *it);
	if (!it)
		return TSK_ENOMEM;
	if (tsk__store_rec_copy(&it->rec, rec) != TSK_OK) {
		free(it);
		return TSK_ENOMEM;
	}
	it->added = jst(rec->added_at);
	it->next = jst(rec->next_poll);
	if (rec->snapshot) {
		tsk_error err;
		int rc = tsk_shipment_from_json(&it->shipment, rec->snapshot, strlen(rec->snapshot), &err);
		if (rc == TSK_ENOMEM) {
			tsk_fleet_item_free(it);
			return rc;
		}
	}
	*out = it;
	return TSK_OK;
}

TSK_API int tsk_fleet_get(tsk_fleet_item **out, tsk_fleet *f, const char *number)
{
	if (!out || !f || !number)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_get: missing argument") : TSK_EINVAL;
	*out = NULL;
	char *key = NULL;
	int rc = store_key(f, number, &key);
	if (rc != TSK_OK)
		return rc;
	tsk__store_rec rec;
	tsk_error err;
	tsk_error_clear(&err);
	rc = f->store->ops->get(f->store, key, &rec, &err);
	free(key);
	if (rc != TSK_OK)
		return fail(f, &err);
	rc = item_from_rec(out, &rec);
	tsk__store_rec_dispose(&rec);
	return rc == TSK_OK ? TSK_OK : tsk__ctx_error(f->ctx, rc, "out of memory");
}

struct list_state {
	tsk_fleet_item_list *l;
	int rc;
};

static int list_one(const tsk__store_rec *rec, void *userdata)
{
	struct list_state *ls = userdata;
	tsk_fleet_item *it = NULL;
	if (!TSK__GROW(ls->l->items, ls->l->cap, ls->l->count + 1) || item_from_rec(&it, rec) != TSK_OK) {
		ls->rc = TSK_ENOMEM;
		return 1;
	}
	ls->l->items[ls->l->count++] = it;
	return 0;
}

TSK_API int tsk_fleet_list(tsk_fleet_item_list **out, tsk_fleet *f, const tsk_fleet_filter *filter)
{
	if (!out || !f)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_list: missing argument") : TSK_EINVAL;
	*out = NULL;
	if (filter && (filter->version == 0 || filter->version > TSK_FLEET_FILTER_VERSION))
		return tsk__ctx_error(f->ctx, TSK_EVERSION, "tsk_fleet_filter version %u", filter->version);
	if (filter && ((unsigned)filter->exception >= TSK_EXC__COUNT || filter->status >= TSK_STATUS__COUNT))
		return tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_list: filter out of range");
	struct list_state ls = { calloc(1, sizeof *ls.l), TSK_OK };
	if (!ls.l)
		return tsk__ctx_error(f->ctx, TSK_ENOMEM, "out of memory");
	tsk_error err;
	tsk_error_clear(&err);
	int rc = f->store->ops->list(f->store, filter, list_one, &ls, &err);
	if (rc == TSK_OK && ls.rc != TSK_OK)
		rc = tsk_error_set(&err, ls.rc, "out of memory");
	if (rc != TSK_OK) {
		tsk_fleet_item_list_free(ls.l);
		return fail(f, &err);
	}
	*out = ls.l;
	return TSK_OK;
}

TSK_API size_t tsk_fleet_item_list_count(const tsk_fleet_item_list *l) { return l ? l->count : 0; }
TSK_API const tsk_fleet_item *tsk_fleet_item_list_at(const tsk_fleet_item_list *l, size_t i)
{
	return l && i < l->count ? l->items[i] : NULL;
}
TSK_API void tsk_fleet_item_list_free(tsk_fleet_item_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		tsk_fleet_item_free(l->items[i]);
	free(l->items);
	free(l);
}
TSK_API void tsk_fleet_item_free(tsk_fleet_item *it)
{
	if (!it)
		return;
	tsk__store_rec_dispose(&it->rec);
	tsk_shipment_free(it->shipment);
	free(it);
}
TSK_API const char *tsk_fleet_item_number(const tsk_fleet_item *it) { return it ? it->rec.number : NULL; }
TSK_API const char *tsk_fleet_item_carrier(const tsk_fleet_item *it) { return it ? it->rec.carrier : NULL; }
TSK_API const char *tsk_fleet_item_reference(const tsk_fleet_item *it) { return it ? it->rec.reference : NULL; }
TSK_API const char *tsk_fleet_item_locale(const tsk_fleet_item *it) { return it ? it->rec.locale : NULL; }
TSK_API tsk_fleet_state tsk_fleet_item_state(const tsk_fleet_item *it)
{
	return it ? (tsk_fleet_state)it->rec.state : TSK_FLEET_ACTIVE;
}
TSK_API tsk_status tsk_fleet_item_status(const tsk_fleet_item *it)
{
	return it ? (tsk_status)it->rec.status : TSK_STATUS_UNKNOWN;
}
TSK_API const tsk_time *tsk_fleet_item_next_poll(const tsk_fleet_item *it)
{
	return it && it->rec.next_poll != TSK__NEVER ? &it->next : NULL;
}
TSK_API const tsk_time *tsk_fleet_item_added_at(const tsk_fleet_item *it) { return it ? &it->added : NULL; }
TSK_API const tsk_shipment *tsk_fleet_item_shipment(const tsk_fleet_item *it) { return it ? it->shipment : NULL; }

/* ---------------------------------------------------------- poll results */

static uint32_t exception_bits(const tsk_shipment *s)
{
	uint32_t bits = 0;
	for (size_t i = 0; s && i < s->nexceptions; i++)
		if ((unsigned)s->exceptions[i].code < 32)
			bits |= 1u << s->exceptions[i].code;
	return bits;
}

static bool has_history(const tsk_shipment *s)
{
	return s && s->nevents > 0;
}

static void end_rec(tsk__store_rec *rec, int state, int64_t now)
{
	rec->state = state;
	rec->next_poll = TSK__NEVER;
	rec->ended_at = now;
}

/*
 * Apply one answer to its record: the new snapshot (or the last good one
 * with the error), the schedule, at most one notification; written in one
 * store transaction. fresh is the answer for rec's number.
 */
static int apply(tsk_fleet *f, tsk__store_rec *rec, const tsk_shipment *fresh, tsk_fleet_run_stats *stats)
{
	int64_t now = now_epoch(f);
	int64_t min_next = now + f->options[TSK_FLEET_OPT_MIN_INTERVAL_S];
	tsk_shipment *old = NULL;
	if (rec->snapshot) {
		tsk_error perr;
		if (tsk_shipment_from_json(&old, rec->snapshot, strlen(rec->snapshot), &perr) == TSK_ENOMEM)
			return tsk__ctx_error(f->ctx, TSK_ENOMEM, "out of memory");
	}
	tsk_shipment *keep = NULL;     /* the snapshot to store */
	tsk_shipment *merged = NULL;   /* after a hand-off: the whole timeline */
	tsk__store_note note;
	memset(&note, 0, sizeof note);
	bool have_note = false;
	int rc = TSK_OK;
	int err = fresh->error;
	bool failed = false;

	if (rec->leg_carrier && old) {
		/* the next leg's answer folds into the one timeline */
		rc = tsk_shipment_merge_leg(&merged, old, fresh);
		if (rc != TSK_OK)
			goto done;
		fresh = merged;
		if (err == TSK_ENOTFOUND)
			err = TSK_OK; /* the next leg does not know it yet: the first leg's state stands */
	}

	if (err == TSK_OK) {
		if (strcmp(rec->carrier, fresh->carrier) != 0 && strcmp(rec->carrier, "auto") == 0) {
			char *c = tsk__strdup(fresh->carrier); /* pinned from now on */
			if (!c) {
				rc = TSK_ENOMEM;
				goto done;
			}
			free(rec->carrier);
			rec->carrier = c;
		}
		tsk__notice n;
		if (tsk__notify_decide(&n, old, fresh)) {
			rc = tsk__notify_render(&note, f->templates, &n, fresh, tsk_ctx_carrier(f->ctx, fresh->carrier),
			                        rec->reference, rec->locale);
			if (rc != TSK_OK)
				goto done;
			have_note = true;
		}
		rc = tsk_shipment_dup(&keep, fresh);
		rec->probes = 0;
		const tsk_adapter *next_leg = fresh->handoff_carrier && fresh->handoff_number
		                                      ? tsk_ctx_carrier(f->ctx, fresh->handoff_carrier) : NULL;
		if (fresh->status == TSK_STATUS_DELIVERED || fresh->status == TSK_STATUS_RETURNED_TO_SENDER) {
			end_rec(rec, TSK_FLEET_RETIRED, now);
		} else if (!rec->leg_carrier && next_leg) {
			/* handed over: from now on the next carrier is asked, at once */
			if (tsk__strset(&rec->leg_carrier, next_leg->name) != 0 ||
			    tsk__strset(&rec->leg_number, fresh->handoff_number) != 0) {
				rc = TSK_ENOMEM;
				goto done;
			}
			rec->next_poll = now;
		} else {
			const tsk_time *np = tsk_shipment_next_poll(fresh);
			rec->next_poll = np && np->epoch > min_next ? np->epoch : min_next;
		}
	} else if (err == TSK_ENOTFOUND && !has_history(old)) {
		/* nobody knows it yet: ask again later, less and less often */
		rc = tsk_shipment_dup(&keep, fresh);
		rec->probes++;
		if (now - rec->added_at >= f->options[TSK_FLEET_OPT_GIVE_UP_S]) {
			end_rec(rec, TSK_FLEET_GAVE_UP, now);
			if (rc == TSK_OK) {
				char msg[200];
				snprintf(msg, sizeof msg, "gave up: no carrier knew %s within %ld days (%d tries)",
				         rec->number, f->options[TSK_FLEET_OPT_GIVE_UP_S] / 86400, rec->probes);
				rc = tsk_shipment_set_error(keep, TSK_ENOTFOUND, msg);
			}
		} else {
			int64_t wait = PROBE_FIRST_S;
			for (int i = 1; i < rec->probes && wait < PROBE_MAX_S; i++)
				wait *= 2;
			if (wait > PROBE_MAX_S)
				wait = PROBE_MAX_S;
			rec->next_poll = now + wait > min_next ? now + wait : min_next;
		}
	} else if (err == TSK_EINVALID_NUMBER) {
		rc = tsk_shipment_dup(&keep, fresh);
		end_rec(rec, TSK_FLEET_GAVE_UP, now);
	} else {
		/* the query failed: keep the last good state, carrying the error */
		failed = true;
		rc = tsk_shipment_dup(&keep, merged ? merged : old ? old : fresh);
		if (rc == TSK_OK && old && !merged)
			rc = tsk_shipment_set_error(keep, err, fresh->error_message ? fresh->error_message : tsk_strerror(err));
		const tsk_time *np = tsk_shipment_next_poll(fresh);
		rec->next_poll = np && np->epoch > min_next ? np->epoch : min_next;
	}
	if (rc != TSK_OK)
		goto done;
	long max_wait = f->options[TSK_FLEET_OPT_MAX_INTERVAL_S];
	if (max_wait > 0 && rec->next_poll != TSK__NEVER && rec->next_poll > now + max_wait)
		rec->next_poll = now + max_wait;
	if (keep) {
		free(rec->snapshot);
		rec->snapshot = NULL;
		rc = tsk_shipment_to_json(&rec->snapshot, NULL, keep, TSK_JSON_SNAPSHOT);
		if (rc != TSK_OK)
			goto done;
		rec->status = keep->status;
		rec->exceptions = exception_bits(keep);
	}
	size_t written = 0;
	tsk_error serr;
	tsk_error_clear(&serr);
	rc = f->store->ops->save(f->store, rec, have_note ? &note : NULL, have_note ? 1 : 0, now, &written, &serr);
	if (rc == TSK_ENOTFOUND)
		rc = TSK_OK; /* removed while it was being asked: nothing to write */
	else if (rc != TSK_OK)
		tsk__ctx_error(f->ctx, rc, "%s", serr.message);
	if (rc == TSK_OK && f->result_cb)
		f->result_cb(old, keep, f->result_userdata);
	if (rc == TSK_OK && stats) {
		stats->polled++;
		stats->failed += failed;
		stats->notifications += written;
		stats->retired += rec->state != TSK_FLEET_ACTIVE;
	}
done:
	if (rc == TSK_ENOMEM)
		tsk__ctx_error(f->ctx, rc, "out of memory");
	free(note.json);
	tsk_shipment_free(keep);
	tsk_shipment_free(merged);
	tsk_shipment_free(old);
	return rc;
}

/* What a record's next poll asks: the leg followed after a hand-off, else its own. */
static const char *target_carrier(const tsk__store_rec *r)
{
	return r->leg_carrier ? r->leg_carrier : r->carrier;
}

static const char *target_number(const tsk__store_rec *r)
{
	return r->leg_number ? r->leg_number : r->number;
}

/* The numbers of a group of records and their previous snapshots. */
struct group {
	const char *carrier;        /* borrowed from the first record; "auto" asks every candidate */
	size_t *idx;                /* indexes into the round's records */
	size_t n;
	const char **numbers;
	tsk_shipment_list *previous;
};

static void groups_free(struct group *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++) {
		free(g[i].idx);
		free(g[i].numbers);
		tsk_shipment_list_free(g[i].previous);
	}
	free(g);
}

/* Split records into one group per carrier ("auto" is one group). */
static int make_groups(struct group **out, size_t *nout, tsk__store_rec *recs, size_t nrecs)
{
	struct group *g = calloc(nrecs ? nrecs : 1, sizeof *g);
	size_t ng = 0;
	if (!g)
		return TSK_ENOMEM;
	for (size_t i = 0; i < nrecs; i++) {
		size_t k = 0;
		while (k < ng && strcmp(g[k].carrier, target_carrier(&recs[i])) != 0)
			k++;
		if (k == ng) {
			g[k].carrier = target_carrier(&recs[i]);
			if (!(g[k].idx = calloc(nrecs, sizeof *g[k].idx)) ||
			    !(g[k].numbers = calloc(nrecs, sizeof *g[k].numbers)) ||
			    tsk_shipment_list_new(&g[k].previous) != TSK_OK) {
				groups_free(g, ng + 1);
				return TSK_ENOMEM;
			}
			ng++;
		}
		g[k].idx[g[k].n] = i;
		g[k].numbers[g[k].n++] = target_number(&recs[i]);
		/* a next leg is folded into the whole timeline (apply), not merged as previous */
		if (recs[i].snapshot && !recs[i].leg_carrier) {
			tsk_shipment *p = NULL;
			tsk_error err;
			int rc = tsk_shipment_from_json(&p, recs[i].snapshot, strlen(recs[i].snapshot), &err);
			if (rc == TSK_ENOMEM || (rc == TSK_OK && tsk_shipment_list_append(g[k].previous, p) != TSK_OK)) {
				groups_free(g, ng);
				return TSK_ENOMEM;
			}
		}
	}
	*out = g;
	*nout = ng;
	return TSK_OK;
}

static void recs_free(tsk__store_rec *recs, size_t n)
{
	for (size_t i = 0; recs && i < n; i++)
		tsk__store_rec_dispose(&recs[i]);
	free(recs);
}

/* Apply a group's answers (one per number, in order). */
static int apply_group(tsk_fleet *f, tsk__store_rec *recs, const struct group *g, const tsk_shipment_list *l,
                       tsk_fleet_run_stats *stats)
{
	for (size_t j = 0; j < g->n; j++) {
		const tsk_shipment *s = tsk_shipment_list_at(l, j);
		if (!s)
			continue;
		int rc = apply(f, &recs[g->idx[j]], s, stats);
		if (rc != TSK_OK)
			return rc;
	}
	return TSK_OK;
}

/* One blocking round: what is due now, one batch per carrier. Sets *taken. */
static int round_blocking(tsk_fleet *f, int64_t now, size_t *taken, tsk_fleet_run_stats *stats)
{
	tsk__store_rec *recs = NULL;
	size_t nrecs = 0;
	tsk_error err;
	tsk_error_clear(&err);
	*taken = 0;
	int rc = f->store->ops->due(f->store, now, INT64_MIN, 0, (size_t)f->options[TSK_FLEET_OPT_ROUND_SIZE],
	                            &recs, &nrecs, &err);
	if (rc != TSK_OK) {
		recs_free(recs, nrecs);
		return fail(f, &err);
	}
	*taken = nrecs;
	if (!nrecs)
		return TSK_OK;
	struct group *g = NULL;
	size_t ng = 0;
	rc = make_groups(&g, &ng, recs, nrecs);
	for (size_t k = 0; rc == TSK_OK && k < ng; k++) {
		tsk_shipment_list *l = NULL;
		const char *carrier = strcmp(g[k].carrier, "auto") == 0 ? NULL : g[k].carrier;
		rc = tsk_track_batch(&l, f->ctx, carrier, g[k].numbers, g[k].n, g[k].previous);
		if (rc == TSK_ENOCARRIER) {
			/* a carrier that is no longer registered (a plugin gone): the
			 * numbers carry the error and are asked again later */
			tsk_shipment_list_free(l);
			l = NULL;
			rc = tsk_shipment_list_new(&l);
			for (size_t j = 0; rc == TSK_OK && j < g[k].n; j++) {
				tsk_shipment *s = NULL;
				rc = tsk_shipment_new(&s, g[k].carrier, g[k].numbers[j]);
				if (rc == TSK_OK)
					rc = tsk_shipment_set_error(s, TSK_ENOCARRIER, tsk_ctx_last_error(f->ctx));
				if (rc == TSK_OK)
					rc = tsk_shipment_list_append(l, s);
				else
					tsk_shipment_free(s);
			}
		}
		if (f->stop) {
			/* interrupted: this round's answers are incomplete, drop them */
			tsk_shipment_list_free(l);
			rc = tsk__ctx_error(f->ctx, TSK_ECANCELED, "the fleet run was interrupted");
			break;
		}
		if (rc == TSK_OK)
			rc = apply_group(f, recs, &g[k], l, stats);
		tsk_shipment_list_free(l);
	}
	if (rc == TSK_ENOMEM)
		tsk__ctx_error(f->ctx, rc, "out of memory");
	groups_free(g, ng);
	recs_free(recs, nrecs);
	if (stats && rc == TSK_OK)
		stats->rounds++;
	return rc;
}

static void drain_wake(tsk_fleet *f)
{
	char buf[64];
	while (read(f->wake[0], buf, sizeof buf) > 0)
		;
}

/* Sleep until `until` (epoch) or a wakeup. */
static void sleep_until(tsk_fleet *f, int64_t until)
{
	int64_t now = now_epoch(f);
	if (until <= now)
		return;
	int64_t ms = (until - now) * 1000;
	struct pollfd p = { f->wake[0], POLLIN, 0 };
	/* poll in slices of at most a minute: the wall clock may jump */
	poll(&p, 1, (int)(ms > 60000 ? 60000 : ms));
}

TSK_API int tsk_fleet_run(tsk_fleet *f, const tsk_time *deadline, unsigned int flags, tsk_fleet_run_stats *stats_out)
{
	tsk_fleet_run_stats local;
	tsk_fleet_run_stats *stats = stats_out ? stats_out : &local;
	memset(stats, 0, sizeof *stats);
	if (!f)
		return TSK_EINVAL;
	if (flags & ~TSK_FLEET_RUN_ONCE)
		return tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_run: unknown flags 0x%x", flags);
	if (f->subs)
		return tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_run: event-loop submissions are in flight");
	f->stop = 0;
	drain_wake(f);
	for (;;) {
		if (f->stop)
			return tsk__ctx_error(f->ctx, TSK_ECANCELED, "the fleet run was interrupted");
		int64_t now = now_epoch(f);
		if (deadline && now >= deadline->epoch)
			return TSK_OK;
		size_t taken = 0;
		int rc = round_blocking(f, now, &taken, stats);
		if (rc != TSK_OK)
			return rc;
		if (taken)
			continue; /* more may be due, or due at once (pinned, a next leg) */
		if (flags & TSK_FLEET_RUN_ONCE)
			return TSK_OK;
		int64_t next;
		tsk_error err;
		tsk_error_clear(&err);
		if (f->store->ops->next_due(f->store, &next, &err) != TSK_OK)
			return fail(f, &err);
		if (next == TSK__NEVER)
			return TSK_OK; /* idle: nothing left to track */
		if (tsk__ctx_has_now(f->ctx))
			return TSK_OK; /* a fixed clock never reaches the next poll */
		if (deadline && deadline->epoch < next)
			next = deadline->epoch;
		sleep_until(f, next);
	}
}

TSK_API int tsk_fleet_wakeup(tsk_fleet *f)
{
	if (!f)
		return TSK_EINVAL;
	f->stop = 1;
	ssize_t w = write(f->wake[1], "x", 1);
	(void)w;
	tsk_ctx_wakeup(f->ctx);
	return TSK_OK;
}

/* ------------------------------------------------------------ event loop */

/* One submitted query: its records, until the done callback writes them. */
struct submission {
	tsk_fleet *fleet;           /* NULL once the fleet is gone */
	struct submission *next;
	tsk_query *query;
	tsk__store_rec *recs;
	size_t nrecs;
	struct group group;         /* idx into recs */
};

static size_t in_flight_pos(const tsk_fleet *f, int64_t id)
{
	size_t lo = 0, hi = f->nin_flight;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->in_flight[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_in_flight(const tsk_fleet *f, int64_t id)
{
	size_t p = in_flight_pos(f, id);
	return p < f->nin_flight && f->in_flight[p] == id;
}

static int mark_in_flight(tsk_fleet *f, int64_t id)
{
	if (!TSK__GROW(f->in_flight, f->in_flight_cap, f->nin_flight + 1))
		return TSK_ENOMEM;
	size_t p = in_flight_pos(f, id);
	memmove(f->in_flight + p + 1, f->in_flight + p, (f->nin_flight - p) * sizeof *f->in_flight);
	f->in_flight[p] = id;
	f->nin_flight++;
	return TSK_OK;
}

static void unmark_in_flight(tsk_fleet *f, int64_t id)
{
	size_t p = in_flight_pos(f, id);
	if (p < f->nin_flight && f->in_flight[p] == id) {
		memmove(f->in_flight + p, f->in_flight + p + 1, (f->nin_flight - p - 1) * sizeof *f->in_flight);
		f->nin_flight--;
	}
}

static void submission_free(struct submission *s)
{
	free(s->group.idx);
	free(s->group.numbers);
	tsk_shipment_list_free(s->group.previous);
	recs_free(s->recs, s->nrecs);
	free(s);
}

static void submission_unlink(tsk_fleet *f, struct submission *s)
{
	for (struct submission **p = &f->subs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	for (size_t i = 0; i < s->nrecs; i++)
		unmark_in_flight(f, s->recs[i].id);
}

static void on_done(tsk_query *q, int result, const tsk_shipment_list *shipments, void *userdata)
{
	(void)q;
	struct submission *s = userdata;
	tsk_fleet *f = s->fleet;
	if (f) {
		submission_unlink(f, s);
		if (result == TSK_OK)
			apply_group(f, s->recs, &s->group, shipments, NULL);
	}
	submission_free(s);
}

static void cancel_submissions(tsk_fleet *f)
{
	/* the callbacks run later (next socket action, or tsk_ctx_free): they
	 * find no fleet and only free their submission */
	while (f->subs) {
		struct submission *s = f->subs;
		f->subs = s->next;
		s->fleet = NULL;
		tsk_query_cancel(s->query);
	}
	f->nin_flight = 0;
}

/* Submit the records of one group as one query; takes the records. */
static int submit_group(tsk_fleet *f, tsk__store_rec *recs, size_t nrecs, size_t *submitted)
{
	struct submission *s = calloc(1, sizeof *s);
	if (!s) {
		recs_free(recs, nrecs);
		return TSK_ENOMEM;
	}
	s->recs = recs;
	s->nrecs = nrecs;
	struct group *g = NULL;
	size_t ng = 0;
	int rc = make_groups(&g, &ng, recs, nrecs);
	if (rc != TSK_OK) {
		submission_free(s);
		return rc;
	}
	s->group = g[0]; /* one carrier per submission */
	free(g);
	tsk_query_opts opts = TSK_QUERY_OPTS_INIT;
	opts.carrier = strcmp(s->group.carrier, "auto") == 0 ? NULL : s->group.carrier;
	opts.numbers = s->group.numbers;
	opts.count = s->group.n;
	opts.previous = s->group.previous;
	for (size_t i = 0; rc == TSK_OK && i < nrecs; i++)
		rc = mark_in_flight(f, recs[i].id);
	if (rc == TSK_OK)
		rc = tsk_query_submit(&s->query, f->ctx, &opts, on_done, s);
	if (rc != TSK_OK) {
		for (size_t i = 0; i < nrecs; i++)
			unmark_in_flight(f, recs[i].id);
		submission_free(s);
		return rc;
	}
	s->fleet = f;
	s->next = f->subs;
	f->subs = s;
	*submitted += nrecs;
	return TSK_OK;
}

TSK_API int tsk_fleet_submit_due(tsk_fleet *f, size_t *submitted_out)
{
	if (submitted_out)
		*submitted_out = 0;
	if (!f)
		return TSK_EINVAL;
	size_t submitted = 0;
	int64_t now = now_epoch(f);
	int64_t after_poll = INT64_MIN, after_id = 0;
	size_t round = (size_t)f->options[TSK_FLEET_OPT_ROUND_SIZE];
	int rc = TSK_OK;
	for (;;) {
		tsk__store_rec *recs = NULL;
		size_t nrecs = 0;
		tsk_error err;
		tsk_error_clear(&err);
		rc = f->store->ops->due(f->store, now, after_poll, after_id, round, &recs, &nrecs, &err);
		if (rc != TSK_OK) {
			recs_free(recs, nrecs);
			rc = fail(f, &err);
			break;
		}
		if (!nrecs) {
			free(recs);
			break;
		}
		after_poll = recs[nrecs - 1].next_poll;
		after_id = recs[nrecs - 1].id;
		/* per carrier, skipping what is already in flight */
		for (size_t i = 0; rc == TSK_OK && i < nrecs; i++) {
			if (!recs[i].number || is_in_flight(f, recs[i].id))
				continue;
			tsk__store_rec *mine = calloc(nrecs, sizeof *mine);
			size_t n = 0;
			if (!mine) {
				rc = TSK_ENOMEM;
				break;
			}
			char *carrier = tsk__strdup(target_carrier(&recs[i]));
			if (!carrier) {
				free(mine);
				rc = TSK_ENOMEM;
				break;
			}
			for (size_t j = i; j < nrecs; j++) {
				if (!recs[j].number || is_in_flight(f, recs[j].id) ||
				    strcmp(target_carrier(&recs[j]), carrier) != 0)
					continue;
				mine[n++] = recs[j]; /* moved: the slot is emptied below */
				if (j != i)
					memset(&recs[j], 0, sizeof recs[j]);
			}
			memset(&recs[i], 0, sizeof recs[i]);
			free(carrier);
			rc = submit_group(f, mine, n, &submitted);
		}
		recs_free(recs, nrecs);
		if (rc != TSK_OK)
			break;
	}
	if (rc == TSK_ENOMEM)
		tsk__ctx_error(f->ctx, rc, "out of memory");
	if (submitted_out)
		*submitted_out = submitted;
	return rc;
}

TSK_API int tsk_fleet_next_due(tsk_time *out, size_t *in_flight_out, tsk_fleet *f)
{
	if (!out || !f)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_next_due: missing argument") : TSK_EINVAL;
	memset(out, 0, sizeof *out);
	if (in_flight_out)
		*in_flight_out = f->nin_flight;
	int64_t next;
	tsk_error err;
	tsk_error_clear(&err);
	if (f->store->ops->next_due(f->store, &next, &err) != TSK_OK)
		return fail(f, &err);
	if (next != TSK__NEVER)
		*out = jst(next);
	return TSK_OK;
}

TSK_API int tsk_fleet_purge(tsk_fleet *f, const tsk_time *before, size_t *purged_out)
{
	if (purged_out)
		*purged_out = 0;
	if (!f || !before)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_purge: missing argument") : TSK_EINVAL;
	tsk_error err;
	tsk_error_clear(&err);
	return f->store->ops->purge(f->store, before->epoch, purged_out, &err) == TSK_OK ? TSK_OK : fail(f, &err);
}

/* --------------------------------------------------------- notifications */

struct tsk_notification_list {
	tsk_notification **items;
	size_t count;
};

TSK_API int tsk_fleet_notifications(tsk_notification_list **out, tsk_fleet *f, size_t max)
{
	if (!out || !f)
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_notifications: missing argument") : TSK_EINVAL;
	*out = NULL;
	tsk__store_note *notes = NULL;
	size_t n = 0;
	tsk_error err;
	tsk_error_clear(&err);
	if (f->store->ops->outbox(f->store, max, &notes, &n, &err) != TSK_OK)
		return fail(f, &err);
	tsk_notification_list *l = calloc(1, sizeof *l);
	if (l && n)
		l->items = calloc(n, sizeof *l->items);
	if (!l || (n && !l->items)) {
		free(l);
		tsk__store_notes_free(notes, n);
		return tsk__ctx_error(f->ctx, TSK_ENOMEM, "out of memory");
	}
	int rc = TSK_OK;
	for (size_t i = 0; i < n && rc == TSK_OK; i++) {
		rc = tsk__notification_from_json(&l->items[l->count], notes[i].id, notes[i].json);
		if (rc == TSK_EPARSE) {
			/* written by this library: a row it cannot read is corruption */
			tsk__ctx_error(f->ctx, TSK_EIO, "notification %s in the store is not readable", notes[i].id);
			rc = TSK_EIO;
		}
		if (rc == TSK_OK)
			l->count++;
	}
	tsk__store_notes_free(notes, n);
	if (rc != TSK_OK) {
		tsk_notification_list_free(l);
		return rc == TSK_ENOMEM ? tsk__ctx_error(f->ctx, rc, "out of memory") : rc;
	}
	*out = l;
	return TSK_OK;
}

TSK_API int tsk_fleet_ack(tsk_fleet *f, const char *const *ids, size_t count)
{
	if (!f || (count && !ids))
		return f ? tsk__ctx_error(f->ctx, TSK_EINVAL, "tsk_fleet_ack: missing argument") : TSK_EINVAL;
	tsk_error err;
	tsk_error_clear(&err);
	return f->store->ops->ack(f->store, ids, count, now_epoch(f), &err) == TSK_OK ? TSK_OK : fail(f, &err);
}

TSK_API size_t tsk_notification_list_count(const tsk_notification_list *l) { return l ? l->count : 0; }
TSK_API const tsk_notification *tsk_notification_list_at(const tsk_notification_list *l, size_t i)
{
	return l && i < l->count ? l->items[i] : NULL;
}
TSK_API void tsk_notification_list_free(tsk_notification_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		tsk__notification_free(l->items[i]);
	free(l->items);
	free(l);
}
