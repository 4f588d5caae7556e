/*
 * The REST adapter's small JSON toolkit: paths over a yajl tree, value
 * specs (path / first / join / const), conditions, a guarded JSON parse and
 * the time parser.
 *
 * Invariants: evaluation never fails on any document — a path that meets
 * the wrong type simply reaches nothing; nodes come back in document order;
 * nothing here allocates on the tree (the tree is read-only).
 *
 * Path syntax: keys separated by '.', each optionally followed by [N]
 * (index, negative from the end) or [*] (every element); "$" alone is the
 * node itself. A path may begin with "[*]" when the node is an array.
 */
#include "rest_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ------------------------------------------------------------------ paths */

void tsk__rest_path_dispose(tsk__rest_path *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->segs[i].key);
	free(p->segs);
	free(p->text);
	memset(p, 0, sizeof *p);
}

static int add_seg(tsk__rest_path *p, int kind, const char *key, size_t keylen, long index)
{
	tsk__rest_seg *n = realloc(p->segs, (p->n + 1) * sizeof *n);
	if (!n)
		return -1;
	p->segs = n;
	n[p->n].kind = kind;
	n[p->n].index = index;
	n[p->n].key = NULL;
	if (key && !(n[p->n].key = tsk__strndup(key, keylen)))
		return -1;
	p->n++;
	return 0;
}

int tsk__rest_path_compile(tsk__rest_path *out, const char *text, char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	if (!text || !*text) {
		snprintf(why, whylen, "empty path (write \"$\" for the node itself)");
		return -1;
	}
	if (!(out->text = tsk__strdup(text))) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	const char *p = text;
	if (*p == '$') {
		p++;
		if (*p == '.')
			p++;
		else if (*p && *p != '[')
			goto bad_char;
		if (*p == '\0')
			return 0;
	}
	bool need_key = *p != '[';
	for (;;) {
		if (need_key) {
			const char *k = p;
			while (*p && *p != '.' && *p != '[' && *p != ']')
				p++;
			if (p == k) {
				snprintf(why, whylen, "bad path \"%s\": empty key at offset %zu", text,
				         (size_t)(k - text));
				tsk__rest_path_dispose(out);
				return -1;
			}
			if (add_seg(out, TSK__SEG_KEY, k, (size_t)(p - k), 0) != 0)
				goto nomem;
		}
		while (*p == '[') {
			p++;
			if (p[0] == '*' && p[1] == ']') {
				if (add_seg(out, TSK__SEG_ALL, NULL, 0, 0) != 0)
					goto nomem;
				out->multi = true;
				p += 2;
				continue;
			}
			bool neg = *p == '-';
			if (neg)
				p++;
			long v = 0;
			const char *d = p;
			while (*p >= '0' && *p <= '9' && p - d < 9)
				v = v * 10 + (*p++ - '0');
			if (p == d || *p != ']') {
				snprintf(why, whylen,
				         "bad path \"%s\": expected [N] or [*] at offset %zu", text,
				         (size_t)(d - text - (neg ? 2 : 1)));
				tsk__rest_path_dispose(out);
				return -1;
			}
			if (neg && v == 0) {
				snprintf(why, whylen, "bad path \"%s\": index -0", text);
				tsk__rest_path_dispose(out);
				return -1;
			}
			p++;
			if (add_seg(out, TSK__SEG_INDEX, NULL, 0, neg ? -v : v) != 0)
				goto nomem;
		}
		if (*p == '\0')
			return 0;
		if (*p != '.')
			goto bad_char;
		p++;
		need_key = true;
	}
bad_char:
	snprintf(why, whylen, "bad path \"%s\": unexpected '%c' at offset %zu", text, *p,
	         (size_t)(p - text));
	tsk__rest_path_dispose(out);
	return -1;
nomem:
	snprintf(why, whylen, "out of memory");
	tsk__rest_path_dispose(out);
	return -1;
}

void tsk__rest_nodes_push(tsk__rest_nodes *out, yajl_val v)
{
	if (out->failed)
		return;
	if (!TSK__GROW(out->v, out->cap, out->n + 1)) {
		out->failed = true;
		return;
	}
	out->v[out->n++] = v;
}

void tsk__rest_nodes_dispose(tsk__rest_nodes *n)
{
	free(n->v);
	memset(n, 0, sizeof *n);
}

static yajl_val object_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	/* the last duplicate wins, as most JSON readers do */
	for (size_t i = obj->u.object.len; i-- > 0;) {
		const char *k = obj->u.object.keys[i];
		if (k[0] == key[0] && strcmp(k, key) == 0)
			return obj->u.object.values[i];
	}
	return NULL;
}

/* Depth is bounded by the path length, not by the document. */
static void eval_from(const tsk__rest_path *p, size_t i, yajl_val v, bool keep_null,
                      tsk__rest_nodes *out)
{
	for (; i < p->n && v; i++) {
		const tsk__rest_seg *s = &p->segs[i];
		if (s->kind == TSK__SEG_KEY) {
			v = object_get(v, s->key);
		} else if (s->kind == TSK__SEG_INDEX) {
			if (!YAJL_IS_ARRAY(v))
				return;
			long len = (long)v->u.array.len;
			long k = s->index < 0 ? len + s->index : s->index;
			v = k >= 0 && k < len ? v->u.array.values[k] : NULL;
		} else {
			if (!YAJL_IS_ARRAY(v))
				return;
			for (size_t k = 0; k < v->u.array.len && !out->failed; k++)
				eval_from(p, i + 1, v->u.array.values[k], keep_null, out);
			return;
		}
	}
	if (v && (keep_null || !YAJL_IS_NULL(v)))
		tsk__rest_nodes_push(out, v);
}

void tsk__rest_path_eval(const tsk__rest_path *p, yajl_val root, bool keep_null, tsk__rest_nodes *out)
{
	if (p && p->text)
		eval_from(p, 0, root, keep_null, out);
}

static yajl_val first_from(const tsk__rest_path *p, size_t i, yajl_val v)
{
	for (; i < p->n && v; i++) {
		const tsk__rest_seg *s = &p->segs[i];
		if (s->kind == TSK__SEG_KEY) {
			v = object_get(v, s->key);
		} else if (s->kind == TSK__SEG_INDEX) {
			if (!YAJL_IS_ARRAY(v))
				return NULL;
			long len = (long)v->u.array.len;
			long k = s->index < 0 ? len + s->index : s->index;
			v = k >= 0 && k < len ? v->u.array.values[k] : NULL;
		} else {
			if (!YAJL_IS_ARRAY(v))
				return NULL;
			for (size_t k = 0; k < v->u.array.len; k++) {
				yajl_val r = first_from(p, i + 1, v->u.array.values[k]);
				if (r)
					return r;
			}
			return NULL;
		}
	}
	return v && !YAJL_IS_NULL(v) ? v : NULL;
}

yajl_val tsk__rest_path_first(const tsk__rest_path *p, yajl_val root)
{
	return p && p->text ? first_from(p, 0, root) : NULL;
}

/* ------------------------------------------------------------------- JSON */

/* ------------------------------------------------------------ value specs */

void tsk__rest_spec_dispose(tsk__rest_spec *s)
{
	if (!s)
		return;
	tsk__rest_path_dispose(&s->path);
	for (size_t i = 0; i < s->n; i++)
		tsk__rest_spec_dispose(&s->items[i]);
	free(s->items);
	free(s->sep);
	free(s->text);
	memset(s, 0, sizeof *s);
}

const char *tsk__rest_scalar_text(yajl_val v)
{
	if (YAJL_IS_STRING(v))
		return v->u.string;
	if (YAJL_IS_NUMBER(v))
		return v->u.number.r;
	if (YAJL_IS_TRUE(v))
		return "true";
	if (YAJL_IS_FALSE(v))
		return "false";
	return NULL;
}

/* Is there anything but white space? */
static bool has_text(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return true;
	return false;
}

/* The text of a path with no [*] step (at most one value), NULL when blank. */
static const char *single_text(const tsk__rest_path *p, yajl_val node)
{
	const char *t = tsk__rest_scalar_text(tsk__rest_path_first(p, node));
	return has_text(t) ? t : NULL;
}

bool tsk__rest_spec_eval(const tsk__rest_spec *s, yajl_val node, tsk__buf *out)
{
	if (!s)
		return false;
	switch (s->kind) {
	case TSK__SPEC_CONST:
		tsk__buf_puts(out, s->text);
		return has_text(s->text);
	case TSK__SPEC_PATH: {
		if (!s->path.multi) {
			/* at most one value: no list to gather */
			const char *t = single_text(&s->path, node);
			if (!t)
				return false;
			tsk__buf_puts(out, t);
			return true;
		}
		tsk__rest_nodes nodes = { 0 };
		tsk__rest_path_eval(&s->path, node, false, &nodes);
		bool any = false;
		for (size_t i = 0; i < nodes.n; i++) {
			const char *t = tsk__rest_scalar_text(nodes.v[i]);
			if (!has_text(t))
				continue;
			if (any)
				tsk__buf_puts(out, s->sep ? s->sep : ", ");
			tsk__buf_puts(out, t);
			any = true;
		}
		if (nodes.failed)
			out->failed = true;
		tsk__rest_nodes_dispose(&nodes);
		return any;
	}
	case TSK__SPEC_FIRST:
		for (size_t i = 0; i < s->n; i++)
			if (tsk__rest_spec_eval(&s->items[i], node, out))
				return true;
		return false;
	case TSK__SPEC_JOIN: {
		bool any = false;
		for (size_t i = 0; i < s->n; i++) {
			tsk__buf part = TSK__BUF_INIT;
			if (tsk__rest_spec_eval(&s->items[i], node, &part)) {
				if (any)
					tsk__buf_puts(out, s->sep ? s->sep : ", ");
				tsk__buf_add(out, part.data, part.len);
				any = true;
			}
			if (part.failed)
				out->failed = true;
			tsk__buf_dispose(&part);
		}
		return any;
	}
	default:
		return false;
	}
}

char *tsk__rest_spec_text(const tsk__rest_spec *s, yajl_val node, bool *nomem)
{
	if (!s || s->kind == TSK__SPEC_NONE)
		return NULL;
	tsk__buf b = TSK__BUF_INIT;
	bool any = tsk__rest_spec_eval(s, node, &b);
	if (b.failed) {
		*nomem = true;
		tsk__buf_dispose(&b);
		return NULL;
	}
	if (!any) {
		tsk__buf_dispose(&b);
		return NULL;
	}
	char *t = tsk__buf_detach(&b);
	if (!t)
		*nomem = true;
	return t;
}

/* Can a FIRST spec answer with one item's text as it is? Not when an item
 * is a blank constant: spec_eval writes it out and goes on to the next. */
static bool first_borrowable(const tsk__rest_spec *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const tsk__rest_spec *it = &s->items[i];
		if ((it->kind == TSK__SPEC_CONST && !has_text(it->text)) ||
		    (it->kind == TSK__SPEC_FIRST && !first_borrowable(it)))
			return false;
	}
	return true;
}

const char *tsk__rest_spec_view(const tsk__rest_spec *s, yajl_val node, tsk__buf *scratch, bool *nomem)
{
	if (!s)
		return NULL;
	switch (s->kind) {
	case TSK__SPEC_NONE:
		return NULL;
	case TSK__SPEC_CONST:
		return has_text(s->text) ? s->text : NULL;
	case TSK__SPEC_PATH:
		if (!s->path.multi)
			return single_text(&s->path, node); /* at most one value: its text is the answer */
		break;
	case TSK__SPEC_FIRST:
		if (first_borrowable(s)) {
			for (size_t i = 0; i < s->n; i++) {
				const char *t = tsk__rest_spec_view(&s->items[i], node, scratch, nomem);
				if (t || *nomem)
					return t;
			}
			return NULL;
		}
		break;
	default:
		break;
	}
	scratch->len = 0;
	scratch->failed = false;
	if (scratch->data)
		scratch->data[0] = '\0';
	bool any = tsk__rest_spec_eval(s, node, scratch);
	if (scratch->failed) {
		*nomem = true;
		return NULL;
	}
	return any ? scratch->data : NULL;
}

/* ------------------------------------------------------------- conditions */

void tsk__rest_cond_dispose(tsk__rest_cond *c)
{
	if (!c)
		return;
	tsk__rest_path_dispose(&c->path);
	for (size_t i = 0; i < c->n; i++)
		free(c->vals[i].s);
	free(c->vals);
	memset(c, 0, sizeof *c);
}

static bool scalar_equals(const tsk__rest_scalar *want, yajl_val v)
{
	switch (want->type) {
	case TSK__SCALAR_STRING:
		return YAJL_IS_STRING(v) && strcmp(v->u.string, want->s) == 0;
	case TSK__SCALAR_NUMBER:
		if (!YAJL_IS_NUMBER(v))
			return false;
		if (YAJL_IS_DOUBLE(v))
			return YAJL_GET_DOUBLE(v) == want->d;
		return false;
	case TSK__SCALAR_BOOL:
		return want->b ? YAJL_IS_TRUE(v) : YAJL_IS_FALSE(v);
	default:
		return YAJL_IS_NULL(v);
	}
}

bool tsk__rest_cond_holds(const tsk__rest_cond *c, yajl_val node)
{
	if (!c || !c->set)
		return false;
	tsk__rest_nodes nodes = { 0 };
	tsk__rest_path_eval(&c->path, node, c->n > 0, &nodes);
	bool holds;
	if (c->n == 0) {
		holds = nodes.n > 0;
	} else {
		bool any = false;
		for (size_t i = 0; i < nodes.n && !any; i++)
			for (size_t k = 0; k < c->n && !any; k++)
				any = scalar_equals(&c->vals[k], nodes.v[i]);
		holds = c->negate ? (nodes.n > 0 && !any) : any;
	}
	tsk__rest_nodes_dispose(&nodes);
	return holds;
}

/* ------------------------------------------------------------------ times */

static int digits(const char **p, int min, int max, int *out)
{
	int v = 0, n = 0;
	while (n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n < min)
		return -1;
	*out = v;
	return 0;
}

static void skip_spaces(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/*
 * ISO 8601 / RFC 3339, leniently: "2024-12-03", "2024/12/03",
 * "2024-12-03T14:25", "2024-12-03 14:25:00.123", with an optional offset
 * "Z", "+09:00", "+0900", "+09" or "UTC", possibly after a space (a date,
 * a time and a zone joined from separate fields).
 */
static bool parse_iso(const char *s, int default_offset, tsk_time *out, bool *date_only,
                      bool *had_offset)
{
	const char *p = s;
	int y, mo, d, h = -1, mi = 0, sec = 0;
	skip_spaces(&p);
	if (digits(&p, 4, 4, &y) != 0)
		return false;
	char sep = *p;
	if (sep != '-' && sep != '/')
		return false;
	p++;
	if (digits(&p, 1, 2, &mo) != 0 || *p != sep)
		return false;
	p++;
	if (digits(&p, 1, 2, &d) != 0)
		return false;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		const char *save = p;
		p++;
		skip_spaces(&p);
		if (digits(&p, 1, 2, &h) == 0 && *p == ':') {
			p++;
			if (digits(&p, 2, 2, &mi) != 0)
				return false;
			if (*p == ':') {
				p++;
				if (digits(&p, 2, 2, &sec) != 0 || sec > 60)
					return false;
				if (sec == 60)
					sec = 59;
				if (*p == '.' || *p == ',') {
					p++;
					int frac;
					if (digits(&p, 1, 9, &frac) != 0)
						return false;
					while (*p >= '0' && *p <= '9')
						p++;
				}
			}
		} else {
			h = -1;
			p = save;
		}
	}
	skip_spaces(&p);
	int offset = default_offset;
	bool has_off = false;
	if (*p == 'Z' || *p == 'z') {
		offset = 0;
		has_off = true;
		p++;
	} else if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0) {
		offset = 0;
		has_off = true;
		p += 3;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		p++;
		int oh, om = 0;
		if (digits(&p, 2, 2, &oh) != 0)
			return false;
		if (*p == ':')
			p++;
		if (*p >= '0' && *p <= '9' && digits(&p, 2, 2, &om) != 0)
			return false;
		if (oh > 18 || om > 59)
			return false;
		offset = sign * (oh * 3600 + om * 60);
		has_off = true;
	}
	skip_spaces(&p);
	if (*p != '\0')
		return false;
	if (h > 23 || mi > 59)
		return false;
	if (tsk_time_from_fields(out, y, mo, d, h, h < 0 ? -1 : mi, offset) != TSK_OK)
		return false;
	if (h >= 0)
		out->epoch += sec;
	*date_only = h < 0;
	*had_offset = has_off;
	return true;
}

bool tsk__rest_parse_time(const char *text, int format, int default_offset, tsk_time *out,
                          bool *date_only, bool *had_offset)
{
	bool dummy1, dummy2;
	if (!date_only)
		date_only = &dummy1;
	if (!had_offset)
		had_offset = &dummy2;
	*date_only = false;
	*had_offset = false;
	if (!text)
		return false;
	if (format == TSK__TIME_ISO8601)
		return parse_iso(text, default_offset, out, date_only, had_offset);
	/* unix seconds or milliseconds; a fraction is dropped */
	const char *p = text;
	skip_spaces(&p);
	errno = 0;
	char *end;
	long long v = strtoll(p, &end, 10);
	if (end == p || errno)
		return false;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	p = end;
	skip_spaces(&p);
	if (*p)
		return false;
	if (format == TSK__TIME_UNIX_MS)
		v /= 1000;
	/* years 1..9999 only, as everywhere else */
	if (v < -62135596800LL || v > 253402300799LL)
		return false;
	out->epoch = v;
	out->offset = default_offset;
	out->precision = TSK_PRECISION_MINUTE;
	return true;
}
