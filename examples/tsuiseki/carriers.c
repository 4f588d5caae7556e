/*
 * tsuiseki carriers: the registry of this build.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/*
 * An endpoint as it may be shown: without the user information of its
 * authority (user:password@) and without its query, either of which may
 * carry a credential. The library's own messages are redacted the same way.
 */
static void put_endpoint(FILE *f, const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	size_t auth = strcspn(host, "/?#");
	const char *at = memchr(host, '@', auth);
	fwrite(url, 1, (size_t)(host - url), f);
	if (at) {
		fputs("***@", f);
		host = at + 1;
	}
	size_t keep = strcspn(host, "?#");
	fwrite(host, 1, keep, f);
	if (host[keep] == '?')
		fputs("?***", f);
}

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
		printf("batch %-3zu ", a->max_batch);
		const char *endpoint = tsk_ctx_endpoint(ctx, a->name);
		if (endpoint)
			put_endpoint(stdout, endpoint);
		putchar('\n');
	}
	cli_finish(&o, ctx);
	return CLI_OK;
}
