/*
 * Core unit tests: times and year inference, text folding, numbers, the
 * status rule, the registry with a counting fake adapter, endpoints and
 * timeline merging.
 */
#include "model.h"
#include "numbers.h"
#include "timeline.h"
#include "util.h"
#include "context.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tsk_time at(const char *rfc3339)
{
	tsk_time t;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&t, rfc3339), TSK_OK);
	return t;
}

static const char *fmt(const tsk_time *t)
{
	static char buf[64];
	tsk_time_format(buf, sizeof buf, t);
	return buf;
}

static tsk_event *local_event(int y, int mo, int d, int h, int mi, const char *word, tsk_status st)
{
	tsk_event *ev;
	ck_assert_int_eq(tsk_event_new(&ev), TSK_OK);
	ck_assert_int_eq(tsk_event_set_local_time(ev, y, mo, d, h, mi, TSK_JST_OFFSET), TSK_OK);
	ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, word), TSK_OK);
	tsk_event_set_status(ev, st, TSK_EXC_NONE, 0);
	return ev;
}

START_TEST(time_roundtrip)
{
	tsk_time t = at("2024-12-03T14:25:00+09:00");
	ck_assert_str_eq(fmt(&t), "2024-12-03T14:25:00+09:00");
	ck_assert_int_eq(t.epoch, 1733203500);
	tsk_time z = at("2024-12-03T05:25:00Z");
	ck_assert_int_eq(z.epoch, t.epoch);
	ck_assert_str_eq(fmt(&z), "2024-12-03T05:25:00+00:00");
	tsk_time d = at("2009-07-11");
	ck_assert_int_eq(d.precision, TSK_PRECISION_DAY);
	ck_assert_str_eq(fmt(&d), "2009-07-11T00:00:00+09:00");
	tsk_time bad;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&bad, "2024-02-30T00:00:00Z"), TSK_EINVAL);
	ck_assert_int_eq(tsk_time_parse_rfc3339(&bad, "2024-12-03T14:25"), TSK_EINVAL);
	ck_assert_int_eq(tsk_time_parse_rfc3339(&bad, "yesterday"), TSK_EINVAL);
	tsk_time neg = at("1969-12-31T23:59:00-01:00");
	ck_assert_str_eq(fmt(&neg), "1969-12-31T23:59:00-01:00");
}
END_TEST

START_TEST(year_inference_new_year)
{
	/* A December-to-January history read on January 3rd. */
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "123456789012"), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 12, 30, 18, 0, "荷物受付", TSK_STATUS_IN_TRANSIT));
	tsk_shipment_append_event(s, local_event(0, 12, 31, 9, 0, "作業店通過", TSK_STATUS_IN_TRANSIT));
	tsk_shipment_append_event(s, local_event(0, 1, 2, 13, 29, "配達中", TSK_STATUS_OUT_FOR_DELIVERY));
	tsk_shipment_append_event(s, local_event(0, 1, 2, 0, 0, "配達完了", TSK_STATUS_DELIVERED));
	tsk_time now = at("2025-01-03T10:00:00+09:00");
	ck_assert_int_eq(tsk__shipment_finalize(s, &now), TSK_OK);
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 0))), "2024-12-30T18:00:00+09:00");
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 1))), "2024-12-31T09:00:00+09:00");
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 2))), "2025-01-02T13:29:00+09:00");
	/* page order kept: 00:00 after 13:29 is not re-sorted */
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 3))), "2025-01-02T00:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2025-01-02T00:00:00+09:00");
	ck_assert_str_eq(tsk_shipment_status_text(s), "配達完了");
	tsk_shipment_free(s);
}
END_TEST

START_TEST(year_inference_not_after_now_plus_a_day)
{
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "1"), TSK_OK);
	/* 12/27 read on 2025-12-26: tomorrow is allowed (clock skew, JST vs UTC) */
	tsk_shipment_append_event(s, local_event(0, 12, 27, 8, 0, "x", TSK_STATUS_IN_TRANSIT));
	tsk_time now = at("2025-12-26T12:00:00+09:00");
	tsk__shipment_finalize(s, &now);
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 0))), "2025-12-27T08:00:00+09:00");
	tsk_shipment_free(s);
	/* 12/29 is more than a day ahead: last year's */
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "1"), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 12, 29, 8, 0, "x", TSK_STATUS_IN_TRANSIT));
	tsk__shipment_finalize(s, &now);
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 0))), "2024-12-29T08:00:00+09:00");
	tsk_shipment_free(s);
}
END_TEST

START_TEST(year_hint_not_before_ship_date)
{
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "sagawa", "1"), TSK_OK);
	tsk_time ship = at("2023-12-30");
	ck_assert_int_eq(tsk_shipment_set_year_hint(s, TSK_YEAR_HINT_NOT_BEFORE, &ship), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 12, 30, 18, 0, "集荷", TSK_STATUS_IN_TRANSIT));
	tsk_shipment_append_event(s, local_event(0, 1, 2, 9, 0, "配達完了", TSK_STATUS_DELIVERED));
	tsk_time now = at("2026-06-01T00:00:00+09:00");
	tsk__shipment_finalize(s, &now);
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 0))), "2023-12-30T18:00:00+09:00");
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 1))), "2024-01-02T09:00:00+09:00");
	tsk_shipment_free(s);
}
END_TEST

START_TEST(eta_local_window)
{
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "1"), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 12, 31, 9, 0, "発送", TSK_STATUS_IN_TRANSIT));
	ck_assert_int_eq(tsk_shipment_set_eta_local(s, 0, 1, 2, 14, 0, 16, 0), TSK_OK);
	tsk_time now = at("2025-01-01T10:00:00+09:00");
	tsk__shipment_finalize(s, &now);
	ck_assert_str_eq(fmt(&s->carrier_eta_earliest), "2025-01-02T14:00:00+09:00");
	ck_assert_str_eq(fmt(&s->carrier_eta_latest), "2025-01-02T16:00:00+09:00");
	tsk_shipment_free(s);
}
END_TEST

START_TEST(text_normalisation)
{
	char *t = tsk__text_fold("ＡＢＣ　１２３ 東京", true);
	ck_assert_str_eq(t, "ABC123東京");
	free(t);
	t = tsk__text_clean("  　神奈川ベース店 \n ");
	ck_assert_str_eq(t, "神奈川ベース店");
	free(t);
	t = tsk__text_collapse("09/01 \n\t 18:21");
	ck_assert_str_eq(t, "09/01 18:21");
	free(t);
	t = tsk__text_collapse("09/02　23:15");
	ck_assert_str_eq(t, "09/02 23:15");
	free(t);
	/* printable ASCII runs between spaces, controls and other characters */
	t = tsk__text_clean("  Hello   World\t! \x01x\x7f ");
	ck_assert_str_eq(t, "Hello World ! x");
	free(t);
	t = tsk__text_clean("a\xC2\xA0" "b\xE3\x80\x80" "c\xFF");
	ck_assert_str_eq(t, "a b\xE3\x80\x80" "c\xFF");
	free(t);
	t = tsk__text_fold("ＡＢ c  Ｄ", false);
	ck_assert_str_eq(t, "AB c D");
	free(t);
	char fb[8];
	ck_assert(tsk__text_fold_into(fb, 4, " abc ", false));
	ck_assert_str_eq(fb, "abc");
	ck_assert(!tsk__text_fold_into(fb, 3, "abc", false));
	ck_assert(tsk__text_fold_into(fb, 6, "ab  Ｃd", false));
	ck_assert_str_eq(fb, "ab Cd");
	ck_assert(!tsk__text_fold_into(fb, 5, "ab  cd", false));
	ck_assert(!tsk__utf8_valid("\x82\xa0", 2));
	ck_assert(tsk__utf8_valid("配達", strlen("配達")));
	/* cut at a character boundary: "配達" is two three-byte characters */
	ck_assert_uint_eq(tsk__utf8_cut("配達", 6, 6), 6);
	ck_assert_uint_eq(tsk__utf8_cut("配達", 6, 5), 3);
	ck_assert_uint_eq(tsk__utf8_cut("配達", 6, 3), 3);
	ck_assert_uint_eq(tsk__utf8_cut("配達", 6, 2), 0);
	ck_assert_uint_eq(tsk__utf8_cut("ab", 2, 1), 1);
}
END_TEST

/* A folded word against rows: the first-character shortcut of
 * tsk__folded_equal_text answers as tsk__fold_equal does, also for rows
 * whose first character folds (full width, U+3000, a space, a capital). */
START_TEST(folded_rows_compare_as_folded_text)
{
	static const char *const words[] = { "配達完了", "Delivered", "delivered", "ＡＢ", "AB", "　到着", "到着", "" };
	static const char *const rows[] = { "配達完了", " 配達完了", "\xE3\x80\x80配達完了", "Delivered", "delivered",
		                            "ＤＥＬＩＶＥＲＥＤ", "AB", "ＡＢ", "到着", "到", "\x01到着", "" };
	for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
		for (int nocase = 0; nocase < 2; nocase++) {
			tsk__folded f;
			tsk__fold_cps(&f, words[w], nocase);
			for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
				ck_assert_msg(tsk__folded_equal_text(&f, rows[r], nocase) ==
				                  tsk__fold_equal(words[w], rows[r], nocase),
				              "word \"%s\", row \"%s\", nocase %d", words[w], rows[r], nocase);
		}
	}
}
END_TEST

START_TEST(number_checks)
{
	char *n;
	tsk_error err;
	ck_assert_int_eq(tsk_number_normalize(&n, "2497-2497-3934", &err), TSK_OK);
	ck_assert_str_eq(n, "249724973934");
	free(n);
	ck_assert_int_eq(tsk_number_normalize(&n, "２４９７－２４９７－３９３４", &err), TSK_OK);
	ck_assert_str_eq(n, "249724973934");
	free(n);
	ck_assert_int_eq(tsk_number_normalize(&n, "ef 719 215 461 jp", &err), TSK_OK);
	ck_assert_str_eq(n, "EF719215461JP");
	free(n);
	ck_assert_int_eq(tsk_number_normalize(&n, "12#34", &err), TSK_EINVALID_NUMBER);
	ck_assert_int_eq(tsk_number_normalize(&n, " - ", &err), TSK_EINVALID_NUMBER);

	ck_assert(tsk__mod7_valid("249724973934", NULL));
	ck_assert(tsk__mod7_valid("600078420325", NULL));
	ck_assert(tsk__mod7_valid("405548424886", NULL));
	ck_assert(tsk__mod7_valid("13112383852", NULL));
	ck_assert(tsk__mod7_valid("999999999994", NULL));
	int expected = -1;
	ck_assert(!tsk__mod7_valid("249724973935", &expected));
	ck_assert_int_eq(expected, 4);

	ck_assert_int_eq(tsk__s10_check("EF719215461JP", &err), TSK_OK);
	ck_assert_int_eq(tsk__s10_check("EE994353255CN", &err), TSK_OK);
	ck_assert_int_eq(tsk__s10_check("CN134577206JP", &err), TSK_OK);
	ck_assert_int_eq(tsk__s10_check("AA123456789BR", &err), TSK_EINVALID_NUMBER);
	ck_assert(strstr(err.message, "check digit"));
	ck_assert_int_eq(tsk__s10_check("EF719215461QQ", &err), TSK_EINVALID_NUMBER);
	ck_assert(strstr(err.message, "country"));
	ck_assert_int_eq(tsk__s10_check("EF71921546JP", &err), TSK_EINVALID_NUMBER);
}
END_TEST

START_TEST(status_names)
{
	for (int i = 0; i < TSK_STATUS__COUNT; i++) {
		tsk_status st;
		ck_assert_int_eq(tsk_status_from_string(&st, tsk_status_to_string((tsk_status)i)), TSK_OK);
		ck_assert_int_eq(st, i);
		ck_assert_ptr_nonnull(tsk_status_name_ja((tsk_status)i));
	}
	for (int i = 1; i < TSK_EXC__COUNT; i++) {
		tsk_exception_code c;
		ck_assert_int_eq(tsk_exception_from_string(&c, tsk_exception_to_string((tsk_exception_code)i)), TSK_OK);
		ck_assert_int_eq(c, i);
	}
	ck_assert_str_eq(tsk_status_to_string(TSK_STATUS_OUT_FOR_DELIVERY), "out_for_delivery");
	ck_assert_str_eq(tsk_exception_to_string(TSK_EXC_WEATHER_OR_DISASTER_DELAY), "weather_or_disaster_delay");
	ck_assert_str_eq(tsk_error_name(TSK_ELAYOUT), "layout_changed");
	ck_assert_str_eq(tsk_error_name(TSK_ERATELIMITED), "rate_limited");
	int code;
	ck_assert_int_eq(tsk_error_from_name(&code, "timeout"), TSK_OK);
	ck_assert_int_eq(code, TSK_ETIMEOUT);
	tsk_status st;
	ck_assert_int_eq(tsk_status_from_string(&st, "lost"), TSK_EINVAL);
}
END_TEST

START_TEST(status_rule)
{
	tsk_shipment *s;
	tsk_time now = at("2009-09-10T12:00:00+09:00");
	/* an exception after delivery never hides delivered */
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "1"), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 9, 1, 9, 0, "配達完了", TSK_STATUS_DELIVERED));
	tsk_shipment_append_event(s, local_event(0, 9, 2, 9, 0, "調査中", TSK_STATUS_EXCEPTION));
	tsk__shipment_finalize(s, &now);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	tsk_shipment_free(s);
	/* a return leg after delivery is returned_to_sender */
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "1"), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 9, 1, 9, 0, "配達完了", TSK_STATUS_DELIVERED));
	tsk_shipment_append_event(s, local_event(0, 9, 3, 9, 0, "返品", TSK_STATUS_RETURNED_TO_SENDER));
	tsk__shipment_finalize(s, &now);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_RETURNED_TO_SENDER);
	tsk_shipment_free(s);
	/* the page's current-state field wins over the last event */
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "1"), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 9, 1, 9, 0, "発送", TSK_STATUS_IN_TRANSIT));
	tsk_shipment_set_state(s, TSK_STATUS_OUT_FOR_DELIVERY, TSK_EXC_NONE);
	tsk__shipment_finalize(s, &now);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_OUT_FOR_DELIVERY);
	tsk_shipment_free(s);
	/* delivered by the state field alone: delivered_at is the last event's time */
	ck_assert_int_eq(tsk_shipment_new(&s, "rest:x", "1"), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 9, 1, 9, 0, "InTransit", TSK_STATUS_IN_TRANSIT));
	tsk_shipment_append_event(s, local_event(0, 9, 2, 14, 5, "Signed", TSK_STATUS_UNKNOWN));
	tsk_shipment_set_state(s, TSK_STATUS_DELIVERED, TSK_EXC_NONE);
	tsk__shipment_finalize(s, &now);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_ptr_nonnull(tsk_shipment_delivered_at(s));
	ck_assert_int_eq(tsk_shipment_delivered_at(s)->epoch, at("2009-09-02T14:05:00+09:00").epoch);
	tsk_shipment_free(s);
	/* a delivered event still wins over later events */
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "1"), TSK_OK);
	tsk_shipment_append_event(s, local_event(0, 9, 1, 9, 0, "配達完了", TSK_STATUS_DELIVERED));
	tsk_shipment_append_event(s, local_event(0, 9, 2, 9, 0, "調査中", TSK_STATUS_EXCEPTION));
	tsk__shipment_finalize(s, &now);
	ck_assert_int_eq(tsk_shipment_delivered_at(s)->epoch, at("2009-09-01T09:00:00+09:00").epoch);
	tsk_shipment_free(s);
}
END_TEST

/* ----------------------------------------------- registry with a fake */

static int fake_recognize_calls;

static int fake_recognize(const tsk_adapter *self, const char *number, double *conf, tsk_error *err)
{
	fake_recognize_calls++;
	*conf = strncmp(number, "FAKE", 4) == 0 ? 1.0 : 0.0;
	return TSK_OK;
}

static int fake_build(const tsk_adapter *self, const tsk_request_env *env, const char *const *numbers,
                      size_t count, tsk_request_list *out, tsk_error *err)
{
	return tsk_request_list_add(out, "GET", env->endpoint, NULL, NULL, 0, numbers, count, NULL);
}

static int fake_parse(const tsk_adapter *self, const tsk_response *resp, const tsk_parse_env *env,
                      tsk_shipment_list *out, tsk_error *err)
{
	if (resp->len == 0)
		return tsk_error_set(err, TSK_EPARSE, "empty");
	tsk_shipment *s;
	int rc = tsk_shipment_new(&s, self->name, "FAKE1");
	if (rc != TSK_OK)
		return rc;
	tsk_event *ev;
	tsk_event_new(&ev);
	tsk_event_set_local_time(ev, 0, 12, 31, 23, 0, TSK_JST_OFFSET);
	tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, resp->body);
	tsk_event_set_status(ev, TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE, 0);
	tsk_shipment_append_event(s, ev);
	return tsk_shipment_list_append(out, s);
}

static void fake_map(const tsk_adapter *self, const char *word, tsk_status_mapping *out)
{
	out->status = TSK_STATUS_UNKNOWN;
	out->exception = TSK_EXC_NONE;
	out->english = NULL;
	out->unmapped = 1;
}

static const tsk_adapter fake_adapter = {
	TSK_ADAPTER_VERSION, "fake", "Fake carrier", 0, 1, "http://127.0.0.1:9/fake",
	fake_recognize, fake_build, fake_parse, fake_map, NULL, NULL, NULL, NULL, NULL, NULL,
};

START_TEST(registry_checks)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_str_eq(tsk_ctx_last_error(ctx), "");
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &fake_adapter), TSK_OK);
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &fake_adapter), TSK_EEXISTS);
	ck_assert(strstr(tsk_ctx_last_error(ctx), "fake"));
	tsk_adapter future = fake_adapter;
	future.name = "future";
	future.version = TSK_ADAPTER_VERSION + 1;
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &future), TSK_EVERSION);
	ck_assert(strstr(tsk_ctx_last_error(ctx), "future"));
	tsk_adapter holes = fake_adapter;
	holes.name = "holes";
	holes.parse = NULL;
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &holes), TSK_EINVAL);
	/* delivery tables the ETA would misread are refused, naming the row */
	static const tsk_transit_row backwards[] = {
		{ "svc", "", TSK_DELIVER_EVERY_DAY, 21, 0, 8, 21, { { 1, 2 }, { 3, 1 }, { 1, 2 }, { 1, 2 }, { 1, 2 } }, 0.5, 0.4 },
	};
	static const tsk_stall_row bad_stall[] = { { "*", TSK_STATUS__COUNT, 10 } };
	static const tsk_pickup_rule no_days = { 0, 1, 2 };
	const tsk_carrier_tables bad[] = {
		{ TSK_CARRIER_TABLES_VERSION + 1, NULL, 0, NULL, 0, NULL },
		{ TSK_CARRIER_TABLES_VERSION, backwards, 1, NULL, 0, NULL },
		{ TSK_CARRIER_TABLES_VERSION, NULL, 1, NULL, 0, NULL },
		{ TSK_CARRIER_TABLES_VERSION, NULL, 0, bad_stall, 1, NULL },
		{ TSK_CARRIER_TABLES_VERSION, NULL, 0, NULL, 0, &no_days },
	};
	static const char *const why[] = { "tables version", "transit row 0 (svc)", "rows counted but missing",
		                           "stall row 0", "pickup rule" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tsk_adapter t = fake_adapter;
		t.name = "tabled";
		t.tables = &bad[i];
		ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &t), i ? TSK_EINVAL : TSK_EVERSION);
		ck_assert_msg(strstr(tsk_ctx_last_error(ctx), why[i]), "%s", tsk_ctx_last_error(ctx));
		/* a version-1 adapter has no tables: whatever follows userdata is not read */
		t.version = 1;
		ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &t), TSK_OK);
		ck_assert_ptr_eq(tsk_ctx_carrier(ctx, "tabled"), &t);
		tsk_ctx_free(ctx);
		ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
		ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &fake_adapter), TSK_OK);
	}
	ck_assert_uint_eq(tsk_ctx_carrier_count(ctx), 1);
	ck_assert_ptr_eq(tsk_ctx_carrier(ctx, "fake"), &fake_adapter);

	fake_recognize_calls = 0;
	tsk_detection *d;
	ck_assert_int_eq(tsk_detect(&d, ctx, "fake-1"), TSK_OK);
	ck_assert_int_eq(fake_recognize_calls, 1);
	ck_assert_uint_eq(tsk_detection_count(d), 1);
	ck_assert_str_eq(tsk_detection_at(d, 0)->carrier, "fake");
	tsk_detection_free(d);
	ck_assert_int_eq(tsk_detect(&d, ctx, "12345"), TSK_EINVALID_NUMBER);
	ck_assert(!tsk_detection_valid(d));
	ck_assert_ptr_nonnull(tsk_detection_error(d));
	tsk_detection_free(d);

	/* parse is a pure function of bytes and the injected now */
	tsk_time now = at("2010-01-05T00:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_parse(&l, ctx, "fake", "発送", strlen("発送"), NULL), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(fmt(tsk_event_time(tsk_shipment_event_at(s, 0))), "2009-12-31T23:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	ck_assert_ptr_nonnull(tsk_shipment_next_poll(s));
	tsk_shipment_list_free(l);
	ck_assert_int_eq(tsk_parse(&l, ctx, "fake", "", 0, NULL), TSK_EPARSE);
	ck_assert(strstr(tsk_ctx_last_error(ctx), "empty"));
	ck_assert_int_eq(tsk_parse(&l, ctx, "nope", "x", 1, NULL), TSK_ENOCARRIER);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(endpoint_override)
{
	tsk_ctx *ctx;
	setenv("TSUISEKI_ENDPOINT_FAKE", "http://127.0.0.1:1/from-env", 1);
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS), TSK_OK);
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &fake_adapter), TSK_OK);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "fake"), "http://127.0.0.1:1/from-env");
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "fake", "http://127.0.0.1:2/api"), TSK_OK);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "fake"), "http://127.0.0.1:2/api");
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "fake", "ftp://x"), TSK_EINVAL);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "fake", NULL), TSK_OK);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "fake"), "http://127.0.0.1:1/from-env");
	tsk_ctx_free(ctx);
	/* a context that ignores the environment */
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &fake_adapter), TSK_OK);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "fake"), "http://127.0.0.1:9/fake");
	tsk_ctx_free(ctx);
	unsetenv("TSUISEKI_ENDPOINT_FAKE");
}
END_TEST

START_TEST(timeline_merge_dedupes)
{
	tsk_time now = at("2009-09-10T12:00:00+09:00");
	tsk_shipment *old, *fresh;
	ck_assert_int_eq(tsk_shipment_new(&old, "japanpost", "1"), TSK_OK);
	tsk_shipment_append_event(old, local_event(0, 9, 1, 9, 0, "引受", TSK_STATUS_IN_TRANSIT));
	tsk_event *e = local_event(0, 9, 2, 9, 0, "到着", TSK_STATUS_IN_TRANSIT);
	tsk_event_set_text(e, TSK_EVENT_LOCATION, "ＡＢＣ 支店");
	tsk_shipment_append_event(old, e);
	tsk__shipment_finalize(old, &now);
	/* the fresh page lists only the latest state (Japan Post list pages) */
	ck_assert_int_eq(tsk_shipment_new(&fresh, "japanpost", "1"), TSK_OK);
	e = local_event(0, 9, 2, 9, 0, "到着", TSK_STATUS_IN_TRANSIT);
	tsk_event_set_text(e, TSK_EVENT_LOCATION, "ABC支店");
	tsk_shipment_append_event(fresh, e);
	tsk_shipment_append_event(fresh, local_event(0, 9, 3, 10, 0, "お届け済み", TSK_STATUS_DELIVERED));
	tsk__shipment_finalize(fresh, &now);
	ck_assert_int_eq(tsk__timeline_merge(fresh, old), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_event_count(fresh), 3);
	ck_assert_str_eq(tsk_event_carrier_status(tsk_shipment_event_at(fresh, 0)), "引受");
	ck_assert_str_eq(tsk_event_carrier_status(tsk_shipment_event_at(fresh, 2)), "お届け済み");
	tsk_shipment *copy;
	ck_assert_int_eq(tsk_shipment_dup(&copy, fresh), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_event_count(copy), 3);
	tsk_shipment_free(copy);
	tsk_shipment_free(old);
	tsk_shipment_free(fresh);
}
END_TEST

static char *json_of(const tsk_shipment *s)
{
	char *j = NULL;
	ck_assert_int_eq(tsk_shipment_to_json(&j, NULL, s, 0), TSK_OK);
	return j;
}

/* A packed shipment (one block, as a batch keeps them) reads and changes
 * as the one it was made from. */
START_TEST(shipment_pack_keeps_everything)
{
	tsk_time now = at("2009-09-10T12:00:00+09:00");
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "japanpost", "123456789013"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_SERVICE, "ゆうパック"), TSK_OK);
	tsk_event *e = local_event(0, 9, 1, 9, 0, "引受", TSK_STATUS_IN_TRANSIT);
	ck_assert_int_eq(tsk_event_set_text(e, TSK_EVENT_LOCATION, "新宿郵便局"), TSK_OK);
	ck_assert_int_eq(tsk_event_set_text(e, TSK_EVENT_POSTAL_CODE, "1600000"), TSK_OK);
	tsk_shipment_append_event(s, e);
	e = local_event(0, 9, 2, 10, 5, "ご不在のため持ち戻り", TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk__event_set_carrier(e, "yamato"), TSK_OK);
	tsk_shipment_append_event(s, e);
	ck_assert_int_eq(tsk_shipment_set_handoff(s, "yamato", "1234-5678-9012"), TSK_OK);
	ck_assert_int_eq(tsk__shipment_add_leg(s, "japanpost", "123456789013"), TSK_OK);
	ck_assert_int_eq(tsk__shipment_add_leg(s, "yamato", "123456789012"), TSK_OK);
	ck_assert_int_eq(tsk__shipment_add_exception(s, TSK_EXC_FAILED_ATTEMPT, TSK_SEVERITY_WARNING, &now,
	                                             "delivery attempted", 1), TSK_OK);
	ck_assert_int_eq(tsk__shipment_finalize(s, &now), TSK_OK);
	char *before = json_of(s);

	tsk_shipment *plain;
	ck_assert_int_eq(tsk_shipment_dup(&plain, s), TSK_OK);
	ck_assert_int_eq(tsk__shipment_pack(&s), TSK_OK);
	ck_assert(s->packed);
	/* one block, the struct first, its arrays right after it */
	ck_assert_ptr_eq((char *)s->events.block, (char *)s + (sizeof *s + 7) / 8 * 8);
	tsk_shipment *was = s;
	ck_assert_int_eq(tsk__shipment_pack(&s), TSK_OK); /* once is enough */
	ck_assert_ptr_eq(s, was);
	char *packed = json_of(s);
	ck_assert_str_eq(packed, before);
	ck_assert_str_eq(tsk_event_carrier(tsk_shipment_event_at(s, 1)), "yamato");
	ck_assert_str_eq(tsk_shipment_leg_number(s, 1), "123456789012");
	/* the events are one array, each event's texts after it in the block */
	const tsk_event *ev0 = tsk_shipment_event_at(s, 0);
	ck_assert_ptr_eq(ev0, s->events.block);
	ck_assert_ptr_eq(tsk_shipment_event_at(s, 1), s->events.block + 1);
	ck_assert_str_eq(tsk_event_location(ev0), "新宿郵便局");
	ck_assert_ptr_eq(tsk_event_location(ev0), (const char *)ev0 + ev0->text_at[TSK_EVENT_LOCATION]);
	ck_assert_ptr_null(tsk_event_description(ev0));
	/* and they cannot change behind the shipment's back */
	ck_assert_int_eq(tsk_event_set_text((tsk_event *)ev0, TSK_EVENT_LOCATION, "渋谷郵便局"), TSK_EINVAL);
	ck_assert_int_eq(tsk__event_set_carrier((tsk_event *)ev0, "sagawa"), TSK_EINVAL);
	ck_assert_str_eq(tsk_event_location(ev0), "新宿郵便局");
	/* a string said twice is kept once */
	ck_assert_ptr_eq(s->legs[0].carrier, s->carrier);
	ck_assert_ptr_eq(s->legs[0].number, s->number);

	/* a copy of a packed shipment is an ordinary one */
	tsk_shipment *copy;
	ck_assert_int_eq(tsk_shipment_dup(&copy, s), TSK_OK);
	ck_assert(!copy->packed);
	char *copied = json_of(copy);
	ck_assert_str_eq(copied, before);
	tsk_shipment_free(copy);

	/* every change works on it as on the unpacked original */
	tsk_shipment *both[2] = { s, plain };
	for (int i = 0; i < 2; i++) {
		tsk_shipment *x = both[i];
		ck_assert_int_eq(tsk_shipment_set_text(x, TSK_SHIPMENT_SERVICE, "ゆうパケット"), TSK_OK);
		ck_assert_int_eq(tsk__shipment_pack(&x), TSK_OK);
		tsk_shipment_append_event(x, local_event(0, 9, 3, 11, 0, "お届け済み", TSK_STATUS_DELIVERED));
		ck_assert_int_eq(tsk__shipment_pack(&x), TSK_OK);
		tsk__shipment_clear_exceptions(x);
		ck_assert_int_eq(tsk__shipment_add_exception(x, TSK_EXC_LATE, TSK_SEVERITY_INFO, &now, NULL, -1),
		                 TSK_OK);
		ck_assert_int_eq(tsk__shipment_pack(&x), TSK_OK);
		ck_assert_int_eq(tsk_shipment_set_error(x, TSK_EHTTP, "HTTP 503"), TSK_OK);
		ck_assert_int_eq(tsk__shipment_pack(&x), TSK_OK);
		both[i] = x;
		tsk_shipment *old;
		ck_assert_int_eq(tsk_shipment_new(&old, "japanpost", "123456789013"), TSK_OK);
		tsk_shipment_append_event(old, local_event(0, 8, 31, 18, 0, "差出", TSK_STATUS_INFO_RECEIVED));
		ck_assert_int_eq(tsk__timeline_merge(x, old), TSK_OK);
		tsk_shipment_free(old);
		ck_assert_int_eq(tsk__shipment_finalize(x, &now), TSK_OK);
	}
	s = both[0];
	plain = both[1];
	char *a = json_of(s), *b = json_of(plain);
	ck_assert_str_eq(a, b);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 4);
	ck_assert_str_eq(tsk_shipment_service(s), "ゆうパケット");
	tsk_free(a);
	tsk_free(b);
	tsk_free(before);
	tsk_free(packed);
	tsk_free(copied);
	tsk_shipment_free(plain);
	tsk_shipment_free(s);
}
END_TEST

/* A packed event says where its texts are in 16 bits: a shipment whose
 * block would reach 64 KB stays as it is, and reads the same. */
START_TEST(shipment_too_large_to_pack_stays_as_it_is)
{
	tsk_time now = at("2009-09-10T12:00:00+09:00");
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "japanpost", "123456789013"), TSK_OK);
	char where[64];
	for (int i = 0; i < 1000; i++) {
		tsk_event *e = local_event(0, 9, 1 + i % 28, 9, 0, "通過", TSK_STATUS_IN_TRANSIT);
		snprintf(where, sizeof where, "第%d区分センター（ゆうパック・郵便物）", i);
		ck_assert_int_eq(tsk_event_set_text(e, TSK_EVENT_LOCATION, where), TSK_OK);
		tsk_shipment_append_event(s, e);
	}
	ck_assert_int_eq(tsk__shipment_finalize(s, &now), TSK_OK);
	char *before = json_of(s);
	tsk_shipment *was = s;
	ck_assert_int_eq(tsk__shipment_pack(&s), TSK_OK);
	ck_assert_ptr_eq(s, was);
	ck_assert(!s->packed);
	char *after = json_of(s);
	ck_assert_str_eq(after, before);
	ck_assert_str_eq(tsk_event_location(tsk_shipment_event_at(s, 999)), "第999区分センター（ゆうパック・郵便物）");
	tsk_free(before);
	tsk_free(after);
	tsk_shipment_free(s);
}
END_TEST

/* The initialisers set the version the library expects and leave the rest empty. */
START_TEST(adapter_struct_initialisers)
{
	tsk_request_env renv = TSK_REQUEST_ENV_INIT;
	ck_assert_uint_eq(renv.version, TSK_REQUEST_ENV_VERSION);
	ck_assert_ptr_null(renv.endpoint);
	ck_assert(renv.getenv == 0);
	tsk_response resp = TSK_RESPONSE_INIT;
	ck_assert_uint_eq(resp.version, TSK_RESPONSE_VERSION);
	ck_assert_ptr_null(resp.body);
	ck_assert_uint_eq(resp.len, 0);
	ck_assert_uint_eq(resp.count, 0);
	tsk_parse_env penv = TSK_PARSE_ENV_INIT;
	ck_assert_uint_eq(penv.version, TSK_PARSE_ENV_VERSION);
	ck_assert_int_eq(tsk_time_is_set(&penv.now), 0);
	ck_assert_ptr_null(penv.locale);
	tsk_adapter a = TSK_ADAPTER_INIT;
	ck_assert_uint_eq(a.version, TSK_ADAPTER_VERSION);
	ck_assert_ptr_null(a.name);
	ck_assert(a.parse == 0 && a.recognize == 0 && a.destroy == 0);
	ck_assert_ptr_null(a.userdata);
	/* an adapter missing its functions is refused, not registered half-made */
	tsk_ctx *ctx = NULL;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT | TSK_CTX_NO_DEFAULT_CARRIERS), TSK_OK);
	a.name = "half";
	a.max_batch = 1;
	ck_assert_int_ne(tsk_ctx_register_adapter(ctx, &a), TSK_OK);
	ck_assert_ptr_null(tsk_ctx_carrier(ctx, "half"));
	tsk_ctx_free(ctx);
}
END_TEST

/* TSK__ERROR_LAST, counted from the list, is the last code: every code
 * from 0 down to it has its own name, the one past it none. */
START_TEST(error_last_is_counted)
{
	ck_assert_int_eq(TSK__ERROR_LAST, TSK_ECARRIER_UNAVAILABLE);
	for (int c = 0; c >= TSK__ERROR_LAST; c--) {
		ck_assert_msg(c == TSK_ERROR || strcmp(tsk_error_name(c), "error") != 0, "code %d has no name", c);
		int back = 1;
		ck_assert_int_eq(tsk_error_from_name(&back, tsk_error_name(c)), TSK_OK);
		ck_assert_int_eq(back, c);
	}
	ck_assert_str_eq(tsk_error_name(TSK__ERROR_LAST - 1), "error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, time_roundtrip);
	tcase_add_test(tc, adapter_struct_initialisers);
	tcase_add_test(tc, error_last_is_counted);
	tcase_add_test(tc, year_inference_new_year);
	tcase_add_test(tc, year_inference_not_after_now_plus_a_day);
	tcase_add_test(tc, year_hint_not_before_ship_date);
	tcase_add_test(tc, eta_local_window);
	tcase_add_test(tc, text_normalisation);
	tcase_add_test(tc, folded_rows_compare_as_folded_text);
	tcase_add_test(tc, number_checks);
	tcase_add_test(tc, status_names);
	tcase_add_test(tc, status_rule);
	tcase_add_test(tc, registry_checks);
	tcase_add_test(tc, endpoint_override);
	tcase_add_test(tc, timeline_merge_dedupes);
	tcase_add_test(tc, shipment_pack_keeps_everything);
	tcase_add_test(tc, shipment_too_large_to_pack_stays_as_it_is);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
