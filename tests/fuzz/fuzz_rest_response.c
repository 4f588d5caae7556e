/*
 * Fuzz target: REST response mapper. The first byte picks a shipped
 * mapping (AfterShip, 17TRACK, EasyPost), the second an HTTP status and
 * whether numbers were asked; the rest is the body, parsed with a fixed
 * `now` both through tsk_parse and through the adapter with that status.
 * Seeds: the JSON files of tests/data/rest (prefix two bytes, e.g. "\0\0").
 * The mappings come from $TSK_TEST_MAPPINGS (carriers/rest/mappings; the
 * test environment sets it, set it yourself for a libFuzzer run).
 */
#include "context.h"
#include "mappings.h"
#include "tsuiseki.h"

#include <stdio.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tsk_ctx *shared_ctx(void)
{
	/* one context for the whole run: loading the mappings per input would
	 * measure the file system, not the parser */
	static tsk_ctx *ctx;
	if (!ctx) {
		const char *dir = getenv("TSK_TEST_MAPPINGS");
		if (!dir) {
			fprintf(stderr, "fuzz_rest_response: set TSK_TEST_MAPPINGS to carriers/rest/mappings\n");
			abort();
		}
		if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK ||
		    tsk__rest_load_dir(ctx, dir, true) != TSK_OK || !tsk_ctx_carrier(ctx, "rest:aftership") || !tsk_ctx_carrier(ctx, "rest:17track") ||
		    !tsk_ctx_carrier(ctx, "rest:easypost"))
			abort(); /* the shipped mappings must be found */
		tsk_time now;
		tsk_time_parse_rfc3339(&now, "2024-06-01T12:00:00+09:00");
		tsk_ctx_set_now(ctx, &now);
	}
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const carriers[] = { "rest:aftership", "rest:17track", "rest:easypost" };
	static const long statuses[] = { 0, 200, 404, 401, 422, 429, 500, 201 };
	if (size < 2)
		return 0;
	tsk_ctx *ctx = shared_ctx();
	const char *carrier = carriers[data[0] % 3];
	long status = statuses[data[1] & 7];
	size_t asked = (data[1] >> 3) & 3;
	const char *body = (const char *)data + 2;
	size_t len = size - 2;

	tsk_shipment_list *l = NULL;
	if (tsk_parse(&l, ctx, carrier, body, len, "application/json") == TSK_OK)
		tsk_shipment_list_free(l);

	const tsk_adapter *a = tsk_ctx_carrier(ctx, carrier);
	const char *numbers[] = { "1ZA2207X6791425225", "21213123123230", "EZ1000000001" };
	tsk_response resp = { TSK_RESPONSE_VERSION, body, len, "application/json", status, numbers, asked, "fuzz" };
	tsk_parse_env env = { TSK_PARSE_ENV_VERSION, tsk_ctx_now(ctx), "ja" };
	if (tsk_shipment_list_new(&l) == TSK_OK) {
		tsk_error err;
		tsk_error_clear(&err);
		a->parse(a, &resp, &env, l, &err);
		tsk_shipment_list_free(l);
	}
	return 0;
}
