/*
 * What every HTTP test program shares: it starts the real server (SpatiaLite store, api,
 * libmicrohttpd adapter) in-process on 127.0.0.1 and a free port, and drives it with libcurl
 * exactly as a client would, so each test sees status, headers and body as they go over the
 * wire. It knows nothing of what any resource should answer — the expected values live in
 * the test programs and come from the fixture data (tests/fixtures/data), never from the code
 * under test. Helpers fail the running cmocka test on anything unexpected (a transport error,
 * a body that is not JSON) rather than returning errors to check.
 *
 * Symbols carry the prefix th_ (test harness) so they cannot clash with the pm_ symbols of
 * the libraries under test.
 */
#ifndef PM_TEST_HTTP_HARNESS_H
#define PM_TEST_HTTP_HARNESS_H

#include <jansson.h>
#include <stddef.h>

/* What the fixture (tests/fixtures/data, loaded by the fixture_load test) holds per
 * collection, and the equality filters sql/collections.sql defines for it. */
struct th_collection {
    const char *id;
    const char *feature;    /* one feature's id */
    long count;             /* its number of features */
    const char *filters[5]; /* NULL-terminated */
};
#define TH_N_COLLECTIONS 5
extern const struct th_collection th_collections[TH_N_COLLECTIONS];

struct pm_store;
struct pm_api;
struct pm_http;

/* A running server and the URL that reaches it. */
struct th_server {
    struct pm_store *store;
    struct pm_api *api;
    struct pm_http *http;
    unsigned port;
    char base[64]; /* "http://127.0.0.1:PORT", no trailing slash */
};

/* Process-wide set-up (SpatiaLite, libcurl) at the start of main, and tear-down at its end. */
void th_global_init(void);
void th_global_fini(void);

/* Start the real server over the database at db with `sessions` store sessions and `threads`
 * worker threads. Returns 0, or -1 after printing why (a group setup then fails). Call
 * th_server_stop to stop and free. */
int th_server_start(struct th_server *s, const char *db, unsigned sessions, unsigned threads);
void th_server_stop(struct th_server *s);

/* One response as the client received it. */
struct th_resp {
    long status;
    char *body; /* NUL-terminated; "" when there was none */
    size_t len;
    char *headers;     /* the raw header block of the final response */
    long connects;     /* CURLINFO_NUM_CONNECTS: new connections this request opened */
    int body_callback; /* how often curl delivered body bytes (0: no body at all) */
};

/* Perform a request. method is "GET", "HEAD", "OPTIONS", "POST", ...; url is a path
 * ("/collections?f=json", appended to s->base) or an absolute http:// URL (a link from a
 * response); headers is a NULL-terminated list of "Name: value" lines or NULL; body is sent
 * as the request body when non-NULL. A transport error fails the test. Caller finishes with
 * th_resp_fini. */
void th_request(const struct th_server *s, const char *method, const char *url,
                const char *const *headers, const char *body, struct th_resp *r);
/* GET url without extra headers. */
void th_get(const struct th_server *s, const char *url, struct th_resp *r);
void th_resp_fini(struct th_resp *r);

/* The value of the first header called name (case-insensitive), trimmed, as a new string
 * the caller frees; NULL when absent. */
char *th_header(const struct th_resp *r, const char *name);
/* Assert that the header is present and its value starts with prefix. */
void th_assert_header_prefix(const struct th_resp *r, const char *name, const char *prefix);

/* The body parsed as JSON; fails the test if it is not. Caller owns the reference. */
json_t *th_json(const struct th_resp *r);

/* GET url, assert the status and that Content-Type starts with ctype, and return the body
 * as JSON (caller owns it). */
json_t *th_get_json(const struct th_server *s, const char *url, long status, const char *ctype);

/* The first link of links (a JSON array) with this rel and a type that starts with `type`
 * (so "text/html" finds "text/html; charset=utf-8"; NULL: any type); NULL if there is none.
 * Borrowed from links. */
json_t *th_link(json_t *links, const char *rel, const char *type);
/* Its href, borrowed; NULL if there is no such link. */
const char *th_link_href(json_t *links, const char *rel, const char *type);

/* The query parameters of url, percent-decoded, as a JSON object {key: [values...]}.
 * Caller owns it. */
json_t *th_query_params(const char *url);

/* Does the sorted list of feature ids of a FeatureCollection equal want (n entries, in any
 * order)? On a mismatch the test fails, printing both lists. */
void th_assert_ids(json_t *fc, const char *const *want, size_t n);

#endif
