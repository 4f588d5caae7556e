/* Fuzz the snapshot loader: any bytes load or fail cleanly; what loads dumps and reloads identically. */
#include <tsuiseki.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tsk_shipment_list *l = NULL;
	tsk_error err;
	if (tsk_shipment_list_from_json(&l, (const char *)data, size, &err) != TSK_OK)
		return 0;
	char *a = NULL, *b = NULL;
	tsk_shipment_list *back = NULL;
	if (tsk_shipment_list_to_json(&a, NULL, l, TSK_JSON_SNAPSHOT) == TSK_OK &&
	    tsk_shipment_list_from_json(&back, a, strlen(a), &err) == TSK_OK &&
	    tsk_shipment_list_to_json(&b, NULL, back, TSK_JSON_SNAPSHOT) == TSK_OK && strcmp(a, b) != 0)
		abort(); /* the round trip must be lossless */
	tsk_free(a);
	tsk_free(b);
	tsk_shipment_list_free(back);
	tsk_shipment_list_free(l);
	return 0;
}
