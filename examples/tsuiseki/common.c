/*
 * Options, context set-up and output shared by the verbs.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool take_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return true;
	}
	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc) {
			*out = NULL;
			return true;
		}
		*out = argv[++*i];
		return true;
	}
	return false;
}

static long parse_long(const char *s, bool *ok)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	*ok = s[0] && !*end && errno == 0;
	return v;
}

int cli_parse_opts(struct cli_opts *o, int argc, char **argv, const char *verb, const char *allowed)
{
	memset(o, 0, sizeof *o);
	o->args = calloc((size_t)argc + 1, sizeof *o->args);
	if (!o->args) {
		fprintf(stderr, "tsuiseki: out of memory\n");
		return CLI_USAGE;
	}
	bool options_done = false;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		char *a = argv[i];
		if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
			o->args[o->nargs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options_done = true;
			continue;
		}
		/* each option is accepted only by the verbs that list it */
		char key[32];
		snprintf(key, sizeof key, "%.*s", (int)strcspn(a, "="), a);
		char needle[40];
		snprintf(needle, sizeof needle, " %s ", key);
		if (!strstr(allowed, needle)) {
			fprintf(stderr, "tsuiseki %s: unknown option %s\n", verb, key);
			return CLI_USAGE;
		}
		if (strcmp(key, "--json") == 0) {
			o->json = true;
		} else if (strcmp(key, "--explain") == 0) {
			o->explain = true;
		} else if (take_value(argc, argv, &i, "--carrier", &v)) {
			if (!v)
				goto missing;
			o->carrier = strcmp(v, "auto") == 0 ? NULL : v;
		} else if (take_value(argc, argv, &i, "--now", &v)) {
			if (!v)
				goto missing;
			if (tsk_time_parse_rfc3339(&o->now, v) != TSK_OK) {
				fprintf(stderr, "tsuiseki %s: --now wants RFC 3339 (2024-12-03T14:25:00+09:00), got %s\n",
				        verb, v);
				return CLI_USAGE;
			}
			o->have_now = true;
		} else if (take_value(argc, argv, &i, "--mappings", &v)) {
			if (!v)
				goto missing;
			o->mappings = v;
		} else if (take_value(argc, argv, &i, "--state", &v)) {
			if (!v)
				goto missing;
			o->state = v;
		} else if (take_value(argc, argv, &i, "--interval", &v) ||
		           take_value(argc, argv, &i, "--polls", &v)) {
			if (!v)
				goto missing;
			bool ok;
			long n = parse_long(v, &ok);
			if (!ok || n < (strcmp(key, "--polls") == 0 ? 0 : 1)) {
				fprintf(stderr, "tsuiseki %s: %s wants a positive number, got %s\n", verb, key, v);
				return CLI_USAGE;
			}
			if (strcmp(key, "--polls") == 0)
				o->max_polls = n;
			else
				o->interval = n;
		} else {
			fprintf(stderr, "tsuiseki %s: unknown option %s\n", verb, key);
			return CLI_USAGE;
		}
		continue;
	missing:
		fprintf(stderr, "tsuiseki %s: %s needs a value\n", verb, key);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static void log_to_stderr(int level, const char *message, void *userdata)
{
	(void)userdata;
	if (level <= 1)
		fprintf(stderr, "tsuiseki: %s: %s\n", level == 0 ? "error" : "warning", message);
}

tsk_ctx *cli_context(const struct cli_opts *o)
{
	tsk_ctx *ctx = NULL;
	int rc = tsk_ctx_new(&ctx, 0);
	if (rc != TSK_OK) {
		fprintf(stderr, "tsuiseki: cannot create a context: %s\n", tsk_strerror(rc));
		return NULL;
	}
	tsk_ctx_set_log_fn(ctx, log_to_stderr, NULL);
	if (o->have_now)
		tsk_ctx_set_now(ctx, &o->now);
	tsk_ctx_load_plugin_path(ctx, NULL);
	if (o->mappings) {
		rc = tsk_ctx_load_mappings_dir(ctx, o->mappings);
		if (rc != TSK_OK)
			fprintf(stderr, "tsuiseki: --mappings %s: %s\n", o->mappings, tsk_ctx_last_error(ctx));
	}
	for (size_t i = 0; i < tsk_ctx_mapping_error_count(ctx); i++)
		fprintf(stderr, "tsuiseki: mapping not loaded: %s\n", tsk_ctx_mapping_error_at(ctx, i));
	return ctx;
}

int cli_start(struct cli_opts *o, tsk_ctx **ctx, int argc, char **argv, const char *verb,
              const char *allowed, int min_args, int max_args, const char *usage)
{
	*ctx = NULL;
	int rc = cli_parse_opts(o, argc, argv, verb, allowed);
	if (rc == CLI_OK && (o->nargs < min_args || (max_args >= 0 && o->nargs > max_args))) {
		fprintf(stderr, "usage: %s\n", usage);
		rc = CLI_USAGE;
	}
	if (rc == CLI_OK && !(*ctx = cli_context(o)))
		rc = CLI_SOME_ERROR;
	if (rc != CLI_OK)
		free(o->args);
	return rc;
}

void cli_finish(struct cli_opts *o, tsk_ctx *ctx)
{
	tsk_ctx_free(ctx);
	free(o->args);
}

bool cli_colour(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(fileno(f)) && !(nc && *nc);
}

int cli_print_shipments(const tsk_shipment_list *l, const struct cli_opts *o, FILE *out)
{
	int status = CLI_OK;
	for (size_t i = 0; i < tsk_shipment_list_count(l); i++)
		if (tsk_shipment_error(tsk_shipment_list_at(l, i)) != TSK_OK)
			status = CLI_SOME_ERROR;
	if (o->json) {
		char *json = NULL;
		int rc = tsk_shipment_list_to_json(&json, NULL, l, 0);
		if (rc != TSK_OK) {
			fprintf(stderr, "tsuiseki: cannot write JSON: %s\n", tsk_strerror(rc));
			return CLI_SOME_ERROR;
		}
		fprintf(out, "%s\n", json);
		tsk_free(json);
		return status;
	}
	bool colour = cli_colour(out);
	for (size_t i = 0; i < tsk_shipment_list_count(l); i++) {
		if (i)
			fputc('\n', out);
		cli_print_shipment(tsk_shipment_list_at(l, i), out, colour);
	}
	return status;
}

static const char *status_colour(tsk_status st)
{
	switch (st) {
	case TSK_STATUS_DELIVERED: return "\033[32m";
	case TSK_STATUS_OUT_FOR_DELIVERY:
	case TSK_STATUS_IN_TRANSIT:
	case TSK_STATUS_INFO_RECEIVED: return "\033[36m";
	case TSK_STATUS_FAILED_ATTEMPT:
	case TSK_STATUS_AVAILABLE_FOR_PICKUP: return "\033[33m";
	case TSK_STATUS_EXCEPTION:
	case TSK_STATUS_RETURNED_TO_SENDER:
	case TSK_STATUS_NOT_FOUND: return "\033[31m";
	default: return "";
	}
}

static void print_time(FILE *out, const tsk_time *t, const char *raw)
{
	if (!tsk_time_is_set(t)) {
		fprintf(out, "%-16s", raw ? raw : "(no date)");
		return;
	}
	int y, mo, d, h, mi;
	tsk_time_fields(t, &y, &mo, &d, &h, &mi, NULL);
	if (t->precision == TSK_PRECISION_DAY)
		fprintf(out, "%04d-%02d-%02d      ", y, mo, d);
	else
		fprintf(out, "%04d-%02d-%02d %02d:%02d", y, mo, d, h, mi);
}

void cli_print_shipment(const tsk_shipment *s, FILE *out, bool colour)
{
	const char *bold = colour ? "\033[1m" : "", *reset = colour ? "\033[0m" : "";
	tsk_status st = tsk_shipment_status(s);
	const char *sc = colour ? status_colour(st) : "";
	fprintf(out, "%s%s %s%s  %s%s%s", bold, tsk_shipment_carrier(s), tsk_shipment_tracking_number(s),
	        reset, sc, tsk_status_name_en(st), reset);
	if (tsk_shipment_status_text(s))
		fprintf(out, " (%s)", tsk_shipment_status_text(s));
	if (tsk_shipment_service(s))
		fprintf(out, "  [%s]", tsk_shipment_service(s));
	fputc('\n', out);
	if (tsk_shipment_error(s) != TSK_OK)
		fprintf(out, "  error: %s: %s\n", tsk_error_name(tsk_shipment_error(s)),
		        tsk_shipment_error_message(s) ? tsk_shipment_error_message(s) : "");
	if (tsk_shipment_delivered_at(s)) {
		char buf[48];
		tsk_time_format(buf, sizeof buf, tsk_shipment_delivered_at(s));
		fprintf(out, "  delivered at %s\n", buf);
	}
	const tsk_eta *eta = tsk_shipment_eta(s);
	if (eta) {
		char a[48], b[48];
		tsk_time_format(a, sizeof a, &eta->earliest);
		tsk_time_format(b, sizeof b, &eta->latest);
		fprintf(out, "  ETA %s .. %s (%s, confidence %.2f)\n", a, b,
		        tsk_eta_source_to_string(eta->source), eta->confidence);
	}
	if (tsk_shipment_handoff_carrier(s))
		fprintf(out, "  handed over to %s %s\n", tsk_shipment_handoff_carrier(s),
		        tsk_shipment_handoff_number(s) ? tsk_shipment_handoff_number(s) : "");
	for (size_t i = 0; i < tsk_shipment_exception_count(s); i++) {
		const tsk_exception *e = tsk_shipment_exception_at(s, i);
		fprintf(out, "  %s! %s%s [%s] %s\n", colour ? "\033[33m" : "", tsk_exception_to_string(e->code),
		        reset, tsk_severity_to_string(e->severity), e->message ? e->message : "");
	}
	for (size_t i = 0; i < tsk_shipment_event_count(s); i++) {
		const tsk_event *ev = tsk_shipment_event_at(s, i);
		const char *ec = colour ? status_colour(tsk_event_status(ev)) : "";
		fputs("  ", out);
		print_time(out, tsk_event_time(ev), tsk_event_time_raw(ev));
		fprintf(out, "  %s%-20s%s %s", ec, tsk_status_to_string(tsk_event_status(ev)), reset,
		        tsk_event_carrier_status(ev) ? tsk_event_carrier_status(ev) : "");
		if (tsk_event_location(ev))
			fprintf(out, "  %s", tsk_event_location(ev));
		if (tsk_event_region(ev))
			fprintf(out, " (%s)", tsk_event_region(ev));
		fputc('\n', out);
	}
}
