/*
 * JSON: the schema-1 SHIPMENT objects of DESIGN.md, and loading them back.
 *
 * Invariants: the writer emits every field of the contract, in the
 * contract's order, null where the carrier shows nothing; the reader
 * accepts exactly what the writer emits (and tolerates unknown keys), so
 * load(dump(x)) dumps identically. Numbers are printed with fixed
 * precision so the text does not drift across round trips.
 */
#include "jsongen.h"
#include "jsonread.h"
#include "model.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Snapshots larger than this are refused (a state file of thousands of
 * shipments is a few MiB). */
#define TSK__SNAPSHOT_MAX_BYTES (128u << 20)

/* ----------------------------------------------------------------- writer */

/* Keep the first failure; write nothing after it. */
static bool jw_ok(tsk__jw *w, yajl_gen_status st)
{
	if (st != yajl_gen_status_ok && w->status == TSK_OK)
		w->status = st == yajl_gen_invalid_string ? TSK_EINVAL : TSK_ERROR;
	return w->status == TSK_OK;
}

static void print_cb(void *ctx, const char *str, size_t len)
{
	tsk__buf_add(ctx, str, len);
}

int tsk__jw_open(tsk__jw *w, bool pretty, const char *indent)
{
	memset(w, 0, sizeof *w);
	tsk__yajl_mem_init(&w->mem);
	/* yajl_gen_alloc does not check one of its allocations: see jsonmem.h */
	if (setjmp(w->mem.oom)) {
		tsk__yajl_mem_release(&w->mem);
		return TSK_ENOMEM;
	}
	w->g = yajl_gen_alloc(&w->mem.funcs);
	if (!w->g)
		return TSK_ENOMEM;
	/* the text goes to our buffer, so yajl allocates nothing more */
	yajl_gen_config(w->g, yajl_gen_print_callback, print_cb, &w->out);
	w->mem.armed = 0;
	yajl_gen_config(w->g, yajl_gen_beautify, pretty ? 1 : 0);
	if (indent)
		yajl_gen_config(w->g, yajl_gen_indent_string, indent);
	/* the contract is UTF-8 text: keep Japanese as is, refuse invalid bytes */
	yajl_gen_config(w->g, yajl_gen_validate_utf8, 1);
	w->status = TSK_OK;
	return TSK_OK;
}

int tsk__jw_close(tsk__jw *w, char **out, size_t *len_out)
{
	int rc = w->status;
	if (rc == TSK_OK && w->out.failed)
		rc = TSK_ENOMEM;
	yajl_gen_free(w->g);
	w->g = NULL;
	if (rc != TSK_OK) {
		tsk__buf_dispose(&w->out);
		return rc;
	}
	/* drop the trailing newline the beautifier adds */
	size_t len = w->out.len;
	while (len > 0 && w->out.data[len - 1] == '\n')
		w->out.data[--len] = '\0';
	w->out.len = len;
	if (!(*out = tsk__buf_detach(&w->out)))
		return TSK_ENOMEM;
	if (len_out)
		*len_out = len;
	return TSK_OK;
}

void tsk__jw_map_open(tsk__jw *w)
{
	if (w->status == TSK_OK)
		jw_ok(w, yajl_gen_map_open(w->g));
}

void tsk__jw_map_close(tsk__jw *w)
{
	if (w->status == TSK_OK)
		jw_ok(w, yajl_gen_map_close(w->g));
}

void tsk__jw_array_open(tsk__jw *w)
{
	if (w->status == TSK_OK)
		jw_ok(w, yajl_gen_array_open(w->g));
}

void tsk__jw_array_close(tsk__jw *w)
{
	if (w->status == TSK_OK)
		jw_ok(w, yajl_gen_array_close(w->g));
}

void tsk__jw_null(tsk__jw *w)
{
	if (w->status == TSK_OK)
		jw_ok(w, yajl_gen_null(w->g));
}

void tsk__jw_integer(tsk__jw *w, long long v)
{
	if (w->status == TSK_OK)
		jw_ok(w, yajl_gen_integer(w->g, v));
}

void tsk__json_str(tsk__jw *w, const char *s)
{
	if (w->status != TSK_OK)
		return;
	if (!s) {
		jw_ok(w, yajl_gen_null(w->g));
		return;
	}
	/* yajl 2.1 checks the UTF-8 of a string only in part (a lead byte at
	 * the very end passes): check it whole here */
	size_t len = strlen(s);
	if (!tsk__utf8_valid(s, len)) {
		w->status = TSK_EINVAL;
		return;
	}
	jw_ok(w, yajl_gen_string(w->g, (const unsigned char *)s, len));
}

void tsk__json_key(tsk__jw *w, const char *k)
{
	tsk__json_str(w, k);
}

void tsk__json_time(tsk__jw *w, const tsk_time *t)
{
	if (!t || !tsk_time_is_set(t)) {
		tsk__jw_null(w);
		return;
	}
	char buf[48];
	tsk_time_format(buf, sizeof buf, t);
	tsk__json_str(w, buf);
}

static void gen_precision(tsk__jw *w, const tsk_time *t)
{
	switch (t->precision) {
	case TSK_PRECISION_DAY: tsk__json_str(w, "day"); break;
	case TSK_PRECISION_MINUTE: tsk__json_str(w, "minute"); break;
	default: tsk__jw_null(w); break;
	}
}

void tsk__json_event(tsk__jw *w, const tsk_event *ev, long index)
{
	tsk__jw_map_open(w);
	if (index >= 0) {
		tsk__json_key(w, "index");
		tsk__jw_integer(w, index);
	}
	tsk__json_key(w, "time"); tsk__json_time(w, &ev->time);
	tsk__json_key(w, "time_precision"); gen_precision(w, &ev->time);
	tsk__json_key(w, "time_raw"); tsk__json_str(w, tsk__event_text(ev, TSK_EVENT_TIME_RAW));
	tsk__json_key(w, "status"); tsk__json_str(w, tsk_status_to_string(ev->status));
	tsk__json_key(w, "carrier_status"); tsk__json_str(w, tsk__event_text(ev, TSK_EVENT_CARRIER_STATUS));
	tsk__json_key(w, "description"); tsk__json_str(w, tsk__event_text(ev, TSK_EVENT_DESCRIPTION));
	tsk__json_key(w, "location"); tsk__json_str(w, tsk__event_text(ev, TSK_EVENT_LOCATION));
	tsk__json_key(w, "location_code"); tsk__json_str(w, tsk__event_text(ev, TSK_EVENT_LOCATION_CODE));
	tsk__json_key(w, "region"); tsk__json_str(w, tsk__event_text(ev, TSK_EVENT_REGION));
	tsk__json_key(w, "postal_code"); tsk__json_str(w, tsk__event_text(ev, TSK_EVENT_POSTAL_CODE));
	/* the leg that reported it: only in shipments of several legs */
	const char *leg = tsk__event_text(ev, TSK__EVENT_LEG_CARRIER);
	if (leg) {
		tsk__json_key(w, "carrier"); tsk__json_str(w, leg);
	}
	/* TSK_JSON_SNAPSHOT: what the getters expose beyond the contract's
	 * fields, present only when set, so a snapshot reloads whole */
	if (w->snapshot && ev->exception != TSK_EXC_NONE) {
		tsk__json_key(w, "exception");
		tsk__json_str(w, tsk_exception_to_string(ev->exception));
	}
	if (w->snapshot && ev->unmapped) {
		tsk__json_key(w, "unmapped");
		if (w->status == TSK_OK)
			jw_ok(w, yajl_gen_bool(w->g, 1));
	}
	tsk__jw_map_close(w);
}

static void gen_confidence(tsk__jw *w, double c)
{
	char buf[32];
	if (!(c >= 0)) /* NaN too */
		c = 0;
	if (c > 1)
		c = 1;
	int n = snprintf(buf, sizeof buf, "%.2f", c);
	if (w->status == TSK_OK)
		jw_ok(w, yajl_gen_number(w->g, buf, (size_t)n));
}

void tsk__json_eta(tsk__jw *w, const tsk_eta *e)
{
	if (!e) {
		tsk__jw_null(w);
		return;
	}
	tsk__jw_map_open(w);
	tsk__json_key(w, "earliest"); tsk__json_time(w, &e->earliest);
	tsk__json_key(w, "latest"); tsk__json_time(w, &e->latest);
	tsk__json_key(w, "source"); tsk__json_str(w, tsk_eta_source_to_string(e->source));
	tsk__json_key(w, "confidence"); gen_confidence(w, e->confidence);
	tsk__json_key(w, "original");
	if (tsk_time_is_set(&e->original_earliest)) {
		tsk__jw_map_open(w);
		tsk__json_key(w, "earliest"); tsk__json_time(w, &e->original_earliest);
		tsk__json_key(w, "latest"); tsk__json_time(w, &e->original_latest);
		tsk__jw_map_close(w);
	} else {
		tsk__jw_null(w);
	}
	tsk__jw_map_close(w);
}

void tsk__json_exception(tsk__jw *w, const tsk_exception *e)
{
	tsk__jw_map_open(w);
	tsk__json_key(w, "code"); tsk__json_str(w, tsk_exception_to_string(e->code));
	tsk__json_key(w, "severity"); tsk__json_str(w, tsk_severity_to_string(e->severity));
	tsk__json_key(w, "time"); tsk__json_time(w, &e->time);
	tsk__json_key(w, "message"); tsk__json_str(w, e->message);
	tsk__json_key(w, "event_index"); tsk__jw_integer(w, e->event_index);
	tsk__jw_map_close(w);
}

static void gen_shipment(tsk__jw *w, const tsk_shipment *s)
{
	tsk__jw_map_open(w);
	tsk__json_key(w, "carrier"); tsk__json_str(w, s->carrier);
	tsk__json_key(w, "tracking_number"); tsk__json_str(w, s->number);
	tsk__json_key(w, "service"); tsk__json_str(w, s->text[TSK_SHIPMENT_SERVICE]);
	tsk__json_key(w, "status"); tsk__json_str(w, tsk_status_to_string(s->status));
	tsk__json_key(w, "status_text"); tsk__json_str(w, s->text[TSK_SHIPMENT_STATUS_TEXT]);
	tsk__json_key(w, "delivered_at"); tsk__json_time(w, &s->delivered_at);
	tsk__json_key(w, "eta"); tsk__json_eta(w, s->has_eta ? &s->eta : NULL);
	tsk__json_key(w, "exceptions");
	tsk__jw_array_open(w);
	for (size_t i = 0; i < s->nexceptions; i++)
		tsk__json_exception(w, &s->exceptions[i]);
	tsk__jw_array_close(w);
	tsk__json_key(w, "handoff");
	if (s->handoff_carrier) {
		tsk__jw_map_open(w);
		tsk__json_key(w, "carrier"); tsk__json_str(w, s->handoff_carrier);
		tsk__json_key(w, "tracking_number"); tsk__json_str(w, s->handoff_number);
		tsk__jw_map_close(w);
	} else {
		tsk__jw_null(w);
	}
	/* legs only once a hand-off was followed (additive to schema 1) */
	if (s->nlegs) {
		tsk__json_key(w, "legs");
		tsk__jw_array_open(w);
		for (size_t i = 0; i < s->nlegs; i++) {
			tsk__jw_map_open(w);
			tsk__json_key(w, "carrier"); tsk__json_str(w, s->legs[i].carrier);
			tsk__json_key(w, "tracking_number"); tsk__json_str(w, s->legs[i].number);
			tsk__jw_map_close(w);
		}
		tsk__jw_array_close(w);
	}
	tsk__json_key(w, "next_poll"); tsk__json_time(w, &s->next_poll);
	tsk__json_key(w, "events");
	tsk__jw_array_open(w);
	for (size_t i = 0; i < s->nevents; i++)
		tsk__json_event(w, tsk__shipment_event(s, i), -1);
	tsk__jw_array_close(w);
	tsk__json_key(w, "error");
	if (s->error != TSK_OK) {
		tsk__jw_map_open(w);
		tsk__json_key(w, "code"); tsk__json_str(w, tsk_error_name(s->error));
		tsk__json_key(w, "message"); tsk__json_str(w, s->error_message);
		tsk__jw_map_close(w);
	} else {
		tsk__jw_null(w);
	}
	/* TSK_JSON_SNAPSHOT (see tsk__json_event) */
	if (w->snapshot && s->text[TSK_SHIPMENT_LAYOUT]) {
		tsk__json_key(w, "layout");
		tsk__json_str(w, s->text[TSK_SHIPMENT_LAYOUT]);
	}
	if (w->snapshot && s->also_known_by) {
		tsk__json_key(w, "also_known_by");
		tsk__json_str(w, s->also_known_by);
	}
	tsk__jw_map_close(w);
}

TSK_API int tsk_shipment_to_json(char **out, size_t *len_out, const tsk_shipment *s, unsigned int flags)
{
	if (!out || !s)
		return TSK_EINVAL;
	*out = NULL;
	tsk__jw w;
	int rc = tsk__jw_open(&w, (flags & TSK_JSON_PRETTY) != 0, "  ");
	if (rc != TSK_OK)
		return rc;
	w.snapshot = (flags & TSK_JSON_SNAPSHOT) != 0;
	gen_shipment(&w, s);
	return tsk__jw_close(&w, out, len_out);
}

TSK_API int tsk_shipment_list_to_json(char **out, size_t *len_out, const tsk_shipment_list *l,
                                      unsigned int flags)
{
	if (!out || !l)
		return TSK_EINVAL;
	*out = NULL;
	tsk__jw w;
	int rc = tsk__jw_open(&w, (flags & TSK_JSON_PRETTY) != 0, "  ");
	if (rc != TSK_OK)
		return rc;
	w.snapshot = (flags & TSK_JSON_SNAPSHOT) != 0;
	tsk__jw_map_open(&w);
	tsk__json_key(&w, "schema");
	tsk__jw_integer(&w, TSK_JSON_SCHEMA);
	tsk__json_key(&w, "shipments");
	tsk__jw_array_open(&w);
	for (size_t i = 0; i < l->count; i++)
		gen_shipment(&w, l->items[i]);
	tsk__jw_array_close(&w);
	tsk__jw_map_close(&w);
	return tsk__jw_close(&w, out, len_out);
}

/* ----------------------------------------------------------------- reader */

struct reader {
	tsk_error *err;
	char path[128];
};

static int fail(struct reader *r, const char *key, const char *what)
{
	tsk_error_set_where(r->err, "%s%s%s", r->path, r->path[0] && key ? "." : "", key ? key : "");
	return tsk_error_set(r->err, TSK_EPARSE, "%s%s%s: %s", r->path, r->path[0] && key ? "." : "",
	                     key ? key : "", what);
}

static yajl_val field(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

/* Optional string: absent or null -> NULL; wrong type -> error. */
static int read_str(struct reader *r, yajl_val obj, const char *key, const char **out)
{
	yajl_val v = field(obj, key);
	*out = NULL;
	if (!v || YAJL_IS_NULL(v))
		return TSK_OK;
	if (!YAJL_IS_STRING(v))
		return fail(r, key, "expected a string or null");
	*out = YAJL_GET_STRING(v);
	return TSK_OK;
}

static int read_time(struct reader *r, yajl_val obj, const char *key, tsk_time *out)
{
	const char *s;
	memset(out, 0, sizeof *out);
	int rc = read_str(r, obj, key, &s);
	if (rc != TSK_OK || !s)
		return rc;
	if (tsk_time_parse_rfc3339(out, s) != TSK_OK)
		return fail(r, key, "expected an RFC 3339 time");
	return TSK_OK;
}

static int set_text(char **slot, const char *v)
{
	return tsk__strset(slot, v) ? TSK_ENOMEM : TSK_OK;
}

static int read_event(struct reader *r, yajl_val v, tsk_event **out)
{
	if (!YAJL_IS_OBJECT(v))
		return fail(r, NULL, "expected an event object");
	tsk_event *ev;
	if (tsk_event_new(&ev) != TSK_OK)
		return TSK_ENOMEM;
	int rc = read_time(r, v, "time", &ev->time);
	const char *prec = NULL, *st = NULL;
	if (rc == TSK_OK)
		rc = read_str(r, v, "time_precision", &prec);
	if (rc == TSK_OK && tsk_time_is_set(&ev->time)) {
		if (prec && strcmp(prec, "day") == 0)
			ev->time.precision = TSK_PRECISION_DAY;
		else if (!prec || strcmp(prec, "minute") == 0)
			ev->time.precision = TSK_PRECISION_MINUTE;
		else
			rc = fail(r, "time_precision", "expected \"minute\", \"day\" or null");
	}
	if (rc == TSK_OK)
		rc = read_str(r, v, "status", &st);
	tsk_status status;
	if (rc == TSK_OK && st && tsk_status_from_string(&status, st) != TSK_OK)
		rc = fail(r, "status", "unknown status");
	else if (rc == TSK_OK && st)
		ev->status = (uint8_t)status;
	static const struct {
		const char *key;
		tsk_event_field f;
	} texts[] = {
		{ "time_raw", TSK_EVENT_TIME_RAW },       { "carrier_status", TSK_EVENT_CARRIER_STATUS },
		{ "description", TSK_EVENT_DESCRIPTION }, { "location", TSK_EVENT_LOCATION },
		{ "location_code", TSK_EVENT_LOCATION_CODE }, { "region", TSK_EVENT_REGION },
		{ "postal_code", TSK_EVENT_POSTAL_CODE },
	};
	for (size_t i = 0; rc == TSK_OK && i < TSK__ARRAY_LEN(texts); i++) {
		const char *t;
		rc = read_str(r, v, texts[i].key, &t);
		if (rc == TSK_OK)
			rc = set_text(&tsk__event_owned(ev)[texts[i].f], t);
	}
	const char *leg = NULL;
	if (rc == TSK_OK)
		rc = read_str(r, v, "carrier", &leg);
	if (rc == TSK_OK && leg)
		rc = tsk__event_set_carrier(ev, leg);
	const char *exc = NULL;
	if (rc == TSK_OK)
		rc = read_str(r, v, "exception", &exc);
	tsk_exception_code code;
	if (rc == TSK_OK && exc && tsk_exception_from_string(&code, exc) != TSK_OK)
		rc = fail(r, "exception", "unknown exception code");
	else if (rc == TSK_OK && exc)
		ev->exception = (uint8_t)code;
	yajl_val um = field(v, "unmapped");
	if (rc == TSK_OK && um && !YAJL_IS_NULL(um)) {
		if (!YAJL_IS_TRUE(um) && !YAJL_IS_FALSE(um))
			rc = fail(r, "unmapped", "expected true or false");
		else
			ev->unmapped = YAJL_IS_TRUE(um);
	}
	if (rc != TSK_OK) {
		tsk_event_free(ev);
		return rc;
	}
	*out = ev;
	return TSK_OK;
}

static int read_shipment(struct reader *r, yajl_val v, tsk_shipment **out)
{
	if (!YAJL_IS_OBJECT(v))
		return fail(r, NULL, "expected a shipment object");
	const char *carrier, *number;
	int rc = read_str(r, v, "carrier", &carrier);
	if (rc == TSK_OK)
		rc = read_str(r, v, "tracking_number", &number);
	if (rc != TSK_OK)
		return rc;
	if (!carrier)
		return fail(r, "carrier", "required");
	if (!number)
		return fail(r, "tracking_number", "required");
	tsk_shipment *s;
	if (tsk_shipment_new(&s, carrier, number) != TSK_OK)
		return TSK_ENOMEM;
	const char *t;
	if (rc == TSK_OK && (rc = read_str(r, v, "service", &t)) == TSK_OK)
		rc = set_text(&s->text[TSK_SHIPMENT_SERVICE], t);
	if (rc == TSK_OK && (rc = read_str(r, v, "status_text", &t)) == TSK_OK)
		rc = set_text(&s->text[TSK_SHIPMENT_STATUS_TEXT], t);
	if (rc == TSK_OK && (rc = read_str(r, v, "layout", &t)) == TSK_OK)
		rc = set_text(&s->text[TSK_SHIPMENT_LAYOUT], t);
	if (rc == TSK_OK && (rc = read_str(r, v, "also_known_by", &t)) == TSK_OK)
		rc = set_text(&s->also_known_by, t);
	tsk_status status;
	if (rc == TSK_OK && (rc = read_str(r, v, "status", &t)) == TSK_OK && t) {
		if (tsk_status_from_string(&status, t) != TSK_OK)
			rc = fail(r, "status", "unknown status");
		else
			s->status = (uint8_t)status;
	}
	if (rc == TSK_OK)
		rc = read_time(r, v, "delivered_at", &s->delivered_at);
	if (rc == TSK_OK)
		rc = read_time(r, v, "next_poll", &s->next_poll);

	yajl_val eta = field(v, "eta");
	if (rc == TSK_OK && eta && !YAJL_IS_NULL(eta)) {
		if (!YAJL_IS_OBJECT(eta)) {
			rc = fail(r, "eta", "expected an object or null");
		} else {
			s->has_eta = true;
			rc = read_time(r, eta, "earliest", &s->eta.earliest);
			if (rc == TSK_OK)
				rc = read_time(r, eta, "latest", &s->eta.latest);
			if (rc == TSK_OK && (rc = read_str(r, eta, "source", &t)) == TSK_OK) {
				s->eta.source = t && strcmp(t, "carrier") == 0 ? TSK_ETA_CARRIER :
				                t && strcmp(t, "model") == 0   ? TSK_ETA_MODEL : TSK_ETA_NONE;
				if (s->eta.source == TSK_ETA_NONE)
					rc = fail(r, "eta.source", "expected \"carrier\" or \"model\"");
			}
			yajl_val conf = field(eta, "confidence");
			if (rc == TSK_OK && conf && !YAJL_IS_NULL(conf)) {
				if (!YAJL_IS_NUMBER(conf))
					rc = fail(r, "eta.confidence", "expected a number");
				else
					s->eta.confidence = YAJL_GET_DOUBLE(conf);
			}
			yajl_val orig = field(eta, "original");
			if (rc == TSK_OK && orig && YAJL_IS_OBJECT(orig)) {
				rc = read_time(r, orig, "earliest", &s->eta.original_earliest);
				if (rc == TSK_OK)
					rc = read_time(r, orig, "latest", &s->eta.original_latest);
			} else if (rc == TSK_OK && orig && !YAJL_IS_NULL(orig)) {
				rc = fail(r, "eta.original", "expected an object or null");
			}
		}
	}

	yajl_val exc = field(v, "exceptions");
	if (rc == TSK_OK && exc && !YAJL_IS_NULL(exc)) {
		if (!YAJL_IS_ARRAY(exc))
			rc = fail(r, "exceptions", "expected an array");
		for (size_t i = 0; rc == TSK_OK && i < exc->u.array.len; i++) {
			yajl_val e = exc->u.array.values[i];
			tsk_exception_code code;
			tsk_severity sev;
			tsk_time when;
			const char *c = NULL, *sv = NULL, *msg = NULL;
			if (!YAJL_IS_OBJECT(e)) {
				rc = fail(r, "exceptions", "expected objects");
				break;
			}
			rc = read_str(r, e, "code", &c);
			if (rc == TSK_OK && (!c || tsk_exception_from_string(&code, c) != TSK_OK))
				rc = fail(r, "exceptions.code", "unknown exception code");
			if (rc == TSK_OK)
				rc = read_str(r, e, "severity", &sv);
			if (rc == TSK_OK && (!sv || tsk_severity_from_string(&sev, sv) != TSK_OK))
				rc = fail(r, "exceptions.severity", "expected info, warning or critical");
			if (rc == TSK_OK)
				rc = read_time(r, e, "time", &when);
			if (rc == TSK_OK)
				rc = read_str(r, e, "message", &msg);
			yajl_val idx = field(e, "event_index");
			long index = -1;
			if (rc == TSK_OK && idx && !YAJL_IS_NULL(idx)) {
				if (!YAJL_IS_INTEGER(idx))
					rc = fail(r, "exceptions.event_index", "expected an integer");
				else
					index = (long)YAJL_GET_INTEGER(idx);
			}
			if (rc == TSK_OK)
				rc = tsk__shipment_add_exception(s, code, sev, &when, msg, index);
		}
	}

	yajl_val hand = field(v, "handoff");
	if (rc == TSK_OK && hand && !YAJL_IS_NULL(hand)) {
		const char *hc = NULL, *hn = NULL;
		if (!YAJL_IS_OBJECT(hand))
			rc = fail(r, "handoff", "expected an object or null");
		if (rc == TSK_OK)
			rc = read_str(r, hand, "carrier", &hc);
		if (rc == TSK_OK)
			rc = read_str(r, hand, "tracking_number", &hn);
		if (rc == TSK_OK)
			rc = tsk_shipment_set_handoff(s, hc, hn);
	}

	yajl_val legs = field(v, "legs");
	if (rc == TSK_OK && legs && !YAJL_IS_NULL(legs)) {
		if (!YAJL_IS_ARRAY(legs))
			rc = fail(r, "legs", "expected an array or null");
		for (size_t i = 0; rc == TSK_OK && i < legs->u.array.len; i++) {
			yajl_val l = legs->u.array.values[i];
			const char *lc = NULL, *ln = NULL;
			if (!YAJL_IS_OBJECT(l))
				rc = fail(r, "legs", "expected objects");
			if (rc == TSK_OK)
				rc = read_str(r, l, "carrier", &lc);
			if (rc == TSK_OK)
				rc = read_str(r, l, "tracking_number", &ln);
			if (rc == TSK_OK && (!lc || !ln))
				rc = fail(r, "legs", "a leg needs carrier and tracking_number");
			if (rc == TSK_OK)
				rc = tsk__shipment_add_leg(s, lc, ln);
		}
	}

	yajl_val evs = field(v, "events");
	if (rc == TSK_OK && evs && !YAJL_IS_NULL(evs)) {
		if (!YAJL_IS_ARRAY(evs))
			rc = fail(r, "events", "expected an array");
		for (size_t i = 0; rc == TSK_OK && i < evs->u.array.len; i++) {
			size_t plen = strlen(r->path);
			snprintf(r->path + plen, sizeof r->path - plen, "%sevents[%zu]", plen ? "." : "", i);
			tsk_event *ev = NULL;
			rc = read_event(r, evs->u.array.values[i], &ev);
			r->path[plen] = '\0';
			if (rc == TSK_OK)
				rc = tsk_shipment_append_event(s, ev);
		}
	}

	yajl_val err = field(v, "error");
	if (rc == TSK_OK && err && !YAJL_IS_NULL(err)) {
		const char *c = NULL, *msg = NULL;
		int code;
		if (!YAJL_IS_OBJECT(err))
			rc = fail(r, "error", "expected an object or null");
		if (rc == TSK_OK)
			rc = read_str(r, err, "code", &c);
		if (rc == TSK_OK && (!c || tsk_error_from_name(&code, c) != TSK_OK || code == TSK_OK))
			rc = fail(r, "error.code", "unknown error code");
		if (rc == TSK_OK)
			rc = read_str(r, err, "message", &msg);
		if (rc == TSK_OK)
			rc = tsk_shipment_set_error(s, code, msg);
	}
	if (rc != TSK_OK) {
		tsk_shipment_free(s);
		return rc;
	}
	*out = s;
	return TSK_OK;
}

static yajl_val parse_text(const char *json, size_t len, tsk_error *err)
{
	char why[160];
	yajl_val v;
	int rc = tsk__json_parse(&v, json, len, TSK__SNAPSHOT_MAX_BYTES, why, sizeof why);
	if (rc == TSK_ENOMEM)
		tsk_error_set(err, TSK_ENOMEM, "out of memory");
	else if (rc != TSK_OK)
		tsk_error_set(err, TSK_EPARSE, "invalid JSON: %s", why);
	return rc == TSK_OK ? v : NULL;
}

TSK_API int tsk_shipment_from_json(tsk_shipment **out, const char *json, size_t len, tsk_error *err)
{
	if (!out || !json)
		return tsk_error_set(err, TSK_EINVAL, "missing argument");
	*out = NULL;
	tsk_error local;
	if (!err)
		err = &local;
	tsk_error_clear(err);
	yajl_val v = parse_text(json, len, err);
	if (!v)
		return err->code;
	struct reader r = { err, "" };
	int rc = read_shipment(&r, v, out);
	tsk__json_free(v);
	return rc;
}

TSK_API int tsk_shipment_list_from_json(tsk_shipment_list **out, const char *json, size_t len,
                                        tsk_error *err)
{
	if (!out || !json)
		return tsk_error_set(err, TSK_EINVAL, "missing argument");
	*out = NULL;
	tsk_error local;
	if (!err)
		err = &local;
	tsk_error_clear(err);
	yajl_val v = parse_text(json, len, err);
	if (!v)
		return err->code;
	struct reader r = { err, "" };
	int rc = TSK_OK;
	yajl_val schema = field(v, "schema");
	yajl_val ships = field(v, "shipments");
	if (!YAJL_IS_OBJECT(v))
		rc = fail(&r, NULL, "expected {\"schema\":1,\"shipments\":[...]}");
	else if (!schema || !YAJL_IS_INTEGER(schema) || YAJL_GET_INTEGER(schema) != TSK_JSON_SCHEMA)
		rc = fail(&r, "schema", "expected 1");
	else if (!ships || !YAJL_IS_ARRAY(ships))
		rc = fail(&r, "shipments", "expected an array");
	tsk_shipment_list *l = NULL;
	if (rc == TSK_OK && tsk_shipment_list_new(&l) != TSK_OK)
		rc = tsk_error_set(err, TSK_ENOMEM, "out of memory");
	for (size_t i = 0; rc == TSK_OK && i < ships->u.array.len; i++) {
		snprintf(r.path, sizeof r.path, "shipments[%zu]", i);
		tsk_shipment *s = NULL;
		rc = read_shipment(&r, ships->u.array.values[i], &s);
		if (rc == TSK_OK)
			rc = tsk_shipment_list_append(l, s);
	}
	tsk__json_free(v);
	if (rc != TSK_OK) {
		tsk_shipment_list_free(l);
		return rc;
	}
	*out = l;
	return TSK_OK;
}
