/*
 * Dates: partial ISO 8601 dates of the data, and the RFC 3339 instants, intervals and ISO 8601
 * durations of the `datetime` parameter, all reduced to whole days in UTC.
 *
 * Day arithmetic uses days since 1970-01-01 on the proleptic Gregorian calendar (the
 * days_from_civil / civil_from_days algorithms of H. Hinnant), so no libc time zone state is
 * touched and the functions are thread-safe.
 */
#include "query.h"

#include <stdio.h>
#include <string.h>

static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static struct pm_day civil_from_days(long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    struct pm_day day;
    day.d = (int)(doy - (153 * mp + 2) / 5 + 1);
    day.m = (int)(mp < 10 ? mp + 3 : mp - 9);
    day.y = (int)(yoe + era * 400 + (day.m <= 2));
    return day;
}

static int days_in_month(int y, int m)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

/* Read exactly n digits at *p into *out, advancing *p. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

void pm_day_format(const struct pm_day *day, char out[PM_DAY_STR])
{
    /* Years are kept within 0..9999 by the parsers; the modulo only convinces the compiler
     * that the text fits. */
    unsigned y = (unsigned)day->y % 10000u, m = (unsigned)day->m % 100u,
             d = (unsigned)day->d % 100u;
    snprintf(out, PM_DAY_STR, "%04u-%02u-%02u", y, m, d);
}

int pm_date_parse_partial(const char *s, struct pm_day *first, struct pm_day *last)
{
    const char *p = s;
    int y, m = 0, d = 0;
    if (digits(&p, 4, &y))
        return -1;
    if (*p == '-') {
        p++;
        if (digits(&p, 2, &m) || m < 1 || m > 12)
            return -1;
        if (*p == '-') {
            p++;
            if (digits(&p, 2, &d) || d < 1 || d > days_in_month(y, m))
                return -1;
        }
    }
    if (*p)
        return -1;
    first->y = last->y = y;
    first->m = m ? m : 1;
    last->m = m ? m : 12;
    first->d = d ? d : 1;
    last->d = d ? d : days_in_month(y, last->m);
    return 0;
}

/* An instant of the datetime parameter: a (partial) date, or an RFC 3339 date-time. For a
 * date-time, *secs is the UTC second of the day and first == last; for a partial date, the
 * first and last day it covers and *secs = 0. */
static int parse_instant(const char *s, struct pm_day *first, struct pm_day *last, long *secs)
{
    const char *t = strpbrk(s, "Tt");
    *secs = 0;
    if (!t)
        return pm_date_parse_partial(s, first, last);
    if (t - s != 10)
        return -1;
    char date[11];
    memcpy(date, s, 10);
    date[10] = '\0';
    struct pm_day day, unused;
    if (pm_date_parse_partial(date, &day, &unused) || strlen(date) != 10)
        return -1;
    const char *p = t + 1;
    int hh, mm, ss;
    if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mm) || *p++ != ':' ||
        digits(&p, 2, &ss) || hh > 23 || mm > 59 || ss > 60)
        return -1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        return -1; /* RFC 3339 requires the offset */
    }
    if (*p)
        return -1;
    long total =
        days_from_civil(day.y, day.m, day.d) * 86400L + hh * 3600L + mm * 60L + ss - offset;
    long days = total >= 0 ? total / 86400 : -((-total + 86399) / 86400);
    *first = *last = civil_from_days(days);
    /* An offset can carry 0000-01-01 or 9999-12-31 out of the years a date can name. */
    if (first->y < 0 || first->y > 9999)
        return -1;
    *secs = total - days * 86400L;
    return 0;
}

/* An ISO 8601 duration PnYnMnWnDTnHnMnS (whole numbers), added to (day, secs). */
static int add_duration(const char *s, struct pm_day *day, long secs)
{
    const char *p = s;
    long y = 0, mo = 0, w = 0, d = 0, h = 0, mi = 0, sec = 0;
    int in_time = 0, any = 0;
    if (*p++ != 'P')
        return -1;
    while (*p) {
        if (*p == 'T') {
            if (in_time)
                return -1;
            in_time = 1;
            p++;
            continue;
        }
        long v = 0;
        int nd = 0;
        while (*p >= '0' && *p <= '9' && nd < 7) {
            v = v * 10 + (*p++ - '0');
            nd++;
        }
        if (!nd || (*p >= '0' && *p <= '9'))
            return -1;
        char unit = *p++;
        any = 1;
        if (!in_time && unit == 'Y')
            y = v;
        else if (!in_time && unit == 'M')
            mo = v;
        else if (!in_time && unit == 'W')
            w = v;
        else if (!in_time && unit == 'D')
            d = v;
        else if (in_time && unit == 'H')
            h = v;
        else if (in_time && unit == 'M')
            mi = v;
        else if (in_time && unit == 'S')
            sec = v;
        else
            return -1;
    }
    /* "P" alone, or a "T" with no time part after it ("P1DT"), is not a duration. */
    if (!any || p[-1] == 'T')
        return -1;
    long months = day->y * 12L + (day->m - 1) + y * 12 + mo;
    int ny = (int)(months / 12), nm = (int)(months % 12) + 1;
    if (ny > 9999)
        return -1;
    int nday = day->d > days_in_month(ny, nm) ? days_in_month(ny, nm) : day->d;
    long total = secs + h * 3600 + mi * 60 + sec;
    long days = days_from_civil(ny, nm, nday) + w * 7 + d + total / 86400;
    *day = civil_from_days(days);
    if (day->y < 0 || day->y > 9999)
        return -1;
    return 0;
}

static int bad_datetime(struct pm_error *err, const char *s)
{
    return pm_error_set(err, 400, "InvalidParameterValue",
                        "datetime: expected an RFC 3339 date or date-time (1979-05-01, "
                        "1979-05-01T09:00:00Z), a partial date (1979, 1979-05), or an interval "
                        "a/b with '..' for an open end or an ISO 8601 duration (2001-03-20/P2D); "
                        "got '%.80s'",
                        s);
}

int pm_datetime_parse(const char *s, struct pm_datetime *out, struct pm_error *err)
{
    struct pm_day f, l;
    long secs;
    const char *slash = strchr(s, '/');
    if (!slash) {
        if (parse_instant(s, &f, &l, &secs))
            return bad_datetime(err, s);
        pm_day_format(&f, out->first);
        pm_day_format(&l, out->last);
        return 0;
    }
    if (strchr(slash + 1, '/') || slash - s > 40)
        return bad_datetime(err, s);
    char a[41];
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = '\0';
    const char *b = slash + 1;
    int a_open = !*a || !strcmp(a, ".."), b_open = !*b || !strcmp(b, "..");
    if (a_open && b_open)
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "datetime: an interval needs at least one closed end, got '%.80s'", s);
    out->first[0] = out->last[0] = '\0';
    struct pm_day af = {0, 0, 0};
    long asecs = 0;
    if (!a_open) {
        if (a[0] == 'P')
            return bad_datetime(err, s); /* a duration may only follow a start */
        if (parse_instant(a, &af, &l, &asecs))
            return bad_datetime(err, s);
        pm_day_format(&af, out->first);
    }
    if (!b_open) {
        if (b[0] == 'P') {
            if (a_open)
                return bad_datetime(err, s);
            l = af;
            if (add_duration(b, &l, asecs))
                return bad_datetime(err, s);
        } else if (parse_instant(b, &f, &l, &secs)) {
            return bad_datetime(err, s);
        }
        pm_day_format(&l, out->last);
    }
    if (out->first[0] && out->last[0] && strcmp(out->first, out->last) > 0)
        return pm_error_set(err, 400, "InvalidParameterValue",
                            "datetime: the interval '%.80s' ends before it starts", s);
    return 0;
}
