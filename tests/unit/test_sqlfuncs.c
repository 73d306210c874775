/*
 * Unit tests of the spatial index as store/spatialite reads it (rtree.c), on an in-memory
 * SQLite database: an index of the shape sql/load.sql makes (idx_<table>_rid: x, y and the
 * rowid as a third dimension), filled by SQLite's own R*Tree in random order, so that its
 * nodes are not in rowid order and the reader meets a tree it did not pack. The walk
 * (pm_walk) must give exactly the entries a full scan finds in the box, from the rowid asked
 * for on, in rowid order; across the antimeridian too; and for segments (the rising bit in the
 * id) it must drop a segment that misses the box although its extent meets it. The count
 * (pm_sl_rtree_count) must count what clearly meets the box, hand over only what is too close
 * to its edge to tell, and stop past its cap. A tree with a node missing is refused at open.
 * The box of a geodesic disc (pm_geod_disc_bbox, which near= searches) must hold every point
 * of its circle, and not much more.
 */
#include "store/spatialite/geodesic_math.h"
#include "store/spatialite/internal.h"

#include <geodesic.h>
#include <math.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define N 3000

static struct pm_sl_rtree_reader reader;
static struct pm_sl_rtree *trees[2];
static struct pm_sl_rtree_counted counted;

static sqlite3 *open_index(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(pm_sl_register_functions(db), 0);
    assert_int_equal(pm_sl_rtree_reader_init(&reader, db), 0);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE VIRTUAL TABLE idx USING rtree(pkid, xmin, xmax, ymin, "
                                  "ymax, rmin, rmax)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    return db;
}

/* Once filled, the index read as rtree.c reads it: trees[0] as points, trees[1] as segments
 * (the same entries, ids read as 2 * rowid + rising). */
static void read_index(sqlite3 *db)
{
    char *why = NULL;
    for (int lines = 0; lines < 2; lines++) {
        trees[lines] = pm_sl_rtree_open(db, "idx", 3, lines, &why);
        if (!trees[lines])
            fail_msg("%s", why);
    }
    pm_sl_rtree_reader_set(&reader, trees, 2);
}

static void close_index(sqlite3 *db)
{
    pm_sl_rtree_reader_fini(&reader);
    for (int i = 0; i < 2; i++) {
        pm_sl_rtree_free(trees[i]);
        trees[i] = NULL;
    }
    free(counted.edge);
    memset(&counted, 0, sizeof counted);
    sqlite3_close(db);
}

static void put(sqlite3 *db, long long pkid, double x0, double x1, double y0, double y1,
                long long rowid)
{
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "INSERT INTO idx VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(st, 1, pkid);
    sqlite3_bind_double(st, 2, x0);
    sqlite3_bind_double(st, 3, x1);
    sqlite3_bind_double(st, 4, y0);
    sqlite3_bind_double(st, 5, y1);
    sqlite3_bind_int64(st, 6, rowid);
    sqlite3_bind_int64(st, 7, rowid);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

/* The first column of every row of sql, a query of the index whose parameters are the box
 * (?1-?4) and then the integers more[0 .. n_more), into out (room for cap); how many. */
static size_t rows(sqlite3 *db, const char *sql, const double box[4], const long long *more,
                   int n_more, long long *out, size_t cap)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, i + 1, box[i]);
    for (int i = 0; i < n_more; i++)
        sqlite3_bind_int64(st, 5 + i, more[i]);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        assert_true(n < cap);
        out[n++] = sqlite3_column_int64(st, 0);
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    return n;
}

/* The rowids the walk gives, in the order it gives them; returns how many. lines: the
 * entries are segments. */
static size_t walk(sqlite3 *db, const double box[4], long long lo, int lines, long long *out,
                   size_t cap)
{
    const long long more[] = {lo};
    return rows(db,
                lines ? "SELECT rid FROM pm_walk(1, ?, ?, ?, ?, ?, 0)"
                      : "SELECT rid FROM pm_walk(0, ?, ?, ?, ?, ?, 0)",
                box, more, 1, out, cap);
}

/* pm_sl_rtree_count: the entries counted inside, and those too close to the edge to tell
 * (their ids in edge, room for N). */
static long long count(const double box[4], int lines, long long cap, long long *edge,
                       size_t *n_edge)
{
    assert_int_equal(pm_sl_rtree_count(&reader, (size_t)lines, box, cap, &counted), 0);
    assert_true(counted.n_edge <= N);
    for (size_t i = 0; i < counted.n_edge; i++)
        edge[i] = counted.edge[i];
    *n_edge = counted.n_edge;
    return counted.inside;
}

static unsigned long long rng = 0x5eed;
static double rnd(double lo, double hi)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(rng >> 11) / 9007199254740992.0;
}

static void points_in_rowid_order(void **state)
{
    (void)state;
    sqlite3 *db = open_index();
    static double x[N + 1], y[N + 1];
    static long long order[N], got[N];
    for (long long r = 1; r <= N; r++) {
        /* A quarter near the antimeridian, on either side. */
        x[r] = r % 4 ? rnd(100, 140) : (r % 8 ? rnd(175, 180) : rnd(-180, -175));
        y[r] = rnd(20, 50);
        order[r - 1] = r;
    }
    for (size_t i = N - 1; i > 0; i--) { /* inserted in random order */
        size_t j = (size_t)rnd(0, (double)i + 1);
        long long t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (size_t i = 0; i < N; i++)
        put(db, order[i], x[order[i]], x[order[i]], y[order[i]], y[order[i]], order[i]);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    read_index(db);

    const double boxes[][4] = {
        {110, 30, 130, 40}, {100, 20, 140, 50}, {178, 25, -178, 45}, {120.5, 35.5, 120.6, 35.6}};
    const long long los[] = {1, 2, 1234, N, N + 1};
    for (size_t k = 0; k < sizeof boxes / sizeof boxes[0]; k++) {
        const double *b = boxes[k];
        for (size_t l = 0; l < sizeof los / sizeof los[0]; l++) {
            size_t n = walk(db, b, los[l], 0, got, N), want = 0;
            for (long long r = los[l]; r <= N; r++) {
                int in_x =
                    b[0] <= b[2] ? x[r] >= b[0] && x[r] <= b[2] : x[r] >= b[0] || x[r] <= b[2];
                if (!(in_x && y[r] >= b[1] && y[r] <= b[3]))
                    continue;
                if (want >= n || got[want] != r)
                    fail_msg("box %zu from %lld: entry %zu is %lld, expected %lld", k, los[l], want,
                             want < n ? got[want] : -1, r);
                want++;
            }
            if (n != want)
                fail_msg("box %zu from %lld: %zu entries, expected %zu", k, los[l], n, want);
        }
        /* At most 5 given: the first 5, and the walk says it stopped with more to give. */
        size_t all = walk(db, b, 1, 0, got, N);
        if (all > 5) {
            assert_int_equal(reader.capped, 0);
            /* At most as many as there are: all of them, and not stopped short. */
            static long long again[N];
            const long long exactly[] = {1, (long long)all};
            assert_int_equal(
                rows(db, "SELECT rid FROM pm_walk(0, ?, ?, ?, ?, ?, ?)", b, exactly, 2, again, N),
                all);
            assert_int_equal(reader.capped, 0);
            static long long first[N];
            const long long one[] = {1};
            size_t m =
                rows(db, "SELECT rid FROM pm_walk(0, ?, ?, ?, ?, ?, 5)", b, one, 1, first, N);
            assert_int_equal(m, 5);
            assert_memory_equal(first, got, 5 * sizeof first[0]);
            assert_int_equal(reader.capped, 1);
        }
        /* Counted: every point in the box (none lies within float rounding of an edge). */
        size_t n_edge, want = walk(db, b, 1, 0, got, N);
        long long inside = count(b, 0, N, got, &n_edge);
        if ((size_t)inside + n_edge != want)
            fail_msg("box %zu: counted %lld and %zu on the edge, expected %zu", k, inside, n_edge,
                     want);
        /* Past the cap the count stops (a part of the tree inside the box counted whole). */
        if (want > 10) {
            long long past = count(b, 0, 10, got, &n_edge);
            if (past <= 10 || (size_t)past > want)
                fail_msg("box %zu: counted %lld with a cap of 10, of %zu", k, past, want);
        }
    }
    close_index(db);
}

static void segments_by_their_line(void **state)
{
    (void)state;
    sqlite3 *db = open_index();
    /* Rowid 1 rises from (0, 0) to (10, 10); 2 falls from (0, 10) to (10, 0); 3 runs level
     * at y = 5.99999, within 1e-5 of the box's top edge: too close for the index's floats to
     * tell; 4 has its extent far from the box. The id is 2 * rowid + rising. */
    put(db, 2 * 1 + 1, 0, 10, 0, 10, 1);
    put(db, 2 * 2 + 0, 0, 10, 0, 10, 2);
    put(db, 2 * 3 + 1, 0, 20, 5.99999, 5.99999, 3);
    put(db, 2 * 4 + 1, 20, 30, 20, 30, 4);
    read_index(db);
    const double box[4] = {6.5, 0, 10, 6}; /* the lower right of the first two extents */
    static long long got[N];
    size_t n = walk(db, box, 1, 0, got, 8);
    assert_int_equal(n, 3); /* by extent alone: 1, 2, 3 */
    n = walk(db, box, 1, 1, got, 8);
    assert_int_equal(n, 2); /* 1 passes above the box: y = x > 6 for x >= 6.5 */
    assert_int_equal(got[0], 2);
    assert_int_equal(got[1], 3);
    /* Counted: 2 clearly crosses the box; 3 is given to be tested on its row. */
    assert_int_equal(count(box, 1, 100, got, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(got[0], 2 * 3 + 1);
    close_index(db);
}

static void missing_node_refused(void **state)
{
    (void)state;
    sqlite3 *db = open_index();
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (long long r = 1; r <= 500; r++)
        put(db, r, (double)(r % 40), (double)(r % 40), (double)(r / 40), (double)(r / 40), r);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DELETE FROM idx_node WHERE nodeno = (SELECT max(nodeno) "
                                  "FROM idx_node)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    char *why = NULL;
    assert_null(pm_sl_rtree_open(db, "idx", 3, 0, &why));
    assert_non_null(strstr(why, "idx"));
    free(why);
    close_index(db);
}

/* Every point of the circle, at 720 azimuths, lies in the box; the box is no more than 3 %
 * wider or taller than the circle's points span. */
static void disc_boxes_hold_their_circles(void **state)
{
    (void)state;
    struct geod_geodesic g;
    geod_init(&g, 6378137, 1 / 298.257223563);
    const double lats[] = {-75, -40, 0, 1.5, 34.7, 45, 60, 80};
    const double lons[] = {-179.99, -120, 0, 135.5, 179.5};
    const double radii[] = {1, 1000, 50e3, 300e3, 1500e3, 4000e3};
    for (size_t i = 0; i < sizeof lats / sizeof lats[0]; i++)
        for (size_t j = 0; j < sizeof lons / sizeof lons[0]; j++)
            for (size_t k = 0; k < sizeof radii / sizeof radii[0]; k++) {
                double box[4], lat = lats[i], lon = lons[j], r = radii[k];
                assert_int_equal(pm_geod_disc_bbox(lon, lat, r, box), 0);
                double max_dlon = 0, lo_lat = 90, hi_lat = -90;
                for (int a = 0; a < 720; a++) {
                    double plat, plon;
                    geod_direct(&g, lat, lon, a * 0.5, r, &plat, &plon, NULL);
                    int in_lon = box[0] <= box[2] ? plon >= box[0] && plon <= box[2]
                                                  : plon >= box[0] || plon <= box[2];
                    if (!in_lon || plat < box[1] || plat > box[3])
                        fail_msg("disc at %g,%g of %g m: point %g,%g (azimuth %g) outside "
                                 "%g,%g,%g,%g",
                                 lon, lat, r, plon, plat, a * 0.5, box[0], box[1], box[2], box[3]);
                    double d = fabs(remainder(plon - lon, 360));
                    max_dlon = fmax(max_dlon, d);
                    lo_lat = fmin(lo_lat, plat);
                    hi_lat = fmax(hi_lat, plat);
                }
                if (box[0] == -180 && box[2] == 180)
                    continue; /* the whole width: a disc near a pole or crossing one */
                double width = box[0] <= box[2] ? box[2] - box[0] : box[2] - box[0] + 360;
                if (width > 2 * max_dlon * 1.03 + 1e-5 ||
                    box[3] - box[1] > (hi_lat - lo_lat) * 1.03 + 1e-5)
                    fail_msg("disc at %g,%g of %g m: box %g,%g,%g,%g is loose (circle spans %g "
                             "degrees of longitude, %g to %g of latitude)",
                             lon, lat, r, box[0], box[1], box[2], box[3], 2 * max_dlon, lo_lat,
                             hi_lat);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(points_in_rowid_order),
        cmocka_unit_test(segments_by_their_line),
        cmocka_unit_test(missing_node_refused),
        cmocka_unit_test(disc_boxes_hold_their_circles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
