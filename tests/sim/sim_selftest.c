/*
 * sim_selftest - exercises tsk-sim through simctl and raw sockets.
 *
 *   sim-selftest <path/to/tsk-sim> <path/to/tests/sim/testdata>
 *
 * Raw sockets (not libcurl) so that the simulator is tested independently
 * of the library it is meant to test, and so that byte-level behaviour
 * (truncation, closes, keep-alive, pipelining) is visible.  Prints
 * "N passed, N failed" and exits non-zero on any failure.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "simctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;
static const char *datadir;
static tsk_sim *sim;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (cond) {                                                                                                    \
            passed++;                                                                                                  \
        } else {                                                                                                       \
            failed++;                                                                                                  \
            fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__, #cond);                                            \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
        }                                                                                                              \
    } while (0)

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------ */
/* tiny raw HTTP client                                                     */

struct cli {
    int fd;
    char *buf;
    size_t len, cap;
    bool eof;
};

struct resp {
    int status;
    char *head; /* header block, NUL-terminated */
    char *body;
    size_t body_len;
    bool complete; /* body fully received per its framing */
};

static bool cli_open(struct cli *c)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return false;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)tsk_sim_port(sim));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

static void cli_close(struct cli *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static bool cli_send(struct cli *c, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static bool cli_sends(struct cli *c, const char *s) { return cli_send(c, s, strlen(s)); }

/* Read more; false on EOF/error/10 s timeout. */
static bool cli_fill(struct cli *c)
{
    if (c->eof)
        return false;
    if (c->cap - c->len < 65536) {
        c->cap = c->cap ? c->cap * 2 : 131072;
        c->buf = realloc(c->buf, c->cap);
        if (!c->buf)
            abort();
    }
    for (;;) {
        struct pollfd p = { c->fd, POLLIN, 0 };
        int r = poll(&p, 1, 10000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            c->eof = true;
            return false;
        }
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->eof = true;
            return false;
        }
        c->len += (size_t)n;
        c->buf[c->len] = '\0';
        return true;
    }
}

/* Wait up to ms for EOF on the connection (no further bytes). */
static bool cli_sees_eof(struct cli *c, int ms)
{
    struct pollfd p = { c->fd, POLLIN, 0 };
    if (c->eof)
        return true;
    if (poll(&p, 1, ms) <= 0)
        return false;
    char b;
    return recv(c->fd, &b, 1, 0) == 0;
}

static const char *find_crlfcrlf(const char *b, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (memcmp(b + i, "\r\n\r\n", 4) == 0)
            return b + i;
    return NULL;
}

static void resp_free(struct resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Case-insensitive header lookup in r->head; copies value into out. */
static bool resp_header(const struct resp *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *l = r->head ? strstr(r->head, "\r\n") : NULL; l; l = strstr(l, "\r\n")) {
        l += 2;
        if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r");
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return true;
        }
    }
    return false;
}

/* Try to decode a complete chunked body from b[0..len); returns bytes used
 * or 0 if incomplete. */
static size_t dechunk(const char *b, size_t len, char **out, size_t *outlen)
{
    size_t pos = 0, o = 0;
    char *d = malloc(len + 1);
    if (!d)
        abort();
    for (;;) {
        const char *eol = NULL;
        for (size_t i = pos; i + 1 < len; i++)
            if (b[i] == '\r' && b[i + 1] == '\n') {
                eol = b + i;
                break;
            }
        if (!eol)
            break;
        size_t sz = strtoul(b + pos, NULL, 16);
        pos = (size_t)(eol - b) + 2;
        if (sz == 0) {
            if (pos + 2 > len || memcmp(b + pos, "\r\n", 2) != 0)
                break;
            *out = d;
            *outlen = o;
            d[o] = '\0';
            return pos + 2;
        }
        if (pos + sz + 2 > len)
            break;
        memcpy(d + o, b + pos, sz);
        o += sz;
        pos += sz + 2;
    }
    free(d);
    return 0;
}

/* Read one response (HEAD-style when no_body).  False if nothing came. */
static bool cli_read(struct cli *c, struct resp *r, bool no_body)
{
    const char *e;
    memset(r, 0, sizeof *r);
    while (!(e = find_crlfcrlf(c->buf ? c->buf : "", c->len)))
        if (!cli_fill(c))
            return false;
    size_t hlen = (size_t)(e - c->buf) + 4;
    r->head = malloc(hlen + 1);
    if (!r->head)
        abort();
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1)
        r->status = -1;

    char v[64];
    size_t used;
    if (no_body || r->status == 100 || r->status == 204 || r->status == 304) {
        used = hlen;
        r->body = calloc(1, 1);
        r->complete = true;
    } else if (resp_header(r, "Transfer-Encoding", v, sizeof v)) {
        size_t n;
        while ((n = dechunk(c->buf + hlen, c->len - hlen, &r->body, &r->body_len)) == 0)
            if (!cli_fill(c))
                break;
        r->complete = n > 0;
        if (!r->complete) {
            r->body = calloc(1, 1);
            n = c->len - hlen;
        }
        used = hlen + n;
    } else if (resp_header(r, "Content-Length", v, sizeof v)) {
        size_t cl = strtoul(v, NULL, 10);
        while (c->len - hlen < cl)
            if (!cli_fill(c))
                break;
        r->complete = c->len - hlen >= cl;
        r->body_len = r->complete ? cl : c->len - hlen;
        used = hlen + r->body_len;
        r->body = malloc(r->body_len + 1);
        memcpy(r->body, c->buf + hlen, r->body_len);
        r->body[r->body_len] = '\0';
    } else {
        while (cli_fill(c))
            ;
        r->body_len = c->len - hlen;
        used = c->len;
        r->body = malloc(r->body_len + 1);
        memcpy(r->body, c->buf + hlen, r->body_len);
        r->body[r->body_len] = '\0';
        r->complete = true;
    }
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
    return true;
}

/* One GET on a fresh connection. */
static bool get(const char *target, struct resp *r)
{
    struct cli c;
    char req[2048];
    if (!cli_open(&c))
        return false;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nUser-Agent: selftest\r\n\r\n", target);
    bool ok = cli_sends(&c, req) && cli_read(&c, r, false);
    cli_close(&c);
    return ok;
}

/* One request with extra headers and optional body on a fresh connection. */
static bool request(const char *method, const char *target, const char *headers, const char *body, struct resp *r)
{
    struct cli c;
    char req[4096];
    if (!cli_open(&c))
        return false;
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nUser-Agent: selftest\r\n%sContent-Length: %zu\r\n\r\n%s",
             method, target, headers ? headers : "", body ? strlen(body) : 0, body ? body : "");
    bool ok = cli_sends(&c, req) && cli_read(&c, r, false);
    cli_close(&c);
    return ok;
}

static char *read_data(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", datadir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(1 << 20);
    size_t n = fread(b, 1, (1 << 20) - 1, f);
    fclose(f);
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

static bool body_is_file(const struct resp *r, const char *name)
{
    size_t n;
    char *f = read_data(name, &n);
    bool eq = f && r->complete && r->body_len == n && memcmp(r->body, f, n) == 0;
    free(f);
    return eq;
}

static unsigned long stat_value(const char *name)
{
    char *s = tsk_sim_fetch(sim, "/_stats");
    unsigned long v = (unsigned long)-1;
    if (s) {
        const char *p = strstr(s, name);
        if (p)
            v = strtoul(p + strlen(name) + 1, NULL, 10);
        free(s);
    }
    return v;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* Field k (0-based) of log line l (0-based), copied into out. */
static bool log_field(const char *log, int l, int k, char *out, size_t outlen)
{
    const char *p = log;
    for (int i = 0; i < l && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p || !*p)
        return false;
    for (int i = 0; i < k; i++) {
        p += strcspn(p, "\t\n");
        if (*p != '\t')
            return false;
        p++;
    }
    size_t n = strcspn(p, "\t\n");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* ------------------------------------------------------------------------ */
/* tests                                                                    */

static void test_get_route(void)
{
    struct resp r;
    char v[128];
    CHECK(get("/sagawa/okurijoSearch?okurijoNo=123456789012", &r), "no response");
    CHECK(r.status == 200, "status %d", r.status);
    CHECK(resp_header(&r, "Content-Type", v, sizeof v) && strcmp(v, "text/html; charset=Shift_JIS") == 0, "ctype %s",
          v);
    CHECK(body_is_file(&r, "sagawa.html"), "body mismatch (%zu bytes)", r.body_len);
    resp_free(&r);
    /* dashes removed, lower case / path segment also count */
    CHECK(get("/sagawa/okurijoSearch?okurijoNo=1234-5678-9012", &r) && r.status == 200, "dashes: %d", r.status);
    resp_free(&r);
    CHECK(get("/sagawa/detail/1234-5678-9012", &r) && r.status == 200, "path segment: %d", r.status);
    resp_free(&r);
}

static void test_post_form(void)
{
    struct resp r;
    const char *form = "Content-Type: application/x-www-form-urlencoded\r\n";
    CHECK(request("POST", "/yamato/cgi-bin/tneko", form,
                  "number00=1&number01=111122223333&number02=222233334444&number03=333344445555", &r),
          "no response");
    CHECK(r.status == 200 && body_is_file(&r, "yamato3.html"), "status %d body %s", r.status, r.body);
    resp_free(&r);
    /* %-decoding, '+' as space, sim_ parameters ignored, duplicates dropped */
    CHECK(request("POST", "/yamato/cgi-bin/tneko", form,
                  "number00=1&number01=1111%2D2222+3333&sim_tag=999999999999&number02=222233334444"
                  "&number03=333344445555&number04=111122223333",
                  &r) &&
              body_is_file(&r, "yamato3.html"),
          "normalised form: %d %s", r.status, r.body);
    resp_free(&r);
    /* key order matters: another order is a batch answered number by
     * number, and yamato3.html is of no layout a page can be composed of */
    CHECK(request("POST", "/yamato/cgi-bin/tneko", form,
                  "number00=1&number01=333344445555&number02=222233334444&number03=111122223333", &r) &&
              r.status == 500 && strstr(r.body, "no composable layout"),
          "reordered: %d %s", r.status, r.body);
    resp_free(&r);
    /* a form body is not parsed without the form content type */
    CHECK(request("POST", "/yamato/cgi-bin/tneko", "Content-Type: text/plain\r\n",
                  "number01=111122223333&number02=222233334444&number03=333344445555", &r) &&
              body_is_file(&r, "yamato-none.html"),
          "text/plain body: %s", r.body);
    resp_free(&r);
}

static void test_json_and_headers(void)
{
    struct resp r;
    char v[128];
    const char *path = "/rest/aftership/v4/trackings/ups/1Z999AA10123456784";
    CHECK(get(path, &r) && r.status == 401, "no header: %d", r.status);
    resp_free(&r);
    CHECK(request("GET", path, "aftership-api-key: wrong\r\n", NULL, &r) && r.status == 401, "wrong: %d", r.status);
    resp_free(&r);
    CHECK(request("GET", path, "AfterShip-API-Key: s3cret\r\n", NULL, &r) && r.status == 200 &&
              body_is_file(&r, "aftership.json"),
          "right: %d", r.status);
    CHECK(resp_header(&r, "Content-Type", v, sizeof v) && strcmp(v, "application/json") == 0, "ctype %s", v);
    resp_free(&r);
    /* JSON body scan: keys ignored, string values matched, %20 in option */
    CHECK(request("POST", "/rest/17track/track/v2.2/gettrackinfo",
                  "Content-Type: application/json; charset=utf-8\r\nAuthorization: Bearer tok\r\n",
                  "[{\"number\": \"RR123456789CN\", \"carrier\": 3011, \"tag\": \"ab\"}]", &r) &&
              r.status == 200 && body_is_file(&r, "17track.json"),
          "json: %d %s", r.status, r.body);
    resp_free(&r);
    CHECK(request("POST", "/rest/17track/track/v2.2/gettrackinfo", "Content-Type: application/json\r\n",
                  "{\"RR123456789CN\": 1}", &r) &&
              r.status == 404 && strcmp(r.body, "no route for rest/17track -\n") == 0,
          "json key only: %d %s", r.status, r.body);
    resp_free(&r);
}

static void test_sequence(void)
{
    static const char *want[] = { "jp1.html", "jp2.html", "jp3.html", "jp3.html" };
    for (int i = 0; i < 4; i++) {
        struct resp r;
        CHECK(get("/japanpost/services/srv/search/?requestNo1=444455556666&search.x=1", &r) &&
                  body_is_file(&r, want[i]),
              "poll %d: %s", i, r.body);
        resp_free(&r);
    }
}

static void test_not_found(void)
{
    struct resp r;
    CHECK(get("/nope/x?a=123456789012&b=2", &r) && r.status == 404 &&
              strcmp(r.body, "no route for nope 123456789012\n") == 0,
          "%d %s", r.status, r.body);
    resp_free(&r);
    CHECK(get("/sagawa/x?okurijoNo=999999999999", &r) && r.status == 404 &&
              strcmp(r.body, "no route for sagawa 999999999999\n") == 0,
          "%d %s", r.status, r.body);
    resp_free(&r);
    CHECK(get("/gone/999988887777", &r) && r.status == 404 && body_is_file(&r, "gone.html"), "status= %d",
          r.status);
    resp_free(&r);
    CHECK(get("/empty/123412341234", &r) && r.status == 200 && r.body_len == 0 && r.complete, "empty %d %zu",
          r.status, r.body_len);
    resp_free(&r);
}

static void test_fault_status(void)
{
    struct resp r;
    char v[64];
    CHECK(get("/_fault/500/sagawa/x?n=123456789012", &r) && r.status == 500 && strstr(r.body, "500") &&
              strstr(r.body, "<html>"),
          "%d %s", r.status, r.body);
    resp_free(&r);
    CHECK(get("/_fault/502/nope", &r) && r.status == 502, "no route needed: %d", r.status);
    resp_free(&r);
    CHECK(get("/_fault/429:30/sagawa/x?n=123456789012", &r) && r.status == 429, "%d", r.status);
    CHECK(resp_header(&r, "Retry-After", v, sizeof v) && strcmp(v, "30") == 0, "Retry-After %s", v);
    resp_free(&r);
    CHECK(get("/_fault/bogus/sagawa/x", &r) && r.status == 400 && strstr(r.body, "bad fault spec"), "%d %s",
          r.status, r.body);
    resp_free(&r);
}

static void test_fault_count(void)
{
    struct resp r;
    int st[4];
    for (int i = 0; i < 4; i++) {
        st[i] = get("/_fault/500x2/sagawa/x?n=123456789012", &r) ? r.status : -1;
        resp_free(&r);
    }
    CHECK(st[0] == 500 && st[1] == 500 && st[2] == 200 && st[3] == 200, "%d %d %d %d", st[0], st[1], st[2], st[3]);
    /* a different prefix string has its own counter */
    CHECK(get("/_fault/500x1+delay:1/sagawa/x?n=123456789012", &r) && r.status == 500, "own counter %d", r.status);
    resp_free(&r);
    /* route-level fault=503:7x1: first 503 with Retry-After, then normal */
    char v[32] = "";
    CHECK(get("/flaky/123412341234", &r) && r.status == 503 && resp_header(&r, "Retry-After", v, sizeof v) &&
              strcmp(v, "7") == 0,
          "flaky 1: %d %s", r.status, v);
    resp_free(&r);
    CHECK(get("/flaky/123412341234", &r) && r.status == 200 && body_is_file(&r, "sagawa.html"), "flaky 2: %d",
          r.status);
    resp_free(&r);
    /* faulted requests do not advance a file sequence */
    CHECK(tsk_sim_reset(sim) == 0, "reset");
    CHECK(get("/_fault/503x1/japanpost/s?requestNo1=444455556666", &r) && r.status == 503, "%d", r.status);
    resp_free(&r);
    CHECK(get("/_fault/503x1/japanpost/s?requestNo1=444455556666", &r) && body_is_file(&r, "jp1.html"), "%s",
          r.body);
    resp_free(&r);
}

static void test_truncate_close(void)
{
    struct cli c;
    struct resp r;
    char v[32];
    size_t flen;
    free(read_data("sagawa.html", &flen));
    CHECK(cli_open(&c) && cli_sends(&c, "GET /_fault/truncate:10/sagawa/x?n=123456789012 HTTP/1.1\r\nHost: x\r\n\r\n"),
          "send");
    CHECK(cli_read(&c, &r, false) && r.status == 200, "status %d", r.status);
    CHECK(resp_header(&r, "Content-Length", v, sizeof v) && strtoul(v, NULL, 10) == flen, "CL %s vs %zu", v, flen);
    CHECK(!r.complete && r.body_len == 10 && c.eof, "got %zu bytes complete=%d eof=%d", r.body_len, r.complete,
          c.eof);
    resp_free(&r);
    cli_close(&c);

    CHECK(cli_open(&c) && cli_sends(&c, "GET /_fault/close/sagawa/x?n=123456789012 HTTP/1.1\r\nHost: x\r\n\r\n"),
          "send");
    CHECK(!cli_read(&c, &r, false) && c.len == 0 && c.eof, "expected a silent close, got %zu bytes", c.len);
    resp_free(&r);
    cli_close(&c);

    /* closex1: first request closed, the retry succeeds */
    CHECK(cli_open(&c) && cli_sends(&c, "GET /_fault/closex1/sagawa/x?n=123456789012 HTTP/1.1\r\nHost: x\r\n\r\n") &&
              !cli_read(&c, &r, false),
          "closex1 first");
    cli_close(&c);
    CHECK(get("/_fault/closex1/sagawa/x?n=123456789012", &r) && r.status == 200, "closex1 second %d", r.status);
    resp_free(&r);
}

static void test_oversize_garbage_charset(void)
{
    struct resp r;
    char v[128];
    CHECK(get("/_fault/oversize:100000/yamato/x", &r) && r.status == 200 && r.complete && r.body_len == 100000,
          "oversize %d %zu", r.status, r.body_len);
    CHECK(r.body && strncmp(r.body, "<!DOCTYPE html>", 15) == 0 && r.body_len > 20 &&
              strcmp(r.body + r.body_len - 15, "</body></html>\n") == 0,
          "oversize skeleton");
    resp_free(&r);
    CHECK(get("/_fault/oversize-chunked:50000/yamato/x", &r) && r.status == 200 && r.complete &&
              r.body_len == 50000 && resp_header(&r, "Transfer-Encoding", v, sizeof v) &&
              strcmp(v, "chunked") == 0 && !resp_header(&r, "Content-Length", v, sizeof v),
          "chunked %d %zu", r.status, r.body_len);
    resp_free(&r);
    CHECK(get("/_fault/garbage/sagawa/x?n=123456789012", &r) && r.status == 200 && r.body_len == 512 &&
              r.body[0] == '\0',
          "garbage %d %zu", r.status, r.body_len);
    CHECK(resp_header(&r, "Content-Type", v, sizeof v) && strcmp(v, "text/html; charset=Shift_JIS") == 0,
          "garbage keeps the route's content type: %s", v);
    resp_free(&r);
    CHECK(get("/_fault/charset:EUC-JP/sagawa/x?n=123456789012", &r) && r.status == 200 &&
              body_is_file(&r, "sagawa.html") && resp_header(&r, "Content-Type", v, sizeof v) &&
              strcmp(v, "text/html; charset=EUC-JP") == 0,
          "charset %s", v);
    resp_free(&r);
}

static void test_delay_drip(void)
{
    struct resp r;
    long long t0 = now_ms();
    CHECK(get("/_fault/delay:300/sagawa/x?n=123456789012", &r) && r.status == 200, "%d", r.status);
    long long dt = now_ms() - t0;
    CHECK(dt >= 290 && dt < 3000, "delay took %lld ms", dt);
    resp_free(&r);
    t0 = now_ms();
    /* 640 bytes = 10 pieces = 9 pauses of 20 ms */
    CHECK(get("/_fault/oversize:640+drip:20/x", &r) && r.complete && r.body_len == 640, "drip %zu", r.body_len);
    dt = now_ms() - t0;
    CHECK(dt >= 170 && dt < 3000, "drip took %lld ms", dt);
    resp_free(&r);
    t0 = now_ms();
    CHECK(get("/slow/123412341234", &r) && r.status == 200, "route fault=delay %d", r.status);
    dt = now_ms() - t0;
    CHECK(dt >= 290, "route delay took %lld ms", dt);
    resp_free(&r);
}

static void test_keepalive_log_stats(void)
{
    struct cli a, b;
    struct resp r;
    char f[256];
    CHECK(tsk_sim_reset(sim) == 0, "reset");
    CHECK(cli_open(&a) && cli_open(&b), "open");
    for (int i = 0; i < 2; i++) {
        CHECK(cli_sends(&a, "GET /sagawa/x?n=123456789012 HTTP/1.1\r\nHost: x\r\nUser-Agent: tsuiseki/0.1 test\r\n"
                            "Accept-Encoding: gzip, deflate\r\n\r\n") &&
                  cli_read(&a, &r, false) && r.status == 200,
              "keep-alive request %d", i);
        CHECK(r.head && strstr(r.head, "Connection: keep-alive"), "keep-alive header");
        resp_free(&r);
    }
    CHECK(cli_sends(&b, "POST /yamato/cgi-bin/tneko HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                        "Content-Length: 8\r\n\r\na b%\t-\x01\xff") &&
              cli_read(&b, &r, false),
          "post");
    resp_free(&r);
    cli_close(&a);
    cli_close(&b);

    char *log = tsk_sim_fetch(sim, "/_log");
    CHECK(log && count_lines(log) == 3, "log: %s", log ? log : "(null)");
    if (log) {
        char id0[32], id1[32], id2[32];
        CHECK(log_field(log, 0, 0, f, sizeof f) && strcmp(f, "GET") == 0, "method %s", f);
        CHECK(log_field(log, 0, 1, f, sizeof f) && strcmp(f, "/sagawa/x?n=123456789012") == 0, "target %s", f);
        CHECK(log_field(log, 0, 2, f, sizeof f) && strcmp(f, "-") == 0, "ctype %s", f);
        CHECK(log_field(log, 0, 3, f, sizeof f) && strcmp(f, "-") == 0, "body %s", f);
        CHECK(log_field(log, 0, 4, f, sizeof f) && strcmp(f, "tsuiseki/0.1 test") == 0, "ua %s", f);
        CHECK(log_field(log, 0, 5, f, sizeof f) && strcmp(f, "gzip, deflate") == 0, "ae %s", f);
        CHECK(log_field(log, 2, 2, f, sizeof f) && strcmp(f, "text/plain") == 0, "ctype %s", f);
        CHECK(log_field(log, 2, 3, f, sizeof f) && strcmp(f, "a%20b%25%09-%01%FF") == 0, "escaped body %s", f);
        CHECK(log_field(log, 2, 4, f, sizeof f) && strcmp(f, "-") == 0, "no ua %s", f);
        CHECK(log_field(log, 0, 6, id0, sizeof id0) && log_field(log, 1, 6, id1, sizeof id1) &&
                  log_field(log, 2, 6, id2, sizeof id2) && strcmp(id0, id1) == 0 && strcmp(id0, id2) != 0,
              "connection ids %s %s %s", id0, id1, id2);
        /* arrival: the wall clock when each request was read, in order */
        char t0[32], t2[32];
        double now = (double)time(NULL);
        CHECK(log_field(log, 0, 7, t0, sizeof t0) && log_field(log, 2, 7, t2, sizeof t2) &&
                  strtod(t0, NULL) > now - 60 && strtod(t0, NULL) < now + 60 && strtod(t2, NULL) >= strtod(t0, NULL),
              "arrivals %s %s", t0, t2);
        free(log);
    }
    CHECK(stat_value("requests") == 3, "requests %lu", stat_value("requests"));
    CHECK(stat_value("connections") == 2, "connections %lu", stat_value("connections"));
    CHECK(stat_value("max_concurrent") == 1, "max_concurrent %lu", stat_value("max_concurrent"));
}

static void test_reset(void)
{
    struct resp r;
    CHECK(get("/_fault/500x1/japanpost/s?requestNo1=444455556666", &r) && r.status == 500, "%d", r.status);
    resp_free(&r);
    CHECK(get("/japanpost/s?requestNo1=444455556666", &r) && body_is_file(&r, "jp1.html"), "%s", r.body);
    resp_free(&r);
    CHECK(tsk_sim_reset(sim) == 0, "reset");
    char *log = tsk_sim_fetch(sim, "/_log");
    CHECK(log && log[0] == '\0', "log after reset: %s", log ? log : "(null)");
    free(log);
    CHECK(stat_value("requests") == 0 && stat_value("connections") == 0 && stat_value("max_concurrent") == 0,
          "stats after reset");
    CHECK(get("/_fault/500x1/japanpost/s?requestNo1=444455556666", &r) && r.status == 500, "counter reset %d",
          r.status);
    resp_free(&r);
    CHECK(get("/japanpost/s?requestNo1=444455556666", &r) && body_is_file(&r, "jp1.html"), "sequence reset %s",
          r.body);
    resp_free(&r);
    CHECK(get("/_reset", &r) && r.status == 405, "GET /_reset %d", r.status);
    resp_free(&r);
}

static void test_concurrency(void)
{
    struct cli c[3];
    struct resp r;
    CHECK(tsk_sim_reset(sim) == 0, "reset");
    long long t0 = now_ms();
    for (int i = 0; i < 3; i++)
        CHECK(cli_open(&c[i]) &&
                  cli_sends(&c[i], "GET /_fault/delay:400/sagawa/x?n=123456789012 HTTP/1.1\r\nHost: x\r\n\r\n"),
              "send %d", i);
    for (int i = 0; i < 3; i++) {
        CHECK(cli_read(&c[i], &r, false) && r.status == 200, "read %d", i);
        resp_free(&r);
        cli_close(&c[i]);
    }
    long long dt = now_ms() - t0;
    CHECK(dt < 1100, "3 x 400 ms delays took %lld ms (not parallel?)", dt);
    CHECK(stat_value("max_concurrent") == 3, "max_concurrent %lu", stat_value("max_concurrent"));
    CHECK(stat_value("connections") == 3, "connections %lu", stat_value("connections"));
}

static void test_http_details(void)
{
    struct cli c;
    struct resp r;
    char v[64];

    /* pipelining: two requests in one write, two responses in order */
    CHECK(cli_open(&c) && cli_sends(&c, "GET /japanpost/a/444455556666 HTTP/1.1\r\nHost: x\r\n\r\n"
                                        "HEAD /sagawa/x?n=123456789012 HTTP/1.1\r\nHost: x\r\n\r\n"
                                        "GET /sagawa/x?n=123456789012 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
          "send");
    CHECK(cli_read(&c, &r, false) && r.status == 200, "first %d", r.status);
    resp_free(&r);
    CHECK(cli_read(&c, &r, true) && r.status == 200 && resp_header(&r, "Content-Length", v, sizeof v) &&
              strcmp(v, "0") != 0,
          "HEAD %d", r.status);
    resp_free(&r);
    CHECK(cli_read(&c, &r, false) && r.status == 200 && body_is_file(&r, "sagawa.html"), "third %d", r.status);
    CHECK(r.head && strstr(r.head, "Connection: close"), "close header");
    resp_free(&r);
    CHECK(cli_sees_eof(&c, 3000), "connection closed after Connection: close");
    cli_close(&c);

    /* HTTP/1.0 closes by default */
    CHECK(cli_open(&c) && cli_sends(&c, "GET /sagawa/x?n=123456789012 HTTP/1.0\r\n\r\n") &&
              cli_read(&c, &r, false) && r.status == 200 && cli_sees_eof(&c, 3000),
          "HTTP/1.0");
    resp_free(&r);
    cli_close(&c);

    /* Expect: 100-continue */
    static const char form[] = "number01=111122223333&number02=222233334444&number03=333344445555";
    char head[256];
    snprintf(head, sizeof head,
             "POST /yamato/t HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n",
             sizeof form - 1);
    CHECK(cli_open(&c) && cli_sends(&c, head), "send");
    CHECK(cli_read(&c, &r, true) && r.status == 100, "100-continue %d", r.status);
    resp_free(&r);
    CHECK(cli_sends(&c, form) &&
              cli_read(&c, &r, false) && body_is_file(&r, "yamato3.html"),
          "body after continue %d", r.status);
    resp_free(&r);
    cli_close(&c);
}

static void test_bad_requests(void)
{
    struct cli c;
    struct resp r;
    static const struct {
        const char *req;
        int status;
    } cases[] = {
        { "garbage\r\n\r\n", 400 },
        { "GET nopath HTTP/1.1\r\n\r\n", 400 },
        { "GET / HTTP/2.0\r\n\r\n", 505 },
        { "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\n folded\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413 },
        { "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
    };
    CHECK(tsk_sim_reset(sim) == 0, "reset");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK(cli_open(&c) && cli_sends(&c, cases[i].req) && cli_read(&c, &r, false) && r.status == cases[i].status &&
                  cli_sees_eof(&c, 3000),
              "case %zu: got %d want %d", i, r.status, cases[i].status);
        resp_free(&r);
        cli_close(&c);
    }
    /* NUL byte in the header block */
    static const char nul_req[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    CHECK(cli_open(&c) && cli_send(&c, nul_req, sizeof nul_req - 1) && cli_read(&c, &r, false) &&
              r.status == 400,
          "NUL: %d", r.status);
    resp_free(&r);
    cli_close(&c);
    /* header block over 64 KiB */
    char *big = malloc(70 * 1024 + 64);
    strcpy(big, "GET / HTTP/1.1\r\nX-Big: ");
    size_t n = strlen(big);
    memset(big + n, 'a', 70 * 1024);
    strcpy(big + n + 70 * 1024, "\r\n\r\n");
    CHECK(cli_open(&c) && cli_sends(&c, big) && cli_read(&c, &r, false) && r.status == 431, "big header: %d",
          r.status);
    resp_free(&r);
    cli_close(&c);
    free(big);
    /* client hangs up mid-request: no crash, nothing logged */
    CHECK(cli_open(&c) && cli_sends(&c, "POST /yamato/t HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort"), "partial");
    cli_close(&c);
    CHECK(get("/sagawa/x?n=123456789012", &r) && r.status == 200, "still alive %d", r.status);
    resp_free(&r);
    CHECK(stat_value("requests") == 1, "malformed requests are not logged: %lu", stat_value("requests"));
}

static void test_simctl(void)
{
    char url[128];
    CHECK(tsk_sim_url(sim, "/yamato/x", url, sizeof url) && strncmp(url, "http://127.0.0.1:", 17) == 0 &&
              strstr(url, "/yamato/x"),
          "url %s", url);
    CHECK(tsk_sim_url(sim, "/yamato/x", url, 10) == NULL, "url overflow");
    CHECK(tsk_sim_fetch(sim, "/nope") == NULL, "non-2xx fetch gives NULL");
    long long t0 = now_ms();
    tsk_sim *bad = tsk_sim_start("/nonexistent/tsk-sim", datadir);
    CHECK(bad == NULL && now_ms() - t0 < 5000, "start of a missing binary fails fast");
    tsk_sim_stop(bad);
    bad = tsk_sim_start(NULL, datadir);
    CHECK(bad == NULL, "NULL binary");
}

/* Occurrences of needle in the body after its last "<body" (the page itself,
 * not the print copy in <head>). */
static int count_in_body(const struct resp *r, const char *needle)
{
    const char *b = r->body, *p;
    if (!b)
        return -1;
    for (p = b; (p = strstr(p, "<body")) != NULL; p++)
        b = p;
    int n = 0;
    for (p = b; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static bool post_numbers(const char *numbers, struct resp *r)
{
    char body[512];
    int at = snprintf(body, sizeof body, "number00=1");
    int i = 1;
    for (const char *n = numbers; *n; i++) {
        size_t l = strcspn(n, ",");
        at += snprintf(body + at, sizeof body - (size_t)at, "&number%02d=%.*s", i, (int)l, n);
        n += l + (n[l] == ',');
    }
    return request("POST", "/yamato/cgi-bin/tneko", "Content-Type: application/x-www-form-urlencoded\r\n", body, r);
}

static void test_batch(void)
{
    struct resp r;
    tsk_sim_reset(sim);
    /* today's Yamato layout: the first number's page is the frame, the
     * list items and invoice blocks come from each number's own page */
    CHECK(post_numbers("500000000001,500000000002", &r) && r.status == 200, "status %d %s", r.status, r.body);
    CHECK(r.body && strstr(r.body, "<title>yamato 2019 (one)</title>"), "frame");
    CHECK(count_in_body(&r, "class=\"parts-tracking-invoice-block\"") == 2, "blocks %d",
          count_in_body(&r, "class=\"parts-tracking-invoice-block\""));
    CHECK(count_in_body(&r, "1件目：5000-0000-0001") == 2 && count_in_body(&r, "2件目：5000-0000-0002") == 2,
          "ordinals: %s", r.body);
    CHECK(count_in_body(&r, "href=\"#AA001\"") == 1 && count_in_body(&r, "id=\"AA001\"") == 1 &&
              count_in_body(&r, "id=\"AA000\"") == 1,
          "anchors: %s", r.body);
    CHECK(r.body && strstr(r.body, "</html>"), "whole page");
    resp_free(&r);
    /* request order decides the order; a several-number route gives only
     * the asked number's parts; a route's file sequence advances once */
    CHECK(post_numbers("500000000004,500000000001", &r) && r.status == 200, "status %d %s", r.status, r.body);
    CHECK(count_in_body(&r, "1件目：5000-0000-0004") == 2 && count_in_body(&r, "2件目：5000-0000-0001") == 2,
          "order: %s", r.body);
    CHECK(count_in_body(&r, "5000-0000-0003") == 0, "the other number of the route leaked in");
    CHECK(count_in_body(&r, "配達完了") == 2, "second file of the sequence: %s", r.body);
    resp_free(&r);

    /* the 2009 Yamato page (Shift_JIS): ten summary slots stay ten, the
     * links between slot and detail block are renumbered together */
    CHECK(post_numbers("700000000002,700000000001", &r) && r.status == 200, "2009: %d %s", r.status, r.body);
    CHECK(count_in_body(&r, "<tr align=\"middle\">\n <td rowspan=\"2\">") == 10, "slots %d",
          count_in_body(&r, "<tr align=\"middle\">\n <td rowspan=\"2\">"));
    CHECK(count_in_body(&r, "<a href=\"#AA00\"><font size=\"4\"><b>7000-0000-0002") == 1 &&
              count_in_body(&r, "<a href=\"#AA10\"><font size=\"4\"><b>7000-0000-0001") == 1,
          "summary links: %s", r.body);
    CHECK(count_in_body(&r, "<a name=\"AA00\">") == 1 && count_in_body(&r, "<a name=\"AA10\">") == 1 &&
              count_in_body(&r, "name=\"number10\"") == 1 && count_in_body(&r, "name=\"number02\"") == 1,
          "names: %s", r.body);
    /* "　２件目" and "１０件目" in Shift_JIS */
    CHECK(count_in_body(&r, "\x81\x40\x82\x51\x8c\x8f\x96\xda") == 2 &&
              count_in_body(&r, "\x82\x50\x82\x4f\x8c\x8f\x96\xda") == 1,
          "SJIS ordinals");
    resp_free(&r);

    /* today's Japan Post page: a known number's tables and the not-found
     * table of the '*' template, filled for its own number */
    CHECK(get("/japanpost/services/srv/search/direct?reqCodeNo1=600000000009&reqCodeNo2=6000-0000-0001"
              "&searchKind=S002&locale=ja",
              &r) &&
              r.status == 200,
          "jp: %d %s", r.status, r.body);
    CHECK(count_in_body(&r, "6000-0000-0009") == 1 && count_in_body(&r, "6000-0000-0001") == 1 &&
              count_in_body(&r, "summary=") == 3,
          "jp parts: %s", r.body);
    CHECK(r.body && strstr(r.body, "6000-0000-0009") < strstr(r.body, "6000-0000-0001"), "jp order");
    resp_free(&r);

    /* pages of different layouts cannot make one page: a clear 500 */
    CHECK(post_numbers("500000000001,700000000001", &r) && r.status == 500 &&
              strstr(r.body, "not of layout yamato-2019"),
          "mixed: %d %s", r.status, r.body);
    resp_free(&r);
    /* each batch is one request in the log */
    char *log = tsk_sim_fetch(sim, "/_log");
    CHECK(count_lines(log) == 5, "log lines %d", count_lines(log));
    free(log);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s <tsk-sim binary> <testdata dir>\n", argv[0]);
        return 2;
    }
    datadir = argv[2];
    alarm(120); /* last-resort hang guard; the simulator dies with us (--stdin-watch) */
    sim = tsk_sim_start(argv[1], datadir);
    if (!sim) {
        fprintf(stderr, "cannot start %s\n", argv[1]);
        puts("0 passed, 1 failed");
        return 1;
    }
    test_get_route();
    test_post_form();
    test_json_and_headers();
    test_sequence();
    test_batch();
    test_not_found();
    test_fault_status();
    test_fault_count();
    test_truncate_close();
    test_oversize_garbage_charset();
    test_delay_drip();
    test_keepalive_log_stats();
    test_reset();
    test_concurrency();
    test_http_details();
    test_bad_requests();
    test_simctl();
    tsk_sim_stop(sim);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
