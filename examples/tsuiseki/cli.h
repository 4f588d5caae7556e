/*
 * The tsuiseki command-line tool: shared pieces of the verbs.
 *
 * Two tables drive the command line: cli_options[] (common.c) lists every
 * option once — its name, its value's name, where it is stored in struct
 * cli_opts and one line of help — and cli_verbs[] (main.c) lists every verb
 * with the options it accepts, its operands and its help. Parsing, the
 * usage line, `tsuiseki VERB --help`, `tsuiseki help VERB` and the
 * "did you mean" hints all come from these two tables, so a new verb is one
 * row in cli_verbs[] (plus rows in cli_options[] for new options) and one
 * cmd_ function that starts with cli_start().
 */
#ifndef TSUISEKI_CLI_H
#define TSUISEKI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <tsuiseki.h>

/* Exit statuses of DESIGN.md "CLI contract" (130: interrupted, the shell's 128 + SIGINT). */
enum { CLI_OK = 0, CLI_SOME_ERROR = 1, CLI_USAGE = 2, CLI_INTERRUPTED = 130 };

/* Everything the options can set; the fields options fill are named in cli_options[]. */
struct cli_opts {
	const char *carrier;       /* --carrier, the registry's spelling; NULL = auto */
	bool carrier_auto;         /* --carrier auto was given explicitly */
	bool json;                 /* --json */
	bool explain;              /* --explain */
	bool have_now;             /* --now */
	tsk_time now;
	const char *mappings;      /* --mappings DIR */
	long interval;             /* --interval S (watch; 0 = not given) */
	const char *state;         /* --state FILE (watch) */
	long max_polls;            /* --polls N (watch; 0 = until everything is final) */
	const char *lang;          /* --lang ja|en, default from LC_ALL / LC_MESSAGES / LANG */
	const char *colour;        /* --color auto|always|never */
	long timeout;              /* --timeout S per attempt (0 = the CLI's default) */
	long retries;              /* --retries N (-1 = the CLI's default) */
	const char *db;            /* --db PATH (fleet verbs) */
	const char *ref;           /* --ref REF: the shop's reference (add, list) */
	const char *status_filter; /* --status STATUS (list) */
	bool once;                 /* --once (run) */
	bool follow;               /* --follow (notifications) */
	bool lang_given;           /* --lang was on the command line (not from LANG) */
	const char *rate;          /* --rate CARRIER=N[,...]: requests per second per carrier */
	const char *parallel;      /* --parallel CARRIER=N[,...]: requests in flight per carrier */
	char **args;               /* positional arguments (numbers read from stdin included) */
	int nargs;
	char *input;               /* what was read from stdin (args point into it) */
};

/* How an option's value is stored in struct cli_opts. */
enum cli_kind {
	CLI_FLAG,   /* bool; refuses --flag=value */
	CLI_STRING, /* const char *, non-empty */
	CLI_CHOICE, /* const char *, one of the '|'-separated words of the metavar (any case) */
	CLI_LONG,   /* long >= min */
	CLI_TIME,   /* tsk_time, RFC 3339; sets have_now */
};

struct cli_option {
	const char *name;     /* "--carrier" */
	const char *metavar;  /* "NAME|auto"; NULL for a flag */
	enum cli_kind kind;
	size_t offset;        /* offsetof(struct cli_opts, field) */
	long min;             /* CLI_LONG: smallest value accepted */
	const char *help;     /* one line */
};
extern const struct cli_option cli_options[];

struct cli_verb {
	const char *name;
	int (*run)(const struct cli_verb *v, int argc, char **argv);
	const char *operands; /* "NUMBER...", "FILE|-", "" */
	const char *options;  /* the options it accepts, space separated: "--carrier --json" */
	int min_args, max_args; /* positional operands (max -1: no limit) */
	bool numbers;         /* operands are tracking numbers: "-" or a pipe reads them from stdin */
	const char *summary;  /* one line for `tsuiseki --help` */
	const char *help;     /* paragraphs for `tsuiseki VERB --help`, or NULL */
};
extern const struct cli_verb cli_verbs[];
extern const size_t cli_verb_count;

/* The global help (`tsuiseki --help`). */
void cli_usage(FILE *f);
/* One verb's help (`tsuiseki VERB --help`, `tsuiseki help VERB`). */
void cli_verb_help(const struct cli_verb *v, FILE *f);
/* The closest of `count` names to `word`, or NULL when none is close. */
const char *cli_suggest(const char *word, const char *const *names, size_t count);

/*
 * Parse a verb's options into *o. Returns true to go on; false with
 * *status set when the run ends here (help printed: 0; a usage error
 * printed: 2). On true, release *o with cli_finish().
 */
bool cli_parse_opts(struct cli_opts *o, const struct cli_verb *v, int argc, char **argv, int *status);
/*
 * The start every verb shares: parse the options, read numbers from
 * stdin when the verb takes numbers and "-" is given (or none is given and
 * stdin is a pipe or a file), check the operand count, and set up a
 * context. Returns true with *ctx set; false with *status the exit status
 * (everything freed). Release with cli_finish().
 */
bool cli_start(struct cli_opts *o, tsk_ctx **ctx, const struct cli_verb *v, int argc, char **argv,
               int *status);
void cli_finish(struct cli_opts *o, tsk_ctx *ctx);
/* A context set up from the options; NULL after printing why, *status the exit status. */
tsk_ctx *cli_context(struct cli_opts *o, const struct cli_verb *v, int *status);
/* "usage: tsuiseki VERB [options] OPERANDS" and where the help is, on stderr. */
void cli_usage_error(const struct cli_verb *v, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Print shipments: JSON document or the readable timeline. Returns the exit status. */
int cli_print_shipments(const tsk_shipment_list *l, const struct cli_opts *o, FILE *out);
/* The readable timeline of one shipment. */
void cli_print_shipment(const tsk_shipment *s, const struct cli_opts *o, FILE *out, bool colour);
/* The most a verb reads from a file or stdin. */
#define CLI_MAX_INPUT ((size_t)64 << 20)
/* Everything in f, NUL-terminated; NULL with errno set (EFBIG: more than CLI_MAX_INPUT). */
char *cli_read_all(FILE *f, size_t *len_out);
/* A JSON string literal of s (any bytes the user typed). */
void cli_put_json_string(FILE *out, const char *s);
/* Display columns of UTF-8 text (East Asian wide characters count two). */
int cli_display_width(const char *s);
/* Print s and pad it with spaces to `width` display columns. */
void cli_put_padded(FILE *out, const char *s, int width);
/* Should this stream get colours (--color, a terminal, TERM not dumb, NO_COLOR unset)? */
bool cli_colour(const struct cli_opts *o, FILE *f);

int cmd_track(const struct cli_verb *v, int argc, char **argv);
int cmd_parse(const struct cli_verb *v, int argc, char **argv);
int cmd_detect(const struct cli_verb *v, int argc, char **argv);
int cmd_carriers(const struct cli_verb *v, int argc, char **argv);
int cmd_watch(const struct cli_verb *v, int argc, char **argv);
/* Apply --rate and --parallel to the context; false after printing why. */
bool cli_apply_politeness(const struct cli_opts *o, tsk_ctx *ctx, const struct cli_verb *v);
int cmd_add(const struct cli_verb *v, int argc, char **argv);
int cmd_list(const struct cli_verb *v, int argc, char **argv);
int cmd_run(const struct cli_verb *v, int argc, char **argv);
int cmd_notifications(const struct cli_verb *v, int argc, char **argv);

#endif
