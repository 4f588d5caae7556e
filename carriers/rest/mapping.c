/*
 * The mapping loader: JSON text -> a validated, compiled tsk__rest_mapping.
 *
 * Invariants: a mapping either loads whole or not at all (nothing half-made
 * escapes); every key of every object is known (a typo is an error, with a
 * "did you mean" where one is close); every error names the origin, the key
 * path and what was expected, and is TSK_ECONFIG (or TSK_ENOMEM); no input,
 * however broken, crashes the loader (it is fuzzed).
 */
#include "rest_internal.h"
#include "carrier_tables.h"
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct loader {
	const char *origin;
	tsk_error *err;
	tsk__rest_mapping *m;
} loader;

static int fail(loader *l, const char *where, const char *fmt, ...) TSK__PRINTF(3, 4);

static int fail(loader *l, const char *where, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	tsk_error_set(l->err, TSK_ECONFIG, "%s: %s: %s", l->origin, where[0] ? where : "(top)", what);
	tsk_error_set_where(l->err, "%s", where);
	return TSK_ECONFIG;
}

static int nomem(loader *l)
{
	return tsk_error_set(l->err, TSK_ENOMEM, "%s: out of memory", l->origin);
}

/* Append text to a key path buffer, truncating quietly (paths are for messages). */
static void kp_append(char *buf, size_t len, size_t *used, const char *text)
{
	size_t n = strlen(text);
	if (*used + n >= len)
		n = len - 1 - *used;
	memcpy(buf + *used, text, n);
	*used += n;
	buf[*used] = '\0';
}

/* "response" + "event" -> "response.event"; buf may not alias parent. */
static void subpath(char *buf, size_t len, const char *parent, const char *key)
{
	size_t used = 0;
	buf[0] = '\0';
	kp_append(buf, len, &used, parent);
	if (parent[0])
		kp_append(buf, len, &used, ".");
	kp_append(buf, len, &used, key);
}

/* "request.headers" + 2 -> "request.headers[2]" */
static void indexpath(char *buf, size_t len, const char *parent, size_t i)
{
	char idx[32];
	size_t used = 0;
	buf[0] = '\0';
	kp_append(buf, len, &used, parent);
	int n = snprintf(idx, sizeof idx, "[%zu]", i);
	if (n > 0)
		kp_append(buf, len, &used, idx);
}

static const char *type_name(yajl_val v)
{
	if (!v)
		return "nothing";
	switch (v->type) {
	case yajl_t_string: return "a string";
	case yajl_t_number: return "a number";
	case yajl_t_object: return "an object";
	case yajl_t_array: return "an array";
	case yajl_t_true:
	case yajl_t_false: return "a boolean";
	case yajl_t_null: return "null";
	default: return "something else";
	}
}

static yajl_val get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

/* Edit distance, for "did you mean"; large for long strings. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static int check_keys(loader *l, yajl_val obj, const char *where, const char *const *allowed)
{
	for (size_t i = 0; i < obj->u.object.len; i++) {
		const char *key = obj->u.object.keys[i];
		char kp[256];
		subpath(kp, sizeof kp, where, key);
		for (size_t j = 0; j < i; j++)
			if (strcmp(obj->u.object.keys[j], key) == 0)
				return fail(l, kp, "duplicate key");
		bool known = false;
		const char *close = NULL;
		size_t best = 3;
		for (size_t k = 0; allowed[k] && !known; k++) {
			known = strcmp(allowed[k], key) == 0;
			size_t d = distance(allowed[k], key);
			if (d < best) {
				best = d;
				close = allowed[k];
			}
		}
		if (known)
			continue;
		if (close)
			return fail(l, kp, "unknown key (did you mean \"%s\"?)", close);
		char list[200] = "";
		size_t used = 0;
		for (size_t k = 0; allowed[k] && used + 1 < sizeof list; k++) {
			int n = snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", allowed[k]);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		return fail(l, kp, "unknown key (expected one of: %s)", list);
	}
	return TSK_OK;
}

static int want_object(loader *l, yajl_val v, const char *where)
{
	if (!YAJL_IS_OBJECT(v))
		return fail(l, where, "expected an object, got %s", type_name(v));
	return TSK_OK;
}

/* A string member; required ones must be present and non-empty. */
static int member_string(loader *l, yajl_val obj, const char *where, const char *key, bool required,
                         char **out)
{
	char kp[256];
	subpath(kp, sizeof kp, where, key);
	yajl_val v = get(obj, key);
	if (!v) {
		if (required)
			return fail(l, kp, "missing (a string is required)");
		return TSK_OK;
	}
	if (!YAJL_IS_STRING(v))
		return fail(l, kp, "expected a string, got %s", type_name(v));
	if (required && !v->u.string[0])
		return fail(l, kp, "must not be empty");
	if (!(*out = tsk__strdup(v->u.string)))
		return nomem(l);
	return TSK_OK;
}

/* "customer_name": {"ja": "…", "en": "…"}, each optional but not empty. */
static int customer_name(loader *l, yajl_val v, char *out[2])
{
	static const char *const langs[] = { "ja", "en", NULL };
	if (!v)
		return TSK_OK;
	int rc = want_object(l, v, "customer_name");
	if (rc == TSK_OK)
		rc = check_keys(l, v, "customer_name", langs);
	for (int i = 0; rc == TSK_OK && i < 2; i++) {
		rc = member_string(l, v, "customer_name", langs[i], false, &out[i]);
		if (rc == TSK_OK && out[i] && !out[i][0])
			rc = fail(l, i ? "customer_name.en" : "customer_name.ja", "must not be empty");
	}
	return rc;
}

/* An integer member in [min, max]; *present says whether it was there. */
static int member_int(loader *l, yajl_val obj, const char *where, const char *key, long long min,
                      long long max, long long *out, bool *present)
{
	char kp[256];
	subpath(kp, sizeof kp, where, key);
	yajl_val v = get(obj, key);
	if (present)
		*present = v != NULL;
	if (!v)
		return TSK_OK;
	if (!YAJL_IS_INTEGER(v))
		return fail(l, kp, "expected an integer, got %s", YAJL_IS_NUMBER(v) ? "a fraction" : type_name(v));
	if (YAJL_GET_INTEGER(v) < min || YAJL_GET_INTEGER(v) > max)
		return fail(l, kp, "%lld is outside %lld..%lld", YAJL_GET_INTEGER(v), min, max);
	*out = YAJL_GET_INTEGER(v);
	return TSK_OK;
}

/* ------------------------------------------------------------ value specs */

static int compile_path(loader *l, yajl_val v, const char *where, tsk__rest_path *out)
{
	if (!YAJL_IS_STRING(v))
		return fail(l, where, "expected a path (a string), got %s", type_name(v));
	char why[200];
	if (tsk__rest_path_compile(out, v->u.string, why, sizeof why) != 0)
		return strcmp(why, "out of memory") == 0 ? nomem(l) : fail(l, where, "%s", why);
	return TSK_OK;
}

static int compile_paths(loader *l, yajl_val v, const char *where, tsk__rest_paths *out)
{
	if (YAJL_IS_STRING(v)) {
		if (!(out->p = calloc(1, sizeof *out->p)))
			return nomem(l);
		out->n = 1;
		return compile_path(l, v, where, &out->p[0]);
	}
	if (!YAJL_IS_ARRAY(v) || v->u.array.len == 0)
		return fail(l, where, "expected a path or a non-empty list of paths, got %s",
		            YAJL_IS_ARRAY(v) ? "an empty list" : type_name(v));
	if (!(out->p = calloc(v->u.array.len, sizeof *out->p)))
		return nomem(l);
	out->n = v->u.array.len;
	for (size_t i = 0; i < v->u.array.len; i++) {
		char kp[256];
		indexpath(kp, sizeof kp, where, i);
		int rc = compile_path(l, v->u.array.values[i], kp, &out->p[i]);
		if (rc != TSK_OK)
			return rc;
	}
	return TSK_OK;
}

static void paths_dispose(tsk__rest_paths *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		tsk__rest_path_dispose(&ps->p[i]);
	free(ps->p);
	memset(ps, 0, sizeof *ps);
}

static int compile_spec(loader *l, yajl_val v, const char *where, const char *default_sep,
                        tsk__rest_spec *out);

static int compile_spec_list(loader *l, yajl_val arr, const char *where, const char *default_sep,
                             tsk__rest_spec *out)
{
	if (!YAJL_IS_ARRAY(arr) || arr->u.array.len == 0)
		return fail(l, where, "expected a non-empty list, got %s",
		            YAJL_IS_ARRAY(arr) ? "an empty list" : type_name(arr));
	if (!(out->items = calloc(arr->u.array.len, sizeof *out->items)))
		return nomem(l);
	out->n = arr->u.array.len;
	for (size_t i = 0; i < arr->u.array.len; i++) {
		char kp[256];
		indexpath(kp, sizeof kp, where, i);
		int rc = compile_spec(l, arr->u.array.values[i], kp, default_sep, &out->items[i]);
		if (rc != TSK_OK)
			return rc;
	}
	return TSK_OK;
}

/*
 * A value spec: "a.b" (a path; several values it reaches are joined),
 * ["a", "b"] (joined with default_sep), {"first": [...]},
 * {"join": [...], "separator": " "} or {"const": "text"}.
 */
static int compile_spec(loader *l, yajl_val v, const char *where, const char *default_sep,
                        tsk__rest_spec *out)
{
	memset(out, 0, sizeof *out);
	if (!(out->sep = tsk__strdup(default_sep)))
		return nomem(l);
	if (YAJL_IS_STRING(v)) {
		out->kind = TSK__SPEC_PATH;
		return compile_path(l, v, where, &out->path);
	}
	if (YAJL_IS_ARRAY(v)) {
		out->kind = TSK__SPEC_JOIN;
		return compile_spec_list(l, v, where, default_sep, out);
	}
	if (!YAJL_IS_OBJECT(v))
		return fail(l, where,
		            "expected a path, a list of paths to join, or an object with \"first\", "
		            "\"join\" or \"const\"; got %s", type_name(v));
	static const char *const keys[] = { "first", "join", "separator", "const", NULL };
	int rc = check_keys(l, v, where, keys);
	if (rc != TSK_OK)
		return rc;
	yajl_val first = get(v, "first"), join = get(v, "join"), cnst = get(v, "const"),
		 sep = get(v, "separator");
	int count = (first != NULL) + (join != NULL) + (cnst != NULL);
	if (count != 1)
		return fail(l, where, "expected exactly one of \"first\", \"join\" or \"const\"");
	char kp[256];
	if (sep) {
		subpath(kp, sizeof kp, where, "separator");
		if (!join)
			return fail(l, kp, "only allowed with \"join\"");
		if (!YAJL_IS_STRING(sep))
			return fail(l, kp, "expected a string, got %s", type_name(sep));
		free(out->sep);
		if (!(out->sep = tsk__strdup(sep->u.string)))
			return nomem(l);
	}
	if (cnst) {
		subpath(kp, sizeof kp, where, "const");
		if (!YAJL_IS_STRING(cnst))
			return fail(l, kp, "expected a string, got %s", type_name(cnst));
		out->kind = TSK__SPEC_CONST;
		if (!(out->text = tsk__strdup(cnst->u.string)))
			return nomem(l);
		return TSK_OK;
	}
	out->kind = first ? TSK__SPEC_FIRST : TSK__SPEC_JOIN;
	subpath(kp, sizeof kp, where, first ? "first" : "join");
	return compile_spec_list(l, first ? first : join, kp, out->sep, out);
}

static int member_spec(loader *l, yajl_val obj, const char *where, const char *key,
                       const char *default_sep, bool required, tsk__rest_spec *out)
{
	char kp[256];
	subpath(kp, sizeof kp, where, key);
	yajl_val v = get(obj, key);
	if (!v) {
		if (required)
			return fail(l, kp, "missing (a path is required)");
		return TSK_OK;
	}
	return compile_spec(l, v, kp, default_sep, out);
}

/* Status codes: one spec, or a list of specs tried in order (not joined). */
static int member_codes(loader *l, yajl_val obj, const char *where, const char *key,
                        tsk__rest_specs *out)
{
	char kp[256];
	subpath(kp, sizeof kp, where, key);
	yajl_val v = get(obj, key);
	if (!v)
		return TSK_OK;
	size_t n = YAJL_IS_ARRAY(v) ? v->u.array.len : 1;
	if (n == 0)
		return fail(l, kp, "expected a path or a non-empty list of paths, got an empty list");
	if (!(out->s = calloc(n, sizeof *out->s)))
		return nomem(l);
	out->n = n;
	if (!YAJL_IS_ARRAY(v))
		return compile_spec(l, v, kp, ", ", &out->s[0]);
	for (size_t i = 0; i < n; i++) {
		char ip[256];
		indexpath(ip, sizeof ip, kp, i);
		int rc = compile_spec(l, v->u.array.values[i], ip, ", ", &out->s[i]);
		if (rc != TSK_OK)
			return rc;
	}
	return TSK_OK;
}

static void specs_dispose(tsk__rest_specs *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		tsk__rest_spec_dispose(&ss->s[i]);
	free(ss->s);
	memset(ss, 0, sizeof *ss);
}

/* ------------------------------------------------------------- conditions */

static int compile_scalar(loader *l, yajl_val v, const char *where, tsk__rest_scalar *out)
{
	memset(out, 0, sizeof *out);
	if (YAJL_IS_STRING(v)) {
		out->type = TSK__SCALAR_STRING;
		return (out->s = tsk__strdup(v->u.string)) ? TSK_OK : nomem(l);
	}
	if (YAJL_IS_NUMBER(v)) {
		if (!YAJL_IS_DOUBLE(v))
			return fail(l, where, "number out of range");
		out->type = TSK__SCALAR_NUMBER;
		out->d = YAJL_GET_DOUBLE(v);
		return TSK_OK;
	}
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		out->type = TSK__SCALAR_BOOL;
		out->b = YAJL_IS_TRUE(v);
		return TSK_OK;
	}
	if (YAJL_IS_NULL(v)) {
		out->type = TSK__SCALAR_NULL;
		return TSK_OK;
	}
	return fail(l, where, "expected a string, number, boolean or null, got %s", type_name(v));
}

static int compile_cond(loader *l, yajl_val v, const char *where, tsk__rest_cond *out)
{
	int rc = want_object(l, v, where);
	if (rc != TSK_OK)
		return rc;
	static const char *const keys[] = { "path", "equals", "not_equals", NULL };
	if ((rc = check_keys(l, v, where, keys)) != TSK_OK)
		return rc;
	char kp[256];
	subpath(kp, sizeof kp, where, "path");
	yajl_val path = get(v, "path"), eq = get(v, "equals"), ne = get(v, "not_equals");
	if (!path)
		return fail(l, kp, "missing (a path is required)");
	out->set = true;
	if ((rc = compile_path(l, path, kp, &out->path)) != TSK_OK)
		return rc;
	if (eq && ne)
		return fail(l, where, "\"equals\" and \"not_equals\" exclude each other");
	yajl_val vals = eq ? eq : ne;
	if (!vals)
		return TSK_OK;
	out->negate = ne != NULL;
	subpath(kp, sizeof kp, where, eq ? "equals" : "not_equals");
	size_t n = YAJL_IS_ARRAY(vals) ? vals->u.array.len : 1;
	if (n == 0)
		return fail(l, kp, "expected a value or a non-empty list of values");
	if (!(out->vals = calloc(n, sizeof *out->vals)))
		return nomem(l);
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		char ip[256];
		indexpath(ip, sizeof ip, kp, i);
		rc = compile_scalar(l, YAJL_IS_ARRAY(vals) ? vals->u.array.values[i] : vals,
		                    YAJL_IS_ARRAY(vals) ? ip : kp, &out->vals[i]);
		if (rc != TSK_OK)
			return rc;
	}
	return TSK_OK;
}

static int member_cond(loader *l, yajl_val obj, const char *where, const char *key, bool required,
                       tsk__rest_cond *out)
{
	char kp[256];
	subpath(kp, sizeof kp, where, key);
	yajl_val v = get(obj, key);
	if (!v)
		return required ? fail(l, kp, "missing (an object {\"path\": …} is required)") : TSK_OK;
	return compile_cond(l, v, kp, out);
}

/* -------------------------------------------------------------- templates */

static bool env_name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static bool declared(const tsk__rest_mapping *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->ncredentials; i++)
		if (strlen(m->credentials[i]) == len && strncmp(m->credentials[i], name, len) == 0)
			return true;
	return false;
}

int tsk__rest_template_check(const char *tpl, const tsk__rest_mapping *m, unsigned *uses, char *why,
                             size_t whylen)
{
	for (const char *p = tpl; *p; p++) {
		if (p[0] == '{' && p[1] == '{') {
			p++;
			continue;
		}
		if (p[0] == '$' && p[1] == '{') {
			const char *n = p + 2, *e = n;
			while (env_name_char(*e, e == n))
				e++;
			if (e == n || *e != '}' || e - n > 100) {
				snprintf(why, whylen,
				         "bad environment reference at offset %zu (expected ${NAME}: up to "
				         "100 letters, digits and _)", (size_t)(p - tpl));
				return -1;
			}
			if (m && !declared(m, n, (size_t)(e - n))) {
				snprintf(why, whylen,
				         "${%.*s} is not a declared credential (a mapping reads only the "
				         "variables listed in \"credentials\")", (int)(e - n), n);
				return -1;
			}
			*uses |= TSK__USES_ENV;
			p = e;
			continue;
		}
		if (*p != '{')
			continue;
		const char *e = strchr(p, '}');
		size_t n = e ? (size_t)(e - p - 1) : 0;
		if (e && n == 8 && strncmp(p + 1, "endpoint", 8) == 0) {
		} else if (e && n == 6 && strncmp(p + 1, "number", 6) == 0) {
			*uses |= TSK__USES_NUMBER;
		} else if (e && n == 7 && strncmp(p + 1, "numbers", 7) == 0) {
			*uses |= TSK__USES_NUMBERS;
		} else if (e && n == 6 && strncmp(p + 1, "locale", 6) == 0) {
		} else {
			snprintf(why, whylen,
			         "unknown placeholder at offset %zu (expected {endpoint}, {number}, "
			         "{numbers}, {locale} or ${ENV_NAME}; write {{ for a literal {)",
			         (size_t)(p - tpl));
			return -1;
		}
		p = e;
	}
	return 0;
}

static int check_template(loader *l, const char *tpl, const char *where, unsigned *uses)
{
	char why[200];
	if (tsk__rest_template_check(tpl, l->m, uses, why, sizeof why) != 0)
		return fail(l, where, "%s", why);
	return TSK_OK;
}

bool tsk__rest_body_mentions_number(yajl_val v)
{
	if (YAJL_IS_STRING(v)) {
		unsigned u = 0;
		char why[8];
		return tsk__rest_template_check(v->u.string, NULL, &u, why, sizeof why) == 0 &&
		       (u & TSK__USES_NUMBER);
	}
	if (YAJL_IS_OBJECT(v)) {
		for (size_t i = 0; i < v->u.object.len; i++)
			if (tsk__rest_body_mentions_number(v->u.object.values[i]))
				return true;
	} else if (YAJL_IS_ARRAY(v)) {
		for (size_t i = 0; i < v->u.array.len; i++)
			if (tsk__rest_body_mentions_number(v->u.array.values[i]))
				return true;
	}
	return false;
}

/*
 * Check a body template. A one-element array that mentions {number} is
 * repeated once per number of the batch (the outermost such array only);
 * elsewhere {number} needs batch_size 1.
 */
static int check_body(loader *l, yajl_val v, const char *where, bool in_repeat, size_t batch,
                      unsigned *uses, bool *repeats)
{
	if (YAJL_IS_STRING(v)) {
		unsigned u = 0;
		int rc = check_template(l, v->u.string, where, &u);
		if (rc != TSK_OK)
			return rc;
		if ((u & TSK__USES_NUMBER) && !in_repeat && batch > 1)
			return fail(l, where,
			            "{number} outside a one-element array needs batch_size 1 (use {numbers}, "
			            "or wrap the item in [ ] to repeat it per number)");
		*uses |= u;
		return TSK_OK;
	}
	if (YAJL_IS_OBJECT(v)) {
		for (size_t i = 0; i < v->u.object.len; i++) {
			char kp[256];
			subpath(kp, sizeof kp, where, v->u.object.keys[i]);
			int rc = check_body(l, v->u.object.values[i], kp, in_repeat, batch, uses, repeats);
			if (rc != TSK_OK)
				return rc;
		}
	} else if (YAJL_IS_ARRAY(v)) {
		bool rep = !in_repeat && v->u.array.len == 1 && tsk__rest_body_mentions_number(v->u.array.values[0]);
		if (rep)
			*repeats = true;
		for (size_t i = 0; i < v->u.array.len; i++) {
			char kp[256];
			indexpath(kp, sizeof kp, where, i);
			int rc = check_body(l, v->u.array.values[i], kp, in_repeat || rep, batch, uses, repeats);
			if (rc != TSK_OK)
				return rc;
		}
	}
	return TSK_OK;
}

/* ---------------------------------------------------------------- sections */

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 48)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '-' || c == '_'));
		if (!ok)
			return false;
	}
	return true;
}

/* "credentials": the environment variables the templates may read, e.g.
 * ["AFTERSHIP_API_KEY"]; any other ${NAME} is refused at load time. */
static int load_credentials(loader *l, yajl_val v)
{
	const char *where = "credentials";
	if (!YAJL_IS_ARRAY(v))
		return fail(l, where, "expected an array of variable names, got %s", type_name(v));
	tsk__rest_mapping *m = l->m;
	if (v->u.array.len > 16)
		return fail(l, where, "at most 16 credentials");
	if (v->u.array.len && !(m->credentials = calloc(v->u.array.len, sizeof *m->credentials)))
		return nomem(l);
	for (size_t i = 0; i < v->u.array.len; i++) {
		char kp[256];
		indexpath(kp, sizeof kp, where, i);
		yajl_val c = v->u.array.values[i];
		if (!YAJL_IS_STRING(c))
			return fail(l, kp, "expected a string, got %s", type_name(c));
		const char *name = c->u.string;
		size_t len = strlen(name);
		bool ok = len > 0 && len <= 100;
		for (size_t k = 0; ok && k < len; k++)
			ok = env_name_char(name[k], k == 0);
		if (!ok)
			return fail(l, kp, "\"%s\" is not a variable name (up to 100 letters, digits and _, "
			                   "not starting with a digit)", name);
		if (declared(m, name, len))
			return fail(l, kp, "%s is listed twice", name);
		if (!(m->credentials[m->ncredentials] = tsk__strdup(name)))
			return nomem(l);
		m->ncredentials++;
	}
	return TSK_OK;
}

static int load_pattern(loader *l, yajl_val v)
{
	const char *where = "number_pattern";
	int rc = want_object(l, v, where);
	if (rc != TSK_OK)
		return rc;
	static const char *const keys[] = { "chars", "min_length", "max_length", "confidence", NULL };
	if ((rc = check_keys(l, v, where, keys)) != TSK_OK)
		return rc;
	tsk__rest_mapping *m = l->m;
	yajl_val cv = get(v, "chars");
	if (!cv)
		return fail(l, "number_pattern.chars", "missing (a string is required)");
	if (!YAJL_IS_STRING(cv) || !cv->u.string[0])
		return fail(l, "number_pattern.chars", "expected a non-empty string, got %s",
		            YAJL_IS_STRING(cv) ? "an empty one" : type_name(cv));
	for (const char *p = cv->u.string; *p; p++) {
		unsigned char a = (unsigned char)p[0];
		if (a >= 0x80)
			return fail(l, "number_pattern.chars",
			            "only ASCII is allowed (numbers are normalized to 0-9 and A-Z)");
		if (p[1] == '-' && p[2]) {
			unsigned char b = (unsigned char)p[2];
			if (b >= 0x80 || b < a)
				return fail(l, "number_pattern.chars", "bad range %c-%c", a, b >= 0x80 ? '?' : b);
			for (unsigned c = a; c <= b; c++)
				m->allowed[c] = true;
			p += 2;
		} else {
			m->allowed[a] = true;
		}
	}
	long long minl = 1, maxl = 40;
	if ((rc = member_int(l, v, where, "min_length", 1, 40, &minl, NULL)) != TSK_OK ||
	    (rc = member_int(l, v, where, "max_length", 1, 40, &maxl, NULL)) != TSK_OK)
		return rc;
	if (maxl < minl)
		return fail(l, "number_pattern.max_length", "%lld is less than min_length %lld", maxl, minl);
	m->min_len = (size_t)minl;
	m->max_len = (size_t)maxl;
	m->confidence = 0.1;
	yajl_val c = get(v, "confidence");
	if (c) {
		if (!YAJL_IS_DOUBLE(c) || YAJL_GET_DOUBLE(c) <= 0 || YAJL_GET_DOUBLE(c) > 1)
			return fail(l, "number_pattern.confidence", "expected a number in (0, 1], got %s",
			            YAJL_IS_NUMBER(c) ? YAJL_GET_NUMBER(c) : type_name(c));
		m->confidence = YAJL_GET_DOUBLE(c);
	}
	m->has_pattern = true;
	return TSK_OK;
}

static bool header_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c)))
			return false;
	}
	return true;
}

static int load_request(loader *l, yajl_val v)
{
	const char *where = "request";
	int rc = want_object(l, v, where);
	if (rc != TSK_OK)
		return rc;
	static const char *const keys[] = { "method", "url", "headers", "basic_auth", "body",
		                            "content_type", "batch_size", "number_separator", NULL };
	if ((rc = check_keys(l, v, where, keys)) != TSK_OK)
		return rc;
	tsk__rest_mapping *m = l->m;
	if ((rc = member_string(l, v, where, "method", false, &m->method)) != TSK_OK)
		return rc;
	if (!m->method && !(m->method = tsk__strdup(get(v, "body") ? "POST" : "GET")))
		return nomem(l);
	if (strcmp(m->method, "GET") != 0 && strcmp(m->method, "POST") != 0)
		return fail(l, "request.method", "expected \"GET\" or \"POST\", got \"%s\"", m->method);
	if (strcmp(m->method, "GET") == 0 && get(v, "body"))
		return fail(l, "request.body", "a GET request has no body (use \"method\": \"POST\")");
	long long batch = 1;
	if ((rc = member_int(l, v, where, "batch_size", 1, 64, &batch, NULL)) != TSK_OK)
		return rc;
	m->batch_size = (size_t)batch;

	unsigned uses = 0;
	if ((rc = member_string(l, v, where, "url", true, &m->url)) != TSK_OK ||
	    (rc = check_template(l, m->url, "request.url", &uses)) != TSK_OK)
		return rc;
	if ((uses & TSK__USES_NUMBER) && batch > 1)
		return fail(l, "request.url", "{number} needs batch_size 1; use {numbers} for a batch");

	yajl_val h = get(v, "headers");
	if (h) {
		if ((rc = want_object(l, h, "request.headers")) != TSK_OK)
			return rc;
		if (!(m->headers = calloc(h->u.object.len ? h->u.object.len : 1, sizeof *m->headers)))
			return nomem(l);
		for (size_t i = 0; i < h->u.object.len; i++) {
			char kp[256];
			subpath(kp, sizeof kp, "request.headers", h->u.object.keys[i]);
			for (size_t j = 0; j < i; j++)
				if (tsk__strcasecmp(h->u.object.keys[j], h->u.object.keys[i]) == 0)
					return fail(l, kp, "duplicate header");
			if (!header_name_ok(h->u.object.keys[i]))
				return fail(l, kp, "not a valid header name");
			yajl_val hv = h->u.object.values[i];
			if (!YAJL_IS_STRING(hv))
				return fail(l, kp, "expected a string, got %s", type_name(hv));
			if (strpbrk(hv->u.string, "\r\n"))
				return fail(l, kp, "a header value must be one line");
			unsigned hu = 0;
			if ((rc = check_template(l, hv->u.string, kp, &hu)) != TSK_OK)
				return rc;
			if ((hu & TSK__USES_NUMBER) && batch > 1)
				return fail(l, kp, "{number} needs batch_size 1; use {numbers} for a batch");
			uses |= hu;
			tsk__rest_header *hd = &m->headers[m->nheaders];
			if (!(hd->name = tsk__strdup(h->u.object.keys[i])) ||
			    !(hd->value = tsk__strdup(hv->u.string)))
				return nomem(l);
			m->nheaders++;
		}
	}
	yajl_val ba = get(v, "basic_auth");
	if (ba) {
		const char *bw = "request.basic_auth";
		if ((rc = want_object(l, ba, bw)) != TSK_OK)
			return rc;
		static const char *const bkeys[] = { "username", "password", NULL };
		if ((rc = check_keys(l, ba, bw, bkeys)) != TSK_OK ||
		    (rc = member_string(l, ba, bw, "username", true, &m->basic_user)) != TSK_OK ||
		    (rc = member_string(l, ba, bw, "password", false, &m->basic_pass)) != TSK_OK)
			return rc;
		if (!m->basic_pass && !(m->basic_pass = tsk__strdup("")))
			return nomem(l);
		unsigned bu = 0;
		if ((rc = check_template(l, m->basic_user, "request.basic_auth.username", &bu)) != TSK_OK ||
		    (rc = check_template(l, m->basic_pass, "request.basic_auth.password", &bu)) != TSK_OK)
			return rc;
		if (bu & (TSK__USES_NUMBER | TSK__USES_NUMBERS))
			return fail(l, bw, "credentials cannot contain the number");
		m->has_basic = true;
	}
	bool repeats = false;
	yajl_val body = get(v, "body");
	if (body) {
		if ((rc = check_body(l, body, "request.body", false, m->batch_size, &uses, &repeats)) != TSK_OK)
			return rc;
		m->body = body;
	}
	if ((rc = member_string(l, v, where, "content_type", false, &m->content_type)) != TSK_OK)
		return rc;
	if (m->content_type && strpbrk(m->content_type, "\r\n"))
		return fail(l, "request.content_type", "must be one line");
	if (!m->content_type && body && !(m->content_type = tsk__strdup("application/json")))
		return nomem(l);
	if ((rc = member_string(l, v, where, "number_separator", false, &m->number_sep)) != TSK_OK)
		return rc;
	if (!m->number_sep && !(m->number_sep = tsk__strdup(",")))
		return nomem(l);
	if (batch > 1 && !(uses & TSK__USES_NUMBERS) && !repeats)
		return fail(l, "request.batch_size",
		            "a batch needs {numbers} in the URL, a header or the body, or a one-element "
		            "array around {number} in the body");
	if (!(uses & (TSK__USES_NUMBER | TSK__USES_NUMBERS)))
		return fail(l, "request", "the tracking number appears nowhere (use {number} or {numbers} "
		                          "in the URL, a header or the body)");
	return TSK_OK;
}

/* A normalized status by its JSON name, with a "did you mean" when close. */
static int status_name(loader *l, const char *where, const char *name, tsk_status *out)
{
	if (tsk_status_from_string(out, name) == TSK_OK)
		return TSK_OK;
	const char *close = NULL;
	size_t best = 4;
	for (int k = 0; k < TSK_STATUS__COUNT; k++) {
		size_t d = distance(tsk_status_to_string((tsk_status)k), name);
		if (d < best) {
			best = d;
			close = tsk_status_to_string((tsk_status)k);
		}
	}
	if (close)
		return fail(l, where, "unknown status \"%s\" (did you mean \"%s\"?)", name, close);
	return fail(l, where,
	            "unknown status \"%s\" (expected one of: info_received, in_transit, "
	            "out_for_delivery, failed_attempt, available_for_pickup, delivered, "
	            "returned_to_sender, exception, not_found, unknown)", name);
}

static int load_status_map(loader *l, yajl_val v)
{
	const char *where = "response.status_map";
	int rc = want_object(l, v, where);
	if (rc != TSK_OK)
		return rc;
	tsk__rest_mapping *m = l->m;
	if (!(m->table = calloc(v->u.object.len ? v->u.object.len : 1, sizeof *m->table)))
		return nomem(l);
	for (size_t i = 0; i < v->u.object.len; i++) {
		const char *code = v->u.object.keys[i];
		char kp[256];
		subpath(kp, sizeof kp, where, code);
		for (size_t j = 0; j < i; j++)
			if (strcmp(v->u.object.keys[j], code) == 0)
				return fail(l, kp, "duplicate code");
		size_t len = strlen(code);
		const char *star = strchr(code, '*');
		if (len == 0)
			return fail(l, kp, "empty code");
		if (star && star != code + len - 1)
			return fail(l, kp, "'*' is only allowed at the end (a prefix entry like \"InTransit_*\")");
		tsk__rest_status *e = &m->table[m->ntable];
		e->prefix = star != NULL;
		if (!(e->code = tsk__strndup(code, star ? len - 1 : len)))
			return nomem(l);
		m->ntable++;
		yajl_val t = v->u.object.values[i];
		yajl_val st = t, exc = NULL;
		char sp[256], ep[256];
		const char *stwhere = kp;
		if (YAJL_IS_NULL(t)) {
			e->pass = true;
			continue;
		}
		if (YAJL_IS_OBJECT(t)) {
			static const char *const keys[] = { "status", "exception", NULL };
			if ((rc = check_keys(l, t, kp, keys)) != TSK_OK)
				return rc;
			st = get(t, "status");
			exc = get(t, "exception");
			if (!st)
				return fail(l, kp, "missing \"status\"");
			subpath(sp, sizeof sp, kp, "status");
			stwhere = sp;
			if (!YAJL_IS_STRING(st))
				return fail(l, sp, "expected a status name, got %s", type_name(st));
		} else if (!YAJL_IS_STRING(t)) {
			return fail(l, kp, "expected a status name, {\"status\": …, \"exception\": …} or null, got %s",
			            type_name(t));
		}
		if ((rc = status_name(l, stwhere, st->u.string, &e->status)) != TSK_OK)
			return rc;
		if (exc) {
			subpath(ep, sizeof ep, kp, "exception");
			if (!YAJL_IS_STRING(exc))
				return fail(l, ep, "expected an exception code, got %s", type_name(exc));
			if (strcmp(exc->u.string, "none") != 0 &&
			    tsk_exception_from_string(&e->exception, exc->u.string) != TSK_OK) {
				const char *close = NULL;
				size_t best = 4;
				for (int k = 1; k < TSK_EXC__COUNT; k++) {
					size_t d = distance(tsk_exception_to_string((tsk_exception_code)k), exc->u.string);
					if (d < best) {
						best = d;
						close = tsk_exception_to_string((tsk_exception_code)k);
					}
				}
				if (close)
					return fail(l, ep, "unknown exception code \"%s\" (did you mean \"%s\"?)",
					            exc->u.string, close);
				return fail(l, ep, "unknown exception code \"%s\" (expected a code of DESIGN.md "
				                   "\"Exceptions\", e.g. address_problem, refused, lost)", exc->u.string);
			}
		}
	}
	return TSK_OK;
}

static int parse_offset(const char *s, int *out)
{
	if (strcmp(s, "Z") == 0) {
		*out = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':')
		return -1;
	for (int i = 1; i < 6; i++)
		if (i != 3 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[1] - '0') * 10 + (s[2] - '0'), mi = (s[4] - '0') * 10 + (s[5] - '0');
	if (h > 18 || mi > 59 || h * 60 + mi > 18 * 60)
		return -1;
	*out = (s[0] == '-' ? -1 : 1) * (h * 3600 + mi * 60);
	return 0;
}

static int load_response(loader *l, yajl_val v)
{
	const char *where = "response";
	int rc = want_object(l, v, where);
	if (rc != TSK_OK)
		return rc;
	static const char *const keys[] = { "shipments", "webhook", "shipment", "events", "events_order",
		                            "event", "time_format", "time_offset", "status_map",
		                            "not_found", "error", "rejected", NULL };
	if ((rc = check_keys(l, v, where, keys)) != TSK_OK)
		return rc;
	tsk__rest_mapping *m = l->m;
	yajl_val x = get(v, "shipments");
	if (!x)
		return fail(l, "response.shipments", "missing (a path to the shipments is required)");
	if ((rc = compile_paths(l, x, "response.shipments", &m->shipments)) != TSK_OK)
		return rc;

	if ((x = get(v, "webhook"))) {
		const char *ww = "response.webhook";
		if ((rc = want_object(l, x, ww)) != TSK_OK)
			return rc;
		static const char *const wkeys[] = { "shipments", "when", NULL };
		if ((rc = check_keys(l, x, ww, wkeys)) != TSK_OK)
			return rc;
		yajl_val ws = get(x, "shipments");
		if (!ws)
			return fail(l, "response.webhook.shipments", "missing (a path is required)");
		if ((rc = compile_paths(l, ws, "response.webhook.shipments", &m->webhook)) != TSK_OK ||
		    (rc = member_cond(l, x, ww, "when", false, &m->webhook_when)) != TSK_OK)
			return rc;
	}

	x = get(v, "shipment");
	const char *sw = "response.shipment";
	if (!x)
		return fail(l, sw, "missing (an object with at least \"number\" is required)");
	if ((rc = want_object(l, x, sw)) != TSK_OK)
		return rc;
	static const char *const skeys[] = { "number", "status", "status_text", "service", "origin",
		                             "destination", "eta", "eta_latest", NULL };
	if ((rc = check_keys(l, x, sw, skeys)) != TSK_OK ||
	    (rc = member_spec(l, x, sw, "number", ", ", true, &m->number)) != TSK_OK ||
	    (rc = member_codes(l, x, sw, "status", &m->status)) != TSK_OK ||
	    (rc = member_spec(l, x, sw, "status_text", ", ", false, &m->status_text)) != TSK_OK ||
	    (rc = member_spec(l, x, sw, "service", ", ", false, &m->service)) != TSK_OK ||
	    (rc = member_spec(l, x, sw, "origin", ", ", false, &m->origin_region)) != TSK_OK ||
	    (rc = member_spec(l, x, sw, "destination", ", ", false, &m->dest_region)) != TSK_OK ||
	    (rc = member_spec(l, x, sw, "eta", " ", false, &m->eta)) != TSK_OK ||
	    (rc = member_spec(l, x, sw, "eta_latest", " ", false, &m->eta_latest)) != TSK_OK)
		return rc;

	yajl_val evs = get(v, "events"), ev = get(v, "event");
	if (evs && !ev)
		return fail(l, "response.event", "missing (required with response.events)");
	if (ev && !evs)
		return fail(l, "response.events", "missing (required with response.event)");
	if (evs && (rc = compile_paths(l, evs, "response.events", &m->events)) != TSK_OK)
		return rc;
	if (ev) {
		const char *ew = "response.event";
		if ((rc = want_object(l, ev, ew)) != TSK_OK)
			return rc;
		static const char *const ekeys[] = { "time", "time_raw", "status", "status_text",
			                             "description", "location", "location_code", "region",
			                             "postal_code", NULL };
		if ((rc = check_keys(l, ev, ew, ekeys)) != TSK_OK ||
		    (rc = member_spec(l, ev, ew, "time", " ", false, &m->ev_time)) != TSK_OK ||
		    (rc = member_spec(l, ev, ew, "time_raw", " ", false, &m->ev_time_raw)) != TSK_OK ||
		    (rc = member_codes(l, ev, ew, "status", &m->ev_status)) != TSK_OK ||
		    (rc = member_spec(l, ev, ew, "status_text", ", ", false, &m->ev_status_text)) != TSK_OK ||
		    (rc = member_spec(l, ev, ew, "description", ", ", false, &m->ev_description)) != TSK_OK ||
		    (rc = member_spec(l, ev, ew, "location", ", ", false, &m->ev_location)) != TSK_OK ||
		    (rc = member_spec(l, ev, ew, "location_code", ", ", false, &m->ev_location_code)) != TSK_OK ||
		    (rc = member_spec(l, ev, ew, "region", ", ", false, &m->ev_region)) != TSK_OK ||
		    (rc = member_spec(l, ev, ew, "postal_code", ", ", false, &m->ev_postal)) != TSK_OK)
			return rc;
	}
	char *order = NULL;
	if ((rc = member_string(l, v, where, "events_order", false, &order)) != TSK_OK)
		return rc;
	if (order) {
		bool newest = strcmp(order, "newest_first") == 0;
		bool oldest = strcmp(order, "oldest_first") == 0;
		if (!newest && !oldest) {
			rc = fail(l, "response.events_order",
			          "expected \"oldest_first\" or \"newest_first\", got \"%s\"", order);
			free(order);
			return rc;
		}
		m->newest_first = newest;
		free(order);
	}
	char *tf = NULL;
	if ((rc = member_string(l, v, where, "time_format", false, &tf)) != TSK_OK)
		return rc;
	m->time_format = TSK__TIME_ISO8601;
	if (tf) {
		if (strcmp(tf, "unix") == 0)
			m->time_format = TSK__TIME_UNIX;
		else if (strcmp(tf, "unix_ms") == 0)
			m->time_format = TSK__TIME_UNIX_MS;
		else if (strcmp(tf, "iso8601") != 0) {
			rc = fail(l, "response.time_format",
			          "expected \"iso8601\", \"unix\" or \"unix_ms\", got \"%s\"", tf);
			free(tf);
			return rc;
		}
		free(tf);
	}
	char *off = NULL;
	m->time_offset = TSK_JST_OFFSET;
	if ((rc = member_string(l, v, where, "time_offset", false, &off)) != TSK_OK)
		return rc;
	if (off) {
		int o;
		if (parse_offset(off, &o) != 0) {
			rc = fail(l, "response.time_offset", "expected \"+HH:MM\", \"-HH:MM\" or \"Z\", got \"%s\"", off);
			free(off);
			return rc;
		}
		m->time_offset = o;
		free(off);
	}
	if ((x = get(v, "status_map")) && (rc = load_status_map(l, x)) != TSK_OK)
		return rc;
	if (!x && (m->status.n || m->ev_status.n))
		return fail(l, "response.status_map",
		            "missing (required when response.shipment.status or response.event.status is given)");

	if ((x = get(v, "not_found"))) {
		const char *nw = "response.not_found";
		if ((rc = want_object(l, x, nw)) != TSK_OK)
			return rc;
		static const char *const nkeys[] = { "http_status", "when", "message", NULL };
		if ((rc = check_keys(l, x, nw, nkeys)) != TSK_OK)
			return rc;
		yajl_val hs = get(x, "http_status");
		if (hs) {
			size_t n = YAJL_IS_ARRAY(hs) ? hs->u.array.len : 1;
			if (!(m->nf_http = calloc(n ? n : 1, sizeof *m->nf_http)))
				return nomem(l);
			for (size_t i = 0; i < n; i++) {
				yajl_val e = YAJL_IS_ARRAY(hs) ? hs->u.array.values[i] : hs;
				if (!YAJL_IS_INTEGER(e) || YAJL_GET_INTEGER(e) < 100 || YAJL_GET_INTEGER(e) > 599)
					return fail(l, "response.not_found.http_status",
					            "expected an HTTP status (100..599) or a list of them");
				m->nf_http[m->nnf_http++] = (long)YAJL_GET_INTEGER(e);
			}
		}
		if ((rc = member_cond(l, x, nw, "when", false, &m->nf_when)) != TSK_OK ||
		    (rc = member_spec(l, x, nw, "message", ", ", false, &m->nf_message)) != TSK_OK)
			return rc;
		if (!hs && !m->nf_when.set)
			return fail(l, nw, "expected \"http_status\" and/or \"when\"");
	}
	if ((x = get(v, "error"))) {
		const char *rw = "response.error";
		if ((rc = want_object(l, x, rw)) != TSK_OK)
			return rc;
		static const char *const rkeys[] = { "when", "message", NULL };
		if ((rc = check_keys(l, x, rw, rkeys)) != TSK_OK ||
		    (rc = member_cond(l, x, rw, "when", false, &m->err_when)) != TSK_OK ||
		    (rc = member_spec(l, x, rw, "message", ", ", false, &m->err_message)) != TSK_OK)
			return rc;
	}
	if ((x = get(v, "rejected"))) {
		const char *jw = "response.rejected";
		if ((rc = want_object(l, x, jw)) != TSK_OK)
			return rc;
		static const char *const jkeys[] = { "items", "number", "message", "not_found", NULL };
		if ((rc = check_keys(l, x, jw, jkeys)) != TSK_OK)
			return rc;
		yajl_val it = get(x, "items");
		if (!it)
			return fail(l, "response.rejected.items", "missing (a path is required)");
		m->has_rejected = true;
		if ((rc = compile_path(l, it, "response.rejected.items", &m->rej_items)) != TSK_OK ||
		    (rc = member_spec(l, x, jw, "number", ", ", true, &m->rej_number)) != TSK_OK ||
		    (rc = member_spec(l, x, jw, "message", ", ", false, &m->rej_message)) != TSK_OK ||
		    (rc = member_cond(l, x, jw, "not_found", false, &m->rej_not_found)) != TSK_OK)
			return rc;
	}
	return TSK_OK;
}

/* ------------------------------------------------------------------- whole */

/* ------------------------------------------------------- delivery tables */

/* A number member in [min, max]; absent leaves *out. */
static int member_fraction(loader *l, yajl_val obj, const char *where, const char *key, double min, double max,
                           double *out)
{
	char kp[256];
	subpath(kp, sizeof kp, where, key);
	yajl_val v = get(obj, key);
	if (!v)
		return TSK_OK;
	if (!YAJL_IS_NUMBER(v) || !YAJL_IS_DOUBLE(v) || YAJL_GET_DOUBLE(v) < min || YAJL_GET_DOUBLE(v) > max)
		return fail(l, kp, "expected a number in %g..%g, got %s", min, max,
		            YAJL_IS_NUMBER(v) ? YAJL_GET_NUMBER(v) : type_name(v));
	*out = YAJL_GET_DOUBLE(v);
	return TSK_OK;
}

/* [first, last]: two integers 0..max, first <= last. */
static int day_pair(loader *l, yajl_val v, const char *where, int max, int out[2])
{
	if (!YAJL_IS_ARRAY(v) || v->u.array.len != 2 || !YAJL_IS_INTEGER(v->u.array.values[0]) ||
	    !YAJL_IS_INTEGER(v->u.array.values[1]))
		return fail(l, where, "expected [first, last] (two integers), got %s", type_name(v));
	long long a = YAJL_GET_INTEGER(v->u.array.values[0]), b = YAJL_GET_INTEGER(v->u.array.values[1]);
	if (a < 0 || b > max || a > b)
		return fail(l, where, "[%lld, %lld]: expected 0 <= first <= last <= %d", a, b, max);
	out[0] = (int)a;
	out[1] = (int)b;
	return TSK_OK;
}

/* "YYYY-MM-DD" -> YYYYMMDD, 0 when it is not a date. */
static long date_number(const char *s)
{
	int y, mo, d;
	char tail;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || s[4] != '-' || s[7] != '-' ||
	    y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return 0;
	return (long)y * 10000 + mo * 100 + d;
}

#define MAX_TRANSIT_DAYS 60

static int load_transit_row(loader *l, yajl_val v, const char *where, tsk_transit_row *r, char **service,
                            char **keywords)
{
	int rc = want_object(l, v, where);
	if (rc != TSK_OK)
		return rc;
	static const char *const keys[] = { "service", "keywords", "calendar", "cutoff_hour", "since", "hours",
		                            "days", "days_unknown", "confidence", "confidence_nationwide", NULL };
	if ((rc = check_keys(l, v, where, keys)) != TSK_OK)
		return rc;
	if ((rc = member_string(l, v, where, "service", true, service)) != TSK_OK)
		return rc;
	r->service = *service;
	char kp[256];
	/* keywords: a list of words joined with '|' as the rows keep them */
	tsk__buf words = TSK__BUF_INIT;
	yajl_val kw = get(v, "keywords");
	subpath(kp, sizeof kp, where, "keywords");
	if (kw && !YAJL_IS_ARRAY(kw))
		return fail(l, kp, "expected a list of words, got %s", type_name(kw));
	for (size_t i = 0; kw && i < kw->u.array.len; i++) {
		yajl_val w = kw->u.array.values[i];
		char ip[256];
		indexpath(ip, sizeof ip, kp, i);
		if (!YAJL_IS_STRING(w)) {
			tsk__buf_dispose(&words);
			return fail(l, ip, "expected a string, got %s", type_name(w));
		}
		if (!w->u.string[0] || strchr(w->u.string, '|') || strlen(w->u.string) >= 128) {
			tsk__buf_dispose(&words);
			return fail(l, ip, "a word is 1 to 127 bytes without '|'");
		}
		if (i)
			tsk__buf_putc(&words, '|');
		tsk__buf_puts(&words, w->u.string);
	}
	if (!(*keywords = tsk__buf_detach(&words)))
		return nomem(l);
	r->keywords = *keywords;
	/* the rest defaults to the generic parcel row (lib/data/transit.def) */
	const tsk_transit_row *generic = tsk__transit_generic();
	r->calendar = generic->calendar;
	r->cutoff_hour = generic->cutoff_hour;
	r->day_start = generic->day_start;
	r->day_end = generic->day_end;
	r->confidence = generic->confidence;
	r->confidence_nationwide = generic->confidence_nationwide;
	yajl_val cal = get(v, "calendar");
	subpath(kp, sizeof kp, where, "calendar");
	if (cal && !(YAJL_IS_STRING(cal) &&
	             (strcmp(cal->u.string, "every_day") == 0 || strcmp(cal->u.string, "mail_days") == 0)))
		return fail(l, kp, "expected \"every_day\" or \"mail_days\", got %s",
		            YAJL_IS_STRING(cal) ? cal->u.string : type_name(cal));
	if (cal && strcmp(cal->u.string, "mail_days") == 0)
		r->calendar = TSK_DELIVER_MAIL_DAYS;
	long long cutoff = r->cutoff_hour;
	if ((rc = member_int(l, v, where, "cutoff_hour", 0, 24, &cutoff, NULL)) != TSK_OK)
		return rc;
	r->cutoff_hour = (int)cutoff;
	yajl_val since = get(v, "since");
	subpath(kp, sizeof kp, where, "since");
	if (since && (!YAJL_IS_STRING(since) || !(r->since = date_number(since->u.string))))
		return fail(l, kp, "expected a date \"YYYY-MM-DD\", got %s",
		            YAJL_IS_STRING(since) ? since->u.string : type_name(since));
	yajl_val hours = get(v, "hours");
	if (hours) {
		int h[2];
		subpath(kp, sizeof kp, where, "hours");
		if ((rc = day_pair(l, hours, kp, 24, h)) != TSK_OK)
			return rc;
		if (h[0] == h[1])
			return fail(l, kp, "the delivery hours must not be empty");
		r->day_start = h[0];
		r->day_end = h[1];
	}
	yajl_val days = get(v, "days");
	subpath(kp, sizeof kp, where, "days");
	if (!days)
		return fail(l, kp, "missing (four [first, last] pairs: distance classes 0..3)");
	if (!YAJL_IS_ARRAY(days) || days->u.array.len != 4)
		return fail(l, kp, "expected four [first, last] pairs (distance classes 0..3), got %s",
		            YAJL_IS_ARRAY(days) ? "another number of them" : type_name(days));
	int lo = MAX_TRANSIT_DAYS, hi = 0;
	for (size_t i = 0; i < 4; i++) {
		char ip[256];
		int d[2];
		indexpath(ip, sizeof ip, kp, i);
		if ((rc = day_pair(l, days->u.array.values[i], ip, MAX_TRANSIT_DAYS, d)) != TSK_OK)
			return rc;
		r->days[i][0] = (signed char)d[0];
		r->days[i][1] = (signed char)d[1];
		lo = d[0] < lo ? d[0] : lo;
		hi = d[1] > hi ? d[1] : hi;
	}
	/* an unknown region pair: by default the widest of the classes */
	int u[2] = { lo, hi };
	yajl_val unknown = get(v, "days_unknown");
	subpath(kp, sizeof kp, where, "days_unknown");
	if (unknown && (rc = day_pair(l, unknown, kp, MAX_TRANSIT_DAYS, u)) != TSK_OK)
		return rc;
	r->days[4][0] = (signed char)u[0];
	r->days[4][1] = (signed char)u[1];
	if ((rc = member_fraction(l, v, where, "confidence", 0, 1, &r->confidence)) != TSK_OK ||
	    (rc = member_fraction(l, v, where, "confidence_nationwide", 0, 1, &r->confidence_nationwide)) != TSK_OK)
		return rc;
	return TSK_OK;
}

/* A table: a list of 1 to 64 rows. */
static int want_rows(loader *l, yajl_val v, const char *where, const char *what)
{
	if (!YAJL_IS_ARRAY(v) || v->u.array.len == 0 || v->u.array.len > 64)
		return fail(l, where, "expected a list of 1 to 64 %s rows, got %s", what,
		            YAJL_IS_ARRAY(v) ? "another number of them" : type_name(v));
	return TSK_OK;
}

static int load_transit(loader *l, yajl_val v)
{
	const char *where = "transit";
	tsk__rest_mapping *m = l->m;
	int rc = want_rows(l, v, where, "transit");
	if (rc != TSK_OK)
		return rc;
	size_t n = v->u.array.len;
	if (!(m->transit = calloc(n, sizeof *m->transit)) || !(m->table_strings = calloc(2 * n, sizeof (char *))))
		return nomem(l);
	for (size_t i = 0; i < n; i++) {
		char kp[256];
		indexpath(kp, sizeof kp, where, i);
		m->ntransit = i + 1;
		rc = load_transit_row(l, v->u.array.values[i], kp, &m->transit[i], &m->table_strings[2 * i],
		                      &m->table_strings[2 * i + 1]);
		m->ntable_strings = 2 * (i + 1);
		if (rc != TSK_OK)
			return rc;
	}
	return TSK_OK;
}

static int load_stall(loader *l, yajl_val v)
{
	const char *where = "stall";
	tsk__rest_mapping *m = l->m;
	int rc = want_rows(l, v, where, "stall");
	if (rc != TSK_OK)
		return rc;
	if (!(m->stall = calloc(v->u.array.len, sizeof *m->stall)) ||
	    !(m->stall_services = calloc(v->u.array.len, sizeof (char *))))
		return nomem(l);
	for (size_t i = 0; i < v->u.array.len; i++) {
		char kp[256], sp[256];
		yajl_val row = v->u.array.values[i];
		indexpath(kp, sizeof kp, where, i);
		if ((rc = want_object(l, row, kp)) != TSK_OK)
			return rc;
		static const char *const keys[] = { "service", "status", "hours", NULL };
		if ((rc = check_keys(l, row, kp, keys)) != TSK_OK)
			return rc;
		tsk_stall_row *r = &m->stall[i];
		m->nstall = i + 1;
		char *service = NULL;
		if ((rc = member_string(l, row, kp, "service", false, &service)) != TSK_OK)
			return rc;
		if (!service && !(service = tsk__strdup("*")))
			return nomem(l);
		m->stall_services[i] = service;
		r->service = service;
		char *status = NULL;
		if ((rc = member_string(l, row, kp, "status", true, &status)) != TSK_OK)
			return rc;
		subpath(sp, sizeof sp, kp, "status");
		rc = status_name(l, sp, status, &r->status);
		free(status);
		if (rc != TSK_OK)
			return rc;
		long long hours = 0;
		bool present;
		if ((rc = member_int(l, row, kp, "hours", 0, 24 * 365, &hours, &present)) != TSK_OK)
			return rc;
		if (!present) {
			subpath(sp, sizeof sp, kp, "hours");
			return fail(l, sp, "missing (hours without an event before stalled; 0 = never)");
		}
		r->hours = (int)hours;
	}
	return TSK_OK;
}

static int load_pickup(loader *l, yajl_val v)
{
	const char *where = "pickup";
	int rc = want_object(l, v, where);
	if (rc != TSK_OK)
		return rc;
	static const char *const keys[] = { "days", "first_day_counts", "warn_days", NULL };
	if ((rc = check_keys(l, v, where, keys)) != TSK_OK)
		return rc;
	long long days = 0, warn = 2;
	bool present;
	if ((rc = member_int(l, v, where, "days", 1, 365, &days, &present)) != TSK_OK)
		return rc;
	if (!present)
		return fail(l, "pickup.days", "missing (the days the carrier holds a parcel)");
	if ((rc = member_int(l, v, where, "warn_days", 0, days, &warn, NULL)) != TSK_OK)
		return rc;
	yajl_val first = get(v, "first_day_counts");
	if (first && !YAJL_IS_TRUE(first) && !YAJL_IS_FALSE(first))
		return fail(l, "pickup.first_day_counts", "expected true or false, got %s", type_name(first));
	l->m->pickup.days = (int)days;
	l->m->pickup.warn_days = (int)warn;
	l->m->pickup.first_day_counts = first && YAJL_IS_TRUE(first);
	l->m->tables.pickup = &l->m->pickup;
	return TSK_OK;
}

/* The optional "transit", "stall" and "pickup" of a mapping: its tables. */
static int load_tables(loader *l, yajl_val root)
{
	tsk__rest_mapping *m = l->m;
	yajl_val x;
	int rc = TSK_OK;
	if ((x = get(root, "transit")) && (rc = load_transit(l, x)) != TSK_OK)
		return rc;
	if ((x = get(root, "stall")) && (rc = load_stall(l, x)) != TSK_OK)
		return rc;
	if ((x = get(root, "pickup")) && (rc = load_pickup(l, x)) != TSK_OK)
		return rc;
	m->tables.version = TSK_CARRIER_TABLES_VERSION;
	m->tables.transit = m->transit;
	m->tables.ntransit = m->ntransit;
	m->tables.stall = m->stall;
	m->tables.nstall = m->nstall;
	m->has_tables = m->ntransit || m->nstall || m->tables.pickup;
	return TSK_OK;
}

void tsk__rest_mapping_free(tsk__rest_mapping *m)
{
	if (!m)
		return;
	tsk__json_free(m->doc);
	free(m->origin);
	free(m->name);
	free(m->adapter_name);
	free(m->display_name);
	free(m->customer_name[0]);
	free(m->customer_name[1]);
	free(m->base_url);
	for (size_t i = 0; i < m->ncredentials; i++)
		free(m->credentials[i]);
	free(m->credentials);
	free(m->method);
	free(m->url);
	free(m->content_type);
	free(m->number_sep);
	for (size_t i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->basic_user);
	free(m->basic_pass);
	paths_dispose(&m->shipments);
	paths_dispose(&m->webhook);
	tsk__rest_cond_dispose(&m->webhook_when);
	tsk__rest_spec *specs[] = { &m->number, &m->status_text, &m->service, &m->origin_region,
		                    &m->dest_region, &m->eta, &m->eta_latest, &m->ev_time,
		                    &m->ev_time_raw, &m->ev_status_text, &m->ev_description,
		                    &m->ev_location, &m->ev_location_code, &m->ev_region, &m->ev_postal,
		                    &m->nf_message, &m->err_message, &m->rej_number, &m->rej_message };
	for (size_t i = 0; i < TSK__ARRAY_LEN(specs); i++)
		tsk__rest_spec_dispose(specs[i]);
	specs_dispose(&m->status);
	specs_dispose(&m->ev_status);
	paths_dispose(&m->events);
	for (size_t i = 0; i < m->ntable; i++)
		free(m->table[i].code);
	free(m->table);
	free(m->nf_http);
	tsk__rest_cond_dispose(&m->nf_when);
	tsk__rest_cond_dispose(&m->err_when);
	tsk__rest_path_dispose(&m->rej_items);
	tsk__rest_cond_dispose(&m->rej_not_found);
	free(m->transit);
	for (size_t i = 0; i < m->ntable_strings; i++)
		free(m->table_strings[i]);
	free(m->table_strings);
	free(m->stall);
	for (size_t i = 0; i < m->nstall; i++)
		free(m->stall_services[i]);
	free(m->stall_services);
	free(m);
}

int tsk__rest_mapping_load(tsk__rest_mapping **out, const char *json, size_t len, const char *origin,
                           tsk_error *err)
{
	*out = NULL;
	loader l = { origin && *origin ? origin : "(mapping)", err, NULL };
	tsk__rest_mapping *m = calloc(1, sizeof *m);
	if (!m || !(m->origin = tsk__strdup(l.origin))) {
		free(m);
		return nomem(&l);
	}
	l.m = m;
	int rc;
	char why[256];
	rc = tsk__json_parse(&m->doc, json, len, 0, why, sizeof why);
	if (rc != TSK_OK) {
		rc = rc == TSK_ENOMEM ? nomem(&l) : fail(&l, "", "not valid JSON: %s", why);
		goto done;
	}
	yajl_val root = m->doc;
	if ((rc = want_object(&l, root, "")) != TSK_OK)
		goto done;
	static const char *const keys[] = { "name", "display_name", "customer_name", "description", "version", "base_url",
		                            "credentials", "number_pattern", "request", "response",
		                            "transit", "stall", "pickup", NULL };
	if ((rc = check_keys(&l, root, "", keys)) != TSK_OK)
		goto done;
	long long version = 0;
	bool has_version;
	yajl_val vv = get(root, "version");
	if (vv && YAJL_IS_INTEGER(vv) && YAJL_GET_INTEGER(vv) != TSK_MAPPING_VERSION) {
		rc = fail(&l, "version", "unsupported mapping version %lld (this library reads %d)",
		          YAJL_GET_INTEGER(vv), TSK_MAPPING_VERSION);
		goto done;
	}
	if ((rc = member_int(&l, root, "", "version", 1, 1, &version, &has_version)) != TSK_OK)
		goto done;
	if (!has_version) {
		rc = fail(&l, "version", "missing (the mapping format version, %d)", TSK_MAPPING_VERSION);
		goto done;
	}
	if ((rc = member_string(&l, root, "", "name", true, &m->name)) != TSK_OK)
		goto done;
	if (!name_ok(m->name)) {
		rc = fail(&l, "name", "\"%s\" is not a valid name (1-48 lower-case letters, digits, '-' "
		                      "and '_', starting with a letter or digit)", m->name);
		goto done;
	}
	size_t an = strlen(m->name) + 6;
	if (!(m->adapter_name = malloc(an))) {
		rc = nomem(&l);
		goto done;
	}
	snprintf(m->adapter_name, an, "rest:%s", m->name);
	if ((rc = member_string(&l, root, "", "display_name", false, &m->display_name)) != TSK_OK)
		goto done;
	if (!m->display_name && !(m->display_name = tsk__strdup(m->name))) {
		rc = nomem(&l);
		goto done;
	}
	if ((rc = customer_name(&l, get(root, "customer_name"), m->customer_name)) != TSK_OK)
		goto done;
	yajl_val desc = get(root, "description");
	if (desc && !YAJL_IS_STRING(desc)) {
		rc = fail(&l, "description", "expected a string, got %s", type_name(desc));
		goto done;
	}
	if ((rc = member_string(&l, root, "", "base_url", true, &m->base_url)) != TSK_OK)
		goto done;
	if ((rc = tsk__http_url_check(m->base_url)) == TSK_ENOMEM) {
		rc = nomem(&l);
		goto done;
	}
	if (rc != TSK_OK) {
		rc = fail(&l, "base_url", "expected an http:// or https:// URL, got \"%s\"", m->base_url);
		goto done;
	}
	yajl_val x;
	if ((x = get(root, "credentials")) && (rc = load_credentials(&l, x)) != TSK_OK)
		goto done;
	if ((x = get(root, "number_pattern")) && (rc = load_pattern(&l, x)) != TSK_OK)
		goto done;
	if (!(x = get(root, "request"))) {
		rc = fail(&l, "request", "missing (an object with at least \"url\" is required)");
		goto done;
	}
	if ((rc = load_request(&l, x)) != TSK_OK)
		goto done;
	if (!(x = get(root, "response"))) {
		rc = fail(&l, "response", "missing (an object with \"shipments\" and \"shipment\" is required)");
		goto done;
	}
	if ((rc = load_response(&l, x)) != TSK_OK)
		goto done;
	rc = load_tables(&l, root);
done:
	if (rc != TSK_OK) {
		tsk__rest_mapping_free(m);
		return rc;
	}
	*out = m;
	return TSK_OK;
}

const tsk__rest_status *tsk__rest_status_lookup(const tsk__rest_mapping *m, const char *code)
{
	if (!code)
		return NULL;
	const tsk__rest_status *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < m->ntable; i++) {
		const tsk__rest_status *e = &m->table[i];
		if (!e->prefix) {
			if (strcmp(e->code, code) == 0)
				return e;
			continue;
		}
		size_t n = strlen(e->code);
		if (strncmp(e->code, code, n) == 0 && (!best || n > best_len)) {
			best = e;
			best_len = n;
		}
	}
	return best;
}
