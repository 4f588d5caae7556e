/*
 * tsuiseki track: query the carriers (blocking, concurrent) and print.
 */
#include "cli.h"

#include <stdlib.h>

int cmd_track(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	int status;
	if (!cli_start(&o, &ctx, v, argc, argv, &status))
		return status;
	tsk_shipment_list *l = NULL;
	int rc = tsk_track_batch(&l, ctx, o.carrier, (const char *const *)o.args, (size_t)o.nargs, NULL);
	if (rc == TSK_ENOCARRIER) {
		fprintf(stderr, "tsuiseki track: %s (see `tsuiseki carriers`)\n", tsk_ctx_last_error(ctx));
		status = CLI_USAGE;
	} else if (rc != TSK_OK) {
		fprintf(stderr, "tsuiseki track: %s\n", tsk_ctx_last_error(ctx));
		status = CLI_SOME_ERROR;
	} else {
		for (size_t i = 0; i < tsk_shipment_list_count(l); i++) {
			const tsk_shipment *s = tsk_shipment_list_at(l, i);
			if (tsk_shipment_also_known_by(s))
				fprintf(stderr, "tsuiseki: note: %s is known to %s as well; showing %s\n",
				        tsk_shipment_tracking_number(s), tsk_shipment_also_known_by(s),
				        tsk_shipment_carrier(s));
		}
		status = cli_print_shipments(l, &o, stdout);
	}
	tsk_shipment_list_free(l);
	cli_finish(&o, ctx);
	return status;
}
