/*
 * `kill -9` of `tsuiseki run` at random moments, 20 times, over a fleet of
 * 1,000 shipments on SQLite; between kills `tsuiseki notifications --json`
 * prints (and acknowledges) what waits. Afterwards the database passes
 * PRAGMA integrity_check after every kill, and the ids printed plus the ids
 * still waiting are exactly the ids an uninterrupted run produces: none
 * lost, none stored twice.
 *
 * Each number has its own simulator route (a generated routes file) with
 * one templated page of the scripted lifecycle (tests/data/fleet/crash_*),
 * so what a poll answers never depends on how many polls a killed run made;
 * the clock is fixed (--now) for the same reason.
 *
 * usage: test_fleet_crash (TSK_SIM, TSK_CLI, TSK_TEST_DATA in the environment)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <tsuiseki.h>
#include <unistd.h>

#define SHIPMENTS 1000
#define KILLS 20
#define NOW "2026-12-03T12:00:00+09:00"

static char dir[256], routes[300], ref_db[300], crash_db[300], endpoint[3][200];
static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			failures++;                                        \
		}                                                          \
	} while (0)

static void number_of(char out[16], int i)
{
	long long base = 40020000000LL + i;
	snprintf(out, 16, "%lld%lld", base, base % 7);
}

/* ------------------------------------------------------------- id sets */

struct idset {
	char (*ids)[40];
	size_t n, cap;
};

static void idset_add(struct idset *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->ids = realloc(s->ids, s->cap * sizeof *s->ids);
	}
	snprintf(s->ids[s->n++], 40, "%s", id);
}

static bool idset_has(const struct idset *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------- helpers */

static pid_t sim_pid;

static int start_sim(void)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	sim_pid = fork();
	if (sim_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(getenv("TSK_SIM"), "tsk-sim", "--root", getenv("TSK_TEST_DATA"), "--routes", routes,
		      "--idle-exit", "120", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[64] = "";
	FILE *f = fdopen(fds[0], "r");
	if (!f || !fgets(line, sizeof line, f))
		return -1;
	int port = 0;
	sscanf(line, "PORT %d", &port);
	/* keep the pipe open: the simulator writes nothing more */
	return port;
}

static pid_t spawn_cli(const char *db, const char *verb, const char *extra, int out_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		setenv("TSUISEKI_ENDPOINT_YAMATO", endpoint[0], 1);
		setenv("TSUISEKI_ENDPOINT_SAGAWA", endpoint[1], 1);
		setenv("TSUISEKI_ENDPOINT_JAPANPOST", endpoint[2], 1);
		if (out_fd >= 0)
			dup2(out_fd, 1);
		FILE *null = fopen("/dev/null", "w");
		if (null)
			dup2(fileno(null), 2);
		execl(getenv("TSK_CLI"), "tsuiseki", verb, "--db", db, "--now", NOW, extra, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Add the fleet through the library (adding is not what is tested). */
static void make_fleet(const char *db)
{
	tsk_ctx *ctx = NULL;
	tsk_fleet *f = NULL;
	char url[400];
	snprintf(url, sizeof url, "sqlite:%s", db);
	tsk_time now;
	tsk_time_parse_rfc3339(&now, NOW);
	CHECK(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) == TSK_OK, "context");
	tsk_ctx_set_now(ctx, &now);
	CHECK(tsk_fleet_open(&f, ctx, url) == TSK_OK, "open %s: %s", db, tsk_ctx_last_error(ctx));
	for (int i = 0; f && i < SHIPMENTS; i++) {
		char number[16], ref[32];
		number_of(number, i);
		snprintf(ref, sizeof ref, "order-%d", i);
		CHECK(tsk_fleet_add(f, number, "yamato", ref, i % 2 ? "en" : "ja") == TSK_OK, "add %s", number);
	}
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}

/* The ids waiting in a fleet's outbox (without acknowledging them). */
static void waiting_ids(const char *db, struct idset *out)
{
	tsk_ctx *ctx = NULL;
	tsk_fleet *f = NULL;
	char url[400];
	snprintf(url, sizeof url, "sqlite:%s", db);
	tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT);
	CHECK(tsk_fleet_open(&f, ctx, url) == TSK_OK, "open %s: %s", db, tsk_ctx_last_error(ctx));
	tsk_notification_list *l = NULL;
	if (f && tsk_fleet_notifications(&l, f, 0) == TSK_OK)
		for (size_t i = 0; i < tsk_notification_list_count(l); i++)
			idset_add(out, tsk_notification_id(tsk_notification_list_at(l, i)));
	tsk_notification_list_free(l);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
}

/* Shipments not polled yet. */
static size_t active_count(const char *db)
{
	tsk_ctx *ctx = NULL;
	tsk_fleet *f = NULL;
	char url[400];
	snprintf(url, sizeof url, "sqlite:%s", db);
	tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT);
	tsk_time now;
	tsk_time_parse_rfc3339(&now, NOW);
	tsk_ctx_set_now(ctx, &now);
	size_t n = 0;
	if (tsk_fleet_open(&f, ctx, url) == TSK_OK) {
		tsk_fleet_filter filt = TSK_FLEET_FILTER_INIT;
		tsk_time later = now;
		later.epoch += 1;
		filt.due_before = &later;
		tsk_fleet_item_list *l = NULL;
		if (tsk_fleet_list(&l, f, &filt) == TSK_OK)
			n = tsk_fleet_item_list_count(l);
		tsk_fleet_item_list_free(l);
	}
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);
	return n;
}

static void integrity(const char *db, const char *when)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *q = NULL;
	CHECK(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "open %s", db);
	CHECK(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK, "prepare");
	CHECK(sqlite3_step(q) == SQLITE_ROW, "integrity_check");
	const char *r = (const char *)sqlite3_column_text(q, 0);
	CHECK(r && strcmp(r, "ok") == 0, "%s: integrity_check says %s", when, r ? r : "(null)");
	sqlite3_finalize(q);
	/* one row per id: nothing stored twice */
	CHECK(sqlite3_prepare_v2(h, "SELECT count(*) - count(DISTINCT id) FROM notifications", -1, &q, NULL) == SQLITE_OK,
	      "prepare");
	CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0, "%s: a notification stored twice", when);
	sqlite3_finalize(q);
	sqlite3_close(h);
}

/* Run `notifications --json`, adding the printed ids to the set. */
static void read_notifications(struct idset *printed)
{
	char out[400];
	snprintf(out, sizeof out, "%s/printed.jsonl", dir);
	FILE *f = fopen(out, "w+");
	pid_t pid = spawn_cli(crash_db, "notifications", "--json", fileno(f));
	CHECK(wait_exit(pid) == 0, "notifications failed");
	rewind(f);
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		const char *p = strstr(line, "\"id\":\"");
		CHECK(p != NULL, "a line without an id: %s", line);
		if (p) {
			char id[40];
			snprintf(id, sizeof id, "%.32s", p + 6);
			idset_add(printed, id);
		}
	}
	fclose(f);
}

int main(void)
{
	if (!getenv("TSK_SIM") || !getenv("TSK_CLI") || !getenv("TSK_TEST_DATA")) {
		fprintf(stderr, "TSK_SIM, TSK_CLI and TSK_TEST_DATA must be set\n");
		return 77; /* skipped */
	}
	snprintf(dir, sizeof dir, "%s/tsk-crash-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	snprintf(routes, sizeof routes, "%s/routes", dir);
	snprintf(ref_db, sizeof ref_db, "%s/ref.db", dir);
	snprintf(crash_db, sizeof crash_db, "%s/crash.db", dir);
	FILE *r = fopen(routes, "w");
	for (int i = 0; i < SHIPMENTS; i++) {
		char number[16];
		number_of(number, i);
		fprintf(r, "yamato %s fleet/crash_%d.html text/html; charset=UTF-8 template\n", number, 1 + i % 5);
	}
	fputs("yamato * sim/yamato_not_registered.html text/html; charset=UTF-8 template\n", r);
	fclose(r);
	int port = start_sim();
	if (port <= 0) {
		fprintf(stderr, "cannot start the simulator\n");
		return 1;
	}
	snprintf(endpoint[0], sizeof endpoint[0], "http://127.0.0.1:%d/yamato/cgi-bin/tneko", port);
	snprintf(endpoint[1], sizeof endpoint[1], "http://127.0.0.1:%d/sagawa/p/web/okurijosearch.do", port);
	snprintf(endpoint[2], sizeof endpoint[2], "http://127.0.0.1:%d/japanpost/services/srv/search/direct", port);

	/* the expected set: one uninterrupted run */
	make_fleet(ref_db);
	double t0 = now_s();
	CHECK(wait_exit(spawn_cli(ref_db, "run", "--once", -1)) == 0, "reference run failed");
	double took = now_s() - t0;
	struct idset expected = { 0 }, printed = { 0 }, waiting = { 0 };
	waiting_ids(ref_db, &expected);
	CHECK(expected.n == SHIPMENTS, "the reference run made %zu notifications, not %d", expected.n, SHIPMENTS);

	/* the same fleet, killed at random moments */
	make_fleet(crash_db);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	int killed_running = 0;
	for (int k = 0; k < KILLS; k++) {
		/* a moment within what is left to do */
		double left = (double)active_count(crash_db) / SHIPMENTS;
		pid_t pid = spawn_cli(crash_db, "run", "--once", -1);
		long us = (long)((0.02 + took * left) * 1e6 * (double)rand() / RAND_MAX);
		struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		if (wait_exit(pid) == 128 + SIGKILL)
			killed_running++;
		integrity(crash_db, "after a kill");
		if (k == 1 || k == 4)
			read_notifications(&printed); /* early: what comes later stays waiting */
	}
	/* then to the end */
	CHECK(wait_exit(spawn_cli(crash_db, "run", "--once", -1)) == 0, "the last run failed");
	integrity(crash_db, "at the end");
	waiting_ids(crash_db, &waiting);
	size_t union_n = 0, extra = 0;
	for (size_t i = 0; i < expected.n; i++)
		union_n += idset_has(&printed, expected.ids[i]) || idset_has(&waiting, expected.ids[i]);
	for (size_t i = 0; i < printed.n; i++)
		extra += !idset_has(&expected, printed.ids[i]);
	for (size_t i = 0; i < waiting.n; i++)
		extra += !idset_has(&expected, waiting.ids[i]);
	CHECK(union_n == expected.n, "%zu of %zu expected notifications lost", expected.n - union_n, expected.n);
	CHECK(extra == 0, "%zu notifications that an uninterrupted run does not make", extra);
	printf("crash: %d shipments, %d kills (%d mid-run), reference run %.2f s, %zu notifications: "
	       "%zu printed and acknowledged, %zu waiting; %s\n",
	       SHIPMENTS, KILLS, killed_running, took, expected.n, printed.n, waiting.n, failures ? "FAILED" : "ok");
	kill(sim_pid, SIGTERM);
	waitpid(sim_pid, NULL, 0);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (!failures && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(expected.ids);
	free(printed.ids);
	free(waiting.ids);
	return failures ? 1 : 0;
}
