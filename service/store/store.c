/*
 * The store's front: thin calls through the backend's function table, and the catalog
 * helpers every backend shares.
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

const struct pm_collection *pm_catalog_find(const struct pm_catalog *cat, const char *id)
{
    for (size_t i = 0; i < cat->n; i++)
        if (!strcmp(cat->collections[i].id, id))
            return &cat->collections[i];
    return NULL;
}

const struct pm_property *pm_collection_property(const struct pm_collection *c, const char *name,
                                                 size_t len)
{
    for (size_t i = 0; i < c->n_props; i++)
        if (strlen(c->props[i].name) == len && !strncmp(c->props[i].name, name, len))
            return &c->props[i];
    return NULL;
}

void pm_catalog_fini(struct pm_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->n; i++) {
        struct pm_collection *c = &cat->collections[i];
        free(c->id);
        free(c->title);
        free(c->description);
        free(c->base_table);
        free(c->view);
        free(c->geometry_type);
        free(c->temporal_property);
        free(c->search_via);
        free(c->heads);
        free(c->tmin);
        free(c->tmax);
        for (size_t k = 0; k < c->n_props; k++) {
            free(c->props[k].name);
            free(c->props[k].description);
        }
        free(c->props);
        for (size_t k = 0; k < c->n_filters; k++) {
            free(c->filters[k].param);
            free(c->filters[k].columns);
            free(c->filters[k].description);
        }
        free(c->filters);
        free(c->filter_names);
        free(c->prop_names);
        for (size_t k = 0; k < c->n_links; k++) {
            free(c->links[k].rel);
            free(c->links[k].title);
            free(c->links[k].href);
        }
        free(c->links);
    }
    free(cat->collections);
    free(cat->data_version);
    free(cat->loaded_at);
    memset(cat, 0, sizeof *cat);
}

int pm_store_borrow(struct pm_store *st, struct pm_session **out, struct pm_error *err)
{
    return st->ops->session_borrow(st, out, err);
}

void pm_store_release(struct pm_store *st, struct pm_session *s)
{
    if (s)
        st->ops->session_release(s);
}

int pm_store_items(struct pm_store *st, struct pm_session *s, const struct pm_collection *c,
                   const struct pm_items_params *p, struct pm_cursor **out, long long *matched,
                   int *from_start, struct pm_error *err)
{
    return st->ops->items_open(s, c, p, out, matched, from_start, err);
}

int pm_store_feature(struct pm_store *st, struct pm_session *s, const struct pm_collection *c,
                     const char *id, struct pm_cursor **out, struct pm_error *err)
{
    return st->ops->feature_open(s, c, id, out, err);
}

int pm_cursor_next(struct pm_store *st, struct pm_cursor *cur, struct pm_feature_row *row,
                   struct pm_error *err)
{
    return st->ops->cursor_next(cur, row, err);
}

void pm_cursor_close(struct pm_store *st, struct pm_cursor *cur)
{
    if (cur)
        st->ops->cursor_close(cur);
}

void pm_store_close(struct pm_store *st)
{
    if (st)
        st->ops->close(st);
}

int pm_store_summarize(struct pm_store *st, struct pm_session *s, const struct pm_collection *c,
                       const struct pm_items_params *p, const struct pm_summary_request *req,
                       struct pm_summary *out, struct pm_error *err)
{
    return st->ops->summarize(s, c, p, req, out, err);
}

void pm_summary_fini(struct pm_summary *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_groups; i++)
        free(s->groups[i].key);
    free(s->groups);
    memset(s, 0, sizeof *s);
}

int pm_cursor_matched(struct pm_store *st, struct pm_cursor *cur, long returned, int more,
                      long long *matched, struct pm_error *err)
{
    return st->ops->cursor_matched(cur, returned, more, matched, err);
}
