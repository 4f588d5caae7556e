/*
 * tsuiseki — track parcels from the command line.
 *
 * The verbs and what they accept are the table below; `tsuiseki --help`
 * and `tsuiseki VERB --help` print it.
 */
#include "cli.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#define NUMBERS_HELP                                                                               \
	"NUMBER may be typed with hyphens or spaces. \"-\" reads one number per line from standard\n" \
	"input (blank lines skipped); with no NUMBER and standard input a pipe or a file, the\n"      \
	"numbers come from there.\n"

const struct cli_verb cli_verbs[] = {
	{ "track", cmd_track, "NUMBER...",
	  "--carrier --json --lang --color --now --timeout --retries --mappings", 1, -1, true,
	  "query the carriers and print each shipment's timeline",
	  NUMBERS_HELP
	  "\n"
	  "Without --carrier (or with --carrier auto) every carrier the number may belong to is\n"
	  "asked, and the one that knows it answers. --json prints one document\n"
	  "{\"schema\":1,\"shipments\":[...]}, each shipment with an \"error\" (null when answered).\n" },
	{ "parse", cmd_parse, "FILE|-", "--carrier --json --explain --lang --color --now --mappings", 1, 1,
	  false, "parse a saved carrier page or API response (no network)",
	  "--carrier NAME is required: a saved page does not say whose it is (see tsuiseki carriers).\n"
	  "FILE \"-\" reads the page from standard input. With --json a page that cannot be\n"
	  "parsed still prints one document, with the reason in its \"error\" object.\n" },
	{ "detect", cmd_detect, "NUMBER...", "--json --mappings", 1, -1, true,
	  "which carriers a number may belong to, best first (no network)", NUMBERS_HELP },
	{ "watch", cmd_watch, "[NUMBER...]",
	  "--carrier --interval --polls --state --now --timeout --retries --mappings", 0, -1, true,
	  "poll politely and print each change as one JSON line",
	  NUMBERS_HELP
	  "\n"
	  "With --state FILE the snapshots are kept between runs, and with no NUMBER the numbers\n"
	  "the state file holds are watched. Polling stops when every shipment is delivered or\n"
	  "returned, after --polls N polls, or on Ctrl-C.\n" },
	{ "add", cmd_add, "NUMBER...", "--db --carrier --ref --lang --now --mappings", 1, -1, true,
	  "add shipments to the fleet (the database of shipments tracked over time)",
	  NUMBERS_HELP
	  "\n"
	  "--ref is the shop's reference (an order id) and --lang the customer's language for the\n"
	  "notifications (ja unless given). Each number is polled by `tsuiseki run` at its own\n"
	  "time until it is delivered or returned.\n" },
	{ "list", cmd_list, "", "--db --json --status --ref --lang --now", 0, 0, false,
	  "list the fleet's shipments, their state and next poll",
	  "--json prints {\"schema\":1,\"fleet\":[...]}, each entry with its latest shipment snapshot.\n" },
	{ "run", cmd_run, "", "--db --once --now --timeout --retries --mappings", 0, 0, false,
	  "poll the fleet's shipments when each is due, writing notifications",
	  "Without --once it sleeps until the next shipment is due and stops when none is left\n"
	  "to track, or on Ctrl-C / SIGTERM (exit 130 / 143; everything written stays). With --now\n"
	  "the clock stands still, so it polls what is due then and exits.\n" },
	{ "notifications", cmd_notifications, "", "--db --json --follow --lang --now", 0, 0, false,
	  "print the notifications waiting in the fleet's outbox and acknowledge them",
	  "--json prints one JSON object per line (the schema of DESIGN.md \"Notifications\"), with\n"
	  "its stable id: deliver it, deduplicating by id. What is printed is acknowledged\n"
	  "after it is printed. Readable output uses each customer's language unless --lang.\n" },
	{ "carriers", cmd_carriers, "", "--mappings", 0, 0, false,
	  "list the carriers this build knows (name, display name, batch size, endpoint)", NULL },
};
const size_t cli_verb_count = sizeof cli_verbs / sizeof cli_verbs[0];

static const struct cli_verb *find_verb(const char *name)
{
	for (size_t i = 0; i < cli_verb_count; i++)
		if (strcmp(name, cli_verbs[i].name) == 0)
			return &cli_verbs[i];
	return NULL;
}

static int unknown_command(const char *what, const char *cmd)
{
	const char *names[sizeof cli_verbs / sizeof cli_verbs[0] + 1];
	for (size_t i = 0; i < cli_verb_count; i++)
		names[i] = cli_verbs[i].name;
	names[cli_verb_count] = "help";
	const char *near = cli_suggest(cmd, names, cli_verb_count + 1);
	if (near)
		fprintf(stderr, "tsuiseki: %s '%s'; did you mean %s? See tsuiseki --help.\n", what, cmd, near);
	else
		fprintf(stderr, "tsuiseki: %s '%s'; see tsuiseki --help.\n", what, cmd);
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	/* display widths of the (UTF-8) text: wcwidth() needs a UTF-8 LC_CTYPE; nothing else changes */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	if (argc < 2) {
		cli_usage(stderr);
		return CLI_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		cli_usage(stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc == 2) {
			cli_usage(stdout);
			return CLI_OK;
		}
		const struct cli_verb *v = find_verb(argv[2]);
		if (!v)
			return unknown_command("no help for", argv[2]);
		cli_verb_help(v, stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
		printf("tsuiseki %s\n", tsk_version());
		return CLI_OK;
	}
	const struct cli_verb *v = find_verb(cmd);
	if (!v)
		return unknown_command(cmd[0] == '-' ? "unknown option" : "unknown command", cmd);
	return v->run(v, argc - 1, argv + 1);
}
