/*
 * Event-loop integration tests (include/tsuiseki/loop.h), end to end
 * through libcurl against the loopback simulator (tests/sim), driven by a
 * poll(2) loop written here the way a daemon would: concurrent queries,
 * answers identical to tsk_track_batch, retries and Retry-After through the
 * caller's timer, politeness, cancel, tsk_ctx_free with queries in flight,
 * submitting from a done callback, done never inside submit, bad
 * arguments; and two threads, each with its own context, running blocking
 * batches at once.
 */
#define _POSIX_C_SOURCE 200809L
#include "simctl.h"
#include "tc_adapter.h"

#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
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

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A context whose tc endpoint is the simulator, behind an optional fault
 * prefix, with a fixed reference time so answers compare byte for byte. */
static tsk_ctx *make_ctx(const char *fault)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &tc_adapter), TSK_OK);
	char path[256], url[512];
	snprintf(path, sizeof path, "%s%s/tc/track", fault ? "/_fault/" : "", fault ? fault : "");
	ck_assert_ptr_nonnull(tsk_sim_url(sim, path, url, sizeof url));
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "tc", url), TSK_OK);
	tsk_ctx_set_option(ctx, TSK_OPT_RETRY_BASE_MS, 20);
	tsk_ctx_set_option(ctx, TSK_OPT_TIMEOUT_MS, 5000);
	tsk_time now;
	ck_assert_int_eq(tsk_time_from_fields(&now, 2024, 12, 5, 9, 0, TSK_JST_OFFSET), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_now(ctx, &now), TSK_OK);
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

static char *list_json(const tsk_shipment_list *l)
{
	char *json = NULL;
	ck_assert_int_eq(tsk_shipment_list_to_json(&json, NULL, l, 0), TSK_OK);
	return json;
}

/* ------------------------------------------------- the caller's poll loop */

#define MAX_WATCH 64
#define MAX_DONE 32

struct done_rec {
	int calls;
	int result;
	char *json;             /* the shipments, as JSON, when result is TSK_OK */
	size_t count;
	int first_error;        /* error of the first shipment */
};

struct loop {
	tsk_ctx *ctx;
	struct pollfd fds[MAX_WATCH];
	int nfds;
	int adds, removes;      /* socket callback: new descriptors, REMOVEs */
	int64_t deadline;       /* absolute; -1 none */
	long max_timeout;       /* largest timer value reported */
	long timers[256];       /* every value reported, in order */
	int ntimers;
	int timer_calls;
	int timer_off_calls;    /* -1 reported */
	bool in_submit;         /* the test is inside tsk_query_submit */
	bool in_cancel;
	bool callback_inside_api; /* a done callback ran inside submit or cancel */
	struct done_rec done[MAX_DONE];
	int ndone;              /* done callbacks in all */
	/* what a done callback does besides recording */
	void (*on_done)(struct loop *lp, tsk_query *q, int idx);
};

static struct loop *the_loop(void *userdata)
{
	return userdata;
}

static void socket_cb(tsk_ctx *ctx, int fd, int what, void *userdata)
{
	struct loop *lp = the_loop(userdata);
	ck_assert_ptr_eq(ctx, lp->ctx);
	int i = 0;
	while (i < lp->nfds && lp->fds[i].fd != fd)
		i++;
	if (what == TSK_POLL_REMOVE) {
		ck_assert_msg(i < lp->nfds, "REMOVE for fd %d that was never announced", fd);
		lp->fds[i] = lp->fds[--lp->nfds];
		lp->removes++;
		return;
	}
	if (i == lp->nfds) {
		ck_assert_int_lt(lp->nfds, MAX_WATCH);
		lp->nfds++;
		lp->adds++;
	}
	lp->fds[i].fd = fd;
	lp->fds[i].events = (short)(((what & TSK_POLL_IN) ? POLLIN : 0) | ((what & TSK_POLL_OUT) ? POLLOUT : 0));
	lp->fds[i].revents = 0;
	/* a socket or timer callback must not call back in */
	ck_assert_int_eq(tsk_ctx_socket_action(ctx, TSK_NO_FD, 0, NULL), TSK_EINVAL);
}

static void timer_cb(tsk_ctx *ctx, long timeout_ms, void *userdata)
{
	struct loop *lp = the_loop(userdata);
	ck_assert_ptr_eq(ctx, lp->ctx);
	lp->timer_calls++;
	if (lp->ntimers < 256)
		lp->timers[lp->ntimers++] = timeout_ms;
	if (timeout_ms < 0) {
		lp->deadline = -1;
		lp->timer_off_calls++;
		return;
	}
	lp->deadline = now_ms() + timeout_ms;
	if (timeout_ms > lp->max_timeout)
		lp->max_timeout = timeout_ms;
}

/* Query userdata: the loop and the slot to record into. */
struct qref {
	struct loop *lp;
	int idx;
};
static struct qref refs[MAX_DONE];

static void done_cb(tsk_query *q, int result, const tsk_shipment_list *shipments, void *userdata)
{
	struct qref *r = userdata;
	struct loop *lp = r->lp;
	if (lp->in_submit || lp->in_cancel)
		lp->callback_inside_api = true;
	struct done_rec *d = &lp->done[r->idx];
	d->calls++;
	d->result = result;
	if (result == TSK_OK) {
		ck_assert_ptr_nonnull(shipments);
		d->count = tsk_shipment_list_count(shipments);
		if (d->count)
			d->first_error = tsk_shipment_error(tsk_shipment_list_at(shipments, 0));
		free(d->json);
		d->json = list_json(shipments);
	} else {
		ck_assert_ptr_null(shipments);
	}
	lp->ndone++;
	/* a query cannot cancel itself once its callback runs */
	ck_assert_int_eq(tsk_query_cancel(q), TSK_EINVAL);
	ck_assert_ptr_eq(tsk_query_ctx(q), lp->ctx);
	if (lp->on_done)
		lp->on_done(lp, q, r->idx);
}

static void loop_init(struct loop *lp, tsk_ctx *ctx)
{
	memset(lp, 0, sizeof *lp);
	lp->ctx = ctx;
	lp->deadline = -1;
	ck_assert_int_eq(tsk_ctx_set_socket_cb(ctx, socket_cb, lp), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_timer_cb(ctx, timer_cb, lp), TSK_OK);
}

static void loop_dispose(struct loop *lp)
{
	for (int i = 0; i < MAX_DONE; i++)
		free(lp->done[i].json);
}

static tsk_query *submit(struct loop *lp, int idx, const char *carrier, const char *const *numbers,
                         size_t count, const tsk_shipment_list *previous)
{
	tsk_query_opts opts = TSK_QUERY_OPTS_INIT;
	opts.carrier = carrier;
	opts.numbers = numbers;
	opts.count = count;
	opts.previous = previous;
	refs[idx].lp = lp;
	refs[idx].idx = idx;
	tsk_query *q = NULL;
	lp->in_submit = true;
	int rc = tsk_query_submit(&q, lp->ctx, &opts, done_cb, &refs[idx]);
	lp->in_submit = false;
	ck_assert_msg(rc == TSK_OK, "submit: %s", tsk_ctx_last_error(lp->ctx));
	ck_assert_ptr_nonnull(q);
	return q;
}

/* One turn of the loop: wait for the sockets or the timer, then act.
 * Returns the running count from the library (or -1 when nothing acted). */
static int loop_turn(struct loop *lp, int max_wait_ms)
{
	int timeout = max_wait_ms;
	if (lp->deadline >= 0) {
		int64_t until = lp->deadline - now_ms();
		if (until < timeout)
			timeout = until < 0 ? 0 : (int)until;
	}
	/* act on a copy: callbacks change the watch set */
	struct pollfd ready[MAX_WATCH];
	int n = lp->nfds;
	memcpy(ready, lp->fds, (size_t)n * sizeof *ready);
	int got = poll(ready, (nfds_t)n, timeout);
	ck_assert_int_ge(got, 0);
	int running = -1;
	for (int i = 0; i < n && got > 0; i++) {
		if (!ready[i].revents)
			continue;
		int ev = ((ready[i].revents & POLLIN) ? TSK_POLL_IN : 0) |
		         ((ready[i].revents & POLLOUT) ? TSK_POLL_OUT : 0) |
		         ((ready[i].revents & (POLLERR | POLLHUP | POLLNVAL)) ? TSK_POLL_ERR : 0);
		ck_assert_int_eq(tsk_ctx_socket_action(lp->ctx, ready[i].fd, ev, &running), TSK_OK);
	}
	if (lp->deadline >= 0 && now_ms() >= lp->deadline) {
		lp->deadline = -1; /* one-shot */
		ck_assert_int_eq(tsk_ctx_socket_action(lp->ctx, TSK_NO_FD, 0, &running), TSK_OK);
	}
	return running;
}

/* Drive until `want` done callbacks ran in all, within limit_ms. */
static void loop_until(struct loop *lp, int want, int64_t limit_ms)
{
	int64_t end = now_ms() + limit_ms;
	while (lp->ndone < want) {
		ck_assert_msg(now_ms() < end, "loop timed out: %d of %d done", lp->ndone, want);
		/* a loop with nothing to wait for would hang: the library must
		 * always have a socket or a timer while queries run */
		ck_assert_msg(lp->nfds > 0 || lp->deadline >= 0, "nothing to wait for, %d of %d done",
		              lp->ndone, want);
		loop_turn(lp, 1000);
	}
}

/* ------------------------------------------------------------------ tests */

static const char *const batch8[] = { "2222-2222-2222", "111111111111", "333333333333",
	                              "555555555555", "666666666666", "777777777777",
	                              "888888888888", "12#4" };
static const char *const other3[] = { "999999999999", "111111111111", "1234" };

START_TEST(concurrent_queries_match_batch)
{
	/* slow answers, so that the queries overlap on the wire */
	tsk_ctx *ctx = make_ctx("delay:100");
	struct loop lp;
	loop_init(&lp, ctx);
	const char *single = "444444444444";
	submit(&lp, 0, "tc", batch8, 8, NULL);
	submit(&lp, 1, "auto", other3, 3, NULL);
	submit(&lp, 2, NULL, &single, 1, NULL);
	ck_assert_int_eq(lp.ndone, 0);
	/* submit armed the timer; nothing was sent yet */
	ck_assert_int_ge(lp.deadline, 0);
	loop_until(&lp, 3, 20000);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(lp.done[i].calls, 1);
		ck_assert_int_eq(lp.done[i].result, TSK_OK);
	}
	ck_assert_uint_eq(lp.done[0].count, 8);
	ck_assert_uint_eq(lp.done[1].count, 3);
	ck_assert_uint_eq(lp.done[2].count, 1);
	/* 7 numbers at 3 per request + 1 request (2 numbers) + 1 */
	ck_assert_int_eq(stat_value("requests"), 5);
	/* the queries overlapped on the wire */
	ck_assert_int_ge(stat_value("max_concurrent"), 2);
	ck_assert_int_ge(lp.adds, 1);
	/* nothing left to drive: the timer is off or expires harmlessly */
	ck_assert_int_eq(loop_turn(&lp, 0) <= 0, 1);

	/* the same answers from the blocking batch, byte for byte */
	tsk_sim_reset(sim);
	tsk_shipment_list *l;
	const char *const *sets[] = { batch8, other3, &single };
	const size_t counts[] = { 8, 3, 1 };
	const char *carriers[] = { "tc", "auto", NULL };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(tsk_track_batch(&l, ctx, carriers[i], sets[i], counts[i], NULL), TSK_OK);
		char *json = list_json(l);
		ck_assert_str_eq(lp.done[i].json, json);
		tsk_free(json);
		tsk_shipment_list_free(l);
	}
	tsk_ctx_free(ctx);
	/* every descriptor announced was removed again */
	ck_assert_int_eq(lp.nfds, 0);
	ck_assert_int_eq(lp.adds, lp.removes);
	loop_dispose(&lp);
}
END_TEST

START_TEST(duplicates_share_one_answer)
{
	tsk_ctx *ctx = make_ctx(NULL);
	const char *dup[] = { "111111111111", "1111-1111-1111", "222222222222" };
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", dup, 3, NULL), TSK_OK);
	/* asked once, answered twice */
	ck_assert_int_eq(stat_value("requests"), 1);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(tsk_shipment_error(tsk_shipment_list_at(l, i)) == TSK_OK, "%zu: %s", i,
		              tsk_shipment_error_message(tsk_shipment_list_at(l, i)));
	char *want = list_json(l);
	tsk_shipment_list_free(l);
	struct loop lp;
	loop_init(&lp, ctx);
	submit(&lp, 0, "tc", dup, 3, NULL);
	loop_until(&lp, 1, 10000);
	ck_assert_str_eq(lp.done[0].json, want);
	tsk_free(want);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);
}
END_TEST

START_TEST(previous_snapshot_matches_batch)
{
	tsk_ctx *ctx = make_ctx(NULL);
	const char *n = "444444444444";
	tsk_shipment_list *first, *second;
	/* blocking: seq1 then seq2 merged */
	ck_assert_int_eq(tsk_track_batch(&first, ctx, "tc", &n, 1, NULL), TSK_OK);
	ck_assert_int_eq(tsk_track_batch(&second, ctx, "tc", &n, 1, first), TSK_OK);
	char *want = list_json(second);
	tsk_shipment_list_free(second);
	tsk_shipment_list_free(first);

	/* the loop, from the same first snapshot (freed right after submit:
	 * the query keeps what it needs) */
	tsk_sim_reset(sim);
	ck_assert_int_eq(tsk_track_batch(&first, ctx, "tc", &n, 1, NULL), TSK_OK);
	struct loop lp;
	loop_init(&lp, ctx);
	submit(&lp, 0, "tc", &n, 1, first);
	tsk_shipment_list_free(first);
	loop_until(&lp, 1, 10000);
	ck_assert_int_eq(lp.done[0].result, TSK_OK);
	ck_assert_str_eq(lp.done[0].json, want);
	ck_assert_msg(strstr(want, "delivered"), "%s", want);
	tsk_free(want);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);
}
END_TEST

START_TEST(retries_go_through_the_timer)
{
	tsk_ctx *ctx = make_ctx("500x1");
	struct loop lp;
	loop_init(&lp, ctx);
	const char *n = "111111111111";
	submit(&lp, 0, "tc", &n, 1, NULL);
	loop_until(&lp, 1, 10000);
	ck_assert_int_eq(lp.done[0].result, TSK_OK);
	ck_assert_int_eq(lp.done[0].first_error, TSK_OK);
	ck_assert_int_eq(stat_value("requests"), 2);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);

	/* 429 with Retry-After: 1 — the wait is the caller's timer */
	tsk_sim_reset(sim);
	ctx = make_ctx("429:1x1");
	loop_init(&lp, ctx);
	int64_t t0 = now_ms();
	submit(&lp, 0, "tc", &n, 1, NULL);
	loop_until(&lp, 1, 10000);
	int64_t waited = now_ms() - t0;
	ck_assert_int_eq(lp.done[0].result, TSK_OK);
	ck_assert_int_eq(stat_value("requests"), 2);
	ck_assert_msg(waited >= 900, "waited %lld ms", (long long)waited);
	/* the server's second, not our 20 ms backoff, was reported as the
	 * timer (curl's own timers, such as the 5 s transfer timeout, come
	 * and go around it) */
	bool saw = false;
	char seen[1024] = "";
	for (int i = 0; i < lp.ntimers; i++) {
		saw = saw || (lp.timers[i] >= 900 && lp.timers[i] <= 1000);
		size_t len = strlen(seen);
		snprintf(seen + len, sizeof seen - len, " %ld", lp.timers[i]);
	}
	ck_assert_msg(saw, "timers:%s", seen);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);

	/* retries exhausted: the shipment carries the error, the query is OK */
	tsk_sim_reset(sim);
	ctx = make_ctx("500");
	loop_init(&lp, ctx);
	submit(&lp, 0, "tc", &n, 1, NULL);
	loop_until(&lp, 1, 10000);
	ck_assert_int_eq(lp.done[0].result, TSK_OK);
	ck_assert_int_eq(lp.done[0].first_error, TSK_EHTTP);
	ck_assert_int_eq(stat_value("requests"), 3);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);
}
END_TEST

START_TEST(politeness_goes_through_the_timer)
{
	tsk_ctx *ctx = make_ctx("delay:100");
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_PARALLEL, 1);
	tsk_ctx_set_option(ctx, TSK_OPT_REQUESTS_PER_SECOND, 5);
	struct loop lp;
	loop_init(&lp, ctx);
	const char *nums[] = { "111111111111", "222222222222", "333333333333" };
	int64_t t0 = now_ms();
	for (int i = 0; i < 3; i++)
		submit(&lp, i, "tc", &nums[i], 1, NULL);
	loop_until(&lp, 3, 10000);
	int64_t took = now_ms() - t0;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(lp.done[i].result, TSK_OK);
	ck_assert_int_eq(stat_value("requests"), 3);
	ck_assert_int_eq(stat_value("max_concurrent"), 1);
	/* starts 200 ms apart at least */
	ck_assert_msg(took >= 400, "took %lld ms", (long long)took);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);
}
END_TEST

/* The circuit breaker holds in the event loop too: a carrier that fails
 * opens it, and the queries submitted after are answered
 * carrier_unavailable without a request. */
START_TEST(breaker_holds_in_the_loop)
{
	tsk_ctx *ctx = make_ctx("503");
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_PARALLEL, 1);
	tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_FAILURES, 2);
	tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_COOLDOWN_MS, 60000);
	struct loop lp;
	loop_init(&lp, ctx);
	const char *nums[] = { "111111111111", "222222222222", "333333333333" };
	submit(&lp, 0, "tc", &nums[0], 1, NULL);
	loop_until(&lp, 1, 10000);
	ck_assert_int_eq(lp.done[0].result, TSK_OK);
	/* the try and its first retry opened it: the second retry never went,
	 * and the query says why */
	ck_assert_int_eq(lp.done[0].first_error, TSK_ECARRIER_UNAVAILABLE);
	ck_assert_int_eq(stat_value("requests"), 2);
	submit(&lp, 1, "tc", &nums[1], 1, NULL);
	submit(&lp, 2, "tc", &nums[2], 1, NULL);
	loop_until(&lp, 3, 10000);
	ck_assert_int_eq(lp.done[1].first_error, TSK_ECARRIER_UNAVAILABLE);
	ck_assert_int_eq(lp.done[2].first_error, TSK_ECARRIER_UNAVAILABLE);
	ck_assert_int_eq(stat_value("requests"), 2);
	tsk_carrier_status st;
	ck_assert_int_eq(tsk_ctx_carrier_status(ctx, "tc", &st), TSK_OK);
	ck_assert_int_eq(st.state, TSK_BREAKER_OPEN);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);
}
END_TEST

START_TEST(cancel_calls_back_once)
{
	tsk_ctx *ctx = make_ctx("delay:3000");
	struct loop lp;
	loop_init(&lp, ctx);
	const char *a = "111111111111", *b = "222222222222";
	tsk_query *qa = submit(&lp, 0, "tc", &a, 1, NULL);
	submit(&lp, 1, "tc", &b, 1, NULL);
	/* let the requests go out */
	int64_t end = now_ms() + 2000;
	while (stat_value("requests") < 2 && now_ms() < end)
		loop_turn(&lp, 50);
	ck_assert_int_eq(stat_value("requests"), 2);
	lp.in_cancel = true;
	ck_assert_int_eq(tsk_query_cancel(qa), TSK_OK);
	lp.in_cancel = false;
	ck_assert_int_eq(lp.ndone, 0);
	/* delivered from the loop, promptly: the timer says 0 */
	ck_assert_int_ge(lp.deadline, 0);
	ck_assert_int_le(lp.deadline, now_ms());
	loop_until(&lp, 1, 1000);
	ck_assert_int_eq(lp.done[0].calls, 1);
	ck_assert_int_eq(lp.done[0].result, TSK_ECANCELED);
	/* the other one is untouched */
	loop_until(&lp, 2, 10000);
	ck_assert_int_eq(lp.done[1].calls, 1);
	ck_assert_int_eq(lp.done[1].result, TSK_OK);
	ck_assert_int_eq(lp.done[0].calls, 1);
	ck_assert(!lp.callback_inside_api);
	ck_assert_int_eq(tsk_query_cancel(NULL), TSK_EINVAL);
	tsk_ctx_free(ctx);
	ck_assert_int_eq(lp.nfds, 0);
	loop_dispose(&lp);
}
END_TEST

/* done callback of query 0 cancels query 1, whose answer is ready too */
static tsk_query *other_query;

static void cancel_other(struct loop *lp, tsk_query *q, int idx)
{
	(void)q;
	if (idx == 0 && other_query) {
		ck_assert_int_eq(tsk_query_cancel(other_query), TSK_OK);
		other_query = NULL;
	}
	(void)lp;
}

START_TEST(cancel_from_a_done_callback)
{
	tsk_ctx *ctx = make_ctx(NULL);
	struct loop lp;
	loop_init(&lp, ctx);
	lp.on_done = cancel_other;
	const char *bad[] = { "12#4" }; /* answered without the network */
	submit(&lp, 0, "tc", bad, 1, NULL);
	other_query = submit(&lp, 1, "tc", bad, 1, NULL);
	loop_until(&lp, 2, 2000);
	ck_assert_int_eq(lp.done[0].result, TSK_OK);
	ck_assert_int_eq(lp.done[1].calls, 1);
	ck_assert_int_eq(lp.done[1].result, TSK_ECANCELED);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);
}
END_TEST

START_TEST(free_with_queries_in_flight)
{
	tsk_ctx *ctx = make_ctx("delay:3000");
	struct loop lp;
	loop_init(&lp, ctx);
	const char *nums[] = { "111111111111", "222222222222", "333333333333", "12#4" };
	for (int i = 0; i < 3; i++)
		submit(&lp, i, "tc", &nums[i], 1, NULL);
	int64_t end = now_ms() + 2000;
	while (stat_value("requests") < 3 && now_ms() < end)
		loop_turn(&lp, 50);
	ck_assert_int_eq(stat_value("requests"), 3);
	ck_assert_int_gt(lp.nfds, 0);
	/* answered at once, its callback due at the next turn */
	submit(&lp, 3, "tc", &nums[3], 1, NULL);
	ck_assert_int_eq(lp.ndone, 0);
	tsk_ctx_free(ctx);
	/* every query once, canceled — also the one whose answer was ready */
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(lp.done[i].calls, 1);
		ck_assert_int_eq(lp.done[i].result, TSK_ECANCELED);
	}
	ck_assert_int_eq(lp.ndone, 4);
	/* the watch set is empty and the timer is off */
	ck_assert_int_eq(lp.nfds, 0);
	ck_assert_int_eq(lp.adds, lp.removes);
	ck_assert_int_eq(lp.deadline, -1);
	ck_assert_int_ge(lp.timer_off_calls, 1);
	loop_dispose(&lp);
}
END_TEST

/* done callback: submit more, or try to, during tsk_ctx_free */
static const char *chain_numbers[] = { "555555555555", "12#4" };
static int free_submit_rc;

static void submit_more(struct loop *lp, tsk_query *q, int idx)
{
	tsk_ctx *ctx = tsk_query_ctx(q);
	if (idx == 0) {
		/* a query with network, from inside a done callback */
		submit(lp, 1, "tc", &chain_numbers[0], 1, NULL);
	} else if (idx == 1) {
		/* one answered without the network: not delivered from inside
		 * this callback, nor from inside its submit */
		submit(lp, 2, "tc", &chain_numbers[1], 1, NULL);
		ck_assert_int_eq(lp->done[2].calls, 0);
	} else if (idx == 3) {
		tsk_query_opts opts = TSK_QUERY_OPTS_INIT;
		opts.numbers = chain_numbers;
		opts.count = 1;
		refs[4].lp = lp;
		refs[4].idx = 4;
		free_submit_rc = tsk_query_submit(NULL, ctx, &opts, done_cb, &refs[4]);
	}
	ck_assert_int_eq(lp->done[idx].calls, 1);
}

START_TEST(submit_from_a_done_callback)
{
	tsk_ctx *ctx = make_ctx(NULL);
	struct loop lp;
	loop_init(&lp, ctx);
	lp.on_done = submit_more;
	const char *n = "111111111111";
	submit(&lp, 0, "tc", &n, 1, NULL);
	loop_until(&lp, 3, 10000);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(lp.done[i].calls, 1);
		ck_assert_int_eq(lp.done[i].result, TSK_OK);
	}
	ck_assert_msg(strstr(lp.done[1].json, "555555555555"), "%s", lp.done[1].json);
	ck_assert_msg(strstr(lp.done[2].json, "invalid_number"), "%s", lp.done[2].json);
	ck_assert(!lp.callback_inside_api);

	/* during tsk_ctx_free a done callback cannot submit: refused, no callback */
	const char *d = "222222222222";
	submit(&lp, 3, "tc", &d, 1, NULL);
	tsk_ctx_free(ctx);
	ck_assert_int_eq(lp.done[3].result, TSK_ECANCELED);
	ck_assert_int_eq(free_submit_rc, TSK_ECANCELED);
	ck_assert_int_eq(lp.done[4].calls, 0);
	ck_assert_int_eq(lp.ndone, 4);
	loop_dispose(&lp);
}
END_TEST

START_TEST(done_never_inside_submit)
{
	tsk_ctx *ctx = make_ctx(NULL);
	struct loop lp;
	loop_init(&lp, ctx);
	/* answerable without any request: empty list, invalid numbers */
	submit(&lp, 0, "tc", NULL, 0, NULL);
	const char *bad[] = { "12#4", "" };
	submit(&lp, 1, "tc", bad, 2, NULL);
	ck_assert_int_eq(lp.ndone, 0);
	/* but the timer asks to be called at once */
	ck_assert_int_ge(lp.deadline, 0);
	ck_assert_int_le(lp.deadline - now_ms(), 0);
	int running = -1;
	lp.deadline = -1;
	ck_assert_int_eq(tsk_ctx_socket_action(ctx, TSK_NO_FD, 0, &running), TSK_OK);
	ck_assert_int_eq(running, 0);
	ck_assert_int_eq(lp.ndone, 2);
	ck_assert_uint_eq(lp.done[0].count, 0);
	ck_assert_uint_eq(lp.done[1].count, 2);
	ck_assert_msg(strstr(lp.done[1].json, "invalid_number"), "%s", lp.done[1].json);
	ck_assert(!lp.callback_inside_api);
	ck_assert_int_eq(stat_value("requests"), 0);
	/* same as the blocking batch */
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_track_batch(&l, ctx, "tc", bad, 2, NULL), TSK_OK);
	char *json = list_json(l);
	ck_assert_str_eq(lp.done[1].json, json);
	tsk_free(json);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	loop_dispose(&lp);
}
END_TEST

START_TEST(bad_submit_never_calls_back)
{
	tsk_ctx *ctx = make_ctx(NULL);
	struct loop lp;
	memset(&lp, 0, sizeof lp);
	lp.ctx = ctx;
	lp.deadline = -1;
	refs[0].lp = &lp;
	refs[0].idx = 0;
	const char *n = "111111111111";
	tsk_query_opts opts = TSK_QUERY_OPTS_INIT;
	opts.carrier = "tc";
	opts.numbers = &n;
	opts.count = 1;
	tsk_query *q = (tsk_query *)(void *)&lp; /* set to NULL on failure */

	/* callbacks not set yet */
	ck_assert_int_eq(tsk_query_submit(&q, ctx, &opts, done_cb, &refs[0]), TSK_EINVAL);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(tsk_ctx_set_socket_cb(ctx, socket_cb, &lp), TSK_OK);
	ck_assert_int_eq(tsk_query_submit(&q, ctx, &opts, done_cb, &refs[0]), TSK_EINVAL);
	ck_assert_int_eq(tsk_ctx_set_timer_cb(ctx, timer_cb, &lp), TSK_OK);

	ck_assert_int_eq(tsk_query_submit(&q, NULL, &opts, done_cb, &refs[0]), TSK_EINVAL);
	ck_assert_int_eq(tsk_query_submit(&q, ctx, NULL, done_cb, &refs[0]), TSK_EINVAL);
	ck_assert_int_eq(tsk_query_submit(&q, ctx, &opts, NULL, &refs[0]), TSK_EINVAL);
	tsk_query_opts o2 = opts;
	o2.numbers = NULL;
	ck_assert_int_eq(tsk_query_submit(&q, ctx, &o2, done_cb, &refs[0]), TSK_EINVAL);
	o2 = opts;
	o2.version = 0;
	ck_assert_int_eq(tsk_query_submit(&q, ctx, &o2, done_cb, &refs[0]), TSK_EVERSION);
	o2.version = TSK_QUERY_OPTS_VERSION + 1;
	ck_assert_int_eq(tsk_query_submit(&q, ctx, &o2, done_cb, &refs[0]), TSK_EVERSION);
	o2 = opts;
	o2.carrier = "nosuch";
	ck_assert_int_eq(tsk_query_submit(&q, ctx, &o2, done_cb, &refs[0]), TSK_ENOCARRIER);
	ck_assert_msg(strstr(tsk_ctx_last_error(ctx), "nosuch"), "%s", tsk_ctx_last_error(ctx));
	ck_assert_ptr_null(q);

	/* the other entry points refuse bad arguments too */
	ck_assert_int_eq(tsk_ctx_set_socket_cb(NULL, socket_cb, NULL), TSK_EINVAL);
	ck_assert_int_eq(tsk_ctx_set_timer_cb(NULL, timer_cb, NULL), TSK_EINVAL);
	ck_assert_int_eq(tsk_ctx_socket_action(NULL, TSK_NO_FD, 0, NULL), TSK_EINVAL);
	tsk_shipment_list *taken = NULL;
	ck_assert_int_eq(tsk_query_take_shipments(&taken, NULL), TSK_EINVAL);
	ck_assert_ptr_null(tsk_query_ctx(NULL));

	/* nothing was accepted: nothing runs, now or at free */
	int running = -1;
	ck_assert_int_eq(tsk_ctx_socket_action(ctx, TSK_NO_FD, 0, &running), TSK_OK);
	ck_assert_int_eq(running, 0);
	ck_assert_int_eq(stat_value("requests"), 0);
	tsk_ctx_free(ctx);
	ck_assert_int_eq(lp.ndone, 0);
	ck_assert_int_eq(lp.done[0].calls, 0);
}
END_TEST

/* take the shipments (no copy) and keep them past the callback */
static tsk_shipment_list *kept;

static void take_them(struct loop *lp, tsk_query *q, int idx)
{
	(void)lp;
	(void)idx;
	ck_assert_int_eq(tsk_query_take_shipments(&kept, q), TSK_OK);
	tsk_shipment_list *again = NULL;
	ck_assert_int_eq(tsk_query_take_shipments(&again, q), TSK_EINVAL);
	ck_assert_ptr_null(again);
}

START_TEST(shipments_can_be_taken)
{
	tsk_ctx *ctx = make_ctx(NULL);
	struct loop lp;
	loop_init(&lp, ctx);
	lp.on_done = take_them;
	submit(&lp, 0, "tc", batch8, 3, NULL);
	/* callbacks cannot change while a query is in flight */
	ck_assert_int_eq(tsk_ctx_set_timer_cb(ctx, timer_cb, &lp), TSK_EINVAL);
	loop_until(&lp, 1, 10000);
	ck_assert_ptr_nonnull(kept);
	ck_assert_uint_eq(tsk_shipment_list_count(kept), 3);
	char *json = list_json(kept);
	ck_assert_str_eq(json, lp.done[0].json);
	tsk_free(json);
	tsk_shipment_list_free(kept);
	kept = NULL;
	tsk_ctx_free(ctx);
	loop_dispose(&lp);
}
END_TEST

/* ---------------------------------------------------------------- threads */

struct worker {
	const char *url;
	int ok;
	char first_error[256];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT) != TSK_OK ||
	    tsk_ctx_register_adapter(ctx, &tc_adapter) != TSK_OK ||
	    tsk_ctx_set_endpoint(ctx, "tc", w->url) != TSK_OK) {
		snprintf(w->first_error, sizeof w->first_error, "context setup failed");
		tsk_ctx_free(ctx);
		return NULL;
	}
	tsk_ctx_set_option(ctx, TSK_OPT_RETRY_BASE_MS, 20);
	for (int round = 0; round < 5; round++) {
		tsk_shipment_list *l = NULL;
		if (tsk_track_batch(&l, ctx, "tc", batch8, 8, NULL) != TSK_OK) {
			snprintf(w->first_error, sizeof w->first_error, "%s", tsk_ctx_last_error(ctx));
			break;
		}
		bool good = tsk_shipment_list_count(l) == 8;
		for (size_t i = 0; good && i < 7; i++)
			good = tsk_shipment_error(tsk_shipment_list_at(l, i)) == TSK_OK &&
			       tsk_shipment_status(tsk_shipment_list_at(l, i)) == TSK_STATUS_IN_TRANSIT;
		good = good && tsk_shipment_error(tsk_shipment_list_at(l, 7)) == TSK_EINVALID_NUMBER;
		tsk_shipment_list_free(l);
		if (!good) {
			snprintf(w->first_error, sizeof w->first_error, "round %d: wrong answer", round);
			break;
		}
		w->ok++;
	}
	tsk_ctx_free(ctx);
	return NULL;
}

START_TEST(threads_with_own_contexts)
{
	char url[2][512];
	/* one plain, one slowed down and retried, so the two overlap */
	ck_assert_ptr_nonnull(tsk_sim_url(sim, "/tc/track", url[0], sizeof url[0]));
	ck_assert_ptr_nonnull(tsk_sim_url(sim, "/_fault/delay:20/tc/track", url[1], sizeof url[1]));
	struct worker w[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].url = url[i];
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(w[i].ok == 5, "thread %d: %d rounds (%s)", i, w[i].ok, w[i].first_error);
	}
	ck_assert_int_eq(stat_value("requests"), 2 * 5 * 3);
}
END_TEST

/* tsk_ctx_wakeup from another thread still interrupts a blocking batch */
struct waker {
	tsk_ctx *ctx;
	atomic_int stop;
	int calls;
};

static void *waker_main(void *arg)
{
	struct waker *w = arg;
	struct timespec ts = { 0, 100 * 1000000L };
	nanosleep(&ts, NULL);
	/* a wakeup before the batch waits is forgotten: repeat until it returns */
	while (!atomic_load(&w->stop)) {
		tsk_ctx_wakeup(w->ctx);
		w->calls++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

START_TEST(wakeup_interrupts_a_blocking_batch)
{
	tsk_ctx *ctx = make_ctx("delay:5000");
	struct waker w = { ctx, 0, 0 };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, waker_main, &w), 0);
	const char *nums[] = { "111111111111", "222222222222" };
	tsk_shipment_list *l = NULL;
	int64_t t0 = now_ms();
	int rc = tsk_track_batch(&l, ctx, "tc", nums, 2, NULL);
	int64_t took = now_ms() - t0;
	atomic_store(&w.stop, 1);
	pthread_join(th, NULL);
	ck_assert_int_eq(rc, TSK_OK);
	ck_assert_msg(took < 4000, "took %lld ms", (long long)took);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 2);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 0)), TSK_ECANCELED);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, concurrent_queries_match_batch);
	tcase_add_test(tc, duplicates_share_one_answer);
	tcase_add_test(tc, previous_snapshot_matches_batch);
	tcase_add_test(tc, retries_go_through_the_timer);
	tcase_add_test(tc, politeness_goes_through_the_timer);
	tcase_add_test(tc, breaker_holds_in_the_loop);
	tcase_add_test(tc, cancel_calls_back_once);
	tcase_add_test(tc, cancel_from_a_done_callback);
	tcase_add_test(tc, free_with_queries_in_flight);
	tcase_add_test(tc, submit_from_a_done_callback);
	tcase_add_test(tc, done_never_inside_submit);
	tcase_add_test(tc, bad_submit_never_calls_back);
	tcase_add_test(tc, shipments_can_be_taken);
	suite_add_tcase(s, tc);
	TCase *tt = tcase_create("threads");
	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_set_timeout(tt, 60);
	tcase_add_test(tt, threads_with_own_contexts);
	tcase_add_test(tt, wakeup_interrupts_a_blocking_batch);
	suite_add_tcase(s, tt);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
