/*
 * tsuiseki — REST/JSON tracking APIs driven by mapping files.
 *
 * A mapping is a JSON file that tells the generic REST adapter how to ask a
 * JSON tracking API (method, URL template, headers, body, batch size) and
 * where its answer keeps shipments, events, times and status codes, with a
 * table from the API's codes to tsuiseki's statuses. Each mapping becomes a
 * carrier named "rest:<name>" in the context's registry. The format is
 * described at the top of carriers/rest/rest.c and in the README.
 *
 * tsk_ctx_new() loads the shipped mappings and every directory of
 * TSUISEKI_MAPPING_PATH (colon-separated); a mapping that fails to load
 * never fails the context: its message is kept in a list the caller can
 * print (tsk_ctx_mapping_error_count / _at).
 *
 * Credentials never live in a mapping: headers name environment variables
 * (${AFTERSHIP_API_KEY}) that are read when a request is built.
 */
#ifndef TSUISEKI_REST_H
#define TSUISEKI_REST_H

#include "common.h"
#include "errors.h"
#include "context.h"

TSK_BEGIN_DECLS

/** The mapping format version this library reads (the mapping's "version"). @since 0.1 */
#define TSK_MAPPING_VERSION 1

/**
 * Load one mapping file and register it as carrier "rest:<name>".
 * @param path a JSON file (read whole, at most 1 MiB); copied as needed.
 * @return TSK_OK; TSK_ECONFIG when the mapping is invalid (the message
 * names the file, the key path and what was expected, e.g.
 * `aftership.json: response.status_map.Delivered: unknown status "deliverd"`);
 * TSK_EIO when the file cannot be read; TSK_EEXISTS when a carrier of that
 * name is registered already; TSK_EINVAL, TSK_ENOMEM.
 * On failure the message is also appended to the mapping error list.
 * @since 0.1
 */
TSK_API int tsk_ctx_load_mapping(tsk_ctx *ctx, const char *path);

/**
 * Load a mapping from memory.
 * @param json the mapping text (len bytes, need not be NUL-terminated; copied)
 * @param origin_name names the mapping in messages ("aftership.json"); may be NULL
 * @return as tsk_ctx_load_mapping() (never TSK_EIO).
 * @since 0.1
 */
TSK_API int tsk_ctx_load_mapping_string(tsk_ctx *ctx, const char *json, size_t len,
                                        const char *origin_name);

/**
 * Load every `*.json` file of a directory, in name order. A broken mapping
 * does not stop the others: each failure is logged (level 1) and appended
 * to the mapping error list.
 * @return TSK_OK when every mapping loaded; else the code of the first
 * failure (TSK_EIO when the directory cannot be read), with the others
 * loaded all the same.
 * @since 0.1
 */
TSK_API int tsk_ctx_load_mappings_dir(tsk_ctx *ctx, const char *dir);

/**
 * How many mapping loads failed since the context was created (the shipped
 * directory, TSUISEKI_MAPPING_PATH and every tsk_ctx_load_mapping* call).
 * @since 0.1
 */
TSK_API size_t tsk_ctx_mapping_error_count(const tsk_ctx *ctx);

/**
 * The i-th mapping error message (file, key path, what was expected).
 * @return borrowed (valid until the context is freed), or NULL when out of range.
 * @since 0.1
 */
TSK_API const char *tsk_ctx_mapping_error_at(const tsk_ctx *ctx, size_t i);

TSK_END_DECLS

#endif /* TSUISEKI_REST_H */
