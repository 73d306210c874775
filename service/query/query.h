/*
 * query: request parameters, checked against an allow-list, turned into plain values that
 * the store compiles to SQL. Knows nothing of HTTP or SQL: it receives decoded key/value
 * pairs and returns numbers, day strings and names, or a client error (400) that names the
 * parameter and what was expected.
 *
 * Dates are handled at the granularity of whole days (the data is dated at best to the
 * day): every date or interval becomes the first and last day it covers, as "YYYY-MM-DD".
 */
#ifndef PM_QUERY_H
#define PM_QUERY_H

#include "util/util.h"

#include <stddef.h>

/* One decoded query parameter. Strings are borrowed from the caller. */
struct pm_kv {
    const char *key;
    const char *value;
};

/* A calendar day. */
struct pm_day {
    int y, m, d;
};

#define PM_DAY_STR 11 /* "YYYY-MM-DD" and NUL */

/* Parse a partial ISO 8601 date as the data gives it ("1979", "1979-05", "1979-05-01") into
 * the first and last day it stands for. Returns 0, or -1 if s is not such a date. */
int pm_date_parse_partial(const char *s, struct pm_day *first, struct pm_day *last);
void pm_day_format(const struct pm_day *day, char out[PM_DAY_STR]);

/* A datetime parameter (OGC API – Features /req/core/fc-time-definition): an instant
 * (RFC 3339 date or date-time; also a partial date "1979" or "1979-05"), or an interval
 * "a/b" whose ends may be open (".." or empty) and whose second end may be an ISO 8601
 * duration added to the first ("2001-03-20/P2D"). first/last are the days covered ("" for
 * an open end). Returns 0, or -1 with err naming what was wrong. */
struct pm_datetime {
    char first[PM_DAY_STR];
    char last[PM_DAY_STR];
};
int pm_datetime_parse(const char *s, struct pm_datetime *out, struct pm_error *err);

/* A bbox parameter: "west,south,east,north" (or 6 numbers with heights, which are ignored)
 * in CRS84. west > east is a box across the antimeridian and is valid. */
int pm_bbox_parse(const char *s, double out[4], struct pm_error *err);

/* Response formats: what `f` or the Accept header asked for. */
enum pm_format { PM_FORMAT_JSON, PM_FORMAT_HTML };

/* Parse `f` ("json", "geojson", "html"); -1 with err for anything else. */
int pm_format_parse(const char *s, enum pm_format *out, struct pm_error *err);

#define PM_LIMIT_DEFAULT 10
#define PM_LIMIT_MAX 10000
#define PM_FILTERS_MAX 16

/* An equality filter, e.g. country=CN: one of the collection's filter parameters or any of
 * its properties. Strings borrowed from the request. */
struct pm_filter_eq {
    const char *param;
    const char *value;
};

#define PM_SORT_MAX 8
#define PM_PROPERTIES_MAX 64

struct pm_sort_key {
    long property; /* index into the spec's property names; -1 for the id */
    int descending;
};

enum pm_geometry_mode { PM_GEOMETRY_STRAIGHT, PM_GEOMETRY_GEODESIC };

struct pm_cql_node;

/* What a collection offers, for checking an items request: its equality filter parameters
 * and its properties (which sortby and properties may name). Strings borrowed. */
struct pm_items_spec {
    const char *const *filter_names;
    size_t n_filter_names;
    const char *const *property_names;
    size_t n_property_names;
};

/* The parameters of an items request, after checking. Strings are borrowed from the kv
 * array given to pm_items_params_parse and live as long as it does; `filter` is owned and
 * freed by pm_items_params_fini. */
struct pm_items_params {
    long limit;  /* 1 .. PM_LIMIT_MAX (larger requests are clamped) */
    long offset; /* >= 0 */
    int has_bbox;
    double bbox[4];
    int has_datetime;
    struct pm_datetime datetime;
    size_t n_filters;
    struct pm_filter_eq filters[PM_FILTERS_MAX];
    struct pm_cql_node *filter; /* filter=, parsed (cql2-text or cql2-json), or NULL */
    size_t n_sort;              /* sortby=; 0: by id */
    struct pm_sort_key sort[PM_SORT_MAX];
    int has_properties; /* properties=: only these (indexes into the spec's names) */
    size_t n_properties;
    size_t properties[PM_PROPERTIES_MAX];
    int skip_geometry; /* skipGeometry=true */
    int has_near;      /* near=lon,lat: by geodesic distance from this point */
    double near[2];
    int has_radius; /* radius= metres: only within it; without it the limit nearest */
    double radius_m;
    const char *q;      /* q=: a name search, or NULL */
    const char *after;  /* after=<id>: the page after this feature (paging by key), or NULL */
    const char *before; /* before=<id>: the page before this feature, or NULL */
    enum pm_geometry_mode geometry; /* geometry=straight|geodesic */
    /* Not a parameter: set by the caller that writes each feature as GeoJSON with every
     * property and its geometry, so that the store may give the features' stored heads. */
    int whole_features;
};

/* Check every parameter of an items request against what the collection offers. The
 * generic parameters are f, limit, offset, bbox, datetime, filter, filter-lang, filter-crs,
 * sortby, properties, skipGeometry, near, radius, q and geometry. Any other name, a parameter
 * given twice, or a malformed value is a 400 (err says which parameter, what was expected and
 * what this resource accepts). On success the caller frees with pm_items_params_fini. */
int pm_items_params_parse(const struct pm_kv *args, size_t n_args, const struct pm_items_spec *spec,
                          struct pm_items_params *out, struct pm_error *err);
/* Free what the params own. Accepts NULL. */
void pm_items_params_fini(struct pm_items_params *p);

/* The greatest geodesic distance between two points of the Earth, in metres (half the
 * meridian), the largest radius that means anything. */
#define PM_RADIUS_MAX 20004000.0

/* For resources that take no parameter but `f`: 400 for anything else. */
int pm_params_check_only_f(const struct pm_kv *args, size_t n_args, struct pm_error *err);

#endif
