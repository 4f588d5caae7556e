/*
 * Private: the context's internal interface. The struct itself is private
 * to lib/context.c; every other file reaches the context through the
 * public tsk_ctx_* functions and the small accessors below.
 *
 * The context never calls the modules that keep state in it (the event
 * loop, the politeness policies, the learned transit model): each of them
 * keeps its state in a slot with the function that frees it, so the
 * dependency runs one way (module -> context).
 */
#ifndef TSK_LIB_CONTEXT_H
#define TSK_LIB_CONTEXT_H

#include "tsuiseki.h"
#include "http.h"
#include <stdbool.h>

/* Is value within the option's range (min, max filled)? False for an unknown option. */
bool tsk__option_in_range(tsk_option opt, long value, long *min, long *max);
/* Set the context's last error (printf-style); returns code. */
int tsk__ctx_error(tsk_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
void tsk__ctx_log(tsk_ctx *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* Forget the last error (after a step whose failures are only listed). */
void tsk__ctx_clear_error(tsk_ctx *ctx);

/* -------------------------------------------------------------- making */

/* A context with its options, locale, user agent and HTTP engine set and
 * no carrier registered (tsk_ctx_new, lib/setup.c, registers them). NULL
 * when out of memory. */
tsk_ctx *tsk__ctx_alloc(unsigned int flags);

/* ----------------------------------------------------------- accessors */

unsigned int tsk__ctx_flags(const tsk_ctx *ctx);
/* Was a reference time set (tsk_ctx_set_now)? */
bool tsk__ctx_has_now(const tsk_ctx *ctx);
/* "ja" or "en"; borrowed until tsk_ctx_set_locale. */
const char *tsk__ctx_locale(const tsk_ctx *ctx);
/* "tsuiseki/<version>". */
const char *tsk__ctx_user_agent(const tsk_ctx *ctx);
/* The context's blocking HTTP engine (lib/http.c). */
tsk__http *tsk__ctx_http(const tsk_ctx *ctx);

/* A variable: the context's own (tsk_ctx_set_variable), else the process
 * environment unless the context ignores it; NULL when unset. */
const char *tsk__ctx_getenv(const tsk_ctx *ctx, const char *name);
/* Effective endpoint of an adapter: the API override, else
 * TSUISEKI_ENDPOINT_<CARRIER>, else the adapter's default. NULL with err
 * set (TSK_ECONFIG) when that variable is set but unusable: the user meant
 * another host, so the default is never used instead. */
const char *tsk__ctx_endpoint_for(tsk_ctx *ctx, const tsk_adapter *a, tsk_error *err);

/* ------------------------------------------------------------ registry */

/* Register an adapter the registry owns: adapter->destroy(adapter) runs at
 * context free (or immediately when registration fails). */
int tsk__ctx_register_owned(tsk_ctx *ctx, tsk_adapter *adapter);
/* The owned adapter registered under adapter->name (an earlier REST
 * mapping of the same name) is destroyed and adapter takes its place,
 * after the checks registration makes. TSK_ENOCARRIER when no owned
 * adapter has that name; on any failure adapter is destroyed. */
int tsk__ctx_replace_owned(tsk_ctx *ctx, tsk_adapter *adapter);
/* The registry's own adapter named name (registered with
 * tsk__ctx_register_owned), NULL if none or not owned. */
const tsk_adapter *tsk__ctx_owned(const tsk_ctx *ctx, const char *name);
/* A plugin's dlopen handle, closed at context free after every adapter is
 * gone. TSK_ENOMEM leaves the handle to the caller. */
int tsk__ctx_add_plugin(tsk_ctx *ctx, void *handle);
/* List a carrier definition that failed to load (tsk_ctx_mapping_error_at);
 * at most 1000 are kept. */
void tsk__ctx_add_load_error(tsk_ctx *ctx, const char *msg);

/* --------------------------------------------------------------- slots */

/* State other modules keep in a context, freed at tsk_ctx_free in this
 * order (the loop first: its done callbacks may still look at the context). */
enum tsk__ctx_slot {
	TSK__SLOT_LOOP,        /* event-loop queries (lib/query.c) */
	TSK__SLOT_POLICIES,    /* per-carrier limits and breakers (lib/politeness.c) */
	TSK__SLOT_TRANSIT,     /* learned transit lanes (lib/learn.c) */
	TSK__SLOT_SHARE,       /* politeness shared with other processes: a
	                        * tsk__http_share (lib/share_pg.c installs it) */
	TSK__SLOT_PATHS,       /* the adapters' paths, compiled once (lib/html.c, via lib/parse.c) */
	TSK__SLOT__COUNT
};
typedef void (*tsk__slot_free_fn)(tsk_ctx *ctx, void *data);

/* The slot's data, NULL until set. */
void *tsk__ctx_slot(const tsk_ctx *ctx, enum tsk__ctx_slot slot);
/* Set (or with NULL clear) a slot; the previous data is not freed.
 * free_fn(ctx, data) runs at context free while data is set. */
void tsk__ctx_set_slot(tsk_ctx *ctx, enum tsk__ctx_slot slot, void *data, tsk__slot_free_fn free_fn);

#endif
