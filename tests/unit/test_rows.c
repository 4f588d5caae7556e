/*
 * A page is read whole or not at all (issue 13, item 14): one history row
 * a layout cannot read (an element where a row should be, a row without
 * its cells or its status word) makes the page layout_changed naming the
 * row, never a shorter history. Each case takes a page of tests/data,
 * changes its last history row (the last occurrence of a piece of it, in
 * UTF-8: the 2009 Shift_JIS pages are converted first, which the library
 * reads by their bytes), and must fail with TSK_ELAYOUT; the page as it
 * is must still parse, with more events than the changed one would have
 * silently given.
 */
#include "pagecheck.h"
#include "tsuiseki.h"

#include <check.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

struct row_case {
	const char *carrier;
	const char *page;
	const char *needle;  /* its last occurrence is changed */
	const char *with;
	const char *named;   /* the message must hold this (the row's text or element) */
};

static const struct row_case cases[] = {
	/* yamato-2019: an <li> of the last event renamed, its .date renamed, its word emptied */
	{ "yamato", "yamato/synthetic_2019_delivered.html", "<li><div class=\"item\">配達完了",
	  "<hi><div class=\"item\">配達完了", "<hi> \"配達完了 12月03日 14:25" },
	{ "yamato", "yamato/synthetic_2019_delivered.html", "<div class=\"date\">12月03日 14:25",
	  "<div class=\"when\">12月03日 14:25", "no .date" },
	{ "yamato", "yamato/synthetic_2019_delivered.html", "<div class=\"item\">配達完了</div>",
	  "<div class=\"item\"></div>", "no .item status word" },
	{ "yamato", "yamato/synthetic_2019_returned.html", "<li><div class=\"item\">返品",
	  "<p><div class=\"item\">返品", "row " },
	/* yamato-2009 (real page): the last history row renamed, or its cells merged */
	{ "yamato", "yamato/yamato_2009_single_delivered_timeservice.html", "<tr>\n <td>配達完了</td>",
	  "<hi>\n <td>配達完了</td>", "<hi> \"配達完了 07/15 09:24" },
	{ "yamato", "yamato/yamato_2009_single_delivered_timeservice.html", "<td>配達完了</td>\n <td>07/15</td>",
	  "<td>配達完了 07/15", "fewer cells than the headers" },
	/* sagawa-2022 */
	{ "sagawa", "sagawa/synthetic_2022_delivered.html", "<tr><td>⇒配達完了</td>", "<hi><td>⇒配達完了</td>",
	  "not a table row" },
	{ "sagawa", "sagawa/synthetic_2022_delivered.html", "<td>⇒配達完了</td><td>03/05 11:27</td>",
	  "<td>⇒配達完了 03/05 11:27</td>", "fewer cells" },
	{ "sagawa", "sagawa/synthetic_2022_delivered.html", "<td>⇒配達完了</td>", "<td>⇒</td>",
	  "no 荷物状況 status word" },
	/* japanpost-2019 and -2019-en: the last event's first row renamed, or a cell gone */
	{ "japanpost", "japanpost/synthetic_2019_yupack_delivered.html", "<tr>\n<td rowspan=\"2\" class=\"w_120\">2024/06/02 11:47",
	  "<hi>\n<td rowspan=\"2\" class=\"w_120\">2024/06/02 11:47", "<hi> \"2024/06/02 11:47" },
	{ "japanpost", "japanpost/synthetic_2019en_ems_delivered.html", "<tr>\n<td rowspan=\"2\" class=\"w_120\">",
	  "<hi>\n<td rowspan=\"2\" class=\"w_120\">", "not a table row" },
	/* japanpost-2009-detail (real page): the last event's row renamed, its postal row left over */
	{ "japanpost", "japanpost/japanpost_2009_yupack_absence_x3_delivered.html",
	  "<tr class=\"number_search_data\">\n\n\n                <td nowrap rowspan=\"2\">",
	  "<hi class=\"number_search_data\">\n\n\n                <td nowrap rowspan=\"2\">", "postal code row" },
};

/* The page as UTF-8 (the 2009 pages are Shift_JIS), NUL-terminated. */
static char *page_utf8(const char *relpath)
{
	size_t len;
	char *raw = tsk_test_read(relpath, &len);
	if (!strstr(relpath, "_2009_"))
		return raw;
	iconv_t cd = iconv_open("UTF-8", "CP932");
	ck_assert(cd != (iconv_t)-1);
	size_t cap = len * 3 + 1, left = cap - 1, inleft = len;
	char *out = malloc(cap), *in = raw, *w = out;
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(iconv(cd, &in, &inleft, &w, &left) != (size_t)-1, "%s: not CP932", relpath);
	*w = '\0';
	iconv_close(cd);
	free(raw);
	return out;
}

/* page with the last occurrence of needle replaced (caller frees) */
static char *replace_last(const char *page, const char *needle, const char *with)
{
	const char *at = NULL;
	for (const char *p = strstr(page, needle); p; p = strstr(p + 1, needle))
		at = p;
	ck_assert_msg(at != NULL, "the page has no \"%s\"", needle);
	size_t head = (size_t)(at - page), nl = strlen(needle), wl = strlen(with);
	char *out = malloc(strlen(page) - nl + wl + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, page, head);
	memcpy(out + head, with, wl);
	strcpy(out + head + wl, at + nl);
	return out;
}

static size_t events_of(tsk_shipment_list *l)
{
	size_t n = 0;
	for (size_t i = 0; i < tsk_shipment_list_count(l); i++)
		n += tsk_shipment_event_count(tsk_shipment_list_at(l, i));
	return n;
}

START_TEST(unread_row_is_layout_changed)
{
	const struct row_case *c = &cases[_i];
	tsk_ctx *ctx = tsk_test_ctx_new(TSK_CTX_NO_ENVIRONMENT);
	tsk_time now;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&now, "2026-12-01T12:00:00+09:00"), TSK_OK);
	tsk_ctx_set_now(ctx, &now);
	char *page = page_utf8(c->page);
	tsk_shipment_list *l = NULL;
	ck_assert_msg(tsk_parse(&l, ctx, c->carrier, page, strlen(page), NULL) == TSK_OK, "%s: %s", c->page,
	              tsk_ctx_last_error(ctx));
	ck_assert_uint_gt(events_of(l), 0);
	tsk_shipment_list_free(l);

	char *changed = replace_last(page, c->needle, c->with);
	l = NULL;
	int rc = tsk_parse(&l, ctx, c->carrier, changed, strlen(changed), NULL);
	ck_assert_msg(rc == TSK_ELAYOUT, "%s, \"%s\" changed: %s, %zu events (%s)", c->page, c->needle,
	              tsk_error_name(rc), l ? events_of(l) : 0, tsk_ctx_last_error(ctx));
	ck_assert_ptr_null(l);
	const char *msg = tsk_ctx_last_error(ctx);
	ck_assert_msg(strstr(msg, "history row it cannot read") && strstr(msg, c->named), "%s: %s", c->page, msg);
	free(changed);
	free(page);
	tsk_ctx_free(ctx);
}
END_TEST

/* An empty row loses nothing: it is passed over, not refused. */
START_TEST(empty_row_is_passed_over)
{
	tsk_ctx *ctx = tsk_test_ctx_new(TSK_CTX_NO_ENVIRONMENT);
	char *page = tsk_test_read("sagawa/synthetic_2022_delivered.html", NULL);
	char *changed = replace_last(page, "<tr><td>⇒配達完了</td>", "<tr></tr><tr><td>⇒配達完了</td>");
	tsk_shipment_list *l = NULL;
	ck_assert_int_eq(tsk_parse(&l, ctx, "sagawa", changed, strlen(changed), NULL), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_event_count(tsk_shipment_list_at(l, 0)), 5);
	tsk_shipment_list_free(l);
	free(changed);
	free(page);
	tsk_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rows");
	TCase *tc = tcase_create("rows");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, unread_row_is_layout_changed, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, empty_row_is_passed_over);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
