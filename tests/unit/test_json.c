/*
 * JSON: the schema-1 shape of DESIGN.md, byte-exact round trips, and load
 * errors that name the key path.
 */
#include "model.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static tsk_shipment *sample(void)
{
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "123456789012"), TSK_OK);
	tsk_shipment_set_text(s, TSK_SHIPMENT_SERVICE, "宅急便");
	tsk_event *ev;
	tsk_event_new(&ev);
	tsk_event_set_local_time(ev, 0, 12, 2, 18, 21, TSK_JST_OFFSET);
	tsk_event_set_text(ev, TSK_EVENT_TIME_RAW, "12/02 18:21");
	tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, "発送");
	tsk_event_set_text(ev, TSK_EVENT_LOCATION, "緑八朔センター");
	tsk_event_set_text(ev, TSK_EVENT_LOCATION_CODE, "028682");
	tsk_event_set_status(ev, TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE, 0);
	tsk_shipment_append_event(s, ev);
	tsk_event_new(&ev);
	tsk_event_set_local_time(ev, 0, 12, 3, -1, -1, TSK_JST_OFFSET);
	tsk_event_set_text(ev, TSK_EVENT_TIME_RAW, "12/03");
	tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, "謎の状況\"\\");
	tsk_event_set_status(ev, TSK_STATUS_UNKNOWN, TSK_EXC_NONE, 1);
	tsk_shipment_append_event(s, ev);
	tsk_event_new(&ev);
	tsk_event_set_text(ev, TSK_EVENT_CARRIER_STATUS, "投函予定");
	tsk_event_set_status(ev, TSK_STATUS_IN_TRANSIT, TSK_EXC_NONE, 0);
	tsk_shipment_append_event(s, ev);
	tsk_shipment_set_eta_local(s, 0, 12, 4, 14, 0, 16, 0);
	tsk_shipment_set_handoff(s, "japanpost", "123456789012");
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2024-12-03T20:00:00+09:00");
	ck_assert_int_eq(tsk__shipment_finalize(s, &now), TSK_OK);
	/* a carrier ETA, an exception and a next poll, as analysis would add */
	s->has_eta = true;
	s->eta.earliest = s->carrier_eta_earliest;
	s->eta.latest = s->carrier_eta_latest;
	s->eta.source = TSK_ETA_CARRIER;
	s->eta.confidence = 0.9;
	s->eta.original_earliest = s->eta.earliest;
	s->eta.original_latest = s->eta.latest;
	tsk__shipment_add_exception(s, TSK_EXC_UNMAPPED_STATUS, TSK_SEVERITY_INFO, &tsk__shipment_event(s, 1)->time,
	                            "Carrier status not in the table", 1);
	s->next_poll = now;
	return s;
}

START_TEST(shape_follows_the_contract)
{
	tsk_shipment *s = sample();
	char *json;
	ck_assert_int_eq(tsk_shipment_to_json(&json, NULL, s, 0), TSK_OK);
	const char *want =
		"{\"carrier\":\"yamato\",\"tracking_number\":\"123456789012\",\"service\":\"宅急便\","
		"\"status\":\"in_transit\",\"status_text\":\"投函予定\",\"delivered_at\":null,"
		"\"eta\":{\"earliest\":\"2024-12-04T14:00:00+09:00\",\"latest\":\"2024-12-04T16:00:00+09:00\","
		"\"source\":\"carrier\",\"confidence\":0.90,\"original\":{\"earliest\":\"2024-12-04T14:00:00+09:00\","
		"\"latest\":\"2024-12-04T16:00:00+09:00\"}},"
		"\"exceptions\":[{\"code\":\"unmapped_status\",\"severity\":\"info\",\"time\":\"2024-12-03T00:00:00+09:00\","
		"\"message\":\"Carrier status not in the table\",\"event_index\":1}],"
		"\"handoff\":{\"carrier\":\"japanpost\",\"tracking_number\":\"123456789012\"},"
		"\"next_poll\":\"2024-12-03T20:00:00+09:00\","
		"\"events\":[{\"time\":\"2024-12-02T18:21:00+09:00\",\"time_precision\":\"minute\",\"time_raw\":\"12/02 18:21\","
		"\"status\":\"in_transit\",\"carrier_status\":\"発送\",\"description\":null,\"location\":\"緑八朔センター\","
		"\"location_code\":\"028682\",\"region\":null,\"postal_code\":null},"
		"{\"time\":\"2024-12-03T00:00:00+09:00\",\"time_precision\":\"day\",\"time_raw\":\"12/03\","
		"\"status\":\"unknown\",\"carrier_status\":\"謎の状況\\\"\\\\\",\"description\":null,\"location\":null,"
		"\"location_code\":null,\"region\":null,\"postal_code\":null},"
		"{\"time\":null,\"time_precision\":null,\"time_raw\":null,\"status\":\"in_transit\",\"carrier_status\":\"投函予定\","
		"\"description\":null,\"location\":null,\"location_code\":null,\"region\":null,\"postal_code\":null}],"
		"\"error\":null}";
	ck_assert_str_eq(json, want);
	tsk_free(json);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(round_trip_is_lossless)
{
	tsk_shipment_list *l;
	tsk_shipment_list_new(&l);
	tsk_shipment_list_append(l, sample());
	tsk_shipment *e;
	tsk_shipment_new(&e, "sagawa", "600078420325");
	tsk_shipment_set_error(e, TSK_ENOTFOUND, "お荷物データが登録されておりません。");
	e->status = TSK_STATUS_NOT_FOUND;
	tsk_shipment_list_append(l, e);
	for (unsigned flags = 0; flags <= TSK_JSON_PRETTY; flags += TSK_JSON_PRETTY) {
		char *a, *b;
		ck_assert_int_eq(tsk_shipment_list_to_json(&a, NULL, l, flags), TSK_OK);
		tsk_shipment_list *back;
		tsk_error err;
		ck_assert_int_eq(tsk_shipment_list_from_json(&back, a, strlen(a), &err), TSK_OK);
		ck_assert_int_eq(tsk_shipment_list_to_json(&b, NULL, back, flags), TSK_OK);
		ck_assert_str_eq(a, b);
		const tsk_shipment *nf = tsk_shipment_list_at(back, 1);
		ck_assert_int_eq(tsk_shipment_error(nf), TSK_ENOTFOUND);
		ck_assert_int_eq(tsk_shipment_status(nf), TSK_STATUS_NOT_FOUND);
		const tsk_event *ev = tsk_shipment_event_at(tsk_shipment_list_at(back, 0), 1);
		ck_assert_int_eq(tsk_event_time(ev)->precision, TSK_PRECISION_DAY);
		tsk_shipment_list_free(back);
		tsk_free(a);
		tsk_free(b);
	}
	tsk_shipment_list_free(l);
}
END_TEST

START_TEST(load_errors_name_the_key)
{
	static const struct {
		const char *json, *where;
	} bad[] = {
		{ "{\"schema\":2,\"shipments\":[]}", "schema" },
		{ "{\"schema\":1}", "shipments" },
		{ "{\"schema\":1,\"shipments\":[{\"carrier\":\"yamato\"}]}", "shipments[0].tracking_number" },
		{ "{\"schema\":1,\"shipments\":[{\"carrier\":\"y\",\"tracking_number\":\"1\",\"status\":\"lost\"}]}",
		  "shipments[0].status" },
		{ "{\"schema\":1,\"shipments\":[{\"carrier\":\"y\",\"tracking_number\":\"1\",\"events\":[{\"time\":\"yesterday\"}]}]}",
		  "shipments[0].events[0].time" },
		{ "{\"schema\":1,\"shipments\":[{\"carrier\":\"y\",\"tracking_number\":\"1\",\"error\":{\"code\":\"oops\"}}]}",
		  "shipments[0].error.code" },
		{ "{\"schema\":1,\"shipments\":[{\"carrier\":\"y\",\"tracking_number\":1}]}",
		  "shipments[0].tracking_number" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tsk_shipment_list *l = NULL;
		tsk_error err;
		ck_assert_int_eq(tsk_shipment_list_from_json(&l, bad[i].json, strlen(bad[i].json), &err), TSK_EPARSE);
		ck_assert_ptr_null(l);
		ck_assert_msg(strcmp(err.where, bad[i].where) == 0, "case %zu: where=%s message=%s", i, err.where,
		              err.message);
	}
	tsk_shipment_list *l = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk_shipment_list_from_json(&l, "{\"schema\":1,", 12, &err), TSK_EPARSE);
	ck_assert(strstr(err.message, "invalid JSON"));
	ck_assert_int_eq(tsk_shipment_list_from_json(&l, "", 0, &err), TSK_EPARSE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");
	tcase_add_test(tc, shape_follows_the_contract);
	tcase_add_test(tc, round_trip_is_lossless);
	tcase_add_test(tc, load_errors_name_the_key);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
