/*
 * Private helpers: growable buffers and arrays, UTF-8 text normalisation.
 *
 * Invariants: a tsk__buf's data is NUL-terminated whenever len > 0, and a
 * failed buffer never grows again (append errors surface once, at detach).
 * tsk__grow never shrinks an array and leaves it untouched when it fails.
 */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool buf_reserve(tsk__buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (extra > SIZE_MAX - b->len - 1) {
		b->failed = true;
		return false;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

bool tsk__buf_reserve_exact(tsk__buf *b, size_t extra)
{
	if (b->failed || extra > SIZE_MAX - b->len - 1)
		return false;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	char *p = realloc(b->data, need);
	if (!p)
		return false;
	b->data = p;
	b->cap = need;
	return true;
}

void tsk__buf_add(tsk__buf *b, const char *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void tsk__buf_puts(tsk__buf *b, const char *s)
{
	tsk__buf_add(b, s, strlen(s));
}

void tsk__buf_putc(tsk__buf *b, char c)
{
	tsk__buf_add(b, &c, 1);
}

void tsk__buf_printf(tsk__buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof small) {
		tsk__buf_add(b, small, (size_t)n);
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *tsk__buf_detach(tsk__buf *b)
{
	if (b->failed) {
		tsk__buf_dispose(b);
		return NULL;
	}
	if (!b->data) {
		b->data = malloc(1);
		if (!b->data)
			return NULL;
		b->data[0] = '\0';
	}
	char *p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void tsk__buf_dispose(tsk__buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

bool tsk__grow(void *items_ptr, size_t *cap, size_t need, size_t elem_size)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 8;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return false;
		n *= 2;
	}
	if (elem_size && n > SIZE_MAX / elem_size)
		return false;
	/* the array pointer is read and written as bytes: items_ptr is a T **
	 * whose pointee is not a void *, and object pointers share one
	 * representation on every platform this builds for (POSIX) */
	void *items;
	memcpy(&items, items_ptr, sizeof items);
	void *grown = realloc(items, n * elem_size);
	if (!grown)
		return false;
	memcpy(items_ptr, &grown, sizeof grown);
	*cap = n;
	return true;
}

char *tsk__strdup(const char *s)
{
	return s ? tsk__strndup(s, strlen(s)) : NULL;
}

char *tsk__strndup(const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int tsk__strset(char **dst, const char *src)
{
	char *copy = NULL;
	if (src && !(copy = tsk__strdup(src)))
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

size_t tsk__utf8_next(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	if (len == 0) {
		*cp = 0xFFFD;
		return 1;
	}
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2; v = c & 0x1F; min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3; v = c & 0x0F; min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4; v = c & 0x07; min = 0x10000;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	if (len < n) {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = v;
	return n;
}

size_t tsk__utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* A three-byte sequence that is valid whatever its continuation bytes
 * hold (lead E1..EC or EE..EF: no overlong form, no surrogate), as most
 * Japanese text is: true when the two continuation bytes are there. */
static bool plain_three(const unsigned char *u, size_t i, size_t len)
{
	unsigned char c = u[i];
	return c >= 0xE1 && c <= 0xEF && c != 0xED && i + 2 < len && (u[i + 1] & 0xC0) == 0x80 &&
	       (u[i + 2] & 0xC0) == 0x80;
}

size_t tsk__ascii_prefix(const char *s, size_t len)
{
	size_t i = 0;
	for (uint64_t w; i + 8 <= len && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ULL));)
		i += 8;
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

bool tsk__utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		i += tsk__ascii_prefix(s + i, len - i); /* runs of ASCII */
		if (i == len)
			break;
		if (plain_three((const unsigned char *)s, i, len)) {
			i += 3;
			continue;
		}
		uint32_t cp;
		size_t n = tsk__utf8_next(s + i, len - i, &cp);
		if (cp == 0xFFFD && !(n == 3 && (unsigned char)s[i] == 0xEF))
			return false;
		i += n;
	}
	return true;
}

void tsk__message_fix(char *s)
{
	size_t len = strlen(s);
	/* a character cut at the end by a fixed-size buffer goes whole */
	size_t i = len, cont = 0;
	while (i > 0 && cont < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
		i--;
		cont++;
	}
	if (i > 0) {
		unsigned char lead = (unsigned char)s[i - 1];
		size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
		if (lead >= 0xC0 && cont + 1 < need)
			s[len = i - 1] = '\0';
	}
	for (i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7F) { /* printable ASCII: as it is */
			i++;
			continue;
		}
		if (plain_three((const unsigned char *)s, i, len)) { /* nothing to fix there */
			i += 3;
			continue;
		}
		uint32_t cp;
		size_t n = tsk__utf8_next(s + i, len - i, &cp);
		if (cp == 0xFFFD && n == 1)
			s[i] = '?';
		else if (cp < 0x20 || cp == 0x7F)
			s[i] = ' ';
		i += n;
	}
}

char *tsk__utf8_repair(const char *s)
{
	size_t len = strlen(s);
	if (tsk__utf8_valid(s, len))
		return tsk__strndup(s, len);
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_add(&b, "", 0);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = tsk__utf8_next(s + i, len - i, &cp);
		tsk__buf_put_cp(&b, cp);
		i += n;
	}
	return tsk__buf_detach(&b);
}

bool tsk__is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

void tsk__buf_put_cp(tsk__buf *b, uint32_t cp)
{
	char out[4];
	size_t n;
	if (cp < 0x80) {
		out[0] = (char)cp; n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
	} else {
		out[0] = (char)(0xF0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
	}
	tsk__buf_add(b, out, n);
}

static bool is_ascii_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
	       cp == 0xA0;
}

/* mode 0: clean (trim ASCII+U+3000, collapse ASCII runs only)
 * mode 1: collapse every space kind; mode 2/3: fold width (3 drops spaces)
 * The len bytes of s go to out, which has room for len + 1 bytes: the
 * result is never longer (a valid sequence is copied as it was, a byte
 * that does not decode stays itself, folding and spaces only shorten).
 * Returns the bytes written (out is NUL-terminated). */
static size_t text_walk_into(char *out, const char *s, size_t len, int mode)
{
	const unsigned char *u = (const unsigned char *)s;
	bool pending_space = false;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		if (c < 0x80) {
			/* ASCII: no decoding, nothing to fold */
			i++;
			if (c == ' ' || (c >= '\t' && c <= '\r')) {
				if (mode != 3)
					pending_space = o > 0;
				continue;
			}
			if (c < 0x20 || c == 0x7F) /* terminal escapes, NULs' kin: never shown */
				continue;
			if (pending_space) {
				out[o++] = ' ';
				pending_space = false;
			}
			out[o++] = (char)c;
			continue;
		}
		/* most Japanese characters: copied as they are (not U+3000, not
		 * the full-width forms of EF BC/BD, which fold) */
		if (c != 0xEF && plain_three(u, i, len) &&
		    !(c == 0xE3 && u[i + 1] == 0x80 && u[i + 2] == 0x80)) {
			if (pending_space) {
				out[o++] = ' ';
				pending_space = false;
			}
			memcpy(out + o, s + i, 3);
			o += 3;
			i += 3;
			continue;
		}
		uint32_t cp;
		size_t n = tsk__utf8_next(s + i, len - i, &cp);
		bool wide_space = cp == 0x3000;
		bool ascii_space = cp == 0xA0;
		if (mode >= 2 && cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (ascii_space || (wide_space && mode >= 1)) {
			if (mode != 3)
				pending_space = o > 0;
			i += n;
			continue;
		}
		if (wide_space && o == 0) { /* leading U+3000 trimmed in mode 0 */
			i += n;
			continue;
		}
		if (tsk__is_control(cp)) {
			i += n;
			continue;
		}
		if (pending_space) {
			out[o++] = ' ';
			pending_space = false;
		}
		if (cp < 0x80) {
			out[o++] = (char)cp; /* a folded full-width character */
		} else {
			/* as it was: a valid sequence encodes cp with the same bytes,
			 * an undecodable byte (n == 1) stays itself */
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	if (mode == 0) {
		/* trailing U+3000 */
		while (o >= 3 && (unsigned char)out[o - 3] == 0xE3 && (unsigned char)out[o - 2] == 0x80 &&
		       (unsigned char)out[o - 1] == 0x80) {
			o -= 3;
			while (o > 0 && out[o - 1] == ' ')
				o--;
		}
	}
	out[o] = '\0';
	return o;
}

static char *text_walk(const char *s, int mode)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	char *out = malloc(len + 1);
	if (out)
		text_walk_into(out, s, len, mode);
	return out;
}

size_t tsk__text_clean_into(char *out, const char *s, size_t len)
{
	return text_walk_into(out, s, len, 0);
}

/* The next code point of s as tsk__text_fold(s, true) would write it, from
 * byte *i on; 0 at the end. An undecodable byte stands for itself, above
 * every code point. */
static uint32_t fold_next(const char *s, size_t len, size_t *i, bool nocase)
{
	while (*i < len) {
		uint32_t cp;
		size_t n;
		const unsigned char *u = (const unsigned char *)s;
		if (plain_three(u, *i, len)) {
			/* decoded here: no call for most Japanese characters */
			cp = (uint32_t)(u[*i] & 0x0F) << 12 | (uint32_t)(u[*i + 1] & 0x3F) << 6 | (u[*i + 2] & 0x3F);
			n = 3;
		} else {
			n = tsk__utf8_next(s + *i, len - *i, &cp);
		}
		*i += n;
		if (is_ascii_space(cp) || cp == 0x3000 || tsk__is_control(cp))
			continue;
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (cp == 0xFFFD && n == 1)
			return 0x110000u + (unsigned char)s[*i - 1];
		if (nocase && cp >= 'A' && cp <= 'Z')
			cp += 32;
		return cp;
	}
	return 0;
}

bool tsk__fold_equal(const char *a, const char *b, bool nocase)
{
	size_t la = strlen(a), lb = strlen(b), i = 0, j = 0;
	for (;;) {
		uint32_t x = fold_next(a, la, &i, nocase), y = fold_next(b, lb, &j, nocase);
		if (x != y)
			return false;
		if (x == 0)
			return true;
	}
}

bool tsk__fold_contains(const char *hay, const char *needle)
{
	size_t lh = strlen(hay), ln = strlen(needle), start = 0;
	size_t k = 0;
	if (fold_next(needle, ln, &k, false) == 0)
		return false; /* nothing to look for */
	while (start < lh) {
		size_t i = start, j = 0;
		for (;;) {
			uint32_t y = fold_next(needle, ln, &j, false);
			if (y == 0)
				return true;
			if (fold_next(hay, lh, &i, false) != y)
				break;
		}
		uint32_t cp;
		start += tsk__utf8_next(hay + start, lh - start, &cp);
	}
	return false;
}

void tsk__fold_cps(tsk__folded *out, const char *s, bool nocase)
{
	size_t len = strlen(s), i = 0;
	out->n = 0;
	out->ok = true;
	for (uint32_t cp; (cp = fold_next(s, len, &i, nocase));) {
		if (out->n == TSK__ARRAY_LEN(out->cp)) {
			out->ok = false;
			return;
		}
		out->cp[out->n++] = cp;
	}
}

bool tsk__folded_contains(const tsk__folded *hay, const tsk__folded *needle)
{
	if (needle->n == 0)
		return false; /* nothing to look for */
	for (size_t i = 0; i + needle->n <= hay->n; i++)
		if (hay->cp[i] == needle->cp[0] &&
		    memcmp(hay->cp + i, needle->cp, needle->n * sizeof needle->cp[0]) == 0)
			return true;
	return false;
}

/* The row folded on the fly, compared with f. */
static bool folded_equal_walk(const tsk__folded *f, const char *s, bool nocase)
{
	size_t len = strlen(s), i = 0, k = 0;
	for (uint32_t cp; (cp = fold_next(s, len, &i, nocase)); k++)
		if (k == f->n || f->cp[k] != cp)
			return false;
	return k == f->n;
}

bool tsk__folded_equal_text(const tsk__folded *f, const char *s, bool nocase)
{
	/* most rows differ at their first character: when it is printable
	 * ASCII or a Japanese character that folds to itself, it is compared
	 * before the row is measured and walked */
	const unsigned char *u = (const unsigned char *)s;
	if (f->n && u[0] > 0x20 && u[0] < 0x7F)
		return (nocase ? tsk__ascii_lower(u[0]) : u[0]) == f->cp[0] && folded_equal_walk(f, s, nocase);
	if (f->n && u[0] && plain_three(u, 0, 3) && u[0] != 0xEF && !(u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80))
		return ((uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F)) == f->cp[0] &&
		       folded_equal_walk(f, s, nocase);
	return folded_equal_walk(f, s, nocase);
}

bool tsk__folded_contains_text(const tsk__folded *hay, const char *needle)
{
	size_t len = strlen(needle), i = 0;
	uint32_t first = fold_next(needle, len, &i, false);
	if (!first)
		return false; /* nothing to look for */
	size_t k = 0;
	while (k < hay->n && hay->cp[k] != first)
		k++;
	if (k == hay->n)
		return false; /* its first character is nowhere: no need to fold the rest */
	tsk__folded n;
	tsk__fold_cps(&n, needle, false);
	/* a needle longer than the array is longer than the hay */
	return n.ok && tsk__folded_contains(hay, &n);
}

bool tsk__text_fold_into(char *buf, size_t size, const char *s, bool drop_space)
{
	size_t len = strlen(s), i = 0, o = 0;
	bool pending = false;
	if (size == 0)
		return false;
	/* the folded text is never longer than s: when s fits, it does */
	if (len < size) {
		text_walk_into(buf, s, len, drop_space ? 3 : 2);
		return true;
	}
	while (i < len) {
		uint32_t cp;
		size_t n = tsk__utf8_next(s + i, len - i, &cp);
		bool space = is_ascii_space(cp) || cp == 0x3000;
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (space || tsk__is_control(cp)) {
			if (space && !drop_space)
				pending = o > 0;
			i += n;
			continue;
		}
		/* as text_walk_into writes it: a folded character as ASCII, else
		 * the bytes as they were (a valid sequence encodes cp with the
		 * same bytes, an undecodable byte, n == 1, stays itself) */
		size_t k = cp < 0x80 ? 1 : n;
		if (o + (pending ? 1 : 0) + k + 1 > size)
			return false;
		if (pending) {
			buf[o++] = ' ';
			pending = false;
		}
		if (cp < 0x80)
			buf[o] = (char)cp;
		else
			memcpy(buf + o, s + i, n);
		o += k;
		i += n;
	}
	buf[o] = '\0';
	return true;
}

char *tsk__text_clean(const char *s)
{
	return text_walk(s, 0);
}

char *tsk__text_collapse(const char *s)
{
	return text_walk(s, 1);
}

char *tsk__text_fold(const char *s, bool drop_space)
{
	return text_walk(s, drop_space ? 3 : 2);
}

char *tsk__trim(char *s)
{
	size_t l = strlen(s);
	while (l > 0 && isspace((unsigned char)s[l - 1]))
		s[--l] = '\0';
	size_t i = 0;
	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	if (i)
		memmove(s, s + i, l - i + 1);
	return s;
}

int tsk__strcasecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = tsk__ascii_lower((unsigned char)*a), cb = tsk__ascii_lower((unsigned char)*b);
		if (ca != cb || !ca)
			return ca - cb;
	}
}

int tsk__strncasecmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		int ca = tsk__ascii_lower((unsigned char)*a), cb = tsk__ascii_lower((unsigned char)*b);
		if (ca != cb || !ca)
			return ca - cb;
	}
	return 0;
}

bool tsk__contains(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

long tsk__find_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return 0;
	char lo = (char)tsk__ascii_lower((unsigned char)needle[0]), up = lo >= 'a' && lo <= 'z' ? (char)(lo - 32) : lo;
	for (const char *p = hay;; p++) {
		/* the next place the first character stands, either case */
		if (lo == up) {
			if (!(p = strchr(p, lo)) || !lo)
				return -1;
		} else {
			while (*p && *p != lo && *p != up)
				p++;
			if (!*p)
				return -1;
		}
		size_t k = 1;
		while (k < n && p[k] && tsk__ascii_lower((unsigned char)p[k]) == tsk__ascii_lower((unsigned char)needle[k]))
			k++;
		if (k == n)
			return (long)(p - hay);
	}
}

const char *tsk__find_last_nocase(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0 || len < n)
		return NULL;
	/* candidates by their first byte (either ASCII case), from the end */
	char lo = (char)tsk__ascii_lower((unsigned char)needle[0]), up = lo >= 'a' && lo <= 'z' ? (char)(lo - 32) : lo;
	for (size_t i = len - n + 1; i-- > 0;) {
		if (hay[i] != lo && hay[i] != up)
			continue;
		if (tsk__strncasecmp(hay + i + 1, needle + 1, n - 1) == 0)
			return hay + i;
	}
	return NULL;
}

int tsk__read_file(const char *path, size_t limit, char **out, size_t *len_out)
{
	FILE *f = stdin;
	if (strcmp(path, "-") != 0) {
		/* O_NONBLOCK: opening a FIFO must not wait for a writer */
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return -1;
		struct stat st;
		if (fstat(fd, &st) != 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			errno = EINVAL;
			return TSK__NOT_REGULAR;
		}
		int flags = fcntl(fd, F_GETFL);
		if (flags != -1)
			fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		if (!(f = fdopen(fd, "rb"))) {
			close(fd);
			return -1;
		}
	}
	tsk__buf b = TSK__BUF_INIT;
	char chunk[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > limit) {
			errno = EFBIG;
			rc = -1;
			break;
		}
		tsk__buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		errno = EIO;
		rc = -1;
	}
	if (f != stdin)
		fclose(f);
	size_t len = b.len;
	char *data = rc == 0 ? tsk__buf_detach(&b) : NULL;
	tsk__buf_dispose(&b);
	if (rc == 0 && !data) {
		errno = ENOMEM;
		return -1;
	}
	if (rc != 0)
		return -1;
	*out = data;
	if (len_out)
		*len_out = len;
	return 0;
}
