/*
 * Private: tracking in two phases around the HTTP engine, shared by the
 * blocking calls (lib/track.c) and the event-loop queries (lib/query.c), so
 * both answer identically.
 *
 *   prepare: normalize numbers, pick candidate carriers, build requests
 *            (one HTTP job per request, not yet run);
 *   (the engine runs the jobs, blocking or from the caller's loop);
 *   absorb:  parse each response as its job ends, drop the body;
 *   finish:  parse what is left, choose the answering carrier per number,
 *            merge previous snapshots; one shipment per input, in order.
 */
#ifndef TSK_LIB_TRACK_H
#define TSK_LIB_TRACK_H

#include "tsuiseki.h"
#include "http.h"

typedef struct tsk__track tsk__track;

/* Prepare a query. The numbers are copied. Returns TSK_OK,
 * TSK_ENOCARRIER (no such carrier; ctx's message says so) or TSK_ENOMEM.
 * *out: caller owns (tsk__track_free). */
int tsk__track_prepare(tsk__track **out, tsk_ctx *ctx, const char *carrier,
                       const char *const *numbers, size_t count);
/* Copy the previous snapshots that may match one of the numbers, so that
 * finish needs no borrowed list (queries outlive the submit call). */
int tsk__track_keep_previous(tsk__track *t, const tsk_shipment_list *previous);
/* The HTTP jobs (borrowed from t; request and carrier filled in). */
tsk__http_job *tsk__track_jobs(tsk__track *t, size_t *count_out);
/* Parse a finished job's answer into the shipments of the numbers it
 * asked for, then free its body (call it from the job's done function, so
 * a batch never holds more pages than it has transfers in flight). Once
 * per job; jobs not absorbed are absorbed by finish. */
void tsk__track_absorb(tsk__track *t, tsk__http_job *job);
/* Set every job's done function to tsk__track_absorb (blocking driver). */
void tsk__track_absorb_on_done(tsk__track *t);
/* Finish once every job has a result. previous: the last snapshots, or
 * NULL to use the ones kept. *out: caller owns. TSK_OK or TSK_ENOMEM. */
int tsk__track_finish(tsk_shipment_list **out, tsk__track *t, tsk_ctx *ctx,
                      const tsk_shipment_list *previous);
void tsk__track_free(tsk__track *t);

/* The engine settings from the context's options. */
void tsk__track_http_settings(tsk__http_settings *out, const tsk_ctx *ctx);

#endif
