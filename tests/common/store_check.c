/*
 * The checks every fleet store passes through the store table (lib/store.h),
 * shared by the SQLite and memory tests (tests/unit/test_fleet.c) and the
 * PostgreSQL ones (tests/integration/test_store_pg.c).
 */
#include "store_check.h"

#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

tsk__store_rec tsk_test_store_rec(const char *number, const char *carrier, const char *ref, int64_t next)
{
	tsk__store_rec r;
	memset(&r, 0, sizeof r);
	r.number = (char *)number;
	r.carrier = (char *)carrier;
	r.reference = (char *)ref;
	strcpy(r.locale, "ja");
	r.state = TSK_FLEET_ACTIVE;
	r.added_at = 1000;
	r.next_poll = next;
	r.ended_at = TSK__NEVER;
	r.status = TSK_STATUS_UNKNOWN;
	return r;
}

static int count_one(const tsk__store_rec *r, void *userdata)
{
	(void)r;
	(*(size_t *)userdata)++;
	return 0;
}

static size_t count(tsk__store *st, const tsk_fleet_filter *f)
{
	size_t n = 0;
	tsk_error err;
	ck_assert_int_eq(st->ops->list(st, f, count_one, &n, &err), TSK_OK);
	return n;
}

void tsk_test_check_store(const tsk__store_ops *ops, const char *location)
{
	tsk__store *st = NULL;
	tsk_error err;
	tsk_error_clear(&err);
	ck_assert_msg(ops->open(&st, location, &err) == TSK_OK, "%s", err.message);
	tsk__store_rec a = tsk_test_store_rec("111111111111", "yamato", "order-1", 500);
	tsk__store_rec b = tsk_test_store_rec("222222222222", "auto", "order-2", 300);
	tsk__store_rec c = tsk_test_store_rec("333333333333", "sagawa", NULL, 300);
	ck_assert_int_eq(ops->add(st, &a, &err), TSK_OK);
	ck_assert_int_eq(ops->add(st, &b, &err), TSK_OK);
	ck_assert_int_eq(ops->add(st, &c, &err), TSK_OK);
	ck_assert(a.id < b.id && b.id < c.id);
	tsk__store_rec dup = tsk_test_store_rec("111111111111", "sagawa", NULL, 1);
	ck_assert_int_eq(ops->add(st, &dup, &err), TSK_EEXISTS);

	/* due: by (next_poll, id), only what is due, limited, after a cursor */
	tsk__store_rec *due = NULL;
	size_t n = 0;
	ck_assert_int_eq(ops->due(st, 400, INT64_MIN, 0, 10, &due, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(due[0].number, "222222222222");
	ck_assert_str_eq(due[1].number, "333333333333");
	ck_assert_int_eq(ops->due(st, 1000, due[0].next_poll, due[0].id, 1, &due, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(due[2].number, "333333333333");
	for (size_t i = 0; i < n; i++)
		tsk__store_rec_dispose(&due[i]);
	free(due);
	int64_t next;
	ck_assert_int_eq(ops->next_due(st, &next, &err), TSK_OK);
	ck_assert_int_eq(next, 300);

	/* a save writes the record and new notifications once */
	tsk__store_rec got;
	ck_assert_int_eq(ops->get(st, "222222222222", &got, &err), TSK_OK);
	free(got.carrier);
	got.carrier = strdup("yamato");
	got.status = TSK_STATUS_DELIVERED;
	got.state = TSK_FLEET_RETIRED;
	got.next_poll = TSK__NEVER;
	got.ended_at = 2000;
	got.exceptions = 1u << TSK_EXC_LATE;
	got.snapshot = strdup("{}");
	tsk__store_note notes[2] = { { "aaaa", (char *)"{\"n\":1}" }, { "bbbb", (char *)"{\"n\":2}" } };
	size_t written = 0;
	ck_assert_int_eq(ops->save(st, &got, notes, 2, 2000, &written, &err), TSK_OK);
	ck_assert_uint_eq(written, 2);
	ck_assert_int_eq(ops->save(st, &got, notes, 2, 2001, &written, &err), TSK_OK);
	ck_assert_uint_eq(written, 0);
	tsk__store_rec_dispose(&got);
	ck_assert_int_eq(ops->get(st, "222222222222", &got, &err), TSK_OK);
	ck_assert_str_eq(got.carrier, "yamato");
	ck_assert_str_eq(got.snapshot, "{}");
	ck_assert_int_eq(got.next_poll, TSK__NEVER);
	ck_assert_int_eq(got.state, TSK_FLEET_RETIRED);
	tsk__store_rec_dispose(&got);
	ck_assert_int_eq(ops->next_due(st, &next, &err), TSK_OK);
	ck_assert_int_eq(next, 300);

	/* filters */
	tsk_fleet_filter f = TSK_FLEET_FILTER_INIT;
	ck_assert_uint_eq(count(st, NULL), 3);
	f.status = TSK_STATUS_DELIVERED;
	ck_assert_uint_eq(count(st, &f), 1);
	f.status = -1;
	f.exception = TSK_EXC_LATE;
	ck_assert_uint_eq(count(st, &f), 1);
	f.exception = TSK_EXC_LOST;
	ck_assert_uint_eq(count(st, &f), 0);
	f.exception = TSK_EXC_NONE;
	f.reference = "order-1";
	ck_assert_uint_eq(count(st, &f), 1);
	f.reference = NULL;
	tsk_time before = { 400, TSK_JST_OFFSET, TSK_PRECISION_MINUTE };
	f.due_before = &before;
	ck_assert_uint_eq(count(st, &f), 1);
	f.due_before = NULL;
	f.state = TSK_FLEET_ACTIVE;
	ck_assert_uint_eq(count(st, &f), 2);
	f.state = -1;
	f.limit = 2;
	ck_assert_uint_eq(count(st, &f), 2);

	/* the outbox: oldest first; acknowledged ones leave it */
	tsk__store_note *box = NULL;
	ck_assert_int_eq(ops->outbox(st, 0, &box, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(box[0].id, "aaaa");
	ck_assert_str_eq(box[1].json, "{\"n\":2}");
	tsk__store_notes_free(box, n);
	const char *ids[] = { "aaaa", "zzzz" };
	ck_assert_int_eq(ops->ack(st, ids, 2, 2100, &err), TSK_OK);
	ck_assert_int_eq(ops->outbox(st, 0, &box, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(box[0].id, "bbbb");
	tsk__store_notes_free(box, n);
	/* an acknowledged id never comes back */
	ck_assert_int_eq(ops->get(st, "222222222222", &got, &err), TSK_OK);
	ck_assert_int_eq(ops->save(st, &got, notes, 1, 2200, &written, &err), TSK_OK);
	ck_assert_uint_eq(written, 0);
	tsk__store_rec_dispose(&got);

	/* purge: retired before the time only */
	size_t purged = 9;
	ck_assert_int_eq(ops->purge(st, 2000, &purged, &err), TSK_OK);
	ck_assert_uint_eq(purged, 0);
	ck_assert_int_eq(ops->purge(st, 2001, &purged, &err), TSK_OK);
	ck_assert_uint_eq(purged, 1);
	ck_assert_uint_eq(count(st, NULL), 2);
	ck_assert_int_eq(ops->get(st, "222222222222", &got, &err), TSK_ENOTFOUND);
	/* the waiting notification of a purged shipment stays until acknowledged */
	ck_assert_int_eq(ops->outbox(st, 0, &box, &n, &err), TSK_OK);
	ck_assert_uint_eq(n, 1);
	tsk__store_notes_free(box, n);

	ck_assert_int_eq(ops->remove(st, "111111111111", &err), TSK_OK);
	ck_assert_int_eq(ops->remove(st, "111111111111", &err), TSK_ENOTFOUND);
	ck_assert_uint_eq(count(st, NULL), 1);
	ops->close(st);
}

