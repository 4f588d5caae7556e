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
 * expire and the others finish (a batch it had asked but not saved is asked
 * again, so there only "at least five" and the delivered notification hold);
 * the server restarted mid-run, the pollers reconnect.
 *
 * The clock: every process uses the same fast clock, 2026-12-03 07:00 JST
 * plus the real time since the run began times TSK_PG_SPEEDUP, so a
 * lifecycle of hours passes in seconds.  Size: TSK_FLEET_PG_SHIPMENTS
 * (default 1000; the issue's 10,000 with TSK_FLEET_PG_SHIPMENTS=10000).
 * Too heavy for valgrind: excluded from that setup (tests/meson.build).
 */
#define _POSIX_C_SOURCE 200809L
#include "pgtmp.h"
#include "simctl.h"

#include <check.h>
#include <errno.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <tsuiseki.h>
#include <unistd.h>

#define SPEEDUP 3600.0 /* one real second is one hour */
#define RUN_LIMIT_S 240.0

static tsk_pgtmp *cluster;
static tsk_sim *sim;
static char simroot[256];
static int shipments;
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
		char src[1024], dst[600];
		snprintf(src, sizeof src, "%s/fleet/life_%d.html", getenv("TSK_TEST_DATA"), k);
		snprintf(dst, sizeof dst, "%s/life_%d.html", simroot, k);
		FILE *in = fopen(src, "rb");
		ck_assert_msg(in != NULL, "%s", src);
		static char buf[65536];
		size_t n = fread(buf, 1, sizeof buf - 1, in);
		fclose(in);
		buf[n] = '\0';
		/* every mention of the number becomes the template's */
		FILE *out = fopen(dst, "wb");
		ck_assert_ptr_nonnull(out);
		const char *p = buf, *at;
		while ((at = strstr(p, "4001-2345-6784"))) {
			fwrite(p, 1, (size_t)(at - p), out);
			fputs("@NUMBER_DASHED@", out);
			p = at + strlen("4001-2345-6784");
		}
		fputs(p, out);
		fclose(out);
	}
	char routes[600];
	snprintf(routes, sizeof routes, "%s/routes", simroot);
	FILE *r = fopen(routes, "w");
	ck_assert_ptr_nonnull(r);
	for (int i = 0; i < shipments; i++) {
		char num[16];
		number(i, num);
		fprintf(r, "yamato %s life_1.html,life_2.html,life_3.html,life_4.html,life_5.html"
		           " text/html; charset=UTF-8 template\n", num);
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

/* ---------------------------------------------------------- the processes */

static tsk_ctx *make_ctx(void)
{
	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return NULL;
	char url[256];
	tsk_sim_url(sim, "/yamato/cgi-bin/tneko", url, sizeof url);
	tsk_ctx_set_endpoint(ctx, "yamato", url);
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
	int rc = 0;
	while (real_now() - t0 < RUN_LIMIT_S) {
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
	while (real_now() - t0 < RUN_LIMIT_S + 30) {
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

static pid_t spawn(int (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(arg));
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

static void check_outcome(const char *const *files, size_t nfiles, int exact_requests)
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
		if (exact_requests || k == 4)
			ck_assert_msg(got == shipments, "%s: %ld notifications for %d shipments", kinds[k], got, shipments);
	}
	/* consumed exactly once each, by id; none waiting */
	ck_assert_int_eq(sql_long("SELECT count(*) FROM tsk_outbox WHERE acked_at IS NULL"), 0);
	size_t n;
	char **ids = consumed(files, nfiles, &n);
	r = sql("SELECT id FROM tsk_outbox ORDER BY id COLLATE \"C\"");
	ck_assert_int_eq((long)n, PQntuples(r));
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(strcmp(ids[i], PQgetvalue(r, (int)i, 0)) == 0, "consumed %s, produced %s", ids[i],
		              PQgetvalue(r, (int)i, 0));
		free(ids[i]);
	}
	free(ids);
	PQclear(r);
	/* asked five times each (a page per request), or at least five */
	int *asked = requests_per_number();
	for (int i = 0; i < shipments; i++) {
		if (exact_requests)
			ck_assert_msg(asked[i] == 5, "shipment %d asked %d times", i, asked[i]);
		else
			ck_assert_msg(asked[i] >= 5, "shipment %d asked %d times", i, asked[i]);
	}
	free(asked);
}

/* ----------------------------------------------------------------- runs */

enum disturbance { CALM, KILL_A_POLLER, RESTART_SERVER };

static void run_fleet(int pollers, int consumers, enum disturbance what)
{
	ck_assert_msg(snprintf(simroot, sizeof simroot, "%s/tsk-fleet-pg.XXXXXX",
	                       getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") < (int)sizeof simroot, "TMPDIR");
	ck_assert_ptr_nonnull(mkdtemp(simroot));
	write_pages();
	sim = tsk_sim_start(getenv("TSK_SIM"), simroot);
	ck_assert_ptr_nonnull(sim);
	PQclear(sql("SET client_min_messages = warning; DROP TABLE IF EXISTS tsk_outbox, tsk_shipments, tsk_carriers, tsk_schema_version"));
	snprintf(db_url, sizeof db_url, "postgresql:%s", tsk_pgtmp_conninfo(cluster));

	/* the fleet */
	t0 = real_now();
	tsk_time start;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&start, "2026-12-03T07:00:00+09:00"), TSK_OK);
	v0 = start.epoch;
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

	check_outcome(file_list, (size_t)consumers, what != KILL_A_POLLER);
	tsk_sim_stop(sim);
	sim = NULL;
	for (int k = 0; k < consumers; k++)
		unlink(files[k]);
	char p[700];
	for (int k = 1; k <= 5; k++) {
		snprintf(p, sizeof p, "%s/life_%d.html", simroot, k);
		unlink(p);
	}
	snprintf(p, sizeof p, "%s/routes", simroot);
	unlink(p);
	rmdir(simroot);
}

START_TEST(four_pollers_two_consumers)
{
	run_fleet(4, 2, CALM);
}
END_TEST

START_TEST(poller_killed_mid_run)
{
	setenv("TSUISEKI_LEASE_S", "2", 1); /* the dead poller's work returns soon */
	run_fleet(3, 2, KILL_A_POLLER);
	unsetenv("TSUISEKI_LEASE_S");
}
END_TEST

START_TEST(server_restarted_mid_run)
{
	run_fleet(3, 2, RESTART_SERVER);
}
END_TEST

int main(void)
{
	const char *n = getenv("TSK_FLEET_PG_SHIPMENTS");
	shipments = n && atoi(n) > 0 ? atoi(n) : 1000;
	int skipped = 0;
	cluster = tsk_pgtmp_start(NULL, &skipped);
	if (!cluster)
		return skipped ? TSK_PGTMP_SKIP : 1;
	Suite *s = suite_create("fleet_pg");
	TCase *tc = tcase_create("pollers");
	tcase_set_timeout(tc, RUN_LIMIT_S + 60);
	tcase_add_test(tc, four_pollers_two_consumers);
	tcase_add_test(tc, poller_killed_mid_run);
	tcase_add_test(tc, server_restarted_mid_run);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tsk_pgtmp_stop(cluster);
	return failed ? 1 : 0;
}
