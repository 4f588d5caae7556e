/*
 * Parse benchmark: whole tsk_parse of every page of tests/data against a
 * bare libxml2 DOM parse of the same bytes (the options and encoding the
 * HTML adapters use) and a bare SAX pass (no callbacks, no tree); every
 * JSON answer against a bare yajl_tree_parse. Ratios of CPU time per
 * parse, medians of $TSK_BENCH_ROUNDS rounds (default 5), the three
 * workloads interleaved in each round, pinned to one CPU.
 *
 * Run on demand: `meson test -C build --benchmark --verbose parse`.
 * Output is a table, not a verdict; the marks are printed beside it.
 */
#define _POSIX_C_SOURCE 200809L
#include "benchutil.h"

#include <tsuiseki.h>

#include <dirent.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#define HTML_OPTS (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
                   HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT)
#define MIN_SECONDS 0.02  /* CPU per workload per round */
#define MAX_PAGES 256

enum kind { TSK, DOM, SAX, YAJL, NKINDS };

struct page {
	char name[256];
	char carrier[64];
	char *body;
	size_t len;
	bool json;
	const char *encoding; /* for the bare parsers */
};

static tsk_ctx *ctx;

static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (!k || i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

static void run_once(enum kind k, const struct page *p)
{
	switch (k) {
	case TSK: {
		tsk_shipment_list *l = NULL;
		tsk_parse(&l, ctx, p->carrier, p->body, p->len, NULL);
		tsk_shipment_list_free(l);
		break;
	}
	case DOM: {
		htmlParserCtxtPtr c = htmlNewParserCtxt();
		htmlDocPtr d = htmlCtxtReadMemory(c, p->body, (int)p->len, NULL, p->encoding, HTML_OPTS);
		xmlFreeDoc(d);
		htmlFreeParserCtxt(c);
		break;
	}
	case SAX: {
		htmlSAXHandler sax;
		memset(&sax, 0, sizeof sax);
		htmlParserCtxtPtr c = htmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL,
		                                               xmlParseCharEncoding(p->encoding));
		htmlCtxtUseOptions(c, HTML_OPTS);
		htmlParseChunk(c, p->body, (int)p->len, 1);
		if (c->myDoc)
			xmlFreeDoc(c->myDoc);
		htmlFreeParserCtxt(c);
		break;
	}
	case YAJL: {
		char errbuf[128];
		yajl_val v = yajl_tree_parse(p->body, errbuf, sizeof errbuf);
		yajl_tree_free(v);
		break;
	}
	default:
		break;
	}
}

/* CPU seconds per parse: enough repetitions for MIN_SECONDS. */
static double measure(enum kind k, const struct page *p)
{
	long n = 0;
	double t0 = bench_cpu_now(), t;
	do {
		run_once(k, p);
		n++;
		t = bench_cpu_now() - t0;
	} while (t < MIN_SECONDS);
	return t / (double)n;
}

static const struct {
	const char *dir, *carrier;
} carriers[] = {
	{ "yamato", "yamato" },
	{ "sagawa", "sagawa" },
	{ "japanpost", "japanpost" },
	{ "rest", NULL }, /* the carrier comes from the file name prefix */
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct page *)a)->name, ((const struct page *)b)->name);
}

int main(void)
{
	const char *data = getenv("TSK_TEST_DATA");
	if (!data)
		data = "tests/data";
	if (bench_pin(0, 0) != 0)
		fprintf(stderr, "bench_parse: could not pin to CPU 0; figures are noisier\n");
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return 1;
	const char *maps = getenv("TSK_TEST_MAPPINGS");
	if (maps)
		tsk_ctx_load_mappings_dir(ctx, maps);
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2009-09-11T00:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);

	static struct page pages[MAX_PAGES];
	size_t np = 0;
	for (size_t c = 0; c < sizeof carriers / sizeof carriers[0]; c++) {
		char dirpath[4096];
		snprintf(dirpath, sizeof dirpath, "%s/%s", data, carriers[c].dir);
		DIR *d = opendir(dirpath);
		struct dirent *de;
		size_t first = np;
		while (d && (de = readdir(d)) && np < MAX_PAGES) {
			const char *name = de->d_name;
			size_t l = strlen(name);
			if (strstr(name, ".expect.") || l < 5 ||
			    (strcmp(name + l - 5, ".html") != 0 && strcmp(name + l - 5, ".json") != 0))
				continue;
			struct page *p = &pages[np];
			if (carriers[c].carrier) {
				snprintf(p->carrier, sizeof p->carrier, "%s", carriers[c].carrier);
			} else {
				/* rest answers are named <api>_...; webhook bodies (synthetic_*) are no answers */
				if (strncmp(name, "synthetic", 9) == 0)
					continue;
				snprintf(p->carrier, sizeof p->carrier, "rest:%.*s", (int)strcspn(name, "_"), name);
			}
			if (!tsk_ctx_carrier(ctx, p->carrier))
				continue;
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dirpath, name);
			if (!(p->body = bench_slurp(path, &p->len)))
				continue;
			snprintf(p->name, sizeof p->name, "%s/%s", carriers[c].dir, name);
			p->json = strcmp(name + l - 5, ".json") == 0;
			p->encoding = utf8_valid((const unsigned char *)p->body, p->len) ? "UTF-8" : "CP932";
			np++;
		}
		if (d)
			closedir(d);
		qsort(pages + first, np - first, sizeof *pages, by_name);
	}

	int rounds = bench_rounds();
	printf("parse: CPU per parse, median of %d rounds; ratio = tsk_parse / bare\n", rounds);
	printf("%-58s %7s %9s %9s %9s %8s %8s\n", "page", "bytes", "tsk us", "dom us", "sax us", "tsk/dom",
	       "tsk/sax");
	double worst_html = 0, worst_json = 0, sum_html = 0, sum_json = 0;
	const char *worst_html_page = "", *worst_json_page = "";
	size_t nhtml = 0, njson = 0;
	for (size_t i = 0; i < np; i++) {
		struct page *p = &pages[i];
		enum kind base1 = p->json ? YAJL : DOM;
		double tsk[64], b1[64], b2[64];
		for (int r = 0; r < rounds && r < 64; r++) {
			tsk[r] = measure(TSK, p);
			b1[r] = measure(base1, p);
			b2[r] = p->json ? 0 : measure(SAX, p);
		}
		int n = rounds < 64 ? rounds : 64;
		double mt = bench_median(tsk, (size_t)n), m1 = bench_median(b1, (size_t)n),
		       m2 = bench_median(b2, (size_t)n);
		double r1 = mt / m1;
		if (p->json) {
			printf("%-58s %7zu %9.1f %9.1f %9s %8.2f %8s  (yajl_tree_parse)\n", p->name, p->len, mt * 1e6,
			       m1 * 1e6, "-", r1, "-");
			sum_json += r1;
			njson++;
			if (r1 > worst_json) {
				worst_json = r1;
				worst_json_page = p->name;
			}
		} else {
			printf("%-58s %7zu %9.1f %9.1f %9.1f %8.2f %8.2f\n", p->name, p->len, mt * 1e6, m1 * 1e6,
			       m2 * 1e6, r1, mt / m2);
			sum_html += r1;
			nhtml++;
			if (r1 > worst_html) {
				worst_html = r1;
				worst_html_page = p->name;
			}
		}
		fflush(stdout);
	}
	if (nhtml)
		printf("HTML: tsk_parse / libxml2 DOM parse: mean %.2fx, worst %.2fx (%s); mark <= 1.3x: %s\n",
		       sum_html / (double)nhtml, worst_html, worst_html_page, worst_html <= 1.3 ? "met" : "MISSED");
	if (njson)
		printf("JSON: tsk_parse / yajl_tree_parse: mean %.2fx, worst %.2fx (%s); mark <= 1.5x: %s\n",
		       sum_json / (double)njson, worst_json, worst_json_page, worst_json <= 1.5 ? "met" : "MISSED");
	for (size_t i = 0; i < np; i++)
		free(pages[i].body);
	tsk_ctx_free(ctx);
	return 0;
}
