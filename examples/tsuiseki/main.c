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

#define NUMBERS_HELP                                                          \
	"NUMBER may be typed with hyphens or spaces. \"-\" reads one number per\n" \
	"line from standard input (blank lines skipped); with no NUMBER, a pipe\n"  \
	"or a file on standard input is read the same way.\n"

const struct cli_verb cli_verbs[] = {
	{ "track", cmd_track, "NUMBER...",
	  "--carrier --json --lang --color --now --timeout --retries --mappings", 1, -1, true,
	  "query the carriers and print each shipment's timeline",
	  NUMBERS_HELP
	  "\n"
	  "Without --carrier (or with --carrier auto) every carrier the number may\n"
	  "belong to is asked, and the one that knows it answers. --json prints one\n"
	  "document {\"schema\":1,\"shipments\":[...]}, each shipment with an \"error\"\n"
	  "(null when answered).\n" },
	{ "parse", cmd_parse, "FILE|-", "--carrier --json --explain --lang --color --now --mappings", 1, 1,
	  false, "parse a saved carrier page or API response (no network)",
	  "--carrier NAME is required: a saved page does not say whose it is (see\n"
	  "tsuiseki carriers). FILE \"-\" reads the page from standard input. With\n"
	  "--json a page that cannot be parsed still prints one document, with the\n"
	  "reason in its \"error\" object.\n" },
	{ "detect", cmd_detect, "NUMBER...", "--json --mappings", 1, -1, true,
	  "which carriers a number may belong to, best first (no network)", NUMBERS_HELP },
	{ "watch", cmd_watch, "[NUMBER...]",
	  "--carrier --interval --polls --state --now --timeout --retries --rate --parallel --mappings", 0, -1, true,
	  "poll politely and print each change as one JSON line",
	  NUMBERS_HELP
	  "\n"
	  "Each shipment is asked when it is due (the library's next poll, at\n"
	  "least every --interval); with --carrier auto the carrier that knows a\n"
	  "number is kept; a hand-off (クロネコゆうパケット to Japan Post) is\n"
	  "followed; delivered and returned ones are not asked again. With --state\n"
	  "FILE the snapshots are kept between runs, and with no NUMBER the numbers\n"
	  "the state file holds are watched. Polling stops when every shipment is\n"
	  "delivered or returned, after --polls N polls, or on Ctrl-C / SIGTERM\n"
	  "(exit 130 / 143 within a second; the state file keeps the last finished\n"
	  "poll). Exit 1 when every shipment's query failed.\n" },
	{ "add", cmd_add, "NUMBER...", "--db --carrier --ref --lang --now --mappings", 1, -1, true,
	  "add shipments to the fleet (shipments tracked over time)",
	  NUMBERS_HELP
	  "\n"
	  "--ref is the shop's reference (an order id) and --lang the customer's\n"
	  "language for the notifications (ja unless given). Each number is polled\n"
	  "by `tsuiseki run` at its own time until it is delivered or returned.\n" },
	{ "list", cmd_list, "", "--db --json --status --ref --lang --now", 0, 0, false,
	  "list the fleet's shipments, their state and next poll",
	  "--json prints {\"schema\":1,\"fleet\":[...]}, each entry with its latest\n"
	  "shipment snapshot.\n" },
	{ "run", cmd_run, "", "--db --once --now --timeout --retries --rate --parallel --mappings", 0, 0, false,
	  "poll the fleet's shipments as each is due; write notifications",
	  "Without --once it sleeps until the next shipment is due and stops when\n"
	  "none is left to track, or on Ctrl-C / SIGTERM (exit 130 / 143; everything\n"
	  "written stays). With --now the clock stands still, so it polls what is\n"
	  "due then and exits.\n" },
	{ "notifications", cmd_notifications, "", "--db --json --follow --lang --now", 0, 0, false,
	  "print and acknowledge the notifications waiting in the outbox",
	  "--json prints one JSON object per line (the schema of DESIGN.md\n"
	  "\"Notifications\"), with its stable id: deliver it, deduplicating by id.\n"
	  "What is printed is acknowledged after it is printed. Readable output uses\n"
	  "each customer's language unless --lang.\n" },
	{ "carriers", cmd_carriers, "", "--mappings", 0, 0, false,
	  "the carriers this build knows, with batch size and endpoint", NULL },
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
