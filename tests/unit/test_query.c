/*
 * Unit tests of query/: partial dates and their day ranges, the datetime parameter
 * (instants, time zone offsets, partial dates, open and closed intervals, ISO 8601
 * durations), bbox, the f parameter and the allow-list check of an items request (defaults,
 * limit clamping, malformed values, unknown and repeated parameters, equality filters).
 * Every failure must be a 400 whose message names the parameter. Expected days are worked
 * out by hand on the Gregorian calendar.
 *
 */
#include "query/query.h"

#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- partial dates -------------------------------------------------------------------- */

static void check_partial(const char *s, const char *want_first, const char *want_last)
{
    struct pm_day f, l;
    char fs[PM_DAY_STR], ls[PM_DAY_STR];
    if (pm_date_parse_partial(s, &f, &l) != 0)
        fail_msg("pm_date_parse_partial rejected '%s'", s);
    pm_day_format(&f, fs);
    pm_day_format(&l, ls);
    assert_string_equal(fs, want_first);
    assert_string_equal(ls, want_last);
}

static void partial_date_ranges(void **state)
{
    (void)state;
    check_partial("1979", "1979-01-01", "1979-12-31");
    check_partial("1979-05", "1979-05-01", "1979-05-31");
    check_partial("1979-04", "1979-04-01", "1979-04-30");
    check_partial("1979-05-01", "1979-05-01", "1979-05-01");
    check_partial("2000-02", "2000-02-01", "2000-02-29"); /* divisible by 400: leap */
    check_partial("1900-02", "1900-02-01", "1900-02-28"); /* divisible by 100: not leap */
    check_partial("2004-02", "2004-02-01", "2004-02-29");
    check_partial("2001-02", "2001-02-01", "2001-02-28");
    check_partial("2004-02-29", "2004-02-29", "2004-02-29");
    check_partial("1999-12", "1999-12-01", "1999-12-31");
}

static void partial_date_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "79",
        "197",
        "19790",
        "1979-",
        "1979-5",
        "1979-13",
        "1979-00",
        "1979-05-00",
        "1979-05-32",
        "1979-04-31",
        "2001-02-29",
        "1900-02-29",
        "1979-05-1",
        "1979-05-01x",
        "1979/05/01",
        "x979",
        " 1979",
        "1979-05-01T00:00:00Z",
    };
    for (size_t i = 0; i < N(bad); i++) {
        struct pm_day f, l;
        if (pm_date_parse_partial(bad[i], &f, &l) != -1)
            fail_msg("pm_date_parse_partial accepted '%s'", bad[i]);
    }
}

/* --- datetime ------------------------------------------------------------------------- */

static void check_dt(const char *s, const char *want_first, const char *want_last)
{
    struct pm_datetime dt;
    struct pm_error err = {0};
    if (pm_datetime_parse(s, &dt, &err) != 0)
        fail_msg("datetime '%s' rejected: %s", s, err.message);
    if (strcmp(dt.first, want_first) || strcmp(dt.last, want_last))
        fail_msg("datetime '%s': got [%s, %s], want [%s, %s]", s, dt.first, dt.last, want_first,
                 want_last);
}

static void check_dt_bad(const char *s)
{
    struct pm_datetime dt;
    struct pm_error err = {0};
    if (pm_datetime_parse(s, &dt, &err) != -1)
        fail_msg("datetime '%s' accepted as [%s, %s]", s, dt.first, dt.last);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "InvalidParameterValue");
    if (strncmp(err.message, "datetime", 8))
        fail_msg("datetime '%s': message does not name the parameter: %s", s, err.message);
}

static void datetime_instants(void **state)
{
    (void)state;
    check_dt("1979-05-01", "1979-05-01", "1979-05-01");
    check_dt("1979-05-01T09:00:00Z", "1979-05-01", "1979-05-01");
    check_dt("1979-05-01t09:00:00z", "1979-05-01", "1979-05-01"); /* RFC 3339 5.6 NOTE */
    check_dt("1979-05-01T00:00:00Z", "1979-05-01", "1979-05-01");
    check_dt("1979-05-01T23:59:59Z", "1979-05-01", "1979-05-01");
    check_dt("1979-05-01T09:00:00+00:00", "1979-05-01", "1979-05-01");
    check_dt("1979-05-01T09:00:00.5Z", "1979-05-01", "1979-05-01");
    check_dt("1979-05-01T23:59:59.999999+00:00", "1979-05-01", "1979-05-01");
}

static void datetime_offsets_shift_the_day(void **state)
{
    (void)state;
    /* 08:00 in Tokyo (+09:00) is 23:00 UTC the day before. */
    check_dt("1979-05-01T08:00:00+09:00", "1979-04-30", "1979-04-30");
    check_dt("1979-05-01T09:00:00+09:00", "1979-05-01", "1979-05-01");
    /* 23:30 at -02:00 is 01:30 UTC the next day. */
    check_dt("1979-05-01T23:30:00-02:00", "1979-05-02", "1979-05-02");
    /* Across a year and a leap day. */
    check_dt("1979-01-01T05:00:00+09:00", "1978-12-31", "1978-12-31");
    check_dt("1979-12-31T20:00:00-05:00", "1980-01-01", "1980-01-01");
    check_dt("2000-03-01T00:30:00+01:00", "2000-02-29", "2000-02-29");
    check_dt("2000-02-28T23:00:00-01:30", "2000-02-29", "2000-02-29");
    check_dt("1979-05-01T00:00:00.25+00:01", "1979-04-30", "1979-04-30");
}

static void datetime_partial_dates(void **state)
{
    (void)state;
    check_dt("1979", "1979-01-01", "1979-12-31");
    check_dt("2000-02", "2000-02-01", "2000-02-29");
    check_dt("1900-02", "1900-02-01", "1900-02-28");
}

static void datetime_intervals(void **state)
{
    (void)state;
    check_dt("1979-05-01/1980-06-30", "1979-05-01", "1980-06-30");
    check_dt("1979-05-01/1979-05-01", "1979-05-01", "1979-05-01");
    check_dt("1979/1980", "1979-01-01", "1980-12-31");
    check_dt("1979-05/1979-06", "1979-05-01", "1979-06-30");
    check_dt("1979-05-01T00:00:00Z/1979-05-03T12:00:00+09:00", "1979-05-01", "1979-05-03");
    check_dt("../1980-06-30", "", "1980-06-30");
    check_dt("/1980-06-30", "", "1980-06-30");
    check_dt("../1980", "", "1980-12-31");
    check_dt("1979-05-01/..", "1979-05-01", "");
    check_dt("1979-05-01/", "1979-05-01", "");
    check_dt("1979/..", "1979-01-01", "");
}

static void datetime_interval_errors(void **state)
{
    (void)state;
    check_dt_bad("../..");
    check_dt_bad("/");
    check_dt_bad("../");
    check_dt_bad("/..");
    check_dt_bad("1980-01-01/1979-12-31"); /* ends before it starts */
    check_dt_bad("1980/1979");
    check_dt_bad("1979-05-02T12:00:00+09:00/1979-05-01"); /* 05-02 03:00 UTC */
}

static void datetime_durations(void **state)
{
    (void)state;
    check_dt("2001-03-20/P2D", "2001-03-20", "2001-03-22");
    check_dt("2001-03-20/P0D", "2001-03-20", "2001-03-20");
    check_dt("2001-12-31/P1D", "2001-12-31", "2002-01-01");
    check_dt("2001-01-31/P1M", "2001-01-31", "2001-02-28"); /* clamps to the end of Feb */
    check_dt("2000-01-31/P1M", "2000-01-31", "2000-02-29");
    check_dt("2001-03-31/P1M", "2001-03-31", "2001-04-30");
    check_dt("2001-11-15/P2M", "2001-11-15", "2002-01-15");
    check_dt("2001-03-20/P1Y", "2001-03-20", "2002-03-20");
    check_dt("2000-02-29/P1Y", "2000-02-29", "2001-02-28");
    check_dt("2001-03-20/P1W", "2001-03-20", "2001-03-27");
    check_dt("2001-03-20/P2W", "2001-03-20", "2001-04-03");
    check_dt("2001-03-20/PT36H", "2001-03-20", "2001-03-21");
    check_dt("2001-03-20/PT23H59M59S", "2001-03-20", "2001-03-20");
    check_dt("2001-03-20/PT86400S", "2001-03-20", "2001-03-21");
    check_dt("2001-03-20T18:00:00Z/PT6H", "2001-03-20", "2001-03-21");
    check_dt("2001-03-20T18:00:00Z/PT36H", "2001-03-20", "2001-03-22");
    check_dt("2001-03-20/P1Y2M10DT2H30M", "2001-03-20", "2002-05-30");
    check_dt("2001-03-20/P1DT24H", "2001-03-20", "2001-03-22");
    check_dt("1979/P1Y", "1979-01-01", "1980-01-01");
}

static void datetime_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "garbage",
        "1979-13",
        "2001-02-29",
        "1979-05-01T09:00:00", /* RFC 3339 requires the offset */
        "1979-05-01T09:00Z",   /* seconds are required */
        "1979-05-01T24:00:00Z",
        "1979-05-01T09:60:00Z",
        "1979-05-01T09:00:00.Z",
        "1979-05-01T09:00:00+0900",
        "1979-05-01T09:00:00+24:00",
        "1979-05-01T09:00:00Zjunk",
        "1979-05T09:00:00Z",
        "1979-05-01 09:00:00Z",
        "2001-03-20/P",
        "2001-03-20/PT",
        "2001-03-20/P1",
        "2001-03-20/PXD",
        "2001-03-20/P1H",  /* hours belong after T */
        "2001-03-20/PT1D", /* days belong before T */
        "2001-03-20/P1.5D",
        "2001-03-20/P-1D",
        "2001-03-20/P1DT1HT",
        "2001-03-20/p2d",
        "2001-03-20/P99999999D",
        "P2D/2001-03-20", /* a duration may only follow a start */
        "../P2D",
        "P2D",
        "2001-03-20/2001-03-21/2001-03-22",
        "2001-03-20/garbage",
        "garbage/2001-03-20",
        "1979-05-01..1979-06-01",
    };
    for (size_t i = 0; i < N(bad); i++)
        check_dt_bad(bad[i]);
}

/* An offset can bring a start back onto the day the interval ends: 01:00 at +09:00 on
 * 05-02 is 16:00 UTC on 05-01, so this interval is one day and valid. */
static void datetime_same_utc_day_after_offset(void **state)
{
    (void)state;
    check_dt("1979-05-02T01:00:00+09:00/1979-05-01", "1979-05-01", "1979-05-01");
}

/* --- bbox ----------------------------------------------------------------------------- */

static void check_bbox(const char *s, double w, double so, double e, double n)
{
    double b[4] = {-1, -1, -1, -1};
    struct pm_error err = {0};
    if (pm_bbox_parse(s, b, &err) != 0)
        fail_msg("bbox '%s' rejected: %s", s, err.message);
    if (b[0] != w || b[1] != so || b[2] != e || b[3] != n)
        fail_msg("bbox '%s': got %g,%g,%g,%g", s, b[0], b[1], b[2], b[3]);
}

/* Expect a 400 for bbox s whose message contains `want` (NULL: any message). */
static void check_bbox_bad(const char *s, const char *want)
{
    double b[4] = {-1, -1, -1, -1};
    struct pm_error err = {0};
    if (pm_bbox_parse(s, b, &err) != -1)
        fail_msg("bbox '%s' accepted", s);
    assert_int_equal(err.status, 400);
    if (strncmp(err.message, "bbox", 4))
        fail_msg("bbox '%s': message does not name the parameter: %s", s, err.message);
    if (want && !strstr(err.message, want))
        fail_msg("bbox '%s': message '%s' does not say '%s'", s, err.message, want);
    assert_true(b[0] == -1 && b[1] == -1 && b[2] == -1 && b[3] == -1);
}

static void bbox_four_and_six(void **state)
{
    (void)state;
    check_bbox("1,2,3,4", 1, 2, 3, 4);
    check_bbox("-180,-90,180,90", -180, -90, 180, 90);
    check_bbox("121.5,38.8,121.75,39", 121.5, 38.8, 121.75, 39);
    check_bbox("0,0,0,0", 0, 0, 0, 0);
    /* Six numbers: west,south,minz,east,north,maxz; the heights are dropped. */
    check_bbox("1,2,-100,3,4,8848", 1, 2, 3, 4);
    /* West east of east: a box across the antimeridian, kept as given. */
    check_bbox("170,-10,-170,10", 170, -10, -170, 10);
}

static void bbox_errors(void **state)
{
    (void)state;
    check_bbox_bad("1,2,3", "got 3");
    check_bbox_bad("1,2,3,4,5", "got 5");
    check_bbox_bad("1", "got 1");
    check_bbox_bad("", NULL);
    check_bbox_bad("a,2,3,4", "'a' is not a number");
    check_bbox_bad("1,2,3,4x", "'4x' is not a number");
    check_bbox_bad("1,2,nan,4", "not a number");
    check_bbox_bad("inf,2,3,4", "not a number");
    check_bbox_bad(" 1,2,3,4", "not a number");
    check_bbox_bad("1,,3,4", NULL);
    check_bbox_bad("1,2,3,4,", NULL);
    check_bbox_bad("-181,0,0,1", "longitudes");
    check_bbox_bad("0,0,180.5,1", "longitudes");
    check_bbox_bad("0,-91,1,0", "latitudes");
    check_bbox_bad("0,0,1,90.01", "latitudes");
    check_bbox_bad("1,2,-100,3,95,0", "latitudes"); /* 6 numbers: north is the 5th */
    check_bbox_bad("0,10,1,5", "south");            /* south > north */
}

/* --- f -------------------------------------------------------------------------------- */

static void format_parse(void **state)
{
    (void)state;
    enum pm_format f = PM_FORMAT_HTML;
    struct pm_error err = {0};
    assert_int_equal(pm_format_parse("json", &f, &err), 0);
    assert_int_equal(f, PM_FORMAT_JSON);
    f = PM_FORMAT_HTML;
    assert_int_equal(pm_format_parse("geojson", &f, &err), 0);
    assert_int_equal(f, PM_FORMAT_JSON);
    assert_int_equal(pm_format_parse("html", &f, &err), 0);
    assert_int_equal(f, PM_FORMAT_HTML);
    static const char *const bad[] = {"xml", "", "JSON", "html ", "text/html"};
    for (size_t i = 0; i < N(bad); i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(pm_format_parse(bad[i], &f, &err), -1);
        assert_int_equal(err.status, 400);
        assert_true(!strncmp(err.message, "f:", 2));
    }
}

static void only_f(void **state)
{
    (void)state;
    struct pm_error err = {0};
    struct pm_kv none[1] = {{"unused", "unused"}};
    assert_int_equal(pm_params_check_only_f(none, 0, &err), 0);
    struct pm_kv f_json[] = {{"f", "json"}};
    assert_int_equal(pm_params_check_only_f(f_json, 1, &err), 0);
    struct pm_kv f_html[] = {{"f", "html"}};
    assert_int_equal(pm_params_check_only_f(f_html, 1, &err), 0);

    struct pm_kv f_xml[] = {{"f", "xml"}};
    assert_int_equal(pm_params_check_only_f(f_xml, 1, &err), -1);
    assert_int_equal(err.status, 400);
    assert_non_null(strstr(err.message, "xml"));

    struct pm_kv limit[] = {{"f", "json"}, {"limit", "10"}};
    memset(&err, 0, sizeof err);
    assert_int_equal(pm_params_check_only_f(limit, 2, &err), -1);
    assert_int_equal(err.status, 400);
    assert_non_null(strstr(err.message, "'limit'"));
    assert_non_null(strstr(err.message, "accepts: f"));

    struct pm_kv twice[] = {{"f", "json"}, {"f", "json"}};
    memset(&err, 0, sizeof err);
    assert_int_equal(pm_params_check_only_f(twice, 2, &err), -1);
    assert_int_equal(err.status, 400);
    assert_non_null(strstr(err.message, "more than once"));
}

/* --- items parameters ----------------------------------------------------------------- */

static const char *const city_filters[] = {"country", "level", "region"};
static const char *const city_properties[] = {"name_en", "country", "level", "population"};
static const struct pm_items_spec city_spec = {city_filters, N(city_filters), city_properties,
                                               N(city_properties)};

/* Parse against a cities-like spec (no test here passes a filter, so nothing is owned). */
static int items(const struct pm_kv *args, size_t n, struct pm_items_params *p,
                 struct pm_error *err)
{
    memset(err, 0, sizeof *err);
    return pm_items_params_parse(args, n, &city_spec, p, err);
}

static void items_defaults(void **state)
{
    (void)state;
    struct pm_items_params p;
    struct pm_error err;
    struct pm_kv none[1] = {{"unused", "unused"}};
    assert_int_equal(items(none, 0, &p, &err), 0);
    assert_int_equal(p.limit, 10);
    assert_int_equal(p.offset, 0);
    assert_false(p.has_bbox);
    assert_false(p.has_datetime);
    assert_int_equal(p.n_filters, 0);
}

static long limit_of(const char *v)
{
    struct pm_items_params p;
    struct pm_error err;
    struct pm_kv args[] = {{"limit", v}};
    if (items(args, 1, &p, &err) != 0)
        fail_msg("limit '%s' rejected: %s", v, err.message);
    return p.limit;
}

static void items_limit(void **state)
{
    (void)state;
    assert_int_equal(limit_of("1"), 1);
    assert_int_equal(limit_of("25"), 25);
    assert_int_equal(limit_of("10000"), 10000);
    /* Above the maximum: clamped, not refused. */
    assert_int_equal(limit_of("10001"), 10000);
    assert_int_equal(limit_of("20000"), 10000);
    assert_int_equal(limit_of("99999999999999"), 10000);
    assert_int_equal(limit_of("99999999999999999999999999999999"), 10000);
}

static void items_limit_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {"0", "-1", "abc", "1.5", "", " 5", "5 ", "1e3", "0x10", "00"};
    for (size_t i = 0; i < N(bad); i++) {
        struct pm_items_params p;
        struct pm_error err;
        struct pm_kv args[] = {{"limit", bad[i]}};
        if (items(args, 1, &p, &err) != -1)
            fail_msg("limit '%s' accepted as %ld", bad[i], p.limit);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, "InvalidParameterValue");
        if (strncmp(err.message, "limit", 5))
            fail_msg("limit '%s': message does not name it: %s", bad[i], err.message);
    }
}

static void items_offset(void **state)
{
    (void)state;
    struct pm_items_params p;
    struct pm_error err;
    struct pm_kv ok[] = {{"offset", "20"}, {"limit", "5"}};
    assert_int_equal(items(ok, 2, &p, &err), 0);
    assert_int_equal(p.offset, 20);
    assert_int_equal(p.limit, 5);
    struct pm_kv zero[] = {{"offset", "0"}};
    assert_int_equal(items(zero, 1, &p, &err), 0);
    assert_int_equal(p.offset, 0);

    static const char *const bad[] = {"-1", "abc", "", "1.5", " 1", "99999999999999999999"};
    for (size_t i = 0; i < N(bad); i++) {
        struct pm_kv args[] = {{"offset", bad[i]}};
        if (items(args, 1, &p, &err) != -1)
            fail_msg("offset '%s' accepted as %ld", bad[i], p.offset);
        assert_int_equal(err.status, 400);
        if (strncmp(err.message, "offset", 6))
            fail_msg("offset '%s': message does not name it: %s", bad[i], err.message);
    }
}

static void items_unknown_parameter(void **state)
{
    (void)state;
    struct pm_items_params p;
    struct pm_error err;
    struct pm_kv args[] = {{"limit", "5"}, {"colour", "red"}};
    assert_int_equal(items(args, 2, &p, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "InvalidParameterValue");
    assert_non_null(strstr(err.message, "'colour'"));
    /* The message lists what the resource accepts: generic parameters and its filters. */
    assert_non_null(strstr(err.message, "f, limit, offset, bbox, datetime"));
    assert_non_null(strstr(err.message, "country"));
    assert_non_null(strstr(err.message, "level"));
    assert_non_null(strstr(err.message, "region"));

    /* Names are case-sensitive, and a filter of another collection is unknown here. */
    struct pm_kv upper[] = {{"LIMIT", "5"}};
    assert_int_equal(items(upper, 1, &p, &err), -1);
    assert_non_null(strstr(err.message, "'LIMIT'"));
    struct pm_kv other[] = {{"kind", "sister"}};
    assert_int_equal(items(other, 1, &p, &err), -1);
    assert_non_null(strstr(err.message, "'kind'"));
    /* With no filters at all, only the generic names are listed. */
    memset(&err, 0, sizeof err);
    static const struct pm_items_spec empty = {NULL, 0, NULL, 0};
    assert_int_equal(pm_items_params_parse(other, 1, &empty, &p, &err), -1);
    assert_non_null(strstr(err.message, "accepts: f, limit, offset, bbox, datetime, filter"));
}

static void items_duplicate_parameter(void **state)
{
    (void)state;
    struct pm_items_params p;
    struct pm_error err;
    struct pm_kv lim[] = {{"limit", "5"}, {"bbox", "1,2,3,4"}, {"limit", "5"}};
    assert_int_equal(items(lim, 3, &p, &err), -1);
    assert_int_equal(err.status, 400);
    assert_non_null(strstr(err.message, "limit"));
    assert_non_null(strstr(err.message, "more than once"));
    struct pm_kv filt[] = {{"country", "CN"}, {"country", "JP"}};
    assert_int_equal(items(filt, 2, &p, &err), -1);
    assert_non_null(strstr(err.message, "country"));
}

static void items_filters(void **state)
{
    (void)state;
    struct pm_items_params p;
    struct pm_error err;
    struct pm_kv args[] = {{"country", "JP"}, {"limit", "3"}, {"level", "city"}};
    assert_int_equal(items(args, 3, &p, &err), 0);
    assert_int_equal(p.n_filters, 2);
    assert_string_equal(p.filters[0].param, "country");
    assert_string_equal(p.filters[0].value, "JP");
    assert_string_equal(p.filters[1].param, "level");
    assert_string_equal(p.filters[1].value, "city");
    /* Borrowed from the request, not copied. */
    assert_ptr_equal(p.filters[0].value, args[0].value);
    assert_int_equal(p.limit, 3);

    struct pm_kv empty[] = {{"country", ""}};
    assert_int_equal(items(empty, 1, &p, &err), -1);
    assert_int_equal(err.status, 400);
    assert_true(!strncmp(err.message, "country", 7));
}

static void items_bbox_datetime_f(void **state)
{
    (void)state;
    struct pm_items_params p;
    struct pm_error err;
    struct pm_kv args[] = {{"bbox", "120,30,135,40"}, {"datetime", "1979/1980"}, {"f", "html"}};
    assert_int_equal(items(args, 3, &p, &err), 0);
    assert_true(p.has_bbox);
    assert_true(p.bbox[0] == 120 && p.bbox[1] == 30 && p.bbox[2] == 135 && p.bbox[3] == 40);
    assert_true(p.has_datetime);
    assert_string_equal(p.datetime.first, "1979-01-01");
    assert_string_equal(p.datetime.last, "1980-12-31");

    struct pm_kv bad_bbox[] = {{"bbox", "1,2,3"}};
    assert_int_equal(items(bad_bbox, 1, &p, &err), -1);
    assert_true(!strncmp(err.message, "bbox", 4));
    struct pm_kv bad_dt[] = {{"datetime", "yesterday"}};
    assert_int_equal(items(bad_dt, 1, &p, &err), -1);
    assert_true(!strncmp(err.message, "datetime", 8));
    struct pm_kv bad_f[] = {{"f", "xml"}};
    assert_int_equal(items(bad_f, 1, &p, &err), -1);
    assert_int_equal(err.status, 400);
    assert_true(!strncmp(err.message, "f:", 2));
}

/* --- regressions: bugs these tests found, fixed since ------------------------------------ */
/* A duration whose "T" has no time part after it ("P1DT") was accepted. */
static void regression_duration_dangling_t(void **state)
{
    (void)state;
    struct pm_datetime dt;
    struct pm_error err = {0};
    assert_int_equal(pm_datetime_parse("2001-03-20/P1DT", &dt, &err), -1);
    assert_int_equal(err.status, 400);
    assert_non_null(strstr(err.message, "datetime"));
}

/* bbox with 7 numbers says "got 6", and with an empty or trailing element it miscounts
 * too, though the message promises the count of numbers given. */
static void regression_bbox_count_in_message(void **state)
{
    (void)state;
    check_bbox_bad("1,2,3,4,5,6,7", "got 7");
    check_bbox_bad("1,2,3,4,5,6,7,8", "got 8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partial_date_ranges),
        cmocka_unit_test(partial_date_rejects),
        cmocka_unit_test(datetime_instants),
        cmocka_unit_test(datetime_offsets_shift_the_day),
        cmocka_unit_test(datetime_partial_dates),
        cmocka_unit_test(datetime_intervals),
        cmocka_unit_test(datetime_interval_errors),
        cmocka_unit_test(datetime_durations),
        cmocka_unit_test(datetime_malformed),
        cmocka_unit_test(datetime_same_utc_day_after_offset),
        cmocka_unit_test(bbox_four_and_six),
        cmocka_unit_test(bbox_errors),
        cmocka_unit_test(format_parse),
        cmocka_unit_test(only_f),
        cmocka_unit_test(items_defaults),
        cmocka_unit_test(items_limit),
        cmocka_unit_test(items_limit_errors),
        cmocka_unit_test(items_offset),
        cmocka_unit_test(items_unknown_parameter),
        cmocka_unit_test(items_duplicate_parameter),
        cmocka_unit_test(items_filters),
        cmocka_unit_test(items_bbox_datetime_f),
        cmocka_unit_test(regression_bbox_count_in_message),
        cmocka_unit_test(regression_duration_dangling_t),
    };
    return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
