/*
 * tsuiseki carriers: the registry of this build.
 */
#include "cli.h"

#include <stdlib.h>

int cmd_carriers(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	int status;
	if (!cli_start(&o, &ctx, v, argc, argv, &status))
		return status;
	/* columns padded by display width: display names are often Japanese */
	int wname = 0, wdisplay = 0;
	for (size_t i = 0; i < tsk_ctx_carrier_count(ctx); i++) {
		const tsk_adapter *a = tsk_ctx_carrier_at(ctx, i);
		int w = cli_display_width(a->name);
		wname = w > wname ? w : wname;
		w = a->display_name ? cli_display_width(a->display_name) : 0;
		wdisplay = w > wdisplay ? w : wdisplay;
	}
	for (size_t i = 0; i < tsk_ctx_carrier_count(ctx); i++) {
		const tsk_adapter *a = tsk_ctx_carrier_at(ctx, i);
		cli_put_padded(stdout, a->name, wname + 2);
		cli_put_padded(stdout, a->display_name ? a->display_name : "", wdisplay + 2);
		printf("batch %-3zu %s\n", a->max_batch,
		       tsk_ctx_endpoint(ctx, a->name) ? tsk_ctx_endpoint(ctx, a->name) : "");
	}
	cli_finish(&o, ctx);
	return CLI_OK;
}
