/*
 * Geodesic distances on the WGS 84 ellipsoid, through PROJ's implementation of Karney's
 * algorithms (geodesic.h): point to point, point to a link, and the bounding box of a
 * geodesic disc, which turns "within R metres" into an R*Tree search that misses nothing.
 *
 * A link is served as a straight LineString in lon/lat; its distance to a point is the
 * geodesic distance to the nearest point of that line (not of the great-circle arc), found by
 * a coarse scan and a golden-section refinement to well under a metre.
 */
#include "geodesic_math.h"

#include "util/util.h"

#include <geodesic.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct geod_geodesic wgs84;
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;

static void wgs84_init(void)
{
    geod_init(&wgs84, 6378137.0, 1 / 298.257223563);
}

static const struct geod_geodesic *ellipsoid(void)
{
    pthread_once(&wgs84_once, wgs84_init);
    return &wgs84;
}

double pm_geod_distance_m(double lon1, double lat1, double lon2, double lat2)
{
    double s12 = 0;
    geod_inverse(ellipsoid(), lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

static double at(double lon, double lat, double alon, double alat, double blon, double blat,
                 double t)
{
    return pm_geod_distance_m(lon, lat, alon + t * (blon - alon), alat + t * (blat - alat));
}

double pm_geod_point_segment_m(double lon, double lat, double alon, double alat, double blon,
                               double blat)
{
    /* Scan the segment coarsely, then refine around the best sample: the distance along a
     * short piece of the segment is unimodal, so golden-section search converges. */
    enum { SAMPLES = 64 };
    double best_t = 0, best = at(lon, lat, alon, alat, blon, blat, 0);
    for (int i = 1; i <= SAMPLES; i++) {
        double t = (double)i / SAMPLES;
        double d = at(lon, lat, alon, alat, blon, blat, t);
        if (d < best) {
            best = d;
            best_t = t;
        }
    }
    double lo = fmax(0, best_t - 1.0 / SAMPLES), hi = fmin(1, best_t + 1.0 / SAMPLES);
    const double g = (sqrt(5.0) - 1) / 2;
    double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
    double f1 = at(lon, lat, alon, alat, blon, blat, x1);
    double f2 = at(lon, lat, alon, alat, blon, blat, x2);
    for (int i = 0; i < 60; i++) {
        if (f1 < f2) {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - g * (hi - lo);
            f1 = at(lon, lat, alon, alat, blon, blat, x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + g * (hi - lo);
            f2 = at(lon, lat, alon, alat, blon, blat, x2);
        }
    }
    return fmin(best, fmin(f1, f2));
}

/* How far east of lon (degrees, 0 to 180) the point at radius_m along azimuth az lies, and
 * its latitude. */
static double disc_dlon(double lon, double lat, double az, double radius_m, double *plat)
{
    double plon;
    geod_direct(ellipsoid(), lat, lon, az, radius_m, plat, &plon, NULL);
    double dlon = plon - lon;
    while (dlon < -180)
        dlon += 360;
    while (dlon > 180)
        dlon -= 360;
    return fabs(dlon);
}

int pm_geod_disc_bbox(double lon, double lat, double radius_m, double out[4])
{
    /* A disc that reaches a pole, or is too large to bound by sampling, is the whole world. */
    double north_lat, south_lat, dummy;
    geod_direct(ellipsoid(), lat, lon, 0, radius_m, &north_lat, &dummy, NULL);
    geod_direct(ellipsoid(), lat, lon, 180, radius_m, &south_lat, &dummy, NULL);
    if (radius_m > 5.0e6 || pm_geod_distance_m(lon, lat, lon, 90) <= radius_m ||
        pm_geod_distance_m(lon, lat, lon, -90) <= radius_m) {
        out[0] = -180;
        out[1] = pm_geod_distance_m(lon, lat, lon, -90) <= radius_m ? -90 : south_lat;
        out[2] = 180;
        out[3] = pm_geod_distance_m(lon, lat, lon, 90) <= radius_m ? 90 : north_lat;
        return 0;
    }
    /* The widest longitude is reached near azimuth 90. The eastern half (the disc is
     * symmetric about its meridian) is sampled every 10 degrees, then the widest sample's
     * neighbourhood searched by golden section; the result is padded. */
    double max_dlon = 0, min_lat = south_lat, max_lat = north_lat, best_az = 90;
    for (int i = 0; i <= 180; i += 10) {
        double plat, dlon = disc_dlon(lon, lat, (double)i, radius_m, &plat);
        if (dlon > max_dlon) {
            max_dlon = dlon;
            best_az = i;
        }
        min_lat = fmin(min_lat, plat);
        max_lat = fmax(max_lat, plat);
    }
    const double g = 0.6180339887498949;
    double a = fmax(0, best_az - 10), b = fmin(180, best_az + 10), plat;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = disc_dlon(lon, lat, c, radius_m, &plat),
           fd = disc_dlon(lon, lat, d, radius_m, &plat);
    while (b - a > 1e-4) {
        if (fc > fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = disc_dlon(lon, lat, c, radius_m, &plat);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = disc_dlon(lon, lat, d, radius_m, &plat);
        }
    }
    max_dlon = fmax(max_dlon, fmax(fc, fd));
    double pad_lon = max_dlon * 0.01 + 1e-6, pad_lat = (max_lat - min_lat) * 0.005 + 1e-6;
    max_dlon += pad_lon;
    out[1] = fmax(-90, min_lat - pad_lat);
    out[3] = fmin(90, max_lat + pad_lat);
    if (max_dlon >= 180) {
        out[0] = -180;
        out[2] = 180;
        return 0;
    }
    out[0] = lon - max_dlon;
    out[2] = lon + max_dlon;
    /* Across the antimeridian the box wraps: west > east, as in a bbox parameter. */
    if (out[0] < -180)
        out[0] += 360;
    if (out[2] > 180)
        out[2] -= 360;
    return 0;
}

/* A coordinate as SpatiaLite's AsGeoJSON(geom, 6) writes it: 6 decimals, trailing zeros
 * dropped. */
static void append_number(struct pm_strbuf *out, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.6f", v);
    size_t len = strlen(buf);
    while (len && buf[len - 1] == '0')
        buf[--len] = '\0';
    if (len && buf[len - 1] == '.')
        buf[--len] = '\0';
    pm_strbuf_append_str(out, strcmp(buf, "-0") ? buf : "0");
}

static void append_point(struct pm_strbuf *out, double lon, double lat, int first)
{
    pm_strbuf_append_str(out, first ? "[" : ",[");
    append_number(out, lon);
    pm_strbuf_append_char(out, ',');
    append_number(out, lat);
    pm_strbuf_append_char(out, ']');
}

void pm_geod_densify_geojson(const double *xy, size_t n, double max_segment_m,
                             struct pm_strbuf *out)
{
    pm_strbuf_append_str(out, "{\"type\":\"LineString\",\"coordinates\":[");
    for (size_t i = 0; i + 1 < n || (i == 0 && n == 1); i++) {
        if (n == 1) {
            append_point(out, xy[0], xy[1], 1);
            break;
        }
        struct geod_geodesicline line;
        geod_inverseline(&line, ellipsoid(), xy[2 * i + 1], xy[2 * i], xy[2 * i + 3], xy[2 * i + 2],
                         GEOD_LATITUDE | GEOD_LONGITUDE | GEOD_DISTANCE_IN);
        double length = line.s13;
        long pieces = (long)ceil(length / max_segment_m);
        if (pieces < 1)
            pieces = 1;
        if (i == 0)
            append_point(out, xy[0], xy[1], 1);
        for (long k = 1; k <= pieces; k++) {
            double lat, lon;
            if (k == pieces) {
                lon = xy[2 * i + 2];
                lat = xy[2 * i + 3];
            } else {
                geod_position(&line, length * (double)k / (double)pieces, &lat, &lon, NULL);
            }
            append_point(out, lon, lat, 0);
        }
    }
    pm_strbuf_append_str(out, "]}");
}
