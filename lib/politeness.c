/*
 * Politeness per carrier: own limits and the circuit breaker (see
 * politeness.h).
 *
 * Breaker, per carrier and context:
 *  - closed: requests go; TSK_OPT_BREAKER_FAILURES failed attempts in a row
 *    (retries count), or one HTTP 403 (a block), open it;
 *  - open: no attempt goes until open_until; the cool-down is
 *    TSK_OPT_BREAKER_COOLDOWN_MS doubled for each opening since the last
 *    success, capped at TSK_OPT_BREAKER_MAX_COOLDOWN_MS;
 *  - half open (the cool-down is over): one attempt goes as a probe; its
 *    success closes the breaker, its failure opens it again, longer.
 *  Any success closes it (a request started before it opened may answer).
 *  Times are wall-clock so the state means the same to another process.
 */
#include "politeness.h"
#include "context.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const tsk_option limit_opts[2] = { TSK_OPT_MAX_PARALLEL, TSK_OPT_REQUESTS_PER_SECOND };
static const char *const limit_vars[2] = { "TSUISEKI_PARALLEL_", "TSUISEKI_RATE_" };

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The context's policies (its TSK__SLOT_POLICIES), one per carrier asked. */
struct policies {
	struct tsk__policy *list;
	size_t n;
};

static void policies_free(tsk_ctx *ctx, void *data)
{
	(void)ctx;
	struct policies *ps = data;
	for (size_t i = 0; i < ps->n; i++)
		free(ps->list[i].carrier);
	free(ps->list);
	free(ps);
}

static struct tsk__policy *find(tsk_ctx *ctx, const char *carrier)
{
	struct policies *ps = tsk__ctx_slot(ctx, TSK__SLOT_POLICIES);
	for (size_t i = 0; ps && i < ps->n; i++)
		if (strcmp(ps->list[i].carrier, carrier) == 0)
			return &ps->list[i];
	return NULL;
}

static struct tsk__policy *get(tsk_ctx *ctx, const char *carrier)
{
	struct tsk__policy *p = find(ctx, carrier);
	if (p)
		return p;
	struct policies *ps = tsk__ctx_slot(ctx, TSK__SLOT_POLICIES);
	if (!ps) {
		if (!(ps = calloc(1, sizeof *ps)))
			return NULL;
		tsk__ctx_set_slot(ctx, TSK__SLOT_POLICIES, ps, policies_free);
	}
	struct tsk__policy *n = realloc(ps->list, (ps->n + 1) * sizeof *n);
	if (!n)
		return NULL;
	ps->list = n;
	p = &n[ps->n];
	memset(p, 0, sizeof *p);
	if (!(p->carrier = tsk__strdup(carrier)))
		return NULL;
	p->own[0] = p->own[1] = -1;
	ps->n++;
	return p;
}

static int limit_index(tsk_option opt)
{
	return opt == TSK_OPT_MAX_PARALLEL ? 0 : opt == TSK_OPT_REQUESTS_PER_SECOND ? 1 : -1;
}

TSK_API int tsk_ctx_set_carrier_option(tsk_ctx *ctx, const char *carrier, tsk_option opt, long value)
{
	if (!ctx || !carrier || !*carrier)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_set_carrier_option: missing carrier");
	int k = limit_index(opt);
	if (k < 0)
		return tsk__ctx_error(ctx, TSK_EINVAL,
		                      "option %d is not per carrier (only TSK_OPT_MAX_PARALLEL and "
		                      "TSK_OPT_REQUESTS_PER_SECOND are)",
		                      (int)opt);
	long min, max;
	if (value != -1 && !tsk__option_in_range(opt, value, &min, &max))
		return tsk__ctx_error(ctx, TSK_EINVAL, "%s: option %d: %ld is outside %ld..%ld", carrier, (int)opt,
		                      value, min, max);
	struct tsk__policy *p = get(ctx, carrier);
	if (!p)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	p->own[k] = value;
	return TSK_OK;
}

/* One limit: the API's, else the environment's, else the context's. */
static int limit(tsk_ctx *ctx, const char *carrier, int k, long *out, tsk_error *err)
{
	struct tsk__policy *p = find(ctx, carrier);
	if (p && p->own[k] >= 0) {
		*out = p->own[k];
		return TSK_OK;
	}
	char var[128];
	size_t n = (size_t)snprintf(var, sizeof var, "%s", limit_vars[k]);
	for (const char *c = carrier; *c && n + 1 < sizeof var; c++)
		var[n++] = isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
	var[n] = '\0';
	const char *env = tsk__ctx_getenv(ctx, var);
	if (env && *env) {
		char *end = NULL;
		errno = 0;
		long v = strtol(env, &end, 10);
		long min, max;
		bool ok = errno == 0 && end != env && *end == '\0' && tsk__option_in_range(limit_opts[k], v, &min, &max);
		if (!ok) {
			tsk__option_in_range(limit_opts[k], 0, &min, &max);
			return tsk_error_set(err, TSK_ECONFIG,
			                     "%s: %s=\"%.40s\" is not a whole number in %ld..%ld; %s is not asked "
			                     "rather than asked without that limit",
			                     carrier, var, env, min, max, carrier);
		}
		*out = v;
		return TSK_OK;
	}
	*out = tsk_ctx_option(ctx, limit_opts[k]);
	return TSK_OK;
}

int tsk__policy_limits(tsk_ctx *ctx, const char *carrier, long *max_parallel, long *rps, tsk_error *err)
{
	int rc = limit(ctx, carrier, 0, max_parallel, err);
	return rc == TSK_OK ? limit(ctx, carrier, 1, rps, err) : rc;
}

TSK_API int tsk_ctx_carrier_option(tsk_ctx *ctx, const char *carrier, tsk_option opt, long *out)
{
	if (!ctx || !carrier || !out)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_carrier_option: missing argument");
	int k = limit_index(opt);
	if (k < 0)
		return tsk__ctx_error(ctx, TSK_EINVAL, "option %d is not per carrier", (int)opt);
	tsk_error err;
	tsk_error_clear(&err);
	int rc = limit(ctx, carrier, k, out, &err);
	return rc == TSK_OK ? rc : tsk__ctx_error(ctx, rc, "%s", err.message);
}

/* ---------------------------------------------------------------- breaker */

static void format_ms(char *buf, size_t len, int64_t ms)
{
	tsk_time t = { ms / 1000, TSK_JST_OFFSET, TSK_PRECISION_MINUTE };
	char tmp[48];
	tsk_time_format(tmp, sizeof tmp, &t);
	snprintf(buf, len, "%s", tmp);
}

/* Other processes share the carrier's breaker: tell them it opened for
 * open_for_ms, or closed (0). */
static void tell_sharer(tsk_ctx *ctx, const char *carrier, int64_t open_for_ms)
{
	const tsk__http_share *sh = tsk__ctx_slot(ctx, TSK__SLOT_SHARE);
	if (sh && sh->breaker)
		sh->breaker(sh->data, carrier, open_for_ms);
}

static void open_breaker(tsk_ctx *ctx, struct tsk__policy *p, int64_t now)
{
	long base = tsk_ctx_option(ctx, TSK_OPT_BREAKER_COOLDOWN_MS);
	long cap = tsk_ctx_option(ctx, TSK_OPT_BREAKER_MAX_COOLDOWN_MS);
	int64_t cool = base;
	for (unsigned i = 0; i < p->opened && cool < cap; i++)
		cool *= 2;
	if (cool > cap)
		cool = cap;
	p->opened++;
	p->state = TSK_BREAKER_OPEN;
	p->probing = false;
	p->imported = false;
	p->open_until_ms = now + cool;
	char until[48];
	format_ms(until, sizeof until, p->open_until_ms);
	tsk__ctx_log(ctx, 1, "%s: circuit breaker open until %s after %u failed request%s (%s)", p->carrier,
	             until, p->failures, p->failures == 1 ? "" : "s", tsk_error_name(p->last_error));
	tell_sharer(ctx, p->carrier, cool);
}

/* Closed: the carrier answers, and nothing of the failures is kept. */
static void close_breaker(struct tsk__policy *p)
{
	p->state = TSK_BREAKER_CLOSED;
	p->imported = false;
	p->failures = p->opened = 0;
	p->probing = false;
	p->open_until_ms = 0;
}

void tsk__breaker_import(tsk_ctx *ctx, const char *carrier, int64_t open_for_ms)
{
	if (tsk_ctx_option(ctx, TSK_OPT_BREAKER_FAILURES) == 0)
		return;
	struct tsk__policy *p = open_for_ms > 0 ? get(ctx, carrier) : find(ctx, carrier);
	if (!p)
		return;
	if (open_for_ms <= 0) {
		if (p->imported && p->state != TSK_BREAKER_CLOSED) {
			tsk__ctx_log(ctx, 2, "%s: circuit breaker closed, another poller found the carrier answering", carrier);
			close_breaker(p);
		}
		p->imported = false;
		return;
	}
	int64_t open_until_ms = wall_ms() + open_for_ms;
	if (p->state != TSK_BREAKER_CLOSED && p->open_until_ms >= open_until_ms)
		return; /* open here already, as long or longer */
	if (p->state == TSK_BREAKER_CLOSED || p->imported) {
		char until[48];
		format_ms(until, sizeof until, open_until_ms);
		tsk__ctx_log(ctx, 1, "%s: circuit breaker open until %s: another poller found the carrier down", carrier,
		             until);
	}
	if (p->state == TSK_BREAKER_CLOSED)
		p->imported = true;
	p->state = TSK_BREAKER_OPEN;
	p->probing = false;
	p->open_until_ms = open_until_ms;
}

bool tsk__breaker_gate(void *userdata, const char *carrier, char *msg, size_t msglen)
{
	tsk_ctx *ctx = userdata;
	if (tsk_ctx_option(ctx, TSK_OPT_BREAKER_FAILURES) == 0)
		return true;
	struct tsk__policy *p = find(ctx, carrier);
	if (!p || p->state == TSK_BREAKER_CLOSED)
		return true;
	int64_t now = wall_ms();
	if (p->state == TSK_BREAKER_OPEN && now >= p->open_until_ms) {
		p->state = TSK_BREAKER_HALF_OPEN;
		p->probing = false;
	}
	if (p->state == TSK_BREAKER_HALF_OPEN && !p->probing) {
		p->probing = true;
		return true;
	}
	char until[48];
	format_ms(until, sizeof until, p->open_until_ms);
	char last[64] = "";
	if (p->last_status)
		snprintf(last, sizeof last, " %ld", p->last_status);
	if (p->imported)
		snprintf(msg, msglen, "%s is unavailable until %s: circuit breaker opened by another poller that found it down%s",
		         carrier, until, p->state == TSK_BREAKER_HALF_OPEN ? "; a probe request is out" : "");
	else
		snprintf(msg, msglen,
		         "%s is unavailable until %s: circuit breaker open after %u failed request%s (last: %s%s)%s",
		         carrier, until, p->failures, p->failures == 1 ? "" : "s", tsk_error_name(p->last_error), last,
		         p->state == TSK_BREAKER_HALF_OPEN ? "; a probe request is out" : "");
	return false;
}

void tsk__breaker_report(void *userdata, const char *carrier, int outcome, int code, long http_status)
{
	tsk_ctx *ctx = userdata;
	long failures_max = tsk_ctx_option(ctx, TSK_OPT_BREAKER_FAILURES);
	if (failures_max == 0)
		return;
	struct tsk__policy *p = outcome == TSK__ATTEMPT_OK ? find(ctx, carrier) : get(ctx, carrier);
	if (!p)
		return; /* never asked before and answering, or out of memory: nothing to remember */
	if (outcome == TSK__ATTEMPT_OK) {
		if (p->state != TSK_BREAKER_CLOSED) {
			tsk__ctx_log(ctx, 2, "%s: circuit breaker closed, the carrier answers again", carrier);
			tell_sharer(ctx, carrier, 0);
		}
		close_breaker(p);
		return;
	}
	p->failures++;
	p->last_error = code;
	p->last_status = http_status;
	int64_t now = wall_ms();
	if (p->state == TSK_BREAKER_HALF_OPEN ||
	    (p->state == TSK_BREAKER_CLOSED &&
	     (outcome == TSK__ATTEMPT_BLOCKED || p->failures >= (unsigned long)failures_max)))
		open_breaker(ctx, p, now);
}

TSK_API int tsk_ctx_carrier_status(tsk_ctx *ctx, const char *carrier, tsk_carrier_status *out)
{
	if (!ctx || !carrier || !out)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_carrier_status: missing argument");
	if (!tsk_ctx_carrier(ctx, carrier))
		return tsk__ctx_error(ctx, TSK_ENOCARRIER, "no carrier named %s", carrier);
	memset(out, 0, sizeof *out);
	struct tsk__policy *p = find(ctx, carrier);
	if (!p)
		return TSK_OK;
	out->state = p->state;
	if (p->state == TSK_BREAKER_OPEN && wall_ms() >= p->open_until_ms)
		out->state = TSK_BREAKER_HALF_OPEN;
	out->failures = p->failures;
	out->opened = p->opened;
	out->last_error = p->last_error;
	out->last_http_status = p->last_status;
	if (p->state != TSK_BREAKER_CLOSED) {
		out->open_until.epoch = p->open_until_ms / 1000;
		out->open_until.offset = TSK_JST_OFFSET;
		out->open_until.precision = TSK_PRECISION_MINUTE;
	}
	return TSK_OK;
}
