/*
 * /collections/{id}/summary: counts of a collection's features for charts — all of them, or
 * grouped by year (of the collection's date) or by a property, with the number of distinct
 * values of some properties (how many Chinese cities, in how many provinces). Takes the
 * filters of /items (bbox, datetime, filter, q and the equality filters), so "established by
 * the end of 2003" is datetime=../2003-12-31.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Parameters only an items page has. */
static const char *const not_here[] = {"limit",        "offset", "sortby", "properties",
                                       "skipGeometry", "near",   "radius", "geometry"};

/* The index of the property named by the len bytes at name, or -1. */
static long property_index(const struct pm_collection *c, const char *name, size_t len)
{
    const struct pm_property *p = pm_collection_property(c, name, len);
    return p ? (long)(p - c->props) : -1;
}

static int parse_request(const struct pm_collection *c, const char *group_by, const char *count,
                         struct pm_summary_request *req, struct pm_error *err)
{
    req->group_by = PM_GROUP_NONE;
    req->n_counts = 0;
    if (group_by) {
        if (!strcmp(group_by, "year") && c->temporal_property)
            req->group_by = PM_GROUP_YEAR;
        else if ((req->group_by = property_index(c, group_by, strlen(group_by))) < 0)
            return pm_error_set(err, 400, "InvalidParameterValue",
                                "groupby: expected %sa property of %s, got '%.60s'",
                                c->temporal_property ? "year or " : "", c->id, group_by);
    }
    for (const char *p = count; p && *p;) {
        size_t len = strcspn(p, ",");
        long idx = property_index(c, p, len);
        if (idx < 0)
            return pm_error_set(err, 400, "InvalidParameterValue",
                                "count: '%.*s' is not a property of %s", (int)(len > 60 ? 60 : len),
                                p, c->id);
        if (req->n_counts == PM_SUMMARY_COUNTS)
            return pm_error_set(err, 400, "InvalidParameterValue", "count: at most %d properties",
                                PM_SUMMARY_COUNTS);
        req->counts[req->n_counts++] = idx;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static json_t *distinct_json(const struct pm_collection *c, const struct pm_summary_request *req,
                             const long long *distinct)
{
    json_t *o = json_object();
    for (size_t i = 0; i < req->n_counts; i++)
        json_object_set_new(o, c->props[req->counts[i]].name, json_integer(distinct[i]));
    return o;
}

int pm_handle_summary(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err)
{
    const struct pm_request *rq = ctx->req;
    struct pm_kv *rest = pm_calloc(rq->n_args ? rq->n_args : 1, sizeof *rest);
    size_t n_rest = 0;
    const char *group_by = NULL, *count = NULL;
    struct pm_items_params p;
    struct pm_summary_request req;
    struct pm_summary sum = {0};
    struct pm_session *session = NULL;
    int rc = -1;

    for (size_t i = 0; i < rq->n_args; i++) {
        const char *k = rq->args[i].key;
        if (!strcmp(k, "groupby")) {
            group_by = rq->args[i].value;
            continue;
        }
        if (!strcmp(k, "count")) {
            count = rq->args[i].value;
            continue;
        }
        for (size_t j = 0; j < sizeof not_here / sizeof not_here[0]; j++)
            if (!strcmp(k, not_here[j])) {
                pm_error_set(err, 400, "InvalidParameterValue",
                             "%s: not a parameter of a summary (it takes groupby, count and "
                             "the filters of items)",
                             k);
                free(rest);
                return -1;
            }
        rest[n_rest++] = rq->args[i];
    }
    if (pm_items_params_parse(rest, n_rest, &c->spec, &p, err)) {
        free(rest);
        return -1;
    }
    if (parse_request(c, group_by, count, &req, err) || pm_store_borrow(ctx->store, &session, err))
        goto done;
    if (pm_not_modified(ctx)) {
        rc = 0;
        goto done;
    }
    if (pm_store_summarize(ctx->store, session, c, &p, &req, &sum, err))
        goto done;
    json_t *groups = json_array();
    for (size_t i = 0; i < sum.n_groups; i++) {
        json_t *g = json_pack("{s:o, s:I}", "key",
                              sum.groups[i].key ? json_string(sum.groups[i].key) : json_null(),
                              "count", (json_int_t)sum.groups[i].count);
        if (req.n_counts)
            json_object_set_new(g, "distinct", distinct_json(c, &req, sum.groups[i].distinct));
        json_array_append_new(groups, g);
    }
    /* The self link names this very summary: every parameter but f. */
    struct pm_strbuf self;
    pm_strbuf_init(&self);
    pm_strbuf_appendf(&self, "/collections/%s/summary", c->id);
    char sep = '?';
    for (size_t i = 0; i < rq->n_args; i++) {
        if (!strcmp(rq->args[i].key, "f"))
            continue;
        pm_strbuf_append_char(&self, sep);
        pm_strbuf_append_urlenc(&self, rq->args[i].key);
        pm_strbuf_append_char(&self, '=');
        pm_strbuf_append_urlenc(&self, rq->args[i].value);
        sep = '&';
    }
    char *path = pm_strbuf_take(&self);
    json_t *links = json_array();
    pm_add_self_links(ctx, links, path, PM_TYPE_JSON);
    json_t *doc = json_pack("{s:s, s:o, s:I}", "collection", c->id, "groupBy",
                            group_by ? json_string(group_by) : json_null(), "numberMatched",
                            (json_int_t)sum.count);
    if (req.n_counts)
        json_object_set_new(doc, "distinct", distinct_json(c, &req, sum.distinct));
    json_object_set_new(doc, "groups", groups);
    json_object_set_new(doc, "links", links);
    char *title = pm_asprintf("Summary of %s", c->title);
    pm_respond_doc(ctx, doc, title, PM_TYPE_JSON);
    free(title);
    free(path);
    rc = 0;
done:
    pm_summary_fini(&sum);
    pm_store_release(ctx->store, session);
    pm_items_params_fini(&p);
    free(rest);
    return rc;
}
