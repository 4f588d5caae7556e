/*
 * tsuiseki — the fleet: many shipments kept tracked over time, in a durable
 * store, each polled at its own time, and the notifications a shop sends
 * its customers, produced once per real change.
 *
 * TYPICAL USAGE (a shop or a daemon)
 *
 *  1. tsk_fleet_open(&fleet, ctx, "sqlite:/var/lib/shop/fleet.db")
 *  2. tsk_fleet_add(fleet, "4001-2345-6784", "auto", "order-1042", "ja")
 *     when an order ships (once; adding again is TSK_EEXISTS).
 *  3. Poll: tsk_fleet_run(fleet, NULL, 0, NULL) blocks and polls each
 *     shipment at its own next_poll until nothing is left to track; with
 *     TSK_FLEET_RUN_ONCE it polls what is due now and returns (cron). From
 *     an event loop: tsk_fleet_submit_due() whenever tsk_fleet_next_due()
 *     says so, with the context's socket and timer callbacks (loop.h).
 *  4. Send: tsk_fleet_notifications() gives what waits in the outbox;
 *     send each (its id is stable: the same real change always has the
 *     same id, so a consumer dedupes by it) and tsk_fleet_ack() it.
 *  5. Now and then tsk_fleet_purge() drops shipments retired long ago.
 *
 * Store URLs: "sqlite:PATH" (the embedded default; the file is created
 * 0600, WAL journal, schema migrated forward at open), "memory:" (tests,
 * one process), and "postgresql://USER@HOST/DB?…" or
 * "postgresql:KEY=VALUE …" (any libpq connection string) for several
 * pollers — processes, machines — sharing one fleet: each due shipment is
 * leased to one poller at a time (a dead poller's leases expire and its
 * work returns to the others), each notification is claimed by one
 * consumer at a time until acknowledged (it returns to the outbox after a
 * timeout), and a lost connection is re-established with growing pauses.
 * A build without libpq gives TSK_ECONFIG for it. Tuning, read at open:
 * TSUISEKI_LEASE_S (default 300), TSUISEKI_CLAIM_S (60),
 * TSUISEKI_RECONNECT_S (60).
 *
 * Schedule: a shipment is polled at its next_poll (the library's own
 * suggestion: minutes when out for delivery, hours in transit), never
 * before; a round takes only what is due, batched per carrier. Delivered
 * and returned shipments retire (no more polls, kept until purged). With
 * carrier "auto" every candidate carrier is asked until one knows the
 * number; from then on only that one (the carrier is pinned). A number no
 * carrier knows is asked again at growing intervals and given up after a
 * horizon (TSK_FLEET_OPT_GIVE_UP_S, default 14 days).
 *
 * Notifications: kinds below. The first sync of a shipment gives at most
 * one, for its current state (never its history); afterwards each poll
 * gives at most one, for what really changed; none after retirement. A
 * notification is written in the same transaction as the snapshot that
 * produced it, so a crash loses none and duplicates none.
 *
 * Threads: a fleet belongs to its context: one thread at a time.
 */
#ifndef TSUISEKI_FLEET_H
#define TSUISEKI_FLEET_H

#include "common.h"
#include "errors.h"
#include "model.h"
#include "context.h"

TSK_BEGIN_DECLS

/** A set of shipments tracked over time, on a store (opaque). @since 0.2 */
typedef struct tsk_fleet tsk_fleet;
/** One shipment of a fleet, as read (opaque, immutable). @since 0.2 */
typedef struct tsk_fleet_item tsk_fleet_item;
/** An ordered list of fleet items (opaque). @since 0.2 */
typedef struct tsk_fleet_item_list tsk_fleet_item_list;
/** One notification (opaque, immutable). @since 0.2 */
typedef struct tsk_notification tsk_notification;
/** An ordered list of notifications, oldest first (opaque). @since 0.2 */
typedef struct tsk_notification_list tsk_notification_list;

/* ------------------------------------------------------------ open/close */

/**
 * Open (or create) a fleet on a store.
 * @param[out] out caller owns (tsk_fleet_free)
 * @param ctx the context used for tracking, the clock (tsk_ctx_now) and
 *        the last error; borrowed: it must outlive the fleet
 * @param store_url "sqlite:PATH", "memory:" or "postgresql:…"
 * @return TSK_OK; TSK_EINVAL (bad URL), TSK_ECONFIG (a store this build
 *         lacks: postgresql), TSK_EIO (the file cannot be opened or is not
 *         a fleet), TSK_ENETWORK (the database cannot be reached),
 *         TSK_EVERSION (written by a newer tsuiseki), TSK_ENOMEM.
 * @since 0.2
 */
TSK_API int tsk_fleet_open(tsk_fleet **out, tsk_ctx *ctx, const char *store_url);

/**
 * Close a fleet. Queries it submitted that are still running are canceled
 * (their results are not written). Accepts NULL.
 * @since 0.2
 */
TSK_API void tsk_fleet_free(tsk_fleet *fleet);

/** Fleet options (tsk_fleet_set_option). @since 0.2 */
typedef enum tsk_fleet_opt {
	TSK_FLEET_OPT_GIVE_UP_S = 0,   /**< a number no carrier knows is given up this long after it was added; default 14 days */
	TSK_FLEET_OPT_ROUND_SIZE,      /**< shipments taken per round (per tsk_track_batch call); default 200 */
	TSK_FLEET_OPT_MIN_INTERVAL_S,  /**< never poll one shipment more often than this; default 60 */
	TSK_FLEET_OPT_MAX_INTERVAL_S,  /**< never let one active shipment wait longer than this; 0 (default): as the library suggests */
	TSK_FLEET_OPT__COUNT
} tsk_fleet_opt;

/** @return TSK_OK or TSK_EINVAL (unknown option, value out of range). @since 0.2 */
TSK_API int tsk_fleet_set_option(tsk_fleet *fleet, tsk_fleet_opt opt, long value);
/** @return the value in force, or -1 for an unknown option. @since 0.2 */
TSK_API long tsk_fleet_option(const tsk_fleet *fleet, tsk_fleet_opt opt);

/**
 * Replace notification texts from a templates file (the format of the
 * shipped share/tsuiseki/templates/notifications.json). Kinds and
 * languages the file leaves out keep their current text. The environment
 * variable TSUISEKI_TEMPLATES names such a file read at open (unless the
 * context ignores the environment).
 * @param path copied during the call
 * @return TSK_OK; TSK_EIO (cannot read), TSK_EPARSE (not a templates file:
 *         the message names the key), TSK_ENOMEM. On error nothing changes.
 * @since 0.2
 */
TSK_API int tsk_fleet_load_templates(tsk_fleet *fleet, const char *path);

/* ------------------------------------------------------------- shipments */

/**
 * Add a shipment to track. It is due at once.
 * @param number as typed (normalized: hyphens and spaces dropped)
 * @param carrier a registered carrier, or NULL / "auto"
 * @param reference the shop's reference (an order id), may be NULL; copied
 * @param locale "ja" or "en" (the customer's language); NULL means "ja"
 * @return TSK_OK; TSK_EINVALID_NUMBER, TSK_ENOCARRIER, TSK_EINVAL (locale),
 *         TSK_EEXISTS (the number is already in the fleet), TSK_EIO,
 *         TSK_ENOMEM.
 * @since 0.2
 */
TSK_API int tsk_fleet_add(tsk_fleet *fleet, const char *number, const char *carrier,
                          const char *reference, const char *locale);

/**
 * Add a shipment with what is already known of it: a snapshot kept from
 * earlier polls (a `tsuiseki watch` state file, another tracker). Its
 * carrier is pinned (unless it is "auto"), its hand-off leg followed, a
 * delivered or returned one is retired at once, and it is next polled at
 * the snapshot's next_poll (now when it has none and is not final). No
 * notification is produced for what the snapshot already says.
 * @param snapshot borrowed during the call
 * @param reference, locale as for tsk_fleet_add()
 * @return TSK_OK, TSK_EEXISTS, TSK_EINVAL, TSK_EIO, TSK_ENOMEM.
 * @since 0.2
 */
TSK_API int tsk_fleet_import(tsk_fleet *fleet, const tsk_shipment *snapshot, const char *reference,
                             const char *locale);

/**
 * Called after each poll result is written (from tsk_fleet_run(), or from
 * tsk_ctx_socket_action() for tsk_fleet_submit_due()).
 * @param previous the snapshot before this poll, or NULL (borrowed for the call)
 * @param current the snapshot now stored: on a failed query the last good
 *        state carrying the error (borrowed for the call)
 * @param userdata as given to tsk_fleet_set_result_cb()
 * @since 0.2
 */
typedef void (*tsk_fleet_result_cb)(const tsk_shipment *previous, const tsk_shipment *current, void *userdata);

/**
 * Set (or with NULL remove) the result callback. The callback must not
 * call fleet functions.
 * @return TSK_OK or TSK_EINVAL.
 * @since 0.2
 */
TSK_API int tsk_fleet_set_result_cb(tsk_fleet *fleet, tsk_fleet_result_cb cb, void *userdata);

/**
 * Remove a shipment and its notifications (acknowledged or not).
 * @return TSK_OK, TSK_ENOTFOUND (not in the fleet), TSK_EIO, TSK_EINVAL.
 * @since 0.2
 */
TSK_API int tsk_fleet_remove(tsk_fleet *fleet, const char *number);

/**
 * Read one shipment of the fleet.
 * @param[out] out caller owns (tsk_fleet_item_free)
 * @return TSK_OK, TSK_ENOTFOUND, TSK_EIO, TSK_ENOMEM, TSK_EINVAL.
 * @since 0.2
 */
TSK_API int tsk_fleet_get(tsk_fleet_item **out, tsk_fleet *fleet, const char *number);

/** Where a fleet shipment stands in its life. @since 0.2 */
typedef enum tsk_fleet_state {
	TSK_FLEET_ACTIVE = 0,   /**< polled at its next_poll */
	TSK_FLEET_RETIRED,      /**< delivered or returned: no more polls */
	TSK_FLEET_GAVE_UP       /**< no carrier knew the number within the horizon, or it is invalid */
} tsk_fleet_state;

/** @return "active", "retired" or "gave_up", static. @since 0.2 */
TSK_API const char *tsk_fleet_state_to_string(tsk_fleet_state state);

/** Filters of tsk_fleet_list(). Start from TSK_FLEET_FILTER_INIT. @since 0.2 */
typedef struct tsk_fleet_filter {
	unsigned int version;          /**< TSK_FLEET_FILTER_VERSION */
	int status;                    /**< a tsk_status, or -1 for any */
	tsk_exception_code exception;  /**< shipments holding this exception; TSK_EXC_NONE for any */
	const tsk_time *due_before;    /**< active shipments whose next poll is before this; NULL any */
	const char *reference;         /**< exactly this reference; NULL any */
	int state;                     /**< a tsk_fleet_state, or -1 for any */
	size_t limit;                  /**< at most this many; 0 = no limit */
} tsk_fleet_filter;

/** @since 0.2 */
#define TSK_FLEET_FILTER_VERSION 1
/** @since 0.2 */
#define TSK_FLEET_FILTER_INIT { TSK_FLEET_FILTER_VERSION, -1, TSK_EXC_NONE, NULL, NULL, -1, 0 }

/**
 * List the shipments that match every filter, in the order they were added.
 * @param[out] out caller owns (tsk_fleet_item_list_free)
 * @param filter NULL lists everything
 * @return TSK_OK, TSK_EVERSION, TSK_EIO, TSK_ENOMEM, TSK_EINVAL.
 * @since 0.2
 */
TSK_API int tsk_fleet_list(tsk_fleet_item_list **out, tsk_fleet *fleet, const tsk_fleet_filter *filter);

/** @since 0.2 */
TSK_API size_t tsk_fleet_item_list_count(const tsk_fleet_item_list *l);
/** @return borrowed from the list, NULL when out of range. @since 0.2 */
TSK_API const tsk_fleet_item *tsk_fleet_item_list_at(const tsk_fleet_item_list *l, size_t i);
/** Accepts NULL. @since 0.2 */
TSK_API void tsk_fleet_item_list_free(tsk_fleet_item_list *l);
/** Accepts NULL. @since 0.2 */
TSK_API void tsk_fleet_item_free(tsk_fleet_item *item);

/* Item getters: strings borrowed, valid as long as the item. @since 0.2 */
/** The normalized tracking number. @since 0.2 */
TSK_API const char *tsk_fleet_item_number(const tsk_fleet_item *item);
/** The carrier: "auto" until one knows the number, then the pinned carrier. @since 0.2 */
TSK_API const char *tsk_fleet_item_carrier(const tsk_fleet_item *item);
/** The shop's reference, or NULL. @since 0.2 */
TSK_API const char *tsk_fleet_item_reference(const tsk_fleet_item *item);
/** "ja" or "en". @since 0.2 */
TSK_API const char *tsk_fleet_item_locale(const tsk_fleet_item *item);
/** @since 0.2 */
TSK_API tsk_fleet_state tsk_fleet_item_state(const tsk_fleet_item *item);
/** The status of the latest snapshot (TSK_STATUS_UNKNOWN before the first poll). @since 0.2 */
TSK_API tsk_status tsk_fleet_item_status(const tsk_fleet_item *item);
/** When it is polled next; NULL when never (retired, given up). @since 0.2 */
TSK_API const tsk_time *tsk_fleet_item_next_poll(const tsk_fleet_item *item);
/** When it was added. @since 0.2 */
TSK_API const tsk_time *tsk_fleet_item_added_at(const tsk_fleet_item *item);
/**
 * The latest snapshot: the full merged timeline, ETA, exceptions. When the
 * last poll failed it is the last good state carrying that error
 * (tsk_shipment_error). NULL before the first poll.
 * @since 0.2
 */
TSK_API const tsk_shipment *tsk_fleet_item_shipment(const tsk_fleet_item *item);

/* ------------------------------------------------------------------ poll */

/** tsk_fleet_run flag: poll what is due now (and what that makes due at once: a pinned carrier, a hand-off leg) and return. @since 0.2 */
#define TSK_FLEET_RUN_ONCE (1u << 0)

/** What a run did. @since 0.2 */
typedef struct tsk_fleet_run_stats {
	size_t polled;          /**< poll results written (one per shipment and poll) */
	size_t failed;          /**< of those, the ones whose query failed (the last good state was kept) */
	size_t notifications;   /**< notifications written to the outbox */
	size_t retired;         /**< shipments that retired or were given up */
	size_t rounds;          /**< rounds (one tsk_track_batch per carrier each) */
} tsk_fleet_run_stats;

/**
 * Poll due shipments, blocking. Each round takes the due shipments (by the
 * store's index on next_poll), asks the carriers per carrier in one batch
 * with the previous snapshots, and writes each result with the
 * notifications it produced in one transaction. Without
 * TSK_FLEET_RUN_ONCE it then sleeps until the next shipment is due, until
 * no active shipment is left or `deadline` passes; with a fixed reference
 * time (tsk_ctx_set_now) time does not move, so it returns once nothing is
 * due. tsk_fleet_wakeup() (another thread or a signal handler) makes it
 * return early: the running round is canceled and its results dropped,
 * and everything written before stays.
 * @param deadline return by then; NULL for no deadline
 * @param flags TSK_FLEET_RUN_ONCE or 0
 * @param[out] stats_out may be NULL; filled also on error
 * @return TSK_OK (idle, deadline or once done), TSK_ECANCELED
 *         (tsk_fleet_wakeup), TSK_EIO (the store failed), TSK_ENOMEM.
 * @since 0.2
 */
TSK_API int tsk_fleet_run(tsk_fleet *fleet, const tsk_time *deadline, unsigned int flags,
                          tsk_fleet_run_stats *stats_out);

/**
 * Make a blocking tsk_fleet_run() return soon with TSK_ECANCELED. The only
 * fleet function that may be called from another thread or from a signal
 * handler (it writes one byte to a pipe and wakes the context).
 * @return TSK_OK or TSK_EINVAL.
 * @since 0.2
 */
TSK_API int tsk_fleet_wakeup(tsk_fleet *fleet);

/**
 * Event-loop polling: submit queries (tsk_query_submit, one per carrier
 * group) for the shipments due now that are not already in flight. Their
 * results are written from the done callbacks, inside the caller's
 * tsk_ctx_socket_action(). Requires the context's socket and timer
 * callbacks (loop.h).
 * @param[out] submitted_out shipments submitted; may be NULL
 * @return TSK_OK, TSK_EINVAL (callbacks not set), TSK_EIO, TSK_ENOMEM.
 * @since 0.2
 */
TSK_API int tsk_fleet_submit_due(tsk_fleet *fleet, size_t *submitted_out);

/**
 * When the next shipment is due (to arm a timer for tsk_fleet_submit_due).
 * @param[out] out the time; unset (precision NONE) when no shipment is active
 * @param[out] in_flight_out shipments submitted whose result is not written yet; may be NULL
 * @return TSK_OK, TSK_EIO.
 * @since 0.2
 */
TSK_API int tsk_fleet_next_due(tsk_time *out, size_t *in_flight_out, tsk_fleet *fleet);

/**
 * Delete retired and given-up shipments that ended before `before`, with
 * their acknowledged notifications.
 * @param[out] purged_out how many shipments; may be NULL
 * @return TSK_OK, TSK_EIO, TSK_EINVAL.
 * @since 0.2
 */
TSK_API int tsk_fleet_purge(tsk_fleet *fleet, const tsk_time *before, size_t *purged_out);

/* --------------------------------------------------------- notifications */

/** X(NAME, json_name) @since 0.2 */
#define TSK_NOTIFY_KIND_MAP(X)                              \
	X(SHIPPED,               "shipped")                 \
	X(OUT_FOR_DELIVERY,      "out_for_delivery")        \
	X(DELIVERY_FAILED,       "delivery_failed")         \
	X(AVAILABLE_FOR_PICKUP,  "available_for_pickup")    \
	X(PICKUP_DEADLINE_NEAR,  "pickup_deadline_near")    \
	X(DELAYED,               "delayed")                 \
	X(DELIVERED,             "delivered")               \
	X(RETURNED,              "returned")                \
	X(EXCEPTION,             "exception")

/** What a notification tells the customer. @since 0.2 */
typedef enum tsk_notify_kind {
#define TSK__NK_ENUM(name, json) TSK_NOTIFY_##name,
	TSK_NOTIFY_KIND_MAP(TSK__NK_ENUM)
#undef TSK__NK_ENUM
	TSK_NOTIFY__COUNT
} tsk_notify_kind;

/** @return "shipped"…, static; "unknown" when out of range. @since 0.2 */
TSK_API const char *tsk_notify_kind_to_string(tsk_notify_kind kind);
/** @return TSK_OK or TSK_EINVAL. @since 0.2 */
TSK_API int tsk_notify_kind_from_string(tsk_notify_kind *out, const char *name);

/**
 * The notifications waiting in the outbox (not acknowledged), oldest first.
 * @param[out] out caller owns (tsk_notification_list_free)
 * @param max at most this many; 0 = all
 * @return TSK_OK, TSK_EIO, TSK_ENOMEM, TSK_EINVAL.
 * @since 0.2
 */
TSK_API int tsk_fleet_notifications(tsk_notification_list **out, tsk_fleet *fleet, size_t max);

/**
 * Acknowledge notifications (they were sent): they leave the outbox. Their
 * ids stay known, so the same change never enters the outbox again.
 * Unknown and already acknowledged ids are ignored.
 * @param ids borrowed during the call
 * @return TSK_OK, TSK_EIO, TSK_EINVAL.
 * @since 0.2
 */
TSK_API int tsk_fleet_ack(tsk_fleet *fleet, const char *const *ids, size_t count);

/** @since 0.2 */
TSK_API size_t tsk_notification_list_count(const tsk_notification_list *l);
/** @return borrowed from the list, NULL when out of range. @since 0.2 */
TSK_API const tsk_notification *tsk_notification_list_at(const tsk_notification_list *l, size_t i);
/** Accepts NULL. @since 0.2 */
TSK_API void tsk_notification_list_free(tsk_notification_list *l);

/* Notification getters: borrowed, valid as long as the list. @since 0.2 */
/** The stable id (32 hex digits): the same real change always has the same id. @since 0.2 */
TSK_API const char *tsk_notification_id(const tsk_notification *n);
/** @since 0.2 */
TSK_API tsk_notify_kind tsk_notification_kind(const tsk_notification *n);
/** The shop's reference, or NULL. @since 0.2 */
TSK_API const char *tsk_notification_reference(const tsk_notification *n);
/** @since 0.2 */
TSK_API const char *tsk_notification_carrier(const tsk_notification *n);
/** @since 0.2 */
TSK_API const char *tsk_notification_tracking_number(const tsk_notification *n);
/** "ja" or "en": the customer's language. @since 0.2 */
TSK_API const char *tsk_notification_locale(const tsk_notification *n);
/** The shipment status when it was produced. @since 0.2 */
TSK_API tsk_status tsk_notification_status(const tsk_notification *n);
/** When the change happened (its evidence event), or NULL. @since 0.2 */
TSK_API const tsk_time *tsk_notification_time(const tsk_notification *n);
/** The exception it is about (exception, delayed, pickup_deadline_near), or TSK_EXC_NONE. @since 0.2 */
TSK_API tsk_exception_code tsk_notification_exception(const tsk_notification *n);
/**
 * The customer text.
 * @param lang "ja" or "en"; NULL for the notification's own locale
 * @return borrowed; NULL for another language
 * @since 0.2
 */
TSK_API const char *tsk_notification_subject(const tsk_notification *n, const char *lang);
/** @since 0.2 */
TSK_API const char *tsk_notification_body(const tsk_notification *n, const char *lang);
/**
 * The notification as one JSON object on one line (DESIGN.md
 * "Notifications"), as stored in the outbox.
 * @return borrowed, valid as long as the list.
 * @since 0.2
 */
TSK_API const char *tsk_notification_json(const tsk_notification *n);

TSK_END_DECLS

#endif /* TSUISEKI_FLEET_H */
