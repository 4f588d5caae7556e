/*
 * ETA: the carrier's stated window (time band, year boundary), the model
 * (regions, cut-off, delivery calendar, progress), `original`, and learned
 * lanes preferred over the tables.
 */
#include "eta_builders.h"
#include "context.h"
#include "parse.h"
#include "eta.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define IT TSK_STATUS_IN_TRANSIT
#define NONE TSK_EXC_NONE

static void assert_eta(const tsk_shipment *s, const char *earliest, const char *latest, tsk_eta_source src)
{
	const tsk_eta *e = tsk_shipment_eta(s);
	ck_assert_msg(e != NULL, "no ETA");
	ck_assert_str_eq(tb_fmt(&e->earliest), earliest);
	ck_assert_str_eq(tb_fmt(&e->latest), latest);
	ck_assert_int_eq(e->source, src);
}

START_TEST(regions_from_text)
{
	ck_assert_int_eq(tsk__region_of_text("東京都"), TSK__REGION_KANTO);
	ck_assert_int_eq(tsk__region_of_text("京都府"), TSK__REGION_KANSAI);
	ck_assert_int_eq(tsk__region_of_text("岡山県"), TSK__REGION_CHUGOKU);
	ck_assert_int_eq(tsk__region_of_text("北九州物流システム支店"), TSK__REGION_KYUSHU);
	ck_assert_int_eq(tsk__region_of_text("福島ベース店"), TSK__REGION_MINAMI_TOHOKU);
	ck_assert_int_eq(tsk__region_of_text("白河東センター"), TSK__REGION_MINAMI_TOHOKU);
	ck_assert_int_eq(tsk__region_of_text("名古屋神宮支店"), TSK__REGION_CHUBU);
	ck_assert_int_eq(tsk__region_of_text("羽田ＣＧ"), TSK__REGION_KANTO);
	ck_assert_int_eq(tsk__region_of_text("OSAKA"), TSK__REGION_KANSAI);
	ck_assert_int_eq(tsk__region_of_text("NARITA"), TSK__REGION_NONE); /* not Nara */
	ck_assert_int_eq(tsk__region_of_text("関東"), TSK__REGION_KANTO);
	ck_assert_int_eq(tsk__region_of_text("okinawa"), TSK__REGION_OKINAWA);
	ck_assert_int_eq(tsk__region_of_text("城南店"), TSK__REGION_NONE);
	ck_assert_int_eq(tsk__region_of_text(NULL), TSK__REGION_NONE);
	ck_assert_str_eq(tsk__region_id(TSK__REGION_KANTO), "kanto");
	ck_assert_ptr_null(tsk__region_id(TSK__REGION_NONE));
}
END_TEST

START_TEST(carrier_time_window)
{
	tsk_shipment *s = tb_shipment("yamato", "123456789012", "宅急便");
	tb_add(s, tb_event("12-02 18:00", "荷物受付", IT, NONE, "羽田ＣＧ", NULL));
	ck_assert_int_eq(tsk_shipment_set_eta_local(s, 0, 12, 3, 14, 0, 16, 0), TSK_OK);
	tb_run(s, NULL, "2024-12-02T20:00:00+09:00");
	assert_eta(s, "2024-12-03T14:00:00+09:00", "2024-12-03T16:00:00+09:00", TSK_ETA_CARRIER);
	ck_assert(tsk_shipment_eta(s)->confidence > 0.85);
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s)->original_earliest), "2024-12-03T14:00:00+09:00");
	tsk_shipment_free(s);

	/* a whole day is less certain than a band */
	s = tb_shipment("yamato", "123456789012", "宅急便");
	tb_add(s, tb_event("12-02 18:00", "荷物受付", IT, NONE, NULL, NULL));
	ck_assert_int_eq(tsk_shipment_set_eta_local(s, 0, 12, 3, -1, 0, -1, 0), TSK_OK);
	tb_run(s, NULL, "2024-12-02T20:00:00+09:00");
	assert_eta(s, "2024-12-03T00:00:00+09:00", "2024-12-03T23:59:00+09:00", TSK_ETA_CARRIER);
	ck_assert(tsk_shipment_eta(s)->confidence < 0.85);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(carrier_year_boundary)
{
	/* December events, a stated 01/05 read on New Year's Eve: next year */
	tsk_shipment *s = tb_shipment("yamato", "123456789012", "宅急便");
	tb_add(s, tb_event("12-30 10:00", "荷物受付", IT, NONE, NULL, NULL));
	tb_add(s, tb_event("12-31 02:00", "作業店通過", IT, NONE, NULL, NULL));
	ck_assert_int_eq(tsk_shipment_set_eta_local(s, 0, 1, 5, 19, 0, 21, 0), TSK_OK);
	tb_run(s, NULL, "2024-12-31T12:00:00+09:00");
	assert_eta(s, "2025-01-05T19:00:00+09:00", "2025-01-05T21:00:00+09:00", TSK_ETA_CARRIER);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(model_year_boundary_mail)
{
	/* recorded mail posted Monday 2024-12-30 in Tokyo for Tokyo: two to three
	 * days, but 1/1 is a holiday: 1/2 */
	tsk_shipment *s = tb_shipment("japanpost", "51234567890", "特定記録郵便");
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_add(s, tb_event("2024-12-30 10:00", "引受", IT, NONE, "新宿郵便局", "東京都"));
	tb_run(s, NULL, "2024-12-30T12:00:00+09:00");
	assert_eta(s, "2025-01-02T09:00:00+09:00", "2025-01-02T19:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	/* a parcel over the year boundary: every day counts, 1/1 included */
	s = tb_shipment("yamato", "123456789012", "宅急便");
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "大阪府"), TSK_OK);
	tb_add(s, tb_event("12-31 15:00", "荷物受付", IT, NONE, "新宿センター", NULL));
	tb_run(s, NULL, "2025-01-01T01:00:00+09:00");
	assert_eta(s, "2025-01-01T08:00:00+09:00", "2025-01-02T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(model_friday_evening_mail)
{
	/* Friday 2024-03-01 19:30, after the cut-off: counts from Saturday; mail is
	 * not delivered on Saturday or Sunday -> Monday/Tuesday */
	tsk_shipment *s = tb_shipment("japanpost", "51234567890", "特定記録郵便");
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_add(s, tb_event("2024-03-01 19:30", "引受", IT, NONE, "新宿郵便局", "東京都"));
	tb_run(s, NULL, "2024-03-01T20:00:00+09:00");
	assert_eta(s, "2024-03-04T09:00:00+09:00", "2024-03-05T19:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	/* the same from a number alone: 11 digits starting 5 is 特定記録 */
	s = tb_shipment("japanpost", "51234567890", NULL);
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_add(s, tb_event("2024-03-01 19:30", "引受", IT, NONE, "新宿郵便局", "東京都"));
	tb_run(s, NULL, "2024-03-01T20:00:00+09:00");
	struct tsk__lane lane;
	tsk__lane_resolve(&lane, s, tsk__ctx_tables_adapter(NULL, "japanpost"));
	ck_assert_str_eq(lane.row->service, "mail");
	ck_assert_int_eq(lane.row->calendar, TSK__CAL_MAIL);
	ck_assert_int_eq(lane.origin, TSK__REGION_KANTO);
	ck_assert_int_eq(lane.destination, TSK__REGION_KANTO);
	assert_eta(s, "2024-03-04T09:00:00+09:00", "2024-03-05T19:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	/* a ゆうパック accepted at the same time arrives on Saturday */
	s = tb_shipment("japanpost", "123456789012", "ゆうパック");
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_add(s, tb_event("2024-03-01 19:30", "引受", IT, NONE, "新宿郵便局", "東京都"));
	tb_run(s, NULL, "2024-03-01T20:00:00+09:00");
	assert_eta(s, "2024-03-02T08:00:00+09:00", "2024-03-02T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	/* mail posted Friday morning: Monday (Sunday is skipped) */
	s = tb_shipment("japanpost", "51234567890", "特定記録郵便");
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_add(s, tb_event("2024-03-01 10:00", "引受", IT, NONE, "新宿郵便局", "東京都"));
	tb_run(s, NULL, "2024-03-01T11:00:00+09:00");
	assert_eta(s, "2024-03-04T09:00:00+09:00", "2024-03-04T19:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(model_regions_and_confidence)
{
	/* Fukuoka -> Tokyo is distance class 2 (1..2 days); unknown destination is
	 * the nationwide row (1..3 days) with less confidence */
	tsk_shipment *known = tb_shipment("sagawa", "123456789012", NULL);
	ck_assert_int_eq(tsk_shipment_set_text(known, TSK_SHIPMENT_ORIGIN_REGION, "福岡県"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_set_text(known, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_add(known, tb_event("2024-06-03 16:00", "集荷", IT, NONE, NULL, NULL));
	tb_run(known, NULL, "2024-06-03T17:00:00+09:00");
	assert_eta(known, "2024-06-04T08:00:00+09:00", "2024-06-05T21:00:00+09:00", TSK_ETA_MODEL);

	tsk_shipment *unknown = tb_shipment("sagawa", "123456789012", NULL);
	tb_add(unknown, tb_event("2024-06-03 16:00", "集荷", IT, NONE, NULL, NULL));
	tb_run(unknown, NULL, "2024-06-03T17:00:00+09:00");
	assert_eta(unknown, "2024-06-04T08:00:00+09:00", "2024-06-06T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert(tsk_shipment_eta(unknown)->confidence < tsk_shipment_eta(known)->confidence);

	/* Hokkaido -> Okinawa is far: two to three days */
	tsk_shipment *far = tb_shipment("yamato", "123456789012", "宅急便");
	ck_assert_int_eq(tsk_shipment_set_text(far, TSK_SHIPMENT_DESTINATION_REGION, "沖縄県"), TSK_OK);
	tb_add(far, tb_event("2024-06-03 16:00", "荷物受付", IT, NONE, "札幌東センター", NULL));
	tb_run(far, NULL, "2024-06-03T17:00:00+09:00");
	assert_eta(far, "2024-06-05T08:00:00+09:00", "2024-06-06T21:00:00+09:00", TSK_ETA_MODEL);

	/* accepted after the 21:00 cut-off: from the next day */
	tsk_shipment *late = tb_shipment("yamato", "123456789012", "宅急便");
	ck_assert_int_eq(tsk_shipment_set_text(late, TSK_SHIPMENT_DESTINATION_REGION, "沖縄県"), TSK_OK);
	tb_add(late, tb_event("2024-06-03 21:30", "荷物受付", IT, NONE, "札幌東センター", NULL));
	tb_run(late, NULL, "2024-06-03T22:00:00+09:00");
	assert_eta(late, "2024-06-06T08:00:00+09:00", "2024-06-07T21:00:00+09:00", TSK_ETA_MODEL);

	tsk_shipment_free(known);
	tsk_shipment_free(unknown);
	tsk_shipment_free(far);
	tsk_shipment_free(late);
}
END_TEST

/* The history of one parcel, cut after n events. */
static tsk_shipment *progress(int n)
{
	tsk_shipment *s = tb_shipment("yamato", "225303415632", "宅急便");
	const struct {
		const char *when, *word, *where;
		tsk_status st;
	} h[] = {
		{ "2024-06-24 14:11", "荷物受付", "北九州物流システム支店", IT },
		{ "2024-06-25 01:31", "作業店通過", "広島ベース店", IT },
		{ "2024-06-25 05:10", "配達店到着", "広島東原センター", IT },
		{ "2024-06-25 08:30", "配達中", "広島東原センター", TSK_STATUS_OUT_FOR_DELIVERY },
		{ "2024-06-25 09:51", "持戻（ご不在）", "広島東原センター", TSK_STATUS_FAILED_ATTEMPT },
		{ "2024-06-26 08:34", "依頼受付（再配達）", "広島主管支店", IT },
		{ "2024-06-27 09:48", "配達完了", "広島東原センター", TSK_STATUS_DELIVERED },
	};
	for (int i = 0; i < n; i++)
		tb_add(s, tb_event(h[i].when, h[i].word, h[i].st, NONE, h[i].where, NULL));
	return s;
}

START_TEST(model_moves_with_events)
{
	/* each cut is read just after its last event (the window is never
	 * shown in the past: model_window_never_in_the_past) */
	tsk_shipment *s1 = progress(1);
	tb_run(s1, NULL, "2024-06-24T14:11:00+09:00");
	/* Kyushu origin, destination unknown: nationwide 1..3 days */
	assert_eta(s1, "2024-06-25T08:00:00+09:00", "2024-06-27T21:00:00+09:00", TSK_ETA_MODEL);
	double c1 = tsk_shipment_eta(s1)->confidence;

	tsk_shipment *s3 = progress(3);
	tb_run(s3, s1, "2024-06-25T05:10:00+09:00");
	/* arrived at the delivery centre at 05:10: today or tomorrow */
	assert_eta(s3, "2024-06-25T08:00:00+09:00", "2024-06-26T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert(tsk_shipment_eta(s3)->confidence > c1);
	/* the first promise stays */
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s3)->original_earliest), "2024-06-25T08:00:00+09:00");
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s3)->original_latest), "2024-06-27T21:00:00+09:00");

	tsk_shipment *s4 = progress(4);
	tb_run(s4, s3, "2024-06-25T08:30:00+09:00");
	assert_eta(s4, "2024-06-25T08:30:00+09:00", "2024-06-25T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert(tsk_shipment_eta(s4)->confidence > tsk_shipment_eta(s3)->confidence);
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s4)->original_latest), "2024-06-27T21:00:00+09:00");

	tsk_shipment *s5 = progress(5);
	tb_run(s5, s4, "2024-06-25T09:51:00+09:00");
	/* a failed attempt in the morning: redelivery from this evening to the day after tomorrow */
	assert_eta(s5, "2024-06-25T09:51:00+09:00", "2024-06-27T21:00:00+09:00", TSK_ETA_MODEL);

	tsk_shipment *s6 = progress(6);
	tb_run(s6, s5, "2024-06-26T08:34:00+09:00");
	/* redelivery requested at 08:34: today (from now) or tomorrow */
	assert_eta(s6, "2024-06-26T08:34:00+09:00", "2024-06-27T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert(tsk_shipment_eta(s6)->confidence > tsk_shipment_eta(s5)->confidence);

	tsk_shipment *s7 = progress(7);
	tb_run(s7, s6, "2024-06-28T00:00:00+09:00");
	ck_assert_ptr_null(tsk_shipment_eta(s7));

	tsk_shipment_free(s1);
	tsk_shipment_free(s3);
	tsk_shipment_free(s4);
	tsk_shipment_free(s5);
	tsk_shipment_free(s6);
	tsk_shipment_free(s7);
}
END_TEST

/* A model window shown while the parcel is undelivered is never in the
 * past: opened before now, it opens now; closed before now, it moves to
 * the next delivery days from now, as many days, with half the confidence.
 * Never a `late` (that is for a carrier's own window: test_exceptions). */
START_TEST(model_window_never_in_the_past)
{
	/* the nationwide 1..3 days of 06-25..06-27, read on 06-28 at midnight */
	tsk_shipment *s = progress(1);
	tb_run(s, NULL, "2024-06-24T15:00:00+09:00");
	double fresh = tsk_shipment_eta(s)->confidence;
	tb_run(s, NULL, "2024-06-28T00:00:00+09:00");
	assert_eta(s, "2024-06-28T08:00:00+09:00", "2024-06-30T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert_double_eq_tol(tsk_shipment_eta(s)->confidence, fresh / 2, 0.011);
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_LATE));
	tsk_shipment_free(s);

	/* on the van since 08:30: at noon the window opens now, as sure as before */
	s = progress(4);
	tb_run(s, NULL, "2024-06-25T08:30:00+09:00");
	fresh = tsk_shipment_eta(s)->confidence;
	tb_run(s, NULL, "2024-06-25T12:00:00+09:00");
	assert_eta(s, "2024-06-25T12:00:00+09:00", "2024-06-25T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert_double_eq_tol(tsk_shipment_eta(s)->confidence, fresh, 1e-9);
	/* past the day's deliveries (21:00) and nothing: tomorrow, less sure */
	tb_run(s, NULL, "2024-06-25T21:00:00+09:00");
	assert_eta(s, "2024-06-26T08:00:00+09:00", "2024-06-26T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert(tsk_shipment_eta(s)->confidence < fresh);
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_LATE));
	/* the next morning, inside the moved window: it opens now */
	tb_run(s, NULL, "2024-06-26T10:05:30+09:00");
	assert_eta(s, "2024-06-26T10:05:00+09:00", "2024-06-26T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	/* mail due Monday 03-04, read on Saturday 03-09: mail is not delivered
	 * at weekends, so Monday 03-11 by the mail calendar */
	s = tb_shipment("japanpost", "51234567890", "特定記録郵便");
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_add(s, tb_event("2024-03-01 10:00", "引受", IT, NONE, "新宿郵便局", "東京都"));
	tb_run(s, NULL, "2024-03-09T10:00:00+09:00");
	assert_eta(s, "2024-03-11T09:00:00+09:00", "2024-03-11T19:00:00+09:00", TSK_ETA_MODEL);
	/* the first window shown is the moved one (never a past one) */
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s)->original_latest), "2024-03-11T19:00:00+09:00");
	tsk_shipment_free(s);

	/* the carrier's own window is the carrier's: not moved */
	s = tb_shipment("yamato", "123456789012", "宅急便");
	tb_add(s, tb_event("12-02 18:00", "荷物受付", IT, NONE, "羽田ＣＧ", NULL));
	ck_assert_int_eq(tsk_shipment_set_eta_local(s, 0, 12, 3, 14, 0, 16, 0), TSK_OK);
	tb_run(s, NULL, "2024-12-04T09:00:00+09:00");
	assert_eta(s, "2024-12-03T14:00:00+09:00", "2024-12-03T16:00:00+09:00", TSK_ETA_CARRIER);
	ck_assert_ptr_nonnull(tb_exception(s, TSK_EXC_LATE));
	tsk_shipment_free(s);
}
END_TEST

START_TEST(model_rebases_when_slow)
{
	/* still in transit three days after the window closed: the next two days */
	tsk_shipment *s = tb_shipment("yamato", "123456789012", "宅急便");
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_add(s, tb_event("2024-06-03 10:00", "荷物受付", IT, NONE, "新宿センター", NULL));
	tb_add(s, tb_event("2024-06-06 10:00", "作業店通過", IT, NONE, "羽田ＣＧ", NULL));
	tb_run(s, NULL, "2024-06-06T11:00:00+09:00");
	assert_eta(s, "2024-06-07T08:00:00+09:00", "2024-06-08T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(model_attempts_delays_and_bases)
{
	/* an attempt after 18:00: redelivery from tomorrow */
	tsk_shipment *s = tb_shipment("yamato", "123456789012", "宅急便");
	tb_add(s, tb_event("2024-06-03 10:00", "荷物受付", IT, NONE, "新宿センター", NULL));
	tb_add(s, tb_event("2024-06-04 19:10", "持戻（ご不在）", TSK_STATUS_FAILED_ATTEMPT, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-04T20:00:00+09:00");
	assert_eta(s, "2024-06-05T08:00:00+09:00", "2024-06-06T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	/* a delay notice: two more days, half the confidence */
	s = tb_shipment("sagawa", "123456789012", NULL);
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "鹿児島県"), TSK_OK);
	tb_add(s, tb_event("2024-08-28 17:00", "集荷", IT, NONE, "大阪店", NULL));
	tb_run(s, NULL, "2024-08-28T18:00:00+09:00");
	assert_eta(s, "2024-08-29T08:00:00+09:00", "2024-08-30T21:00:00+09:00", TSK_ETA_MODEL);
	double before = tsk_shipment_eta(s)->confidence;
	tb_add(s, tb_event("2024-08-29 07:00", "台風の影響により輸送を見合わせております", IT, NONE, "大阪店", NULL));
	tb_run(s, NULL, "2024-08-29T08:00:00+09:00");
	assert_eta(s, "2024-08-29T08:00:00+09:00", "2024-09-01T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert(tsk_shipment_eta(s)->confidence < before);
	tsk_shipment_free(s);

	/* destination unknown, but the parcel reached a base in another region:
	 * the lane from the origin to there instead of the nationwide row */
	s = tb_shipment("yamato", "249770279150", "宅急便");
	tb_add(s, tb_event("2024-07-24 19:50", "荷物受付", IT, NONE, "北東京物流システム支店", NULL));
	tb_run(s, NULL, "2024-07-24T20:00:00+09:00");
	assert_eta(s, "2024-07-25T08:00:00+09:00", "2024-07-27T21:00:00+09:00", TSK_ETA_MODEL);
	tb_add(s, tb_event("2024-07-25 02:37", "作業店通過", IT, NONE, "長野ベース店", NULL));
	tb_run(s, NULL, "2024-07-25T03:00:00+09:00");
	assert_eta(s, "2024-07-25T08:00:00+09:00", "2024-07-26T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(no_eta_when_final)
{
	tsk_shipment *s = tb_shipment("japanpost", "123456789012", "ゆうパック");
	tb_add(s, tb_event("2024-06-03 10:00", "引受", IT, NONE, NULL, "岡山県"));
	tb_add(s, tb_event("2024-06-04 10:00", "差出人に返送", TSK_STATUS_RETURNED_TO_SENDER, NONE, NULL, "愛知県"));
	ck_assert_int_eq(tsk_shipment_set_eta_local(s, 2024, 6, 5, -1, 0, -1, 0), TSK_OK);
	tb_run(s, NULL, "2024-06-05T10:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_RETURNED_TO_SENDER);
	ck_assert_ptr_null(tsk_shipment_eta(s));
	tsk_shipment_free(s);

	/* nothing dated: nothing to go on */
	s = tb_shipment("sagawa", "123456789012", NULL);
	tb_add(s, tb_event(NULL, "お荷物をお預かり致しました。", IT, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-05T10:00:00+09:00");
	ck_assert_ptr_null(tsk_shipment_eta(s));
	tsk_shipment_free(s);

	/* label data only: a late, low-confidence window (pickup tomorrow at the earliest) */
	s = tb_shipment("yamato", "123456789012", "宅急便");
	tb_add(s, tb_event("2024-06-03 10:00", "出荷指示", TSK_STATUS_INFO_RECEIVED, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-03T11:00:00+09:00");
	assert_eta(s, "2024-06-05T08:00:00+09:00", "2024-06-08T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert(tsk_shipment_eta(s)->confidence < 0.3);
	tsk_shipment_free(s);
}
END_TEST

/* A delivered Tokyo -> Osaka parcel that took `hours` from acceptance. */
static tsk_shipment *delivered(const char *number, int day, int hours)
{
	tsk_shipment *s = tb_shipment("yamato", number, "宅急便");
	char when[32], done[32];
	snprintf(when, sizeof when, "2024-04-%02d 10:00", day);
	int end_day = day + (10 + hours) / 24, end_hour = (10 + hours) % 24;
	snprintf(done, sizeof done, "2024-04-%02d %02d:00", end_day, end_hour);
	tb_add(s, tb_event(when, "荷物受付", IT, NONE, "新宿センター", NULL));
	tb_add(s, tb_event(done, "配達完了", TSK_STATUS_DELIVERED, NONE, "大阪中央センター", NULL));
	tb_run(s, NULL, "2024-05-01T00:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	return s;
}

static tsk_shipment *fresh_from_tokyo(void)
{
	tsk_shipment *s = tb_shipment("yamato", "999999999994", "宅急便");
	tb_add(s, tb_event("2024-05-10 10:00", "荷物受付", IT, NONE, "新宿センター", NULL));
	return s;
}

START_TEST(learning_prefers_lanes)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	tsk_time now = tb_at("2024-05-10T11:00:00+09:00");
	ck_assert_int_eq(tsk_ctx_set_now(ctx, &now), TSK_OK);

	/* without history: the table (Kanto -> unknown: nationwide 1..3 days) */
	tsk_shipment *s = fresh_from_tokyo();
	ck_assert_int_eq(tsk__ctx_complete(ctx, s, NULL), TSK_OK);
	assert_eta(s, "2024-05-11T08:00:00+09:00", "2024-05-13T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	/* two deliveries are not enough to trust */
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_shipment_list_new(&l), TSK_OK);
	ck_assert_int_eq(tsk_shipment_list_append(l, delivered("100000000001", 1, 50)), TSK_OK);
	ck_assert_int_eq(tsk_shipment_list_append(l, delivered("100000000002", 3, 50)), TSK_OK);
	ck_assert_int_eq(tsk_ctx_learn_transit(ctx, l), TSK_OK);
	s = fresh_from_tokyo();
	ck_assert_int_eq(tsk__ctx_complete(ctx, s, NULL), TSK_OK);
	assert_eta(s, "2024-05-11T08:00:00+09:00", "2024-05-13T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	/* four: the lane (50 h: day 2) wins over the table */
	ck_assert_int_eq(tsk_shipment_list_append(l, delivered("100000000003", 5, 49)), TSK_OK);
	ck_assert_int_eq(tsk_shipment_list_append(l, delivered("100000000004", 8, 51)), TSK_OK);
	/* a shipment in transit teaches nothing */
	tsk_shipment *moving = fresh_from_tokyo();
	tb_run(moving, NULL, "2024-05-10T11:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_list_append(l, moving), TSK_OK);
	ck_assert_int_eq(tsk_ctx_learn_transit(ctx, l), TSK_OK);
	ck_assert_int_eq(tsk_ctx_learn_transit(ctx, l), TSK_OK); /* the same history again: no double count */

	s = fresh_from_tokyo();
	ck_assert_int_eq(tsk__ctx_complete(ctx, s, NULL), TSK_OK);
	assert_eta(s, "2024-05-12T08:00:00+09:00", "2024-05-12T21:00:00+09:00", TSK_ETA_MODEL);
	ck_assert(tsk_shipment_eta(s)->confidence >= 0.6);
	tsk_shipment_free(s);

	/* the lanes: any/any, kanto/any, any/kansai, kanto/kansai — 4 samples each */
	ck_assert_uint_eq(tsk_ctx_transit_lane_count(ctx), 4);
	bool exact = false;
	for (size_t i = 0; i < tsk_ctx_transit_lane_count(ctx); i++) {
		tsk_transit_lane lane;
		ck_assert_int_eq(tsk_ctx_transit_lane_at(ctx, i, &lane), TSK_OK);
		ck_assert_str_eq(lane.carrier, "yamato");
		ck_assert_str_eq(lane.service, "takkyubin");
		ck_assert_uint_eq(lane.samples, 4);
		ck_assert(lane.in_use);
		if (lane.origin && lane.destination) {
			ck_assert_str_eq(lane.origin, "kanto");
			ck_assert_str_eq(lane.destination, "kansai");
			ck_assert(lane.p50_hours > 49.9 && lane.p50_hours < 50.1);
			ck_assert(lane.p10_hours >= 49 && lane.p90_hours <= 51);
			exact = true;
		}
	}
	ck_assert(exact);
	tsk_transit_lane none;
	ck_assert_int_eq(tsk_ctx_transit_lane_at(ctx, 99, &none), TSK_EINVAL);

	/* another origin is not covered by the Tokyo lanes */
	s = tb_shipment("yamato", "999999999994", "宅急便");
	tb_add(s, tb_event("2024-05-10 10:00", "荷物受付", IT, NONE, "札幌東センター", NULL));
	ck_assert_int_eq(tsk__ctx_complete(ctx, s, NULL), TSK_OK);
	assert_eta(s, "2024-05-11T08:00:00+09:00", "2024-05-13T21:00:00+09:00", TSK_ETA_MODEL);
	tsk_shipment_free(s);

	tsk_ctx_forget_transit(ctx);
	ck_assert_uint_eq(tsk_ctx_transit_lane_count(ctx), 0);
	ck_assert_int_eq(tsk_ctx_learn_transit(ctx, NULL), TSK_EINVAL);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("eta");
	TCase *tc = tcase_create("eta");
	tcase_add_test(tc, regions_from_text);
	tcase_add_test(tc, carrier_time_window);
	tcase_add_test(tc, carrier_year_boundary);
	tcase_add_test(tc, model_year_boundary_mail);
	tcase_add_test(tc, model_friday_evening_mail);
	tcase_add_test(tc, model_regions_and_confidence);
	tcase_add_test(tc, model_moves_with_events);
	tcase_add_test(tc, model_window_never_in_the_past);
	tcase_add_test(tc, model_rebases_when_slow);
	tcase_add_test(tc, model_attempts_delays_and_bases);
	tcase_add_test(tc, no_eta_when_final);
	tcase_add_test(tc, learning_prefers_lanes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
