/*
 * Carrier plugins (tsk_ctx_load_plugins, tsk_ctx_load_plugin_path): shared
 * objects exporting TSK_PLUGIN_SYMBOL, whose adapters join the registry.
 *
 * Invariants: only regular files are opened; a plugin stays loaded until
 * the context is freed (its adapters point into it); from the environment,
 * only absolute directories are searched.
 */
#define _GNU_SOURCE
#include "context.h"
#include "util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
			tsk__ctx_log(ctx, 1, "%s", tsk_ctx_last_error(ctx));
			continue;
		}
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			const char *why = dlerror();
			rc = tsk__ctx_error(ctx, TSK_EIO, "cannot load plugin %s: %s", path, why ? why : "?");
			tsk__ctx_log(ctx, 1, "%s", tsk_ctx_last_error(ctx));
			continue;
		}
		tsk_plugin_fn fn;
		*(void **)&fn = dlsym(h, TSK_PLUGIN_SYMBOL);
		const tsk_adapter *const *list = NULL;
		size_t count = 0;
		/* the newest adapter ABI first, then each older one this loader
		 * still reads, so a plugin built against an older header loads */
		int prc = TSK_EVERSION;
		for (unsigned int abi = TSK_ADAPTER_VERSION; fn && abi >= 1 && prc == TSK_EVERSION; abi--)
			prc = fn(abi, &list, &count);
		if (prc != TSK_OK || (count && !list)) {
			dlclose(h);
			rc = tsk__ctx_error(ctx, fn ? prc : TSK_EVERSION,
			                    "plugin %s: %s", path,
			                    fn ? "refused this ABI version" : "no " TSK_PLUGIN_SYMBOL " symbol");
			tsk__ctx_log(ctx, 1, "%s", tsk_ctx_last_error(ctx));
			continue;
		}
		if (tsk__ctx_add_plugin(ctx, h) != TSK_OK) {
			dlclose(h);
			closedir(d);
			return tsk__ctx_error(ctx, TSK_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < count; i++) {
			int r = tsk_ctx_register_adapter(ctx, list[i]);
			if (r != TSK_OK) {
				tsk__ctx_log(ctx, 1, "plugin %s: %s", path, tsk_ctx_last_error(ctx));
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
			tsk__ctx_log(ctx, 1, "%s", tsk_ctx_last_error(ctx));
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
