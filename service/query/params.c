/*
 * Request parameters of OGC API – Features Part 1, checked against an allow-list. An unknown
 * parameter is an error (OGC 17-069r4 /req/core/query-param-unknown), as is a malformed value
 * (/req/core/query-param-invalid); every message names the parameter and what was expected.
 */
#include "query.h"

#include <string.h>

static const char *const generic_items[] = {"f", "limit", "offset", "bbox", "datetime"};
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

static int unknown_param(struct pm_error *err, const char *key, const char *const *filters,
                         size_t n_filters)
{
    struct pm_strbuf allowed;
    pm_strbuf_init(&allowed);
    for (size_t i = 0; i < N_GENERIC; i++)
        pm_strbuf_appendf(&allowed, "%s%s", i ? ", " : "", generic_items[i]);
    for (size_t i = 0; i < n_filters; i++)
        pm_strbuf_appendf(&allowed, ", %s", filters[i]);
    pm_error_set(err, 400, "InvalidParameterValue",
                 "unknown query parameter '%.60s'; this resource accepts: %s", key, allowed.data);
    pm_strbuf_fini(&allowed);
    return -1;
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

int pm_items_params_parse(const struct pm_kv *args, size_t n_args, const char *const *filter_names,
                          size_t n_filter_names, struct pm_items_params *out, struct pm_error *err)
{
    memset(out, 0, sizeof *out);
    out->limit = PM_LIMIT_DEFAULT;
    if (check_duplicates(args, n_args, err))
        return -1;
    for (size_t i = 0; i < n_args; i++) {
        const char *k = args[i].key, *v = args[i].value;
        if (!strcmp(k, "f")) {
            enum pm_format f;
            if (pm_format_parse(v, &f, err))
                return -1;
        } else if (!strcmp(k, "limit")) {
            /* A limit above the maximum is clamped, not refused (OGC 17-069r4
             * /req/core/fc-limit-response-1 permits either; clients expect clamping). */
            size_t len = strlen(v);
            long n = 0;
            if (len == 0 || len > 40 || strspn(v, "0123456789") != len || strspn(v, "0") == len)
                return pm_error_set(err, 400, "InvalidParameterValue",
                                    "limit: expected a whole number from 1 to %d, got '%.60s'",
                                    PM_LIMIT_MAX, v);
            if (len > 9 || pm_parse_long(v, 1, PM_LIMIT_MAX, &n))
                n = PM_LIMIT_MAX;
            out->limit = n;
        } else if (!strcmp(k, "offset")) {
            if (pm_parse_long(v, 0, 1000000000L, &out->offset))
                return pm_error_set(err, 400, "InvalidParameterValue",
                                    "offset: expected a whole number from 0, got '%.60s'", v);
        } else if (!strcmp(k, "bbox")) {
            if (pm_bbox_parse(v, out->bbox, err))
                return -1;
            out->has_bbox = 1;
        } else if (!strcmp(k, "datetime")) {
            if (pm_datetime_parse(v, &out->datetime, err))
                return -1;
            out->has_datetime = 1;
        } else if (is_in(k, filter_names, n_filter_names)) {
            if (out->n_filters == PM_FILTERS_MAX)
                return pm_error_set(err, 400, "InvalidParameterValue", "too many filters");
            if (!*v)
                return pm_error_set(err, 400, "InvalidParameterValue",
                                    "%.60s: expected a value, got an empty string", k);
            out->filters[out->n_filters].param = k;
            out->filters[out->n_filters].value = v;
            out->n_filters++;
        } else {
            return unknown_param(err, k, filter_names, n_filter_names);
        }
    }
    return 0;
}
