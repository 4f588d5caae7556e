/*
 * Fuzz target: feed arbitrary bytes to the Japan Post parser through
 * tsk_parse with a fixed reference time. Any return code is fine; a
 * crash, a hang, a leak or a sanitizer report is not.
 *
 * Seeds: the pages in tests/data/japanpost. The context is made once and kept:
 * parsing leaves nothing behind in it but the last error message.
 */
#include "tsuiseki.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static tsk_ctx *ctx;
	if (!ctx) {
		if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
			return 0;
		tsk_time now;
		if (tsk_time_parse_rfc3339(&now, "2024-06-20T12:00:00+09:00") == TSK_OK)
			tsk_ctx_set_now(ctx, &now);
	}
	tsk_shipment_list *l = NULL;
	if (tsk_parse(&l, ctx, "japanpost", (const char *)data, size, NULL) == TSK_OK) {
		/* touch what a caller reads */
		for (size_t i = 0; i < tsk_shipment_list_count(l); i++) {
			const tsk_shipment *s = tsk_shipment_list_at(l, i);
			(void)tsk_shipment_status(s);
			for (size_t k = 0; k < tsk_shipment_event_count(s); k++)
				(void)tsk_event_time_raw(tsk_shipment_event_at(s, k));
		}
	}
	tsk_shipment_list_free(l);
	return 0;
}
