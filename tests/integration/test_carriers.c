/*
 * The carriers end to end: the built-in adapters and the CLI go through
 * libcurl to the loopback simulator serving the recorded pages of
 * tests/data (routes in tests/data/routes): batching per carrier, auto
 * detection across carriers, pages with a lying charset, `tsuiseki track
 * --json` exit codes, and `tsuiseki watch` against pages that change
 * between polls, including kills while the state file is written.
 */
#define _POSIX_C_SOURCE 200809L
#include "runcmd.h"
#include "simctl.h"
#include <tsuiseki.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

static tsk_sim *sim;
static char endpoints[3][256];

static void setup(void)
{
	sim = tsk_sim_start(getenv("TSK_SIM"), getenv("TSK_TEST_DATA"));
	ck_assert_ptr_nonnull(sim);
	tsk_sim_url(sim, "/yamato/cgi-bin/tneko", endpoints[0], sizeof endpoints[0]);
	tsk_sim_url(sim, "/sagawa/p/web/okurijosearch.do", endpoints[1], sizeof endpoints[1]);
	tsk_sim_url(sim, "/japanpost/services/srv/search/direct", endpoints[2], sizeof endpoints[2]);
	/* for the CLI, which reads the environment */
	setenv("TSUISEKI_ENDPOINT_YAMATO", endpoints[0], 1);
	setenv("TSUISEKI_ENDPOINT_SAGAWA", endpoints[1], 1);
	setenv("TSUISEKI_ENDPOINT_JAPANPOST", endpoints[2], 1);
}

static void teardown(void)
{
	tsk_sim_stop(sim);
	sim = NULL;
}

static tsk_ctx *make_ctx(void)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "yamato", endpoints[0]), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "sagawa", endpoints[1]), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "japanpost", endpoints[2]), TSK_OK);
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2009-09-11T12:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);
	return ctx;
}

static long stat_value(const char *name)
{
	char *stats = tsk_sim_fetch(sim, "/_stats");
	ck_assert_ptr_nonnull(stats);
	const char *p = strstr(stats, name);
	ck_assert_ptr_nonnull(p);
	long v = strtol(p + strlen(name) + 1, NULL, 10);
	free(stats);
	return v;
}

static size_t count_substr(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static tsk_shipment_list *track(tsk_ctx *ctx, const char *carrier, const char *const *numbers, size_t n)
{
	tsk_shipment_list *l = NULL;
	ck_assert_int_eq(tsk_track_batch(&l, ctx, carrier, numbers, n, NULL), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), n);
	return l;
}

START_TEST(yamato_page_of_seven_in_one_request)
{
	tsk_ctx *ctx = make_ctx();
	const char *n[] = { "249740007075", "249749463353", "249749622780", "249749644502",
		            "249769711516", "249770279150", "249770587345" };
	tsk_shipment_list *l = track(ctx, "yamato", n, 7);
	for (size_t i = 0; i < 7; i++) {
		const tsk_shipment *s = tsk_shipment_list_at(l, i);
		ck_assert_str_eq(tsk_shipment_tracking_number(s), n[i]);
		ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
		ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
		ck_assert_str_eq(tsk_shipment_layout(s), "yamato-2009");
	}
	ck_assert_uint_eq(tsk_shipment_event_count(tsk_shipment_list_at(l, 0)), 6);
	ck_assert_int_eq(stat_value("requests"), 1);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_msg(strstr(log, "POST\t/yamato/cgi-bin/tneko\tapplication/x-www-form-urlencoded\tnumber00=1&number01=249740007075&number02="),
	              "%s", log);
	free(log);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(yamato_batches_of_ten)
{
	tsk_ctx *ctx = make_ctx();
	const char *n[12];
	char buf[12][13];
	for (int i = 0; i < 12; i++) {
		/* valid mod-7 numbers nobody registered */
		long long body = 40012345600LL + i;
		snprintf(buf[i], sizeof buf[i], "%011lld%lld", body, body % 7);
		n[i] = buf[i];
	}
	tsk_shipment_list *l = track(ctx, "yamato", n, 12);
	for (size_t i = 0; i < 12; i++) {
		ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, i)), n[i]);
		ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, i)), TSK_ENOTFOUND);
	}
	ck_assert_int_eq(stat_value("requests"), 2);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_uint_eq(count_substr(log, "number10="), 1);
	ck_assert_uint_eq(count_substr(log, "number11="), 0);
	ck_assert_uint_eq(count_substr(log, "number00=1"), 2);
	free(log);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

static char *dump(const tsk_shipment *s)
{
	char *json = NULL;
	ck_assert_int_eq(tsk_shipment_to_json(&json, NULL, s, 0), TSK_OK);
	return json;
}

/* The simulator answers a batch that no route names as a whole number by
 * number (each number's own route), as the carriers do: every shipment of
 * the batch is the one that number gives when tracked alone. */
static void batch_equals_singles(tsk_ctx *ctx, const char *carrier, const char *const *n, size_t count,
                                 const char *layout)
{
	tsk_sim_reset(sim);
	tsk_shipment_list *l = track(ctx, carrier, n, count);
	ck_assert_int_eq(stat_value("requests"), 1);
	for (size_t i = 0; i < count; i++) {
		const tsk_shipment *b = tsk_shipment_list_at(l, i);
		ck_assert_str_eq(tsk_shipment_tracking_number(b), n[i]);
		ck_assert_msg(tsk_shipment_error(b) == TSK_OK || tsk_shipment_error(b) == TSK_ENOTFOUND, "%s: %s", n[i],
		              tsk_shipment_error_message(b));
		if (tsk_shipment_error(b) == TSK_OK) /* japanpost-2019 or japanpost-2019-en */
			ck_assert_msg(strncmp(tsk_shipment_layout(b), layout, strlen(layout)) == 0, "%s: layout %s",
			              n[i], tsk_shipment_layout(b));
		tsk_shipment *one = NULL;
		ck_assert_int_eq(tsk_track(&one, ctx, carrier, n[i]), TSK_OK);
		char *jb = dump(b), *j1 = dump(one);
		ck_assert_str_eq(jb, j1);
		tsk_free(jb);
		tsk_free(j1);
		tsk_shipment_free(one);
	}
	tsk_shipment_list_free(l);
}

START_TEST(batches_of_known_numbers_number_by_number)
{
	tsk_ctx *ctx = make_ctx();
	/* the 2009 Yamato page: single pages, one number of a three-number
	 * page, and the not-registered page */
	const char *y09[] = { "249724973934", "271012047736", "225303549181", "103261367661", "999999999994" };
	batch_equals_singles(ctx, "yamato", y09, 5, "yamato-2009");
	/* today's Yamato page, with a number nobody registered (the '*' template) */
	const char *y19[] = { "400123456795", "400123456880", "360477021553" };
	batch_equals_singles(ctx, "yamato", y19, 3, "yamato-2019");
	/* today's Japan Post page: ja and en pages, and an unknown number */
	const char *jp[] = { "432109876542", "123456789013", "EF719215461JP" };
	batch_equals_singles(ctx, "japanpost", jp, 3, "japanpost-2019");
	tsk_ctx_free(ctx);
}
END_TEST

/* TSK_OPT_FOLLOW_HANDOFF: a クロネコゆうパケット is followed to Japan Post
 * in the same call, and a later call with the previous snapshot adds only
 * what is new. */
START_TEST(track_follows_a_handoff)
{
	tsk_ctx *ctx = make_ctx();
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2024-12-10T18:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);
	/* off by default: the Yamato leg alone */
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_ctx_option(ctx, TSK_OPT_FOLLOW_HANDOFF), 0);
	ck_assert_int_eq(tsk_track(&s, ctx, "yamato", "400123456902"), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_leg_count(s), 1);
	ck_assert_str_eq(tsk_shipment_handoff_carrier(s), "japanpost");
	tsk_shipment_free(s);
	ck_assert_int_eq(stat_value("requests"), 1);

	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_FOLLOW_HANDOFF, 1), TSK_OK);
	const char *n = "400123456902";
	tsk_shipment_list *first = track(ctx, "yamato", &n, 1);
	const tsk_shipment *f = tsk_shipment_list_at(first, 0);
	ck_assert_int_eq(tsk_shipment_error(f), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_leg_count(f), 2);
	ck_assert_str_eq(tsk_shipment_leg_carrier(f, 1), "japanpost");
	ck_assert_uint_eq(tsk_shipment_event_count(f), 5);
	ck_assert_str_eq(tsk_event_carrier(tsk_shipment_event_at(f, 4)), "japanpost");
	ck_assert_int_eq(tsk_shipment_status(f), TSK_STATUS_IN_TRANSIT);
	ck_assert_str_eq(tsk_shipment_status_text(f), "到着");
	ck_assert_int_eq(stat_value("requests"), 3);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_msg(strstr(log, "GET\t/japanpost/services/srv/search/direct?reqCodeNo1=400123456902&"), "%s", log);
	free(log);

	/* the next poll: Japan Post delivered it */
	tsk_shipment_list *second = NULL;
	ck_assert_int_eq(tsk_track_batch(&second, ctx, "yamato", &n, 1, first), TSK_OK);
	const tsk_shipment *d = tsk_shipment_list_at(second, 0);
	ck_assert_int_eq(tsk_shipment_status(d), TSK_STATUS_DELIVERED);
	ck_assert_uint_eq(tsk_shipment_event_count(d), 7);
	ck_assert_uint_eq(tsk_shipment_leg_count(d), 2);
	ck_assert_ptr_null(tsk_shipment_next_poll(d));
	char *json = NULL;
	ck_assert_int_eq(tsk_shipment_to_json(&json, NULL, d, 0), TSK_OK);
	ck_assert_msg(strstr(json, "\"legs\":[{\"carrier\":\"yamato\""), "%s", json);
	tsk_free(json);
	tsk_shipment_list_free(second);
	tsk_shipment_list_free(first);
	tsk_ctx_free(ctx);
}
END_TEST

/* A maintenance page is the carrier saying "not now": the last good state
 * stays with the error, and a busy page is rate_limited; neither is
 * not_found nor layout_changed (issue 13, item 7). */
START_TEST(yamato_outage_pages_are_transient)
{
	tsk_ctx *ctx = make_ctx();
	const char *n = "400123456913";
	tsk_shipment_list *first = track(ctx, "yamato", &n, 1);
	const tsk_shipment *f = tsk_shipment_list_at(first, 0);
	ck_assert_int_eq(tsk_shipment_error(f), TSK_OK);
	ck_assert_int_eq(tsk_shipment_status(f), TSK_STATUS_OUT_FOR_DELIVERY);
	size_t events = tsk_shipment_event_count(f);
	ck_assert_uint_gt(events, 0);

	tsk_shipment_list *second = NULL;
	ck_assert_int_eq(tsk_track_batch(&second, ctx, "yamato", &n, 1, first), TSK_OK);
	const tsk_shipment *m = tsk_shipment_list_at(second, 0);
	ck_assert_int_eq(tsk_shipment_error(m), TSK_ECARRIER_UNAVAILABLE);
	ck_assert_msg(strstr(tsk_shipment_error_message(m), "システムメンテナンス中"), "%s",
	              tsk_shipment_error_message(m));
	ck_assert_int_eq(tsk_shipment_status(m), TSK_STATUS_OUT_FOR_DELIVERY);
	ck_assert_uint_eq(tsk_shipment_event_count(m), events);
	ck_assert_ptr_nonnull(tsk_shipment_next_poll(m));

	tsk_shipment_list *third = NULL;
	ck_assert_int_eq(tsk_track_batch(&third, ctx, "yamato", &n, 1, first), TSK_OK);
	const tsk_shipment *b = tsk_shipment_list_at(third, 0);
	ck_assert_int_eq(tsk_shipment_error(b), TSK_ERATELIMITED);
	ck_assert_msg(strstr(tsk_shipment_error_message(b), "アクセスが集中"), "%s", tsk_shipment_error_message(b));
	ck_assert_int_ne(tsk_shipment_status(b), TSK_STATUS_NOT_FOUND);
	ck_assert_ptr_nonnull(tsk_shipment_next_poll(b));
	tsk_shipment_list_free(third);
	tsk_shipment_list_free(second);
	tsk_shipment_list_free(first);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(sagawa_one_number_per_request)
{
	tsk_ctx *ctx = make_ctx();
	const char *n[] = { "600080190146", "600080758362", "600080936070" };
	tsk_shipment_list *l = track(ctx, "sagawa", n, 3);
	const size_t events[] = { 4, 8, 7 };
	for (size_t i = 0; i < 3; i++) {
		const tsk_shipment *s = tsk_shipment_list_at(l, i);
		ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
		ck_assert_uint_eq(tsk_shipment_event_count(s), events[i]);
	}
	ck_assert_int_eq(stat_value("requests"), 3);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert(strstr(log, "GET\t/sagawa/p/web/okurijosearch.do?okurijoNo=600080758362\t"));
	free(log);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(japanpost_list_and_kinds)
{
	tsk_ctx *ctx = make_ctx();
	/* two numbers: the 2009 list page, one request */
	const char *pair[] = { "317426268143", "317440458506" };
	tsk_shipment_list *l = track(ctx, "japanpost", pair, 2);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 0)), TSK_STATUS_DELIVERED);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 1)), TSK_STATUS_DELIVERED);
	ck_assert_str_eq(tsk_event_region(tsk_shipment_event_at(tsk_shipment_list_at(l, 1), 0)), "愛媛県");
	tsk_shipment_list_free(l);
	ck_assert_int_eq(stat_value("requests"), 1);
	/* EMS (English page) and a registered-mail number, each its own kind of search */
	const char *other[] = { "EF719215461JP", "131-12-38385-2" };
	l = track(ctx, "japanpost", other, 2);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 0)), TSK_STATUS_DELIVERED);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 1)), TSK_STATUS_DELIVERED);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(stat_value("requests"), 3);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_msg(strstr(log, "reqCodeNo1=317426268143&reqCodeNo2=317440458506&searchKind=S002"), "%s", log);
	ck_assert_msg(strstr(log, "reqCodeNo1=13112383852&searchKind=S001"), "%s", log);
	ck_assert_msg(strstr(log, "reqCodeNo1=EF719215461JP&searchKind=S002"), "%s", log);
	free(log);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(auto_finds_each_carrier)
{
	tsk_ctx *ctx = make_ctx();
	static const struct {
		const char *number, *carrier;
		tsk_status status;
	} cases[] = {
		{ "2497-2497-3934", "yamato", TSK_STATUS_IN_TRANSIT },
		{ "600078420325", "sagawa", TSK_STATUS_DELIVERED },
		{ "317409136693", "japanpost", TSK_STATUS_DELIVERED },
		{ "EF719215461JP", "japanpost", TSK_STATUS_DELIVERED },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tsk_shipment *s = NULL;
		ck_assert_int_eq(tsk_track(&s, ctx, "auto", cases[i].number), TSK_OK);
		ck_assert_str_eq(tsk_shipment_carrier(s), cases[i].carrier);
		ck_assert_int_eq(tsk_shipment_status(s), cases[i].status);
		ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
		ck_assert_ptr_null(tsk_shipment_also_known_by(s));
		tsk_shipment_free(s);
	}
	/* the three 12-digit numbers asked all three carriers; the S10 only Japan Post */
	ck_assert_int_eq(stat_value("requests"), 10);
	/* nobody knows it: not found, and an invalid number is refused before any request */
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_track(&s, ctx, "auto", "4001-2345-6003"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENOTFOUND);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_NOT_FOUND);
	tsk_shipment_free(s);
	ck_assert_int_eq(tsk_track(&s, ctx, "auto", "4001-2345-6004"), TSK_EINVALID_NUMBER);
	ck_assert(strstr(tsk_ctx_last_error(ctx), "check digit"));
	tsk_shipment_free(s);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(auto_says_when_two_carriers_know_a_number)
{
	tsk_ctx *ctx = make_ctx();
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_track(&s, ctx, "auto", "360477021553"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
	ck_assert_ptr_nonnull(tsk_shipment_also_known_by(s));
	const char *other = strcmp(tsk_shipment_carrier(s), "yamato") == 0 ? "sagawa" : "yamato";
	ck_assert_str_eq(tsk_shipment_also_known_by(s), other);
	tsk_shipment_free(s);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(lying_charset_is_overruled)
{
	tsk_ctx *ctx = make_ctx();
	const char *n = "816433984026";
	tsk_shipment_list *l = track(ctx, "yamato", &n, 1);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	ck_assert_str_eq(tsk_event_carrier_status(tsk_shipment_event_at(s, tsk_shipment_event_count(s) - 1)),
	                 "投函予定");
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

/* ---------------------------------------------- JSON APIs (REST adapter) */

/* A context that reads credentials and endpoints from the environment, as
 * applications and the CLI do. */
static tsk_ctx *rest_ctx(void)
{
	char url[512];
	setenv("TSUISEKI_ENDPOINT_REST_AFTERSHIP", tsk_sim_url(sim, "/rest/aftership", url, sizeof url), 1);
	setenv("TSUISEKI_ENDPOINT_REST_17TRACK", tsk_sim_url(sim, "/rest/17track", url, sizeof url), 1);
	setenv("TSUISEKI_ENDPOINT_REST_EASYPOST", tsk_sim_url(sim, "/rest/easypost", url, sizeof url), 1);
	setenv("TSUISEKI_ENDPOINT_REST_MYAPI", tsk_sim_url(sim, "/rest/myapi", url, sizeof url), 1);
	setenv("AFTERSHIP_API_KEY", "test-aftership-key", 1);
	setenv("TRACK17_API_KEY", "test-17track-key", 1);
	setenv("EASYPOST_API_KEY", "testkey", 1);
	setenv("MYAPI_KEY", "test-myapi-key", 1);
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, 0), TSK_OK);
	return ctx;
}

START_TEST(rest_apis_end_to_end)
{
	tsk_ctx *ctx = rest_ctx();
	static const struct {
		const char *carrier, *number;
		tsk_status status;
		size_t events;
	} cases[] = {
		{ "rest:aftership", "1ZA2207X6791425225", TSK_STATUS_DELIVERED, 15 },
		{ "rest:aftership", "9405903699300211343566", TSK_STATUS_IN_TRANSIT, 0 },
		{ "rest:17track", "AA123456789BR", TSK_STATUS_DELIVERED, 0 },
		{ "rest:easypost", "EZ1000000001", TSK_STATUS_INFO_RECEIVED, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tsk_shipment *s = NULL;
		ck_assert_int_eq(tsk_track(&s, ctx, cases[i].carrier, cases[i].number), TSK_OK);
		ck_assert_msg(tsk_shipment_error(s) == TSK_OK, "%s: %s", cases[i].carrier,
		              tsk_shipment_error_message(s));
		ck_assert_int_eq(tsk_shipment_status(s), cases[i].status);
		if (cases[i].events)
			ck_assert_uint_eq(tsk_shipment_event_count(s), cases[i].events);
		tsk_shipment_free(s);
	}
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_msg(strstr(log, "GET\t/rest/aftership/trackings?tracking_numbers=1ZA2207X6791425225\t"), "%s", log);
	ck_assert_msg(strstr(log, "POST\t/rest/17track/gettrackinfo\tapplication/json\t"), "%s", log);
	free(log);
	tsk_ctx_free(ctx);

	/* a context that ignores the environment gets its key from tsk_ctx_set_variable
	 * (and the source tree's mappings explicitly: nothing is installed here) */
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	if (!tsk_ctx_carrier(ctx, "rest:aftership"))
		ck_assert_int_eq(tsk_ctx_load_mappings_dir(ctx, getenv("TSK_TEST_MAPPINGS")), TSK_OK);
	char url[512];
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "rest:aftership", tsk_sim_url(sim, "/rest/aftership", url, sizeof url)), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_variable(ctx, "AFTERSHIP_API_KEY", "test-aftership-key"), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_variable(ctx, "BAD-NAME", "x"), TSK_EINVAL);
	tsk_shipment *own = NULL;
	ck_assert_int_eq(tsk_track(&own, ctx, "rest:aftership", "1ZA2207X6791425225"), TSK_OK);
	ck_assert_msg(tsk_shipment_error(own) == TSK_OK, "%s", tsk_shipment_error_message(own));
	ck_assert_int_eq(tsk_shipment_status(own), TSK_STATUS_DELIVERED);
	tsk_shipment_free(own);
	/* removed again: the environment is not consulted */
	ck_assert_int_eq(tsk_ctx_set_variable(ctx, "AFTERSHIP_API_KEY", NULL), TSK_OK);
	ck_assert_int_eq(tsk_track(&own, ctx, "rest:aftership", "1ZA2207X6791425225"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(own), TSK_ECONFIG);
	tsk_shipment_free(own);
	tsk_ctx_free(ctx);

	/* a wrong key: the API answers 401, an http error naming it */
	setenv("AFTERSHIP_API_KEY", "wrong", 1);
	ck_assert_int_eq(tsk_ctx_new(&ctx, 0), TSK_OK);
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_track(&s, ctx, "rest:aftership", "1ZA2207X6791425225"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "401"), "%s", tsk_shipment_error_message(s));
	tsk_shipment_free(s);
	/* no key at all: a configuration error before any request */
	unsetenv("AFTERSHIP_API_KEY");
	ck_assert_int_eq(tsk_track(&s, ctx, "rest:aftership", "1ZA2207X6791425225"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ECONFIG);
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "AFTERSHIP_API_KEY"), "%s", tsk_shipment_error_message(s));
	tsk_shipment_free(s);
	tsk_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------ the CLI */


static const char *cli(void)
{
	return getenv("TSK_CLI");
}

START_TEST(cli_track_json)
{
	char cmd[1024], *out;
	snprintf(cmd, sizeof cmd, "%s track --json --now 2009-09-11T12:00:00+09:00 --carrier sagawa 600078420325", cli());
	ck_assert_int_eq(tsk_test_run(cmd, &out), 0);
	char err[256];
	yajl_val doc = yajl_tree_parse(out, err, sizeof err);
	ck_assert_msg(doc != NULL, "%s: %s", err, out);
	const char *schema_path[] = { "schema", NULL };
	ck_assert_int_eq(YAJL_GET_INTEGER(yajl_tree_get(doc, schema_path, yajl_t_number)), 1);
	const char *ships_path[] = { "shipments", NULL };
	yajl_val ships = yajl_tree_get(doc, ships_path, yajl_t_array);
	ck_assert_ptr_nonnull(ships);
	ck_assert_uint_eq(ships->u.array.len, 1);
	const char *st_path[] = { "status", NULL };
	ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(ships->u.array.values[0], st_path, yajl_t_string)), "delivered");
	const char *at_path[] = { "delivered_at", NULL };
	ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(ships->u.array.values[0], at_path, yajl_t_string)),
	                 "2009-07-12T11:27:00+09:00");
	yajl_tree_free(doc);
	free(out);
	/* one unregistered number: exit 1 and an error object */
	snprintf(cmd, sizeof cmd, "%s track --json --carrier yamato 249724973934 9999-9999-9994", cli());
	ck_assert_int_eq(tsk_test_run(cmd, &out), 1);
	ck_assert(strstr(out, "\"error\":{\"code\":\"not_found\""));
	ck_assert(strstr(out, "\"tracking_number\":\"999999999994\""));
	free(out);
	/* usage errors: exit 2 */
	snprintf(cmd, sizeof cmd, "%s track --carrier nosuch 249724973934 2>/dev/null", cli());
	ck_assert_int_eq(tsk_test_run(cmd, &out), 2);
	free(out);
	snprintf(cmd, sizeof cmd, "%s track --bogus 2>/dev/null", cli());
	ck_assert_int_eq(tsk_test_run(cmd, &out), 2);
	free(out);
	snprintf(cmd, sizeof cmd, "%s detect --json 2497-2497-3934 EF719215461QQ", cli());
	ck_assert_int_eq(tsk_test_run(cmd, &out), 1);
	ck_assert_msg(strstr(out, "{\"input\":\"2497-2497-3934\",\"number\":\"249724973934\",\"valid\":true,"
	                          "\"candidates\":[{\"carrier\":\"yamato\",\"confidence\":0.34}"), "%s", out);
	ck_assert_msg(strstr(out, "\"valid\":false,\"candidates\":[],\"error\":{\"code\":\"invalid_number\""), "%s", out);
	free(out);
}
END_TEST

START_TEST(cli_user_mapping)
{
	tsk_ctx_free(rest_ctx()); /* sets the endpoint and key variables */
	char cmd[1024], *out;
	snprintf(cmd, sizeof cmd, "%s track --json --mappings %s/mappings --carrier rest:myapi MY123456789JP",
	         cli(), getenv("TSK_TEST_DATA"));
	ck_assert_int_eq(tsk_test_run(cmd, &out), 0);
	ck_assert_msg(strstr(out, "\"carrier\":\"rest:myapi\",\"tracking_number\":\"MY123456789JP\""), "%s", out);
	ck_assert_msg(strstr(out, "\"status\":\"delivered\""), "%s", out);
	ck_assert_msg(strstr(out, "\"delivered_at\":\"2024-12-03T14:25:00+09:00\""), "%s", out);
	free(out);
	snprintf(cmd, sizeof cmd, "%s carriers --mappings %s/mappings", cli(), getenv("TSK_TEST_DATA"));
	ck_assert_int_eq(tsk_test_run(cmd, &out), 0);
	ck_assert(strstr(out, "rest:myapi"));
	ck_assert(strstr(out, "rest:aftership"));
	free(out);
}
END_TEST

START_TEST(poller_example_tracks)
{
	/* examples/poller.c, the poll(2) glue daemons copy, against the simulator */
	char cmd[1024], *out;
	snprintf(cmd, sizeof cmd, "%s --carrier yamato 225303415632 225303549181 225305292332", getenv("TSK_POLLER"));
	ck_assert_int_eq(tsk_test_run(cmd, &out), 0);
	ck_assert_msg(count_substr(out, ": delivered") == 3, "%s", out);
	free(out);
	snprintf(cmd, sizeof cmd, "%s 600078420325", getenv("TSK_POLLER"));
	ck_assert_int_eq(tsk_test_run(cmd, &out), 0);
	ck_assert_msg(strstr(out, "sagawa 600078420325: delivered"), "%s", out);
	free(out);
	snprintf(cmd, sizeof cmd, "%s 9999-9999-9994 2>/dev/null", getenv("TSK_POLLER"));
	ck_assert_int_eq(tsk_test_run(cmd, &out), 1);
	free(out);
}
END_TEST

START_TEST(cli_watch_prints_changes_once)
{
	char state[] = "/tmp/tsk-watch-XXXXXX";
	int fd = mkstemp(state);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(state); /* watch starts without a state file */
	char cmd[1024], *out;
	snprintf(cmd, sizeof cmd, "%s watch --carrier yamato --interval 1 --state %s 6230-2386-6161", cli(), state);
	ck_assert_int_eq(tsk_test_run(cmd, &out), 0);
	/* poll 1: every event is new; poll 2: out for delivery; poll 3: delivered, then it stops */
	ck_assert_uint_eq(count_substr(out, "\"type\":\"new_event\""), 6);
	ck_assert_uint_eq(count_substr(out, "\"type\":\"delivered\""), 1);
	ck_assert_msg(strstr(out, "\"type\":\"status_changed\",\"carrier\":\"yamato\",\"tracking_number\":\"623023866161\","
	                          "\"status\":\"out_for_delivery\""), "%s", out);
	ck_assert_int_eq(stat_value("requests"), 3);
	free(out);
	/* the state file holds the delivered snapshot; watching again finds nothing new */
	tsk_shipment_list *l = NULL;
	FILE *f = fopen(state, "rb");
	ck_assert_ptr_nonnull(f);
	char buf[1 << 16];
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	tsk_error err;
	ck_assert_int_eq(tsk_shipment_list_from_json(&l, buf, len, &err), TSK_OK);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 0)), TSK_STATUS_DELIVERED);
	ck_assert_uint_eq(tsk_shipment_event_count(tsk_shipment_list_at(l, 0)), 6);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(tsk_test_run(cmd, &out), 0);
	ck_assert_str_eq(out, "");
	free(out);
	unlink(state);
}
END_TEST

START_TEST(cli_watch_survives_kills)
{
	char state[] = "/tmp/tsk-watch-kill-XXXXXX";
	int fd = mkstemp(state);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(state);
	srand((unsigned)time(NULL));
	int killed_with_state = 0;
	for (int round = 0; round < 12; round++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			/* a parcel that stays in transit: watch polls and rewrites the state every second */
			execl(cli(), "tsuiseki", "watch", "--carrier", "yamato", "--interval", "1", "--state", state,
			      "2497-2497-3934", "103261367661", "225303415632", (char *)NULL);
			_exit(127);
		}
		struct timespec ts = { 0, (long)(rand() % 1500) * 1000000L };
		while (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		FILE *f = fopen(state, "rb");
		if (!f)
			continue; /* killed before the first write: no file, never a torn one */
		static char buf[1 << 20];
		size_t len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		tsk_shipment_list *l = NULL;
		tsk_error err;
		ck_assert_msg(tsk_shipment_list_from_json(&l, buf, len, &err) == TSK_OK,
		              "round %d: torn state file: %s", round, err.message);
		ck_assert_uint_eq(tsk_shipment_list_count(l), 3);
		tsk_shipment_list_free(l);
		killed_with_state++;
	}
	ck_assert_int_gt(killed_with_state, 0);
	unlink(state);
	/* no temporary files left behind that a later run would trip over */
	char *out;
	char cmd[256];
	snprintf(cmd, sizeof cmd, "ls %s.tmp.* 2>/dev/null | wc -l", state);
	tsk_test_run(cmd, &out);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("carriers");
	TCase *tc = tcase_create("carriers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, yamato_page_of_seven_in_one_request);
	tcase_add_test(tc, yamato_batches_of_ten);
	tcase_add_test(tc, batches_of_known_numbers_number_by_number);
	tcase_add_test(tc, track_follows_a_handoff);
	tcase_add_test(tc, yamato_outage_pages_are_transient);
	tcase_add_test(tc, sagawa_one_number_per_request);
	tcase_add_test(tc, japanpost_list_and_kinds);
	tcase_add_test(tc, auto_finds_each_carrier);
	tcase_add_test(tc, auto_says_when_two_carriers_know_a_number);
	tcase_add_test(tc, lying_charset_is_overruled);
	tcase_add_test(tc, rest_apis_end_to_end);
	tcase_add_test(tc, cli_track_json);
	tcase_add_test(tc, cli_user_mapping);
	tcase_add_test(tc, poller_example_tracks);
	tcase_add_test(tc, cli_watch_prints_changes_once);
	tcase_add_test(tc, cli_watch_survives_kills);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
