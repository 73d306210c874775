/*
 * The libmicrohttpd daemon and the handler lifecycle (after MHD's own examples): the first
 * call for a request only allocates its state; a later call answers; the completed callback
 * writes the access log line and frees the state. A streamed body's context is owned by the
 * MHD response from the moment the response is created, and freed by MHD through its
 * free callback — never here.
 *
 * A watchdog thread cuts off a connection that takes too long to send a request head or that
 * has been open too long in all (see "Deadlines" below).
 *
 * Errors from api/ become `{"code": ..., "description": ...}` here and nowhere else. Server
 * errors (5xx) show the client only a request id; the detail goes to the log.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_ARGS 64

/* One open connection, for the watchdog (see "Deadlines" below). */
enum conn_phase { PHASE_RECEIVING, PHASE_RESPONDING };

struct conn_slot {
    struct conn_slot *prev, *next;
    int fd;                    /* the connection's socket: shut down, never closed, here */
    int cut;                   /* shut down already; libmicrohttpd has yet to close it */
    enum conn_phase phase;     /* receiving a request head, or handling and answering one */
    double start, phase_start; /* CLOCK_MONOTONIC seconds */
    char client[INET6_ADDRSTRLEN];
};

struct pm_http {
    struct MHD_Daemon *daemon;
    struct pm_api *api;
    char *cors_origin;
    unsigned port;
    unsigned max_url_bytes;
    unsigned max_header_bytes;
    unsigned request_timeout_s;
    unsigned max_connection_time_s;
    /* The open connections and the watchdog; all under conns_lock. */
    pthread_mutex_t conns_lock;
    pthread_cond_t watchdog_wake;
    struct conn_slot *conns;
    int watchdog_stop;
    pthread_t watchdog;
};

/* Per-request state, from the first handler call to the completed callback. */
struct req_state {
    char id[24];
    double start; /* pm_monotonic_s() */
    int status;
    int has_body; /* the client sent a body: refused */
    char method[16];
    char path[256];
};

struct args_collect {
    struct pm_kv kv[MAX_ARGS];
    size_t n;
    int overflow;
    int bad_utf8;
    int empty_key;
};

static atomic_ulong request_counter;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct args_collect *a = cls;
    if (!key || !*key) {
        a->empty_key = 1;
        return MHD_YES;
    }
    if (a->n == MAX_ARGS) {
        a->overflow = 1;
        return MHD_NO;
    }
    if (!value)
        value = "";
    if (!pm_utf8_valid(key, strlen(key)) || !pm_utf8_valid(value, strlen(value)))
        a->bad_utf8 = 1;
    a->kv[a->n].key = key;
    a->kv[a->n].value = value;
    a->n++;
    return MHD_YES;
}

/* What the request headers add up to, and whether one is malformed. */
struct header_scan {
    size_t bytes;
    int bad; /* a NUL byte in a value, or white space in a name (RFC 9110 5.5, RFC 9112 5.1) */
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct header_scan *hs = cls;
    hs->bytes += key_size + value_size + 4; /* ": " and CRLF */
    if (strlen(key) != key_size || (value && strlen(value) != value_size) || strpbrk(key, " \t"))
        hs->bad = 1;
    return MHD_YES;
}

/* Percent-decoding of the path and the query (libmicrohttpd's unescape callback): as
 * RFC 3986 says, except that %00 decodes to a byte that is never valid UTF-8, so a NUL can
 * neither cut a path or a value short nor pass unnoticed: the UTF-8 check answers 400. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    static const char hex[] = "0123456789abcdef";
    char *in = s, *out = s;
    while (*in) {
        const char *h1, *h2;
        if (in[0] == '%' && in[1] && in[2] && (h1 = strchr(hex, in[1] | 0x20)) != NULL &&
            (h2 = strchr(hex, in[2] | 0x20)) != NULL) {
            unsigned v = (unsigned)((h1 - hex) * 16 + (h2 - hex));
            *out++ = (char)(v ? v : 0xff);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

static enum pm_method method_of(const char *m)
{
    if (!strcmp(m, MHD_HTTP_METHOD_GET))
        return PM_METHOD_GET;
    if (!strcmp(m, MHD_HTTP_METHOD_HEAD))
        return PM_METHOD_HEAD;
    if (!strcmp(m, MHD_HTTP_METHOD_OPTIONS))
        return PM_METHOD_OPTIONS;
    return PM_METHOD_OTHER;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct pm_stream *s = cls;
    ssize_t n = s->read(s->ctx, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n;
}

static void stream_free(void *cls)
{
    struct pm_stream *s = cls;
    s->free(s->ctx);
    free(s);
}

/* --- small streams sent whole -------------------------------------------------------------
 *
 * An items page is produced as a stream, so that a 10,000-feature page is never held whole.
 * Most pages are small, though, and a stream goes out chunked, in three send(2) calls. So the
 * first PREREAD bytes are read before answering: a stream that ends within them is answered
 * from the buffer, with a Content-Length, header and body in one write; a longer one is sent
 * chunked as before, those bytes first. */
#define PREREAD (256 * 1024)

struct prefixed {
    char *head;     /* read before the response started; freed once sent */
    size_t len, at; /* its length, and how much of it is sent */
    int failed;     /* the stream failed while head was read */
    struct pm_stream rest;
};

static ssize_t prefixed_read(void *ctx, char *buf, size_t max)
{
    struct prefixed *p = ctx;
    if (p->head) {
        size_t n = p->len - p->at < max ? p->len - p->at : max;
        memcpy(buf, p->head + p->at, n);
        p->at += n;
        if (p->at == p->len) {
            free(p->head); /* not held while the rest streams */
            p->head = NULL;
        }
        return (ssize_t)n;
    }
    return p->failed ? -1 : p->rest.read(p->rest.ctx, buf, max);
}

static void prefixed_free(void *ctx)
{
    struct prefixed *p = ctx;
    p->rest.free(p->rest.ctx);
    free(p->head);
    free(p);
}

/* The stream goes on after head, the len bytes read of it so far (failed: it failed then). */
static void stream_after(struct pm_response *resp, char *head, size_t len, int failed)
{
    struct prefixed *p = pm_calloc(1, sizeof *p);
    *p = (struct prefixed){.head = head, .len = len, .failed = failed, .rest = resp->stream};
    if (!len) {
        free(head);
        p->head = NULL;
    }
    resp->stream = (struct pm_stream){.read = prefixed_read, .free = prefixed_free, .ctx = p};
}

/* The stream's take (api.h): 1 if it settled the response (the whole body, or a stream to send
 * as it is), 0 if it declined. */
static int preread_take(struct pm_response *resp)
{
    struct pm_strbuf body;
    pm_strbuf_init(&body);
    int taken = resp->stream.take(resp->stream.ctx, PREREAD, &body);
    if (taken == 1) {
        resp->stream.free(resp->stream.ctx);
        resp->stream = (struct pm_stream){0};
        pm_strbuf_fini(&resp->body);
        resp->body = body;
        return 1;
    }
    pm_strbuf_fini(&body);
    if (taken < 0)
        stream_after(resp, NULL, 0, 1);
    return taken != 2; /* 0: longer, streamed from the start */
}

/* Read up to PREREAD bytes of resp->stream (or take it whole): if it ended, make them
 * resp->body (and free the stream); else keep them in front of the rest of the stream. */
static void preread(struct pm_response *resp)
{
    if (resp->stream.take && preread_take(resp))
        return;
    size_t len = 0, size = 32 * 1024; /* doubled up to PREREAD as the stream goes on */
    char *head = pm_malloc(size + 1);
    ssize_t n;
    do {
        if (len == size) {
            size *= 2;
            head = pm_realloc(head, size + 1);
        }
        n = resp->stream.read(resp->stream.ctx, head + len, size - len);
        if (n > 0)
            len += (size_t)n;
    } while (n > 0 && len < PREREAD);
    head[len] = '\0';
    if (n == 0) {
        resp->stream.free(resp->stream.ctx);
        resp->stream = (struct pm_stream){0};
        pm_strbuf_fini(&resp->body);
        resp->body = (struct pm_strbuf){.data = head, .len = len, .cap = size + 1};
        return;
    }
    stream_after(resp, head, len, n < 0);
}

/* --- gzip (RFC 9110 8.4.1.3) for clients that accept it ------------------------------ */

static int accepts_gzip(struct MHD_Connection *conn)
{
    const char *ae =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    /* "gzip" listed and not refused with q=0 (a rare form, read conservatively). */
    return ae && strstr(ae, "gzip") && !strstr(ae, "gzip;q=0");
}

static int compressible(const char *type)
{
    return type && (strstr(type, "json") || strstr(type, "html") || strstr(type, "javascript") ||
                    strstr(type, "css") || strstr(type, "text/"));
}

/* Compress body into out as one gzip member. 0, or -1 (then send it as it is). */
static int gzip_all(const char *body, size_t len, struct pm_strbuf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)len);
    pm_strbuf_reset(out);
    pm_strbuf_append(out, "", 0);
    char *buf = pm_malloc(bound);
    z.next_in = (Bytef *)(uintptr_t)body;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)buf;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    if (rc == Z_STREAM_END)
        pm_strbuf_append(out, buf, bound - z.avail_out);
    deflateEnd(&z);
    free(buf);
    return rc == Z_STREAM_END ? 0 : -1;
}

/* A stream compressed as it is read: inner bytes in, gzip bytes out. */
struct gzip_stream {
    struct pm_stream inner;
    z_stream z;
    char in[32 * 1024];
    int inner_done;
    int finished;
};

static ssize_t gzip_read(void *ctx, char *out, size_t max)
{
    struct gzip_stream *g = ctx;
    g->z.next_out = (Bytef *)out;
    g->z.avail_out = (uInt)max;
    while (g->z.avail_out == max && !g->finished) {
        if (g->z.avail_in == 0 && !g->inner_done) {
            ssize_t n = g->inner.read(g->inner.ctx, g->in, sizeof g->in);
            if (n < 0)
                return -1;
            if (n == 0)
                g->inner_done = 1;
            g->z.next_in = (Bytef *)g->in;
            g->z.avail_in = (uInt)n;
        }
        int rc = deflate(&g->z, g->inner_done ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_END)
            g->finished = 1;
        else if (rc != Z_OK && rc != Z_BUF_ERROR)
            return -1;
    }
    return (ssize_t)(max - g->z.avail_out);
}

static void gzip_free(void *ctx)
{
    struct gzip_stream *g = ctx;
    g->inner.free(g->inner.ctx);
    deflateEnd(&g->z);
    free(g);
}

/* Wrap s so that it is read compressed. On failure s is left as it was and 0 returned. */
static int gzip_wrap(struct pm_stream *s)
{
    struct gzip_stream *g = pm_calloc(1, sizeof *g);
    if (deflateInit2(&g->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(g);
        return 0;
    }
    g->inner = *s;
    s->read = gzip_read;
    s->free = gzip_free;
    s->ctx = g;
    s->take = NULL;
    return 1;
}

/* The JSON error body for err. */
static void render_error(struct pm_response *resp, const struct pm_error *err,
                         const struct req_state *rs)
{
    int status = err->status ? err->status : 500;
    pm_strbuf_reset(&resp->body);
    resp->stream.read = NULL;
    resp->status = status;
    resp->content_type = "application/json";
    resp->etag[0] = '\0';
    resp->cache_control = "no-store";
    pm_strbuf_append_str(&resp->body, "{\"code\":\"");
    pm_strbuf_append_json_str(&resp->body, err->code ? err->code : "ServerError");
    pm_strbuf_append_str(&resp->body, "\",\"description\":\"");
    if (status >= 500 && status != 503) {
        pm_log(PM_LOG_ERROR, "request=%s status=%d error=\"%s\"", rs->id, status, err->message);
        pm_strbuf_appendf(&resp->body, "internal error; request id %s", rs->id);
    } else {
        pm_strbuf_append_json_str(&resp->body, err->message);
    }
    pm_strbuf_append_str(&resp->body, "\"}");
}

static void add_common_headers(struct pm_http *h, struct MHD_Response *r,
                               const struct pm_response *resp, struct MHD_Connection *conn)
{
    if (resp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    if (resp->etag[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, resp->etag);
    if (resp->cache_control)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, resp->cache_control);
    if (resp->status == 405 || resp->status == 204)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
                                resp->allow ? resp->allow : "GET, HEAD, OPTIONS");
    if (resp->location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
    if (resp->status == 503)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    /* HTML loads scripts only from this server; data is text, never markup (the pages escape
     * it), and this keeps an escaping slip from running anything. Inline styles are allowed
     * for the pages' own CSS; map tiles only from OpenStreetMap, when the user asks. */
    if (resp->content_type && !strncmp(resp->content_type, "text/html", 9))
        MHD_add_response_header(
            r, "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'self'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    /* CORS (Fetch standard): simple requests and preflight. */
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, h->cors_origin);
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "ETag");
    if (resp->status == 204) {
        const char *req_headers =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Access-Control-Request-Headers");
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                req_headers && pm_utf8_valid(req_headers, strlen(req_headers))
                                    ? req_headers
                                    : "Accept, If-None-Match");
        MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
    }
}

/* --- Deadlines: the time to send a request head, and a connection's time in all ---------
 *
 * libmicrohttpd 0.9.75 closes a connection that is idle (--idle-timeout) but has no limit on
 * the time a client takes to send a request nor on a connection's age, so a client that
 * trickles a byte a second would keep its connection for ever. Each connection therefore
 * has a slot (notify_connection), linked into h->conns, that records when it opened and
 * when its present phase began: RECEIVING from the opening, or from the end of the previous
 * response, until the whole request head is in (the handler's first call for the request);
 * RESPONDING from then until the request completes. A watchdog thread looks at the slots
 * four times a second and shuts down (shutdown(2), SHUT_RDWR) the socket of a connection
 * that has been RECEIVING for longer than --request-timeout, or open for longer than
 * --max-connection-time. libmicrohttpd sees the hang-up in its epoll set (EPOLLHUP), or an
 * error on its next recv or send, and closes the connection itself as it would one the
 * client closed.
 *
 * Why shutting down slot->fd can never hit another connection's socket: libmicrohttpd
 * (0.9.75, read in the Debian source package 0.9.75-6, src/microhttpd/daemon.c) delivers
 * MHD_CONNECTION_NOTIFY_CLOSED before it closes the descriptor, on both paths where it
 * closes a connection it has announced with NOTIFY_STARTED:
 *  - MHD_cleanup_connections() (every connection closed while served, and all of them at
 *    MHD_stop_daemon through close_all_connections()): the CLOSED notification at lines
 *    3799-3803, MHD_socket_close_chk_(pos->socket_fd) only at line 3845;
 *  - new_connection_process_()'s cleanup path (epoll_ctl failed after STARTED): CLOSED at
 *    lines 2898-2902, the close at line 2927.
 * Its other close() calls on client sockets come before NOTIFY_STARTED (accept, the limits,
 * new_connection_prepare_), or are new_connection_close_() for connections handed in with
 * MHD_add_connection() and never announced: there is no slot for any of them. While a
 * connection is open libmicrohttpd only shuts its socket down (MHD_connection_mark_closed_,
 * connection.c). The CLOSED notification unlinks the slot under conns_lock, and the
 * watchdog shuts down only while it holds conns_lock and finds the slot linked: at that
 * moment the notification has not returned, so close() has not run, and the number is
 * still this connection's socket. */

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    struct pm_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd_info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr_info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (!fd_info)
            return;
        struct conn_slot *s = pm_calloc(1, sizeof *s);
        s->fd = fd_info->connect_fd;
        s->phase = PHASE_RECEIVING;
        s->start = s->phase_start = pm_monotonic_s();
        const struct sockaddr *sa = addr_info ? addr_info->client_addr : NULL;
        if (sa && sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, s->client,
                      sizeof s->client);
        else if (sa && sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                      s->client, sizeof s->client);
        else
            snprintf(s->client, sizeof s->client, "-");
        pthread_mutex_lock(&h->conns_lock);
        s->next = h->conns;
        if (h->conns)
            h->conns->prev = s;
        h->conns = s;
        pthread_mutex_unlock(&h->conns_lock);
        *socket_context = s;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn_slot *s = *socket_context;
        if (!s)
            return;
        /* Before libmicrohttpd closes the socket (see above). */
        pthread_mutex_lock(&h->conns_lock);
        if (s->prev)
            s->prev->next = s->next;
        else
            h->conns = s->next;
        if (s->next)
            s->next->prev = s->prev;
        pthread_mutex_unlock(&h->conns_lock);
        free(s);
        *socket_context = NULL;
    }
}

/* Move conn's slot to phase, from now. Called from the connection's own worker thread,
 * between its NOTIFY_STARTED and NOTIFY_CLOSED, so the slot is alive. */
static void set_phase(struct pm_http *h, struct MHD_Connection *conn, enum conn_phase phase)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_slot *s = info ? info->socket_context : NULL;
    if (!s)
        return;
    double now = pm_monotonic_s();
    pthread_mutex_lock(&h->conns_lock);
    s->phase = phase;
    s->phase_start = now;
    pthread_mutex_unlock(&h->conns_lock);
}

#define WATCHDOG_PERIOD_MS 250

static void *watchdog(void *arg)
{
    struct pm_http *h = arg;
    pthread_mutex_lock(&h->conns_lock);
    while (!h->watchdog_stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WATCHDOG_PERIOD_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->watchdog_wake, &h->conns_lock, &until);
        if (h->watchdog_stop)
            break;
        double now = pm_monotonic_s();
        for (struct conn_slot *s = h->conns; s; s = s->next) {
            if (s->cut)
                continue;
            const char *limit;
            double secs;
            unsigned max;
            if (now - s->start >= h->max_connection_time_s) {
                limit = "max-connection-time";
                secs = now - s->start;
                max = h->max_connection_time_s;
            } else if (s->phase == PHASE_RECEIVING &&
                       now - s->phase_start >= h->request_timeout_s) {
                limit = "request-timeout";
                secs = now - s->phase_start;
                max = h->request_timeout_s;
            } else {
                continue;
            }
            /* Linked, so not yet closed (see above): s->fd is this connection's socket. */
            shutdown(s->fd, SHUT_RDWR);
            s->cut = 1;
            /* Logged under the lock, so that s is alive; pm_log takes only its own lock. */
            pm_log(PM_LOG_WARN,
                   "msg=\"connection cut off\" limit=%s limit_s=%u seconds=%.1f client=%s "
                   "phase=%s",
                   limit, max, secs, s->client,
                   s->phase == PHASE_RECEIVING ? "receiving" : "responding");
        }
    }
    pthread_mutex_unlock(&h->conns_lock);
    return NULL;
}

/* Initialise what the watchdog and the notifications share. 0, or -1. */
static int conns_init(struct pm_http *h)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca))
        return -1;
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
             pthread_cond_init(&h->watchdog_wake, &ca);
    pthread_condattr_destroy(&ca);
    if (rc)
        return -1;
    if (pthread_mutex_init(&h->conns_lock, NULL)) {
        pthread_cond_destroy(&h->watchdog_wake);
        return -1;
    }
    return 0;
}

/* Stop the watchdog and wait for it; prompt (the condition wakes it). */
static void watchdog_stop(struct pm_http *h)
{
    pthread_mutex_lock(&h->conns_lock);
    h->watchdog_stop = 1;
    pthread_cond_signal(&h->watchdog_wake);
    pthread_mutex_unlock(&h->conns_lock);
    pthread_join(h->watchdog, NULL);
}

static void conns_fini(struct pm_http *h)
{
    /* MHD_stop_daemon has announced every connection closed; this is only in case. */
    while (h->conns) {
        struct conn_slot *s = h->conns;
        h->conns = s->next;
        free(s);
    }
    pthread_mutex_destroy(&h->conns_lock);
    pthread_cond_destroy(&h->watchdog_wake);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)upload_data;
    struct pm_http *h = cls;
    struct req_state *rs = *con_cls;
    if (!rs) {
        rs = pm_calloc(1, sizeof *rs);
        snprintf(rs->id, sizeof rs->id, "%lu", atomic_fetch_add(&request_counter, 1) + 1);
        rs->start = pm_monotonic_s();
        snprintf(rs->method, sizeof rs->method, "%s", method);
        snprintf(rs->path, sizeof rs->path, "%s", url);
        *con_cls = rs;
        set_phase(h, conn, PHASE_RESPONDING);
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* No resource takes a body: read and drop it, then answer 405 below. */
        rs->has_body = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }

    struct args_collect args = {.n = 0};
    struct pm_error err = {0};
    struct pm_response resp;
    pm_response_init(&resp);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
    struct pm_request req = {
        .method = method_of(method),
        .path = url,
        .args = args.kv,
        .n_args = args.n,
        .accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
        .if_none_match =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
        .host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
        .request_id = rs->id,
    };
    int rc;
    struct header_scan hs = {0, 0};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_header, &hs);
    size_t header_bytes = hs.bytes;
    size_t url_bytes = strlen(url);
    for (size_t i = 0; i < args.n; i++)
        url_bytes += strlen(args.kv[i].key) + strlen(args.kv[i].value) + 2;
    if (url_bytes > h->max_url_bytes)
        rc = pm_error_set(&err, 414, "URITooLong",
                          "the path and query string are longer than %u bytes", h->max_url_bytes);
    else if (hs.bad)
        rc = pm_error_set(&err, 400, "InvalidRequest",
                          "a request header holds a NUL byte, or its name white space");
    else if (strcmp(version, MHD_HTTP_VERSION_1_1) && strcmp(version, MHD_HTTP_VERSION_1_0))
        rc = pm_error_set(&err, 400, "InvalidRequest",
                          "the request line is malformed (a NUL byte in it?), or not HTTP/1.x");
    else if (!strcmp(version, MHD_HTTP_VERSION_1_1) && !req.host)
        rc = pm_error_set(&err, 400, "InvalidRequest",
                          "an HTTP/1.1 request needs a Host header (RFC 9112 3.2)");
    else if (header_bytes > h->max_header_bytes)
        rc = pm_error_set(&err, 431, "RequestHeaderFieldsTooLarge",
                          "the request headers are larger than %u bytes", h->max_header_bytes);
    else if (!pm_utf8_valid(url, strlen(url)))
        rc = pm_error_set(&err, 400, "InvalidRequest",
                          "the path is not valid UTF-8 after percent-decoding, or holds %%00");
    else if (args.overflow)
        rc = pm_error_set(&err, 400, "InvalidParameterValue", "more than %d query parameters",
                          MAX_ARGS);
    else if (args.bad_utf8)
        rc = pm_error_set(
            &err, 400, "InvalidParameterValue",
            "a query parameter is not valid UTF-8 after percent-decoding, or holds %%00");
    else if (args.empty_key)
        rc = pm_error_set(&err, 400, "InvalidParameterValue", "a query parameter has no name");
    else
        rc = pm_api_handle(h->api, &req, &resp, &err);
    if (rc)
        render_error(&resp, &err, rs);

    /* Compress what is worth it for clients that take gzip. */
    int gzipped = 0;
    if (resp.status == 200 && compressible(resp.content_type) && accepts_gzip(conn)) {
        if (resp.stream.read) {
            gzipped = gzip_wrap(&resp.stream);
        } else if (resp.body.len >= 1024) {
            struct pm_strbuf z;
            pm_strbuf_init(&z);
            if (gzip_all(resp.body.data, resp.body.len, &z) == 0) {
                pm_strbuf_fini(&resp.body);
                resp.body = z;
                gzipped = 1;
            } else {
                pm_strbuf_fini(&z);
            }
        }
    }
    struct MHD_Response *r;
    if (resp.stream.read)
        preread(&resp);
    if (resp.stream.read) {
        struct pm_stream *s = pm_malloc(sizeof *s);
        *s = resp.stream;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_reader, s,
                                              stream_free);
        /* libmicrohttpd 0.9.75 ends a chunked response to HEAD with a last chunk
         * ("0\r\n\r\n") that a kept-alive client reads as the start of the next response.
         * Answered as HTTP/1.0 (no chunking, the connection closes after it) the HEAD response
         * carries exactly the headers. */
        if (req.method == PM_METHOD_HEAD)
            MHD_set_response_options(r, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
    } else {
        size_t len = resp.body.len;
        char *body = pm_strbuf_take(&resp.body);
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    add_common_headers(h, r, &resp, conn);
    if (gzipped)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    rs->status = resp.status;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp.status, r);
    MHD_destroy_response(r);
    pm_response_fini(&resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    /* The response is sent (or the request given up): what follows on a kept-alive
     * connection is the wait for the next request head. */
    set_phase(cls, conn, PHASE_RECEIVING);
    struct req_state *rs = *con_cls;
    if (!rs)
        return;
    double ms = (pm_monotonic_s() - rs->start) * 1e3;
    pm_log(PM_LOG_INFO, "request=%s method=%s path=\"%s\" status=%d ms=%.2f%s", rs->id, rs->method,
           rs->path, rs->status, ms,
           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    free(rs);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = strlen(msg);
    while (len && msg[len - 1] == '\n')
        msg[--len] = '\0';
    pm_log(PM_LOG_WARN, "msg=\"libmicrohttpd: %s\"", msg);
}

static unsigned or_default(unsigned v, unsigned dflt)
{
    return v ? v : dflt;
}

struct pm_http *pm_http_start(struct pm_api *api, const struct pm_http_config *cfg,
                              struct pm_error *err)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (strchr(cfg->bind, ':')) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)cfg->port);
        if (inet_pton(AF_INET6, cfg->bind, &a6->sin6_addr) != 1)
            goto bad_addr;
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)cfg->port);
        if (inet_pton(AF_INET, cfg->bind, &a4->sin_addr) != 1)
            goto bad_addr;
    }
    struct pm_http *h = pm_calloc(1, sizeof *h);
    h->api = api;
    h->max_url_bytes = or_default(cfg->max_url_bytes, 8192);
    h->max_header_bytes = or_default(cfg->max_header_bytes, 16384);
    h->cors_origin = pm_strdup(cfg->cors_origin ? cfg->cors_origin : "*");
    h->request_timeout_s = or_default(cfg->request_timeout_s, 30);
    h->max_connection_time_s = or_default(cfg->max_connection_time_s, 600);
    if (conns_init(h)) {
        free(h->cors_origin);
        free(h);
        pm_error_set(err, 500, "ServerError", "cannot create the connection watchdog's lock");
        return NULL;
    }
    unsigned threads = cfg->threads ? cfg->threads : 1;
    h->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, answer, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED,
        completed, h, MHD_OPTION_NOTIFY_CONNECTION, notify_connection, h,
        MHD_OPTION_CONNECTION_TIMEOUT, or_default(cfg->idle_timeout_s, 15),
        MHD_OPTION_CONNECTION_LIMIT, or_default(cfg->max_connections, 1024),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, or_default(cfg->max_connections_per_ip, 64),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        cfg->connection_memory ? cfg->connection_memory : (size_t)131072, MHD_OPTION_END);
    if (!h->daemon) {
        conns_fini(h);
        free(h->cors_origin);
        free(h);
        pm_error_set(err, 500, "ServerError",
                     "cannot listen on %s port %u (in use, or not an address of this machine?)",
                     cfg->bind, cfg->port);
        return NULL;
    }
    if (pthread_create(&h->watchdog, NULL, watchdog, h)) {
        MHD_stop_daemon(h->daemon);
        conns_fini(h);
        free(h->cors_origin);
        free(h);
        pm_error_set(err, 500, "ServerError", "cannot start the connection watchdog thread");
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : cfg->port;
    pm_log(PM_LOG_INFO, "msg=\"listening on http://%s%s%s:%u/\" threads=%u",
           strchr(cfg->bind, ':') ? "[" : "", cfg->bind, strchr(cfg->bind, ':') ? "]" : "", h->port,
           threads);
    return h;
bad_addr:
    pm_error_set(err, 400, "InvalidParameterValue", "--bind: '%s' is not an IP address", cfg->bind);
    return NULL;
}

unsigned pm_http_port(const struct pm_http *h)
{
    return h->port;
}

void pm_http_stop(struct pm_http *h, unsigned grace_ms)
{
    if (!h)
        return;
    MHD_quiesce_daemon(h->daemon);
    for (unsigned waited = 0; waited < grace_ms; waited += 10) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!info || info->num_connections == 0)
            break;
        usleep(10 * 1000);
    }
    /* The watchdog went on cutting slow clients during the grace period; it is joined before
     * MHD_stop_daemon, which closes the rest (their NOTIFY_CLOSED frees the slots). */
    watchdog_stop(h);
    MHD_stop_daemon(h->daemon);
    conns_fini(h);
    free(h->cors_origin);
    free(h);
}
