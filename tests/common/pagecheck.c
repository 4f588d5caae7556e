/*
 * Page/expectation comparison for adapter tests (see pagecheck.h).
 */
#include "pagecheck.h"
#include "context.h"
#include "mappings.h"
#include "tsuiseki.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

tsk_ctx *tsk_test_ctx_new(unsigned int flags)
{
	tsk_ctx *ctx = NULL;
	ck_assert_int_eq(tsk_ctx_new(&ctx, flags), TSK_OK);
	/* a context that reads the environment finds them on TSUISEKI_MAPPING_PATH */
	if ((flags & TSK_CTX_NO_ENVIRONMENT) && !(flags & TSK_CTX_NO_DEFAULT_CARRIERS)) {
		const char *dir = getenv("TSK_TEST_MAPPINGS");
		ck_assert_msg(dir && *dir, "TSK_TEST_MAPPINGS is not set (run the tests with meson test)");
		/* replace: a copy installed on this machine must not hide the source's */
		ck_assert_msg(tsk__rest_load_dir(ctx, dir, true) == TSK_OK, "%s", tsk_ctx_last_error(ctx));
	}
	return ctx;
}

const char *tsk_test_data_dir(void)
{
	const char *d = getenv("TSK_TEST_DATA");
	return d && *d ? d : "tests/data";
}

char *tsk_test_read(const char *relpath, size_t *len_out)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", tsk_test_data_dir(), relpath);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len_out)
		*len_out = (size_t)n;
	return buf;
}

size_t tsk_test_each_page(const char *dir, void (*fn)(const char *name, const char *body, size_t len, void *user),
                          void *user)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", tsk_test_data_dir(), dir);
	DIR *dh = opendir(path);
	ck_assert_msg(dh != NULL, "cannot open %s", path);
	size_t pages = 0;
	struct dirent *de;
	while ((de = readdir(dh))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 5, ".html") != 0)
			continue;
		char rel[4096];
		snprintf(rel, sizeof rel, "%s/%s", dir, de->d_name);
		size_t len = 0;
		char *body = tsk_test_read(rel, &len);
		fn(de->d_name, body, len, user);
		free(body);
		pages++;
	}
	closedir(dh);
	return pages;
}

static size_t arr_len(yajl_val v)
{
	return v && YAJL_IS_ARRAY(v) ? v->u.array.len : 0;
}

static yajl_val arr_at(yajl_val v, size_t i)
{
	return i < arr_len(v) ? v->u.array.values[i] : NULL;
}

static const char *str_at(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_any);
	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

static int has_key(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	return yajl_tree_get(obj, path, yajl_t_any) != NULL;
}

/* Compare an optional string: the expectation's null means "not shown". */
static void same(const char *what, const char *file, const char *number, const char *want,
                 const char *got)
{
	if (!want || !*want) {
		ck_assert_msg(!got || !*got, "%s %s: %s: expected none, got \"%s\"", file, number, what,
		              got ? got : "");
		return;
	}
	ck_assert_msg(got && strcmp(want, got) == 0, "%s %s: %s: expected \"%s\", got \"%s\"", file,
	              number, what, want, got ? got : "(null)");
}

static void check_parcel(const char *file, yajl_val want, const tsk_shipment *s)
{
	const char *num = str_at(want, "tracking_number");
	const char *status = str_at(want, "status");
	if (status)
		ck_assert_msg(strcmp(status, tsk_status_to_string(tsk_shipment_status(s))) == 0,
		              "%s %s: status: expected %s, got %s", file, num, status,
		              tsk_status_to_string(tsk_shipment_status(s)));
	const char *path_count[] = { "events_count", NULL };
	yajl_val cnt = yajl_tree_get(want, path_count, yajl_t_number);
	size_t n = tsk_shipment_event_count(s);
	if (cnt)
		ck_assert_msg((long long)n == YAJL_GET_INTEGER(cnt), "%s %s: events: expected %lld, got %zu",
		              file, num, YAJL_GET_INTEGER(cnt), n);
	const tsk_event *first = tsk_shipment_event_at(s, 0);
	const tsk_event *last = n ? tsk_shipment_event_at(s, n - 1) : NULL;
	if (has_key(want, "first_event_timestamp"))
		same("first_event_timestamp", file, num, str_at(want, "first_event_timestamp"),
		     first ? tsk_event_time_raw(first) : NULL);
	if (has_key(want, "last_event_timestamp"))
		same("last_event_timestamp", file, num, str_at(want, "last_event_timestamp"),
		     last ? tsk_event_time_raw(last) : NULL);
	if (has_key(want, "last_event_status_text"))
		same("last_event_status_text", file, num, str_at(want, "last_event_status_text"),
		     last ? tsk_event_carrier_status(last) : NULL);
	const char *path_events[] = { "events", NULL };
	yajl_val evs = yajl_tree_get(want, path_events, yajl_t_array);
	if (!evs)
		return;
	ck_assert_msg(arr_len(evs) == n, "%s %s: events[]: expected %zu, got %zu", file,
	              num, arr_len(evs), n);
	for (size_t i = 0; i < n; i++) {
		yajl_val we = arr_at(evs, i);
		const tsk_event *ev = tsk_shipment_event_at(s, i);
		char what[64];
		snprintf(what, sizeof what, "event %zu status_text", i);
		same(what, file, num, str_at(we, "status_text"), tsk_event_carrier_status(ev));
		snprintf(what, sizeof what, "event %zu timestamp", i);
		same(what, file, num, str_at(we, "timestamp"), tsk_event_time_raw(ev));
		if (has_key(we, "location")) {
			snprintf(what, sizeof what, "event %zu location", i);
			same(what, file, num, str_at(we, "location"), tsk_event_location(ev));
		}
		if (has_key(we, "location_code")) {
			snprintf(what, sizeof what, "event %zu location_code", i);
			same(what, file, num, str_at(we, "location_code"), tsk_event_location_code(ev));
		}
		if (has_key(we, "prefecture")) {
			snprintf(what, sizeof what, "event %zu prefecture", i);
			same(what, file, num, str_at(we, "prefecture"), tsk_event_region(ev));
		}
		if (has_key(we, "postal_code")) {
			snprintf(what, sizeof what, "event %zu postal_code", i);
			same(what, file, num, str_at(we, "postal_code"), tsk_event_postal_code(ev));
		}
		/* the word's row in the carrier's table: its status and implied exception */
		if (has_key(we, "event_status")) {
			snprintf(what, sizeof what, "event %zu event_status", i);
			same(what, file, num, str_at(we, "event_status"), tsk_status_to_string(tsk_event_status(ev)));
		}
		if (has_key(we, "event_exception")) {
			snprintf(what, sizeof what, "event %zu event_exception", i);
			tsk_exception_code c = tsk_event_exception(ev);
			same(what, file, num, str_at(we, "event_exception"), c == TSK_EXC_NONE ? NULL : tsk_exception_to_string(c));
		}
	}
}

/* Every exception code listed in "exceptions" is raised (clock-based ones
 * may come in addition, as "now" decides). */
static void check_exceptions(const char *file, yajl_val want, const tsk_shipment *s)
{
	const char *path[] = { "exceptions", NULL };
	yajl_val codes = yajl_tree_get(want, path, yajl_t_array);
	const char *num = str_at(want, "tracking_number");
	for (size_t i = 0; codes && i < arr_len(codes); i++) {
		const char *code = YAJL_GET_STRING(arr_at(codes, i));
		ck_assert_msg(code != NULL, "%s: exceptions[%zu] is not a string", file, i);
		bool raised = false;
		for (size_t k = 0; k < tsk_shipment_exception_count(s) && !raised; k++)
			raised = strcmp(tsk_exception_to_string(tsk_shipment_exception_at(s, k)->code), code) == 0;
		ck_assert_msg(raised, "%s %s: exception %s not raised", file, num, code);
	}
}

/* The parcel's event_tags_in_order, through the carrier's own status
 * table, give the event statuses, each a known code. */
static void check_event_tags(const char *file, yajl_val want, const tsk_shipment *s,
                             const tsk_adapter *a)
{
	const char *path[] = { "event_tags_in_order", NULL };
	yajl_val tags = yajl_tree_get(want, path, yajl_t_array);
	if (!tags)
		return;
	const char *num = str_at(want, "tracking_number");
	ck_assert_msg(a && a->map_status, "%s: the carrier maps no status codes", file);
	ck_assert_msg(tsk_shipment_event_count(s) == arr_len(tags), "%s %s: event tags: expected %zu, got %zu",
	              file, num, arr_len(tags), tsk_shipment_event_count(s));
	for (size_t i = 0; i < arr_len(tags); i++) {
		const char *tag = YAJL_IS_STRING(arr_at(tags, i)) ? YAJL_GET_STRING(arr_at(tags, i)) : NULL;
		ck_assert_msg(tag != NULL, "%s: event_tags_in_order[%zu] is not a string", file, i);
		tsk_status_mapping mp;
		a->map_status(a, tag, &mp);
		ck_assert_msg(mp.unmapped == 0, "%s %s: tag %s is not mapped", file, num, tag);
		const tsk_event *ev = tsk_shipment_event_at(s, i);
		ck_assert_msg(tsk_event_status(ev) == mp.status, "%s event %zu: %s, want %s", file, i,
		              tsk_status_to_string(tsk_event_status(ev)), tsk_status_to_string(mp.status));
		ck_assert_msg(tsk_event_unmapped(ev) == 0, "%s event %zu: unmapped", file, i);
	}
}

/* Parse the page and compare it with the expectation exp (already read). */
static size_t check(const char *carrier, const char *relpath, const char *now, yajl_val exp,
                    const char *layout)
{
	size_t len;
	char *page = tsk_test_read(relpath, &len);
	tsk_ctx *ctx = tsk_test_ctx_new(TSK_CTX_NO_ENVIRONMENT);
	tsk_time t;
	ck_assert_msg(tsk_time_parse_rfc3339(&t, now) == TSK_OK, "%s: bad now \"%s\"", relpath, now);
	tsk_ctx_set_now(ctx, &t);
	tsk_shipment_list *l = NULL;
	int rc = tsk_parse(&l, ctx, carrier, page, len, NULL);
	const char *path_error[] = { "error", "code", NULL };
	yajl_val want_error = yajl_tree_get(exp, path_error, yajl_t_string);
	if (want_error) {
		/* a page that must not parse: the error, never a guess */
		const char *code = YAJL_GET_STRING(want_error);
		ck_assert_msg(code && rc != TSK_OK && strcmp(tsk_error_name(rc), code) == 0,
		              "%s: expected error %s, got %s (%s)", relpath, code ? code : "?",
		              tsk_error_name(rc), tsk_ctx_last_error(ctx));
		/* what the message must name: the row, the carrier's words */
		const char *path_words[] = { "error", "message_contains", NULL };
		yajl_val wv = yajl_tree_get(exp, path_words, yajl_t_string);
		const char *words = wv ? YAJL_GET_STRING(wv) : NULL;
		if (words)
			ck_assert_msg(strstr(tsk_ctx_last_error(ctx), words),
			              "%s: error message: expected \"%s\" in \"%s\"", relpath, words,
			              tsk_ctx_last_error(ctx));
		ck_assert_ptr_null(l);
		tsk_ctx_free(ctx);
		free(page);
		return 0;
	}
	ck_assert_msg(rc == TSK_OK, "%s: parse failed: %s: %s", relpath, tsk_error_name(rc),
	              tsk_ctx_last_error(ctx));

	const char *path_parcels[] = { "parcels", NULL };
	yajl_val parcels = yajl_tree_get(exp, path_parcels, yajl_t_array);
	size_t want_n = parcels ? arr_len(parcels) : 1;
	ck_assert_msg(tsk_shipment_list_count(l) == want_n, "%s: parcels: expected %zu, got %zu", relpath,
	              want_n, tsk_shipment_list_count(l));
	for (size_t i = 0; i < want_n; i++) {
		yajl_val want = parcels ? arr_at(parcels, i) : exp;
		const char *num = str_at(want, "tracking_number");
		const tsk_shipment *s = NULL;
		for (size_t k = 0; k < tsk_shipment_list_count(l) && !s; k++)
			if (num && strcmp(tsk_shipment_tracking_number(tsk_shipment_list_at(l, k)), num) == 0)
				s = tsk_shipment_list_at(l, k);
		ck_assert_msg(s != NULL, "%s: parcel %s missing", relpath, num ? num : "(no number)");
		check_parcel(relpath, want, s);
		check_exceptions(relpath, want, s);
		check_event_tags(relpath, want, s, tsk_ctx_carrier(ctx, carrier));
		const char *err = str_at(want, "error");
		if (err)
			ck_assert_msg(strcmp(err, tsk_error_name(tsk_shipment_error(s))) == 0,
			              "%s %s: error: expected %s, got %s", relpath, num, err,
			              tsk_error_name(tsk_shipment_error(s)));
		/* the carrier's own words stay in the message */
		const char *words = str_at(want, "error_message_contains");
		const char *got = tsk_shipment_error_message(s);
		if (words)
			ck_assert_msg(got && strstr(got, words), "%s %s: error message: expected \"%s\" in \"%s\"",
			              relpath, num, words, got ? got : "(null)");
	}
	/* every shipment names the layout that read it (none for JSON APIs) */
	if (layout != NULL || has_key(exp, "layout"))
		for (size_t k = 0; k < tsk_shipment_list_count(l); k++)
			same("layout", relpath, tsk_shipment_tracking_number(tsk_shipment_list_at(l, k)), layout,
			     tsk_shipment_layout(tsk_shipment_list_at(l, k)));
	tsk_shipment_list_free(l);
	tsk_ctx_free(ctx);
	free(page);
	return want_n;
}

static yajl_val read_json(const char *relpath, char **text_out)
{
	char *text = tsk_test_read(relpath, NULL);
	char errbuf[256];
	yajl_val v = yajl_tree_parse(text, errbuf, sizeof errbuf);
	ck_assert_msg(v != NULL, "%s: %s", relpath, errbuf);
	*text_out = text;
	return v;
}

size_t tsk_test_check_expectation(const char *exp_relpath)
{
	char *exp_text;
	yajl_val exp = read_json(exp_relpath, &exp_text);
	const char *file = str_at(exp, "file"), *carrier = str_at(exp, "carrier"), *now = str_at(exp, "now");
	ck_assert_msg(file && carrier && now, "%s: \"file\", \"carrier\" and \"now\" are required",
	              exp_relpath);
	ck_assert_msg(has_key(exp, "layout") && has_key(exp, "synthetic"),
	              "%s: \"layout\" (a name or null) and \"synthetic\" are required", exp_relpath);
	const char *path_parcels[] = { "parcels", NULL };
	ck_assert_msg(yajl_tree_get(exp, path_parcels, yajl_t_array) != NULL,
	              "%s: \"parcels\" (an array) is required", exp_relpath);
	/* the page sits next to its expectation */
	char page[4096];
	const char *slash = strrchr(exp_relpath, '/');
	int dir = slash ? (int)(slash - exp_relpath + 1) : 0;
	ck_assert(snprintf(page, sizeof page, "%.*s%s", dir, exp_relpath, file) < (int)sizeof page);
	size_t n = check(carrier, page, now, exp, str_at(exp, "layout"));
	yajl_tree_free(exp);
	free(exp_text);
	return n;
}
