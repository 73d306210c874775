/*
 * The response cache of api/ (cache.c): whole 200 responses by ETag. Thread-safe.
 */
#ifndef PM_API_CACHE_H
#define PM_API_CACHE_H

#include "util/util.h"

#include <stddef.h>

struct pm_cache;

/* A cache of at most n_entries responses and max_bytes bytes; responses larger than
 * max_entry are not kept. Caller frees with pm_cache_free (accepts NULL). */
struct pm_cache *pm_cache_new(size_t n_entries, size_t max_bytes, size_t max_entry);
void pm_cache_free(struct pm_cache *c);
size_t pm_cache_max_entry(const struct pm_cache *c);

/* On a hit, append the body to `body`, set *type and return 1; else 0. c may be NULL. */
int pm_cache_get(struct pm_cache *c, const char *key, struct pm_strbuf *body, const char **type);
/* Whether a response of this key should be kept (pm_cache_keep, pm_cache_put): 1 from the
 * second time the key is asked for (a key asked for once is remembered; two keys may share
 * the memory of one, so a key may be kept at its first asking, or need a third). 0 for a NULL
 * cache. */
int pm_cache_admit(struct pm_cache *c, const char *key);
/* Keep the response: body, allocated with malloc, is the cache's from now on (freed at once
 * if it is not kept). type: a string constant that outlives the cache. */
void pm_cache_keep(struct pm_cache *c, const char *key, char *body, size_t len, const char *type);
/* Keep a copy of the response. */
void pm_cache_put(struct pm_cache *c, const char *key, const char *body, size_t len,
                  const char *type);

#endif
