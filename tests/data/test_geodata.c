/*
 * The data set (geodata/, issue 3) as its users check it: the counts and the named facts of
 * the founding document, the doubts recorded where the sources are weak, the integrity rules
 * (one Chinese and one Japanese end, no affiliation twice, dates valid and not in the future),
 * sql/report.sql running and agreeing with the figures geodata/README.md states, and every
 * partnership served over HTTP by the real server carrying its source.
 *
 * usage: test_geodata DB REPO_ROOT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/api.h"
#include "http/http.h"
#include "store/spatialite/spatialite.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *db_path;
static const char *repo_root;
static sqlite3 *db;

/* The single integer an SQL query returns. */
static long long scalar(const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("SQL error: %s in %s", sqlite3_errmsg(db), sql);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The single text an SQL query returns, copied into buf ("" for NULL or no row). */
static const char *text(const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("SQL error: %s in %s", sqlite3_errmsg(db), sql);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static void test_counts(void **state)
{
    (void)state;
    assert_int_equal(scalar("SELECT count(*) FROM partnerships"), 293);
    assert_true(scalar("SELECT count(*) FROM partnerships WHERE established IS NOT NULL") >= 240);
    assert_int_equal(scalar("SELECT count(*) FROM regions WHERE country = 'CN'"), 31);
    assert_int_equal(scalar("SELECT count(*) FROM regions WHERE country = 'JP'"), 47);
    assert_int_equal(scalar("SELECT count(*) FROM initiatives"), 1);
    assert_true(scalar("SELECT count(*) FROM gazetteer") > 3000);
}

static void test_every_row_names_its_source(void **state)
{
    (void)state;
    static const char *const tables[] = {"countries",        "regions",     "cities",
                                         "partnerships",     "initiatives", "memberships",
                                         "pilot_activities", "events"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM %s WHERE source IS NULL OR trim(source) = ''", tables[i]);
        assert_int_equal(scalar(sql), 0);
    }
}

static void expect_partnership(const char *id, const char *established)
{
    char sql[300], buf[64];
    snprintf(sql, sizeof sql, "SELECT established FROM partnerships WHERE id = '%s'", id);
    assert_string_equal(text(sql, buf, sizeof buf), established);
}

static void test_founding_document_pairs(void **state)
{
    (void)state;
    expect_partnership("dalian--kitakyushu", "1979-05-01");
    expect_partnership("chongqing--hiroshima", "1986-10-23");
    expect_partnership("shanghai--yokohama", "1973-11-30");
}

static void test_doubts_are_recorded(void **state)
{
    (void)state;
    /* The pairs no official page confirms are kept, unverified, with the doubt in notes. */
    assert_int_equal(scalar("SELECT count(*) FROM partnerships p JOIN cities c ON c.id = p.cn_city "
                            "JOIN cities j ON j.id = p.jp_city WHERE p.verification = 'unverified' "
                            "AND p.notes IS NOT NULL AND ((c.name_en = 'Kunming' AND j.name_en = "
                            "'Takayama') OR (c.name_en = 'Xiangshan' AND j.name_en = 'Uwajima') "
                            "OR (c.name_en = 'Kunshan' AND j.name_en = 'Tatebayashi'))"),
                     3);
    /* Yueyang–Akabira: CLAIR names Miluo as Akabira's partner. */
    assert_int_equal(scalar("SELECT count(*) FROM partnerships WHERE id = 'miluo--akabira'"), 1);
    assert_int_equal(scalar("SELECT count(*) FROM partnerships WHERE id = 'yueyang--akabira'"), 0);
    /* Every unverified affiliation says why in its notes (the founding document alone, a
     * weak source, a pair no official page confirms). */
    assert_true(scalar("SELECT count(*) FROM partnerships WHERE verification = 'unverified'") >= 9);
    assert_int_equal(scalar("SELECT count(*) FROM partnerships WHERE verification = "
                            "'unverified' AND (notes IS NULL OR trim(notes) = '')"),
                     0);
}

static void test_initiative_facts(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(text("SELECT start_date || '/' || end_date FROM events "
                             "WHERE id = 'mced-2000-kitakyushu'",
                             buf, sizeof buf),
                        "2000-08-31/2000-09-05");
    assert_string_equal(text("SELECT start_date || ' ' || host_city FROM events "
                             "WHERE id = 'seminar-2001-beijing'",
                             buf, sizeof buf),
                        "2001-03-20 cn-beijing");
    assert_string_equal(text("SELECT start_date FROM events WHERE id = "
                             "'seminar2-2002-beijing-ppp'",
                             buf, sizeof buf),
                        "2002-11-04");
    assert_string_equal(text("SELECT start_date || ' ' || host_city || ' ' || verification "
                             "FROM events WHERE id = 'kin2-2003-weihai'",
                             buf, sizeof buf),
                        "2003-09 cn-weihai unverified");
    assert_string_equal(text("SELECT start_date || '/' || end_date FROM events "
                             "WHERE id = 'kin3-2004-kitakyushu'",
                             buf, sizeof buf),
                        "2004-08-02/2004-08-04");
    assert_string_equal(text("SELECT period_start || '/' || period_end FROM pilot_activities "
                             "WHERE id = 'pilot-weihai-wastewater-ppp'",
                             buf, sizeof buf),
                        "2002-06/2003-06");
    /* The seven first-cycle pilots the sources name. */
    assert_int_equal(scalar("SELECT count(DISTINCT city) FROM pilot_activities "
                            "WHERE category = 'first-cycle pilot' AND city IN ('cn-weihai', "
                            "'cn-chongqing', 'th-nonthaburi', 'th-korat', 'ph-cebu', "
                            "'mn-ulaanbaatar-khan-uul', 'ir-tehran')"),
                     7);
    /* Only a city a source calls a member is called one. */
    assert_int_equal(scalar("SELECT count(*) FROM memberships WHERE role = 'member' "
                            "AND (evidence IS NULL OR source IS NULL)"),
                     0);
}

static void test_integrity(void **state)
{
    (void)state;
    assert_int_equal(scalar("SELECT count(*) FROM partnerships p JOIN cities c ON c.id = "
                            "p.cn_city JOIN cities j ON j.id = p.jp_city "
                            "WHERE c.country <> 'CN' OR j.country <> 'JP'"),
                     0);
    assert_int_equal(scalar("SELECT count(*) FROM (SELECT cn_city, jp_city FROM partnerships "
                            "GROUP BY 1, 2 HAVING count(*) > 1)"),
                     0);
    assert_int_equal(scalar("SELECT count(*) FROM partnerships WHERE established IS NOT NULL "
                            "AND (established_first IS NULL OR established_first > date('now'))"),
                     0);
    /* No place twice under two ids: a GeoNames place is used once per level. */
    assert_int_equal(scalar("SELECT count(*) FROM (SELECT geonames_id, level FROM cities "
                            "WHERE geonames_id IS NOT NULL AND geocode_method <> 'seat' "
                            "GROUP BY 1, 2 HAVING count(*) > 1)"),
                     0);
}

/* Runs every statement of sql/report.sql; each must return at least one row. Returns the
 * first row of the statement number `want` (1-based) as "a|b|c" in out. */
static void run_report(int want, char *out, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/sql/report.sql", repo_root);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char sql[65536];
    size_t n = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[n] = '\0';
    const char *tail = sql;
    int index = 0;
    out[0] = '\0';
    while (*tail) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, tail, -1, &st, &tail) != SQLITE_OK)
            fail_msg("sql/report.sql: %s", sqlite3_errmsg(db));
        if (!st)
            continue;
        index++;
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        if (index == want) {
            size_t len = 0;
            for (int c = 0; c < sqlite3_column_count(st); c++)
                len += (size_t)snprintf(
                    out + len, size - len, "%s%s", c ? "|" : "",
                    sqlite3_column_text(st, c) ? (const char *)sqlite3_column_text(st, c) : "");
        }
        sqlite3_finalize(st);
    }
    assert_true(index >= 7);
}

static void test_report_agrees_with_readme(void **state)
{
    (void)state;
    char row[512], sentence[256], path[1024];
    run_report(2, row, sizeof row);
    long places, provinces, cities;
    assert_int_equal(sscanf(row, "%ld|%ld|%ld", &places, &provinces, &cities), 3);
    snprintf(sentence, sizeof sentence,
             "**%ld Chinese places (%ld of them cities, the municipalities included) in %ld "
             "provincial-level divisions**",
             places, cities, provinces);
    snprintf(path, sizeof path, "%s/geodata/README.md", repo_root);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char readme[1 << 20];
    size_t n = fread(readme, 1, sizeof readme - 1, f);
    fclose(f);
    readme[n] = '\0';
    if (!strstr(readme, sentence))
        fail_msg("geodata/README.md does not say: %s", sentence);
}

/* --- over HTTP ----------------------------------------------------------------------------- */

static size_t collect(char *data, size_t size, size_t nmemb, void *user)
{
    struct pm_strbuf *b = user;
    pm_strbuf_append(b, data, size * nmemb);
    return size * nmemb;
}

static void test_served_partnerships_carry_their_source(void **state)
{
    (void)state;
    struct pm_error err = {0};
    struct pm_store *store = pm_spatialite_open(db_path, 2, &err);
    assert_non_null(store);
    struct pm_api_config acfg = {.base_url = NULL, .fallback_base_url = "http://127.0.0.1"};
    struct pm_api *api = pm_api_new(store, &acfg);
    struct pm_http_config hcfg = {.bind = "127.0.0.1", .port = 0, .threads = 1, .cors_origin = "*"};
    struct pm_http *http = pm_http_start(api, &hcfg, &err);
    assert_non_null(http);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/collections/partnerships/items?limit=10000",
             pm_http_port(http));
    struct pm_strbuf body;
    pm_strbuf_init(&body);
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(curl);

    json_error_t jerr;
    json_t *fc = json_loads(body.data, 0, &jerr);
    assert_non_null(fc);
    json_t *features = json_object_get(fc, "features");
    assert_int_equal(json_array_size(features), 293);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), 293);
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f)
    {
        const char *source =
            json_string_value(json_object_get(json_object_get(f, "properties"), "source"));
        if (!source || !*source)
            fail_msg("feature %s has no source", json_string_value(json_object_get(f, "id")));
    }
    json_decref(fc);
    pm_strbuf_fini(&body);
    pm_http_stop(http, 1000);
    pm_api_free(api);
    pm_store_close(store);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_geodata DB REPO_ROOT\n");
        return 2;
    }
    db_path = argv[1];
    repo_root = argv[2];
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s\n", db_path);
        return 2;
    }
    pm_spatialite_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_every_row_names_its_source),
        cmocka_unit_test(test_founding_document_pairs),
        cmocka_unit_test(test_doubts_are_recorded),
        cmocka_unit_test(test_initiative_facts),
        cmocka_unit_test(test_integrity),
        cmocka_unit_test(test_report_agrees_with_readme),
        cmocka_unit_test(test_served_partnerships_carry_their_source),
    };
    int rc = cmocka_run_group_tests_name("geodata", tests, NULL, NULL);
    curl_global_cleanup();
    pm_spatialite_shutdown();
    sqlite3_close(db);
    return rc;
}
