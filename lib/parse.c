/*
 * The parse pipeline: one response through its carrier's adapter, then
 * each shipment finalised (years, status) and analysed (ETA, exceptions,
 * next poll); tsk_parse() for a page the caller already has.
 *
 * Invariants: a failed parse leaves nothing half-made in the list; an
 * error message names the carrier once.
 */
#include "parse.h"
#include "analyze.h"
#include "carriers.h"
#include "context.h"
#include "html.h"
#include "model.h"

#include <stdio.h>
#include <string.h>

int tsk__ctx_complete(tsk_ctx *ctx, tsk_shipment *s, const tsk_shipment *previous)
{
	tsk_time now = tsk_ctx_now(ctx);
	int rc = tsk__shipment_finalize(s, &now);
	if (rc == TSK_OK)
		rc = tsk__analyze(s, previous, &now, tsk__ctx_slot(ctx, TSK__SLOT_TRANSIT),
		                  tsk__ctx_tables_adapter(ctx, s->carrier));
	return rc;
}

static void paths_free(tsk_ctx *ctx, void *data)
{
	(void)ctx;
	tsk__walks_free(data);
}

static struct tsk__walks *paths_of(tsk_ctx *ctx)
{
	struct tsk__walks *w = tsk__ctx_slot(ctx, TSK__SLOT_PATHS);
	if (!w && (w = tsk__walks_new()))
		tsk__ctx_set_slot(ctx, TSK__SLOT_PATHS, w, paths_free);
	return w;
}

int tsk__ctx_parse_response(tsk_ctx *ctx, const tsk_adapter *a, const tsk_response *resp,
                            tsk_shipment_list *out, tsk_error *err)
{
	tsk_parse_env env = { TSK_PARSE_ENV_VERSION, tsk_ctx_now(ctx), tsk__ctx_locale(ctx) };
	size_t before = tsk_shipment_list_count(out);
	tsk__xml_watch watch;
	tsk__xml_watch_begin(&watch);
	/* the adapters' paths, compiled once per context (without the cache,
	 * when it cannot be made, once per page) */
	watch.walks = paths_of(ctx);
	int rc = a->parse(a, resp, &env, out, err);
	/* libxml2 ran out of memory and answered with less: no answer at all */
	if (tsk__xml_watch_end(&watch) && rc != TSK_ENOMEM)
		rc = tsk_error_set(err, TSK_ENOMEM, "out of memory (in libxml2)");
	if (rc != TSK_OK) {
		/* a failed parse leaves nothing half-made behind */
		while (tsk_shipment_list_count(out) > before) {
			tsk_shipment *s;
			tsk_shipment_list_take(&s, out, tsk_shipment_list_count(out) - 1);
			tsk_shipment_free(s);
		}
		if (err->code == TSK_OK)
			tsk_error_set(err, rc, "%s", tsk_strerror(rc));
		/* the message names the carrier once, whether or not the adapter did */
		if (strncmp(err->message, a->name, strlen(a->name)) != 0) {
			char msg[sizeof err->message];
			snprintf(msg, sizeof msg, "%s", err->message);
			tsk_error_set(err, rc, "%s: %s", a->name, msg);
		}
		return rc;
	}
	for (size_t i = before; i < tsk_shipment_list_count(out); i++) {
		tsk_shipment *s = out->items[i];
		if (tsk__ctx_complete(ctx, s, NULL) != TSK_OK)
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	return TSK_OK;
}

TSK_API int tsk_parse(tsk_shipment_list **out, tsk_ctx *ctx, const char *carrier, const char *body,
                      size_t len, const char *content_type)
{
	if (!out || !ctx || !carrier || (!body && len))
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_parse: missing argument");
	*out = NULL;
	const tsk_adapter *a = tsk_ctx_carrier(ctx, carrier);
	if (!a)
		return tsk__ctx_error(ctx, TSK_ENOCARRIER, "no carrier named %s", carrier);
	tsk_shipment_list *l;
	if (tsk_shipment_list_new(&l) != TSK_OK)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	tsk_response resp = { TSK_RESPONSE_VERSION, body ? body : "", len, content_type, 0, NULL, 0, NULL };
	tsk_error err;
	tsk_error_clear(&err);
	int rc = tsk__ctx_parse_response(ctx, a, &resp, l, &err);
	if (rc != TSK_OK) {
		tsk_shipment_list_free(l);
		return tsk__ctx_error(ctx, rc, "%s%s%s", err.message, err.where[0] ? " at " : "", err.where);
	}
	*out = l;
	return TSK_OK;
}
