/*
 * Private: the fleet's store, a versioned table of functions (libgit2's ODB
 * backends) behind which SQLite (lib/store_sqlite.c) and memory
 * (lib/store_memory.c) live; the scheduler (lib/fleet.c) never sees SQL.
 * A PostgreSQL store is one more table registered in lib/fleet.c's list.
 *
 * Invariants every store keeps:
 *  - the number is unique; ids grow and are never reused;
 *  - due() is an index look-up on next_poll (never a scan of the fleet),
 *    ordered by (next_poll, id), after a cursor, limited;
 *  - save() writes a shipment's row and the notifications its poll
 *    produced in one transaction; a notification whose id the store already
 *    holds (waiting or acknowledged) is not written again;
 *  - notifications leave the outbox when acknowledged but their ids stay
 *    until their shipment is purged or removed.
 */
#ifndef TSK_LIB_STORE_H
#define TSK_LIB_STORE_H

#include "tsuiseki.h"
#include "tsuiseki/fleet.h"
#include <stdbool.h>
#include <stdint.h>

#define TSK__STORE_VERSION 1

/* "no time" for next_poll and retired_at */
#define TSK__NEVER INT64_MAX

/* One fleet shipment, as the store keeps it. Strings owned (free with
 * tsk__store_rec_dispose). */
typedef struct tsk__store_rec {
	int64_t id;                /* 0 until added */
	char *number;              /* normalized */
	char *carrier;             /* "auto" until pinned */
	char *reference;           /* may be NULL */
	char locale[4];            /* "ja" / "en" */
	int state;                 /* tsk_fleet_state */
	int64_t added_at;
	int64_t next_poll;         /* TSK__NEVER when not polled any more */
	int64_t ended_at;          /* retired / given up; TSK__NEVER while active */
	int status;                /* tsk_status of the snapshot */
	uint32_t exceptions;       /* bit (1 << code) per exception of the snapshot */
	int probes;                /* not-found answers in a row (growing re-probe interval) */
	char *snapshot;            /* schema-1 SHIPMENT JSON, NULL before the first poll */
	char *leg_carrier;         /* the leg being followed after a hand-off; NULL: the first leg */
	char *leg_number;
} tsk__store_rec;

/* One notification, as stored. */
typedef struct tsk__store_note {
	char id[40];
	char *json;                /* owned */
} tsk__store_note;

typedef struct tsk__store tsk__store;

/* Called once per listed record; the record is borrowed for the call.
 * Return non-zero to stop. */
typedef int (*tsk__store_rec_fn)(const tsk__store_rec *rec, void *userdata);

typedef struct tsk__store_ops {
	unsigned int version;      /* TSK__STORE_VERSION */
	const char *scheme;        /* "sqlite", "memory" (the URL before ':') */
	/* location: what follows "scheme:" */
	int (*open)(tsk__store **out, const char *location, tsk_error *err);
	void (*close)(tsk__store *st);
	/* rec->id is set; TSK_EEXISTS when the number is there */
	int (*add)(tsk__store *st, tsk__store_rec *rec, tsk_error *err);
	/* the shipment and all its notifications; TSK_ENOTFOUND */
	int (*remove)(tsk__store *st, const char *number, tsk_error *err);
	/* *out filled (caller disposes); TSK_ENOTFOUND */
	int (*get)(tsk__store *st, const char *number, tsk__store_rec *out, tsk_error *err);
	/* every record matching the filter, in id order */
	int (*list)(tsk__store *st, const tsk_fleet_filter *filter, tsk__store_rec_fn fn, void *userdata,
	            tsk_error *err);
	/* active records with next_poll <= now and (next_poll, id) > (after_poll, after_id),
	 * ordered by (next_poll, id), at most limit; appended to *out (caller disposes) */
	int (*due)(tsk__store *st, int64_t now, int64_t after_poll, int64_t after_id, size_t limit,
	           tsk__store_rec **out, size_t *count_out, tsk_error *err);
	/* the smallest next_poll of the active records, TSK__NEVER when none */
	int (*next_due)(tsk__store *st, int64_t *out, tsk_error *err);
	/* one transaction: the record (by id) and its new notifications;
	 * *written_out: notifications actually added (new ids) */
	int (*save)(tsk__store *st, const tsk__store_rec *rec, const tsk__store_note *notes, size_t nnotes,
	            int64_t now, size_t *written_out, tsk_error *err);
	/* waiting notifications, oldest first, at most max (0 = all) */
	int (*outbox)(tsk__store *st, size_t max, tsk__store_note **out, size_t *count_out, tsk_error *err);
	int (*ack)(tsk__store *st, const char *const *ids, size_t count, int64_t now, tsk_error *err);
	/* retired / given-up records with ended_at < before, and their acknowledged notifications */
	int (*purge)(tsk__store *st, int64_t before, size_t *purged_out, tsk_error *err);
} tsk__store_ops;

/* Every store begins with its ops (the scheduler reaches them through it). */
struct tsk__store {
	const tsk__store_ops *ops;
};

extern const tsk__store_ops tsk__store_sqlite;
extern const tsk__store_ops tsk__store_memory;

void tsk__store_rec_dispose(tsk__store_rec *rec);
/* Deep copy (TSK_OK / TSK_ENOMEM). */
int tsk__store_rec_copy(tsk__store_rec *dst, const tsk__store_rec *src);
void tsk__store_notes_free(tsk__store_note *notes, size_t count);
/* Does a record match a list filter? (for stores that filter in C) */
bool tsk__store_rec_matches(const tsk__store_rec *rec, const tsk_fleet_filter *f);

#endif
