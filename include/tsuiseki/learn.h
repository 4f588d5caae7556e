/*
 * tsuiseki — learning transit times from the caller's own deliveries.
 *
 * The ETA of every shipment improves with the caller's history: hand the
 * snapshots of delivered shipments to tsk_ctx_learn_transit() and the
 * context estimates each lane (carrier + service + origin region +
 * destination region) from them in preference to the built-in tables.
 */
#ifndef TSUISEKI_LEARN_H
#define TSUISEKI_LEARN_H

#include "common.h"
#include "errors.h"
#include "model.h"
#include "context.h"

#include <stddef.h>

TSK_BEGIN_DECLS

/* ----------------------------------------------------- learned transit */

/**
 * Learn transit times from delivered shipments (snapshots of the caller's
 * own deliveries, e.g. loaded with tsk_shipment_list_from_json). Each
 * delivered shipment with a dated acceptance event and a dated first
 * doorstep outcome (first attempt, delivery, or hand-over to a pickup
 * point) adds one sample, in hours, to its lane — carrier + service +
 * origin region + destination region — and to the aggregates over any
 * destination and over any origin. A shipment is learned once per context
 * (by carrier and number), so a poller may hand the same history every
 * run. Shipments that are not delivered are skipped.
 *
 * A lane is used, in preference to the built-in tables, once it has 3
 * samples: the window spans the delivery days of its p10..p90, and the
 * confidence grows with the sample count. The lookup prefers the exact
 * lane, then the origin's aggregate; the all-origins aggregate only stands
 * in when the origin is unknown.
 *
 * @param delivered borrowed for the call
 * @return TSK_OK, TSK_EINVAL, TSK_ENOMEM (what was learned before stays).
 * @since 0.1
 */
TSK_API int tsk_ctx_learn_transit(tsk_ctx *ctx, const tsk_shipment_list *delivered);

/** Forget everything learned. @since 0.1 */
TSK_API void tsk_ctx_forget_transit(tsk_ctx *ctx);

/** One learned lane. Strings borrowed from the context until the next learn/forget. @since 0.1 */
typedef struct tsk_transit_lane {
	const char *carrier;       /**< "yamato" */
	const char *service;       /**< tsuiseki's service id: "takkyubin", "yu_pack", "mail"… */
	const char *origin;        /**< region id ("kanto"…), NULL = any origin */
	const char *destination;   /**< region id, NULL = any destination */
	size_t samples;
	double p10_hours, p50_hours, p90_hours;   /**< acceptance -> first doorstep outcome */
	int in_use;                /**< non-zero once the lane has enough samples to be used */
} tsk_transit_lane;

/** @return the number of learned lanes (aggregates included). @since 0.1 */
TSK_API size_t tsk_ctx_transit_lane_count(const tsk_ctx *ctx);
/**
 * Read the i-th learned lane.
 * @param[out] out filled; strings borrowed (see tsk_transit_lane)
 * @return TSK_OK or TSK_EINVAL (out of range).
 * @since 0.1
 */
TSK_API int tsk_ctx_transit_lane_at(const tsk_ctx *ctx, size_t i, tsk_transit_lane *out);

TSK_END_DECLS

#endif /* TSUISEKI_LEARN_H */
