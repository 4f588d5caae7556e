/*
 * Sagawa Express adapter: the real 2009 pages and the synthetic pages of
 * today's layout against their sidecars, layout and parse errors,
 * truncated pages, the status table (every status.def row, the words of
 * carriers/sagawa/README.md, the 2009 sentence templates), check digits and requests.
 */
#include "model.h" /* lib/: the shipment fields without a public getter */
#include "pagecheck.h"
#include "statusmap.h"
#include "tsuiseki.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const tsk_adapter tsk__adapter_sagawa;

#define NOW_2009 "2009-07-20T12:00:00+09:00"
#define NOW_2024 "2024-03-07T12:00:00+09:00"

static const char *fmt(const tsk_time *t)
{
	static char buf[64];
	if (!t)
		return "(none)";
	tsk_time_format(buf, sizeof buf, t);
	return buf;
}

/* Parse bytes with the registered adapter at the given now. */
static int parse_bytes(tsk_shipment_list **out, const char *body, size_t len, const char *now,
                       char *msg, size_t msgsize)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	tsk_time t;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&t, now), TSK_OK);
	tsk_ctx_set_now(ctx, &t);
	int rc = tsk_parse(out, ctx, "sagawa", body, len, NULL);
	if (msg)
		snprintf(msg, msgsize, "%s", tsk_ctx_last_error(ctx));
	tsk_ctx_free(ctx);
	return rc;
}

static tsk_shipment_list *parse_file(const char *rel, const char *now)
{
	size_t len;
	char *page = tsk_test_read(rel, &len);
	tsk_shipment_list *l = NULL;
	char msg[512];
	int rc = parse_bytes(&l, page, len, now, msg, sizeof msg);
	ck_assert_msg(rc == TSK_OK, "%s: %s", rel, msg);
	free(page);
	return l;
}

/* Replace the first occurrence of from by to (caller frees). */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	ck_assert_ptr_nonnull(at);
	size_t n = strlen(text) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	size_t head = (size_t)(at - text);
	memcpy(out, text, head);
	strcpy(out + head, to);
	strcat(out, at + strlen(from));
	return out;
}

/* ------------------------------------------------------------ real pages */

/* Each page against its expectation: tests/unit/test_pages.c. */

START_TEST(real_single_delivered)
{
	tsk_shipment_list *l = parse_file("sagawa/sagawa_2009_single_delivered.html", NOW_2009);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "sagawa-2009");
	ck_assert_str_eq(tsk_shipment_status_text(s), "配達終了");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2009-07-12T11:27:00+09:00");
	ck_assert_ptr_null(tsk_shipment_eta(s));
	/* お預かり店 / 配達店: the offices, the nearest thing to regions */
	ck_assert_str_eq(s->text[TSK_SHIPMENT_ORIGIN_REGION], "城南店");
	ck_assert_str_eq(s->text[TSK_SHIPMENT_DESTINATION_REGION], "久喜店");
	/* the undated first event has no time; date-only events are day precision */
	ck_assert_int_eq(tsk_event_time(tsk_shipment_event_at(s, 0))->precision, TSK_PRECISION_NONE);
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 1))), "2009-07-11T13:44:00+09:00");
	const tsk_event *ofd = tsk_shipment_event_at(s, 2);
	ck_assert_int_eq(tsk_event_time(ofd)->precision, TSK_PRECISION_DAY);
	ck_assert_str_eq(fmt(tsk_event_time(ofd)), "2009-07-12T00:00:00+09:00");
	ck_assert_int_eq(tsk_event_status(ofd), TSK_STATUS_OUT_FOR_DELIVERY);
	/* the office a sentence names becomes the location */
	ck_assert_str_eq(tsk_event_location(ofd), "久喜店");
	ck_assert_str_eq(tsk_event_location(tsk_shipment_event_at(s, 1)), "城南店");
	ck_assert_ptr_null(tsk_event_location(tsk_shipment_event_at(s, 3)));
	for (size_t i = 0; i < tsk_shipment_event_count(s); i++)
		ck_assert_int_eq(tsk_event_unmapped(tsk_shipment_event_at(s, i)), 0);
	ck_assert_uint_eq(tsk_shipment_exception_count(s), 0);
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(real_multi3_absence)
{
	tsk_shipment_list *l = parse_file("sagawa/sagawa_2009_multi3_absence_delivered.html", NOW_2009);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 3);
	/* summary order is kept */
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 0)), "600080190146");
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 1)), "600080758362");
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 2)), "600080936070");
	const tsk_shipment *s = tsk_shipment_list_at(l, 1);
	ck_assert_int_eq(tsk_event_status(tsk_shipment_event_at(s, 2)), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_exception(tsk_shipment_event_at(s, 2)), TSK_EXC_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_status(tsk_shipment_event_at(s, 5)), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2009-07-18T14:16:00+09:00");
	const tsk_shipment *t = tsk_shipment_list_at(l, 2);
	const tsk_event *held = tsk_shipment_event_at(t, 4);
	ck_assert_str_eq(tsk_event_carrier_status(held), "練馬店でお預かりしております。");
	ck_assert_int_eq(tsk_event_status(held), TSK_STATUS_AVAILABLE_FOR_PICKUP);
	ck_assert_int_eq(tsk_event_exception(held), TSK_EXC_HELD_AT_OFFICE);
	ck_assert_int_eq(tsk_event_unmapped(held), 0);
	ck_assert_str_eq(tsk_event_location(held), "練馬店");
	ck_assert_int_eq(tsk_shipment_status(t), TSK_STATUS_DELIVERED);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(tsk_shipment_layout(tsk_shipment_list_at(l, i)), "sagawa-2009");
	tsk_shipment_list_free(l);
}
END_TEST

/* ------------------------------------------------------- synthetic pages */

START_TEST(synthetic_delivered)
{
	tsk_shipment_list *l = parse_file("sagawa/synthetic_2022_delivered.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_str_eq(tsk_shipment_status_text(s), "配達完了");
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2024-03-05T11:27:00+09:00");
	ck_assert_ptr_null(tsk_shipment_eta(s));
	ck_assert_ptr_null(tsk_shipment_next_poll(s));
	const tsk_event *first = tsk_shipment_event_at(s, 0);
	ck_assert_str_eq(tsk_event_carrier_status(first), "集荷");
	ck_assert_str_eq(tsk_event_location(first), "東京営業所");
	ck_assert_str_eq(fmt(tsk_event_time(first)), "2024-03-04T15:02:00+09:00");
	ck_assert_uint_eq(tsk_shipment_exception_count(s), 0);
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_in_transit_eta)
{
	tsk_shipment_list *l = parse_file("sagawa/synthetic_2022_in_transit_eta.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	ck_assert_str_eq(tsk_shipment_status_text(s), "輸送中");
	const tsk_eta *eta = tsk_shipment_eta(s);
	ck_assert_ptr_nonnull(eta);
	ck_assert_int_eq(eta->source, TSK_ETA_CARRIER);
	ck_assert_str_eq(fmt(&eta->earliest), "2024-03-06T00:00:00+09:00");
	ck_assert_str_eq(fmt(&eta->latest), "2024-03-06T23:59:00+09:00");
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_out_for_delivery)
{
	tsk_shipment_list *l = parse_file("sagawa/synthetic_2022_out_for_delivery.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_OUT_FOR_DELIVERY);
	const tsk_eta *eta = tsk_shipment_eta(s);
	ck_assert_ptr_nonnull(eta);
	ck_assert_str_eq(fmt(&eta->earliest), "2024-03-05T08:00:00+09:00");
	ck_assert_str_eq(fmt(&eta->latest), "2024-03-05T12:00:00+09:00");
	ck_assert_ptr_nonnull(tsk_shipment_next_poll(s));
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_held_rules)
{
	tsk_shipment_list *l = parse_file("sagawa/synthetic_2022_held_after_attempt.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	const tsk_event *last = tsk_shipment_event_at(s, tsk_shipment_event_count(s) - 1);
	ck_assert_str_eq(tsk_event_carrier_status(last), "保管中");
	ck_assert_int_eq(tsk_event_status(last), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_exception(last), TSK_EXC_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_unmapped(last), 0);
	/* the state field (保管中) follows the same rule */
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_str_eq(tsk_shipment_status_text(s), "保管中");
	tsk_shipment_list_free(l);

	l = parse_file("sagawa/synthetic_2022_held.html", NOW_2024);
	s = tsk_shipment_list_at(l, 0);
	last = tsk_shipment_event_at(s, tsk_shipment_event_count(s) - 1);
	ck_assert_int_eq(tsk_event_status(last), TSK_STATUS_AVAILABLE_FOR_PICKUP);
	ck_assert_int_eq(tsk_event_exception(last), TSK_EXC_HELD_AT_OFFICE);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_AVAILABLE_FOR_PICKUP);
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_not_found)
{
	tsk_shipment_list *l = parse_file("sagawa/synthetic_2022_not_found.html", NOW_2024);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_tracking_number(s), "360477021601");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENOTFOUND);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_NOT_FOUND);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 0);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(s), "お荷物データが登録されておりません。"));
	ck_assert_str_eq(tsk_shipment_layout(s), "sagawa-2022");
	tsk_shipment_list_free(l);
}
END_TEST

/* The other not-found texts (carriers/sagawa/README.md) give not_found;
 * the "check the number" ones are the carrier saying it is not valid. */
START_TEST(synthetic_not_found_texts)
{
	static const char *const why[] = {
		"お問い合わせのデータは登録されておりません。",
		"恐れ入りますが、お問い合せ送り状NOをお確かめください。",
		"お問い合わせNo.をお確かめ下さい。",
		"伝票番号未登録",
	};
	static const int code[] = { TSK_ENOTFOUND, TSK_EINVALID_NUMBER, TSK_EINVALID_NUMBER, TSK_ENOTFOUND };
	char *page = tsk_test_read("sagawa/synthetic_2022_not_found.html", NULL);
	for (size_t i = 0; i < sizeof why / sizeof why[0]; i++) {
		char *p = replace(page, "お荷物データが登録されておりません。", why[i]);
		tsk_shipment_list *l = NULL;
		ck_assert_int_eq(parse_bytes(&l, p, strlen(p), NOW_2024, NULL, 0), TSK_OK);
		const tsk_shipment *s = tsk_shipment_list_at(l, 0);
		ck_assert_int_eq(tsk_shipment_error(s), code[i]);
		ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(s), why[i]));
		ck_assert_uint_eq(tsk_shipment_event_count(s), 0);
		tsk_shipment_list_free(l);
		free(p);
	}
	free(page);
}
END_TEST

START_TEST(synthetic_under_investigation)
{
	tsk_shipment_list *l = parse_file("sagawa/synthetic_2022_under_investigation.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_EXCEPTION);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 0);
	ck_assert_str_eq(tsk_shipment_status_text(s),
	                 "調査中／恐れ入りますが、営業所へお問い合わせください。");
	tsk_shipment_list_free(l);

	/* the bare word in span.state, the message elsewhere: same answer */
	char *page = tsk_test_read("sagawa/synthetic_2022_under_investigation.html", NULL);
	char *p = replace(page, "<span class=\"state\">調査中／恐れ入りますが、営業所へお問い合わせください。</span>",
	                  "<span class=\"state\">調査中</span>");
	ck_assert_int_eq(parse_bytes(&l, p, strlen(p), NOW_2024, NULL, 0), TSK_OK);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 0)), TSK_STATUS_EXCEPTION);
	tsk_shipment_list_free(l);
	free(p);
	free(page);
}
END_TEST

START_TEST(synthetic_unknown_word)
{
	tsk_shipment_list *l = parse_file("sagawa/synthetic_2022_unknown_word.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 3);
	const tsk_event *last = tsk_shipment_event_at(s, 2);
	ck_assert_str_eq(tsk_event_carrier_status(last), "仕分作業中");
	ck_assert_int_eq(tsk_event_unmapped(last), 1);
	ck_assert_int_eq(tsk_event_status(last), TSK_STATUS_UNKNOWN);
	ck_assert_str_eq(fmt(tsk_event_time(last)), "2024-03-05T03:15:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	ck_assert_str_eq(tsk_shipment_status_text(s), "仕分作業中");
	int seen = 0;
	for (size_t i = 0; i < tsk_shipment_exception_count(s); i++) {
		const tsk_exception *e = tsk_shipment_exception_at(s, i);
		if (e->code == TSK_EXC_UNMAPPED_STATUS && e->event_index == 2)
			seen = 1;
	}
	ck_assert_int_eq(seen, 1);
	tsk_shipment_list_free(l);
}
END_TEST

/* 出荷日 carries the year: the answer does not depend on now. */
START_TEST(synthetic_new_year)
{
	static const char *const nows[] = {
		"2024-01-02T12:00:00+09:00", "2024-03-07T12:00:00+09:00",
		"2023-06-01T12:00:00+09:00", "2031-12-31T23:00:00+09:00",
	};
	static const char *const want[] = {
		"2023-12-30T15:02:00+09:00", "2023-12-31T22:10:00+09:00",
		"2024-01-02T08:40:00+09:00", "2024-01-02T10:05:00+09:00",
	};
	for (size_t k = 0; k < sizeof nows / sizeof nows[0]; k++) {
		tsk_shipment_list *l = parse_file("sagawa/synthetic_2022_new_year.html", nows[k]);
		const tsk_shipment *s = tsk_shipment_list_at(l, 0);
		ck_assert_uint_eq(tsk_shipment_event_count(s), 4);
		for (size_t i = 0; i < 4; i++)
			ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, i))), want[i]);
		ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2024-01-02T10:05:00+09:00");
		tsk_shipment_list_free(l);
	}
	/* without the 出荷日 label, table #0's td[1] still gives the year */
	char *page = tsk_test_read("sagawa/synthetic_2022_new_year.html", NULL);
	char *p = replace(page,
	                  "<tr><th>お問い合せ送り状NO</th><td>3604-7702-1590</td></tr>\n"
	                  "      <tr><th>出荷日</th><td>2023年12月30日</td></tr>",
	                  "<tr><td>3604-7702-1590</td><td>2023年12月30日</td></tr>");
	tsk_shipment_list *l = NULL;
	ck_assert_int_eq(parse_bytes(&l, p, strlen(p), "2031-12-31T23:00:00+09:00", NULL, 0), TSK_OK);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 0))), want[0]);
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 3))), want[3]);
	tsk_shipment_list_free(l);
	free(p);
	free(page);
}
END_TEST

START_TEST(eta_forms)
{
	static const struct {
		const char *shown, *earliest, *latest;
	} cases[] = {
		{ "03月06日 14時～16時", "2024-03-06T14:00:00+09:00", "2024-03-06T16:00:00+09:00" },
		{ "2024年03月06日", "2024-03-06T00:00:00+09:00", "2024-03-06T23:59:00+09:00" },
		{ "03月06日 18:00-20:00", "2024-03-06T18:00:00+09:00", "2024-03-06T20:00:00+09:00" },
	};
	char *page = tsk_test_read("sagawa/synthetic_2022_in_transit_eta.html", NULL);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char from[64], to[128];
		snprintf(from, sizeof from, "<dd>03月06日</dd>");
		snprintf(to, sizeof to, "<dd>%s</dd>", cases[i].shown);
		char *p = replace(page, from, to);
		tsk_shipment_list *l = NULL;
		ck_assert_int_eq(parse_bytes(&l, p, strlen(p), NOW_2024, NULL, 0), TSK_OK);
		const tsk_eta *eta = tsk_shipment_eta(tsk_shipment_list_at(l, 0));
		ck_assert_ptr_nonnull(eta);
		ck_assert_str_eq(fmt(&eta->earliest), cases[i].earliest);
		ck_assert_str_eq(fmt(&eta->latest), cases[i].latest);
		tsk_shipment_list_free(l);
		free(p);
	}
	/* text that is no date: kept as shown, no carrier window (the model may estimate) */
	char *p = replace(page, "<dd>03月06日</dd>", "<dd>お問い合わせください</dd>");
	tsk_shipment_list *l = NULL;
	ck_assert_int_eq(parse_bytes(&l, p, strlen(p), NOW_2024, NULL, 0), TSK_OK);
	const tsk_eta *no_window = tsk_shipment_eta(tsk_shipment_list_at(l, 0));
	ck_assert(no_window == NULL || no_window->source != TSK_ETA_CARRIER);
	tsk_shipment_list_free(l);
	free(p);
	free(page);
}
END_TEST

/* A number the page does not show comes from the request. */
START_TEST(number_from_request)
{
	char *page = tsk_test_read("sagawa/synthetic_2022_held.html", NULL);
	char *p1 = replace(page, "<dt>お問い合せ送り状NO</dt><dd>3604-7702-1575</dd>", "");
	char *p = replace(p1, "<tr><th>お問い合せ送り状NO</th><td>3604-7702-1575</td></tr>", "");
	const char *asked[] = { "360477021575" };
	tsk_response resp = { TSK_RESPONSE_VERSION, p, strlen(p), "text/html; charset=UTF-8", 200, asked, 1, NULL };
	tsk_parse_env env = { TSK_PARSE_ENV_VERSION, { 0, 0, 0 }, "ja" };
	ck_assert_int_eq(tsk_time_parse_rfc3339(&env.now, NOW_2024), TSK_OK);
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_shipment_list_new(&l), TSK_OK);
	tsk_error err;
	tsk_error_clear(&err);
	ck_assert_int_eq(tsk__adapter_sagawa.parse(&tsk__adapter_sagawa, &resp, &env, l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 0)), "360477021575");
	ck_assert_uint_eq(tsk_shipment_event_count(tsk_shipment_list_at(l, 0)), 3);
	tsk_shipment_list_free(l);
	free(p);
	free(p1);
	free(page);
}
END_TEST

/* ------------------------------------------------------- errors and junk */

/* The history's rows are read in page order whether they sit in the
 * table itself or in its thead, tbody and tfoot. */
START_TEST(history_in_table_sections)
{
	size_t len;
	char *page = tsk_test_read("sagawa/synthetic_2022_delivered.html", &len);
	char *a = replace(page, "<tr><th>荷物状況</th><th>日時</th><th>担当営業所</th></tr>",
	                  "<thead><tr><th>荷物状況</th><th>日時</th><th>担当営業所</th></tr></thead><tbody>");
	char *b = replace(a, "<tr><td>↓輸送中</td><td>03/05 06:12</td>",
	                  "</tbody><tr><td>↓輸送中</td><td>03/05 06:12</td>");
	char *c = replace(b, "<tr><td>↓配達中</td>", "<tfoot><tr><td>↓配達中</td>");
	char *d = replace(c, "</table>\n  </dd>", "</tfoot></table>\n  </dd>");
	tsk_shipment_list *plain = NULL, *sections = NULL;
	char msg[512];
	ck_assert_int_eq(parse_bytes(&plain, page, len, NOW_2024, msg, sizeof msg), TSK_OK);
	int rc = parse_bytes(&sections, d, strlen(d), NOW_2024, msg, sizeof msg);
	ck_assert_msg(rc == TSK_OK, "%s", msg);
	const tsk_shipment *p = tsk_shipment_list_at(plain, 0), *s = tsk_shipment_list_at(sections, 0);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 5);
	ck_assert_uint_eq(tsk_shipment_event_count(s), tsk_shipment_event_count(p));
	for (size_t i = 0; i < tsk_shipment_event_count(p); i++) {
		const tsk_event *e = tsk_shipment_event_at(s, i), *f = tsk_shipment_event_at(p, i);
		ck_assert_str_eq(tsk_event_carrier_status(e), tsk_event_carrier_status(f));
		ck_assert_str_eq(tsk_event_time_raw(e), tsk_event_time_raw(f));
		ck_assert_str_eq(tsk_event_location(e), tsk_event_location(f));
	}
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	tsk_shipment_list_free(plain);
	tsk_shipment_list_free(sections);
	free(page);
	free(a);
	free(b);
	free(c);
	free(d);
}
END_TEST

/* A history table without its class is found by its first cell, 荷物状況
 * (README.md, Layouts), even with the header row in a thead. */
START_TEST(history_found_by_its_header)
{
	size_t len;
	char *page = tsk_test_read("sagawa/synthetic_2022_delivered.html", &len);
	char *a = replace(page, "table_basic table_okurijo_detail2", "table_basic");
	char *b = replace(a, "<tr><th>荷物状況</th><th>日時</th><th>担当営業所</th></tr>",
	                  "<thead><tr><th> 荷物状況 </th><th>日時</th><th>担当営業所</th></tr></thead>");
	char *c = replace(b, "<th> 荷物状況 </th>", "<th>状況</th>");
	tsk_shipment_list *l = NULL;
	char msg[512];
	int rc = parse_bytes(&l, b, strlen(b), NOW_2024, msg, sizeof msg);
	ck_assert_msg(rc == TSK_OK, "%s", msg);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 5);
	ck_assert_str_eq(tsk_event_carrier_status(tsk_shipment_event_at(s, 0)), "集荷");
	ck_assert_str_eq(tsk_event_carrier_status(tsk_shipment_event_at(s, 4)), "配達完了");
	tsk_shipment_list_free(l);
	/* a table headed otherwise is not the history: the state alone */
	l = NULL;
	rc = parse_bytes(&l, c, strlen(c), NOW_2024, msg, sizeof msg);
	ck_assert_msg(rc == TSK_OK, "%s", msg);
	ck_assert_uint_eq(tsk_shipment_event_count(tsk_shipment_list_at(l, 0)), 0);
	tsk_shipment_list_free(l);
	free(page);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(unknown_layout)
{
	static const char *const pages[] = {
		"<html><body><h1>お問い合せ送り状詳細</h1><div class=\"tracking\"><p>配達完了</p>"
		"<p>集荷に関するお問い合せ</p></div></body></html>",
		/* span.state alone, nothing around it */
		"<html><body><span class=\"state\">配達完了</span></body></html>",
		/* a recognised frame with neither state nor history */
		"<html><body><span class=\"state\"></span><dl class=\"okurijo_info\"><dt>x</dt><dd>y</dd>"
		"</dl></body></html>",
		/* 2009 frame without any number */
		"<html><body><table class=\"ichiran-bg ichiran-bg-toiawase_meisai\"><tr><td>"
		"お問い合わせNo.</td></tr></table></body></html>",
	};
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		tsk_shipment_list *l = NULL;
		char msg[512];
		int rc = parse_bytes(&l, pages[i], strlen(pages[i]), NOW_2024, msg, sizeof msg);
		ck_assert_msg(rc == TSK_ELAYOUT, "page %zu: %s (%s)", i, tsk_error_name(rc), msg);
		ck_assert_ptr_null(l);
		/* the shape every adapter uses: <carrier>: <what> (<details>) */
		ck_assert_msg(strncmp(msg, "sagawa: page layout not recognised (", 36) == 0,
		              "message names the carrier once: %s", msg);
	}
}
END_TEST

START_TEST(not_html)
{
	static const char json[] = "{\"okurijoNo\":\"360477021531\",\"state\":\"配達完了\"}";
	static const char binary[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
	static const char text[] = "配達完了 360477021531";
	tsk_shipment_list *l = NULL;
	ck_assert_int_eq(parse_bytes(&l, json, sizeof json - 1, NOW_2024, NULL, 0), TSK_EPARSE);
	ck_assert_int_eq(parse_bytes(&l, binary, sizeof binary - 1, NOW_2024, NULL, 0), TSK_EPARSE);
	ck_assert_int_eq(parse_bytes(&l, text, sizeof text - 1, NOW_2024, NULL, 0), TSK_EPARSE);
	ck_assert_int_eq(parse_bytes(&l, "", 0, NOW_2024, NULL, 0), TSK_EPARSE);
	ck_assert_ptr_null(l);
}
END_TEST

START_TEST(truncated_real_page)
{
	size_t len;
	char *page = tsk_test_read("sagawa/sagawa_2009_single_delivered.html", &len);
	tsk_shipment_list *l = NULL;
	/* a page cut anywhere is a parse error naming the truncation, never a
	 * shorter history whose status could be stale */
	ck_assert_int_eq(parse_bytes(&l, page, 1000, NOW_2009, NULL, 0), TSK_EPARSE);
	ck_assert_ptr_null(l);
	const char *cut = strstr(page, "id=\"_id43:tb2\"");
	ck_assert_ptr_nonnull(cut);
	char msg[512];
	ck_assert_int_eq(parse_bytes(&l, page, (size_t)(cut - page), NOW_2009, msg, sizeof msg), TSK_EPARSE);
	ck_assert_msg(strstr(msg, "truncated"), "%s", msg);
	cut = strstr(page, "&#8593;");   /* inside the history cell */
	ck_assert_ptr_nonnull(cut);
	ck_assert_int_eq(parse_bytes(&l, page, (size_t)(cut - page), NOW_2009, NULL, 0), TSK_EPARSE);
	/* the whole page still parses */
	ck_assert_int_eq(parse_bytes(&l, page, len, NOW_2009, NULL, 0), TSK_OK);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 0)), TSK_STATUS_DELIVERED);
	tsk_shipment_list_free(l);
	free(page);

	/* every prefix of both pages: an answer or a clear error, never a crash */
	static const char *const files[] = { "sagawa/sagawa_2009_single_delivered.html",
		                             "sagawa/sagawa_2009_multi3_absence_delivered.html",
		                             "sagawa/synthetic_2022_delivered.html" };
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		page = tsk_test_read(files[f], &len);
		for (size_t n = 0; n < len; n += 211) {
			int rc = parse_bytes(&l, page, n, NOW_2009, NULL, 0);
			ck_assert_msg(rc == TSK_OK || rc == TSK_ELAYOUT || rc == TSK_EPARSE,
			              "%s cut at %zu: %s", files[f], n, tsk_error_name(rc));
			if (rc == TSK_OK)
				tsk_shipment_list_free(l);
			else
				ck_assert_ptr_null(l);
		}
		free(page);
	}
}
END_TEST

/* --------------------------------------------------------- status table */

static void map(const char *word, tsk_status_mapping *m)
{
	memset(m, 0xff, sizeof *m);
	tsk__adapter_sagawa.map_status(&tsk__adapter_sagawa, word, m);
}

typedef struct row {
	const char *word;
	tsk_status status;
	tsk_exception_code exception;
} row;

/* every row of status.def, of its three kinds (lib/statusmap.h) */
static const tsk__status_word def_rows[] = {
#include "carriers/sagawa/status.def"
};
#define N_DEF_ROWS (sizeof def_rows / sizeof def_rows[0])

static size_t count_kind(tsk__status_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < N_DEF_ROWS; i++)
		n += def_rows[i].kind == kind;
	return n;
}

START_TEST(table_rows_map)
{
	ck_assert_uint_gt(count_kind(TSK__STATUS_EXACT), 30);
	for (size_t i = 0; i < N_DEF_ROWS; i++) {
		const tsk__status_word *r = &def_rows[i];
		if (r->kind != TSK__STATUS_EXACT)
			continue;
		static const char *const prefixes[] = { "", "↓", "⇒", "↑ ", "　" };
		for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
			char word[512];
			snprintf(word, sizeof word, "%s%s", prefixes[k], r->word);
			tsk_status_mapping m;
			map(word, &m);
			ck_assert_msg(m.status == r->status && m.exception == r->exception && m.unmapped == 0,
			              "%s: got %s/%s unmapped=%d", word, tsk_status_to_string(m.status),
			              tsk_exception_to_string(m.exception), m.unmapped);
			ck_assert_ptr_nonnull(m.english);
		}
	}
}
END_TEST

/* Every word of carriers/sagawa/README.md and of the real pages, as written there. */
START_TEST(carriers_words)
{
	static const row words[] = {
		{ "荷物受付", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE }, /* DESIGN.md wins over one source */
		{ "出荷情報受付", TSK_STATUS_INFO_RECEIVED, TSK_EXC_NONE },
		{ "集荷", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
		{ "↓集荷", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
		{ "輸送中", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
		{ "↓輸送中", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
		{ "幹線輸送中", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
		{ "配達店到着", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
		{ "お荷物をお預かり致しました。", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
		{ "城南店を出発致しました。", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
		{ "配達中", TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE },
		{ "↓配達中", TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE },
		{ "お届け中", TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE },
		{ "久喜店から配達に出発致しました。", TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE },
		{ "持戻り", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
		{ "持ち戻り", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
		{ "不在持戻", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
		{ "不在", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
		{ "持戻", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
		{ "ご不在でしたので、お預かりしております。", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
		{ "配達店へ持ち帰りました。", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
		{ "保管中", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE },
		{ "↓保管中", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE },
		{ "営業所保管", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE },
		{ "練馬店でお預かりしております。", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE },
		{ "長期不在", TSK_STATUS_EXCEPTION, TSK_EXC_FAILED_ATTEMPT },
		{ "受取辞退", TSK_STATUS_EXCEPTION, TSK_EXC_REFUSED },
		{ "受取拒否", TSK_STATUS_EXCEPTION, TSK_EXC_REFUSED },
		{ "返送", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
		{ "差出人返送", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
		{ "返品", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
		{ "調査中", TSK_STATUS_EXCEPTION, TSK_EXC_UNDER_INVESTIGATION },
		{ "調査中／恐れ入りますが、営業所へお問い合わせください。", TSK_STATUS_EXCEPTION,
		  TSK_EXC_UNDER_INVESTIGATION },
		{ "配達完了", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
		{ "⇒配達完了", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
		{ "お届け済", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
		{ "配達済", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
		{ "配達終了", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
		{ "配達は終了致しました。", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
		{ "引渡完了", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
		{ "該当なし", TSK_STATUS_NOT_FOUND, TSK_EXC_NONE },
		{ "お荷物データが登録されておりません。", TSK_STATUS_NOT_FOUND, TSK_EXC_NONE },
		{ "お問い合わせのデータは登録されておりません。", TSK_STATUS_NOT_FOUND, TSK_EXC_NONE },
		{ "伝票番号未登録", TSK_STATUS_NOT_FOUND, TSK_EXC_NONE },
		{ "恐れ入りますが、お問い合せ送り状NOをお確かめください。", TSK_STATUS_NOT_FOUND, TSK_EXC_NONE },
		{ "お問い合わせNo.をお確かめ下さい。", TSK_STATUS_NOT_FOUND, TSK_EXC_NONE },
		/* full-width spelling of the same word */
		{ "恐れ入りますが、お問い合せ送り状ＮＯをお確かめください。", TSK_STATUS_NOT_FOUND, TSK_EXC_NONE },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		tsk_status_mapping m;
		map(words[i].word, &m);
		ck_assert_msg(m.status == words[i].status && m.exception == words[i].exception &&
		                  m.unmapped == 0,
		              "%s: got %s/%s unmapped=%d", words[i].word, tsk_status_to_string(m.status),
		              tsk_exception_to_string(m.exception), m.unmapped);
	}
}
END_TEST

START_TEST(templates)
{
	ck_assert_uint_eq(count_kind(TSK__STATUS_TEMPLATE), 3);
	static const char *const offices[] = { "城南店", "世田谷店", "ＳＧ中継センター" };
	const tsk__status_word *template_rows = def_rows;
	for (size_t i = 0; i < N_DEF_ROWS; i++) {
		if (template_rows[i].kind != TSK__STATUS_TEMPLATE)
			continue;
		for (size_t k = 0; k < sizeof offices / sizeof offices[0]; k++) {
			char word[256];
			snprintf(word, sizeof word, "%s%s", offices[k], template_rows[i].word);
			tsk_status_mapping m;
			map(word, &m);
			ck_assert_msg(m.status == template_rows[i].status &&
			                  m.exception == template_rows[i].exception && m.unmapped == 0,
			              "%s: got %s unmapped=%d", word, tsk_status_to_string(m.status), m.unmapped);
		}
		/* no office, or a whole sentence in front: not the template */
		tsk_status_mapping m;
		map(template_rows[i].word, &m);
		ck_assert_int_eq(m.unmapped, 1);
		char word[256];
		snprintf(word, sizeof word, "ご不在でしたので、城南店%s", template_rows[i].word);
		map(word, &m);
		ck_assert_int_eq(m.unmapped, 1);
	}
	/* a 2009 hold right after a delivery run is a failed attempt: the
	 * context rule applies to the template too */
	static const char page[] =
		"<html><body><table class=\"ichiran-bg syosai-bg-src\">"
		"<tr><td class=\"syosai-hd2-src\">お問い合わせNo.</td><td class=\"syosai-dt1-src\">600078420325</td></tr>"
		"<tr><td class=\"syosai-hd2-src\">出荷日</td><td class=\"syosai-dt1-src\">2009年07月11日</td></tr>"
		"<tr><td class=\"syosai-hd2-src\">詳細表示</td><td class=\"syosai-dt1-src\">"
		"&#8658; 久喜店でお預かりしております。<br/>&#8593; 2009年07月12日 久喜店から配達に出発致しました。"
		"<br/>&#8593; お荷物をお預かり致しました。</td></tr></table></body></html>";
	tsk_shipment_list *l = NULL;
	ck_assert_int_eq(parse_bytes(&l, page, sizeof page - 1, NOW_2009, NULL, 0), TSK_OK);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 3);
	const tsk_event *held = tsk_shipment_event_at(s, 2);
	ck_assert_str_eq(tsk_event_location(held), "久喜店");
	ck_assert_int_eq(tsk_event_status(held), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_str_eq(tsk_shipment_layout(s), "sagawa-2009");
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(keywords)
{
	const tsk__status_word *keyword_rows = def_rows;
	ck_assert_uint_gt(count_kind(TSK__STATUS_KEYWORD), 30);
	for (size_t i = 0; i < N_DEF_ROWS; i++) {
		if (keyword_rows[i].kind != TSK__STATUS_KEYWORD)
			continue;
		char word[256];
		snprintf(word, sizeof word, "（%s）のお知らせ", keyword_rows[i].word);
		/* the first rule whose word is inside wins */
		const tsk__status_word *want = NULL;
		for (size_t k = 0; k < N_DEF_ROWS && !want; k++)
			if (keyword_rows[k].kind == TSK__STATUS_KEYWORD && strstr(word, keyword_rows[k].word))
				want = &keyword_rows[k];
		ck_assert_ptr_nonnull(want);
		tsk_status_mapping m;
		map(word, &m);
		ck_assert_msg(want && m.status == want->status && m.exception == want->exception &&
		                  m.unmapped == 1,
		              "%s: got %s unmapped=%d", word, tsk_status_to_string(m.status), m.unmapped);
	}
	/* 集荷完了 is a pickup; 返品完了 a return */
	tsk_status_mapping m;
	map("集荷完了", &m);
	ck_assert_int_eq(m.status, TSK_STATUS_IN_TRANSIT);
	map("返品完了", &m);
	ck_assert_int_eq(m.status, TSK_STATUS_RETURNED_TO_SENDER);
	ck_assert_int_eq(m.unmapped, 1);
	/* nothing known */
	map("仕分作業中", &m);
	ck_assert_int_eq(m.status, TSK_STATUS_UNKNOWN);
	ck_assert_int_eq(m.unmapped, 1);
	map(NULL, &m);
	ck_assert_int_eq(m.status, TSK_STATUS_UNKNOWN);
	ck_assert_int_eq(m.unmapped, 1);
	map("", &m);
	ck_assert_int_eq(m.status, TSK_STATUS_UNKNOWN);
}
END_TEST

/* ----------------------------------------------------- numbers, requests */

START_TEST(descriptor)
{
	const tsk_adapter *a = &tsk__adapter_sagawa;
	ck_assert_uint_eq(a->version, TSK_ADAPTER_VERSION);
	ck_assert_str_eq(a->name, "sagawa");
	ck_assert_str_eq(a->display_name, "Sagawa Express (佐川急便)");
	ck_assert_uint_eq(a->flags, TSK_ADAPTER_HTML);
	ck_assert_uint_eq(a->max_batch, 1);
	ck_assert_str_eq(a->default_endpoint, "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do");
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_ptr_eq(tsk_ctx_carrier(ctx, "sagawa"), a);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(check_digits)
{
	const tsk_adapter *a = &tsk__adapter_sagawa;
	double conf;
	tsk_error err;
	static const char *const valid[] = { "600078420325", "600080190146", "600080758362",
		                             "600080936070", "360477021531" };
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		tsk_error_clear(&err);
		ck_assert_int_eq(a->recognize(a, valid[i], &conf, &err), TSK_OK);
		ck_assert_msg(conf > 0.32 && conf < 0.34, "%s: %f", valid[i], conf);
	}
	tsk_error_clear(&err);
	ck_assert_int_eq(a->recognize(a, "600078420326", &conf, &err), TSK_EINVALID_NUMBER);
	ck_assert_int_eq(err.code, TSK_EINVALID_NUMBER);
	ck_assert_msg(strstr(err.message, "should be 5") != NULL, "%s", err.message);
	ck_assert(conf == 0);
	/* 10 digits: no source for Sagawa, not claimed; other lengths not ours */
	static const char *const other[] = { "6000784203", "60007842032", "6000784203250",
		                             "EF719215461JP", "1" };
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		tsk_error_clear(&err);
		ck_assert_int_eq(a->recognize(a, other[i], &conf, &err), TSK_OK);
		ck_assert(conf == 0);
	}
}
END_TEST

START_TEST(detect)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	tsk_detection *d = NULL;
	ck_assert_int_eq(tsk_detect(&d, ctx, "6000-7842-0325"), TSK_OK);
	ck_assert_str_eq(tsk_detection_number(d), "600078420325");
	int seen = 0;
	for (size_t i = 0; i < tsk_detection_count(d); i++)
		if (strcmp(tsk_detection_at(d, i)->carrier, "sagawa") == 0)
			seen = 1;
	ck_assert_int_eq(seen, 1);
	tsk_detection_free(d);
	ck_assert_int_eq(tsk_detect(&d, ctx, "６０００７８４２０３２６"), TSK_EINVALID_NUMBER);
	ck_assert_int_eq(tsk_detection_valid(d), 0);
	tsk_detection_free(d);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(build_requests)
{
	const tsk_adapter *a = &tsk__adapter_sagawa;
	const char *numbers[] = { "600078420325", "360477021531" };
	static const struct {
		const char *endpoint, *url0;
	} cases[] = {
		{ NULL, "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=600078420325" },
		{ "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do",
		  "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=600078420325" },
		{ "http://127.0.0.1:8080/sagawa", "http://127.0.0.1:8080/sagawa?okurijoNo=600078420325" },
		{ "http://127.0.0.1:8080/s?case=1", "http://127.0.0.1:8080/s?case=1&okurijoNo=600078420325" },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		tsk_request_env env = { TSK_REQUEST_ENV_VERSION, cases[c].endpoint, "ja", NULL, NULL };
		tsk_request_list *l;
		ck_assert_int_eq(tsk_request_list_new(&l), TSK_OK);
		tsk_error err;
		tsk_error_clear(&err);
		ck_assert_int_eq(a->build_requests(a, &env, numbers, 2, l, &err), TSK_OK);
		/* one request per number */
		ck_assert_uint_eq(tsk_request_list_count(l), 2);
		const tsk_request *r = tsk_request_list_at(l, 0);
		ck_assert_str_eq(tsk_request_method(r), "GET");
		ck_assert_str_eq(tsk_request_url(r), cases[c].url0);
		size_t blen = 1;
		ck_assert_ptr_null(tsk_request_body(r, &blen));
		ck_assert_uint_eq(tsk_request_number_count(r), 1);
		ck_assert_str_eq(tsk_request_number_at(r, 0), "600078420325");
		const tsk_request *r1 = tsk_request_list_at(l, 1);
		ck_assert_ptr_nonnull(strstr(tsk_request_url(r1), "okurijoNo=360477021531"));
		ck_assert_str_eq(tsk_request_number_at(r1, 0), "360477021531");
		tsk_request_list_free(l);
	}
	/* the context's override reaches the adapter's env */
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "sagawa"), a->default_endpoint);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "sagawa", "http://127.0.0.1:9/sagawa"), TSK_OK);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "sagawa"), "http://127.0.0.1:9/sagawa");
	tsk_ctx_free(ctx);
}
END_TEST

static Suite *sagawa_suite(void)
{
	Suite *s = suite_create("sagawa");
	TCase *tc = tcase_create("pages");
	tcase_add_test(tc, real_single_delivered);
	tcase_add_test(tc, real_multi3_absence);
	tcase_add_test(tc, synthetic_delivered);
	tcase_add_test(tc, synthetic_in_transit_eta);
	tcase_add_test(tc, synthetic_out_for_delivery);
	tcase_add_test(tc, synthetic_held_rules);
	tcase_add_test(tc, synthetic_not_found);
	tcase_add_test(tc, synthetic_not_found_texts);
	tcase_add_test(tc, synthetic_under_investigation);
	tcase_add_test(tc, synthetic_unknown_word);
	tcase_add_test(tc, synthetic_new_year);
	tcase_add_test(tc, eta_forms);
	tcase_add_test(tc, number_from_request);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, history_in_table_sections);
	tcase_add_test(tc, history_found_by_its_header);
	tcase_add_test(tc, unknown_layout);
	tcase_add_test(tc, not_html);
	tcase_add_test(tc, truncated_real_page);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_add_test(tc, table_rows_map);
	tcase_add_test(tc, carriers_words);
	tcase_add_test(tc, templates);
	tcase_add_test(tc, keywords);
	suite_add_tcase(s, tc);

	tc = tcase_create("numbers");
	tcase_add_test(tc, descriptor);
	tcase_add_test(tc, check_digits);
	tcase_add_test(tc, detect);
	tcase_add_test(tc, build_requests);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sagawa_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
