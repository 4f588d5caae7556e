/*
 * Private: carrier status tables. Each adapter keeps its words as data in a
 * status.def X-macro file:
 *   TSK_STATUS_WORD("配達完了", DELIVERED, NONE, "Delivered")
 * and optional keyword rules (substring -> status) for words not in the
 * table; a keyword match still counts as unmapped so unmapped_status is
 * raised and the word is seen.
 */
#ifndef TSK_LIB_STATUSMAP_H
#define TSK_LIB_STATUSMAP_H

#include "tsuiseki.h"

typedef struct tsk__status_word {
	const char *word;              /* UTF-8, as the carrier writes it */
	tsk_status status;
	tsk_exception_code exception;
	const char *english;
} tsk__status_word;

/* Build a table row from status.def: X(word, STATUS, EXC, english) */
#define TSK__STATUS_ROW(word, st, exc, en) { word, TSK_STATUS_##st, TSK_EXC_##exc, en },
/* TSK_EXC_NONE is spelled NONE in status.def rows. */

/*
 * Map a word: exact match (after width folding and removal of white space)
 * in table; else the first keyword rule whose word is a substring of the
 * folded text (unmapped = 1); else UNKNOWN (unmapped = 1).
 */
void tsk__status_map(const tsk__status_word *table, size_t n, const tsk__status_word *keywords,
                     size_t nk, const char *word, tsk_status_mapping *out);

/* Exact lookup only; NULL when absent. */
const tsk__status_word *tsk__status_lookup(const tsk__status_word *table, size_t n, const char *word);

#endif
