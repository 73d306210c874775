/*
 * test_oracle: the spatial and attribute queries of the items resource against a brute-force
 * oracle. The test writes a deterministic synthetic data set (its own PRNG, a fixed seed) as
 * the CSV files of sql/load_spec.sql, builds a database from it with the real loader
 * (pm_spatialite_load), starts the real server in-process on 127.0.0.1 and a free port, and
 * sends it thousands of random queries over HTTP: bbox (points and lines, boxes across the
 * antimeridian), near/radius and the k nearest (geodesic, PROJ's geod_inverse), datetime,
 * CQL2 filters in both encodings, sortby with paging, and their combinations. Every answer is
 * compared with what the oracle finds by scanning its own copy of the data; the oracle never
 * calls the code under test. A few distances are also checked against PROJ's `geod` command.
 *
 * The data: 1,000 Chinese and 800 Japanese places taken from geodata/gazetteer.csv (points
 * inside the country bounds, region by admin1, so that the loader's checks pass), 200 places
 * elsewhere given by lon/lat (some on and near the antimeridian, some near the pole, some with
 * names full of LIKE and GLOB metacharacters), and 2,000 China–Japan partnerships with dates of
 * every precision.
 *
 * The server runs as `partnermap serve` does, with its response cache: every other request
 * accepts gzip, and every fifth single-page query is sent twice, the cached answer having to
 * agree with the first and with the oracle.
 *
 * Each failing case prints its URL and its first differences; the test of a kind fails at its
 * end with the number of failing cases. Under AddressSanitizer the numbers of cases are cut to
 * a fifth. PM_ORACLE_SEED and PM_ORACLE_SCALE (a factor on the numbers of cases) override the
 * defaults, to reproduce or to search harder; PM_ORACLE_KEEP=1 keeps the CSV files and the
 * database for a look with `partnermap serve`.
 */
#include "api/api.h"
#include "http/http.h"
#include "store/spatialite/spatialite.h"
#include "util/util.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <geodesic.h>
#include <jansson.h>

#if defined(__SANITIZE_ADDRESS__)
#define PM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PM_TEST_ASAN 1
#endif
#endif

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

#define N_CN 1000
#define N_JP 800
#define N_OTHER 200
#define N_CITIES (N_CN + N_JP + N_OTHER)
#define N_LINKS 2000
#define MAX_FAIL_PRINTS 12
#define TAU 6.283185307179586

/* --- small tools ------------------------------------------------------------------------------ */

/* A growable string; out of memory aborts. */
struct sb {
    char *d;
    size_t n, cap;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *d = realloc(b->d, cap);
        if (!d)
            abort();
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, s, n);
    b->n += n;
    b->d[b->n] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

PRINTF_LIKE(2, 3) static void sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *tmp = malloc((size_t)n + 1);
    if (!tmp)
        abort();
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, tmp, (size_t)n);
    free(tmp);
}

static void sb_reset(struct sb *b)
{
    b->n = 0;
    if (b->d)
        b->d[0] = '\0';
}

static void sb_fini(struct sb *b)
{
    free(b->d);
    memset(b, 0, sizeof *b);
}

static const char *sb_str(const struct sb *b)
{
    return b->d ? b->d : "";
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

/* splitmix64: small, fast and good enough for test data; the whole run follows from one seed. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
    return (size_t)(rnd() % n);
}

static int rnd_int(int lo, int hi) /* lo..hi inclusive */
{
    return lo + (int)rnd_below((size_t)(hi - lo + 1));
}

static double rnd_unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double rnd_range(double a, double b)
{
    return a + (b - a) * rnd_unit();
}

static int chance(double p)
{
    return rnd_unit() < p;
}

static double rnd_log(double a, double b)
{
    return exp(rnd_range(log(a), log(b)));
}

/* Round to 6 decimals, the precision of every coordinate the test sends. */
static double round6(double x)
{
    return round(x * 1e6) / 1e6;
}

/* The shortest plain decimal text (no exponent) that reads back as exactly x. */
static void fmt_num(char out[40], double x)
{
    for (int prec = 0; prec <= 17; prec++) {
        snprintf(out, 40, "%.*f", prec, x);
        if (strtod(out, NULL) == x)
            return;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- calendar (Julian day numbers, Fliegel & Van Flandern) ------------------------------------ */

static long jdn(int y, int m, int d)
{
    long Y = y, M = m, D = d;
    return (1461 * (Y + 4800 + (M - 14) / 12)) / 4 + (367 * (M - 2 - 12 * ((M - 14) / 12))) / 12 -
           (3 * ((Y + 4900 + (M - 14) / 12) / 100)) / 4 + D - 32075;
}

static void from_jdn(long j, int *y, int *m, int *d)
{
    long l = j + 68569, n = 4 * l / 146097;
    l = l - (146097 * n + 3) / 4;
    long i = 4000 * (l + 1) / 1461001;
    l = l - 1461 * i / 4 + 31;
    long k = 80 * l / 2447;
    *d = (int)(l - 2447 * k / 80);
    l = k / 11;
    *m = (int)(k + 2 - 12 * l);
    *y = (int)(100 * (n - 49) + i + l);
}

static int month_days(int y, int m)
{
    return (int)(jdn(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - jdn(y, m, 1));
}

static void day_str(long j, char out[11])
{
    int y, m, d;
    from_jdn(j, &y, &m, &d);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

/* --- geometry --------------------------------------------------------------------------------- */

static struct geod_geodesic wgs84;

static double geo_dist(double lon1, double lat1, double lon2, double lat2)
{
    double s12 = 0;
    geod_inverse(&wgs84, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

#define POLY_MAX 1024

struct poly {
    size_t n; /* vertices, the ring not closed */
    double x[POLY_MAX], y[POLY_MAX];
};

static int point_in_poly(const struct poly *pg, double x, double y)
{
    int in = 0;
    for (size_t i = 0, j = pg->n - 1; i < pg->n; j = i++) {
        if ((pg->y[i] > y) != (pg->y[j] > y) &&
            x < (pg->x[j] - pg->x[i]) * (y - pg->y[i]) / (pg->y[j] - pg->y[i]) + pg->x[i])
            in = !in;
    }
    return in;
}

static double orient(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

static int on_segment(double ax, double ay, double bx, double by, double px, double py)
{
    return fmin(ax, bx) <= px && px <= fmax(ax, bx) && fmin(ay, by) <= py && py <= fmax(ay, by);
}

/* Do the closed segments AB and CD meet? */
static int segments_meet(double ax, double ay, double bx, double by, double cx, double cy,
                         double dx, double dy)
{
    double o1 = orient(ax, ay, bx, by, cx, cy), o2 = orient(ax, ay, bx, by, dx, dy);
    double o3 = orient(cx, cy, dx, dy, ax, ay), o4 = orient(cx, cy, dx, dy, bx, by);
    if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)))
        return 1;
    return (o1 == 0 && on_segment(ax, ay, bx, by, cx, cy)) ||
           (o2 == 0 && on_segment(ax, ay, bx, by, dx, dy)) ||
           (o3 == 0 && on_segment(cx, cy, dx, dy, ax, ay)) ||
           (o4 == 0 && on_segment(cx, cy, dx, dy, bx, by));
}

static int segment_meets_poly(const struct poly *pg, double ax, double ay, double bx, double by)
{
    if (point_in_poly(pg, ax, ay) || point_in_poly(pg, bx, by))
        return 1;
    for (size_t i = 0, j = pg->n - 1; i < pg->n; j = i++)
        if (segments_meet(ax, ay, bx, by, pg->x[j], pg->y[j], pg->x[i], pg->y[i]))
            return 1;
    return 0;
}

/* A point in a box; west > east is the box across the antimeridian (two boxes). */
static int point_in_box(const double box[4], double x, double y)
{
    if (y < box[1] || y > box[3])
        return 0;
    if (box[0] <= box[2])
        return x >= box[0] && x <= box[2];
    return x >= box[0] || x <= box[2];
}

/* Liang–Barsky: does the closed segment meet the closed box w,s,e,n (w <= e)? */
static int segment_meets_simple_box(double x0, double y0, double x1, double y1, double w, double s,
                                    double e, double n)
{
    double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
    const double p[4] = {-dx, dx, -dy, dy}, q[4] = {x0 - w, e - x0, y0 - s, n - y0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return 0;
        } else {
            double r = q[i] / p[i];
            if (p[i] < 0) {
                if (r > t1)
                    return 0;
                if (r > t0)
                    t0 = r;
            } else {
                if (r < t0)
                    return 0;
                if (r < t1)
                    t1 = r;
            }
        }
    }
    return 1;
}

static int segment_meets_box(const double box[4], double x0, double y0, double x1, double y1)
{
    if (box[0] <= box[2])
        return segment_meets_simple_box(x0, y0, x1, y1, box[0], box[1], box[2], box[3]);
    return segment_meets_simple_box(x0, y0, x1, y1, box[0], box[1], 180, box[3]) ||
           segment_meets_simple_box(x0, y0, x1, y1, -180, box[1], box[2], box[3]);
}

/* --- CSV -------------------------------------------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct sb b = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_add(&b, buf, n);
    fclose(f);
    return b.d ? b.d : xstrdup("");
}

/* One CSV record (RFC 4180: quotes, "" inside quotes) from *p: its fields, unescaped, go into
 * scratch as NUL-terminated strings that fields[] point at. Returns the number of fields, or
 * 0 at the end of the text. */
static size_t csv_record(const char **p, char *scratch, size_t cap, char **fields, size_t max)
{
    const char *s = *p;
    size_t nf = 0, used = 0;
    if (!*s)
        return 0;
    for (;;) {
        if (nf == max || used >= cap)
            abort();
        fields[nf++] = scratch + used;
        if (*s == '"') {
            s++;
            while (*s && !(*s == '"' && s[1] != '"')) {
                if (*s == '"')
                    s++;
                scratch[used++] = *s++;
                if (used >= cap)
                    abort();
            }
            if (*s == '"')
                s++;
        } else {
            while (*s && *s != ',' && *s != '\n' && *s != '\r') {
                scratch[used++] = *s++;
                if (used >= cap)
                    abort();
            }
        }
        scratch[used++] = '\0';
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\r')
            s++;
        if (*s == '\n')
            s++;
        break;
    }
    *p = s;
    return nf;
}

static int column(char **header, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(header[i], name))
            return (int)i;
    fail_msg("CSV column %s is missing", name);
    return -1;
}

/* A CSV field as written: quoted when it must be. */
static void csv_put(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

/* --- the data set and the oracle's copy of it --------------------------------------------------
 */

struct city {
    char id[16];
    char name[64];
    char country[3];
    char region[48]; /* "" for none */
    const char *level;
    char lon_s[24], lat_s[24]; /* the coordinates as text, as the data gives them */
    double lon, lat;
    char geonames_id[16]; /* "" for none */
    int has_pop;
    long long pop;
    int pop_given; /* written to cities.csv (else the gazetteer's) */
    int partners;
};

struct link {
    char id[24];
    int cn, jp;
    const char *kind, *level;
    char est[16];       /* as written; "" for undated */
    char est_first[11]; /* its first day, "YYYY-MM-DD" */
    long first, last;   /* its days (JDN) */
    double dist_km;     /* geodesic, rounded to 1 m as the loader does */
    double piece16;     /* the longest of the 16 pieces of the segment, metres */
};

static struct city cities[N_CITIES];
static struct link links[N_LINKS];
static size_t city_by_id[N_CITIES], link_by_id[N_LINKS]; /* indexes sorted by id */

static const char *const levels[] = {"city", "county", "town", "district"};
static const char *const kinds[] = {"sister", "friendship", "friendship-cooperation",
                                    "unspecified"};
static const char *const link_levels[] = {"city", "province-prefecture", "county-town"};
static const char *const other_countries[] = {"MN", "PH", "KZ", "TH", "ID", "NP"};

#define N_LEVELS (sizeof levels / sizeof *levels)
#define N_KINDS (sizeof kinds / sizeof *kinds)
#define N_LINK_LEVELS (sizeof link_levels / sizeof *link_levels)
#define N_OTHER_COUNTRIES (sizeof other_countries / sizeof *other_countries)

/* Names with the metacharacters of LIKE (% _ \), of GLOB (* ? [ ]) and a quote. */
static const char *const odd_names[] = {"Star*ville",   "Why? Not",       "Fort [Old] Town",
                                        "100% Hill",    "Under_score",    "Back\\slash Bay",
                                        "O'Neil Point", "Bracket]Side",   "Quest?on*Mark",
                                        "Mixed%_Signs", "tiny lowercase", "ÅÖ Ümlaut"};
#define N_ODD_NAMES (sizeof odd_names / sizeof *odd_names)

static const char *const syllables[] = {"ka",  "shi", "ro",   "ta",   "na",   "mi",  "ho",  "ze",
                                        "lu",  "an",  "qing", "zhou", "yang", "xi",  "bei", "dong",
                                        "hai", "kou", "da",   "lian", "fu",   "oka", "ki",  "ō",
                                        "ū",   "sen", "gawa", "mura", "jin",  "tsu"};
#define N_SYLLABLES (sizeof syllables / sizeof *syllables)

static char tmpdir[256];
static char dbpath[300];

static int cmp_city_id(const void *a, const void *b)
{
    return strcmp(cities[*(const size_t *)a].id, cities[*(const size_t *)b].id);
}

static int cmp_link_id(const void *a, const void *b)
{
    return strcmp(links[*(const size_t *)a].id, links[*(const size_t *)b].id);
}

/* The index of the city or link with this id, or -1. */
static long find_city(const char *id)
{
    size_t lo = 0, hi = N_CITIES;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(cities[city_by_id[mid]].id, id);
        if (!c)
            return (long)city_by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static long find_link(const char *id)
{
    size_t lo = 0, hi = N_LINKS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(links[link_by_id[mid]].id, id);
        if (!c)
            return (long)link_by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void link_point(const struct link *l, double t, double *lon, double *lat)
{
    const struct city *a = &cities[l->cn], *b = &cities[l->jp];
    *lon = a->lon + t * (b->lon - a->lon);
    *lat = a->lat + t * (b->lat - a->lat);
}

static double link_dist_at(const struct link *l, double lon, double lat, double t)
{
    double x, y;
    link_point(l, t, &x, &y);
    return geo_dist(lon, lat, x, y);
}

/* The geodesic distance from (lon, lat) to the nearest point of the straight lon/lat segment
 * of the link: 128 samples, then a golden-section refinement around every sampled local
 * minimum that could be the best. */
static double link_dist(const struct link *l, double lon, double lat)
{
    enum { N = 128 };
    double d[N + 1], best = INFINITY;
    for (int i = 0; i <= N; i++) {
        d[i] = link_dist_at(l, lon, lat, (double)i / N);
        best = fmin(best, d[i]);
    }
    double piece = l->piece16 / (N / 16) * 1.05 + 1;
    double result = best;
    for (int i = 0; i <= N; i++) {
        if ((i > 0 && d[i] > d[i - 1]) || (i < N && d[i] > d[i + 1]) || d[i] > best + piece)
            continue;
        double lo = fmax(0, (double)(i - 1) / N), hi = fmin(1, (double)(i + 1) / N);
        const double g = 0.6180339887498949;
        double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
        double f1 = link_dist_at(l, lon, lat, x1), f2 = link_dist_at(l, lon, lat, x2);
        for (int k = 0; k < 45; k++) {
            if (f1 < f2) {
                hi = x2;
                x2 = x1;
                f2 = f1;
                x1 = hi - g * (hi - lo);
                f1 = link_dist_at(l, lon, lat, x1);
            } else {
                lo = x1;
                x1 = x2;
                f1 = f2;
                x2 = lo + g * (hi - lo);
                f2 = link_dist_at(l, lon, lat, x2);
            }
        }
        result = fmin(result, fmin(f1, f2));
    }
    return result;
}

/* A lower bound of link_dist from 17 samples: moving along the segment by one piece changes
 * the distance by at most the piece's length. */
static double link_dist_lower(const struct link *l, double lon, double lat)
{
    double best = INFINITY;
    for (int i = 0; i <= 16; i++)
        best = fmin(best, link_dist_at(l, lon, lat, i / 16.0));
    return best - 0.51 * l->piece16 - 10;
}

struct gaz {
    char gid[16], lon_s[24], lat_s[24];
    double lon, lat;
    long long pop;
    char country[3];
    char region[48];
};

static void copy_file(const char *from, const char *to)
{
    char *text = read_text(from);
    if (!text)
        fail_msg("cannot read %s", from);
    FILE *f = fopen(to, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f))
        fail_msg("cannot write %s", to);
    free(text);
}

static void write_text(const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f))
        fail_msg("cannot write %s", path);
}

static void parse_polygon(const char *wkt, struct poly *pg)
{
    const char *p = strstr(wkt, "((");
    pg->n = 0;
    if (!p)
        fail_msg("not a POLYGON: %.60s", wkt);
    p += 2;
    while (*p && *p != ')') {
        char *end;
        double x = strtod(p, &end);
        double y = strtod(end, &end);
        if (pg->n == POLY_MAX)
            fail_msg("polygon too large");
        pg->x[pg->n] = x;
        pg->y[pg->n] = y;
        pg->n++;
        p = end;
        while (*p == ' ' || *p == ',')
            p++;
    }
    if (pg->n > 1 && pg->x[0] == pg->x[pg->n - 1] && pg->y[0] == pg->y[pg->n - 1])
        pg->n--;
}

/* The partial date of a partnership and its days. */
static void make_date(struct link *l)
{
    if (chance(0.12)) {
        l->est[0] = '\0';
        return;
    }
    int y = rnd_int(1972, 2023), m = rnd_int(1, 12), d = rnd_int(1, month_days(y, m));
    int prec = rnd_int(0, 9);
    if (prec < 3) {
        snprintf(l->est, sizeof l->est, "%04d", y);
        l->first = jdn(y, 1, 1);
        l->last = jdn(y, 12, 31);
    } else if (prec < 6) {
        snprintf(l->est, sizeof l->est, "%04d-%02d", y, m);
        l->first = jdn(y, m, 1);
        l->last = jdn(y, m, month_days(y, m));
    } else {
        snprintf(l->est, sizeof l->est, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
                 (unsigned)d % 100u);
        l->first = l->last = jdn(y, m, d);
    }
    day_str(l->first, l->est_first);
}

static int name_used(const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(cities[i].name, name))
            return 1;
    return 0;
}

static void make_name(char out[64], size_t n_before)
{
    do {
        out[0] = '\0';
        int parts = rnd_int(2, 3);
        for (int i = 0; i < parts; i++)
            strcat(out, syllables[rnd_below(N_SYLLABLES)]);
        if (chance(0.1)) {
            strcat(out, " ");
            strcat(out, syllables[rnd_below(N_SYLLABLES)]);
            strcat(out, syllables[rnd_below(N_SYLLABLES)]);
        }
        if (!chance(0.08) && out[0] >= 'a' && out[0] <= 'z')
            out[0] = (char)(out[0] - 'a' + 'A');
    } while (name_used(out, n_before));
}

/* Build the data set in tmpdir and the oracle's copy of it. */
static void make_dataset(void)
{
    char path[600], scratch[65536], *f[32];
    static struct poly cn_poly, jp_poly;
    struct region {
        char id[48], country[3], admin1[8];
    } regions[256];
    size_t n_regions = 0;

    /* countries.csv: the bounds of CN and JP, which the places must lie in. */
    snprintf(path, sizeof path, "%s/countries.csv", PM_GEODATA_DIR);
    char *text = read_text(path);
    if (!text)
        fail_msg("cannot read %s", path);
    const char *p = text;
    size_t nh = csv_record(&p, scratch, sizeof scratch, f, 32);
    int c_code = column(f, nh, "code"), c_bounds = column(f, nh, "bounds_wkt");
    while (csv_record(&p, scratch, sizeof scratch, f, 32)) {
        if (!strcmp(f[c_code], "CN"))
            parse_polygon(f[c_bounds], &cn_poly);
        else if (!strcmp(f[c_code], "JP"))
            parse_polygon(f[c_bounds], &jp_poly);
    }
    free(text);
    if (cn_poly.n < 3 || jp_poly.n < 3)
        fail_msg("countries.csv has no bounds for CN or JP");

    snprintf(path, sizeof path, "%s/regions.csv", PM_GEODATA_DIR);
    if (!(text = read_text(path)))
        fail_msg("cannot read %s", path);
    p = text;
    nh = csv_record(&p, scratch, sizeof scratch, f, 32);
    int r_id = column(f, nh, "id"), r_country = column(f, nh, "country"),
        r_admin1 = column(f, nh, "admin1");
    while (csv_record(&p, scratch, sizeof scratch, f, 32) && n_regions < 256) {
        struct region *r = &regions[n_regions++];
        snprintf(r->id, sizeof r->id, "%s", f[r_id]);
        snprintf(r->country, sizeof r->country, "%s", f[r_country]);
        snprintf(r->admin1, sizeof r->admin1, "%s", f[r_admin1]);
    }
    free(text);

    /* gazetteer.csv: the Chinese and Japanese places inside their country's bounds. */
    snprintf(path, sizeof path, "%s/gazetteer.csv", PM_GEODATA_DIR);
    if (!(text = read_text(path)))
        fail_msg("cannot read %s", path);
    struct gaz *gz = xcalloc(8192, sizeof *gz);
    size_t n_gz = 0;
    p = text;
    nh = csv_record(&p, scratch, sizeof scratch, f, 32);
    int g_id = column(f, nh, "geonames_id"), g_country = column(f, nh, "country"),
        g_admin1 = column(f, nh, "admin1"), g_pop = column(f, nh, "population"),
        g_lon = column(f, nh, "lon"), g_lat = column(f, nh, "lat");
    size_t nf;
    while ((nf = csv_record(&p, scratch, sizeof scratch, f, 32)) > 0 && n_gz < 8192) {
        if (nf < nh || (strcmp(f[g_country], "CN") && strcmp(f[g_country], "JP")))
            continue;
        struct gaz *g = &gz[n_gz];
        g->region[0] = '\0';
        for (size_t i = 0; i < n_regions; i++)
            if (!strcmp(regions[i].country, f[g_country]) &&
                !strcmp(regions[i].admin1, f[g_admin1]))
                snprintf(g->region, sizeof g->region, "%s", regions[i].id);
        if (!g->region[0])
            continue;
        snprintf(g->gid, sizeof g->gid, "%s", f[g_id]);
        snprintf(g->lon_s, sizeof g->lon_s, "%s", f[g_lon]);
        snprintf(g->lat_s, sizeof g->lat_s, "%s", f[g_lat]);
        snprintf(g->country, sizeof g->country, "%s", f[g_country]);
        g->lon = strtod(g->lon_s, NULL);
        g->lat = strtod(g->lat_s, NULL);
        g->pop = f[g_pop][0] ? strtoll(f[g_pop], NULL, 10) : -1;
        if (!point_in_poly(g->country[0] == 'C' ? &cn_poly : &jp_poly, g->lon, g->lat))
            continue;
        n_gz++;
    }
    free(text);
    /* Shuffle, then take the first of each country. */
    for (size_t i = n_gz; i > 1; i--) {
        size_t j = rnd_below(i);
        struct gaz t = gz[i - 1];
        gz[i - 1] = gz[j];
        gz[j] = t;
    }
    size_t n_cn = 0, n_jp = 0;
    for (size_t i = 0; i < n_gz && (n_cn < N_CN || n_jp < N_JP); i++) {
        int is_cn = gz[i].country[0] == 'C';
        if ((is_cn && n_cn == N_CN) || (!is_cn && n_jp == N_JP))
            continue;
        size_t k = is_cn ? n_cn++ : N_CN + n_jp++;
        struct city *c = &cities[k];
        snprintf(c->id, sizeof c->id, "%s-s%04zu", is_cn ? "cn" : "jp", k);
        snprintf(c->country, sizeof c->country, "%s", gz[i].country);
        snprintf(c->region, sizeof c->region, "%s", gz[i].region);
        snprintf(c->geonames_id, sizeof c->geonames_id, "%s", gz[i].gid);
        snprintf(c->lon_s, sizeof c->lon_s, "%s", gz[i].lon_s);
        snprintf(c->lat_s, sizeof c->lat_s, "%s", gz[i].lat_s);
        c->lon = gz[i].lon;
        c->lat = gz[i].lat;
        c->pop_given = !chance(0.1);
        if (c->pop_given) {
            c->has_pop = 1;
            c->pop = llround(rnd_log(500, 2e7));
            if (chance(0.3))
                c->pop = c->pop / 1000 * 1000;
        } else {
            c->has_pop = gz[i].pop >= 0;
            c->pop = gz[i].pop;
        }
    }
    free(gz);
    if (n_cn < N_CN || n_jp < N_JP)
        fail_msg("the gazetteer has only %zu CN and %zu JP places inside the bounds", n_cn, n_jp);

    /* Places elsewhere, given by lon/lat: near and on the antimeridian, near the pole, and in
     * the countries of the Kitakyushu Initiative. */
    for (size_t k = N_CN + N_JP; k < N_CITIES; k++) {
        struct city *c = &cities[k];
        size_t o = k - (N_CN + N_JP);
        const char *cc = other_countries[rnd_below(N_OTHER_COUNTRIES)];
        snprintf(c->country, sizeof c->country, "%s", cc);
        snprintf(c->id, sizeof c->id, "%c%c-s%04zu", cc[0] + 32, cc[1] + 32, k);
        double lon, lat;
        if (o < 70) {
            lon = o < 4 ? (o % 2 ? -180.0 : 180.0)
                        : (chance(0.5) ? rnd_range(178, 180) : rnd_range(-180, -178));
            lat = rnd_range(-60, 70);
        } else if (o < 90) {
            lon = rnd_range(-180, 180);
            lat = rnd_range(70, 89.9);
        } else {
            lon = rnd_range(60, 150);
            lat = rnd_range(-10, 55);
        }
        snprintf(c->lon_s, sizeof c->lon_s, "%.5f", lon);
        snprintf(c->lat_s, sizeof c->lat_s, "%.5f", lat);
        c->lon = strtod(c->lon_s, NULL);
        c->lat = strtod(c->lat_s, NULL);
        c->pop_given = chance(0.8);
        c->has_pop = c->pop_given;
        c->pop = c->has_pop ? llround(rnd_log(200, 5e6)) : 0;
    }
    /* Names and levels. */
    for (size_t k = 0; k < N_CITIES; k++) {
        struct city *c = &cities[k];
        size_t o = k >= N_CN + N_JP ? k - (N_CN + N_JP) : SIZE_MAX;
        if (o != SIZE_MAX && o >= 100 && o - 100 < N_ODD_NAMES)
            snprintf(c->name, sizeof c->name, "%s", odd_names[o - 100]);
        else
            make_name(c->name, k);
        c->level = levels[rnd_below(N_LEVELS)];
    }

    /* Partnerships: unique Chinese–Japanese pairs. */
    unsigned char *used = xcalloc((size_t)N_CN * N_JP, 1);
    for (size_t k = 0; k < N_LINKS; k++) {
        struct link *l = &links[k];
        size_t a, b;
        do {
            /* Some places take part in many affiliations, most in few. */
            a = chance(0.3) ? rnd_below(40) : rnd_below(N_CN);
            b = chance(0.3) ? rnd_below(30) : rnd_below(N_JP);
        } while (used[a * N_JP + b]);
        used[a * N_JP + b] = 1;
        l->cn = (int)a;
        l->jp = (int)(N_CN + b);
        snprintf(l->id, sizeof l->id, "pa-%04zu", (k * 7919) % N_LINKS);
        l->kind = kinds[rnd_below(N_KINDS)];
        l->level = link_levels[rnd_below(N_LINK_LEVELS)];
        make_date(l);
        const struct city *cn = &cities[l->cn], *jp = &cities[l->jp];
        l->dist_km = round(geo_dist(cn->lon, cn->lat, jp->lon, jp->lat)) / 1000.0;
        l->piece16 = 0;
        for (int i = 0; i < 16; i++) {
            double x0, y0, x1, y1;
            link_point(l, i / 16.0, &x0, &y0);
            link_point(l, (i + 1) / 16.0, &x1, &y1);
            l->piece16 = fmax(l->piece16, geo_dist(x0, y0, x1, y1));
        }
        cities[l->cn].partners++;
        cities[l->jp].partners++;
    }
    free(used);
    for (size_t i = 0; i < N_CITIES; i++)
        city_by_id[i] = i;
    for (size_t i = 0; i < N_LINKS; i++)
        link_by_id[i] = i;
    qsort(city_by_id, N_CITIES, sizeof *city_by_id, cmp_city_id);
    qsort(link_by_id, N_LINKS, sizeof *link_by_id, cmp_link_id);

    /* The files. */
    const char *copies[] = {"countries.csv", "regions.csv", "gazetteer.csv"};
    for (size_t i = 0; i < 3; i++) {
        char to[400];
        snprintf(path, sizeof path, "%s/%s", PM_GEODATA_DIR, copies[i]);
        snprintf(to, sizeof to, "%s/%s", tmpdir, copies[i]);
        copy_file(path, to);
    }
    write_text("initiatives.csv", "id,name,source,verification\n");
    write_text("memberships.csv", "id,initiative,city,role,source,verification\n");
    write_text("pilot_activities.csv", "id,initiative,city,category,title,source,verification\n");
    write_text("events.csv", "id,initiative,title,type,source,verification\n");
    snprintf(path, sizeof path, "%s/cities.csv", tmpdir);
    FILE *out = fopen(path, "w");
    if (!out)
        fail_msg("cannot write %s", path);
    fputs("id,country,region,level,name_en,geonames_id,population,geocode_method,lon,lat,source,"
          "verification\n",
          out);
    for (size_t k = 0; k < N_CITIES; k++) {
        const struct city *c = &cities[k];
        int gaz = c->geonames_id[0] != '\0';
        char pop[32] = "";
        if (c->pop_given)
            snprintf(pop, sizeof pop, "%lld", c->pop);
        csv_put(out, c->id, 0);
        csv_put(out, c->country, 0);
        csv_put(out, c->region, 0);
        csv_put(out, c->level, 0);
        csv_put(out, c->name, 0);
        csv_put(out, c->geonames_id, 0);
        csv_put(out, pop, 0);
        csv_put(out, gaz ? "gazetteer-id" : "source", 0);
        csv_put(out, gaz ? "" : c->lon_s, 0);
        csv_put(out, gaz ? "" : c->lat_s, 0);
        csv_put(out, "synthetic", 0);
        csv_put(out, "sourced", 1);
    }
    if (fclose(out))
        fail_msg("cannot write %s", path);
    snprintf(path, sizeof path, "%s/partnerships.csv", tmpdir);
    if (!(out = fopen(path, "w")))
        fail_msg("cannot write %s", path);
    fputs("id,cn_city,jp_city,kind,level,established,source,verification\n", out);
    for (size_t k = 0; k < N_LINKS; k++) {
        const struct link *l = &links[k];
        fprintf(out, "%s,%s,%s,%s,%s,%s,synthetic,sourced\n", l->id, cities[l->cn].id,
                cities[l->jp].id, l->kind, l->level, l->est);
    }
    if (fclose(out))
        fail_msg("cannot write %s", path);
}

/* --- the server and HTTP ---------------------------------------------------------------------- */

static struct pm_store *store;
static struct pm_api *api;
static struct pm_http *http;
static char base_url[64];
static CURL *curl;

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    sb_add(ud, ptr, size * n);
    return size * n;
}

static unsigned long requests;

/* GET a path (or an absolute URL); the body goes to body. Returns the status. Every other
 * request accepts gzip (curl decodes it), so that both encodings of a stream are checked. */
static long http_get(const char *url, struct sb *body)
{
    struct sb full = {0};
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, requests++ % 2 ? "" : NULL);
    if (strncmp(url, "http://", 7))
        sb_puts(&full, base_url);
    sb_puts(&full, url);
    sb_reset(body);
    curl_easy_setopt(curl, CURLOPT_URL, full.d);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK)
        fail_msg("GET %s: %s", full.d, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    sb_fini(&full);
    return status;
}

/* "&key=value" with the value percent-encoded. */
static void add_param(struct sb *url, const char *key, const char *value)
{
    char *enc = curl_easy_escape(curl, value, 0);
    sb_printf(url, "%c%s=%s", strchr(sb_str(url), '?') ? '&' : '?', key, enc);
    curl_free(enc);
}

/* What the server answered to a query, every page of it. */
struct got {
    long status;
    char *error; /* the body of an answer other than 200 */
    size_t n, cap;
    long *idx;    /* the oracle's index of each feature, -1 for an unknown id */
    char **ids;   /* the ids as sent */
    double *dist; /* distance_m, NAN when absent */
    long long matched;
    long pages;
    char *last_url; /* the last page fetched */
    char *prev;     /* its prev link, or NULL */
    char *anomaly;  /* a page other than the last held fewer than limit features, or a
                      repeated request was answered differently */
};

static void got_fini(struct got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->ids[i]);
    free(g->ids);
    free(g->idx);
    free(g->dist);
    free(g->error);
    free(g->anomaly);
    free(g->last_url);
    free(g->prev);
    memset(g, 0, sizeof *g);
}

enum coll { C_CITIES, C_LINKS };

/* A minimal JSON reader for items responses: it walks the whole text as JSON (so a malformed
 * body is an error) but builds nothing, keeping only what the comparison needs. A DOM of a
 * 10,000-feature page costs more than the server takes to write it. */
struct jr {
    const char *p, *end;
    int err;
};

static void jr_ws(struct jr *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static int jr_peek(struct jr *j)
{
    jr_ws(j);
    return j->p < j->end ? (unsigned char)*j->p : -1;
}

static void jr_expect(struct jr *j, char c)
{
    if (jr_peek(j) != c)
        j->err = 1;
    else
        j->p++;
}

static void utf8_put(struct sb *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    sb_add(out, b, n);
}

static unsigned jr_hex4(struct jr *j)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++, j->p++) {
        char c = j->p < j->end ? *j->p : '\0';
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            j->err = 1;
    }
    return v;
}

/* A string, decoded into out (reset first) unless out is NULL. */
static void jr_string(struct jr *j, struct sb *out)
{
    if (out)
        sb_reset(out);
    jr_expect(j, '"');
    while (!j->err && j->p < j->end && *j->p != '"') {
        const char *run = j->p;
        while (j->p < j->end && *j->p != '"' && *j->p != '\\')
            j->p++;
        if (out)
            sb_add(out, run, (size_t)(j->p - run));
        if (j->p < j->end && *j->p == '\\') {
            j->p++;
            char c = j->p < j->end ? *j->p++ : '\0';
            const char *simple = strchr("\"\\/bfnrt", c);
            if (c == 'u') {
                unsigned cp = jr_hex4(j);
                if (cp >= 0xd800 && cp < 0xdc00 && j->p + 1 < j->end && j->p[0] == '\\' &&
                    j->p[1] == 'u') {
                    j->p += 2;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (jr_hex4(j) - 0xdc00);
                }
                if (out)
                    utf8_put(out, cp);
            } else if (c && simple) {
                static const char repl[] = "\"\\/\b\f\n\r\t";
                if (out)
                    sb_add(out, &repl[simple - "\"\\/bfnrt"], 1);
            } else {
                j->err = 1;
            }
        }
    }
    jr_expect(j, '"');
}

static double jr_number(struct jr *j)
{
    jr_ws(j);
    char *end;
    double v = strtod(j->p, &end);
    if (end == j->p || end > j->end)
        j->err = 1;
    j->p = end;
    return v;
}

static void jr_skip(struct jr *j, int depth)
{
    int c = jr_peek(j);
    if (depth > 64) {
        j->err = 1;
    } else if (c == '"') {
        jr_string(j, NULL);
    } else if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        if (jr_peek(j) == close) {
            j->p++;
            return;
        }
        while (!j->err) {
            if (c == '{') {
                jr_string(j, NULL);
                jr_expect(j, ':');
            }
            jr_skip(j, depth + 1);
            if (jr_peek(j) == ',') {
                j->p++;
                continue;
            }
            jr_expect(j, close);
            break;
        }
    } else if (c == 't' || c == 'f' || c == 'n') {
        const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
        size_t n = strlen(w);
        if ((size_t)(j->end - j->p) < n || strncmp(j->p, w, n))
            j->err = 1;
        else
            j->p += n;
    } else {
        jr_number(j);
    }
}

/* Iterate over the members of an object: returns 1 with the key in key while there is one. */
static int jr_member(struct jr *j, struct sb *key, int *first)
{
    if (*first) {
        jr_expect(j, '{');
        *first = 0;
        if (jr_peek(j) == '}') {
            j->p++;
            return 0;
        }
    } else {
        if (jr_peek(j) != ',') {
            jr_expect(j, '}');
            return 0;
        }
        j->p++;
    }
    jr_string(j, key);
    jr_expect(j, ':');
    return !j->err;
}

/* The same over the elements of an array. */
static int jr_element(struct jr *j, int *first)
{
    if (*first) {
        jr_expect(j, '[');
        *first = 0;
        if (jr_peek(j) == ']') {
            j->p++;
            return 0;
        }
        return !j->err;
    }
    if (jr_peek(j) != ',') {
        jr_expect(j, ']');
        return 0;
    }
    j->p++;
    return !j->err;
}

static void got_add(struct got *g, enum coll coll, const char *id, double dist)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 256;
        g->ids = realloc(g->ids, g->cap * sizeof *g->ids);
        g->idx = realloc(g->idx, g->cap * sizeof *g->idx);
        g->dist = realloc(g->dist, g->cap * sizeof *g->dist);
        if (!g->ids || !g->idx || !g->dist)
            abort();
    }
    g->ids[g->n] = xstrdup(id ? id : "(no id)");
    g->idx[g->n] = !id ? -1 : coll == C_CITIES ? find_city(id) : find_link(id);
    g->dist[g->n] = dist;
    g->n++;
}

/* Read one items page: its features into g, numberMatched, and the next and prev links (new
 * strings in *next and *prev, or NULL). Returns the number of features on the page, or -1 if it is
 * not JSON. */
static long read_page(const char *text, size_t len, enum coll coll, struct got *g, char **next,
                      char **prev)
{
    struct jr j = {text, text + len, 0};
    struct sb key = {0}, id = {0}, rel = {0}, href = {0};
    long n = 0;
    int top = 1;
    *next = NULL;
    *prev = NULL;
    while (jr_member(&j, &key, &top)) {
        if (!strcmp(key.d, "features")) {
            int fe = 1;
            while (jr_element(&j, &fe)) {
                int fo = 1, has_id = 0;
                double dist = NAN;
                while (jr_member(&j, &key, &fo)) {
                    if (!strcmp(key.d, "id") && jr_peek(&j) == '"') {
                        jr_string(&j, &id);
                        has_id = 1;
                    } else if (!strcmp(key.d, "properties") && jr_peek(&j) == '{') {
                        int po = 1;
                        while (jr_member(&j, &key, &po)) {
                            if (!strcmp(key.d, "distance_m") && jr_peek(&j) != 'n')
                                dist = jr_number(&j);
                            else
                                jr_skip(&j, 3);
                        }
                    } else {
                        jr_skip(&j, 2);
                    }
                }
                got_add(g, coll, has_id ? sb_str(&id) : NULL, dist);
                n++;
            }
        } else if (!strcmp(key.d, "numberMatched") && jr_peek(&j) != 'n') {
            g->matched = (long long)jr_number(&j);
        } else if (!strcmp(key.d, "links") && jr_peek(&j) == '[') {
            int le = 1;
            while (jr_element(&j, &le)) {
                int lo = 1;
                sb_reset(&rel);
                sb_reset(&href);
                while (jr_member(&j, &key, &lo)) {
                    if (!strcmp(key.d, "rel") && jr_peek(&j) == '"')
                        jr_string(&j, &rel);
                    else if (!strcmp(key.d, "href") && jr_peek(&j) == '"')
                        jr_string(&j, &href);
                    else
                        jr_skip(&j, 2);
                }
                if (!strcmp(sb_str(&rel), "next") && !*next)
                    *next = xstrdup(sb_str(&href));
                if (!strcmp(sb_str(&rel), "prev") && !*prev)
                    *prev = xstrdup(sb_str(&href));
            }
        } else {
            jr_skip(&j, 1);
        }
    }
    if (jr_peek(&j) != -1)
        j.err = 1;
    sb_fini(&key);
    sb_fini(&id);
    sb_fini(&rel);
    sb_fini(&href);
    if (j.err) {
        free(*next);
        free(*prev);
        *next = *prev = NULL;
        return -1;
    }
    return n;
}

static void fetch_once(const char *url, enum coll coll, int follow_pages, long max_pages,
                       long limit, struct got *g);

/* GET url and, while follow_pages and there is a next link, the pages after it (at most
 * max_pages). limit: the page size asked for, to check that only the last page is short.
 * Every fifth single-page query is sent twice, the second answer coming from the response
 * cache: both must agree, and the second is the one compared with the oracle. */
static unsigned long fetches;

static void fetch(const char *url, enum coll coll, int follow_pages, long max_pages, long limit,
                  struct got *g)
{
    if (follow_pages || fetches++ % 5) {
        fetch_once(url, coll, follow_pages, max_pages, limit, g);
        return;
    }
    struct got first;
    fetch_once(url, coll, 0, 1, limit, &first);
    fetch_once(url, coll, 0, 1, limit, g);
    int same = first.status == g->status && first.n == g->n && first.matched == g->matched;
    for (size_t i = 0; same && i < g->n; i++)
        same = !strcmp(first.ids[i], g->ids[i]) &&
               (isnan(first.dist[i]) ? isnan(g->dist[i]) : first.dist[i] == g->dist[i]);
    if (!same && !g->anomaly) {
        struct sb m = {0};
        sb_printf(&m,
                  "sent twice, answered differently: first status %ld, %zu features, "
                  "numberMatched %lld; then status %ld, %zu features, numberMatched %lld",
                  first.status, first.n, first.matched, g->status, g->n, g->matched);
        g->anomaly = m.d;
    }
    got_fini(&first);
}

static void fetch_once(const char *url, enum coll coll, int follow_pages, long max_pages,
                       long limit, struct got *g)
{
    struct sb body = {0};
    char *next = xstrdup(url);
    memset(g, 0, sizeof *g);
    g->matched = -1;
    while (next && g->pages < max_pages) {
        g->status = http_get(next, &body);
        free(g->last_url);
        g->last_url = next;
        next = NULL;
        free(g->prev);
        g->prev = NULL;
        if (g->status != 200) {
            g->error = xstrdup(sb_str(&body));
            break;
        }
        long long matched = g->matched;
        long n = read_page(body.d ? body.d : "", body.n, coll, g, &next, &g->prev);
        if (n < 0) {
            g->status = -1;
            g->error = xstrdup("the body is not JSON");
            break;
        }
        g->pages++;
        if (g->pages > 1)
            g->matched = matched; /* numberMatched of the first page */
        if (!follow_pages) {
            free(next);
            next = NULL;
        } else if (next && n != limit && !g->anomaly) {
            struct sb m = {0};
            sb_printf(&m, "page %ld held %ld features, not %ld, yet has a next link", g->pages, n,
                      limit);
            g->anomaly = m.d;
        }
    }
    free(next);
    sb_fini(&body);
}

/* --- cases: statistics and failure reports ---------------------------------------------------- */

enum kind {
    K_BBOX_CITIES,
    K_BBOX_LINKS,
    K_NEAR_RADIUS,
    K_NEAR_KNN,
    K_NEAR_LINKS,
    K_DATETIME,
    K_CQL_CITIES,
    K_CQL_LINKS,
    K_SORT,
    K_COMBO,
    K_GEOD,
    K_N
};

static const char *const kind_names[K_N] = {
    "bbox cities",       "bbox partnerships", "near+radius cities", "near k-nearest cities",
    "near partnerships", "datetime",          "cql2 cities",        "cql2 partnerships",
    "sortby+paging",     "combinations",      "geod ground truth"};

/* Cases per kind in a normal build. */
static const long plan[K_N] = {600, 400, 300, 250, 64, 400, 600, 600, 60, 350, 40};

struct stats {
    long cases, failed, json_cases;
    double seconds;
};

static struct stats stats[K_N];
static double scale = 1.0;

static long cases_of(enum kind k)
{
    long n = lround((double)plan[k] * scale);
    return n < 3 ? 3 : n;
}

/* Report a failing case: its URL and what differed. */
static void case_fail(enum kind k, long n, const char *url, const char *detail)
{
    stats[k].failed++;
    if (stats[k].failed <= MAX_FAIL_PRINTS) {
        fprintf(stderr, "oracle: FAIL %s, case %ld\n  GET %s%s\n%s\n", kind_names[k], n, base_url,
                url, detail);
    } else if (stats[k].failed == MAX_FAIL_PRINTS + 1) {
        fprintf(stderr, "oracle: %s: further failures are counted, not printed\n", kind_names[k]);
    }
}

static void kind_end(enum kind k, double started)
{
    stats[k].seconds = now_s() - started;
    if (stats[k].failed)
        fail_msg("%s: %ld of %ld cases differ from the oracle", kind_names[k], stats[k].failed,
                 stats[k].cases);
}

static void describe_city(struct sb *m, size_t i)
{
    const struct city *c = &cities[i];
    sb_printf(m, "%s (%s %s, %s, pop %s%lld, partners %d, %s, region %s)", c->id, c->lon_s,
              c->lat_s, c->name, c->has_pop ? "" : "NULL/", c->has_pop ? c->pop : 0, c->partners,
              c->level, c->region[0] ? c->region : "NULL");
}

static void describe_link(struct sb *m, size_t i)
{
    const struct link *l = &links[i];
    sb_printf(m, "%s (%s %s,%s -> %s %s,%s, %s, %s, established %s)", l->id, cities[l->cn].id,
              cities[l->cn].lon_s, cities[l->cn].lat_s, cities[l->jp].id, cities[l->jp].lon_s,
              cities[l->jp].lat_s, l->kind, l->level, l->est[0] ? l->est : "NULL");
}

static void describe(struct sb *m, enum coll coll, size_t i)
{
    if (coll == C_CITIES)
        describe_city(m, i);
    else
        describe_link(m, i);
}

/* Compare the features got with the set want[] (1: expected, 0: not, 2: either way, a case on
 * the tolerance's edge). Adds the differences to m and returns the number found. */
static int compare_set(const struct got *g, enum coll coll, const unsigned char *want, struct sb *m)
{
    size_t n_all = coll == C_CITIES ? N_CITIES : N_LINKS, shown = 0;
    unsigned char *seen = xcalloc(n_all, 1);
    int bad = 0;
    if (g->status != 200) {
        sb_printf(m, "  status %ld: %.400s\n", g->status, g->error ? g->error : "");
        free(seen);
        return 1;
    }
    if (g->anomaly) {
        sb_printf(m, "  %s\n", g->anomaly);
        bad++;
    }
    for (size_t i = 0; i < g->n; i++) {
        if (g->idx[i] < 0) {
            sb_printf(m, "  unknown id %s\n", g->ids[i]);
            bad++;
            continue;
        }
        size_t k = (size_t)g->idx[i];
        if (seen[k]) {
            sb_printf(m, "  %s twice\n", g->ids[i]);
            bad++;
        }
        seen[k] = 1;
        if (!want[k]) {
            if (shown++ < 5) {
                sb_puts(m, "  unexpected: ");
                describe(m, coll, k);
                sb_puts(m, "\n");
            }
            bad++;
        }
    }
    size_t missing = 0, expected = 0;
    for (size_t k = 0; k < n_all; k++) {
        expected += want[k] == 1;
        if (want[k] == 1 && !seen[k]) {
            if (shown++ < 10) {
                sb_puts(m, "  missing: ");
                describe(m, coll, k);
                sb_puts(m, "\n");
            }
            missing++;
        }
    }
    bad += (int)missing;
    if (bad)
        sb_printf(m, "  expected %zu features, got %zu (%zu missing)\n", expected, g->n, missing);
    free(seen);
    return bad;
}

/* The same for a query without tolerance: also numberMatched. */
static int compare_exact(const struct got *g, enum coll coll, const unsigned char *want,
                         struct sb *m)
{
    int bad = compare_set(g, coll, want, m);
    size_t n_all = coll == C_CITIES ? N_CITIES : N_LINKS, expected = 0;
    for (size_t k = 0; k < n_all; k++)
        expected += want[k] == 1;
    if (g->status == 200 && g->matched != (long long)expected) {
        sb_printf(m, "  numberMatched %lld, expected %zu\n", g->matched, expected);
        bad++;
    }
    return bad;
}

/* --- boxes --------------------------------------------------------------------------------------
 */

static void random_point(double *lon, double *lat)
{
    int mode = rnd_int(0, 9);
    if (mode < 6) {
        const struct city *c = &cities[rnd_below(mode < 5 ? N_CN + N_JP : N_CITIES)];
        *lon = c->lon + rnd_range(-1, 1);
        *lat = c->lat + rnd_range(-1, 1);
    } else if (mode < 8) {
        *lon = rnd_range(70, 150);
        *lat = rnd_range(0, 60);
    } else {
        *lon = rnd_range(-180, 180);
        *lat = rnd_range(-80, 85);
    }
    *lon = fmax(-180, fmin(180, round6(*lon)));
    *lat = fmax(-90, fmin(90, round6(*lat)));
}

/* A random box: around the data, across the antimeridian, with edges exactly on places, or on
 * the edges of the world. */
static void random_box(double box[4])
{
    int mode = rnd_int(0, 19);
    double lon, lat;
    if (mode < 9) {
        random_point(&lon, &lat);
        double hw = rnd_log(0.02, 20), hh = rnd_log(0.02, 15);
        box[0] = fmax(-180, round6(lon - hw));
        box[2] = fmin(180, round6(lon + hw));
        box[1] = fmax(-90, round6(lat - hh));
        box[3] = fmin(90, round6(lat + hh));
    } else if (mode < 12) {
        /* across the antimeridian */
        box[0] = round6(rnd_range(160, 180));
        box[2] = round6(rnd_range(-180, -160));
        box[1] = round6(rnd_range(-70, 20));
        box[3] = round6(rnd_range(box[1], 80));
        if (chance(0.15))
            box[0] = 180;
        if (chance(0.15))
            box[2] = -180;
    } else if (mode < 16) {
        /* edges through places: both corners are places' coordinates */
        const struct city *a = &cities[rnd_below(N_CITIES)], *b = &cities[rnd_below(N_CITIES)];
        if (chance(0.8))
            b = &cities[rnd_below(N_CN + N_JP)], a = &cities[rnd_below(N_CN + N_JP)];
        box[0] = fmin(a->lon, b->lon);
        box[2] = fmax(a->lon, b->lon);
        box[1] = fmin(a->lat, b->lat);
        box[3] = fmax(a->lat, b->lat);
        /* now and then a box of no width or no height: a line through places */
        if (fabs(a->lon - b->lon) > 30) {
            box[0] = a->lon;
            box[2] = a->lon;
        } else if (fabs(a->lat - b->lat) > 15) {
            box[1] = a->lat;
            box[3] = a->lat;
        }
    } else if (mode < 18) {
        box[0] = round6(rnd_range(-180, 170));
        box[2] = round6(rnd_range(box[0], 180));
        box[1] = round6(rnd_range(-90, 80));
        box[3] = round6(rnd_range(box[1], 90));
    } else {
        box[0] = chance(0.5) ? -180 : round6(rnd_range(-180, 170));
        box[2] = chance(0.5) ? 180 : round6(rnd_range(fmax(box[0], 100), 180));
        box[1] = chance(0.5) ? -90 : round6(rnd_range(-90, 30));
        box[3] = chance(0.5) ? 90 : round6(rnd_range(40, 90));
    }
}

static void box_text(struct sb *s, const double box[4], int six)
{
    char a[40], b[40], c[40], d[40];
    fmt_num(a, box[0]);
    fmt_num(b, box[1]);
    fmt_num(c, box[2]);
    fmt_num(d, box[3]);
    if (six)
        sb_printf(s, "%s,%s,-100,%s,%s,9000", a, b, c, d);
    else
        sb_printf(s, "%s,%s,%s,%s", a, b, c, d);
}

static int city_in_box(size_t i, const double box[4])
{
    return point_in_box(box, cities[i].lon, cities[i].lat);
}

static int link_in_box(size_t i, const double box[4])
{
    const struct city *a = &cities[links[i].cn], *b = &cities[links[i].jp];
    return segment_meets_box(box, a->lon, a->lat, b->lon, b->lat);
}

/* The least box around every feature of a collection: a bbox of exactly that, or larger, holds
 * every feature (the server answers it without its spatial index). */
static void extent_of(enum coll coll, double box[4])
{
    box[0] = box[1] = INFINITY;
    box[2] = box[3] = -INFINITY;
    for (size_t i = 0; i < (coll == C_CITIES ? N_CITIES : N_LINKS); i++) {
        const struct city *ends[2] = {&cities[i], NULL};
        if (coll != C_CITIES)
            ends[0] = &cities[links[i].cn], ends[1] = &cities[links[i].jp];
        for (int e = 0; e < 2 && ends[e]; e++) {
            box[0] = fmin(box[0], ends[e]->lon);
            box[1] = fmin(box[1], ends[e]->lat);
            box[2] = fmax(box[2], ends[e]->lon);
            box[3] = fmax(box[3], ends[e]->lat);
        }
    }
}

static void test_bbox(enum kind k, enum coll coll)
{
    double t0 = now_s();
    size_t n_all = coll == C_CITIES ? N_CITIES : N_LINKS;
    unsigned char *want = xcalloc(n_all, 1);
    struct sb url = {0}, m = {0}, v = {0};
    for (long n = 0; n < cases_of(k); n++) {
        double box[4];
        random_box(box);
        if (n == 0) /* the whole world, and the collection's extent exactly */
            box[0] = -180, box[1] = -90, box[2] = 180, box[3] = 90;
        else if (n == 1)
            extent_of(coll, box);
        sb_reset(&url);
        sb_reset(&v);
        /* One case in three pages through the box with a small limit: the server then finds
         * each page by a walk of the spatial index in id order from the last id (items.c), for
         * places and for links (whose extents meet many boxes their lines miss). */
        int paged = chance(0.33);
        long limit = paged ? rnd_int(3, 60) : 10000;
        sb_printf(&url, "/collections/%s/items?limit=%ld",
                  coll == C_CITIES ? "cities" : "partnerships", limit);
        box_text(&v, box, chance(0.1));
        add_param(&url, "bbox", v.d);
        for (size_t i = 0; i < n_all; i++)
            want[i] = (unsigned char)(coll == C_CITIES ? city_in_box(i, box) : link_in_box(i, box));
        struct got g;
        fetch(url.d, coll, paged, 100000, limit, &g);
        sb_reset(&m);
        stats[k].cases++;
        int bad = compare_exact(&g, coll, want, &m);
        for (size_t i = 1; i < g.n; i++)
            if (strcmp(g.ids[i - 1], g.ids[i]) >= 0) {
                sb_printf(&m, "  not in id order: %s before %s\n", g.ids[i - 1], g.ids[i]);
                bad++;
                break;
            }
        if (bad)
            case_fail(k, n, url.d, m.d);
        got_fini(&g);
    }
    free(want);
    sb_fini(&url);
    sb_fini(&m);
    sb_fini(&v);
    kind_end(k, t0);
}

static void test_bbox_cities(void **state)
{
    (void)state;
    test_bbox(K_BBOX_CITIES, C_CITIES);
}

static void test_bbox_partnerships(void **state)
{
    (void)state;
    test_bbox(K_BBOX_LINKS, C_LINKS);
}

/* --- near ------------------------------------------------------------------------------------- */

struct hit {
    size_t i;
    double d;
};

static enum coll hit_coll;

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    const char *ix = hit_coll == C_CITIES ? cities[x->i].id : links[x->i].id;
    const char *iy = hit_coll == C_CITIES ? cities[y->i].id : links[y->i].id;
    return strcmp(ix, iy);
}

/* A near= point: at a place, near places, near the antimeridian, near the pole, anywhere. */
static void near_point(double *lon, double *lat)
{
    int mode = rnd_int(0, 19);
    if (mode < 2) {
        const struct city *c = &cities[rnd_below(N_CITIES)];
        *lon = c->lon;
        *lat = c->lat;
        return;
    }
    if (mode < 12) {
        random_point(lon, lat);
    } else if (mode < 15) {
        *lon = chance(0.5) ? rnd_range(177, 180) : rnd_range(-180, -177);
        if (chance(0.1))
            *lon = chance(0.5) ? 180 : -180;
        *lat = rnd_range(-60, 70);
    } else if (mode < 17) {
        *lon = rnd_range(-180, 180);
        *lat = rnd_range(75, 90);
    } else {
        *lon = rnd_range(-180, 180);
        *lat = rnd_range(-89, 89);
    }
    *lon = round6(*lon);
    *lat = round6(*lat);
}

/* Check the order and distances of a near answer against the oracle's distances dist[] (of
 * every feature): each feature's distance_m within tol of the oracle's, and the oracle's
 * distances never decreasing along the answer (beyond tol; exact ties of places by id). */
static int check_near_order(const struct got *g, enum coll coll, const double *dist, double tol,
                            struct sb *m)
{
    int bad = 0;
    for (size_t i = 0; i < g->n && g->status == 200; i++) {
        if (g->idx[i] < 0)
            continue;
        double d = dist[g->idx[i]];
        if (isnan(g->dist[i]) || fabs(g->dist[i] - d) > tol) {
            if (bad++ < 5)
                sb_printf(m, "  %s: distance_m %.1f, oracle %.3f\n", g->ids[i], g->dist[i], d);
        }
        if (i > 0 && g->idx[i - 1] >= 0) {
            double dp = dist[g->idx[i - 1]];
            const char *ip = coll == C_CITIES ? cities[g->idx[i - 1]].id : links[g->idx[i - 1]].id;
            const char *ic = coll == C_CITIES ? cities[g->idx[i]].id : links[g->idx[i]].id;
            /* Exact ties go by id; only for points, whose distances the server and the
             * oracle compute alike (a link's distance carries the noise of a search). */
            if (d < dp - tol || (coll == C_CITIES && d == dp && strcmp(ip, ic) > 0)) {
                if (bad++ < 5)
                    sb_printf(m, "  out of order at %zu: %s (%.3f m) after %s (%.3f m)\n", i, ic, d,
                              ip, dp);
            }
        }
    }
    return bad;
}

/* The k nearest against the oracle's sorted hits e[]: the i-th feature's oracle distance must
 * be that of the i-th hit (within tol), so that only ties may swap. */
static int check_knn(const struct got *g, const double *dist, const struct hit *e, size_t n_e,
                     size_t k, double tol, struct sb *m)
{
    int bad = 0;
    size_t want = k < n_e ? k : n_e;
    if (g->status != 200) {
        sb_printf(m, "  status %ld: %.400s\n", g->status, g->error ? g->error : "");
        return 1;
    }
    if (g->anomaly) {
        sb_printf(m, "  %s\n", g->anomaly);
        bad++;
    }
    if (g->n != want) {
        sb_printf(m, "  %zu features, expected %zu\n", g->n, want);
        bad++;
    }
    for (size_t i = 0; i < g->n && i < want; i++) {
        if (g->idx[i] < 0) {
            sb_printf(m, "  unknown id %s\n", g->ids[i]);
            bad++;
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (g->idx[j] == g->idx[i]) {
                sb_printf(m, "  %s twice\n", g->ids[i]);
                bad++;
            }
        double d = dist[g->idx[i]];
        if (fabs(d - e[i].d) > tol) {
            if (bad++ < 6)
                sb_printf(m, "  rank %zu: got %s at %.3f m, expected %s at %.3f m\n", i, g->ids[i],
                          d, hit_coll == C_CITIES ? cities[e[i].i].id : links[e[i].i].id, e[i].d);
        }
    }
    return bad;
}

static void test_near_radius(void **state)
{
    (void)state;
    enum kind k = K_NEAR_RADIUS;
    double t0 = now_s();
    double *dist = xcalloc(N_CITIES, sizeof *dist);
    unsigned char *want = xcalloc(N_CITIES, 1);
    struct sb url = {0}, m = {0};
    for (long n = 0; n < cases_of(k); n++) {
        double lon, lat, radius;
        near_point(&lon, &lat);
        for (size_t i = 0; i < N_CITIES; i++)
            dist[i] = geo_dist(lon, lat, cities[i].lon, cities[i].lat);
        int mode = rnd_int(0, 19);
        if (mode < 16)
            radius = round(rnd_log(200, 3e6));
        else if (mode < 18)
            radius = round(rnd_range(5e6, 20004000));
        else
            radius = round(dist[rnd_below(N_CITIES)] * 10) / 10; /* on a place */
        if (radius < 1)
            radius = 1;
        const double tol = 0.5;
        for (size_t i = 0; i < N_CITIES; i++)
            want[i] = (unsigned char)(fabs(dist[i] - radius) <= tol ? 2 : dist[i] <= radius);
        char a[40], b[40], r[40];
        fmt_num(a, lon);
        fmt_num(b, lat);
        fmt_num(r, radius);
        sb_reset(&url);
        sb_printf(&url, "/collections/cities/items?limit=10000&near=%s,%s&radius=%s", a, b, r);
        struct got g;
        fetch(url.d, C_CITIES, 0, 1, 10000, &g);
        sb_reset(&m);
        stats[k].cases++;
        hit_coll = C_CITIES;
        int bad = compare_set(&g, C_CITIES, want, &m);
        bad += check_near_order(&g, C_CITIES, dist, tol, &m);
        if (g.status == 200 && g.matched != (long long)g.n) {
            sb_printf(&m, "  numberMatched %lld, but %zu features within the radius\n", g.matched,
                      g.n);
            bad++;
        }
        if (bad)
            case_fail(k, n, url.d, m.d);
        got_fini(&g);
    }
    free(dist);
    free(want);
    sb_fini(&url);
    sb_fini(&m);
    kind_end(k, t0);
}

static void test_near_knn(void **state)
{
    (void)state;
    enum kind k = K_NEAR_KNN;
    double t0 = now_s();
    double *dist = xcalloc(N_CITIES, sizeof *dist);
    struct hit *e = xcalloc(N_CITIES, sizeof *e);
    struct sb url = {0}, m = {0};
    for (long n = 0; n < cases_of(k); n++) {
        double lon, lat;
        near_point(&lon, &lat);
        for (size_t i = 0; i < N_CITIES; i++) {
            dist[i] = geo_dist(lon, lat, cities[i].lon, cities[i].lat);
            e[i].i = i;
            e[i].d = dist[i];
        }
        hit_coll = C_CITIES;
        qsort(e, N_CITIES, sizeof *e, cmp_hit);
        /* One page of the k nearest, or a few pages of them followed by next links. */
        int paged = chance(0.25);
        long limit = paged ? rnd_int(3, 10) : rnd_int(1, 50);
        long pages = paged ? rnd_int(2, 5) : 1;
        char a[40], b[40];
        fmt_num(a, lon);
        fmt_num(b, lat);
        sb_reset(&url);
        sb_printf(&url, "/collections/cities/items?near=%s,%s&limit=%ld", a, b, limit);
        struct got g;
        fetch(url.d, C_CITIES, paged, pages, limit, &g);
        sb_reset(&m);
        stats[k].cases++;
        int bad = check_knn(&g, dist, e, N_CITIES, (size_t)(limit * pages), 0.5, &m);
        bad += check_near_order(&g, C_CITIES, dist, 0.5, &m);
        if (g.status == 200 && g.matched != N_CITIES) {
            sb_printf(&m, "  numberMatched %lld, expected %d (every placed feature)\n", g.matched,
                      N_CITIES);
            bad++;
        }
        if (bad)
            case_fail(k, n, url.d, m.d);
        got_fini(&g);
    }
    free(dist);
    free(e);
    sb_fini(&url);
    sb_fini(&m);
    kind_end(k, t0);
}

static void test_near_partnerships(void **state)
{
    (void)state;
    enum kind k = K_NEAR_LINKS;
    double t0 = now_s();
    double *lower = xcalloc(N_LINKS, sizeof *lower), *dist = xcalloc(N_LINKS, sizeof *dist);
    struct hit *order = xcalloc(N_LINKS, sizeof *order), *e = xcalloc(N_LINKS, sizeof *e);
    unsigned char *want = xcalloc(N_LINKS, 1);
    struct sb url = {0}, m = {0};
    const double tol = 1.0;
    for (long n = 0; n < cases_of(k); n++) {
        double lon, lat;
        if (chance(0.85)) {
            /* on or near a link (far from all, the server measures nearly every link) */
            const struct link *l = &links[rnd_below(N_LINKS)];
            link_point(l, rnd_unit(), &lon, &lat);
            lon = round6(lon + rnd_range(-0.5, 0.5) * chance(0.7));
            lat = round6(lat + rnd_range(-0.5, 0.5) * chance(0.7));
        } else {
            near_point(&lon, &lat);
        }
        for (size_t i = 0; i < N_LINKS; i++) {
            lower[i] = link_dist_lower(&links[i], lon, lat);
            dist[i] = NAN;
            order[i].i = i;
            order[i].d = lower[i];
        }
        int with_radius = chance(0.6);
        double radius = round(rnd_log(100, 150e3));
        size_t n_e = 0, limit = (size_t)rnd_int(1, 30);
        hit_coll = C_LINKS;
        if (with_radius) {
            for (size_t i = 0; i < N_LINKS; i++) {
                want[i] = 0;
                if (lower[i] > radius + tol)
                    continue;
                dist[i] = link_dist(&links[i], lon, lat);
                want[i] = (unsigned char)(fabs(dist[i] - radius) <= tol ? 2 : dist[i] <= radius);
            }
        } else {
            /* Measure in the order of the lower bounds until no other can be nearer than
             * the limit-th. */
            qsort(order, N_LINKS, sizeof *order, cmp_hit);
            double kth = INFINITY;
            for (size_t j = 0; j < N_LINKS && order[j].d <= kth + 2 * tol; j++) {
                size_t i = order[j].i;
                dist[i] = link_dist(&links[i], lon, lat);
                e[n_e].i = i;
                e[n_e].d = dist[i];
                n_e++;
                if (n_e >= limit) {
                    qsort(e, n_e, sizeof *e, cmp_hit);
                    kth = e[limit - 1].d;
                }
            }
            qsort(e, n_e, sizeof *e, cmp_hit);
        }
        char a[40], b[40];
        fmt_num(a, lon);
        fmt_num(b, lat);
        sb_reset(&url);
        if (with_radius)
            sb_printf(&url, "/collections/partnerships/items?limit=10000&near=%s,%s&radius=%.0f", a,
                      b, radius);
        else
            sb_printf(&url, "/collections/partnerships/items?limit=%zu&near=%s,%s", limit, a, b);
        struct got g;
        fetch(url.d, C_LINKS, 0, 1, 10000, &g);
        /* The answer's features the oracle did not measure (it thinks them too far): measure
         * them now, so that the distances can be compared. */
        for (size_t i = 0; i < g.n; i++)
            if (g.idx[i] >= 0 && isnan(dist[g.idx[i]]))
                dist[g.idx[i]] = link_dist(&links[g.idx[i]], lon, lat);
        sb_reset(&m);
        stats[k].cases++;
        int bad = with_radius ? compare_set(&g, C_LINKS, want, &m)
                              : check_knn(&g, dist, e, n_e, limit, tol, &m);
        bad += check_near_order(&g, C_LINKS, dist, tol, &m);
        if (bad)
            case_fail(k, n, url.d, m.d);
        got_fini(&g);
    }
    free(lower);
    free(dist);
    free(order);
    free(e);
    free(want);
    sb_fini(&url);
    sb_fini(&m);
    kind_end(k, t0);
}

/* --- datetime --------------------------------------------------------------------------------- */

/* An instant of a datetime parameter, and the days it covers. */
struct instant {
    char text[40];
    long first, last; /* JDN */
    long secs;        /* UTC second of the day of a date-time, else 0 */
};

static void random_day(int *y, int *m, int *d)
{
    *y = chance(0.9) ? rnd_int(1971, 2024) : rnd_int(1900, 2100);
    *m = rnd_int(1, 12);
    *d = rnd_int(1, month_days(*y, *m));
}

static void random_instant(struct instant *in, int allow_partial)
{
    int y, m, d, kind = rnd_int(allow_partial ? 0 : 2, 5);
    random_day(&y, &m, &d);
    in->secs = 0;
    if (kind == 0) {
        snprintf(in->text, sizeof in->text, "%04d", y);
        in->first = jdn(y, 1, 1);
        in->last = jdn(y, 12, 31);
    } else if (kind == 1) {
        snprintf(in->text, sizeof in->text, "%04d-%02d", y, m);
        in->first = jdn(y, m, 1);
        in->last = jdn(y, m, month_days(y, m));
    } else if (kind < 4) {
        snprintf(in->text, sizeof in->text, "%04d-%02d-%02d", y, m, d);
        in->first = in->last = jdn(y, m, d);
    } else {
        int hh = rnd_int(0, 23), mi = rnd_int(0, 59), ss = rnd_int(0, 59);
        int off = kind == 4 ? 0 : rnd_int(-14, 14) * 60 + (chance(0.3) ? 30 : 0);
        char zone[16];
        if (kind == 4)
            snprintf(zone, sizeof zone, "Z");
        else
            snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                     abs(off) % 60);
        snprintf(in->text, sizeof in->text, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, m, d, hh, mi, ss,
                 zone);
        long t = jdn(y, m, d) * 86400L + hh * 3600L + mi * 60L + ss - off * 60L;
        long day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
        in->first = in->last = day;
        in->secs = t - day * 86400;
    }
}

/* An ISO 8601 duration added to (day, secs): years and months first (the day clamped to the
 * month), then weeks, days and hours. */
static long add_random_duration(long day, long secs, char out[32])
{
    int y, m, d;
    from_jdn(day, &y, &m, &d);
    int Y = 0, M = 0, W = 0, D = 0, H = 0;
    switch (rnd_int(0, 5)) {
    case 0:
        D = rnd_int(0, 60);
        snprintf(out, 32, "P%dD", D);
        break;
    case 1:
        W = rnd_int(1, 20);
        snprintf(out, 32, "P%dW", W);
        break;
    case 2:
        M = rnd_int(1, 30);
        snprintf(out, 32, "P%dM", M);
        break;
    case 3:
        Y = rnd_int(1, 15);
        snprintf(out, 32, "P%dY", Y);
        break;
    case 4:
        H = rnd_int(1, 100);
        snprintf(out, 32, "PT%dH", H);
        break;
    default:
        Y = rnd_int(0, 3);
        M = rnd_int(0, 11);
        D = rnd_int(1, 40);
        snprintf(out, 32, "P%dY%dM%dD", Y, M, D);
        break;
    }
    long months = (long)y * 12 + (m - 1) + Y * 12 + M;
    int ny = (int)(months / 12), nm = (int)(months % 12) + 1;
    int nd = d > month_days(ny, nm) ? month_days(ny, nm) : d;
    return jdn(ny, nm, nd) + W * 7 + D + (secs + H * 3600L) / 86400;
}

static void test_datetime(void **state)
{
    (void)state;
    enum kind k = K_DATETIME;
    double t0 = now_s();
    unsigned char *want = xcalloc(N_LINKS, 1);
    struct sb url = {0}, m = {0}, v = {0};
    for (long n = 0; n < cases_of(k); n++) {
        long qf = LONG_MIN, ql = LONG_MAX;
        int expect_error = 0;
        sb_reset(&v);
        if (chance(0.3)) {
            struct instant in;
            random_instant(&in, 1);
            sb_puts(&v, in.text);
            qf = in.first;
            ql = in.last;
        } else {
            struct instant a, b;
            int a_open = chance(0.2), b_kind = rnd_int(0, 9); /* 0-1 open, 2-3 duration */
            /* Mostly a closed end after an open one; now and then an interval that is open at
             * both ends, or a duration after an open start: both are errors. */
            if (a_open && b_kind < 4 && !chance(0.1))
                b_kind = 4;
            random_instant(&a, 1);
            if (a_open)
                sb_puts(&v, chance(0.5) ? ".." : "");
            else
                sb_puts(&v, a.text);
            sb_puts(&v, "/");
            if (!a_open)
                qf = a.first;
            if (b_kind < 2) {
                sb_puts(&v, chance(0.5) ? ".." : "");
            } else if (b_kind < 4) {
                char dur[32];
                ql = add_random_duration(a.first, a.secs, dur);
                sb_puts(&v, dur);
            } else {
                random_instant(&b, 1);
                if (!a_open && chance(0.7)) {
                    /* mostly an interval that runs forwards */
                    while (b.last < a.first)
                        random_instant(&b, 1);
                }
                sb_puts(&v, b.text);
                ql = b.last;
            }
            if (a_open && b_kind < 4)
                expect_error = 1;
            if (qf != LONG_MIN && ql != LONG_MAX && qf > ql)
                expect_error = 1;
        }
        for (size_t i = 0; i < N_LINKS; i++)
            want[i] =
                (unsigned char)(links[i].est[0] && links[i].last >= qf && links[i].first <= ql);
        sb_reset(&url);
        sb_puts(&url, "/collections/partnerships/items?limit=10000");
        add_param(&url, "datetime", v.d);
        struct got g;
        fetch(url.d, C_LINKS, 0, 1, 10000, &g);
        sb_reset(&m);
        stats[k].cases++;
        int bad;
        if (expect_error) {
            bad = g.status != 400;
            if (bad)
                sb_printf(&m, "  datetime %s: status %ld, expected 400\n", v.d, g.status);
        } else {
            bad = compare_exact(&g, C_LINKS, want, &m);
            if (bad)
                sb_printf(&m, "  datetime %s: the days %ld..%ld (JDN)\n", v.d, qf, ql);
        }
        if (bad)
            case_fail(k, n, url.d, m.d);
        got_fini(&g);
    }
    free(want);
    sb_fini(&url);
    sb_fini(&m);
    sb_fini(&v);
    kind_end(k, t0);
}

/* --- CQL2 ------------------------------------------------------------------------------------- */

enum prop {
    P_ID,
    P_POPULATION,
    P_PARTNERS,
    P_NAME_EN,
    P_COUNTRY,
    P_LEVEL,
    P_REGION,
    P_KIND,
    P_LLEVEL,
    P_ESTABLISHED,
    P_DISTANCE_KM,
    P_CN_NAME,
    P_JP_NAME,
    P_CN_REGION,
    P_CN_CITY,
    P_N
};

static const char *const prop_names[P_N] = {
    "id",          "population", "partners",   "name_en",   "country",
    "level",       "region",     "kind",       "level",     "established",
    "distance_km", "cn_name_en", "jp_name_en", "cn_region", "cn_city"};

enum vtype { V_NULL, V_NUM, V_STR };

struct val {
    enum vtype t;
    double num;
    const char *str;
};

/* A property's value as a comparison sees it: a date property by its first day. */
static struct val value_of(enum coll coll, size_t i, enum prop p)
{
    struct val v = {V_NULL, 0, NULL};
    if (coll == C_CITIES) {
        const struct city *c = &cities[i];
        switch (p) {
        case P_ID:
            v.t = V_STR, v.str = c->id;
            break;
        case P_POPULATION:
            if (c->has_pop)
                v.t = V_NUM, v.num = (double)c->pop;
            break;
        case P_PARTNERS:
            v.t = V_NUM, v.num = c->partners;
            break;
        case P_NAME_EN:
            v.t = V_STR, v.str = c->name;
            break;
        case P_COUNTRY:
            v.t = V_STR, v.str = c->country;
            break;
        case P_LEVEL:
            v.t = V_STR, v.str = c->level;
            break;
        case P_REGION:
            if (c->region[0])
                v.t = V_STR, v.str = c->region;
            break;
        default:
            fail_msg("no property %d on cities", (int)p);
        }
        return v;
    }
    const struct link *l = &links[i];
    switch (p) {
    case P_ID:
        v.t = V_STR, v.str = l->id;
        break;
    case P_KIND:
        v.t = V_STR, v.str = l->kind;
        break;
    case P_LLEVEL:
        v.t = V_STR, v.str = l->level;
        break;
    case P_ESTABLISHED:
        if (l->est[0])
            v.t = V_STR, v.str = l->est_first;
        break;
    case P_DISTANCE_KM:
        v.t = V_NUM, v.num = l->dist_km;
        break;
    case P_CN_NAME:
        v.t = V_STR, v.str = cities[l->cn].name;
        break;
    case P_JP_NAME:
        v.t = V_STR, v.str = cities[l->jp].name;
        break;
    case P_CN_REGION:
        v.t = V_STR, v.str = cities[l->cn].region;
        break;
    case P_CN_CITY:
        v.t = V_STR, v.str = cities[l->cn].id;
        break;
    default:
        fail_msg("no property %d on partnerships", (int)p);
    }
    return v;
}

enum qkind {
    Q_AND,
    Q_OR,
    Q_NOT,
    Q_CMP,
    Q_CMP_PROP,
    Q_LIKE,
    Q_BETWEEN,
    Q_IN,
    Q_ISNULL,
    Q_S_BOX,
    Q_S_POLY,
    Q_TEMPORAL
};

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };
static const char *const cmp_names[] = {"=", "<>", "<", ">", "<=", ">="};

enum t_op { T_BEFORE, T_AFTER, T_INTERSECTS, T_DURING, T_DISJOINT, T_EQUALS };
static const char *const t_names[] = {"T_BEFORE", "T_AFTER",    "T_INTERSECTS",
                                      "T_DURING", "T_DISJOINT", "T_EQUALS"};
static const char *const t_json_names[] = {"t_before", "t_after",    "t_intersects",
                                           "t_during", "t_disjoint", "t_equals"};

enum lit { L_NUM, L_STR, L_DATE, L_TS };

/* A temporal literal end: a DATE, a TIMESTAMP or '..'. */
struct tend {
    int open;
    int is_ts;
    char text[40];
    long long start, end; /* seconds since JDN 0 */
    char utc_day[11];     /* the UTC day, as a comparison reads a DATE or TIMESTAMP */
};

#define Q_MAX_VALS 6
#define Q_MAX_POLY 16

struct qnode {
    enum qkind kind;
    int negated;
    int fold; /* LIKE: 1 CASEI, 2 ACCENTI, 3 both, on both sides */
    enum prop prop, prop2;
    int op;
    enum lit lit;
    size_t n_vals;
    double num[Q_MAX_VALS];
    char str[Q_MAX_VALS][80];
    double box[4];
    int swap; /* the literal first in a spatial predicate */
    struct poly *poly;
    int interval;
    struct tend t[2];
    size_t n_args;
    struct qnode *args[3];
};

static void q_free(struct qnode *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n_args; i++)
        q_free(q->args[i]);
    free(q->poly);
    free(q);
}

static void random_tend(struct tend *t, int allow_ts)
{
    int y, m, d;
    memset(t, 0, sizeof *t);
    random_day(&y, &m, &d);
    t->is_ts = allow_ts && chance(0.4);
    if (t->is_ts) {
        int hh = rnd_int(0, 23), mi = rnd_int(0, 59), ss = rnd_int(0, 59);
        int off = chance(0.5) ? 0 : rnd_int(-12, 14) * 60 + (chance(0.3) ? 30 : 0);
        char zone[16];
        if (!off)
            snprintf(zone, sizeof zone, "Z");
        else
            snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                     abs(off) % 60);
        snprintf(t->text, sizeof t->text, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, m, d, hh, mi, ss,
                 zone);
        t->start = t->end = (long long)jdn(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss - off * 60;
        long long day = t->start / 86400; /* positive: JDN */
        day_str((long)day, t->utc_day);
    } else {
        snprintf(t->text, sizeof t->text, "%04d-%02d-%02d", y, m, d);
        t->start = (long long)jdn(y, m, d) * 86400;
        t->end = t->start + 86399;
        memcpy(t->utc_day, t->text, 10);
    }
}

/* A LIKE pattern from a name: a prefix, suffix or infix with %, some characters as _, the
 * metacharacters of the name escaped, the case of the first letter changed now and then. */
static void random_pattern(char out[80], const char *name)
{
    /* code points of the name */
    size_t starts[80], n = 0;
    for (size_t i = 0; name[i] && n < 79; i++)
        if (((unsigned char)name[i] & 0xc0) != 0x80)
            starts[n++] = i;
    starts[n] = strlen(name);
    size_t from = 0, to = n;
    int lead = 0, trail = 0;
    switch (rnd_int(0, 5)) {
    case 0:
        to = 1 + rnd_below(n);
        trail = 1;
        break;
    case 1:
        from = rnd_below(n);
        lead = 1;
        break;
    case 2:
        from = rnd_below(n);
        to = from + 1 + rnd_below(n - from);
        lead = trail = 1;
        break;
    default:
        break;
    }
    struct sb p = {0};
    if (lead)
        sb_puts(&p, "%");
    for (size_t i = from; i < to; i++) {
        const char *c = name + starts[i];
        size_t len = starts[i + 1] - starts[i];
        if (chance(0.12)) {
            sb_puts(&p, "_");
        } else {
            if (*c == '%' || *c == '_' || *c == '\\')
                sb_puts(&p, "\\");
            sb_add(&p, c, len);
        }
    }
    if (trail)
        sb_puts(&p, "%");
    if (p.d && chance(0.1) && p.d[0] >= 'A' && p.d[0] <= 'Z')
        p.d[0] = (char)(p.d[0] - 'A' + 'a');
    if (p.d && chance(0.05))
        snprintf(out, 80, "%%%s%%", syllables[rnd_below(N_SYLLABLES)]);
    else
        snprintf(out, 80, "%s", p.d ? p.d : "%");
    sb_fini(&p);
}

/* CASEI (fold & 1) and ACCENTI (fold & 2) of the names' alphabet: ASCII, and the few
 * accented letters the test's names use (Å Ö Ü å ö ü ō ū). Any other letter fails the test:
 * the oracle must not guess. */
static void fold_text(const char *s, int fold, char out[160])
{
    static const struct {
        unsigned char a, b;
        char upper_base, lower_base;
        unsigned char lower_b;
    } letters[] = {{0xc3, 0x85, 'A', 'a', 0xa5}, {0xc3, 0x96, 'O', 'o', 0xb6},
                   {0xc3, 0x9c, 'U', 'u', 0xbc}, {0xc3, 0xa5, 'a', 'a', 0xa5},
                   {0xc3, 0xb6, 'o', 'o', 0xb6}, {0xc3, 0xbc, 'u', 'u', 0xbc},
                   {0xc5, 0x8d, 'o', 'o', 0x8d}, {0xc5, 0xab, 'u', 'u', 0xab}};
    const size_t n_letters = sizeof letters / sizeof *letters;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < 150;) {
        if (*p < 0x80) {
            out[n++] = (char)((fold & 1) && *p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            p++;
            continue;
        }
        size_t k = 0;
        while (k < n_letters && !(letters[k].a == p[0] && letters[k].b == p[1]))
            k++;
        if (k == n_letters)
            fail_msg("fold_text: a letter the oracle does not know in '%s'", s);
        if (fold & 2) {
            out[n++] = (fold & 1) ? letters[k].lower_base : letters[k].upper_base;
        } else {
            out[n++] = (char)p[0];
            out[n++] = (char)((fold & 1) ? letters[k].lower_b : p[1]);
        }
        p += 2;
    }
    out[n] = '\0';
}

/* Does s match the LIKE pattern p (% any run, _ one character, \ escapes; case-sensitive)? */
static int like_match(const char *s, const char *p)
{
    while (*p) {
        if (*p == '%') {
            while (*p == '%')
                p++;
            if (!*p)
                return 1;
            for (const char *t = s;; t++) {
                if (((unsigned char)*t & 0xc0) != 0x80 && like_match(t, p))
                    return 1;
                if (!*t)
                    return 0;
            }
        }
        if (!*s)
            return 0;
        if (*p == '_') {
            s++;
            while (((unsigned char)*s & 0xc0) == 0x80)
                s++;
            p++;
            continue;
        }
        if (*p == '\\' && p[1])
            p++;
        if (*s != *p)
            return 0;
        s++;
        p++;
    }
    return !*s;
}

static void random_poly(struct poly *pg)
{
    double cx, cy;
    random_point(&cx, &cy);
    double r = rnd_log(0.05, 12);
    cy = fmax(-80 + r, fmin(80 - r, cy));
    cx = fmax(-180 + r, fmin(180 - r, cx));
    size_t k = (size_t)rnd_int(3, Q_MAX_POLY - 1);
    double a0 = rnd_range(0, TAU);
    pg->n = k;
    for (size_t i = 0; i < k; i++) {
        double a = a0 + TAU * ((double)i + rnd_range(0.1, 0.9)) / (double)k;
        double rr = r * rnd_range(0.25, 1);
        pg->x[i] = round6(cx + rr * cos(a));
        pg->y[i] = round6(cy + rr * sin(a));
    }
}

static struct qnode *q_new(enum qkind kind)
{
    struct qnode *q = xcalloc(1, sizeof *q);
    q->kind = kind;
    return q;
}

static double random_population(void)
{
    if (chance(0.5)) {
        const struct city *c = &cities[rnd_below(N_CITIES)];
        if (c->has_pop)
            return (double)c->pop;
    }
    return round(rnd_log(300, 3e7));
}

static struct qnode *leaf_cities(void)
{
    struct qnode *q;
    int r = rnd_int(0, 99);
    if (r < 14) {
        q = q_new(Q_CMP);
        q->prop = chance(0.75) ? P_POPULATION : P_PARTNERS;
        q->op = rnd_int(0, 5);
        q->lit = L_NUM;
        q->n_vals = 1;
        q->num[0] = q->prop == P_POPULATION ? random_population() : rnd_int(0, 8);
    } else if (r < 24) {
        q = q_new(Q_CMP);
        q->prop = chance(0.6) ? P_NAME_EN : chance(0.5) ? P_COUNTRY : P_REGION;
        q->op = rnd_int(0, 5);
        q->lit = L_STR;
        q->n_vals = 1;
        const struct city *c = &cities[rnd_below(N_CITIES)];
        snprintf(q->str[0], sizeof q->str[0], "%s",
                 q->prop == P_NAME_EN   ? c->name
                 : q->prop == P_COUNTRY ? c->country
                                        : (c->region[0] ? c->region : "cn-beijing"));
    } else if (r < 40) {
        q = q_new(Q_LIKE);
        q->prop = P_NAME_EN;
        q->negated = chance(0.2);
        q->fold = chance(0.25) ? rnd_int(1, 3) : 0;
        q->lit = L_STR;
        q->n_vals = 1;
        random_pattern(q->str[0], cities[rnd_below(N_CITIES)].name);
    } else if (r < 50) {
        q = q_new(Q_BETWEEN);
        q->prop = chance(0.8) ? P_POPULATION : P_PARTNERS;
        q->negated = chance(0.2);
        q->lit = L_NUM;
        q->n_vals = 2;
        for (int i = 0; i < 2; i++)
            q->num[i] = q->prop == P_POPULATION ? random_population() : rnd_int(0, 8);
        if (chance(0.85) && q->num[0] > q->num[1]) {
            double t = q->num[0];
            q->num[0] = q->num[1];
            q->num[1] = t;
        }
    } else if (r < 62) {
        q = q_new(Q_IN);
        q->negated = chance(0.2);
        q->n_vals = (size_t)rnd_int(1, Q_MAX_VALS);
        int which = rnd_int(0, 3);
        q->prop = which == 0   ? P_COUNTRY
                  : which == 1 ? P_LEVEL
                  : which == 2 ? P_NAME_EN
                               : P_POPULATION;
        q->lit = q->prop == P_POPULATION ? L_NUM : L_STR;
        for (size_t i = 0; i < q->n_vals; i++) {
            const struct city *c = &cities[rnd_below(N_CITIES)];
            if (q->prop == P_POPULATION)
                q->num[i] = random_population();
            else
                snprintf(q->str[i], sizeof q->str[i], "%s",
                         q->prop == P_COUNTRY ? c->country
                         : q->prop == P_LEVEL ? levels[rnd_below(N_LEVELS)]
                                              : c->name);
        }
    } else if (r < 70) {
        q = q_new(Q_ISNULL);
        q->prop = chance(0.5) ? P_POPULATION : P_REGION;
        q->negated = chance(0.5);
    } else if (r < 85) {
        q = q_new(Q_S_BOX);
        random_box(q->box);
        q->swap = chance(0.2);
    } else {
        q = q_new(Q_S_POLY);
        q->poly = xcalloc(1, sizeof *q->poly);
        random_poly(q->poly);
        q->swap = chance(0.2);
    }
    return q;
}

static struct qnode *leaf_links(void)
{
    struct qnode *q;
    int r = rnd_int(0, 99);
    if (r < 10) {
        q = q_new(Q_CMP);
        q->prop = chance(0.4) ? P_KIND : chance(0.5) ? P_LLEVEL : P_CN_REGION;
        q->op = chance(0.7) ? rnd_int(0, 1) : rnd_int(2, 5);
        q->lit = L_STR;
        q->n_vals = 1;
        const struct link *l = &links[rnd_below(N_LINKS)];
        snprintf(q->str[0], sizeof q->str[0], "%s",
                 q->prop == P_KIND     ? l->kind
                 : q->prop == P_LLEVEL ? l->level
                                       : cities[l->cn].region);
    } else if (r < 18) {
        q = q_new(Q_CMP);
        q->prop = P_DISTANCE_KM;
        q->op = rnd_int(2, 5);
        q->lit = L_NUM;
        q->n_vals = 1;
        q->num[0] = round(rnd_range(300, 3500) * 10) / 10;
    } else if (r < 28) {
        /* established compared with a DATE or a TIMESTAMP: by its first day */
        q = q_new(Q_CMP);
        q->prop = P_ESTABLISHED;
        q->op = rnd_int(0, 5);
        random_tend(&q->t[0], 1);
        if (chance(0.3)) {
            /* the first day of a real date, so that = can hold */
            const struct link *l = &links[rnd_below(N_LINKS)];
            if (l->est[0]) {
                memset(&q->t[0], 0, sizeof q->t[0]);
                snprintf(q->t[0].text, sizeof q->t[0].text, "%s", l->est_first);
                snprintf(q->t[0].utc_day, sizeof q->t[0].utc_day, "%s", l->est_first);
            }
        }
        q->lit = q->t[0].is_ts ? L_TS : L_DATE;
    } else if (r < 33) {
        q = q_new(Q_CMP_PROP);
        q->prop = P_CN_NAME;
        q->prop2 = P_JP_NAME;
        q->op = rnd_int(0, 5);
    } else if (r < 41) {
        q = q_new(Q_LIKE);
        q->prop = chance(0.5) ? P_CN_NAME : P_JP_NAME;
        q->negated = chance(0.2);
        q->fold = chance(0.25) ? rnd_int(1, 3) : 0;
        q->lit = L_STR;
        q->n_vals = 1;
        const struct link *l = &links[rnd_below(N_LINKS)];
        random_pattern(q->str[0], cities[q->prop == P_CN_NAME ? l->cn : l->jp].name);
    } else if (r < 46) {
        q = q_new(Q_BETWEEN);
        q->prop = P_DISTANCE_KM;
        q->negated = chance(0.2);
        q->lit = L_NUM;
        q->n_vals = 2;
        q->num[0] = round(rnd_range(300, 3000));
        q->num[1] = q->num[0] + round(rnd_range(-100, 1500));
    } else if (r < 54) {
        q = q_new(Q_IN);
        q->negated = chance(0.2);
        q->n_vals = (size_t)rnd_int(1, 4);
        q->prop = chance(0.5) ? P_KIND : P_CN_CITY;
        q->lit = L_STR;
        for (size_t i = 0; i < q->n_vals; i++)
            snprintf(q->str[i], sizeof q->str[i], "%s",
                     q->prop == P_KIND ? kinds[rnd_below(N_KINDS)]
                                       : cities[links[rnd_below(N_LINKS)].cn].id);
    } else if (r < 58) {
        q = q_new(Q_ISNULL);
        q->prop = P_ESTABLISHED;
        q->negated = chance(0.5);
    } else if (r < 68) {
        q = q_new(Q_S_BOX);
        random_box(q->box);
        q->swap = chance(0.2);
    } else if (r < 75) {
        q = q_new(Q_S_POLY);
        q->poly = xcalloc(1, sizeof *q->poly);
        random_poly(q->poly);
        q->swap = chance(0.2);
    } else {
        q = q_new(Q_TEMPORAL);
        q->prop = P_ESTABLISHED;
        q->op = rnd_int(0, 9);
        if (q->op > 5)
            q->op = q->op == 9 ? T_DURING : T_INTERSECTS;
        q->interval = chance(0.55);
        random_tend(&q->t[0], 1);
        if (q->interval) {
            random_tend(&q->t[1], 1);
            if (q->t[1].end < q->t[0].start && chance(0.8)) {
                struct tend t = q->t[0];
                q->t[0] = q->t[1];
                q->t[1] = t;
            }
            if (chance(0.15))
                q->t[0].open = 1;
            else if (chance(0.15))
                q->t[1].open = 1;
        }
    }
    return q;
}

static struct qnode *random_filter(enum coll coll, int depth)
{
    if (depth >= 4 || chance(depth == 0 ? 0.35 : 0.5))
        return coll == C_CITIES ? leaf_cities() : leaf_links();
    int r = rnd_int(0, 9);
    struct qnode *q = q_new(r < 4 ? Q_AND : r < 8 ? Q_OR : Q_NOT);
    q->n_args = q->kind == Q_NOT ? 1 : (size_t)rnd_int(2, 3);
    for (size_t i = 0; i < q->n_args; i++)
        q->args[i] = random_filter(coll, depth + 1);
    return q;
}

/* Three-valued logic: 0 false, 1 true, 2 unknown (a NULL met a comparison). */
enum { TV_F = 0, TV_T = 1, TV_U = 2 };

static int cmp_vals(struct val a, struct val b, int op)
{
    if (a.t == V_NULL || b.t == V_NULL)
        return TV_U;
    int c;
    if (a.t == V_NUM)
        c = a.num < b.num ? -1 : a.num > b.num;
    else
        c = strcmp(a.str, b.str);
    switch (op) {
    case OP_EQ:
        return c == 0;
    case OP_NE:
        return c != 0;
    case OP_LT:
        return c < 0;
    case OP_GT:
        return c > 0;
    case OP_LE:
        return c <= 0;
    default:
        return c >= 0;
    }
}

static struct val lit_val(const struct qnode *q, size_t i)
{
    struct val v = {V_NULL, 0, NULL};
    if (q->lit == L_NUM)
        v.t = V_NUM, v.num = q->num[i];
    else if (q->lit == L_STR)
        v.t = V_STR, v.str = q->str[i];
    else
        v.t = V_STR, v.str = q->t[i].utc_day;
    return v;
}

static int q_eval(const struct qnode *q, enum coll coll, size_t i)
{
    switch (q->kind) {
    case Q_AND: {
        int r = TV_T;
        for (size_t k = 0; k < q->n_args; k++) {
            int a = q_eval(q->args[k], coll, i);
            if (a == TV_F)
                return TV_F;
            if (a == TV_U)
                r = TV_U;
        }
        return r;
    }
    case Q_OR: {
        int r = TV_F;
        for (size_t k = 0; k < q->n_args; k++) {
            int a = q_eval(q->args[k], coll, i);
            if (a == TV_T)
                return TV_T;
            if (a == TV_U)
                r = TV_U;
        }
        return r;
    }
    case Q_NOT: {
        int a = q_eval(q->args[0], coll, i);
        return a == TV_U ? TV_U : !a;
    }
    case Q_CMP:
        return cmp_vals(value_of(coll, i, q->prop), lit_val(q, 0), q->op);
    case Q_CMP_PROP:
        return cmp_vals(value_of(coll, i, q->prop), value_of(coll, i, q->prop2), q->op);
    case Q_LIKE: {
        struct val v = value_of(coll, i, q->prop);
        if (v.t == V_NULL)
            return TV_U;
        if (!q->fold)
            return like_match(v.str, q->str[0]) != q->negated;
        char fv[160], fp[160];
        fold_text(v.str, q->fold, fv);
        fold_text(q->str[0], q->fold, fp);
        return like_match(fv, fp) != q->negated;
    }
    case Q_BETWEEN: {
        struct val v = value_of(coll, i, q->prop);
        if (v.t == V_NULL)
            return TV_U;
        return (v.num >= q->num[0] && v.num <= q->num[1]) != q->negated;
    }
    case Q_IN: {
        struct val v = value_of(coll, i, q->prop);
        if (v.t == V_NULL)
            return TV_U;
        int found = 0;
        for (size_t k = 0; k < q->n_vals; k++)
            found |= cmp_vals(v, lit_val(q, k), OP_EQ) == TV_T;
        return found != q->negated;
    }
    case Q_ISNULL:
        return (value_of(coll, i, q->prop).t == V_NULL) != q->negated;
    case Q_S_BOX:
        return coll == C_CITIES ? city_in_box(i, q->box) : link_in_box(i, q->box);
    case Q_S_POLY:
        if (coll == C_CITIES)
            return point_in_poly(q->poly, cities[i].lon, cities[i].lat);
        return segment_meets_poly(q->poly, cities[links[i].cn].lon, cities[links[i].cn].lat,
                                  cities[links[i].jp].lon, cities[links[i].jp].lat);
    case Q_TEMPORAL: {
        const struct link *l = &links[i];
        if (!l->est[0])
            return TV_U;
        long long s1 = (long long)l->first * 86400, e1 = (long long)l->last * 86400 + 86399;
        long long s2 = q->t[0].open ? LLONG_MIN : q->t[0].start;
        long long e2 = q->interval ? (q->t[1].open ? LLONG_MAX : q->t[1].end) : q->t[0].end;
        switch (q->op) {
        case T_BEFORE:
            return e1 < s2;
        case T_AFTER:
            return s1 > e2;
        case T_INTERSECTS:
            return s1 <= e2 && e1 >= s2;
        case T_DURING:
            return s1 > s2 && e1 < e2;
        case T_DISJOINT:
            return !(s1 <= e2 && e1 >= s2);
        default:
            return s1 == s2 && e1 == e2;
        }
    }
    }
    return TV_U;
}

static void text_str(struct sb *o, const char *s)
{
    sb_puts(o, "'");
    for (; *s; s++) {
        if (*s == '\'')
            sb_puts(o, "'");
        sb_add(o, s, 1);
    }
    sb_puts(o, "'");
}

static void text_num(struct sb *o, double x)
{
    char b[40];
    fmt_num(b, x);
    sb_puts(o, b);
}

static void text_lit(struct sb *o, const struct qnode *q, size_t i)
{
    if (q->lit == L_NUM)
        text_num(o, q->num[i]);
    else if (q->lit == L_STR)
        text_str(o, q->str[i]);
    else
        sb_printf(o, "%s('%s')", q->lit == L_TS ? "TIMESTAMP" : "DATE", q->t[i].text);
}

static void text_poly(struct sb *o, const struct poly *pg)
{
    sb_puts(o, "POLYGON((");
    for (size_t i = 0; i <= pg->n; i++) {
        size_t k = i % pg->n;
        if (i)
            sb_puts(o, ", ");
        text_num(o, pg->x[k]);
        sb_puts(o, " ");
        text_num(o, pg->y[k]);
    }
    sb_puts(o, "))");
}

static void text_tend(struct sb *o, const struct tend *t, int in_interval)
{
    if (t->open)
        sb_puts(o, "'..'");
    else if (in_interval)
        sb_printf(o, "'%s'", t->text);
    else
        sb_printf(o, "%s('%s')", t->is_ts ? "TIMESTAMP" : "DATE", t->text);
}

static void q_text(const struct qnode *q, struct sb *o)
{
    switch (q->kind) {
    case Q_AND:
    case Q_OR:
        for (size_t k = 0; k < q->n_args; k++) {
            if (k)
                sb_puts(o, q->kind == Q_AND ? " AND " : " OR ");
            sb_puts(o, "(");
            q_text(q->args[k], o);
            sb_puts(o, ")");
        }
        break;
    case Q_NOT:
        sb_puts(o, "NOT (");
        q_text(q->args[0], o);
        sb_puts(o, ")");
        break;
    case Q_CMP:
        sb_printf(o, "%s %s ", prop_names[q->prop], cmp_names[q->op]);
        text_lit(o, q, 0);
        break;
    case Q_CMP_PROP:
        sb_printf(o, "%s %s %s", prop_names[q->prop], cmp_names[q->op], prop_names[q->prop2]);
        break;
    case Q_LIKE: {
        const char *open = !q->fold       ? ""
                           : q->fold == 1 ? "CASEI("
                           : q->fold == 2 ? "ACCENTI("
                                          : "CASEI(ACCENTI(";
        const char *close = q->fold == 3 ? "))" : q->fold ? ")" : "";
        sb_printf(o, "%s%s%s %sLIKE %s", open, prop_names[q->prop], close, q->negated ? "NOT " : "",
                  open);
        text_str(o, q->str[0]);
        sb_puts(o, close);
        break;
    }
    case Q_BETWEEN:
        sb_printf(o, "%s %sBETWEEN ", prop_names[q->prop], q->negated ? "NOT " : "");
        text_num(o, q->num[0]);
        sb_puts(o, " AND ");
        text_num(o, q->num[1]);
        break;
    case Q_IN:
        sb_printf(o, "%s %sIN (", prop_names[q->prop], q->negated ? "NOT " : "");
        for (size_t k = 0; k < q->n_vals; k++) {
            if (k)
                sb_puts(o, ", ");
            text_lit(o, q, k);
        }
        sb_puts(o, ")");
        break;
    case Q_ISNULL:
        sb_printf(o, "%s IS %sNULL", prop_names[q->prop], q->negated ? "NOT " : "");
        break;
    case Q_S_BOX:
    case Q_S_POLY: {
        struct sb lit = {0};
        if (q->kind == Q_S_BOX) {
            sb_puts(&lit, "BBOX(");
            box_text(&lit, q->box, 0);
            sb_puts(&lit, ")");
        } else {
            text_poly(&lit, q->poly);
        }
        if (q->swap)
            sb_printf(o, "S_INTERSECTS(%s, geometry)", lit.d);
        else
            sb_printf(o, "S_INTERSECTS(geometry, %s)", lit.d);
        sb_fini(&lit);
        break;
    }
    case Q_TEMPORAL:
        sb_printf(o, "%s(%s, ", t_names[q->op], prop_names[q->prop]);
        if (q->interval) {
            sb_puts(o, "INTERVAL(");
            text_tend(o, &q->t[0], 1);
            sb_puts(o, ", ");
            text_tend(o, &q->t[1], 1);
            sb_puts(o, ")");
        } else {
            text_tend(o, &q->t[0], 0);
        }
        sb_puts(o, ")");
        break;
    }
}

static json_t *json_prop(enum prop p)
{
    return json_pack("{s:s}", "property", prop_names[p]);
}

static json_t *json_num(double x)
{
    if (x == floor(x) && fabs(x) < 1e15)
        return json_integer((json_int_t)x);
    return json_real(x);
}

static json_t *json_lit(const struct qnode *q, size_t i)
{
    if (q->lit == L_NUM)
        return json_num(q->num[i]);
    if (q->lit == L_STR)
        return json_string(q->str[i]);
    return json_pack("{s:s}", q->lit == L_TS ? "timestamp" : "date", q->t[i].text);
}

static json_t *json_op(const char *op, json_t *args)
{
    return json_pack("{s:s, s:o}", "op", op, "args", args);
}

static json_t *json_not(json_t *x, int negated)
{
    return negated ? json_op("not", json_pack("[o]", x)) : x;
}

static json_t *q_json(const struct qnode *q)
{
    switch (q->kind) {
    case Q_AND:
    case Q_OR:
    case Q_NOT: {
        json_t *args = json_array();
        for (size_t k = 0; k < q->n_args; k++)
            json_array_append_new(args, q_json(q->args[k]));
        return json_op(q->kind == Q_AND ? "and" : q->kind == Q_OR ? "or" : "not", args);
    }
    case Q_CMP:
        return json_op(cmp_names[q->op], json_pack("[oo]", json_prop(q->prop), json_lit(q, 0)));
    case Q_CMP_PROP:
        return json_op(cmp_names[q->op],
                       json_pack("[oo]", json_prop(q->prop), json_prop(q->prop2)));
    case Q_LIKE: {
        json_t *left = json_prop(q->prop), *pattern = json_string(q->str[0]);
        if (q->fold & 2) {
            left = json_op("accenti", json_pack("[o]", left));
            pattern = json_op("accenti", json_pack("[o]", pattern));
        }
        if (q->fold & 1) {
            left = json_op("casei", json_pack("[o]", left));
            pattern = json_op("casei", json_pack("[o]", pattern));
        }
        return json_not(json_op("like", json_pack("[oo]", left, pattern)), q->negated);
    }
    case Q_BETWEEN:
        return json_not(json_op("between", json_pack("[ooo]", json_prop(q->prop),
                                                     json_num(q->num[0]), json_num(q->num[1]))),
                        q->negated);
    case Q_IN: {
        json_t *list = json_array();
        for (size_t k = 0; k < q->n_vals; k++)
            json_array_append_new(list, json_lit(q, k));
        return json_not(json_op("in", json_pack("[oo]", json_prop(q->prop), list)), q->negated);
    }
    case Q_ISNULL:
        return json_not(json_op("isNull", json_pack("[o]", json_prop(q->prop))), q->negated);
    case Q_S_BOX:
    case Q_S_POLY: {
        json_t *lit;
        if (q->kind == Q_S_BOX) {
            lit = json_pack("{s:[oooo]}", "bbox", json_real(q->box[0]), json_real(q->box[1]),
                            json_real(q->box[2]), json_real(q->box[3]));
        } else {
            json_t *ring = json_array();
            for (size_t i = 0; i <= q->poly->n; i++) {
                size_t k = i % q->poly->n;
                json_array_append_new(ring, json_pack("[ff]", q->poly->x[k], q->poly->y[k]));
            }
            lit = json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
        }
        json_t *geom = json_pack("{s:s}", "property", "geometry");
        return json_op("s_intersects",
                       q->swap ? json_pack("[oo]", lit, geom) : json_pack("[oo]", geom, lit));
    }
    case Q_TEMPORAL: {
        json_t *lit;
        if (q->interval) {
            lit = json_pack("{s:[ss]}", "interval", q->t[0].open ? ".." : q->t[0].text,
                            q->t[1].open ? ".." : q->t[1].text);
        } else {
            lit = json_pack("{s:s}", q->t[0].is_ts ? "timestamp" : "date", q->t[0].text);
        }
        return json_op(t_json_names[q->op], json_pack("[oo]", json_prop(q->prop), lit));
    }
    }
    return json_null();
}

/* Add filter= (and filter-lang) to url; returns the filter as text, for the report. */
static void add_filter(struct sb *url, const struct qnode *q, int as_json, struct sb *shown)
{
    sb_reset(shown);
    if (as_json) {
        json_t *j = q_json(q);
        char *s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        add_param(url, "filter", s);
        add_param(url, "filter-lang", "cql2-json");
        sb_puts(shown, s);
        free(s);
    } else {
        q_text(q, shown);
        add_param(url, "filter", shown->d);
        if (chance(0.2))
            add_param(url, "filter-lang", "cql2-text");
    }
}

static void test_cql(enum kind k, enum coll coll)
{
    double t0 = now_s();
    size_t n_all = coll == C_CITIES ? N_CITIES : N_LINKS;
    unsigned char *want = xcalloc(n_all, 1);
    struct sb url = {0}, m = {0}, shown = {0};
    for (long n = 0; n < cases_of(k); n++) {
        struct qnode *q = random_filter(coll, 0);
        int as_json = chance(0.3);
        for (size_t i = 0; i < n_all; i++)
            want[i] = (unsigned char)(q_eval(q, coll, i) == TV_T);
        sb_reset(&url);
        sb_printf(&url, "/collections/%s/items?limit=10000",
                  coll == C_CITIES ? "cities" : "partnerships");
        add_filter(&url, q, as_json, &shown);
        struct got g;
        fetch(url.d, coll, 0, 1, 10000, &g);
        sb_reset(&m);
        stats[k].cases++;
        stats[k].json_cases += as_json;
        if (compare_exact(&g, coll, want, &m)) {
            sb_printf(&m, "  filter (%s): %s\n", as_json ? "cql2-json" : "cql2-text", shown.d);
            case_fail(k, n, url.d, m.d);
        }
        got_fini(&g);
        q_free(q);
    }
    free(want);
    sb_fini(&url);
    sb_fini(&m);
    sb_fini(&shown);
    kind_end(k, t0);
}

static void test_cql_cities(void **state)
{
    (void)state;
    test_cql(K_CQL_CITIES, C_CITIES);
}

static void test_cql_partnerships(void **state)
{
    (void)state;
    test_cql(K_CQL_LINKS, C_LINKS);
}

/* --- sortby and paging ------------------------------------------------------------------------ */

struct sort_key {
    enum prop prop;
    int desc;
};

static struct sort_key sort_keys[4];
static size_t n_sort_keys;
static enum coll sort_coll;

/* A sort value: a NULL sorts first (lowest); established by its text as stored. */
static struct val sort_value(size_t i, enum prop p)
{
    if (sort_coll == C_LINKS && p == P_ESTABLISHED) {
        struct val v = {V_NULL, 0, NULL};
        if (links[i].est[0])
            v.t = V_STR, v.str = links[i].est;
        return v;
    }
    return value_of(sort_coll, i, p);
}

static int cmp_sorted(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    for (size_t k = 0; k < n_sort_keys; k++) {
        struct val u = sort_value(x, sort_keys[k].prop), v = sort_value(y, sort_keys[k].prop);
        int c;
        if (u.t == V_NULL || v.t == V_NULL)
            c = (u.t != V_NULL) - (v.t != V_NULL);
        else if (u.t == V_NUM)
            c = u.num < v.num ? -1 : u.num > v.num;
        else
            c = strcmp(u.str, v.str);
        if (c)
            return sort_keys[k].desc ? -c : c;
    }
    return strcmp(value_of(sort_coll, x, P_ID).str, value_of(sort_coll, y, P_ID).str);
}

/* Walk back from the last page of g by prev links: the pages must hold, in reverse, what the
 * forward walk found, and the first page must have no prev link. Returns the problems found. */
static int walk_back(const struct got *g, enum coll coll, long limit, struct sb *m)
{
    size_t end = g->n - (g->n - (size_t)(g->pages - 1) * (size_t)limit); /* the last page's start */
    char *prev = g->prev ? xstrdup(g->prev) : NULL;
    long pages = 1;
    int bad = 0;
    if (!prev) {
        sb_printf(m, "  the last of %ld pages has no prev link\n", g->pages);
        return 1;
    }
    while (prev && !bad) {
        struct got p;
        fetch_once(prev, coll, 0, 1, limit, &p);
        pages++;
        if (p.status != 200) {
            sb_printf(m, "  prev %s: status %ld: %.300s\n", prev, p.status, p.error);
            bad++;
        } else if (p.n > end) {
            sb_printf(m, "  prev %s: %zu features, but only %zu precede\n", prev, p.n, end);
            bad++;
        } else {
            for (size_t i = 0; i < p.n && !bad; i++)
                if (strcmp(p.ids[i], g->ids[end - p.n + i])) {
                    sb_printf(m, "  prev %s: feature %zu is %s, going forward it was %s\n", prev, i,
                              p.ids[i], g->ids[end - p.n + i]);
                    bad++;
                }
            end -= p.n;
        }
        free(prev);
        prev = p.prev ? xstrdup(p.prev) : NULL;
        if (!bad && pages > g->pages) {
            sb_printf(m, "  going back by prev links took more than the %ld pages\n", g->pages);
            bad++;
        }
        if (!bad && !prev && end != 0) {
            sb_printf(m, "  going back, no prev link with %zu features still before\n", end);
            bad++;
        }
        got_fini(&p);
    }
    free(prev);
    return bad;
}

static void test_sort(void **state)
{
    (void)state;
    enum kind k = K_SORT;
    double t0 = now_s();
    struct sb url = {0}, m = {0}, v = {0};
    size_t *order = xcalloc(N_CITIES > N_LINKS ? N_CITIES : N_LINKS, sizeof *order);
    for (long n = 0; n < cases_of(k); n++) {
        sort_coll = chance(0.5) ? C_CITIES : C_LINKS;
        static const enum prop city_keys[] = {P_POPULATION, P_NAME_EN, P_COUNTRY, P_LEVEL,
                                              P_PARTNERS,   P_REGION,  P_ID};
        static const enum prop link_keys[] = {P_ESTABLISHED, P_KIND,   P_DISTANCE_KM,
                                              P_CN_NAME,     P_LLEVEL, P_ID};
        const enum prop *keys = sort_coll == C_CITIES ? city_keys : link_keys;
        size_t n_keys = sort_coll == C_CITIES ? 7 : 6;
        /* Without sortby the order is by id and pages go by key (after=, before=). */
        int by_key = chance(0.35);
        n_sort_keys = by_key ? 0 : (size_t)rnd_int(1, 3);
        sb_reset(&v);
        for (size_t i = 0; i < n_sort_keys; i++) {
            int fresh;
            do {
                /* any key, but id first would leave nothing to sort after it */
                sort_keys[i].prop = keys[rnd_below(n_keys - (i == 0))];
                fresh = 1;
                for (size_t j = 0; j < i; j++)
                    fresh &= sort_keys[j].prop != sort_keys[i].prop;
            } while (!fresh);
            sort_keys[i].desc = chance(0.5);
            sb_printf(&v, "%s%s%s", i ? "," : "",
                      sort_keys[i].desc ? "-"
                      : chance(0.3)     ? "+"
                                        : "",
                      prop_names[sort_keys[i].prop]);
        }
        /* Narrow the collection so that pages of 7 stay few, now and then take it all. */
        size_t n_all = sort_coll == C_CITIES ? N_CITIES : N_LINKS, n_want = 0;
        int whole = chance(0.15);
        long limit = whole ? 400 : 7;
        sb_reset(&url);
        sb_printf(&url, "/collections/%s/items?limit=%ld",
                  sort_coll == C_CITIES ? "cities" : "partnerships", limit);
        if (!by_key)
            add_param(&url, "sortby", v.d);
        double box[4] = {-180, -90, 180, 90};
        char year[8] = "";
        const char *country = NULL, *kind = NULL;
        if (!whole) {
            if (sort_coll == C_CITIES) {
                if (chance(0.4)) {
                    country = other_countries[rnd_below(N_OTHER_COUNTRIES)];
                    add_param(&url, "country", country);
                } else {
                    const struct city *c = &cities[rnd_below(N_CN + N_JP)];
                    double h = rnd_range(0.5, 2);
                    box[0] = round6(c->lon - h);
                    box[2] = round6(c->lon + h);
                    box[1] = round6(c->lat - h);
                    box[3] = round6(c->lat + h);
                    sb_reset(&m);
                    box_text(&m, box, 0);
                    add_param(&url, "bbox", m.d);
                }
            } else {
                kind = kinds[rnd_below(N_KINDS)];
                snprintf(year, sizeof year, "%d", rnd_int(1975, 2020));
                add_param(&url, "kind", kind);
                add_param(&url, "datetime", year);
            }
        }
        long y = year[0] ? atol(year) : 0;
        for (size_t i = 0; i < n_all; i++) {
            int ok;
            if (sort_coll == C_CITIES)
                ok = (!country || !strcmp(cities[i].country, country)) && city_in_box(i, box);
            else
                ok = (!kind || !strcmp(links[i].kind, kind)) &&
                     (!y || (links[i].est[0] && links[i].last >= jdn((int)y, 1, 1) &&
                             links[i].first <= jdn((int)y, 12, 31)));
            if (ok)
                order[n_want++] = i;
        }
        qsort(order, n_want, sizeof *order, cmp_sorted);
        struct got g;
        fetch(url.d, sort_coll, 1, 1000, limit, &g);
        sb_reset(&m);
        stats[k].cases++;
        int bad = 0;
        if (g.status != 200) {
            sb_printf(&m, "  status %ld: %.400s\n", g.status, g.error ? g.error : "");
            bad++;
        } else {
            if (g.anomaly) {
                sb_printf(&m, "  %s\n", g.anomaly);
                bad++;
            }
            if (g.n != n_want) {
                sb_printf(&m, "  %zu features over %ld pages, expected %zu\n", g.n, g.pages,
                          n_want);
                bad++;
            }
            for (size_t i = 0; i < g.n && i < n_want; i++) {
                if (g.idx[i] == (long)order[i])
                    continue;
                sb_printf(&m, "  at %zu (page %zu): got %s, expected ", i, i / (size_t)limit + 1,
                          g.ids[i]);
                describe(&m, sort_coll, order[i]);
                sb_puts(&m, "\n");
                if (g.idx[i] >= 0) {
                    sb_puts(&m, "    got: ");
                    describe(&m, sort_coll, (size_t)g.idx[i]);
                    sb_puts(&m, "\n");
                }
                bad++;
                break;
            }
            if (!bad && g.pages > 1)
                bad += walk_back(&g, sort_coll, limit, &m);
        }
        if (bad)
            case_fail(k, n, url.d, m.d);
        got_fini(&g);
    }
    free(order);
    sb_fini(&url);
    sb_fini(&m);
    sb_fini(&v);
    kind_end(k, t0);
}

/* --- combinations ----------------------------------------------------------------------------- */

static void test_combo(void **state)
{
    (void)state;
    enum kind k = K_COMBO;
    double t0 = now_s();
    unsigned char *want = xcalloc(N_CITIES > N_LINKS ? N_CITIES : N_LINKS, 1);
    double *dist = xcalloc(N_CITIES, sizeof *dist);
    struct hit *e = xcalloc(N_CITIES, sizeof *e);
    struct sb url = {0}, m = {0}, v = {0}, shown = {0};
    for (long n = 0; n < cases_of(k); n++) {
        enum coll coll = chance(0.5) ? C_CITIES : C_LINKS;
        size_t n_all = coll == C_CITIES ? N_CITIES : N_LINKS;
        double box[4];
        int has_box = chance(0.7), as_json = chance(0.3);
        struct qnode *q = chance(0.75) ? random_filter(coll, 1) : NULL;
        random_box(box);
        /* near= over places, with or without radius, filtered like the rest */
        int near = coll == C_CITIES && chance(0.35) ? 1 + chance(0.5) : 0; /* 2: k nearest */
        long limit = near == 2 ? rnd_int(1, 40) : 10000;
        double nlon = 0, nlat = 0, radius = 0;
        sb_reset(&url);
        sb_printf(&url, "/collections/%s/items?limit=%ld",
                  coll == C_CITIES ? "cities" : "partnerships", limit);
        if (near) {
            char a[40], b[40];
            near_point(&nlon, &nlat);
            fmt_num(a, nlon);
            fmt_num(b, nlat);
            sb_printf(&url, "&near=%s,%s", a, b);
            if (near == 1) {
                radius = round(rnd_log(1e3, 5e6));
                sb_printf(&url, "&radius=%.0f", radius);
            }
        }
        if (has_box) {
            sb_reset(&v);
            box_text(&v, box, 0);
            add_param(&url, "bbox", v.d);
        }
        sb_reset(&shown);
        if (q)
            add_filter(&url, q, as_json, &shown);
        /* the equality filters of the collection, and properties as parameters */
        const char *eq_param = NULL, *eq_value = NULL;
        char num[32];
        size_t pick = rnd_below(coll == C_CITIES ? N_CITIES : N_LINKS);
        int which = rnd_int(0, 5);
        if (coll == C_CITIES) {
            const struct city *c = &cities[pick];
            if (which < 2)
                eq_param = "country", eq_value = c->country;
            else if (which == 2)
                eq_param = "level", eq_value = c->level;
            else if (which == 3 && c->region[0])
                eq_param = "region", eq_value = c->region;
            else if (which == 4 && c->has_pop) {
                snprintf(num, sizeof num, "%lld", c->pop);
                eq_param = "population", eq_value = num;
            } else
                eq_param = "name_en", eq_value = c->name;
        } else {
            const struct link *l = &links[pick];
            if (which < 2)
                eq_param = "kind", eq_value = l->kind;
            else if (which == 2)
                eq_param = "level", eq_value = l->level;
            else if (which == 3)
                eq_param = "city", eq_value = chance(0.5) ? cities[l->cn].id : cities[l->jp].id;
            else if (which == 4)
                eq_param = "region",
                eq_value = chance(0.5) ? cities[l->cn].region : cities[l->jp].region;
            else
                eq_param = "jp_name_en", eq_value = cities[l->jp].name;
        }
        add_param(&url, eq_param, eq_value);
        long qf = LONG_MIN, ql = LONG_MAX;
        int has_dt = coll == C_LINKS && chance(0.6);
        if (has_dt) {
            struct instant a, b;
            random_instant(&a, 1);
            random_instant(&b, 1);
            if (b.last < a.first) {
                struct instant t = a;
                a = b;
                b = t;
            }
            sb_reset(&v);
            if (chance(0.3)) {
                sb_puts(&v, a.text);
                qf = a.first;
                ql = a.last;
            } else {
                sb_printf(&v, "%s/%s", a.text, b.text);
                qf = a.first;
                ql = b.last;
            }
            add_param(&url, "datetime", v.d);
        }
        for (size_t i = 0; i < n_all; i++) {
            int ok = 1;
            if (has_box)
                ok &= coll == C_CITIES ? city_in_box(i, box) : link_in_box(i, box);
            if (q)
                ok &= q_eval(q, coll, i) == TV_T;
            if (coll == C_CITIES) {
                const struct city *c = &cities[i];
                char pop[32];
                snprintf(pop, sizeof pop, "%lld", c->pop);
                const char *val = !strcmp(eq_param, "country")   ? c->country
                                  : !strcmp(eq_param, "level")   ? c->level
                                  : !strcmp(eq_param, "region")  ? c->region
                                  : !strcmp(eq_param, "name_en") ? c->name
                                  : c->has_pop                   ? pop
                                                                 : "";
                ok &= !strcmp(val, eq_value);
            } else {
                const struct link *l = &links[i];
                if (!strcmp(eq_param, "kind"))
                    ok &= !strcmp(l->kind, eq_value);
                else if (!strcmp(eq_param, "level"))
                    ok &= !strcmp(l->level, eq_value);
                else if (!strcmp(eq_param, "city"))
                    ok &=
                        !strcmp(cities[l->cn].id, eq_value) || !strcmp(cities[l->jp].id, eq_value);
                else if (!strcmp(eq_param, "region"))
                    ok &= !strcmp(cities[l->cn].region, eq_value) ||
                          !strcmp(cities[l->jp].region, eq_value);
                else
                    ok &= !strcmp(cities[l->jp].name, eq_value);
                if (has_dt)
                    ok &= l->est[0] && l->last >= qf && l->first <= ql;
            }
            want[i] = (unsigned char)ok;
        }
        struct got g;
        fetch(url.d, coll, 0, 1, 10000, &g);
        sb_reset(&m);
        stats[k].cases++;
        stats[k].json_cases += q && as_json;
        int bad;
        if (near) {
            /* The filtered places by distance: within the radius, or the limit nearest. */
            size_t n_f = 0;
            for (size_t i = 0; i < n_all; i++) {
                dist[i] = geo_dist(nlon, nlat, cities[i].lon, cities[i].lat);
                if (want[i]) {
                    e[n_f].i = i;
                    e[n_f].d = dist[i];
                    n_f++;
                }
                if (near == 1 && want[i])
                    want[i] =
                        (unsigned char)(fabs(dist[i] - radius) <= 0.5 ? 2 : dist[i] <= radius);
            }
            hit_coll = C_CITIES;
            qsort(e, n_f, sizeof *e, cmp_hit);
            bad = near == 1 ? compare_set(&g, C_CITIES, want, &m)
                            : check_knn(&g, dist, e, n_f, (size_t)limit, 0.5, &m);
            bad += check_near_order(&g, C_CITIES, dist, 0.5, &m);
            if (near == 2 && g.status == 200 && g.matched != (long long)n_f) {
                sb_printf(&m, "  numberMatched %lld, expected %zu\n", g.matched, n_f);
                bad++;
            }
        } else {
            bad = compare_exact(&g, coll, want, &m);
        }
        if (bad) {
            if (q)
                sb_printf(&m, "  filter (%s): %s\n", as_json ? "cql2-json" : "cql2-text", shown.d);
            case_fail(k, n, url.d, m.d);
        }
        got_fini(&g);
        q_free(q);
    }
    free(dist);
    free(e);
    free(want);
    sb_fini(&url);
    sb_fini(&m);
    sb_fini(&v);
    sb_fini(&shown);
    kind_end(k, t0);
}

/* --- geodesic ground truth: PROJ's geod command ----------------------------------------------- */

static int find_geod(char out[512])
{
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "/usr/bin:/bin");
    int found = 0;
    for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        snprintf(out, 512, "%s/geod", dir);
        found = access(out, X_OK) == 0;
    }
    free(copy);
    return found;
}

static void test_geod(void **state)
{
    (void)state;
    enum kind k = K_GEOD;
    double t0 = now_s();
    char geod[512], path[400], cmd[1200];
    if (!find_geod(geod))
        fail_msg("PROJ's `geod` command is not on PATH: install proj-bin (a declared dependency "
                 "of partnermap, see the Makefile); the geodesic ground truth needs it");
    long n_pairs = cases_of(k) / 2, n_near = cases_of(k) - n_pairs;
    struct pair {
        char url[200];
        char a_lat[40], a_lon[40], b_lat[40], b_lon[40];
        double served_m, oracle_m;
    } *pairs = xcalloc((size_t)(n_pairs + n_near), sizeof *pairs);
    struct sb body = {0}, m = {0};
    /* What the server says: distance_km of random partnerships, distance_m of a nearest place. */
    for (long i = 0; i < n_pairs + n_near; i++) {
        struct pair *p = &pairs[i];
        const struct city *a = NULL, *b = NULL;
        double lon = 0, lat = 0;
        char x[40], y[40];
        if (i < n_pairs) {
            const struct link *l = &links[rnd_below(N_LINKS)];
            a = &cities[l->cn];
            b = &cities[l->jp];
            snprintf(p->url, sizeof p->url, "/collections/partnerships/items/%s", l->id);
            snprintf(p->a_lat, sizeof p->a_lat, "%s", a->lat_s);
            snprintf(p->a_lon, sizeof p->a_lon, "%s", a->lon_s);
        } else {
            near_point(&lon, &lat);
            fmt_num(x, lon);
            fmt_num(y, lat);
            snprintf(p->url, sizeof p->url, "/collections/cities/items?near=%s,%s&limit=1", x, y);
            snprintf(p->a_lat, sizeof p->a_lat, "%s", y);
            snprintf(p->a_lon, sizeof p->a_lon, "%s", x);
        }
        long status = http_get(p->url, &body);
        json_t *root = status == 200 ? json_loadb(body.d, body.n, 0, NULL) : NULL;
        json_t *ft = i < n_pairs ? root : json_array_get(json_object_get(root, "features"), 0);
        json_t *props = json_object_get(ft, "properties");
        p->served_m = NAN;
        if (i < n_pairs) {
            p->served_m = json_number_value(json_object_get(props, "distance_km")) * 1000;
            p->oracle_m = geo_dist(a->lon, a->lat, b->lon, b->lat);
        } else if (ft) {
            long c = find_city(json_string_value(json_object_get(ft, "id")));
            if (c >= 0) {
                b = &cities[c];
                p->served_m = json_number_value(json_object_get(props, "distance_m"));
                p->oracle_m = geo_dist(lon, lat, b->lon, b->lat);
            }
        }
        if (b) {
            snprintf(p->b_lat, sizeof p->b_lat, "%s", b->lat_s);
            snprintf(p->b_lon, sizeof p->b_lon, "%s", b->lon_s);
        } else {
            snprintf(p->b_lat, sizeof p->b_lat, "%s", p->a_lat);
            snprintf(p->b_lon, sizeof p->b_lon, "%s", p->a_lon);
        }
        json_decref(root);
    }
    /* What geod says, for all pairs in one run. */
    snprintf(path, sizeof path, "%s/geod-input.txt", tmpdir);
    FILE *in = fopen(path, "w");
    if (!in)
        fail_msg("cannot write %s", path);
    for (long i = 0; i < n_pairs + n_near; i++)
        fprintf(in, "%s %s %s %s\n", pairs[i].a_lat, pairs[i].a_lon, pairs[i].b_lat,
                pairs[i].b_lon);
    fclose(in);
    snprintf(cmd, sizeof cmd, "'%s' +ellps=WGS84 -I +units=m -f %%.3f < '%s'", geod, path);
    FILE *out = popen(cmd, "r");
    if (!out)
        fail_msg("cannot run %s", cmd);
    char line[256];
    long i = 0;
    while (i < n_pairs + n_near && fgets(line, sizeof line, out)) {
        struct pair *p = &pairs[i];
        double az1, az2, s = NAN;
        stats[k].cases++;
        sb_reset(&m);
        if (sscanf(line, "%lf %lf %lf", &az1, &az2, &s) != 3)
            sb_printf(&m, "  geod printed '%s'\n", line);
        else if (isnan(p->served_m) || fabs(p->served_m - s) > 1.0 || fabs(p->oracle_m - s) > 0.01)
            sb_printf(&m, "  %s %s -> %s %s: served %.3f m, geod %.3f m, oracle %.3f m\n", p->a_lat,
                      p->a_lon, p->b_lat, p->b_lon, p->served_m, s, p->oracle_m);
        if (m.n)
            case_fail(k, i, p->url, m.d);
        i++;
    }
    int rc = pclose(out);
    if (i != n_pairs + n_near || rc != 0)
        fail_msg("%s: exit status %d after %ld of %ld lines", cmd, rc, i, n_pairs + n_near);
    free(pairs);
    sb_fini(&body);
    sb_fini(&m);
    kind_end(k, t0);
}

/* --- set-up ----------------------------------------------------------------------------------- */

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[600];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

static int setup(void **state)
{
    (void)state;
    const char *seed = getenv("PM_ORACLE_SEED"), *sc = getenv("PM_ORACLE_SCALE");
    rng_state = seed && *seed ? strtoull(seed, NULL, 0) : 0x0c0ffee5eedULL;
#ifdef PM_TEST_ASAN
    scale = 0.2;
#endif
    if (sc && *sc)
        scale = strtod(sc, NULL);
    fprintf(stderr, "oracle: seed %#llx, scale %.2f\n", (unsigned long long)rng_state, scale);
    geod_init(&wgs84, 6378137.0, 1 / 298.257223563);

    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/pm-oracle-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(dbpath, sizeof dbpath, "%s/oracle.sqlite", tmpdir);
    double t0 = now_s();
    make_dataset();
    FILE *devnull = fopen("/dev/null", "w");
    int rc = pm_spatialite_load(dbpath, tmpdir, devnull ? devnull : stdout, stderr);
    if (devnull)
        fclose(devnull);
    if (rc) {
        fprintf(stderr, "oracle: loading the synthetic data set in %s failed\n", tmpdir);
        return -1;
    }
    fprintf(stderr, "oracle: data set of %d places and %d partnerships loaded in %.1f s\n",
            N_CITIES, N_LINKS, now_s() - t0);

    struct pm_error err = {0};
    pm_log_set_level(PM_LOG_WARN);
    store = pm_spatialite_open(dbpath, 4, &err);
    if (!store) {
        fprintf(stderr, "cannot open %s: %s\n", dbpath, err.message);
        return -1;
    }
    /* As `partnermap serve` runs by default: with the response cache. */
    struct pm_api_config cfg = {.base_url = NULL,
                                .fallback_base_url = NULL,
                                .viewer_dir = NULL,
                                .cache_bytes = (size_t)8 << 20};
    api = pm_api_new(store, &cfg);
    struct pm_http_config hcfg = {.bind = "127.0.0.1", .port = 0, .threads = 2, .cors_origin = "*"};
    http = pm_http_start(api, &hcfg, &err);
    if (!http) {
        fprintf(stderr, "cannot start the server: %s\n", err.message);
        return -1;
    }
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", pm_http_port(http));
    curl = curl_easy_init();
    if (!curl)
        return -1;
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    double total = 0;
    fprintf(stderr, "oracle: %-24s %7s %7s %9s %8s\n", "kind", "cases", "failed", "as json",
            "seconds");
    for (int k = 0; k < K_N; k++) {
        fprintf(stderr, "oracle: %-24s %7ld %7ld %9ld %8.2f\n", kind_names[k], stats[k].cases,
                stats[k].failed, stats[k].json_cases, stats[k].seconds);
        total += stats[k].seconds;
    }
    fprintf(stderr, "oracle: queries took %.1f s\n", total);
    if (curl)
        curl_easy_cleanup(curl);
    pm_http_stop(http, 2000);
    pm_api_free(api);
    pm_store_close(store);
    const char *keep = getenv("PM_ORACLE_KEEP");
    if (keep && *keep)
        fprintf(stderr, "oracle: the data set and database are kept in %s\n", tmpdir);
    else
        remove_tmpdir();
    return 0;
}

int main(void)
{
    pm_spatialite_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bbox_cities),
        cmocka_unit_test(test_bbox_partnerships),
        cmocka_unit_test(test_near_radius),
        cmocka_unit_test(test_near_knn),
        cmocka_unit_test(test_near_partnerships),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_cql_cities),
        cmocka_unit_test(test_cql_partnerships),
        cmocka_unit_test(test_sort),
        cmocka_unit_test(test_combo),
        cmocka_unit_test(test_geod),
    };
    int rc = cmocka_run_group_tests_name("oracle", tests, setup, teardown);
    curl_global_cleanup();
    pm_spatialite_shutdown();
    return rc;
}
