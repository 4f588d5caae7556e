/*
 * The SQLite store ("sqlite:PATH"), the embedded default.
 *
 * Invariants:
 *  - the file is created 0600 (SQLite gives its -wal and -shm files the
 *    database's mode); journal_mode WAL, synchronous NORMAL (a committed
 *    transaction survives any crash of the process), busy_timeout 5 s;
 *  - the schema version is PRAGMA user_version; migrations only go
 *    forward, all of them in one transaction at open; a file from a newer
 *    tsuiseki is refused, never altered;
 *  - every statement is prepared once per connection (stmt[], from the
 *    SQL table below: all the SQL of this store is in this one place);
 *  - save() is one IMMEDIATE transaction: the shipment's row and its new
 *    notifications (INSERT OR IGNORE on the notification id) commit
 *    together or not at all;
 *  - due work is the partial index shipments_due on (next_poll) — the
 *    query plan is checked by tests/unit/test_fleet.c.
 */
#include "store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ SQL */

/* Migration N brings user_version N-1 to N. Append only; never edit one
 * that was released. */
static const char *const migrations[] = {
	/* 1: shipments and the outbox */
	"CREATE TABLE shipments (\n"
	"  id          INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"  number      TEXT NOT NULL UNIQUE,      -- normalized tracking number\n"
	"  carrier     TEXT NOT NULL,             -- 'auto' until pinned\n"
	"  reference   TEXT,                      -- the shop's order id\n"
	"  locale      TEXT NOT NULL,             -- 'ja' / 'en'\n"
	"  state       INTEGER NOT NULL,          -- 0 active, 1 retired, 2 gave up\n"
	"  added_at    INTEGER NOT NULL,          -- Unix seconds\n"
	"  next_poll   INTEGER,                   -- NULL: never again\n"
	"  ended_at    INTEGER,                   -- retired / given up\n"
	"  status      INTEGER NOT NULL,          -- tsk_status of the snapshot\n"
	"  exceptions  INTEGER NOT NULL,          -- bit (1 << code) per exception\n"
	"  probes      INTEGER NOT NULL,          -- not-found answers in a row\n"
	"  snapshot    TEXT                       -- schema-1 SHIPMENT JSON\n"
	");\n"
	"CREATE INDEX shipments_due ON shipments(next_poll) WHERE next_poll IS NOT NULL;\n"
	"CREATE INDEX shipments_reference ON shipments(reference);\n"
	"CREATE INDEX shipments_ended ON shipments(ended_at) WHERE ended_at IS NOT NULL;\n"
	"CREATE TABLE notifications (\n"
	"  seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- outbox order\n"
	"  id          TEXT NOT NULL UNIQUE,      -- the stable notification id\n"
	"  shipment_id INTEGER NOT NULL,\n"
	"  created_at  INTEGER NOT NULL,\n"
	"  acked_at    INTEGER,                   -- NULL: waiting in the outbox\n"
	"  json        TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX notifications_waiting ON notifications(seq) WHERE acked_at IS NULL;\n"
	"CREATE INDEX notifications_shipment ON notifications(shipment_id);\n",
	/* 2: the leg followed after a hand-off to another carrier */
	"ALTER TABLE shipments ADD COLUMN leg_carrier TEXT;   -- NULL: the first leg\n"
	"ALTER TABLE shipments ADD COLUMN leg_number TEXT;\n",
};
#define SCHEMA_VERSION ((int)TSK__ARRAY_LEN(migrations))

#define REC_COLUMNS "id, number, carrier, reference, locale, state, added_at, next_poll, ended_at, " \
	"status, exceptions, probes, snapshot, leg_carrier, leg_number"

enum stmt_id {
	S_ADD, S_GET, S_DUE, S_NEXT_DUE, S_SAVE, S_NOTE_ADD, S_OUTBOX, S_ACK, S_REMOVE_NOTES,
	S_REMOVE, S_PURGE_NOTES, S_PURGE, S_BEGIN, S_COMMIT, S_ROLLBACK, S__COUNT
};

static const char *const sql[S__COUNT] = {
	[S_ADD] = "INSERT INTO shipments (number, carrier, reference, locale, state, added_at, next_poll,"
	          " ended_at, status, exceptions, probes, snapshot, leg_carrier, leg_number)"
	          " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_GET] = "SELECT " REC_COLUMNS " FROM shipments WHERE number = ?",
	[S_DUE] = "SELECT " REC_COLUMNS " FROM shipments INDEXED BY shipments_due"
	          " WHERE next_poll <= ?1 AND (next_poll > ?2 OR (next_poll = ?2 AND id > ?3))"
	          " ORDER BY next_poll, id LIMIT ?4",
	[S_NEXT_DUE] = "SELECT min(next_poll) FROM shipments WHERE next_poll IS NOT NULL",
	[S_SAVE] = "UPDATE shipments SET carrier = ?2, state = ?3, next_poll = ?4, ended_at = ?5, status = ?6,"
	           " exceptions = ?7, probes = ?8, snapshot = ?9, leg_carrier = ?10, leg_number = ?11 WHERE id = ?1",
	[S_NOTE_ADD] = "INSERT OR IGNORE INTO notifications (id, shipment_id, created_at, json) VALUES (?,?,?,?)",
	[S_OUTBOX] = "SELECT id, json FROM notifications WHERE acked_at IS NULL ORDER BY seq LIMIT ?",
	[S_ACK] = "UPDATE notifications SET acked_at = ?2 WHERE id = ?1 AND acked_at IS NULL",
	[S_REMOVE_NOTES] = "DELETE FROM notifications WHERE shipment_id = (SELECT id FROM shipments WHERE number = ?)",
	[S_REMOVE] = "DELETE FROM shipments WHERE number = ?",
	[S_PURGE_NOTES] = "DELETE FROM notifications WHERE acked_at IS NOT NULL AND shipment_id IN"
	                  " (SELECT id FROM shipments WHERE ended_at < ?)",
	[S_PURGE] = "DELETE FROM shipments WHERE ended_at < ?",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
};

/* The list query is built from the filter (only the conditions asked for). */
#define LIST_SQL "SELECT " REC_COLUMNS " FROM shipments WHERE 1"

/* ---------------------------------------------------------------- store */

struct sql_store {
	tsk__store base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[S__COUNT];
};

static int db_error(struct sql_store *s, tsk_error *err, const char *what)
{
	int code = sqlite3_errcode(s->db);
	return tsk_error_set(err, code == SQLITE_NOMEM ? TSK_ENOMEM : TSK_EIO, "%s: %s: %s", s->path, what,
	                     sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(struct sql_store *s, enum stmt_id id)
{
	if (!s->stmt[id] && sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(s->stmt[id]);
	sqlite3_clear_bindings(s->stmt[id]);
	return s->stmt[id];
}

static int exec(struct sql_store *s, enum stmt_id id)
{
	sqlite3_stmt *st = stmt(s, id);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	if (st)
		sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == TSK__NEVER)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

static char *col_text(sqlite3_stmt *st, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (!t)
		return NULL;
	char *c = tsk__strdup((const char *)t);
	if (!c)
		*oom = true;
	return c;
}

static int64_t col_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? TSK__NEVER : sqlite3_column_int64(st, i);
}

/* Read a row of REC_COLUMNS. */
static int read_rec(sqlite3_stmt *st, tsk__store_rec *r)
{
	bool oom = false;
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->number = col_text(st, 1, &oom);
	r->carrier = col_text(st, 2, &oom);
	r->reference = col_text(st, 3, &oom);
	const unsigned char *loc = sqlite3_column_text(st, 4);
	snprintf(r->locale, sizeof r->locale, "%s", loc ? (const char *)loc : "ja");
	r->state = sqlite3_column_int(st, 5);
	r->added_at = sqlite3_column_int64(st, 6);
	r->next_poll = col_time(st, 7);
	r->ended_at = col_time(st, 8);
	r->status = sqlite3_column_int(st, 9);
	r->exceptions = (uint32_t)sqlite3_column_int64(st, 10);
	r->probes = sqlite3_column_int(st, 11);
	r->snapshot = col_text(st, 12, &oom);
	r->leg_carrier = col_text(st, 13, &oom);
	r->leg_number = col_text(st, 14, &oom);
	if (oom || !r->number || !r->carrier) {
		tsk__store_rec_dispose(r);
		return TSK_ENOMEM;
	}
	return TSK_OK;
}

static int migrate(struct sql_store *s, tsk_error *err)
{
	int version = 0;
	sqlite3_stmt *st = NULL;
	/* read inside the write transaction, so two openers migrate once */
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, "cannot start the schema migration");
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > SCHEMA_VERSION) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return tsk_error_set(err, TSK_EVERSION,
		                     "%s: fleet schema %d is newer than this tsuiseki knows (%d)", s->path,
		                     version, SCHEMA_VERSION);
	}
	if (version == SCHEMA_VERSION)
		return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
		               ? TSK_OK : db_error(s, err, "cannot read the schema version");
	for (int v = version; v < SCHEMA_VERSION; v++) {
		char *msg = NULL;
		if (sqlite3_exec(s->db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
			tsk_error_set(err, TSK_EIO, "%s: schema migration %d failed: %s", s->path, v + 1,
			              msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return TSK_EIO;
		}
	}
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = db_error(s, err, "cannot finish the schema migration");
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return TSK_OK;
}

static void sql_close(tsk__store *st)
{
	struct sql_store *s = (struct sql_store *)st;
	if (!s)
		return;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static int sql_open(tsk__store **out, const char *location, tsk_error *err)
{
	*out = NULL;
	if (!location || !*location)
		return tsk_error_set(err, TSK_EINVAL, "sqlite: needs a file path (sqlite:PATH)");
	struct sql_store *s = calloc(1, sizeof *s);
	if (!s || !(s->path = tsk__strdup(location))) {
		free(s);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	s->base.ops = &tsk__store_sqlite;
	/* create the file ourselves, so it is 0600 whatever the umask */
	int fd = open(location, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		free(s->path);
		free(s);
		return tsk_error_set(err, TSK_EIO, "%s: cannot open: %s", location, strerror(e));
	}
	close(fd);
	if (sqlite3_open_v2(location, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		int rc = s->db ? db_error(s, err, "cannot open") : tsk_error_set(err, TSK_ENOMEM, "out of memory");
		sql_close(&s->base);
		return rc;
	}
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 0);
	char *msg = NULL;
	/* a file that is not a database fails here: "file is not a database" */
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	                        " PRAGMA foreign_keys = OFF;", NULL, NULL, &msg) != SQLITE_OK) {
		tsk_error_set(err, TSK_EIO, "%s: not a fleet database: %s", location, msg ? msg : "?");
		sqlite3_free(msg);
		sql_close(&s->base);
		return TSK_EIO;
	}
	int rc = migrate(s, err);
	if (rc != TSK_OK) {
		sql_close(&s->base);
		return rc;
	}
	for (int i = 0; i < S__COUNT; i++)
		if (!stmt(s, (enum stmt_id)i)) {
			rc = db_error(s, err, "cannot prepare a statement");
			sql_close(&s->base);
			return rc;
		}
	*out = &s->base;
	return TSK_OK;
}

static int sql_add(tsk__store *st, tsk__store_rec *rec, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	sqlite3_stmt *q = stmt(s, S_ADD);
	if (!q)
		return db_error(s, err, "add");
	bind_text(q, 1, rec->number);
	bind_text(q, 2, rec->carrier);
	bind_text(q, 3, rec->reference);
	bind_text(q, 4, rec->locale);
	sqlite3_bind_int(q, 5, rec->state);
	sqlite3_bind_int64(q, 6, rec->added_at);
	bind_time(q, 7, rec->next_poll);
	bind_time(q, 8, rec->ended_at);
	sqlite3_bind_int(q, 9, rec->status);
	sqlite3_bind_int64(q, 10, rec->exceptions);
	sqlite3_bind_int(q, 11, rec->probes);
	bind_text(q, 12, rec->snapshot);
	bind_text(q, 13, rec->leg_carrier);
	bind_text(q, 14, rec->leg_number);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_CONSTRAINT)
		return tsk_error_set(err, TSK_EEXISTS, "%s is already in the fleet", rec->number);
	if (rc != SQLITE_DONE)
		return db_error(s, err, "add");
	rec->id = sqlite3_last_insert_rowid(s->db);
	return TSK_OK;
}

static int sql_remove(tsk__store *st, const char *number, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	if (exec(s, S_BEGIN) != SQLITE_OK)
		return db_error(s, err, "remove");
	sqlite3_stmt *q = stmt(s, S_REMOVE_NOTES);
	bind_text(q, 1, number);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	int changes = 0;
	if (rc == SQLITE_DONE) {
		q = stmt(s, S_REMOVE);
		bind_text(q, 1, number);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		changes = sqlite3_changes(s->db);
	}
	if (rc != SQLITE_DONE || exec(s, S_COMMIT) != SQLITE_OK) {
		int e = db_error(s, err, "remove");
		exec(s, S_ROLLBACK);
		return e;
	}
	return changes ? TSK_OK : tsk_error_set(err, TSK_ENOTFOUND, "%s is not in the fleet", number);
}

static int sql_get(tsk__store *st, const char *number, tsk__store_rec *out, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	sqlite3_stmt *q = stmt(s, S_GET);
	bind_text(q, 1, number);
	int rc = sqlite3_step(q);
	int ret;
	if (rc == SQLITE_ROW)
		ret = read_rec(q, out) == TSK_OK ? TSK_OK : tsk_error_set(err, TSK_ENOMEM, "out of memory");
	else if (rc == SQLITE_DONE)
		ret = tsk_error_set(err, TSK_ENOTFOUND, "%s is not in the fleet", number);
	else
		ret = db_error(s, err, "get");
	sqlite3_reset(q);
	return ret;
}

static int sql_list(tsk__store *st, const tsk_fleet_filter *f, tsk__store_rec_fn fn, void *userdata,
                    tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_puts(&b, LIST_SQL);
	if (f && f->status >= 0)
		tsk__buf_puts(&b, " AND status = :status");
	if (f && f->state >= 0)
		tsk__buf_puts(&b, " AND state = :state");
	if (f && f->exception != TSK_EXC_NONE)
		tsk__buf_puts(&b, " AND (exceptions & :exc) != 0");
	if (f && f->due_before)
		tsk__buf_puts(&b, " AND next_poll < :due");
	if (f && f->reference)
		tsk__buf_puts(&b, " AND reference = :ref");
	tsk__buf_puts(&b, " ORDER BY id");
	if (f && f->limit)
		tsk__buf_puts(&b, " LIMIT :limit");
	if (b.failed) {
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, b.data, -1, &q, NULL);
	tsk__buf_dispose(&b);
	if (rc != SQLITE_OK)
		return db_error(s, err, "list");
	if (f) {
		sqlite3_bind_int(q, sqlite3_bind_parameter_index(q, ":status"), f->status);
		sqlite3_bind_int(q, sqlite3_bind_parameter_index(q, ":state"), f->state);
		sqlite3_bind_int64(q, sqlite3_bind_parameter_index(q, ":exc"), (int64_t)1 << f->exception);
		if (f->due_before)
			sqlite3_bind_int64(q, sqlite3_bind_parameter_index(q, ":due"), f->due_before->epoch);
		bind_text(q, sqlite3_bind_parameter_index(q, ":ref"), f->reference);
		sqlite3_bind_int64(q, sqlite3_bind_parameter_index(q, ":limit"), (int64_t)f->limit);
	}
	int ret = TSK_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		tsk__store_rec r;
		if (read_rec(q, &r) != TSK_OK) {
			ret = tsk_error_set(err, TSK_ENOMEM, "out of memory");
			break;
		}
		int stop = fn(&r, userdata);
		tsk__store_rec_dispose(&r);
		if (stop)
			break;
	}
	if (ret == TSK_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_error(s, err, "list");
	sqlite3_finalize(q);
	return ret;
}

static int sql_due(tsk__store *st, int64_t now, int64_t after_poll, int64_t after_id, size_t limit,
                   tsk__store_rec **out, size_t *count_out, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	sqlite3_stmt *q = stmt(s, S_DUE);
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, after_poll == INT64_MIN ? INT64_MIN : after_poll);
	sqlite3_bind_int64(q, 3, after_id);
	sqlite3_bind_int64(q, 4, limit ? (int64_t)limit : -1);
	int rc, ret = TSK_OK;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		tsk__store_rec *n = realloc(*out, (*count_out + 1) * sizeof **out);
		if (!n) {
			ret = tsk_error_set(err, TSK_ENOMEM, "out of memory");
			break;
		}
		*out = n;
		if (read_rec(q, &n[*count_out]) != TSK_OK) {
			ret = tsk_error_set(err, TSK_ENOMEM, "out of memory");
			break;
		}
		(*count_out)++;
	}
	if (ret == TSK_OK && rc != SQLITE_DONE)
		ret = db_error(s, err, "due");
	sqlite3_reset(q);
	return ret;
}

static int sql_next_due(tsk__store *st, int64_t *out, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	sqlite3_stmt *q = stmt(s, S_NEXT_DUE);
	int rc = sqlite3_step(q);
	*out = rc == SQLITE_ROW ? col_time(q, 0) : TSK__NEVER;
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? TSK_OK : db_error(s, err, "next due");
}

static int sql_save(tsk__store *st, const tsk__store_rec *rec, const tsk__store_note *notes, size_t nnotes,
                    int64_t now, size_t *written_out, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	*written_out = 0;
	if (exec(s, S_BEGIN) != SQLITE_OK)
		return db_error(s, err, "save");
	sqlite3_stmt *q = stmt(s, S_SAVE);
	sqlite3_bind_int64(q, 1, rec->id);
	bind_text(q, 2, rec->carrier);
	sqlite3_bind_int(q, 3, rec->state);
	bind_time(q, 4, rec->next_poll);
	bind_time(q, 5, rec->ended_at);
	sqlite3_bind_int(q, 6, rec->status);
	sqlite3_bind_int64(q, 7, rec->exceptions);
	sqlite3_bind_int(q, 8, rec->probes);
	bind_text(q, 9, rec->snapshot);
	bind_text(q, 10, rec->leg_carrier);
	bind_text(q, 11, rec->leg_number);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	bool gone = rc == SQLITE_DONE && sqlite3_changes(s->db) == 0;
	size_t written = 0;
	for (size_t i = 0; rc == SQLITE_DONE && !gone && i < nnotes; i++) {
		q = stmt(s, S_NOTE_ADD);
		bind_text(q, 1, notes[i].id);
		sqlite3_bind_int64(q, 2, rec->id);
		sqlite3_bind_int64(q, 3, now);
		bind_text(q, 4, notes[i].json);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		written += rc == SQLITE_DONE && sqlite3_changes(s->db) > 0;
	}
	if (rc != SQLITE_DONE || gone || exec(s, S_COMMIT) != SQLITE_OK) {
		int e = gone ? tsk_error_set(err, TSK_ENOTFOUND, "%s is no longer in the fleet", rec->number)
		             : db_error(s, err, "save");
		exec(s, S_ROLLBACK);
		return e;
	}
	*written_out = written;
	return TSK_OK;
}

static int sql_outbox(tsk__store *st, size_t max, tsk__store_note **out, size_t *count_out, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	*out = NULL;
	*count_out = 0;
	sqlite3_stmt *q = stmt(s, S_OUTBOX);
	sqlite3_bind_int64(q, 1, max ? (int64_t)max : -1);
	int rc, ret = TSK_OK;
	size_t n = 0, cap = 0;
	tsk__store_note *v = NULL;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		bool oom = !TSK__GROW(v, cap, n + 1);
		if (!oom) {
			memset(&v[n], 0, sizeof v[n]);
			snprintf(v[n].id, sizeof v[n].id, "%s", (const char *)sqlite3_column_text(q, 0));
			v[n].json = col_text(q, 1, &oom);
			n += v[n].json != NULL;
		}
		if (oom) {
			ret = tsk_error_set(err, TSK_ENOMEM, "out of memory");
			break;
		}
	}
	if (ret == TSK_OK && rc != SQLITE_DONE)
		ret = db_error(s, err, "outbox");
	sqlite3_reset(q);
	if (ret != TSK_OK) {
		tsk__store_notes_free(v, n);
		return ret;
	}
	*out = v;
	*count_out = n;
	return TSK_OK;
}

static int sql_ack(tsk__store *st, const char *const *ids, size_t count, int64_t now, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	if (exec(s, S_BEGIN) != SQLITE_OK)
		return db_error(s, err, "ack");
	int rc = SQLITE_DONE;
	for (size_t i = 0; i < count && rc == SQLITE_DONE; i++) {
		if (!ids[i])
			continue;
		sqlite3_stmt *q = stmt(s, S_ACK);
		bind_text(q, 1, ids[i]);
		sqlite3_bind_int64(q, 2, now);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
	}
	if (rc != SQLITE_DONE || exec(s, S_COMMIT) != SQLITE_OK) {
		int e = db_error(s, err, "ack");
		exec(s, S_ROLLBACK);
		return e;
	}
	return TSK_OK;
}

static int sql_purge(tsk__store *st, int64_t before, size_t *purged_out, tsk_error *err)
{
	struct sql_store *s = (struct sql_store *)st;
	if (exec(s, S_BEGIN) != SQLITE_OK)
		return db_error(s, err, "purge");
	sqlite3_stmt *q = stmt(s, S_PURGE_NOTES);
	sqlite3_bind_int64(q, 1, before);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	int changes = 0;
	if (rc == SQLITE_DONE) {
		q = stmt(s, S_PURGE);
		sqlite3_bind_int64(q, 1, before);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		changes = sqlite3_changes(s->db);
	}
	if (rc != SQLITE_DONE || exec(s, S_COMMIT) != SQLITE_OK) {
		int e = db_error(s, err, "purge");
		exec(s, S_ROLLBACK);
		return e;
	}
	if (purged_out)
		*purged_out = (size_t)changes;
	return TSK_OK;
}

const tsk__store_ops tsk__store_sqlite = {
	TSK__STORE_VERSION, "sqlite",
	sql_open, sql_close, sql_add, sql_remove, sql_get, sql_list, sql_due, sql_next_due,
	sql_save, sql_outbox, sql_ack, sql_purge,
};
