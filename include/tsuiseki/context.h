/*
 * tsuiseki — the context: carrier registry, endpoints, clock, options, and
 * the blocking track/parse/detect calls.
 *
 * Threads: a context and everything it created is used by one thread at a
 * time; separate contexts share nothing. No global mutable state exists
 * beyond the one-time initialisation of libcurl and libxml2.
 */
#ifndef TSUISEKI_CONTEXT_H
#define TSUISEKI_CONTEXT_H

#include "common.h"
#include "errors.h"
#include "model.h"
#include "adapter.h"

TSK_BEGIN_DECLS

/** @since 0.1 */
typedef struct tsk_ctx tsk_ctx;

/* tsk_ctx_new flags */
#define TSK_CTX_NO_ENVIRONMENT      (1u << 0) /**< ignore TSUISEKI_* environment variables @since 0.1 */
#define TSK_CTX_NO_DEFAULT_CARRIERS (1u << 1) /**< start with an empty registry @since 0.1 */

/**
 * Create a context with the built-in carriers registered and the shipped
 * REST mappings loaded (unless flags say otherwise).
 * @param[out] out caller owns (tsk_ctx_free)
 * @return TSK_OK or TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_ctx_new(tsk_ctx **out, unsigned int flags);
/** Free a context and all it owns. Accepts NULL. @since 0.1 */
TSK_API void tsk_ctx_free(tsk_ctx *ctx);
/**
 * The message of the last failed call on this context.
 * @return never NULL ("" when none); borrowed until the next call on ctx.
 * @since 0.1
 */
TSK_API const char *tsk_ctx_last_error(const tsk_ctx *ctx);

/** Log callback: level 0 error, 1 warning, 2 info, 3 debug. @since 0.1 */
typedef void (*tsk_log_fn)(int level, const char *message, void *userdata);
/** Diagnostics go here (nothing is printed by default). @since 0.1 */
TSK_API void tsk_ctx_set_log_fn(tsk_ctx *ctx, tsk_log_fn fn, void *userdata);

/**
 * Fix the reference time `now` (deterministic tests, replays).
 * @param now NULL returns to the clock.
 * @since 0.1
 */
TSK_API int tsk_ctx_set_now(tsk_ctx *ctx, const tsk_time *now);
/** @return the reference time: the injected one or the clock. @since 0.1 */
TSK_API tsk_time tsk_ctx_now(const tsk_ctx *ctx);

/**
 * Override a carrier's endpoint (base URL). Wins over the environment
 * variable TSUISEKI_ENDPOINT_<CARRIER> (upper case, non-alphanumerics as _).
 * @param url copied; NULL removes the override.
 * @return TSK_OK, TSK_EINVAL (not http/https), TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_ctx_set_endpoint(tsk_ctx *ctx, const char *carrier, const char *url);
/**
 * The endpoint in force for a carrier: API override, else environment, else
 * the adapter's default. A TSUISEKI_ENDPOINT_<CARRIER> that is set but not
 * an http(s) URL with a host is never replaced by the default: the carrier
 * then has no endpoint (its queries fail with TSK_ECONFIG).
 * @return borrowed until the next change, or NULL for an unknown carrier
 *         (TSK_ENOCARRIER) or an unusable environment endpoint (TSK_ECONFIG),
 *         with tsk_ctx_last_error() saying which.
 * @since 0.1
 */
TSK_API const char *tsk_ctx_endpoint(tsk_ctx *ctx, const char *carrier);

/**
 * Set a variable the context reads before the process environment: the
 * credentials a REST mapping names (`${AFTERSHIP_API_KEY}`), or any
 * TSUISEKI_* setting looked up after creation. Works also in a context made
 * with TSK_CTX_NO_ENVIRONMENT, which then sees only these.
 * @param name  copied; letters, digits and '_' only
 * @param value copied; NULL removes the variable
 * @return TSK_OK, TSK_EINVAL (bad name), TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_ctx_set_variable(tsk_ctx *ctx, const char *name, const char *value);

/** Numeric options. @since 0.1 */
typedef enum tsk_option {
	TSK_OPT_CONNECT_TIMEOUT_MS = 0, /**< default 10000 */
	TSK_OPT_TIMEOUT_MS,             /**< whole request, default 30000 */
	TSK_OPT_MAX_RESPONSE_BYTES,     /**< default 8 MiB */
	TSK_OPT_MAX_PARALLEL,           /**< concurrent requests per carrier, default 4 */
	TSK_OPT_MAX_RETRIES,            /**< retries on network errors/5xx/429, default 2 */
	TSK_OPT_RETRY_BASE_MS,          /**< first backoff, doubled each try, default 500 */
	TSK_OPT_RETRY_MAX_MS,           /**< cap on one wait, default 30000; a longer Retry-After ends
	                                     the query as TSK_ERATELIMITED (next_poll after the wait) */
	TSK_OPT_REQUESTS_PER_SECOND,    /**< per carrier, 0 = unlimited, default 0 */
	TSK_OPT_VERIFY_TLS,             /**< 1 (default); 0 only for local testing */
	/** Circuit breaker: failed requests in a row (network errors, timeouts,
	 *  5xx, 429) that open a carrier's breaker; an HTTP 403 opens it at once.
	 *  Default 5; 0 turns the breaker off. @since 0.2 */
	TSK_OPT_BREAKER_FAILURES,
	/** First cool-down of an open breaker, doubled each time it opens
	 *  again without a success in between; default 60000. @since 0.2 */
	TSK_OPT_BREAKER_COOLDOWN_MS,
	/** Cap of the cool-down, default 3600000 (one hour). @since 0.2 */
	TSK_OPT_BREAKER_MAX_COOLDOWN_MS,
	/** 1: tsk_track() and tsk_track_batch() follow a hand-off themselves —
	 *  a shipment whose carrier handed it to another registered carrier
	 *  (クロネコゆうパケット → Japan Post) is tracked there too in the same
	 *  call and folded into one shipment (tsk_shipment_merge_leg()). One
	 *  hand-off deep; blocking calls only (the event loop answers the first
	 *  leg). Default 0. @since 0.2 */
	TSK_OPT_FOLLOW_HANDOFF,
	TSK_OPT__COUNT
} tsk_option;
/** @return TSK_OK or TSK_EINVAL (unknown option or value out of range). @since 0.1 */
TSK_API int tsk_ctx_set_option(tsk_ctx *ctx, tsk_option opt, long value);
/** @return the value in force. @since 0.1 */
TSK_API long tsk_ctx_option(const tsk_ctx *ctx, tsk_option opt);

/**
 * Politeness for one carrier: TSK_OPT_MAX_PARALLEL (requests in flight) or
 * TSK_OPT_REQUESTS_PER_SECOND (0 = unlimited) for that carrier alone, over
 * the context's option of the same name. Without a call, the environment
 * gives them: TSUISEKI_PARALLEL_<CARRIER> and TSUISEKI_RATE_<CARRIER>
 * (the carrier name upper-cased, other characters as '_', as for
 * TSUISEKI_ENDPOINT_<CARRIER>; whole numbers in the option's range). A
 * variable that is set but unusable makes that carrier's shipments fail
 * with TSK_ECONFIG naming it, never a silent fall back to no limit.
 * @param value in the option's range; -1 removes the carrier's own value
 * @return TSK_OK, TSK_EINVAL (another option, or out of range), TSK_ENOMEM.
 * @since 0.2
 */
TSK_API int tsk_ctx_set_carrier_option(tsk_ctx *ctx, const char *carrier, tsk_option opt, long value);

/**
 * The value in force for one carrier: its own (API, then environment),
 * else the context's option.
 * @param[out] out the value
 * @return TSK_OK, TSK_EINVAL (another option), TSK_ECONFIG (the variable is
 *         set but unusable; the message names it).
 * @since 0.2
 */
TSK_API int tsk_ctx_carrier_option(tsk_ctx *ctx, const char *carrier, tsk_option opt, long *out);

/** State of a carrier's circuit breaker. @since 0.2 */
typedef enum tsk_breaker_state {
	TSK_BREAKER_CLOSED = 0,   /**< requests go to the carrier */
	TSK_BREAKER_OPEN,         /**< no request goes until open_until */
	TSK_BREAKER_HALF_OPEN     /**< the cool-down is over: the next request probes; a success closes */
} tsk_breaker_state;

/** A carrier's breaker as the context sees it. Plain value. @since 0.2 */
typedef struct tsk_carrier_status {
	tsk_breaker_state state;
	unsigned int failures;    /**< failed requests in a row */
	unsigned int opened;      /**< times opened since the last success (the cool-down doubles) */
	tsk_time open_until;      /**< end of the cool-down (wall clock, JST); unset when closed */
	int last_error;           /**< code of the last failure (TSK_ENETWORK, TSK_EHTTP…), TSK_OK if none */
	long last_http_status;    /**< of the last failure, 0 when it had none */
} tsk_carrier_status;

/**
 * Read a carrier's circuit breaker (DESIGN.md "Fleet": politeness holds per
 * carrier). While it is open no request goes to the carrier, and its
 * shipments get TSK_ECARRIER_UNAVAILABLE ("carrier_unavailable") with a
 * message saying until when; tsk_track_batch() hands back the previous
 * snapshot given for such a shipment, with that error.
 * @param[out] out filled (a carrier never asked is closed)
 * @return TSK_OK, TSK_EINVAL, TSK_ENOCARRIER.
 * @since 0.2
 */
TSK_API int tsk_ctx_carrier_status(tsk_ctx *ctx, const char *carrier, tsk_carrier_status *out);

/** Locale used for requests and display ("ja" default, or "en"). @since 0.1 */
TSK_API int tsk_ctx_set_locale(tsk_ctx *ctx, const char *locale);

/* -------------------------------------------------------------- registry */

/**
 * Register an adapter. The descriptor must outlive the context (static or
 * plugin-owned).
 * @return TSK_OK; TSK_EVERSION when adapter->version is 0 or newer than
 * TSK_ADAPTER_VERSION; TSK_EINVAL when a required slot is missing or the
 * name is taken (TSK_EEXISTS).
 * @since 0.1
 */
TSK_API int tsk_ctx_register_adapter(tsk_ctx *ctx, const tsk_adapter *adapter);
/** @return the number of registered carriers. @since 0.1 */
TSK_API size_t tsk_ctx_carrier_count(const tsk_ctx *ctx);
/** @return the i-th adapter (borrowed), NULL when out of range. @since 0.1 */
TSK_API const tsk_adapter *tsk_ctx_carrier_at(const tsk_ctx *ctx, size_t i);
/** @return the adapter named name (borrowed), or NULL. @since 0.1 */
TSK_API const tsk_adapter *tsk_ctx_carrier(const tsk_ctx *ctx, const char *name);
/**
 * Load carrier plugins (shared objects) from a directory.
 * @return TSK_OK (also when the directory holds none), TSK_EIO, TSK_EVERSION.
 * @since 0.1
 */
TSK_API int tsk_ctx_load_plugins(tsk_ctx *ctx, const char *dir);

/**
 * Load plugins from a colon-separated list of directories; NULL means
 * $TSUISEKI_CARRIER_PATH (unless the context ignores the environment) and
 * then the installed plugin directory. Directories that do not exist are
 * skipped; so are relative directories of TSUISEKI_CARRIER_PATH (only
 * absolute ones are searched: TSK_EINVAL, reported through the log
 * callback); every plugin that fails is reported through the log callback.
 * @return TSK_OK, or the code of the first failure (the others still load).
 * @since 0.1
 */
TSK_API int tsk_ctx_load_plugin_path(tsk_ctx *ctx, const char *path);

/* ---------------------------------------------------------------- numbers */

/**
 * Normalize a tracking number as typed: strip hyphens and white space
 * (ASCII, full-width), full-width digits and letters to ASCII, letters to
 * upper case.
 * @param[out] out caller owns (tsk_free)
 * @return TSK_OK, TSK_EINVALID_NUMBER (empty, or other characters), TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_number_normalize(char **out, const char *input, tsk_error *err);

/** One carrier that may own a number. @since 0.1 */
typedef struct tsk_candidate {
	const char *carrier;     /**< borrowed from the registry */
	double confidence;       /**< 0..1; candidates of one number sum to 1 */
} tsk_candidate;

/** Result of tsk_detect (opaque). @since 0.1 */
typedef struct tsk_detection tsk_detection;

/**
 * Which carriers may own a number, best first.
 * @param[out] out caller owns (tsk_detection_free); filled also when invalid
 * @return TSK_OK when valid, TSK_EINVALID_NUMBER (message says why: length,
 * check digit, unknown S10 country), TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_detect(tsk_detection **out, tsk_ctx *ctx, const char *input);
/** @return the normalized number (borrowed from the detection). @since 0.1 */
TSK_API const char *tsk_detection_number(const tsk_detection *d);
/** @return non-zero when the number is valid, 0 when it is not (see tsk_detection_error). @since 0.1 */
TSK_API int tsk_detection_valid(const tsk_detection *d);
/** @return the number of candidate carriers. @since 0.1 */
TSK_API size_t tsk_detection_count(const tsk_detection *d);
/** @return candidate i, best first (borrowed from the detection), NULL past the end. @since 0.1 */
TSK_API const tsk_candidate *tsk_detection_at(const tsk_detection *d, size_t i);
/** @return the reason it is invalid (borrowed from the detection), or NULL. @since 0.1 */
TSK_API const char *tsk_detection_error(const tsk_detection *d);
/** Free a detection. Accepts NULL. @since 0.1 */
TSK_API void tsk_detection_free(tsk_detection *d);

/* ------------------------------------------------------------- tracking */

/**
 * Track one number (blocking).
 * @param carrier registry name, or NULL / "auto" to query every candidate
 *        concurrently and keep the one that knows the number
 * @param[out] out caller owns (tsk_shipment_free); set also when the
 *        shipment carries an error (not_found, http…)
 * @return TSK_OK when the carrier answered (check tsk_shipment_error()),
 *         TSK_EINVALID_NUMBER, TSK_ENOCARRIER, TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_track(tsk_shipment **out, tsk_ctx *ctx, const char *carrier, const char *number);

/**
 * Track many numbers (blocking), concurrently through one curl multi
 * handle with batching and politeness limits. One shipment per input, in
 * input order; a failed number carries its own error and never fails the batch.
 * @param previous optional snapshots from the last poll (matched by carrier
 *        and number): histories are merged, ETA original kept.
 * @param[out] out caller owns (tsk_shipment_list_free)
 * @since 0.1
 */
TSK_API int tsk_track_batch(tsk_shipment_list **out, tsk_ctx *ctx, const char *carrier,
                            const char *const *numbers, size_t count,
                            const tsk_shipment_list *previous);

/**
 * Parse a saved response with a carrier's parser (no network).
 * @param content_type as served, or NULL to decide by the bytes
 * @param[out] out caller owns (tsk_shipment_list_free)
 * @return TSK_OK, TSK_ENOCARRIER, TSK_ELAYOUT, TSK_EPARSE, TSK_ENOMEM.
 * @since 0.1
 */
TSK_API int tsk_parse(tsk_shipment_list **out, tsk_ctx *ctx, const char *carrier,
                      const char *body, size_t len, const char *content_type);

/**
 * Interrupt a blocking tsk_track_batch() running in another thread. The
 * only function that may be called from another thread.
 * @since 0.1
 */
TSK_API int tsk_ctx_wakeup(tsk_ctx *ctx);

TSK_END_DECLS

#endif /* TSUISEKI_CONTEXT_H */
