/*
 * Replays the fuzz corpus and the regressions (the directories given as arguments) through
 * both CQL2 parsers, checking every result as the fuzz target does (tree.h: tree_run). A file
 * is read as the fuzz target reads it: a first byte 't' or 'j' picks cql2-text or cql2-json
 * for the rest. Files named "ok-*" must then parse and "bad-*" must fail; the rest (and every
 * file as a whole, and the rest with the other parser) only must not break an invariant. Built
 * with any compiler and run by ctest, so the ASan+UBSan build replays every crasher found.
 */
#include "tree.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct pm_strbuf b;
    char chunk[4096];
    size_t n;
    pm_strbuf_init(&b);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        pm_strbuf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return pm_strbuf_take(&b);
}

/* 0 if the file passes, 1 if not (with a line on stderr). */
static int replay(const char *path, const char *name)
{
    size_t len;
    char *data = read_file(path, &len);
    if (!data) {
        fprintf(stderr, "FAIL %s: cannot read\n", path);
        return 1;
    }
    int failures = 0, parsed;
    const char *why;
    for (int json = 0; json <= 1; json++) {
        if ((why = tree_run(json, data, len, &parsed))) {
            fprintf(stderr, "FAIL %s (whole, %s): %s\n", path, json ? "json" : "text", why);
            failures++;
        }
    }
    if (len > 0 && (data[0] == 't' || data[0] == 'j')) {
        int selected = data[0] == 'j';
        for (int json = 0; json <= 1; json++) {
            if ((why = tree_run(json, data + 1, len - 1, &parsed))) {
                fprintf(stderr, "FAIL %s (%s): %s\n", path, json ? "json" : "text", why);
                failures++;
            }
            if (json != selected)
                continue;
            if (strncmp(name, "ok-", 3) == 0 && !parsed) {
                struct pm_error err = {0};
                struct pm_cql_node *n = json ? pm_cql_parse_json(data + 1, len - 1, &err)
                                             : pm_cql_parse_text(data + 1, len - 1, &err);
                pm_cql_free(n);
                fprintf(stderr, "FAIL %s: expected it to parse: %s\n", path, err.message);
                failures++;
            } else if (strncmp(name, "bad-", 4) == 0 && parsed) {
                fprintf(stderr, "FAIL %s: expected an error\n", path);
                failures++;
            }
        }
    }
    free(data);
    return failures > 0;
}

int main(int argc, char **argv)
{
    int files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        DIR *dir = opendir(argv[i]);
        if (!dir) {
            fprintf(stderr, "cannot open %s\n", argv[i]);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(dir))) {
            if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0)
                continue;
            char *path = pm_asprintf("%s/%s", argv[i], e->d_name);
            failed += replay(path, e->d_name);
            files++;
            free(path);
        }
        closedir(dir);
    }
    printf("replayed %d files, %d failed\n", files, failed);
    return failed ? 1 : 0;
}
