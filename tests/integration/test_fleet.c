/*
 * The fleet end to end through libcurl against the simulator, with
 * scripted page sequences (tests/data/routes, tests/data/fleet): each
 * scripted change gives exactly one notification of the right kind and
 * text; a delivered parcel's history gives one; a retired shipment is
 * never asked again; "auto" pins its carrier (checked in the simulator's
 * request log); a carrier that stays down keeps the last good state; an
 * unknown number is given up after the horizon; the event-loop submit
 * writes what the blocking run writes. Lifecycles run on both stores.
 */
#define _POSIX_C_SOURCE 200809L
#include "../common/dbfiles.h"
#include "simctl.h"

#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tsuiseki.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static tsk_sim *sim;
static char endpoints[3][256];
static char db_path[512];

static void setup(void)
{
	sim = tsk_sim_start(getenv("TSK_SIM"), getenv("TSK_TEST_DATA"));
	ck_assert_ptr_nonnull(sim);
	tsk_sim_url(sim, "/yamato/cgi-bin/tneko", endpoints[0], sizeof endpoints[0]);
	tsk_sim_url(sim, "/sagawa/p/web/okurijosearch.do", endpoints[1], sizeof endpoints[1]);
	tsk_sim_url(sim, "/japanpost/services/srv/search/direct", endpoints[2], sizeof endpoints[2]);
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(db_path, sizeof db_path, "%s/tsk-fleet-it-%ld.db", dir, (long)getpid());
}

static void remove_db(void)
{
	tsk_test_remove_db(db_path);
}

static void teardown(void)
{
	tsk_sim_stop(sim);
	sim = NULL;
	remove_db();
}

static void set_now(tsk_ctx *ctx, const char *rfc3339)
{
	tsk_time t;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&t, rfc3339), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_now(ctx, &t), TSK_OK);
}

static tsk_ctx *make_ctx(void)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "yamato", endpoints[0]), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "sagawa", endpoints[1]), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "japanpost", endpoints[2]), TSK_OK);
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 0);
	tsk_ctx_set_option(ctx, TSK_OPT_TIMEOUT_MS, 5000);
	set_now(ctx, "2026-12-03T07:00:00+09:00");
	return ctx;
}

static tsk_fleet *open_fleet(tsk_ctx *ctx, int sqlite)
{
	tsk_fleet *f = NULL;
	char url[600];
	if (sqlite) {
		remove_db();
		snprintf(url, sizeof url, "sqlite:%s", db_path);
	} else {
		snprintf(url, sizeof url, "memory:");
	}
	ck_assert_msg(tsk_fleet_open(&f, ctx, url) == TSK_OK, "%s", tsk_ctx_last_error(ctx));
	return f;
}

/* Move the clock to the shipment's next poll and poll what is due. */
static tsk_fleet_run_stats step(tsk_ctx *ctx, tsk_fleet *f, const char *number)
{
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, number), TSK_OK);
	const tsk_time *np = tsk_fleet_item_next_poll(it);
	if (np)
		ck_assert_int_eq(tsk_ctx_set_now(ctx, np), TSK_OK);
	tsk_fleet_item_free(it);
	tsk_fleet_run_stats st;
	ck_assert_msg(tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st) == TSK_OK, "%s", tsk_ctx_last_error(ctx));
	return st;
}

/* The waiting notifications' kinds as "a,b", acknowledging them. */
static const char *take_kinds(tsk_fleet *f, tsk_notification_list **keep)
{
	static char buf[512];
	buf[0] = '\0';
	tsk_notification_list *l = NULL;
	ck_assert_int_eq(tsk_fleet_notifications(&l, f, 0), TSK_OK);
	for (size_t i = 0; i < tsk_notification_list_count(l); i++) {
		const tsk_notification *n = tsk_notification_list_at(l, i);
		if (i)
			strcat(buf, ",");
		strcat(buf, tsk_notify_kind_to_string(tsk_notification_kind(n)));
		const char *id = tsk_notification_id(n);
		ck_assert_int_eq(tsk_fleet_ack(f, &id, 1), TSK_OK);
	}
	if (keep)
		*keep = l;
	else
		tsk_notification_list_free(l);
	return buf;
}

/* How many logged requests name this text. */
static int requests_with(const char *text)
{
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_ptr_nonnull(log);
	int n = 0;
	for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
		n += strstr(line, text) != NULL;
	free(log);
	return n;
}

static void lifecycle(int sqlite)
{
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = open_fleet(ctx, sqlite);
	ck_assert_int_eq(tsk_fleet_add(f, "4001-2345-6784", "yamato", "order-1042", "ja"), TSK_OK);
	static const char *const kinds[] = { "shipped", "out_for_delivery", "delivery_failed",
		                             "available_for_pickup", "delivered" };
	static const char *const ja[] = {
		"ご注文の商品はヤマト運輸でお届けします（伝票番号 400123456784）。",
		"ご注文の商品は本日お届け予定です（配達中）。",
		"ご不在のためお届けできませんでした。ヤマト運輸へ再配達をご依頼ください（伝票番号 400123456784）。",
		"ご注文の商品をヤマト運輸の営業所・窓口で保管しています。お早めにお受け取りください（伝票番号 400123456784）。",
		"ご注文の商品のお届けが完了しました。ご利用ありがとうございました。",
	};
	static const char *const en_subject[] = { "Your order has shipped", "Out for delivery today",
		                                  "We could not deliver your order", "Your order is ready for pickup",
		                                  "Your order has been delivered" };
	for (int i = 0; i < 5; i++) {
		tsk_fleet_run_stats st = step(ctx, f, "400123456784");
		ck_assert_uint_eq(st.polled, 1);
		ck_assert_uint_eq(st.notifications, 1);
		tsk_notification_list *l = NULL;
		ck_assert_str_eq(take_kinds(f, &l), kinds[i]);
		const tsk_notification *n = tsk_notification_list_at(l, 0);
		ck_assert_str_eq(tsk_notification_body(n, NULL), ja[i]);
		ck_assert_str_eq(tsk_notification_subject(n, "en"), en_subject[i]);
		ck_assert_str_eq(tsk_notification_reference(n), "order-1042");
		ck_assert_ptr_nonnull(strstr(tsk_notification_json(n), "\"locale\":\"ja\""));
		tsk_notification_list_free(l);
	}
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456784"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_RETIRED);
	ck_assert_int_eq(tsk_fleet_item_status(it), TSK_STATUS_DELIVERED);
	ck_assert_ptr_null(tsk_fleet_item_next_poll(it));
	ck_assert_uint_eq(tsk_shipment_event_count(tsk_fleet_item_shipment(it)), 8);
	tsk_fleet_item_free(it);
	/* retired: never asked again, never notifies again */
	ck_assert_int_eq(requests_with("400123456784"), 5);
	set_now(ctx, "2026-12-10T12:00:00+09:00");
	tsk_fleet_run_stats st;
	ck_assert_int_eq(tsk_fleet_run(f, NULL, 0, &st), TSK_OK);
	ck_assert_uint_eq(st.polled, 0);
	ck_assert_int_eq(requests_with("400123456784"), 5);
	ck_assert_str_eq(take_kinds(f, NULL), "");
	/* the list filters */
	tsk_fleet_filter filt = TSK_FLEET_FILTER_INIT;
	filt.status = TSK_STATUS_DELIVERED;
	filt.reference = "order-1042";
	tsk_fleet_item_list *items = NULL;
	ck_assert_int_eq(tsk_fleet_list(&items, f, &filt), TSK_OK);
	ck_assert_uint_eq(tsk_fleet_item_list_count(items), 1);
	tsk_fleet_item_list_free(items);
	filt.reference = "order-9";
	ck_assert_int_eq(tsk_fleet_list(&items, f, &filt), TSK_OK);
	ck_assert_uint_eq(tsk_fleet_item_list_count(items), 0);
	tsk_fleet_item_list_free(items);
	/* retention */
	size_t purged = 0;
	tsk_time later = tsk_ctx_now(ctx);
	ck_assert_int_eq(tsk_fleet_purge(f, &later, &purged), TSK_OK);
	ck_assert_uint_eq(purged, 1);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}

START_TEST(lifecycle_memory)
{
	lifecycle(0);
}
END_TEST

START_TEST(lifecycle_sqlite)
{
	lifecycle(1);
}
END_TEST

START_TEST(return_and_history)
{
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = open_fleet(ctx, 1);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456810", "yamato", "order-7", "en"), TSK_OK);
	ck_assert_str_eq(take_kinds(f, NULL), "");
	step(ctx, f, "400123456810");
	ck_assert_str_eq(take_kinds(f, NULL), "shipped");
	step(ctx, f, "400123456810");
	tsk_notification_list *l = NULL;
	ck_assert_str_eq(take_kinds(f, &l), "exception");
	const tsk_notification *n = tsk_notification_list_at(l, 0);
	ck_assert_int_eq(tsk_notification_exception(n), TSK_EXC_ADDRESS_PROBLEM);
	ck_assert_str_eq(tsk_notification_body(n, NULL),
	                 "There is a problem with the delivery of your order (the address could not be found); please contact the shop.");
	ck_assert_str_eq(tsk_notification_body(n, "ja"),
	                 "ご注文の商品のお届けに問題が発生しました（宛先のご住所が確認できません）。ショップまでお問い合わせください。");
	ck_assert_ptr_nonnull(strstr(tsk_notification_json(n), "\"exception\":{\"code\":\"address_problem\",\"severity\":\"critical\"}"));
	tsk_notification_list_free(l);
	step(ctx, f, "400123456810");
	ck_assert_str_eq(take_kinds(f, NULL), "returned");
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456810"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_RETIRED);
	tsk_fleet_item_free(it);

	/* a parcel added after delivery: one notification, not its history */
	ck_assert_int_eq(tsk_fleet_add(f, "400123456806", "yamato", "order-8", "ja"), TSK_OK);
	tsk_fleet_run_stats st;
	ck_assert_int_eq(tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st), TSK_OK);
	ck_assert_uint_eq(st.polled, 1);
	ck_assert_uint_eq(st.retired, 1);
	ck_assert_str_eq(take_kinds(f, NULL), "delivered");
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(auto_pins_the_carrier)
{
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = open_fleet(ctx, 0);
	ck_assert_int_eq(tsk_fleet_add(f, "249724973934", "auto", "order-3", "ja"), TSK_OK);
	tsk_sim_reset(sim);
	step(ctx, f, "249724973934");
	/* the first poll asks every candidate */
	ck_assert_int_ge(requests_with("/yamato/"), 1);
	ck_assert_int_ge(requests_with("/sagawa/"), 1);
	ck_assert_int_ge(requests_with("/japanpost/"), 1);
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "249724973934"), TSK_OK);
	ck_assert_str_eq(tsk_fleet_item_carrier(it), "yamato");
	ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_ACTIVE);
	tsk_fleet_item_free(it);
	/* an old page: in transit for long, so its current state is "delayed" */
	ck_assert_str_eq(take_kinds(f, NULL), "delayed");
	/* then only the carrier that knows it */
	tsk_sim_reset(sim);
	step(ctx, f, "249724973934");
	step(ctx, f, "249724973934");
	ck_assert_int_eq(requests_with("/yamato/"), 2);
	ck_assert_int_eq(requests_with("/sagawa/"), 0);
	ck_assert_int_eq(requests_with("/japanpost/"), 0);
	ck_assert_str_eq(take_kinds(f, NULL), "");
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(carrier_down_keeps_last_good_state)
{
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = open_fleet(ctx, 1);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456784", "yamato", "order-5", "ja"), TSK_OK);
	step(ctx, f, "400123456784");
	ck_assert_str_eq(take_kinds(f, NULL), "shipped");
	/* the carrier goes down and stays down */
	char down[300];
	tsk_sim_url(sim, "/_fault/503/yamato/cgi-bin/tneko", down, sizeof down);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "yamato", down), TSK_OK);
	for (int i = 0; i < 3; i++) {
		tsk_fleet_run_stats st = step(ctx, f, "400123456784");
		ck_assert_uint_eq(st.polled, 1);
		ck_assert_uint_eq(st.failed, 1);
		ck_assert_str_eq(take_kinds(f, NULL), "");
		tsk_fleet_item *it = NULL;
		ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456784"), TSK_OK);
		const tsk_shipment *s = tsk_fleet_item_shipment(it);
		ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
		ck_assert_uint_eq(tsk_shipment_event_count(s), 3);
		ck_assert_int_ne(tsk_shipment_error(s), TSK_OK);
		ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_ACTIVE);
		tsk_fleet_item_free(it);
	}
	/* back up: the story goes on where it was */
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "yamato", endpoints[0]), TSK_OK);
	step(ctx, f, "400123456784");
	ck_assert_str_eq(take_kinds(f, NULL), "out_for_delivery");
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456784"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(tsk_fleet_item_shipment(it)), TSK_OK);
	tsk_fleet_item_free(it);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

/* A carrier down for the whole run is asked a bounded number of times
 * (its circuit breaker opens), the others go on, and the breaker closes
 * once the carrier answers again. */
START_TEST(circuit_breaker_bounds_a_dead_carrier)
{
	tsk_ctx *ctx = make_ctx();
	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_FAILURES, 3), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_COOLDOWN_MS, 300), TSK_OK);
	char down[300];
	tsk_sim_url(sim, "/_fault/503/yamato/cgi-bin/tneko", down, sizeof down);
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "yamato", down), TSK_OK);
	tsk_fleet *f = open_fleet(ctx, 1);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456784", "yamato", "order-20", "ja"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_add(f, "360477021553", "sagawa", "order-21", "ja"), TSK_OK);
	tsk_sim_reset(sim);
	tsk_time now = tsk_ctx_now(ctx);
	size_t polled = 0;
	struct timespec w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	for (int hour = 0; hour < 24; hour++) {
		tsk_fleet_run_stats st;
		ck_assert_int_eq(tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st), TSK_OK);
		polled += st.polled;
		now.epoch += 3600;
		tsk_ctx_set_now(ctx, &now);
	}
	clock_gettime(CLOCK_MONOTONIC, &w1);
	int dead = requests_with("/yamato/"), alive = requests_with("/sagawa/");
	/* 3 failures open the breaker; after that one probe per cool-down
	 * (300 ms, doubling) that passed in real time: slow machines see more */
	double ms = (double)(w1.tv_sec - w0.tv_sec) * 1e3 + (double)(w1.tv_nsec - w0.tv_nsec) / 1e6;
	int bound = 3;
	for (double c = 300, t = c; t <= ms; c *= 2, t += c)
		bound++;
	fprintf(stderr, "breaker: the dead carrier was asked %d times in 24 hourly rounds (%zu poll results, %.0f ms;"
	        " bound %d)\n", dead, polled, ms, bound);
	ck_assert_int_le(dead, bound);
	ck_assert_int_ge(alive, 2); /* polled whenever due (every 12 h: a quiet parcel) */
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456784"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(tsk_fleet_item_shipment(it)), TSK_ECARRIER_UNAVAILABLE);
	ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_ACTIVE);
	tsk_fleet_item_free(it);
	ck_assert_int_eq(tsk_fleet_get(&it, f, "360477021553"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(tsk_fleet_item_shipment(it)), TSK_OK);
	tsk_fleet_item_free(it);
	ck_assert_str_eq(take_kinds(f, NULL), "out_for_delivery");
	/* back up, and the cool-down over: the next poll probes and closes it */
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "yamato", endpoints[0]), TSK_OK);
	tsk_carrier_status cs;
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "yamato", &cs), TSK_OK);
	ck_assert_int_ne(cs.state, TSK_BREAKER_CLOSED);
	for (int i = 0; i < 200; i++) { /* until its cool-down ends (wall clock) */
		ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "yamato", &cs), TSK_OK);
		if (cs.state != TSK_BREAKER_OPEN)
			break;
		struct timespec ts = { 0, 50000000L };
		nanosleep(&ts, NULL);
	}
	now.epoch += 2 * 86400;
	tsk_ctx_set_now(ctx, &now);
	ck_assert_int_eq(tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, NULL), TSK_OK);
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "yamato", &cs), TSK_OK);
	ck_assert_int_eq(cs.state, TSK_BREAKER_CLOSED);
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456784"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(tsk_fleet_item_shipment(it)), TSK_OK);
	tsk_fleet_item_free(it);
	const char *k = take_kinds(f, NULL);
	ck_assert_msg(strstr(k, "shipped") || strstr(k, "delayed"), "%s", k);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(unknown_number_is_given_up)
{
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = open_fleet(ctx, 0);
	ck_assert_int_eq(tsk_fleet_set_option(f, TSK_FLEET_OPT_GIVE_UP_S, 2 * 86400), TSK_OK);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456821", "yamato", "order-6", "ja"), TSK_OK);
	int64_t last = tsk_ctx_now(ctx).epoch, gap = 0;
	int polls = 0;
	for (;;) {
		tsk_fleet_item *it = NULL;
		ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456821"), TSK_OK);
		const tsk_time *np = tsk_fleet_item_next_poll(it);
		tsk_fleet_state state = tsk_fleet_item_state(it);
		int64_t next = np ? np->epoch : 0;
		tsk_fleet_item_free(it);
		if (state != TSK_FLEET_ACTIVE)
			break;
		/* growing intervals */
		ck_assert_int_ge(next - last, gap);
		gap = next - last;
		last = next;
		step(ctx, f, "400123456821");
		polls++;
		ck_assert_int_lt(polls, 40);
	}
	ck_assert_int_ge(polls, 5);
	ck_assert_int_le(polls, 12);
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456821"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_GAVE_UP);
	ck_assert_int_eq(tsk_shipment_error(tsk_fleet_item_shipment(it)), TSK_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(tsk_fleet_item_shipment(it)), "gave up"));
	tsk_fleet_item_free(it);
	ck_assert_str_eq(take_kinds(f, NULL), "");
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(handoff_is_followed)
{
	tsk_ctx *ctx = make_ctx();
	set_now(ctx, "2024-12-10T12:00:00+09:00");
	tsk_fleet *f = open_fleet(ctx, 1);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456902", "yamato", "order-11", "ja"), TSK_OK);
	tsk_sim_reset(sim);
	/* one run: the Yamato leg says "handed to Japan Post", the Japan Post leg is asked at once */
	tsk_fleet_run_stats st;
	ck_assert_int_eq(tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st), TSK_OK);
	ck_assert_uint_eq(st.polled, 2);
	ck_assert_int_eq(requests_with("/yamato/"), 1);
	ck_assert_int_eq(requests_with("/japanpost/"), 1);
	ck_assert_str_eq(take_kinds(f, NULL), "shipped");
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456902"), TSK_OK);
	const tsk_shipment *s = tsk_fleet_item_shipment(it);
	ck_assert_uint_eq(tsk_shipment_leg_count(s), 2);
	ck_assert_str_eq(tsk_shipment_leg_carrier(s, 1), "japanpost");
	ck_assert_str_eq(tsk_shipment_carrier(s), "yamato");
	size_t jp = 0, ya = 0;
	for (size_t i = 0; i < tsk_shipment_event_count(s); i++) {
		const char *c = tsk_event_carrier(tsk_shipment_event_at(s, i));
		jp += c && strcmp(c, "japanpost") == 0;
		ya += c && strcmp(c, "yamato") == 0;
	}
	ck_assert_uint_ge(jp, 1);
	ck_assert_uint_ge(ya, 1);
	tsk_fleet_item_free(it);
	/* from now on only Japan Post is asked; its delivery ends the shipment
	 * (no reset: the simulator's page sequence goes on) */
	step(ctx, f, "400123456902");
	ck_assert_int_eq(requests_with("/yamato/"), 1);
	ck_assert_int_eq(requests_with("/japanpost/"), 2);
	tsk_notification_list *l = NULL;
	ck_assert_str_eq(take_kinds(f, &l), "delivered");
	ck_assert_str_eq(tsk_notification_carrier(tsk_notification_list_at(l, 0)), "yamato");
	ck_assert_str_eq(tsk_notification_tracking_number(tsk_notification_list_at(l, 0)), "400123456902");
	tsk_notification_list_free(l);
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456902"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_RETIRED);
	ck_assert_int_eq(tsk_shipment_status(tsk_fleet_item_shipment(it)), TSK_STATUS_DELIVERED);
	tsk_fleet_item_free(it);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

/* The blocking run on the real clock: it sleeps until the next poll, returns
 * at its deadline, and tsk_fleet_wakeup() from another thread ends it. */
static void *wake_later(void *arg)
{
	struct timespec ts = { 0, 300000000L };
	nanosleep(&ts, NULL);
	tsk_fleet_wakeup(arg);
	return NULL;
}

START_TEST(blocking_run_deadline_and_wakeup)
{
	tsk_ctx *ctx = make_ctx();
	tsk_ctx_set_now(ctx, NULL); /* the clock */
	tsk_fleet *f = open_fleet(ctx, 0);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456784", "yamato", "order-30", "ja"), TSK_OK);
	tsk_time deadline = tsk_ctx_now(ctx);
	deadline.epoch += 2;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tsk_fleet_run_stats st;
	ck_assert_int_eq(tsk_fleet_run(f, &deadline, 0, &st), TSK_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_uint_eq(st.polled, 1); /* polled once, then waited for its next poll hours away */
	ck_assert_int_ge(t1.tv_sec - t0.tv_sec, 1);
	ck_assert_int_le(t1.tv_sec - t0.tv_sec, 4);
	/* no deadline: only a wakeup ends the wait */
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, wake_later, f), 0);
	ck_assert_int_eq(tsk_fleet_run(f, NULL, 0, &st), TSK_ECANCELED);
	pthread_join(th, NULL);
	ck_assert_uint_eq(st.polled, 0);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------- the event loop */

struct loop {
	struct pollfd fds[16];
	int nfds;
	long timeout;
};

static void on_socket(tsk_ctx *ctx, int fd, int what, void *userdata)
{
	(void)ctx;
	struct loop *lp = userdata;
	int i = 0;
	while (i < lp->nfds && lp->fds[i].fd != fd)
		i++;
	if (what == TSK_POLL_REMOVE) {
		if (i < lp->nfds)
			lp->fds[i] = lp->fds[--lp->nfds];
		return;
	}
	if (i == lp->nfds) {
		ck_assert_int_lt(lp->nfds, 16);
		lp->nfds++;
	}
	lp->fds[i].fd = fd;
	lp->fds[i].events = (short)(((what & TSK_POLL_IN) ? POLLIN : 0) | ((what & TSK_POLL_OUT) ? POLLOUT : 0));
}

static void on_timer(tsk_ctx *ctx, long ms, void *userdata)
{
	(void)ctx;
	((struct loop *)userdata)->timeout = ms;
}

START_TEST(event_loop_submit)
{
	tsk_ctx *ctx = make_ctx();
	struct loop lp = { .nfds = 0, .timeout = -1 };
	ck_assert_int_eq(tsk_ctx_set_socket_cb(ctx, on_socket, &lp), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_timer_cb(ctx, on_timer, &lp), TSK_OK);
	tsk_fleet *f = open_fleet(ctx, 1);
	ck_assert_int_eq(tsk_fleet_add(f, "400123456806", "yamato", "order-9", "ja"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_add(f, "249724973934", "auto", "order-10", "en"), TSK_OK);
	size_t submitted = 0, in_flight = 0;
	ck_assert_int_eq(tsk_fleet_submit_due(f, &submitted), TSK_OK);
	ck_assert_uint_eq(submitted, 2);
	/* submitting again while they run adds nothing */
	ck_assert_int_eq(tsk_fleet_submit_due(f, &submitted), TSK_OK);
	ck_assert_uint_eq(submitted, 0);
	tsk_time next;
	ck_assert_int_eq(tsk_fleet_next_due(&next, &in_flight, f), TSK_OK);
	ck_assert_uint_eq(in_flight, 2);
	int running = 1;
	for (int spins = 0; running && spins < 2000; spins++) {
		int n = poll(lp.fds, (nfds_t)lp.nfds, lp.timeout < 0 ? 1000 : (int)lp.timeout);
		ck_assert_int_ge(n, 0);
		if (n == 0) {
			lp.timeout = -1;
			ck_assert_int_eq(tsk_ctx_socket_action(ctx, TSK_NO_FD, 0, &running), TSK_OK);
			continue;
		}
		for (int i = 0; i < lp.nfds; i++) {
			if (!lp.fds[i].revents)
				continue;
			int ev = ((lp.fds[i].revents & POLLIN) ? TSK_POLL_IN : 0) |
			         ((lp.fds[i].revents & POLLOUT) ? TSK_POLL_OUT : 0) |
			         ((lp.fds[i].revents & (POLLERR | POLLHUP)) ? TSK_POLL_ERR : 0);
			ck_assert_int_eq(tsk_ctx_socket_action(ctx, lp.fds[i].fd, ev, &running), TSK_OK);
			break; /* the set may have changed */
		}
	}
	ck_assert_int_eq(running, 0);
	ck_assert_int_eq(tsk_fleet_next_due(&next, &in_flight, f), TSK_OK);
	ck_assert_uint_eq(in_flight, 0);
	ck_assert(tsk_time_is_set(&next)); /* the auto one is in transit */
	tsk_fleet_item *it = NULL;
	ck_assert_int_eq(tsk_fleet_get(&it, f, "249724973934"), TSK_OK);
	ck_assert_str_eq(tsk_fleet_item_carrier(it), "yamato");
	tsk_fleet_item_free(it);
	ck_assert_int_eq(tsk_fleet_get(&it, f, "400123456806"), TSK_OK);
	ck_assert_int_eq(tsk_fleet_item_state(it), TSK_FLEET_RETIRED);
	tsk_fleet_item_free(it);
	const char *k = take_kinds(f, NULL);
	ck_assert_msg(strcmp(k, "delivered,delayed") == 0 || strcmp(k, "delayed,delivered") == 0, "%s", k);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------------- the CLI */

/* Run the CLI through the shell with the simulator's endpoints; stdout into
 * *out (caller frees). Returns the exit status. */
static int cli(char **out, const char *args)
{
	const char *bin = getenv("TSK_CLI");
	ck_assert_ptr_nonnull(bin);
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
	         "TSUISEKI_ENDPOINT_YAMATO=%s TSUISEKI_ENDPOINT_SAGAWA=%s TSUISEKI_ENDPOINT_JAPANPOST=%s "
	         "TSUISEKI_DB=%s LANG=C %s %s",
	         endpoints[0], endpoints[1], endpoints[2], db_path, bin, args);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);
	while ((n = fread(buf + len, 1, cap - 1 - len, p)) > 0)
		len += n;
	buf[len] = '\0';
	int st = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

START_TEST(cli_add_run_notifications)
{
	if (!getenv("TSK_CLI"))
		return; /* built without the examples */
	remove_db();
	char *out = NULL;
	ck_assert_int_eq(cli(NULL, "add --ref order-1 --now 2026-12-03T07:00:00+09:00 4001-2345-6784"), 0);
	ck_assert_int_eq(cli(NULL, "add --ref order-2 --lang en --now 2026-12-03T07:00:00+09:00 400123456806"), 0);
	/* adding again is an error, the rest of the fleet is untouched */
	ck_assert_int_eq(cli(NULL, "add --now 2026-12-03T07:00:00+09:00 400123456806 2>/dev/null"), 1);
	ck_assert_int_eq(cli(NULL, "add --lang fr 400123456821 2>/dev/null"), 2);
	/* per-carrier politeness from the command line */
	ck_assert_int_eq(cli(NULL, "run --once --rate nosuch=1 --now 2026-12-03T07:00:00+09:00 2>/dev/null"), 2);
	ck_assert_int_eq(cli(NULL, "run --once --parallel yamato=-3 --now 2026-12-03T07:00:00+09:00 2>/dev/null"), 2);
	ck_assert_int_eq(cli(NULL, "run --once --rate yamato=20,sagawa=1 --parallel yamato=1 "
	                           "--now 2026-12-03T07:00:00+09:00 2>/dev/null"), 0);
	ck_assert_int_eq(cli(&out, "list --json"), 0);
	ck_assert_ptr_nonnull(strstr(out, "{\"schema\":1,\"fleet\":[{\"tracking_number\":\"400123456784\",\"carrier\":\"yamato\","
	                                  "\"reference\":\"order-1\",\"locale\":\"ja\",\"state\":\"active\",\"status\":\"in_transit\""));
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"retired\",\"status\":\"delivered\""));
	free(out);
	ck_assert_int_eq(cli(&out, "list --status delivered"), 0);
	ck_assert_int_eq(count_lines(out, "\n"), 1);
	ck_assert_ptr_nonnull(strstr(out, "400123456806"));
	free(out);
	/* one JSON line each, acknowledged once printed */
	ck_assert_int_eq(cli(&out, "notifications --json"), 0);
	ck_assert_int_eq(count_lines(out, "\n"), 2);
	ck_assert_int_eq(count_lines(out, "{\"schema\":1,\"id\":\""), 2);
	ck_assert_ptr_nonnull(strstr(out, "\"kind\":\"shipped\",\"reference\":\"order-1\""));
	ck_assert_ptr_nonnull(strstr(out, "\"kind\":\"delivered\",\"reference\":\"order-2\""));
	ck_assert_ptr_nonnull(strstr(out, "ご注文の商品はヤマト運輸でお届けします"));
	free(out);
	ck_assert_int_eq(cli(&out, "notifications --json"), 0);
	ck_assert_str_eq(out, "");
	free(out);
	/* the next step of the script, read in Japanese */
	ck_assert_int_eq(cli(NULL, "run --now 2026-12-03T10:00:00+09:00 2>/dev/null"), 0);
	ck_assert_int_eq(cli(&out, "notifications --lang ja"), 0);
	ck_assert_ptr_nonnull(strstr(out, "out_for_delivery yamato 400123456784 order-1"));
	ck_assert_ptr_nonnull(strstr(out, "本日お届け予定です\n  ご注文の商品は本日お届け予定です（配達中）。"));
	free(out);
	ck_assert_int_eq(cli(NULL, "list --status bogus 2>/dev/null"), 2);
}
END_TEST

/* watch runs on the fleet: pinning and retirement across runs through its
 * state file, a clear failure before polling, and the exit statuses */
START_TEST(cli_watch_on_the_fleet)
{
	if (!getenv("TSK_CLI"))
		return;
	char state[600], cmd[1024], *out = NULL;
	snprintf(state, sizeof state, "%s.watch.json", db_path);
	unlink(state);
	snprintf(cmd, sizeof cmd, "watch --polls 1 --state %s 249724973934 103261367661 2>/dev/null", state);
	tsk_sim_reset(sim);
	ck_assert_int_eq(cli(&out, cmd), 0);
	free(out);
	ck_assert_int_ge(requests_with("/sagawa/"), 1);
	/* the next run knows the carrier and that 103261367661 is delivered */
	tsk_sim_reset(sim);
	snprintf(cmd, sizeof cmd, "watch --polls 1 --interval 1 --state %s 2>/dev/null", state);
	ck_assert_int_eq(cli(&out, cmd), 0);
	free(out);
	ck_assert_int_eq(requests_with("/sagawa/"), 0);
	ck_assert_int_eq(requests_with("/japanpost/"), 0);
	ck_assert_int_eq(requests_with("249724973934"), 1);
	ck_assert_int_eq(requests_with("103261367661"), 0);
	/* a state file that cannot be written is said before any request */
	tsk_sim_reset(sim);
	ck_assert_int_eq(cli(&out, "watch --state /nonexistent/dir/state.json 249724973934 2>&1"), 1);
	ck_assert_ptr_nonnull(strstr(out, "cannot write the state file"));
	free(out);
	ck_assert_int_eq(requests_with("249724973934"), 0);
	unlink(state);
}
END_TEST

START_TEST(cli_watch_every_shipment_failed_and_signals)
{
	if (!getenv("TSK_CLI"))
		return;
	char down[300], cmd[2048], *out = NULL;
	/* every shipment failed: 1 */
	tsk_sim_url(sim, "/_fault/503/yamato/cgi-bin/tneko", down, sizeof down);
	snprintf(cmd, sizeof cmd, "TSUISEKI_ENDPOINT_YAMATO=%s %s watch --retries 0 --polls 1 --carrier yamato 400123456784 2>/dev/null",
	         down, getenv("TSK_CLI"));
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	int st = pclose(p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	/* SIGTERM while a poll hangs on a slow carrier: 143 within a second */
	char state[600];
	snprintf(state, sizeof state, "%s.sig.json", db_path);
	unlink(state);
	tsk_sim_url(sim, "/_fault/delay:20000/yamato/cgi-bin/tneko", down, sizeof down);
	for (int k = 0; k < 2; k++) {
		int sig = k == 0 ? SIGTERM : SIGINT;
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			setenv("TSUISEKI_ENDPOINT_YAMATO", down, 1);
			int devnull = open("/dev/null", O_WRONLY);
			dup2(devnull, 1);
			dup2(devnull, 2);
			execl(getenv("TSK_CLI"), "tsuiseki", "watch", "--carrier", "yamato", "--timeout", "60", "--state", state,
			      "400123456784", (char *)NULL);
			_exit(127);
		}
		struct timespec ts = { 0, 500000000L };
		nanosleep(&ts, NULL);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		kill(pid, sig);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		ck_assert_msg(took < 1.0, "took %.2f s to stop", took);
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), sig == SIGTERM ? 143 : 130);
		/* the poll in flight never finished: no state was written */
		ck_assert_int_ne(access(state, F_OK), 0);
	}
	(void)out;
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("fleet");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lifecycle_memory);
	tcase_add_test(tc, lifecycle_sqlite);
	tcase_add_test(tc, return_and_history);
	tcase_add_test(tc, auto_pins_the_carrier);
	tcase_add_test(tc, carrier_down_keeps_last_good_state);
	tcase_add_test(tc, unknown_number_is_given_up);
	tcase_add_test(tc, circuit_breaker_bounds_a_dead_carrier);
	tcase_add_test(tc, handoff_is_followed);
	tcase_add_test(tc, blocking_run_deadline_and_wakeup);
	tcase_add_test(tc, event_loop_submit);
	tcase_add_test(tc, cli_add_run_notifications);
	tcase_add_test(tc, cli_watch_on_the_fleet);
	tcase_add_test(tc, cli_watch_every_shipment_failed_and_signals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
