/*
 * The SQL functions partnermap adds to every connection, the loader's and the server's:
 *
 *   pm_date_first(d), pm_date_last(d)  first and last day a partial ISO date stands for
 *   pm_casei(s)                        s with every letter in lower case (CQL2 CASEI)
 *   pm_accenti(s)                      s without the accents of Latin letters (CQL2 ACCENTI)
 *   pm_geodesic_m(lon1, lat1, lon2, lat2)  geodesic distance on WGS 84, metres
 *   pm_box_meets(geojson, w, s, e, n)     a Point or LineString meets a box
 *   pm_morton3(x, y, z)                   the Z-order key of three values in [0, 1), 10 bits
 *                                         each: the order the load fills the R*Trees in
 *   pm_in_polygon(lon, lat, wkt)          a point lies inside a WKT POLYGON (the load's
 *                                         country check; the last polygon is kept parsed)
 *
 * and the same folds for C callers, so a literal can be folded once when a filter is
 * compiled. Case folding uses the C.UTF-8 locale's towlower (full Unicode in glibc); accent
 * folding maps the letters of Latin-1 Supplement and Latin Extended-A to their base letter
 * (Kitakyūshū → Kitakyushu, Ōita → Oita), which covers the romanisations in the data.
 */
#include "internal.h"

#include "geodesic_math.h"
#include "query/query.h"

#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

/* Decode one UTF-8 sequence at s (valid input assumed; invalid bytes pass as themselves). */
static size_t utf8_decode(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
        *cp = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
        return 2;
    }
    if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *cp = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
        return 3;
    }
    if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
        (s[3] & 0xc0) == 0x80) {
        *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) |
              (s[3] & 0x3fu);
        return 4;
    }
    *cp = s[0];
    return 1;
}

static void utf8_encode(struct pm_strbuf *b, unsigned cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    pm_strbuf_append(b, out, n);
}

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Base letters of U+00C0..U+017F, '.' where a letter has none. Generated from Unicode's
 * canonical decompositions (NFD, first character when it is an ASCII letter). */
static const char latin_base[] = "AAAAAA.CEEEEIIII.NOOOOO..UUUUY..aaaaaa.ceeeeiiii.nooooo..uuuuy.y"
                                 "AaAaAaCcCcCcCcDd..EeEeEeEeEeGgGgGgGgHh..IiIiIiIiI...JjKk.LlLlLl."
                                 "...NnNnNn...OoOoOo..RrRrRrSsSsSsSsTtTt..UuUuUuUuUuUuWwYyYZzZzZz.";

static unsigned accent_fold(unsigned cp)
{
    if (cp >= 0xc0 && cp < 0x180 && latin_base[cp - 0xc0] != '.')
        return (unsigned char)latin_base[cp - 0xc0];
    return cp;
}

char *pm_sl_fold(const char *s, int casei, int accenti)
{
    struct pm_strbuf b;
    const unsigned char *p = (const unsigned char *)s;
    pm_strbuf_init(&b);
    pthread_once(&utf8_once, utf8_locale_init);
    while (*p) {
        unsigned cp;
        p += utf8_decode(p, &cp);
        if (accenti)
            cp = accent_fold(cp);
        if (casei)
            cp = utf8_locale ? (unsigned)towlower_l((wint_t)cp, utf8_locale)
                             : (cp < 0x80 ? (unsigned)tolower((int)cp) : cp);
        utf8_encode(&b, cp);
    }
    return pm_strbuf_take(&b);
}

static void fold_fn(sqlite3_context *ctx, sqlite3_value **argv, int casei, int accenti)
{
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    if (!s) {
        sqlite3_result_null(ctx);
        return;
    }
    char *out = pm_sl_fold(s, casei, accenti);
    sqlite3_result_text(ctx, out, -1, free);
}

static void casei_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    fold_fn(ctx, argv, 1, 0);
}

static void accenti_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    fold_fn(ctx, argv, 0, 1);
}

static void date_bound(sqlite3_context *ctx, sqlite3_value **argv, int last)
{
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    struct pm_day first, end;
    char out[PM_DAY_STR];
    if (!s || pm_date_parse_partial(s, &first, &end)) {
        sqlite3_result_null(ctx);
        return;
    }
    pm_day_format(last ? &end : &first, out);
    sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static void date_first_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    date_bound(ctx, argv, 0);
}

static void date_last_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    date_bound(ctx, argv, 1);
}

static void geodesic_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    sqlite3_result_double(
        ctx, pm_geod_distance_m(sqlite3_value_double(argv[0]), sqlite3_value_double(argv[1]),
                                sqlite3_value_double(argv[2]), sqlite3_value_double(argv[3])));
}

/* Does the segment a-b meet the box [w, e] x [s, n]? Liang–Barsky clipping: exact for boxes
 * of any width, a zero-width or zero-height one included (where a GEOS polygon of no area
 * gives answers that depend on what it cached). */
int pm_sl_segment_meets_box(double ax, double ay, double bx, double by, double w, double s,
                            double e, double n)
{
    double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    const double p[4] = {-dx, dx, -dy, dy}, q[4] = {ax - w, e - ax, ay - s, n - ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return 0; /* parallel to this edge and outside it */
        } else {
            double t = q[i] / p[i];
            if (p[i] < 0) {
                if (t > t1)
                    return 0;
                if (t > t0)
                    t0 = t;
            } else {
                if (t < t0)
                    return 0;
                if (t < t1)
                    t1 = t;
            }
        }
    }
    return 1;
}

void pm_sl_coords_start(struct pm_sl_coords *it, const char *geojson)
{
    const char *p = geojson ? strstr(geojson, "\"coordinates\"") : NULL;
    it->p = p ? p + strlen("\"coordinates\"") : NULL;
}

int pm_sl_coords_next(struct pm_sl_coords *it, double xy[2])
{
    for (int k = 0; it->p && k < 2;) {
        const char *p = it->p;
        if (!*p || *p == '}') {
            it->p = NULL;
            break;
        }
        if ((*p >= '0' && *p <= '9') || *p == '-') {
            char *end;
            xy[k++] = strtod(p, &end);
            it->p = end;
            if (k == 2)
                return 1;
        } else {
            it->p++;
        }
    }
    return 0;
}

/* pm_box_meets(geojson, w, s, e, n): whether a GeoJSON Point or LineString (as the store keeps
 * it, lon/lat) meets the box. */
static void box_meets_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct pm_sl_coords it;
    pm_sl_coords_start(&it, (const char *)sqlite3_value_text(argv[0]));
    if (!it.p) {
        sqlite3_result_null(ctx);
        return;
    }
    double w = sqlite3_value_double(argv[1]), s = sqlite3_value_double(argv[2]),
           e = sqlite3_value_double(argv[3]), n = sqlite3_value_double(argv[4]);
    double prev[2] = {0, 0}, cur[2];
    int have_prev = 0;
    while (pm_sl_coords_next(&it, cur)) {
        /* A lone point is a segment of no length. */
        const double *a = have_prev ? prev : cur;
        if (pm_sl_segment_meets_box(a[0], a[1], cur[0], cur[1], w, s, e, n)) {
            sqlite3_result_int(ctx, 1);
            return;
        }
        prev[0] = cur[0];
        prev[1] = cur[1];
        have_prev = 1;
    }
    sqlite3_result_int(ctx, 0);
}

static unsigned quantize10(double v)
{
    if (!(v > 0))
        return 0;
    return v >= 1 ? 1023u : (unsigned)(v * 1024);
}

static void morton3_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    unsigned q[3];
    for (int i = 0; i < 3; i++)
        q[i] = quantize10(sqlite3_value_double(argv[i]));
    sqlite3_int64 key = 0;
    for (int bit = 9; bit >= 0; bit--)
        for (int i = 0; i < 3; i++)
            key = (key << 1) | ((q[i] >> bit) & 1u);
    sqlite3_result_int64(ctx, key);
}

/* A WKT POLYGON parsed into its rings' vertices, for pm_in_polygon: the last one asked for
 * is kept per connection, as a load checks every city against one or two polygons. */
struct polygon_cache {
    char *wkt;
    double *xy;     /* every ring's vertices, lon/lat pairs */
    size_t *starts; /* ring i is vertices starts[i] .. starts[i + 1] - 1 */
    size_t n_rings, n, cap, cap_rings;
};

static void polygon_cache_free(void *p)
{
    struct polygon_cache *pc = p;
    free(pc->wkt);
    free(pc->xy);
    free(pc->starts);
    free(pc);
}

/* Parse "POLYGON ((x y, x y, ...), (...))" into pc: 0, or -1 when it is not one. */
static int polygon_parse(struct polygon_cache *pc, const char *wkt)
{
    pc->n = pc->n_rings = 0;
    const char *p = wkt + strspn(wkt, " ");
    if (strncasecmp(p, "POLYGON", 7))
        return -1;
    p = strchr(p, '(');
    if (!p)
        return -1;
    p++;
    for (;;) {
        p += strspn(p, " \t\r\n");
        if (*p != '(')
            return -1;
        p++;
        if (pc->n_rings + 2 > pc->cap_rings) {
            pc->cap_rings = pc->cap_rings ? pc->cap_rings * 2 : 8;
            pc->starts = pm_realloc(pc->starts, pc->cap_rings * sizeof *pc->starts);
        }
        pc->starts[pc->n_rings++] = pc->n;
        for (;;) {
            char *end;
            double x = strtod(p, &end);
            if (end == p)
                return -1;
            p = end;
            double y = strtod(p, &end);
            if (end == p)
                return -1;
            p = end + strspn(end, " \t\r\n");
            if (pc->n == pc->cap) {
                pc->cap = pc->cap ? pc->cap * 2 : 64;
                pc->xy = pm_realloc(pc->xy, pc->cap * 2 * sizeof *pc->xy);
            }
            pc->xy[2 * pc->n] = x;
            pc->xy[2 * pc->n + 1] = y;
            pc->n++;
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p != ')')
                return -1;
            p++;
            break;
        }
        p += strspn(p, " \t\r\n");
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != ')')
            return -1;
        pc->starts[pc->n_rings] = pc->n;
        return 0;
    }
}

/* Even-odd rule over every ring (a hole's crossings cancel the shell's); a point exactly on
 * an edge may fall either way, which a coarse country outline does not care about. */
static int polygon_contains(const struct polygon_cache *pc, double x, double y)
{
    int inside = 0;
    for (size_t r = 0; r < pc->n_rings; r++) {
        size_t a = pc->starts[r], b = pc->starts[r + 1];
        for (size_t i = a, j = b - 1; i < b; j = i++) {
            double xi = pc->xy[2 * i], yi = pc->xy[2 * i + 1];
            double xj = pc->xy[2 * j], yj = pc->xy[2 * j + 1];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
                inside = !inside;
        }
    }
    return inside;
}

static void in_polygon_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    for (int i = 0; i < 3; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    struct polygon_cache *pc = sqlite3_user_data(ctx);
    const char *wkt = (const char *)sqlite3_value_text(argv[2]);
    if (!pc->wkt || strcmp(pc->wkt, wkt)) {
        free(pc->wkt);
        pc->wkt = NULL;
        if (polygon_parse(pc, wkt)) {
            sqlite3_result_error(ctx, "pm_in_polygon: not a WKT POLYGON", -1);
            return;
        }
        pc->wkt = pm_strdup(wkt);
    }
    sqlite3_result_int(
        ctx, polygon_contains(pc, sqlite3_value_double(argv[0]), sqlite3_value_double(argv[1])));
}

/* What an entry of an index says of its feature and a box (internal.h). The
 * index holds 32-bit floats rounded outwards, off the geometry by up to 1.1e-5 degrees
 * (and the row's GeoJSON by 5e-7 more): EPS is more than both.
 * - A point's entry is its box of no size: PM_SL_INSIDE if that lies inside the box.
 * - A line's entry (in idx_<table>_rid of every table of lines, which sql/load.sql makes
 *   of two-point segments only: idx_partnerships_rid) is its extent and, in the low bit of
 *   its id, whether it rises from west to east: the segment corner to corner. Every point of
 *   the true segment lies within EPS of the same point of that one in each coordinate, so
 *   if that one meets the box shrunk by EPS the true one meets the box (PM_SL_INSIDE), and if it
 *   misses the box grown by EPS the true one misses it (PM_SL_OUTSIDE). */
#define EPS 3e-5

static int half_verdict(int line, sqlite3_int64 id, const double e[4], double w, double s,
                        double east, double n)
{
    if (!line)
        return e[0] >= w && e[1] <= east && e[2] >= s && e[3] <= n ? PM_SL_INSIDE : PM_SL_EDGE;
    double ay = id & 1 ? e[2] : e[3], by = id & 1 ? e[3] : e[2]; /* at x = e[0], e[1] */
    if (w + EPS <= east - EPS && s + EPS <= n - EPS &&
        pm_sl_segment_meets_box(e[0], ay, e[1], by, w + EPS, s + EPS, east - EPS, n - EPS))
        return PM_SL_INSIDE;
    if (!pm_sl_segment_meets_box(e[0], ay, e[1], by, w - EPS, s - EPS, east + EPS, n + EPS))
        return PM_SL_OUTSIDE;
    return PM_SL_EDGE;
}

int pm_sl_entry_verdict(int line, sqlite3_int64 id, const double e[4], const double box[4])
{
    if (box[0] <= box[2])
        return half_verdict(line, id, e, box[0], box[1], box[2], box[3]);
    /* Across the antimeridian: the two halves. */
    int a = half_verdict(line, id, e, box[0], box[1], 180, box[3]);
    int b = half_verdict(line, id, e, -180, box[1], box[2], box[3]);
    if (a == PM_SL_INSIDE || b == PM_SL_INSIDE)
        return PM_SL_INSIDE;
    return a == PM_SL_OUTSIDE && b == PM_SL_OUTSIDE ? PM_SL_OUTSIDE : PM_SL_EDGE;
}

int pm_sl_register_functions(sqlite3 *db)
{
    const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc =
        sqlite3_create_function(db, "pm_date_first", 1, flags, NULL, date_first_fn, NULL, NULL);
    rc |= sqlite3_create_function(db, "pm_date_last", 1, flags, NULL, date_last_fn, NULL, NULL);
    rc |= sqlite3_create_function(db, "pm_casei", 1, flags, NULL, casei_fn, NULL, NULL);
    rc |= sqlite3_create_function(db, "pm_accenti", 1, flags, NULL, accenti_fn, NULL, NULL);
    rc |= sqlite3_create_function(db, "pm_geodesic_m", 4, flags, NULL, geodesic_fn, NULL, NULL);
    rc |= sqlite3_create_function(db, "pm_box_meets", 5, flags, NULL, box_meets_fn, NULL, NULL);
    rc |= sqlite3_create_function(db, "pm_morton3", 3, flags, NULL, morton3_fn, NULL, NULL);
    rc |= sqlite3_create_function_v2(db, "pm_in_polygon", 3, flags,
                                     pm_calloc(1, sizeof(struct polygon_cache)), in_polygon_fn,
                                     NULL, NULL, polygon_cache_free);
    return rc == SQLITE_OK ? 0 : -1;
}
