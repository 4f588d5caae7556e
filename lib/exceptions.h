/*
 * Private: the exception rules of DESIGN.md "Exceptions" — event-driven
 * (each event's exception code, its status, keyword evidence), the page's
 * current-state field, and the clock-based pickup_deadline_near, stalled
 * and late — with their clearing by later events.
 */
#ifndef TSK_LIB_EXCEPTIONS_H
#define TSK_LIB_EXCEPTIONS_H

#include "model.h"

/*
 * Replace s->exceptions. Needs s->status and s->eta already computed.
 * Pure function of the shipment, now and the carrier's tables (adapter:
 * the shipment's carrier, or NULL for the generic rules). Returns TSK_OK
 * or TSK_ENOMEM.
 */
int tsk__exceptions_compute(tsk_shipment *s, const tsk_time *now, const tsk_adapter *adapter);

/* The exception an event's text implies by keyword, TSK_EXC_NONE if none:
 * delay words on any event, exception words only when exception_status. */
tsk_exception_code tsk__exception_keyword(const tsk_event *ev, bool exception_status);

#endif
