/*
 * The streaming GeoJSON writer. Output is compact JSON; strings go through
 * pm_strbuf_append_json_str, numbers are printed so that they read back exactly (%.17g for
 * reals; data values are not coordinates, which come preformatted).
 */
#include "geojson.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void append_quoted(struct pm_strbuf *out, const char *s)
{
    pm_strbuf_append_char(out, '"');
    pm_strbuf_append_json_str(out, s);
    pm_strbuf_append_char(out, '"');
}

void pm_geojson_links(struct pm_strbuf *out, const struct pm_link *links, size_t n_links)
{
    pm_strbuf_append_char(out, '[');
    for (size_t i = 0; i < n_links; i++) {
        if (i)
            pm_strbuf_append_char(out, ',');
        pm_strbuf_append_str(out, "{\"href\":");
        append_quoted(out, links[i].href);
        pm_strbuf_append_str(out, ",\"rel\":");
        append_quoted(out, links[i].rel);
        if (links[i].type) {
            pm_strbuf_append_str(out, ",\"type\":");
            append_quoted(out, links[i].type);
        }
        if (links[i].title) {
            pm_strbuf_append_str(out, ",\"title\":");
            append_quoted(out, links[i].title);
        }
        pm_strbuf_append_char(out, '}');
    }
    pm_strbuf_append_char(out, ']');
}

static void append_value(struct pm_strbuf *out, const struct pm_value *v)
{
    switch (v->type) {
    case PM_VALUE_NULL:
        pm_strbuf_append_str(out, "null");
        break;
    case PM_VALUE_INT:
        pm_strbuf_appendf(out, "%lld", v->i);
        break;
    case PM_VALUE_REAL:
        pm_strbuf_appendf(out, "%.17g", v->r);
        break;
    case PM_VALUE_TEXT:
        append_quoted(out, v->s);
        break;
    }
}

/* base_url + path, with "{id}" in path replaced by the URL-encoded id. */
static void append_href(struct pm_strbuf *out, const char *base_url, const char *path,
                        const char *id)
{
    struct pm_strbuf href;
    pm_strbuf_init(&href);
    pm_strbuf_append_str(&href, base_url);
    const char *at;
    while ((at = strstr(path, "{id}"))) {
        pm_strbuf_append(&href, path, (size_t)(at - path));
        pm_strbuf_append_urlenc(&href, id);
        path = at + 4;
    }
    pm_strbuf_append_str(&href, path);
    append_quoted(out, href.data);
    pm_strbuf_fini(&href);
}

void pm_geojson_feature_opts(struct pm_strbuf *out, const struct pm_collection *c,
                             const struct pm_feature_row *row, const char *base_url,
                             const struct pm_feature_opts *opts)
{
    pm_strbuf_append_str(out, "{\"type\":\"Feature\",\"id\":");
    append_quoted(out, row->id);
    if (!opts || !opts->skip_geometry) {
        pm_strbuf_append_str(out, ",\"geometry\":");
        pm_strbuf_append_str(out, row->geometry ? row->geometry : "null");
    } else {
        /* RFC 7946 3.2: a Feature has a geometry member; null when it is left out. */
        pm_strbuf_append_str(out, ",\"geometry\":null");
    }
    pm_strbuf_append_str(out, ",\"properties\":{");
    size_t n = opts && opts->properties ? opts->n_properties : c->n_props;
    for (size_t k = 0; k < n; k++) {
        size_t i = opts && opts->properties ? opts->properties[k] : k;
        if (k)
            pm_strbuf_append_char(out, ',');
        append_quoted(out, c->props[i].name);
        pm_strbuf_append_char(out, ':');
        append_value(out, &row->values[i]);
    }
    if (row->has_distance)
        pm_strbuf_appendf(out, "%s\"distance_m\":%.1f", n ? "," : "", row->distance_m);
    pm_strbuf_append_str(out, "},\"links\":[{\"href\":\"");
    pm_strbuf_append_json_str(out, base_url);
    pm_strbuf_append_str(out, "/collections/");
    pm_strbuf_append_json_str(out, c->id);
    pm_strbuf_append_str(out, "/items/");
    struct pm_strbuf enc;
    pm_strbuf_init(&enc);
    pm_strbuf_append_urlenc(&enc, row->id);
    pm_strbuf_append_json_str(out, enc.data);
    pm_strbuf_fini(&enc);
    pm_strbuf_append_str(out, "\",\"rel\":\"self\",\"type\":\"application/geo+json\"},"
                              "{\"href\":\"");
    pm_strbuf_append_json_str(out, base_url);
    pm_strbuf_append_str(out, "/collections/");
    pm_strbuf_append_json_str(out, c->id);
    pm_strbuf_append_str(out, "\",\"rel\":\"collection\",\"type\":\"application/json\"}");
    for (size_t i = 0; i < c->n_links; i++) {
        pm_strbuf_append_str(out, ",{\"href\":");
        append_href(out, base_url, c->links[i].href, row->id);
        pm_strbuf_append_str(out, ",\"rel\":");
        append_quoted(out, c->links[i].rel);
        pm_strbuf_append_str(out, ",\"type\":\"application/geo+json\",\"title\":");
        append_quoted(out, c->links[i].title);
        pm_strbuf_append_char(out, '}');
    }
    pm_strbuf_append_str(out, "]}");
}

void pm_geojson_feature(struct pm_strbuf *out, const struct pm_collection *c,
                        const struct pm_feature_row *row, const char *base_url)
{
    pm_geojson_feature_opts(out, c, row, base_url, NULL);
}

void pm_geojson_collection_begin(struct pm_strbuf *out)
{
    pm_strbuf_append_str(out, "{\"type\":\"FeatureCollection\",\"features\":[");
}

void pm_geojson_collection_end(struct pm_strbuf *out, long returned, long long matched,
                               const struct pm_link *links, size_t n_links)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    pm_strbuf_appendf(out, "],\"numberReturned\":%ld", returned);
    if (matched >= 0)
        pm_strbuf_appendf(out, ",\"numberMatched\":%lld", matched);
    pm_strbuf_appendf(out, ",\"timeStamp\":\"%s\",\"links\":", stamp);
    pm_geojson_links(out, links, n_links);
    pm_strbuf_append_char(out, '}');
}
