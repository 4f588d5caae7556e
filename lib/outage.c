/*
 * A carrier's "cannot answer now" pages. The phrases are data
 * (lib/data/outage.def); they are looked for line by line in the text of
 * a page no layout recognised, so the carrier's own line can be quoted.
 */
#include "outage.h"
#include "util.h"

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

/* The first phrase found in one line of text, or -1; -2 on ENOMEM. */
static int phrase_in(const char *line)
{
	/* folded on the stack when the line fits (most do) */
	char buf[512], *heap = NULL, *f = buf;
	if (!tsk__text_fold_into(buf, sizeof buf, line, true) && !(f = heap = tsk__html_fold(line, true)))
		return -2;
	for (char *p = f; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	int hit = -1;
	for (size_t i = 0; i < TSK__ARRAY_LEN(outage_phrases) && hit < 0; i++)
		if (strstr(f, outage_phrases[i].phrase))
			hit = (int)i;
	free(heap);
	return hit;
}

int tsk__html_outage(tsk__html *page, const char *carrier, tsk_error *err)
{
	xmlNodePtr title = tsk__html_first(page, NULL, "//title");
	xmlNodePtr body = tsk__html_first(page, NULL, "//body");
	char *texts[2] = { title ? tsk__node_text_line(title) : NULL,
		           body ? tsk__node_text(body) : NULL };
	if ((title && !texts[0]) || (body && !texts[1])) {
		free(texts[0]);
		free(texts[1]);
		return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	/* the longest line that says it (the notice, rather than a heading
	 * repeating the title); the title when no line of the body does */
	int rc = TSK_OK, hit = -1;
	const char *quote = NULL;
	size_t quote_len = 0;
	for (int t = 1; t >= 0 && rc == TSK_OK && !quote; t--) {
		for (char *line = texts[t]; line && *line && rc == TSK_OK;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			int h = phrase_in(line);
			if (h == -2)
				rc = tsk_error_set(err, TSK_ENOMEM, "out of memory");
			else if (h >= 0 && strlen(line) > quote_len) {
				hit = h;
				quote = line;
				quote_len = strlen(line);
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	if (rc == TSK_OK && quote) {
		/* the carrier's line, cut at a character boundary */
		char words[240];
		size_t n = tsk__utf8_cut(quote, quote_len, sizeof words - 1);
		memcpy(words, quote, n);
		words[n] = '\0';
		rc = tsk_error_set(err, outage_phrases[hit].code, "%s: %s (%s)", carrier, outage_phrases[hit].what,
		                   words);
	}
	free(texts[0]);
	free(texts[1]);
	return rc;
}
