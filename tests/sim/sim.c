/*
 * tsk-sim - loopback "carrier simulator" for tsuiseki's HTTP tests.
 *
 * A small HTTP/1.1 server that plays the carriers for the tests.  The
 * library's HTTP paths are exercised end to end through libcurl against this
 * program, so tests never reach the internet.  It only ever binds 127.0.0.1.
 *
 * USAGE
 *   tsk-sim --root DIR [--routes FILE] [--port N] [--idle-exit SECONDS]
 *           [--log FILE] [--stdin-watch]
 *
 *   --root DIR         fixture directory; route files are relative to it.
 *   --routes FILE      route table (default DIR/routes).
 *   --port N           TCP port on 127.0.0.1 (default 0 = kernel picks).
 *   --idle-exit S      exit after S seconds (>= 1, default 600) without any
 *                      request, so a forgotten simulator never lives forever.
 *   --log FILE         also append every request-log line to FILE.
 *   --stdin-watch      exit when stdin reaches EOF (simctl passes a pipe, so
 *                      the simulator dies with the test program that owns it).
 *
 *   Once listening it prints exactly "PORT <n>\n" on stdout (flushed).  It
 *   exits 0 on SIGTERM/SIGINT, idle-exit or stdin EOF, 2 on usage/route-file
 *   errors, 1 on socket errors.
 *
 * ROUTES FILE
 *   One route per line; '#' at line start or after whitespace starts a
 *   comment; fields are separated by spaces/tabs:
 *
 *     <carrier> <key> <file>[,<file2>...] [content-type...] [option=value...]
 *
 *   carrier  first path segment of the request (after any fault prefix),
 *            except "rest", which becomes "rest/<second segment>":
 *            /yamato/cgi-bin/tneko -> yamato,
 *            /rest/aftership/v4/trackings/ups/1Z... -> rest/aftership.
 *   key      the request's tracking numbers joined by ',' (see below), or
 *            '*' = fallback for that carrier when no exact key matches.
 *            Key elements are normalised like request numbers ('-' and
 *            spaces removed, upper-cased) and must pass the same rule.
 *   files    relative to --root, comma separated without spaces.  With
 *            several files, successive requests served by the route get
 *            file 1, 2, ...; the last one sticks.  "-" is an empty body.
 *            Files must exist when the route table is loaded; they are read
 *            at request time.
 *   content-type  the remaining words up to the first option, joined by
 *            one space, e.g. "text/html; charset=Shift_JIS"; default
 *            text/html.
 *   options  status=NNN               status to send (200-599, default 200)
 *            template                 replace @NUMBER@ and @NUMBER_DASHED@
 *                                     (NNNN-NNNN-NNNN) in the file by the
 *                                     request's first number
 *            require-header=Name:Value  without that header (name compared
 *                                     case-insensitively, value exactly,
 *                                     %XX-decoded, so "Bearer%20t" works)
 *                                     answer 401; may be repeated.
 *            fault=SPEC[+SPEC...]     fault(s) applied to every request on
 *                                     this route (grammar below; x<N> counts
 *                                     per route).
 *   First matching line wins.  Requests answered by a fault, 401 or 404 do
 *   not advance a route's file sequence.
 *
 * BATCHES (yamato, japanpost)
 *   A request for numbers that no route names as a whole (only '*' would
 *   match) is answered number by number, as the carriers answer a batch:
 *   each number's own route (its exact route, else a several-number route
 *   naming it, else '*' with the template filled for that number) gives
 *   a page, and one page is composed from them: the first number's page is
 *   the frame, and in each section of the layout (yamato-2019: the number
 *   list and the invoice blocks; yamato-2009: the ten summary slots, empty
 *   ones kept, and the detail blocks; japanpost-2019: the 配達状況詳細 +
 *   履歴情報 tables or the 照会結果 table) the items showing each number
 *   come in request order, renumbered (N件目, AA anchors and links, numberNN
 *   inputs).  Each route advances its file sequence once per request and
 *   its faults apply; a route status other than 200 answers with that
 *   number's page; require-header holds for every route.  Pages of
 *   different layouts (or of none) cannot make one page: 500 naming the
 *   number.  A single number whose only route is a several-number route is
 *   answered the same way (its parts alone).  Other carriers (sagawa asks
 *   one number per request) keep the '*' route for any unnamed key.
 *
 * TRACKING NUMBERS (the request key)
 *   Candidates, in order of appearance: the last path segment (text after
 *   the last '/', %-decoded), every query parameter value, and every
 *   application/x-www-form-urlencoded body parameter value (%-decoded, '+'
 *   = space).  Parameters whose name starts with "sim_" are skipped; a
 *   parameter without '=' counts as a value.  For an application/json (or
 *   +json) body, every JSON string literal that is not an object key.  A
 *   candidate is a number if, after removing '-' and spaces, it matches
 *   ^[0-9A-Za-z]{8,40}$ and has at least 8 digits.  Numbers are upper-cased,
 *   duplicates dropped (first kept); key = numbers joined by ','.  A request
 *   with no number has the empty key, which only '*' matches.
 *
 * FAULTS
 *   Path prefix /_fault/<spec>[+<spec>...]/<normal path>, e.g.
 *   http://127.0.0.1:P/_fault/500x2/yamato/cgi-bin/tneko.  Specs:
 *     NNN            answer status NNN (200-599) with a short HTML body
 *                    (204/304: no body).  No route needed.
 *     NNN:<secs>     same plus "Retry-After: <secs>" (e.g. 429:30, 503:5).
 *     delay:<ms>     sleep before sending anything (max 600000).
 *     drip:<ms>      send the body in 64-byte pieces, <ms> between pieces.
 *     truncate:<n>   announce the full Content-Length, send only n body bytes
 *                    (for chunked: n bytes of the chunked stream), close.
 *     charset:<name> Content-Type becomes "text/html; charset=<name>".
 *     oversize:<n>   200 with a generated valid HTML body of n bytes
 *                    (minimum 134, the skeleton), padded inside a comment.
 *     oversize-chunked:<n>  same, chunked transfer encoding, no length.
 *     close          close the connection without answering.
 *     garbage        200 with 512 bytes of binary junk, Content-Type of the
 *                    matched route (text/html if none).
 *     redirect:NNN[:<loc>]  answer NNN (301, 302, 303, 307, 308) with
 *                    "Location: <loc><normal path>[?query]"; <loc> is
 *                    %-encoded (e.g. http%3A%2F%2F127.0.0.1%3A8081 for
 *                    another server), without it the same server.
 *   Any spec may end in x<N>: apply it only to the first N requests carrying
 *   this exact prefix string (counter per distinct prefix, e.g. "500x2" and
 *   "500x2+delay:10" count separately); later requests behave normally.
 *   Precedence: close > redirect > status > garbage > oversize > route; delay, drip,
 *   truncate and charset modify whatever is sent; for repeated kinds the
 *   last spec wins.  A malformed spec gets 400 "bad fault spec".
 *   Note: libcurl transparently retries once when a *reused* connection is
 *   closed before any response byte, so "closex1" may be invisible to it.
 *
 * CONTROL ENDPOINTS (not logged, not counted)
 *   GET  /_log    request log, one line per request, tab-separated:
 *                 method, target as received (with fault prefix and query),
 *                 Content-Type, body, User-Agent, Accept-Encoding,
 *                 connection id (decimal; same id = same TCP connection),
 *                 arrival (wall clock, seconds since the epoch with
 *                 microseconds: when the request was read).
 *                 Absent/empty fields are "-".  The body escapes bytes
 *                 0x00-0x20, 0x7f-0xff and '%' as %XX; header fields escape
 *                 0x00-0x1f, 0x7f-0xff and '%'; a field that is literally
 *                 "-" is written %2D.
 *   GET  /_stats  "requests <n>\nconnections <n>\nmax_concurrent <n>\n":
 *                 logged requests; distinct TCP connections that carried
 *                 one; maximum number of requests in flight at once (a
 *                 request is in flight from when it is read until its
 *                 answer starts going out).
 *   POST /_reset  clear log, stats, fault counters and file sequences.
 *
 * HTTP
 *   HTTP/1.0 and 1.1, keep-alive (honours Connection: close), pipelining,
 *   Content-Length request bodies (Transfer-Encoding -> 501), Expect:
 *   100-continue.  Header block <= 64 KiB (else 431), <= 128 header lines
 *   (else 431), body <= 1 MiB (else 413), malformed -> 400; all of these
 *   close the connection and are not logged.  A connection idle for 10 s is
 *   closed; every socket wait is bounded.  One thread per connection, at
 *   most 256 connections (more get 503 and are closed).
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define HEAD_LIMIT (64 * 1024)
#define BODY_LIMIT (1024 * 1024)
/* Room for one maximal request plus some pipelined bytes behind it. */
#define BUF_LIMIT (HEAD_LIMIT + BODY_LIMIT + 64 * 1024)
#define MAX_HEADERS 128
#define IO_TIMEOUT_MS 10000
#define LINGER_MS 1000
#define FILE_LIMIT (64L * 1024 * 1024)
#define OVERSIZE_LIMIT (1LL << 30)
#define DELAY_LIMIT_MS 600000L
#define LOG_MEM_LIMIT (64 * 1024 * 1024)
#define DRIP_PIECE 64
#define SEND_PIECE 16384
#define GARBAGE_LEN 512
#define THREAD_STACK (512 * 1024)

/* ------------------------------------------------------------------------ */
/* small utilities                                                          */

/* Out of memory in a test helper is not worth recovering from: a clear
 * message and abort() beats half-handled error paths. */
static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("tsk-sim: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (!p) {
        fputs("tsk-sim: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

/* Growable byte string. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_add(b, tmp, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, big, (size_t)n);
    free(big);
}

static bool is_digit(unsigned char ch) { return ch >= '0' && ch <= '9'; }

static bool is_alnum(unsigned char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static unsigned char up(unsigned char ch) { return (ch >= 'a' && ch <= 'z') ? (unsigned char)(ch - 32) : ch; }

/* RFC 9110 token character. */
static bool is_tchar(unsigned char ch)
{
    return is_alnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool all_tchars(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return false;
    return true;
}

/* Parse a non-negative decimal with no sign/space/garbage, <= max. */
static bool parse_num(const char *s, size_t len, long long max, long long *out)
{
    long long v = 0;
    if (len == 0 || len > 18)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static int hexval(unsigned char ch)
{
    if (is_digit(ch))
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* %XX-decode s[0..len) into a new NUL-terminated string; invalid escapes are
 * kept literally.  The result may contain NUL bytes, hence *outlen. */
static char *pct_decode(const char *s, size_t len, bool plus_is_space, size_t *outlen)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        int h, l;
        if (ch == '%' && i + 2 < len && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
            (l = hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (ch == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* ------------------------------------------------------------------------ */
/* global state                                                             */

struct hdr {
    char *name;
    char *value;
};

struct route {
    int line;
    char *carrier;
    char *key; /* normalised, or "*" */
    char **files;
    size_t nfiles;
    char *ctype;
    int status;
    struct hdr *need; /* require-header options */
    size_t nneed;
    char *fault; /* fault=SPEC, already validated; NULL if none */
    bool tmpl;   /* "template": @NUMBER@ / @NUMBER_DASHED@ become the first requested number */
    unsigned long served; /* sequence position, guarded by g.lock */
};

struct counter {
    char *name;
    unsigned long n;
};

struct slot {
    pthread_t tid;
    bool used, done;
};

static struct {
    const char *root;
    struct route *routes;
    size_t nroutes;
    int log_fd;
    /* Self-pipe: a byte is written on SIGTERM/SIGINT/idle/stdin EOF and never
     * drained, so every worker's poll() sees it and unwinds promptly. */
    int stop_r, stop_w;

    pthread_mutex_t lock; /* guards everything below */
    struct sbuf log;
    bool log_full;
    unsigned long requests, connections, inflight, max_inflight;
    unsigned long epoch; /* bumped by /_reset; see conn.counted_epoch */
    struct counter *counters;
    size_t ncounters;
    long long last_activity_ms;
    struct slot slots[MAX_CONNS];
} g = { .log_fd = -1, .stop_r = -1, .stop_w = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .epoch = 1 };

static void request_stop(void)
{
    char b = 'x';
    /* Non-blocking pipe: if it is full, a byte is already there. */
    ssize_t r = write(g.stop_w, &b, 1);
    (void)r;
}

static void on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    request_stop();
    errno = saved;
}

static void touch_activity(void)
{
    pthread_mutex_lock(&g.lock);
    g.last_activity_ms = mono_ms();
    pthread_mutex_unlock(&g.lock);
}

/* Increment and return the counter called name (1 on first use). */
static unsigned long bump_counter(const char *name)
{
    unsigned long n;
    pthread_mutex_lock(&g.lock);
    size_t i;
    for (i = 0; i < g.ncounters; i++)
        if (strcmp(g.counters[i].name, name) == 0)
            break;
    if (i == g.ncounters) {
        g.counters = xrealloc(g.counters, (g.ncounters + 1) * sizeof *g.counters);
        g.counters[i].name = xstrdup(name);
        g.counters[i].n = 0;
        g.ncounters++;
    }
    n = ++g.counters[i].n;
    pthread_mutex_unlock(&g.lock);
    return n;
}

/* ------------------------------------------------------------------------ */
/* socket I/O with bounded waits                                            */

/* Wait for ev on fd for at most ms.  1 = ready (or error/hangup, which the
 * next send/recv reports), 0 = timeout, -1 = shutting down. */
static int wait_io(int fd, short ev, int ms)
{
    struct pollfd p[2] = { { fd, ev, 0 }, { g.stop_r, POLLIN, 0 } };
    long long deadline = mono_ms() + ms;
    for (;;) {
        long long left = deadline - mono_ms();
        if (left < 0)
            left = 0;
        int r = poll(p, 2, (int)left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (p[1].revents)
            return -1;
        return r == 0 ? 0 : 1;
    }
}

/* Sleep ms milliseconds unless shutdown starts; false if it did. */
static bool sleep_ms(long long ms)
{
    struct pollfd p = { g.stop_r, POLLIN, 0 };
    long long deadline = mono_ms() + ms;
    for (;;) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            return true;
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return false;
        if (r < 0 && errno != EINTR)
            return false;
    }
}

struct conn {
    int fd;
    unsigned long id;
    unsigned long counted_epoch; /* stats epoch in which this conn was counted */
    size_t slot;
    char *buf;
    size_t len, cap;
};

static bool send_all(struct conn *c, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_io(c->fd, POLLOUT, IO_TIMEOUT_MS) != 1)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* Read more bytes into c->buf.  >0 bytes read, 0 EOF, -1 error/timeout/stop. */
static ssize_t recv_more(struct conn *c)
{
    if (c->cap - c->len < 4096 && c->cap < BUF_LIMIT) {
        size_t cap = c->cap ? c->cap * 2 : 16384;
        if (cap > BUF_LIMIT)
            cap = BUF_LIMIT;
        c->buf = xrealloc(c->buf, cap);
        c->cap = cap;
    }
    if (c->len == c->cap)
        return -1;
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            return n;
        }
        if (n == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_io(c->fd, POLLIN, IO_TIMEOUT_MS) != 1)
                return -1;
            continue;
        }
        return -1;
    }
}

static void consume(struct conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Half-close and drain briefly before close(): closing a socket with unread
 * input makes the kernel send RST, which can destroy the response we just
 * wrote before the client reads it. */
static void close_gracefully(int fd)
{
    char scratch[4096];
    long long deadline = mono_ms() + LINGER_MS;
    shutdown(fd, SHUT_WR);
    for (;;) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            break;
        ssize_t n = recv(fd, scratch, sizeof scratch, 0);
        if (n > 0)
            continue;
        if (n == 0)
            break;
        if (errno == EINTR)
            continue;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_io(fd, POLLIN, (int)left) == 1)
            continue;
        break;
    }
    close(fd);
}

/* ------------------------------------------------------------------------ */
/* request parsing                                                          */

struct req {
    char *head; /* NUL-terminated copy of the header block */
    char *method;
    const char *target;
    int minor; /* HTTP/1.<minor> */
    struct hdr hdrs[MAX_HEADERS];
    size_t nhdrs;
    size_t content_length;
    char *body; /* NUL-terminated copy, NULL if none */
    bool keep_alive;
};

static void free_req(struct req *r)
{
    free(r->head);
    free(r->body);
    r->head = r->body = NULL;
}

static const char *req_header(const struct req *r, const char *name)
{
    for (size_t i = 0; i < r->nhdrs; i++)
        if (strcasecmp(r->hdrs[i].name, name) == 0)
            return r->hdrs[i].value;
    return NULL;
}

/* Does the comma-separated header value v contain token tok? */
static bool has_token(const char *v, const char *tok)
{
    size_t tl = strlen(tok);
    while (v && *v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        const char *e = v;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - v) == tl && strncasecmp(v, tok, tl) == 0)
            return true;
        v = e;
    }
    return false;
}

/* Compare the media type of a Content-Type value (before ';') with mt. */
static bool media_is(const char *ctype, const char *mt)
{
    if (!ctype)
        return false;
    size_t n = strcspn(ctype, "; \t");
    return n == strlen(mt) && strncasecmp(ctype, mt, n) == 0;
}

static bool media_is_json(const char *ctype)
{
    if (!ctype)
        return false;
    size_t n = strcspn(ctype, "; \t");
    return (n == 16 && strncasecmp(ctype, "application/json", 16) == 0) ||
           (n > 5 && strncasecmp(ctype + n - 5, "+json", 5) == 0);
}

/* Find the end of the header block (blank line; CRLF or bare LF).  Returns
 * its length including the terminator or 0; *scanned remembers progress so
 * a slowly arriving header block is not rescanned from the start. */
static size_t find_head_end(const char *buf, size_t len, size_t *scanned)
{
    for (size_t i = *scanned; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 >= len) {
            *scanned = i;
            return 0;
        }
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r') {
            if (i + 2 >= len) {
                *scanned = i;
                return 0;
            }
            if (buf[i + 2] == '\n')
                return i + 3;
        }
    }
    *scanned = len;
    return 0;
}

/* Parse the header block; 0 or an HTTP error status. */
static int parse_head(const char *buf, size_t hlen, struct req *r)
{
    if (memchr(buf, '\0', hlen))
        return 400;
    r->head = xstrndup(buf, hlen);

    char *line = r->head;
    char *nl = strchr(line, '\n');
    *nl = '\0';
    if (nl > line && nl[-1] == '\r')
        nl[-1] = '\0';

    char *sp1 = strchr(line, ' ');
    if (!sp1)
        return 400;
    *sp1 = '\0';
    r->method = line;
    if (!all_tchars(r->method))
        return 400;
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (!sp2 || sp2 == target)
        return 400;
    *sp2 = '\0';
    for (const char *t = target; *t; t++)
        if ((unsigned char)*t < 0x21 || (unsigned char)*t > 0x7e)
            return 400;
    const char *version = sp2 + 1;
    if (strcmp(version, "HTTP/1.1") == 0)
        r->minor = 1;
    else if (strcmp(version, "HTTP/1.0") == 0)
        r->minor = 0;
    else if (strncmp(version, "HTTP/", 5) == 0 && is_digit((unsigned char)version[5]) && version[6] == '.' &&
             is_digit((unsigned char)version[7]) && version[8] == '\0')
        return 505;
    else
        return 400;

    /* absolute-form (proxy style) is accepted by dropping scheme and host */
    if (strncasecmp(target, "http://", 7) == 0) {
        const char *p = strchr(target + 7, '/');
        r->target = p ? p : "/";
    } else if (target[0] == '/') {
        r->target = target;
    } else {
        return 400;
    }

    char *next;
    for (line = nl + 1; *line; line = next) {
        nl = strchr(line, '\n');
        *nl = '\0';
        next = nl + 1;
        if (nl > line && nl[-1] == '\r')
            nl[-1] = '\0';
        if (*line == '\0')
            break;
        if (*line == ' ' || *line == '\t') /* obsolete line folding */
            return 400;
        char *colon = strchr(line, ':');
        if (!colon || colon == line)
            return 400;
        *colon = '\0';
        if (!all_tchars(line))
            return 400;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        for (const char *t = v; *t; t++)
            if (((unsigned char)*t < 0x20 && *t != '\t') || (unsigned char)*t == 0x7f)
                return 400;
        if (r->nhdrs == MAX_HEADERS)
            return 431;
        r->hdrs[r->nhdrs].name = line;
        r->hdrs[r->nhdrs].value = v;
        r->nhdrs++;
    }

    if (req_header(r, "Transfer-Encoding"))
        return 501;
    bool have_cl = false;
    long long cl = 0;
    for (size_t i = 0; i < r->nhdrs; i++) {
        if (strcasecmp(r->hdrs[i].name, "Content-Length") != 0)
            continue;
        long long v;
        const char *s = r->hdrs[i].value;
        if (!parse_num(s, strlen(s), LLONG_MAX / 4, &v))
            return 400;
        if (have_cl && v != cl)
            return 400;
        have_cl = true;
        cl = v;
    }
    if (cl > BODY_LIMIT)
        return 413;
    r->content_length = (size_t)cl;

    const char *conn = req_header(r, "Connection");
    if (r->minor >= 1)
        r->keep_alive = !has_token(conn, "close");
    else
        r->keep_alive = has_token(conn, "keep-alive") && !has_token(conn, "close");
    return 0;
}

/* Read one request.  0 = ok, -1 = silent close (EOF, timeout, shutdown),
 * >0 = HTTP error status to answer before closing. */
static int read_request(struct conn *c, struct req *r)
{
    size_t scanned = 0, hlen;
    memset(r, 0, sizeof *r);
    for (;;) {
        /* RFC 9112 2.2: ignore empty lines before a request line */
        size_t skip = 0;
        while (skip < c->len && (c->buf[skip] == '\r' || c->buf[skip] == '\n'))
            skip++;
        if (skip) {
            consume(c, skip);
            scanned = 0;
        }
        hlen = find_head_end(c->buf, c->len, &scanned);
        if (hlen)
            break;
        if (c->len >= HEAD_LIMIT)
            return 431;
        if (recv_more(c) <= 0)
            return -1;
    }
    if (hlen > HEAD_LIMIT)
        return 431;
    int st = parse_head(c->buf, hlen, r);
    if (st) {
        free_req(r);
        return st;
    }
    size_t need = hlen + r->content_length;
    if (r->content_length > 0) {
        const char *expect = req_header(r, "Expect");
        /* libcurl waits (up to 1 s) for this before sending large bodies */
        if (c->len < need && expect && strcasecmp(expect, "100-continue") == 0 && r->minor >= 1) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            if (!send_all(c, cont, sizeof cont - 1)) {
                free_req(r);
                return -1;
            }
        }
        while (c->len < need) {
            if (recv_more(c) <= 0) {
                free_req(r);
                return -1;
            }
        }
        r->body = xstrndup(c->buf + hlen, r->content_length);
    }
    consume(c, need);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* tracking-number extraction                                               */

struct strlist {
    char **v;
    size_t n;
};

static void sl_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void sl_push_unique(struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return;
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = xstrdup(s);
}

/* Apply the number rule to s[0..len): drop '-' and ' ', require 8..40
 * ASCII alphanumerics with >= 8 digits; out gets the upper-cased form. */
static bool normalize_number(const char *s, size_t len, char out[41])
{
    size_t o = 0, digits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '-' || ch == ' ')
            continue;
        if (!is_alnum(ch) || o == 40)
            return false;
        if (is_digit(ch))
            digits++;
        out[o++] = (char)up(ch);
    }
    out[o] = '\0';
    return o >= 8 && digits >= 8;
}

static void add_candidate(struct strlist *l, const char *s, size_t len)
{
    char num[41];
    if (normalize_number(s, len, num))
        sl_push_unique(l, num);
}

/* name=value&name=value... as in query strings and urlencoded forms. */
static void extract_params(const char *s, size_t len, bool plus_is_space, struct strlist *out)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '&')
            j++;
        const char *part = s + i;
        size_t plen = j - i;
        const char *eq = memchr(part, '=', plen);
        if (plen > 0) {
            const char *val = part;
            size_t vlen = plen;
            bool skip = false;
            if (eq) {
                size_t nlen;
                char *name = pct_decode(part, (size_t)(eq - part), plus_is_space, &nlen);
                skip = nlen >= 4 && strncmp(name, "sim_", 4) == 0;
                free(name);
                val = eq + 1;
                vlen = plen - (size_t)(eq - part) - 1;
            }
            if (!skip) {
                size_t dlen;
                char *dec = pct_decode(val, vlen, plus_is_space, &dlen);
                add_candidate(out, dec, dlen);
                free(dec);
            }
        }
        i = j + 1;
    }
}

/* Scan JSON string literals; non-key literals are candidates.  This is a
 * tolerant scanner, not a validator: malformed JSON just yields fewer
 * candidates. */
static void extract_json(const char *s, size_t len, struct strlist *out)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] != '"') {
            i++;
            continue;
        }
        char lit[64];
        size_t o = 0;
        bool overflow = false;
        i++;
        while (i < len && s[i] != '"') {
            unsigned char ch = (unsigned char)s[i];
            if (ch == '\\' && i + 1 < len) {
                unsigned char e = (unsigned char)s[i + 1];
                i += 2;
                switch (e) {
                case 'n': ch = '\n'; break;
                case 't': ch = '\t'; break;
                case 'r': ch = '\r'; break;
                case 'b': ch = '\b'; break;
                case 'f': ch = '\f'; break;
                case 'u': {
                    unsigned v = 0;
                    int k;
                    for (k = 0; k < 4 && i < len && hexval((unsigned char)s[i]) >= 0; k++, i++)
                        v = v * 16 + (unsigned)hexval((unsigned char)s[i]);
                    /* Non-ASCII can never be part of a number: mark it. */
                    ch = (k == 4 && v < 0x80) ? (unsigned char)v : 0xff;
                    break;
                }
                default: ch = e; break;
                }
            } else {
                i++;
            }
            if (o < sizeof lit)
                lit[o++] = (char)ch;
            else
                overflow = true;
        }
        i++; /* closing quote */
        size_t k = i;
        while (k < len && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n'))
            k++;
        bool is_key = k < len && s[k] == ':';
        if (!is_key && !overflow)
            add_candidate(out, lit, o);
    }
}

/* ------------------------------------------------------------------------ */
/* faults                                                                   */

struct fault {
    int status;              /* 0 = none */
    long long retry_after;   /* -1 = none */
    long long delay_ms;      /* 0 = none */
    long long drip_ms;       /* -1 = none */
    long long truncate;      /* -1 = none */
    char charset[64];        /* "" = none */
    long long oversize;      /* -1 = none */
    bool chunked, close, garbage;
    int redirect;            /* 3xx status of a redirect; 0 = none */
    char location[400];      /* its Location prefix ("" = this server) */
};

static void fault_init(struct fault *f)
{
    memset(f, 0, sizeof *f);
    f->retry_after = f->drip_ms = f->truncate = f->oversize = -1;
}

/* Parse "spec[+spec...]".  Specs whose x<N> limit is below ordinal are
 * validated but not applied; ordinal 0 = validate only.  On error, err gets
 * a message and false is returned. */
static bool parse_faults(const char *list, unsigned long ordinal, struct fault *f, char *err, size_t errlen)
{
    const char *s = list;
    if (!*s) {
        snprintf(err, errlen, "empty fault spec");
        return false;
    }
    for (;;) {
        size_t len = strcspn(s, "+");
        const char *spec = s;
        long long count = 0;
        if (len == 0) {
            snprintf(err, errlen, "empty fault spec in '%s'", list);
            return false;
        }
        /* trailing x<N>: only when x is followed by digits up to the end */
        for (size_t k = len; k-- > 1;) {
            if (spec[k] == 'x') {
                if (k + 1 < len && parse_num(spec + k + 1, len - k - 1, 1000000000, &count) && count > 0)
                    len = k;
                else
                    count = 0;
                break;
            }
            if (!is_digit((unsigned char)spec[k]))
                break;
        }
        bool apply = ordinal > 0 && (count == 0 || ordinal <= (unsigned long long)count);
        const char *colon = memchr(spec, ':', len);
        size_t nlen = colon ? (size_t)(colon - spec) : len;
        const char *arg = colon ? colon + 1 : NULL;
        size_t alen = colon ? len - nlen - 1 : 0;
        long long v = 0;
        bool ok = true;

#define NAME_IS(lit) (nlen == sizeof(lit) - 1 && strncmp(spec, lit, nlen) == 0)
        if (nlen == 3 && is_digit((unsigned char)spec[0]) && is_digit((unsigned char)spec[1]) &&
            is_digit((unsigned char)spec[2])) {
            long long st;
            ok = parse_num(spec, 3, 599, &st) && st >= 200;
            if (ok && arg)
                ok = parse_num(arg, alen, 100000000, &v);
            if (ok && apply) {
                f->status = (int)st;
                f->retry_after = arg ? v : -1;
            }
        } else if (NAME_IS("delay")) {
            ok = arg && parse_num(arg, alen, DELAY_LIMIT_MS, &v);
            if (ok && apply)
                f->delay_ms = v;
        } else if (NAME_IS("drip")) {
            ok = arg && parse_num(arg, alen, DELAY_LIMIT_MS, &v);
            if (ok && apply)
                f->drip_ms = v;
        } else if (NAME_IS("truncate")) {
            ok = arg && parse_num(arg, alen, OVERSIZE_LIMIT, &v);
            if (ok && apply)
                f->truncate = v;
        } else if (NAME_IS("charset")) {
            ok = arg && alen > 0 && alen < sizeof f->charset;
            for (size_t k = 0; ok && k < alen; k++)
                ok = is_tchar((unsigned char)arg[k]);
            if (ok && apply) {
                memcpy(f->charset, arg, alen);
                f->charset[alen] = '\0';
            }
        } else if (NAME_IS("oversize") || NAME_IS("oversize-chunked")) {
            ok = arg && parse_num(arg, alen, OVERSIZE_LIMIT, &v);
            if (ok && apply) {
                f->oversize = v;
                f->chunked = NAME_IS("oversize-chunked");
            }
        } else if (NAME_IS("redirect")) {
            /* redirect:NNN[:<%-encoded location prefix>] */
            long long st = 0;
            const char *tcolon = arg ? memchr(arg, ':', alen) : NULL;
            size_t slen = tcolon ? (size_t)(tcolon - arg) : alen;
            ok = arg && parse_num(arg, slen, 308, &st) &&
                 (st == 301 || st == 302 || st == 303 || st == 307 || st == 308);
            size_t dlen = 0;
            char *dec = NULL;
            if (ok && tcolon) {
                dec = pct_decode(tcolon + 1, alen - slen - 1, false, &dlen);
                ok = dlen < sizeof f->location;
                for (size_t k = 0; ok && k < dlen; k++)
                    ok = dec[k] > 0x20 && dec[k] < 0x7f;
            }
            if (ok && apply) {
                f->redirect = (int)st;
                memcpy(f->location, dec ? dec : "", dlen);
                f->location[dlen] = '\0';
            }
            free(dec);
        } else if (NAME_IS("close")) {
            ok = !arg;
            if (ok && apply)
                f->close = true;
        } else if (NAME_IS("garbage")) {
            ok = !arg;
            if (ok && apply)
                f->garbage = true;
        } else {
            ok = false;
        }
#undef NAME_IS
        if (!ok) {
            snprintf(err, errlen, "bad fault spec '%.*s'", (int)strcspn(spec, "+"), spec);
            return false;
        }
        s += strcspn(s, "+");
        if (*s == '\0')
            break;
        s++;
        if (*s == '\0') {
            snprintf(err, errlen, "empty fault spec in '%s'", list);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* routes                                                                   */

static void free_routes(void)
{
    for (size_t i = 0; i < g.nroutes; i++) {
        struct route *rt = &g.routes[i];
        free(rt->carrier);
        free(rt->key);
        for (size_t k = 0; k < rt->nfiles; k++)
            free(rt->files[k]);
        free(rt->files);
        free(rt->ctype);
        for (size_t k = 0; k < rt->nneed; k++) {
            free(rt->need[k].name);
            free(rt->need[k].value);
        }
        free(rt->need);
        free(rt->fault);
    }
    free(g.routes);
    g.routes = NULL;
    g.nroutes = 0;
}

static char *join_path(const char *dir, const char *rel)
{
    size_t dl = strlen(dir), rl = strlen(rel);
    char *p = xmalloc(dl + rl + 2);
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, rel, rl + 1);
    return p;
}

/* Reject absolute paths and ".." components: fixtures stay under --root. */
static bool safe_relpath(const char *p)
{
    if (*p == '/' || *p == '\0')
        return false;
    for (const char *s = p; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += n;
        if (*s == '/')
            s++;
    }
    return true;
}

static bool route_error(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static bool route_error(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tsk-sim: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return false;
}

/* Parse one tokenised line into rt (zeroed by the caller). */
static bool parse_route(const char *file, int line, char **tok, size_t ntok, struct route *rt)
{
    rt->line = line;
    rt->status = 200;
    if (ntok < 3)
        return route_error(file, line, "expected <carrier> <key> <file>[,<file>...] [content-type] [options]");
    rt->carrier = xstrdup(tok[0]);

    if (strcmp(tok[1], "*") == 0) {
        rt->key = xstrdup("*");
    } else {
        struct sbuf k = { 0 };
        for (const char *s = tok[1]; *s;) {
            size_t n = strcspn(s, ",");
            char num[41];
            if (!normalize_number(s, n, num)) {
                free(k.p);
                return route_error(file, line, "key element '%.*s' is not a tracking number (8-40 alnum, >= 8 digits)",
                                   (int)n, s);
            }
            if (k.len)
                sb_str(&k, ",");
            sb_str(&k, num);
            s += n;
            if (*s == ',')
                s++;
        }
        rt->key = k.p;
    }

    for (const char *s = tok[2]; *s;) {
        size_t n = strcspn(s, ",");
        char *f = xstrndup(s, n);
        rt->files = xrealloc(rt->files, (rt->nfiles + 1) * sizeof *rt->files);
        rt->files[rt->nfiles++] = f;
        if (strcmp(f, "-") != 0) {
            if (!safe_relpath(f))
                return route_error(file, line, "file '%s' must be relative to --root without '..'", f);
            char *full = join_path(g.root, f);
            struct stat st;
            bool ok = stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, R_OK) == 0;
            free(full);
            if (!ok)
                return route_error(file, line, "cannot read file '%s' under %s", f, g.root);
        }
        s += n;
        if (*s == ',')
            s++;
    }
    if (rt->nfiles == 0)
        return route_error(file, line, "no files");

    struct sbuf ct = { 0 };
    bool in_options = false;
    for (size_t i = 3; i < ntok; i++) {
        const char *t = tok[i];
        if (strncmp(t, "status=", 7) == 0) {
            long long st;
            in_options = true;
            if (!parse_num(t + 7, strlen(t + 7), 599, &st) || st < 200) {
                free(ct.p);
                return route_error(file, line, "bad %s (want 200-599)", t);
            }
            rt->status = (int)st;
        } else if (strncmp(t, "require-header=", 15) == 0) {
            in_options = true;
            const char *nv = t + 15;
            const char *colon = strchr(nv, ':');
            char *name = colon ? xstrndup(nv, (size_t)(colon - nv)) : NULL;
            if (!name || !all_tchars(name)) {
                free(name);
                free(ct.p);
                return route_error(file, line, "bad %s (want require-header=Name:Value)", t);
            }
            rt->need = xrealloc(rt->need, (rt->nneed + 1) * sizeof *rt->need);
            rt->need[rt->nneed].name = name;
            rt->need[rt->nneed].value = pct_decode(colon + 1, strlen(colon + 1), false, NULL);
            rt->nneed++;
        } else if (strcmp(t, "template") == 0) {
            in_options = true;
            rt->tmpl = true;
        } else if (strncmp(t, "fault=", 6) == 0) {
            char err[160];
            struct fault f;
            in_options = true;
            fault_init(&f);
            if (!parse_faults(t + 6, 0, &f, err, sizeof err)) {
                free(ct.p);
                return route_error(file, line, "%s", err);
            }
            free(rt->fault);
            rt->fault = xstrdup(t + 6);
        } else if (in_options) {
            free(ct.p);
            return route_error(file, line, "unexpected '%s' after options (content type goes before options)", t);
        } else {
            if (ct.len)
                sb_str(&ct, " ");
            sb_str(&ct, t);
        }
    }
    rt->ctype = ct.p ? ct.p : xstrdup("text/html");
    return true;
}

static bool load_routes(const char *file)
{
    FILE *fp = fopen(file, "r");
    if (!fp) {
        fprintf(stderr, "tsk-sim: cannot open routes file %s: %s\n", file, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    bool ok = true;
    while (ok && getline(&line, &cap, fp) >= 0) {
        lineno++;
        for (size_t i = 0; line[i]; i++) {
            if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
                line[i] = '\0';
                break;
            }
        }
        char *tok[64];
        size_t ntok = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
            if (ntok == sizeof tok / sizeof *tok) {
                ok = route_error(file, lineno, "too many fields");
                break;
            }
            tok[ntok++] = t;
        }
        if (!ok || ntok == 0)
            continue;
        g.routes = xrealloc(g.routes, (g.nroutes + 1) * sizeof *g.routes);
        struct route *rt = &g.routes[g.nroutes++];
        memset(rt, 0, sizeof *rt);
        ok = parse_route(file, lineno, tok, ntok, rt);
    }
    free(line);
    fclose(fp);
    return ok;
}

/* Replace @NUMBER@ and @NUMBER_DASHED@ (4-4-4 for 12 digits) by the first
 * number of the request key, so one not-found page answers any number. */
static void apply_template(char **mem, size_t *len, const char *key)
{
    char num[32], dashed[40];
    size_t n = strcspn(key, ",");
    if (n >= sizeof num)
        n = sizeof num - 1;
    memcpy(num, key, n);
    num[n] = '\0';
    if (n == 12)
        snprintf(dashed, sizeof dashed, "%.4s-%.4s-%.4s", num, num + 4, num + 8);
    else
        snprintf(dashed, sizeof dashed, "%s", num);
    struct sbuf b = { 0 };
    size_t i = 0;
    while (i < *len) {
        if ((*mem)[i] == '@' && *len - i >= 15 && memcmp(*mem + i, "@NUMBER_DASHED@", 15) == 0) {
            sb_str(&b, dashed);
            i += 15;
        } else if ((*mem)[i] == '@' && *len - i >= 8 && memcmp(*mem + i, "@NUMBER@", 8) == 0) {
            sb_str(&b, num);
            i += 8;
        } else {
            sb_add(&b, *mem + i, 1);
            i++;
        }
    }
    free(*mem);
    *mem = b.p;
    *len = b.len;
}

static const struct route *match_route(const char *carrier, const char *key)
{
    for (size_t i = 0; i < g.nroutes; i++)
        if (strcmp(g.routes[i].carrier, carrier) == 0 && strcmp(g.routes[i].key, key) == 0)
            return &g.routes[i];
    for (size_t i = 0; i < g.nroutes; i++)
        if (strcmp(g.routes[i].carrier, carrier) == 0 && strcmp(g.routes[i].key, "*") == 0)
            return &g.routes[i];
    return NULL;
}

static bool read_fixture(const char *rel, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (strcmp(rel, "-") == 0) {
        *data = xstrdup("");
        return true;
    }
    char *full = join_path(g.root, rel);
    FILE *fp = fopen(full, "rb");
    free(full);
    if (!fp)
        return false;
    struct sbuf b = { 0 };
    char tmp[16384];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, fp)) > 0) {
        sb_add(&b, tmp, n);
        if (b.len > FILE_LIMIT) {
            free(b.p);
            fclose(fp);
            return false;
        }
    }
    bool ok = !ferror(fp);
    fclose(fp);
    if (!ok) {
        free(b.p);
        return false;
    }
    *data = b.p ? b.p : xstrdup("");
    *len = b.len;
    return true;
}

/* ------------------------------------------------------------------------ */
/* request log                                                              */

/* Append s[0..len) escaped for the log.  body=true also escapes space. */
static void log_field(struct sbuf *b, const char *s, size_t len, bool body)
{
    if (!s || len == 0) {
        sb_str(b, "-");
        return;
    }
    if (len == 1 && s[0] == '-') {
        sb_str(b, "%2D");
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '%' || (body && ch == ' '))
            sb_printf(b, "%%%02X", ch);
        else
            sb_add(b, &s[i], 1);
    }
}

static void log_hfield(struct sbuf *b, const char *v) { log_field(b, v, v ? strlen(v) : 0, false); }

/* Record a (non-control) request: log line, stats, activity. */
static void log_request(struct conn *c, const struct req *r)
{
    struct sbuf b = { 0 };
    sb_str(&b, r->method);
    sb_str(&b, "\t");
    sb_str(&b, r->target);
    sb_str(&b, "\t");
    log_hfield(&b, req_header(r, "Content-Type"));
    sb_str(&b, "\t");
    log_field(&b, r->body, r->content_length, true);
    sb_str(&b, "\t");
    log_hfield(&b, req_header(r, "User-Agent"));
    sb_str(&b, "\t");
    log_hfield(&b, req_header(r, "Accept-Encoding"));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sb_printf(&b, "\t%lu\t%lld.%06ld\n", c->id, (long long)now.tv_sec, now.tv_nsec / 1000);

    pthread_mutex_lock(&g.lock);
    if (g.log.len + b.len <= LOG_MEM_LIMIT)
        sb_add(&g.log, b.p, b.len);
    else if (!g.log_full) {
        g.log_full = true;
        fputs("tsk-sim: in-memory log full; further lines only go to --log\n", stderr);
    }
    if (g.log_fd >= 0) {
        ssize_t w = write(g.log_fd, b.p, b.len);
        (void)w;
    }
    g.requests++;
    if (c->counted_epoch != g.epoch) {
        c->counted_epoch = g.epoch;
        g.connections++;
    }
    pthread_mutex_unlock(&g.lock);
    free(b.p);
}

/* ------------------------------------------------------------------------ */
/* responses                                                                */

static const char *reason(int st)
{
    switch (st) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
    }
}

struct resp {
    int status;
    const char *ctype;
    char extra[1024];  /* extra header lines, each ending in CRLF */
    char *mem;         /* owned body */
    size_t len;
    long long gen_len; /* >= 0: generated oversize body instead of mem */
    bool chunked;
};

static const char OV_HEAD[] = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                              "<title>tsk-sim oversize</title></head>\n<body><p>oversize</p>\n<!--";
static const char OV_TAIL[] = "-->\n</body></html>\n";
#define OV_MIN ((long long)(sizeof OV_HEAD - 1 + sizeof OV_TAIL - 1))

/* Byte i of a generated oversize body of total length total: skeleton at
 * both ends, comment padding (lines of 'x') in between, so it stays valid
 * HTML whatever the size. */
static char oversize_byte(long long i, long long total)
{
    long long hl = (long long)sizeof OV_HEAD - 1, tl = (long long)sizeof OV_TAIL - 1;
    if (i < hl)
        return OV_HEAD[i];
    if (i >= total - tl)
        return OV_TAIL[i - (total - tl)];
    return ((i - hl) % 80 == 79) ? '\n' : 'x';
}

static char *garbage_body(size_t *len)
{
    /* Deterministic junk: starts with NUL and invalid UTF-8 so no parser can
     * mistake it for HTML or JSON. */
    char *p = xmalloc(GARBAGE_LEN);
    uint32_t x = 0x2545f491u;
    p[0] = '\0';
    p[1] = (char)0xff;
    p[2] = (char)0xfe;
    p[3] = (char)0x80;
    for (size_t i = 4; i < GARBAGE_LEN; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (char)(x >> 24);
    }
    *len = GARBAGE_LEN;
    return p;
}

/* Body writer that enforces the truncate budget. */
struct wire {
    struct conn *c;
    long long budget; /* -1 = unlimited */
    bool cut;         /* budget exhausted */
};

static bool wire_send(struct wire *w, const char *p, size_t n)
{
    if (w->budget >= 0) {
        if ((long long)n >= w->budget) {
            n = (size_t)w->budget;
            w->cut = true;
        }
        w->budget -= (long long)n;
    }
    return n == 0 || send_all(w->c, p, n);
}

/* Send a response.  Returns false when the connection must be closed. */
static bool send_response(struct conn *c, const struct req *r, const struct resp *rs, const struct fault *f,
                          bool keep)
{
    bool head_only = strcmp(r->method, "HEAD") == 0;
    bool no_body = rs->status == 204 || rs->status == 304;
    long long total = rs->gen_len >= 0 ? rs->gen_len : (long long)rs->len;
    struct sbuf h = { 0 };
    char ctbuf[96];
    const char *ctype = rs->ctype;

    if (f && f->charset[0]) {
        snprintf(ctbuf, sizeof ctbuf, "text/html; charset=%s", f->charset);
        ctype = ctbuf;
    }
    if (f && f->truncate >= 0)
        keep = false;

    sb_printf(&h, "HTTP/1.1 %d %s\r\nServer: tsk-sim\r\n", rs->status, reason(rs->status));
    if (!no_body) {
        sb_printf(&h, "Content-Type: %s\r\n", ctype);
        if (rs->chunked)
            sb_str(&h, "Transfer-Encoding: chunked\r\n");
        else
            sb_printf(&h, "Content-Length: %lld\r\n", total);
    }
    sb_str(&h, rs->extra);
    sb_str(&h, keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    bool ok = send_all(c, h.p, h.len);
    free(h.p);
    if (!ok)
        return false;
    if (head_only || no_body)
        return keep;

    struct wire w = { c, f ? f->truncate : -1, false };
    bool drip = f && f->drip_ms >= 0;
    size_t piece = drip ? DRIP_PIECE : SEND_PIECE;
    char *tmp = xmalloc(piece + 32);
    for (long long off = 0; ok && !w.cut && off < total; off += (long long)piece) {
        size_t n = (size_t)(total - off < (long long)piece ? total - off : (long long)piece);
        size_t used = 0;
        if (off > 0 && drip && !sleep_ms(f->drip_ms)) {
            ok = false;
            break;
        }
        if (rs->chunked)
            used = (size_t)snprintf(tmp, 32, "%zx\r\n", n);
        if (rs->gen_len >= 0) {
            for (size_t k = 0; k < n; k++)
                tmp[used + k] = oversize_byte(off + (long long)k, total);
        } else {
            memcpy(tmp + used, rs->mem + off, n);
        }
        used += n;
        if (rs->chunked) {
            memcpy(tmp + used, "\r\n", 2);
            used += 2;
        }
        ok = wire_send(&w, tmp, used);
    }
    free(tmp);
    if (ok && !w.cut && rs->chunked)
        ok = wire_send(&w, "0\r\n\r\n", 5);
    return ok && keep;
}

static bool send_simple(struct conn *c, const struct req *r, int status, const char *ctype, const char *body,
                        const char *extra, bool keep)
{
    struct resp rs;
    memset(&rs, 0, sizeof rs);
    rs.status = status;
    rs.ctype = ctype;
    rs.gen_len = -1;
    rs.mem = (char *)body;
    rs.len = strlen(body);
    if (extra)
        snprintf(rs.extra, sizeof rs.extra, "%s", extra);
    return send_response(c, r, &rs, NULL, keep);
}

/* Error answer for requests that could not be parsed (no struct req). */
static void send_error(struct conn *c, int status)
{
    char msg[512];
    char body[128];
    int bl = snprintf(body, sizeof body, "%d %s\n", status, reason(status));
    int n = snprintf(msg, sizeof msg,
                     "HTTP/1.1 %d %s\r\nServer: tsk-sim\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                     status, reason(status), bl, body);
    send_all(c, msg, (size_t)n);
}

/* ------------------------------------------------------------------------ */
/* request handling                                                         */

static bool handle_control(struct conn *c, const struct req *r, const char *path)
{
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    bool post = strcmp(r->method, "POST") == 0;
    touch_activity();
    if (strcmp(path, "/_log") == 0 || strcmp(path, "/_stats") == 0) {
        if (!get)
            return send_simple(c, r, 405, "text/plain", "use GET\n", "Allow: GET, HEAD\r\n", r->keep_alive);
        char *body;
        pthread_mutex_lock(&g.lock);
        if (path[2] == 'l') {
            body = xstrndup(g.log.p ? g.log.p : "", g.log.len);
        } else {
            struct sbuf b = { 0 };
            sb_printf(&b, "requests %lu\nconnections %lu\nmax_concurrent %lu\n", g.requests, g.connections,
                      g.max_inflight);
            body = b.p;
        }
        pthread_mutex_unlock(&g.lock);
        bool keep = send_simple(c, r, 200, "text/plain", body, NULL, r->keep_alive);
        free(body);
        return keep;
    }
    /* /_reset */
    if (!post)
        return send_simple(c, r, 405, "text/plain", "use POST\n", "Allow: POST\r\n", r->keep_alive);
    pthread_mutex_lock(&g.lock);
    g.log.len = 0;
    if (g.log.p)
        g.log.p[0] = '\0';
    g.log_full = false;
    g.requests = g.connections = 0;
    g.max_inflight = g.inflight; /* requests still in flight keep counting */
    g.epoch++;
    for (size_t i = 0; i < g.ncounters; i++)
        free(g.counters[i].name);
    free(g.counters);
    g.counters = NULL;
    g.ncounters = 0;
    for (size_t i = 0; i < g.nroutes; i++)
        g.routes[i].served = 0;
    pthread_mutex_unlock(&g.lock);
    return send_simple(c, r, 200, "text/plain", "reset\n", NULL, r->keep_alive);
}

static bool headers_satisfied(const struct route *rt, const struct req *r, const char **missing)
{
    for (size_t i = 0; i < rt->nneed; i++) {
        bool found = false;
        for (size_t k = 0; k < r->nhdrs && !found; k++)
            found = strcasecmp(r->hdrs[k].name, rt->need[i].name) == 0 &&
                    strcmp(r->hdrs[k].value, rt->need[i].value) == 0;
        if (!found) {
            *missing = rt->need[i].name;
            return false;
        }
    }
    return true;
}

/* Compute carrier and key of a (fault-prefix-free) path + query + body. */
static void request_key(const struct req *r, const char *path, const char *query, char **carrier, char **key)
{
    const char *p = path + 1;
    size_t n = strcspn(p, "/");
    if (n == 4 && strncmp(p, "rest", 4) == 0 && p[4] == '/') {
        size_t n2 = strcspn(p + 5, "/");
        n = 5 + n2;
    }
    *carrier = xstrndup(p, n);

    struct strlist nums = { 0 };
    const char *last = strrchr(path, '/') + 1;
    size_t dlen;
    char *dec = pct_decode(last, strlen(last), false, &dlen);
    add_candidate(&nums, dec, dlen);
    free(dec);
    if (query)
        extract_params(query, strlen(query), true, &nums);
    if (r->body) {
        const char *ct = req_header(r, "Content-Type");
        if (media_is(ct, "application/x-www-form-urlencoded"))
            extract_params(r->body, r->content_length, true, &nums);
        else if (media_is_json(ct))
            extract_json(r->body, r->content_length, &nums);
    }
    struct sbuf k = { 0 };
    for (size_t i = 0; i < nums.n; i++) {
        if (i)
            sb_str(&k, ",");
        sb_str(&k, nums.v[i]);
    }
    *key = k.p ? k.p : xstrdup("");
    sl_free(&nums);
}

/* ------------------------------------------------------------------------ */
/* batch composition                                                        */

/*
 * A request for several numbers that no route names as a whole is answered
 * the way the carriers answer it: one page holding each number's part, each
 * part taken from that number's own route (its exact route, else a
 * several-number route naming it, else the carrier's '*' route with the
 * template filled for that number).  The first number's page is the frame;
 * in each of the layout's sections the frame's items are replaced by the
 * items of the numbers, in request order, renumbered (N件目, anchors, input
 * names) so links between sections stay right.  An item belongs to a number
 * when it shows that number (digits, with or without '-' and spaces).
 */

/* Renumbering: "<prefix><ndigits digits>" becomes the prefix and
 * (k + base) * mul in ndigits digits, zero-padded, for the k-th item. */
struct renum {
    const char *prefix;
    int ndigits;
    int base, mul;
};

enum ordinal_kind { ORD_NONE, ORD_ASCII, ORD_SJIS_FULLWIDTH };

struct section {
    const char *items[2]; /* an item starts at any of these (NULL-terminated) */
    const char *end;      /* the section ends at the first of this after its first item */
    bool keep_fillers;    /* the frame's items that show no number stay (empty slots) */
};

struct layout {
    const char *carrier;
    const char *name;
    const char *detect; /* present in the body of a page of this layout */
    struct section sections[2];
    size_t nsections;
    enum ordinal_kind ordinal;
    struct renum renums[3];
    size_t nrenums;
};

static const struct layout layouts[] = {
    /* today's Yamato page: the list of numbers, then one invoice block per number */
    { "yamato", "yamato-2019", "class=\"parts-tracking-invoice-block\"",
      { { { "<li><div class=\"number\">", NULL }, "</ul></div>", false },
        { { "<div class=\"tracking-anchor\"", NULL }, "<div class=\"tracking-print\">", false } },
      2, ORD_ASCII,
      { { "id=\"AA", 3, 0, 1 }, { "href=\"#AA", 3, 0, 1 } }, 2 },
    /* the 2009 page: ten summary slots (empty ones stay), then one detail
     * block per number found */
    { "yamato", "yamato-2009", "<tr align=\"middle\">\n <td rowspan=\"2\">",
      { { { "<tr align=\"middle\">\n <td rowspan=\"2\">", NULL }, "</table>\n</form>", true },
        { { "<a name=\"AA", NULL }, "<!-- Start Footer -->", false } },
      2, ORD_SJIS_FULLWIDTH,
      { { "name=\"AA", 2, 0, 10 }, { "href=\"#AA", 2, 0, 10 }, { "name=\"number", 2, 1, 1 } }, 3 },
    /* today's Japan Post page: per number a 配達状況詳細 table and its
     * 履歴情報 table, or a 照会結果 table (not found, latest state) */
    { "japanpost", "japanpost-2019", "<table class=\"tableType01 txt_c m_b5\" summary=\"",
      { { { "<table class=\"tableType01 txt_c m_b5\" summary=\"\xe9\x85\x8d\xe9\x81\x94\xe7\x8a\xb6\xe6\xb3\x81\xe8\xa9\xb3\xe7\xb4\xb0\">",
            "<table class=\"tableType01 txt_c m_b5\" summary=\"\xe7\x85\xa7\xe4\xbc\x9a\xe7\xb5\x90\xe6\x9e\x9c\">" },
          "</div>\n</form>", false } },
      1, ORD_NONE, { { NULL, 0, 0, 0 } }, 0 },
};

static bool carrier_composes(const char *carrier)
{
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (strcmp(layouts[i].carrier, carrier) == 0)
            return true;
    return false;
}

static const char *memfind(const char *hay, size_t hlen, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0 || nl > hlen)
        return NULL;
    for (const char *p = hay; p + nl <= hay + hlen; p++) {
        p = memchr(p, needle[0], (size_t)(hay + hlen - p));
        if (!p || p + nl > hay + hlen)
            return NULL;
        if (memcmp(p, needle, nl) == 0)
            return p;
    }
    return NULL;
}

/* Where the page's own <body> starts: the last "<body" (the print copies in
 * <head> carry one too). */
static size_t body_start(const char *mem, size_t len)
{
    size_t at = 0;
    for (const char *p = mem; (p = memfind(p, len - (size_t)(p - mem), "<body")) != NULL; p++)
        at = (size_t)(p - mem);
    return at;
}

static const struct layout *detect_layout(const char *carrier, const char *mem, size_t len)
{
    size_t b = body_start(mem, len);
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (strcmp(layouts[i].carrier, carrier) == 0 && memfind(mem + b, len - b, layouts[i].detect))
            return &layouts[i];
    return NULL;
}

static const char *next_item(const struct section *s, const char *from, const char *lim)
{
    const char *best = NULL;
    for (size_t i = 0; i < 2 && s->items[i]; i++) {
        const char *p = memfind(from, (size_t)(lim - from), s->items[i]);
        if (p && (!best || p < best))
            best = p;
    }
    return best;
}

struct span {
    const char *p;
    size_t n;
};

struct page_part {
    char *mem; /* the whole page (owned) */
    size_t len;
    size_t start[2], end[2]; /* each section's item region */
    struct span *items[2];
    size_t nitems[2];
};

/* Cut a page into its sections and their items; false when a section is
 * missing (the page is not of the layout after all). */
static bool split_page(const struct layout *lo, struct page_part *pp)
{
    const char *lim = pp->mem + pp->len;
    const char *pos = pp->mem + body_start(pp->mem, pp->len);
    for (size_t s = 0; s < lo->nsections; s++) {
        const struct section *sec = &lo->sections[s];
        const char *first = next_item(sec, pos, lim);
        const char *end = first ? memfind(first, (size_t)(lim - first), sec->end) : NULL;
        if (!end)
            return false;
        pp->start[s] = (size_t)(first - pp->mem);
        pp->end[s] = (size_t)(end - pp->mem);
        for (const char *it = first; it < end;) {
            const char *nx = next_item(sec, it + 1, end);
            if (!nx)
                nx = end;
            pp->items[s] = xrealloc(pp->items[s], (pp->nitems[s] + 1) * sizeof *pp->items[s]);
            pp->items[s][pp->nitems[s]++] = (struct span){ it, (size_t)(nx - it) };
            it = nx;
        }
        pos = end;
    }
    return true;
}

/* Does the item show this number (ignoring '-' and spaces between its
 * characters, case-insensitively)? */
static bool item_shows(const struct span *it, const char *number)
{
    size_t nl = strlen(number);
    for (size_t i = 0; i < it->n; i++) {
        size_t k = 0, j = i;
        while (j < it->n && k < nl) {
            unsigned char ch = (unsigned char)it->p[j];
            if (k > 0 && (ch == '-' || ch == ' ')) {
                j++;
                continue;
            }
            if (up(ch) != (unsigned char)number[k])
                break;
            j++;
            k++;
        }
        if (k == nl && (j >= it->n || !is_alnum((unsigned char)it->p[j])) &&
            (i == 0 || !is_alnum((unsigned char)it->p[i - 1])))
            return true;
    }
    return false;
}

/* Does the item show a tracking number at all (ten or more digits in a
 * run, '-' and spaces allowed between them)?  Empty slots do not. */
static bool item_has_number(const struct span *it)
{
    size_t run = 0;
    for (size_t i = 0; i < it->n; i++) {
        unsigned char ch = (unsigned char)it->p[i];
        if (is_digit(ch)) {
            if (++run >= 10)
                return true;
        } else if (!(run && (ch == '-' || ch == ' '))) {
            run = 0;
        }
    }
    return false;
}

/* "件目" in UTF-8 and in Shift_JIS */
static const char KENME_UTF8[] = "\xe4\xbb\xb6\xe7\x9b\xae";
static const char KENME_SJIS[] = "\x8c\x8f\x96\xda";

/* Append item it to b as the k-th (0-based) of its section: ordinals and
 * numbered names rewritten. */
static void put_item(struct sbuf *b, const struct layout *lo, const struct span *it, int k)
{
    size_t i = 0;
    while (i < it->n) {
        const char *p = it->p + i;
        size_t left = it->n - i;
        bool done = false;
        for (size_t r = 0; r < lo->nrenums && !done; r++) {
            const struct renum *rn = &lo->renums[r];
            size_t pl = strlen(rn->prefix);
            if (left < pl + (size_t)rn->ndigits || memcmp(p, rn->prefix, pl) != 0)
                continue;
            int d = 0;
            while (d < rn->ndigits && is_digit((unsigned char)p[pl + d]))
                d++;
            if (d != rn->ndigits)
                continue;
            sb_add(b, p, pl);
            sb_printf(b, "%0*d", rn->ndigits, (k + rn->base) * rn->mul);
            i += pl + (size_t)d;
            done = true;
        }
        if (done)
            continue;
        if (lo->ordinal == ORD_ASCII && is_digit((unsigned char)*p)) {
            size_t d = 0;
            while (d < left && is_digit((unsigned char)p[d]))
                d++;
            if (left - d >= 6 && memcmp(p + d, KENME_UTF8, 6) == 0 && (i == 0 || !is_digit((unsigned char)p[-1]))) {
                sb_printf(b, "%d", k + 1);
                i += d;
                continue;
            }
        }
        if (lo->ordinal == ORD_SJIS_FULLWIDTH && (unsigned char)p[0] == 0x81 && left >= 2 && (unsigned char)p[1] == 0x40 &&
            left >= 8 && (unsigned char)p[2] == 0x82 && memcmp(p + 4, KENME_SJIS, 4) == 0) {
            /* "　１件目": a padded one-digit ordinal */
            i += 4;
            goto sjis;
        }
        if (lo->ordinal == ORD_SJIS_FULLWIDTH && (unsigned char)p[0] == 0x82 && left >= 2 &&
            (unsigned char)p[1] >= 0x4f && (unsigned char)p[1] <= 0x58) {
            size_t d = 0;
            while (d + 1 < left && (unsigned char)p[d] == 0x82 && (unsigned char)p[d + 1] >= 0x4f &&
                   (unsigned char)p[d + 1] <= 0x58)
                d += 2;
            if (left - d >= 4 && memcmp(p + d, KENME_SJIS, 4) == 0) {
                i += d;
            sjis:
                if (k + 1 < 10)
                    sb_add(b, "\x81\x40", 2);
                char digits[16];
                snprintf(digits, sizeof digits, "%d", k + 1);
                for (char *q = digits; *q; q++) {
                    char fw[2] = { (char)0x82, (char)(0x4f + (*q - '0')) };
                    sb_add(b, fw, 2);
                }
                continue;
            }
        }
        sb_add(b, p, 1);
        i++;
    }
}

static void free_part(struct page_part *pp)
{
    free(pp->mem);
    for (size_t s = 0; s < 2; s++)
        free(pp->items[s]);
}

/* Compose the answer for nums from their pages (pages[i] owned by the
 * caller, of the carrier).  On success *out is the page; on failure err
 * says why. */
static bool compose_pages(const char *carrier, const struct strlist *nums, char **mems, size_t *lens, char **out,
                          size_t *outlen, char *err, size_t errlen)
{
    const struct layout *lo = detect_layout(carrier, mems[0], lens[0]);
    if (!lo) {
        snprintf(err, errlen, "tsk-sim: cannot compose a %s batch: the page of %s is of no composable layout\n",
                 carrier, nums->v[0]);
        return false;
    }
    struct page_part *pp = xmalloc(nums->n * sizeof *pp);
    memset(pp, 0, nums->n * sizeof *pp);
    bool ok = true;
    for (size_t i = 0; i < nums->n && ok; i++) {
        pp[i].mem = mems[i];
        pp[i].len = lens[i];
        if (detect_layout(carrier, mems[i], lens[i]) != lo || !split_page(lo, &pp[i])) {
            snprintf(err, errlen, "tsk-sim: cannot compose a %s batch: the page of %s is not of layout %s like %s's\n",
                     carrier, nums->v[i], lo->name, nums->v[0]);
            ok = false;
        }
    }
    struct sbuf b = { 0 };
    size_t pos = 0;
    for (size_t s = 0; s < lo->nsections && ok; s++) {
        sb_add(&b, pp[0].mem + pos, pp[0].start[s] - pos);
        int k = 0;
        for (size_t i = 0; i < nums->n; i++) {
            for (size_t t = 0; t < pp[i].nitems[s]; t++)
                if (item_shows(&pp[i].items[s][t], nums->v[i]))
                    put_item(&b, lo, &pp[i].items[s][t], lo->sections[s].keep_fillers ? k++ : k);
            if (!lo->sections[s].keep_fillers)
                k++;
        }
        if (lo->sections[s].keep_fillers) {
            /* the frame's empty slots, as many as it had beyond its numbers */
            for (size_t t = 0; t < pp[0].nitems[s] && (size_t)k < pp[0].nitems[s]; t++)
                if (!item_has_number(&pp[0].items[s][t]))
                    put_item(&b, lo, &pp[0].items[s][t], k++);
        }
        pos = pp[0].end[s];
    }
    if (ok) {
        sb_add(&b, pp[0].mem + pos, pp[0].len - pos);
        *out = b.p;
        *outlen = b.len;
    } else {
        free(b.p);
    }
    for (size_t i = 0; i < nums->n; i++) {
        pp[i].mem = NULL;
        free_part(&pp[i]);
    }
    free(pp);
    return ok;
}

/* The route that answers one number of a batch: its exact route, else a
 * several-number route naming it, else the carrier's '*' route. */
static const struct route *route_for_number(const char *carrier, const char *num)
{
    const struct route *multi = NULL, *star = NULL;
    size_t nl = strlen(num);
    for (size_t i = 0; i < g.nroutes; i++) {
        const struct route *rt = &g.routes[i];
        if (strcmp(rt->carrier, carrier) != 0)
            continue;
        if (strcmp(rt->key, num) == 0)
            return rt;
        if (!star && strcmp(rt->key, "*") == 0)
            star = rt;
        for (const char *k = rt->key; !multi && *k;) {
            size_t kl = strcspn(k, ",");
            if (kl == nl && strncmp(k, num, nl) == 0)
                multi = rt;
            k += kl + (k[kl] == ',');
        }
    }
    return multi ? multi : star;
}

static void split_key(const char *key, struct strlist *out)
{
    for (const char *k = key; *k;) {
        size_t kl = strcspn(k, ",");
        char *one = xstrndup(k, kl);
        sl_push_unique(out, one);
        free(one);
        k += kl + (k[kl] == ',');
    }
}

static void text_answer(struct resp *rs, int status, const char *msg)
{
    rs->status = status;
    rs->ctype = "text/plain";
    rs->mem = xstrdup(msg);
    rs->len = strlen(msg);
}

/* Serve the next file of a route (advancing its sequence) into *mem. */
static bool serve_route_file(const struct route *rt, const char *number, char **mem, size_t *len, char *err,
                             size_t errlen)
{
    pthread_mutex_lock(&g.lock);
    struct route *wr = (struct route *)rt; /* only .served is written, under the lock */
    size_t idx = wr->served < wr->nfiles ? wr->served : wr->nfiles - 1;
    wr->served++;
    pthread_mutex_unlock(&g.lock);
    if (!read_fixture(rt->files[idx], mem, len)) {
        fprintf(stderr, "tsk-sim: cannot read fixture %s\n", rt->files[idx]);
        snprintf(err, errlen, "tsk-sim: cannot read fixture %s\n", rt->files[idx]);
        return false;
    }
    if (rt->tmpl)
        apply_template(mem, len, number);
    return true;
}

/* Routes of a batch's numbers (one per number, NULL for none). */
static const struct route **batch_routes(const char *carrier, const struct strlist *nums)
{
    const struct route **rts = xmalloc(nums->n * sizeof *rts);
    for (size_t i = 0; i < nums->n; i++)
        rts[i] = route_for_number(carrier, nums->v[i]);
    return rts;
}

/* Faults of the routes that answer a batch, each route counted once. */
static void batch_faults(const struct route **rts, size_t n, struct fault *f)
{
    char err[200];
    for (size_t i = 0; i < n; i++) {
        bool seen = !rts[i] || !rts[i]->fault;
        for (size_t j = 0; j < i && !seen; j++)
            seen = rts[j] == rts[i];
        if (seen)
            continue;
        char cname[32];
        snprintf(cname, sizeof cname, "route:%d", rts[i]->line);
        parse_faults(rts[i]->fault, bump_counter(cname), f, err, sizeof err);
    }
}

/* Answer a batch from its numbers' own routes (see above). */
static void compose_batch(const struct req *r, const char *carrier, const struct strlist *nums,
                          const struct route **rts, struct resp *rs)
{
    char err[400];
    for (size_t i = 0; i < nums->n; i++) {
        const char *missing = NULL;
        if (!rts[i]) {
            snprintf(err, sizeof err, "no route for %s %s\n", carrier, nums->v[i]);
            text_answer(rs, 404, err);
            return;
        }
        if (!headers_satisfied(rts[i], r, &missing)) {
            snprintf(err, sizeof err, "missing or wrong header %s\n", missing);
            text_answer(rs, 401, err);
            return;
        }
    }
    char **mems = xmalloc(nums->n * sizeof *mems);
    size_t *lens = xmalloc(nums->n * sizeof *lens);
    bool ok = true;
    size_t got = 0;
    int status = 200;
    size_t status_of = 0;
    for (size_t i = 0; i < nums->n && ok; i++) {
        /* a route that answers several numbers of the batch serves one file for all */
        size_t same = i;
        for (size_t j = 0; j < i && same == i; j++)
            if (rts[j] == rts[i] && !rts[i]->tmpl)
                same = j;
        if (same != i) {
            mems[i] = xstrndup(mems[same], lens[same]);
            lens[i] = lens[same];
        } else {
            ok = serve_route_file(rts[i], nums->v[i], &mems[i], &lens[i], err, sizeof err);
        }
        if (ok && rts[i]->status != 200 && status == 200) {
            status = rts[i]->status;
            status_of = i;
        }
        got += ok;
    }
    if (!ok) {
        text_answer(rs, 500, err);
    } else if (status != 200) {
        /* a number whose route answers an error status makes the answer */
        rs->status = status;
        rs->ctype = rts[status_of]->ctype;
        rs->mem = mems[status_of];
        rs->len = lens[status_of];
        mems[status_of] = NULL;
    } else if (compose_pages(carrier, nums, mems, lens, &rs->mem, &rs->len, err, sizeof err)) {
        rs->status = 200;
        rs->ctype = rts[0]->ctype;
    } else {
        fputs(err, stderr);
        text_answer(rs, 500, err);
    }
    for (size_t i = 0; i < got; i++)
        free(mems[i]);
    free(mems);
    free(lens);
}

static void end_inflight(bool *counted)
{
    if (!*counted)
        return;
    pthread_mutex_lock(&g.lock);
    g.inflight--;
    pthread_mutex_unlock(&g.lock);
    *counted = false;
}

static bool handle_request(struct conn *c, const struct req *r)
{
    size_t plen = strcspn(r->target, "?");
    char *path = xstrndup(r->target, plen);
    const char *query = r->target[plen] == '?' ? r->target + plen + 1 : NULL;

    if (strcmp(path, "/_log") == 0 || strcmp(path, "/_stats") == 0 || strcmp(path, "/_reset") == 0) {
        bool keep = handle_control(c, r, path);
        free(path);
        return keep;
    }

    touch_activity();
    log_request(c, r);
    pthread_mutex_lock(&g.lock);
    if (++g.inflight > g.max_inflight)
        g.max_inflight = g.inflight;
    bool counted = true;
    pthread_mutex_unlock(&g.lock);

    bool keep = r->keep_alive;
    char err[200];
    struct fault f;
    fault_init(&f);
    const char *rest = path;
    char *carrier = NULL, *key = NULL;
    struct resp rs;
    memset(&rs, 0, sizeof rs);
    rs.gen_len = -1;
    struct strlist batch = { 0 };
    const struct route **batch_rts = NULL;

    if (strncmp(path, "/_fault/", 8) == 0) {
        const char *spec = path + 8;
        size_t sl = strcspn(spec, "/");
        char *prefix = xstrndup(spec, sl);
        char *cname = xmalloc(sl + 8);
        snprintf(cname, sl + 8, "prefix:%s", prefix);
        unsigned long ord = bump_counter(cname);
        bool ok = parse_faults(prefix, ord, &f, err, sizeof err);
        free(cname);
        free(prefix);
        if (!ok) {
            strncat(err, "\n", sizeof err - strlen(err) - 1);
            keep = send_simple(c, r, 400, "text/plain", err, NULL, keep);
            goto done;
        }
        rest = spec[sl] ? spec + sl : "/";
    }

    request_key(r, rest, query, &carrier, &key);
    const struct route *rt = match_route(carrier, key);
    /* numbers that no route names together, of a carrier whose pages can be
     * composed: each number's own route */
    if (key[0] && (!rt || strcmp(rt->key, "*") == 0) && carrier_composes(carrier)) {
        split_key(key, &batch);
        batch_rts = batch_routes(carrier, &batch);
        if (batch.n > 1 || (batch_rts[0] && strcmp(batch_rts[0]->key, "*") != 0)) {
            batch_faults(batch_rts, batch.n, &f);
            rt = NULL;
        } else {
            free(batch_rts);
            batch_rts = NULL;
        }
    }
    if (rt && rt->fault) {
        char cname[32];
        snprintf(cname, sizeof cname, "route:%d", rt->line);
        /* validated at load time, cannot fail */
        parse_faults(rt->fault, bump_counter(cname), &f, err, sizeof err);
    }

    if (f.delay_ms > 0 && !sleep_ms(f.delay_ms)) {
        keep = false;
        goto done;
    }
    if (f.close) {
        keep = false;
        goto done;
    }

    rs.ctype = "text/html";
    if (f.redirect) {
        /* the Location is the prefix, then the normal path and query */
        rs.status = f.redirect;
        struct sbuf b = { 0 };
        sb_printf(&b, "<!DOCTYPE html>\n<html><body><p>moved</p></body></html>\n");
        rs.mem = b.p;
        rs.len = b.len;
        int n = snprintf(rs.extra, sizeof rs.extra, "Location: %s%s%s%s\r\n", f.location, rest,
                         query ? "?" : "", query ? query : "");
        if (n < 0 || (size_t)n >= sizeof rs.extra) {
            rs.status = 500;
            rs.extra[0] = '\0';
        }
    } else if (f.status) {
        rs.status = f.status;
        struct sbuf b = { 0 };
        sb_printf(&b,
                  "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
                  "<body><h1>%d %s</h1><p>tsk-sim fault</p></body></html>\n",
                  f.status, reason(f.status), f.status, reason(f.status));
        rs.mem = b.p;
        rs.len = b.len;
        if (f.retry_after >= 0)
            snprintf(rs.extra, sizeof rs.extra, "Retry-After: %lld\r\n", f.retry_after);
    } else if (f.garbage) {
        rs.status = 200;
        rs.ctype = rt ? rt->ctype : batch_rts && batch_rts[0] ? batch_rts[0]->ctype : "text/html";
        rs.mem = garbage_body(&rs.len);
    } else if (f.oversize >= 0) {
        rs.status = 200;
        rs.gen_len = f.oversize < OV_MIN ? OV_MIN : f.oversize;
        rs.chunked = f.chunked;
    } else if (batch_rts) {
        compose_batch(r, carrier, &batch, batch_rts, &rs);
    } else if (!rt) {
        struct sbuf b = { 0 };
        sb_printf(&b, "no route for %s %s\n", carrier[0] ? carrier : "-", key[0] ? key : "-");
        rs.status = 404;
        rs.ctype = "text/plain";
        rs.mem = b.p;
        rs.len = b.len;
    } else {
        const char *missing = NULL;
        if (!headers_satisfied(rt, r, &missing)) {
            struct sbuf b = { 0 };
            sb_printf(&b, "missing or wrong header %s\n", missing);
            rs.status = 401;
            rs.ctype = "text/plain";
            rs.mem = b.p;
            rs.len = b.len;
        } else {
            char ferr[300];
            if (serve_route_file(rt, key, &rs.mem, &rs.len, ferr, sizeof ferr)) {
                rs.status = rt->status;
                rs.ctype = rt->ctype;
            } else {
                text_answer(&rs, 500, ferr);
            }
        }
    }
    /* In flight until its answer starts going out: the client may read it
     * and send its next request before this thread would get further. */
    end_inflight(&counted);
    keep = send_response(c, r, &rs, &f, keep);

done:
    end_inflight(&counted);
    free(rs.mem);
    free(batch_rts);
    sl_free(&batch);
    free(carrier);
    free(key);
    free(path);
    return keep;
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    bool graceful = false;
    for (;;) {
        struct req r;
        int st = read_request(c, &r);
        if (st < 0)
            break;
        if (st > 0) {
            send_error(c, st);
            graceful = true;
            break;
        }
        bool keep = handle_request(c, &r);
        free_req(&r);
        if (!keep) {
            graceful = true;
            break;
        }
    }
    if (graceful)
        close_gracefully(c->fd);
    else
        close(c->fd);
    size_t slot = c->slot;
    free(c->buf);
    free(c);
    pthread_mutex_lock(&g.lock);
    g.slots[slot].done = true;
    pthread_mutex_unlock(&g.lock);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */

static void usage(FILE *to)
{
    fputs("usage: tsk-sim --root DIR [--routes FILE] [--port N] [--idle-exit SECONDS]\n"
          "               [--log FILE] [--stdin-watch]\n"
          "See the comment at the top of tests/sim/sim.c or tests/sim/README.md.\n",
          to);
}

/* Join finished connection threads; all of them when wait_all. */
static void reap(bool wait_all)
{
    pthread_t tids[MAX_CONNS];
    size_t n = 0;
    pthread_mutex_lock(&g.lock);
    for (size_t i = 0; i < MAX_CONNS; i++) {
        if (g.slots[i].used && (g.slots[i].done || wait_all)) {
            tids[n++] = g.slots[i].tid;
            g.slots[i].used = false;
        }
    }
    pthread_mutex_unlock(&g.lock);
    for (size_t i = 0; i < n; i++)
        pthread_join(tids[i], NULL);
}

int main(int argc, char **argv)
{
    const char *routes_file = NULL, *log_file = NULL;
    long long port = 0, idle_exit = 600;
    bool stdin_watch = false;
    g.root = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (strcmp(a, "--root") == 0 && v)
            g.root = v;
        else if (strcmp(a, "--routes") == 0 && v)
            routes_file = v;
        else if (strcmp(a, "--log") == 0 && v)
            log_file = v;
        else if (strcmp(a, "--port") == 0 && v) {
            if (!parse_num(v, strlen(v), 65535, &port)) {
                fprintf(stderr, "tsk-sim: bad --port %s\n", v);
                return 2;
            }
        } else if (strcmp(a, "--idle-exit") == 0 && v) {
            if (!parse_num(v, strlen(v), 1000000, &idle_exit) || idle_exit < 1) {
                fprintf(stderr, "tsk-sim: bad --idle-exit %s (want seconds >= 1)\n", v);
                return 2;
            }
        } else if (strcmp(a, "--stdin-watch") == 0) {
            stdin_watch = true;
            takes = false;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "tsk-sim: bad argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (takes)
            i++;
    }
    if (!g.root) {
        usage(stderr);
        return 2;
    }

    char *default_routes = routes_file ? NULL : join_path(g.root, "routes");
    bool ok = load_routes(routes_file ? routes_file : default_routes);
    free(default_routes);
    if (!ok) {
        free_routes();
        return 2;
    }
    if (log_file) {
        g.log_fd = open(log_file, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (g.log_fd < 0) {
            fprintf(stderr, "tsk-sim: cannot open --log %s: %s\n", log_file, strerror(errno));
            free_routes();
            return 2;
        }
        fcntl(g.log_fd, F_SETFD, FD_CLOEXEC);
    }

    int sp[2];
    if (pipe(sp) != 0) {
        perror("tsk-sim: pipe");
        return 1;
    }
    g.stop_r = sp[0];
    g.stop_w = sp[1];
    set_nonblock_cloexec(g.stop_r);
    set_nonblock_cloexec(g.stop_w);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) {
        perror("tsk-sim: socket");
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* never anything else */
    socklen_t alen = sizeof addr;
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 128) != 0 ||
        getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0) {
        fprintf(stderr, "tsk-sim: cannot listen on 127.0.0.1:%lld: %s\n", port, strerror(errno));
        close(lfd);
        return 1;
    }
    set_nonblock_cloexec(lfd);
    printf("PORT %u\n", (unsigned)ntohs(addr.sin_port));
    fflush(stdout);

    /* Workers must not take the termination signals: the handler only writes
     * the self-pipe, and keeping it on the main thread keeps poll() EINTR
     * handling in one place. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);

    unsigned long next_id = 1;
    touch_activity();
    for (;;) {
        reap(false);
        pthread_mutex_lock(&g.lock);
        long long idle_left = g.last_activity_ms + idle_exit * 1000 - mono_ms();
        pthread_mutex_unlock(&g.lock);
        if (idle_left <= 0)
            break;
        struct pollfd p[3] = { { lfd, POLLIN, 0 }, { g.stop_r, POLLIN, 0 }, { 0, POLLIN, 0 } };
        int r = poll(p, stdin_watch ? 3 : 2, (int)(idle_left < 1000 ? idle_left : 1000));
        if (r < 0 && errno != EINTR) {
            perror("tsk-sim: poll");
            break;
        }
        if (r <= 0)
            continue;
        if (p[1].revents)
            break;
        if (stdin_watch && p[2].revents) {
            char tmp[256];
            ssize_t n = read(0, tmp, sizeof tmp);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                break;
        }
        if (!(p[0].revents & POLLIN))
            continue;
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        set_nonblock_cloexec(fd);
        /* Answers go out as a head and a body write: without this, Nagle
         * holds the body back until the peer's delayed ACK (~40 ms per
         * keep-alive response). */
        int nodelay = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
        /* Threads may have finished while we sat in poll(): reap them now so
         * their slots count as free. */
        reap(false);

        size_t slot = MAX_CONNS;
        pthread_mutex_lock(&g.lock);
        for (size_t i = 0; i < MAX_CONNS; i++) {
            if (!g.slots[i].used) {
                slot = i;
                break;
            }
        }
        pthread_mutex_unlock(&g.lock);
        if (slot == MAX_CONNS) {
            static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                                       "Content-Length: 21\r\nConnection: close\r\n\r\n"
                                       "too many connections\n";
            ssize_t w = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
            (void)w;
            close(fd);
            continue;
        }
        struct conn *c = xmalloc(sizeof *c);
        memset(c, 0, sizeof *c);
        c->fd = fd;
        c->id = next_id++;
        c->slot = slot;
        pthread_mutex_lock(&g.lock);
        g.slots[slot].used = true;
        g.slots[slot].done = false;
        pthread_mutex_unlock(&g.lock);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        int err = pthread_create(&g.slots[slot].tid, &attr, conn_main, c);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (err != 0) {
            fprintf(stderr, "tsk-sim: pthread_create: %s\n", strerror(err));
            pthread_mutex_lock(&g.lock);
            g.slots[slot].used = false;
            pthread_mutex_unlock(&g.lock);
            close(fd);
            free(c);
        }
    }

    /* Shutdown: wake every worker through the self-pipe, then join them all
     * so nothing is leaked or cut off mid-write. */
    request_stop();
    close(lfd);
    reap(true);
    pthread_attr_destroy(&attr);
    free_routes();
    for (size_t i = 0; i < g.ncounters; i++)
        free(g.counters[i].name);
    free(g.counters);
    free(g.log.p);
    if (g.log_fd >= 0)
        close(g.log_fd);
    close(g.stop_r);
    close(g.stop_w);
    return 0;
}
