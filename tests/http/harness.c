/*
 * The shared harness of the HTTP test programs (see harness.h): server start and stop, a
 * libcurl request that records status, headers and body, and small JSON helpers for links,
 * query strings and feature ids. Every failure goes through cmocka's fail_msg so the test
 * that hit it is reported, with the URL.
 */
#include "harness.h"

#include "api/api.h"
#include "http/http.h"
#include "store/spatialite/spatialite.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>

const struct th_collection th_collections[TH_N_COLLECTIONS] = {
    {"cities", "cn-dalian", 7, {"country", "region", "level", NULL}},
    {"partnerships", "dalian--kitakyushu", 3, {"city", "region", "kind", "level", NULL}},
    {"memberships", "kin-weihai", 3, {"initiative", "city", "country", "role", NULL}},
    {"pilot-sites",
     "pilot-weihai-wastewater-ppp",
     2,
     {"initiative", "city", "country", "category", NULL}},
    {"events", "mced-2000", 2, {"initiative", "city", "country", "type", NULL}},
};

void th_global_init(void)
{
    pm_spatialite_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void th_global_fini(void)
{
    curl_global_cleanup();
    pm_spatialite_shutdown();
}

int th_server_start(struct th_server *s, const char *db, unsigned sessions, unsigned threads)
{
    struct pm_error err = {0};
    memset(s, 0, sizeof *s);
    pm_log_set_level(PM_LOG_WARN);
    s->store = pm_spatialite_open(db, sessions, &err);
    if (!s->store) {
        fprintf(stderr, "cannot open %s: %s\n", db, err.message);
        return -1;
    }
    /* As `partnermap serve` runs by default: with the response cache. */
    struct pm_api_config cfg = {.base_url = NULL,
                                .fallback_base_url = NULL,
                                .viewer_dir = NULL,
                                .cache_bytes = (size_t)8 << 20};
    s->api = pm_api_new(s->store, &cfg);
    struct pm_http_config hcfg = {
        .bind = "127.0.0.1", .port = 0, .threads = threads, .cors_origin = "*"};
    s->http = pm_http_start(s->api, &hcfg, &err);
    if (!s->http) {
        fprintf(stderr, "cannot start the server: %s\n", err.message);
        pm_api_free(s->api);
        pm_store_close(s->store);
        memset(s, 0, sizeof *s);
        return -1;
    }
    s->port = pm_http_port(s->http);
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%u", s->port);
    return 0;
}

void th_server_stop(struct th_server *s)
{
    pm_http_stop(s->http, 2000);
    pm_api_free(s->api);
    pm_store_close(s->store);
    memset(s, 0, sizeof *s);
}

struct growbuf {
    char *data;
    size_t len;
    int calls;
};

static void growbuf_add(struct growbuf *g, const char *p, size_t n)
{
    char *d = realloc(g->data, g->len + n + 1);
    if (!d)
        abort();
    g->data = d;
    memcpy(g->data + g->len, p, n);
    g->len += n;
    g->data[g->len] = '\0';
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct growbuf *g = ud;
    g->calls++;
    growbuf_add(g, p, size * n);
    return size * n;
}

/* Header lines of every response curl sees; a new status line starts a new block, so only
 * the final response's headers are kept. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct growbuf *g = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(p, "HTTP/", 5))
        g->len = 0;
    growbuf_add(g, p, len);
    return len;
}

void th_request(const struct th_server *s, const char *method, const char *url,
                const char *const *headers, const char *body, struct th_resp *r)
{
    char full[4096];
    struct growbuf b = {NULL, 0, 0}, h = {NULL, 0, 0};
    struct curl_slist *list = NULL;
    memset(r, 0, sizeof *r);
    if (!strncmp(url, "http://", 7))
        snprintf(full, sizeof full, "%s", url);
    else
        snprintf(full, sizeof full, "%s%s", s->base, url);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    /* No "Expect: 100-continue" round trip for request bodies. */
    if (body)
        list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, full, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    r->body = b.data ? b.data : strdup("");
    r->len = b.len;
    r->body_callback = b.calls;
    r->headers = h.data ? h.data : strdup("");
}

void th_get(const struct th_server *s, const char *url, struct th_resp *r)
{
    th_request(s, "GET", url, NULL, NULL, r);
}

void th_resp_fini(struct th_resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

char *th_header(const struct th_resp *r, const char *name)
{
    size_t nlen = strlen(name);
    const char *line = r->headers;
    while (line && *line) {
        const char *eol = strstr(line, "\r\n");
        size_t llen = eol ? (size_t)(eol - line) : strlen(line);
        if (llen > nlen && line[nlen] == ':' && !strncasecmp(line, name, nlen)) {
            const char *v = line + nlen + 1;
            const char *end = line + llen;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            char *out = malloc((size_t)(end - v) + 1);
            if (!out)
                abort();
            memcpy(out, v, (size_t)(end - v));
            out[end - v] = '\0';
            return out;
        }
        line = eol ? eol + 2 : NULL;
    }
    return NULL;
}

void th_assert_header_prefix(const struct th_resp *r, const char *name, const char *prefix)
{
    char *v = th_header(r, name);
    if (!v)
        fail_msg("no %s header; headers:\n%s", name, r->headers);
    if (strncmp(v, prefix, strlen(prefix)))
        fail_msg("%s is '%s', expected it to start with '%s'", name, v, prefix);
    free(v);
}

json_t *th_json(const struct th_resp *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body, r->len, 0, &e);
    if (!j)
        fail_msg("body is not JSON (%s at %d:%d): %.300s", e.text, e.line, e.column, r->body);
    return j;
}

json_t *th_get_json(const struct th_server *s, const char *url, long status, const char *ctype)
{
    struct th_resp r;
    th_get(s, url, &r);
    if (r.status != status)
        fail_msg("GET %s: status %ld, expected %ld; body: %.400s", url, r.status, status, r.body);
    th_assert_header_prefix(&r, "Content-Type", ctype);
    json_t *j = th_json(&r);
    th_resp_fini(&r);
    return j;
}

json_t *th_link(json_t *links, const char *rel, const char *type)
{
    size_t i;
    json_t *l;
    json_array_foreach(links, i, l)
    {
        const char *lr = json_string_value(json_object_get(l, "rel"));
        const char *lt = json_string_value(json_object_get(l, "type"));
        if (lr && !strcmp(lr, rel) && (!type || (lt && !strncmp(lt, type, strlen(type)))))
            return l;
    }
    return NULL;
}

const char *th_link_href(json_t *links, const char *rel, const char *type)
{
    json_t *l = th_link(links, rel, type);
    return l ? json_string_value(json_object_get(l, "href")) : NULL;
}

static char *unescape(const char *s, size_t n)
{
    /* '+' is a space in application/x-www-form-urlencoded query strings. */
    char *tmp = malloc(n + 1);
    if (!tmp)
        abort();
    for (size_t i = 0; i < n; i++)
        tmp[i] = s[i] == '+' ? ' ' : s[i];
    tmp[n] = '\0';
    int outlen = 0;
    char *d = curl_easy_unescape(NULL, tmp, (int)n, &outlen);
    free(tmp);
    assert_non_null(d);
    char *out = strdup(d);
    curl_free(d);
    return out;
}

json_t *th_query_params(const char *url)
{
    json_t *obj = json_object();
    const char *q = strchr(url, '?');
    if (!q)
        return obj;
    q++;
    while (*q) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        char *k = unescape(q, klen);
        char *v = eq ? unescape(eq + 1, len - klen - 1) : strdup("");
        json_t *arr = json_object_get(obj, k);
        if (!arr) {
            arr = json_array();
            json_object_set_new(obj, k, arr);
        }
        json_array_append_new(arr, json_string(v));
        free(k);
        free(v);
        q += len;
        if (*q == '&')
            q++;
    }
    return obj;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void th_assert_ids(json_t *fc, const char *const *want, size_t n)
{
    json_t *features = json_object_get(fc, "features");
    assert_true(json_is_array(features));
    size_t got_n = json_array_size(features);
    const char **got = calloc(got_n + 1, sizeof *got);
    const char **exp = calloc(n + 1, sizeof *exp);
    if (!got || !exp)
        abort();
    for (size_t i = 0; i < got_n; i++) {
        got[i] = json_string_value(json_object_get(json_array_get(features, i), "id"));
        if (!got[i])
            got[i] = "(no string id)";
    }
    for (size_t i = 0; i < n; i++)
        exp[i] = want[i];
    qsort(got, got_n, sizeof *got, cmp_str);
    qsort(exp, n, sizeof *exp, cmp_str);
    int same = got_n == n;
    for (size_t i = 0; same && i < n; i++)
        same = !strcmp(got[i], exp[i]);
    if (!same) {
        char gs[1024] = "", es[1024] = "";
        for (size_t i = 0; i < got_n; i++)
            snprintf(gs + strlen(gs), sizeof gs - strlen(gs), " %s", got[i]);
        for (size_t i = 0; i < n; i++)
            snprintf(es + strlen(es), sizeof es - strlen(es), " %s", exp[i]);
        free(got);
        free(exp);
        fail_msg("feature ids:%s; expected:%s", gs, es);
    }
    free(got);
    free(exp);
}
