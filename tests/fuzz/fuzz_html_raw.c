/*
 * Fuzz target: the page scan that leaves script and style bodies out of
 * the tree (lib/html.c, "Raw text"). The input is parsed both ways --
 * bodies left out, and as it is -- and the two trees compared node by
 * node (tests/common/rawcheck.h).
 * Seeds: the pages in tests/data/{yamato,sagawa,japanpost}/.
 *
 * Invariant checked: the tree without bodies is exactly libxml2's tree of
 * the page as it is, minus the bodies of its scripts and styles, and
 * every script reads the same; where the scan cannot follow the markup
 * the page is parsed as it is. And no crash, hang or leak.
 */
#include "html.h"
#include "rawcheck.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	tsk__html a, b;
	tsk_error err;
	tsk_error_clear(&err);
	int ra = tsk__html_parse(&a, (const char *)data, size, NULL, &err);
	int rb = tsk__html_parse_as_is(&b, (const char *)data, size, NULL, &err);
	if (ra == TSK_OK && rb == TSK_OK) {
		char why[256];
		const char *d = rawcheck_diff(&a, &b, a.scripts_known, why, sizeof why);
		if (d) {
			fprintf(stderr, "fuzz_html_raw: %s\n", d);
			abort();
		}
	} else if ((ra == TSK_OK) != (rb == TSK_OK) && ra != TSK_ENOMEM && rb != TSK_ENOMEM) {
		fprintf(stderr, "fuzz_html_raw: parsed %d without bodies, %d as is\n", ra, rb);
		abort();
	}
	if (ra == TSK_OK)
		tsk__html_free(&a);
	if (rb == TSK_OK)
		tsk__html_free(&b);
	return 0;
}
