/*
 * The PostgreSQL fleet store through libpq.  See store_pg.h for the
 * guarantees and store_pg_sql.h for the SQL.
 */
#include "store_pg.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "store_pg_sql.h"
#include "util.h"

#define PG_PAUSE_FIRST 0.1
#define PG_PAUSE_MAX 5.0

struct tsk__pg {
	PGconn *conn;
	char *conninfo;
	char *owner;
	double horizon;
	unsigned long round_trips;
	unsigned long reconnects;
	void (*log)(void *data, const char *message);
	void *log_data;
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_for(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static void pg_log(tsk__pg *pg, const char *fmt, ...) TSK__PRINTF(2, 3);
static void pg_log(tsk__pg *pg, const char *fmt, ...)
{
	if (!pg->log)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	pg->log(pg->log_data, msg);
}

/* libpq's message without its trailing newline. */
static const char *conn_message(const PGconn *conn, char *buf, size_t size)
{
	snprintf(buf, size, "%s", conn ? PQerrorMessage(conn) : "out of memory");
	size_t len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return buf;
}

/* Server notices ("relation exists, skipping") are not the caller's business. */
static void quiet_notices(void *data, const char *message)
{
	(void)data;
	(void)message;
}

static PGconn *connect_once(const tsk__pg *pg)
{
	/* The caller's string is expanded as the dbname; the application name
	 * is only a fallback, so a connection string may still set its own. */
	const char *const keys[] = { "dbname", "fallback_application_name", NULL };
	const char *const values[] = { pg->conninfo, "tsuiseki", NULL };
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	if (conn)
		PQsetNoticeProcessor(conn, quiet_notices, NULL);
	return conn;
}

/* Is this failure a lost or refused connection (worth reconnecting for)? */
static int connection_lost(const PGconn *conn, const PGresult *res)
{
	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return 1;
	/* An error libpq made itself (no SQLSTATE) is a broken connection:
	 * "server closed the connection unexpectedly", "could not send data". */
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (!state)
		return 1;
	/* 08: connection exception; 57P01-57P03: shutdown, crash, starting up. */
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0;
}

/* Re-establish the connection, pausing 0.1 s, 0.2 s, … up to 5 s between
 * attempts, for at most the reconnect horizon. */
static int reconnect(tsk__pg *pg, double *deadline, tsk_error *err)
{
	char msg[256];
	double pause = PG_PAUSE_FIRST;
	if (*deadline == 0)
		*deadline = mono_now() + pg->horizon;
	for (;;) {
		PQfinish(pg->conn);
		pg->conn = connect_once(pg);
		if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK) {
			pg->reconnects++;
			pg_log(pg, "postgresql: connection re-established");
			return TSK_OK;
		}
		double left = *deadline - mono_now();
		if (left <= 0)
			return tsk_error_set(err, TSK_ENETWORK, "postgresql: connection lost and not re-established within %.0f s: %s",
			                     pg->horizon, conn_message(pg->conn, msg, sizeof msg));
		pg_log(pg, "postgresql: cannot reconnect (%s); next attempt in %.1f s",
		       conn_message(pg->conn, msg, sizeof msg), pause);
		pause_for(pause < left ? pause : left);
		pause = pause * 2 < PG_PAUSE_MAX ? pause * 2 : PG_PAUSE_MAX;
	}
}

/* Run one statement (one round trip); on a lost connection reconnect and
 * run it again — every statement of this store is safe to repeat.  Returns
 * the result (caller clears it) or NULL with err set. */
static PGresult *run(tsk__pg *pg, const char *sql, int nparams, const char *const *params, tsk_error *err)
{
	double deadline = 0;
	char msg[256];
	for (;;) {
		if (PQstatus(pg->conn) != CONNECTION_OK && reconnect(pg, &deadline, err) != TSK_OK)
			return NULL;
		pg->round_trips++;
		PGresult *res = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
			return res;
		if (connection_lost(pg->conn, res)) {
			pg_log(pg, "postgresql: connection lost (%s); reconnecting",
			       res ? conn_message(pg->conn, msg, sizeof msg) : "no result");
			PQclear(res);
			/* Force a fresh connection even if libpq still thinks this one is fine. */
			PQfinish(pg->conn);
			pg->conn = NULL;
			if (reconnect(pg, &deadline, err) != TSK_OK)
				return NULL;
			continue;
		}
		tsk_error_set(err, TSK_EIO, "postgresql: %s", res ? PQresultErrorMessage(res) : "out of memory");
		size_t len = strlen(err->message);
		while (len > 0 && err->message[len - 1] == '\n')
			err->message[--len] = '\0';
		PQclear(res);
		return NULL;
	}
}

/* One statement without parameters and without reconnecting (the steps of
 * a transaction: a new connection would not be in it). */
static int run_plain(tsk__pg *pg, const char *sql, PGresult **out, tsk_error *err)
{
	pg->round_trips++;
	PGresult *res = PQexec(pg->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		char msg[256];
		tsk_error_set(err, connection_lost(pg->conn, res) ? TSK_ENETWORK : TSK_EIO, "postgresql: %s",
		              res ? PQresultErrorMessage(res) : conn_message(pg->conn, msg, sizeof msg));
		PQclear(res);
		return err->code;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return TSK_OK;
}

static const char *const migrations[] = {
	TSK_PG_SQL_MIGRATION_1,
};

/* Bring the schema to TSK__PG_SCHEMA_VERSION in one transaction. */
static int migrate(tsk__pg *pg, tsk_error *err)
{
	PGresult *res = NULL;
	int rc = run_plain(pg, "BEGIN", NULL, err);
	if (rc == TSK_OK)
		rc = run_plain(pg, TSK_PG_SQL_MIGRATE_LOCK, NULL, err);
	if (rc == TSK_OK)
		rc = run_plain(pg, TSK_PG_SQL_VERSION_TABLE, NULL, err);
	if (rc == TSK_OK)
		rc = run_plain(pg, TSK_PG_SQL_VERSION, &res, err);
	int version = rc == TSK_OK ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	if (rc == TSK_OK && version > TSK__PG_SCHEMA_VERSION)
		rc = tsk_error_set(err, TSK_EVERSION,
		                   "postgresql: the fleet's schema is version %d, newer than this tsuiseki knows (%d)",
		                   version, TSK__PG_SCHEMA_VERSION);
	for (int v = version + 1; rc == TSK_OK && v <= TSK__PG_SCHEMA_VERSION; v++) {
		rc = run_plain(pg, migrations[v - 1], NULL, err);
		if (rc == TSK_OK) {
			char num[16];
			snprintf(num, sizeof num, "%d", v);
			const char *params[] = { num };
			pg->round_trips++;
			res = PQexecParams(pg->conn, TSK_PG_SQL_VERSION_ADD, 1, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_COMMAND_OK)
				rc = tsk_error_set(err, TSK_EIO, "postgresql: %s", PQresultErrorMessage(res));
			PQclear(res);
		}
	}
	if (rc == TSK_OK)
		return run_plain(pg, "COMMIT", NULL, err);
	tsk_error tmp;
	run_plain(pg, "ROLLBACK", NULL, &tmp);
	return rc;
}

static char *default_owner(void)
{
	char host[128] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_printf(&b, "%s:%ld:%lx", host, (long)getpid(),
	                (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20));
	return tsk__buf_detach(&b);
}

int tsk__pg_open(tsk__pg **out, const char *conninfo, const char *owner, tsk_error *err)
{
	char msg[256];
	if (!out || !conninfo)
		return tsk_error_set(err, TSK_EINVAL, "postgresql: no connection string");
	*out = NULL;
	tsk__pg *pg = calloc(1, sizeof *pg);
	if (!pg || !(pg->conninfo = tsk__strdup(conninfo)) ||
	    !(pg->owner = owner ? tsk__strdup(owner) : default_owner())) {
		tsk__pg_close(pg);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	pg->horizon = 60;
	pg->conn = connect_once(pg);
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		tsk_error_set(err, TSK_ENETWORK, "postgresql: cannot connect: %s", conn_message(pg->conn, msg, sizeof msg));
		tsk__pg_close(pg);
		return TSK_ENETWORK;
	}
	int rc = migrate(pg, err);
	if (rc != TSK_OK) {
		tsk__pg_close(pg);
		return rc;
	}
	*out = pg;
	return TSK_OK;
}

void tsk__pg_close(tsk__pg *pg)
{
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg->owner);
	free(pg);
}

const char *tsk__pg_owner(const tsk__pg *pg) { return pg->owner; }
void tsk__pg_set_reconnect(tsk__pg *pg, double horizon) { pg->horizon = horizon > 0 ? horizon : 0; }
unsigned long tsk__pg_round_trips(const tsk__pg *pg) { return pg->round_trips; }
unsigned long tsk__pg_reconnects(const tsk__pg *pg) { return pg->reconnects; }

void tsk__pg_set_log(tsk__pg *pg, void (*log)(void *data, const char *message), void *data)
{
	pg->log = log;
	pg->log_data = data;
}

static void fmt_double(char *buf, size_t size, double v) { snprintf(buf, size, "%.6f", v); }

/* A copy of a result field; NULL for SQL NULL.  Sets *oom on failure. */
static char *field(const PGresult *res, int row, int col, int *oom)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	char *s = tsk__strdup(PQgetvalue(res, row, col));
	if (!s)
		*oom = 1;
	return s;
}

static double field_double(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtod(PQgetvalue(res, row, col), NULL);
}

static int read_row(const PGresult *res, int i, tsk__pg_row *row)
{
	int oom = 0;
	memset(row, 0, sizeof *row);
	row->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	row->tracking_number = field(res, i, 1, &oom);
	row->carrier = field(res, i, 2, &oom);
	row->reference = field(res, i, 3, &oom);
	row->locale = field(res, i, 4, &oom);
	row->snapshot = field(res, i, 5, &oom);
	row->next_poll = field_double(res, i, 6);
	return oom ? TSK_ENOMEM : TSK_OK;
}

void tsk__pg_row_clear(tsk__pg_row *row)
{
	free(row->tracking_number);
	free(row->carrier);
	free(row->reference);
	free(row->locale);
	free(row->snapshot);
	memset(row, 0, sizeof *row);
}

void tsk__pg_rows_free(tsk__pg_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		tsk__pg_row_clear(&rows[i]);
	free(rows);
}

int tsk__pg_add(tsk__pg *pg, const char *number, const char *carrier, const char *reference,
                const char *locale, double next_poll, int64_t *id, tsk_error *err)
{
	if (!number || !carrier)
		return tsk_error_set(err, TSK_EINVAL, "postgresql: a shipment needs a number and a carrier");
	char when[48];
	fmt_double(when, sizeof when, next_poll);
	const char *params[] = { number, carrier, reference, locale ? locale : "ja", when };
	PGresult *res = run(pg, TSK_PG_SQL_ADD, 5, params, err);
	if (!res)
		return err->code;
	if (id)
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return TSK_OK;
}

int tsk__pg_get(tsk__pg *pg, int64_t id, tsk__pg_row *row, tsk_error *err)
{
	char idbuf[32];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	const char *params[] = { idbuf };
	PGresult *res = run(pg, TSK_PG_SQL_GET, 1, params, err);
	if (!res)
		return err->code;
	int rc = PQntuples(res) == 1 ? read_row(res, 0, row)
	                             : tsk_error_set(err, TSK_ENOTFOUND, "postgresql: no shipment %lld", (long long)id);
	PQclear(res);
	if (rc == TSK_ENOMEM) {
		tsk__pg_row_clear(row);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	return rc;
}

int tsk__pg_lease(tsk__pg *pg, double now, size_t limit, double lease,
                  tsk__pg_row **rows, size_t *n, tsk_error *err)
{
	*rows = NULL;
	*n = 0;
	char nowbuf[48], limbuf[32], leasebuf[48];
	fmt_double(nowbuf, sizeof nowbuf, now);
	snprintf(limbuf, sizeof limbuf, "%zu", limit);
	fmt_double(leasebuf, sizeof leasebuf, lease);
	const char *params[] = { pg->owner, nowbuf, limbuf, leasebuf };
	PGresult *res = run(pg, TSK_PG_SQL_LEASE, 4, params, err);
	if (!res)
		return err->code;
	size_t count = (size_t)PQntuples(res);
	tsk__pg_row *out = count ? calloc(count, sizeof *out) : NULL;
	int rc = count && !out ? TSK_ENOMEM : TSK_OK;
	for (size_t i = 0; rc == TSK_OK && i < count; i++)
		rc = read_row(res, (int)i, &out[i]);
	PQclear(res);
	if (rc != TSK_OK) {
		/* The leases stand; they expire at their deadline. */
		tsk__pg_rows_free(out, count);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	*rows = out;
	*n = count;
	return TSK_OK;
}

/* The notifications as one JSON array of {"id","body"}: one parameter. */
static char *notes_json(const tsk__pg_note *notes, size_t n)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return NULL;
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		yajl_gen_string(g, (const unsigned char *)"id", 2);
		yajl_gen_string(g, (const unsigned char *)notes[i].id, strlen(notes[i].id));
		yajl_gen_string(g, (const unsigned char *)"body", 4);
		yajl_gen_string(g, (const unsigned char *)notes[i].body, strlen(notes[i].body));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	const unsigned char *buf;
	size_t len;
	char *s = yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok ? tsk__strndup((const char *)buf, len) : NULL;
	yajl_gen_free(g);
	return s;
}

int tsk__pg_save(tsk__pg *pg, int64_t id, const char *snapshot, const char *carrier,
                 const char *status, double next_poll, const tsk__pg_note *notes, size_t nnotes,
                 size_t *written, tsk_error *err)
{
	if (written)
		*written = 0;
	if (!snapshot || !carrier)
		return tsk_error_set(err, TSK_EINVAL, "postgresql: a poll result needs a snapshot and a carrier");
	for (size_t i = 0; i < nnotes; i++)
		if (!notes[i].id || !notes[i].body)
			return tsk_error_set(err, TSK_EINVAL, "postgresql: a notification needs an id and a body");
	char *json = notes_json(notes, nnotes);
	if (!json)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	char idbuf[32], when[48];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	fmt_double(when, sizeof when, next_poll);
	const char *params[] = { idbuf, pg->owner, snapshot, carrier, status, next_poll > 0 ? when : NULL, json };
	PGresult *res = run(pg, TSK_PG_SQL_SAVE, 7, params, err);
	free(json);
	if (!res)
		return err->code;
	long saved = atol(PQgetvalue(res, 0, 0));
	long ins = atol(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (saved == 0)
		return tsk_error_set(err, TSK_ECANCELED,
		                     "postgresql: shipment %lld is no longer leased to this poller (its lease expired and another took it)",
		                     (long long)id);
	if (written)
		*written = (size_t)ins;
	return TSK_OK;
}

void tsk__pg_claims_free(tsk__pg_claimed *claims, size_t n)
{
	for (size_t i = 0; claims && i < n; i++) {
		free(claims[i].id);
		free(claims[i].body);
	}
	free(claims);
}

int tsk__pg_claim(tsk__pg *pg, size_t limit, double visibility,
                  tsk__pg_claimed **claims, size_t *n, tsk_error *err)
{
	*claims = NULL;
	*n = 0;
	char limbuf[32], visbuf[48];
	snprintf(limbuf, sizeof limbuf, "%zu", limit);
	fmt_double(visbuf, sizeof visbuf, visibility);
	const char *params[] = { pg->owner, limbuf, visbuf };
	PGresult *res = run(pg, TSK_PG_SQL_CLAIM, 3, params, err);
	if (!res)
		return err->code;
	size_t count = (size_t)PQntuples(res);
	tsk__pg_claimed *out = count ? calloc(count, sizeof *out) : NULL;
	int oom = count && !out;
	for (size_t i = 0; !oom && i < count; i++) {
		out[i].id = field(res, (int)i, 1, &oom);
		out[i].body = field(res, (int)i, 2, &oom);
	}
	PQclear(res);
	if (oom) {
		/* The claims return to the outbox after their timeout. */
		tsk__pg_claims_free(out, count);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	*claims = out;
	*n = count;
	return TSK_OK;
}

int tsk__pg_ack(tsk__pg *pg, const char *id, tsk_error *err)
{
	if (!id)
		return tsk_error_set(err, TSK_EINVAL, "postgresql: no notification id");
	const char *params[] = { id, pg->owner };
	PGresult *res = run(pg, TSK_PG_SQL_ACK, 2, params, err);
	if (!res)
		return err->code;
	int acked = PQntuples(res) == 1;
	PQclear(res);
	return acked ? TSK_OK
	             : tsk_error_set(err, TSK_ECANCELED,
	                             "postgresql: notification %s is not held by this consumer (its claim timed out and another took it)",
	                             id);
}

int tsk__pg_waiting(tsk__pg *pg, size_t *count, tsk_error *err)
{
	PGresult *res = run(pg, TSK_PG_SQL_WAITING, 0, NULL, err);
	if (!res)
		return err->code;
	*count = (size_t)strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return TSK_OK;
}

int tsk__pg_reserve(tsk__pg *pg, const char *carrier, double interval, double *wait,
                    double *slot, double *open_until, tsk_error *err)
{
	*wait = 0;
	*open_until = 0;
	if (!carrier || !(interval >= 0))
		return tsk_error_set(err, TSK_EINVAL, "postgresql: a reservation needs a carrier and an interval");
	char ivbuf[48];
	fmt_double(ivbuf, sizeof ivbuf, interval);
	const char *params[] = { carrier, ivbuf };
	PGresult *res = run(pg, TSK_PG_SQL_RESERVE, 2, params, err);
	if (!res)
		return err->code;
	double at = field_double(res, 0, 0), dbnow = field_double(res, 0, 1);
	double open = field_double(res, 0, 2);
	PQclear(res);
	if (slot)
		*slot = at;
	*wait = at > dbnow ? at - dbnow : 0;
	*open_until = open > dbnow ? open : 0;
	return TSK_OK;
}

int tsk__pg_breaker(tsk__pg *pg, const char *carrier, int ok, int threshold, double base,
                    double max, double *open_until, tsk_error *err)
{
	*open_until = 0;
	if (!carrier)
		return tsk_error_set(err, TSK_EINVAL, "postgresql: no carrier");
	if (ok) {
		const char *params[] = { carrier };
		PGresult *res = run(pg, TSK_PG_SQL_BREAKER_OK, 1, params, err);
		if (!res)
			return err->code;
		PQclear(res);
		return TSK_OK;
	}
	char thr[16], basebuf[48], maxbuf[48];
	snprintf(thr, sizeof thr, "%d", threshold > 0 ? threshold : 1);
	fmt_double(basebuf, sizeof basebuf, base);
	fmt_double(maxbuf, sizeof maxbuf, max > base ? max : base);
	const char *params[] = { carrier, thr, basebuf, maxbuf };
	PGresult *res = run(pg, TSK_PG_SQL_BREAKER_FAIL, 4, params, err);
	if (!res)
		return err->code;
	*open_until = field_double(res, 0, 0);
	PQclear(res);
	return TSK_OK;
}
