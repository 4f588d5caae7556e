/*
 * tsuiseki — change detection between two snapshots of a shipment.
 *
 * A poller keeps the last snapshot of each shipment (tsk_shipment_to_json /
 * tsk_shipment_from_json), tracks again with it as `previous`
 * (tsk_track_batch), then asks tsk_diff() what changed: each change is what
 * a shop turns into one notification, once. Learning transit times from
 * the same snapshots is tsuiseki/learn.h (declared here until 0.2, and
 * still reached through this header).
 */
#ifndef TSUISEKI_DIFF_H
#define TSUISEKI_DIFF_H

#include "common.h"
#include "errors.h"
#include "model.h"
#include "context.h"
#include "json.h"
#include "learn.h"

TSK_BEGIN_DECLS

/* ------------------------------------------------------------- changes */

/** X(NAME, json_name) @since 0.1 */
#define TSK_CHANGE_MAP(X)                          \
	X(NEW_EVENT,          "new_event")          \
	X(STATUS_CHANGED,     "status_changed")     \
	X(ETA_CHANGED,        "eta_changed")        \
	X(EXCEPTION_RAISED,   "exception_raised")   \
	X(EXCEPTION_CLEARED,  "exception_cleared")  \
	X(DELIVERED,          "delivered")

/** What kind of change. @since 0.1 */
typedef enum tsk_change_type {
#define TSK__CHG_ENUM(name, json) TSK_CHANGE_##name,
	TSK_CHANGE_MAP(TSK__CHG_ENUM)
#undef TSK__CHG_ENUM
	TSK_CHANGE__COUNT
} tsk_change_type;

/** @return "new_event"…, static; "unknown" when out of range. @since 0.1 */
TSK_API const char *tsk_change_type_to_string(tsk_change_type type);
/** @return TSK_OK or TSK_EINVAL for an unknown name. @since 0.1 */
TSK_API int tsk_change_type_from_string(tsk_change_type *out, const char *name);

/** One change (opaque, owned by its list). @since 0.1 */
typedef struct tsk_change tsk_change;
/** The ordered changes between two snapshots (opaque). @since 0.1 */
typedef struct tsk_change_list tsk_change_list;

/** Options of tsk_diff(). Start from TSK_DIFF_OPTIONS_INIT. @since 0.1 */
typedef struct tsk_diff_options {
	unsigned int version;           /**< TSK_DIFF_OPTIONS_VERSION */
	/** An ETA bound must move by more than this many seconds (either bound)
	 *  to count as eta_changed. Default 3600 (60 minutes). */
	int64_t eta_tolerance_seconds;
	/** TSK_DIFF_* flags. */
	unsigned int flags;
} tsk_diff_options;

/** @since 0.1 */
#define TSK_DIFF_OPTIONS_VERSION 1
/** @since 0.1 */
#define TSK_DIFF_OPTIONS_INIT { TSK_DIFF_OPTIONS_VERSION, 3600, 0 }

/** Flag: also report eta_changed when the ETA disappears because the
 *  shipment was delivered or returned (by default the delivered /
 *  status_changed change says it). @since 0.1 */
#define TSK_DIFF_ETA_ON_DELIVERY (1u << 0)

/**
 * What changed from `old` to `current`, in this order:
 *  1. new_event — each event of `current` that `old` did not have (same
 *     time, status, place and word after width/spacing normalisation is the
 *     same event), in timeline order;
 *  2. status_changed — the shipment status differs;
 *  3. eta_changed — the ETA appeared, disappeared (not because of delivery,
 *     unless TSK_DIFF_ETA_ON_DELIVERY) or moved by more than the tolerance on
 *     either bound;
 *  4. exception_cleared — an exception of `old` is no longer in `current`;
 *  5. exception_raised — an exception of `current` was not in `old`, or
 *     was there with a lower severity (pickup deadline near -> passed, a
 *     third failed attempt); exceptions are the same when their codes are
 *     (unmapped_status ones when their messages, which name the carrier's
 *     word, are);
 *  6. delivered — `current` is delivered and `old` was not.
 * With `old` NULL everything is new: every event, the status (previous
 * null), the ETA, every exception and delivered when it is.
 * A `current` whose query failed (an error other than not_found) gives no
 * changes: a network error is not news for the customer.
 *
 * @param[out] out  caller owns (tsk_change_list_free); an empty list when
 *                  nothing changed
 * @param old       the previous snapshot, or NULL
 * @param current   the new snapshot (same carrier and tracking number)
 * @param opts      NULL for the defaults
 * @return TSK_OK, TSK_EINVAL (NULL current, a different shipment, bad
 *         options version), TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_diff(tsk_change_list **out, const tsk_shipment *old, const tsk_shipment *current,
                     const tsk_diff_options *opts);

/** @return the number of changes (0 for NULL). @since 0.1 */
TSK_API size_t tsk_change_list_count(const tsk_change_list *l);
/** @return the i-th change (borrowed from the list), NULL when out of range. @since 0.1 */
TSK_API const tsk_change *tsk_change_list_at(const tsk_change_list *l, size_t i);
/** Free the list and its changes. Accepts NULL. @since 0.1 */
TSK_API void tsk_change_list_free(tsk_change_list *l);

/**
 * Change getters. Everything is borrowed from the list and lives as long as
 * it (the list holds copies: it outlives the two snapshots).
 * @since 0.1
 */
TSK_API tsk_change_type tsk_change_get_type(const tsk_change *c);
/** @since 0.1 */
TSK_API const char *tsk_change_carrier(const tsk_change *c);
/** @since 0.1 */
TSK_API const char *tsk_change_tracking_number(const tsk_change *c);
/**
 * When it happened: the event's time (new_event), the latest event's time
 * (status_changed, eta_changed, exception_cleared), the exception's time
 * (exception_raised), delivered_at (delivered). NULL when unknown.
 * @since 0.1
 */
TSK_API const tsk_time *tsk_change_time(const tsk_change *c);
/** The shipment status after the change (for every type). @since 0.1 */
TSK_API tsk_status tsk_change_status(const tsk_change *c);
/** new_event: the event (a copy) and its index in `current`; NULL / -1 otherwise. @since 0.1 */
TSK_API const tsk_event *tsk_change_event(const tsk_change *c);
/** @since 0.1 */
TSK_API long tsk_change_event_index(const tsk_change *c);
/**
 * status_changed and delivered: the status before (TSK_STATUS_UNKNOWN when
 * old was NULL; check tsk_change_has_previous()) and after.
 * @since 0.1
 */
TSK_API tsk_status tsk_change_previous_status(const tsk_change *c);
/** @since 0.1 */
TSK_API tsk_status tsk_change_current_status(const tsk_change *c);
/** Non-zero when the change has a previous value (old was not NULL, and for
 *  eta_changed old had an ETA; exception_cleared always; exception_raised
 *  when it is a severity rise). @since 0.1 */
TSK_API int tsk_change_has_previous(const tsk_change *c);
/** eta_changed: the ETA before / after, NULL when there was / is none. @since 0.1 */
TSK_API const tsk_eta *tsk_change_previous_eta(const tsk_change *c);
/** @since 0.1 */
TSK_API const tsk_eta *tsk_change_current_eta(const tsk_change *c);
/** exception_raised / exception_cleared: the exception (raised: as now;
 *  cleared: as it was). NULL for other types. @since 0.1 */
TSK_API const tsk_exception *tsk_change_exception(const tsk_change *c);
/** exception_raised by a severity rise: the exception as it was; else NULL. @since 0.1 */
TSK_API const tsk_exception *tsk_change_previous_exception(const tsk_change *c);

/**
 * Serialize one change as one JSON object on one line (no newline):
 *
 *   {"type":"status_changed","carrier":"yamato","tracking_number":"123456789012",
 *    "status":"out_for_delivery","time":"2024-12-03T08:10:00+09:00",
 *    "previous":"in_transit","current":"out_for_delivery"}
 *
 * Fields of every change: `type`, `carrier`, `tracking_number`, `status`
 * (the shipment status after the change), `time` (tsk_change_time(), RFC 3339
 * or null), `previous` and `current`:
 *   new_event          previous null; current the EVENT object of DESIGN.md
 *                      ({time, time_precision, time_raw, status,
 *                      carrier_status, description, location, location_code,
 *                      region, postal_code}) plus "index"
 *   status_changed     previous / current status names (previous null when
 *                      old was NULL)
 *   eta_changed        previous / current ETA objects {earliest, latest,
 *                      source, confidence, original:{earliest, latest}} or null
 *   exception_raised   previous null (or, for a severity rise, the
 *                      exception as it was); current {code, severity, time,
 *                      message, event_index}
 *   exception_cleared  previous that exception object; current null
 *   delivered          previous the status before (null when old was NULL);
 *                      current the delivered_at time (or null)
 * Confidences are printed with two decimals.
 *
 * @param[out] out     caller owns (tsk_free), NUL-terminated UTF-8
 * @param[out] len_out length, may be NULL
 * @param flags        TSK_JSON_PRETTY indents (then it spans several lines)
 * @return TSK_OK, TSK_EINVAL, TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_change_to_json(char **out, size_t *len_out, const tsk_change *c, unsigned int flags);

/**
 * Serialize a list as JSON Lines: one object per change (as
 * tsk_change_to_json), each followed by "\n". An empty list gives "".
 * @param[out] out caller owns (tsk_free)
 * @since 0.1
 */
TSK_API int tsk_change_list_to_json(char **out, size_t *len_out, const tsk_change_list *l,
                                    unsigned int flags);

TSK_END_DECLS

#endif /* TSUISEKI_DIFF_H */
