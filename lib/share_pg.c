/*
 * Carrier politeness shared by every poller of a fleet on PostgreSQL: the
 * HTTP engine's sharer (tsk__http_share, lib/http.h) and the context's
 * breaker reports, backed by tsk__pg_take / tsk__pg_breaker (store_pg.h).
 *
 * Per carrier this process keeps what it took from the database:
 *  - a block of request slots (the database hands slots out interval
 *    apart, whichever poller takes them).  An attempt goes at a slot of its
 *    own, no earlier and at most SLOT_LATE_MS later (a slot missed by more
 *    is dropped, never used late), and the interval is (1 + SLOT_STRETCH)
 *    / rate: then request i and request i + rate of all pollers together
 *    are at least rate * interval - SLOT_LATE_MS = 1 s + 30 ms - 20 ms
 *    apart, so no one-second window holds more than `rate` of them, with
 *    10 ms to spare for the way to the carrier (the price: the rate is
 *    used to 97 %);
 *  - parallel places held: at most max_parallel among all pollers; a
 *    place is held until given back (when this process has nothing left
 *    waiting for the carrier) or until the hold runs out (a dead poller's
 *    places return to the others), renewed while in use.
 * Asking is O(1) (O(carriers) to find the carrier) and makes a round trip
 * only when the block is spent, a place is missing or the hold is due for
 * renewal (at most every RECHECK_MS): a block holds what is waiting, at most a quarter second's worth
 * of the rate and BLOCK_MAX — so a rate that binds costs at most 4 round
 * trips a second per poller and carrier, and one that does not costs one
 * per batch of requests.
 *
 * The breaker: when this context's breaker opens or closes it says so to
 * the database (one round trip per change), and every take brings the
 * shared state back and imports it (tsk__breaker_import), so one poller
 * finding a carrier down stops the others at their next take: within a
 * block of requests or RECHECK_MS, whichever comes first.
 */
#include "share_pg.h"

#include "context.h"
#include "politeness.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_STRETCH 0.03 /* the interval is (1 + SLOT_STRETCH) / rate */
#define SLOT_LATE_MS 20.0 /* a slot is used at most this late */
#define BLOCK_MAX 64
#define PLACE_RETRY_FIRST_MS 20
#define PLACE_RETRY_MAX_MS 100
#define HOLD_MAX_S 60.0
#define RECHECK_MS 1000 /* a carrier in use here: its shared state read at least this often */

struct share_carrier {
	char *name;
	double next_slot;          /* the block's next slot, tsk__http_now_ms clock */
	long slots;                /* left in the block */
	double interval_ms;        /* of the block */
	long held, busy;           /* parallel places held; in use */
	int64_t renew_at;          /* renew the hold by then */
	int64_t place_retry_at;    /* no place was free: ask again then */
	int64_t place_backoff;
};

struct tsk__pg_share {
	tsk_ctx *ctx;
	tsk__store *st;
	double hold;               /* seconds */
	struct share_carrier *c;
	size_t n;
};

static struct share_carrier *carrier_of(tsk__pg_share *sh, const char *name)
{
	for (size_t i = 0; i < sh->n; i++)
		if (strcmp(sh->c[i].name, name) == 0)
			return &sh->c[i];
	struct share_carrier *n = realloc(sh->c, (sh->n + 1) * sizeof *n);
	if (!n)
		return NULL;
	sh->c = n;
	struct share_carrier *c = &n[sh->n];
	memset(c, 0, sizeof *c);
	if (!(c->name = tsk__strdup(name)))
		return NULL;
	c->place_backoff = PLACE_RETRY_FIRST_MS;
	sh->n++;
	return c;
}

/* The database's breaker, here: open until (its clock) or closed (0). */
static void import_breaker(tsk__pg_share *sh, const char *carrier, double open_until, double db_now)
{
	tsk__breaker_import(sh->ctx, carrier, open_until > 0 ? (int64_t)ceil((open_until - db_now) * 1000) : 0);
}

/* Drop the slots of the block that are too late to use at now. */
static void drop_late(struct share_carrier *c, double now)
{
	while (c->slots > 0 && now > c->next_slot + SLOT_LATE_MS) {
		c->next_slot += c->interval_ms;
		c->slots--;
	}
}

static int acquire(void *data, const char *carrier, long rps, long max_parallel, size_t waiting, int64_t now,
                   int64_t *retry_at, char *msg, size_t msglen)
{
	tsk__pg_share *sh = data;
	struct share_carrier *c = carrier_of(sh, carrier);
	if (!c) {
		snprintf(msg, msglen, "out of memory");
		return TSK__SHARE_CLOSED;
	}
	double interval_ms = rps > 0 ? 1000.0 * (1.0 + SLOT_STRETCH) / (double)rps : 0;
	if (interval_ms != c->interval_ms)
		c->slots = 0; /* the limit changed: a new block */
	c->interval_ms = interval_ms;
	drop_late(c, (double)now);
	if (rps > 0 && c->slots > 0 && c->next_slot > (double)now) {
		*retry_at = (int64_t)ceil(c->next_slot);
		return TSK__SHARE_WAIT;
	}
	bool need_slots = rps > 0 && c->slots == 0;
	bool need_place = c->busy >= c->held;
	if (need_place && !need_slots && now < c->place_retry_at) {
		*retry_at = c->place_retry_at;
		return TSK__SHARE_WAIT;
	}
	if (need_slots || need_place || now >= c->renew_at) {
		long want_slots = 0;
		if (need_slots) {
			long quarter = rps / 4 > 1 ? rps / 4 : 1;
			want_slots = (long)waiting < quarter ? (long)waiting : quarter;
			if (want_slots > BLOCK_MAX)
				want_slots = BLOCK_MAX;
			if (want_slots < 1)
				want_slots = 1;
		}
		/* places: as many as wait when the rate does not space the
		 * requests, else one more at a time (spaced requests need few,
		 * and a place held idle is one the other pollers lack) */
		long want_places = c->held;
		if (need_place) {
			want_places = c->busy + (rps > 0 ? 1 : (long)waiting);
			if (want_places > max_parallel)
				want_places = max_parallel;
		}
		tsk__pg_ask ask = { interval_ms / 1000.0, want_slots, want_places, max_parallel, sh->hold };
		tsk__pg_grant g;
		tsk_error err;
		tsk_error_clear(&err);
		if (tsk__pg_take(sh->st, carrier, &ask, &g, &err) != TSK_OK) {
			snprintf(msg, msglen, "%s is not asked: its politeness, shared by the fleet's pollers, is unavailable: %s",
			         carrier, err.message);
			return TSK__SHARE_CLOSED;
		}
		now = tsk__http_now_ms();
		if (want_slots) {
			c->next_slot = (double)now + (g.first_slot - g.db_now) * 1000.0;
			c->slots = want_slots;
		}
		c->held = g.places;
		/* renewed at half the hold, and at least every RECHECK_MS while
		 * in use, when the shared breaker comes back too */
		int64_t renew = (int64_t)(sh->hold * 500);
		c->renew_at = now + (renew < RECHECK_MS ? renew : RECHECK_MS);
		import_breaker(sh, carrier, g.open_until, g.db_now);
		if (g.open_until > 0 && !tsk__breaker_gate(sh->ctx, carrier, msg, msglen))
			return TSK__SHARE_CLOSED;
		if (c->busy >= c->held) {
			/* every place is held by the others: ask again a little later */
			c->place_retry_at = now + c->place_backoff;
			c->place_backoff = c->place_backoff * 2 < PLACE_RETRY_MAX_MS ? c->place_backoff * 2 : PLACE_RETRY_MAX_MS;
			*retry_at = c->place_retry_at;
			return TSK__SHARE_WAIT;
		}
		c->place_backoff = PLACE_RETRY_FIRST_MS;
		drop_late(c, (double)now);
	}
	if (rps > 0) {
		if (c->slots == 0) {
			/* the whole block went by while it was taken: take another */
			*retry_at = now + 1;
			return TSK__SHARE_WAIT;
		}
		if (c->next_slot > (double)now) {
			*retry_at = (int64_t)ceil(c->next_slot);
			return TSK__SHARE_WAIT;
		}
		c->next_slot += c->interval_ms;
		c->slots--;
	}
	c->busy++;
	return TSK__SHARE_GO;
}

/* Give back every place the carrier holds here. */
static void give_back(tsk__pg_share *sh, struct share_carrier *c)
{
	tsk__pg_ask ask = { c->interval_ms / 1000.0, 0, 0, 0, sh->hold };
	tsk__pg_grant g;
	tsk_error err;
	tsk_error_clear(&err);
	if (tsk__pg_take(sh->st, c->name, &ask, &g, &err) != TSK_OK)
		tsk__ctx_log(sh->ctx, 1, "%s: cannot give back its parallel places (they return when the hold runs out): %s",
		             c->name, err.message);
	c->held = 0;
}

static void release(void *data, const char *carrier, size_t waiting)
{
	tsk__pg_share *sh = data;
	struct share_carrier *c = carrier_of(sh, carrier);
	if (!c)
		return;
	if (c->busy > 0)
		c->busy--;
	if (waiting == 0 && c->busy == 0 && c->held > 0)
		give_back(sh, c);
}

static void breaker_changed(void *data, const char *carrier, int64_t open_for_ms)
{
	tsk__pg_share *sh = data;
	double open_until, db_now;
	tsk_error err;
	tsk_error_clear(&err);
	if (tsk__pg_breaker(sh->st, carrier, (double)open_for_ms / 1000.0, &open_until, &db_now, &err) != TSK_OK)
		tsk__ctx_log(sh->ctx, 1, "%s: the other pollers are not told of the circuit breaker: %s", carrier,
		             err.message);
}

static void hook_free(tsk_ctx *ctx, void *data)
{
	(void)ctx;
	free(data);
}

int tsk__pg_share_install(tsk__pg_share **out, tsk_ctx *ctx, tsk__store *st, double lease)
{
	*out = NULL;
	/* The hook itself belongs to the context (its TSK__SLOT_SHARE, freed
	 * with it): transfers hold a pointer to it, which stays valid after
	 * this sharer is removed (its functions are cleared then). */
	tsk__http_share *hook = tsk__ctx_slot(ctx, TSK__SLOT_SHARE);
	if (!hook) {
		if (!(hook = calloc(1, sizeof *hook)))
			return TSK_ENOMEM;
		tsk__ctx_set_slot(ctx, TSK__SLOT_SHARE, hook, hook_free);
	}
	tsk__pg_share *sh = calloc(1, sizeof *sh);
	if (!sh)
		return TSK_ENOMEM;
	sh->ctx = ctx;
	sh->st = st;
	sh->hold = lease < HOLD_MAX_S ? lease : HOLD_MAX_S;
	hook->acquire = acquire;
	hook->release = release;
	hook->breaker = breaker_changed;
	hook->data = sh;
	*out = sh;
	return TSK_OK;
}

void tsk__pg_share_remove(tsk__pg_share *sh)
{
	if (!sh)
		return;
	tsk__http_share *hook = tsk__ctx_slot(sh->ctx, TSK__SLOT_SHARE);
	if (hook && hook->data == sh)
		memset(hook, 0, sizeof *hook);
	for (size_t i = 0; i < sh->n; i++) {
		if (sh->c[i].held > 0)
			give_back(sh, &sh->c[i]);
		free(sh->c[i].name);
	}
	free(sh->c);
	free(sh);
}
