/*
 * Private to carriers/rest: the compiled form of a mapping file, the path
 * evaluator and the value specs, shared by path.c, mapping.c and rest.c.
 * The format itself is described at the top of rest.c.
 */
#ifndef TSK_CARRIERS_REST_INTERNAL_H
#define TSK_CARRIERS_REST_INTERNAL_H

#include "tsuiseki.h"
#include "jsonread.h"
#include "util.h"

#include <stdbool.h>
#include <yajl/yajl_tree.h>

/* ------------------------------------------------------------------ paths */

enum { TSK__SEG_KEY = 0, TSK__SEG_INDEX, TSK__SEG_ALL };

typedef struct tsk__rest_seg {
	int kind;
	char *key;        /* TSK__SEG_KEY */
	long index;       /* TSK__SEG_INDEX; negative counts from the end */
} tsk__rest_seg;

/* "data.accepted[*]", "track_info.tracking.providers[0].events[*]", "$" (the node itself). */
typedef struct tsk__rest_path {
	tsk__rest_seg *segs;
	size_t n;
	char *text;       /* as written, for messages; NULL = no path */
	bool multi;       /* has a [*] step: may reach several nodes */
} tsk__rest_path;

/* Nodes a path reached, in document order. */
typedef struct tsk__rest_nodes {
	yajl_val *v;
	size_t n, cap;
	bool failed;      /* allocation failed: the list is incomplete */
} tsk__rest_nodes;

/* Compile a path. On error returns -1 and writes why (English) into why. */
int tsk__rest_path_compile(tsk__rest_path *out, const char *text, char *why, size_t whylen);
void tsk__rest_path_dispose(tsk__rest_path *p);
/* Append every node the path reaches from root; JSON nulls are skipped
 * unless keep_null. Arrays are not flattened here. */
void tsk__rest_path_eval(const tsk__rest_path *p, yajl_val root, bool keep_null, tsk__rest_nodes *out);
/* The first non-null node the path reaches, or NULL. */
yajl_val tsk__rest_path_first(const tsk__rest_path *p, yajl_val root);
void tsk__rest_nodes_push(tsk__rest_nodes *out, yajl_val v);
void tsk__rest_nodes_dispose(tsk__rest_nodes *n);

/* ------------------------------------------------------------ value specs */

enum { TSK__SPEC_NONE = 0, TSK__SPEC_PATH, TSK__SPEC_JOIN, TSK__SPEC_FIRST, TSK__SPEC_CONST };

/* Where a text value comes from: a path, the first non-empty of several
 * specs, several specs joined, or a constant. */
typedef struct tsk__rest_spec {
	int kind;
	tsk__rest_path path;          /* PATH */
	struct tsk__rest_spec *items; /* JOIN, FIRST */
	size_t n;
	char *sep;                    /* JOIN; also joins the several nodes a PATH reaches */
	char *text;                   /* CONST */
} tsk__rest_spec;

void tsk__rest_spec_dispose(tsk__rest_spec *s);
/* Evaluate against node; appends the text to out (nothing when absent).
 * Returns true when something non-empty was appended. */
bool tsk__rest_spec_eval(const tsk__rest_spec *s, yajl_val node, tsk__buf *out);
/* Evaluate into a fresh string (NULL when absent or on ENOMEM: check *nomem). */
char *tsk__rest_spec_text(const tsk__rest_spec *s, yajl_val node, bool *nomem);
/* The same text without copying where it can be: a string of the tree
 * (one value reached), the spec's constant, else built in scratch (emptied
 * first). Valid while the tree, the spec and scratch are unchanged; NULL
 * when absent or on ENOMEM (check *nomem). */
const char *tsk__rest_spec_view(const tsk__rest_spec *s, yajl_val node, tsk__buf *scratch, bool *nomem);
/* Text of a scalar node: strings as is, numbers as written, booleans; NULL otherwise. */
const char *tsk__rest_scalar_text(yajl_val v);

/* ------------------------------------------------------------- conditions */

enum { TSK__SCALAR_STRING = 0, TSK__SCALAR_NUMBER, TSK__SCALAR_BOOL, TSK__SCALAR_NULL };

typedef struct tsk__rest_scalar {
	int type;
	char *s;       /* STRING */
	double d;      /* NUMBER */
	bool b;        /* BOOL */
} tsk__rest_scalar;

/* {"path": P} holds when P reaches a non-null value; with "equals" when a
 * reached value equals one listed; with "not_equals" when P reaches values
 * and none equals one listed. */
typedef struct tsk__rest_cond {
	bool set;
	tsk__rest_path path;
	bool negate;
	tsk__rest_scalar *vals;
	size_t n;
} tsk__rest_cond;

void tsk__rest_cond_dispose(tsk__rest_cond *c);
bool tsk__rest_cond_holds(const tsk__rest_cond *c, yajl_val node);

/* ---------------------------------------------------------------- mapping */

typedef struct tsk__rest_status {
	char *code;            /* without the trailing '*' of a prefix entry */
	bool prefix;           /* "InTransit_*" */
	bool pass;             /* null: known, not decisive; look at the next code */
	tsk_status status;
	tsk_exception_code exception;
} tsk__rest_status;

typedef struct tsk__rest_header {
	char *name;
	char *value;           /* template */
} tsk__rest_header;

enum { TSK__TIME_ISO8601 = 0, TSK__TIME_UNIX, TSK__TIME_UNIX_MS };

typedef struct tsk__rest_paths {
	tsk__rest_path *p;
	size_t n;
} tsk__rest_paths;

typedef struct tsk__rest_specs {
	tsk__rest_spec *s;
	size_t n;
} tsk__rest_specs;

typedef struct tsk__rest_mapping {
	yajl_val doc;              /* the parsed mapping; request.body points into it */
	char *origin;              /* file name for messages */
	char *name;                /* "aftership" */
	char *adapter_name;        /* "rest:aftership" */
	char *display_name;
	char *customer_name[2];    /* "customer_name": ja, en; NULL when not given */
	char *base_url;
	char **credentials;        /* the only variables ${NAME} may name */
	size_t ncredentials;

	/* recognize */
	bool has_pattern;
	bool allowed[256];
	size_t min_len, max_len;
	double confidence;

	/* request */
	char *method;
	char *url;
	char *content_type;
	char *number_sep;
	tsk__rest_header *headers;
	size_t nheaders;
	bool has_basic;
	char *basic_user, *basic_pass;
	yajl_val body;             /* template or NULL */
	size_t batch_size;

	/* response: where shipments are */
	tsk__rest_paths shipments;
	tsk__rest_paths webhook;
	tsk__rest_cond webhook_when;
	/* fields of a shipment, relative to it */
	tsk__rest_spec number, status_text, service, origin_region, dest_region, eta, eta_latest;
	tsk__rest_specs status;
	/* events, relative to a shipment */
	tsk__rest_paths events;
	bool newest_first;
	tsk__rest_spec ev_time, ev_time_raw, ev_status_text, ev_description, ev_location,
		ev_location_code, ev_region, ev_postal;
	tsk__rest_specs ev_status;
	int time_format;
	int time_offset;           /* seconds east of UTC for times printed without one */
	tsk__rest_status *table;
	size_t ntable;

	/* not found and errors, relative to the document */
	long *nf_http;
	size_t nnf_http;
	tsk__rest_cond nf_when;
	tsk__rest_spec nf_message;
	tsk__rest_cond err_when;
	tsk__rest_spec err_message;
	bool has_rejected;
	tsk__rest_path rej_items;
	tsk__rest_spec rej_number, rej_message;
	tsk__rest_cond rej_not_found;

	/* delivery tables ("transit", "stall", "pickup"), for the adapter's tables */
	bool has_tables;
	tsk_carrier_tables tables;
	tsk_transit_row *transit;
	size_t ntransit;
	char **table_strings;      /* the transit rows' service and keywords, two per row */
	size_t ntable_strings;
	tsk_stall_row *stall;
	size_t nstall;
	char **stall_services;     /* one per stall row */
	tsk_pickup_rule pickup;
} tsk__rest_mapping;

/*
 * Compile a mapping from JSON text. On error returns TSK_ECONFIG (or
 * TSK_ENOMEM) with err naming origin, the key path and what was expected.
 */
int tsk__rest_mapping_load(tsk__rest_mapping **out, const char *json, size_t len,
                           const char *origin, tsk_error *err);
void tsk__rest_mapping_free(tsk__rest_mapping *m);

/* Look a code up in the status table: exact match, else the longest prefix entry. */
const tsk__rest_status *tsk__rest_status_lookup(const tsk__rest_mapping *m, const char *code);

/*
 * Check a request template (URL, header value, body string): placeholders
 * {endpoint}, {number}, {numbers}, {locale}, ${ENV_NAME}; "{{" is a
 * literal "{". With m, every ${NAME} must be one of m's declared
 * credentials. Returns 0, or -1 with why filled; *uses gets TSK__USES_* bits.
 */
enum { TSK__USES_NUMBER = 1, TSK__USES_NUMBERS = 2, TSK__USES_ENV = 4 };
int tsk__rest_template_check(const char *tpl, const tsk__rest_mapping *m, unsigned *uses, char *why,
                             size_t whylen);

/* Does a body template subtree mention {number}? (A one-element array
 * that does is repeated once per number of the batch.) */
bool tsk__rest_body_mentions_number(yajl_val v);

/* Parse a time text per the mapping's format; false when it is not one. */
bool tsk__rest_parse_time(const char *text, int format, int default_offset, tsk_time *out,
                          bool *date_only, bool *had_offset);

#endif
