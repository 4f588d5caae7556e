/*
 * Japan Post adapter: the real 2009 pages and the synthetic pages of
 * today's layout against their sidecars, year handling from the page,
 * not-found and layout errors, every status word, number checks through
 * tsk_detect, and request building.
 */
#include "model.h"
#include "pagecheck.h"
#include "statusmap.h"
#include "tsuiseki.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const tsk_adapter tsk__adapter_japanpost;

#define NOW_2009 "2009-09-11T00:00:00+09:00"
#define NOW_2024 "2024-06-20T12:00:00+09:00"

static const char *fmt(const tsk_time *t)
{
	static char buf[64];
	tsk_time_format(buf, sizeof buf, t);
	return buf;
}

/* Parse a test page (or bytes) with japanpost at now; returns the rc. */
static int parse_bytes(tsk_shipment_list **out, tsk_ctx **ctx_out, const char *body, size_t len,
                       const char *now)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	tsk_time t;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&t, now), TSK_OK);
	tsk_ctx_set_now(ctx, &t);
	int rc = tsk_parse(out, ctx, "japanpost", body, len, NULL);
	*ctx_out = ctx;
	return rc;
}

static tsk_shipment_list *parse_page(const char *relpath, const char *now)
{
	size_t len;
	char *page = tsk_test_read(relpath, &len);
	tsk_ctx *ctx;
	tsk_shipment_list *l = NULL;
	int rc = parse_bytes(&l, &ctx, page, len, now);
	ck_assert_msg(rc == TSK_OK, "%s: %s", relpath, tsk_ctx_last_error(ctx));
	tsk_ctx_free(ctx);
	free(page);
	return l;
}

static const char *event_time(const tsk_shipment *s, size_t i)
{
	const tsk_event *ev = tsk_shipment_event_at(s, i);
	ck_assert_ptr_nonnull(ev);
	return fmt(tsk_event_time(ev));
}

/* ------------------------------------------------------------ real pages */

/* Each page against its expectation: tests/unit/test_pages.c. */

START_TEST(real_detail_page_fields)
{
	tsk_shipment_list *l = parse_page("japanpost/japanpost_2009_yupack_absence_x3_delivered.html", NOW_2009);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "japanpost-2009-detail");
	ck_assert_str_eq(tsk_shipment_service(s), "ゆうパック");
	ck_assert_str_eq(tsk_shipment_carrier(s), "japanpost");
	const tsk_event *first = tsk_shipment_event_at(s, 0);
	ck_assert_str_eq(tsk_event_location_code(first), "540010");
	ck_assert_ptr_null(tsk_event_description(first)); /* &nbsp; only */
	ck_assert_int_eq(tsk_event_status(first), TSK_STATUS_IN_TRANSIT);
	const tsk_event *absent = tsk_shipment_event_at(s, 3);
	ck_assert_int_eq(tsk_event_status(absent), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_exception(absent), TSK_EXC_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_time(absent)->precision, TSK_PRECISION_DAY);
	ck_assert_int_eq(tsk_event_status(tsk_shipment_event_at(s, 6)), TSK_STATUS_IN_TRANSIT);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2009-07-14T17:53:00+09:00");
	tsk_shipment_list_free(l);
}
END_TEST

/* The 2009 pages print no year on events; the inquiry time at the top of
 * the page fixes it, whatever the clock says. */
START_TEST(real_pages_take_year_from_page_time)
{
	static const char *const nows[] = { "2015-03-01T10:00:00+09:00", "2009-09-11T00:00:00+09:00",
	                                    "2031-12-31T23:00:00+09:00" };
	for (size_t k = 0; k < sizeof nows / sizeof nows[0]; k++) {
		tsk_shipment_list *l = parse_page("japanpost/japanpost_2009_yupack_absence_x3_delivered.html", nows[k]);
		const tsk_shipment *s = tsk_shipment_list_at(l, 0);
		ck_assert_str_eq(event_time(s, 0), "2009-07-08T18:37:00+09:00");
		ck_assert_str_eq(event_time(s, 1), "2009-07-09T01:05:00+09:00");
		ck_assert_str_eq(event_time(s, 3), "2009-07-09T00:00:00+09:00");
		ck_assert_str_eq(event_time(s, 7), "2009-07-14T17:53:00+09:00");
		tsk_shipment_list_free(l);

		l = parse_page("japanpost/japanpost_2009_list2_delivered.html", nows[k]);
		ck_assert_uint_eq(tsk_shipment_list_count(l), 2);
		ck_assert_str_eq(tsk_shipment_layout(tsk_shipment_list_at(l, 0)), "japanpost-2009-list");
		ck_assert_str_eq(event_time(tsk_shipment_list_at(l, 0), 0), "2009-05-31T19:28:00+09:00");
		ck_assert_str_eq(event_time(tsk_shipment_list_at(l, 1), 0), "2009-05-26T15:10:00+09:00");
		ck_assert_str_eq(tsk_event_location_code(tsk_shipment_event_at(tsk_shipment_list_at(l, 1), 0)),
		                 "610980");
		tsk_shipment_list_free(l);
	}
}
END_TEST

/* ------------------------------------------------------- synthetic pages */

START_TEST(synthetic_delivered)
{
	tsk_shipment_list *l = parse_page("japanpost/synthetic_2019_yupack_delivered.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "japanpost-2019");
	ck_assert_str_eq(tsk_shipment_service(s), "ゆうパック");
	ck_assert_str_eq(event_time(s, 0), "2024-06-01T10:15:00+09:00");
	ck_assert_int_eq(tsk_event_status(tsk_shipment_event_at(s, 3)), TSK_STATUS_OUT_FOR_DELIVERY);
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2024-06-02T11:47:00+09:00");
	ck_assert_ptr_null(tsk_shipment_eta(s));
	ck_assert_ptr_null(tsk_shipment_next_poll(s));
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_transit_with_eta)
{
	tsk_shipment_list *l = parse_page("japanpost/synthetic_2019_yupack_transit_eta.html", "2024-06-14T08:00:00+09:00");
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	ck_assert_str_eq(s->text[TSK_SHIPMENT_ETA_RAW], "2024/06/14 14時～16時");
	const tsk_eta *eta = tsk_shipment_eta(s);
	ck_assert_ptr_nonnull(eta);
	ck_assert_int_eq(eta->source, TSK_ETA_CARRIER);
	ck_assert_str_eq(fmt(&eta->earliest), "2024-06-14T14:00:00+09:00");
	ck_assert_str_eq(fmt(&eta->latest), "2024-06-14T16:00:00+09:00");
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_failed_attempt_then_redelivery)
{
	tsk_shipment_list *l = parse_page("japanpost/synthetic_2019_failed_attempt_redelivery.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	const tsk_event *fail = tsk_shipment_event_at(s, 3);
	ck_assert_int_eq(tsk_event_status(fail), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_exception(fail), TSK_EXC_FAILED_ATTEMPT);
	ck_assert_str_eq(tsk_event_description(fail), "ご不在連絡票をお入れしました");
	const tsk_event *req = tsk_shipment_event_at(s, 4);
	ck_assert_str_eq(tsk_event_carrier_status(req), "配達希望受付");
	ck_assert_str_eq(tsk_event_description(req), "お届け希望日：6月5日 19時～21時");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_held_and_returned)
{
	tsk_shipment_list *l = parse_page("japanpost/synthetic_2019_held.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_AVAILABLE_FOR_PICKUP);
	ck_assert_int_eq(tsk_event_exception(tsk_shipment_event_at(s, 3)), TSK_EXC_HELD_AT_OFFICE);
	ck_assert_str_eq(tsk_event_description(tsk_shipment_event_at(s, 3)), "保管期間：2024/06/13まで");
	tsk_shipment_list_free(l);

	l = parse_page("japanpost/synthetic_2019_returned.html", NOW_2024);
	s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_RETURNED_TO_SENDER);
	ck_assert_str_eq(tsk_shipment_service(s), "ゆうパケット");
	ck_assert_int_eq(tsk_event_exception(tsk_shipment_event_at(s, 4)), TSK_EXC_RETURNED_TO_SENDER);
	ck_assert_ptr_null(tsk_shipment_delivered_at(s));
	tsk_shipment_list_free(l);

	l = parse_page("japanpost/synthetic_2019_registered_counter.html", NOW_2024);
	s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_tracking_number(s), "13112383852");
	ck_assert_str_eq(tsk_shipment_service(s), "一般書留");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_unknown_word_stays_visible)
{
	tsk_shipment_list *l = parse_page("japanpost/synthetic_2019_unknown_status.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	const tsk_event *last = tsk_shipment_event_at(s, 2);
	ck_assert_int_eq(tsk_event_unmapped(last), 1);
	ck_assert_int_eq(tsk_event_status(last), TSK_STATUS_UNKNOWN);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	bool raised = false;
	for (size_t i = 0; i < tsk_shipment_exception_count(s); i++)
		if (tsk_shipment_exception_at(s, i)->code == TSK_EXC_UNMAPPED_STATUS)
			raised = tsk_shipment_exception_at(s, i)->event_index == 2;
	ck_assert(raised);
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_not_found)
{
	tsk_shipment_list *l = parse_page("japanpost/synthetic_2019_not_found.html", NOW_2024);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_tracking_number(s), "377000000016");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENOTFOUND);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(s), "お問い合わせ番号が見つかりません"));
	ck_assert_uint_eq(tsk_shipment_event_count(s), 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "japanpost-2019");
	tsk_shipment_list_free(l);

	l = parse_page("japanpost/synthetic_2019en_not_found.html", NOW_2024);
	s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_tracking_number(s), "EJ123456785JP");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENOTFOUND);
	ck_assert_str_eq(tsk_shipment_layout(s), "japanpost-2019-en");
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(s), "Your item was not found"));
	tsk_shipment_list_free(l);
}
END_TEST

/* A not-found message without the number answers for the number asked. */
START_TEST(not_found_message_alone_uses_number_asked)
{
	static const char page[] =
		"<html><body><table class=\"tableType01 txt_c m_b5\" summary=\"照会結果\">"
		"<tr><td colspan=\"6\" class=\"txt_l\"><font color=\"ff0000\">＊＊ お問い合わせ番号が見つかりません。"
		"</font></td></tr></table></body></html>";
	const char *asked[] = { "123456789013" };
	tsk_response resp = { TSK_RESPONSE_VERSION, page, sizeof page - 1, "text/html; charset=UTF-8", 200, asked, 1, NULL };
	tsk_parse_env env = { TSK_PARSE_ENV_VERSION, TSK_TIME_NULL_INIT, "ja" };
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_shipment_list_new(&l), TSK_OK);
	tsk_error err;
	tsk_error_clear(&err);
	ck_assert_int_eq(tsk__adapter_japanpost.parse(&tsk__adapter_japanpost, &resp, &env, l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 0)), "123456789013");
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 0)), TSK_ENOTFOUND);
	tsk_shipment_list_free(l);

	/* parsed as a file, nobody asked: nothing to attribute it to */
	tsk_ctx *ctx;
	l = NULL;
	ck_assert_int_eq(parse_bytes(&l, &ctx, page, sizeof page - 1, NOW_2024), TSK_EPARSE);
	ck_assert_ptr_null(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(synthetic_list_page)
{
	tsk_shipment_list *l = parse_page("japanpost/synthetic_2019_list4.html", NOW_2024);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 4);
	static const char *const numbers[] = { "100123456775", "501234567842", "377000000016", "1234567890" };
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, i)), numbers[i]);
	const tsk_shipment *a = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_service(a), "ゆうパック");
	ck_assert_str_eq(event_time(a, 0), "2024-06-03T14:05:00+09:00");
	const tsk_shipment *b = tsk_shipment_list_at(l, 1);
	ck_assert_int_eq(tsk_event_time(tsk_shipment_event_at(b, 0))->precision, TSK_PRECISION_DAY);
	ck_assert_str_eq(event_time(b, 0), "2024-06-04T00:00:00+09:00");
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(tsk_shipment_list_at(l, 3)), "入力桁数"));
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(synthetic_english_ems)
{
	tsk_shipment_list *l = parse_page("japanpost/synthetic_2019en_ems_delivered.html", NOW_2024);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "japanpost-2019-en");
	ck_assert_str_eq(tsk_shipment_tracking_number(s), "EF719215461JP");
	ck_assert_str_eq(tsk_shipment_service(s), "EMS");
	ck_assert_str_eq(event_time(s, 0), "2024-06-03T15:20:00+09:00");
	const tsk_event *held = tsk_shipment_event_at(s, 3);
	ck_assert_int_eq(tsk_event_status(held), TSK_STATUS_IN_TRANSIT);
	ck_assert_int_eq(tsk_event_exception(held), TSK_EXC_CUSTOMS_HOLD);
	ck_assert_int_eq(tsk_event_exception(tsk_shipment_event_at(s, 4)), TSK_EXC_NONE);
	ck_assert_int_eq(tsk_event_status(tsk_shipment_event_at(s, 5)), TSK_STATUS_OUT_FOR_DELIVERY);
	const tsk_event *last = tsk_shipment_event_at(s, 6);
	ck_assert_str_eq(tsk_event_description(last), "Delivered to addressee");
	ck_assert_str_eq(tsk_event_region(last), "UNITED STATES OF AMERICA");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2024-06-08T13:41:00+09:00");
	tsk_shipment_list_free(l);
}
END_TEST

/* ---------------------------------------------------------- bad input */

START_TEST(unknown_layout_is_layout_changed)
{
	static const char *const pages[] = {
		"<html><head><title>日本郵便</title></head><body><div class=\"tracking-result\">"
		"<ul><li>2024/06/01 10:15 引受 新宿郵便局</li></ul></div></body></html>",
		/* today's history table with its headers gone: no guessing by position */
		"<html><body><table class=\"tableType01\" summary=\"配達状況詳細\"><tr><th>お問い合わせ番号</th></tr>"
		"<tr><td>1234-5678-9013</td></tr></table><table summary=\"履歴情報\">"
		"<tr><td>2024/06/01 10:15</td><td>引受</td><td></td><td>新宿郵便局</td><td>東京都</td></tr>"
		"<tr><td>160-8799</td></tr></table></body></html>",
		"<html><body><p>お問い合わせ番号が見つかりません</p></body></html>",
	};
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		tsk_ctx *ctx;
		tsk_shipment_list *l = NULL;
		ck_assert_int_eq(parse_bytes(&l, &ctx, pages[i], strlen(pages[i]), NOW_2024), TSK_ELAYOUT);
		ck_assert_ptr_null(l);
		ck_assert_msg(strstr(tsk_ctx_last_error(ctx), "japanpost") != NULL, "%s", tsk_ctx_last_error(ctx));
		tsk_ctx_free(ctx);
	}
}
END_TEST

START_TEST(non_html_is_parse_error)
{
	static const char json[] = "{\"status\":\"delivered\",\"events\":[]}";
	static const char binary[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR<html>";
	static const char text[] = "Service temporarily unavailable";
	struct {
		const char *b;
		size_t n;
	} cases[] = { { json, sizeof json - 1 }, { binary, sizeof binary - 1 }, { text, sizeof text - 1 },
	              { "", 0 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tsk_ctx *ctx;
		tsk_shipment_list *l = NULL;
		ck_assert_int_eq(parse_bytes(&l, &ctx, cases[i].b, cases[i].n, NOW_2024), TSK_EPARSE);
		tsk_ctx_free(ctx);
	}
}
END_TEST

/* A page cut short is an error (its lost events would make the status
 * stale), never a crash (valgrind/ASan runs check the memory). */
START_TEST(truncated_pages_do_not_crash)
{
	static const char *const files[] = {
		"japanpost/japanpost_2009_yupack_absence_x3_delivered.html",
		"japanpost/japanpost_2009_list2_delivered.html",
		"japanpost/synthetic_2019_list4.html",
		"japanpost/synthetic_2019en_ems_delivered.html",
	};
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		size_t len;
		char *page = tsk_test_read(files[f], &len);
		for (size_t cut = 0; cut < len; cut += 1499) {
			tsk_shipment_list *l = NULL;
			int rc = tsk_parse(&l, ctx, "japanpost", page, cut, NULL);
			ck_assert_msg(rc == TSK_EPARSE, "%s cut at %zu: %s", files[f], cut, tsk_error_name(rc));
			ck_assert_ptr_null(l);
		}
		/* the whole page parses; cut just before its end it does not */
		tsk_shipment_list *l = NULL;
		ck_assert_int_eq(tsk_parse(&l, ctx, "japanpost", page, len, NULL), TSK_OK);
		tsk_shipment_list_free(l);
		l = NULL;
		ck_assert_int_eq(tsk_parse(&l, ctx, "japanpost", page, len - 40, NULL), TSK_EPARSE);
		ck_assert_ptr_nonnull(strstr(tsk_ctx_last_error(ctx), "truncated"));
		free(page);
	}
	tsk_ctx_free(ctx);
}
END_TEST

/* ---------------------------------------------------------- status words */

struct status_row {
	const char *word;
	tsk_status status;
	tsk_exception_code exception;
};

/* every row of status.def, words and keyword rules (lib/statusmap.h) */
static const tsk__status_word def_rows[] = {
#include "carriers/japanpost/status.def"
};

static void map(const char *word, tsk_status_mapping *m)
{
	tsk__adapter_japanpost.map_status(&tsk__adapter_japanpost, word, m);
}

START_TEST(every_status_def_row_maps)
{
	size_t words = 0, keywords = 0;
	for (size_t i = 0; i < sizeof def_rows / sizeof def_rows[0]; i++) {
		if (def_rows[i].kind != TSK__STATUS_EXACT)
			continue;
		words++;
		tsk_status_mapping m;
		map(def_rows[i].word, &m);
		ck_assert_msg(m.status == def_rows[i].status && m.exception == def_rows[i].exception && !m.unmapped,
		              "%s: got %s/%s unmapped=%d", def_rows[i].word, tsk_status_to_string(m.status),
		              tsk_exception_to_string(m.exception), m.unmapped);
		ck_assert_ptr_nonnull(m.english);
	}
	for (size_t i = 0; i < sizeof def_rows / sizeof def_rows[0]; i++) {
		if (def_rows[i].kind != TSK__STATUS_KEYWORD)
			continue;
		keywords++;
		char word[256];
		snprintf(word, sizeof word, "%s（追記）", def_rows[i].word);
		tsk_status_mapping m;
		map(word, &m);
		ck_assert_msg(m.status == def_rows[i].status && m.unmapped, "keyword %s: got %s unmapped=%d", word,
		              tsk_status_to_string(m.status), m.unmapped);
	}
	ck_assert_uint_gt(words, 50);
	ck_assert_uint_gt(keywords, 5);
}
END_TEST

/* carriers/japanpost/README.md (Status words), with the exception codes the brief asks for. */
static const struct status_row carriers_md[] = {
	{ "引受", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "通過", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "中継", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "到着", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "国際交換局に到着", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "国際交換局から発送", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "発送", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "通関手続中", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "税関検査のため税関へ提示", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "保留", TSK_STATUS_IN_TRANSIT, TSK_EXC_CUSTOMS_HOLD },
	{ "持ち出し中", TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE },
	{ "配達局から出発", TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE },
	{ "ご不在のため持ち戻り", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
	{ "ご不在", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
	{ "配達希望受付", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "保管", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE },
	{ "窓口でお渡し", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
	{ "コンビニエンスストアに引渡", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE },
	{ "お届け先にお届け済み", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
	{ "お届け済み", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
	{ "転送", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "差出人に返送", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
	{ "返送", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
	{ "差出人に返送済み", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
	{ "調査中", TSK_STATUS_EXCEPTION, TSK_EXC_UNDER_INVESTIGATION },
	{ "お問合せ", TSK_STATUS_EXCEPTION, TSK_EXC_UNDER_INVESTIGATION },
	{ "宛所不明", TSK_STATUS_EXCEPTION, TSK_EXC_ADDRESS_PROBLEM },
	{ "宛所尋ね当たらず", TSK_STATUS_EXCEPTION, TSK_EXC_ADDRESS_PROBLEM },
	{ "受取拒否", TSK_STATUS_EXCEPTION, TSK_EXC_REFUSED },
	{ "破損", TSK_STATUS_EXCEPTION, TSK_EXC_DAMAGED },
	{ "紛失", TSK_STATUS_EXCEPTION, TSK_EXC_LOST },
	{ "＊＊ お問い合わせ番号が見つかりません。", TSK_STATUS_NOT_FOUND, TSK_EXC_NONE },
	{ "＊＊ お問い合わせ番号の入力桁数に誤りがあります。11桁から13桁で入力してください。", TSK_STATUS_NOT_FOUND,
	  TSK_EXC_NONE },
	{ "Posting/Collection", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Arrival at outward office of exchange", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Dispatch from outward office of exchange", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Departure from outward office of exchange", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Arrival at transit office of exchange", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Departure from transit office of exchange", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Arrival at inward office of exchange", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Departure from inward office of exchange", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Item into sorting centre", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Item out of sorting centre", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Arrival at delivery office", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Processing at delivery Post Office", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Item presented to import Customs", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "In Customs", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Held by import Customs", TSK_STATUS_IN_TRANSIT, TSK_EXC_CUSTOMS_HOLD },
	{ "Item returned from import Customs", TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE },
	{ "Allocated to delivery staff", TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE },
	{ "Item out for physical delivery", TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE },
	{ "Absence. Attempted delivery", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
	{ "Unsuccessful (physical) delivery", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
	{ "Retention", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE },
	{ "Item arrival at collection point for pick-up", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE },
	{ "Final delivery", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
	{ "Final delivery - Collected at counter", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
	{ "Return to Sender", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
	{ "Returned to Sender", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
	{ "** Your item was not found. Confirm your item number and ask at your local office.", TSK_STATUS_NOT_FOUND,
	  TSK_EXC_NONE },
	/* width, spacing and case as pages vary them */
	{ "ご不在のため　持ち戻り", TSK_STATUS_FAILED_ATTEMPT, TSK_EXC_FAILED_ATTEMPT },
	{ "Returned to sender", TSK_STATUS_RETURNED_TO_SENDER, TSK_EXC_RETURNED_TO_SENDER },
	{ "FINAL DELIVERY", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
	{ "Ｆｉｎａｌ ｄｅｌｉｖｅｒｙ", TSK_STATUS_DELIVERED, TSK_EXC_NONE },
};

START_TEST(carriers_md_words_map)
{
	for (size_t i = 0; i < sizeof carriers_md / sizeof carriers_md[0]; i++) {
		tsk_status_mapping m;
		map(carriers_md[i].word, &m);
		ck_assert_msg(m.status == carriers_md[i].status && m.exception == carriers_md[i].exception &&
		                  !m.unmapped,
		              "%s: got %s/%s unmapped=%d", carriers_md[i].word, tsk_status_to_string(m.status),
		              tsk_exception_to_string(m.exception), m.unmapped);
	}
	tsk_status_mapping m;
	map("区分作業中", &m);
	ck_assert_int_eq(m.status, TSK_STATUS_UNKNOWN);
	ck_assert_int_eq(m.unmapped, 1);
	map(NULL, &m);
	ck_assert_int_eq(m.status, TSK_STATUS_UNKNOWN);
	ck_assert_int_eq(m.unmapped, 1);
	/* keyword rules: seen, mapped where safe, still unmapped */
	map("ご不在のため持ち戻り（ご不在連絡票）", &m);
	ck_assert_int_eq(m.status, TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(m.unmapped, 1);
	map("差出人にお届け済み", &m); /* neither a return word nor お届け先 */
	ck_assert_int_eq(m.status, TSK_STATUS_UNKNOWN);
	map("到着（区分中）", &m); /* 到着 alone is too loose for a keyword */
	ck_assert_int_eq(m.status, TSK_STATUS_UNKNOWN);
}
END_TEST

/* ---------------------------------------------------------------- numbers */

static tsk_ctx *jp_only_ctx(void)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT | TSK_CTX_NO_DEFAULT_CARRIERS), TSK_OK);
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &tsk__adapter_japanpost), TSK_OK);
	return ctx;
}

static double recognise(const char *number, int want_rc)
{
	double conf = -1;
	tsk_error err;
	tsk_error_clear(&err);
	int rc = tsk__adapter_japanpost.recognize(&tsk__adapter_japanpost, number, &conf, &err);
	ck_assert_msg(rc == want_rc, "%s: rc %s (%s)", number, tsk_error_name(rc), err.message);
	return conf;
}

START_TEST(numbers_and_check_digits)
{
	/* confidences as the adapter states them */
	ck_assert(recognise("123456789013", TSK_OK) > 0.32 && recognise("123456789013", TSK_OK) < 0.34);
	ck_assert(recognise("317409136693", TSK_OK) > 0.3); /* the real 2009 number */
	ck_assert(recognise("13112383852", TSK_OK) == 1.0);
	ck_assert(recognise("EF719215461JP", TSK_OK) == 1.0);
	ck_assert(recognise("EE994353255CN", TSK_OK) > 0.79 && recognise("EE994353255CN", TSK_OK) < 0.81);
	ck_assert(recognise("CN134577206JP", TSK_OK) == 1.0);
	ck_assert(recognise("12345", TSK_OK) == 0);
	ck_assert(recognise("1234567890123", TSK_OK) == 0);
	recognise("123456789014", TSK_EINVALID_NUMBER);
	recognise("13112383853", TSK_EINVALID_NUMBER);

	tsk_ctx *ctx = jp_only_ctx();
	static const struct {
		const char *input;
		int rc;
		const char *reason; /* part of the message when invalid */
	} cases[] = {
		{ "1234-5678-9013", TSK_OK, NULL },
		{ "１２３４－５６７８－９０１３", TSK_OK, NULL },
		{ "1234-5678-9014", TSK_EINVALID_NUMBER, "check digit" },
		{ "131-12-38385-2", TSK_OK, NULL },
		{ "13112383852", TSK_OK, NULL },
		{ "131-12-38385-3", TSK_EINVALID_NUMBER, "check digit" },
		{ "EF 719 215 461 JP", TSK_OK, NULL },
		{ "ef719215461jp", TSK_OK, NULL },
		{ "EE994353255CN", TSK_OK, NULL },
		{ "EF719215462JP", TSK_EINVALID_NUMBER, "check digit" },
		{ "EF719215461ZZ", TSK_EINVALID_NUMBER, "country" },
		{ "AA123456789BR", TSK_EINVALID_NUMBER, "check digit" },
		{ "12345", TSK_EINVALID_NUMBER, "no carrier" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tsk_detection *d = NULL;
		int rc = tsk_detect(&d, ctx, cases[i].input);
		ck_assert_msg(rc == cases[i].rc, "%s: %s (%s)", cases[i].input, tsk_error_name(rc),
		              d && tsk_detection_error(d) ? tsk_detection_error(d) : "");
		ck_assert_ptr_nonnull(d);
		if (rc == TSK_OK) {
			ck_assert_int_eq(tsk_detection_valid(d), 1);
			ck_assert_uint_eq(tsk_detection_count(d), 1);
			ck_assert_str_eq(tsk_detection_at(d, 0)->carrier, "japanpost");
		} else {
			ck_assert_int_eq(tsk_detection_valid(d), 0);
			ck_assert_uint_eq(tsk_detection_count(d), 0);
			ck_assert_msg(strstr(tsk_detection_error(d), cases[i].reason) != NULL, "%s: %s", cases[i].input,
			              tsk_detection_error(d));
		}
		tsk_detection_free(d);
	}
	tsk_ctx_free(ctx);
}
END_TEST

/* --------------------------------------------------------------- requests */

static tsk_request_list *build(const char *const *numbers, size_t count, const char *endpoint,
                               const char *locale)
{
	tsk_request_env env = { TSK_REQUEST_ENV_VERSION, endpoint, locale, NULL, NULL };
	tsk_request_list *l;
	ck_assert_int_eq(tsk_request_list_new(&l), TSK_OK);
	tsk_error err;
	tsk_error_clear(&err);
	ck_assert_int_eq(tsk__adapter_japanpost.build_requests(&tsk__adapter_japanpost, &env, numbers, count, l, &err),
	                 TSK_OK);
	return l;
}

START_TEST(requests_batch_and_kinds)
{
	const char *endpoint = tsk__adapter_japanpost.default_endpoint;
	/* a full batch of ten parcels: one request */
	const char *ten[] = { "123456789013", "432109876542", "567812345671", "987654321010", "111122223332",
	                      "202420242021", "377000000016", "100123456775", "501234567842", "EF719215461JP" };
	tsk_request_list *l = build(ten, 10, endpoint, "ja");
	ck_assert_uint_eq(tsk_request_list_count(l), 1);
	const tsk_request *r = tsk_request_list_at(l, 0);
	ck_assert_str_eq(tsk_request_method(r), "GET");
	ck_assert_str_eq(tsk_request_url(r),
	                 "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=123456789013"
	                 "&reqCodeNo2=432109876542&reqCodeNo3=567812345671&reqCodeNo4=987654321010"
	                 "&reqCodeNo5=111122223332&reqCodeNo6=202420242021&reqCodeNo7=377000000016"
	                 "&reqCodeNo8=100123456775&reqCodeNo9=501234567842&reqCodeNo10=EF719215461JP"
	                 "&searchKind=S002&locale=ja");
	ck_assert_uint_eq(tsk_request_number_count(r), 10);
	ck_assert_str_eq(tsk_request_number_at(r, 9), "EF719215461JP");
	ck_assert_ptr_null(tsk_request_body(r, NULL));
	tsk_request_list_free(l);

	/* registered numbers are asked apart (S001); order kept within a kind */
	const char *mixed[] = { "123456789013", "13112383852", "EF719215461JP", "50123456784", "432109876542" };
	l = build(mixed, 5, endpoint, "en");
	ck_assert_uint_eq(tsk_request_list_count(l), 2);
	ck_assert_str_eq(tsk_request_url(tsk_request_list_at(l, 0)),
	                 "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=123456789013"
	                 "&reqCodeNo2=EF719215461JP&reqCodeNo3=432109876542&searchKind=S002&locale=en");
	ck_assert_str_eq(tsk_request_url(tsk_request_list_at(l, 1)),
	                 "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=13112383852"
	                 "&reqCodeNo2=50123456784&searchKind=S001&locale=en");
	ck_assert_uint_eq(tsk_request_number_count(tsk_request_list_at(l, 1)), 2);
	for (size_t i = 0; i < tsk_request_list_count(l); i++) {
		const tsk_request *q = tsk_request_list_at(l, i);
		bool s001 = strstr(tsk_request_url(q), "S001") != NULL;
		for (size_t k = 0; k < tsk_request_number_count(q); k++)
			ck_assert_int_eq(strlen(tsk_request_number_at(q, k)) == 11, s001);
	}
	tsk_request_list_free(l);

	/* more than a batch is cut at ten; an endpoint with a query keeps it;
	 * an unknown locale falls back to ja */
	const char *twelve[12];
	for (size_t i = 0; i < 12; i++)
		twelve[i] = ten[i % 10];
	l = build(twelve, 12, "http://127.0.0.1:8080/jp?x=1", NULL);
	ck_assert_uint_eq(tsk_request_list_count(l), 2);
	ck_assert_uint_eq(tsk_request_number_count(tsk_request_list_at(l, 0)), 10);
	ck_assert_str_eq(tsk_request_url(tsk_request_list_at(l, 1)),
	                 "http://127.0.0.1:8080/jp?x=1&reqCodeNo1=123456789013&reqCodeNo2=432109876542"
	                 "&searchKind=S002&locale=ja");
	tsk_request_list_free(l);
}
END_TEST

START_TEST(adapter_descriptor)
{
	const tsk_adapter *a = &tsk__adapter_japanpost;
	ck_assert_str_eq(a->name, "japanpost");
	ck_assert_str_eq(a->display_name, "Japan Post (日本郵便)");
	ck_assert_uint_eq(a->flags, TSK_ADAPTER_HTML | TSK_ADAPTER_BATCH | TSK_ADAPTER_S10);
	ck_assert_uint_eq(a->max_batch, 10);
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_ptr_eq(tsk_ctx_carrier(ctx, "japanpost"), a);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "japanpost"),
	                 "https://trackings.post.japanpost.jp/services/srv/search/direct");
	tsk_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("japanpost");
	TCase *tc = tcase_create("japanpost");
	tcase_add_test(tc, real_detail_page_fields);
	tcase_add_test(tc, real_pages_take_year_from_page_time);
	tcase_add_test(tc, synthetic_delivered);
	tcase_add_test(tc, synthetic_transit_with_eta);
	tcase_add_test(tc, synthetic_failed_attempt_then_redelivery);
	tcase_add_test(tc, synthetic_held_and_returned);
	tcase_add_test(tc, synthetic_unknown_word_stays_visible);
	tcase_add_test(tc, synthetic_not_found);
	tcase_add_test(tc, not_found_message_alone_uses_number_asked);
	tcase_add_test(tc, synthetic_list_page);
	tcase_add_test(tc, synthetic_english_ems);
	tcase_add_test(tc, unknown_layout_is_layout_changed);
	tcase_add_test(tc, non_html_is_parse_error);
	tcase_add_test(tc, truncated_pages_do_not_crash);
	tcase_add_test(tc, every_status_def_row_maps);
	tcase_add_test(tc, carriers_md_words_map);
	tcase_add_test(tc, numbers_and_check_digits);
	tcase_add_test(tc, requests_batch_and_kinds);
	tcase_add_test(tc, adapter_descriptor);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
