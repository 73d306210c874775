/*
 * /collections and /collections/{id}: the catalog with each collection's extents, read once
 * at load time; /collections/{id} is exactly its entry in /collections.
 */
#include "internal.h"

#include <stdlib.h>

json_t *pm_collection_json(struct pm_ctx *ctx, const struct pm_collection *c)
{
    char *path = pm_asprintf("/collections/%s", c->id);
    char *items = pm_asprintf("/collections/%s/items", c->id);
    char *items_html = pm_asprintf("/collections/%s/items?f=html", c->id);
    json_t *links = json_array();
    json_array_append_new(links, pm_link_json(ctx, path, "self", PM_TYPE_JSON, c->title));
    json_array_append_new(
        links, pm_link_json(ctx, items, "items", PM_TYPE_GEOJSON, "the features as GeoJSON"));
    json_array_append_new(
        links, pm_link_json(ctx, items_html, "items", PM_TYPE_HTML, "the features as HTML"));
    char *queryables = pm_asprintf("/collections/%s/queryables", c->id);
    json_array_append_new(
        links, pm_link_json(ctx, queryables, "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                            "application/schema+json", "the properties a filter may name"));
    free(queryables);
    char *sortables = pm_asprintf("/collections/%s/sortables", c->id);
    json_array_append_new(
        links, pm_link_json(ctx, sortables, "http://www.opengis.net/def/rel/ogc/1.0/sortables",
                            "application/schema+json", "the properties sortby may name"));
    free(sortables);
    /* GDAL 3.6 reads field types from this link: rel spelt describedBy, exactly this type. */
    char *schema = pm_asprintf("/collections/%s/schema", c->id);
    json_array_append_new(links, pm_link_json(ctx, schema, "describedBy", "application/schema+json",
                                              "the schema of the features"));
    free(schema);
    char *summary = pm_asprintf("/collections/%s/summary", c->id);
    json_array_append_new(links, pm_link_json(ctx, summary, "related", PM_TYPE_JSON,
                                              "counts of the features, grouped (summary)"));
    free(summary);
    json_t *extent = json_object();
    if (c->has_extent)
        json_object_set_new(extent, "spatial",
                            json_pack("{s:[[ffff]], s:s}", "bbox", c->extent[0], c->extent[1],
                                      c->extent[2], c->extent[3], "crs",
                                      "http://www.opengis.net/def/crs/OGC/1.3/CRS84"));
    if (c->tmin || c->tmax)
        json_object_set_new(extent, "temporal",
                            json_pack("{s:[[oo]], s:s}", "interval",
                                      c->tmin ? json_string(c->tmin) : json_null(),
                                      c->tmax ? json_string(c->tmax) : json_null(), "trs",
                                      "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"));
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:s, s:[s], s:s, s:o}", "id", c->id, "title",
                            c->title, "description", c->description, "extent", extent, "itemType",
                            "feature", "crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                            "geometryType", c->geometry_type, "links", links);
    free(path);
    free(items);
    free(items_html);
    return doc;
}

int pm_handle_collections(struct pm_ctx *ctx, struct pm_error *err)
{
    (void)err;
    const struct pm_catalog *cat = &ctx->store->catalog;
    json_t *list = json_array();
    for (size_t i = 0; i < cat->n; i++)
        json_array_append_new(list, pm_collection_json(ctx, &cat->collections[i]));
    json_t *links = json_array();
    pm_add_self_links(ctx, links, "/collections", PM_TYPE_JSON);
    pm_respond_doc(ctx, json_pack("{s:o, s:o}", "collections", list, "links", links), "Collections",
                   PM_TYPE_JSON);
    return 0;
}

int pm_handle_collection(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err)
{
    (void)err;
    pm_respond_doc(ctx, pm_collection_json(ctx, c), c->title, PM_TYPE_JSON);
    return 0;
}
