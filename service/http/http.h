/*
 * http: the libmicrohttpd adapter — the daemon, request → struct pm_request,
 * struct pm_response → MHD, the one place where errors become JSON bodies, CORS, and the
 * access log. The only code that includes microhttpd.h.
 */
#ifndef PM_HTTP_H
#define PM_HTTP_H

#include "api/api.h"
#include "util/util.h"

struct pm_http_config {
    const char *bind;        /* IPv4 or IPv6 address to listen on */
    unsigned port;           /* 0: any free port */
    unsigned threads;        /* worker threads (>= 1) */
    const char *cors_origin; /* Access-Control-Allow-Origin value */
    /* Limits; 0 takes the default given. */
    unsigned max_connections;        /* open connections in all (1024) */
    unsigned max_connections_per_ip; /* open connections from one client address (64) */
    unsigned idle_timeout_s;         /* a connection idle this long is closed (15) */
    unsigned request_timeout_s;      /* a connection that takes longer to send a request head,
                                        from its opening or from the end of the previous
                                        response, is closed (30) */
    unsigned max_connection_time_s;  /* a connection open this long is closed, even in the
                                        middle of a response (600) */
    unsigned max_url_bytes;          /* the path and query string (8192): 414 past it */
    unsigned max_header_bytes;       /* all request headers together (16384): 431 past it */
    size_t connection_memory;        /* per connection, for reading the request and buffering
                                        the response (131072) */
};

struct pm_http;

/* Start serving api (borrowed; must outlive the server). Returns the server, or NULL with
 * err set (the address cannot be bound, ...). Logs "listening on http://ADDR:PORT/". */
struct pm_http *pm_http_start(struct pm_api *api, const struct pm_http_config *cfg,
                              struct pm_error *err);
/* The port actually bound (useful with port 0). */
unsigned pm_http_port(const struct pm_http *h);
/* Stop accepting, let open requests finish (up to grace_ms), stop and free. Accepts NULL. */
void pm_http_stop(struct pm_http *h, unsigned grace_ms);

#endif
