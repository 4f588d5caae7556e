/*
 * Every page of tests/data against its expectation: each
 * <carrier dir>/<name>.expect.json names its page ("file"), the carrier
 * that reads it, the reference time ("now") and the layout every shipment
 * must record (the schema is tests/data/README.md). The list is the
 * directory: adding a page is adding the page and its expectation.
 */
#include "pagecheck.h"
#include "tsuiseki.h"

#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char **expectations;
static size_t n_expectations;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* data/<dir>/<name>.expect.json for every directory of the data tree */
static void collect(void)
{
	const char *data = tsk_test_data_dir();
	DIR *top = opendir(data);
	if (!top) {
		fprintf(stderr, "cannot open %s\n", data);
		exit(1);
	}
	size_t cap = 0;
	struct dirent *d;
	while ((d = readdir(top))) {
		if (d->d_name[0] == '.')
			continue;
		char dir[4096];
		struct stat st;
		snprintf(dir, sizeof dir, "%s/%s", data, d->d_name);
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		DIR *sub = opendir(dir);
		if (!sub)
			continue;
		struct dirent *e;
		while ((e = readdir(sub))) {
			if (!ends_with(e->d_name, ".expect.json"))
				continue;
			if (n_expectations == cap) {
				cap = cap ? cap * 2 : 64;
				expectations = realloc(expectations, cap * sizeof *expectations);
			}
			size_t len = strlen(d->d_name) + strlen(e->d_name) + 2;
			char *rel = malloc(len);
			if (!expectations || !rel) {
				fprintf(stderr, "out of memory\n");
				exit(1);
			}
			snprintf(rel, len, "%s/%s", d->d_name, e->d_name);
			expectations[n_expectations++] = rel;
		}
		closedir(sub);
	}
	closedir(top);
	if (n_expectations)
		qsort(expectations, n_expectations, sizeof *expectations, by_name);
}

START_TEST(page_matches_expectation)
{
	tsk_test_check_expectation(expectations[_i]);
}
END_TEST

/* The directory walk finds the pages of every carrier (a wrong data path
 * would otherwise pass with nothing to check). */
START_TEST(every_carrier_has_pages)
{
	static const char *const dirs[] = { "yamato/", "sagawa/", "japanpost/", "rest/" };
	for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
		size_t n = 0;
		for (size_t i = 0; i < n_expectations; i++)
			n += strncmp(expectations[i], dirs[k], strlen(dirs[k])) == 0;
		ck_assert_msg(n >= 2, "%s: %zu expectations found", dirs[k], n);
	}
}
END_TEST

int main(void)
{
	collect();
	Suite *s = suite_create("pages");
	TCase *tc = tcase_create("pages");
	tcase_add_test(tc, every_carrier_has_pages);
	tcase_add_loop_test(tc, page_matches_expectation, 0, (int)n_expectations);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (size_t i = 0; i < n_expectations; i++)
		free(expectations[i]);
	free(expectations);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
