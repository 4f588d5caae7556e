/*
 * tsuiseki carriers: the registry of this build.
 */
#include "cli.h"

#include <stdlib.h>

int cmd_carriers(int argc, char **argv)
{
	struct cli_opts o;
	int rc = cli_parse_opts(&o, argc, argv, "carriers", " --mappings ");
	if (rc != CLI_OK || o.nargs != 0) {
		if (rc == CLI_OK)
			fprintf(stderr, "usage: tsuiseki carriers [--mappings DIR]\n");
		free(o.args);
		return CLI_USAGE;
	}
	tsk_ctx *ctx = cli_context(&o);
	if (!ctx) {
		free(o.args);
		return CLI_SOME_ERROR;
	}
	for (size_t i = 0; i < tsk_ctx_carrier_count(ctx); i++) {
		const tsk_adapter *a = tsk_ctx_carrier_at(ctx, i);
		printf("%-16s %-40s batch %-3zu %s\n", a->name, a->display_name ? a->display_name : "",
		       a->max_batch, tsk_ctx_endpoint(ctx, a->name) ? tsk_ctx_endpoint(ctx, a->name) : "");
	}
	tsk_ctx_free(ctx);
	free(o.args);
	return CLI_OK;
}
