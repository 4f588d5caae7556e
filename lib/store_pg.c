/*
 * The PostgreSQL fleet store through libpq.  See store_pg.h for the
 * guarantees and store_pg_sql.h for the SQL.
 */
#include "store_pg.h"

#include <errno.h>
#include <inttypes.h>
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

typedef struct tsk__pg {
	tsk__store base; /* first: the fleet reaches the ops through it */
	PGconn *conn;
	char *conninfo;
	char *owner;
	double horizon; /* reconnect for at most this many seconds */
	double lease;   /* due(): lease length */
	double claim;   /* outbox(): claim timeout */
	unsigned long round_trips;
	unsigned long reconnects;
	void (*log)(void *data, int level, const char *message);
	void *log_data;
} tsk__pg;

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

static void pg_log(tsk__pg *pg, int level, const char *fmt, ...) TSK__PRINTF(3, 4);
static void pg_log(tsk__pg *pg, int level, const char *fmt, ...)
{
	if (!pg->log)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	pg->log(pg->log_data, level, msg);
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
			pg_log(pg, 2, "postgresql: connection re-established");
			return TSK_OK;
		}
		double left = *deadline - mono_now();
		if (left <= 0)
			return tsk_error_set(err, TSK_ENETWORK, "postgresql: connection lost and not re-established within %.0f s: %s",
			                     pg->horizon, conn_message(pg->conn, msg, sizeof msg));
		pg_log(pg, 1, "postgresql: cannot reconnect (%s); next attempt in %.1f s",
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
			pg_log(pg, 1, "postgresql: connection lost (%s); reconnecting",
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
	TSK_PG_SQL_MIGRATION_2,
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


/* ------------------------------------------------------------ open/close */

/* host:pid:address-and-time: unique among the stores open at one moment. */
static char *default_owner(const void *self)
{
	char host[128] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_printf(&b, "%s:%ld:%lx", host, (long)getpid(),
	                (unsigned long)(uintptr_t)self ^ (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 30));
	return tsk__buf_detach(&b);
}

/* A positive number of seconds from the environment, else fallback. */
static double env_seconds(const char *name, double fallback)
{
	const char *v = getenv(name);
	char *end;
	double d = v && *v ? strtod(v, &end) : 0;
	return v && *v && !*end && d > 0 && d < 1e7 ? d : fallback;
}

static void pg_close(tsk__store *st)
{
	tsk__pg *pg = (tsk__pg *)st;
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg->owner);
	free(pg);
}

/* location: what follows "postgresql:" — "//host/db?…" (a URL) or any
 * libpq keyword string ("host=/run/postgresql dbname=fleet"). */
static int pg_open(tsk__store **out, const char *location, tsk_error *err)
{
	char msg[256];
	*out = NULL;
	if (!location || !*location)
		return tsk_error_set(err, TSK_EINVAL,
		                     "postgresql: needs a connection string (postgresql://HOST/DB or postgresql:KEY=VALUE …)");
	tsk__pg *pg = calloc(1, sizeof *pg);
	tsk__buf b = TSK__BUF_INIT;
	if (strncmp(location, "//", 2) == 0)
		tsk__buf_puts(&b, "postgresql:"); /* a URL: give libpq its scheme back */
	tsk__buf_puts(&b, location);
	if (!pg || !(pg->conninfo = tsk__buf_detach(&b)) || !(pg->owner = default_owner(pg))) {
		tsk__buf_dispose(&b);
		pg_close(pg ? &pg->base : NULL);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	pg->base.ops = &tsk__store_postgresql;
	pg->lease = env_seconds("TSUISEKI_LEASE_S", 300);
	pg->claim = env_seconds("TSUISEKI_CLAIM_S", 60);
	pg->horizon = env_seconds("TSUISEKI_RECONNECT_S", 60);
	pg->conn = connect_once(pg);
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		tsk_error_set(err, TSK_ENETWORK, "postgresql: cannot connect: %s", conn_message(pg->conn, msg, sizeof msg));
		pg_close(&pg->base);
		return TSK_ENETWORK;
	}
	int rc = migrate(pg, err);
	if (rc != TSK_OK) {
		pg_close(&pg->base);
		return rc;
	}
	*out = &pg->base;
	return TSK_OK;
}

const char *tsk__pg_owner(const tsk__store *st) { return ((const tsk__pg *)st)->owner; }
void tsk__pg_set_lease(tsk__store *st, double seconds) { ((tsk__pg *)st)->lease = seconds; }
double tsk__pg_lease(const tsk__store *st) { return ((const tsk__pg *)st)->lease; }
void tsk__pg_set_claim(tsk__store *st, double seconds) { ((tsk__pg *)st)->claim = seconds; }
void tsk__pg_set_reconnect(tsk__store *st, double horizon) { ((tsk__pg *)st)->horizon = horizon > 0 ? horizon : 0; }
unsigned long tsk__pg_round_trips(const tsk__store *st) { return ((const tsk__pg *)st)->round_trips; }
unsigned long tsk__pg_reconnects(const tsk__store *st) { return ((const tsk__pg *)st)->reconnects; }

void tsk__pg_set_log(tsk__store *st, void (*log)(void *data, int level, const char *message), void *data)
{
	tsk__pg *pg = (tsk__pg *)st;
	pg->log = log;
	pg->log_data = data;
}

/* ------------------------------------------------------------ parameters */

/* Text parameters for one statement: numbers are formatted into fixed
 * slots, strings borrowed. */
struct params {
	const char *v[16];
	char num[16][32];
	int n;
};

static void p_text(struct params *p, const char *s) { p->v[p->n++] = s; }

static void p_int(struct params *p, int64_t x)
{
	snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, x);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

/* A time of the fleet's clock: TSK__NEVER is NULL. */
static void p_time(struct params *p, int64_t t)
{
	if (t == TSK__NEVER)
		p_text(p, NULL);
	else
		p_int(p, t);
}

static void p_double(struct params *p, double x)
{
	snprintf(p->num[p->n], sizeof p->num[p->n], "%.6f", x);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

static PGresult *run_p(tsk__pg *pg, const char *sql, const struct params *p, tsk_error *err)
{
	return run(pg, sql, p->n, p->v, err);
}

static double field_double(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtod(PQgetvalue(res, row, col), NULL);
}

static int64_t field_int(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static int64_t field_time(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? TSK__NEVER : field_int(res, row, col);
}

static char *field_text(const PGresult *res, int row, int col, bool *oom)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	char *s = tsk__strdup(PQgetvalue(res, row, col));
	if (!s)
		*oom = true;
	return s;
}

/* Read a row of TSK_PG_REC_COLUMNS. */
static int read_rec(const PGresult *res, int i, tsk__store_rec *r)
{
	bool oom = false;
	memset(r, 0, sizeof *r);
	r->id = field_int(res, i, 0);
	r->number = field_text(res, i, 1, &oom);
	r->carrier = field_text(res, i, 2, &oom);
	r->reference = field_text(res, i, 3, &oom);
	snprintf(r->locale, sizeof r->locale, "%s", PQgetvalue(res, i, 4));
	r->state = (int)field_int(res, i, 5);
	r->added_at = field_int(res, i, 6);
	r->next_poll = field_time(res, i, 7);
	r->ended_at = field_time(res, i, 8);
	r->status = (int)field_int(res, i, 9);
	r->exceptions = (uint32_t)field_int(res, i, 10);
	r->probes = (int)field_int(res, i, 11);
	r->snapshot = field_text(res, i, 12, &oom);
	if (oom || !r->number || !r->carrier) {
		tsk__store_rec_dispose(r);
		return TSK_ENOMEM;
	}
	return TSK_OK;
}

/* Append every row of res to *out. */
static int read_recs(const PGresult *res, tsk__store_rec **out, size_t *count, tsk_error *err)
{
	size_t rows = (size_t)PQntuples(res);
	if (!rows)
		return TSK_OK;
	tsk__store_rec *n = realloc(*out, (*count + rows) * sizeof **out);
	if (!n)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	*out = n;
	for (size_t i = 0; i < rows; i++) {
		if (read_rec(res, (int)i, &n[*count]) != TSK_OK)
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
		(*count)++;
	}
	return TSK_OK;
}

/* ------------------------------------------------------------ shipments */

static int pg_add(tsk__store *st, tsk__store_rec *rec, tsk_error *err)
{
	tsk__pg *pg = (tsk__pg *)st;
	struct params p = { .n = 0 };
	p_text(&p, rec->number);
	p_text(&p, rec->carrier);
	p_text(&p, rec->reference);
	p_text(&p, rec->locale);
	p_int(&p, rec->state);
	p_int(&p, rec->added_at);
	p_time(&p, rec->next_poll);
	p_time(&p, rec->ended_at);
	p_int(&p, rec->status);
	p_int(&p, rec->exceptions);
	p_int(&p, rec->probes);
	p_text(&p, rec->snapshot);
	PGresult *res = run_p(pg, TSK_PG_SQL_ADD, &p, err);
	if (!res)
		return err->code;
	int added = PQntuples(res) == 1;
	if (added)
		rec->id = field_int(res, 0, 0);
	PQclear(res);
	return added ? TSK_OK : tsk_error_set(err, TSK_EEXISTS, "%s is already in the fleet", rec->number);
}

static int pg_remove(tsk__store *st, const char *number, tsk_error *err)
{
	const char *params[] = { number };
	PGresult *res = run((tsk__pg *)st, TSK_PG_SQL_REMOVE, 1, params, err);
	if (!res)
		return err->code;
	int64_t removed = field_int(res, 0, 0);
	PQclear(res);
	return removed ? TSK_OK : tsk_error_set(err, TSK_ENOTFOUND, "%s is not in the fleet", number);
}

static int pg_get(tsk__store *st, const char *number, tsk__store_rec *out, tsk_error *err)
{
	const char *params[] = { number };
	PGresult *res = run((tsk__pg *)st, TSK_PG_SQL_GET, 1, params, err);
	if (!res)
		return err->code;
	int rc = PQntuples(res) != 1 ? tsk_error_set(err, TSK_ENOTFOUND, "%s is not in the fleet", number)
	         : read_rec(res, 0, out) != TSK_OK ? tsk_error_set(err, TSK_ENOMEM, "out of memory")
	                                            : TSK_OK;
	PQclear(res);
	return rc;
}

static int pg_list(tsk__store *st, const tsk_fleet_filter *f, tsk__store_rec_fn fn, void *userdata,
                   tsk_error *err)
{
	struct params p = { .n = 0 };
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_puts(&b, TSK_PG_SQL_LIST);
	if (f && f->status >= 0) {
		p_int(&p, f->status);
		tsk__buf_printf(&b, " AND status = $%d", p.n);
	}
	if (f && f->state >= 0) {
		p_int(&p, f->state);
		tsk__buf_printf(&b, " AND state = $%d", p.n);
	}
	if (f && f->exception != TSK_EXC_NONE) {
		p_int(&p, (int64_t)1 << f->exception);
		tsk__buf_printf(&b, " AND (exceptions & $%d) <> 0", p.n);
	}
	if (f && f->due_before) {
		p_int(&p, f->due_before->epoch);
		tsk__buf_printf(&b, " AND next_poll < $%d", p.n);
	}
	if (f && f->reference) {
		p_text(&p, f->reference);
		tsk__buf_printf(&b, " AND reference = $%d", p.n);
	}
	tsk__buf_puts(&b, " ORDER BY id");
	if (f && f->limit) {
		p_int(&p, (int64_t)f->limit);
		tsk__buf_printf(&b, " LIMIT $%d", p.n);
	}
	if (b.failed) {
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	PGresult *res = run_p((tsk__pg *)st, b.data, &p, err);
	tsk__buf_dispose(&b);
	if (!res)
		return err->code;
	int rc = TSK_OK;
	for (int i = 0; i < PQntuples(res); i++) {
		tsk__store_rec r;
		if (read_rec(res, i, &r) != TSK_OK) {
			rc = tsk_error_set(err, TSK_ENOMEM, "out of memory");
			break;
		}
		int stop = fn(&r, userdata);
		tsk__store_rec_dispose(&r);
		if (stop)
			break;
	}
	PQclear(res);
	return rc;
}

static int pg_due(tsk__store *st, int64_t now, int64_t after_poll, int64_t after_id, size_t limit,
                  tsk__store_rec **out, size_t *count_out, tsk_error *err)
{
	tsk__pg *pg = (tsk__pg *)st;
	struct params p = { .n = 0 };
	p_int(&p, now);
	p_int(&p, after_poll);
	p_int(&p, after_id);
	if (limit)
		p_int(&p, (int64_t)limit);
	else
		p_text(&p, NULL); /* LIMIT NULL: no limit */
	p_text(&p, pg->owner);
	p_double(&p, pg->lease);
	PGresult *res = run_p(pg, TSK_PG_SQL_DUE, &p, err);
	if (!res)
		return err->code;
	int rc = read_recs(res, out, count_out, err);
	PQclear(res);
	return rc;
}

static int pg_next_due(tsk__store *st, int64_t *out, tsk_error *err)
{
	tsk__pg *pg = (tsk__pg *)st;
	const char *params[] = { pg->owner };
	PGresult *res = run(pg, TSK_PG_SQL_NEXT_DUE, 1, params, err);
	if (!res)
		return err->code;
	*out = field_time(res, 0, 0);
	PQclear(res);
	return TSK_OK;
}

/* The notifications as one JSON array of {"id","json"}: one parameter. */
static char *notes_json(const tsk__store_note *notes, size_t n)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return NULL;
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		yajl_gen_string(g, (const unsigned char *)"id", 2);
		yajl_gen_string(g, (const unsigned char *)notes[i].id, strlen(notes[i].id));
		yajl_gen_string(g, (const unsigned char *)"json", 4);
		yajl_gen_string(g, (const unsigned char *)notes[i].json, strlen(notes[i].json));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	const unsigned char *buf;
	size_t len;
	char *s = yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok ? tsk__strndup((const char *)buf, len) : NULL;
	yajl_gen_free(g);
	return s;
}

static int pg_save(tsk__store *st, const tsk__store_rec *rec, const tsk__store_note *notes, size_t nnotes,
                   int64_t now, size_t *written_out, tsk_error *err)
{
	tsk__pg *pg = (tsk__pg *)st;
	*written_out = 0;
	for (size_t i = 0; i < nnotes; i++)
		if (!notes[i].json)
			return tsk_error_set(err, TSK_EINVAL, "postgresql: a notification without JSON");
	char *json = notes_json(notes, nnotes);
	if (!json)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	struct params p = { .n = 0 };
	p_int(&p, rec->id);
	p_text(&p, pg->owner);
	p_text(&p, rec->carrier);
	p_int(&p, rec->state);
	p_time(&p, rec->next_poll);
	p_time(&p, rec->ended_at);
	p_int(&p, rec->status);
	p_int(&p, rec->exceptions);
	p_int(&p, rec->probes);
	p_text(&p, rec->snapshot);
	p_text(&p, json);
	p_int(&p, now);
	PGresult *res = run_p(pg, TSK_PG_SQL_SAVE, &p, err);
	free(json);
	if (!res)
		return err->code;
	int64_t saved = field_int(res, 0, 0), written = field_int(res, 0, 1);
	PQclear(res);
	if (!saved)
		return tsk_error_set(err, TSK_ENOTFOUND,
		                     "%s is no longer in the fleet or no longer leased to this poller (another poller took it over)",
		                     rec->number);
	*written_out = (size_t)written;
	return TSK_OK;
}

static int pg_purge(tsk__store *st, int64_t before, size_t *purged_out, tsk_error *err)
{
	struct params p = { .n = 0 };
	p_int(&p, before);
	PGresult *res = run_p((tsk__pg *)st, TSK_PG_SQL_PURGE, &p, err);
	if (!res)
		return err->code;
	if (purged_out)
		*purged_out = (size_t)field_int(res, 0, 0);
	PQclear(res);
	return TSK_OK;
}

/* ---------------------------------------------------------------- outbox */

static int pg_outbox(tsk__store *st, size_t max, tsk__store_note **out, size_t *count_out, tsk_error *err)
{
	tsk__pg *pg = (tsk__pg *)st;
	*out = NULL;
	*count_out = 0;
	struct params p = { .n = 0 };
	p_text(&p, pg->owner);
	if (max)
		p_int(&p, (int64_t)max);
	else
		p_text(&p, NULL);
	p_double(&p, pg->claim);
	PGresult *res = run_p(pg, TSK_PG_SQL_CLAIM, &p, err);
	if (!res)
		return err->code;
	size_t n = (size_t)PQntuples(res);
	tsk__store_note *v = n ? calloc(n, sizeof *v) : NULL;
	bool oom = n && !v;
	for (size_t i = 0; !oom && i < n; i++) {
		snprintf(v[i].id, sizeof v[i].id, "%s", PQgetvalue(res, (int)i, 0));
		v[i].json = field_text(res, (int)i, 1, &oom);
	}
	PQclear(res);
	if (oom) {
		/* The claims return to the outbox after their timeout. */
		tsk__store_notes_free(v, n);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	*out = v;
	*count_out = n;
	return TSK_OK;
}

/* ids as a PostgreSQL text[] literal: {"a","b"} with " and \ escaped. */
static char *text_array(const char *const *ids, size_t count)
{
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_putc(&b, '{');
	bool first = true;
	for (size_t i = 0; i < count; i++) {
		if (!ids[i])
			continue;
		if (!first)
			tsk__buf_putc(&b, ',');
		first = false;
		tsk__buf_putc(&b, '"');
		for (const char *c = ids[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				tsk__buf_putc(&b, '\\');
			tsk__buf_putc(&b, *c);
		}
		tsk__buf_putc(&b, '"');
	}
	tsk__buf_putc(&b, '}');
	return tsk__buf_detach(&b);
}

static int pg_ack(tsk__store *st, const char *const *ids, size_t count, int64_t now, tsk_error *err)
{
	tsk__pg *pg = (tsk__pg *)st;
	char *arr = text_array(ids, count);
	if (!arr)
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	struct params p = { .n = 0 };
	p_text(&p, arr);
	p_text(&p, pg->owner);
	p_int(&p, now);
	PGresult *res = run_p(pg, TSK_PG_SQL_ACK, &p, err);
	free(arr);
	if (!res)
		return err->code;
	int64_t waiting = field_int(res, 0, 0), acked = field_int(res, 0, 1);
	PQclear(res);
	if (acked < waiting)
		return tsk_error_set(err, TSK_ECANCELED,
		                     "postgresql: %" PRId64 " of the notifications are held by another consumer"
		                     " (the claim here timed out); they were not acknowledged", waiting - acked);
	return TSK_OK;
}

/* ------------------------------------------------------------ politeness */

int tsk__pg_take(tsk__store *st, const char *carrier, const tsk__pg_ask *ask, tsk__pg_grant *out, tsk_error *err)
{
	memset(out, 0, sizeof *out);
	if (!carrier || !(ask->interval >= 0) || ask->slots < 0 || ask->places < 0 || !(ask->hold > 0))
		return tsk_error_set(err, TSK_EINVAL, "postgresql: a politeness take needs a carrier, an interval and a hold");
	tsk__pg *pg = (tsk__pg *)st;
	struct params p = { .n = 0 };
	p_text(&p, carrier);
	p_text(&p, pg->owner);
	p_double(&p, ask->interval);
	p_int(&p, ask->slots);
	p_int(&p, ask->places);
	p_int(&p, ask->max_places);
	p_double(&p, ask->hold);
	PGresult *res = run_p(pg, TSK_PG_SQL_TAKE, &p, err);
	if (!res)
		return err->code;
	out->first_slot = field_double(res, 0, 0);
	out->db_now = field_double(res, 0, 1);
	out->places = (long)field_int(res, 0, 2);
	double open = field_double(res, 0, 3);
	out->open_until = open > out->db_now ? open : 0;
	PQclear(res);
	return TSK_OK;
}

int tsk__pg_breaker(tsk__store *st, const char *carrier, double open_for, double *open_until, double *db_now,
                    tsk_error *err)
{
	*open_until = *db_now = 0;
	if (!carrier || !(open_for >= 0))
		return tsk_error_set(err, TSK_EINVAL, "postgresql: a breaker report needs a carrier");
	struct params p = { .n = 0 };
	p_text(&p, carrier);
	if (open_for > 0)
		p_double(&p, open_for);
	else
		p_text(&p, NULL);
	PGresult *res = run_p((tsk__pg *)st, TSK_PG_SQL_BREAKER, &p, err);
	if (!res)
		return err->code;
	*db_now = field_double(res, 0, 1);
	double open = field_double(res, 0, 0);
	*open_until = open > *db_now ? open : 0;
	PQclear(res);
	return TSK_OK;
}

const tsk__store_ops tsk__store_postgresql = {
	TSK__STORE_VERSION, "postgresql",
	pg_open, pg_close, pg_add, pg_remove, pg_get, pg_list, pg_due, pg_next_due,
	pg_save, pg_outbox, pg_ack, pg_purge,
};

/* "postgres://…" is libpq's other spelling. */
const tsk__store_ops tsk__store_postgres = {
	TSK__STORE_VERSION, "postgres",
	pg_open, pg_close, pg_add, pg_remove, pg_get, pg_list, pg_due, pg_next_due,
	pg_save, pg_outbox, pg_ack, pg_purge,
};
