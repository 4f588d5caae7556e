/*
 * The PostgreSQL fleet store (lib/store_pg.c) against a real server: a
 * throwaway cluster started by tests/common/pgtmp.sh for this program.
 * Schema migrations (also several pollers opening a fresh database at once,
 * a newer schema refused), leases (due order, SKIP LOCKED between pollers,
 * expiry returns the work, a stale poller cannot write), the poll result
 * and its notifications in one transaction (ids never produced twice,
 * retirement), the outbox across consumers (one holder, visibility timeout,
 * acknowledgement only by the holder), request slots, parallel places
 * and the circuit breaker shared between connections, and a lost connection (server
 * stopped, restarted) reported and re-established with backoff.
 *
 * Skipped (exit 77) with the reason when the PostgreSQL server binaries are
 * not installed; CI installs them (Debian's postgresql package).
 */
#define _POSIX_C_SOURCE 200809L
#include "pgtmp.h"
#include "store_check.h"
#include "store_pg.h"
#include "tsuiseki/fleet.h"

#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static tsk_pgtmp *cluster;

static const char *conninfo(void) { return tsk_pgtmp_conninfo(cluster); }

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

/* Run SQL directly (checks and clean-up, not through the store). */
static PGresult *sql(const char *db, const char *query)
{
	PGconn *c = PQconnectdb(db);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	PGresult *r = PQexec(c, query);
	ExecStatusType st = PQresultStatus(r);
	ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", query, PQresultErrorMessage(r));
	PQfinish(c);
	return r;
}

static long sql_long(const char *db, const char *query)
{
	PGresult *r = sql(db, query);
	long v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static tsk__store *open_store(void)
{
	tsk__store *st = NULL;
	tsk_error err;
	tsk_error_clear(&err);
	ck_assert_msg(tsk__store_postgresql.open(&st, conninfo(), &err) == TSK_OK, "open: %s", err.message);
	return st;
}

static void close_store(tsk__store *st) { tsk__store_postgresql.close(st); }

/* Every test starts from an empty fleet (the schema exists after the first open). */
static void setup(void)
{
	close_store(open_store());
	PQclear(sql(conninfo(), "TRUNCATE tsk_outbox, tsk_shipments, tsk_carriers RESTART IDENTITY"));
}

/* n shipments due at t0, t0+1, … */
static void add_n(tsk__store *st, int n, int64_t t0)
{
	tsk_error err;
	for (int i = 0; i < n; i++) {
		char num[32];
		snprintf(num, sizeof num, "4000%08d", i);
		tsk__store_rec r = tsk_test_store_rec(num, "yamato", "order", t0 + i);
		ck_assert_int_eq(tsk__store_postgresql.add(st, &r, &err), TSK_OK);
	}
}

static size_t due(tsk__store *st, int64_t now, size_t limit, tsk__store_rec **out)
{
	size_t n = 0;
	tsk_error err;
	*out = NULL;
	ck_assert_msg(tsk__store_postgresql.due(st, now, INT64_MIN, 0, limit, out, &n, &err) == TSK_OK, "%s",
	              err.message);
	return n;
}

static void recs_free(tsk__store_rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tsk__store_rec_dispose(&r[i]);
	free(r);
}

/* Save a leased record as polled, with one notification named note. */
static int save(tsk__store *st, const tsk__store_rec *r, int64_t next, const char *note, size_t *written)
{
	tsk__store_rec w = *r;
	w.next_poll = next;
	w.snapshot = (char *)"{\"schema\":1}";
	tsk__store_note n;
	memset(&n, 0, sizeof n);
	if (note)
		snprintf(n.id, sizeof n.id, "%s", note);
	n.json = (char *)"{\"kind\":\"shipped\"}";
	size_t dummy;
	tsk_error err;
	return tsk__store_postgresql.save(st, &w, &n, note ? 1 : 0, 5000, written ? written : &dummy, &err);
}

/* The checks every store passes (tests/common/store_check.c). */
START_TEST(the_store_checks)
{
	tsk_test_check_store(&tsk__store_postgresql, conninfo());
}
END_TEST

/* ------------------------------------------------------------- migrations */

START_TEST(schema_created_once)
{
	tsk__store *a = open_store(), *b = open_store();
	ck_assert_str_ne(tsk__pg_owner(a), tsk__pg_owner(b));
	ck_assert_int_eq(sql_long(conninfo(), "SELECT max(version) FROM tsk_schema_version"), TSK__PG_SCHEMA_VERSION);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_schema_version"), TSK__PG_SCHEMA_VERSION);
	/* due work is an index look-up, not a scan of the fleet */
	/* (an empty table: forbid the sequential scan a planner would rightly pick) */
	PGresult *r = sql(conninfo(), "SET enable_seqscan = off; EXPLAIN SELECT id FROM tsk_shipments WHERE next_poll IS NOT NULL"
	                              " AND next_poll <= 5 ORDER BY next_poll, id LIMIT 10");
	int indexed = 0;
	for (int i = 0; i < PQntuples(r); i++)
		indexed |= strstr(PQgetvalue(r, i, 0), "using tsk_shipments_due") != NULL;
	ck_assert_msg(indexed, "plan: %s", PQgetvalue(r, 0, 0));
	PQclear(r);
	close_store(a);
	close_store(b);
}
END_TEST

/* Pollers starting together on a fresh database: one migrates, the others
 * wait on the advisory lock and find the schema current. */
START_TEST(concurrent_open_of_a_fresh_database)
{
	PQclear(sql(conninfo(), "DROP DATABASE IF EXISTS fresh"));
	PQclear(sql(conninfo(), "CREATE DATABASE fresh"));
	char db[600];
	snprintf(db, sizeof db, "%s dbname=fresh", conninfo());
	enum { N = 6 };
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			tsk__store *st = NULL;
			tsk_error err;
			int rc = tsk__store_postgresql.open(&st, db, &err);
			if (rc != TSK_OK)
				fprintf(stderr, "open %d: %s\n", i, err.message);
			else
				close_store(st);
			_exit(rc == TSK_OK ? 0 : 1);
		}
	}
	for (int i = 0; i < N; i++) {
		int st;
		ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "opener %d failed", i);
	}
	ck_assert_int_eq(sql_long(db, "SELECT count(*) FROM tsk_schema_version"), TSK__PG_SCHEMA_VERSION);
}
END_TEST

START_TEST(newer_schema_refused)
{
	PQclear(sql(conninfo(), "INSERT INTO tsk_schema_version (version) VALUES (99)"));
	tsk__store *st = NULL;
	tsk_error err;
	int rc = tsk__store_postgresql.open(&st, conninfo(), &err);
	PQclear(sql(conninfo(), "DELETE FROM tsk_schema_version WHERE version = 99"));
	ck_assert_int_eq(rc, TSK_EVERSION);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.message, "version 99"), "%s", err.message);
}
END_TEST

START_TEST(bad_connection_string)
{
	tsk__store *st = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk__store_postgresql.open(&st, "host=/nonexistent-dir dbname=x", &err), TSK_ENETWORK);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.message, "cannot connect"), "%s", err.message);
	ck_assert_int_eq(tsk__store_postgresql.open(&st, "this is = not a = connection string", &err), TSK_ENETWORK);
	ck_assert_int_eq(tsk__store_postgresql.open(&st, "//[::1/x", &err), TSK_ENETWORK);
	ck_assert_int_eq(tsk__store_postgresql.open(&st, "", &err), TSK_EINVAL);
	ck_assert_ptr_null(st);
}
END_TEST

/* A password in a keyword=value connection string never reaches a message
 * (tsk__redact hides it as it hides a URL's user information). */
static int log_leaks;
static void watch_log(int level, const char *message, void *data)
{
	(void)level;
	(void)data;
	if (strstr(message, "hunter2"))
		log_leaks++;
}

START_TEST(password_never_in_a_message)
{
	tsk_ctx *ctx = NULL;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	tsk_ctx_set_log_fn(ctx, watch_log, NULL);
	tsk_fleet *f = NULL;
	const char *urls[] = {
		"postgresql:host=/nonexistent-dir dbname=x password=hunter2",
		"postgresql:host=/nonexistent-dir password = 'hunter2' dbname=x",
		"postgresql://shop:hunter2@/x?host=/nonexistent-dir",
		"postgresl:host=db password=hunter2", /* a misspelt scheme: the whole URL is shown */
	};
	for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
		ck_assert_int_ne(tsk_fleet_open(&f, ctx, urls[i]), TSK_OK);
		const char *msg = tsk_ctx_last_error(ctx);
		ck_assert_msg(!strstr(msg, "hunter2"), "%s", msg);
		ck_assert_msg(strlen(msg) > 10, "%s", msg);
	}
	ck_assert_msg(strstr(tsk_ctx_last_error(ctx), "password=***"), "%s", tsk_ctx_last_error(ctx));
	ck_assert_int_eq(log_leaks, 0);
	tsk_ctx_free(ctx);
}
END_TEST

/* ----------------------------------------------------------------- leases */

START_TEST(lease_takes_due_work_in_order)
{
	tsk__store *a = open_store(), *b = open_store();
	add_n(a, 10, 100); /* due at 100, 101, … 109 */
	tsk__store_rec *r;
	ck_assert_uint_eq(due(a, 104, 3, &r), 3);
	ck_assert_str_eq(r[0].number, "400000000000");
	ck_assert_str_eq(r[2].number, "400000000002");
	ck_assert_str_eq(r[0].carrier, "yamato");
	ck_assert_str_eq(r[0].locale, "ja");
	ck_assert_ptr_null(r[0].snapshot);
	ck_assert_int_eq(r[1].next_poll, 101);
	ck_assert_int_eq(r[1].ended_at, TSK__NEVER);
	recs_free(r, 3);
	/* Another poller gets only what a does not hold. */
	ck_assert_uint_eq(due(b, 104, 100, &r), 2);
	ck_assert_str_eq(r[0].number, "400000000003");
	recs_free(r, 2);
	ck_assert_uint_eq(due(b, 104, 100, &r), 2); /* its own, again */
	recs_free(r, 2);
	ck_assert_uint_eq(due(b, 1000, 100, &r), 7);
	ck_assert_str_eq(r[2].number, "400000000005");
	recs_free(r, 7);
	/* What others hold becomes available to c when their leases run out
	 * (or they save): next_due tells c when, not "now" (which would spin). */
	tsk__store *c = open_store();
	int64_t next;
	tsk_error err;
	ck_assert_int_eq(tsk__store_postgresql.next_due(c, &next, &err), TSK_OK);
	ck_assert_int_gt(next, 1000000000);
	ck_assert_int_eq(tsk__store_postgresql.next_due(a, &next, &err), TSK_OK);
	ck_assert_int_eq(next, 100);
	ck_assert_int_eq(tsk__store_postgresql.next_due(b, &next, &err), TSK_OK);
	ck_assert_int_eq(next, 103);
	close_store(a);
	close_store(b);
	close_store(c);
}
END_TEST

/* A poller that dies keeps its leases only until the deadline; a poller
 * whose lease was taken over cannot write its stale result. */
START_TEST(expired_lease_returns_work)
{
	tsk__store *a = open_store(), *b = open_store();
	tsk__pg_set_lease(a, 0.3);
	add_n(a, 2, 100);
	tsk__store_rec *ra, *rb;
	ck_assert_uint_eq(due(a, 200, 10, &ra), 2);
	ck_assert_uint_eq(due(b, 200, 10, &rb), 0);
	sleep_s(0.5); /* the database's clock passes a's deadline */
	ck_assert_uint_eq(due(b, 200, 10, &rb), 2);
	ck_assert_int_eq(save(a, &ra[0], 300, "n-stale", NULL), TSK_ENOTFOUND);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_outbox"), 0);
	size_t written;
	ck_assert_int_eq(save(b, &rb[0], 300, "n-1", &written), TSK_OK);
	ck_assert_uint_eq(written, 1);
	/* Saved: released, due again at its next poll, to anyone. */
	tsk__store_rec *r;
	ck_assert_uint_eq(due(a, 300, 10, &r), 1);
	ck_assert_str_eq(r[0].number, "400000000000");
	recs_free(r, 1);
	recs_free(ra, 2);
	recs_free(rb, 2);
	close_store(a);
	close_store(b);
}
END_TEST

START_TEST(save_writes_result_and_notifications_together)
{
	tsk__store *st = open_store();
	add_n(st, 1, 100);
	tsk__store_rec *r;
	ck_assert_uint_eq(due(st, 100, 1, &r), 1);
	tsk__store_rec w = r[0];
	w.status = TSK_STATUS_IN_TRANSIT;
	w.next_poll = 3700;
	w.snapshot = (char *)"{\"schema\":1,\"status\":\"in_transit\",\"events\":[{\"description\":\"荷物受付\"}]}";
	tsk__store_note notes[2];
	memset(notes, 0, sizeof notes);
	strcpy(notes[0].id, "id-1");
	notes[0].json = (char *)"{\"kind\":\"shipped\",\"text\":\"ご注文 \\\"quoted\\\" \\\\ back\"}";
	strcpy(notes[1].id, "id-2");
	notes[1].json = (char *)"{\"kind\":\"out_for_delivery\"}";
	size_t written;
	tsk_error err;
	ck_assert_int_eq(tsk__store_postgresql.save(st, &w, notes, 2, 3600, &written, &err), TSK_OK);
	ck_assert_uint_eq(written, 2);
	/* The same save again (a reply lost, the statement repeated): harmless. */
	ck_assert_int_eq(tsk__store_postgresql.save(st, &w, notes, 2, 3600, &written, &err), TSK_OK);
	ck_assert_uint_eq(written, 0);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_outbox"), 2);
	PGresult *res = sql(conninfo(), "SELECT json FROM tsk_outbox WHERE id = 'id-1'");
	ck_assert_str_eq(PQgetvalue(res, 0, 0), notes[0].json); /* byte for byte */
	PQclear(res);
	/* The snapshot is jsonb: queryable in the database. */
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_shipments WHERE snapshot->>'status' = 'in_transit'"), 1);
	tsk__store_rec got;
	ck_assert_int_eq(tsk__store_postgresql.get(st, "400000000000", &got, &err), TSK_OK);
	ck_assert_ptr_nonnull(strstr(got.snapshot, "荷物受付"));
	ck_assert_int_eq(got.next_poll, 3700);
	ck_assert_int_eq(got.status, TSK_STATUS_IN_TRANSIT);
	tsk__store_rec_dispose(&got);
	recs_free(r, 1);
	/* Not due before its next poll, then due. */
	ck_assert_uint_eq(due(st, 3699, 10, &r), 0);
	ck_assert_uint_eq(due(st, 3700, 10, &r), 1);
	/* Retire: never due again, kept for history. */
	w = r[0];
	w.state = TSK_FLEET_RETIRED;
	w.next_poll = TSK__NEVER;
	w.ended_at = 3800;
	ck_assert_int_eq(tsk__store_postgresql.save(st, &w, NULL, 0, 3800, &written, &err), TSK_OK);
	tsk__store_rec *none;
	ck_assert_uint_eq(due(st, INT64_MAX - 1, 10, &none), 0);
	int64_t next;
	ck_assert_int_eq(tsk__store_postgresql.next_due(st, &next, &err), TSK_OK);
	ck_assert_int_eq(next, TSK__NEVER);
	/* Bad input: a clear error, nothing written. */
	w.snapshot = (char *)"not json";
	ck_assert_int_eq(tsk__store_postgresql.save(st, &w, NULL, 0, 3900, &written, &err), TSK_EIO);
	ck_assert_msg(strstr(err.message, "json"), "%s", err.message);
	ck_assert_int_eq(tsk__store_postgresql.get(st, "400000000000", &got, &err), TSK_OK);
	ck_assert_int_eq(got.state, TSK_FLEET_RETIRED);
	tsk__store_rec_dispose(&got);
	recs_free(r, 1);
	close_store(st);
}
END_TEST

/* Several pollers leasing at once: every shipment to exactly one of them. */
START_TEST(pollers_never_share_a_shipment)
{
	enum { SHIPMENTS = 400, POLLERS = 4 };
	tsk__store *st = open_store();
	add_n(st, SHIPMENTS, 100);
	close_store(st);
	pid_t kids[POLLERS];
	for (int k = 0; k < POLLERS; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			tsk__store *p = NULL;
			tsk_error err;
			int bad = tsk__store_postgresql.open(&p, conninfo(), &err) != TSK_OK;
			while (!bad) {
				tsk__store_rec *r = NULL;
				size_t n = 0;
				if (tsk__store_postgresql.due(p, 1000, INT64_MIN, 0, 7, &r, &n, &err) != TSK_OK) {
					bad = 1;
					break;
				}
				for (size_t i = 0; i < n && !bad; i++) {
					char nid[32];
					snprintf(nid, sizeof nid, "n-%lld", (long long)r[i].id);
					bad = save(p, &r[i], 100000, nid, NULL) != TSK_OK;
				}
				recs_free(r, n);
				if (n == 0)
					break;
			}
			if (bad)
				fprintf(stderr, "poller %d: %s\n", k, err.message);
			if (p)
				close_store(p);
			_exit(bad);
		}
	}
	for (int k = 0; k < POLLERS; k++) {
		int status;
		ck_assert_int_eq(waitpid(kids[k], &status, 0), kids[k]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "poller %d failed", k);
	}
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_outbox"), SHIPMENTS);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(DISTINCT shipment_id) FROM tsk_outbox"), SHIPMENTS);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_shipments WHERE next_poll = 100000"), SHIPMENTS);
	/* The work was shared: more than one poller saved results. */
	ck_assert_int_gt(sql_long(conninfo(), "SELECT count(DISTINCT lease_owner) FROM tsk_shipments"), 1);
}
END_TEST

/* ----------------------------------------------------------------- outbox */

static size_t claim(tsk__store *st, size_t limit, tsk__store_note **c)
{
	size_t n;
	tsk_error err;
	ck_assert_int_eq(tsk__store_postgresql.outbox(st, limit, c, &n, &err), TSK_OK);
	return n;
}

static int ack1(tsk__store *st, const char *id)
{
	tsk_error err;
	return tsk__store_postgresql.ack(st, &id, 1, 9000, &err);
}

START_TEST(outbox_one_consumer_at_a_time)
{
	tsk__store *p = open_store();
	add_n(p, 1, 100);
	tsk__store_rec *r;
	ck_assert_uint_eq(due(p, 100, 1, &r), 1);
	tsk__store_note notes[4];
	memset(notes, 0, sizeof notes);
	const char *ids[] = { "a", "b", "c", "d" };
	for (int i = 0; i < 4; i++) {
		strcpy(notes[i].id, ids[i]);
		notes[i].json = (char *)"{\"n\":1}";
	}
	size_t written;
	tsk_error err;
	ck_assert_int_eq(tsk__store_postgresql.save(p, &r[0], notes, 4, 200, &written, &err), TSK_OK);
	recs_free(r, 1);

	tsk__store *c1 = open_store(), *c2 = open_store();
	tsk__pg_set_claim(c1, 0.4);
	tsk__store_note *x, *y;
	ck_assert_uint_eq(claim(c1, 3, &x), 3);
	ck_assert_str_eq(x[0].id, "a");
	ck_assert_str_eq(x[2].id, "c");
	ck_assert_str_eq(x[0].json, "{\"n\":1}");
	ck_assert_uint_eq(claim(c2, 10, &y), 1); /* only what c1 does not hold */
	ck_assert_str_eq(y[0].id, "d");
	tsk__store_notes_free(y, 1);
	/* Only the holder acknowledges. */
	ck_assert_int_eq(ack1(c2, "a"), TSK_ECANCELED);
	ck_assert_int_eq(ack1(c1, "a"), TSK_OK);
	ck_assert_int_eq(ack1(c1, "a"), TSK_OK); /* repeated: harmless */
	ck_assert_int_eq(ack1(c2, "d"), TSK_OK);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_outbox WHERE acked_at IS NULL"), 2);
	/* c1 sits on b and c past its timeout: they return, to c2. */
	ck_assert_uint_eq(claim(c2, 10, &y), 0);
	sleep_s(0.6);
	ck_assert_uint_eq(claim(c2, 10, &y), 2);
	ck_assert_str_eq(y[0].id, "b");
	ck_assert_str_eq(y[1].id, "c");
	tsk__store_notes_free(y, 2);
	tsk_error e2;
	const char *bc[] = { "b", "c" };
	ck_assert_int_eq(tsk__store_postgresql.ack(c1, bc, 2, 9000, &e2), TSK_ECANCELED);
	ck_assert_msg(strstr(e2.message, "2 of the notifications"), "%s", e2.message);
	ck_assert_int_eq(tsk__store_postgresql.ack(c2, bc, 2, 9000, &e2), TSK_OK);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_outbox WHERE acked_at IS NULL"), 0);
	ck_assert_uint_eq(claim(c1, 10, &y), 0);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT deliveries FROM tsk_outbox WHERE id = 'b'"), 2);
	/* Unknown ids: nothing to do. */
	ck_assert_int_eq(ack1(c1, "no-such-id"), TSK_OK);
	tsk__store_notes_free(x, 3);
	close_store(p);
	close_store(c1);
	close_store(c2);
}
END_TEST

/* ------------------------------------------------------------- politeness */

/* A take: slots and places of one carrier, for one connection. */
static tsk__pg_grant take(tsk__store *st, const char *carrier, double interval, long slots, long places,
                          long max_places, double hold)
{
	tsk__pg_ask ask = { interval, slots, places, max_places, hold };
	tsk__pg_grant g;
	tsk_error err;
	ck_assert_int_eq(tsk__pg_take(st, carrier, &ask, &g, &err), TSK_OK);
	return g;
}

/* Slots are handed out in blocks, interval apart, whichever connection
 * takes them; never before the database's now. */
START_TEST(request_slots_shared)
{
	tsk__store *a = open_store(), *b = open_store();
	double interval = 0.05, end = 0;
	for (int i = 0; i < 6; i++) {
		tsk__pg_grant g = take(i % 2 ? b : a, "sagawa", interval, 3, 1, 4, 10);
		ck_assert(g.open_until == 0);
		ck_assert_msg(g.first_slot >= g.db_now - 0.05, "slot %.3f before now %.3f", g.first_slot, g.db_now);
		if (i > 0)
			ck_assert_msg(g.first_slot >= end - 1e-6, "block %d starts %.3f s before the previous ends", i,
			              end - g.first_slot);
		end = g.first_slot + 3 * interval;
	}
	/* Another carrier has its own slots: the first is now. */
	tsk__pg_grant g = take(b, "yamato", interval, 2, 1, 4, 10);
	ck_assert_msg(g.first_slot <= g.db_now + 1e-3, "%.3f", g.first_slot - g.db_now);
	tsk__pg_ask bad = { interval, 1, 1, 4, 10 };
	tsk_error err;
	ck_assert_int_eq(tsk__pg_take(b, NULL, &bad, &g, &err), TSK_EINVAL);
	bad.hold = 0;
	ck_assert_int_eq(tsk__pg_take(b, "yamato", &bad, &g, &err), TSK_EINVAL);
	close_store(a);
	close_store(b);
}
END_TEST

/* Parallel places: at most max_places among all connections, given back
 * at will, and returned when a hold runs out. */
START_TEST(parallel_places_shared)
{
	tsk__store *a = open_store(), *b = open_store();
	ck_assert_int_eq(take(a, "japanpost", 0, 0, 2, 3, 10).places, 2);
	ck_assert_int_eq(take(b, "japanpost", 0, 0, 3, 3, 10).places, 1); /* what a leaves */
	ck_assert_int_eq(take(a, "japanpost", 0, 0, 3, 3, 10).places, 2); /* still only a's two */
	ck_assert_int_eq(take(a, "japanpost", 0, 0, 0, 3, 10).places, 0); /* given back */
	ck_assert_int_eq(take(b, "japanpost", 0, 0, 3, 3, 0.3).places, 3);
	ck_assert_int_eq(take(a, "japanpost", 0, 0, 1, 3, 10).places, 0);
	/* b "dies": its hold runs out and a gets the places */
	sleep_s(0.4);
	ck_assert_int_eq(take(a, "japanpost", 0, 0, 3, 3, 10).places, 3);
	close_store(a);
	close_store(b);
}
END_TEST

START_TEST(breaker_shared)
{
	tsk__store *a = open_store(), *b = open_store();
	tsk_error err;
	double open, now;
	/* a's breaker opened for 0.5 s: b's next take brings it back */
	ck_assert_int_eq(tsk__pg_breaker(a, "japanpost", 0.5, &open, &now, &err), TSK_OK);
	ck_assert_msg(open >= now + 0.5 - 0.05 && open <= now + 0.5, "open %.3f", open - now);
	tsk__pg_grant g = take(b, "japanpost", 0, 0, 1, 4, 10);
	ck_assert(g.open_until == open);
	/* a shorter opening does not shorten it */
	double again;
	ck_assert_int_eq(tsk__pg_breaker(b, "japanpost", 0.1, &again, &now, &err), TSK_OK);
	ck_assert(again == open);
	/* b's breaker closed (the carrier answered): closed for everyone */
	ck_assert_int_eq(tsk__pg_breaker(b, "japanpost", 0, &again, &now, &err), TSK_OK);
	ck_assert(again == 0);
	ck_assert(take(a, "japanpost", 0, 0, 1, 4, 10).open_until == 0);
	/* an opening that has run out reads as closed */
	ck_assert_int_eq(tsk__pg_breaker(a, "sagawa", 0.2, &open, &now, &err), TSK_OK);
	ck_assert(open > 0);
	sleep_s(0.3);
	ck_assert(take(b, "sagawa", 0, 0, 1, 4, 10).open_until == 0);
	ck_assert_int_eq(tsk__pg_breaker(a, NULL, 1, &open, &now, &err), TSK_EINVAL);
	close_store(a);
	close_store(b);
}
END_TEST

/* ------------------------------------------------------------ connection */

static int lost_reports;
static void count_log(void *data, int level, const char *message)
{
	(void)data;
	if (level == 1 && strstr(message, "connection lost"))
		lost_reports++;
}

static void *start_later(void *arg)
{
	(void)arg;
	sleep_s(0.7);
	ck_assert_int_eq(tsk_pgtmp_command(cluster, "start"), 0);
	return NULL;
}

START_TEST(lost_connection_reestablished)
{
	tsk__store *st = open_store();
	tsk__pg_set_log(st, count_log, NULL);
	lost_reports = 0;
	tsk_error err;
	int64_t next;
	/* Restarted between two statements: the next one reconnects. */
	ck_assert_int_eq(tsk_pgtmp_command(cluster, "restart"), 0);
	ck_assert_int_eq(tsk__store_postgresql.next_due(st, &next, &err), TSK_OK);
	ck_assert_uint_eq(tsk__pg_reconnects(st), 1);
	ck_assert_int_eq(lost_reports, 1);
	/* Down for longer than the horizon: a clear error, not a hang. */
	ck_assert_int_eq(tsk_pgtmp_command(cluster, "kill"), 0);
	tsk__pg_set_reconnect(st, 0.5);
	ck_assert_int_eq(tsk__store_postgresql.next_due(st, &next, &err), TSK_ENETWORK);
	ck_assert_msg(strstr(err.message, "not re-established"), "%s", err.message);
	/* Down while a statement waits: backoff until the server is back. */
	tsk__pg_set_reconnect(st, 30);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, start_later, NULL), 0);
	add_n(st, 1, 100);
	pthread_join(th, NULL);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_shipments"), 1);
	ck_assert_uint_ge(tsk__pg_reconnects(st), 2);
	ck_assert_uint_gt(tsk__pg_round_trips(st), 0);
	close_store(st);
}
END_TEST

int main(void)
{
	int skipped = 0;
	cluster = tsk_pgtmp_start(NULL, &skipped);
	if (!cluster)
		return skipped ? TSK_PGTMP_SKIP : 1;

	Suite *s = suite_create("store_pg");
	TCase *tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, the_store_checks);
	tcase_add_test(tc, schema_created_once);
	tcase_add_test(tc, concurrent_open_of_a_fresh_database);
	tcase_add_test(tc, newer_schema_refused);
	tcase_add_test(tc, bad_connection_string);
	suite_add_tcase(s, tc);
	tc = tcase_create("leases");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, lease_takes_due_work_in_order);
	tcase_add_test(tc, expired_lease_returns_work);
	tcase_add_test(tc, save_writes_result_and_notifications_together);
	tcase_add_test(tc, pollers_never_share_a_shipment);
	suite_add_tcase(s, tc);
	tc = tcase_create("outbox");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, outbox_one_consumer_at_a_time);
	suite_add_tcase(s, tc);
	tc = tcase_create("politeness");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, request_slots_shared);
	tcase_add_test(tc, parallel_places_shared);
	tcase_add_test(tc, password_never_in_a_message);
	tcase_add_test(tc, breaker_shared);
	suite_add_tcase(s, tc);
	tc = tcase_create("connection");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, lost_connection_reestablished);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tsk_pgtmp_stop(cluster);
	return failed ? 1 : 0;
}
