/*
 * pgtmp - a throwaway PostgreSQL cluster for C tests, kept by
 * tests/common/pgtmp.sh (see there: initdb in a temporary directory as an
 * unprivileged user, a Unix socket only, removed at the end).
 *
 * The keeper script reads commands on a pipe whose write end stays in this
 * process (close-on-exec): when the test program ends, however it ends, the
 * pipe closes and the keeper stops the server and removes the directory.
 * Forked children that do not exec (Check's CK_FORK test processes, pollers
 * forked by a test) inherit the write end; the cluster lives until the last
 * of them exits or tsk_pgtmp_stop() is called.
 */
#ifndef TSK_PGTMP_H
#define TSK_PGTMP_H

typedef struct tsk_pgtmp tsk_pgtmp;

/* Exit status a test returns when it cannot run (meson: skipped). */
#define TSK_PGTMP_SKIP 77

/* Start a cluster with the keeper script at script_path (NULL: the
 * TSK_PGTMP environment variable).  Returns NULL on failure, with *skipped
 * set to 1 when the server binaries are missing (the reason is on stderr;
 * the test should exit TSK_PGTMP_SKIP) and 0 for a real failure. */
tsk_pgtmp *tsk_pgtmp_start(const char *script_path, int *skipped);

/* The libpq connection string of the cluster's test database; owned by pg. */
const char *tsk_pgtmp_conninfo(const tsk_pgtmp *pg);

/* Control the server: "stop" (fast shutdown), "kill" (immediate shutdown:
 * connections drop without notice), "start", "restart".  0 on success. */
int tsk_pgtmp_command(tsk_pgtmp *pg, const char *command);

/* Stop and remove the cluster, free pg.  NULL is accepted. */
void tsk_pgtmp_stop(tsk_pgtmp *pg);

#endif
