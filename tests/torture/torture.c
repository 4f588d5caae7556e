/*
 * Allocation torture, in the manner of curl's: run a piece of work once to
 * count its allocations, then again failing the Nth allocation, for every N
 * (or every Nth N on long inputs). Every run must end with TSK_ENOMEM or
 * with the very answer of the clean run, with no crash, no leak and no
 * hang (an alarm kills a run that hangs).
 *
 * Allocations are seen through the linker (-Wl,--wrap=malloc,... for the
 * library's own code, which is linked in statically), through libxml2's
 * xmlMemSetup, through yajl's allocator table (lib/jsonmem.h, which calls
 * malloc from the library) and through curl_global_init_mem. Every live
 * block is kept in a table, so a run that leaks is told by the blocks it
 * leaves behind.
 *
 * Usage: torture [SCENARIO...]; TSK_TORTURE_STRIDE=1 runs every point of
 * every scenario (on demand: minutes).
 */
#define _GNU_SOURCE
#include "tsuiseki.h"
#include "context.h"
#include "mappings.h"
#include "model.h"
#include "timeline.h"
#include "simctl.h"

#include <curl/curl.h>
#include <execinfo.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ the shim */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool armed;            /* count (and maybe fail) allocations */
static size_t seen;           /* allocations while armed */
static size_t fail_at;        /* 1-based; 0 = fail none */
static bool failed_one;       /* the failure was injected in this run */
static bool trace;            /* print where the failure is injected */
static void *fail_frames[24]; /* where it was injected */
static int nfail_frames;
enum { FROM_OWN = 0, FROM_XML = 1, FROM_CURL = 2 };
static int origin;            /* who is allocating (set by the hooks) */
static unsigned char *origins; /* origin of each allocation of the clean run */
static size_t norigins;

/* live blocks: open addressing, deleted slots marked */
#define TABLE_BITS 21
#define TABLE_SIZE ((size_t)1 << TABLE_BITS)
#define DELETED ((void *)1)
static void **table;
static size_t live;

static size_t slot_of(void *p)
{
	uintptr_t x = (uintptr_t)p;
	x ^= x >> 17;
	x *= 0x9E3779B97F4A7C15ull;
	return (size_t)(x >> (64 - TABLE_BITS));
}

static void track_add(void *p)
{
	if (!table)
		table = __real_calloc(TABLE_SIZE, sizeof *table);
	for (size_t i = slot_of(p);; i = (i + 1) & (TABLE_SIZE - 1)) {
		if (!table[i] || table[i] == DELETED) {
			table[i] = p;
			live++;
			return;
		}
	}
}

static void track_del(void *p)
{
	if (!table || !p)
		return;
	for (size_t i = slot_of(p); table[i]; i = (i + 1) & (TABLE_SIZE - 1)) {
		if (table[i] == p) {
			table[i] = DELETED;
			live--;
			return;
		}
	}
}

static bool should_fail(void)
{
	if (!armed)
		return false;
	seen++;
	if (fail_at == 0) {
		unsigned char *o = seen > norigins ? __real_realloc(origins, seen) : origins;
		if (o) {
			origins = o;
			origins[seen - 1] = (unsigned char)origin;
			if (seen > norigins)
				norigins = seen;
		}
	}
	if (fail_at && seen == fail_at) {
		failed_one = true;
		nfail_frames = backtrace(fail_frames, 24);
		if (trace)
			backtrace_symbols_fd(fail_frames, nfail_frames, 2);
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	pthread_mutex_lock(&lock);
	void *p = should_fail() ? NULL : __real_malloc(n);
	if (p)
		track_add(p);
	pthread_mutex_unlock(&lock);
	return p;
}

void *__wrap_calloc(size_t n, size_t m)
{
	pthread_mutex_lock(&lock);
	void *p = should_fail() ? NULL : __real_calloc(n, m);
	if (p)
		track_add(p);
	pthread_mutex_unlock(&lock);
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	pthread_mutex_lock(&lock);
	void *q = should_fail() ? NULL : __real_realloc(p, n);
	if (q) {
		track_del(p);
		track_add(q);
	}
	pthread_mutex_unlock(&lock);
	return q;
}

void __wrap_free(void *p)
{
	pthread_mutex_lock(&lock);
	track_del(p);
	pthread_mutex_unlock(&lock);
	__real_free(p);
}

static char *shim_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = __wrap_malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* libxml2's and libcurl's allocations: the same shim, their origin noted */
static void *xml_malloc(size_t n)
{
	origin = FROM_XML;
	void *p = __wrap_malloc(n);
	origin = FROM_OWN;
	return p;
}
static void *xml_realloc(void *p, size_t n)
{
	origin = FROM_XML;
	void *q = __wrap_realloc(p, n);
	origin = FROM_OWN;
	return q;
}
static char *xml_strdup(const char *s)
{
	origin = FROM_XML;
	char *p = shim_strdup(s);
	origin = FROM_OWN;
	return p;
}
static void *curl_malloc(size_t n)
{
	origin = FROM_CURL;
	void *p = __wrap_malloc(n);
	origin = FROM_OWN;
	return p;
}
static void *curl_realloc(void *p, size_t n)
{
	origin = FROM_CURL;
	void *q = __wrap_realloc(p, n);
	origin = FROM_OWN;
	return q;
}
static void *curl_calloc(size_t n, size_t m)
{
	origin = FROM_CURL;
	void *p = __wrap_calloc(n, m);
	origin = FROM_OWN;
	return p;
}
static char *curl_strdup(const char *s)
{
	origin = FROM_CURL;
	char *p = shim_strdup(s);
	origin = FROM_OWN;
	return p;
}

static size_t live_now(void)
{
	pthread_mutex_lock(&lock);
	size_t n = live;
	pthread_mutex_unlock(&lock);
	return n;
}

/* ------------------------------------------------------------ scenarios */

struct scenario {
	const char *name;
	const char *arg;     /* page, file or carrier */
	const char *arg2;
	bool full;           /* every point, whatever its count */
	/* prepare (not counted), work (counted), answer (not counted), clean */
	void (*prepare)(struct scenario *sc);
	int (*work)(struct scenario *sc);
	char *(*answer)(struct scenario *sc);
	void (*clean)(struct scenario *sc);
	/* state */
	tsk_ctx *ctx;
	char *data;
	size_t len;
	tsk_shipment_list *list, *previous;
	tsk_shipment *fresh;
	char *text;
};

static const char *data_dir(void)
{
	const char *d = getenv("TSK_TEST_DATA");
	return d && *d ? d : "tests/data";
}

static char *read_data(const char *rel, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", rel[0] == '/' ? "" : data_dir(), rel);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "torture: cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = __real_malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static tsk_ctx *new_ctx(unsigned flags)
{
	tsk_ctx *ctx;
	if (tsk_ctx_new(&ctx, flags | TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		exit(2);
	const char *maps = getenv("TSK_TEST_MAPPINGS");
	if (maps && !(flags & TSK_CTX_NO_DEFAULT_CARRIERS))
		tsk__rest_load_dir(ctx, maps, true); /* replace an installed copy */
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2026-12-03T12:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);
	return ctx;
}

static char *dump(const tsk_shipment_list *l)
{
	char *json = NULL;
	if (tsk_shipment_list_to_json(&json, NULL, l, TSK_JSON_SNAPSHOT) != TSK_OK)
		return NULL;
	return json;
}

/* parse: a saved page or API answer through its adapter */
static tsk_ctx *shared_ctx; /* one context for the parse scenarios (it loads mappings) */

static void parse_prepare(struct scenario *sc)
{
	sc->ctx = new_ctx(0);
	if (!sc->data)
		sc->data = read_data(sc->arg2, &sc->len);
}
static int parse_work(struct scenario *sc)
{
	return tsk_parse(&sc->list, sc->ctx, sc->arg, sc->data, sc->len,
	                 strstr(sc->arg2, ".json") ? "application/json" : "text/html");
}
static char *list_answer(struct scenario *sc)
{
	return dump(sc->list);
}
static void list_clean(struct scenario *sc)
{
	tsk_shipment_list_free(sc->list);
	sc->list = NULL;
	tsk_shipment_list_free(sc->previous);
	sc->previous = NULL;
	tsk_shipment_free(sc->fresh);
	sc->fresh = NULL;
	tsk_free(sc->text);
	sc->text = NULL;
	if (sc->ctx != shared_ctx)
		tsk_ctx_free(sc->ctx);
	sc->ctx = NULL;
}

/* dump: a parsed list to JSON */
static void dump_prepare(struct scenario *sc)
{
	parse_prepare(sc);
	if (parse_work(sc) != TSK_OK)
		exit(2);
}
static int dump_work(struct scenario *sc)
{
	return tsk_shipment_list_to_json(&sc->text, NULL, sc->list, TSK_JSON_SNAPSHOT);
}
static char *text_answer(struct scenario *sc)
{
	return sc->text ? strdup(sc->text) : NULL;
}

/* load: that JSON back */
static void load_prepare(struct scenario *sc)
{
	dump_prepare(sc);
	if (dump_work(sc) != TSK_OK)
		exit(2);
	tsk_shipment_list_free(sc->list);
	sc->list = NULL;
}
static int load_work(struct scenario *sc)
{
	tsk_error err;
	return tsk_shipment_list_from_json(&sc->list, sc->text, strlen(sc->text), &err);
}

/* merge: a page's first shipment onto the same page parsed with fewer events */
static void merge_prepare(struct scenario *sc)
{
	dump_prepare(sc);
	const tsk_shipment *s = tsk_shipment_list_at(sc->list, 0);
	tsk_shipment_list_new(&sc->previous);
	tsk_shipment *prev = NULL;
	tsk_shipment_dup(&prev, s);
	/* the previous poll knew the events but the last */
	if (prev->nevents > 1)
		tsk_event_free(prev->events.list[--prev->nevents]);
	tsk_shipment_list_append(sc->previous, prev);
	tsk_shipment_dup(&sc->fresh, s);
	/* the fresh page shows the last two only */
	while (sc->fresh->nevents > 2) {
		tsk_event_free(sc->fresh->events.list[0]);
		memmove(sc->fresh->events.list, sc->fresh->events.list + 1, --sc->fresh->nevents * sizeof *sc->fresh->events.list);
	}
	tsk_shipment_list_free(sc->list);
	sc->list = NULL;
}
static int merge_work(struct scenario *sc)
{
	return tsk__timeline_merge(sc->fresh, tsk_shipment_list_at(sc->previous, 0));
}
static char *merge_answer(struct scenario *sc)
{
	char *json = NULL;
	if (tsk_shipment_to_json(&json, NULL, sc->fresh, TSK_JSON_SNAPSHOT) != TSK_OK)
		return NULL;
	return json;
}

/* mapping: load a shipped mapping into a context */
static void mapping_prepare(struct scenario *sc)
{
	sc->ctx = new_ctx(TSK_CTX_NO_DEFAULT_CARRIERS);
	if (!sc->data)
		sc->data = read_data(sc->arg2, &sc->len);
}
static int mapping_work(struct scenario *sc)
{
	return tsk_ctx_load_mapping_string(sc->ctx, sc->data, sc->len, "aftership.json");
}
static char *mapping_answer(struct scenario *sc)
{
	const tsk_adapter *a = tsk_ctx_carrier(sc->ctx, sc->arg);
	char buf[512];
	snprintf(buf, sizeof buf, "%s %s %zu", a ? a->name : "-", a ? tsk_ctx_endpoint(sc->ctx, a->name) : "-",
	         tsk_ctx_mapping_error_count(sc->ctx));
	return strdup(buf);
}

/* batch: three numbers through libcurl and the simulator */
static tsk_sim *sim;
static void batch_prepare(struct scenario *sc)
{
	sc->ctx = new_ctx(0);
	char url[512];
	tsk_ctx_set_endpoint(sc->ctx, "yamato", tsk_sim_url(sim, "/yamato", url, sizeof url));
	tsk_ctx_set_option(sc->ctx, TSK_OPT_RETRY_BASE_MS, 1);
}
static int batch_work(struct scenario *sc)
{
	static const char *const numbers[] = { "225303415632", "225303549181", "225305292332" };
	return tsk_track_batch(&sc->list, sc->ctx, "yamato", numbers, 3, NULL);
}

/*
 * A batch reports an allocation failure on the numbers it hit, as their
 * error (out_of_memory), and goes on with the others: its answer is one line
 * per shipment, the line of a number that ran out of memory just "ENOMEM".
 */
static char *batch_answer(struct scenario *sc)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < tsk_shipment_list_count(sc->list); i++) {
		const tsk_shipment *s = tsk_shipment_list_at(sc->list, i);
		char *json = NULL;
		if (tsk_shipment_error(s) == TSK_ENOMEM) {
			fputs("ENOMEM\n", f);
		} else if (tsk_shipment_to_json(&json, NULL, s, TSK_JSON_SNAPSHOT) == TSK_OK) {
			fprintf(f, "%s\n", json);
			free(json);
		} else {
			fclose(f);
			free(out);
			return NULL;
		}
	}
	fclose(f);
	return out;
}

/*
 * The answer of a run that failed allocation n, against the clean one:
 * 1 the same, 0 out of memory where it was told (every other line the
 * same), -1 wrong.
 */
static int judge(const char *want, const char *got)
{
	if (strcmp(want, got) == 0)
		return 1;
	bool told = false;
	while (*want && *got) {
		const char *we = strchr(want, '\n'), *ge = strchr(got, '\n');
		if (!we || !ge)
			return -1;
		if (ge - got == 6 && strncmp(got, "ENOMEM", 6) == 0)
			told = true;
		else if (we - want != ge - got || strncmp(want, got, (size_t)(we - want)) != 0)
			return -1;
		want = we + 1;
		got = ge + 1;
	}
	return !*want && !*got && told ? 0 : -1;
}

/*
 * libxml2 2.9 seeds its dictionaries from the clock, so the allocation
 * points of the HTML scenarios move a little between runs and a stride
 * lands on other points each time: every run is judged on its own.
 */
/* the run state of each row starts zeroed */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static struct scenario scenarios[] = {
	{ "parse-yamato-today", "yamato", "yamato/synthetic_2019_failed_attempt_redelivery.html", false,
	  parse_prepare, parse_work, list_answer, list_clean },
	{ "parse-yamato-2009", "yamato", "yamato/yamato_2009_single_delivered_timeservice.html", false,
	  parse_prepare, parse_work, list_answer, list_clean },
	{ "parse-sagawa", "sagawa", "sagawa/synthetic_2022_out_for_delivery.html", false,
	  parse_prepare, parse_work, list_answer, list_clean },
	{ "parse-japanpost", "japanpost", "japanpost/japanpost_2009_list2_delivered.html", false,
	  parse_prepare, parse_work, list_answer, list_clean },
	{ "parse-rest", "rest:aftership", "rest/aftership_v4_usps_in_transit_after_failed_attempt.json", false,
	  parse_prepare, parse_work, list_answer, list_clean },
	{ "parse-short-page", "yamato", "yamato/synthetic_2019_not_registered.html", true,
	  parse_prepare, parse_work, list_answer, list_clean },
	{ "merge", "yamato", "yamato/yamato_2009_multi3_absence_redelivery.html", true,
	  merge_prepare, merge_work, merge_answer, list_clean },
	{ "dump", "yamato", "yamato/yamato_2009_multi3_absence_redelivery.html", true,
	  dump_prepare, dump_work, text_answer, list_clean },
	{ "load", "yamato", "yamato/yamato_2009_multi3_absence_redelivery.html", false,
	  load_prepare, load_work, list_answer, list_clean },
	{ "mapping", "rest:aftership", "", false, mapping_prepare, mapping_work, mapping_answer, list_clean },
	{ "batch", "yamato", "", false, batch_prepare, batch_work, batch_answer, list_clean },
};

/* ------------------------------------------------------------- the runs */

static const char *current = "";
static char last_message[512];
static unsigned hang_seconds = 10;
static size_t current_n;

static void on_alarm(int sig)
{
	(void)sig;
	char msg[256];
	int n = snprintf(msg, sizeof msg, "torture: %s: failing allocation %zu hangs\n", current, current_n);
	if (n > 0)
		(void)!write(2, msg, (size_t)n);
	_exit(3);
}

/* One run; returns the answer (NULL when the work failed) and its code. */
static char *run(struct scenario *sc, size_t n, int *rc_out, size_t *count_out, size_t *leaked)
{
	sc->prepare(sc);
	size_t before = live_now();
	current_n = n;
	alarm(hang_seconds);
	pthread_mutex_lock(&lock);
	seen = 0;
	nfail_frames = 0;
	fail_at = n;
	failed_one = false;
	armed = true;
	pthread_mutex_unlock(&lock);
	int rc = sc->work(sc);
	snprintf(last_message, sizeof last_message, "%s", sc->ctx ? tsk_ctx_last_error(sc->ctx) : "");
	pthread_mutex_lock(&lock);
	armed = false;
	*count_out = seen;
	pthread_mutex_unlock(&lock);
	alarm(0);
	char *answer = rc == TSK_OK ? sc->answer(sc) : NULL;
	if (rc == TSK_OK && !answer) {
		fprintf(stderr, "torture: %s: no answer from a successful run\n", sc->name);
		exit(2);
	}
	sc->clean(sc);
	xmlResetLastError();
	size_t after = live_now();
	*leaked = after > before ? after - before : 0;
	*rc_out = rc;
	return answer;
}

/* What a run in a child process came to (its exit code). */
enum { CHILD_OK = 0, CHILD_LEAK = 4, CHILD_WRONG = 5, CHILD_HANG = 3 };

/*
 * libxml2 2.9 has out-of-memory paths of its own that crash (a NULL it
 * does not check, in the HTML parser's input switching and in XPath
 * compilation) or leak. Where the failing allocation is libxml2's, the run
 * goes in a child process, and a crash or a leak there is counted as a
 * known exception of libxml2 and printed; a wrong answer is never excused,
 * and every failure of the library's own allocations runs in process, so
 * any crash of ours fails the test outright. The counts measured on Debian
 * 12 (libxml2 2.9.14) are in README.md ("Allocation failures").
 */
static int torture(struct scenario *sc, size_t stride_env, bool under_valgrind)
{
	current = sc->name;
	int rc;
	size_t total, leaked;
	/* a warm-up run: one-time initialisations are not leaks */
	free(run(sc, 0, &rc, &total, &leaked));
	norigins = 0;
	char *want = run(sc, 0, &rc, &total, &leaked);
	if (rc != TSK_OK || leaked) {
		fprintf(stderr, "torture: %s: the clean run fails (%d) or leaks (%zu)\n", sc->name, rc, leaked);
		return 1;
	}
	size_t limit = under_valgrind ? 10 : 150;
	size_t stride = stride_env ? stride_env : sc->full ? 1 : (total + limit - 1) / limit;
	if (stride == 0)
		stride = 1;
	size_t runs = 0, nomem = 0, same = 0, bad = 0, leaks = 0, leaked_blocks = 0;
	size_t xml_crash = 0, xml_leak = 0, xml_hang = 0, skipped = 0;
	/* TSK_TORTURE_AT=N: that point alone, in process, with the stack of the failure */
	const char *at = getenv("TSK_TORTURE_AT");
	size_t only = at ? strtoul(at, NULL, 10) : 0;
	trace = only != 0;
	const char *from = getenv("TSK_TORTURE_FROM");
	for (size_t n = only ? only : from ? strtoul(from, NULL, 10) : 1; n <= total && (!only || n == only); n += (n < 16 ? 1 : stride)) {
		bool xml = n <= norigins && origins[n - 1] == FROM_XML;
		size_t count;
		if (xml && !only) {
			if (under_valgrind) { /* valgrind would report libxml2's own faults as ours */
				skipped++;
				continue;
			}
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				int err_fd = dup(2);
				int devnull = open("/dev/null", O_WRONLY);
				if (devnull >= 0)
					dup2(devnull, 2);
				char *g = run(sc, n, &rc, &count, &leaked);
				int code = rc == TSK_ENOMEM || (rc == TSK_OK && g && judge(want, g) >= 0) ? CHILD_OK : CHILD_WRONG;
				if (code == CHILD_WRONG && err_fd >= 0)
					dprintf(err_fd, "torture: %s: failing allocation %zu: %s: %s\n", sc->name, n,
					        rc == TSK_OK ? "success with another answer" : tsk_error_name(rc),
					        rc == TSK_OK ? "" : last_message);
				if (code == CHILD_OK && leaked)
					code = CHILD_LEAK;
				_exit(code);
			}
			int st = 0;
			waitpid(pid, &st, 0);
			runs++;
			if (!WIFEXITED(st) || (WEXITSTATUS(st) != CHILD_OK && WEXITSTATUS(st) != CHILD_LEAK &&
			                       WEXITSTATUS(st) != CHILD_WRONG && WEXITSTATUS(st) != CHILD_HANG)) {
				xml_crash++;
				fprintf(stderr, "torture: %s: failing allocation %zu (libxml2's) of %zu crashes inside "
				        "libxml2 (TSK_TORTURE_AT=%zu shows it)\n", sc->name, n, total, n);
			} else if (WEXITSTATUS(st) == CHILD_HANG) {
				xml_hang++;
			} else if (WEXITSTATUS(st) == CHILD_LEAK) {
				xml_leak++;
			} else if (WEXITSTATUS(st) == CHILD_WRONG) {
				bad++;
				fprintf(stderr, "torture: %s: failing allocation %zu (libxml2's) of %zu: a wrong answer "
				        "(TSK_TORTURE_AT=%zu shows it)\n", sc->name, n, total, n);
			}
			continue;
		}
		char *got = run(sc, n, &rc, &count, &leaked);
		runs++;
		int verdict = rc == TSK_OK && got ? judge(want, got) : -1;
		if (rc == TSK_ENOMEM || verdict == 0) {
			nomem++;
		} else if (verdict == 1) {
			same++;
		} else {
			bad++;
			if (bad <= 5)
				fprintf(stderr, "torture: %s: failing allocation %zu of %zu: %s (%d)%s%s\n", sc->name, n,
				        total, rc == TSK_OK ? "success with another answer" : tsk_error_name(rc), rc,
				        rc == TSK_OK ? "" : ", not out_of_memory: ", rc == TSK_OK ? "" : last_message);
			if (bad <= 5 && nfail_frames > 0) {
				fprintf(stderr, "  the failed allocation:\n");
				backtrace_symbols_fd(fail_frames + 2, nfail_frames - 2 < 9 ? nfail_frames - 2 : 9, 2);
			}
			if (bad <= 3 && rc == TSK_OK) {
				size_t d = 0;
				while (want[d] && want[d] == got[d])
					d++;
				d = d > 80 ? d - 80 : 0;
				fprintf(stderr, "  wanted ...%.200s\n  got    ...%.200s\n", want + d, got + d);
			}
		}
		if (leaked) {
			leaks++;
			leaked_blocks += leaked;
			if (leaks <= 5)
				fprintf(stderr, "torture: %s: failing allocation %zu leaks %zu blocks\n", sc->name, n, leaked);
		}
		free(got);
	}
	printf("%-18s %6zu allocations, %4zu runs (every %zu): %zu out_of_memory, %zu same answer, "
	       "%zu wrong, %zu leaking (%zu blocks)",
	       sc->name, total, runs, stride, nomem, same, bad, leaks, leaked_blocks);
	if (xml_crash || xml_hang || xml_leak || skipped)
		printf("; libxml2's own: %zu crash, %zu hang, %zu leak%s", xml_crash, xml_hang, xml_leak,
		       skipped ? " (its points skipped under valgrind)" : "");
	printf("\n");
	free(want);
	/* the short page, at every point, is known to run clean inside libxml2 too */
	return bad || leaks || (sc->full && (xml_crash || xml_hang || xml_leak)) ? 1 : 0;
}

static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int main(int argc, char **argv)
{
	signal(SIGALRM, on_alarm);
	{ /* backtrace() allocates on its first call: before any counting */
		void *frames[4];
		backtrace(frames, 4);
	}
	xmlSetGenericErrorFunc(NULL, silent); /* libxml2's "Memory allocation failed" lines */
	/* every allocation of libxml2 and libcurl goes through the shim too */
	xmlMemSetup(__wrap_free, xml_malloc, xml_realloc, xml_strdup);
	curl_global_init_mem(CURL_GLOBAL_DEFAULT, curl_malloc, __wrap_free, curl_realloc, curl_strdup,
	                     curl_calloc);
	const char *ld = getenv("LD_PRELOAD");
	bool under_valgrind = ld && strstr(ld, "vgpreload");
	const char *st = getenv("TSK_TORTURE_STRIDE");
	size_t stride = st ? strtoul(st, NULL, 10) : 0;

	int failed = 0;
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		struct scenario *sc = &scenarios[i];
		bool wanted = argc < 2;
		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], sc->name) == 0;
		if (!wanted)
			continue;
		if (strcmp(sc->name, "mapping") == 0) {
			char path[4096];
			const char *maps = getenv("TSK_TEST_MAPPINGS");
			snprintf(path, sizeof path, "%s/aftership.json", maps ? maps : "carriers/rest/mappings");
			sc->data = read_data(path, &sc->len);
		}
		if (strcmp(sc->name, "batch") == 0 && !sim) {
			sim = tsk_sim_start(getenv("TSK_SIM"), data_dir());
			if (!sim) {
				fprintf(stderr, "torture: no simulator (TSK_SIM)\n");
				return 2;
			}
		}
		failed |= torture(sc, stride, under_valgrind);
		__real_free(sc->data);
		sc->data = NULL;
	}
	tsk_sim_stop(sim);
	tsk_ctx_free(shared_ctx);
	curl_global_cleanup();
	return failed;
}
