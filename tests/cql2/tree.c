/*
 * The s-expression printer and invariant checker of tree.h. Recursion follows the tree, whose
 * depth the parsers bound by PM_CQL_MAX_DEPTH (tree_check verifies it before anything
 * deeper could matter).
 */
#include "tree.h"

#include <stdlib.h>
#include <string.h>

static void print(struct pm_strbuf *b, const struct pm_cql_node *n, int full_geom)
{
    const char *head = NULL;
    switch (n->kind) {
    case PM_CQL_AND:
        head = "and";
        break;
    case PM_CQL_OR:
        head = "or";
        break;
    case PM_CQL_NOT:
        head = "not";
        break;
    case PM_CQL_COMPARE:
    case PM_CQL_SPATIAL:
    case PM_CQL_TEMPORAL:
    case PM_CQL_ARITHMETIC:
        head = pm_cql_op_name(n->op);
        break;
    case PM_CQL_LIKE:
        head = n->negated ? "not-like" : "like";
        break;
    case PM_CQL_BETWEEN:
        head = n->negated ? "not-between" : "between";
        break;
    case PM_CQL_IN:
        head = n->negated ? "not-in" : "in";
        break;
    case PM_CQL_IS_NULL:
        head = n->negated ? "is-not-null" : "is-null";
        break;
    case PM_CQL_CASEI:
        head = "casei";
        break;
    case PM_CQL_ACCENTI:
        head = "accenti";
        break;
    case PM_CQL_INTERVAL:
        head = "interval";
        break;
    case PM_CQL_PROPERTY:
        pm_strbuf_appendf(b, "(prop %s)", n->text);
        return;
    case PM_CQL_STRING:
        pm_strbuf_append_char(b, '\'');
        for (const char *s = n->text; *s; s++) {
            if (*s == '\'')
                pm_strbuf_append_char(b, '\'');
            pm_strbuf_append_char(b, *s);
        }
        pm_strbuf_append_char(b, '\'');
        return;
    case PM_CQL_NUMBER:
        pm_strbuf_appendf(b, "%.17g", n->number);
        return;
    case PM_CQL_BOOLEAN:
        pm_strbuf_append_str(b, n->number != 0 ? "true" : "false");
        return;
    case PM_CQL_DATE:
        pm_strbuf_appendf(b, "(date %s)", n->text);
        return;
    case PM_CQL_TIMESTAMP:
        pm_strbuf_appendf(b, "(timestamp %s)", n->text);
        return;
    case PM_CQL_OPEN_END:
        pm_strbuf_append_str(b, "..");
        return;
    case PM_CQL_GEOMETRY:
        pm_strbuf_append_str(b, full_geom ? n->text : "geom");
        return;
    case PM_CQL_BBOX:
        pm_strbuf_appendf(b, "(bbox %.17g %.17g %.17g %.17g)", n->bbox[0], n->bbox[1], n->bbox[2],
                          n->bbox[3]);
        return;
    }
    pm_strbuf_appendf(b, "(%s", head);
    for (size_t i = 0; i < n->n_args; i++) {
        pm_strbuf_append_char(b, ' ');
        print(b, n->args[i], full_geom);
    }
    pm_strbuf_append_char(b, ')');
}

char *tree_str(const struct pm_cql_node *n, int full_geom)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    print(&b, n, full_geom);
    return pm_strbuf_take(&b);
}

static const char *check(const struct pm_cql_node *n, size_t depth)
{
    if (depth > PM_CQL_MAX_DEPTH)
        return "deeper than PM_CQL_MAX_DEPTH";
    size_t min = 0, max = 0;
    int has_text = 0;
    switch (n->kind) {
    case PM_CQL_AND:
    case PM_CQL_OR:
        min = 2;
        max = PM_CQL_MAX_NODES;
        break;
    case PM_CQL_NOT:
    case PM_CQL_IS_NULL:
    case PM_CQL_CASEI:
    case PM_CQL_ACCENTI:
        min = max = 1;
        break;
    case PM_CQL_COMPARE:
        if (n->op < PM_CQL_OP_EQ || n->op > PM_CQL_OP_GE)
            return "comparison with a wrong op";
        min = max = 2;
        break;
    case PM_CQL_ARITHMETIC:
        if (n->op < PM_CQL_OP_ADD || n->op > PM_CQL_OP_POW)
            return "arithmetic with a wrong op";
        min = max = 2;
        break;
    case PM_CQL_SPATIAL:
        if (n->op < PM_CQL_S_INTERSECTS || n->op > PM_CQL_S_CONTAINS)
            return "spatial predicate with a wrong op";
        min = max = 2;
        break;
    case PM_CQL_TEMPORAL:
        if (n->op < PM_CQL_T_AFTER || n->op > PM_CQL_T_STARTS)
            return "temporal predicate with a wrong op";
        min = max = 2;
        break;
    case PM_CQL_LIKE:
    case PM_CQL_INTERVAL:
        min = max = 2;
        break;
    case PM_CQL_BETWEEN:
        min = max = 3;
        break;
    case PM_CQL_IN:
        min = 2;
        max = PM_CQL_MAX_NODES;
        break;
    case PM_CQL_PROPERTY:
    case PM_CQL_STRING:
    case PM_CQL_GEOMETRY:
        has_text = 1;
        break;
    case PM_CQL_DATE:
        if (!n->text || strlen(n->text) != 10)
            return "date text is not YYYY-MM-DD";
        break;
    case PM_CQL_TIMESTAMP:
        if (!n->text || strlen(n->text) != 20 || n->text[19] != 'Z')
            return "timestamp text is not YYYY-MM-DDTHH:MM:SSZ";
        break;
    case PM_CQL_NUMBER:
    case PM_CQL_BOOLEAN:
    case PM_CQL_OPEN_END:
    case PM_CQL_BBOX:
        break;
    }
    if (has_text && !n->text)
        return "leaf without text";
    if (n->kind == PM_CQL_PROPERTY && n->text[0] == '\0')
        return "empty property name";
    if (n->n_args < min || n->n_args > max)
        return "wrong number of arguments";
    if (n->negated && n->kind != PM_CQL_LIKE && n->kind != PM_CQL_BETWEEN && n->kind != PM_CQL_IN &&
        n->kind != PM_CQL_IS_NULL)
        return "negated set on a kind that has no negated form";
    for (size_t i = 0; i < n->n_args; i++) {
        if (!n->args[i])
            return "NULL argument";
        const char *why = check(n->args[i], depth + 1);
        if (why)
            return why;
    }
    return NULL;
}

const char *tree_check(const struct pm_cql_node *n)
{
    return check(n, 1);
}

const char *tree_run(int json, const char *in, size_t len, int *parsed)
{
    struct pm_error err = {0};
    struct pm_cql_node *n =
        json ? pm_cql_parse_json(in, len, &err) : pm_cql_parse_text(in, len, &err);
    *parsed = n != NULL;
    if (!n) {
        if (err.status != 400 || !err.code || strcmp(err.code, "InvalidParameterValue") != 0)
            return "error is not a 400 InvalidParameterValue";
        if (strncmp(err.message, "filter: ", 8) != 0)
            return "error message does not start with \"filter: \"";
        return NULL;
    }
    const char *why = tree_check(n);
    if (!why) {
        char *s = tree_str(n, 1);
        if (!s || !*s)
            why = "empty tree string";
        free(s);
    }
    pm_cql_free(n);
    return why;
}
