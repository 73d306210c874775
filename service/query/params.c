/*
 * Request parameters of OGC API – Features Part 1, checked against an allow-list. An unknown
 * parameter is an error (OGC 17-069r4 /req/core/query-param-unknown), as is a malformed value
 * (/req/core/query-param-invalid); every message names the parameter and what was expected.
 */
#include "query.h"

#include "cql2.h"

#include <string.h>

static const char *const generic_items[] = {
    "f",           "limit",      "offset",   "bbox",       "datetime",     "filter",
    "filter-lang", "filter-crs", "sortby",   "properties", "skipGeometry", "near",
    "radius",      "q",          "geometry", "after",      "before"};
#define N_GENERIC (sizeof generic_items / sizeof generic_items[0])

int pm_format_parse(const char *s, enum pm_format *out, struct pm_error *err)
{
    if (!strcmp(s, "json") || !strcmp(s, "geojson")) {
        *out = PM_FORMAT_JSON;
        return 0;
    }
    if (!strcmp(s, "html")) {
        *out = PM_FORMAT_HTML;
        return 0;
    }
    return pm_error_set(err, 400, "InvalidParameterValue",
                        "f: expected json, geojson or html, got '%.60s'", s);
}

int pm_bbox_parse(const char *s, double out[4], struct pm_error *err)
{
    double v[6];
    size_t n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char num[64];
        if (len == 0)
            return pm_error_set(err, 400, "InvalidParameterValue",
                                "bbox: a number is missing between commas in '%.80s'; expected "
                                "west,south,east,north in degrees (CRS84)",
                                s);
        if (n == 6 || len >= sizeof num)
            goto bad;
        memcpy(num, p, len);
        num[len] = '\0';
        if (pm_parse_double(num, &v[n]))
            return pm_error_set(err, 400, "InvalidParameterValue",
                                "bbox: '%.60s' is not a number; expected "
                                "west,south,east,north in degrees (CRS84)",
                                num);
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (n != 4 && n != 6)
        goto bad;
    /* With six numbers the order is west,south,minz,east,north,maxz; heights are ignored. */
    double w = v[0], so = v[1], e = n == 4 ? v[2] : v[3], no = n == 4 ? v[3] : v[4];
    if (w < -180 || w > 180 || e < -180 || e > 180)
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "bbox: longitudes must lie in [-180, 180], got %g and %g", w, e);
    if (so < -90 || so > 90 || no < -90 || no > 90)
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "bbox: latitudes must lie in [-90, 90], got %g and %g", so, no);
    if (so > no)
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "bbox: the south edge (%g) is north of the north edge (%g)", so, no);
    out[0] = w;
    out[1] = so;
    out[2] = e;
    out[3] = no;
    return 0;
bad:
    /* Count the comma-separated parts of the whole value, as the client wrote it. */
    n = 1;
    for (const char *q = s; *q; q++)
        n += *q == ',';
    return pm_error_set(err, 400, "InvalidParameterValue",
                        "bbox: expected 4 numbers west,south,east,north (or 6 with heights), "
                        "got %zu in '%.80s'",
                        n, s);
}

static int is_in(const char *key, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(key, names[i]))
            return 1;
    return 0;
}

static int unknown_param(struct pm_error *err, const char *key, const struct pm_items_spec *spec)
{
    struct pm_strbuf allowed;
    pm_strbuf_init(&allowed);
    for (size_t i = 0; i < N_GENERIC; i++)
        pm_strbuf_appendf(&allowed, "%s%s", i ? ", " : "", generic_items[i]);
    for (size_t i = 0; i < spec->n_filter_names; i++)
        pm_strbuf_appendf(&allowed, ", %s", spec->filter_names[i]);
    pm_error_set(err, 400, "InvalidParameterValue",
                 "unknown query parameter '%.60s'; this resource accepts: %s", key, allowed.data);
    pm_strbuf_fini(&allowed);
    return -1;
}

/* The index of name among the spec's properties, or -1. */
static long property_index(const struct pm_items_spec *spec, const char *name, size_t len)
{
    for (size_t i = 0; i < spec->n_property_names; i++)
        if (strlen(spec->property_names[i]) == len && !strncmp(spec->property_names[i], name, len))
            return (long)i;
    return -1;
}

static int unknown_property(struct pm_error *err, const char *param, const char *name, size_t len,
                            const struct pm_items_spec *spec)
{
    struct pm_strbuf known;
    pm_strbuf_init(&known);
    for (size_t i = 0; i < spec->n_property_names; i++)
        pm_strbuf_appendf(&known, "%s%s", i ? ", " : "", spec->property_names[i]);
    pm_error_set(err, 400, "InvalidParameterValue",
                 "%s: unknown property '%.*s'; expected one of: id, %s", param,
                 (int)(len > 60 ? 60 : len), name, known.data);
    pm_strbuf_fini(&known);
    return -1;
}

/* sortby=+a,-b,c (OGC API – Features Part 8 / STAC sort): properties or id. */
static int parse_sortby(const char *v, const struct pm_items_spec *spec,
                        struct pm_items_params *out, struct pm_error *err)
{
    const char *p = v;
    if (!*p)
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "sortby: expected properties such as +name_en,-established");
    while (*p) {
        size_t len = strcspn(p, ",");
        int desc = 0;
        const char *name = p;
        size_t nlen = len;
        if (nlen && (*name == '+' || *name == '-' || *name == ' ')) {
            desc = *name == '-';
            name++;
            nlen--;
        }
        if (!nlen)
            return pm_error_set(err, 400, "InvalidParameterValue",
                                "sortby: a property name is missing in '%.80s'", v);
        if (out->n_sort == PM_SORT_MAX)
            return pm_error_set(err, 400, "InvalidParameterValue", "sortby: at most %d properties",
                                PM_SORT_MAX);
        long idx = nlen == 2 && !strncmp(name, "id", 2) ? -1 : property_index(spec, name, nlen);
        if (idx == -1 && !(nlen == 2 && !strncmp(name, "id", 2)))
            return unknown_property(err, "sortby", name, nlen, spec);
        out->sort[out->n_sort].property = idx;
        out->sort[out->n_sort].descending = desc;
        out->n_sort++;
        p += len;
        if (*p == ',') {
            p++;
            if (!*p)
                return pm_error_set(err, 400, "InvalidParameterValue",
                                    "sortby: a property name is missing in '%.80s'", v);
        }
    }
    return 0;
}

static int parse_properties(const char *v, const struct pm_items_spec *spec,
                            struct pm_items_params *out, struct pm_error *err)
{
    const char *p = v;
    out->has_properties = 1;
    while (*p) {
        size_t len = strcspn(p, ",");
        long idx = property_index(spec, p, len);
        if (idx < 0)
            return unknown_property(err, "properties", p, len, spec);
        if (out->n_properties == PM_PROPERTIES_MAX)
            return pm_error_set(err, 400, "InvalidParameterValue", "properties: at most %d",
                                PM_PROPERTIES_MAX);
        out->properties[out->n_properties++] = (size_t)idx;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int parse_bool(const char *param, const char *v, int *out, struct pm_error *err)
{
    if (!strcmp(v, "true"))
        *out = 1;
    else if (!strcmp(v, "false"))
        *out = 0;
    else
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "%s: expected true or false, got '%.60s'", param, v);
    return 0;
}

static int parse_near(const char *v, double out[2], struct pm_error *err)
{
    char a[64], b[64];
    const char *comma = strchr(v, ',');
    size_t la = comma ? (size_t)(comma - v) : 0;
    if (!comma || la == 0 || la >= sizeof a || strlen(comma + 1) >= sizeof b ||
        strchr(comma + 1, ','))
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "near: expected lon,lat in degrees (CRS84), got '%.60s'", v);
    memcpy(a, v, la);
    a[la] = '\0';
    strcpy(b, comma + 1);
    if (pm_parse_double(a, &out[0]) || pm_parse_double(b, &out[1]) || out[0] < -180 ||
        out[0] > 180 || out[1] < -90 || out[1] > 90)
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "near: expected lon,lat with lon in [-180, 180] and lat in [-90, "
                            "90], got '%.60s'",
                            v);
    return 0;
}

static int check_duplicates(const struct pm_kv *args, size_t n_args, struct pm_error *err)
{
    for (size_t i = 0; i < n_args; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(args[i].key, args[j].key))
                return pm_error_set(err, 400, "InvalidParameterValue",
                                    "%.60s: given more than once", args[i].key);
    return 0;
}

int pm_params_check_only_f(const struct pm_kv *args, size_t n_args, struct pm_error *err)
{
    enum pm_format f;
    if (check_duplicates(args, n_args, err))
        return -1;
    for (size_t i = 0; i < n_args; i++) {
        if (strcmp(args[i].key, "f"))
            return pm_error_set(err, 400, "InvalidParameterValue",
                                "unknown query parameter '%.60s'; this resource accepts: f",
                                args[i].key);
        if (pm_format_parse(args[i].value, &f, err))
            return -1;
    }
    return 0;
}

int pm_items_params_parse(const struct pm_kv *args, size_t n_args, const struct pm_items_spec *spec,
                          struct pm_items_params *out, struct pm_error *err)
{
    const char *filter = NULL, *filter_lang = NULL, *radius = NULL;
    memset(out, 0, sizeof *out);
    out->limit = PM_LIMIT_DEFAULT;
    if (check_duplicates(args, n_args, err))
        return -1;
    for (size_t i = 0; i < n_args; i++) {
        const char *k = args[i].key, *v = args[i].value;
        if (!strcmp(k, "f")) {
            enum pm_format f;
            if (pm_format_parse(v, &f, err))
                goto fail;
        } else if (!strcmp(k, "limit")) {
            /* A limit above the maximum is clamped, not refused (OGC 17-069r4
             * /req/core/fc-limit-response-1 permits either; clients expect clamping). */
            size_t len = strlen(v);
            long n = 0;
            if (len == 0 || len > 40 || strspn(v, "0123456789") != len || strspn(v, "0") == len) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "limit: expected a whole number from 1 to %d, got '%.60s'",
                             PM_LIMIT_MAX, v);
                goto fail;
            }
            if (len > 9 || pm_parse_long(v, 1, PM_LIMIT_MAX, &n))
                n = PM_LIMIT_MAX;
            out->limit = n;
        } else if (!strcmp(k, "offset")) {
            if (pm_parse_long(v, 0, 1000000000L, &out->offset)) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "offset: expected a whole number from 0, got '%.60s'", v);
                goto fail;
            }
        } else if (!strcmp(k, "bbox")) {
            if (pm_bbox_parse(v, out->bbox, err))
                goto fail;
            out->has_bbox = 1;
        } else if (!strcmp(k, "datetime")) {
            if (pm_datetime_parse(v, &out->datetime, err))
                goto fail;
            out->has_datetime = 1;
        } else if (!strcmp(k, "filter")) {
            filter = v;
        } else if (!strcmp(k, "filter-lang")) {
            if (strcmp(v, "cql2-text") && strcmp(v, "cql2-json")) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "filter-lang: expected cql2-text or cql2-json, got '%.60s'", v);
                goto fail;
            }
            filter_lang = v;
        } else if (!strcmp(k, "filter-crs")) {
            /* OGC API – Features Part 3 /req/filter/filter-crs-wgs84: CRS84 is the one
             * supported. */
            if (strcmp(v, "http://www.opengis.net/def/crs/OGC/1.3/CRS84")) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "filter-crs: expected "
                             "http://www.opengis.net/def/crs/OGC/1.3/CRS84, got '%.100s'",
                             v);
                goto fail;
            }
        } else if (!strcmp(k, "sortby")) {
            if (parse_sortby(v, spec, out, err))
                goto fail;
        } else if (!strcmp(k, "properties")) {
            if (parse_properties(v, spec, out, err))
                goto fail;
        } else if (!strcmp(k, "skipGeometry")) {
            if (parse_bool("skipGeometry", v, &out->skip_geometry, err))
                goto fail;
        } else if (!strcmp(k, "near")) {
            if (parse_near(v, out->near, err))
                goto fail;
            out->has_near = 1;
        } else if (!strcmp(k, "radius")) {
            radius = v;
        } else if (!strcmp(k, "q")) {
            if (!*v || strlen(v) > 200) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "q: expected a name or part of one (1 to 200 bytes)");
                goto fail;
            }
            out->q = v;
        } else if (!strcmp(k, "after") || !strcmp(k, "before")) {
            if (!*v || strlen(v) > 200) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "%s: expected a feature id (as in the next and prev links)", k);
                goto fail;
            }
            if (k[0] == 'a')
                out->after = v;
            else
                out->before = v;
        } else if (!strcmp(k, "geometry")) {
            if (!strcmp(v, "geodesic")) {
                out->geometry = PM_GEOMETRY_GEODESIC;
            } else if (strcmp(v, "straight")) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "geometry: expected straight or geodesic, got '%.60s'", v);
                goto fail;
            }
        } else if (is_in(k, spec->filter_names, spec->n_filter_names) ||
                   property_index(spec, k, strlen(k)) >= 0) {
            /* A collection's own filters, and every queryable as an equality filter (OGC
             * API – Features Part 3 /req/queryables-query-parameters). */
            if (out->n_filters == PM_FILTERS_MAX) {
                pm_error_set(err, 400, "InvalidParameterValue", "too many filters");
                goto fail;
            }
            if (!*v) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "%.60s: expected a value, got an empty string", k);
                goto fail;
            }
            out->filters[out->n_filters].param = k;
            out->filters[out->n_filters].value = v;
            out->n_filters++;
        } else {
            unknown_param(err, k, spec);
            goto fail;
        }
    }
    if (radius) {
        if (!out->has_near) {
            pm_error_set(err, 400, "InvalidParameterValue",
                         "radius: needs near=lon,lat, the centre of the circle");
            goto fail;
        }
        if (pm_parse_double(radius, &out->radius_m) || out->radius_m <= 0 ||
            out->radius_m > PM_RADIUS_MAX) {
            pm_error_set(err, 400, "InvalidParameterValue",
                         "radius: expected metres, more than 0 and at most %.0f, got '%.60s'",
                         PM_RADIUS_MAX, radius);
            goto fail;
        }
        out->has_radius = 1;
    }
    /* Paging by key follows the order of ids: not with another order, nor both ways. */
    if ((out->after || out->before) && (out->n_sort || out->q || out->has_near)) {
        pm_error_set(err, 400, "InvalidParameterValue",
                     "%s: pages by feature id, so not with sortby, q or near (use offset)",
                     out->after ? "after" : "before");
        goto fail;
    }
    if (out->after && out->before) {
        pm_error_set(err, 400, "InvalidParameterValue", "after and before: give one of them");
        goto fail;
    }
    if (filter_lang && !filter) {
        pm_error_set(err, 400, "InvalidParameterValue", "filter-lang: given without filter");
        goto fail;
    }
    if (filter) {
        size_t len = strlen(filter);
        out->filter = filter_lang && !strcmp(filter_lang, "cql2-json")
                          ? pm_cql_parse_json(filter, len, err)
                          : pm_cql_parse_text(filter, len, err);
        if (!out->filter)
            goto fail;
    }
    return 0;
fail:
    pm_items_params_fini(out);
    return -1;
}

void pm_items_params_fini(struct pm_items_params *p)
{
    if (!p)
        return;
    pm_cql_free(p->filter);
    p->filter = NULL;
}
