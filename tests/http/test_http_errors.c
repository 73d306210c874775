/*
 * test_http_errors: what the server answers to requests it cannot serve. Malformed or
 * unknown query parameters are 400 (OGC 17-069r4 /req/core/query-param-unknown,
 * /req/core/query-param-invalid), unknown collections, features and paths are 404, and any
 * method but GET, HEAD and OPTIONS is 405 with an Allow header. Every error is a JSON body
 * {"code": ..., "description": ...} with Content-Type application/json, and a 400's
 * description names the parameter at fault, so a client can tell what to fix.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct th_server srv;
static const char *fixture_db;

static int setup(void **state)
{
    (void)state;
    return th_server_start(&srv, fixture_db, 2, 2);
}

static int teardown(void **state)
{
    (void)state;
    th_server_stop(&srv);
    return 0;
}

/* Assert that r is an error with this status whose JSON body has a code and a description
 * containing `names` (unless NULL). */
static void assert_error(const char *what, struct th_resp *r, long status, const char *names)
{
    if (r->status != status)
        fail_msg("%s: status %ld, expected %ld; body: %.300s", what, r->status, status, r->body);
    th_assert_header_prefix(r, "Content-Type", "application/json");
    th_assert_header_prefix(r, "Access-Control-Allow-Origin", "*");
    json_t *j = th_json(r);
    const char *code = json_string_value(json_object_get(j, "code"));
    const char *desc = json_string_value(json_object_get(j, "description"));
    if (!code || !*code || !desc || !*desc)
        fail_msg("%s: the error body lacks code or description: %s", what, r->body);
    if (names && !strstr(desc, names))
        fail_msg("%s: the description '%s' does not name '%s'", what, desc, names);
    json_decref(j);
}

static void expect_error(const char *url, long status, const char *names)
{
    struct th_resp r;
    th_get(&srv, url, &r);
    assert_error(url, &r, status, names);
    th_resp_fini(&r);
}

static void test_http_errors_bad_parameters(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        const char *names;
    } cases[] = {
        {"/collections/cities/items?foo=1", "foo"},
        {"/collections/cities/items?limit=unlimited", "limit"},
        {"/collections/cities/items?limit=0", "limit"},
        {"/collections/cities/items?limit=-1", "limit"},
        {"/collections/cities/items?limit=1.5", "limit"},
        {"/collections/cities/items?limit=", "limit"},
        {"/collections/cities/items?offset=-1", "offset"},
        {"/collections/cities/items?offset=abc", "offset"},
        {"/collections/cities/items?bbox=1,2,3", "bbox"},
        {"/collections/cities/items?bbox=1,2,3,4,5", "bbox"},
        {"/collections/cities/items?bbox=a,b,c,d", "bbox"},
        {"/collections/cities/items?bbox=", "bbox"},
        {"/collections/cities/items?bbox=0,80,10,95", "bbox"},
        {"/collections/cities/items?bbox=0,-95,10,0", "bbox"},
        {"/collections/cities/items?bbox=170,0,190,10", "bbox"},
        {"/collections/cities/items?bbox=0,10,10,5", "bbox"},
        {"/collections/cities/items?bbox=1,,3,4", "bbox"},
        {"/collections/cities/items?bbox=nan,0,10,10", "bbox"},
        {"/collections/cities/items?datetime=garbage", "datetime"},
        {"/collections/cities/items?datetime=2001-13-01", "datetime"},
        {"/collections/cities/items?datetime=2001-02-29", "datetime"},
        {"/collections/cities/items?datetime=1979-05-01T25:00:00Z", "datetime"},
        {"/collections/cities/items?datetime=1979-05-01T12:00:00", "datetime"},
        {"/collections/cities/items?datetime=../..", "datetime"},
        {"/collections/cities/items?datetime=1980/1970", "datetime"},
        {"/collections/cities/items?datetime=P2D/1980", "datetime"},
        {"/collections/cities/items?datetime=1980/1981/1982", "datetime"},
        {"/collections/cities/items?f=xml", "f"},
        {"/collections/cities/items?limit=1&limit=2", "limit"},
        {"/collections/cities/items?country=JP&country=CN", "country"},
        {"/collections/cities/items?country=", "country"},
        {"/collections/cities/items?country=%FF", NULL},
        /* A filter of another collection is unknown here. */
        {"/collections/partnerships/items?country=CN", "country"},
        {"/collections/cities/items?kind=sister", "kind"},
        /* Parameter names are case-sensitive. */
        {"/collections/cities/items?LIMIT=1", "LIMIT"},
        /* Resources without query parameters but f. */
        {"/?foo=1", "foo"},
        {"/conformance?limit=1", "limit"},
        {"/api?f=yaml", "f"},
        {"/collections?bbox=0,0,1,1", "bbox"},
        {"/collections/cities?limit=1", "limit"},
        {"/collections/cities/items/cn-dalian?limit=1", "limit"},
        {"/collections/cities/items/cn-dalian?f=json&f=html", "f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].url, 400, cases[i].names);
}

/* More than the server's limit of query parameters, and a parameter without a name. */
static void test_http_errors_odd_query_strings(void **state)
{
    (void)state;
    char url[2048];
    size_t len = (size_t)snprintf(url, sizeof url, "/collections/cities/items?");
    for (int i = 0; i < 80; i++)
        len += (size_t)snprintf(url + len, sizeof url - len, "%sp%d=1", i ? "&" : "", i);
    expect_error(url, 400, NULL);
    expect_error("/collections/cities/items?=1", 400, NULL);
}

static void test_http_errors_not_found(void **state)
{
    (void)state;
    expect_error("/nope", 404, NULL);
    expect_error("/collections/nope", 404, "nope");
    expect_error("/collections/nope/items", 404, "nope");
    expect_error("/collections/nope/items/cn-dalian", 404, "nope");
    expect_error("/collections/cities/items/nope", 404, "nope");
    /* A feature of another collection is not in this one. */
    expect_error("/collections/cities/items/dalian--kitakyushu", 404, NULL);
    expect_error("/collections/cities/nope", 404, NULL);
    expect_error("/collections/cities/items/cn-dalian/more", 404, NULL);
    expect_error("/collections//items", 404, NULL);
    expect_error("/collections/%FF", 400, NULL);
    /* Errors are JSON even when HTML was asked for. */
    expect_error("/collections/cities/items/nope?f=html", 404, NULL);
}

static void test_http_errors_methods(void **state)
{
    (void)state;
    const char *methods[] = {"POST", "PUT", "DELETE", "PATCH"};
    const char *paths[] = {"/",
                           "/conformance",
                           "/api",
                           "/collections",
                           "/collections/cities",
                           "/collections/cities/items",
                           "/collections/cities/items/cn-dalian"};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
            char what[128];
            struct th_resp r;
            snprintf(what, sizeof what, "%s %s", methods[m], paths[p]);
            /* With and without a request body. */
            for (int with_body = 0; with_body <= 1; with_body++) {
                th_request(&srv, methods[m], paths[p], NULL,
                           with_body ? "{\"type\":\"Feature\"}" : NULL, &r);
                assert_error(what, &r, 405, NULL);
                char *allow = th_header(&r, "Allow");
                if (!allow)
                    fail_msg("%s: 405 without Allow", what);
                if (!strstr(allow, "GET") || !strstr(allow, "HEAD") || !strstr(allow, "OPTIONS"))
                    fail_msg("%s: Allow is '%s'", what, allow);
                free(allow);
                th_resp_fini(&r);
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DB\n", argv[0]);
        return 2;
    }
    fixture_db = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_errors_bad_parameters),
        cmocka_unit_test(test_http_errors_odd_query_strings),
        cmocka_unit_test(test_http_errors_not_found),
        cmocka_unit_test(test_http_errors_methods),
    };
    th_global_init();
    int rc = cmocka_run_group_tests_name("test_http_errors", tests, setup, teardown);
    th_global_fini();
    return rc;
}
