/*
 * Geodesic distances on the WGS 84 ellipsoid (PROJ's geodesic.h). Thread-safe; no allocation.
 * Longitudes and latitudes in degrees, distances in metres.
 */
#ifndef PM_GEODESIC_MATH_H
#define PM_GEODESIC_MATH_H

#include <stddef.h>

/* The geodesic distance between two points. */
double pm_geod_distance_m(double lon1, double lat1, double lon2, double lat2);

/* The geodesic distance from (lon, lat) to the nearest point of the straight lon/lat segment
 * from A to B (the line as a LineString draws it). Accurate to well under a metre. */
double pm_geod_point_segment_m(double lon, double lat, double alon, double alat, double blon,
                               double blat);

/* A box (west, south, east, north; west > east when it crosses the antimeridian) that holds
 * every point within radius_m of (lon, lat). Returns 0. */
int pm_geod_disc_bbox(double lon, double lat, double radius_m, double out[4]);

struct pm_strbuf;

/* Append a GeoJSON LineString through the n points xy (lon, lat pairs) whose every segment
 * follows the geodesic, in pieces no longer than max_segment_m, coordinates with 6
 * decimals. */
void pm_geod_densify_geojson(const double *xy, size_t n, double max_segment_m,
                             struct pm_strbuf *out);

#endif
