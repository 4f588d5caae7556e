/*
 * The tsuiseki command line as a user meets it: the built binary is run
 * with its arguments, standard input and environment, and its exit status,
 * stdout and stderr are checked — help texts, usage errors, display-width
 * alignment of Japanese text, numbers on stdin, one message per fault,
 * `parse --json` error documents, and the network defaults through the
 * loopback simulator.
 */
#define _POSIX_C_SOURCE 200809L
#include "simctl.h"

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

static char *out, *err; /* of the last run() */

static char *slurp_fd(int fd)
{
	size_t cap = 1 << 14, len = 0;
	char *buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	lseek(fd, 0, SEEK_SET);
	ssize_t n;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap)
			ck_assert_ptr_nonnull(buf = realloc(buf, cap *= 2));
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static int tmpfd(void)
{
	char name[] = "/tmp/tsk-cli-XXXXXX";
	int fd = mkstemp(name);
	ck_assert_int_ge(fd, 0);
	unlink(name);
	return fd;
}

/*
 * Run a shell command line with `input` on stdin (NULL: /dev/null);
 * stdout and stderr land in `out` and `err`. Returns the exit status.
 */
static int shell(const char *input, const char *cmd)
{
	free(out);
	free(err);
	int in = input ? tmpfd() : open("/dev/null", O_RDONLY);
	ck_assert_int_ge(in, 0);
	if (input) {
		ck_assert_int_eq(write(in, input, strlen(input)), (ssize_t)strlen(input));
		lseek(in, 0, SEEK_SET);
	}
	int o = tmpfd(), e = tmpfd();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	close(in);
	out = slurp_fd(o);
	err = slurp_fd(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* `tsuiseki ARGS` (the shell splits ARGS). */
static int run(const char *input, const char *fmt, ...)
{
	char cmd[4200] = "\"$TSK_CLI\" ";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), fmt, ap);
	va_end(ap);
	return shell(input, cmd);
}

/* A shell command line that runs "$TSK_CLI" itself (environment, script(1)). */
static int runsh(const char *input, const char *fmt, ...)
{
	char cmd[4200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return shell(input, cmd);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static size_t lines(const char *s)
{
	return count(s, "\n");
}

/* Display width the way a terminal shows it, computed here independently of
 * the CLI (which asks wcwidth): CJK, kana and full-width forms are two
 * columns, half-width katakana one. */
static int width(const char *s, size_t len)
{
	int w = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		unsigned cp;
		size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
		cp = n == 1 ? c : c & (0xFF >> (n + 1));
		for (size_t k = 1; k < n; k++)
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
		w += (cp >= 0x1100 && !(cp >= 0xFF61 && cp <= 0xFF9F)) ? 2 : 1;
		i += n;
	}
	return w;
}

/* A recorded page of tests/data (the last eight calls stay valid). */
static const char *page(const char *rel)
{
	static char paths[8][1024];
	static unsigned next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof paths[0], "%s/%s", getenv("TSK_TEST_DATA"), rel);
	return p;
}

/* ----------------------------------------------------------------- help */

START_TEST(every_verb_has_help)
{
	static const struct {
		const char *verb;
		const char *options[8];
	} verbs[] = {
		{ "track", { "--carrier", "--json", "--lang", "--color", "--now", "--timeout", "--retries", "--mappings" } },
		{ "parse", { "--carrier", "--json", "--explain", "--lang", "--color", "--now", "--mappings" } },
		{ "detect", { "--json", "--mappings" } },
		{ "watch", { "--carrier", "--interval", "--polls", "--state", "--now", "--timeout", "--mappings" } },
		{ "carriers", { "--mappings" } },
	};
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		ck_assert_int_eq(run(NULL, "%s --help", verbs[i].verb), 0);
		char prefix[64];
		snprintf(prefix, sizeof prefix, "usage: tsuiseki %s", verbs[i].verb);
		ck_assert_msg(strncmp(out, prefix, strlen(prefix)) == 0, "%s", out);
		ck_assert_str_eq(err, "");
		for (size_t k = 0; k < 8 && verbs[i].options[k]; k++) {
			char line[64];
			snprintf(line, sizeof line, "\n  %s", verbs[i].options[k]);
			ck_assert_msg(strstr(out, line), "%s --help lacks %s:\n%s", verbs[i].verb, verbs[i].options[k], out);
		}
		/* -h, help VERB, and --help after other arguments print the same */
		char *help = strdup(out);
		ck_assert_int_eq(run(NULL, "%s -h", verbs[i].verb), 0);
		ck_assert_str_eq(out, help);
		ck_assert_int_eq(run(NULL, "help %s", verbs[i].verb), 0);
		ck_assert_str_eq(out, help);
		ck_assert_int_eq(run(NULL, "%s --json --bogus 123 --help", verbs[i].verb), 0);
		ck_assert_str_eq(out, help);
		free(help);
	}
	/* options a verb does not take are not in its help */
	ck_assert_int_eq(run(NULL, "detect --help"), 0);
	ck_assert(!strstr(out, "--carrier"));
	ck_assert(strstr(out, "\"-\" reads one number per\nline from standard input"));
	ck_assert_int_eq(run(NULL, "watch --help"), 0);
	ck_assert_msg(strstr(out, "usage: tsuiseki watch [options] [NUMBER...]\n"), "%s", out);
}
END_TEST

START_TEST(global_help_version_and_unknown_command)
{
	ck_assert_int_eq(run(NULL, "--help"), 0);
	ck_assert(strstr(out, "commands:"));
	ck_assert(strstr(out, "  track "));
	ck_assert_int_eq(run(NULL, "help"), 0);
	ck_assert_int_eq(run(NULL, "-V"), 0);
	ck_assert_msg(strncmp(out, "tsuiseki 0.", 11) == 0, "%s", out);
	ck_assert_int_eq(run(NULL, "--version"), 0);
	/* an unknown command: one line, a suggestion, where the help is */
	ck_assert_int_eq(run(NULL, "trak 1"), 2);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(lines(err), 1);
	ck_assert_msg(strstr(err, "did you mean track?") && strstr(err, "tsuiseki --help"), "%s", err);
	ck_assert_int_eq(run(NULL, "frobnicate"), 2);
	ck_assert_uint_eq(lines(err), 1);
	ck_assert(!strstr(err, "did you mean"));
	ck_assert_int_eq(run(NULL, "help trak"), 2);
	ck_assert(strstr(err, "did you mean track?"));
	ck_assert_int_eq(run(NULL, ""), 2);
}
END_TEST

START_TEST(usage_errors_say_what_is_wrong)
{
	ck_assert_int_eq(run(NULL, "detect --json=no 249724973934"), 2);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(err, "--json takes no value"), "%s", err);
	ck_assert_int_eq(run(NULL, "track --carrier= 249724973934"), 2);
	ck_assert_msg(strstr(err, "--carrier needs a value"), "%s", err);
	ck_assert_int_eq(run(NULL, "track 249724973934 --carrier"), 2);
	ck_assert_msg(strstr(err, "--carrier needs a value"), "%s", err);
	ck_assert_int_eq(run(NULL, "track --carrier --json 249724973934"), 2);
	ck_assert_msg(strstr(err, "--carrier needs a value"), "%s", err);
	const char *longopt = "--an-unknown-option-much-longer-than-thirty-one-characters";
	ck_assert_int_eq(run(NULL, "track %s=1 249724973934", longopt), 2);
	ck_assert_msg(strstr(err, longopt), "the option is named in full: %s", err);
	ck_assert_int_eq(run(NULL, "track --jsn 249724973934"), 2);
	ck_assert_msg(strstr(err, "did you mean --json?"), "%s", err);
	ck_assert_int_eq(run(NULL, "detect --carrier yamato 249724973934"), 2);
	ck_assert_msg(strstr(err, "--carrier is not an option of detect"), "%s", err);
	ck_assert_int_eq(run(NULL, "track --timeout 0 249724973934"), 2);
	ck_assert_int_eq(run(NULL, "track --lang fr 249724973934"), 2);
	ck_assert_msg(strstr(err, "--lang wants one of ja|en"), "%s", err);
	ck_assert_int_eq(run(NULL, "track --color=sometimes 249724973934"), 2);
	ck_assert_int_eq(run(NULL, "track"), 2);
	ck_assert_msg(strstr(err, "no NUMBER given") && strstr(err, "usage: tsuiseki track"), "%s", err);
	ck_assert_int_eq(run(NULL, "carriers extra"), 2);
	/* parse names what is missing */
	ck_assert_int_eq(run(NULL, "parse %s", page("yamato/yamato_2009_not_found.html")), 2);
	ck_assert_msg(strstr(err, "give --carrier NAME"), "%s", err);
	ck_assert_int_eq(run(NULL, "parse --carrier auto %s", page("yamato/yamato_2009_not_found.html")), 2);
	ck_assert_msg(strstr(err, "--carrier auto cannot parse a saved page"), "%s", err);
	ck_assert_int_eq(run(NULL, "parse --carrier yamto -"), 2);
	ck_assert_msg(strstr(err, "no carrier named yamto (did you mean yamato?"), "%s", err);
	/* carrier names in any case */
	ck_assert_int_eq(run(NULL, "parse --json --carrier Yamato %s", page("yamato/synthetic_2019_delivered.html")), 0);
	ck_assert_msg(strstr(out, "\"carrier\":\"yamato\""), "%s", out);
	ck_assert_int_eq(run(NULL, "parse --json --carrier=SAGAWA %s", page("sagawa/synthetic_2022_delivered.html")), 0);
}
END_TEST

/* -------------------------------------------------------------- output */

/* The display column where the n-th run of two or more spaces ends on a line. */
static int column_after_gap(const char *line, size_t len, int n)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (line[i] == ' ' && line[i + 1] == ' ') {
			size_t j = i;
			while (j < len && line[j] == ' ')
				j++;
			if (--n == 0)
				return width(line, j);
			i = j;
		}
	}
	return -1;
}

START_TEST(carriers_hides_endpoint_credentials)
{
	ck_assert_int_eq(runsh(NULL, "TSUISEKI_ENDPOINT_YAMATO='http://shop:PW-SECRET@127.0.0.1:9/yamato?key=Q-SECRET' "
	                             "\"$TSK_CLI\" carriers"), 0);
	ck_assert_msg(!strstr(out, "SECRET") && !strstr(err, "SECRET"), "%s%s", out, err);
	ck_assert_msg(strstr(out, "http://***@127.0.0.1:9/yamato?***\n"), "%s", out);
}
END_TEST

START_TEST(columns_align_by_display_width)
{
	/* carriers: Japanese display names, the batch column at one display column */
	ck_assert_int_eq(run(NULL, "carriers"), 0);
	int col = -1;
	size_t n = 0;
	for (const char *l = out; *l; n++) {
		const char *e = strchr(l, '\n');
		const char *b = strstr(l, "batch ");
		ck_assert(b && b < e);
		int c = width(l, (size_t)(b - l));
		if (col < 0)
			col = c;
		ck_assert_msg(c == col, "batch at column %d, not %d:\n%s", c, col, out);
		l = e + 1;
	}
	ck_assert_uint_ge(n, 3);
	ck_assert(strstr(out, "ヤマト運輸"));
	/* the timeline in Japanese: statuses, the carrier's words and places line up */
	ck_assert_int_eq(run(NULL, "parse --lang ja --carrier yamato %s", page("yamato/synthetic_2019_failed_attempt_redelivery.html")),
	                 0);
	int cols[3] = { -1, -1, -1 };
	size_t events = 0;
	for (const char *l = out; *l;) {
		const char *e = strchr(l, '\n');
		if (strncmp(l, "  20", 4) == 0) { /* an event line: "  2025-12-04 11:20  ..." */
			events++;
			for (int k = 0; k < 3; k++) {
				int c = column_after_gap(l + 2, (size_t)(e - l - 2), k + 1);
				if (cols[k] < 0)
					cols[k] = c;
				ck_assert_msg(c == cols[k], "column %d at %d, not %d:\n%s", k, c, cols[k], out);
			}
		}
		l = e + 1;
	}
	ck_assert_uint_ge(events, 5);
	ck_assert_msg(strstr(out, "ご不在・持戻"), "%s", out);
}
END_TEST

START_TEST(one_time_form_language_and_colour)
{
	const char *delivered = page("yamato/synthetic_2019_delivered.html");
	ck_assert_int_eq(run(NULL, "parse --lang en --carrier yamato --now 2026-12-04T00:00:00+09:00 %s", delivered), 0);
	ck_assert_msg(strstr(out, "  delivered at 2026-12-03 14:25\n"), "%s", out);
	ck_assert_msg(strstr(out, "  2026-12-03 14:25  Delivered"), "%s", out);
	ck_assert_msg(!strstr(out, "T14:25") && !strstr(out, "+09:00"), "one readable time form:\n%s", out);
	ck_assert_msg(!strstr(out, "\033["), "no colour into a file");
	/* --lang ja, and the default from the environment */
	ck_assert_int_eq(run(NULL, "parse --lang ja --carrier yamato %s", delivered), 0);
	ck_assert_msg(strstr(out, "  配達日時 2026-12-03 14:25\n") && strstr(out, "配達完了"), "%s", out);
	ck_assert(!strstr(out, "Delivered"));
	char *ja = strdup(out);
	ck_assert_int_eq(run(NULL, "parse --carrier yamato %s", delivered), 0); /* the test runs with LANG unset */
	ck_assert(strstr(out, "Delivered"));
	setenv("LANG", "ja_JP.UTF-8", 1);
	ck_assert_int_eq(run(NULL, "parse --carrier yamato %s", delivered), 0);
	ck_assert_str_eq(out, ja);
	setenv("LC_ALL", "C", 1); /* LC_ALL wins over LANG */
	ck_assert_int_eq(run(NULL, "parse --carrier yamato %s", delivered), 0);
	ck_assert(strstr(out, "Delivered"));
	unsetenv("LC_ALL");
	unsetenv("LANG");
	free(ja);
	/* exception names too */
	ck_assert_int_eq(run(NULL, "parse --lang ja --carrier yamato %s", page("yamato/synthetic_2019_failed_attempt_redelivery.html")),
	                 0);
	ck_assert_msg(strstr(out, "! 配達できませんでした [注意]"), "%s", out);
	/* colour: asked for, or never */
	ck_assert_int_eq(run(NULL, "parse --color=always --carrier yamato %s", delivered), 0);
	ck_assert(strstr(out, "\033[32m"));
	ck_assert_int_eq(run(NULL, "parse --color never --carrier yamato %s", delivered), 0);
	ck_assert(!strstr(out, "\033["));
}
END_TEST

/* A pseudo-terminal through script(1), for what only a terminal gets. */
static bool have_script(void)
{
	return system("command -v script >/dev/null 2>&1") == 0;
}

START_TEST(colour_on_a_terminal_unless_dumb_or_no_color)
{
	if (!have_script())
		return;
	const char *delivered = page("yamato/synthetic_2019_delivered.html");
	ck_assert_int_eq(runsh(NULL, "script -qec 'TERM=xterm \"$TSK_CLI\" parse --carrier yamato %s' /dev/null",
	                     delivered), 0);
	ck_assert_msg(strstr(out, "\033[32m"), "a terminal gets colour: %s", out);
	ck_assert_int_eq(runsh(NULL, "script -qec 'TERM=dumb \"$TSK_CLI\" parse --carrier yamato %s' /dev/null",
	                     delivered), 0);
	ck_assert_msg(!strstr(out, "\033["), "TERM=dumb gets none: %s", out);
	ck_assert_int_eq(runsh(NULL, "script -qec 'TERM=xterm NO_COLOR=1 \"$TSK_CLI\" parse --carrier yamato %s' /dev/null",
	                     delivered), 0);
	ck_assert_msg(!strstr(out, "\033["), "NO_COLOR gets none: %s", out);
}
END_TEST

/* --------------------------------------------------------------- stdin */

START_TEST(numbers_from_stdin)
{
	ck_assert_int_eq(run("2497-2497-3934\n\n  EF719215461QQ \r\n", "detect"), 1);
	ck_assert_msg(strncmp(out, "249724973934: yamato", 20) == 0, "%s", out);
	ck_assert_msg(strstr(out, "EF719215461QQ: invalid: unknown S10 country code QQ\n"), "%s", out);
	ck_assert_uint_eq(lines(out), 2);
	/* "-" among other operands, in place */
	ck_assert_int_eq(run("249724973934\n", "detect 1234 - 2497-2497-3934"), 1);
	ck_assert_uint_eq(lines(out), 3);
	ck_assert_msg(strncmp(out, "1234: invalid", 13) == 0, "%s", out);
	/* "-" and nothing there; no operand and no pipe */
	ck_assert_int_eq(run("\n\n", "detect -"), 2);
	ck_assert_msg(strstr(err, "no numbers on standard input"), "%s", err);
	ck_assert_int_eq(run(NULL, "detect"), 2);
	ck_assert_int_eq(run(NULL, "track -"), 2);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run("EF719215461QQ\n", "detect --json -"), 1);
	ck_assert_msg(strstr(out, "{\"input\":\"EF719215461QQ\""), "%s", out);
}
END_TEST

/* ------------------------------------------------------ one message per fault */

START_TEST(parse_json_carries_the_error)
{
	/* a page no layout knows: one JSON document with the reason, nothing on stderr */
	ck_assert_int_eq(run(NULL, "parse --json --carrier sagawa %s", page("japanpost/synthetic_2019_held.html")), 1);
	ck_assert_str_eq(err, "");
	char e[256];
	yajl_val doc = yajl_tree_parse(out, e, sizeof e);
	ck_assert_msg(doc != NULL, "%s: %s", e, out);
	const char *code_path[] = { "error", "code", NULL }, *msg_path[] = { "error", "message", NULL };
	const char *ships_path[] = { "shipments", NULL }, *schema_path[] = { "schema", NULL };
	ck_assert_int_eq(YAJL_GET_INTEGER(yajl_tree_get(doc, schema_path, yajl_t_number)), 1);
	ck_assert_uint_eq(YAJL_GET_ARRAY(yajl_tree_get(doc, ships_path, yajl_t_array))->len, 0);
	ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(doc, code_path, yajl_t_string)), "layout_changed");
	const char *msg = YAJL_GET_STRING(yajl_tree_get(doc, msg_path, yajl_t_string));
	ck_assert_msg(strncmp(msg, "sagawa: page layout not recognised (", 36) == 0, "%s", msg);
	yajl_tree_free(doc);
	/* JSON given to an HTML adapter: a parse error quoting a short, one-line excerpt */
	ck_assert_int_eq(run(NULL, "parse --json --carrier japanpost %s", page("rest/aftership_v4_ups_delivered.json")), 1);
	doc = yajl_tree_parse(out, e, sizeof e);
	ck_assert_msg(doc != NULL, "%s: %s", e, out);
	ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(doc, code_path, yajl_t_string)), "parse");
	msg = YAJL_GET_STRING(yajl_tree_get(doc, msg_path, yajl_t_string));
	ck_assert_msg(strstr(msg, "japanpost: body is not HTML (it starts with \"{ \"meta\": {") && !strchr(msg, '\n') &&
	                  strlen(msg) < 100,
	              "%s", msg);
	yajl_tree_free(doc);
	/* without --json: the same reason, once, on stderr */
	ck_assert_int_eq(run(NULL, "parse --carrier japanpost %s", page("rest/aftership_v4_ups_delivered.json")), 1);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(lines(err), 1);
	ck_assert_int_eq(run(NULL, "parse --json --carrier yamato /nonexistent/page.html"), 1);
	ck_assert_msg(strstr(out, "\"error\":{\"code\":\"io\",\"message\":\"cannot read /nonexistent/page.html"), "%s", out);
}
END_TEST

START_TEST(not_found_has_one_shape)
{
	static const struct {
		const char *carrier, *page, *start;
	} cases[] = {
		{ "yamato", "yamato/synthetic_2019_not_registered.html", "yamato: number not registered (" },
		{ "yamato", "yamato/yamato_2009_not_found.html", "yamato: number not registered (" },
		{ "sagawa", "sagawa/synthetic_2022_not_found.html", "sagawa: number not registered (" },
		{ "japanpost", "japanpost/synthetic_2019_not_found.html", "japanpost: number not registered (" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(run(NULL, "parse --json --carrier %s %s", cases[i].carrier, page(cases[i].page)), 1);
		char e[256];
		yajl_val doc = yajl_tree_parse(out, e, sizeof e);
		ck_assert_msg(doc != NULL, "%s: %s", e, out);
		const char *ships_path[] = { "shipments", NULL };
		yajl_val ships = yajl_tree_get(doc, ships_path, yajl_t_array);
		ck_assert_uint_ge(ships->u.array.len, 1);
		const char *msg_path[] = { "error", "message", NULL };
		const char *msg = YAJL_GET_STRING(yajl_tree_get(ships->u.array.values[0], msg_path, yajl_t_string));
		ck_assert_msg(msg && strncmp(msg, cases[i].start, strlen(cases[i].start)) == 0, "%s: %s", cases[i].page, msg);
		ck_assert_msg(count(msg, cases[i].carrier) == 1 && msg[strlen(msg) - 1] == ')',
		              "the carrier named once, its words last: %s", msg);
		yajl_tree_free(doc);
	}
}
END_TEST

START_TEST(unreadable_mappings_is_one_usage_error)
{
	ck_assert_int_eq(run(NULL, "track --mappings /nonexistent/tsk-dir 249724973934"), 2);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(count(err, "/nonexistent/tsk-dir"), 1);
	ck_assert_msg(strstr(err, "--mappings /nonexistent/tsk-dir: cannot open the directory: No such file or directory"),
	              "%s", err);
}
END_TEST

START_TEST(refused_plugin_is_one_warning)
{
	ck_assert_int_eq(runsh(NULL, "TSUISEKI_CARRIER_PATH=\"$TSK_PLUGIN_DIR_FUTURE\" \"$TSK_CLI\" carriers"), 0);
	ck_assert_uint_eq(lines(err), 1);
	ck_assert_msg(strstr(err, "refused this ABI version"), "%s", err);
}
END_TEST

/* ------------------------------------------------- through the simulator */

static tsk_sim *sim;

static void sim_setup(void)
{
	sim = tsk_sim_start(getenv("TSK_SIM"), getenv("TSK_TEST_DATA"));
	ck_assert_ptr_nonnull(sim);
	char url[256];
	tsk_sim_url(sim, "/yamato/cgi-bin/tneko", url, sizeof url);
	setenv("TSUISEKI_ENDPOINT_YAMATO", url, 1);
	tsk_sim_url(sim, "/sagawa/p/web/okurijosearch.do", url, sizeof url);
	setenv("TSUISEKI_ENDPOINT_SAGAWA", url, 1);
	tsk_sim_url(sim, "/japanpost/services/srv/search/direct", url, sizeof url);
	setenv("TSUISEKI_ENDPOINT_JAPANPOST", url, 1);
}

static void sim_teardown(void)
{
	tsk_sim_stop(sim);
	sim = NULL;
}

START_TEST(track_from_stdin_and_one_note)
{
	ck_assert_int_eq(run("600078420325\n", "track --json --carrier sagawa -"), 0);
	ck_assert_msg(strstr(out, "\"tracking_number\":\"600078420325\"") && strstr(out, "\"status\":\"delivered\""),
	              "%s", out);
	/* a number two carriers know: one line about it */
	ck_assert_int_eq(run(NULL, "track --json 360477021553"), 0);
	ck_assert_uint_eq(lines(err), 1);
	ck_assert_msg(strstr(err, "360477021553 is known to"), "%s", err);
}
END_TEST

START_TEST(timeout_and_retries_bound_the_wait)
{
	char url[256];
	tsk_sim_url(sim, "/_fault/delay:20000/sagawa/p/web/okurijosearch.do", url, sizeof url);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(runsh(NULL, "TSUISEKI_ENDPOINT_SAGAWA='%s' \"$TSK_CLI\" track --json "
	                           "--carrier sagawa --timeout 1 --retries 1 600078420325", url),
	                 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(strstr(out, "\"error\":{\"code\":\"timeout\""), "%s", out);
	ck_assert_msg(strstr(out, "after 2 attempts"), "one retry: %s", out);
	ck_assert_msg(s >= 2.0 && s < 10.0, "two attempts of 1 s took %.1f s", s);
	/* the default is one retry too (two attempts of at most 8 s: an answer within about 20 s) */
	ck_assert_int_eq(runsh(NULL, "TSUISEKI_ENDPOINT_SAGAWA='%s' \"$TSK_CLI\" track --json --carrier sagawa --timeout 1 "
	                           "600078420325", url),
	                 1);
	ck_assert_msg(strstr(out, "\"code\":\"timeout\"") && strstr(out, "after 2 attempts"), "%s", out);
	ck_assert_int_eq(run(NULL, "track --help"), 0);
	ck_assert_msg(strstr(out, "(default 8)") && strstr(out, "(default 1)"), "%s", out);
}
END_TEST

START_TEST(long_retry_after_is_rate_limited_with_the_wait)
{
	/* the CLI waits at most 3 s between attempts: a longer Retry-After is
	 * rate_limited at once, saying how long the carrier asks to wait */
	char url[256];
	tsk_sim_url(sim, "/_fault/429:30/sagawa/p/web/okurijosearch.do", url, sizeof url);
	ck_assert_int_eq(runsh(NULL, "TSUISEKI_ENDPOINT_SAGAWA='%s' \"$TSK_CLI\" track --json --carrier sagawa "
	                           "600078420325", url),
	                 1);
	ck_assert_msg(strstr(out, "\"error\":{\"code\":\"rate_limited\"") && strstr(out, "wait 30 s") &&
	                  strstr(out, "longer than the 3 s") && strstr(out, "after 1 attempt"),
	              "%s", out);
}
END_TEST

START_TEST(auto_says_every_candidate_failed)
{
	/* nothing listens on port 9: every candidate fails */
	ck_assert_int_eq(runsh(NULL, "TSUISEKI_ENDPOINT_YAMATO=http://127.0.0.1:9/y "
	                           "TSUISEKI_ENDPOINT_SAGAWA=http://127.0.0.1:9/s TSUISEKI_ENDPOINT_JAPANPOST=http://127.0.0.1:9/j "
	                           "\"$TSK_CLI\" track --retries 0 249724973934"),
	                 1);
	ck_assert_msg(strstr(out, "none of the 3 carriers asked answered: yamato: ") && strstr(out, "; sagawa: ") &&
	                  strstr(out, "; japanpost: "),
	              "%s", out);
}
END_TEST

START_TEST(progress_line_on_a_terminal_only)
{
	/* 25 numbers: more than one chunk of 20 */
	char numbers[512] = "";
	for (int i = 0; i < 25; i++)
		snprintf(numbers + strlen(numbers), sizeof numbers - strlen(numbers), " 9999%08d", i);
	ck_assert_int_eq(run(NULL, "track --json --carrier yamato%s", numbers), 1);
	ck_assert_msg(!strstr(err, "tracked"), "no progress into a file: %s", err);
	if (!have_script())
		return;
	ck_assert_int_eq(runsh(NULL, "script -qec '\"$TSK_CLI\" track --carrier yamato%s' /dev/null",
	                     numbers), 1);
	ck_assert_msg(strstr(out, "tracked 20 of 25"), "%s", out);
}
END_TEST

START_TEST(watch_reads_numbers_from_stdin)
{
	ck_assert_int_eq(run("6230-2386-6161\n", "watch --carrier yamato --polls 1 -"), 0);
	ck_assert_msg(count(out, "\"type\":\"new_event\"") >= 1 && strstr(out, "\"tracking_number\":\"623023866161\""),
	              "%s", out);
	ck_assert_int_eq(run(NULL, "watch --carrier yamato"), 2);
	ck_assert_msg(strstr(err, "nothing to watch") && strstr(err, "usage: tsuiseki watch [options] [NUMBER...]"), "%s",
	              err);
}
END_TEST

START_TEST(demo_runs_from_any_directory)
{
	/* the build directory is taken from where the demo is run, and the advice works from there */
	ck_assert_int_eq(runsh(NULL, "cd / && bash \"$TSK_SOURCE/examples/demo.sh\" no-such-build"), 2);
	char advice[2048];
	snprintf(advice, sizeof advice, "meson setup no-such-build %s && ninja -C no-such-build", getenv("TSK_SOURCE"));
	ck_assert_msg(strstr(err, advice), "%s", err);
	/* piped: plain step headers, no escape codes */
	ck_assert_int_eq(runsh(NULL, "cd \"$TSK_BUILD\" && bash \"$TSK_SOURCE/examples/demo.sh\" ."), 0);
	ck_assert_msg(strstr(out, "\n$ tsuiseki carriers\n") && !strchr(out, '\033'), "%s", out);
}
END_TEST

int main(void)
{
	unsetenv("LANG");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("NO_COLOR");
	unsetenv("TSUISEKI_CARRIER_PATH");
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("offline");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_verb_has_help);
	tcase_add_test(tc, global_help_version_and_unknown_command);
	tcase_add_test(tc, usage_errors_say_what_is_wrong);
	tcase_add_test(tc, columns_align_by_display_width);
	tcase_add_test(tc, carriers_hides_endpoint_credentials);
	tcase_add_test(tc, one_time_form_language_and_colour);
	tcase_add_test(tc, colour_on_a_terminal_unless_dumb_or_no_color);
	tcase_add_test(tc, numbers_from_stdin);
	tcase_add_test(tc, parse_json_carries_the_error);
	tcase_add_test(tc, not_found_has_one_shape);
	tcase_add_test(tc, unreadable_mappings_is_one_usage_error);
	tcase_add_test(tc, refused_plugin_is_one_warning);
	suite_add_tcase(s, tc);
	TCase *net = tcase_create("simulator");
	tcase_add_checked_fixture(net, sim_setup, sim_teardown);
	tcase_set_timeout(net, 120);
	tcase_add_test(net, track_from_stdin_and_one_note);
	tcase_add_test(net, timeout_and_retries_bound_the_wait);
	tcase_add_test(net, long_retry_after_is_rate_limited_with_the_wait);
	tcase_add_test(net, auto_says_every_candidate_failed);
	tcase_add_test(net, progress_line_on_a_terminal_only);
	tcase_add_test(net, watch_reads_numbers_from_stdin);
	tcase_add_test(net, demo_runs_from_any_directory);
	suite_add_tcase(s, net);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
