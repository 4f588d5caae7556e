/*
 * End-to-end benchmark: tracking N numbers through the loopback simulator
 * with tsk_track_batch and with the event-loop API (tsuiseki/loop.h),
 * against a bare libcurl multi loop fetching exactly the same requests
 * (built by the same adapters) from the same simulator at the same
 * parallelism, with and without one parse of each answer
 * (tsk__ctx_parse_response, as tracking does). Every number is found: the
 * simulator composes each batch answer number by number from one page per
 * carrier of tests/data, its number made a template (written to a
 * temporary directory with the routes at start).
 *
 * Each run is a fresh child process pinned to CPU 0 (the simulator is
 * pinned to CPU 1), so its CPU time and peak RSS are its own; figures are
 * medians of $TSK_BENCH_ROUNDS rounds (default 5), the four modes
 * interleaved in each round. The simulator's own CPU per run is reported.
 *
 * Usage: bench_e2e [--slow] [SIM [DATA_DIR]] (default $TSK_SIM, $TSK_TEST_DATA)
 *   sizes: $TSK_BENCH_SIZES (default 100,1000,10000); --slow measures
 *   1000 and 100000, and only when TSK_BENCH_SLOW=1 (else it is skipped);
 *   carriers: $TSK_BENCH_CARRIERS (default yamato,sagawa,japanpost,rest;
 *   rest is the README's JSON mapping, tests/data/mappings/myapi.json,
 *   one number per request);
 *   modes: $TSK_BENCH_MODES (default batch,loop,bare,parse; ratios need
 *   parse, the bare transfer with one parse per answer).
 * Run on demand: `meson test -C build --benchmark --verbose e2e`.
 * A table, not a verdict; the marks are printed beside it.
 */
#define _GNU_SOURCE
#include "benchutil.h"
#include "simctl.h"

#include "context.h"
#include "parse.h"
#include "http.h"
#include "request.h"
#include "track.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PARALLEL 4 /* per carrier, tsuiseki's default */
#define NCARRIERS 4

enum mode { M_BATCH, M_LOOP, M_BARE, M_BARE_PARSE, NMODES };
static const char *mode_name[NMODES] = { "tsk_track_batch", "event loop", "bare curl",
	                                 "bare curl + parse" };

struct result {
	double cpu;       /* seconds, the child's tracking work only */
	double wall;
	long rss_kb;      /* the child's peak */
	size_t found;     /* shipments found (or answers parsed OK for bare) */
	double sim_cpu;   /* the simulator's CPU over the run */
	int ok;
};

static char endpoint[NCARRIERS][256];
/* the names in TSK_BENCH_CARRIERS, and as tsuiseki knows them */
static const char *carrier_keys[NCARRIERS] = { "yamato", "sagawa", "japanpost", "rest" };
static const char *carrier_names[NCARRIERS] = { "yamato", "sagawa", "japanpost", "rest:myapi" };
static const char *carrier_paths[NCARRIERS] = { "/yamato/cgi-bin/tneko", "/sagawa/p/web/okurijosearch.do",
	                                        "/japanpost/services/srv/search/direct", "/rest/myapi" };
static char mapping_path[4096];

/* n valid 12-digit numbers (mod 7 check digit), distinct, in one block
 * after the array (13 bytes each): the input a caller holds, made as
 * small as it can be so that the peak RSS is tsuiseki's own */
static char **make_numbers(size_t n)
{
	char **v = malloc(n * (sizeof *v + 13) + 1);
	char *at = (char *)(v + n);
	for (size_t i = 0; v && i < n; i++) {
		unsigned long long base = 30000000000ULL + i * 7919ULL;
		v[i] = at;
		at += snprintf(at, 14, "%011llu%llu", base, base % 7) + 1;
	}
	return v;
}

static tsk_ctx *make_ctx(void)
{
	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return NULL;
	if (tsk_ctx_load_mapping(ctx, mapping_path) != TSK_OK ||
	    tsk_ctx_set_variable(ctx, "MYAPI_KEY", "bench-key") != TSK_OK) {
		tsk_ctx_free(ctx);
		return NULL;
	}
	for (int c = 0; c < NCARRIERS; c++)
		tsk_ctx_set_endpoint(ctx, carrier_names[c], endpoint[c]);
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_PARALLEL, PARALLEL);
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 0);
	tsk_ctx_set_option(ctx, TSK_OPT_REQUESTS_PER_SECOND, 0);
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2026-06-01T12:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);
	return ctx;
}

static size_t count_found(const tsk_shipment_list *l)
{
	size_t f = 0;
	for (size_t i = 0; i < tsk_shipment_list_count(l); i++)
		f += tsk_shipment_error(tsk_shipment_list_at(l, i)) == TSK_OK;
	return f;
}

/* ------------------------------------------------------------ event loop */

struct poller {
	struct pollfd *fds;
	size_t nfds, cap;
	double deadline; /* wall seconds, < 0 none */
	tsk_shipment_list *got;
	bool done;
};

static void on_socket(tsk_ctx *ctx, int fd, int what, void *userdata)
{
	(void)ctx;
	struct poller *p = userdata;
	size_t i = 0;
	while (i < p->nfds && p->fds[i].fd != fd)
		i++;
	if (what == TSK_POLL_REMOVE) {
		if (i < p->nfds)
			p->fds[i] = p->fds[--p->nfds];
		return;
	}
	if (i == p->nfds) {
		if (p->nfds == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 16;
			p->fds = realloc(p->fds, p->cap * sizeof *p->fds);
			if (!p->fds)
				abort();
		}
		p->nfds++;
	}
	p->fds[i].fd = fd;
	p->fds[i].events = (short)(((what & TSK_POLL_IN) ? POLLIN : 0) | ((what & TSK_POLL_OUT) ? POLLOUT : 0));
	p->fds[i].revents = 0;
}

static void on_timer(tsk_ctx *ctx, long timeout_ms, void *userdata)
{
	(void)ctx;
	struct poller *p = userdata;
	p->deadline = timeout_ms < 0 ? -1 : bench_wall_now() + (double)timeout_ms / 1000;
}

static void on_done(tsk_query *q, int result, const tsk_shipment_list *shipments, void *userdata)
{
	(void)shipments;
	struct poller *p = userdata;
	if (result == TSK_OK)
		tsk_query_take_shipments(&p->got, q);
	p->done = true;
}

static size_t run_loop(tsk_ctx *ctx, const char *carrier, char **numbers, size_t n)
{
	struct poller p = { NULL, 0, 0, -1, NULL, false };
	tsk_ctx_set_socket_cb(ctx, on_socket, &p);
	tsk_ctx_set_timer_cb(ctx, on_timer, &p);
	tsk_query_opts opts = TSK_QUERY_OPTS_INIT;
	opts.carrier = carrier;
	opts.numbers = (const char *const *)numbers;
	opts.count = n;
	if (tsk_query_submit(NULL, ctx, &opts, on_done, &p) != TSK_OK)
		return 0;
	struct pollfd *ready = NULL;
	size_t ready_cap = 0;
	while (!p.done) {
		int timeout = -1;
		if (p.deadline >= 0) {
			double left = (p.deadline - bench_wall_now()) * 1000;
			timeout = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left + 1;
		}
		int k = poll(p.fds, (nfds_t)p.nfds, timeout);
		if (k < 0 && errno != EINTR)
			break;
		if (k > 0) {
			if (ready_cap < p.nfds) {
				ready_cap = p.nfds;
				ready = realloc(ready, ready_cap * sizeof *ready);
			}
			size_t m = 0;
			for (size_t i = 0; i < p.nfds; i++)
				if (p.fds[i].revents)
					ready[m++] = p.fds[i];
			for (size_t i = 0; i < m; i++) {
				short re = ready[i].revents;
				int ev = ((re & POLLIN) ? TSK_POLL_IN : 0) | ((re & POLLOUT) ? TSK_POLL_OUT : 0) |
				         ((re & (POLLERR | POLLHUP | POLLNVAL)) ? TSK_POLL_ERR : 0);
				tsk_ctx_socket_action(ctx, ready[i].fd, ev, NULL);
			}
		}
		if (p.deadline >= 0 && bench_wall_now() >= p.deadline) {
			p.deadline = -1;
			tsk_ctx_socket_action(ctx, TSK_NO_FD, 0, NULL);
		}
	}
	free(ready);
	size_t found = count_found(p.got);
	tsk_shipment_list_free(p.got);
	free(p.fds);
	return found;
}

/* ------------------------------------------------------------- bare curl */

struct bare {
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	size_t len, cap;
	size_t job;
};

static size_t bare_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct bare *b = userdata;
	size_t n = size * nmemb;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *nb = realloc(b->body, cap);
		if (!nb)
			return 0;
		b->body = nb;
		b->cap = cap;
	}
	memcpy(b->body + b->len, data, n);
	b->len += n;
	b->body[b->len] = '\0';
	return n;
}

static void bare_start(CURLM *multi, struct bare *b, const tsk_request *r)
{
	b->easy = curl_easy_init();
	b->len = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		b->headers = curl_slist_append(b->headers, r->headers[i]);
	if (r->content_type) {
		char line[256];
		snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
		b->headers = curl_slist_append(b->headers, line);
	}
	b->headers = curl_slist_append(b->headers, "Expect:");
	curl_easy_setopt(b->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(b->easy, CURLOPT_HTTPHEADER, b->headers);
	curl_easy_setopt(b->easy, CURLOPT_WRITEFUNCTION, bare_write);
	curl_easy_setopt(b->easy, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(b->easy, CURLOPT_PRIVATE, b);
	curl_easy_setopt(b->easy, CURLOPT_ACCEPT_ENCODING, "");
	if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(b->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(b->easy, CURLOPT_POSTFIELDS, r->body ? r->body : "");
	}
	curl_multi_add_handle(multi, b->easy);
}

/* Fetch every job's request, PARALLEL at a time, dropping each body (or
 * parsing it once first); returns the answers that were 200 (and, with
 * parse, the shipments found). */
static size_t run_bare(tsk_ctx *ctx, tsk__track *t, bool parse)
{
	size_t njobs = 0;
	tsk__http_job *jobs = tsk__track_jobs(t, &njobs);
	CURLM *multi = curl_multi_init();
	struct bare slots[PARALLEL];
	memset(slots, 0, sizeof slots);
	size_t next = 0, active = 0, found = 0;
	for (int i = 0; i < PARALLEL && next < njobs; i++, next++, active++) {
		slots[i].job = next;
		bare_start(multi, &slots[i], jobs[next].req);
	}
	while (active) {
		int running = 0;
		curl_multi_perform(multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct bare *b = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&b);
			long status = 0;
			curl_easy_getinfo(b->easy, CURLINFO_RESPONSE_CODE, &status);
			const tsk_request *r = jobs[b->job].req;
			if (parse && msg->data.result == CURLE_OK) {
				char *ct = NULL;
				curl_easy_getinfo(b->easy, CURLINFO_CONTENT_TYPE, &ct);
				const tsk_adapter *a = tsk_ctx_carrier(ctx, jobs[b->job].carrier);
				tsk_response resp = { TSK_RESPONSE_VERSION, b->body ? b->body : "", b->len, ct, status,
					              (const char *const *)r->numbers, r->nnumbers, r->url };
				tsk_shipment_list *l = NULL;
				tsk_shipment_list_new(&l);
				tsk_error err;
				tsk_error_clear(&err);
				if (tsk__ctx_parse_response(ctx, a, &resp, l, &err) == TSK_OK)
					found += count_found(l);
				tsk_shipment_list_free(l);
			} else if (!parse && msg->data.result == CURLE_OK && status == 200) {
				found += r->nnumbers;
			}
			curl_multi_remove_handle(multi, b->easy);
			curl_easy_cleanup(b->easy);
			curl_slist_free_all(b->headers);
			b->headers = NULL;
			active--;
			if (next < njobs) {
				b->job = next;
				bare_start(multi, b, jobs[next++].req);
				active++;
			}
		}
		if (active)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	for (int i = 0; i < PARALLEL; i++)
		free(slots[i].body);
	curl_multi_cleanup(multi);
	return found;
}

/* ------------------------------------------------------------------ runs */

static struct result child_run(enum mode m, const char *carrier, size_t n)
{
	struct result res = { 0, 0, 0, 0, 0, 0 };
	char **numbers = make_numbers(n);
	tsk_ctx *ctx = make_ctx();
	if (!numbers || !ctx)
		return res;
	tsk__track *t = NULL;
	if (m == M_BARE || m == M_BARE_PARSE) {
		/* the same requests, built outside the measurement */
		if (tsk__track_prepare(&t, ctx, carrier, (const char *const *)numbers, n) != TSK_OK)
			return res;
	}
	double c0 = bench_cpu_now(), w0 = bench_wall_now();
	if (m == M_BATCH) {
		tsk_shipment_list *l = NULL;
		if (tsk_track_batch(&l, ctx, carrier, (const char *const *)numbers, n, NULL) == TSK_OK)
			res.found = count_found(l);
		res.cpu = bench_cpu_now() - c0;
		tsk_shipment_list_free(l);
	} else if (m == M_LOOP) {
		res.found = run_loop(ctx, carrier, numbers, n);
		res.cpu = bench_cpu_now() - c0;
	} else {
		res.found = run_bare(ctx, t, m == M_BARE_PARSE);
		res.cpu = bench_cpu_now() - c0;
	}
	res.wall = bench_wall_now() - w0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	res.rss_kb = ru.ru_maxrss;
	res.ok = 1;
	return res;
}

static struct result run(enum mode m, const char *carrier, size_t n, pid_t sim_pid)
{
	struct result res = { 0, 0, 0, 0, 0, 0 };
	int fd[2];
	if (pipe(fd) != 0)
		return res;
	double s0 = bench_proc_cpu(sim_pid);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		struct result r = child_run(m, carrier, n);
		ssize_t w = write(fd[1], &r, sizeof r);
		_exit(w == (ssize_t)sizeof r ? 0 : 1);
	}
	close(fd[1]);
	ssize_t got = pid > 0 ? read(fd[0], &res, sizeof res) : -1;
	close(fd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (got != (ssize_t)sizeof res)
		memset(&res, 0, sizeof res);
	res.sim_cpu = bench_proc_cpu(sim_pid) - s0;
	return res;
}

/* The simulator's root: per carrier a found page of tests/data with its
 * number replaced by the simulator's template mark, and a '*' route. */
static const struct {
	const char *carrier, *file, *page, *number, *mark, *content_type;
} templates[] = {
	{ "yamato", "yamato.html", "sim/yamato_found_template.html", NULL, NULL, "text/html; charset=UTF-8" },
	{ "sagawa", "sagawa.html", "sagawa/synthetic_2022_delivered.html", "3604-7702-1531", "@NUMBER_DASHED@",
	  "text/html; charset=UTF-8" },
	{ "japanpost", "japanpost.html", "japanpost/synthetic_2019_yupack_delivered.html", "1234-5678-9013",
	  "@NUMBER_DASHED@", "text/html; charset=UTF-8" },
	{ "rest/myapi", "myapi.json", "sim/myapi_delivered.json", "MY123456789JP", "@NUMBER@", "application/json" },
};

static bool write_root(const char *data, const char *root)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/routes", root);
	FILE *routes = fopen(path, "w");
	if (!routes)
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < sizeof templates / sizeof templates[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", data, templates[i].page);
		size_t len = 0;
		char *page = bench_slurp(path, &len);
		snprintf(path, sizeof path, "%s/%s", root, templates[i].file);
		FILE *f = page ? fopen(path, "w") : NULL;
		ok = f != NULL;
		for (const char *p = page; ok && *p;) {
			const char *hit = templates[i].number ? strstr(p, templates[i].number) : NULL;
			size_t n = hit ? (size_t)(hit - p) : strlen(p);
			fwrite(p, 1, n, f);
			p += n;
			if (hit) {
				fputs(templates[i].mark, f);
				p += strlen(templates[i].number);
			}
		}
		if (f)
			ok = fclose(f) == 0 && ok;
		free(page);
		fprintf(routes, "%s * %s %s template\n", templates[i].carrier, templates[i].file,
		        templates[i].content_type);
	}
	return fclose(routes) == 0 && ok;
}

static void remove_root(const char *root)
{
	char path[4096];
	for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", root, templates[i].file);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/routes", root);
	unlink(path);
	rmdir(root);
}

static size_t parse_sizes(const char *s, size_t *out, size_t max)
{
	size_t k = 0;
	while (s && *s && k < max) {
		char *end;
		unsigned long long v = strtoull(s, &end, 10);
		if (end == s)
			break;
		if (v)
			out[k++] = (size_t)v;
		s = *end ? end + 1 : end;
	}
	return k;
}

int main(int argc, char **argv)
{
	bool slow = argc > 1 && strcmp(argv[1], "--slow") == 0;
	int a = slow ? 2 : 1;
	if (slow && !(getenv("TSK_BENCH_SLOW") && strcmp(getenv("TSK_BENCH_SLOW"), "1") == 0)) {
		printf("e2e at 100,000 numbers: skipped (set TSK_BENCH_SLOW=1; it takes several minutes)\n");
		return 77;
	}
	const char *sim_bin = argc > a ? argv[a] : getenv("TSK_SIM");
	const char *data = argc > a + 1 ? argv[a + 1] : getenv("TSK_TEST_DATA");
	if (!sim_bin || !data) {
		fprintf(stderr, "usage: bench_e2e [--slow] SIM DATA_DIR\n");
		return 2;
	}
	char root[] = "/tmp/tsk-bench-XXXXXX";
	snprintf(mapping_path, sizeof mapping_path, "%s/mappings/myapi.json", data);
	if (!mkdtemp(root) || !write_root(data, root)) {
		fprintf(stderr, "bench_e2e: cannot write the simulator's pages under /tmp\n");
		return 1;
	}
	size_t sizes[16];
	size_t nsizes = parse_sizes(slow ? "1000,100000" : getenv("TSK_BENCH_SIZES") ? getenv("TSK_BENCH_SIZES")
	                                                                             : "100,1000,10000",
	                            sizes, 16);
	const char *only = getenv("TSK_BENCH_CARRIERS");
	static const char *const mode_key[NMODES] = { "batch", "loop", "bare", "parse" };
	const char *modes = getenv("TSK_BENCH_MODES");
	bool run_mode[NMODES];
	for (int m = 0; m < NMODES; m++)
		run_mode[m] = !modes || strstr(modes, mode_key[m]);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tsk_sim *sim = tsk_sim_start(sim_bin, root);
	if (!sim) {
		remove_root(root);
		return 1;
	}
	pid_t sim_pid = (pid_t)tsk_sim_pid(sim);
	bool pinned = bench_pin(0, 0) == 0 && bench_pin(sim_pid, 1) == 0;
	for (int c = 0; c < NCARRIERS; c++)
		tsk_sim_url(sim, carrier_paths[c], endpoint[c], sizeof endpoint[c]);
	int rounds = bench_rounds();
	printf("e2e: medians of %d rounds, %d transfers in flight per carrier, %s\n", rounds, PARALLEL,
	       pinned ? "client on CPU 0, simulator on CPU 1" : "NOT pinned (fewer than 2 CPUs)");
	printf("ratio: tsuiseki CPU / bare curl + one parse per answer, in the same round\n");

	double per_number[NCARRIERS][NMODES][16];
	long rss[NCARRIERS][NMODES][16];
	double worst_ratio[NCARRIERS][2];
	memset(worst_ratio, 0, sizeof worst_ratio);
	for (int c = 0; c < NCARRIERS; c++) {
		if (only && !strstr(only, carrier_keys[c]))
			continue;
		printf("\n%-10s %8s  %-18s %10s %9s %8s %8s %9s %8s %8s\n", carrier_names[c], "numbers", "mode",
		       "CPU ms", "us/number", "ratio", "RSS MB", "sim CPU", "wall s", "found");
		for (size_t si = 0; si < nsizes; si++) {
			size_t n = sizes[si];
			double cpu[NMODES][64], wall[NMODES][64], simc[NMODES][64], rs[NMODES][64];
			size_t found[NMODES];
			int R = rounds < 64 ? rounds : 64;
			for (int r = 0; r < R; r++)
				for (int m = 0; m < NMODES; m++) {
					struct result x = { 0, 0, 0, 0, 0, 0 };
					if (run_mode[m])
						x = run((enum mode)m, carrier_names[c], n, sim_pid);
					cpu[m][r] = x.cpu;
					wall[m][r] = x.wall;
					simc[m][r] = x.sim_cpu;
					rs[m][r] = (double)x.rss_kb;
					found[m] = x.found;
				}
			double med[NMODES];
			for (int m = 0; m < NMODES; m++)
				med[m] = bench_median(cpu[m], (size_t)R);
			for (int m = 0; m < NMODES; m++) {
				if (!run_mode[m])
					continue;
				double mrss = bench_median(rs[m], (size_t)R) / 1024;
				per_number[c][m][si] = med[m] / (double)n;
				rss[c][m][si] = (long)mrss;
				char ratio[16] = "-";
				if ((m == M_BATCH || m == M_LOOP) && run_mode[M_BARE_PARSE]) {
					double q = med[m] / med[M_BARE_PARSE];
					snprintf(ratio, sizeof ratio, "%.2f", q);
					if (q > worst_ratio[c][m])
						worst_ratio[c][m] = q;
				}
				printf("%-10s %8zu  %-18s %10.1f %9.1f %8s %8.1f %9.1f %8.2f %8zu%s\n", "", n, mode_name[m],
				       med[m] * 1e3, med[m] / (double)n * 1e6, ratio, mrss,
				       bench_median(simc[m], (size_t)R) * 1e3, bench_median(wall[m], (size_t)R),
				       found[m], found[m] == n ? "" : "  (not all found!)");
			}
			fflush(stdout);
		}
	}

	printf("\nmarks:\n");
	for (int c = 0; c < NCARRIERS; c++) {
		if (only && !strstr(only, carrier_keys[c]))
			continue;
		for (int m = M_BATCH; m <= M_LOOP; m++) {
			if (!run_mode[m])
				continue;
			printf("  %-10s %-16s", carrier_names[c], mode_name[m]);
			if (run_mode[M_BARE_PARSE])
				printf(" tsuiseki / (bare + parse) worst %.2fx (mark <= 1.5x: %s)", worst_ratio[c][m],
				       worst_ratio[c][m] <= 1.5 ? "met" : "MISSED");
			size_t i1k = nsizes, ibig = nsizes;
			for (size_t si = 0; si < nsizes; si++) {
				if (sizes[si] == 1000)
					i1k = si;
				if (sizes[si] > 1000 && (ibig == nsizes || sizes[si] > sizes[ibig]))
					ibig = si;
			}
			if (i1k < nsizes && ibig < nsizes) {
				double g = per_number[c][m][ibig] / per_number[c][m][i1k];
				printf("; per number at %zu / at 1000: %.2fx%s", sizes[ibig], g,
				       sizes[ibig] == 100000 ? (g <= 1.2 ? " (mark <= 1.2x: met)" : " (mark <= 1.2x: MISSED)")
				                             : "");
			}
			for (size_t si = 0; si < nsizes; si++) {
				if (sizes[si] == 10000)
					printf("; RSS at 10000: %ld MB (mark <= 40: %s)", rss[c][m][si],
					       rss[c][m][si] <= 40 ? "met" : "MISSED");
				if (sizes[si] == 100000)
					printf("; RSS at 100000: %ld MB (mark <= 150: %s)", rss[c][m][si],
					       rss[c][m][si] <= 150 ? "met" : "MISSED");
			}
			printf("\n");
		}
	}
	tsk_sim_stop(sim);
	remove_root(root);
	return 0;
}
