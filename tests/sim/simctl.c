/*
 * simctl - start/stop/query tsk-sim from C tests.  See simctl.h.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "simctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIMCTL_TIMEOUT_MS 10000

struct tsk_sim {
    pid_t pid;
    int port;
    int watch_fd; /* write end of the simulator's stdin; closing it stops it */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* Wait for pid to exit for at most ms; 1 if reaped (or not our child). */
static int reap_within(pid_t pid, long long ms)
{
    long long deadline = now_ms() + ms;
    for (;;) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return 1; /* ECHILD: someone else reaped it (e.g. SIGCHLD ignored) */
        if (now_ms() >= deadline)
            return 0;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGTERM);
    if (!reap_within(pid, SIMCTL_TIMEOUT_MS)) {
        kill(pid, SIGKILL);
        reap_within(pid, SIMCTL_TIMEOUT_MS);
    }
}

tsk_sim *tsk_sim_start(const char *sim_binary, const char *root_dir)
{
    int out[2], in[2];
    if (!sim_binary || !root_dir)
        return NULL;
    if (pipe(out) != 0)
        return NULL;
    if (pipe(in) != 0) {
        close(out[0]);
        close(out[1]);
        return NULL;
    }
    /* Close-on-exec everywhere: other programs the test spawns (or later
     * simulators) must not hold these pipes open. dup2() in the child
     * clears the flag on the copies it needs. */
    set_cloexec(out[0]);
    set_cloexec(out[1]);
    set_cloexec(in[0]);
    set_cloexec(in[1]);

    char *argv[] = { (char *)sim_binary, (char *)"--root", (char *)root_dir, (char *)"--stdin-watch", NULL };
    pid_t pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        close(in[0]);
        close(in[1]);
        return NULL;
    }
    if (pid == 0) {
        /* child: async-signal-safe calls only */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL); /* the test may block SIGTERM */
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
            _exit(127);
        fcntl(0, F_SETFD, 0);
        fcntl(1, F_SETFD, 0);
        execv(sim_binary, argv);
        static const char msg[] = "simctl: execv of tsk-sim failed\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    close(out[1]);
    close(in[0]);

    /* Read "PORT <n>\n" within the time bound. */
    char line[64];
    size_t len = 0;
    int port = -1;
    long long deadline = now_ms() + SIMCTL_TIMEOUT_MS;
    while (len < sizeof line - 1) {
        long long left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd p = { out[0], POLLIN, 0 };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = read(out[0], line + len, sizeof line - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        line[len] = '\0';
        if (strchr(line, '\n')) {
            if (sscanf(line, "PORT %d", &port) != 1 || port <= 0 || port > 65535)
                port = -1;
            break;
        }
    }
    /* The simulator writes nothing else to stdout (and ignores SIGPIPE). */
    close(out[0]);
    if (port < 0) {
        fprintf(stderr, "simctl: %s did not report its port (see its stderr above)\n", sim_binary);
        close(in[1]);
        kill_and_reap(pid);
        return NULL;
    }

    tsk_sim *sim = malloc(sizeof *sim);
    if (!sim) {
        close(in[1]);
        kill_and_reap(pid);
        return NULL;
    }
    sim->pid = pid;
    sim->port = port;
    sim->watch_fd = in[1];
    return sim;
}

int tsk_sim_pid(const tsk_sim *sim)
{
    return sim ? (int)sim->pid : -1;
}

int tsk_sim_port(const tsk_sim *sim) { return sim ? sim->port : -1; }

const char *tsk_sim_url(const tsk_sim *sim, const char *path, char *buf, size_t bufsize)
{
    if (!sim || !buf || bufsize == 0)
        return NULL;
    int n = snprintf(buf, bufsize, "http://127.0.0.1:%d%s", sim->port, path ? path : "");
    if (n < 0 || (size_t)n >= bufsize)
        return NULL;
    return buf;
}

/* One request over a fresh connection with Connection: close; returns the
 * body (malloc) and *status, or NULL.  Every wait is bounded. */
static char *simple_request(const tsk_sim *sim, const char *method, const char *path, int *status)
{
    char req[1024];
    int rl = snprintf(req, sizeof req,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: simctl\r\n"
                      "Content-Length: 0\r\nConnection: close\r\n\r\n",
                      method, path, sim->port);
    if (rl < 0 || (size_t)rl >= sizeof req)
        return NULL;

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return NULL;
    set_cloexec(fd);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)sim->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* Loopback connect completes or fails immediately; no need for a
     * non-blocking connect dance. */
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return NULL;
    }

    long long deadline = now_ms() + SIMCTL_TIMEOUT_MS;
    size_t off = 0;
    while (off < (size_t)rl) {
        ssize_t n = send(fd, req + off, (size_t)rl - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return NULL;
        }
        off += (size_t)n;
    }

    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            goto fail;
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto fail;
        if (cap - len < 4096) {
            size_t nc = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, nc);
            if (!nb)
                goto fail;
            buf = nb;
            cap = nc;
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!buf)
        return NULL;
    buf[len] = '\0';

    int st;
    char *body = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.%*d %d", &st) != 1 || !body) {
        free(buf);
        return NULL;
    }
    body += 4;
    size_t blen = len - (size_t)(body - buf);
    memmove(buf, body, blen);
    buf[blen] = '\0';
    *status = st;
    return buf;

fail:
    free(buf);
    close(fd);
    return NULL;
}

char *tsk_sim_fetch(const tsk_sim *sim, const char *path)
{
    int st = 0;
    if (!sim || !path)
        return NULL;
    char *body = simple_request(sim, "GET", path, &st);
    if (body && (st < 200 || st > 299)) {
        free(body);
        return NULL;
    }
    return body;
}

int tsk_sim_reset(const tsk_sim *sim)
{
    int st = 0;
    if (!sim)
        return -1;
    char *body = simple_request(sim, "POST", "/_reset", &st);
    int rc = body && st == 200 ? 0 : -1;
    free(body);
    return rc;
}

void tsk_sim_stop(tsk_sim *sim)
{
    if (!sim)
        return;
    kill_and_reap(sim->pid);
    close(sim->watch_fd);
    free(sim);
}
