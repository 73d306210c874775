/*
 * The streaming GeoJSON writer. Output is compact JSON; strings go through
 * pm_strbuf_append_json_str, numbers are printed so that they read back exactly (%.17g for
 * reals; data values are not coordinates, which come preformatted).
 */
#include "geojson.h"

#include <stdio.h>
#include <stdlib.h>
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

/* --- features ---------------------------------------------------------------------------- */

/* A piece of the links: bytes of w->frag, or (len PIECE_ID) the URL-encoded feature id. */
#define PIECE_ID ((size_t)-1)

static void add_piece(struct pm_feature_writer *w, size_t off, size_t len)
{
    if (w->n_pieces == w->cap_pieces) {
        w->cap_pieces = w->cap_pieces ? 2 * w->cap_pieces : 16;
        w->pieces = pm_realloc(w->pieces, w->cap_pieces * sizeof *w->pieces);
    }
    w->pieces[w->n_pieces].off = off;
    w->pieces[w->n_pieces].len = len;
    w->n_pieces++;
}

/* Text for the links (JSON-escaped if escape): joined to the piece before it when that is
 * text too. */
static void add_text(struct pm_feature_writer *w, const char *s, int escape)
{
    size_t off = w->frag.len;
    if (escape)
        pm_strbuf_append_json_str(&w->frag, s);
    else
        pm_strbuf_append_str(&w->frag, s);
    size_t len = w->frag.len - off;
    struct pm_writer_piece *last = w->n_pieces ? &w->pieces[w->n_pieces - 1] : NULL;
    if (last && last->len != PIECE_ID && last->off + last->len == off)
        last->len += len;
    else
        add_piece(w, off, len);
    w->links_len += len;
}

static void add_id(struct pm_feature_writer *w)
{
    add_piece(w, 0, PIECE_ID);
    w->n_ids++;
}

/* Room for n keys in frag, and key k (each with the comma before it). */
static void keys_init(struct pm_feature_writer *w)
{
    pm_strbuf_init(&w->frag);
    w->key_end = pm_malloc((w->n ? w->n : 1) * sizeof *w->key_end);
}

static void add_key(struct pm_feature_writer *w, size_t k, const char *name)
{
    pm_strbuf_append_str(&w->frag, k ? ",\"" : "\"");
    pm_strbuf_append_json_str(&w->frag, name);
    pm_strbuf_append_str(&w->frag, "\":");
    w->key_end[k] = w->frag.len;
}

void pm_feature_writer_init_keys(struct pm_feature_writer *w, const char *const *names, size_t n)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    keys_init(w);
    for (size_t k = 0; k < n; k++)
        add_key(w, k, names[k]);
}

void pm_feature_writer_init(struct pm_feature_writer *w, const struct pm_collection *c,
                            const char *base_url, const struct pm_feature_opts *opts)
{
    memset(w, 0, sizeof *w);
    w->skip_geometry = opts && opts->skip_geometry;
    w->index = opts && opts->properties ? opts->properties : NULL;
    w->n = w->index ? opts->n_properties : c->n_props;
    keys_init(w);
    for (size_t k = 0; k < w->n; k++)
        add_key(w, k, c->props[w->index ? w->index[k] : k].name);
    /* The close of the properties and the links: self, collection, then the collection's
     * own, each href base_url + path with {id} replaced by the URL-encoded id. */
    add_text(w, "},\"links\":[{\"href\":\"", 0);
    add_text(w, base_url, 1);
    add_text(w, "/collections/", 0);
    add_text(w, c->id, 1);
    add_text(w, "/items/", 0);
    add_id(w);
    add_text(w, "\",\"rel\":\"self\",\"type\":\"application/geo+json\"},{\"href\":\"", 0);
    add_text(w, base_url, 1);
    add_text(w, "/collections/", 0);
    add_text(w, c->id, 1);
    add_text(w, "\",\"rel\":\"collection\",\"type\":\"application/json\"}", 0);
    for (size_t i = 0; i < c->n_links; i++) {
        add_text(w, ",{\"href\":\"", 0);
        add_text(w, base_url, 1);
        char *path = pm_strdup(c->links[i].href), *part = path, *at;
        while ((at = strstr(part, "{id}"))) {
            *at = '\0';
            add_text(w, part, 1);
            add_id(w);
            part = at + 4;
        }
        add_text(w, part, 1);
        free(path);
        add_text(w, "\",\"rel\":\"", 0);
        add_text(w, c->links[i].rel, 1);
        add_text(w, "\",\"type\":\"application/geo+json\",\"title\":\"", 0);
        add_text(w, c->links[i].title, 1);
        add_text(w, "\"}", 0);
    }
    add_text(w, "]}", 0);
}

void pm_feature_writer_fini(struct pm_feature_writer *w)
{
    pm_strbuf_fini(&w->frag);
    free(w->key_end);
    free(w->pieces);
    memset(w, 0, sizeof *w);
}

#define HEAD "{\"type\":\"Feature\",\"id\":\""
#define GEOMETRY "\",\"geometry\":"
#define PROPERTIES ",\"properties\":{"
#define PUT(w, lit) (memcpy((w), (lit), sizeof(lit) - 1), (w) + sizeof(lit) - 1)

static size_t text_len(const struct pm_value *v)
{
    return v->len ? v->len : strlen(v->s);
}

/* The most a value takes written: %.17g of a double is at most 24 bytes. */
static size_t value_room(const struct pm_value *v)
{
    return v->type == PM_VALUE_TEXT ? 6 * text_len(v) + 2 : 24;
}

static char *put_value(char *w, const struct pm_value *v)
{
    switch (v->type) {
    case PM_VALUE_NULL:
        return PUT(w, "null");
    case PM_VALUE_INT:
        return pm_int_to(w, v->i);
    case PM_VALUE_REAL:
        return w + snprintf(w, 25, "%.17g", v->r);
    case PM_VALUE_TEXT:
        *w++ = '"';
        w = pm_json_escape_n_to(w, v->s, text_len(v));
        *w++ = '"';
        return w;
    }
    return w;
}

void pm_feature_writer_head(const struct pm_feature_writer *fw, struct pm_strbuf *out,
                            const struct pm_feature_row *row)
{
    const char *geometry = fw->skip_geometry || !row->geometry ? "null" : row->geometry;
    size_t id_len = strlen(row->id), geometry_len = strlen(geometry);
    /* Everything up to the close of the properties, written at once. */
    size_t room = sizeof HEAD + 6 * id_len + sizeof GEOMETRY + geometry_len + sizeof PROPERTIES;
    for (size_t k = 0; k < fw->n; k++)
        room += value_room(&row->values[fw->index ? fw->index[k] : k]);
    char *w = pm_strbuf_reserve(out, room + (fw->n ? fw->key_end[fw->n - 1] : 0));
    w = PUT(w, HEAD);
    w = pm_json_escape_to(w, row->id);
    w = PUT(w, GEOMETRY);
    memcpy(w, geometry, geometry_len);
    w = PUT(w + geometry_len, PROPERTIES);
    size_t key = 0;
    for (size_t k = 0; k < fw->n; k++) {
        memcpy(w, fw->frag.data + key, fw->key_end[k] - key);
        w += fw->key_end[k] - key;
        key = fw->key_end[k];
        w = put_value(w, &row->values[fw->index ? fw->index[k] : k]);
    }
    pm_strbuf_set_end(out, w);
}

void pm_feature_writer_write(const struct pm_feature_writer *fw, struct pm_strbuf *out,
                             const struct pm_feature_row *row)
{
    /* The store's copy of the head serves only a writer of every property and the geometry,
     * which is what it was written with. */
    if (row->head && !fw->index && !fw->skip_geometry)
        pm_strbuf_append(out, row->head, row->head_len);
    else
        pm_feature_writer_head(fw, out, row);
    if (row->has_distance)
        pm_strbuf_appendf(out, "%s\"distance_m\":%.1f", fw->n ? "," : "", row->distance_m);
    /* The links: their text, and the URL-encoded id (which needs no JSON escape). */
    size_t id_len = strlen(row->id);
    char id_buf[256], *enc = 3 * id_len < sizeof id_buf ? id_buf : pm_malloc(3 * id_len + 1);
    size_t enc_len = (size_t)(pm_urlenc_to(enc, row->id) - enc);
    char *w = pm_strbuf_reserve(out, fw->links_len + fw->n_ids * enc_len);
    for (size_t i = 0; i < fw->n_pieces; i++) {
        const struct pm_writer_piece *p = &fw->pieces[i];
        int id = p->len == PIECE_ID;
        memcpy(w, id ? enc : fw->frag.data + p->off, id ? enc_len : p->len);
        w += id ? enc_len : p->len;
    }
    pm_strbuf_set_end(out, w);
    if (enc != id_buf)
        free(enc);
}

void pm_geojson_feature_opts(struct pm_strbuf *out, const struct pm_collection *c,
                             const struct pm_feature_row *row, const char *base_url,
                             const struct pm_feature_opts *opts)
{
    struct pm_feature_writer w;
    pm_feature_writer_init(&w, c, base_url, opts);
    pm_feature_writer_write(&w, out, row);
    pm_feature_writer_fini(&w);
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
