/*
 * Hand-off legs (DESIGN.md "Legs", "Timeline"): tsk_shipment_merge_leg()
 * folds the next carrier's shipment into the first one, on the real case
 * of a クロネコゆうパケット (the Yamato page with its hand-off to Japan
 * Post, then Japan Post pages of the same number built from the documented
 * structure), and on built histories for the interleaving rules; legs and
 * event carriers round-trip through JSON.
 */
#include "pagecheck.h"
#include "tsuiseki.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW "2024-12-10T18:00:00+09:00"

static tsk_shipment *parse_one(const char *carrier, const char *relpath, const char *now)
{
	size_t len;
	char *page = tsk_test_read(relpath, &len);
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	tsk_time t;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&t, now), TSK_OK);
	tsk_ctx_set_now(ctx, &t);
	tsk_shipment_list *l = NULL;
	ck_assert_msg(tsk_parse(&l, ctx, carrier, page, len, NULL) == TSK_OK, "%s: %s", relpath,
	              tsk_ctx_last_error(ctx));
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_shipment_list_take(&s, l, 0), TSK_OK);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	free(page);
	return s;
}

static const char *fmt(const tsk_time *t)
{
	static char buf[64];
	if (!t)
		return "(null)";
	tsk_time_format(buf, sizeof buf, t);
	return buf;
}

static void assert_event(const tsk_shipment *s, size_t i, const char *carrier, const char *word, const char *when)
{
	const tsk_event *ev = tsk_shipment_event_at(s, i);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(tsk_event_carrier(ev), carrier);
	ck_assert_str_eq(tsk_event_carrier_status(ev), word);
	ck_assert_str_eq(fmt(tsk_event_time(ev)), when);
}

START_TEST(yupacket_handoff_then_japanpost)
{
	tsk_shipment *yamato = parse_one("yamato", "yamato/synthetic_2019_yupacket_handoff.html", NOW);
	ck_assert_str_eq(tsk_shipment_handoff_carrier(yamato), "japanpost");
	ck_assert_uint_eq(tsk_shipment_leg_count(yamato), 1);
	ck_assert_str_eq(tsk_shipment_leg_carrier(yamato, 0), "yamato");
	ck_assert_str_eq(tsk_shipment_leg_number(yamato, 0), "400123456902");
	ck_assert_ptr_null(tsk_shipment_leg_carrier(yamato, 1));
	ck_assert_ptr_null(tsk_event_carrier(tsk_shipment_event_at(yamato, 0)));

	/* Japan Post has the parcel: its status and ETA win, the timeline is one */
	tsk_shipment *jp = parse_one("japanpost", "japanpost/synthetic_2019_yupacket_leg2_transit.html", NOW);
	tsk_shipment *m = NULL;
	ck_assert_int_eq(tsk_shipment_merge_leg(&m, yamato, jp), TSK_OK);
	ck_assert_str_eq(tsk_shipment_carrier(m), "yamato");
	ck_assert_str_eq(tsk_shipment_tracking_number(m), "400123456902");
	ck_assert_str_eq(tsk_shipment_service(m), "クロネコゆうパケット");
	ck_assert_str_eq(tsk_shipment_handoff_carrier(m), "japanpost");
	ck_assert_uint_eq(tsk_shipment_leg_count(m), 2);
	ck_assert_str_eq(tsk_shipment_leg_carrier(m, 0), "yamato");
	ck_assert_str_eq(tsk_shipment_leg_carrier(m, 1), "japanpost");
	ck_assert_str_eq(tsk_shipment_leg_number(m, 1), "400123456902");
	ck_assert_uint_eq(tsk_shipment_event_count(m), 5);
	assert_event(m, 0, "yamato", "荷物受付", "2024-12-09T11:00:00+09:00");
	assert_event(m, 2, "yamato", "作業店通過", "2024-12-09T22:30:00+09:00");
	assert_event(m, 3, "japanpost", "引受", "2024-12-10T05:40:00+09:00");
	assert_event(m, 4, "japanpost", "到着", "2024-12-10T09:12:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(m), TSK_STATUS_IN_TRANSIT);
	ck_assert_str_eq(tsk_shipment_status_text(m), "到着");
	ck_assert_ptr_nonnull(tsk_shipment_eta(m));
	ck_assert_int_eq(tsk_shipment_eta(m)->source, TSK_ETA_CARRIER);
	ck_assert_str_eq(fmt(&tsk_shipment_eta(m)->earliest), fmt(&tsk_shipment_eta(jp)->earliest));
	ck_assert_str_eq(fmt(tsk_shipment_next_poll(m)), fmt(tsk_shipment_next_poll(jp)));
	ck_assert_uint_eq(tsk_shipment_exception_count(m), tsk_shipment_exception_count(jp));
	ck_assert_int_eq(tsk_shipment_error(m), TSK_OK);
	/* the inputs are untouched */
	ck_assert_uint_eq(tsk_shipment_event_count(yamato), 3);
	ck_assert_uint_eq(tsk_shipment_leg_count(yamato), 1);

	/* a later poll of Japan Post folded into that result adds only what is
	 * new; delivered ends the ETA and the polling */
	tsk_shipment *jp2 = parse_one("japanpost", "japanpost/synthetic_2019_yupacket_leg2_delivered.html", NOW);
	tsk_shipment *m2 = NULL;
	ck_assert_int_eq(tsk_shipment_merge_leg(&m2, m, jp2), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_leg_count(m2), 2);
	ck_assert_uint_eq(tsk_shipment_event_count(m2), 7);
	assert_event(m2, 5, "japanpost", "持ち出し中", "2024-12-10T10:05:00+09:00");
	assert_event(m2, 6, "japanpost", "お届け先にお届け済み", "2024-12-10T14:30:00+09:00");
	ck_assert_int_eq(tsk_shipment_status(m2), TSK_STATUS_DELIVERED);
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(m2)), "2024-12-10T14:30:00+09:00");
	ck_assert_ptr_null(tsk_shipment_eta(m2));
	ck_assert_ptr_null(tsk_shipment_next_poll(m2));

	tsk_shipment_free(m2);
	tsk_shipment_free(jp2);
	tsk_shipment_free(m);
	tsk_shipment_free(jp);
	tsk_shipment_free(yamato);
}
END_TEST

START_TEST(next_leg_not_found_or_failing)
{
	tsk_shipment *yamato = parse_one("yamato", "yamato/synthetic_2019_yupacket_handoff.html", NOW);
	/* Japan Post does not know the number yet: Yamato still holds it */
	tsk_shipment *jp;
	ck_assert_int_eq(tsk_shipment_new(&jp, "japanpost", "400123456902"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_set_error(jp, TSK_ENOTFOUND, "not found"), TSK_OK);
	tsk_shipment *m = NULL;
	ck_assert_int_eq(tsk_shipment_merge_leg(&m, yamato, jp), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_leg_count(m), 2);
	ck_assert_uint_eq(tsk_shipment_event_count(m), 3);
	ck_assert_str_eq(tsk_event_carrier(tsk_shipment_event_at(m, 2)), "yamato");
	ck_assert_int_eq(tsk_shipment_status(m), tsk_shipment_status(yamato));
	ck_assert_int_eq(tsk_shipment_error(m), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_exception_count(m), tsk_shipment_exception_count(yamato));
	for (size_t i = 0; i < tsk_shipment_exception_count(m); i++)
		ck_assert_int_eq(tsk_shipment_exception_at(m, i)->event_index,
		                 tsk_shipment_exception_at(yamato, i)->event_index);
	tsk_shipment_free(jp);

	/* Japan Post had it, then a poll of it fails: the last good state
	 * stays, with the error */
	tsk_shipment *jp_ok = parse_one("japanpost", "japanpost/synthetic_2019_yupacket_leg2_transit.html", NOW);
	tsk_shipment *good = NULL;
	ck_assert_int_eq(tsk_shipment_merge_leg(&good, yamato, jp_ok), TSK_OK);
	tsk_shipment *down;
	ck_assert_int_eq(tsk_shipment_new(&down, "japanpost", "400123456902"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_set_error(down, TSK_ENETWORK, "japanpost: connection refused"), TSK_OK);
	tsk_shipment *kept = NULL;
	ck_assert_int_eq(tsk_shipment_merge_leg(&kept, good, down), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(kept), TSK_ENETWORK);
	ck_assert_str_eq(tsk_shipment_error_message(kept), "japanpost: connection refused");
	ck_assert_int_eq(tsk_shipment_status(kept), TSK_STATUS_IN_TRANSIT);
	ck_assert_str_eq(tsk_shipment_status_text(kept), "到着");
	ck_assert_uint_eq(tsk_shipment_event_count(kept), 5);
	ck_assert_uint_eq(tsk_shipment_leg_count(kept), 2);

	tsk_shipment_free(kept);
	/* bad arguments */
	ck_assert_int_eq(tsk_shipment_merge_leg(&kept, NULL, jp_ok), TSK_EINVAL);
	ck_assert_ptr_null(kept);
	ck_assert_int_eq(tsk_shipment_merge_leg(&kept, yamato, NULL), TSK_EINVAL);
	ck_assert_int_eq(tsk_shipment_merge_leg(&kept, yamato, yamato), TSK_EINVAL);
	ck_assert_int_eq(tsk_shipment_merge_leg(NULL, yamato, jp_ok), TSK_EINVAL);

	tsk_shipment_free(down);
	tsk_shipment_free(good);
	tsk_shipment_free(jp_ok);
	tsk_shipment_free(m);
	tsk_shipment_free(yamato);
}
END_TEST

static void add_event(tsk_shipment *s, int hour, int minute, const char *word, const char *place, tsk_status st)
{
	tsk_event *ev;
	ck_assert_int_eq(tsk_event_new(&ev), TSK_OK);
	if (hour >= 0) {
		tsk_time t;
		ck_assert_int_eq(tsk_time_from_fields(&t, 2024, 12, 10, hour, minute, TSK_JST_OFFSET), TSK_OK);
		ck_assert_int_eq(tsk_event_set_time(ev, &t), TSK_OK);
	}
	ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, word), TSK_OK);
	ck_assert_int_eq(tsk_event_set_text(ev, TSK_EVENT_LOCATION, place), TSK_OK);
	tsk_event_set_status(ev, st, TSK_EXC_NONE, 0);
	ck_assert_int_eq(tsk_shipment_append_event(s, ev), TSK_OK);
}

START_TEST(legs_interleave_by_time_and_drop_duplicates)
{
	tsk_shipment *a, *b;
	ck_assert_int_eq(tsk_shipment_new(&a, "yamato", "400123456902"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_new(&b, "japanpost", "400123456902"), TSK_OK);
	/* the first leg keeps its own order, even where it is not by time */
	add_event(a, 10, 0, "A1", "X", TSK_STATUS_IN_TRANSIT);
	add_event(a, 14, 0, "A2", "X", TSK_STATUS_IN_TRANSIT);
	add_event(a, 12, 0, "A3", "X", TSK_STATUS_IN_TRANSIT);
	add_event(b, 11, 0, "B1", "Y", TSK_STATUS_IN_TRANSIT);
	/* the same event as A2 told by the other carrier, written in full width */
	add_event(b, 14, 0, "Ａ２", "Ｘ", TSK_STATUS_IN_TRANSIT);
	add_event(b, 15, 0, "B2", "Y", TSK_STATUS_OUT_FOR_DELIVERY);
	add_event(b, -1, 0, "B3", "Y", TSK_STATUS_OUT_FOR_DELIVERY);
	tsk_shipment *m = NULL;
	ck_assert_int_eq(tsk_shipment_merge_leg(&m, a, b), TSK_OK);
	static const char *const want[] = { "A1", "B1", "A2", "A3", "B2", "B3" };
	static const char *const legs[] = { "yamato", "japanpost", "yamato", "yamato", "japanpost", "japanpost" };
	ck_assert_uint_eq(tsk_shipment_event_count(m), 6);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_str_eq(tsk_event_carrier_status(tsk_shipment_event_at(m, i)), want[i]);
		ck_assert_str_eq(tsk_event_carrier(tsk_shipment_event_at(m, i)), legs[i]);
	}
	tsk_shipment_free(m);
	tsk_shipment_free(a);
	tsk_shipment_free(b);
}
END_TEST

START_TEST(legs_round_trip_through_json)
{
	tsk_shipment *yamato = parse_one("yamato", "yamato/synthetic_2019_yupacket_handoff.html", NOW);
	tsk_shipment *jp = parse_one("japanpost", "japanpost/synthetic_2019_yupacket_leg2_transit.html", NOW);
	tsk_shipment *m = NULL;
	ck_assert_int_eq(tsk_shipment_merge_leg(&m, yamato, jp), TSK_OK);
	char *a = NULL, *b = NULL;
	size_t alen;
	ck_assert_int_eq(tsk_shipment_to_json(&a, &alen, m, 0), TSK_OK);
	ck_assert_msg(strstr(a, "\"legs\":[{\"carrier\":\"yamato\",\"tracking_number\":\"400123456902\"},"
	                        "{\"carrier\":\"japanpost\",\"tracking_number\":\"400123456902\"}]"),
	              "%s", a);
	ck_assert_msg(strstr(a, "\"postal_code\":\"136-8799\",\"carrier\":\"japanpost\"}"), "%s", a);
	tsk_shipment *back = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk_shipment_from_json(&back, a, alen, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_leg_count(back), 2);
	ck_assert_str_eq(tsk_event_carrier(tsk_shipment_event_at(back, 4)), "japanpost");
	ck_assert_int_eq(tsk_shipment_to_json(&b, NULL, back, 0), TSK_OK);
	ck_assert_str_eq(a, b);
	tsk_free(b);
	tsk_free(a);
	/* one leg: neither legs nor event carriers are printed */
	ck_assert_int_eq(tsk_shipment_to_json(&a, NULL, yamato, 0), TSK_OK);
	ck_assert_ptr_null(strstr(a, "\"legs\""));
	ck_assert_ptr_null(strstr(a, "\"postal_code\":null,\"carrier\""));
	ck_assert_ptr_nonnull(strstr(a, "\"postal_code\":null}"));
	tsk_free(a);
	tsk_shipment_free(back);
	back = NULL;
	/* a broken legs value is an error naming the key */
	const char *bad = "{\"carrier\":\"yamato\",\"tracking_number\":\"400123456902\",\"legs\":[{\"carrier\":\"x\"}]}";
	ck_assert_int_ne(tsk_shipment_from_json(&back, bad, strlen(bad), &err), TSK_OK);
	ck_assert_msg(strstr(err.message, "legs"), "%s", err.message);
	tsk_shipment_free(back);
	tsk_shipment_free(m);
	tsk_shipment_free(jp);
	tsk_shipment_free(yamato);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("legs");
	TCase *tc = tcase_create("legs");
	tcase_add_test(tc, yupacket_handoff_then_japanpost);
	tcase_add_test(tc, next_leg_not_found_or_failing);
	tcase_add_test(tc, legs_interleave_by_time_and_drop_duplicates);
	tcase_add_test(tc, legs_round_trip_through_json);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
