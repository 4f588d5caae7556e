/*
 * Fleet benchmark (run on demand: `meson test -C build --benchmark --verbose fleet`).
 *
 *  1. The SQLite store at 1,000, 10,000 and 100,000 shipments: wall time
 *     per shipment to pick due work (due(), rounds of 200) and to write one
 *     poll result (save(): a 2 KB snapshot and one notification, one
 *     transaction each), against a bare SQLite table doing the same
 *     (indexed SELECT … LIMIT 200, one UPDATE per transaction) in the same
 *     run. Flat means the ratio to 1,000 stays near 1.
 *  2. Peak RSS of `tsuiseki run --once` over the 100,000-shipment fleet,
 *     all due, against the simulator (answers composed number by number),
 *     and of the same command over an empty fleet (the baseline).
 *  3. Requests per shipment over a scripted lifecycle (in transit, out
 *     for delivery, failed attempt, held, delivered over 36 hours of a
 *     virtual clock; the pages change at their times): the fleet against
 *     the old `watch` schedule (everything asked again every round, a
 *     round at most every --interval 900 s).
 *
 * TSK_BENCH_FLEET_MAX caps the largest fleet (default 100000).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* wait4 */
#include "../common/dbfiles.h"
#include "benchutil.h"
#include "lifepage.h"
#include "simctl.h"
#include "store.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];

static void number_of(char out[24], long i)
{
	long long base = 40030000000LL + i;
	snprintf(out, 24, "%lld%lld", base, base % 7);
}

static char *snapshot_text(void)
{
	/* a realistic snapshot: a few events, as the fleet stores them */
	static char buf[2200];
	size_t n = 0;
	n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"carrier\":\"yamato\",\"tracking_number\":\"x\",\"events\":[");
	while (n < 2000)
		n += (size_t)snprintf(buf + n, sizeof buf - n,
		                      "{\"time\":\"2026-12-02T10:41:00+09:00\",\"status\":\"in_transit\",\"location\":\"作業店\"},");
	snprintf(buf + n - 1, sizeof buf - n + 1, "]}");
	return buf;
}

/* ------------------------------------------------------------ 1. store */

struct store_result {
	double pick_us, save_us, bare_pick_us, bare_save_us;
};

static int fill_store(const char *path, long n)
{
	tsk_test_remove_db(path);
	tsk__store *st = NULL;
	tsk_error err;
	if (tsk__store_sqlite.open(&st, path, &err) != TSK_OK) {
		fprintf(stderr, "%s\n", err.message);
		return -1;
	}
	/* adding is not what is measured: one transaction for the lot */
	sqlite3 *db = NULL;
	sqlite3_open(path, &db);
	sqlite3_busy_timeout(db, 5000);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_stmt *q = NULL;
	sqlite3_prepare_v2(db, "INSERT INTO shipments (number, carrier, reference, locale, state, added_at, next_poll,"
	                       " status, exceptions, probes) VALUES (?, 'yamato', ?, 'ja', 0, 1000, ?, 0, 0, 0)",
	                   -1, &q, NULL);
	for (long i = 0; i < n; i++) {
		char number[24], ref[32];
		number_of(number, i);
		snprintf(ref, sizeof ref, "order-%ld", i);
		sqlite3_bind_text(q, 1, number, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, ref, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 3, 1000 + i % 5000); /* spread over time, every one due at 10,000 */
		sqlite3_step(q);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	st->ops->close(st);
	return 0;
}

/* One round on the store: pick and save `work` due shipments; per-shipment µs. */
static void store_round(tsk__store *st, long work, int64_t now, double *pick_us, double *save_us)
{
	const char *snap = snapshot_text();
	tsk_error err;
	double pick = 0, save = 0;
	for (long done = 0; done < work;) {
		tsk__store_rec *recs = NULL;
		size_t k = 0;
		double t0 = bench_wall_now();
		st->ops->due(st, now, INT64_MIN, 0, 200, &recs, &k, &err);
		pick += bench_wall_now() - t0;
		for (size_t i = 0; i < k; i++) {
			free(recs[i].snapshot);
			recs[i].snapshot = strdup(snap);
			recs[i].next_poll = now + 100000; /* polled: no longer due */
			recs[i].status = TSK_STATUS_IN_TRANSIT;
			char json[600];
			snprintf(json, sizeof json, "{\"schema\":1,\"id\":\"%032ld\",\"kind\":\"shipped\",\"reference\":\"%s\"}",
			         (long)recs[i].id, recs[i].reference);
			tsk__store_note note;
			snprintf(note.id, sizeof note.id, "%032ld", (long)recs[i].id);
			note.json = json;
			size_t written;
			t0 = bench_wall_now();
			st->ops->save(st, &recs[i], &note, 1, now, &written, &err);
			save += bench_wall_now() - t0;
			tsk__store_rec_dispose(&recs[i]);
		}
		free(recs);
		done += (long)k;
		if (!k)
			break;
	}
	*pick_us = pick / (double)work * 1e6;
	*save_us = save / (double)work * 1e6;
}

/* The same round on a bare table: indexed SELECT … LIMIT 200, one UPDATE per transaction. */
static void bare_round(sqlite3 *db, sqlite3_stmt *sel, sqlite3_stmt *upd, long work, int64_t now, double *pick_us,
                       double *save_us)
{
	const char *snap = snapshot_text();
	double pick = 0, save = 0;
	for (long done = 0; done < work;) {
		int64_t ids[200];
		size_t k = 0;
		double t0 = bench_wall_now();
		sqlite3_bind_int64(sel, 1, now);
		while (k < 200 && sqlite3_step(sel) == SQLITE_ROW)
			ids[k++] = sqlite3_column_int64(sel, 0);
		sqlite3_reset(sel);
		pick += bench_wall_now() - t0;
		for (size_t i = 0; i < k; i++) {
			t0 = bench_wall_now();
			sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
			sqlite3_bind_int64(upd, 1, now + 100000);
			sqlite3_bind_text(upd, 2, snap, -1, SQLITE_STATIC);
			sqlite3_bind_int64(upd, 3, ids[i]);
			sqlite3_step(upd);
			sqlite3_reset(upd);
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			save += bench_wall_now() - t0;
		}
		done += (long)k;
		if (!k)
			break;
	}
	*pick_us = pick / (double)work * 1e6;
	*save_us = save / (double)work * 1e6;
}

static void bench_store(long n, struct store_result *r)
{
	char path[400];
	snprintf(path, sizeof path, "%s/store-%ld.db", dir, n);
	if (fill_store(path, n) != 0)
		return;
	tsk__store *st = NULL;
	tsk_error err;
	tsk__store_sqlite.open(&st, path, &err);
	sqlite3 *db = NULL;
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	                 "CREATE TABLE bare (id INTEGER PRIMARY KEY, next INTEGER, body TEXT);"
	                 "CREATE INDEX bare_next ON bare(next);"
	                 "INSERT INTO bare (id, next) SELECT id, 1000 + (id % 5000) FROM shipments;",
	             NULL, NULL, NULL);
	sqlite3_stmt *sel = NULL, *upd = NULL;
	sqlite3_prepare_v2(db, "SELECT id, next, body FROM bare WHERE next <= ? ORDER BY next LIMIT 200", -1, &sel, NULL);
	sqlite3_prepare_v2(db, "UPDATE bare SET next = ?, body = ? WHERE id = ?", -1, &upd, NULL);
	const long work = n < 1000 ? n : 1000 / 5; /* 200 shipments per round: the 1,000 fleet holds 5 rounds */
	int rounds = bench_rounds() < 4 ? bench_rounds() : 4;
	double p[8], s[8], bp[8], bs[8], junk;
	store_round(st, work, 10000, &junk, &junk); /* warm-up, not counted */
	bare_round(db, sel, upd, work, 10000, &junk, &junk);
	for (int i = 0; i < rounds; i++) {
		/* interleaved, so both see the same machine */
		store_round(st, work, 10000, &p[i], &s[i]);
		bare_round(db, sel, upd, work, 10000, &bp[i], &bs[i]);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_close(db);
	st->ops->close(st);
	r->pick_us = bench_median(p, (size_t)rounds);
	r->save_us = bench_median(s, (size_t)rounds);
	r->bare_pick_us = bench_median(bp, (size_t)rounds);
	r->bare_save_us = bench_median(bs, (size_t)rounds);
}

/* ------------------------------------------------------------- 2. RSS */

static char sim_url[3][200];

static void set_endpoints(const tsk_sim *sim)
{
	tsk_sim_url(sim, "/yamato/cgi-bin/tneko", sim_url[0], sizeof sim_url[0]);
	tsk_sim_url(sim, "/sagawa/p/web/okurijosearch.do", sim_url[1], sizeof sim_url[1]);
	tsk_sim_url(sim, "/japanpost/services/srv/search/direct", sim_url[2], sizeof sim_url[2]);
}

/* Run `tsuiseki run --once` on a database; peak RSS in KiB, wall seconds. */
static long run_rss(const char *db, double *secs)
{
	double t0 = bench_wall_now();
	pid_t pid = fork();
	if (pid == 0) {
		setenv("TSUISEKI_ENDPOINT_YAMATO", sim_url[0], 1);
		setenv("TSUISEKI_ENDPOINT_SAGAWA", sim_url[1], 1);
		setenv("TSUISEKI_ENDPOINT_JAPANPOST", sim_url[2], 1);
		freopen("/dev/null", "w", stderr);
		execl(getenv("TSK_CLI"), "tsuiseki", "run", "--once", "--db", db, "--now", "2026-12-03T12:00:00+09:00",
		      (char *)NULL);
		_exit(127);
	}
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) != pid)
		return -1;
	*secs = bench_wall_now() - t0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? ru.ru_maxrss : -1;
}

/* ------------------------------------------------ 3. requests per shipment */

/* The page a shipment of the scripted lifecycle shows at a virtual time. */
static const struct {
	const char *from, *page;
} script[] = {
	{ "2026-12-02T22:00:00+09:00", "life_1.html" },
	{ "2026-12-03T09:30:00+09:00", "life_2.html" },
	{ "2026-12-03T12:10:00+09:00", "life_3.html" },
	{ "2026-12-03T18:00:00+09:00", "life_4.html" },
	{ "2026-12-04T10:15:00+09:00", "life_5.html" },
};

static const char *page_at(int64_t t)
{
	const char *page = script[0].page;
	for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
		tsk_time from;
		tsk_time_parse_rfc3339(&from, script[i].from);
		if (t >= from.epoch)
			page = script[i].page;
	}
	return page;
}

/* Serve the page of time t to every number (the route's template fills the number). */
static void show_page(const char *root, int64_t t)
{
	char dst[600];
	snprintf(dst, sizeof dst, "%s/page.html", root);
	tsk_life_page(page_at(t), dst);
}

static long sim_requests(const tsk_sim *sim)
{
	char *stats = tsk_sim_fetch(sim, "/_stats");
	long n = stats ? strtol(stats + strlen("requests "), NULL, 10) : -1;
	free(stats);
	return n;
}

static tsk_ctx *bench_ctx(void)
{
	tsk_ctx *ctx = NULL;
	tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT);
	tsk_ctx_set_endpoint(ctx, "yamato", sim_url[0]);
	tsk_ctx_set_endpoint(ctx, "sagawa", sim_url[1]);
	tsk_ctx_set_endpoint(ctx, "japanpost", sim_url[2]);
	return ctx;
}

#define LIFE_N 20

static void lifecycle(const char *root, const tsk_sim *sim, long *fleet_req, long *fleet_polls, long *watch_req,
                      long *watch_polls)
{
	tsk_time start, end;
	tsk_time_parse_rfc3339(&start, script[0].from);
	tsk_time_parse_rfc3339(&end, "2026-12-05T12:00:00+09:00");
	char numbers[LIFE_N][24];
	const char *nums[LIFE_N];
	for (int i = 0; i < LIFE_N; i++) {
		number_of(numbers[i], 900000 + i);
		nums[i] = numbers[i];
	}
	/* the fleet */
	tsk_ctx *ctx = bench_ctx();
	tsk_fleet *f = NULL;
	tsk_ctx_set_now(ctx, &start);
	tsk_fleet_open(&f, ctx, "memory:");
	for (int i = 0; i < LIFE_N; i++)
		tsk_fleet_add(f, nums[i], "auto", NULL, "ja");
	tsk_sim_reset(sim);
	*fleet_polls = 0;
	for (tsk_time t = start; t.epoch < end.epoch;) {
		show_page(root, t.epoch);
		tsk_ctx_set_now(ctx, &t);
		tsk_fleet_run_stats st;
		tsk_fleet_run(f, NULL, TSK_FLEET_RUN_ONCE, &st);
		*fleet_polls += (long)st.polled;
		tsk_time next;
		tsk_fleet_next_due(&next, NULL, f);
		if (!tsk_time_is_set(&next))
			break;
		t.epoch = next.epoch > t.epoch ? next.epoch : t.epoch + 60;
	}
	*fleet_req = sim_requests(sim);
	tsk_fleet_free(f);
	tsk_ctx_free(ctx);

	/* the old watch: every number every round, a round at the earliest
	 * next poll but at least every 900 s, until all are final */
	ctx = bench_ctx();
	tsk_sim_reset(sim);
	*watch_polls = 0;
	tsk_shipment_list *state = NULL;
	for (tsk_time t = start; t.epoch < end.epoch;) {
		show_page(root, t.epoch);
		tsk_ctx_set_now(ctx, &t);
		tsk_shipment_list *fresh = NULL;
		tsk_track_batch(&fresh, ctx, NULL, nums, LIFE_N, state);
		*watch_polls += LIFE_N;
		tsk_shipment_list_free(state);
		state = fresh;
		int64_t wake = t.epoch + 900;
		bool all_final = true;
		for (size_t i = 0; i < tsk_shipment_list_count(state); i++) {
			const tsk_shipment *s = tsk_shipment_list_at(state, i);
			tsk_status stt = tsk_shipment_status(s);
			if (stt == TSK_STATUS_DELIVERED || stt == TSK_STATUS_RETURNED_TO_SENDER)
				continue;
			all_final = false;
			const tsk_time *np = tsk_shipment_next_poll(s);
			if (np && np->epoch < wake)
				wake = np->epoch;
		}
		if (all_final)
			break;
		t.epoch = wake > t.epoch ? wake : t.epoch + 1;
	}
	tsk_shipment_list_free(state);
	*watch_req = sim_requests(sim);
	tsk_ctx_free(ctx);
}

int main(void)
{
	if (!getenv("TSK_SIM") || !getenv("TSK_CLI") || !getenv("TSK_TEST_DATA")) {
		fprintf(stderr, "bench_fleet: TSK_SIM, TSK_CLI and TSK_TEST_DATA must be set\n");
		return 1;
	}
	long max = getenv("TSK_BENCH_FLEET_MAX") ? atol(getenv("TSK_BENCH_FLEET_MAX")) : 100000;
	snprintf(dir, sizeof dir, "%s/tsk-bench-fleet-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;

	printf("1. SQLite store: wall time per shipment (median of up to 4 rounds of 200 due shipments picked and saved, a warm-up first; the bare table interleaved)\n");
	printf("%10s %10s %10s %10s %10s %10s %10s %10s %10s\n", "shipments", "pick us", "bare", "save us", "bare",
	       "pick/bare", "save/bare", "pick/1k", "save/1k");
	struct store_result first = { 0, 0, 0, 0 };
	for (long n = 1000; n <= max; n *= 10) {
		struct store_result r = { 0, 0, 0, 0 };
		bench_store(n, &r);
		if (n == 1000)
			first = r;
		printf("%10ld %10.2f %10.2f %10.1f %10.1f %10.2f %10.2f %10.2f %10.2f\n", n, r.pick_us, r.bare_pick_us,
		       r.save_us, r.bare_save_us, r.pick_us / r.bare_pick_us, r.save_us / r.bare_save_us,
		       r.pick_us / first.pick_us, r.save_us / first.save_us);
		fflush(stdout);
	}

	/* the simulator over a root of its own: one templated page for every number */
	char routes[400], page[400];
	snprintf(routes, sizeof routes, "%s/routes", dir);
	FILE *rf = fopen(routes, "w");
	fputs("yamato * page.html text/html; charset=UTF-8 template\n"
	      "sagawa * sagawa_not_found.html text/html; charset=UTF-8 template\n"
	      "japanpost * japanpost_not_found.html text/html; charset=UTF-8 template\n", rf);
	fclose(rf);
	static const char *const none[] = { "sagawa_not_found.html", "japanpost_not_found.html" };
	for (int i = 0; i < 2; i++) {
		char src[600];
		size_t len;
		snprintf(src, sizeof src, "%s/sim/%s", getenv("TSK_TEST_DATA"), none[i]);
		snprintf(page, sizeof page, "%s/%s", dir, none[i]);
		char *body = bench_slurp(src, &len);
		FILE *pf = fopen(page, "w");
		if (body && pf)
			fwrite(body, 1, len, pf);
		if (pf)
			fclose(pf);
		free(body);
	}
	show_page(dir, 0);
	tsk_sim *sim = tsk_sim_start(getenv("TSK_SIM"), dir);
	if (!sim)
		return 1;
	set_endpoints(sim);

	printf("\n2. Peak RSS of `tsuiseki run --once` (all due, answered through the simulator)\n");
	char empty[400], big[400];
	snprintf(empty, sizeof empty, "%s/empty.db", dir);
	fill_store(empty, 0);
	double secs = 0;
	long base = run_rss(empty, &secs);
	printf("%10s %10ld KiB  (baseline: the process and an empty fleet)\n", "0", base);
	snprintf(big, sizeof big, "%s/store-%ld.db", dir, max);
	fill_store(big, max);
	long rss = run_rss(big, &secs);
	printf("%10ld %10ld KiB  %.1f s, %.0f shipments/s (mark: <= 64 MiB)\n", max, rss, secs, (double)max / secs);

	printf("\n3. Requests per shipment over a scripted lifecycle (%d shipments, auto, 36 h)\n", LIFE_N);
	long fr, fp, wr, wp;
	lifecycle(dir, sim, &fr, &fp, &wr, &wp);
	printf("%16s %10s %10s %14s\n", "", "requests", "polls", "req/shipment");
	printf("%16s %10ld %10ld %14.2f\n", "fleet", fr, fp, (double)fr / LIFE_N);
	printf("%16s %10ld %10ld %14.2f\n", "old watch", wr, wp, (double)wr / LIFE_N);
	printf("%16s %10.1fx fewer requests\n", "ratio", (double)wr / (double)(fr ? fr : 1));
	tsk_sim_stop(sim);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return 0;
}
