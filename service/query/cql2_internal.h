/*
 * What the two CQL2 parsers (cql2_text.c, cql2_json.c) share, and nothing else includes:
 * node allocation under the PM_CQL_MAX_NODES limit, the recursion-depth counter, the classes
 * of operands the grammar allows in each place, operand descriptions for error messages, the
 * date and timestamp checks, and the number format used in normalised WKT and GeoJSON.
 *
 * A parse keeps every node it allocates in a struct pm_cql_ctx, so that a failed parse frees
 * them all in one place (pm_cql_ctx_finish) however far it got; a successful one hands the
 * root to the caller and forgets the list.
 */
#ifndef PM_CQL2_INTERNAL_H
#define PM_CQL2_INTERNAL_H

#include "cql2.h"

#include <stddef.h>

/* The state of one parse. Storage owned by the parser, on its stack. */
struct pm_cql_ctx {
    struct pm_cql_node **nodes; /* every node allocated so far */
    size_t n_nodes;
    size_t cap_nodes;
    size_t depth; /* current recursion depth of the parser */
};

void pm_cql_ctx_init(struct pm_cql_ctx *ctx);

/* End a parse. With root non-NULL: forget the node list and return root (now the caller's).
 * With root NULL (the parse failed): free every node allocated and return NULL. */
struct pm_cql_node *pm_cql_ctx_finish(struct pm_cql_ctx *ctx, struct pm_cql_node *root);

/* A new zeroed node owned by ctx until pm_cql_ctx_finish. NULL when the tree would have more
 * than PM_CQL_MAX_NODES nodes (the caller reports it, with its own idea of a position). */
struct pm_cql_node *pm_cql_node_new(struct pm_cql_ctx *ctx, enum pm_cql_kind kind, size_t pos);

/* Append arg to node->args. Both belong to the same ctx. */
void pm_cql_node_add_arg(struct pm_cql_node *node, struct pm_cql_node *arg);

/* The first node found deeper than limit levels below root (root is level 1), or NULL.
 * Recursion stops at the limit, so this is safe on any tree. */
const struct pm_cql_node *pm_cql_too_deep(const struct pm_cql_node *root, size_t limit);

/* Operand classes (OGC 21-065r2 Annex B). A property or a function result could be of any
 * type, so PROPERTY belongs to every class but the boolean one: the grammar does not allow a
 * bare property as a predicate. */
int pm_cql_is_boolean(const struct pm_cql_node *n);   /* predicate or TRUE/FALSE */
int pm_cql_is_scalar(const struct pm_cql_node *n);    /* scalarExpression */
int pm_cql_is_numeric(const struct pm_cql_node *n);   /* numericExpression */
int pm_cql_is_character(const struct pm_cql_node *n); /* characterExpression */
int pm_cql_is_pattern(const struct pm_cql_node *n);   /* patternExpression */
int pm_cql_is_geometry(const struct pm_cql_node *n);  /* geomExpression */
int pm_cql_is_temporal(const struct pm_cql_node *n);  /* temporalExpression */
int pm_cql_is_instant(const struct pm_cql_node *n);   /* an end of an INTERVAL */

/* Describe n for "found ..." in an error message ("property 'name'", "number 3", "a LIKE
 * predicate"), truncated to fit out. */
void pm_cql_describe(const struct pm_cql_node *n, char *out, size_t size);

/* Append the first `max` bytes of s (never cutting a UTF-8 sequence), with "..." if cut. */
void pm_cql_append_snippet(struct pm_strbuf *b, const char *s, size_t len, size_t max);

#define PM_CQL_DATE_LEN 11      /* "YYYY-MM-DD" and NUL */
#define PM_CQL_TIMESTAMP_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" and NUL */

/* Check a full-date "YYYY-MM-DD" (RFC 3339) of n bytes and copy it to out. 0 or -1. */
int pm_cql_parse_date(const char *s, size_t n, char out[PM_CQL_DATE_LEN]);

/* Check an RFC 3339 date-time of n bytes and write it normalised to UTC, without fractional
 * seconds (they are truncated), to out. A leap second (60) becomes 59. 0 or -1. */
int pm_cql_parse_timestamp(const char *s, size_t n, char out[PM_CQL_TIMESTAMP_LEN]);

/* Append v in the shortest form that reads back as the same double ("1", "0.1", "1e+300"). */
void pm_cql_append_number(struct pm_strbuf *b, double v);

/* The length of the longest valid UTF-8 prefix of s (== len when all of s is valid). */
size_t pm_cql_utf8_prefix(const char *s, size_t len);

#endif
