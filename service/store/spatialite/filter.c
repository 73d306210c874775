/*
 * CQL2 syntax tree → SQL over a collection's view, with every value bound.
 *
 * Each node compiles to a fragment (SQL text and its bound values) so that a fragment can be
 * used twice, as the temporal relations need. Properties are the catalog's (plus "id" and
 * "geometry"); an unknown one is a 400 naming the queryables. Types are checked as far as the
 * catalog tells them: a string is not compared with a number, a spatial function takes
 * geometries, a temporal one dates.
 *
 * Semantics chosen where CQL2 leaves room (each documented in the README):
 * - A date property is as precise as its source ("1979", "1979-05", "1979-05-01"). In a
 *   comparison it stands for its first day; in a temporal function for the interval of days
 *   it covers, from 00:00:00Z of the first to 23:59:59Z of the last.
 * - LIKE is case-sensitive (CQL2 /req/advanced-comparison-operators); CASEI and ACCENTI fold
 *   both sides.
 * - A spatial predicate between the geometry property and a literal goes through the R*Tree
 *   (the literal's extent, taken once at compile time), then the exact GEOS test.
 */
#include "internal.h"

#include "query/cql2.h"

#include <stdlib.h>
#include <string.h>

enum ctype { T_ANY, T_STRING, T_NUMBER, T_BOOL, T_DATEPROP, T_INSTANT, T_GEOM };

struct frag {
    struct pm_strbuf sql;
    struct pm_sl_binds binds;
};

struct compiler {
    sqlite3 *db;
    const struct pm_collection *c;
    struct pm_error *err;
    int indexed; /* spatial conditions also as searches of the R*Tree */
};

static void frag_init(struct frag *f)
{
    pm_strbuf_init(&f->sql);
    memset(&f->binds, 0, sizeof f->binds);
}

static void frag_fini(struct frag *f)
{
    pm_strbuf_fini(&f->sql);
    pm_sl_binds_fini(&f->binds);
}

/* Append src (its SQL and values) to dst. */
static void emit(struct frag *dst, const struct frag *src)
{
    pm_strbuf_append(&dst->sql, src->sql.data ? src->sql.data : "", src->sql.len);
    pm_sl_binds_append(&dst->binds, &src->binds);
}

/* Append a template in which the digits 1..4 stand for frags[0..3]. Templates are constants
 * of this file and hold no other digits. */
static void emit_template(struct frag *out, const char *tpl, const struct frag *const *frags)
{
    for (const char *p = tpl; *p; p++) {
        if (*p >= '1' && *p <= '4')
            emit(out, frags[*p - '1']);
        else
            pm_strbuf_append_char(&out->sql, *p);
    }
}

static int fail(struct compiler *cc, const struct pm_cql_node *n, const char *what)
{
    return pm_error_set(cc->err, 400, "InvalidParameterValue", "filter: at character %zu: %s",
                        n->pos + 1, what);
}

static const char *type_name(enum ctype t)
{
    switch (t) {
    case T_STRING:
        return "a string";
    case T_NUMBER:
        return "a number";
    case T_BOOL:
        return "a boolean";
    case T_DATEPROP:
    case T_INSTANT:
        return "a date";
    case T_GEOM:
        return "a geometry";
    case T_ANY:
        break;
    }
    return "a value";
}

static int unknown_property(struct compiler *cc, const struct pm_cql_node *n)
{
    struct pm_strbuf known;
    pm_strbuf_init(&known);
    pm_strbuf_append_str(&known, "id, geometry");
    for (size_t i = 0; i < cc->c->n_props; i++)
        pm_strbuf_appendf(&known, ", %s", cc->c->props[i].name);
    pm_error_set(cc->err, 400, "InvalidParameterValue",
                 "filter: at character %zu: unknown property '%.60s'; the queryables of %s "
                 "are: %s",
                 n->pos + 1, n->text, cc->c->id, known.data);
    pm_strbuf_fini(&known);
    return -1;
}

static int property(struct compiler *cc, const struct pm_cql_node *n, struct frag *out,
                    enum ctype *t)
{
    if (!strcmp(n->text, "id")) {
        pm_strbuf_append_str(&out->sql, "id");
        *t = T_STRING;
        return 0;
    }
    if (!strcmp(n->text, "geometry")) {
        pm_strbuf_append_str(&out->sql, "_geom");
        *t = T_GEOM;
        return 0;
    }
    const struct pm_property *p = pm_collection_property(cc->c, n->text, strlen(n->text));
    if (!p)
        return unknown_property(cc, n);
    pm_strbuf_append_str(&out->sql, p->name); /* a catalog identifier */
    *t = p->type == PM_PROP_STRING                           ? T_STRING
         : p->type == PM_PROP_DATE || p->type == PM_PROP_DAY ? T_DATEPROP
                                                             : T_NUMBER;
    return 0;
}

static int expr(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, enum ctype *t,
                int depth);
static int predicate(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, int depth);

static int arithmetic(struct compiler *cc, const struct pm_cql_node *n, struct frag *out,
                      enum ctype *t, int depth)
{
    struct frag a, b;
    enum ctype ta, tb;
    int rc = -1;
    frag_init(&a);
    frag_init(&b);
    if (expr(cc, n->args[0], &a, &ta, depth + 1) || expr(cc, n->args[1], &b, &tb, depth + 1))
        goto done;
    if ((ta != T_NUMBER && ta != T_ANY) || (tb != T_NUMBER && tb != T_ANY)) {
        fail(cc, n, "arithmetic needs numbers on both sides");
        goto done;
    }
    /* CQL2 division is real division (SQLite divides integers as integers); div is integer
     * division; ^ is pow(). */
    const struct frag *ab[] = {&a, &b};
    emit_template(out,
                  n->op == PM_CQL_OP_POW      ? "pow(1, 2)"
                  : n->op == PM_CQL_OP_INTDIV ? "(CAST(1 AS INTEGER) / CAST(2 AS INTEGER))"
                  : n->op == PM_CQL_OP_DIV    ? "(CAST(1 AS REAL) / 2)"
                  : n->op == PM_CQL_OP_ADD    ? "(1 + 2)"
                  : n->op == PM_CQL_OP_SUB    ? "(1 - 2)"
                  : n->op == PM_CQL_OP_MUL    ? "(1 * 2)"
                                              : "(1 % 2)",
                  ab);
    *t = T_NUMBER;
    rc = 0;
done:
    frag_fini(&a);
    frag_fini(&b);
    return rc;
}

static int expr(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, enum ctype *t,
                int depth)
{
    if (depth > PM_CQL_MAX_DEPTH)
        return fail(cc, n, "the filter is nested too deeply");
    switch (n->kind) {
    case PM_CQL_PROPERTY:
        return property(cc, n, out, t);
    case PM_CQL_STRING:
        pm_strbuf_append_str(&out->sql, "?");
        pm_sl_bind_text(&out->binds, n->text);
        *t = T_STRING;
        return 0;
    case PM_CQL_NUMBER:
        pm_strbuf_append_str(&out->sql, "?");
        pm_sl_bind_double(&out->binds, n->number);
        *t = T_NUMBER;
        return 0;
    case PM_CQL_BOOLEAN:
        pm_strbuf_append_str(&out->sql, "?");
        pm_sl_bind_int(&out->binds, n->number != 0);
        *t = T_BOOL;
        return 0;
    case PM_CQL_DATE:
    case PM_CQL_TIMESTAMP:
        /* Compared with a date property (its first day), a timestamp counts by its day. */
        pm_strbuf_append_str(&out->sql, "substr(?, 1, 10)");
        pm_sl_bind_text(&out->binds, n->text);
        *t = T_INSTANT;
        return 0;
    case PM_CQL_ARITHMETIC:
        return arithmetic(cc, n, out, t, depth);
    case PM_CQL_CASEI:
    case PM_CQL_ACCENTI: {
        struct frag a;
        enum ctype ta;
        frag_init(&a);
        int rc = expr(cc, n->args[0], &a, &ta, depth + 1);
        if (!rc && ta != T_STRING && ta != T_ANY)
            rc = fail(cc, n, "CASEI and ACCENTI take a string");
        if (!rc) {
            pm_strbuf_append_str(&out->sql, n->kind == PM_CQL_CASEI ? "pm_casei(" : "pm_accenti(");
            emit(out, &a);
            pm_strbuf_append_str(&out->sql, ")");
            *t = T_STRING;
        }
        frag_fini(&a);
        return rc;
    }
    case PM_CQL_GEOMETRY:
        pm_strbuf_append_str(&out->sql, n->geom_format == PM_CQL_WKT
                                            ? "GeomFromText(?, 4326)"
                                            : "SetSRID(GeomFromGeoJSON(?), 4326)");
        pm_sl_bind_text(&out->binds, n->text);
        *t = T_GEOM;
        return 0;
    case PM_CQL_BBOX:
        if (n->bbox[0] > n->bbox[2]) {
            /* Across the antimeridian: the two boxes either side of it. */
            pm_strbuf_append_str(&out->sql, "GUnion(BuildMbr(?, ?, 180, ?, 4326), "
                                            "BuildMbr(-180, ?, ?, ?, 4326))");
            pm_sl_bind_double(&out->binds, n->bbox[0]);
            pm_sl_bind_double(&out->binds, n->bbox[1]);
            pm_sl_bind_double(&out->binds, n->bbox[3]);
            pm_sl_bind_double(&out->binds, n->bbox[1]);
            pm_sl_bind_double(&out->binds, n->bbox[2]);
            pm_sl_bind_double(&out->binds, n->bbox[3]);
        } else if (n->bbox[0] == n->bbox[2] || n->bbox[1] == n->bbox[3]) {
            /* A box of no width or height is a line (or a point): as a polygon of no area
             * GEOS answers depending on what it cached. */
            int point = n->bbox[0] == n->bbox[2] && n->bbox[1] == n->bbox[3];
            pm_strbuf_append_str(&out->sql, point ? "MakePoint(?, ?, 4326)"
                                                  : "MakeLine(MakePoint(?, ?, 4326), "
                                                    "MakePoint(?, ?, 4326))");
            pm_sl_bind_double(&out->binds, n->bbox[0]);
            pm_sl_bind_double(&out->binds, n->bbox[1]);
            if (!point) {
                pm_sl_bind_double(&out->binds, n->bbox[2]);
                pm_sl_bind_double(&out->binds, n->bbox[3]);
            }
        } else {
            pm_strbuf_append_str(&out->sql, "BuildMbr(?, ?, ?, ?, 4326)");
            for (int i = 0; i < 4; i++)
                pm_sl_bind_double(&out->binds, n->bbox[i]);
        }
        *t = T_GEOM;
        return 0;
    default:
        break;
    }
    /* A predicate used as a value (e.g. a comparison inside arithmetic) is a type error. */
    return fail(cc, n, "expected a property, a literal or an arithmetic expression");
}

/* Are two operand types comparable? Dates compare with dates, numbers with numbers, ... */
static int comparable(enum ctype a, enum ctype b)
{
    if (a == T_ANY || b == T_ANY)
        return 1;
    if ((a == T_DATEPROP || a == T_INSTANT) && (b == T_DATEPROP || b == T_INSTANT))
        return 1;
    /* A date property may also be compared with a string such as '1979-05'. */
    if ((a == T_DATEPROP && b == T_STRING) || (a == T_STRING && b == T_DATEPROP))
        return 1;
    return a == b && a != T_GEOM;
}

/* An operand of a comparison: a date property counts by its first day when the other side
 * is a date literal. */
static int operand(struct compiler *cc, const struct pm_cql_node *n, struct frag *out,
                   enum ctype *t, int depth)
{
    struct frag f;
    frag_init(&f);
    int rc = expr(cc, n, &f, t, depth);
    if (!rc && *t == T_DATEPROP && n->kind == PM_CQL_PROPERTY) {
        pm_strbuf_append_str(&out->sql, "pm_date_first(");
        emit(out, &f);
        pm_strbuf_append_str(&out->sql, ")");
    } else if (!rc) {
        emit(out, &f);
    }
    frag_fini(&f);
    return rc;
}

static const char *compare_sql(enum pm_cql_op op)
{
    switch (op) {
    case PM_CQL_OP_EQ:
        return " = ";
    case PM_CQL_OP_NE:
        return " <> ";
    case PM_CQL_OP_LT:
        return " < ";
    case PM_CQL_OP_GT:
        return " > ";
    case PM_CQL_OP_LE:
        return " <= ";
    case PM_CQL_OP_GE:
        return " >= ";
    default:
        return " = ";
    }
}

static int compare(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, int depth)
{
    struct frag a, b;
    enum ctype ta, tb;
    int rc = -1;
    frag_init(&a);
    frag_init(&b);
    if (operand(cc, n->args[0], &a, &ta, depth + 1) || operand(cc, n->args[1], &b, &tb, depth + 1))
        goto done;
    if (!comparable(ta, tb)) {
        char msg[160];
        snprintf(msg, sizeof msg, "cannot compare %s with %s", type_name(ta), type_name(tb));
        fail(cc, n, msg);
        goto done;
    }
    pm_strbuf_append_str(&out->sql, "(");
    emit(out, &a);
    pm_strbuf_append_str(&out->sql, compare_sql(n->op));
    emit(out, &b);
    pm_strbuf_append_str(&out->sql, ")");
    rc = 0;
done:
    frag_fini(&a);
    frag_fini(&b);
    return rc;
}

/* A CQL2 LIKE pattern as an SQLite GLOB pattern: % → *, _ → ?, \x → x, and GLOB's own
 * metacharacters quoted with brackets. GLOB is case-sensitive, as CQL2 LIKE is. */
static void like_to_glob(struct pm_strbuf *out, const char *p)
{
    for (; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            if (*p == '*' || *p == '?' || *p == '[')
                pm_strbuf_appendf(out, "[%c]", *p);
            else
                pm_strbuf_append_char(out, *p);
        } else if (*p == '%') {
            pm_strbuf_append_char(out, '*');
        } else if (*p == '_') {
            pm_strbuf_append_char(out, '?');
        } else if (*p == '*' || *p == '?' || *p == '[') {
            pm_strbuf_appendf(out, "[%c]", *p);
        } else {
            pm_strbuf_append_char(out, *p);
        }
    }
}

static int like(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, int depth)
{
    struct frag a;
    enum ctype ta;
    frag_init(&a);
    int rc = expr(cc, n->args[0], &a, &ta, depth + 1);
    if (!rc && ta != T_STRING && ta != T_ANY && ta != T_DATEPROP)
        rc = fail(cc, n->args[0], "LIKE takes a string on its left");
    /* The pattern: a string, possibly inside CASEI and ACCENTI, folded here once. */
    const struct pm_cql_node *pat = n->args[1];
    int casei = 0, accenti = 0;
    while (!rc && (pat->kind == PM_CQL_CASEI || pat->kind == PM_CQL_ACCENTI)) {
        casei |= pat->kind == PM_CQL_CASEI;
        accenti |= pat->kind == PM_CQL_ACCENTI;
        pat = pat->args[0];
    }
    if (!rc && pat->kind != PM_CQL_STRING)
        rc = fail(cc, n->args[1], "the pattern of LIKE must be a string");
    if (!rc) {
        char *folded = pm_sl_fold(pat->text, casei, accenti);
        struct pm_strbuf glob;
        pm_strbuf_init(&glob);
        like_to_glob(&glob, folded);
        pm_strbuf_append_str(&out->sql, n->negated ? "(NOT (" : "((");
        emit(out, &a);
        pm_strbuf_append_str(&out->sql, " GLOB ?))");
        pm_sl_bind_text(&out->binds, glob.data ? glob.data : "");
        pm_strbuf_fini(&glob);
        free(folded);
    }
    frag_fini(&a);
    return rc;
}

static int between(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, int depth)
{
    struct frag f[3];
    enum ctype t[3];
    int rc = 0;
    for (int i = 0; i < 3; i++)
        frag_init(&f[i]);
    for (int i = 0; i < 3 && !rc; i++)
        rc = operand(cc, n->args[i], &f[i], &t[i], depth + 1);
    if (!rc && (!comparable(t[0], t[1]) || !comparable(t[0], t[2])))
        rc = fail(cc, n, "BETWEEN needs values of one type");
    if (!rc) {
        pm_strbuf_append_str(&out->sql, "(");
        emit(out, &f[0]);
        pm_strbuf_append_str(&out->sql, n->negated ? " NOT BETWEEN " : " BETWEEN ");
        emit(out, &f[1]);
        pm_strbuf_append_str(&out->sql, " AND ");
        emit(out, &f[2]);
        pm_strbuf_append_str(&out->sql, ")");
    }
    for (int i = 0; i < 3; i++)
        frag_fini(&f[i]);
    return rc;
}

static int in_list(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, int depth)
{
    struct frag a;
    enum ctype ta;
    frag_init(&a);
    int rc = operand(cc, n->args[0], &a, &ta, depth + 1);
    if (!rc) {
        pm_strbuf_append_str(&out->sql, "(");
        emit(out, &a);
        pm_strbuf_append_str(&out->sql, n->negated ? " NOT IN (" : " IN (");
    }
    for (size_t i = 1; i < n->n_args && !rc; i++) {
        struct frag v;
        enum ctype tv;
        frag_init(&v);
        rc = operand(cc, n->args[i], &v, &tv, depth + 1);
        if (!rc && !comparable(ta, tv))
            rc = fail(cc, n->args[i], "IN needs values of the type of its left side");
        if (!rc) {
            if (i > 1)
                pm_strbuf_append_str(&out->sql, ", ");
            emit(out, &v);
        }
        frag_fini(&v);
    }
    if (!rc)
        pm_strbuf_append_str(&out->sql, "))");
    frag_fini(&a);
    return rc;
}

static const char *spatial_function(enum pm_cql_op op)
{
    switch (op) {
    case PM_CQL_S_INTERSECTS:
        return "ST_Intersects";
    case PM_CQL_S_EQUALS:
        return "ST_Equals";
    case PM_CQL_S_DISJOINT:
        return "ST_Disjoint";
    case PM_CQL_S_TOUCHES:
        return "ST_Touches";
    case PM_CQL_S_WITHIN:
        return "ST_Within";
    case PM_CQL_S_OVERLAPS:
        return "ST_Overlaps";
    case PM_CQL_S_CROSSES:
        return "ST_Crosses";
    case PM_CQL_S_CONTAINS:
        return "ST_Contains";
    default:
        return NULL;
    }
}

/* The extent of a geometry literal, and a check that SpatiaLite can read it. */
static int literal_extent(struct compiler *cc, const struct pm_cql_node *n, const struct frag *lit,
                          double box[4])
{
    struct pm_strbuf sql;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    pm_strbuf_init(&sql);
    pm_strbuf_append_str(&sql, "SELECT MbrMinX(g), MbrMinY(g), MbrMaxX(g), MbrMaxY(g) FROM "
                               "(SELECT ");
    pm_strbuf_append_str(&sql, lit->sql.data);
    pm_strbuf_append_str(&sql, " AS g)");
    if (sqlite3_prepare_v2(cc->db, sql.data, -1, &st, NULL) == SQLITE_OK &&
        pm_sl_binds_apply(st, &lit->binds, 1) == 0 && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL) {
        for (int i = 0; i < 4; i++)
            box[i] = sqlite3_column_double(st, i);
        rc = 0;
    } else {
        fail(cc, n, "the geometry is not valid (SpatiaLite cannot read it)");
    }
    sqlite3_finalize(st);
    pm_strbuf_fini(&sql);
    return rc;
}

static int spatial(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, int depth)
{
    struct frag a, b;
    enum ctype ta, tb;
    int rc = -1;
    frag_init(&a);
    frag_init(&b);
    if (expr(cc, n->args[0], &a, &ta, depth + 1) || expr(cc, n->args[1], &b, &tb, depth + 1))
        goto done;
    if (ta != T_GEOM || tb != T_GEOM) {
        fail(cc, n,
             "spatial functions take two geometries (the property geometry, a WKT or "
             "GeoJSON literal, or BBOX(...))");
        goto done;
    }
    const struct pm_cql_node *lit = NULL;
    const struct frag *lit_frag = NULL;
    int a_prop = n->args[0]->kind == PM_CQL_PROPERTY, b_prop = n->args[1]->kind == PM_CQL_PROPERTY;
    if (a_prop && !b_prop) {
        lit = n->args[1];
        lit_frag = &b;
    } else if (b_prop && !a_prop) {
        lit = n->args[0];
        lit_frag = &a;
    }
    if (lit && lit->kind == PM_CQL_BBOX && n->op == PM_CQL_S_INTERSECTS) {
        /* Meeting a box is what bbox= tests: a point by its lon and lat, a line segment by
         * segment (edges included, as for ST_Intersects), no geometry to build, no GEOS. */
        pm_sl_box_condition(&out->sql, &out->binds, cc->c, lit->bbox, cc->indexed);
        rc = 0;
        goto done;
    }
    pm_strbuf_append_str(&out->sql, "(");
    if (lit) {
        double box[4];
        if (literal_extent(cc, lit, lit_frag, box))
            goto done;
        if (n->op != PM_CQL_S_DISJOINT && cc->indexed) {
            /* Every relation but disjoint implies that the extents meet. */
            pm_strbuf_appendf(&out->sql,
                              "_rowid IN (SELECT pkid FROM idx_%s_geom WHERE xmax >= ? AND "
                              "xmin <= ? AND ymax >= ? AND ymin <= ?) AND ",
                              cc->c->base_table);
            pm_sl_bind_double(&out->binds, box[0]);
            pm_sl_bind_double(&out->binds, box[2]);
            pm_sl_bind_double(&out->binds, box[1]);
            pm_sl_bind_double(&out->binds, box[3]);
        }
    }
    pm_strbuf_appendf(&out->sql, "%s(", spatial_function(n->op));
    emit(out, &a);
    pm_strbuf_append_str(&out->sql, ", ");
    emit(out, &b);
    pm_strbuf_append_str(&out->sql, ") = 1)");
    rc = 0;
done:
    frag_fini(&a);
    frag_fini(&b);
    return rc;
}

/* A temporal operand as an interval of RFC 3339 instants [start, end]. */
static int instant_bound(struct compiler *cc, const struct pm_cql_node *n, struct frag *out,
                         int end, int depth)
{
    switch (n->kind) {
    case PM_CQL_OPEN_END:
        pm_strbuf_append_str(&out->sql, end ? "'9999-12-31T23:59:59Z'" : "'0000-01-01T00:00:00Z'");
        return 0;
    case PM_CQL_DATE:
        pm_strbuf_append_str(&out->sql, end ? "(? || 'T23:59:59Z')" : "(? || 'T00:00:00Z')");
        pm_sl_bind_text(&out->binds, n->text);
        return 0;
    case PM_CQL_TIMESTAMP:
        pm_strbuf_append_str(&out->sql, "?");
        pm_sl_bind_text(&out->binds, n->text);
        return 0;
    case PM_CQL_PROPERTY: {
        struct frag p;
        enum ctype t;
        frag_init(&p);
        int rc = property(cc, n, &p, &t);
        if (!rc && t != T_DATEPROP)
            rc = fail(cc, n,
                      "temporal functions take date properties, DATE, TIMESTAMP or "
                      "INTERVAL");
        if (!rc) {
            pm_strbuf_append_str(&out->sql, end ? "(pm_date_last(" : "(pm_date_first(");
            emit(out, &p);
            pm_strbuf_append_str(&out->sql, end ? ") || 'T23:59:59Z')" : ") || 'T00:00:00Z')");
        }
        frag_fini(&p);
        return rc;
    }
    case PM_CQL_INTERVAL:
        if (depth > 2)
            break;
        return instant_bound(cc, n->args[end ? 1 : 0], out, end, depth + 1);
    default:
        break;
    }
    return fail(cc, n, "temporal functions take date properties, DATE, TIMESTAMP or INTERVAL");
}

static int temporal(struct compiler *cc, const struct pm_cql_node *n, struct frag *out)
{
    struct frag s1, e1, s2, e2;
    int rc = -1;
    frag_init(&s1);
    frag_init(&e1);
    frag_init(&s2);
    frag_init(&e2);
    if (instant_bound(cc, n->args[0], &s1, 0, 0) || instant_bound(cc, n->args[0], &e1, 1, 0) ||
        instant_bound(cc, n->args[1], &s2, 0, 0) || instant_bound(cc, n->args[1], &e2, 1, 0))
        goto done;
    /* The relations of OGC 21-065r2 table 7 (after Allen) on [s1, e1] and [s2, e2]; a
     * template holds the operands as 1 (s1), 2 (e1), 3 (s2), 4 (e2). */
    const char *tpl;
    switch (n->op) {
    case PM_CQL_T_AFTER:
        tpl = "1 > 4";
        break;
    case PM_CQL_T_BEFORE:
        tpl = "2 < 3";
        break;
    case PM_CQL_T_CONTAINS:
        tpl = "1 < 3 AND 2 > 4";
        break;
    case PM_CQL_T_DISJOINT:
        tpl = "NOT (1 <= 4 AND 2 >= 3)";
        break;
    case PM_CQL_T_DURING:
        tpl = "1 > 3 AND 2 < 4";
        break;
    case PM_CQL_T_EQUALS:
        tpl = "1 = 3 AND 2 = 4";
        break;
    case PM_CQL_T_FINISHEDBY:
        tpl = "1 < 3 AND 2 = 4";
        break;
    case PM_CQL_T_FINISHES:
        tpl = "1 > 3 AND 2 = 4";
        break;
    case PM_CQL_T_INTERSECTS:
        tpl = "1 <= 4 AND 2 >= 3";
        break;
    case PM_CQL_T_MEETS:
        tpl = "2 = 3";
        break;
    case PM_CQL_T_METBY:
        tpl = "1 = 4";
        break;
    case PM_CQL_T_OVERLAPPEDBY:
        tpl = "1 > 3 AND 1 < 4 AND 2 > 4";
        break;
    case PM_CQL_T_OVERLAPS:
        tpl = "1 < 3 AND 2 > 3 AND 2 < 4";
        break;
    case PM_CQL_T_STARTEDBY:
        tpl = "1 = 3 AND 2 > 4";
        break;
    case PM_CQL_T_STARTS:
        tpl = "1 = 3 AND 2 < 4";
        break;
    default:
        fail(cc, n, "unknown temporal function");
        goto done;
    }
    const struct frag *bounds[] = {&s1, &e1, &s2, &e2};
    pm_strbuf_append_str(&out->sql, "(");
    emit_template(out, tpl, bounds);
    pm_strbuf_append_str(&out->sql, ")");
    rc = 0;
done:
    frag_fini(&s1);
    frag_fini(&e1);
    frag_fini(&s2);
    frag_fini(&e2);
    return rc;
}

static int predicate(struct compiler *cc, const struct pm_cql_node *n, struct frag *out, int depth)
{
    if (depth > PM_CQL_MAX_DEPTH)
        return fail(cc, n, "the filter is nested too deeply");
    switch (n->kind) {
    case PM_CQL_AND:
    case PM_CQL_OR:
        pm_strbuf_append_str(&out->sql, "(");
        for (size_t i = 0; i < n->n_args; i++) {
            if (i)
                pm_strbuf_append_str(&out->sql, n->kind == PM_CQL_AND ? " AND " : " OR ");
            if (predicate(cc, n->args[i], out, depth + 1))
                return -1;
        }
        pm_strbuf_append_str(&out->sql, ")");
        return 0;
    case PM_CQL_NOT:
        pm_strbuf_append_str(&out->sql, "(NOT ");
        if (predicate(cc, n->args[0], out, depth + 1))
            return -1;
        pm_strbuf_append_str(&out->sql, ")");
        return 0;
    case PM_CQL_COMPARE:
        return compare(cc, n, out, depth);
    case PM_CQL_LIKE:
        return like(cc, n, out, depth);
    case PM_CQL_BETWEEN:
        return between(cc, n, out, depth);
    case PM_CQL_IN:
        return in_list(cc, n, out, depth);
    case PM_CQL_IS_NULL: {
        struct frag a;
        enum ctype t;
        frag_init(&a);
        int rc = expr(cc, n->args[0], &a, &t, depth + 1);
        if (!rc) {
            pm_strbuf_append_str(&out->sql, "(");
            emit(out, &a);
            pm_strbuf_append_str(&out->sql, n->negated ? " IS NOT NULL)" : " IS NULL)");
        }
        frag_fini(&a);
        return rc;
    }
    case PM_CQL_SPATIAL:
        return spatial(cc, n, out, depth);
    case PM_CQL_TEMPORAL:
        return temporal(cc, n, out);
    case PM_CQL_BOOLEAN:
        pm_strbuf_append_str(&out->sql, n->number != 0 ? "1" : "0");
        return 0;
    case PM_CQL_PROPERTY:
        return fail(cc, n, "a property alone is not a condition; compare it with something");
    default:
        break;
    }
    return fail(cc, n,
                "expected a condition (a comparison, LIKE, BETWEEN, IN, IS NULL, a "
                "spatial or temporal function, or AND/OR/NOT of them)");
}

int pm_sl_compile_filter(sqlite3 *db, const struct pm_collection *c,
                         const struct pm_cql_node *filter, int indexed, struct pm_strbuf *sql,
                         struct pm_sl_binds *binds, struct pm_error *err)
{
    struct compiler cc = {.db = db, .c = c, .err = err, .indexed = indexed};
    struct frag f;
    frag_init(&f);
    int rc = predicate(&cc, filter, &f, 0);
    if (!rc) {
        pm_strbuf_append(sql, f.sql.data ? f.sql.data : "", f.sql.len);
        pm_sl_binds_append(binds, &f.binds);
    }
    frag_fini(&f);
    return rc;
}

int pm_sl_filter_box(const struct pm_cql_node *n, double box[4])
{
    if (n->kind == PM_CQL_AND) {
        for (size_t i = 0; i < n->n_args; i++)
            if (pm_sl_filter_box(n->args[i], box))
                return 1;
        return 0;
    }
    if (n->kind != PM_CQL_SPATIAL || n->op != PM_CQL_S_INTERSECTS || n->n_args != 2)
        return 0;
    for (int i = 0; i < 2; i++) {
        const struct pm_cql_node *a = n->args[i], *lit = n->args[1 - i];
        if (a->kind == PM_CQL_PROPERTY && !strcmp(a->text, "geometry") &&
            lit->kind == PM_CQL_BBOX) {
            memcpy(box, lit->bbox, 4 * sizeof *box);
            return 1;
        }
    }
    return 0;
}

int pm_sl_filter_has_equality(const struct pm_cql_node *n)
{
    if (n->kind == PM_CQL_AND) {
        for (size_t i = 0; i < n->n_args; i++)
            if (pm_sl_filter_has_equality(n->args[i]))
                return 1;
        return 0;
    }
    return (n->kind == PM_CQL_COMPARE && n->op == PM_CQL_OP_EQ) ||
           (n->kind == PM_CQL_IN && !n->negated);
}
