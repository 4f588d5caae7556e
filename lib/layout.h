/*
 * Private: the one way an HTML carrier reads its pages.
 *
 * A carrier keeps a table of page layouts, newest first, each a name, a
 * recogniser and a parser, and hands it to tsk__layout_parse from its
 * adapter's parse callback. The driver decodes and parses the bytes (not
 * HTML: TSK_EPARSE from lib/html.c), refuses a page that was cut short
 * (TSK_EPARSE), asks the recognisers in table order and lets the first
 * that says yes parse the page. Every shipment that parser adds is named
 * with the layout (tsk_shipment_layout, `--explain`). A page no layout
 * recognises is TSK_ELAYOUT with the one message every carrier gives:
 *
 *   <carrier>: page layout not recognised (title "<page title>"; known layouts: <a>, <b>)
 *
 * and a recognised page that shows none of the numbers asked is
 * TSK_ELAYOUT too: never not_found and never a guess. An unrecognised page
 * that says the carrier cannot answer now (maintenance, outside service
 * hours, busy: lib/outage.h) is that transient error instead.
 *
 * Adding a layout is one recogniser, one parser and one row in the
 * carrier's table (carriers/<name>/README.md, Adding a layout).
 */
#ifndef TSK_LIB_LAYOUT_H
#define TSK_LIB_LAYOUT_H

#include "html.h"
#include "tsuiseki.h"

#include <stdbool.h>
#include <stddef.h>

/* The page being read and where its answers go, for one layout's parser.
 * Everything but the year hint is set by the driver and read-only. */
typedef struct tsk__layout_page {
	const tsk_adapter *self;
	tsk__html *page;
	const tsk_response *resp;   /* the bytes, and the numbers asked (resp->numbers, resp->count) */
	const tsk_parse_env *env;
	tsk_shipment_list *out;     /* append shipments here */
	size_t first;               /* index in out of this page's first shipment */
	const char *layout;         /* the name of the layout parsing the page */
	tsk_error *err;             /* set it when returning an error */
	/* A year hint the whole page gives (the inquiry time a page prints):
	 * set by the parser, the driver gives it to every shipment of the page. */
	bool has_year_hint;
	tsk_year_hint year_hint_kind;
	tsk_time year_hint;
} tsk__layout_page;

typedef struct tsk__layout {
	const char *name;           /* "<carrier>-<year>[-<variant>]", as README.md lists it */
	/* Is this page of this layout? Look at named elements only, never
	 * keyword-search the whole page. Must not allocate anything it keeps. */
	bool (*recognise)(tsk__html *page);
	/* Append the page's shipments to p->out; TSK_OK or an error set in p->err. */
	int (*parse)(tsk__layout_page *p);
} tsk__layout;

/*
 * A page is read whole or not at all: a history row a layout cannot read
 * (an element where a row should be, a row without its status word or
 * date) is never dropped, it makes the page TSK_ELAYOUT. These two help
 * every layout say so alike.
 *
 * tsk__layout_stray: the first element child of parent that is none of
 * the NULL-terminated names (ASCII case ignored), or NULL.
 */
xmlNodePtr tsk__layout_stray(xmlNodePtr parent, const char *const *names);
/* The first element of a table (or of its thead/tbody/tfoot) that is not a
 * row or a table part, or NULL. */
xmlNodePtr tsk__layout_stray_in_table(xmlNodePtr table);

/*
 * Report a history row that cannot be read: TSK_ELAYOUT, set in p->err as
 *   <carrier>: the <layout> page has a history row it cannot read
 *   (row <n> of <number>: <why>; <element> "<its text>")
 * with err->where the row's node path. number may be NULL (not known yet),
 * row is 1-based in page order (a table's header row being 0); 0 counts
 * the elements before node in its parent. Returns TSK_ELAYOUT (TSK_ENOMEM when even
 * the message cannot be built).
 */
int tsk__layout_bad_row(tsk__layout_page *p, const char *number, size_t row, xmlNodePtr node,
                        const char *why);

/*
 * Parse resp with the first layout of layouts[0..n) that recognises it:
 * the body of an adapter's parse callback. On error, shipments already
 * appended stay in out (the core drops them).
 */
int tsk__layout_parse(const tsk_adapter *self, const tsk__layout *layouts, size_t n,
                      const tsk_response *resp, const tsk_parse_env *env, tsk_shipment_list *out,
                      tsk_error *err);

#endif
