/*
 * Transport tests, end to end through libcurl against the loopback
 * simulator (tests/sim): batching and order, retries on 5xx and 429 with
 * Retry-After, truncated bodies, timeouts, size cap, closed connections,
 * connection reuse, User-Agent and compression. A small test adapter
 * ("tc") registered through the public API keeps these tests about the
 * transport, not about a carrier's pages.
 */
#define _POSIX_C_SOURCE 200809L
#include "simctl.h"
#include "tc_adapter.h"
#include <tsuiseki.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static tsk_sim *sim;

/* ------------------------------------------------------------------ setup */

static void setup(void)
{
	const char *bin = getenv("TSK_SIM");
	const char *data = getenv("TSK_INTEGRATION_DATA");
	ck_assert_msg(bin && data, "TSK_SIM and TSK_INTEGRATION_DATA must be set");
	sim = tsk_sim_start(bin, data);
	ck_assert_ptr_nonnull(sim);
}

static void teardown(void)
{
	tsk_sim_stop(sim);
	sim = NULL;
}

/* A context whose tc endpoint is the simulator, behind an optional fault prefix. */
static tsk_ctx *make_ctx(const char *fault)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &tc_adapter), TSK_OK);
	char path[256], url[512];
	snprintf(path, sizeof path, "%s%s%s/tc/track", fault ? "/_fault/" : "", fault ? fault : "", "");
	ck_assert_ptr_nonnull(tsk_sim_url(sim, path, url, sizeof url));
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "tc", url), TSK_OK);
	/* keep retry waits short so the suite stays fast */
	tsk_ctx_set_option(ctx, TSK_OPT_RETRY_BASE_MS, 20);
	tsk_ctx_set_option(ctx, TSK_OPT_TIMEOUT_MS, 5000);
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

static const tsk_shipment *track_one(tsk_ctx *ctx, tsk_shipment_list **l, const char *number)
{
	ck_assert_int_eq(tsk_track_batch(l, ctx, "tc", &number, 1, NULL), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(*l), 1);
	return tsk_shipment_list_at(*l, 0);
}

/* ------------------------------------------------------------------ tests */

START_TEST(batch_keeps_order_and_batches)
{
	tsk_ctx *ctx = make_ctx(NULL);
	const char *numbers[] = { "2222-2222-2222", "111111111111", "333333333333", "555555555555",
		                  "666666666666", "777777777777", "888888888888", "12#4" };
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", numbers, 8, NULL), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 8);
	const char *want[] = { "222222222222", "111111111111", "333333333333", "555555555555",
		               "666666666666", "777777777777", "888888888888" };
	for (size_t i = 0; i < 7; i++) {
		const tsk_shipment *s = tsk_shipment_list_at(l, i);
		ck_assert_str_eq(tsk_shipment_tracking_number(s), want[i]);
		ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
		ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	}
	/* the malformed number fails alone, with its own error, named as given */
	const tsk_shipment *bad = tsk_shipment_list_at(l, 7);
	ck_assert_int_eq(tsk_shipment_error(bad), TSK_EINVALID_NUMBER);
	ck_assert_str_eq(tsk_shipment_tracking_number(bad), "12#4");
	ck_assert_ptr_nonnull(tsk_shipment_error_message(bad));
	tsk_shipment_list_free(l);
	/* 7 numbers at 3 per request */
	ck_assert_int_eq(stat_value("requests"), 3);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(strstr(log, "tsuiseki/"), "User-Agent names tsuiseki: %s", log);
	ck_assert_msg(strstr(log, "gzip") || strstr(log, "deflate"), "compression offered: %s", log);
	free(log);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(connections_are_reused)
{
	tsk_ctx *ctx = make_ctx(NULL);
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_PARALLEL, 1);
	for (int i = 0; i < 4; i++) {
		tsk_shipment_list *l;
		track_one(ctx, &l, "111111111111");
		tsk_shipment_list_free(l);
	}
	ck_assert_int_eq(stat_value("requests"), 4);
	ck_assert_int_eq(stat_value("connections"), 1);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(politeness_caps_parallel_requests)
{
	tsk_ctx *ctx = make_ctx("delay:150");
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_PARALLEL, 2);
	const char *numbers[] = { "111111111111", "222222222222", "333333333333", "555555555555",
		                  "666666666666", "777777777777", "888888888888", "444444444444",
		                  "123123123123", "321321321321", "456456456456", "654654654654" };
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", numbers, 12, NULL), TSK_OK);
	ck_assert_int_eq(stat_value("requests"), 4);
	ck_assert_int_le(stat_value("max_concurrent"), 2);
	ck_assert_int_ge(stat_value("max_concurrent"), 2);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(server_error_is_retried)
{
	tsk_ctx *ctx = make_ctx("500x1");
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
	ck_assert_int_eq(stat_value("requests"), 2);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(server_error_gives_http)
{
	tsk_ctx *ctx = make_ctx("500");
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	ck_assert_str_eq(tsk_error_name(tsk_shipment_error(s)), "http");
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "500"), "%s", tsk_shipment_error_message(s));
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_UNKNOWN);
	/* 1 try + 2 retries */
	ck_assert_int_eq(stat_value("requests"), 3);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(not_found_status_is_http)
{
	tsk_ctx *ctx = make_ctx("404");
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	/* 4xx is not retried */
	ck_assert_int_eq(stat_value("requests"), 1);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(rate_limit_honours_retry_after)
{
	tsk_ctx *ctx = make_ctx("429:1x1");
	tsk_shipment_list *l;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
	double waited = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	/* the retry waited for the server's Retry-After (1 s), not our 20 ms backoff */
	ck_assert_msg(waited >= 0.9, "waited %.3f s", waited);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(rate_limit_gives_rate_limited)
{
	tsk_ctx *ctx = make_ctx("429:0");
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ERATELIMITED);
	ck_assert_str_eq(tsk_error_name(tsk_shipment_error(s)), "rate_limited");
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	/* a Retry-After longer than our cap is not waited for, nor hammered:
	 * rate_limited naming the wait, and the next poll after it */
	ctx = make_ctx("429:3600");
	tsk_ctx_set_option(ctx, TSK_OPT_RETRY_MAX_MS, 2000);
	tsk_time now;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&now, "2026-12-03T10:00:00+09:00"), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_now(ctx, &now), TSK_OK);
	s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ERATELIMITED);
	ck_assert_int_eq(stat_value("requests"), 4);
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "wait 3600 s") &&
	              strstr(tsk_shipment_error_message(s), "longer than the 2 s"), "%s", tsk_shipment_error_message(s));
	ck_assert_int_ge(tsk_shipment_next_poll(s)->epoch, now.epoch + 3600);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	/* a busy server's 503 with a long Retry-After is the same wait */
	ctx = make_ctx("503:120");
	tsk_ctx_set_option(ctx, TSK_OPT_RETRY_MAX_MS, 2000);
	ck_assert_int_eq(tsk_ctx_set_now(ctx, &now), TSK_OK);
	s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ERATELIMITED);
	ck_assert_int_eq(stat_value("requests"), 5);
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "HTTP 503 asks to wait 120 s"), "%s",
	              tsk_shipment_error_message(s));
	ck_assert_int_ge(tsk_shipment_next_poll(s)->epoch, now.epoch + 120);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	/* one within the cap is waited for, and its wait still holds the next poll */
	ctx = make_ctx("429:1");
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 0);
	ck_assert_int_eq(tsk_ctx_set_now(ctx, &now), TSK_OK);
	s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ERATELIMITED);
	ck_assert_int_ge(tsk_shipment_next_poll(s)->epoch, now.epoch + 1);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

/* Statuses that are answers in themselves: http naming the status, asked once. */
START_TEST(bodiless_and_location_less_answers_are_http)
{
	static const struct {
		const char *fault, *words;
	} cases[] = {
		{ "204", "HTTP 204 No Content" },
		{ "304", "HTTP 304 Not Modified" },
		{ "302", "HTTP 302 redirect without a usable Location" },
		{ "301", "HTTP 301 redirect without a usable Location" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(tsk_sim_reset(sim), 0);
		tsk_ctx *ctx = make_ctx(cases[i].fault);
		tsk_shipment_list *l;
		const tsk_shipment *s = track_one(ctx, &l, "111111111111");
		ck_assert_msg(tsk_shipment_error(s) == TSK_EHTTP, "%s: %s", cases[i].fault,
		              tsk_error_name(tsk_shipment_error(s)));
		ck_assert_msg(strstr(tsk_shipment_error_message(s), cases[i].words), "%s",
		              tsk_shipment_error_message(s));
		ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_UNKNOWN);
		ck_assert_int_eq(stat_value("requests"), 1);
		tsk_shipment_list_free(l);
		tsk_ctx_free(ctx);
	}
}
END_TEST

START_TEST(truncated_body_is_network)
{
	tsk_ctx *ctx = make_ctx("truncate:10");
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 0);
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENETWORK);
	ck_assert_str_eq(tsk_error_name(tsk_shipment_error(s)), "network");
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(slow_server_times_out)
{
	tsk_ctx *ctx = make_ctx("delay:3000");
	tsk_ctx_set_option(ctx, TSK_OPT_TIMEOUT_MS, 300);
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 1);
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ETIMEOUT);
	ck_assert_str_eq(tsk_error_name(tsk_shipment_error(s)), "timeout");
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(dripped_body_arrives)
{
	tsk_ctx *ctx = make_ctx("drip:5");
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "222222222222");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(oversized_body_is_capped)
{
	tsk_ctx *ctx = make_ctx("oversize:10000000");
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RESPONSE_BYTES, 65536);
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "limit"), "%s", tsk_shipment_error_message(s));
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	/* also without a Content-Length */
	ctx = make_ctx("oversize-chunked:10000000");
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RESPONSE_BYTES, 65536);
	s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(closed_connection_is_network)
{
	tsk_ctx *ctx = make_ctx("close");
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENETWORK);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(refused_connection_is_network)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &tc_adapter), TSK_OK);
	/* port 9 (discard) is closed on the loopback of a test machine */
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 0);
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENETWORK);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(garbage_is_parse_error)
{
	tsk_ctx *ctx = make_ctx("garbage");
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "111111111111");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EPARSE);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(unknown_number_is_not_found)
{
	tsk_ctx *ctx = make_ctx(NULL);
	tsk_shipment_list *l;
	const tsk_shipment *s = track_one(ctx, &l, "999999999999");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENOTFOUND);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_NOT_FOUND);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(previous_snapshot_is_merged)
{
	tsk_ctx *ctx = make_ctx(NULL);
	tsk_shipment_list *first, *second;
	const char *n = "444444444444";
	ck_assert_int_eq(tsk_track_batch(&first, ctx, "tc", &n, 1, NULL), TSK_OK);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(first, 0)), TSK_STATUS_IN_TRANSIT);
	ck_assert_int_eq(tsk_track_batch(&second, ctx, "tc", &n, 1, first), TSK_OK);
	const tsk_shipment *s = tsk_shipment_list_at(second, 0);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 2);
	ck_assert_ptr_null(tsk_shipment_next_poll(s));
	tsk_shipment_list_free(first);
	tsk_shipment_list_free(second);
	tsk_ctx_free(ctx);
}
END_TEST

/* ---------------------------------------------- politeness per carrier */

static void point_tc(tsk_ctx *ctx, const char *carrier, const char *fault)
{
	char path[256], url[512];
	snprintf(path, sizeof path, "%s%s%s/tc/track", fault ? "/_fault/" : "", fault ? fault : "", "");
	ck_assert_ptr_nonnull(tsk_sim_url(sim, path, url, sizeof url));
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, carrier, url), TSK_OK);
}

/* Log lines whose target starts with prefix. */
static long requests_to(const char *prefix)
{
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_ptr_nonnull(log);
	char needle[256];
	snprintf(needle, sizeof needle, "\t%s", prefix);
	long n = 0;
	for (const char *p = log; (p = strstr(p, needle)); p++)
		n++;
	free(log);
	return n;
}

/* four numbers all.txt does not know, then the seven it knows (4..10) */
static const char *const twelve[] = { "123123123123", "321321321321", "456456456456", "654654654654",
	                              "111111111111", "222222222222", "333333333333", "555555555555",
	                              "666666666666", "777777777777", "888888888888", "444444444444" };

START_TEST(carrier_limits_from_api_and_environment)
{
	tsk_ctx *ctx = make_ctx("delay:100");
	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_MAX_PARALLEL, 4), TSK_OK);
	long v = 0;
	ck_assert_int_eq(tsk_ctx_carrier_option(ctx, "tc", TSK_OPT_MAX_PARALLEL, &v), TSK_OK);
	ck_assert_int_eq(v, 4);
	/* the environment's value (the context's variables stand in for it) */
	ck_assert_int_eq(tsk_ctx_set_variable(ctx, "TSUISEKI_PARALLEL_TC", "2"), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_variable(ctx, "TSUISEKI_RATE_TC", "50"), TSK_OK);
	ck_assert_int_eq(tsk_ctx_carrier_option(ctx, "tc", TSK_OPT_MAX_PARALLEL, &v), TSK_OK);
	ck_assert_int_eq(v, 2);
	ck_assert_int_eq(tsk_ctx_carrier_option(ctx, "tc", TSK_OPT_REQUESTS_PER_SECOND, &v), TSK_OK);
	ck_assert_int_eq(v, 50);
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 12, NULL), TSK_OK);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(stat_value("requests"), 4);
	ck_assert_int_eq(stat_value("max_concurrent"), 2);
	/* the API's value wins over the environment's */
	ck_assert_int_eq(tsk_ctx_set_carrier_option(ctx, "tc", TSK_OPT_MAX_PARALLEL, 1), TSK_OK);
	ck_assert_int_eq(tsk_sim_reset(sim), 0);
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 12, NULL), TSK_OK);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(stat_value("max_concurrent"), 1);
	/* only the two politeness options are per carrier; ranges hold */
	ck_assert_int_eq(tsk_ctx_set_carrier_option(ctx, "tc", TSK_OPT_TIMEOUT_MS, 5), TSK_EINVAL);
	ck_assert_int_eq(tsk_ctx_set_carrier_option(ctx, "tc", TSK_OPT_MAX_PARALLEL, 0), TSK_EINVAL);
	ck_assert_int_eq(tsk_ctx_set_carrier_option(ctx, "tc", TSK_OPT_MAX_PARALLEL, -1), TSK_OK);
	ck_assert_int_eq(tsk_ctx_carrier_option(ctx, "tc", TSK_OPT_MAX_PARALLEL, &v), TSK_OK);
	ck_assert_int_eq(v, 2);
	/* an unusable variable: the carrier is not asked, its shipments say why */
	ck_assert_int_eq(tsk_ctx_set_variable(ctx, "TSUISEKI_RATE_TC", "0.5"), TSK_OK);
	ck_assert_int_eq(tsk_ctx_carrier_option(ctx, "tc", TSK_OPT_REQUESTS_PER_SECOND, &v), TSK_ECONFIG);
	ck_assert_int_eq(tsk_sim_reset(sim), 0);
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 2, NULL), TSK_OK);
	const tsk_shipment *s = tsk_shipment_list_at(l, 1);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ECONFIG);
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "TSUISEKI_RATE_TC"), "%s", tsk_shipment_error_message(s));
	tsk_shipment_list_free(l);
	ck_assert_int_eq(stat_value("requests"), 0);
	tsk_ctx_free(ctx);
}
END_TEST

static tsk_adapter tc2_adapter;

/* A carrier down for the whole run is asked a bounded number of times;
 * another carrier is not affected; the breaker closes once the carrier
 * answers again. */
START_TEST(breaker_bounds_requests_to_a_down_carrier)
{
	tsk_ctx *ctx = make_ctx(NULL);
	tc2_adapter = tc_adapter;
	tc2_adapter.name = "tc2";
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &tc2_adapter), TSK_OK);
	point_tc(ctx, "tc2", NULL);
	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_FAILURES, 3), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_COOLDOWN_MS, 1000), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_MAX_COOLDOWN_MS, 1000), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_carrier_option(ctx, "tc", TSK_OPT_MAX_PARALLEL, 1), TSK_OK);

	/* a good round first: the snapshots a caller keeps */
	tsk_shipment_list *good, *l;
	ck_assert_int_eq(tsk_track_batch(&good, ctx, "tc", twelve, 12, NULL), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(good, 9)), TSK_OK);

	/* then the carrier goes down */
	point_tc(ctx, "tc", "503");
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 12, good), TSK_OK);
	/* three failed requests (first tries and retries, as the engine
	 * interleaves them) open the breaker; nothing more is sent: the last
	 * request never goes, and a retry that was due does not either. (On a
	 * slow machine a cool-down may end within the run: one probe each.) */
	tsk_carrier_status st;
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	ck_assert_uint_ge(st.opened, 1);
	ck_assert_int_eq(requests_to("/_fault/503/"), 3 + (long)st.opened - 1);
	for (size_t i = 0; i < 12; i++) {
		int e = tsk_shipment_error(tsk_shipment_list_at(l, i));
		ck_assert_msg(e == TSK_EHTTP || e == TSK_ECARRIER_UNAVAILABLE, "%zu: %s", i, tsk_error_name(e));
	}
	const tsk_shipment *s = tsk_shipment_list_at(l, 9);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ECARRIER_UNAVAILABLE);
	ck_assert_str_eq(tsk_error_name(tsk_shipment_error(s)), "carrier_unavailable");
	const char *msg = tsk_shipment_error_message(s);
	ck_assert_msg(strstr(msg, "tc is unavailable until ") && strstr(msg, "+09:00"), "%s", msg);
	/* the last good state stays */
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 1);
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	ck_assert_uint_eq(st.failures, 3 + st.opened - 1);
	ck_assert_int_eq(st.last_error, TSK_EHTTP);
	ck_assert_int_eq(st.last_http_status, 503);
	ck_assert(tsk_time_is_set(&st.open_until));
	char until[48];
	tsk_time_format(until, sizeof until, &st.open_until);
	ck_assert_msg(strstr(msg, until), "%s / %s", msg, until);
	/* a poller looks again once the breaker may let it through */
	ck_assert_ptr_nonnull(tsk_shipment_next_poll(s));
	ck_assert_int_ge(tsk_shipment_next_poll(s)->epoch, st.open_until.epoch);
	tsk_shipment_list_free(l);

	/* while open, nothing goes to it; the other carrier is not affected */
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 12, good), TSK_OK);
		for (size_t i = 0; i < 12; i++)
			ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, i)), TSK_ECARRIER_UNAVAILABLE);
		tsk_shipment_list_free(l);
		ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc2", twelve, 12, NULL), TSK_OK);
		for (size_t i = 4; i < 11; i++) /* the numbers all.txt knows */
			ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, i)), TSK_OK);
		tsk_shipment_list_free(l);
	}
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	ck_assert_int_eq(requests_to("/_fault/503/"), 3 + (long)st.opened - 1);
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc2", &st), TSK_OK);
	ck_assert_int_eq(st.state, TSK_BREAKER_CLOSED);

	/* after the cool-down one request probes; it fails: open again, longer */
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	while (st.state == TSK_BREAKER_OPEN) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
		ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	}
	ck_assert_int_eq(st.state, TSK_BREAKER_HALF_OPEN);
	long before = requests_to("/_fault/503/");
	unsigned opened = st.opened;
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 12, good), TSK_OK);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	ck_assert_uint_ge(st.opened, opened + 1);
	ck_assert_int_eq(requests_to("/_fault/503/"), before + (long)(st.opened - opened));
	ck_assert_int_eq(requests_to("/_fault/503/"), 3 + (long)st.opened - 1);

	/* the carrier answers again: the next probe closes the breaker */
	point_tc(ctx, "tc", NULL);
	while (st.state == TSK_BREAKER_OPEN) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
		ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	}
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 12, good), TSK_OK);
	for (size_t i = 4; i < 11; i++)
		ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, i)), TSK_OK);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	ck_assert_int_eq(st.state, TSK_BREAKER_CLOSED);
	ck_assert_uint_eq(st.failures, 0);
	ck_assert(!tsk_time_is_set(&st.open_until));
	printf("breaker: a carrier down for the whole run got %ld requests (3 to open, then 1 probe per cool-down)\n",
	       requests_to("/_fault/503/"));
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "nope", &st), TSK_ENOCARRIER);
	tsk_shipment_list_free(good);
	tsk_ctx_free(ctx);
}
END_TEST

/* A block (HTTP 403) opens the breaker at once; 0 failures turns it off. */
START_TEST(breaker_opens_on_a_block)
{
	tsk_ctx *ctx = make_ctx("403");
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_ctx_set_carrier_option(ctx, "tc", TSK_OPT_MAX_PARALLEL, 1), TSK_OK);
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 12, NULL), TSK_OK);
	ck_assert_int_eq(stat_value("requests"), 1);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 0)), TSK_EHTTP);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 11)), TSK_ECARRIER_UNAVAILABLE);
	tsk_shipment_list_free(l);
	tsk_carrier_status st;
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	ck_assert_int_eq(st.state, TSK_BREAKER_OPEN);
	ck_assert_int_eq(st.last_http_status, 403);
	tsk_ctx_free(ctx);

	ctx = make_ctx("403");
	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_FAILURES, 0), TSK_OK);
	ck_assert_int_eq(tsk_sim_reset(sim), 0);
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", twelve, 12, NULL), TSK_OK);
	ck_assert_int_eq(stat_value("requests"), 4);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 11)), TSK_EHTTP);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

/* A number left out of an answer about several is an incomplete answer:
 * a transient http error with its own message, not the carrier's "no
 * record" (not_found); a fleet keeps the number's last good state. */
START_TEST(number_left_out_of_a_batch_is_incomplete)
{
	tsk_ctx *ctx = make_ctx(NULL);
	tsk_shipment_list *l;
	const char *two[] = { "111111111111", "999999999999" };
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", two, 2, NULL), TSK_OK);
	ck_assert_int_eq(stat_value("requests"), 1);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 0)), TSK_OK);
	const tsk_shipment *s = tsk_shipment_list_at(l, 1);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_UNKNOWN);
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "incomplete answer") &&
	              strstr(tsk_shipment_error_message(s), "999999999999"), "%s", tsk_shipment_error_message(s));
	tsk_shipment_list_free(l);

	/* asked alone, an answer without it says the carrier has no record */
	s = track_one(ctx, &l, "999999999999");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENOTFOUND);
	tsk_shipment_list_free(l);

	/* a fleet: both known, then the second answer leaves one out */
	ck_assert_int_eq(tsk_sim_reset(sim), 0);
	tsk_fleet *f;
	ck_assert_int_eq(tsk_fleet_open(&f, ctx, "memory:"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_add(f, "555555555555", "tc", "order-5", "en"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_add(f, "666666666666", "tc", "order-6", "en"), TSK_OK);
	tsk_fleet_run_stats st;
	ck_assert_int_eq(tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st), TSK_OK);
	ck_assert_int_eq(st.failed, 0);
	tsk_fleet_item *it;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "666666666666"), TSK_OK);
	tsk_time due = *tsk_fleet_item_next_poll(it);
	tsk_fleet_item_free(it);
	ck_assert_int_eq(tsk_ctx_set_now(ctx, &due), TSK_OK);
	ck_assert_int_eq(tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st), TSK_OK);
	ck_assert_int_eq(st.polled, 2);
	ck_assert_int_eq(st.failed, 1);
	ck_assert_int_eq(stat_value("requests"), 2);
	ck_assert_int_eq(tsk_fleet_get(&it, f, "666666666666"), TSK_OK);
	s = tsk_fleet_item_shipment(it);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	ck_assert_uint_eq(tsk_shipment_event_count(s), 1);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	tsk_fleet_item_free(it);
	tsk_fleet_free(f);
	tsk_ctx_set_now(ctx, NULL);
	tsk_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = tcase_create("transport");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, batch_keeps_order_and_batches);
	tcase_add_test(tc, connections_are_reused);
	tcase_add_test(tc, politeness_caps_parallel_requests);
	tcase_add_test(tc, server_error_is_retried);
	tcase_add_test(tc, server_error_gives_http);
	tcase_add_test(tc, not_found_status_is_http);
	tcase_add_test(tc, rate_limit_honours_retry_after);
	tcase_add_test(tc, rate_limit_gives_rate_limited);
	tcase_add_test(tc, bodiless_and_location_less_answers_are_http);
	tcase_add_test(tc, truncated_body_is_network);
	tcase_add_test(tc, slow_server_times_out);
	tcase_add_test(tc, dripped_body_arrives);
	tcase_add_test(tc, oversized_body_is_capped);
	tcase_add_test(tc, closed_connection_is_network);
	tcase_add_test(tc, refused_connection_is_network);
	tcase_add_test(tc, garbage_is_parse_error);
	tcase_add_test(tc, unknown_number_is_not_found);
	tcase_add_test(tc, number_left_out_of_a_batch_is_incomplete);
	tcase_add_test(tc, previous_snapshot_is_merged);
	tcase_add_test(tc, carrier_limits_from_api_and_environment);
	tcase_add_test(tc, breaker_bounds_requests_to_a_down_carrier);
	tcase_add_test(tc, breaker_opens_on_a_block);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
