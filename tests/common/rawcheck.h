/*
 * Test helper: tsk__html_parse leaves the bodies of scripts and styles out
 * of the tree (lib/html.c, "Raw text"); the tree must be exactly the one
 * libxml2 builds from the page as it is, minus those bodies, and every
 * script's text the same. rawcheck_diff says where the two differ (a
 * static message), or NULL. Used by tests/unit/test_html.c and the
 * fuzz_html_raw target.
 */
#ifndef TSK_TESTS_RAWCHECK_H
#define TSK_TESTS_RAWCHECK_H

#include "html.h"

#include <stdio.h>
#include <string.h>

static int rawcheck_streq(const xmlChar *a, const xmlChar *b)
{
	return (!a && !b) || (a && b && strcmp((const char *)a, (const char *)b) == 0);
}

static int rawcheck_is_raw(xmlNodePtr n)
{
	return n->type == XML_ELEMENT_NODE && n->name &&
	       (xmlStrcasecmp(n->name, BAD_CAST "script") == 0 || xmlStrcasecmp(n->name, BAD_CAST "style") == 0);
}

/* a: a node of the page without raw bodies; b: the same of the page as it is */
static const char *rawcheck_nodes(xmlNodePtr a, xmlNodePtr b, int left_out, char *why, size_t size)
{
	for (; a || b; a = a->next, b = b->next) {
		if (!a || !b) {
			snprintf(why, size, "%s has a node the other lacks (%s)", a ? "left out" : "as is",
			         (const char *)(a ? a : b)->name);
			return why;
		}
		if (a->type != b->type || !rawcheck_streq(a->name, b->name)) {
			snprintf(why, size, "node %s (type %d) against %s (type %d)", (const char *)a->name, (int)a->type,
			         (const char *)b->name, (int)b->type);
			return why;
		}
		if (a->type != XML_ELEMENT_NODE) {
			if (!rawcheck_streq(a->content, b->content)) {
				snprintf(why, size, "text \"%.40s\" against \"%.40s\"", (const char *)a->content,
				         (const char *)b->content);
				return why;
			}
			continue;
		}
		xmlAttrPtr pa = a->properties, pb = b->properties;
		for (; pa || pb; pa = pa->next, pb = pb->next) {
			if (!pa || !pb || !rawcheck_streq(pa->name, pb->name)) {
				snprintf(why, size, "attributes of <%s> differ", (const char *)a->name);
				return why;
			}
			xmlChar *va = xmlNodeGetContent((xmlNodePtr)pa), *vb = xmlNodeGetContent((xmlNodePtr)pb);
			int same = rawcheck_streq(va, vb);
			xmlFree(va);
			xmlFree(vb);
			if (!same) {
				snprintf(why, size, "attribute %s of <%s> differs", (const char *)pa->name,
				         (const char *)a->name);
				return why;
			}
		}
		if (left_out && rawcheck_is_raw(a)) {
			if (a->children) {
				snprintf(why, size, "<%s> kept its body", (const char *)a->name);
				return why;
			}
			continue;
		}
		const char *d = rawcheck_nodes(a->children, b->children, left_out, why, size);
		if (d)
			return d;
	}
	return NULL;
}

/* left_out: whether the first page's bodies were left out (else both
 * trees must be the same, bodies and all) */
static const char *rawcheck_diff(tsk__html *left_out, tsk__html *as_is, int bodies_left_out, char *why,
                                 size_t size)
{
	const char *d = rawcheck_nodes(left_out->doc->children, as_is->doc->children, bodies_left_out, why, size);
	if (d)
		return d;
	for (size_t i = 0;; i++) {
		bool oom1 = false, oom2 = false;
		const char *s1 = tsk__html_script(left_out, i, &oom1), *s2 = tsk__html_script(as_is, i, &oom2);
		if (oom1 || oom2)
			return NULL; /* out of memory: nothing to compare */
		if (!s1 && !s2)
			return NULL;
		if (!s1 || !s2 || strcmp(s1, s2) != 0) {
			snprintf(why, size, "script %zu differs: \"%.40s\" against \"%.40s\"", i, s1 ? s1 : "(none)",
			         s2 ? s2 : "(none)");
			return why;
		}
	}
}

#endif
