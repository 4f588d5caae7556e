/*
 * tsuiseki watch: poll politely and print each change as one JSON line.
 *
 * It runs on a fleet (include/tsuiseki/fleet.h) with a memory store: each
 * shipment is polled at its own next poll (at least every --interval),
 * only what is due; "auto" pins the carrier once one knows the number; a
 * hand-off is followed; delivered and returned parcels retire. The state
 * file seeds the fleet (tsk_fleet_import) and is rewritten after each round.
 *
 * Invariants: the state file is replaced atomically (a temporary file in
 * the same directory, fsync, rename, fsync of the directory), so a crash or
 * a kill at any moment leaves either the old or the new snapshot, never a
 * torn file; its writability is checked before the first poll; a change is
 * printed once, as its poll result is written, and the state file is
 * written right after the round's lines are flushed. SIGINT / SIGTERM
 * cancel the poll in flight and exit 130 / 143 within a second, the state
 * file as the last round left it.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static tsk_fleet *watched_fleet;

/* Stop within a second: the poll in flight is canceled (tsk_fleet_wakeup). */
static void on_signal(int sig)
{
	stop_requested = sig;
	if (watched_fleet)
		tsk_fleet_wakeup(watched_fleet);
}

/* Load the state file; a missing file is an empty state. */
static int load_state(const char *path, tsk_shipment_list **out)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return tsk_shipment_list_new(out) == TSK_OK ? 0 : -1;
		fprintf(stderr, "tsuiseki watch: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
			}
			buf = b;
		}
	}
	fclose(f);
	if (!buf)
		return -1;
	tsk_error err;
	int rc = len ? tsk_shipment_list_from_json(out, buf, len, &err) : tsk_shipment_list_new(out);
	free(buf);
	if (rc != TSK_OK) {
		fprintf(stderr, "tsuiseki watch: %s is not a tsuiseki state file: %s\n", path,
		        len ? err.message : "empty");
		return -1;
	}
	return 0;
}

/* Write the state atomically: tmp file, fsync, rename, fsync the directory. */
static int save_state(const char *path, const tsk_shipment_list *state)
{
	char *json = NULL;
	size_t len = 0;
	if (tsk_shipment_list_to_json(&json, &len, state, TSK_JSON_PRETTY | TSK_JSON_SNAPSHOT) != TSK_OK)
		return -1;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600); /* snapshots are the shop's data */
	int rc = -1;
	if (fd >= 0) {
		size_t off = 0;
		while (off < len) {
			ssize_t w = write(fd, json + off, len - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		if (off == len && write(fd, "\n", 1) == 1 && fsync(fd) == 0)
			rc = 0;
		if (close(fd) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp, path) != 0)
			rc = -1;
		if (rc != 0)
			unlink(tmp);
	}
	if (rc == 0) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", path);
		int dfd = open(dirname(dir), O_RDONLY);
		if (dfd >= 0) {
			fsync(dfd); /* the rename itself must reach the disk */
			close(dfd);
		}
	} else {
		fprintf(stderr, "tsuiseki watch: cannot write %s: %s\n", path, strerror(errno));
	}
	tsk_free(json);
	return rc;
}

/* Can the state file be written (its directory, and the file when it exists)? */
static bool state_writable(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	if (access(dirname(dir), W_OK | X_OK) != 0)
		return false;
	return access(path, F_OK) != 0 || access(path, W_OK) == 0;
}

struct watch {
	bool polled_ok;            /* some result of this run was answered */
	bool polled;               /* some result of this run at all */
};

/* Each poll result: its changes as JSON lines; a failed query on stderr. */
static void on_result(const tsk_shipment *previous, const tsk_shipment *current, void *userdata)
{
	struct watch *w = userdata;
	int err = tsk_shipment_error(current);
	w->polled = true;
	if (err != TSK_OK && err != TSK_ENOTFOUND) {
		fprintf(stderr, "tsuiseki watch: %s: %s: %s\n", tsk_shipment_tracking_number(current), tsk_error_name(err),
		        tsk_shipment_error_message(current) ? tsk_shipment_error_message(current) : "");
		return;
	}
	w->polled_ok = true;
	tsk_change_list *changes = NULL;
	char *lines = NULL;
	if (tsk_diff(&changes, previous, current, NULL) == TSK_OK &&
	    tsk_change_list_to_json(&lines, NULL, changes, 0) == TSK_OK)
		fputs(lines, stdout);
	tsk_free(lines);
	tsk_change_list_free(changes);
}

/* Every snapshot of the fleet, for the state file. */
static int fleet_snapshots(tsk_shipment_list **out, tsk_fleet *fleet)
{
	tsk_fleet_item_list *items = NULL;
	int rc = tsk_fleet_list(&items, fleet, NULL);
	if (rc == TSK_OK)
		rc = tsk_shipment_list_new(out);
	for (size_t i = 0; rc == TSK_OK && i < tsk_fleet_item_list_count(items); i++) {
		const tsk_shipment *s = tsk_fleet_item_shipment(tsk_fleet_item_list_at(items, i));
		tsk_shipment *copy = NULL;
		if (s && (rc = tsk_shipment_dup(&copy, s)) == TSK_OK)
			rc = tsk_shipment_list_append(*out, copy);
	}
	tsk_fleet_item_list_free(items);
	return rc;
}

int cmd_watch(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	int status;
	if (!cli_start(&o, &ctx, v, argc, argv, &status))
		return status;
	if (!cli_apply_politeness(&o, ctx, v)) {
		cli_finish(&o, ctx);
		return CLI_USAGE;
	}
	long interval = o.interval ? o.interval : 900;
	tsk_shipment_list *state = NULL;
	tsk_fleet *fleet = NULL;
	status = CLI_SOME_ERROR;
	if (o.state && !state_writable(o.state)) {
		fprintf(stderr, "tsuiseki watch: cannot write the state file %s: %s\n", o.state, strerror(errno));
		goto out;
	}
	if (o.state ? load_state(o.state, &state) != 0 : tsk_shipment_list_new(&state) != TSK_OK)
		goto out;
	if (tsk_fleet_open(&fleet, ctx, "memory:") != TSK_OK) {
		fprintf(stderr, "tsuiseki watch: %s\n", tsk_ctx_last_error(ctx));
		goto out;
	}
	/* each shipment on its own schedule: at the library's next poll, but at least every --interval */
	tsk_fleet_set_option(fleet, TSK_FLEET_OPT_MAX_INTERVAL_S, interval);
	tsk_fleet_set_option(fleet, TSK_FLEET_OPT_MIN_INTERVAL_S, interval < 60 ? interval : 60);
	/* what the state file knows: pinned carriers, retired parcels, followed legs */
	for (size_t i = 0; i < tsk_shipment_list_count(state); i++)
		if (tsk_fleet_import(fleet, tsk_shipment_list_at(state, i), NULL, NULL) != TSK_OK &&
		    tsk_ctx_last_error(ctx)[0])
			fprintf(stderr, "tsuiseki watch: %s: %s\n",
			        tsk_shipment_tracking_number(tsk_shipment_list_at(state, i)), tsk_ctx_last_error(ctx));
	for (int i = 0; i < o.nargs; i++) {
		int rc = tsk_fleet_add(fleet, o.args[i], o.carrier ? o.carrier : "auto", NULL, NULL);
		if (rc != TSK_OK && rc != TSK_EEXISTS) {
			fprintf(stderr, "tsuiseki watch: %s: %s\n", o.args[i], tsk_ctx_last_error(ctx));
			status = rc == TSK_EINVALID_NUMBER ? CLI_SOME_ERROR : CLI_USAGE;
			goto out;
		}
	}
	if (o.nargs == 0 && tsk_shipment_list_count(state) == 0) {
		cli_usage_error(v, "nothing to watch: give NUMBER... or a --state FILE that holds shipments");
		status = CLI_USAGE;
		goto out;
	}
	/* the caller's own deliveries teach the ETA model its lanes */
	tsk_ctx_learn_transit(ctx, state);
	struct watch w = { false, false };
	tsk_fleet_set_result_cb(fleet, on_result, &w);
	watched_fleet = fleet;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	status = CLI_OK;
	for (long polls = 0; !stop_requested;) {
		if (o.have_now) {
			/* --now: the reference time moves on from there with the clock */
			struct timespec t;
			clock_gettime(CLOCK_MONOTONIC, &t);
			tsk_time now = o.now;
			now.epoch += t.tv_sec - start.tv_sec;
			tsk_ctx_set_now(ctx, &now);
		}
		tsk_fleet_run_stats st;
		int rc = tsk_fleet_run(fleet, NULL, TSK_FLEET_RUN_ONCE, &st);
		fflush(stdout);
		if (rc == TSK_ECANCELED || stop_requested)
			break; /* the round in flight is dropped; the state file keeps the last one */
		if (rc != TSK_OK) {
			fprintf(stderr, "tsuiseki watch: %s\n", tsk_ctx_last_error(ctx));
			status = CLI_SOME_ERROR;
			break;
		}
		if (st.polled) {
			polls++;
			tsk_shipment_list *snaps = NULL;
			if (o.state && (fleet_snapshots(&snaps, fleet) != TSK_OK || save_state(o.state, snaps) != 0)) {
				tsk_shipment_list_free(snaps);
				status = CLI_SOME_ERROR;
				break;
			}
			tsk_shipment_list_free(snaps);
		}
		tsk_time next;
		tsk_fleet_next_due(&next, NULL, fleet);
		if (!tsk_time_is_set(&next))
			break; /* every parcel delivered or returned: never again */
		if (o.max_polls && polls >= o.max_polls)
			break;
		/* sleep until the next shipment is due, waking for signals */
		int64_t wait = next.epoch - tsk_ctx_now(ctx).epoch;
		if (wait < 1)
			wait = 1;
		for (int64_t slept = 0; slept < wait * 10 && !stop_requested; slept++) {
			struct timespec ts = { 0, 100000000L };
			nanosleep(&ts, NULL);
		}
	}
	watched_fleet = NULL;
	if (stop_requested)
		status = stop_requested == SIGTERM ? 143 : CLI_INTERRUPTED;
	else if (status == CLI_OK && w.polled && !w.polled_ok)
		status = CLI_SOME_ERROR; /* every shipment failed */
out:
	tsk_fleet_free(fleet);
	tsk_shipment_list_free(state);
	cli_finish(&o, ctx);
	return status;
}
