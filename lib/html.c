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
#include <libxml/parserInternals.h>
#include <libxml/xpathInternals.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
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
	bool *oom = userdata;
	if (error && error->code == XML_ERR_NO_MEMORY)
		*oom = true;
}

static void watch_error(void *userdata, xmlErrorPtr error)
{
	tsk__xml_watch *w = userdata;
	/* our XPath expressions are fixed and valid: an XPath error is an
	 * allocation that failed inside libxml2 (some are reported as a
	 * syntax error of the expression) */
	if (error && (error->code == XML_ERR_NO_MEMORY || error->domain == XML_FROM_XPATH))
		w->oom = true;
	if (w->old_fn)
		w->old_fn(w->old_ctx, error);
}

static void xpath_error(void *userdata, xmlErrorPtr error)
{
	(void)userdata;
	if (xmlStructuredError)
		xmlStructuredError(xmlStructuredErrorContext, error);
}

void tsk__xml_watch_begin(tsk__xml_watch *w)
{
	tsk__html_global_init();
	w->old_fn = xmlStructuredError;
	w->old_ctx = xmlStructuredErrorContext;
	w->oom = false;
	w->walks = NULL;
	xmlSetStructuredErrorFunc(w, watch_error);
}

bool tsk__xml_watch_end(tsk__xml_watch *w)
{
	xmlSetStructuredErrorFunc(w->old_ctx, w->old_fn);
	return w->oom;
}

/* Convert with a libxml2 encoding handler; true when every byte converted.
 * *oom is set when an allocation failed (then false says nothing of the bytes). */
static bool convert(const char *charset, const char *body, size_t len, char **out, size_t *len_out,
                    bool *oom)
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
	xmlSetStructuredErrorFunc(oom, quiet_error);
	bool ok = false;
	xmlBufferPtr in = xmlBufferCreateSize(len + 1);
	xmlBufferPtr res = xmlBufferCreateSize(len * 2 + 16);
	if (!in || !res)
		*oom = true;
	if (in && res && xmlBufferAdd(in, (const xmlChar *)body, (int)len) == 0) {
		int n = xmlCharEncInFunc(h, res, in);
		/* everything consumed, nothing left over = the bytes fit */
		if (n >= 0 && xmlBufferLength(in) == 0) {
			const char *data = (const char *)xmlBufferContent(res);
			size_t dlen = (size_t)xmlBufferLength(res);
			*out = tsk__strndup(data, dlen);
			*len_out = dlen;
			ok = *out != NULL;
			if (!ok)
				*oom = true;
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

int tsk__html_decode(const char *body, size_t len, const char *content_type, const char **text_out,
                     size_t *len_out, char **owned, const char **charset_out, tsk_error *err)
{
	*text_out = NULL;
	*owned = NULL;
	char **out = owned;
	if (len > INT32_MAX)
		return tsk_error_set(err, TSK_EPARSE, "page too large to decode (%zu bytes)", len);
	if (memchr(body, '\0', len))
		return tsk_error_set(err, TSK_EPARSE, "body contains NUL bytes: not an HTML page");
	if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
		body += 3;
		len -= 3;
	}
	size_t plain = tsk__ascii_prefix(body, len);
	bool ascii = plain == len;
	/* the ASCII start is UTF-8 already: only the rest is checked */
	if (ascii || tsk__utf8_valid(body + plain, len - plain)) {
		*text_out = body;
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
		bool oom = false;
		bool ok = convert(cs, body, len, out, len_out, &oom);
		if (oom) {
			free(*out);
			*out = NULL;
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		}
		if (ok) {
			*text_out = *out;
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

/*
 * libxml2 2.9 stops its parser on an allocation failure by marking the
 * input finished, but some of its inner loops (character data, names) only
 * look at the next character, which no longer advances: they spin forever.
 * On the first out-of-memory the guard moves the input to its end, where
 * every loop sees the terminating NUL and returns; the parse is then
 * failed with TSK_ENOMEM (never used as a page).
 */
struct parse_guard {
	htmlParserCtxtPtr ctxt;
	xmlStructuredErrorFunc old_fn;
	void *old_ctx;
	bool oom;
};

static void guard_error(void *userdata, xmlErrorPtr error)
{
	struct parse_guard *g = userdata;
	if (error && error->code == XML_ERR_NO_MEMORY) {
		g->oom = true;
		/* not xmlStopParser: it frees the input under the caller's feet */
		g->ctxt->instate = XML_PARSER_EOF;
		g->ctxt->disableSAX = 1;
		if (g->ctxt->input && g->ctxt->input->end)
			g->ctxt->input->cur = g->ctxt->input->end;
	}
	if (g->old_fn)
		g->old_fn(g->old_ctx, error);
}

/*
 * The text libxml2 is given for body: decoded to UTF-8 (*utf8, *ulen; a
 * copy to free in *owned, or NULL), or TSK_EPARSE when the bytes are not
 * markup at all (plainly not HTML: JSON, plain text, empty).
 */
static int html_prepare(const char *body, size_t len, const char *content_type, const char **utf8,
                        size_t *ulen, char **owned, const char **charset, tsk_error *err)
{
	int rc = tsk__html_decode(body, len, content_type, utf8, ulen, owned, charset, err);
	if (rc != TSK_OK)
		return rc;
	/* Something that is plainly not markup (JSON, plain text) is a parse
	 * error, not an unknown layout. */
	const char *p = *utf8, *end = *utf8 + *ulen;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p == end || *p != '<' || !memchr(p, '>', (size_t)(end - p))) {
		/* quote a short excerpt on one line (white space runs as one
		 * space, whole characters, at most 24 bytes), before the text
		 * is freed */
		char excerpt[32];
		size_t n = 0;
		for (const unsigned char *q = (const unsigned char *)p; q < (const unsigned char *)end;) {
			if (*q <= 0x20 || *q == 0x7f) {
				if (n > 0 && excerpt[n - 1] != ' ')
					excerpt[n++] = ' ';
				q++;
				continue;
			}
			size_t clen = *q < 0x80 ? 1 : (*q & 0xE0) == 0xC0 ? 2 : (*q & 0xF0) == 0xE0 ? 3 : 4;
			if (n + clen > 24)
				break;
			for (size_t k = 0; k < clen && q < (const unsigned char *)end; k++)
				excerpt[n++] = (char)*q++;
		}
		while (n > 0 && excerpt[n - 1] == ' ')
			n--;
		excerpt[n] = '\0';
		if (n)
			tsk_error_set(err, TSK_EPARSE, "body is not HTML (it starts with \"%s\")", excerpt);
		else
			tsk_error_set(err, TSK_EPARSE, "body is not HTML (it is empty)");
		free(*owned);
		*owned = NULL;
		return TSK_EPARSE;
	}
	return TSK_OK;
}

/*
 * A parser context for the UTF-8 text, with tsuiseki's options. NULL on
 * ENOMEM.
 *
 * The text is UTF-8 already: the context is told so (no encoder), where
 * naming "UTF-8" to htmlCtxtReadMemory would pass it through a converter
 * whose buffer libxml2 2.9 does not check when its allocation fails (a
 * crash in the parse that follows).
 */
static htmlParserCtxtPtr html_context(const char *utf8, size_t ulen)
{
	htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(utf8, (int)ulen);
	if (!ctxt)
		return NULL;
	htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	                             HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT);
	return ctxt;
}

/* Run the parse under the guard: false when libxml2 ran out of memory. */
static bool guarded_parse(htmlParserCtxtPtr ctxt)
{
	struct parse_guard guard = { ctxt, xmlStructuredError, xmlStructuredErrorContext, false };
	xmlSetStructuredErrorFunc(&guard, guard_error);
	if (xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8) == 0)
		htmlParseDocument(ctxt);
	else
		guard.oom = true;
	xmlSetStructuredErrorFunc(guard.old_ctx, guard.old_fn);
	return !guard.oom;
}

/* Do the n bytes at q spell needle, ASCII letters' case ignored (needle
 * is lower case; its other bytes match exactly)? */
static inline bool at_nocase(const char *q, const char *needle, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)q[i], w = (unsigned char)needle[i];
		if (w >= 'a' && w <= 'z')
			c |= 0x20; /* folds a letter's case; maps no other byte onto a letter */
		if (c != w)
			return false;
	}
	return true;
}

/* The first occurrence of needle (lower case) in [p, end), ASCII case
 * ignored; its first byte is not a letter and is looked for by memchr. */
static const char *find_nocase(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	while ((size_t)(end - p) >= n) {
		const char *q = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (!q)
			return NULL;
		if (at_nocase(q + 1, needle + 1, n - 1))
			return q;
		p = q + 1;
	}
	return NULL;
}

/*
 * Raw text: where libxml2 2.9 reads a script's or style's body as text
 * (to the first "</script" or "</style"), and what tsk__html_parse leaves
 * out of the tree. Nothing reads those bodies as page text (script and
 * style are skipped: tsk__html_text_role), but they are what libxml2
 * spends most on: a body's every "</" (Yamato's print scripts write whole
 * documents) is an error it formats, and the text is copied into the tree.
 * The bodies of scripts are kept aside (tsk__html_script) for the layouts
 * that read them.
 *
 * The scan reads markup as libxml2 2.9's HTML parser does -- text,
 * comments, a DOCTYPE, start tags with their attributes (quoted values may
 * hold '<' and '>'), end tags, raw bodies -- so a "<script" is taken for a
 * script only where libxml2 opens one. Anything outside that plain grammar
 * (a tag libxml2 would repair, a bogus attribute, a processing instruction,
 * markup cut inside a tag) stops the scan: the page is then parsed as it
 * is, with its bodies in the tree (the same tree minus the bodies, always;
 * test_html checks it on every page and on mangled ones).
 */
static bool html_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'; /* libxml2's IS_BLANK_CH */
}

static bool html_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool html_name_char(char c)
{
	return html_letter(c) || (c >= '0' && c <= '9') || c == ':' || c == '-' || c == '_' || c == '.';
}

/* Past a tag or attribute name at p (libxml2's htmlParseHTMLName); NULL
 * for none, or one so long libxml2 would cut it. */
static const char *html_name_end(const char *p, const char *end)
{
	const char *q = p;
	if (q == end || !(html_letter(*q) || *q == '_' || *q == ':' || *q == '.'))
		return NULL;
	while (q < end && html_name_char(*q))
		q++;
	return q - p < 100 ? q : NULL;
}

/* Past the attributes and '>' of the start tag whose name ends at p, as
 * libxml2 reads them; *empty for one closed by "/>". NULL when the tag is
 * not plain (a bogus attribute, an unclosed quote, the end of the page). */
static const char *start_tag_end(const char *p, const char *end, bool *empty)
{
	*empty = false;
	for (;;) {
		while (p < end && html_blank(*p))
			p++;
		if (p == end)
			return NULL;
		if (*p == '>')
			return p + 1;
		if (*p == '/' && p + 1 < end && p[1] == '>') {
			*empty = true;
			return p + 2;
		}
		if (!(p = html_name_end(p, end)))
			return NULL;
		while (p < end && html_blank(*p))
			p++;
		if (p == end || *p != '=')
			continue;
		p++;
		while (p < end && html_blank(*p))
			p++;
		if (p < end && (*p == '"' || *p == '\'')) {
			const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
			if (!q)
				return NULL;
			p = q + 1;
		} else {
			while (p < end && !html_blank(*p) && *p != '>')
				p++;
		}
	}
}

/* A raw body: [start, end) of the text, the element named. */
struct raw_body {
	const char *start, *end;
	bool script;
};

/* The next raw body at or after *p, *p moved to its end tag: 1; 0 for
 * none left; -1 when the markup leaves the plain grammar (see above). */
static int next_raw_body(const char **p, const char *end, struct raw_body *b)
{
	const char *s = *p;
	while (s < end) {
		const char *lt = memchr(s, '<', (size_t)(end - s));
		if (!lt)
			return 0;
		const char *n = lt + 1;
		if (n == end)
			return -1;
		if (*n == '!') {
			if ((size_t)(end - n) >= 3 && n[1] == '-' && n[2] == '-') {
				const char *c = find_nocase(n + 3, end, "-->");
				if (!c)
					return -1;
				s = c + 3;
				continue;
			}
			/* a DOCTYPE whose first '>' ends it (no '>' or '<' quoted) */
			const char *gt = memchr(n, '>', (size_t)(end - n));
			if (!gt || (size_t)(end - n) < 8 || !at_nocase(n + 1, "doctype", 7) ||
			    memchr(n, '<', (size_t)(gt - n)))
				return -1;
			size_t quotes = 0;
			for (const char *q = n; q < gt; q++)
				quotes += *q == '"' || *q == '\'';
			if (quotes % 2)
				return -1;
			s = gt + 1;
			continue;
		}
		if (*n == '/') {
			/* an end tag: to its first '>' (libxml2 skips what is
			 * between); "</" and no name is text */
			if (!html_name_end(n + 1, end)) {
				s = n + 1;
				continue;
			}
			const char *gt = memchr(n, '>', (size_t)(end - n));
			if (!gt)
				return -1;
			s = gt + 1;
			continue;
		}
		if (!html_letter(*n)) {
			if (*n == '?')
				return -1; /* a processing instruction */
			s = n; /* a '<' in text */
			continue;
		}
		const char *name_end = html_name_end(n, end);
		bool empty = false;
		const char *gt = name_end ? start_tag_end(name_end, end, &empty) : NULL;
		if (!gt)
			return -1;
		s = gt;
		size_t nlen = (size_t)(name_end - n);
		bool script = nlen == 6 && at_nocase(n, "script", 6);
		if (!(script || (nlen == 5 && at_nocase(n, "style", 5))))
			continue;
		if (empty) {
			if (!script)
				continue;
			/* "<script/>": an empty script, counted all the same */
			b->start = b->end = gt;
			b->script = true;
			*p = gt;
			return 1;
		}
		/* the body runs to the first "</script" ("</style"), which
		 * must close this element: libxml2 reads on past "</scripts>".
		 * A body that starts with a tag is read as markup first (an
		 * empty one is the end tag itself). */
		const char *close = find_nocase(gt, end, script ? "</script" : "</style");
		const char *after = close ? close + (script ? 8 : 7) : NULL;
		if (!close || (after < end && html_name_char(*after)))
			return -1;
		if (close > gt && *gt == '<' &&
		    (gt[1] == '/' || html_letter(gt[1]) || gt[1] == '_' || gt[1] == ':'))
			return -1;
		b->start = gt;
		b->end = close;
		b->script = script;
		*p = close;
		return 1;
	}
	return 0;
}

/* A script's body as libxml2 keeps it (characters XML does not allow are
 * dropped: controls but tab and line ends, U+FFFE, U+FFFF), and its NUL. */
static void add_script_text(tsk__buf *sc, const char *p, const char *end)
{
	const char *run = p;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		size_t skip = 0;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			skip = 1;
		else if (c == 0xEF && end - p >= 3 && (unsigned char)p[1] == 0xBF && ((unsigned char)p[2] | 1) == 0xBF)
			skip = 3;
		if (!skip) {
			p++;
			continue;
		}
		tsk__buf_add(sc, run, (size_t)(p - run));
		p += skip;
		run = p;
	}
	tsk__buf_add(sc, run, (size_t)(end - run));
	tsk__buf_add(sc, "", 1);
}

/*
 * The text without its raw bodies, into *out (malloc'd, NUL-terminated,
 * *out_len bytes), and the scripts' bodies into scripts (each followed by
 * a NUL). TSK_OK with *out NULL when there is nothing to leave out or the
 * scan stopped (scripts then unset); TSK_ENOMEM.
 */
/* Might the text hold a script or style with a body? A quick look (no
 * tags read) that the scan below makes sure of: false only when every
 * "<script" and "<style" is followed by an end tag at once. */
static bool may_hold_raw_body(const char *p, const char *end)
{
	while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
		p++;
		size_t n = end - p >= 6 && at_nocase(p, "script", 6) ? 6
		           : end - p >= 5 && at_nocase(p, "style", 5) ? 5
		                                                       : 0;
		if (!n)
			continue;
		const char *gt = memchr(p + n, '>', (size_t)(end - p - n));
		if (!gt || end - gt < 3 || gt[1] != '<' || gt[2] != '/')
			return true;
		p = gt;
	}
	return false;
}

static int without_raw_bodies(const char *text, size_t len, char **out, size_t *out_len, tsk__buf *scripts,
                              size_t *nscripts)
{
	*out = NULL;
	if (!may_hold_raw_body(text, text + len))
		return TSK_OK;
	/* the bodies first (most pages have a few), then the copies, each
	 * allocated once at its size */
	struct raw_body few[32], *v = few, b;
	size_t n = 0, cap = TSK__ARRAY_LEN(few), removed = 0, script_bytes = 0, nscript = 0;
	const char *p = text, *end = text + len;
	int r, rc = TSK_OK;
	while ((r = next_raw_body(&p, end, &b)) == 1) {
		if (n == cap) {
			struct raw_body *w = v == few ? malloc(2 * cap * sizeof *w) : realloc(v, 2 * cap * sizeof *w);
			if (!w) {
				rc = TSK_ENOMEM;
				break;
			}
			if (v == few)
				memcpy(w, few, sizeof few);
			v = w;
			cap *= 2;
		}
		v[n++] = b;
		removed += (size_t)(b.end - b.start);
		if (b.script) {
			script_bytes += (size_t)(b.end - b.start) + 1;
			nscript++;
		}
	}
	/* nothing to leave out when the scan cannot follow the markup or
	 * every body is empty */
	if (rc == TSK_OK && r == 0 && removed > 0) {
		tsk__buf t = TSK__BUF_INIT, sc = TSK__BUF_INIT;
		if (tsk__buf_reserve_exact(&t, len - removed) && tsk__buf_reserve_exact(&sc, script_bytes)) {
			const char *kept = text;
			for (size_t i = 0; i < n; i++) {
				tsk__buf_add(&t, kept, (size_t)(v[i].start - kept));
				kept = v[i].end;
				if (v[i].script)
					add_script_text(&sc, v[i].start, v[i].end);
			}
			tsk__buf_add(&t, kept, (size_t)(end - kept));
		}
		if (t.failed || sc.failed || !t.data || !sc.data) {
			tsk__buf_dispose(&t);
			tsk__buf_dispose(&sc);
			rc = TSK_ENOMEM;
		} else {
			*out_len = t.len;
			*out = t.data;
			*scripts = sc;
			*nscripts = nscript;
		}
	}
	if (v != few)
		free(v);
	return rc;
}

/*
 * Decode, check and parse body into a tree, kept in page->doc (raw bodies
 * left out unless as_is, the scripts' kept in page->scripts). TSK_EPARSE
 * for what is not markup, TSK_ENOMEM when an allocation failed (nothing
 * kept).
 */
static int html_run(const char *body, size_t len, const char *content_type, tsk__html *page, bool as_is,
                    tsk_error *err)
{
	const char *utf8 = NULL;
	char *owned = NULL;
	size_t ulen = 0;
	int rc = html_prepare(body, len, content_type, &utf8, &ulen, &owned, &page->charset, err);
	if (rc != TSK_OK)
		return rc;
	if (!as_is) {
		char *bare = NULL;
		size_t blen = 0;
		if (without_raw_bodies(utf8, ulen, &bare, &blen, &page->scripts, &page->nscripts) != TSK_OK) {
			free(owned);
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		}
		if (bare) {
			free(owned);
			owned = bare;
			utf8 = bare;
			ulen = blen;
			page->scripts_known = true;
		}
	}
	htmlParserCtxtPtr ctxt = html_context(utf8, ulen);
	if (!ctxt) {
		free(owned);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	bool ok = guarded_parse(ctxt);
	if (ok)
		page->doc = ctxt->myDoc;
	else if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	ctxt->myDoc = NULL;
	htmlFreeParserCtxt(ctxt);
	free(owned);
	return ok ? TSK_OK : tsk_error_set(err, TSK_ENOMEM, "out of memory (in libxml2)");
}

static int html_parse(tsk__html *page, const char *body, size_t len, const char *content_type, bool as_is,
                      tsk_error *err)
{
	memset(page, 0, sizeof *page);
	tsk__html_global_init();
	/* inside a watch that lends compiled paths: use them */
	if (xmlStructuredError == watch_error && xmlStructuredErrorContext &&
	    ((tsk__xml_watch *)xmlStructuredErrorContext)->walks) {
		page->walks = ((tsk__xml_watch *)xmlStructuredErrorContext)->walks;
		page->walks_borrowed = true;
	}
	int rc = html_run(body, len, content_type, page, as_is, err);
	if (rc == TSK_OK && (!page->doc || !xmlDocGetRootElement(page->doc)))
		rc = tsk_error_set(err, TSK_EPARSE, "body could not be parsed as HTML");
	if (rc != TSK_OK) {
		tsk__html_free(page);
		return rc;
	}
	/* the XPath context is made when a path needs libxml2's XPath
	 * (most are walked directly: tsk__html_xpath) */
	return TSK_OK;
}

int tsk__html_parse(tsk__html *page, const char *body, size_t len, const char *content_type,
                    tsk_error *err)
{
	return html_parse(page, body, len, content_type, false, err);
}

int tsk__html_parse_as_is(tsk__html *page, const char *body, size_t len, const char *content_type,
                          tsk_error *err)
{
	return html_parse(page, body, len, content_type, true, err);
}

const char *tsk__html_script(tsk__html *page, size_t i, bool *oom)
{
	*oom = false;
	if (!page->scripts_known) {
		/* the tree has them (the page was parsed as it is) */
		xmlXPathObjectPtr all = tsk__html_xpath(page, NULL, "//script");
		if (!all) {
			*oom = true;
			return NULL;
		}
		for (int k = 0; k < tsk__xpath_count(all); k++) {
			xmlChar *t = xmlNodeGetContent(tsk__xpath_node(all, k));
			if (!t)
				page->scripts.failed = true;
			else
				tsk__buf_add(&page->scripts, (const char *)t, strlen((const char *)t) + 1);
			xmlFree(t);
		}
		page->nscripts = (size_t)tsk__xpath_count(all);
		xmlXPathFreeObject(all);
		if (page->scripts.failed) {
			tsk__buf_dispose(&page->scripts);
			*oom = true;
			return NULL;
		}
		page->scripts_known = true;
	}
	if (i >= page->nscripts)
		return NULL;
	const char *p = page->scripts.data;
	while (i--)
		p += strlen(p) + 1;
	return p;
}

/* Does the tag name at p (just after '<' or '</') equal name (lower
 * case), ASCII case ignored, and end there? */
static bool tag_is(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);
	if ((size_t)(end - p) < n || !at_nocase(p, name, n))
		return false;
	if (p + n == end)
		return true; /* the name runs to the end: judged as that tag */
	unsigned char c = (unsigned char)p[n];
	return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	         c == '_' || c == ':');
}

tsk__html_whole_t tsk__html_whole(const char *body, size_t len, size_t *at)
{
	const char *p = body, *end = body + len;
	/* after the last </body> or </html>, with nothing since but white
	 * space, comments, scripts and closing tags */
	bool closed = false, document = false;
	*at = len;
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (closed) {
			/* text after the close (not white space) */
			for (const char *t = p; t < (lt ? lt : end); t++)
				if (*t != ' ' && *t != '\t' && *t != '\r' && *t != '\n' && *t != '\f') {
					*at = (size_t)(t - body);
					return TSK__HTML_CONTINUES;
				}
		}
		if (!lt)
			break;
		const char *n = lt + 1;
		if (n == end)
			break; /* ends with '<': not closed */
		if ((size_t)(end - n) >= 3 && memcmp(n, "!--", 3) == 0) {
			const char *c = find_nocase(n + 3, end, "-->");
			if (!c)
				return document ? TSK__HTML_CUT : TSK__HTML_FRAGMENT; /* ends inside a comment */
			p = c + 3;
			continue;
		}
		/* the tag's first letter picks the names it may be */
		unsigned char f = (unsigned char)(*n | 0x20);
		/* a script's or style's text is not markup: Yamato's print
		 * scripts write whole documents, </html> included */
		const char *raw = f != 's'                  ? NULL
		                  : tag_is(n, end, "script") ? "</script"
		                  : tag_is(n, end, "style")  ? "</style"
		                                             : NULL;
		if (raw) {
			const char *c = find_nocase(n, end, raw);
			const char *gt = c ? memchr(c, '>', (size_t)(end - c)) : NULL;
			if (!gt)
				return document ? TSK__HTML_CUT : TSK__HTML_FRAGMENT; /* ends inside a script */
			p = gt + 1;
			continue;
		}
		if (*n == '/') {
			unsigned char g = n + 1 < end ? (unsigned char)(n[1] | 0x20) : 0;
			if ((g == 'b' && tag_is(n + 1, end, "body")) || (g == 'h' && tag_is(n + 1, end, "html")))
				closed = true;
		} else if (f >= 'a' && f <= 'z') { /* a letter: an element */
			bool opens = (f == 'b' && tag_is(n, end, "body")) || (f == 'h' && tag_is(n, end, "html"));
			document = document || opens;
			if (closed) {
				/* an element after the page's end: a second
				 * document or stray content, which libxml2
				 * would read into the body -- the page is not
				 * one whole document */
				*at = (size_t)(lt - body);
				return TSK__HTML_CONTINUES;
			}
		} else if (*n != '!' && *n != '?') {
			p = n; /* a '<' in text ("a < b"), not a tag */
			continue;
		}
		if (!closed) {
			/* the next '<' is looked for from here: only a closed
			 * page needs its tags' ends (for text after them) */
			p = n;
			continue;
		}
		const char *gt = memchr(n, '>', (size_t)(end - n));
		if (!gt)
			return document ? TSK__HTML_CUT : TSK__HTML_FRAGMENT; /* ends inside a tag */
		p = gt + 1;
	}
	return closed ? TSK__HTML_WHOLE : document ? TSK__HTML_CUT : TSK__HTML_FRAGMENT;
}

void tsk__html_free(tsk__html *page)
{
	for (size_t i = 0; i < page->ncompiled; i++) {
		free(page->compiled[i].expr);
		xmlXPathFreeCompExpr(page->compiled[i].comp);
	}
	free(page->compiled);
	if (!page->walks_borrowed)
		tsk__walks_free(page->walks);
	if (page->xpath)
		xmlXPathFreeContext(page->xpath);
	if (page->doc)
		xmlFreeDoc(page->doc);
	tsk__buf_dispose(&page->scripts);
	memset(page, 0, sizeof *page);
}

void tsk__html_oom(void)
{
	xmlError e;
	memset(&e, 0, sizeof e);
	e.domain = XML_FROM_XPATH;
	e.code = XML_ERR_NO_MEMORY;
	if (xmlStructuredError)
		xmlStructuredError(xmlStructuredErrorContext, &e);
}

char *tsk__html_fold(const char *s, bool drop_space)
{
	char *f = tsk__text_fold(s, drop_space);
	if (!f && s)
		tsk__html_oom();
	return f;
}

char *tsk__html_clean(const char *s)
{
	char *f = tsk__text_clean(s);
	if (!f && s)
		tsk__html_oom();
	return f;
}

char *tsk__html_collapse(const char *s)
{
	char *f = tsk__text_collapse(s);
	if (!f && s)
		tsk__html_oom();
	return f;
}


/* ------------------------------------------------------------------ paths
 *
 * The adapters' paths are mostly steps down the tree with class,
 * attribute or text tests. Those are walked directly: no string building
 * per element, and a first-match query stops at its first match. Each
 * expression is read once per page into a small compiled form (steps and
 * a tree of predicate terms pointing into a copy of its text), kept in
 * the page and reused by every later call with the same text, so a
 * predicate is never read again for each element. Anything else (other
 * axes and functions) goes to libxml2's XPath, compiled once per page.
 * Both give the same node set in document order (tests/unit/test_html.c
 * compares them on every page).
 *
 * The walked subset:
 *   expr  := path (' | ' path)*  |  '(' expr ')' ['[' N ']' | '[' pred ']'] [('/' | '//') steps]
 *   path  := ('//' | './/' | './' | '') steps
 *   steps := step (('//' | '/') step)*
 *   step  := (NAME | '*') ['[' pred ']']
 *   pred  := and (' or ' and)*       and := term (' and ' term)*
 *   term  := not(pred) | path (exists) | contains(., 'TEXT')
 *          | contains(concat(' ', normalize-space(@class), ' '), ' WORD ')
 *          | @NAME='VALUE' | @NAME != 'VALUE' | starts-with(@NAME, 'VALUE')
 */

#define MAX_STEPS 8
#define MAX_EXPR 512
#define WALK_UNSUPPORTED 1 /* not a TSK_ code: libxml2 answers instead */
#define MAX_WALKS 512      /* compiled expressions kept at most */

struct cpath;

/* A predicate, compiled: a term or an and/or/not of predicates. */
struct cpred {
	enum { P_OR, P_AND, P_NOT, P_CLASS, P_ATTR_EQ, P_ATTR_NE, P_STARTS, P_CONTAINS, P_PATH } kind;
	const struct cpred *a, *b;  /* or, and: both; not: a */
	const char *s1, *s2;        /* class word; attribute name and value; text */
	size_t l1, l2;
	const struct cpath *path;   /* exists */
};

struct step {
	bool descendants;           /* '//' before it, else '/' */
	const char *name;           /* NULL for '*' */
	size_t name_len;
	const struct cpred *pred;   /* inside the brackets, or NULL */
	const char *word;           /* the predicate is one class test for this word */
	size_t word_len;
};

struct cpath {
	bool from_doc;              /* '//' first: from the document */
	size_t nsteps;
	struct step steps[MAX_STEPS];
};

/* An expression, compiled. */
struct cexpr {
	enum { X_PATH, X_UNION, X_SELECT } kind;
	const struct cpath *path;           /* path */
	const struct cexpr *a, *b;          /* union */
	const struct cexpr *inner;          /* select: (inner)[pos] or (inner)[filter], then rest */
	size_t pos;                         /* 0: none */
	const struct cpred *filter;
	const struct cpath *rest;
};

/* The compiled expressions of a page, allocated from chunks freed together. */
struct walk_chunk {
	struct walk_chunk *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

struct walk_entry {
	const char *ptr;            /* the caller's pointer when last seen */
	char *text;                 /* a copy: the compiled form points into it */
	size_t len;
	uint32_t hash;
	const struct cexpr *ce;     /* NULL: outside the walked subset */
};

struct tsk__walks {
	struct walk_entry *v;
	size_t n, cap;
	struct walk_chunk *chunks;
	bool failed;                /* an allocation failed while compiling */
};

struct nodes {
	xmlNodePtr *v;
	size_t n, cap;
	bool failed;
};

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

/* The quote closing the string literal that opens at p (< end), or NULL. */
static const char *quote_end(const char *p, const char *end)
{
	return memchr(p + 1, '\'', (size_t)(end - p - 1));
}

/* Where the bracket or parenthesis opened just before p closes (quotes
 * and nesting respected); NULL when it does not within end. */
static const char *closing(const char *p, const char *end)
{
	int depth = 1;
	for (; p < end; p++) {
		if (*p == '\'') {
			if (!(p = quote_end(p, end)))
				return NULL;
		} else if (*p == '[' || *p == '(') {
			depth++;
		} else if ((*p == ']' || *p == ')') && --depth == 0) {
			return p;
		}
	}
	return NULL;
}

/* The first top-level occurrence of sep in [p, end), or NULL. */
static const char *top_level(const char *p, const char *end, const char *sep)
{
	size_t sl = strlen(sep);
	for (; p + sl <= end; p++) {
		if (*p == '\'') {
			if (!(p = quote_end(p, end)))
				return NULL;
		} else if (*p == '[' || *p == '(') {
			const char *c = closing(p + 1, end);
			if (!c)
				return NULL;
			p = c;
		} else if (memcmp(p, sep, sl) == 0) {
			return p;
		}
	}
	return NULL;
}

static void trim(const char **p, const char **end)
{
	while (*p < *end && **p == ' ')
		(*p)++;
	while (*end > *p && (*end)[-1] == ' ')
		(*end)--;
}

/* Literal text at *p, spaces in lit optional; advances on success. */
static bool eat(const char **p, const char *end, const char *lit)
{
	const char *q = *p;
	for (; *lit; lit++) {
		if (*lit == ' ') {
			while (q < end && *q == ' ')
				q++;
			continue;
		}
		if (q >= end || *q != *lit)
			return false;
		q++;
	}
	*p = q;
	return true;
}

static bool eat_name(const char **p, const char *end, const char **name, size_t *len)
{
	const char *q = *p;
	while (q < end && is_name_char(*q))
		q++;
	if (q == *p)
		return false;
	*name = *p;
	*len = (size_t)(q - *p);
	*p = q;
	return true;
}

/* 'text' (no quote inside) */
static bool eat_string(const char **p, const char *end, const char **s, size_t *len)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (*p >= end || **p != '\'')
		return false;
	const char *e = memchr(*p + 1, '\'', (size_t)(end - *p - 1));
	if (!e)
		return false;
	*s = *p + 1;
	*len = (size_t)(e - *s);
	*p = e + 1;
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

static bool contains_bytes(const char *hay, const char *needle, size_t len)
{
	if (len == 0)
		return true;
	for (const char *p = hay; (p = strchr(p, needle[0])); p++)
		if (strncmp(p, needle, len) == 0)
			return true;
	return false;
}

/*
 * Is n's string value the content of at most one text node? Then *text
 * is that content (NULL: no text at all). False when it is made of
 * several pieces (or of nodes this does not read).
 */
/* The node after c in document order under root, elements' children
 * first (without recursion); NULL after the last. */
static xmlNodePtr next_under(xmlNodePtr c, xmlNodePtr root)
{
	if (c->children && c->type == XML_ELEMENT_NODE)
		return c->children;
	while (c && c != root && !c->next)
		c = c->parent;
	return !c || c == root ? NULL : c->next;
}

static bool one_text(xmlNodePtr n, const xmlChar **text)
{
	*text = NULL;
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		*text = n->content;
		return true;
	}
	if (n->type != XML_ELEMENT_NODE)
		return false;
	for (xmlNodePtr c = n->children; c; c = next_under(c, n)) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (*text || !c->content)
				return false;
			*text = c->content;
		} else if (c->type == XML_ENTITY_REF_NODE || c->type == XML_ENTITY_NODE) {
			return false;
		}
	}
	return true;
}

static void walks_clear(struct tsk__walks *w);

static void *walk_alloc(struct tsk__walks *w, size_t size)
{
	size = (size + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) * _Alignof(max_align_t);
	struct walk_chunk *c = w->chunks;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > 4096 ? size : 4096;
		if (!(c = malloc(sizeof *c + cap))) {
			w->failed = true;
			return NULL;
		}
		c->next = w->chunks;
		c->used = 0;
		c->cap = cap;
		w->chunks = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

static bool compile_path(struct tsk__walks *w, const char *p, const char *end, const struct cpath **out);

static struct cpred *new_pred(struct tsk__walks *w, int kind)
{
	struct cpred *c = walk_alloc(w, sizeof *c);
	if (c)
		c->kind = kind;
	return c;
}

/*
 * Compile one term of a predicate. NULL when it is not in the subset (or
 * an allocation failed: w->failed).
 */
static const struct cpred *compile_term(struct tsk__walks *w, const char *p, const char *end);

static const struct cpred *compile_pred(struct tsk__walks *w, const char *p, const char *end)
{
	trim(&p, &end);
	const char *o = top_level(p, end, " or ");
	size_t skip = 4;
	int kind = P_OR;
	if (!o) {
		o = top_level(p, end, " and ");
		skip = 5;
		kind = P_AND;
	}
	if (!o)
		return compile_term(w, p, end);
	const struct cpred *x = compile_pred(w, p, o);
	const struct cpred *y = x ? compile_pred(w, o + skip, end) : NULL;
	struct cpred *c = y ? new_pred(w, kind) : NULL;
	if (c) {
		c->a = x;
		c->b = y;
	}
	return c;
}

static const struct cpred *compile_term(struct tsk__walks *w, const char *p, const char *end)
{
	const char *q = p, *s1, *s2;
	size_t l1, l2;
	struct cpred *c;
	trim(&p, &end);
	if ((q = p, eat(&q, end, "not(")) && end[-1] == ')' && closing(q, end) == end - 1) {
		const struct cpred *x = compile_pred(w, q, end - 1);
		if (!x || !(c = new_pred(w, P_NOT)))
			return NULL;
		c->a = x;
		return c;
	}
	if ((q = p, eat(&q, end, "contains(concat(' ', normalize-space(@class), ' '), ")) &&
	    eat_string(&q, end, &s1, &l1) && eat(&q, end, " )") && q == end) {
		/* ' WORD ': one word between single spaces */
		if (l1 < 3 || s1[0] != ' ' || s1[l1 - 1] != ' ' || memchr(s1 + 1, ' ', l1 - 2))
			return NULL;
		if ((c = new_pred(w, P_CLASS))) {
			c->s1 = s1 + 1;
			c->l1 = l1 - 2;
		}
		return c;
	}
	if ((q = p, eat(&q, end, "@")) && eat_name(&q, end, &s1, &l1)) {
		bool ne = eat(&q, end, " != ");
		if ((ne || eat(&q, end, " = ")) && eat_string(&q, end, &s2, &l2) && q == end) {
			if ((c = new_pred(w, ne ? P_ATTR_NE : P_ATTR_EQ))) {
				c->s1 = s1, c->l1 = l1;
				c->s2 = s2, c->l2 = l2;
			}
			return c;
		}
	}
	if ((q = p, eat(&q, end, "starts-with( @")) && eat_name(&q, end, &s1, &l1) && eat(&q, end, " , ") &&
	    eat_string(&q, end, &s2, &l2) && eat(&q, end, " )") && q == end) {
		if ((c = new_pred(w, P_STARTS))) {
			c->s1 = s1, c->l1 = l1;
			c->s2 = s2, c->l2 = l2;
		}
		return c;
	}
	if ((q = p, eat(&q, end, "contains( . , ")) && eat_string(&q, end, &s1, &l1) && eat(&q, end, " )") &&
	    q == end) {
		if ((c = new_pred(w, P_CONTAINS))) {
			c->s1 = s1;
			c->l1 = l1;
		}
		return c;
	}
	/* a path: true when it finds a node */
	if (p == end || *p == '(' || top_level(p, end, " | "))
		return NULL;
	const struct cpath *path;
	if (!compile_path(w, p, end, &path))
		return NULL;
	if ((c = new_pred(w, P_PATH)))
		c->path = path;
	return c;
}

/* Split a path into steps; false when it is not in the walked subset. */
static bool compile_path(struct tsk__walks *w, const char *p, const char *end, const struct cpath **out)
{
	struct cpath *cp = walk_alloc(w, sizeof *cp);
	if (!cp)
		return false;
	bool desc = false;
	if (eat(&p, end, "//")) {
		cp->from_doc = desc = true;
	} else if (eat(&p, end, ".//")) {
		desc = true;
	} else {
		eat(&p, end, "./");
	}
	size_t n = 0;
	for (;;) {
		if (n == MAX_STEPS)
			return false;
		struct step *st = &cp->steps[n];
		st->descendants = desc;
		if (p < end && *p == '*')
			p++;
		else if (!eat_name(&p, end, &st->name, &st->name_len))
			return false;
		if (p < end && *p == '[') {
			const char *c = closing(p + 1, end);
			if (!c || !(st->pred = compile_pred(w, p + 1, c)))
				return false;
			/* a position is no test: libxml2 answers */
			const char *d = p + 1;
			while (d < c && ((*d >= '0' && *d <= '9') || *d == ' '))
				d++;
			if (d == c)
				return false;
			/* the usual test, one class word, is tested without the tree */
			if (st->pred->kind == P_CLASS) {
				st->word = st->pred->s1;
				st->word_len = st->pred->l1;
			}
			p = c + 1;
		}
		n++;
		if (p == end)
			break;
		if (eat(&p, end, "//"))
			desc = true;
		else if (eat(&p, end, "/"))
			desc = false;
		else
			return false;
	}
	cp->nsteps = n;
	*out = cp;
	return true;
}

static int path_first(const struct cpath *path, xmlDocPtr doc, xmlNodePtr node, xmlNodePtr *out);

/* The value of a compiled predicate on n; a term that runs out of memory
 * is false (the caller's allocation check catches what was lost). */
static bool pred_true(const struct cpred *c, xmlNodePtr n, bool *oom)
{
	xmlChar *tmp = NULL;
	const char *v;
	bool ok;
	switch (c->kind) {
	case P_OR:
		return pred_true(c->a, n, oom) || pred_true(c->b, n, oom);
	case P_AND:
		return pred_true(c->a, n, oom) && pred_true(c->b, n, oom);
	case P_NOT:
		return !pred_true(c->a, n, oom);
	case P_CLASS:
		v = attr_value(n, "class", 5, &tmp);
		ok = v && has_word(v, c->s1, c->l1);
		xmlFree(tmp);
		return ok;
	case P_ATTR_EQ:
	case P_ATTR_NE: {
		v = attr_value(n, c->s1, c->l1, &tmp);
		bool eq = v && strlen(v) == c->l2 && memcmp(v, c->s2, c->l2) == 0;
		ok = v && (c->kind == P_ATTR_NE ? !eq : eq);
		xmlFree(tmp);
		return ok;
	}
	case P_STARTS:
		v = attr_value(n, c->s1, c->l1, &tmp);
		ok = c->l2 == 0 || (v && strncmp(v, c->s2, c->l2) == 0);
		xmlFree(tmp);
		return ok;
	case P_CONTAINS: {
		/* the string value: every descendant text; one text node (the
		 * usual cell) is read where it is */
		const xmlChar *only = NULL;
		if (one_text(n, &only))
			return only ? contains_bytes((const char *)only, c->s1, c->l1) : c->l1 == 0;
		xmlChar *text = xmlNodeGetContent(n);
		if (!text)
			*oom = true;
		ok = text && contains_bytes((const char *)text, c->s1, c->l1);
		xmlFree(text);
		return ok;
	}
	case P_PATH: {
		xmlNodePtr found = NULL;
		int rc = path_first(c->path, n->doc, n, &found);
		if (rc == TSK_ENOMEM)
			*oom = true;
		return rc == TSK_OK && found;
	}
	}
	return false;
}

static bool step_matches(const struct step *st, xmlNodePtr n, bool *oom)
{
	if (n->type != XML_ELEMENT_NODE)
		return false;
	if (st->name && (strncmp((const char *)n->name, st->name, st->name_len) != 0 || n->name[st->name_len] != '\0'))
		return false;
	if (st->word) {
		xmlChar *tmp = NULL;
		const char *v = attr_value(n, "class", 5, &tmp);
		bool ok = v && has_word(v, st->word, st->word_len);
		xmlFree(tmp);
		return ok;
	}
	return !st->pred || pred_true(st->pred, n, oom);
}

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

/* The node after c that a step from ctx looks at: its next sibling for a
 * child step; for a descendant step the next in document order under ctx
 * (without recursion). NULL after the last. */
static xmlNodePtr step_next(const struct step *st, xmlNodePtr c, xmlNodePtr ctx)
{
	return st->descendants ? next_under(c, ctx) : c->next;
}

/* One step from every context node; with first, stop at the first match.
 * False when the contexts nest under a child step (the walk could not keep
 * document order there; libxml2 answers instead). */
static bool run_step(const struct step *st, const struct nodes *in, struct nodes *out, bool first, bool *oom)
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
		for (xmlNodePtr c = ctx->children; c; c = step_next(st, c, ctx))
			if (step_matches(st, c, oom) && (!nodes_add(out, c) || first))
				return true;
	}
	return true;
}

/* Run steps from the nodes in *cur (taken); the result replaces it. */
static int run_steps(const struct step *steps, size_t nsteps, struct nodes *cur, bool first)
{
	int rc = TSK_OK;
	for (size_t k = 0; k < nsteps && rc == TSK_OK && cur->n; k++) {
		struct nodes next = { NULL, 0, 0, false };
		bool oom = false;
		if (!run_step(&steps[k], cur, &next, first && k + 1 == nsteps, &oom))
			rc = WALK_UNSUPPORTED;
		else if (next.failed || oom)
			rc = TSK_ENOMEM;
		free(cur->v);
		*cur = next;
	}
	return rc;
}

/* Where a compiled path starts: the document for '//', else node (the
 * root element when NULL); NULL when there is none. */
static xmlNodePtr path_start(const struct cpath *path, xmlDocPtr doc, xmlNodePtr node)
{
	return path->from_doc ? (xmlNodePtr)doc : node ? node : xmlDocGetRootElement(doc);
}

/*
 * A compiled path from node (the document root element when NULL): TSK_OK
 * with the nodes in res, WALK_UNSUPPORTED, or TSK_ENOMEM.
 */
static int run_path(const struct cpath *path, xmlDocPtr doc, xmlNodePtr node, bool first, struct nodes *res)
{
	struct nodes cur = { NULL, 0, 0, false };
	xmlNodePtr start = path_start(path, doc, node);
	if (!start)
		return WALK_UNSUPPORTED;
	if (!nodes_add(&cur, start))
		return TSK_ENOMEM;
	int rc = run_steps(path->steps, path->nsteps, &cur, first);
	if (rc != TSK_OK) {
		free(cur.v);
		return rc;
	}
	*res = cur;
	return TSK_OK;
}

/* The first match of one step from one context node, in run_step's order. */
static xmlNodePtr step_first(const struct step *st, xmlNodePtr ctx, bool *oom)
{
	for (xmlNodePtr c = ctx->children; c; c = step_next(st, c, ctx))
		if (step_matches(st, c, oom))
			return c;
	return NULL;
}

/* The first node of a compiled path (*out, NULL for none): as run_path
 * with first, without building a node list when the path is one step. */
static int path_first(const struct cpath *path, xmlDocPtr doc, xmlNodePtr node, xmlNodePtr *out)
{
	*out = NULL;
	if (path->nsteps != 1) {
		struct nodes r;
		int rc = run_path(path, doc, node, true, &r);
		if (rc == TSK_OK) {
			*out = r.n ? r.v[0] : NULL;
			free(r.v);
		}
		return rc;
	}
	xmlNodePtr start = path_start(path, doc, node);
	if (!start)
		return WALK_UNSUPPORTED;
	bool oom = false;
	xmlNodePtr hit = step_first(&path->steps[0], start, &oom);
	if (oom)
		return TSK_ENOMEM;
	*out = hit;
	return TSK_OK;
}

/* Put nodes in document order, once each. */
static int doc_order(struct nodes *l)
{
	if (l->n < 2)
		return TSK_OK;
	xmlNodeSetPtr set = xmlXPathNodeSetCreate(NULL);
	if (!set)
		return TSK_ENOMEM;
	for (size_t i = 0; i < l->n; i++)
		if (xmlXPathNodeSetAddUnique(set, l->v[i]) < 0) {
			xmlXPathFreeNodeSet(set);
			return TSK_ENOMEM;
		}
	xmlXPathNodeSetSort(set);
	size_t k = 0;
	for (int i = 0; i < set->nodeNr; i++)
		if (k == 0 || l->v[k - 1] != set->nodeTab[i])
			l->v[k++] = set->nodeTab[i];
	l->n = k;
	xmlXPathFreeNodeSet(set);
	return TSK_OK;
}

/* Compile a whole expression (unions and a parenthesised selection
 * included); NULL when it is not in the walked subset. */
static const struct cexpr *compile_expr(struct tsk__walks *w, const char *p, const char *end)
{
	trim(&p, &end);
	struct cexpr *x;
	if (p < end && *p == '(') {
		const char *c = closing(p + 1, end);
		if (!c)
			return NULL;
		const struct cexpr *inner = compile_expr(w, p + 1, c);
		if (!inner || !(x = walk_alloc(w, sizeof *x)))
			return NULL;
		x->kind = X_SELECT;
		x->inner = inner;
		const char *q = c + 1;
		if (q < end && *q == '[') {
			const char *qc = closing(q + 1, end);
			const char *d = q + 1;
			size_t pos = 0;
			while (qc && d < qc && *d >= '0' && *d <= '9')
				pos = pos * 10 + (size_t)(*d++ - '0');
			if (qc && d == qc && d > q + 1) {
				/* [N]: the N-th of the selection (none for [0]) */
				x->pos = pos ? pos : SIZE_MAX;
			} else if (!qc || !(x->filter = compile_pred(w, q + 1, qc))) {
				return NULL;
			}
			q = qc + 1;
		}
		if (q < end) {
			/* then steps from the selection: "/th", "//td" */
			if ((size_t)(end - q) + 2 > MAX_EXPR || *q != '/')
				return NULL;
			char *rest = walk_alloc(w, (size_t)(end - q) + 2);
			if (!rest)
				return NULL;
			rest[0] = '.';
			memcpy(rest + 1, q, (size_t)(end - q));
			if (!compile_path(w, rest, rest + 1 + (end - q), &x->rest))
				return NULL;
		}
		return x;
	}
	const char *bar = top_level(p, end, " | ");
	if (!bar)
		bar = top_level(p, end, "|");
	if (bar) {
		const struct cexpr *a = compile_expr(w, p, bar);
		const struct cexpr *b = a ? compile_expr(w, *bar == '|' ? bar + 1 : bar + 3, end) : NULL;
		if (!b || !(x = walk_alloc(w, sizeof *x)))
			return NULL;
		x->kind = X_UNION;
		x->a = a;
		x->b = b;
		return x;
	}
	const struct cpath *path;
	if (!compile_path(w, p, end, &path) || !(x = walk_alloc(w, sizeof *x)))
		return NULL;
	x->kind = X_PATH;
	x->path = path;
	return x;
}

/* The walked answer to a compiled expression. */
static int run_expr(const struct cexpr *x, xmlDocPtr doc, xmlNodePtr node, bool first, struct nodes *res)
{
	if (x->kind == X_PATH)
		return run_path(x->path, doc, node, first, res);
	if (x->kind == X_UNION) {
		struct nodes a = { NULL, 0, 0, false }, b = { NULL, 0, 0, false };
		int rc = run_expr(x->a, doc, node, false, &a);
		if (rc == TSK_OK)
			rc = run_expr(x->b, doc, node, false, &b);
		for (size_t i = 0; rc == TSK_OK && i < b.n; i++)
			if (!nodes_add(&a, b.v[i]))
				rc = TSK_ENOMEM;
		free(b.v);
		if (rc == TSK_OK)
			rc = doc_order(&a);
		if (rc != TSK_OK) {
			free(a.v);
			return rc;
		}
		*res = a;
		return TSK_OK;
	}
	struct nodes sel = { NULL, 0, 0, false };
	int rc = run_expr(x->inner, doc, node, false, &sel);
	if (rc != TSK_OK)
		return rc;
	if (x->pos) {
		if (x->pos <= sel.n) {
			sel.v[0] = sel.v[x->pos - 1];
			sel.n = 1;
		} else {
			sel.n = 0;
		}
	} else if (x->filter) {
		bool oom = false;
		size_t k = 0;
		for (size_t i = 0; i < sel.n; i++)
			if (pred_true(x->filter, sel.v[i], &oom))
				sel.v[k++] = sel.v[i];
		sel.n = k;
		if (oom) {
			free(sel.v);
			return TSK_ENOMEM;
		}
	}
	if (x->rest && (rc = run_steps(x->rest->steps, x->rest->nsteps, &sel, first)) != TSK_OK) {
		free(sel.v);
		return rc;
	}
	*res = sel;
	return TSK_OK;
}

static uint32_t text_hash(const char *s, size_t *len)
{
	uint32_t h = 2166136261u;
	const char *p = s;
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	*len = (size_t)(p - s);
	return h;
}

/* expr compiled for this page: from the cache, else now. NULL with
 * *unsupported when outside the subset; NULL alone on ENOMEM. */
static const struct cexpr *compiled(tsk__html *page, const char *expr, bool *unsupported)
{
	*unsupported = false;
	if (!page->walks && !(page->walks = tsk__walks_new()))
		return NULL;
	struct tsk__walks *w = page->walks;
	/* the same call site passes the same pointer: one comparison */
	for (size_t i = w->n; i-- > 0;)
		if (w->v[i].ptr == expr && strcmp(w->v[i].text, expr) == 0) {
			*unsupported = !w->v[i].ce;
			return w->v[i].ce;
		}
	size_t len;
	uint32_t h = text_hash(expr, &len);
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].hash == h && w->v[i].len == len && memcmp(w->v[i].text, expr, len) == 0) {
			w->v[i].ptr = expr;
			*unsupported = !w->v[i].ce;
			return w->v[i].ce;
		}
	if (w->n == MAX_WALKS)
		walks_clear(w); /* only fixed paths are expected: a bound, not a policy */
	if (!TSK__GROW(w->v, w->cap, w->n + 1))
		return NULL;
	char *text = walk_alloc(w, len + 1);
	if (!text)
		return NULL;
	memcpy(text, expr, len + 1);
	w->failed = false;
	const struct cexpr *ce = compile_expr(w, text, text + len);
	if (w->failed)
		return NULL; /* not kept: an answer from half a compilation would be wrong */
	w->v[w->n++] = (struct walk_entry){ expr, text, len, h, ce };
	*unsupported = !ce;
	return ce;
}

static int walk(tsk__html *page, xmlNodePtr node, const char *expr, bool first, struct nodes *res)
{
	bool unsupported;
	const struct cexpr *ce = compiled(page, expr, &unsupported);
	if (!ce)
		return unsupported ? WALK_UNSUPPORTED : TSK_ENOMEM;
	return run_expr(ce, page->doc, node, first, res);
}

static void walks_clear(struct tsk__walks *w)
{
	while (w->chunks) {
		struct walk_chunk *c = w->chunks;
		w->chunks = c->next;
		free(c);
	}
	w->n = 0;
}

struct tsk__walks *tsk__walks_new(void)
{
	return calloc(1, sizeof(struct tsk__walks));
}

void tsk__walks_free(struct tsk__walks *w)
{
	if (!w)
		return;
	walks_clear(w);
	free(w->v);
	free(w);
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
	if (!page->xpath) {
		if (!(page->xpath = xmlXPathNewContext(page->doc))) {
			tsk__html_oom();
			return NULL;
		}
		/* an XPath context tells its out-of-memory to this callback only */
		page->xpath->error = xpath_error;
	}
	xmlResetError(&page->xpath->lastError);
	xmlXPathObjectPtr obj = eval_xpath(page, node, expr);
	if (!obj || page->xpath->lastError.code != XML_ERR_OK) {
		/* the expressions are fixed and valid: a failed evaluation ran out
		 * of memory, and some of those paths tell no one; tell the watch */
		tsk__html_oom();
		xmlXPathFreeObject(obj);
		return NULL;
	}
	if (obj->type != XPATH_NODESET) {
		xmlXPathFreeObject(obj);
		return NULL;
	}
	return obj;
}

xmlXPathObjectPtr tsk__html_xpath(tsk__html *page, xmlNodePtr node, const char *expr)
{
	struct nodes res;
	int rc = walk(page, node, expr, false, &res);
	if (rc == TSK_ENOMEM) {
		tsk__html_oom();
		return NULL;
	}
	if (rc == TSK_OK) {
		xmlXPathObjectPtr obj = xmlXPathNewNodeSet(NULL);
		for (size_t i = 0; obj && i < res.n; i++)
			if (xmlXPathNodeSetAddUnique(obj->nodesetval, res.v[i]) < 0) {
				xmlXPathFreeObject(obj);
				obj = NULL;
			}
		free(res.v);
		if (!obj)
			tsk__html_oom();
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
	bool unsupported;
	const struct cexpr *ce = compiled(page, expr, &unsupported);
	int rc = ce ? TSK_OK : unsupported ? WALK_UNSUPPORTED : TSK_ENOMEM;
	xmlNodePtr n = NULL;
	if (ce && ce->kind == X_PATH) {
		rc = path_first(ce->path, page->doc, node, &n);
	} else if (ce) {
		struct nodes res;
		if ((rc = run_expr(ce, page->doc, node, true, &res)) == TSK_OK) {
			n = res.n ? res.v[0] : NULL;
			free(res.v);
		}
	}
	if (rc == TSK_OK)
		return n;
	if (rc == TSK_ENOMEM) {
		tsk__html_oom();
		return NULL;
	}
	xmlXPathObjectPtr obj = tsk__html_xpath(page, node, expr);
	n = tsk__xpath_node(obj, 0);
	xmlXPathFreeObject(obj);
	return n;
}

/* What an element is to the text of its ancestors. */
enum tsk__text_role tsk__html_text_role(const xmlChar *name)
{
	static const struct {
		const char *name;
		enum tsk__text_role role;
	} roles[] = {
		{ "script", TSK__TEXT_SKIP }, { "style", TSK__TEXT_SKIP }, { "br", TSK__TEXT_BR }, { "td", TSK__TEXT_CELL },
		{ "th", TSK__TEXT_CELL }, { "p", TSK__TEXT_BLOCK }, { "div", TSK__TEXT_BLOCK }, { "tr", TSK__TEXT_BLOCK },
		{ "li", TSK__TEXT_BLOCK }, { "table", TSK__TEXT_BLOCK }, { "h1", TSK__TEXT_BLOCK }, { "h2", TSK__TEXT_BLOCK },
		{ "h3", TSK__TEXT_BLOCK }, { "h4", TSK__TEXT_BLOCK }, { "h5", TSK__TEXT_BLOCK }, { "h6", TSK__TEXT_BLOCK },
		{ "dt", TSK__TEXT_BLOCK }, { "dd", TSK__TEXT_BLOCK }, { "ol", TSK__TEXT_BLOCK }, { "ul", TSK__TEXT_BLOCK },
		{ "dl", TSK__TEXT_BLOCK },
	};
	if (!name)
		return TSK__TEXT_INLINE;
	/* only names that begin with the same letter (ASCII case ignored) are compared */
	char first = (char)(name[0] >= 'A' && name[0] <= 'Z' ? name[0] + 32 : name[0]);
	for (size_t i = 0; i < TSK__ARRAY_LEN(roles); i++)
		if (roles[i].name[0] == first && xmlStrcasecmp(name, (const xmlChar *)roles[i].name) == 0)
			return roles[i].role;
	return TSK__TEXT_INLINE;
}

static void collect_text(xmlNodePtr n, tsk__buf *b)
{
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				tsk__buf_puts(b, (const char *)n->content);
		} else if (n->type == XML_ELEMENT_NODE) {
			enum tsk__text_role role = tsk__html_text_role(n->name);
			if (role == TSK__TEXT_SKIP)
				continue;
			if (role == TSK__TEXT_BR) {
				tsk__buf_putc(b, '\n');
				continue;
			}
			if (role == TSK__TEXT_CELL)
				tsk__buf_putc(b, ' ');
			collect_text(n->children, b);
			if (role == TSK__TEXT_BLOCK)
				tsk__buf_putc(b, '\n');
		} else if (n->type == XML_ENTITY_REF_NODE) {
			collect_text(n->children, b);
		}
	}
}

static char *node_text(xmlNodePtr node);

char *tsk__node_text(xmlNodePtr node)
{
	char *t = node_text(node);
	if (!t)
		tsk__html_oom();
	return t;
}

/* raw text cleaned per line, the empty lines dropped, the rest joined by
 * '\n' (or ' ' when one_line): never longer than the raw text. NULL on
 * ENOMEM. */
static char *clean_lines(const char *raw, size_t len, bool one_line)
{
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *line = raw, *end = raw + len; line;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		size_t at = o ? o + 1 : 0;
		size_t m = tsk__text_clean_into(out + at, line, n);
		if (m) {
			if (o)
				out[o] = one_line ? ' ' : '\n';
			o = at + m;
		}
		line = nl ? nl + 1 : NULL;
	}
	out[o] = '\0';
	return out;
}

static char *node_text(xmlNodePtr node)
{
	if (!node)
		return tsk__strdup("");
	/* an element holding one text (most cells): cleaned from where it is,
	 * without gathering a copy first */
	xmlNodePtr only = node->type == XML_ELEMENT_NODE ? node->children : NULL;
	if (only && !only->next && only->type == XML_TEXT_NODE) {
		const char *t = only->content ? (const char *)only->content : "";
		return clean_lines(t, strlen(t), false);
	}
	tsk__buf raw = TSK__BUF_INIT;
	tsk__buf_add(&raw, "", 0);
	if (node->type == XML_ELEMENT_NODE)
		collect_text(node->children, &raw);
	else if (node->content)
		tsk__buf_puts(&raw, (const char *)node->content);
	char *out = raw.failed ? NULL : clean_lines(raw.data, raw.len, false);
	tsk__buf_dispose(&raw);
	return out;
}

char *tsk__text_line_of(const char *raw, size_t len)
{
	char *t = clean_lines(raw, len, true);
	if (!t)
		tsk__html_oom();
	return t;
}

char *tsk__node_text_line(xmlNodePtr node)
{
	char *t = tsk__node_text(node);
	if (!t)
		return NULL; /* tsk__node_text told the watch */
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
	if (!copy)
		tsk__html_oom();
	return copy;
}

const char *tsk__node_attr_ref(xmlNodePtr node, const char *name, xmlChar **tmp)
{
	*tmp = NULL;
	return node && node->type == XML_ELEMENT_NODE ? attr_value(node, name, strlen(name), tmp) : NULL;
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
