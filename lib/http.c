/*
 * The HTTP engine: libcurl multi, driven blocking (curl_multi_poll) or by
 * the caller's event loop (curl_multi_socket_action).
 *
 * Invariants:
 *  - every job added ends with exactly one result; one job's failure never
 *    touches another's; a job is held (job->xfer set) from add to its end;
 *  - transfers of a carrier start in the order they were added (a retry
 *    takes its place again once its time has come), as politeness allows:
 *    at most max_parallel transfers per carrier are in flight, and starts
 *    per carrier are spaced by 1/requests_per_second — the carrier table
 *    lives as long as the engine, so the spacing holds across calls;
 *  - a retry waits base * 2^attempt with +-25 % jitter, or the server's
 *    Retry-After when it says so, capped at retry_max_ms;
 *  - the body is capped at max_response decoded bytes in the write
 *    callback (curl's own MAXFILESIZE only sees declared lengths);
 *  - an engine is one driver for its whole life: curl forbids mixing
 *    curl_multi_perform and curl_multi_socket_action on one multi handle;
 *  - in the socket driver the owner is told about every descriptor curl
 *    watches, and told to REMOVE each one before the engine is freed, so a
 *    caller's watch set never keeps a descriptor the engine closed;
 *  - with a sharer (settings' share: other processes share the carrier's
 *    limits) an attempt also waits for the sharer's go, asked only when
 *    the engine's own limits would start it, and the sharer is told when
 *    each attempt it let go ends;
 *  - a waiting transfer sits in exactly one of its carrier's two heaps,
 *    a running one in none: one socket action or timer costs O(log n) per
 *    transfer it starts or ends, plus O(carriers).
 */
#define _POSIX_C_SOURCE 200809L
#include "http.h"
#include "redact.h"
#include "request.h"
#include "util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A binary min-heap of waiting transfers; each knows its place (heap_at),
 * so a canceled one leaves in O(log n). */
struct heap {
	struct xfer **v;
	size_t n, cap;
	bool by_time;              /* order by not_before, then add order; else add order */
};

/* Per carrier, the transfers waiting to start: "ready" ones (new, or a
 * retry whose time has come) in add order, and retries not yet due by
 * time. Starting or timing one costs O(log n), never a walk of the batch. */
struct carrier_state {
	char *name;
	long active;
	int64_t next_start;
	int64_t share_at;          /* the sharer said to ask again then (settings' share) */
	size_t nxfers;             /* held, waiting or running: the heaps' room */
	struct heap ready, later;
};

/* One job's transfer, from add to the job's end. */
struct xfer {
	struct xfer *prev, *next;  /* the engine's list, in add order */
	tsk__http_job *job;
	tsk__http_settings cfg;    /* the settings in force when it was added */
	CURL *easy;                /* reused across retries */
	struct curl_slist *headers;
	tsk__buf body;
	bool oversize;
	bool running;              /* added to the multi handle */
	bool shared;               /* the sharer let this attempt go: tell it when it ends */
	int64_t not_before;        /* earliest start of the next attempt */
	uint64_t seq;              /* add order */
	enum { WAIT_NONE, WAIT_READY, WAIT_LATER } waits; /* which heap of its carrier */
	size_t heap_at;
	size_t carrier;            /* index into the carrier table */
	char *url;                 /* after a followed redirect; NULL: the request's */
	int redirects;             /* followed so far */
};

struct tsk__http {
	CURLM *multi;
	bool socket_mode;
	atomic_int cancel;         /* set by tsk__http_wakeup from any thread */
	struct xfer *head, *tail;
	size_t nxfers;
	CURL *idle[16];            /* easy handles of ended transfers, reset, for the next ones */
	size_t nidle;
	uint64_t seq;
	struct carrier_state *carriers;
	size_t ncarriers;
	uint64_t rng;
	/* socket driver */
	tsk__http_socket_fn socket_fn;
	void *socket_userdata;
	int64_t curl_deadline;     /* from CURLMOPT_TIMERFUNCTION; -1 none */
	int *watched;              /* descriptors the owner was told to watch */
	size_t nwatched, watched_cap;
	int in_curl;               /* depth of calls into curl */
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

int64_t tsk__http_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A message that could not be copied: it needs no allocation. */
static char oom_message[] = "out of memory";

static void job_clear_message(tsk__http_job *job)
{
	if (job->message != oom_message)
		free(job->message);
	job->message = NULL;
}

void tsk__http_job_dispose(tsk__http_job *job)
{
	free(job->body);
	free(job->content_type);
	job->body = job->content_type = NULL;
	job->body_len = 0;
	job_clear_message(job);
}

const char *tsk__http_job_message(const tsk__http_job *job)
{
	return job->message ? job->message : "";
}

void tsk__http_job_say(tsk__http_job *job, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	job_clear_message(job);
	if (!(job->message = tsk__strdup(text))) {
		job->message = oom_message;
		job->result = TSK_ENOMEM;
	}
}

/* ----------------------------------------------------------------- heaps */

static bool heap_less(const struct heap *hp, const struct xfer *a, const struct xfer *b)
{
	if (hp->by_time && a->not_before != b->not_before)
		return a->not_before < b->not_before;
	return a->seq < b->seq;
}

static void heap_set(struct heap *hp, size_t i, struct xfer *x)
{
	hp->v[i] = x;
	x->heap_at = i;
}

static void heap_up(struct heap *hp, size_t i)
{
	struct xfer *x = hp->v[i];
	while (i > 0 && heap_less(hp, x, hp->v[(i - 1) / 2])) {
		heap_set(hp, i, hp->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(hp, i, x);
}

static void heap_down(struct heap *hp, size_t i)
{
	struct xfer *x = hp->v[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= hp->n)
			break;
		if (c + 1 < hp->n && heap_less(hp, hp->v[c + 1], hp->v[c]))
			c++;
		if (!heap_less(hp, hp->v[c], x))
			break;
		heap_set(hp, i, hp->v[c]);
		i = c;
	}
	heap_set(hp, i, x);
}

/* Room was made when the transfer was added (heap_reserve), so a push
 * never fails. */
static void heap_push(struct heap *hp, struct xfer *x)
{
	x->waits = hp->by_time ? WAIT_LATER : WAIT_READY;
	heap_set(hp, hp->n++, x);
	heap_up(hp, hp->n - 1);
}

static void heap_remove(struct heap *hp, struct xfer *x)
{
	size_t i = x->heap_at;
	x->waits = WAIT_NONE;
	struct xfer *last = hp->v[--hp->n];
	if (i == hp->n)
		return;
	heap_set(hp, i, last);
	heap_up(hp, i);
	heap_down(hp, last->heap_at);
}

static bool heap_reserve(struct heap *hp, size_t need)
{
	return need <= hp->cap || TSK__GROW(hp->v, hp->cap, need);
}

/* ------------------------------------------------------------ lifecycle */

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
static int on_timer(CURLM *multi, long timeout_ms, void *userp);

static int engine_new(tsk__http **out, bool socket_mode)
{
	tsk__http *h = calloc(1, sizeof *h);
	if (!h)
		return TSK_ENOMEM;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return TSK_ENOMEM;
	}
	h->socket_mode = socket_mode;
	h->curl_deadline = -1;
	/* jitter only, no security role: the clock and the address differ
	 * enough between engines */
	h->rng = ((uint64_t)tsk__http_now_ms() * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)(uintptr_t)h;
	h->rng |= 1;
	*out = h;
	return TSK_OK;
}

int tsk__http_new(tsk__http **out)
{
	return engine_new(out, false);
}

int tsk__http_new_socket(tsk__http **out, tsk__http_socket_fn fn, void *userdata)
{
	if (!fn)
		return TSK_EINVAL;
	int rc = engine_new(out, true);
	if (rc != TSK_OK)
		return rc;
	tsk__http *h = *out;
	h->socket_fn = fn;
	h->socket_userdata = userdata;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return TSK_OK;
}

static void end_xfer(tsk__http *h, struct xfer *x, bool notify);

void tsk__http_free(tsk__http *h)
{
	if (!h)
		return;
	while (h->head) {
		tsk__http_job *job = h->head->job;
		job->result = TSK_ECANCELED;
		tsk__http_job_say(job, "transfer canceled");
		end_xfer(h, h->head, false);
	}
	/* curl keeps idle connections open until cleanup and does not always
	 * say REMOVE for them then: say it ourselves, then stop listening */
	for (size_t i = 0; i < h->nwatched; i++)
		h->socket_fn(h->watched[i], TSK_POLL_REMOVE, h->socket_userdata);
	h->nwatched = 0;
	h->socket_fn = NULL;
	for (size_t i = 0; i < h->nidle; i++)
		curl_easy_cleanup(h->idle[i]);
	curl_multi_cleanup(h->multi);
	for (size_t i = 0; i < h->ncarriers; i++) {
		free(h->carriers[i].name);
		free(h->carriers[i].ready.v);
		free(h->carriers[i].later.v);
	}
	free(h->carriers);
	free(h->watched);
	free(h);
}

int tsk__http_wakeup(tsk__http *h)
{
	if (!h)
		return TSK_EINVAL;
	atomic_store(&h->cancel, 1);
	return curl_multi_wakeup(h->multi) == CURLM_OK ? TSK_OK : TSK_ERROR;
}

bool tsk__http_busy(const tsk__http *h)
{
	return h && h->in_curl > 0;
}

size_t tsk__http_pending(const tsk__http *h)
{
	return h ? h->nxfers : 0;
}

/* ------------------------------------------------------------ transfers */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	if (x->body.len + n > x->cfg.max_response) {
		x->oversize = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (x->body.len == 0) {
		/* a declared length sizes the buffer at once: no doubling, no slack */
		curl_off_t cl = -1;
		if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
		    cl > 0 && (curl_off_t)n <= cl && (uint64_t)cl <= x->cfg.max_response)
			tsk__buf_reserve_exact(&x->body, (size_t)cl);
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

static int start_transfer(tsk__http *h, struct xfer *x)
{
	const tsk__http_settings *cfg = &x->cfg;
	const tsk_request *r = x->job->req;
	tsk__buf_dispose(&x->body);
	x->oversize = false;
	if (!x->easy && h->nidle)
		x->easy = h->idle[--h->nidle];
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
	curl_easy_setopt(e, CURLOPT_URL, x->url ? x->url : r->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* redirects are followed here, not by curl: only within the origin the
	 * request was built for (finish_attempt) */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
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
	h->in_curl++;
	CURLMcode mc = curl_multi_add_handle(h->multi, e);
	h->in_curl--;
	return mc == CURLM_OK ? TSK_OK : TSK_ENOMEM;
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

/* scheme://host:port of a URL (default ports made explicit, host lower
 * case); false when it is not an absolute http(s) URL. */
/* *oom (when not NULL) tells an allocation failure from a bad URL. */
static bool origin_of_oom(const char *url, char *out, size_t outlen, bool *oom)
{
	CURLU *u = curl_url();
	if (!u) {
		if (oom)
			*oom = true;
		return false;
	}
	char *scheme = NULL, *host = NULL, *port = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (uc == CURLUE_OUT_OF_MEMORY && oom)
		*oom = true;
	bool ok = uc == CURLUE_OK && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) && host[0];
	if (ok) {
		for (char *p = host; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		snprintf(out, outlen, "%s://%s:%s", scheme, host, port);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

static bool origin_of(const char *url, char *out, size_t outlen)
{
	return origin_of_oom(url, out, outlen, NULL);
}

bool tsk__http_url_ok(const char *url)
{
	char origin[16];
	return url && origin_of(url, origin, sizeof origin);
}

int tsk__http_url_check(const char *url)
{
	char origin[16];
	bool oom = false;
	if (url && origin_of_oom(url, origin, sizeof origin, &oom))
		return TSK_OK;
	return oom ? TSK_ENOMEM : TSK_EINVAL;
}

/*
 * A 3xx answer. Followed (true, x->url set) only to the same origin
 * (scheme, host and port) as the request it answers, so credentials and
 * the query never go to another host and https never becomes http; a
 * redirect that would turn a POST into a GET without its body, one to
 * another origin, one without a usable Location and the sixth in a row end
 * the job with TSK_EHTTP naming the status and the target's origin.
 */
static bool follow_redirect(struct xfer *x, long status, const char *url, const char *shown)
{
	tsk__http_job *job = x->job;
	const tsk_request *r = job->req;
	char *location = NULL;
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &location);
	char from[160], to[160];
	job->result = TSK_EHTTP;
	if (!location || !origin_of(url, from, sizeof from) || !origin_of(location, to, sizeof to)) {
		tsk__http_job_say(job, "%s: HTTP %ld redirect without a usable Location",
		         shown, status);
		return false;
	}
	char target[160];
	tsk__redact(target, sizeof target, to, (const char *const *)r->secrets, r->nsecrets);
	if (strcmp(from, to) != 0) {
		tsk__http_job_say(job,
		         "%s: HTTP %ld redirect to another host (%s) refused", shown, status, target);
		return false;
	}
	if (strcmp(r->method, "GET") != 0 && status != 307 && status != 308) {
		tsk__http_job_say(job,
		         "%s: HTTP %ld redirect would turn the %s into a GET without its body; not followed",
		         shown, status, r->method);
		return false;
	}
	if (x->redirects >= 5) {
		tsk__http_job_say(job, "%s: more than 5 redirects", shown);
		return false;
	}
	char *copy = tsk__strdup(location);
	if (!copy) {
		job->result = TSK_ENOMEM;
		tsk__http_job_say(job, "out of memory");
		return false;
	}
	free(x->url);
	x->url = copy;
	x->redirects++;
	return true;
}

/* Decide the outcome of one finished attempt; returns true when final. */
static bool finish_attempt(const tsk__http_settings *cfg, struct xfer *x, CURLcode code,
                           uint64_t *rng, int64_t now)
{
	tsk__http_job *job = x->job;
	const tsk_request *r = job->req;
	const char *current = x->url ? x->url : r->url;
	/* every message names the URL without its secrets */
	char url[300];
	tsk__redact(url, sizeof url, current, (const char *const *)r->secrets, r->nsecrets);
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	job->http_status = status;
	job->retry_after_s = 0;
	bool can_retry = job->attempts <= cfg->max_retries;
	long retry_after = 0;

	if (x->oversize || code == CURLE_FILESIZE_EXCEEDED) {
		job->result = TSK_EHTTP;
		tsk__http_job_say(job,
		         "%s: response larger than the %zu-byte limit", url, cfg->max_response);
		return true;
	}
	if (code == CURLE_OUT_OF_MEMORY) { /* ours, not the carrier's: never retried */
		job->result = TSK_ENOMEM;
		tsk__http_job_say(job, "out of memory");
		return true;
	}
	if (code != CURLE_OK) {
		job->result = code == CURLE_OPERATION_TIMEDOUT ? TSK_ETIMEOUT : TSK_ENETWORK;
		tsk__http_job_say(job, "%s: %s (after %d attempt%s)", url,
		         curl_easy_strerror(code), job->attempts, job->attempts == 1 ? "" : "s");
		if (!retryable_curl(code) || !can_retry)
			return true;
	} else if (status == 204 || status == 205 || status == 304) {
		/* no body by definition (and tsuiseki never asks conditionally):
		 * the server's status is the answer, not a page to parse */
		job->result = TSK_EHTTP;
		tsk__http_job_say(job, "%s: HTTP %ld %s: an answer without a body", url,
		         status, status == 204 ? "No Content" : status == 205 ? "Reset Content" : "Not Modified");
		return true;
	} else if (status >= 300 && status < 400) {
		if (!follow_redirect(x, status, current, url))
			return true;
		/* a hop, not a retry: start again at once */
		job->attempts--;
		x->not_before = now;
		return false;
	} else if (status == 429 || status >= 500) {
		curl_off_t ra = 0;
		if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			retry_after = (long)ra;
		job->retry_after_s = retry_after;
		if (retry_after > 0 && (int64_t)retry_after * 1000 > cfg->retry_max_ms) {
			/* the server asks for a longer wait than we make: not asked
			 * again before then (the shipment's next poll), never hammered */
			job->result = TSK_ERATELIMITED;
			tsk__http_job_say(job,
			         "%s: HTTP %ld%s asks to wait %ld s (Retry-After), longer than the %g s "
			         "a retry waits here; not asked again before then (after %d attempt%s)",
			         url, status, status == 429 ? " Too Many Requests" : "", retry_after,
			         (double)cfg->retry_max_ms / 1000.0, job->attempts, job->attempts == 1 ? "" : "s");
			return true;
		}
		job->result = status == 429 ? TSK_ERATELIMITED : TSK_EHTTP;
		tsk__http_job_say(job, "%s: HTTP %ld%s (after %d attempt%s)", url,
		         status, status == 429 ? " Too Many Requests" : "", job->attempts,
		         job->attempts == 1 ? "" : "s");
		if (!can_retry)
			return true;
	} else {
		job->result = TSK_OK;
		job_clear_message(job);
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
			tsk__http_job_say(job, "out of memory");
		}
		return true;
	}
	x->not_before = now + backoff_ms(cfg, job->attempts, retry_after, rng);
	return false;
}

/* Tell the sharer an attempt it let go has ended. */
static void share_release(tsk__http *h, struct xfer *x)
{
	if (!x->shared)
		return;
	x->shared = false;
	const struct carrier_state *c = &h->carriers[x->carrier];
	if (x->cfg.share->release)
		x->cfg.share->release(x->cfg.share->data, c->name, c->ready.n + c->later.n);
}

/* Release a transfer; with notify, the job's done function runs last (it
 * may not re-enter the engine). */
static void end_xfer(tsk__http *h, struct xfer *x, bool notify)
{
	share_release(h, x);
	if (x->easy) {
		h->in_curl++;
		if (x->running)
			curl_multi_remove_handle(h->multi, x->easy);
		/* a reset handle keeps nothing of this transfer (no pointer to it,
		 * no header, no credential) and saves the next one its set-up */
		if (h->nidle < TSK__ARRAY_LEN(h->idle)) {
			curl_easy_reset(x->easy);
			h->idle[h->nidle++] = x->easy;
		} else {
			curl_easy_cleanup(x->easy);
		}
		h->in_curl--;
	}
	struct carrier_state *c = &h->carriers[x->carrier];
	if (x->running)
		c->active--;
	if (x->waits != WAIT_NONE)
		heap_remove(x->waits == WAIT_LATER ? &c->later : &c->ready, x);
	c->nxfers--;
	curl_slist_free_all(x->headers);
	tsk__buf_dispose(&x->body);
	free(x->url);
	if (x->prev)
		x->prev->next = x->next;
	else
		h->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		h->tail = x->prev;
	h->nxfers--;
	tsk__http_job *job = x->job;
	job->xfer = NULL;
	free(x);
	if (notify && job->done)
		job->done(job, job->done_userdata);
}

static int add_xfer(tsk__http *h, const tsk__http_settings *cfg, tsk__http_job *job)
{
	const char *name = job->carrier ? job->carrier : "";
	size_t k = 0;
	while (k < h->ncarriers && strcmp(h->carriers[k].name, name) != 0)
		k++;
	if (k == h->ncarriers) {
		struct carrier_state *n = realloc(h->carriers, (k + 1) * sizeof *n);
		if (!n)
			return TSK_ENOMEM;
		h->carriers = n;
		memset(&n[k], 0, sizeof n[k]);
		if (!(n[k].name = tsk__strdup(name)))
			return TSK_ENOMEM;
		n[k].later.by_time = true;
		h->ncarriers++;
	}
	struct carrier_state *c = &h->carriers[k];
	if (!heap_reserve(&c->ready, c->nxfers + 1) || !heap_reserve(&c->later, c->nxfers + 1))
		return TSK_ENOMEM;
	struct xfer *x = calloc(1, sizeof *x);
	if (!x)
		return TSK_ENOMEM;
	x->job = job;
	x->cfg = *cfg;
	if (job->max_parallel > 0) {
		x->cfg.max_parallel = job->max_parallel;
		x->cfg.requests_per_second = job->requests_per_second;
	}
	x->carrier = k;
	x->seq = h->seq++;
	c->nxfers++;
	heap_push(&c->ready, x);
	job->result = TSK_ERROR;
	job->attempts = 0;
	job->retry_after_s = 0;
	job_clear_message(job);
	job->xfer = x;
	x->prev = h->tail;
	if (h->tail)
		h->tail->next = x;
	else
		h->head = x;
	h->tail = x;
	h->nxfers++;
	return TSK_OK;
}

/* A carrier's retries whose time has come join its ready ones. */
static void promote_due(struct carrier_state *c, int64_t now)
{
	while (c->later.n && c->later.v[0]->not_before <= now) {
		struct xfer *x = c->later.v[0];
		heap_remove(&c->later, x);
		heap_push(&c->ready, x);
	}
}

/* When a carrier's next waiting transfer may start; -1 while none waits or
 * its carrier has no free slot (a slot frees only when a transfer ends,
 * and that is an event). */
static int64_t start_time(const struct carrier_state *c)
{
	const struct xfer *x = c->ready.n ? c->ready.v[0] : c->later.n ? c->later.v[0] : NULL;
	if (!x || c->active >= x->cfg.max_parallel)
		return -1;
	int64_t at = c->ready.n ? 0 : x->not_before;
	if (at < c->share_at)
		at = c->share_at;
	return at > c->next_start ? at : c->next_start;
}

/* Start what may start: per carrier in add order, as politeness allows. */
static void start_ready(tsk__http *h)
{
	int64_t t = tsk__http_now_ms();
	for (size_t k = 0; k < h->ncarriers; k++) {
		struct carrier_state *c = &h->carriers[k];
		promote_due(c, t);
		for (;;) {
			int64_t at = start_time(c);
			if (at < 0 || at > t || !c->ready.n)
				break;
			struct xfer *x = c->ready.v[0];
			heap_remove(&c->ready, x);
			/* other processes share the carrier's limits: their sharer says;
			 * what it or the breaker writes becomes the job's message */
			char said[512];
			snprintf(said, sizeof said, "%s", tsk__http_job_message(x->job));
			const tsk__http_share *sh = x->cfg.share;
			int go = sh && sh->acquire ? sh->acquire(sh->data, c->name, x->cfg.requests_per_second,
			                                         x->cfg.max_parallel, c->ready.n + c->later.n + 1, t,
			                                         &c->share_at, said, sizeof said)
			                           : TSK__SHARE_GO;
			if (go == TSK__SHARE_WAIT) {
				heap_push(&c->ready, x);
				if (c->share_at <= t)
					c->share_at = t + 1;
				break;
			}
			x->shared = go == TSK__SHARE_GO && sh && sh->acquire;
			/* the carrier's breaker is open (here or, by the sharer, for
			 * every process): the job ends unsent */
			bool closed = go == TSK__SHARE_CLOSED ||
			              (x->cfg.gate && !x->cfg.gate(x->cfg.breaker_userdata, c->name, said, sizeof said));
			if (closed) {
				x->job->result = TSK_ECARRIER_UNAVAILABLE;
				x->job->http_status = 0;
			}
			if (strcmp(said, tsk__http_job_message(x->job)) != 0)
				tsk__http_job_say(x->job, "%s", said);
			if (closed) {
				end_xfer(h, x, true);
				c = &h->carriers[k];
				continue;
			}
			if (start_transfer(h, x) != TSK_OK) {
				x->job->result = TSK_ENOMEM;
				tsk__http_job_say(x->job, "out of memory");
				end_xfer(h, x, true);
				c = &h->carriers[k];
				continue;
			}
			x->running = true;
			c->active++;
			long rps = x->cfg.requests_per_second;
			c->next_start = t + (rps > 0 ? 1000 / rps : 0);
		}
	}
}

/* The engine's own timer: the earliest start of a waiting transfer. */
static int64_t own_deadline(const tsk__http *h)
{
	int64_t best = -1;
	for (size_t k = 0; k < h->ncarriers; k++) {
		int64_t at = start_time(&h->carriers[k]);
		if (at >= 0 && (best < 0 || at < best))
			best = at;
	}
	return best;
}

/* Tell the breaker how one attempt went: the carrier answered, failed
 * (network error, timeout, 429, 5xx) or blocked us (403). A response over
 * the size cap is an answer. */
static void report_attempt(tsk__http *h, struct xfer *x, CURLcode code)
{
	if (code == CURLE_OUT_OF_MEMORY)
		return; /* says nothing of the carrier */
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	int outcome = 0, err = TSK_OK;
	if (x->oversize || code == CURLE_FILESIZE_EXCEEDED) {
		outcome = 0;
	} else if (code != CURLE_OK) {
		outcome = 1;
		err = code == CURLE_OPERATION_TIMEDOUT ? TSK_ETIMEOUT : TSK_ENETWORK;
		status = 0;
	} else if (status == 403) {
		outcome = 2;
		err = TSK_EHTTP;
	} else if (status == 429 || status >= 500) {
		outcome = 1;
		err = status == 429 ? TSK_ERATELIMITED : TSK_EHTTP;
	}
	x->cfg.report(x->cfg.breaker_userdata, h->carriers[x->carrier].name, outcome, err, status);
}

/* Read curl's finished transfers: retry or end each. */
static void collect(tsk__http *h)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode code = msg->data.result;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		h->in_curl++;
		curl_multi_remove_handle(h->multi, easy);
		h->in_curl--;
		x->running = false;
		h->carriers[x->carrier].active--;
		if (x->cfg.report)
			report_attempt(h, x, code);
		bool final = finish_attempt(&x->cfg, x, code, &h->rng, tsk__http_now_ms());
		if (!final)
			heap_push(&h->carriers[x->carrier].later, x);
		share_release(h, x); /* a retry waiting counts as work still to do */
		if (final)
			end_xfer(h, x, true);
	}
}

/* -------------------------------------------------------- blocking driver */

int tsk__http_run(tsk__http *h, const tsk__http_settings *cfg, tsk__http_job *jobs, size_t n)
{
	if (!h || !cfg || (n && !jobs) || h->socket_mode || h->nxfers)
		return TSK_EINVAL;
	if (n == 0)
		return TSK_OK;
	for (size_t i = 0; i < n; i++) {
		if (add_xfer(h, cfg, &jobs[i]) != TSK_OK) {
			while (h->head)
				end_xfer(h, h->head, false);
			return TSK_ENOMEM;
		}
	}
	int rc = TSK_OK;
	atomic_store(&h->cancel, 0);

	while (h->nxfers > 0) {
		start_ready(h);
		int running = 0;
		if (curl_multi_perform(h->multi, &running) != CURLM_OK) {
			rc = TSK_ERROR;
			break;
		}
		collect(h);
		if (h->nxfers == 0)
			break;
		long curl_timeout = -1;
		curl_multi_timeout(h->multi, &curl_timeout);
		int64_t wait = 1000;
		if (curl_timeout >= 0 && curl_timeout < wait)
			wait = curl_timeout;
		int64_t own = own_deadline(h);
		if (own >= 0) {
			int64_t until = own - tsk__http_now_ms();
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
	while (h->head) {
		tsk__http_job *job = h->head->job;
		job->result = rc;
		tsk__http_job_say(job, "transfer interrupted");
		end_xfer(h, h->head, false);
	}
	return rc;
}

/* ---------------------------------------------------------- socket driver */

static bool watched_has(const tsk__http *h, int fd, size_t *at)
{
	for (size_t i = 0; i < h->nwatched; i++)
		if (h->watched[i] == fd) {
			*at = i;
			return true;
		}
	return false;
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)easy;
	(void)socketp;
	tsk__http *h = userp;
	if (!h->socket_fn)
		return 0;
	size_t at;
	int fd = (int)s;
	if (what == CURL_POLL_REMOVE) {
		if (!watched_has(h, fd, &at))
			return 0;
		h->watched[at] = h->watched[--h->nwatched];
		h->socket_fn(fd, TSK_POLL_REMOVE, h->socket_userdata);
		return 0;
	}
	int tw = ((what & CURL_POLL_IN) ? TSK_POLL_IN : 0) | ((what & CURL_POLL_OUT) ? TSK_POLL_OUT : 0);
	if (!tw)
		return 0;
	if (!watched_has(h, fd, &at)) {
		if (h->nwatched == h->watched_cap) {
			size_t cap = h->watched_cap ? h->watched_cap * 2 : 16;
			int *n = realloc(h->watched, cap * sizeof *n);
			if (!n)
				return -1; /* curl fails the transfer: better than a lost socket */
			h->watched = n;
			h->watched_cap = cap;
		}
		h->watched[h->nwatched++] = fd;
	}
	h->socket_fn(fd, tw, h->socket_userdata);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	tsk__http *h = userp;
	h->curl_deadline = timeout_ms < 0 ? -1 : tsk__http_now_ms() + timeout_ms;
	return 0;
}

int tsk__http_add(tsk__http *h, const tsk__http_settings *cfg, tsk__http_job *job)
{
	if (!h || !cfg || !job || !h->socket_mode || job->xfer)
		return TSK_EINVAL;
	return add_xfer(h, cfg, job);
}

void tsk__http_kick(tsk__http *h)
{
	if (h && h->socket_mode)
		start_ready(h);
}

int tsk__http_cancel(tsk__http *h, tsk__http_job *job)
{
	if (!h || !job || !job->xfer)
		return TSK_EINVAL;
	job->result = TSK_ECANCELED;
	tsk__http_job_say(job, "transfer canceled");
	end_xfer(h, job->xfer, false);
	return TSK_OK;
}

int tsk__http_socket_action(tsk__http *h, int fd, int events)
{
	if (!h || !h->socket_mode)
		return TSK_EINVAL;
	int mask = 0;
	if (events & TSK_POLL_IN)
		mask |= CURL_CSELECT_IN;
	if (events & TSK_POLL_OUT)
		mask |= CURL_CSELECT_OUT;
	if (events & TSK_POLL_ERR)
		mask |= CURL_CSELECT_ERR;
	int running = 0;
	h->in_curl++;
	CURLMcode mc = fd == TSK_NO_FD
	                       ? curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running)
	                       : curl_multi_socket_action(h->multi, (curl_socket_t)fd, mask, &running);
	h->in_curl--;
	collect(h);
	start_ready(h);
	/* curl reports its timer only when it changes; one that has expired
	 * and still stands (curl had nothing to do yet) is asked for again */
	int64_t now = tsk__http_now_ms();
	if (h->curl_deadline >= 0 && h->curl_deadline <= now) {
		long ms = -1;
		if (curl_multi_timeout(h->multi, &ms) == CURLM_OK)
			h->curl_deadline = ms < 0 ? -1 : now + ms;
	}
	if (mc == CURLM_OK || mc == CURLM_BAD_SOCKET)
		return TSK_OK; /* a descriptor curl has just closed: nothing to do */
	return mc == CURLM_OUT_OF_MEMORY ? TSK_ENOMEM : TSK_ERROR;
}

int64_t tsk__http_deadline(const tsk__http *h)
{
	if (!h)
		return -1;
	int64_t own = own_deadline(h);
	int64_t c = h->curl_deadline;
	if (own < 0)
		return c;
	if (c < 0)
		return own;
	return own < c ? own : c;
}
