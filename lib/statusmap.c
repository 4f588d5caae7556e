/*
 * Status tables: exact lookup after width/space folding, then keyword rules.
 * Tables are small (tens of rows) and looked up a few times per page, so a
 * linear scan over pre-folded text is the clear choice.
 */
#include "statusmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static bool folded_equal(const char *a_folded, const char *b)
{
	char *bf = tsk__text_fold(b, true);
	bool eq = bf && strcmp(a_folded, bf) == 0;
	free(bf);
	return eq;
}

const tsk__status_word *tsk__status_lookup(const tsk__status_word *table, size_t n, const char *word)
{
	if (!word)
		return NULL;
	char *wf = tsk__text_fold(word, true);
	if (!wf)
		return NULL;
	const tsk__status_word *hit = NULL;
	for (size_t i = 0; i < n && !hit; i++)
		if (folded_equal(wf, table[i].word))
			hit = &table[i];
	free(wf);
	return hit;
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
	char *wf = tsk__text_fold(word, true);
	if (!wf)
		return;
	for (size_t i = 0; i < nk; i++) {
		char *kf = tsk__text_fold(keywords[i].word, true);
		bool match = kf && *kf && strstr(wf, kf);
		free(kf);
		if (match) {
			out->status = keywords[i].status;
			out->exception = keywords[i].exception;
			out->english = keywords[i].english;
			break;
		}
	}
	free(wf);
}
