/* Private: the parse pipeline (lib/parse.c). */
#ifndef TSK_LIB_PARSE_H
#define TSK_LIB_PARSE_H

#include "tsuiseki.h"

/* Parse one response with an adapter, then finalise and analyse each shipment. */
int tsk__ctx_parse_response(tsk_ctx *ctx, const tsk_adapter *a, const tsk_response *resp,
                            tsk_shipment_list *out, tsk_error *err);
/* Finalise (years, status) and analyse (ETA, exceptions, next poll) one shipment. */
int tsk__ctx_complete(tsk_ctx *ctx, tsk_shipment *s, const tsk_shipment *previous);

#endif
