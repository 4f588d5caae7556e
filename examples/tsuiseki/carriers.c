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
	for (size_t i = 0; i < tsk_ctx_carrier_count(ctx); i++) {
		const tsk_adapter *a = tsk_ctx_carrier_at(ctx, i);
		printf("%-16s %-40s batch %-3zu %s\n", a->name, a->display_name ? a->display_name : "",
		       a->max_batch, tsk_ctx_endpoint(ctx, a->name) ? tsk_ctx_endpoint(ctx, a->name) : "");
	}
	cli_finish(&o, ctx);
	return CLI_OK;
}
