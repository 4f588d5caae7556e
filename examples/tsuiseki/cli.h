/*
 * The tsuiseki command-line tool: shared pieces of the verbs.
 */
#ifndef TSUISEKI_CLI_H
#define TSUISEKI_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <tsuiseki.h>

/* Exit statuses of DESIGN.md "CLI contract". */
enum { CLI_OK = 0, CLI_SOME_ERROR = 1, CLI_USAGE = 2 };

struct cli_opts {
	const char *carrier;       /* --carrier, NULL = auto */
	bool json;                 /* --json */
	bool explain;              /* --explain */
	bool have_now;             /* --now */
	tsk_time now;
	const char *mappings;      /* --mappings DIR */
	long interval;             /* --interval S (watch) */
	const char *state;         /* --state FILE (watch) */
	long max_polls;            /* --polls N (watch; 0 = until everything is final) */
	char **args;               /* positional arguments */
	int nargs;
};

/* Parse the options common to the verbs; returns CLI_OK or CLI_USAGE (message printed). */
int cli_parse_opts(struct cli_opts *o, int argc, char **argv, const char *verb, const char *allowed);
/*
 * The start every verb shares: parse the options (those in `allowed`),
 * check there are min_args..max_args positional arguments (max -1: no
 * limit; otherwise print `usage`), and set up a context. Returns CLI_OK
 * with *ctx set, or the exit status to return (everything freed).
 * Release with cli_finish().
 */
int cli_start(struct cli_opts *o, tsk_ctx **ctx, int argc, char **argv, const char *verb,
              const char *allowed, int min_args, int max_args, const char *usage);
void cli_finish(struct cli_opts *o, tsk_ctx *ctx);
/* A context set up from the options (now, mappings); NULL after printing why. */
tsk_ctx *cli_context(const struct cli_opts *o);
/* Print shipments: JSON document or the readable timeline. Returns the exit status. */
int cli_print_shipments(const tsk_shipment_list *l, const struct cli_opts *o, FILE *out);
/* The readable timeline of one shipment. */
void cli_print_shipment(const tsk_shipment *s, FILE *out, bool colour);
/* Should this stream get colours (a terminal, NO_COLOR unset)? */
bool cli_colour(FILE *f);

int cmd_track(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_carriers(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
