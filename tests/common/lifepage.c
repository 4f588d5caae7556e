/* The fleet's scripted pages as simulator templates (see lifepage.h). */
#define _POSIX_C_SOURCE 200809L
#include "lifepage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_NUMBER "4001-2345-6784"

int tsk_life_page(const char *name, const char *dst)
{
	const char *data = getenv("TSK_TEST_DATA");
	char src[1024];
	snprintf(src, sizeof src, "%s/fleet/%s", data ? data : ".", name);
	FILE *in = fopen(src, "rb");
	if (!in) {
		perror(src);
		return -1;
	}
	static char buf[1 << 17];
	size_t n = fread(buf, 1, sizeof buf - 1, in);
	fclose(in);
	buf[n] = '\0';
	FILE *out = fopen(dst, "wb");
	if (!out) {
		perror(dst);
		return -1;
	}
	const char *p = buf, *at;
	while ((at = strstr(p, PAGE_NUMBER))) {
		fwrite(p, 1, (size_t)(at - p), out);
		fputs("@NUMBER_DASHED@", out);
		p = at + strlen(PAGE_NUMBER);
	}
	fputs(p, out);
	return fclose(out) == 0 ? 0 : -1;
}
