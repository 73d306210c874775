/*
 * Fuzz target for the loader (service/store/spatialite/load.c): one CSV file of the input,
 * the others from the fixtures, through pm_spatialite_load, as `partnermap load` runs it.
 *
 * The fixtures are copied once per process into <tmp>/template; each input gets a fresh
 * <tmp>/run holding hard links to them (copies where links fail) and the input as the file
 * it picked, and everything there is removed afterwards. The checks are spatialite.h's
 * contract: a refusal is reported and leaves no database, a success leaves a database the
 * server opens, and either way no ".loading-" file stays behind.
 */
#include "fuzz_targets.h"

#include "store/spatialite/spatialite.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The files the loader reads, in sql/load_spec.sql order. */
static const char *const csv_files[] = {
    "countries.csv",   "regions.csv",     "gazetteer.csv",        "cities.csv", "partnerships.csv",
    "initiatives.csv", "memberships.csv", "pilot_activities.csv", "events.csv"};
#define N_CSV_FILES (sizeof csv_files / sizeof csv_files[0])
#define DB_NAME "db.sqlite"

static char *base_dir;     /* <tmp>/pm-fuzz-csv-XXXXXX */
static char *template_dir; /* base_dir/template: the fixtures */
static char *run_dir;      /* base_dir/run: one input's data directory */

/* Write size bytes to path (created or truncated). 0, or -1. */
static int write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int rc = size && fwrite(data, 1, size, f) != size ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* Copy the file at from to to. 0, or -1. */
static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    struct pm_strbuf b;
    char chunk[4096];
    size_t n;
    pm_strbuf_init(&b);
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        pm_strbuf_append(&b, chunk, n);
    int rc = ferror(in) ? -1 : write_file(to, b.data, b.len);
    fclose(in);
    pm_strbuf_fini(&b);
    return rc;
}

/* Remove every entry of the (flat) directory dir, and dir itself. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *path = pm_asprintf("%s/%s", dir, e->d_name);
            unlink(path);
            free(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

int fuzz_csv_setup(const char *fixture_dir)
{
    if (base_dir)
        return 0;
    const char *tmp = getenv("TMPDIR");
    char *pattern = pm_asprintf("%s/pm-fuzz-csv-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(pattern)) {
        fprintf(stderr, "fuzz_csv: cannot create %s: %s\n", pattern, strerror(errno));
        free(pattern);
        return -1;
    }
    base_dir = pattern;
    template_dir = pm_asprintf("%s/template", base_dir);
    run_dir = pm_asprintf("%s/run", base_dir);
    if (mkdir(template_dir, 0700) != 0) {
        fprintf(stderr, "fuzz_csv: cannot create %s: %s\n", template_dir, strerror(errno));
        fuzz_csv_teardown();
        return -1;
    }
    for (size_t i = 0; i < N_CSV_FILES; i++) {
        char *from = pm_asprintf("%s/%s", fixture_dir, csv_files[i]);
        char *to = pm_asprintf("%s/%s", template_dir, csv_files[i]);
        int rc = copy_file(from, to);
        if (rc != 0)
            fprintf(stderr, "fuzz_csv: cannot copy %s to %s\n", from, to);
        free(from);
        free(to);
        if (rc != 0) {
            fuzz_csv_teardown();
            return -1;
        }
    }
    pm_spatialite_init();
    return 0;
}

void fuzz_csv_teardown(void)
{
    if (!base_dir)
        return;
    remove_dir(run_dir);
    remove_dir(template_dir);
    rmdir(base_dir);
    free(run_dir);
    free(template_dir);
    free(base_dir);
    run_dir = template_dir = base_dir = NULL;
}

/* What the run directory must hold after a load: the CSV files, and the database if and only
 * if the load succeeded. */
static const char *check_run_dir(int loaded)
{
    DIR *d = opendir(run_dir);
    if (!d)
        return "csv: the data directory is gone";
    const char *why = NULL;
    int has_db = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        if (!strcmp(name, DB_NAME)) {
            has_db = 1;
            continue;
        }
        int known = 0;
        for (size_t i = 0; i < N_CSV_FILES; i++)
            known |= !strcmp(name, csv_files[i]);
        if (!known && !why)
            why = strstr(name, ".loading-") ? "csv: a .loading- file left behind"
                                            : "csv: a stray file in the data directory";
    }
    closedir(d);
    if (!why && loaded && !has_db)
        why = "csv: loaded, but no database at db_path";
    if (!why && !loaded && has_db)
        why = "csv: refused, but a database at db_path";
    return why;
}

const char *fuzz_csv(const uint8_t *data, size_t size, int *accepted)
{
    *accepted = 0;
    if (size == 0)
        return NULL;
    if (!base_dir)
        return "csv: fuzz_csv_setup was not called";
    /* '0', '1', ... pick the files in order; any other byte picks one too (modulo). */
    size_t pick = ((size_t)data[0] + N_CSV_FILES - '0' % N_CSV_FILES) % N_CSV_FILES;
    const char *why = NULL;
    remove_dir(run_dir);
    if (mkdir(run_dir, 0700) != 0) {
        fprintf(stderr, "fuzz_csv: cannot create %s: %s\n", run_dir, strerror(errno));
        abort(); /* the machine, not the loader: no point going on */
    }
    for (size_t i = 0; i < N_CSV_FILES; i++) {
        char *to = pm_asprintf("%s/%s", run_dir, csv_files[i]);
        int rc;
        if (i == pick) {
            rc = write_file(to, data + 1, size - 1);
        } else {
            char *from = pm_asprintf("%s/%s", template_dir, csv_files[i]);
            rc = link(from, to) == 0 ? 0 : copy_file(from, to);
            free(from);
        }
        if (rc != 0) {
            fprintf(stderr, "fuzz_csv: cannot write %s: %s\n", to, strerror(errno));
            abort();
        }
        free(to);
    }

    char *db = pm_asprintf("%s/%s", run_dir, DB_NAME);
    char *out_text = NULL, *report_text = NULL;
    size_t out_len = 0, report_len = 0;
    FILE *out = open_memstream(&out_text, &out_len);
    FILE *report = open_memstream(&report_text, &report_len);
    if (!out || !report)
        abort();
    int rc = pm_spatialite_load(db, run_dir, out, report);
    fclose(out);
    fclose(report);

    if (rc != 0 && rc != -1)
        why = "csv: pm_spatialite_load returned neither 0 nor -1";
    else if (rc != 0 && report_len == 0)
        why = "csv: refused without a line in the report";
    else
        why = check_run_dir(rc == 0);
    if (!why && rc == 0) {
        struct pm_error err = {0};
        struct pm_store *st = pm_spatialite_open(db, 1, &err);
        if (!st) {
            fprintf(stderr, "fuzz_csv: the loaded database does not open: %s\n", err.message);
            why = "csv: a loaded database that the server cannot open";
        }
        pm_store_close(st);
    }
    *accepted = rc == 0;
    free(out_text);
    free(report_text);
    free(db);
    remove_dir(run_dir);
    return why;
}
