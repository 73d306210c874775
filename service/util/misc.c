/*
 * Errors, logging, strict number parsing, hashing and UTF-8 validation: the leaf helpers.
 */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int pm_error_set(struct pm_error *err, int status, const char *code, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    err->status = status;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

static enum pm_log_level log_level = PM_LOG_INFO;

void pm_log_set_level(enum pm_log_level level)
{
    log_level = level;
}

/* A log line is formatted whole and written with one write(2): stderr is unbuffered, so
 * fprintf would make a system call for each piece (three a request), and one write keeps the
 * lines of different threads apart without a lock. */
void pm_log(enum pm_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (level < log_level)
        return;
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    struct pm_strbuf line;
    pm_strbuf_init(&line);
    pm_strbuf_appendf(&line, "%s.%03ldZ %s ", stamp, ts.tv_nsec / 1000000, names[level]);
    va_list ap;
    va_start(ap, fmt);
    pm_strbuf_vappendf(&line, fmt, ap);
    va_end(ap);
    pm_strbuf_append_char(&line, '\n');
    for (size_t at = 0; at < line.len;) {
        ssize_t n = write(STDERR_FILENO, line.data + at, line.len - at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* nowhere to log to: nothing else to be done */
        at += (size_t)n;
    }
    pm_strbuf_fini(&line);
}

int pm_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    if (!s || !*s || !(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')))
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int pm_parse_double(const char *s, double *out)
{
    char *end;
    /* strtod also accepts "inf", "nan", hex floats and leading spaces: refuse them. */
    if (!s || !*s)
        return -1;
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p))
            return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

uint64_t pm_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

int pm_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + n >= len)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

double pm_monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
