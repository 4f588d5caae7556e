/*
 * Private: the ETA — the carrier's stated window, else a model estimate
 * from transit tables (the carrier's tsk_carrier_tables, else the generic
 * lib/data/transit.def) or lanes learned from the caller's delivered
 * shipments (lib/learn.h). Geography and lanes are lib/lanes.h.
 */
#ifndef TSK_LIB_ETA_H
#define TSK_LIB_ETA_H

#include "lanes.h"

struct tsk__eta_model;

/*
 * Set s->has_eta / s->eta: the carrier's window where stated, else the
 * model's; none once delivered or returned. `original` comes from
 * previous (the first window ever given), else it is this window.
 * The carrier's window is the page's; a model window is a function of the
 * shipment, previous and the learned model, moved forward so that it is
 * never before now (NULL: not moved).
 */
void tsk__eta_compute(tsk_shipment *s, const tsk_shipment *previous,
                      const struct tsk__eta_model *model, const tsk_adapter *adapter,
                      const tsk_time *now);

#endif
