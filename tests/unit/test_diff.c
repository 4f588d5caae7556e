/*
 * Change detection on hand-made snapshot pairs: every change type, the ETA
 * tolerance, no change -> empty list, old NULL -> everything new, and the
 * JSON Lines of the changes.
 */
#include "eta_builders.h"
#include "tsuiseki/diff.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#define IT TSK_STATUS_IN_TRANSIT
#define OFD TSK_STATUS_OUT_FOR_DELIVERY
#define NONE TSK_EXC_NONE

static const struct {
	const char *when, *word, *where;
	tsk_status st;
} history[] = {
	{ "2024-06-08 14:00", "荷物受付", "新宿センター", IT },
	{ "2024-06-09 01:30", "作業店通過", "関西ゲートウェイ", IT },
	{ "2024-06-09 08:30", "配達中", "大阪中央センター", OFD },
	{ "2024-06-09 10:00", "持戻（ご不在）", "大阪中央センター", TSK_STATUS_FAILED_ATTEMPT },
	{ "2024-06-10 09:00", "配達中", "大阪中央センター", OFD },
	{ "2024-06-10 11:00", "配達完了", "大阪中央センター", TSK_STATUS_DELIVERED },
};

/* The snapshot after n events, analysed at now, with previous as the last snapshot. */
static tsk_shipment *snap(int n, const tsk_shipment *previous, const char *now)
{
	tsk_shipment *s = tb_shipment("yamato", "225303415632", "宅急便");
	ck_assert_int_eq(tsk_shipment_set_text(s, TSK_SHIPMENT_DESTINATION_REGION, "大阪府"), TSK_OK);
	for (int i = 0; i < n; i++)
		tb_add(s, tb_event(history[i].when, history[i].word, history[i].st, NONE, history[i].where, NULL));
	tb_run(s, previous, now);
	return s;
}

static tsk_change_list *diff(const tsk_shipment *old, const tsk_shipment *cur, const tsk_diff_options *opts)
{
	tsk_change_list *l = NULL;
	ck_assert_int_eq(tsk_diff(&l, old, cur, opts), TSK_OK);
	ck_assert_ptr_nonnull(l);
	return l;
}

/* The change types as "a,b,c". */
static const char *types(const tsk_change_list *l)
{
	static char buf[512];
	buf[0] = '\0';
	for (size_t i = 0; i < tsk_change_list_count(l); i++) {
		if (i)
			strcat(buf, ",");
		strcat(buf, tsk_change_type_to_string(tsk_change_get_type(tsk_change_list_at(l, i))));
	}
	return buf;
}

START_TEST(no_change_is_empty)
{
	tsk_shipment *a = snap(2, NULL, "2024-06-09T02:00:00+09:00");
	tsk_shipment *b = snap(2, a, "2024-06-09T05:00:00+09:00");
	tsk_change_list *l = diff(a, b, NULL);
	ck_assert_uint_eq(tsk_change_list_count(l), 0);
	char *json = NULL;
	size_t len = 99;
	ck_assert_int_eq(tsk_change_list_to_json(&json, &len, l, 0), TSK_OK);
	ck_assert_str_eq(json, "");
	ck_assert_uint_eq(len, 0);
	tsk_free(json);
	tsk_change_list_free(l);
	l = diff(a, a, NULL);
	ck_assert_uint_eq(tsk_change_list_count(l), 0);
	tsk_change_list_free(l);
	tsk_shipment_free(a);
	tsk_shipment_free(b);
}
END_TEST

START_TEST(old_null_everything_new)
{
	tsk_shipment *s = snap(4, NULL, "2024-06-09T12:00:00+09:00");
	tsk_change_list *l = diff(NULL, s, NULL);
	ck_assert_str_eq(types(l), "new_event,new_event,new_event,new_event,status_changed,eta_changed,"
	                           "exception_raised");
	for (long i = 0; i < 4; i++) {
		const tsk_change *c = tsk_change_list_at(l, (size_t)i);
		ck_assert_int_eq(tsk_change_event_index(c), i);
		ck_assert_str_eq(tsk_event_carrier_status(tsk_change_event(c)), history[i].word);
	}
	const tsk_change *st = tsk_change_list_at(l, 4);
	ck_assert(!tsk_change_has_previous(st));
	ck_assert_int_eq(tsk_change_current_status(st), TSK_STATUS_FAILED_ATTEMPT);
	const tsk_change *eta = tsk_change_list_at(l, 5);
	ck_assert_ptr_null(tsk_change_previous_eta(eta));
	ck_assert_ptr_nonnull(tsk_change_current_eta(eta));
	ck_assert_int_eq(tsk_change_exception(tsk_change_list_at(l, 6))->code, TSK_EXC_FAILED_ATTEMPT);
	tsk_change_list_free(l);

	/* a delivered shipment seen for the first time: delivered too */
	tsk_shipment *d = snap(6, NULL, "2024-06-10T12:00:00+09:00");
	l = diff(NULL, d, NULL);
	ck_assert_str_eq(types(l), "new_event,new_event,new_event,new_event,new_event,new_event,"
	                           "status_changed,delivered");
	tsk_change_list_free(l);
	tsk_shipment_free(d);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(every_change_type)
{
	/* in transit -> out for delivery: one event, the status, the ETA narrows to today */
	tsk_shipment *s2 = snap(2, NULL, "2024-06-09T02:00:00+09:00");
	tsk_shipment *s3 = snap(3, s2, "2024-06-09T09:00:00+09:00");
	tsk_change_list *l = diff(s2, s3, NULL);
	ck_assert_str_eq(types(l), "new_event,status_changed,eta_changed");
	ck_assert_int_eq(tsk_change_event_index(tsk_change_list_at(l, 0)), 2);
	const tsk_change *c = tsk_change_list_at(l, 1);
	ck_assert(tsk_change_has_previous(c));
	ck_assert_int_eq(tsk_change_previous_status(c), IT);
	ck_assert_int_eq(tsk_change_current_status(c), OFD);
	ck_assert_str_eq(tb_fmt(tsk_change_time(c)), "2024-06-09T08:30:00+09:00");
	c = tsk_change_list_at(l, 2);
	ck_assert_ptr_nonnull(tsk_change_previous_eta(c));
	ck_assert_str_eq(tb_fmt(&tsk_change_current_eta(c)->latest), "2024-06-09T21:00:00+09:00");
	tsk_change_list_free(l);

	/* failed attempt: exception raised */
	tsk_shipment *s4 = snap(4, s3, "2024-06-09T11:00:00+09:00");
	l = diff(s3, s4, NULL);
	ck_assert_str_eq(types(l), "new_event,status_changed,eta_changed,exception_raised");
	c = tsk_change_list_at(l, 3);
	ck_assert_int_eq(tsk_change_exception(c)->code, TSK_EXC_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_change_exception(c)->event_index, 3);
	ck_assert_str_eq(tb_fmt(tsk_change_time(c)), "2024-06-09T10:00:00+09:00");
	tsk_change_list_free(l);

	/* out again: exception cleared */
	tsk_shipment *s5 = snap(5, s4, "2024-06-10T09:30:00+09:00");
	l = diff(s4, s5, NULL);
	ck_assert_str_eq(types(l), "new_event,status_changed,eta_changed,exception_cleared");
	c = tsk_change_list_at(l, 3);
	ck_assert(tsk_change_has_previous(c));
	ck_assert_int_eq(tsk_change_exception(c)->code, TSK_EXC_FAILED_ATTEMPT);
	tsk_change_list_free(l);

	/* delivered: no eta_changed by default (delivered says it) */
	tsk_shipment *s6 = snap(6, s5, "2024-06-10T12:00:00+09:00");
	l = diff(s5, s6, NULL);
	ck_assert_str_eq(types(l), "new_event,status_changed,delivered");
	c = tsk_change_list_at(l, 2);
	ck_assert_int_eq(tsk_change_previous_status(c), OFD);
	ck_assert_str_eq(tb_fmt(tsk_change_time(c)), "2024-06-10T11:00:00+09:00");
	ck_assert_int_eq(tsk_change_status(c), TSK_STATUS_DELIVERED);
	tsk_change_list_free(l);
	tsk_diff_options o = TSK_DIFF_OPTIONS_INIT;
	o.flags = TSK_DIFF_ETA_ON_DELIVERY;
	l = diff(s5, s6, &o);
	ck_assert_str_eq(types(l), "new_event,status_changed,eta_changed,delivered");
	ck_assert_ptr_null(tsk_change_current_eta(tsk_change_list_at(l, 2)));
	tsk_change_list_free(l);

	/* the list outlives its snapshots */
	l = diff(s5, s6, NULL);
	tsk_shipment_free(s5);
	tsk_shipment_free(s6);
	ck_assert_str_eq(tsk_event_carrier_status(tsk_change_event(tsk_change_list_at(l, 0))), "配達完了");
	ck_assert_str_eq(tsk_change_carrier(tsk_change_list_at(l, 0)), "yamato");
	ck_assert_str_eq(tsk_change_tracking_number(tsk_change_list_at(l, 0)), "225303415632");
	tsk_change_list_free(l);
	tsk_shipment_free(s2);
	tsk_shipment_free(s3);
	tsk_shipment_free(s4);
}
END_TEST

START_TEST(severity_rise_is_raised_again)
{
	/* held for pickup: the deadline nears, then passes */
	tsk_shipment *s = tb_shipment("yamato", "225303415632", "宅急便");
	tb_add(s, tb_event("2024-06-08 14:00", "荷物受付", IT, NONE, "新宿センター", NULL));
	tb_add(s, tb_event("2024-06-10 10:00", "保管中", TSK_STATUS_AVAILABLE_FOR_PICKUP, TSK_EXC_HELD_AT_OFFICE,
	                   "新宿センター", NULL));
	tb_run(s, NULL, "2024-06-15T09:00:00+09:00");
	tsk_shipment *near;
	ck_assert_int_eq(tsk_shipment_dup(&near, s), TSK_OK);
	tb_run(s, near, "2024-06-15T18:00:00+09:00");
	tsk_change_list *l = diff(near, s, NULL);
	ck_assert_uint_eq(tsk_change_list_count(l), 0); /* polled again: nothing new */
	tsk_change_list_free(l);
	tb_run(s, near, "2024-06-17T09:00:00+09:00");
	l = diff(near, s, NULL);
	ck_assert_str_eq(types(l), "exception_raised");
	const tsk_change *c = tsk_change_list_at(l, 0);
	ck_assert(tsk_change_has_previous(c));
	ck_assert_int_eq(tsk_change_exception(c)->severity, TSK_SEVERITY_CRITICAL);
	ck_assert_int_eq(tsk_change_previous_exception(c)->severity, TSK_SEVERITY_WARNING);
	char *json;
	ck_assert_int_eq(tsk_change_to_json(&json, NULL, c, 0), TSK_OK);
	yajl_val v = yajl_tree_parse(json, NULL, 0);
	const char *pp[] = { "previous", "severity", NULL }, *cp[] = { "current", "severity", NULL };
	ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(v, pp, yajl_t_string)), "warning");
	ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(v, cp, yajl_t_string)), "critical");
	yajl_tree_free(v);
	tsk_free(json);
	tsk_change_list_free(l);
	/* the other way (a severity drop) is no news */
	l = diff(s, near, NULL);
	ck_assert_uint_eq(tsk_change_list_count(l), 0);
	tsk_change_list_free(l);
	tsk_shipment_free(near);
	tsk_shipment_free(s);
}
END_TEST

START_TEST(eta_tolerance)
{
	tsk_shipment *a = snap(1, NULL, "2024-06-08T15:00:00+09:00");
	tsk_shipment *b;
	ck_assert_int_eq(tsk_shipment_dup(&b, a), TSK_OK);

	b->eta.latest.epoch += 60 * 60; /* exactly the tolerance: not a change */
	tsk_change_list *l = diff(a, b, NULL);
	ck_assert_uint_eq(tsk_change_list_count(l), 0);
	tsk_change_list_free(l);

	b->eta.latest.epoch += 60; /* 61 minutes */
	l = diff(a, b, NULL);
	ck_assert_str_eq(types(l), "eta_changed");
	tsk_change_list_free(l);

	b->eta.latest = a->eta.latest;
	b->eta.earliest.epoch -= 61 * 60; /* either bound */
	l = diff(a, b, NULL);
	ck_assert_str_eq(types(l), "eta_changed");
	tsk_change_list_free(l);

	tsk_diff_options o = TSK_DIFF_OPTIONS_INIT;
	o.eta_tolerance_seconds = 2 * 3600;
	l = diff(a, b, &o);
	ck_assert_uint_eq(tsk_change_list_count(l), 0);
	tsk_change_list_free(l);

	/* the ETA disappearing without delivery is a change */
	b->has_eta = false;
	l = diff(a, b, NULL);
	ck_assert_str_eq(types(l), "eta_changed");
	ck_assert_ptr_null(tsk_change_current_eta(tsk_change_list_at(l, 0)));
	tsk_change_list_free(l);

	tsk_shipment_free(a);
	tsk_shipment_free(b);
}
END_TEST

START_TEST(bad_input)
{
	tsk_shipment *a = snap(1, NULL, "2024-06-08T15:00:00+09:00");
	tsk_shipment *other = tb_shipment("yamato", "100000000001", NULL);
	tsk_change_list *l = (tsk_change_list *)1;
	ck_assert_int_eq(tsk_diff(&l, a, other, NULL), TSK_EINVAL);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(tsk_diff(&l, a, NULL, NULL), TSK_EINVAL);
	ck_assert_int_eq(tsk_diff(NULL, a, a, NULL), TSK_EINVAL);
	tsk_diff_options o = TSK_DIFF_OPTIONS_INIT;
	o.version = 0;
	ck_assert_int_eq(tsk_diff(&l, a, a, &o), TSK_EINVAL);
	tsk_shipment_free(other);

	/* a failed query is no news */
	tsk_shipment *failed = tb_shipment("yamato", "225303415632", NULL);
	ck_assert_int_eq(tsk_shipment_set_error(failed, TSK_ENETWORK, "connection refused"), TSK_OK);
	l = diff(a, failed, NULL);
	ck_assert_uint_eq(tsk_change_list_count(l), 0);
	tsk_change_list_free(l);
	tsk_shipment_free(failed);

	ck_assert_uint_eq(tsk_change_list_count(NULL), 0);
	ck_assert_ptr_null(tsk_change_list_at(NULL, 0));
	tsk_change_list_free(NULL);
	tsk_change_type t;
	ck_assert_int_eq(tsk_change_type_from_string(&t, "exception_cleared"), TSK_OK);
	ck_assert_int_eq(t, TSK_CHANGE_EXCEPTION_CLEARED);
	ck_assert_int_eq(tsk_change_type_from_string(&t, "moved"), TSK_EINVAL);
	ck_assert_str_eq(tsk_change_type_to_string((tsk_change_type)99), "unknown");
	tsk_shipment_free(a);
}
END_TEST

static const char *str_at(yajl_val obj, const char *k1, const char *k2)
{
	const char *path[] = { k1, k2, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_any);
	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

static bool is_null_at(yajl_val obj, const char *k)
{
	const char *path[] = { k, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_any);
	return v && YAJL_IS_NULL(v);
}

START_TEST(json_lines)
{
	tsk_shipment *s2 = snap(2, NULL, "2024-06-09T02:00:00+09:00");
	tsk_shipment *s4 = snap(4, s2, "2024-06-09T11:00:00+09:00");
	tsk_change_list *l = diff(s2, s4, NULL);
	ck_assert_str_eq(types(l), "new_event,new_event,status_changed,eta_changed,exception_raised");

	/* one object per change */
	char *one = NULL;
	ck_assert_int_eq(tsk_change_to_json(&one, NULL, tsk_change_list_at(l, 2), 0), TSK_OK);
	ck_assert_str_eq(one, "{\"type\":\"status_changed\",\"carrier\":\"yamato\",\"tracking_number\":"
	                      "\"225303415632\",\"status\":\"failed_attempt\",\"time\":"
	                      "\"2024-06-09T10:00:00+09:00\",\"previous\":\"in_transit\",\"current\":"
	                      "\"failed_attempt\"}");
	tsk_free(one);

	char *json = NULL;
	size_t len = 0;
	ck_assert_int_eq(tsk_change_list_to_json(&json, &len, l, 0), TSK_OK);
	ck_assert_uint_eq(strlen(json), len);
	/* five lines, each a JSON object */
	size_t lines = 0;
	char *save = NULL;
	char *copy = strdup(json);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char err[256];
		yajl_val v = yajl_tree_parse(line, err, sizeof err);
		ck_assert_msg(v && YAJL_IS_OBJECT(v), "line %zu: %s", lines, err);
		ck_assert_str_eq(str_at(v, "carrier", NULL), "yamato");
		const char *type = str_at(v, "type", NULL);
		if (lines == 0) {
			ck_assert_str_eq(type, "new_event");
			ck_assert(is_null_at(v, "previous"));
			ck_assert_str_eq(str_at(v, "current", "carrier_status"), "配達中");
			ck_assert_str_eq(str_at(v, "current", "time_raw"), "2024-06-09 08:30");
			ck_assert_str_eq(str_at(v, "current", "time_precision"), "minute");
			ck_assert_str_eq(str_at(v, "current", "status"), "out_for_delivery");
		} else if (lines == 3) {
			ck_assert_str_eq(type, "eta_changed");
			ck_assert_str_eq(str_at(v, "previous", "source"), "model");
			/* same-day redelivery after the 10:00 attempt, from now (11:00): never in the past */
			ck_assert_str_eq(str_at(v, "current", "earliest"), "2024-06-09T11:00:00+09:00");
			const char *p[] = { "current", "confidence", NULL };
			yajl_val conf = yajl_tree_get(v, p, yajl_t_number);
			ck_assert(conf && YAJL_GET_DOUBLE(conf) > 0.3 && YAJL_GET_DOUBLE(conf) < 0.4);
			const char *o[] = { "current", "original", "earliest", NULL };
			ck_assert_ptr_nonnull(yajl_tree_get(v, o, yajl_t_string));
		} else if (lines == 4) {
			ck_assert_str_eq(type, "exception_raised");
			ck_assert_str_eq(str_at(v, "current", "code"), "failed_attempt");
			ck_assert_str_eq(str_at(v, "current", "severity"), "warning");
			ck_assert(is_null_at(v, "previous"));
		}
		yajl_tree_free(v);
		lines++;
	}
	ck_assert_uint_eq(lines, 5);
	ck_assert(json[len - 1] == '\n');
	free(copy);
	tsk_free(json);

	/* pretty: still parses */
	ck_assert_int_eq(tsk_change_to_json(&one, NULL, tsk_change_list_at(l, 4), TSK_JSON_PRETTY), TSK_OK);
	ck_assert(strchr(one, '\n') != NULL);
	yajl_val v = yajl_tree_parse(one, NULL, 0);
	ck_assert_ptr_nonnull(v);
	yajl_tree_free(v);
	tsk_free(one);

	tsk_change_list_free(l);
	tsk_shipment_free(s2);
	tsk_shipment_free(s4);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("diff");
	tcase_add_test(tc, no_change_is_empty);
	tcase_add_test(tc, old_null_everything_new);
	tcase_add_test(tc, every_change_type);
	tcase_add_test(tc, severity_rise_is_raised_again);
	tcase_add_test(tc, eta_tolerance);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, json_lines);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
