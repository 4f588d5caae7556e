/*
 * tsuiseki parse: run a carrier's parser on a saved page (no network).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Read FILE or stdin (at most CLI_MAX_INPUT bytes); NULL with errno set. */
static char *slurp(const char *path, size_t *len_out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = cli_read_all(f, len_out);
	if (f != stdin) {
		int e = errno;
		fclose(f);
		errno = e;
	}
	return buf;
}

int cmd_parse(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	int status;
	if (!cli_start(&o, &ctx, v, argc, argv, &status))
		return status;
	if (!o.carrier) {
		if (o.carrier_auto)
			cli_usage_error(v, "--carrier auto cannot parse a saved page: name the carrier whose page "
			                   "it is (see tsuiseki carriers)");
		else
			cli_usage_error(v, "which carrier's page is it? give --carrier NAME (see tsuiseki carriers)");
		cli_finish(&o, ctx);
		return CLI_USAGE;
	}
	size_t len = 0;
	char *body = slurp(o.args[0], &len);
	tsk_shipment_list *l = NULL;
	int rc = TSK_EIO;
	char why[600];
	if (!body) {
		snprintf(why, sizeof why, "cannot read %s: %s", o.args[0], strerror(errno));
	} else {
		rc = tsk_parse(&l, ctx, o.carrier, body, len, NULL);
		snprintf(why, sizeof why, "%s", tsk_ctx_last_error(ctx));
	}
	if (rc != TSK_OK && o.json) {
		/* one document other programs can read, the reason in it as track --json has it */
		fputs("{\"schema\":1,\"shipments\":[],\"error\":{\"code\":", stdout);
		cli_put_json_string(stdout, tsk_error_name(rc));
		fputs(",\"message\":", stdout);
		cli_put_json_string(stdout, why);
		fputs("}}\n", stdout);
		status = CLI_SOME_ERROR;
	} else if (rc != TSK_OK) {
		fprintf(stderr, "tsuiseki parse: %s\n", why);
		status = CLI_SOME_ERROR;
	} else {
		if (o.explain) {
			/* with --json the explanation goes to stderr so stdout stays one JSON document */
			FILE *ex = o.json ? stderr : stdout;
			for (size_t i = 0; i < tsk_shipment_list_count(l); i++) {
				const tsk_shipment *s = tsk_shipment_list_at(l, i);
				fprintf(ex, "%s %s: layout %s\n", tsk_shipment_carrier(s), tsk_shipment_tracking_number(s),
				        tsk_shipment_layout(s) ? tsk_shipment_layout(s) : "(not recorded)");
			}
			if (tsk_shipment_list_count(l) == 0)
				fprintf(ex, "%s: the page lists no shipments\n", o.carrier);
		}
		status = cli_print_shipments(l, &o, stdout);
	}
	tsk_shipment_list_free(l);
	free(body);
	cli_finish(&o, ctx);
	return status;
}
