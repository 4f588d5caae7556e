/*
 * simctl - start/stop/query the tsk-sim carrier simulator from C tests.
 *
 * POSIX only (fork/execv/pipe/poll/socket); deliberately does not use
 * libcurl, so it stays independent of the library under test.
 *
 * The simulator is started with --stdin-watch on a pipe whose write end
 * stays in this process (close-on-exec), so it exits by itself if the test
 * program dies without calling tsk_sim_stop().  Forked children (e.g. Check's
 * CK_FORK test processes) inherit the write end; the simulator lives until
 * the last of them exits or tsk_sim_stop() is called.
 */
#ifndef TSK_SIMCTL_H
#define TSK_SIMCTL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsk_sim tsk_sim;

/* Start tsk-sim (path to binary, data root); returns NULL on failure
 * (reason on stderr).  Reads the PORT line with a 10 s bound. */
tsk_sim *tsk_sim_start(const char *sim_binary, const char *root_dir);

/* The port the simulator listens on (127.0.0.1). */
int tsk_sim_port(const tsk_sim *sim);

/* The simulator's process id (benchmarks pin it and read its CPU time). */
int tsk_sim_pid(const tsk_sim *sim);

/* Build "http://127.0.0.1:<port><path>" into buf; returns buf, or NULL if
 * it does not fit.  path should start with '/'. */
const char *tsk_sim_url(const tsk_sim *sim, const char *path, char *buf, size_t bufsize);

/* GET path (e.g. "/_log" or "/_stats") over a plain socket.  Returns the
 * response body as a NUL-terminated string for a 2xx answer, NULL on any
 * error; the caller frees it with free().  Bounded by 10 s. */
char *tsk_sim_fetch(const tsk_sim *sim, const char *path);

/* POST /_reset: clear log, stats, fault counters and file sequences.
 * 0 on success, -1 on failure. */
int tsk_sim_reset(const tsk_sim *sim);

/* SIGTERM, waitpid with a 10 s bound, SIGKILL fallback; frees sim.
 * NULL is accepted. */
void tsk_sim_stop(tsk_sim *sim);

#ifdef __cplusplus
}
#endif

#endif
