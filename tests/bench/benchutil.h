/*
 * Shared by the benchmarks: CPU clocks, pinning, medians, files.
 * Benchmarks print tables of ratios measured in the same run; they are
 * never timed unit tests.
 */
#ifndef TSK_BENCHUTIL_H
#define TSK_BENCHUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* CPU seconds of this process (user + system). */
double bench_cpu_now(void);
/* Wall seconds, monotonic. */
double bench_wall_now(void);
/* CPU seconds (user + system) a process has used so far, from
 * /proc/<pid>/stat; -1 when it cannot be read. */
double bench_proc_cpu(pid_t pid);
/* Pin a process (0: this one) to one CPU; -1 when the machine has fewer. */
int bench_pin(pid_t pid, int cpu);
/* The median of n values (sorts them). */
double bench_median(double *v, size_t n);
/* Rounds: $TSK_BENCH_ROUNDS, default 5. */
int bench_rounds(void);
/* Whole file, NUL-terminated (caller frees); NULL on failure. */
char *bench_slurp(const char *path, size_t *len);

#endif
