/*
 * tsuiseki watch: poll politely and print each change as one JSON line.
 *
 * Invariants: the state file is replaced atomically (a temporary file in
 * the same directory, fsync, rename, fsync of the directory), so a crash or
 * a kill at any moment leaves either the old or the new snapshot, never a
 * torn file; a change is printed once, after the snapshot that contains it
 * is the one kept in memory, and the state file is written right after the
 * lines are flushed.
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

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
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

static const tsk_shipment *find(const tsk_shipment_list *l, const char *carrier, const char *number)
{
	for (size_t i = 0; i < tsk_shipment_list_count(l); i++) {
		const tsk_shipment *s = tsk_shipment_list_at(l, i);
		if (strcmp(tsk_shipment_tracking_number(s), number) == 0 &&
		    (!carrier || strcmp(tsk_shipment_carrier(s), carrier) == 0))
			return s;
	}
	return NULL;
}

static bool final_status(tsk_status st)
{
	return st == TSK_STATUS_DELIVERED || st == TSK_STATUS_RETURNED_TO_SENDER;
}

int cmd_watch(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_opts o;
	tsk_ctx *ctx;
	int status;
	if (!cli_start(&o, &ctx, v, argc, argv, &status))
		return status;
	long interval = o.interval ? o.interval : 900;
	tsk_shipment_list *state = NULL;
	if (o.state) {
		if (load_state(o.state, &state) != 0) {
			cli_finish(&o, ctx);
			return CLI_SOME_ERROR;
		}
	} else if (tsk_shipment_list_new(&state) != TSK_OK) {
		cli_finish(&o, ctx);
		return CLI_SOME_ERROR;
	}
	/* with no numbers, watch what the state file holds */
	const char **numbers = calloc((size_t)o.nargs + tsk_shipment_list_count(state) + 1, sizeof *numbers);
	size_t count = 0;
	for (int i = 0; i < o.nargs; i++)
		numbers[count++] = o.args[i];
	if (count == 0)
		for (size_t i = 0; i < tsk_shipment_list_count(state); i++)
			numbers[count++] = tsk_shipment_tracking_number(tsk_shipment_list_at(state, i));
	if (count == 0) {
		cli_usage_error(v, "nothing to watch: give NUMBER... or a --state FILE that holds shipments");
		tsk_shipment_list_free(state);
		free(numbers);
		cli_finish(&o, ctx);
		return CLI_USAGE;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* the caller's own deliveries teach the ETA model its lanes */
	tsk_ctx_learn_transit(ctx, state);

	status = CLI_OK;
	for (long poll = 0; !stop_requested && (o.max_polls == 0 || poll < o.max_polls); poll++) {
		tsk_shipment_list *fresh = NULL;
		if (tsk_track_batch(&fresh, ctx, o.carrier, numbers, count, state) != TSK_OK) {
			fprintf(stderr, "tsuiseki watch: %s\n", tsk_ctx_last_error(ctx));
			status = CLI_SOME_ERROR;
			break;
		}
		/* print the changes, then keep the fresh snapshots */
		tsk_shipment_list *next = NULL;
		if (tsk_shipment_list_new(&next) != TSK_OK) {
			tsk_shipment_list_free(fresh);
			status = CLI_SOME_ERROR;
			break;
		}
		bool all_final = true;
		time_t now = time(NULL);
		time_t wake = now + interval;
		for (size_t i = 0; i < tsk_shipment_list_count(fresh); i++) {
			const tsk_shipment *s = tsk_shipment_list_at(fresh, i);
			const tsk_shipment *old = find(state, tsk_shipment_carrier(s), tsk_shipment_tracking_number(s));
			int err = tsk_shipment_error(s);
			bool usable = err == TSK_OK || err == TSK_ENOTFOUND;
			if (!usable)
				fprintf(stderr, "tsuiseki watch: %s: %s: %s\n", tsk_shipment_tracking_number(s),
				        tsk_error_name(err), tsk_shipment_error_message(s) ? tsk_shipment_error_message(s) : "");
			const tsk_shipment *keep = usable || !old ? s : old;
			if (usable) {
				tsk_change_list *changes = NULL;
				char *lines = NULL;
				if (tsk_diff(&changes, old, s, NULL) == TSK_OK &&
				    tsk_change_list_to_json(&lines, NULL, changes, 0) == TSK_OK)
					fputs(lines, stdout);
				tsk_free(lines);
				tsk_change_list_free(changes);
			}
			tsk_shipment *copy = NULL;
			if (tsk_shipment_dup(&copy, keep) != TSK_OK || tsk_shipment_list_append(next, copy) != TSK_OK) {
				status = CLI_SOME_ERROR;
				continue;
			}
			if (!final_status(tsk_shipment_status(keep)))
				all_final = false;
			const tsk_time *np = tsk_shipment_next_poll(keep);
			if (np && !final_status(tsk_shipment_status(keep))) {
				/* the library's suggestion, in wall-clock terms when --now is fixed */
				time_t at = o.have_now ? now + (time_t)(np->epoch - o.now.epoch) : (time_t)np->epoch;
				if (at < wake)
					wake = at;
			}
		}
		fflush(stdout);
		/* shipments in the state that this run did not ask about stay */
		for (size_t i = 0; i < tsk_shipment_list_count(state); i++) {
			const tsk_shipment *s = tsk_shipment_list_at(state, i);
			if (!find(next, tsk_shipment_carrier(s), tsk_shipment_tracking_number(s))) {
				tsk_shipment *copy = NULL;
				if (tsk_shipment_dup(&copy, s) == TSK_OK)
					tsk_shipment_list_append(next, copy);
			}
		}
		tsk_shipment_list_free(fresh);
		tsk_shipment_list_free(state);
		state = next;
		if (o.state && save_state(o.state, state) != 0) {
			status = CLI_SOME_ERROR;
			break;
		}
		if (all_final)
			break; /* delivered or returned: never again */
		if (o.max_polls && poll + 1 >= o.max_polls)
			break;
		long wait = (long)(wake - time(NULL));
		if (wait < 1)
			wait = 1;
		if (wait > interval)
			wait = interval;
		struct timespec ts = { wait, 0 };
		while (!stop_requested && nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	tsk_shipment_list_free(state);
	free(numbers);
	cli_finish(&o, ctx);
	return status;
}
