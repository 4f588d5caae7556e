/*
 * HTML helpers over libxml2.
 *
 * Pages are decoded to UTF-8 before parsing, and parsed with
 * HTML_PARSE_IGNORE_ENC so a META charset that lies cannot switch the
 * decoder back. Parsing never touches the network (HTML_PARSE_NONET) and
 * prints nothing (NOERROR | NOWARNING): a broken page is recovered, and
 * the adapter's layout recogniser decides whether it knows it.
 */
#include "html.h"
#include "util.h"

#include <libxml/encoding.h>
#include <libxml/parser.h>
#include <libxml/xpathInternals.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

void tsk__html_global_init(void)
{
	pthread_once(&xml_once, xml_init);
}

/* charset named in a Content-Type-like string ("text/html; charset=x") */
static bool find_charset(const char *s, size_t len, char *out, size_t outsize)
{
	static const char key[] = "charset";
	for (size_t i = 0; i + sizeof key - 1 < len; i++) {
		if (tsk__strncasecmp(s + i, key, sizeof key - 1) != 0)
			continue;
		size_t j = i + sizeof key - 1;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j >= len || s[j] != '=')
			continue;
		j++;
		while (j < len && (s[j] == ' ' || s[j] == '"' || s[j] == '\''))
			j++;
		size_t k = 0;
		while (j < len && k + 1 < outsize &&
		       (s[j] == '-' || s[j] == '_' || s[j] == '.' || s[j] == ':' ||
		        (s[j] >= '0' && s[j] <= '9') || ((s[j] | 32) >= 'a' && (s[j] | 32) <= 'z')))
			out[k++] = s[j++];
		out[k] = '\0';
		if (k)
			return true;
	}
	return false;
}

static void quiet_error(void *userdata, xmlErrorPtr error)
{
	(void)userdata;
	(void)error;
}

/* Convert with a libxml2 encoding handler; true when every byte converted. */
static bool convert(const char *charset, const char *body, size_t len, char **out, size_t *len_out)
{
	xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(charset);
	if (!h)
		return false;
	/* A candidate charset that does not fit is an expected outcome, but
	 * libxml2 reports it through its error handlers, which print to
	 * stderr by default; the library never prints. The handlers are
	 * per-thread in libxml2, so swapping them around the call is safe. */
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(NULL, quiet_error);
	bool ok = false;
	xmlBufferPtr in = xmlBufferCreateSize(len + 1);
	xmlBufferPtr res = xmlBufferCreateSize(len * 2 + 16);
	if (in && res && xmlBufferAdd(in, (const xmlChar *)body, (int)len) == 0) {
		int n = xmlCharEncInFunc(h, res, in);
		/* everything consumed, nothing left over = the bytes fit */
		if (n >= 0 && xmlBufferLength(in) == 0) {
			const char *data = (const char *)xmlBufferContent(res);
			size_t dlen = (size_t)xmlBufferLength(res);
			*out = tsk__strndup(data, dlen);
			*len_out = dlen;
			ok = *out != NULL;
		}
	}
	if (in)
		xmlBufferFree(in);
	if (res)
		xmlBufferFree(res);
	xmlCharEncCloseFunc(h);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	return ok;
}

static bool is_utf8_alias(const char *cs)
{
	return tsk__strcasecmp(cs, "utf-8") == 0 || tsk__strcasecmp(cs, "utf8") == 0;
}

int tsk__html_decode(const char *body, size_t len, const char *content_type, char **out,
                     size_t *len_out, const char **charset_out, tsk_error *err)
{
	*out = NULL;
	if (len > INT32_MAX)
		return tsk_error_set(err, TSK_EPARSE, "page too large to decode (%zu bytes)", len);
	if (memchr(body, '\0', len))
		return tsk_error_set(err, TSK_EPARSE, "body contains NUL bytes: not an HTML page");
	if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
		body += 3;
		len -= 3;
	}
	bool ascii = true;
	for (size_t i = 0; i < len && ascii; i++)
		ascii = (unsigned char)body[i] < 0x80;
	if (ascii || tsk__utf8_valid(body, len)) {
		*out = tsk__strndup(body, len);
		if (!*out)
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		*len_out = len;
		*charset_out = ascii ? "ASCII" : "UTF-8";
		return TSK_OK;
	}
	char declared[64] = "";
	if (content_type)
		find_charset(content_type, strlen(content_type), declared, sizeof declared);
	if (!declared[0])
		find_charset(body, len < 4096 ? len : 4096, declared, sizeof declared);
	/* Shift_JIS pages use CP932 extensions (①, ～…): decode the superset. */
	const char *candidates[] = { declared, "CP932", "EUC-JP" };
	for (size_t i = 0; i < TSK__ARRAY_LEN(candidates); i++) {
		const char *cs = candidates[i];
		if (!cs[0] || is_utf8_alias(cs))
			continue;
		if (tsk__strcasecmp(cs, "shift_jis") == 0 || tsk__strcasecmp(cs, "sjis") == 0 ||
		    tsk__strcasecmp(cs, "windows-31j") == 0 || tsk__strcasecmp(cs, "x-sjis") == 0)
			cs = "CP932";
		if (convert(cs, body, len, out, len_out)) {
			/* report a static name: the declared buffer dies with us */
			*charset_out = strcmp(cs, "CP932") == 0 ? "CP932" :
			               strcmp(cs, "EUC-JP") == 0 ? "EUC-JP" : "declared";
			return TSK_OK;
		}
	}
	return tsk_error_set(err, TSK_EPARSE,
	                     "bytes are neither UTF-8 nor Shift_JIS/EUC-JP%s%s",
	                     declared[0] ? " (declared charset: " : "", declared[0] ? declared : "");
}

int tsk__html_parse(tsk__html *page, const char *body, size_t len, const char *content_type,
                    tsk_error *err)
{
	memset(page, 0, sizeof *page);
	tsk__html_global_init();
	char *utf8 = NULL;
	size_t ulen = 0;
	int rc = tsk__html_decode(body, len, content_type, &utf8, &ulen, &page->charset, err);
	if (rc != TSK_OK)
		return rc;
	/* Something that is plainly not markup (JSON, plain text) is a parse
	 * error, not an unknown layout. */
	const char *p = utf8;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p != '<' || !strchr(utf8, '>')) {
		/* quote a short excerpt on one line (white space runs as one
		 * space, whole characters, at most 24 bytes), before the text
		 * is freed */
		char excerpt[32];
		size_t n = 0;
		for (const unsigned char *q = (const unsigned char *)p; *q;) {
			if (*q <= 0x20 || *q == 0x7f) {
				if (n > 0 && excerpt[n - 1] != ' ')
					excerpt[n++] = ' ';
				q++;
				continue;
			}
			size_t clen = *q < 0x80 ? 1 : (*q & 0xE0) == 0xC0 ? 2 : (*q & 0xF0) == 0xE0 ? 3 : 4;
			if (n + clen > 24)
				break;
			for (size_t k = 0; k < clen && *q; k++)
				excerpt[n++] = (char)*q++;
		}
		while (n > 0 && excerpt[n - 1] == ' ')
			n--;
		excerpt[n] = '\0';
		if (n)
			tsk_error_set(err, TSK_EPARSE, "body is not HTML (it starts with \"%s\")", excerpt);
		else
			tsk_error_set(err, TSK_EPARSE, "body is not HTML (it is empty)");
		free(utf8);
		return TSK_EPARSE;
	}
	htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
	if (!ctxt) {
		free(utf8);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	page->doc = htmlCtxtReadMemory(ctxt, utf8, (int)ulen, NULL, "UTF-8",
	                               HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	                                   HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT);
	htmlFreeParserCtxt(ctxt);
	free(utf8);
	if (!page->doc || !xmlDocGetRootElement(page->doc)) {
		tsk__html_free(page);
		return tsk_error_set(err, TSK_EPARSE, "body could not be parsed as HTML");
	}
	page->xpath = xmlXPathNewContext(page->doc);
	if (!page->xpath) {
		tsk__html_free(page);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	return TSK_OK;
}

bool tsk__html_truncated(const char *body, size_t len)
{
	const char *open = tsk__find_last_nocase(body, len, "<body");
	if (!open) /* cut in the head, or a fragment that is no document at all */
		return tsk__find_last_nocase(body, len, "<html") && !tsk__find_last_nocase(body, len, "</html");
	size_t rest = len - (size_t)(open - body);
	return !tsk__find_last_nocase(open, rest, "</html") && !tsk__find_last_nocase(open, rest, "</body");
}

void tsk__html_free(tsk__html *page)
{
	for (size_t i = 0; i < page->ncompiled; i++) {
		free(page->compiled[i].expr);
		xmlXPathFreeCompExpr(page->compiled[i].comp);
	}
	free(page->compiled);
	if (page->xpath)
		xmlXPathFreeContext(page->xpath);
	if (page->doc)
		xmlFreeDoc(page->doc);
	memset(page, 0, sizeof *page);
}

/* ------------------------------------------------------------------ paths
 *
 * The adapters' paths are mostly plain steps down the tree with a class,
 * attribute or text test. Those are walked directly: no compilation, no
 * string building per element, and a first-match query stops at its first
 * match. Anything else (unions, positions, other functions) goes to
 * libxml2's XPath, compiled once per page. Both give the same node set in
 * document order (tests/unit compare them on every page).
 *
 * The walked subset:
 *   path  := ('//' | './/' | './' | '') step (('//' | '/') step)*
 *   step  := (NAME | '*') ['[' test ']']
 *   test  := contains(concat(' ', normalize-space(@class), ' '), ' WORD ')
 *          | @NAME='VALUE' | starts-with(@NAME, 'VALUE') | contains(., 'TEXT')
 */

enum step_test { TEST_NONE, TEST_CLASS, TEST_ATTR_EQ, TEST_ATTR_PREFIX, TEST_TEXT };

struct step {
	bool descendants;           /* '//' before it, else '/' */
	const char *name;           /* NULL for '*' */
	size_t name_len;
	enum step_test test;
	const char *arg1, *arg2;    /* attribute name / word / text, and value */
	size_t len1, len2;
};

#define MAX_STEPS 6
#define WALK_UNSUPPORTED 1 /* not a TSK_ code: libxml2 answers instead */

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

/* Skip literal text (spaces in it may be absent in the expression). */
static bool eat(const char **p, const char *lit)
{
	const char *q = *p;
	for (; *lit; lit++) {
		if (*lit == ' ') {
			while (*q == ' ')
				q++;
			continue;
		}
		if (*q != *lit)
			return false;
		q++;
	}
	*p = q;
	return true;
}

static bool eat_name(const char **p, const char **name, size_t *len)
{
	const char *q = *p;
	while (is_name_char(*q))
		q++;
	if (q == *p)
		return false;
	*name = *p;
	*len = (size_t)(q - *p);
	*p = q;
	return true;
}

/* 'text' (no quote inside) */
static bool eat_string(const char **p, const char **s, size_t *len)
{
	while (**p == ' ')
		(*p)++;
	if (**p != '\'')
		return false;
	const char *e = strchr(*p + 1, '\'');
	if (!e)
		return false;
	*s = *p + 1;
	*len = (size_t)(e - *s);
	*p = e + 1;
	return true;
}

static bool parse_test(const char **p, struct step *st)
{
	const char *q = *p;
	if (eat(&q, "contains(concat(' ', normalize-space(@class), ' '), ") && eat_string(&q, &st->arg1, &st->len1) &&
	    eat(&q, " )")) {
		/* ' WORD ': one word between single spaces */
		if (st->len1 < 3 || st->arg1[0] != ' ' || st->arg1[st->len1 - 1] != ' ')
			return false;
		st->arg1++;
		st->len1 -= 2;
		for (size_t i = 0; i < st->len1; i++)
			if (st->arg1[i] == ' ')
				return false;
		st->test = TEST_CLASS;
	} else if ((q = *p, eat(&q, "@")) && eat_name(&q, &st->arg1, &st->len1) && eat(&q, " = ") &&
	           eat_string(&q, &st->arg2, &st->len2)) {
		st->test = TEST_ATTR_EQ;
	} else if ((q = *p, eat(&q, "starts-with( @")) && eat_name(&q, &st->arg1, &st->len1) && eat(&q, " , ") &&
	           eat_string(&q, &st->arg2, &st->len2) && eat(&q, " )")) {
		st->test = TEST_ATTR_PREFIX;
	} else if ((q = *p, eat(&q, "contains( . , ")) && eat_string(&q, &st->arg1, &st->len1) && eat(&q, " )")) {
		st->test = TEST_TEXT;
	} else {
		return false;
	}
	if (!eat(&q, " ]"))
		return false;
	*p = q;
	return true;
}

/* Split expr into steps; false when it is not in the walked subset. */
static bool parse_path(const char *expr, bool *from_doc, struct step *steps, size_t *nsteps)
{
	const char *p = expr;
	bool desc = false;
	*from_doc = false;
	if (p[0] == '/' && p[1] == '/') {
		*from_doc = desc = true;
		p += 2;
	} else if (p[0] == '.' && p[1] == '/' && p[2] == '/') {
		desc = true;
		p += 3;
	} else if (p[0] == '.' && p[1] == '/') {
		p += 2;
	}
	size_t n = 0;
	for (;;) {
		if (n == MAX_STEPS)
			return false;
		struct step *st = &steps[n];
		memset(st, 0, sizeof *st);
		st->descendants = desc;
		if (*p == '*') {
			p++;
		} else if (!eat_name(&p, &st->name, &st->name_len)) {
			return false;
		}
		if (*p == '[') {
			p++;
			if (!parse_test(&p, st))
				return false;
		}
		n++;
		if (*p == '\0')
			break;
		if (p[0] == '/' && p[1] == '/') {
			desc = true;
			p += 2;
		} else if (p[0] == '/') {
			desc = false;
			p++;
		} else {
			return false;
		}
	}
	*nsteps = n;
	return true;
}

/* An attribute's value without copying when it is one text (the usual
 * case); else a copy in *tmp (xmlFree). NULL when absent. */
static const char *attr_value(xmlNodePtr node, const char *name, size_t len, xmlChar **tmp)
{
	*tmp = NULL;
	for (xmlAttrPtr a = node->properties; a; a = a->next) {
		if (a->ns || strncmp((const char *)a->name, name, len) != 0 || a->name[len] != '\0')
			continue;
		xmlNodePtr c = a->children;
		if (!c)
			return "";
		if (c->type == XML_TEXT_NODE && !c->next)
			return c->content ? (const char *)c->content : "";
		*tmp = xmlNodeListGetString(node->doc, c, 1);
		return *tmp ? (const char *)*tmp : "";
	}
	return NULL;
}

static bool xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Is word one of the white-space separated words of v? */
static bool has_word(const char *v, const char *word, size_t len)
{
	for (const char *p = v; *p;) {
		while (xml_space(*p))
			p++;
		const char *e = p;
		while (*e && !xml_space(*e))
			e++;
		if ((size_t)(e - p) == len && memcmp(p, word, len) == 0)
			return true;
		p = e;
	}
	return false;
}

static bool step_matches(const struct step *st, xmlNodePtr n)
{
	if (n->type != XML_ELEMENT_NODE)
		return false;
	if (st->name && (strncmp((const char *)n->name, st->name, st->name_len) != 0 || n->name[st->name_len] != '\0'))
		return false;
	if (st->test == TEST_NONE)
		return true;
	xmlChar *tmp = NULL;
	bool ok = false;
	if (st->test == TEST_TEXT) {
		/* the string value: every descendant text */
		tmp = xmlNodeGetContent(n);
		char needle[256];
		if (st->len1 < sizeof needle) {
			memcpy(needle, st->arg1, st->len1);
			needle[st->len1] = '\0';
			ok = strstr(tmp ? (const char *)tmp : "", needle) != NULL;
		}
	} else {
		const char *v = attr_value(n, st->test == TEST_CLASS ? "class" : st->arg1,
		                           st->test == TEST_CLASS ? 5 : st->len1, &tmp);
		if (st->test == TEST_CLASS)
			ok = v && has_word(v, st->arg1, st->len1);
		else if (st->test == TEST_ATTR_EQ)
			ok = v && strlen(v) == st->len2 && memcmp(v, st->arg2, st->len2) == 0;
		else
			ok = st->len2 == 0 || (v && strncmp(v, st->arg2, st->len2) == 0);
	}
	xmlFree(tmp);
	return ok;
}

struct nodes {
	xmlNodePtr *v;
	size_t n, cap;
	bool failed;
};

static bool nodes_add(struct nodes *l, xmlNodePtr x)
{
	if (!TSK__GROW(l->v, l->cap, l->n + 1)) {
		l->failed = true;
		return false;
	}
	l->v[l->n++] = x;
	return true;
}

static bool is_inside(xmlNodePtr n, xmlNodePtr root)
{
	for (xmlNodePtr p = n->parent; p; p = p->parent)
		if (p == root)
			return true;
	return false;
}

/* One step from every context node; with first, stop at the first match.
 * False when the contexts nest under a child step (the walk could not keep
 * document order there; libxml2 answers instead). */
static bool run_step(const struct step *st, const struct nodes *in, struct nodes *out, bool first)
{
	xmlNodePtr last_root = NULL;
	for (size_t i = 0; i < in->n; i++) {
		xmlNodePtr ctx = in->v[i];
		if (last_root && is_inside(ctx, last_root)) {
			if (!st->descendants)
				return false;
			continue; /* its descendants were walked with its ancestor's */
		}
		last_root = ctx;
		if (!st->descendants) {
			for (xmlNodePtr c = ctx->children; c; c = c->next)
				if (step_matches(st, c) && (!nodes_add(out, c) || first))
					return true;
			continue;
		}
		/* descendants in document order, without recursion */
		xmlNodePtr c = ctx->children;
		while (c) {
			if (step_matches(st, c) && (!nodes_add(out, c) || first))
				return true;
			if (c->children && c->type == XML_ELEMENT_NODE) {
				c = c->children;
				continue;
			}
			while (c && c != ctx && !c->next)
				c = c->parent;
			if (!c || c == ctx)
				break;
			c = c->next;
		}
	}
	return true;
}

/* The walked answer: TSK_OK with the nodes, WALK_UNSUPPORTED when expr is not
 * in the subset, TSK_ENOMEM. */
static int walk(tsk__html *page, xmlNodePtr node, const char *expr, bool first, struct nodes *res)
{
	struct step steps[MAX_STEPS];
	size_t nsteps = 0;
	bool from_doc;
	if (!parse_path(expr, &from_doc, steps, &nsteps))
		return WALK_UNSUPPORTED;
	struct nodes cur = { NULL, 0, 0, false };
	xmlNodePtr start = from_doc ? (xmlNodePtr)page->doc : node ? node : xmlDocGetRootElement(page->doc);
	if (!start || !nodes_add(&cur, start))
		return start ? TSK_ENOMEM : WALK_UNSUPPORTED;
	int rc = TSK_OK;
	for (size_t k = 0; k < nsteps && rc == TSK_OK; k++) {
		struct nodes next = { NULL, 0, 0, false };
		if (!run_step(&steps[k], &cur, &next, first && k + 1 == nsteps))
			rc = WALK_UNSUPPORTED;
		else if (next.failed)
			rc = TSK_ENOMEM;
		free(cur.v);
		cur = next;
		if (cur.n == 0)
			break;
	}
	if (rc != TSK_OK) {
		free(cur.v);
		return rc;
	}
	*res = cur;
	return TSK_OK;
}

/* libxml2's answer, the expression compiled once per page. */
static xmlXPathObjectPtr eval_xpath(tsk__html *page, xmlNodePtr node, const char *expr)
{
	xmlXPathCompExprPtr comp = NULL;
	for (size_t i = 0; i < page->ncompiled && !comp; i++)
		if (strcmp(page->compiled[i].expr, expr) == 0)
			comp = page->compiled[i].comp;
	if (!comp) {
		if (!(comp = xmlXPathCtxtCompile(page->xpath, (const xmlChar *)expr)))
			return NULL;
		char *copy = tsk__strdup(expr);
		if (copy && TSK__GROW(page->compiled, page->compiled_cap, page->ncompiled + 1)) {
			page->compiled[page->ncompiled].expr = copy;
			page->compiled[page->ncompiled++].comp = comp;
		} else {
			free(copy);
			xmlXPathObjectPtr obj = NULL;
			page->xpath->node = node ? node : xmlDocGetRootElement(page->doc);
			obj = xmlXPathCompiledEval(comp, page->xpath);
			xmlXPathFreeCompExpr(comp);
			return obj;
		}
	}
	page->xpath->node = node ? node : xmlDocGetRootElement(page->doc);
	return xmlXPathCompiledEval(comp, page->xpath);
}

xmlXPathObjectPtr tsk__html_xpath_libxml(tsk__html *page, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr obj = eval_xpath(page, node, expr);
	if (obj && obj->type != XPATH_NODESET) {
		xmlXPathFreeObject(obj);
		return NULL;
	}
	return obj;
}

xmlXPathObjectPtr tsk__html_xpath(tsk__html *page, xmlNodePtr node, const char *expr)
{
	struct nodes res;
	int rc = walk(page, node, expr, false, &res);
	if (rc == TSK_ENOMEM)
		return NULL;
	if (rc == TSK_OK) {
		xmlXPathObjectPtr obj = xmlXPathNewNodeSet(NULL);
		for (size_t i = 0; obj && i < res.n; i++)
			if (xmlXPathNodeSetAddUnique(obj->nodesetval, res.v[i]) < 0) {
				xmlXPathFreeObject(obj);
				obj = NULL;
			}
		free(res.v);
		return obj;
	}
	return tsk__html_xpath_libxml(page, node, expr);
}

int tsk__xpath_count(xmlXPathObjectPtr obj)
{
	return obj && obj->nodesetval ? obj->nodesetval->nodeNr : 0;
}

xmlNodePtr tsk__xpath_node(xmlXPathObjectPtr obj, int i)
{
	return i >= 0 && i < tsk__xpath_count(obj) ? obj->nodesetval->nodeTab[i] : NULL;
}

xmlNodePtr tsk__html_first(tsk__html *page, xmlNodePtr node, const char *expr)
{
	struct nodes res;
	int rc = walk(page, node, expr, true, &res);
	if (rc == TSK_OK) {
		xmlNodePtr n = res.n ? res.v[0] : NULL;
		free(res.v);
		return n;
	}
	if (rc == TSK_ENOMEM)
		return NULL;
	xmlXPathObjectPtr obj = tsk__html_xpath(page, node, expr);
	xmlNodePtr n = tsk__xpath_node(obj, 0);
	xmlXPathFreeObject(obj);
	return n;
}

static bool is_block(const xmlChar *name)
{
	static const char *const blocks[] = { "p", "div", "tr", "li", "table", "h1", "h2", "h3",
	                                      "h4", "h5", "h6", "dt", "dd", "ol", "ul", "dl" };
	for (size_t i = 0; i < TSK__ARRAY_LEN(blocks); i++)
		if (xmlStrcasecmp(name, (const xmlChar *)blocks[i]) == 0)
			return true;
	return false;
}

static void collect_text(xmlNodePtr n, tsk__buf *b)
{
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				tsk__buf_puts(b, (const char *)n->content);
		} else if (n->type == XML_ELEMENT_NODE) {
			if (xmlStrcasecmp(n->name, (const xmlChar *)"script") == 0 ||
			    xmlStrcasecmp(n->name, (const xmlChar *)"style") == 0)
				continue;
			if (xmlStrcasecmp(n->name, (const xmlChar *)"br") == 0) {
				tsk__buf_putc(b, '\n');
				continue;
			}
			if (xmlStrcasecmp(n->name, (const xmlChar *)"td") == 0 ||
			    xmlStrcasecmp(n->name, (const xmlChar *)"th") == 0)
				tsk__buf_putc(b, ' ');
			collect_text(n->children, b);
			if (is_block(n->name))
				tsk__buf_putc(b, '\n');
		} else if (n->type == XML_ENTITY_REF_NODE) {
			collect_text(n->children, b);
		}
	}
}

char *tsk__node_text(xmlNodePtr node)
{
	if (!node)
		return tsk__strdup("");
	tsk__buf raw = TSK__BUF_INIT;
	tsk__buf_add(&raw, "", 0);
	if (node->type == XML_ELEMENT_NODE)
		collect_text(node->children, &raw);
	else if (node->content)
		tsk__buf_puts(&raw, (const char *)node->content);
	char *all = tsk__buf_detach(&raw);
	if (!all)
		return NULL;
	tsk__buf out = TSK__BUF_INIT;
	tsk__buf_add(&out, "", 0);
	char *line = all;
	while (line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *clean = tsk__text_clean(line);
		if (!clean) {
			out.failed = true;
			break;
		}
		if (*clean) {
			if (out.len)
				tsk__buf_putc(&out, '\n');
			tsk__buf_puts(&out, clean);
		}
		free(clean);
		line = nl ? nl + 1 : NULL;
	}
	free(all);
	return tsk__buf_detach(&out);
}

char *tsk__node_text_line(xmlNodePtr node)
{
	char *t = tsk__node_text(node);
	if (!t)
		return NULL;
	for (char *p = t; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return t;
}

char *tsk__node_attr(xmlNodePtr node, const char *name)
{
	if (!node || node->type != XML_ELEMENT_NODE)
		return NULL;
	xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
	if (!v)
		return NULL;
	char *copy = tsk__strdup((const char *)v);
	xmlFree(v);
	return copy;
}

bool tsk__node_is(xmlNodePtr node, const char *name)
{
	return node && node->type == XML_ELEMENT_NODE &&
	       xmlStrcasecmp(node->name, (const xmlChar *)name) == 0;
}

bool tsk__node_has_class(xmlNodePtr node, const char *cls)
{
	if (!node || node->type != XML_ELEMENT_NODE)
		return false;
	xmlChar *tmp = NULL;
	const char *v = attr_value(node, "class", 5, &tmp);
	bool found = v && has_word(v, cls, strlen(cls));
	xmlFree(tmp);
	return found;
}
