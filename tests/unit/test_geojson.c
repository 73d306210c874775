/*
 * Unit tests of geojson/: what the streaming writer produces, parsed back with jansson as a
 * client would. A Feature has its id, the store's geometry text spliced in (or null), every
 * property of the catalog in order with its JSON type (integer, real, string, null), and
 * self/collection links whose feature id is URL-encoded. A FeatureCollection assembled from
 * begin, features and end is valid JSON with numberReturned, numberMatched (left out when
 * unknown), an RFC 3339 UTC timeStamp and the links given.
 */
#include "geojson/geojson.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* A collection as the catalog would describe it, built by hand. */
static struct pm_property props[] = {
    {"name_en", PM_PROP_STRING, "English name"},
    {"population", PM_PROP_INTEGER, "population"},
    {"area", PM_PROP_NUMBER, "area in km2"},
    {"notes", PM_PROP_STRING, "notes"},
};

static struct pm_collection cities = {
    .id = "cities",
    .title = "Partner cities",
    .geometry_type = "Point",
    .props = props,
    .n_props = sizeof props / sizeof props[0],
};

#define BASE "http://localhost:8080"
#define POINT "{\"type\":\"Point\",\"coordinates\":[121.602220,38.912220]}"

/* Write one feature and parse it; the caller json_decref()s. */
static json_t *feature_json(const struct pm_feature_row *row, const char *base)
{
    struct pm_strbuf b;
    json_error_t jerr;
    pm_strbuf_init(&b);
    pm_geojson_feature(&b, &cities, row, base);
    json_t *doc = json_loadb(b.data, b.len, 0, &jerr);
    if (!doc)
        fail_msg("not JSON (%s at %d): %s", jerr.text, jerr.position, b.data);
    pm_strbuf_fini(&b);
    return doc;
}

static void feature_basic(void **state)
{
    (void)state;
    struct pm_value values[] = {
        {.type = PM_VALUE_TEXT, .s = "Dalian"},
        {.type = PM_VALUE_INT, .i = 4087733},
        {.type = PM_VALUE_REAL, .r = 12573.85},
        {.type = PM_VALUE_NULL},
    };
    struct pm_feature_row row = {.id = "cn-dalian", .geometry = POINT, .values = values};
    json_t *f = feature_json(&row, BASE);

    assert_string_equal(json_string_value(json_object_get(f, "type")), "Feature");
    assert_string_equal(json_string_value(json_object_get(f, "id")), "cn-dalian");

    json_t *g = json_object_get(f, "geometry");
    assert_string_equal(json_string_value(json_object_get(g, "type")), "Point");
    json_t *coords = json_object_get(g, "coordinates");
    assert_int_equal(json_array_size(coords), 2);
    assert_true(json_real_value(json_array_get(coords, 0)) == 121.60222);
    assert_true(json_real_value(json_array_get(coords, 1)) == 38.91222);

    json_t *p = json_object_get(f, "properties");
    assert_int_equal(json_object_size(p), 4);
    assert_string_equal(json_string_value(json_object_get(p, "name_en")), "Dalian");
    assert_true(json_is_integer(json_object_get(p, "population")));
    assert_int_equal(json_integer_value(json_object_get(p, "population")), 4087733);
    assert_true(json_is_real(json_object_get(p, "area")));
    assert_true(json_real_value(json_object_get(p, "area")) == 12573.85);
    /* A NULL value is present as null, so every feature has the same keys. */
    assert_non_null(json_object_get(p, "notes"));
    assert_true(json_is_null(json_object_get(p, "notes")));

    json_t *links = json_object_get(f, "links");
    assert_int_equal(json_array_size(links), 2);
    json_t *self = json_array_get(links, 0);
    assert_string_equal(json_string_value(json_object_get(self, "rel")), "self");
    assert_string_equal(json_string_value(json_object_get(self, "type")), "application/geo+json");
    assert_string_equal(json_string_value(json_object_get(self, "href")),
                        BASE "/collections/cities/items/cn-dalian");
    json_t *coll = json_array_get(links, 1);
    assert_string_equal(json_string_value(json_object_get(coll, "rel")), "collection");
    assert_string_equal(json_string_value(json_object_get(coll, "type")), "application/json");
    assert_string_equal(json_string_value(json_object_get(coll, "href")),
                        BASE "/collections/cities");
    json_decref(f);
}

static void feature_property_order(void **state)
{
    (void)state;
    struct pm_value values[] = {
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_NULL},
    };
    struct pm_feature_row row = {.id = "x", .geometry = POINT, .values = values};
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_geojson_feature(&b, &cities, &row, BASE);
    /* Properties come in catalog order. */
    const char *a = strstr(b.data, "\"name_en\"");
    const char *p = strstr(b.data, "\"population\"");
    const char *r = strstr(b.data, "\"area\"");
    const char *n = strstr(b.data, "\"notes\"");
    assert_true(a && p && r && n);
    assert_true(a < p && p < r && r < n);
    pm_strbuf_fini(&b);
}

static void feature_null_geometry(void **state)
{
    (void)state;
    struct pm_value values[] = {
        {.type = PM_VALUE_TEXT, .s = "Nowhere"},
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_TEXT, .s = "not placed"},
    };
    struct pm_feature_row row = {.id = "cn-nowhere", .geometry = NULL, .values = values};
    json_t *f = feature_json(&row, BASE);
    json_t *g = json_object_get(f, "geometry");
    assert_non_null(g);           /* the member is there (RFC 7946 3.2) ... */
    assert_true(json_is_null(g)); /* ... and null */
    json_decref(f);
}

static void feature_text_escaped_and_utf8(void **state)
{
    (void)state;
    const char *notes = "A note with a comma, a \"quote\"\nand a line break, \\ and \x01.";
    struct pm_value values[] = {
        {.type = PM_VALUE_TEXT, .s = "大连市 / 大連市"},
        {.type = PM_VALUE_INT, .i = -5},
        {.type = PM_VALUE_REAL, .r = 0.1},
        {.type = PM_VALUE_TEXT, .s = notes},
    };
    struct pm_feature_row row = {.id = "cn-dalian", .geometry = POINT, .values = values};
    json_t *f = feature_json(&row, BASE);
    json_t *p = json_object_get(f, "properties");
    assert_string_equal(json_string_value(json_object_get(p, "name_en")), "大连市 / 大連市");
    assert_string_equal(json_string_value(json_object_get(p, "notes")), notes);
    assert_int_equal(json_integer_value(json_object_get(p, "population")), -5);
    /* Reals read back exactly. */
    assert_true(json_real_value(json_object_get(p, "area")) == 0.1);
    json_decref(f);
}

static void feature_large_numbers(void **state)
{
    (void)state;
    struct pm_value values[] = {
        {.type = PM_VALUE_TEXT, .s = ""},
        {.type = PM_VALUE_INT, .i = 9007199254740993LL}, /* 2^53 + 1 */
        {.type = PM_VALUE_REAL, .r = 1e300},
        {.type = PM_VALUE_TEXT, .s = ""},
    };
    struct pm_feature_row row = {.id = "big", .geometry = POINT, .values = values};
    json_t *f = feature_json(&row, BASE);
    json_t *p = json_object_get(f, "properties");
    assert_true(json_integer_value(json_object_get(p, "population")) == 9007199254740993LL);
    assert_true(json_real_value(json_object_get(p, "area")) == 1e300);
    assert_string_equal(json_string_value(json_object_get(p, "name_en")), "");
    json_decref(f);
}

static void feature_id_url_encoded_in_links(void **state)
{
    (void)state;
    struct pm_value values[] = {
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_NULL},
    };
    const char *id = "a b/c?d&e\"f大";
    struct pm_feature_row row = {.id = id, .geometry = POINT, .values = values};
    json_t *f = feature_json(&row, BASE);
    /* The id itself is the text as it is ... */
    assert_string_equal(json_string_value(json_object_get(f, "id")), id);
    /* ... and in the self link it is one percent-encoded path segment. */
    json_t *self = json_array_get(json_object_get(f, "links"), 0);
    assert_string_equal(json_string_value(json_object_get(self, "href")),
                        BASE "/collections/cities/items/a%20b%2Fc%3Fd%26e%22f%E5%A4%A7");
    json_decref(f);
}

/* --- collections ---------------------------------------------------------------------- */

/* The seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ", or -1 if s is not in that form. */
static long long utc_seconds(const char *s)
{
    int y, mo, d, h, mi, sec;
    char z;
    int used = 0;
    if (strlen(s) != 20 ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &y, &mo, &d, &h, &mi, &sec, &z, &used) != 7 ||
        used != 20 || z != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (long long)timegm(&tm);
}

static json_t *parse_all(struct pm_strbuf *b)
{
    json_error_t jerr;
    json_t *doc = json_loadb(b->data, b->len, 0, &jerr);
    if (!doc)
        fail_msg("not JSON (%s at %d): %s", jerr.text, jerr.position, b->data);
    return doc;
}

static void collection_with_features(void **state)
{
    (void)state;
    struct pm_value v1[] = {{.type = PM_VALUE_TEXT, .s = "Dalian"},
                            {.type = PM_VALUE_INT, .i = 1},
                            {.type = PM_VALUE_REAL, .r = 1.5},
                            {.type = PM_VALUE_NULL}};
    struct pm_value v2[] = {{.type = PM_VALUE_TEXT, .s = "Kitakyushu"},
                            {.type = PM_VALUE_INT, .i = 2},
                            {.type = PM_VALUE_NULL},
                            {.type = PM_VALUE_NULL}};
    struct pm_feature_row r1 = {.id = "cn-dalian", .geometry = POINT, .values = v1};
    struct pm_feature_row r2 = {.id = "jp-kitakyushu", .geometry = NULL, .values = v2};
    char self_href[] = BASE "/collections/cities/items?limit=2";
    char next_href[] = BASE "/collections/cities/items?limit=2&offset=2";
    struct pm_link links[] = {
        {.rel = "self", .type = "application/geo+json", .title = "this page", .href = self_href},
        {.rel = "next", .type = "application/geo+json", .title = NULL, .href = next_href},
    };
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    long long before = (long long)time(NULL);
    pm_geojson_collection_begin(&b);
    pm_geojson_feature(&b, &cities, &r1, BASE);
    pm_strbuf_append_char(&b, ',');
    pm_geojson_feature(&b, &cities, &r2, BASE);
    pm_geojson_collection_end(&b, 2, 7, links, 2);
    long long after = (long long)time(NULL);

    json_t *doc = parse_all(&b);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "FeatureCollection");
    json_t *features = json_object_get(doc, "features");
    assert_int_equal(json_array_size(features), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(features, 0), "id")),
                        "cn-dalian");
    assert_string_equal(json_string_value(json_object_get(json_array_get(features, 1), "id")),
                        "jp-kitakyushu");
    assert_true(json_is_null(json_object_get(json_array_get(features, 1), "geometry")));
    assert_int_equal(json_integer_value(json_object_get(doc, "numberReturned")), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, "numberMatched")), 7);

    const char *stamp = json_string_value(json_object_get(doc, "timeStamp"));
    assert_non_null(stamp);
    long long t = utc_seconds(stamp);
    if (t < 0)
        fail_msg("timeStamp '%s' is not YYYY-MM-DDTHH:MM:SSZ", stamp);
    assert_true(t >= before && t <= after);

    json_t *l = json_object_get(doc, "links");
    assert_int_equal(json_array_size(l), 2);
    json_t *self = json_array_get(l, 0);
    assert_string_equal(json_string_value(json_object_get(self, "href")), self_href);
    assert_string_equal(json_string_value(json_object_get(self, "rel")), "self");
    assert_string_equal(json_string_value(json_object_get(self, "type")), "application/geo+json");
    assert_string_equal(json_string_value(json_object_get(self, "title")), "this page");
    json_t *next = json_array_get(l, 1);
    assert_string_equal(json_string_value(json_object_get(next, "href")), next_href);
    assert_string_equal(json_string_value(json_object_get(next, "rel")), "next");
    assert_null(json_object_get(next, "title")); /* no title given: none written */
    json_decref(doc);
    pm_strbuf_fini(&b);
}

/* One writer for many features, as a page uses it: each feature gets its own id in every
 * link (a collection's link may hold {id} more than once), the base URL is escaped, and a
 * choice of properties is written in the order asked for. */
static void writer_reused_across_features(void **state)
{
    (void)state;
    struct pm_feature_link extra[] = {
        {.rel = "related", .title = "both \"ways\"", .href = "/x?a={id}&b={id}"},
    };
    struct pm_collection c = cities;
    c.links = extra;
    c.n_links = 1;
    size_t chosen[] = {3, 0};
    struct pm_feature_opts opts = {.properties = chosen, .n_properties = 2};
    const char *base = "http://h/\"q\"";
    struct pm_feature_writer w;
    pm_feature_writer_init(&w, &c, base, &opts);
    struct pm_value values[] = {
        {.type = PM_VALUE_TEXT, .s = "A"},
        {.type = PM_VALUE_INT, .i = 1},
        {.type = PM_VALUE_NULL},
        {.type = PM_VALUE_TEXT, .s = "n"},
    };
    const char *ids[] = {"a b", "c/d%", "e"};
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_append_char(&b, '[');
    for (size_t i = 0; i < 3; i++) {
        struct pm_feature_row row = {.id = ids[i], .geometry = POINT, .values = values};
        if (i)
            pm_strbuf_append_char(&b, ',');
        pm_feature_writer_write(&w, &b, &row);
    }
    pm_strbuf_append_char(&b, ']');
    pm_feature_writer_fini(&w);
    json_t *doc = parse_all(&b);
    const char *enc[] = {"a%20b", "c%2Fd%25", "e"};
    for (size_t i = 0; i < 3; i++) {
        json_t *f = json_array_get(doc, i);
        assert_string_equal(json_string_value(json_object_get(f, "id")), ids[i]);
        const char *keys[2];
        size_t k = 0;
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(f, "properties"), key, v)
        {
            assert_true(k < 2);
            keys[k++] = key;
        }
        assert_int_equal(k, 2);
        assert_string_equal(keys[0], "notes");
        assert_string_equal(keys[1], "name_en");
        json_t *links = json_object_get(f, "links");
        assert_int_equal(json_array_size(links), 3);
        char want[128];
        snprintf(want, sizeof want, "%s/collections/cities/items/%s", base, enc[i]);
        assert_string_equal(json_string_value(json_object_get(json_array_get(links, 0), "href")),
                            want);
        snprintf(want, sizeof want, "%s/x?a=%s&b=%s", base, enc[i], enc[i]);
        json_t *rel = json_array_get(links, 2);
        assert_string_equal(json_string_value(json_object_get(rel, "href")), want);
        assert_string_equal(json_string_value(json_object_get(rel, "title")), "both \"ways\"");
    }
    json_decref(doc);
    pm_strbuf_fini(&b);
}

static void collection_empty_and_unmatched(void **state)
{
    (void)state;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_geojson_collection_begin(&b);
    pm_geojson_collection_end(&b, 0, -1, NULL, 0);
    json_t *doc = parse_all(&b);
    assert_int_equal(json_array_size(json_object_get(doc, "features")), 0);
    assert_int_equal(json_integer_value(json_object_get(doc, "numberReturned")), 0);
    /* An unknown count is left out, not written as -1. */
    assert_null(json_object_get(doc, "numberMatched"));
    assert_true(json_is_array(json_object_get(doc, "links")));
    assert_int_equal(json_array_size(json_object_get(doc, "links")), 0);
    json_decref(doc);

    pm_strbuf_reset(&b);
    pm_geojson_collection_begin(&b);
    pm_geojson_collection_end(&b, 0, 0, NULL, 0);
    doc = parse_all(&b);
    assert_true(json_is_integer(json_object_get(doc, "numberMatched")));
    assert_int_equal(json_integer_value(json_object_get(doc, "numberMatched")), 0);
    json_decref(doc);
    pm_strbuf_fini(&b);
}

static void links_escaped(void **state)
{
    (void)state;
    char href[] = "http://h/x?q=\"a\"";
    struct pm_link l = {.rel = "alternate",
                        .type = "text/html; charset=utf-8",
                        .title = "Ünïcode \"title\"",
                        .href = href};
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_geojson_links(&b, &l, 1);
    json_t *doc = parse_all(&b);
    assert_int_equal(json_array_size(doc), 1);
    json_t *o = json_array_get(doc, 0);
    assert_string_equal(json_string_value(json_object_get(o, "href")), href);
    assert_string_equal(json_string_value(json_object_get(o, "title")), "Ünïcode \"title\"");
    assert_string_equal(json_string_value(json_object_get(o, "type")), "text/html; charset=utf-8");
    json_decref(doc);
    pm_strbuf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(feature_basic),
        cmocka_unit_test(feature_property_order),
        cmocka_unit_test(feature_null_geometry),
        cmocka_unit_test(feature_text_escaped_and_utf8),
        cmocka_unit_test(feature_large_numbers),
        cmocka_unit_test(feature_id_url_encoded_in_links),
        cmocka_unit_test(collection_with_features),
        cmocka_unit_test(writer_reused_across_features),
        cmocka_unit_test(collection_empty_and_unmatched),
        cmocka_unit_test(links_escaped),
    };
    return cmocka_run_group_tests_name("geojson", tests, NULL, NULL);
}
