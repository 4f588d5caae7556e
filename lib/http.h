/*
 * Private: the HTTP engine over libcurl. Only lib/http*.c include curl.
 *
 * An engine is one curl multi handle (kept across calls, so connections are
 * reused) plus the transfers it holds between calls — waiting for a
 * politeness slot or a retry time, or running — and the per-carrier
 * politeness state. A job never fails the others.
 *
 * Two drivers share everything but the way curl is pumped (curl forbids
 * mixing curl_multi_perform and curl_multi_socket_action on one multi
 * handle, so a context holds one engine of each kind):
 *  - blocking: tsk__http_run adds a set of jobs and waits in
 *    curl_multi_poll until each has a result (tsk_track, tsk_track_batch);
 *  - socket: tsk__http_add / tsk__http_kick queue and start jobs,
 *    tsk__http_socket_action pumps curl when the caller's loop sees a
 *    socket or the timer fire, and each job's done function runs when it
 *    ends (lib/query.c, include/tsuiseki/loop.h).
 */
#ifndef TSK_LIB_HTTP_H
#define TSK_LIB_HTTP_H

#include "tsuiseki.h"
#include <stdbool.h>
#include <stdint.h>

/* Politeness shared with other processes (several pollers of one fleet,
 * lib/share_pg.c): the engine asks before starting each attempt, after its
 * own limits allow it, and says when an attempt that was let go ended.
 * The answers come from the sharer's local allowance (slots and places it
 * took in blocks): asking costs O(1) but when a block is spent. */
enum tsk__share_answer {
	TSK__SHARE_GO,             /* a slot and a parallel place taken: start now */
	TSK__SHARE_WAIT,           /* ask again at *retry_at (tsk__http_now_ms clock) */
	TSK__SHARE_CLOSED          /* the carrier is unavailable (msg written): the job ends unsent */
};

typedef struct tsk__http_share {
	/* rps, max_parallel: the carrier's limits for all processes together;
	 * waiting: the carrier's transfers waiting here (this one included) */
	int (*acquire)(void *data, const char *carrier, long rps, long max_parallel, size_t waiting, int64_t now,
	               int64_t *retry_at, char *msg, size_t msglen);
	/* an attempt acquire let go has ended; waiting as above */
	void (*release)(void *data, const char *carrier, size_t waiting);
	/* not the engine's: the context's breaker (lib/politeness.c) opened
	 * for open_for_ms, or closed (0) */
	void (*breaker)(void *data, const char *carrier, int64_t open_for_ms);
	void *data;
} tsk__http_share;

typedef struct tsk__http_settings {
	long connect_timeout_ms;
	long timeout_ms;           /* whole transfer, per attempt */
	size_t max_response;       /* bytes of decoded body */
	long max_parallel;         /* per carrier */
	long max_retries;          /* on network errors, 5xx and 429 */
	long retry_base_ms;        /* backoff base, doubled per attempt, with jitter */
	long retry_max_ms;         /* cap of one wait (Retry-After included) */
	long requests_per_second;  /* per carrier, 0 = unlimited */
	bool verify_tls;
	const char *user_agent;    /* "tsuiseki/0.1.0"; must outlive the job */
	/* optional circuit breaker (lib/politeness.h): gate is asked before
	 * every attempt (false: the job ends with TSK_ECARRIER_UNAVAILABLE and
	 * the message gate wrote, no request sent); report is told each
	 * attempt's outcome (0 answered, 1 failed, 2 blocked by a 403) */
	bool (*gate)(void *userdata, const char *carrier, char *msg, size_t msglen);
	void (*report)(void *userdata, const char *carrier, int outcome, int code, long http_status);
	void *breaker_userdata;
	/* optional; acquire NULL: nothing shared */
	const tsk__http_share *share;
} tsk__http_settings;

typedef struct tsk__http_job tsk__http_job;

/* Called once when a job ends with a result, in either driver (never on
 * cancel, nor for the jobs a blocking run leaves unfinished); it must not
 * re-enter the engine. */
typedef void (*tsk__http_done_fn)(tsk__http_job *job, void *userdata);

struct tsk__http_job {
	/* in */
	const tsk_request *req;    /* borrowed; must outlive the job */
	const char *carrier;       /* politeness limits are per carrier */
	long max_parallel;         /* > 0: this job's carrier's own limits, over the settings' */
	long requests_per_second;  /* >= 0 with max_parallel > 0 */
	tsk__http_done_fn done;    /* may be NULL */
	void *done_userdata;
	/* out (a batch keeps one job per request to its end: no padding) */
	int attempts;
	int result;                /* TSK_OK: a complete response (any status
	                              except exhausted 5xx/429); else TSK_ENETWORK,
	                              TSK_ETIMEOUT, TSK_EHTTP (5xx after retries,
	                              204/205/304, a redirect not followed, or
	                              body over max_response), TSK_ERATELIMITED
	                              (429 after retries, or a Retry-After longer
	                              than retry_max_ms), TSK_ECANCELED, TSK_ENOMEM */
	long http_status;
	long retry_after_s;        /* the last answer's Retry-After (seconds), 0 when none */
	char *body;                /* malloc'd, NUL-terminated, body_len bytes */
	size_t body_len;
	char *content_type;        /* malloc'd or NULL */
	char *message;             /* English, names URL (redacted) and what happened;
	                              NULL while there is nothing to say (a batch of
	                              100,000 answers holds no message buffers):
	                              read it with tsk__http_job_message */
	/* engine-private: the transfer while the job is queued or running */
	void *xfer;
};

typedef struct tsk__http tsk__http;

/* The socket driver tells its owner which descriptors to watch:
 * what is TSK_POLL_IN, _OUT, _INOUT or _REMOVE. */
typedef void (*tsk__http_socket_fn)(int fd, int what, void *userdata);

/* A blocking engine (tsk__http_run). */
int tsk__http_new(tsk__http **out);
/* A socket-driven engine; fn is called from inside curl. */
int tsk__http_new_socket(tsk__http **out, tsk__http_socket_fn fn, void *userdata);
/* Ends every job still held (result TSK_ECANCELED, done not called), tells
 * fn to REMOVE every descriptor still watched, then frees. Accepts NULL. */
void tsk__http_free(tsk__http *h);

/* Blocking driver: run every job; returns TSK_OK, or TSK_ENOMEM / TSK_ECANCELED
 * (tsk__http_wakeup from another thread) / TSK_ERROR with the unfinished
 * jobs marked. */
int tsk__http_run(tsk__http *h, const tsk__http_settings *cfg, tsk__http_job *jobs, size_t n);
/* Thread-safe: interrupt tsk__http_run. */
int tsk__http_wakeup(tsk__http *h);

/* Socket driver: queue a job (settings copied); nothing starts until
 * tsk__http_kick or tsk__http_socket_action. TSK_OK or TSK_ENOMEM. */
int tsk__http_add(tsk__http *h, const tsk__http_settings *cfg, tsk__http_job *job);
/* Start what politeness allows. A job that cannot start (out of memory)
 * ends at once through its done function. */
void tsk__http_kick(tsk__http *h);
/* Drop a queued or running job: result TSK_ECANCELED, done not called.
 * TSK_EINVAL when the job is not held (already ended). */
int tsk__http_cancel(tsk__http *h, tsk__http_job *job);
/* fd ready (events: TSK_POLL_IN | _OUT | _ERR), or TSK_NO_FD when the
 * timer fired. Ends finished jobs (done functions run), starts waiting
 * ones. TSK_OK, TSK_ENOMEM or TSK_ERROR (curl's multi handle failed). */
int tsk__http_socket_action(tsk__http *h, int fd, int events);
/* When the engine next needs tsk__http_socket_action(TSK_NO_FD): the
 * earliest of curl's timer and the engine's own (retry backoff,
 * Retry-After, politeness), on the tsk__http_now_ms clock; -1 for none. */
int64_t tsk__http_deadline(const tsk__http *h);
/* True while the engine is inside curl (the socket function runs then):
 * the owner must not re-enter the engine. */
bool tsk__http_busy(const tsk__http *h);
/* Jobs held (queued or running). */
size_t tsk__http_pending(const tsk__http *h);

/* An absolute http:// or https:// URL with a host, as curl parses it. */
bool tsk__http_url_ok(const char *url);
/* The same, telling a failed allocation (TSK_ENOMEM) from a bad URL (TSK_EINVAL). */
int tsk__http_url_check(const char *url);
/* Monotonic milliseconds. */
int64_t tsk__http_now_ms(void);
/* Free a job's outputs (body, content type, message). */
void tsk__http_job_dispose(tsk__http_job *job);
/* The job's message, "" when it has none. */
const char *tsk__http_job_message(const tsk__http_job *job);
/* Set the job's message (printf-style, at most 511 bytes, as before the
 * buffer became an allocation). When the copy cannot be made the job
 * still says "out of memory" and its result becomes TSK_ENOMEM: an
 * error never ends without words. */
void tsk__http_job_say(tsk__http_job *job, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* One-time libcurl initialisation (pthread_once inside). */
int tsk__http_global_init(void);

#endif
