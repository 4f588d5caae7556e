/*
 * The checks every fleet store passes through the store table: add, due
 * (order, limit, cursor), next_due, save (once per notification id),
 * filters, the outbox and acknowledgements, purge, remove.  location: what
 * follows "scheme:"; the store must be empty.  Fails the running Check test.
 */
#ifndef TSK_STORE_CHECK_H
#define TSK_STORE_CHECK_H

#include "store.h"

/* An active record (strings borrowed, locale "ja", added at 1000). */
tsk__store_rec tsk_test_store_rec(const char *number, const char *carrier, const char *ref, int64_t next);

void tsk_test_check_store(const tsk__store_ops *ops, const char *location);

#endif
