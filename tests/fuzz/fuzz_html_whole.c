/*
 * Fuzz target: the HTML carriers' truncation and row rules ("a page is read
 * whole or not at all"). The input is parsed by the first of Yamato,
 * Sagawa and Japan Post that reads it, at a fixed reference time; then
 * prefixes of it are parsed by the same carrier: cut at a quarter, half
 * and three quarters of its length, before its last byte, before its last
 * tag, and before the last row-closing tag (</li>, </tr>).
 * Seeds: the pages in tests/data/{yamato,sagawa,japanpost}/.
 *
 * Invariant checked: a prefix is either refused (an error code: truncated,
 * layout_changed...) or read as exactly the same shipments as the whole
 * page (the same schema-1 JSON) -- never a shorter history, never a row
 * dropped silently. And no crash, hang or leak (the sanitizers judge).
 */
#include "tsuiseki.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *parse_json(tsk_ctx *ctx, const char *carrier, const uint8_t *data, size_t size)
{
	tsk_shipment_list *l = NULL;
	char *json = NULL;
	if (tsk_parse(&l, ctx, carrier, (const char *)data, size, NULL) == TSK_OK) {
		if (tsk_shipment_list_to_json(&json, NULL, l, 0) != TSK_OK)
			abort(); /* a list the parser built always serialises */
		tsk_shipment_list_free(l);
	}
	return json;
}

/* The start of the last occurrence of needle (lower case) in
 * data[0..size), ASCII case ignored (tags are written both ways), or size. */
static size_t last_of(const uint8_t *data, size_t size, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = size; i-- > 0;) {
		size_t k = 0;
		while (k < n && i + k < size && (data[i + k] | 0x20) == (uint8_t)needle[k])
			k++;
		if (k == n)
			return i;
	}
	return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const carriers[] = { "yamato", "sagawa", "japanpost" };
	if (size < 16 || size > 256 * 1024)
		return 0;
	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return 0;
	tsk_time now;
	if (tsk_time_parse_rfc3339(&now, "2024-12-10T12:00:00+09:00") == TSK_OK)
		tsk_ctx_set_now(ctx, &now);
	const char *carrier = NULL;
	char *whole = NULL;
	for (size_t c = 0; c < sizeof carriers / sizeof carriers[0] && !whole; c++)
		if ((whole = parse_json(ctx, carriers[c], data, size)))
			carrier = carriers[c];
	if (whole) {
		size_t lt = last_of(data, size, "<");
		size_t li = last_of(data, size, "</li>"), tr = last_of(data, size, "</tr>");
		size_t row = li; /* the later row end found (size: none) */
		if (tr < size && (row == size || tr > row))
			row = tr;
		size_t cuts[] = { size / 4, size / 2, size * 3 / 4, size - 1, lt, row };
		/* bytes after the body's end are not the page's content (libxml2
		 * hangs stray text there on the last element): a cut after it
		 * is a whole page with less trailing noise, not compared */
		size_t body_end = last_of(data, size, "</body");
		for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
			if (cuts[k] == 0 || cuts[k] >= size || (body_end < size && cuts[k] > body_end))
				continue;
			char *part = parse_json(ctx, carrier, data, cuts[k]);
			if (part && strcmp(part, whole) != 0)
				abort(); /* a cut page read as a different (shorter) answer */
			tsk_free(part);
		}
		tsk_free(whole);
	}
	tsk_ctx_free(ctx);
	return 0;
}
