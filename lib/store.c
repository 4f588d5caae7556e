/*
 * What every store shares: the record helpers of lib/store.h.
 */
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void tsk__store_rec_dispose(tsk__store_rec *rec)
{
	if (!rec)
		return;
	free(rec->number);
	free(rec->carrier);
	free(rec->reference);
	free(rec->snapshot);
	free(rec->leg_carrier);
	free(rec->leg_number);
	rec->number = rec->carrier = rec->reference = rec->snapshot = NULL;
	rec->leg_carrier = rec->leg_number = NULL;
}

int tsk__store_rec_copy(tsk__store_rec *dst, const tsk__store_rec *src)
{
	*dst = *src;
	dst->number = tsk__strdup(src->number);
	dst->carrier = tsk__strdup(src->carrier);
	dst->reference = src->reference ? tsk__strdup(src->reference) : NULL;
	dst->snapshot = src->snapshot ? tsk__strdup(src->snapshot) : NULL;
	dst->leg_carrier = src->leg_carrier ? tsk__strdup(src->leg_carrier) : NULL;
	dst->leg_number = src->leg_number ? tsk__strdup(src->leg_number) : NULL;
	if (!dst->number || !dst->carrier || (src->reference && !dst->reference) ||
	    (src->snapshot && !dst->snapshot) || (src->leg_carrier && !dst->leg_carrier) ||
	    (src->leg_number && !dst->leg_number)) {
		tsk__store_rec_dispose(dst);
		return TSK_ENOMEM;
	}
	return TSK_OK;
}

void tsk__store_notes_free(tsk__store_note *notes, size_t count)
{
	for (size_t i = 0; notes && i < count; i++)
		free(notes[i].json);
	free(notes);
}

bool tsk__store_rec_matches(const tsk__store_rec *rec, const tsk_fleet_filter *f)
{
	if (!f)
		return true;
	if (f->status >= 0 && rec->status != f->status)
		return false;
	if (f->state >= 0 && rec->state != f->state)
		return false;
	if (f->exception != TSK_EXC_NONE && !(rec->exceptions & (1u << f->exception)))
		return false;
	if (f->due_before && (rec->state != TSK_FLEET_ACTIVE || rec->next_poll >= f->due_before->epoch))
		return false;
	if (f->reference && (!rec->reference || strcmp(rec->reference, f->reference) != 0))
		return false;
	return true;
}
