/*
 * rawhttp: an HTTP/1.1 client over a plain TCP socket, for requests no well-behaved client
 * library would send (a raw NUL in the request line, "..", a 200 KB header, a method made up
 * on the spot). It sends exactly the bytes given, reads until the server closes or a deadline
 * passes, and parses what came back (status, header block, body, de-chunked). It never
 * fails a test itself: the caller looks at the result.
 *
 * Symbols carry the prefix rh_. Not thread-safe only in the sense that each call uses its own
 * socket: calls from several threads are fine.
 */
#ifndef PM_TEST_RAWHTTP_H
#define PM_TEST_RAWHTTP_H

#include <stddef.h>

/* What came back for one request. */
struct rh_resp {
    int status;        /* 0: no status line came back */
    int timed_out;     /* the deadline passed before the server closed */
    int reset;         /* the connection was reset (ECONNRESET/EPIPE) */
    int connect_error; /* the connection could not be made */
    char *raw;         /* every byte received, NUL-terminated */
    size_t raw_len;
    char *head; /* the header block (status line included), NUL-terminated */
    char *body; /* the body, de-chunked if chunked, NUL-terminated */
    size_t body_len;
};

/* Send len bytes of req to 127.0.0.1:port (from source address src, e.g. "127.0.0.2", or
 * NULL) and read until the server closes the connection or timeout_ms pass. The request
 * should ask for "Connection: close". Returns 0 when a status line came back, else -1 (see
 * the flags). Caller frees with rh_resp_fini. */
int rh_exchange(unsigned port, const char *src, const char *req, size_t len, int timeout_ms,
                struct rh_resp *r);
void rh_resp_fini(struct rh_resp *r);

/* The value of the first header called name (case-insensitive) in r->head, as a new string
 * the caller frees; NULL when absent. */
char *rh_header(const struct rh_resp *r, const char *name);

/* A socket connected to 127.0.0.1:port from src (NULL: any), blocking, or -1. */
int rh_connect(unsigned port, const char *src);

/* Read one response from a kept-alive connection (Content-Length or chunked, at most 64 KiB):
 * its status, or 0 when the connection broke or timeout_ms passed. */
int rh_read_response(int fd, int timeout_ms);

/* Start `bin serve --db db --port 0` with the arguments of `extra` (NULL-terminated) added,
 * its stderr in log_path, and wait up to 10 s for it to announce its port. Returns the
 * server's pid with *port set, or -1 (and a line on stderr). */
int rh_spawn_server(const char *bin, const char *db, const char *const *extra, const char *log_path,
                    unsigned *port);

#endif
