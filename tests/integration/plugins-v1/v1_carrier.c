/*
 * The example plugin as a plugin built against the version-1 adapter
 * header would be: it accepts only ABI 1, and its descriptor is handed
 * over in a block of exactly the version-1 size (tsk_adapter up to
 * userdata), so a loader that read a version-2 member (tables,
 * service_hint) would read past it, which ASan and valgrind report.
 */
#include <stddef.h>
#include <stdlib.h>

#define EXAMPLE_PLUGIN_ABI 1
/* the example's entry point, wrapped below */
#define tsk_plugin_adapters example_plugin_adapters
#include "../../../examples/plugin/example_carrier.c"
#undef tsk_plugin_adapters

#define V1_SIZE offsetof(tsk_adapter, tables)

static void *v1_adapter;
static const tsk_adapter *v1_list[1];

__attribute__((destructor)) static void v1_free(void)
{
	free(v1_adapter);
}

TSK_API int tsk_plugin_adapters(unsigned int abi, const tsk_adapter *const **list_out, size_t *count_out);

TSK_API int tsk_plugin_adapters(unsigned int abi, const tsk_adapter *const **list_out, size_t *count_out)
{
	const tsk_adapter *const *list;
	size_t count;
	int rc = example_plugin_adapters(abi, &list, &count);
	if (rc != TSK_OK)
		return rc;
	if (!v1_adapter) {
		if (!(v1_adapter = malloc(V1_SIZE)))
			return TSK_ENOMEM;
		const unsigned int version = 1;
		memcpy(v1_adapter, list[0], V1_SIZE);
		memcpy((char *)v1_adapter + offsetof(tsk_adapter, version), &version, sizeof version);
		v1_list[0] = v1_adapter;
	}
	*list_out = v1_list;
	*count_out = 1;
	return TSK_OK;
}
