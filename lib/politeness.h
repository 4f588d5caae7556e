/*
 * Private: politeness per carrier across everything a context asks — each
 * carrier's own parallel and rate limits (API, then environment, then the
 * context's options) and its circuit breaker. The HTTP engine asks the
 * breaker before every attempt and reports every attempt's outcome
 * (tsk__http_settings.gate / .report), so a carrier that is down is asked
 * a bounded number of times, in one run as across runs.
 */
#ifndef TSK_LIB_POLITENESS_H
#define TSK_LIB_POLITENESS_H

#include "tsuiseki.h"
#include <stdbool.h>
#include <stdint.h>

struct tsk__policy {
	char *carrier;
	long own[2];               /* the API's max_parallel, requests_per_second; -1: none */
	/* circuit breaker */
	tsk_breaker_state state;
	unsigned int failures, opened;
	int64_t open_until_ms;     /* wall clock, ms since the epoch */
	bool probing;              /* half open: the probe request is out */
	bool imported;             /* opened by another process (tsk__breaker_import) */
	int last_error;
	long last_status;
};

/* Outcome of one attempt, as the breaker counts it. */
enum tsk__attempt {
	TSK__ATTEMPT_OK,           /* the carrier answered (any status but 403, 429, 5xx) */
	TSK__ATTEMPT_FAILED,       /* network error, timeout, 429, 5xx */
	TSK__ATTEMPT_BLOCKED       /* HTTP 403: opens the breaker at once */
};

/* The limits in force for a carrier; TSK_ECONFIG (err says which variable)
 * when TSUISEKI_PARALLEL_/RATE_<CARRIER> is set but unusable. */
int tsk__policy_limits(tsk_ctx *ctx, const char *carrier, long *max_parallel, long *rps, tsk_error *err);

/* HTTP engine hooks; userdata is the context. gate: may an attempt go to
 * the carrier now? When not, msg says until when (RFC 3339). */
bool tsk__breaker_gate(void *userdata, const char *carrier, char *msg, size_t msglen);
void tsk__breaker_report(void *userdata, const char *carrier, int outcome, int code, long http_status);

/* The breaker as another process sharing the carrier found it
 * (lib/share_pg.c): open for open_for_ms from now, or closed (0) —
 * closed here only when it was opened that way.  The context's own opening
 * and closing go the other way, to the sharer in its TSK__SLOT_SHARE. */
void tsk__breaker_import(tsk_ctx *ctx, const char *carrier, int64_t open_for_ms);

#endif
