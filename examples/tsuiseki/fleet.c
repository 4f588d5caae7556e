/*
 * tsuiseki add | list | run | notifications: a fleet of shipments kept in
 * a database (include/tsuiseki/fleet.h), for shops and daemons that script
 * the command line.
 *
 * The database is --db PATH, else $TSUISEKI_DB, else
 * $XDG_STATE_HOME/tsuiseki/fleet.db (~/.local/state/tsuiseki/fleet.db);
 * its directory is created 0700 when missing. A value with a scheme
 * (sqlite:PATH, memory:, postgresql://…) is handed to tsk_fleet_open as is.
 *
 * `notifications` prints what waits in the outbox and acknowledges exactly
 * what it printed, after printing it (at least once: a kill between the two
 * prints it again, with the same id).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static tsk_fleet *running_fleet; /* woken by the signal handler */

static void on_stop(int sig)
{
	stop_signal = sig;
	if (running_fleet)
		tsk_fleet_wakeup(running_fleet);
}

static void catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int stop_status(void)
{
	return stop_signal == SIGTERM ? 143 : CLI_INTERRUPTED;
}

/* mkdir -p for the default database's directory (0700: it holds customers' orders). */
static int make_dirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc != 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* The store URL of the options; NULL after printing why. Caller frees. */
static char *store_url(const struct cli_opts *o, const struct cli_verb *v)
{
	const char *db = o->db ? o->db : getenv("TSUISEKI_DB");
	char *url = NULL;
	if (db && *db) {
		bool scheme = strncmp(db, "sqlite:", 7) == 0 || strncmp(db, "memory:", 7) == 0 || strstr(db, "://");
		size_t n = strlen(db) + 8;
		if ((url = malloc(n)))
			snprintf(url, n, "%s%s", scheme ? "" : "sqlite:", db);
		return url;
	}
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char dir[4096];
	if (state && state[0] == '/')
		snprintf(dir, sizeof dir, "%s/tsuiseki", state);
	else if (home && *home)
		snprintf(dir, sizeof dir, "%s/.local/state/tsuiseki", home);
	else {
		cli_usage_error(v, "no database: give --db PATH, or set TSUISEKI_DB or HOME");
		return NULL;
	}
	if (make_dirs(dir) != 0) {
		fprintf(stderr, "tsuiseki %s: cannot create %s: %s\n", v->name, dir, strerror(errno));
		return NULL;
	}
	size_t n = strlen(dir) + 32;
	if ((url = malloc(n)))
		snprintf(url, n, "sqlite:%s/fleet.db", dir);
	return url;
}

static bool apply_limits(const char *list, const char *name, tsk_option opt, tsk_ctx *ctx, const struct cli_verb *v)
{
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		char item[128];
		snprintf(item, sizeof item, "%.*s", (int)len, p);
		char *eq = strchr(item, '='), *end = NULL;
		long n = eq ? strtol(eq + 1, &end, 10) : -1;
		if (eq)
			*eq = '\0';
		if (!eq || !*item || end == eq + 1 || *end || !tsk_ctx_carrier(ctx, item) ||
		    tsk_ctx_set_carrier_option(ctx, item, opt, n) != TSK_OK) {
			cli_usage_error(v, "%s wants CARRIER=N for a known carrier and a number in range, not %.*s", name,
			                (int)len, p);
			return false;
		}
		p += len + (p[len] == ',');
	}
	return true;
}

bool cli_apply_politeness(const struct cli_opts *o, tsk_ctx *ctx, const struct cli_verb *v)
{
	return apply_limits(o->rate, "--rate", TSK_OPT_REQUESTS_PER_SECOND, ctx, v) &&
	       apply_limits(o->parallel, "--parallel", TSK_OPT_MAX_PARALLEL, ctx, v);
}

/* The shared start of the fleet verbs: options, context, fleet. */
static bool fleet_start(struct cli_opts *o, tsk_ctx **ctx, tsk_fleet **fleet, const struct cli_verb *v,
                        int argc, char **argv, int *status)
{
	*fleet = NULL;
	/* --lang given on the line, not taken from LANG: add's customer language,
	 * notifications' text language */
	bool lang_given = false;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		lang_given |= strncmp(argv[i], "--lang", 6) == 0;
	if (!cli_start(o, ctx, v, argc, argv, status))
		return false;
	o->lang_given = lang_given;
	if (!cli_apply_politeness(o, *ctx, v)) {
		*status = CLI_USAGE;
		cli_finish(o, *ctx);
		return false;
	}
	char *url = store_url(o, v);
	if (!url) {
		*status = CLI_SOME_ERROR;
		cli_finish(o, *ctx);
		return false;
	}
	int rc = tsk_fleet_open(fleet, *ctx, url);
	if (rc != TSK_OK) {
		fprintf(stderr, "tsuiseki %s: %s\n", v->name, tsk_ctx_last_error(*ctx));
		*status = rc == TSK_EINVAL ? CLI_USAGE : CLI_SOME_ERROR;
		free(url);
		cli_finish(o, *ctx);
		return false;
	}
	free(url);
	return true;
}

static void fleet_finish(struct cli_opts *o, tsk_ctx *ctx, tsk_fleet *fleet)
{
	running_fleet = NULL;
	tsk_fleet_free(fleet);
	cli_finish(o, ctx);
}

/* -------------------------------------------------------------------- add */

int cmd_add(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	tsk_fleet *fleet;
	int status;
	if (!fleet_start(&o, &ctx, &fleet, v, argc, argv, &status))
		return status;
	const char *locale = o.lang_given ? o.lang : "ja"; /* the customer's language: ja unless given */
	status = CLI_OK;
	for (int i = 0; i < o.nargs; i++) {
		int rc = tsk_fleet_add(fleet, o.args[i], o.carrier ? o.carrier : "auto", o.ref, locale);
		if (rc != TSK_OK) {
			fprintf(stderr, "tsuiseki add: %s: %s\n", o.args[i], tsk_ctx_last_error(ctx));
			status = CLI_SOME_ERROR;
		}
	}
	fleet_finish(&o, ctx, fleet);
	return status;
}

/* ------------------------------------------------------------------- list */

static void put_time_json(FILE *out, const tsk_time *t)
{
	char buf[48];
	if (!t) {
		fputs("null", out);
		return;
	}
	tsk_time_format(buf, sizeof buf, t);
	fprintf(out, "\"%s\"", buf);
}

static void put_item_json(FILE *out, const tsk_fleet_item *it)
{
	fputs("{\"tracking_number\":", out);
	cli_put_json_string(out, tsk_fleet_item_number(it));
	fputs(",\"carrier\":", out);
	cli_put_json_string(out, tsk_fleet_item_carrier(it));
	fputs(",\"reference\":", out);
	if (tsk_fleet_item_reference(it))
		cli_put_json_string(out, tsk_fleet_item_reference(it));
	else
		fputs("null", out);
	fprintf(out, ",\"locale\":\"%s\",\"state\":\"%s\",\"status\":\"%s\",\"added_at\":", tsk_fleet_item_locale(it),
	        tsk_fleet_state_to_string(tsk_fleet_item_state(it)), tsk_status_to_string(tsk_fleet_item_status(it)));
	put_time_json(out, tsk_fleet_item_added_at(it));
	fputs(",\"next_poll\":", out);
	put_time_json(out, tsk_fleet_item_next_poll(it));
	fputs(",\"shipment\":", out);
	char *json = NULL;
	if (tsk_fleet_item_shipment(it) && tsk_shipment_to_json(&json, NULL, tsk_fleet_item_shipment(it), 0) == TSK_OK)
		fputs(json, out);
	else
		fputs("null", out);
	tsk_free(json);
	fputc('}', out);
}

int cmd_list(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	tsk_fleet *fleet;
	int status;
	if (!fleet_start(&o, &ctx, &fleet, v, argc, argv, &status))
		return status;
	tsk_fleet_filter filter = TSK_FLEET_FILTER_INIT;
	filter.reference = o.ref;
	if (o.status_filter) {
		tsk_status st;
		tsk_fleet_state fs;
		if (tsk_status_from_string(&st, o.status_filter) == TSK_OK) {
			filter.status = (int)st;
		} else if (strcmp(o.status_filter, "active") == 0 || strcmp(o.status_filter, "retired") == 0 ||
		           strcmp(o.status_filter, "gave_up") == 0) {
			fs = o.status_filter[0] == 'a' ? TSK_FLEET_ACTIVE : o.status_filter[0] == 'r' ? TSK_FLEET_RETIRED : TSK_FLEET_GAVE_UP;
			filter.state = (int)fs;
		} else {
			cli_usage_error(v, "--status wants a status (in_transit, delivered...) or active, retired, gave_up; not %s",
			                o.status_filter);
			fleet_finish(&o, ctx, fleet);
			return CLI_USAGE;
		}
	}
	tsk_fleet_item_list *items = NULL;
	if (tsk_fleet_list(&items, fleet, &filter) != TSK_OK) {
		fprintf(stderr, "tsuiseki list: %s\n", tsk_ctx_last_error(ctx));
		fleet_finish(&o, ctx, fleet);
		return CLI_SOME_ERROR;
	}
	size_t n = tsk_fleet_item_list_count(items);
	if (o.json) {
		fputs("{\"schema\":1,\"fleet\":[", stdout);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', stdout);
			put_item_json(stdout, tsk_fleet_item_list_at(items, i));
		}
		fputs("]}\n", stdout);
	} else {
		bool ja = strcmp(o.lang, "ja") == 0;
		for (size_t i = 0; i < n; i++) {
			const tsk_fleet_item *it = tsk_fleet_item_list_at(items, i);
			tsk_status st = tsk_fleet_item_status(it);
			char next[48] = "-";
			if (tsk_fleet_item_next_poll(it))
				tsk_time_format(next, sizeof next, tsk_fleet_item_next_poll(it));
			printf("%-14s %-10s %-8s ", tsk_fleet_item_number(it), tsk_fleet_item_carrier(it),
			       tsk_fleet_state_to_string(tsk_fleet_item_state(it)));
			cli_put_padded(stdout, ja ? tsk_status_name_ja(st) : tsk_status_name_en(st), 24);
			printf(" next %-25s %s\n", next, tsk_fleet_item_reference(it) ? tsk_fleet_item_reference(it) : "");
		}
	}
	tsk_fleet_item_list_free(items);
	fleet_finish(&o, ctx, fleet);
	return CLI_OK;
}

/* -------------------------------------------------------------------- run */

int cmd_run(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	tsk_fleet *fleet;
	int status;
	if (!fleet_start(&o, &ctx, &fleet, v, argc, argv, &status))
		return status;
	running_fleet = fleet;
	catch_stop_signals();
	tsk_fleet_run_stats st;
	int rc = tsk_fleet_run(fleet, NULL, o.once ? TSK_FLEET_RUN_ONCE : 0, &st);
	if (rc == TSK_ECANCELED || stop_signal)
		status = stop_status();
	else if (rc != TSK_OK) {
		fprintf(stderr, "tsuiseki run: %s\n", tsk_ctx_last_error(ctx));
		status = CLI_SOME_ERROR;
	}
	fprintf(stderr, "tsuiseki run: %zu polled (%zu failed), %zu notification%s, %zu retired\n", st.polled,
	        st.failed, st.notifications, st.notifications == 1 ? "" : "s", st.retired);
	fleet_finish(&o, ctx, fleet);
	return status;
}

/* ---------------------------------------------------------- notifications */

/* Print and acknowledge what waits; false when the store failed. */
static bool print_waiting(tsk_ctx *ctx, tsk_fleet *fleet, const struct cli_opts *o)
{
	tsk_notification_list *l = NULL;
	if (tsk_fleet_notifications(&l, fleet, 500) != TSK_OK) {
		fprintf(stderr, "tsuiseki notifications: %s\n", tsk_ctx_last_error(ctx));
		return false;
	}
	size_t n = tsk_notification_list_count(l);
	const char **ids = calloc(n ? n : 1, sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		const tsk_notification *x = tsk_notification_list_at(l, i);
		if (o->json) {
			printf("%s\n", tsk_notification_json(x));
		} else {
			const char *lang = o->lang_given ? o->lang : tsk_notification_locale(x);
			char when[48] = "";
			if (tsk_notification_time(x))
				tsk_time_format(when, sizeof when, tsk_notification_time(x));
			printf("%s %s %s %s%s%s\n  %s\n  %s\n", tsk_notify_kind_to_string(tsk_notification_kind(x)),
			       tsk_notification_carrier(x), tsk_notification_tracking_number(x),
			       tsk_notification_reference(x) ? tsk_notification_reference(x) : "", when[0] ? " " : "", when,
			       tsk_notification_subject(x, lang), tsk_notification_body(x, lang));
		}
		if (ids)
			ids[i] = tsk_notification_id(x);
	}
	/* printed first, acknowledged after: at least once */
	bool ok = fflush(stdout) == 0 && !ferror(stdout);
	if (ok && ids && n && tsk_fleet_ack(fleet, ids, n) != TSK_OK) {
		fprintf(stderr, "tsuiseki notifications: %s\n", tsk_ctx_last_error(ctx));
		ok = false;
	}
	free(ids);
	tsk_notification_list_free(l);
	return ok && (n < 500 || print_waiting(ctx, fleet, o));
}

int cmd_notifications(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	tsk_fleet *fleet;
	int status;
	if (!fleet_start(&o, &ctx, &fleet, v, argc, argv, &status))
		return status;
	if (o.follow)
		catch_stop_signals();
	status = CLI_OK;
	for (;;) {
		if (!print_waiting(ctx, fleet, &o)) {
			status = CLI_SOME_ERROR;
			break;
		}
		if (!o.follow)
			break;
		/* another process (tsuiseki run) writes the outbox: look again each second */
		struct timespec ts = { 1, 0 };
		while (!stop_signal && nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		if (stop_signal) {
			status = stop_status();
			break;
		}
	}
	fleet_finish(&o, ctx, fleet);
	return status;
}
