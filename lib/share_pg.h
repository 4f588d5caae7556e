/*
 * Private: carrier politeness shared by every poller of a fleet on
 * PostgreSQL (lib/share_pg.c).  A fleet whose store is PostgreSQL installs
 * it into its context: from then on every request of that context to a
 * carrier keeps the carrier's rate and parallel limits for all pollers
 * together, and the circuit breaker is shared.
 */
#ifndef TSK_LIB_SHARE_PG_H
#define TSK_LIB_SHARE_PG_H

#include "store_pg.h"

typedef struct tsk__pg_share tsk__pg_share;

/* Install into ctx (which must outlive it), on a store opened through
 * tsk__store_postgresql; parallel places are held for at most `lease`
 * seconds (60 at most) without a renewal.  TSK_OK or TSK_ENOMEM. */
int tsk__pg_share_install(tsk__pg_share **out, tsk_ctx *ctx, tsk__store *st, double lease);
/* Give back every place held, take the hook out of the context, free.
 * Accepts NULL. */
void tsk__pg_share_remove(tsk__pg_share *sh);

/* Database round trips a fleet on PostgreSQL has made (statements sent:
 * the store's and the shared politeness's); 0 for another store.  For the
 * benchmark (tests/bench/bench_fleet_pg.c). */
unsigned long tsk__fleet_pg_round_trips(const tsk_fleet *f);

#endif
