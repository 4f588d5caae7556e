/*
 * tsuiseki — track parcels from the command line.
 *
 *   tsuiseki track  [--carrier NAME|auto] [--json] [--now TIME] NUMBER...
 *   tsuiseki parse  --carrier NAME [--json] [--explain] [--now TIME] FILE|-
 *   tsuiseki detect [--json] NUMBER...
 *   tsuiseki watch  [--interval S] [--state FILE] NUMBER...
 *   tsuiseki carriers
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fputs("usage: tsuiseki <command> [options]\n"
	      "\n"
	      "commands:\n"
	      "  track  [--carrier NAME|auto] [--json] [--now TIME] [--mappings DIR] NUMBER...\n"
	      "         query the carriers and print each shipment's timeline\n"
	      "  parse  --carrier NAME [--json] [--explain] [--now TIME] FILE|-\n"
	      "         parse a saved carrier page or API response (no network)\n"
	      "  detect [--json] NUMBER...\n"
	      "         which carriers a number may belong to, best first\n"
	      "  watch  [--interval S] [--state FILE] [--carrier NAME] NUMBER...\n"
	      "         poll politely and print each change as one JSON line\n"
	      "  carriers\n"
	      "         list the carriers this build knows\n"
	      "\n"
	      "TIME is RFC 3339 (2024-12-03T14:25:00+09:00). Endpoints can be redirected with\n"
	      "TSUISEKI_ENDPOINT_<CARRIER>=URL; JSON mappings load from TSUISEKI_MAPPING_PATH.\n"
	      "Exit status: 0 all answered, 1 some shipment has an error, 2 usage error.\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("tsuiseki %s\n", tsk_version());
		return CLI_OK;
	}
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} verbs[] = {
		{ "track", cmd_track },   { "parse", cmd_parse },       { "detect", cmd_detect },
		{ "watch", cmd_watch },   { "carriers", cmd_carriers },
	};
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(cmd, verbs[i].name) == 0)
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "tsuiseki: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return CLI_USAGE;
}
