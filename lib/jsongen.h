/*
 * Private: the JSON generators of the schema-1 objects (lib/json.c), shared
 * by every module that writes them (snapshots, changes), so an EVENT, ETA or
 * EXCEPTION object is spelled in one place only.
 */
#ifndef TSK_LIB_JSONGEN_H
#define TSK_LIB_JSONGEN_H

#include "model.h"
#include <yajl/yajl_gen.h>

/* a string, or null for NULL */
void tsk__json_str(yajl_gen g, const char *s);
void tsk__json_key(yajl_gen g, const char *k);
/* RFC 3339, or null for an unset time */
void tsk__json_time(yajl_gen g, const tsk_time *t);
/* {earliest, latest, source, confidence, original}, or null for NULL */
void tsk__json_eta(yajl_gen g, const tsk_eta *e);
/* {code, severity, time, message, event_index} */
void tsk__json_exception(yajl_gen g, const tsk_exception *e);
/* the EVENT object; with index >= 0 an "index" key comes first */
void tsk__json_event(yajl_gen g, const tsk_event *ev, long index);

#endif
