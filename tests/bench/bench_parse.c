/*
 * Parser benchmark: how fast each carrier's pages parse, and the peak
 * memory. Run on demand: `meson test -C build --benchmark --verbose`.
 * Output is a table, not a verdict.
 *
 * For every page under $TSK_TEST_DATA/<carrier>/ (html or json, sidecars
 * skipped) the page is parsed repeatedly for about 0.3 s of CPU time.
 */
#define _POSIX_C_SOURCE 200809L
#include <tsuiseki.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static const struct {
	const char *dir, *carrier;
} carriers[] = {
	{ "yamato", "yamato" },
	{ "sagawa", "sagawa" },
	{ "japanpost", "japanpost" },
	{ "rest", NULL }, /* the carrier comes from the file name prefix */
};

int main(void)
{
	const char *data = getenv("TSK_TEST_DATA");
	if (!data)
		data = "tests/data";
	tsk_ctx *ctx;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return 1;
	/* the source tree's shipped mappings (the benchmark's environment sets it) */
	const char *mappings = getenv("TSK_TEST_MAPPINGS");
	if (mappings && !tsk_ctx_carrier(ctx, "rest:aftership"))
		tsk_ctx_load_mappings_dir(ctx, mappings);
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2009-09-11T00:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);
	printf("%-58s %9s %10s %9s\n", "page", "bytes", "parses/s", "MB/s");
	double total_bytes = 0, total_time = 0;
	for (size_t c = 0; c < sizeof carriers / sizeof carriers[0]; c++) {
		char dirpath[4096];
		snprintf(dirpath, sizeof dirpath, "%s/%s", data, carriers[c].dir);
		DIR *d = opendir(dirpath);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			const char *name = de->d_name;
			size_t l = strlen(name);
			if (strstr(name, ".expect.") || (l < 5) ||
			    (strcmp(name + l - 5, ".html") != 0 && strcmp(name + l - 5, ".json") != 0))
				continue;
			char carrier[64];
			if (carriers[c].carrier) {
				snprintf(carrier, sizeof carrier, "%s", carriers[c].carrier);
			} else {
				/* rest pages are named <api>_...: rest:<api> */
				size_t k = strcspn(name, "_");
				if (strncmp(name, "synthetic", 9) == 0)
					continue;
				snprintf(carrier, sizeof carrier, "rest:%.*s", (int)k, name);
			}
			if (!tsk_ctx_carrier(ctx, carrier))
				continue;
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dirpath, name);
			size_t len;
			char *body = slurp(path, &len);
			if (!body)
				continue;
			long n = 0;
			double t0 = cpu_now(), t;
			do {
				tsk_shipment_list *lst = NULL;
				tsk_parse(&lst, ctx, carrier, body, len, NULL);
				tsk_shipment_list_free(lst);
				n++;
				t = cpu_now() - t0;
			} while (t < 0.3);
			printf("%-58s %9zu %10.0f %9.1f\n", name, len, (double)n / t, (double)len * (double)n / t / 1e6);
			total_bytes += (double)len * (double)n;
			total_time += t;
			free(body);
		}
		if (d)
			closedir(d);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	if (total_time > 0)
		printf("overall %.1f MB/s; peak RSS %ld KiB\n", total_bytes / total_time / 1e6, ru.ru_maxrss);
	tsk_ctx_free(ctx);
	return 0;
}
