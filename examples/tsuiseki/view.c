/*
 * The readable view of shipments (and the JSON document, for --json).
 *
 * Columns are padded by display width, not bytes: each character counts
 * what wcwidth() says (the C library's East Asian width tables; main()
 * sets LC_CTYPE to a UTF-8 locale, as the library's text is UTF-8), so
 * 配達完了 takes eight columns and ｱ one. Times read the same everywhere:
 * "2009-09-01 18:21", or "2009-09-01" when only the day is known.
 */
#define _XOPEN_SOURCE 700
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

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

/* Display columns of a UTF-8 string. */
int cli_display_width(const char *s)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t len = strlen(s);
	int width = 0;
	while (len > 0) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, len, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			/* not UTF-8 (or no UTF-8 locale): a byte, one column */
			memset(&st, 0, sizeof st);
			n = 1;
			width++;
		} else {
			if (n == 0)
				break;
			int w = wcwidth(wc);
			width += w < 0 ? 1 : w;
		}
		s += n;
		len -= n;
	}
	return width;
}

void cli_put_padded(FILE *out, const char *s, int width)
{
	fputs(s, out);
	for (int w = cli_display_width(s); w < width; w++)
		fputc(' ', out);
}

/* "2009-09-01 18:21", "2009-09-01" (day precision) or "" (no time). */
static const char *format_time(char *buf, size_t size, const tsk_time *t)
{
	buf[0] = '\0';
	if (!t || !tsk_time_is_set(t))
		return buf;
	int y, mo, d, h, mi;
	tsk_time_fields(t, &y, &mo, &d, &h, &mi, NULL);
	if (t->precision == TSK_PRECISION_DAY)
		snprintf(buf, size, "%04d-%02d-%02d", y, mo, d);
	else
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", y, mo, d, h, mi);
	return buf;
}

static bool ja(const struct cli_opts *o)
{
	return o->lang && strcmp(o->lang, "ja") == 0;
}

/* The fixed words of the view, in the language asked for. */
static const char *word(const struct cli_opts *o, const char *en, const char *in_ja)
{
	return ja(o) ? in_ja : en;
}

static const char *status_name(const struct cli_opts *o, tsk_status st)
{
	return ja(o) ? tsk_status_name_ja(st) : tsk_status_name_en(st);
}

static const char *severity_name(const struct cli_opts *o, tsk_severity sev)
{
	static const char *const names_ja[] = { "情報", "注意", "重大" };
	return ja(o) && (unsigned)sev < 3 ? names_ja[sev] : tsk_severity_to_string(sev);
}

void cli_print_shipment(const tsk_shipment *s, const struct cli_opts *o, FILE *out, bool colour)
{
	const char *bold = colour ? "\033[1m" : "", *reset = colour ? "\033[0m" : "";
	tsk_status st = tsk_shipment_status(s);
	const char *sc = colour ? status_colour(st) : "";
	char a[48], b[48];
	fprintf(out, "%s%s %s%s  %s%s%s", bold, tsk_shipment_carrier(s), tsk_shipment_tracking_number(s),
	        reset, sc, status_name(o, st), reset);
	if (tsk_shipment_status_text(s))
		fprintf(out, " (%s)", tsk_shipment_status_text(s));
	if (tsk_shipment_service(s))
		fprintf(out, "  [%s]", tsk_shipment_service(s));
	fputc('\n', out);
	if (tsk_shipment_error(s) != TSK_OK)
		fprintf(out, "  %s: %s: %s\n", word(o, "error", "エラー"), tsk_error_name(tsk_shipment_error(s)),
		        tsk_shipment_error_message(s) ? tsk_shipment_error_message(s) : "");
	if (tsk_shipment_delivered_at(s))
		fprintf(out, "  %s %s\n", word(o, "delivered at", "配達日時"),
		        format_time(a, sizeof a, tsk_shipment_delivered_at(s)));
	const tsk_eta *eta = tsk_shipment_eta(s);
	if (eta) {
		format_time(a, sizeof a, &eta->earliest);
		format_time(b, sizeof b, &eta->latest);
		/* a window of one whole day reads as that day */
		if (strlen(a) == 16 && strncmp(a, b, 10) == 0 && strcmp(a + 11, "00:00") == 0 &&
		    strcmp(b + 11, "23:59") == 0)
			a[10] = b[10] = '\0';
		fprintf(out, "  %s %s%s%s (%s, %s %.2f)\n", word(o, "ETA", "お届け予定"), a,
		        strcmp(a, b) != 0 ? " .. " : "", strcmp(a, b) != 0 ? b : "",
		        tsk_eta_source_to_string(eta->source), word(o, "confidence", "確度"), eta->confidence);
	}
	if (tsk_shipment_handoff_carrier(s))
		fprintf(out, "  %s %s %s\n", word(o, "handed over to", "引き渡し先"), tsk_shipment_handoff_carrier(s),
		        tsk_shipment_handoff_number(s) ? tsk_shipment_handoff_number(s) : "");
	for (size_t i = 0; i < tsk_shipment_exception_count(s); i++) {
		const tsk_exception *e = tsk_shipment_exception_at(s, i);
		fprintf(out, "  %s! %s%s [%s] %s\n", colour ? "\033[33m" : "",
		        ja(o) ? tsk_exception_name_ja(e->code) : tsk_exception_name_en(e->code), reset,
		        severity_name(o, e->severity), e->message ? e->message : "");
	}
	/* the timeline: time, normalized status, the carrier's words, place — each column aligned */
	int wtime = 0, wstatus = 0, wwords = 0;
	for (size_t i = 0; i < tsk_shipment_event_count(s); i++) {
		const tsk_event *ev = tsk_shipment_event_at(s, i);
		const tsk_time *t = tsk_event_time(ev);
		const char *tt = tsk_time_is_set(t) ? format_time(a, sizeof a, t)
		                 : tsk_event_time_raw(ev) ? tsk_event_time_raw(ev) : "";
		int w = cli_display_width(tt);
		wtime = w > wtime ? w : wtime;
		w = cli_display_width(status_name(o, tsk_event_status(ev)));
		wstatus = w > wstatus ? w : wstatus;
		w = tsk_event_carrier_status(ev) ? cli_display_width(tsk_event_carrier_status(ev)) : 0;
		wwords = w > wwords ? w : wwords;
	}
	for (size_t i = 0; i < tsk_shipment_event_count(s); i++) {
		const tsk_event *ev = tsk_shipment_event_at(s, i);
		const tsk_time *t = tsk_event_time(ev);
		const char *ec = colour ? status_colour(tsk_event_status(ev)) : "";
		fputs("  ", out);
		cli_put_padded(out, tsk_time_is_set(t) ? format_time(a, sizeof a, t)
		                    : tsk_event_time_raw(ev) ? tsk_event_time_raw(ev) : "",
		               wtime);
		fprintf(out, "  %s", ec);
		cli_put_padded(out, status_name(o, tsk_event_status(ev)), wstatus);
		fprintf(out, "%s  ", reset);
		const char *words = tsk_event_carrier_status(ev) ? tsk_event_carrier_status(ev) : "";
		const char *place = tsk_event_location(ev);
		if (place || tsk_event_region(ev)) {
			cli_put_padded(out, words, wwords);
			fprintf(out, "  %s", place ? place : "");
			if (tsk_event_region(ev))
				fprintf(out, "%s(%s)", place ? " " : "", tsk_event_region(ev));
		} else {
			fputs(words, out);
		}
		fputc('\n', out);
	}
}
