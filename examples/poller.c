/*
 * poller — track numbers through tsuiseki's event-loop API with a plain
 * poll(2) loop: the glue a daemon copies into its own loop.
 *
 *     poller [--carrier NAME] NUMBER...
 *
 * Carriers are the built-in ones plus plugins from TSUISEKI_CARRIER_PATH;
 * endpoints come from TSUISEKI_ENDPOINT_<CARRIER> as everywhere. Exit
 * status: 0 when every shipment was found, 1 when one carries an error,
 * 2 for a usage or setup error.
 *
 * The loop holds what tsuiseki asks for, nothing more: the descriptors the
 * socket callback announced (with what to wait for) and one deadline from
 * the timer callback. Each turn waits in poll(2) until a descriptor is
 * ready or the deadline passes, then tells tsuiseki with
 * tsk_ctx_socket_action(). A daemon would keep the loop running and submit
 * new queries from a done callback, a signal or its own timers.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tsuiseki.h>

struct poller {
	struct pollfd *fds;    /* what tsuiseki asked us to watch */
	size_t nfds, cap;
	long long deadline;    /* monotonic ms; -1: no timer */
	int failed;            /* 1 when something could not be tracked */
	int broken;            /* out of memory in a callback */
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Socket callback: add, change or drop one descriptor of the watch set.
 * Only the set changes here: calling tsuiseki back is not allowed. */
static void on_socket(tsk_ctx *ctx, int fd, int what, void *userdata)
{
	(void)ctx;
	struct poller *p = userdata;
	size_t i = 0;
	while (i < p->nfds && p->fds[i].fd != fd)
		i++;
	if (what == TSK_POLL_REMOVE) {
		if (i < p->nfds)
			p->fds[i] = p->fds[--p->nfds];
		return;
	}
	if (i == p->nfds) {
		if (p->nfds == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 8;
			struct pollfd *n = realloc(p->fds, cap * sizeof *n);
			if (!n) {
				p->broken = 1;
				return;
			}
			p->fds = n;
			p->cap = cap;
		}
		p->nfds++;
	}
	p->fds[i].fd = fd;
	p->fds[i].events = (short)(((what & TSK_POLL_IN) ? POLLIN : 0) |
	                           ((what & TSK_POLL_OUT) ? POLLOUT : 0));
	p->fds[i].revents = 0;
}

/* Timer callback: one timer per context, re-armed (or removed) each time. */
static void on_timer(tsk_ctx *ctx, long timeout_ms, void *userdata)
{
	(void)ctx;
	struct poller *p = userdata;
	p->deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
}

static void print_shipment(const tsk_shipment *s)
{
	printf("%s %s: %s", tsk_shipment_carrier(s), tsk_shipment_tracking_number(s),
	       tsk_status_to_string(tsk_shipment_status(s)));
	if (tsk_shipment_error(s) != TSK_OK)
		printf(" (%s: %s)", tsk_error_name(tsk_shipment_error(s)), tsk_shipment_error_message(s));
	printf("\n");
	for (size_t i = 0; i < tsk_shipment_event_count(s); i++) {
		const tsk_event *ev = tsk_shipment_event_at(s, i);
		char when[40];
		tsk_time_format(when, sizeof when, tsk_event_time(ev));
		const char *word = tsk_event_carrier_status(ev);
		const char *place = tsk_event_location(ev);
		printf("  %-25s %s %s\n", when, word ? word : "", place ? place : "");
	}
}

/* Done callback: runs once per query, from tsk_ctx_socket_action(). The
 * shipments are borrowed until it returns (tsk_query_take_shipments()
 * keeps them without a copy). */
static void on_done(tsk_query *q, int result, const tsk_shipment_list *shipments, void *userdata)
{
	struct poller *p = userdata;
	if (result != TSK_OK) {
		fprintf(stderr, "poller: query failed: %s (%s)\n", tsk_strerror(result),
		        tsk_ctx_last_error(tsk_query_ctx(q)));
		p->failed = 1;
		return;
	}
	for (size_t i = 0; i < tsk_shipment_list_count(shipments); i++) {
		const tsk_shipment *s = tsk_shipment_list_at(shipments, i);
		print_shipment(s);
		if (tsk_shipment_error(s) != TSK_OK)
			p->failed = 1;
	}
}

/* One turn: wait for a descriptor or the deadline, then act on what happened. */
static int turn(tsk_ctx *ctx, struct poller *p, int *running)
{
	int timeout = -1;
	if (p->deadline >= 0) {
		long long left = p->deadline - mono_ms();
		timeout = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
	}
	if (timeout < 0 && p->nfds == 0) {
		fprintf(stderr, "poller: nothing to wait for\n");
		return -1;
	}
	int n = poll(p->fds, (nfds_t)p->nfds, timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n > 0) {
		/* act on a copy: tsk_ctx_socket_action() runs the socket
		 * callback, which changes p->fds */
		struct pollfd *ready = malloc((size_t)n * sizeof *ready);
		if (!ready)
			return -1;
		size_t k = 0;
		for (size_t i = 0; i < p->nfds && k < (size_t)n; i++)
			if (p->fds[i].revents)
				ready[k++] = p->fds[i];
		for (size_t i = 0; i < k; i++) {
			short re = ready[i].revents;
			int ev = ((re & POLLIN) ? TSK_POLL_IN : 0) | ((re & POLLOUT) ? TSK_POLL_OUT : 0) |
			         ((re & (POLLERR | POLLHUP | POLLNVAL)) ? TSK_POLL_ERR : 0);
			if (tsk_ctx_socket_action(ctx, ready[i].fd, ev, running) != TSK_OK)
				fprintf(stderr, "poller: %s\n", tsk_ctx_last_error(ctx));
		}
		free(ready);
	}
	if (p->deadline >= 0 && mono_ms() >= p->deadline) {
		p->deadline = -1; /* the timer is one-shot */
		if (tsk_ctx_socket_action(ctx, TSK_NO_FD, 0, running) != TSK_OK)
			fprintf(stderr, "poller: %s\n", tsk_ctx_last_error(ctx));
	}
	return p->broken ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *carrier = "auto";
	int first = 1;
	if (argc > 2 && strcmp(argv[1], "--carrier") == 0) {
		carrier = argv[2];
		first = 3;
	}
	if (first >= argc || strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
		fprintf(stderr, "usage: %s [--carrier NAME] NUMBER...\n", argv[0]);
		return 2;
	}

	tsk_ctx *ctx = NULL;
	if (tsk_ctx_new(&ctx, 0) != TSK_OK) {
		fprintf(stderr, "poller: cannot create a context\n");
		return 2;
	}
	if (tsk_ctx_load_plugin_path(ctx, NULL) != TSK_OK)
		fprintf(stderr, "poller: %s\n", tsk_ctx_last_error(ctx));

	struct poller p = { NULL, 0, 0, -1, 0, 0 };
	tsk_ctx_set_socket_cb(ctx, on_socket, &p);
	tsk_ctx_set_timer_cb(ctx, on_timer, &p);

	/* One query for all the numbers: the library batches them per carrier.
	 * A daemon may submit as many queries as it likes, at any time. */
	tsk_query_opts opts = TSK_QUERY_OPTS_INIT;
	opts.carrier = carrier;
	opts.numbers = (const char *const *)(argv + first);
	opts.count = (size_t)(argc - first);
	if (tsk_query_submit(NULL, ctx, &opts, on_done, &p) != TSK_OK) {
		fprintf(stderr, "poller: %s\n", tsk_ctx_last_error(ctx));
		tsk_ctx_free(ctx);
		return 2;
	}

	int running = 1;
	int rc = 0;
	while (running > 0 && rc == 0)
		rc = turn(ctx, &p, &running);
	if (rc != 0)
		p.failed = 2;

	/* any query still in flight ends here, its done callback with
	 * TSK_ECANCELED; the socket callback hears REMOVE for every descriptor */
	tsk_ctx_free(ctx);
	free(p.fds);
	return p.failed;
}
