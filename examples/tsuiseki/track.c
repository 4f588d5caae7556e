/*
 * tsuiseki track: query the carriers (blocking, concurrent) and print.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <stdlib.h>
#include <unistd.h>

/* A batch longer than this shows a progress line (on a terminal only). */
enum { PROGRESS_CHUNK = 20 };

/*
 * Track the numbers; on a terminal and with a long batch, in chunks with
 * a progress line on stderr (erased before the answer prints). Elsewhere
 * one batch, so the library batches and overlaps everything.
 */
static int track_all(tsk_shipment_list **out, tsk_ctx *ctx, const struct cli_opts *o)
{
	size_t n = (size_t)o->nargs;
	const char *const *numbers = (const char *const *)o->args;
	if (n <= PROGRESS_CHUNK || !isatty(STDERR_FILENO))
		return tsk_track_batch(out, ctx, o->carrier, numbers, n, NULL);
	int rc = tsk_shipment_list_new(out);
	for (size_t done = 0; rc == TSK_OK && done < n; done += PROGRESS_CHUNK) {
		fprintf(stderr, "\rtsuiseki: tracked %zu of %zu...", done, n);
		fflush(stderr);
		tsk_shipment_list *part = NULL;
		size_t k = n - done < PROGRESS_CHUNK ? n - done : PROGRESS_CHUNK;
		rc = tsk_track_batch(&part, ctx, o->carrier, numbers + done, k, NULL);
		while (rc == TSK_OK && tsk_shipment_list_count(part) > 0) {
			tsk_shipment *s = NULL;
			rc = tsk_shipment_list_take(&s, part, 0);
			if (rc == TSK_OK)
				rc = tsk_shipment_list_append(*out, s); /* frees s when it fails */
		}
		tsk_shipment_list_free(part);
	}
	fprintf(stderr, "\r%*s\r", 40, "");
	if (rc != TSK_OK) {
		tsk_shipment_list_free(*out);
		*out = NULL;
	}
	return rc;
}

int cmd_track(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	int status;
	if (!cli_start(&o, &ctx, v, argc, argv, &status))
		return status;
	tsk_shipment_list *l = NULL;
	int rc = track_all(&l, ctx, &o);
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
