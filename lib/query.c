/*
 * Event-loop queries (include/tsuiseki/loop.h): the tracking phases of
 * lib/track.h around a socket-driven engine, pumped by the caller's loop.
 *
 * Invariants:
 *  - an accepted query is on the live list until its done callback runs,
 *    and that callback runs exactly once: from deliver() (inside
 *    tsk_ctx_socket_action) or from loop_free (tsk_ctx_free); never
 *    from submit or cancel, which only put queries on the ready queue;
 *  - a query is RUNNING (its jobs are in the engine), READY (its result is
 *    known, on the ready queue or in the batch being delivered) or CALLING
 *    (its callback runs; freed when it returns);
 *  - deliver() runs only the callbacks that were due when it began, so a
 *    callback that submits a query answered at once cannot keep one call
 *    busy forever (the new one goes out on the next call, timer 0);
 *  - the timer callback hears the earliest deadline — the engine's (curl,
 *    retries, politeness) or "now" while callbacks are due — once per
 *    change, at the end of the outermost entry point, never from inside
 *    curl; the socket callback is told by the engine as curl decides;
 *  - the socket-driven engine is created on the first submit; the blocking
 *    calls keep their own engine (curl forbids mixing the two drivers on
 *    one multi handle).
 */
#include "context.h"
#include "http.h"
#include "track.h"
#include "util.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

enum query_state { Q_RUNNING, Q_READY, Q_CALLING };

struct tsk_query {
	tsk_ctx *ctx;
	struct tsk_query *prev, *next;  /* live list, in submit order */
	struct tsk_query *ready_next;
	enum query_state state;
	tsk_done_cb done;
	void *userdata;
	tsk__track *track;              /* until finished or canceled */
	size_t jobs_left;
	bool adding;                    /* submit is still adding jobs */
	int result;
	tsk_shipment_list *shipments;   /* owned until taken or freed */
};

/* reported: nothing is known about the caller's timer (it fired) */
#define TIMER_UNKNOWN INT64_MIN

struct tsk__loop {
	tsk_ctx *ctx;
	tsk__http *engine;
	tsk_socket_cb socket_cb;
	void *socket_userdata;
	tsk_timer_cb timer_cb;
	void *timer_userdata;
	tsk_query *head, *tail;         /* live queries */
	size_t nlive;
	tsk_query *ready_head, *ready_tail;
	int64_t ready_since;            /* when the ready queue became non-empty */
	int64_t reported;               /* deadline last told; -1 none */
	int depth;                      /* nesting of entry points */
	int in_io_cb;                   /* a socket or timer callback runs */
	bool delivering;
	bool closing;
};

static struct tsk__loop *loop_of(const tsk_ctx *ctx)
{
	return tsk__ctx_slot(ctx, TSK__SLOT_LOOP);
}

static void loop_free(tsk_ctx *ctx, void *data);

static struct tsk__loop *get_loop(tsk_ctx *ctx)
{
	struct tsk__loop *loop = loop_of(ctx);
	if (!loop) {
		if (!(loop = calloc(1, sizeof *loop)))
			return NULL;
		loop->ctx = ctx;
		loop->reported = -1;
		tsk__ctx_set_slot(ctx, TSK__SLOT_LOOP, loop, loop_free);
	}
	return loop;
}

/* Inside a socket or timer callback: the engine must not be re-entered. */
static bool in_io_callback(const struct tsk__loop *loop)
{
	return loop->in_io_cb > 0 || tsk__http_busy(loop->engine);
}

static void on_engine_socket(int fd, int what, void *userdata)
{
	struct tsk__loop *loop = userdata;
	if (!loop->socket_cb)
		return;
	loop->in_io_cb++;
	loop->socket_cb(loop->ctx, fd, what, loop->socket_userdata);
	loop->in_io_cb--;
}

static void report_timer(struct tsk__loop *loop)
{
	int64_t deadline = tsk__http_deadline(loop->engine);
	if (loop->ready_head && (deadline < 0 || loop->ready_since < deadline))
		deadline = loop->ready_since;
	if (deadline == loop->reported)
		return;
	loop->reported = deadline;
	if (!loop->timer_cb)
		return;
	long ms = -1;
	if (deadline >= 0) {
		int64_t d = deadline - tsk__http_now_ms();
		ms = d < 0 ? 0 : d > LONG_MAX ? LONG_MAX : (long)d;
	}
	loop->in_io_cb++;
	loop->timer_cb(loop->ctx, ms, loop->timer_userdata);
	loop->in_io_cb--;
}

static void enter(struct tsk__loop *loop)
{
	loop->depth++;
}

static void leave(struct tsk__loop *loop)
{
	if (--loop->depth == 0 && !loop->closing)
		report_timer(loop);
}

static void make_ready(tsk_query *q)
{
	struct tsk__loop *loop = loop_of(q->ctx);
	q->state = Q_READY;
	q->ready_next = NULL;
	if (loop->ready_tail) {
		loop->ready_tail->ready_next = q;
	} else {
		loop->ready_head = q;
		loop->ready_since = tsk__http_now_ms();
	}
	loop->ready_tail = q;
}

static void finish(tsk_query *q)
{
	tsk_shipment_list *l = NULL;
	q->result = tsk__track_finish(&l, q->track, q->ctx, NULL);
	q->shipments = l;
	tsk__track_free(q->track);
	q->track = NULL;
	make_ready(q);
}

static void on_job_done(tsk__http_job *job, void *userdata)
{
	tsk_query *q = userdata;
	tsk__track_absorb(q->track, job);
	if (--q->jobs_left == 0 && !q->adding && q->state == Q_RUNNING)
		finish(q);
}

/* Take a running query's jobs out of the engine and drop its work. */
static void drop_jobs(struct tsk__loop *loop, tsk_query *q)
{
	if (q->track) {
		size_t n = 0;
		tsk__http_job *jobs = tsk__track_jobs(q->track, &n);
		for (size_t k = 0; k < n; k++)
			if (jobs[k].xfer)
				tsk__http_cancel(loop->engine, &jobs[k]);
		tsk__track_free(q->track);
		q->track = NULL;
	}
	q->jobs_left = 0;
}

static void unlink_live(struct tsk__loop *loop, tsk_query *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		loop->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		loop->tail = q->prev;
	q->prev = q->next = NULL;
	loop->nlive--;
}

/* Run a query's done callback, then release it. */
static void call_done(struct tsk__loop *loop, tsk_query *q)
{
	unlink_live(loop, q);
	q->state = Q_CALLING;
	q->done(q, q->result, q->result == TSK_OK ? q->shipments : NULL, q->userdata);
	tsk_shipment_list_free(q->shipments);
	tsk__track_free(q->track);
	free(q);
}

static void deliver(struct tsk__loop *loop)
{
	tsk_query *batch = loop->ready_head;
	loop->ready_head = loop->ready_tail = NULL;
	loop->delivering = true;
	while (batch) {
		tsk_query *q = batch;
		batch = q->ready_next;
		call_done(loop, q);
	}
	loop->delivering = false;
}

/* ------------------------------------------------------------------ API */

static int set_callbacks_check(tsk_ctx *ctx, struct tsk__loop **loop_out)
{
	struct tsk__loop *loop = get_loop(ctx);
	if (!loop)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	if (in_io_callback(loop) || loop->delivering || loop->closing)
		return tsk__ctx_error(ctx, TSK_EINVAL, "loop callbacks cannot change from inside a callback");
	if (loop->nlive || tsk__http_pending(loop->engine))
		return tsk__ctx_error(ctx, TSK_EINVAL,
		                      "loop callbacks cannot change while %zu queries are in flight",
		                      loop->nlive);
	*loop_out = loop;
	return TSK_OK;
}

TSK_API int tsk_ctx_set_socket_cb(tsk_ctx *ctx, tsk_socket_cb cb, void *userdata)
{
	if (!ctx)
		return TSK_EINVAL;
	struct tsk__loop *loop = NULL; /* set when set_callbacks_check succeeds */
	int rc = set_callbacks_check(ctx, &loop);
	if (rc != TSK_OK)
		return rc;
	if (loop->engine && (cb != loop->socket_cb || userdata != loop->socket_userdata)) {
		/* idle connections are watched through the old callback: close
		 * them, telling it to REMOVE each, so no watch set keeps a stale
		 * descriptor */
		tsk__http_free(loop->engine);
		loop->engine = NULL;
	}
	loop->socket_cb = cb;
	loop->socket_userdata = userdata;
	return TSK_OK;
}

TSK_API int tsk_ctx_set_timer_cb(tsk_ctx *ctx, tsk_timer_cb cb, void *userdata)
{
	if (!ctx)
		return TSK_EINVAL;
	struct tsk__loop *loop = NULL; /* set when set_callbacks_check succeeds */
	int rc = set_callbacks_check(ctx, &loop);
	if (rc != TSK_OK)
		return rc;
	loop->timer_cb = cb;
	loop->timer_userdata = userdata;
	loop->reported = -1; /* a new timer is not armed */
	return TSK_OK;
}

TSK_API int tsk_query_submit(tsk_query **out, tsk_ctx *ctx, const tsk_query_opts *opts,
                             tsk_done_cb done, void *userdata)
{
	if (out)
		*out = NULL;
	if (!ctx)
		return TSK_EINVAL;
	if (!opts || !done || (opts->count && !opts->numbers))
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_query_submit: missing argument");
	if (opts->version == 0 || opts->version > TSK_QUERY_OPTS_VERSION)
		return tsk__ctx_error(ctx, TSK_EVERSION, "tsk_query_opts version %u is not supported (1..%u)",
		                      opts->version, (unsigned)TSK_QUERY_OPTS_VERSION);
	struct tsk__loop *loop = loop_of(ctx);
	if (!loop || !loop->socket_cb || !loop->timer_cb)
		return tsk__ctx_error(ctx, TSK_EINVAL,
		                      "tsk_query_submit: set the socket and timer callbacks first");
	if (loop->closing)
		return tsk__ctx_error(ctx, TSK_ECANCELED, "tsk_query_submit: the context is being freed");
	if (in_io_callback(loop))
		return tsk__ctx_error(ctx, TSK_EINVAL,
		                      "tsk_query_submit: not from a socket or timer callback");
	if (!loop->engine && tsk__http_new_socket(&loop->engine, on_engine_socket, loop) != TSK_OK)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");

	tsk__track *t = NULL;
	int rc = tsk__track_prepare(&t, ctx, opts->carrier, opts->numbers, opts->count);
	if (rc != TSK_OK)
		return rc;
	tsk_query *q = NULL;
	if (tsk__track_keep_previous(t, opts->previous) != TSK_OK || !(q = calloc(1, sizeof *q))) {
		tsk__track_free(t);
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	}
	q->ctx = ctx;
	q->done = done;
	q->userdata = userdata;
	q->track = t;
	q->state = Q_RUNNING;
	q->adding = true;
	size_t njobs = 0;
	tsk__http_job *jobs = tsk__track_jobs(t, &njobs);
	tsk__http_settings cfg;
	tsk__track_http_settings(&cfg, ctx);
	for (size_t k = 0; k < njobs; k++) {
		jobs[k].done = on_job_done;
		jobs[k].done_userdata = q;
		if (tsk__http_add(loop->engine, &cfg, &jobs[k]) != TSK_OK) {
			/* only queued so far: nothing has reached curl */
			for (size_t j = 0; j < k; j++)
				tsk__http_cancel(loop->engine, &jobs[j]);
			tsk__track_free(t);
			free(q);
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
		}
	}
	q->jobs_left = njobs;
	q->prev = loop->tail;
	if (loop->tail)
		loop->tail->next = q;
	else
		loop->head = q;
	loop->tail = q;
	loop->nlive++;

	enter(loop);
	q->adding = false;
	/* a job that cannot even start ends here, through on_job_done */
	tsk__http_kick(loop->engine);
	if (q->jobs_left == 0 && q->state == Q_RUNNING)
		finish(q); /* answered without the network: delivered from the loop */
	if (out)
		*out = q;
	leave(loop);
	return TSK_OK;
}

TSK_API int tsk_query_cancel(tsk_query *q)
{
	if (!q)
		return TSK_EINVAL;
	tsk_ctx *ctx = q->ctx;
	struct tsk__loop *loop = loop_of(ctx);
	if (in_io_callback(loop))
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_query_cancel: not from a socket or timer callback");
	if (q->state == Q_CALLING)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_query_cancel: the query is already completing");
	if (loop->closing)
		return TSK_OK; /* every query is being canceled anyway */
	if (q->state == Q_READY) {
		tsk_shipment_list_free(q->shipments);
		q->shipments = NULL;
		q->result = TSK_ECANCELED;
		return TSK_OK;
	}
	enter(loop);
	drop_jobs(loop, q);
	q->result = TSK_ECANCELED;
	make_ready(q);
	/* its politeness slots are free for the others */
	tsk__http_kick(loop->engine);
	leave(loop);
	return TSK_OK;
}

TSK_API int tsk_query_take_shipments(tsk_shipment_list **out, tsk_query *q)
{
	if (!out)
		return q ? tsk__ctx_error(q->ctx, TSK_EINVAL, "tsk_query_take_shipments: missing argument")
		         : TSK_EINVAL;
	*out = NULL;
	if (!q)
		return TSK_EINVAL;
	if (q->state != Q_CALLING || q->result != TSK_OK || !q->shipments)
		return tsk__ctx_error(q->ctx, TSK_EINVAL,
		                      "tsk_query_take_shipments: only once, from a done callback with TSK_OK");
	*out = q->shipments;
	q->shipments = NULL;
	return TSK_OK;
}

TSK_API tsk_ctx *tsk_query_ctx(const tsk_query *q)
{
	return q ? q->ctx : NULL;
}

TSK_API int tsk_ctx_socket_action(tsk_ctx *ctx, int fd, int events, int *running_out)
{
	if (running_out)
		*running_out = 0;
	if (!ctx)
		return TSK_EINVAL;
	struct tsk__loop *loop = loop_of(ctx);
	if (!loop)
		return TSK_OK; /* nothing was ever submitted */
	if (in_io_callback(loop) || loop->delivering || loop->closing) {
		if (running_out)
			*running_out = loop->nlive > INT_MAX ? INT_MAX : (int)loop->nlive;
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_socket_action: not from a callback");
	}
	enter(loop);
	if (fd == TSK_NO_FD)
		loop->reported = TIMER_UNKNOWN; /* the caller's timer fired: it is one-shot */
	int rc = loop->engine ? tsk__http_socket_action(loop->engine, fd, events) : TSK_OK;
	deliver(loop);
	if (running_out)
		*running_out = loop->nlive > INT_MAX ? INT_MAX : (int)loop->nlive;
	leave(loop);
	if (rc != TSK_OK)
		return tsk__ctx_error(ctx, rc, "tsk_ctx_socket_action: the HTTP engine failed (%s)",
		                      tsk_strerror(rc));
	return TSK_OK;
}

/* Complete every outstanding query with TSK_ECANCELED (each done callback
 * once), then free the event-loop state: the slot's free function, run
 * first by tsk_ctx_free. */
static void loop_free(tsk_ctx *ctx, void *data)
{
	struct tsk__loop *loop = data;
	loop->closing = true;
	/* every query is on the live list, ready or not */
	loop->ready_head = loop->ready_tail = NULL;
	while (loop->head) {
		tsk_query *q = loop->head;
		if (q->state == Q_RUNNING)
			drop_jobs(loop, q);
		tsk_shipment_list_free(q->shipments);
		q->shipments = NULL;
		q->result = TSK_ECANCELED;
		call_done(loop, q);
	}
	if (loop->timer_cb && loop->reported != -1) {
		loop->in_io_cb++;
		loop->timer_cb(ctx, -1, loop->timer_userdata);
		loop->in_io_cb--;
	}
	/* tells the socket callback to REMOVE what it still watches */
	tsk__http_free(loop->engine);
	free(loop);
	tsk__ctx_set_slot(ctx, TSK__SLOT_LOOP, NULL, NULL);
}
