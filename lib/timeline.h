/* Private: merging histories of one shipment (DESIGN.md "Timeline"). */
#ifndef TSK_LIB_TIMELINE_H
#define TSK_LIB_TIMELINE_H

#include "model.h"
#include <stdbool.h>

/* Same time, status and place after width and spacing normalisation? */
bool tsk__event_same(const tsk_event *a, const tsk_event *b);

/*
 * Merge `previous` (an older snapshot of the same shipment) into `fresh`:
 * the previous history first, then the fresh events it did not have, in
 * their order; events of another carrier leg are interleaved by time.
 * Duplicates are dropped. Returns TSK_OK or TSK_ENOMEM (fresh unchanged).
 */
int tsk__timeline_merge(tsk_shipment *fresh, const tsk_shipment *previous);

#endif
