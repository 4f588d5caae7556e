/*
 * The adapters every new context registers, in the order `tsuiseki
 * carriers` lists them and `--carrier auto` breaks ties.
 */
#include "carriers.h"

extern const tsk_adapter tsk__adapter_yamato;
extern const tsk_adapter tsk__adapter_sagawa;
extern const tsk_adapter tsk__adapter_japanpost;

const tsk_adapter *const tsk__builtin_adapters[] = {
	&tsk__adapter_yamato,
	&tsk__adapter_sagawa,
	&tsk__adapter_japanpost,
	NULL /* keeps the array non-empty; the count below excludes it */
};
const size_t tsk__builtin_adapter_count = sizeof tsk__builtin_adapters / sizeof tsk__builtin_adapters[0] - 1;
