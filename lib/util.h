/*
 * Private helpers shared by lib/ and carriers/: growable strings and
 * arrays, UTF-8 text normalisation. Not part of the API.
 */
#ifndef TSK_LIB_UTIL_H
#define TSK_LIB_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if defined(__GNUC__) || defined(__clang__)
#  define TSK__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define TSK__PRINTF(a, b)
#endif

#define TSK__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A growable byte buffer, always NUL-terminated once anything was added.
 * Once an allocation fails the buffer is marked failed and further appends
 * are ignored, so a caller checks once at the end. */
typedef struct tsk__buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
} tsk__buf;

#define TSK__BUF_INIT { NULL, 0, 0, false }

void tsk__buf_add(tsk__buf *b, const char *data, size_t len);
/* Make room for exactly extra more bytes (and the NUL), when the final
 * size is known, so the buffer is not rounded up. False when it cannot
 * (the buffer stays as it was and usable). */
bool tsk__buf_reserve_exact(tsk__buf *b, size_t extra);
void tsk__buf_puts(tsk__buf *b, const char *s);
void tsk__buf_putc(tsk__buf *b, char c);
void tsk__buf_printf(tsk__buf *b, const char *fmt, ...) TSK__PRINTF(2, 3);
/* Hand the bytes over (caller frees with free()); an empty buffer gives "". NULL on failure. */
char *tsk__buf_detach(tsk__buf *b);
void tsk__buf_dispose(tsk__buf *b);

/*
 * Make room for need elements in a growable array. items_ptr points at the
 * array pointer (a T **, passed as void *), *cap is its capacity in
 * elements. The capacity doubles, from 8, until it holds need, so appending
 * one element at a time costs amortised O(1). Returns false on ENOMEM or
 * size overflow, leaving the array and *cap as they were. Use it through
 * TSK__GROW, which takes the element size from the array's own type:
 *
 *     if (!TSK__GROW(l->items, l->cap, l->count + 1))
 *             return TSK_ENOMEM;
 *     l->items[l->count++] = x;
 */
bool tsk__grow(void *items_ptr, size_t *cap, size_t need, size_t elem_size);
#define TSK__GROW(items, cap, need) tsk__grow(&(items), &(cap), (need), sizeof *(items))

char *tsk__strdup(const char *s);
char *tsk__strndup(const char *s, size_t n);
/* Replace *dst by a copy of src (NULL clears). Returns 0 or -1 on ENOMEM. */
int tsk__strset(char **dst, const char *src);

/* How many bytes s[0..len) begins with below 0x80 (read a word at a time). */
size_t tsk__ascii_prefix(const char *s, size_t len);
/* Is [s, s+len) valid UTF-8 (no overlongs, no surrogates)? */
bool tsk__utf8_valid(const char *s, size_t len);
/* Decode one code point; returns bytes consumed (>=1), cp = 0xFFFD on error. */
size_t tsk__utf8_next(const char *s, size_t len, uint32_t *cp);
/* The length of s[0..len) cut to at most max bytes at a character boundary
 * (len itself when it fits): for quoting a text in a bounded message. */
size_t tsk__utf8_cut(const char *s, size_t len, size_t max);
/* Make a message safe to print and to put in JSON, in place: a character cut
 * at the end (a fixed-size buffer) is dropped whole, any other invalid byte
 * becomes '?', control characters become spaces. */
void tsk__message_fix(char *s);
/* A copy of s with every byte that is not UTF-8 turned into U+FFFD (NULL on ENOMEM). */
char *tsk__utf8_repair(const char *s);
/* C0 and C1 control characters and DEL. */
bool tsk__is_control(uint32_t cp);
/* Append a code point as UTF-8. */
void tsk__buf_put_cp(tsk__buf *b, uint32_t cp);

/* Trim ASCII white space and U+3000 at both ends and turn runs of ASCII
 * white space into one space. Returns a new string (NULL on ENOMEM). */
char *tsk__text_clean(const char *s);
/* The same for the len bytes of s, written to out (room for len + 1 bytes:
 * the result is never longer), NUL-terminated; returns its length. */
size_t tsk__text_clean_into(char *out, const char *s, size_t len);
/* Collapse every white-space run (ASCII and U+3000) into one ASCII space and
 * trim: used for time_raw ("cells joined by one space"). */
char *tsk__text_collapse(const char *s);
/* Width-fold for comparisons: full-width ASCII (U+FF01..FF5E) to ASCII,
 * U+3000 to space; with drop_space every white space is removed. */
char *tsk__text_fold(const char *s, bool drop_space);

/* tsk__text_fold into a caller's buffer, allocating nothing: false when the
 * folded text does not fit in size bytes (with its NUL). */
bool tsk__text_fold_into(char *buf, size_t size, const char *s, bool drop_space);
/* Compare as tsk__text_fold(x, true) would, without allocating (so a
 * comparison cannot fail): equal texts, with ASCII case ignored when nocase;
 * needle (non-empty once folded) found in hay. */
bool tsk__fold_equal(const char *a, const char *b, bool nocase);
bool tsk__fold_contains(const char *hay, const char *needle);

/* A text as the code points tsk__fold_equal / _contains compare, folded
 * once to be compared with many (a status word against a table's rows).
 * ok is false when the text is longer than the array holds: then compare
 * with the functions above. */
typedef struct tsk__folded {
	uint32_t cp[128];
	size_t n;
	bool ok;
} tsk__folded;
void tsk__fold_cps(tsk__folded *out, const char *s, bool nocase);
/* tsk__fold_contains(hay, needle) for texts folded (nocase false) and ok. */
bool tsk__folded_contains(const tsk__folded *hay, const tsk__folded *needle);
/* tsk__fold_equal(a, b, nocase) and tsk__fold_contains(hay, needle)
 * against a text folded on the way (stopping at the first character that
 * differs, or that the hay lacks): a folded with the same nocase, ok. */
bool tsk__folded_equal_text(const tsk__folded *a, const char *b, bool nocase);
bool tsk__folded_contains_text(const tsk__folded *hay, const char *needle);

/* Strip the ASCII white space at both ends, in place; returns s. */
char *tsk__trim(char *s);
/* c with an ASCII capital lowered, whatever the locale (no call per byte). */
static inline unsigned char tsk__ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}
/* ASCII case-insensitive compare. */
int tsk__strcasecmp(const char *a, const char *b);
int tsk__strncasecmp(const char *a, const char *b, size_t n);
/* Does the text contain the UTF-8 needle? */
bool tsk__contains(const char *hay, const char *needle);
/* Where the ASCII needle stands last in the bytes [hay, hay+len), ASCII case
 * ignored (a NUL byte matches nothing); NULL when nowhere or needle is "". */
const char *tsk__find_last_nocase(const char *hay, size_t len, const char *needle);
/* Where needle first stands in hay, ASCII case ignored: its offset, -1 when
 * nowhere (0 for ""). */
long tsk__find_ci(const char *hay, const char *needle);

/* Read a whole file (caller frees); returns 0, or -1 with errno set, or
 * TSK__NOT_REGULAR when path is not a regular file (a FIFO, a device, a
 * directory: refused before any read, so nothing blocks). "-" is stdin.
 * Limit in bytes. */
#define TSK__NOT_REGULAR (-2)
int tsk__read_file(const char *path, size_t limit, char **out, size_t *len_out);

#endif
