/*
 * Options, help, standard input and context set-up shared by the verbs.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPT(field) offsetof(struct cli_opts, field)

/* Every option of every verb; a verb accepts those its cli_verbs[] row names. */
const struct cli_option cli_options[] = {
	{ "--carrier", "NAME|auto", CLI_STRING, OPT(carrier), 0,
	  "a carrier (any case), or auto: ask the likely ones" },
	{ "--json", NULL, CLI_FLAG, OPT(json), 0, "one JSON document instead of the readable view" },
	{ "--explain", NULL, CLI_FLAG, OPT(explain), 0, "say which page layout each shipment was read with" },
	{ "--lang", "ja|en", CLI_CHOICE, OPT(lang), 0,
	  "statuses in Japanese or English (default: LANG)" },
	{ "--color", "auto|always|never", CLI_CHOICE, OPT(colour), 0,
	  "auto: on a terminal, unless TERM=dumb or NO_COLOR" },
	{ "--now", "TIME", CLI_TIME, OPT(now), 0,
	  "reference time, RFC 3339 (default: the clock)" },
	{ "--timeout", "S", CLI_LONG, OPT(timeout), 1, "seconds one request may take (default 8)" },
	{ "--retries", "N", CLI_LONG, OPT(retries), 0, "retries of a failed request (default 1)" },
	{ "--mappings", "DIR", CLI_STRING, OPT(mappings), 0, "also load the REST API mappings (*.json) in DIR" },
	{ "--interval", "S", CLI_LONG, OPT(interval), 1, "poll at most every S seconds (default 900)" },
	{ "--polls", "N", CLI_LONG, OPT(max_polls), 0, "stop after N polls (default 0: when all are final)" },
	{ "--state", "FILE", CLI_STRING, OPT(state), 0, "keep the snapshots in FILE between runs" },
	{ "--db", "PATH", CLI_STRING, OPT(db), 0,
	  "the fleet database (default: $TSUISEKI_DB, else $XDG_STATE_HOME/tsuiseki/fleet.db)" },
	{ "--ref", "REF", CLI_STRING, OPT(ref), 0, "the shop's reference, e.g. an order id" },
	{ "--status", "STATUS", CLI_STRING, OPT(status_filter), 0,
	  "only shipments with this status (delivered...) or state (active, retired, gave_up)" },
	{ "--once", NULL, CLI_FLAG, OPT(once), 0, "poll what is due now, then exit" },
	{ "--follow", NULL, CLI_FLAG, OPT(follow), 0, "keep waiting for new notifications (Ctrl-C ends)" },
	{ "--rate", "CARRIER=N,...", CLI_STRING, OPT(rate), 0,
	  "at most N requests per second to CARRIER (as TSUISEKI_RATE_<CARRIER>)" },
	{ "--parallel", "CARRIER=N,...", CLI_STRING, OPT(parallel), 0,
	  "at most N requests at once to CARRIER (as TSUISEKI_PARALLEL_<CARRIER>)" },
	{ NULL, NULL, CLI_FLAG, 0, 0, NULL },
};

/* The CLI's network defaults: a person at a terminal hears back within about 20 s
 * (two attempts of 8 s, a capped backoff between them). */
enum { DEFAULT_TIMEOUT_S = 8, DEFAULT_CONNECT_TIMEOUT_S = 5, DEFAULT_RETRIES = 1, MAX_RETRY_WAIT_MS = 3000 };

/* ------------------------------------------------------------------ help */

/* Does the space-separated list hold this word? */
static bool list_has(const char *list, const char *word, size_t len)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " |");
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
		p += strspn(p, " |");
	}
	return false;
}

static const struct cli_option *find_option(const char *name, size_t len)
{
	for (const struct cli_option *opt = cli_options; opt->name; opt++)
		if (strlen(opt->name) == len && strncmp(opt->name, name, len) == 0)
			return opt;
	return NULL;
}

void cli_usage(FILE *f)
{
	fputs("usage: tsuiseki <command> [options] [operands]\n\ncommands:\n", f);
	int width = 0;
	for (size_t i = 0; i < cli_verb_count; i++)
		if ((int)strlen(cli_verbs[i].name) > width)
			width = (int)strlen(cli_verbs[i].name);
	for (size_t i = 0; i < cli_verb_count; i++)
		fprintf(f, "  %-*s  %s\n", width, cli_verbs[i].name, cli_verbs[i].summary);
	fputs("\n"
	      "  tsuiseki help COMMAND, or tsuiseki COMMAND --help: the command's options.\n"
	      "  tsuiseki --version (-V): the version.\n"
	      "\n"
	      "Endpoints can be redirected with TSUISEKI_ENDPOINT_<CARRIER>=URL; JSON\n"
	      "mappings load from TSUISEKI_MAPPING_PATH, plugins from TSUISEKI_CARRIER_PATH.\n"
	      "Exit status: 0 all answered, 1 some shipment has an error, 2 usage error,\n"
	      "130 interrupted.\n",
	      f);
}

void cli_verb_help(const struct cli_verb *v, FILE *f)
{
	fprintf(f, "usage: tsuiseki %s%s%s%s\n", v->name, v->options[0] ? " [options]" : "",
	        v->operands[0] ? " " : "", v->operands);
	fprintf(f, "%c%s.\n", v->summary[0] - ('a' <= v->summary[0] && v->summary[0] <= 'z' ? 32 : 0),
	        v->summary + 1);
	int width = (int)strlen("-h, --help");
	for (const struct cli_option *opt = cli_options; opt->name; opt++) {
		int w = (int)(strlen(opt->name) + (opt->metavar ? strlen(opt->metavar) + 1 : 0));
		if (list_has(v->options, opt->name, strlen(opt->name)) && w > width)
			width = w;
	}
	fputs("\noptions:\n", f);
	for (const struct cli_option *opt = cli_options; opt->name; opt++) {
		if (!list_has(v->options, opt->name, strlen(opt->name)))
			continue;
		int w = fprintf(f, "  %s%s%s", opt->name, opt->metavar ? " " : "", opt->metavar ? opt->metavar : "");
		fprintf(f, "%*s  %s\n", width + 2 - w, "", opt->help);
	}
	fprintf(f, "  %-*s  %s\n", width, "-h, --help", "this help");
	if (v->help)
		fprintf(f, "\n%s", v->help);
}

void cli_usage_error(const struct cli_verb *v, const char *fmt, ...)
{
	fprintf(stderr, "tsuiseki %s: ", v->name);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, "usage: tsuiseki %s%s%s%s  (see tsuiseki %s --help)\n", v->name,
	        v->options[0] ? " [options]" : "", v->operands[0] ? " " : "", v->operands, v->name);
}

/* Edit distance of two short strings (insertions, deletions, substitutions, swaps). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *cli_suggest(const char *word, const char *const *names, size_t count)
{
	const char *best = NULL;
	size_t best_d = 3; /* at most two edits, and fewer than the word has letters */
	size_t len = strlen(word);
	for (size_t i = 0; i < count; i++) {
		size_t d = distance(word, names[i]);
		if (d < best_d && d < len) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}

/* --------------------------------------------------------------- options */

static bool is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

static void unknown_option(const struct cli_verb *v, const char *a, size_t len)
{
	const char *names[sizeof cli_options / sizeof cli_options[0]];
	size_t n = 0;
	for (const struct cli_option *opt = cli_options; opt->name; opt++)
		if (list_has(v->options, opt->name, strlen(opt->name)))
			names[n++] = opt->name;
	char *word = strndup(a, len);
	const char *near = word ? cli_suggest(word, names, n) : NULL;
	free(word);
	if (find_option(a, len))
		cli_usage_error(v, "%.*s is not an option of %s", (int)len, a, v->name);
	else if (near)
		cli_usage_error(v, "unknown option %.*s (did you mean %s?)", (int)len, a, near);
	else
		cli_usage_error(v, "unknown option %.*s", (int)len, a);
}

/* Store one option's value; false after printing why it is refused. */
static bool set_option(struct cli_opts *o, const struct cli_verb *v, const struct cli_option *opt,
                       const char *value)
{
	void *field = (char *)o + opt->offset;
	switch (opt->kind) {
	case CLI_FLAG:
		*(bool *)field = true;
		return true;
	case CLI_STRING:
		*(const char **)field = value;
		return true;
	case CLI_CHOICE:
		for (const char *p = opt->metavar; *p;) {
			size_t n = strcspn(p, "|");
			if (strlen(value) == n && strncasecmp(p, value, n) == 0) {
				*(const char **)field = p; /* the table's spelling, up to the next '|' */
				return true;
			}
			p += n + (p[n] == '|');
		}
		cli_usage_error(v, "%s wants one of %s, not %s", opt->name, opt->metavar, value);
		return false;
	case CLI_LONG: {
		char *end;
		errno = 0;
		long n = strtol(value, &end, 10);
		if (*end || errno || n < opt->min) {
			cli_usage_error(v, "%s wants a whole number of at least %ld, not %s", opt->name, opt->min, value);
			return false;
		}
		*(long *)field = n;
		return true;
	}
	case CLI_TIME:
		if (tsk_time_parse_rfc3339((tsk_time *)field, value) != TSK_OK) {
			cli_usage_error(v, "%s wants RFC 3339 (2024-12-03T14:25:00+09:00), not %s", opt->name, value);
			return false;
		}
		o->have_now = true;
		return true;
	}
	return false;
}

/* The word of a CLI_CHOICE field (which points into the metavar) as its own string. */
static bool choice_is(const char *field, const char *word)
{
	size_t n = strlen(word);
	return field && strncmp(field, word, n) == 0 && (field[n] == '\0' || field[n] == '|');
}

bool cli_parse_opts(struct cli_opts *o, const struct cli_verb *v, int argc, char **argv, int *status)
{
	memset(o, 0, sizeof *o);
	o->retries = -1;
	*status = CLI_USAGE;
	/* help wins over everything else on the line (before a "--") */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help(argv[i])) {
			cli_verb_help(v, stdout);
			*status = CLI_OK;
			return false;
		}
	o->args = calloc((size_t)argc + 1, sizeof *o->args);
	if (!o->args) {
		fprintf(stderr, "tsuiseki: out of memory\n");
		*status = CLI_SOME_ERROR;
		return false;
	}
	bool options_done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
			o->args[o->nargs++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options_done = true;
			continue;
		}
		size_t len = strcspn(a, "=");
		const struct cli_option *opt = a[1] == '-' ? find_option(a, len) : NULL;
		if (!opt || !list_has(v->options, opt->name, strlen(opt->name))) {
			unknown_option(v, a, len);
			goto fail;
		}
		const char *value = a[len] == '=' ? a + len + 1 : NULL;
		if (opt->kind == CLI_FLAG) {
			if (value) {
				cli_usage_error(v, "%s takes no value (got %s)", opt->name, a);
				goto fail;
			}
		} else if (!value) {
			if (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-')) {
				cli_usage_error(v, "%s needs a value: %s %s", opt->name, opt->name, opt->metavar);
				goto fail;
			}
			value = argv[++i];
		}
		if (value && !*value) {
			cli_usage_error(v, "%s needs a value, not an empty one: %s %s", opt->name, opt->name,
			                opt->metavar);
			goto fail;
		}
		if (!set_option(o, v, opt, value))
			goto fail;
	}
	*status = CLI_OK;
	return true;
fail:
	free(o->args);
	o->args = NULL;
	return false;
}

/* ---------------------------------------------------------- numbers on stdin */

char *cli_read_all(FILE *f, size_t *len_out)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 == cap) {
			char *n = cap < CLI_MAX_INPUT ? realloc(buf, cap * 2) : NULL;
			if (!n) {
				int e = cap < CLI_MAX_INPUT ? ENOMEM : EFBIG;
				free(buf);
				errno = e;
				return NULL;
			}
			buf = n;
			cap *= 2;
		}
		size_t got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (buf && ferror(f)) {
		int e = errno ? errno : EIO;
		free(buf);
		errno = e;
		return NULL;
	}
	if (buf)
		buf[len] = '\0';
	else
		errno = ENOMEM;
	*len_out = len;
	return buf;
}

/* Is standard input something to read numbers from without being asked ("-")? */
static bool stdin_has_data(void)
{
	struct stat st;
	return fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode));
}

/*
 * Replace the operand "-" (or, when `implicit`, the empty operand list) by
 * the lines of standard input: one number per line, surrounding blanks
 * trimmed, blank lines skipped. False after printing why.
 */
static bool read_stdin_numbers(struct cli_opts *o, const struct cli_verb *v, bool implicit)
{
	size_t len = 0;
	char *buf = cli_read_all(stdin, &len);
	if (!buf) {
		fprintf(stderr, "tsuiseki %s: cannot read standard input: %s\n", v->name,
		        errno == EFBIG ? "more than 64 MiB" : strerror(errno));
		return false;
	}
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	char **args = calloc((size_t)o->nargs + lines + 1, sizeof *args);
	if (!args) {
		free(buf);
		fprintf(stderr, "tsuiseki: out of memory\n");
		return false;
	}
	int n = 0, from_stdin = 0;
	bool read_once = false;
	for (int i = 0; i < o->nargs || (implicit && !read_once); i++) {
		if (!implicit && strcmp(o->args[i], "-") != 0) {
			args[n++] = o->args[i];
			continue;
		}
		if (read_once)
			continue; /* a second "-": standard input is already read */
		read_once = true;
		for (char *line = buf, *next; line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			while (*line == ' ' || *line == '\t')
				line++;
			size_t l = strlen(line);
			while (l && (line[l - 1] == ' ' || line[l - 1] == '\t' || line[l - 1] == '\r'))
				line[--l] = '\0';
			if (l) {
				args[n++] = line;
				from_stdin++;
			}
		}
	}
	free(o->args);
	o->args = args;
	o->nargs = n;
	o->input = buf;
	if (from_stdin == 0 && !implicit) {
		cli_usage_error(v, "no numbers on standard input (\"-\" reads one number per line)");
		return false;
	}
	return true;
}

/* --------------------------------------------------------------- context */

static void log_to_stderr(int level, const char *message, void *userdata)
{
	(void)userdata;
	if (level <= 1)
		fprintf(stderr, "tsuiseki: %s: %s\n", level == 0 ? "error" : "warning", message);
}

/* The language of LC_ALL, LC_MESSAGES or LANG (the first set): "ja" or "en". */
static const char *lang_from_environment(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strncmp(v, "ja", 2) == 0 ? "ja" : "en";
	}
	return "en";
}

/* --carrier in the registry's spelling (any case); false after printing why. */
static bool resolve_carrier(struct cli_opts *o, const struct cli_verb *v, tsk_ctx *ctx)
{
	if (!o->carrier)
		return true;
	if (strcasecmp(o->carrier, "auto") == 0) {
		o->carrier = NULL;
		o->carrier_auto = true;
		return true;
	}
	size_t n = tsk_ctx_carrier_count(ctx);
	const char **names = calloc(n + 1, sizeof *names);
	for (size_t i = 0; i < n; i++) {
		const tsk_adapter *a = tsk_ctx_carrier_at(ctx, i);
		if (strcasecmp(a->name, o->carrier) == 0) {
			o->carrier = a->name;
			free(names);
			return true;
		}
		if (names)
			names[i] = a->name;
	}
	const char *near = names ? cli_suggest(o->carrier, names, n) : NULL;
	if (near)
		cli_usage_error(v, "no carrier named %s (did you mean %s? see tsuiseki carriers)", o->carrier, near);
	else
		cli_usage_error(v, "no carrier named %s (see tsuiseki carriers)", o->carrier);
	free(names);
	return false;
}

tsk_ctx *cli_context(struct cli_opts *o, const struct cli_verb *v, int *status)
{
	*status = CLI_SOME_ERROR;
	if (o->mappings) {
		/* a directory named on the command line that cannot be read is the user's mistake */
		DIR *d = opendir(o->mappings);
		if (!d) {
			cli_usage_error(v, "--mappings %s: cannot open the directory: %s", o->mappings, strerror(errno));
			*status = CLI_USAGE;
			return NULL;
		}
		closedir(d);
	}
	tsk_ctx *ctx = NULL;
	int rc = tsk_ctx_new(&ctx, 0);
	if (rc != TSK_OK) {
		fprintf(stderr, "tsuiseki: cannot create a context: %s\n", tsk_strerror(rc));
		return NULL;
	}
	if (o->have_now)
		tsk_ctx_set_now(ctx, &o->now);
	/* every broken mapping is listed once below, so they load before the log is on */
	if (o->mappings)
		tsk_ctx_load_mappings_dir(ctx, o->mappings);
	tsk_ctx_set_log_fn(ctx, log_to_stderr, NULL);
	tsk_ctx_load_plugin_path(ctx, NULL);
	for (size_t i = 0; i < tsk_ctx_mapping_error_count(ctx); i++)
		fprintf(stderr, "tsuiseki: warning: mapping not loaded: %s\n", tsk_ctx_mapping_error_at(ctx, i));
	long timeout = o->timeout ? o->timeout : DEFAULT_TIMEOUT_S;
	long connect = timeout < DEFAULT_CONNECT_TIMEOUT_S ? timeout : DEFAULT_CONNECT_TIMEOUT_S;
	tsk_ctx_set_option(ctx, TSK_OPT_TIMEOUT_MS, timeout * 1000);
	tsk_ctx_set_option(ctx, TSK_OPT_CONNECT_TIMEOUT_MS, connect * 1000);
	tsk_ctx_set_option(ctx, TSK_OPT_MAX_RETRIES, o->retries >= 0 ? o->retries : DEFAULT_RETRIES);
	tsk_ctx_set_option(ctx, TSK_OPT_RETRY_MAX_MS, MAX_RETRY_WAIT_MS);
	if (!resolve_carrier(o, v, ctx)) {
		tsk_ctx_free(ctx);
		*status = CLI_USAGE;
		return NULL;
	}
	*status = CLI_OK;
	return ctx;
}

bool cli_start(struct cli_opts *o, tsk_ctx **ctx, const struct cli_verb *v, int argc, char **argv,
               int *status)
{
	*ctx = NULL;
	if (!cli_parse_opts(o, v, argc, argv, status))
		return false;
	if (!o->lang)
		o->lang = lang_from_environment();
	else
		o->lang = choice_is(o->lang, "ja") ? "ja" : "en";
	if (v->numbers) {
		bool dash = false;
		for (int i = 0; i < o->nargs; i++)
			dash |= strcmp(o->args[i], "-") == 0;
		/* with no operands, a pipe is read — unless the verb has other work (watch --state) */
		bool implicit = o->nargs == 0 && (v->min_args > 0 || !o->state) && stdin_has_data();
		if ((dash || implicit) && !read_stdin_numbers(o, v, implicit)) {
			*status = CLI_USAGE;
			goto fail;
		}
	}
	if (o->nargs < v->min_args) {
		cli_usage_error(v, "%s", v->numbers ? "no NUMBER given (nor on standard input)" : "an operand is missing");
		*status = CLI_USAGE;
		goto fail;
	}
	if (v->max_args >= 0 && o->nargs > v->max_args) {
		cli_usage_error(v, "too many operands (%s takes %s)", v->name, v->operands[0] ? v->operands : "none");
		*status = CLI_USAGE;
		goto fail;
	}
	if ((*ctx = cli_context(o, v, status)))
		return true;
fail:
	free(o->args);
	free(o->input);
	return false;
}

void cli_finish(struct cli_opts *o, tsk_ctx *ctx)
{
	tsk_ctx_free(ctx);
	free(o->args);
	free(o->input);
}

/* Length of the well-formed UTF-8 sequence at p (0: not one). */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xF5 ? 0 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	/* overlong and surrogate forms */
	if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
	    (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
		return 0;
	return n;
}

/* JSON string literal (the input may hold anything the user typed: a byte
 * that is not UTF-8 is written as U+FFFD, so the document stays valid). */
void cli_put_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			fprintf(out, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7F) {
			fprintf(out, "\\u%04x", *p);
		} else if (*p < 0x80) {
			fputc(*p, out);
		} else {
			size_t n = utf8_len(p);
			if (n == 0) {
				fputs("\\ufffd", out);
				continue;
			}
			fwrite(p, 1, n, out);
			p += n - 1;
		}
	}
	fputc('"', out);
}

bool cli_colour(const struct cli_opts *o, FILE *f)
{
	if (choice_is(o->colour, "always"))
		return true;
	if (choice_is(o->colour, "never"))
		return false;
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	return isatty(fileno(f)) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
}
