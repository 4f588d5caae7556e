/*
 * The HTML helpers' direct tree walk (lib/html.c "paths") answers exactly
 * as libxml2's XPath: the same nodes in the same order, on every page of
 * tests/data, for the expressions the adapters use, from the document and
 * from every table, row, list item and block as context; and the
 * first-match query gives the first of them.
 */
#define _POSIX_C_SOURCE 200809L
#include "html.h"
#include "util.h"

#include <check.h>
#include <dirent.h>
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

START_TEST(walk_equals_xpath)
{
	const char *data = getenv("TSK_TEST_DATA");
	ck_assert_ptr_nonnull(data);
	static const char *const dirs[] = { "yamato", "sagawa", "japanpost" };
	size_t pages = 0;
	/* every other page is parsed inside a watch that lends one cache of
	 * compiled paths to all of them (as a context does), the others each
	 * compile their own */
	struct tsk__walks *shared = tsk__walks_new();
	ck_assert_ptr_nonnull(shared);
	for (size_t d = 0; d < TSK__ARRAY_LEN(dirs); d++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", data, dirs[d]);
		DIR *dh = opendir(dir);
		ck_assert_ptr_nonnull(dh);
		struct dirent *de;
		while ((de = readdir(dh))) {
			size_t l = strlen(de->d_name);
			if (l < 5 || strcmp(de->d_name + l - 5, ".html") != 0)
				continue;
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			char *body = NULL;
			size_t len = 0;
			ck_assert_int_eq(tsk__read_file(path, 1 << 24, &body, &len), 0);
			tsk__html page;
			tsk_error err;
			tsk_error_clear(&err);
			tsk__xml_watch watch;
			bool lend = pages % 2 == 0;
			if (lend) {
				tsk__xml_watch_begin(&watch);
				watch.walks = shared;
			}
			if (tsk__html_parse(&page, body, len, NULL, &err) != TSK_OK) {
				if (lend)
					tsk__xml_watch_end(&watch);
				free(body);
				continue;
			}
			ck_assert(page.walks_borrowed == lend);
			pages++;
			xmlXPathObjectPtr ctxs = tsk__html_xpath_libxml(&page, NULL, contexts);
			for (size_t e = 0; e < TSK__ARRAY_LEN(exprs); e++) {
				compare(&page, NULL, exprs[e], de->d_name);
				if (exprs[e][0] == '/')
					continue;
				/* contexts spread over the page */
				int nc = tsk__xpath_count(ctxs), step = nc / MAX_CONTEXTS + 1;
				for (int c = 0; c < nc; c += step)
					compare(&page, tsk__xpath_node(ctxs, c), exprs[e], de->d_name);
			}
			xmlXPathFreeObject(ctxs);
			tsk__html_free(&page);
			if (lend)
				ck_assert(!tsk__xml_watch_end(&watch));
			free(body);
		}
		closedir(dh);
	}
	ck_assert_uint_gt(pages, 30);
	tsk__walks_free(shared);
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
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
