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
#include "model.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* ----------------------------------------------------------------- writer */


void tsk__json_str(yajl_gen g, const char *s)
{
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
}

void tsk__json_key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

void tsk__json_time(yajl_gen g, const tsk_time *t)
{
	if (!t || !tsk_time_is_set(t)) {
		yajl_gen_null(g);
		return;
	}
	char buf[48];
	tsk_time_format(buf, sizeof buf, t);
	tsk__json_str(g, buf);
}

static void gen_precision(yajl_gen g, const tsk_time *t)
{
	switch (t->precision) {
	case TSK_PRECISION_DAY: tsk__json_str(g, "day"); break;
	case TSK_PRECISION_MINUTE: tsk__json_str(g, "minute"); break;
	default: yajl_gen_null(g); break;
	}
}

void tsk__json_event(yajl_gen g, const tsk_event *ev, long index)
{
	yajl_gen_map_open(g);
	if (index >= 0) {
		tsk__json_key(g, "index");
		yajl_gen_integer(g, index);
	}
	tsk__json_key(g, "time"); tsk__json_time(g, &ev->time);
	tsk__json_key(g, "time_precision"); gen_precision(g, &ev->time);
	tsk__json_key(g, "time_raw"); tsk__json_str(g, ev->text[TSK_EVENT_TIME_RAW]);
	tsk__json_key(g, "status"); tsk__json_str(g, tsk_status_to_string(ev->status));
	tsk__json_key(g, "carrier_status"); tsk__json_str(g, ev->text[TSK_EVENT_CARRIER_STATUS]);
	tsk__json_key(g, "description"); tsk__json_str(g, ev->text[TSK_EVENT_DESCRIPTION]);
	tsk__json_key(g, "location"); tsk__json_str(g, ev->text[TSK_EVENT_LOCATION]);
	tsk__json_key(g, "location_code"); tsk__json_str(g, ev->text[TSK_EVENT_LOCATION_CODE]);
	tsk__json_key(g, "region"); tsk__json_str(g, ev->text[TSK_EVENT_REGION]);
	tsk__json_key(g, "postal_code"); tsk__json_str(g, ev->text[TSK_EVENT_POSTAL_CODE]);
	yajl_gen_map_close(g);
}

static void gen_confidence(yajl_gen g, double c)
{
	char buf[32];
	if (c < 0)
		c = 0;
	if (c > 1)
		c = 1;
	int n = snprintf(buf, sizeof buf, "%.2f", c);
	yajl_gen_number(g, buf, (size_t)n);
}

void tsk__json_eta(yajl_gen g, const tsk_eta *e)
{
	if (!e) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	tsk__json_key(g, "earliest"); tsk__json_time(g, &e->earliest);
	tsk__json_key(g, "latest"); tsk__json_time(g, &e->latest);
	tsk__json_key(g, "source"); tsk__json_str(g, tsk_eta_source_to_string(e->source));
	tsk__json_key(g, "confidence"); gen_confidence(g, e->confidence);
	tsk__json_key(g, "original");
	if (tsk_time_is_set(&e->original_earliest)) {
		yajl_gen_map_open(g);
		tsk__json_key(g, "earliest"); tsk__json_time(g, &e->original_earliest);
		tsk__json_key(g, "latest"); tsk__json_time(g, &e->original_latest);
		yajl_gen_map_close(g);
	} else {
		yajl_gen_null(g);
	}
	yajl_gen_map_close(g);
}

void tsk__json_exception(yajl_gen g, const tsk_exception *e)
{
	yajl_gen_map_open(g);
	tsk__json_key(g, "code"); tsk__json_str(g, tsk_exception_to_string(e->code));
	tsk__json_key(g, "severity"); tsk__json_str(g, tsk_severity_to_string(e->severity));
	tsk__json_key(g, "time"); tsk__json_time(g, &e->time);
	tsk__json_key(g, "message"); tsk__json_str(g, e->message);
	tsk__json_key(g, "event_index"); yajl_gen_integer(g, e->event_index);
	yajl_gen_map_close(g);
}

static void gen_shipment(yajl_gen g, const tsk_shipment *s)
{
	yajl_gen_map_open(g);
	tsk__json_key(g, "carrier"); tsk__json_str(g, s->carrier);
	tsk__json_key(g, "tracking_number"); tsk__json_str(g, s->number);
	tsk__json_key(g, "service"); tsk__json_str(g, s->text[TSK_SHIPMENT_SERVICE]);
	tsk__json_key(g, "status"); tsk__json_str(g, tsk_status_to_string(s->status));
	tsk__json_key(g, "status_text"); tsk__json_str(g, s->text[TSK_SHIPMENT_STATUS_TEXT]);
	tsk__json_key(g, "delivered_at"); tsk__json_time(g, &s->delivered_at);
	tsk__json_key(g, "eta"); tsk__json_eta(g, s->has_eta ? &s->eta : NULL);
	tsk__json_key(g, "exceptions");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->nexceptions; i++)
		tsk__json_exception(g, &s->exceptions[i]);
	yajl_gen_array_close(g);
	tsk__json_key(g, "handoff");
	if (s->handoff_carrier) {
		yajl_gen_map_open(g);
		tsk__json_key(g, "carrier"); tsk__json_str(g, s->handoff_carrier);
		tsk__json_key(g, "tracking_number"); tsk__json_str(g, s->handoff_number);
		yajl_gen_map_close(g);
	} else {
		yajl_gen_null(g);
	}
	tsk__json_key(g, "next_poll"); tsk__json_time(g, &s->next_poll);
	tsk__json_key(g, "events");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->nevents; i++)
		tsk__json_event(g, s->events[i], -1);
	yajl_gen_array_close(g);
	tsk__json_key(g, "error");
	if (s->error != TSK_OK) {
		yajl_gen_map_open(g);
		tsk__json_key(g, "code"); tsk__json_str(g, tsk_error_name(s->error));
		tsk__json_key(g, "message"); tsk__json_str(g, s->error_message);
		yajl_gen_map_close(g);
	} else {
		yajl_gen_null(g);
	}
	yajl_gen_map_close(g);
}

static yajl_gen new_gen(unsigned int flags)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return NULL;
	yajl_gen_config(g, yajl_gen_beautify, (flags & TSK_JSON_PRETTY) ? 1 : 0);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	/* the contract is UTF-8 text: keep Japanese as is, validate it */
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	return g;
}

static int finish_gen(yajl_gen g, char **out, size_t *len_out)
{
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return TSK_EINVAL; /* invalid UTF-8 slipped into a string */
	}
	/* drop the trailing newline the beautifier adds */
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	*out = tsk__strndup((const char *)buf, len);
	yajl_gen_free(g);
	if (!*out)
		return TSK_ENOMEM;
	if (len_out)
		*len_out = len;
	return TSK_OK;
}

TSK_API int tsk_shipment_to_json(char **out, size_t *len_out, const tsk_shipment *s, unsigned int flags)
{
	if (!out || !s)
		return TSK_EINVAL;
	*out = NULL;
	yajl_gen g = new_gen(flags);
	if (!g)
		return TSK_ENOMEM;
	gen_shipment(g, s);
	return finish_gen(g, out, len_out);
}

TSK_API int tsk_shipment_list_to_json(char **out, size_t *len_out, const tsk_shipment_list *l,
                                      unsigned int flags)
{
	if (!out || !l)
		return TSK_EINVAL;
	*out = NULL;
	yajl_gen g = new_gen(flags);
	if (!g)
		return TSK_ENOMEM;
	yajl_gen_map_open(g);
	tsk__json_key(g, "schema");
	yajl_gen_integer(g, TSK_JSON_SCHEMA);
	tsk__json_key(g, "shipments");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < l->count; i++)
		gen_shipment(g, l->items[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return finish_gen(g, out, len_out);
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
	if (rc == TSK_OK && st && tsk_status_from_string(&ev->status, st) != TSK_OK)
		rc = fail(r, "status", "unknown status");
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
			rc = set_text(&ev->text[texts[i].f], t);
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
	if (rc == TSK_OK && (rc = read_str(r, v, "status", &t)) == TSK_OK && t &&
	    tsk_status_from_string(&s->status, t) != TSK_OK)
		rc = fail(r, "status", "unknown status");
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
	char *copy = tsk__strndup(json, len);
	if (!copy) {
		tsk_error_set(err, TSK_ENOMEM, "out of memory");
		return NULL;
	}
	char errbuf[256] = "";
	yajl_val v = yajl_tree_parse(copy, errbuf, sizeof errbuf);
	free(copy);
	if (!v) {
		/* yajl's message spans lines; keep the first */
		char *nl = strchr(errbuf, '\n');
		if (nl)
			*nl = '\0';
		tsk_error_set(err, TSK_EPARSE, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
	}
	return v;
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
	yajl_tree_free(v);
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
	yajl_tree_free(v);
	if (rc != TSK_OK) {
		tsk_shipment_list_free(l);
		return rc;
	}
	*out = l;
	return TSK_OK;
}
