/*
 * /collections/{id}/queryables (OGC API – Features Part 3, /req/queryables): a JSON Schema
 * of every property a filter may name, with its type, and the geometry; and
 * /collections/{id}/sortables (Part 8): the properties sortby may name; and
 * /collections/{id}/schema: the JSON Schema of the collection's features (a GeoJSON Feature
 * and its properties), linked from the collection as rel=describedBy, which is where GIS
 * clients (GDAL's OAPIF driver) read the type of each field.
 *
 * A date as precise as its source (1979, 1979-05) is not a JSON Schema "date" (which is a
 * whole day): it is declared a string with its pattern, and the whole first and last days it
 * stands for are declared "date".
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static json_t *property_schema(const struct pm_property *p)
{
    json_t *s = json_pack("{s:s}", "description", p->description);
    switch (p->type) {
    case PM_PROP_INTEGER:
        json_object_set_new(s, "type", json_string("integer"));
        break;
    case PM_PROP_NUMBER:
        json_object_set_new(s, "type", json_string("number"));
        break;
    case PM_PROP_DATE:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "pattern", json_string("^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"));
        break;
    case PM_PROP_DAY:
        json_object_set_new(s, "type", json_string("string"));
        json_object_set_new(s, "format", json_string("date"));
        break;
    case PM_PROP_STRING:
        json_object_set_new(s, "type", json_string("string"));
        break;
    }
    return s;
}

static const char *geometry_schema_uri(const char *type)
{
    return !strcmp(type, "LineString") ? "https://geojson.org/schema/LineString.json"
                                       : "https://geojson.org/schema/Point.json";
}

/* The schema of /queryables (with_geometry) or /sortables (OGC API – Features Part 8: every
 * property but the geometry may order the features). */
static int respond_schema(struct pm_ctx *ctx, const struct pm_collection *c, int with_geometry,
                          const char *what)
{
    json_t *props = json_object();
    json_object_set_new(
        props, "id", json_pack("{s:s, s:s}", "type", "string", "description", "the feature's id"));
    if (with_geometry)
        json_object_set_new(props, "geometry",
                            json_pack("{s:s, s:s}", "format",
                                      !strcmp(c->geometry_type, "LineString")
                                          ? "geometry-linestring"
                                          : "geometry-point",
                                      "$ref", geometry_schema_uri(c->geometry_type)));
    for (size_t i = 0; i < c->n_props; i++)
        json_object_set_new(props, c->props[i].name, property_schema(&c->props[i]));
    char *self = pm_asprintf("%s/collections/%s/%s", ctx->base_url, c->id, what);
    char *title = pm_asprintf("%s of %s", with_geometry ? "Queryables" : "Sortables", c->title);
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}", "$schema",
                  "https://json-schema.org/draft/2020-12/schema", "$id", self, "type", "object",
                  "title", title, "properties", props, "additionalProperties", 0);
    pm_respond_doc(ctx, doc, title, "application/schema+json");
    free(self);
    free(title);
    return 0;
}

int pm_handle_queryables(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err)
{
    (void)err;
    return respond_schema(ctx, c, 1, "queryables");
}

int pm_handle_sortables(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err)
{
    (void)err;
    return respond_schema(ctx, c, 0, "sortables");
}

int pm_handle_schema(struct pm_ctx *ctx, const struct pm_collection *c, struct pm_error *err)
{
    (void)err;
    json_t *props = json_object();
    for (size_t i = 0; i < c->n_props; i++)
        json_object_set_new(props, c->props[i].name, property_schema(&c->props[i]));
    char *self = pm_asprintf("%s/collections/%s/schema", ctx->base_url, c->id);
    char *title = pm_asprintf("Features of %s", c->title);
    /* Features without a place have a null geometry. */
    json_t *geometry = json_pack("{s:[{s:s}, {s:s}]}", "oneOf", "type", "null", "$ref",
                                 geometry_schema_uri(c->geometry_type));
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:[sss], s:{s:{s:s, s:[s]}, s:{s:s}, s:o, s:{s:s, s:o}}}",
                  "$schema", "https://json-schema.org/draft/2020-12/schema", "$id", self, "title",
                  title, "type", "object", "required", "type", "geometry", "properties",
                  "properties", "type", "type", "string", "enum", "Feature", "id", "type", "string",
                  "geometry", geometry, "properties", "type", "object", "properties", props);
    pm_respond_doc(ctx, doc, title, "application/schema+json");
    free(self);
    free(title);
    return 0;
}
