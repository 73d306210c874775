/*
 * Checked allocation. Out of memory is not a condition partnermap can serve through, so it
 * aborts with a message instead of handing NULL to every caller.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "partnermap: out of memory allocating %zu bytes\n", n);
    abort();
}

void *pm_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *pm_calloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        oom(count * n);
    return p;
}

void *pm_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *pm_strdup(const char *s)
{
    return pm_strndup(s, strlen(s));
}

char *pm_strndup(const char *s, size_t n)
{
    char *p = pm_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *pm_asprintf(const char *fmt, ...)
{
    struct pm_strbuf b;
    va_list ap;
    pm_strbuf_init(&b);
    va_start(ap, fmt);
    pm_strbuf_vappendf(&b, fmt, ap);
    va_end(ap);
    return pm_strbuf_take(&b);
}
