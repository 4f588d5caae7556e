/*
 * Private: what a shop acts on — ETA, exceptions, next poll — computed
 * after a shipment is parsed and finalised. Pure function of the shipment,
 * the previous snapshot (or NULL), the learned transit lanes (or NULL),
 * the carrier's adapter (its transit, stall and pickup tables; or NULL)
 * and `now`.
 */
#ifndef TSK_LIB_ANALYZE_H
#define TSK_LIB_ANALYZE_H

#include "model.h"

struct tsk__eta_model;

/*
 * Set s->eta (original kept from previous), s->exceptions and s->next_poll.
 * Returns TSK_OK, TSK_EINVAL (NULL s or now) or TSK_ENOMEM.
 */
int tsk__analyze(tsk_shipment *s, const tsk_shipment *previous, const tsk_time *now,
                 const struct tsk__eta_model *model, const tsk_adapter *adapter);

#endif
