/*
 * Notifications: from two snapshots of a shipment to what a shop tells its
 * customer (DESIGN.md "Notifications").
 *
 * Invariants:
 *  - one poll gives at most one notification: the most important real
 *    change (delivered, returned, exception, delivery_failed,
 *    available_for_pickup, out_for_delivery, pickup_deadline_near, delayed,
 *    shipped, in that order); a first sync (no previous history) gives the
 *    current state's, never the history;
 *  - a status kind is a change when the status entered it anew: another
 *    kind before, or a later event that entered the same status again (a
 *    second day out for delivery, a second failed attempt); "shipped" only
 *    follows nothing-yet (info_received, not found), so a parcel going back
 *    to the depot is no second "shipped";
 *  - the id is a 128-bit hash of reference, carrier, number, kind and the
 *    evidence (the event that made the change: its time, status and word;
 *    an exception's code and time; the new ETA bound), so the same real
 *    change always has the same id, whoever computes it and when;
 *  - texts are data: lib/data/notifications.json is compiled in as the
 *    defaults and installed for shops to read, copy and replace.
 */
#include "notify.h"
#include "jsongen.h"
#include "model.h"
#include "util.h"
#include "notify_templates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const char *const kind_names[] = {
#define TSK__NK_NAME(name, json) json,
	TSK_NOTIFY_KIND_MAP(TSK__NK_NAME)
#undef TSK__NK_NAME
};

TSK_API const char *tsk_notify_kind_to_string(tsk_notify_kind kind)
{
	return (unsigned)kind < TSK_NOTIFY__COUNT ? kind_names[kind] : "unknown";
}

TSK_API int tsk_notify_kind_from_string(tsk_notify_kind *out, const char *name)
{
	for (int k = 0; name && k < TSK_NOTIFY__COUNT; k++)
		if (strcmp(kind_names[k], name) == 0) {
			if (out)
				*out = (tsk_notify_kind)k;
			return TSK_OK;
		}
	return TSK_EINVAL;
}

/* ------------------------------------------------------------- the rules */

static bool has_status_kind(tsk_status st, tsk_notify_kind *kind)
{
	switch (st) {
	case TSK_STATUS_IN_TRANSIT: *kind = TSK_NOTIFY_SHIPPED; return true;
	case TSK_STATUS_OUT_FOR_DELIVERY: *kind = TSK_NOTIFY_OUT_FOR_DELIVERY; return true;
	case TSK_STATUS_FAILED_ATTEMPT: *kind = TSK_NOTIFY_DELIVERY_FAILED; return true;
	case TSK_STATUS_AVAILABLE_FOR_PICKUP: *kind = TSK_NOTIFY_AVAILABLE_FOR_PICKUP; return true;
	case TSK_STATUS_DELIVERED: *kind = TSK_NOTIFY_DELIVERED; return true;
	case TSK_STATUS_RETURNED_TO_SENDER: *kind = TSK_NOTIFY_RETURNED; return true;
	default: return false;
	}
}

static bool is_problem(tsk_exception_code c)
{
	return c == TSK_EXC_LOST || c == TSK_EXC_DAMAGED || c == TSK_EXC_ADDRESS_PROBLEM ||
	       c == TSK_EXC_REFUSED || c == TSK_EXC_CUSTOMS_HOLD;
}

static bool is_delay(tsk_exception_code c)
{
	return c == TSK_EXC_LATE || c == TSK_EXC_STALLED || c == TSK_EXC_WEATHER_OR_DISASTER_DELAY;
}

static const tsk_exception *find_exc(const tsk_shipment *s, tsk_exception_code code)
{
	for (size_t i = 0; s && i < s->nexceptions; i++)
		if (s->exceptions[i].code == code)
			return &s->exceptions[i];
	return NULL;
}

/* The event that entered the shipment's current status: the first of the
 * last run of events with that status; -1 when no event has it. */
static long entering_event(const tsk_shipment *s, tsk_status st)
{
	long last = -1;
	for (size_t i = s->nevents; i-- > 0;)
		if (tsk__shipment_event(s, i)->status == st) {
			last = (long)i;
			break;
		}
	while (last > 0 && tsk__shipment_event(s, last - 1)->status == st)
		last--;
	return last;
}

/* The first event at which the carrier had the parcel ("shipped"). */
static long first_moving_event(const tsk_shipment *s)
{
	for (size_t i = 0; i < s->nevents; i++) {
		tsk_status st = tsk__shipment_event(s, i)->status;
		if (st != TSK_STATUS_UNKNOWN && st != TSK_STATUS_NOT_FOUND && st != TSK_STATUS_INFO_RECEIVED)
			return (long)i;
	}
	return -1;
}

static void event_evidence(char *buf, size_t size, const tsk_shipment *s, long i, tsk_status fallback)
{
	if (i < 0) {
		snprintf(buf, size, "status:%s", tsk_status_to_string(fallback));
		return;
	}
	const tsk_event *ev = tsk__shipment_event(s, i);
	char when[48] = "";
	tsk_time_format(when, sizeof when, &ev->time);
	const char *raw = tsk__event_text(ev, TSK_EVENT_TIME_RAW);
	const char *word = tsk__event_text(ev, TSK_EVENT_CARRIER_STATUS);
	const char *leg = tsk__event_text(ev, TSK__EVENT_LEG_CARRIER);
	snprintf(buf, size, "%s|%s|%s|%s", when[0] ? when : (raw ? raw : ""),
	         tsk_status_to_string(ev->status),
	         word ? word : "", leg ? leg : "");
}

static bool usable_history(const tsk_shipment *s)
{
	return s && (s->nevents > 0 || (s->error == TSK_OK && s->status != TSK_STATUS_NOT_FOUND &&
	                                 s->status != TSK_STATUS_UNKNOWN));
}

/* A status kind's notice: evidence is the event that entered the status. */
static bool status_notice(tsk__notice *n, const tsk_shipment *old, const tsk_shipment *cur, tsk_notify_kind want)
{
	tsk_notify_kind k;
	if (!has_status_kind(cur->status, &k) || k != want)
		return false;
	long at = want == TSK_NOTIFY_SHIPPED ? first_moving_event(cur) : entering_event(cur, cur->status);
	if (want == TSK_NOTIFY_DELIVERED && tsk_time_is_set(&cur->delivered_at) && at < 0) {
		char when[48];
		tsk_time_format(when, sizeof when, &cur->delivered_at);
		snprintf(n->evidence, sizeof n->evidence, "delivered_at:%s", when);
	} else {
		event_evidence(n->evidence, sizeof n->evidence, cur, at, cur->status);
	}
	if (old) {
		tsk_notify_kind ok;
		bool old_has = has_status_kind(old->status, &ok);
		if (want == TSK_NOTIFY_SHIPPED) {
			if (old_has)
				return false; /* shipped follows only "nothing yet" */
		} else if (old_has && ok == want) {
			/* the same kind: a change only when a later event entered it again */
			char before[sizeof n->evidence];
			long oat = entering_event(old, old->status);
			event_evidence(before, sizeof before, old, oat, old->status);
			if (oat < 0 || strcmp(before, n->evidence) == 0)
				return false;
			/* the entering event of old must still be before the new one */
			if (at >= 0 && (size_t)at < old->nevents)
				return false;
		}
	}
	n->kind = want;
	n->time = at >= 0 ? tsk__shipment_event(cur, at)->time
	                  : (want == TSK_NOTIFY_DELIVERED ? cur->delivered_at : n->time);
	return true;
}

static bool exception_notice(tsk__notice *n, const tsk_shipment *old, const tsk_shipment *cur,
                             bool (*which)(tsk_exception_code), tsk_notify_kind kind)
{
	for (size_t i = 0; i < cur->nexceptions; i++) {
		const tsk_exception *e = &cur->exceptions[i];
		if (!which(e->code) || find_exc(old, e->code))
			continue;
		char when[48] = "";
		/* evidence: what the exception is about, not when the poll saw it */
		const tsk_time *t = &e->time;
		if (e->code == TSK_EXC_LATE && cur->has_eta)
			t = &cur->eta.latest;
		tsk_time_format(when, sizeof when, t);
		snprintf(n->evidence, sizeof n->evidence, "%s|%s", tsk_exception_to_string(e->code), when);
		n->kind = kind;
		n->exception = e->code;
		n->severity = e->severity;
		n->reason = tsk_exception_to_string(e->code);
		n->time = e->event_index >= 0 && (size_t)e->event_index < cur->nevents
		                  ? tsk__shipment_event(cur, e->event_index)->time : e->time;
		return true;
	}
	return false;
}

static bool is_pickup_deadline(tsk_exception_code c)
{
	return c == TSK_EXC_PICKUP_DEADLINE_NEAR;
}

static bool eta_later_notice(tsk__notice *n, const tsk_shipment *old, const tsk_shipment *cur)
{
	if (!old || !old->has_eta || !cur->has_eta)
		return false;
	if (cur->eta.latest.epoch - old->eta.latest.epoch < 86400)
		return false;
	char when[48];
	tsk_time_format(when, sizeof when, &cur->eta.latest);
	snprintf(n->evidence, sizeof n->evidence, "eta_later|%s", when);
	n->kind = TSK_NOTIFY_DELAYED;
	n->reason = "eta_later";
	n->time = cur->nevents ? tsk__shipment_event(cur, cur->nevents - 1)->time : n->time;
	return true;
}

bool tsk__notify_decide(tsk__notice *out, const tsk_shipment *old, const tsk_shipment *cur)
{
	memset(out, 0, sizeof *out);
	if (!cur || (cur->error != TSK_OK && cur->error != TSK_ENOTFOUND))
		return false;
	if (!usable_history(old))
		old = NULL; /* first sync: the current state only */
	if (cur->status == TSK_STATUS_DELIVERED)
		return status_notice(out, old, cur, TSK_NOTIFY_DELIVERED);
	if (cur->status == TSK_STATUS_RETURNED_TO_SENDER)
		return status_notice(out, old, cur, TSK_NOTIFY_RETURNED);
	return exception_notice(out, old, cur, is_problem, TSK_NOTIFY_EXCEPTION) ||
	       status_notice(out, old, cur, TSK_NOTIFY_DELIVERY_FAILED) ||
	       status_notice(out, old, cur, TSK_NOTIFY_AVAILABLE_FOR_PICKUP) ||
	       status_notice(out, old, cur, TSK_NOTIFY_OUT_FOR_DELIVERY) ||
	       exception_notice(out, old, cur, is_pickup_deadline, TSK_NOTIFY_PICKUP_DEADLINE_NEAR) ||
	       exception_notice(out, old, cur, is_delay, TSK_NOTIFY_DELAYED) ||
	       eta_later_notice(out, old, cur) ||
	       status_notice(out, old, cur, TSK_NOTIFY_SHIPPED);
}

/* ------------------------------------------------------------ templates */

enum { LANG_JA, LANG_EN, LANG__COUNT };
static const char *const lang_names[LANG__COUNT] = { "ja", "en" };

struct named {
	char *key;
	char *text[LANG__COUNT];
};

struct tsk__templates {
	char *subject[TSK_NOTIFY__COUNT][LANG__COUNT];
	char *body[TSK_NOTIFY__COUNT][LANG__COUNT];
	struct named *reasons, *carriers;
	size_t nreasons, reasons_cap, ncarriers, carriers_cap;
};

static int lang_index(const char *lang)
{
	for (int i = 0; lang && i < LANG__COUNT; i++)
		if (strcmp(lang, lang_names[i]) == 0)
			return i;
	return -1;
}

void tsk__templates_free(tsk__templates *t)
{
	if (!t)
		return;
	for (int k = 0; k < TSK_NOTIFY__COUNT; k++)
		for (int l = 0; l < LANG__COUNT; l++) {
			free(t->subject[k][l]);
			free(t->body[k][l]);
		}
	for (size_t i = 0; i < t->nreasons; i++) {
		free(t->reasons[i].key);
		for (int l = 0; l < LANG__COUNT; l++)
			free(t->reasons[i].text[l]);
	}
	for (size_t i = 0; i < t->ncarriers; i++) {
		free(t->carriers[i].key);
		for (int l = 0; l < LANG__COUNT; l++)
			free(t->carriers[i].text[l]);
	}
	free(t->reasons);
	free(t->carriers);
	free(t);
}

static int set_named(struct named **v, size_t *n, size_t *cap, const char *key, int lang, const char *text)
{
	struct named *e = NULL;
	for (size_t i = 0; i < *n && !e; i++)
		if (strcmp((*v)[i].key, key) == 0)
			e = &(*v)[i];
	if (!e) {
		if (!TSK__GROW(*v, *cap, *n + 1))
			return TSK_ENOMEM;
		e = &(*v)[*n];
		memset(e, 0, sizeof *e);
		if (!(e->key = tsk__strdup(key)))
			return TSK_ENOMEM;
		(*n)++;
	}
	return tsk__strset(&e->text[lang], text) == 0 ? TSK_OK : TSK_ENOMEM;
}

static const char *named_text(const struct named *v, size_t n, const char *key, int lang)
{
	for (size_t i = 0; key && i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return v[i].text[lang];
	return NULL;
}

/* Apply a parsed templates document to t; err names the key path. */
static int apply_tree(tsk__templates *t, yajl_val root, tsk_error *err)
{
	if (!YAJL_IS_OBJECT(root))
		return tsk_error_set(err, TSK_EPARSE, "a templates file is a JSON object");
	const char *vpath[] = { "version", NULL };
	yajl_val version = yajl_tree_get(root, vpath, yajl_t_number);
	if (!version || YAJL_GET_INTEGER(version) != 1)
		return tsk_error_set(err, TSK_EPARSE, "version: must be 1");
	const char *npath[] = { "notifications", NULL };
	yajl_val notes = yajl_tree_get(root, npath, yajl_t_object);
	for (size_t i = 0; notes && i < notes->u.object.len; i++) {
		const char *kname = notes->u.object.keys[i];
		tsk_notify_kind kind;
		if (tsk_notify_kind_from_string(&kind, kname) != TSK_OK)
			return tsk_error_set(err, TSK_EPARSE, "notifications.%s: no such notification kind", kname);
		yajl_val langs = notes->u.object.values[i];
		if (!YAJL_IS_OBJECT(langs))
			return tsk_error_set(err, TSK_EPARSE, "notifications.%s: must be an object", kname);
		for (size_t j = 0; j < langs->u.object.len; j++) {
			int l = lang_index(langs->u.object.keys[j]);
			if (l < 0)
				return tsk_error_set(err, TSK_EPARSE, "notifications.%s.%s: languages are ja and en",
				                     kname, langs->u.object.keys[j]);
			yajl_val text = langs->u.object.values[j];
			const char *sp[] = { "subject", NULL }, *bp[] = { "body", NULL };
			yajl_val subj = yajl_tree_get(text, sp, yajl_t_string);
			yajl_val body = yajl_tree_get(text, bp, yajl_t_string);
			if (!subj || !body)
				return tsk_error_set(err, TSK_EPARSE, "notifications.%s.%s: needs a subject and a body string",
				                     kname, lang_names[l]);
			if (tsk__strset(&t->subject[kind][l], YAJL_GET_STRING(subj)) != 0 ||
			    tsk__strset(&t->body[kind][l], YAJL_GET_STRING(body)) != 0)
				return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		}
	}
	static const char *const tables[] = { "reasons", "carriers" };
	for (int tb = 0; tb < 2; tb++) {
		const char *path[] = { tables[tb], NULL };
		yajl_val obj = yajl_tree_get(root, path, yajl_t_object);
		for (size_t i = 0; obj && i < obj->u.object.len; i++) {
			yajl_val langs = obj->u.object.values[i];
			const char *key = obj->u.object.keys[i];
			if (!YAJL_IS_OBJECT(langs))
				return tsk_error_set(err, TSK_EPARSE, "%s.%s: must be an object", tables[tb], key);
			for (size_t j = 0; j < langs->u.object.len; j++) {
				int l = lang_index(langs->u.object.keys[j]);
				if (l < 0 || !YAJL_IS_STRING(langs->u.object.values[j]))
					return tsk_error_set(err, TSK_EPARSE, "%s.%s.%s: wants a ja or en string", tables[tb],
					                     key, langs->u.object.keys[j]);
				int rc = tb == 0
				        ? set_named(&t->reasons, &t->nreasons, &t->reasons_cap, key, l,
				                    YAJL_GET_STRING(langs->u.object.values[j]))
				        : set_named(&t->carriers, &t->ncarriers, &t->carriers_cap, key, l,
				                    YAJL_GET_STRING(langs->u.object.values[j]));
				if (rc != TSK_OK)
					return tsk_error_set(err, TSK_ENOMEM, "out of memory");
			}
		}
	}
	return TSK_OK;
}

static int apply_text(tsk__templates *t, const char *text, const char *name, tsk_error *err)
{
	char msg[256] = "";
	yajl_val root = yajl_tree_parse(text, msg, sizeof msg);
	if (!root)
		return tsk_error_set(err, TSK_EPARSE, "%s: not JSON: %s", name, tsk__trim(msg));
	int rc = apply_tree(t, root, err);
	yajl_tree_free(root);
	if (rc != TSK_OK && rc != TSK_ENOMEM) {
		char m[sizeof err->message];
		snprintf(m, sizeof m, "%s", err->message);
		tsk_error_set(err, rc, "%s: %s", name, m);
	}
	return rc;
}

int tsk__templates_new(tsk__templates **out, tsk_error *err)
{
	*out = NULL;
	tsk__templates *t = calloc(1, sizeof *t);
	if (!t)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	tsk__buf b = TSK__BUF_INIT;
	for (size_t i = 0; i < TSK__ARRAY_LEN(tsk__default_templates); i++)
		tsk__buf_puts(&b, tsk__default_templates[i]);
	int rc = b.failed ? tsk_error_set(err, TSK_ENOMEM, "out of memory")
	                  : apply_text(t, b.data, "built-in templates", err);
	tsk__buf_dispose(&b);
	for (int k = 0; rc == TSK_OK && k < TSK_NOTIFY__COUNT; k++)
		for (int l = 0; l < LANG__COUNT; l++)
			if (!t->subject[k][l])
				rc = tsk_error_set(err, TSK_ERROR, "built-in templates lack %s.%s", kind_names[k],
				                   lang_names[l]);
	if (rc != TSK_OK) {
		tsk__templates_free(t);
		return rc;
	}
	*out = t;
	return TSK_OK;
}

static tsk__templates *templates_copy(const tsk__templates *src)
{
	tsk__templates *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	bool ok = true;
	for (int k = 0; k < TSK_NOTIFY__COUNT; k++)
		for (int l = 0; l < LANG__COUNT; l++)
			ok = ok && tsk__strset(&t->subject[k][l], src->subject[k][l]) == 0 &&
			     tsk__strset(&t->body[k][l], src->body[k][l]) == 0;
	for (size_t i = 0; ok && i < src->nreasons; i++)
		for (int l = 0; l < LANG__COUNT; l++)
			if (src->reasons[i].text[l])
				ok = ok && set_named(&t->reasons, &t->nreasons, &t->reasons_cap, src->reasons[i].key, l,
				                     src->reasons[i].text[l]) == TSK_OK;
	for (size_t i = 0; ok && i < src->ncarriers; i++)
		for (int l = 0; l < LANG__COUNT; l++)
			if (src->carriers[i].text[l])
				ok = ok && set_named(&t->carriers, &t->ncarriers, &t->carriers_cap, src->carriers[i].key, l,
				                     src->carriers[i].text[l]) == TSK_OK;
	if (!ok) {
		tsk__templates_free(t);
		return NULL;
	}
	return t;
}

int tsk__templates_load(tsk__templates *t, const char *path, tsk_error *err)
{
	char *text = NULL;
	size_t len = 0;
	if (tsk__read_file(path, 1 << 20, &text, &len) != 0)
		return tsk_error_set(err, TSK_EIO, "%s: cannot read the templates file", path);
	tsk__templates *copy = templates_copy(t);
	int rc = copy ? apply_text(copy, text, path, err) : tsk_error_set(err, TSK_ENOMEM, "out of memory");
	free(text);
	if (rc != TSK_OK || !copy) {
		tsk__templates_free(copy);
		return rc;
	}
	/* swap the contents in: t keeps its address */
	tsk__templates tmp = *t;
	*t = *copy;
	*copy = tmp;
	tsk__templates_free(copy);
	return TSK_OK;
}

/* ------------------------------------------------------------ rendering */

static const char *const month_en[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static void put_date(tsk__buf *b, const tsk_time *t, int lang)
{
	int y, mo, d, h, mi;
	tsk_time_fields(t, &y, &mo, &d, &h, &mi, NULL);
	if (lang == LANG_JA)
		tsk__buf_printf(b, "%d月%d日", mo, d);
	else
		tsk__buf_printf(b, "%s %d", month_en[(mo + 11) % 12], d);
}

static void put_eta(tsk__buf *b, const tsk_shipment *s, int lang)
{
	if (!s->has_eta)
		return;
	int y1, m1, d1, y2, m2, d2, h, mi;
	tsk_time_fields(&s->eta.earliest, &y1, &m1, &d1, &h, &mi, NULL);
	tsk_time_fields(&s->eta.latest, &y2, &m2, &d2, &h, &mi, NULL);
	if (tsk_time_is_set(&s->eta.earliest) && (y1 != y2 || m1 != m2 || d1 != d2)) {
		put_date(b, &s->eta.earliest, lang);
		tsk__buf_puts(b, lang == LANG_JA ? "〜" : "–");
	}
	put_date(b, &s->eta.latest, lang);
}

struct render_env {
	const tsk__templates *t;
	const tsk__notice *n;
	const tsk_shipment *s;
	const tsk_adapter *a;            /* the shipment's carrier, or NULL */
	const char *reference;
	int lang;
	int depth;
};

static void expand(tsk__buf *b, const char *tpl, const struct render_env *env);

static void put_placeholder(tsk__buf *b, const char *name, size_t len, const struct render_env *env)
{
#define IS(k) (len == sizeof(k) - 1 && memcmp(name, k, len) == 0)
	const tsk__templates *t = env->t;
	if (IS("carrier")) {
		/* the shop's templates, else the adapter's own name for customers */
		const tsk_adapter *a = env->a;
		const char *c = named_text(t->carriers, t->ncarriers, env->s->carrier, env->lang);
		if (!c && a && a->version >= 2)
			c = env->lang == LANG_JA ? a->customer_name_ja : a->customer_name_en;
		if (!c && a)
			c = a->display_name;
		tsk__buf_puts(b, c ? c : env->s->carrier);
	} else if (IS("number")) {
		tsk__buf_puts(b, env->s->number);
	} else if (IS("reference")) {
		tsk__buf_puts(b, env->reference ? env->reference : "");
	} else if (IS("eta")) {
		put_eta(b, env->s, env->lang);
	} else if (IS("reason")) {
		const char *r = named_text(t->reasons, t->nreasons, env->n->reason, env->lang);
		if (r && env->depth == 0) {
			struct render_env inner = *env;
			inner.depth = 1;
			expand(b, r, &inner);
		} else if (env->n->exception != TSK_EXC_NONE) {
			tsk__buf_puts(b, env->lang == LANG_JA ? tsk_exception_name_ja(env->n->exception)
			                                      : tsk_exception_name_en(env->n->exception));
		}
	} else {
		/* unknown placeholders stay as written, so a typo shows */
		tsk__buf_putc(b, '{');
		tsk__buf_add(b, name, len);
		tsk__buf_putc(b, '}');
	}
#undef IS
}

static void expand(tsk__buf *b, const char *tpl, const struct render_env *env)
{
	for (const char *p = tpl; *p;) {
		const char *close;
		if (*p == '{' && (close = strchr(p + 1, '}')) && close - p < 32) {
			put_placeholder(b, p + 1, (size_t)(close - p - 1), env);
			p = close + 1;
		} else {
			tsk__buf_putc(b, *p++);
		}
	}
}

/* FNV-1a, twice with different bases: 128 bits as 32 hex digits. */
static void stable_id(char out[40], const char *const *parts, size_t n)
{
	uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)(parts[i] ? parts[i] : "");
		for (; *p; p++) {
			h1 = (h1 ^ *p) * 0x100000001b3ull;
			h2 = (h2 ^ *p) * 0x100000001b3ull;
			h2 ^= h2 >> 29;
		}
		/* a separator no text contains, so ("ab","c") != ("a","bc") */
		h1 = (h1 ^ 0x1f) * 0x100000001b3ull;
		h2 = (h2 ^ 0x1f) * 0x100000001b3ull;
	}
	snprintf(out, 40, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

int tsk__notify_render(tsk__store_note *out, const tsk__templates *t, const tsk__notice *n,
                       const tsk_shipment *cur, const tsk_adapter *carrier, const char *reference,
                       const char *locale)
{
	memset(out, 0, sizeof *out);
	const char *parts[] = { reference, cur->carrier, cur->number, tsk_notify_kind_to_string(n->kind),
		                n->evidence };
	stable_id(out->id, parts, TSK__ARRAY_LEN(parts));

	tsk__jw w, *g = &w;
	if (tsk__jw_open(g, false, NULL) != TSK_OK)
		return TSK_ENOMEM;
	tsk__jw_map_open(g);
	tsk__json_key(g, "schema"); tsk__jw_integer(g, 1);
	tsk__json_key(g, "id"); tsk__json_str(g, out->id);
	tsk__json_key(g, "kind"); tsk__json_str(g, tsk_notify_kind_to_string(n->kind));
	tsk__json_key(g, "reference"); tsk__json_str(g, reference);
	tsk__json_key(g, "carrier"); tsk__json_str(g, cur->carrier);
	tsk__json_key(g, "tracking_number"); tsk__json_str(g, cur->number);
	tsk__json_key(g, "time"); tsk__json_time(g, &n->time);
	tsk__json_key(g, "status"); tsk__json_str(g, tsk_status_to_string(cur->status));
	tsk__json_key(g, "eta"); tsk__json_eta(g, cur->has_eta ? &cur->eta : NULL);
	tsk__json_key(g, "exception");
	if (n->exception != TSK_EXC_NONE) {
		tsk__jw_map_open(g);
		tsk__json_key(g, "code"); tsk__json_str(g, tsk_exception_to_string(n->exception));
		tsk__json_key(g, "severity"); tsk__json_str(g, tsk_severity_to_string(n->severity));
		tsk__jw_map_close(g);
	} else {
		tsk__jw_null(g);
	}
	tsk__json_key(g, "locale"); tsk__json_str(g, locale);
	tsk__json_key(g, "text");
	tsk__jw_map_open(g);
	bool failed = false;
	for (int l = 0; l < LANG__COUNT; l++) {
		struct render_env env = { t, n, cur, carrier, reference, l, 0 };
		tsk__buf subj = TSK__BUF_INIT, body = TSK__BUF_INIT;
		expand(&subj, t->subject[n->kind][l], &env);
		expand(&body, t->body[n->kind][l], &env);
		tsk__buf_puts(&subj, "");
		tsk__buf_puts(&body, "");
		failed = failed || subj.failed || body.failed;
		tsk__json_key(g, lang_names[l]);
		tsk__jw_map_open(g);
		tsk__json_key(g, "subject"); tsk__json_str(g, subj.data ? subj.data : "");
		tsk__json_key(g, "body"); tsk__json_str(g, body.data ? body.data : "");
		tsk__jw_map_close(g);
		tsk__buf_dispose(&subj);
		tsk__buf_dispose(&body);
	}
	tsk__jw_map_close(g);
	tsk__jw_map_close(g);
	int rc = tsk__jw_close(g, &out->json, NULL);
	if (rc == TSK_OK && failed) {
		free(out->json);
		out->json = NULL;
		rc = TSK_ENOMEM;
	}
	return rc;
}

/* -------------------------------------------------- notification objects */

struct tsk_notification {
	char id[40];
	tsk_notify_kind kind;
	char *reference, *carrier, *number, *locale;
	tsk_status status;
	tsk_time time;
	tsk_exception_code exception;
	char *subject[LANG__COUNT], *body[LANG__COUNT];
	char *json;
};

void tsk__notification_free(tsk_notification *n)
{
	if (!n)
		return;
	free(n->reference);
	free(n->carrier);
	free(n->number);
	free(n->locale);
	for (int l = 0; l < LANG__COUNT; l++) {
		free(n->subject[l]);
		free(n->body[l]);
	}
	free(n->json);
	free(n);
}

static char *tree_str(yajl_val root, const char *a, const char *b, const char *c, bool *oom)
{
	const char *path[] = { a, b, c, NULL };
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);
	if (!v)
		return NULL;
	char *s = tsk__strdup(YAJL_GET_STRING(v));
	if (!s)
		*oom = true;
	return s;
}

int tsk__notification_from_json(tsk_notification **out, const char *id, const char *json)
{
	*out = NULL;
	char msg[128];
	yajl_val root = yajl_tree_parse(json, msg, sizeof msg);
	if (!root)
		return TSK_EPARSE;
	tsk_notification *n = calloc(1, sizeof *n);
	if (!n) {
		yajl_tree_free(root);
		return TSK_ENOMEM;
	}
	bool oom = false;
	snprintf(n->id, sizeof n->id, "%s", id);
	char *kind = tree_str(root, "kind", NULL, NULL, &oom);
	char *status = tree_str(root, "status", NULL, NULL, &oom);
	char *time = tree_str(root, "time", NULL, NULL, &oom);
	char *exc = tree_str(root, "exception", "code", NULL, &oom);
	n->reference = tree_str(root, "reference", NULL, NULL, &oom);
	n->carrier = tree_str(root, "carrier", NULL, NULL, &oom);
	n->number = tree_str(root, "tracking_number", NULL, NULL, &oom);
	n->locale = tree_str(root, "locale", NULL, NULL, &oom);
	for (int l = 0; l < LANG__COUNT; l++) {
		n->subject[l] = tree_str(root, "text", lang_names[l], "subject", &oom);
		n->body[l] = tree_str(root, "text", lang_names[l], "body", &oom);
	}
	n->json = tsk__strdup(json);
	int rc = TSK_OK;
	if (oom || !n->json)
		rc = TSK_ENOMEM;
	else if (!kind || tsk_notify_kind_from_string(&n->kind, kind) != TSK_OK || !n->carrier || !n->number)
		rc = TSK_EPARSE;
	if (status)
		tsk_status_from_string(&n->status, status);
	if (time)
		tsk_time_parse_rfc3339(&n->time, time);
	if (exc)
		tsk_exception_from_string(&n->exception, exc);
	free(kind);
	free(status);
	free(time);
	free(exc);
	yajl_tree_free(root);
	if (rc != TSK_OK) {
		tsk__notification_free(n);
		return rc;
	}
	*out = n;
	return TSK_OK;
}

TSK_API const char *tsk_notification_id(const tsk_notification *n) { return n ? n->id : NULL; }
TSK_API tsk_notify_kind tsk_notification_kind(const tsk_notification *n) { return n ? n->kind : TSK_NOTIFY__COUNT; }
TSK_API const char *tsk_notification_reference(const tsk_notification *n) { return n ? n->reference : NULL; }
TSK_API const char *tsk_notification_carrier(const tsk_notification *n) { return n ? n->carrier : NULL; }
TSK_API const char *tsk_notification_tracking_number(const tsk_notification *n) { return n ? n->number : NULL; }
TSK_API const char *tsk_notification_locale(const tsk_notification *n) { return n ? n->locale : NULL; }
TSK_API tsk_status tsk_notification_status(const tsk_notification *n) { return n ? n->status : TSK_STATUS_UNKNOWN; }
TSK_API const tsk_time *tsk_notification_time(const tsk_notification *n)
{
	return n && tsk_time_is_set(&n->time) ? &n->time : NULL;
}
TSK_API tsk_exception_code tsk_notification_exception(const tsk_notification *n)
{
	return n ? n->exception : TSK_EXC_NONE;
}
TSK_API const char *tsk_notification_subject(const tsk_notification *n, const char *lang)
{
	int l = n ? lang_index(lang ? lang : n->locale) : -1;
	return l >= 0 ? n->subject[l] : NULL;
}
TSK_API const char *tsk_notification_body(const tsk_notification *n, const char *lang)
{
	int l = n ? lang_index(lang ? lang : n->locale) : -1;
	return l >= 0 ? n->body[l] : NULL;
}
TSK_API const char *tsk_notification_json(const tsk_notification *n) { return n ? n->json : NULL; }
