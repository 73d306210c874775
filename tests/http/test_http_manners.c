/*
 * test_http_manners: how the server behaves as an HTTP citizen, beyond what each resource
 * says. HEAD answers like GET without a body (checked through libcurl and on the raw wire); CORS
 * headers on every response and preflight requests answered 204; weak ETags on every 200 and 304
 * for a matching If-None-Match; Cache-Control; persistent connections (several requests over one
 * connection, including streamed items and errors); and the HTML pages, which must be well-formed
 * (balanced tags, every '&' an entity) with data strings escaped and working paging links.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

static struct th_server srv;
static const char *fixture_db;

static int setup(void **state)
{
    (void)state;
    return th_server_start(&srv, fixture_db, 4, 2);
}

static int teardown(void **state)
{
    (void)state;
    th_server_stop(&srv);
    return 0;
}

/* Every GET resource, some with parameters, and some errors. */
static const char *const resources[] = {
    "/",
    "/conformance",
    "/api",
    "/collections",
    "/collections/cities",
    "/collections/cities/items",
    "/collections/cities/items?limit=2&bbox=100,20,150,50",
    "/collections/cities/items/cn-dalian",
    "/collections/partnerships",
    "/collections/partnerships/items",
    "/collections/partnerships/items/dalian--kitakyushu",
    "/collections/memberships",
    "/collections/memberships/items",
    "/collections/memberships/items/kin-weihai",
    "/collections/pilot-sites",
    "/collections/pilot-sites/items",
    "/collections/pilot-sites/items/pilot-weihai-wastewater-ppp",
    "/collections/events",
    "/collections/events/items",
    "/collections/events/items/mced-2000",
    "/collections/events/items?f=html",
    "/?f=html",
};

static const char *const error_resources[] = {
    "/nope",
    "/collections/nope",
    "/collections/cities/items/nope",
    "/collections/cities/items?limit=0",
};

static void assert_same_header(const char *url, const struct th_resp *get,
                               const struct th_resp *head, const char *name)
{
    char *a = th_header(get, name), *b = th_header(head, name);
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
        fail_msg("%s: %s is '%s' for GET but '%s' for HEAD", url, name, a ? a : "(none)",
                 b ? b : "(none)");
    free(a);
    free(b);
}

/* HEAD: the status and headers of GET, and no body (RFC 9110 9.3.2). */
static void head_like_get(const char *url)
{
    struct th_resp get, head;
    th_get(&srv, url, &get);
    th_request(&srv, "HEAD", url, NULL, NULL, &head);
    if (get.status != head.status)
        fail_msg("%s: GET %ld, HEAD %ld", url, get.status, head.status);
    if (head.len || head.body_callback)
        fail_msg("%s: HEAD sent a body of %zu bytes", url, head.len);
    const char *names[] = {"Content-Type", "ETag", "Cache-Control", "Access-Control-Allow-Origin",
                           "Vary",         "Allow"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_same_header(url, &get, &head, names[i]);
    char *get_len = th_header(&get, "Content-Length");
    char *head_len = th_header(&head, "Content-Length");
    if (get_len && head_len && strcmp(get_len, head_len))
        fail_msg("%s: Content-Length %s for GET, %s for HEAD", url, get_len, head_len);
    free(get_len);
    free(head_len);
    th_resp_fini(&get);
    th_resp_fini(&head);
}

static void test_http_manners_head(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++)
        head_like_get(resources[i]);
    for (size_t i = 0; i < sizeof error_resources / sizeof error_resources[0]; i++)
        head_like_get(error_resources[i]);
}

/* Send raw request bytes on a new connection and read until the server closes it (the
 * request says Connection: close) or 2 s pass. Returns what arrived; caller frees. */
static char *raw_exchange(const char *request, size_t *len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)srv.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t n = strlen(request);
    assert_int_equal(send(fd, request, n, 0), (ssize_t)n);
    size_t cap = 65536, got = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    for (;;) {
        ssize_t k = recv(fd, buf + got, cap - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
        if (got == cap)
            break;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* On the wire, a HEAD response ends with its header block: any byte after it would be
 * read by a client as the start of the next response on the same connection (RFC 9110
 * 9.3.2; RFC 9112 6.3: a HEAD response has no body, not even an empty chunked one). */
static void test_http_manners_head_wire(void **state)
{
    (void)state;
    const char *paths[] = {"/collections/cities/items", "/collections/partnerships/items?limit=1",
                           "/collections/cities/items/cn-dalian", "/collections", "/nope"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char req[512];
        snprintf(req, sizeof req,
                 "HEAD %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", paths[i],
                 srv.port);
        size_t len;
        char *got = raw_exchange(req, &len);
        char *end = strstr(got, "\r\n\r\n");
        if (!end)
            fail_msg("HEAD %s: no complete header block in '%s'", paths[i], got);
        size_t extra = len - (size_t)(end + 4 - got);
        if (extra) {
            char shown[64];
            size_t k = 0;
            for (const char *p = end + 4; *p && k + 5 < sizeof shown; p++)
                k += (size_t)snprintf(shown + k, sizeof shown - k,
                                      *p == '\r'   ? "\\r"
                                      : *p == '\n' ? "\\n"
                                                   : "%c",
                                      *p);
            free(got);
            fail_msg("HEAD %s: %zu bytes after the headers: \"%s\"", paths[i], extra, shown);
        }
        free(got);
    }
}

/* Access-Control-Allow-Origin on every response, errors included, so that a web map on
 * another origin can read them. */
static void test_http_manners_cors(void **state)
{
    (void)state;
    const char *const origin[] = {"Origin: https://map.example.org", NULL};
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
        struct th_resp r;
        th_request(&srv, "GET", resources[i], origin, NULL, &r);
        assert_int_equal(r.status, 200);
        th_assert_header_prefix(&r, "Access-Control-Allow-Origin", "*");
        th_resp_fini(&r);
    }
    for (size_t i = 0; i < sizeof error_resources / sizeof error_resources[0]; i++) {
        struct th_resp r;
        th_request(&srv, "GET", error_resources[i], origin, NULL, &r);
        assert_true(r.status >= 400);
        th_assert_header_prefix(&r, "Access-Control-Allow-Origin", "*");
        th_resp_fini(&r);
    }
}

/* A CORS preflight (Fetch standard): 204, the methods and the requested headers allowed. */
static void test_http_manners_preflight(void **state)
{
    (void)state;
    const char *const preflight[] = {"Origin: https://map.example.org",
                                     "Access-Control-Request-Method: GET",
                                     "Access-Control-Request-Headers: if-none-match", NULL};
    const char *paths[] = {"/", "/collections", "/collections/cities/items",
                           "/collections/cities/items/cn-dalian"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct th_resp r;
        th_request(&srv, "OPTIONS", paths[i], preflight, NULL, &r);
        if (r.status != 204)
            fail_msg("OPTIONS %s: %ld", paths[i], r.status);
        assert_int_equal(r.len, 0);
        th_assert_header_prefix(&r, "Access-Control-Allow-Origin", "*");
        char *methods = th_header(&r, "Access-Control-Allow-Methods");
        assert_non_null(methods);
        assert_non_null(strstr(methods, "GET"));
        free(methods);
        char *headers = th_header(&r, "Access-Control-Allow-Headers");
        assert_non_null(headers);
        assert_non_null(strstr(headers, "if-none-match"));
        free(headers);
        char *allow = th_header(&r, "Allow");
        assert_non_null(allow);
        assert_non_null(strstr(allow, "GET"));
        free(allow);
        th_resp_fini(&r);
    }
}

/* A weak ETag and Cache-Control on every 200; If-None-Match with it gives 304 and no body,
 * with the same ETag; another ETag, or another representation, gives 200. */
static void test_http_manners_etag(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
        const char *url = resources[i];
        struct th_resp r;
        th_get(&srv, url, &r);
        assert_int_equal(r.status, 200);
        char *etag = th_header(&r, "ETag");
        if (!etag)
            fail_msg("%s: no ETag", url);
        char *cc = th_header(&r, "Cache-Control");
        if (!cc || !*cc)
            fail_msg("%s: no Cache-Control", url);
        free(cc);
        th_resp_fini(&r);

        char inm[256];
        snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
        const char *const h1[] = {inm, NULL};
        th_request(&srv, "GET", url, h1, NULL, &r);
        if (r.status != 304)
            fail_msg("%s with %s: %ld, expected 304", url, inm, r.status);
        if (r.len)
            fail_msg("%s: 304 with a body of %zu bytes", url, r.len);
        char *etag304 = th_header(&r, "ETag");
        assert_non_null(etag304);
        assert_string_equal(etag304, etag);
        free(etag304);
        th_resp_fini(&r);

        /* In a list, and compared weakly (RFC 9110 13.1.2). */
        const char *bare = strncmp(etag, "W/", 2) ? etag : etag + 2;
        snprintf(inm, sizeof inm, "If-None-Match: \"nope\", %s", bare);
        const char *const h2[] = {inm, NULL};
        th_request(&srv, "GET", url, h2, NULL, &r);
        if (r.status != 304)
            fail_msg("%s with %s: %ld, expected 304", url, inm, r.status);
        th_resp_fini(&r);

        const char *const h3[] = {"If-None-Match: W/\"stale-0000\"", NULL};
        th_request(&srv, "GET", url, h3, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_true(r.len > 0);
        th_resp_fini(&r);
        free(etag);
    }
    /* JSON and HTML of one resource are different representations. */
    struct th_resp a, b;
    th_get(&srv, "/collections/cities/items?f=json", &a);
    th_get(&srv, "/collections/cities/items?f=html", &b);
    char *ea = th_header(&a, "ETag"), *eb = th_header(&b, "ETag");
    assert_non_null(ea);
    assert_non_null(eb);
    assert_string_not_equal(ea, eb);
    free(ea);
    free(eb);
    th_resp_fini(&a);
    th_resp_fini(&b);
}

/* "If-None-Match: *" is true only when the resource has no current representation (RFC
 * 9110 13.1.2): on an existing feature it is 304, on a missing feature the answer is the
 * 404 it would be without the header. */
static void test_http_manners_etag_wildcard(void **state)
{
    (void)state;
    const char *const star[] = {"If-None-Match: *", NULL};
    struct th_resp r;
    th_request(&srv, "GET", "/collections/cities/items/cn-dalian", star, NULL, &r);
    assert_int_equal(r.status, 304);
    th_resp_fini(&r);
    th_request(&srv, "GET", "/collections/cities/items/nope", star, NULL, &r);
    long status = r.status;
    th_resp_fini(&r);
    if (status != 404)
        fail_msg("If-None-Match: * on a missing feature: %ld, expected 404", status);
}

/* A request with an invalid parameter is 400 even when If-None-Match is *: a bad request is
 * never "not modified". */
static void test_http_manners_etag_bad_request(void **state)
{
    (void)state;
    const char *const star[] = {"If-None-Match: *", NULL};
    struct th_resp r;
    th_request(&srv, "GET", "/collections/cities/items?limit=0", star, NULL, &r);
    assert_int_equal(r.status, 400);
    th_resp_fini(&r);
    th_request(&srv, "GET", "/collections?limit=1", star, NULL, &r);
    assert_int_equal(r.status, 400);
    th_resp_fini(&r);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    *(size_t *)ud += size * n;
    return size * n;
}

/* Several requests on one easy handle share one connection: streamed (chunked) items, fixed
 * bodies, HEAD and errors all leave it usable. */
static void test_http_manners_keep_alive(void **state)
{
    (void)state;
    const struct {
        const char *path;
        int head;
        long status;
    } seq[] = {
        {"/", 0, 200},
        {"/collections/cities/items", 0, 200},
        {"/collections/partnerships/items?limit=1", 0, 200},
        {"/nope", 0, 404},
        {"/collections/cities/items?limit=0", 0, 400},
        /* HEAD of a streamed response is test_http_manners_head_wire. */
        {"/collections/cities/items/cn-dalian", 1, 200},
        {"/collections/cities/items/cn-dalian", 0, 200},
        {"/collections/events/items?f=html", 0, 200},
        {"/api", 0, 200},
    };
    CURL *c = curl_easy_init();
    assert_non_null(c);
    size_t received = 0;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        char url[256];
        snprintf(url, sizeof url, "%s%s", srv.base, seq[i].path);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOBODY, seq[i].head ? 1L : 0L);
        if (!seq[i].head)
            curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        CURLcode rc = curl_easy_perform(c);
        if (rc != CURLE_OK)
            fail_msg("%s: %s", url, curl_easy_strerror(rc));
        long status = 0, connects = -1;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
        assert_int_equal(status, seq[i].status);
        if (i == 0)
            assert_int_equal(connects, 1);
        else if (connects != 0)
            fail_msg("request %zu (%s%s) opened a new connection", i + 1,
                     seq[i].head ? "HEAD " : "", seq[i].path);
    }
    curl_easy_cleanup(c);
    assert_true(received > 0);
}

/* Well-formedness of an HTML page: tags balance (void elements aside), attribute values
 * are quoted and hold no '<', and every '&' starts an entity. Fails with the page's URL. */
static void assert_well_formed(const char *url, const char *html)
{
    static const char *const voids[] = {"meta", "link", "br", "hr", "img", "input", NULL};
    char stack[64][16];
    int depth = 0;
    const char *p = html;
    if (strncmp(p, "<!DOCTYPE html>", 15))
        fail_msg("%s: does not start with <!DOCTYPE html>", url);
    while (*p) {
        if (*p == '&') {
            size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz0123456789#");
            if (n == 0 || p[1 + n] != ';')
                fail_msg("%s: a bare '&' at '%.30s'", url, p);
            p += n + 2;
            continue;
        }
        if (*p == '>')
            fail_msg("%s: a bare '>' at '%.30s'", url, p);
        if (*p != '<') {
            p++;
            continue;
        }
        if (p[1] == '!') {
            p = strchr(p, '>');
            assert_non_null(p);
            p++;
            continue;
        }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t nlen = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
        if (nlen == 0 || nlen >= 16)
            fail_msg("%s: a bare '<' at '%.30s'", url, p);
        const char *q = name + nlen;
        while (*q && *q != '>') {
            if (*q == '"') {
                const char *end = strchr(q + 1, '"');
                if (!end)
                    fail_msg("%s: unterminated attribute value", url);
                for (const char *v = q + 1; v < end; v++)
                    if (*v == '<')
                        fail_msg("%s: a '<' inside an attribute value at '%.30s'", url, q);
                q = end;
            }
            q++;
        }
        if (!*q)
            fail_msg("%s: unterminated tag", url);
        int is_void = q[-1] == '/';
        for (size_t i = 0; voids[i]; i++)
            is_void |= strlen(voids[i]) == nlen && !strncmp(voids[i], name, nlen);
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != nlen ||
                strncmp(stack[depth - 1], name, nlen))
                fail_msg("%s: </%.*s> closes <%s>", url, (int)nlen, name,
                         depth ? stack[depth - 1] : "(nothing)");
            depth--;
        } else if (!is_void) {
            if (depth == 64)
                fail_msg("%s: nested too deep", url);
            memcpy(stack[depth], name, nlen);
            stack[depth][nlen] = '\0';
            depth++;
            /* The style element's text is CSS, not HTML. */
            if (nlen == 5 && !strncmp(name, "style", 5)) {
                const char *end = strstr(q, "</style>");
                assert_non_null(end);
                p = end;
                continue;
            }
        }
        p = q + 1;
    }
    if (depth)
        fail_msg("%s: <%s> is never closed", url, stack[depth - 1]);
}

static char *get_html(const char *url)
{
    struct th_resp r;
    th_get(&srv, url, &r);
    if (r.status != 200)
        fail_msg("GET %s: %ld", url, r.status);
    th_assert_header_prefix(&r, "Content-Type", "text/html");
    char *body = r.body;
    r.body = NULL;
    th_resp_fini(&r);
    return body;
}

/* Every HTML page is well-formed. */
static void test_http_manners_html_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
        char url[256];
        if (strstr(resources[i], "f=html"))
            snprintf(url, sizeof url, "%s", resources[i]);
        else
            snprintf(url, sizeof url, "%s%cf=html", resources[i],
                     strchr(resources[i], '?') ? '&' : '?');
        char *html = get_html(url);
        assert_well_formed(url, html);
        free(html);
    }
}

/* The items page as HTML: the collection's title, a table with the page's feature ids, and
 * next/prev links that lead to the neighbouring pages. Cities in id order: cn-chongqing,
 * cn-dalian, cn-shanghai, cn-weihai, jp-hiroshima, jp-kitakyushu, jp-yokohama. */
static void test_http_manners_html_items(void **state)
{
    (void)state;
    char *html = get_html("/collections/cities/items?f=html&limit=2&offset=2");
    assert_well_formed("cities items", html);
    assert_non_null(strstr(html, "<title>Partner cities"));
    assert_non_null(strstr(html, "<table"));
    assert_non_null(strstr(html, ">cn-shanghai<"));
    assert_non_null(strstr(html, ">cn-weihai<"));
    assert_null(strstr(html, ">cn-dalian<"));
    assert_null(strstr(html, ">jp-hiroshima<"));

    /* Follow the next link: a page of HTML again, with the next two cities. */
    const char *next = strstr(html, "rel=\"next\" href=\"");
    assert_non_null(next);
    assert_non_null(strstr(html, "rel=\"prev\""));
    next += strlen("rel=\"next\" href=\"");
    char href[512];
    size_t n = 0;
    for (const char *p = next; *p != '"' && n + 1 < sizeof href; p++) {
        if (!strncmp(p, "&amp;", 5)) {
            href[n++] = '&';
            p += 4;
        } else {
            href[n++] = *p;
        }
    }
    href[n] = '\0';
    char *page = get_html(href);
    assert_non_null(strstr(page, ">jp-hiroshima<"));
    assert_non_null(strstr(page, ">jp-kitakyushu<"));
    assert_null(strstr(page, ">cn-weihai<"));
    free(page);
    free(html);
}

/* Data strings are escaped: the fixture's Chongqing–Hiroshima notes hold a double quote,
 * which must appear as &quot; and never raw. */
static void test_http_manners_html_escapes(void **state)
{
    (void)state;
    const char *urls[] = {"/collections/partnerships/items?f=html",
                          "/collections/partnerships/items/chongqing--hiroshima?f=html"};
    for (size_t i = 0; i < 2; i++) {
        char *html = get_html(urls[i]);
        assert_well_formed(urls[i], html);
        if (!strstr(html, "a &quot;quote&quot;"))
            fail_msg("%s: the notes' quote is not escaped", urls[i]);
        assert_null(strstr(html, "\"quote\""));
        free(html);
    }
    char *html = get_html("/collections/partnerships/items/chongqing--hiroshima?f=html");
    assert_non_null(strstr(html, "<title>chongqing--hiroshima"));
    free(html);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DB\n", argv[0]);
        return 2;
    }
    fixture_db = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_manners_head),
        cmocka_unit_test(test_http_manners_head_wire),
        cmocka_unit_test(test_http_manners_cors),
        cmocka_unit_test(test_http_manners_preflight),
        cmocka_unit_test(test_http_manners_etag),
        cmocka_unit_test(test_http_manners_etag_wildcard),
        cmocka_unit_test(test_http_manners_etag_bad_request),
        cmocka_unit_test(test_http_manners_keep_alive),
        cmocka_unit_test(test_http_manners_html_well_formed),
        cmocka_unit_test(test_http_manners_html_items),
        cmocka_unit_test(test_http_manners_html_escapes),
    };
    th_global_init();
    int rc = cmocka_run_group_tests_name("test_http_manners", tests, setup, teardown);
    th_global_fini();
    return rc;
}
