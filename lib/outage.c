/*
 * A carrier's "cannot answer now" pages. The phrases are data
 * (lib/data/outage.def); they are looked for line by line in the text of
 * a page no layout recognised, so the carrier's own line can be quoted.
 */
#include "outage.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *phrase; /* folded: no white space, ASCII lower case */
	int code;
	const char *what;
} outage_phrases[] = {
#define TSK_OUTAGE_PHRASE(phrase, err, what) { phrase, TSK_E##err, what },
#include "data/outage.def"
#undef TSK_OUTAGE_PHRASE
};

_Static_assert(TSK__ARRAY_LEN(outage_phrases) <= 64, "the phrases found are kept in a 64-bit set");

/* What saying it a line of text does: its first phrase in table order, the
 * line, and its length. */
typedef struct saying {
	int phrase;
	const char *line;
	size_t len;
} saying;

/*
 * The longest line of text (lines split at '\n', which are made NULs) that
 * says one of the phrases, into *best when it is longer than what *best
 * holds. Every line is folded once into one buffer, each followed by a
 * '\n', and each phrase looked for there once: a page that says none of
 * them (most pages that reach here) costs nineteen searches, not nineteen
 * per line; a line is searched only for the phrases found somewhere.
 * TSK_OK or TSK_ENOMEM.
 */
static int longest_saying(char *text, saying *best)
{
	/* folding never lengthens a line: the lines and their separators fit
	 * in the text's length, plus the last separator and the NUL */
	size_t size = strlen(text) + 2;
	char stack[1024], *heap = NULL, *f = stack;
	if (size > sizeof stack && !(f = heap = malloc(size)))
		return TSK_ENOMEM;
	size_t o = 0, nlines = 0;
	for (char *line = text; line; nlines++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		tsk__text_fold_into(f + o, size - o, line, true);
		for (; f[o]; o++)
			if (f[o] >= 'A' && f[o] <= 'Z')
				f[o] = (char)(f[o] + 32);
		f[o++] = '\n';
		line = nl ? nl + 1 : NULL;
	}
	f[o] = '\0';
	uint64_t said = 0;
	for (size_t i = 0; i < TSK__ARRAY_LEN(outage_phrases); i++)
		if (strstr(f, outage_phrases[i].phrase))
			said |= (uint64_t)1 << i;
	/* the lines (now NUL-separated) and their folded forms, side by side */
	const char *line = text;
	char *fl = f;
	for (size_t k = 0; said && k < nlines; k++) {
		char *fnl = strchr(fl, '\n');
		*fnl = '\0';
		int hit = -1;
		for (size_t i = 0; i < TSK__ARRAY_LEN(outage_phrases) && hit < 0; i++)
			if ((said >> i & 1) && strstr(fl, outage_phrases[i].phrase))
				hit = (int)i;
		size_t len = strlen(line);
		if (hit >= 0 && len > best->len)
			*best = (saying){ hit, line, len };
		line += len + 1;
		fl = fnl + 1;
	}
	free(heap);
	return TSK_OK;
}

int tsk__html_outage(tsk__html *page, const char *carrier, tsk_error *err)
{
	/* the longest line of the body that says it (the notice, rather than
	 * a heading repeating the title); the title when no line of the body
	 * does (it is read only then) */
	saying best = { -1, NULL, 0 };
	xmlNodePtr body = tsk__html_first(page, NULL, "//body");
	char *text = body ? tsk__node_text(body) : NULL, *title = NULL;
	int rc = body && !text ? TSK_ENOMEM : text ? longest_saying(text, &best) : TSK_OK;
	if (rc == TSK_OK && !best.line) {
		xmlNodePtr t = tsk__html_first(page, NULL, "//title");
		title = t ? tsk__node_text_line(t) : NULL;
		rc = t && !title ? TSK_ENOMEM : title ? longest_saying(title, &best) : TSK_OK;
	}
	if (rc == TSK_OK && best.line) {
		/* the carrier's line, cut at a character boundary */
		char words[240];
		size_t n = tsk__utf8_cut(best.line, best.len, sizeof words - 1);
		memcpy(words, best.line, n);
		words[n] = '\0';
		rc = tsk_error_set(err, outage_phrases[best.phrase].code, "%s: %s (%s)", carrier,
		                   outage_phrases[best.phrase].what, words);
	} else if (rc == TSK_ENOMEM) {
		tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	free(text);
	free(title);
	return rc;
}
