/*
 * tsuiseki — error codes.
 *
 * Every fallible function returns an int: TSK_OK (0) or one of the negative
 * codes below. The context keeps a message naming what went wrong
 * (tsk_ctx_last_error()); functions without a context fill a tsk_error.
 * Decide by the code, not by the message.
 */
#ifndef TSUISEKI_ERRORS_H
#define TSUISEKI_ERRORS_H

#include "common.h"

TSK_BEGIN_DECLS

/**
 * X(NAME, value, json_name, sentence). json_name is the spelling used in the
 * CLI's "error.code" and in snapshots; it never changes once released.
 * @since 0.1
 */
#define TSK_ERROR_MAP(X)                                                        \
	X(OK,              0,  "ok",              "success")                        \
	X(ERROR,          -1,  "error",           "unspecified error")              \
	X(ENOMEM,         -2,  "out_of_memory",   "out of memory")                  \
	X(EINVAL,         -3,  "invalid_argument","invalid argument")               \
	X(EVERSION,       -4,  "version",         "unsupported structure or ABI version") \
	X(ECANCELED,      -5,  "canceled",        "operation canceled")             \
	X(ENOTFOUND,      -6,  "not_found",       "the carrier has no record of this number") \
	X(EINVALID_NUMBER,-7,  "invalid_number",  "not a valid tracking number")    \
	X(ENETWORK,       -8,  "network",         "network error")                  \
	X(EHTTP,          -9,  "http",            "unexpected HTTP status")         \
	X(ELAYOUT,        -10, "layout_changed",  "the carrier's page layout is not recognised") \
	X(EPARSE,         -11, "parse",           "the response could not be parsed") \
	X(ERATELIMITED,   -12, "rate_limited",    "the carrier is rate limiting requests") \
	X(ETIMEOUT,       -13, "timeout",         "the request timed out")          \
	X(EIO,            -14, "io",              "input/output error")             \
	X(EEXISTS,        -15, "exists",          "already exists")                 \
	X(ECONFIG,        -16, "config",          "invalid configuration or mapping") \
	X(ENOCARRIER,     -17, "unknown_carrier", "no such carrier")              \
	X(ECARRIER_UNAVAILABLE, -18, "carrier_unavailable", "the carrier is unavailable (its circuit breaker is open)")

/** Status codes returned by every fallible tsuiseki function. @since 0.1 */
typedef enum tsk_error_code {
#define TSK__ERR_ENUM(name, value, json, text) TSK_##name = value,
	TSK_ERROR_MAP(TSK__ERR_ENUM)
#undef TSK__ERR_ENUM
/* the codes run 0, -1, -2, … in the order of the list, so the last is
 * 1 minus the number of codes (lib/errors.c checks the run) */
#define TSK__ERR_ONE(name, value, json, text) +1
	TSK__ERROR_LAST = 1 - (0 TSK_ERROR_MAP(TSK__ERR_ONE))
#undef TSK__ERR_ONE
} tsk_error_code;

/**
 * The JSON spelling of a code ("rate_limited").
 * @return a static string (borrowed, valid forever); "error" for an unknown code.
 * @since 0.1
 */
TSK_API const char *tsk_error_name(int code);

/**
 * Parse a JSON spelling back into a code.
 * @param[out] out  the code
 * @return TSK_OK, or TSK_EINVAL when the name is unknown.
 * @since 0.1
 */
TSK_API int tsk_error_from_name(int *out, const char *name);

/**
 * A fixed English sentence for a code.
 * @return a static string (borrowed, valid forever).
 * @since 0.1
 */
TSK_API const char *tsk_strerror(int code);

/**
 * Error detail filled by functions that have no context (parsers, number
 * checks). Caller-allocated; the library only writes into it.
 * @since 0.1
 */
typedef struct tsk_error {
	int code;            /**< a tsk_error_code */
	char message[256];   /**< English, names what was wrong; "" when code is TSK_OK */
	char where[128];     /**< where it was: XPath, key path, byte offset; may be "" */
} tsk_error;

/** Reset an error to TSK_OK with empty texts. @since 0.1 */
TSK_API void tsk_error_clear(tsk_error *err);

/**
 * Fill an error (printf-style message, truncated to fit).
 * @return code, so callers can write `return tsk_error_set(err, TSK_EPARSE, ...)`.
 * @since 0.1
 */
TSK_API int tsk_error_set(tsk_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/** Set the `where` text of an error (printf-style). @since 0.1 */
TSK_API void tsk_error_set_where(tsk_error *err, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

TSK_END_DECLS

#endif /* TSUISEKI_ERRORS_H */
