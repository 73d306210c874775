/*
 * /api: the OpenAPI 3.0 definition of everything this server answers, built from the
 * catalog so that each collection's items path lists exactly the parameters it accepts.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static json_t *param_ref(const char *name)
{
    char *ref = pm_asprintf("#/components/parameters/%s", name);
    json_t *p = json_pack("{s:s}", "$ref", ref);
    free(ref);
    return p;
}

static json_t *responses(const char *ok_desc, const char *type, int with_404, int with_304)
{
    json_t *content = json_object();
    json_object_set_new(content, type, json_object());
    json_object_set_new(content, "text/html", json_object());
    json_t *r = json_pack("{s:{s:s, s:o}}", "200", "description", ok_desc, "content", content);
    json_object_set_new(r, "400", json_pack("{s:s}", "$ref", "#/components/responses/Error"));
    if (with_404)
        json_object_set_new(r, "404", json_pack("{s:s}", "$ref", "#/components/responses/Error"));
    if (with_304)
        json_object_set_new(r, "304",
                            json_pack("{s:s}", "description", "not modified (If-None-Match)"));
    json_object_set_new(r, "503", json_pack("{s:s}", "$ref", "#/components/responses/Error"));
    return r;
}

static json_t *get_op(const char *op_id, const char *summary, json_t *params, json_t *resp)
{
    return json_pack("{s:{s:s, s:s, s:o, s:o}}", "get", "operationId", op_id, "summary", summary,
                     "parameters", params, "responses", resp);
}

static json_t *components(void)
{
    json_t *params = json_object();
    json_object_set_new(
        params, "f",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:[sss]}}", "name", "f", "in", "query",
                  "description",
                  "the format of the response: json (geojson for features) or html; without "
                  "it the Accept header decides",
                  "required", 0, "schema", "type", "string", "enum", "json", "geojson", "html"));
    json_object_set_new(
        params, "limit",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:i, s:i, s:i}}", "name", "limit", "in", "query",
                  "description",
                  "the most features in one page; a larger value is clamped to 10000", "required",
                  0, "schema", "type", "integer", "minimum", 1, "maximum", PM_LIMIT_MAX, "default",
                  PM_LIMIT_DEFAULT));
    json_object_set_new(
        params, "offset",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:i, s:i}}", "name", "offset", "in", "query",
                  "description",
                  "how many features of the result to skip (the next and prev links set it)",
                  "required", 0, "schema", "type", "integer", "minimum", 0, "default", 0));
    json_object_set_new(
        params, "bbox",
        json_pack("{s:s, s:s, s:s, s:b, s:s, s:b, s:{s:s, s:i, s:i, s:{s:s}}}", "name", "bbox",
                  "in", "query", "description",
                  "features that intersect the box west,south,east,north in degrees (CRS84); "
                  "west > east crosses the antimeridian",
                  "required", 0, "style", "form", "explode", 0, "schema", "type", "array",
                  "minItems", 4, "maxItems", 6, "items", "type", "number"));
    json_object_set_new(
        params, "datetime",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "datetime", "in", "query", "description",
                  "features whose date meets this instant or interval: 1979-05-01, 1979, "
                  "1979-05-01T00:00:00Z, 1973/1980, ../1990-12-31, 2001-03-20/.., "
                  "2001-03-20/P2D",
                  "required", 0, "schema", "type", "string"));
    json_object_set_new(
        params, "filter",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "filter", "in", "query", "description",
                  "a CQL2 filter (OGC API – Features Part 3): comparison, LIKE, BETWEEN, IN, IS "
                  "NULL, CASEI, ACCENTI, arithmetic, S_ spatial and T_ temporal functions over "
                  "the collection's queryables",
                  "required", 0, "schema", "type", "string"));
    json_object_set_new(
        params, "filter-lang",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:[ss], s:s}}", "name", "filter-lang", "in",
                  "query", "description", "the encoding of filter", "required", 0, "schema", "type",
                  "string", "enum", "cql2-text", "cql2-json", "default", "cql2-text"));
    json_object_set_new(params, "filter-crs",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:[s]}}", "name", "filter-crs",
                                  "in", "query", "description",
                                  "the CRS of geometries in filter (CRS84 only)", "required", 0,
                                  "schema", "type", "string", "enum",
                                  "http://www.opengis.net/def/crs/OGC/1.3/CRS84"));
    json_object_set_new(
        params, "sortby",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "sortby", "in", "query", "description",
                  "sort by properties, + ascending (the default) or - descending, e.g. "
                  "-established,id; ties are broken by id",
                  "required", 0, "schema", "type", "string"));
    json_object_set_new(params, "properties",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "properties", "in",
                                  "query", "description",
                                  "the properties to return, comma-separated", "required", 0,
                                  "schema", "type", "string"));
    json_object_set_new(params, "skipGeometry",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:b}}", "name", "skipGeometry",
                                  "in", "query", "description",
                                  "true: geometries are left out (null)", "required", 0, "schema",
                                  "type", "boolean", "default", 0));
    json_object_set_new(
        params, "near",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "near", "in", "query", "description",
                  "lon,lat (CRS84): features ordered by geodesic distance on the WGS 84 "
                  "ellipsoid from this point, each with distance_m; without radius the limit "
                  "nearest (for a link, the distance to its nearest point)",
                  "required", 0, "schema", "type", "string"));
    json_object_set_new(params, "radius",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:i, s:f}}", "name", "radius", "in",
                                  "query", "description",
                                  "with near: only features within this geodesic distance, "
                                  "metres",
                                  "required", 0, "schema", "type", "number", "minimum", 0,
                                  "maximum", PM_RADIUS_MAX));
    json_object_set_new(params, "q",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "q", "in", "query",
                                  "description",
                                  "a name or part of one, in any script (大连, 北九州, kita); "
                                  "case and accents are ignored; best matches first",
                                  "required", 0, "schema", "type", "string"));
    json_object_set_new(params, "geometry",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:[ss], s:s}}", "name", "geometry",
                                  "in", "query", "description",
                                  "geodesic: links follow the geodesic in pieces of at most "
                                  "50 km; straight: as stored",
                                  "required", 0, "schema", "type", "string", "enum", "straight",
                                  "geodesic", "default", "straight"));
    json_object_set_new(params, "after",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "after", "in", "query",
                                  "description",
                                  "the page after this feature id (paging by key, in the default "
                                  "order by id; the next links use it)",
                                  "required", 0, "schema", "type", "string"));
    json_object_set_new(params, "before",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "before", "in", "query",
                                  "description",
                                  "the page that ends just before this feature id (the prev "
                                  "links use it)",
                                  "required", 0, "schema", "type", "string"));
    json_object_set_new(params, "featureId",
                        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "featureId", "in",
                                  "path", "description", "the feature's id", "required", 1,
                                  "schema", "type", "string"));
    json_t *schemas = json_pack("{s:{s:s, s:[ss], s:{s:{s:s}, s:{s:s}}}}", "exception", "type",
                                "object", "required", "code", "description", "properties", "code",
                                "type", "string", "description", "type", "string");
    json_t *resps =
        json_pack("{s:{s:s, s:{s:{s:{s:s}}}}}", "Error", "description",
                  "an error: code and a description that says what was wrong", "content",
                  "application/json", "schema", "$ref", "#/components/schemas/exception");
    return json_pack("{s:o, s:o, s:o}", "parameters", params, "schemas", schemas, "responses",
                     resps);
}

/* Add GET /collections/{id}<suffix> to paths; the summary is what, then the collection's
 * title in quotes. */
static void add_get(json_t *paths, const struct pm_collection *c, const char *suffix,
                    const char *op_name, const char *what, json_t *params, json_t *resp)
{
    char *path = pm_asprintf("/collections/%s%s", c->id, suffix);
    char *op = pm_asprintf("%s_%s", op_name, c->id);
    char *summary = pm_asprintf("%s '%s'", what, c->title);
    json_object_set_new(paths, path, get_op(op, summary, params, resp));
    free(path);
    free(op);
    free(summary);
}

static json_t *filter_param(const struct pm_filter_def *f)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", f->param, "in", "query",
                     "description", f->description, "required", 0, "schema", "type", "string");
}

static void collection_paths(json_t *paths, const struct pm_collection *c)
{
    add_get(paths, c, "", "describeCollection", "describe the collection",
            json_pack("[o]", param_ref("f")), responses("the collection", PM_TYPE_JSON, 1, 1));

    json_t *params = json_array();
    static const char *const generic[] = {
        "f",           "limit",      "offset",   "bbox",       "datetime",     "filter",
        "filter-lang", "filter-crs", "sortby",   "properties", "skipGeometry", "near",
        "radius",      "q",          "geometry", "after",      "before"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        json_array_append_new(params, param_ref(generic[i]));
    for (size_t i = 0; i < c->n_filters; i++)
        json_array_append_new(params, filter_param(&c->filters[i]));
    /* Every queryable is also an equality filter (Part 3 queryables-query-parameters). */
    for (size_t i = 0; i < c->n_props; i++) {
        int taken = 0;
        for (size_t k = 0; k < c->n_filters; k++)
            taken |= !strcmp(c->filters[k].param, c->props[i].name);
        if (taken)
            continue;
        char *desc = pm_asprintf("equals: %s", c->props[i].description);
        const char *type = c->props[i].type == PM_PROP_INTEGER  ? "integer"
                           : c->props[i].type == PM_PROP_NUMBER ? "number"
                                                                : "string";
        json_array_append_new(params, json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name",
                                                c->props[i].name, "in", "query", "description",
                                                desc, "required", 0, "schema", "type", type));
        free(desc);
    }
    add_get(paths, c, "/items", "getFeatures", "the features, paged, of", params,
            responses("a GeoJSON FeatureCollection", PM_TYPE_GEOJSON, 1, 1));
    add_get(paths, c, "/queryables", "getQueryables",
            "the properties a filter may name (JSON Schema), of", json_pack("[o]", param_ref("f")),
            responses("a JSON Schema", "application/schema+json", 1, 1));
    add_get(paths, c, "/schema", "getSchema", "the JSON Schema of the features of",
            json_pack("[o]", param_ref("f")),
            responses("a JSON Schema", "application/schema+json", 1, 1));
    add_get(paths, c, "/sortables", "getSortables",
            "the properties sortby may name (JSON Schema), of", json_pack("[o]", param_ref("f")),
            responses("a JSON Schema", "application/schema+json", 1, 1));

    /* The summary takes the filters of items, and groupby and count. */
    json_t *sparams = json_array();
    static const char *const summary_generic[] = {"f",           "bbox",       "datetime", "filter",
                                                  "filter-lang", "filter-crs", "q"};
    for (size_t i = 0; i < sizeof summary_generic / sizeof summary_generic[0]; i++)
        json_array_append_new(sparams, param_ref(summary_generic[i]));
    json_array_append_new(
        sparams,
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "groupby", "in", "query", "description",
                  "group the counts by year (of the collection's date) or by a property",
                  "required", 0, "schema", "type", "string"));
    json_array_append_new(
        sparams,
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "count", "in", "query", "description",
                  "properties whose distinct values are counted too, comma-separated "
                  "(e.g. cn_city,cn_region)",
                  "required", 0, "schema", "type", "string"));
    for (size_t i = 0; i < c->n_filters; i++)
        json_array_append_new(sparams, filter_param(&c->filters[i]));
    add_get(paths, c, "/summary", "getSummary", "counts, grouped, of the features of", sparams,
            responses("the counts", PM_TYPE_JSON, 1, 1));

    add_get(paths, c, "/items/{featureId}", "getFeature", "one feature of",
            json_pack("[oo]", param_ref("featureId"), param_ref("f")),
            responses("a GeoJSON Feature", PM_TYPE_GEOJSON, 1, 1));
}

int pm_handle_openapi(struct pm_ctx *ctx, struct pm_error *err)
{
    (void)err;
    const struct pm_catalog *cat = &ctx->store->catalog;
    json_t *paths = json_object();
    json_object_set_new(paths, "/",
                        get_op("getLandingPage", "the landing page",
                               json_pack("[o]", param_ref("f")),
                               responses("the landing page", PM_TYPE_JSON, 0, 1)));
    json_object_set_new(paths, "/conformance",
                        get_op("getConformanceDeclaration", "the conformance classes",
                               json_pack("[o]", param_ref("f")),
                               responses("the conformance classes", PM_TYPE_JSON, 0, 1)));
    json_object_set_new(paths, "/api",
                        get_op("getAPI", "this API definition", json_pack("[o]", param_ref("f")),
                               responses("the API definition", PM_TYPE_OPENAPI, 0, 1)));
    json_object_set_new(paths, "/collections",
                        get_op("getCollections", "the collections",
                               json_pack("[o]", param_ref("f")),
                               responses("the collections", PM_TYPE_JSON, 0, 1)));
    for (size_t i = 0; i < cat->n; i++)
        collection_paths(paths, &cat->collections[i]);
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o, s:o}", "openapi", "3.0.3", "info", "title",
        "partnermap", "version", PM_VERSION, "description",
        "OGC API – Features over China–Japan partner cities and the Kitakyushu Initiative for "
        "a Clean Environment.",
        "servers", "url", ctx->base_url, "paths", paths, "components", components());
    pm_respond_doc(ctx, doc, "API definition", PM_TYPE_OPENAPI);
    return 0;
}
