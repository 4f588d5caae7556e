/*
 * Secrets out of messages (see redact.h).
 *
 * Invariant: the text handed back never holds more of a secret than the
 * input minus what is hidden; on any failure the whole text is replaced.
 */
#include "redact.h"
#include "tsuiseki.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replace every occurrence of needle (len n) in *text; true on success. */
static bool replace_all(char **text, const char *needle, size_t n)
{
	if (n == 0 || !strstr(*text, needle))
		return true;
	tsk__buf b = TSK__BUF_INIT;
	const char *p = *text, *hit;
	while ((hit = strstr(p, needle))) {
		tsk__buf_add(&b, p, (size_t)(hit - p));
		tsk__buf_puts(&b, TSK__REDACTED);
		p = hit + n;
	}
	tsk__buf_puts(&b, p);
	char *out = tsk__buf_detach(&b);
	if (!out)
		return false;
	free(*text);
	*text = out;
	return true;
}

/* A query parameter name that says its value is a credential. */
static bool secret_param(const char *name, size_t len)
{
	static const char *const words[] = { "key", "token", "secret", "pass", "pwd", "auth",
		                             "sig", "session", "credential" };
	char low[64];
	if (len >= sizeof low)
		len = sizeof low - 1;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[len] = '\0';
	for (size_t i = 0; i < TSK__ARRAY_LEN(words); i++)
		if (strstr(low, words[i]))
			return true;
	return false;
}

static bool url_end_char(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' ||
	       c == '<' || c == '>' || c == ')';
}

/* Copy the URL whose "://" is at sep (scheme already copied) up to its end;
 * returns the first character after it. */
static const char *put_url(tsk__buf *b, const char *sep)
{
	const char *auth = sep + 3, *end = auth;
	while (!url_end_char(*end))
		end++;
	const char *auth_end = auth;
	while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
		auth_end++;
	const char *at = NULL;
	for (const char *p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	tsk__buf_puts(b, "://");
	if (at) {
		tsk__buf_puts(b, TSK__REDACTED);
		auth = at;
	}
	const char *q = auth;
	while (q < end && *q != '?')
		q++;
	tsk__buf_add(b, auth, (size_t)(q - auth));
	if (q == end)
		return end;
	/* the query: name=value pairs separated by & or ; up to a fragment */
	tsk__buf_putc(b, '?');
	const char *p = q + 1;
	while (p < end) {
		const char *pe = p;
		while (pe < end && *pe != '&' && *pe != ';' && *pe != '#')
			pe++;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		if (eq && secret_param(p, (size_t)(eq - p))) {
			tsk__buf_add(b, p, (size_t)(eq - p) + 1);
			tsk__buf_puts(b, TSK__REDACTED);
		} else {
			tsk__buf_add(b, p, (size_t)(pe - p));
		}
		if (pe == end)
			break;
		if (*pe == '#') {
			tsk__buf_add(b, pe, (size_t)(end - pe));
			break;
		}
		tsk__buf_putc(b, *pe);
		p = pe + 1;
	}
	return end;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* Copy len bytes of text that is not a URL, hiding the value of every
 * keyword=value pair whose keyword says it is a credential — a libpq
 * connection string ("host=db password=secret", "password = 'a b'"), a
 * header-like "token=…": the value up to white space, or quoted with '…'
 * (backslash escapes inside). */
static void put_plain(tsk__buf *b, const char *p, size_t len)
{
	const char *end = p + len, *copied = p;
	const char *q = p;
	while (q < end) {
		if (!name_char(*q) || (q > p && name_char(q[-1]))) {
			q++;
			continue;
		}
		const char *name = q;
		while (q < end && name_char(*q))
			q++;
		size_t nlen = (size_t)(q - name);
		const char *v = q;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v >= end || *v != '=' || !secret_param(name, nlen))
			continue;
		v++;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		const char *ve = v;
		if (ve < end && *ve == '\'') {
			for (ve++; ve < end && *ve != '\''; ve++)
				if (*ve == '\\' && ve + 1 < end)
					ve++;
			if (ve < end)
				ve++;
		} else {
			while (ve < end && !isspace((unsigned char)*ve))
				ve++;
		}
		if (ve == v)
			continue; /* "password=" with nothing after it */
		tsk__buf_add(b, copied, (size_t)(v - copied));
		tsk__buf_puts(b, TSK__REDACTED);
		copied = q = ve;
	}
	tsk__buf_add(b, copied, (size_t)(end - copied));
}

void tsk__redact(char *out, size_t outlen, const char *text, const char *const *secrets, size_t n)
{
	if (!out || outlen == 0)
		return;
	/* Nothing to hide without a secret to look for, a URL or a
	 * keyword=value pair: most messages (every page error) are copied
	 * as they are, without the work below. */
	if (n == 0 && text && !strchr(text, '=') && !strstr(text, "://")) {
		if (out != text)
			snprintf(out, outlen, "%s", text);
		return;
	}
	char *work = tsk__strdup(text ? text : "");
	bool ok = work != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		if (!secrets[i] || !*secrets[i])
			continue;
		ok = replace_all(&work, secrets[i], strlen(secrets[i]));
		char *enc = NULL;
		if (ok && tsk_url_encode(&enc, secrets[i], strlen(secrets[i])) != TSK_OK)
			ok = false;
		if (ok && strcmp(enc, secrets[i]) != 0)
			ok = replace_all(&work, enc, strlen(enc));
		tsk_free(enc);
	}
	tsk__buf b = TSK__BUF_INIT;
	if (ok) {
		tsk__buf_add(&b, "", 0);
		const char *p = work, *sep;
		while ((sep = strstr(p, "://"))) {
			put_plain(&b, p, (size_t)(sep - p));
			p = put_url(&b, sep);
		}
		put_plain(&b, p, strlen(p));
		ok = !b.failed;
	}
	snprintf(out, outlen, "%s", ok ? b.data : TSK__REDACTED);
	tsk__buf_dispose(&b);
	free(work);
}
