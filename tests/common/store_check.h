/*
 * The checks every fleet store passes through the store table: add, due
 * (order, limit, cursor), next_due, save (once per notification id),
 * filters, the outbox and acknowledgements, purge, remove.  location: what
 * follows "scheme:"; the store must be empty.  Fails the running Check test.
 */
#ifndef TSK_STORE_CHECK_H
#define TSK_STORE_CHECK_H

#include "store.h"

void tsk_test_check_store(const tsk__store_ops *ops, const char *location);

#endif
