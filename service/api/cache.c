/*
 * A cache of whole responses, keyed by their ETag. The data changes only with a new load,
 * and the ETag holds the data version and everything of the request that shapes the answer
 * (path, parameters, format, base URL), so an entry never goes stale: after a reload its key
 * is simply never asked for again and it ages out.
 *
 * Bounded in entries and bytes; least recently used entries go first (a list through the
 * entries in order of use, so an eviction is one step, not a search). One mutex guards it; a
 * lookup copies the body out, so no entry is used outside the lock.
 *
 * A response is kept from the second time its key is asked for (pm_cache_admit; nginx's
 * proxy_cache_min_uses 2): a map viewer panning asks for most URLs once, and keeping each
 * such answer would cost its request a copy of the body and push out answers that are asked
 * for again. The keys asked for once are remembered by their hash alone, in a table of fixed
 * size whose every slot holds the last key that fell on it.
 */
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char key[64];
    char *body;
    size_t len;
    const char *type;            /* a string constant */
    struct entry *newer, *older; /* the list of entries in use, by last use */
};

struct pm_cache {
    pthread_mutex_t lock;
    struct entry *entries;
    size_t n_entries;
    size_t bytes, max_bytes, max_entry;
    struct entry *newest, *oldest;
    _Atomic uint64_t *seen; /* the hash of the last key asked for once, by slot */
    size_t n_seen;
};

struct pm_cache *pm_cache_new(size_t n_entries, size_t max_bytes, size_t max_entry)
{
    struct pm_cache *c = pm_calloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    c->entries = pm_calloc(n_entries, sizeof *c->entries);
    c->n_entries = n_entries;
    c->n_seen = 4 * n_entries;
    c->seen = pm_calloc(c->n_seen, sizeof *c->seen);
    c->max_bytes = max_bytes;
    c->max_entry = max_entry;
    return c;
}

void pm_cache_free(struct pm_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_entries; i++)
        free(c->entries[i].body);
    free(c->entries);
    free(c->seen);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

size_t pm_cache_max_entry(const struct pm_cache *c)
{
    return c ? c->max_entry : 0;
}

int pm_cache_admit(struct pm_cache *c, const char *key)
{
    if (!c || !*key)
        return 0;
    uint64_t h = pm_fnv1a(PM_FNV_INIT, key, strlen(key)) | 1; /* 0 is an empty slot */
    _Atomic uint64_t *slot = &c->seen[(h >> 17) % c->n_seen];
    return atomic_exchange_explicit(slot, h, memory_order_relaxed) == h;
}

/* The slot of key: FNV hash, linear probing over at most 8 slots. */
static struct entry *find(struct pm_cache *c, const char *key)
{
    uint64_t h = pm_fnv1a(PM_FNV_INIT, key, strlen(key));
    for (size_t k = 0; k < 8; k++) {
        struct entry *e = &c->entries[(h + k) % c->n_entries];
        if (e->body && !strcmp(e->key, key))
            return e;
    }
    return NULL;
}

static void unlink_entry(struct pm_cache *c, struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void link_newest(struct pm_cache *c, struct entry *e)
{
    e->newer = NULL;
    e->older = c->newest;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

int pm_cache_get(struct pm_cache *c, const char *key, struct pm_strbuf *body, const char **type)
{
    if (!c || !*key)
        return 0;
    pthread_mutex_lock(&c->lock);
    struct entry *e = find(c, key);
    if (e) {
        unlink_entry(c, e);
        link_newest(c, e);
        pm_strbuf_append(body, e->body, e->len);
        *type = e->type;
    }
    pthread_mutex_unlock(&c->lock);
    return e != NULL;
}

static void drop(struct pm_cache *c, struct entry *e)
{
    unlink_entry(c, e);
    c->bytes -= e->len;
    free(e->body);
    memset(e, 0, sizeof *e);
}

void pm_cache_keep(struct pm_cache *c, const char *key, char *body, size_t len, const char *type)
{
    if (!c || !*key || len > c->max_entry || strlen(key) >= sizeof c->entries[0].key) {
        free(body);
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (find(c, key)) {
        pthread_mutex_unlock(&c->lock);
        free(body);
        return;
    }
    /* Make room in bytes: drop the least recently used entries. */
    while (c->bytes + len > c->max_bytes && c->oldest)
        drop(c, c->oldest);
    /* A free slot among the key's 8, else the least recently used of them. */
    uint64_t h = pm_fnv1a(PM_FNV_INIT, key, strlen(key));
    struct entry *slot = NULL;
    for (size_t k = 0; k < 8 && !slot; k++) {
        struct entry *e = &c->entries[(h + k) % c->n_entries];
        if (!e->body)
            slot = e;
    }
    if (!slot) {
        /* All 8 in use: the one used longest ago, found going up the list from its end. */
        for (struct entry *e = c->oldest; e && !slot; e = e->newer)
            for (size_t k = 0; k < 8 && !slot; k++)
                if (e == &c->entries[(h + k) % c->n_entries])
                    slot = e;
        drop(c, slot);
    }
    snprintf(slot->key, sizeof slot->key, "%s", key);
    slot->body = body;
    slot->len = len;
    slot->type = type;
    link_newest(c, slot);
    c->bytes += len;
    pthread_mutex_unlock(&c->lock);
}

void pm_cache_put(struct pm_cache *c, const char *key, const char *body, size_t len,
                  const char *type)
{
    if (!c || len > c->max_entry)
        return;
    char *copy = pm_malloc(len ? len : 1);
    memcpy(copy, body, len);
    pm_cache_keep(c, key, copy, len, type);
}
