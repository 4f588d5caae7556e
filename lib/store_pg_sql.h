/*
 * Private: all the SQL of the PostgreSQL fleet store (lib/store_pg.c), in
 * one place, readable on its own.  Parameters are $1…
 *
 * Clocks.  The fleet's schedule (next_poll, added_at, ended_at) is Unix
 * seconds on the poller's clock (which a test may replay with --now), given
 * as parameters.  Leases, claim timeouts, request slots and the circuit
 * breaker follow the database's clock (clock_timestamp()): one clock for
 * every poller, so machines whose clocks disagree still share them right.
 */
#ifndef TSK_STORE_PG_SQL_H
#define TSK_STORE_PG_SQL_H

/* ---- schema ------------------------------------------------------------
 * Forward-only migrations, each run once, in order, all in the transaction
 * that opens the store.  The advisory lock serializes pollers that open a
 * fresh database at the same moment: the second waits, then finds the
 * schema current.  Never edit a released migration: add the next one. */

#define TSK_PG_SQL_MIGRATE_LOCK \
	"SELECT pg_advisory_xact_lock(7378303231)" /* any constant: "the tsuiseki schema" */

#define TSK_PG_SQL_VERSION_TABLE \
	"CREATE TABLE IF NOT EXISTS tsk_schema_version (" \
	"  version integer PRIMARY KEY," \
	"  applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"

#define TSK_PG_SQL_VERSION \
	"SELECT coalesce(max(version), 0) FROM tsk_schema_version"

#define TSK_PG_SQL_VERSION_ADD \
	"INSERT INTO tsk_schema_version (version) VALUES ($1::integer)"

/* Version 1: the fleet (the same columns as the SQLite store), leases,
 * the outbox with claims, and the per-carrier politeness row. */
#define TSK_PG_SQL_MIGRATION_1 \
	"CREATE TABLE tsk_shipments (" \
	"  id          bigserial PRIMARY KEY," \
	"  number      text NOT NULL UNIQUE,  /* normalized tracking number */" \
	"  carrier     text NOT NULL,         /* 'auto' until pinned */" \
	"  reference   text,                  /* the shop's order id */" \
	"  locale      text NOT NULL,         /* 'ja' / 'en' */" \
	"  state       integer NOT NULL,      /* 0 active, 1 retired, 2 gave up */" \
	"  added_at    bigint NOT NULL,       /* Unix seconds, the fleet's clock */" \
	"  next_poll   bigint,                /* NULL: never again */" \
	"  ended_at    bigint,                /* retired / given up */" \
	"  status      integer NOT NULL,      /* tsk_status of the snapshot */" \
	"  exceptions  bigint NOT NULL,       /* bit (1 << code) per exception */" \
	"  probes      integer NOT NULL,      /* not-found answers in a row */" \
	"  snapshot    jsonb,                 /* schema-1 SHIPMENT JSON */" \
	"  lease_owner text,                  /* the poller working on it ... */" \
	"  lease_until timestamptz);          /* ... until then (database clock) */" \
	"CREATE INDEX tsk_shipments_due ON tsk_shipments (next_poll, id) WHERE next_poll IS NOT NULL;" \
	"CREATE INDEX tsk_shipments_reference ON tsk_shipments (reference);" \
	"CREATE INDEX tsk_shipments_ended ON tsk_shipments (ended_at) WHERE ended_at IS NOT NULL;" \
	/* The outbox: id is the notification's stable id, written once ever \
	 * (acknowledged rows stay until their shipment is purged).  A claim \
	 * (claimed_by, visible_at) gives it to one consumer until then. */ \
	"CREATE TABLE tsk_outbox (" \
	"  seq         bigserial PRIMARY KEY, /* outbox order */" \
	"  id          text NOT NULL UNIQUE," \
	"  shipment_id bigint NOT NULL," \
	"  created_at  bigint NOT NULL," \
	"  acked_at    bigint,                /* NULL: waiting */" \
	"  json        text NOT NULL," \
	"  claimed_by  text," \
	"  visible_at  timestamptz NOT NULL DEFAULT '-infinity'," \
	"  deliveries  integer NOT NULL DEFAULT 0);" \
	"CREATE INDEX tsk_outbox_waiting ON tsk_outbox (seq) WHERE acked_at IS NULL;" \
	"CREATE INDEX tsk_outbox_shipment ON tsk_outbox (shipment_id);" \
	/* Politeness shared by every poller, one row per carrier: the next \
	 * request slot (requests spaced 1/rate apart across all pollers) and \
	 * the circuit breaker's deadline (open_until).  failures and cooldown \
	 * are no longer read or written since schema 2: each poller counts \
	 * its own failures and shares only the deadline (TSK_PG_SQL_BREAKER). */ \
	"CREATE TABLE tsk_carriers (" \
	"  carrier     text PRIMARY KEY," \
	"  next_slot   timestamptz NOT NULL DEFAULT '-infinity'," \
	"  failures    integer NOT NULL DEFAULT 0," \
	"  open_until  timestamptz," \
	"  cooldown    float8 NOT NULL DEFAULT 0)"

/* ---- shipments --------------------------------------------------------- */

#define TSK_PG_REC_COLUMNS \
	"id, number, carrier, reference, locale, state, added_at, next_poll, ended_at," \
	" status, exceptions, probes, snapshot::text"

#define TSK_PG_SQL_ADD \
	"INSERT INTO tsk_shipments (number, carrier, reference, locale, state, added_at, next_poll," \
	" ended_at, status, exceptions, probes, snapshot)" \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)" \
	" ON CONFLICT (number) DO NOTHING RETURNING id"

#define TSK_PG_SQL_GET \
	"SELECT " TSK_PG_REC_COLUMNS " FROM tsk_shipments WHERE number = $1"

/* A shipment and all its notifications. */
#define TSK_PG_SQL_REMOVE \
	"WITH s AS (DELETE FROM tsk_shipments WHERE number = $1 RETURNING id)," \
	" n AS (DELETE FROM tsk_outbox WHERE shipment_id IN (SELECT id FROM s))" \
	" SELECT count(*) FROM s"

/* The list query is built from the filter: these are its pieces. */
#define TSK_PG_SQL_LIST "SELECT " TSK_PG_REC_COLUMNS " FROM tsk_shipments WHERE true"

/* Lease due work: up to $4 active shipments due at $1 (the fleet's clock)
 * after the cursor ($2, $3), in (next_poll, id) order, for poller $5 until
 * $6 seconds from now (the database's clock); what $5 holds already is
 * its own to take again (the lease is renewed).  SKIP LOCKED: rows another
 * poller is taking at this instant are passed over, never waited for; the
 * lease keeps them from every other poller until it expires, so a dead
 * poller's work returns to the others at the deadline.  One statement. */
#define TSK_PG_SQL_DUE \
	"WITH due AS (" \
	"  SELECT id FROM tsk_shipments" \
	"   WHERE next_poll IS NOT NULL AND next_poll <= $1" \
	"     AND (next_poll > $2 OR (next_poll = $2 AND id > $3))" \
	"     AND (lease_until IS NULL OR lease_until <= clock_timestamp() OR lease_owner = $5)" \
	"   ORDER BY next_poll, id" \
	"   LIMIT $4" \
	"   FOR UPDATE SKIP LOCKED)," \
	" leased AS (" \
	"  UPDATE tsk_shipments s" \
	"     SET lease_owner = $5, lease_until = clock_timestamp() + make_interval(secs => $6::float8)" \
	"    FROM due WHERE s.id = due.id" \
	"  RETURNING s.id, s.number, s.carrier, s.reference, s.locale, s.state, s.added_at, s.next_poll," \
	"            s.ended_at, s.status, s.exceptions, s.probes, s.snapshot::text)" \
	" SELECT * FROM leased ORDER BY next_poll, id"

/* When the next active shipment becomes available to poller $1: its next
 * poll, or for one another poller holds, when that lease runs out (in the
 * fleet's clock, taking the two clocks as the same). */
#define TSK_PG_SQL_NEXT_DUE \
	"SELECT min(CASE WHEN lease_until > clock_timestamp() AND lease_owner <> $1" \
	"                THEN greatest(next_poll, ceil(extract(epoch FROM lease_until))::bigint)" \
	"                ELSE next_poll END)" \
	"  FROM tsk_shipments WHERE next_poll IS NOT NULL"

/* Write one poll result and the notifications it produced, atomically (one
 * statement is one transaction), and only while poller $2 holds the lease
 * (a poller whose lease expired and was taken over writes nothing; the
 * lease owner stays, so the same save repeated after a lost reply is
 * harmless).  $3.. the record; $11 notifications as a JSON array of
 * {"id","json"}; an id the outbox holds already is not written again.
 * Returns (saved, notifications written). */
#define TSK_PG_SQL_SAVE \
	"WITH upd AS (" \
	"  UPDATE tsk_shipments" \
	"     SET carrier = $3, state = $4, next_poll = $5, ended_at = $6, status = $7," \
	"         exceptions = $8, probes = $9, snapshot = $10::jsonb, lease_until = NULL" \
	"   WHERE id = $1 AND lease_owner = $2" \
	"  RETURNING id)," \
	" ins AS (" \
	"  INSERT INTO tsk_outbox (id, shipment_id, created_at, json)" \
	"  SELECT n.id, upd.id, $12, n.json FROM upd, jsonb_to_recordset($11::jsonb) AS n(id text, json text)" \
	"  ON CONFLICT (id) DO NOTHING RETURNING 1)" \
	" SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM ins)"

/* Retired and given-up shipments that ended before $1, with their
 * acknowledged notifications. */
#define TSK_PG_SQL_PURGE \
	"WITH s AS (DELETE FROM tsk_shipments WHERE ended_at < $1 RETURNING id)," \
	" n AS (DELETE FROM tsk_outbox WHERE acked_at IS NOT NULL AND shipment_id IN (SELECT id FROM s))" \
	" SELECT count(*) FROM s"

/* ---- outbox ------------------------------------------------------------ */

/* Claim up to $2 waiting notifications (NULL: all) for consumer $1,
 * hidden from the others for $3 seconds: each goes to one consumer at a
 * time, and one not acknowledged in time returns to the outbox.  What $1
 * holds already it gets again (the claim is renewed). */
#define TSK_PG_SQL_CLAIM \
	"WITH c AS (" \
	"  SELECT seq FROM tsk_outbox" \
	"   WHERE acked_at IS NULL AND (visible_at <= clock_timestamp() OR claimed_by = $1)" \
	"   ORDER BY seq LIMIT $2" \
	"   FOR UPDATE SKIP LOCKED)," \
	" claimed AS (" \
	"  UPDATE tsk_outbox o" \
	"     SET claimed_by = $1, deliveries = o.deliveries + 1," \
	"         visible_at = clock_timestamp() + make_interval(secs => $3::float8)" \
	"    FROM c WHERE o.seq = c.seq" \
	"  RETURNING o.seq, o.id, o.json)" \
	" SELECT id, json FROM claimed ORDER BY seq"

/* Acknowledge notifications $1 (a text array) for consumer $2 at $3: those
 * it holds and those nobody holds.  One another consumer holds is left to
 * it.  Repeating an acknowledgement is harmless.  Returns (asked for and
 * waiting, acknowledged). */
#define TSK_PG_SQL_ACK \
	"WITH w AS (" \
	"  SELECT seq, claimed_by, visible_at FROM tsk_outbox" \
	"   WHERE id = ANY($1::text[]) AND acked_at IS NULL FOR UPDATE)," \
	" a AS (" \
	"  UPDATE tsk_outbox o SET acked_at = $3 FROM w" \
	"   WHERE o.seq = w.seq AND (w.claimed_by = $2 OR w.claimed_by IS NULL OR w.visible_at <= clock_timestamp())" \
	"  RETURNING 1)" \
	" SELECT (SELECT count(*) FROM w), (SELECT count(*) FROM a)"

/* ---- politeness across pollers ------------------------------------------
 * One call per take (lib/share_pg.c asks in blocks, never per request).
 * tsk_politeness_take(carrier, owner, interval, slots, places, max_places,
 * hold) — in one function so its steps run in one transaction, each with a
 * fresh snapshot, under the carrier row's lock (taken first: every take of
 * that carrier waits for the one before it, for an instant, never across
 * a request):
 *  - requests per second: `slots` request slots, `interval` seconds apart,
 *    from the carrier's next free slot (or now); whichever poller takes
 *    them, no two slots are closer than the interval.  Returns the first;
 *  - parallel requests: the poller now holds `places` of the carrier's
 *    `max_places` — as many as the other pollers' unexpired holds leave
 *    (0 gives every place back); a hold lasts `hold` seconds, so a dead
 *    poller's places return then, and a live one renews it by taking again;
 *  - the shared circuit breaker: open until (NULL: closed).
 * Returns (first slot, database now, places held, open until), epoch
 * seconds on the database's clock. */
#define TSK_PG_SQL_MIGRATION_2 \
	"CREATE TABLE tsk_carrier_holds (" \
	"  carrier text NOT NULL," \
	"  owner   text NOT NULL,               /* the poller holding ... */" \
	"  places  integer NOT NULL,            /* ... this many parallel requests ... */" \
	"  until   timestamptz NOT NULL,        /* ... until then (database clock) */" \
	"  PRIMARY KEY (carrier, owner));" \
	"CREATE FUNCTION tsk_politeness_take(p_carrier text, p_owner text, p_interval float8, p_slots integer," \
	"    p_places integer, p_max_places integer, p_hold float8," \
	"    OUT first_slot float8, OUT db_now float8, OUT places integer, OUT open_until float8)" \
	" LANGUAGE plpgsql AS $f$" \
	" DECLARE others integer;" \
	" BEGIN" \
	"  INSERT INTO tsk_carriers (carrier) VALUES (p_carrier) ON CONFLICT (carrier) DO NOTHING;" \
	"  SELECT extract(epoch FROM c.open_until)::float8 INTO open_until" \
	"    FROM tsk_carriers c WHERE c.carrier = p_carrier FOR UPDATE;" \
	"  IF p_slots > 0 THEN" \
	"    UPDATE tsk_carriers c" \
	"       SET next_slot = greatest(c.next_slot, clock_timestamp()) + make_interval(secs => p_interval * p_slots)" \
	"     WHERE c.carrier = p_carrier" \
	"    RETURNING extract(epoch FROM c.next_slot)::float8 - p_interval * p_slots INTO first_slot;" \
	"  END IF;" \
	"  DELETE FROM tsk_carrier_holds h WHERE h.carrier = p_carrier AND h.until <= clock_timestamp();" \
	"  SELECT coalesce(sum(h.places), 0) INTO others FROM tsk_carrier_holds h" \
	"   WHERE h.carrier = p_carrier AND h.owner <> p_owner;" \
	"  places := greatest(0, least(p_places, p_max_places - others));" \
	"  IF places > 0 THEN" \
	"    INSERT INTO tsk_carrier_holds AS h (carrier, owner, places, until)" \
	"    VALUES (p_carrier, p_owner, places, clock_timestamp() + make_interval(secs => p_hold))" \
	"    ON CONFLICT (carrier, owner) DO UPDATE SET places = excluded.places, until = excluded.until;" \
	"  ELSE" \
	"    DELETE FROM tsk_carrier_holds h WHERE h.carrier = p_carrier AND h.owner = p_owner;" \
	"  END IF;" \
	"  db_now := extract(epoch FROM clock_timestamp())::float8;" \
	" END $f$"

#define TSK_PG_SQL_TAKE \
	"SELECT first_slot, db_now, places, open_until" \
	"  FROM tsk_politeness_take($1, $2, $3::float8, $4::integer, $5::integer, $6::integer, $7::float8)"

/* The shared circuit breaker: a poller whose own breaker opened says so
 * ($2 seconds from now; the later deadline wins), one whose breaker closed
 * says so ($2 NULL: closed for everyone).  Returns (open until or NULL,
 * database now), epoch seconds. */
#define TSK_PG_SQL_BREAKER \
	"INSERT INTO tsk_carriers AS c (carrier, open_until)" \
	" VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8))" \
	" ON CONFLICT (carrier) DO UPDATE" \
	"   SET open_until = CASE WHEN $2::float8 IS NULL THEN NULL" \
	"                         ELSE greatest(c.open_until, excluded.open_until) END" \
	" RETURNING extract(epoch FROM c.open_until)::float8, extract(epoch FROM clock_timestamp())::float8"

#endif
