/*
 * Private: the PostgreSQL fleet store (libpq), for several pollers — on one
 * machine or many — sharing one fleet.  The SQL is in lib/store_pg_sql.h.
 *
 * The guarantees and what each rests on:
 *  - a due shipment goes to one poller at a time: leases taken with
 *    SELECT … FOR UPDATE SKIP LOCKED and a lease deadline (database clock);
 *    a dead poller's leases expire and its work returns to the others;
 *  - a poll result and its notifications are written in one statement (one
 *    transaction) and only by the lease holder; notification ids are unique,
 *    so a change is never produced twice;
 *  - a notification goes to one consumer at a time: claimed with SKIP
 *    LOCKED and a visibility timeout, acknowledged only by its holder;
 *  - politeness across pollers: request slots per carrier spaced 1/rate
 *    apart, and the circuit breaker, both rows in tsk_carriers;
 *  - a lost connection is re-established with growing pauses and the
 *    statement repeated: every statement here is safe to repeat.
 *
 * One connection per tsk__pg; use a tsk__pg from one thread at a time.
 */
#ifndef TSK_STORE_PG_H
#define TSK_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include "tsuiseki/errors.h"

typedef struct tsk__pg tsk__pg;

/* The schema version this build creates and understands. */
#define TSK__PG_SCHEMA_VERSION 1

/* Open a connection (any libpq connection string or postgresql:// URL) and
 * bring the schema to the current version.  owner names this poller or
 * consumer in leases and claims (NULL: host, pid and a random part); it
 * must be unique among the processes sharing the database.
 * Returns TSK_OK, TSK_ENETWORK (cannot connect), TSK_EVERSION (the database
 * has a newer schema), TSK_EIO (a statement failed), TSK_ENOMEM. */
int tsk__pg_open(tsk__pg **out, const char *conninfo, const char *owner, tsk_error *err);
void tsk__pg_close(tsk__pg *pg);

const char *tsk__pg_owner(const tsk__pg *pg);

/* Reconnection: at most `horizon` seconds of retries (pauses from 0.1 s,
 * doubling to 5 s) before a statement fails with TSK_ENETWORK.  Default 60.
 * Each lost connection is reported through the log callback, if any. */
void tsk__pg_set_reconnect(tsk__pg *pg, double horizon);
void tsk__pg_set_log(tsk__pg *pg, void (*log)(void *data, const char *message), void *data);

/* Database round trips made so far (statements sent, connects excluded). */
unsigned long tsk__pg_round_trips(const tsk__pg *pg);
/* Connections re-established so far. */
unsigned long tsk__pg_reconnects(const tsk__pg *pg);

/* A shipment row as a poller sees it.  Strings owned by the row. */
typedef struct tsk__pg_row {
	int64_t id;
	char *tracking_number;
	char *carrier;
	char *reference;   /* may be NULL */
	char *locale;
	char *snapshot;    /* schema-1 JSON, NULL before the first poll */
	double next_poll;  /* epoch seconds; 0 when retired */
} tsk__pg_row;

/* Free a row's strings (the row itself is the caller's). */
void tsk__pg_row_clear(tsk__pg_row *row);
void tsk__pg_rows_free(tsk__pg_row *rows, size_t n);

int tsk__pg_add(tsk__pg *pg, const char *number, const char *carrier, const char *reference,
                const char *locale, double next_poll, int64_t *id, tsk_error *err);
/* TSK_ENOTFOUND when there is no such shipment. */
int tsk__pg_get(tsk__pg *pg, int64_t id, tsk__pg_row *row, tsk_error *err);

/* Lease up to `limit` shipments due at `now` (the fleet's clock) for
 * `lease` seconds (the database's clock).  *rows: caller frees with
 * tsk__pg_rows_free. */
int tsk__pg_lease(tsk__pg *pg, double now, size_t limit, double lease,
                  tsk__pg_row **rows, size_t *n, tsk_error *err);

typedef struct tsk__pg_note {
	const char *id;    /* the notification's stable id */
	const char *body;  /* its JSON */
} tsk__pg_note;

/* Save a poll result of a leased shipment with its notifications, in one
 * transaction.  next_poll 0 retires the shipment.  *written (may be NULL):
 * notifications written (those whose id existed are not).  TSK_ECANCELED
 * when this poller no longer holds the lease (it expired and another
 * poller took the shipment): nothing was written. */
int tsk__pg_save(tsk__pg *pg, int64_t id, const char *snapshot, const char *carrier,
                 const char *status, double next_poll, const tsk__pg_note *notes, size_t nnotes,
                 size_t *written, tsk_error *err);

/* A claimed notification. Strings owned by the claim. */
typedef struct tsk__pg_claimed {
	char *id;
	char *body;
} tsk__pg_claimed;

void tsk__pg_claims_free(tsk__pg_claimed *claims, size_t n);

/* Claim up to `limit` waiting notifications for `visibility` seconds. */
int tsk__pg_claim(tsk__pg *pg, size_t limit, double visibility,
                  tsk__pg_claimed **claims, size_t *n, tsk_error *err);
/* Acknowledge a claimed notification: TSK_OK, or TSK_ECANCELED when this
 * consumer does not hold it (its claim timed out and another took it). */
int tsk__pg_ack(tsk__pg *pg, const char *id, tsk_error *err);
/* Notifications not acknowledged yet. */
int tsk__pg_waiting(tsk__pg *pg, size_t *count, tsk_error *err);

/* Reserve the carrier's next request slot, `interval` seconds after the
 * previous one whichever poller took it.  *wait: seconds to wait before
 * sending (0 when the slot is now); *slot (may be NULL): the slot in
 * database-clock epoch seconds; *open_until: the shared breaker's
 * deadline in database-clock epoch seconds, 0 when closed (then the caller
 * should not send at all, and the slot is simply unused). */
int tsk__pg_reserve(tsk__pg *pg, const char *carrier, double interval, double *wait,
                    double *slot, double *open_until, tsk_error *err);
/* Report a request's outcome to the shared breaker: ok closes it; a
 * failure counts, and `threshold` consecutive ones open it for a cool-down
 * starting at `base` seconds, doubling up to `max`.  *open_until as above. */
int tsk__pg_breaker(tsk__pg *pg, const char *carrier, int ok, int threshold, double base,
                    double max, double *open_until, tsk_error *err);

#endif
