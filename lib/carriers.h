/*
 * Private: what lib/ takes from carriers/ — the built-in adapters (and
 * which one's delivery tables a shipment uses) and the REST adapter's factory. Carriers know nothing of the context: lib/
 * registers what they make (lib/setup.c, lib/mappings.c).
 */
#ifndef TSK_LIB_CARRIERS_H
#define TSK_LIB_CARRIERS_H

#include "tsuiseki.h"

#include <stdbool.h>
#include <stddef.h>

/* Built-in adapters (generated from builtin_carriers in carriers/meson.build),
 * in registration order. */
extern const tsk_adapter *const tsk__builtin_adapters[];
extern const size_t tsk__builtin_adapter_count;

/* The adapter whose delivery tables (tsk_adapter.tables) a shipment of this
 * carrier uses: the registered one, else the built-in one of that name,
 * else NULL (the generic tables). */
const tsk_adapter *tsk__ctx_tables_adapter(const tsk_ctx *ctx, const char *carrier);

/* A REST adapter made from one mapping text (carriers/rest/rest.c); origin
 * names it in messages (a path, or NULL). The adapter owns its mapping:
 * (*out)->destroy(*out) frees both. Errors in err (TSK_ECONFIG, TSK_ENOMEM). */
int tsk__rest_adapter_new(tsk_adapter **out, const char *json, size_t len, const char *origin,
                          tsk_error *err);
/* The origin of a REST adapter made by tsk__rest_adapter_new, NULL for any
 * other adapter. */
const char *tsk__rest_origin(const tsk_adapter *a);

/* For the tests: the print tables of a Yamato page's script (its PRINT_n()
 * functions), read as the parse reads them and through libxml2's tree
 * only. *tables: how many the tree gives; *plain: how many the direct
 * reading took; *same: both gave the same tables. TSK_ENOMEM. */
int tsk__yamato_print_check(const char *script, size_t *tables, size_t *plain, bool *same);

#endif
