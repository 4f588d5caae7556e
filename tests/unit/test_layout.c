/*
 * The layout driver (lib/layout.c) on a made-up carrier with two layouts:
 * table order, the layout named on every shipment and the page's year
 * hint given to each, cut-off and empty pages, a recognised page showing
 * none of the numbers asked, and the one layout_changed message built
 * from the table; then the same message, word for word, from every HTML
 * carrier.
 */
#include "layout.h"
#include "model.h"
#include "tsuiseki.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static const tsk_adapter fake = { .version = TSK_ADAPTER_VERSION, .name = "fake" };

static bool recognise_new(tsk__html *page)
{
	return tsk__html_first(page, NULL, "//div[@id='new']") != NULL;
}

static bool recognise_old(tsk__html *page)
{
	return tsk__html_first(page, NULL, "//table[@id='old']") != NULL;
}

/* One shipment per <p> of the page, its text the number. */
static int parse_any(tsk__layout_page *p)
{
	xmlXPathObjectPtr ps = tsk__html_xpath(p->page, NULL, "//p");
	int rc = ps ? TSK_OK : TSK_ENOMEM;
	for (int i = 0; rc == TSK_OK && i < tsk__xpath_count(ps); i++) {
		char *number = tsk__node_text_line(tsk__xpath_node(ps, i));
		tsk_shipment *s = NULL;
		rc = number ? tsk_shipment_new(&s, p->self->name, number) : TSK_ENOMEM;
		if (rc == TSK_OK && (rc = tsk_shipment_list_append(p->out, s)) != TSK_OK)
			tsk_shipment_free(s);
		free(number);
	}
	xmlXPathFreeObject(ps);
	return rc == TSK_OK ? TSK_OK : tsk_error_set(p->err, rc, "fake: cannot build shipments");
}

/* The old layout's pages print their inquiry time: a year hint for the page. */
static int parse_old(tsk__layout_page *p)
{
	p->has_year_hint = tsk_time_parse_rfc3339(&p->year_hint, "2009-07-20T10:00:00+09:00") == TSK_OK;
	p->year_hint_kind = TSK_YEAR_HINT_NOT_AFTER;
	return parse_any(p);
}

static const tsk__layout fake_layouts[] = {
	{ "fake-new", recognise_new, parse_any },
	{ "fake-old", recognise_old, parse_old },
};

static int run(const char *html, size_t asked, tsk_shipment_list **out, tsk_error *err)
{
	static const char *const numbers[] = { "111", "222" };
	tsk_response resp = TSK_RESPONSE_INIT;
	resp.body = html;
	resp.len = strlen(html);
	resp.content_type = "text/html";
	resp.numbers = asked ? numbers : NULL;
	resp.count = asked;
	tsk_parse_env env = TSK_PARSE_ENV_INIT;
	ck_assert_int_eq(tsk_shipment_list_new(out), TSK_OK);
	tsk_error_clear(err);
	return tsk__layout_parse(&fake, fake_layouts, sizeof fake_layouts / sizeof fake_layouts[0], &resp, &env,
	                         *out, err);
}

START_TEST(first_layout_in_table_order_names_every_shipment)
{
	tsk_shipment_list *l;
	tsk_error err;
	/* both recognisers say yes: the first row wins */
	ck_assert_int_eq(run("<html><head><title>t</title></head><body><div id=\"new\"></div><table id=\"old\">"
	                     "<tr><td>x</td></tr></table><p>111</p><p>222</p></body></html>",
	                     2, &l, &err),
	                 TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(tsk_shipment_layout(tsk_shipment_list_at(l, i)), "fake-new");
		ck_assert(!tsk_shipment_list_at(l, i)->has_year_hint);
	}
	tsk_shipment_list_free(l);
	/* the second row, and the year hint its parser set reaches each shipment */
	ck_assert_int_eq(run("<html><body><table id=\"old\"><tr><td>x</td></tr></table><p>111</p><p>222</p>"
	                     "</body></html>",
	                     2, &l, &err),
	                 TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 2);
	for (size_t i = 0; i < 2; i++) {
		const tsk_shipment *s = tsk_shipment_list_at(l, i);
		ck_assert_str_eq(tsk_shipment_layout(s), "fake-old");
		ck_assert(s->has_year_hint);
		ck_assert_int_eq(s->year_hint_kind, TSK_YEAR_HINT_NOT_AFTER);
	}
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(unknown_page_message_built_from_the_table)
{
	tsk_shipment_list *l;
	tsk_error err;
	ck_assert_int_eq(run("<html><head><title>Made up</title></head><body><div id=\"other\"><p>111</p></div>"
	                     "</body></html>",
	                     1, &l, &err),
	                 TSK_ELAYOUT);
	ck_assert_str_eq(err.message,
	                 "fake: page layout not recognised (title \"Made up\"; known layouts: fake-new, fake-old)");
	ck_assert_uint_eq(tsk_shipment_list_count(l), 0);
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(cut_or_empty_pages_are_parse_errors)
{
	tsk_shipment_list *l;
	tsk_error err;
	ck_assert_int_eq(run("<html><body><div id=\"new\"></div><p>111</p><p>2", 1, &l, &err), TSK_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "fake: page is truncated ("));
	tsk_shipment_list_free(l);
	ck_assert_int_eq(run("<html><head><title>t</title></head><body></body></html>", 1, &l, &err), TSK_EPARSE);
	ck_assert_str_eq(err.message, "fake: page is truncated (nothing in <body>)");
	tsk_shipment_list_free(l);
	ck_assert_int_eq(run("{\"not\": \"html\"}", 1, &l, &err), TSK_EPARSE);
	tsk_shipment_list_free(l);
}
END_TEST

/* A page is read whole or not at all: the one scan of its tags
 * (lib/html.c tsk__html_whole) on each way a page can stop short or run on. */
START_TEST(page_is_read_whole_or_not_at_all)
{
	tsk_shipment_list *l;
	tsk_error err;
	/* whole pages: closing tags in either case, then only white space,
	 * comments, scripts and closing tags; a '<' in text is no tag */
	static const char *const whole[] = {
		"<HTML><BODY><div id=\"new\"></div><p>111</p></BODY></HTML>",
		"<html><body><div id=\"new\"></div><p>111</p></body></html>\n<!-- served -->\n"
		"<script>var a = '<p>x</p>';</script>\n</html>\n",
		"<html><body><div id=\"new\"></div><p>111 < 222</p><script>w('</body></html>')</script>"
		"</body></html>",
		/* markup with no <html>/<body> that closes the body */
		"<div id=\"new\"></div><p>111</p></body>",
	};
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
		ck_assert_msg(run(whole[i], 1, &l, &err) == TSK_OK, "%s: %s", whole[i], err.message);
		ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
		tsk_shipment_list_free(l);
	}
	/* cut: inside a script that writes </html>, a comment, a tag, a
	 * closing tag's name */
	static const char *const cut[] = {
		"<html><body><div id=\"new\"></div><p>111</p><script>w('</body></html>')",
		"<html><body><div id=\"new\"></div><p>111</p><!-- </body></html>",
		"<html><body><div id=\"new\"></div><p>111</p></body></html",
		"<html><body><div id=\"new\"></div><p>111</p></body></ht",
		"<html><body><div id=\"new\"></div><p>111</p></bo",
		"<html><body><div id=\"new\"></div><p>111</p><",
	};
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		ck_assert_msg(run(cut[i], 1, &l, &err) == TSK_EPARSE, "%s", cut[i]);
		ck_assert_msg(strstr(err.message, "fake: page is truncated (it ends after ") == err.message, "%s",
		              err.message);
		ck_assert_uint_eq(tsk_shipment_list_count(l), 0);
		tsk_shipment_list_free(l);
	}
	/* a layout's markup with no page around it and no end: it could be
	 * the start of a longer answer, so it is not read; markup no layout
	 * knows stays a layout question */
	ck_assert_int_eq(run("<div id=\"new\"></div><p>111</p><p>222</p>", 2, &l, &err), TSK_EPARSE);
	ck_assert_str_eq(err.message, "fake: page is truncated (the fake-new markup ends after 40 bytes with "
	                              "no <html> or <body> around it and no closing tag)");
	ck_assert_uint_eq(tsk_shipment_list_count(l), 0);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(run("<div id=\"other\"><p>111</p></div>", 1, &l, &err), TSK_ELAYOUT);
	tsk_shipment_list_free(l);
	/* a second document run on, or rows after the page's end: a cut at
	 * the inner </html> would look whole, so neither is read */
	static const char two[] = "<html><body><div id=\"new\"></div><p>111</p></body></html>"
	                          "<html><body><p>222</p></body></html>";
	ck_assert_int_eq(run(two, 2, &l, &err), TSK_EPARSE);
	ck_assert_str_eq(err.message, "fake: page is not one whole document (content follows its closing "
	                              "</body> or </html> at byte 56 of 92)");
	ck_assert_uint_eq(tsk_shipment_list_count(l), 0);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(run("<html><body><div id=\"new\"></div><p>111</p></body>\n<p>222</p></html>", 2, &l, &err),
	                 TSK_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "at byte 50 of 67)"));
	tsk_shipment_list_free(l);
	ck_assert_int_eq(run("<html><body><div id=\"new\"></div><p>111</p></body></html>stray", 1, &l, &err),
	                 TSK_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "at byte 56 of 61)"));
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(recognised_page_without_the_numbers_asked)
{
	tsk_shipment_list *l;
	tsk_error err;
	static const char page[] = "<html><body><div id=\"new\">nothing here</div></body></html>";
	ck_assert_int_eq(run(page, 2, &l, &err), TSK_ELAYOUT);
	ck_assert_str_eq(err.message, "fake: the fake-new page shows none of the 2 numbers asked");
	tsk_shipment_list_free(l);
	/* nothing asked (a saved page): an empty answer is the answer */
	ck_assert_int_eq(run(page, 0, &l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 0);
	tsk_shipment_list_free(l);
}
END_TEST

/* Every HTML carrier words an unknown page alike, naming its own layouts
 * (whatever they are: a new layout does not change this test). */
START_TEST(every_carrier_words_layout_changed_alike)
{
	static const char page[] = "<html><head><title>Made up</title></head><body><div class=\"result\">"
	                           "<p>配達完了</p><p>2497-2497-3934</p></div></body></html>";
	static const char *const carriers[] = { "yamato", "sagawa", "japanpost" };
	for (size_t i = 0; i < sizeof carriers / sizeof carriers[0]; i++) {
		tsk_ctx *ctx;
		ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
		tsk_shipment_list *l = NULL;
		ck_assert_int_eq(tsk_parse(&l, ctx, carriers[i], page, sizeof page - 1, NULL), TSK_ELAYOUT);
		ck_assert_ptr_null(l);
		char head[128];
		snprintf(head, sizeof head, "%s: page layout not recognised (title \"Made up\"; known layouts: ",
		         carriers[i]);
		const char *msg = tsk_ctx_last_error(ctx);
		ck_assert_msg(strncmp(msg, head, strlen(head)) == 0, "%s", msg);
		/* then "<carrier>-…" names, comma-separated, and the closing bracket */
		const char *p = msg + strlen(head);
		size_t names = 0;
		for (;;) {
			ck_assert_msg(strncmp(p, carriers[i], strlen(carriers[i])) == 0 && p[strlen(carriers[i])] == '-',
			              "%s", msg);
			names++;
			p += strcspn(p, ",)");
			if (*p == ')')
				break;
			ck_assert_msg(p[0] == ',' && p[1] == ' ', "%s", msg);
			p += 2;
		}
		ck_assert_msg(names >= 2 && strcmp(p, ")") == 0, "%s", msg);
		tsk_ctx_free(ctx);
	}
}
END_TEST

/* An unrecognised page that says the carrier cannot answer now: the
 * phrases of lib/data/outage.def after width folding, white space dropped
 * and ASCII case ignored; the longest body line that says one is quoted,
 * the title only when no body line does; a line's first phrase in table
 * order names the error. */
START_TEST(outage_pages_say_why)
{
	static const struct {
		const char *html;
		int code;
		const char *message;
	} cases[] = {
		{ "<html><body><p>ＭＡＩＮＴＥＮＡＮＣＥ notice</p></body></html>", TSK_ECARRIER_UNAVAILABLE,
		  "fake: the tracking service is down for maintenance (ＭＡＩＮＴＥＮＡＮＣＥ notice)" },
		{ "<html><body><div><p>The Server \t Is Busy</p></div></body></html>", TSK_ERATELIMITED,
		  "fake: the tracking service is busy (The Server Is Busy)" },
		{ "<html><body><h1>メンテナンス</h1><p>ただいまシステムメンテナンス中です。</p></body></html>",
		  TSK_ECARRIER_UNAVAILABLE,
		  "fake: the tracking service is down for maintenance (ただいまシステムメンテナンス中です。)" },
		{ "<html><body><p>メンテ<b>ナンス</b>と<i>アクセスが</i>集中</p></body></html>", TSK_ERATELIMITED,
		  "fake: the tracking service is busy (メンテナンスとアクセスが集中)" },
		{ "<html><head><title>受付時間外のご案内</title></head><body><p>hello</p></body></html>",
		  TSK_ECARRIER_UNAVAILABLE,
		  "fake: the tracking service is outside its service hours (受付時間外のご案内)" },
		{ "<html><body><p>hello</p><script>var s = 'maintenance';</script></body></html>", TSK_ELAYOUT,
		  "fake: page layout not recognised (title \"\"; known layouts: fake-new, fake-old)" },
		{ "<html><body><p>maintenanc</p><p>e</p></body></html>", TSK_ELAYOUT,
		  "fake: page layout not recognised (title \"\"; known layouts: fake-new, fake-old)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tsk_shipment_list *l;
		tsk_error err;
		int rc = run(cases[i].html, 0, &l, &err);
		ck_assert_msg(rc == cases[i].code, "case %zu: %s (%s)", i, tsk_error_name(rc), err.message);
		ck_assert_int_eq(err.code, cases[i].code);
		ck_assert_str_eq(err.message, cases[i].message);
		ck_assert_uint_eq(tsk_shipment_list_count(l), 0);
		tsk_shipment_list_free(l);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("driver");
	tcase_add_test(tc, first_layout_in_table_order_names_every_shipment);
	tcase_add_test(tc, unknown_page_message_built_from_the_table);
	tcase_add_test(tc, cut_or_empty_pages_are_parse_errors);
	tcase_add_test(tc, page_is_read_whole_or_not_at_all);
	tcase_add_test(tc, recognised_page_without_the_numbers_asked);
	tcase_add_test(tc, every_carrier_words_layout_changed_alike);
	tcase_add_test(tc, outage_pages_say_why);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
