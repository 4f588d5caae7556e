/*
 * The adapters every new context registers, in the order `tsuiseki
 * carriers` lists them and `--carrier auto` breaks ties.
 */
#include "context.h"

const tsk_adapter *const tsk__builtin_adapters[] = {
	NULL /* keeps the array non-empty; the count below excludes it */
};
const size_t tsk__builtin_adapter_count = 0;
