/*
 * REST adapter tests: the shipped mappings on their saved answers and on
 * webhook pushes, request building (templates, credentials, batches),
 * every validation error of the loader, mapping directories and
 * TSUISEKI_MAPPING_PATH, endpoint overrides, and the parse error paths.
 */
#include "context.h"
#include "parse.h"
#include "pagecheck.h"
#include "../../carriers/rest/rest_internal.h"
#include "tsuiseki.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define NOW "2026-07-03T12:00:00+09:00"

static tsk_ctx *new_ctx(unsigned flags)
{
	tsk_ctx *ctx = tsk_test_ctx_new(flags);
	tsk_time t;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&t, NOW), TSK_OK);
	tsk_ctx_set_now(ctx, &t);
	return ctx;
}

static const char *fmt(const tsk_time *t)
{
	static char buf[64];
	tsk_time_format(buf, sizeof buf, t);
	return buf;
}

/* Parse a body as if it answered a request for numbers (HTTP status given). */
static int parse_answer(tsk_ctx *ctx, const char *carrier, const char *body, long http,
                        const char *const *numbers, size_t count, tsk_shipment_list **out,
                        tsk_error *err)
{
	const tsk_adapter *a = tsk_ctx_carrier(ctx, carrier);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(tsk_shipment_list_new(out), TSK_OK);
	tsk_response resp = { TSK_RESPONSE_VERSION, body, strlen(body), "application/json", http, numbers, count, "test" };
	tsk_error_clear(err);
	return tsk__ctx_parse_response(ctx, a, &resp, *out, err);
}

/* ------------------------------------------------------- shipped mappings */

START_TEST(shipped_mappings_load)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	ck_assert_uint_eq(tsk_ctx_mapping_error_count(ctx), 0);
	const char *names[] = { "rest:aftership", "rest:17track", "rest:easypost" };
	for (size_t i = 0; i < 3; i++) {
		const tsk_adapter *a = tsk_ctx_carrier(ctx, names[i]);
		ck_assert_msg(a != NULL, "%s not registered", names[i]);
		ck_assert(a->flags & TSK_ADAPTER_JSON);
		ck_assert(a->flags & TSK_ADAPTER_ANY_NUMBER);
		double conf = 1;
		tsk_error err;
		ck_assert_int_eq(a->recognize(a, "1ZA2207X6791425225", &conf, &err), TSK_OK);
		ck_assert(conf == 0);
	}
	ck_assert_str_eq(tsk_ctx_carrier(ctx, "rest:17track")->display_name, "17TRACK");
	ck_assert_uint_eq(tsk_ctx_carrier(ctx, "rest:17track")->max_batch, 40);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "rest:aftership"), "https://api.aftership.com/tracking/2024-10");
	tsk_ctx_free(ctx);

	/* no default carriers: no mappings either */
	ctx = new_ctx(TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT);
	ck_assert_ptr_null(tsk_ctx_carrier(ctx, "rest:aftership"));
	tsk_ctx_free(ctx);
}
END_TEST

/* Each saved answer against its expectation (including its event_tags_in_order):
 * tests/unit/test_pages.c. */

static tsk_shipment_list *parse_file(tsk_ctx *ctx, const char *carrier, const char *rel)
{
	size_t len;
	char *body = tsk_test_read(rel, &len);
	tsk_shipment_list *l = NULL;
	int rc = tsk_parse(&l, ctx, carrier, body, len, NULL);
	ck_assert_msg(rc == TSK_OK, "%s: %s", rel, tsk_ctx_last_error(ctx));
	free(body);
	return l;
}

START_TEST(aftership_details)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	tsk_shipment_list *l = parse_file(ctx, "rest:aftership", "rest/aftership_v4_usps_in_transit_after_failed_attempt.json");
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_carrier(s), "rest:aftership");
	ck_assert_str_eq(tsk_shipment_layout(s), "aftership:data.tracking");
	ck_assert_str_eq(tsk_shipment_service(s), "Priority Mail 2-Day&#153;");
	/* v4 checkpoint_time has no offset: read in the mapping's time_offset (+09:00) */
	const tsk_event *first = tsk_shipment_event_at(s, 0);
	ck_assert_str_eq(fmt(tsk_event_time(first)), "2014-06-29T00:00:01+09:00");
	const tsk_event *fail = tsk_shipment_event_at(s, 17);
	ck_assert_str_eq(tsk_event_carrier_status(fail), "Notice Left (No Authorized Recipient Available)");
	ck_assert_int_eq(tsk_event_status(fail), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_exception(fail), TSK_EXC_FAILED_ATTEMPT);
	ck_assert_str_eq(tsk_event_location(fail), "BRONX, NY");
	ck_assert_str_eq(tsk_event_region(fail), "NY");
	ck_assert_str_eq(tsk_event_postal_code(fail), "10461");
	/* expected_delivery "2014-07-02T00:00:00": the whole day, in +09:00 */
	const tsk_eta *eta = tsk_shipment_eta(s);
	ck_assert_ptr_nonnull(eta);
	ck_assert_int_eq(eta->source, TSK_ETA_CARRIER);
	ck_assert_str_eq(fmt(&eta->earliest), "2014-07-02T00:00:00+09:00");
	ck_assert_str_eq(fmt(&eta->latest), "2014-07-02T23:59:00+09:00");
	tsk_shipment_list_free(l);

	l = parse_file(ctx, "rest:aftership", "rest/synthetic_aftership_webhook_returning.json");
	s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "aftership:webhook:msg");
	ck_assert_str_eq(tsk_shipment_status_text(s), "Returning to sender");
	const tsk_event *last = tsk_shipment_event_at(s, 4);
	ck_assert_int_eq(tsk_event_exception(last), TSK_EXC_RETURNED_TO_SENDER);
	ck_assert_str_eq(fmt(tsk_event_time(last)), "2024-07-16T06:11:00-04:00");
	ck_assert_str_eq(tsk_event_description(last), "Returning to sender");
	/* returned: no ETA although the API stated a window */
	ck_assert_ptr_null(tsk_shipment_eta(s));
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(seventeen_track_details)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	tsk_shipment_list *l = parse_file(ctx, "rest:17track", "rest/17track_v24_synthetic_in_transit_unknown_substatus.json");
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_service(s), "Yanwen");
	/* newest first on the wire: reversed once */
	ck_assert_str_eq(tsk_event_carrier_status(tsk_shipment_event_at(s, 0)), "Picked up");
	const tsk_event *odd = tsk_shipment_event_at(s, 1);
	ck_assert_int_eq(tsk_event_unmapped(odd), 1);
	ck_assert_int_eq(tsk_event_status(odd), TSK_STATUS_IN_TRANSIT); /* from stage Departure */
	ck_assert_str_eq(fmt(tsk_event_time(odd)), "2026-06-26T16:30:00+08:00");
	int unmapped = 0;
	for (size_t i = 0; i < tsk_shipment_exception_count(s); i++)
		if (tsk_shipment_exception_at(s, i)->code == TSK_EXC_UNMAPPED_STATUS)
			unmapped++;
	ck_assert_int_eq(unmapped, 1);
	const tsk_eta *eta = tsk_shipment_eta(s);
	ck_assert_ptr_nonnull(eta);
	ck_assert_str_eq(fmt(&eta->earliest), "2026-07-08T00:00:00-07:00");
	ck_assert_str_eq(fmt(&eta->latest), "2026-07-12T00:00:00-07:00");
	tsk_shipment_list_free(l);

	l = parse_file(ctx, "rest:17track", "rest/17track_v24_synthetic_delivered_time_raw_only.json");
	s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_service(s), "Correios SEDEX");
	const tsk_event *last = tsk_shipment_event_at(s, 2);
	/* time_raw without a zone: read in +09:00 (DESIGN.md "Time") */
	ck_assert_str_eq(fmt(tsk_event_time(last)), "2026-06-30T14:23:00+09:00");
	ck_assert_str_eq(tsk_event_description(last), "Object delivered to the recipient");
	ck_assert_str_eq(tsk_event_postal_code(last), "50000-000");
	ck_assert_ptr_nonnull(tsk_shipment_delivered_at(s));
	tsk_shipment_list_free(l);

	l = parse_file(ctx, "rest:17track", "rest/17track_v24_synthetic_exception_returning.json");
	s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_status_text(s), "Package is being returned to the sender.");
	ck_assert_int_eq(tsk_event_exception(tsk_shipment_event_at(s, 0)), TSK_EXC_RETURNED_TO_SENDER);
	tsk_shipment_list_free(l);

	l = parse_file(ctx, "rest:17track", "rest/synthetic_17track_webhook_invalid_address.json");
	s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "17track:webhook:data");
	last = tsk_shipment_event_at(s, 3);
	ck_assert_int_eq(tsk_event_status(last), TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(tsk_event_exception(last), TSK_EXC_ADDRESS_PROBLEM);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(seventeen_track_rejected)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	char *body = tsk_test_read("rest/17track_v24_synthetic_in_transit_unknown_substatus.json", NULL);
	const char *asked[] = { "YT2616912345678901", "21213123123230", "NEVERMENTIONED1" };
	tsk_shipment_list *l;
	tsk_error err;
	ck_assert_int_eq(parse_answer(ctx, "rest:17track", body, 200, asked, 3, &l, &err), TSK_OK);
	/* the number never mentioned is left to the core ("does not mention") */
	ck_assert_uint_eq(tsk_shipment_list_count(l), 2);
	const tsk_shipment *r = tsk_shipment_list_at(l, 1);
	ck_assert_str_eq(tsk_shipment_tracking_number(r), "21213123123230");
	ck_assert_int_eq(tsk_shipment_error(r), TSK_ENOTFOUND);
	ck_assert_int_eq(tsk_shipment_status(r), TSK_STATUS_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(r), "does not register"));
	tsk_shipment_list_free(l);

	/* another rejection code is an error, not "not found" */
	const char *other = "{\"code\":0,\"data\":{\"accepted\":[],\"rejected\":[{\"number\":\"AB1\","
	                    "\"error\":{\"code\":-18019903,\"message\":\"carrier cannot be detected\"}}]}}";
	const char *ab[] = { "AB1" };
	ck_assert_int_eq(parse_answer(ctx, "rest:17track", other, 200, ab, 1, &l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 0)), TSK_ERROR);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(tsk_shipment_list_at(l, 0)), "cannot be detected"));
	tsk_shipment_list_free(l);

	/* a registered number with nothing yet: latest status NotFound, no events */
	const char *nf = "{\"code\":0,\"data\":{\"accepted\":[{\"number\":\"AB1\",\"track_info\":{"
	                 "\"latest_status\":{\"status\":\"NotFound\",\"sub_status\":\"NotFound_Other\"},"
	                 "\"tracking\":{\"providers\":[]}}}],\"rejected\":[]}}";
	ck_assert_int_eq(parse_answer(ctx, "rest:17track", nf, 200, ab, 1, &l, &err), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 0)), TSK_ENOTFOUND);
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 0)), TSK_STATUS_NOT_FOUND);
	tsk_shipment_list_free(l);

	/* an API-level error */
	const char *bad = "{\"code\":401,\"data\":{\"errors\":[{\"code\":-18010002,\"message\":\"Security key is invalid.\"}]}}";
	ck_assert_int_eq(parse_answer(ctx, "rest:17track", bad, 200, ab, 1, &l, &err), TSK_EHTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "Security key is invalid."));
	tsk_shipment_list_free(l);
	free(body);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(easypost_details)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	tsk_shipment_list *l = parse_file(ctx, "rest:easypost", "rest/easypost_tracker_usps_pre_transit.json");
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "easypost:$");
	ck_assert_str_eq(tsk_shipment_service(s), "USPS First-Class Package Service");
	const tsk_event *ev = tsk_shipment_event_at(s, 1);
	ck_assert_str_eq(fmt(tsk_event_time(ev)), "2025-02-07T08:25:26+00:00");
	ck_assert_str_eq(tsk_event_location(ev), "HOUSTON, TX");
	ck_assert_ptr_null(tsk_event_description(ev));
	const tsk_eta *eta = tsk_shipment_eta(s);
	ck_assert_ptr_nonnull(eta);
	ck_assert_str_eq(fmt(&eta->earliest), "2025-03-06T19:48:26+00:00");
	tsk_shipment_list_free(l);

	l = parse_file(ctx, "rest:easypost", "rest/synthetic_easypost_webhook_delivered.json");
	s = tsk_shipment_list_at(l, 0);
	ck_assert_str_eq(tsk_shipment_layout(s), "easypost:webhook:result");
	ck_assert_str_eq(fmt(tsk_shipment_delivered_at(s)), "2025-02-08T15:29:26+00:00");
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
}
END_TEST

/* --------------------------------------------------------- parse errors */

START_TEST(parse_error_paths)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	tsk_shipment_list *l;
	tsk_error err;
	const char *one[] = { "1ZA2207X6791425225" };

	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "<html>oops</html>", 200, one, 1, &l, &err), TSK_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "rest:aftership"));
	tsk_shipment_list_free(l);
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "", 200, one, 1, &l, &err), TSK_EPARSE);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "{\"meta\":{\"code\":200},\"dat\":{}}", 200, one, 1, &l, &err),
	                 TSK_ELAYOUT);
	ck_assert_ptr_nonnull(strstr(err.message, "no shipments at data.tracking, data.trackings, data"));
	tsk_shipment_list_free(l);

	/* HTTP 404: not found for every number asked, with the API's words */
	const char *nf = "{\"meta\":{\"code\":4004,\"message\":\"Tracking does not exist.\",\"type\":\"NotFound\"},\"data\":{}}";
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", nf, 404, one, 1, &l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ENOTFOUND);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(s), "Tracking does not exist."));
	tsk_shipment_list_free(l);
	/* the same body with 200: meta.code 4004 says it */
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", nf, 200, one, 1, &l, &err), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 0)), TSK_ENOTFOUND);
	tsk_shipment_list_free(l);
	/* a saved 404 without the number asked */
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", nf, 404, NULL, 0, &l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 0)), "");
	tsk_shipment_list_free(l);
	/* a 404 that does not say so (a wrong endpoint) is an HTTP error, not "not found" */
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "Not Found", 404, one, 1, &l, &err), TSK_EHTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "rest:aftership: HTTP 404"));
	tsk_shipment_list_free(l);

	/* other HTTP errors carry the API's message */
	const char *unauth = "{\"meta\":{\"code\":401,\"message\":\"Invalid API key.\",\"type\":\"Unauthorized\"},\"data\":{}}";
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", unauth, 401, one, 1, &l, &err), TSK_EHTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "HTTP 401: Unauthorized: Invalid API key."));
	tsk_shipment_list_free(l);
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "busy", 429, one, 1, &l, &err), TSK_ERATELIMITED);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(parse_answer(ctx, "rest:easypost", "{\"error\":{\"code\":\"TRACKER.CREATE.ERROR\",\"message\":\"bad\"}}",
	                              422, one, 1, &l, &err), TSK_EHTTP);
	ck_assert_ptr_nonnull(strstr(err.message, "TRACKER.CREATE.ERROR: bad"));
	tsk_shipment_list_free(l);

	/* a list answer that leaves a number out; an empty list is not a layout change */
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "{\"meta\":{\"code\":200},\"data\":{\"trackings\":[]}}", 200,
	                              one, 1, &l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 0);
	tsk_shipment_list_free(l);
	/* a shipment without a number is another shape, never a guess */
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "{\"meta\":{\"code\":200},\"data\":{\"tracking\":{\"tag\":\"InTransit\"}}}",
	                              200, one, 1, &l, &err), TSK_ELAYOUT);
	ck_assert_ptr_nonnull(strstr(err.message, "a shipment at aftership:data.tracking has no number (tracking_number)"));
	tsk_shipment_list_free(l);
	/* the dated API's single tracking: data is the tracking */
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "{\"meta\":{\"code\":200},\"data\":{\"tracking_number\":\"1za-22\",\"tag\":\"Delivered\"}}",
	                              200, one, 1, &l, &err), TSK_OK);
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 0)), "1ZA22");
	ck_assert_str_eq(tsk_shipment_layout(tsk_shipment_list_at(l, 0)), "aftership:data");
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 0)), TSK_STATUS_DELIVERED);
	tsk_shipment_list_free(l);
	/* shipments that are not objects */
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", "{\"meta\":{\"code\":200},\"data\":{\"trackings\":[1,2]}}",
	                              200, one, 1, &l, &err), TSK_ELAYOUT);
	tsk_shipment_list_free(l);

	/* nesting that would exhaust a recursive free */
	size_t depth = 100000;
	char *deep = malloc(depth * 2 + 1);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[depth * 2] = '\0';
	ck_assert_int_eq(parse_answer(ctx, "rest:aftership", deep, 200, one, 1, &l, &err), TSK_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "nested deeper"));
	tsk_shipment_list_free(l);
	free(deep);

	/* tsk_parse names the carrier */
	ck_assert_int_eq(tsk_parse(&l, ctx, "rest:17track", "nope", 4, NULL), TSK_EPARSE);
	ck_assert_ptr_nonnull(strstr(tsk_ctx_last_error(ctx), "rest:17track"));
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(status_table_lookup)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	const tsk_adapter *a = tsk_ctx_carrier(ctx, "rest:17track");
	tsk_status_mapping mp;
	a->map_status(a, "Exception_Returning", &mp);
	ck_assert_int_eq(mp.status, TSK_STATUS_RETURNED_TO_SENDER);
	ck_assert_int_eq(mp.exception, TSK_EXC_RETURNED_TO_SENDER);
	ck_assert_int_eq(mp.unmapped, 0);
	a->map_status(a, "DeliveryFailure_InvalidAddress", &mp);
	ck_assert_int_eq(mp.status, TSK_STATUS_FAILED_ATTEMPT);
	ck_assert_int_eq(mp.exception, TSK_EXC_ADDRESS_PROBLEM);
	a->map_status(a, "InTransit_QuantumTunnelling", &mp);
	ck_assert_int_eq(mp.unmapped, 1);
	ck_assert_int_eq(mp.status, TSK_STATUS_UNKNOWN);
	a = tsk_ctx_carrier(ctx, "rest:aftership");
	a->map_status(a, "InTransit_099", &mp); /* prefix entry */
	ck_assert_int_eq(mp.status, TSK_STATUS_IN_TRANSIT);
	ck_assert_int_eq(mp.unmapped, 0);
	a->map_status(a, "Exception_011", &mp); /* exact beats nothing; no prefix for Exception_ */
	ck_assert_int_eq(mp.status, TSK_STATUS_RETURNED_TO_SENDER);
	a->map_status(a, "Exception_099", &mp);
	ck_assert_int_eq(mp.unmapped, 1);
	a->map_status(a, "Exception_007", &mp);
	ck_assert_int_eq(mp.exception, TSK_EXC_ADDRESS_PROBLEM);
	tsk_ctx_free(ctx);
}
END_TEST

/* A field's text read in place (tsk__rest_spec_view) is the text the
 * builder writes (tsk__rest_spec_text), for every kind of spec, on values
 * of every type, present or not. */
START_TEST(spec_view_matches_spec_text)
{
	const char *mapping =
	    "{\"name\":\"v\",\"version\":1,\"base_url\":\"https://x.test\","
	    "\"request\":{\"url\":\"{endpoint}/{number}\"},\"response\":{\"shipments\":\"$\","
	    "\"shipment\":{\"number\":\"n\",\"status\":[{\"first\":[{\"const\":\" \"},\"s\"]},"
	    "  {\"first\":[\"absent\",{\"first\":[\"s\",\"n\"]}]}, \"l[*].c\", \"l[-1].c\"],"
	    "  \"status_text\":{\"first\":[\"absent\",[\"a\",\"b\"],\"s\"]},"
	    "  \"service\":{\"join\":[\"a\",{\"const\":\"-\"},\"b\"],\"separator\":\"\"},"
	    "  \"origin\":{\"const\":\"  \"},\"destination\":{\"const\":\"Tokyo\"},"
	    "  \"eta\":\"l[*].c\",\"eta_latest\":{\"first\":[\"o\",\"blank\",\"t\",\"f\",\"z\",\"num\"]}},"
	    "\"events\":\"l\",\"event\":{\"time_raw\":\"c\",\"status\":\"c\",\"status_text\":\"l[1]\","
	    "  \"description\":\"$\",\"location\":{\"first\":[{\"first\":[{\"const\":\"\"},\"absent\"]},\"c\"]},"
	    "  \"location_code\":\"l[*]\",\"region\":\"x.y.z\",\"postal_code\":\"l[0].c\"},"
	    "\"status_map\":{\"Moving\":\"in_transit\"}}}";
	tsk__rest_mapping *m = NULL;
	tsk_error err;
	tsk_error_clear(&err);
	ck_assert_msg(tsk__rest_mapping_load(&m, mapping, strlen(mapping), "v.json", &err) == TSK_OK, "%s", err.message);
	const char *docs[] = {
		"{\"n\":\"A1\",\"s\":\"Moving\",\"a\":\"x\",\"b\":\"y\",\"l\":[{\"c\":\"p\"},{\"c\":\" \"},{\"c\":7},{}],"
		" \"o\":{},\"blank\":\"  \",\"t\":true,\"f\":false,\"z\":null,\"num\":-1.5e3}",
		"{\"s\":\"\",\"a\":\" \",\"l\":[],\"blank\":\"\",\"f\":false}",
		"{\"l\":[{\"c\":null},{\"c\":\"only\"}],\"a\":\"x\"}",
		"{\"n\":3,\"l\":{\"c\":\"not a list\"},\"num\":0,\"x\":{\"y\":{\"z\":\"deep\"}}}",
		"[1,2]",
		"\"text\"",
	};
	const tsk__rest_spec *specs[] = {
		&m->number, &m->status_text, &m->service, &m->origin_region, &m->dest_region, &m->eta,
		&m->eta_latest, &m->ev_time_raw, &m->ev_status_text, &m->ev_description, &m->ev_location,
		&m->ev_location_code, &m->ev_region, &m->ev_postal, &m->ev_time,
	};
	tsk__buf scratch = TSK__BUF_INIT;
	for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
		yajl_val doc = NULL;
		char why[160];
		ck_assert_int_eq(tsk__json_parse(&doc, docs[d], strlen(docs[d]), 0, why, sizeof why), TSK_OK);
		yajl_val nodes[8] = { doc };
		size_t nn = 1;
		if (YAJL_IS_OBJECT(doc))
			for (size_t k = 0; k < doc->u.object.len && nn < 8; k++)
				nodes[nn++] = doc->u.object.values[k];
		for (size_t k = 0; k < nn; k++) {
			const tsk__rest_spec *all[sizeof specs / sizeof specs[0] + 8];
			size_t na = 0;
			for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
				all[na++] = specs[i];
			for (size_t i = 0; i < m->status.n; i++)
				all[na++] = &m->status.s[i];
			for (size_t i = 0; i < na; i++) {
				bool nomem1 = false, nomem2 = false;
				char *want = tsk__rest_spec_text(all[i], nodes[k], &nomem1);
				const char *got = tsk__rest_spec_view(all[i], nodes[k], &scratch, &nomem2);
				ck_assert(!nomem1 && !nomem2);
				ck_assert_msg((want == NULL) == (got == NULL) && (!want || strcmp(want, got) == 0),
				              "doc %zu node %zu spec %zu: \"%s\" read in place as \"%s\"", d, k, i,
				              want ? want : "(none)", got ? got : "(none)");
				free(want);
			}
		}
		tsk__json_free(doc);
	}
	/* the blank constant first in a "first" is written out, then the next item */
	yajl_val doc = NULL;
	char why[160];
	ck_assert_int_eq(tsk__json_parse(&doc, docs[0], strlen(docs[0]), 0, why, sizeof why), TSK_OK);
	bool nomem = false;
	ck_assert_str_eq(tsk__rest_spec_view(&m->status.s[0], doc, &scratch, &nomem), " Moving");
	tsk__json_free(doc);
	tsk__buf_dispose(&scratch);
	tsk__rest_mapping_free(m);
}
END_TEST

/* ------------------------------------------------------------- requests */

static const char *fake_env(const char *name, void *userdata)
{
	(void)userdata;
	if (strcmp(name, "AFTERSHIP_API_KEY") == 0)
		return "as-key-123";
	if (strcmp(name, "TRACK17_API_KEY") == 0)
		return "17-key";
	if (strcmp(name, "EASYPOST_API_KEY") == 0)
		return "EZTK123";
	if (strcmp(name, "ODD") == 0)
		return "a b&c";
	if (strcmp(name, "BROKEN") == 0)
		return "x\r\nInjected: 1";
	return NULL;
}

static const char *header(const tsk_request *r, const char *prefix)
{
	for (size_t i = 0; i < tsk_request_header_count(r); i++)
		if (strncmp(tsk_request_header_at(r, i), prefix, strlen(prefix)) == 0)
			return tsk_request_header_at(r, i);
	return NULL;
}

START_TEST(build_requests_shipped)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	tsk_request_env env = { TSK_REQUEST_ENV_VERSION, "https://api.aftership.com/tracking/2024-10", "ja", fake_env, NULL };
	tsk_request_list *reqs;
	tsk_error err;
	tsk_error_clear(&err);

	/* AfterShip: {numbers} percent-encoded, key from the environment */
	const tsk_adapter *a = tsk_ctx_carrier(ctx, "rest:aftership");
	const char *nums[] = { "AB/12 3", "X1" };
	ck_assert_int_eq(tsk_request_list_new(&reqs), TSK_OK);
	ck_assert_int_eq(a->build_requests(a, &env, nums, 2, reqs, &err), TSK_OK);
	ck_assert_uint_eq(tsk_request_list_count(reqs), 1);
	const tsk_request *r = tsk_request_list_at(reqs, 0);
	ck_assert_str_eq(tsk_request_method(r), "GET");
	ck_assert_str_eq(tsk_request_url(r),
	                 "https://api.aftership.com/tracking/2024-10/trackings?tracking_numbers=AB%2F12%203,X1");
	ck_assert_str_eq(header(r, "as-api-key"), "as-api-key: as-key-123");
	ck_assert_uint_eq(tsk_request_number_count(r), 2);
	size_t blen = 99;
	ck_assert_ptr_null(tsk_request_body(r, &blen));
	tsk_request_list_free(reqs);

	/* endpoint override (trailing slash dropped) */
	env.endpoint = "http://127.0.0.1:9/sim/aftership/";
	ck_assert_int_eq(tsk_request_list_new(&reqs), TSK_OK);
	ck_assert_int_eq(a->build_requests(a, &env, nums + 1, 1, reqs, &err), TSK_OK);
	ck_assert_str_eq(tsk_request_url(tsk_request_list_at(reqs, 0)),
	                 "http://127.0.0.1:9/sim/aftership/trackings?tracking_numbers=X1");
	tsk_request_list_free(reqs);

	/* 17TRACK: POST, the body item repeated per number, 40 per request */
	a = tsk_ctx_carrier(ctx, "rest:17track");
	env.endpoint = a->default_endpoint;
	const char *many[45];
	char store[45][16];
	for (int i = 0; i < 45; i++) {
		snprintf(store[i], sizeof store[i], "N%02d", i);
		many[i] = store[i];
	}
	ck_assert_int_eq(tsk_request_list_new(&reqs), TSK_OK);
	ck_assert_int_eq(a->build_requests(a, &env, many, 3, reqs, &err), TSK_OK);
	r = tsk_request_list_at(reqs, 0);
	ck_assert_str_eq(tsk_request_method(r), "POST");
	ck_assert_str_eq(tsk_request_url(r), "https://api.17track.net/track/v2.4/gettrackinfo");
	ck_assert_str_eq(tsk_request_content_type(r), "application/json");
	const char *body = tsk_request_body(r, &blen);
	ck_assert_str_eq(body, "[{\"number\":\"N00\"},{\"number\":\"N01\"},{\"number\":\"N02\"}]");
	ck_assert_uint_eq(blen, strlen(body));
	ck_assert_str_eq(header(r, "17token"), "17token: 17-key");
	tsk_request_list_free(reqs);
	ck_assert_int_eq(tsk_request_list_new(&reqs), TSK_OK);
	ck_assert_int_eq(a->build_requests(a, &env, many, 45, reqs, &err), TSK_OK);
	ck_assert_uint_eq(tsk_request_list_count(reqs), 2);
	ck_assert_uint_eq(tsk_request_number_count(tsk_request_list_at(reqs, 0)), 40);
	ck_assert_uint_eq(tsk_request_number_count(tsk_request_list_at(reqs, 1)), 5);
	ck_assert_str_eq(tsk_request_number_at(tsk_request_list_at(reqs, 1), 0), "N40");
	tsk_request_list_free(reqs);

	/* EasyPost: basic auth with the key as user name, JSON body */
	a = tsk_ctx_carrier(ctx, "rest:easypost");
	env.endpoint = a->default_endpoint;
	const char *ez[] = { "EZ1000000001" };
	ck_assert_int_eq(tsk_request_list_new(&reqs), TSK_OK);
	ck_assert_int_eq(a->build_requests(a, &env, ez, 1, reqs, &err), TSK_OK);
	r = tsk_request_list_at(reqs, 0);
	ck_assert_str_eq(tsk_request_url(r), "https://api.easypost.com/v2/trackers");
	ck_assert_str_eq(header(r, "Authorization"), "Authorization: Basic RVpUSzEyMzo="); /* "EZTK123:" */
	ck_assert_str_eq(tsk_request_body(r, &blen), "{\"tracker\":{\"tracking_code\":\"EZ1000000001\"}}");
	tsk_request_list_free(reqs);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(build_requests_missing_credentials)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	const tsk_adapter *a = tsk_ctx_carrier(ctx, "rest:17track");
	tsk_request_env env = { TSK_REQUEST_ENV_VERSION, a->default_endpoint, "ja", fake_env, NULL };
	tsk_request_list *reqs;
	tsk_error err;
	const char *nums[] = { "A1" };
	/* a lookup that knows nothing */
	env.getenv = NULL;
	ck_assert_int_eq(tsk_request_list_new(&reqs), TSK_OK);
	tsk_error_clear(&err);
	ck_assert_int_eq(a->build_requests(a, &env, nums, 1, reqs, &err), TSK_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "TRACK17_API_KEY"));
	ck_assert_ptr_nonnull(strstr(err.message, "request.headers.17token"));
	ck_assert_ptr_nonnull(strstr(err.message, "ignores the environment"));
	ck_assert_uint_eq(tsk_request_list_count(reqs), 0);
	tsk_request_list_free(reqs);

	/* through tsk_track: an explicit REST carrier takes any number (no
	 * invalid_number), and the missing key is the shipment's error */
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "rest:aftership", "http://127.0.0.1:9"), TSK_OK);
	ck_assert_int_eq(tsk_track(&s, ctx, "rest:aftership", "whatever-1"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_ECONFIG);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(s), "AFTERSHIP_API_KEY"));
	tsk_shipment_free(s);

	/* auto mode never picks a REST carrier */
	tsk_detection *d = NULL;
	tsk_detect(&d, ctx, "1ZA2207X6791425225");
	for (size_t i = 0; i < tsk_detection_count(d); i++)
		ck_assert_ptr_null(strstr(tsk_detection_at(d, i)->carrier, "rest:"));
	tsk_detection_free(d);
	tsk_ctx_free(ctx);
}
END_TEST

#define MINI_RESPONSE "\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":\"id\"}}"

START_TEST(build_requests_templates)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT);
	const char *m =
		"{\"name\":\"tpl\",\"version\":1,\"base_url\":\"https://t.test/api\","
		"\"credentials\":[\"ODD\"],"
		"\"request\":{\"method\":\"POST\",\"url\":\"{endpoint}/x/{number}?k=${ODD}&l={locale}&lit={{x}\","
		"\"headers\":{\"X-Key\":\"${ODD}\"},"
		"\"body\":{\"n\":\"{number}\",\"all\":\"{numbers}\",\"fixed\":[1,true,null,\"{{\"]}},"
		MINI_RESPONSE "}";
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, m, strlen(m), "tpl.json"), TSK_OK);
	const tsk_adapter *a = tsk_ctx_carrier(ctx, "rest:tpl");
	ck_assert_ptr_nonnull(a);
	tsk_request_env env = { TSK_REQUEST_ENV_VERSION, NULL, "en", fake_env, NULL };
	tsk_request_list *reqs;
	tsk_error err;
	tsk_error_clear(&err);
	const char *nums[] = { "Q\"1/2" };
	ck_assert_int_eq(tsk_request_list_new(&reqs), TSK_OK);
	ck_assert_int_eq(a->build_requests(a, &env, nums, 1, reqs, &err), TSK_OK);
	const tsk_request *r = tsk_request_list_at(reqs, 0);
	ck_assert_str_eq(tsk_request_url(r), "https://t.test/api/x/Q%221%2F2?k=a%20b%26c&l=en&lit={x}");
	ck_assert_str_eq(header(r, "X-Key"), "X-Key: a b&c");
	size_t blen;
	ck_assert_str_eq(tsk_request_body(r, &blen),
	                 "{\"n\":\"Q\\\"1/2\",\"all\":\"Q\\\"1/2\",\"fixed\":[1,true,null,\"{\"]}");
	tsk_request_list_free(reqs);

	/* an environment value with a line break never reaches a header */
	const char *m2 = "{\"name\":\"hdr\",\"version\":1,\"base_url\":\"https://t.test\","
	                 "\"credentials\":[\"BROKEN\"],\"request\":{\"url\":\"{endpoint}/{number}\",\"headers\":{\"X\":\"${BROKEN}\"}},"
	                 MINI_RESPONSE "}";
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, m2, strlen(m2), "hdr.json"), TSK_OK);
	a = tsk_ctx_carrier(ctx, "rest:hdr");
	ck_assert_int_eq(tsk_request_list_new(&reqs), TSK_OK);
	ck_assert_int_eq(a->build_requests(a, &env, nums, 1, reqs, &err), TSK_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.message, "line break"));
	ck_assert_uint_eq(tsk_request_list_count(reqs), 0);
	tsk_request_list_free(reqs);

	/* number_pattern: claims matching numbers in auto mode, refuses others */
	const char *m3 = "{\"name\":\"pat\",\"version\":1,\"base_url\":\"https://t.test\","
	                 "\"number_pattern\":{\"chars\":\"0-9A-F\",\"min_length\":6,\"max_length\":8,\"confidence\":0.5},"
	                 "\"request\":{\"url\":\"{endpoint}/{number}\"}," MINI_RESPONSE "}";
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, m3, strlen(m3), "pat.json"), TSK_OK);
	a = tsk_ctx_carrier(ctx, "rest:pat");
	ck_assert(!(a->flags & TSK_ADAPTER_ANY_NUMBER));
	double conf;
	ck_assert_int_eq(a->recognize(a, "ABC123", &conf, &err), TSK_OK);
	ck_assert(conf > 0.49 && conf < 0.51);
	ck_assert_int_eq(a->recognize(a, "ABC12G", &conf, &err), TSK_OK);
	ck_assert(conf == 0);
	ck_assert_int_eq(a->recognize(a, "ABC12", &conf, &err), TSK_OK);
	ck_assert(conf == 0);
	tsk_detection *d;
	ck_assert_int_eq(tsk_detect(&d, ctx, "abc-1234"), TSK_OK);
	ck_assert_str_eq(tsk_detection_at(d, 0)->carrier, "rest:pat");
	tsk_detection_free(d);
	tsk_ctx_free(ctx);
}
END_TEST

/* ----------------------------------------------------------- validation */

struct bad_case {
	const char *json;
	const char *want; /* substring of the message after "bad.json: " */
};

#define BASE_REQ "\"request\":{\"url\":\"{endpoint}/{number}\"}"
#define HEAD "{\"name\":\"t\",\"version\":1,\"base_url\":\"https://x.test\","
#define RESP(x) "\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":\"id\"}" x "}"

static const struct bad_case bad_cases[] = {
	{ "{", "(top): not valid JSON" },
	{ "[]", "(top): expected an object, got an array" },
	{ HEAD BASE_REQ "," RESP("") ",\"respnse\":{}}", "respnse: unknown key (did you mean \"response\"?)" },
	{ HEAD BASE_REQ "," RESP("") ",\"zzzzzzzzzz\":1}", "zzzzzzzzzz: unknown key (expected one of: name, display_name" },
	{ HEAD BASE_REQ "," RESP(",\"evnts\":\"x\"") "}", "response.evnts: unknown key (did you mean \"events\"?)" },
	{ HEAD BASE_REQ "," RESP("") ",\"name\":\"u\"}", "name: duplicate key" },
	{ HEAD BASE_REQ "," RESP("") ",\"customer_name\":\"Ace\"}", "customer_name: expected an object, got a string" },
	{ HEAD BASE_REQ "," RESP("") ",\"customer_name\":{\"fr\":\"Ace\"}}", "customer_name.fr: unknown key" },
	{ HEAD BASE_REQ "," RESP("") ",\"customer_name\":{\"ja\":\"\"}}", "customer_name.ja: must not be empty" },
	{ HEAD BASE_REQ "," RESP("") ",\"customer_name\":{\"en\":5}}", "customer_name.en: expected a string, got a number" },
	{ "{\"name\":\"t\",\"version\":\"1\",\"base_url\":\"https://x.test\"," BASE_REQ "," RESP("") "}",
	  "version: expected an integer, got a string" },
	{ "{\"name\":\"t\",\"version\":2,\"base_url\":\"https://x.test\"," BASE_REQ "," RESP("") "}",
	  "version: unsupported mapping version 2 (this library reads 1)" },
	{ "{\"name\":\"t\",\"base_url\":\"https://x.test\"," BASE_REQ "," RESP("") "}", "version: missing" },
	{ "{\"version\":1,\"base_url\":\"https://x.test\"," BASE_REQ "," RESP("") "}", "name: missing" },
	{ "{\"name\":\"Foo Bar\",\"version\":1,\"base_url\":\"https://x.test\"," BASE_REQ "," RESP("") "}",
	  "name: \"Foo Bar\" is not a valid name" },
	{ "{\"name\":\"t\",\"version\":1,\"base_url\":\"ftp://x.test\"," BASE_REQ "," RESP("") "}",
	  "base_url: expected an http:// or https:// URL" },
	{ "{\"name\":\"t\",\"version\":1,\"base_url\":1," BASE_REQ "," RESP("") "}", "base_url: expected a string, got a number" },
	{ HEAD RESP("") "}", "request: missing" },
	{ HEAD BASE_REQ "}", "response: missing" },
	{ HEAD "\"request\":{}," RESP("") "}", "request.url: missing" },
	{ HEAD "\"request\":[]," RESP("") "}", "request: expected an object, got an array" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}\",\"method\":\"PUT\"}," RESP("") "}",
	  "request.method: expected \"GET\" or \"POST\", got \"PUT\"" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}\",\"method\":\"GET\",\"body\":\"{number}\"}," RESP("") "}",
	  "request.body: a GET request has no body" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{nubmer}\"}," RESP("") "}", "request.url: unknown placeholder at offset 11" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}?k=${1X}\"}," RESP("") "}", "request.url: bad environment reference" },
	/* a mapping reads only the variables it declares as credentials */
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}\",\"headers\":{\"X-Stolen-Env\":\"${HOME}\"}}," RESP("") "}",
	  "request.headers.X-Stolen-Env: ${HOME} is not a declared credential" },
	{ HEAD "\"credentials\":[\"API_KEY\"],\"request\":{\"url\":\"{endpoint}/{number}?k=${API_KEY}&s=${AWS_SECRET_ACCESS_KEY}\"}," RESP("") "}",
	  "request.url: ${AWS_SECRET_ACCESS_KEY} is not a declared credential" },
	{ HEAD "\"credentials\":[\"K\"],\"request\":{\"url\":\"{endpoint}\",\"body\":{\"n\":\"{number}\",\"x\":[\"${PATH}\"]}}," RESP("") "}",
	  "request.body.x[0]: ${PATH} is not a declared credential" },
	{ HEAD "\"credentials\":[\"K\"],\"request\":{\"url\":\"{endpoint}/{number}\",\"basic_auth\":{\"username\":\"${K}\",\"password\":\"${USER}\"}}," RESP("") "}",
	  "request.basic_auth.password: ${USER} is not a declared credential" },
	{ HEAD "\"credentials\":\"K\"," BASE_REQ "," RESP("") "}", "credentials: expected an array of variable names, got a string" },
	{ HEAD "\"credentials\":[\"K\",7]," BASE_REQ "," RESP("") "}", "credentials[1]: expected a string, got a number" },
	{ HEAD "\"credentials\":[\"1K\"]," BASE_REQ "," RESP("") "}", "credentials[0]: \"1K\" is not a variable name" },
	{ HEAD "\"credentials\":[\"K\",\"K\"]," BASE_REQ "," RESP("") "}", "credentials[1]: K is listed twice" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}\",\"batch_size\":5}," RESP("") "}",
	  "request.url: {number} needs batch_size 1" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{numbers}\",\"batch_size\":0}," RESP("") "}",
	  "request.batch_size: 0 is outside 1..64" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{numbers}\",\"batch_size\":1.5}," RESP("") "}",
	  "request.batch_size: expected an integer, got a fraction" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/x\",\"batch_size\":5,\"body\":{\"a\":\"b\"}}," RESP("") "}",
	  "request.batch_size: a batch needs {numbers}" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/x\"}," RESP("") "}", "request: the tracking number appears nowhere" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}\",\"headers\":{\"X\":1}}," RESP("") "}",
	  "request.headers.X: expected a string, got a number" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}\",\"headers\":{\"a b\":\"x\"}}," RESP("") "}",
	  "request.headers.a b: not a valid header name" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}\",\"headers\":{\"X\":\"a\\r\\nY: b\"}}," RESP("") "}",
	  "request.headers.X: a header value must be one line" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{numbers}\",\"batch_size\":5,\"body\":{\"a\":\"{number}\"}}," RESP("") "}",
	  "request.body.a: {number} outside a one-element array needs batch_size 1" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}\",\"basic_auth\":{\"password\":\"x\"}}," RESP("") "}",
	  "request.basic_auth.username: missing" },
	{ HEAD "\"request\":{\"url\":\"{endpoint}/{number}\",\"basic_auth\":{\"username\":\"{number}\"}}," RESP("") "}",
	  "request.basic_auth: credentials cannot contain the number" },
	{ HEAD BASE_REQ ",\"response\":{\"shipment\":{\"number\":\"id\"}}}", "response.shipments: missing" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":\"data\"}}", "response.shipment: missing" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":\"data\",\"shipment\":{}}}", "response.shipment.number: missing" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":\"data..x\",\"shipment\":{\"number\":\"id\"}}}",
	  "response.shipments: bad path \"data..x\": empty key at offset 5" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":[\"a\",\"b[x]\"],\"shipment\":{\"number\":\"id\"}}}",
	  "response.shipments[1]: bad path \"b[x]\": expected [N] or [*] at offset 1" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":\"\",\"shipment\":{\"number\":\"id\"}}}",
	  "response.shipments: empty path" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":[],\"shipment\":{\"number\":\"id\"}}}",
	  "response.shipments: expected a path or a non-empty list of paths, got an empty list" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":7}}}",
	  "response.shipment.number: expected a path, a list of paths to join" },
	{ HEAD BASE_REQ "," RESP(",\"events\":\"ev\"") "}", "response.event: missing (required with response.events)" },
	{ HEAD BASE_REQ "," RESP(",\"event\":{}") "}", "response.events: missing (required with response.event)" },
	{ HEAD BASE_REQ "," RESP(",\"events\":\"ev\",\"event\":{\"tme\":\"t\"}") "}",
	  "response.event.tme: unknown key (did you mean \"time\"?)" },
	{ HEAD BASE_REQ "," RESP(",\"events\":\"ev\",\"event\":{\"status\":\"s\"}") "}",
	  "response.status_map: missing (required when" },
	{ HEAD BASE_REQ "," RESP(",\"events_order\":\"newest\"") "}",
	  "response.events_order: expected \"oldest_first\" or \"newest_first\", got \"newest\"" },
	{ HEAD BASE_REQ "," RESP(",\"time_format\":\"rfc\"") "}", "response.time_format: expected \"iso8601\"" },
	{ HEAD BASE_REQ "," RESP(",\"time_offset\":\"+9\"") "}", "response.time_offset: expected \"+HH:MM\"" },
	{ HEAD BASE_REQ "," RESP(",\"status_map\":{\"Delivered\":\"deliverd\"}") "}",
	  "response.status_map.Delivered: unknown status \"deliverd\" (did you mean \"delivered\"?)" },
	{ HEAD BASE_REQ "," RESP(",\"status_map\":{\"X\":\"arrived\"}") "}",
	  "response.status_map.X: unknown status \"arrived\" (expected one of: info_received" },
	{ HEAD BASE_REQ "," RESP(",\"status_map\":{\"X\":{\"status\":\"deliverd\"}}") "}",
	  "response.status_map.X.status: unknown status \"deliverd\"" },
	{ HEAD BASE_REQ "," RESP(",\"status_map\":{\"X\":{\"status\":\"exception\",\"exception\":\"lots\"}}") "}",
	  "response.status_map.X.exception: unknown exception code \"lots\" (did you mean \"lost\"?)" },
	{ HEAD BASE_REQ "," RESP(",\"status_map\":{\"X\":{\"exception\":\"lost\"}}") "}",
	  "response.status_map.X: missing \"status\"" },
	{ HEAD BASE_REQ "," RESP(",\"status_map\":{\"X\":3}") "}", "response.status_map.X: expected a status name" },
	{ HEAD BASE_REQ "," RESP(",\"status_map\":{\"In*Transit\":\"in_transit\"}") "}",
	  "response.status_map.In*Transit: '*' is only allowed at the end" },
	{ HEAD BASE_REQ "," RESP(",\"status_map\":[]") "}", "response.status_map: expected an object, got an array" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":{\"first\":[\"a\"],\"join\":[\"b\"]}}}}",
	  "response.shipment.number: expected exactly one of \"first\", \"join\" or \"const\"" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":{\"first\":[\"a\"],\"separator\":\" \"}}}}",
	  "response.shipment.number.separator: only allowed with \"join\"" },
	{ HEAD BASE_REQ ",\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":{\"first\":[\"a\",\"b..c\"]}}}}",
	  "response.shipment.number.first[1]: bad path" },
	{ HEAD BASE_REQ "," RESP(",\"not_found\":{\"http_status\":999}") "}",
	  "response.not_found.http_status: expected an HTTP status" },
	{ HEAD BASE_REQ "," RESP(",\"not_found\":{\"message\":\"m\"}") "}",
	  "response.not_found: expected \"http_status\" and/or \"when\"" },
	{ HEAD BASE_REQ "," RESP(",\"not_found\":{\"when\":{\"path\":\"a\",\"equals\":1,\"not_equals\":2}}") "}",
	  "response.not_found.when: \"equals\" and \"not_equals\" exclude each other" },
	{ HEAD BASE_REQ "," RESP(",\"error\":{\"when\":{\"equals\":1}}") "}", "response.error.when.path: missing" },
	{ HEAD BASE_REQ "," RESP(",\"error\":{\"when\":{\"path\":\"a\",\"equals\":{}}}") "}",
	  "response.error.when.equals: expected a string, number, boolean or null, got an object" },
	{ HEAD BASE_REQ "," RESP(",\"rejected\":{\"number\":\"n\"}") "}", "response.rejected.items: missing" },
	{ HEAD BASE_REQ "," RESP(",\"webhook\":{\"when\":{\"path\":\"e\"}}") "}", "response.webhook.shipments: missing" },
	{ "{\"name\":\"t\",\"version\":1,\"base_url\":\"https://x.test\",\"number_pattern\":{\"chars\":\"\xc3\xa9\"}," BASE_REQ "," RESP("") "}",
	  "number_pattern.chars: only ASCII is allowed" },
	{ "{\"name\":\"t\",\"version\":1,\"base_url\":\"https://x.test\",\"number_pattern\":{\"chars\":\"0-9\",\"min_length\":9,\"max_length\":3}," BASE_REQ "," RESP("") "}",
	  "number_pattern.max_length: 3 is less than min_length 9" },
	{ "{\"name\":\"t\",\"version\":1,\"base_url\":\"https://x.test\",\"number_pattern\":{\"chars\":\"0-9\",\"confidence\":2}," BASE_REQ "," RESP("") "}",
	  "number_pattern.confidence: expected a number in (0, 1], got 2" },
	{ "{\"name\":\"t\",\"version\":1,\"base_url\":\"https://x.test\",\"number_pattern\":{\"chars\":\"9-0\"}," BASE_REQ "," RESP("") "}",
	  "number_pattern.chars: bad range 9-0" },
	/* delivery tables */
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":{}}", "transit: expected a list of 1 to 64 transit rows, got an object" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"days\":[[1,1],[1,1],[1,1],[1,1]]}]}", "transit[0].service: missing" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\"}]}", "transit[0].days: missing" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\",\"days\":[[1,1],[1,1],[1,1]]}]}",
	  "transit[0].days: expected four [first, last] pairs" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\",\"days\":[[1,1],[2,1],[1,1],[1,1]]}]}",
	  "transit[0].days[1]: [2, 1]: expected 0 <= first <= last <= 60" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\",\"days\":[[1,1],[1,1],[1,1],[1,1]],\"hours\":[18,9]}]}",
	  "transit[0].hours: [18, 9]: expected 0 <= first <= last <= 24" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\",\"days\":[[1,1],[1,1],[1,1],[1,1]],\"calendar\":\"weekdays\"}]}",
	  "transit[0].calendar: expected \"every_day\" or \"mail_days\", got weekdays" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\",\"days\":[[1,1],[1,1],[1,1],[1,1]],\"since\":\"2021-10\"}]}",
	  "transit[0].since: expected a date \"YYYY-MM-DD\", got 2021-10" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\",\"days\":[[1,1],[1,1],[1,1],[1,1]],\"keywords\":[\"a|b\"]}]}",
	  "transit[0].keywords[0]: a word is 1 to 127 bytes without '|'" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\",\"days\":[[1,1],[1,1],[1,1],[1,1]],\"confidence\":1.5}]}",
	  "transit[0].confidence: expected a number in 0..1, got 1.5" },
	{ HEAD BASE_REQ "," RESP("") ",\"transit\":[{\"service\":\"s\",\"days\":[[1,1],[1,1],[1,1],[1,1]],\"dayz\":1}]}",
	  "transit[0].dayz: unknown key (did you mean \"days\"?)" },
	{ HEAD BASE_REQ "," RESP("") ",\"stall\":[{\"status\":\"in_transt\",\"hours\":5}]}",
	  "stall[0].status: unknown status \"in_transt\" (did you mean \"in_transit\"?)" },
	{ HEAD BASE_REQ "," RESP("") ",\"stall\":[{\"status\":\"in_transit\"}]}", "stall[0].hours: missing" },
	{ HEAD BASE_REQ "," RESP("") ",\"pickup\":{\"warn_days\":1}}", "pickup.days: missing" },
	{ HEAD BASE_REQ "," RESP("") ",\"pickup\":{\"days\":3,\"warn_days\":4}}", "pickup.warn_days: 4 is outside 0..3" },
	{ HEAD BASE_REQ "," RESP("") ",\"pickup\":{\"days\":3,\"first_day_counts\":1}}",
	  "pickup.first_day_counts: expected true or false, got a number" },
};

START_TEST(validation_errors)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT);
	const struct bad_case *c = &bad_cases[_i];
	int rc = tsk_ctx_load_mapping_string(ctx, c->json, strlen(c->json), "bad.json");
	ck_assert_msg(rc == TSK_ECONFIG, "case %d: expected config error, got %s (%s)", _i,
	              tsk_error_name(rc), tsk_ctx_last_error(ctx));
	char want[512];
	snprintf(want, sizeof want, "bad.json: %s", c->want);
	const char *msg = tsk_ctx_last_error(ctx);
	ck_assert_msg(strstr(msg, want) == msg, "case %d:\n  got  %s\n  want %s…", _i, msg, want);
	ck_assert_uint_eq(tsk_ctx_mapping_error_count(ctx), 1);
	ck_assert_str_eq(tsk_ctx_mapping_error_at(ctx, 0), msg);
	ck_assert_ptr_null(tsk_ctx_mapping_error_at(ctx, 1));
	ck_assert_uint_eq(tsk_ctx_carrier_count(ctx), 0);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(minimal_mapping_and_duplicates)
{
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT);
	const char *ok = "/* comments are allowed */\n" HEAD BASE_REQ "," RESP("") " // trailing\n}";
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, ok, strlen(ok), "ok.json"), TSK_OK);
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, ok, strlen(ok), "again.json"), TSK_EEXISTS);
	ck_assert_ptr_nonnull(strstr(tsk_ctx_last_error(ctx), "again.json: name: carrier rest:t is already registered"));
	ck_assert_uint_eq(tsk_ctx_mapping_error_count(ctx), 1);
	/* a minimal answer */
	tsk_shipment_list *l;
	const char *body = "{\"data\":[{\"id\":\"a-1\"},{\"id\":\"b 2\"}]}";
	ck_assert_int_eq(tsk_parse(&l, ctx, "rest:t", body, strlen(body), NULL), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 2);
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 0)), "A1");
	ck_assert_str_eq(tsk_shipment_tracking_number(tsk_shipment_list_at(l, 1)), "B2");
	ck_assert_int_eq(tsk_shipment_status(tsk_shipment_list_at(l, 0)), TSK_STATUS_UNKNOWN);
	tsk_shipment_list_free(l);
	/* not found by HTTP status alone */
	const char *nfm = "{\"name\":\"nf\",\"version\":1,\"base_url\":\"https://x.test\"," BASE_REQ ","
	                  RESP(",\"not_found\":{\"http_status\":[404,410],\"message\":\"why\"}") "}";
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, nfm, strlen(nfm), "nf.json"), TSK_OK);
	const char *two[] = { "A1", "B2" };
	tsk_error err;
	ck_assert_int_eq(parse_answer(ctx, "rest:nf", "gone", 410, two, 2, &l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 2);
	ck_assert_int_eq(tsk_shipment_error(tsk_shipment_list_at(l, 1)), TSK_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(tsk_shipment_list_at(l, 1)), "HTTP 410"));
	tsk_shipment_list_free(l);
	ck_assert_int_eq(parse_answer(ctx, "rest:nf", "{\"why\":\"no such parcel\"}", 404, two, 1, &l, &err), TSK_OK);
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(tsk_shipment_list_at(l, 0)), "no such parcel"));
	tsk_shipment_list_free(l);
	ck_assert_int_eq(parse_answer(ctx, "rest:nf", "{\"data\":[]}", 200, two, 2, &l, &err), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 0);
	tsk_shipment_list_free(l);
	ck_assert_int_eq(tsk_ctx_load_mapping(ctx, "/nonexistent/x.json"), TSK_EIO);
	ck_assert_ptr_nonnull(strstr(tsk_ctx_mapping_error_at(ctx, 1), "/nonexistent/x.json: cannot read"));
	ck_assert_uint_eq(tsk_ctx_mapping_error_count(ctx), 2);
	ck_assert_int_eq(tsk_ctx_load_mapping_string(ctx, NULL, 3, "x"), TSK_EINVAL);
	tsk_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------ delivery tables */

#define TABLES_RESP                                                                                      \
	"\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":\"id\",\"service\":\"svc\"},"                   \
	"\"events\":\"ev\",\"event\":{\"time\":\"t\",\"status\":\"s\"},"                                         \
	"\"status_map\":{\"moving\":\"in_transit\",\"notice\":\"failed_attempt\"}}"
#define TABLES                                                                                           \
	",\"transit\":[{\"service\":\"express\",\"keywords\":[\"Express\",\"速達\"],\"hours\":[9,18],"           \
	"\"days\":[[1,1],[1,1],[1,2],[2,2]],\"days_unknown\":[1,2],\"confidence\":0.7},"                       \
	"{\"service\":\"economy\",\"cutoff_hour\":12,\"days\":[[3,4],[3,4],[3,5],[4,6]]}],"                     \
	"\"stall\":[{\"status\":\"in_transit\",\"hours\":120}],"                                                \
	"\"pickup\":{\"days\":5,\"first_day_counts\":true,\"warn_days\":1}"

static bool has_exception(const tsk_shipment *s, tsk_exception_code code)
{
	for (size_t i = 0; i < tsk_shipment_exception_count(s); i++)
		if (tsk_shipment_exception_at(s, i)->code == code)
			return true;
	return false;
}

START_TEST(mapping_delivery_tables)
{
	/* A1 names its service, B2 none, C3 waits for pickup; accepted 2026-07-01
	 * 10:00 (C3 noticed 06-29), asked 07-03 12:00 */
	const char *body = "{\"data\":[{\"id\":\"A1\",\"svc\":\"Express\",\"ev\":[{\"t\":\"2026-07-01T10:00:00+09:00\",\"s\":\"moving\"}]},"
	                   "{\"id\":\"B2\",\"ev\":[{\"t\":\"2026-07-01T10:00:00+09:00\",\"s\":\"moving\"}]},"
	                   "{\"id\":\"C3\",\"ev\":[{\"t\":\"2026-06-29T10:00:00+09:00\",\"s\":\"notice\"}]}]}";
	static const char *const mappings[] = {
		"{\"name\":\"own\",\"version\":1,\"base_url\":\"https://x.test\"," BASE_REQ "," TABLES_RESP TABLES "}",
		"{\"name\":\"bare\",\"version\":1,\"base_url\":\"https://x.test\"," BASE_REQ "," TABLES_RESP "}",
	};
	tsk_ctx *ctx = new_ctx(TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT);
	for (size_t k = 0; k < 2; k++)
		ck_assert_msg(tsk_ctx_load_mapping_string(ctx, mappings[k], strlen(mappings[k]), "tables.json") == TSK_OK,
		              "%s", tsk_ctx_last_error(ctx));
	ck_assert_ptr_nonnull(tsk_ctx_carrier(ctx, "rest:own")->tables);
	ck_assert_ptr_null(tsk_ctx_carrier(ctx, "rest:bare")->tables);
	/* with its own rows: express day 1..2 at 9-18 h; economy (no service
	 * text) day 3..6 (the widest of its classes); 120 h before stalled; 5
	 * days' holding counting the notice day, warned a day before
	 * (a window that opened before now opens now: 07-03 12:00) */
	static const char *const want_own[] = { "2026-07-03T12:00:00+09:00..2026-07-03T18:00:00+09:00",
		                                "2026-07-04T08:00:00+09:00..2026-07-07T21:00:00+09:00" };
	/* without: the generic parcel row (day 1..4, 8-21 h), 48 h, no pickup rule */
	static const char *const want_bare[] = { "2026-07-03T12:00:00+09:00..2026-07-05T21:00:00+09:00",
		                                 "2026-07-03T12:00:00+09:00..2026-07-05T21:00:00+09:00" };
	for (size_t k = 0; k < 2; k++) {
		tsk_shipment_list *l;
		ck_assert_int_eq(tsk_parse(&l, ctx, k ? "rest:bare" : "rest:own", body, strlen(body), NULL), TSK_OK);
		ck_assert_uint_eq(tsk_shipment_list_count(l), 3);
		for (size_t i = 0; i < 2; i++) {
			const tsk_eta *e = tsk_shipment_eta(tsk_shipment_list_at(l, i));
			ck_assert_ptr_nonnull(e);
			char got[120];
			snprintf(got, sizeof got, "%s..", fmt(&e->earliest));
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s", fmt(&e->latest));
			ck_assert_str_eq(got, k ? want_bare[i] : want_own[i]);
		}
		ck_assert(has_exception(tsk_shipment_list_at(l, 1), TSK_EXC_STALLED) == (k == 1));
		ck_assert(has_exception(tsk_shipment_list_at(l, 2), TSK_EXC_PICKUP_DEADLINE_NEAR) == (k == 0));
		tsk_shipment_list_free(l);
	}
	tsk_ctx_free(ctx);
}
END_TEST

/* ------------------------------------------------------- directories */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void remove_tree(const char *dir, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

START_TEST(mapping_path_and_broken_mapping)
{
	char d1[] = "/tmp/tsk_rest_a_XXXXXX", d2[] = "/tmp/tsk_rest_b_XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(d1));
	ck_assert_ptr_nonnull(mkdtemp(d2));
	write_file(d1, "custom.json",
	           "{\"name\":\"custom\",\"display_name\":\"Custom API\",\"version\":1,\"base_url\":\"https://c.test\","
	           BASE_REQ "," RESP("") "}");
	write_file(d1, "broken.json",
	           "{\"name\":\"broken\",\"version\":1,\"base_url\":\"https://c.test\"," BASE_REQ ","
	           RESP(",\"status_map\":{\"Delivered\":\"deliverd\"}") "}");
	write_file(d1, "notes.txt", "not a mapping");
	/* a later directory overrides a shipped mapping of the same name */
	write_file(d2, "aftership.json",
	           "{\"name\":\"aftership\",\"display_name\":\"AfterShip (local)\",\"version\":1,"
	           "\"base_url\":\"https://as.test\"," BASE_REQ "," RESP("") "}");
	/* the shipped mappings first, as the test environment gives them */
	const char *shipped = getenv("TSK_TEST_MAPPINGS");
	ck_assert_ptr_nonnull(shipped);
	char *saved = getenv("TSUISEKI_MAPPING_PATH") ? strdup(getenv("TSUISEKI_MAPPING_PATH")) : NULL;
	char path[4096];
	snprintf(path, sizeof path, "%s:%s::%s:/nonexistent/tsk-mappings", shipped, d1, d2);
	setenv("TSUISEKI_MAPPING_PATH", path, 1);

	tsk_ctx *ctx = new_ctx(0);
	ck_assert_ptr_nonnull(tsk_ctx_carrier(ctx, "rest:custom"));
	ck_assert_str_eq(tsk_ctx_carrier(ctx, "rest:custom")->display_name, "Custom API");
	ck_assert_ptr_null(tsk_ctx_carrier(ctx, "rest:broken"));
	ck_assert_ptr_nonnull(tsk_ctx_carrier(ctx, "rest:17track")); /* the others still load */
	ck_assert_str_eq(tsk_ctx_carrier(ctx, "rest:aftership")->display_name, "AfterShip (local)");
	ck_assert_uint_eq(tsk_ctx_mapping_error_count(ctx), 2);
	ck_assert_ptr_nonnull(strstr(tsk_ctx_mapping_error_at(ctx, 0),
	                             "broken.json: response.status_map.Delivered: unknown status \"deliverd\""));
	ck_assert_ptr_nonnull(strstr(tsk_ctx_mapping_error_at(ctx, 1), "/nonexistent/tsk-mappings: cannot open"));
	ck_assert_str_eq(tsk_ctx_last_error(ctx), "");
	/* explicit directory loads refuse duplicates and report a summary */
	ck_assert_int_eq(tsk_ctx_load_mappings_dir(ctx, d1), TSK_ECONFIG); /* broken.json sorts first */
	ck_assert_ptr_nonnull(strstr(tsk_ctx_last_error(ctx), "2 of 2 mappings in"));
	tsk_ctx_free(ctx);

	/* the environment ignored: shipped mappings only */
	ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	ck_assert_ptr_null(tsk_ctx_carrier(ctx, "rest:custom"));
	ck_assert_str_eq(tsk_ctx_carrier(ctx, "rest:aftership")->display_name, "AfterShip");
	ck_assert_uint_eq(tsk_ctx_mapping_error_count(ctx), 0);
	tsk_ctx_free(ctx);

	/* the public loader on an empty context */
	ctx = new_ctx(TSK_CTX_NO_DEFAULT_CARRIERS);
	ck_assert_int_eq(tsk_ctx_load_mappings_dir(ctx, d2), TSK_OK);
	ck_assert_ptr_nonnull(tsk_ctx_carrier(ctx, "rest:aftership"));
	ck_assert_int_eq(tsk_ctx_load_mappings_dir(ctx, "/nonexistent/tsk-mappings"), TSK_EIO);
	tsk_ctx_free(ctx);

	if (saved)
		setenv("TSUISEKI_MAPPING_PATH", saved, 1);
	else
		unsetenv("TSUISEKI_MAPPING_PATH");
	free(saved);
	const char *n1[] = { "custom.json", "broken.json", "notes.txt" }, *n2[] = { "aftership.json" };
	remove_tree(d1, n1, 3);
	remove_tree(d2, n2, 1);
}
END_TEST

START_TEST(endpoint_override_from_environment)
{
	setenv("TSUISEKI_ENDPOINT_REST_AFTERSHIP", "http://127.0.0.1:8080/aftership", 1);
	tsk_ctx *ctx = new_ctx(0);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "rest:aftership"), "http://127.0.0.1:8080/aftership");
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "rest:17track"), "https://api.17track.net/track/v2.4");
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "rest:aftership", "http://127.0.0.1:9999/x"), TSK_OK);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "rest:aftership"), "http://127.0.0.1:9999/x");
	tsk_ctx_free(ctx);
	ctx = new_ctx(TSK_CTX_NO_ENVIRONMENT);
	ck_assert_str_eq(tsk_ctx_endpoint(ctx, "rest:aftership"), "https://api.aftership.com/tracking/2024-10");
	tsk_ctx_free(ctx);
	unsetenv("TSUISEKI_ENDPOINT_REST_AFTERSHIP");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rest");
	TCase *tc = tcase_create("rest");
	tcase_add_test(tc, shipped_mappings_load);
	tcase_add_test(tc, aftership_details);
	tcase_add_test(tc, spec_view_matches_spec_text);
	tcase_add_test(tc, seventeen_track_details);
	tcase_add_test(tc, seventeen_track_rejected);
	tcase_add_test(tc, easypost_details);
	tcase_add_test(tc, parse_error_paths);
	tcase_add_test(tc, status_table_lookup);
	tcase_add_test(tc, build_requests_shipped);
	tcase_add_test(tc, build_requests_missing_credentials);
	tcase_add_test(tc, build_requests_templates);
	tcase_add_loop_test(tc, validation_errors, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, minimal_mapping_and_duplicates);
	tcase_add_test(tc, mapping_delivery_tables);
	tcase_add_test(tc, mapping_path_and_broken_mapping);
	tcase_add_test(tc, endpoint_override_from_environment);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
