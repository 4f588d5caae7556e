/*
 * tsuiseki — for adapter and plugin authors.
 *
 * An adapter is a const descriptor whose first member is its version. It does
 * four things, each pure and separately testable:
 *   recognize       number -> confidence (format + check digit)
 *   build_requests  numbers -> HTTP requests (data only, no I/O)
 *   parse           (bytes, content type, HTTP status, numbers, now) -> shipments
 *   map_status      carrier status word -> normalized status + exception code
 * Parsing never touches the network or the clock: `now` comes in the env.
 */
#ifndef TSUISEKI_ADAPTER_H
#define TSUISEKI_ADAPTER_H

#include "common.h"
#include "errors.h"
#include "model.h"

TSK_BEGIN_DECLS

/**
 * The version of tsk_adapter this header declares; independent of the
 * library version. Version 2 (@since 0.2) appended `tables`,
 * `service_hint`, `customer_name_ja` and `customer_name_en`; an adapter that says version 1 is read only up to
 * `userdata`, so plugins built against the smaller struct keep working.
 * @since 0.1
 */
#define TSK_ADAPTER_VERSION 2

/* Capability flags (tsk_adapter.flags). */
#define TSK_ADAPTER_HTML   (1u << 0)  /**< parses HTML pages @since 0.1 */
#define TSK_ADAPTER_JSON   (1u << 1)  /**< parses JSON responses @since 0.1 */
#define TSK_ADAPTER_BATCH  (1u << 2)  /**< one request may carry several numbers @since 0.1 */
#define TSK_ADAPTER_S10    (1u << 3)  /**< handles UPU S10 international numbers @since 0.1 */
/**
 * Takes any number when the caller names the carrier explicitly, even
 * though recognize() gives it confidence 0 (so `--carrier auto` never picks
 * it). REST mappings without a number pattern set it: a paid API is only
 * asked when named.
 * @since 0.1
 */
#define TSK_ADAPTER_ANY_NUMBER (1u << 4)
/**
 * parse() also gets answers with an HTTP status of 400 or more (an API that
 * explains a refusal or a not-found in its body). Without it such an answer
 * is an `http` error and parse() is not called. Version-1 adapters that set
 * TSK_ADAPTER_JSON are treated as setting it too, as before it existed.
 * @since 0.2
 */
#define TSK_ADAPTER_ERROR_BODIES (1u << 5)

/* ------------------------------------------------------- building events */

/** Text fields of an event. @since 0.1 */
typedef enum tsk_event_field {
	TSK_EVENT_TIME_RAW = 0,
	TSK_EVENT_CARRIER_STATUS,
	TSK_EVENT_DESCRIPTION,
	TSK_EVENT_LOCATION,
	TSK_EVENT_LOCATION_CODE,
	TSK_EVENT_REGION,
	TSK_EVENT_POSTAL_CODE,
	TSK_EVENT__FIELD_COUNT
} tsk_event_field;

/** Create an empty event (status UNKNOWN, no time). @param[out] out caller owns (tsk_event_free) until appended. @since 0.1 */
TSK_API int tsk_event_new(tsk_event **out);
/** Free an event that was not appended to a shipment. Accepts NULL. @since 0.1 */
TSK_API void tsk_event_free(tsk_event *ev);
/**
 * Set a text field (UTF-8, copied). Leading/trailing white space (ASCII and
 * U+3000) is trimmed and ASCII white-space runs become one space; an empty
 * result or NULL clears the field.
 * @return TSK_OK, TSK_ENOMEM or TSK_EINVAL (bad field, invalid UTF-8).
 * @since 0.1
 */
TSK_API int tsk_event_set_text(tsk_event *ev, tsk_event_field field, const char *utf8);
/**
 * Set the local date/time as the carrier printed it. year 0 = not shown
 * (inferred later from the reference time, DESIGN.md "Time"); hour -1 = no
 * time (precision DAY). offset in seconds east of UTC (TSK_JST_OFFSET).
 * @return TSK_OK or TSK_EINVAL.
 * @since 0.1
 */
TSK_API int tsk_event_set_local_time(tsk_event *ev, int year, int month, int day,
                                     int hour, int minute, int offset);
/** Set an absolute time (JSON APIs). NULL or an unset time clears it. @since 0.1 */
TSK_API int tsk_event_set_time(tsk_event *ev, const tsk_time *t);
/** Set the normalized status, the implied exception and whether the word was unmapped. @since 0.1 */
TSK_API void tsk_event_set_status(tsk_event *ev, tsk_status status,
                                  tsk_exception_code exception, int unmapped);

/* ---------------------------------------------------- building shipments */

/** Text fields of a shipment. @since 0.1 */
typedef enum tsk_shipment_field {
	TSK_SHIPMENT_SERVICE = 0,      /**< 宅急便, ゆうパック… */
	TSK_SHIPMENT_STATUS_TEXT,      /**< the carrier's current-state text */
	TSK_SHIPMENT_LAYOUT,           /**< layout the parser recognised */
	TSK_SHIPMENT_ORIGIN_REGION,    /**< prefecture or region of origin, where shown */
	TSK_SHIPMENT_DESTINATION_REGION,
	TSK_SHIPMENT_ETA_RAW,          /**< the carrier's stated delivery date/time text */
	TSK_SHIPMENT__FIELD_COUNT
} tsk_shipment_field;

/**
 * Create a shipment.
 * @param[out] out caller owns (tsk_shipment_free)
 * @param carrier registry name ("yamato"), copied
 * @param tracking_number digits (or S10 letters and digits), copied
 * Bytes of carrier or tracking_number that are not UTF-8 are copied as
 * U+FFFD, so every shipment serialises to valid JSON.
 * @since 0.1
 */
TSK_API int tsk_shipment_new(tsk_shipment **out, const char *carrier, const char *tracking_number);
/** Set a text field (see tsk_event_set_text for white space). @since 0.1 */
TSK_API int tsk_shipment_set_text(tsk_shipment *s, tsk_shipment_field field, const char *utf8);
/**
 * The carrier's current-state field, when the page has one: it wins over
 * the last event's status (DESIGN.md "Timeline").
 * @since 0.1
 */
TSK_API void tsk_shipment_set_state(tsk_shipment *s, tsk_status status, tsk_exception_code exception);
/** Append an event in the carrier's logical order (oldest first). Takes ownership of ev, also on failure. @since 0.1 */
TSK_API int tsk_shipment_append_event(tsk_shipment *s, tsk_event *ev);
/** Record that another carrier took the parcel over. Strings copied. @since 0.1 */
TSK_API int tsk_shipment_set_handoff(tsk_shipment *s, const char *carrier, const char *tracking_number);
/** Attach an error (not_found, layout_changed…) to this shipment. message copied, may be NULL. @since 0.1 */
TSK_API int tsk_shipment_set_error(tsk_shipment *s, int code, const char *message);
/**
 * The delivery window the carrier states. Times may carry year 0 semantics
 * through tsk_shipment_set_eta_local(); this one takes absolute times.
 * @since 0.1
 */
TSK_API int tsk_shipment_set_carrier_eta(tsk_shipment *s, const tsk_time *earliest, const tsk_time *latest);
/**
 * The carrier's stated window as local fields with the year possibly
 * missing (0); resolved with the events' years. hour -1 = whole day.
 * end_hour/end_minute close the window (-1: end of the day / of the start hour band).
 * @since 0.1
 */
TSK_API int tsk_shipment_set_eta_local(tsk_shipment *s, int year, int month, int day,
                                       int start_hour, int start_minute,
                                       int end_hour, int end_minute);

/** How a page-stated time constrains the years of events printed without one. @since 0.1 */
typedef enum tsk_year_hint {
	TSK_YEAR_HINT_NOT_AFTER = 0,  /**< events are not after it (the page's inquiry time) */
	TSK_YEAR_HINT_NOT_BEFORE      /**< events are not before it (the shipping date) */
} tsk_year_hint;
/** A time shown on the page that fixes the year of year-less events. @since 0.1 */
TSK_API int tsk_shipment_set_year_hint(tsk_shipment *s, tsk_year_hint kind, const tsk_time *t);

/* ------------------------------------------------------------- requests */

/** One HTTP request an adapter wants made (owned by its list). @since 0.1 */
typedef struct tsk_request tsk_request;
/** The requests for one batch (opaque). @since 0.1 */
typedef struct tsk_request_list tsk_request_list;

/**
 * Add a request to a list.
 * @param method "GET" or "POST"
 * @param url full URL (copied)
 * @param content_type of the body, or NULL
 * @param body request body or NULL (copied, body_len bytes)
 * @param numbers the tracking numbers this request asks for (copied)
 * @param[out] out borrowed from the list, to add headers; may be NULL
 * @since 0.1
 */
TSK_API int tsk_request_list_add(tsk_request_list *l, const char *method, const char *url,
                                 const char *content_type, const char *body, size_t body_len,
                                 const char *const *numbers, size_t count, tsk_request **out);
/** Add a header line "Name: value" (copied). @since 0.1 */
TSK_API int tsk_request_add_header(tsk_request *r, const char *name, const char *value);
/**
 * Declare a credential the request carries (an API key in its URL, a
 * header or its body): every message about this request — HTTP and network
 * errors, parse errors, the shipment's error — shows "***" in its place,
 * as written and percent-encoded. The REST adapter declares the variables
 * a mapping lists in "credentials" this way.
 * @param value copied; NULL, "" and repeats are ignored.
 * @return TSK_OK, TSK_EINVAL (r is NULL), TSK_ENOMEM.
 * @since 0.2
 */
TSK_API int tsk_request_add_secret(tsk_request *r, const char *value);

/** A new empty list. @param[out] out caller owns (tsk_request_list_free). @since 0.1 */
TSK_API int tsk_request_list_new(tsk_request_list **out);
/** Free a list and every request in it. Accepts NULL. @since 0.1 */
TSK_API void tsk_request_list_free(tsk_request_list *l);
/** @return the number of requests in the list. @since 0.1 */
TSK_API size_t tsk_request_list_count(const tsk_request_list *l);
/** @return request i (borrowed from the list, valid until it is freed), NULL past the end. @since 0.1 */
TSK_API const tsk_request *tsk_request_list_at(const tsk_request_list *l, size_t i);
/** @return the method, "GET" or "POST" (borrowed from the request). @since 0.1 */
TSK_API const char *tsk_request_method(const tsk_request *r);
/** @return the full URL (borrowed from the request). @since 0.1 */
TSK_API const char *tsk_request_url(const tsk_request *r);
/** @return the body's content type (borrowed from the request), or NULL. @since 0.1 */
TSK_API const char *tsk_request_content_type(const tsk_request *r);
/** @param[out] len_out body length. @return the body (borrowed from the request) or NULL. @since 0.1 */
TSK_API const char *tsk_request_body(const tsk_request *r, size_t *len_out);
/** @return the number of header lines. @since 0.1 */
TSK_API size_t tsk_request_header_count(const tsk_request *r);
/** @return "Name: value" (borrowed from the request), NULL past the end. @since 0.1 */
TSK_API const char *tsk_request_header_at(const tsk_request *r, size_t i);
/** @return how many tracking numbers the request asks for. @since 0.1 */
TSK_API size_t tsk_request_number_count(const tsk_request *r);
/** @return number i (borrowed from the request), NULL past the end. @since 0.1 */
TSK_API const char *tsk_request_number_at(const tsk_request *r, size_t i);

/**
 * Percent-encode bytes for a URL query or form body (RFC 3986 unreserved
 * kept, space as %20). @param[out] out caller owns (tsk_free).
 * @since 0.1
 */
TSK_API int tsk_url_encode(char **out, const char *bytes, size_t len);

/** Free memory the library handed over as a plain string. Accepts NULL. @since 0.1 */
TSK_API void tsk_free(void *p);

/* ------------------------------------------------------------ the adapter */

/** Version of tsk_request_env; bumped when its fields change. @since 0.2 */
#define TSK_REQUEST_ENV_VERSION 1

/** What build_requests gets. Borrowed for the call. Start from TSK_REQUEST_ENV_INIT. @since 0.1 */
typedef struct tsk_request_env {
	unsigned int version;      /**< TSK_REQUEST_ENV_VERSION */
	const char *endpoint;      /**< the base URL to use: configured override or the adapter's default */
	const char *locale;        /**< "ja" or "en" */
	/** Look up an environment variable (credentials); NULL when the context ignores the environment. */
	const char *(*getenv)(const char *name, void *userdata);
	void *getenv_userdata;
} tsk_request_env;

/** A tsk_request_env with its version set and nothing else. @since 0.2 */
#define TSK_REQUEST_ENV_INIT { TSK_REQUEST_ENV_VERSION, NULL, NULL, 0, NULL }

/** Version of tsk_response; bumped when its fields change. @since 0.2 */
#define TSK_RESPONSE_VERSION 1

/** One response handed to parse. Everything borrowed for the call. Start from TSK_RESPONSE_INIT. @since 0.1 */
typedef struct tsk_response {
	unsigned int version;      /**< TSK_RESPONSE_VERSION */
	const char *body;          /**< not NUL-terminated necessarily; len bytes */
	size_t len;
	const char *content_type;  /**< as the server sent it, or NULL */
	long http_status;          /**< 0 when parsing a file */
	const char *const *numbers;/**< the numbers asked (may be empty when parsing a file) */
	size_t count;
	const char *url;           /**< request URL or file name, for messages; may be NULL */
} tsk_response;

/** An empty tsk_response with its version set. @since 0.2 */
#define TSK_RESPONSE_INIT { TSK_RESPONSE_VERSION, NULL, 0, NULL, 0, NULL, 0, NULL }

/** Version of tsk_parse_env; bumped when its fields change. @since 0.2 */
#define TSK_PARSE_ENV_VERSION 1

/** What parse gets besides the response. Borrowed for the call. Start from TSK_PARSE_ENV_INIT. @since 0.1 */
typedef struct tsk_parse_env {
	unsigned int version;      /**< TSK_PARSE_ENV_VERSION */
	tsk_time now;              /**< reference time for year inference */
	const char *locale;        /**< "ja" or "en" */
} tsk_parse_env;

/** A tsk_parse_env with its version set, no reference time and no locale. @since 0.2 */
#define TSK_PARSE_ENV_INIT { TSK_PARSE_ENV_VERSION, TSK_TIME_NULL_INIT, NULL }

/** Result of map_status. @since 0.1 */
typedef struct tsk_status_mapping {
	tsk_status status;
	tsk_exception_code exception;   /**< implied exception, TSK_EXC_NONE if none */
	const char *english;            /**< English gloss of the word (static), or NULL */
	int unmapped;                   /**< 1: not in the table (keyword rule or UNKNOWN) */
} tsk_status_mapping;

/* ------------------------------------------- what the carrier knows (v2) */

/** Which days a service delivers on. @since 0.2 */
typedef enum tsk_delivery_calendar {
	TSK_DELIVER_EVERY_DAY = 0,  /**< parcels, registered mail, express: every day */
	TSK_DELIVER_MAIL_DAYS       /**< ordinary mail: not on Sundays and public holidays, and not
	                             *   on Saturdays from 2021-10-02 (the 2020 Postal Act amendment) */
} tsk_delivery_calendar;

/**
 * Transit days of one service by distance class, for the model ETA
 * (README "ETA"). The window counts calendar days after the day of
 * acceptance (day 1 = the next day; an acceptance at or after cutoff_hour
 * counts from the next day), moves each bound to a day the calendar
 * delivers on and spans day_start..day_end hours. @since 0.2
 */
typedef struct tsk_transit_row {
	const char *service;            /**< service id, as transit lanes name it: "takkyubin" */
	/** '|'-separated words looked for (case-insensitively, width-folded) in the
	 *  shipment's service text, or in service_hint's answer; "" matches any. */
	const char *keywords;
	tsk_delivery_calendar calendar;
	int cutoff_hour;                /**< 0..24 */
	long since;                     /**< YYYYMMDD: the row holds from this acceptance day; 0 = always */
	int day_start, day_end;         /**< delivery hours, 0..24, start < end */
	/** First and last delivery day for distance classes 0..3 (neighbouring
	 *  regions .. far ends) and, last, for an unknown region pair. */
	signed char days[5][2];
	double confidence;              /**< 0..1, both regions known */
	double confidence_nationwide;   /**< 0..1, a region unknown */
} tsk_transit_row;

/** When a shipment in a status counts as stalled. @since 0.2 */
typedef struct tsk_stall_row {
	const char *service;            /**< a transit row's service id, or "*" for any */
	tsk_status status;
	int hours;                      /**< hours without an event, on the calendar's delivery days; 0 = never */
} tsk_stall_row;

/** How long the carrier holds a parcel it could not deliver. @since 0.2 */
typedef struct tsk_pickup_rule {
	int days;                       /**< holding period in calendar days (>= 1) */
	int first_day_counts;           /**< 1: the day of the first notice is day 1; 0: counted from the next day */
	int warn_days;                  /**< pickup_deadline_near is raised this many days before (>= 0) */
} tsk_pickup_rule;

/** Version of tsk_carrier_tables; bumped when its fields change. @since 0.2 */
#define TSK_CARRIER_TABLES_VERSION 1

/**
 * A carrier's tables for the ETA and the exception rules (tsk_adapter.tables).
 * Every pointer is borrowed: it must live as long as the adapter.
 * Rows are tried in order; the first that matches wins:
 *  - transit: the first row whose `since` is not after the day of
 *    acceptance and whose keywords occur in the service text (newer rows
 *    first); none -> the library's generic parcel row;
 *  - stall: the first row of this status and of the lane's service (or
 *    "*"); none -> the library's defaults (README "ETA");
 *  - pickup: NULL -> no pickup_deadline_near for this carrier.
 * @since 0.2
 */
typedef struct tsk_carrier_tables {
	unsigned int version;           /**< TSK_CARRIER_TABLES_VERSION */
	const tsk_transit_row *transit;
	size_t ntransit;
	const tsk_stall_row *stall;
	size_t nstall;
	const tsk_pickup_rule *pickup;
} tsk_carrier_tables;

/** @since 0.1 */
typedef struct tsk_adapter tsk_adapter;

struct tsk_adapter {
	unsigned int version;           /**< TSK_ADAPTER_VERSION */
	const char *name;               /**< registry name, "yamato", "rest:aftership" */
	const char *display_name;       /**< "Yamato Transport (ヤマト運輸)" */
	unsigned int flags;             /**< TSK_ADAPTER_* */
	size_t max_batch;               /**< numbers per request (>= 1) */
	const char *default_endpoint;   /**< base URL used when none is configured */
	/**
	 * Does the number (normalized: ASCII digits / upper-case letters, no
	 * separators) look like one of ours?
	 * @param[out] confidence_out 0 (not ours) .. 1
	 * @return TSK_OK (even when not ours), or TSK_EINVALID_NUMBER with err
	 * naming why when the number has our format but fails the check.
	 */
	int (*recognize)(const tsk_adapter *self, const char *number,
	                 double *confidence_out, tsk_error *err);
	/** Build the requests for count numbers (count <= max_batch). No I/O. */
	int (*build_requests)(const tsk_adapter *self, const tsk_request_env *env,
	                      const char *const *numbers, size_t count,
	                      tsk_request_list *out, tsk_error *err);
	/**
	 * Parse one response into shipments appended to out. A page of an
	 * unknown layout is TSK_ELAYOUT; bytes that are not HTML/JSON TSK_EPARSE.
	 * Numbers the carrier does not know become shipments with error
	 * TSK_ENOTFOUND (status not_found), not a failed call. A number of a
	 * several-number request that the answer leaves out is taken as an
	 * incomplete answer (TSK_EHTTP, asked again later), not as not_found.
	 */
	int (*parse)(const tsk_adapter *self, const tsk_response *resp,
	             const tsk_parse_env *env, tsk_shipment_list *out, tsk_error *err);
	/** Map a carrier status word. Never fails: unknown words give unmapped = 1. */
	void (*map_status)(const tsk_adapter *self, const char *word, tsk_status_mapping *out);
	/** Optional: free a stateful adapter when its context goes away. */
	void (*destroy)(tsk_adapter *self);
	void *userdata;
	/* ---- version 2 (@since 0.2): read only when version >= 2 ---- */
	/** Optional: transit, stall and pickup tables; NULL = the library's generic ones. */
	const tsk_carrier_tables *tables;
	/**
	 * Optional: the service text a number implies when the page names no
	 * service (matched against the transit rows' keywords), or NULL.
	 * @return borrowed text that lives as long as the adapter, or NULL.
	 */
	const char *(*service_hint)(const tsk_adapter *self, const char *number);
	/**
	 * Optional: the name customers know the carrier by, in Japanese and in
	 * English (UTF-8, static: lives as long as the adapter), for texts
	 * written to them — the {carrier} of fleet notifications. NULL: the
	 * display_name stands in.
	 */
	const char *customer_name_ja;
	const char *customer_name_en;
};

/**
 * A tsk_adapter with its version set and every other member empty, for
 * adapters built at run time; set at least name, max_batch, recognize,
 * build_requests, parse and map_status before registering it. @since 0.2
 */
#define TSK_ADAPTER_INIT \
	{ TSK_ADAPTER_VERSION, NULL, NULL, 0, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, NULL, NULL }

/** Plugins: a shared object found on TSUISEKI_CARRIER_PATH exports
 *   int tsk_plugin_adapters(unsigned int abi, const tsk_adapter *const **list_out, size_t *count_out);
 * which returns TSK_EVERSION when abi does not match the TSK_ADAPTER_VERSION
 * it was built for. The loader offers its own TSK_ADAPTER_VERSION first,
 * then each older version down to 1, so a plugin built against an older
 * header is still loaded; one built for a newer version is refused.
 * @since 0.1 */
#define TSK_PLUGIN_SYMBOL "tsk_plugin_adapters"
/** @since 0.1 */
typedef int (*tsk_plugin_fn)(unsigned int abi, const tsk_adapter *const **list_out, size_t *count_out);

TSK_END_DECLS

#endif /* TSUISEKI_ADAPTER_H */
