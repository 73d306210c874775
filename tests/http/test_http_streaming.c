/*
 * test_http_streaming: items responses stream (ARCHITECTURE.md: "Memory per request stays
 * bounded whatever the result size"). The test writes a synthetic data set of 12,000 places
 * into a temporary directory, builds a database from it with the real loader
 * (pm_spatialite_load), serves it, and checks that a page of 10,000 features is complete and
 * valid GeoJSON, that the default page holds 10 features, that the process's heap grows by
 * far less than the size of a 10,000-feature body while it is being sent, that a client
 * that hangs up mid-stream gives its store session back, and that a request finding every
 * session busy is answered 503 with Retry-After instead of waiting.
 *
 * Heap in use is sampled by a thread every 100 microseconds: mallinfo2() (in-use chunks plus
 * mmapped blocks) in a normal build, the sanitizer allocator's own count under
 * AddressSanitizer, whose allocator mallinfo2 does not see.
 */
#include "harness.h"

#include "store/spatialite/spatialite.h"

#include <dirent.h>
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#if defined(__SANITIZE_ADDRESS__)
#define PM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PM_TEST_ASAN 1
#endif
#endif

#ifdef PM_TEST_ASAN
/* From <sanitizer/allocator_interface.h>, which not every compiler installs. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define N_PLACES 12000
#define BIG_LIMIT 10000

static struct th_server srv;
static char tmpdir[256];
static char dbpath[300];

static void write_file(const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f))
        fail_msg("cannot write %s", path);
}

/* The CSV files of sql/load_spec.sql: one country, N_PLACES cities placed by coordinates,
 * every other file header-only. The country is Mongolia, not China: China and Japan must
 * have bounds that every point is tested against (sql/checks_after.sql), which costs
 * SpatiaLite a WKT parse per point — twenty seconds for 12,000 points under AddressSanitizer —
 * and is no part of what this test is about. The points lie in Mongolia all the same. A long
 * note makes each feature over half a kilobyte, so that a page of 10,000 is several MB. */
static int write_dataset(void)
{
    write_file("countries.csv",
               "code,name_en,name_local,source\nMN,Mongolia,Монгол Улс,ISO 3166-1\n");
    write_file("regions.csv", "id,country,admin1,name_en,name_local,source\n");
    write_file("gazetteer.csv",
               "geonames_id,name,name_zh,name_ja,country,admin1,feature_code,population,lon,lat\n");
    write_file("partnerships.csv", "id,cn_city,jp_city,kind,level,source,verification\n");
    write_file("initiatives.csv", "id,name,source,verification\n");
    write_file("memberships.csv", "id,initiative,city,role,source,verification\n");
    write_file("pilot_activities.csv", "id,initiative,city,category,title,source,verification\n");
    write_file("events.csv", "id,initiative,title,type,source,verification\n");
    char path[400];
    snprintf(path, sizeof path, "%s/cities.csv", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    char note[301];
    memset(note, 'x', sizeof note - 1);
    note[sizeof note - 1] = '\0';
    fputs("id,country,level,name_en,population,geocode_method,lon,lat,source,verification,"
          "notes\n",
          f);
    for (int i = 0; i < N_PLACES; i++)
        fprintf(f,
                "mn-syn-%05d,MN,city,Synthetic place %05d,%d,source,%.5f,%.5f,"
                "synthetic test data,sourced,%s\n",
                i, i, 1000 + i, 90.0 + (i % 240) * 0.1, 42.0 + (i / 240) * 0.1, note);
    return fclose(f);
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[600];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/pm-http-streaming-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(dbpath, sizeof dbpath, "%s/big.sqlite", tmpdir);
    if (write_dataset()) {
        fprintf(stderr, "cannot write the data set in %s\n", tmpdir);
        return -1;
    }
    FILE *out = fopen("/dev/null", "w");
    int rc = pm_spatialite_load(dbpath, tmpdir, out ? out : stdout, stderr);
    if (out)
        fclose(out);
    if (rc) {
        fprintf(stderr, "loading the synthetic data set failed\n");
        return -1;
    }
    /* One session: the tests below rely on there being only one to hold. */
    return th_server_start(&srv, dbpath, 1, 2);
}

static int teardown(void **state)
{
    (void)state;
    th_server_stop(&srv);
    remove_tmpdir();
    return 0;
}

static void test_http_streaming_default_limit(void **state)
{
    (void)state;
    json_t *fc = th_get_json(&srv, "/collections/cities/items", 200, "application/geo+json");
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 10);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), N_PLACES);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), 10);
    assert_non_null(th_link(json_object_get(fc, "links"), "next", NULL));
    json_decref(fc);
}

/* A page of 10,000 is complete, valid JSON with distinct ids, and the next page holds the
 * other 2,000. */
static void test_http_streaming_complete(void **state)
{
    (void)state;
    char url[128];
    snprintf(url, sizeof url, "/collections/cities/items?limit=%d", BIG_LIMIT);
    json_t *fc = th_get_json(&srv, url, 200, "application/geo+json");
    json_t *features = json_object_get(fc, "features");
    assert_int_equal(json_array_size(features), BIG_LIMIT);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberReturned")), BIG_LIMIT);
    assert_int_equal(json_integer_value(json_object_get(fc, "numberMatched")), N_PLACES);
    /* Ordered by id, so distinct ids are strictly increasing. */
    const char *prev = "";
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f)
    {
        const char *id = json_string_value(json_object_get(f, "id"));
        assert_non_null(id);
        if (strcmp(prev, id) >= 0)
            fail_msg("feature %zu: id %s after %s", i, id, prev);
        prev = id;
    }
    const char *next = th_link_href(json_object_get(fc, "links"), "next", NULL);
    assert_non_null(next);
    json_t *fc2 = th_get_json(&srv, next, 200, "application/geo+json");
    assert_int_equal(json_array_size(json_object_get(fc2, "features")), N_PLACES - BIG_LIMIT);
    assert_null(th_link(json_object_get(fc2, "links"), "next", NULL));
    const char *first2 = json_string_value(
        json_object_get(json_array_get(json_object_get(fc2, "features"), 0), "id"));
    assert_true(strcmp(prev, first2) < 0);
    json_decref(fc2);
    json_decref(fc);
}

/* A page that fits in the server's first read (256 KiB) goes out whole, with a
 * Content-Length equal to its body; a longer one is chunked, and complete (above). */
static void test_http_streaming_small_page_whole(void **state)
{
    (void)state;
    struct th_resp r;
    th_get(&srv, "/collections/cities/items?limit=100", &r);
    assert_int_equal(r.status, 200);
    char *cl = th_header(&r, "Content-Length");
    if (!cl)
        fail_msg("a 100-feature page has no Content-Length:\n%s", r.headers);
    assert_int_equal(strtoul(cl, NULL, 10), r.len);
    assert_null(th_header(&r, "Transfer-Encoding"));
    json_t *fc = th_json(&r);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 100);
    json_decref(fc);
    free(cl);
    th_resp_fini(&r);

    char url[128];
    snprintf(url, sizeof url, "/collections/cities/items?limit=%d", BIG_LIMIT);
    th_get(&srv, url, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.len > 256 * 1024);
    char *te = th_header(&r, "Transfer-Encoding");
    assert_non_null(te);
    assert_string_equal(te, "chunked");
    free(te);
    th_resp_fini(&r);
}

/* numberMatched of a box, and of a CQL2 filter with a box at its top, which both go by a walk
 * of the spatial index in id order: exact up to 2,000, left out past it. The places lie on a
 * grid, place i at lon 90.0 + (i % 240) / 10, lat 42.0 + (i / 240) / 10, population 1000 + i. */
static long long matched_of(const char *url, const char *first_id, const char *next_first)
{
    json_t *fc = th_get_json(&srv, url, 200, "application/geo+json");
    json_t *m = json_object_get(fc, "numberMatched"), *features = json_object_get(fc, "features");
    long long n = m ? json_integer_value(m) : -1;
    assert_int_equal(json_array_size(features), 100);
    assert_string_equal(json_string_value(json_object_get(json_array_get(features, 0), "id")),
                        first_id);
    const char *next = th_link_href(json_object_get(fc, "links"), "next", NULL);
    assert_non_null(next);
    json_t *fc2 = th_get_json(&srv, next, 200, "application/geo+json");
    json_t *f2 = json_array_get(json_object_get(fc2, "features"), 0);
    assert_string_equal(json_string_value(json_object_get(f2, "id")), next_first);
    json_decref(fc2);
    json_decref(fc);
    return n;
}

static void test_http_streaming_box_counts(void **state)
{
    (void)state;
    /* 100 columns by 20 rows, then 21 rows. */
    assert_int_equal(matched_of("/collections/cities/items?limit=100&bbox=89.95,41.95,99.95,43.95",
                                "mn-syn-00000", "mn-syn-00240"),
                     2000);
    assert_int_equal(matched_of("/collections/cities/items?limit=100&bbox=89.95,41.95,99.95,44.05",
                                "mn-syn-00000", "mn-syn-00240"),
                     -1);
    /* A filtered box is counted when it holds at most 2,000 places (the count tests each):
     * 20 rows of 100, the first left out by population: 1,900; 21 rows: left out, whatever
     * the matches. */
    assert_int_equal(matched_of("/collections/cities/items?limit=100&filter=S_INTERSECTS(geometry,"
                                "BBOX(89.95,41.95,99.95,43.95))%20AND%20population%20%3E=%201240",
                                "mn-syn-00240", "mn-syn-00480"),
                     1900);
    assert_int_equal(matched_of("/collections/cities/items?limit=100&filter=S_INTERSECTS(geometry,"
                                "BBOX(89.95,41.95,99.95,44.05))%20AND%20population%20%3E=%201240",
                                "mn-syn-00240", "mn-syn-00480"),
                     -1);
    /* 150 matches among the 960 places of 4 rows of 240 are counted; among all 12,000 they
     * are left out. */
    assert_int_equal(matched_of("/collections/cities/items?limit=100&filter=S_INTERSECTS(geometry,"
                                "BBOX(89.95,41.95,113.95,42.35))%20AND%20population%20%3C%201150",
                                "mn-syn-00000", "mn-syn-00100"),
                     150);
    assert_int_equal(matched_of("/collections/cities/items?limit=100&filter=S_INTERSECTS(geometry,"
                                "BBOX(89.95,41.95,113.95,46.95))%20AND%20population%20%3C%201150",
                                "mn-syn-00000", "mn-syn-00100"),
                     -1);
    /* With an equality the filter goes the general way, counted up to 100,000. */
    assert_int_equal(matched_of("/collections/cities/items?limit=100&filter=S_INTERSECTS(geometry,"
                                "BBOX(89.95,41.95,99.95,44.05))%20AND%20country%20=%20'MN'",
                                "mn-syn-00000", "mn-syn-00240"),
                     2100);
}

static size_t heap_in_use(void)
{
#ifdef PM_TEST_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

struct sampler {
    pthread_t thread;
    atomic_int stop;
    size_t peak;
};

static void *sample(void *arg)
{
    struct sampler *s = arg;
    struct timespec pause = {0, 100 * 1000};
    while (!atomic_load(&s->stop)) {
        size_t now = heap_in_use();
        if (now > s->peak)
            s->peak = now;
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* A client that keeps nothing of the body but its size, the number of features (the
 * pattern may straddle two deliveries) and its last bytes. */
struct counting_sink {
    size_t bytes;
    long features;
    char carry[32]; /* the last strlen(pattern)-1 bytes seen */
    size_t carry_len;
    char tail[4096];
    size_t tail_len;
};

static const char feature_pattern[] = "{\"type\":\"Feature\",";

static size_t count_body(char *p, size_t size, size_t n, void *ud)
{
    struct counting_sink *s = ud;
    size_t len = size * n, plen = sizeof feature_pattern - 1;
    s->bytes += len;
    /* The pattern across the boundary: carry + the first plen-1 bytes. */
    char edge[64];
    size_t head = len < plen - 1 ? len : plen - 1;
    memcpy(edge, s->carry, s->carry_len);
    memcpy(edge + s->carry_len, p, head);
    size_t elen = s->carry_len + head;
    for (size_t i = 0; i + plen <= elen; i++)
        if (!memcmp(edge + i, feature_pattern, plen) && i < s->carry_len)
            s->features++;
    for (size_t i = 0; i + plen <= len; i++)
        if (p[i] == '{' && !memcmp(p + i, feature_pattern, plen))
            s->features++;
    /* Keep the last plen-1 bytes of everything seen so far. */
    memcpy(edge, s->carry, s->carry_len);
    memcpy(edge + s->carry_len, len > plen - 1 ? p + len - (plen - 1) : p,
           len > plen - 1 ? plen - 1 : len);
    elen = s->carry_len + (len > plen - 1 ? plen - 1 : len);
    s->carry_len = elen < plen - 1 ? elen : plen - 1;
    memmove(s->carry, edge + elen - s->carry_len, s->carry_len);
    /* And the last bytes of the body. */
    if (len >= sizeof s->tail) {
        memcpy(s->tail, p + len - sizeof s->tail, sizeof s->tail);
        s->tail_len = sizeof s->tail;
    } else {
        size_t keep = s->tail_len + len > sizeof s->tail ? sizeof s->tail - len : s->tail_len;
        memmove(s->tail, s->tail + s->tail_len - keep, keep);
        memcpy(s->tail + keep, p, len);
        s->tail_len = keep + len;
    }
    return len;
}

/* GET the items page of `limit` features with a counting client; return the peak heap
 * growth of the whole process while it ran, and fill sink. */
static size_t measure(long limit, struct counting_sink *sink)
{
    char url[256];
    snprintf(url, sizeof url, "%s/collections/cities/items?limit=%ld", srv.base, limit);
    memset(sink, 0, sizeof *sink);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    struct sampler s = {.peak = 0};
    atomic_init(&s.stop, 0);
    size_t base = heap_in_use();
    s.peak = base;
    assert_int_equal(pthread_create(&s.thread, NULL, sample, &s), 0);
    CURLcode rc = curl_easy_perform(c);
    atomic_store(&s.stop, 1);
    pthread_join(s.thread, NULL);
    if (rc != CURLE_OK)
        fail_msg("%s: %s", url, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(c);
    return s.peak > base ? s.peak - base : 0;
}

static long tail_number(const struct counting_sink *sink, const char *member)
{
    char buf[sizeof sink->tail + 1];
    memcpy(buf, sink->tail, sink->tail_len);
    buf[sink->tail_len] = '\0';
    const char *p = strstr(buf, member);
    if (!p)
        fail_msg("the body's end lacks %s: %s", member, buf);
    return strtol(p + strlen(member), NULL, 10);
}

/* The 10,000-feature page must not need memory in proportion to its size: the heap grows by
 * less than 2 MB while a body of several MB goes out. The first request warms the caches
 * that stay (SQLite's page cache, prepared statements, libcurl's connection), so what is
 * measured is the request itself. */
static void test_http_streaming_memory(void **state)
{
    (void)state;
    struct counting_sink sink;
    measure(BIG_LIMIT, &sink); /* warm-up */
    size_t small = measure(10, &sink);
    assert_int_equal(sink.features, 10);
    size_t big = measure(BIG_LIMIT, &sink);
    assert_int_equal(sink.features, BIG_LIMIT);
    assert_int_equal(tail_number(&sink, "\"numberReturned\":"), BIG_LIMIT);
    assert_int_equal(tail_number(&sink, "\"numberMatched\":"), N_PLACES);
    printf("# heap growth: limit=10 %zu bytes; limit=%d %zu bytes for a body of %zu bytes\n", small,
           BIG_LIMIT, big, sink.bytes);
    assert_true(sink.bytes > 2u * 1024 * 1024);
    if (big >= 2u * 1024 * 1024)
        fail_msg("the heap grew by %zu bytes while sending a body of %zu bytes", big, sink.bytes);
}

static size_t hang_up(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)size;
    (void)n;
    (void)ud;
    return 0; /* curl aborts the transfer and closes the connection */
}

/* A client that hangs up mid-stream: the stream is freed and its session given back, so
 * (with a single session) the next requests are served, not refused with 503. */
static void test_http_streaming_client_hangs_up(void **state)
{
    (void)state;
    char url[256];
    snprintf(url, sizeof url, "%s/collections/cities/items?limit=%d", srv.base, BIG_LIMIT);
    for (int i = 0; i < 3; i++) {
        CURL *c = curl_easy_init();
        assert_non_null(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hang_up);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
        assert_int_equal(curl_easy_perform(c), CURLE_WRITE_ERROR);
        curl_easy_cleanup(c);
    }
    /* The server learns of the hang-up when its next write fails; give it a moment. */
    long status = 0;
    for (int tries = 0; tries < 100; tries++) {
        struct th_resp r;
        th_get(&srv, "/collections/cities/items?limit=5", &r);
        status = r.status;
        th_resp_fini(&r);
        if (status == 200)
            break;
        usleep(20 * 1000);
    }
    assert_int_equal(status, 200);
}

struct pausing_sink {
    size_t bytes;
    int paused;
};

static size_t pause_after_first(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    struct pausing_sink *s = ud;
    if (!s->paused) {
        s->paused = 1;
        return CURL_WRITEFUNC_PAUSE; /* delivered again on unpause */
    }
    s->bytes += size * n;
    return size * n;
}

/* Make the socket's receive buffer small, so that a paused client stops the server's stream
 * soon instead of after megabytes of kernel buffering. */
static int small_rcvbuf(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    (void)ud;
    (void)purpose;
    int size = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return CURL_SOCKOPT_OK;
}

/* A query step that runs longer than the store's limit (--step-timeout-ms) is stopped and
 * answered 503 with a JSON error and Retry-After, and the session serves the next request:
 * here the limit is 1 ms and the filter folds the case and accents of 12,000 names. */
static void test_http_streaming_step_timeout(void **state)
{
    (void)state;
    struct th_resp r;
    pm_spatialite_set_step_timeout(srv.store, 1);
    th_get(&srv,
           "/collections/cities/items?limit=10000&filter=ACCENTI(CASEI(name_en))%20LIKE%20"
           "%27%25zzz%25%27%20OR%20ACCENTI(CASEI(name_en))%20LIKE%20%27%25yyy%25%27",
           &r);
    pm_spatialite_set_step_timeout(srv.store, 5000);
    assert_int_equal(r.status, 503);
    json_t *e = th_json(&r);
    assert_string_equal(json_string_value(json_object_get(e, "code")), "ServiceUnavailable");
    assert_non_null(strstr(json_string_value(json_object_get(e, "description")), "time limit"));
    json_decref(e);
    char *retry = th_header(&r, "Retry-After");
    assert_non_null(retry);
    free(retry);
    th_resp_fini(&r);
    th_get(&srv, "/collections/cities/items?limit=1&country=MN", &r);
    assert_int_equal(r.status, 200);
    th_resp_fini(&r);
}

/* While a slow client holds the only session (its stream has rows left to read), another
 * request is refused at once with 503 and Retry-After (ARCHITECTURE.md: a borrow never
 * blocks); once the slow client has read everything, requests are served again. */
static void test_http_streaming_busy(void **state)
{
    (void)state;
    char url[256];
    snprintf(url, sizeof url, "%s/collections/cities/items?limit=%d", srv.base, BIG_LIMIT);
    CURLM *m = curl_multi_init();
    CURL *slow = curl_easy_init();
    struct pausing_sink sink = {0, 0};
    curl_easy_setopt(slow, CURLOPT_URL, url);
    curl_easy_setopt(slow, CURLOPT_WRITEFUNCTION, pause_after_first);
    curl_easy_setopt(slow, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(slow, CURLOPT_SOCKOPTFUNCTION, small_rcvbuf);
    curl_easy_setopt(slow, CURLOPT_BUFFERSIZE, 1024L);
    curl_multi_add_handle(m, slow);
    int running = 1;
    for (int spins = 0; !sink.paused && running && spins < 2000; spins++) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 10, NULL);
    }
    assert_true(sink.paused);

    struct th_resp r;
    th_get(&srv, "/collections/cities/items?limit=1", &r);
    if (r.status != 503)
        fail_msg("a request while the only session is held: %ld, expected 503", r.status);
    th_assert_header_prefix(&r, "Content-Type", "application/json");
    char *retry = th_header(&r, "Retry-After");
    assert_non_null(retry);
    free(retry);
    th_resp_fini(&r);
    /* Fixed resources need no session. */
    th_get(&srv, "/collections", &r);
    assert_int_equal(r.status, 200);
    th_resp_fini(&r);

    curl_easy_pause(slow, CURLPAUSE_CONT);
    while (running) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    int left;
    CURLMsg *msg = curl_multi_info_read(m, &left);
    assert_non_null(msg);
    assert_int_equal(msg->data.result, CURLE_OK);
    assert_true(sink.bytes > 2u * 1024 * 1024);
    curl_multi_remove_handle(m, slow);
    curl_easy_cleanup(slow);
    curl_multi_cleanup(m);

    th_get(&srv, "/collections/cities/items?limit=1", &r);
    assert_int_equal(r.status, 200);
    th_resp_fini(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_streaming_default_limit),
        cmocka_unit_test(test_http_streaming_complete),
        cmocka_unit_test(test_http_streaming_small_page_whole),
        cmocka_unit_test(test_http_streaming_box_counts),
        cmocka_unit_test(test_http_streaming_memory),
        cmocka_unit_test(test_http_streaming_client_hangs_up),
        cmocka_unit_test(test_http_streaming_busy),
        cmocka_unit_test(test_http_streaming_step_timeout),
    };
    th_global_init();
    int rc = cmocka_run_group_tests_name("test_http_streaming", tests, setup, teardown);
    th_global_fini();
    return rc;
}
