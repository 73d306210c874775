/*
 * test_http_query: the query features of items and summary against the fixture — the
 * conformance classes of OGC API – Features Part 3 and CQL2, the queryables, filter= in
 * cql2-text and cql2-json (one case or more per operator family: comparisons, LIKE, BETWEEN,
 * IN, IS NULL, CASEI, ACCENTI, arithmetic, property-property, every spatial function with
 * every kind of geometry literal, every temporal function with DATE, TIMESTAMP and INTERVAL),
 * the filter errors, queryables as query parameters, sortby, properties, skipGeometry, near
 * and radius, distance_km, geometry=geodesic, q (the name search) and the summary resource.
 *
 * Every expected id comes from tests/fixtures/data, worked out by hand (the reasoning is in
 * the comments). Distances are checked against PROJ: distance_km and near's distance_m
 * against `geod -I` (proj-bin, PM_GEOD) and geod_inverse, the densified lines with
 * geod_inverse. near= on partnerships measures to the line as drawn (straight in lon/lat, as
 * the README says), not to the geodesic between its ends. Table-driven tests check every case and
 * then report all mismatches at once.
 */
#include "harness.h"

#include <geodesic.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#ifndef PM_GEOD
#error "PM_GEOD must name the geod program of proj-bin"
#endif

#define TYPE_GEOJSON "application/geo+json"
#define TYPE_JSON "application/json"
#define CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define MAX_IDS 8

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

/* --- the fixture, by hand ----------------------------------------------------------------- */

/* The places of tests/fixtures/data/gazetteer.csv (lon, lat) used below. */
#define WEIHAI_LON 122.11356
#define WEIHAI_LAT 37.50914
#define DALIAN_LON 121.60222
#define DALIAN_LAT 38.91222
#define KITAKYUSHU_LON 130.85034
#define KITAKYUSHU_LAT 33.85181

/* The three partnerships (partnerships.csv), their ends and dates. */
#define SY "shanghai--yokohama"   /* 1973-11-30, (121.45806 31.22222)-(139.65 35.43333) */
#define DK "dalian--kitakyushu"   /* 1979-05-01, (121.60222 38.91222)-(130.85034 33.85181) */
#define CH "chongqing--hiroshima" /* 1986-10-23, (106.55278 29.56278)-(132.45 34.4) */

/* --- helpers ------------------------------------------------------------------------------ */

/* A growing list of failures, so that a table of cases reports every mismatch at once. */
struct failures {
    char text[16384];
    int n;
};

static void failures_add(struct failures *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void failures_add(struct failures *f, const char *fmt, ...)
{
    size_t used = strlen(f->text);
    va_list ap;
    va_start(ap, fmt);
    if (used + 2 < sizeof f->text) {
        vsnprintf(f->text + used, sizeof f->text - used, fmt, ap);
        used = strlen(f->text);
        if (used + 1 < sizeof f->text)
            strcat(f->text, "\n");
    }
    va_end(ap);
    f->n++;
}

static void failures_check(const struct failures *f)
{
    if (f->n)
        fail_msg("%d case(s) failed:\n%s", f->n, f->text);
}

/* Percent-encode s for a query string. Caller frees with free(). */
static char *urlenc(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    assert_non_null(e);
    char *out = strdup(e);
    curl_free(e);
    assert_non_null(out);
    return out;
}

/* The URL of /collections/<c>/items with filter (encoded), filter-lang when lang is not
 * NULL, limit=100 and extra ("&k=v..." or ""). Caller frees. */
static char *filter_url(const char *c, const char *lang, const char *filter, const char *extra)
{
    char *f = urlenc(filter);
    size_t n = strlen(c) + strlen(f) + strlen(extra) + 128;
    char *url = malloc(n);
    assert_non_null(url);
    snprintf(url, n, "/collections/%s/items?limit=100&filter=%s%s%s%s", c, f,
             lang ? "&filter-lang=" : "", lang ? lang : "", extra);
    free(f);
    return url;
}

static size_t count_ids(const char *const *ids)
{
    size_t n = 0;
    while (n < MAX_IDS && ids[n])
        n++;
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of a FeatureCollection's features, space-separated, in order (or sorted). */
static void fc_ids(json_t *fc, int sorted, char *out, size_t size)
{
    json_t *features = json_object_get(fc, "features");
    size_t n = json_array_size(features);
    const char **ids = calloc(n + 1, sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < n; i++) {
        ids[i] = json_string_value(json_object_get(json_array_get(features, i), "id"));
        if (!ids[i])
            ids[i] = "(no id)";
    }
    if (sorted)
        qsort(ids, n, sizeof *ids, cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", ids[i]);
    free(ids);
}

static void want_ids(const char *const *want, int sorted, char *out, size_t size)
{
    const char *ids[MAX_IDS + 1];
    size_t n = count_ids(want);
    memcpy(ids, want, n * sizeof *ids);
    if (sorted)
        qsort(ids, n, sizeof *ids, cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", ids[i]);
}

/* GET url (limit large enough for every feature) and compare its feature ids with want
 * (NULL-terminated; in order when `ordered`, else as sets) and numberMatched with their
 * number. Returns 0, or 1 after adding why to f. */
static int check_ids(struct failures *f, const char *what, const char *url, const char *const *want,
                     int ordered)
{
    struct th_resp r;
    th_get(&srv, url, &r);
    if (r.status != 200) {
        failures_add(f, "%s: status %ld: %.300s", what, r.status, r.body);
        th_resp_fini(&r);
        return 1;
    }
    json_t *fc = th_json(&r);
    th_resp_fini(&r);
    char got[1024], exp[1024];
    fc_ids(fc, !ordered, got, sizeof got);
    want_ids(want, !ordered, exp, sizeof exp);
    long long matched = json_integer_value(json_object_get(fc, "numberMatched"));
    int bad = 0;
    if (strcmp(got, exp)) {
        failures_add(f, "%s: got [%s], expected [%s]", what, got, exp);
        bad = 1;
    } else if (matched != (long long)count_ids(want)) {
        failures_add(f, "%s: numberMatched %lld, expected %zu", what, matched, count_ids(want));
        bad = 1;
    }
    json_decref(fc);
    return bad;
}

/* One filter case: the collection, the filter and the ids it selects. */
struct filter_case {
    const char *collection;
    const char *filter;
    const char *ids[MAX_IDS];
};

static void run_filter_cases(const struct filter_case *cases, size_t n, const char *lang)
{
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char *url = filter_url(cases[i].collection, lang, cases[i].filter, "");
        char what[768];
        snprintf(what, sizeof what, "%s: %s", cases[i].collection, cases[i].filter);
        check_ids(&f, what, url, cases[i].ids, 0);
        free(url);
    }
    failures_check(&f);
}

/* GET url, expecting 400 with an OGC exception whose description contains every needle
 * (NULL-terminated). Returns 0, or 1 after adding why to f. */
static int check_400(struct failures *f, const char *url, const char *const *needles)
{
    struct th_resp r;
    th_get(&srv, url, &r);
    int bad = 0;
    if (r.status != 400) {
        failures_add(f, "%s: status %ld, expected 400: %.200s", url, r.status, r.body);
        th_resp_fini(&r);
        return 1;
    }
    json_error_t e;
    json_t *j = json_loadb(r.body, r.len, 0, &e);
    const char *code = json_string_value(json_object_get(j, "code"));
    const char *desc = json_string_value(json_object_get(j, "description"));
    if (!code || strcmp(code, "InvalidParameterValue") || !desc) {
        failures_add(f, "%s: not an InvalidParameterValue exception: %.300s", url, r.body);
        bad = 1;
    }
    for (size_t i = 0; !bad && needles && needles[i]; i++)
        if (!strstr(desc, needles[i])) {
            failures_add(f, "%s: description does not mention '%s': %s", url, needles[i], desc);
            bad = 1;
        }
    json_decref(j);
    th_resp_fini(&r);
    return bad;
}

#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_400(const char *url, const char *const *needles)
{
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    check_400(&f, url, needles);
    failures_check(&f);
}

static void expect_ids(const char *url, const char *const *want, int ordered)
{
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    check_ids(&f, url, url, want, ordered);
    failures_check(&f);
}

#define IDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

/* The feature of fc with this id, borrowed; fails if absent. */
static json_t *feature(json_t *fc, const char *id)
{
    size_t i;
    json_t *ft;
    json_array_foreach(json_object_get(fc, "features"), i, ft)
    {
        const char *fid = json_string_value(json_object_get(ft, "id"));
        if (fid && !strcmp(fid, id))
            return ft;
    }
    fail_msg("no feature %s", id);
    return NULL;
}

static struct geod_geodesic wgs84;

/* Geodesic distance in metres on WGS 84 (PROJ's geod_inverse). */
static double geod_m(double lon1, double lat1, double lon2, double lat2, double *azi1)
{
    double s12, a1, a2;
    geod_inverse(&wgs84, lat1, lon1, lat2, lon2, &s12, &a1, &a2);
    if (azi1)
        *azi1 = a1;
    return s12;
}

/* The same distance from the geod program of proj-bin: `geod +ellps=WGS84 -I +units=m`. */
static double geod_program_m(double lon1, double lat1, double lon2, double lat2)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "echo '%.8f %.8f %.8f %.8f' | '%s' +ellps=WGS84 -I +units=m -f %%.4f",
             lat1, lon1, lat2, lon2, PM_GEOD);
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("cannot run %s", cmd);
    double az1, az2, s = -1;
    int n = fscanf(p, "%lf %lf %lf", &az1, &az2, &s);
    int st = pclose(p);
    if (n != 3 || st != 0)
        fail_msg("%s: exit status %d, read %d numbers", cmd, st, n);
    return s;
}

/* The shortest geodesic distance from (lon, lat) to the straight lon/lat segment a-b (the
 * partnership's line as its LineString draws it, README: near=): a scan of 1000 points along
 * it, then a golden-section search around the nearest. */
static double lonlat_segment_m(double lon, double lat, double alon, double alat, double blon,
                               double blat)
{
    enum { SAMPLES = 1000 };
    double best = INFINITY, best_t = 0;
    for (int i = 0; i <= SAMPLES; i++) {
        double t = (double)i / SAMPLES;
        double d = geod_m(lon, lat, alon + t * (blon - alon), alat + t * (blat - alat), NULL);
        if (d < best) {
            best = d;
            best_t = t;
        }
    }
    double lo = fmax(0, best_t - 1.0 / SAMPLES), hi = fmin(1, best_t + 1.0 / SAMPLES);
    double g = (sqrt(5) - 1) / 2;
    while (hi - lo > 1e-9) {
        double t1 = hi - g * (hi - lo), t2 = lo + g * (hi - lo);
        double d1 = geod_m(lon, lat, alon + t1 * (blon - alon), alat + t1 * (blat - alat), NULL);
        double d2 = geod_m(lon, lat, alon + t2 * (blon - alon), alat + t2 * (blat - alat), NULL);
        best = fmin(best, fmin(d1, d2));
        if (d1 < d2)
            hi = t2;
        else
            lo = t1;
    }
    return best;
}

static double number(json_t *v)
{
    if (!json_is_number(v))
        fail_msg("not a number");
    return json_number_value(v);
}

/* --- conformance and queryables ----------------------------------------------------------- */

static void test_http_query_conformance(void **state)
{
    (void)state;
    static const char *const classes[] = {
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
        "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
        "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
    };
    json_t *doc = th_get_json(&srv, "/conformance", 200, TYPE_JSON);
    json_t *list = json_object_get(doc, "conformsTo");
    assert_true(json_is_array(list));
    for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++) {
        int found = 0;
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
        {
            const char *s = json_string_value(v);
            found |= s && !strcmp(s, classes[k]);
        }
        if (!found)
            fail_msg("/conformance does not list %s", classes[k]);
    }
    json_decref(doc);
}

/* The type the queryables give one property: "integer", "number", "string", "date" (string
 * with format date: a whole day) or "partial-date" (a date as precise as its source, 1979 or
 * 1979-05 or 1979-05-01: a string with a pattern, not format date, which would be a whole
 * day). */
static void expect_type(json_t *props, const char *collection, const char *name, const char *type)
{
    json_t *p = json_object_get(props, name);
    if (!p)
        fail_msg("%s: no queryable %s", collection, name);
    const char *t = json_string_value(json_object_get(p, "type"));
    const char *fmt = json_string_value(json_object_get(p, "format"));
    const char *pattern = json_string_value(json_object_get(p, "pattern"));
    if (!strcmp(type, "date")) {
        if (!t || strcmp(t, "string") || !fmt || strcmp(fmt, "date"))
            fail_msg("%s.%s: type %s format %s, expected string format date", collection, name,
                     t ? t : "(none)", fmt ? fmt : "(none)");
    } else if (!strcmp(type, "partial-date")) {
        if (!t || strcmp(t, "string") || fmt || !pattern)
            fail_msg("%s.%s: type %s format %s pattern %s, expected a string with a pattern",
                     collection, name, t ? t : "(none)", fmt ? fmt : "(none)",
                     pattern ? pattern : "(none)");
    } else if (!t || strcmp(t, type)) {
        fail_msg("%s.%s: type %s, expected %s", collection, name, t ? t : "(none)", type);
    }
}

static void test_http_query_queryables(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < TH_N_COLLECTIONS; ci++) {
        const char *id = th_collections[ci].id;
        char url[256];
        /* The collection links to its queryables (Part 3 /req/queryables/get-queryables-uris). */
        snprintf(url, sizeof url, "/collections/%s", id);
        json_t *coll = th_get_json(&srv, url, 200, TYPE_JSON);
        const char *href = th_link_href(json_object_get(coll, "links"),
                                        "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                                        "application/schema+json");
        if (!href)
            fail_msg("%s: no queryables link", id);
        char tail[128];
        snprintf(tail, sizeof tail, "/collections/%s/queryables", id);
        assert_true(strlen(href) >= strlen(tail));
        assert_string_equal(href + strlen(href) - strlen(tail), tail);

        json_t *q = th_get_json(&srv, href, 200, "application/schema+json");
        assert_string_equal(json_string_value(json_object_get(q, "type")), "object");
        assert_non_null(
            strstr(json_string_value(json_object_get(q, "$schema")), "json-schema.org"));
        json_t *props = json_object_get(q, "properties");
        assert_true(json_is_object(props));
        /* The geometry is a queryable, with the collection's geometry type. */
        json_t *geom = json_object_get(props, "geometry");
        assert_non_null(geom);
        const char *gfmt = json_string_value(json_object_get(geom, "format"));
        assert_non_null(gfmt);
        assert_string_equal(gfmt,
                            !strcmp(id, "partnerships") ? "geometry-linestring" : "geometry-point");
        /* Every property a feature carries is a queryable. */
        snprintf(url, sizeof url, "/collections/%s/items?limit=1", id);
        json_t *fc = th_get_json(&srv, url, 200, TYPE_GEOJSON);
        const char *key;
        json_t *v;
        json_object_foreach(
            json_object_get(json_array_get(json_object_get(fc, "features"), 0), "properties"), key,
            v)
        {
            if (!json_object_get(props, key))
                fail_msg("%s: property %s is not among the queryables", id, key);
            const char *t = json_string_value(json_object_get(json_object_get(props, key), "type"));
            if (!t)
                fail_msg("%s: queryable %s has no type", id, key);
        }
        json_decref(fc);
        if (!strcmp(id, "cities")) {
            expect_type(props, id, "population", "integer");
            expect_type(props, id, "geonames_id", "integer");
            expect_type(props, id, "partners", "integer");
            expect_type(props, id, "name_en", "string");
        } else if (!strcmp(id, "partnerships")) {
            expect_type(props, id, "established", "partial-date");
            expect_type(props, id, "established_first", "date");
            expect_type(props, id, "established_last", "date");
            expect_type(props, id, "distance_km", "number");
            expect_type(props, id, "cn_city", "string");
        } else if (!strcmp(id, "memberships")) {
            expect_type(props, id, "since", "partial-date");
        } else if (!strcmp(id, "events")) {
            expect_type(props, id, "start_date", "partial-date");
            expect_type(props, id, "end_date", "partial-date");
        } else if (!strcmp(id, "pilot-sites")) {
            expect_type(props, id, "period_start", "partial-date");
        }
        json_decref(q);
        json_decref(coll);
    }
    /* As HTML too. */
    struct th_resp r;
    th_get(&srv, "/collections/cities/queryables?f=html", &r);
    assert_int_equal(r.status, 200);
    th_assert_header_prefix(&r, "Content-Type", "text/html");
    th_resp_fini(&r);
}

/* --- filter: cql2-text -------------------------------------------------------------------- */

/* cities (name_en, population): Chongqing 7457600, Dalian 4087733, Shanghai 22315474,
 * Weihai 152595, Hiroshima 1143841, Kitakyushu 997536, Yokohama 3574443. Hiroshima has no
 * name_zh; nobody has a name_local. */
static const struct filter_case text_comparison[] = {
    {"cities", "name_en = 'Dalian'", {"cn-dalian"}},
    {"cities", "country <> 'CN'", {"jp-hiroshima", "jp-kitakyushu", "jp-yokohama"}},
    {"cities", "population < 1000000", {"cn-weihai", "jp-kitakyushu"}},
    {"cities", "population > 5000000", {"cn-chongqing", "cn-shanghai"}},
    {"cities", "population <= 997536", {"cn-weihai", "jp-kitakyushu"}},
    {"cities", "population >= 4087733", {"cn-dalian", "cn-chongqing", "cn-shanghai"}},
    {"cities", "name_en < 'D'", {"cn-chongqing"}},
    {"cities", "id = 'jp-yokohama'", {"jp-yokohama"}},
    {"cities", "country = 'CN' AND population > 5000000", {"cn-chongqing", "cn-shanghai"}},
    {"cities",
     "country = 'JP' OR name_en = 'Dalian'",
     {"cn-dalian", "jp-hiroshima", "jp-kitakyushu", "jp-yokohama"}},
    {"cities", "NOT (country = 'CN')", {"jp-hiroshima", "jp-kitakyushu", "jp-yokohama"}},
    {"cities",
     "TRUE",
     {"cn-chongqing", "cn-dalian", "cn-shanghai", "cn-weihai", "jp-hiroshima", "jp-kitakyushu",
      "jp-yokohama"}},
    {"cities", "FALSE", {NULL}},
    /* LIKE is case-sensitive; GLOB's own metacharacters are plain characters. */
    {"cities", "name_en LIKE 'K%'", {"jp-kitakyushu"}},
    {"cities", "name_en LIKE '%hai'", {"cn-shanghai", "cn-weihai"}},
    {"cities", "name_en LIKE '_okohama'", {"jp-yokohama"}},
    {"cities", "name_en LIKE 'k%'", {NULL}},
    {"cities", "name_en LIKE 'D*'", {NULL}},
    {"cities", "name_en LIKE '[D]%'", {NULL}},
    {"cities", "name_en NOT LIKE '%a%'", {"cn-chongqing"}},
    {"cities",
     "name_zh LIKE '%市'",
     {"cn-chongqing", "cn-dalian", "cn-shanghai", "cn-weihai", "jp-kitakyushu", "jp-yokohama"}},
    {"cities",
     "population BETWEEN 1000000 AND 5000000",
     {"cn-dalian", "jp-hiroshima", "jp-yokohama"}},
    {"cities", "population BETWEEN 152595 AND 997536", {"cn-weihai", "jp-kitakyushu"}},
    {"cities",
     "population NOT BETWEEN 1000000 AND 5000000",
     {"cn-chongqing", "cn-shanghai", "cn-weihai", "jp-kitakyushu"}},
    {"cities", "region IN ('cn-liaoning', 'jp-fukuoka')", {"cn-dalian", "jp-kitakyushu"}},
    {"cities",
     "region NOT IN ('cn-liaoning', 'jp-fukuoka')",
     {"cn-chongqing", "cn-shanghai", "cn-weihai", "jp-hiroshima", "jp-yokohama"}},
    {"cities", "population IN (152595, 997536)", {"cn-weihai", "jp-kitakyushu"}},
    {"cities", "name_zh IS NULL", {"jp-hiroshima"}},
    {"cities",
     "name_zh IS NOT NULL",
     {"cn-chongqing", "cn-dalian", "cn-shanghai", "cn-weihai", "jp-kitakyushu", "jp-yokohama"}},
    {"cities",
     "name_local IS NULL",
     {"cn-chongqing", "cn-dalian", "cn-shanghai", "cn-weihai", "jp-hiroshima", "jp-kitakyushu",
      "jp-yokohama"}},
    {"cities", "notes IS NOT NULL", {"cn-weihai"}},
    {"partnerships", "notes IS NOT NULL", {CH}},
    {"events", "end_date IS NULL", {"kin2-2003-weihai"}},
    /* Other collections. */
    {"memberships", "role = 'pilot city'", {"kin-chongqing"}},
    {"events", "type = 'ministerial_conference'", {"mced-2000"}},
    {"pilot-sites",
     "category LIKE 'first%'",
     {"pilot-weihai-wastewater-ppp", "pilot-chongqing-air-quality"}},
    {"partnerships", "distance_km > 2000", {CH}},
    /* Dates compare by their first day; a timestamp counts by its day. */
    {"partnerships", "established > DATE('1979-01-01')", {DK, CH}},
    {"partnerships", "established = DATE('1979-05-01')", {DK}},
    {"partnerships", "established = '1979-05-01'", {DK}},
    {"partnerships", "established < TIMESTAMP('1979-05-01T12:00:00Z')", {SY}},
    {"memberships", "since = DATE('2002-01-01')", {"kin-weihai", "kin-chongqing"}},
    {"memberships", "since < DATE('2001-01-01')", {"kin-kitakyushu"}},
};

static void test_http_query_filter_text_comparison(void **state)
{
    (void)state;
    run_filter_cases(text_comparison, sizeof text_comparison / sizeof text_comparison[0], NULL);
}

static const struct filter_case text_casei_accenti[] = {
    {"cities", "CASEI(name_en) = CASEI('DALIAN')", {"cn-dalian"}},
    {"cities", "name_en = 'DALIAN'", {NULL}},
    {"cities", "CASEI(name_en) LIKE CASEI('%HAI')", {"cn-shanghai", "cn-weihai"}},
    {"cities", "CASEI(name_zh) = CASEI('大连市')", {"cn-dalian"}},
    {"cities", "ACCENTI(name_en) = ACCENTI('Kitakyūshū')", {"jp-kitakyushu"}},
    {"cities", "name_en = 'Kitakyūshū'", {NULL}},
    {"cities", "ACCENTI(name_en) LIKE ACCENTI('Hirōsh%')", {"jp-hiroshima"}},
    {"cities", "CASEI(ACCENTI(name_en)) = CASEI(ACCENTI('KITAKYŪSHŪ'))", {"jp-kitakyushu"}},
    {"cities", "ACCENTI(CASEI(name_en)) = ACCENTI(CASEI('KITAKYŪSHŪ'))", {"jp-kitakyushu"}},
};

static void test_http_query_filter_text_casei_accenti(void **state)
{
    (void)state;
    run_filter_cases(text_casei_accenti, sizeof text_casei_accenti / sizeof text_casei_accenti[0],
                     NULL);
}

static const struct filter_case text_arithmetic[] = {
    /* Chongqing 7457.6 and Shanghai 22315.474 thousand. */
    {"cities", "population / 1000 > 5000", {"cn-chongqing", "cn-shanghai"}},
    /* Real division: 152595 / 2 = 76297.5. */
    {"cities", "population / 2 = 76297.5", {"cn-weihai"}},
    {"cities", "population * 2 < 400000", {"cn-weihai"}},
    {"cities", "population + 1 = 152596", {"cn-weihai"}},
    {"cities", "population - 152595 = 0", {"cn-weihai"}},
    {"cities", "(population + 5) / 10 = 15260", {"cn-weihai"}},
    /* Precedence: population - (152595 * 2). */
    {"cities", "population - 152595 * 2 = -152595", {"cn-weihai"}},
    /* Odd: Dalian 4087733, Weihai 152595, Hiroshima 1143841, Yokohama 3574443. */
    {"cities", "population % 2 = 1", {"cn-dalian", "cn-weihai", "jp-hiroshima", "jp-yokohama"}},
    {"cities", "population div 1000000 = 4", {"cn-dalian"}},
    /* 2^22 = 4194304, just above Dalian. */
    {"cities", "population > 2 ^ 22", {"cn-chongqing", "cn-shanghai"}},
    {"partnerships", "distance_km * 1000 > 2000000", {CH}},
    /* Property against property. */
    {"cities", "name_zh = name_ja", {"cn-shanghai", "cn-weihai", "jp-kitakyushu"}},
    {"cities", "name_zh <> name_ja", {"cn-chongqing", "cn-dalian", "jp-yokohama"}},
    /* The municipalities are their own regions, and so is Hiroshima (jp-hiroshima). */
    {"cities", "region = id", {"cn-chongqing", "cn-shanghai", "jp-hiroshima"}},
    {"partnerships", "cn_name_en <> jp_name_en", {SY, DK, CH}},
    {"partnerships", "cn_region = cn_city", {SY, CH}},
};

static void test_http_query_filter_text_arithmetic(void **state)
{
    (void)state;
    run_filter_cases(text_arithmetic, sizeof text_arithmetic / sizeof text_arithmetic[0], NULL);
}

/* The box POLYGON((120 36, 125 36, 125 40, 120 40, 120 36)) holds Dalian (121.6 38.9) and
 * Weihai (122.1 37.5) and, of the lines, only Dalian–Kitakyushu: at lon 120–125 Shanghai–
 * Yokohama is at lat 31.2–32.0 and Chongqing–Hiroshima at 32.1–33.0. On lon 125 the lines are
 * at lat 37.05 (D), 32.04 (S) and 33.01 (C). */
#define BOX_DW "POLYGON((120 36, 125 36, 125 40, 120 40, 120 36))"
static const struct filter_case text_spatial[] = {
    {"cities", "S_INTERSECTS(geometry, POINT(121.60222 38.91222))", {"cn-dalian"}},
    {"cities",
     "S_INTERSECTS(geometry, LINESTRING(121.60222 38.91222, 130.85034 33.85181))",
     {"cn-dalian", "jp-kitakyushu"}},
    {"cities", "S_INTERSECTS(geometry, " BOX_DW ")", {"cn-dalian", "cn-weihai"}},
    {"cities",
     "S_INTERSECTS(geometry, MULTIPOLYGON(((120 36, 125 36, 125 40, 120 40, 120 36)), "
     "((130 33, 131 33, 131 34, 130 34, 130 33))))",
     {"cn-dalian", "cn-weihai", "jp-kitakyushu"}},
    {"cities",
     "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(139.65 35.43333), "
     "POLYGON((106 29, 107 29, 107 30, 106 30, 106 29))))",
     {"jp-yokohama", "cn-chongqing"}},
    {"cities",
     "S_INTERSECTS(geometry, MULTIPOINT((121.60222 38.91222), (132.45 34.4)))",
     {"cn-dalian", "jp-hiroshima"}},
    {"cities",
     "S_INTERSECTS(geometry, BBOX(130, 33, 140, 36))",
     {"jp-kitakyushu", "jp-hiroshima", "jp-yokohama"}},
    {"cities", "S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))", {NULL}},
    /* Across the antimeridian: from lon 139 east to -170 holds Yokohama (139.65). */
    {"cities", "S_INTERSECTS(geometry, BBOX(139, -10, -170, 40))", {"jp-yokohama"}},
    {"cities",
     "S_DISJOINT(geometry, BBOX(170, -10, -170, 10))",
     {"cn-chongqing", "cn-dalian", "cn-shanghai", "cn-weihai", "jp-hiroshima", "jp-kitakyushu",
      "jp-yokohama"}},
    {"cities",
     "S_WITHIN(geometry, POLYGON((100 25, 125 25, 125 40, 100 40, 100 25)))",
     {"cn-chongqing", "cn-dalian", "cn-shanghai", "cn-weihai"}},
    {"cities",
     "S_WITHIN(geometry, BBOX(130, 33, 140, 36))",
     {"jp-kitakyushu", "jp-hiroshima", "jp-yokohama"}},
    {"cities",
     "S_DISJOINT(geometry, " BOX_DW ")",
     {"cn-chongqing", "cn-shanghai", "jp-hiroshima", "jp-kitakyushu", "jp-yokohama"}},
    {"cities", "S_CONTAINS(" BOX_DW ", geometry)", {"cn-dalian", "cn-weihai"}},
    {"cities", "S_CONTAINS(geometry, POINT(132.45 34.4))", {"jp-hiroshima"}},
    {"cities", "S_EQUALS(geometry, POINT(121.60222 38.91222))", {"cn-dalian"}},
    /* A point at the end of a line, or at a corner of a polygon, touches it. */
    {"cities", "S_TOUCHES(geometry, LINESTRING(121.60222 38.91222, 125 40))", {"cn-dalian"}},
    {"cities",
     "S_TOUCHES(geometry, POLYGON((122.11356 37.50914, 123 37.50914, 123 38, "
     "122.11356 37.50914)))",
     {"cn-weihai"}},
    {"partnerships", "S_INTERSECTS(geometry, " BOX_DW ")", {DK}},
    {"partnerships", "S_INTERSECTS(geometry, LINESTRING(125 30, 125 34))", {SY, CH}},
    {"partnerships", "S_INTERSECTS(geometry, POINT(130.85034 33.85181))", {DK}},
    {"partnerships",
     "S_INTERSECTS(geometry, MULTIPOLYGON(((120 36, 125 36, 125 40, 120 40, 120 36)), "
     "((139 35, 140 35, 140 36, 139 36, 139 35))))",
     {DK, SY}},
    {"partnerships",
     "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(132.45 34.4), LINESTRING(125 36, 125 40)))",
     {CH, DK}},
    {"partnerships", "S_WITHIN(geometry, POLYGON((120 30, 135 30, 135 40, 120 40, 120 30)))", {DK}},
    {"partnerships", "S_WITHIN(geometry, BBOX(100, 20, 145, 45))", {SY, DK, CH}},
    {"partnerships", "S_DISJOINT(geometry, " BOX_DW ")", {SY, CH}},
    /* An end point is on the line's boundary, not in its interior. */
    {"partnerships", "S_CONTAINS(geometry, POINT(130.85034 33.85181))", {NULL}},
    {"partnerships", "S_CONTAINS(BBOX(120, 30, 135, 40), geometry)", {DK}},
    {"partnerships",
     "S_EQUALS(geometry, LINESTRING(130.85034 33.85181, 121.60222 38.91222))",
     {DK}},
    {"partnerships", "S_TOUCHES(geometry, POINT(130.85034 33.85181))", {DK}},
    {"partnerships", "S_CROSSES(geometry, LINESTRING(125 36, 125 40))", {DK}},
    {"partnerships", "S_CROSSES(geometry, LINESTRING(125 30, 125 40))", {SY, DK, CH}},
    /* (125.50071333333334 32.15802222222222) lies exactly (in binary) on Shanghai–Yokohama,
     * 64/288 of the way: the literal shares its eastern part and leaves it at Yokohama. */
    {"partnerships",
     "S_OVERLAPS(geometry, LINESTRING(125.50071333333334 32.15802222222222, 139.65 35.43333, "
     "145 36))",
     {SY}},
    {"partnerships", "S_OVERLAPS(geometry, " BOX_DW ")", {NULL}},
    /* The other collections, through their own R*Trees. */
    {"events", "S_INTERSECTS(geometry, BBOX(130, 33, 131, 34))", {"mced-2000"}},
    {"memberships", "S_WITHIN(geometry, BBOX(120, 30, 125, 40))", {"kin-weihai"}},
    {"pilot-sites",
     "S_INTERSECTS(geometry, BBOX(106, 29, 107, 30))",
     {"pilot-chongqing-air-quality"}},
};

static void test_http_query_filter_text_spatial(void **state)
{
    (void)state;
    run_filter_cases(text_spatial, sizeof text_spatial / sizeof text_spatial[0], NULL);
}

/* established as days, [00:00:00Z, 23:59:59Z] (README): S 1973-11-30, D 1979-05-01,
 * C 1986-10-23. A DATE literal is also a whole day, a TIMESTAMP an instant. The relations are
 * those of OGC 21-065r2 (after Allen), e.g. T_MEETS: the end of the first is the start of the
 * second. Each function with a DATE, a TIMESTAMP and an INTERVAL. */
static const struct filter_case text_temporal[] = {
    {"partnerships", "T_AFTER(established, DATE('1979-05-01'))", {CH}},
    {"partnerships", "T_AFTER(established, TIMESTAMP('1979-05-01T12:00:00Z'))", {CH}},
    {"partnerships", "T_AFTER(established, INTERVAL('1970-01-01', '1979-04-30'))", {DK, CH}},
    {"partnerships", "T_BEFORE(established, DATE('1979-05-01'))", {SY}},
    {"partnerships", "T_BEFORE(established, TIMESTAMP('1986-10-23T00:00:00Z'))", {SY, DK}},
    {"partnerships", "T_BEFORE(established, INTERVAL('1979-05-02', '..'))", {SY, DK}},
    {"partnerships", "T_CONTAINS(established, DATE('1979-05-01'))", {NULL}},
    {"partnerships", "T_CONTAINS(established, TIMESTAMP('1979-05-01T12:00:00Z'))", {DK}},
    {"partnerships",
     "T_CONTAINS(established, INTERVAL('1979-05-01T06:00:00Z', '1979-05-01T18:00:00Z'))",
     {DK}},
    {"partnerships", "T_DISJOINT(established, DATE('1979-05-01'))", {SY, CH}},
    {"partnerships", "T_DISJOINT(established, TIMESTAMP('1973-11-30T12:00:00Z'))", {DK, CH}},
    {"partnerships", "T_DISJOINT(established, INTERVAL('1973-01-01', '1980-01-01'))", {CH}},
    {"partnerships", "T_DURING(established, DATE('1979-05-01'))", {NULL}},
    {"partnerships", "T_DURING(established, TIMESTAMP('1979-05-01T12:00:00Z'))", {NULL}},
    {"partnerships", "T_DURING(established, INTERVAL('1979-01-01', '1986-12-31'))", {DK, CH}},
    {"partnerships", "T_DURING(established, INTERVAL('1980-01-01', '..'))", {CH}},
    {"partnerships", "T_EQUALS(established, DATE('1979-05-01'))", {DK}},
    {"partnerships", "T_EQUALS(established, TIMESTAMP('1979-05-01T00:00:00Z'))", {NULL}},
    {"partnerships",
     "T_EQUALS(established, INTERVAL('1986-10-23T00:00:00Z', '1986-10-23T23:59:59Z'))",
     {CH}},
    {"partnerships", "T_FINISHEDBY(established, DATE('1979-05-01'))", {NULL}},
    {"partnerships", "T_FINISHEDBY(established, TIMESTAMP('1986-10-23T23:59:59Z'))", {CH}},
    {"partnerships",
     "T_FINISHEDBY(established, INTERVAL('1979-05-01T12:00:00Z', '1979-05-01T23:59:59Z'))",
     {DK}},
    {"partnerships", "T_FINISHES(established, DATE('1979-05-01'))", {NULL}},
    {"partnerships", "T_FINISHES(established, TIMESTAMP('1979-05-01T23:59:59Z'))", {NULL}},
    {"partnerships", "T_FINISHES(established, INTERVAL('1970-01-01', '1979-05-01'))", {DK}},
    {"partnerships", "T_INTERSECTS(established, DATE('1986-10-23'))", {CH}},
    {"partnerships", "T_INTERSECTS(established, TIMESTAMP('1973-11-30T23:59:59Z'))", {SY}},
    {"partnerships", "T_INTERSECTS(established, INTERVAL('1970-01-01', '1980-01-01'))", {SY, DK}},
    /* A day ends at 23:59:59Z, the next starts at 00:00:00Z: no day meets the next. */
    {"partnerships", "T_MEETS(established, DATE('1979-05-02'))", {NULL}},
    {"partnerships", "T_MEETS(established, TIMESTAMP('1979-05-01T23:59:59Z'))", {DK}},
    {"partnerships",
     "T_MEETS(established, INTERVAL('1979-05-01T23:59:59Z', '1980-01-01T00:00:00Z'))",
     {DK}},
    {"partnerships", "T_METBY(established, DATE('1973-11-29'))", {NULL}},
    {"partnerships", "T_METBY(established, TIMESTAMP('1973-11-30T00:00:00Z'))", {SY}},
    {"partnerships",
     "T_METBY(established, INTERVAL('1970-01-01T00:00:00Z', '1973-11-30T00:00:00Z'))",
     {SY}},
    {"partnerships", "T_OVERLAPPEDBY(established, DATE('1979-05-01'))", {NULL}},
    {"partnerships", "T_OVERLAPPEDBY(established, TIMESTAMP('1979-05-01T12:00:00Z'))", {NULL}},
    {"partnerships",
     "T_OVERLAPPEDBY(established, INTERVAL('1979-01-01T00:00:00Z', '1979-05-01T12:00:00Z'))",
     {DK}},
    {"partnerships", "T_OVERLAPS(established, DATE('1986-10-23'))", {NULL}},
    {"partnerships", "T_OVERLAPS(established, TIMESTAMP('1986-10-23T12:00:00Z'))", {NULL}},
    {"partnerships",
     "T_OVERLAPS(established, INTERVAL('1986-10-23T12:00:00Z', '1987-01-01T00:00:00Z'))",
     {CH}},
    {"partnerships", "T_STARTEDBY(established, DATE('1979-05-01'))", {NULL}},
    {"partnerships", "T_STARTEDBY(established, TIMESTAMP('1979-05-01T00:00:00Z'))", {DK}},
    {"partnerships",
     "T_STARTEDBY(established, INTERVAL('1973-11-30T00:00:00Z', '1973-11-30T12:00:00Z'))",
     {SY}},
    {"partnerships", "T_STARTS(established, DATE('1979-05-01'))", {NULL}},
    {"partnerships", "T_STARTS(established, TIMESTAMP('1979-05-01T00:00:00Z'))", {NULL}},
    {"partnerships", "T_STARTS(established, INTERVAL('1979-05-01', '1979-12-31'))", {DK}},
    /* Partial dates: since '2002' is the whole year 2002, '2000' the year 2000. */
    {"memberships", "T_CONTAINS(since, DATE('2002-03-01'))", {"kin-weihai", "kin-chongqing"}},
    {"memberships", "T_DURING(DATE('2002-03-01'), since)", {"kin-weihai", "kin-chongqing"}},
    {"memberships", "T_STARTEDBY(since, DATE('2002-01-01'))", {"kin-weihai", "kin-chongqing"}},
    {"memberships", "T_FINISHEDBY(since, DATE('2000-12-31'))", {"kin-kitakyushu"}},
    {"memberships", "T_OVERLAPS(since, INTERVAL('2000-06-01', '2001-06-01'))", {"kin-kitakyushu"}},
    {"memberships",
     "T_EQUALS(since, INTERVAL('2002-01-01', '2002-12-31'))",
     {"kin-weihai", "kin-chongqing"}},
    /* '2003-09' is September 2003. */
    {"events", "T_CONTAINS(start_date, DATE('2003-09-15'))", {"kin2-2003-weihai"}},
    /* Property against property: Weihai's June 2002 is before its June 2003; Chongqing has no
     * end. */
    {"pilot-sites", "T_BEFORE(period_start, period_end)", {"pilot-weihai-wastewater-ppp"}},
    /* An interval of two properties: Weihai 2002-06 to 2003-06. */
    {"pilot-sites",
     "T_DURING(INTERVAL(period_start, period_end), INTERVAL('2002-01-01', '2003-12-31'))",
     {"pilot-weihai-wastewater-ppp"}},
};

static void test_http_query_filter_text_temporal(void **state)
{
    (void)state;
    run_filter_cases(text_temporal, sizeof text_temporal / sizeof text_temporal[0], NULL);
}

/* --- filter: cql2-json -------------------------------------------------------------------- */

#define PROP(name) "{\"property\":\"" name "\"}"
#define BOX_DW_JSON                                                                                \
    "{\"type\":\"Polygon\",\"coordinates\":[[[120,36],[125,36],[125,40],[120,40],[120,36]]]}"
static const struct filter_case json_cases[] = {
    {"cities", "{\"op\":\"=\",\"args\":[" PROP("name_en") ",\"Dalian\"]}", {"cn-dalian"}},
    {"cities",
     "{\"op\":\"<>\",\"args\":[" PROP("country") ",\"CN\"]}",
     {"jp-hiroshima", "jp-kitakyushu", "jp-yokohama"}},
    {"cities",
     "{\"op\":\"<\",\"args\":[" PROP("population") ",1000000]}",
     {"cn-weihai", "jp-kitakyushu"}},
    {"cities",
     "{\"op\":\">\",\"args\":[" PROP("population") ",5000000]}",
     {"cn-chongqing", "cn-shanghai"}},
    {"cities",
     "{\"op\":\"<=\",\"args\":[" PROP("population") ",997536]}",
     {"cn-weihai", "jp-kitakyushu"}},
    {"cities",
     "{\"op\":\">=\",\"args\":[" PROP("population") ",4087733]}",
     {"cn-dalian", "cn-chongqing", "cn-shanghai"}},
    {"cities",
     "{\"op\":\"and\",\"args\":[{\"op\":\"=\",\"args\":[" PROP(
         "country") ",\"CN\"]},{\"op\":\">\","
                    "\"args\":[" PROP("population") ",5000000]}]}",
     {"cn-chongqing", "cn-shanghai"}},
    {"cities",
     "{\"op\":\"or\",\"args\":[{\"op\":\"=\",\"args\":[" PROP(
         "country") ",\"JP\"]},{\"op\":\"=\","
                    "\"args\":[" PROP("name_en") ",\"Dalian\"]}]}",
     {"cn-dalian", "jp-hiroshima", "jp-kitakyushu", "jp-yokohama"}},
    {"cities",
     "{\"op\":\"like\",\"args\":[" PROP("name_en") ",\"%hai\"]}",
     {"cn-shanghai", "cn-weihai"}},
    {"cities",
     "{\"op\":\"not\",\"args\":[{\"op\":\"like\",\"args\":[" PROP("name_en") ",\"%a%\"]}]}",
     {"cn-chongqing"}},
    {"cities",
     "{\"op\":\"between\",\"args\":[" PROP("population") ",1000000,5000000]}",
     {"cn-dalian", "jp-hiroshima", "jp-yokohama"}},
    {"cities",
     "{\"op\":\"in\",\"args\":[" PROP("region") ",[\"cn-liaoning\",\"jp-fukuoka\"]]}",
     {"cn-dalian", "jp-kitakyushu"}},
    {"cities", "{\"op\":\"isNull\",\"args\":[" PROP("name_zh") "]}", {"jp-hiroshima"}},
    {"cities",
     "{\"op\":\"not\",\"args\":[{\"op\":\"isNull\",\"args\":[" PROP("name_zh") "]}]}",
     {"cn-chongqing", "cn-dalian", "cn-shanghai", "cn-weihai", "jp-kitakyushu", "jp-yokohama"}},
    {"cities",
     "{\"op\":\"=\",\"args\":[{\"op\":\"casei\",\"args\":[" PROP(
         "name_en") "]},{\"op\":\"casei\","
                    "\"args\":[\"DALIAN\"]}]}",
     {"cn-dalian"}},
    {"cities",
     "{\"op\":\"=\",\"args\":[{\"op\":\"accenti\",\"args\":[" PROP(
         "name_en") "]},{\"op\":"
                    "\"accenti\",\"args\":[\"Kitakyūshū\"]}]}",
     {"jp-kitakyushu"}},
    {"cities",
     "{\"op\":\">\",\"args\":[{\"op\":\"/\",\"args\":[" PROP("population") ",1000]},5000]}",
     {"cn-chongqing", "cn-shanghai"}},
    {"cities",
     "{\"op\":\"=\",\"args\":[{\"op\":\"%\",\"args\":[" PROP("population") ",2]},1]}",
     {"cn-dalian", "cn-weihai", "jp-hiroshima", "jp-yokohama"}},
    {"cities",
     "{\"op\":\"=\",\"args\":[{\"op\":\"div\",\"args\":[" PROP("population") ",1000000]},4]}",
     {"cn-dalian"}},
    {"cities",
     "{\"op\":\">\",\"args\":[" PROP("population") ",{\"op\":\"^\",\"args\":[2,22]}]}",
     {"cn-chongqing", "cn-shanghai"}},
    {"cities",
     "{\"op\":\"=\",\"args\":[" PROP("name_zh") "," PROP("name_ja") "]}",
     {"cn-shanghai", "cn-weihai", "jp-kitakyushu"}},
    {"partnerships",
     "{\"op\":\"<>\",\"args\":[" PROP("cn_name_en") "," PROP("jp_name_en") "]}",
     {SY, DK, CH}},
    /* Spatial, with every GeoJSON geometry type and a bbox. */
    {"cities",
     "{\"op\":\"s_intersects\",\"args\":[" PROP("geometry") ",{\"type\":\"Point\",\"coordinates\":"
                                                            "[121.60222,38.91222]}]}",
     {"cn-dalian"}},
    {"cities",
     "{\"op\":\"s_intersects\",\"args\":[" PROP(
         "geometry") ",{\"type\":\"LineString\","
                     "\"coordinates\":[[121.60222,38.91222],[130.85034,33.85181]]}]}",
     {"cn-dalian", "jp-kitakyushu"}},
    {"cities",
     "{\"op\":\"s_intersects\",\"args\":[" PROP("geometry") "," BOX_DW_JSON "]}",
     {"cn-dalian", "cn-weihai"}},
    {"cities",
     "{\"op\":\"s_intersects\",\"args\":[" PROP(
         "geometry") ",{\"type\":\"MultiPolygon\","
                     "\"coordinates\":[[[[120,36],[125,36],[125,40],[120,40],[120,36]]],[[[130,33],"
                     "[131,33],"
                     "[131,34],[130,34],[130,33]]]]}]}",
     {"cn-dalian", "cn-weihai", "jp-kitakyushu"}},
    {"cities",
     "{\"op\":\"s_intersects\",\"args\":[" PROP(
         "geometry") ",{\"type\":\"GeometryCollection\","
                     "\"geometries\":[{\"type\":\"Point\",\"coordinates\":[139.65,35.43333]},{"
                     "\"type\":"
                     "\"Polygon\",\"coordinates\":[[[106,29],[107,29],[107,30],[106,30],[106,29]]]}"
                     "]}]}",
     {"jp-yokohama", "cn-chongqing"}},
    {"cities",
     "{\"op\":\"s_intersects\",\"args\":[" PROP("geometry") ",{\"bbox\":[130,33,140,36]}]}",
     {"jp-kitakyushu", "jp-hiroshima", "jp-yokohama"}},
    {"cities",
     "{\"op\":\"s_within\",\"args\":[" PROP("geometry") ",{\"bbox\":[130,33,140,36]}]}",
     {"jp-kitakyushu", "jp-hiroshima", "jp-yokohama"}},
    {"cities",
     "{\"op\":\"s_disjoint\",\"args\":[" PROP("geometry") "," BOX_DW_JSON "]}",
     {"cn-chongqing", "cn-shanghai", "jp-hiroshima", "jp-kitakyushu", "jp-yokohama"}},
    {"cities",
     "{\"op\":\"s_contains\",\"args\":[" BOX_DW_JSON "," PROP("geometry") "]}",
     {"cn-dalian", "cn-weihai"}},
    {"cities",
     "{\"op\":\"s_equals\",\"args\":[" PROP("geometry") ",{\"type\":\"Point\",\"coordinates\":"
                                                        "[121.60222,38.91222]}]}",
     {"cn-dalian"}},
    {"partnerships",
     "{\"op\":\"s_touches\",\"args\":[" PROP("geometry") ",{\"type\":\"Point\",\"coordinates\":"
                                                         "[130.85034,33.85181]}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"s_crosses\",\"args\":[" PROP("geometry") ",{\"type\":\"LineString\","
                                                         "\"coordinates\":[[125,36],[125,40]]}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"s_overlaps\",\"args\":[" PROP(
         "geometry") ",{\"type\":\"LineString\","
                     "\"coordinates\":[[125.50071333333334,32.15802222222222],[139.65,35.43333],["
                     "145,36]]}]}",
     {SY}},
    {"partnerships",
     "{\"op\":\"s_intersects\",\"args\":[" PROP(
         "geometry") ",{\"type\":\"MultiLineString\","
                     "\"coordinates\":[[[125,30],[125,34]],[[0,0],[1,1]]]}]}",
     {SY, CH}},
    /* Temporal, with date, timestamp and interval. */
    {"partnerships",
     "{\"op\":\"t_after\",\"args\":[" PROP("established") ",{\"date\":\"1979-05-01\"}]}",
     {CH}},
    {"partnerships",
     "{\"op\":\"t_before\",\"args\":[" PROP(
         "established") ",{\"timestamp\":\"1986-10-23T00:00:00Z\"}]}",
     {SY, DK}},
    {"partnerships",
     "{\"op\":\"t_during\",\"args\":[" PROP("established") ",{\"interval\":[\"1979-01-01\","
                                                           "\"1986-12-31\"]}]}",
     {DK, CH}},
    {"partnerships",
     "{\"op\":\"t_intersects\",\"args\":[" PROP("established") ",{\"interval\":[\"1970-01-01\","
                                                               "\"1980-01-01\"]}]}",
     {SY, DK}},
    {"partnerships",
     "{\"op\":\"t_meets\",\"args\":[" PROP(
         "established") ",{\"timestamp\":\"1979-05-01T23:59:59Z\"}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"t_metby\",\"args\":[" PROP(
         "established") ",{\"interval\":[\"1970-01-01T00:00:00Z\","
                        "\"1973-11-30T00:00:00Z\"]}]}",
     {SY}},
    {"partnerships",
     "{\"op\":\"t_equals\",\"args\":[" PROP("established") ",{\"date\":\"1979-05-01\"}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"t_disjoint\",\"args\":[" PROP("established") ",{\"interval\":[\"1973-01-01\","
                                                             "\"1980-01-01\"]}]}",
     {CH}},
    {"partnerships",
     "{\"op\":\"t_contains\",\"args\":[" PROP(
         "established") ",{\"timestamp\":\"1979-05-01T12:00:00Z\"}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"t_finishedby\",\"args\":[" PROP(
         "established") ",{\"timestamp\":\"1986-10-23T23:59:59Z\"}]}",
     {CH}},
    {"partnerships",
     "{\"op\":\"t_finishes\",\"args\":[" PROP("established") ",{\"interval\":[\"1970-01-01\","
                                                             "\"1979-05-01\"]}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"t_overlappedby\",\"args\":[" PROP(
         "established") ",{\"interval\":["
                        "\"1979-01-01T00:00:00Z\",\"1979-05-01T12:00:00Z\"]}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"t_overlaps\",\"args\":[" PROP(
         "established") ",{\"interval\":["
                        "\"1986-10-23T12:00:00Z\",\"1987-01-01T00:00:00Z\"]}]}",
     {CH}},
    {"partnerships",
     "{\"op\":\"t_startedby\",\"args\":[" PROP(
         "established") ",{\"timestamp\":\"1979-05-01T00:00:00Z\"}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"t_starts\",\"args\":[" PROP("established") ",{\"interval\":[\"1979-05-01\","
                                                           "\"1979-12-31\"]}]}",
     {DK}},
    {"partnerships",
     "{\"op\":\"t_before\",\"args\":[" PROP("established") ",{\"interval\":[\"1979-05-02\","
                                                           "\"..\"]}]}",
     {SY, DK}},
};

static void test_http_query_filter_json(void **state)
{
    (void)state;
    run_filter_cases(json_cases, sizeof json_cases / sizeof json_cases[0], "cql2-json");
}

/* --- filter errors and paging ------------------------------------------------------------- */

static void test_http_query_filter_errors(void **state)
{
    (void)state;
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    char *u;
#define CHECK_400(coll, lang, filter, ...)                                                         \
    do {                                                                                           \
        u = filter_url(coll, lang, filter, "");                                                    \
        check_400(&f, u, NEEDLES(__VA_ARGS__));                                                    \
        free(u);                                                                                   \
    } while (0)
    /* Syntax errors name the position (1-based characters). */
    CHECK_400("cities", NULL, "name_en = = 'x'", "filter", "character 11");
    CHECK_400("cities", NULL, "name_en = 'Dalian", "filter", "character 11");
    CHECK_400("cities", NULL, "name_en = 'Dalian' AND", "filter", "character");
    CHECK_400("cities", NULL, "S_INTERSECTS(geometry, POINT(1))", "filter", "character");
    CHECK_400("cities", NULL, "", "filter");
    CHECK_400("cities", "cql2-json", "{\"op\":\"=\",\"args\":[", "filter", "character");
    CHECK_400("cities", "cql2-json", "{\"op\":\"nope\",\"args\":[1,2]}", "filter");
    /* The encoding must be the one named. */
    CHECK_400("cities", "cql2-json", "name_en = 'Dalian'", "filter");
    CHECK_400("cities", "cql2-text", "{\"op\":\"=\",\"args\":[" PROP("name_en") ",\"Dalian\"]}",
              "filter");
    /* An unknown property is named, with the queryables. */
    CHECK_400("cities", NULL, "nope = 1", "'nope'", "name_en", "population", "geometry");
    CHECK_400("partnerships", NULL, "established > DATE('1979-01-01') AND bogus IS NULL", "'bogus'",
              "established", "cn_city");
    CHECK_400("cities", "cql2-json", "{\"op\":\"=\",\"args\":[" PROP("nope") ",1]}", "'nope'",
              "name_en");
    /* Type mismatches. */
    CHECK_400("cities", NULL, "name_en > 5", "filter", "compare");
    CHECK_400("cities", NULL, "population = 'many'", "filter", "compare");
    CHECK_400("cities", NULL, "population LIKE '1%'", "filter", "LIKE");
    CHECK_400("cities", NULL, "S_INTERSECTS(name_en, POINT(1 1))", "filter", "geometr");
    CHECK_400("partnerships", NULL, "T_AFTER(kind, DATE('1979-01-01'))", "filter", "temporal");
    CHECK_400("partnerships", NULL, "established + 1 > 5", "filter", "arithmetic");
    CHECK_400("cities", NULL, "name_en", "filter");
    /* CQL2 BETWEEN takes numeric expressions only (OGC 21-065r2, isBetweenPredicate). */
    CHECK_400("partnerships", NULL, "established BETWEEN DATE('1973-01-01') AND DATE('1979-12-31')",
              "filter", "BETWEEN");
    /* filter-lang and filter-crs. */
    u = filter_url("cities", "xml", "name_en = 'Dalian'", "");
    check_400(&f, u, NEEDLES("filter-lang", "xml"));
    free(u);
    u = filter_url("cities", NULL, "name_en = 'Dalian'",
                   "&filter-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F4326");
    check_400(&f, u, NEEDLES("filter-crs", CRS84));
    free(u);
    check_400(&f, "/collections/cities/items?filter-lang=cql2-text",
              NEEDLES("filter-lang", "without filter"));
    check_400(&f, "/collections/cities/items?filter=name_en%3D%27a%27&filter=name_en%3D%27b%27",
              NEEDLES("filter", "more than once"));
    /* CRS84 named explicitly is accepted. */
    u = filter_url("cities", "cql2-text", "name_en = 'Dalian'",
                   "&filter-crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FOGC%2F1.3%2FCRS84");
    check_ids(&f, u, u, IDS("cn-dalian"), 0);
    free(u);
#undef CHECK_400
    failures_check(&f);
}

/* Follow next links from url to the end; return the ids in order, space-separated, and check
 * that every next link carries want_filter (decoded) and the encoded filter. */
static void follow_pages(const char *url, const char *want_filter, const char *want_lang, char *ids,
                         size_t size, int *pages)
{
    char *next = strdup(url);
    ids[0] = '\0';
    *pages = 0;
    while (next) {
        json_t *fc = th_get_json(&srv, next, 200, TYPE_GEOJSON);
        (*pages)++;
        if (*pages > 20)
            fail_msg("more than 20 pages from %s", url);
        size_t i;
        json_t *ft;
        json_array_foreach(json_object_get(fc, "features"), i, ft)
            snprintf(ids + strlen(ids), size - strlen(ids), "%s%s", ids[0] ? " " : "",
                     json_string_value(json_object_get(ft, "id")));
        free(next);
        next = NULL;
        const char *href = th_link_href(json_object_get(fc, "links"), "next", TYPE_GEOJSON);
        if (href) {
            json_t *q = th_query_params(href);
            json_t *fl = json_object_get(q, "filter");
            if (json_array_size(fl) != 1 ||
                strcmp(json_string_value(json_array_get(fl, 0)), want_filter))
                fail_msg("next link %s does not carry the filter %s", href, want_filter);
            json_t *ll = json_object_get(q, "filter-lang");
            if (want_lang && (json_array_size(ll) != 1 ||
                              strcmp(json_string_value(json_array_get(ll, 0)), want_lang)))
                fail_msg("next link %s does not carry filter-lang=%s", href, want_lang);
            /* The query part of the link is encoded: no raw space, quote, '>' or '{'. */
            const char *query = strchr(href, '?');
            assert_non_null(query);
            if (strpbrk(query, " '\"<>{}"))
                fail_msg("next link %s is not URL-encoded", href);
            json_decref(q);
            next = strdup(href);
        }
        json_decref(fc);
    }
}

static void test_http_query_filter_paging(void **state)
{
    (void)state;
    char ids[1024];
    int pages;
    /* Names with an a and more than a million people: Dalian, Shanghai, Hiroshima, Yokohama
     * (Chongqing has no a; Kitakyushu and Weihai have fewer). */
    const char *text = "name_en LIKE '%a%' AND population > 1000000";
    char *u = filter_url("cities", NULL, text, "");
    char *u1 = malloc(strlen(u) + 16);
    assert_non_null(u1);
    /* limit=100 → limit=1 */
    char *lim = strstr(u, "limit=100");
    assert_non_null(lim);
    snprintf(u1, strlen(u) + 16, "%.*slimit=1%s", (int)(lim - u), u, lim + strlen("limit=100"));
    follow_pages(u1, text, NULL, ids, sizeof ids, &pages);
    assert_string_equal(ids, "cn-dalian cn-shanghai jp-hiroshima jp-yokohama");
    assert_int_equal(pages, 4);
    free(u);
    free(u1);

    const char *json = "{\"op\":\"<\",\"args\":[" PROP("population") ",2000000]}";
    u = filter_url("cities", "cql2-json", json, "");
    lim = strstr(u, "limit=100");
    u1 = malloc(strlen(u) + 16);
    assert_non_null(u1);
    snprintf(u1, strlen(u) + 16, "%.*slimit=1%s", (int)(lim - u), u, lim + strlen("limit=100"));
    follow_pages(u1, json, "cql2-json", ids, sizeof ids, &pages);
    assert_string_equal(ids, "cn-weihai jp-hiroshima jp-kitakyushu");
    assert_int_equal(pages, 3);
    free(u);
    free(u1);
}

/* The ETag names the answer to this query, not only the data: another filter is another
 * document, so its If-None-Match must not match. */
static void test_http_query_etag_per_query(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"/collections/cities/items?filter=country%3D%27CN%27",
         "/collections/cities/items?filter=country%3D%27JP%27"},
        {"/collections/cities/items?sortby=name_en", "/collections/cities/items?sortby=-name_en"},
        {"/collections/cities/items?q=dalian", "/collections/cities/items?q=weihai"},
        {"/collections/cities/items?near=122,37&limit=1",
         "/collections/cities/items?near=130,33&limit=1"},
        {"/collections/partnerships/summary?groupby=year",
         "/collections/partnerships/summary?groupby=kind"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        struct th_resp r;
        th_get(&srv, pairs[i][0], &r);
        assert_int_equal(r.status, 200);
        char *etag = th_header(&r, "ETag");
        th_resp_fini(&r);
        if (!etag)
            fail_msg("%s: no ETag", pairs[i][0]);
        char inm[256];
        snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
        const char *const headers[] = {inm, NULL};
        th_request(&srv, "GET", pairs[i][0], headers, NULL, &r);
        if (r.status != 304)
            fail_msg("%s with its own ETag: status %ld, expected 304", pairs[i][0], r.status);
        th_resp_fini(&r);
        th_request(&srv, "GET", pairs[i][1], headers, NULL, &r);
        if (r.status != 200)
            fail_msg("%s with the ETag of %s: status %ld, expected 200", pairs[i][1], pairs[i][0],
                     r.status);
        th_resp_fini(&r);
        free(etag);
    }
}

/* --- queryables as parameters, sortby, properties, skipGeometry ---------------------------- */

static void test_http_query_queryable_params(void **state)
{
    (void)state;
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    static const struct {
        const char *url;
        const char *ids[MAX_IDS];
    } cases[] = {
        {"/collections/cities/items?name_en=Dalian", {"cn-dalian"}},
        {"/collections/cities/items?name_zh=%E5%A4%A7%E8%BF%9E%E5%B8%82", {"cn-dalian"}},
        {"/collections/cities/items?population=7457600", {"cn-chongqing"}},
        {"/collections/cities/items?geonames_id=1814087", {"cn-dalian"}},
        {"/collections/cities/items?partners=0", {"cn-weihai"}},
        {"/collections/cities/items?region_name=Fukuoka", {"jp-kitakyushu"}},
        {"/collections/cities/items?name_en=Dalian&country=JP", {NULL}},
        {"/collections/partnerships/items?cn_city=cn-dalian", {DK}},
        {"/collections/partnerships/items?jp_name_en=Yokohama", {SY}},
        {"/collections/partnerships/items?established=1979-05-01", {DK}},
        {"/collections/partnerships/items?distance_km=1001.095", {DK}},
        {"/collections/memberships/items?since=2002", {"kin-weihai", "kin-chongqing"}},
        {"/collections/events/items?host_name=Kitakyushu", {"mced-2000"}},
        {"/collections/pilot-sites/items?status=completed",
         {"pilot-weihai-wastewater-ppp", "pilot-chongqing-air-quality"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_ids(&f, cases[i].url, cases[i].url, cases[i].ids, 0);
    check_400(&f, "/collections/cities/items?nope=1", NEEDLES("nope"));
    check_400(&f, "/collections/cities/items?name_en=", NEEDLES("name_en"));
    failures_check(&f);
}

static void test_http_query_sortby(void **state)
{
    (void)state;
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    /* Population: Shanghai, Chongqing, Dalian, Yokohama, Hiroshima, Kitakyushu, Weihai. */
    check_ids(&f, "-population", "/collections/cities/items?sortby=-population",
              IDS("cn-shanghai", "cn-chongqing", "cn-dalian", "jp-yokohama", "jp-hiroshima",
                  "jp-kitakyushu", "cn-weihai"),
              1);
    check_ids(&f, "%2Bpopulation", "/collections/cities/items?sortby=%2Bpopulation",
              IDS("cn-weihai", "jp-kitakyushu", "jp-hiroshima", "jp-yokohama", "cn-dalian",
                  "cn-chongqing", "cn-shanghai"),
              1);
    check_ids(&f, "population", "/collections/cities/items?sortby=population",
              IDS("cn-weihai", "jp-kitakyushu", "jp-hiroshima", "jp-yokohama", "cn-dalian",
                  "cn-chongqing", "cn-shanghai"),
              1);
    /* Two keys: country ascending, then the name descending. */
    check_ids(&f, "country,-name_en", "/collections/cities/items?sortby=country,-name_en",
              IDS("cn-weihai", "cn-shanghai", "cn-dalian", "cn-chongqing", "jp-yokohama",
                  "jp-kitakyushu", "jp-hiroshima"),
              1);
    check_ids(&f, "-id", "/collections/cities/items?sortby=-id",
              IDS("jp-yokohama", "jp-kitakyushu", "jp-hiroshima", "cn-weihai", "cn-shanghai",
                  "cn-dalian", "cn-chongqing"),
              1);
    check_ids(&f, "established", "/collections/partnerships/items?sortby=established",
              IDS(SY, DK, CH), 1);
    check_ids(&f, "-distance_km", "/collections/partnerships/items?sortby=-distance_km",
              IDS(CH, SY, DK), 1);
    /* With a filter. */
    check_ids(&f, "filter+sortby",
              "/collections/cities/items?filter=country%3D%27JP%27&sortby=-population",
              IDS("jp-yokohama", "jp-hiroshima", "jp-kitakyushu"), 1);
    check_400(&f, "/collections/cities/items?sortby=nope", NEEDLES("sortby", "nope"));
    check_400(&f, "/collections/cities/items?sortby=-population,", NEEDLES("sortby"));
    check_400(&f, "/collections/cities/items?sortby=", NEEDLES("sortby"));
    failures_check(&f);

    /* Pages follow the order, and next links keep sortby. */
    char ids[1024];
    ids[0] = '\0';
    char *next = strdup("/collections/cities/items?sortby=-population&limit=3");
    while (next) {
        json_t *fc = th_get_json(&srv, next, 200, TYPE_GEOJSON);
        size_t i;
        json_t *ft;
        json_array_foreach(json_object_get(fc, "features"), i, ft)
            snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", ids[0] ? " " : "",
                     json_string_value(json_object_get(ft, "id")));
        free(next);
        const char *href = th_link_href(json_object_get(fc, "links"), "next", TYPE_GEOJSON);
        next = href ? strdup(href) : NULL;
        json_decref(fc);
    }
    assert_string_equal(ids, "cn-shanghai cn-chongqing cn-dalian jp-yokohama jp-hiroshima "
                             "jp-kitakyushu cn-weihai");
}

static void test_http_query_properties_skip_geometry(void **state)
{
    (void)state;
    json_t *fc = th_get_json(&srv, "/collections/cities/items?properties=name_en,population", 200,
                             TYPE_GEOJSON);
    size_t i;
    json_t *ft;
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 7);
    json_array_foreach(json_object_get(fc, "features"), i, ft)
    {
        json_t *props = json_object_get(ft, "properties");
        assert_int_equal(json_object_size(props), 2);
        assert_true(json_is_string(json_object_get(props, "name_en")));
        assert_true(json_is_integer(json_object_get(props, "population")));
        assert_true(json_is_object(json_object_get(ft, "geometry")));
    }
    assert_int_equal(number(json_object_get(json_object_get(feature(fc, "cn-weihai"), "properties"),
                                            "population")),
                     152595);
    json_decref(fc);

    fc = th_get_json(&srv,
                     "/collections/partnerships/items?properties=established&skipGeometry=true",
                     200, TYPE_GEOJSON);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 3);
    json_array_foreach(json_object_get(fc, "features"), i, ft)
    {
        json_t *props = json_object_get(ft, "properties");
        assert_int_equal(json_object_size(props), 1);
        assert_non_null(json_object_get(props, "established"));
        json_t *g = json_object_get(ft, "geometry");
        if (!g || !json_is_null(g))
            fail_msg("skipGeometry=true: geometry of %s is not null",
                     json_string_value(json_object_get(ft, "id")));
    }
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(feature(fc, DK), "properties"), "established")),
                        "1979-05-01");
    json_decref(fc);

    fc = th_get_json(&srv, "/collections/cities/items?skipGeometry=false&limit=1", 200,
                     TYPE_GEOJSON);
    assert_true(json_is_object(
        json_object_get(json_array_get(json_object_get(fc, "features"), 0), "geometry")));
    json_decref(fc);

    expect_400("/collections/cities/items?properties=name_en,nope", NEEDLES("properties", "nope"));
    expect_400("/collections/cities/items?skipGeometry=maybe", NEEDLES("skipGeometry", "maybe"));
}

/* --- near, distances, geodesic lines ------------------------------------------------------ */

static void test_http_query_near(void **state)
{
    (void)state;
    /* Without radius: the limit nearest. */
    json_t *fc = th_get_json(&srv, "/collections/cities/items?near=122.11356,37.50914&limit=3", 200,
                             TYPE_GEOJSON);
    json_t *features = json_object_get(fc, "features");
    assert_int_equal(json_array_size(features), 3);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), 7);
    static const char *const nearest[] = {"cn-weihai", "cn-dalian", "cn-shanghai"};
    static const double lonlat[][2] = {
        {WEIHAI_LON, WEIHAI_LAT}, {DALIAN_LON, DALIAN_LAT}, {121.45806, 31.22222}};
    for (size_t i = 0; i < 3; i++) {
        json_t *ft = json_array_get(features, i);
        assert_string_equal(json_string_value(json_object_get(ft, "id")), nearest[i]);
        double d = number(json_object_get(json_object_get(ft, "properties"), "distance_m"));
        double want = geod_m(WEIHAI_LON, WEIHAI_LAT, lonlat[i][0], lonlat[i][1], NULL);
        if (fabs(d - want) > 1)
            fail_msg("%s: distance_m %.3f, geod_inverse %.3f", nearest[i], d, want);
    }
    assert_true(number(json_object_get(json_object_get(json_array_get(features, 0), "properties"),
                                       "distance_m")) < 1);
    json_decref(fc);

    /* Within 300 km of Weihai: Weihai itself and Dalian (162 km); Shanghai is 700 km. */
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    check_ids(&f, "radius=300000",
              "/collections/cities/items?near=122.11356,37.50914&radius=300000",
              IDS("cn-weihai", "cn-dalian"), 1);
    /* Weihai–Dalian is 162052.49 m (geod -I). */
    check_ids(&f, "radius=162000",
              "/collections/cities/items?near=122.11356,37.50914&radius=162000", IDS("cn-weihai"),
              1);
    check_ids(&f, "radius=162100",
              "/collections/cities/items?near=122.11356,37.50914&radius=162100",
              IDS("cn-weihai", "cn-dalian"), 1);
    failures_check(&f);
    /* With a filter: the nearest Japanese city is Kitakyushu (888 km), of 3 matching. */
    fc = th_get_json(&srv, "/collections/cities/items?near=122.11356,37.50914&country=JP&limit=1",
                     200, TYPE_GEOJSON);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), 3);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(fc, "features"), 0), "id")),
                        "jp-kitakyushu");
    json_decref(fc);

    /* Across the antimeridian: (-175 35) to Yokohama is 4091935.393 m (geod -I), and the
     * search box around it is split in two. */
    f.n = 0;
    f.text[0] = '\0';
    check_ids(&f, "near=-175,35&radius=4100000",
              "/collections/cities/items?near=-175,35&radius=4100000", IDS("jp-yokohama"), 1);
    failures_check(&f);
    fc = th_get_json(&srv, "/collections/cities/items?near=-175,35&limit=1", 200, TYPE_GEOJSON);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(fc, "features"), 0), "id")),
                        "jp-yokohama");
    json_decref(fc);

    /* Every city, by distance, paged two at a time; distance_m ascending across pages. */
    char ids[1024];
    ids[0] = '\0';
    double last = -1;
    char *next = strdup("/collections/cities/items?near=122.11356,37.50914&limit=2");
    while (next) {
        fc = th_get_json(&srv, next, 200, TYPE_GEOJSON);
        size_t i;
        json_t *ft;
        json_array_foreach(json_object_get(fc, "features"), i, ft)
        {
            snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", ids[0] ? " " : "",
                     json_string_value(json_object_get(ft, "id")));
            double d = number(json_object_get(json_object_get(ft, "properties"), "distance_m"));
            if (d < last)
                fail_msg("distance_m not ascending: %f after %f", d, last);
            last = d;
        }
        free(next);
        const char *href = th_link_href(json_object_get(fc, "links"), "next", TYPE_GEOJSON);
        next = href ? strdup(href) : NULL;
        json_decref(fc);
    }
    /* geod -I from Weihai: Dalian 162052, Shanghai 700000, Kitakyushu 888395, Hiroshima
     * 993587, Yokohama 1586098, Chongqing 1689416 m. */
    assert_string_equal(ids, "cn-weihai cn-dalian cn-shanghai jp-kitakyushu jp-hiroshima "
                             "jp-yokohama cn-chongqing");

    /* Partnerships: the distance to the line, not to its ends. */
    fc = th_get_json(&srv, "/collections/partnerships/items?near=122.11356,37.50914", 200,
                     TYPE_GEOJSON);
    features = json_object_get(fc, "features");
    assert_int_equal(json_array_size(features), 3);
    json_t *first = json_array_get(features, 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), DK);
    double d = number(json_object_get(json_object_get(first, "properties"), "distance_m"));
    double want = lonlat_segment_m(WEIHAI_LON, WEIHAI_LAT, DALIAN_LON, DALIAN_LAT, KITAKYUSHU_LON,
                                   KITAKYUSHU_LAT);
    if (fabs(d - want) > 1)
        fail_msg("Weihai to Dalian–Kitakyushu: distance_m %.3f, expected %.3f", d, want);
    assert_true(d < geod_m(WEIHAI_LON, WEIHAI_LAT, DALIAN_LON, DALIAN_LAT, NULL) - 1000);
    json_decref(fc);
    fc = th_get_json(&srv, "/collections/partnerships/items?near=121.60222,38.91222&limit=1", 200,
                     TYPE_GEOJSON);
    first = json_array_get(json_object_get(fc, "features"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), DK);
    assert_true(number(json_object_get(json_object_get(first, "properties"), "distance_m")) < 1);
    json_decref(fc);

    f.n = 0;
    f.text[0] = '\0';
    check_400(&f, "/collections/cities/items?radius=300000", NEEDLES("radius", "near"));
    check_400(&f, "/collections/cities/items?near=200,0", NEEDLES("near"));
    check_400(&f, "/collections/cities/items?near=122.1", NEEDLES("near"));
    check_400(&f, "/collections/cities/items?near=122.1,37.5,3", NEEDLES("near"));
    check_400(&f, "/collections/cities/items?near=122.1,37.5&radius=0", NEEDLES("radius"));
    check_400(&f, "/collections/cities/items?near=122.1,37.5&radius=-5", NEEDLES("radius"));
    check_400(&f, "/collections/cities/items?near=122.1,37.5&sortby=name_en",
              NEEDLES("sortby", "near"));
    failures_check(&f);
}

static void test_http_query_distance_km(void **state)
{
    (void)state;
    static const struct {
        const char *id;
        double lon1, lat1, lon2, lat2;
    } lines[] = {
        {DK, DALIAN_LON, DALIAN_LAT, KITAKYUSHU_LON, KITAKYUSHU_LAT},
        {CH, 106.55278, 29.56278, 132.45, 34.4},
        {SY, 121.45806, 31.22222, 139.65, 35.43333},
    };
    json_t *fc = th_get_json(&srv, "/collections/partnerships/items", 200, TYPE_GEOJSON);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        json_t *props = json_object_get(feature(fc, lines[i].id), "properties");
        double km = number(json_object_get(props, "distance_km"));
        double geod = geod_program_m(lines[i].lon1, lines[i].lat1, lines[i].lon2, lines[i].lat2);
        double proj = geod_m(lines[i].lon1, lines[i].lat1, lines[i].lon2, lines[i].lat2, NULL);
        if (fabs(km * 1000 - geod) > 1)
            fail_msg("%s: distance_km %.3f, geod says %.3f m", lines[i].id, km, geod);
        assert_true(fabs(geod - proj) < 0.01);
    }
    json_decref(fc);
}

static void test_http_query_geodesic(void **state)
{
    (void)state;
    json_t *straight = th_get_json(&srv, "/collections/partnerships/items", 200, TYPE_GEOJSON);
    json_t *geodesic =
        th_get_json(&srv, "/collections/partnerships/items?geometry=geodesic", 200, TYPE_GEOJSON);
    const char *ids[] = {SY, DK, CH};
    for (size_t k = 0; k < 3; k++) {
        json_t *sc =
            json_object_get(json_object_get(feature(straight, ids[k]), "geometry"), "coordinates");
        json_t *g = json_object_get(feature(geodesic, ids[k]), "geometry");
        assert_string_equal(json_string_value(json_object_get(g, "type")), "LineString");
        json_t *gc = json_object_get(g, "coordinates");
        size_t n = json_array_size(gc);
        assert_int_equal(json_array_size(sc), 2);
        double alon = number(json_array_get(json_array_get(sc, 0), 0));
        double alat = number(json_array_get(json_array_get(sc, 0), 1));
        double blon = number(json_array_get(json_array_get(sc, 1), 0));
        double blat = number(json_array_get(json_array_get(sc, 1), 1));
        /* The ends are the straight line's. */
        if (n < 2 || number(json_array_get(json_array_get(gc, 0), 0)) != alon ||
            number(json_array_get(json_array_get(gc, 0), 1)) != alat ||
            number(json_array_get(json_array_get(gc, n - 1), 0)) != blon ||
            number(json_array_get(json_array_get(gc, n - 1), 1)) != blat)
            fail_msg("%s: the geodesic line does not end where the straight one does", ids[k]);
        double azi_ab;
        double total = geod_m(alon, alat, blon, blat, &azi_ab);
        /* Enough points for pieces of at most 50 km. */
        assert_true((double)(n - 1) >= total / 50e3);
        double sum = 0;
        for (size_t i = 0; i + 1 < n; i++) {
            double lon1 = number(json_array_get(json_array_get(gc, i), 0));
            double lat1 = number(json_array_get(json_array_get(gc, i), 1));
            double lon2 = number(json_array_get(json_array_get(gc, i + 1), 0));
            double lat2 = number(json_array_get(json_array_get(gc, i + 1), 1));
            double piece = geod_m(lon1, lat1, lon2, lat2, NULL);
            /* 50 km, and 1 m for the coordinates' 6 decimals (0.11 m at most). */
            if (piece > 50e3 + 1)
                fail_msg("%s: piece %zu is %.3f m long", ids[k], i, piece);
            sum += piece;
            /* Each inner point is on the geodesic: seen from the start, in the direction of
             * the end (1e-3 degrees is 0.9 m at 50 km). */
            if (i > 0) {
                double azi;
                geod_m(alon, alat, lon1, lat1, &azi);
                if (fabs(azi - azi_ab) > 1e-3)
                    fail_msg("%s: point %zu (%f %f) is off the geodesic: azimuth %f, not %f",
                             ids[k], i, lon1, lat1, azi, azi_ab);
            }
        }
        if (fabs(sum - total) > 1)
            fail_msg("%s: the pieces add up to %.3f m, the geodesic is %.3f m", ids[k], sum, total);
        if (!strcmp(ids[k], DK))
            assert_true(n > 2);
    }
    json_decref(straight);
    json_decref(geodesic);

    /* geometry=straight is the default; points are unchanged; bogus is refused. */
    json_t *fc =
        th_get_json(&srv, "/collections/partnerships/items?geometry=straight", 200, TYPE_GEOJSON);
    assert_int_equal(json_array_size(json_object_get(json_object_get(feature(fc, DK), "geometry"),
                                                     "coordinates")),
                     2);
    json_decref(fc);
    fc = th_get_json(&srv, "/collections/cities/items?geometry=geodesic&name_en=Dalian", 200,
                     TYPE_GEOJSON);
    json_t *pt =
        json_object_get(json_object_get(feature(fc, "cn-dalian"), "geometry"), "coordinates");
    assert_true(number(json_array_get(pt, 0)) == DALIAN_LON);
    assert_true(number(json_array_get(pt, 1)) == DALIAN_LAT);
    json_decref(fc);
    /* With near=, the geodesic line too. */
    fc = th_get_json(
        &srv, "/collections/partnerships/items?near=121.60222,38.91222&limit=1&geometry=geodesic",
        200, TYPE_GEOJSON);
    assert_true(json_array_size(json_object_get(json_object_get(feature(fc, DK), "geometry"),
                                                "coordinates")) > 2);
    json_decref(fc);
    expect_400("/collections/partnerships/items?geometry=bogus", NEEDLES("geometry", "bogus"));
}

/* --- q: the name search ------------------------------------------------------------------- */

static void test_http_query_q(void **state)
{
    (void)state;
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    static const struct {
        const char *url;
        const char *ids[MAX_IDS];
        int ordered;
    } cases[] = {
        /* 大连 (two characters: no trigram). */
        {"/collections/cities/items?q=%E5%A4%A7%E8%BF%9E", {"cn-dalian"}, 1},
        /* 北九州 */
        {"/collections/cities/items?q=%E5%8C%97%E4%B9%9D%E5%B7%9E", {"jp-kitakyushu"}, 1},
        {"/collections/cities/items?q=kita", {"jp-kitakyushu"}, 1},
        {"/collections/cities/items?q=KITAKYUSHU", {"jp-kitakyushu"}, 1},
        /* Kitakyūshū and KITAKYŪSHŪ: accents are folded away. */
        {"/collections/cities/items?q=Kitaky%C5%ABsh%C5%AB", {"jp-kitakyushu"}, 1},
        {"/collections/cities/items?q=KITAKY%C5%AASH%C5%AA", {"jp-kitakyushu"}, 1},
        /* 広島 (Japanese only: Hiroshima has no Chinese name). */
        {"/collections/cities/items?q=%E5%BA%83%E5%B3%B6", {"jp-hiroshima"}, 1},
        {"/collections/cities/items?q=hai", {"cn-shanghai", "cn-weihai"}, 1},
        {"/collections/cities/items?q=hai&country=CN&bbox=122,37,123,38", {"cn-weihai"}, 1},
        {"/collections/cities/items?q=nowhere", {NULL}, 1},
        /* Quotes are text, not FTS syntax. */
        {"/collections/cities/items?q=%22kita%22", {NULL}, 1},
        {"/collections/cities/items?q=a%27b", {NULL}, 1},
        {"/collections/partnerships/items?q=hiroshima", {CH}, 1},
        {"/collections/partnerships/items?q=%E5%A4%A7%E8%BF%9E", {DK}, 1},
        {"/collections/partnerships/items?q=%E5%8C%97%E4%B9%9D%E5%B7%9E", {DK}, 1},
        {"/collections/partnerships/items?q=Yokohama", {SY}, 1},
        {"/collections/memberships/items?q=weihai", {"kin-weihai"}, 1},
        {"/collections/memberships/items?q=%E5%A8%81%E6%B5%B7", {"kin-weihai"}, 1},
        {"/collections/pilot-sites/items?q=wastewater", {"pilot-weihai-wastewater-ppp"}, 1},
        /* A whole name (the host Kitakyushu) ranks before a word inside a title, though the id
         * order is the other way round. */
        {"/collections/events/items?q=kitakyushu", {"mced-2000", "kin2-2003-weihai"}, 1},
        /* With a filter. */
        {"/collections/events/items?q=kitakyushu&filter=type%3D%27network_meeting%27",
         {"kin2-2003-weihai"},
         1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_ids(&f, cases[i].url, cases[i].url, cases[i].ids, cases[i].ordered);
    check_400(&f, "/collections/cities/items?q=", NEEDLES("q"));
    char url[512];
    int at = snprintf(url, sizeof url, "/collections/cities/items?q=");
    for (int i = 0; i < 201; i++)
        url[at++] = 'a';
    url[at] = '\0';
    check_400(&f, url, NEEDLES("q"));
    failures_check(&f);
}

/* --- cities: partners and related links --------------------------------------------------- */

static void test_http_query_city_partners(void **state)
{
    (void)state;
    json_t *fc = th_get_json(&srv, "/collections/cities/items", 200, TYPE_GEOJSON);
    /* Each city of the fixture takes part in one partnership, but Weihai in none. */
    static const struct {
        const char *id;
        long partners;
    } want[] = {{"cn-dalian", 1},     {"cn-chongqing", 1}, {"cn-shanghai", 1}, {"cn-weihai", 0},
                {"jp-kitakyushu", 1}, {"jp-hiroshima", 1}, {"jp-yokohama", 1}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *ft = feature(fc, want[i].id);
        json_t *p = json_object_get(json_object_get(ft, "properties"), "partners");
        if (!json_is_integer(p) || json_integer_value(p) != want[i].partners)
            fail_msg("%s: partners is not %ld", want[i].id, want[i].partners);
    }
    json_t *links = json_object_get(feature(fc, "cn-dalian"), "links");
    const char *href = NULL;
    size_t i;
    json_t *l;
    json_array_foreach(links, i, l)
    {
        const char *rel = json_string_value(json_object_get(l, "rel"));
        const char *h = json_string_value(json_object_get(l, "href"));
        if (rel && h && !strcmp(rel, "related") &&
            strstr(h, "/collections/partnerships/items?city=cn-dalian"))
            href = h;
    }
    if (!href)
        fail_msg("cn-dalian has no related link to its partnerships");
    const char *tail = "/collections/partnerships/items?city=cn-dalian";
    assert_string_equal(href + strlen(href) - strlen(tail), tail);
    expect_ids(href, IDS(DK), 0);
    json_decref(fc);
}

/* --- summary ------------------------------------------------------------------------------ */

static json_t *group(json_t *doc, const char *key)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(doc, "groups"), i, g)
    {
        const char *k = json_string_value(json_object_get(g, "key"));
        if (k && !strcmp(k, key))
            return g;
    }
    fail_msg("no group %s", key);
    return NULL;
}

static long long int_at(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", k);
    return json_integer_value(v);
}

static void test_http_query_summary(void **state)
{
    (void)state;
    json_t *doc =
        th_get_json(&srv, "/collections/partnerships/summary?groupby=year", 200, TYPE_JSON);
    assert_int_equal(int_at(doc, "numberMatched"), 3);
    assert_int_equal(json_array_size(json_object_get(doc, "groups")), 3);
    assert_int_equal(int_at(group(doc, "1973"), "count"), 1);
    assert_int_equal(int_at(group(doc, "1979"), "count"), 1);
    assert_int_equal(int_at(group(doc, "1986"), "count"), 1);
    json_decref(doc);

    doc =
        th_get_json(&srv, "/collections/partnerships/summary?groupby=kind&count=cn_city,cn_region",
                    200, TYPE_JSON);
    assert_int_equal(int_at(doc, "numberMatched"), 3);
    assert_int_equal(json_array_size(json_object_get(doc, "groups")), 1);
    json_t *g = group(doc, "friendship");
    assert_int_equal(int_at(g, "count"), 3);
    assert_int_equal(int_at(json_object_get(g, "distinct"), "cn_city"), 3);
    assert_int_equal(int_at(json_object_get(g, "distinct"), "cn_region"), 3);
    assert_int_equal(int_at(json_object_get(doc, "distinct"), "cn_city"), 3);
    assert_int_equal(int_at(json_object_get(doc, "distinct"), "cn_region"), 3);
    json_decref(doc);

    /* Established by the end of 1980: Shanghai–Yokohama (1973) and Dalian–Kitakyushu (1979). */
    doc = th_get_json(&srv, "/collections/partnerships/summary?datetime=../1980-12-31", 200,
                      TYPE_JSON);
    assert_int_equal(int_at(doc, "numberMatched"), 2);
    json_decref(doc);
    doc = th_get_json(&srv,
                      "/collections/partnerships/summary?groupby=year&filter=T_AFTER(established%"
                      "2CDATE(%271975-01-01%27))",
                      200, TYPE_JSON);
    assert_int_equal(int_at(doc, "numberMatched"), 2);
    assert_int_equal(json_array_size(json_object_get(doc, "groups")), 2);
    json_decref(doc);
    doc = th_get_json(&srv, "/collections/partnerships/summary?q=dalian", 200, TYPE_JSON);
    assert_int_equal(int_at(doc, "numberMatched"), 1);
    json_decref(doc);

    /* Cities by country, with the number of regions: CN 4 cities in 4 regions, JP 3 in 3. */
    doc = th_get_json(&srv, "/collections/cities/summary?groupby=country&count=region", 200,
                      TYPE_JSON);
    assert_int_equal(int_at(doc, "numberMatched"), 7);
    assert_int_equal(int_at(group(doc, "CN"), "count"), 4);
    assert_int_equal(int_at(group(doc, "JP"), "count"), 3);
    assert_int_equal(int_at(json_object_get(group(doc, "CN"), "distinct"), "region"), 4);
    assert_int_equal(int_at(json_object_get(doc, "distinct"), "region"), 7);
    json_decref(doc);
    /* Memberships by the year of `since`: 2000 Kitakyushu; 2002 Weihai and Chongqing. */
    doc = th_get_json(&srv, "/collections/memberships/summary?groupby=year", 200, TYPE_JSON);
    assert_int_equal(int_at(group(doc, "2000"), "count"), 1);
    assert_int_equal(int_at(group(doc, "2002"), "count"), 2);
    json_decref(doc);

    struct failures f = {.n = 0};
    f.text[0] = '\0';
    check_400(&f, "/collections/partnerships/summary?groupby=nope", NEEDLES("groupby", "nope"));
    check_400(&f, "/collections/cities/summary?groupby=year", NEEDLES("groupby", "year"));
    check_400(&f, "/collections/partnerships/summary?count=nope", NEEDLES("count", "nope"));
    check_400(&f, "/collections/partnerships/summary?limit=10", NEEDLES("limit"));
    check_400(&f, "/collections/partnerships/summary?sortby=id", NEEDLES("sortby"));
    check_400(&f, "/collections/partnerships/summary?bogus=1", NEEDLES("bogus"));
    failures_check(&f);

    struct th_resp r;
    th_get(&srv, "/collections/partnerships/summary?groupby=year&f=html", &r);
    assert_int_equal(r.status, 200);
    th_assert_header_prefix(&r, "Content-Type", "text/html");
    assert_non_null(strstr(r.body, "1979"));
    th_resp_fini(&r);
}

/* The summary's self link is the document itself: it keeps groupby and count. */
static void test_http_query_summary_self_link(void **state)
{
    (void)state;
    json_t *doc = th_get_json(&srv, "/collections/partnerships/summary?groupby=year&count=cn_city",
                              200, TYPE_JSON);
    const char *self = th_link_href(json_object_get(doc, "links"), "self", TYPE_JSON);
    assert_non_null(self);
    json_t *q = th_query_params(self);
    json_t *gb = json_object_get(q, "groupby");
    json_t *cnt = json_object_get(q, "count");
    int kept =
        json_array_size(gb) == 1 && !strcmp(json_string_value(json_array_get(gb, 0)), "year") &&
        json_array_size(cnt) == 1 && !strcmp(json_string_value(json_array_get(cnt, 0)), "cn_city");
    char href[512];
    snprintf(href, sizeof href, "%s", self);
    json_decref(q);
    json_decref(doc);
    if (!kept)
        fail_msg("self link %s drops groupby=year&count=cn_city", href);
}

/* near= that finds nothing: an empty page, numberMatched 0. Kept last: under UBSan the
 * server's qsort(NULL, 0, ...) of the empty candidate list (items.c, near_open) is reported
 * as "null pointer passed as argument 1" and, with -fno-sanitize-recover, ends the program,
 * which must not hide the other tests' results. */
static void test_http_query_regression_near_no_match(void **state)
{
    (void)state;
    struct failures f = {.n = 0};
    f.text[0] = '\0';
    /* 10 km short of Yokohama, the nearest city (4091935 m). */
    check_ids(&f, "near=-175,35&radius=4080000",
              "/collections/cities/items?near=-175,35&radius=4080000", NONE, 1);
    check_ids(&f, "near+country=KR", "/collections/cities/items?near=122.1,37.5&country=KR", NONE,
              1);
    failures_check(&f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DB\n", argv[0]);
        return 2;
    }
    fixture_db = argv[1];
    geod_init(&wgs84, 6378137, 1 / 298.257223563);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_query_conformance),
        cmocka_unit_test(test_http_query_queryables),
        cmocka_unit_test(test_http_query_filter_text_comparison),
        cmocka_unit_test(test_http_query_filter_text_casei_accenti),
        cmocka_unit_test(test_http_query_filter_text_arithmetic),
        cmocka_unit_test(test_http_query_filter_text_spatial),
        cmocka_unit_test(test_http_query_filter_text_temporal),
        cmocka_unit_test(test_http_query_filter_json),
        cmocka_unit_test(test_http_query_filter_errors),
        cmocka_unit_test(test_http_query_filter_paging),
        cmocka_unit_test(test_http_query_etag_per_query),
        cmocka_unit_test(test_http_query_queryable_params),
        cmocka_unit_test(test_http_query_sortby),
        cmocka_unit_test(test_http_query_properties_skip_geometry),
        cmocka_unit_test(test_http_query_near),
        cmocka_unit_test(test_http_query_distance_km),
        cmocka_unit_test(test_http_query_geodesic),
        cmocka_unit_test(test_http_query_q),
        cmocka_unit_test(test_http_query_city_partners),
        cmocka_unit_test(test_http_query_summary),
        cmocka_unit_test(test_http_query_summary_self_link),
        cmocka_unit_test(test_http_query_regression_near_no_match),
    };
    th_global_init();
    int rc = cmocka_run_group_tests_name("test_http_query", tests, setup, teardown);
    th_global_fini();
    return rc;
}
