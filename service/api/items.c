/*
 * /collections/{id}/items and /collections/{id}/items/{featureId}.
 *
 * The GeoJSON items response streams: the handler opens a cursor and hands http/ a stream
 * that owns the session and cursor and writes one feature at a time as libmicrohttpd pulls
 * bytes, so a page of 10,000 features holds no more than one feature's text in memory.
 *
 * Paging is by offset over a stable order (id); the data only changes with a new load, which
 * changes every ETag, so pages neither repeat nor skip a feature. next/prev links carry every
 * parameter of the request (OGC 17-069r4 /req/core/fc-links, /rec/core/fc-next-1).
 */
#include "internal.h"

#include "cache.h"

#include <stdlib.h>
#include <string.h>

/* The page links of an items request. They are written after the features, because the
 * next and previous pages are known only then: with the default order (by id) paging is by
 * key — next is after=<the last id>, prev is before=<the first id> — so a deep page costs what
 * the first does; with sortby, q or near it is by offset. */
struct paging {
    char *base; /* the items URL with every parameter but offset, after, before and f */
    char sep;   /* '?' or '&': what comes before the next parameter */
    int html;   /* the page is HTML (links keep f=html; otherwise f=json) */
    int keyset; /* paging by key */
    long limit, offset;
    int from_start;    /* this page starts at the first feature */
    char *self_paging; /* the request's own paging parameter ("offset=20", "after=x"), or NULL */
    char *title;       /* the collection's title, for the collection link */
    char *collection_href;
};

static void paging_init(struct paging *pg, struct pm_ctx *ctx, const struct pm_collection *c,
                        const struct pm_items_params *p)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_appendf(&b, "%s/collections/", ctx->base_url);
    pm_strbuf_append_urlenc(&b, c->id);
    pm_strbuf_append_str(&b, "/items");
    char sep = '?';
    for (size_t i = 0; i < ctx->req->n_args; i++) {
        const struct pm_kv *kv = &ctx->req->args[i];
        if (!strcmp(kv->key, "offset") || !strcmp(kv->key, "f") || !strcmp(kv->key, "after") ||
            !strcmp(kv->key, "before"))
            continue;
        pm_strbuf_append_char(&b, sep);
        pm_strbuf_append_urlenc(&b, kv->key);
        pm_strbuf_append_char(&b, '=');
        pm_strbuf_append_urlenc(&b, kv->value);
        sep = '&';
    }
    memset(pg, 0, sizeof *pg);
    pg->base = pm_strbuf_take(&b);
    pg->sep = sep;
    pg->html = ctx->format == PM_FORMAT_HTML;
    pg->keyset = !p->n_sort && !p->q && !p->has_near;
    pg->limit = p->limit;
    pg->offset = p->offset;
    struct pm_strbuf own;
    pm_strbuf_init(&own);
    if (p->after) {
        pm_strbuf_append_str(&own, "after=");
        pm_strbuf_append_urlenc(&own, p->after);
    } else if (p->before) {
        pm_strbuf_append_str(&own, "before=");
        pm_strbuf_append_urlenc(&own, p->before);
    }
    if (p->offset > 0)
        pm_strbuf_appendf(&own, "%soffset=%ld", own.len ? "&" : "", p->offset);
    pg->self_paging = own.len ? pm_strbuf_take(&own) : NULL;
    pm_strbuf_fini(&own);
    pg->title = pm_strdup(c->title);
    pg->collection_href = pm_asprintf("%s/collections/%s", ctx->base_url, c->id);
}

static void paging_fini(struct paging *pg)
{
    free(pg->base);
    free(pg->self_paging);
    free(pg->title);
    free(pg->collection_href);
}

/* base + paging (already encoded, or NULL) + f. Caller frees. */
static char *page_href(const struct paging *pg, const char *paging, const char *f)
{
    char sep = pg->sep;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_append_str(&b, pg->base);
    if (paging) {
        pm_strbuf_append_char(&b, sep);
        pm_strbuf_append_str(&b, paging);
        sep = '&';
    }
    pm_strbuf_append_char(&b, sep);
    pm_strbuf_append_str(&b, "f=");
    pm_strbuf_append_str(&b, f);
    return pm_strbuf_take(&b);
}

#define MAX_LINKS 6

struct page_links {
    struct pm_link links[MAX_LINKS];
    size_t n;
};

static void add_link(struct page_links *pl, const char *rel, const char *type, const char *title,
                     char *href)
{
    pl->links[pl->n++] = (struct pm_link){.rel = rel, .type = type, .title = title, .href = href};
}

/* The links of a page that returned `returned` features from first_id to last_id, with
 * more after it or not. */
static void page_links_build(struct page_links *pl, const struct paging *pg, long returned,
                             const char *first_id, const char *last_id, int more)
{
    const char *f = pg->html ? "html" : "json", *other = pg->html ? "json" : "html";
    const char *type = pg->html ? PM_TYPE_HTML : PM_TYPE_GEOJSON;
    pl->n = 0;
    add_link(pl, "self", type, "this page", page_href(pg, pg->self_paging, f));
    add_link(pl, "alternate", pg->html ? PM_TYPE_GEOJSON : PM_TYPE_HTML,
             pg->html ? "this page as GeoJSON" : "this page as HTML",
             page_href(pg, pg->self_paging, other));
    struct pm_strbuf paging;
    pm_strbuf_init(&paging);
    if (more && returned > 0) {
        if (pg->keyset) {
            pm_strbuf_append_str(&paging, "after=");
            pm_strbuf_append_urlenc(&paging, last_id);
        } else {
            pm_strbuf_appendf(&paging, "offset=%ld", pg->offset + pg->limit);
        }
        add_link(pl, "next", type, "next page", page_href(pg, paging.data, f));
    }
    pm_strbuf_reset(&paging);
    if (!pg->from_start) {
        if (pg->keyset && returned > 0) {
            pm_strbuf_append_str(&paging, "before=");
            pm_strbuf_append_urlenc(&paging, first_id);
            add_link(pl, "prev", type, "previous page", page_href(pg, paging.data, f));
        } else if (!pg->keyset && pg->offset > 0) {
            long prev = pg->offset > pg->limit ? pg->offset - pg->limit : 0;
            if (prev > 0)
                pm_strbuf_appendf(&paging, "offset=%ld", prev);
            add_link(pl, "prev", type, "previous page",
                     page_href(pg, prev > 0 ? paging.data : NULL, f));
        }
    }
    pm_strbuf_fini(&paging);
    add_link(pl, "collection", PM_TYPE_JSON, pg->title, pm_strdup(pg->collection_href));
}

static void page_links_fini(struct page_links *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        free(pl->links[i].href);
    pl->n = 0;
}

/* The streamed FeatureCollection. */
struct items_stream {
    struct pm_api *api;
    char cache_key[64];    /* the response's ETag: where a complete copy is cached */
    struct pm_strbuf copy; /* everything sent so far, while it fits an entry of the cache */
    int copying;
    struct pm_store_ref *ref; /* held until the stream is freed */
    struct pm_store *store;
    struct pm_session *session;
    struct pm_cursor *cursor;
    const struct pm_collection *collection;
    struct pm_strbuf buf; /* produced; buf.data[0 .. sent) went out in the last read */
    size_t sent;
    enum { S_BEGIN, S_ROWS, S_DONE } state;
    long returned;
    long long matched;
    struct paging paging;
    char *first_id, *last_id; /* of the features written so far */
    struct pm_feature_opts opts;
    size_t properties[PM_PROPERTIES_MAX];
    struct pm_feature_writer writer; /* of opts */
    char request_id[32];
    int first_rc; /* the first row, read before the headers went out: 1, 0, or -1 if none */
    struct pm_feature_row first_row;
};

static void items_stream_free(void *ctx)
{
    struct items_stream *s = ctx;
    pm_cursor_close(s->store, s->cursor);
    pm_store_release(s->store, s->session);
    pm_strbuf_fini(&s->buf);
    pm_strbuf_fini(&s->copy);
    pm_feature_writer_fini(&s->writer);
    paging_fini(&s->paging);
    free(s->first_id);
    free(s->last_id);
    pm_api_release_ref(s->api, s->ref);
    free(s);
}

/* Produce the next piece: the opening, one feature, or the closing. */
static int items_stream_produce(struct items_stream *s)
{
    struct pm_feature_row row;
    struct pm_error err = {0};
    switch (s->state) {
    case S_BEGIN:
        pm_geojson_collection_begin(&s->buf);
        s->state = S_ROWS;
        return 0;
    case S_ROWS: {
        int rc;
        if (s->first_rc >= 0) {
            rc = s->first_rc;
            row = s->first_row;
            s->first_rc = -1;
        } else {
            rc = pm_cursor_next(s->store, s->cursor, &row, &err);
        }
        if (rc < 0) {
            pm_log(PM_LOG_ERROR, "msg=\"items stream failed\" request=%s error=\"%s\"",
                   s->request_id, err.message);
            return -1;
        }
        /* The store gives one row more than the page: it only says a next page exists. */
        if (rc == 1 && s->returned < s->paging.limit) {
            if (s->returned++)
                pm_strbuf_append_char(&s->buf, ',');
            pm_feature_writer_write(&s->writer, &s->buf, &row);
            if (!s->first_id)
                s->first_id = pm_strdup(row.id);
            free(s->last_id);
            s->last_id = pm_strdup(row.id);
            return 0;
        }
        if (s->matched == PM_MATCHED_LATER &&
            pm_cursor_matched(s->store, s->cursor, s->returned, rc == 1, &s->matched, &err)) {
            pm_log(PM_LOG_ERROR, "msg=\"items stream failed\" request=%s error=\"%s\"",
                   s->request_id, err.message);
            return -1;
        }
        struct page_links pl;
        page_links_build(&pl, &s->paging, s->returned, s->first_id, s->last_id, rc == 1);
        pm_geojson_collection_end(&s->buf, s->returned, s->matched, pl.links, pl.n);
        page_links_fini(&pl);
        s->state = S_DONE;
        /* Give the session back as soon as the last row is read, not when the client has
         * received the last byte. */
        pm_cursor_close(s->store, s->cursor);
        pm_store_release(s->store, s->session);
        s->cursor = NULL;
        s->session = NULL;
        return 0;
    }
    case S_DONE:
        break;
    }
    return 0;
}

static ssize_t items_stream_read(void *ctx, char *out, size_t max)
{
    struct items_stream *s = ctx;
    /* Drop what was sent before producing more, so the buffer holds at most one read's worth
     * plus one feature, whatever the size of the page (more only after a take that found the
     * page too long). */
    if (s->sent) {
        memmove(s->buf.data, s->buf.data + s->sent, s->buf.len - s->sent);
        s->buf.len -= s->sent;
        s->buf.data[s->buf.len] = '\0';
        s->sent = 0;
    }
    while (s->buf.len < max && s->state != S_DONE)
        if (items_stream_produce(s))
            return -1;
    size_t n = s->buf.len;
    if (n > max)
        n = max;
    memcpy(out, s->buf.data, n);
    s->sent = n;
    if (s->copying) {
        if (s->copy.len + n > pm_cache_max_entry(s->api->cache)) {
            s->copying = 0;
            pm_strbuf_fini(&s->copy);
        } else {
            pm_strbuf_append(&s->copy, out, n);
        }
    }
    /* The whole body went out: keep it for the next identical request. */
    if (n == 0 && s->copying) {
        size_t len = s->copy.len;
        pm_cache_keep(s->api->cache, s->cache_key, pm_strbuf_take(&s->copy), len, PM_TYPE_GEOJSON);
        s->copying = 0;
    }
    return (ssize_t)n;
}

/* A page of more features is not taken whole: at about 1 KB a feature it would rarely fit the
 * server's 256 KiB, and it streams with less memory read piece by piece. */
#define TAKE_FEATURES_MAX 256

/* pm_stream.take (api.h): the page produced into the stream's buffer, which becomes the body;
 * the cache gets a copy. Longer pages (TAKE_FEATURES_MAX) are declined unread. */
static int items_stream_take(void *ctx, size_t limit, struct pm_strbuf *body)
{
    struct items_stream *s = ctx;
    if (s->paging.limit > TAKE_FEATURES_MAX)
        return 2;
    while (s->buf.len <= limit && s->state != S_DONE)
        if (items_stream_produce(s))
            return -1;
    if (s->state != S_DONE || s->buf.len > limit)
        return 0;
    if (s->copying)
        pm_cache_put(s->api->cache, s->cache_key, s->buf.data, s->buf.len, PM_TYPE_GEOJSON);
    s->copying = 0;
    pm_strbuf_fini(body);
    *body = s->buf;
    pm_strbuf_init(&s->buf);
    return 1;
}

/* A property value as HTML text (null as nothing). */
static void append_value_html(struct pm_strbuf *b, const struct pm_value *v)
{
    if (v->type == PM_VALUE_TEXT)
        pm_strbuf_append_html(b, v->s);
    else if (v->type == PM_VALUE_INT)
        pm_strbuf_appendf(b, "%lld", v->i);
    else if (v->type == PM_VALUE_REAL)
        pm_strbuf_appendf(b, "%g", v->r);
}

/* The HTML page of a page of items: a table of properties with paging links. */
static int items_html(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_cursor *cur,
                      const struct paging *pg, long long matched, struct pm_error *err)
{
    struct pm_strbuf *b = &ctx->resp->body;
    struct pm_strbuf rows;
    struct pm_feature_row row;
    struct pm_store *st = ctx->store;
    char *first_id = NULL, *last_id = NULL;
    int rc;
    long returned = 0;

    /* The rows first: the page links depend on them. */
    pm_strbuf_init(&rows);
    while ((rc = pm_cursor_next(st, cur, &row, err)) == 1 && returned < pg->limit) {
        pm_strbuf_append_str(&rows, "<tr><td><a href=\"");
        pm_strbuf_append_html(&rows, ctx->base_url);
        pm_strbuf_append_str(&rows, "/collections/");
        pm_strbuf_append_html(&rows, c->id);
        pm_strbuf_append_str(&rows, "/items/");
        pm_strbuf_append_urlenc(&rows, row.id);
        pm_strbuf_append_str(&rows, "?f=html\">");
        pm_strbuf_append_html(&rows, row.id);
        pm_strbuf_append_str(&rows, "</a></td>");
        for (size_t i = 0; i < c->n_props; i++) {
            pm_strbuf_append_str(&rows, "<td>");
            append_value_html(&rows, &row.values[i]);
            pm_strbuf_append_str(&rows, "</td>");
        }
        pm_strbuf_append_str(&rows, "</tr>\n");
        if (!first_id)
            first_id = pm_strdup(row.id);
        free(last_id);
        last_id = pm_strdup(row.id);
        returned++;
    }
    if (rc < 0) {
        pm_strbuf_fini(&rows);
        free(first_id);
        free(last_id);
        return -1;
    }
    if (matched == PM_MATCHED_LATER &&
        pm_cursor_matched(st, cur, returned, rc == 1, &matched, err)) {
        pm_strbuf_fini(&rows);
        free(first_id);
        free(last_id);
        return -1;
    }
    struct page_links links;
    const struct page_links *pl = &links;
    page_links_build(&links, pg, returned, first_id, last_id, rc == 1);
    free(first_id);
    free(last_id);

    /* The page's GeoJSON (its alternate link) on a small map with the viewer's offline
     * basemap; all scripts and styles come from /viewer/, none from elsewhere. */
    struct pm_strbuf head;
    pm_strbuf_init(&head);
    for (size_t i = 0; i < pl->n; i++)
        if (!strcmp(pl->links[i].rel, "alternate")) {
            pm_strbuf_append_str(&head, "<link rel=\"alternate\" type=\"application/geo+json\" "
                                        "href=\"");
            pm_strbuf_append_html(&head, pl->links[i].href);
            pm_strbuf_append_str(&head, "\">\n");
        }
    pm_strbuf_append_str(&head, "<link rel=\"stylesheet\" href=\"");
    pm_strbuf_append_html(&head, ctx->base_url);
    pm_strbuf_append_str(&head, "/viewer/vendor/leaflet.css\">\n");
    pm_html_begin_head(ctx, b, c->title, head.data);
    pm_strbuf_fini(&head);
    pm_strbuf_append_str(b, "<p>");
    pm_strbuf_append_html(b, c->description);
    pm_strbuf_append_str(b, "</p>\n<div id=\"items-map\" style=\"height:360px;max-width:60em\" "
                            "data-vendor=\"");
    pm_strbuf_append_html(b, ctx->base_url);
    pm_strbuf_append_str(b, "/viewer/vendor\"></div>\n");
    static const char *const scripts[] = {"vendor/leaflet.js", "vendor/topojson-client.min.js",
                                          "items-map.js"};
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        pm_strbuf_append_str(b, "<script src=\"");
        pm_strbuf_append_html(b, ctx->base_url);
        pm_strbuf_appendf(b, "/viewer/%s\"></script>\n", scripts[i]);
    }
    pm_strbuf_append_str(b, "<nav class=\"paging\">");
    for (size_t i = 0; i < pl->n; i++) {
        if (strcmp(pl->links[i].rel, "next") && strcmp(pl->links[i].rel, "prev") &&
            strcmp(pl->links[i].rel, "alternate"))
            continue;
        pm_strbuf_append_str(b, "<a rel=\"");
        pm_strbuf_append_html(b, pl->links[i].rel);
        pm_strbuf_append_str(b, "\" href=\"");
        pm_strbuf_append_html(b, pl->links[i].href);
        pm_strbuf_append_str(b, "\">");
        pm_strbuf_append_html(b, pl->links[i].title);
        pm_strbuf_append_str(b, "</a> ");
    }
    pm_strbuf_append_str(b, "</nav>\n<table>\n<thead><tr><th>id</th>");
    for (size_t i = 0; i < c->n_props; i++) {
        pm_strbuf_append_str(b, "<th>");
        pm_strbuf_append_html(b, c->props[i].name);
        pm_strbuf_append_str(b, "</th>");
    }
    pm_strbuf_append_str(b, "</tr></thead>\n<tbody>\n");
    pm_strbuf_append(b, rows.data ? rows.data : "", rows.len);
    pm_strbuf_fini(&rows);
    if (matched >= 0)
        pm_strbuf_appendf(b, "</tbody>\n</table>\n<p>%ld of %lld features</p>\n", returned,
                          matched);
    else
        pm_strbuf_appendf(b, "</tbody>\n</table>\n<p>%ld features</p>\n", returned);
    page_links_fini(&links);
    pm_html_end(ctx, b);
    ctx->resp->status = 200;
    ctx->resp->content_type = PM_TYPE_HTML;
    return 0;
}

int pm_handle_items(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_items_params *p,
                    struct pm_error *err)
{
    struct pm_store *st = ctx->store;
    struct pm_session *session = NULL;
    struct pm_cursor *cur = NULL;
    long long matched;

    /* GeoJSON of every property and the geometry: what the store's heads hold. */
    p->whole_features = ctx->format != PM_FORMAT_HTML && !p->has_properties && !p->skip_geometry;

    if (pm_store_borrow(st, &session, err))
        return -1;
    int from_start;
    if (pm_store_items(st, session, c, p, &cur, &matched, &from_start, err)) {
        pm_store_release(st, session);
        return -1;
    }
    struct paging pg;
    paging_init(&pg, ctx, c, p);
    pg.from_start = from_start;
    if (ctx->format == PM_FORMAT_HTML) {
        int rc = items_html(ctx, c, cur, &pg, matched, err);
        paging_fini(&pg);
        pm_cursor_close(st, cur);
        pm_store_release(st, session);
        return rc;
    }
    /* The first row is read now, before the headers go out: a query that fails or runs over
     * its time limit is answered with its error (503, 500), not with a cut-off 200. */
    struct pm_feature_row first_row;
    int first_rc = pm_cursor_next(st, cur, &first_row, err);
    if (first_rc < 0) {
        paging_fini(&pg);
        pm_cursor_close(st, cur);
        pm_store_release(st, session);
        return -1;
    }
    struct items_stream *s = pm_calloc(1, sizeof *s);
    s->first_rc = first_rc;
    s->first_row = first_row;
    s->api = ctx->api;
    s->ref = ctx->ref;
    pm_api_hold_ref(ctx->api, ctx->ref);
    s->store = st;
    s->session = session;
    s->cursor = cur;
    s->collection = c;
    s->matched = matched;
    s->paging = pg;
    s->opts.skip_geometry = p->skip_geometry;
    if (p->has_properties) {
        memcpy(s->properties, p->properties, p->n_properties * sizeof p->properties[0]);
        s->opts.properties = s->properties;
        s->opts.n_properties = p->n_properties;
    }
    pm_feature_writer_init(&s->writer, c, ctx->base_url, &s->opts);
    snprintf(s->request_id, sizeof s->request_id, "%s",
             ctx->req->request_id ? ctx->req->request_id : "-");
    pm_strbuf_init(&s->buf);
    /* Room for the page at once, up to 128 KB, at about 1 KB a feature (this data's): growing
     * by doubling would copy it as often. */
    if (p->limit <= TAKE_FEATURES_MAX)
        pm_strbuf_reserve(&s->buf, p->limit < 128 ? ((size_t)p->limit + 4) * 1024 : 128 * 1024);
    pm_strbuf_init(&s->copy);
    s->copying = pm_cache_admit(ctx->api->cache, ctx->resp->etag);
    snprintf(s->cache_key, sizeof s->cache_key, "%s", ctx->resp->etag);
    ctx->resp->status = 200;
    ctx->resp->content_type = PM_TYPE_GEOJSON;
    ctx->resp->stream = (struct pm_stream){
        .read = items_stream_read, .free = items_stream_free, .ctx = s, .take = items_stream_take};
    return 0;
}

int pm_handle_item(struct pm_ctx *ctx, const struct pm_collection *c, const char *id,
                   struct pm_error *err)
{
    struct pm_store *st = ctx->store;
    struct pm_session *session = NULL;
    struct pm_cursor *cur = NULL;
    struct pm_feature_row row;
    int rc = -1;

    if (pm_store_borrow(st, &session, err))
        return -1;
    if (pm_store_feature(st, session, c, id, &cur, err))
        goto done;
    int found = pm_cursor_next(st, cur, &row, err);
    if (found < 0)
        goto done;
    if (found == 0) {
        pm_error_set(err, 404, "NotFound", "no feature '%.100s' in collection '%s'", id, c->id);
        goto done;
    }
    if (pm_not_modified(ctx)) {
        rc = 0;
        goto done;
    }
    if (ctx->format == PM_FORMAT_HTML) {
        struct pm_strbuf *b = &ctx->resp->body;
        pm_html_begin(ctx, b, row.id);
        pm_strbuf_append_str(b, "<dl>\n");
        for (size_t i = 0; i < c->n_props; i++) {
            const struct pm_value *v = &row.values[i];
            pm_strbuf_append_str(b, "<dt>");
            pm_strbuf_append_html(b, c->props[i].name);
            pm_strbuf_append_str(b, "</dt><dd>");
            append_value_html(b, v);
            pm_strbuf_append_str(b, "</dd>\n");
        }
        pm_strbuf_append_str(b, "</dl>\n<p>geometry: <code>");
        pm_strbuf_append_html(b, row.geometry ? row.geometry : "null");
        pm_strbuf_append_str(b, "</code></p>\n");
        pm_html_end(ctx, b);
        ctx->resp->content_type = PM_TYPE_HTML;
    } else {
        pm_geojson_feature(&ctx->resp->body, c, &row, ctx->base_url);
        ctx->resp->content_type = PM_TYPE_GEOJSON;
    }
    ctx->resp->status = 200;
    rc = 0;
done:
    pm_cursor_close(st, cur);
    pm_store_release(st, session);
    return rc;
}
