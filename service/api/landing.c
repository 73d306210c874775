/*
 * The landing page (/), the conformance declaration (/conformance) and the helpers that
 * every JSON resource uses to answer.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

json_t *pm_link_json(struct pm_ctx *ctx, const char *path, const char *rel, const char *type,
                     const char *title)
{
    char *href = pm_asprintf("%s%s", ctx->base_url, path);
    json_t *l = json_pack("{s:s, s:s}", "href", href, "rel", rel);
    if (type)
        json_object_set_new(l, "type", json_string(type));
    if (title)
        json_object_set_new(l, "title", json_string(title));
    free(href);
    return l;
}

void pm_respond_json(struct pm_ctx *ctx, json_t *value, const char *content_type)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ctx->resp->status = 200;
    ctx->resp->content_type = content_type;
    pm_strbuf_append_str(&ctx->resp->body, text);
    free(text);
    json_decref(value);
}

/* The links every resource gives for itself: self in the format served, alternate in the
 * other. */
void pm_add_self_links(struct pm_ctx *ctx, json_t *links, const char *path, const char *json_type)
{
    const char *sep = strchr(path, '?') ? "&" : "?";
    char *json_path = pm_asprintf("%s%sf=json", path, sep);
    char *html_path = pm_asprintf("%s%sf=html", path, sep);
    int html = ctx->format == PM_FORMAT_HTML;
    json_array_append_new(links, pm_link_json(ctx, html ? html_path : json_path, "self",
                                              html ? PM_TYPE_HTML : json_type, "this document"));
    json_array_append_new(links,
                          pm_link_json(ctx, html ? json_path : html_path, "alternate",
                                       html ? json_type : PM_TYPE_HTML,
                                       html ? "this document as JSON" : "this document as HTML"));
    free(json_path);
    free(html_path);
}

void pm_respond_doc(struct pm_ctx *ctx, json_t *doc, const char *title, const char *type)
{
    if (ctx->format == PM_FORMAT_HTML)
        pm_html_json_page(ctx, title, doc);
    else
        pm_respond_json(ctx, doc, type);
}

int pm_handle_landing(struct pm_ctx *ctx, struct pm_error *err)
{
    (void)err;
    const struct pm_catalog *cat = &ctx->store->catalog;
    json_t *links = json_array();
    pm_add_self_links(ctx, links, "/", PM_TYPE_JSON);
    json_array_append_new(links, pm_link_json(ctx, "/api", "service-desc", PM_TYPE_OPENAPI,
                                              "the API definition (OpenAPI 3.0)"));
    json_array_append_new(links, pm_link_json(ctx, "/api?f=html", "service-doc", PM_TYPE_HTML,
                                              "the API documentation"));
    json_array_append_new(links, pm_link_json(ctx, "/conformance", "conformance", PM_TYPE_JSON,
                                              "the OGC API conformance classes implemented"));
    json_array_append_new(
        links, pm_link_json(ctx, "/collections", "data", PM_TYPE_JSON, "the collections"));
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:o}", "title", "partnermap", "description",
        "China–Japan partner cities (sister and friendship affiliations) and the Kitakyushu "
        "Initiative for a Clean Environment: its network, pilot sites and meetings. Every "
        "feature names its source.",
        "dataVersion", cat->data_version, "loadedAt", cat->loaded_at ? cat->loaded_at : "", "links",
        links);
    pm_respond_doc(ctx, doc, "partnermap", PM_TYPE_JSON);
    return 0;
}

static const char *const conformance_classes[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
};

int pm_handle_conformance(struct pm_ctx *ctx, struct pm_error *err)
{
    (void)err;
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof conformance_classes / sizeof conformance_classes[0]; i++)
        json_array_append_new(list, json_string(conformance_classes[i]));
    json_t *links = json_array();
    pm_add_self_links(ctx, links, "/conformance", PM_TYPE_JSON);
    pm_respond_doc(ctx, json_pack("{s:o, s:o}", "conformsTo", list, "links", links), "Conformance",
                   PM_TYPE_JSON);
    return 0;
}
