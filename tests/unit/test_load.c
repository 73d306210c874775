/*
 * Unit tests of the loader, pm_spatialite_load (store/spatialite/). Each test copies
 * tests/fixtures/data into a fresh temporary directory, corrupts one file the way a person
 * editing the CSV might, loads it and reads the report as a user would: every problem is one
 * line "file:line: column: why" naming the physical line where the record starts (the
 * fixture's partnerships.csv has a quoted field spanning two lines, so rows after it test
 * the count), and all problems of a stage are reported, not just the first. A failed load
 * leaves an existing database byte for byte as it was and leaves no "*.loading-*" file; a
 * good load keeps quoted commas, quotes, line breaks and Chinese and Japanese names byte for
 * byte, read back both with sqlite3 and through the store API.
 */
#include "geojson/geojson.h"
#include "query/query.h"
#include "store/spatialite/spatialite.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#ifndef PM_FIXTURE_DATA
#error "PM_FIXTURE_DATA must name tests/fixtures/data"
#endif

/* One test's scratch space: root/ holds data/ (the CSV files) and the database. */
struct env {
    char root[512];
    char data[600];
    char db[600];
};

/* --- files ---------------------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct pm_strbuf b;
    char chunk[4096];
    size_t n;
    pm_strbuf_init(&b);
    pm_strbuf_append(&b, "", 0);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pm_strbuf_append(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    return pm_strbuf_take(&b);
}

static void write_all(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *data_path(const struct env *e, const char *file)
{
    return pm_asprintf("%s/%s", e->data, file);
}

/* Replace the first occurrence of `from` in data/<file> with `to`. */
static void edit(const struct env *e, const char *file, const char *from, const char *to)
{
    char *path = data_path(e, file);
    size_t len;
    char *text = read_all(path, &len);
    assert_non_null(text);
    char *at = strstr(text, from);
    if (!at)
        fail_msg("'%s' is not in %s", from, file);
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_append(&b, text, (size_t)(at - text));
    pm_strbuf_append_str(&b, to);
    pm_strbuf_append_str(&b, at + strlen(from));
    write_all(path, b.data, b.len);
    pm_strbuf_fini(&b);
    free(text);
    free(path);
}

static void put(const struct env *e, const char *file, const char *text)
{
    char *path = data_path(e, file);
    write_all(path, text, strlen(text));
    free(path);
}

static void append(const struct env *e, const char *file, const char *text)
{
    char *path = data_path(e, file);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

/* The number of fields in the header (first line) of data/<file>, whose names are not
 * quoted: the loader's messages are checked against the fixture as it is. */
static size_t header_fields(const struct env *e, const char *file)
{
    char *path = data_path(e, file);
    char *text = read_all(path, NULL);
    assert_non_null(text);
    size_t n = 1;
    for (const char *p = text; *p && *p != '\n'; p++)
        n += *p == ',';
    free(text);
    free(path);
    return n;
}

/* Rewrite data/<file> line by line: every "\n" becomes "\r\n" (crlf), and/or the text from
 * the last comma of each line on is dropped (drop_last; only for files without quoted
 * commas or line breaks). With bom, a UTF-8 byte order mark goes first. */
static void rewrite(const struct env *e, const char *file, int crlf, int drop_last, int bom)
{
    char *path = data_path(e, file);
    char *text = read_all(path, NULL);
    assert_non_null(text);
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    if (bom)
        pm_strbuf_append_str(&b, "\xEF\xBB\xBF");
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (drop_last) {
            size_t cut = len;
            while (cut > 0 && line[cut - 1] != ',')
                cut--;
            if (cut > 0)
                len = cut - 1;
        }
        pm_strbuf_append(&b, line, len);
        if (!nl)
            break;
        pm_strbuf_append_str(&b, crlf ? "\r\n" : "\n");
        line = nl + 1;
    }
    write_all(path, b.data, b.len);
    pm_strbuf_fini(&b);
    free(text);
    free(path);
}

/* Remove every file in dir (one level), then dir. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *p = pm_asprintf("%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_dir(p);
        else
            unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

/* How many names in dir contain ".loading-". */
static int count_loading_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, ".loading-"))
            n++;
    closedir(d);
    return n;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* --- set-up --------------------------------------------------------------------------- */

static int setup(void **state)
{
    struct env *e = pm_calloc(1, sizeof *e);
    const char *tmp = getenv("TMPDIR");
    snprintf(e->root, sizeof e->root, "%s/pm_test_load_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(e->root)) {
        free(e);
        return -1;
    }
    snprintf(e->data, sizeof e->data, "%s/data", e->root);
    snprintf(e->db, sizeof e->db, "%s/test.sqlite", e->root);
    if (mkdir(e->data, 0700) != 0)
        return -1;
    DIR *d = opendir(PM_FIXTURE_DATA);
    struct dirent *de;
    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 4 || strcmp(de->d_name + n - 4, ".csv"))
            continue;
        char *from = pm_asprintf("%s/%s", PM_FIXTURE_DATA, de->d_name);
        char *to = pm_asprintf("%s/%s", e->data, de->d_name);
        size_t len;
        char *text = read_all(from, &len);
        FILE *f = fopen(to, "wb");
        if (text && f)
            fwrite(text, 1, len, f);
        if (f)
            fclose(f);
        free(text);
        free(from);
        free(to);
    }
    closedir(d);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    remove_dir(e->root);
    free(e);
    return 0;
}

/* Load data/ into db; the report (and, if out_text is given, the progress) come back as
 * strings the caller frees. */
static int load(const struct env *e, char **report_text, char **out_text)
{
    char *rep = NULL, *out = NULL;
    size_t rep_len = 0, out_len = 0;
    FILE *rf = open_memstream(&rep, &rep_len);
    FILE *of = open_memstream(&out, &out_len);
    assert_non_null(rf);
    assert_non_null(of);
    int rc = pm_spatialite_load(e->db, e->data, of, rf);
    fclose(rf);
    fclose(of);
    *report_text = rep;
    if (out_text)
        *out_text = out;
    else
        free(out);
    return rc;
}

/* Load the fixture as edited, failing the test with the report if the load fails. */
static void load_ok(const struct env *e)
{
    char *report;
    if (load(e, &report, NULL) != 0)
        fail_msg("load failed:\n%s", report);
    free(report);
}

/* The load must fail and the report must contain `line`. Returns the report (caller frees). */
static char *load_fails_with(const struct env *e, const char *line)
{
    char *report;
    int rc = load(e, &report, NULL);
    if (rc != -1)
        fail_msg("the load succeeded; expected \"%s\"", line);
    if (!strstr(report, line))
        fail_msg("the report does not say \"%s\"; it says:\n%s", line, report);
    assert_int_equal(count_loading_files(e->root), 0);
    return report;
}

static void expect_failure(const struct env *e, const char *line)
{
    free(load_fails_with(e, line));
}

/* Number of report lines that start with prefix. */
static int count_lines(const char *report, const char *prefix)
{
    int n = 0;
    size_t plen = strlen(prefix);
    for (const char *p = report; p && *p;) {
        if (!strncmp(p, prefix, plen))
            n++;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

/* --- a good load ---------------------------------------------------------------------- */

static void good_data_loads(void **state)
{
    struct env *e = *state;
    char *report, *out;
    int rc = load(e, &report, &out);
    if (rc != 0)
        fail_msg("load of the fixture failed:\n%s", report);
    assert_string_equal(report, "");
    assert_non_null(strstr(out, "loaded partnerships: 3 rows"));
    assert_non_null(strstr(out, "loaded cities: 7 rows"));
    assert_non_null(strstr(out, "wrote "));
    assert_true(file_exists(e->db));
    assert_int_equal(count_loading_files(e->root), 0);
    free(report);
    free(out);
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("cannot open %s", path);
    return db;
}

/* The text of the first column of the first row of sql with ?1 = arg (caller frees). */
static char *query_text(sqlite3 *db, const char *sql, const char *arg)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        v = pm_strndup((const char *)t, (size_t)sqlite3_column_bytes(st, 0));
    }
    sqlite3_finalize(st);
    return v;
}

static void expect_text(sqlite3 *db, const char *sql, const char *arg, const char *want)
{
    char *got = query_text(db, sql, arg);
    if (!got)
        fail_msg("%s [%s]: no value", sql, arg);
    assert_string_equal(got, want);
    free(got);
}

#define FIXTURE_NOTE "A note with a comma, a \"quote\"\nand a line break, for the CSV reader."
/* A quoted field of our own: comma, doubled quotes, a CRLF and a bare LF, in Japanese. */
#define OWN_NOTE_CSV "\"広島市, \"\"平和\"\"都市\r\n二行目\n三行目\""
#define OWN_NOTE "広島市, \"平和\"都市\r\n二行目\n三行目"

static void quoted_fields_and_cjk_round_trip(void **state)
{
    struct env *e = *state;
    /* jp-hiroshima's notes is the last field of its line and empty in the fixture. */
    edit(e, "cities.csv", "1862415,,high,shared/data/pairs.csv p018,sourced,\n",
         "1862415,,high,shared/data/pairs.csv p018,sourced," OWN_NOTE_CSV "\n");
    load_ok(e);

    sqlite3 *db = open_db(e->db);
    expect_text(db, "SELECT notes FROM partnerships WHERE id = ?1", "chongqing--hiroshima",
                FIXTURE_NOTE);
    expect_text(db, "SELECT notes FROM cities WHERE id = ?1", "jp-hiroshima", OWN_NOTE);
    expect_text(db, "SELECT name_zh FROM cities WHERE id = ?1", "cn-dalian", "大连市");
    expect_text(db, "SELECT name_ja FROM cities WHERE id = ?1", "cn-dalian", "大連市");
    expect_text(db, "SELECT name_ja FROM cities WHERE id = ?1", "jp-yokohama", "横浜市");
    expect_text(db, "SELECT name_zh FROM cities WHERE id = ?1", "jp-yokohama", "横滨市");
    expect_text(db, "SELECT name_local FROM countries WHERE code = ?1", "JP", "日本");
    /* An empty field is NULL, not "". */
    assert_null(query_text(db, "SELECT name_zh FROM cities WHERE id = ?1", "jp-hiroshima"));
    /* Geocoded by name from the gazetteer. */
    expect_text(db, "SELECT geocode_method FROM cities WHERE id = ?1", "cn-weihai",
                "gazetteer-name");
    expect_text(db, "SELECT printf('%.5f %.5f', lon, lat) FROM cities WHERE id = ?1", "cn-weihai",
                "122.11356 37.50914");
    sqlite3_close(db);
}

/* What the load computes or copies into a row agrees with the tables it comes from: a city's
 * partner count (counted in a hash table) with its partnerships, its region name with
 * regions, a link's partner names and regions with cities. Each query counts the rows that
 * disagree; the fixture has partnerships, and cities with none. */
static void copied_and_counted_columns_agree(void **state)
{
    struct env *e = *state;
    load_ok(e);
    sqlite3 *db = open_db(e->db);
    expect_text(db,
                "SELECT count(*) FILTER (WHERE partners <> (SELECT count(*) FROM partnerships p "
                "WHERE p.cn_city = c.id OR p.jp_city = c.id)) || ' ' || "
                "count(*) FILTER (WHERE partners = 0) || ' ' || "
                "(sum(partners) = 2 * (SELECT count(*) FROM partnerships)) FROM cities c",
                NULL, "0 1 1");
    expect_text(db,
                "SELECT count(*) FROM cities c LEFT JOIN regions r ON r.id = c.region "
                "WHERE c.region_name IS NOT r.name_en",
                NULL, "0");
    expect_text(db,
                "SELECT count(*) FROM partnerships p JOIN cities cn ON cn.id = p.cn_city "
                "JOIN cities jp ON jp.id = p.jp_city WHERE p.cn_name_en IS NOT cn.name_en OR "
                "p.cn_name_zh IS NOT cn.name_zh OR p.cn_region IS NOT cn.region OR p.jp_name_en IS "
                "NOT jp.name_en OR p.jp_name_ja IS NOT jp.name_ja OR p.jp_region IS NOT jp.region",
                NULL, "0");
    sqlite3_close(db);
}

/* The store over the database at path, with one session. */
static struct pm_store *open_store(const char *path)
{
    struct pm_error err = {0};
    struct pm_store *st = pm_spatialite_open(path, 1, &err);
    if (!st)
        fail_msg("open: %s", err.message);
    return st;
}

/* The index of property `name` of collection c. */
static size_t prop_index(const struct pm_collection *c, const char *name)
{
    for (size_t i = 0; i < c->n_props; i++)
        if (!strcmp(c->props[i].name, name))
            return i;
    fail_msg("collection %s has no property %s", c->id, name);
    return 0;
}

static void store_reads_back_what_was_loaded(void **state)
{
    struct env *e = *state;
    load_ok(e);

    struct pm_error err = {0};
    struct pm_store *st = open_store(e->db);
    const struct pm_collection *c = pm_catalog_find(&st->catalog, "partnerships");
    assert_non_null(c);
    struct pm_session *s = NULL;
    struct pm_cursor *cur = NULL;
    struct pm_feature_row row;
    assert_int_equal(pm_store_borrow(st, &s, &err), 0);
    assert_int_equal(pm_store_feature(st, s, c, "chongqing--hiroshima", &cur, &err), 0);
    assert_int_equal(pm_cursor_next(st, cur, &row, &err), 1);
    assert_string_equal(row.id, "chongqing--hiroshima");
    const struct pm_value *notes = &row.values[prop_index(c, "notes")];
    assert_int_equal(notes->type, PM_VALUE_TEXT);
    assert_string_equal(notes->s, FIXTURE_NOTE);
    const struct pm_value *name = &row.values[prop_index(c, "jp_name_ja")];
    assert_int_equal(name->type, PM_VALUE_TEXT);
    assert_string_equal(name->s, "広島市");
    const struct pm_value *est = &row.values[prop_index(c, "established")];
    assert_string_equal(est->s, "1986-10-23");
    /* A line from Chongqing to Hiroshima. */
    assert_non_null(row.geometry);
    assert_non_null(strstr(row.geometry, "LineString"));
    assert_non_null(strstr(row.geometry, "106.55278"));
    assert_non_null(strstr(row.geometry, "132.45"));
    assert_int_equal(pm_cursor_next(st, cur, &row, &err), 0);
    pm_cursor_close(st, cur);
    pm_store_release(st, s);
    pm_store_close(st);
}

/* The rows of an items query of cities with these parameters: each row's stored head
 * (whole: a query of whole features), or the head the writer writes from its values. */
static size_t city_heads(struct pm_store *st, const char *key, const char *value, int whole,
                         char **out, size_t max)
{
    const struct pm_collection *c = pm_catalog_find(&st->catalog, "cities");
    assert_non_null(c);
    struct pm_kv args[] = {{"limit", "10000"}, {key, value}};
    struct pm_items_params p;
    struct pm_error err = {0};
    if (pm_items_params_parse(args, key ? 2 : 1, &c->spec, &p, &err))
        fail_msg("params: %s", err.message);
    p.whole_features = whole;
    struct pm_session *s = NULL;
    struct pm_cursor *cur = NULL;
    long long matched;
    int from_start;
    assert_int_equal(pm_store_borrow(st, &s, &err), 0);
    if (pm_store_items(st, s, c, &p, &cur, &matched, &from_start, &err))
        fail_msg("items: %s", err.message);
    struct pm_feature_writer w;
    pm_feature_writer_init(&w, c, "", NULL);
    struct pm_feature_row row;
    size_t n = 0;
    while (pm_cursor_next(st, cur, &row, &err) == 1) {
        assert_true(n < max);
        assert_int_equal(row.head != NULL, whole);
        struct pm_strbuf b;
        pm_strbuf_init(&b);
        if (row.head)
            pm_strbuf_append(&b, row.head, row.head_len);
        else
            pm_feature_writer_head(&w, &b, &row);
        out[n++] = b.data;
    }
    pm_feature_writer_fini(&w);
    pm_cursor_close(st, cur);
    pm_store_release(st, s);
    pm_items_params_fini(&p);
    return n;
}

static void free_all(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

/* The heads the load keeps of the cities are, byte for byte, what the writer writes from the
 * view's columns, for every city, by each way a query reads them (the general one, and a box
 * from the table of heads alone). A query of whole features does read them: a head changed in
 * the file shows in its answer, and not in the answer of one that is not of whole features. */
static void heads_are_what_the_writer_writes(void **state)
{
    struct env *e = *state;
    load_ok(e);
    struct pm_store *st = open_store(e->db);
    enum { MAX = 1000 };
    static char *stored[MAX], *written[MAX];
    const char *queries[][2] = {{NULL, NULL}, {"bbox", "100,20,146,46"}, {"q", "a"}};
    for (size_t k = 0; k < sizeof queries / sizeof queries[0]; k++) {
        size_t n = city_heads(st, queries[k][0], queries[k][1], 1, stored, MAX);
        assert_int_equal(city_heads(st, queries[k][0], queries[k][1], 0, written, MAX), n);
        assert_true(n > 2);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(stored[i], written[i]);
        free_all(stored, n);
        free_all(written, n);
    }
    pm_store_close(st);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(e->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE city_heads SET _head = _head || ',\"changed\":1' "
                                  "WHERE id = 'jp-kitakyushu'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
    st = open_store(e->db);
    size_t n = city_heads(st, "bbox", "130,33,131.5,34.5", 1, stored, MAX);
    size_t m = city_heads(st, "bbox", "130,33,131.5,34.5", 0, written, MAX);
    assert_int_equal(n, m);
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
        changed += strstr(stored[i], "\"changed\":1") != NULL;
        assert_null(strstr(written[i], "\"changed\":1"));
    }
    assert_int_equal(changed, 1);
    free_all(stored, n);
    free_all(written, m);
    pm_store_close(st);
}

static void byte_order_mark_and_crlf_accepted(void **state)
{
    struct env *e = *state;
    /* The first column is "code": with the mark taken as part of its name it would be
     * unknown and the required "code" missing. */
    rewrite(e, "countries.csv", 1, 0, 1);
    load_ok(e);
    sqlite3 *db = open_db(e->db);
    expect_text(db, "SELECT source FROM countries WHERE code = ?1", "CN",
                "ISO 3166-1 alpha-2 (https://www.iso.org/obp/ui/#iso:code:3166:CN)");
    expect_text(db, "SELECT name_local FROM countries WHERE code = ?1", "CN", "中国");
    sqlite3_close(db);
}

/* --- bad rows ------------------------------------------------------------------------- */

static void bad_date(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "1986-10-23", "1986-13-23");
    expect_failure(e, "partnerships.csv:3: established: expected an ISO 8601 date "
                      "(YYYY, YYYY-MM or YYYY-MM-DD), got '1986-13-23'\n");
}

static void line_after_multiline_field(void **state)
{
    struct env *e = *state;
    /* The row after the two-line quoted field starts on line 5, not 4. */
    edit(e, "partnerships.csv", "1973-11-30", "1973-00-30");
    expect_failure(e, "partnerships.csv:5: established: expected an ISO 8601 date "
                      "(YYYY, YYYY-MM or YYYY-MM-DD), got '1973-00-30'\n");
}

static void line_numbers_with_crlf(void **state)
{
    struct env *e = *state;
    rewrite(e, "partnerships.csv", 1, 0, 0);
    edit(e, "partnerships.csv", "1973-11-30", "1973-11-3");
    expect_failure(e, "partnerships.csv:5: established:");
}

static void future_date(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "1979-05-01", "2999-01");
    expect_failure(e, "partnerships.csv:2: established: date '2999-01' is in the future\n");
}

static void unknown_city(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "cn-shanghai,jp-yokohama", "cn-shanghai,jp-nowhere");
    expect_failure(e, "partnerships.csv:5: jp_city: unknown city 'jp-nowhere'\n");
}

static void city_in_wrong_country(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "cn-shanghai,jp-yokohama", "jp-yokohama,jp-yokohama");
    expect_failure(e, "partnerships.csv:5: cn_city: 'jp-yokohama' is in JP, not CN\n");
}

static void duplicate_id(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "shanghai--yokohama,", "dalian--kitakyushu,");
    expect_failure(e, "partnerships.csv:5: id: 'dalian--kitakyushu' is already used on line 2\n");
}

static void duplicate_affiliation(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "shanghai--yokohama,cn-shanghai,jp-yokohama",
         "shanghai--yokohama,cn-dalian,jp-kitakyushu");
    expect_failure(e, "partnerships.csv:5: jp_city: the affiliation cn-dalian - jp-kitakyushu "
                      "is already on line 2\n");
}

static void too_many_fields(void **state)
{
    struct env *e = *state;
    size_t n = header_fields(e, "memberships.csv");
    edit(e, "memberships.csv", "kin-kitakyushu,", "kin-kitakyushu,extra,");
    char *want =
        pm_asprintf("memberships.csv:3: expected %zu fields as in the header, got %zu", n, n + 1);
    expect_failure(e, want);
    free(want);
}

static void too_few_fields(void **state)
{
    struct env *e = *state;
    size_t n = header_fields(e, "memberships.csv");
    edit(e, "memberships.csv", "kin-weihai,kitakyushu-initiative,", "kin-weihai,");
    char *want =
        pm_asprintf("memberships.csv:2: expected %zu fields as in the header, got %zu", n, n - 1);
    expect_failure(e, want);
    free(want);
}

static void unterminated_quote(void **state)
{
    struct env *e = *state;
    /* The last field of the last record opens a quote that never closes. */
    edit(e, "events.csv", "unverified,no independent page found",
         "unverified,\"no independent page found");
    expect_failure(e, "events.csv:3: malformed CSV");
}

static void stray_quote(void **state)
{
    struct env *e = *state;
    edit(e, "cities.csv", "cn-shanghai,CN,cn-shanghai,municipality,Shanghai,",
         "cn-shanghai,CN,cn-shanghai,municipality,Shang\"hai,");
    expect_failure(e, "cities.csv:4: malformed CSV");
}

static void unknown_header_column(void **state)
{
    struct env *e = *state;
    edit(e, "countries.csv", "name_local", "name_native");
    char *report = load_fails_with(e, "countries.csv:1: name_native: unknown column; expected "
                                      "some of: code, name_en, name_local, ");
    assert_int_equal(count_lines(report, "countries.csv:"), 1);
    free(report);
}

static void missing_required_column(void **state)
{
    struct env *e = *state;
    /* events.csv ends with verification,notes: drop notes, then verification. */
    rewrite(e, "events.csv", 0, 1, 0);
    rewrite(e, "events.csv", 0, 1, 0);
    expect_failure(e, "events.csv:1: verification: required column is missing\n");
}

static void missing_optional_column_is_fine(void **state)
{
    struct env *e = *state;
    rewrite(e, "events.csv", 0, 1, 0); /* no notes column */
    load_ok(e);
    sqlite3 *db = open_db(e->db);
    expect_text(db, "SELECT verification FROM events WHERE id = ?1", "kin2-2003-weihai",
                "unverified");
    assert_null(query_text(db, "SELECT notes FROM events WHERE id = ?1", "kin2-2003-weihai"));
    sqlite3_close(db);
}

static void invalid_utf8(void **state)
{
    struct env *e = *state;
    edit(e, "countries.csv", "CN,China,", "CN,Ch\xFFna,");
    expect_failure(e, "countries.csv:2: name_en: not valid UTF-8\n");
}

static void invalid_utf8_truncated_cjk(void **state)
{
    struct env *e = *state;
    /* 日本 with its last byte cut off. */
    edit(e, "countries.csv", "JP,Japan,日本,", "JP,Japan,\xE6\x97\xA5\xE6\x9C,");
    expect_failure(e, "countries.csv:3: name_local: not valid UTF-8\n");
}

static void gazetteer_no_match(void **state)
{
    struct env *e = *state;
    /* cn-weihai (cities.csv line 5) has no coordinates and no GeoNames id: it is placed by
     * its English name. Rename the only candidate. */
    edit(e, "gazetteer.csv", "1791673,Weihai,", "1791673,Weihai Shi,");
    expect_failure(e, "cities.csv:5: name_en: no gazetteer place named 'Weihai' in CN region "
                      "cn-shandong; give geonames_id or lon/lat\n");
}

static void gazetteer_two_matches(void **state)
{
    struct env *e = *state;
    append(e, "gazetteer.csv", "1791674,Weihai,,,CN,25,PPL,1000,122.2,37.4\n");
    char *report = load_fails_with(e, "cities.csv:5: name_en: 2 gazetteer places match; give "
                                      "geonames_id, one of: ");
    /* The message names both candidates. */
    assert_non_null(strstr(report, "1791673 Weihai (admin1 25, population 152595)"));
    assert_non_null(strstr(report, "1791674 Weihai (admin1 25, population 1000)"));
    assert_int_equal(count_lines(report, "cities.csv:"), 1);
    free(report);
}

static void unknown_geonames_id(void **state)
{
    struct env *e = *state;
    edit(e, "cities.csv", "Dalian,大连市,大連市,1814087,", "Dalian,大连市,大連市,1814088,");
    expect_failure(e, "cities.csv:2: geonames_id: GeoNames id 1814088 is not in gazetteer.csv\n");
}

static void point_outside_country(void **state)
{
    struct env *e = *state;
    /* Kitakyushu's gazetteer point moved to Beijing: it is no longer in Japan. Found only
     * after the load, by sql/checks_after.sql, with the line of the city. */
    edit(e, "gazetteer.csv", "130.85034,33.85181", "116.39723,39.9075");
    char *report = load_fails_with(e, "cities.csv:6: ");
    assert_non_null(strstr(report, "(116.39723 39.9075)"));
    assert_non_null(strstr(report, "is not in"));
    free(report);
}

/* cities.csv of the fixture with lon/lat columns, Dalian placed by the given point. */
static void put_dalian_at(const struct env *e, const char *lon_lat)
{
    char *text = pm_asprintf(
        "id,country,region,level,name_en,name_zh,name_ja,geonames_id,source,verification,"
        "lon,lat\n"
        "cn-dalian,CN,cn-liaoning,city,Dalian,大连市,大連市,,test,sourced,%s\n"
        "cn-chongqing,CN,cn-chongqing,municipality,Chongqing,,,1814906,test,sourced,,\n"
        "cn-shanghai,CN,cn-shanghai,municipality,Shanghai,,,1796236,test,sourced,,\n"
        "cn-weihai,CN,cn-shandong,city,Weihai,,,1791673,test,sourced,,\n"
        "jp-kitakyushu,JP,jp-fukuoka,city,Kitakyushu,,,1859307,test,sourced,,\n"
        "jp-hiroshima,JP,jp-hiroshima,city,Hiroshima,,,1862415,test,sourced,,\n"
        "jp-yokohama,JP,jp-kanagawa,city,Yokohama,,,1848354,test,sourced,,\n",
        lon_lat);
    put(e, "cities.csv", text);
    free(text);
}

static void point_near_its_region_loads(void **state)
{
    struct env *e = *state;
    /* About 30 km north-east of the gazetteer's Dalian, a place of Liaoning. */
    put_dalian_at(e, "121.9,39.1");
    char *report;
    int rc = load(e, &report, NULL);
    if (rc != 0)
        fail_msg("the load failed:\n%s", report);
    free(report);
}

static void point_far_from_its_region(void **state)
{
    struct env *e = *state;
    /* Shenyang is in Liaoning, but the fixture's gazetteer holds only Dalian of Liaoning,
     * 370 km away: checked by sql/checks_regions.sql, beside the load. */
    put_dalian_at(e, "123.43,41.8");
    char *report = load_fails_with(
        e, "cities.csv:2: lon: the point (123.43 41.8) of cn-dalian is more than 60 km from the "
           "seat and from every gazetteer place of its region cn-liaoning\n");
    assert_non_null(strstr(report, "load failed: 1 problem;"));
    free(report);
}

/* While the checker finds problems in the rows, the load goes on building from them; what it
 * runs into is not reported, only the problems. */
static void checker_problems_come_first(void **state)
{
    struct env *e = *state;
    /* Two cities under one id: the load's INSERT would fail on the primary key. */
    edit(e, "cities.csv", "cn-chongqing,CN", "cn-dalian,CN");
    char *report = load_fails_with(e, "cities.csv:3: id: 'cn-dalian' is already used on line 2");
    assert_null(strstr(report, "SQL error"));
    assert_null(strstr(report, "UNIQUE"));
    free(report);
}

/* --- every problem, and nothing changed ----------------------------------------------- */

static void all_problems_reported(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "1979-05-01", "1979-5-1");
    edit(e, "partnerships.csv", "cn-shanghai,jp-yokohama", "cn-shanghai,jp-nowhere");
    char *report = load_fails_with(e, "partnerships.csv:2: established:");
    assert_non_null(strstr(report, "partnerships.csv:5: jp_city: unknown city 'jp-nowhere'"));
    assert_int_equal(count_lines(report, "partnerships.csv:"), 2);
    assert_non_null(strstr(report, "load failed: 2 problems"));
    free(report);
}

static void all_read_problems_reported_across_files(void **state)
{
    struct env *e = *state;
    edit(e, "countries.csv", "CN,China,", "CN,Ch\xFFna,");
    size_t n = header_fields(e, "events.csv");
    edit(e, "events.csv", "network_meeting,2003-09,", "network_meeting,2003-09,,,");
    char *report = load_fails_with(e, "countries.csv:2: name_en: not valid UTF-8\n");
    char *want =
        pm_asprintf("events.csv:3: expected %zu fields as in the header, got %zu", n, n + 2);
    assert_non_null(strstr(report, want));
    free(want);
    assert_non_null(strstr(report, "load failed: 2 problems"));
    free(report);
}

static void failed_load_leaves_database_unchanged(void **state)
{
    struct env *e = *state;
    char *report;
    if (load(e, &report, NULL) != 0)
        fail_msg("first load failed:\n%s", report);
    free(report);
    size_t before_len, after_len;
    char *before = read_all(e->db, &before_len);
    assert_non_null(before);
    assert_true(before_len > 0);

    /* One failure found while reading, one by the checks, one after the load. */
    edit(e, "countries.csv", "CN,China,", "CN,Ch\xFFna,");
    free(load_fails_with(e, "countries.csv:2: name_en: not valid UTF-8"));
    char *after = read_all(e->db, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(after);

    edit(e, "countries.csv", "CN,Ch\xFFna,", "CN,China,");
    edit(e, "partnerships.csv", "1986-10-23", "1986-13-23");
    report = load_fails_with(e, "partnerships.csv:3: established:");
    assert_non_null(strstr(report, "was not changed"));
    free(report);
    after = read_all(e->db, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(after);

    edit(e, "partnerships.csv", "1986-13-23", "1986-10-23");
    edit(e, "gazetteer.csv", "130.85034,33.85181", "116.39723,39.9075");
    free(load_fails_with(e, "cities.csv:6: "));
    after = read_all(e->db, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    free(after);

    assert_int_equal(count_loading_files(e->root), 0);
    free(before);
}

static void failed_load_creates_nothing(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "1986-10-23", "1986-13-23");
    expect_failure(e, "partnerships.csv:3: established:");
    assert_false(file_exists(e->db));
    assert_int_equal(count_loading_files(e->root), 0);
}

static void missing_directory_and_file(void **state)
{
    struct env *e = *state;
    struct env other = *e;
    char *report;
    snprintf(other.data, sizeof other.data, "%s/no-such-dir", e->root);
    assert_int_equal(load(&other, &report, NULL), -1);
    assert_non_null(strstr(report, "not a directory"));
    free(report);

    char *path = data_path(e, "events.csv");
    assert_int_equal(unlink(path), 0);
    free(path);
    char *msg = pm_asprintf("%s/events.csv: cannot read", e->data);
    expect_failure(e, msg);
    free(msg);
    assert_false(file_exists(e->db));
}

static void empty_file(void **state)
{
    struct env *e = *state;
    put(e, "events.csv", "");
    expect_failure(e, "events.csv:1: empty file: expected a header row");
}

static void column_given_twice(void **state)
{
    struct env *e = *state;
    edit(e, "countries.csv", "name_local", "code");
    expect_failure(e, "countries.csv:1: code: column given twice in the header\n");
}

static void report_is_capped(void **state)
{
    struct env *e = *state;
    /* 600 rows with a field too many: 500 are reported one by one, then a count. */
    struct pm_strbuf rows;
    pm_strbuf_init(&rows);
    for (int i = 0; i < 600; i++)
        pm_strbuf_appendf(&rows, "x%d,kitakyushu-initiative,jp-kitakyushu,member,,,s,sourced,,,\n",
                          i);
    append(e, "memberships.csv", rows.data);
    pm_strbuf_fini(&rows);
    char *report = load_fails_with(e, "memberships.csv:5: expected ");
    assert_int_equal(count_lines(report, "memberships.csv:"), 500);
    assert_non_null(strstr(report, "... and 100 more problems\n"));
    assert_non_null(strstr(report, "load failed: 600 problems"));
    free(report);
}

static void store_open_errors(void **state)
{
    struct env *e = *state;
    struct pm_error err = {0};
    char *missing = pm_asprintf("%s/missing.sqlite", e->root);
    assert_null(pm_spatialite_open(missing, 1, &err));
    assert_int_equal(err.status, 500);
    assert_non_null(strstr(err.message, "missing.sqlite"));
    assert_false(file_exists(missing)); /* opened read-only: nothing created */
    free(missing);

    memset(&err, 0, sizeof err);
    char *csv = data_path(e, "countries.csv");
    assert_null(pm_spatialite_open(csv, 2, &err));
    assert_int_equal(err.status, 500);
    free(csv);
}

/* --- regressions: bugs these tests found, fixed since ------------------------------------ */

/* sql/checks.sql tests a full date with `date(value) IS value`, but SQLite's date() does not
 * normalise a day past the end of its month (date('1973-11-31') is '1973-11-31'), so
 * impossible days load. pm_date_first/pm_date_last then give NULL, and the partnership
 * silently drops out of every datetime query and of the collection's temporal extent. */
static void regression_impossible_day_loads(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "1973-11-30", "1973-11-31");
    expect_failure(e, "partnerships.csv:5: established: expected an ISO 8601 date "
                      "(YYYY, YYYY-MM or YYYY-MM-DD), got '1973-11-31'\n");
}

static void regression_february_29_of_common_year_loads(void **state)
{
    struct env *e = *state;
    edit(e, "partnerships.csv", "1979-05-01", "1979-02-29");
    expect_failure(e, "partnerships.csv:2: established: expected an ISO 8601 date "
                      "(YYYY, YYYY-MM or YYYY-MM-DD), got '1979-02-29'\n");
}

static int group_setup(void **state)
{
    (void)state;
    pm_spatialite_init();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pm_spatialite_shutdown();
    return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(good_data_loads),
        T(quoted_fields_and_cjk_round_trip),
        T(copied_and_counted_columns_agree),
        T(store_reads_back_what_was_loaded),
        T(heads_are_what_the_writer_writes),
        T(byte_order_mark_and_crlf_accepted),
        T(bad_date),
        T(line_after_multiline_field),
        T(line_numbers_with_crlf),
        T(future_date),
        T(unknown_city),
        T(city_in_wrong_country),
        T(duplicate_id),
        T(duplicate_affiliation),
        T(too_many_fields),
        T(too_few_fields),
        T(unterminated_quote),
        T(stray_quote),
        T(unknown_header_column),
        T(missing_required_column),
        T(missing_optional_column_is_fine),
        T(invalid_utf8),
        T(invalid_utf8_truncated_cjk),
        T(gazetteer_no_match),
        T(gazetteer_two_matches),
        T(unknown_geonames_id),
        T(point_outside_country),
        T(point_near_its_region_loads),
        T(point_far_from_its_region),
        T(checker_problems_come_first),
        T(all_problems_reported),
        T(all_read_problems_reported_across_files),
        T(failed_load_leaves_database_unchanged),
        T(failed_load_creates_nothing),
        T(missing_directory_and_file),
        T(empty_file),
        T(column_given_twice),
        T(report_is_capped),
        T(store_open_errors),
        T(regression_impossible_day_loads),
        T(regression_february_29_of_common_year_loads),
    };
    return cmocka_run_group_tests_name("load", tests, group_setup, group_teardown);
}
