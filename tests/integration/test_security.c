/*
 * Security end to end (issue "credentials go only where the user sent
 * them"): redirects are followed only within the origin a request was
 * built for, so an API key never reaches another host and a POST never
 * silently becomes a GET; secrets never appear in a message, in the CLI's
 * --json output or on stderr; state files are private. Two simulators on
 * two ports are two origins.
 */
#define _POSIX_C_SOURCE 200809L
#include "runcmd.h"
#include "simctl.h"
#include <tsuiseki.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define API_KEY "test-aftership-key"
#define SECRET "TOPSECRET42"
#define PASSWORD "pw-SECRET2"

static tsk_sim *sim, *other;

static void setup(void)
{
	sim = tsk_sim_start(getenv("TSK_SIM"), getenv("TSK_TEST_DATA"));
	other = tsk_sim_start(getenv("TSK_SIM"), getenv("TSK_TEST_DATA"));
	ck_assert_ptr_nonnull(sim);
	ck_assert_ptr_nonnull(other);
}

static void teardown(void)
{
	tsk_sim_stop(sim);
	tsk_sim_stop(other);
	sim = other = NULL;
}

/* A context that ignores the environment, with the shipped mappings, the
 * AfterShip key, and no retries (every answer here is final). */
static tsk_ctx *make_ctx(void)
{
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	if (!tsk_ctx_carrier(ctx, "rest:aftership"))
		ck_assert_int_eq(tsk_ctx_load_mappings_dir(ctx, getenv("TSK_TEST_MAPPINGS")), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_variable(ctx, "AFTERSHIP_API_KEY", API_KEY), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, 0), TSK_OK);
	tsk_time now;
	tsk_time_parse_rfc3339(&now, "2009-09-11T12:00:00+09:00");
	tsk_ctx_set_now(ctx, &now);
	return ctx;
}

/* Track one number through an endpoint on the first simulator. */
static tsk_shipment *track_via(tsk_ctx *ctx, const char *carrier, const char *path, const char *number)
{
	char url[512];
	ck_assert_ptr_nonnull(tsk_sim_url(sim, path, url, sizeof url));
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, carrier, url), TSK_OK);
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_track(&s, ctx, carrier, number), TSK_OK);
	return s;
}

static size_t log_lines(tsk_sim *which)
{
	char *log = tsk_sim_fetch(which, "/_log");
	ck_assert_ptr_nonnull(log);
	size_t n = 0;
	for (const char *p = log; *p; p++)
		n += *p == '\n';
	free(log);
	return n;
}

/* ------------------------------------------------------------ redirects */

START_TEST(redirect_within_the_origin_is_followed)
{
	tsk_ctx *ctx = make_ctx();
	tsk_shipment *s = track_via(ctx, "rest:aftership", "/_fault/redirect:302/rest/aftership", "1ZA2207X6791425225");
	ck_assert_msg(tsk_shipment_error(s) == TSK_OK, "%s", tsk_shipment_error_message(s));
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_DELIVERED);
	tsk_shipment_free(s);
	/* the redirect and the request it pointed at, with the key (the route requires it) */
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_msg(strstr(log, "GET\t/_fault/redirect:302/rest/aftership/trackings?tracking_numbers=1ZA2207X6791425225\t"), "%s", log);
	ck_assert_msg(strstr(log, "GET\t/rest/aftership/trackings?tracking_numbers=1ZA2207X6791425225\t"), "%s", log);
	free(log);
	/* a 307 keeps a POST and its body within the origin: Yamato answers */
	s = track_via(ctx, "yamato", "/_fault/redirect:307/yamato/cgi-bin/tneko", "249724973934");
	ck_assert_msg(tsk_shipment_error(s) == TSK_OK, "%s", tsk_shipment_error_message(s));
	ck_assert_int_eq(tsk_shipment_status(s), TSK_STATUS_IN_TRANSIT);
	tsk_shipment_free(s);
	tsk_ctx_free(ctx);
}
END_TEST

START_TEST(redirect_to_another_origin_is_refused)
{
	static const char *const statuses[] = { "301", "302", "303", "307", "308" };
	char origin[128], path[512];
	snprintf(origin, sizeof origin, "http%%3A%%2F%%2F127.0.0.1%%3A%d", tsk_sim_port(other));
	char shown[64];
	snprintf(shown, sizeof shown, "127.0.0.1:%d", tsk_sim_port(other));
	tsk_ctx *ctx = make_ctx();
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		/* an API with its key in a header */
		snprintf(path, sizeof path, "/_fault/redirect:%s:%s/rest/aftership", statuses[i], origin);
		tsk_shipment *s = track_via(ctx, "rest:aftership", path, "1ZA2207X6791425225");
		const char *msg = tsk_shipment_error_message(s);
		ck_assert_msg(tsk_shipment_error(s) == TSK_EHTTP, "%s: %s", statuses[i], msg ? msg : "no error");
		ck_assert_msg(strstr(msg, statuses[i]) && strstr(msg, shown) && strstr(msg, "another host"), "%s", msg);
		ck_assert_msg(!strstr(msg, API_KEY), "%s", msg);
		tsk_shipment_free(s);
		/* a carrier page (Sagawa is a GET) */
		snprintf(path, sizeof path, "/_fault/redirect:%s:%s/sagawa/p/web/okurijosearch.do", statuses[i], origin);
		s = track_via(ctx, "sagawa", path, "600078420325");
		ck_assert_msg(tsk_shipment_error(s) == TSK_EHTTP, "%s", tsk_shipment_error_message(s));
		tsk_shipment_free(s);
	}
	/* the same host and port under another scheme is another origin too */
	snprintf(path, sizeof path, "/_fault/redirect:302:https%%3A%%2F%%2F127.0.0.1%%3A%d/rest/aftership",
	         tsk_sim_port(sim));
	tsk_shipment *s = track_via(ctx, "rest:aftership", path, "1ZA2207X6791425225");
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	ck_assert_msg(strstr(tsk_shipment_error_message(s), "https://127.0.0.1"), "%s", tsk_shipment_error_message(s));
	tsk_shipment_free(s);
	tsk_ctx_free(ctx);
	/* the other server never heard from us: no key, no number */
	ck_assert_uint_eq(log_lines(other), 0);
}
END_TEST

START_TEST(post_redirected_to_get_is_an_http_error)
{
	/* Yamato is a POST: a 302/303 would drop the numbers; the page that
	 * answered a bodiless GET must not be read as a layout change */
	tsk_ctx *ctx = make_ctx();
	static const char *const paths[] = { "/_fault/redirect:302/yamato/cgi-bin/tneko",
		                             "/_fault/redirect:303/yamato/cgi-bin/tneko",
		                             "/_fault/redirect:301/yamato/cgi-bin/tneko" };
	for (size_t i = 0; i < 3; i++) {
		tsk_shipment *s = track_via(ctx, "yamato", paths[i], "249724973934");
		const char *msg = tsk_shipment_error_message(s);
		ck_assert_msg(tsk_shipment_error(s) == TSK_EHTTP, "%s: %s", paths[i], msg ? msg : "no error");
		ck_assert_msg(strstr(msg, "POST") && strstr(msg, "not followed"), "%s", msg);
		tsk_shipment_free(s);
	}
	tsk_ctx_free(ctx);
	ck_assert_uint_eq(log_lines(sim), 3); /* nothing was fetched after the redirects */
}
END_TEST

/* ------------------------------------------------------------ redaction */

static char tmpdir[64];

/* A mapping that puts its key into the query, twice: once under a name that
 * says so, once under a name that does not. */
static void write_leaky_mapping(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/tsk-sec-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	char path[128];
	snprintf(path, sizeof path, "%s/leaky.json", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"name\":\"leaky\",\"version\":1,\"base_url\":\"http://127.0.0.1:9/\","
	      "\"credentials\":[\"LEAKY_KEY\"],"
	      "\"request\":{\"url\":\"{endpoint}/t/{number}?api_key=${LEAKY_KEY}&v=${LEAKY_KEY}\"},"
	      "\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":\"id\"}}}\n", f);
	fclose(f);
}

static void remove_leaky_mapping(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/leaky.json", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

START_TEST(secrets_never_in_messages)
{
	write_leaky_mapping();
	tsk_ctx *ctx = make_ctx();
	ck_assert_int_eq(tsk_ctx_load_mappings_dir(ctx, tmpdir), TSK_OK);
	ck_assert_int_eq(tsk_ctx_set_variable(ctx, "LEAKY_KEY", SECRET), TSK_OK);
	char url[512];
	/* user information in the endpoint, and a 500 that names the URL */
	snprintf(url, sizeof url, "http://user:" PASSWORD "@127.0.0.1:%d/_fault/500/rest/leaky", tsk_sim_port(sim));
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "rest:leaky", url), TSK_OK);
	tsk_shipment *s = NULL;
	ck_assert_int_eq(tsk_track(&s, ctx, "rest:leaky", "AB12345678"), TSK_OK);
	const char *msg = tsk_shipment_error_message(s);
	ck_assert_int_eq(tsk_shipment_error(s), TSK_EHTTP);
	ck_assert_msg(strstr(msg, "HTTP 500") && strstr(msg, "/t/AB12345678?api_key=***&v=***"), "%s", msg);
	ck_assert_msg(strstr(msg, "http://***@127.0.0.1"), "%s", msg);
	ck_assert_msg(!strstr(msg, SECRET) && !strstr(msg, PASSWORD), "%s", msg);
	/* the JSON of the shipment and the context's last error too */
	char *json = NULL;
	size_t len;
	ck_assert_int_eq(tsk_shipment_to_json(&json, &len, s, 0), TSK_OK);
	ck_assert_msg(!strstr(json, SECRET) && !strstr(json, PASSWORD), "%s", json);
	tsk_free(json);
	ck_assert_msg(!strstr(tsk_ctx_last_error(ctx), SECRET), "%s", tsk_ctx_last_error(ctx));
	tsk_shipment_free(s);
	/* the request really carried the key (the simulator saw it) */
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_msg(strstr(log, "?api_key=" SECRET "&v=" SECRET), "%s", log);
	free(log);
	/* a refused endpoint names the URL without its password */
	snprintf(url, sizeof url, "ftp://user:" PASSWORD "@example.test/x");
	ck_assert_int_eq(tsk_ctx_set_endpoint(ctx, "rest:leaky", url), TSK_EINVAL);
	ck_assert_msg(!strstr(tsk_ctx_last_error(ctx), PASSWORD), "%s", tsk_ctx_last_error(ctx));
	tsk_ctx_free(ctx);
	remove_leaky_mapping();
}
END_TEST

/* An adapter of a program's own that puts its key into the query under a
 * name that does not say so, and declares it with tsk_request_add_secret. */
#define PLUGIN_SECRET "PLUGINSECRET99"

static int keyed_recognize(const tsk_adapter *self, const char *number, double *conf, tsk_error *err)
{
	(void)self, (void)number, (void)err;
	*conf = 1;
	return TSK_OK;
}

static int keyed_build(const tsk_adapter *self, const tsk_request_env *env, const char *const *numbers,
                       size_t count, tsk_request_list *out, tsk_error *err)
{
	(void)self;
	char url[512];
	snprintf(url, sizeof url, "%s/t/%s?k=" PLUGIN_SECRET, env->endpoint, numbers[0]);
	tsk_request *r = NULL;
	int rc = tsk_request_list_add(out, "GET", url, NULL, NULL, 0, numbers, count, &r);
	if (rc == TSK_OK)
		rc = tsk_request_add_secret(r, PLUGIN_SECRET);
	return rc == TSK_OK ? rc : tsk_error_set(err, rc, "keyed: cannot build");
}

static int keyed_parse(const tsk_adapter *self, const tsk_response *resp, const tsk_parse_env *env,
                       tsk_shipment_list *out, tsk_error *err)
{
	(void)self, (void)env, (void)out;
	/* a parser that quotes the key back, as some APIs do */
	return tsk_error_set(err, TSK_ELAYOUT, "keyed: unknown answer to %s (key " PLUGIN_SECRET ")", resp->url);
}

static void keyed_map(const tsk_adapter *self, const char *word, tsk_status_mapping *out)
{
	(void)self, (void)word;
	memset(out, 0, sizeof *out);
	out->unmapped = 1;
}

START_TEST(adapter_declared_secrets_never_in_messages)
{
	static const tsk_adapter keyed = { TSK_ADAPTER_VERSION, "keyed", "Keyed", 0, 1, "http://127.0.0.1:9",
		                           keyed_recognize, keyed_build, keyed_parse, keyed_map, NULL, NULL, NULL, NULL,
		                           NULL, NULL };
	tsk_ctx *ctx = make_ctx();
	ck_assert_int_eq(tsk_ctx_register_adapter(ctx, &keyed), TSK_OK);
	static const char *const paths[] = { "/_fault/500/keyed", "/_fault/200/keyed" };
	for (size_t i = 0; i < 2; i++) {
		tsk_shipment *s = track_via(ctx, "keyed", paths[i], "AB12345678");
		const char *msg = tsk_shipment_error_message(s);
		ck_assert_msg(tsk_shipment_error(s) == (i == 0 ? TSK_EHTTP : TSK_ELAYOUT), "%s", msg ? msg : "no error");
		ck_assert_msg(strstr(msg, "/t/AB12345678?k=***"), "%s", msg);
		ck_assert_msg(!strstr(msg, PLUGIN_SECRET), "%s", msg);
		tsk_shipment_free(s);
	}
	tsk_ctx_free(ctx);
	char *log = tsk_sim_fetch(sim, "/_log");
	ck_assert_msg(strstr(log, "?k=" PLUGIN_SECRET), "%s", log);
	free(log);
	ck_assert_int_eq(tsk_request_add_secret(NULL, "x"), TSK_EINVAL);
}
END_TEST


START_TEST(cli_never_prints_secrets)
{
	write_leaky_mapping();
	char endpoint[256], cmd[2048], *out;
	snprintf(endpoint, sizeof endpoint, "http://user:" PASSWORD "@127.0.0.1:%d/_fault/500/rest/leaky",
	         tsk_sim_port(sim));
	static const char *const modes[] = { "--json", "" };
	for (size_t i = 0; i < 2; i++) {
		/* stdout and stderr together */
		snprintf(cmd, sizeof cmd,
		         "LEAKY_KEY=" SECRET " TSUISEKI_ENDPOINT_REST_LEAKY='%s' %s track %s --mappings %s "
		         "--carrier rest:leaky AB12345678 2>&1",
		         endpoint, getenv("TSK_CLI"), modes[i], tmpdir);
		ck_assert_int_eq(tsk_test_run(cmd, &out), 1);
		ck_assert_msg(strstr(out, "HTTP 500"), "%s", out);
		ck_assert_msg(!strstr(out, SECRET) && !strstr(out, PASSWORD), "%s", out);
		free(out);
	}
	remove_leaky_mapping();
}
END_TEST

START_TEST(watch_state_file_is_private)
{
	char dir[] = "/tmp/tsk-sec-watch-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char state[128], url[256], cmd[1024], *out;
	snprintf(state, sizeof state, "%s/state.json", dir);
	tsk_sim_url(sim, "/sagawa/p/web/okurijosearch.do", url, sizeof url);
	snprintf(cmd, sizeof cmd,
	         "umask 022; TSUISEKI_ENDPOINT_SAGAWA='%s' %s watch --carrier sagawa --polls 1 --state %s "
	         "600078420325 >/dev/null 2>&1",
	         url, getenv("TSK_CLI"), state);
	ck_assert_int_eq(tsk_test_run(cmd, &out), 0);
	free(out);
	struct stat st;
	ck_assert_int_eq(stat(state, &st), 0);
	ck_assert_msg((st.st_mode & 0777) == 0600, "state file mode %o", (unsigned)(st.st_mode & 0777));
	unlink(state);
	rmdir(dir);
}
END_TEST

/* ------------------------------------------------------ the search paths */

START_TEST(relative_mapping_path_is_skipped)
{
	/* a mapping in a relative directory of TSUISEKI_MAPPING_PATH, read from
	 * the current directory, could send a key anywhere it likes */
	char dir[] = "/tmp/tsk-sec-maps-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char sub[128], file[160], cwd[4096];
	snprintf(sub, sizeof sub, "%s/maps", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(file, sizeof file, "%s/evil.json", sub);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"name\":\"evil\",\"version\":1,\"base_url\":\"http://127.0.0.1:9/\","
	      "\"request\":{\"url\":\"{endpoint}/{number}\"},"
	      "\"response\":{\"shipments\":\"data\",\"shipment\":{\"number\":\"id\"}}}\n", f);
	fclose(f);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(chdir(dir), 0);
	char *saved = getenv("TSUISEKI_MAPPING_PATH") ? strdup(getenv("TSUISEKI_MAPPING_PATH")) : NULL;
	static const char *const relative[] = { "maps", "./maps", "", "maps:" };
	for (size_t i = 0; i < sizeof relative / sizeof relative[0]; i++) {
		setenv("TSUISEKI_MAPPING_PATH", relative[i], 1);
		tsk_ctx *ctx;
		ck_assert_int_eq(tsk_ctx_new(&ctx, 0), TSK_OK);
		ck_assert_msg(!tsk_ctx_carrier(ctx, "rest:evil"), "%s loaded from %s", file, relative[i]);
		if (relative[i][0])
			ck_assert_msg(tsk_ctx_mapping_error_count(ctx) == 1 &&
			              strstr(tsk_ctx_mapping_error_at(ctx, 0), "only absolute directories"),
			              "%s", tsk_ctx_mapping_error_count(ctx) ? tsk_ctx_mapping_error_at(ctx, 0) : "no error");
		tsk_ctx_free(ctx);
	}
	/* named absolutely, it loads */
	setenv("TSUISEKI_MAPPING_PATH", sub, 1);
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, 0), TSK_OK);
	ck_assert_ptr_nonnull(tsk_ctx_carrier(ctx, "rest:evil"));
	tsk_ctx_free(ctx);
	if (saved)
		setenv("TSUISEKI_MAPPING_PATH", saved, 1);
	else
		unsetenv("TSUISEKI_MAPPING_PATH");
	free(saved);
	ck_assert_int_eq(chdir(cwd), 0);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

START_TEST(fifo_in_a_directory_never_blocks)
{
	/* a FIFO named like a mapping and like a plugin: opening either for
	 * reading would wait for a writer forever; SIGALRM ends a hang */
	char dir[] = "/tmp/tsk-sec-fifo-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char json[128], so[128], sub[128];
	snprintf(json, sizeof json, "%s/x.json", dir);
	snprintf(so, sizeof so, "%s/x.so", dir);
	snprintf(sub, sizeof sub, "%s/d.json", dir);
	ck_assert_int_eq(mkfifo(json, 0600), 0);
	ck_assert_int_eq(mkfifo(so, 0600), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	alarm(60);
	tsk_ctx *ctx;
	ck_assert_int_eq(tsk_ctx_new(&ctx, TSK_CTX_NO_DEFAULT_CARRIERS | TSK_CTX_NO_ENVIRONMENT), TSK_OK);
	ck_assert_int_eq(tsk_ctx_load_mappings_dir(ctx, dir), TSK_EIO);
	ck_assert_uint_eq(tsk_ctx_mapping_error_count(ctx), 2);
	for (size_t i = 0; i < 2; i++)
		ck_assert_msg(strstr(tsk_ctx_mapping_error_at(ctx, i), "not a regular file"), "%s",
		              tsk_ctx_mapping_error_at(ctx, i));
	ck_assert_int_eq(tsk_ctx_load_mapping(ctx, json), TSK_EIO);
	ck_assert_int_eq(tsk_ctx_load_plugins(ctx, dir), TSK_EIO);
	ck_assert_msg(strstr(tsk_ctx_last_error(ctx), "x.so: not a regular file"), "%s", tsk_ctx_last_error(ctx));
	tsk_ctx_free(ctx);
	/* the CLI, every command, with the directory on both search paths */
	static const char *const commands[] = { "carriers", "detect 2497-2497-3934",
		                                "track --carrier rest:aftership 1ZA2207X6791425225" };
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		char cmd[1024], *out;
		snprintf(cmd, sizeof cmd,
		         "TSUISEKI_MAPPING_PATH=%s TSUISEKI_CARRIER_PATH=%s timeout 30 %s %s 2>&1; echo \"exit $?\"",
		         dir, dir, getenv("TSK_CLI"), commands[i]);
		tsk_test_run(cmd, &out);
		ck_assert_msg(!strstr(out, "exit 124"), "%s hung: %s", commands[i], out);
		ck_assert_msg(strstr(out, "x.json: cannot read the mapping: not a regular file"), "%s", out);
		free(out);
	}
	alarm(0);
	unlink(json);
	unlink(so);
	rmdir(sub);
	rmdir(dir);
}
END_TEST

/* ------------------------------------------------- endpoints the user set */

START_TEST(unusable_endpoint_is_a_config_error)
{
	static const char *const bad[] = { "file:///etc", "gopher://127.0.0.1:9/x", "garbage", "http://",
		                           "https://user:" PASSWORD "@" };
	tsk_ctx *ctx = make_ctx();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* through the context's variables: the same path as the environment */
		ck_assert_int_eq(tsk_ctx_set_variable(ctx, "TSUISEKI_ENDPOINT_SAGAWA", bad[i]), TSK_OK);
		ck_assert_int_eq(tsk_ctx_set_variable(ctx, "TSUISEKI_ENDPOINT_REST_AFTERSHIP", bad[i]), TSK_OK);
		ck_assert_ptr_null(tsk_ctx_endpoint(ctx, "sagawa"));
		ck_assert_msg(strstr(tsk_ctx_last_error(ctx), "TSUISEKI_ENDPOINT_SAGAWA"), "%s", tsk_ctx_last_error(ctx));
		static const char *const carriers[][2] = { { "sagawa", "600078420325" },
			                                   { "rest:aftership", "1ZA2207X6791425225" } };
		for (size_t c = 0; c < 2; c++) {
			tsk_shipment *s = NULL;
			ck_assert_int_eq(tsk_track(&s, ctx, carriers[c][0], carriers[c][1]), TSK_OK);
			const char *msg = tsk_shipment_error_message(s);
			ck_assert_msg(tsk_shipment_error(s) == TSK_ECONFIG, "%s %s: %s", carriers[c][0], bad[i],
			              msg ? msg : "no error");
			ck_assert_msg(strstr(msg, "not asked") && !strstr(msg, PASSWORD), "%s", msg);
			tsk_shipment_free(s);
		}
	}
	tsk_ctx_free(ctx);

	/* the CLI, from the environment: a config error in --json, no request anywhere */
	char cmd[1024], *out;
	snprintf(cmd, sizeof cmd,
	         "AFTERSHIP_API_KEY=" API_KEY " TSUISEKI_ENDPOINT_REST_AFTERSHIP=file:///etc "
	         "%s track --json --carrier rest:aftership 1ZA2207X6791425225 2>&1",
	         getenv("TSK_CLI"));
	ck_assert_int_eq(tsk_test_run(cmd, &out), 1);
	ck_assert_msg(strstr(out, "\"error\":{\"code\":\"config\"") &&
	              strstr(out, "TSUISEKI_ENDPOINT_REST_AFTERSHIP"), "%s", out);
	free(out);
	snprintf(cmd, sizeof cmd, "TSUISEKI_ENDPOINT_YAMATO=garbage %s track --json --carrier yamato 249724973934 2>&1",
	         getenv("TSK_CLI"));
	ck_assert_int_eq(tsk_test_run(cmd, &out), 1);
	ck_assert_msg(strstr(out, "\"error\":{\"code\":\"config\""), "%s", out);
	free(out);
	ck_assert_uint_eq(log_lines(sim), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("security");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, redirect_within_the_origin_is_followed);
	tcase_add_test(tc, redirect_to_another_origin_is_refused);
	tcase_add_test(tc, post_redirected_to_get_is_an_http_error);
	tcase_add_test(tc, secrets_never_in_messages);
	tcase_add_test(tc, adapter_declared_secrets_never_in_messages);
	tcase_add_test(tc, cli_never_prints_secrets);
	tcase_add_test(tc, watch_state_file_is_private);
	tcase_add_test(tc, unusable_endpoint_is_a_config_error);
	tcase_add_test(tc, relative_mapping_path_is_skipped);
	tcase_add_test(tc, fifo_in_a_directory_never_blocks);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
