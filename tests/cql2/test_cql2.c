/*
 * Unit tests of the CQL2 parsers (service/query/cql2*.c). Trees are compared as
 * s-expressions (tree.h): every operator in both encodings giving the same tree, precedence
 * and associativity in cql2-text, normalised literals (WKT, GeoJSON, timestamps), every class
 * of error with its position, and the limits (input size, nesting, node count) failing with a
 * message rather than a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static char *parse_str(int json, const char *in, size_t len, int full_geom)
{
    struct pm_error err = {0};
    struct pm_cql_node *n =
        json ? pm_cql_parse_json(in, len, &err) : pm_cql_parse_text(in, len, &err);
    if (!n) {
        fprintf(stderr, "unexpected error for <%s>: %s\n", in, err.message);
        fail();
    }
    const char *why = tree_check(n);
    if (why)
        fprintf(stderr, "bad tree for <%s>: %s\n", in, why);
    assert_null(why);
    char *s = tree_str(n, full_geom);
    pm_cql_free(n);
    return s;
}

static void check_text(const char *in, const char *expected)
{
    char *s = parse_str(0, in, strlen(in), 1);
    if (strcmp(s, expected) != 0)
        fprintf(stderr, "text <%s>\n", in);
    assert_string_equal(s, expected);
    free(s);
}

static void check_json(const char *in, const char *expected)
{
    char *s = parse_str(1, in, strlen(in), 1);
    if (strcmp(s, expected) != 0)
        fprintf(stderr, "json <%s>\n", in);
    assert_string_equal(s, expected);
    free(s);
}

/* The same filter in both encodings gives the same tree (geometry literals as "geom"). */
static void check_both(const char *text, const char *json, const char *expected)
{
    char *a = parse_str(0, text, strlen(text), 0);
    char *b = parse_str(1, json, strlen(json), 0);
    if (strcmp(a, expected) != 0 || strcmp(b, expected) != 0)
        fprintf(stderr, "text <%s>\njson <%s>\n", text, json);
    assert_string_equal(a, expected);
    assert_string_equal(b, expected);
    free(a);
    free(b);
}

static void check_error_len(int json, const char *in, size_t len, const char *expected)
{
    struct pm_error err = {0};
    struct pm_cql_node *n =
        json ? pm_cql_parse_json(in, len, &err) : pm_cql_parse_text(in, len, &err);
    if (n) {
        char *s = tree_str(n, 1);
        fprintf(stderr, "expected an error for <%.200s>, got %s\n", in, s);
        free(s);
        pm_cql_free(n);
        fail();
    }
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "InvalidParameterValue");
    if (!strstr(err.message, expected)) {
        fprintf(stderr, "input <%.200s>\nmessage  <%s>\nexpected <%s>\n", in, err.message,
                expected);
        fail();
    }
    assert_int_equal(strncmp(err.message, "filter: ", 8), 0);
}

static void text_error(const char *in, const char *expected)
{
    check_error_len(0, in, strlen(in), expected);
}

static void json_error(const char *in, const char *expected)
{
    check_error_len(1, in, strlen(in), expected);
}

static char *repeat(const char *unit, size_t n, const char *head, const char *tail)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_append_str(&b, head);
    for (size_t i = 0; i < n; i++)
        pm_strbuf_append_str(&b, unit);
    pm_strbuf_append_str(&b, tail);
    return pm_strbuf_take(&b);
}

/* ---------------------------------------------------------------- both encodings */

static void test_cql2_01_comparisons(void **state)
{
    (void)state;
    static const struct {
        const char *op, *json_op;
    } ops[] = {{"=", "="}, {"<>", "<>"}, {"<", "<"}, {">", ">"}, {"<=", "<="}, {">=", ">="}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        char text[64], json[128], expected[64];
        snprintf(text, sizeof(text), "pop %s 1000", ops[i].op);
        snprintf(json, sizeof(json), "{\"op\":\"%s\",\"args\":[{\"property\":\"pop\"},1000]}",
                 ops[i].json_op);
        snprintf(expected, sizeof(expected), "(%s (prop pop) 1000)", ops[i].op);
        check_both(text, json, expected);
    }
    check_both("name = 'x'", "{\"op\":\"=\",\"args\":[{\"property\":\"name\"},\"x\"]}",
               "(= (prop name) 'x')");
    check_both("flag = TRUE", "{\"op\":\"=\",\"args\":[{\"property\":\"flag\"},true]}",
               "(= (prop flag) true)");
    check_both("\"my prop\" <> false",
               "{\"op\":\"<>\",\"args\":[{\"property\":\"my prop\"},false]}",
               "(<> (prop my prop) false)");
    check_both("TRUE", "true", "true");
    check_both("d = DATE('2020-01-02')",
               "{\"op\":\"=\",\"args\":[{\"property\":\"d\"},{\"date\":\"2020-01-02\"}]}",
               "(= (prop d) (date 2020-01-02))");
}

static void test_cql2_02_logical(void **state)
{
    (void)state;
    check_both("a = 1 AND b = 2 AND c = 3",
               "{\"op\":\"and\",\"args\":[{\"op\":\"=\",\"args\":[{\"property\":\"a\"},1]},"
               "{\"op\":\"=\",\"args\":[{\"property\":\"b\"},2]},"
               "{\"op\":\"=\",\"args\":[{\"property\":\"c\"},3]}]}",
               "(and (= (prop a) 1) (= (prop b) 2) (= (prop c) 3))");
    check_both("a = 1 OR b = 2",
               "{\"op\":\"or\",\"args\":[{\"op\":\"=\",\"args\":[{\"property\":\"a\"},1]},"
               "{\"op\":\"=\",\"args\":[{\"property\":\"b\"},2]}]}",
               "(or (= (prop a) 1) (= (prop b) 2))");
    check_both("NOT a = 1",
               "{\"op\":\"not\",\"args\":[{\"op\":\"=\",\"args\":[{\"property\":\"a\"},1]}]}",
               "(not (= (prop a) 1))");
    check_both("TRUE AND NOT FALSE",
               "{\"op\":\"and\",\"args\":[true,{\"op\":\"not\",\"args\":[false]}]}",
               "(and true (not false))");
}

static void test_cql2_03_like_between_in_null(void **state)
{
    (void)state;
    check_both("name LIKE 'B%'", "{\"op\":\"like\",\"args\":[{\"property\":\"name\"},\"B%\"]}",
               "(like (prop name) 'B%')");
    check_both("NOT name LIKE 'B_'",
               "{\"op\":\"not\",\"args\":[{\"op\":\"like\",\"args\":[{\"property\":\"name\"},"
               "\"B_\"]}]}",
               "(not (like (prop name) 'B_'))");
    check_both("n BETWEEN 1 AND 10.5",
               "{\"op\":\"between\",\"args\":[{\"property\":\"n\"},1,10.5]}",
               "(between (prop n) 1 10.5)");
    check_both("n IN (1, 2, 3)", "{\"op\":\"in\",\"args\":[{\"property\":\"n\"},[1,2,3]]}",
               "(in (prop n) 1 2 3)");
    check_both("c IN ('CN')", "{\"op\":\"in\",\"args\":[{\"property\":\"c\"},[\"CN\"]]}",
               "(in (prop c) 'CN')");
    check_both("name IS NULL", "{\"op\":\"isNull\",\"args\":[{\"property\":\"name\"}]}",
               "(is-null (prop name))");
    check_both("NOT name IS NULL",
               "{\"op\":\"not\",\"args\":[{\"op\":\"isNull\",\"args\":[{\"property\":\"name\"}]}]}",
               "(not (is-null (prop name)))");
    check_both("CASEI(name) = CASEI('Paris')",
               "{\"op\":\"=\",\"args\":[{\"op\":\"casei\",\"args\":[{\"property\":\"name\"}]},"
               "{\"op\":\"casei\",\"args\":[\"Paris\"]}]}",
               "(= (casei (prop name)) (casei 'Paris'))");
    check_both("ACCENTI(name) LIKE ACCENTI(CASEI('zu%'))",
               "{\"op\":\"like\",\"args\":[{\"op\":\"accenti\",\"args\":[{\"property\":\"name\"}]},"
               "{\"op\":\"accenti\",\"args\":[{\"op\":\"casei\",\"args\":[\"zu%\"]}]}]}",
               "(like (accenti (prop name)) (accenti (casei 'zu%')))");
    /* Negated forms exist only in cql2-text. */
    check_text("name NOT LIKE 'x%'", "(not-like (prop name) 'x%')");
    check_text("n NOT BETWEEN 1 AND 2", "(not-between (prop n) 1 2)");
    check_text("n NOT IN (1)", "(not-in (prop n) 1)");
    check_text("n IS NOT NULL", "(is-not-null (prop n))");
    check_text("n is not null", "(is-not-null (prop n))");
}

static void test_cql2_04_arithmetic(void **state)
{
    (void)state;
    static const struct {
        const char *text, *json;
    } ops[] = {{"+", "+"}, {"-", "-"},     {"*", "*"}, {"/", "/"},
               {"%", "%"}, {"div", "div"}, {"^", "^"}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        char text[64], json[160], expected[64];
        snprintf(text, sizeof(text), "x %s 2 > 3", ops[i].text);
        snprintf(json, sizeof(json),
                 "{\"op\":\">\",\"args\":[{\"op\":\"%s\",\"args\":[{\"property\":\"x\"},2]},3]}",
                 ops[i].json);
        snprintf(expected, sizeof(expected), "(> (%s (prop x) 2) 3)", ops[i].json);
        check_both(text, json, expected);
    }
    check_both("n BETWEEN a * 2 AND b + 1",
               "{\"op\":\"between\",\"args\":[{\"property\":\"n\"},"
               "{\"op\":\"*\",\"args\":[{\"property\":\"a\"},2]},"
               "{\"op\":\"+\",\"args\":[{\"property\":\"b\"},1]}]}",
               "(between (prop n) (* (prop a) 2) (+ (prop b) 1))");
}

static void test_cql2_05_spatial(void **state)
{
    (void)state;
    static const char *const names[] = {"s_intersects", "s_equals",   "s_disjoint", "s_touches",
                                        "s_within",     "s_overlaps", "s_crosses",  "s_contains"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char upper[32], text[128], json[256], expected[128];
        for (size_t k = 0; k <= strlen(names[i]); k++)
            upper[k] =
                (char)(names[i][k] >= 'a' && names[i][k] <= 'z' ? names[i][k] - 32 : names[i][k]);
        snprintf(text, sizeof(text), "%s(geom, POINT(1 2))", upper);
        snprintf(json, sizeof(json),
                 "{\"op\":\"%s\",\"args\":[{\"property\":\"geom\"},"
                 "{\"type\":\"Point\",\"coordinates\":[1,2]}]}",
                 names[i]);
        snprintf(expected, sizeof(expected), "(%s (prop geom) geom)", names[i]);
        check_both(text, json, expected);
        /* lower case keywords, a bbox */
        snprintf(text, sizeof(text), "%s(geom, bbox(-10, -5.5, 10, 5))", names[i]);
        snprintf(json, sizeof(json),
                 "{\"op\":\"%s\",\"args\":[{\"property\":\"geom\"},{\"bbox\":[-10,-5.5,10,5]}]}",
                 names[i]);
        snprintf(expected, sizeof(expected), "(%s (prop geom) (bbox -10 -5.5 10 5))", names[i]);
        check_both(text, json, expected);
    }
    check_both("S_INTERSECTS(geom, BBOX(1, 2, 0, 3, 4, 100))",
               "{\"op\":\"s_intersects\",\"args\":[{\"property\":\"geom\"},"
               "{\"bbox\":[1,2,0,3,4,100]}]}",
               "(s_intersects (prop geom) (bbox 1 2 3 4))");
    check_both("S_CONTAINS(a, b)",
               "{\"op\":\"s_contains\",\"args\":[{\"property\":\"a\"},{\"property\":\"b\"}]}",
               "(s_contains (prop a) (prop b))");
}

static void test_cql2_06_temporal(void **state)
{
    (void)state;
    static const char *const names[] = {
        "t_after",  "t_before",       "t_contains", "t_disjoint",   "t_during",
        "t_equals", "t_finishedby",   "t_finishes", "t_intersects", "t_meets",
        "t_metby",  "t_overlappedby", "t_overlaps", "t_startedby",  "t_starts"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char upper[32], text[160], json[320], expected[200];
        for (size_t k = 0; k <= strlen(names[i]); k++)
            upper[k] =
                (char)(names[i][k] >= 'a' && names[i][k] <= 'z' ? names[i][k] - 32 : names[i][k]);
        snprintf(text, sizeof(text), "%s(d, INTERVAL('2020-01-01', '..'))", upper);
        snprintf(json, sizeof(json),
                 "{\"op\":\"%s\",\"args\":[{\"property\":\"d\"},"
                 "{\"interval\":[\"2020-01-01\",\"..\"]}]}",
                 names[i]);
        snprintf(expected, sizeof(expected), "(%s (prop d) (interval (date 2020-01-01) ..))",
                 names[i]);
        check_both(text, json, expected);
        snprintf(text, sizeof(text), "%s(TIMESTAMP('2020-01-01T10:00:00Z'), d)", names[i]);
        snprintf(json, sizeof(json),
                 "{\"op\":\"%s\",\"args\":[{\"timestamp\":\"2020-01-01T10:00:00Z\"},"
                 "{\"property\":\"d\"}]}",
                 names[i]);
        snprintf(expected, sizeof(expected), "(%s (timestamp 2020-01-01T10:00:00Z) (prop d))",
                 names[i]);
        check_both(text, json, expected);
    }
    check_both("T_DURING(INTERVAL(start, end), INTERVAL('..', '2021-01-01T00:00:00Z'))",
               "{\"op\":\"t_during\",\"args\":[{\"interval\":[{\"property\":\"start\"},"
               "{\"property\":\"end\"}]},{\"interval\":[\"..\",\"2021-01-01T00:00:00Z\"]}]}",
               "(t_during (interval (prop start) (prop end)) "
               "(interval .. (timestamp 2021-01-01T00:00:00Z)))");
    check_both("T_EQUALS(d, DATE('2020-02-29'))",
               "{\"op\":\"t_equals\",\"args\":[{\"property\":\"d\"},{\"date\":\"2020-02-29\"}]}",
               "(t_equals (prop d) (date 2020-02-29))");
    check_text("T_AFTER(d, INTERVAL(DATE('2020-01-01'), TIMESTAMP('2020-01-02T00:00:00Z')))",
               "(t_after (prop d) (interval (date 2020-01-01) (timestamp 2020-01-02T00:00:00Z)))");
}

static void test_cql2_07_mixed(void **state)
{
    (void)state;
    check_both("(name = 'x') AND S_INTERSECTS(geometry, POINT(1 2))",
               "{\"op\":\"and\",\"args\":[{\"op\":\"=\",\"args\":[{\"property\":\"name\"},\"x\"]},"
               "{\"op\":\"s_intersects\",\"args\":[{\"property\":\"geometry\"},"
               "{\"type\":\"Point\",\"coordinates\":[1,2]}]}]}",
               "(and (= (prop name) 'x') (s_intersects (prop geometry) geom))");
    check_text("(name = 'x') AND S_INTERSECTS(geometry, POINT(1 2))",
               "(and (= (prop name) 'x') (s_intersects (prop geometry) POINT(1 2)))");
    check_both(
        "名称 = '北京' OR 城市 LIKE '上海%'",
        "{\"op\":\"or\",\"args\":[{\"op\":\"=\",\"args\":[{\"property\":\"名称\"},\"北京\"]},"
        "{\"op\":\"like\",\"args\":[{\"property\":\"城市\"},\"上海%\"]}]}",
        "(or (= (prop 名称) '北京') (like (prop 城市) '上海%'))");
}

/* ---------------------------------------------------------------- cql2-text specifics */

static void test_cql2_10_precedence(void **state)
{
    (void)state;
    check_text("a = 1 OR b = 2 AND c = 3",
               "(or (= (prop a) 1) (and (= (prop b) 2) (= (prop c) 3)))");
    check_text("a = 1 AND b = 2 OR c = 3",
               "(or (and (= (prop a) 1) (= (prop b) 2)) (= (prop c) 3))");
    check_text("(a = 1 OR b = 2) AND c = 3",
               "(and (or (= (prop a) 1) (= (prop b) 2)) (= (prop c) 3))");
    check_text("NOT a = 1 AND b = 2", "(and (not (= (prop a) 1)) (= (prop b) 2))");
    check_text("NOT (a = 1 AND b = 2)", "(not (and (= (prop a) 1) (= (prop b) 2)))");
    check_text("NOT NOT a = 1", "(not (not (= (prop a) 1)))");
    check_text("a = 1 OR (b = 2 OR c = 3)",
               "(or (= (prop a) 1) (or (= (prop b) 2) (= (prop c) 3)))");
    check_text("x = 1 + 2 * 3 ^ 2", "(= (prop x) (+ 1 (* 2 (^ 3 2))))");
    check_text("x = (1 + 2) * 3", "(= (prop x) (* (+ 1 2) 3))");
    check_text("x = 2 ^ 3 ^ 2", "(= (prop x) (^ 2 (^ 3 2)))");
    check_text("x = 10 - 4 - 3", "(= (prop x) (- (- 10 4) 3))");
    check_text("x = 7 div 2 % 3 * 4 / 5", "(= (prop x) (/ (* (% (div 7 2) 3) 4) 5))");
    check_text("x = -5", "(= (prop x) -5)");
    check_text("x = - 5.5", "(= (prop x) -5.5)");
    check_text("x = -a", "(= (prop x) (- 0 (prop a)))");
    check_text("x = - -5", "(= (prop x) 5)");
    check_text("x = +5", "(= (prop x) 5)");
    check_text("x = 2 * -3", "(= (prop x) (* 2 -3))");
    check_text("x = a-1", "(= (prop x) (- (prop a) 1))");
    check_text("-2 ^ 2 = x", "(= (^ -2 2) (prop x))");
    check_text("(a + 1) > 3", "(> (+ (prop a) 1) 3)");
    check_text("((a = 1))", "(= (prop a) 1)");
    check_text("x BETWEEN 1 AND 2 AND y = 3", "(and (between (prop x) 1 2) (= (prop y) 3))");
    check_text("a = 1 and b like 'x' or not c is null",
               "(or (and (= (prop a) 1) (like (prop b) 'x')) (not (is-null (prop c))))");
    check_text("(a = 1) IS NULL", "(is-null (= (prop a) 1))");
}

static void test_cql2_11_literals(void **state)
{
    (void)state;
    check_text("x = 1.5e3", "(= (prop x) 1500)");
    check_text("x = .5", "(= (prop x) 0.5)");
    check_text("x = 1.", "(= (prop x) 1)");
    check_text("x = 2E-2", "(= (prop x) 0.02)");
    check_text("x = 'it''s'", "(= (prop x) 'it''s')");
    check_text("x = 'it\\'s'", "(= (prop x) 'it''s')");
    check_text("x = ''", "(= (prop x) '')");
    check_text("x = ''''", "(= (prop x) '''')");
    check_text("x = 'a\\b'", "(= (prop x) 'a\\b')");
    check_json("{\"op\":\"=\",\"args\":[{\"property\":\"x\"},\"it's\"]}", "(= (prop x) 'it''s')");
    check_text("\"name with spaces\" = 'v'", "(= (prop name with spaces) 'v')");
    check_text("\"AND\" = 1", "(= (prop AND) 1)");
    check_text("a.b_c:d = 1", "(= (prop a.b_c:d) 1)");
    check_text("date = 1", "(= (prop date) 1)");
    check_text("Straße = 'x'", "(= (prop Straße) 'x')");
    check_text("x = 'tab\there'", "(= (prop x) 'tab\there')");
    check_text("\n\tx\r\n=\f1 ", "(= (prop x) 1)");
    check_text("x = false", "(= (prop x) false)");
}

static void test_cql2_12_positions(void **state)
{
    (void)state;
    struct pm_error err = {0};
    const char *in = "a = 1 AND b = 'x'";
    struct pm_cql_node *n = pm_cql_parse_text(in, strlen(in), &err);
    assert_non_null(n);
    assert_int_equal(n->kind, PM_CQL_AND);
    assert_int_equal(n->pos, 0);
    assert_int_equal(n->args[1]->pos, 10);
    assert_int_equal(n->args[1]->args[1]->pos, 14);
    assert_int_equal(n->args[1]->args[1]->kind, PM_CQL_STRING);
    pm_cql_free(n);
    in = "S_WITHIN(g, POINT(1 2))";
    n = pm_cql_parse_text(in, strlen(in), &err);
    assert_non_null(n);
    assert_int_equal(n->pos, 0);
    assert_int_equal(n->args[1]->pos, 12);
    assert_int_equal(n->args[1]->geom_format, PM_CQL_WKT);
    pm_cql_free(n);
}

static void test_cql2_13_wkt(void **state)
{
    (void)state;
    check_text("S_INTERSECTS(geom, point ( 1   2 ))", "(s_intersects (prop geom) POINT(1 2))");
    check_text("S_INTERSECTS(geom, POINT(-1.50 +2e1))",
               "(s_intersects (prop geom) POINT(-1.5 20))");
    check_text("S_INTERSECTS(geom, POINT(0.1 0.2))", "(s_intersects (prop geom) POINT(0.1 0.2))");
    check_text("S_INTERSECTS(geom, POINT Z(1 2 3))", "(s_intersects (prop geom) POINT Z(1 2 3))");
    check_text("S_INTERSECTS(geom, point z (1 2 3))", "(s_intersects (prop geom) POINT Z(1 2 3))");
    check_text("S_INTERSECTS(geom, POINT(1 2 3))", "(s_intersects (prop geom) POINT Z(1 2 3))");
    check_text("S_CROSSES(geom, LINESTRING(0 0, 1 1, 2 0))",
               "(s_crosses (prop geom) LINESTRING(0 0,1 1,2 0))");
    check_text("S_WITHIN(geom, POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (1 1, 2 1, 2 2, 1 1)))",
               "(s_within (prop geom) POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1)))");
    check_text("S_INTERSECTS(geom, MULTIPOINT(1 2, 3 4))",
               "(s_intersects (prop geom) MULTIPOINT((1 2),(3 4)))");
    check_text("S_INTERSECTS(geom, MULTIPOINT((1 2), (3 4)))",
               "(s_intersects (prop geom) MULTIPOINT((1 2),(3 4)))");
    check_text("S_INTERSECTS(geom, MULTIPOINT((1 2), 3 4))",
               "(s_intersects (prop geom) MULTIPOINT((1 2),(3 4)))");
    check_text("S_INTERSECTS(geom, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))",
               "(s_intersects (prop geom) MULTILINESTRING((0 0,1 1),(2 2,3 3)))");
    check_text("S_INTERSECTS(geom, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))",
               "(s_intersects (prop geom) MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5))))");
    check_text("S_INTERSECTS(geom, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1.50 1e2)))",
               "(s_intersects (prop geom) GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1.5 100)))");
    check_text("S_INTERSECTS(geom, GEOMETRYCOLLECTION Z(POINT(1 2 3), "
               "GEOMETRYCOLLECTION(POINT Z(4 5 6))))",
               "(s_intersects (prop geom) GEOMETRYCOLLECTION Z(POINT Z(1 2 3),"
               "GEOMETRYCOLLECTION Z(POINT Z(4 5 6))))");
    check_text("S_EQUALS(POINT(1 2), POINT(1 2))", "(s_equals POINT(1 2) POINT(1 2))");
}

static void test_cql2_14_geojson(void **state)
{
    (void)state;
    check_json("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"Point\",\"coordinates\":[1.0, 2.50],\"bbox\":[1,2,1,2],\"x\":1}]}",
               "(s_intersects (prop g) {\"type\":\"Point\",\"coordinates\":[1,2.5]})");
    check_json("{\"op\":\"s_within\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}]}",
               "(s_within (prop g) {\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],"
               "[0,0]]]})");
    check_json("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],[1,1],[0,0]]]]}]}",
               "(s_intersects (prop g) {\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[1,0],"
               "[1,1],[0,0]]]]})");
    check_json("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"GeometryCollection\",\"geometries\":[{\"type\":\"Point\","
               "\"coordinates\":[1,2,3]},{\"type\":\"LineString\",\"coordinates\":"
               "[[0,0,0],[1,1,1]]}]}]}",
               "(s_intersects (prop g) {\"type\":\"GeometryCollection\",\"geometries\":[{\"type\":"
               "\"Point\",\"coordinates\":[1,2,3]},{\"type\":\"LineString\",\"coordinates\":"
               "[[0,0,0],[1,1,1]]}]})");
    check_json("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"MultiPoint\",\"coordinates\":[[1,2],[3,4]]}]}",
               "(s_intersects (prop g) {\"type\":\"MultiPoint\",\"coordinates\":[[1,2],[3,4]]})");
    check_json("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"MultiLineString\",\"coordinates\":[[[1,2],[3,4]]]}]}",
               "(s_intersects (prop g) {\"type\":\"MultiLineString\",\"coordinates\":"
               "[[[1,2],[3,4]]]})");
    struct pm_error err = {0};
    const char *in = "{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
                     "{\"type\":\"Point\",\"coordinates\":[1,2]}]}";
    struct pm_cql_node *n = pm_cql_parse_json(in, strlen(in), &err);
    assert_non_null(n);
    assert_int_equal(n->args[1]->geom_format, PM_CQL_GEOJSON);
    pm_cql_free(n);
}

static void test_cql2_15_timestamps(void **state)
{
    (void)state;
    check_text("T_AFTER(d, TIMESTAMP('2020-01-01T12:30:00Z'))",
               "(t_after (prop d) (timestamp 2020-01-01T12:30:00Z))");
    check_text("T_AFTER(d, TIMESTAMP('2020-01-01T01:30:00+02:00'))",
               "(t_after (prop d) (timestamp 2019-12-31T23:30:00Z))");
    check_text("T_AFTER(d, TIMESTAMP('2020-12-31T23:30:00.999-01:00'))",
               "(t_after (prop d) (timestamp 2021-01-01T00:30:00Z))");
    check_text("T_AFTER(d, TIMESTAMP('2020-01-01t00:00:00z'))",
               "(t_after (prop d) (timestamp 2020-01-01T00:00:00Z))");
    check_text("T_AFTER(d, TIMESTAMP('2016-12-31T23:59:60Z'))",
               "(t_after (prop d) (timestamp 2016-12-31T23:59:59Z))");
    check_text("T_AFTER(d, TIMESTAMP('2020-03-01T00:10:00+00:30'))",
               "(t_after (prop d) (timestamp 2020-02-29T23:40:00Z))");
    check_json("{\"op\":\"t_before\",\"args\":[{\"property\":\"d\"},"
               "{\"timestamp\":\"2000-01-01T00:00:00.5+05:00\"}]}",
               "(t_before (prop d) (timestamp 1999-12-31T19:00:00Z))");
    text_error("T_AFTER(d, TIMESTAMP('2020-01-01T24:00:00Z'))", "at character 22: expected an "
                                                                "RFC 3339 timestamp");
    text_error("T_AFTER(d, TIMESTAMP('2020-01-01'))", "found string '2020-01-01'");
    text_error("T_AFTER(d, TIMESTAMP('2020-02-30T00:00:00Z'))", "expected an RFC 3339");
    text_error("T_AFTER(d, TIMESTAMP('2020-01-01T00:00:00'))", "expected an RFC 3339");
    text_error("T_AFTER(d, TIMESTAMP('2020-01-01T00:00:00.Z'))", "expected an RFC 3339");
    text_error("T_AFTER(d, DATE('2019-02-29'))", "at character 17: expected a date string");
    text_error("T_AFTER(d, DATE('2019-1-1'))", "expected a date string 'YYYY-MM-DD'");
    text_error("T_AFTER(d, DATE(2019))", "expected a date string 'YYYY-MM-DD' in DATE(...), "
                                         "found number 2019");
    text_error("T_AFTER(d, TIMESTAMP('0000-01-01T00:00:00+01:00'))", "expected an RFC 3339");
}

/* ---------------------------------------------------------------- errors */

static void test_cql2_20_text_errors(void **state)
{
    (void)state;
    text_error("", "at character 1: expected a property, a literal, a function or '(', found "
                   "end of input");
    text_error("   ", "at character 4: expected a property");
    text_error("name", "at character 5: expected a comparison operator, LIKE, BETWEEN, IN or IS "
                       "after property 'name', found end of input");
    text_error("name 'x'", "at character 6: expected a comparison operator, LIKE, BETWEEN, IN or "
                           "IS after property 'name', found string 'x'");
    text_error("5", "after number 5, found end of input");
    text_error("a = 1 AND b", "at character 12: expected a comparison operator, LIKE, BETWEEN, IN "
                              "or IS after property 'b'");
    text_error("NOT a", "after property 'a'");
    text_error("(a = 1", "at character 7: expected ')' to close '(' opened at character 1, found "
                         "end of input");
    text_error("a = 1 AND (b = 2 c", "at character 18: expected ')' to close '(' opened at "
                                     "character 11, found 'c'");
    text_error("S_FOO(a, b)", "at character 1: unknown function 'S_FOO' (the spatial functions");
    text_error("t_foo(a, b)", "unknown function 't_foo' (the temporal functions");
    text_error("x = FOO(a)", "at character 5: unknown function 'FOO'");
    text_error("a = 'abc", "at character 5: unterminated string");
    text_error("a = 'abc\\'", "at character 5: unterminated string");
    text_error("\"abc = 1", "at character 1: unterminated property name");
    text_error("\"\" = 1", "at character 1: empty property name");
    text_error("a != 1", "at character 3: unexpected '!='");
    text_error("a = 1 # x", "at character 7: unexpected character '#'");
    text_error("a = 1 b = 2", "at character 7: expected AND, OR or the end of the filter, found "
                              "'b'");
    text_error("a = b = c", "at character 7: expected AND, OR or the end of the filter, found "
                            "'='");
    text_error("a = 1)", "found ')'");
    text_error("a LIKE 5", "at character 8: expected a string pattern (or CASEI/ACCENTI of one) "
                           "after LIKE, found number 5");
    text_error("a LIKE b", "found property 'b'");
    text_error("5 LIKE 'x'", "at character 1: expected a property, string, CASEI(...) or "
                             "ACCENTI(...) before LIKE, found number 5");
    text_error("a BETWEEN 1 OR 2", "at character 13: expected AND between the bounds of BETWEEN, "
                                   "found 'OR'");
    text_error("a BETWEEN 'x' AND 2", "at character 11: expected a property, number or "
                                      "arithmetic expression as the lower bound of BETWEEN");
    text_error("a IN (1, 2", "at character 11: expected ',' or ')' in the IN list opened at "
                             "character 6, found end of input");
    text_error("a IN 1", "expected '(' to open the list after IN, found number 1");
    text_error("a IN ()", "at character 7: expected a property, a literal, a function or '(', "
                          "found ')'");
    text_error("a IS 5", "at character 6: expected NULL or NOT NULL after IS, found number 5");
    text_error("a IS NOT 5", "expected NULL after IS NOT");
    text_error("a NOT = 1", "at character 7: expected LIKE, BETWEEN or IN after NOT, found '='");
    text_error("a = 1e999", "at character 5: number out of range: 1e999");
    text_error("a = 'x' AND", "at character 12: expected a property, a literal, a function or "
                              "'(', found end of input");
    text_error("AND = 1", "at character 1: expected a property, a literal, a function or '(', "
                          "found 'AND'");
    text_error("a = 1 + 'x'", "at character 9: expected a property, number or arithmetic "
                              "expression as an operand of '+', found string 'x'");
    text_error("(a = 1) + 2 > 0", "at character 2: expected a property, number or arithmetic "
                                  "expression as an operand of '+', found a comparison (=)");
    text_error("x = -'a'", "after '-', found string 'a'");
    text_error("a = S_INTERSECTS(g, g)", "at character 5: expected a property, string, number, "
                                         "boolean, date, timestamp or arithmetic expression as "
                                         "an operand of '=', found the predicate s_intersects");
    text_error("a = POINT(1 2)", "found a geometry");
    text_error("CASEI(5) = 'x'", "at character 7: expected a property, string, CASEI(...) or "
                                 "ACCENTI(...) in CASEI(...), found number 5");
    text_error("a = NULL", "found 'NULL'");
    text_error("名称 = 1 ?", "at character 8: unexpected character '?'");
    text_error("名称 = 'abc", "at character 6: unterminated string");
    text_error("x = 1 AND ×", "at character 11: unexpected character '×'");
    check_text("€ = 1", "(= (prop €) 1)"); /* U+20AC is an identifierStart of Annex B */
    text_error("a = 'x' OR OR", "at character 12: expected a property");
    text_error("a = 1 AND NOT", "at character 14: expected a property");
}

static void test_cql2_21_function_errors(void **state)
{
    (void)state;
    text_error("S_INTERSECTS(geom, 'x')", "at character 20: expected a geometry (property, WKT "
                                          "literal or BBOX(...)) as the second argument of "
                                          "S_INTERSECTS, found string 'x'");
    text_error("S_INTERSECTS(1, geom)", "as the first argument of S_INTERSECTS, found number 1");
    text_error("S_INTERSECTS(geom POINT(1 2))", "at character 19: expected ',' after the first "
                                                "argument of S_INTERSECTS, found 'POINT'");
    text_error("S_INTERSECTS(geom, POINT(1 2)", "at character 30: expected ')' to close "
                                                "'S_INTERSECTS(' opened at character 1, found "
                                                "end of input");
    text_error("T_AFTER(d, 5)", "at character 12: expected a property, DATE(...), TIMESTAMP(...) "
                                "or INTERVAL(...) as the second argument of T_AFTER, found "
                                "number 5");
    text_error("T_AFTER(d, '2020-01-01')", "found string '2020-01-01'");
    text_error("T_AFTER(d, INTERVAL('x', '..'))", "at character 21: expected a date "
                                                  "'YYYY-MM-DD', a timestamp, '..' or a property "
                                                  "as an end of INTERVAL(...), found string 'x'");
    text_error("T_AFTER(d, INTERVAL('..'))", "at character 25: expected ',' between the two ends "
                                             "of INTERVAL(...), found ')'");
    text_error("T_AFTER(d, INTERVAL(1, 2))", "found number 1");
    text_error("S_INTERSECTS(geom, BBOX(1,2,3))", "at character 20: expected 4 or 6 numbers in "
                                                  "BBOX(...), found 3");
    text_error("S_INTERSECTS(geom, BBOX(1,2,3,4,5,6,7))", "expected ')' after 6 numbers in "
                                                          "BBOX(...)");
    text_error("S_INTERSECTS(geom, BBOX(1,2,'x',4))", "expected a number in BBOX(...), found "
                                                      "string 'x'");
    text_error("S_INTERSECTS(geom, POINT(1))", "at character 27: expected a coordinate (2 or 3 "
                                               "numbers), found ')'");
    text_error("S_INTERSECTS(geom, POINT(1 2 3 4))", "expected ')' after the coordinates of a "
                                                     "POINT, found number 4");
    text_error("S_INTERSECTS(geom, POINT Z 1 2)", "expected '(' to open a POINT, found number 1");
    text_error("S_INTERSECTS(geom, LINESTRING(1 2))", "at character 30: expected at least 2 "
                                                      "points in a LINESTRING, found 1");
    text_error("S_INTERSECTS(geom, POLYGON((0 0, 1 1, 0 0)))", "expected at least 4 points in a "
                                                               "polygon ring, found 3");
    text_error("S_INTERSECTS(geom, POLYGON(()))", "expected a coordinate (2 or 3 numbers), "
                                                  "found ')'");
    text_error("S_INTERSECTS(geom, POINT Z(1 2))", "at character 28: expected 3 coordinates in a "
                                                   "Z geometry, found 2");
    text_error("S_INTERSECTS(geom, LINESTRING(1 2, 3 4 5))", "at character 36: expected 2 "
                                                             "coordinates as in the first point, "
                                                             "found 3");
    text_error("S_INTERSECTS(geom, POINT EMPTY)", "at character 26: empty geometries are not "
                                                  "supported");
    text_error("S_INTERSECTS(geom, MULTIPOINT(1 2; 3 4))", "unexpected character ';'");
    text_error("S_INTERSECTS(geom, MULTIPOINT((1 2 3 4)))", "expected ')' after the coordinates "
                                                            "of a point of a MULTIPOINT");
    text_error("S_INTERSECTS(geom, GEOMETRYCOLLECTION(5))", "expected a geometry (POINT, "
                                                            "LINESTRING");
    text_error("S_INTERSECTS(geom, POINT(1 2) x)", "expected ')' to close 'S_INTERSECTS('");
    text_error("S_INTERSECTS(geom, POINT(1 'x'))", "expected a coordinate (2 or 3 numbers), found "
                                                   "string 'x'");
}

static void test_cql2_22_bytes(void **state)
{
    (void)state;
    check_error_len(0, "a = 1\0", 6, "at character 6: unexpected NUL byte");
    check_error_len(0, "a = 'x\0y'", 9, "at character 7: unexpected NUL byte");
    check_error_len(0, "a = 'x'\0", 8, "at character 8: unexpected NUL byte");
    text_error("a = '\xff'", "at character 6: expected UTF-8 text, found the byte 0xFF");
    text_error("名 = '\xe5\x8c'", "at character 6: expected UTF-8 text, found the byte 0xE5");
    text_error("a = '\xc0\x80'", "expected UTF-8 text, found the byte 0xC0");     /* overlong */
    text_error("a = '\xed\xa0\x80'", "expected UTF-8 text, found the byte 0xED"); /* surrogate */
    json_error("{\"op\":\"=\",\"args\":[{\"property\":\"a\"},\"\xff\"]}", "expected UTF-8 text");
    check_error_len(1, "true\0", 5, "at character 5: unexpected NUL byte");
    check_error_len(1, "{\"op\":\"=\",\"args\":[{\"property\":\"a\"},\"x\0\"]}", 41,
                    "at character 38: unexpected NUL byte");
    json_error("{\"op\":\"=\",\"args\":[{\"property\":\"a\"},\"\\u0000\"]}", "invalid JSON");
    /* A parse of only part of a buffer never looks past len. */
    char *s = pm_strdup("a = 1 AND b = 2");
    struct pm_error err = {0};
    struct pm_cql_node *n = pm_cql_parse_text(s, 5, &err);
    assert_non_null(n);
    char *t = tree_str(n, 1);
    assert_string_equal(t, "(= (prop a) 1)");
    free(t);
    pm_cql_free(n);
    free(s);
    n = pm_cql_parse_text(NULL, 0, &err);
    assert_null(n);
    n = pm_cql_parse_json(NULL, 0, &err);
    assert_null(n);
}

static void test_cql2_23_json_errors(void **state)
{
    (void)state;
    json_error("{", "at character 2: invalid JSON");
    json_error("", "invalid JSON");
    json_error("{\"op\":\"=\",\"op\":\"<\",\"args\":[1,2]}", "invalid JSON");
    json_error("{\"op\":\"foo\",\"args\":[]}", "filter: at $: unknown operator or function 'foo'");
    json_error("{\"op\":\"AND\",\"args\":[true,true]}", "unknown operator or function 'AND'");
    json_error("{\"op\":5,\"args\":[]}", "at $.op: expected an operator name (a string), found "
                                         "number 5");
    json_error("{\"op\":\"=\",\"args\":[1]}", "at $.args: expected an array of 2 arguments for "
                                              "\"=\", found an array of 1");
    json_error("{\"op\":\"=\"}", "at $.args: expected an array of 2 arguments for \"=\", found "
                                 "null");
    json_error("{\"op\":\"and\",\"args\":[true]}", "expected an array of 2 or more arguments for "
                                                   "\"and\"");
    json_error("{\"op\":\"between\",\"args\":[{\"property\":\"a\"},[1,2]]}",
               "expected an array of 3 arguments for \"between\"");
    json_error("{\"op\":\"=\",\"args\":[{\"property\":\"a\"},1],\"x\":1}",
               "at $: expected only \"op\" and \"args\" in an operator object, found \"x\"");
    json_error("{\"op\":\"=\",\"args\":[{\"property\":\"a\"},{\"bbox\":[1,2,3,4]}]}",
               "at $.args[1]: expected a property, string, number, boolean, date, timestamp or "
               "arithmetic expression as an argument of \"=\", found a bbox");
    json_error("{\"op\":\"and\",\"args\":[{\"property\":\"a\"},true]}",
               "at $.args[0]: expected a predicate or a boolean as an argument of \"and\", found "
               "property 'a'");
    json_error("{\"property\":\"a\"}", "at $: expected a predicate or a boolean as the filter, "
                                       "found property 'a'");
    json_error("5", "at $: expected a predicate or a boolean as the filter, found number 5");
    json_error("null", "at $: expected an expression, a literal or an object, found null");
    json_error("[true]", "found an array of 1");
    json_error("{\"op\":\"=\",\"args\":[{\"property\":\"\"},1]}",
               "at $.args[0].property: expected a property name (a non-empty string), found "
               "string \"\"");
    json_error("{\"op\":\"=\",\"args\":[{\"property\":\"a\",\"x\":1},1]}",
               "at $.args[0]: expected only \"property\" in this object, found \"x\" as well");
    json_error("{\"op\":\"=\",\"args\":[{\"prop\":\"a\"},1]}",
               "at $.args[0]: expected an object with \"op\", \"property\"");
    json_error("{\"op\":\"like\",\"args\":[{\"property\":\"a\"},{\"property\":\"b\"}]}",
               "at $.args[1]: expected a string pattern (or casei/accenti of one) as an argument "
               "of \"like\", found property 'b'");
    json_error("{\"op\":\"in\",\"args\":[{\"property\":\"a\"},[]]}",
               "at $.args[1]: expected a non-empty array of values for \"in\", found an array of "
               "0");
    json_error("{\"op\":\"in\",\"args\":[{\"property\":\"a\"},[1,{\"bbox\":[1,2,3,4]}]]}",
               "at $.args[1][1]: expected a property, string");
    json_error("{\"op\":\"+\",\"args\":[{\"property\":\"a\"},\"x\"]}", "found string 'x'");
    json_error("{\"op\":\"t_after\",\"args\":[{\"property\":\"d\"},{\"date\":\"2020-02-30\"}]}",
               "at $.args[1].date: expected a date \"YYYY-MM-DD\", found string \"2020-02-30\"");
    json_error("{\"op\":\"t_after\",\"args\":[{\"property\":\"d\"},{\"timestamp\":5}]}",
               "at $.args[1].timestamp: expected an RFC 3339 timestamp");
    json_error("{\"op\":\"t_after\",\"args\":[{\"property\":\"d\"},{\"interval\":[\"..\"]}]}",
               "at $.args[1].interval: expected an array of 2 ends");
    json_error("{\"op\":\"t_after\",\"args\":[{\"property\":\"d\"},{\"interval\":[\"x\",\"..\"]}]}",
               "at $.args[1].interval[0]: expected a date, a timestamp, \"..\" or "
               "{\"property\": ...}, found string \"x\"");
    json_error("{\"op\":\"t_after\",\"args\":[{\"property\":\"d\"},{\"interval\":"
               "[{\"bbox\":[1,2,3,4]},\"..\"]}]}",
               "at $.args[1].interval[0]: expected a date");
    json_error("{\"op\":\"t_after\",\"args\":[{\"property\":\"d\"},\"2020-01-01\"]}",
               "at $.args[1]: expected a property, date, timestamp or interval");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},{\"bbox\":[1,2,3]}]}",
               "at $.args[1].bbox: expected an array of 4 or 6 numbers, found an array of 3");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},{\"bbox\":[1,2,3,\"4\"]}]}",
               "at $.args[1].bbox[3]: expected a number, found string \"4\"");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"Point\",\"coordinates\":[1]}]}",
               "at $.args[1].coordinates: expected a position (an array of 2 or 3 numbers), found "
               "an array of 1");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"Point\",\"coordinates\":[1,\"2\"]}]}",
               "at $.args[1].coordinates[1]: expected a number, found string \"2\"");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"LineString\",\"coordinates\":[[1,2]]}]}",
               "at $.args[1].coordinates: expected an array of at least 2 positions, found an "
               "array of 1");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"LineString\",\"coordinates\":[[1,2],[1,2,3]]}]}",
               "at $.args[1].coordinates[1]: expected a position (an array of 2 numbers)");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1],[0,0]]]}]}",
               "at $.args[1].coordinates[0]: expected an array of at least 4 positions");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"Polygon\",\"coordinates\":[]}]}",
               "at $.args[1].coordinates: expected an array of at least 1 rings");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"MultiPolygon\",\"coordinates\":[[]]}]}",
               "at $.args[1].coordinates[0]: expected an array of at least 1 rings");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"Circle\",\"coordinates\":[1,2]}]}",
               "at $.args[1].type: expected a GeoJSON geometry type");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},{\"type\":\"Point\"}]}",
               "at $.args[1]: expected a \"coordinates\" member in a Point, found none");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"GeometryCollection\",\"geometries\":[]}]}",
               "at $.args[1].geometries: expected a non-empty array of geometries");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},"
               "{\"type\":\"GeometryCollection\",\"geometries\":[5]}]}",
               "at $.args[1].geometries[0]: expected a GeoJSON geometry object, found number 5");
    json_error("{\"op\":\"s_intersects\",\"args\":[{\"property\":\"g\"},\"POINT(1 2)\"]}",
               "at $.args[1]: expected a geometry (property, GeoJSON geometry or bbox) as an "
               "argument of \"s_intersects\", found string 'POINT(1 2)'");
}

/* ---------------------------------------------------------------- limits */

static void test_cql2_30_limits(void **state)
{
    (void)state;
    char *s = repeat("(", 10000, "", "a = 1");
    text_error(s, "the filter nests deeper than 64 levels");
    free(s);
    s = repeat("(", 10000, "", "");
    text_error(s, "nests deeper than 64 levels");
    free(s);
    s = repeat("NOT ", 10000, "", "a = 1");
    text_error(s, "nests deeper than 64 levels");
    free(s);
    s = repeat("-", 10000, "a = ", "1");
    text_error(s, "nests deeper than 64 levels");
    free(s);
    s = repeat("2^", 10000, "a = ", "1");
    text_error(s, "nests deeper than 64 levels");
    free(s);
    s = repeat("CASEI(", 10000, "", "");
    text_error(s, "nests deeper than 64 levels");
    free(s);
    s = repeat("GEOMETRYCOLLECTION(", 1000, "S_INTERSECTS(g, ", "");
    text_error(s, "nests deeper than 64 levels");
    free(s);
    /* A long left-associative chain makes a deep tree, though the parser does not recurse. */
    s = repeat(" + 1", 100, "x = 1", "");
    text_error(s, "at character 5: the filter nests deeper than 64 levels");
    free(s);
    /* ... while 50 levels are fine. */
    s = repeat(" + 1", 50, "x = 1", "");
    struct pm_error err = {0};
    struct pm_cql_node *n = pm_cql_parse_text(s, strlen(s), &err);
    assert_non_null(n);
    pm_cql_free(n);
    free(s);
    s = repeat("(", 60, "", "a = 1");
    char *t = repeat(")", 60, s, "");
    n = pm_cql_parse_text(t, strlen(t), &err);
    assert_non_null(n);
    pm_cql_free(n);
    free(s);
    free(t);
    /* Many operands of one AND do not nest. */
    s = repeat(" AND a = 1", 1000, "a = 1", "");
    n = pm_cql_parse_text(s, strlen(s), &err);
    assert_non_null(n);
    assert_int_equal(n->n_args, 1001);
    pm_cql_free(n);
    free(s);
    s = repeat(", 1", 5000, "x IN (1", ")");
    text_error(s, "the filter is too complex: more than 4096 nodes");
    free(s);
    s = repeat(" ", PM_CQL_MAX_INPUT, "a = 1", "");
    text_error(s, "filter: the filter is 65541 bytes long; at most 65536 are accepted");
    json_error(s, "filter: the filter is 65541 bytes long; at most 65536 are accepted");
    free(s);
    s = repeat("[", 10000, "", "");
    json_error(s, "at character 137: the filter nests deeper than 64 levels");
    free(s);
    s = repeat("{\"op\":\"not\",\"args\":[", 100, "", "true");
    t = repeat("]}", 100, s, "");
    json_error(t, "the filter nests deeper than 64 levels");
    free(s);
    free(t);
    s = repeat("{\"op\":\"not\",\"args\":[", 60, "", "true");
    t = repeat("]}", 60, s, "");
    n = pm_cql_parse_json(t, strlen(t), &err);
    assert_non_null(n);
    pm_cql_free(n);
    free(s);
    free(t);
    s = repeat(",1", 5000, "{\"op\":\"in\",\"args\":[{\"property\":\"x\"},[1", "]]}");
    json_error(s, "the filter is too complex: more than 4096 nodes");
    free(s);
    s = repeat("{\"op\":\"+\",\"args\":[1,", 100, "{\"op\":\"=\",\"args\":[{\"property\":\"x\"},",
               "1");
    t = repeat("]}", 101, s, "");
    json_error(t, "nests deeper than 64 levels");
    free(s);
    free(t);
    /* Brackets inside strings do not count as nesting. */
    s = repeat("[", 1000, "{\"op\":\"=\",\"args\":[{\"property\":\"x\"},\"", "\"]}");
    n = pm_cql_parse_json(s, strlen(s), &err);
    assert_non_null(n);
    pm_cql_free(n);
    free(s);
}

static void test_cql2_31_op_names(void **state)
{
    (void)state;
    assert_string_equal(pm_cql_op_name(PM_CQL_OP_EQ), "=");
    assert_string_equal(pm_cql_op_name(PM_CQL_OP_NE), "<>");
    assert_string_equal(pm_cql_op_name(PM_CQL_OP_INTDIV), "div");
    assert_string_equal(pm_cql_op_name(PM_CQL_S_INTERSECTS), "s_intersects");
    assert_string_equal(pm_cql_op_name(PM_CQL_T_STARTS), "t_starts");
    for (int a = PM_CQL_OP_EQ; a <= PM_CQL_T_STARTS; a++) {
        assert_true(strlen(pm_cql_op_name((enum pm_cql_op)a)) > 0);
        for (int b = a + 1; b <= PM_CQL_T_STARTS; b++)
            assert_string_not_equal(pm_cql_op_name((enum pm_cql_op)a),
                                    pm_cql_op_name((enum pm_cql_op)b));
    }
    pm_cql_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cql2_01_comparisons),
        cmocka_unit_test(test_cql2_02_logical),
        cmocka_unit_test(test_cql2_03_like_between_in_null),
        cmocka_unit_test(test_cql2_04_arithmetic),
        cmocka_unit_test(test_cql2_05_spatial),
        cmocka_unit_test(test_cql2_06_temporal),
        cmocka_unit_test(test_cql2_07_mixed),
        cmocka_unit_test(test_cql2_10_precedence),
        cmocka_unit_test(test_cql2_11_literals),
        cmocka_unit_test(test_cql2_12_positions),
        cmocka_unit_test(test_cql2_13_wkt),
        cmocka_unit_test(test_cql2_14_geojson),
        cmocka_unit_test(test_cql2_15_timestamps),
        cmocka_unit_test(test_cql2_20_text_errors),
        cmocka_unit_test(test_cql2_21_function_errors),
        cmocka_unit_test(test_cql2_22_bytes),
        cmocka_unit_test(test_cql2_23_json_errors),
        cmocka_unit_test(test_cql2_30_limits),
        cmocka_unit_test(test_cql2_31_op_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
