/*
 * Fuzz target for the Sagawa parser: arbitrary bytes through tsk_parse at
 * a fixed reference time. Any return code is fine; a crash, a hang, a
 * leak or a sanitizer report is the finding. Seeds: tests/data/sagawa/.
 *
 * The context is made once and reused: it is not the code under test,
 * and a fixed `now` keeps every run deterministic.
 */
#include "tsuiseki.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tsk_ctx *fuzz_ctx(void)
{
	static tsk_ctx *ctx;
	if (!ctx) {
		tsk_time now;
		if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK ||
		    tsk_time_parse_rfc3339(&now, "2024-03-07T12:00:00+09:00") != TSK_OK)
			return NULL;
		tsk_ctx_set_now(ctx, &now);
	}
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tsk_ctx *ctx = fuzz_ctx();
	if (!ctx)
		return 0;
	tsk_shipment_list *l = NULL;
	if (tsk_parse(&l, ctx, "sagawa", (const char *)data, size, NULL) == TSK_OK)
		tsk_shipment_list_free(l);
	/* and once as a server would label it */
	if (tsk_parse(&l, ctx, "sagawa", (const char *)data, size, "text/html; charset=Shift_JIS") == TSK_OK)
		tsk_shipment_list_free(l);
	return 0;
}
