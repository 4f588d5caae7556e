/*
 * The generic REST/JSON adapter: one registry entry "rest:<name>" per
 * mapping file, so a new JSON tracking API needs a mapping, not C code.
 *
 * Invariants: an adapter owns its compiled mapping and frees it in destroy;
 * build_requests adds either every request of a call or none; parse is a
 * pure function of the response (no clock, no I/O), keeps the API's event
 * order (reversed once for newest_first APIs) and never sorts by time;
 * credentials come only from the variables the mapping declares in
 * "credentials".
 *
 * ==================================================================
 * Mapping format, version 1 (JSON; comments are allowed)
 * ==================================================================
 *
 *   {
 *     "name": "aftership",            required; [a-z0-9][a-z0-9_-]*, <= 48; carrier "rest:aftership"
 *     "display_name": "AfterShip",    optional (default: name)
 *     "customer_name": { "ja": "…", "en": "…" }   optional: the carrier's name in texts
 *                                     to customers (fleet notifications' {carrier}), per
 *                                     language, each non-empty; a missing one: display_name
 *     "description": "…",             optional, free text
 *     "version": 1,                   required: the mapping format version
 *     "base_url": "https://…",        required: {endpoint}; the environment variable
 *                                     TSUISEKI_ENDPOINT_REST_<NAME> or tsk_ctx_set_endpoint() replace it
 *     "credentials": ["AFTERSHIP_API_KEY"],   the variables the templates may read (${NAME}),
 *                                     at most 16; any other ${NAME} fails the load naming its key
 *                                     path, so a mapping cannot read $HOME or another service's
 *                                     secret. Their values are redacted from every message.
 *     "number_pattern": {             optional; without it the carrier claims no number in
 *       "chars": "0-9A-Z",            auto mode (confidence 0) yet takes any number when named
 *       "min_length": 8,              explicitly (TSK_ADAPTER_ANY_NUMBER). With it, numbers made
 *       "max_length": 30,             of these characters (ranges and single characters; numbers
 *       "confidence": 0.1             are normalized to 0-9 A-Z) and lengths get this confidence
 *     },                              (0 < c <= 1, default 0.1) and others are refused.
 *     "request": {
 *       "method": "GET" | "POST",     default GET, or POST when a body is given
 *       "url": "{endpoint}/trackings?tracking_numbers={numbers}",
 *       "headers": { "as-api-key": "${AFTERSHIP_API_KEY}" },
 *       "basic_auth": { "username": "${EASYPOST_API_KEY}", "password": "" },
 *       "body": [ { "number": "{number}" } ],   a JSON template (POST only)
 *       "content_type": "application/json",    default for a body
 *       "batch_size": 40,             numbers per request, 1..64 (default 1)
 *       "number_separator": ","       joins {numbers} (default ",")
 *     },
 *     "response": { … see below … },
 *     "transit": [ … ], "stall": [ … ], "pickup": { … }   optional delivery tables, below
 *   }
 *
 * Templates (url, header values, basic_auth, strings in body):
 *   {endpoint}  the base URL in force, without a trailing '/'
 *   {number}    the tracking number: percent-encoded in the URL, JSON-escaped in a body
 *   {numbers}   every number of the batch, each encoded, joined by number_separator
 *   {locale}    "ja" or "en"
 *   ${NAME}     the variable NAME, one of "credentials": tsk_ctx_set_variable(), else the
 *               environment unless the context ignores it; read when the request is built
 *               (a missing one is TSK_ECONFIG naming it); "{{" is a literal "{".
 * In a body, an array of exactly one element that mentions {number} is
 * repeated once per number of the batch ([{"number":"{number}"}] becomes
 * [{"number":"A"},{"number":"B"}]); any other {number} needs batch_size 1.
 *
 * Paths: keys joined by '.', each optionally followed by [N] (negative:
 * from the end) or [*] (every element): "data.accepted[*]",
 * "track_info.tracking.providers[0].events[*]"; "$" is the node itself.
 * Where a path gives shipments or events, the first of the listed paths
 * that reaches anything is used and an array reached is taken element by
 * element (so "data.accepted" with [] means "no shipments", not "absent").
 *
 * Value specs (the fields below): "a.b" (several values reached are joined
 * with ", "), ["city", "state"] (non-empty values joined with ", "; with
 * " " for time, time_raw, eta and eta_latest), {"first": [spec, …]} (the
 * first non-empty), {"join": [spec, …], "separator": " "}, {"const": "text"}.
 *
 *   "response": {
 *     "shipments": "data.tracking" | [paths],    required, from the document root
 *     "webhook": {                               optional: what the service pushes
 *       "shipments": "msg" | [paths],            used instead of "shipments" when
 *       "when": {"path": "event"}                "when" holds (default: when it reaches anything)
 *     },
 *     "shipment": {                              fields relative to one shipment
 *       "number": spec,                          required; a shipment without one is TSK_ELAYOUT
 *       "status": spec | [spec, …],              codes for status_map, most specific first
 *       "status_text", "service", "origin", "destination": spec,
 *       "eta", "eta_latest": spec                the API's delivery estimate (a date means the whole day)
 *     },
 *     "events": "checkpoints" | [paths],         relative to a shipment; needs "event"
 *     "events_order": "oldest_first" | "newest_first",   default oldest_first
 *     "event": {
 *       "time_raw": spec,                        the API's own time text (time_raw)
 *       "time": spec,                            parsed (default: time_raw)
 *       "status": spec | [spec, …],              codes for status_map, most specific first
 *       "status_text": spec,                     the carrier's words (carrier_status)
 *       "description", "location", "location_code", "region", "postal_code": spec
 *     },
 *     "time_format": "iso8601" | "unix" | "unix_ms",   default iso8601: RFC 3339, or a local
 *     "time_offset": "+09:00",                   ISO time without offset read in time_offset
 *                                                (default +09:00, DESIGN.md "Time"); unix times
 *                                                are shown in time_offset
 *     "status_map": {                            API code -> normalized status
 *       "Delivered": "delivered",
 *       "DeliveryFailure_InvalidAddress": {"status": "failed_attempt", "exception": "address_problem"},
 *       "InTransit_*": "in_transit",             prefix entry; an exact entry wins, then the longest prefix
 *       "status_update": null                    known but not decisive: try the next code
 *     },
 *     "not_found": {                             from the document root
 *       "http_status": [404],                    and/or
 *       "when": {"path": "meta.code", "equals": [4004]},
 *       "message": spec
 *     },
 *     "error": {"when": {"path": "code", "not_equals": [0]}, "message": spec},
 *     "rejected": {                              per-number refusals (17TRACK data.rejected)
 *       "items": "data.rejected[*]", "number": spec, "message": spec,
 *       "not_found": {"path": "error.code", "equals": [-18019902]}
 *     }
 *   }
 *
 * Conditions: {"path": P} holds when P reaches a non-null value;
 * {"path": P, "equals": v | [v…]} when a value reached equals one listed
 * (strings, numbers, booleans, null); {"path": P, "not_equals": […]} when P
 * reaches values and none is listed.
 *
 * Status codes: the first code present that status_map knows decides the
 * status (and implied exception); a code present but unknown flags the
 * event unmapped (unmapped_status is raised) even when a later code
 * decides. The shipment's codes set its current state, which wins over the
 * last event (DESIGN.md "Timeline"); a shipment whose state is not_found
 * and that has no events is a not_found shipment.
 *
 * Parsing order: HTTP status listed in not_found -> not found for every
 * number asked; not JSON -> TSK_EPARSE (TSK_EHTTP for an HTTP error);
 * not_found.when -> not found; an HTTP status >= 400 or error.when ->
 * TSK_EHTTP (429: TSK_ERATELIMITED) with the API's message; then the
 * shipments (webhook first), then rejected items for numbers asked (a
 * saved file parsed without numbers reports only the shipments). Neither
 * shipments nor rejected items found -> TSK_ELAYOUT naming the paths.
 * Numbers are normalized like input numbers (upper case, no separators).
 *
 * Delivery tables (optional; the adapter's tsk_carrier_tables). Without
 * them the model ETA, the stall thresholds and the pickup deadline are the
 * library's generic ones (lib/data/transit.def, stall.def; no pickup
 * deadline). Rows are tried in order, the first that matches wins.
 *
 *   "transit": [                          1..64 rows: the model ETA's transit days
 *     { "service": "express",             required: the service id learned lanes are kept under
 *       "keywords": ["Express", "速達"],   words looked for in the shipment's "service" text
 *                                         (case- and width-insensitive); omitted: any service
 *       "calendar": "every_day",          or "mail_days" (not Sundays and holidays, not Saturdays
 *                                         from 2021-10-02); default every_day
 *       "cutoff_hour": 21,                accepted at or after it counts from the next day (0..24)
 *       "since": "2021-10-02",            the row holds for acceptance on or after this day
 *       "hours": [8, 21],                 delivery hours of a day
 *       "days": [[1,1],[1,2],[1,2],[2,3]],   required: first and last day after acceptance for
 *                                         distance classes 0..3 (neighbouring regions .. far ends)
 *       "days_unknown": [1, 3],           when a region is unknown (default: the widest of "days")
 *       "confidence": 0.4,                0..1 with both regions known,
 *       "confidence_nationwide": 0.3 }    0..1 with one unknown
 *   ],                                    defaults are those of the generic parcel row
 *   "stall": [                            1..64 rows, before the generic ones
 *     { "service": "express",             a transit row's service, or "*" (the default)
 *       "status": "in_transit",           required
 *       "hours": 96 }                     required: hours without an event (delivery days only
 *   ],                                    for mail_days); 0 = never stalls in that status
 *   "pickup": {                           how long a parcel is held after the first notice
 *     "days": 7,                          required, 1..365
 *     "first_day_counts": true,           the notice day is day 1 (default false: the next day is)
 *     "warn_days": 2 }                    pickup_deadline_near this many days before (default 2)
 */
#define _GNU_SOURCE
#include "rest_internal.h"
#include "carriers.h"
#include "request.h"
#include "tsuiseki/rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tsk__rest_mapping *mapping_of(const tsk_adapter *a)
{
	return a->userdata;
}

/* ------------------------------------------------------------ recognize */

static int rest_recognize(const tsk_adapter *self, const char *number, double *confidence_out,
                          tsk_error *err)
{
	(void)err;
	const tsk__rest_mapping *m = mapping_of(self);
	*confidence_out = 0;
	if (!m->has_pattern || !number)
		return TSK_OK;
	size_t n = strlen(number);
	if (n < m->min_len || n > m->max_len)
		return TSK_OK;
	for (size_t i = 0; i < n; i++)
		if (!m->allowed[(unsigned char)number[i]])
			return TSK_OK;
	*confidence_out = m->confidence;
	return TSK_OK;
}

/* -------------------------------------------------------------- requests */

enum { ENC_URL = 0, ENC_RAW, ENC_JSON };

struct expand_ctx {
	const tsk__rest_mapping *m;
	const tsk_request_env *env;
	const char *const *numbers;
	size_t count;
	const char *number;        /* {number}: the repeated body item's, else the first */
	const char *where;         /* key path of the template, for messages */
	struct secrets *secrets;   /* the credential values expanded, or NULL */
};

/* The credential values a request was built with (borrowed from the
 * variables, copied into the request once it is added). */
struct secrets {
	const char *v[16];
	size_t n;
};

static void secrets_add(struct secrets *s, const char *value)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == value || strcmp(s->v[i], value) == 0)
			return;
	if (s->n < TSK__ARRAY_LEN(s->v))
		s->v[s->n++] = value;
}

static void put_json_escaped(tsk__buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			tsk__buf_putc(b, '\\');
			tsk__buf_putc(b, (char)c);
		} else if (c == '\n') {
			tsk__buf_puts(b, "\\n");
		} else if (c == '\r') {
			tsk__buf_puts(b, "\\r");
		} else if (c == '\t') {
			tsk__buf_puts(b, "\\t");
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			tsk__buf_add(b, e, 6);
		} else {
			tsk__buf_putc(b, (char)c);
		}
	}
}

static int put_enc(const struct expand_ctx *x, tsk__buf *b, const char *s, int enc, tsk_error *err)
{
	if (enc == ENC_URL) {
		char *e = NULL;
		if (tsk_url_encode(&e, s, strlen(s)) != TSK_OK) {
			b->failed = true;
			return TSK_ENOMEM;
		}
		tsk__buf_puts(b, e);
		tsk_free(e);
	} else if (enc == ENC_JSON) {
		put_json_escaped(b, s);
	} else {
		if (strpbrk(s, "\r\n"))
			return tsk_error_set(err, TSK_ECONFIG, "%s: a value for %s contains a line break",
			                     x->m->adapter_name, x->where);
		tsk__buf_puts(b, s);
	}
	return TSK_OK;
}

/* Expand a template checked at load time (see tsk__rest_template_check). */
static int expand(const struct expand_ctx *x, const char *tpl, int enc, tsk__buf *out, tsk_error *err)
{
	int rc = TSK_OK;
	for (const char *p = tpl; *p && rc == TSK_OK; p++) {
		if (p[0] == '{' && p[1] == '{') {
			tsk__buf_putc(out, '{');
			p++;
			continue;
		}
		if (p[0] == '$' && p[1] == '{') {
			const char *e = strchr(p, '}');
			if (!e)
				break;
			char name[128];
			snprintf(name, sizeof name, "%.*s", (int)(e - p - 2), p + 2);
			const char *val = x->env && x->env->getenv ? x->env->getenv(name, x->env->getenv_userdata)
			                                           : NULL;
			if (!val)
				return tsk_error_set(err, TSK_ECONFIG,
				                     "%s: the environment variable %s is not set (%s)%s",
				                     x->m->adapter_name, name, x->where,
				                     x->env && x->env->getenv ? ""
				                                              : "; the context ignores the environment");
			secrets_add(x->secrets, val);
			rc = put_enc(x, out, val, enc, err);
			p = e;
			continue;
		}
		if (*p != '{') {
			tsk__buf_putc(out, *p);
			continue;
		}
		const char *e = strchr(p, '}');
		if (!e)
			break;
		size_t n = (size_t)(e - p - 1);
		if (n == 8 && strncmp(p + 1, "endpoint", 8) == 0) {
			const char *ep = x->env && x->env->endpoint ? x->env->endpoint : x->m->base_url;
			size_t len = strlen(ep);
			while (len && ep[len - 1] == '/')
				len--;
			char *trimmed = tsk__strndup(ep, len);
			if (!trimmed)
				return TSK_ENOMEM;
			if (enc == ENC_JSON)
				put_json_escaped(out, trimmed);
			else
				tsk__buf_puts(out, trimmed);
			free(trimmed);
		} else if (n == 6 && strncmp(p + 1, "number", 6) == 0) {
			rc = put_enc(x, out, x->number, enc, err);
		} else if (n == 7 && strncmp(p + 1, "numbers", 7) == 0) {
			for (size_t i = 0; i < x->count && rc == TSK_OK; i++) {
				if (i) {
					if (enc == ENC_JSON)
						put_json_escaped(out, x->m->number_sep);
					else
						tsk__buf_puts(out, x->m->number_sep);
				}
				rc = put_enc(x, out, x->numbers[i], enc, err);
			}
		} else if (n == 6 && strncmp(p + 1, "locale", 6) == 0) {
			tsk__buf_puts(out, x->env && x->env->locale ? x->env->locale : "ja");
		}
		p = e;
	}
	if (rc == TSK_OK && out->failed)
		rc = TSK_ENOMEM;
	return rc;
}

static int body_write(const struct expand_ctx *x, yajl_val v, bool in_repeat, tsk__buf *out,
                      tsk_error *err)
{
	int rc = TSK_OK;
	switch (v->type) {
	case yajl_t_string:
		tsk__buf_putc(out, '"');
		rc = expand(x, v->u.string, ENC_JSON, out, err);
		tsk__buf_putc(out, '"');
		break;
	case yajl_t_number:
		tsk__buf_puts(out, v->u.number.r);
		break;
	case yajl_t_true:
		tsk__buf_puts(out, "true");
		break;
	case yajl_t_false:
		tsk__buf_puts(out, "false");
		break;
	case yajl_t_object:
		tsk__buf_putc(out, '{');
		for (size_t i = 0; i < v->u.object.len && rc == TSK_OK; i++) {
			if (i)
				tsk__buf_putc(out, ',');
			tsk__buf_putc(out, '"');
			put_json_escaped(out, v->u.object.keys[i]);
			tsk__buf_puts(out, "\":");
			rc = body_write(x, v->u.object.values[i], in_repeat, out, err);
		}
		tsk__buf_putc(out, '}');
		break;
	case yajl_t_array:
		tsk__buf_putc(out, '[');
		if (!in_repeat && v->u.array.len == 1 && tsk__rest_body_mentions_number(v->u.array.values[0])) {
			for (size_t i = 0; i < x->count && rc == TSK_OK; i++) {
				struct expand_ctx one = *x;
				one.number = x->numbers[i];
				if (i)
					tsk__buf_putc(out, ',');
				rc = body_write(&one, v->u.array.values[0], true, out, err);
			}
		} else {
			for (size_t i = 0; i < v->u.array.len && rc == TSK_OK; i++) {
				if (i)
					tsk__buf_putc(out, ',');
				rc = body_write(x, v->u.array.values[i], in_repeat, out, err);
			}
		}
		tsk__buf_putc(out, ']');
		break;
	default:
		tsk__buf_puts(out, "null");
		break;
	}
	if (rc == TSK_OK && out->failed)
		rc = TSK_ENOMEM;
	return rc;
}

static void base64(tsk__buf *out, const char *s, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		tsk__buf_putc(out, tab[(v >> 18) & 63]);
		tsk__buf_putc(out, tab[(v >> 12) & 63]);
		tsk__buf_putc(out, i + 1 < len ? tab[(v >> 6) & 63] : '=');
		tsk__buf_putc(out, i + 2 < len ? tab[v & 63] : '=');
	}
}

/* One request, built whole before anything is added to the list. */
struct built {
	tsk__buf url, body;
	tsk__buf *headers;         /* "Name: value" lines split at add time */
	size_t nheaders;
	struct secrets secrets;
};

static void built_dispose(struct built *b)
{
	tsk__buf_dispose(&b->url);
	tsk__buf_dispose(&b->body);
	for (size_t i = 0; i < b->nheaders; i++)
		tsk__buf_dispose(&b->headers[i]);
	free(b->headers);
}

static int build_one(const tsk__rest_mapping *m, const tsk_request_env *env, const char *const *numbers,
                     size_t count, struct built *b, tsk_error *err)
{
	struct expand_ctx x = { m, env, numbers, count, numbers[0], "request.url", &b->secrets };
	int rc = expand(&x, m->url, ENC_URL, &b->url, err);
	if (rc != TSK_OK)
		return rc;
	size_t nh = m->nheaders + (m->has_basic ? 1 : 0);
	if (nh && !(b->headers = calloc(nh, sizeof *b->headers)))
		return TSK_ENOMEM;
	for (size_t i = 0; i < m->nheaders; i++) {
		char where[192];
		snprintf(where, sizeof where, "request.headers.%s", m->headers[i].name);
		x.where = where;
		tsk__buf *h = &b->headers[b->nheaders++];
		tsk__buf_puts(h, m->headers[i].name);
		tsk__buf_puts(h, ": ");
		if ((rc = expand(&x, m->headers[i].value, ENC_RAW, h, err)) != TSK_OK)
			return rc;
	}
	if (m->has_basic) {
		tsk__buf cred = TSK__BUF_INIT;
		x.where = "request.basic_auth.username";
		rc = expand(&x, m->basic_user, ENC_RAW, &cred, err);
		tsk__buf_putc(&cred, ':');
		x.where = "request.basic_auth.password";
		if (rc == TSK_OK)
			rc = expand(&x, m->basic_pass, ENC_RAW, &cred, err);
		if (rc == TSK_OK && cred.failed)
			rc = TSK_ENOMEM;
		if (rc == TSK_OK) {
			tsk__buf *h = &b->headers[b->nheaders++];
			tsk__buf_puts(h, "Authorization: Basic ");
			base64(h, cred.data, cred.len);
		}
		tsk__buf_dispose(&cred);
		if (rc != TSK_OK)
			return rc;
	}
	if (m->body) {
		x.where = "request.body";
		if ((rc = body_write(&x, m->body, false, &b->body, err)) != TSK_OK)
			return rc;
	}
	for (size_t i = 0; i < b->nheaders; i++)
		if (b->headers[i].failed)
			return TSK_ENOMEM;
	return b->url.failed || b->body.failed ? TSK_ENOMEM : TSK_OK;
}

static int rest_build_requests(const tsk_adapter *self, const tsk_request_env *env,
                               const char *const *numbers, size_t count, tsk_request_list *out,
                               tsk_error *err)
{
	const tsk__rest_mapping *m = mapping_of(self);
	if (!out || (count && !numbers))
		return tsk_error_set(err, TSK_EINVAL, "%s: missing argument", m->adapter_name);
	for (size_t i = 0; i < count; i++)
		if (!numbers[i])
			return tsk_error_set(err, TSK_EINVAL, "%s: number %zu is NULL", m->adapter_name, i);
	size_t nreq = (count + m->batch_size - 1) / m->batch_size;
	if (nreq == 0)
		return TSK_OK;
	struct built *all = calloc(nreq, sizeof *all);
	if (!all)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	int rc = TSK_OK;
	for (size_t k = 0; k < nreq && rc == TSK_OK; k++) {
		size_t start = k * m->batch_size;
		size_t n = count - start < m->batch_size ? count - start : m->batch_size;
		rc = build_one(m, env, numbers + start, n, &all[k], err);
	}
	/* every request of the call or none: add only once all were built */
	for (size_t k = 0; k < nreq && rc == TSK_OK; k++) {
		size_t start = k * m->batch_size;
		size_t n = count - start < m->batch_size ? count - start : m->batch_size;
		tsk_request *r = NULL;
		rc = tsk_request_list_add(out, m->method, all[k].url.data, m->body ? m->content_type : NULL,
		                          m->body ? all[k].body.data : NULL, m->body ? all[k].body.len : 0,
		                          numbers + start, n, &r);
		for (size_t i = 0; i < all[k].nheaders && rc == TSK_OK; i++) {
			char *line = all[k].headers[i].data;
			char *colon = strchr(line, ':');
			*colon = '\0';
			rc = tsk_request_add_header(r, line, colon + 2);
		}
		for (size_t i = 0; i < all[k].secrets.n && rc == TSK_OK; i++)
			rc = tsk_request_add_secret(r, all[k].secrets.v[i]);
	}
	for (size_t k = 0; k < nreq; k++)
		built_dispose(&all[k]);
	free(all);
	if (rc == TSK_ENOMEM && err->code == TSK_OK)
		tsk_error_set(err, TSK_ENOMEM, "out of memory");
	return rc;
}

/* ----------------------------------------------------------------- parse */

struct parse_state {
	const tsk__rest_mapping *m;
	const tsk_response *resp;
	tsk_shipment_list *out;
	tsk_error *err;
	tsk__buf scratch[2];   /* texts that had to be built (joins), reused */
};

static char *text_of(const tsk__rest_spec *s, yajl_val node, int *rc)
{
	bool nomem = false;
	char *t = tsk__rest_spec_text(s, node, &nomem);
	if (nomem)
		*rc = TSK_ENOMEM;
	return t;
}

/* A field's text, borrowed from the tree where it can be (see
 * tsk__rest_spec_view); built ones go to scratch k, valid until its next use. */
static const char *view_of(struct parse_state *ps, const tsk__rest_spec *s, yajl_val node, int k, int *rc)
{
	bool nomem = false;
	const char *t = tsk__rest_spec_view(s, node, &ps->scratch[k], &nomem);
	if (nomem)
		*rc = TSK_ENOMEM;
	return t;
}

/* Normalize a number like an input one; keep the API's text when it is not one. */
static char *normalize_number(const char *raw)
{
	char *n = NULL;
	tsk_error e;
	tsk_error_clear(&e);
	if (tsk_number_normalize(&n, raw, &e) == TSK_OK)
		return n;
	return tsk__text_clean(raw);
}

static bool was_asked(const tsk_response *resp, const char *number)
{
	for (size_t i = 0; i < resp->count; i++)
		if (resp->numbers[i] && strcmp(resp->numbers[i], number) == 0)
			return true;
	return false;
}

static int add_error_shipment(struct parse_state *ps, const char *number, int code, const char *msg)
{
	tsk_shipment *s = NULL;
	int rc = tsk_shipment_new(&s, ps->m->adapter_name, number);
	if (rc == TSK_OK)
		rc = tsk_shipment_set_error(s, code, msg);
	if (rc != TSK_OK) {
		tsk_shipment_free(s);
		return rc;
	}
	return tsk_shipment_list_append(ps->out, s);
}

/* Resolve status codes: the first known decisive code; unknown ones flag unmapped. */
static int resolve_codes(struct parse_state *ps, const tsk__rest_specs *codes, yajl_val node,
                         const tsk__rest_status **found, bool *unmapped, char **first_code)
{
	*found = NULL;
	*unmapped = false;
	int rc = TSK_OK;
	for (size_t i = 0; i < codes->n && !*found && rc == TSK_OK; i++) {
		const char *code = view_of(ps, &codes->s[i], node, 0, &rc);
		if (!code)
			continue;
		const tsk__rest_status *e = tsk__rest_status_lookup(ps->m, code);
		if (!e)
			*unmapped = true;
		else if (!e->pass)
			*found = e;
		if (first_code && !*first_code && !(*first_code = tsk__strdup(code)))
			rc = TSK_ENOMEM;
	}
	return rc;
}

static int set_text(int rc, int field_rc)
{
	/* invalid UTF-8 cannot come out of yajl; only memory matters */
	return rc != TSK_OK ? rc : (field_rc == TSK_ENOMEM ? TSK_ENOMEM : TSK_OK);
}

static int build_event(struct parse_state *ps, yajl_val node, tsk_event **out)
{
	const tsk__rest_mapping *m = ps->m;
	tsk_event *ev = NULL;
	int rc = tsk_event_new(&ev);
	if (rc != TSK_OK)
		return rc;
	const char *raw = view_of(ps, &m->ev_time_raw, node, 0, &rc);
	rc = set_text(rc, tsk_event_set_text(ev, TSK_EVENT_TIME_RAW, raw));
	const char *tsrc = m->ev_time.kind ? view_of(ps, &m->ev_time, node, 1, &rc) : raw;
	tsk_time t;
	if (tsrc && tsk__rest_parse_time(tsrc, m->time_format, m->time_offset, &t, NULL, NULL))
		tsk_event_set_time(ev, &t);
	const struct {
		const tsk__rest_spec *spec;
		tsk_event_field field;
	} fields[] = {
		{ &m->ev_status_text, TSK_EVENT_CARRIER_STATUS },
		{ &m->ev_description, TSK_EVENT_DESCRIPTION },
		{ &m->ev_location, TSK_EVENT_LOCATION },
		{ &m->ev_location_code, TSK_EVENT_LOCATION_CODE },
		{ &m->ev_region, TSK_EVENT_REGION },
		{ &m->ev_postal, TSK_EVENT_POSTAL_CODE },
	};
	for (size_t i = 0; i < TSK__ARRAY_LEN(fields) && rc == TSK_OK; i++) {
		const char *v = view_of(ps, fields[i].spec, node, 0, &rc);
		rc = set_text(rc, tsk_event_set_text(ev, fields[i].field, v));
	}
	if (rc == TSK_OK) {
		const tsk__rest_status *e;
		bool unmapped;
		rc = resolve_codes(ps, &m->ev_status, node, &e, &unmapped, NULL);
		tsk_event_set_status(ev, e ? e->status : TSK_STATUS_UNKNOWN,
		                     e ? e->exception : TSK_EXC_NONE, unmapped);
	}
	if (rc != TSK_OK) {
		tsk_event_free(ev);
		return rc;
	}
	*out = ev;
	return TSK_OK;
}

/*
 * Nodes reached by the first of paths that reaches anything, arrays taken
 * element by element. *which gets that path's index (-1: none reached).
 */
static void first_reaching(const tsk__rest_paths *ps, yajl_val root, tsk__rest_nodes *out, long *which)
{
	*which = -1;
	for (size_t i = 0; i < ps->n; i++) {
		tsk__rest_nodes raw = { 0 };
		tsk__rest_path_eval(&ps->p[i], root, false, &raw);
		if (raw.n) {
			*which = (long)i;
			for (size_t k = 0; k < raw.n; k++) {
				yajl_val v = raw.v[k];
				if (YAJL_IS_ARRAY(v)) {
					for (size_t j = 0; j < v->u.array.len; j++)
						if (!YAJL_IS_NULL(v->u.array.values[j]))
							tsk__rest_nodes_push(out, v->u.array.values[j]);
				} else {
					tsk__rest_nodes_push(out, v);
				}
			}
			if (raw.failed)
				out->failed = true;
			tsk__rest_nodes_dispose(&raw);
			return;
		}
		if (raw.failed)
			out->failed = true;
		tsk__rest_nodes_dispose(&raw);
	}
}

/* A stated date (or local midnight) means the whole day. */
static void eta_bounds(const tsk__rest_mapping *m, const char *text, tsk_time *start, tsk_time *end,
                       bool *ok)
{
	bool date_only, had_offset;
	*ok = tsk__rest_parse_time(text, m->time_format, m->time_offset, start, &date_only, &had_offset);
	if (!*ok)
		return;
	bool whole_day = date_only;
	if (!whole_day && !had_offset && m->time_format == TSK__TIME_ISO8601) {
		int h, mi;
		tsk_time_fields(start, NULL, NULL, NULL, &h, &mi, NULL);
		whole_day = h == 0 && mi == 0 && (start->epoch + start->offset) % 60 == 0;
	}
	start->precision = TSK_PRECISION_MINUTE;
	*end = *start;
	if (whole_day)
		end->epoch = start->epoch + 24 * 3600 - 60;
}

static int set_eta(struct parse_state *ps, tsk_shipment *s, yajl_val node)
{
	const tsk__rest_mapping *m = ps->m;
	int rc = TSK_OK;
	const char *a = view_of(ps, &m->eta, node, 0, &rc);
	const char *b = view_of(ps, &m->eta_latest, node, 1, &rc);
	if (rc == TSK_OK && (a || b)) {
		tsk__buf raw = TSK__BUF_INIT;
		if (a)
			tsk__buf_puts(&raw, a);
		if (a && b && strcmp(a, b) != 0)
			tsk__buf_puts(&raw, " - ");
		if (b && (!a || strcmp(a, b) != 0))
			tsk__buf_puts(&raw, b);
		rc = raw.failed ? TSK_ENOMEM : set_text(TSK_OK, tsk_shipment_set_text(s, TSK_SHIPMENT_ETA_RAW, raw.data));
		tsk__buf_dispose(&raw);
		tsk_time a0, a1, b0, b1;
		bool aok = false, bok = false;
		if (a)
			eta_bounds(m, a, &a0, &a1, &aok);
		if (b)
			eta_bounds(m, b, &b0, &b1, &bok);
		if (aok || bok) {
			tsk_time lo = aok ? a0 : b0, hi = bok ? b1 : a1;
			if (hi.epoch < lo.epoch)
				hi = lo;
			tsk_shipment_set_carrier_eta(s, &lo, &hi);
		}
	}
	return rc;
}

static int build_shipment(struct parse_state *ps, yajl_val node, const char *layout)
{
	const tsk__rest_mapping *m = ps->m;
	int rc = TSK_OK;
	const char *raw = view_of(ps, &m->number, node, 0, &rc);
	if (rc != TSK_OK)
		return rc;
	/* the number is what ties an answer to a question: without it the
	 * answer has another shape, and guessing would risk a wrong status */
	if (!raw)
		return tsk_error_set(ps->err, TSK_ELAYOUT, "%s: a shipment at %s has no number (%s)",
		                     m->adapter_name, layout, m->number.path.text ? m->number.path.text : "number");
	char *number = normalize_number(raw);
	if (!number)
		return TSK_ENOMEM;
	tsk_shipment *s = NULL;
	rc = tsk_shipment_new(&s, m->adapter_name, number);
	free(number);
	if (rc != TSK_OK)
		return rc;
	rc = set_text(rc, tsk_shipment_set_text(s, TSK_SHIPMENT_LAYOUT, layout));
	const struct {
		const tsk__rest_spec *spec;
		tsk_shipment_field field;
	} fields[] = {
		{ &m->service, TSK_SHIPMENT_SERVICE },
		{ &m->status_text, TSK_SHIPMENT_STATUS_TEXT },
		{ &m->origin_region, TSK_SHIPMENT_ORIGIN_REGION },
		{ &m->dest_region, TSK_SHIPMENT_DESTINATION_REGION },
	};
	for (size_t i = 0; i < TSK__ARRAY_LEN(fields) && rc == TSK_OK; i++) {
		const char *v = view_of(ps, fields[i].spec, node, 0, &rc);
		rc = set_text(rc, tsk_shipment_set_text(s, fields[i].field, v));
	}
	const tsk__rest_status *state = NULL;
	char *state_code = NULL;
	if (rc == TSK_OK) {
		bool unmapped;
		rc = resolve_codes(ps, &m->status, node, &state, &unmapped, &state_code);
		if (state)
			tsk_shipment_set_state(s, state->status, state->exception);
	}
	if (rc == TSK_OK)
		rc = set_eta(ps, s, node);

	/* events, in the API's order, reversed once when it lists newest first */
	tsk__rest_nodes evn = { 0 };
	long which;
	if (rc == TSK_OK && m->events.n) {
		first_reaching(&m->events, node, &evn, &which);
		if (evn.failed)
			rc = TSK_ENOMEM;
	}
	for (size_t i = 0; i < evn.n && rc == TSK_OK; i++) {
		yajl_val ev_node = evn.v[m->newest_first ? evn.n - 1 - i : i];
		if (!YAJL_IS_OBJECT(ev_node))
			continue;
		tsk_event *ev = NULL;
		if ((rc = build_event(ps, ev_node, &ev)) == TSK_OK)
			rc = tsk_shipment_append_event(s, ev);
	}
	tsk__rest_nodes_dispose(&evn);
	if (rc == TSK_OK && state && state->status == TSK_STATUS_NOT_FOUND &&
	    tsk_shipment_event_count(s) == 0) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s has no information on this number (%s)", m->display_name,
		         state_code ? state_code : "not found");
		rc = tsk_shipment_set_error(s, TSK_ENOTFOUND, msg);
	}
	free(state_code);
	if (rc != TSK_OK) {
		tsk_shipment_free(s);
		return rc;
	}
	return tsk_shipment_list_append(ps->out, s);
}

/* Not found for every number asked (or the numbers the body names). */
static int all_not_found(struct parse_state *ps, yajl_val doc, const char *why)
{
	const tsk__rest_mapping *m = ps->m;
	char msg[256];
	snprintf(msg, sizeof msg, "%s does not know this number%s%s", m->display_name, why ? ": " : "",
	         why ? why : "");
	int rc = TSK_OK;
	if (ps->resp->count) {
		for (size_t i = 0; i < ps->resp->count && rc == TSK_OK; i++)
			if (ps->resp->numbers[i])
				rc = add_error_shipment(ps, ps->resp->numbers[i], TSK_ENOTFOUND, msg);
		return rc;
	}
	/* a saved answer without the numbers asked: whatever numbers it names */
	size_t before = tsk_shipment_list_count(ps->out);
	if (doc) {
		tsk__rest_nodes nodes = { 0 };
		long which;
		first_reaching(&m->shipments, doc, &nodes, &which);
		for (size_t i = 0; i < nodes.n && rc == TSK_OK; i++) {
			char *raw = text_of(&m->number, nodes.v[i], &rc);
			char *num = raw ? normalize_number(raw) : NULL;
			if (num)
				rc = add_error_shipment(ps, num, TSK_ENOTFOUND, msg);
			free(num);
			free(raw);
		}
		tsk__rest_nodes_dispose(&nodes);
	}
	if (rc == TSK_OK && tsk_shipment_list_count(ps->out) == before)
		rc = add_error_shipment(ps, "", TSK_ENOTFOUND, msg);
	return rc;
}

static bool status_listed(const tsk__rest_mapping *m, long status)
{
	for (size_t i = 0; i < m->nnf_http; i++)
		if (m->nf_http[i] == status)
			return true;
	return false;
}

static int rest_parse(const tsk_adapter *self, const tsk_response *resp, const tsk_parse_env *env,
                      tsk_shipment_list *out, tsk_error *err)
{
	(void)env;
	const tsk__rest_mapping *m = mapping_of(self);
	struct parse_state ps = { m, resp, out, err, { TSK__BUF_INIT, TSK__BUF_INIT } };
	long http = resp->http_status;
	char why[256] = "";
	yajl_val doc = NULL;
	int jrc = resp->len ? tsk__json_parse(&doc, resp->body, resp->len, 0, why, sizeof why) : TSK_OK;
	int rc = TSK_OK;
	char *msg = NULL;

	if (http && status_listed(m, http)) {
		msg = doc ? text_of(m->nf_message.kind ? &m->nf_message : &m->err_message, doc, &rc) : NULL;
		char fallback[32];
		snprintf(fallback, sizeof fallback, "HTTP %ld", http);
		if (rc == TSK_OK)
			rc = all_not_found(&ps, doc, msg ? msg : fallback);
		goto done;
	}
	if (!doc) {
		if (http >= 400)
			rc = tsk_error_set(err, http == 429 ? TSK_ERATELIMITED : TSK_EHTTP, "%s: HTTP %ld",
			                   m->adapter_name, http);
		else if (jrc == TSK_ENOMEM)
			rc = tsk_error_set(err, TSK_ENOMEM, "out of memory");
		else
			rc = tsk_error_set(err, TSK_EPARSE, "%s: the response is not JSON (%s)",
			                   m->adapter_name, resp->len ? why : "empty body");
		goto done;
	}
	if (tsk__rest_cond_holds(&m->nf_when, doc)) {
		msg = text_of(m->nf_message.kind ? &m->nf_message : &m->err_message, doc, &rc);
		if (rc == TSK_OK)
			rc = all_not_found(&ps, doc, msg);
		goto done;
	}
	if (http >= 400 || tsk__rest_cond_holds(&m->err_when, doc)) {
		msg = text_of(&m->err_message, doc, &rc);
		if (rc != TSK_OK)
			goto done;
		if (http >= 400)
			rc = tsk_error_set(err, http == 429 ? TSK_ERATELIMITED : TSK_EHTTP, "%s: HTTP %ld%s%s",
			                   m->adapter_name, http, msg ? ": " : "", msg ? msg : "");
		else
			rc = tsk_error_set(err, TSK_EHTTP, "%s: the API reports an error%s%s", m->adapter_name,
			                   msg ? ": " : "", msg ? msg : "");
		goto done;
	}

	/* shipments: what the service pushes, else what it answers */
	const tsk__rest_paths *paths = &m->shipments;
	bool webhook = false;
	if (m->webhook.n) {
		tsk__rest_nodes probe = { 0 };
		long w = -1;
		if (!m->webhook_when.set)
			first_reaching(&m->webhook, doc, &probe, &w);
		if (m->webhook_when.set ? tsk__rest_cond_holds(&m->webhook_when, doc) : w >= 0) {
			paths = &m->webhook;
			webhook = true;
		}
		tsk__rest_nodes_dispose(&probe);
	}
	tsk__rest_nodes nodes = { 0 };
	long which;
	first_reaching(paths, doc, &nodes, &which);
	if (nodes.failed)
		rc = TSK_ENOMEM;
	char layout[256] = "";
	if (which >= 0)
		snprintf(layout, sizeof layout, "%s:%s%s", m->name, webhook ? "webhook:" : "",
		         paths->p[which].text);
	for (size_t i = 0; i < nodes.n && rc == TSK_OK; i++) {
		if (!YAJL_IS_OBJECT(nodes.v[i])) {
			rc = tsk_error_set(err, TSK_ELAYOUT, "%s: expected objects at %s, found a %s",
			                   m->adapter_name, paths->p[which].text,
			                   YAJL_IS_ARRAY(nodes.v[i]) ? "list" : "plain value");
			break;
		}
		rc = build_shipment(&ps, nodes.v[i], layout);
	}
	tsk__rest_nodes_dispose(&nodes);

	/* per-number refusals, for the numbers asked */
	bool rejected_seen = false;
	if (rc == TSK_OK && m->has_rejected) {
		tsk__rest_nodes items = { 0 };
		tsk__rest_path_eval(&m->rej_items, doc, false, &items);
		rejected_seen = items.n > 0;
		if (items.failed)
			rc = TSK_ENOMEM;
		for (size_t i = 0; i < items.n && rc == TSK_OK; i++) {
			yajl_val it = items.v[i];
			char *raw = text_of(&m->rej_number, it, &rc);
			char *num = raw ? normalize_number(raw) : NULL;
			free(raw);
			if (num && was_asked(resp, num)) {
				bool nf = !m->rej_not_found.set || tsk__rest_cond_holds(&m->rej_not_found, it);
				char *why_text = text_of(&m->rej_message, it, &rc);
				char buf[256];
				snprintf(buf, sizeof buf, "%s %s%s%s", m->display_name,
				         nf ? "does not know this number" : "refused this number",
				         why_text ? ": " : "", why_text ? why_text : "");
				free(why_text);
				if (rc == TSK_OK)
					rc = add_error_shipment(&ps, num, nf ? TSK_ENOTFOUND : TSK_ERROR, buf);
			}
			free(num);
		}
		tsk__rest_nodes_dispose(&items);
	}
	if (rc == TSK_OK && which < 0 && !rejected_seen) {
		tsk__buf list = TSK__BUF_INIT;
		for (size_t i = 0; i < paths->n; i++) {
			tsk__buf_puts(&list, i ? ", " : "");
			tsk__buf_puts(&list, paths->p[i].text);
		}
		rc = tsk_error_set(err, TSK_ELAYOUT, "%s: no shipments at %s", m->adapter_name,
		                   list.data ? list.data : "?");
		tsk__buf_dispose(&list);
	}
done:
	free(msg);
	tsk__buf_dispose(&ps.scratch[0]);
	tsk__buf_dispose(&ps.scratch[1]);
	tsk__json_free(doc);
	if (rc == TSK_ENOMEM && err->code == TSK_OK)
		tsk_error_set(err, TSK_ENOMEM, "out of memory");
	return rc;
}

static void rest_map_status(const tsk_adapter *self, const char *word, tsk_status_mapping *out)
{
	const tsk__rest_status *e = tsk__rest_status_lookup(mapping_of(self), word);
	out->english = NULL;
	if (e && !e->pass) {
		out->status = e->status;
		out->exception = e->exception;
		out->unmapped = 0;
	} else {
		out->status = TSK_STATUS_UNKNOWN;
		out->exception = TSK_EXC_NONE;
		out->unmapped = 1;
	}
}

static void rest_destroy(tsk_adapter *self)
{
	if (!self)
		return;
	tsk__rest_mapping_free(self->userdata);
	free(self);
}

/* -------------------------------------------------------------- adapters */

int tsk__rest_adapter_new(tsk_adapter **out, const char *json, size_t len, const char *origin,
                          tsk_error *err)
{
	*out = NULL;
	tsk__rest_mapping *m = NULL;
	int rc = tsk__rest_mapping_load(&m, json, len, origin, err);
	if (rc != TSK_OK)
		return rc;
	tsk_adapter *a = calloc(1, sizeof *a);
	if (!a) {
		tsk__rest_mapping_free(m);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	a->version = TSK_ADAPTER_VERSION;
	a->name = m->adapter_name;
	a->display_name = m->display_name;
	a->flags = TSK_ADAPTER_JSON | TSK_ADAPTER_ERROR_BODIES | (m->batch_size > 1 ? TSK_ADAPTER_BATCH : 0) |
	           (m->has_pattern ? 0 : TSK_ADAPTER_ANY_NUMBER);
	a->max_batch = m->batch_size;
	a->default_endpoint = m->base_url;
	a->recognize = rest_recognize;
	a->build_requests = rest_build_requests;
	a->parse = rest_parse;
	a->map_status = rest_map_status;
	a->destroy = rest_destroy;
	a->userdata = m;
	a->tables = m->has_tables ? &m->tables : NULL;
	a->customer_name_ja = m->customer_name[0];
	a->customer_name_en = m->customer_name[1];
	*out = a;
	return TSK_OK;
}

const char *tsk__rest_origin(const tsk_adapter *a)
{
	return a && a->destroy == rest_destroy ? mapping_of(a)->origin : NULL;
}
