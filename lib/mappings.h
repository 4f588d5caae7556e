/* Private: loading REST mappings into a context (lib/mappings.c). */
#ifndef TSK_LIB_MAPPINGS_H
#define TSK_LIB_MAPPINGS_H

#include "tsuiseki.h"
#include <stdbool.h>

/* Load every *.json mapping of a directory; with replace (the search
 * path), a mapping overrides an earlier one of the same name and a
 * relative directory is refused (a mapping error). */
int tsk__rest_load_dir(tsk_ctx *ctx, const char *dir, bool replace);

/* The installed mappings, then each directory of TSUISEKI_MAPPING_PATH;
 * failures are listed, never returned (tsk_ctx_new). */
void tsk__mappings_load_default(tsk_ctx *ctx);

#endif
