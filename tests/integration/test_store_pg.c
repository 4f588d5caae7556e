/*
 * The PostgreSQL fleet store (lib/store_pg.c) against a real server: a
 * throwaway cluster started by tests/common/pgtmp.sh for this program.
 * Schema migrations (also several pollers opening a fresh database at once,
 * a newer schema refused), leases (due order, SKIP LOCKED between pollers,
 * expiry returns the work, a stale poller cannot write), the poll result
 * and its notifications in one transaction (ids never produced twice,
 * retirement), the outbox across consumers (one holder, visibility timeout,
 * acknowledgement only by the holder), request slots and the circuit
 * breaker shared between connections, and a lost connection (server
 * stopped, restarted) reported and re-established with backoff.
 *
 * Skipped (exit 77) with the reason when the PostgreSQL server binaries are
 * not installed; CI installs them (Debian's postgresql package).
 */
#define _POSIX_C_SOURCE 200809L
#include "pgtmp.h"
#include "store_pg.h"

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

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static tsk__pg *open_store(const char *owner)
{
	tsk__pg *pg = NULL;
	tsk_error err;
	tsk_error_clear(&err);
	ck_assert_msg(tsk__pg_open(&pg, conninfo(), owner, &err) == TSK_OK, "open: %s", err.message);
	return pg;
}

/* Every test starts from an empty fleet (the schema exists after the first open). */
static void setup(void)
{
	tsk__pg_close(open_store("setup"));
	PQclear(sql(conninfo(), "TRUNCATE tsk_outbox, tsk_shipments, tsk_carriers RESTART IDENTITY"));
}

static void add_n(tsk__pg *pg, int n, double next_poll)
{
	tsk_error err;
	for (int i = 0; i < n; i++) {
		char num[32];
		snprintf(num, sizeof num, "4000%08d", i);
		ck_assert_int_eq(tsk__pg_add(pg, num, "yamato", "order", "ja", next_poll + i, NULL, &err), TSK_OK);
	}
}

/* ------------------------------------------------------------- migrations */

START_TEST(schema_created_once)
{
	tsk__pg *a = open_store("a");
	tsk__pg *b = open_store("b");
	ck_assert_int_eq(sql_long(conninfo(), "SELECT max(version) FROM tsk_schema_version"), TSK__PG_SCHEMA_VERSION);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_schema_version"), TSK__PG_SCHEMA_VERSION);
	tsk__pg_close(a);
	tsk__pg_close(b);
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
			tsk__pg *pg = NULL;
			tsk_error err;
			int rc = tsk__pg_open(&pg, db, NULL, &err);
			if (rc != TSK_OK)
				fprintf(stderr, "open %d: %s\n", i, err.message);
			tsk__pg_close(pg);
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
	tsk__pg *pg = NULL;
	tsk_error err;
	int rc = tsk__pg_open(&pg, conninfo(), NULL, &err);
	PQclear(sql(conninfo(), "DELETE FROM tsk_schema_version WHERE version = 99"));
	ck_assert_int_eq(rc, TSK_EVERSION);
	ck_assert_ptr_null(pg);
	ck_assert_msg(strstr(err.message, "version 99"), "%s", err.message);
}
END_TEST

START_TEST(bad_connection_string)
{
	tsk__pg *pg = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk__pg_open(&pg, "host=/nonexistent-dir dbname=x", NULL, &err), TSK_ENETWORK);
	ck_assert_ptr_null(pg);
	ck_assert_msg(strstr(err.message, "cannot connect"), "%s", err.message);
	ck_assert_int_eq(tsk__pg_open(&pg, "this is = not a = connection string", NULL, &err), TSK_ENETWORK);
	ck_assert_int_eq(tsk__pg_open(&pg, NULL, NULL, &err), TSK_EINVAL);
}
END_TEST

/* ----------------------------------------------------------------- leases */

START_TEST(lease_takes_due_work_in_order)
{
	tsk__pg *pg = open_store("p1");
	double t0 = 1700000000;
	add_n(pg, 10, t0); /* due at t0, t0+1, … t0+9 */
	tsk__pg_row *rows;
	size_t n;
	tsk_error err;
	ck_assert_int_eq(tsk__pg_lease(pg, t0 + 4.5, 3, 60, &rows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(rows[0].tracking_number, "400000000000");
	ck_assert_str_eq(rows[2].tracking_number, "400000000002");
	ck_assert_str_eq(rows[0].carrier, "yamato");
	ck_assert_str_eq(rows[0].locale, "ja");
	ck_assert_ptr_null(rows[0].snapshot);
	ck_assert(rows[1].next_poll == t0 + 1);
	tsk__pg_rows_free(rows, n);
	/* Only 0..4 are due; 0..2 are leased: the rest of the due ones. */
	ck_assert_int_eq(tsk__pg_lease(pg, t0 + 4.5, 100, 60, &rows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rows[0].tracking_number, "400000000003");
	tsk__pg_rows_free(rows, n);
	ck_assert_int_eq(tsk__pg_lease(pg, t0 + 4.5, 100, 60, &rows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(rows);
	tsk__pg_close(pg);
}
END_TEST

/* A poller that dies keeps its leases only until the deadline; a poller
 * whose lease was taken over cannot write its stale result. */
START_TEST(expired_lease_returns_work)
{
	tsk__pg *a = open_store("A"), *b = open_store("B");
	double t0 = 1700000000;
	add_n(a, 2, t0);
	tsk__pg_row *rows;
	size_t n;
	tsk_error err;
	ck_assert_int_eq(tsk__pg_lease(a, t0 + 10, 10, 0.3, &rows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 2);
	int64_t id = rows[0].id;
	tsk__pg_rows_free(rows, n);
	tsk__pg_row *brows;
	ck_assert_int_eq(tsk__pg_lease(b, t0 + 10, 10, 60, &brows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 0);
	sleep_s(0.5); /* the database's clock passes A's deadline */
	ck_assert_int_eq(tsk__pg_lease(b, t0 + 10, 10, 60, &brows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 2);
	tsk__pg_rows_free(brows, n);
	tsk__pg_note note = { "n-stale", "{\"kind\":\"shipped\"}" };
	ck_assert_int_eq(tsk__pg_save(a, id, "{\"schema\":1}", "yamato", "in_transit", t0 + 100, &note, 1, NULL, &err),
	                 TSK_ECANCELED);
	ck_assert_msg(strstr(err.message, "no longer leased"), "%s", err.message);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_outbox"), 0);
	size_t written;
	ck_assert_int_eq(tsk__pg_save(b, id, "{\"schema\":1}", "yamato", "in_transit", t0 + 100, &note, 1, &written, &err),
	                 TSK_OK);
	ck_assert_uint_eq(written, 1);
	tsk__pg_close(a);
	tsk__pg_close(b);
}
END_TEST

START_TEST(save_writes_result_and_notifications_together)
{
	tsk__pg *pg = open_store("p");
	double t0 = 1700000000;
	add_n(pg, 1, t0);
	tsk__pg_row *rows;
	size_t n, written;
	tsk_error err;
	ck_assert_int_eq(tsk__pg_lease(pg, t0, 1, 60, &rows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 1);
	int64_t id = rows[0].id;
	tsk__pg_rows_free(rows, n);
	tsk__pg_note notes[] = {
		{ "id-1", "{\"kind\":\"shipped\",\"text\":\"\\u3054\\u6ce8\\u6587 \\\"quoted\\\"\"}" },
		{ "id-2", "{\"kind\":\"out_for_delivery\"}" },
	};
	const char *snap = "{\"schema\":1,\"status\":\"in_transit\",\"events\":[{\"description\":\"荷物受付\"}]}";
	ck_assert_int_eq(tsk__pg_save(pg, id, snap, "yamato", "in_transit", t0 + 3600, notes, 2, &written, &err), TSK_OK);
	ck_assert_uint_eq(written, 2);
	/* The same save again (a reply lost, the statement repeated): harmless. */
	ck_assert_int_eq(tsk__pg_save(pg, id, snap, "yamato", "in_transit", t0 + 3600, notes, 2, &written, &err), TSK_OK);
	ck_assert_uint_eq(written, 0);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_outbox"), 2);
	PGresult *r = sql(conninfo(), "SELECT body FROM tsk_outbox WHERE id = 'id-1'");
	ck_assert_str_eq(PQgetvalue(r, 0, 0), notes[0].body);
	PQclear(r);
	tsk__pg_row row;
	ck_assert_int_eq(tsk__pg_get(pg, id, &row, &err), TSK_OK);
	ck_assert_ptr_nonnull(strstr(row.snapshot, "荷物受付"));
	ck_assert(row.next_poll == t0 + 3600);
	tsk__pg_row_clear(&row);
	/* Not due before its next poll, then due. */
	ck_assert_int_eq(tsk__pg_lease(pg, t0 + 3599, 10, 60, &rows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(tsk__pg_lease(pg, t0 + 3600, 10, 60, &rows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 1);
	tsk__pg_rows_free(rows, n);
	/* Retire: never due again, kept for history. */
	tsk__pg_note done = { "id-3", "{\"kind\":\"delivered\"}" };
	ck_assert_int_eq(tsk__pg_save(pg, id, snap, "yamato", "delivered", 0, &done, 1, &written, &err), TSK_OK);
	ck_assert_int_eq(tsk__pg_lease(pg, t0 + 1e9, 10, 60, &rows, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(tsk__pg_get(pg, id, &row, &err), TSK_OK);
	ck_assert(row.next_poll == 0);
	tsk__pg_row_clear(&row);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_shipments WHERE retired_at IS NOT NULL"), 1);
	ck_assert_int_eq(tsk__pg_get(pg, id + 1000, &row, &err), TSK_ENOTFOUND);
	/* Bad input: a clear error, nothing written. */
	ck_assert_int_eq(tsk__pg_save(pg, id, "not json", "yamato", "in_transit", t0, NULL, 0, NULL, &err), TSK_EIO);
	ck_assert_msg(strstr(err.message, "json"), "%s", err.message);
	tsk__pg_note bad = { NULL, "{}" };
	ck_assert_int_eq(tsk__pg_save(pg, id, snap, "yamato", "x", t0, &bad, 1, NULL, &err), TSK_EINVAL);
	tsk__pg_close(pg);
}
END_TEST

/* Several pollers leasing at once: every shipment to exactly one of them. */
START_TEST(pollers_never_share_a_shipment)
{
	enum { SHIPMENTS = 400, POLLERS = 4 };
	tsk__pg *pg = open_store("loader");
	double t0 = 1700000000;
	add_n(pg, SHIPMENTS, t0 - SHIPMENTS);
	tsk__pg_close(pg);
	pid_t kids[POLLERS];
	for (int k = 0; k < POLLERS; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			char owner[16];
			snprintf(owner, sizeof owner, "poller-%d", k);
			tsk__pg *p = NULL;
			tsk_error err;
			int bad = tsk__pg_open(&p, conninfo(), owner, &err) != TSK_OK;
			for (;;) {
				tsk__pg_row *rows;
				size_t n;
				if (bad || tsk__pg_lease(p, t0, 7, 60, &rows, &n, &err) != TSK_OK) {
					bad = 1;
					break;
				}
				if (n == 0)
					break;
				for (size_t i = 0; i < n && !bad; i++) {
					char nid[32];
					snprintf(nid, sizeof nid, "n-%lld", (long long)rows[i].id);
					tsk__pg_note note = { nid, "{}" };
					bad = tsk__pg_save(p, rows[i].id, "{}", "yamato", "in_transit", t0 + 3600, &note, 1, NULL, &err) != TSK_OK;
				}
				tsk__pg_rows_free(rows, n);
			}
			if (bad)
				fprintf(stderr, "%s: %s\n", owner, err.message);
			tsk__pg_close(p);
			_exit(bad);
		}
	}
	for (int k = 0; k < POLLERS; k++) {
		int st;
		ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "poller %d failed", k);
	}
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_outbox"), SHIPMENTS);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(DISTINCT shipment_id) FROM tsk_outbox"), SHIPMENTS);
	/* The work was shared: more than one poller saved results. */
	ck_assert_int_gt(sql_long(conninfo(), "SELECT count(DISTINCT lease_owner) FROM tsk_shipments"), 1);
}
END_TEST

/* ----------------------------------------------------------------- outbox */

static size_t claim(tsk__pg *pg, size_t limit, double vis, tsk__pg_claimed **c)
{
	size_t n;
	tsk_error err;
	ck_assert_int_eq(tsk__pg_claim(pg, limit, vis, c, &n, &err), TSK_OK);
	return n;
}

START_TEST(outbox_one_consumer_at_a_time)
{
	tsk__pg *p = open_store("poller");
	double t0 = 1700000000;
	add_n(p, 1, t0);
	tsk__pg_row *rows;
	size_t n;
	tsk_error err;
	ck_assert_int_eq(tsk__pg_lease(p, t0, 1, 60, &rows, &n, &err), TSK_OK);
	tsk__pg_note notes[4] = { { "a", "{\"n\":1}" }, { "b", "{\"n\":2}" }, { "c", "{\"n\":3}" }, { "d", "{\"n\":4}" } };
	ck_assert_int_eq(tsk__pg_save(p, rows[0].id, "{}", "yamato", "in_transit", t0 + 60, notes, 4, NULL, &err), TSK_OK);
	tsk__pg_rows_free(rows, n);

	tsk__pg *c1 = open_store("consumer-1"), *c2 = open_store("consumer-2");
	tsk__pg_claimed *x, *y;
	ck_assert_uint_eq(claim(c1, 3, 0.4, &x), 3);
	ck_assert_str_eq(x[0].id, "a");
	ck_assert_str_eq(x[0].body, "{\"n\":1}");
	ck_assert_uint_eq(claim(c2, 10, 60, &y), 1); /* only what c1 does not hold */
	ck_assert_str_eq(y[0].id, "d");
	/* Only the holder acknowledges. */
	ck_assert_int_eq(tsk__pg_ack(c2, "a", &err), TSK_ECANCELED);
	ck_assert_int_eq(tsk__pg_ack(c1, "a", &err), TSK_OK);
	ck_assert_int_eq(tsk__pg_ack(c1, "a", &err), TSK_OK); /* repeated: harmless */
	ck_assert_int_eq(tsk__pg_ack(c2, "d", &err), TSK_OK);
	tsk__pg_claims_free(y, 1);
	size_t waiting;
	ck_assert_int_eq(tsk__pg_waiting(c2, &waiting, &err), TSK_OK);
	ck_assert_uint_eq(waiting, 2);
	/* c1 sits on b and c past its timeout: they return, to c2. */
	ck_assert_uint_eq(claim(c2, 10, 60, &y), 0);
	sleep_s(0.6);
	ck_assert_uint_eq(claim(c2, 10, 60, &y), 2);
	ck_assert_str_eq(y[0].id, "b");
	ck_assert_str_eq(y[1].id, "c");
	ck_assert_int_eq(tsk__pg_ack(c1, "b", &err), TSK_ECANCELED);
	ck_assert_msg(strstr(err.message, "timed out"), "%s", err.message);
	ck_assert_int_eq(tsk__pg_ack(c2, "b", &err), TSK_OK);
	ck_assert_int_eq(tsk__pg_ack(c2, "c", &err), TSK_OK);
	ck_assert_int_eq(tsk__pg_waiting(c2, &waiting, &err), TSK_OK);
	ck_assert_uint_eq(waiting, 0);
	tsk__pg_claims_free(y, 2);
	ck_assert_uint_eq(claim(c1, 10, 60, &y), 0);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT deliveries FROM tsk_outbox WHERE id = 'b'"), 2);
	ck_assert_int_eq(tsk__pg_ack(c1, "no-such-id", &err), TSK_ECANCELED);
	tsk__pg_claims_free(x, 3);
	tsk__pg_claims_free(y, 0);
	tsk__pg_close(p);
	tsk__pg_close(c1);
	tsk__pg_close(c2);
}
END_TEST

/* ------------------------------------------------------------- politeness */

/* Slots are spaced by the interval whichever connection takes them. */
START_TEST(request_slots_shared)
{
	tsk__pg *a = open_store("A"), *b = open_store("B");
	tsk_error err;
	double interval = 0.05, wait, slot, open, prev = -1, first = 0;
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(tsk__pg_reserve(i % 2 ? b : a, "sagawa", interval, &wait, &slot, &open, &err), TSK_OK);
		ck_assert(open == 0);
		ck_assert_msg(wait >= 0 && wait <= interval + 1e-6, "wait %.3f", wait);
		sleep_s(wait); /* as a poller does before sending */
		if (prev >= 0)
			ck_assert_msg(slot - prev >= interval - 1e-6, "slot %d only %.3f s after the previous", i, slot - prev);
		else
			first = slot;
		prev = slot;
	}
	/* Taken back to back, the slots are exactly one interval apart. */
	ck_assert_msg(prev - first >= 9 * interval - 1e-6, "%.3f", prev - first);
	/* Another carrier has its own slots. */
	ck_assert_int_eq(tsk__pg_reserve(b, "yamato", interval, &wait, NULL, &open, &err), TSK_OK);
	ck_assert(wait == 0);
	ck_assert_int_eq(tsk__pg_reserve(b, NULL, interval, &wait, NULL, &open, &err), TSK_EINVAL);
	tsk__pg_close(a);
	tsk__pg_close(b);
}
END_TEST

START_TEST(breaker_shared)
{
	tsk__pg *a = open_store("A"), *b = open_store("B");
	tsk_error err;
	double open, wait;
	ck_assert_int_eq(tsk__pg_breaker(a, "japanpost", 0, 2, 0.5, 4, &open, &err), TSK_OK);
	ck_assert(open == 0); /* one failure: still closed */
	/* The database and this test share the machine's clock: the deadline is
	 * the cool-down after some instant between before and after the call. */
	double before = wall_now();
	ck_assert_int_eq(tsk__pg_breaker(a, "japanpost", 0, 2, 0.5, 4, &open, &err), TSK_OK);
	double after = wall_now();
	ck_assert_msg(open >= before + 0.5 - 0.01 && open <= after + 0.5 + 0.01, "open %.3f", open - before);
	/* B learns it from its next reservation and does not ask. */
	double seen;
	ck_assert_int_eq(tsk__pg_reserve(b, "japanpost", 0, &wait, NULL, &seen, &err), TSK_OK);
	ck_assert(seen == open);
	/* Still down after the cool-down: the next opening lasts twice as long. */
	while (wall_now() < open + 0.05)
		sleep_s(0.05);
	ck_assert_int_eq(tsk__pg_reserve(b, "japanpost", 0, &wait, NULL, &open, &err), TSK_OK);
	ck_assert(open == 0);
	before = wall_now();
	ck_assert_int_eq(tsk__pg_breaker(b, "japanpost", 0, 2, 0.5, 4, &open, &err), TSK_OK);
	after = wall_now();
	ck_assert_msg(open >= before + 1.0 - 0.01 && open <= after + 1.0 + 0.01, "open %.3f", open - before);
	/* The first success closes it for everyone. */
	ck_assert_int_eq(tsk__pg_breaker(b, "japanpost", 1, 2, 0.5, 4, &open, &err), TSK_OK);
	ck_assert_int_eq(tsk__pg_reserve(a, "japanpost", 0, &wait, NULL, &open, &err), TSK_OK);
	ck_assert(open == 0);
	ck_assert_int_eq(tsk__pg_breaker(a, "japanpost", 0, 2, 0.5, 4, &open, &err), TSK_OK);
	ck_assert(open == 0); /* the count started again */
	tsk__pg_close(a);
	tsk__pg_close(b);
}
END_TEST

/* ------------------------------------------------------------ connection */

static int lost_reports;
static void count_log(void *data, const char *message)
{
	(void)data;
	if (strstr(message, "connection lost"))
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
	tsk__pg *pg = open_store("p");
	tsk__pg_set_log(pg, count_log, NULL);
	lost_reports = 0;
	tsk_error err;
	size_t waiting;
	/* Restarted between two statements: the next one reconnects. */
	ck_assert_int_eq(tsk_pgtmp_command(cluster, "restart"), 0);
	ck_assert_int_eq(tsk__pg_waiting(pg, &waiting, &err), TSK_OK);
	ck_assert_uint_eq(tsk__pg_reconnects(pg), 1);
	ck_assert_int_eq(lost_reports, 1);
	/* Down for longer than the horizon: a clear error, not a hang. */
	ck_assert_int_eq(tsk_pgtmp_command(cluster, "kill"), 0);
	tsk__pg_set_reconnect(pg, 0.5);
	ck_assert_msg(tsk__pg_waiting(pg, &waiting, &err) == TSK_ENETWORK, "%s", err.message);
	ck_assert_msg(strstr(err.message, "not re-established"), "%s", err.message);
	/* Down while a statement waits: backoff until the server is back. */
	tsk__pg_set_reconnect(pg, 30);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, start_later, NULL), 0);
	ck_assert_int_eq(tsk__pg_add(pg, "400000000000", "yamato", NULL, NULL, 1, NULL, &err), TSK_OK);
	pthread_join(th, NULL);
	ck_assert_int_eq(sql_long(conninfo(), "SELECT count(*) FROM tsk_shipments"), 1);
	ck_assert_uint_ge(tsk__pg_reconnects(pg), 2);
	ck_assert_uint_gt(tsk__pg_round_trips(pg), 0);
	tsk__pg_close(pg);
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
