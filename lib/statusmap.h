/*
 * Private: carrier status tables, one convention for every carrier.
 *
 * A carrier keeps its words as data in carriers/<name>/status.def, one row
 * per line, in three kinds:
 *
 *   TSK_STATUS_WORD("配達完了", DELIVERED, NONE, "Delivered")
 *       the whole word, matched after width folding with white space
 *       dropped (and ASCII case ignored when the table says so);
 *   TSK_STATUS_TEMPLATE("を出発致しました。", IN_TRANSIT, NONE, "Left the office")
 *       a sentence "<place><suffix>" naming a place (a short name without
 *       。 or 、): a known form, so it counts as mapped; the place can
 *       become the event's location;
 *   TSK_STATUS_KEYWORD("持戻", FAILED_ATTEMPT, FAILED_ATTEMPT, "Taken back")
 *       a substring, last resort for words none of the rows above know,
 *       first match in file order wins; the word still counts as
 *       unmapped, so unmapped_status is raised and the word is seen.
 *
 * STATUS and EXCEPTION are tsk_status / tsk_exception_code names without
 * their prefix (TSK_EXC_NONE is NONE). The file defines no macro and
 * undefines none: this header defines the three, and the carrier includes
 * the file once, inside its table:
 *
 *   static const tsk__status_word words[] = {
 *   #include "status.def"
 *   };
 *   static const tsk__status_table table = TSK__STATUS_TABLE(words, false);
 *
 * and maps every word with tsk__status_map.
 */
#ifndef TSK_LIB_STATUSMAP_H
#define TSK_LIB_STATUSMAP_H

#include "tsuiseki.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum tsk__status_kind {
	TSK__STATUS_EXACT,    /* TSK_STATUS_WORD */
	TSK__STATUS_TEMPLATE, /* TSK_STATUS_TEMPLATE */
	TSK__STATUS_KEYWORD,  /* TSK_STATUS_KEYWORD */
} tsk__status_kind;

typedef struct tsk__status_word {
	const char *word;              /* UTF-8, as the carrier writes it */
	tsk_status status;
	tsk_exception_code exception;
	const char *english;
	tsk__status_kind kind;
} tsk__status_word;

#define TSK__STATUS_ROW(kind, w, st, exc, en) { w, TSK_STATUS_##st, TSK_EXC_##exc, en, TSK__STATUS_##kind },
#define TSK_STATUS_WORD(w, st, exc, en) TSK__STATUS_ROW(EXACT, w, st, exc, en)
#define TSK_STATUS_TEMPLATE(w, st, exc, en) TSK__STATUS_ROW(TEMPLATE, w, st, exc, en)
#define TSK_STATUS_KEYWORD(w, st, exc, en) TSK__STATUS_ROW(KEYWORD, w, st, exc, en)

typedef struct tsk__status_table {
	const tsk__status_word *rows;
	size_t count;
	bool nocase;   /* words with ASCII letters: a second whole-word pass ignores their case */
} tsk__status_table;

#define TSK__STATUS_TABLE(rows, nocase) { rows, TSK__ARRAY_LEN(rows), nocase }

/*
 * Map a word (NULL: UNKNOWN): the first TSK_STATUS_WORD row equal to it
 * (then, for a nocase table, equal ignoring ASCII case); else the first
 * TSK_STATUS_TEMPLATE row it ends with after a place name, *place_out (may
 * be NULL) getting the place (caller frees); else the first
 * TSK_STATUS_KEYWORD row it contains (unmapped = 1); else UNKNOWN
 * (unmapped = 1). Returns TSK_OK, or TSK_ENOMEM when a template could not
 * be tried for want of memory (out then holds what the other rows gave).
 */
int tsk__status_map(const tsk__status_table *t, const char *word, tsk_status_mapping *out,
                    char **place_out);

#endif
