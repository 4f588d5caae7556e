/*
 * Private: the PostgreSQL fleet store ("postgresql://…" or
 * "postgresql:<any libpq connection string>"), for several pollers — on one
 * machine or many — sharing one fleet.  The SQL is in lib/store_pg_sql.h.
 *
 * The guarantees and what each rests on:
 *  - a due shipment goes to one poller at a time: due() leases what it
 *    returns (SELECT … FOR UPDATE SKIP LOCKED, then a lease deadline on the
 *    database's clock); a dead poller's leases expire and its work returns
 *    to the others;
 *  - save() writes a poll result and its notifications in one statement
 *    (one transaction), and only while this poller holds the lease (else it
 *    is TSK_ENOTFOUND: another poller owns that shipment now); notification
 *    ids are unique, so a change is never produced twice;
 *  - outbox() claims what it returns for a visibility timeout: each
 *    notification goes to one consumer at a time and returns to the outbox
 *    when not acknowledged in time; ack() acknowledges only what this
 *    consumer holds (or nobody holds);
 *  - politeness across pollers (tsk__pg_take, tsk__pg_breaker; used by
 *    lib/share_pg.c): request slots per carrier spaced 1/rate apart, taken
 *    in blocks, parallel places held with a deadline, and the circuit
 *    breaker, one row per carrier;
 *  - a lost connection is re-established with growing pauses (0.1 s
 *    doubling to 5 s, for at most the reconnect horizon) and the statement
 *    repeated: every statement of this store is safe to repeat.
 *
 * Tuning from the environment, read at open: TSUISEKI_LEASE_S (lease
 * length, default 300), TSUISEKI_CLAIM_S (notification claim timeout,
 * default 60), TSUISEKI_RECONNECT_S (reconnect horizon, default 60).
 */
#ifndef TSK_STORE_PG_H
#define TSK_STORE_PG_H

#include "store.h"

/* The schema version this build creates and understands. */
#define TSK__PG_SCHEMA_VERSION 2

extern const tsk__store_ops tsk__store_postgresql;
extern const tsk__store_ops tsk__store_postgres; /* the same, for "postgres://…" */

/* The rest takes a store opened through tsk__store_postgresql. */

/* The name of this poller or consumer in leases and claims: host, pid and
 * a random part (unique among the processes sharing the database). */
const char *tsk__pg_owner(const tsk__store *st);
void tsk__pg_set_lease(tsk__store *st, double seconds);
double tsk__pg_lease(const tsk__store *st);
void tsk__pg_set_claim(tsk__store *st, double seconds);
void tsk__pg_set_reconnect(tsk__store *st, double horizon);
/* Where lost connections are reported (level 1, warning; 2 when restored). */
void tsk__pg_set_log(tsk__store *st, void (*log)(void *data, int level, const char *message), void *data);

/* Database round trips made so far (statements sent, connects excluded). */
unsigned long tsk__pg_round_trips(const tsk__store *st);
/* Connections re-established so far. */
unsigned long tsk__pg_reconnects(const tsk__store *st);

/* Politeness shared by every poller (tsk_politeness_take in
 * store_pg_sql.h): one round trip takes a block of request slots and
 * sets how many parallel places this poller holds. */
typedef struct tsk__pg_ask {
	double interval;   /* seconds between two slots (1/rate) */
	long slots;        /* request slots wanted (0: none) */
	long places;       /* parallel places this poller wants to hold now (0: give all back) */
	long max_places;   /* the carrier's parallel limit, for all pollers together */
	double hold;       /* seconds the places stay held without a renewal */
} tsk__pg_ask;

typedef struct tsk__pg_grant {
	double first_slot; /* the first slot (epoch seconds, database clock); the others follow interval apart */
	double db_now;     /* the database's clock at the answer */
	long places;       /* places held now (<= the places asked) */
	double open_until; /* the shared breaker's deadline; 0 when closed */
} tsk__pg_grant;

int tsk__pg_take(tsk__store *st, const char *carrier, const tsk__pg_ask *ask, tsk__pg_grant *out, tsk_error *err);
/* Tell the shared breaker this poller's breaker opened for open_for
 * seconds (the later deadline wins), or closed (open_for 0: closed for
 * everyone).  *open_until (0: closed) and *db_now as in a grant. */
int tsk__pg_breaker(tsk__store *st, const char *carrier, double open_for, double *open_until, double *db_now,
                    tsk_error *err);

#endif
