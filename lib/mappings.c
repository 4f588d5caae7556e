/*
 * REST mappings in a context (include/tsuiseki/rest.h): reading mapping
 * files and directories, registering the adapter carriers/rest makes of
 * each, and listing the ones that failed.
 *
 * Invariants: a mapping that fails to load is logged and listed
 * (tsk_ctx_mapping_error_at), never half-registered; with replace (the
 * search path), only an earlier REST mapping of the same name is replaced.
 */
#include "mappings.h"
#include "carriers.h"
#include "context.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_MAPPING_BYTES (1024 * 1024)

static int fail_load(tsk_ctx *ctx, int code, const char *msg)
{
	tsk__ctx_log(ctx, 1, "mapping not loaded: %s", msg);
	tsk__ctx_add_load_error(ctx, msg);
	return tsk__ctx_error(ctx, code, "%s", msg);
}

static int load_text(tsk_ctx *ctx, const char *json, size_t len, const char *origin, bool replace)
{
	tsk_error err;
	tsk_error_clear(&err);
	tsk_adapter *a = NULL;
	int rc = tsk__rest_adapter_new(&a, json, len, origin, &err);
	if (rc != TSK_OK)
		return fail_load(ctx, rc, err.message);
	if (tsk_ctx_carrier(ctx, a->name)) {
		const char *earlier = tsk__rest_origin(tsk__ctx_owned(ctx, a->name));
		if (replace && earlier) {
			/* a later directory overrides a shipped mapping of the same name */
			tsk__ctx_log(ctx, 2, "%s: replaces the earlier mapping %s", tsk__rest_origin(a), earlier);
			return tsk__ctx_replace_owned(ctx, a);
		}
		char msg[300];
		snprintf(msg, sizeof msg, "%s: name: carrier %s is already registered", tsk__rest_origin(a),
		         a->name);
		a->destroy(a);
		return fail_load(ctx, TSK_EEXISTS, msg);
	}
	rc = tsk__ctx_register_owned(ctx, a);
	if (rc != TSK_OK) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s: %s", origin ? origin : "(mapping)", tsk_ctx_last_error(ctx));
		return fail_load(ctx, rc, msg);
	}
	tsk__ctx_log(ctx, 3, "loaded mapping %s", origin ? origin : "(mapping)");
	return TSK_OK;
}

TSK_API int tsk_ctx_load_mapping_string(tsk_ctx *ctx, const char *json, size_t len, const char *origin_name)
{
	if (!ctx || (!json && len))
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_load_mapping_string: missing argument");
	return load_text(ctx, json ? json : "", len, origin_name, false);
}

static int load_file(tsk_ctx *ctx, const char *path, bool replace)
{
	char *data = NULL;
	size_t len = 0;
	int rrc = tsk__read_file(path, MAX_MAPPING_BYTES, &data, &len);
	if (rrc != 0) {
		char msg[600];
		int e = errno;
		if (e == ENOMEM)
			return fail_load(ctx, TSK_ENOMEM, "out of memory");
		snprintf(msg, sizeof msg, "%s: cannot read the mapping: %s", path,
		         rrc == TSK__NOT_REGULAR ? "not a regular file (a FIFO, device or directory is never opened)"
		         : e == EFBIG            ? "larger than 1 MiB"
		                                 : strerror(e));
		return fail_load(ctx, TSK_EIO, msg);
	}
	int rc = load_text(ctx, data, len, path, replace);
	free(data);
	return rc;
}

TSK_API int tsk_ctx_load_mapping(tsk_ctx *ctx, const char *path)
{
	if (!ctx || !path)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_load_mapping: missing argument");
	return load_file(ctx, path, false);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tsk__rest_load_dir(tsk_ctx *ctx, const char *dir, bool replace)
{
	if (!ctx || !dir)
		return tsk__ctx_error(ctx, TSK_EINVAL, "tsk_ctx_load_mappings_dir: missing argument");
	if (replace && dir[0] != '/') {
		/* the search path: a relative directory would read mappings (and
		 * send credentials where they say) from wherever the program runs */
		char msg[600];
		snprintf(msg, sizeof msg, "%s: skipped: TSUISEKI_MAPPING_PATH names only absolute directories",
		         dir);
		return fail_load(ctx, TSK_EINVAL, msg);
	}
	DIR *d = opendir(dir);
	if (!d) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s: cannot open the mapping directory: %s", dir, strerror(errno));
		return fail_load(ctx, TSK_EIO, msg);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = TSK_OK;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (!TSK__GROW(names, cap, n + 1)) {
			rc = TSK_ENOMEM;
			break;
		}
		if (!(names[n] = tsk__strdup(de->d_name))) {
			rc = TSK_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	int first_rc = rc;
	size_t failed = 0;
	char first_msg[512] = "";
	for (size_t i = 0; i < n && rc != TSK_ENOMEM; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		int r = load_file(ctx, path, replace);
		if (r != TSK_OK) {
			if (first_rc == TSK_OK) {
				first_rc = r;
				snprintf(first_msg, sizeof first_msg, "%s", tsk_ctx_last_error(ctx));
			}
			failed++;
		}
		if (r == TSK_ENOMEM)
			rc = r;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (first_rc == TSK_ENOMEM)
		return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
	if (failed)
		return tsk__ctx_error(ctx, first_rc, "%zu of %zu mappings in %s failed to load; first: %s",
		                      failed, n, dir, first_msg);
	return TSK_OK;
}

TSK_API int tsk_ctx_load_mappings_dir(tsk_ctx *ctx, const char *dir)
{
	return tsk__rest_load_dir(ctx, dir, false);
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
void tsk__mappings_load_default(tsk_ctx *ctx)
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
	tsk__ctx_clear_error(ctx);
}
