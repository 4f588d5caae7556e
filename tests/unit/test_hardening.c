/*
 * Hardening: every text the library hands out is valid UTF-8 and every JSON
 * it writes is valid or not written at all; the JSON reader is bounded;
 * every failing call names its own failure; snapshots reload whole.
 */
#include "context.h"
#include "jsonread.h"
#include "model.h"
#include "pagecheck.h"
#include "util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int utf8_ok(const char *s)
{
	return s && tsk__utf8_valid(s, strlen(s));
}

static int has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return 1;
	return 0;
}

static tsk_ctx *new_ctx(void)
{
	return tsk_test_ctx_new(TSK_CTX_NO_ENVIRONMENT); /* with the shipped mappings */
}

/* "ああ…": n characters of three bytes each */
static char *japanese(size_t n)
{
	char *s = malloc(3 * n + 1);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + 3 * i, "あ", 3);
	s[3 * n] = '\0';
	return s;
}

static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	ck_assert_ptr_nonnull(at);
	size_t a = (size_t)(at - text), fl = strlen(from), tl = strlen(to), rest = strlen(at + fl);
	char *out = malloc(a + tl + rest + 1);
	memcpy(out, text, a);
	memcpy(out + a, to, tl);
	memcpy(out + a + tl, at + fl, rest + 1);
	return out;
}

/* ------------------------------------------------------ item 1: messages */

START_TEST(error_messages_are_cut_at_characters)
{
	char *long_ja = japanese(200); /* 600 bytes: longer than every buffer */
	for (size_t shift = 0; shift < 3; shift++) {
		tsk_error err;
		/* shift the text so the cut falls on each byte of a character */
		tsk_error_set(&err, TSK_EHTTP, "%.*s%s", (int)shift, "xx", long_ja);
		ck_assert_msg(utf8_ok(err.message), "tsk_error message cut inside a character (shift %zu)", shift);
		tsk_error_set_where(&err, "%.*s%s", (int)shift, "xx", long_ja);
		ck_assert(utf8_ok(err.where));
		tsk_ctx *ctx = new_ctx();
		tsk__ctx_error(ctx, TSK_EHTTP, "%.*s%s", (int)shift, "xx", long_ja);
		ck_assert_msg(utf8_ok(tsk_ctx_last_error(ctx)), "context message cut inside a character");
		tsk_ctx_free(ctx);
	}
	free(long_ja);
}
END_TEST

/* A JSON API answering with a long Japanese error message: the message the
 * caller gets (and prints in --json) is valid UTF-8. */
START_TEST(api_error_with_long_japanese_message)
{
	char *long_ja = japanese(150);
	char body[1024];
	snprintf(body, sizeof body, "{\"meta\":{\"code\":4010,\"type\":\"BadRequest\",\"message\":\"%s\"},\"data\":{}}",
	         long_ja);
	tsk_ctx *ctx = new_ctx();
	tsk_shipment_list *l = NULL;
	int rc = tsk_parse(&l, ctx, "rest:aftership", body, strlen(body), "application/json");
	ck_assert_int_eq(rc, TSK_EHTTP);
	ck_assert_msg(utf8_ok(tsk_ctx_last_error(ctx)), "message: %s", tsk_ctx_last_error(ctx));
	ck_assert_ptr_nonnull(strstr(tsk_ctx_last_error(ctx), "あああ"));
	/* the message becomes a shipment's error: it serialises */
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "rest:aftership", "1ZA2207X6791425225"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_set_error(s, rc, tsk_ctx_last_error(ctx)), TSK_OK);
	char *json = NULL;
	ck_assert_int_eq(tsk_shipment_to_json(&json, NULL, s, 0), TSK_OK);
	tsk_shipment *back = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk_shipment_from_json(&back, json, strlen(json), &err), TSK_OK);
	ck_assert_str_eq(tsk_shipment_error_message(back), tsk_shipment_error_message(s));
	tsk_shipment_free(back);
	tsk_free(json);
	tsk_shipment_free(s);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	free(long_ja);
}
END_TEST

START_TEST(set_error_validates_utf8)
{
	tsk_shipment *s;
	ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "123456789012"), TSK_OK);
	ck_assert_int_eq(tsk_shipment_set_error(s, TSK_EHTTP, "bad \xff byte"), TSK_EINVAL);
	ck_assert_int_eq(tsk_shipment_set_error(s, TSK_EHTTP, "cut \xe3\x81"), TSK_EINVAL);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_OK);
	ck_assert_int_eq(tsk_shipment_set_error(s, TSK_EHTTP, "\x1b[31m赤\x07 text"), TSK_OK);
	ck_assert(!has_control(tsk_shipment_error_message(s)));
	ck_assert_ptr_nonnull(strstr(tsk_shipment_error_message(s), "赤"));
	tsk_shipment_free(s);
}
END_TEST

/* Whatever a caller builds, the writer gives valid JSON or fails: never a
 * text where a dropped string shifts keys into values. */
START_TEST(writer_fails_on_invalid_text)
{
	static const char *const bad[] = { "ok\xff", "end\xe3", "end\xe3\x81", "\xc0\xaf", "\xed\xa0\x80" };
	for (size_t i = 0; i < TSK__ARRAY_LEN(bad); i++) {
		tsk_shipment *s;
		ck_assert_int_eq(tsk_shipment_new(&s, "yamato", "123456789012"), TSK_OK);
		tsk_event *ev;
		ck_assert_int_eq(tsk_event_new(&ev), TSK_OK);
		/* behind the API's back, as a bug or a plugin could */
		tsk__event_owned(ev)[TSK_EVENT_LOCATION] = tsk__strdup(bad[i]);
		ck_assert_int_eq(tsk_shipment_append_event(s, ev), TSK_OK);
		char *json = (char *)"unchanged";
		ck_assert_int_eq(tsk_shipment_to_json(&json, NULL, s, 0), TSK_EINVAL);
		ck_assert_ptr_null(json);
		tsk_shipment_list *l;
		ck_assert_int_eq(tsk_shipment_list_new(&l), TSK_OK);
		ck_assert_int_eq(tsk_shipment_list_append(l, s), TSK_OK);
		ck_assert_int_eq(tsk_shipment_list_to_json(&json, NULL, l, TSK_JSON_PRETTY), TSK_EINVAL);
		ck_assert_ptr_null(json);
		tsk_shipment_list_free(l);
	}
}
END_TEST

/* ------------------------------------------------ item 13: the number */

START_TEST(invalid_utf8_number_is_invalid_number)
{
	tsk_ctx *ctx = new_ctx();
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_track(&s, ctx, "yamato", "\xff\xfe"), TSK_EINVALID_NUMBER);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EINVALID_NUMBER);
	ck_assert_str_eq(tsk_shipment_tracking_number(s), "\xEF\xBF\xBD\xEF\xBF\xBD");
	char *json = NULL;
	ck_assert_int_eq(tsk_shipment_to_json(&json, NULL, s, 0), TSK_OK);
	ck_assert_ptr_nonnull(strstr(json, "\"tracking_number\":\"\xEF\xBF\xBD\xEF\xBF\xBD\",\"service\":null"));
	tsk_free(json);
	tsk_shipment_free(s);

	tsk_detection *d = NULL;
	ck_assert_int_eq(tsk_detect(&d, ctx, "12\xff"), TSK_EINVALID_NUMBER);
	ck_assert(utf8_ok(tsk_detection_number(d)));
	ck_assert(utf8_ok(tsk_detection_error(d)));
	ck_assert(utf8_ok(tsk_ctx_last_error(ctx)));
	tsk_detection_free(d);
	tsk_ctx_free(ctx);
}
END_TEST

/* ----------------------------------------- item 15: \u0000 and escapes */

START_TEST(rest_nul_in_a_string_is_refused)
{
	char *page = tsk_test_read("rest/aftership_v4_ups_delivered.json", NULL);
	static const char *const cases[][2] = {
		{ "\"1ZA2207X6791425225\"", "\"1ZA\\u00002207X6791425225\"" },
		{ "\"Delivered\"", "\"Delivered\\u0000\"" },
		{ "\"tracking_number\"", "\"tracking_number\\u0000x\"" },
	};
	for (size_t i = 0; i < TSK__ARRAY_LEN(cases); i++) {
		char *body = replace(page, cases[i][0], cases[i][1]);
		tsk_ctx *ctx = new_ctx();
		tsk_shipment_list *l = NULL;
		int rc = tsk_parse(&l, ctx, "rest:aftership", body, strlen(body), "application/json");
		ck_assert_msg(rc == TSK_EPARSE, "case %zu: %d %s", i, rc, tsk_ctx_last_error(ctx));
		ck_assert_ptr_nonnull(strstr(tsk_ctx_last_error(ctx), "\\u0000"));
		tsk_shipment_list_free(l);
		tsk_ctx_free(ctx);
		free(body);
	}
	free(page);
}
END_TEST

START_TEST(rest_control_characters_are_stripped)
{
	char *page = tsk_test_read("rest/aftership_v4_ups_delivered.json", NULL);
	char *a = replace(page, "\"PICKUP SCAN\"", "\"\\u001b[31mPICKUP\\u0007 SCAN\\u009b\"");
	char *body = replace(a, "\"EXPEDITED\"", "\"EXP\\u001bEDITED\"");
	tsk_ctx *ctx = new_ctx();
	tsk_shipment_list *l = NULL;
	ck_assert_int_eq(tsk_parse(&l, ctx, "rest:aftership", body, strlen(body), "application/json"), TSK_OK);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(tsk_shipment_service(s), "EXPEDITED");
	int seen = 0;
	for (size_t i = 0; i < tsk_shipment_event_count(s); i++) {
		const tsk_event *ev = tsk_shipment_event_at(s, i);
		const char *texts[] = { tsk_event_carrier_status(ev), tsk_event_description(ev), tsk_event_location(ev),
			                tsk_event_time_raw(ev) };
		for (size_t k = 0; k < TSK__ARRAY_LEN(texts); k++) {
			ck_assert(!has_control(texts[k]));
			ck_assert(!texts[k] || !strstr(texts[k], "\xC2\x9B"));
			if (texts[k] && strstr(texts[k], "PICKUP SCAN"))
				seen = 1;
		}
	}
	ck_assert(seen);
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	free(body);
	free(a);
	free(page);
}
END_TEST

/* ------------------------------------------ item 2: the bounded reader */

START_TEST(deep_nesting_is_refused)
{
	size_t n = 2000000;
	char *deep = malloc(2 * n + 1);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	tsk_shipment_list *l = NULL;
	tsk_error err;
	ck_assert_int_eq(tsk_shipment_list_from_json(&l, deep, 2 * n, &err), TSK_EPARSE);
	ck_assert_ptr_nonnull(strstr(err.message, "nested deeper"));
	deep[0] = '{';
	memcpy(deep, "{\"schema\":1,\"shipments\":", 24);
	ck_assert_int_eq(tsk_shipment_list_from_json(&l, deep, 2 * n, &err), TSK_EPARSE);
	tsk_ctx *ctx = new_ctx();
	ck_assert_int_ne(tsk_ctx_load_mapping_string(ctx, deep, 2 * n, "deep.json"), TSK_OK);
	tsk_ctx_free(ctx);
	free(deep);

	/* 512 levels are fine, 513 are not */
	char ok[2 * 513 + 1];
	memset(ok, '[', 512);
	memset(ok + 512, ']', 512);
	yajl_val v = NULL;
	char why[160];
	ck_assert_int_eq(tsk__json_parse(&v, ok, 1024, 0, why, sizeof why), TSK_OK);
	tsk__json_free(v);
	memset(ok, '[', 513);
	memset(ok + 513, ']', 513);
	ck_assert_int_eq(tsk__json_parse(&v, ok, 1026, 0, why, sizeof why), TSK_EPARSE);
	ck_assert_ptr_null(v);
	/* the size cap */
	ck_assert_int_eq(tsk__json_parse(&v, "[1,2,3]", 7, 6, why, sizeof why), TSK_EPARSE);
	ck_assert_ptr_nonnull(strstr(why, "larger than 6 bytes"));
	ck_assert_int_eq(tsk__json_parse(&v, "[1,2,3]", 7, 7, why, sizeof why), TSK_OK);
	ck_assert_int_eq(v->u.array.len, 3);
	tsk__json_free(v);
	/* syntax errors: one line naming the problem, nothing left behind */
	ck_assert_int_eq(tsk__json_parse(&v, "{\"a\":[1,2,{\"b\":", 15, 0, why, sizeof why), TSK_EPARSE);
	ck_assert_ptr_null(strchr(why, '\n'));
	ck_assert_int_eq(tsk__json_parse(&v, "", 0, 0, why, sizeof why), TSK_EPARSE);
}
END_TEST

/* ----------------------------------------- item 3: no stale last error */

#define STALE "stale message from an earlier call"

static void expect_own_error(tsk_ctx *ctx, int rc, const char *call)
{
	ck_assert_msg(rc < 0, "%s did not fail", call);
	ck_assert_msg(strcmp(tsk_ctx_last_error(ctx), STALE) != 0, "%s left the last error stale", call);
	ck_assert_msg(tsk_ctx_last_error(ctx)[0] != '\0', "%s left no message", call);
}

static int dummy_done_called;
static void dummy_done(tsk_query *q, int status, const tsk_shipment_list *result, void *userdata)
{
	(void)q;
	(void)status;
	(void)result;
	(void)userdata;
	dummy_done_called++;
}

START_TEST(every_failing_call_sets_its_message)
{
	tsk_ctx *ctx = new_ctx();
	tsk_time unset;
	memset(&unset, 0, sizeof unset);
	tsk_shipment_list *l = NULL;
	tsk_shipment *s = NULL;
	tsk_detection *d = NULL;
	tsk_query *q = NULL;
	static tsk_adapter nameless;
	nameless.version = TSK_ADAPTER_VERSION;
#define CALL(expr)                                                   \
	do {                                                         \
		tsk__ctx_error(ctx, TSK_ERROR, STALE);               \
		expect_own_error(ctx, (expr), #expr);                \
	} while (0)
	CALL(tsk_ctx_set_now(ctx, &unset));
	CALL(tsk_ctx_set_locale(ctx, "fr"));
	CALL(tsk_ctx_set_locale(ctx, NULL));
	CALL(tsk_ctx_set_option(ctx, TSK_OPT__COUNT, 1));
	CALL(tsk_ctx_set_variable(ctx, NULL, "x"));
	CALL(tsk_ctx_set_variable(ctx, "bad name", "x"));
	CALL(tsk_ctx_set_endpoint(ctx, NULL, "http://127.0.0.1/"));
	CALL(tsk_ctx_set_endpoint(ctx, "yamato", "ftp://x/"));
	CALL(tsk_ctx_register_adapter(ctx, NULL));
	CALL(tsk_ctx_register_adapter(ctx, &nameless));
	CALL(tsk_ctx_load_plugins(ctx, NULL));
	CALL(tsk_ctx_load_plugins(ctx, "/nonexistent/tsuiseki"));
	CALL(tsk_detect(&d, ctx, NULL));
	CALL(tsk_detect(NULL, ctx, "249724973934"));
	CALL(tsk_detect(&d, ctx, "12"));
	tsk_detection_free(d);
	d = NULL;
	CALL(tsk_parse(&l, ctx, NULL, "x", 1, NULL));
	CALL(tsk_parse(&l, ctx, "nosuchcarrier", "x", 1, NULL));
	CALL(tsk_parse(&l, ctx, "yamato", "not a page", 10, "text/html"));
	CALL(tsk_track(&s, ctx, "yamato", NULL));
	CALL(tsk_track(&s, ctx, "yamato", "12"));
	tsk_shipment_free(s);
	s = NULL;
	CALL(tsk_track(&s, ctx, "nosuchcarrier", "249724973934"));
	tsk_shipment_free(s);
	s = NULL;
	CALL(tsk_track_batch(&l, ctx, "yamato", NULL, 2, NULL));
	CALL(tsk_ctx_learn_transit(ctx, NULL));
	CALL(tsk_ctx_load_mapping(ctx, NULL));
	CALL(tsk_ctx_load_mapping(ctx, "/nonexistent/x.json"));
	CALL(tsk_ctx_load_mapping_string(ctx, "{", 1, "broken.json"));
	CALL(tsk_ctx_load_mappings_dir(ctx, NULL));
	CALL(tsk_ctx_load_mappings_dir(ctx, "/nonexistent/tsuiseki"));
	CALL(tsk_query_submit(&q, ctx, NULL, dummy_done, NULL));
#undef CALL
	ck_assert_int_eq(dummy_done_called, 0);
	tsk_ctx_free(ctx);
}
END_TEST

/* ------------------------------------- item 4: snapshots reload whole */

static void same_getters(const tsk_shipment *a, const tsk_shipment *b)
{
	ck_assert_str_eq(tsk_shipment_carrier(a), tsk_shipment_carrier(b));
#define SAME_STR(x, y) ck_assert_msg(((x) == NULL) == ((y) == NULL) && (!(x) || strcmp((x), (y)) == 0), #x)
	SAME_STR(tsk_shipment_layout(a), tsk_shipment_layout(b));
	SAME_STR(tsk_shipment_also_known_by(a), tsk_shipment_also_known_by(b));
	SAME_STR(tsk_shipment_service(a), tsk_shipment_service(b));
	ck_assert_uint_eq(tsk_shipment_event_count(a), tsk_shipment_event_count(b));
	for (size_t i = 0; i < tsk_shipment_event_count(a); i++) {
		const tsk_event *x = tsk_shipment_event_at(a, i), *y = tsk_shipment_event_at(b, i);
		ck_assert_int_eq(tsk_event_exception(x), tsk_event_exception(y));
		ck_assert_int_eq(tsk_event_unmapped(x), tsk_event_unmapped(y));
		ck_assert_int_eq(tsk_event_status(x), tsk_event_status(y));
		SAME_STR(tsk_event_carrier_status(x), tsk_event_carrier_status(y));
	}
#undef SAME_STR
}

START_TEST(snapshot_reload_keeps_what_getters_expose)
{
	static const char *const pages[][2] = {
		{ "yamato", "yamato/synthetic_2019_unknown_status.html" },
		{ "yamato", "yamato/synthetic_2019_failed_attempt_redelivery.html" },
		{ "yamato", "yamato/yamato_2009_multi3_absence_redelivery.html" },
	};
	int layouts = 0, unmapped = 0, exceptions = 0;
	for (size_t p = 0; p < TSK__ARRAY_LEN(pages); p++) {
		size_t len;
		char *page = tsk_test_read(pages[p][1], &len);
		tsk_ctx *ctx = new_ctx();
		tsk_time now;
		tsk_time_parse_rfc3339(&now, "2026-12-03T12:00:00+09:00");
		tsk_ctx_set_now(ctx, &now);
		tsk_shipment_list *l = NULL;
		ck_assert_int_eq(tsk_parse(&l, ctx, pages[p][0], page, len, "text/html"), TSK_OK);
		char *json = NULL;
		ck_assert_int_eq(tsk_shipment_list_to_json(&json, NULL, l, TSK_JSON_SNAPSHOT), TSK_OK);
		tsk_shipment_list *back = NULL;
		tsk_error err;
		ck_assert_int_eq(tsk_shipment_list_from_json(&back, json, strlen(json), &err), TSK_OK);
		ck_assert_uint_eq(tsk_shipment_list_count(l), tsk_shipment_list_count(back));
		for (size_t i = 0; i < tsk_shipment_list_count(l); i++) {
			const tsk_shipment *a = tsk_shipment_list_at(l, i);
			same_getters(a, tsk_shipment_list_at(back, i));
			layouts += tsk_shipment_layout(a) != NULL;
			for (size_t k = 0; k < tsk_shipment_event_count(a); k++) {
				unmapped += tsk_event_unmapped(tsk_shipment_event_at(a, k));
				exceptions += tsk_event_exception(tsk_shipment_event_at(a, k)) != TSK_EXC_NONE;
			}
		}
		/* and it dumps identically again */
		char *again = NULL;
		ck_assert_int_eq(tsk_shipment_list_to_json(&again, NULL, back, TSK_JSON_SNAPSHOT), TSK_OK);
		ck_assert_str_eq(json, again);
		tsk_free(again);
		tsk_free(json);
		tsk_shipment_list_free(back);
		tsk_shipment_list_free(l);
		tsk_ctx_free(ctx);
		free(page);
	}
	/* the pages do exercise the three */
	ck_assert_int_gt(layouts, 0);
	ck_assert_int_gt(unmapped, 0);
	ck_assert_int_gt(exceptions, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hardening");
	TCase *tc = tcase_create("hardening");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, error_messages_are_cut_at_characters);
	tcase_add_test(tc, api_error_with_long_japanese_message);
	tcase_add_test(tc, set_error_validates_utf8);
	tcase_add_test(tc, writer_fails_on_invalid_text);
	tcase_add_test(tc, invalid_utf8_number_is_invalid_number);
	tcase_add_test(tc, rest_nul_in_a_string_is_refused);
	tcase_add_test(tc, rest_control_characters_are_stripped);
	tcase_add_test(tc, deep_nesting_is_refused);
	tcase_add_test(tc, every_failing_call_sets_its_message);
	tcase_add_test(tc, snapshot_reload_keeps_what_getters_expose);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
