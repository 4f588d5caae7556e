/*
 * The context's state: last error and log, clock, locale, options,
 * variables and endpoints, the carrier registry, and the slots other
 * modules keep their state in. The struct is private to this file
 * (lib/context.h is the internal interface); making a context with its
 * carriers is lib/setup.c, plugins lib/plugins.c, REST mappings
 * lib/mappings.c.
 *
 * Invariants: nothing here is global; every registry entry has a unique
 * name and a version within 1..TSK_ADAPTER_VERSION; tsk_ctx_last_error()
 * never returns NULL; this file calls none of the modules that keep state
 * in a slot (each slot carries its own free function).
 */
#include "context.h"
#include "redact.h"
#include "util.h"
#include "tsuiseki/version.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOAD_ERRORS 1000

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
	void **plugins;            /* dlopen handles (lib/plugins.c) */
	size_t nplugins;
	tsk__http *http;
	char user_agent[64];
	struct {
		void *data;
		tsk__slot_free_fn free_fn;
	} slots[TSK__SLOT__COUNT];
	char **load_errors;        /* REST mappings that failed to load (lib/mappings.c) */
	size_t nload_errors;
};

static const long option_defaults[TSK_OPT__COUNT] = {
	[TSK_OPT_CONNECT_TIMEOUT_MS] = 10000,
	[TSK_OPT_TIMEOUT_MS] = 30000,
	[TSK_OPT_MAX_RESPONSE_BYTES] = 8L * 1024 * 1024,
	[TSK_OPT_MAX_PARALLEL] = 4,
	[TSK_OPT_MAX_RETRIES] = 2,
	[TSK_OPT_RETRY_BASE_MS] = 500,
	[TSK_OPT_RETRY_MAX_MS] = 30000,
	[TSK_OPT_REQUESTS_PER_SECOND] = 0,
	[TSK_OPT_VERIFY_TLS] = 1,
	[TSK_OPT_BREAKER_FAILURES] = 5,
	[TSK_OPT_BREAKER_COOLDOWN_MS] = 60000,
	[TSK_OPT_BREAKER_MAX_COOLDOWN_MS] = 3600000,
	[TSK_OPT_FOLLOW_HANDOFF] = 0,
};

static const struct {
	long min, max;
} option_range[TSK_OPT__COUNT] = {
	[TSK_OPT_CONNECT_TIMEOUT_MS] = { 1, 600000 },
	[TSK_OPT_TIMEOUT_MS] = { 1, 3600000 },
	[TSK_OPT_MAX_RESPONSE_BYTES] = { 1024, 1024L * 1024 * 1024 },
	[TSK_OPT_MAX_PARALLEL] = { 1, 64 },
	[TSK_OPT_MAX_RETRIES] = { 0, 10 },
	[TSK_OPT_RETRY_BASE_MS] = { 0, 600000 },
	[TSK_OPT_RETRY_MAX_MS] = { 0, 3600000 },
	[TSK_OPT_REQUESTS_PER_SECOND] = { 0, 1000 },
	[TSK_OPT_VERIFY_TLS] = { 0, 1 },
	[TSK_OPT_BREAKER_FAILURES] = { 0, 1000 },
	[TSK_OPT_BREAKER_COOLDOWN_MS] = { 1, 86400000 },
	[TSK_OPT_BREAKER_MAX_COOLDOWN_MS] = { 1, 7L * 86400000 },
	[TSK_OPT_FOLLOW_HANDOFF] = { 0, 1 },
};

int tsk__ctx_error(tsk_ctx *ctx, int code, const char *fmt, ...)
{
	if (!ctx)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->last_error, sizeof ctx->last_error, fmt, ap);
	va_end(ap);
	tsk__redact(ctx->last_error, sizeof ctx->last_error, ctx->last_error, NULL, 0);
	tsk__message_fix(ctx->last_error);
	return code;
}

void tsk__ctx_log(tsk_ctx *ctx, int level, const char *fmt, ...)
{
	if (!ctx || !ctx->log_fn)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	tsk__redact(msg, sizeof msg, msg, NULL, 0);
	tsk__message_fix(msg);
	ctx->log_fn(level, msg, ctx->log_userdata);
}

void tsk__ctx_clear_error(tsk_ctx *ctx)
{
	if (ctx)
		ctx->last_error[0] = '\0';
}

static void pairs_free(struct tsk__pair *list, size_t n);

tsk_ctx *tsk__ctx_alloc(unsigned int flags)
{
	tsk_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return NULL;
	ctx->flags = flags;
	memcpy(ctx->options, option_defaults, sizeof ctx->options);
	snprintf(ctx->user_agent, sizeof ctx->user_agent, "tsuiseki/%s", TSK_VERSION_STRING);
	if (!(ctx->locale = tsk__strdup("ja")) || tsk__http_new(&ctx->http) != TSK_OK) {
		tsk_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

static void free_slot(tsk_ctx *ctx, enum tsk__ctx_slot k)
{
	void *data = ctx->slots[k].data;
	if (data && ctx->slots[k].free_fn)
		ctx->slots[k].free_fn(ctx, data);
	ctx->slots[k].data = NULL;
	ctx->slots[k].free_fn = NULL;
}

TSK_API void tsk_ctx_free(tsk_ctx *ctx)
{
	if (!ctx)
		return;
	/* the event loop first, while everything is intact: done callbacks
	 * may look at ctx */
	free_slot(ctx, TSK__SLOT_LOOP);
	for (size_t i = 0; i < ctx->ncarriers; i++)
		if (ctx->carriers[i].owned && ctx->carriers[i].owned->destroy)
			ctx->carriers[i].owned->destroy(ctx->carriers[i].owned);
	free(ctx->carriers);
	pairs_free(ctx->endpoints, ctx->nendpoints);
	for (int k = 0; k < TSK__SLOT__COUNT; k++)
		free_slot(ctx, (enum tsk__ctx_slot)k);
	pairs_free(ctx->variables, ctx->nvariables);
	free(ctx->endpoint_scratch);
	tsk__http_free(ctx->http);
	/* adapters registered from plugins point into them: close last */
	for (size_t i = 0; i < ctx->nplugins; i++)
		dlclose(ctx->plugins[i]);
	free(ctx->plugins);
	for (size_t i = 0; i < ctx->nload_errors; i++)
		free(ctx->load_errors[i]);
	free(ctx->load_errors);
	free(ctx->locale);
	free(ctx);
}

TSK_API const char *tsk_ctx_last_error(const tsk_ctx *ctx)
{
	return ctx ? ctx->last_error : "no context";
}

TSK_API void tsk_ctx_set_log_fn(tsk_ctx *ctx, tsk_log_fn fn, void *userdata)
{
	if (!ctx)
		return;
	ctx->log_fn = fn;
	ctx->log_userdata = userdata;
}

TSK_API int tsk_ctx_set_now(tsk_ctx *ctx, const tsk_time *now)
{
	if (!ctx)
		return TSK_EINVAL;
	if (now && !tsk_time_is_set(now))
		return tsk__ctx_error(ctx, TSK_EINVAL, "reference time has no value");
	ctx->has_now = now != NULL;
	if (now)
		ctx->now = *now;
	return TSK_OK;
}

TSK_API tsk_time tsk_ctx_now(const tsk_ctx *ctx)
{
	return ctx && ctx->has_now ? ctx->now : tsk_time_now();
}

TSK_API int tsk_ctx_set_locale(tsk_ctx *ctx, const char *locale)
{
	if (!ctx || !locale || (strcmp(locale, "ja") != 0 && strcmp(locale, "en") != 0))
		return tsk__ctx_error(ctx, TSK_EINVAL, "locale must be \"ja\" or \"en\"");
	return tsk__strset(&ctx->locale, locale) ? tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory") : TSK_OK;
}

bool tsk__option_in_range(tsk_option opt, long value, long *min, long *max)
{
	if ((unsigned)opt >= TSK_OPT__COUNT)
		return false;
	*min = option_range[opt].min;
	*max = option_range[opt].max;
	return value >= *min && value <= *max;
}

TSK_API int tsk_ctx_set_option(tsk_ctx *ctx, tsk_option opt, long value)
{
	if (!ctx)
		return TSK_EINVAL;
	if ((unsigned)opt >= TSK_OPT__COUNT)
		return tsk__ctx_error(ctx, TSK_EINVAL, "unknown option %d", (int)opt);
	if (value < option_range[opt].min || value > option_range[opt].max)
		return tsk__ctx_error(ctx, TSK_EINVAL, "option %d: %ld is outside %ld..%ld", (int)opt,
		                      value, option_range[opt].min, option_range[opt].max);
	ctx->options[opt] = value;
	return TSK_OK;
}

TSK_API long tsk_ctx_option(const tsk_ctx *ctx, tsk_option opt)
{
	if (!ctx || (unsigned)opt >= TSK_OPT__COUNT)
		return -1;
	return ctx->options[opt];
}

/* Set, replace or remove (value NULL) a name -> value pair of a list. */
static int pair_set(struct tsk__pair **list, size_t *n, const char *name, const char *value)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*list)[i].name, name) != 0)
			continue;
		if (!value) {
			free((*list)[i].name);
			free((*list)[i].value);
			(*list)[i] = (*list)[--*n];
			return TSK_OK;
		}
		return tsk__strset(&(*list)[i].value, value) ? TSK_ENOMEM : TSK_OK;
	}
	if (!value)
		return TSK_OK;
	struct tsk__pair *grown = realloc(*list, (*n + 1) * sizeof *grown);
	if (!grown)
		return TSK_ENOMEM;
	*list = grown;
	char *k = tsk__strdup(name), *v = tsk__strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return TSK_ENOMEM;
	}
	grown[*n].name = k;
	grown[*n].value = v;
	++*n;
	return TSK_OK;
}

static void pairs_free(struct tsk__pair *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].value);
	}
	free(list);
}

const char *tsk__ctx_getenv(const tsk_ctx *ctx, const char *name)
{
	if (!ctx)
		return NULL;
	for (size_t i = 0; i < ctx->nvariables; i++)
		if (strcmp(ctx->variables[i].name, name) == 0)
			return ctx->variables[i].value;
	if (ctx->flags & TSK_CTX_NO_ENVIRONMENT)
		return NULL;
	return getenv(name);
}

TSK_API int tsk_ctx_set_variable(tsk_ctx *ctx, const char *name, const char *value)
{
	if (!ctx || !name || !*name)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_set_variable: missing name");
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return tsk__ctx_error(ctx, TSK_EINVAL, "variable name %s: letters, digits and _ only", name);
	int rc = pair_set(&ctx->variables, &ctx->nvariables, name, value);
	return rc == TSK_OK ? rc : tsk__ctx_error(ctx, rc, "out of memory");
}

/* ------------------------------------------------------------- endpoints */

TSK_API int tsk_ctx_set_endpoint(tsk_ctx *ctx, const char *carrier, const char *url)
{
	if (!ctx || !carrier)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_set_endpoint: missing carrier");
	if (url && !tsk__http_url_ok(url))
		return tsk__ctx_error(ctx, TSK_EINVAL, "endpoint for %s must be an http:// or https:// URL: %s",
		                      carrier, url);
	int rc = pair_set(&ctx->endpoints, &ctx->nendpoints, carrier, url);
	return rc == TSK_OK ? rc : tsk__ctx_error(ctx, rc, "out of memory");
}

const char *tsk__ctx_endpoint_for(tsk_ctx *ctx, const tsk_adapter *a, tsk_error *err)
{
	for (size_t i = 0; i < ctx->nendpoints; i++)
		if (strcmp(ctx->endpoints[i].name, a->name) == 0)
			return ctx->endpoints[i].value;
	/* TSUISEKI_ENDPOINT_<CARRIER>: upper case, other characters as '_' */
	char var[128] = "TSUISEKI_ENDPOINT_";
	size_t k = strlen(var);
	for (const char *p = a->name; *p && k + 1 < sizeof var; p++)
		var[k++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
	var[k] = '\0';
	const char *env = tsk__ctx_getenv(ctx, var);
	if (!env || !*env)
		return a->default_endpoint;
	if (tsk__http_url_ok(env))
		return env;
	/* the user meant another host: never fall back to the default one */
	char shown[256];
	tsk__redact(shown, sizeof shown, env, NULL, 0);
	tsk_error_set(err, TSK_ECONFIG,
	              "%s: %s=\"%s\" is not an http:// or https:// URL with a host; %s is not asked "
	              "rather than sent to its default endpoint",
	              a->name, var, shown, a->name);
	return NULL;
}

TSK_API const char *tsk_ctx_endpoint(tsk_ctx *ctx, const char *carrier)
{
	const tsk_adapter *a = tsk_ctx_carrier(ctx, carrier);
	if (!a) {
		tsk__ctx_error(ctx, TSK_ENOCARRIER, "no carrier named %s", carrier ? carrier : "(null)");
		return NULL;
	}
	tsk_error err;
	tsk_error_clear(&err);
	const char *url = tsk__ctx_endpoint_for(ctx, a, &err);
	if (!url) {
		if (err.code != TSK_OK)
			tsk__ctx_error(ctx, err.code, "%s", err.message);
		return NULL;
	}
	char *copy = tsk__strdup(url);
	if (!copy)
		return NULL;
	free(ctx->endpoint_scratch);
	ctx->endpoint_scratch = copy;
	return copy;
}

/* -------------------------------------------------------------- registry */

/* The delivery tables of a version-2 adapter: a known version, rows that
 * can be used (a table the ETA would misread is refused, naming the row). */
static int tables_check(tsk_ctx *ctx, const tsk_adapter *a)
{
	const tsk_carrier_tables *t = a->version >= 2 ? a->tables : NULL;
	if (!t)
		return TSK_OK;
	if (t->version == 0 || t->version > TSK_CARRIER_TABLES_VERSION)
		return tsk__ctx_error(ctx, TSK_EVERSION, "adapter %s: tables version %u is not supported (1..%u)",
		                      a->name, t->version, TSK_CARRIER_TABLES_VERSION);
	if ((t->ntransit && !t->transit) || (t->nstall && !t->stall))
		return tsk__ctx_error(ctx, TSK_EINVAL, "adapter %s: tables: rows counted but missing", a->name);
	for (size_t i = 0; i < t->ntransit; i++) {
		const tsk_transit_row *r = &t->transit[i];
		bool ok = r->service && *r->service && r->keywords &&
		          (r->calendar == TSK_DELIVER_EVERY_DAY || r->calendar == TSK_DELIVER_MAIL_DAYS) &&
		          r->cutoff_hour >= 0 && r->cutoff_hour <= 24 && r->day_start >= 0 && r->day_start < r->day_end &&
		          r->day_end <= 24 && r->since >= 0 && r->confidence >= 0 && r->confidence <= 1 &&
		          r->confidence_nationwide >= 0 && r->confidence_nationwide <= 1;
		for (int k = 0; k < 5 && ok; k++)
			ok = r->days[k][0] >= 0 && r->days[k][0] <= r->days[k][1];
		if (!ok)
			return tsk__ctx_error(ctx, TSK_EINVAL,
			                      "adapter %s: transit row %zu (%s) is not usable: service, keywords, "
			                      "calendar, hours 0..24 with start < end, days first <= last, "
			                      "confidences 0..1",
			                      a->name, i, r->service ? r->service : "no service");
	}
	for (size_t i = 0; i < t->nstall; i++)
		if (!t->stall[i].service || t->stall[i].hours < 0 || t->stall[i].status < 0 ||
		    t->stall[i].status >= TSK_STATUS__COUNT)
			return tsk__ctx_error(ctx, TSK_EINVAL, "adapter %s: stall row %zu is not usable", a->name, i);
	if (t->pickup && (t->pickup->days < 1 || t->pickup->warn_days < 0))
		return tsk__ctx_error(ctx, TSK_EINVAL, "adapter %s: pickup rule: days must be >= 1, warn_days >= 0",
		                      a->name);
	return TSK_OK;
}

static struct tsk__registered *find_entry(const tsk_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->ncarriers; i++)
		if (strcmp(ctx->carriers[i].adapter->name, name) == 0)
			return &ctx->carriers[i];
	return NULL;
}

/* Check an adapter, then add it (or with replace, put it in the place of
 * the owned entry of the same name). */
static int register_entry(tsk_ctx *ctx, const tsk_adapter *a, tsk_adapter *owned, bool replace)
{
	if (!ctx || !a)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_register_adapter: missing argument");
	if (a->version == 0 || a->version > TSK_ADAPTER_VERSION)
		return tsk__ctx_error(ctx, TSK_EVERSION,
		                      "adapter %s: version %u is not supported (1..%u)",
		                      a->name ? a->name : "(unnamed)", a->version, TSK_ADAPTER_VERSION);
	if (!a->name || !*a->name)
		return tsk__ctx_error(ctx, TSK_EINVAL, "adapter has no name");
	if (!a->recognize || !a->build_requests || !a->parse || !a->map_status || a->max_batch == 0)
		return tsk__ctx_error(ctx, TSK_EINVAL,
		                      "adapter %s: recognize, build_requests, parse, map_status and max_batch are required",
		                      a->name);
	int trc = tables_check(ctx, a);
	if (trc != TSK_OK)
		return trc;
	if (replace) {
		struct tsk__registered *r = find_entry(ctx, a->name);
		if (!r || !r->owned)
			return tsk__ctx_error(ctx, TSK_ENOCARRIER, "no carrier of the registry's own named %s", a->name);
		if (r->owned->destroy)
			r->owned->destroy(r->owned);
		r->adapter = a;
		r->owned = owned;
		return TSK_OK;
	}
	if (tsk_ctx_carrier(ctx, a->name))
		return tsk__ctx_error(ctx, TSK_EEXISTS, "adapter %s is already registered", a->name);
	if (!TSK__GROW(ctx->carriers, ctx->carriers_cap, ctx->ncarriers + 1))
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	ctx->carriers[ctx->ncarriers].adapter = a;
	ctx->carriers[ctx->ncarriers].owned = owned;
	ctx->ncarriers++;
	return TSK_OK;
}

TSK_API int tsk_ctx_register_adapter(tsk_ctx *ctx, const tsk_adapter *adapter)
{
	return register_entry(ctx, adapter, NULL, false);
}

int tsk__ctx_register_owned(tsk_ctx *ctx, tsk_adapter *adapter)
{
	int rc = register_entry(ctx, adapter, adapter, false);
	if (rc != TSK_OK && adapter && adapter->destroy)
		adapter->destroy(adapter);
	return rc;
}

int tsk__ctx_replace_owned(tsk_ctx *ctx, tsk_adapter *adapter)
{
	int rc = register_entry(ctx, adapter, adapter, true);
	if (rc != TSK_OK && adapter && adapter->destroy)
		adapter->destroy(adapter);
	return rc;
}

const tsk_adapter *tsk__ctx_owned(const tsk_ctx *ctx, const char *name)
{
	const struct tsk__registered *r = ctx && name ? find_entry(ctx, name) : NULL;
	return r ? r->owned : NULL;
}

TSK_API size_t tsk_ctx_carrier_count(const tsk_ctx *ctx)
{
	return ctx ? ctx->ncarriers : 0;
}

TSK_API const tsk_adapter *tsk_ctx_carrier_at(const tsk_ctx *ctx, size_t i)
{
	return ctx && i < ctx->ncarriers ? ctx->carriers[i].adapter : NULL;
}

TSK_API const tsk_adapter *tsk_ctx_carrier(const tsk_ctx *ctx, const char *name)
{
	const struct tsk__registered *r = ctx && name ? find_entry(ctx, name) : NULL;
	return r ? r->adapter : NULL;
}

int tsk__ctx_add_plugin(tsk_ctx *ctx, void *handle)
{
	void **n = realloc(ctx->plugins, (ctx->nplugins + 1) * sizeof *n);
	if (!n)
		return TSK_ENOMEM;
	ctx->plugins = n;
	ctx->plugins[ctx->nplugins++] = handle;
	return TSK_OK;
}

void tsk__ctx_add_load_error(tsk_ctx *ctx, const char *msg)
{
	if (ctx->nload_errors >= MAX_LOAD_ERRORS)
		return;
	char **n = realloc(ctx->load_errors, (ctx->nload_errors + 1) * sizeof *n);
	if (!n)
		return;
	ctx->load_errors = n;
	if ((n[ctx->nload_errors] = tsk__strdup(msg)))
		ctx->nload_errors++;
}

TSK_API size_t tsk_ctx_mapping_error_count(const tsk_ctx *ctx)
{
	return ctx ? ctx->nload_errors : 0;
}

TSK_API const char *tsk_ctx_mapping_error_at(const tsk_ctx *ctx, size_t i)
{
	return ctx && i < ctx->nload_errors ? ctx->load_errors[i] : NULL;
}

/* ----------------------------------------------------------------- slots */

void *tsk__ctx_slot(const tsk_ctx *ctx, enum tsk__ctx_slot slot)
{
	return ctx->slots[slot].data;
}

void tsk__ctx_set_slot(tsk_ctx *ctx, enum tsk__ctx_slot slot, void *data, tsk__slot_free_fn free_fn)
{
	ctx->slots[slot].data = data;
	ctx->slots[slot].free_fn = data ? free_fn : NULL;
}

/* ------------------------------------------------------------- accessors */

unsigned int tsk__ctx_flags(const tsk_ctx *ctx)
{
	return ctx->flags;
}

bool tsk__ctx_has_now(const tsk_ctx *ctx)
{
	return ctx->has_now;
}

const char *tsk__ctx_locale(const tsk_ctx *ctx)
{
	return ctx->locale;
}

const char *tsk__ctx_user_agent(const tsk_ctx *ctx)
{
	return ctx->user_agent;
}

tsk__http *tsk__ctx_http(const tsk_ctx *ctx)
{
	return ctx->http;
}

