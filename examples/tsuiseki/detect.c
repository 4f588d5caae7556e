/*
 * tsuiseki detect: which carriers may own a number, best first.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_detect(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	int status;
	if (!cli_start(&o, &ctx, v, argc, argv, &status))
		return status;
	if (o.json)
		fputs("{\"schema\":1,\"numbers\":[", stdout);
	for (int i = 0; i < o.nargs; i++) {
		tsk_detection *d = NULL;
		tsk_detect(&d, ctx, o.args[i]);
		if (!d) {
			fprintf(stderr, "tsuiseki detect: %s\n", tsk_ctx_last_error(ctx));
			status = CLI_SOME_ERROR;
			continue;
		}
		if (!tsk_detection_valid(d))
			status = CLI_SOME_ERROR;
		if (o.json) {
			printf("%s{\"input\":", i ? "," : "");
			cli_put_json_string(stdout, o.args[i]);
			fputs(",\"number\":", stdout);
			cli_put_json_string(stdout, tsk_detection_number(d));
			printf(",\"valid\":%s,\"candidates\":[", tsk_detection_valid(d) ? "true" : "false");
			for (size_t k = 0; k < tsk_detection_count(d); k++) {
				const tsk_candidate *c = tsk_detection_at(d, k);
				printf("%s{\"carrier\":", k ? "," : "");
				cli_put_json_string(stdout, c->carrier);
				printf(",\"confidence\":%.2f}", c->confidence);
			}
			fputs("],\"error\":", stdout);
			if (tsk_detection_valid(d)) {
				fputs("null", stdout);
			} else {
				fputs("{\"code\":\"invalid_number\",\"message\":", stdout);
				cli_put_json_string(stdout, tsk_detection_error(d) ? tsk_detection_error(d) : "invalid number");
				fputc('}', stdout);
			}
			fputc('}', stdout);
		} else if (tsk_detection_valid(d)) {
			printf("%s:", tsk_detection_number(d));
			for (size_t k = 0; k < tsk_detection_count(d); k++) {
				const tsk_candidate *c = tsk_detection_at(d, k);
				printf(" %s (%.2f)", c->carrier, c->confidence);
			}
			putchar('\n');
		} else {
			printf("%s: invalid: %s\n", o.args[i], tsk_detection_error(d));
		}
		tsk_detection_free(d);
	}
	if (o.json)
		fputs("]}\n", stdout);
	cli_finish(&o, ctx);
	return status;
}
