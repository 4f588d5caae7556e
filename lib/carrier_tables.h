/*
 * Private: the row macros of the delivery tables (transit.def, stall.def,
 * pickup.def), shared by the library's generic tables (lib/data/) and the
 * carriers' own (carriers/<name>/). A table is an array initialised by
 * including its .def file:
 *
 *   static const tsk_transit_row transit_rows[] = {
 *   #include "transit.def"
 *   };
 *
 * Rows, one per line:
 *   TSK_TRANSIT("service id", "keywords", CALENDAR, cutoff_hour, since, day_start, day_end,
 *               c0min, c0max, c1min, c1max, c2min, c2max, c3min, c3max,
 *               unknown_min, unknown_max, confidence, confidence_nationwide)
 *   TSK_STALL("service id" | "*", STATUS, hours)
 *   TSK_PICKUP(days, first_day_counts, warn_days)
 * CALENDAR is EVERY_DAY or MAIL_DAYS, STATUS a tsk_status without its
 * prefix; the fields are those of tsk_transit_row, tsk_stall_row and
 * tsk_pickup_rule (tsuiseki/adapter.h).
 */
#ifndef TSK_LIB_CARRIER_TABLES_H
#define TSK_LIB_CARRIER_TABLES_H

#include "tsuiseki.h"

#define TSK_TRANSIT(service, keywords, cal, cutoff, since, ds, de, a0, b0, a1, b1, a2, b2, a3, b3, au, bu, \
                    conf, confn)                                                                            \
	{ service, keywords, TSK_DELIVER_##cal, cutoff, since, ds, de,                                      \
	  { { a0, b0 }, { a1, b1 }, { a2, b2 }, { a3, b3 }, { au, bu } }, conf, confn },
#define TSK_STALL(service, st, hours) { service, TSK_STATUS_##st, hours },
#define TSK_PICKUP(days, first, warn) { days, first, warn },

/* The generic parcel row (lib/data/transit.def): the model ETA of a carrier
 * without transit rows, and the defaults of a REST mapping's rows. */
const tsk_transit_row *tsk__transit_generic(void);

#endif
