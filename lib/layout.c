/*
 * The layout driver (layout.h): what every HTML carrier does around its
 * layouts, once, so that the carriers keep only their tables and layout
 * functions and every carrier words its layout errors alike.
 */
#include "layout.h"
#include "model.h"
#include "outage.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The page title for the layout error, cut at a character boundary. */
static void page_title(tsk__html *page, char *buf, size_t size)
{
	buf[0] = '\0';
	char *t = tsk__node_text_line(tsk__html_first(page, NULL, "//title"));
	if (!t)
		return;
	size_t n = tsk__utf8_cut(t, strlen(t), size - 1);
	memcpy(buf, t, n);
	buf[n] = '\0';
	free(t);
}

/*
 * Does a <body> hold an element? The parser puts the <body> under the
 * root <html>, so that one is looked at first; the XPath (any body's
 * element children) walks the whole document, so it runs only for a page
 * about to be refused.
 */
static bool body_has_element(tsk__html *page)
{
	xmlNodePtr root = xmlDocGetRootElement(page->doc);
	for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
		if (tsk__node_is(c, "body"))
			for (xmlNodePtr k = c->children; k; k = k->next)
				if (k->type == XML_ELEMENT_NODE)
					return true;
	return tsk__html_first(page, NULL, "//body/*") != NULL;
}

static int not_recognised(const tsk_adapter *self, const tsk__layout *layouts, size_t n,
                          tsk__html *page, tsk_error *err)
{
	char title[96];
	page_title(page, title, sizeof title);
	tsk__buf names = TSK__BUF_INIT;
	tsk__buf_add(&names, "", 0);
	for (size_t i = 0; i < n; i++)
		tsk__buf_printf(&names, "%s%s", i ? ", " : "", layouts[i].name);
	if (names.failed) {
		tsk__buf_dispose(&names);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	int rc = tsk_error_set(err, TSK_ELAYOUT,
	                       "%s: page layout not recognised (title \"%s\"; known layouts: %s)",
	                       self->name, title, names.data);
	tsk__buf_dispose(&names);
	return rc;
}

xmlNodePtr tsk__layout_stray(xmlNodePtr parent, const char *const *names)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		bool known = false;
		for (size_t i = 0; names[i] && !known; i++)
			known = tsk__node_is(c, names[i]);
		if (!known)
			return c;
	}
	return NULL;
}

xmlNodePtr tsk__layout_stray_in_table(xmlNodePtr table)
{
	static const char *const table_parts[] = { "tr", "thead", "tbody", "tfoot", "caption", "colgroup", "col", NULL };
	static const char *const rows_only[] = { "tr", NULL };
	xmlNodePtr stray = tsk__layout_stray(table, table_parts);
	for (xmlNodePtr c = table ? table->children : NULL; c && !stray; c = c->next)
		if (tsk__node_is(c, "thead") || tsk__node_is(c, "tbody") || tsk__node_is(c, "tfoot"))
			stray = tsk__layout_stray(c, rows_only);
	return stray;
}

int tsk__layout_bad_row(tsk__layout_page *p, const char *number, size_t row, xmlNodePtr node,
                        const char *why)
{
	if (row == 0 && node)
		for (xmlNodePtr c = node->prev; c; c = c->prev)
			row += c->type == XML_ELEMENT_NODE;
	char *text = node ? tsk__node_text_line(node) : tsk__strdup("");
	if (!text)
		return tsk_error_set(p->err, TSK_ENOMEM, "out of memory");
	/* the row's text, cut at a character boundary */
	size_t n = strlen(text);
	bool cut = n > 120;
	text[tsk__utf8_cut(text, n, 120)] = '\0';
	int rc = tsk_error_set(p->err, TSK_ELAYOUT,
	                       "%s: the %s page has a history row it cannot read (row %zu%s%s: %s; <%s> \"%s%s\")",
	                       p->self->name, p->layout, row, number ? " of " : "", number ? number : "", why,
	                       node && node->name ? (const char *)node->name : "?", text, cut ? "…" : "");
	free(text);
	xmlChar *path = node ? xmlGetNodePath(node) : NULL;
	if (path)
		tsk_error_set_where(p->err, "%s", (const char *)path);
	xmlFree(path);
	return rc;
}

/* Name the layout on every shipment the page gave, and the page's year hint. */
static int name_shipments(const tsk__layout_page *p)
{
	for (size_t i = p->first; i < tsk_shipment_list_count(p->out); i++) {
		tsk_shipment *s = p->out->items[i];
		int rc = tsk_shipment_set_text(s, TSK_SHIPMENT_LAYOUT, p->layout);
		if (rc == TSK_OK && p->has_year_hint)
			rc = tsk_shipment_set_year_hint(s, p->year_hint_kind, &p->year_hint);
		if (rc != TSK_OK)
			return rc == TSK_ENOMEM ? tsk_error_set(p->err, rc, "out of memory")
			                        : tsk_error_set(p->err, rc, "%s: cannot name the layout on %s",
			                                        p->self->name, tsk_shipment_tracking_number(s));
	}
	return TSK_OK;
}

int tsk__layout_parse(const tsk_adapter *self, const tsk__layout *layouts, size_t n,
                      const tsk_response *resp, const tsk_parse_env *env, tsk_shipment_list *out,
                      tsk_error *err)
{
	tsk__html page;
	int rc = tsk__html_parse(&page, resp->body, resp->len, resp->content_type, err);
	if (rc != TSK_OK)
		return rc;
	/* A cut-off answer is a parse error whatever its layout: neither a
	 * shorter history nor a "new layout" would be true. */
	size_t at = 0;
	tsk__html_whole_t whole = tsk__html_whole(resp->body, resp->len, &at);
	if (whole == TSK__HTML_CUT || whole == TSK__HTML_CONTINUES || !body_has_element(&page)) {
		tsk__html_free(&page);
		if (whole == TSK__HTML_CUT)
			return tsk_error_set(err, TSK_EPARSE,
			                     "%s: page is truncated (it ends after %zu bytes without closing "
			                     "</body> or </html>)",
			                     self->name, resp->len);
		if (whole == TSK__HTML_CONTINUES)
			return tsk_error_set(err, TSK_EPARSE,
			                     "%s: page is not one whole document (content follows its closing "
			                     "</body> or </html> at byte %zu of %zu)",
			                     self->name, at, resp->len);
		return tsk_error_set(err, TSK_EPARSE, "%s: page is truncated (nothing in <body>)", self->name);
	}
	const tsk__layout *layout = NULL;
	for (size_t i = 0; i < n && !layout; i++)
		if (layouts[i].recognise(&page))
			layout = &layouts[i];
	/* maintenance, out of hours, busy: the carrier's answer, not a new layout */
	if (!layout && (rc = tsk__html_outage(&page, self->name, err)) == TSK_OK)
		rc = not_recognised(self, layouts, n, &page, err);
	if (layout && whole == TSK__HTML_FRAGMENT)
		/* a layout's markup without the page around it: a page cut
		 * before its end tags may look like this, and read it would
		 * give a shorter history */
		rc = tsk_error_set(err, TSK_EPARSE,
		                   "%s: page is truncated (the %s markup ends after %zu bytes with no "
		                   "<html> or <body> around it and no closing tag)",
		                   self->name, layout->name,
		                   resp->len);
	if (!layout || whole == TSK__HTML_FRAGMENT) {
		tsk__html_free(&page);
		return rc;
	}
	tsk__layout_page p = { self, &page, resp, env, out, tsk_shipment_list_count(out), layout->name, err,
	                       false, TSK_YEAR_HINT_NOT_AFTER, TSK_TIME_NULL_INIT };
	rc = layout->parse(&p);
	if (rc == TSK_OK && tsk_shipment_list_count(out) == p.first && resp->count > 0)
		/* the layout is known but shows none of the numbers asked: the
		 * request or the page changed in a way the carrier does not know */
		rc = tsk_error_set(err, TSK_ELAYOUT, "%s: the %s page shows none of the %zu numbers asked",
		                   self->name, layout->name, resp->count);
	if (rc == TSK_OK)
		rc = name_shipments(&p);
	tsk__html_free(&page);
	return rc;
}
