/*
 * Carrier plugins: the example plugin loads from a directory and works like
 * a built-in carrier; a plugin built for another adapter ABI is refused
 * before anything of it is used; a missing directory is a clear error.
 */
#define _POSIX_C_SOURCE 200809L
#include <tsuiseki.h>

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int warnings;

static void count_log(int level, const char *message, void *userdata)
{
	(void)message;
	(void)userdata;
	if (level <= 1)
		warnings++;
}

START_TEST(example_plugin_loads)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_load_plugins(ctx, getenv("TSK_PLUGIN_DIR_EXAMPLE")), TSK_OK);
	ck_assert_ptr_nonnull(tsk_ctx_carrier(ctx, "example"));
	const char *page = "EX1|2024-12-03T09:00:00+09:00|in_transit\nEX1|2024-12-03T14:25:00+09:00|delivered\n";
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_parse(&l, ctx, "example", page, strlen(page), "text/plain"), TSK_OK);
	ck_assert_uint_eq(tsk_shipment_list_count(l), 1);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	char buf[48];
	tsk_time_format(buf, sizeof buf, tsk_shipment_delivered_at(s));
	ck_assert_str_eq(buf, "2024-12-03T14:25:00+09:00");
	tsk_shipment_list_free(l);
	tsk_detection *d;
	ck_assert_int_eq(tsk_detect(&d, ctx, "ex-42"), TSK_OK);
	ck_assert_str_eq(tsk_detection_at(d, 0)->carrier, "example");
	tsk_detection_free(d);
	/* the same plugin twice: its carrier name is taken */
	ck_assert_int_eq(tsk_ctx_load_plugins(ctx, getenv("TSK_PLUGIN_DIR_EXAMPLE")), TSK_EEXISTS);
	tsk_ctx_free(ctx);
}
END_TEST

/* The model ETA and exceptions of a parcel accepted 2024-12-03 09:00 and
 * still in transit on the 10th, as the plugin's carrier gives them. */
static void moving_parcel(tsk_ctx *ctx, char *eta, size_t size, bool *stalled)
{
	tsk_time now;
	ck_assert_int_eq(tsk_time_parse_rfc3339(&now, "2024-12-06T12:00:00+09:00"), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_now(ctx, &now), TSK_OK);
	const char *page = "EX7|2024-12-03T09:00:00+09:00|in_transit\n";
	tsk_shipment_list *l;
	ck_assert_int_eq(tsk_parse(&l, ctx, "example", page, strlen(page), "text/plain"), TSK_OK);
	const tsk_shipment *s = tsk_shipment_list_at(l, 0);
	const tsk_eta *e = tsk_shipment_eta(s);
	ck_assert_ptr_nonnull(e);
	char a[48], b[48];
	tsk_time_format(a, sizeof a, &e->earliest);
	tsk_time_format(b, sizeof b, &e->latest);
	snprintf(eta, size, "%s..%s", a, b);
	*stalled = false;
	for (size_t i = 0; i < tsk_shipment_exception_count(s); i++)
		*stalled = *stalled || tsk_shipment_exception_at(s, i)->code == TSK_EXC_STALLED;
	tsk_shipment_list_free(l);
}

START_TEST(plugin_tables_are_used)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_load_plugins(ctx, getenv("TSK_PLUGIN_DIR_EXAMPLE")), TSK_OK);
	ck_assert_uint_eq(tsk_ctx_carrier(ctx, "example")->version, TSK_ADAPTER_VERSION);
	char eta[100];
	bool stalled;
	moving_parcel(ctx, eta, sizeof eta, &stalled);
	/* the plugin's row: day 2..3 after acceptance (12-05 09:00..12-06 18:00, 9-18 h),
	 * shown from now (12-06 12:00) on; 96 hours before it stalls */
	ck_assert_str_eq(eta, "2024-12-06T12:00:00+09:00..2024-12-06T18:00:00+09:00");
	ck_assert(!stalled);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(version1_plugin_loads)
{
	/* built against the version-1 header: offered ABI 2 it refuses, ABI 1 it
	 * takes; its descriptor ends at userdata and nothing after it is read */
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	warnings = 0;
	tsk_ctx_set_log_fn(ctx, count_log, NULL);
	ck_assert_int_eq(tsk_ctx_load_plugins(ctx, getenv("TSK_PLUGIN_DIR_V1")), TSK_OK);
	ck_assert_int_eq(warnings, 0);
	const tsk_adapter *a = tsk_ctx_carrier(ctx, "example");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->version, 1);
	char eta[100];
	bool stalled;
	moving_parcel(ctx, eta, sizeof eta, &stalled);
	/* no tables: the generic parcel row (day 1..4, 8-21 h: 12-04 08:00..12-07
	 * 21:00, shown from now on), stalled after 48 hours */
	ck_assert_str_eq(eta, "2024-12-06T12:00:00+09:00..2024-12-07T21:00:00+09:00");
	ck_assert(stalled);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(future_abi_is_refused)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	warnings = 0;
	tsk_ctx_set_log_fn(ctx, count_log, NULL);
	ck_assert_int_eq(tsk_ctx_load_plugins(ctx, getenv("TSK_PLUGIN_DIR_FUTURE")), TSK_EVERSION);
	ck_assert(strstr(tsk_ctx_last_error(ctx), "ABI"));
	ck_assert_ptr_null(tsk_ctx_carrier(ctx, "example"));
	ck_assert_int_eq(warnings, 1);
	/* through the plugin path too, the refusal is reported once */
	warnings = 0;
	ck_assert_int_eq(tsk_ctx_load_plugin_path(ctx, getenv("TSK_PLUGIN_DIR_FUTURE")), TSK_EVERSION);
	ck_assert_int_eq(warnings, 1);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(plugin_path_from_environment)
{
	setenv("TSUISEKI_CARRIER_PATH", getenv("TSK_PLUGIN_DIR_EXAMPLE"), 1);
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS), TSK_OK);
	ck_assert_int_eq(tsk_ctx_load_plugin_path(ctx, NULL), TSK_OK);
	ck_assert_ptr_nonnull(tsk_ctx_carrier(ctx, "example"));
	tsk_ctx_free(ctx);
	/* a context that ignores the environment does not see it */
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_load_plugin_path(ctx, NULL), TSK_OK);
	ck_assert_ptr_null(tsk_ctx_carrier(ctx, "example"));
	ck_assert_int_eq(tsk_ctx_load_plugins(ctx, "/nonexistent/tsuiseki-plugins"), TSK_EIO);
	ck_assert(strstr(tsk_ctx_last_error(ctx), "/nonexistent/tsuiseki-plugins"));
	tsk_ctx_free(ctx);
	unsetenv("TSUISEKI_CARRIER_PATH");
}
END_TEST

START_TEST(relative_plugin_path_is_skipped)
{
	/* run from the directory that holds a plugin: "." and a relative name
	 * must not load code from it */
	const char *dir = getenv("TSK_PLUGIN_DIR_EXAMPLE");
	char cwd[4096];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(chdir(dir), 0);
	static const char *const relative[] = { ".", "./", "../examples", "plugins:." };
	for (size_t i = 0; i < sizeof relative / sizeof relative[0]; i++) {
		setenv("TSUISEKI_CARRIER_PATH", relative[i], 1);
		tsk_ctx *ctx;
		ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS), TSK_OK);
		warnings = 0;
		tsk_ctx_set_log_fn(ctx, count_log, NULL);
		ck_assert_int_eq(tsk_ctx_load_plugin_path(ctx, NULL), TSK_EINVAL);
		ck_assert_msg(strstr(tsk_ctx_last_error(ctx), "only absolute directories"), "%s", tsk_ctx_last_error(ctx));
		ck_assert_int_ge(warnings, 1);
		ck_assert_ptr_null(tsk_ctx_carrier(ctx, "example"));
		tsk_ctx_free(ctx);
	}
	/* an absolute directory beside a relative one still loads */
	char both[4200];
	snprintf(both, sizeof both, ".:%s", dir);
	setenv("TSUISEKI_CARRIER_PATH", both, 1);
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS), TSK_OK);
	ck_assert_int_eq(tsk_ctx_load_plugin_path(ctx, NULL), TSK_EINVAL);
	ck_assert_ptr_nonnull(tsk_ctx_carrier(ctx, "example"));
	tsk_ctx_free(ctx);
	unsetenv("TSUISEKI_CARRIER_PATH");
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plugin");
	TCase *tc = tcase_create("plugin");
	tcase_add_test(tc, example_plugin_loads);
	tcase_add_test(tc, plugin_tables_are_used);
	tcase_add_test(tc, version1_plugin_loads);
	tcase_add_test(tc, future_abi_is_refused);
	tcase_add_test(tc, plugin_path_from_environment);
	tcase_add_test(tc, relative_plugin_path_is_skipped);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
