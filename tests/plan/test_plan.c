/*
 * test_plan: the query plans SQLite chooses for items queries over the fixture database
 * (pm_spatialite_explain, EXPLAIN QUERY PLAN). A spatial selection — bbox=, a spatial filter=
 * against a literal, near= — must be answered through the collection's R*Tree
 * (idx_<base_table>_geom searched with a box: "VIRTUAL TABLE INDEX 2:" and at least one
 * constraint), for a Point collection (cities) and a LineString one (partnerships); a query
 * without a spatial predicate must not touch the R*Tree at all. The parameters go through
 * pm_items_params_parse exactly as a request's would. PM_TEST_PLAN_PRINT=1 in the environment
 * prints every plan.
 */
#include "query/query.h"
#include "store/spatialite/spatialite.h"
#include "store/store.h"
#include "util/util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#ifndef PM_FIXTURE_DB
#error "PM_FIXTURE_DB must name the fixture database"
#endif

static struct pm_store *store;

static int setup(void **state)
{
    (void)state;
    struct pm_error err = {0};
    pm_log_set_level(PM_LOG_WARN);
    store = pm_spatialite_open(PM_FIXTURE_DB, 2, &err);
    if (!store) {
        fprintf(stderr, "cannot open %s: %s\n", PM_FIXTURE_DB, err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pm_store_close(store);
    store = NULL;
    return 0;
}

#define MAX_ARGS 8

/* The plan of GET /collections/<collection>/items?<query>, as one string with a line per
 * step; query is "k=v&k=v" with no percent-encoding (values here need none). Caller frees
 * with pm_strbuf_fini. Fails the test if the parameters or the explain are refused. */
static void plan_of(const char *collection, const char *query, struct pm_strbuf *plan)
{
    const struct pm_collection *c = pm_catalog_find(&store->catalog, collection);
    if (!c)
        fail_msg("no collection %s in the fixture catalog", collection);
    char buf[1024];
    struct pm_kv args[MAX_ARGS];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", query);
    for (char *p = buf; *p && n < MAX_ARGS;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        assert_non_null(eq);
        *eq = '\0';
        args[n].key = p;
        args[n].value = eq + 1;
        n++;
        p = amp ? amp + 1 : p + strlen(p);
    }
    struct pm_items_params params;
    struct pm_error err = {0};
    if (pm_items_params_parse(args, n, &c->spec, &params, &err))
        fail_msg("%s?%s: parameters refused: %s", collection, query, err.message);
    pm_strbuf_init(plan);
    int rc = pm_spatialite_explain(store, c, &params, plan, &err);
    pm_items_params_fini(&params);
    if (rc)
        fail_msg("%s?%s: explain failed: %s", collection, query, err.message);
    assert_non_null(plan->data);
}

/* Calls fn(line, ud) for each line of plan; stops at and returns the first non-zero. */
static int each_line(const char *plan, int (*fn)(const char *line, const void *ud), const void *ud)
{
    for (const char *line = plan; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char text[512];
        snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1), line);
        int rc = fn(text, ud);
        if (rc)
            return rc;
        line = eol ? eol + 1 : NULL;
    }
    return 0;
}

/* A line that searches the R*Tree named ud with at least one box constraint. The R*Tree
 * module names a constrained search "VIRTUAL TABLE INDEX 2:<constraints>" (two characters
 * each, e.g. "D1B0"); "INDEX 2:" with nothing after it would be a full scan. */
static int is_rtree_search(const char *line, const void *ud)
{
    const char *vt = strstr(line, "VIRTUAL TABLE INDEX 2:");
    return strstr(line, (const char *)ud) && vt &&
           strlen(vt + strlen("VIRTUAL TABLE INDEX 2:")) >= 2;
}

/* A full scan of anything but an R*Tree: the R*Tree should drive the query, the base table
 * being read by rowid. */
static int is_table_scan(const char *line, const void *ud)
{
    (void)ud;
    return !strncmp(line, "SCAN ", 5) && !strstr(line, "VIRTUAL TABLE");
}

static void expect_rtree(const char *collection, const char *table, const char *query)
{
    struct pm_strbuf plan;
    char name[128];
    snprintf(name, sizeof name, "idx_%s_geom", table);
    plan_of(collection, query, &plan);
    if (getenv("PM_TEST_PLAN_PRINT"))
        fprintf(stderr, "%s?%s:\n%s", collection, query, plan.data);
    if (!each_line(plan.data, is_rtree_search, name))
        fail_msg("%s?%s: the plan does not search %s:\n%s", collection, query, name, plan.data);
    if (each_line(plan.data, is_table_scan, NULL))
        fail_msg("%s?%s: the plan scans a table beside the R*Tree:\n%s", collection, query,
                 plan.data);
    pm_strbuf_fini(&plan);
}

static void expect_no_rtree(const char *collection, const char *query)
{
    struct pm_strbuf plan;
    plan_of(collection, query, &plan);
    if (getenv("PM_TEST_PLAN_PRINT"))
        fprintf(stderr, "%s?%s:\n%s", collection, query, plan.data);
    if (strstr(plan.data, "idx_"))
        fail_msg("%s?%s: a query without a spatial predicate touches an R*Tree:\n%s", collection,
                 query, plan.data);
    pm_strbuf_fini(&plan);
}

static void test_plan_bbox(void **state)
{
    (void)state;
    expect_rtree("cities", "cities", "bbox=120,30,125,40");
    expect_rtree("partnerships", "partnerships", "bbox=120,30,125,40");
    /* Across the antimeridian: two boxes, still the R*Tree. */
    expect_rtree("cities", "cities", "bbox=170,30,-170,40");
    /* With other conditions beside it. */
    expect_rtree("cities", "cities", "bbox=120,30,125,40&country=CN");
    expect_rtree("partnerships", "partnerships",
                 "bbox=120,30,125,40&datetime=1970/1990&sortby=-established");
}

static void test_plan_spatial_filter(void **state)
{
    (void)state;
    expect_rtree(
        "cities", "cities",
        "filter=S_INTERSECTS(geometry, POLYGON((120 36, 125 36, 125 40, 120 40, 120 36)))");
    expect_rtree(
        "partnerships", "partnerships",
        "filter=S_INTERSECTS(geometry, POLYGON((120 36, 125 36, 125 40, 120 40, 120 36)))");
    /* The literal on the left, and the JSON encoding. */
    expect_rtree("cities", "cities", "filter=S_WITHIN(geometry, BBOX(120, 30, 125, 40))");
    /* A point meeting a BBOX is tested by its coordinates, still through the index. */
    expect_rtree("cities", "cities", "filter=S_INTERSECTS(geometry, BBOX(120, 30, 125, 40))");
    expect_rtree("cities", "cities", "filter=S_INTERSECTS(BBOX(170, 30, -170, 40), geometry)");
    expect_rtree("partnerships", "partnerships",
                 "filter=S_CROSSES(geometry, LINESTRING(125 36, 125 40))");
    expect_rtree("partnerships", "partnerships",
                 "filter-lang=cql2-json&filter={\"op\":\"s_intersects\",\"args\":[{\"property\":"
                 "\"geometry\"},{\"type\":\"Polygon\",\"coordinates\":[[[120,36],[125,36],[125,"
                 "40],[120,40],[120,36]]]}]}");
    expect_rtree(
        "cities", "cities",
        "filter=S_INTERSECTS(POLYGON((120 36, 125 36, 125 40, 120 40, 120 36)), geometry)");
}

static void test_plan_near(void **state)
{
    (void)state;
    expect_rtree("cities", "cities", "near=122.11356,37.50914");
    expect_rtree("cities", "cities", "near=122.11356,37.50914&radius=300000");
    expect_rtree("partnerships", "partnerships", "near=122.11356,37.50914");
    expect_rtree("partnerships", "partnerships", "near=122.11356,37.50914&radius=300000");
    expect_rtree("cities", "cities", "near=122.11356,37.50914&country=CN&limit=3");
}

static void test_plan_no_spatial_predicate(void **state)
{
    (void)state;
    expect_no_rtree("cities", "limit=10");
    expect_no_rtree("cities", "country=CN&sortby=-population");
    expect_no_rtree("cities", "filter=population > 1000000");
    expect_no_rtree("partnerships", "limit=10");
    expect_no_rtree("partnerships", "datetime=1970/1980&kind=friendship");
    expect_no_rtree("partnerships", "filter=T_AFTER(established, DATE('1979-01-01'))");
    expect_no_rtree("partnerships", "q=dalian");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_bbox),
        cmocka_unit_test(test_plan_spatial_filter),
        cmocka_unit_test(test_plan_near),
        cmocka_unit_test(test_plan_no_spatial_predicate),
    };
    pm_spatialite_init();
    int rc = cmocka_run_group_tests_name("test_plan", tests, setup, teardown);
    pm_spatialite_shutdown();
    return rc;
}
