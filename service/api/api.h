/*
 * api: OGC API – Features Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) over the store. One
 * handler file per resource; this header is the boundary with http/.
 *
 * A handler fills a struct pm_response or returns -1 with a struct pm_error; http/ renders
 * every error (and only there). Responses are either a fixed body or a pull-based stream
 * (items), which owns its store session and cursor until http/ frees it.
 *
 * Thread safety: struct pm_api is read-only after pm_api_new; pm_api_handle may run on many
 * threads at once.
 */
#ifndef PM_API_H
#define PM_API_H

#include "query/query.h"
#include "store/store.h"
#include "util/util.h"

#include <sys/types.h>

enum pm_method { PM_METHOD_GET, PM_METHOD_HEAD, PM_METHOD_OPTIONS, PM_METHOD_OTHER };

/* A request as http/ hands it over. Every string is borrowed for the call's duration. */
struct pm_request {
    enum pm_method method;
    const char *path;         /* decoded, starts with '/' */
    const struct pm_kv *args; /* decoded query parameters, in order */
    size_t n_args;
    const char *accept; /* headers, NULL when absent */
    const char *if_none_match;
    const char *host;
    const char *request_id;
};

/* A pull-based body: read() fills buf with up to max bytes and returns how many, 0 at the
 * end, or -1 on a failure after the headers went out (the connection is then cut). free()
 * releases ctx and everything it holds; http/ calls it exactly once. */
struct pm_stream {
    ssize_t (*read)(void *ctx, char *buf, size_t max);
    void (*free)(void *ctx);
    void *ctx;
    /* Optional: the whole body at once, if it ends within limit bytes: 1 with it moved into
     * *body (the stream is then spent: only free follows), 0 if it is longer (read gives it
     * all, from the start), 2 if it declines without reading (read as if there were no take),
     * -1 if it failed. Spares the copies of a body read piece by piece. */
    int (*take)(void *ctx, size_t limit, struct pm_strbuf *body);
};

struct pm_response {
    int status;
    const char *content_type; /* a string constant */
    struct pm_strbuf body;    /* the body, unless stream.read is set */
    struct pm_stream stream;
    char etag[64]; /* "" for none */
    const char *cache_control;
    const char *allow;    /* for 405 and OPTIONS */
    const char *location; /* for redirects: a constant, or redirect.data */
    struct pm_strbuf redirect;
};

struct pm_api_config {
    const char *base_url; /* "http://host:port" without trailing slash, or NULL: from Host */
    const char *fallback_base_url; /* used when base_url is NULL and Host is unusable */
    const char *viewer_dir;        /* the web viewer's files, served at /viewer/; may be NULL */
    size_t cache_bytes;            /* memory for cached responses; 0: none */
};

struct pm_api;

/* The API over `store` (borrowed; must outlive the api, or be swapped out). Caller frees with
 * pm_api_free, which leaves the current store open. */
struct pm_api *pm_api_new(struct pm_store *store, const struct pm_api_config *cfg);
void pm_api_free(struct pm_api *api);

/* Serve `store` from now on (borrowed, as in pm_api_new): requests under way finish on the
 * old store, new ones read the new one. `retire` is called with the old store once no request
 * uses it any more (at once if none does), from whichever thread finished last. Returns the
 * old store's data version... nothing: the caller learns it from the logs. Thread-safe. */
void pm_api_swap_store(struct pm_api *api, struct pm_store *store,
                       void (*retire)(struct pm_store *store));

/* Answer one request. resp must be zeroed by the caller (pm_response_init); on return 0 it
 * holds the response, on -1 err says what to send. Either way the caller finishes with
 * pm_response_fini. */
int pm_api_handle(struct pm_api *api, const struct pm_request *req, struct pm_response *resp,
                  struct pm_error *err);

void pm_response_init(struct pm_response *resp);
/* Frees the body; a stream is left to whoever took it (http/ takes it when sending). */
void pm_response_fini(struct pm_response *resp);

#endif
