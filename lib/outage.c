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

_Static_assert(TSK__ARRAY_LEN(outage_phrases) <= 32, "the phrases found are kept in a 32-bit set");

/* A line that says it: its first phrase in table order, the line and its
 * length. */
typedef struct saying {
	int phrase;
	const char *line;
	size_t len;
} saying;

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/*
 * Where phrases can begin, to pass over most of a line at one lookup per
 * byte: bit i of first[c] is set when phrase i begins with byte c (either
 * ASCII case), and of next[(b + c) & 255] when its next two bytes are b,
 * c (lower case; every phrase has at least three bytes).
 */
typedef struct phrase_index {
	uint32_t first[256], next[256];
} phrase_index;

static void phrase_index_build(phrase_index *x)
{
	memset(x, 0, sizeof *x);
	for (size_t i = 0; i < TSK__ARRAY_LEN(outage_phrases); i++) {
		const unsigned char *w = (const unsigned char *)outage_phrases[i].phrase;
		uint32_t bit = (uint32_t)1 << i;
		x->first[w[0]] |= bit;
		if (w[0] >= 'a' && w[0] <= 'z')
			x->first[w[0] - 32] |= bit;
		x->next[(w[1] + w[2]) & 255] |= bit;
	}
}

/* The first phrase in table order that the folded line f says (ASCII
 * case ignored), or -1. */
static int first_phrase(const char *f, const phrase_index *x)
{
	const unsigned char *u = (const unsigned char *)f;
	uint32_t found = 0;
	for (size_t k = 0; u[k]; k++) {
		uint32_t m = x->first[u[k]];
		if (!m || !u[k + 1] || !u[k + 2])
			continue;
		m &= x->next[(ascii_lower(u[k + 1]) + ascii_lower(u[k + 2])) & 255] & ~found;
		for (size_t i = 0; m >> i; i++) {
			const char *a = outage_phrases[i].phrase;
			size_t n = 0;
			if (m >> i & 1) {
				while (a[n] && (unsigned char)a[n] == ascii_lower(u[k + n]))
					n++;
				if (!a[n])
					found |= (uint32_t)1 << i;
			}
		}
	}
	for (int i = 0; found; i++, found >>= 1)
		if (found & 1)
			return i;
	return -1;
}

/*
 * The longest line of text (lines split at '\n', which are made NULs) that
 * says one of the phrases, into *best when it is longer than what *best
 * holds. TSK_OK or TSK_ENOMEM.
 */
static int longest_saying(char *text, const phrase_index *x, saying *best)
{
	for (char *line = text; line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		/* folded on the stack when the line fits (most do) */
		char buf[512], *heap = NULL, *f = buf;
		if (!tsk__text_fold_into(buf, sizeof buf, line, true) && !(f = heap = tsk__html_fold(line, true)))
			return TSK_ENOMEM;
		int hit = first_phrase(f, x);
		free(heap);
		size_t len = hit >= 0 ? strlen(line) : 0;
		if (len > best->len)
			*best = (saying){ hit, line, len };
		line = nl ? nl + 1 : NULL;
	}
	return TSK_OK;
}

int tsk__html_outage(tsk__html *page, const char *carrier, tsk_error *err)
{
	/* the longest line of the body that says it (the notice, rather than
	 * a heading repeating the title); the title when no line of the body
	 * does (it is read only then) */
	saying best = { -1, NULL, 0 };
	phrase_index x;
	phrase_index_build(&x);
	xmlNodePtr body = tsk__html_first(page, NULL, "//body");
	char *text = body ? tsk__node_text(body) : NULL, *title = NULL;
	int rc = body && !text ? TSK_ENOMEM : text ? longest_saying(text, &x, &best) : TSK_OK;
	if (rc == TSK_OK && !best.line) {
		xmlNodePtr t = tsk__html_first(page, NULL, "//title");
		title = t ? tsk__node_text_line(t) : NULL;
		rc = t && !title ? TSK_ENOMEM : title ? longest_saying(title, &x, &best) : TSK_OK;
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
