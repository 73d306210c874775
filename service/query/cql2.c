/*
 * CQL2 trees: what both parsers share. Frees trees, names operators, allocates nodes under the
 * PM_CQL_MAX_NODES limit and frees them all when a parse fails, classifies operands the way the
 * grammar of OGC 21-065r2 Annex B does, describes them for error messages, checks dates and
 * timestamps, and prints numbers in the shortest exact form for normalised geometry text.
 *
 * It does not parse either encoding (cql2_text.c, cql2_json.c) and knows nothing of the types
 * of properties: a property fits wherever a value may stand, except as a whole predicate.
 * No global state; thread-safe.
 */
#include "cql2_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pm_cql_free(struct pm_cql_node *node)
{
    if (!node)
        return;
    /* Trees from the parsers are at most PM_CQL_MAX_DEPTH deep, so recursion is bounded. */
    for (size_t i = 0; i < node->n_args; i++)
        pm_cql_free(node->args[i]);
    free(node->args);
    free(node->text);
    free(node);
}

const char *pm_cql_op_name(enum pm_cql_op op)
{
    switch (op) {
    case PM_CQL_OP_NONE:
        return "";
    case PM_CQL_OP_EQ:
        return "=";
    case PM_CQL_OP_NE:
        return "<>";
    case PM_CQL_OP_LT:
        return "<";
    case PM_CQL_OP_GT:
        return ">";
    case PM_CQL_OP_LE:
        return "<=";
    case PM_CQL_OP_GE:
        return ">=";
    case PM_CQL_OP_ADD:
        return "+";
    case PM_CQL_OP_SUB:
        return "-";
    case PM_CQL_OP_MUL:
        return "*";
    case PM_CQL_OP_DIV:
        return "/";
    case PM_CQL_OP_MOD:
        return "%";
    case PM_CQL_OP_INTDIV:
        return "div";
    case PM_CQL_OP_POW:
        return "^";
    case PM_CQL_S_INTERSECTS:
        return "s_intersects";
    case PM_CQL_S_EQUALS:
        return "s_equals";
    case PM_CQL_S_DISJOINT:
        return "s_disjoint";
    case PM_CQL_S_TOUCHES:
        return "s_touches";
    case PM_CQL_S_WITHIN:
        return "s_within";
    case PM_CQL_S_OVERLAPS:
        return "s_overlaps";
    case PM_CQL_S_CROSSES:
        return "s_crosses";
    case PM_CQL_S_CONTAINS:
        return "s_contains";
    case PM_CQL_T_AFTER:
        return "t_after";
    case PM_CQL_T_BEFORE:
        return "t_before";
    case PM_CQL_T_CONTAINS:
        return "t_contains";
    case PM_CQL_T_DISJOINT:
        return "t_disjoint";
    case PM_CQL_T_DURING:
        return "t_during";
    case PM_CQL_T_EQUALS:
        return "t_equals";
    case PM_CQL_T_FINISHEDBY:
        return "t_finishedby";
    case PM_CQL_T_FINISHES:
        return "t_finishes";
    case PM_CQL_T_INTERSECTS:
        return "t_intersects";
    case PM_CQL_T_MEETS:
        return "t_meets";
    case PM_CQL_T_METBY:
        return "t_metby";
    case PM_CQL_T_OVERLAPPEDBY:
        return "t_overlappedby";
    case PM_CQL_T_OVERLAPS:
        return "t_overlaps";
    case PM_CQL_T_STARTEDBY:
        return "t_startedby";
    case PM_CQL_T_STARTS:
        return "t_starts";
    }
    return "?";
}

void pm_cql_ctx_init(struct pm_cql_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

struct pm_cql_node *pm_cql_ctx_finish(struct pm_cql_ctx *ctx, struct pm_cql_node *root)
{
    if (!root) {
        /* Free node by node, not as a tree: a failed parse may have left nodes that are in
         * no tree, or a tree still being built. */
        for (size_t i = 0; i < ctx->n_nodes; i++) {
            free(ctx->nodes[i]->args);
            free(ctx->nodes[i]->text);
            free(ctx->nodes[i]);
        }
    }
    free(ctx->nodes);
    memset(ctx, 0, sizeof(*ctx));
    return root;
}

struct pm_cql_node *pm_cql_node_new(struct pm_cql_ctx *ctx, enum pm_cql_kind kind, size_t pos)
{
    if (ctx->n_nodes >= PM_CQL_MAX_NODES)
        return NULL;
    if (ctx->n_nodes == ctx->cap_nodes) {
        ctx->cap_nodes = ctx->cap_nodes ? 2 * ctx->cap_nodes : 16;
        ctx->nodes = pm_realloc(ctx->nodes, ctx->cap_nodes * sizeof(*ctx->nodes));
    }
    struct pm_cql_node *n = pm_calloc(1, sizeof(*n));
    n->kind = kind;
    n->pos = pos;
    ctx->nodes[ctx->n_nodes++] = n;
    return n;
}

void pm_cql_node_add_arg(struct pm_cql_node *node, struct pm_cql_node *arg)
{
    node->args = pm_realloc(node->args, (node->n_args + 1) * sizeof(*node->args));
    node->args[node->n_args++] = arg;
}

static const struct pm_cql_node *too_deep(const struct pm_cql_node *n, size_t level, size_t limit)
{
    if (level > limit)
        return n;
    for (size_t i = 0; i < n->n_args; i++) {
        const struct pm_cql_node *d = too_deep(n->args[i], level + 1, limit);
        if (d)
            return d;
    }
    return NULL;
}

const struct pm_cql_node *pm_cql_too_deep(const struct pm_cql_node *root, size_t limit)
{
    return too_deep(root, 1, limit);
}

int pm_cql_is_boolean(const struct pm_cql_node *n)
{
    switch (n->kind) {
    case PM_CQL_AND:
    case PM_CQL_OR:
    case PM_CQL_NOT:
    case PM_CQL_COMPARE:
    case PM_CQL_LIKE:
    case PM_CQL_BETWEEN:
    case PM_CQL_IN:
    case PM_CQL_IS_NULL:
    case PM_CQL_SPATIAL:
    case PM_CQL_TEMPORAL:
    case PM_CQL_BOOLEAN:
        return 1;
    default:
        return 0;
    }
}

int pm_cql_is_scalar(const struct pm_cql_node *n)
{
    switch (n->kind) {
    case PM_CQL_PROPERTY:
    case PM_CQL_STRING:
    case PM_CQL_NUMBER:
    case PM_CQL_BOOLEAN:
    case PM_CQL_DATE:
    case PM_CQL_TIMESTAMP:
    case PM_CQL_ARITHMETIC:
    case PM_CQL_CASEI:
    case PM_CQL_ACCENTI:
        return 1;
    default:
        return 0;
    }
}

int pm_cql_is_numeric(const struct pm_cql_node *n)
{
    return n->kind == PM_CQL_PROPERTY || n->kind == PM_CQL_NUMBER || n->kind == PM_CQL_ARITHMETIC;
}

int pm_cql_is_character(const struct pm_cql_node *n)
{
    return n->kind == PM_CQL_PROPERTY || n->kind == PM_CQL_STRING || n->kind == PM_CQL_CASEI ||
           n->kind == PM_CQL_ACCENTI;
}

int pm_cql_is_pattern(const struct pm_cql_node *n)
{
    /* CASEI(ACCENTI('x')) nests at most PM_CQL_MAX_DEPTH deep: a loop, not recursion. */
    while (n->kind == PM_CQL_CASEI || n->kind == PM_CQL_ACCENTI)
        n = n->args[0];
    return n->kind == PM_CQL_STRING;
}

int pm_cql_is_geometry(const struct pm_cql_node *n)
{
    return n->kind == PM_CQL_PROPERTY || n->kind == PM_CQL_GEOMETRY || n->kind == PM_CQL_BBOX;
}

int pm_cql_is_temporal(const struct pm_cql_node *n)
{
    return n->kind == PM_CQL_PROPERTY || n->kind == PM_CQL_DATE || n->kind == PM_CQL_TIMESTAMP ||
           n->kind == PM_CQL_INTERVAL;
}

int pm_cql_is_instant(const struct pm_cql_node *n)
{
    return n->kind == PM_CQL_PROPERTY || n->kind == PM_CQL_DATE || n->kind == PM_CQL_TIMESTAMP ||
           n->kind == PM_CQL_OPEN_END;
}

void pm_cql_append_snippet(struct pm_strbuf *b, const char *s, size_t len, size_t max)
{
    if (len <= max) {
        pm_strbuf_append(b, s, len);
        return;
    }
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    pm_strbuf_append(b, s, cut);
    pm_strbuf_append_str(b, "...");
}

void pm_cql_describe(const struct pm_cql_node *n, char *out, size_t size)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    switch (n->kind) {
    case PM_CQL_AND:
        pm_strbuf_append_str(&b, "an AND expression");
        break;
    case PM_CQL_OR:
        pm_strbuf_append_str(&b, "an OR expression");
        break;
    case PM_CQL_NOT:
        pm_strbuf_append_str(&b, "a NOT expression");
        break;
    case PM_CQL_COMPARE:
        pm_strbuf_appendf(&b, "a comparison (%s)", pm_cql_op_name(n->op));
        break;
    case PM_CQL_LIKE:
        pm_strbuf_append_str(&b, "a LIKE predicate");
        break;
    case PM_CQL_BETWEEN:
        pm_strbuf_append_str(&b, "a BETWEEN predicate");
        break;
    case PM_CQL_IN:
        pm_strbuf_append_str(&b, "an IN predicate");
        break;
    case PM_CQL_IS_NULL:
        pm_strbuf_append_str(&b, "an IS NULL predicate");
        break;
    case PM_CQL_SPATIAL:
    case PM_CQL_TEMPORAL:
        pm_strbuf_appendf(&b, "the predicate %s", pm_cql_op_name(n->op));
        break;
    case PM_CQL_ARITHMETIC:
        pm_strbuf_appendf(&b, "an arithmetic expression (%s)", pm_cql_op_name(n->op));
        break;
    case PM_CQL_CASEI:
        pm_strbuf_append_str(&b, "CASEI(...)");
        break;
    case PM_CQL_ACCENTI:
        pm_strbuf_append_str(&b, "ACCENTI(...)");
        break;
    case PM_CQL_PROPERTY:
        pm_strbuf_append_str(&b, "property '");
        pm_cql_append_snippet(&b, n->text, strlen(n->text), 40);
        pm_strbuf_append_char(&b, '\'');
        break;
    case PM_CQL_STRING:
        pm_strbuf_append_str(&b, "string '");
        pm_cql_append_snippet(&b, n->text, strlen(n->text), 40);
        pm_strbuf_append_char(&b, '\'');
        break;
    case PM_CQL_NUMBER:
        pm_strbuf_append_str(&b, "number ");
        pm_cql_append_number(&b, n->number);
        break;
    case PM_CQL_BOOLEAN:
        pm_strbuf_append_str(&b, n->number != 0 ? "boolean true" : "boolean false");
        break;
    case PM_CQL_DATE:
        pm_strbuf_appendf(&b, "date %s", n->text);
        break;
    case PM_CQL_TIMESTAMP:
        pm_strbuf_appendf(&b, "timestamp %s", n->text);
        break;
    case PM_CQL_INTERVAL:
        pm_strbuf_append_str(&b, "an interval");
        break;
    case PM_CQL_OPEN_END:
        pm_strbuf_append_str(&b, "'..'");
        break;
    case PM_CQL_GEOMETRY:
        pm_strbuf_append_str(&b, "a geometry");
        break;
    case PM_CQL_BBOX:
        pm_strbuf_append_str(&b, "a bbox");
        break;
    }
    /* The snippets above are cut at code points, so the only cut left is this one. */
    if (size > 0) {
        size_t n_copy = b.len < size - 1 ? b.len : size - 1;
        while (n_copy > 0 && n_copy < b.len && ((unsigned char)b.data[n_copy] & 0xC0) == 0x80)
            n_copy--;
        memcpy(out, b.data, n_copy);
        out[n_copy] = '\0';
    }
    pm_strbuf_fini(&b);
}

/* Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil),
 * so that time zone offsets are applied without libc time zone state. */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, long *m, long *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

/* Read exactly n digits at s[*i], advancing *i; -1 if they are not all there. */
static int read_digits(const char *s, size_t len, size_t *i, int n, long *out)
{
    long v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return 0;
}

static int read_char(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

static int days_in_month(long y, long m)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : mdays[m - 1];
}

/* RFC 3339 full-date at s[*i]. */
static int read_full_date(const char *s, size_t len, size_t *i, long *y, long *m, long *d)
{
    if (read_digits(s, len, i, 4, y) || read_char(s, len, i, '-') || read_digits(s, len, i, 2, m) ||
        read_char(s, len, i, '-') || read_digits(s, len, i, 2, d))
        return -1;
    if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

/* Write v as exactly n decimal digits (v is known to fit). */
static char *put_digits(char *out, long v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return out + n;
}

int pm_cql_parse_date(const char *s, size_t n, char out[PM_CQL_DATE_LEN])
{
    size_t i = 0;
    long y, m, d;
    if (read_full_date(s, n, &i, &y, &m, &d) || i != n)
        return -1;
    char *o = put_digits(out, y, 4);
    *o++ = '-';
    o = put_digits(o, m, 2);
    *o++ = '-';
    o = put_digits(o, d, 2);
    *o = '\0';
    return 0;
}

int pm_cql_parse_timestamp(const char *s, size_t n, char out[PM_CQL_TIMESTAMP_LEN])
{
    size_t i = 0;
    long y, mo, d, h, mi, sec;
    if (read_full_date(s, n, &i, &y, &mo, &d))
        return -1;
    if (i >= n || (s[i] != 'T' && s[i] != 't'))
        return -1;
    i++;
    if (read_digits(s, n, &i, 2, &h) || read_char(s, n, &i, ':') || read_digits(s, n, &i, 2, &mi) ||
        read_char(s, n, &i, ':') || read_digits(s, n, &i, 2, &sec))
        return -1;
    if (h > 23 || mi > 59 || sec > 60)
        return -1;
    if (sec == 60)
        sec = 59; /* a leap second: the normalised form has no room for it */
    if (i < n && s[i] == '.') {
        /* Fractional seconds are truncated: the tree holds whole seconds. */
        i++;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return -1;
    }
    long offset = 0; /* minutes east of UTC */
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        long oh, om;
        i++;
        if (read_digits(s, n, &i, 2, &oh) || read_char(s, n, &i, ':') ||
            read_digits(s, n, &i, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 60 + om);
    } else {
        return -1;
    }
    if (i != n)
        return -1;
    long minutes = (days_from_civil(y, mo, d) * 24 + h) * 60 + mi - offset;
    long days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
    long in_day = minutes - days * 1440;
    civil_from_days(days, &y, &mo, &d);
    if (y < 0 || y > 9999)
        return -1;
    char *o = put_digits(out, y, 4);
    *o++ = '-';
    o = put_digits(o, mo, 2);
    *o++ = '-';
    o = put_digits(o, d, 2);
    *o++ = 'T';
    o = put_digits(o, in_day / 60, 2);
    *o++ = ':';
    o = put_digits(o, in_day % 60, 2);
    *o++ = ':';
    o = put_digits(o, sec, 2);
    *o++ = 'Z';
    *o = '\0';
    return 0;
}

void pm_cql_append_number(struct pm_strbuf *b, double v)
{
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    pm_strbuf_append_str(b, buf);
}

size_t pm_cql_utf8_prefix(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = u[i];
        size_t n;
        unsigned long cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07u;
        } else {
            return i;
        }
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((u[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (u[i + k] & 0x3Fu);
        }
        /* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}
