/*
 * Private: the one JSON reader of the library (snapshots, REST mappings,
 * REST answers). It builds yajl's public tree (yajl_val) from yajl's event
 * parser under limits: a size cap, a nesting depth cap, no NUL character
 * inside a string (a "\u0000" would cut the C string it becomes), and an
 * out-of-memory anywhere (in yajl too) is reported as such, never as a
 * shorter tree.
 */
#ifndef TSK_LIB_JSONREAD_H
#define TSK_LIB_JSONREAD_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

/* Deepest nesting accepted (objects and arrays). */
#define TSK__JSON_MAX_DEPTH 512

/*
 * Parse JSON bytes (need not be NUL-terminated; a UTF-8 BOM is skipped;
 * comments are allowed). max_bytes: larger texts are refused (0 = no cap).
 * Returns TSK_OK with *out set (free with tsk__json_free), TSK_EPARSE with
 * why filled (one English line), or TSK_ENOMEM (why = "out of memory").
 */
int tsk__json_parse(yajl_val *out, const char *bytes, size_t len, size_t max_bytes, char *why,
                    size_t whylen);
/* Free a tree from tsk__json_parse (NULL is fine). The tree is one arena:
 * only a whole tree (the root tsk__json_parse gave) is freed, never a
 * part, and its nodes are read-only. */
void tsk__json_free(yajl_val v);

#endif
