/*
 * rawhttp (see rawhttp.h): the socket exchange and a small response parser. Sending and
 * receiving are interleaved on a non-blocking socket, so that a server which answers early
 * (libmicrohttpd refusing a 200 KB request line after reading a part of it) is heard even
 * while the rest is still being sent.
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "rawhttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rh_connect(unsigned port, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (src) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
        inet_pton(AF_INET, src, &sa.sin_addr);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void add(struct rh_resp *r, const char *p, size_t n)
{
    char *d = realloc(r->raw, r->raw_len + n + 1);
    if (!d)
        abort();
    r->raw = d;
    memcpy(r->raw + r->raw_len, p, n);
    r->raw_len += n;
    r->raw[r->raw_len] = '\0';
}

/* De-chunk src (a chunked body) into a new buffer; a malformed tail is kept as it came. */
static char *dechunk(const char *src, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    size_t o = 0, i = 0;
    if (!out)
        abort();
    while (i < len) {
        char *end;
        unsigned long n = strtoul(src + i, &end, 16);
        const char *crlf = strstr(src + i, "\r\n");
        if (end == src + i || !crlf)
            break;
        i = (size_t)(crlf - src) + 2;
        if (n == 0 || n > len - i)
            break;
        memcpy(out + o, src + i, n);
        o += n;
        i += n + 2;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static void parse(struct rh_resp *r)
{
    if (!r->raw || r->raw_len < 12 || strncmp(r->raw, "HTTP/1.", 7))
        return;
    r->status = atoi(r->raw + 9);
    const char *sep = strstr(r->raw, "\r\n\r\n");
    size_t head_len = sep ? (size_t)(sep - r->raw) + 2 : r->raw_len;
    r->head = strndup(r->raw, head_len);
    const char *b = sep ? sep + 4 : r->raw + r->raw_len;
    size_t blen = r->raw_len - (size_t)(b - r->raw);
    char *te = rh_header(r, "Transfer-Encoding");
    if (te && strstr(te, "chunked")) {
        r->body = dechunk(b, blen, &r->body_len);
    } else {
        char *cl = rh_header(r, "Content-Length");
        if (cl && (size_t)atol(cl) < blen)
            blen = (size_t)atol(cl);
        free(cl);
        r->body = strndup(b, blen);
        r->body_len = blen;
    }
    free(te);
}

int rh_exchange(unsigned port, const char *src, const char *req, size_t len, int timeout_ms,
                struct rh_resp *r)
{
    memset(r, 0, sizeof *r);
    int fd = rh_connect(port, src);
    if (fd < 0) {
        r->connect_error = 1;
        goto out;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    long long deadline = now_ms() + timeout_ms;
    size_t sent = 0;
    int sending = 1;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            r->timed_out = 1;
            break;
        }
        struct pollfd p = {.fd = fd, .events = (short)(POLLIN | (sending ? POLLOUT : 0))};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        if (sending && (p.revents & POLLOUT)) {
            ssize_t n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += (size_t)n;
                if (sent == len)
                    sending = 0;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                sending = 0; /* the server closed its side: read what it said */
                r->reset = 1;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[65536];
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                add(r, buf, (size_t)n);
            } else if (n == 0) {
                break;
            } else if (errno != EAGAIN && errno != EINTR) {
                r->reset = 1;
                break;
            }
        }
    }
    close(fd);
out:
    if (!r->raw)
        add(r, "", 0);
    parse(r);
    if (!r->head)
        r->head = strdup("");
    if (!r->body)
        r->body = strdup("");
    return r->status ? 0 : -1;
}

void rh_resp_fini(struct rh_resp *r)
{
    free(r->raw);
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

char *rh_header(const struct rh_resp *r, const char *name)
{
    size_t nlen = strlen(name);
    const char *line = r->raw ? strstr(r->raw, "\r\n") : NULL;
    const char *end_head = r->raw ? strstr(r->raw, "\r\n\r\n") : NULL;
    while (line && end_head && line < end_head) {
        line += 2;
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        size_t llen = (size_t)(eol - line);
        if (llen > nlen && line[nlen] == ':' && !strncasecmp(line, name, nlen)) {
            const char *v = line + nlen + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            return strndup(v, (size_t)(eol - v));
        }
        line = eol;
    }
    return NULL;
}

int rh_read_response(int fd, int timeout_ms)
{
    char buf[65536];
    size_t len = 0;
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        char *sep = memmem(buf, len, "\r\n\r\n", 4);
        if (sep) {
            size_t head = (size_t)(sep - buf) + 4;
            buf[head - 1] = '\0';
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            int done = 0;
            if (cl)
                done = len >= head + (size_t)atol(cl + 17);
            else if (strcasestr(buf, "chunked"))
                done = len >= 5 && !memcmp(buf + len - 5, "0\r\n\r\n", 5);
            buf[head - 1] = '\n';
            if (done)
                return atoi(buf + 9);
        }
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || len == sizeof buf || poll(&p, 1, (int)left + 1) <= 0)
            return 0;
        ssize_t n = recv(fd, buf + len, sizeof buf - len, 0);
        if (n <= 0)
            return 0;
        len += (size_t)n;
    }
}

int rh_spawn_server(const char *bin, const char *db, const char *const *extra, const char *log_path,
                    unsigned *port)
{
    const char *argv[64] = {bin, "serve", "--db", db, "--port", "0"};
    size_t n = 6;
    for (size_t i = 0; extra && extra[i] && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (pid < 0)
        return -1;
    static const char announce[] = "listening on http://127.0.0.1:";
    *port = 0;
    for (int i = 0; i < 200 && !*port; i++) {
        usleep(50 * 1000);
        FILE *f = fopen(log_path, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            const char *p = strstr(line, announce);
            if (p)
                *port = (unsigned)atoi(p + strlen(announce));
        }
        if (f)
            fclose(f);
    }
    if (!*port) {
        fprintf(stderr, "the server did not announce its port (log %s)\n", log_path);
        return -1;
    }
    return (int)pid;
}
