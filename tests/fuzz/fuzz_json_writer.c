/*
 * Fuzz the JSON writer: any shipment the public API lets a caller build
 * serialises to valid JSON that loads back and dumps identically. The
 * input is cut at NUL bytes into texts handed to every setter (texts the
 * setters refuse, such as invalid UTF-8, are simply not set).
 */
#include <tsuiseki.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next NUL-terminated piece of the input (the last piece is copied). */
static const char *next_text(const uint8_t *data, size_t size, size_t *pos, char **owned)
{
	if (*pos >= size)
		return NULL;
	const uint8_t *start = data + *pos;
	const uint8_t *nul = memchr(start, 0, size - *pos);
	size_t len = nul ? (size_t)(nul - start) : size - *pos;
	*pos += len + 1;
	free(*owned);
	*owned = malloc(len + 1);
	if (!*owned)
		return NULL;
	memcpy(*owned, start, len);
	(*owned)[len] = '\0';
	return *owned;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	char *buf = NULL;
	const char *t = next_text(data, size, &pos, &buf);
	tsk_shipment *s = NULL;
	if (tsk_shipment_new(&s, "yamato", t ? t : "") != TSK_OK) {
		free(buf);
		return 0;
	}
	for (int f = 0; f < TSK_SHIPMENT__FIELD_COUNT && (t = next_text(data, size, &pos, &buf)); f++)
		tsk_shipment_set_text(s, (tsk_shipment_field)f, t);
	if ((t = next_text(data, size, &pos, &buf)) && *t)
		tsk_shipment_set_error(s, -(int)((unsigned char)t[0] % 17) - 1, t + 1);
	while ((t = next_text(data, size, &pos, &buf))) {
		tsk_event *ev = NULL;
		if (tsk_event_new(&ev) != TSK_OK)
			break;
		unsigned char k = (unsigned char)(*t ? t[0] : 0);
		tsk_event_set_status(ev, (tsk_status)(k % TSK_STATUS__COUNT), (tsk_exception_code)(k % 7), k & 1);
		for (int f = 0; f < TSK_EVENT__FIELD_COUNT && (t = next_text(data, size, &pos, &buf)); f++)
			tsk_event_set_text(ev, (tsk_event_field)f, t);
		if (tsk_shipment_append_event(s, ev) != TSK_OK)
			break;
	}
	free(buf);
	tsk_shipment_list *l = NULL;
	if (tsk_shipment_list_new(&l) != TSK_OK || tsk_shipment_list_append(l, s) != TSK_OK) {
		tsk_shipment_list_free(l);
		return 0;
	}
	for (unsigned flags = 0; flags < 4; flags++) {
		char *a = NULL, *b = NULL;
		tsk_shipment_list *back = NULL;
		tsk_error err;
		if (tsk_shipment_list_to_json(&a, NULL, l, flags) != TSK_OK)
			abort(); /* whatever the API accepted serialises */
		if (tsk_shipment_list_from_json(&back, a, strlen(a), &err) != TSK_OK)
			abort(); /* and it is valid JSON of the contract */
		if (tsk_shipment_list_to_json(&b, NULL, back, flags) != TSK_OK || strcmp(a, b) != 0)
			abort(); /* lossless */
		tsk_free(a);
		tsk_free(b);
		tsk_shipment_list_free(back);
	}
	tsk_shipment_list_free(l);
	return 0;
}
