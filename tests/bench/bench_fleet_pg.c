/*
 * Many pollers on one PostgreSQL fleet (run on demand:
 * `meson test -C build --benchmark --verbose fleet-pg`).
 *
 * A throwaway cluster (tests/common/pgtmp.sh) and the simulator; a fleet
 * of TSK_BENCH_PG_SHIPMENTS Yamato shipments (default 2,000), all due at
 * once on a clock that stands still, so each is polled once and the run
 * ends when none is due.  With 1, 2 and 4 poller processes under Yamato
 * limits that do not bind (1,000 requests a second, 64 in parallel, for
 * all pollers together — the shared politeness still takes its slots and
 * places from the database), it reports:
 *  - throughput: shipment polls per second of wall time, and its ratio to
 *    one poller in the same run (the scaling);
 *  - database round trips per shipment poll, counted by the store
 *    (every statement sent: leases, saves, next-due, politeness takes).
 * The median of TSK_BENCH_ROUNDS rounds (default 3 here).
 *
 * Every poller is bounded: it dies with this program (PR_SET_PDEATHSIG),
 * at its own deadline (alarm), and is killed at the end of its round if
 * still there.  The machine's cores are shared by the pollers, the
 * database and the simulator: the scaling says how much more a fleet gets
 * from more pollers here, not on a bigger machine.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "benchutil.h"
#include "lifepage.h"
#include "pgtmp.h"
#include "share_pg.h"
#include "simctl.h"

#include <errno.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <tsuiseki.h>
#include <unistd.h>

#define POLLER_DEADLINE_S 300 /* a poller still running then is killed */

static tsk_pgtmp *cluster;
static tsk_sim *sim;
static char root[256];
static char db_url[600];
static int shipments;
static int64_t clock_at;

static void number(int i, char out[16])
{
	long long base = 50000000000LL + i;
	snprintf(out, 16, "%lld%lld", base, base % 7);
}

static int write_site(void)
{
	char dst[600];
	snprintf(dst, sizeof dst, "%s/life_1.html", root);
	if (tsk_life_page("life_1.html", dst) != 0)
		return -1;
	snprintf(dst, sizeof dst, "%s/routes", root);
	FILE *r = fopen(dst, "w");
	if (!r)
		return -1;
	fprintf(r, "yamato * life_1.html text/html; charset=UTF-8 template\n");
	fclose(r);
	return 0;
}

static PGresult *sql(const char *query)
{
	PGconn *c = PQconnectdb(tsk_pgtmp_conninfo(cluster));
	PGresult *r = PQexec(c, query);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		fprintf(stderr, "%s: %s", query, PQresultErrorMessage(r));
	PQfinish(c);
	return r;
}

static tsk_ctx *make_ctx(void)
{
	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return NULL;
	char url[256];
	tsk_sim_url(sim, "/yamato/cgi-bin/tneko", url, sizeof url);
	tsk_ctx_set_endpoint(ctx, "yamato", url);
	tsk_ctx_set_carrier_option(ctx, "yamato", TSK_OPT_REQUESTS_PER_SECOND, 1000);
	tsk_ctx_set_carrier_option(ctx, "yamato", TSK_OPT_MAX_PARALLEL, 64);
	tsk_time t = { clock_at, 9 * 3600, TSK_PRECISION_MINUTE };
	tsk_ctx_set_now(ctx, &t);
	return ctx;
}

/* A fresh fleet of `shipments`, all due now. */
static int make_fleet(void)
{
	PQclear(sql("SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = NULL;
	if (!ctx || tsk_fleet_open(&f, ctx, db_url) != TSK_OK) {
		fprintf(stderr, "open: %s\n", ctx ? tsk_ctx_last_error(ctx) : "no context");
		tsk_ctx_free(ctx);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < shipments && rc == 0; i++) {
		char num[16];
		number(i, num);
		if (tsk_fleet_add(f, num, "yamato", NULL, "ja") != TSK_OK) {
			fprintf(stderr, "add: %s\n", tsk_ctx_last_error(ctx));
			rc = -1;
		}
	}
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
	return rc;
}

/* A poller: rounds until nothing is due; writes "polls round_trips" to fd. */
static int poller_main(int fd)
{
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = NULL;
	if (!ctx || tsk_fleet_open(&f, ctx, db_url) != TSK_OK)
		return 1;
	unsigned long polled = 0;
	int rc = 0;
	for (;;) {
		tsk_fleet_run_stats st;
		if (tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st) != TSK_OK) {
			fprintf(stderr, "poller: %s\n", tsk_ctx_last_error(ctx));
			rc = 1;
			break;
		}
		polled += st.polled;
		if (st.polled == 0) {
			tsk_time next;
			if (tsk_fleet_next_due(&next, NULL, f) != TSK_OK) {
				rc = 1;
				break;
			}
			if (next.epoch == 0 || next.epoch > clock_at)
				break; /* nothing due any more (the others hold the rest, or none is left) */
			struct timespec ts = { 0, 5000000 };
			nanosleep(&ts, NULL);
		}
	}
	char line[64];
	int n = snprintf(line, sizeof line, "%lu %lu\n", polled, tsk__fleet_pg_round_trips(f));
	if (write(fd, line, (size_t)n) != n)
		rc = 1;
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
	return rc;
}

/* One round with n pollers: wall seconds, polls and round trips. */
static int round_of(int n, double *wall, unsigned long *polls, unsigned long *trips)
{
	if (make_fleet() != 0)
		return -1;
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pids[8];
	pid_t self = getpid();
	double t0 = bench_wall_now();
	for (int k = 0; k < n; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(1);
			alarm(POLLER_DEADLINE_S);
			close(fds[0]);
			_exit(poller_main(fds[1]));
		}
	}
	close(fds[1]);
	int failed = 0;
	double deadline = t0 + POLLER_DEADLINE_S + 10;
	for (int k = 0; k < n; k++) {
		int st = 0;
		pid_t got;
		while ((got = waitpid(pids[k], &st, WNOHANG)) == 0 && bench_wall_now() < deadline) {
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		}
		if (got != pids[k]) {
			kill(pids[k], SIGKILL);
			waitpid(pids[k], &st, 0);
			failed = 1;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	}
	*wall = bench_wall_now() - t0;
	*polls = *trips = 0;
	FILE *in = fdopen(fds[0], "r");
	unsigned long p, t;
	while (in && fscanf(in, "%lu %lu", &p, &t) == 2) {
		*polls += p;
		*trips += t;
	}
	if (in)
		fclose(in);
	if (failed || *polls != (unsigned long)shipments) {
		fprintf(stderr, "%d pollers: %s, %lu polls of %d shipments\n", n, failed ? "a poller failed" : "ok", *polls,
		        shipments);
		return -1;
	}
	return 0;
}

int main(void)
{
	const char *env = getenv("TSK_BENCH_PG_SHIPMENTS");
	shipments = env && atoi(env) > 0 ? atoi(env) : 2000;
	const char *r = getenv("TSK_BENCH_ROUNDS");
	int rounds = r && atoi(r) > 0 ? atoi(r) : 3;
	int skipped = 0;
	cluster = tsk_pgtmp_start(NULL, &skipped);
	if (!cluster)
		return skipped ? 77 : 1;
	snprintf(root, sizeof root, "%s/tsk-bench-pg.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int rc = 1;
	if (!mkdtemp(root) || write_site() != 0 || !(sim = tsk_sim_start(getenv("TSK_SIM"), root)))
		goto out;
	snprintf(db_url, sizeof db_url, "postgresql:%s", tsk_pgtmp_conninfo(cluster));
	tsk_time start;
	tsk_time_parse_rfc3339(&start, "2026-12-03T07:00:00+09:00");
	clock_at = start.epoch;

	printf("fleet on PostgreSQL: %d shipments polled once, limits not binding, median of %d rounds\n", shipments,
	       rounds);
	printf("%-8s %12s %14s %10s %18s\n", "pollers", "wall s", "polls/s", "vs 1", "db trips/poll");
	const int counts[] = { 1, 2, 4 };
	double base = 0;
	rc = 0;
	for (size_t c = 0; c < 3 && rc == 0; c++) {
		double walls[16], per[16];
		int nr = rounds < 16 ? rounds : 16;
		for (int i = 0; i < nr && rc == 0; i++) {
			unsigned long polls, trips;
			if (round_of(counts[c], &walls[i], &polls, &trips) != 0)
				rc = 1;
			else
				per[i] = (double)trips / (double)polls;
		}
		if (rc)
			break;
		double wall = bench_median(walls, (size_t)nr), trips = bench_median(per, (size_t)nr);
		double tput = shipments / wall;
		if (c == 0)
			base = tput;
		printf("%-8d %12.2f %14.0f %9.2fx %18.2f\n", counts[c], wall, tput, tput / base, trips);
		fflush(stdout);
	}
out:
	tsk_sim_stop(sim);
	if (root[0]) {
		char p[600];
		snprintf(p, sizeof p, "%s/life_1.html", root);
		unlink(p);
		snprintf(p, sizeof p, "%s/routes", root);
		unlink(p);
		rmdir(root);
	}
	tsk_pgtmp_stop(cluster);
	return rc;
}
