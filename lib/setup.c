/*
 * Making a context (tsk_ctx_new): the bare context (lib/context.c), then
 * the built-in carriers (builtin_carriers in carriers/meson.build) and the
 * installed and configured REST mappings (lib/mappings.c) unless the flags
 * say otherwise.
 */
#include "carriers.h"
#include "context.h"
#include "html.h"
#include "http.h"
#include "mappings.h"

#include <stddef.h>
#include <string.h>

const tsk_adapter *tsk__ctx_tables_adapter(const tsk_ctx *ctx, const char *carrier)
{
	const tsk_adapter *a = tsk_ctx_carrier(ctx, carrier);
	/* a shipment of a built-in carrier the context did not register (a
	 * history loaded from elsewhere) still gets that carrier's tables */
	for (size_t i = 0; !a && carrier && i < tsk__builtin_adapter_count; i++)
		if (strcmp(tsk__builtin_adapters[i]->name, carrier) == 0)
			a = tsk__builtin_adapters[i];
	return a;
}

TSK_API int tsk_ctx_new(tsk_ctx **out, unsigned int flags)
{
	if (!out)
		return TSK_EINVAL;
	*out = NULL;
	tsk__html_global_init();
	if (tsk__http_global_init() != TSK_OK)
		return TSK_ERROR;
	tsk_ctx *ctx = tsk__ctx_alloc(flags);
	if (!ctx)
		return TSK_ENOMEM;
	if (!(flags & TSK_CTX_NO_DEFAULT_CARRIERS)) {
		for (size_t i = 0; i < tsk__builtin_adapter_count; i++) {
			int rc = tsk_ctx_register_adapter(ctx, tsk__builtin_adapters[i]);
			if (rc != TSK_OK) {
				tsk_ctx_free(ctx);
				return rc;
			}
		}
		tsk__mappings_load_default(ctx);
	}
	*out = ctx;
	return TSK_OK;
}
