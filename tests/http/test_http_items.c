/*
 * test_http_items: the items resource against the fixture — the FeatureCollection and
 * Feature members (ids, coordinates in lon/lat order with at most 6 decimals, links,
 * numberMatched/numberReturned, timeStamp), limit (default and clamping), paging by
 * following next links to the end in every collection, and the parameters that select
 * features: bbox (including boxes across the antimeridian and boxes that cut a partnership
 * line between its ends), datetime (instants, partial dates, open and closed intervals,
 * durations) and each collection's equality filters. Every expected id comes from
 * tests/fixtures/data; coordinates of lines were worked out by hand from the cities' points.
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

#define TYPE_GEOJSON "application/geo+json"

static struct th_server srv;
static const char *fixture_db;

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

#define IDS(...) ((const char *const[]){__VA_ARGS__})
#define N_IDS(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
/* GET url and assert that its features are exactly the ids given (in any order). */
#define EXPECT_IDS(url, ...) expect_ids(url, IDS(__VA_ARGS__), N_IDS(__VA_ARGS__))
#define EXPECT_NONE(url) expect_ids(url, NULL, 0)

static void expect_ids(const char *url, const char *const *ids, size_t n)
{
    json_t *fc = th_get_json(&srv, url, 200, TYPE_GEOJSON);
    th_assert_ids(fc, ids, n);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), n);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), n);
    json_decref(fc);
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static int is_rfc3339(const char *s)
{
    const char *shape = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++) {
        char c = s[i];
        if (shape[i] == 'd' ? (c < '0' || c > '9')
                            : (shape[i] == 'T' ? (c != 'T' && c != 't') : c != shape[i]))
            return 0;
    }
    s += strlen(shape);
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'Z' || *s == 'z')
        return s[1] == '\0';
    if (*s != '+' && *s != '-')
        return 0;
    return strlen(s) == 6 && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
           s[3] == ':' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9';
}

/* Every number inside a "coordinates" array of the raw body has at most 6 decimals and no
 * exponent (ARCHITECTURE.md: GeoJSON output with 6 decimals). Returns how many numbers it
 * checked. */
static size_t check_coordinate_decimals(const char *body)
{
    size_t checked = 0;
    const char *p = body;
    while ((p = strstr(p, "\"coordinates\":")) != NULL) {
        p += strlen("\"coordinates\":");
        int depth = 0;
        do {
            if (*p == '[') {
                depth++;
                p++;
            } else if (*p == ']') {
                depth--;
                p++;
            } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
                const char *start = p;
                size_t decimals = 0;
                if (*p == '-')
                    p++;
                while (*p >= '0' && *p <= '9')
                    p++;
                if (*p == '.') {
                    p++;
                    while (*p >= '0' && *p <= '9') {
                        p++;
                        decimals++;
                    }
                }
                if (*p == 'e' || *p == 'E' || decimals > 6)
                    fail_msg("coordinate %.*s has more than 6 decimals or an exponent",
                             (int)(p - start + 4), start);
                checked++;
            } else if (*p == '\0') {
                fail_msg("unterminated coordinates array");
            } else {
                p++;
            }
        } while (depth > 0);
    }
    return checked;
}

/* The FeatureCollection and each Feature of every collection, all features in one page. */
static void test_http_items_feature_collection(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < TH_N_COLLECTIONS; ci++) {
        const struct th_collection *c = &th_collections[ci];
        char url[256];
        snprintf(url, sizeof url, "/collections/%s/items?limit=100", c->id);
        struct th_resp r;
        th_get(&srv, url, &r);
        assert_int_equal(r.status, 200);
        th_assert_header_prefix(&r, "Content-Type", TYPE_GEOJSON);
        assert_true(check_coordinate_decimals(r.body) > 0);
        json_t *fc = th_json(&r);
        th_resp_fini(&r);

        assert_string_equal(json_string_value(json_object_get(fc, "type")), "FeatureCollection");
        assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), c->count);
        assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), c->count);
        const char *stamp = json_string_value(json_object_get(fc, "timeStamp"));
        assert_non_null(stamp);
        if (!is_rfc3339(stamp))
            fail_msg("timeStamp '%s' is not RFC 3339", stamp);
        json_t *links = json_object_get(fc, "links");
        assert_non_null(th_link(links, "self", TYPE_GEOJSON));
        assert_non_null(th_link(links, "alternate", "text/html"));
        assert_null(th_link(links, "next", NULL));
        assert_null(th_link(links, "prev", NULL));

        json_t *features = json_object_get(fc, "features");
        assert_int_equal(json_array_size(features), c->count);
        size_t i;
        json_t *f;
        json_array_foreach(features, i, f)
        {
            const char *id = json_string_value(json_object_get(f, "id"));
            if (!id)
                fail_msg("%s: feature %zu has no string id", c->id, i);
            assert_string_equal(json_string_value(json_object_get(f, "type")), "Feature");
            assert_true(json_is_object(json_object_get(f, "properties")));
            json_t *flinks = json_object_get(f, "links");
            char want[256];
            snprintf(want, sizeof want, "%s/collections/%s/items/%s", srv.base, c->id, id);
            const char *self = th_link_href(flinks, "self", NULL);
            assert_non_null(self);
            assert_string_equal(self, want);
            snprintf(want, sizeof want, "%s/collections/%s", srv.base, c->id);
            const char *coll = th_link_href(flinks, "collection", NULL);
            assert_non_null(coll);
            assert_string_equal(coll, want);
            if (!strcmp(c->id, "partnerships")) {
                const char *source =
                    json_string_value(json_object_get(json_object_get(f, "properties"), "source"));
                if (!source || !*source)
                    fail_msg("partnership %s has no source", id);
            }
        }
        json_decref(fc);
    }
}

/* Dalian is at lon 121.60222, lat 38.91222 (GeoNames 1814087): x first. The line of a
 * partnership runs from the Chinese to the Japanese city. */
static void test_http_items_coordinates(void **state)
{
    (void)state;
    json_t *f = th_get_json(&srv, "/collections/cities/items/cn-dalian", 200, TYPE_GEOJSON);
    json_t *g = json_object_get(f, "geometry");
    assert_string_equal(json_string_value(json_object_get(g, "type")), "Point");
    json_t *xy = json_object_get(g, "coordinates");
    assert_int_equal(json_array_size(xy), 2);
    assert_float_equal(json_number_value(json_array_get(xy, 0)), 121.60222, 1e-9);
    assert_float_equal(json_number_value(json_array_get(xy, 1)), 38.91222, 1e-9);
    json_decref(f);

    f = th_get_json(&srv, "/collections/partnerships/items/shanghai--yokohama", 200, TYPE_GEOJSON);
    xy = json_object_get(json_object_get(f, "geometry"), "coordinates");
    assert_int_equal(json_array_size(xy), 2);
    assert_float_equal(json_number_value(json_array_get(json_array_get(xy, 0), 0)), 121.45806,
                       1e-9);
    assert_float_equal(json_number_value(json_array_get(json_array_get(xy, 0), 1)), 31.22222, 1e-9);
    assert_float_equal(json_number_value(json_array_get(json_array_get(xy, 1), 0)), 139.65, 1e-9);
    assert_float_equal(json_number_value(json_array_get(json_array_get(xy, 1), 1)), 35.43333, 1e-9);
    json_decref(f);
}

/* Without limit a page has at most 10 features (all 7 cities); a limit above the maximum is
 * clamped, not refused. */
static void test_http_items_limit(void **state)
{
    (void)state;
    json_t *fc = th_get_json(&srv, "/collections/cities/items", 200, TYPE_GEOJSON);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), 7);
    assert_null(th_link(json_object_get(fc, "links"), "next", NULL));
    json_decref(fc);
    fc = th_get_json(&srv, "/collections/cities/items?limit=20000", 200, TYPE_GEOJSON);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 7);
    json_decref(fc);
    fc = th_get_json(&srv, "/collections/cities/items?limit=99999999999999999999", 200,
                     TYPE_GEOJSON);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 7);
    json_decref(fc);
    fc = th_get_json(&srv, "/collections/cities/items?limit=3", 200, TYPE_GEOJSON);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 3);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), 7);
    json_decref(fc);
    /* Past the end: an empty page, still with numberMatched. */
    fc = th_get_json(&srv, "/collections/cities/items?offset=100", 200, TYPE_GEOJSON);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 0);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), 7);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), 0);
    json_decref(fc);
}

/* Assert that the query of href holds exactly the parameters of want (a JSON object as
 * th_query_params returns), except offset, after, before and f, and that it is percent-encoded:
 * only unreserved characters, '%', '=' and '&'. */
static void assert_keeps_params(const char *href, json_t *want)
{
    const char *q = strchr(href, '?');
    assert_non_null(q);
    size_t bad = strspn(q + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                               "-._~%=&");
    if (q[1 + bad])
        fail_msg("link '%s' has an unencoded '%c' in its query", href, q[1 + bad]);
    /* The paging parameters (offset, or after/before when paging by key) and f are the
     * link's own. */
    static const char *const own[] = {"offset", "after", "before", "f"};
    json_t *got = th_query_params(href);
    json_t *w = json_deep_copy(want);
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        json_object_del(got, own[i]);
        json_object_del(w, own[i]);
    }
    if (!json_equal(got, w)) {
        char *a = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *b = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(stderr, "link params %s, expected %s\n", a, b);
        free(a);
        free(b);
        fail_msg("link '%s' does not keep the request's parameters", href);
    }
    json_decref(got);
    json_decref(w);
}

/* Follow next links from url to the end: every page has at most `limit` features, ids never
 * repeat, the pages add up to numberMatched == total, every page after the first has a prev
 * link, and every next link keeps the request's other parameters. */
static void walk_pages(const char *url, long limit, long total)
{
    char *seen[64];
    size_t n_seen = 0;
    json_t *params = th_query_params(url);
    char current[1024];
    snprintf(current, sizeof current, "%s", url);
    for (int page = 0;; page++) {
        if (page > 60)
            fail_msg("%s: more than 60 pages", url);
        json_t *fc = th_get_json(&srv, current, 200, TYPE_GEOJSON);
        json_t *features = json_object_get(fc, "features");
        json_t *links = json_object_get(fc, "links");
        assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), total);
        assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")),
                         json_array_size(features));
        assert_true((long)json_array_size(features) <= limit);
        if (page > 0 && !th_link(links, "prev", NULL))
            fail_msg("page %d of %s has no prev link", page + 1, url);
        if (page == 0 && th_link(links, "prev", NULL))
            fail_msg("the first page of %s has a prev link", url);
        size_t i;
        json_t *f;
        json_array_foreach(features, i, f)
        {
            const char *id = json_string_value(json_object_get(f, "id"));
            assert_non_null(id);
            for (size_t k = 0; k < n_seen; k++)
                if (!strcmp(seen[k], id))
                    fail_msg("%s: feature %s on two pages", url, id);
            assert_true(n_seen < 64);
            seen[n_seen++] = strdup(id);
        }
        const char *href = th_link_href(links, "next", NULL);
        if (href) {
            assert_keeps_params(href, params);
            snprintf(current, sizeof current, "%s", href);
        }
        json_decref(fc);
        if (!href)
            break;
    }
    assert_int_equal(n_seen, total);
    for (size_t k = 0; k < n_seen; k++)
        free(seen[k]);
    json_decref(params);
}

static void test_http_items_paging(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < TH_N_COLLECTIONS; ci++) {
        for (long limit = 1; limit <= 2; limit++) {
            char url[256];
            snprintf(url, sizeof url, "/collections/%s/items?limit=%ld", th_collections[ci].id,
                     limit);
            walk_pages(url, limit, th_collections[ci].count);
        }
    }
}

/* Paging a query with a bbox and a filter: next links carry both, encoded. Chinese cities
 * inside the box: Dalian, Shanghai, Weihai (Chongqing is west of it). */
static void test_http_items_paging_keeps_params(void **state)
{
    (void)state;
    walk_pages("/collections/cities/items?bbox=115,25,125,45&country=CN&limit=1", 1, 3);
    walk_pages("/collections/partnerships/items?datetime=..%2F1980-12-31&limit=1", 1, 2);
    walk_pages("/collections/pilot-sites/items?category=first-cycle%20pilot&limit=1", 1, 2);
}

/* A page asked for with f=json, by a client that also accepts HTML (a browser following a
 * JSON link): its next link says type application/geo+json, so following it with the same
 * headers must give GeoJSON again, i.e. the link must keep f=json. */
static void test_http_items_next_keeps_format(void **state)
{
    (void)state;
    const char *const browser[] = {"Accept: text/html,application/json;q=0.9", NULL};
    struct th_resp r;
    th_request(&srv, "GET", "/collections/cities/items?f=json&limit=2", browser, NULL, &r);
    assert_int_equal(r.status, 200);
    th_assert_header_prefix(&r, "Content-Type", TYPE_GEOJSON);
    json_t *fc = th_json(&r);
    th_resp_fini(&r);
    json_t *next = th_link(json_object_get(fc, "links"), "next", NULL);
    assert_non_null(next);
    assert_string_equal(json_string_value(json_object_get(next, "type")), TYPE_GEOJSON);
    const char *href = json_string_value(json_object_get(next, "href"));
    th_request(&srv, "GET", href, browser, NULL, &r);
    assert_int_equal(r.status, 200);
    char *ctype = th_header(&r, "Content-Type");
    char msg[512];
    snprintf(msg, sizeof msg, "the next link %s (type %s) answers %s: it dropped f=json", href,
             TYPE_GEOJSON, ctype ? ctype : "(none)");
    int ok = ctype && !strncmp(ctype, TYPE_GEOJSON, strlen(TYPE_GEOJSON));
    free(ctype);
    th_resp_fini(&r);
    json_decref(fc);
    if (!ok)
        fail_msg("%s", msg);
}

static void test_http_items_bbox(void **state)
{
    (void)state;
    /* Dalian (121.60, 38.91) and Shanghai (121.46, 31.22); Weihai (122.11, 37.51) lies
     * east of 121.8. */
    EXPECT_IDS("/collections/cities/items?bbox=121.3,31,121.8,39.5", "cn-dalian", "cn-shanghai");
    /* Six numbers: heights are ignored. */
    EXPECT_IDS("/collections/cities/items?bbox=121.3,31,-100,121.8,39.5,100", "cn-dalian",
               "cn-shanghai");
    /* A box on a point's exact position contains it. */
    EXPECT_IDS("/collections/cities/items?bbox=121.60222,38.91222,121.60222,38.91222", "cn-dalian");
    /* A box whose west edge lies a ten-millionth of a degree east of it does not, though the
     * index's 32-bit floats cannot tell the two apart (the point is tested on its row); one
     * as far west does. */
    EXPECT_NONE("/collections/cities/items?bbox=121.6022201,38.9,121.7,39");
    EXPECT_IDS("/collections/cities/items?bbox=121.6022199,38.9,121.7,39", "cn-dalian");
    EXPECT_NONE("/collections/cities/items?bbox=121.5,38.9122201,121.7,39");
    EXPECT_NONE("/collections/cities/items?bbox=0,0,10,10");
    /* Across the antimeridian: 170..180 and -180..-170 hold nothing here. */
    EXPECT_NONE("/collections/cities/items?bbox=170,-10,-170,10");
    /* 100 east to 170 west across the antimeridian holds every East Asian city. */
    EXPECT_IDS("/collections/cities/items?bbox=100,20,-170,50", "cn-dalian", "cn-chongqing",
               "cn-shanghai", "cn-weihai", "jp-kitakyushu", "jp-hiroshima", "jp-yokohama");
    /* Memberships and events are placed at their city. */
    EXPECT_IDS("/collections/memberships/items?bbox=120,35,125,40", "kin-weihai");
    EXPECT_IDS("/collections/events/items?bbox=130,33,131,34", "mced-2000");
}

/* A box that the Shanghai–Yokohama line crosses without containing either end selects that
 * partnership; a box beside the line inside its bounding rectangle does not. The line runs
 * from (121.45806, 31.22222) to (139.65, 35.43333); its midpoint is (130.55403, 33.327775).
 * At lon 130.5..130.6 the line is at lat 33.315..33.339, Dalian–Kitakyushu at 33.99..34.04
 * and Chongqing–Hiroshima at 34.04..34.06. */
static void test_http_items_bbox_line(void **state)
{
    (void)state;
    EXPECT_IDS("/collections/partnerships/items?bbox=130.5,33.28,130.6,33.38",
               "shanghai--yokohama");
    EXPECT_NONE("/collections/partnerships/items?bbox=130.5,33.6,130.6,33.7");
    /* Around both ends of Dalian–Kitakyushu only. */
    EXPECT_IDS("/collections/partnerships/items?bbox=121.5,38.8,121.7,39", "dalian--kitakyushu");
}

static void test_http_items_datetime(void **state)
{
    (void)state;
    const char *base = "/collections/partnerships/items?datetime=";
    char url[256];
#define DT(value) (snprintf(url, sizeof url, "%s%s", base, value), url)
    EXPECT_IDS(DT("1979-05-01"), "dalian--kitakyushu");
    EXPECT_IDS(DT("1979"), "dalian--kitakyushu");
    EXPECT_IDS(DT("1979-05"), "dalian--kitakyushu");
    EXPECT_NONE(DT("1979-05-02"));
    EXPECT_IDS(DT("1979-05-01T12:00:00Z"), "dalian--kitakyushu");
    EXPECT_IDS(DT("../1980-12-31"), "shanghai--yokohama", "dalian--kitakyushu");
    EXPECT_IDS(DT("/1980-12-31"), "shanghai--yokohama", "dalian--kitakyushu");
    /* established on one day, so only Chongqing–Hiroshima (1986) lasts into 1980. */
    EXPECT_IDS(DT("1980-01-01/.."), "chongqing--hiroshima");
    EXPECT_IDS(DT("1973/1979"), "shanghai--yokohama", "dalian--kitakyushu");
    EXPECT_IDS(DT("1986-10-21/P2D"), "chongqing--hiroshima");
    EXPECT_NONE(DT("1986-10-20/P2D"));
    EXPECT_IDS(DT("1973-11-30/1986-10-23"), "shanghai--yokohama", "dalian--kitakyushu",
               "chongqing--hiroshima");
#undef DT
    /* MCED 2000 lasted 2000-08-31 to 2000-09-05; the Weihai meeting is dated 2003-09. */
    EXPECT_IDS("/collections/events/items?datetime=2000-09-01", "mced-2000");
    EXPECT_IDS("/collections/events/items?datetime=2003-09-15", "kin2-2003-weihai");
    /* Memberships since 2000 (Kitakyushu) and 2002 (Weihai, Chongqing). */
    EXPECT_IDS("/collections/memberships/items?datetime=2000", "kin-kitakyushu");
    /* The Weihai pilot ran 2002-06..2003-06; the Chongqing pilot is dated 2002 only. */
    EXPECT_IDS("/collections/pilot-sites/items?datetime=2003-01-01", "pilot-weihai-wastewater-ppp");
    EXPECT_IDS("/collections/pilot-sites/items?datetime=2002-03-01", "pilot-chongqing-air-quality");
}

static void test_http_items_filters(void **state)
{
    (void)state;
    EXPECT_IDS("/collections/cities/items?country=JP", "jp-kitakyushu", "jp-hiroshima",
               "jp-yokohama");
    EXPECT_IDS("/collections/cities/items?region=cn-liaoning", "cn-dalian");
    EXPECT_IDS("/collections/cities/items?level=municipality", "cn-chongqing", "cn-shanghai");
    EXPECT_IDS("/collections/cities/items?country=JP&level=city&region=jp-kanagawa", "jp-yokohama");
    EXPECT_NONE("/collections/cities/items?country=KR");
    /* city matches either partner. */
    EXPECT_IDS("/collections/partnerships/items?city=cn-dalian", "dalian--kitakyushu");
    EXPECT_IDS("/collections/partnerships/items?city=jp-hiroshima", "chongqing--hiroshima");
    EXPECT_IDS("/collections/partnerships/items?region=jp-kanagawa", "shanghai--yokohama");
    EXPECT_IDS("/collections/partnerships/items?kind=friendship", "dalian--kitakyushu",
               "chongqing--hiroshima", "shanghai--yokohama");
    EXPECT_IDS("/collections/partnerships/items?level=city", "dalian--kitakyushu",
               "chongqing--hiroshima", "shanghai--yokohama");
    EXPECT_NONE("/collections/partnerships/items?kind=sister");
    EXPECT_IDS("/collections/memberships/items?role=pilot%20city", "kin-chongqing");
    EXPECT_IDS("/collections/memberships/items?country=CN", "kin-weihai", "kin-chongqing");
    EXPECT_IDS("/collections/memberships/items?city=jp-kitakyushu", "kin-kitakyushu");
    EXPECT_IDS("/collections/memberships/items?initiative=kitakyushu-initiative", "kin-weihai",
               "kin-kitakyushu", "kin-chongqing");
    EXPECT_IDS("/collections/pilot-sites/items?city=cn-weihai", "pilot-weihai-wastewater-ppp");
    EXPECT_IDS("/collections/pilot-sites/items?category=first-cycle+pilot&country=CN",
               "pilot-weihai-wastewater-ppp", "pilot-chongqing-air-quality");
    EXPECT_IDS("/collections/events/items?city=cn-weihai", "kin2-2003-weihai");
    EXPECT_IDS("/collections/events/items?country=JP", "mced-2000");
    EXPECT_IDS("/collections/events/items?type=network_meeting", "kin2-2003-weihai");
    /* Filters, bbox and datetime combine with AND. */
    EXPECT_IDS("/collections/partnerships/items?kind=friendship&datetime=1970/1980"
               "&bbox=120,30,123,40",
               "dalian--kitakyushu", "shanghai--yokohama");
    /* A value is a value, never SQL. */
    EXPECT_NONE("/collections/cities/items?country=JP%27%20OR%20%271%27%3D%271");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DB\n", argv[0]);
        return 2;
    }
    fixture_db = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_items_feature_collection),
        cmocka_unit_test(test_http_items_coordinates),
        cmocka_unit_test(test_http_items_limit),
        cmocka_unit_test(test_http_items_paging),
        cmocka_unit_test(test_http_items_paging_keeps_params),
        cmocka_unit_test(test_http_items_next_keeps_format),
        cmocka_unit_test(test_http_items_bbox),
        cmocka_unit_test(test_http_items_bbox_line),
        cmocka_unit_test(test_http_items_datetime),
        cmocka_unit_test(test_http_items_filters),
    };
    th_global_init();
    int rc = cmocka_run_group_tests_name("test_http_items", tests, setup, teardown);
    th_global_fini();
    return rc;
}
