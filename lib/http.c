/*
 * The HTTP engine: libcurl multi, used blocking.
 *
 * Invariants:
 *  - every job ends with exactly one result; one job's failure never
 *    touches another's;
 *  - at most max_parallel transfers per carrier are in flight, and starts
 *    per carrier are spaced by 1/requests_per_second;
 *  - a retry waits base * 2^attempt with +-25 % jitter, or the server's
 *    Retry-After when it says so, capped at retry_max_ms;
 *  - the body is capped at max_response decoded bytes in the write
 *    callback (curl's own MAXFILESIZE only sees declared lengths).
 */
#define _POSIX_C_SOURCE 200809L
#include "http.h"
#include "request.h"
#include "util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tsk__http {
	CURLM *multi;
	atomic_int cancel;   /* set by tsk__http_wakeup from any thread */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int tsk__http_global_init(void)
{
	pthread_once(&curl_once, curl_init);
	return curl_init_rc == CURLE_OK ? TSK_OK : TSK_ERROR;
}

int tsk__http_new(tsk__http **out)
{
	tsk__http *h = calloc(1, sizeof *h);
	if (!h)
		return TSK_ENOMEM;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return TSK_ENOMEM;
	}
	*out = h;
	return TSK_OK;
}

void tsk__http_free(tsk__http *h)
{
	if (!h)
		return;
	curl_multi_cleanup(h->multi);
	free(h);
}

int tsk__http_wakeup(tsk__http *h)
{
	if (!h)
		return TSK_EINVAL;
	atomic_store(&h->cancel, 1);
	return curl_multi_wakeup(h->multi) == CURLM_OK ? TSK_OK : TSK_ERROR;
}

void tsk__http_job_dispose(tsk__http_job *job)
{
	free(job->body);
	free(job->content_type);
	job->body = job->content_type = NULL;
	job->body_len = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Per-job transfer state. */
struct xfer {
	tsk__http_job *job;
	CURL *easy;
	struct curl_slist *headers;
	tsk__buf body;
	size_t cap;
	bool oversize;
	enum { X_WAITING, X_RUNNING, X_DONE } state;
	int64_t not_before;        /* earliest start of the next attempt */
	int carrier_slot;
};

struct carrier_state {
	const char *name;
	long active;
	int64_t next_start;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	if (x->body.len + n > x->cap) {
		x->oversize = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	tsk__buf_add(&x->body, data, n);
	return x->body.failed ? 0 : n;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: jitter only, no security role */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int64_t backoff_ms(const tsk__http_settings *cfg, int attempt, long retry_after_s, uint64_t *rng)
{
	int64_t wait;
	if (retry_after_s > 0) {
		wait = (int64_t)retry_after_s * 1000;
	} else {
		wait = cfg->retry_base_ms;
		for (int i = 1; i < attempt && wait < cfg->retry_max_ms; i++)
			wait *= 2;
		if (wait > 0) {
			int64_t spread = wait / 4;
			if (spread > 0)
				wait += (int64_t)(rng_next(rng) % (uint64_t)(2 * spread + 1)) - spread;
		}
	}
	if (wait > cfg->retry_max_ms)
		wait = cfg->retry_max_ms;
	return wait < 0 ? 0 : wait;
}

static int start_transfer(tsk__http *h, const tsk__http_settings *cfg, struct xfer *x)
{
	const tsk_request *r = x->job->req;
	tsk__buf_dispose(&x->body);
	tsk__buf_add(&x->body, "", 0);
	x->oversize = false;
	if (!x->easy && !(x->easy = curl_easy_init()))
		return TSK_ENOMEM;
	CURL *e = x->easy;
	curl_easy_reset(e);
	if (!x->headers) {
		for (size_t i = 0; i < r->nheaders; i++) {
			struct curl_slist *n = curl_slist_append(x->headers, r->headers[i]);
			if (!n)
				return TSK_ENOMEM;
			x->headers = n;
		}
		if (r->content_type) {
			char line[256];
			snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
			struct curl_slist *n = curl_slist_append(x->headers, line);
			if (!n)
				return TSK_ENOMEM;
			x->headers = n;
		}
		/* no "Expect: 100-continue" round trip for small form posts */
		struct curl_slist *n = curl_slist_append(x->headers, "Expect:");
		if (!n)
			return TSK_ENOMEM;
		x->headers = n;
	}
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, cfg->user_agent);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, cfg->verify_tls ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, cfg->verify_tls ? 2L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_response);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		if (strcmp(r->method, "PUT") == 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	x->job->attempts++;
	return curl_multi_add_handle(h->multi, e) == CURLM_OK ? TSK_OK : TSK_ENOMEM;
}

static bool retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Decide the outcome of one finished attempt; returns true when final. */
static bool finish_attempt(const tsk__http_settings *cfg, struct xfer *x, CURLcode code,
                           uint64_t *rng, int64_t now)
{
	tsk__http_job *job = x->job;
	const char *url = job->req->url;
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	job->http_status = status;
	bool can_retry = job->attempts <= cfg->max_retries;
	long retry_after = 0;

	if (x->oversize || code == CURLE_FILESIZE_EXCEEDED) {
		job->result = TSK_EHTTP;
		snprintf(job->message, sizeof job->message,
		         "%s: response larger than the %zu-byte limit", url, cfg->max_response);
		return true;
	}
	if (code != CURLE_OK) {
		job->result = code == CURLE_OPERATION_TIMEDOUT ? TSK_ETIMEOUT : TSK_ENETWORK;
		snprintf(job->message, sizeof job->message, "%s: %s (after %d attempt%s)", url,
		         curl_easy_strerror(code), job->attempts, job->attempts == 1 ? "" : "s");
		if (!retryable_curl(code) || !can_retry)
			return true;
	} else if (status == 429 || status >= 500) {
		curl_off_t ra = 0;
		if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			retry_after = (long)ra;
		job->result = status == 429 ? TSK_ERATELIMITED : TSK_EHTTP;
		snprintf(job->message, sizeof job->message, "%s: HTTP %ld%s (after %d attempt%s)", url,
		         status, status == 429 ? " Too Many Requests" : "", job->attempts,
		         job->attempts == 1 ? "" : "s");
		/* a Retry-After beyond our cap: give up now rather than hammer */
		if (!can_retry || (retry_after > 0 && retry_after * 1000L > cfg->retry_max_ms))
			return true;
	} else {
		job->result = TSK_OK;
		job->message[0] = '\0';
		char *ct = NULL;
		curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
		free(job->content_type);
		job->content_type = ct ? tsk__strdup(ct) : NULL;
		size_t len = x->body.len;
		free(job->body);
		job->body = tsk__buf_detach(&x->body);
		job->body_len = len;
		if (!job->body) {
			job->result = TSK_ENOMEM;
			snprintf(job->message, sizeof job->message, "out of memory");
		}
		return true;
	}
	x->not_before = now + backoff_ms(cfg, job->attempts, retry_after, rng);
	return false;
}

int tsk__http_run(tsk__http *h, const tsk__http_settings *cfg, tsk__http_job *jobs, size_t n)
{
	if (!h || !cfg || (n && !jobs))
		return TSK_EINVAL;
	if (n == 0)
		return TSK_OK;
	struct xfer *xs = calloc(n, sizeof *xs);
	struct carrier_state *cs = calloc(n, sizeof *cs);
	if (!xs || !cs) {
		free(xs);
		free(cs);
		return TSK_ENOMEM;
	}
	size_t ncs = 0;
	for (size_t i = 0; i < n; i++) {
		xs[i].job = &jobs[i];
		xs[i].cap = cfg->max_response;
		jobs[i].result = TSK_ERROR;
		jobs[i].attempts = 0;
		jobs[i].message[0] = '\0';
		const char *name = jobs[i].carrier ? jobs[i].carrier : "";
		size_t k = 0;
		while (k < ncs && strcmp(cs[k].name, name) != 0)
			k++;
		if (k == ncs)
			cs[ncs++].name = name;
		xs[i].carrier_slot = (int)k;
	}
	uint64_t rng = (uint64_t)now_ms() * 0x9E3779B97F4A7C15ULL | 1;
	int64_t spacing = cfg->requests_per_second > 0 ? 1000 / cfg->requests_per_second : 0;
	size_t remaining = n;
	int rc = TSK_OK;
	atomic_store(&h->cancel, 0);

	while (remaining > 0) {
		int64_t t = now_ms();
		int64_t next_wake = -1;
		/* start what may start */
		for (size_t i = 0; i < n; i++) {
			struct xfer *x = &xs[i];
			if (x->state != X_WAITING)
				continue;
			struct carrier_state *c = &cs[x->carrier_slot];
			if (c->active >= cfg->max_parallel)
				continue;
			int64_t at = x->not_before > c->next_start ? x->not_before : c->next_start;
			if (at > t) {
				if (next_wake < 0 || at < next_wake)
					next_wake = at;
				continue;
			}
			if (start_transfer(h, cfg, x) != TSK_OK) {
				x->job->result = TSK_ENOMEM;
				snprintf(x->job->message, sizeof x->job->message, "out of memory");
				x->state = X_DONE;
				remaining--;
				continue;
			}
			x->state = X_RUNNING;
			c->active++;
			c->next_start = t + spacing;
		}
		int running = 0;
		if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
			rc = TSK_ERROR;
			break;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(h->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			CURLcode code = msg->data.result;
			curl_multi_remove_handle(h->multi, msg->easy_handle);
			cs[x->carrier_slot].active--;
			if (finish_attempt(cfg, x, code, &rng, now_ms())) {
				x->state = X_DONE;
				remaining--;
			} else {
				x->state = X_WAITING;
			}
		}
		if (remaining == 0)
			break;
		long curl_timeout = -1;
		curl_multi_timeout(h->multi, &curl_timeout);
		int64_t wait = 1000;
		if (curl_timeout >= 0 && curl_timeout < wait)
			wait = curl_timeout;
		if (next_wake >= 0) {
			int64_t until = next_wake - now_ms();
			if (until < wait)
				wait = until < 0 ? 0 : until;
		}
		int numfds = 0;
		if (curl_multi_poll(h->multi, NULL, 0, (int)wait, &numfds) != CURLM_OK) {
			rc = TSK_ERROR;
			break;
		}
		(void)numfds;
		if (atomic_exchange(&h->cancel, 0)) {
			rc = TSK_ECANCELED;
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (xs[i].easy) {
			curl_multi_remove_handle(h->multi, xs[i].easy);
			curl_easy_cleanup(xs[i].easy);
		}
		curl_slist_free_all(xs[i].headers);
		tsk__buf_dispose(&xs[i].body);
		if (xs[i].state != X_DONE && rc != TSK_OK) {
			xs[i].job->result = rc;
			snprintf(xs[i].job->message, sizeof xs[i].job->message, "transfer interrupted");
		}
	}
	free(xs);
	free(cs);
	return rc;
}
