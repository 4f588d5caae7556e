/*
 * Private: all the SQL of the PostgreSQL fleet store (lib/store_pg.c), in
 * one place, readable on its own.  Parameters are $1…; times cross the wire
 * as Unix epoch seconds (float8).
 *
 * Clocks.  next_poll is the fleet's schedule and follows the poller's clock
 * (which a test may replay with --now): it is always given as a parameter.
 * Leases, visibility timeouts, request slots and the circuit breaker follow
 * the database's clock (clock_timestamp()): one clock for every poller, so
 * machines whose clocks disagree still share them correctly.
 */
#ifndef TSK_STORE_PG_SQL_H
#define TSK_STORE_PG_SQL_H

/* ---- schema ------------------------------------------------------------
 * Forward-only migrations, each run once, in order, all in the transaction
 * that opens the store.  The advisory lock serializes pollers that open a
 * fresh database at the same moment: the second one waits, then finds the
 * schema current.  Never edit a released migration: add the next one. */

#define TSK_PG_ADVISORY_KEY "7378303231" /* any constant: "the tsuiseki schema lock" */

#define TSK_PG_SQL_MIGRATE_LOCK \
	"SELECT pg_advisory_xact_lock(" TSK_PG_ADVISORY_KEY ")"

#define TSK_PG_SQL_VERSION_TABLE \
	"CREATE TABLE IF NOT EXISTS tsk_schema_version (" \
	"  version integer PRIMARY KEY," \
	"  applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"

#define TSK_PG_SQL_VERSION \
	"SELECT coalesce(max(version), 0) FROM tsk_schema_version"

#define TSK_PG_SQL_VERSION_ADD \
	"INSERT INTO tsk_schema_version (version) VALUES ($1::integer)"

/* Version 1. */
#define TSK_PG_SQL_MIGRATION_1 \
	/* One row per shipment.  next_poll NULL: retired (delivered, returned, \
	 * given up); kept for history.  lease_owner/lease_until: the poller   \
	 * working on it and until when; the owner stays after the result is   \
	 * saved, so a save repeated after a lost reply is harmless. */         \
	"CREATE TABLE tsk_shipments (" \
	"  id bigserial PRIMARY KEY," \
	"  tracking_number text NOT NULL," \
	"  carrier text NOT NULL," \
	"  reference text," \
	"  locale text NOT NULL DEFAULT 'ja'," \
	"  status text," \
	"  snapshot jsonb," \
	"  next_poll timestamptz," \
	"  added_at timestamptz NOT NULL DEFAULT clock_timestamp()," \
	"  retired_at timestamptz," \
	"  lease_owner text," \
	"  lease_until timestamptz);" \
	/* Due work is an index look-up: only live shipments are in it. */ \
	"CREATE INDEX tsk_shipments_due ON tsk_shipments (next_poll) WHERE next_poll IS NOT NULL;" \
	"CREATE INDEX tsk_shipments_reference ON tsk_shipments (reference);" \
	/* The outbox.  id is the notification's stable id: a notification is \
	 * produced once, ever (acknowledged rows stay until purged, so a      \
	 * replayed change cannot produce it again).  claimed_by/visible_at:   \
	 * the consumer holding it and when it returns to the others. */       \
	"CREATE TABLE tsk_outbox (" \
	"  seq bigserial PRIMARY KEY," \
	"  id text NOT NULL UNIQUE," \
	"  shipment_id bigint REFERENCES tsk_shipments (id) ON DELETE SET NULL," \
	"  body text NOT NULL," \
	"  created_at timestamptz NOT NULL DEFAULT clock_timestamp()," \
	"  visible_at timestamptz NOT NULL DEFAULT clock_timestamp()," \
	"  claimed_by text," \
	"  deliveries integer NOT NULL DEFAULT 0," \
	"  acked_at timestamptz);" \
	"CREATE INDEX tsk_outbox_waiting ON tsk_outbox (seq) WHERE acked_at IS NULL;" \
	/* Politeness shared by every poller, one row per carrier: the next    \
	 * request slot (requests are spaced 1/rate apart across all pollers) \
	 * and the circuit breaker (consecutive failures, open until when, the \
	 * cool-down that the next opening will last). */                      \
	"CREATE TABLE tsk_carriers (" \
	"  carrier text PRIMARY KEY," \
	"  next_slot timestamptz NOT NULL DEFAULT '-infinity'," \
	"  failures integer NOT NULL DEFAULT 0," \
	"  open_until timestamptz," \
	"  cooldown float8 NOT NULL DEFAULT 0)"

/* ---- shipments --------------------------------------------------------- */

#define TSK_PG_SQL_ADD \
	"INSERT INTO tsk_shipments (tracking_number, carrier, reference, locale, next_poll)" \
	" VALUES ($1, $2, $3, $4, to_timestamp($5::float8)) RETURNING id"

/* Take up to $3 due shipments for owner $1 until $4 seconds from now (the
 * database's clock).  SKIP LOCKED: rows another poller is taking at this
 * instant are passed over, never waited for; the lease column keeps them
 * from every other poller until it expires, so a dead poller's work returns
 * to the others at the deadline.  One statement, one round trip. */
#define TSK_PG_SQL_LEASE \
	"WITH due AS (" \
	"  SELECT id FROM tsk_shipments" \
	"   WHERE next_poll IS NOT NULL AND next_poll <= to_timestamp($2::float8)" \
	"     AND (lease_until IS NULL OR lease_until <= clock_timestamp())" \
	"   ORDER BY next_poll" \
	"   LIMIT $3" \
	"   FOR UPDATE SKIP LOCKED)" \
	" UPDATE tsk_shipments s" \
	"    SET lease_owner = $1, lease_until = clock_timestamp() + make_interval(secs => $4::float8)" \
	"   FROM due WHERE s.id = due.id" \
	" RETURNING s.id, s.tracking_number, s.carrier, s.reference, s.locale, s.snapshot::text," \
	"           extract(epoch FROM s.next_poll)::float8"

/* Write one poll result and the notifications it produced, atomically (one
 * statement is one transaction), and only while owner $2 still holds the
 * lease: a poller whose lease expired and was taken over writes nothing.
 * $3 snapshot, $4 carrier (pinned), $5 status, $6 next poll (NULL: retire),
 * $7 notifications as a JSON array of {"id","body"}; a notification whose id
 * exists already is not written again.  Returns (saved, notifications). */
#define TSK_PG_SQL_SAVE \
	"WITH upd AS (" \
	"  UPDATE tsk_shipments" \
	"     SET snapshot = $3::jsonb, carrier = $4, status = $5," \
	"         next_poll = to_timestamp($6::float8)," \
	"         retired_at = CASE WHEN $6 IS NULL THEN coalesce(retired_at, clock_timestamp()) END," \
	"         lease_until = NULL" \
	"   WHERE id = $1 AND lease_owner = $2" \
	"  RETURNING id)," \
	" ins AS (" \
	"  INSERT INTO tsk_outbox (id, shipment_id, body)" \
	"  SELECT n.id, upd.id, n.body FROM upd, jsonb_to_recordset($7::jsonb) AS n(id text, body text)" \
	"  ON CONFLICT (id) DO NOTHING RETURNING 1)" \
	" SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM ins)"

#define TSK_PG_SQL_GET \
	"SELECT id, tracking_number, carrier, reference, locale, snapshot::text," \
	"       extract(epoch FROM next_poll)::float8" \
	"  FROM tsk_shipments WHERE id = $1"

/* ---- outbox ------------------------------------------------------------ */

/* Claim up to $2 waiting notifications for consumer $1, invisible to the
 * others for $3 seconds: each goes to one consumer at a time; one not
 * acknowledged in time returns to the outbox. */
#define TSK_PG_SQL_CLAIM \
	"WITH c AS (" \
	"  SELECT seq FROM tsk_outbox" \
	"   WHERE acked_at IS NULL AND visible_at <= clock_timestamp()" \
	"   ORDER BY seq LIMIT $2" \
	"   FOR UPDATE SKIP LOCKED)" \
	" UPDATE tsk_outbox o" \
	"    SET claimed_by = $1, deliveries = o.deliveries + 1," \
	"        visible_at = clock_timestamp() + make_interval(secs => $3::float8)" \
	"   FROM c WHERE o.seq = c.seq" \
	" RETURNING o.seq, o.id, o.body"

/* Acknowledge notification $1 for consumer $2; only the consumer holding
 * it may (after its claim timed out and another took it, nothing happens).
 * Repeating an acknowledgement is harmless.  Returns 1 row when acked. */
#define TSK_PG_SQL_ACK \
	"UPDATE tsk_outbox SET acked_at = coalesce(acked_at, clock_timestamp())" \
	" WHERE id = $1 AND claimed_by = $2 RETURNING 1"

#define TSK_PG_SQL_WAITING \
	"SELECT count(*) FROM tsk_outbox WHERE acked_at IS NULL"

/* ---- politeness across pollers ------------------------------------------
 * Requests per second: each request reserves the carrier's next slot, and
 * slots are $2 seconds apart (1/rate, with a margin) whichever poller takes
 * them; the poller waits until its slot before sending.  The row lock
 * serializes reservations for an instant, never across a request.
 * Returns (slot, database now, breaker open until or NULL), epoch seconds. */
#define TSK_PG_SQL_RESERVE \
	"INSERT INTO tsk_carriers AS c (carrier, next_slot)" \
	" VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8))" \
	" ON CONFLICT (carrier) DO UPDATE" \
	"   SET next_slot = greatest(c.next_slot + make_interval(secs => $2::float8), excluded.next_slot)" \
	" RETURNING extract(epoch FROM c.next_slot)::float8 - $2::float8," \
	"           extract(epoch FROM clock_timestamp())::float8," \
	"           extract(epoch FROM c.open_until)::float8"

/* The circuit breaker, shared: a failure counts; at $2 consecutive failures
 * the breaker opens for the current cool-down (starting at $3 seconds,
 * doubling while the carrier stays down, at most $4); every poller sees it
 * open and stops asking.  Returns open_until (NULL: closed). */
#define TSK_PG_SQL_BREAKER_FAIL \
	"INSERT INTO tsk_carriers AS c (carrier, failures, open_until, cooldown)" \
	" VALUES ($1, 1," \
	"         CASE WHEN 1 >= $2::integer THEN clock_timestamp() + make_interval(secs => $3::float8) END," \
	"         CASE WHEN 1 >= $2::integer THEN least($3::float8 * 2, $4::float8) ELSE $3::float8 END)" \
	" ON CONFLICT (carrier) DO UPDATE SET" \
	"   failures = c.failures + 1," \
	"   open_until = CASE WHEN c.failures + 1 >= $2::integer" \
	"                     THEN clock_timestamp() + make_interval(secs => greatest(c.cooldown, $3::float8))" \
	"                     ELSE c.open_until END," \
	"   cooldown = CASE WHEN c.failures + 1 >= $2::integer" \
	"                   THEN least(greatest(c.cooldown, $3::float8) * 2, $4::float8)" \
	"                   ELSE c.cooldown END" \
	" RETURNING extract(epoch FROM c.open_until)::float8"

/* The first success closes the breaker for everyone. */
#define TSK_PG_SQL_BREAKER_OK \
	"UPDATE tsk_carriers SET failures = 0, open_until = NULL, cooldown = 0" \
	" WHERE carrier = $1 AND (failures <> 0 OR open_until IS NOT NULL)"

#endif
