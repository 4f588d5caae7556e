/*
 * Standalone engine for the fuzz targets when libFuzzer is not used: feed
 * every file named on the command line (directories are walked one level)
 * to LLVMFuzzerTestOneInput, so the seed corpora run as ordinary tests.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
			}
			buf = b;
		}
	}
	fclose(f);
	if (!buf)
		return 1;
	LLVMFuzzerTestOneInput(buf, len);
	/* every prefix of the input too: truncated bodies are the common failure */
	for (size_t cut = 1; cut < len; cut += len / 16 + 1)
		LLVMFuzzerTestOneInput(buf, cut);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int failures = 0, runs = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "no such seed: %s\n", argv[i]);
			failures++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			failures += run_file(argv[i]);
			runs++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				failures += run_file(path);
				runs++;
			}
		}
		if (d)
			closedir(d);
	}
	printf("replayed %d seed files\n%d passed, %d failed\n", runs, runs - failures, failures);
	return failures ? 1 : 0;
}
