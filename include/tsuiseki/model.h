/*
 * tsuiseki — the normalized model: statuses, exception codes, times,
 * shipments and their events.
 *
 * Shipments handed to the caller are immutable snapshots: every getter
 * returns a borrowed pointer that lives as long as the shipment. Immutable
 * shipments may be read from any thread once handed over.
 */
#ifndef TSUISEKI_MODEL_H
#define TSUISEKI_MODEL_H

#include "common.h"

TSK_BEGIN_DECLS

/* ---------------------------------------------------------------- status */

/** X(NAME, json_name, English, Japanese) — one list, so the enum and the
 * to/from string tables cannot drift. @since 0.1 */
#define TSK_STATUS_MAP(X)                                                             \
	X(UNKNOWN,              "unknown",              "Unknown",                "状況不明")     \
	X(NOT_FOUND,            "not_found",            "Not found",              "該当なし")     \
	X(INFO_RECEIVED,        "info_received",        "Information received",   "出荷情報受付") \
	X(IN_TRANSIT,           "in_transit",           "In transit",             "輸送中")       \
	X(OUT_FOR_DELIVERY,     "out_for_delivery",     "Out for delivery",       "配達中")       \
	X(FAILED_ATTEMPT,       "failed_attempt",       "Delivery attempt failed","ご不在・持戻") \
	X(AVAILABLE_FOR_PICKUP, "available_for_pickup", "Available for pickup",   "保管中")       \
	X(DELIVERED,            "delivered",            "Delivered",              "配達完了")     \
	X(RETURNED_TO_SENDER,   "returned_to_sender",   "Returned to sender",     "差出人へ返送") \
	X(EXCEPTION,            "exception",            "Exception",              "要確認")

/** The normalized status of a shipment or of one event. @since 0.1 */
typedef enum tsk_status {
#define TSK__ST_ENUM(name, json, en, ja) TSK_STATUS_##name,
	TSK_STATUS_MAP(TSK__ST_ENUM)
#undef TSK__ST_ENUM
	TSK_STATUS__COUNT
} tsk_status;

/** @return the JSON spelling ("in_transit"), static; "unknown" if out of range. @since 0.1 */
TSK_API const char *tsk_status_to_string(tsk_status status);
/** @return the English display name, static. @since 0.1 */
TSK_API const char *tsk_status_name_en(tsk_status status);
/** @return the Japanese display name (UTF-8), static. @since 0.1 */
TSK_API const char *tsk_status_name_ja(tsk_status status);
/**
 * Parse a JSON spelling.
 * @param[out] out the status
 * @return TSK_OK or TSK_EINVAL for an unknown name.
 * @since 0.1
 */
TSK_API int tsk_status_from_string(tsk_status *out, const char *name);

/* ------------------------------------------------------------ exceptions */

/** X(NAME, json_name, default severity, English, Japanese) @since 0.1 */
#define TSK_EXCEPTION_MAP(X)                                                                        \
	X(FAILED_ATTEMPT,        "failed_attempt",        WARNING,  "Delivery attempt failed",   "配達できませんでした")   \
	X(HELD_AT_OFFICE,        "held_at_office",        INFO,     "Held at office",            "営業所・窓口で保管中")   \
	X(PICKUP_DEADLINE_NEAR,  "pickup_deadline_near",  WARNING,  "Pickup deadline near",      "保管期限が近づいています") \
	X(ADDRESS_PROBLEM,       "address_problem",       CRITICAL, "Address problem",           "宛所不明・住所不備")     \
	X(REFUSED,               "refused",               CRITICAL, "Refused by recipient",      "受取拒否")             \
	X(DAMAGED,               "damaged",               CRITICAL, "Damaged",                   "破損")                 \
	X(LOST,                  "lost",                  CRITICAL, "Lost",                      "紛失")                 \
	X(UNDER_INVESTIGATION,   "under_investigation",   WARNING,  "Under investigation",       "調査中")               \
	X(CUSTOMS_HOLD,          "customs_hold",          WARNING,  "Held by customs",           "通関保留")             \
	X(WEATHER_OR_DISASTER_DELAY, "weather_or_disaster_delay", WARNING, "Weather or disaster delay", "天候・災害による遅延") \
	X(RETURNED_TO_SENDER,    "returned_to_sender",    CRITICAL, "Returned to sender",        "差出人へ返送")         \
	X(STALLED,               "stalled",               WARNING,  "No movement",               "追跡情報の更新が止まっています") \
	X(LATE,                  "late",                  WARNING,  "Late",                      "お届け予定を過ぎています") \
	X(UNMAPPED_STATUS,       "unmapped_status",       INFO,     "Unrecognised carrier status", "未対応の状況表示")

/** Exception codes (several may hold at once). TSK_EXC_NONE means "no exception". @since 0.1 */
typedef enum tsk_exception_code {
	TSK_EXC_NONE = 0,
#define TSK__EXC_ENUM(name, json, sev, en, ja) TSK_EXC_##name,
	TSK_EXCEPTION_MAP(TSK__EXC_ENUM)
#undef TSK__EXC_ENUM
	TSK_EXC__COUNT
} tsk_exception_code;

/** Severity of an exception. @since 0.1 */
typedef enum tsk_severity {
	TSK_SEVERITY_INFO = 0,
	TSK_SEVERITY_WARNING,
	TSK_SEVERITY_CRITICAL
} tsk_severity;

/** @return "failed_attempt"…, static; "none" for TSK_EXC_NONE. @since 0.1 */
TSK_API const char *tsk_exception_to_string(tsk_exception_code code);
/** @return TSK_OK or TSK_EINVAL. @since 0.1 */
TSK_API int tsk_exception_from_string(tsk_exception_code *out, const char *name);
/** @return English display name, static. @since 0.1 */
TSK_API const char *tsk_exception_name_en(tsk_exception_code code);
/** @return Japanese display name (UTF-8), static. @since 0.1 */
TSK_API const char *tsk_exception_name_ja(tsk_exception_code code);
/** @return the default severity of a code. @since 0.1 */
TSK_API tsk_severity tsk_exception_default_severity(tsk_exception_code code);
/** @return "info", "warning" or "critical", static. @since 0.1 */
TSK_API const char *tsk_severity_to_string(tsk_severity sev);
/** @return TSK_OK or TSK_EINVAL. @since 0.1 */
TSK_API int tsk_severity_from_string(tsk_severity *out, const char *name);

/* ------------------------------------------------------------------ time */

/** How much of a time is known. @since 0.1 */
typedef enum tsk_precision {
	TSK_PRECISION_NONE = 0,   /**< no time at all (JSON null) */
	TSK_PRECISION_DAY,        /**< a date; epoch is local midnight */
	TSK_PRECISION_MINUTE      /**< date and time to the minute */
} tsk_precision;

/** A point in time with the UTC offset it was stated in. Plain value. @since 0.1 */
typedef struct tsk_time {
	int64_t epoch;        /**< seconds since 1970-01-01T00:00:00Z */
	int32_t offset;       /**< seconds east of UTC the carrier meant (JST = 32400) */
	int32_t precision;    /**< a tsk_precision */
} tsk_time;

/** Japan Standard Time, +09:00, in seconds. @since 0.1 */
#define TSK_JST_OFFSET 32400

/** A time with no value (precision NONE). @since 0.1 */
#define TSK_TIME_NULL_INIT { 0, 0, TSK_PRECISION_NONE }

/** @return non-zero when the time has a value. @since 0.1 */
TSK_API int tsk_time_is_set(const tsk_time *t);

/**
 * Build a time from local calendar fields.
 * @param[out] out     the time; precision DAY when hour < 0, else MINUTE
 * @param year, month (1-12), day (1-31), hour (0-23 or -1), minute (0-59 or -1 for 0)
 * @param offset       seconds east of UTC
 * @return TSK_OK or TSK_EINVAL when a field is out of range (Feb 30 too).
 * @since 0.1
 */
TSK_API int tsk_time_from_fields(tsk_time *out, int year, int month, int day,
                                 int hour, int minute, int offset);

/**
 * Parse RFC 3339 ("2024-12-03T14:25:00+09:00", "…Z", fractions ignored),
 * or a bare date "2024-12-03" (precision DAY, offset JST).
 * @return TSK_OK or TSK_EINVAL.
 * @since 0.1
 */
TSK_API int tsk_time_parse_rfc3339(tsk_time *out, const char *text);

/**
 * Format as RFC 3339 with the time's own offset, to the second
 * ("2024-12-03T14:25:00+09:00"). A DAY-precision time prints its local
 * midnight. Writes "" for an unset time.
 * @return the number of characters written (< 40); buf needs 40 bytes.
 * @since 0.1
 */
TSK_API size_t tsk_time_format(char *buf, size_t bufsize, const tsk_time *t);

/** Broken-down local fields of a time in its own offset. @since 0.1 */
TSK_API void tsk_time_fields(const tsk_time *t, int *year, int *month, int *day,
                             int *hour, int *minute, int *weekday /* 0 = Sunday */);

/** The current wall-clock time in JST, precision MINUTE (seconds kept). @since 0.1 */
TSK_API tsk_time tsk_time_now(void);

/* ----------------------------------------------------------- the objects */

/** One event of a shipment's timeline (opaque). @since 0.1 */
typedef struct tsk_event tsk_event;
/** One tracked parcel (opaque, immutable once handed to the caller). @since 0.1 */
typedef struct tsk_shipment tsk_shipment;
/** An ordered list of shipments (opaque). @since 0.1 */
typedef struct tsk_shipment_list tsk_shipment_list;

/** Where an ETA comes from. @since 0.1 */
typedef enum tsk_eta_source {
	TSK_ETA_NONE = 0,
	TSK_ETA_CARRIER,   /**< stated by the carrier (お届け予定日時) */
	TSK_ETA_MODEL      /**< estimated by tsuiseki */
} tsk_eta_source;

/** @return "carrier", "model" or "none", static. @since 0.1 */
TSK_API const char *tsk_eta_source_to_string(tsk_eta_source src);

/** An estimated delivery window. Plain value, borrowed from its shipment. @since 0.1 */
typedef struct tsk_eta {
	tsk_time earliest;
	tsk_time latest;
	tsk_eta_source source;
	double confidence;         /**< 0..1 */
	tsk_time original_earliest;/**< the first window ever given for the shipment */
	tsk_time original_latest;
} tsk_eta;

/** One exception a shop should act on. Borrowed from its shipment. @since 0.1 */
typedef struct tsk_exception {
	tsk_exception_code code;
	tsk_severity severity;
	tsk_time time;             /**< the evidence event's time, or the clock time that raised it */
	const char *message;       /**< short English sentence */
	long event_index;          /**< index of the evidence event, -1 for clock-based ones */
} tsk_exception;

/** Event getters: every string is borrowed (valid as long as the shipment)
 * and NULL when the carrier does not show it. @since 0.1 */
TSK_API const tsk_time *tsk_event_time(const tsk_event *ev);
/** @since 0.1 */
TSK_API const char *tsk_event_time_raw(const tsk_event *ev);
/** @since 0.1 */
TSK_API tsk_status tsk_event_status(const tsk_event *ev);
/** The exception code the carrier's status word implies, TSK_EXC_NONE if none. @since 0.1 */
TSK_API tsk_exception_code tsk_event_exception(const tsk_event *ev);
/** @since 0.1 */
TSK_API const char *tsk_event_carrier_status(const tsk_event *ev);
/** @since 0.1 */
TSK_API const char *tsk_event_description(const tsk_event *ev);
/** @since 0.1 */
TSK_API const char *tsk_event_location(const tsk_event *ev);
/** @since 0.1 */
TSK_API const char *tsk_event_location_code(const tsk_event *ev);
/** @since 0.1 */
TSK_API const char *tsk_event_region(const tsk_event *ev);
/** @since 0.1 */
TSK_API const char *tsk_event_postal_code(const tsk_event *ev);
/** Non-zero when the carrier's word was not in the adapter's table. @since 0.1 */
TSK_API int tsk_event_unmapped(const tsk_event *ev);
/**
 * The carrier of the leg that reported this event ("yamato", "japanpost").
 * @return borrowed (valid as long as the shipment); set on every event of a
 *         shipment of several legs (tsk_shipment_merge_leg()), NULL in a
 *         shipment of one leg, whose events all come from
 *         tsk_shipment_carrier().
 * @since 0.2
 */
TSK_API const char *tsk_event_carrier(const tsk_event *ev);

/** Shipment getters: borrowed, valid as long as the shipment. @since 0.1 */
TSK_API const char *tsk_shipment_carrier(const tsk_shipment *s);
/** @since 0.1 */
TSK_API const char *tsk_shipment_tracking_number(const tsk_shipment *s);
/** @since 0.1 */
TSK_API const char *tsk_shipment_service(const tsk_shipment *s);
/** @since 0.1 */
TSK_API tsk_status tsk_shipment_status(const tsk_shipment *s);
/** @since 0.1 */
TSK_API const char *tsk_shipment_status_text(const tsk_shipment *s);
/**
 * @return the delivery time: the last delivered event's, or, when the
 *         carrier's state says delivered but no event does, the last event's
 *         time; NULL when not delivered or when no event has a time.
 *         Borrowed (valid until the shipment is freed).
 * @since 0.1
 */
TSK_API const tsk_time *tsk_shipment_delivered_at(const tsk_shipment *s);
/** @return the ETA, or NULL when there is none (delivered, or nothing to go on). @since 0.1 */
TSK_API const tsk_eta *tsk_shipment_eta(const tsk_shipment *s);
/** @since 0.1 */
TSK_API size_t tsk_shipment_exception_count(const tsk_shipment *s);
/** @return the i-th exception, NULL when out of range. @since 0.1 */
TSK_API const tsk_exception *tsk_shipment_exception_at(const tsk_shipment *s, size_t i);
/** @return the carrier that took the parcel over, or NULL. @since 0.1 */
TSK_API const char *tsk_shipment_handoff_carrier(const tsk_shipment *s);
/** @since 0.1 */
TSK_API const char *tsk_shipment_handoff_number(const tsk_shipment *s);
/**
 * The legs of a parcel handed from carrier to carrier (クロネコゆうパケット:
 * Yamato, then Japan Post), first leg first (DESIGN.md "Legs").
 * @return the number of legs: 1 for a shipment no hand-off was followed
 *         for (that leg is the shipment's own carrier and number).
 * @since 0.2
 */
TSK_API size_t tsk_shipment_leg_count(const tsk_shipment *s);
/** @return the carrier of the i-th leg, borrowed; NULL when out of range. @since 0.2 */
TSK_API const char *tsk_shipment_leg_carrier(const tsk_shipment *s, size_t i);
/** @return the tracking number of the i-th leg, borrowed; NULL when out of range. @since 0.2 */
TSK_API const char *tsk_shipment_leg_number(const tsk_shipment *s, size_t i);
/** @return when a polite poller should look again, or NULL for never. @since 0.1 */
TSK_API const tsk_time *tsk_shipment_next_poll(const tsk_shipment *s);
/** @since 0.1 */
TSK_API size_t tsk_shipment_event_count(const tsk_shipment *s);
/** @return the i-th event in logical order (oldest first), NULL when out of range. @since 0.1 */
TSK_API const tsk_event *tsk_shipment_event_at(const tsk_shipment *s, size_t i);
/** @return TSK_OK, or the error code of this shipment's query. @since 0.1 */
TSK_API int tsk_shipment_error(const tsk_shipment *s);
/** @return the error message, or NULL when there is no error. @since 0.1 */
TSK_API const char *tsk_shipment_error_message(const tsk_shipment *s);
/** @return the name of the page layout the parser recognised ("yamato-2009"), or NULL. @since 0.1 */
TSK_API const char *tsk_shipment_layout(const tsk_shipment *s);

/**
 * With carrier "auto": the other carriers that also know this number,
 * comma-separated ("sagawa,japanpost"), or NULL when only one did.
 * @since 0.1
 */
TSK_API const char *tsk_shipment_also_known_by(const tsk_shipment *s);

/**
 * Deep copy.
 * @param[out] out caller owns (free with tsk_shipment_free())
 * @return TSK_OK or TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_shipment_dup(tsk_shipment **out, const tsk_shipment *s);
/**
 * Fold the shipment of the next leg into the shipment of the first: one
 * shipment with one timeline (DESIGN.md "Legs", "Timeline").
 *
 * - legs: first's legs (or first's own carrier and number), then next's
 *   carrier and number unless already there;
 * - events: first's in their order, then next's events that are not
 *   duplicates (same time, status and place), each placed after every
 *   event not later than it (legs interleaved by time); every event
 *   names its leg's carrier (tsk_event_carrier());
 * - status, status text, delivered_at, ETA, exceptions and next_poll come
 *   from the leg that holds the parcel: next once it reports an event,
 *   else first (a next leg not found yet leaves first as it was);
 * - carrier, number, service and handoff stay first's; an error of next
 *   other than not_found is carried, with first's last good state.
 *
 * Folding the same next leg again (a newer poll of it into the previous
 * result) adds only what is new. Pure: neither input is modified.
 *
 * @param[out] out caller owns (free with tsk_shipment_free()); NULL on error
 * @param first the first leg, or the result of an earlier fold (borrowed)
 * @param next  the next leg, as tsk_track() returned it (borrowed)
 * @return TSK_OK, TSK_EINVAL (a NULL argument, or next is first's own
 *         carrier and number), TSK_ENOMEM.
 * @since 0.2
 */
TSK_API int tsk_shipment_merge_leg(tsk_shipment **out, const tsk_shipment *first, const tsk_shipment *next);
/** Free a shipment and everything it holds. Accepts NULL. @since 0.1 */
TSK_API void tsk_shipment_free(tsk_shipment *s);

/** Create an empty list. @param[out] out caller owns (tsk_shipment_list_free()). @since 0.1 */
TSK_API int tsk_shipment_list_new(tsk_shipment_list **out);
/** @since 0.1 */
TSK_API size_t tsk_shipment_list_count(const tsk_shipment_list *l);
/** @return the i-th shipment (borrowed from the list), NULL when out of range. @since 0.1 */
TSK_API const tsk_shipment *tsk_shipment_list_at(const tsk_shipment_list *l, size_t i);
/**
 * Append a shipment.
 * @param s  takes ownership (also on failure: it is freed)
 * @return TSK_OK, TSK_ENOMEM or TSK_EINVAL.
 * @since 0.1
 */
TSK_API int tsk_shipment_list_append(tsk_shipment_list *l, tsk_shipment *s);
/** Remove the i-th shipment and hand it over. @param[out] out caller owns. @since 0.1 */
TSK_API int tsk_shipment_list_take(tsk_shipment **out, tsk_shipment_list *l, size_t i);
/** Free the list and its shipments. Accepts NULL. @since 0.1 */
TSK_API void tsk_shipment_list_free(tsk_shipment_list *l);

TSK_END_DECLS

#endif /* TSUISEKI_MODEL_H */
