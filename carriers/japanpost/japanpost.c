/*
 * Japan Post (日本郵便): ゆうパック, ゆうパケット, registered and recorded
 * mail (書留, 特定記録) and international items (EMS, S10 numbers).
 *
 * Invariants:
 *  - Numbers: 12 digits with a mod-7 check digit (shared with Yamato and
 *    Sagawa, so a weak claim), 11-digit 引受番号 (mod 7 of the first 10;
 *    only Japan Post uses them) and UPU S10 numbers (README.md, Numbers).
 *  - One request never mixes search kinds: 11-digit registered numbers go
 *    with searchKind=S001, everything else with S002 (README.md, Requests).
 *  - Parsing is a pure function of the bytes: a table of layouts, each with
 *    a recogniser and a parser, is tried in turn by the shared driver
 *    (lib/layout.h). A page no layout recognises is TSK_ELAYOUT, never
 *    not_found; bytes that are not HTML are TSK_EPARSE (from lib/html.c).
 *  - Events keep the page order (oldest first on every Japan Post page)
 *    and time_raw is the date cell as printed. Years come from the page:
 *    today's layouts print them, the 2009 pages print the inquiry time at
 *    the top, which becomes a NOT_AFTER year hint.
 *  - The number a page shows (1234-5678-9012, "CN 000 000 005 JP") is
 *    reduced to digits and letters, the form callers ask with.
 *  - "Not found" is page text; it gives a shipment with TSK_ENOTFOUND and
 *    no events.
 *  - A body cut before </html> is TSK_EPARSE, never a shorter history.
 */
#include "carrier_tables.h"
#include "html.h"
#include "jptime.h"
#include "layout.h"
#include "numbers.h"
#include "statusmap.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JP_NAME "japanpost"
#define JP_MAX_BATCH 10

/* ------------------------------------------------------------ status words */

static const tsk__status_word jp_words[] = {
#include "status.def"
};

/* The English page is not consistent about "Returned to sender" /
 * "Returned to Sender": whole words also match ignoring ASCII case. */
static const tsk__status_table jp_status = TSK__STATUS_TABLE(jp_words, true);

static void jp_map_status(const tsk_adapter *self, const char *word, tsk_status_mapping *out)
{
	(void)self;
	(void)tsk__status_map(&jp_status, word, out, NULL); /* no templates: cannot run out of memory */
}

/* ---------------------------------------------------------------- numbers */

static bool s10_shape(const char *s)
{
	if (strlen(s) != 13)
		return false;
	for (int i = 0; i < 13; i++) {
		bool letter = s[i] >= 'A' && s[i] <= 'Z';
		bool digit = s[i] >= '0' && s[i] <= '9';
		if ((i < 2 || i > 10) ? !letter : !digit)
			return false;
	}
	return true;
}

static int jp_recognize(const tsk_adapter *self, const char *number, double *confidence_out,
                        tsk_error *err)
{
	(void)self;
	*confidence_out = 0;
	if (!number)
		return TSK_OK;
	size_t n = strlen(number);
	if (tsk__all_digits(number) && (n == 12 || n == 11)) {
		int expected = 0;
		if (!tsk__mod7_valid(number, &expected))
			return tsk_error_set(err, TSK_EINVALID_NUMBER,
			                     "%zu-digit Japan Post number %s: check digit is %c, expected %d "
			                     "(mod 7 of the first %zu digits)",
			                     n, number, number[n - 1], expected, n - 1);
		/* 12 digits: Yamato and Sagawa use the same format and check, so
		 * the claim is a third; 11-digit 引受番号 are Japan Post's alone */
		*confidence_out = n == 12 ? 0.33 : 1.0;
		return TSK_OK;
	}
	if (s10_shape(number)) {
		int rc = tsk__s10_check(number, err);
		if (rc != TSK_OK)
			return rc;
		/* JP: accepted by Japan Post; elsewhere: delivered by it in Japan
		 * when incoming, so a strong but not exclusive claim */
		*confidence_out = number[11] == 'J' && number[12] == 'P' ? 1.0 : 0.8;
	}
	return TSK_OK;
}

/* --------------------------------------------------------------- requests */

/* The search kind of a number: S001 書留/特定記録 (11 digits), S002 for
 * ゆうパック and the other 12-digit items and for S10 items, which the
 * current direct search answers under S002 too (README.md, Requests). */
static const char *search_kind(const char *number)
{
	return strlen(number) == 11 && tsk__all_digits(number) ? "S001" : "S002";
}

static int add_request(const tsk_request_env *env, const char *kind, const char *const *numbers,
                       size_t count, tsk_request_list *out, tsk_error *err)
{
	const char *locale = env->locale && strcmp(env->locale, "en") == 0 ? "en" : "ja";
	tsk__buf url = TSK__BUF_INIT;
	tsk__buf_puts(&url, env->endpoint);
	tsk__buf_putc(&url, strchr(env->endpoint, '?') ? '&' : '?');
	for (size_t i = 0; i < count; i++) {
		char *enc = NULL;
		if (tsk_url_encode(&enc, numbers[i], strlen(numbers[i])) != TSK_OK) {
			tsk__buf_dispose(&url);
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		}
		tsk__buf_printf(&url, "%sreqCodeNo%zu=%s", i ? "&" : "", i + 1, enc);
		tsk_free(enc);
	}
	tsk__buf_printf(&url, "&searchKind=%s&locale=%s", kind, locale);
	char *u = tsk__buf_detach(&url);
	if (!u)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	tsk_request *req = NULL;
	int rc = tsk_request_list_add(out, "GET", u, NULL, NULL, 0, numbers, count, &req);
	free(u);
	if (rc == TSK_OK)
		rc = tsk_request_add_header(req, "Accept", "text/html");
	if (rc != TSK_OK)
		return tsk_error_set(err, rc, "japanpost: cannot build the request: %s", tsk_strerror(rc));
	return TSK_OK;
}

static int jp_build_requests(const tsk_adapter *self, const tsk_request_env *env,
                             const char *const *numbers, size_t count, tsk_request_list *out,
                             tsk_error *err)
{
	(void)self;
	if (!env || !env->endpoint || !*env->endpoint)
		return tsk_error_set(err, TSK_ECONFIG, "japanpost: no endpoint");
	if (count && !numbers)
		return tsk_error_set(err, TSK_EINVAL, "japanpost: no numbers");
	const char **group = calloc(count ? count : 1, sizeof *group);
	bool *done = calloc(count ? count : 1, sizeof *done);
	if (!group || !done) {
		free(group);
		free(done);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	int rc = TSK_OK;
	/* kinds in the order they first appear, input order within a kind,
	 * at most JP_MAX_BATCH numbers per request */
	for (size_t i = 0; i < count && rc == TSK_OK; i++) {
		if (done[i])
			continue;
		const char *kind = search_kind(numbers[i]);
		size_t n = 0;
		for (size_t j = i; j < count && rc == TSK_OK; j++) {
			if (done[j] || strcmp(search_kind(numbers[j]), kind) != 0)
				continue;
			done[j] = true;
			group[n++] = numbers[j];
			if (n == JP_MAX_BATCH) {
				rc = add_request(env, kind, group, n, out, err);
				n = 0;
			}
		}
		if (n && rc == TSK_OK)
			rc = add_request(env, kind, group, n, out, err);
	}
	free(group);
	free(done);
	return rc;
}

/* ------------------------------------------------------------ DOM helpers */

typedef struct nodes {
	xmlNodePtr *v;
	size_t n, cap;
	bool failed;
} nodes;

static void nodes_push(nodes *l, xmlNodePtr n)
{
	if (l->failed)
		return;
	if (!TSK__GROW(l->v, l->cap, l->n + 1)) {
		l->failed = true;
		tsk__html_oom(); /* for callers that read a short list as the page's answer */
		return;
	}
	l->v[l->n++] = n;
}

/* Empty the list, keeping its array for the next use. */
static void nodes_clear(nodes *l)
{
	l->n = 0;
	l->failed = false;
}

static void nodes_dispose(nodes *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Is n an element of that name? libxml2's HTML parser writes element and
 * attribute names in lower case, so the names are compared as they are
 * (inline: the walks below ask this of every element of the page). */
static inline bool is_el(xmlNodePtr n, const char *name)
{
	if (!n || n->type != XML_ELEMENT_NODE)
		return false;
	const xmlChar *a = n->name;
	while (*name && *a == (xmlChar)*name)
		a++, name++;
	return !*a && !*name;
}

/* Does element n have a child element of that name? */
static bool has_child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (is_el(c, name))
			return true;
	return false;
}

/* The node after n in document order below root (NULL: the document),
 * into an element's children first; NULL after the last. With skip,
 * n's own children are passed over. */
static xmlNodePtr next_node(xmlNodePtr n, xmlNodePtr root, bool skip)
{
	if (!skip && n->type == XML_ELEMENT_NODE && n->children)
		return n->children;
	while (n != root && !n->next)
		n = n->parent;
	return n && n != root ? n->next : NULL;
}

/* Elements named a or b below parent in document order, without looking
 * into a match or into a nested table. Cells are searched this way rather
 * than as children because the 2009 pages wrap <td>s in <form>s. */
static void collect(xmlNodePtr parent, const char *a, const char *b, nodes *out)
{
	xmlNodePtr c = parent ? parent->children : NULL;
	while (c) {
		bool hit = is_el(c, a) || (b && is_el(c, b));
		if (hit)
			nodes_push(out, c);
		c = next_node(c, parent, hit || is_el(c, "table"));
	}
}

/* Is element n's attribute attr exactly value? */
static bool attr_is(xmlNodePtr n, const char *attr, const char *value)
{
	xmlChar *copy;
	const char *v = tsk__node_attr_ref(n, attr, &copy);
	bool is = v && strcmp(v, value) == 0;
	xmlFree(copy);
	return is;
}

/* The first element named name below root (the document when NULL) whose
 * attribute attr is value, in document order; NULL if none. */
static xmlNodePtr first_with(tsk__html *page, xmlNodePtr root, const char *name, const char *attr,
                             const char *value)
{
	for (xmlNodePtr n = root ? root->children : page->doc->children; n; n = next_node(n, root, false))
		if (is_el(n, name) && attr_is(n, attr, value))
			return n;
	return NULL;
}

/* The one text most cells hold, alone or in inline elements (<td><a …>
 * 新宿郵便局</a></td>), as the page has it; NULL for any other cell. */
static const char *lone_text(xmlNodePtr cell)
{
	xmlNodePtr c = cell->children;
	while (c && !c->next && c->type == XML_ELEMENT_NODE && tsk__html_text_role(c->name) == TSK__TEXT_INLINE)
		c = c->children;
	return c && !c->next && c->type == XML_TEXT_NODE ? (const char *)c->content : NULL;
}

/* A cell's text on one line: <br> and block ends as a space, &nbsp; as a
 * space, trimmed (tsk__node_text_line); a lone text is cleaned as it is,
 * without gathering it first. NULL only on ENOMEM. */
static char *cell_text(xmlNodePtr cell)
{
	const char *t = lone_text(cell);
	return t ? tsk__text_line_of(t, strlen(t)) : tsk__node_text_line(cell);
}

/* A cell's text for an event field only, which the event cleans as it
 * keeps it: a lone text of one line is given as the page has it (cleaning
 * it first would give the same), else its cell_text copied into *copy.
 * NULL only on ENOMEM. */
static const char *cell_text_for_event(xmlNodePtr cell, char **copy)
{
	const char *t = lone_text(cell);
	*copy = NULL;
	if (t && !strchr(t, '\n'))
		return t;
	return *copy = cell_text(cell);
}

/* The site's "wrong number of digits" answer (README.md, Error answers):
 * the number asked is not a valid one. */
static bool has_wrong_digits_text(const char *t)
{
	return t && (strstr(t, "入力桁数に誤り") || strstr(t, "mistake in the number of digits"));
}

static bool has_not_found_text(const char *t)
{
	return t && (strstr(t, "お問い合わせ番号が見つかりません") || strstr(t, "Your item was not found") ||
	             has_wrong_digits_text(t));
}

/* Digits and letters of a number as the page shows it ("1234-5678-9012",
 * "CN 000 000 005 JP"); NULL when there are none or on ENOMEM. */
static char *display_number(const char *text)
{
	char *f = text ? tsk__html_fold(text, true) : NULL;
	if (!f)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; f[i]; i++) {
		char c = f[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
			f[k++] = c;
		else if (c != '-')
			break; /* "317409136693(ゆうパック)…": the number ends here */
	}
	f[k] = '\0';
	if (k < 8) { /* too short for any Japan Post number */
		free(f);
		return NULL;
	}
	return f;
}

/* ------------------------------------------------------------ date parsing */

/* A whole date cell: a date, optionally followed by a time; a cell with
 * more text than that is not read as a time (see page_time). */
static bool parse_when(const char *raw, tsk__jptime *t)
{
	return tsk__jptime_parse_stamp(t, raw, NULL, TSK__JPTIME_WHOLE);
}

/* The page's inquiry time "2009/09/10 11:54": the first table cell that is
 * exactly a full date and time, among the page's first 60 cells. */
static bool page_time(tsk__html *page, tsk_time *out)
{
	int cells = 0;
	bool found = false;
	for (xmlNodePtr n = page->doc->children; n && !found && cells < 60; n = next_node(n, NULL, false)) {
		if (!is_el(n, "td"))
			continue;
		cells++;
		char *t = cell_text(n);
		tsk__jptime at;
		if (!t)
			tsk__html_oom(); /* the parse ends with out_of_memory */
		if (t && *t && parse_when(t, &at) && at.year > 0 && at.hour >= 0)
			found = tsk_time_from_fields(out, at.year, at.month, at.day, at.hour, at.minute,
			                             TSK_JST_OFFSET) == TSK_OK;
		free(t);
	}
	return found;
}

/* ---------------------------------------------------------- table columns */

typedef enum jp_col {
	COL_NUMBER = 0,
	COL_DATE,
	COL_SERVICE,
	COL_STATUS,
	COL_DETAIL,
	COL_OFFICE,
	COL_REGION,
	COL__COUNT
} jp_col;

/* Header words per column, tried in this order for each header cell so
 * "状態発生日" is the date and "最新状態" the status. */
static const struct {
	jp_col col;
	const char *words[5];
} col_words[] = {
	{ COL_NUMBER, { "番号", "number", NULL } },
	{ COL_DATE, { "発生日", "年月日", "date", NULL } },
	{ COL_SERVICE, { "種別", "class", "type", NULL } },
	{ COL_STATUS, { "状態", "配送履歴", "track record", "status", NULL } },
	{ COL_DETAIL, { "詳細", "detail", NULL } },
	{ COL_OFFICE, { "取扱", "office", NULL } },
	{ COL_REGION, { "県名", "prefecture", NULL } },
};

/* A cell's text with ASCII letters lowered, in place: the header and
 * label words here are lower case, so strstr on the lowered text finds
 * them with ASCII case ignored. NULL stays NULL (ENOMEM). */
static char *lowered(char *t)
{
	for (char *c = t; c && *c; c++)
		*c = (char)tsk__ascii_lower((unsigned char)*c);
	return t;
}

/* Map the cells of a header row to columns; -1 where absent. Returns the
 * number of columns recognised. ENOMEM is reported through *failed. */
static int map_header(xmlNodePtr header_row, int idx[COL__COUNT], bool *failed)
{
	for (int c = 0; c < COL__COUNT; c++)
		idx[c] = -1;
	nodes cells = { 0 };
	collect(header_row, "th", "td", &cells);
	int found = 0;
	for (size_t i = 0; i < cells.n; i++) {
		char *t = lowered(cell_text(cells.v[i]));
		if (!t) {
			*failed = true;
			break;
		}
		/* a word is all ASCII or all Japanese: the kinds the text lacks are not searched */
		bool ascii = false, other = false;
		for (const char *c = t; *c; c++)
			*((unsigned char)*c < 0x80 ? &ascii : &other) = true;
		for (size_t k = 0; k < TSK__ARRAY_LEN(col_words); k++) {
			bool hit = false;
			for (int w = 0; col_words[k].words[w] && !hit; w++) {
				const char *word = col_words[k].words[w];
				hit = ((unsigned char)word[0] < 0x80 ? ascii : other) && strstr(t, word);
			}
			if (hit) {
				if (idx[col_words[k].col] < 0) {
					idx[col_words[k].col] = (int)i;
					found++;
				}
				break;
			}
		}
		free(t);
	}
	*failed = *failed || cells.failed;
	nodes_dispose(&cells);
	return found;
}

/* ----------------------------------------------------------- parse state */

/* The page being read (lib/layout.h); the 2009 pages' inquiry time is
 * its year hint. */
typedef tsk__layout_page jp_parse;

static int oom(jp_parse *p)
{
	return tsk_error_set(p->err, TSK_ENOMEM, "out of memory");
}

static bool answered(const jp_parse *p, const char *number)
{
	for (size_t i = p->first; i < tsk_shipment_list_count(p->out); i++)
		if (strcmp(tsk_shipment_tracking_number(tsk_shipment_list_at(p->out, i)), number) == 0)
			return true;
	return false;
}

/* The one number asked, for pages that do not print it; NULL otherwise. */
static const char *single_asked(const jp_parse *p)
{
	return p->resp->count == 1 && p->resp->numbers && p->resp->numbers[0] ? p->resp->numbers[0] : NULL;
}

static int new_shipment(jp_parse *p, const char *number, tsk_shipment **out)
{
	*out = NULL;
	int rc = tsk_shipment_new(out, JP_NAME, number);
	if (rc != TSK_OK) {
		tsk_shipment_free(*out);
		*out = NULL;
		return rc == TSK_ENOMEM ? oom(p) : tsk_error_set(p->err, rc, "japanpost: bad number %s", number);
	}
	return TSK_OK;
}

static int append(jp_parse *p, tsk_shipment *s)
{
	int rc = tsk_shipment_list_append(p->out, s);
	return rc == TSK_OK ? TSK_OK : oom(p);
}

static int add_not_found(jp_parse *p, const char *number, const char *message)
{
	if (answered(p, number))
		return TSK_OK;
	tsk_shipment *s;
	int rc = new_shipment(p, number, &s);
	if (rc != TSK_OK)
		return rc;
	char msg[600];
	bool invalid = has_wrong_digits_text(message);
	const char *what = invalid ? "not a valid number" : "number not registered";
	if (message && *message)
		snprintf(msg, sizeof msg, "japanpost: %s (%s)", what, message);
	else
		snprintf(msg, sizeof msg, "japanpost: %s", what);
	if (tsk_shipment_set_error(s, invalid ? TSK_EINVALID_NUMBER : TSK_ENOTFOUND, msg) != TSK_OK) {
		tsk_shipment_free(s);
		return oom(p);
	}
	return append(p, s);
}

/* One event from the cells of an event row (+ the postal code row). The
 * columns the parser reads are cleaned copies in text; the detail, office
 * and region only go to the event (field: the page's own text or a copy
 * in text, see cell_text_for_event), and so does the postal code. */
typedef struct jp_event_cells {
	char *text[COL__COUNT];
	const char *field[COL__COUNT];
	char *postal_copy;
	const char *postal;
	char *location_code;
} jp_event_cells;

static void event_cells_dispose(jp_event_cells *c)
{
	for (int i = 0; i < COL__COUNT; i++)
		free(c->text[i]);
	free(c->postal_copy);
	free(c->location_code);
	memset(c, 0, sizeof *c);
}

static bool event_field_only(jp_col c)
{
	return c == COL_DETAIL || c == COL_OFFICE || c == COL_REGION;
}

/* Read the columns of an event row. Returns false on ENOMEM. */
static bool read_event_cells(const nodes *cells, const int idx[COL__COUNT], jp_event_cells *out)
{
	memset(out, 0, sizeof *out);
	for (int c = 0; c < COL__COUNT; c++) {
		if (idx[c] < 0 || (size_t)idx[c] >= cells->n)
			continue;
		xmlNodePtr cell = cells->v[idx[c]];
		out->field[c] = event_field_only((jp_col)c) ? cell_text_for_event(cell, &out->text[c])
		                                           : (out->text[c] = cell_text(cell));
		if (!out->field[c])
			return false;
	}
	return true;
}

static int set_ev_text(tsk_event *ev, tsk_event_field f, const char *v)
{
	return v && *v ? tsk_event_set_text(ev, f, v) : TSK_OK;
}

static int add_event(jp_parse *p, tsk_shipment *s, const jp_event_cells *c)
{
	tsk_event *ev;
	if (tsk_event_new(&ev) != TSK_OK)
		return oom(p);
	int rc = TSK_OK;
	const char *when = c->text[COL_DATE];
	if (rc == TSK_OK)
		rc = set_ev_text(ev, TSK_EVENT_TIME_RAW, when);
	tsk__jptime t;
	/* an impossible date keeps its time_raw and gets no time */
	if (rc == TSK_OK && when && parse_when(when, &t))
		(void)tsk_event_set_local_time(ev, t.year, t.month, t.day, t.hour, t.minute, TSK_JST_OFFSET);
	if (rc == TSK_OK)
		rc = set_ev_text(ev, TSK_EVENT_CARRIER_STATUS, c->text[COL_STATUS]);
	if (rc == TSK_OK)
		rc = set_ev_text(ev, TSK_EVENT_DESCRIPTION, c->field[COL_DETAIL]);
	if (rc == TSK_OK)
		rc = set_ev_text(ev, TSK_EVENT_LOCATION, c->field[COL_OFFICE]);
	if (rc == TSK_OK)
		rc = set_ev_text(ev, TSK_EVENT_LOCATION_CODE, c->location_code);
	if (rc == TSK_OK)
		rc = set_ev_text(ev, TSK_EVENT_REGION, c->field[COL_REGION]);
	if (rc == TSK_OK)
		rc = set_ev_text(ev, TSK_EVENT_POSTAL_CODE, c->postal);
	if (rc != TSK_OK) {
		tsk_event_free(ev);
		return rc == TSK_ENOMEM ? oom(p) : tsk_error_set(p->err, TSK_EPARSE, "japanpost: bad event text");
	}
	if (c->text[COL_STATUS] && *c->text[COL_STATUS]) {
		tsk_status_mapping m;
		jp_map_status(p->self, c->text[COL_STATUS], &m);
		tsk_event_set_status(ev, m.status, m.exception, m.unmapped);
	}
	return tsk_shipment_append_event(s, ev) == TSK_OK ? TSK_OK : oom(p);
}

/* The office code the 2009 pages keep in a hidden input of the row. */
static char *row_shop_code(jp_parse *p, xmlNodePtr row)
{
	return tsk__node_attr(first_with(p->page, row, "input", "name", "shopCode"), "value");
}

/*
 * Walk rows of an event table. An event row has at least 4 cells; a row
 * of one cell right after it is its postal code (the second <tr> of each
 * event). Rows that carry a not-found message call on_not_found.
 * visit(p, ctx, row, cells, idx, ev) is called for each event.
 */
typedef int (*row_visit)(jp_parse *p, void *ctx, xmlNodePtr row, const nodes *cells,
                         jp_event_cells *ev);
typedef int (*row_not_found)(jp_parse *p, void *ctx, const nodes *cells);

static int walk_rows(jp_parse *p, const nodes *rows, const int idx[COL__COUNT], void *ctx,
                     row_visit visit, row_not_found on_not_found)
{
	int rc = TSK_OK;
	nodes cells = { 0 }, next = { 0 }; /* one row's cells, the next row's: kept for every row */
	for (size_t r = 0; r < rows->n && rc == TSK_OK; r++) {
		nodes_clear(&cells);
		collect(rows->v[r], "td", NULL, &cells);
		if (cells.failed) {
			rc = oom(p);
			break;
		}
		bool header = has_child(rows->v[r], "th");
		char *all = NULL;
		if (!header && cells.n < 4) {
			all = tsk__node_text_line(rows->v[r]);
			if (!all) {
				rc = oom(p);
				break;
			}
		}
		if (all && on_not_found && has_not_found_text(all)) {
			rc = on_not_found(p, ctx, &cells);
		} else if (all && *all) {
			/* neither an event, nor its postal code row, nor a message:
			 * a page is read whole or not at all */
			rc = tsk__layout_bad_row(p, NULL, r + 1, rows->v[r],
			                         "neither an event row of 4 cells or more nor its postal code row");
		} else if (!header && cells.n >= 4 && !visit) {
			rc = tsk__layout_bad_row(p, NULL, r + 1, rows->v[r], "an item row under headers this layout does not name");
		} else if (!header && cells.n >= 4) {
			jp_event_cells ev;
			xmlNodePtr event_row = rows->v[r];
			if (!read_event_cells(&cells, idx, &ev)) {
				event_cells_dispose(&ev);
				rc = oom(p);
			} else {
				/* the postal code row follows */
				if (r + 1 < rows->n) {
					nodes_clear(&next);
					collect(rows->v[r + 1], "td", NULL, &next);
					if (next.n == 1 && !has_child(rows->v[r + 1], "th")) {
						ev.postal = cell_text_for_event(next.v[0], &ev.postal_copy);
						if (!ev.postal)
							rc = oom(p);
						r++;
					}
				}
				if (rc == TSK_OK && visit)
					rc = visit(p, ctx, event_row, &cells, &ev);
				event_cells_dispose(&ev);
			}
		}
		free(all);
	}
	nodes_dispose(&cells);
	nodes_dispose(&next);
	return rc;
}

/* ---------------------------------------------------- today's layout (2019) */

/* Today's tables, by their summary attribute. */
typedef enum jp_table { JP_NOT_2019 = 0, JP_DETAIL, JP_HISTORY, JP_RESULTS } jp_table;

static jp_table table_kind(xmlNodePtr n)
{
	if (!is_el(n, "table"))
		return JP_NOT_2019;
	xmlChar *copy;
	const char *v = tsk__node_attr_ref(n, "summary", &copy);
	jp_table kind = !v                              ? JP_NOT_2019
	                : strcmp(v, "配達状況詳細") == 0 ? JP_DETAIL
	                : strcmp(v, "履歴情報") == 0     ? JP_HISTORY
	                : strcmp(v, "照会結果") == 0     ? JP_RESULTS
	                                                : JP_NOT_2019;
	xmlFree(copy);
	return kind;
}

/* XPath's contains(., needle) for an element: in its one text when it has
 * just that, alone or in single elements (<td><a>…</a></td>), else in all
 * its text joined. */
static bool text_contains(xmlNodePtr n, const char *needle)
{
	xmlNodePtr c = n->children;
	while (c && !c->next && c->type == XML_ELEMENT_NODE)
		c = c->children;
	if (!c)
		return false; /* no text at all */
	if (!c->next && c->type == XML_TEXT_NODE)
		return c->content && strstr((const char *)c->content, needle);
	xmlChar *all = xmlNodeGetContent(n);
	if (!all)
		tsk__html_oom();
	bool found = all && strstr((const char *)all, needle);
	xmlFree(all);
	return found;
}

/* What a page is to today's layout. */
typedef enum jp_2019 { JP_2019_NO, JP_2019_JA, JP_2019_EN } jp_2019;

/*
 * One walk of the page for today's layout. A page is of it when it has a
 * 配達状況詳細, 履歴情報 or 照会結果 table, and is the English page when a
 * header cell of those tables names "Shipping track record" or "Item
 * number", or a cell of a 照会結果 table says "Your item was not found".
 * With tables, the walk lists those tables in page order for the parser
 * and does not look at the language (JP_2019_JA); without, it stops at
 * the first English cell.
 */
static jp_2019 scan_2019(tsk__html *page, nodes *tables)
{
	bool found = false;
	int inside = 0, in_results = 0; /* how many of those tables are around n */
	xmlNodePtr n = page->doc->children;
	while (n) {
		jp_table kind = table_kind(n);
		if (kind) {
			found = true;
			if (tables)
				nodes_push(tables, n);
		}
		if (!tables && inside &&
		    ((is_el(n, "th") && (text_contains(n, "Shipping track record") || text_contains(n, "Item number"))) ||
		     (in_results && is_el(n, "td") && text_contains(n, "Your item was not found"))))
			return JP_2019_EN;
		if (n->type == XML_ELEMENT_NODE && n->children) {
			inside += kind != JP_NOT_2019;
			in_results += kind == JP_RESULTS;
			n = n->children;
			continue;
		}
		/* on to the next sibling, out of the elements ended on the way */
		while (n && !n->next) {
			n = n->parent;
			kind = table_kind(n);
			inside -= kind != JP_NOT_2019;
			in_results -= kind == JP_RESULTS;
		}
		n = n ? n->next : NULL;
	}
	return found ? JP_2019_JA : JP_2019_NO;
}

static bool recognise_2019(tsk__html *page)
{
	return scan_2019(page, NULL) == JP_2019_JA;
}

static bool recognise_2019_en(tsk__html *page)
{
	return scan_2019(page, NULL) == JP_2019_EN;
}

/* What the 配達状況詳細 table says about an item. */
typedef struct jp_detail {
	char *number;
	char *service;
	char *eta_date;
	char *eta_band;
} jp_detail;

static void detail_dispose(jp_detail *d)
{
	free(d->number);
	free(d->service);
	free(d->eta_date);
	free(d->eta_band);
	memset(d, 0, sizeof *d);
}

/* Store one label/value pair of the detail table; label is lowered (ASCII
 * case ignored). false on ENOMEM. */
static bool detail_pair(jp_detail *d, const char *label, const char *value)
{
	char **slot = NULL;
	if (!*value)
		return true;
	if (strstr(label, "時間帯") || strstr(label, "time"))
		slot = &d->eta_band;
	else if (strstr(label, "予定") || strstr(label, "scheduled") || strstr(label, "expected"))
		slot = &d->eta_date;
	else if (strstr(label, "番号") || strstr(label, "number"))
		slot = &d->number;
	else if (strstr(label, "種別") || strstr(label, "class") || strstr(label, "type"))
		slot = &d->service;
	if (!slot || *slot)
		return true;
	*slot = tsk__strdup(value);
	return *slot != NULL;
}

/*
 * Read 配達状況詳細: a header row of <th> with a data row of <td> under it
 * (お問い合わせ番号 | 商品種別 | オプションサービス…), or rows that pair a
 * <th> label with its <td> value. Returns false on ENOMEM.
 */
static bool read_detail(xmlNodePtr table, jp_detail *d)
{
	memset(d, 0, sizeof *d);
	nodes rows = { 0 };
	collect(table, "tr", NULL, &rows);
	bool ok = !rows.failed;
	char **labels = NULL;
	size_t nlabels = 0;
	for (size_t r = 0; r < rows.n && ok; r++) {
		nodes th = { 0 }, td = { 0 };
		collect(rows.v[r], "th", NULL, &th);
		collect(rows.v[r], "td", NULL, &td);
		ok = !th.failed && !td.failed;
		if (ok && th.n && !td.n && !labels) {
			labels = calloc(th.n, sizeof *labels);
			ok = labels != NULL;
			for (size_t i = 0; ok && i < th.n; i++) {
				labels[i] = lowered(cell_text(th.v[i]));
				ok = labels[i] != NULL;
			}
			nlabels = labels ? th.n : 0;
		} else if (ok && td.n) {
			/* label/value pairs in one row, else values under the header row */
			for (size_t i = 0; ok && i < td.n; i++) {
				char *label = i < th.n ? lowered(cell_text(th.v[i])) : NULL;
				const char *use = label ? label : (i < nlabels ? labels[i] : NULL);
				char *value = cell_text(td.v[i]);
				ok = value && (i >= th.n || label);
				if (ok && use)
					ok = detail_pair(d, use, value);
				free(label);
				free(value);
			}
		}
		nodes_dispose(&th);
		nodes_dispose(&td);
	}
	for (size_t i = 0; i < nlabels; i++)
		free(labels[i]);
	free(labels);
	nodes_dispose(&rows);
	return ok;
}

static int apply_detail(jp_parse *p, tsk_shipment *s, const jp_detail *d)
{
	int rc = TSK_OK;
	if (d->service)
		rc = tsk_shipment_set_text(s, TSK_SHIPMENT_SERVICE, d->service);
	if (rc == TSK_OK && (d->eta_date || d->eta_band)) {
		tsk__buf raw = TSK__BUF_INIT;
		tsk__buf_add(&raw, "", 0);
		if (d->eta_date)
			tsk__buf_puts(&raw, d->eta_date);
		if (d->eta_date && d->eta_band)
			tsk__buf_putc(&raw, ' ');
		if (d->eta_band)
			tsk__buf_puts(&raw, d->eta_band);
		char *text = tsk__buf_detach(&raw);
		if (!text)
			return oom(p);
		rc = tsk_shipment_set_text(s, TSK_SHIPMENT_ETA_RAW, text);
		/* "2024/06/14 14時～16時", "6月14日(金) 午前中": lib/jptime.h */
		tsk__jptime_window w;
		if (rc == TSK_OK && tsk__jptime_parse_window(&w, text))
			(void)tsk_shipment_set_eta_local(s, w.year, w.month, w.day, w.start_hour, w.start_minute,
			                                 w.end_hour, w.end_minute);
		free(text);
	}
	return rc == TSK_OK ? TSK_OK : oom(p);
}

static int visit_history_row(jp_parse *p, void *ctx, xmlNodePtr row, const nodes *cells,
                             jp_event_cells *ev)
{
	(void)cells;
	if (!ev->location_code)
		ev->location_code = row_shop_code(p, row);
	return add_event(p, ctx, ev);
}

/* Header row of an event table: the first row with <th>s. */
static xmlNodePtr first_header_row(const nodes *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		for (xmlNodePtr c = rows->v[i]->children; c; c = c->next)
			if (tsk__node_is(c, "th"))
				return rows->v[i];
	}
	return NULL;
}

/* The rows of a table (the caller disposes them, also on failure) and the
 * columns its first header row names; every column -1 without one. */
static int table_rows(jp_parse *p, xmlNodePtr table, nodes *rows, int idx[COL__COUNT])
{
	/* today's tables hold rows only: any other element where a row should
	 * be is a row this layout cannot read */
	xmlNodePtr stray = tsk__layout_stray_in_table(table);
	if (stray)
		return tsk__layout_bad_row(p, NULL, 0, stray, "not a table row");
	collect(table, "tr", NULL, rows);
	bool failed = rows->failed;
	/* map_header of no row leaves every column -1 */
	map_header(failed ? NULL : first_header_row(rows), idx, &failed);
	return failed ? oom(p) : TSK_OK;
}

/* Events of a 履歴情報 table into s. Headers must name at least the date
 * and the status column: the cells are not guessed by position. */
static int read_history(jp_parse *p, xmlNodePtr table, tsk_shipment *s)
{
	nodes rows = { 0 };
	int idx[COL__COUNT];
	int rc = table_rows(p, table, &rows, idx);
	if (rc == TSK_OK && (idx[COL_DATE] < 0 || idx[COL_STATUS] < 0))
		rc = tsk_error_set(p->err, TSK_ELAYOUT,
		                   "japanpost: the 履歴情報 history table has no date/status headers");
	if (rc == TSK_OK)
		rc = walk_rows(p, &rows, idx, s, visit_history_row, NULL);
	nodes_dispose(&rows);
	return rc;
}

/* A 照会結果 row: the latest state of one number. */
typedef struct jp_result_ctx {
	char *not_found_message; /* a message row without a number */
} jp_result_ctx;

static int visit_result_row(jp_parse *p, void *vctx, xmlNodePtr row, const nodes *cells,
                            jp_event_cells *ev)
{
	(void)vctx;
	(void)cells;
	char *number = display_number(ev->text[COL_NUMBER]);
	if (!number) {
		/* a row without a number is nothing we can attribute */
		return tsk_error_set(p->err, TSK_ELAYOUT, "japanpost: a 照会結果 row shows no item number");
	}
	int rc = TSK_OK;
	if (!answered(p, number)) {
		tsk_shipment *s;
		rc = new_shipment(p, number, &s);
		if (rc == TSK_OK && ev->text[COL_SERVICE] && *ev->text[COL_SERVICE] &&
		    tsk_shipment_set_text(s, TSK_SHIPMENT_SERVICE, ev->text[COL_SERVICE]) != TSK_OK)
			rc = oom(p);
		if (rc == TSK_OK) {
			free(ev->location_code);
			ev->location_code = row_shop_code(p, row);
			rc = add_event(p, s, ev);
		}
		if (rc == TSK_OK) {
			rc = append(p, s);
		} else if (s) {
			tsk_shipment_free(s);
		}
	}
	free(number);
	return rc;
}

static int result_not_found(jp_parse *p, void *vctx, const nodes *cells)
{
	jp_result_ctx *ctx = vctx;
	char *first = cells->n ? cell_text(cells->v[0]) : NULL;
	char *msg = cells->n ? cell_text(cells->v[cells->n - 1]) : NULL;
	char *number = cells->n > 1 && first ? display_number(first) : NULL;
	int rc = TSK_OK;
	if (cells->n && (!first || !msg))
		rc = oom(p);
	else if (number)
		rc = add_not_found(p, number, msg);
	else if (!ctx->not_found_message && msg) {
		/* the message alone: it answers for the numbers asked (see below) */
		ctx->not_found_message = tsk__strdup(msg);
		if (!ctx->not_found_message)
			rc = oom(p);
	}
	free(first);
	free(msg);
	free(number);
	return rc;
}

/* The 照会結果 table: one row pair per number, or the not-found message. */
static int read_results(jp_parse *p, xmlNodePtr table, char **orphan_message)
{
	nodes rows = { 0 };
	int idx[COL__COUNT];
	int rc = table_rows(p, table, &rows, idx);
	if (rc == TSK_OK && (idx[COL_NUMBER] < 0 || idx[COL_STATUS] < 0)) {
		/* a result table with only the message has no headers to read */
		static const int fallback[COL__COUNT] = { -1, -1, -1, -1, -1, -1, -1 };
		memcpy(idx, fallback, sizeof idx);
	}
	jp_result_ctx ctx = { NULL };
	if (rc == TSK_OK)
		rc = walk_rows(p, &rows, idx, &ctx,
		               idx[COL_NUMBER] >= 0 && idx[COL_STATUS] >= 0 ? visit_result_row : NULL,
		               result_not_found);
	nodes_dispose(&rows);
	if (rc == TSK_OK && ctx.not_found_message && !*orphan_message)
		*orphan_message = ctx.not_found_message;
	else
		free(ctx.not_found_message);
	return rc;
}

static int parse_2019(jp_parse *p)
{
	/* the page's tables in page order: an item's 配達状況詳細 comes before
	 * its 履歴情報 */
	nodes tables = { 0 };
	scan_2019(p->page, &tables);
	int rc = tables.failed ? oom(p) : TSK_OK;
	bool *used = calloc(tables.n ? tables.n : 1, sizeof *used);
	if (!used && rc == TSK_OK)
		rc = oom(p);

	/* each 配達状況詳細 with the 履歴情報 that follows it, before the next item */
	for (size_t i = 0; i < tables.n && rc == TSK_OK; i++) {
		if (table_kind(tables.v[i]) != JP_DETAIL)
			continue;
		jp_detail d;
		if (!read_detail(tables.v[i], &d)) {
			detail_dispose(&d);
			rc = oom(p);
			break;
		}
		const char *number = d.number ? d.number : single_asked(p);
		char *norm = number ? display_number(number) : NULL;
		if (!norm) {
			detail_dispose(&d);
			rc = tsk_error_set(p->err, TSK_ELAYOUT,
			                   "japanpost: the 配達状況詳細 table shows no item number");
			break;
		}
		xmlNodePtr hist = NULL;
		for (size_t h = i + 1; h < tables.n && !hist; h++) {
			jp_table kind = table_kind(tables.v[h]);
			if (kind == JP_DETAIL)
				break;
			if (kind == JP_HISTORY) {
				hist = tables.v[h];
				used[h] = true;
			}
		}
		tsk_shipment *s = NULL;
		if (!answered(p, norm)) {
			rc = new_shipment(p, norm, &s);
			if (rc == TSK_OK)
				rc = apply_detail(p, s, &d);
			if (rc == TSK_OK && hist)
				rc = read_history(p, hist, s);
			if (rc == TSK_OK) {
				rc = append(p, s);
			} else {
				tsk_shipment_free(s);
			}
		}
		free(norm);
		detail_dispose(&d);
	}

	/* a history with no detail table above it: only when one number was asked */
	for (size_t h = 0; h < tables.n && rc == TSK_OK; h++) {
		if (used[h] || table_kind(tables.v[h]) != JP_HISTORY)
			continue;
		const char *number = single_asked(p);
		if (!number || answered(p, number)) {
			rc = tsk_error_set(p->err, TSK_ELAYOUT,
			                   "japanpost: a 履歴情報 history table without its item number");
			break;
		}
		tsk_shipment *s;
		rc = new_shipment(p, number, &s);
		if (rc == TSK_OK)
			rc = read_history(p, tables.v[h], s);
		if (rc == TSK_OK)
			rc = append(p, s);
		else
			tsk_shipment_free(s);
	}

	/* 照会結果: the latest state of numbers whose history is not shown,
	 * and the not-found messages */
	char *orphan = NULL;
	for (size_t r = 0; r < tables.n && rc == TSK_OK; r++)
		if (table_kind(tables.v[r]) == JP_RESULTS)
			rc = read_results(p, tables.v[r], &orphan);
	if (rc == TSK_OK && orphan) {
		/* "not found" printed without the number: it answers the numbers
		 * asked that the page does not otherwise mention */
		size_t added = 0;
		for (size_t i = 0; i < p->resp->count && rc == TSK_OK; i++)
			if (p->resp->numbers && p->resp->numbers[i] && !answered(p, p->resp->numbers[i])) {
				rc = add_not_found(p, p->resp->numbers[i], orphan);
				added++;
			}
		if (rc == TSK_OK && !added && tsk_shipment_list_count(p->out) == p->first)
			rc = tsk_error_set(p->err, TSK_EPARSE,
			                   "japanpost: the page says \"%s\" but names no number, and none was asked",
			                   orphan);
	}
	free(orphan);
	if (rc == TSK_OK && tsk_shipment_list_count(p->out) == p->first)
		rc = tsk_error_set(p->err, TSK_ELAYOUT, "japanpost: the %s page holds no item", p->layout);

	free(used);
	nodes_dispose(&tables);
	return rc;
}

/* ------------------------------------------------------ the 2009 layouts */

/* What the 2009 layouts are told by: the header row of the result table
 * (tr.search_result) and the message (font.message_font), the first of
 * each, found in one walk of the page; and whether the page has today's
 * tables, which no 2009 page has (the walk stops there). */
typedef struct jp_2009 {
	xmlNodePtr header, message;
	bool has_2019;
} jp_2009;

static jp_2009 scan_2009(tsk__html *page)
{
	jp_2009 f = { NULL, NULL, false };
	for (xmlNodePtr n = page->doc->children; n && !f.has_2019; n = next_node(n, NULL, false)) {
		if (table_kind(n))
			f.has_2019 = true;
		else if (!f.header && is_el(n, "tr") && attr_is(n, "class", "search_result"))
			f.header = n;
		else if (!f.message && is_el(n, "font") && attr_is(n, "class", "message_font"))
			f.message = n;
	}
	return f;
}

/* Does the first header cell name the number column (the list page)? */
static bool header_2009_is_list(xmlNodePtr hdr)
{
	nodes cells = { 0 };
	collect(hdr, "th", "td", &cells);
	char *t = cells.n ? cell_text(cells.v[0]) : NULL;
	bool list = t && strstr(t, "番号");
	free(t);
	nodes_dispose(&cells);
	return list;
}

static bool recognise_2009_detail(tsk__html *page)
{
	jp_2009 f = scan_2009(page);
	if (f.has_2019)
		return false;
	if (f.header)
		return !header_2009_is_list(f.header);
	/* no table: the 2009 frame with a not-found message */
	char *msg = f.message ? cell_text(f.message) : NULL;
	bool nf = has_not_found_text(msg);
	free(msg);
	return nf;
}

static bool recognise_2009_list(tsk__html *page)
{
	jp_2009 f = scan_2009(page);
	return !f.has_2019 && f.header && header_2009_is_list(f.header);
}

/* The rows of the 2009 result table: every row of the table holding the
 * header (tr.search_result), so that a row whose class changed is read or
 * refused (walk_rows), never passed over. */
static void rows_2009(jp_parse *p, xmlNodePtr hdr, nodes *rows)
{
	xmlNodePtr table = hdr ? hdr->parent : NULL;
	while (table && !is_el(table, "table"))
		table = table->parent;
	if (table) {
		collect(table, "tr", NULL, rows);
		return;
	}
	for (xmlNodePtr n = p->page->doc->children; n; n = next_node(n, NULL, false))
		if (is_el(n, "tr") && attr_is(n, "class", "number_search_data"))
			nodes_push(rows, n);
}

static int header_2009_map(jp_parse *p, xmlNodePtr hdr, int idx[COL__COUNT])
{
	bool failed = false;
	map_header(hdr, idx, &failed);
	if (failed)
		return oom(p);
	if (idx[COL_DATE] < 0 || idx[COL_STATUS] < 0)
		return tsk_error_set(p->err, TSK_ELAYOUT,
		                     "japanpost: the 2009 result table has no date/status headers");
	return TSK_OK;
}

/* "検索した番号は317409136693\n(ゆうパック)です": number and service. */
static bool split_message_2009(const char *msg, char **number, char **service)
{
	*number = *service = NULL;
	const char *at = msg ? strstr(msg, "番号は") : NULL;
	if (at) {
		*number = display_number(at + strlen("番号は"));
		const char *open = strstr(at, "(");
		const char *wide = strstr(at, "（");
		size_t skip = 1;
		if (wide && (!open || wide < open)) {
			open = wide;
			skip = strlen("（");
		}
		if (open) {
			open += skip;
			const char *close = strstr(open, ")");
			const char *wclose = strstr(open, "）");
			if (wclose && (!close || wclose < close))
				close = wclose;
			if (close && close > open) {
				char *raw = tsk__strndup(open, (size_t)(close - open));
				*service = raw ? tsk__html_clean(raw) : NULL;
				free(raw);
				if (!*service) {
					free(*number);
					*number = NULL;
					return false;
				}
			}
		}
	}
	return true;
}

static int parse_2009_detail(jp_parse *p)
{
	p->has_year_hint = page_time(p->page, &p->year_hint);
	p->year_hint_kind = TSK_YEAR_HINT_NOT_AFTER;
	jp_2009 f = scan_2009(p->page);
	char *msg = f.message ? cell_text(f.message) : NULL;
	if (f.message && !msg)
		return oom(p);
	char *number = NULL, *service = NULL;
	if (!split_message_2009(msg, &number, &service)) {
		free(msg);
		return oom(p);
	}
	int rc = TSK_OK;
	const char *num = number ? number : single_asked(p);
	nodes rows = { 0 };
	if (has_not_found_text(msg)) {
		if (!num)
			rc = tsk_error_set(p->err, TSK_EPARSE,
			                   "japanpost: the page says \"%s\" but names no number, and none was asked",
			                   msg);
		else
			rc = add_not_found(p, num, msg);
		goto done;
	}
	if (!num) {
		rc = tsk_error_set(p->err, TSK_ELAYOUT, "japanpost: the %s page shows no item number", p->layout);
		goto done;
	}
	int idx[COL__COUNT];
	rc = header_2009_map(p, f.header, idx);
	if (rc != TSK_OK)
		goto done;
	rows_2009(p, f.header, &rows);
	if (rows.failed) {
		rc = oom(p);
		goto done;
	}
	tsk_shipment *s;
	rc = new_shipment(p, num, &s);
	if (rc != TSK_OK)
		goto done;
	if (service && tsk_shipment_set_text(s, TSK_SHIPMENT_SERVICE, service) != TSK_OK)
		rc = oom(p);
	if (rc == TSK_OK)
		rc = walk_rows(p, &rows, idx, s, visit_history_row, NULL);
	if (rc == TSK_OK)
		rc = append(p, s);
	else
		tsk_shipment_free(s);
done:
	nodes_dispose(&rows);
	free(msg);
	free(number);
	free(service);
	return rc;
}

static int visit_list_row_2009(jp_parse *p, void *ctx, xmlNodePtr row, const nodes *cells,
                               jp_event_cells *ev)
{
	(void)ctx;
	(void)cells;
	if (!ev->text[COL_NUMBER] || !*ev->text[COL_NUMBER]) {
		/* the number lives in the row's 詳細 form as well */
		free(ev->text[COL_NUMBER]);
		ev->text[COL_NUMBER] = tsk__node_attr(first_with(p->page, row, "input", "name", "reqCode"), "value");
	}
	if (has_not_found_text(ev->text[COL_STATUS])) {
		char *number = display_number(ev->text[COL_NUMBER]);
		int rc = number ? add_not_found(p, number, ev->text[COL_STATUS])
		                : tsk_error_set(p->err, TSK_ELAYOUT, "japanpost: a %s row shows no number", p->layout);
		free(number);
		return rc;
	}
	return visit_result_row(p, NULL, row, cells, ev);
}

static int parse_2009_list(jp_parse *p)
{
	p->has_year_hint = page_time(p->page, &p->year_hint);
	p->year_hint_kind = TSK_YEAR_HINT_NOT_AFTER;
	jp_2009 f = scan_2009(p->page);
	int idx[COL__COUNT];
	int rc = header_2009_map(p, f.header, idx);
	if (rc == TSK_OK && idx[COL_NUMBER] < 0)
		rc = tsk_error_set(p->err, TSK_ELAYOUT, "japanpost: the %s list has no number column", p->layout);
	if (rc != TSK_OK)
		return rc;
	nodes rows = { 0 };
	rows_2009(p, f.header, &rows);
	rc = rows.failed ? oom(p) : walk_rows(p, &rows, idx, NULL, visit_list_row_2009, NULL);
	nodes_dispose(&rows);
	if (rc == TSK_OK && tsk_shipment_list_count(p->out) == p->first)
		rc = tsk_error_set(p->err, TSK_ELAYOUT, "japanpost: the %s page holds no item", p->layout);
	return rc;
}

/* ---------------------------------------------------------------- layouts */

/* Newest first; the recognisers exclude one another. */
static const tsk__layout jp_layouts[] = {
	{ "japanpost-2019", recognise_2019, parse_2019 },
	{ "japanpost-2019-en", recognise_2019_en, parse_2019 },
	{ "japanpost-2009-detail", recognise_2009_detail, parse_2009_detail },
	{ "japanpost-2009-list", recognise_2009_list, parse_2009_list },
};

static int jp_parse_response(const tsk_adapter *self, const tsk_response *resp,
                             const tsk_parse_env *env, tsk_shipment_list *out, tsk_error *err)
{
	/* years come from the page, never from the clock */
	return tsk__layout_parse(self, jp_layouts, TSK__ARRAY_LEN(jp_layouts), resp, env, out, err);
}

/* ----------------------------------------------------- delivery tables */

/* transit days, stall thresholds and the holding period: transit.def,
 * stall.def, pickup.def beside this file, with their sources */
static const tsk_transit_row jp_transit[] = {
#include "transit.def"
};
static const tsk_stall_row jp_stall[] = {
#include "stall.def"
};
static const tsk_pickup_rule jp_pickup[] = {
#include "pickup.def"
};
static const tsk_carrier_tables jp_tables = {
	TSK_CARRIER_TABLES_VERSION, jp_transit, TSK__ARRAY_LEN(jp_transit),
	jp_stall, TSK__ARRAY_LEN(jp_stall), jp_pickup,
};

/* The service a number implies when the page names none, for the transit
 * rows' keywords: an 11-digit 引受番号 starting 5 or 6 is 特定記録, any
 * other 書留; an S10 number starting E is EMS, any other 国際 (README.md,
 * Numbers). */
static const char *jp_service_hint(const tsk_adapter *self, const char *number)
{
	(void)self;
	size_t len = strlen(number);
	if (len == 11 && number[0] >= '0' && number[0] <= '9')
		return number[0] == '5' || number[0] == '6' ? "特定記録" : "書留";
	bool letters = true;
	for (int i = 0; i < 2 && len == 13; i++)
		letters = letters && ((number[i] >= 'A' && number[i] <= 'Z') || (number[i] >= 'a' && number[i] <= 'z'));
	if (len == 13 && letters)
		return number[0] == 'E' ? "EMS" : "国際";
	return NULL;
}

const tsk_adapter tsk__adapter_japanpost = {
	.version = TSK_ADAPTER_VERSION,
	.name = JP_NAME,
	.display_name = "Japan Post (日本郵便)",
	.flags = TSK_ADAPTER_HTML | TSK_ADAPTER_BATCH | TSK_ADAPTER_S10,
	.max_batch = JP_MAX_BATCH,
	.default_endpoint = "https://trackings.post.japanpost.jp/services/srv/search/direct",
	.recognize = jp_recognize,
	.build_requests = jp_build_requests,
	.parse = jp_parse_response,
	.map_status = jp_map_status,
	.destroy = NULL,
	.userdata = NULL,
	.tables = &jp_tables,
	.service_hint = jp_service_hint,
	.customer_name_ja = "日本郵便",
	.customer_name_en = "Japan Post",
};
