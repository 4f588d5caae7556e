/*
 * Private HTML helpers for the HTML adapters: decode a page by what its
 * bytes are, parse it with libxml2's HTML parser, query it with XPath.
 * Only this module and carriers/ include libxml2.
 */
#ifndef TSK_LIB_HTML_H
#define TSK_LIB_HTML_H

#include "tsuiseki.h"
#include "util.h"
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <stdbool.h>

/* A parsed page. */
typedef struct tsk__html {
	htmlDocPtr doc;
	xmlXPathContextPtr xpath;
	struct {                /* expressions libxml2 evaluates, compiled once per page */
		char *expr;         /* a copy */
		xmlXPathCompExprPtr comp;
	} *compiled;
	size_t ncompiled, compiled_cap;
	struct tsk__walks *walks;  /* expressions walked directly, compiled (html.c) */
	bool walks_borrowed;       /* walks is the parse's (tsk__xml_watch), not the page's */
	const char *charset;   /* what the bytes were decoded from: "UTF-8", "CP932", "EUC-JP", "ASCII" */
	tsk__buf scripts;      /* the <script> bodies the tree leaves out, each NUL-terminated */
	size_t nscripts;
	bool scripts_known;    /* scripts is filled (else read from the tree on demand) */
} tsk__html;

/*
 * Decode bytes to UTF-8. Order: a BOM; bytes that are valid UTF-8 (pure
 * ASCII with &#NNNNN; references included); else the charset declared by
 * the Content-Type or the META, when it converts cleanly; else CP932
 * (Shift_JIS), then EUC-JP. A declared charset that does not fit the bytes
 * is overruled (DESIGN.md: decode by what the bytes are).
 * NUL bytes or bytes no charset explains give TSK_EPARSE.
 * The text is *text_out (*len_out bytes, not NUL-terminated): inside body
 * when the bytes are UTF-8 already (no copy), else a converted copy that
 * the caller frees with free(*owned) (*owned is NULL otherwise).
 */
int tsk__html_decode(const char *body, size_t len, const char *content_type, const char **text_out,
                     size_t *len_out, char **owned, const char **charset_out, tsk_error *err);

/*
 * Decode and parse. Returns TSK_EPARSE when the bytes are not HTML at all
 * (no element, binary, JSON). Always dispose with tsk__html_free.
 */
int tsk__html_parse(tsk__html *page, const char *body, size_t len, const char *content_type,
                    tsk_error *err);
/* The same, with the bodies of scripts and styles kept in the tree (the
 * tests compare the two trees). */
int tsk__html_parse_as_is(tsk__html *page, const char *body, size_t len, const char *content_type,
                          tsk_error *err);
/*
 * The text of the page's i-th <script> element (document order, from 0),
 * as libxml2 would have kept it; NULL past the last, or on ENOMEM (*oom
 * set). tsk__html_parse leaves script and style bodies out of the tree
 * (html.c, "Raw text"), so a layout reads a script here, never from the
 * tree. The text lives as long as the page.
 */
const char *tsk__html_script(tsk__html *page, size_t i, bool *oom);
void tsk__html_free(tsk__html *page);

/*
 * Is the page one whole document? A page is read whole or not at all, so
 * the bytes are scanned once, tag by tag (comments, scripts and styles
 * skipped: Yamato's print scripts hold whole documents, </html> included):
 *  - TSK__HTML_WHOLE: the page ends with its closing </body> or </html>,
 *    followed by nothing but white space, comments, scripts and closing tags;
 *  - TSK__HTML_CUT: a document (it opened <html> or <body>) stops short --
 *    no closing tag after the last content, or it ends inside a comment,
 *    script or tag (carriers' pages always close them, so such a body was
 *    cut on the way, and reading it would give a shorter history and a
 *    stale status);
 *  - TSK__HTML_FRAGMENT: the same with no <html> or <body> at all: markup
 *    that is not a page; whether it is cut is unknown, and a layout that
 *    would read it must not (it could be the start of a longer answer);
 *  - TSK__HTML_CONTINUES: text or an element follows a closing </body> or
 *    </html> (a second document run on, or stray content libxml2 would
 *    read into the body); *at is its byte offset. A cut exactly at the
 *    inner close would look whole, so such a page is not read at all.
 */
typedef enum { TSK__HTML_WHOLE, TSK__HTML_CUT, TSK__HTML_FRAGMENT, TSK__HTML_CONTINUES } tsk__html_whole_t;
tsk__html_whole_t tsk__html_whole(const char *body, size_t len, size_t *at);

/* Evaluate an XPath expression (relative to node, or the document when
 * NULL). Plain steps with a class, attribute or text test are walked
 * directly (see html.c), the rest compiled once per page; returns a node set (possibly empty) the caller frees with
 * xmlXPathFreeObject, or NULL on an invalid expression / ENOMEM. */
xmlXPathObjectPtr tsk__html_xpath(tsk__html *page, xmlNodePtr node, const char *expr);
/* The same, always by libxml2 (the tests compare the two). */
xmlXPathObjectPtr tsk__html_xpath_libxml(tsk__html *page, xmlNodePtr node, const char *expr);
/* Number of nodes in an XPath result, and the i-th. */
int tsk__xpath_count(xmlXPathObjectPtr obj);
xmlNodePtr tsk__xpath_node(xmlXPathObjectPtr obj, int i);
/* First node matching expr, or NULL. */
xmlNodePtr tsk__html_first(tsk__html *page, xmlNodePtr node, const char *expr);

/*
 * The text of a node, with <br> and block ends as '\n', script/style
 * skipped, entities decoded, then cleaned per line (trim, inner ASCII runs
 * to one space). Caller frees. NULL on ENOMEM; "" for no text.
 */
char *tsk__node_text(xmlNodePtr node);
/* Same but every line joined with one space (a table cell as one line). */
char *tsk__node_text_line(xmlNodePtr node);
/*
 * How an element's text joins its neighbours' in tsk__node_text: inline;
 * skipped with its content (script, style); a line break, content skipped
 * (br); a cell, one space before it (td, th); a block, a line end after it.
 */
enum tsk__text_role { TSK__TEXT_INLINE, TSK__TEXT_SKIP, TSK__TEXT_BR, TSK__TEXT_CELL, TSK__TEXT_BLOCK };
enum tsk__text_role tsk__html_text_role(const xmlChar *name);
/* tsk__node_text_line of an element whose text, gathered as collect_text
 * does it (roles above, text and CDATA as they are), is raw[0..len):
 * for readers that gather an element's text themselves. NULL on ENOMEM. */
char *tsk__text_line_of(const char *raw, size_t len);
/* An attribute's value (caller frees), or NULL. */
char *tsk__node_attr(xmlNodePtr node, const char *name);
/* The same without a copy when the value is one text, as the HTML parser
 * keeps it; else a copy in *tmp (xmlFree it in either case). NULL when
 * absent or when node is not an element. */
const char *tsk__node_attr_ref(xmlNodePtr node, const char *name, xmlChar **tmp);
/* Is node an element of that name (ASCII case ignored)? false for NULL. */
bool tsk__node_is(xmlNodePtr node, const char *name);
/* Does the element's class attribute contain the word? */
bool tsk__node_has_class(xmlNodePtr node, const char *cls);

/* One-time libxml2 initialisation (pthread_once inside). */
void tsk__html_global_init(void);

/* Tell the watch (below) that an allocation failed during a parse, where
 * a helper could only answer NULL, which its caller might read as "no
 * text" or "no match". */
void tsk__html_oom(void);
/* tsk__text_fold / _clean / _collapse (util.h) that tell the watch when
 * they fail: use these on page text in adapters. */
char *tsk__html_fold(const char *s, bool drop_space);
char *tsk__html_clean(const char *s);
char *tsk__html_collapse(const char *s);

/*
 * libxml2 recovers from an allocation failure as from a broken page: it
 * reports "Memory allocation failed" and goes on with a shorter document or
 * an empty node set. A watch, begun around a parse in this thread, tells
 * whether any libxml2 call in between ran out of memory, so the parse is
 * failed with TSK_ENOMEM instead of answering with less. libxml2's error
 * handler is per thread; the previous one is restored (and still called).
 */
typedef struct tsk__xml_watch {
	xmlStructuredErrorFunc old_fn;
	void *old_ctx;
	bool oom;
	/* borrowed, or NULL: compiled paths kept across the pages parsed in
	 * this thread while the watch is on (a context keeps one, so each
	 * adapter path is compiled once per context, not once per page) */
	struct tsk__walks *walks;
} tsk__xml_watch;
void tsk__xml_watch_begin(tsk__xml_watch *w);
/* Restore the handler; true when libxml2 ran out of memory meanwhile. */
bool tsk__xml_watch_end(tsk__xml_watch *w);

/* A cache of compiled paths to lend to a watch (caller owns; free with
 * tsk__walks_free). NULL on ENOMEM. */
struct tsk__walks *tsk__walks_new(void);
void tsk__walks_free(struct tsk__walks *w);

#endif
