/*
 * /viewer/: the web map viewer's files, served from one directory (--viewer-dir).
 *
 * Only plain relative paths inside that directory are served: a path with "..", a dot file,
 * a backslash or a byte outside printable ASCII is a 404, so nothing outside the directory
 * can be named. "/viewer" and "/viewer/" serve index.html. Files are read whole (they are
 * small) and carry a weak ETag from their size and modification time.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".geojson", "application/geo+json"},
    {".png", "image/png"},
    {".svg", "image/svg+xml"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

#define MAX_STATIC_FILE (32L * 1024 * 1024)

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return NULL;
}

/* Is rel a path we may serve: segments of [A-Za-z0-9._-] none of which starts with a dot? */
static int safe_relative(const char *rel)
{
    const char *seg = rel;
    if (!*rel)
        return 0;
    for (const char *p = rel;; p++) {
        if (*p == '/' || *p == '\0') {
            if (p == seg || *seg == '.')
                return 0; /* empty segment ("//"), "..", "." or a dot file */
            if (!*p)
                return 1;
            seg = p + 1;
            continue;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    }
}

int pm_handle_static(struct pm_ctx *ctx, const char *rel, struct pm_error *err)
{
    const char *dir = ctx->api->viewer_dir;
    if (!dir)
        return pm_error_set(err, 404, "NotFound", "this server has no viewer (--viewer-dir)");
    if (!*rel)
        rel = "index.html";
    const char *type = type_of(rel);
    if (!safe_relative(rel) || !type || strlen(rel) > 200)
        return pm_error_set(err, 404, "NotFound", "no such file in the viewer");
    char *path = pm_asprintf("%s/%s", dir, rel);
    struct stat sb;
    FILE *f = NULL;
    int rc = -1;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        pm_error_set(err, 404, "NotFound", "no such file in the viewer");
        goto done;
    }
    if (sb.st_size > MAX_STATIC_FILE) {
        pm_error_set(err, 500, "ServerError", "%s is too large to serve", path);
        goto done;
    }
    snprintf(ctx->resp->etag, sizeof ctx->resp->etag, "W/\"%llx-%llx\"",
             (unsigned long long)sb.st_size, (unsigned long long)sb.st_mtime);
    ctx->resp->cache_control = "public, max-age=300";
    if (pm_not_modified(ctx)) {
        rc = 0;
        goto done;
    }
    f = fopen(path, "rb");
    if (!f) {
        pm_error_set(err, 500, "ServerError", "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        pm_strbuf_append(&ctx->resp->body, buf, n);
    if (ferror(f)) {
        pm_error_set(err, 500, "ServerError", "cannot read %s", path);
        goto done;
    }
    ctx->resp->status = 200;
    ctx->resp->content_type = type;
    rc = 0;
done:
    if (f)
        fclose(f);
    free(path);
    return rc;
}
