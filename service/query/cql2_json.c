/*
 * cql2-json (OGC 21-065r2, the JSON schema of the standard): parsed with jansson, then walked
 * into the tree of cql2.h. Operators are objects {"op": ..., "args": [...]} with the names of
 * the schema ("and", "=", "like", "between", "in", "isNull", "casei", "s_intersects",
 * "t_after", "+", "div", ...), matched exactly; literals are strings, numbers, booleans and
 * the objects {"property"}, {"date"}, {"timestamp"}, {"interval"}, {"bbox"} and GeoJSON
 * geometries. A geometry is checked (type, nesting and lengths of "coordinates", 2 or 3
 * numbers per position, the same number throughout) and kept as compact GeoJSON holding only
 * "type" and "coordinates" (or "geometries"), numbers in their shortest exact form.
 *
 * It checks syntax and the kinds of operands the schema allows in each place, never which
 * properties exist. There is no negated form in cql2-json: NOT LIKE is {"op": "not"} around
 * "like", so `negated` is never set here. Timestamps are normalised as in cql2_text.c.
 *
 * Errors say "filter: at $.args[1]: expected X, found Y", with the JSONPath of the offending
 * value (jansson does not keep byte offsets of values, so node positions are 0), or
 * "filter: at character N: invalid JSON: ..." for a syntax error. Bounds: PM_CQL_MAX_INPUT
 * bytes; JSON nesting is counted before jansson runs (and jansson has its own limit); every
 * recursion here passes enter(); nodes come from pm_cql_node_new.
 */
#include "cql2_internal.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A CQL2 level is an object and its "args" array; geometries add a few array levels. */
#define JSON_MAX_NESTING (2 * PM_CQL_MAX_DEPTH + 8)

struct jparser {
    struct pm_error *err;
    struct pm_cql_ctx ctx;
    struct pm_strbuf path; /* JSONPath of the value being read, "$.args[0]" */
    int failed;
};

/* ---------------------------------------------------------------- errors and paths */

static void fail(struct jparser *jp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct jparser *jp, const char *fmt, ...)
{
    if (jp->failed)
        return;
    jp->failed = 1;
    struct pm_strbuf b;
    va_list ap;
    pm_strbuf_init(&b);
    va_start(ap, fmt);
    pm_strbuf_vappendf(&b, fmt, ap);
    va_end(ap);
    pm_error_set(jp->err, 400, "InvalidParameterValue", "filter: at %s: %s", jp->path.data, b.data);
    pm_strbuf_fini(&b);
}

static size_t push_index(struct jparser *jp, const char *member, size_t i)
{
    size_t mark = jp->path.len;
    if (member)
        pm_strbuf_appendf(&jp->path, ".%s", member);
    pm_strbuf_appendf(&jp->path, "[%zu]", i);
    return mark;
}

static size_t push_member(struct jparser *jp, const char *member)
{
    size_t mark = jp->path.len;
    pm_strbuf_appendf(&jp->path, ".%s", member);
    return mark;
}

static void pop(struct jparser *jp, size_t mark)
{
    jp->path.len = mark;
    jp->path.data[mark] = '\0';
}

static void describe_json(const json_t *v, char *out, size_t size)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        pm_strbuf_append_str(&b, "an object");
        break;
    case JSON_ARRAY:
        pm_strbuf_appendf(&b, "an array of %zu", json_array_size(v));
        break;
    case JSON_STRING:
        pm_strbuf_append_str(&b, "string \"");
        pm_cql_append_snippet(&b, json_string_value(v), json_string_length(v), 40);
        pm_strbuf_append_char(&b, '"');
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        pm_strbuf_append_str(&b, "number ");
        pm_cql_append_number(&b, json_number_value(v));
        break;
    case JSON_TRUE:
        pm_strbuf_append_str(&b, "true");
        break;
    case JSON_FALSE:
        pm_strbuf_append_str(&b, "false");
        break;
    case JSON_NULL:
        pm_strbuf_append_str(&b, "null");
        break;
    }
    snprintf(out, size, "%s", b.data);
    pm_strbuf_fini(&b);
}

/* A member name for a message: at most 40 bytes, cut between characters. */
static void fail_member(struct jparser *jp, const char *fmt_before, const char *key,
                        const char *after)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_cql_append_snippet(&b, key, strlen(key), 40);
    fail(jp, "%s\"%s\"%s", fmt_before, b.data, after);
    pm_strbuf_fini(&b);
}

static void fail_value(struct jparser *jp, const json_t *v, const char *expected)
{
    char found[120];
    describe_json(v, found, sizeof(found));
    fail(jp, "expected %s, found %s", expected, found);
}

/* Fail unless ok: n (at the current path) is not what was expected. */
static int want(struct jparser *jp, const struct pm_cql_node *n, int ok, const char *what,
                const char *op)
{
    if (ok)
        return 0;
    char found[120];
    pm_cql_describe(n, found, sizeof(found));
    fail(jp, "expected %s as an argument of \"%s\", found %s", what, op, found);
    return -1;
}

static struct pm_cql_node *new_node(struct jparser *jp, enum pm_cql_kind kind)
{
    struct pm_cql_node *n = pm_cql_node_new(&jp->ctx, kind, 0);
    if (!n)
        fail(jp, "the filter is too complex: more than %d nodes", PM_CQL_MAX_NODES);
    return n;
}

static int enter(struct jparser *jp)
{
    if (jp->ctx.depth >= PM_CQL_MAX_DEPTH) {
        fail(jp, "the filter nests deeper than %d levels", PM_CQL_MAX_DEPTH);
        return -1;
    }
    jp->ctx.depth++;
    return 0;
}

static void leave(struct jparser *jp)
{
    jp->ctx.depth--;
}

/* ---------------------------------------------------------------- GeoJSON */

enum geo_type {
    G_POINT,
    G_LINESTRING,
    G_POLYGON,
    G_MULTIPOINT,
    G_MULTILINESTRING,
    G_MULTIPOLYGON,
    G_COLLECTION
};

static const char *const geo_types[] = {
    "Point",           "LineString",   "Polygon",           "MultiPoint",
    "MultiLineString", "MultiPolygon", "GeometryCollection"};

struct geo {
    struct pm_strbuf out;
    size_t dims; /* 0 before the first position, then 2 or 3 */
};

/* A position: 2 or 3 numbers, as many as the first one. */
static int geo_position(struct jparser *jp, struct geo *g, const json_t *v)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 0;
    if (n < 2 || n > 3 || (g->dims && n != g->dims)) {
        char what[64];
        snprintf(what, sizeof(what), "a position (an array of %s numbers)",
                 g->dims == 3   ? "3"
                 : g->dims == 2 ? "2"
                                : "2 or 3");
        fail_value(jp, v, what);
        return -1;
    }
    g->dims = n;
    pm_strbuf_append_char(&g->out, '[');
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(v, i);
        if (!json_is_number(x)) {
            size_t mark = push_index(jp, NULL, i);
            fail_value(jp, x, "a number");
            pop(jp, mark);
            return -1;
        }
        if (i)
            pm_strbuf_append_char(&g->out, ',');
        pm_cql_append_number(&g->out, json_number_value(x));
    }
    pm_strbuf_append_char(&g->out, ']');
    return 0;
}

/* Coordinates `level` arrays deep (0: a position, 1: a line or ring, 2: a polygon or a list
 * of lines, 3: a list of polygons), with at least `min` items at this level. In polygonal
 * coordinates the lines are rings of at least 4 positions, elsewhere lines have 2 or more. */
static int geo_level(struct jparser *jp, struct geo *g, const json_t *v, int level, size_t min,
                     int polygonal)
{
    static const char *const names[] = {"a position", "positions", "lines", "polygons"};
    if (level == 0)
        return geo_position(jp, g, v);
    size_t n = json_is_array(v) ? json_array_size(v) : 0;
    if (n < min) {
        char expected[96];
        snprintf(expected, sizeof(expected), "an array of at least %zu %s", min,
                 level == 2 && polygonal ? "rings" : names[level]);
        fail_value(jp, v, expected);
        return -1;
    }
    size_t inner_min = level == 2 ? (polygonal ? 4 : 2) : 1;
    pm_strbuf_append_char(&g->out, '[');
    for (size_t i = 0; i < n; i++) {
        size_t mark = push_index(jp, NULL, i);
        if (i)
            pm_strbuf_append_char(&g->out, ',');
        int rc = geo_level(jp, g, json_array_get(v, i), level - 1, inner_min, polygonal);
        pop(jp, mark);
        if (rc)
            return -1;
    }
    pm_strbuf_append_char(&g->out, ']');
    return 0;
}

static int geo_geometry(struct jparser *jp, struct geo *g, const json_t *v)
{
    if (!json_is_object(v)) {
        fail_value(jp, v, "a GeoJSON geometry object");
        return -1;
    }
    const json_t *type = json_object_get(v, "type");
    int t = -1;
    for (size_t i = 0; json_is_string(type) && i < sizeof(geo_types) / sizeof(geo_types[0]); i++)
        if (strcmp(json_string_value(type), geo_types[i]) == 0)
            t = (int)i;
    if (t < 0) {
        size_t mark = push_member(jp, "type");
        fail_value(jp, type ? type : json_null(),
                   "a GeoJSON geometry type (Point, LineString, Polygon, MultiPoint, "
                   "MultiLineString, MultiPolygon or GeometryCollection)");
        pop(jp, mark);
        return -1;
    }
    pm_strbuf_appendf(&g->out, "{\"type\":\"%s\",", geo_types[t]);
    const char *member = t == G_COLLECTION ? "geometries" : "coordinates";
    const json_t *c = json_object_get(v, member);
    size_t mark = push_member(jp, member);
    int rc = -1;
    if (!c) {
        pop(jp, mark);
        fail(jp, "expected a \"%s\" member in a %s, found none", member, geo_types[t]);
        return -1;
    }
    pm_strbuf_appendf(&g->out, "\"%s\":", member);
    switch ((enum geo_type)t) {
    case G_POINT:
        rc = geo_position(jp, g, c);
        break;
    case G_LINESTRING:
        rc = geo_level(jp, g, c, 1, 2, 0);
        break;
    case G_MULTIPOINT:
        rc = geo_level(jp, g, c, 1, 1, 0);
        break;
    case G_POLYGON:
        rc = geo_level(jp, g, c, 2, 1, 1);
        break;
    case G_MULTILINESTRING:
        rc = geo_level(jp, g, c, 2, 1, 0);
        break;
    case G_MULTIPOLYGON:
        rc = geo_level(jp, g, c, 3, 1, 1);
        break;
    case G_COLLECTION: {
        size_t n = json_is_array(c) ? json_array_size(c) : 0;
        if (n == 0) {
            fail_value(jp, c, "a non-empty array of geometries");
            break;
        }
        pm_strbuf_append_char(&g->out, '[');
        rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            size_t m2 = push_index(jp, NULL, i);
            if (i)
                pm_strbuf_append_char(&g->out, ',');
            rc = enter(jp);
            if (rc == 0) {
                rc = geo_geometry(jp, g, json_array_get(c, i));
                leave(jp);
            }
            pop(jp, m2);
        }
        pm_strbuf_append_char(&g->out, ']');
        break;
    }
    }
    pop(jp, mark);
    pm_strbuf_append_char(&g->out, '}');
    return rc;
}

static struct pm_cql_node *convert_geometry(struct jparser *jp, const json_t *v)
{
    struct geo g;
    pm_strbuf_init(&g.out);
    g.dims = 0;
    struct pm_cql_node *n = NULL;
    if (geo_geometry(jp, &g, v) == 0 && (n = new_node(jp, PM_CQL_GEOMETRY))) {
        n->geom_format = PM_CQL_GEOJSON;
        n->text = pm_strbuf_take(&g.out);
    }
    pm_strbuf_fini(&g.out);
    return n;
}

/* ---------------------------------------------------------------- literals */

static struct pm_cql_node *convert(struct jparser *jp, const json_t *v);

/* {"name": value} must be the only member. */
static int only_member(struct jparser *jp, const json_t *v, const char *name)
{
    if (json_object_size(v) == 1)
        return 0;
    const char *key;
    const json_t *x;
    json_object_foreach((json_t *)v, key, x)
    {
        if (strcmp(key, name) != 0) {
            char before[64];
            snprintf(before, sizeof(before), "expected only \"%s\" in this object, found ", name);
            fail_member(jp, before, key, " as well");
            break;
        }
    }
    return -1;
}

/* A date or timestamp string, or ".." when allowed (allow: 1 date, 2 timestamp, 4 ".."). */
static struct pm_cql_node *temporal_string(struct jparser *jp, const json_t *s, int allow,
                                           const char *what)
{
    char date[PM_CQL_DATE_LEN], ts[PM_CQL_TIMESTAMP_LEN];
    struct pm_cql_node *n;
    const char *str = json_string_value(s);
    size_t len = json_string_length(s);
    if (!str) {
        fail_value(jp, s, what);
        return NULL;
    }
    if ((allow & 4) && strcmp(str, "..") == 0)
        return new_node(jp, PM_CQL_OPEN_END);
    if ((allow & 1) && pm_cql_parse_date(str, len, date) == 0) {
        if ((n = new_node(jp, PM_CQL_DATE)))
            n->text = pm_strdup(date);
        return n;
    }
    if ((allow & 2) && pm_cql_parse_timestamp(str, len, ts) == 0) {
        if ((n = new_node(jp, PM_CQL_TIMESTAMP)))
            n->text = pm_strdup(ts);
        return n;
    }
    fail_value(jp, s, what);
    return NULL;
}

#define WHAT_DATE "a date \"YYYY-MM-DD\""
#define WHAT_TIMESTAMP "an RFC 3339 timestamp \"YYYY-MM-DDTHH:MM:SSZ\""
#define WHAT_INSTANT "a date, a timestamp, \"..\" or {\"property\": ...}"

static struct pm_cql_node *convert_interval(struct jparser *jp, const json_t *a)
{
    if (json_array_size(a) != 2) {
        fail_value(jp, a, "an array of 2 ends ([start, end]; \"..\" for an open end)");
        return NULL;
    }
    struct pm_cql_node *n = new_node(jp, PM_CQL_INTERVAL);
    if (!n)
        return NULL;
    for (size_t i = 0; i < 2; i++) {
        const json_t *x = json_array_get(a, i);
        size_t mark = push_index(jp, NULL, i);
        struct pm_cql_node *end;
        if (json_is_string(x)) {
            end = temporal_string(jp, x, 7, WHAT_INSTANT);
        } else if (json_is_object(x)) {
            end = convert(jp, x);
            if (end && !pm_cql_is_instant(end)) {
                char found[120];
                pm_cql_describe(end, found, sizeof(found));
                fail(jp, "expected %s, found %s", WHAT_INSTANT, found);
                end = NULL;
            }
        } else {
            fail_value(jp, x, WHAT_INSTANT);
            end = NULL;
        }
        pop(jp, mark);
        if (!end)
            return NULL;
        pm_cql_node_add_arg(n, end);
    }
    return n;
}

static struct pm_cql_node *convert_bbox(struct jparser *jp, const json_t *a)
{
    size_t count = json_array_size(a);
    if (!json_is_array(a) || (count != 4 && count != 6)) {
        fail_value(jp, a, "an array of 4 or 6 numbers");
        return NULL;
    }
    double v[6];
    for (size_t i = 0; i < count; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_number(x)) {
            size_t mark = push_index(jp, NULL, i);
            fail_value(jp, x, "a number");
            pop(jp, mark);
            return NULL;
        }
        v[i] = json_number_value(x);
    }
    struct pm_cql_node *n = new_node(jp, PM_CQL_BBOX);
    if (!n)
        return NULL;
    /* With 6 numbers: minx, miny, minz, maxx, maxy, maxz; heights dropped. */
    n->bbox[0] = v[0];
    n->bbox[1] = v[1];
    n->bbox[2] = count == 4 ? v[2] : v[3];
    n->bbox[3] = count == 4 ? v[3] : v[4];
    return n;
}

/* ---------------------------------------------------------------- operators */

enum op_class {
    O_AND,
    O_OR,
    O_NOT,
    O_CMP,
    O_LIKE,
    O_BETWEEN,
    O_IN,
    O_ISNULL,
    O_CASEI,
    O_ACCENTI,
    O_S,
    O_T,
    O_ARITH
};

struct op_def {
    const char *name;
    enum op_class cls;
    enum pm_cql_op op;
};

static const struct op_def ops[] = {
    {"and", O_AND, PM_CQL_OP_NONE},
    {"or", O_OR, PM_CQL_OP_NONE},
    {"not", O_NOT, PM_CQL_OP_NONE},
    {"=", O_CMP, PM_CQL_OP_EQ},
    {"<>", O_CMP, PM_CQL_OP_NE},
    {"<", O_CMP, PM_CQL_OP_LT},
    {">", O_CMP, PM_CQL_OP_GT},
    {"<=", O_CMP, PM_CQL_OP_LE},
    {">=", O_CMP, PM_CQL_OP_GE},
    {"like", O_LIKE, PM_CQL_OP_NONE},
    {"between", O_BETWEEN, PM_CQL_OP_NONE},
    {"in", O_IN, PM_CQL_OP_NONE},
    {"isNull", O_ISNULL, PM_CQL_OP_NONE},
    {"casei", O_CASEI, PM_CQL_OP_NONE},
    {"accenti", O_ACCENTI, PM_CQL_OP_NONE},
    {"s_intersects", O_S, PM_CQL_S_INTERSECTS},
    {"s_equals", O_S, PM_CQL_S_EQUALS},
    {"s_disjoint", O_S, PM_CQL_S_DISJOINT},
    {"s_touches", O_S, PM_CQL_S_TOUCHES},
    {"s_within", O_S, PM_CQL_S_WITHIN},
    {"s_overlaps", O_S, PM_CQL_S_OVERLAPS},
    {"s_crosses", O_S, PM_CQL_S_CROSSES},
    {"s_contains", O_S, PM_CQL_S_CONTAINS},
    {"t_after", O_T, PM_CQL_T_AFTER},
    {"t_before", O_T, PM_CQL_T_BEFORE},
    {"t_contains", O_T, PM_CQL_T_CONTAINS},
    {"t_disjoint", O_T, PM_CQL_T_DISJOINT},
    {"t_during", O_T, PM_CQL_T_DURING},
    {"t_equals", O_T, PM_CQL_T_EQUALS},
    {"t_finishedby", O_T, PM_CQL_T_FINISHEDBY},
    {"t_finishes", O_T, PM_CQL_T_FINISHES},
    {"t_intersects", O_T, PM_CQL_T_INTERSECTS},
    {"t_meets", O_T, PM_CQL_T_MEETS},
    {"t_metby", O_T, PM_CQL_T_METBY},
    {"t_overlappedby", O_T, PM_CQL_T_OVERLAPPEDBY},
    {"t_overlaps", O_T, PM_CQL_T_OVERLAPS},
    {"t_startedby", O_T, PM_CQL_T_STARTEDBY},
    {"t_starts", O_T, PM_CQL_T_STARTS},
    {"+", O_ARITH, PM_CQL_OP_ADD},
    {"-", O_ARITH, PM_CQL_OP_SUB},
    {"*", O_ARITH, PM_CQL_OP_MUL},
    {"/", O_ARITH, PM_CQL_OP_DIV},
    {"%", O_ARITH, PM_CQL_OP_MOD},
    {"div", O_ARITH, PM_CQL_OP_INTDIV},
    {"^", O_ARITH, PM_CQL_OP_POW},
};

#define WHAT_BOOLEAN "a predicate or a boolean"
#define WHAT_SCALAR "a property, string, number, boolean, date, timestamp or arithmetic expression"
#define WHAT_NUMERIC "a property, number or arithmetic expression"
#define WHAT_CHARACTER "a property, string, casei or accenti"
#define WHAT_PATTERN "a string pattern (or casei/accenti of one)"
#define WHAT_GEOMETRY "a geometry (property, GeoJSON geometry or bbox)"
#define WHAT_TEMPORAL "a property, date, timestamp or interval"

static int any_kind(const struct pm_cql_node *n)
{
    (void)n;
    return 1;
}

/* What argument i of an operator of class cls must be. */
static void arg_rule(enum op_class cls, size_t i, int (**ok)(const struct pm_cql_node *),
                     const char **what)
{
    switch (cls) {
    case O_AND:
    case O_OR:
    case O_NOT:
        *ok = pm_cql_is_boolean;
        *what = WHAT_BOOLEAN;
        return;
    case O_CMP:
    case O_IN:
        *ok = pm_cql_is_scalar;
        *what = WHAT_SCALAR;
        return;
    case O_LIKE:
        *ok = i == 0 ? pm_cql_is_character : pm_cql_is_pattern;
        *what = i == 0 ? WHAT_CHARACTER : WHAT_PATTERN;
        return;
    case O_BETWEEN:
    case O_ARITH:
        *ok = pm_cql_is_numeric;
        *what = WHAT_NUMERIC;
        return;
    case O_ISNULL:
        *ok = any_kind;
        *what = "a value";
        return;
    case O_CASEI:
    case O_ACCENTI:
        *ok = pm_cql_is_character;
        *what = WHAT_CHARACTER;
        return;
    case O_S:
        *ok = pm_cql_is_geometry;
        *what = WHAT_GEOMETRY;
        return;
    case O_T:
        *ok = pm_cql_is_temporal;
        *what = WHAT_TEMPORAL;
        return;
    }
}

static const enum pm_cql_kind class_kind[] = {
    [O_AND] = PM_CQL_AND,
    [O_OR] = PM_CQL_OR,
    [O_NOT] = PM_CQL_NOT,
    [O_CMP] = PM_CQL_COMPARE,
    [O_LIKE] = PM_CQL_LIKE,
    [O_BETWEEN] = PM_CQL_BETWEEN,
    [O_IN] = PM_CQL_IN,
    [O_ISNULL] = PM_CQL_IS_NULL,
    [O_CASEI] = PM_CQL_CASEI,
    [O_ACCENTI] = PM_CQL_ACCENTI,
    [O_S] = PM_CQL_SPATIAL,
    [O_T] = PM_CQL_TEMPORAL,
    [O_ARITH] = PM_CQL_ARITHMETIC,
};

/* Convert the value at path `member`[i] (already pushed) and check its kind. */
static struct pm_cql_node *checked_arg(struct jparser *jp, const struct op_def *d, size_t i,
                                       const json_t *v)
{
    int (*ok)(const struct pm_cql_node *) = any_kind;
    const char *what = "a value";
    arg_rule(d->cls, i, &ok, &what);
    struct pm_cql_node *a = convert(jp, v);
    if (!a || want(jp, a, ok(a), what, d->name))
        return NULL;
    return a;
}

static struct pm_cql_node *convert_op(struct jparser *jp, const json_t *v)
{
    const json_t *name = json_object_get(v, "op");
    const json_t *args = json_object_get(v, "args");
    const struct op_def *d = NULL;
    const char *key;
    const json_t *x;
    json_object_foreach((json_t *)v, key, x)
    {
        if (strcmp(key, "op") != 0 && strcmp(key, "args") != 0) {
            fail_member(jp, "expected only \"op\" and \"args\" in an operator object, found ", key,
                        "");
            return NULL;
        }
    }
    if (!json_is_string(name)) {
        size_t mark = push_member(jp, "op");
        fail_value(jp, name, "an operator name (a string)");
        pop(jp, mark);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(json_string_value(name), ops[i].name) == 0)
            d = &ops[i];
    if (!d) {
        struct pm_strbuf b;
        pm_strbuf_init(&b);
        pm_cql_append_snippet(&b, json_string_value(name), json_string_length(name), 40);
        fail(jp, "unknown operator or function '%s'", b.data);
        pm_strbuf_fini(&b);
        return NULL;
    }
    size_t n_args = json_array_size(args);
    size_t min = 2, max = 2;
    if (d->cls == O_AND || d->cls == O_OR)
        max = PM_CQL_MAX_NODES;
    else if (d->cls == O_NOT || d->cls == O_ISNULL || d->cls == O_CASEI || d->cls == O_ACCENTI)
        min = max = 1;
    else if (d->cls == O_BETWEEN)
        min = max = 3;
    if (!json_is_array(args) || n_args < min || n_args > max) {
        size_t mark = push_member(jp, "args");
        char expected[64];
        if (min == max)
            snprintf(expected, sizeof(expected), "an array of %zu argument%s for \"%s\"", min,
                     min == 1 ? "" : "s", d->name);
        else
            snprintf(expected, sizeof(expected), "an array of %zu or more arguments for \"%s\"",
                     min, d->name);
        fail_value(jp, args ? args : json_null(), expected);
        pop(jp, mark);
        return NULL;
    }
    struct pm_cql_node *n = new_node(jp, class_kind[d->cls]);
    if (!n)
        return NULL;
    n->op = d->op;
    for (size_t i = 0; i < n_args; i++) {
        const json_t *a = json_array_get(args, i);
        size_t mark = push_index(jp, "args", i);
        if (d->cls == O_IN && i == 1) {
            /* "in": [item, [v1, v2, ...]] becomes IN(item, v1, v2, ...). */
            size_t n_list = json_array_size(a);
            if (!json_is_array(a) || n_list == 0) {
                fail_value(jp, a, "a non-empty array of values for \"in\"");
                return NULL;
            }
            for (size_t k = 0; k < n_list; k++) {
                size_t m2 = push_index(jp, NULL, k);
                struct pm_cql_node *item = checked_arg(jp, d, 1, json_array_get(a, k));
                pop(jp, m2);
                if (!item)
                    return NULL;
                pm_cql_node_add_arg(n, item);
            }
        } else {
            struct pm_cql_node *arg = checked_arg(jp, d, i, a);
            if (!arg)
                return NULL;
            pm_cql_node_add_arg(n, arg);
        }
        pop(jp, mark);
    }
    return n;
}

static struct pm_cql_node *convert_object(struct jparser *jp, const json_t *v)
{
    const json_t *x;
    struct pm_cql_node *n = NULL;
    size_t mark;
    if (json_object_get(v, "op"))
        return convert_op(jp, v);
    if (json_object_get(v, "type"))
        return convert_geometry(jp, v);
    if ((x = json_object_get(v, "property"))) {
        if (only_member(jp, v, "property"))
            return NULL;
        mark = push_member(jp, "property");
        if (!json_is_string(x) || json_string_length(x) == 0)
            fail_value(jp, x, "a property name (a non-empty string)");
        else if ((n = new_node(jp, PM_CQL_PROPERTY)))
            n->text = pm_strndup(json_string_value(x), json_string_length(x));
        pop(jp, mark);
        return jp->failed ? NULL : n;
    }
    if ((x = json_object_get(v, "date"))) {
        if (only_member(jp, v, "date"))
            return NULL;
        mark = push_member(jp, "date");
        n = temporal_string(jp, x, 1, WHAT_DATE);
        pop(jp, mark);
        return n;
    }
    if ((x = json_object_get(v, "timestamp"))) {
        if (only_member(jp, v, "timestamp"))
            return NULL;
        mark = push_member(jp, "timestamp");
        n = temporal_string(jp, x, 2, WHAT_TIMESTAMP);
        pop(jp, mark);
        return n;
    }
    if ((x = json_object_get(v, "interval"))) {
        if (only_member(jp, v, "interval"))
            return NULL;
        mark = push_member(jp, "interval");
        n = convert_interval(jp, x);
        pop(jp, mark);
        return n;
    }
    if ((x = json_object_get(v, "bbox"))) {
        if (only_member(jp, v, "bbox"))
            return NULL;
        mark = push_member(jp, "bbox");
        n = convert_bbox(jp, x);
        pop(jp, mark);
        return n;
    }
    fail(jp, "expected an object with \"op\", \"property\", \"date\", \"timestamp\", "
             "\"interval\", \"bbox\" or a GeoJSON \"type\", found none of them");
    return NULL;
}

static struct pm_cql_node *convert(struct jparser *jp, const json_t *v)
{
    struct pm_cql_node *n = NULL;
    if (enter(jp))
        return NULL;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        n = convert_object(jp, v);
        break;
    case JSON_STRING:
        if ((n = new_node(jp, PM_CQL_STRING)))
            n->text = pm_strndup(json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        if ((n = new_node(jp, PM_CQL_NUMBER)))
            n->number = json_number_value(v);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        if ((n = new_node(jp, PM_CQL_BOOLEAN)))
            n->number = json_is_true(v);
        break;
    case JSON_ARRAY:
    case JSON_NULL:
        fail_value(jp, v, "an expression, a literal or an object");
        break;
    }
    leave(jp);
    return n;
}

/* 1-based character count before byte pos (pos may be anywhere in [0, len]). */
static size_t char_pos(const char *s, size_t len, size_t pos)
{
    size_t n = 1;
    for (size_t i = 0; i < pos && i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* The byte offset where JSON nesting first exceeds the limit, or len. Strings are skipped so
 * that brackets inside them do not count. */
static size_t nesting_overflow(const char *s, size_t len)
{
    size_t depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > JSON_MAX_NESTING)
                return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return len;
}

struct pm_cql_node *pm_cql_parse_json(const char *input, size_t len, struct pm_error *err)
{
    if (!input) {
        input = "";
        len = 0;
    }
    if (len > PM_CQL_MAX_INPUT) {
        pm_error_set(err, 400, "InvalidParameterValue",
                     "filter: the filter is %zu bytes long; at most %d are accepted", len,
                     PM_CQL_MAX_INPUT);
        return NULL;
    }
    size_t bad = pm_cql_utf8_prefix(input, len);
    if (bad < len) {
        pm_error_set(err, 400, "InvalidParameterValue",
                     "filter: at character %zu: expected UTF-8 text, found the byte 0x%02X",
                     char_pos(input, len, bad), (unsigned)(unsigned char)input[bad]);
        return NULL;
    }
    /* jansson reads a NUL byte as the end of the input: refuse it before jansson runs. */
    const char *nul = memchr(input, '\0', len);
    if (nul) {
        pm_error_set(err, 400, "InvalidParameterValue",
                     "filter: at character %zu: unexpected NUL byte",
                     char_pos(input, len, (size_t)(nul - input)));
        return NULL;
    }
    if ((bad = nesting_overflow(input, len)) < len) {
        pm_error_set(err, 400, "InvalidParameterValue",
                     "filter: at character %zu: the filter nests deeper than %d levels",
                     char_pos(input, len, bad), PM_CQL_MAX_DEPTH);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(
        input, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
    if (!doc) {
        size_t at = jerr.position > 0 ? (size_t)jerr.position : 0;
        pm_error_set(err, 400, "InvalidParameterValue",
                     "filter: at character %zu: invalid JSON: %s", char_pos(input, len, at),
                     jerr.text);
        return NULL;
    }
    struct jparser jp;
    memset(&jp, 0, sizeof(jp));
    jp.err = err;
    pm_cql_ctx_init(&jp.ctx);
    pm_strbuf_init(&jp.path);
    pm_strbuf_append_char(&jp.path, '$');
    struct pm_cql_node *root = convert(&jp, doc);
    if (root && !pm_cql_is_boolean(root)) {
        char found[120];
        pm_cql_describe(root, found, sizeof(found));
        fail(&jp, "expected a predicate or a boolean as the filter, found %s", found);
    }
    if (!jp.failed && pm_cql_too_deep(root, PM_CQL_MAX_DEPTH))
        fail(&jp, "the filter nests deeper than %d levels", PM_CQL_MAX_DEPTH);
    json_decref(doc);
    pm_strbuf_fini(&jp.path);
    return pm_cql_ctx_finish(&jp.ctx, jp.failed ? NULL : root);
}
