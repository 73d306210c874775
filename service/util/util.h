/*
 * util: the small things every module needs — checked allocation, a growable byte buffer,
 * errors that carry an HTTP status, key=value logging and strict number parsing.
 *
 * Allocation never returns NULL: out of memory aborts the process (as Redis does), so no
 * caller spreads NULL checks. Nothing here knows about HTTP, SQL or JSON beyond the error's
 * status code. All functions are thread-safe; a struct pm_strbuf is owned by one thread.
 */
#ifndef PM_UTIL_H
#define PM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Checked allocation: abort with a message on out of memory. Free with free(). */
void *pm_malloc(size_t n);
void *pm_calloc(size_t count, size_t n);
void *pm_realloc(void *p, size_t n);
char *pm_strdup(const char *s);
char *pm_strndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *pm_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated. Storage owned by the caller:
 * pm_strbuf_init(&b) ... pm_strbuf_fini(&b). */
struct pm_strbuf {
    char *data;
    size_t len;
    size_t cap;
};

void pm_strbuf_init(struct pm_strbuf *b);
void pm_strbuf_fini(struct pm_strbuf *b);
void pm_strbuf_reset(struct pm_strbuf *b);
void pm_strbuf_append(struct pm_strbuf *b, const char *data, size_t len);
void pm_strbuf_append_str(struct pm_strbuf *b, const char *s);
void pm_strbuf_append_char(struct pm_strbuf *b, char c);
void pm_strbuf_appendf(struct pm_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pm_strbuf_vappendf(struct pm_strbuf *b, const char *fmt, va_list ap);
/* Append s as the body of a JSON string (without quotes), escaping as RFC 8259 requires. */
void pm_strbuf_append_json_str(struct pm_strbuf *b, const char *s);
/* Append s with & < > " ' escaped for HTML text and attribute values. */
void pm_strbuf_append_html(struct pm_strbuf *b, const char *s);
/* Append s percent-encoded for a URL query component (RFC 3986 unreserved kept). */
void pm_strbuf_append_urlenc(struct pm_strbuf *b, const char *s);
/* Room for `extra` more bytes (and the NUL): where they go. Write there, then end the data
 * with pm_strbuf_set_end at the byte past the last one written. */
char *pm_strbuf_reserve(struct pm_strbuf *b, size_t extra);
void pm_strbuf_set_end(struct pm_strbuf *b, char *end);
/* Append a decimal integer. */
void pm_strbuf_append_int(struct pm_strbuf *b, long long v);
/* The same escapes written at w, which must have room for 6 bytes per byte of s (JSON), 3
 * (URL) or 20 in all (integer): the end of what was written. */
char *pm_json_escape_to(char *w, const char *s);
/* The n bytes at s, where s[n] is a NUL (a NUL among them is escaped, \u0000). */
char *pm_json_escape_n_to(char *w, const char *s, size_t n);
char *pm_urlenc_to(char *w, const char *s);
char *pm_int_to(char *w, long long v);
/* Hand the data to the caller (who frees it with free()) and reset the buffer. */
char *pm_strbuf_take(struct pm_strbuf *b);

/* An error to report: the HTTP status it maps to, the OGC/JSON code word and a message for
 * the client (client errors) or the log (server errors). Storage owned by the caller. */
struct pm_error {
    int status;        /* 400, 404, 405, 500, 503, ... ; 0 while no error is set */
    const char *code;  /* e.g. "InvalidParameterValue" (a string constant) */
    char message[512]; /* what was wrong, with the parameter's name */
};

/* Set err (if non-NULL) and return -1, so that `return pm_error_set(...)` reads well. */
int pm_error_set(struct pm_error *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Logging: one line per event on stderr, "time level msg key=value ...". Thread-safe. */
enum pm_log_level { PM_LOG_DEBUG, PM_LOG_INFO, PM_LOG_WARN, PM_LOG_ERROR };
void pm_log_set_level(enum pm_log_level level);
void pm_log(enum pm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict number parsing: the whole string must be the number (no spaces, no trailing text),
 * finite, in range. Return 0 on success, -1 otherwise (out untouched). */
int pm_parse_long(const char *s, long min, long max, long *out);
int pm_parse_double(const char *s, double *out);

/* FNV-1a 64-bit hash, for ETags and cache keys. Chain with the previous value. */
#define PM_FNV_INIT UINT64_C(0xcbf29ce484222325)
uint64_t pm_fnv1a(uint64_t h, const void *data, size_t len);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), for durations and deadlines. */
double pm_monotonic_s(void);

/* Is s valid UTF-8 (no overlongs, no surrogates)? */
int pm_utf8_valid(const char *s, size_t len);

#endif
