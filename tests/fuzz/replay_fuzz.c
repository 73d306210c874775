/*
 * Replays the corpus and the regressions of every fuzz target of tests/fuzz through the same
 * functions the fuzzers run (fuzz_targets.h), so that every build, and above all the
 * ASan+UBSan one, runs them under ctest.
 *
 *   replay_fuzz FUZZ_DIR FIXTURE_DIR
 *
 * FUZZ_DIR holds corpus/<target>/ and regressions/<target>/ for each target; FIXTURE_DIR is
 * tests/fixtures/data, the other CSV files of fuzz_csv. A file fails if its target reports a
 * broken check; a file named "ok-*" must also be accepted and one named "bad-*" refused.
 * Files starting with '.' or "README" are skipped. Exit status 0 if every file passed.
 */
#include "fuzz_targets.h"

#include "util/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct target {
    const char *name;
    const char *(*run)(const uint8_t *data, size_t size, int *accepted);
};

static const struct target targets[] = {
    {"fuzz_params", fuzz_params},
    {"fuzz_bbox", fuzz_bbox},
    {"fuzz_datetime", fuzz_datetime},
    {"fuzz_csv", fuzz_csv},
};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct pm_strbuf b;
    char chunk[4096];
    size_t n;
    pm_strbuf_init(&b);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pm_strbuf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return pm_strbuf_take(&b);
}

static int wanted(const struct dirent *e)
{
    return e->d_name[0] != '.' && strncmp(e->d_name, "README", 6) != 0;
}

/* Replay every file of dir through t. Adds to *files; returns the number that failed, or -1
 * if dir cannot be read. */
static int replay_dir(const struct target *t, const char *dir, int *files)
{
    struct dirent **names;
    int n = scandir(dir, &names, wanted, alphasort);
    if (n < 0) {
        fprintf(stderr, "FAIL %s: cannot read the directory\n", dir);
        return -1;
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char *path = pm_asprintf("%s/%s", dir, name);
        size_t len;
        char *data = read_file(path, &len);
        int accepted = 0;
        const char *why = data ? t->run((const uint8_t *)data, len, &accepted) : "cannot read";
        if (!why && !strncmp(name, "ok-", 3) && !accepted)
            why = "expected it to be accepted";
        if (!why && !strncmp(name, "bad-", 4) && accepted)
            why = "expected it to be refused";
        if (why) {
            fprintf(stderr, "FAIL %s (%s): %s\n", path, t->name, why);
            failed++;
        }
        (*files)++;
        free(data);
        free(path);
        free(names[i]);
    }
    free(names);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FUZZ_DIR FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    if (fuzz_csv_setup(argv[2]) != 0)
        return 1;
    int files = 0, failed = 0;
    /* Every corpus before any regression: a crasher under ASan ends the process, and should
     * take as little of the replay with it as it can. */
    static const char *const kinds[] = {"corpus", "regressions"};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
            char *dir = pm_asprintf("%s/%s/%s", argv[1], kinds[k], targets[i].name);
            int before = files, rc = replay_dir(&targets[i], dir, &files);
            failed += rc < 0 ? 1 : rc;
            printf("%s: %d files\n", dir, files - before);
            free(dir);
        }
    }
    fuzz_csv_teardown();
    printf("replayed %d files, %d failed\n", files, failed);
    return failed ? 1 : 0;
}
