/*
 * Yamato Transport (ヤマト運輸) adapter.
 *
 * Invariants:
 * - Numbers are 12 digits whose last digit is the first eleven mod 7
 *   (README.md, Numbers); the adapter claims them with 0.34, a hair above the
 *   other carriers that share the format, because Yamato is the most common.
 * - One POST to the tneko CGI asks for up to ten numbers (README.md, Requests).
 * - The parser is a table of page layouts, each a recogniser and a parser,
 *   run by the shared driver (lib/layout.h): the first layout that
 *   recognises the page parses it; a page nobody recognises is TSK_ELAYOUT,
 *   never not_found and never a guess. Bytes that are not HTML are
 *   TSK_EPARSE (lib/html.c decides).
 * - Everything is read from the DOM. Both layouts repeat the data inside
 *   <script> strings (the print pop-up); libxml2 keeps script bodies as
 *   text, so element XPaths cannot match inside them and the text helpers
 *   skip them.
 * - Events keep the page order (oldest first on both layouts), with the
 *   year left at 0 for the core to infer (the page shows none; the 2009
 *   inquiry time lives only inside JavaScript and is not used).
 * - A page that was cut short never yields a silently shorter history: the
 *   structural end markers of each layout are checked, and a missing one
 *   is TSK_EPARSE naming the truncation.
 */
#include "carrier_tables.h"
#include "carriers.h"
#include "html.h"
#include "jptime.h"
#include "layout.h"
#include "numbers.h"
#include "statusmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define YAMATO_MAX_BATCH 10
#define YAMATO_ENDPOINT "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko"

/* ------------------------------------------------------------ status words */

static const tsk__status_word yamato_words[] = {
#include "status.def"
};

static const tsk__status_table yamato_status = TSK__STATUS_TABLE(yamato_words, false);

static void yamato_map_status(const tsk_adapter *self, const char *word, tsk_status_mapping *out)
{
	(void)self;
	(void)tsk__status_map(&yamato_status, word, out, NULL); /* no templates: cannot run out of memory */
}

/* ------------------------------------------------------------------ numbers */

static int yamato_recognize(const tsk_adapter *self, const char *number, double *confidence_out,
                            tsk_error *err)
{
	(void)self;
	*confidence_out = 0;
	if (!number || strlen(number) != 12 || !tsk__all_digits(number))
		return TSK_OK; /* not our format: someone else's, or nobody's */
	int expected = 0;
	if (!tsk__mod7_valid(number, &expected))
		return tsk_error_set(err, TSK_EINVALID_NUMBER,
		                     "check digit of %s should be %d, not %c (mod 7 of the first 11 digits)",
		                     number, expected, number[11]);
	*confidence_out = 0.34;
	return TSK_OK;
}

/* ----------------------------------------------------------------- requests */

static int yamato_build_requests(const tsk_adapter *self, const tsk_request_env *env,
                                 const char *const *numbers, size_t count, tsk_request_list *out,
                                 tsk_error *err)
{
	const char *url = env && env->endpoint ? env->endpoint : self->default_endpoint;
	/* count <= max_batch by contract; chunk anyway so a caller's slip
	 * cannot build a form the CGI silently truncates */
	for (size_t first = 0; first < count; first += YAMATO_MAX_BATCH) {
		size_t n = count - first < YAMATO_MAX_BATCH ? count - first : YAMATO_MAX_BATCH;
		tsk__buf body = TSK__BUF_INIT;
		/* number00=1: "詳細情報あり", the history of every number */
		tsk__buf_puts(&body, "number00=1");
		for (size_t k = 0; k < n; k++) {
			char *enc = NULL;
			int rc = tsk_url_encode(&enc, numbers[first + k], strlen(numbers[first + k]));
			if (rc != TSK_OK) {
				tsk__buf_dispose(&body);
				return tsk_error_set(err, rc, "yamato: cannot encode number %s", numbers[first + k]);
			}
			tsk__buf_printf(&body, "&number%02zu=%s", k + 1, enc);
			tsk_free(enc);
		}
		if (body.failed) {
			tsk__buf_dispose(&body);
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		}
		tsk_request *r = NULL;
		int rc = tsk_request_list_add(out, "POST", url, "application/x-www-form-urlencoded",
		                              body.data, body.len, numbers + first, n, &r);
		tsk__buf_dispose(&body);
		if (rc == TSK_OK)
			rc = tsk_request_add_header(r, "Accept-Language", "ja");
		if (rc != TSK_OK)
			return tsk_error_set(err, rc, "yamato: cannot build the request");
	}
	return TSK_OK;
}

/* ------------------------------------------------------------- text helpers */

/* The ASCII digits of a text after width folding ("２４９７-…" too). */
static char *digits_of(const char *text)
{
	char *f = tsk__html_fold(text ? text : "", true);
	if (!f)
		return NULL;
	char *w = f;
	for (const char *p = f; *p; p++)
		if (*p >= '0' && *p <= '9')
			*w++ = *p;
	*w = '\0';
	return f;
}

/* Is the text empty or a lone dash (the 2009 page writes "-" for "none")? */
static bool blank(const char *t)
{
	if (!t)
		return true;
	char *f = tsk__html_fold(t, true);
	bool b = !f || !*f || strcmp(f, "-") == 0 || strcmp(f, "ー") == 0;
	free(f);
	return b;
}

/* Is window a later than (or the same day as) b? Years may be 0: a month
 * gap of more than half a year is a year boundary. */
static bool window_not_before(const tsk__jptime_window *a, const tsk__jptime_window *b)
{
	if (a->year && b->year && a->year != b->year)
		return a->year > b->year;
	int ka = a->month * 31 + a->day, kb = b->month * 31 + b->day;
	int diff = ka - kb;
	if (!(a->year && b->year)) {
		if (diff > 6 * 31)
			diff -= 12 * 31;
		else if (diff < -6 * 31)
			diff += 12 * 31;
	}
	return diff >= 0;
}

/* ------------------------------------------------------ building shipments */

/* A tneko answer holds at most ten numbers; far more is not one, and the
 * duplicate check below is quadratic. */
#define YAMATO_MAX_NUMBERS_PER_PAGE 1000

static bool already_listed(const tsk__layout_page *ps, const char *number)
{
	for (size_t i = ps->first; i < tsk_shipment_list_count(ps->out); i++)
		if (strcmp(tsk_shipment_tracking_number(tsk_shipment_list_at(ps->out, i)), number) == 0)
			return true;
	return false;
}

static int oom(tsk__layout_page *ps)
{
	return tsk_error_set(ps->err, TSK_ENOMEM, "out of memory");
}

/* One event; date_text/time_text as printed (either may be empty). */
static int add_event(tsk_shipment *s, const char *word, const char *date_text, const char *time_text,
                     const char *place, const char *code)
{
	tsk_event *ev = NULL;
	int rc = tsk_event_new(&ev);
	if (rc != TSK_OK)
		return rc;
	tsk__buf raw = TSK__BUF_INIT;
	tsk__buf_add(&raw, "", 0);
	/* time_raw: the date cell, then the time cell; nothing without a date */
	if (!blank(date_text)) {
		tsk__buf_puts(&raw, date_text);
		if (!blank(time_text)) {
			tsk__buf_putc(&raw, ' ');
			tsk__buf_puts(&raw, time_text);
		}
	}
	if (raw.failed) {
		tsk__buf_dispose(&raw);
		tsk_event_free(ev);
		return TSK_ENOMEM;
	}
	rc = tsk_event_set_text(ev, TSK_EVENT_TIME_RAW, raw.len ? raw.data : NULL);
	tsk__buf_dispose(&raw);
	if (rc == TSK_OK)
		rc = tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, word);
	/* office names use ideographic spaces ("広島主管支店　サービスセンター"):
	 * one ASCII space, so the same office compares equal across fetches */
	char *loc = tsk__html_collapse(place ? place : "");
	char *lcode = tsk__html_collapse(code ? code : "");
	if (rc == TSK_OK && (!loc || !lcode))
		rc = TSK_ENOMEM;
	if (rc == TSK_OK)
		rc = tsk_event_set_text(ev, TSK_EVENT_LOCATION, blank(loc) ? NULL : loc);
	if (rc == TSK_OK)
		rc = tsk_event_set_text(ev, TSK_EVENT_LOCATION_CODE, blank(lcode) ? NULL : lcode);
	free(loc);
	free(lcode);
	if (rc != TSK_OK) {
		tsk_event_free(ev);
		return rc;
	}
	/* the date text may hold the time too, as the 2019 ".date" does */
	tsk__jptime t;
	if (!blank(date_text) && tsk__jptime_parse_stamp(&t, date_text, time_text, 0))
		/* an impossible date (02/30) stays without a time: no guess */
		(void)tsk_event_set_local_time(ev, t.year, t.month, t.day, t.hour, t.minute, TSK_JST_OFFSET);
	tsk_status_mapping m;
	yamato_map_status(NULL, word, &m);
	tsk_event_set_status(ev, m.status, m.exception, m.unmapped);
	return tsk_shipment_append_event(s, ev);
}

/* The current-state word of the page (2019 state title, 2009 配達状況). */
static int apply_state(tsk_shipment *s, const char *word, const char *detail)
{
	if (blank(word))
		return TSK_OK;
	int rc = tsk_shipment_set_text(s, TSK_SHIPMENT_STATUS_TEXT, word);
	if (rc != TSK_OK)
		return rc;
	tsk_status_mapping m;
	yamato_map_status(NULL, word, &m);
	if (m.status == TSK_STATUS_NOT_FOUND) {
		char msg[600];
		char *f = tsk__html_fold(word, true);
		bool invalid = f && strstr(f, "誤り");
		free(f);
		/* one shape for every adapter: <carrier>: <what> (<the carrier's own words>) */
		snprintf(msg, sizeof msg, "yamato: %s (%s%s%s)",
		         invalid ? "not a valid number" : "number not registered", word,
		         detail && *detail ? ": " : "", detail && *detail ? detail : "");
		/* 伝票番号誤り: Yamato says the number is wrong, not that it is unknown */
		return tsk_shipment_set_error(s, invalid ? TSK_EINVALID_NUMBER : TSK_ENOTFOUND, msg);
	}
	/* an unknown word does not override the events: the last known event
	 * then gives the status, and the event raises unmapped_status */
	if (m.status != TSK_STATUS_UNKNOWN)
		tsk_shipment_set_state(s, m.status, m.exception);
	return TSK_OK;
}

/* 商品名 and the stated delivery windows. */
static int apply_service_and_eta(tsk_shipment *s, const char *service, const char *planned,
                                 const char *requested)
{
	int rc = TSK_OK;
	if (!blank(service)) {
		rc = tsk_shipment_set_text(s, TSK_SHIPMENT_SERVICE, service);
		/* クロネコゆうパケット: Yamato hands it to Japan Post for delivery,
		 * under the same number */
		if (rc == TSK_OK && tsk__contains(service, "ゆうパケット"))
			rc = tsk_shipment_set_handoff(s, "japanpost", tsk_shipment_tracking_number(s));
		if (rc != TSK_OK)
			return rc;
	}
	/*
	 * お届け予定日時 is the carrier's plan. お届け希望日時 is the date and
	 * band the recipient or sender asked for, and Yamato schedules the
	 * delivery to it (配達日・時間帯指定, also after a redelivery request):
	 * when it is dated and not earlier than the plan it is the better
	 * window, so it is used; an earlier request than the plan is a wish
	 * the carrier could not meet and the plan stays.
	 */
	tsk__jptime_window wp, wr;
	bool has_p = !blank(planned) && tsk__jptime_parse_window(&wp, planned);
	bool has_r = !blank(requested) && tsk__jptime_parse_window(&wr, requested);
	const tsk__jptime_window *use = has_p ? &wp : NULL;
	const char *raw = !blank(planned) ? planned : (!blank(requested) ? requested : NULL);
	if (has_r && (!has_p || window_not_before(&wr, &wp))) {
		use = &wr;
		raw = requested;
	} else if (has_p) {
		raw = planned;
	}
	if (raw)
		rc = tsk_shipment_set_text(s, TSK_SHIPMENT_ETA_RAW, raw);
	if (rc == TSK_OK && use)
		rc = tsk_shipment_set_eta_local(s, use->year, use->month, use->day, use->start_hour,
		                                use->start_minute, use->end_hour, use->end_minute);
	return rc == TSK_EINVAL ? TSK_OK : rc; /* a window the core refuses is left out */
}

static int new_shipment(tsk__layout_page *ps, const char *number, tsk_shipment **out)
{
	*out = NULL;
	if (tsk_shipment_list_count(ps->out) - ps->first >= YAMATO_MAX_NUMBERS_PER_PAGE)
		return tsk_error_set(ps->err, TSK_EPARSE, "yamato: page lists more than %d numbers",
		                     YAMATO_MAX_NUMBERS_PER_PAGE);
	int rc = tsk_shipment_new(out, ps->self->name, number);
	if (rc != TSK_OK) {
		tsk_shipment_free(*out);
		*out = NULL;
		return oom(ps);
	}
	return TSK_OK;
}

static int finish_shipment(tsk__layout_page *ps, tsk_shipment *s, int rc)
{
	if (rc == TSK_ELAYOUT) { /* a row it cannot read: err says which */
		tsk_shipment_free(s);
		return rc;
	}
	if (rc != TSK_OK) {
		tsk_shipment_free(s);
		return rc == TSK_ENOMEM ? oom(ps) : tsk_error_set(ps->err, rc, "yamato: cannot build shipment");
	}
	rc = tsk_shipment_list_append(ps->out, s);
	return rc == TSK_OK ? TSK_OK : oom(ps);
}

/* Text of the first node matching expr under node, "" when none. */
static char *text_at(tsk__html *page, xmlNodePtr node, const char *expr)
{
	return tsk__node_text_line(tsk__html_first(page, node, expr));
}

/* ------------------------------ layout "yamato-2019" (README.md, Layouts) */

#define CLS(c) "contains(concat(' ', normalize-space(@class), ' '), ' " c " ')"

static bool recognise_2019(tsk__html *page)
{
	return tsk__html_first(page, NULL, "//div[" CLS("parts-tracking-invoice-block") "]") != NULL;
}

/* "1件目：6230-2386-6161" -> "623023866161" */
static char *number_from_title(const char *title)
{
	char *f = tsk__html_fold(title ? title : "", true);
	if (!f)
		return NULL;
	const char *p = strrchr(f, ':');
	if (!p)
		p = strstr(f, "件目");
	char *d = digits_of(p ? p : f);
	free(f);
	return d;
}

/*
 * Office codes on today's page (README.md, Layouts, yamato-2019). The
 * visible blocks are the source of events; the codes come from where the
 * page gives them: an office name linked to its office page
 * (Sngp?…&JC=<code>), else the print table of the block's PRINT_n()
 * function in <head> (荷物状況 | 日 付 | 時 刻 | 担当店名 | 担当店コード, the
 * number printed above it), used only when it lists the same words in the
 * same order as the visible history: never a guess.
 */
struct print_row {
	char *word;
	char *code;
};
struct print_table {
	char *number;
	struct print_row *rows;
	size_t n;
};
struct print_tables {
	struct print_table *v;
	size_t n, cap;
};

static void print_tables_dispose(struct print_tables *pt)
{
	for (size_t i = 0; i < pt->n; i++) {
		for (size_t r = 0; r < pt->v[i].n; r++) {
			free(pt->v[i].rows[r].word);
			free(pt->v[i].rows[r].code);
		}
		free(pt->v[i].rows);
		free(pt->v[i].number);
	}
	free(pt->v);
	memset(pt, 0, sizeof *pt);
}

/* The digits after "JC=" in an office link, or NULL (caller frees). */
static char *jc_code(const char *href)
{
	const char *p = href ? strstr(href, "JC=") : NULL;
	if (!p)
		return NULL;
	p += 3;
	size_t n = 0;
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	return n ? tsk__strndup(p, n) : NULL;
}

/* The strings of the writeln('…') calls of one function's text, one line
 * each (JavaScript escapes undone). NULL on ENOMEM. */
static char *writeln_strings(const char *p)
{
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_add(&b, "", 0);
	while ((p = strstr(p, "writeln("))) {
		p += strlen("writeln(");
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\'' && *p != '"')
			continue;
		char q = *p++;
		while (*p && *p != q) {
			/* the plain run up to the quote or an escape, at once */
			const char *e = p;
			while (*e && *e != q && *e != '\\')
				e++;
			tsk__buf_add(&b, p, (size_t)(e - p));
			p = e;
			if (*p == '\\' && p[1]) {
				p++;
				tsk__buf_putc(&b, *p == 'n' ? '\n' : *p == 't' ? '\t' : *p);
				p++;
			} else if (*p == '\\') {
				tsk__buf_putc(&b, *p++);
			}
		}
		tsk__buf_putc(&b, '\n');
	}
	return tsk__buf_detach(&b);
}

/* What a print table's header cell names: the status word's column
 * (1), the office code's (2), another (0); -1 on ENOMEM. Both readings
 * below judge the header by this. */
static int print_header(const char *text)
{
	char *f = tsk__html_fold(text, true);
	int col = !f ? -1 : strcmp(f, "荷物状況") == 0 ? 1 : strcmp(f, "担当店コード") == 0 ? 2 : 0;
	free(f);
	return col;
}

/* The 12-digit number a bold text shows (*number, caller frees; NULL when
 * it shows none): false on ENOMEM. */
static bool bold_number(const char *text, char **number)
{
	*number = NULL;
	char *d = digits_of(text);
	if (!d)
		return false;
	if (strlen(d) == 12)
		*number = d;
	else
		free(d);
	return true;
}

/* Read one print table's document into pt through a tree: the
 * reference reading, for what the direct reading below leaves to it. */
static int print_table_dom(char *html, struct print_tables *pt)
{
	tsk__html frag;
	tsk_error err;
	tsk_error_clear(&err);
	int rc = tsk__html_parse(&frag, html, strlen(html), "text/html; charset=UTF-8", &err);
	if (rc != TSK_OK) {
		tsk__html_free(&frag);
		return rc == TSK_ENOMEM ? rc : TSK_OK; /* no table there: no codes */
	}
	char *number = NULL;
	xmlXPathObjectPtr bs = tsk__html_xpath(&frag, NULL, "//b");
	for (int i = 0; rc == TSK_OK && !number && i < tsk__xpath_count(bs); i++) {
		char *t = tsk__node_text_line(tsk__xpath_node(bs, i));
		if (!t || !bold_number(t, &number))
			rc = TSK_ENOMEM;
		free(t);
	}
	xmlXPathFreeObject(bs);
	/* the table whose header row names 担当店コード */
	xmlNodePtr table = NULL;
	xmlXPathObjectPtr tables = tsk__html_xpath(&frag, NULL, "//table");
	for (int i = 0; rc == TSK_OK && !table && i < tsk__xpath_count(tables); i++) {
		char *t = tsk__node_text_line(tsk__xpath_node(tables, i));
		if (!t)
			rc = TSK_ENOMEM;
		else if (strstr(t, "担当店コード"))
			table = tsk__xpath_node(tables, i);
		free(t);
	}
	xmlXPathFreeObject(tables);
	int cw = -1, cc = -1;
	xmlXPathObjectPtr heads = table ? tsk__html_xpath(&frag, table, "(.//tr)[1]/th") : NULL;
	for (int i = 0; rc == TSK_OK && i < tsk__xpath_count(heads); i++) {
		char *t = tsk__node_text_line(tsk__xpath_node(heads, i));
		int col = t ? print_header(t) : -1;
		if (col < 0)
			rc = TSK_ENOMEM;
		else if (col == 1)
			cw = i;
		else if (col == 2)
			cc = i;
		free(t);
	}
	xmlXPathFreeObject(heads);
	if (rc == TSK_OK && number && cw >= 0 && cc >= 0 && TSK__GROW(pt->v, pt->cap, pt->n + 1)) {
		struct print_table *t = &pt->v[pt->n++];
		memset(t, 0, sizeof *t);
		t->number = number;
		number = NULL;
		xmlXPathObjectPtr rows = tsk__html_xpath(&frag, table, ".//tr[td]");
		t->rows = calloc((size_t)tsk__xpath_count(rows) + 1, sizeof *t->rows);
		if (!t->rows)
			rc = TSK_ENOMEM;
		for (int r = 0; rc == TSK_OK && r < tsk__xpath_count(rows); r++) {
			xmlXPathObjectPtr cells = tsk__html_xpath(&frag, tsk__xpath_node(rows, r), "./td");
			char *w = tsk__node_text_line(tsk__xpath_node(cells, cw));
			char *c = tsk__node_text_line(tsk__xpath_node(cells, cc));
			xmlXPathFreeObject(cells);
			if (!w || !c) {
				free(w);
				free(c);
				rc = TSK_ENOMEM;
				break;
			}
			t->rows[t->n].word = w;
			t->rows[t->n].code = c;
			t->n++;
		}
		xmlXPathFreeObject(rows);
	} else if (rc == TSK_OK && number && cw >= 0 && cc >= 0) {
		rc = TSK_ENOMEM;
	}
	free(number);
	tsk__html_free(&frag);
	return rc;
}

/*
 * The same reading, straight from the text, for a document written the way
 * the print functions write it: plain markup -- no entities, quotes,
 * comments or scripts; tables, rows, cells, <b> and <font> each closed by
 * its own end tag in order, rows right inside tables and cells right inside
 * rows, cells and bold text holding text, <br>, <font> and <b> only (and no
 * white space alone between two of their elements: libxml2 keeps such a
 * text in some places only). On such markup libxml2's tree is the markup
 * as written (html, head, body, p, center and the form around it change no
 * text the reading takes), so the texts are gathered as print_table_dom
 * would find them. Anything else is left to print_table_dom (*plain false):
 * never a different answer (test_yamato compares the two on every page).
 * libxml2 spends about 300 instructions per byte of such a small document,
 * this some 20.
 */
enum pp_kind { PP_TABLE, PP_TR, PP_TH, PP_TD, PP_B, PP_FONT, PP_CENTER, PP_NONE };

struct pp_cell {
	size_t at, end; /* its text in the table's text */
	bool td;
};

struct pp_state {
	tsk__buf table;          /* the current table's text, as collect_text gathers it */
	tsk__buf bold;           /* the open <b>'s text */
	enum pp_kind stack[16];
	size_t depth;
	bool tables;             /* a table is open (one at most) */
	bool in_cell, in_b;      /* a cell is open, a <b> is open */
	bool cell_elements;      /* the open cell holds an element */
	bool cell_blank;         /* ... and a text of white space only */
	bool chosen, chosen_now; /* the table naming 担当店コード; this one */
	size_t trs;              /* rows opened in the current table */
	int cw, cc;              /* the chosen table's 荷物状況 and 担当店コード columns */
	struct pp_cell cells[32];
	size_t ncells;
	char *number;
	struct print_row *rows;
	size_t nrows, rows_cap;
	bool nomem;
};

static enum pp_kind pp_kind_of(const char *name, size_t n)
{
	static const struct {
		const char *name;
		enum pp_kind kind;
	} kinds[] = { { "table", PP_TABLE }, { "tr", PP_TR }, { "th", PP_TH },   { "td", PP_TD },
		      { "b", PP_B },         { "font", PP_FONT }, { "center", PP_CENTER } };
	for (size_t i = 0; i < TSK__ARRAY_LEN(kinds); i++)
		if (strlen(kinds[i].name) == n && tsk__strncasecmp(name, kinds[i].name, n) == 0)
			return kinds[i].kind;
	return PP_NONE;
}

/* Elements that stand for nothing the reading takes, with or without an
 * end tag (never inside a cell or bold text). */
static bool pp_transparent(const char *name, size_t n)
{
	static const char *const names[] = { "html", "head", "title", "body", "p", "form", "input" };
	for (size_t i = 0; i < TSK__ARRAY_LEN(names); i++)
		if (strlen(names[i]) == n && tsk__strncasecmp(name, names[i], n) == 0)
			return true;
	return false;
}

/* A text of the document: plain (no entity, no character libxml2 drops). */
static bool pp_text(struct pp_state *st, const char *p, size_t n)
{
	bool blank = true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '&' || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
			return false;
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			blank = false;
	}
	if (st->in_cell && blank && n) {
		/* white space between elements of a cell: libxml2 keeps it
		 * in some places only */
		if (st->cell_elements)
			return false;
		st->cell_blank = true;
	}
	if (st->tables)
		tsk__buf_add(&st->table, p, n);
	if (st->in_b)
		tsk__buf_add(&st->bold, p, n);
	return true;
}

static char *pp_line(struct pp_state *st, size_t from, size_t to)
{
	char *t = tsk__text_line_of(st->table.data + from, to - from);
	st->nomem = st->nomem || !t;
	return t;
}

/* A data row has ended: its word and code, as the tree reading takes them. */
static void pp_row(struct pp_state *st)
{
	size_t tds = 0;
	char *w = NULL, *c = NULL;
	for (size_t i = 0; i < st->ncells; i++) {
		if (!st->cells[i].td)
			continue;
		if ((int)tds == st->cw)
			w = pp_line(st, st->cells[i].at, st->cells[i].end);
		if ((int)tds == st->cc)
			c = pp_line(st, st->cells[i].at, st->cells[i].end);
		tds++;
	}
	if (!tds || st->nomem) {
		free(w);
		free(c);
		return;
	}
	if (!w)
		w = tsk__strdup("");
	if (!c)
		c = tsk__strdup("");
	if (!w || !c || !TSK__GROW(st->rows, st->rows_cap, st->nrows + 1)) {
		free(w);
		free(c);
		st->nomem = true;
		return;
	}
	st->rows[st->nrows].word = w;
	st->rows[st->nrows].code = c;
	st->nrows++;
}

/* An element opens; false when the markup leaves the plain shape. */
static bool pp_open(struct pp_state *st, enum pp_kind k)
{
	enum pp_kind top = st->depth ? st->stack[st->depth - 1] : PP_NONE;
	if (st->depth == TSK__ARRAY_LEN(st->stack))
		return false;
	switch (k) {
	case PP_TABLE:
		for (size_t i = 0; i < st->depth; i++)
			if (st->stack[i] != PP_CENTER)
				return false;
		st->tables = true;
		st->table.len = 0;
		st->chosen_now = false;
		st->trs = 0;
		st->ncells = 0;
		break;
	case PP_TR:
		if (top != PP_TABLE)
			return false;
		st->trs++;
		st->ncells = 0;
		break;
	case PP_TH:
	case PP_TD:
		if (top != PP_TR || st->ncells == TSK__ARRAY_LEN(st->cells))
			return false;
		tsk__buf_putc(&st->table, ' ');
		st->cells[st->ncells].at = st->table.len;
		st->cells[st->ncells].td = k == PP_TD;
		st->ncells++;
		st->in_cell = true;
		st->cell_elements = false;
		st->cell_blank = false;
		break;
	case PP_B:
		if (st->in_b || (st->tables && !st->in_cell))
			return false;
		st->in_b = true;
		st->bold.len = 0;
		tsk__buf_add(&st->bold, "", 0);
		break;
	case PP_FONT:
		if (st->tables && !st->in_cell)
			return false;
		break;
	case PP_CENTER:
		if (st->tables || st->in_b)
			return false;
		break;
	default:
		return false;
	}
	if (st->in_cell && k != PP_TH && k != PP_TD) {
		if (st->cell_blank)
			return false;
		st->cell_elements = true;
	}
	st->stack[st->depth++] = k;
	return true;
}

/* Its end tag; false when it does not close the element open last. */
static bool pp_close(struct pp_state *st, enum pp_kind k)
{
	if (!st->depth || st->stack[st->depth - 1] != k)
		return false;
	st->depth--;
	switch (k) {
	case PP_TABLE:
		tsk__buf_putc(&st->table, '\n');
		st->tables = false;
		if (!st->chosen) {
			/* a table that names 担当店コード past its header row
			 * is left to the tree */
			char *t = pp_line(st, 0, st->table.len);
			bool names = t && strstr(t, "担当店コード");
			free(t);
			if (names)
				return false;
		}
		st->chosen_now = false;
		break;
	case PP_TR:
		tsk__buf_putc(&st->table, '\n');
		if (st->chosen_now) {
			pp_row(st);
		} else if (!st->chosen && st->trs == 1) {
			/* the header row of the table that names 担当店コード */
			char *t = pp_line(st, 0, st->table.len);
			if (t && strstr(t, "担当店コード")) {
				st->chosen = st->chosen_now = true;
				int th = 0;
				for (size_t i = 0; i < st->ncells; i++) {
					if (st->cells[i].td)
						continue;
					char *h = pp_line(st, st->cells[i].at, st->cells[i].end);
					int col = h ? print_header(h) : -1;
					st->nomem = st->nomem || col < 0;
					if (col == 1)
						st->cw = th;
					else if (col == 2)
						st->cc = th;
					th++;
					free(h);
				}
				pp_row(st); /* a row with td cells is a data row too */
			}
			free(t);
		}
		break;
	case PP_TH:
	case PP_TD:
		st->in_cell = false;
		st->cells[st->ncells - 1].end = st->table.len;
		break;
	case PP_B:
		st->in_b = false;
		if (!st->number) {
			char *t = tsk__text_line_of(st->bold.data, st->bold.len);
			if (!t || !bold_number(t, &st->number))
				st->nomem = true;
			free(t);
		}
		break;
	default:
		break;
	}
	return true;
}

static bool pp_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int print_table_plain(const char *html, struct print_tables *pt, bool *plain)
{
	struct pp_state st;
	memset(&st, 0, sizeof st);
	st.cw = st.cc = -1;
	bool ok = true;
	const char *p = html;
	while (ok && *p && !st.nomem) {
		const char *lt = strchr(p, '<');
		ok = pp_text(&st, p, lt ? (size_t)(lt - p) : strlen(p));
		if (!lt || !ok)
			break;
		const char *gt = strchr(lt, '>');
		/* the tag: a name, then only unquoted ASCII attributes; no
		 * "<!", no "/>" but <br/> */
		const char *name = lt + 1;
		bool end = *name == '/';
		if (end)
			name++;
		size_t nlen = 0;
		while (pp_letter(name[nlen]) || (nlen && name[nlen] >= '0' && name[nlen] <= '9'))
			nlen++;
		ok = gt && nlen > 0;
		for (const char *q = name + nlen; ok && q < gt; q++)
			ok = *q != '<' && *q != '"' && *q != '\'' && (unsigned char)*q < 0x80 &&
			     (q != name + nlen || *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || *q == '/');
		bool br = nlen == 2 && tsk__strncasecmp(name, "br", 2) == 0;
		if (!ok || (gt[-1] == '/' && !br)) {
			ok = false;
		} else if (br) {
			/* a line end in the texts around it (white space next
			 * to it reads the same kept or not) */
			ok = !end;
			if (st.tables)
				tsk__buf_putc(&st.table, '\n');
			if (st.in_b)
				tsk__buf_putc(&st.bold, '\n');
		} else if (pp_transparent(name, nlen)) {
			ok = !st.tables && !st.in_b;
		} else {
			enum pp_kind k = pp_kind_of(name, nlen);
			ok = k != PP_NONE && (end ? pp_close(&st, k) : pp_open(&st, k));
		}
		p = gt + 1;
	}
	ok = ok && !st.depth && !st.table.failed && !st.bold.failed;
	int rc = st.nomem || st.table.failed || st.bold.failed ? TSK_ENOMEM : TSK_OK;
	*plain = ok && rc == TSK_OK;
	if (*plain && st.number && st.cw >= 0 && st.cc >= 0) {
		if (TSK__GROW(pt->v, pt->cap, pt->n + 1)) {
			struct print_table *t = &pt->v[pt->n++];
			t->number = st.number;
			t->rows = st.rows;
			t->n = st.nrows;
			st.number = NULL;
			st.rows = NULL;
			st.nrows = 0;
			if (!t->rows && !(t->rows = calloc(1, sizeof *t->rows)))
				rc = TSK_ENOMEM;
		} else {
			rc = TSK_ENOMEM;
		}
	}
	for (size_t r = 0; r < st.nrows; r++) {
		free(st.rows[r].word);
		free(st.rows[r].code);
	}
	free(st.rows);
	free(st.number);
	tsk__buf_dispose(&st.table);
	tsk__buf_dispose(&st.bold);
	return rc;
}

/* Read one PRINT_n() function's print table into pt: directly when its
 * markup is plain (unless tree_only), else through the tree; *plain
 * counts the direct readings. */
static int print_table_of(const char *fn, struct print_tables *pt, bool tree_only, size_t *plain)
{
	char *html = writeln_strings(fn);
	if (!html)
		return TSK_ENOMEM;
	/* no <table> tag, no table (PRINT_HEADER, PRINT_HOOTER): nothing to parse */
	if (tsk__find_ci(html, "<table") < 0) {
		free(html);
		return TSK_OK;
	}
	bool direct = false;
	int rc = tree_only ? TSK_OK : print_table_plain(html, pt, &direct);
	if (rc == TSK_OK && !direct)
		rc = print_table_dom(html, pt);
	*plain += direct;
	free(html);
	return rc;
}

/* Every PRINT_n() function of a script's text. */
static int print_tables_in(const char *text, struct print_tables *pt, bool tree_only, size_t *plain)
{
	int rc = TSK_OK;
	const char *p = strstr(text, "function PRINT_");
	while (rc == TSK_OK && p) {
		const char *next = strstr(p + 1, "function PRINT_");
		char *fn = next ? tsk__strndup(p, (size_t)(next - p)) : tsk__strdup(p);
		rc = fn ? print_table_of(fn, pt, tree_only, plain) : TSK_ENOMEM;
		free(fn);
		p = next;
	}
	return rc;
}

/* Every PRINT_n() function of the page's scripts. */
static int print_tables_2019(tsk__html *page, struct print_tables *pt)
{
	int rc = TSK_OK;
	bool oom = false;
	size_t plain = 0;
	const char *text;
	for (size_t i = 0; rc == TSK_OK && (text = tsk__html_script(page, i, &oom)); i++)
		rc = print_tables_in(text, pt, false, &plain);
	return rc == TSK_OK && oom ? TSK_ENOMEM : rc;
}

int tsk__yamato_print_check(const char *script, size_t *tables, size_t *plain, bool *same)
{
	struct print_tables a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	size_t none = 0;
	*plain = 0;
	int rc = print_tables_in(script, &a, false, plain);
	if (rc == TSK_OK)
		rc = print_tables_in(script, &b, true, &none);
	*tables = b.n;
	*same = a.n == b.n;
	for (size_t i = 0; *same && i < a.n; i++) {
		*same = strcmp(a.v[i].number, b.v[i].number) == 0 && a.v[i].n == b.v[i].n;
		for (size_t r = 0; *same && r < a.v[i].n; r++)
			*same = strcmp(a.v[i].rows[r].word, b.v[i].rows[r].word) == 0 &&
			        strcmp(a.v[i].rows[r].code, b.v[i].rows[r].code) == 0;
	}
	print_tables_dispose(&a);
	print_tables_dispose(&b);
	return rc;
}

static const struct print_table *print_table_for(const struct print_tables *pt, const char *number)
{
	for (size_t i = 0; pt && i < pt->n; i++)
		if (strcmp(pt->v[i].number, number) == 0)
			return &pt->v[i];
	return NULL;
}

/*
 * The history of a block: every element of its list is an event row, an
 * li with its .item word and its .date (README.md, Layouts). A row the
 * layout cannot read makes the page TSK_ELAYOUT naming it, never a
 * shorter history; so does a history block with text but no list.
 */
static int history_2019(tsk__layout_page *ps, xmlNodePtr block, tsk_shipment *s,
                        const struct print_tables *pt)
{
	static const char *const rows_only[] = { "li", NULL };
	tsk__html *page = ps->page;
	const char *number = tsk_shipment_tracking_number(s);
	/* the print table, when it lists the visible words in the same order */
	const struct print_table *print = print_table_for(pt, number);
	if (print) {
		xmlXPathObjectPtr all = tsk__html_xpath(page, block, ".//*[" CLS("tracking-invoice-block-detail") "]//li");
		if (!all)
			return TSK_ENOMEM;
		bool same = (size_t)tsk__xpath_count(all) == print->n, nomem = false;
		for (int i = 0; same && i < tsk__xpath_count(all); i++) {
			char *w = text_at(page, tsk__xpath_node(all, i), ".//*[" CLS("item") "]");
			nomem = !w;
			same = w && tsk__fold_equal(w, print->rows[i].word, false);
			free(w);
		}
		xmlXPathFreeObject(all);
		if (nomem)
			return TSK_ENOMEM;
		if (!same)
			print = NULL;
	}
	xmlXPathObjectPtr details = tsk__html_xpath(page, block, ".//*[" CLS("tracking-invoice-block-detail") "]");
	if (!details)
		return TSK_ENOMEM;
	int rc = TSK_OK;
	size_t row = 0;
	for (int d = 0; rc == TSK_OK && d < tsk__xpath_count(details); d++) {
		xmlNodePtr detail = tsk__xpath_node(details, d);
		xmlXPathObjectPtr lists = tsk__html_xpath(page, detail, ".//ol | .//ul");
		if (!lists) {
			rc = TSK_ENOMEM;
			break;
		}
		size_t before = row;
		for (int l = 0; rc == TSK_OK && l < tsk__xpath_count(lists); l++) {
			xmlNodePtr list = tsk__xpath_node(lists, l);
			xmlNodePtr stray = tsk__layout_stray(list, rows_only);
			for (xmlNodePtr li = list->children; rc == TSK_OK && li; li = li->next) {
				if (li->type != XML_ELEMENT_NODE)
					continue;
				row++;
				if (li == stray) {
					rc = tsk__layout_bad_row(ps, number, row, li, "not an <li> event");
					break;
				}
				xmlNodePtr date_node = tsk__html_first(page, li, ".//*[" CLS("date") "]");
				char *word = text_at(page, li, ".//*[" CLS("item") "]");
				char *date = tsk__node_text_line(date_node);
				char *place = text_at(page, li, ".//*[" CLS("name") "]");
				if (!word || !date || !place)
					rc = TSK_ENOMEM;
				else if (!*word || !date_node)
					rc = tsk__layout_bad_row(ps, number, row, li,
					                         !*word ? "no .item status word" : "no .date");
				else
				{
					/* the office link's code, else the print table's */
					/* plain steps only (walked directly, no XPath compiled) */
					xmlNodePtr name = tsk__html_first(page, li, ".//*[" CLS("name") "]");
					char *href = tsk__node_attr(name ? tsk__html_first(page, name, ".//a") : NULL, "href");
					char *code = jc_code(href);
					rc = add_event(s, word, date, NULL, place,
					               code ? code : print && row <= print->n ? print->rows[row - 1].code : NULL);
					free(code);
					free(href);
				}
				free(word);
				free(date);
				free(place);
			}
		}
		xmlXPathFreeObject(lists);
		if (rc == TSK_OK && row == before) {
			/* a history block that says something but holds no list */
			char *t = tsk__node_text_line(detail);
			if (!t)
				rc = TSK_ENOMEM;
			else if (*t)
				rc = tsk__layout_bad_row(ps, number, row + 1, detail, "a history block with no list of events");
			free(t);
		}
	}
	xmlXPathFreeObject(details);
	return rc;
}

static int parse_block_2019(tsk__layout_page *ps, tsk__html *page, xmlNodePtr block, size_t index,
                            const struct print_tables *pt)
{
	char *title = text_at(page, block, ".//*[" CLS("tracking-invoice-block-title") "]");
	char *number = title ? number_from_title(title) : NULL;
	free(title);
	if (!number)
		return oom(ps);
	if (!*number && index < ps->resp->count && ps->resp->numbers) {
		/* a block without a readable title: the page keeps the asked order */
		free(number);
		number = digits_of(ps->resp->numbers[index]);
		if (!number)
			return oom(ps);
	}
	if (!*number || already_listed(ps, number)) {
		free(number);
		return TSK_OK;
	}
	tsk_shipment *s = NULL;
	int rc = new_shipment(ps, number, &s);
	free(number);
	if (rc != TSK_OK)
		return rc;

	/* summary: 商品名, お届け予定日時, お届け希望日時 */
	char *service = NULL, *planned = NULL, *requested = NULL;
	xmlXPathObjectPtr items =
		tsk__html_xpath(page, block, ".//*[" CLS("tracking-invoice-block-summary") "]//li");
	for (int i = 0; rc == TSK_OK && i < tsk__xpath_count(items); i++) {
		xmlNodePtr li = tsk__xpath_node(items, i);
		char *label = text_at(page, li, ".//*[" CLS("item") "]");
		char *data = text_at(page, li, ".//*[" CLS("data") "]");
		char *fl = label ? tsk__html_fold(label, true) : NULL;
		if (!label || !data || !fl) {
			rc = TSK_ENOMEM;
		} else if (strstr(fl, "商品名") && !service) {
			service = data;
			data = NULL;
		} else if (strstr(fl, "お届け予定") && !planned) {
			planned = data;
			data = NULL;
		} else if (strstr(fl, "お届け希望") && !requested) {
			requested = data;
			data = NULL;
		}
		free(label);
		free(data);
		free(fl);
	}
	xmlXPathFreeObject(items);
	if (rc == TSK_OK)
		rc = apply_service_and_eta(s, service, planned, requested);
	free(service);
	free(planned);
	free(requested);

	/* the current state */
	if (rc == TSK_OK) {
		char *state = text_at(page, block, ".//*[" CLS("tracking-invoice-block-state-title") "]");
		char *summary = text_at(page, block, ".//*[" CLS("tracking-invoice-block-state-summary") "]");
		rc = state && summary ? apply_state(s, state, summary) : TSK_ENOMEM;
		free(state);
		free(summary);
	}

	/* the history, oldest first */
	if (rc == TSK_OK && tsk_shipment_error(s) == TSK_OK)
		rc = history_2019(ps, block, s, pt);
	return finish_shipment(ps, s, rc);
}

static int parse_2019(tsk__layout_page *ps)
{
	tsk__html *page = ps->page;
	const tsk_response *resp = ps->resp;
	/* The page ends after the last block; without a closing </html> after
	 * it the last history may be cut short. The print copy in <head> also
	 * holds "</html>", so only a tag after the last block counts. */
	const char *last_block =
		tsk__find_last_nocase(resp->body, resp->len, "parts-tracking-invoice-block");
	size_t after = last_block ? resp->len - (size_t)(last_block - resp->body) : 0;
	if (last_block && !tsk__find_last_nocase(last_block, after, "</html"))
		return tsk_error_set(ps->err, TSK_EPARSE,
		                     "yamato: page is truncated (no </html> after the last tracking block)");
	xmlXPathObjectPtr blocks = tsk__html_xpath(page, NULL, "//div[" CLS("parts-tracking-invoice-block") "]");
	if (!blocks)
		return oom(ps);
	struct print_tables pt = { NULL, 0, 0 };
	int rc = print_tables_2019(page, &pt);
	if (rc != TSK_OK)
		rc = oom(ps);
	for (int i = 0; rc == TSK_OK && i < tsk__xpath_count(blocks); i++)
		rc = parse_block_2019(ps, page, tsk__xpath_node(blocks, i), (size_t)i, &pt);
	xmlXPathFreeObject(blocks);
	print_tables_dispose(&pt);
	return rc;
}

/* ------------------------------ layout "yamato-2009" (README.md, Layouts) */

/* Rows of the summary form: the cell with the numberNN input, then the
 * number, the date and the 配達状況 cells. */
#define SUMMARY_ROWS_2009 \
	"//tr[td/input[starts-with(@name, 'number') and @name != 'number00']]"

static bool recognise_2009(tsk__html *page)
{
	return tsk__html_first(page, NULL, SUMMARY_ROWS_2009) != NULL &&
	       tsk__html_first(page, NULL, "//th[contains(., '配達状況')]") != NULL;
}

/* One detail block: what follows <a name="AA00"> up to the next one. */
struct block_2009 {
	char name[16];
	xmlNodePtr message;    /* <table border=0 class=tb_c>: このお品物は… */
	xmlNodePtr product;    /* 商品名 | お届け予定日時 | お届け希望日時 */
	xmlNodePtr history;    /* 荷物状況 | 日 付 | 時 刻 | 担当店名 | 担当店コード */
	bool back_link;        /* <a href="#SUMMARY">: the block ended */
};

struct blocks_2009 {
	struct block_2009 *v;
	size_t n, cap;
};

/* Next element in document order below root; children skipped when
 * descend is false (script and style bodies are never entered). */
static xmlNodePtr next_in_order(xmlNodePtr n, xmlNodePtr root, bool descend)
{
	if (descend && n->children)
		return n->children;
	while (n && n != root) {
		if (n->next)
			return n->next;
		n = n->parent;
	}
	return NULL;
}

/* The first row of a table (libxml2 adds no <tbody>, but a page may). */
static xmlNodePtr first_row(tsk__html *page, xmlNodePtr table)
{
	return tsk__html_first(page, table, "(./tr | ./thead/tr | ./tbody/tr)[1]");
}

/* Folded, space-free header texts of a row joined by '|'. */
static char *row_headers(tsk__html *page, xmlNodePtr row)
{
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_add(&b, "|", 1);
	xmlXPathObjectPtr cells = tsk__html_xpath(page, row, "./th | ./td");
	for (int i = 0; i < tsk__xpath_count(cells); i++) {
		char *t = tsk__node_text_line(tsk__xpath_node(cells, i));
		char *f = t ? tsk__html_fold(t, true) : NULL;
		if (!f)
			b.failed = true;
		else {
			tsk__buf_puts(&b, f);
			tsk__buf_putc(&b, '|');
		}
		free(t);
		free(f);
	}
	xmlXPathFreeObject(cells);
	return tsk__buf_detach(&b);
}

static int classify_table(tsk__html *page, xmlNodePtr table, struct block_2009 *blk)
{
	xmlNodePtr row = first_row(page, table);
	if (!row)
		return TSK_OK;
	bool has_th = tsk__html_first(page, row, "./th") != NULL;
	if (!has_th) {
		if (!blk->message && tsk__node_has_class(table, "tb_c"))
			blk->message = table;
		return TSK_OK;
	}
	char *h = row_headers(page, row);
	if (!h)
		return TSK_ENOMEM;
	if (!blk->history && strstr(h, "|荷物状況|") && strstr(h, "|日付|"))
		blk->history = table;
	else if (!blk->product && strstr(h, "|商品名|"))
		blk->product = table;
	free(h);
	return TSK_OK;
}

/* Walk the body once, in document order, cutting it into detail blocks. */
static int collect_blocks_2009(tsk__html *page, struct blocks_2009 *bl)
{
	xmlNodePtr root = xmlDocGetRootElement(page->doc);
	for (xmlNodePtr n = root; n;) {
		bool descend = n->type == XML_ELEMENT_NODE && !tsk__node_is(n, "script") &&
		               !tsk__node_is(n, "style");
		if (tsk__node_is(n, "a")) {
			char *name = tsk__node_attr(n, "name");
			char *href = tsk__node_attr(n, "href");
			if (name && strncmp(name, "AA", 2) == 0 && strlen(name) < sizeof bl->v[0].name) {
				if (!TSK__GROW(bl->v, bl->cap, bl->n + 1)) {
					free(name);
					free(href);
					return TSK_ENOMEM;
				}
				struct block_2009 *b = &bl->v[bl->n++];
				memset(b, 0, sizeof *b);
				memcpy(b->name, name, strlen(name) + 1);
			} else if (href && strcmp(href, "#SUMMARY") == 0 && bl->n) {
				bl->v[bl->n - 1].back_link = true;
			}
			free(name);
			free(href);
		} else if (tsk__node_is(n, "table") && bl->n) {
			if (classify_table(page, n, &bl->v[bl->n - 1]) != TSK_OK)
				return TSK_ENOMEM;
		}
		n = next_in_order(n, root, descend);
	}
	return TSK_OK;
}

static struct block_2009 *find_block(struct blocks_2009 *bl, const char *href)
{
	if (!href || href[0] != '#')
		return NULL;
	for (size_t i = 0; i < bl->n; i++)
		if (strcmp(bl->v[i].name, href + 1) == 0)
			return &bl->v[i];
	return NULL;
}

/* 商品名 and the windows from the product table (header row + value row). */
static int product_2009(tsk__html *page, xmlNodePtr table, tsk_shipment *s)
{
	xmlXPathObjectPtr heads = tsk__html_xpath(page, table, "(./tr | ./tbody/tr)[1]/th");
	xmlXPathObjectPtr vals = tsk__html_xpath(page, table, "(./tr | ./tbody/tr)[2]/td");
	char *service = NULL, *planned = NULL, *requested = NULL;
	int rc = TSK_OK;
	for (int i = 0; rc == TSK_OK && i < tsk__xpath_count(heads) && i < tsk__xpath_count(vals); i++) {
		char *label = tsk__node_text_line(tsk__xpath_node(heads, i));
		char *fl = label ? tsk__html_fold(label, true) : NULL;
		char *data = tsk__node_text_line(tsk__xpath_node(vals, i));
		if (!fl || !data) {
			rc = TSK_ENOMEM;
		} else if (strcmp(fl, "商品名") == 0 && !service) {
			service = data;
			data = NULL;
		} else if (strncmp(fl, "お届け予定", strlen("お届け予定")) == 0 && !planned) {
			planned = data;
			data = NULL;
		} else if (strncmp(fl, "お届け希望", strlen("お届け希望")) == 0 && !requested) {
			/* お届け希望日時, or お届け希望時間 of タイムサービス */
			requested = data;
			data = NULL;
		}
		free(label);
		free(fl);
		free(data);
	}
	xmlXPathFreeObject(heads);
	xmlXPathFreeObject(vals);
	if (rc == TSK_OK)
		rc = apply_service_and_eta(s, service, planned, requested);
	free(service);
	free(planned);
	free(requested);
	return rc;
}

enum { COL_STATUS, COL_DATE, COL_TIME, COL_PLACE, COL_CODE, COL__COUNT };

static int history_2009(tsk__layout_page *ps, xmlNodePtr table, tsk_shipment *s)
{
	tsk__html *page = ps->page;
	static const char *const names[COL__COUNT] = { "荷物状況", "日付", "時刻", "担当店名", "担当店コード" };
	int col[COL__COUNT] = { -1, -1, -1, -1, -1 };
	xmlXPathObjectPtr heads = tsk__html_xpath(page, table, "(./tr | ./tbody/tr)[1]/th");
	int rc = TSK_OK;
	for (int i = 0; rc == TSK_OK && i < tsk__xpath_count(heads); i++) {
		char *t = tsk__node_text_line(tsk__xpath_node(heads, i));
		char *f = t ? tsk__html_fold(t, true) : NULL;
		if (!f)
			rc = TSK_ENOMEM;
		for (int c = 0; f && c < COL__COUNT; c++)
			if (col[c] < 0 && strcmp(f, names[c]) == 0)
				col[c] = i;
		free(t);
		free(f);
	}
	xmlXPathFreeObject(heads);
	if (rc != TSK_OK || col[COL_STATUS] < 0)
		return rc;
	/* every element of the table is a row, and every row after the header
	 * an event with its 荷物状況 word and its cells: a row the layout
	 * cannot read makes the page TSK_ELAYOUT, never a shorter history */
	const char *number = tsk_shipment_tracking_number(s);
	xmlNodePtr stray = tsk__layout_stray_in_table(table);
	if (stray)
		return tsk__layout_bad_row(ps, number, 0, stray, "not a table row");
	/* a row has a cell under every header */
	xmlXPathObjectPtr hcells = tsk__html_xpath(page, table, "(./tr | ./tbody/tr)[1]/th");
	int need = tsk__xpath_count(hcells) - 1;
	xmlXPathFreeObject(hcells);
	xmlXPathObjectPtr rows = tsk__html_xpath(page, table, "./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr");
	for (int r = 0; rc == TSK_OK && r < tsk__xpath_count(rows); r++) {
		xmlNodePtr tr = tsk__xpath_node(rows, r);
		if (r == 0 && tsk__html_first(page, tr, "./th"))
			continue; /* the header */
		xmlXPathObjectPtr cells = tsk__html_xpath(page, tr, "./td | ./th");
		int ncells = tsk__xpath_count(cells);
		char *text[COL__COUNT] = { NULL };
		for (int c = 0; c < COL__COUNT; c++) {
			text[c] = tsk__node_text_line(tsk__xpath_node(cells, col[c]));
			if (!text[c])
				rc = TSK_ENOMEM;
		}
		xmlXPathFreeObject(cells);
		if (rc == TSK_OK && ncells <= need) {
			/* too few cells: an empty row loses nothing, any other is unread */
			char *all = tsk__node_text_line(tr);
			if (!all)
				rc = TSK_ENOMEM;
			else if (*all)
				rc = tsk__layout_bad_row(ps, number, (size_t)r, tr, "fewer cells than the headers");
			free(all);
		} else if (rc == TSK_OK && !*text[COL_STATUS]) {
			rc = tsk__layout_bad_row(ps, number, (size_t)r, tr, "no 荷物状況 status word");
		} else if (rc == TSK_OK) {
			rc = add_event(s, text[COL_STATUS], text[COL_DATE], text[COL_TIME], text[COL_PLACE],
			               text[COL_CODE]);
		}
		for (int c = 0; c < COL__COUNT; c++)
			free(text[c]);
	}
	xmlXPathFreeObject(rows);
	return rc;
}

static int parse_row_2009(tsk__layout_page *ps, tsk__html *page, xmlNodePtr row,
                          struct blocks_2009 *bl)
{
	xmlXPathObjectPtr cells = tsk__html_xpath(page, row, "./td");
	if (!cells)
		return oom(ps);
	int rc = TSK_OK;
	char *number = NULL, *state = NULL, *href = NULL, *message = NULL;
	tsk_shipment *s = NULL;
	struct block_2009 *blk = NULL;
	if (tsk__xpath_count(cells) >= 4) {
		xmlNodePtr num_cell = tsk__xpath_node(cells, 1);
		char *shown = tsk__node_text_line(num_cell);
		number = shown ? digits_of(shown) : NULL;
		free(shown);
		state = tsk__node_text_line(tsk__xpath_node(cells, 3));
		href = tsk__node_attr(tsk__html_first(page, num_cell, ".//a[starts-with(@href, '#AA')]"),
		                      "href");
		if (!number || !state)
			rc = oom(ps);
	} else {
		/* a slot without its cells: an empty slot loses nothing; one that
		 * shows a number it cannot be read for is a row this layout cannot
		 * read, never a number silently left out */
		char *shown = tsk__node_text_line(row);
		char *digits = shown ? digits_of(shown) : NULL;
		if (!digits)
			rc = oom(ps);
		else if (strlen(digits) >= 8)
			rc = tsk__layout_bad_row(ps, NULL, 0, row, "a summary slot without its number, date and 配達状況 cells");
		free(shown);
		free(digits);
	}
	xmlXPathFreeObject(cells);
	if (rc != TSK_OK || !number || !*number || already_listed(ps, number))
		goto done;

	/* The summary links each number to its detail block, and every block
	 * ends with a link back to the summary: a missing block or back link
	 * means the page stops short. */
	blk = find_block(bl, href);
	if (href && (!blk || !blk->back_link)) {
		rc = tsk_error_set(ps->err, TSK_EPARSE,
		                   "yamato: page is truncated (the details of %s end early)", number);
		tsk_error_set_where(ps->err, "a[@name='%.16s']", href + 1);
		goto done;
	}
	if ((rc = new_shipment(ps, number, &s)) != TSK_OK)
		goto done;
	if (blk && blk->message && !(message = tsk__node_text_line(blk->message)))
		rc = TSK_ENOMEM;
	if (rc == TSK_OK)
		rc = apply_state(s, state, message);
	/* the 2009 not-found block holds only the message, no history */
	if (rc == TSK_OK && tsk_shipment_error(s) == TSK_OK && blk && !blk->history && message &&
	    tsk__contains(message, "登録されておりません"))
		rc = tsk_shipment_set_error(s, TSK_ENOTFOUND, "yamato: number not registered (登録されておりません)");
	if (rc == TSK_OK && blk && blk->product && tsk_shipment_error(s) == TSK_OK)
		rc = product_2009(page, blk->product, s);
	if (rc == TSK_OK && blk && blk->history && tsk_shipment_error(s) == TSK_OK)
		rc = history_2009(ps, blk->history, s);
	rc = finish_shipment(ps, s, rc);
done:
	free(number);
	free(state);
	free(href);
	free(message);
	return rc;
}

static int parse_2009(tsk__layout_page *ps)
{
	tsk__html *page = ps->page;
	struct blocks_2009 bl = { NULL, 0, 0 };
	int rc = collect_blocks_2009(page, &bl);
	if (rc != TSK_OK) {
		free(bl.v);
		return oom(ps);
	}
	xmlXPathObjectPtr rows = tsk__html_xpath(page, NULL, SUMMARY_ROWS_2009);
	if (!rows)
		rc = oom(ps);
	for (int i = 0; rc == TSK_OK && i < tsk__xpath_count(rows); i++)
		rc = parse_row_2009(ps, page, tsk__xpath_node(rows, i), &bl);
	xmlXPathFreeObject(rows);
	free(bl.v);
	return rc;
}

/* ------------------------------------------------------------------ parse */

/* Today's layout first: it is what a live answer is. */
static const tsk__layout yamato_layouts[] = {
	{ "yamato-2019", recognise_2019, parse_2019 },
	{ "yamato-2009", recognise_2009, parse_2009 },
};

static int yamato_parse(const tsk_adapter *self, const tsk_response *resp, const tsk_parse_env *env,
                        tsk_shipment_list *out, tsk_error *err)
{
	/* no page time is usable: the core infers years from now */
	return tsk__layout_parse(self, yamato_layouts, TSK__ARRAY_LEN(yamato_layouts), resp, env, out, err);
}

/* ----------------------------------------------------- delivery tables */

/* transit days, stall thresholds and the holding period: transit.def,
 * stall.def, pickup.def beside this file, with their sources */
static const tsk_transit_row yamato_transit[] = {
#include "transit.def"
};
static const tsk_stall_row yamato_stall[] = {
#include "stall.def"
};
static const tsk_pickup_rule yamato_pickup[] = {
#include "pickup.def"
};
static const tsk_carrier_tables yamato_tables = {
	TSK_CARRIER_TABLES_VERSION, yamato_transit, TSK__ARRAY_LEN(yamato_transit),
	yamato_stall, TSK__ARRAY_LEN(yamato_stall), yamato_pickup,
};

/* ---------------------------------------------------------------- adapter */

const tsk_adapter tsk__adapter_yamato = {
	TSK_ADAPTER_VERSION,
	"yamato",
	"Yamato Transport (ヤマト運輸)",
	TSK_ADAPTER_HTML | TSK_ADAPTER_BATCH,
	YAMATO_MAX_BATCH,
	YAMATO_ENDPOINT,
	yamato_recognize,
	yamato_build_requests,
	yamato_parse,
	yamato_map_status,
	NULL,
	NULL,
	&yamato_tables,
	NULL,
	"ヤマト運輸",
	"Yamato Transport",
};
