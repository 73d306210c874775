/*
 * HTML for people: a plain page frame and a generic rendering of JSON documents. Every
 * string that comes from data or from the request is escaped; the pages load nothing from
 * elsewhere (styles are inline).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

void pm_html_begin(struct pm_ctx *ctx, struct pm_strbuf *b, const char *title)
{
    pm_html_begin_head(ctx, b, title, NULL);
}

void pm_html_begin_head(struct pm_ctx *ctx, struct pm_strbuf *b, const char *title,
                        const char *head_extra)
{
    pm_strbuf_append_str(
        b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<link rel=\"icon\" href=\"data:,\">\n"
           "<title>");
    pm_strbuf_append_html(b, title);
    pm_strbuf_append_str(
        b, " – partnermap</title>\n<style>body{font-family:sans-serif;margin:1em 2em;"
           "max-width:100em}table{border-collapse:collapse;font-size:90%}td,th{border:1px solid "
           "#ccc;padding:2px 6px;vertical-align:top}dt{font-weight:bold}dd{margin:0 0 .5em 1.5em}"
           "nav a{margin-right:1em}</style>\n");
    if (head_extra)
        pm_strbuf_append_str(b, head_extra);
    pm_strbuf_append_str(b, "</head>\n<body>\n<nav><a href=\"");
    pm_strbuf_append_html(b, ctx->base_url);
    pm_strbuf_append_str(b, "/?f=html\">partnermap</a><a href=\"");
    pm_strbuf_append_html(b, ctx->base_url);
    pm_strbuf_append_str(b, "/collections?f=html\">collections</a><a href=\"");
    pm_strbuf_append_html(b, ctx->base_url);
    pm_strbuf_append_str(b, "/api?f=html\">API</a></nav>\n<h1>");
    pm_strbuf_append_html(b, title);
    pm_strbuf_append_str(b, "</h1>\n");
}

void pm_html_end(struct pm_ctx *ctx, struct pm_strbuf *b)
{
    (void)ctx;
    pm_strbuf_append_str(b, "</body>\n</html>\n");
}

static int is_href_key(const char *key)
{
    return !strcmp(key, "href") || !strcmp(key, "url") || !strcmp(key, "$ref");
}

static void render(struct pm_strbuf *b, json_t *v, int depth);

static void render_scalar(struct pm_strbuf *b, json_t *v, const char *key)
{
    char num[64];
    const char *text = NULL;
    switch (json_typeof(v)) {
    case JSON_STRING:
        text = json_string_value(v);
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        text = num;
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%g", json_real_value(v));
        text = num;
        break;
    case JSON_TRUE:
        text = "true";
        break;
    case JSON_FALSE:
        text = "false";
        break;
    default:
        text = "";
        break;
    }
    if (key && is_href_key(key) && !strncmp(text, "http", 4)) {
        pm_strbuf_append_str(b, "<a href=\"");
        pm_strbuf_append_html(b, text);
        pm_strbuf_append_str(b, "\">");
        pm_strbuf_append_html(b, text);
        pm_strbuf_append_str(b, "</a>");
    } else {
        pm_strbuf_append_html(b, text);
    }
}

static void render(struct pm_strbuf *b, json_t *v, int depth)
{
    if (depth > 12) {
        pm_strbuf_append_str(b, "…");
        return;
    }
    if (json_is_object(v)) {
        const char *key;
        json_t *val;
        pm_strbuf_append_str(b, "<dl>");
        json_object_foreach(v, key, val)
        {
            pm_strbuf_append_str(b, "<dt>");
            pm_strbuf_append_html(b, key);
            pm_strbuf_append_str(b, "</dt><dd>");
            if (json_is_object(val) || json_is_array(val))
                render(b, val, depth + 1);
            else
                render_scalar(b, val, key);
            pm_strbuf_append_str(b, "</dd>");
        }
        pm_strbuf_append_str(b, "</dl>\n");
    } else if (json_is_array(v)) {
        size_t i;
        json_t *val;
        pm_strbuf_append_str(b, "<ol>");
        json_array_foreach(v, i, val)
        {
            pm_strbuf_append_str(b, "<li>");
            if (json_is_object(val) || json_is_array(val))
                render(b, val, depth + 1);
            else
                render_scalar(b, val, NULL);
            pm_strbuf_append_str(b, "</li>");
        }
        pm_strbuf_append_str(b, "</ol>\n");
    } else {
        render_scalar(b, v, NULL);
    }
}

void pm_html_json_page(struct pm_ctx *ctx, const char *title, json_t *doc)
{
    struct pm_strbuf *b = &ctx->resp->body;
    pm_html_begin(ctx, b, title);
    render(b, doc, 0);
    pm_html_end(ctx, b);
    json_decref(doc);
    ctx->resp->status = 200;
    ctx->resp->content_type = PM_TYPE_HTML;
}
