/*
 * pgtmp - a throwaway PostgreSQL cluster for C tests.  See pgtmp.h.
 */
#include "pgtmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* initdb + start + createdb take about a second; a loaded CI machine under
 * valgrind may take much longer. */
#define PGTMP_TIMEOUT_MS 120000

struct tsk_pgtmp {
    pid_t pid;
    int cmd_fd;   /* keeper's stdin: commands; closing it removes the cluster */
    int reply_fd; /* keeper's stdout: CONNINFO, then one answer per command */
    char conninfo[512];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read one line (without its newline) into buf within the time bound.
 * Reads a byte at a time so nothing after the line is consumed. */
static int read_line(int fd, char *buf, size_t size)
{
    size_t len = 0;
    long long deadline = now_ms() + PGTMP_TIMEOUT_MS;
    while (len + 1 < size) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        if (c == '\n') {
            buf[len] = '\0';
            return 0;
        }
        buf[len++] = c;
    }
    return -1;
}

static int keeper_status(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

tsk_pgtmp *tsk_pgtmp_start(const char *script_path, int *skipped)
{
    int dummy;
    if (!skipped)
        skipped = &dummy;
    *skipped = 0;
    if (!script_path)
        script_path = getenv("TSK_PGTMP");
    if (!script_path) {
        fprintf(stderr, "pgtmp: TSK_PGTMP (the path of tests/common/pgtmp.sh) is not set\n");
        return NULL;
    }
    int in[2], out[2];
    if (pipe(in) != 0)
        return NULL;
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return NULL;
    }
    /* Close-on-exec: programs the test runs must not hold the keeper's pipes. */
    for (int i = 0; i < 2; i++) {
        fcntl(in[i], F_SETFD, FD_CLOEXEC);
        fcntl(out[i], F_SETFD, FD_CLOEXEC);
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        return NULL;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
            _exit(127);
        execlp("bash", "bash", script_path, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);

    tsk_pgtmp *pg = calloc(1, sizeof *pg);
    char line[600];
    if (!pg || read_line(out[0], line, sizeof line) != 0 || strncmp(line, "CONNINFO ", 9) != 0 ||
        strlen(line + 9) >= sizeof pg->conninfo) {
        close(in[1]);
        close(out[0]);
        int st = keeper_status(pid); /* the keeper exits (and cleans up) at EOF */
        if (st == TSK_PGTMP_SKIP)
            *skipped = 1;
        else
            fprintf(stderr, "pgtmp: %s did not start a cluster (status %d; its reason is above)\n",
                    script_path, st);
        free(pg);
        return NULL;
    }
    memcpy(pg->conninfo, line + 9, strlen(line + 9) + 1);
    pg->pid = pid;
    pg->cmd_fd = in[1];
    pg->reply_fd = out[0];
    return pg;
}

const char *tsk_pgtmp_conninfo(const tsk_pgtmp *pg) { return pg ? pg->conninfo : NULL; }

int tsk_pgtmp_command(tsk_pgtmp *pg, const char *command)
{
    if (!pg || !command)
        return -1;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s\n", command);
    if (n < 0 || (size_t)n >= sizeof buf || write(pg->cmd_fd, buf, (size_t)n) != n)
        return -1;
    char line[256];
    if (read_line(pg->reply_fd, line, sizeof line) != 0)
        return -1;
    if (strcmp(line, "OK") != 0) {
        fprintf(stderr, "pgtmp: %s: %s\n", command, line);
        return -1;
    }
    return 0;
}

void tsk_pgtmp_stop(tsk_pgtmp *pg)
{
    if (!pg)
        return;
    close(pg->cmd_fd);
    close(pg->reply_fd);
    keeper_status(pg->pid);
    free(pg);
}
