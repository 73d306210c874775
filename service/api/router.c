/*
 * The route table and everything common to all resources: method checks, the base URL,
 * format negotiation (the `f` parameter, then the Accept header), and ETags.
 *
 * ETags are weak validators derived from the data version (which changes with every load of
 * different data) and the request itself, so a conditional request is answered 304 before
 * any database work.
 */
#include "internal.h"

#include "cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pm_api *pm_api_new(struct pm_store *store, const struct pm_api_config *cfg)
{
    struct pm_api *api = pm_calloc(1, sizeof *api);
    pthread_mutex_init(&api->lock, NULL);
    api->current = pm_calloc(1, sizeof *api->current);
    api->current->store = store;
    api->base_url = cfg->base_url ? pm_strdup(cfg->base_url) : NULL;
    api->fallback_base_url =
        pm_strdup(cfg->fallback_base_url ? cfg->fallback_base_url : "http://localhost");
    api->viewer_dir = cfg->viewer_dir ? pm_strdup(cfg->viewer_dir) : NULL;
    /* Whole responses up to 1 MiB, 4096 of them, cache_bytes in all (0: no cache). */
    if (cfg->cache_bytes)
        api->cache = pm_cache_new(4096, cfg->cache_bytes, (size_t)1 << 20);
    return api;
}

void pm_api_free(struct pm_api *api)
{
    if (!api)
        return;
    free(api->base_url);
    free(api->fallback_base_url);
    free(api->viewer_dir);
    pm_cache_free(api->cache);
    free(api->current);
    pthread_mutex_destroy(&api->lock);
    free(api);
}

static struct pm_store_ref *acquire_ref(struct pm_api *api)
{
    pthread_mutex_lock(&api->lock);
    struct pm_store_ref *ref = api->current;
    ref->refs++;
    pthread_mutex_unlock(&api->lock);
    return ref;
}

void pm_api_hold_ref(struct pm_api *api, struct pm_store_ref *ref)
{
    pthread_mutex_lock(&api->lock);
    ref->refs++;
    pthread_mutex_unlock(&api->lock);
}

void pm_api_release_ref(struct pm_api *api, struct pm_store_ref *ref)
{
    pthread_mutex_lock(&api->lock);
    int last = --ref->refs == 0 && ref->retired;
    void (*retire)(struct pm_store *) = api->retire;
    pthread_mutex_unlock(&api->lock);
    if (last) {
        if (retire)
            retire(ref->store);
        free(ref);
    }
}

void pm_api_swap_store(struct pm_api *api, struct pm_store *store,
                       void (*retire)(struct pm_store *store))
{
    struct pm_store_ref *fresh = pm_calloc(1, sizeof *fresh);
    fresh->store = store;
    pthread_mutex_lock(&api->lock);
    struct pm_store_ref *old = api->current;
    api->current = fresh;
    api->retire = retire;
    old->retired = 1;
    int unused = old->refs == 0;
    pthread_mutex_unlock(&api->lock);
    if (unused) {
        if (retire)
            retire(old->store);
        free(old);
    }
}

void pm_response_init(struct pm_response *resp)
{
    memset(resp, 0, sizeof *resp);
    pm_strbuf_init(&resp->body);
    pm_strbuf_init(&resp->redirect);
}

void pm_response_fini(struct pm_response *resp)
{
    if (!resp)
        return;
    pm_strbuf_fini(&resp->body);
    pm_strbuf_fini(&resp->redirect);
}

/* A Host header is trusted only if it looks like a host name or address with a port. */
static int usable_host(const char *h)
{
    size_t len = h ? strlen(h) : 0;
    if (len == 0 || len > 200)
        return 0;
    return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == len;
}

static void set_base_url(struct pm_ctx *ctx)
{
    const char *base = ctx->api->base_url;
    if (base) {
        snprintf(ctx->base_url, sizeof ctx->base_url, "%s", base);
    } else if (usable_host(ctx->req->host)) {
        snprintf(ctx->base_url, sizeof ctx->base_url, "http://%s", ctx->req->host);
    } else {
        snprintf(ctx->base_url, sizeof ctx->base_url, "%s", ctx->api->fallback_base_url);
    }
}

/* f= wins; otherwise HTML when the client says it takes text/html (browsers do), else JSON
 * (OGC 17-069r4 /req/core/http: servers may use either mechanism). */
static int negotiate(struct pm_ctx *ctx, struct pm_error *err)
{
    ctx->format = PM_FORMAT_JSON;
    for (size_t i = 0; i < ctx->req->n_args; i++)
        if (!strcmp(ctx->req->args[i].key, "f"))
            return pm_format_parse(ctx->req->args[i].value, &ctx->format, err);
    if (ctx->req->accept && strstr(ctx->req->accept, "text/html"))
        ctx->format = PM_FORMAT_HTML;
    return 0;
}

static void compute_etag(struct pm_ctx *ctx)
{
    uint64_t h = PM_FNV_INIT;
    h = pm_fnv1a(h, ctx->req->path, strlen(ctx->req->path) + 1);
    for (size_t i = 0; i < ctx->req->n_args; i++) {
        h = pm_fnv1a(h, ctx->req->args[i].key, strlen(ctx->req->args[i].key) + 1);
        h = pm_fnv1a(h, ctx->req->args[i].value, strlen(ctx->req->args[i].value) + 1);
    }
    h = pm_fnv1a(h, &ctx->format, sizeof ctx->format);
    h = pm_fnv1a(h, ctx->base_url, strlen(ctx->base_url));
    snprintf(ctx->resp->etag, sizeof ctx->resp->etag, "W/\"%.16s-%016llx\"",
             ctx->store->catalog.data_version, (unsigned long long)h);
}

/* Does If-None-Match name our ETag, or is it the wildcard? Weak comparison (RFC 9110
 * 13.1.2). */
static int etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    if (!strcmp(inm, "*"))
        return 1;
    const char *bare = etag + 2; /* without W/ */
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!strncmp(p, "W/", 2))
            p += 2;
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        if (len == strlen(bare) && !strncmp(p, bare, len))
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

int pm_not_modified(struct pm_ctx *ctx)
{
    if (!etag_matches(ctx->req->if_none_match, ctx->resp->etag))
        return 0;
    ctx->resp->status = 304;
    return 1;
}

enum route {
    R_NONE,
    R_LANDING,
    R_CONFORMANCE,
    R_API,
    R_COLLECTIONS,
    R_COLLECTION,
    R_QUERYABLES,
    R_SUMMARY,
    R_SORTABLES,
    R_SCHEMA,
    R_VIEWER_REDIRECT,
    R_STATIC,
    R_ITEMS,
    R_ITEM
};

/* Match the path; for collection routes, cid and fid are set to point into buf (a copy of
 * the path). */
static enum route match(const char *path, char *buf, size_t bufsize, char **cid, char **fid)
{
    size_t len = strlen(path);
    if (len >= bufsize)
        return R_NONE;
    memcpy(buf, path, len + 1);
    if (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0'; /* "/collections/" is "/collections" */
    if (!strcmp(buf, "/"))
        return R_LANDING;
    if (!strcmp(buf, "/conformance"))
        return R_CONFORMANCE;
    if (!strcmp(buf, "/api"))
        return R_API;
    if (!strcmp(buf, "/collections"))
        return R_COLLECTIONS;
    if (!strcmp(path, "/viewer"))
        return R_VIEWER_REDIRECT;
    if (!strncmp(path, "/viewer/", 8)) {
        /* The original path: a trailing slash means index.html. */
        memcpy(buf, path, strlen(path) + 1);
        *cid = NULL;
        *fid = buf + 8;
        return R_STATIC;
    }
    if (strncmp(buf, "/collections/", 13))
        return R_NONE;
    char *id = buf + 13;
    char *slash = strchr(id, '/');
    *cid = id;
    if (!slash)
        return *id ? R_COLLECTION : R_NONE;
    *slash = '\0';
    char *rest = slash + 1;
    if (!strcmp(rest, "items"))
        return R_ITEMS;
    if (!strcmp(rest, "queryables"))
        return R_QUERYABLES;
    if (!strcmp(rest, "summary"))
        return R_SUMMARY;
    if (!strcmp(rest, "sortables"))
        return R_SORTABLES;
    if (!strcmp(rest, "schema"))
        return R_SCHEMA;
    if (strncmp(rest, "items/", 6))
        return R_NONE;
    *fid = rest + 6;
    return (**fid && !strchr(*fid, '/')) ? R_ITEM : R_NONE;
}

static int handle(struct pm_ctx *ctx, struct pm_error *err);
static int dispatch(struct pm_ctx *ctx_p, enum route r, const struct pm_collection *c,
                    const char *fid, struct pm_error *err);

int pm_api_handle(struct pm_api *api, const struct pm_request *req, struct pm_response *resp,
                  struct pm_error *err)
{
    struct pm_ctx ctx = {.api = api, .req = req, .resp = resp};
    ctx.ref = acquire_ref(api);
    ctx.store = ctx.ref->store;
    int rc = handle(&ctx, err);
    /* A stream that reads the store after this returns holds a reference of its own. */
    pm_api_release_ref(api, ctx.ref);
    return rc;
}

static int handle(struct pm_ctx *ctx_in, struct pm_error *err)
{
    struct pm_ctx ctx = *ctx_in; /* the handlers below fill base_url and format in the copy */
    const struct pm_request *req = ctx.req;
    struct pm_response *resp = ctx.resp;
    char buf[2048];
    char *cid = NULL, *fid = NULL;
    enum route r = match(req->path, buf, sizeof buf, &cid, &fid);
    const struct pm_collection *c = NULL;

    resp->allow = "GET, HEAD, OPTIONS";
    if (r == R_NONE)
        return pm_error_set(err, 404, "NotFound",
                            "no resource at this path; start at / (the landing page)");
    if (cid) {
        c = pm_catalog_find(&ctx.store->catalog, cid);
        if (!c)
            return pm_error_set(err, 404, "NotFound",
                                "no collection '%.100s'; the collections are listed at "
                                "/collections",
                                cid);
    }
    if (req->method == PM_METHOD_OTHER)
        return pm_error_set(err, 405, "MethodNotAllowed",
                            "this resource answers GET, HEAD and OPTIONS only");
    if (req->method == PM_METHOD_OPTIONS) {
        resp->status = 204;
        return 0;
    }
    set_base_url(&ctx);
    /* The viewer is a page, not an API resource: its query string is its own state. */
    if (r == R_VIEWER_REDIRECT) {
        /* The viewer's state is in its query string: keep it. */
        resp->status = 301;
        pm_strbuf_append_str(&resp->redirect, "/viewer/");
        for (size_t i = 0; i < req->n_args; i++) {
            pm_strbuf_append_char(&resp->redirect, i ? '&' : '?');
            pm_strbuf_append_urlenc(&resp->redirect, req->args[i].key);
            pm_strbuf_append_char(&resp->redirect, '=');
            pm_strbuf_append_urlenc(&resp->redirect, req->args[i].value);
        }
        resp->location = resp->redirect.data;
        return 0;
    }
    if (r == R_STATIC)
        return pm_handle_static(&ctx, fid, err);
    if (negotiate(&ctx, err))
        return -1;
    if (r != R_ITEMS && r != R_ITEM && r != R_SUMMARY &&
        pm_params_check_only_f(req->args, req->n_args, err))
        return -1;
    if (r == R_ITEM && pm_params_check_only_f(req->args, req->n_args, err))
        return -1;
    compute_etag(&ctx);
    resp->cache_control = "public, max-age=60";
    /* Only 200 answers are cached, under an ETag that holds the whole request: a hit is a
     * request that was valid before. */
    const char *cached_type;
    if (pm_cache_get(ctx.api->cache, resp->etag, &resp->body, &cached_type)) {
        if (pm_not_modified(&ctx)) {
            pm_strbuf_reset(&resp->body);
            return 0;
        }
        resp->status = 200;
        resp->content_type = cached_type;
        return 0;
    }
    int rc = dispatch(&ctx, r, c, fid, err);
    if (rc == 0 && resp->status == 200 && !resp->stream.read &&
        pm_cache_admit(ctx.api->cache, resp->etag))
        pm_cache_put(ctx.api->cache, resp->etag, resp->body.data ? resp->body.data : "",
                     resp->body.len, resp->content_type);
    return rc;
}

/* The handler of route r, after the checks common to all. */
static int dispatch(struct pm_ctx *ctx_p, enum route r, const struct pm_collection *c,
                    const char *fid, struct pm_error *err)
{
    struct pm_ctx ctx = *ctx_p;
    const struct pm_request *req = ctx.req;
    if (r == R_ITEMS) {
        /* The parameters are checked before a 304, so a bad request is never "not
         * modified". */
        struct pm_items_params p;
        if (pm_items_params_parse(req->args, req->n_args, &c->spec, &p, err))
            return -1;
        int rc = pm_not_modified(&ctx) ? 0 : pm_handle_items(&ctx, c, &p, err);
        pm_items_params_fini(&p);
        return rc;
    }
    /* A feature's existence is known only after the lookup, and "If-None-Match: *" must not
     * answer 304 for a feature that does not exist (RFC 9110 13.1.2): its handler asks. */
    if (r == R_SUMMARY)
        return pm_handle_summary(&ctx, c, err);
    if (r != R_ITEM && pm_not_modified(&ctx))
        return 0;
    switch (r) {
    case R_LANDING:
        return pm_handle_landing(&ctx, err);
    case R_CONFORMANCE:
        return pm_handle_conformance(&ctx, err);
    case R_API:
        return pm_handle_openapi(&ctx, err);
    case R_COLLECTIONS:
        return pm_handle_collections(&ctx, err);
    case R_COLLECTION:
        return pm_handle_collection(&ctx, c, err);
    case R_QUERYABLES:
        return pm_handle_queryables(&ctx, c, err);
    case R_SORTABLES:
        return pm_handle_sortables(&ctx, c, err);
    case R_SCHEMA:
        return pm_handle_schema(&ctx, c, err);
    case R_ITEM:
        return pm_handle_item(&ctx, c, fid, err);
    case R_ITEMS:
    case R_SUMMARY:
    case R_VIEWER_REDIRECT:
    case R_STATIC:
    case R_NONE:
        break;
    }
    return pm_error_set(err, 404, "NotFound", "no resource at this path");
}
