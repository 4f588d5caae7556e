/*
 * Private: what a shop acts on — ETA, exceptions, next poll — computed
 * after a shipment is parsed and finalised. Pure function of the shipment,
 * the previous snapshot (or NULL) and `now`.
 */
#ifndef TSK_LIB_ANALYZE_H
#define TSK_LIB_ANALYZE_H

#include "model.h"

int tsk__analyze(tsk_shipment *s, const tsk_shipment *previous, const tsk_time *now);

#endif
