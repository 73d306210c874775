/*
 * The growable buffer and its escaping appenders. The buffer is always NUL-terminated so its
 * data can be handed to C string functions; it grows by doubling.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pm_strbuf_init(struct pm_strbuf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void pm_strbuf_fini(struct pm_strbuf *b)
{
    if (!b)
        return;
    free(b->data);
    pm_strbuf_init(b);
}

void pm_strbuf_reset(struct pm_strbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static void reserve(struct pm_strbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = pm_realloc(b->data, cap);
    b->cap = cap;
}

void pm_strbuf_append(struct pm_strbuf *b, const char *data, size_t len)
{
    reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void pm_strbuf_append_str(struct pm_strbuf *b, const char *s)
{
    pm_strbuf_append(b, s, strlen(s));
}

void pm_strbuf_append_char(struct pm_strbuf *b, char c)
{
    reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void pm_strbuf_vappendf(struct pm_strbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void pm_strbuf_appendf(struct pm_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pm_strbuf_vappendf(b, fmt, ap);
    va_end(ap);
}

/* Bytes that end a run of plain bytes in a JSON string: the NUL that ends s, the controls,
 * '"' and '\\'. */
/* clang-format off */
static const unsigned char json_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 - 0x0f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 - 0x1f */
    ['"'] = 1,
    ['\\'] = 1,
};
/* clang-format on */

void pm_strbuf_append_json_str(struct pm_strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    for (;;) {
        const unsigned char *run = p;
        while (!json_stop[*p])
            p++;
        pm_strbuf_append(b, (const char *)run, (size_t)(p - run));
        if (!*p)
            return;
        switch (*p) {
        case '"':
            pm_strbuf_append(b, "\\\"", 2);
            break;
        case '\\':
            pm_strbuf_append(b, "\\\\", 2);
            break;
        case '\n':
            pm_strbuf_append(b, "\\n", 2);
            break;
        case '\r':
            pm_strbuf_append(b, "\\r", 2);
            break;
        case '\t':
            pm_strbuf_append(b, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            pm_strbuf_append(b, u, sizeof u);
        }
        }
        p++;
    }
}

void pm_strbuf_append_html(struct pm_strbuf *b, const char *s)
{
    const char *run = s;
    const char *p = s;
    for (; *p; p++) {
        const char *esc;
        switch (*p) {
        case '&':
            esc = "&amp;";
            break;
        case '<':
            esc = "&lt;";
            break;
        case '>':
            esc = "&gt;";
            break;
        case '"':
            esc = "&quot;";
            break;
        case '\'':
            esc = "&#39;";
            break;
        default:
            continue;
        }
        pm_strbuf_append(b, run, (size_t)(p - run));
        pm_strbuf_append_str(b, esc);
        run = p + 1;
    }
    pm_strbuf_append(b, run, (size_t)(p - run));
}

void pm_strbuf_append_urlenc(struct pm_strbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            pm_strbuf_append_char(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            pm_strbuf_append(b, e, 3);
        }
    }
}

char *pm_strbuf_take(struct pm_strbuf *b)
{
    char *p = b->data;
    if (!p)
        p = pm_strdup("");
    pm_strbuf_init(b);
    return p;
}
