/*
 * CQL2 (OGC 21-065r2, Common Query Language) in its two encodings, cql2-text and cql2-json,
 * parsed into one syntax tree that a store compiles to SQL with bound values.
 *
 * The parsers check syntax only: which properties exist and whether types fit is the
 * caller's business (the store knows the queryables). Every node records the byte offset in
 * the input where it starts, so that errors can point at it. Input size and nesting depth are
 * bounded (PM_CQL_MAX_INPUT, PM_CQL_MAX_DEPTH, PM_CQL_MAX_NODES): a larger filter is an error,
 * never a stack overflow.
 *
 * Ownership: a tree returned by a parser is owned by the caller and freed with
 * pm_cql_free(). All strings in it are owned by the tree. Thread-safe (no global state).
 */
#ifndef PM_CQL2_H
#define PM_CQL2_H

#include "util/util.h"

#include <stddef.h>

#define PM_CQL_MAX_INPUT (64 * 1024) /* bytes of filter text */
#define PM_CQL_MAX_DEPTH 64          /* nesting of expressions */
#define PM_CQL_MAX_NODES 4096        /* nodes in one tree */

enum pm_cql_kind {
    /* logical: args are the operands (AND/OR: 2 or more; NOT: 1) */
    PM_CQL_AND,
    PM_CQL_OR,
    PM_CQL_NOT,
    /* comparison: op is one of PM_CQL_OP_EQ..GE, args[0] op args[1] */
    PM_CQL_COMPARE,
    /* args[0] LIKE args[1] (a pattern: string, or CASEI/ACCENTI of one) */
    PM_CQL_LIKE,
    /* args[0] BETWEEN args[1] AND args[2] */
    PM_CQL_BETWEEN,
    /* args[0] IN (args[1], ..., args[n-1]) */
    PM_CQL_IN,
    /* args[0] IS NULL */
    PM_CQL_IS_NULL,
    /* spatial predicate: op is PM_CQL_S_*, args[0], args[1] */
    PM_CQL_SPATIAL,
    /* temporal predicate: op is PM_CQL_T_*, args[0], args[1] */
    PM_CQL_TEMPORAL,
    /* arithmetic: op is PM_CQL_OP_ADD..POW, args[0] op args[1] */
    PM_CQL_ARITHMETIC,
    /* CASEI(args[0]) and ACCENTI(args[0]) */
    PM_CQL_CASEI,
    PM_CQL_ACCENTI,
    /* leaves */
    PM_CQL_PROPERTY,  /* text: the property name (unquoted) */
    PM_CQL_STRING,    /* text: the string value (unescaped, UTF-8) */
    PM_CQL_NUMBER,    /* number */
    PM_CQL_BOOLEAN,   /* number: 1 or 0 */
    PM_CQL_DATE,      /* text: "YYYY-MM-DD" */
    PM_CQL_TIMESTAMP, /* text: RFC 3339 date-time, normalised to UTC "YYYY-MM-DDTHH:MM:SSZ" */
    PM_CQL_INTERVAL,  /* args[0], args[1]: DATE, TIMESTAMP, PROPERTY or the open end ".." */
    PM_CQL_OPEN_END,  /* ".." in an interval */
    PM_CQL_GEOMETRY,  /* text: the geometry as WKT (cql2-text) or GeoJSON (cql2-json);
                         geom_format says which */
    PM_CQL_BBOX,      /* bbox[4]: west, south, east, north (heights dropped) */
};

enum pm_cql_op {
    PM_CQL_OP_NONE = 0,
    PM_CQL_OP_EQ,
    PM_CQL_OP_NE,
    PM_CQL_OP_LT,
    PM_CQL_OP_GT,
    PM_CQL_OP_LE,
    PM_CQL_OP_GE,
    PM_CQL_OP_ADD,
    PM_CQL_OP_SUB,
    PM_CQL_OP_MUL,
    PM_CQL_OP_DIV,
    PM_CQL_OP_MOD,
    PM_CQL_OP_INTDIV, /* "div" */
    PM_CQL_OP_POW,
    PM_CQL_S_INTERSECTS,
    PM_CQL_S_EQUALS,
    PM_CQL_S_DISJOINT,
    PM_CQL_S_TOUCHES,
    PM_CQL_S_WITHIN,
    PM_CQL_S_OVERLAPS,
    PM_CQL_S_CROSSES,
    PM_CQL_S_CONTAINS,
    PM_CQL_T_AFTER,
    PM_CQL_T_BEFORE,
    PM_CQL_T_CONTAINS,
    PM_CQL_T_DISJOINT,
    PM_CQL_T_DURING,
    PM_CQL_T_EQUALS,
    PM_CQL_T_FINISHEDBY,
    PM_CQL_T_FINISHES,
    PM_CQL_T_INTERSECTS,
    PM_CQL_T_MEETS,
    PM_CQL_T_METBY,
    PM_CQL_T_OVERLAPPEDBY,
    PM_CQL_T_OVERLAPS,
    PM_CQL_T_STARTEDBY,
    PM_CQL_T_STARTS,
};

enum pm_cql_geom_format { PM_CQL_WKT, PM_CQL_GEOJSON };

struct pm_cql_node {
    enum pm_cql_kind kind;
    enum pm_cql_op op;
    size_t pos; /* byte offset in the input where this node starts */
    char *text; /* see the kinds above; NULL otherwise */
    double number;
    double bbox[4];
    enum pm_cql_geom_format geom_format;
    int negated; /* NOT LIKE, NOT BETWEEN, NOT IN, IS NOT NULL */
    struct pm_cql_node **args;
    size_t n_args;
};

/* Parse cql2-text. Returns the tree, or NULL with err (400, "InvalidParameterValue") whose
 * message reads "filter: at character N: expected X, found Y". */
struct pm_cql_node *pm_cql_parse_text(const char *input, size_t len, struct pm_error *err);

/* Parse cql2-json (the JSON encoding: {"op": ..., "args": [...]}, {"property": ...},
 * {"date": ...}, {"timestamp": ...}, {"interval": [...]}, {"bbox": [...]}, GeoJSON geometry
 * objects). Same contract as pm_cql_parse_text; positions are byte offsets where known, 0
 * otherwise. */
struct pm_cql_node *pm_cql_parse_json(const char *input, size_t len, struct pm_error *err);

/* Free a tree. Accepts NULL. */
void pm_cql_free(struct pm_cql_node *node);

/* The canonical name of an operator ("=", "<>", "s_intersects", "t_after", "+", ...). */
const char *pm_cql_op_name(enum pm_cql_op op);

#endif
