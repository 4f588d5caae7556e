/*
 * Exceptions: every code of DESIGN.md raised by its rule and cleared (or
 * kept) by later events; clock-based ones at injected times.
 */
#include "eta_builders.h"
#include "exceptions.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define IT TSK_STATUS_IN_TRANSIT
#define OFD TSK_STATUS_OUT_FOR_DELIVERY
#define FAIL TSK_STATUS_FAILED_ATTEMPT
#define HELD TSK_STATUS_AVAILABLE_FOR_PICKUP
#define DONE TSK_STATUS_DELIVERED
#define EXC TSK_STATUS_EXCEPTION
#define RTS TSK_STATUS_RETURNED_TO_SENDER
#define NONE TSK_EXC_NONE

static tsk_shipment *yamato(void)
{
	tsk_shipment *s = tb_shipment("yamato", "225303415632", "宅急便");
	tb_add(s, tb_event("2024-06-08 14:00", "荷物受付", IT, NONE, "新宿センター", NULL));
	return s;
}

START_TEST(failed_attempt_raised_and_cleared)
{
	tsk_shipment *s = yamato();
	tb_add(s, tb_event("2024-06-09 09:00", "配達中", OFD, NONE, NULL, NULL));
	tb_add(s, tb_event("2024-06-09 10:00", "持戻（ご不在）", FAIL, TSK_EXC_FAILED_ATTEMPT, NULL, NULL));
	tb_run(s, NULL, "2024-06-09T12:00:00+09:00");
	const tsk_exception *e = tb_exception(s, TSK_EXC_FAILED_ATTEMPT);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, 2);
	ck_assert_int_eq(e->severity, TSK_SEVERITY_WARNING);
	ck_assert_str_eq(tb_fmt(&e->time), "2024-06-09T10:00:00+09:00");

	/* out again: the attempt is history */
	tb_add(s, tb_event("2024-06-10 09:00", "配達中", OFD, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-10T09:30:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_FAILED_ATTEMPT));

	/* failed twice more: critical */
	tb_add(s, tb_event("2024-06-10 11:00", "持戻（ご不在）", FAIL, NONE, NULL, NULL));
	tb_add(s, tb_event("2024-06-11 09:00", "配達中", OFD, NONE, NULL, NULL));
	tb_add(s, tb_event("2024-06-11 11:00", "持戻（ご不在）", FAIL, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-11T12:00:00+09:00");
	e = tb_exception(s, TSK_EXC_FAILED_ATTEMPT);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, 6);
	ck_assert_int_eq(e->severity, TSK_SEVERITY_CRITICAL);
	ck_assert(strstr(e->message, "3 attempts") != NULL);

	/* delivered: no active failed_attempt, only history */
	tb_add(s, tb_event("2024-06-12 10:00", "配達完了", DONE, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-12T12:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_uint_eq(tsk_shipment_exception_count(s), 0);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(held_at_office_and_deadline)
{
	tsk_shipment *s = yamato();
	tb_add(s, tb_event("2024-06-10 10:00", "保管中", HELD, TSK_EXC_HELD_AT_OFFICE, "新宿センター", NULL));
	/* Yamato: 7 days counting the first day -> held until 6/16; warned from 6/15 */
	tb_run(s, NULL, "2024-06-14T12:00:00+09:00");
	const tsk_exception *e = tb_exception(s, TSK_EXC_HELD_AT_OFFICE);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, 1);
	ck_assert(strstr(e->message, "新宿センター") != NULL);
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_PICKUP_DEADLINE_NEAR));
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_STALLED)); /* a held parcel waits for its recipient */

	tb_run(s, NULL, "2024-06-15T09:00:00+09:00");
	e = tb_exception(s, TSK_EXC_PICKUP_DEADLINE_NEAR);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, -1);
	ck_assert_int_eq(e->severity, TSK_SEVERITY_WARNING);
	ck_assert_str_eq(tb_fmt(&e->time), "2024-06-15T00:00:00+09:00");
	ck_assert(strstr(e->message, "2024-06-16") != NULL);
	/* clock-based ones come after the event-driven ones */
	ck_assert_int_eq(tsk_shipment_exception_at(s, tsk_shipment_exception_count(s) - 1)->code,
	                 TSK_EXC_PICKUP_DEADLINE_NEAR);

	tb_run(s, NULL, "2024-06-17T09:00:00+09:00");
	e = tb_exception(s, TSK_EXC_PICKUP_DEADLINE_NEAR);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->severity, TSK_SEVERITY_CRITICAL);
	ck_assert_str_eq(tb_fmt(&e->time), "2024-06-17T00:00:00+09:00");

	/* out for delivery again clears held_at_office (and the deadline) */
	tb_add(s, tb_event("2024-06-16 09:00", "配達中", OFD, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-16T09:30:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_HELD_AT_OFFICE));
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_PICKUP_DEADLINE_NEAR));
	tsk_shipment_free(s);

	/* Japan Post: 7 days from the day after the notice -> until 6/17 */
	s = tb_shipment("japanpost", "317409136693", "ゆうパック");
	tb_add(s, tb_event("2024-06-09 18:37", "引受", IT, NONE, "岡山支店", "岡山県"));
	tb_add(s, tb_event("2024-06-10", "ご不在のため持ち戻り", FAIL, NONE, "一宮支店", "愛知県"));
	tb_run(s, NULL, "2024-06-15T23:00:00+09:00");
	ck_assert_ptr_nonnull(tb_exception(s, TSK_EXC_FAILED_ATTEMPT));
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_PICKUP_DEADLINE_NEAR));
	tb_run(s, NULL, "2024-06-16T00:00:00+09:00");
	e = tb_exception(s, TSK_EXC_PICKUP_DEADLINE_NEAR);
	ck_assert_ptr_nonnull(e);
	ck_assert(strstr(e->message, "2024-06-17") != NULL);
	/* delivered: nothing left */
	tb_add(s, tb_event("2024-06-14 17:53", "お届け先にお届け済み", DONE, NONE, "一宮支店", "愛知県"));
	tb_run(s, NULL, "2024-06-16T00:00:00+09:00");
	ck_assert_uint_eq(tsk_shipment_exception_count(s), 0);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(problems_raised_and_cleared)
{
	/* address problem, then forwarded (moving again): cleared */
	tsk_shipment *s = yamato();
	tb_add(s, tb_event("2024-06-09 10:00", "調査中（転居先不明）", EXC, TSK_EXC_ADDRESS_PROBLEM, NULL, NULL));
	tb_run(s, NULL, "2024-06-09T11:00:00+09:00");
	const tsk_exception *e = tb_exception(s, TSK_EXC_ADDRESS_PROBLEM);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->severity, TSK_SEVERITY_CRITICAL);
	ck_assert_int_eq(e->event_index, 1);
	ck_assert(strstr(e->message, "転居先不明") != NULL);
	tb_add(s, tb_event("2024-06-10 08:00", "転送", IT, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-10T09:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_ADDRESS_PROBLEM));
	tsk_shipment_free(s);

	/* keyword evidence on an exception event the adapter did not classify */
	static const struct {
		const char *word;
		tsk_exception_code code;
	} words[] = {
		{ "受取拒否", TSK_EXC_REFUSED },          { "破損のため調査", TSK_EXC_DAMAGED },
		{ "紛失", TSK_EXC_LOST },                 { "調査中", TSK_EXC_UNDER_INVESTIGATION },
		{ "税関で保留", TSK_EXC_CUSTOMS_HOLD },   { "Exception: Lost", TSK_EXC_LOST },
		{ "要確認", TSK_EXC_UNDER_INVESTIGATION }, /* a problem nobody names */
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		s = yamato();
		tb_add(s, tb_event("2024-06-09 10:00", words[i].word, EXC, NONE, NULL, NULL));
		tb_run(s, NULL, "2024-06-09T11:00:00+09:00");
		ck_assert_msg(tb_exception(s, words[i].code) != NULL, "%s", words[i].word);
		ck_assert_uint_eq(tsk_shipment_exception_count(s), 1);
		tsk_shipment_free(s);
	}

	/* lost, then found and moving: cleared; under investigation, then delivered: cleared */
	s = yamato();
	tb_add(s, tb_event("2024-06-09 10:00", "紛失", EXC, TSK_EXC_LOST, NULL, NULL));
	tb_add(s, tb_event("2024-06-11 10:00", "作業店通過", IT, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-11T11:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_LOST));
	tb_add(s, tb_event("2024-06-11 12:00", "調査中", EXC, TSK_EXC_UNDER_INVESTIGATION, NULL, NULL));
	tb_run(s, NULL, "2024-06-11T13:00:00+09:00");
	ck_assert_ptr_nonnull(tb_exception(s, TSK_EXC_UNDER_INVESTIGATION));
	tb_add(s, tb_event("2024-06-12 12:00", "配達完了", DONE, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-12T13:00:00+09:00");
	ck_assert_uint_eq(tsk_shipment_exception_count(s), 0);
	tsk_shipment_free(s);

	/* customs: held while 通関 is the latest word, cleared once it moves on */
	s = tb_shipment("japanpost", "EF719215461JP", "EMS");
	tb_add(s, tb_event("2024-06-05 10:00", "国際交換局に到着", IT, NONE, "川崎東郵便局", "神奈川県"));
	tb_add(s, tb_event("2024-06-05 15:00", "通関手続中", IT, TSK_EXC_CUSTOMS_HOLD, "川崎東郵便局", "神奈川県"));
	tb_run(s, NULL, "2024-06-05T16:00:00+09:00");
	e = tb_exception(s, TSK_EXC_CUSTOMS_HOLD);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, 1);
	tb_add(s, tb_event("2024-06-06 09:00", "国際交換局から発送", IT, NONE, "川崎東郵便局", "神奈川県"));
	tb_run(s, NULL, "2024-06-06T10:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_CUSTOMS_HOLD));
	tsk_shipment_free(s);
}
END_TEST

START_TEST(refused_returned_damaged)
{
	/* refused, then sent back: both stay, status returned */
	tsk_shipment *s = yamato();
	tb_add(s, tb_event("2024-06-09 10:00", "持戻（受取ご辞退）", EXC, TSK_EXC_REFUSED, NULL, NULL));
	tb_add(s, tb_event("2024-06-10 10:00", "返品", RTS, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-10T11:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_RETURNED_TO_SENDER);
	ck_assert_ptr_nonnull(tb_exception(s, TSK_EXC_REFUSED));
	const tsk_exception *e = tb_exception(s, TSK_EXC_RETURNED_TO_SENDER);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->severity, TSK_SEVERITY_CRITICAL);
	ck_assert_int_eq(e->event_index, 2);
	ck_assert_ptr_null(tsk_shipment_next_poll(s)); /* never again */
	ck_assert_ptr_null(tsk_shipment_eta(s));
	/* ordered by evidence */
	ck_assert_int_eq(tsk_shipment_exception_at(s, 0)->code, TSK_EXC_REFUSED);
	ck_assert_int_eq(tsk_shipment_exception_at(s, 1)->code, TSK_EXC_RETURNED_TO_SENDER);
	tsk_shipment_free(s);

	/* damaged, delivered anyway: delivered is never hidden, damaged stays */
	s = yamato();
	tb_add(s, tb_event("2024-06-09 08:00", "破損", EXC, TSK_EXC_DAMAGED, NULL, NULL));
	tb_add(s, tb_event("2024-06-09 15:00", "配達完了", DONE, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-10T11:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_ptr_nonnull(tb_exception(s, TSK_EXC_DAMAGED));
	ck_assert_uint_eq(tsk_shipment_exception_count(s), 1);
	tsk_shipment_free(s);

	/* a problem reported after delivery does not hide it either */
	s = yamato();
	tb_add(s, tb_event("2024-06-09 15:00", "配達完了", DONE, NONE, NULL, NULL));
	tb_add(s, tb_event("2024-06-10 09:00", "調査中", EXC, TSK_EXC_UNDER_INVESTIGATION, NULL, NULL));
	tb_run(s, NULL, "2024-06-10T11:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_UNDER_INVESTIGATION));
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_STALLED));
	tsk_shipment_free(s);
}
END_TEST

START_TEST(weather_delay_by_keyword)
{
	tsk_shipment *s = yamato();
	tb_add(s, tb_event("2024-08-29 10:00", "台風の影響によりお届けが遅れております", IT, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-08-29T11:00:00+09:00");
	const tsk_exception *e = tb_exception(s, TSK_EXC_WEATHER_OR_DISASTER_DELAY);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, 1);
	ck_assert_int_eq(e->severity, TSK_SEVERITY_WARNING);
	/* moving again clears it */
	tb_add(s, tb_event("2024-08-31 10:00", "作業店通過", IT, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-08-31T11:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_WEATHER_OR_DISASTER_DELAY));
	tsk_shipment_free(s);

	/* English aggregator text, a description rather than the word */
	s = tb_shipment("rest:aftership", "1Z999", NULL);
	tsk_event *ev = tb_event("2024-08-29 10:00", "InTransit", IT, NONE, NULL, NULL);
	ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_DESCRIPTION, "Shipment delayed due to severe WEATHER"), TSK_OK);
	tb_add(s, ev);
	tb_run(s, NULL, "2024-08-29T11:00:00+09:00");
	ck_assert_ptr_nonnull(tb_exception(s, TSK_EXC_WEATHER_OR_DISASTER_DELAY));
	tsk_shipment_free(s);

	/* 災害 in an exception event */
	s = yamato();
	tb_add(s, tb_event("2024-01-02 10:00", "災害のため配達を見合わせております", EXC, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-01-02T11:00:00+09:00");
	ck_assert_ptr_nonnull(tb_exception(s, TSK_EXC_WEATHER_OR_DISASTER_DELAY));
	tsk_shipment_free(s);
}
END_TEST

/* The keyword match itself: width folding, ASCII case, the list's order,
 * words that must not be found across the two texts or in part, long texts. */
static tsk_exception_code keyword(const char *status_text, const char *description, bool exception_status)
{
	tsk_event *ev = NULL;
	ck_assert_int_eq(tsk_event_new(&ev), TSK_OK);
	ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, status_text), TSK_OK);
	ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_DESCRIPTION, description), TSK_OK);
	tsk_exception_code c = tsk__exception_keyword(ev, exception_status);
	tsk_event_free(ev);
	return c;
}

START_TEST(keyword_matching)
{
	const tsk_exception_code W = TSK_EXC_WEATHER_OR_DISASTER_DELAY;
	ck_assert_int_eq(keyword("ＤＥＬＡＹＥＤ", NULL, false), W);        /* full width */
	ck_assert_int_eq(keyword(NULL, "Severe WeAtHeR", false), W);
	ck_assert_int_eq(keyword("DELIVERED", "Delivery", false), NONE);
	ck_assert_int_eq(keyword("DELA", "YED", false), NONE);              /* not across the texts */
	ck_assert_int_eq(keyword("台", "風", false), NONE);
	ck_assert_int_eq(keyword("配達中（台風）", NULL, false), W);
	ck_assert_int_eq(keyword(NULL, NULL, true), NONE);
	/* exception words in the list's order, before the delay words */
	ck_assert_int_eq(keyword("Lost, then found damaged", NULL, true), TSK_EXC_DAMAGED);
	ck_assert_int_eq(keyword("LOST", "delayed", true), TSK_EXC_LOST);
	ck_assert_int_eq(keyword("LOST", "delayed", false), W);
	ck_assert_int_eq(keyword("宛所尋ねあたりません", NULL, true), TSK_EXC_ADDRESS_PROBLEM);
	ck_assert_int_eq(keyword("Customs", NULL, false), NONE);
	/* a text longer than the matcher's stack buffer, the word at its end */
	char long_text[1200];
	memset(long_text, 'x', sizeof long_text);
	memcpy(long_text + sizeof long_text - 12, " typhoon", 8);
	long_text[sizeof long_text - 4] = '\0';
	ck_assert_int_eq(keyword("In transit", long_text, false), W);
	long_text[sizeof long_text - 5] = '\0'; /* "typhoo" */
	ck_assert_int_eq(keyword("In transit", long_text, false), NONE);
}
END_TEST

START_TEST(stalled_by_status_and_calendar)
{
	tsk_shipment *s = yamato(); /* in transit since 2024-06-08 14:00, 48 h */
	tb_run(s, NULL, "2024-06-10T13:59:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_STALLED));
	tb_run(s, NULL, "2024-06-10T14:00:00+09:00");
	const tsk_exception *e = tb_exception(s, TSK_EXC_STALLED);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, -1);
	ck_assert_str_eq(tb_fmt(&e->time), "2024-06-10T14:00:00+09:00");
	/* a new event clears it */
	tb_add(s, tb_event("2024-06-10 15:00", "作業店通過", IT, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-10T16:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_STALLED));
	tsk_shipment_free(s);

	/* label data never followed by a pickup */
	s = tb_shipment("yamato", "225303415632", "宅急便");
	tb_add(s, tb_event("2024-06-01 10:00", "出荷指示", TSK_STATUS_INFO_RECEIVED, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-04T09:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_STALLED));
	tb_run(s, NULL, "2024-06-04T11:00:00+09:00");
	e = tb_exception(s, TSK_EXC_STALLED);
	ck_assert_ptr_nonnull(e);
	ck_assert(strstr(e->message, "never handed") != NULL);
	tsk_shipment_free(s);

	/* recorded mail last seen Friday 10:00: 72 h on mail days is Wednesday 10:00,
	 * not Monday (weekends do not count) */
	s = tb_shipment("japanpost", "51234567890", "特定記録郵便");
	tb_add(s, tb_event("2024-03-01 10:00", "引受", IT, NONE, "新宿郵便局", "東京都"));
	tb_run(s, NULL, "2024-03-05T12:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_STALLED));
	tb_run(s, NULL, "2024-03-06T10:00:00+09:00");
	e = tb_exception(s, TSK_EXC_STALLED);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(tb_fmt(&e->time), "2024-03-06T10:00:00+09:00");
	tsk_shipment_free(s);

	/* out for delivery since the morning, nothing by midnight */
	s = yamato();
	tb_add(s, tb_event("2024-06-09 08:00", "配達中", OFD, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-09T21:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_STALLED));
	tb_run(s, NULL, "2024-06-09T22:30:00+09:00");
	ck_assert_ptr_nonnull(tb_exception(s, TSK_EXC_STALLED));
	tsk_shipment_free(s);
}
END_TEST

/*
 * late: now past the latest bound of the ETA as it stands (DESIGN), not of
 * the later of it and the first window: the first promise stays visible in
 * `original`. A model window is moved forward instead (test_eta,
 * model_window_never_in_the_past), so only a carrier's window is late.
 */
START_TEST(late_past_the_current_window)
{
	/* Tokyo -> Tokyo by the model: due 6/9 08:00–21:00 */
	tsk_shipment *s = yamato();
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "東京都"), TSK_OK);
	tb_run(s, NULL, "2024-06-09T20:00:00+09:00");
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s)->latest), "2024-06-09T21:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_LATE));
	/* past it: the model's guess moves to the next day, no late */
	tb_run(s, NULL, "2024-06-09T21:01:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_LATE));
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s)->earliest), "2024-06-10T08:00:00+09:00");
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s)->latest), "2024-06-10T21:00:00+09:00");
	tsk_shipment_free(s);

	/* the carrier's own window */
	s = yamato();
	ck_assert_int_eq(tsk_shipment_set_eta_local(s, 2024, 6, 9, 14, 0, 16, 0), TSK_OK);
	tb_run(s, NULL, "2024-06-09T16:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_LATE));
	tb_run(s, NULL, "2024-06-09T16:30:00+09:00");
	const tsk_exception *e = tb_exception(s, TSK_EXC_LATE);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, -1);
	ck_assert_str_eq(tb_fmt(&e->time), "2024-06-09T16:00:00+09:00");
	ck_assert_msg(strstr(e->message, "carrier") && strstr(e->message, "due by") &&
	              !strstr(e->message, "first promised"), "%s", e->message);

	/* delivered late: not late any more, no ETA */
	tb_add(s, tb_event("2024-06-10 10:00", "配達完了", DONE, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-10T11:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_LATE));
	ck_assert_ptr_null(tsk_shipment_eta(s));
	tsk_shipment_free(s);

	/* out for delivery with the carrier's window ending 12-02 21:00, after a
	 * merge whose first promise was later (12-04): at 12-03 12:00 it is late
	 * against the window it has now; the first promise stays in original */
	s = tb_shipment("yamato", "225303415632", "宅急便");
	tb_add(s, tb_event("2024-11-30 14:00", "荷物受付", IT, NONE, "新宿センター", NULL));
	tb_add(s, tb_event("2024-12-02 08:10", "配達中", TSK_STATUS_OUT_FOR_DELIVERY, NONE, "羽田ＣＧ", NULL));
	ck_assert_int_eq(tsk_shipment_set_eta_local(s, 2024, 12, 2, 19, 0, 21, 0), TSK_OK);
	tb_run(s, NULL, "2024-12-02T09:00:00+09:00");
	tsk_shipment *prev;
	ck_assert_int_eq(tsk_shipment_dup(&prev, s), TSK_OK);
	prev->eta.original_earliest = tb_at("2024-12-04T08:00:00+09:00");
	prev->eta.original_latest = tb_at("2024-12-04T21:00:00+09:00");
	tb_run(s, prev, "2024-12-02T20:00:00+09:00");
	ck_assert_ptr_null(tb_exception(s, TSK_EXC_LATE));
	tb_run(s, prev, "2024-12-03T12:00:00+09:00");
	ck_assert_str_eq(tb_fmt(&tsk_shipment_eta(s)->original_latest), "2024-12-04T21:00:00+09:00");
	e = tb_exception(s, TSK_EXC_LATE);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(tb_fmt(&e->time), "2024-12-02T21:00:00+09:00");
	ck_assert_msg(strstr(e->message, "first promised by"), "%s", e->message);
	tsk_shipment_free(prev);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(unmapped_stays_and_state_field)
{
	tsk_shipment *s = yamato();
	tsk_event *ev = tb_event("2024-06-09 09:00", "謎の状態", TSK_STATUS_UNKNOWN, NONE, NULL, NULL);
	tsk_event_set_status(ev, TSK_STATUS_UNKNOWN, NONE, 1);
	tb_add(s, ev);
	tb_add(s, tb_event("2024-06-09 15:00", "配達完了", DONE, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-10T00:00:00+09:00");
	const tsk_exception *e = tb_exception(s, TSK_EXC_UNMAPPED_STATUS);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, 1);
	ck_assert(strstr(e->message, "謎の状態") != NULL);
	ck_assert_int_eq(e->severity, TSK_SEVERITY_INFO);
	tsk_shipment_free(s);

	/* the page's current-state field names a problem no event shows */
	s = yamato();
	tsk_shipment_set_state(s, TSK_STATUS_EXCEPTION, TSK_EXC_LOST);
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_STATUS_TEXT, "調査中"), TSK_OK);
	tb_run(s, NULL, "2024-06-08T15:00:00+09:00");
	e = tb_exception(s, TSK_EXC_LOST);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->event_index, 0);
	tsk_shipment_free(s);

	/* nothing wrong: no exceptions */
	s = yamato();
	tb_run(s, NULL, "2024-06-08T15:00:00+09:00");
	ck_assert_uint_eq(tsk_shipment_exception_count(s), 0);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(next_poll_policy)
{
	tsk_shipment *s = yamato();
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "大阪府"), TSK_OK);
	/* in transit, far from the ETA (6/9–6/10): hours */
	tb_run(s, NULL, "2024-06-08T15:00:00+09:00");
	ck_assert_str_eq(tb_fmt(tsk_shipment_next_poll(s)), "2024-06-08T18:00:00+09:00");
	/* within the window: sooner */
	tb_run(s, NULL, "2024-06-09T10:00:00+09:00");
	ck_assert_str_eq(tb_fmt(tsk_shipment_next_poll(s)), "2024-06-09T11:00:00+09:00");
	/* out for delivery: minutes; late in the evening: the next morning */
	tb_add(s, tb_event("2024-06-09 09:00", "配達中", OFD, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-09T10:00:00+09:00");
	ck_assert_str_eq(tb_fmt(tsk_shipment_next_poll(s)), "2024-06-09T10:30:00+09:00");
	tb_run(s, NULL, "2024-06-09T21:45:00+09:00");
	ck_assert_str_eq(tb_fmt(tsk_shipment_next_poll(s)), "2024-06-10T07:00:00+09:00");
	/* delivered: never */
	tb_add(s, tb_event("2024-06-09 12:00", "配達完了", DONE, NONE, NULL, NULL));
	tb_run(s, NULL, "2024-06-09T13:00:00+09:00");
	ck_assert_ptr_null(tsk_shipment_next_poll(s));
	tsk_shipment_free(s);

	/* not found yet: a longer interval */
	s = tb_shipment("yamato", "225303415632", NULL);
	ck_assert_int_eq(tsk_shipment_set_error(s, TSK_ENOTFOUND, "伝票番号未登録"), TSK_OK);
	tb_run(s, NULL, "2024-06-09T10:00:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_NOT_FOUND);
	/* 12 hours would be 22:00: not at night, the next morning */
	ck_assert_str_eq(tb_fmt(tsk_shipment_next_poll(s)), "2024-06-10T07:00:00+09:00");
	ck_assert_ptr_null(tsk_shipment_eta(s));
	ck_assert_uint_eq(tsk_shipment_exception_count(s), 0);
	tsk_shipment_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exceptions");
	TCase *tc = tcase_create("exceptions");
	tcase_add_test(tc, failed_attempt_raised_and_cleared);
	tcase_add_test(tc, held_at_office_and_deadline);
	tcase_add_test(tc, problems_raised_and_cleared);
	tcase_add_test(tc, refused_returned_damaged);
	tcase_add_test(tc, weather_delay_by_keyword);
	tcase_add_test(tc, keyword_matching);
	tcase_add_test(tc, stalled_by_status_and_calendar);
	tcase_add_test(tc, late_past_the_current_window);
	tcase_add_test(tc, unmapped_stays_and_state_field);
	tcase_add_test(tc, next_poll_policy);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
