/*
 * A cache of whole responses, keyed by their ETag. The data changes only with a new load,
 * and the ETag holds the data version and everything of the request that shapes the answer
 * (path, parameters, format, base URL), so an entry never goes stale: after a reload its key
 * is simply never asked for again and it ages out.
 *
 * Bounded in entries and bytes; least recently used entries go first. One mutex guards it;
 * a lookup copies the body out, so no entry is used outside the lock.
 */
#include "cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char key[64];
    char *body;
    size_t len;
    const char *type; /* a string constant */
    unsigned long last_used;
};

struct pm_cache {
    pthread_mutex_t lock;
    struct entry *entries;
    size_t n_entries;
    size_t bytes, max_bytes, max_entry;
    unsigned long clock;
};

struct pm_cache *pm_cache_new(size_t n_entries, size_t max_bytes, size_t max_entry)
{
    struct pm_cache *c = pm_calloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    c->entries = pm_calloc(n_entries, sizeof *c->entries);
    c->n_entries = n_entries;
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
    pthread_mutex_destroy(&c->lock);
    free(c);
}

size_t pm_cache_max_entry(const struct pm_cache *c)
{
    return c ? c->max_entry : 0;
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

int pm_cache_get(struct pm_cache *c, const char *key, struct pm_strbuf *body, const char **type)
{
    if (!c || !*key)
        return 0;
    pthread_mutex_lock(&c->lock);
    struct entry *e = find(c, key);
    if (e) {
        e->last_used = ++c->clock;
        pm_strbuf_append(body, e->body, e->len);
        *type = e->type;
    }
    pthread_mutex_unlock(&c->lock);
    return e != NULL;
}

static void drop(struct pm_cache *c, struct entry *e)
{
    c->bytes -= e->len;
    free(e->body);
    memset(e, 0, sizeof *e);
}

void pm_cache_put(struct pm_cache *c, const char *key, const char *body, size_t len,
                  const char *type)
{
    if (!c || !*key || len > c->max_entry || strlen(key) >= sizeof c->entries[0].key)
        return;
    char *copy = pm_malloc(len ? len : 1);
    memcpy(copy, body, len);
    pthread_mutex_lock(&c->lock);
    if (find(c, key)) {
        pthread_mutex_unlock(&c->lock);
        free(copy);
        return;
    }
    /* Make room in bytes: drop the least recently used entries. */
    while (c->bytes + len > c->max_bytes) {
        struct entry *oldest = NULL;
        for (size_t i = 0; i < c->n_entries; i++)
            if (c->entries[i].body && (!oldest || c->entries[i].last_used < oldest->last_used))
                oldest = &c->entries[i];
        if (!oldest)
            break;
        drop(c, oldest);
    }
    /* A free slot among the key's 8, else the least recently used of them. */
    uint64_t h = pm_fnv1a(PM_FNV_INIT, key, strlen(key));
    struct entry *slot = NULL;
    for (size_t k = 0; k < 8; k++) {
        struct entry *e = &c->entries[(h + k) % c->n_entries];
        if (!e->body) {
            slot = e;
            break;
        }
        if (!slot || e->last_used < slot->last_used)
            slot = e;
    }
    if (slot->body)
        drop(c, slot);
    snprintf(slot->key, sizeof slot->key, "%s", key);
    slot->body = copy;
    slot->len = len;
    slot->type = type;
    slot->last_used = ++c->clock;
    c->bytes += len;
    pthread_mutex_unlock(&c->lock);
}
