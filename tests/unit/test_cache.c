/*
 * The response cache (service/api/cache.c): a hit returns the same bytes and type; entries
 * larger than the entry limit are not kept; the byte limit evicts the least recently used;
 * a full set of probe slots replaces the least recently used of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/cache.h"

#include <stdio.h>
#include <string.h>

static int get(struct pm_cache *c, const char *key, char *out, size_t size)
{
    struct pm_strbuf b;
    const char *type = NULL;
    pm_strbuf_init(&b);
    int hit = pm_cache_get(c, key, &b, &type);
    if (hit)
        snprintf(out, size, "%s|%s", b.data ? b.data : "", type);
    pm_strbuf_fini(&b);
    return hit;
}

static void hit_returns_what_was_put(void **state)
{
    (void)state;
    char out[64];
    struct pm_cache *c = pm_cache_new(16, 1000, 100);
    assert_false(get(c, "W/\"a\"", out, sizeof out));
    pm_cache_put(c, "W/\"a\"", "body", 4, "application/json");
    assert_true(get(c, "W/\"a\"", out, sizeof out));
    assert_string_equal(out, "body|application/json");
    assert_false(get(c, "W/\"b\"", out, sizeof out));
    pm_cache_free(c);
}

static void large_entries_are_not_kept(void **state)
{
    (void)state;
    char out[256], big[200];
    memset(big, 'x', sizeof big);
    struct pm_cache *c = pm_cache_new(16, 1000, 100);
    pm_cache_put(c, "k", big, sizeof big, "t");
    assert_false(get(c, "k", out, sizeof out));
    pm_cache_free(c);
}

static void byte_limit_evicts_least_recently_used(void **state)
{
    (void)state;
    char out[256], body[60];
    memset(body, 'y', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    struct pm_cache *c = pm_cache_new(64, 150, 100); /* room for two bodies of 59 bytes */
    pm_cache_put(c, "one", body, strlen(body), "t");
    pm_cache_put(c, "two", body, strlen(body), "t");
    assert_true(get(c, "one", out, sizeof out)); /* "one" is now the more recent */
    pm_cache_put(c, "three", body, strlen(body), "t");
    assert_true(get(c, "one", out, sizeof out));
    assert_false(get(c, "two", out, sizeof out));
    assert_true(get(c, "three", out, sizeof out));
    pm_cache_free(c);
}

static void many_keys_stay_bounded(void **state)
{
    (void)state;
    char key[32], out[64];
    struct pm_cache *c = pm_cache_new(8, 100000, 100);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        pm_cache_put(c, key, key, strlen(key), "t");
    }
    /* The newest is always there; at most 8 are. */
    assert_true(get(c, "key-999", out, sizeof out));
    int hits = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        hits += get(c, key, out, sizeof out);
    }
    assert_true(hits >= 1 && hits <= 8);
    pm_cache_free(c);
}

/* With every slot a key may take in use, the one used longest ago gives way. */
static void full_slots_evict_least_recently_used(void **state)
{
    (void)state;
    char key[32], out[64];
    struct pm_cache *c = pm_cache_new(8, 100000, 100); /* any key may take any of the 8 */
    for (int i = 0; i < 8; i++) {
        snprintf(key, sizeof key, "k%d", i);
        pm_cache_put(c, key, key, strlen(key), "t");
    }
    assert_true(get(c, "k0", out, sizeof out)); /* k1 is now the one used longest ago */
    pm_cache_put(c, "k8", "k8", 2, "t");
    assert_false(get(c, "k1", out, sizeof out));
    assert_true(get(c, "k0", out, sizeof out));
    assert_true(get(c, "k8", out, sizeof out));
    for (int i = 2; i < 8; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_true(get(c, key, out, sizeof out));
    }
    pm_cache_free(c);
}

/* A key is admitted from its second asking; a key asked for once among many others may be
 * forgotten, but never admits another key. */
static void kept_from_the_second_asking(void **state)
{
    (void)state;
    struct pm_cache *c = pm_cache_new(16, 100000, 100);
    assert_false(pm_cache_admit(c, "W/\"a\""));
    assert_true(pm_cache_admit(c, "W/\"a\""));
    assert_true(pm_cache_admit(c, "W/\"a\""));
    assert_false(pm_cache_admit(c, "W/\"b\""));
    assert_false(pm_cache_admit(c, ""));
    assert_false(pm_cache_admit(c, ""));
    /* Keys asked for once each are never admitted. */
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "once-%d", i);
        assert_false(pm_cache_admit(c, key));
    }
    assert_false(pm_cache_admit(NULL, "k"));
    pm_cache_free(c);
}

static void null_cache_is_a_miss(void **state)
{
    (void)state;
    char out[8];
    assert_false(get(NULL, "k", out, sizeof out));
    pm_cache_put(NULL, "k", "v", 1, "t");
    pm_cache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_returns_what_was_put),
        cmocka_unit_test(large_entries_are_not_kept),
        cmocka_unit_test(byte_limit_evicts_least_recently_used),
        cmocka_unit_test(many_keys_stay_bounded),
        cmocka_unit_test(full_slots_evict_least_recently_used),
        cmocka_unit_test(kept_from_the_second_asking),
        cmocka_unit_test(null_cache_is_a_miss),
    };
    return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
