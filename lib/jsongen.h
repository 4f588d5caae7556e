/*
 * Private: the JSON writer of the schema-1 objects (lib/json.c), shared by
 * every module that writes them (snapshots, changes), so an EVENT, ETA or
 * EXCEPTION object is spelled in one place only.
 *
 * Every yajl_gen call goes through a tsk__jw, which keeps the first failed
 * generator status: once a call fails (invalid UTF-8 in a string, a key out
 * of place) nothing more is written and tsk__jw_close fails the whole dump,
 * so a caller never receives a text that is not valid JSON.
 */
#ifndef TSK_LIB_JSONGEN_H
#define TSK_LIB_JSONGEN_H

#include "jsonmem.h"
#include "model.h"
#include "util.h"

#include <stdbool.h>
#include <yajl/yajl_gen.h>

typedef struct tsk__jw {
	yajl_gen g;
	tsk__buf out;        /* the text, appended by yajl's print callback */
	int status;          /* TSK_OK until a call fails */
	bool snapshot;       /* TSK_JSON_SNAPSHOT: the fields beyond the contract too */
	tsk__yajl_mem mem;
} tsk__jw;

/* Start a writer (indent NULL: yajl's default). TSK_OK or TSK_ENOMEM.
 * The writer must not move until tsk__jw_close. */
int tsk__jw_open(tsk__jw *w, bool pretty, const char *indent);
/* Finish: on success *out (caller frees) holds the text without a trailing
 * newline; TSK_EINVAL when a string was not valid UTF-8, TSK_ENOMEM, or
 * TSK_ERROR for any other generator failure. Always frees the writer. */
int tsk__jw_close(tsk__jw *w, char **out, size_t *len_out);

void tsk__jw_map_open(tsk__jw *w);
void tsk__jw_map_close(tsk__jw *w);
void tsk__jw_array_open(tsk__jw *w);
void tsk__jw_array_close(tsk__jw *w);
void tsk__jw_null(tsk__jw *w);
void tsk__jw_integer(tsk__jw *w, long long v);
/* a string, or null for NULL */
void tsk__json_str(tsk__jw *w, const char *s);
void tsk__json_key(tsk__jw *w, const char *k);
/* RFC 3339, or null for an unset time */
void tsk__json_time(tsk__jw *w, const tsk_time *t);
/* {earliest, latest, source, confidence, original}, or null for NULL */
void tsk__json_eta(tsk__jw *w, const tsk_eta *e);
/* {code, severity, time, message, event_index} */
void tsk__json_exception(tsk__jw *w, const tsk_exception *e);
/* the EVENT object; with index >= 0 an "index" key comes first */
void tsk__json_event(tsk__jw *w, const tsk_event *ev, long index);

#endif
