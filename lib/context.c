/*
 * The context: registry, endpoints, clock, options, last error, detection
 * and parsing.
 *
 * Invariants: nothing here is global; every registry entry has a unique
 * name and a version within 1..TSK_ADAPTER_VERSION; tsk_ctx_last_error()
 * never returns NULL.
 */
#define _GNU_SOURCE
#include "context.h"
#include "politeness.h"
#include "analyze.h"
#include "eta.h"
#include "html.h"
#include "model.h"
#include "redact.h"
#include "util.h"
#include "tsuiseki/version.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

TSK_API const char *tsk_version(void)
{
	return TSK_VERSION_STRING;
}

TSK_API unsigned int tsk_version_number(void)
{
	return TSK_VERSION_NUMBER;
}

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

/*
 * The installed REST mappings (TSK_MAPPING_DIR, skipped when absent), then
 * each directory of TSUISEKI_MAPPING_PATH; a later mapping of the same name
 * replaces an earlier one. Nothing else is read: an uninstalled build finds
 * the source tree's mappings through TSUISEKI_MAPPING_PATH (set by the test
 * environment and `meson devenv`), never through a path compiled in. A
 * broken mapping never fails the context: it is logged and listed
 * (tsk_ctx_mapping_error_at).
 */
static void load_default_mappings(tsk_ctx *ctx)
{
	struct stat st;
	if (stat(TSK_MAPPING_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		tsk__rest_load_dir(ctx, TSK_MAPPING_DIR, true);
	const char *path = tsk__ctx_getenv(ctx, "TSUISEKI_MAPPING_PATH");
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		if (len > 0 && len < 4096) {
			char dir[4096];
			memcpy(dir, path, len);
			dir[len] = '\0';
			tsk__rest_load_dir(ctx, dir, true);
		}
		path = end ? end + 1 : NULL;
	}
	ctx->last_error[0] = '\0';
}

static void pairs_free(struct tsk__pair *list, size_t n);

TSK_API int tsk_ctx_new(tsk_ctx **out, unsigned int flags)
{
	if (!out)
		return TSK_EINVAL;
	*out = NULL;
	tsk__html_global_init();
	if (tsk__http_global_init() != TSK_OK)
		return TSK_ERROR;
	tsk_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return TSK_ENOMEM;
	ctx->flags = flags;
	memcpy(ctx->options, option_defaults, sizeof ctx->options);
	snprintf(ctx->user_agent, sizeof ctx->user_agent, "tsuiseki/%s", TSK_VERSION_STRING);
	if (!(ctx->locale = tsk__strdup("ja")) || tsk__http_new(&ctx->http) != TSK_OK) {
		tsk_ctx_free(ctx);
		return TSK_ENOMEM;
	}
	if (!(flags & TSK_CTX_NO_DEFAULT_CARRIERS)) {
		for (size_t i = 0; i < tsk__builtin_adapter_count; i++) {
			int rc = tsk_ctx_register_adapter(ctx, tsk__builtin_adapters[i]);
			if (rc != TSK_OK) {
				tsk_ctx_free(ctx);
				return rc;
			}
		}
		load_default_mappings(ctx);
	}
	*out = ctx;
	return TSK_OK;
}

TSK_API void tsk_ctx_free(tsk_ctx *ctx)
{
	if (!ctx)
		return;
	/* first, while everything is intact: done callbacks may look at ctx */
	tsk__loop_free(ctx);
	for (size_t i = 0; i < ctx->ncarriers; i++)
		if (ctx->carriers[i].owned && ctx->carriers[i].owned->destroy)
			ctx->carriers[i].owned->destroy(ctx->carriers[i].owned);
	free(ctx->carriers);
	pairs_free(ctx->endpoints, ctx->nendpoints);
	tsk__policies_free(ctx);
	pairs_free(ctx->variables, ctx->nvariables);
	free(ctx->endpoint_scratch);
	tsk__http_free(ctx->http);
	/* adapters registered from plugins point into them: close last */
	for (size_t i = 0; i < ctx->nplugins; i++)
		dlclose(ctx->plugins[i]);
	free(ctx->plugins);
	for (size_t i = 0; i < ctx->nmapping_errors; i++)
		free(ctx->mapping_errors[i]);
	free(ctx->mapping_errors);
	free(ctx->locale);
	tsk__eta_model_free(ctx->eta_model);
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

static int register_entry(tsk_ctx *ctx, const tsk_adapter *a, tsk_adapter *owned)
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
	return register_entry(ctx, adapter, NULL);
}

int tsk__ctx_register_owned(tsk_ctx *ctx, tsk_adapter *adapter)
{
	int rc = register_entry(ctx, adapter, adapter);
	if (rc != TSK_OK && adapter && adapter->destroy)
		adapter->destroy(adapter);
	return rc;
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
	if (!ctx || !name)
		return NULL;
	for (size_t i = 0; i < ctx->ncarriers; i++)
		if (strcmp(ctx->carriers[i].adapter->name, name) == 0)
			return ctx->carriers[i].adapter;
	return NULL;
}

TSK_API int tsk_ctx_load_plugins(tsk_ctx *ctx, const char *dir)
{
	if (!ctx || !dir)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_load_plugins: missing directory");
	DIR *d = opendir(dir);
	if (!d)
		return tsk__ctx_error(ctx, TSK_EIO, "cannot open plugin directory %s", dir);
	int rc = TSK_OK;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 4 || strcmp(de->d_name + l - 3, ".so") != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		/* only regular files: dlopen of a FIFO would wait for a writer */
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			rc = tsk__ctx_error(ctx, TSK_EIO, "cannot load plugin %s: not a regular file", path);
			tsk__ctx_log(ctx, 1, "%s", ctx->last_error);
			continue;
		}
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			const char *why = dlerror();
			rc = tsk__ctx_error(ctx, TSK_EIO, "cannot load plugin %s: %s", path, why ? why : "?");
			tsk__ctx_log(ctx, 1, "%s", ctx->last_error);
			continue;
		}
		tsk_plugin_fn fn;
		*(void **)&fn = dlsym(h, TSK_PLUGIN_SYMBOL);
		const tsk_adapter *const *list = NULL;
		size_t count = 0;
		int prc = fn ? fn(TSK_ADAPTER_VERSION, &list, &count) : TSK_EVERSION;
		if (prc != TSK_OK || (count && !list)) {
			dlclose(h);
			rc = tsk__ctx_error(ctx, fn ? prc : TSK_EVERSION,
			                    "plugin %s: %s", path,
			                    fn ? "refused this ABI version" : "no " TSK_PLUGIN_SYMBOL " symbol");
			tsk__ctx_log(ctx, 1, "%s", ctx->last_error);
			continue;
		}
		void **n = realloc(ctx->plugins, (ctx->nplugins + 1) * sizeof *n);
		if (!n) {
			dlclose(h);
			closedir(d);
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
		}
		ctx->plugins = n;
		ctx->plugins[ctx->nplugins++] = h;
		for (size_t i = 0; i < count; i++) {
			int r = tsk_ctx_register_adapter(ctx, list[i]);
			if (r != TSK_OK) {
				tsk__ctx_log(ctx, 1, "plugin %s: %s", path, ctx->last_error);
				rc = r;
			}
		}
	}
	closedir(d);
	return rc;
}

TSK_API int tsk_ctx_load_plugin_path(tsk_ctx *ctx, const char *path)
{
	if (!ctx)
		return TSK_EINVAL;
	tsk__buf dirs = TSK__BUF_INIT;
	if (path) {
		tsk__buf_puts(&dirs, path);
	} else {
		const char *env = tsk__ctx_getenv(ctx, "TSUISEKI_CARRIER_PATH");
		if (env && *env) {
			tsk__buf_puts(&dirs, env);
			tsk__buf_putc(&dirs, ':');
		}
		tsk__buf_puts(&dirs, TSK_PLUGIN_DIR);
	}
	char *list = tsk__buf_detach(&dirs);
	if (!list)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	int first = TSK_OK;
	char *save = NULL;
	for (char *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		/* from the environment, only absolute directories: a relative one
		 * would load code from wherever the program happens to run */
		if (!path && d[0] != '/') {
			int rc = tsk__ctx_error(ctx, TSK_EINVAL,
			                        "TSUISEKI_CARRIER_PATH: \"%s\" skipped: only absolute directories "
			                        "are searched for plugins", d);
			tsk__ctx_log(ctx, 1, "%s", ctx->last_error);
			if (first == TSK_OK)
				first = rc;
			continue;
		}
		DIR *probe = opendir(d);
		if (!probe)
			continue; /* an absent directory is not an error */
		closedir(probe);
		/* tsk_ctx_load_plugins() logs each plugin that fails: once is enough */
		int rc = tsk_ctx_load_plugins(ctx, d);
		if (rc != TSK_OK && first == TSK_OK)
			first = rc;
	}
	free(list);
	return first;
}

/* ---------------------------------------------------------------- numbers */

TSK_API int tsk_number_normalize(char **out, const char *input, tsk_error *err)
{
	if (!out || !input)
		return tsk_error_set(err, TSK_EINVAL, "no number given");
	*out = NULL;
	size_t len = strlen(input);
	if (!tsk__utf8_valid(input, len))
		return tsk_error_set(err, TSK_EINVALID_NUMBER, "number is not valid UTF-8");
	tsk__buf b = TSK__BUF_INIT;
	tsk__buf_add(&b, "", 0);
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		i += tsk__utf8_next(input + i, len - i, &cp);
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0; /* full-width ASCII */
		if (cp == '-' || cp == ' ' || cp == '\t' || cp == 0x3000 || cp == 0x2010 || cp == 0x2011 ||
		    cp == 0x2012 || cp == 0x2013 || cp == 0x2212 || cp == 0x30FC || cp == 0xFF70)
			continue;
		if (cp >= 'a' && cp <= 'z')
			cp -= 32;
		if ((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z')) {
			tsk__buf_putc(&b, (char)cp);
			continue;
		}
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_EINVALID_NUMBER,
		                     "unexpected character U+%04X in tracking number", (unsigned)cp);
	}
	if (b.len == 0) {
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_EINVALID_NUMBER, "empty tracking number");
	}
	if (b.len > 40) {
		tsk__buf_dispose(&b);
		return tsk_error_set(err, TSK_EINVALID_NUMBER, "tracking number too long (%zu characters)",
		                     b.len);
	}
	*out = tsk__buf_detach(&b);
	return *out ? TSK_OK : tsk_error_set(err, TSK_ENOMEM, "out of memory");
}

struct tsk_detection {
	char *number;
	bool valid;
	char *error;
	tsk_candidate *candidates;
	size_t count;
};

TSK_API const char *tsk_detection_number(const tsk_detection *d) { return d->number; }
TSK_API int tsk_detection_valid(const tsk_detection *d) { return d->valid; }
TSK_API size_t tsk_detection_count(const tsk_detection *d) { return d->count; }
TSK_API const tsk_candidate *tsk_detection_at(const tsk_detection *d, size_t i)
{
	return i < d->count ? &d->candidates[i] : NULL;
}
TSK_API const char *tsk_detection_error(const tsk_detection *d) { return d->error; }

TSK_API void tsk_detection_free(tsk_detection *d)
{
	if (!d)
		return;
	free(d->number);
	free(d->error);
	free(d->candidates);
	free(d);
}

static int cmp_candidate(const void *a, const void *b)
{
	const tsk_candidate *x = a, *y = b;
	if (x->confidence != y->confidence)
		return x->confidence < y->confidence ? 1 : -1;
	return 0;
}

TSK_API int tsk_detect(tsk_detection **out, tsk_ctx *ctx, const char *input)
{
	if (!out || !ctx || !input)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_detect: missing argument");
	*out = NULL;
	tsk_detection *d = calloc(1, sizeof *d);
	if (!d)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	tsk_error err;
	tsk_error_clear(&err);
	int rc = tsk_number_normalize(&d->number, input, &err);
	if (rc == TSK_OK) {
		d->candidates = calloc(ctx->ncarriers ? ctx->ncarriers : 1, sizeof *d->candidates);
		if (!d->candidates) {
			tsk_detection_free(d);
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
		}
		double total = 0;
		tsk_error first_reason;
		tsk_error_clear(&first_reason);
		for (size_t i = 0; i < ctx->ncarriers; i++) {
			const tsk_adapter *a = ctx->carriers[i].adapter;
			double conf = 0;
			tsk_error aerr;
			tsk_error_clear(&aerr);
			int arc = a->recognize(a, d->number, &conf, &aerr);
			if (arc != TSK_OK) {
				if (first_reason.code == TSK_OK)
					first_reason = aerr;
				continue;
			}
			if (conf > 0) {
				d->candidates[d->count].carrier = a->name;
				d->candidates[d->count].confidence = conf > 1 ? 1 : conf;
				total += d->candidates[d->count].confidence;
				d->count++;
			}
		}
		if (d->count) {
			for (size_t i = 0; i < d->count; i++)
				d->candidates[i].confidence /= total;
			qsort(d->candidates, d->count, sizeof *d->candidates, cmp_candidate);
			d->valid = true;
		} else {
			rc = TSK_EINVALID_NUMBER;
			if (first_reason.code != TSK_OK)
				err = first_reason;
			else
				tsk_error_set(&err, TSK_EINVALID_NUMBER,
				              "no carrier recognises %zu-character number %s",
				              strlen(d->number), d->number);
		}
	} else if (!d->number) {
		/* what the user typed, printable: bytes that are not UTF-8 as U+FFFD */
		d->number = tsk__utf8_repair(input);
	}
	if (rc != TSK_OK) {
		d->error = tsk__strdup(err.message);
		tsk__ctx_error(ctx, rc, "%s: %s", input, err.message);
	}
	*out = d;
	return rc;
}

/* ---------------------------------------------------------------- parsing */

int tsk__ctx_complete(tsk_ctx *ctx, tsk_shipment *s, const tsk_shipment *previous)
{
	tsk_time now = tsk_ctx_now(ctx);
	int rc = tsk__shipment_finalize(s, &now);
	if (rc == TSK_OK)
		rc = tsk__analyze(s, previous, &now, ctx->eta_model);
	return rc;
}

int tsk__ctx_parse_response(tsk_ctx *ctx, const tsk_adapter *a, const tsk_response *resp,
                            tsk_shipment_list *out, tsk_error *err)
{
	tsk_parse_env env = { TSK_PARSE_ENV_VERSION, tsk_ctx_now(ctx), ctx->locale };
	size_t before = tsk_shipment_list_count(out);
	tsk__xml_watch watch;
	tsk__xml_watch_begin(&watch);
	int rc = a->parse(a, resp, &env, out, err);
	/* libxml2 ran out of memory and answered with less: no answer at all */
	if (tsk__xml_watch_end(&watch) && rc != TSK_ENOMEM)
		rc = tsk_error_set(err, TSK_ENOMEM, "out of memory (in libxml2)");
	if (rc != TSK_OK) {
		/* a failed parse leaves nothing half-made behind */
		while (tsk_shipment_list_count(out) > before) {
			tsk_shipment *s;
			tsk_shipment_list_take(&s, out, tsk_shipment_list_count(out) - 1);
			tsk_shipment_free(s);
		}
		if (err->code == TSK_OK)
			tsk_error_set(err, rc, "%s", tsk_strerror(rc));
		/* the message names the carrier once, whether or not the adapter did */
		if (strncmp(err->message, a->name, strlen(a->name)) != 0) {
			char msg[sizeof err->message];
			snprintf(msg, sizeof msg, "%s", err->message);
			tsk_error_set(err, rc, "%s: %s", a->name, msg);
		}
		return rc;
	}
	for (size_t i = before; i < tsk_shipment_list_count(out); i++) {
		tsk_shipment *s = out->items[i];
		if (tsk__ctx_complete(ctx, s, NULL) != TSK_OK)
			return tsk_error_set(err, TSK_ENOMEM, "out of memory");
	}
	return TSK_OK;
}

TSK_API int tsk_parse(tsk_shipment_list **out, tsk_ctx *ctx, const char *carrier, const char *body,
                      size_t len, const char *content_type)
{
	if (!out || !ctx || !carrier || (!body && len))
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_parse: missing argument");
	*out = NULL;
	const tsk_adapter *a = tsk_ctx_carrier(ctx, carrier);
	if (!a)
		return tsk__ctx_error(ctx, TSK_ENOCARRIER, "no carrier named %s", carrier);
	tsk_shipment_list *l;
	if (tsk_shipment_list_new(&l) != TSK_OK)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	tsk_response resp = { TSK_RESPONSE_VERSION, body ? body : "", len, content_type, 0, NULL, 0, NULL };
	tsk_error err;
	tsk_error_clear(&err);
	int rc = tsk__ctx_parse_response(ctx, a, &resp, l, &err);
	if (rc != TSK_OK) {
		tsk_shipment_list_free(l);
		return tsk__ctx_error(ctx, rc, "%s%s%s", err.message, err.where[0] ? " at " : "", err.where);
	}
	*out = l;
	return TSK_OK;
}
