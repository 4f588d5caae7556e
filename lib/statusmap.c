/*
 * Status tables: exact lookup after width/space folding, then keyword rules.
 * Tables are small (tens of rows) and looked up a few times per page, so a
 * linear scan over pre-folded text is the clear choice.
 */
#include "statusmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Comparisons fold on the fly and allocate nothing: a mapping cannot fail
 * (map_status has no error to return), so it must not depend on memory. */
const tsk__status_word *tsk__status_lookup(const tsk__status_word *table, size_t n, const char *word)
{
	if (!word)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (tsk__fold_equal(word, table[i].word, false))
			return &table[i];
	return NULL;
}

void tsk__status_map(const tsk__status_word *table, size_t n, const tsk__status_word *keywords,
                     size_t nk, const char *word, tsk_status_mapping *out)
{
	out->status = TSK_STATUS_UNKNOWN;
	out->exception = TSK_EXC_NONE;
	out->english = NULL;
	out->unmapped = 1;
	const tsk__status_word *hit = tsk__status_lookup(table, n, word);
	if (hit) {
		out->status = hit->status;
		out->exception = hit->exception;
		out->english = hit->english;
		out->unmapped = 0;
		return;
	}
	if (!word)
		return;
	for (size_t i = 0; i < nk; i++) {
		if (tsk__fold_contains(word, keywords[i].word)) {
			out->status = keywords[i].status;
			out->exception = keywords[i].exception;
			out->english = keywords[i].english;
			break;
		}
	}
}
