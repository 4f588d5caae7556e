/*
 * Private: the HTTP engine over libcurl. Only lib/http*.c include curl.
 *
 * One engine per context (a curl multi handle kept across calls so
 * connections are reused). tsk__http_run performs a set of jobs
 * concurrently and blocks until each has a result; a job never fails the
 * others.
 */
#ifndef TSK_LIB_HTTP_H
#define TSK_LIB_HTTP_H

#include "tsuiseki.h"
#include <stdbool.h>

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
	const char *user_agent;    /* "tsuiseki/0.1.0 (+https://…)" */
} tsk__http_settings;

typedef struct tsk__http_job {
	/* in */
	const tsk_request *req;
	const char *carrier;       /* politeness limits are per carrier */
	/* out */
	int result;                /* TSK_OK: a complete response (any status
	                              except exhausted 5xx/429); else TSK_ENETWORK,
	                              TSK_ETIMEOUT, TSK_EHTTP (5xx after retries,
	                              or body over max_response), TSK_ERATELIMITED
	                              (429 after retries), TSK_ECANCELED */
	long http_status;
	char *body;                /* malloc'd, NUL-terminated, body_len bytes */
	size_t body_len;
	char *content_type;        /* malloc'd or NULL */
	char message[256];         /* English, names URL and what happened */
	int attempts;
} tsk__http_job;

typedef struct tsk__http tsk__http;

int tsk__http_new(tsk__http **out);
void tsk__http_free(tsk__http *h);
/* Blocking: run every job; returns TSK_OK, or TSK_ENOMEM / TSK_ECANCELED
 * (tsk__http_wakeup from another thread) with the unfinished jobs marked. */
int tsk__http_run(tsk__http *h, const tsk__http_settings *cfg, tsk__http_job *jobs, size_t n);
/* Thread-safe: interrupt tsk__http_run. */
int tsk__http_wakeup(tsk__http *h);
/* Free a job's outputs. */
void tsk__http_job_dispose(tsk__http_job *job);
/* One-time libcurl initialisation (pthread_once inside). */
int tsk__http_global_init(void);

#endif
