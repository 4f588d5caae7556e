/*
 * Test helper (header-only): remove an SQLite database and its WAL files.
 */
#ifndef TSK_TEST_DBFILES_H
#define TSK_TEST_DBFILES_H

#include <stdio.h>
#include <unistd.h>

static inline void tsk_test_remove_db(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char p[1024];
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

#endif
