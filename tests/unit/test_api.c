/*
 * Unit tests of api/ (the router and its handlers), calling pm_api_handle directly with a
 * store opened on the fixture database, as http/ would but without a socket. They check what
 * a client sees: the status and content type of every route (with and without a trailing
 * slash), 404 with a message for unknown paths, collections and features, 405 with Allow,
 * OPTIONS, format negotiation by f and by Accept, 400 for a bad f or a bad items parameter,
 * ETags (304 on If-None-Match, a new tag for a new query) and the items stream, which is
 * read until it returns 0 and then freed, and which holds its database session only until
 * the last row is read.
 */
#include "api/api.h"
#include "store/spatialite/spatialite.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#ifndef PM_FIXTURE_DB
#error "PM_FIXTURE_DB must name the fixture database"
#endif

#define BASE "http://test.example:8080"
#define TYPE_JSON "application/json"
#define TYPE_GEOJSON "application/geo+json"
#define TYPE_HTML "text/html; charset=utf-8"
#define TYPE_OPENAPI "application/vnd.oai.openapi+json;version=3.0"

static struct pm_store *store;
static struct pm_api *api;

/* What one call of pm_api_handle gave: rc, the response (its stream drained into body) and
 * the error. */
struct result {
    int rc;
    struct pm_response resp;
    struct pm_error err;
    struct pm_strbuf body;
};

/* A request: method and path, then key/value pairs; accept and inm may be NULL. */
struct req {
    enum pm_method method;
    const char *path;
    const struct pm_kv *args;
    size_t n_args;
    const char *accept;
    const char *inm;
    const char *host;
};

/* Read a stream to its end in pieces of at most `chunk` bytes, then free it. */
static void drain(struct pm_stream *s, struct pm_strbuf *out, size_t chunk)
{
    char buf[65536];
    assert_true(chunk <= sizeof buf);
    for (int guard = 0;; guard++) {
        ssize_t n = s->read(s->ctx, buf, chunk);
        assert_true(n >= 0);
        assert_true((size_t)n <= chunk);
        if (n == 0)
            break;
        pm_strbuf_append(out, buf, (size_t)n);
        if (guard > 10000000)
            fail_msg("the stream never ends");
    }
    s->free(s->ctx);
}

static void call_with(struct pm_api *a, const struct req *rq, struct result *r, size_t chunk)
{
    struct pm_request req = {
        .method = rq->method,
        .path = rq->path,
        .args = rq->args,
        .n_args = rq->n_args,
        .accept = rq->accept,
        .if_none_match = rq->inm,
        .host = rq->host,
        .request_id = "test",
    };
    memset(&r->err, 0, sizeof r->err);
    pm_response_init(&r->resp);
    pm_strbuf_init(&r->body);
    r->rc = pm_api_handle(a, &req, &r->resp, &r->err);
    if (r->rc == 0 && r->resp.stream.read) {
        assert_int_equal(r->resp.body.len, 0);
        drain(&r->resp.stream, &r->body, chunk);
    } else if (r->resp.body.data) {
        pm_strbuf_append(&r->body, r->resp.body.data, r->resp.body.len);
    } else {
        pm_strbuf_append(&r->body, "", 0);
    }
}

static void call(const struct req *rq, struct result *r)
{
    call_with(api, rq, r, 4096);
}

static void result_fini(struct result *r)
{
    pm_response_fini(&r->resp);
    pm_strbuf_fini(&r->body);
}

static struct req get(const char *path)
{
    return (struct req){.method = PM_METHOD_GET, .path = path};
}

/* GET path with args, expecting 200 and content type `type`. */
static void expect_ok(struct req rq, const char *type, struct result *r)
{
    call(&rq, r);
    if (r->rc != 0)
        fail_msg("%s: error %d %s", rq.path, r->err.status, r->err.message);
    assert_int_equal(r->resp.status, 200);
    assert_non_null(r->resp.content_type);
    if (strcmp(r->resp.content_type, type))
        fail_msg("%s: content type %s, want %s", rq.path, r->resp.content_type, type);
}

/* Expect pm_api_handle to fail with status; return nothing, check the message contains
 * `want` (NULL: any). */
static void expect_error(struct req rq, int status, const char *want)
{
    struct result r;
    call(&rq, &r);
    if (r.rc != -1)
        fail_msg("%s: answered %d, want error %d", rq.path, r.resp.status, status);
    assert_int_equal(r.err.status, status);
    assert_non_null(r.err.code);
    assert_true(r.err.message[0] != '\0');
    if (want && !strstr(r.err.message, want))
        fail_msg("%s: message '%s' does not say '%s'", rq.path, r.err.message, want);
    result_fini(&r);
}

static json_t *body_json(const struct result *r)
{
    json_error_t jerr;
    json_t *doc = json_loadb(r->body.data, r->body.len, 0, &jerr);
    if (!doc)
        fail_msg("body is not JSON (%s at %d): %.200s", jerr.text, jerr.position, r->body.data);
    return doc;
}

/* The href of the first link with rel (and type, if given), or NULL. */
static const char *link_href(json_t *links, const char *rel, const char *type)
{
    size_t i;
    json_t *l;
    json_array_foreach(links, i, l)
    {
        const char *lr = json_string_value(json_object_get(l, "rel"));
        const char *lt = json_string_value(json_object_get(l, "type"));
        if (lr && !strcmp(lr, rel) && (!type || (lt && !strcmp(lt, type))))
            return json_string_value(json_object_get(l, "href"));
    }
    return NULL;
}

/* --- routes --------------------------------------------------------------------------- */

static void landing(void **state)
{
    (void)state;
    struct result r;
    expect_ok(get("/"), TYPE_JSON, &r);
    json_t *doc = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "title")), "partnermap");
    json_t *links = json_object_get(doc, "links");
    assert_string_equal(link_href(links, "self", NULL), BASE "/?f=json");
    assert_string_equal(link_href(links, "service-desc", NULL), BASE "/api");
    assert_string_equal(link_href(links, "conformance", NULL), BASE "/conformance");
    assert_string_equal(link_href(links, "data", NULL), BASE "/collections");
    assert_true(strlen(r.resp.etag) > 0);
    json_decref(doc);
    result_fini(&r);
}

static void conformance(void **state)
{
    (void)state;
    struct result r;
    expect_ok(get("/conformance"), TYPE_JSON, &r);
    json_t *doc = body_json(&r);
    json_t *list = json_object_get(doc, "conformsTo");
    int core = 0, geojson = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        core |= !strcmp(s, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core");
        geojson |= !strcmp(s, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson");
    }
    assert_true(core);
    assert_true(geojson);
    json_decref(doc);
    result_fini(&r);
}

static void openapi(void **state)
{
    (void)state;
    struct result r;
    expect_ok(get("/api"), TYPE_OPENAPI, &r);
    json_t *doc = body_json(&r);
    const char *version = json_string_value(json_object_get(doc, "openapi"));
    assert_non_null(version);
    assert_true(!strncmp(version, "3.0", 3));
    assert_non_null(json_object_get(json_object_get(doc, "paths"), "/collections"));
    json_decref(doc);
    result_fini(&r);
}

static void collections(void **state)
{
    (void)state;
    struct result r;
    expect_ok(get("/collections"), TYPE_JSON, &r);
    json_t *doc = body_json(&r);
    json_t *list = json_object_get(doc, "collections");
    static const char *const want[] = {"cities", "partnerships", "memberships", "pilot-sites",
                                       "events"};
    assert_int_equal(json_array_size(list), 5);
    for (size_t k = 0; k < 5; k++) {
        int found = 0;
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
            found |= !strcmp(json_string_value(json_object_get(c, "id")), want[k]);
        }
        if (!found)
            fail_msg("collection %s not listed", want[k]);
    }
    json_decref(doc);
    result_fini(&r);
}

static void collection(void **state)
{
    (void)state;
    struct result r;
    expect_ok(get("/collections/cities"), TYPE_JSON, &r);
    json_t *doc = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "cities");
    json_t *links = json_object_get(doc, "links");
    assert_string_equal(link_href(links, "items", TYPE_GEOJSON), BASE "/collections/cities/items");
    /* The fixture's cities lie between Chongqing (106.55278 E) and Yokohama (139.65 E). */
    json_t *bbox = json_array_get(
        json_object_get(json_object_get(json_object_get(doc, "extent"), "spatial"), "bbox"), 0);
    assert_true(json_real_value(json_array_get(bbox, 0)) == 106.55278);
    assert_true(json_real_value(json_array_get(bbox, 2)) == 139.65);
    json_decref(doc);
    result_fini(&r);
}

static void items(void **state)
{
    (void)state;
    struct result r;
    expect_ok(get("/collections/cities/items"), TYPE_GEOJSON, &r);
    json_t *doc = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "FeatureCollection");
    json_t *features = json_object_get(doc, "features");
    assert_int_equal(json_array_size(features), 7);
    assert_int_equal(json_integer_value(json_object_get(doc, "numberReturned")), 7);
    assert_int_equal(json_integer_value(json_object_get(doc, "numberMatched")), 7);
    /* Ordered by id. */
    assert_string_equal(json_string_value(json_object_get(json_array_get(features, 0), "id")),
                        "cn-chongqing");
    assert_string_equal(json_string_value(json_object_get(json_array_get(features, 6), "id")),
                        "jp-yokohama");
    assert_null(link_href(json_object_get(doc, "links"), "next", NULL));
    json_decref(doc);
    result_fini(&r);
}

static void item(void **state)
{
    (void)state;
    struct result r;
    expect_ok(get("/collections/cities/items/cn-dalian"), TYPE_GEOJSON, &r);
    json_t *doc = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "Feature");
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "cn-dalian");
    json_t *p = json_object_get(doc, "properties");
    assert_string_equal(json_string_value(json_object_get(p, "name_zh")), "大连市");
    assert_string_equal(json_string_value(json_object_get(p, "name_ja")), "大連市");
    assert_string_equal(json_string_value(json_object_get(p, "country")), "CN");
    assert_int_equal(json_integer_value(json_object_get(p, "geonames_id")), 1814087);
    json_t *coords = json_object_get(json_object_get(doc, "geometry"), "coordinates");
    assert_true(json_real_value(json_array_get(coords, 0)) == 121.60222);
    assert_true(json_real_value(json_array_get(coords, 1)) == 38.91222);
    assert_string_equal(link_href(json_object_get(doc, "links"), "self", NULL),
                        BASE "/collections/cities/items/cn-dalian");
    json_decref(doc);
    result_fini(&r);
}

static void trailing_slash(void **state)
{
    (void)state;
    struct result r;
    expect_ok(get("/collections/"), TYPE_JSON, &r);
    result_fini(&r);
    expect_ok(get("/conformance/"), TYPE_JSON, &r);
    result_fini(&r);
    expect_ok(get("/collections/cities/"), TYPE_JSON, &r);
    result_fini(&r);
    expect_ok(get("/collections/cities/items/"), TYPE_GEOJSON, &r);
    json_t *doc = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(doc, "numberReturned")), 7);
    json_decref(doc);
    result_fini(&r);
}

static void not_found(void **state)
{
    (void)state;
    expect_error(get("/nope"), 404, NULL);
    expect_error(get(""), 404, NULL);
    expect_error(get("/collectionsx"), 404, NULL);
    expect_error(get("/collections/cities/things"), 404, NULL);
    expect_error(get("/collections/cities/items/cn-dalian/more"), 404, NULL);
    expect_error(get("/collections/nope"), 404, "'nope'");
    expect_error(get("/collections/nope/items"), 404, "'nope'");
    expect_error(get("/collections/cities/items/cn-nowhere"), 404, "'cn-nowhere'");
    /* A feature of another collection is not in this one. */
    expect_error(get("/collections/partnerships/items/cn-dalian"), 404, "'cn-dalian'");
}

static void method_not_allowed(void **state)
{
    (void)state;
    struct req rq = get("/collections/cities/items");
    rq.method = PM_METHOD_OTHER;
    struct result r;
    call(&rq, &r);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.err.status, 405);
    assert_non_null(r.resp.allow);
    assert_non_null(strstr(r.resp.allow, "GET"));
    assert_non_null(strstr(r.resp.allow, "HEAD"));
    assert_non_null(strstr(r.resp.allow, "OPTIONS"));
    result_fini(&r);
    rq.path = "/";
    expect_error(rq, 405, NULL);
}

static void options(void **state)
{
    (void)state;
    struct req rq = get("/collections/cities/items");
    rq.method = PM_METHOD_OPTIONS;
    struct result r;
    call(&rq, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.resp.status, 204);
    assert_null(r.resp.stream.read);
    assert_int_equal(r.body.len, 0);
    assert_non_null(r.resp.allow);
    assert_non_null(strstr(r.resp.allow, "GET"));
    result_fini(&r);
}

static void head(void **state)
{
    (void)state;
    struct req rq = get("/collections/cities/items/cn-dalian");
    rq.method = PM_METHOD_HEAD;
    struct result r;
    call(&rq, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(r.resp.content_type, TYPE_GEOJSON);
    result_fini(&r);
}

/* --- formats -------------------------------------------------------------------------- */

static void html_by_f_and_accept(void **state)
{
    (void)state;
    static const char *const paths[] = {"/",
                                        "/conformance",
                                        "/collections",
                                        "/collections/cities",
                                        "/collections/cities/items",
                                        "/collections/cities/items/cn-dalian"};
    struct pm_kv f_html[] = {{"f", "html"}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct result r;
        struct req rq = get(paths[i]);
        rq.args = f_html;
        rq.n_args = 1;
        expect_ok(rq, TYPE_HTML, &r);
        assert_true(!strncmp(r.body.data, "<!DOCTYPE html>", 15));
        result_fini(&r);

        rq = get(paths[i]);
        rq.accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        expect_ok(rq, TYPE_HTML, &r);
        assert_true(!strncmp(r.body.data, "<!DOCTYPE html>", 15));
        result_fini(&r);
    }
}

static void f_wins_over_accept(void **state)
{
    (void)state;
    struct pm_kv f_json[] = {{"f", "json"}};
    struct req rq = get("/collections");
    rq.args = f_json;
    rq.n_args = 1;
    rq.accept = "text/html";
    struct result r;
    expect_ok(rq, TYPE_JSON, &r);
    result_fini(&r);

    rq = get("/collections");
    rq.accept = "application/json";
    expect_ok(rq, TYPE_JSON, &r);
    result_fini(&r);
}

static void html_item_escapes_data(void **state)
{
    (void)state;
    /* The partnership notes hold a quote: the page must show it escaped. */
    struct pm_kv f_html[] = {{"f", "html"}};
    struct req rq = get("/collections/partnerships/items/chongqing--hiroshima");
    rq.args = f_html;
    rq.n_args = 1;
    struct result r;
    expect_ok(rq, TYPE_HTML, &r);
    assert_non_null(strstr(r.body.data, "a &quot;quote&quot;"));
    assert_null(strstr(r.body.data, "a \"quote\""));
    result_fini(&r);
}

static void bad_format(void **state)
{
    (void)state;
    struct pm_kv f_xml[] = {{"f", "xml"}};
    static const char *const paths[] = {"/", "/collections", "/collections/cities/items",
                                        "/collections/cities/items/cn-dalian"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct req rq = get(paths[i]);
        rq.args = f_xml;
        rq.n_args = 1;
        expect_error(rq, 400, "xml");
    }
}

static void bad_parameters(void **state)
{
    (void)state;
    struct pm_kv limit[] = {{"limit", "5"}};
    struct req rq = get("/collections");
    rq.args = limit;
    rq.n_args = 1;
    expect_error(rq, 400, "'limit'"); /* not a parameter of /collections */
    rq.path = "/collections/cities/items/cn-dalian";
    expect_error(rq, 400, "'limit'");

    struct pm_kv zero[] = {{"limit", "0"}};
    rq = get("/collections/cities/items");
    rq.args = zero;
    rq.n_args = 1;
    expect_error(rq, 400, "limit");

    struct pm_kv kind[] = {{"kind", "sister"}};
    rq.args = kind;
    expect_error(rq, 400, "'kind'"); /* a filter of partnerships, not of cities */

    struct pm_kv bbox[] = {{"bbox", "1,2,3"}};
    rq.args = bbox;
    expect_error(rq, 400, "bbox");
}

/* --- items queries -------------------------------------------------------------------- */

/* numberMatched and numberReturned of GET /collections/<cid>/items?args. */
static void items_counts(const char *path, const struct pm_kv *args, size_t n, long long *matched,
                         long long *returned, json_t **doc_out)
{
    struct req rq = get(path);
    rq.args = args;
    rq.n_args = n;
    struct result r;
    expect_ok(rq, TYPE_GEOJSON, &r);
    json_t *doc = body_json(&r);
    *matched = json_integer_value(json_object_get(doc, "numberMatched"));
    *returned = json_integer_value(json_object_get(doc, "numberReturned"));
    assert_int_equal(json_array_size(json_object_get(doc, "features")), (size_t)*returned);
    if (doc_out)
        *doc_out = doc;
    else
        json_decref(doc);
    result_fini(&r);
}

static void items_paging(void **state)
{
    (void)state;
    long long m, n;
    json_t *doc;
    struct pm_kv first[] = {{"limit", "3"}};
    items_counts("/collections/cities/items", first, 1, &m, &n, &doc);
    assert_int_equal(m, 7);
    assert_int_equal(n, 3);
    json_t *links = json_object_get(doc, "links");
    /* Paging by key: the next page is the one after the last id of this one. */
    assert_string_equal(link_href(links, "next", NULL),
                        BASE "/collections/cities/items?limit=3&after=cn-shanghai&f=json");
    assert_null(link_href(links, "prev", NULL));
    json_decref(doc);

    struct pm_kv last[] = {{"limit", "3"}, {"offset", "6"}};
    items_counts("/collections/cities/items", last, 2, &m, &n, &doc);
    assert_int_equal(m, 7);
    assert_int_equal(n, 1);
    links = json_object_get(doc, "links");
    assert_null(link_href(links, "next", NULL));
    assert_string_equal(link_href(links, "prev", NULL),
                        BASE "/collections/cities/items?limit=3&before=jp-yokohama&f=json");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(doc, "features"), 0), "id")),
                        "jp-yokohama");
    json_decref(doc);

    /* The page before jp-yokohama, and the one before that, which starts at the first. */
    struct pm_kv back[] = {{"limit", "3"}, {"before", "jp-yokohama"}};
    items_counts("/collections/cities/items", back, 2, &m, &n, &doc);
    assert_int_equal(n, 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(doc, "features"), 0), "id")),
                        "cn-weihai");
    links = json_object_get(doc, "links");
    assert_string_equal(link_href(links, "prev", NULL),
                        BASE "/collections/cities/items?limit=3&before=cn-weihai&f=json");
    assert_string_equal(link_href(links, "next", NULL),
                        BASE "/collections/cities/items?limit=3&after=jp-kitakyushu&f=json");
    json_decref(doc);
    struct pm_kv front[] = {{"limit", "3"}, {"before", "cn-weihai"}};
    items_counts("/collections/cities/items", front, 2, &m, &n, &doc);
    assert_int_equal(n, 3);
    links = json_object_get(doc, "links");
    assert_null(link_href(links, "prev", NULL));
    json_decref(doc);

    struct pm_kv beyond[] = {{"offset", "100"}};
    items_counts("/collections/cities/items", beyond, 1, &m, &n, NULL);
    assert_int_equal(m, 7);
    assert_int_equal(n, 0);
}

static void items_filters_bbox_datetime(void **state)
{
    (void)state;
    long long m, n;
    struct pm_kv jp[] = {{"country", "JP"}};
    items_counts("/collections/cities/items", jp, 1, &m, &n, NULL);
    assert_int_equal(m, 3);
    /* Around Dalian only. */
    struct pm_kv bbox[] = {{"bbox", "121,38,122,39.5"}};
    items_counts("/collections/cities/items", bbox, 1, &m, &n, NULL);
    assert_int_equal(m, 1);
    /* Partnerships established in 1979 (Dalian–Kitakyushu, 1979-05-01), and up to 1980
     * (also Shanghai–Yokohama, 1973-11-30). */
    struct pm_kv y1979[] = {{"datetime", "1979"}};
    items_counts("/collections/partnerships/items", y1979, 1, &m, &n, NULL);
    assert_int_equal(m, 1);
    struct pm_kv until1980[] = {{"datetime", "../1980"}};
    items_counts("/collections/partnerships/items", until1980, 1, &m, &n, NULL);
    assert_int_equal(m, 2);
}

static void stream_in_small_pieces(void **state)
{
    (void)state;
    /* The same bytes whether the stream is read 7 bytes or 64 KiB at a time (but the
     * timeStamp, which may tick between the reads: compare up to it). */
    struct req rq = get("/collections/partnerships/items");
    struct result small, big;
    call_with(api, &rq, &small, 7);
    call_with(api, &rq, &big, 65536);
    assert_int_equal(small.rc, 0);
    assert_int_equal(big.rc, 0);
    const char *ts_small = strstr(small.body.data, "\"timeStamp\"");
    const char *ts_big = strstr(big.body.data, "\"timeStamp\"");
    assert_non_null(ts_small);
    assert_non_null(ts_big);
    assert_int_equal(ts_small - small.body.data, ts_big - big.body.data);
    assert_memory_equal(small.body.data, big.body.data, (size_t)(ts_big - big.body.data));
    assert_int_equal(small.body.len, big.body.len);
    json_t *doc = body_json(&small);
    assert_int_equal(json_integer_value(json_object_get(doc, "numberReturned")), 3);
    json_decref(doc);
    result_fini(&small);
    result_fini(&big);
}

/* --- ETags ---------------------------------------------------------------------------- */

static void etag_304(void **state)
{
    (void)state;
    static const char *const paths[] = {"/", "/collections", "/collections/cities",
                                        "/collections/cities/items",
                                        "/collections/cities/items/cn-dalian"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct result first, again;
        struct req rq = get(paths[i]);
        call(&rq, &first);
        assert_int_equal(first.rc, 0);
        assert_int_equal(first.resp.status, 200);
        assert_true(!strncmp(first.resp.etag, "W/\"", 3));
        rq.inm = first.resp.etag;
        call(&rq, &again);
        assert_int_equal(again.rc, 0);
        if (again.resp.status != 304)
            fail_msg("%s with If-None-Match %s: %d", paths[i], rq.inm, again.resp.status);
        assert_null(again.resp.stream.read);
        assert_int_equal(again.body.len, 0);
        assert_string_equal(again.resp.etag, first.resp.etag);
        result_fini(&first);
        result_fini(&again);
    }
}

static void etag_forms_of_if_none_match(void **state)
{
    (void)state;
    struct result first, r;
    struct req rq = get("/collections");
    call(&rq, &first);
    const char *etag = first.resp.etag;
    char *strong = pm_strdup(etag + 2); /* the same tag without W/ */
    char *listed = pm_asprintf("\"other\", %s , \"more\"", etag);
    const char *matching[] = {strong, listed, "*"};
    for (size_t i = 0; i < 3; i++) {
        rq.inm = matching[i];
        call(&rq, &r);
        if (r.resp.status != 304)
            fail_msg("If-None-Match %s: %d", rq.inm, r.resp.status);
        result_fini(&r);
    }
    const char *not_matching[] = {"W/\"other\"", "", "\"\""};
    for (size_t i = 0; i < 3; i++) {
        rq.inm = not_matching[i];
        call(&rq, &r);
        if (r.resp.status != 200)
            fail_msg("If-None-Match %s: %d", rq.inm, r.resp.status);
        result_fini(&r);
    }
    free(strong);
    free(listed);
    result_fini(&first);
}

static void etag_differs_by_query(void **state)
{
    (void)state;
    struct pm_kv l1[] = {{"limit", "1"}}, l2[] = {{"limit", "2"}}, fh[] = {{"f", "html"}};
    struct req a = get("/collections/cities/items"), b = a, c = a, d = a;
    b.args = l1;
    b.n_args = 1;
    c.args = l2;
    c.n_args = 1;
    d.args = fh;
    d.n_args = 1;
    struct result ra, rb, rc, rd, re;
    call(&a, &ra);
    call(&b, &rb);
    call(&c, &rc);
    call(&d, &rd);
    struct req e = get("/collections/cities/items/cn-dalian");
    call(&e, &re);
    const char *tags[] = {ra.resp.etag, rb.resp.etag, rc.resp.etag, rd.resp.etag, re.resp.etag};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(tags[i], tags[j]))
                fail_msg("requests %zu and %zu share the ETag %s", j, i, tags[i]);
    /* The tag of one query does not validate another. */
    b.inm = ra.resp.etag;
    struct result rf;
    call(&b, &rf);
    assert_int_equal(rf.resp.status, 200);
    result_fini(&rf);
    result_fini(&ra);
    result_fini(&rb);
    result_fini(&rc);
    result_fini(&rd);
    result_fini(&re);
}

static void bad_request_is_never_not_modified(void **state)
{
    (void)state;
    struct pm_kv bad[] = {{"limit", "abc"}};
    struct req rq = get("/collections/cities/items");
    rq.args = bad;
    rq.n_args = 1;
    rq.inm = "*";
    expect_error(rq, 400, "limit");
}

/* --- base URL and sessions ------------------------------------------------------------ */

static void base_url_from_host(void **state)
{
    (void)state;
    struct pm_api_config cfg = {.base_url = NULL, .fallback_base_url = "http://fallback:1"};
    struct pm_api *a = pm_api_new(store, &cfg);
    struct req rq = get("/");
    rq.host = "example.org:9000";
    struct result r;
    call_with(a, &rq, &r, 4096);
    json_t *doc = body_json(&r);
    assert_string_equal(link_href(json_object_get(doc, "links"), "data", NULL),
                        "http://example.org:9000/collections");
    json_decref(doc);
    result_fini(&r);

    /* A Host that is not a plain host[:port] is not echoed into links. */
    rq.host = "evil.example/\"><script>";
    call_with(a, &rq, &r, 4096);
    doc = body_json(&r);
    assert_string_equal(link_href(json_object_get(doc, "links"), "data", NULL),
                        "http://fallback:1/collections");
    json_decref(doc);
    result_fini(&r);
    pm_api_free(a);
}

static void stream_holds_session_until_read(void **state)
{
    (void)state;
    /* A store of one session: an items stream that has not been read keeps it, so another
     * request gets 503 at once instead of waiting; freeing the stream unread gives it back. */
    struct pm_error err = {0};
    struct pm_store *one = pm_spatialite_open(PM_FIXTURE_DB, 1, &err);
    if (!one)
        fail_msg("open: %s", err.message);
    struct pm_api_config cfg = {.base_url = BASE};
    struct pm_api *a = pm_api_new(one, &cfg);
    struct pm_request req = {.method = PM_METHOD_GET, .path = "/collections/cities/items"};
    struct pm_response held, other;
    pm_response_init(&held);
    assert_int_equal(pm_api_handle(a, &req, &held, &err), 0);
    assert_non_null(held.stream.read);

    pm_response_init(&other);
    memset(&err, 0, sizeof err);
    assert_int_equal(pm_api_handle(a, &req, &other, &err), -1);
    assert_int_equal(err.status, 503);
    pm_response_fini(&other);

    held.stream.free(held.stream.ctx); /* never read */
    pm_response_fini(&held);

    struct result r;
    struct req rq = get("/collections/cities/items/cn-dalian");
    call_with(a, &rq, &r, 4096);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.resp.status, 200);
    result_fini(&r);

    /* Once the last row is read, the session is back even before the stream is freed. */
    pm_response_init(&held);
    assert_int_equal(pm_api_handle(a, &req, &held, &err), 0);
    char buf[65536];
    ssize_t n;
    while ((n = held.stream.read(held.stream.ctx, buf, sizeof buf)) > 0)
        ;
    assert_int_equal(n, 0);
    call_with(a, &rq, &r, 4096);
    assert_int_equal(r.rc, 0);
    result_fini(&r);
    held.stream.free(held.stream.ctx);
    pm_response_fini(&held);

    pm_api_free(a);
    pm_store_close(one);
}

/* --- regressions: bugs these tests found, fixed since ------------------------------------ */

/* If-None-Match: * asks "is there a current representation?" (RFC 9110 13.1.2): for a
 * feature that does not exist the condition is true and the answer is 404, not 304. The
 * router answers 304 before it looks the feature up. */
static void regression_star_etag_on_missing_feature(void **state)
{
    (void)state;
    struct req rq = get("/collections/cities/items/cn-nowhere");
    rq.inm = "*";
    expect_error(rq, 404, "'cn-nowhere'");
}

static int group_setup(void **state)
{
    (void)state;
    struct pm_error err = {0};
    pm_spatialite_init();
    store = pm_spatialite_open(PM_FIXTURE_DB, 4, &err);
    if (!store) {
        fprintf(stderr, "cannot open %s: %s\n", PM_FIXTURE_DB, err.message);
        return -1;
    }
    struct pm_api_config cfg = {.base_url = BASE};
    api = pm_api_new(store, &cfg);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pm_api_free(api);
    pm_store_close(store);
    pm_spatialite_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(landing),
        cmocka_unit_test(conformance),
        cmocka_unit_test(openapi),
        cmocka_unit_test(collections),
        cmocka_unit_test(collection),
        cmocka_unit_test(items),
        cmocka_unit_test(item),
        cmocka_unit_test(trailing_slash),
        cmocka_unit_test(not_found),
        cmocka_unit_test(method_not_allowed),
        cmocka_unit_test(options),
        cmocka_unit_test(head),
        cmocka_unit_test(html_by_f_and_accept),
        cmocka_unit_test(f_wins_over_accept),
        cmocka_unit_test(html_item_escapes_data),
        cmocka_unit_test(bad_format),
        cmocka_unit_test(bad_parameters),
        cmocka_unit_test(items_paging),
        cmocka_unit_test(items_filters_bbox_datetime),
        cmocka_unit_test(stream_in_small_pieces),
        cmocka_unit_test(etag_304),
        cmocka_unit_test(etag_forms_of_if_none_match),
        cmocka_unit_test(etag_differs_by_query),
        cmocka_unit_test(bad_request_is_never_not_modified),
        cmocka_unit_test(base_url_from_host),
        cmocka_unit_test(stream_holds_session_until_read),
        cmocka_unit_test(regression_star_etag_on_missing_feature),
    };
    return cmocka_run_group_tests_name("api", tests, group_setup, group_teardown);
}
