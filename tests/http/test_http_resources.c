/*
 * test_http_resources: every resource of the API answers 200 with the right media type —
 * the landing page, /conformance, /api, /collections, each of the five collections, their
 * items and one feature of each — as JSON by default and as HTML when asked with f=html or
 * with Accept: text/html. It checks the documents' content against the fixture: the landing
 * page's links, the conformance classes, the OpenAPI paths and parameters of every items
 * path, that /collections/{id} is exactly its entry in /collections, and the spatial and
 * temporal extents. Queries on items (paging, bbox, datetime, filters) are
 * test_http_items; errors are test_http_errors.
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

#define TYPE_JSON "application/json"
#define TYPE_GEOJSON "application/geo+json"
#define TYPE_OPENAPI "application/vnd.oai.openapi+json;version=3.0"
#define TYPE_HTML "text/html"

static struct th_server srv;
static const char *fixture_db;

/* Every resource, with the media type of its JSON form. */
struct resource {
    char path[128];
    const char *type;
};

static size_t all_resources(struct resource *out, size_t max)
{
    size_t n = 0;
    const struct resource fixed[] = {{"/", TYPE_JSON},
                                     {"/conformance", TYPE_JSON},
                                     {"/api", TYPE_OPENAPI},
                                     {"/collections", TYPE_JSON}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        out[n++] = fixed[i];
    for (size_t i = 0; i < TH_N_COLLECTIONS && n + 3 <= max; i++) {
        const struct th_collection *c = &th_collections[i];
        snprintf(out[n].path, sizeof out[n].path, "/collections/%s", c->id);
        out[n++].type = TYPE_JSON;
        snprintf(out[n].path, sizeof out[n].path, "/collections/%s/items", c->id);
        out[n++].type = TYPE_GEOJSON;
        snprintf(out[n].path, sizeof out[n].path, "/collections/%s/items/%s", c->id, c->feature);
        out[n++].type = TYPE_GEOJSON;
    }
    return n;
}

static int setup(void **state)
{
    (void)state;
    return th_server_start(&srv, fixture_db, 4, 2);
}

static int teardown(void **state)
{
    (void)state;
    th_server_stop(&srv);
    return 0;
}

/* Every resource: 200 and its JSON media type, with no f and with f=json. */
static void test_http_resources_json_types(void **state)
{
    (void)state;
    struct resource res[32];
    size_t n = all_resources(res, 32);
    assert_int_equal(n, 4 + 3 * TH_N_COLLECTIONS);
    for (size_t i = 0; i < n; i++) {
        char url[160];
        json_decref(th_get_json(&srv, res[i].path, 200, res[i].type));
        snprintf(url, sizeof url, "%.127s?f=json", res[i].path);
        json_decref(th_get_json(&srv, url, 200, res[i].type));
    }
}

/* Every resource as HTML: f=html, and Accept: text/html as a browser sends it. */
static void test_http_resources_html_types(void **state)
{
    (void)state;
    struct resource res[32];
    size_t n = all_resources(res, 32);
    const char *const browser[] = {
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", NULL};
    for (size_t i = 0; i < n; i++) {
        char url[160];
        struct th_resp r;
        snprintf(url, sizeof url, "%.127s?f=html", res[i].path);
        th_get(&srv, url, &r);
        if (r.status != 200)
            fail_msg("GET %s: status %ld", url, r.status);
        th_assert_header_prefix(&r, "Content-Type", TYPE_HTML);
        assert_non_null(strstr(r.body, "<html"));
        th_resp_fini(&r);

        th_request(&srv, "GET", res[i].path, browser, NULL, &r);
        if (r.status != 200)
            fail_msg("GET %s (Accept: text/html): status %ld", res[i].path, r.status);
        th_assert_header_prefix(&r, "Content-Type", TYPE_HTML);
        assert_non_null(strstr(r.body, "<html"));
        th_resp_fini(&r);
    }
}

/* f=json wins over Accept: text/html (the parameter is explicit). */
static void test_http_resources_f_beats_accept(void **state)
{
    (void)state;
    const char *const browser[] = {"Accept: text/html", NULL};
    struct th_resp r;
    th_request(&srv, "GET", "/collections/cities/items?f=json", browser, NULL, &r);
    assert_int_equal(r.status, 200);
    th_assert_header_prefix(&r, "Content-Type", TYPE_GEOJSON);
    th_resp_fini(&r);
}

static void assert_link(json_t *links, const char *rel, const char *type)
{
    json_t *l = th_link(links, rel, type);
    if (!l)
        fail_msg("no link rel=%s%s%s", rel, type ? " type=" : "", type ? type : "");
    const char *href = json_string_value(json_object_get(l, "href"));
    assert_non_null(href);
    assert_true(!strncmp(href, srv.base, strlen(srv.base)));
}

/* The landing page links to itself, the API definition and documentation, the conformance
 * declaration and the collections (OGC 17-069r4 /req/core/root-success), and each link
 * leads to a resource that answers 200 in the type the link states. */
static void test_http_resources_landing(void **state)
{
    (void)state;
    json_t *doc = th_get_json(&srv, "/", 200, TYPE_JSON);
    json_t *links = json_object_get(doc, "links");
    assert_true(json_is_array(links));
    assert_link(links, "self", NULL);
    assert_link(links, "service-desc", TYPE_OPENAPI);
    assert_link(links, "service-doc", NULL);
    assert_link(links, "conformance", NULL);
    assert_link(links, "data", NULL);
    assert_non_null(json_string_value(json_object_get(doc, "title")));

    const char *rels[] = {"self", "service-desc", "service-doc", "conformance", "data"};
    for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++) {
        json_t *l = th_link(links, rels[i], NULL);
        const char *href = json_string_value(json_object_get(l, "href"));
        const char *type = json_string_value(json_object_get(l, "type"));
        struct th_resp r;
        th_get(&srv, href, &r);
        if (r.status != 200)
            fail_msg("link %s -> %s: status %ld", rels[i], href, r.status);
        if (type)
            th_assert_header_prefix(&r, "Content-Type", type);
        th_resp_fini(&r);
    }
    json_decref(doc);
}

static void test_http_resources_conformance(void **state)
{
    (void)state;
    const char *want[] = {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    };
    json_t *doc = th_get_json(&srv, "/conformance", 200, TYPE_JSON);
    json_t *list = json_object_get(doc, "conformsTo");
    assert_true(json_is_array(list));
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int found = 0;
        size_t k;
        json_t *v;
        json_array_foreach(list, k, v) found |= !strcmp(json_string_value(v), want[i]);
        if (!found)
            fail_msg("conformsTo lacks %s", want[i]);
    }
    json_decref(doc);
}

/* A parameter of an OpenAPI operation, with a $ref into components resolved. */
static json_t *resolve_param(json_t *api, json_t *p)
{
    const char *ref = json_string_value(json_object_get(p, "$ref"));
    if (!ref)
        return p;
    const char *prefix = "#/components/parameters/";
    assert_true(!strncmp(ref, prefix, strlen(prefix)));
    json_t *target = json_object_get(
        json_object_get(json_object_get(api, "components"), "parameters"), ref + strlen(prefix));
    if (!target)
        fail_msg("dangling $ref %s", ref);
    return target;
}

static int has_query_param(json_t *api, json_t *params, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p)
    {
        json_t *r = resolve_param(api, p);
        const char *n = json_string_value(json_object_get(r, "name"));
        const char *in = json_string_value(json_object_get(r, "in"));
        if (n && in && !strcmp(n, name) && !strcmp(in, "query"))
            return 1;
    }
    return 0;
}

/* /api is an OpenAPI 3.0.x document that describes every path, and each collection's items
 * path lists the generic parameters and that collection's equality filters
 * (sql/collections.sql). */
static void test_http_resources_openapi(void **state)
{
    (void)state;
    json_t *api = th_get_json(&srv, "/api", 200, TYPE_OPENAPI);
    const char *version = json_string_value(json_object_get(api, "openapi"));
    assert_non_null(version);
    assert_true(!strncmp(version, "3.0.", 4));
    assert_non_null(json_object_get(json_object_get(api, "info"), "title"));
    json_t *paths = json_object_get(api, "paths");
    assert_true(json_is_object(paths));
    const char *fixed[] = {"/", "/conformance", "/api", "/collections"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!json_object_get(json_object_get(paths, fixed[i]), "get"))
            fail_msg("paths lacks GET %s", fixed[i]);
    for (size_t i = 0; i < TH_N_COLLECTIONS; i++) {
        const struct th_collection *c = &th_collections[i];
        char path[160];
        snprintf(path, sizeof path, "/collections/%s", c->id);
        if (!json_object_get(json_object_get(paths, path), "get"))
            fail_msg("paths lacks GET %s", path);
        snprintf(path, sizeof path, "/collections/%s/items/{featureId}", c->id);
        if (!json_object_get(json_object_get(paths, path), "get"))
            fail_msg("paths lacks GET %s", path);
        snprintf(path, sizeof path, "/collections/%s/items", c->id);
        json_t *get = json_object_get(json_object_get(paths, path), "get");
        if (!get)
            fail_msg("paths lacks GET %s", path);
        json_t *params = json_object_get(get, "parameters");
        assert_true(json_is_array(params));
        const char *generic[] = {"limit", "offset", "bbox", "datetime", "f"};
        for (size_t k = 0; k < sizeof generic / sizeof generic[0]; k++)
            if (!has_query_param(api, params, generic[k]))
                fail_msg("%s lacks parameter %s", path, generic[k]);
        for (size_t k = 0; c->filters[k]; k++)
            if (!has_query_param(api, params, c->filters[k]))
                fail_msg("%s lacks parameter %s", path, c->filters[k]);
        assert_non_null(json_object_get(json_object_get(get, "responses"), "200"));
    }
    json_decref(api);
}

/* /collections lists the five collections, each with an items link; /collections/{id} is
 * JSON-equal to its entry (OGC 17-069r4 /req/core/sfc-md-success). */
static void test_http_resources_collections(void **state)
{
    (void)state;
    json_t *doc = th_get_json(&srv, "/collections", 200, TYPE_JSON);
    json_t *list = json_object_get(doc, "collections");
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), TH_N_COLLECTIONS);
    assert_non_null(th_link(json_object_get(doc, "links"), "self", NULL));
    for (size_t i = 0; i < TH_N_COLLECTIONS; i++) {
        const struct th_collection *c = &th_collections[i];
        json_t *entry = NULL;
        size_t k;
        json_t *v;
        json_array_foreach(
            list, k, v) if (!strcmp(json_string_value(json_object_get(v, "id")), c->id)) entry = v;
        if (!entry)
            fail_msg("/collections lacks %s", c->id);
        assert_non_null(th_link(json_object_get(entry, "links"), "items", TYPE_GEOJSON));
        assert_non_null(th_link(json_object_get(entry, "links"), "self", NULL));
        char path[128];
        snprintf(path, sizeof path, "/collections/%s", c->id);
        json_t *one = th_get_json(&srv, path, 200, TYPE_JSON);
        if (!json_equal(one, entry)) {
            char *a = json_dumps(one, JSON_COMPACT), *b = json_dumps(entry, JSON_COMPACT);
            fprintf(stderr, "%s:\n%s\nentry in /collections:\n%s\n", path, a, b);
            free(a);
            free(b);
            fail_msg("%s differs from its entry in /collections", path);
        }
        json_decref(one);
    }
    json_decref(doc);
}

/* The spatial extent of cities contains every city; the temporal extent of partnerships is
 * from the earliest to the latest establishment in the fixture. */
static void test_http_resources_extents(void **state)
{
    (void)state;
    json_t *col = th_get_json(&srv, "/collections/cities", 200, TYPE_JSON);
    json_t *bbox = json_array_get(
        json_object_get(json_object_get(json_object_get(col, "extent"), "spatial"), "bbox"), 0);
    assert_int_equal(json_array_size(bbox), 4);
    double b[4];
    for (size_t i = 0; i < 4; i++)
        b[i] = json_number_value(json_array_get(bbox, i));
    json_t *fc = th_get_json(&srv, "/collections/cities/items?limit=100", 200, TYPE_GEOJSON);
    json_t *features = json_object_get(fc, "features");
    assert_int_equal(json_array_size(features), 7);
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f)
    {
        json_t *xy = json_object_get(json_object_get(f, "geometry"), "coordinates");
        double x = json_number_value(json_array_get(xy, 0));
        double y = json_number_value(json_array_get(xy, 1));
        if (!(x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]))
            fail_msg("%s (%g %g) lies outside the extent [%g %g %g %g]",
                     json_string_value(json_object_get(f, "id")), x, y, b[0], b[1], b[2], b[3]);
    }
    json_decref(fc);
    json_decref(col);

    col = th_get_json(&srv, "/collections/partnerships", 200, TYPE_JSON);
    json_t *interval = json_array_get(
        json_object_get(json_object_get(json_object_get(col, "extent"), "temporal"), "interval"),
        0);
    assert_int_equal(json_array_size(interval), 2);
    assert_string_equal(json_string_value(json_array_get(interval, 0)), "1973-11-30");
    assert_string_equal(json_string_value(json_array_get(interval, 1)), "1986-10-23");
    json_decref(col);
}

/* One feature: a GeoJSON Feature with its id, its geometry, and its self link. */
static void test_http_resources_feature(void **state)
{
    (void)state;
    for (size_t i = 0; i < TH_N_COLLECTIONS; i++) {
        const struct th_collection *c = &th_collections[i];
        char path[160];
        snprintf(path, sizeof path, "/collections/%s/items/%s", c->id, c->feature);
        json_t *f = th_get_json(&srv, path, 200, TYPE_GEOJSON);
        assert_string_equal(json_string_value(json_object_get(f, "type")), "Feature");
        assert_string_equal(json_string_value(json_object_get(f, "id")), c->feature);
        assert_true(json_is_object(json_object_get(f, "geometry")));
        assert_true(json_is_object(json_object_get(f, "properties")));
        const char *self = th_link_href(json_object_get(f, "links"), "self", NULL);
        assert_non_null(self);
        char want[256];
        snprintf(want, sizeof want, "%s%s", srv.base, path);
        assert_string_equal(self, want);
        json_decref(f);
    }
    json_t *f = th_get_json(&srv, "/collections/partnerships/items/chongqing--hiroshima", 200,
                            TYPE_GEOJSON);
    json_t *p = json_object_get(f, "properties");
    assert_string_equal(json_string_value(json_object_get(p, "cn_city")), "cn-chongqing");
    assert_string_equal(json_string_value(json_object_get(p, "jp_city")), "jp-hiroshima");
    assert_string_equal(json_string_value(json_object_get(p, "established")), "1986-10-23");
    /* The notes field of the fixture holds a comma, a quote and a line break. */
    assert_string_equal(json_string_value(json_object_get(p, "notes")),
                        "A note with a comma, a \"quote\"\nand a line break, for the CSV reader.");
    assert_string_equal(json_string_value(json_object_get(json_object_get(f, "geometry"), "type")),
                        "LineString");
    json_decref(f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DB\n", argv[0]);
        return 2;
    }
    fixture_db = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_resources_json_types),
        cmocka_unit_test(test_http_resources_html_types),
        cmocka_unit_test(test_http_resources_f_beats_accept),
        cmocka_unit_test(test_http_resources_landing),
        cmocka_unit_test(test_http_resources_conformance),
        cmocka_unit_test(test_http_resources_openapi),
        cmocka_unit_test(test_http_resources_collections),
        cmocka_unit_test(test_http_resources_extents),
        cmocka_unit_test(test_http_resources_feature),
    };
    th_global_init();
    int rc = cmocka_run_group_tests_name("test_http_resources", tests, setup, teardown);
    th_global_fini();
    return rc;
}
