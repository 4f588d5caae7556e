/*
 * Many pollers, one fleet: several poller processes and notification
 * consumers on one PostgreSQL database (a throwaway cluster, pgtmp.sh),
 * tracking a fleet through libcurl against the simulator, whose routes are
 * written here: every shipment is a Yamato number with its own scripted
 * page sequence (in transit -> out for delivery -> failed attempt -> held
 * -> delivered), one page per request.
 *
 * Checked after each run:
 *  - every shipment retired, each asked exactly five times (the simulator's
 *    request log): a shipment polled by two pollers in one interval would
 *    be asked a sixth time or skip a page;
 *  - each scripted change notified once: per shipment exactly one each of
 *    shipped, out_for_delivery, delivery_failed, available_for_pickup and
 *    delivered (`delayed` may come too: the clock runs fast);
 *  - every notification produced was consumed exactly once (ids the
 *    consumers acknowledged, compared with the outbox), none left waiting.
 * Runs: the plain run; one poller killed (SIGKILL) mid-run, its leases
 * expire and the others finish — there each page is served twice in a row,
 * so the answers the dead poller had asked but not saved skip no page, and
 * the same checks hold exactly (every change notified once, consumed once,
 * by id); the server restarted mid-run, the pollers reconnect.
 *
 * Politeness across pollers: three pollers under Yamato limits of 10
 * requests a second and 2 in parallel, each request held 100 ms by the
 * simulator: in the simulator's request log (arrival times) no one-second
 * window holds more than 10 requests of all pollers together, and never
 * more than 2 were in flight at once.  And the breaker: one process sees
 * Yamato down (every answer 503) and its breaker opens; another, which
 * Yamato answers well, stops asking within a bounded time.
 *
 * Every process a test starts is bounded: it dies with the test process
 * (PR_SET_PDEATHSIG) and at its own deadline (alarm); the files of the
 * runs live in one directory that main() removes whatever the outcome.
 *
 * The clock: every process uses the same fast clock, 2026-12-03 07:00 JST
 * plus the real time since the run began times TSK_PG_SPEEDUP, so a
 * lifecycle of hours passes in seconds.  Size: TSK_FLEET_PG_SHIPMENTS
 * (default 1000; the 10,000 with TSK_FLEET_PG_SHIPMENTS=10000).
 * Too heavy for valgrind: excluded from that setup (tests/meson.build).
 */
#define _XOPEN_SOURCE 700
#include "lifepage.h"
#include "pgtmp.h"
#include "simctl.h"

#include <check.h>
#include <errno.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <tsuiseki.h>
#include <unistd.h>

#define SPEEDUP 3600.0 /* one real second is one hour */
static double run_limit = 240.0; /* seconds a run may take: 240, or 0.1 s a shipment for a bigger fleet */

static tsk_pgtmp *cluster;
static tsk_sim *sim;
static char rundir[256];     /* every run's files: removed by main() whatever happens */
static char simroot[300];
static int fleet_size;     /* TSK_FLEET_PG_SHIPMENTS */
static int shipments;      /* of the current run */

/* How a run goes (set before the processes are forked). */
struct run {
	int pollers, consumers;
	int shipments;
	int pages_twice;       /* each page served twice in a row */
	long rate, parallel;   /* Yamato's limits for all pollers together (0: the defaults) */
	long round_size;       /* the pollers' round size (0: the default) */
	const char *prefix;    /* before the endpoint's path (a simulator fault) */
};
static struct run cur;
static double t0;          /* real start of the run */
static int64_t v0;         /* the fleet's clock at t0 */

static double real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

/* Yamato: 12 digits, the last is the first eleven mod 7. */
static void number(int i, char out[16])
{
	long long base = 50000000000LL + i;
	snprintf(out, 16, "%lld%lld", base, base % 7);
}

/* ---------------------------------------------------------- the simulator */

/* Copy tests/data/fleet/life_N.html into the simulator's root with the
 * number made a template (@NUMBER_DASHED@). */
static void write_pages(void)
{
	for (int k = 1; k <= 5; k++) {
		char name[32], dst[600];
		snprintf(name, sizeof name, "life_%d.html", k);
		snprintf(dst, sizeof dst, "%s/%s", simroot, name);
		ck_assert_int_eq(tsk_life_page(name, dst), 0);
	}
	char routes[600];
	snprintf(routes, sizeof routes, "%s/routes", simroot);
	FILE *r = fopen(routes, "w");
	ck_assert_ptr_nonnull(r);
	const char *pages = cur.pages_twice ? "life_1.html,life_1.html,life_2.html,life_2.html,life_3.html,life_3.html,"
	                                      "life_4.html,life_4.html,life_5.html"
	                                    : "life_1.html,life_2.html,life_3.html,life_4.html,life_5.html";
	for (int i = 0; i < shipments; i++) {
		char num[16];
		number(i, num);
		fprintf(r, "yamato %s %s text/html; charset=UTF-8 template\n", num, pages);
	}
	fclose(r);
}

/* How often each number was asked (index i: number(i)), from /_log. */
static int *requests_per_number(void)
{
	int *count = calloc((size_t)shipments, sizeof *count);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_ptr_nonnull(log);
	for (char *p = log; *p; p++) {
		/* each number appears once per request, as 5000000000NN in the body */
		if (p[0] != '5' || strncmp(p, "50000", 5) != 0 || (p > log && p[-1] >= '0' && p[-1] <= '9'))
			continue;
		long long v = strtoll(p, NULL, 10);
		long long i = v / 10 - 50000000000LL;
		if (i >= 0 && i < shipments)
			count[i]++;
		p += 11;
	}
	free(log);
	return count;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The arrival times of the requests whose target starts with prefix
 * (NULL: all), sorted, from the log's eighth field. */
static double *arrivals(const char *log, const char *prefix, size_t *n)
{
	size_t cap = 256, len = 0;
	double *t = malloc(cap * sizeof *t);
	for (const char *line = log; *line; ) {
		const char *end = strchr(line, '\n');
		if (!end)
			break;
		const char *f = line;
		const char *target = NULL;
		for (int k = 0; k < 7 && f < end; k++) {
			if (k == 1)
				target = f;
			f = memchr(f, '\t', (size_t)(end - f));
			ck_assert_msg(f != NULL, "short log line");
			f++;
		}
		if (!prefix || strncmp(target + 0, prefix, strlen(prefix)) == 0) {
			if (len == cap)
				t = realloc(t, (cap *= 2) * sizeof *t);
			t[len++] = strtod(f, NULL);
		}
		line = end + 1;
	}
	qsort(t, len, sizeof *t, cmp_double);
	*n = len;
	return t;
}

/* The most requests of the log in any one-second window [t, t + 1 s). */
static long busiest_second(const double *t, size_t n)
{
	long best = 0;
	for (size_t i = 0, j = 0; i < n; i++) {
		while (j < n && t[j] < t[i] + 1.0)
			j++;
		if ((long)(j - i) > best)
			best = (long)(j - i);
	}
	return best;
}

/* ---------------------------------------------------------- the processes */

static tsk_ctx *make_ctx(void)
{
	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return NULL;
	char url[256], path[128];
	snprintf(path, sizeof path, "%s/yamato/cgi-bin/tneko", cur.prefix ? cur.prefix : "");
	tsk_sim_url(sim, path, url, sizeof url);
	tsk_ctx_set_endpoint(ctx, "yamato", url);
	if (cur.rate)
		tsk_ctx_set_carrier_option(ctx, "yamato", TSK_OPT_REQUESTS_PER_SECOND, cur.rate);
	if (cur.parallel)
		tsk_ctx_set_carrier_option(ctx, "yamato", TSK_OPT_MAX_PARALLEL, cur.parallel);
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 2);
	tsk_ctx_set_option(ctx, TSK_OPT_RETRY_BASE_MS, 50);
	tsk_ctx_set_option(ctx, TSK_OPT_TIMEOUT_MS, 10000);
	return ctx;
}

static void set_clock(tsk_ctx *ctx)
{
	tsk_time t = { v0 + (int64_t)((real_now() - t0) * SPEEDUP), 9 * 3600, TSK_PRECISION_MINUTE };
	tsk_ctx_set_now(ctx, &t);
}

static char db_url[600];

static tsk_fleet *open_fleet(tsk_ctx *ctx)
{
	tsk_fleet *f = NULL;
	if (tsk_fleet_open(&f, ctx, db_url) != TSK_OK) {
		fprintf(stderr, "open: %s\n", tsk_ctx_last_error(ctx));
		return NULL;
	}
	return f;
}

static void log_to_stderr(int level, const char *message, void *data)
{
	(void)data;
	if (level <= 1)
		fprintf(stderr, "poller %ld: %s\n", (long)getpid(), message);
}

/* A poller: poll what is due on the fast clock until no shipment is
 * active.  Exit 0 when done, 1 on an error. */
static int poller_main(void)
{
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = ctx ? open_fleet(ctx) : NULL;
	if (!f)
		return 1;
	tsk_ctx_set_log_fn(ctx, log_to_stderr, NULL);
	if (cur.round_size)
		tsk_fleet_set_option(f, TSK_FLEET_OPT_ROUND_SIZE, cur.round_size);
	int rc = 0;
	while (real_now() - t0 < run_limit) {
		set_clock(ctx);
		tsk_fleet_run_stats st;
		if (tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st) != TSK_OK) {
			fprintf(stderr, "poller %ld: run: %s\n", (long)getpid(), tsk_ctx_last_error(ctx));
			rc = 1;
			break;
		}
		tsk_time next;
		if (tsk_fleet_next_due(&next, NULL, f) != TSK_OK) {
			fprintf(stderr, "poller %ld: next due: %s\n", (long)getpid(), tsk_ctx_last_error(ctx));
			rc = 1;
			break;
		}
		if (next.epoch == 0)
			break; /* nothing active any more */
		if (st.polled == 0)
			sleep_s(0.02);
	}
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
	return rc;
}

static volatile sig_atomic_t drain;
static void on_drain(int sig)
{
	(void)sig;
	drain = 1;
}

/* A consumer: take notifications, acknowledge each, and write the id of
 * each one acknowledged to its file.  After SIGUSR1 it stops at the first
 * empty answer. */
static int consumer_main(const char *path)
{
	signal(SIGUSR1, on_drain);
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = ctx ? open_fleet(ctx) : NULL;
	FILE *out = fopen(path, "w");
	if (!f || !out)
		return 1;
	int rc = 0;
	while (real_now() - t0 < run_limit + 30) {
		int was_draining = drain;
		tsk_notification_list *l = NULL;
		if (tsk_fleet_notifications(&l, f, 50) != TSK_OK) {
			fprintf(stderr, "consumer: %s\n", tsk_ctx_last_error(ctx));
			rc = 1;
			break;
		}
		size_t n = tsk_notification_list_count(l);
		for (size_t i = 0; i < n; i++) {
			const tsk_notification *x = tsk_notification_list_at(l, i);
			const char *id = tsk_notification_id(x);
			int a = tsk_fleet_ack(f, &id, 1);
			if (a == TSK_OK)
				fprintf(out, "%s\n", id);
			else if (a != TSK_ECANCELED) {
				fprintf(stderr, "consumer: ack: %s\n", tsk_ctx_last_error(ctx));
				rc = 1;
			}
		}
		tsk_notification_list_free(l);
		if (rc)
			break;
		if (n == 0) {
			if (was_draining)
				break;
			sleep_s(0.05);
		}
	}
	fclose(out);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
	return rc;
}

/* A child process, bounded: it dies with the test process that forked it
 * and at its own deadline. */
static pid_t spawn(int (*fn)(const char *), const char *arg)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1); /* the parent died before the line above */
		alarm((unsigned)run_limit + 60);
		_exit(fn(arg));
	}
	return pid;
}

static int poller_entry(const char *unused)
{
	(void)unused;
	return poller_main();
}

static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A fresh directory for the simulator's files, inside base. */
static void fresh_simroot(void)
{
	snprintf(simroot, sizeof simroot, "%s/run.XXXXXX", rundir);
	ck_assert_ptr_nonnull(mkdtemp(simroot));
}

/* ------------------------------------------------------------- the checks */

static PGresult *sql(const char *query)
{
	PGconn *c = PQconnectdb(tsk_pgtmp_conninfo(cluster));
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	PGresult *r = PQexec(c, query);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", query,
	              PQresultErrorMessage(r));
	PQfinish(c);
	return r;
}

static long sql_long(const char *query)
{
	PGresult *r = sql(query);
	long v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* A fresh database: the schema of the run before dropped whole. */
static void fresh_database(void)
{
	PQclear(sql("SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The ids the consumers acknowledged (sorted; duplicates kept). */
static char **consumed(const char *const *files, size_t nfiles, size_t *n)
{
	size_t cap = 1024, len = 0;
	char **ids = malloc(cap * sizeof *ids);
	char line[128];
	for (size_t k = 0; k < nfiles; k++) {
		FILE *in = fopen(files[k], "r");
		ck_assert_ptr_nonnull(in);
		while (fgets(line, sizeof line, in)) {
			line[strcspn(line, "\n")] = '\0';
			if (len == cap)
				ids = realloc(ids, (cap *= 2) * sizeof *ids);
			ids[len++] = strdup(line);
		}
		fclose(in);
	}
	qsort(ids, len, sizeof *ids, cmp_str);
	*n = len;
	return ids;
}

/* asked: how often each shipment is asked over its life when nothing is
 * lost (5, or 9 with every page twice: delivered retires it); with a
 * poller killed, answers it had not saved are asked again: at least that. */
static void check_outcome(const char *const *files, size_t nfiles, int asked_exactly, int asked)
{
	/* every shipment retired */
	ck_assert_int_eq(sql_long("SELECT count(*) FROM tsk_shipments WHERE state = 1"), shipments);
	/* each scripted change once per shipment */
	PGresult *r = sql("SELECT count(*) FROM (SELECT shipment_id, json::jsonb->>'kind' AS k, count(*) AS c"
	                  " FROM tsk_outbox GROUP BY 1, 2) g WHERE k <> 'delayed' AND c > 1");
	ck_assert_msg(atol(PQgetvalue(r, 0, 0)) == 0, "%s (shipment, kind) pairs notified more than once",
	              PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *kinds[] = { "shipped", "out_for_delivery", "delivery_failed", "available_for_pickup", "delivered" };
	for (size_t k = 0; k < 5; k++) {
		char q[256];
		snprintf(q, sizeof q, "SELECT count(*) FROM tsk_outbox WHERE json::jsonb->>'kind' = '%s'", kinds[k]);
		long got = sql_long(q);
		ck_assert_msg(got == shipments, "%s: %ld notifications for %d shipments", kinds[k], got, shipments);
	}
	/* consumed exactly once each, by id; none waiting */
	ck_assert_int_eq(sql_long("SELECT count(*) FROM tsk_outbox WHERE acked_at IS NULL"), 0);
	size_t n;
	char **ids = consumed(files, nfiles, &n);
	r = sql("SELECT id FROM tsk_outbox ORDER BY id COLLATE \"C\"");
	ck_assert_msg((long)n == PQntuples(r), "%zu consumed, %d produced", n, PQntuples(r));
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(strcmp(ids[i], PQgetvalue(r, (int)i, 0)) == 0, "consumed %s, produced %s", ids[i],
		              PQgetvalue(r, (int)i, 0));
		free(ids[i]);
	}
	free(ids);
	PQclear(r);
	int *count = requests_per_number();
	for (int i = 0; i < shipments; i++) {
		if (asked_exactly)
			ck_assert_msg(count[i] == asked, "shipment %d asked %d times", i, count[i]);
		else
			ck_assert_msg(count[i] >= asked, "shipment %d asked %d times", i, count[i]);
	}
	free(count);
}

/* ----------------------------------------------------------------- runs */

enum disturbance { CALM, KILL_A_POLLER, RESTART_SERVER };

static void start_sim(void)
{
	fresh_simroot();
	write_pages();
	sim = tsk_sim_start(getenv("TSK_SIM"), simroot);
	ck_assert_ptr_nonnull(sim);
	fresh_database();
	snprintf(db_url, sizeof db_url, "postgresql:%s", tsk_pgtmp_conninfo(cluster));
	tsk_time start;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&start, "2026-12-03T07:00:00+09:00"), TSK_OK);
	v0 = start.epoch;
	t0 = real_now();
}

static void run_fleet(const struct run *how, enum disturbance what)
{
	cur = *how;
	shipments = cur.shipments;
	start_sim();

	/* the fleet */
	tsk_ctx *ctx = make_ctx();
	set_clock(ctx);
	tsk_fleet *f = open_fleet(ctx);
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < shipments; i++) {
		char num[16], ref[32];
		number(i, num);
		snprintf(ref, sizeof ref, "order-%d", i);
		ck_assert_int_eq(tsk_fleet_add(f, num, "yamato", ref, i % 2 ? "en" : "ja"), TSK_OK);
	}
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
	t0 = real_now(); /* the clock starts with the pollers */

	int pollers = cur.pollers, consumers = cur.consumers;
	char files[4][700];
	const char *file_list[4];
	pid_t cons[4], pol[8];
	for (int k = 0; k < consumers; k++) {
		snprintf(files[k], sizeof files[k], "%s/consumed-%d", simroot, k);
		file_list[k] = files[k];
		cons[k] = spawn(consumer_main, files[k]);
	}
	for (int k = 0; k < pollers; k++)
		pol[k] = spawn(poller_entry, NULL);

	if (what == KILL_A_POLLER || what == RESTART_SERVER) {
		/* once a fifth of the fleet is past its first poll */
		while (sql_long("SELECT count(*) FROM tsk_shipments WHERE snapshot IS NOT NULL") < shipments / 5 &&
		       real_now() - t0 < 60)
			sleep_s(0.05);
		if (what == KILL_A_POLLER)
			ck_assert_int_eq(kill(pol[0], SIGKILL), 0);
		else
			ck_assert_int_eq(tsk_pgtmp_command(cluster, "restart"), 0);
	}
	for (int k = 0; k < pollers; k++) {
		int st = reap(pol[k]);
		if (what == KILL_A_POLLER && k == 0)
			ck_assert_int_eq(st, 128 + SIGKILL);
		else
			ck_assert_msg(st == 0, "poller %d ended with %d", k, st);
	}
	for (int k = 0; k < consumers; k++)
		kill(cons[k], SIGUSR1);
	for (int k = 0; k < consumers; k++)
		ck_assert_msg(reap(cons[k]) == 0, "consumer %d failed", k);
	double took = real_now() - t0;
	fprintf(stderr, "fleet-pg: %d shipments, %d pollers, %d consumers%s: %.1f s\n", shipments, pollers, consumers,
	        what == KILL_A_POLLER ? ", one poller killed" : what == RESTART_SERVER ? ", server restarted" : "", took);

	check_outcome(file_list, (size_t)consumers, what != KILL_A_POLLER, cur.pages_twice ? 9 : 5);
}

static void end_run(void)
{
	tsk_sim_stop(sim);
	sim = NULL;
}

START_TEST(four_pollers_two_consumers)
{
	struct run how = { .pollers = 4, .consumers = 2, .shipments = fleet_size };
	run_fleet(&how, CALM);
	end_run();
}
END_TEST

START_TEST(poller_killed_mid_run)
{
	setenv("TSUISEKI_LEASE_S", "2", 1); /* the dead poller's work returns soon */
	struct run how = { .pollers = 3, .consumers = 2, .shipments = fleet_size, .pages_twice = 1 };
	run_fleet(&how, KILL_A_POLLER);
	unsetenv("TSUISEKI_LEASE_S");
	end_run();
}
END_TEST

START_TEST(server_restarted_mid_run)
{
	struct run how = { .pollers = 3, .consumers = 2, .shipments = fleet_size };
	run_fleet(&how, RESTART_SERVER);
	end_run();
}
END_TEST

/* Three pollers under Yamato limits of 10 requests a second and 2 in
 * parallel, each request held 100 ms (the two limits allow 10 and 20 a
 * second: the rate binds): the limits hold for their sum. */
START_TEST(carrier_limits_hold_for_all_pollers)
{
	struct run how = { .pollers = 3, .consumers = 1, .shipments = 200, .rate = 10, .parallel = 2,
	                   .round_size = 20, .prefix = "/_fault/delay:100" };
	run_fleet(&how, CALM);
	char *log = tsk_sim_fetch(sim, "/_log");
	char *stats = tsk_sim_fetch(sim, "/_stats");
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_nonnull(stats);
	size_t n;
	double *t = arrivals(log, NULL, &n);
	long busiest = busiest_second(t, n);
	const char *mc = strstr(stats, "max_concurrent ");
	ck_assert_ptr_nonnull(mc);
	long concurrent = atol(mc + strlen("max_concurrent "));
	fprintf(stderr, "fleet-pg limits: %zu requests in %.1f s, at most %ld in one second (limit 10),"
	                " at most %ld at once (limit 2)\n", n, n ? t[n - 1] - t[0] : 0.0, busiest, concurrent);
	ck_assert_msg(busiest <= 10, "%ld requests in one second, over the limit of 10", busiest);
	ck_assert_msg(concurrent <= 2, "%ld requests at once, over the limit of 2", concurrent);
	/* the limit bound: three pollers alone would go much faster */
	ck_assert_msg(busiest >= 7, "only %ld requests in the busiest second: the run did not reach the limit", busiest);
	free(t);
	free(log);
	free(stats);
	end_run();
}
END_TEST

/* ------------------------------------------------------- shared breaker */

#define BREAKER_RUN_S 6.0

/* Ask Yamato for one number every 20 ms until the end of the run; write
 * how many answers came and how many were refused unsent (breaker open). */
static int asker_main(const char *path)
{
	tsk_ctx *ctx = make_ctx();
	tsk_fleet *f = ctx ? open_fleet(ctx) : NULL; /* the fleet shares the politeness */
	FILE *out = fopen(path, "w");
	if (!f || !out)
		return 1;
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 0);
	tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_FAILURES, 3);
	tsk_ctx_set_option(ctx, TSK_OPT_BREAKER_COOLDOWN_MS, 60000);
	char num[16];
	number(0, num);
	long answered = 0, refused = 0;
	char why[256] = "";
	while (real_now() - t0 < BREAKER_RUN_S) {
		tsk_shipment *s = NULL;
		if (tsk_track(&s, ctx, "yamato", num) == TSK_OK) {
			if (tsk_shipment_error(s) == TSK_ECARRIER_UNAVAILABLE) {
				refused++;
				snprintf(why, sizeof why, "%s", tsk_shipment_error_message(s));
			} else {
				answered++;
			}
		}
		tsk_shipment_free(s);
		sleep_s(0.02);
	}
	fprintf(out, "%ld %ld %s\n", answered, refused, why);
	fclose(out);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
	return 0;
}

static void read_counts(const char *path, long *answered, long *refused, char *why, size_t len)
{
	FILE *in = fopen(path, "r");
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(fscanf(in, "%ld %ld ", answered, refused), 2);
	if (!fgets(why, (int)len, in))
		why[0] = '\0';
	fclose(in);
}

START_TEST(breaker_shared_by_pollers)
{
	cur = (struct run){ .shipments = 1 };
	shipments = 1;
	start_sim();
	char well[700], down[700];
	snprintf(well, sizeof well, "%s/well", simroot);
	snprintf(down, sizeof down, "%s/down", simroot);
	/* one poller Yamato answers well ... */
	pid_t a = spawn(asker_main, well);
	sleep_s(1.0);
	/* ... and one a second later that finds Yamato down */
	cur.prefix = "/_fault/503";
	pid_t b = spawn(asker_main, down);
	ck_assert_int_eq(reap(a), 0);
	ck_assert_int_eq(reap(b), 0);

	long answered, refused, down_answered, down_refused;
	char why[256], down_why[256];
	read_counts(well, &answered, &refused, why, sizeof why);
	read_counts(down, &down_answered, &down_refused, down_why, sizeof down_why);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_ptr_nonnull(log);
	size_t nd, nw;
	double *td = arrivals(log, "/_fault/503/", &nd);
	double *tw = arrivals(log, "/yamato/", &nw);
	/* the poller that found it down: three failed requests opened its breaker */
	ck_assert_msg(nd == 3, "%zu requests where Yamato is down (its breaker opens at 3)", nd);
	double opened = td[nd - 1];
	size_t before = 0, after = 0;
	for (size_t i = 0; i < nw; i++) {
		if (tw[i] < opened)
			before++;
		else if (tw[i] > opened + 1.5) /* a take, at least every second, brings the news */
			after++;
	}
	fprintf(stderr, "fleet-pg breaker: the other poller asked %zu times before the breaker opened, %zu times"
	                " after it (+1.5 s), %ld asks refused unsent: %s", before, after, refused, why);
	ck_assert_msg(before >= 10, "the other poller asked only %zu times before", before);
	ck_assert_msg(after == 0, "the other poller asked %zu times after the breaker opened", after);
	ck_assert_msg(refused >= 10, "the other poller had only %ld asks refused", refused);
	ck_assert_msg(strstr(why, "another poller"), "%s", why);
	free(td);
	free(tw);
	free(log);
	end_run();
}
END_TEST

/* Remove rundir and everything in it. */
static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int main(void)
{
	const char *n = getenv("TSK_FLEET_PG_SHIPMENTS");
	fleet_size = n && atoi(n) > 0 ? atoi(n) : 1000;
	if (fleet_size * 0.1 > run_limit)
		run_limit = fleet_size * 0.1;
	int skipped = 0;
	cluster = tsk_pgtmp_start(NULL, &skipped);
	if (!cluster)
		return skipped ? TSK_PGTMP_SKIP : 1;
	snprintf(rundir, sizeof rundir, "%s/tsk-fleet-pg.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(rundir)) {
		perror(rundir);
		tsk_pgtmp_stop(cluster);
		return 1;
	}
	Suite *s = suite_create("fleet_pg");
	TCase *tc = tcase_create("pollers");
	tcase_set_timeout(tc, run_limit + 60);
	tcase_add_test(tc, four_pollers_two_consumers);
	tcase_add_test(tc, poller_killed_mid_run);
	tcase_add_test(tc, server_restarted_mid_run);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("politeness");
	tcase_set_timeout(tp, run_limit + 60);
	tcase_add_test(tp, carrier_limits_hold_for_all_pollers);
	tcase_add_test(tp, breaker_shared_by_pollers);
	suite_add_tcase(s, tp);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tsk_pgtmp_stop(cluster);
	nftw(rundir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? 1 : 0;
}
