/*
 * Test helpers for CQL2 trees: a printer to a compact s-expression, so that tests compare a
 * whole tree with one string, and a checker of the invariants every parsed tree must keep
 * (arity per kind, operators per kind, text where the kind has text, bounded depth). Used by
 * test_cql2, replay_cql2 and fuzz_cql2.
 */
#ifndef PM_TEST_CQL2_TREE_H
#define PM_TEST_CQL2_TREE_H

#include "query/cql2.h"

/* The tree as "(and (= (prop name) 'x') (s_intersects (prop geom) POINT(1 2)))". Geometry
 * literals print as their text, or as "geom" when full_geom is 0 (to compare trees from the
 * two encodings). Caller frees. */
char *tree_str(const struct pm_cql_node *n, int full_geom);

/* NULL when the tree keeps the invariants, else what is wrong. */
const char *tree_check(const struct pm_cql_node *n);

/* Parse in[0..len) as cql2-json (json != 0) or cql2-text and check the result: a tree must
 * keep the invariants and print; an error must be a 400 whose message starts "filter: ".
 * *parsed says which it was. NULL when all is well, else what is wrong. */
const char *tree_run(int json, const char *in, size_t len, int *parsed);

#endif
