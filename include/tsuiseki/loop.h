/*
 * tsuiseki — event-loop integration: asynchronous queries driven by the
 * caller's own loop (poll, epoll, kqueue, libuv...).
 *
 * The engine behind tsk_track_batch() — batching per carrier, politeness
 * limits, retries with backoff and Retry-After, timeouts, the response size
 * cap, TLS verification — is exposed here so that a daemon's loop watches
 * the sockets and the timer instead of a blocking call. The library links
 * no loop: it tells the caller which descriptors to watch and when to wake
 * up, and the caller tells it what happened.
 *
 * TYPICAL USAGE
 *
 *  1. Create a context with tsk_ctx_new().
 *  2. Set the socket callback with tsk_ctx_set_socket_cb(): it is told
 *     which descriptors to watch for reading and/or writing, and when to
 *     stop watching one (TSK_POLL_REMOVE).
 *  3. Set the timer callback with tsk_ctx_set_timer_cb(), to learn how long
 *     to wait at most for socket activity (-1: no timer).
 *  4. Submit queries with tsk_query_submit(); each names a done callback.
 *  5. Keep the set of descriptors the socket callback announced, and one
 *     timer, in whatever the loop uses (poll(2) array, epoll set, uv_poll
 *     handles + one uv_timer).
 *  6. A submit arms the timer (usually with 0 ms): when the timer expires,
 *     call tsk_ctx_socket_action(ctx, TSK_NO_FD, 0, &running). That starts
 *     the transfers, and the socket callback runs.
 *  7. Wait for activity on the announced descriptors, at most until the
 *     timer expires.
 *  8. For each descriptor that is ready, call tsk_ctx_socket_action(ctx,
 *     fd, TSK_POLL_IN / TSK_POLL_OUT / TSK_POLL_ERR bits, &running); when
 *     the timer expires, call it with TSK_NO_FD. Done callbacks run from
 *     inside these calls. Go back to 7 while running > 0 (or forever, for
 *     a daemon that keeps submitting).
 *
 * examples/poller.c is a complete poll(2) loop to copy.
 *
 * GUARANTEES
 *
 *  - The done callback runs exactly once for every query that
 *    tsk_query_submit() accepted (returned TSK_OK): when the query
 *    finished (result TSK_OK, or TSK_ENOMEM / TSK_ERROR when the library
 *    itself failed), when tsk_query_cancel() canceled it (TSK_ECANCELED),
 *    or when tsk_ctx_free() freed the context (TSK_ECANCELED).
 *  - It never runs when tsk_query_submit() failed, and never from inside
 *    tsk_query_submit() or tsk_query_cancel(): only from inside
 *    tsk_ctx_socket_action() and tsk_ctx_free().
 *  - A query's memory is released when its done callback returns; the
 *    tsk_query pointer must not be used after that.
 *  - Done callbacks may submit and cancel queries on the same context, and
 *    call any blocking function; they must not free the context or call
 *    tsk_ctx_socket_action().
 *  - The socket and timer callbacks only update the caller's watch set and
 *    timer: they must not call any tsuiseki function on the context (such
 *    calls fail with TSK_EINVAL).
 *  - The timer reported is the earliest of libcurl's own timer and
 *    tsuiseki's (retry backoff with jitter, Retry-After, per-carrier
 *    politeness: requests per second and max parallel requests, and done
 *    callbacks waiting to run), so the caller keeps one timer per context.
 *    The timer is one-shot: after it fires and tsk_ctx_socket_action(ctx,
 *    TSK_NO_FD, ...) is called, a new value is always reported.
 *  - A query answers exactly what tsk_track_batch() answers for the same
 *    carrier, numbers and previous snapshots: one shipment per input, in
 *    input order, each with its own error.
 *  - A context is used by one thread at a time: the loop, the callbacks
 *    and every submit run on that thread. tsk_ctx_wakeup() does not apply
 *    to queries (cancel them instead).
 *  - Queries and blocking calls (tsk_track(), tsk_track_batch()) may be
 *    mixed on one context: they use separate curl multi handles, so the
 *    politeness limits count them separately and they do not share
 *    connections.
 */
#ifndef TSUISEKI_LOOP_H
#define TSUISEKI_LOOP_H

#include "common.h"
#include "errors.h"
#include "model.h"
#include "context.h"

TSK_BEGIN_DECLS

/** Watch the descriptor for reading (socket callback), or it is readable (tsk_ctx_socket_action). @since 0.1 */
#define TSK_POLL_IN 1
/** Watch the descriptor for writing, or it is writable. @since 0.1 */
#define TSK_POLL_OUT 2
/** Both TSK_POLL_IN and TSK_POLL_OUT. @since 0.1 */
#define TSK_POLL_INOUT 3
/** Socket callback only: stop watching the descriptor. @since 0.1 */
#define TSK_POLL_REMOVE 4
/** tsk_ctx_socket_action() only: the descriptor reported an error or hang-up (POLLERR, POLLHUP). @since 0.1 */
#define TSK_POLL_ERR 8
/** The fd of tsk_ctx_socket_action() when the timer expired. @since 0.1 */
#define TSK_NO_FD (-1)

/** An asynchronous query (opaque), from tsk_query_submit() to the end of its done callback. @since 0.1 */
typedef struct tsk_query tsk_query;

/**
 * Socket callback: start, change or stop watching a descriptor.
 * Runs from inside tsk_ctx_socket_action(), tsk_query_submit(),
 * tsk_query_cancel() and tsk_ctx_free(), and from tsk_ctx_set_socket_cb()
 * when it replaces a callback (the old one hears TSK_POLL_REMOVE for each
 * descriptor it still watches); it must only update the caller's watch
 * set. Every descriptor announced gets a TSK_POLL_REMOVE at the latest
 * from tsk_ctx_free().
 * @param ctx the context
 * @param fd the descriptor
 * @param what TSK_POLL_IN, TSK_POLL_OUT, TSK_POLL_INOUT (replace what was
 *        watched before for fd) or TSK_POLL_REMOVE
 * @param userdata as given to tsk_ctx_set_socket_cb()
 * @since 0.1
 */
typedef void (*tsk_socket_cb)(tsk_ctx *ctx, int fd, int what, void *userdata);

/**
 * Timer callback: (re)arm the caller's single timer for this context.
 * Runs at the end of tsk_query_submit(), tsk_query_cancel() and
 * tsk_ctx_socket_action() when the deadline changed, and with -1 from
 * tsk_ctx_free(); it must only update the caller's timer.
 * @param ctx the context
 * @param timeout_ms call tsk_ctx_socket_action(ctx, TSK_NO_FD, 0, ...)
 *        after this many milliseconds (0: as soon as possible, from the
 *        loop, not from inside the callback); -1 removes the timer
 * @param userdata as given to tsk_ctx_set_timer_cb()
 * @since 0.1
 */
typedef void (*tsk_timer_cb)(tsk_ctx *ctx, long timeout_ms, void *userdata);

/**
 * Done callback: the query has ended. Runs exactly once per accepted
 * query, from inside tsk_ctx_socket_action() or tsk_ctx_free().
 * @param q the query; valid until the callback returns
 * @param result TSK_OK when the carriers were asked (each shipment carries
 *        its own error: not_found, http, timeout...); TSK_ECANCELED after
 *        tsk_query_cancel() or tsk_ctx_free(); TSK_ENOMEM or TSK_ERROR when
 *        the library itself failed
 * @param shipments borrowed until the callback returns: one shipment per
 *        number, in the order submitted; NULL unless result is TSK_OK.
 *        Keep it with tsk_query_take_shipments() (no copy) or
 *        tsk_shipment_dup() (one shipment).
 * @param userdata as given to tsk_query_submit()
 * @since 0.1
 */
typedef void (*tsk_done_cb)(tsk_query *q, int result, const tsk_shipment_list *shipments,
                            void *userdata);

/** The version of tsk_query_opts this header describes. @since 0.1 */
#define TSK_QUERY_OPTS_VERSION 1

/**
 * What to track. Initialise with TSK_QUERY_OPTS_INIT, then set the fields.
 * @since 0.1
 */
typedef struct tsk_query_opts {
	unsigned int version;              /**< TSK_QUERY_OPTS_VERSION */
	const char *carrier;               /**< registry name, or NULL / "auto" to ask every candidate */
	const char *const *numbers;        /**< the numbers as typed; copied by tsk_query_submit() */
	size_t count;                      /**< how many numbers (0 gives an empty list) */
	const tsk_shipment_list *previous; /**< optional snapshots from the last poll, as for
	                                        tsk_track_batch(); borrowed during tsk_query_submit()
	                                        only (the matching ones are copied) */
} tsk_query_opts;

/** Initializer for tsk_query_opts. @since 0.1 */
#define TSK_QUERY_OPTS_INIT { TSK_QUERY_OPTS_VERSION, NULL, NULL, 0, NULL }

/**
 * Set the socket callback. Required before tsk_query_submit().
 * @param ctx the context
 * @param cb the callback, or NULL to remove it
 * @param userdata passed to cb (borrowed)
 * @return TSK_OK; TSK_EINVAL when ctx is NULL or queries are in flight
 *         (the callbacks may change only while none is); TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_ctx_set_socket_cb(tsk_ctx *ctx, tsk_socket_cb cb, void *userdata);

/**
 * Set the timer callback. Required before tsk_query_submit().
 * @param ctx the context
 * @param cb the callback, or NULL to remove it
 * @param userdata passed to cb (borrowed)
 * @return TSK_OK; TSK_EINVAL when ctx is NULL or queries are in flight;
 *         TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_ctx_set_timer_cb(tsk_ctx *ctx, tsk_timer_cb cb, void *userdata);

/**
 * Start tracking numbers without blocking. Nothing is sent before the
 * caller's loop calls tsk_ctx_socket_action(); the timer callback is
 * armed before this returns. Numbers that cannot be valid and an empty
 * list are answered too, from the loop, like every other query.
 * @param[out] out the query (borrowed: valid until its done callback
 *        returns, for tsk_query_cancel()); may be NULL
 * @param ctx the context (socket and timer callbacks set)
 * @param opts what to track; copied, nothing is kept after the call
 * @param done called exactly once when the query ends (see GUARANTEES)
 * @param userdata passed to done (borrowed)
 * @return TSK_OK (done will run); or, and done never runs:
 *         TSK_EINVAL (missing argument, callbacks not set, or called from
 *         a socket or timer callback), TSK_EVERSION (opts->version),
 *         TSK_ENOCARRIER (no such carrier), TSK_ECANCELED (the context is
 *         being freed), TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_query_submit(tsk_query **out, tsk_ctx *ctx, const tsk_query_opts *opts,
                             tsk_done_cb done, void *userdata);

/**
 * Cancel a query: its transfers stop now, and its done callback runs with
 * TSK_ECANCELED from the next tsk_ctx_socket_action() (the timer callback
 * is armed with 0 ms), never from inside this call. A query whose result
 * is ready but whose callback has not run yet is canceled too.
 * @param q a query whose done callback has not returned yet
 * @return TSK_OK; TSK_EINVAL when q is NULL, when called from q's own done
 *         callback, or from a socket or timer callback.
 * @since 0.1
 */
TSK_API int tsk_query_cancel(tsk_query *q);

/**
 * Take the shipments of a finished query, without copying. Only from
 * inside the query's done callback, when result is TSK_OK. The list is the
 * one the callback received as shipments: do not free it through that
 * pointer, and the library no longer frees it when the callback returns.
 * @param[out] out caller owns (tsk_shipment_list_free)
 * @param q the query whose done callback is running
 * @return TSK_OK; TSK_EINVAL outside the done callback, when the result is
 *         not TSK_OK, or when already taken.
 * @since 0.1
 */
TSK_API int tsk_query_take_shipments(tsk_shipment_list **out, tsk_query *q);

/**
 * The context a query belongs to (to submit more from a done callback).
 * @return borrowed; NULL when q is NULL.
 * @since 0.1
 */
TSK_API tsk_ctx *tsk_query_ctx(const tsk_query *q);

/**
 * Tell the engine what the loop saw, and let it work: read and write the
 * ready descriptor, time out, retry, start waiting transfers, parse what
 * finished and run done callbacks.
 * @param ctx the context
 * @param fd a descriptor the socket callback announced, or TSK_NO_FD when
 *        the timer expired
 * @param events for fd: TSK_POLL_IN, TSK_POLL_OUT and/or TSK_POLL_ERR as
 *        the loop saw them (0: let the engine find out); ignored for
 *        TSK_NO_FD
 * @param[out] running_out queries whose done callback has not run yet
 *        (0: nothing left to drive); may be NULL
 * @return TSK_OK; TSK_EINVAL (ctx NULL, or called from a callback);
 *         TSK_ENOMEM or TSK_ERROR when the engine failed (queries stay in
 *         flight; calling again may recover).
 * @since 0.1
 */
TSK_API int tsk_ctx_socket_action(tsk_ctx *ctx, int fd, int events, int *running_out);

TSK_END_DECLS

#endif /* TSUISEKI_LOOP_H */
