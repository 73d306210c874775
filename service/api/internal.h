/*
 * What the handler files of api/ share: the api struct, the per-request context and the
 * helpers for links, negotiation and HTML pages. Not for use outside api/.
 */
#ifndef PM_API_INTERNAL_H
#define PM_API_INTERNAL_H

#include "api.h"
#include "geojson/geojson.h"

#include <jansson.h>
#include <pthread.h>

/* A store in use: requests hold a reference while they read it, so that a store swapped out
 * by pm_api_swap_store is retired only when its last request has finished. */
struct pm_store_ref {
    struct pm_store *store;
    unsigned refs;
    int retired;
};

struct pm_api {
    pthread_mutex_t lock;
    struct pm_store_ref *current;
    void (*retire)(struct pm_store *store); /* called once a swapped-out store is unused */
    char *base_url;
    char *fallback_base_url;
    char *viewer_dir;       /* NULL: no viewer */
    struct pm_cache *cache; /* whole responses by ETag, or NULL */
};

/* One request being answered. */
struct pm_ctx {
    struct pm_api *api;
    struct pm_store_ref *ref; /* the store this request reads, held until it is answered */
    struct pm_store *store;   /* ref->store */
    const struct pm_request *req;
    struct pm_response *resp;
    enum pm_format format;
    char base_url[256]; /* scheme://host[:port], no trailing slash */
};

#define PM_TYPE_JSON "application/json"
#define PM_TYPE_GEOJSON "application/geo+json"
#define PM_TYPE_HTML "text/html; charset=utf-8"
#define PM_TYPE_OPENAPI "application/vnd.oai.openapi+json;version=3.0"

/* Take one more reference on ref (a stream that outlives the request). */
void pm_api_hold_ref(struct pm_api *api, struct pm_store_ref *ref);
/* Drop a reference; the last one of a retired store retires it. */
void pm_api_release_ref(struct pm_api *api, struct pm_store_ref *ref);

/* Handlers: fill ctx->resp and return 0, or return -1 with err. */
int pm_handle_landing(struct pm_ctx *ctx, struct pm_error *err);
/* A file of the viewer: rel is the path below /viewer/ ("" for index.html). */
int pm_handle_static(struct pm_ctx *ctx, const char *rel, struct pm_error *err);
int pm_handle_conformance(struct pm_ctx *ctx, struct pm_error *err);
int pm_handle_openapi(struct pm_ctx *ctx, struct pm_error *err);
int pm_handle_collections(struct pm_ctx *ctx, struct pm_error *err);
int pm_handle_collection(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err);
/* p: the request's checked parameters (borrowed; its whole_features is set here). */
int pm_handle_items(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_items_params *p,
                    struct pm_error *err);
int pm_handle_summary(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err);
int pm_handle_queryables(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err);
int pm_handle_schema(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err);
int pm_handle_sortables(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err);
int pm_handle_item(struct pm_ctx *ctx, const struct pm_collection *c, const char *id,
                   struct pm_error *err);

/* The JSON of one collection (as listed in /collections and served at /collections/{id}).
 * Caller owns the reference. */
json_t *pm_collection_json(struct pm_ctx *ctx, const struct pm_collection *c);

/* A link object {href, rel, type, title}; href is base_url + path. */
json_t *pm_link_json(struct pm_ctx *ctx, const char *path, const char *rel, const char *type,
                     const char *title);
/* If the request's If-None-Match names the response's ETag, make it a 304 and return 1. */
int pm_not_modified(struct pm_ctx *ctx);
/* Append the self and alternate (other format) links of the resource at path. */
void pm_add_self_links(struct pm_ctx *ctx, json_t *links, const char *path, const char *json_type);
/* Answer with doc (stolen): as JSON of the given type, or as an HTML page when asked. */
void pm_respond_doc(struct pm_ctx *ctx, json_t *doc, const char *title, const char *type);
/* Set the response to the JSON value (stolen) serialised, with content type. */
void pm_respond_json(struct pm_ctx *ctx, json_t *value, const char *content_type);

/* HTML pages: the head with title and navigation, then the caller's body, then the foot.
 * Every data string must go through pm_strbuf_append_html. */
void pm_html_begin(struct pm_ctx *ctx, struct pm_strbuf *b, const char *title);
/* The same with head_extra (trusted markup, never data) added to <head>. */
void pm_html_begin_head(struct pm_ctx *ctx, struct pm_strbuf *b, const char *title,
                        const char *head_extra);
void pm_html_end(struct pm_ctx *ctx, struct pm_strbuf *b);
/* Render a JSON document as an HTML page: a definition list of its members, links as
 * anchors. Used for the pages that have no richer HTML of their own. */
void pm_html_json_page(struct pm_ctx *ctx, const char *title, json_t *doc);

#endif
