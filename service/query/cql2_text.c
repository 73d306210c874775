/*
 * cql2-text (OGC 21-065r2 Annex B): a hand-written lexer and a recursive-descent parser that
 * build the tree of cql2.h. Keywords and function names are case-insensitive; property names
 * are identifiers (Annex B `identifier`, Unicode letters included) or "double-quoted". Strings
 * take '' and \' as escaped quotes. TIMESTAMP values are normalised to UTC whole seconds
 * ("YYYY-MM-DDTHH:MM:SSZ", fractional seconds truncated); WKT literals are checked and
 * rewritten in one normal form: upper-case tags, " Z" on every tag when coordinates have three
 * numbers, numbers in their shortest exact form, "," between points and no other spaces, and
 * MULTIPOINT always as ((x y),(x y)) — a form SpatiaLite's GeomFromText reads.
 *
 * It checks the syntax and the kinds of operands the grammar allows in each place (a bare
 * property is not a predicate, LIKE wants a string pattern, S_* want geometries ...), never
 * whether a property exists or what type it has; functions other than the CQL2 ones are
 * rejected. Unary minus folds into number literals; on anything else it becomes (0 - x).
 * "a NOT LIKE b", "NOT BETWEEN", "NOT IN" and "IS NOT NULL" set `negated`; a leading NOT is a
 * NOT node. AND and OR chains become one node with all operands.
 *
 * Errors say "filter: at character N: expected X, found Y", N counting Unicode characters
 * from 1. Input is bounded (PM_CQL_MAX_INPUT bytes), every recursion passes enter() (at most
 * PM_CQL_MAX_DEPTH levels), every node comes from pm_cql_node_new (PM_CQL_MAX_NODES), and the
 * lexer never reads at or past len, so a NUL byte in the input is just a wrong character.
 */
#include "cql2_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok_type {
    TK_EOF,
    TK_IDENT,
    TK_QIDENT, /* "double-quoted identifier" */
    TK_STRING,
    TK_NUMBER,
    TK_LPAREN,
    TK_RPAREN,
    TK_COMMA,
    TK_EQ,
    TK_NE,
    TK_LT,
    TK_GT,
    TK_LE,
    TK_GE,
    TK_PLUS,
    TK_MINUS,
    TK_STAR,
    TK_SLASH,
    TK_PERCENT,
    TK_CARET,
    TK_BAD, /* a lexical error; `bad` says which */
};

enum bad_kind { BAD_CHAR, BAD_NUL, BAD_STRING, BAD_QIDENT, BAD_EMPTY_QIDENT, BAD_BANG_EQ };

struct token {
    enum tok_type type;
    size_t pos; /* byte offset of the first byte */
    size_t len; /* bytes */
    enum bad_kind bad;
};

struct parser {
    const char *in;
    size_t len;
    struct pm_error *err;
    struct pm_cql_ctx ctx;
    struct token tok; /* the current token */
    int failed;       /* an error is set; the first one wins */
};

/* ---------------------------------------------------------------- lexer */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The code point at in[i] and its length in bytes. The input was checked to be UTF-8. */
static unsigned long decode(const char *in, size_t len, size_t i, size_t *n)
{
    unsigned char c = (unsigned char)in[i];
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    unsigned long cp = k == 1 ? c : k == 2 ? (c & 0x1Fu) : k == 3 ? (c & 0x0Fu) : (c & 0x07u);
    if (len - i < k)
        k = 1; /* cannot happen after the UTF-8 check; never read past len anyway */
    for (size_t j = 1; j < k; j++)
        cp = (cp << 6) | ((unsigned char)in[i + j] & 0x3Fu);
    *n = k;
    return cp;
}

/* Annex B identifierStart (after the XML Name production). */
static int ident_start(unsigned long cp)
{
    if (cp < 0x80)
        return cp == ':' || cp == '_' || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
    return (cp >= 0xC0 && cp <= 0xD6) || (cp >= 0xD8 && cp <= 0xF6) ||
           (cp >= 0xF8 && cp <= 0x2FF) || (cp >= 0x370 && cp <= 0x37D) ||
           (cp >= 0x37F && cp <= 0x1FFE) || (cp >= 0x200C && cp <= 0x200D) ||
           (cp >= 0x2070 && cp <= 0x218F) || (cp >= 0x2C00 && cp <= 0x2FEF) ||
           (cp >= 0x3001 && cp <= 0xD7FF) || (cp >= 0xF900 && cp <= 0xFDCF) ||
           (cp >= 0xFDF0 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0xEFFFF);
}

/* Annex B identifierPart. */
static int ident_part(unsigned long cp)
{
    return ident_start(cp) || cp == '.' || (cp >= '0' && cp <= '9') ||
           (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x203F && cp <= 0x2040);
}

static struct token make(enum tok_type type, size_t pos, size_t len)
{
    struct token t = {type, pos, len, BAD_CHAR};
    return t;
}

static struct token make_bad(enum bad_kind bad, size_t pos, size_t len)
{
    struct token t = {TK_BAD, pos, len, bad};
    return t;
}

/* The token starting at or after byte i. */
static struct token lex(const struct parser *p, size_t i)
{
    const char *in = p->in;
    size_t len = p->len;
    while (i < len && is_space(in[i]))
        i++;
    if (i >= len)
        return make(TK_EOF, len, 0);
    size_t start = i;
    char c = in[i];
    char c1 = i + 1 < len ? in[i + 1] : '\0';
    switch (c) {
    case '(':
        return make(TK_LPAREN, i, 1);
    case ')':
        return make(TK_RPAREN, i, 1);
    case ',':
        return make(TK_COMMA, i, 1);
    case '=':
        return make(TK_EQ, i, 1);
    case '+':
        return make(TK_PLUS, i, 1);
    case '-':
        return make(TK_MINUS, i, 1);
    case '*':
        return make(TK_STAR, i, 1);
    case '/':
        return make(TK_SLASH, i, 1);
    case '%':
        return make(TK_PERCENT, i, 1);
    case '^':
        return make(TK_CARET, i, 1);
    case '<':
        if (c1 == '=')
            return make(TK_LE, i, 2);
        if (c1 == '>')
            return make(TK_NE, i, 2);
        return make(TK_LT, i, 1);
    case '>':
        if (c1 == '=')
            return make(TK_GE, i, 2);
        return make(TK_GT, i, 1);
    case '!':
        if (c1 == '=')
            return make_bad(BAD_BANG_EQ, i, 2);
        return make_bad(BAD_CHAR, i, 1);
    case '\0':
        return make_bad(BAD_NUL, i, 1);
    case '\'':
        /* characterLiteral: '' and \' stand for a quote (Annex B escapeQuote). */
        for (i++; i < len; i++) {
            if (in[i] == '\\' && i + 1 < len && in[i + 1] == '\'') {
                i++;
            } else if (in[i] == '\'') {
                if (i + 1 < len && in[i + 1] == '\'')
                    i++;
                else
                    return make(TK_STRING, start, i + 1 - start);
            }
        }
        return make_bad(BAD_STRING, start, len - start);
    case '"':
        for (i++; i < len && in[i] != '"'; i++)
            ;
        if (i >= len)
            return make_bad(BAD_QIDENT, start, len - start);
        if (i == start + 1)
            return make_bad(BAD_EMPTY_QIDENT, start, 2);
        return make(TK_QIDENT, start, i + 1 - start);
    default:
        break;
    }
    if (is_digit(c) || (c == '.' && is_digit(c1))) {
        while (i < len && is_digit(in[i]))
            i++;
        if (i < len && in[i] == '.') {
            i++;
            while (i < len && is_digit(in[i]))
                i++;
        }
        /* An exponent only when digits follow, so "2e" is the number 2 and then "e". */
        if (i < len && (in[i] == 'e' || in[i] == 'E')) {
            size_t j = i + 1;
            if (j < len && (in[j] == '+' || in[j] == '-'))
                j++;
            if (j < len && is_digit(in[j])) {
                while (j < len && is_digit(in[j]))
                    j++;
                i = j;
            }
        }
        return make(TK_NUMBER, start, i - start);
    }
    size_t n;
    unsigned long cp = decode(in, len, i, &n);
    if (!ident_start(cp))
        return make_bad(BAD_CHAR, start, n);
    for (i += n; i < len; i += n) {
        cp = decode(in, len, i, &n);
        if (!ident_part(cp))
            break;
    }
    return make(TK_IDENT, start, i - start);
}

static void next(struct parser *p)
{
    p->tok = lex(p, p->tok.pos + p->tok.len);
}

static struct token peek(const struct parser *p)
{
    return lex(p, p->tok.pos + p->tok.len);
}

/* Is t the keyword kw (given in upper case)? ASCII case folding: keywords are ASCII. */
static int is_kw(const struct parser *p, const struct token *t, const char *kw)
{
    size_t n = strlen(kw);
    if (t->type != TK_IDENT || t->len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p->in[t->pos + i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != kw[i])
            return 0;
    }
    return 1;
}

static int at_kw(const struct parser *p, const char *kw)
{
    return is_kw(p, &p->tok, kw);
}

/* ---------------------------------------------------------------- errors */

/* 1-based count of characters (code points) before byte pos. */
static size_t char_pos(const struct parser *p, size_t pos)
{
    size_t n = 1;
    for (size_t i = 0; i < pos && i < p->len; i++)
        if (((unsigned char)p->in[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static void fail_msg(struct parser *p, size_t pos, const char *msg)
{
    if (p->failed)
        return;
    p->failed = 1;
    pm_error_set(p->err, 400, "InvalidParameterValue", "filter: at character %zu: %s",
                 char_pos(p, pos), msg);
}

static void fail_at(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
    struct pm_strbuf b;
    va_list ap;
    pm_strbuf_init(&b);
    va_start(ap, fmt);
    pm_strbuf_vappendf(&b, fmt, ap);
    va_end(ap);
    fail_msg(p, pos, b.data);
    pm_strbuf_fini(&b);
}

/* What is wrong with a TK_BAD token. */
static void describe_bad(const struct parser *p, const struct token *t, struct pm_strbuf *b)
{
    switch (t->bad) {
    case BAD_NUL:
        pm_strbuf_append_str(b, "unexpected NUL byte");
        break;
    case BAD_STRING:
        pm_strbuf_append_str(b, "unterminated string: expected a closing quote (') before the "
                                "end of the filter");
        break;
    case BAD_QIDENT:
        pm_strbuf_append_str(b, "unterminated property name: expected a closing '\"' before "
                                "the end of the filter");
        break;
    case BAD_EMPTY_QIDENT:
        pm_strbuf_append_str(b, "empty property name \"\"");
        break;
    case BAD_BANG_EQ:
        pm_strbuf_append_str(b, "unexpected '!=': CQL2 writes 'not equal' as '<>'");
        break;
    case BAD_CHAR:
        pm_strbuf_append_str(b, "unexpected character '");
        pm_strbuf_append(b, p->in + t->pos, t->len);
        pm_strbuf_append_char(b, '\'');
        break;
    }
}

static void describe_token(const struct parser *p, const struct token *t, struct pm_strbuf *b)
{
    switch (t->type) {
    case TK_EOF:
        pm_strbuf_append_str(b, "end of input");
        return;
    case TK_STRING:
        pm_strbuf_append_str(b, "string ");
        pm_cql_append_snippet(b, p->in + t->pos, t->len, 40);
        return;
    case TK_NUMBER:
        pm_strbuf_append_str(b, "number ");
        pm_cql_append_snippet(b, p->in + t->pos, t->len, 40);
        return;
    default:
        pm_strbuf_append_char(b, '\'');
        pm_cql_append_snippet(b, p->in + t->pos, t->len, 40);
        pm_strbuf_append_char(b, '\'');
        return;
    }
}

/* Fail at the current token: "expected <fmt>, found <token>", or the lexer's complaint if the
 * token is not one. */
static void fail_tok(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_tok(struct parser *p, const char *fmt, ...)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    if (p->tok.type == TK_BAD) {
        describe_bad(p, &p->tok, &b);
    } else {
        va_list ap;
        pm_strbuf_append_str(&b, "expected ");
        va_start(ap, fmt);
        pm_strbuf_vappendf(&b, fmt, ap);
        va_end(ap);
        pm_strbuf_append_str(&b, ", found ");
        describe_token(p, &p->tok, &b);
    }
    fail_msg(p, p->tok.pos, b.data);
    pm_strbuf_fini(&b);
}

/* Fail unless ok: n is not what was expected (`what`, then where). */
static int want(struct parser *p, const struct pm_cql_node *n, int ok, const char *what,
                const char *where)
{
    if (ok)
        return 0;
    char found[120];
    pm_cql_describe(n, found, sizeof(found));
    fail_at(p, n->pos, "expected %s %s, found %s", what, where, found);
    return -1;
}

#define WHAT_SCALAR "a property, string, number, boolean, date, timestamp or arithmetic expression"
#define WHAT_NUMERIC "a property, number or arithmetic expression"
#define WHAT_CHARACTER "a property, string, CASEI(...) or ACCENTI(...)"
#define WHAT_PATTERN "a string pattern (or CASEI/ACCENTI of one)"
#define WHAT_GEOMETRY "a geometry (property, WKT literal or BBOX(...))"
#define WHAT_TEMPORAL "a property, DATE(...), TIMESTAMP(...) or INTERVAL(...)"

/* A predicate is needed here (operand of AND, OR, NOT, or the whole filter): the next token,
 * just after n, should have continued n into one. */
static int want_boolean(struct parser *p, const struct pm_cql_node *n)
{
    if (pm_cql_is_boolean(n))
        return 0;
    char found[120];
    pm_cql_describe(n, found, sizeof(found));
    fail_tok(p, "a comparison operator, LIKE, BETWEEN, IN or IS after %s", found);
    return -1;
}

/* ---------------------------------------------------------------- nodes and depth */

static struct pm_cql_node *new_node(struct parser *p, enum pm_cql_kind kind, size_t pos)
{
    struct pm_cql_node *n = pm_cql_node_new(&p->ctx, kind, pos);
    if (!n)
        fail_at(p, pos, "the filter is too complex: more than %d nodes", PM_CQL_MAX_NODES);
    return n;
}

static struct pm_cql_node *new_binary(struct parser *p, enum pm_cql_kind kind, enum pm_cql_op op,
                                      struct pm_cql_node *a, struct pm_cql_node *b)
{
    struct pm_cql_node *n = new_node(p, kind, a->pos);
    if (!n)
        return NULL;
    n->op = op;
    pm_cql_node_add_arg(n, a);
    pm_cql_node_add_arg(n, b);
    return n;
}

/* Every recursion of the parser goes through enter()/leave(): PM_CQL_MAX_DEPTH bounds the C
 * stack whatever the input. */
static int enter(struct parser *p)
{
    if (p->ctx.depth >= PM_CQL_MAX_DEPTH) {
        fail_at(p, p->tok.pos, "the filter nests deeper than %d levels", PM_CQL_MAX_DEPTH);
        return -1;
    }
    p->ctx.depth++;
    return 0;
}

static void leave(struct parser *p)
{
    p->ctx.depth--;
}

/* Expect a token of type `type`, else fail with "expected <what>". */
static int expect(struct parser *p, enum tok_type type, const char *what)
{
    if (p->tok.type == type) {
        next(p);
        return 0;
    }
    fail_tok(p, "%s", what);
    return -1;
}

static int expect_close(struct parser *p, const char *name, size_t open_pos)
{
    if (p->tok.type == TK_RPAREN) {
        next(p);
        return 0;
    }
    fail_tok(p, "')' to close '%s(' opened at character %zu", name, char_pos(p, open_pos));
    return -1;
}

/* ---------------------------------------------------------------- literals */

/* The value of a TK_STRING token, quotes removed and escapes resolved. */
static char *string_value(const struct parser *p, const struct token *t)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    const char *s = p->in + t->pos + 1;
    size_t n = t->len - 2;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] == '\'' || s[i] == '\\') && i + 1 < n && s[i + 1] == '\'')
            i++;
        pm_strbuf_append_char(&b, s[i]);
    }
    return pm_strbuf_take(&b);
}

static int token_number(struct parser *p, const struct token *t, double *out)
{
    char *s = pm_strndup(p->in + t->pos, t->len);
    int rc = pm_parse_double(s, out);
    free(s);
    if (rc < 0)
        fail_at(p, t->pos, "number out of range: %.*s", t->len > 40 ? 40 : (int)t->len,
                p->in + t->pos);
    return rc;
}

/* signedNumericLiteral, as in BBOX and WKT: an optional sign, then a number. */
static int signed_number(struct parser *p, const char *what, double *out)
{
    int neg = 0;
    if (p->tok.type == TK_MINUS || p->tok.type == TK_PLUS) {
        neg = p->tok.type == TK_MINUS;
        next(p);
    }
    if (p->tok.type != TK_NUMBER) {
        fail_tok(p, "%s", what);
        return -1;
    }
    if (token_number(p, &p->tok, out))
        return -1;
    if (neg)
        *out = -*out;
    next(p);
    return 0;
}

/* ---------------------------------------------------------------- WKT */

enum wkt_type {
    W_POINT,
    W_LINESTRING,
    W_POLYGON,
    W_MULTIPOINT,
    W_MULTILINESTRING,
    W_MULTIPOLYGON,
    W_COLLECTION
};

static const char *const wkt_tags[] = {
    "POINT",           "LINESTRING",   "POLYGON",           "MULTIPOINT",
    "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"};

/* The WKT being normalised. Each tag is followed by a '\1' mark, replaced at the end by " Z"
 * or nothing once the number of coordinates is known. */
struct wkt {
    struct pm_strbuf out;
    int dims; /* 0 before the first point, then 2 or 3 */
};

/* point: 2 or 3 numbers (3 if the tag said Z), as many as every other point. */
static int wkt_point(struct parser *p, struct wkt *w, int z)
{
    double v;
    int n = 0;
    size_t pos = p->tok.pos;
    while (n < 3 && (p->tok.type == TK_NUMBER || p->tok.type == TK_MINUS ||
                     p->tok.type == TK_PLUS || n < 2)) {
        if (signed_number(p, n < 2 ? "a coordinate (2 or 3 numbers)" : "a number", &v))
            return -1;
        if (n > 0)
            pm_strbuf_append_char(&w->out, ' ');
        pm_cql_append_number(&w->out, v);
        n++;
    }
    if (z && n != 3) {
        fail_at(p, pos, "expected 3 coordinates in a Z geometry, found %d", n);
        return -1;
    }
    if (w->dims && n != w->dims) {
        fail_at(p, pos, "expected %d coordinates as in the first point, found %d", w->dims, n);
        return -1;
    }
    w->dims = n;
    return 0;
}

static int wkt_open(struct parser *p, struct wkt *w, const char *what)
{
    if (p->tok.type != TK_LPAREN) {
        fail_tok(p, "'(' to open %s", what);
        return -1;
    }
    next(p);
    pm_strbuf_append_char(&w->out, '(');
    return 0;
}

/* After an element of a list: 1 for ',' (another one follows), 0 for ')', -1 on error. */
static int wkt_more(struct parser *p, struct wkt *w, const char *what)
{
    if (p->tok.type == TK_COMMA) {
        pm_strbuf_append_char(&w->out, ',');
        next(p);
        return 1;
    }
    if (p->tok.type == TK_RPAREN) {
        pm_strbuf_append_char(&w->out, ')');
        next(p);
        return 0;
    }
    fail_tok(p, "',' or ')' in %s", what);
    return -1;
}

/* '(' point {',' point} ')' with at least min points (2 for a line, 4 for a ring). */
static int wkt_points(struct parser *p, struct wkt *w, int z, int min, const char *what)
{
    size_t pos = p->tok.pos;
    int n = 0, more;
    if (wkt_open(p, w, what))
        return -1;
    do {
        if (wkt_point(p, w, z))
            return -1;
        n++;
    } while ((more = wkt_more(p, w, what)) == 1);
    if (more < 0)
        return -1;
    if (n < min) {
        fail_at(p, pos, "expected at least %d points in %s, found %d", min, what, n);
        return -1;
    }
    return 0;
}

static int wkt_polygon(struct parser *p, struct wkt *w, int z)
{
    int more;
    if (wkt_open(p, w, "a polygon"))
        return -1;
    do {
        if (wkt_points(p, w, z, 4, "a polygon ring"))
            return -1;
    } while ((more = wkt_more(p, w, "a polygon")) == 1);
    return more;
}

static int wkt_geometry(struct parser *p, struct wkt *w);

/* The body of a geometry after its tag (and Z). */
static int wkt_body(struct parser *p, struct wkt *w, enum wkt_type type, int z)
{
    int more;
    switch (type) {
    case W_POINT:
        if (wkt_open(p, w, "a POINT") || wkt_point(p, w, z))
            return -1;
        if (p->tok.type != TK_RPAREN) {
            fail_tok(p, "')' after the coordinates of a POINT");
            return -1;
        }
        pm_strbuf_append_char(&w->out, ')');
        next(p);
        return 0;
    case W_LINESTRING:
        return wkt_points(p, w, z, 2, "a LINESTRING");
    case W_POLYGON:
        return wkt_polygon(p, w, z);
    case W_MULTIPOINT:
        /* Both MULTIPOINT(1 2, 3 4) and MULTIPOINT((1 2), (3 4)); written the second way. */
        if (wkt_open(p, w, "a MULTIPOINT"))
            return -1;
        do {
            int paren = p->tok.type == TK_LPAREN;
            if (paren)
                next(p);
            pm_strbuf_append_char(&w->out, '(');
            if (wkt_point(p, w, z))
                return -1;
            if (paren && p->tok.type != TK_RPAREN) {
                fail_tok(p, "')' after the coordinates of a point of a MULTIPOINT");
                return -1;
            }
            if (paren)
                next(p);
            pm_strbuf_append_char(&w->out, ')');
        } while ((more = wkt_more(p, w, "a MULTIPOINT")) == 1);
        return more;
    case W_MULTILINESTRING:
        if (wkt_open(p, w, "a MULTILINESTRING"))
            return -1;
        do {
            if (wkt_points(p, w, z, 2, "a LINESTRING of a MULTILINESTRING"))
                return -1;
        } while ((more = wkt_more(p, w, "a MULTILINESTRING")) == 1);
        return more;
    case W_MULTIPOLYGON:
        if (wkt_open(p, w, "a MULTIPOLYGON"))
            return -1;
        do {
            if (wkt_polygon(p, w, z))
                return -1;
        } while ((more = wkt_more(p, w, "a MULTIPOLYGON")) == 1);
        return more;
    case W_COLLECTION:
        if (wkt_open(p, w, "a GEOMETRYCOLLECTION"))
            return -1;
        do {
            if (enter(p))
                return -1;
            int rc = wkt_geometry(p, w);
            leave(p);
            if (rc)
                return -1;
        } while ((more = wkt_more(p, w, "a GEOMETRYCOLLECTION")) == 1);
        return more;
    }
    return -1;
}

static int wkt_tag(const struct parser *p, const struct token *t)
{
    for (size_t i = 0; i < sizeof(wkt_tags) / sizeof(wkt_tags[0]); i++)
        if (is_kw(p, t, wkt_tags[i]))
            return (int)i;
    return -1;
}

/* A tagged geometry at the current token. Z geometries need 3 numbers per point; without Z
 * 2 or 3 are accepted and the output says Z when there are 3. */
static int wkt_geometry(struct parser *p, struct wkt *w)
{
    int type = wkt_tag(p, &p->tok);
    if (type < 0) {
        fail_tok(p, "a geometry (POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, "
                    "MULTIPOLYGON or GEOMETRYCOLLECTION)");
        return -1;
    }
    pm_strbuf_append_str(&w->out, wkt_tags[type]);
    pm_strbuf_append_char(&w->out, '\1');
    next(p);
    int z = 0;
    if (at_kw(p, "Z")) {
        z = 1;
        next(p);
    }
    if (at_kw(p, "EMPTY")) {
        fail_at(p, p->tok.pos, "empty geometries are not supported in a filter");
        return -1;
    }
    return wkt_body(p, w, (enum wkt_type)type, z);
}

static struct pm_cql_node *parse_wkt(struct parser *p)
{
    size_t pos = p->tok.pos;
    struct wkt w;
    pm_strbuf_init(&w.out);
    w.dims = 0;
    if (wkt_geometry(p, &w)) {
        pm_strbuf_fini(&w.out);
        return NULL;
    }
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    for (size_t i = 0; i < w.out.len; i++) {
        if (w.out.data[i] == '\1') {
            if (w.dims == 3)
                pm_strbuf_append_str(&b, " Z");
        } else {
            pm_strbuf_append_char(&b, w.out.data[i]);
        }
    }
    pm_strbuf_fini(&w.out);
    struct pm_cql_node *n = new_node(p, PM_CQL_GEOMETRY, pos);
    if (!n) {
        pm_strbuf_fini(&b);
        return NULL;
    }
    n->geom_format = PM_CQL_WKT;
    n->text = pm_strbuf_take(&b);
    return n;
}

/* ---------------------------------------------------------------- expressions */

static struct pm_cql_node *parse_expr(struct parser *p);
static struct pm_cql_node *parse_additive(struct parser *p);

enum func_class { F_CASEI, F_ACCENTI, F_DATE, F_TIMESTAMP, F_INTERVAL, F_BBOX, F_S, F_T, F_WKT };

struct func {
    const char *name;
    enum func_class cls;
    enum pm_cql_op op;
};

static const struct func funcs[] = {
    {"CASEI", F_CASEI, PM_CQL_OP_NONE},         {"ACCENTI", F_ACCENTI, PM_CQL_OP_NONE},
    {"DATE", F_DATE, PM_CQL_OP_NONE},           {"TIMESTAMP", F_TIMESTAMP, PM_CQL_OP_NONE},
    {"INTERVAL", F_INTERVAL, PM_CQL_OP_NONE},   {"BBOX", F_BBOX, PM_CQL_OP_NONE},
    {"S_INTERSECTS", F_S, PM_CQL_S_INTERSECTS}, {"S_EQUALS", F_S, PM_CQL_S_EQUALS},
    {"S_DISJOINT", F_S, PM_CQL_S_DISJOINT},     {"S_TOUCHES", F_S, PM_CQL_S_TOUCHES},
    {"S_WITHIN", F_S, PM_CQL_S_WITHIN},         {"S_OVERLAPS", F_S, PM_CQL_S_OVERLAPS},
    {"S_CROSSES", F_S, PM_CQL_S_CROSSES},       {"S_CONTAINS", F_S, PM_CQL_S_CONTAINS},
    {"T_AFTER", F_T, PM_CQL_T_AFTER},           {"T_BEFORE", F_T, PM_CQL_T_BEFORE},
    {"T_CONTAINS", F_T, PM_CQL_T_CONTAINS},     {"T_DISJOINT", F_T, PM_CQL_T_DISJOINT},
    {"T_DURING", F_T, PM_CQL_T_DURING},         {"T_EQUALS", F_T, PM_CQL_T_EQUALS},
    {"T_FINISHEDBY", F_T, PM_CQL_T_FINISHEDBY}, {"T_FINISHES", F_T, PM_CQL_T_FINISHES},
    {"T_INTERSECTS", F_T, PM_CQL_T_INTERSECTS}, {"T_MEETS", F_T, PM_CQL_T_MEETS},
    {"T_METBY", F_T, PM_CQL_T_METBY},           {"T_OVERLAPPEDBY", F_T, PM_CQL_T_OVERLAPPEDBY},
    {"T_OVERLAPS", F_T, PM_CQL_T_OVERLAPS},     {"T_STARTEDBY", F_T, PM_CQL_T_STARTEDBY},
    {"T_STARTS", F_T, PM_CQL_T_STARTS},         {"POINT", F_WKT, PM_CQL_OP_NONE},
    {"LINESTRING", F_WKT, PM_CQL_OP_NONE},      {"POLYGON", F_WKT, PM_CQL_OP_NONE},
    {"MULTIPOINT", F_WKT, PM_CQL_OP_NONE},      {"MULTILINESTRING", F_WKT, PM_CQL_OP_NONE},
    {"MULTIPOLYGON", F_WKT, PM_CQL_OP_NONE},    {"GEOMETRYCOLLECTION", F_WKT, PM_CQL_OP_NONE},
};

static const struct func *find_func(const struct parser *p, const struct token *t)
{
    for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
        if (is_kw(p, t, funcs[i].name))
            return &funcs[i];
    return NULL;
}

/* Words that cannot be property names unless "quoted". */
static int is_reserved(const struct parser *p, const struct token *t)
{
    static const char *const words[] = {"AND", "OR", "NOT",  "LIKE", "BETWEEN",
                                        "IN",  "IS", "NULL", "DIV"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (is_kw(p, t, words[i]))
            return 1;
    return 0;
}

/* Does the identifier t start with "<letter>_" (S_ or T_, any case)? */
static int has_prefix(const struct parser *p, const struct token *t, char letter)
{
    if (t->len < 2)
        return 0;
    char c = p->in[t->pos];
    return (c == letter || c == letter - 'A' + 'a') && p->in[t->pos + 1] == '_';
}

/* An argument of a function: any expression, one recursion level deeper. */
static struct pm_cql_node *parse_arg(struct parser *p)
{
    return parse_expr(p);
}

/* The string argument of DATE(...) or TIMESTAMP(...), or the string of an INTERVAL end. */
static int temporal_string(struct pm_cql_node *n, int allow)
{
    char date[PM_CQL_DATE_LEN], ts[PM_CQL_TIMESTAMP_LEN];
    const char *s = n->text;
    size_t len = strlen(s);
    if ((allow & 4) && strcmp(s, "..") == 0) {
        n->kind = PM_CQL_OPEN_END;
        return 0;
    }
    if ((allow & 1) && pm_cql_parse_date(s, len, date) == 0) {
        n->kind = PM_CQL_DATE;
        free(n->text);
        n->text = pm_strdup(date);
        return 0;
    }
    if ((allow & 2) && pm_cql_parse_timestamp(s, len, ts) == 0) {
        n->kind = PM_CQL_TIMESTAMP;
        free(n->text);
        n->text = pm_strdup(ts);
        return 0;
    }
    return -1;
}

static struct pm_cql_node *parse_function(struct parser *p, const struct func *f)
{
    size_t pos = p->tok.pos;
    if (f->cls == F_WKT)
        return parse_wkt(p);
    next(p); /* the name */
    next(p); /* '(' */
    struct pm_cql_node *n = NULL, *a, *b;
    switch (f->cls) {
    case F_CASEI:
    case F_ACCENTI:
        a = parse_arg(p);
        if (!a ||
            want(p, a, pm_cql_is_character(a), WHAT_CHARACTER,
                 f->cls == F_CASEI ? "in CASEI(...)" : "in ACCENTI(...)") ||
            !(n = new_node(p, f->cls == F_CASEI ? PM_CQL_CASEI : PM_CQL_ACCENTI, pos)))
            return NULL;
        pm_cql_node_add_arg(n, a);
        break;
    case F_DATE:
    case F_TIMESTAMP: {
        int is_date = f->cls == F_DATE;
        const char *what = is_date ? "a date string 'YYYY-MM-DD' in DATE(...)"
                                   : "an RFC 3339 timestamp string "
                                     "'YYYY-MM-DDTHH:MM:SSZ' in TIMESTAMP(...)";
        if (p->tok.type != TK_STRING) {
            fail_tok(p, "%s", what);
            return NULL;
        }
        if (!(n = new_node(p, PM_CQL_STRING, pos)))
            return NULL;
        n->text = string_value(p, &p->tok);
        if (temporal_string(n, is_date ? 1 : 2)) {
            fail_tok(p, "%s", what);
            return NULL;
        }
        next(p);
        break;
    }
    case F_INTERVAL:
        if (!(n = new_node(p, PM_CQL_INTERVAL, pos)))
            return NULL;
        for (int i = 0; i < 2; i++) {
            if (i == 1 && expect(p, TK_COMMA, "',' between the two ends of INTERVAL(...)"))
                return NULL;
            if (!(a = parse_arg(p)))
                return NULL;
            if (a->kind == PM_CQL_STRING && temporal_string(a, 7) == 0) {
                /* a date, a timestamp or '..' */
            } else if (want(p, a, pm_cql_is_instant(a) && a->kind != PM_CQL_OPEN_END,
                            "a date 'YYYY-MM-DD', a timestamp, '..' or a property",
                            "as an end of INTERVAL(...)")) {
                return NULL;
            }
            pm_cql_node_add_arg(n, a);
        }
        break;
    case F_BBOX: {
        double v[6];
        int count = 0;
        for (;;) {
            if (count == 6) {
                fail_tok(p, "')' after 6 numbers in BBOX(...)");
                return NULL;
            }
            if (signed_number(p, "a number in BBOX(...)", &v[count]))
                return NULL;
            count++;
            if (p->tok.type == TK_RPAREN)
                break;
            if (expect(p, TK_COMMA, "',' or ')' in BBOX(...)"))
                return NULL;
        }
        if (count != 4 && count != 6) {
            fail_at(p, pos, "expected 4 or 6 numbers in BBOX(...), found %d", count);
            return NULL;
        }
        if (!(n = new_node(p, PM_CQL_BBOX, pos)))
            return NULL;
        /* With 6 numbers: minx, miny, minz, maxx, maxy, maxz; heights dropped. */
        n->bbox[0] = v[0];
        n->bbox[1] = v[1];
        n->bbox[2] = count == 4 ? v[2] : v[3];
        n->bbox[3] = count == 4 ? v[3] : v[4];
        break;
    }
    case F_S:
    case F_T: {
        int spatial = f->cls == F_S;
        char where[64];
        if (!(a = parse_arg(p)))
            return NULL;
        snprintf(where, sizeof(where), "as the first argument of %s", f->name);
        if (want(p, a, spatial ? pm_cql_is_geometry(a) : pm_cql_is_temporal(a),
                 spatial ? WHAT_GEOMETRY : WHAT_TEMPORAL, where))
            return NULL;
        snprintf(where, sizeof(where), "',' after the first argument of %s", f->name);
        if (expect(p, TK_COMMA, where) || !(b = parse_arg(p)))
            return NULL;
        snprintf(where, sizeof(where), "as the second argument of %s", f->name);
        if (want(p, b, spatial ? pm_cql_is_geometry(b) : pm_cql_is_temporal(b),
                 spatial ? WHAT_GEOMETRY : WHAT_TEMPORAL, where))
            return NULL;
        if (!(n = new_binary(p, spatial ? PM_CQL_SPATIAL : PM_CQL_TEMPORAL, f->op, a, b)))
            return NULL;
        n->pos = pos;
        break;
    }
    case F_WKT:
        return NULL; /* handled above */
    }
    if (expect_close(p, f->name, pos))
        return NULL;
    return n;
}

static struct pm_cql_node *parse_ident(struct parser *p)
{
    struct token t = p->tok;
    struct pm_cql_node *n;
    if (at_kw(p, "TRUE") || at_kw(p, "FALSE")) {
        if (!(n = new_node(p, PM_CQL_BOOLEAN, t.pos)))
            return NULL;
        n->number = at_kw(p, "TRUE");
        next(p);
        return n;
    }
    struct token after = peek(p);
    const struct func *f = find_func(p, &t);
    if (f && (after.type == TK_LPAREN ||
              (f->cls == F_WKT && (is_kw(p, &after, "Z") || is_kw(p, &after, "EMPTY")))))
        return parse_function(p, f);
    if (after.type == TK_LPAREN) {
        struct pm_strbuf b;
        pm_strbuf_init(&b);
        pm_cql_append_snippet(&b, p->in + t.pos, t.len, 40);
        if (is_reserved(p, &t))
            fail_at(p, t.pos, "expected a property, a literal, a function or '(', found '%s'",
                    b.data);
        else if (has_prefix(p, &t, 'S'))
            fail_at(p, t.pos,
                    "unknown function '%s' (the spatial functions are S_INTERSECTS, S_EQUALS, "
                    "S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS, S_CROSSES and S_CONTAINS)",
                    b.data);
        else if (has_prefix(p, &t, 'T'))
            fail_at(p, t.pos,
                    "unknown function '%s' (the temporal functions are T_AFTER, T_BEFORE, "
                    "T_CONTAINS, T_DISJOINT, T_DURING, T_EQUALS, T_FINISHEDBY, T_FINISHES, "
                    "T_INTERSECTS, T_MEETS, T_METBY, T_OVERLAPPEDBY, T_OVERLAPS, T_STARTEDBY "
                    "and T_STARTS)",
                    b.data);
        else
            fail_at(p, t.pos, "unknown function '%s'", b.data);
        pm_strbuf_fini(&b);
        return NULL;
    }
    if (is_reserved(p, &t)) {
        fail_tok(p, "a property, a literal, a function or '('");
        return NULL;
    }
    if (!(n = new_node(p, PM_CQL_PROPERTY, t.pos)))
        return NULL;
    n->text = pm_strndup(p->in + t.pos, t.len);
    next(p);
    return n;
}

static struct pm_cql_node *parse_primary(struct parser *p)
{
    struct token t = p->tok;
    struct pm_cql_node *n;
    switch (t.type) {
    case TK_LPAREN:
        next(p);
        if (!(n = parse_expr(p)))
            return NULL;
        if (p->tok.type != TK_RPAREN) {
            fail_tok(p, "')' to close '(' opened at character %zu", char_pos(p, t.pos));
            return NULL;
        }
        next(p);
        return n;
    case TK_NUMBER:
        if (!(n = new_node(p, PM_CQL_NUMBER, t.pos)) || token_number(p, &t, &n->number))
            return NULL;
        next(p);
        return n;
    case TK_STRING:
        if (!(n = new_node(p, PM_CQL_STRING, t.pos)))
            return NULL;
        n->text = string_value(p, &t);
        next(p);
        return n;
    case TK_QIDENT:
        if (!(n = new_node(p, PM_CQL_PROPERTY, t.pos)))
            return NULL;
        n->text = pm_strndup(p->in + t.pos + 1, t.len - 2);
        next(p);
        return n;
    case TK_IDENT:
        return parse_ident(p);
    default:
        fail_tok(p, "a property, a literal, a function or '('");
        return NULL;
    }
}

static struct pm_cql_node *arith(struct parser *p, enum pm_cql_op op, struct pm_cql_node *a,
                                 struct pm_cql_node *b)
{
    char where[48];
    snprintf(where, sizeof(where), "as an operand of '%s'", pm_cql_op_name(op));
    if (want(p, a, pm_cql_is_numeric(a), WHAT_NUMERIC, where) ||
        want(p, b, pm_cql_is_numeric(b), WHAT_NUMERIC, where))
        return NULL;
    return new_binary(p, PM_CQL_ARITHMETIC, op, a, b);
}

/* arithmeticFactor with its optional sign. -5 is the number -5; -x is (0 - x). */
static struct pm_cql_node *parse_unary(struct parser *p)
{
    if (p->tok.type != TK_MINUS && p->tok.type != TK_PLUS)
        return parse_primary(p);
    size_t pos = p->tok.pos;
    int neg = p->tok.type == TK_MINUS;
    next(p);
    if (enter(p))
        return NULL;
    struct pm_cql_node *a = parse_unary(p);
    leave(p);
    if (!a || want(p, a, pm_cql_is_numeric(a), WHAT_NUMERIC, neg ? "after '-'" : "after '+'"))
        return NULL;
    if (!neg)
        return a;
    if (a->kind == PM_CQL_NUMBER) {
        a->number = -a->number;
        a->pos = pos;
        return a;
    }
    struct pm_cql_node *zero = new_node(p, PM_CQL_NUMBER, pos);
    if (!zero)
        return NULL;
    struct pm_cql_node *n = arith(p, PM_CQL_OP_SUB, zero, a);
    return n;
}

/* powerTerm: right-associative, 2^3^2 = 2^(3^2). */
static struct pm_cql_node *parse_power(struct parser *p)
{
    struct pm_cql_node *base = parse_unary(p);
    if (!base || p->tok.type != TK_CARET)
        return base;
    next(p);
    if (enter(p))
        return NULL;
    struct pm_cql_node *exp = parse_power(p);
    leave(p);
    if (!exp)
        return NULL;
    return arith(p, PM_CQL_OP_POW, base, exp);
}

static struct pm_cql_node *parse_mult(struct parser *p)
{
    struct pm_cql_node *left = parse_power(p);
    while (left) {
        enum pm_cql_op op;
        if (p->tok.type == TK_STAR)
            op = PM_CQL_OP_MUL;
        else if (p->tok.type == TK_SLASH)
            op = PM_CQL_OP_DIV;
        else if (p->tok.type == TK_PERCENT)
            op = PM_CQL_OP_MOD;
        else if (at_kw(p, "DIV"))
            op = PM_CQL_OP_INTDIV;
        else
            break;
        next(p);
        struct pm_cql_node *right = parse_power(p);
        if (!right)
            return NULL;
        left = arith(p, op, left, right);
    }
    return left;
}

static struct pm_cql_node *parse_additive(struct parser *p)
{
    struct pm_cql_node *left = parse_mult(p);
    while (left && (p->tok.type == TK_PLUS || p->tok.type == TK_MINUS)) {
        enum pm_cql_op op = p->tok.type == TK_PLUS ? PM_CQL_OP_ADD : PM_CQL_OP_SUB;
        next(p);
        struct pm_cql_node *right = parse_mult(p);
        if (!right)
            return NULL;
        left = arith(p, op, left, right);
    }
    return left;
}

static enum pm_cql_op compare_op(enum tok_type t)
{
    switch (t) {
    case TK_EQ:
        return PM_CQL_OP_EQ;
    case TK_NE:
        return PM_CQL_OP_NE;
    case TK_LT:
        return PM_CQL_OP_LT;
    case TK_GT:
        return PM_CQL_OP_GT;
    case TK_LE:
        return PM_CQL_OP_LE;
    case TK_GE:
        return PM_CQL_OP_GE;
    default:
        return PM_CQL_OP_NONE;
    }
}

static struct pm_cql_node *parse_in_list(struct parser *p, struct pm_cql_node *n)
{
    size_t open = p->tok.pos;
    if (expect(p, TK_LPAREN, "'(' to open the list after IN"))
        return NULL;
    for (;;) {
        struct pm_cql_node *item = parse_additive(p);
        if (!item || want(p, item, pm_cql_is_scalar(item), WHAT_SCALAR, "in an IN list"))
            return NULL;
        pm_cql_node_add_arg(n, item);
        if (p->tok.type == TK_RPAREN)
            break;
        if (p->tok.type != TK_COMMA) {
            fail_tok(p, "',' or ')' in the IN list opened at character %zu", char_pos(p, open));
            return NULL;
        }
        next(p);
    }
    next(p);
    return n;
}

/* A predicate (Annex B comparisonPredicate), or just an operand when no operator follows:
 * the caller decides whether a predicate was needed. */
static struct pm_cql_node *parse_predicate(struct parser *p)
{
    struct pm_cql_node *left = parse_additive(p), *n, *a, *b;
    if (!left)
        return NULL;
    enum pm_cql_op op = compare_op(p->tok.type);
    if (op != PM_CQL_OP_NONE) {
        char where[48];
        snprintf(where, sizeof(where), "as an operand of '%s'", pm_cql_op_name(op));
        next(p);
        if (want(p, left, pm_cql_is_scalar(left), WHAT_SCALAR, where) || !(a = parse_additive(p)) ||
            want(p, a, pm_cql_is_scalar(a), WHAT_SCALAR, where))
            return NULL;
        return new_binary(p, PM_CQL_COMPARE, op, left, a);
    }
    int negated = 0;
    if (at_kw(p, "NOT")) {
        next(p);
        if (!at_kw(p, "LIKE") && !at_kw(p, "BETWEEN") && !at_kw(p, "IN")) {
            fail_tok(p, "LIKE, BETWEEN or IN after NOT");
            return NULL;
        }
        negated = 1;
    }
    if (at_kw(p, "LIKE")) {
        next(p);
        if (want(p, left, pm_cql_is_character(left), WHAT_CHARACTER, "before LIKE") ||
            !(a = parse_additive(p)) ||
            want(p, a, pm_cql_is_pattern(a), WHAT_PATTERN, "after LIKE") ||
            !(n = new_binary(p, PM_CQL_LIKE, PM_CQL_OP_NONE, left, a)))
            return NULL;
    } else if (at_kw(p, "BETWEEN")) {
        next(p);
        if (want(p, left, pm_cql_is_numeric(left), WHAT_NUMERIC, "before BETWEEN") ||
            !(a = parse_additive(p)) ||
            want(p, a, pm_cql_is_numeric(a), WHAT_NUMERIC, "as the lower bound of BETWEEN"))
            return NULL;
        if (!at_kw(p, "AND")) {
            fail_tok(p, "AND between the bounds of BETWEEN");
            return NULL;
        }
        next(p);
        if (!(b = parse_additive(p)) ||
            want(p, b, pm_cql_is_numeric(b), WHAT_NUMERIC, "as the upper bound of BETWEEN") ||
            !(n = new_binary(p, PM_CQL_BETWEEN, PM_CQL_OP_NONE, left, a)))
            return NULL;
        pm_cql_node_add_arg(n, b);
    } else if (at_kw(p, "IN")) {
        next(p);
        if (want(p, left, pm_cql_is_scalar(left), WHAT_SCALAR, "before IN") ||
            !(n = new_node(p, PM_CQL_IN, left->pos)))
            return NULL;
        pm_cql_node_add_arg(n, left);
        if (!parse_in_list(p, n))
            return NULL;
    } else if (at_kw(p, "IS")) {
        next(p);
        if (at_kw(p, "NOT")) {
            negated = 1;
            next(p);
        }
        if (!at_kw(p, "NULL")) {
            fail_tok(p, negated ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
            return NULL;
        }
        next(p);
        if (!(n = new_node(p, PM_CQL_IS_NULL, left->pos)))
            return NULL;
        pm_cql_node_add_arg(n, left);
    } else {
        return left;
    }
    n->negated = negated;
    return n;
}

static struct pm_cql_node *parse_not(struct parser *p)
{
    if (!at_kw(p, "NOT"))
        return parse_predicate(p);
    size_t pos = p->tok.pos;
    next(p);
    if (enter(p))
        return NULL;
    struct pm_cql_node *a = parse_not(p), *n;
    leave(p);
    if (!a || want_boolean(p, a) || !(n = new_node(p, PM_CQL_NOT, pos)))
        return NULL;
    pm_cql_node_add_arg(n, a);
    return n;
}

/* A chain of `kw`-separated operands, each from `operand`, as one n-ary node. */
static struct pm_cql_node *parse_chain(struct parser *p, const char *kw, enum pm_cql_kind kind,
                                       struct pm_cql_node *(*operand)(struct parser *))
{
    struct pm_cql_node *left = operand(p), *n;
    if (!left || !at_kw(p, kw))
        return left;
    if (want_boolean(p, left) || !(n = new_node(p, kind, left->pos)))
        return NULL;
    pm_cql_node_add_arg(n, left);
    while (at_kw(p, kw)) {
        next(p);
        struct pm_cql_node *right = operand(p);
        if (!right || want_boolean(p, right))
            return NULL;
        pm_cql_node_add_arg(n, right);
    }
    return n;
}

static struct pm_cql_node *parse_and(struct parser *p)
{
    return parse_chain(p, "AND", PM_CQL_AND, parse_not);
}

static struct pm_cql_node *parse_or(struct parser *p)
{
    return parse_chain(p, "OR", PM_CQL_OR, parse_and);
}

static struct pm_cql_node *parse_expr(struct parser *p)
{
    if (enter(p))
        return NULL;
    struct pm_cql_node *n = parse_or(p);
    leave(p);
    return n;
}

struct pm_cql_node *pm_cql_parse_text(const char *input, size_t len, struct pm_error *err)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    p.in = input ? input : "";
    p.len = input ? len : 0;
    p.err = err;
    pm_cql_ctx_init(&p.ctx);
    if (p.len > PM_CQL_MAX_INPUT) {
        pm_error_set(err, 400, "InvalidParameterValue",
                     "filter: the filter is %zu bytes long; at most %d are accepted", p.len,
                     PM_CQL_MAX_INPUT);
        return NULL;
    }
    size_t valid = pm_cql_utf8_prefix(p.in, p.len);
    if (valid < p.len) {
        fail_at(&p, valid, "expected UTF-8 text, found the byte 0x%02X",
                (unsigned)(unsigned char)p.in[valid]);
        return NULL;
    }
    /* A NUL byte would end the C strings of the tree early: refuse it wherever it is. */
    const char *nul = memchr(p.in, '\0', p.len);
    if (nul) {
        fail_at(&p, (size_t)(nul - p.in), "unexpected NUL byte");
        return NULL;
    }
    p.tok = lex(&p, 0);
    struct pm_cql_node *root = parse_expr(&p);
    if (root && !want_boolean(&p, root) && p.tok.type != TK_EOF)
        fail_tok(&p, "AND, OR or the end of the filter");
    if (!p.failed) {
        const struct pm_cql_node *deep = pm_cql_too_deep(root, PM_CQL_MAX_DEPTH);
        if (deep)
            fail_at(&p, deep->pos, "the filter nests deeper than %d levels", PM_CQL_MAX_DEPTH);
    }
    return pm_cql_ctx_finish(&p.ctx, p.failed ? NULL : root);
}
