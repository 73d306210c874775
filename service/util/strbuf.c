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

char *pm_strbuf_reserve(struct pm_strbuf *b, size_t extra)
{
    reserve(b, extra);
    return b->data + b->len;
}

void pm_strbuf_set_end(struct pm_strbuf *b, char *end)
{
    b->len = (size_t)(end - b->data);
    b->data[b->len] = '\0';
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

/* Formatted straight into the room the buffer has (at least 64 bytes), and only when that is
 * too little measured, grown and formatted again: most pieces are short. */
void pm_strbuf_vappendf(struct pm_strbuf *b, const char *fmt, va_list ap)
{
    reserve(b, 64);
    size_t room = b->cap - b->len;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(b->data + b->len, room, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)n >= room) {
        reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    }
    b->len += (size_t)n;
}

void pm_strbuf_appendf(struct pm_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pm_strbuf_vappendf(b, fmt, ap);
    va_end(ap);
}

/* Bytes a JSON string must escape: the controls (NUL among them), '"' and '\\'. */
/* clang-format off */
static const unsigned char json_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 - 0x0f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 - 0x1f */
    ['"'] = 1,
    ['\\'] = 1,
};
/* clang-format on */

/* Does any of the eight bytes of x fall below n (n <= 128), or equal c? Exact as to whether
 * any does (the borrows can mark a byte above a true one, never one alone). */
#define BYTES(b) (0x0101010101010101ULL * (b))
#define ANY_BELOW(x, n) (((x)-BYTES(n)) & ~(x)&BYTES(0x80))
#define ANY_EQUAL(x, c) ANY_BELOW((x) ^ BYTES(c), 1)

char *pm_json_escape_n_to(char *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    for (;;) {
        /* Eight bytes at a time while none of them needs escaping, then byte by byte up to
         * the next that does: s[n], a NUL, ends the last run. */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (ANY_BELOW(x, 0x20) | ANY_EQUAL(x, '"') | ANY_EQUAL(x, '\\'))
                break;
            memcpy(w, p, 8);
            w += 8;
            p += 8;
        }
        while (!json_stop[*p])
            *w++ = (char)*p++;
        if (p >= end)
            return w;
        unsigned char c = *p++;
        *w++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *w++ = (char)c;
            break;
        case '\n':
            *w++ = 'n';
            break;
        case '\r':
            *w++ = 'r';
            break;
        case '\t':
            *w++ = 't';
            break;
        default:
            memcpy(w, "u00", 3);
            w[3] = hex[c >> 4];
            w[4] = hex[c & 15];
            w += 5;
        }
    }
}

char *pm_json_escape_to(char *w, const char *s)
{
    return pm_json_escape_n_to(w, s, strlen(s));
}

void pm_strbuf_append_json_str(struct pm_strbuf *b, const char *s)
{
    pm_strbuf_set_end(b, pm_json_escape_to(pm_strbuf_reserve(b, 6 * strlen(s)), s));
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

/* RFC 3986 unreserved: kept as they are by URL encoding. */
/* clang-format off */
static const unsigned char url_keep[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};
/* clang-format on */

char *pm_urlenc_to(char *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (url_keep[*p]) {
            *w++ = (char)*p;
        } else {
            w[0] = '%';
            w[1] = hex[*p >> 4];
            w[2] = hex[*p & 15];
            w += 3;
        }
    }
    return w;
}

void pm_strbuf_append_urlenc(struct pm_strbuf *b, const char *s)
{
    pm_strbuf_set_end(b, pm_urlenc_to(pm_strbuf_reserve(b, 3 * strlen(s)), s));
}

char *pm_int_to(char *w, long long v)
{
    char digits[20];
    int n = 0;
    /* In unsigned arithmetic, so that the most negative value has its magnitude. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *w++ = '-';
    while (n)
        *w++ = digits[--n];
    return w;
}

void pm_strbuf_append_int(struct pm_strbuf *b, long long v)
{
    pm_strbuf_set_end(b, pm_int_to(pm_strbuf_reserve(b, 20), v));
}

char *pm_strbuf_take(struct pm_strbuf *b)
{
    char *p = b->data;
    if (!p)
        p = pm_strdup("");
    pm_strbuf_init(b);
    return p;
}
