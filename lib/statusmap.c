/*
 * Status tables: whole words after width/space folding, then templates,
 * then keyword rules. Tables are small (tens of rows) and looked up a few
 * times per page, so a linear scan in file order is the clear choice, and
 * file order is the priority the rows are written in.
 */
#include "statusmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* A place in front of a template is a short name, not a sentence. */
#define TSK__STATUS_PLACE_MAX 96

static void set_from(tsk_status_mapping *out, const tsk__status_word *row, int unmapped)
{
	out->status = row->status;
	out->exception = row->exception;
	out->english = row->english;
	out->unmapped = unmapped;
}

/* Is the row's word the folded word? (folded once by the caller; a word
 * too long to fold there is compared as text) */
static bool row_equal(const tsk__folded *f, const char *word, const char *row, bool nocase)
{
	return f->ok ? tsk__folded_equal_text(f, row, nocase) : tsk__fold_equal(word, row, nocase);
}

/* The first TSK_STATUS_WORD row equal to word, folded into f (nocase as
 * given), or NULL. */
static const tsk__status_word *whole_word(const tsk__status_table *t, const tsk__folded *f, const char *word,
                                          bool nocase)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->rows[i].kind == TSK__STATUS_EXACT && row_equal(f, word, t->rows[i].word, nocase))
			return &t->rows[i];
	return NULL;
}

/* Does the folded word contain the row's keyword? */
static bool row_contains(const tsk__folded *f, const char *word, const char *row)
{
	return f->ok ? tsk__folded_contains_text(f, row) : tsk__fold_contains(word, row);
}

/* The TSK_STATUS_WORD row equal to word (f: word folded with case kept),
 * or NULL. Comparisons fold on the fly and allocate nothing. */
static const tsk__status_word *lookup(const tsk__status_table *t, const tsk__folded *f, const char *word)
{
	const tsk__status_word *hit = whole_word(t, f, word, false);
	/* ignoring case changes nothing for a word without ASCII letters */
	bool letters = !f->ok;
	for (size_t i = 0; i < f->n && !letters; i++)
		letters = (f->cp[i] >= 'A' && f->cp[i] <= 'Z') || (f->cp[i] >= 'a' && f->cp[i] <= 'z');
	if (!hit && t->nocase && letters) {
		tsk__folded lower;
		tsk__fold_cps(&lower, word, true);
		hit = whole_word(t, &lower, word, true);
	}
	return hit;
}

/* The place in front of suffix in the cleaned text, or NULL when the text
 * is not "<place><suffix>". *oom is set when memory ran out. */
static char *template_place(const char *clean, const char *suffix, bool *oom)
{
	size_t len = strlen(clean), sl = strlen(suffix);
	if (len <= sl || memcmp(clean + len - sl, suffix, sl) != 0)
		return NULL;
	char *place = tsk__strndup(clean, len - sl);
	if (!place) {
		*oom = true;
		return NULL;
	}
	tsk__trim(place);
	if (!*place || strlen(place) > TSK__STATUS_PLACE_MAX || strstr(place, "。") || strstr(place, "、")) {
		free(place);
		return NULL;
	}
	return place;
}

/* The first template row the word fits; true when one did. */
static bool template_row(const tsk__status_table *t, const char *word, tsk_status_mapping *out,
                         char **place_out, bool *oom)
{
	char *clean = NULL;
	for (size_t i = 0; i < t->count; i++) {
		if (t->rows[i].kind != TSK__STATUS_TEMPLATE)
			continue;
		if (!clean && !(clean = tsk__text_clean(word))) {
			*oom = true;
			return false;
		}
		char *place = template_place(clean, t->rows[i].word, oom);
		if (!place) {
			if (*oom)
				break;
			continue;
		}
		set_from(out, &t->rows[i], 0);
		if (place_out)
			*place_out = place;
		else
			free(place);
		free(clean);
		return true;
	}
	free(clean);
	return false;
}

int tsk__status_map(const tsk__status_table *t, const char *word, tsk_status_mapping *out,
                    char **place_out)
{
	if (place_out)
		*place_out = NULL;
	out->status = TSK_STATUS_UNKNOWN;
	out->exception = TSK_EXC_NONE;
	out->english = NULL;
	out->unmapped = 1;
	if (!word)
		return TSK_OK;
	/* folded once: for the whole words, then for the keywords */
	tsk__folded f;
	tsk__fold_cps(&f, word, false);
	const tsk__status_word *hit = lookup(t, &f, word);
	if (hit) {
		set_from(out, hit, 0);
		return TSK_OK;
	}
	bool oom = false;
	if (template_row(t, word, out, place_out, &oom))
		return TSK_OK;
	for (size_t i = 0; i < t->count; i++) {
		if (t->rows[i].kind == TSK__STATUS_KEYWORD && row_contains(&f, word, t->rows[i].word)) {
			set_from(out, &t->rows[i], 1);
			break;
		}
	}
	return oom ? TSK_ENOMEM : TSK_OK;
}
