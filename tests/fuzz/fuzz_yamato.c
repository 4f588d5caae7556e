/*
 * Fuzz target: arbitrary bytes through the Yamato parser (every layout,
 * the decoder, year inference and analysis), at a fixed reference time.
 * Seeds: the pages in tests/data/yamato/.
 *
 * Invariant checked: tsk_parse returns a code and, on success, a list
 * whose every shipment can be read back; the print tables of the page's
 * scripts read straight from their text are the ones libxml2's tree gives
 * (carriers/yamato/yamato.c, print_table_plain); it never crashes, hangs
 * or leaks (the sanitizers and libFuzzer's leak check judge the rest).
 */
#include "carriers.h"
#include "html.h"
#include "tsuiseki.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT) != TSK_OK)
		return 0;
	tsk_time now;
	if (tsk_time_parse_rfc3339(&now, "2024-12-10T12:00:00+09:00") == TSK_OK)
		tsk_ctx_set_now(ctx, &now);
	tsk_shipment_list *l = NULL;
	if (tsk_parse(&l, ctx, "yamato", (const char *)data, size, NULL) == TSK_OK) {
		for (size_t i = 0; i < tsk_shipment_list_count(l); i++) {
			const tsk_shipment *s = tsk_shipment_list_at(l, i);
			if (!tsk_shipment_tracking_number(s) || !tsk_shipment_layout(s))
				abort();
			for (size_t k = 0; k < tsk_shipment_event_count(s); k++)
				if (!tsk_shipment_event_at(s, k))
					abort();
		}
		tsk_shipment_list_free(l);
	}
	tsk_ctx_free(ctx);

	tsk__html page;
	tsk_error err;
	tsk_error_clear(&err);
	if (tsk__html_parse(&page, (const char *)data, size, NULL, &err) == TSK_OK) {
		bool oom = false;
		const char *script;
		for (size_t i = 0; (script = tsk__html_script(&page, i, &oom)); i++) {
			size_t tables = 0, plain = 0;
			bool same = true;
			if (tsk__yamato_print_check(script, &tables, &plain, &same) == TSK_OK && !same)
				abort(); /* the direct reading differs from the tree's */
		}
		tsk__html_free(&page);
	}
	return 0;
}
