/* Private: the context layout, shared by context.c, track.c and the REST loader. */
#ifndef TSK_LIB_CONTEXT_H
#define TSK_LIB_CONTEXT_H

#include "tsuiseki.h"
#include "http.h"
#include <stdbool.h>

struct tsk__registered {
	const tsk_adapter *adapter;
	tsk_adapter *owned;        /* non-NULL when the registry frees it (destroy) */
};

struct tsk__pair {
	char *name;
	char *value;
};

struct tsk_ctx {
	unsigned int flags;
	char last_error[512];
	tsk_log_fn log_fn;
	void *log_userdata;
	bool has_now;
	tsk_time now;
	char *locale;
	long options[TSK_OPT__COUNT];
	struct tsk__registered *carriers;
	size_t ncarriers, carriers_cap;
	struct tsk__pair *endpoints;     /* carrier -> base URL (tsk_ctx_set_endpoint) */
	size_t nendpoints;
	struct tsk__pair *variables;     /* tsk_ctx_set_variable */
	size_t nvariables;
	char *endpoint_scratch;    /* value returned by tsk_ctx_endpoint */
	void **plugins;            /* dlopen handles */
	size_t nplugins;
	struct tsk__loop *loop;    /* event-loop queries (lib/query.c); NULL until used */
	tsk__http *http;
	char user_agent[64];
	struct tsk__eta_model *eta_model;  /* learned transit lanes (lib/eta.c), NULL until learning */
	struct tsk__policy *policies; /* per-carrier limits and circuit breaker (lib/politeness.c) */
	size_t npolicies;
	char **mapping_errors;     /* REST mappings that failed to load (carriers/rest) */
	size_t nmapping_errors;
};

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
/* Register an adapter the registry owns: adapter->destroy(adapter) runs at
 * context free (or immediately when registration fails). */
int tsk__ctx_register_owned(tsk_ctx *ctx, tsk_adapter *adapter);
/* A variable: the context's own (tsk_ctx_set_variable), else the process
 * environment unless the context ignores it; NULL when unset. */
const char *tsk__ctx_getenv(const tsk_ctx *ctx, const char *name);
/* Effective endpoint of an adapter: the API override, else
 * TSUISEKI_ENDPOINT_<CARRIER>, else the adapter's default. NULL with err
 * set (TSK_ECONFIG) when that variable is set but unusable: the user meant
 * another host, so the default is never used instead. */
const char *tsk__ctx_endpoint_for(tsk_ctx *ctx, const tsk_adapter *a, tsk_error *err);
/* Complete every outstanding query with TSK_ECANCELED (each done callback
 * once), then free the event-loop state (lib/query.c). */
void tsk__loop_free(tsk_ctx *ctx);

/* Parse one response with an adapter, then finalise and analyse each shipment. */
int tsk__ctx_parse_response(tsk_ctx *ctx, const tsk_adapter *a, const tsk_response *resp,
                            tsk_shipment_list *out, tsk_error *err);
/* Finalise (years, status) and analyse (ETA, exceptions, next poll) one shipment. */
int tsk__ctx_complete(tsk_ctx *ctx, tsk_shipment *s, const tsk_shipment *previous);

/* Load every *.json mapping of a directory (carriers/rest/rest.c); with
 * replace (the search path), a mapping overrides an earlier one of the same
 * name and a relative directory is refused (a mapping error). */
int tsk__rest_load_dir(tsk_ctx *ctx, const char *dir, bool replace);

/* Built-in adapters (carriers/builtin.c). */
extern const tsk_adapter *const tsk__builtin_adapters[];
extern const size_t tsk__builtin_adapter_count;

#endif
