/*
 * The readable view of shipments (and the JSON document, for --json).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <string.h>

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
	bool colour = cli_colour(o, out);
	for (size_t i = 0; i < tsk_shipment_list_count(l); i++) {
		if (i)
			fputc('\n', out);
		cli_print_shipment(tsk_shipment_list_at(l, i), o, out, colour);
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

void cli_print_shipment(const tsk_shipment *s, const struct cli_opts *o, FILE *out, bool colour)
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
