/*
 * The HTML helpers' direct tree walk (lib/html.c "paths") answers exactly
 * as libxml2's XPath: the same nodes in the same order, on every page of
 * tests/data, for the expressions the adapters use, from the document and
 * from every table, row, list item and block as context; and the
 * first-match query gives the first of them.
 *
 * A page's tree without the bodies of its scripts and styles (lib/html.c
 * "Raw text") is the tree libxml2 builds from the page as it is, minus
 * those bodies, and its scripts read the same: on every page of tests/data
 * and on markup built to trip the scan.
 */
#define _POSIX_C_SOURCE 200809L
#include "html.h"
#include "pagecheck.h"
#include "rawcheck.h"
#include "util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLS(c) "contains(concat(' ', normalize-space(@class), ' '), ' " c " ')"
#define HASCLASS(c) "contains(concat(' ',normalize-space(@class),' '),' " c " ')"

static const char *const exprs[] = {
	"//div[" CLS("parts-tracking-invoice-block") "]",
	".//*[" CLS("tracking-invoice-block-title") "]",
	".//*[" CLS("tracking-invoice-block-summary") "]//li",
	".//*[" CLS("tracking-invoice-block-detail") "]//li",
	".//*[" CLS("item") "]",
	".//*[" CLS("date") "]",
	".//a[starts-with(@href, '#AA')]",
	"./td",
	"th",
	"./th",
	"//body/*",
	".//input[@name='shopCode']",
	"//dd[@id='detail1']",
	"//span[" HASCLASS("state") "]",
	".//table[" HASCLASS("table_okurijo_detail2") "]",
	".//tr",
	"//tr[@class='search_result']",
	"//th[contains(., '配達状況')]",
	"//table[@summary='照会結果']//td[contains(., 'Your item was not found')]",
	"//*[@id='list1']//td",
	"//td[" HASCLASS("syosai-hd2-src") "]",
	"//title",
	"//table//tr/td",
	"//tr/td//a",
	"//div//div",
	".//li/*",
	"//*[starts-with(@class, 'tracking')]",
	"//td[contains(., '年')]",
	"(./tr | ./thead/tr | ./tbody/tr)[1]",
	"./th | ./td",
	"(./tr | ./tbody/tr)[1]/th",
	"(./tr | ./tbody/tr)[2]/td",
	"(./tr | ./tbody/tr)[td and not(th)]",
	"//tr[td/input[starts-with(@name, 'number') and @name != 'number00']]",
	"//table[@summary='照会結果' or @summary='配達状況詳細' or @summary='履歴情報']",
	"//table[@summary='照会結果' or @summary='配達状況詳細' or @summary='履歴情報']//th[contains(., "
	"'Shipping track record') or contains(., 'Item number')]",
	"(.//table)[1]",
	"(.//td)[2]",
	"(//*[@id='list1']//tr)[2]",
	"//table[" HASCLASS("ichiran-bg-toiawase_meisai") "]//tr[td[" HASCLASS("ichiran-table") "]]",
	"//table[.//td[" HASCLASS("syosai-hd2-src") "] and not(.//table[.//td[" HASCLASS("syosai-hd2-src") "]])]",
	"//div[not(@class)]//span | //li[@id]",
	"(//tr | //li)[3]//a",
	"//tr[3]",
	"(//td)[position() <= 60]",
	"(//td)[0]",
	"(.//tr)[1]/th",
	".//tr[td]",
	"//tr[not(td) and th]",
	"//td[not(contains(., '年') or @class)]",
	"//*[@id != 'list1' and starts-with(@id, 'l')]",
};

/* contexts: elements of these kinds, about this many per page */
static const char contexts[] = "//div | //li | //table | //tr | //dl | //dd | //td";
#define MAX_CONTEXTS 3

static void compare(tsk__html *page, xmlNodePtr ctx, const char *expr, const char *file)
{
	xmlXPathObjectPtr walked = tsk__html_xpath(page, ctx, expr);
	xmlXPathObjectPtr lib = tsk__html_xpath_libxml(page, ctx, expr);
	ck_assert_msg(walked && lib, "%s: %s gave no node set", file, expr);
	int n = tsk__xpath_count(lib);
	ck_assert_msg(tsk__xpath_count(walked) == n, "%s: %s: %d nodes walked, %d by libxml2", file, expr,
	              tsk__xpath_count(walked), n);
	for (int i = 0; i < n; i++)
		ck_assert_msg(tsk__xpath_node(walked, i) == tsk__xpath_node(lib, i), "%s: %s: node %d differs", file,
		              expr, i);
	ck_assert_msg(tsk__html_first(page, ctx, expr) == tsk__xpath_node(lib, 0), "%s: %s: first differs", file,
	              expr);
	xmlXPathFreeObject(walked);
	xmlXPathFreeObject(lib);
}

/* One page: every path walked as libxml2 evaluates it; every other page
 * inside a watch that lends one cache of compiled paths to all of them
 * (as a context does), the others each compiling their own. */
struct walk_run {
	struct tsk__walks *shared;
	size_t pages;
};

static void walk_page(const char *name, const char *body, size_t len, void *user)
{
	struct walk_run *run = user;
	tsk__html page;
	tsk_error err;
	tsk_error_clear(&err);
	tsk__xml_watch watch;
	bool lend = run->pages % 2 == 0;
	if (lend) {
		tsk__xml_watch_begin(&watch);
		watch.walks = run->shared;
	}
	if (tsk__html_parse(&page, body, len, NULL, &err) != TSK_OK) {
		if (lend)
			tsk__xml_watch_end(&watch);
		return;
	}
	ck_assert(page.walks_borrowed == lend);
	run->pages++;
	xmlXPathObjectPtr ctxs = tsk__html_xpath_libxml(&page, NULL, contexts);
	for (size_t e = 0; e < TSK__ARRAY_LEN(exprs); e++) {
		compare(&page, NULL, exprs[e], name);
		if (exprs[e][0] == '/')
			continue;
		/* contexts spread over the page */
		int nc = tsk__xpath_count(ctxs), step = nc / MAX_CONTEXTS + 1;
		for (int c = 0; c < nc; c += step)
			compare(&page, tsk__xpath_node(ctxs, c), exprs[e], name);
	}
	xmlXPathFreeObject(ctxs);
	tsk__html_free(&page);
	if (lend)
		ck_assert(!tsk__xml_watch_end(&watch));
}

START_TEST(walk_equals_xpath)
{
	struct walk_run run = { tsk__walks_new(), 0 };
	ck_assert_ptr_nonnull(run.shared);
	static const char *const dirs[] = { "yamato", "sagawa", "japanpost" };
	for (size_t d = 0; d < TSK__ARRAY_LEN(dirs); d++)
		tsk_test_each_page(dirs[d], walk_page, &run);
	ck_assert_uint_gt(run.pages, 30);
	tsk__walks_free(run.shared);
}
END_TEST

/* Parse both ways; the trees must agree. True when the bodies were left
 * out (the scan followed the whole page). */
static bool raw_same(const char *body, size_t len, const char *name)
{
	tsk__html a, b;
	tsk_error err;
	tsk_error_clear(&err);
	int ra = tsk__html_parse(&a, body, len, NULL, &err);
	int rb = tsk__html_parse_as_is(&b, body, len, NULL, &err);
	ck_assert_msg(ra == rb, "%s: parsed %d without bodies, %d as is", name, ra, rb);
	if (ra != TSK_OK)
		return false;
	bool left_out = a.scripts_known;
	char why[256];
	const char *d = rawcheck_diff(&a, &b, left_out, why, sizeof why);
	ck_assert_msg(!d, "%s: %s", name, d ? d : "");
	tsk__html_free(&a);
	tsk__html_free(&b);
	return left_out;
}

/* One page of a carrier's: the bodies left out (the scan follows every
 * Yamato and Sagawa page with scripts), the trees the same. */
struct raw_run {
	bool follows; /* the pages' scripts must be left out */
	size_t yamato_print;
};

static void raw_page(const char *name, const char *body, size_t len, void *user)
{
	struct raw_run *run = user;
	bool left_out = raw_same(body, len, name);
	ck_assert_msg(left_out || !run->follows || !strstr(body, "<script"), "%s: bodies kept", name);
	run->yamato_print += left_out && strstr(body, "function PRINT_") != NULL;
}

START_TEST(raw_bodies_left_out)
{
	struct raw_run yamato = { true, 0 }, sagawa = { true, 0 }, japanpost = { false, 0 };
	size_t pages = tsk_test_each_page("yamato", raw_page, &yamato) + tsk_test_each_page("sagawa", raw_page, &sagawa) +
	               tsk_test_each_page("japanpost", raw_page, &japanpost);
	ck_assert_uint_gt(pages, 60);
	/* among them the Yamato pages with print scripts (the bodies most
	 * worth leaving out) */
	ck_assert_uint_ge(yamato.yamato_print, 25);

	/* markup built to trip the scan; each either left out exactly as
	 * libxml2 reads it, or parsed as it is */
	static const struct {
		const char *html;
		bool left_out; /* the scan must follow it */
	} cases[] = {
		{ "<html><head><script>var a = '</div>';</script></head><body><p>x</p></body></html>", true },
		{ "<html><body><SCRIPT type=\"t\">a</SCRIPT><Style>p{}</sTyle><p>x</p></body></html>", true },
		/* a "<script" inside attribute values and comments is no script */
		{ "<html><body><a title=\"<script>\">x</a><p>y</p><script>z</script></body></html>", true },
		{ "<html><body><a title='a>b<script>c'>x</a><script>z</script></body></html>", true },
		{ "<html><body><a href=x<script>y</a><script>z</script></body></html>", true },
		{ "<html><body><!-- <script> --><p>x</p><script>z</script></body></html>", true },
		/* an empty script; one closed by "</scripts>" reads on */
		{ "<html><body><script/><p>x</p><script>z</script></body></html>", true },
		{ "<html><body><script>a</scripts>b</script><p>x</p></body></html>", false },
		{ "<html><body><script>a</script >b<p>x</p><script>z</script></body></html>", true },
		{ "<html><body><script>a</script x=\">\">b<p>x</p></body></html>", true },
		/* a DOCTYPE, a processing instruction, bogus attributes */
		{ "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><html><body><script>z</script></body></html>", true },
		{ "<?xml version=\"1.0\"?><html><body><script>z</script></body></html>", false },
		{ "<html><body><p \"x\">y</p><script>z</script></body></html>", false },
		{ "<html><body><p a=\"x>y</p><script>z</script></body></html>", false },
		{ "<html><body></ p><script>z</script></body></html>", true },
		{ "<html><body><p/ x><script>z</script></body></html>", false },
		{ "<html><body>a < b<script>if (a < b) x();</script></body></html>", true },
		/* elements whose text libxml2 2.9 reads as markup all the same */
		{ "<html><head><title>a<script>b</script>c</title></head><body><p>x</p></body></html>", true },
		{ "<html><body><textarea>a<script>b</script></textarea><xmp><script>c</script></xmp></body></html>", true },
		{ "<html><body><iframe><script>b</script></iframe><noscript><script>c</script></noscript></body></html>", true },
		{ "<html><body><plaintext><script>b</script><p>x</p></body></html>", true },
		{ "<html><body><_a title=\"<script>\">x</_a><:b><.c><script>z</script></body></html>", true },
		/* a body that starts with a tag (libxml2 reads the tag first) */
		{ "<html><body><script></x>a</script><p>x</p></body></html>", false },
		{ "<html><body><style><b>a</b></style><p>x</p></body></html>", false },
		{ "<html><body><script><!--\na\n--></script><p>x</p></body></html>", true },
		/* line ends and a body that is only markup */
		{ "<html><head><script>\r\na\r\nb\rc</script></head><body><p>x</p></body></html>", true },
		{ "<html><head><style><!-- p { } --></style></head><body><p>x</p></body></html>", true },
		/* unclosed: parsed as it is */
		{ "<html><body><p>x</p><script>never closed", false },
		{ "<html><body><p>x</p><style>p{}", false },
	};
	for (size_t i = 0; i < TSK__ARRAY_LEN(cases); i++) {
		char name[32];
		snprintf(name, sizeof name, "case %zu", i);
		ck_assert_msg(raw_same(cases[i].html, strlen(cases[i].html), name) == cases[i].left_out,
		              "%s: bodies %s", name, cases[i].left_out ? "kept" : "left out");
	}
}
END_TEST

START_TEST(class_words)
{
	static const char html[] = "<html><body><p class=' a\tb\r\nc  '>x</p><p class='ab'>y</p>"
	                           "<p>z</p></body></html>";
	tsk__html page;
	tsk_error err;
	tsk_error_clear(&err);
	ck_assert_int_eq(tsk__html_parse(&page, html, sizeof html - 1, NULL, &err), TSK_OK);
	xmlXPathObjectPtr ps = tsk__html_xpath_libxml(&page, NULL, "//p");
	ck_assert_int_eq(tsk__xpath_count(ps), 3);
	xmlNodePtr p0 = tsk__xpath_node(ps, 0), p1 = tsk__xpath_node(ps, 1), p2 = tsk__xpath_node(ps, 2);
	ck_assert(tsk__node_has_class(p0, "a") && tsk__node_has_class(p0, "b") && tsk__node_has_class(p0, "c"));
	ck_assert(!tsk__node_has_class(p0, "ab") && tsk__node_has_class(p1, "ab") && !tsk__node_has_class(p1, "a"));
	ck_assert(!tsk__node_has_class(p2, "a") && !tsk__node_has_class(NULL, "a"));
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, "//p[" CLS("c") "]"), p0);
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, "//p[" CLS("ab") "]"), p1);
	ck_assert_ptr_null(tsk__html_first(&page, NULL, "//p[" CLS("z") "]"));
	/* positions and unions; and outside the walked subset, libxml2 answers */
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, "(//p)[2]"), p1);
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, "//p[2]"), p1);
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, "//p[not(@class)]"), p2);
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, "//*[self::p][3]"), p2);
	xmlXPathObjectPtr both = tsk__html_xpath(&page, NULL, "//p | //body");
	ck_assert_int_eq(tsk__xpath_count(both), 4);
	xmlXPathFreeObject(both);
	/* each expression is compiled once per page and found again by its
	 * text: a buffer that held another expression before is read anew */
	char expr[128];
	snprintf(expr, sizeof expr, "//p[" CLS("ab") "]");
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, expr), p1);
	snprintf(expr, sizeof expr, "//p[" CLS("c") "]");
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, expr), p0);
	snprintf(expr, sizeof expr, "//p[@class='ab']");
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, expr), p1);
	snprintf(expr, sizeof expr, "//p[2]");
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, expr), p1);
	snprintf(expr, sizeof expr, "//p[" CLS("c") "]");
	ck_assert_ptr_eq(tsk__html_first(&page, NULL, expr), p0);
	xmlXPathFreeObject(ps);
	tsk__html_free(&page);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("paths");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, walk_equals_xpath);
	tcase_add_test(tc, class_words);
	tcase_add_test(tc, raw_bodies_left_out);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
