/*
 * Compression and the response cache, as a client meets them: with Accept-Encoding: gzip a
 * large response comes compressed (Content-Encoding: gzip, Vary: Accept-Encoding) and
 * decompresses to exactly the plain body, for a whole body and for a streamed items page,
 * whether it was answered fresh or from the cache; small bodies and clients that do not ask
 * get it plain; a repeated request returns the same bytes.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

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

/* Inflate a gzip member into a new NUL-terminated string (caller frees). */
static char *gunzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    size_t cap = len * 20 + 1024;
    char *out = malloc(cap);
    assert_non_null(out);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)(cap - 1);
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - 1 - z.avail_out;
    out[*out_len] = '\0';
    inflateEnd(&z);
    return out;
}

static void check_gzip_matches_plain(const char *url)
{
    static const char *const gz[] = {"Accept-Encoding: gzip", NULL};
    struct th_resp plain, packed;
    /* Asked for twice, so that the cache keeps it (from the second asking). */
    th_get(&srv, url, &plain);
    th_resp_fini(&plain);
    th_get(&srv, url, &plain);
    assert_int_equal(plain.status, 200);
    char *enc = th_header(&plain, "Content-Encoding");
    assert_null(enc);
    th_request(&srv, "GET", url, gz, NULL, &packed);
    assert_int_equal(packed.status, 200);
    enc = th_header(&packed, "Content-Encoding");
    assert_non_null(enc);
    assert_string_equal(enc, "gzip");
    free(enc);
    char *vary = th_header(&packed, "Vary");
    assert_non_null(vary);
    assert_non_null(strstr(vary, "Accept-Encoding"));
    free(vary);
    size_t n;
    char *inflated = gunzip(packed.body, packed.len, &n);
    assert_true(packed.len < plain.len);
    /* timeStamp is when the response was made: equal bytes only from the same making, which
     * the cache guarantees here (the second plain request above filled it). */
    assert_int_equal(n, plain.len);
    assert_memory_equal(inflated, plain.body, n);
    free(inflated);
    th_resp_fini(&plain);
    th_resp_fini(&packed);
}

static void gzip_whole_body(void **state)
{
    (void)state;
    check_gzip_matches_plain("/api");
}

static void gzip_items_page(void **state)
{
    (void)state;
    check_gzip_matches_plain("/collections/cities/items?limit=100");
}

static void gzip_fresh_stream(void **state)
{
    (void)state;
    /* Asked compressed first: the stream itself is compressed as it is read. */
    static const char *const gz[] = {"Accept-Encoding: gzip", NULL};
    struct th_resp packed;
    th_request(&srv, "GET", "/collections/partnerships/items?limit=50&sortby=-established", gz,
               NULL, &packed);
    assert_int_equal(packed.status, 200);
    char *enc = th_header(&packed, "Content-Encoding");
    assert_non_null(enc);
    free(enc);
    size_t n;
    char *inflated = gunzip(packed.body, packed.len, &n);
    json_error_t jerr;
    json_t *fc = json_loads(inflated, 0, &jerr);
    assert_non_null(fc);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), 3);
    json_decref(fc);
    free(inflated);
    th_resp_fini(&packed);
}

static void small_bodies_stay_plain(void **state)
{
    (void)state;
    static const char *const gz[] = {"Accept-Encoding: gzip", NULL};
    struct th_resp r;
    th_request(&srv, "GET", "/collections/nope", gz, NULL, &r);
    assert_int_equal(r.status, 404);
    char *enc = th_header(&r, "Content-Encoding");
    assert_null(enc);
    th_resp_fini(&r);
}

static void repeated_request_same_bytes(void **state)
{
    (void)state;
    struct th_resp a, b;
    th_get(&srv, "/collections/partnerships/items?bbox=100,20,140,45&limit=2", &a);
    th_get(&srv, "/collections/partnerships/items?bbox=100,20,140,45&limit=2", &b);
    assert_int_equal(a.status, 200);
    assert_int_equal(b.status, 200);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.body, b.body, a.len);
    char *ea = th_header(&a, "ETag"), *eb = th_header(&b, "ETag");
    assert_string_equal(ea, eb);
    free(ea);
    free(eb);
    th_resp_fini(&a);
    th_resp_fini(&b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_http_encoding FIXTURE_DB\n");
        return 2;
    }
    fixture_db = argv[1];
    th_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gzip_whole_body),
        cmocka_unit_test(gzip_items_page),
        cmocka_unit_test(gzip_fresh_stream),
        cmocka_unit_test(small_bodies_stay_plain),
        cmocka_unit_test(repeated_request_same_bytes),
    };
    int rc = cmocka_run_group_tests_name("http_encoding", tests, setup, teardown);
    th_global_fini();
    return rc;
}
