/*
 * Private: geography and lanes (lib/lanes.c) — regions of texts and
 * events, and what the model knows about a shipment's journey — shared by
 * the ETA, the learned lanes and the exception rules.
 */
#ifndef TSK_LIB_LANES_H
#define TSK_LIB_LANES_H

#include "model.h"
#include "calendar.h"

/* Regions of lib/data/regions.def; TSK__REGION_NONE = not known. */
enum {
	TSK__REGION_NONE = -1,
#define TSK_REGION(id, json, ja) TSK__REGION_##id,
#include "data/regions.def"
#undef TSK_REGION
	TSK__REGION__COUNT
};

/* Region of a prefecture, region name or office name (UTF-8); NONE if unknown. */
int tsk__region_of_text(const char *text);
/* "kanto"…, or NULL for NONE. */
const char *tsk__region_id(int region);
/* Region by its id ("kanto"), NONE if unknown. */
int tsk__region_from_id(const char *id);

/* What the model knows about a shipment's journey. */
struct tsk__lane {
	const tsk_transit_row *row;           /* never NULL: the carrier's or the generic row */
	int origin, destination;              /* regions, or NONE */
	long start;                           /* index of the acceptance event, -1 if none */
	bool only_info;                       /* only label data so far (info_received) */
};

/* Resolve carrier, service, regions and the acceptance event. adapter: the
 * shipment's carrier (its tables and service hint), or NULL for the generic row. */
void tsk__lane_resolve(struct tsk__lane *out, const tsk_shipment *s, const tsk_adapter *adapter);

/* The carrier's tables when its adapter has any (version 2), else NULL. */
const tsk_carrier_tables *tsk__adapter_tables(const tsk_adapter *adapter);

/* The region of an event: its region field, else its location; NONE if unknown. */
int tsk__event_region(const tsk_event *ev);

/* The instant of an event for arithmetic: DAY precision counts as noon. */
int64_t tsk__event_instant(const tsk_event *ev);

#endif
