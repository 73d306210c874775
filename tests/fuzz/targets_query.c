/*
 * Fuzz targets for the request parameters (service/query: params.c, datetime.c): what the
 * server does with a query string before any SQL. The checks restate query.h's contract
 * independently of the parser: ranges of every number, days that are real days and lie
 * where the input said, strings borrowed from the request, and a 400 with a message for
 * every refusal.
 */
#include "fuzz_targets.h"

#include "query/query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The cities collection's filters and properties (sql/collections.sql), plus "established"
 * of partnerships, so that sortby and properties meet a date property too. */
static const char *const filter_names[] = {"country", "region", "level"};
static const char *const property_names[] = {"name_en",     "name_zh",        "name_ja",
                                             "name_local",  "country",        "region",
                                             "region_name", "level",          "geonames_id",
                                             "population",  "geocode_method", "geocode_confidence",
                                             "source",      "verification",   "notes",
                                             "partners",    "established"};
#define N_FILTER_NAMES (sizeof filter_names / sizeof filter_names[0])
#define N_PROPERTY_NAMES (sizeof property_names / sizeof property_names[0])

/* The input as a C string (it ends at the first NUL byte, as it would in the server).
 * Caller frees. */
static char *input_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A refusal must be a client error that says what was wrong. */
static const char *check_error(const struct pm_error *err)
{
    if (err->status != 400)
        return "an error that is not a 400";
    if (!err->code || strcmp(err->code, "InvalidParameterValue"))
        return "an error without the code InvalidParameterValue";
    if (!memchr(err->message, '\0', sizeof err->message))
        return "an error message that is not NUL-terminated";
    if (!err->message[0])
        return "an error with an empty message";
    return NULL;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Is s "YYYY-MM-DD", a day of the proleptic Gregorian calendar with a year in 0..9999? */
static int is_day(const char *s)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !is_digit(s[i]))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12)
        return 0;
    return d >= 1 && d <= (m == 2 && leap ? 29 : len[m - 1]);
}

/* The year that s starts with (four digits), or -1. */
static int lead_year(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!is_digit(s[i]))
            return -1;
    return (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
}

/* A day computed from an end written with year y lies in y, or one year off when a time
 * zone offset moves a date-time across New Year. */
static int near_year(const char *day, int y)
{
    int dy = atoi(day);
    return y >= 0 && dy >= y - 1 && dy <= y + 1;
}

static int in_bbox_ranges(const double b[4])
{
    for (int i = 0; i < 4; i++)
        if (!isfinite(b[i]))
            return 0;
    return b[0] >= -180 && b[0] <= 180 && b[2] >= -180 && b[2] <= 180 && b[1] >= -90 &&
           b[1] <= 90 && b[3] >= -90 && b[3] <= 90 && b[1] <= b[3];
}

/* Check a successfully parsed datetime against the text it came from. */
static const char *check_datetime(const char *s, const struct pm_datetime *dt)
{
    if (!memchr(dt->first, '\0', sizeof dt->first) || !memchr(dt->last, '\0', sizeof dt->last))
        return "datetime: a day that is not NUL-terminated";
    if (dt->first[0] && !is_day(dt->first))
        return "datetime: first is not a YYYY-MM-DD day";
    if (dt->last[0] && !is_day(dt->last))
        return "datetime: last is not a YYYY-MM-DD day";
    if (!dt->first[0] && !dt->last[0])
        return "datetime: both ends open";
    if (dt->first[0] && dt->last[0] && strcmp(dt->first, dt->last) > 0)
        return "datetime: first is after last";
    const char *slash = strchr(s, '/');
    if (!slash) {
        if (!dt->first[0] || !dt->last[0])
            return "datetime: an instant with an open end";
        if (!near_year(dt->first, lead_year(s)) || !near_year(dt->last, lead_year(s)))
            return "datetime: an instant's days are not in the year it names";
        return NULL;
    }
    if (dt->first[0] && !near_year(dt->first, lead_year(s)))
        return "datetime: the first day is not in the year the interval starts";
    const char *b = slash + 1;
    if (dt->last[0] && b[0] != 'P' && !near_year(dt->last, lead_year(b)))
        return "datetime: the last day is not in the year the interval ends";
    if (b[0] == 'P' && !dt->first[0])
        return "datetime: a duration accepted after an open start";
    return NULL;
}

const char *fuzz_bbox(const uint8_t *data, size_t size, int *accepted)
{
    char *s = input_string(data, size);
    double b[4] = {0, 0, 0, 0};
    struct pm_error err = {0};
    const char *why = NULL;
    *accepted = pm_bbox_parse(s, b, &err) == 0;
    if (*accepted) {
        size_t commas = 0;
        for (const char *p = s; *p; p++)
            commas += *p == ',';
        if (commas != 3 && commas != 5)
            why = "bbox: accepted without 4 or 6 numbers";
        else if (!in_bbox_ranges(b))
            why = "bbox: accepted a box out of range";
        else if (err.status)
            why = "bbox: accepted with an error set";
    } else {
        why = check_error(&err);
    }
    free(s);
    return why;
}

const char *fuzz_datetime(const uint8_t *data, size_t size, int *accepted)
{
    char *s = input_string(data, size);
    struct pm_datetime dt;
    struct pm_error err = {0};
    const char *why = NULL;
    memset(&dt, 0x55, sizeof dt); /* so that a day left unwritten shows */
    *accepted = pm_datetime_parse(s, &dt, &err) == 0;
    why = *accepted ? check_datetime(s, &dt) : check_error(&err);

    /* The partial dates of the data: "1979", "1979-05", "1979-05-01". */
    struct pm_day first, last;
    if (!why && pm_date_parse_partial(s, &first, &last) == 0) {
        char f[PM_DAY_STR], l[PM_DAY_STR];
        pm_day_format(&first, f);
        pm_day_format(&last, l);
        if (!is_day(f) || !is_day(l))
            why = "partial date: not a day";
        else if (strcmp(f, l) > 0)
            why = "partial date: first is after last";
        else if (first.y != lead_year(s) || last.y != first.y)
            why = "partial date: not in the year it names";
        else if (strncmp(f, s, strlen(s) < 10 ? strlen(s) : 10) != 0)
            why = "partial date: the first day does not start with the date";
    }
    free(s);
    return why;
}

/* Is p one of the request's keys (values = 0) or values (values = 1), by address? */
static int borrowed(const char *p, const struct pm_kv *args, size_t n, int values)
{
    for (size_t i = 0; i < n; i++)
        if (p == (values ? args[i].value : args[i].key))
            return 1;
    return 0;
}

/* Check successfully parsed items parameters against the request. */
static const char *check_params(const struct pm_items_params *p, const struct pm_kv *args,
                                size_t n_args, int has_filter)
{
    if (p->limit < 1 || p->limit > PM_LIMIT_MAX)
        return "params: limit out of 1..PM_LIMIT_MAX";
    if (p->offset < 0)
        return "params: negative offset";
    if (p->has_bbox && !in_bbox_ranges(p->bbox))
        return "params: bbox out of range";
    if (p->has_datetime && (!memchr(p->datetime.first, '\0', PM_DAY_STR) ||
                            !memchr(p->datetime.last, '\0', PM_DAY_STR) ||
                            (p->datetime.first[0] && !is_day(p->datetime.first)) ||
                            (p->datetime.last[0] && !is_day(p->datetime.last))))
        return "params: datetime is not a day";
    if (p->n_filters > PM_FILTERS_MAX)
        return "params: more than PM_FILTERS_MAX filters";
    for (size_t i = 0; i < p->n_filters; i++) {
        if (!borrowed(p->filters[i].param, args, n_args, 0) ||
            !borrowed(p->filters[i].value, args, n_args, 1))
            return "params: a filter not borrowed from the request";
        if (!p->filters[i].value[0])
            return "params: a filter with an empty value";
    }
    if (!p->filter != !has_filter)
        return has_filter ? "params: filter= accepted without a tree"
                          : "params: a tree without filter=";
    if (p->n_sort > PM_SORT_MAX)
        return "params: more than PM_SORT_MAX sort keys";
    for (size_t i = 0; i < p->n_sort; i++)
        if (p->sort[i].property < -1 || p->sort[i].property >= (long)N_PROPERTY_NAMES)
            return "params: a sort key out of the spec";
    if (p->n_properties > PM_PROPERTIES_MAX)
        return "params: more than PM_PROPERTIES_MAX properties";
    for (size_t i = 0; i < p->n_properties; i++)
        if (p->properties[i] >= N_PROPERTY_NAMES)
            return "params: a property out of the spec";
    if (p->has_near && (!isfinite(p->near[0]) || !isfinite(p->near[1]) || p->near[0] < -180 ||
                        p->near[0] > 180 || p->near[1] < -90 || p->near[1] > 90))
        return "params: near out of range";
    if (p->has_radius && (!p->has_near || !(p->radius_m > 0) || p->radius_m > PM_RADIUS_MAX))
        return "params: radius out of range or without near";
    if (p->q && (!p->q[0] || strlen(p->q) > 200 || !borrowed(p->q, args, n_args, 1)))
        return "params: q empty, too long or not borrowed";
    if ((p->after && (!p->after[0] || !borrowed(p->after, args, n_args, 1))) ||
        (p->before && (!p->before[0] || !borrowed(p->before, args, n_args, 1))))
        return "params: after or before empty or not borrowed";
    if (p->after && p->before)
        return "params: both after and before";
    if ((p->after || p->before) && (p->n_sort || p->q || p->has_near))
        return "params: paging by key with sortby, q or near";
    if (p->geometry != PM_GEOMETRY_STRAIGHT && p->geometry != PM_GEOMETRY_GEODESIC)
        return "params: geometry mode out of the enum";
    return NULL;
}

const char *fuzz_params(const uint8_t *data, size_t size, int *accepted)
{
    /* Split a copy in place: every '&' ends a pair, the first '=' of a pair ends its key; a
     * pair without '=' has the empty value (as MHD gives "?a&b"). */
    char *s = input_string(data, size);
    size_t n_args = 0, cap = 1;
    for (size_t i = 0; i < size; i++)
        cap += data[i] == '&';
    struct pm_kv *args = calloc(cap, sizeof *args);
    if (!args)
        abort();
    int has_filter = 0;
    char *p = s;
    for (;;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        if (*p || amp) {
            char *eq = strchr(p, '=');
            if (eq)
                *eq = '\0';
            args[n_args].key = p;
            args[n_args].value = eq ? eq + 1 : p + strlen(p);
            has_filter |= !strcmp(p, "filter");
            n_args++;
        }
        if (!amp)
            break;
        p = amp + 1;
    }

    struct pm_items_spec spec = {filter_names, N_FILTER_NAMES, property_names, N_PROPERTY_NAMES};
    struct pm_items_params out;
    struct pm_error err = {0};
    const char *why;
    *accepted = pm_items_params_parse(args, n_args, &spec, &out, &err) == 0;
    if (*accepted) {
        why = check_params(&out, args, n_args, has_filter);
    } else {
        why = check_error(&err);
        if (!why && out.filter)
            why = "params: a filter tree left after a refusal";
    }
    pm_items_params_fini(&out);

    struct pm_error err_f = {0};
    if (!why && pm_params_check_only_f(args, n_args, &err_f) != 0)
        why = check_error(&err_f);

    free(args);
    free(s);
    return why;
}
