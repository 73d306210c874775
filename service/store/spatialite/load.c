/*
 * The loader: CSV files → a new SpatiaLite database, all or nothing.
 *
 * The database is defined by the SQL files of sql/, embedded in the binary at build time:
 * schema.sql (tables), load_spec.sql (which CSV files and columns are read), checks.sql
 * and checks_regions.sql (problems in the rows as read), load.sql (rows into tables,
 * geocoding, geometries), collections.sql (the API's catalog), finish.sql (extents),
 * checks_after.sql (problems in the loaded tables) and warnings.sql (what is reported but does
 * not fail the load). This file only reads CSV (with libcsv), runs those files and collects
 * their reports. The checks of the rows as read run on a second thread, beside the load
 * (see "the checker" below).
 *
 * The new database is written to "<db>.loading-<pid>" and renamed over <db> only after every
 * check passed and the file was synced; on any failure it is removed and <db> is untouched.
 */
#include "internal.h"

#include "query/query.h"

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
/* spatialite.h needs sqlite3.h first */
#include <spatialite.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const unsigned char pm_sql_schema[], pm_sql_load_spec[], pm_sql_checks[],
    pm_sql_checks_regions[], pm_sql_load[], pm_sql_collections[], pm_sql_finish[],
    pm_sql_checks_after[], pm_sql_warnings[];
#define SQL(name) ((const char *)pm_sql_##name)

#define MAX_REPORTED 500

/* State of one load: the connection, the problems found so far and where they go. */
struct loader {
    sqlite3 *db;
    FILE *out, *report;
    size_t n_problems;
    uint64_t hash;    /* of every byte read: the data_version of the result */
    int timing;       /* PM_LOAD_TIMING is set: name the slow statements on stderr */
    atomic_int *stop; /* when nonzero, the other thread has made this work moot: give up */
};

static void problem(struct loader *ld, const char *file, long line, const char *column,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem(struct loader *ld, const char *file, long line, const char *column,
                    const char *fmt, ...)
{
    if (ld->n_problems++ >= MAX_REPORTED)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (line > 0)
        fprintf(ld->report, "%s:%ld: ", file, line);
    else
        fprintf(ld->report, "%s: ", file);
    if (column)
        fprintf(ld->report, "%s: ", column);
    vfprintf(ld->report, fmt, ap);
    fputc('\n', ld->report);
    va_end(ap);
}

/* With PM_LOAD_TIMING set, each statement that took 50 ms or more is named on stderr with its
 * time: where a load spends it. */
static void report_time(struct loader *ld, const char *name, sqlite3_stmt *st, double t0)
{
    if (!ld->timing)
        return;
    double ms = (pm_monotonic_s() - t0) * 1e3;
    if (ms < 50)
        return;
    /* The statement's first line of code, past its comments. */
    const char *text = sqlite3_sql(st);
    for (;;) {
        text += strspn(text, " \t\r\n");
        if (strncmp(text, "--", 2))
            break;
        text += strcspn(text, "\n");
    }
    fprintf(stderr, "timing: %s: %.0f ms: %.*s\n", name, ms, (int)strcspn(text, "\n"), text);
}

/* Run every statement of an SQL text. A statement that returns 4 columns is a check: each
 * row it returns is a problem (file, line, column, message), reported with `prefix`. Returns
 * -1 on an SQL error (reported), else 0. */
static int run_sql(struct loader *ld, const char *name, const char *sql, const char *prefix)
{
    const char *tail = sql;
    while (*tail) {
        if (ld->stop && atomic_load(ld->stop))
            return -1;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(ld->db, tail, -1, &st, &tail) != SQLITE_OK) {
            problem(ld, name, 0, NULL, "SQL error: %s", sqlite3_errmsg(ld->db));
            return -1;
        }
        if (!st)
            continue; /* whitespace or a comment */
        int is_check = sqlite3_column_count(st) == 4 && sqlite3_stmt_readonly(st);
        double t0 = pm_monotonic_s();
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (!is_check)
                continue;
            const char *file = (const char *)sqlite3_column_text(st, 0);
            long line = (long)sqlite3_column_int64(st, 1);
            const char *col = (const char *)sqlite3_column_text(st, 2);
            const char *msg = (const char *)sqlite3_column_text(st, 3);
            if (prefix) {
                fprintf(ld->out, "%s: %s:%ld: %s: %s\n", prefix, file ? file : "?", line,
                        col ? col : "?", msg ? msg : "?");
            } else {
                problem(ld, file ? file : "?", line, col, "%s", msg ? msg : "(no message)");
            }
        }
        if (rc != SQLITE_DONE) {
            problem(ld, name, 0, NULL, "SQL error: %s", sqlite3_errmsg(ld->db));
            sqlite3_finalize(st);
            return -1;
        }
        report_time(ld, name, st, t0);
        sqlite3_finalize(st);
    }
    return 0;
}

/* --- packing an R*Tree -------------------------------------------------------------------
 *
 * SQLite's rtree module inserts one entry at a time (choose a leaf, split, reinsert): about
 * 12 us an entry, 12 s for a million. The database is written once and only read after, so
 * the loader packs each tree instead, bottom up, from entries sorted into a good order
 * (their pm_morton3 key): full leaves of consecutive entries, full parents of consecutive
 * nodes, up to one root. The result is written straight into the tree's three tables, in the
 * format of SQLite's ext/rtree/rtree.c ("Database Format of R-Tree Tables"):
 *   <name>_node(nodeno, data): node 1 is the root; data is a 4-byte header (the tree's depth
 *     in the root, 0 elsewhere, then the number of cells, each 16 bits big-endian) and the
 *     cells, each a 64-bit big-endian rowid (a leaf) or child node number, and 2 x dims
 *     coordinates as 32-bit big-endian floats (min, max per dimension), padded with zeros to
 *     the node size: the page size less 64, at most 51 cells (RTREE_MAXCELLS);
 *   <name>_parent(nodeno, parentnode) for every node but the root;
 *   <name>_rowid(rowid, nodeno): the leaf of every entry.
 * A min is rounded down to a float and a max up, so a stored box always holds the true one.
 * sql/checks_after.sql runs SQLite's own rtreecheck() on every packed tree. */
#define RTREE_MAXCELLS 51

struct pack_node {
    sqlite3_int64 no, first; /* node number; its first child (entry or node below) */
    sqlite3_int64 key;       /* an entry's place in the packing order */
    int count;
    float box[6];
};

static float round_down(double v)
{
    float f = (float)v;
    return (double)f > v ? nextafterf(f, -INFINITY) : f;
}

static float round_up(double v)
{
    float f = (float)v;
    return (double)f < v ? nextafterf(f, INFINITY) : f;
}

static void put_be(unsigned char *p, unsigned long long v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static void put_float(unsigned char *p, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    put_be(p, bits, 4);
}

/* One level above `below` (n_below nodes or entries with boxes): groups of RTREE_MAXCELLS. */
static struct pack_node *pack_level(const struct pack_node *below, size_t n_below, int dims,
                                    size_t *n_out)
{
    size_t n = (n_below + RTREE_MAXCELLS - 1) / RTREE_MAXCELLS;
    struct pack_node *up = pm_calloc(n ? n : 1, sizeof *up);
    for (size_t i = 0; i < n; i++) {
        struct pack_node *u = &up[i];
        u->first = (sqlite3_int64)(i * RTREE_MAXCELLS);
        u->count =
            (int)(n_below - i * RTREE_MAXCELLS < RTREE_MAXCELLS ? n_below - i * RTREE_MAXCELLS
                                                                : RTREE_MAXCELLS);
        for (int k = 0; k < 2 * dims; k++)
            u->box[k] = below[u->first].box[k];
        for (int c = 1; c < u->count; c++)
            for (int k = 0; k < dims; k++) {
                const float *b = below[u->first + c].box;
                u->box[2 * k] = fminf(u->box[2 * k], b[2 * k]);
                u->box[2 * k + 1] = fmaxf(u->box[2 * k + 1], b[2 * k + 1]);
            }
    }
    *n_out = n;
    return up;
}

static int exec_bind(sqlite3_stmt *st, sqlite3_int64 a, sqlite3_int64 b)
{
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* pm_rtree_pack(name, dims, sql): fill the empty R*Tree `name` of `dims` dimensions (2 or 3)
 * with the rows of `sql` — (key, rowid, min1, max1, min2, max2[, min3, max3]), packed in the
 * order of key, then rowid (sorted here: SQL's sorter takes ten times as long on a million
 * rows). Returns the number of entries; an error fails the statement. */
static int entry_cmp(const void *a, const void *b)
{
    const struct pack_node *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->no > y->no) - (x->no < y->no);
}

struct rowid_leaf {
    sqlite3_int64 rowid, leaf;
};

static int rowid_leaf_cmp(const void *a, const void *b)
{
    sqlite3_int64 x = ((const struct rowid_leaf *)a)->rowid,
                  y = ((const struct rowid_leaf *)b)->rowid;
    return (x > y) - (x < y);
}

/* A double and a 32-bit integer of a SpatiaLite BLOB, in its byte order. */
static double blob_double(const unsigned char *p, int little)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = p[little ? i : 7 - i];
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | b[i];
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static uint32_t blob_u32(const unsigned char *p, int little)
{
    return little
               ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
               : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* pm_segment_rising(geom): 1 if the LINESTRING of two points `geom` (a SpatiaLite geometry
 * BLOB) rises from its west end to its east end (or is vertical), else 0; an error for
 * anything else. With this bit beside its box in the spatial index, a segment is known
 * without reading its row (store/spatialite/items.c). The BLOB of an XY line: 0x00, the
 * byte order (1: little-endian), SRID (4 bytes), MBR (4 doubles), 0x7C, class 2 (4 bytes),
 * the number of points (4 bytes), the points (x, y doubles), 0xFE: 80 bytes for two. */
static void segment_rising_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *g = sqlite3_value_blob(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    int little = n == 80 && g[0] == 0x00 && g[1] == 0x01;
    if (n != 80 || g[0] != 0x00 || g[1] > 1 || g[38] != 0x7C || g[79] != 0xFE ||
        blob_u32(g + 39, little) != 2 || blob_u32(g + 43, little) != 2) {
        sqlite3_result_error(ctx, "pm_segment_rising: not a LINESTRING of two points", -1);
        return;
    }
    double ax = blob_double(g + 47, little), ay = blob_double(g + 55, little);
    double bx = blob_double(g + 63, little), by = blob_double(g + 71, little);
    sqlite3_result_int(ctx, (ax <= bx) == (ay <= by));
}

static void rtree_pack_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    int dims = sqlite3_value_int(argv[1]);
    const char *src = (const char *)sqlite3_value_text(argv[2]);
    if (!name || !src || dims < 2 || dims > 3) {
        sqlite3_result_error(ctx, "pm_rtree_pack: (name, 2 or 3, sql)", -1);
        return;
    }
    struct pack_node *level = NULL, *all_levels[16] = {0};
    size_t n = 0, cap = 0, n_levels = 0, level_n[16] = {0};
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    int ok = sqlite3_prepare_v2(db, src, -1, &st, NULL) == SQLITE_OK;
    int rc;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            level = pm_realloc(level, cap * sizeof *level);
        }
        struct pack_node *e = &level[n++];
        memset(e, 0, sizeof *e);
        e->key = sqlite3_column_int64(st, 0);
        e->no = sqlite3_column_int64(st, 1);
        for (int k = 0; k < dims; k++) {
            e->box[2 * k] = round_down(sqlite3_column_double(st, 2 + 2 * k));
            e->box[2 * k + 1] = round_up(sqlite3_column_double(st, 3 + 2 * k));
        }
    }
    ok = ok && rc == SQLITE_DONE;
    sqlite3_finalize(st);
    st = NULL;
    if (!ok || n == 0) {
        free(level);
        if (ok)
            sqlite3_result_int64(ctx, 0); /* an empty tree: as created */
        else
            sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
        return;
    }
    qsort(level, n, sizeof *level, entry_cmp);
    /* Levels, leaves first: all_levels[0] are the entries themselves. */
    all_levels[0] = level;
    level_n[0] = n;
    n_levels = 1;
    do {
        all_levels[n_levels] =
            pack_level(all_levels[n_levels - 1], level_n[n_levels - 1], dims, &level_n[n_levels]);
        n_levels++;
    } while (level_n[n_levels - 1] > 1 && n_levels < 16);
    /* Node numbers: the root 1, the rest from 2, level by level from the top. */
    sqlite3_int64 next_no = 1;
    for (size_t l = n_levels - 1; l >= 1; l--)
        for (size_t i = 0; i < level_n[l]; i++)
            all_levels[l][i].no = next_no++;

    int page_size = 4096;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        page_size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    int cell = 8 + 8 * dims;
    int node_size =
        page_size - 64 < 4 + cell * RTREE_MAXCELLS ? page_size - 64 : 4 + cell * RTREE_MAXCELLS;
    unsigned char *blob = pm_calloc(1, (size_t)node_size);
    struct rowid_leaf *leaf_of = pm_calloc(n, sizeof *leaf_of);
    sqlite3_stmt *put_node = NULL, *put_parent = NULL, *put_rowid = NULL;
    sql = sqlite3_mprintf("DELETE FROM \"%w_node\"; DELETE FROM \"%w_parent\"; "
                          "DELETE FROM \"%w_rowid\";",
                          name, name, name);
    ok = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_free(sql);
    sql = sqlite3_mprintf("INSERT INTO \"%w_node\" (nodeno, data) VALUES (?, ?)", name);
    ok = ok && sqlite3_prepare_v2(db, sql, -1, &put_node, NULL) == SQLITE_OK;
    sqlite3_free(sql);
    sql = sqlite3_mprintf("INSERT INTO \"%w_parent\" (nodeno, parentnode) VALUES (?, ?)", name);
    ok = ok && sqlite3_prepare_v2(db, sql, -1, &put_parent, NULL) == SQLITE_OK;
    sqlite3_free(sql);
    sql = sqlite3_mprintf("INSERT INTO \"%w_rowid\" (rowid, nodeno) VALUES (?, ?)", name);
    ok = ok && sqlite3_prepare_v2(db, sql, -1, &put_rowid, NULL) == SQLITE_OK;
    sqlite3_free(sql);
    for (size_t l = 1; ok && l < n_levels; l++) {
        for (size_t i = 0; ok && i < level_n[l]; i++) {
            const struct pack_node *node = &all_levels[l][i];
            memset(blob, 0, (size_t)node_size);
            if (node->no == 1)
                put_be(blob, (unsigned long long)(n_levels - 2), 2); /* the depth */
            put_be(blob + 2, (unsigned long long)node->count, 2);
            for (int c = 0; c < node->count; c++) {
                const struct pack_node *child = &all_levels[l - 1][node->first + c];
                unsigned char *p = blob + 4 + c * cell;
                put_be(p, (unsigned long long)child->no, 8);
                for (int k = 0; k < 2 * dims; k++)
                    put_float(p + 8 + 4 * k, child->box[k]);
                if (l == 1) /* the leaf of each entry, written below in rowid order */
                    leaf_of[node->first + c] = (struct rowid_leaf){child->no, node->no};
                else
                    ok = ok && exec_bind(put_parent, child->no, node->no) == 0;
            }
            sqlite3_bind_int64(put_node, 1, node->no);
            sqlite3_bind_blob(put_node, 2, blob, node_size, SQLITE_STATIC);
            ok = ok && sqlite3_step(put_node) == SQLITE_DONE;
            sqlite3_reset(put_node);
        }
    }
    /* <name>_rowid is a rowid table: filled in rowid order, each row is an append (in the
     * entries' Z-order, each was a seek; 0.7 s more at a million). */
    qsort(leaf_of, n, sizeof *leaf_of, rowid_leaf_cmp);
    for (size_t i = 0; ok && i < n; i++)
        ok = exec_bind(put_rowid, leaf_of[i].rowid, leaf_of[i].leaf) == 0;
    if (ok)
        sqlite3_result_int64(ctx, (sqlite3_int64)n);
    else
        sqlite3_result_error(ctx, sqlite3_errmsg(db), -1);
    free(leaf_of);
    sqlite3_finalize(put_node);
    sqlite3_finalize(put_parent);
    sqlite3_finalize(put_rowid);
    free(blob);
    for (size_t l = 0; l < n_levels; l++)
        free(all_levels[l]);
}

/* pm_count_keys(sql), then pm_key_count(key): how often each text key occurs in the one column
 * of sql's rows, counted in a hash table and then read back key by key. The cities' partner
 * counts (sql/load.sql): a GROUP BY of the two million ids sorted them, 2.4 s at a million
 * partnerships, against about 1 s so (PM_LOAD_TIMING). */
struct key_counts {
    char **keys;
    uint32_t *counts;
    size_t cap, n; /* cap: a power of two, or 0 */
};

static size_t key_slot(const struct key_counts *kc, const char *key, size_t len)
{
    size_t i = (size_t)pm_fnv1a(PM_FNV_INIT, key, len) & (kc->cap - 1);
    while (kc->keys[i] && strcmp(kc->keys[i], key))
        i = (i + 1) & (kc->cap - 1);
    return i;
}

static void key_counts_clear(struct key_counts *kc)
{
    for (size_t i = 0; i < kc->cap; i++)
        free(kc->keys[i]);
    free(kc->keys);
    free(kc->counts);
    memset(kc, 0, sizeof *kc);
}

static void key_counts_free(void *p)
{
    key_counts_clear(p);
    free(p);
}

static void key_counts_add(struct key_counts *kc, const char *key)
{
    if (2 * (kc->n + 1) > kc->cap) { /* at most half full */
        struct key_counts grown = {.cap = kc->cap ? 2 * kc->cap : 1024};
        grown.keys = pm_calloc(grown.cap, sizeof *grown.keys);
        grown.counts = pm_calloc(grown.cap, sizeof *grown.counts);
        for (size_t i = 0; i < kc->cap; i++) {
            if (!kc->keys[i])
                continue;
            size_t j = key_slot(&grown, kc->keys[i], strlen(kc->keys[i]));
            grown.keys[j] = kc->keys[i];
            grown.counts[j] = kc->counts[i];
        }
        grown.n = kc->n;
        free(kc->keys);
        free(kc->counts);
        *kc = grown;
    }
    size_t i = key_slot(kc, key, strlen(key));
    if (!kc->keys[i]) {
        kc->keys[i] = pm_strdup(key);
        kc->n++;
    }
    kc->counts[i]++;
}

static void count_keys_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct key_counts *kc = sqlite3_user_data(ctx);
    const char *src = (const char *)sqlite3_value_text(argv[0]);
    sqlite3_stmt *st = NULL;
    key_counts_clear(kc);
    if (!src ||
        sqlite3_prepare_v2(sqlite3_context_db_handle(ctx), src, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_result_error(ctx, "pm_count_keys: not a query", -1);
        return;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        if (key)
            key_counts_add(kc, key);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        sqlite3_result_error(ctx, sqlite3_errmsg(sqlite3_context_db_handle(ctx)), -1);
    else
        sqlite3_result_int64(ctx, (sqlite3_int64)kc->n);
}

static void key_count_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct key_counts *kc = sqlite3_user_data(ctx);
    const char *key = (const char *)sqlite3_value_text(argv[0]);
    size_t i = key && kc->cap ? key_slot(kc, key, strlen(key)) : 0;
    sqlite3_result_int64(ctx, key && kc->cap && kc->keys[i] ? kc->counts[i] : 0);
}

/* The tables of heads, from the collections' views (heads.c), once their rows are in:
 * -1 when that failed (reported). */
static int build_heads(struct loader *ld)
{
    double t0 = pm_monotonic_s();
    char *why = pm_sl_build_heads(ld->db);
    if (why)
        problem(ld, "load", 0, NULL, "%s", why);
    else if (ld->timing)
        fprintf(stderr, "timing: the features' heads: %.0f ms\n", (pm_monotonic_s() - t0) * 1e3);
    free(why);
    return why ? -1 : 0;
}

/* --- CSV reading ---------------------------------------------------------------------- */

/* One CSV file being read: the header, the current record, and where it goes. */
struct csv_file {
    struct loader *ld;
    const char *name;
    long line;      /* the physical line being fed */
    long rec_line;  /* the line the current record started on */
    int need_start; /* the next non-newline byte starts a record */
    int header_done;
    size_t n_cols; /* fields in the header */
    int *map;      /* header field i → bind index in the INSERT, or -1 */
    char **fields; /* the current record's fields */
    size_t n_fields, cap_fields;
    size_t n_spec;
    char **spec_cols;
    int *spec_required;
    sqlite3_stmt *insert;
    long n_rows;
    int failed; /* an SQL error stops the file */
};

static void on_field(void *data, size_t len, void *ctx)
{
    struct csv_file *f = ctx;
    if (f->n_fields == f->cap_fields) {
        f->cap_fields = f->cap_fields ? f->cap_fields * 2 : 16;
        f->fields = pm_realloc(f->fields, f->cap_fields * sizeof *f->fields);
    }
    f->fields[f->n_fields++] = pm_strndup(data ? data : "", len);
}

static void header_record(struct csv_file *f)
{
    struct loader *ld = f->ld;
    f->n_cols = f->n_fields;
    f->map = pm_calloc(f->n_cols, sizeof *f->map);
    int *seen = pm_calloc(f->n_spec, sizeof *seen);
    for (size_t i = 0; i < f->n_cols; i++) {
        const char *h = f->fields[i];
        /* A UTF-8 byte order mark before the first name is not part of it. */
        if (i == 0 && !strncmp(h, "\xEF\xBB\xBF", 3))
            h += 3;
        f->map[i] = -1;
        for (size_t k = 0; k < f->n_spec; k++)
            if (!strcmp(h, f->spec_cols[k])) {
                if (seen[k])
                    problem(ld, f->name, f->rec_line, h, "column given twice in the header");
                seen[k] = 1;
                f->map[i] = (int)k;
            }
        if (f->map[i] < 0) {
            struct pm_strbuf known;
            pm_strbuf_init(&known);
            for (size_t k = 0; k < f->n_spec; k++)
                pm_strbuf_appendf(&known, "%s%s", k ? ", " : "", f->spec_cols[k]);
            problem(ld, f->name, f->rec_line, h, "unknown column; expected some of: %s",
                    known.data);
            pm_strbuf_fini(&known);
        }
    }
    for (size_t k = 0; k < f->n_spec; k++)
        if (f->spec_required[k] && !seen[k])
            problem(ld, f->name, f->rec_line, f->spec_cols[k], "required column is missing");
    free(seen);
}

static void data_record(struct csv_file *f)
{
    struct loader *ld = f->ld;
    if (f->n_fields != f->n_cols) {
        problem(ld, f->name, f->rec_line, NULL,
                "expected %zu fields as in the header, got %zu (a quote or comma missing?)",
                f->n_cols, f->n_fields);
        return;
    }
    if (f->failed)
        return;
    sqlite3_reset(f->insert);
    sqlite3_clear_bindings(f->insert);
    sqlite3_bind_int64(f->insert, 1, f->rec_line);
    for (size_t i = 0; i < f->n_fields; i++) {
        const char *v = f->fields[i];
        size_t len = strlen(v);
        if (f->map[i] < 0)
            continue;
        if (!pm_utf8_valid(v, len)) {
            problem(ld, f->name, f->rec_line, f->spec_cols[f->map[i]], "not valid UTF-8");
            continue;
        }
        if (len)
            sqlite3_bind_text(f->insert, f->map[i] + 2, v, (int)len, SQLITE_TRANSIENT);
    }
    if (sqlite3_step(f->insert) != SQLITE_DONE) {
        problem(ld, f->name, f->rec_line, NULL, "cannot store the row: %s", sqlite3_errmsg(ld->db));
        f->failed = 1;
    }
    f->n_rows++;
}

static void on_record(int c, void *ctx)
{
    (void)c;
    struct csv_file *f = ctx;
    if (!f->header_done) {
        header_record(f);
        f->header_done = 1;
    } else {
        data_record(f);
    }
    for (size_t i = 0; i < f->n_fields; i++)
        free(f->fields[i]);
    f->n_fields = 0;
    f->need_start = 1;
}

/* Read one CSV file into TEMP table csv_<tbl> with the spec's columns. */
static int read_csv(struct loader *ld, const char *dir, const char *file, const char *tbl,
                    char **cols, int *required, size_t n_spec)
{
    struct csv_file f = {.ld = ld, .name = file, .line = 1, .need_start = 1};
    struct csv_parser parser;
    struct pm_strbuf sql;
    int rc = -1;
    char *path = pm_asprintf("%s/%s", dir, file);
    FILE *in = fopen(path, "rb");
    size_t before = ld->n_problems;

    f.spec_cols = cols;
    f.spec_required = required;
    f.n_spec = n_spec;
    pm_strbuf_init(&sql);
    if (!in) {
        problem(ld, path, 0, NULL, "cannot read: %s", strerror(errno));
        free(path);
        return -1;
    }
    pm_strbuf_appendf(&sql, "CREATE TEMP TABLE csv_%s (line INTEGER", tbl);
    for (size_t k = 0; k < n_spec; k++)
        pm_strbuf_appendf(&sql, ", \"%s\" TEXT", cols[k]);
    pm_strbuf_append_str(&sql, ")");
    if (sqlite3_exec(ld->db, sql.data, NULL, NULL, NULL) != SQLITE_OK) {
        problem(ld, file, 0, NULL, "SQL error: %s", sqlite3_errmsg(ld->db));
        goto done;
    }
    pm_strbuf_reset(&sql);
    pm_strbuf_appendf(&sql, "INSERT INTO csv_%s VALUES (?", tbl);
    for (size_t k = 0; k < n_spec; k++)
        pm_strbuf_append_str(&sql, ", ?");
    pm_strbuf_append_str(&sql, ")");
    if (sqlite3_prepare_v2(ld->db, sql.data, -1, &f.insert, NULL) != SQLITE_OK) {
        problem(ld, file, 0, NULL, "SQL error: %s", sqlite3_errmsg(ld->db));
        goto done;
    }

    /* Read by blocks, fed to the parser a line at a time, so that every record knows the
     * line it starts on, even when quoted fields span lines: a record ends only at a line
     * end, and a line that holds more than line ends starts one if none is under way. */
    csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    enum { BLOCK = 1 << 16 };
    char *block = pm_malloc(BLOCK);
    size_t got;
    int bad = 0;
    while (!bad && (got = fread(block, 1, BLOCK, in)) > 0) {
        if (ld->stop && atomic_load(ld->stop)) {
            bad = 1; /* moot: see struct loader */
            break;
        }
        ld->hash = pm_fnv1a(ld->hash, block, got);
        for (size_t at = 0; at < got;) {
            const char *nl = memchr(block + at, '\n', got - at);
            size_t len = nl ? (size_t)(nl - (block + at)) + 1 : got - at;
            size_t blank = 0;
            while (blank < len && (block[at + blank] == '\r' || block[at + blank] == '\n'))
                blank++;
            if (f.need_start && blank < len) {
                f.rec_line = f.line;
                f.need_start = 0;
            }
            if (csv_parse(&parser, block + at, len, on_field, on_record, &f) != len) {
                problem(ld, file, f.line, NULL, "malformed CSV: %s (a stray quote?)",
                        csv_strerror(csv_error(&parser)));
                bad = 1;
                break;
            }
            at += len;
            if (nl)
                f.line++;
        }
    }
    free(block);
    if (bad) {
        csv_free(&parser);
        goto done;
    }
    if (ferror(in)) {
        problem(ld, file, f.line, NULL, "read error: %s", strerror(errno));
    } else if (csv_fini(&parser, on_field, on_record, &f) != 0) {
        problem(ld, file, f.rec_line, NULL, "malformed CSV: %s (a quoted field never ends)",
                csv_strerror(csv_error(&parser)));
    } else if (!f.header_done) {
        problem(ld, file, 1, NULL, "empty file: expected a header row");
    }
    csv_free(&parser);
    if (ld->n_problems == before)
        rc = 0;
    fprintf(ld->out, "read %s: %ld rows\n", file, f.n_rows);
done:
    sqlite3_finalize(f.insert);
    for (size_t i = 0; i < f.n_fields; i++)
        free(f.fields[i]);
    free(f.fields);
    free(f.map);
    pm_strbuf_fini(&sql);
    fclose(in);
    free(path);
    return rc;
}

/* Read every file named in load_columns, in order. */
static int read_all_csv(struct loader *ld, const char *dir)
{
    sqlite3_stmt *files, *cols;
    int rc = 0;
    if (sqlite3_prepare_v2(ld->db,
                           "SELECT file, tbl FROM load_columns GROUP BY file ORDER BY min(ord)", -1,
                           &files, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ld->db,
                           "SELECT col, required FROM load_columns WHERE file = ? ORDER BY rowid",
                           -1, &cols, NULL) != SQLITE_OK) {
        problem(ld, "sql/load_spec.sql", 0, NULL, "SQL error: %s", sqlite3_errmsg(ld->db));
        return -1;
    }
    while (sqlite3_step(files) == SQLITE_ROW) {
        char *file = pm_strdup((const char *)sqlite3_column_text(files, 0));
        char *tbl = pm_strdup((const char *)sqlite3_column_text(files, 1));
        char **names = NULL;
        int *required = NULL;
        size_t n = 0;
        sqlite3_bind_text(cols, 1, file, -1, SQLITE_STATIC);
        while (sqlite3_step(cols) == SQLITE_ROW) {
            names = pm_realloc(names, (n + 1) * sizeof *names);
            required = pm_realloc(required, (n + 1) * sizeof *required);
            names[n] = pm_strdup((const char *)sqlite3_column_text(cols, 0));
            required[n] = sqlite3_column_int(cols, 1);
            n++;
        }
        sqlite3_reset(cols);
        if (read_csv(ld, dir, file, tbl, names, required, n))
            rc = -1;
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        free(required);
        free(file);
        free(tbl);
    }
    sqlite3_finalize(files);
    sqlite3_finalize(cols);
    return rc;
}

/* --- the checker ------------------------------------------------------------------------
 *
 * sql/checks.sql and sql/checks_regions.sql read only the CSV rows, so they need not wait for
 * the database to be built: a second thread reads the same files into an in-memory connection
 * of its own and runs them while the load goes on (at a million rows they take a third of
 * the load). What it finds is held in memory. The load waits for it before it commits, and
 * if the checker found problems those are what the load reports: whatever the load itself
 * then ran into (a duplicate key, say) is their consequence. The checker also hashes what it
 * read; a file that changed between the two readings fails the load. */
struct checker {
    struct loader ld;
    const char *dir;
    char *report_text, *out_text;
    size_t report_len, out_len;
    atomic_int stop;      /* set by the load: its own reading failed, the checks are moot */
    atomic_int found;     /* set by the checker when it is done and found problems */
    pthread_mutex_t lock; /* over ld.db, which the other thread may interrupt */
    pthread_t thread;
    int started;
};

static void *checker_main(void *arg)
{
    struct checker *c = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(":memory:", &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        problem(&c->ld, "checker", 0, NULL, "cannot open an in-memory database: %s",
                sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    pm_sl_register_functions(db);
    sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
    pthread_mutex_lock(&c->lock);
    c->ld.db = db;
    if (atomic_load(&c->stop))
        sqlite3_interrupt(db);
    pthread_mutex_unlock(&c->lock);
    double t0 = pm_monotonic_s();
    if (!run_sql(&c->ld, "sql/load_spec.sql", SQL(load_spec), NULL) &&
        !read_all_csv(&c->ld, c->dir) && !c->ld.n_problems) {
        if (c->ld.timing)
            fprintf(stderr, "timing: checker: reading the CSV files: %.0f ms\n",
                    (pm_monotonic_s() - t0) * 1e3);
        if (!run_sql(&c->ld, "sql/checks.sql", SQL(checks), NULL) && !c->ld.n_problems)
            run_sql(&c->ld, "sql/checks_regions.sql", SQL(checks_regions), NULL);
    }
    if (c->ld.n_problems)
        atomic_store(&c->found, 1);
    pthread_mutex_lock(&c->lock);
    c->ld.db = NULL;
    pthread_mutex_unlock(&c->lock);
    sqlite3_close(db);
    return NULL;
}

/* Start the checker on the CSV files of dir. */
static void checker_start(struct checker *c, const char *dir, int timing)
{
    *c = (struct checker){.ld = {.hash = PM_FNV_INIT, .timing = timing}, .dir = dir};
    atomic_init(&c->stop, 0);
    atomic_init(&c->found, 0);
    c->ld.stop = &c->stop;
    c->ld.report = open_memstream(&c->report_text, &c->report_len);
    c->ld.out = open_memstream(&c->out_text, &c->out_len);
    pthread_mutex_init(&c->lock, NULL);
    if (!c->ld.report || !c->ld.out) {
        fprintf(stderr, "partnermap: out of memory opening a memory stream\n");
        abort();
    }
    c->started = pthread_create(&c->thread, NULL, checker_main, c) == 0;
    if (!c->started) /* no thread: check here, before the load */
        checker_main(c);
}

/* Wait for the checker; with `stop`, first tell it to give up. Its report stays in
 * report_text (checker_fini frees it). */
static void checker_join(struct checker *c, int stop)
{
    if (stop) {
        pthread_mutex_lock(&c->lock);
        atomic_store(&c->stop, 1);
        if (c->ld.db)
            sqlite3_interrupt(c->ld.db);
        pthread_mutex_unlock(&c->lock);
    }
    if (c->started)
        pthread_join(c->thread, NULL);
    c->started = 0;
    fclose(c->ld.report);
    fclose(c->ld.out);
}

static void checker_fini(struct checker *c)
{
    pthread_mutex_destroy(&c->lock);
    free(c->report_text);
    free(c->out_text);
}

/* --- the load as a whole --------------------------------------------------------------- */

static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static void print_counts(struct loader *ld)
{
    static const char *const tables[] = {"countries",   "regions",          "gazetteer",
                                         "cities",      "partnerships",     "initiatives",
                                         "memberships", "pilot_activities", "events"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char *sql = pm_asprintf("SELECT count(*) FROM %s", tables[i]);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(ld->db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            fprintf(ld->out, "loaded %s: %lld rows\n", tables[i], sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
        free(sql);
    }
}

void pm_sl_sql_digest(char out[17])
{
    uint64_t h = pm_fnv1a(PM_FNV_INIT, SQL(schema), strlen(SQL(schema)));
    h = pm_fnv1a(h, SQL(collections), strlen(SQL(collections)));
    h = pm_fnv1a(h, SQL(load), strlen(SQL(load)));
    h = pm_fnv1a(h, SQL(finish), strlen(SQL(finish)));
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int write_meta(struct loader *ld)
{
    char version[17], digest[17], stamp[32];
    pm_sl_sql_digest(digest);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* The data version: every byte read, and the SQL that shaped the database. */
    ld->hash = pm_fnv1a(ld->hash, digest, strlen(digest));
    snprintf(version, sizeof version, "%016llx", (unsigned long long)ld->hash);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ld->db,
                           "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), "
                           "('data_version', ?2), ('loaded_at', ?3), ('sql_digest', ?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, PM_SCHEMA_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, digest, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* Remove the <db>.loading-PID files of loads that were killed (their process is gone), so
 * that each interrupted load does not leave its half-written file behind for good. */
static void remove_stale(const char *db_path)
{
    char *dir_copy = pm_strdup(db_path), *base_copy = pm_strdup(db_path);
    const char *dir = dirname(dir_copy), *base = basename(base_copy);
    char *prefix = pm_asprintf("%s.loading-", base);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        long pid;
        if (strncmp(e->d_name, prefix, strlen(prefix)) ||
            pm_parse_long(e->d_name + strlen(prefix), 1, 4194304, &pid))
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* a load that is still running (or not ours to judge) */
        char *path = pm_asprintf("%s/%s", dir, e->d_name);
        unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
    free(prefix);
    free(dir_copy);
    free(base_copy);
}

int pm_spatialite_load(const char *db_path, const char *data_dir, FILE *out, FILE *report)
{
    struct loader ld = {
        .out = out, .report = report, .hash = PM_FNV_INIT, .timing = !!getenv("PM_LOAD_TIMING")};
    char *tmp = pm_asprintf("%s.loading-%ld", db_path, (long)getpid());
    void *cache = NULL;
    int ok = 0;
    struct stat sb;
    struct checker chk = {0};
    char *held = NULL;
    size_t held_len = 0;

    if (stat(data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(report, "%s: not a directory of CSV files\n", data_dir);
        free(tmp);
        return -1;
    }
    remove_stale(db_path);
    unlink(tmp);
    if (sqlite3_open_v2(tmp, &ld.db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        fprintf(report, "%s: cannot create: %s\n", tmp, sqlite3_errmsg(ld.db));
        goto cleanup;
    }
    cache = spatialite_alloc_connection();
    spatialite_init_ex(ld.db, cache, 0);
    pm_sl_register_functions(ld.db);
    pm_sl_register_head_function(ld.db);
    sqlite3_create_function(ld.db, "pm_rtree_pack", 3, SQLITE_UTF8, NULL, rtree_pack_fn, NULL,
                            NULL);
    sqlite3_create_function(ld.db, "pm_segment_rising", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            segment_rising_fn, NULL, NULL);
    struct key_counts *counts = pm_calloc(1, sizeof *counts);
    sqlite3_create_function(ld.db, "pm_count_keys", 1, SQLITE_UTF8, counts, count_keys_fn, NULL,
                            NULL);
    sqlite3_create_function_v2(ld.db, "pm_key_count", 1, SQLITE_UTF8, counts, key_count_fn, NULL,
                               NULL, key_counts_free);
    /* The file is private until renamed, so no journal is needed: a crash leaves only a
     * stray .loading file, never a damaged database at db_path. */
    sqlite3_exec(ld.db,
                 "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = "
                 "-1048576; PRAGMA temp_store = MEMORY",
                 NULL, NULL, NULL);
    /* InitSpatialMetadata returns 0 when it fails (a full disk, say), not an SQL error. */
    sqlite3_stmt *init = NULL;
    int init_ok =
        sqlite3_prepare_v2(ld.db, "SELECT InitSpatialMetadata(1)", -1, &init, NULL) == SQLITE_OK &&
        sqlite3_step(init) == SQLITE_ROW && sqlite3_column_int(init, 0) == 1;
    sqlite3_finalize(init);
    if (!init_ok || sqlite3_exec(ld.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(report, "%s: cannot initialise SpatiaLite (is the disk full?): %s\n", tmp,
                sqlite3_errmsg(ld.db));
        goto cleanup;
    }
    if (run_sql(&ld, "sql/schema.sql", SQL(schema), NULL) ||
        run_sql(&ld, "sql/load_spec.sql", SQL(load_spec), NULL))
        goto failed;
    checker_start(&chk, data_dir, ld.timing);
    double t_csv = pm_monotonic_s();
    if (read_all_csv(&ld, data_dir) || ld.n_problems) {
        checker_join(&chk, 1);
        goto failed;
    }
    if (ld.timing)
        fprintf(stderr, "timing: reading the CSV files: %.0f ms\n",
                (pm_monotonic_s() - t_csv) * 1e3);
    /* The load's own problems are held until the checker is done (see above). */
    FILE *report_held = open_memstream(&held, &held_len);
    if (!report_held) {
        fprintf(stderr, "partnermap: out of memory opening a memory stream\n");
        abort();
    }
    ld.report = report_held;
    ld.stop = &chk.found; /* once the checker found problems, building on is moot */
    if (!run_sql(&ld, "sql/load.sql", SQL(load), NULL) &&
        !run_sql(&ld, "sql/collections.sql", SQL(collections), NULL) &&
        !run_sql(&ld, "sql/finish.sql", SQL(finish), NULL) && !build_heads(&ld))
        run_sql(&ld, "sql/checks_after.sql", SQL(checks_after), NULL);
    checker_join(&chk, 0);
    fclose(report_held);
    ld.report = report;
    if (chk.ld.n_problems) {
        fputs(chk.report_text, report);
        ld.n_problems = chk.ld.n_problems;
        goto failed;
    }
    fputs(held, report);
    if (chk.ld.hash != ld.hash)
        problem(&ld, data_dir, 0, NULL,
                "the CSV files changed while they were being loaded; load again");
    if (ld.n_problems)
        goto failed;
    run_sql(&ld, "sql/warnings.sql", SQL(warnings), "warning");
    if (write_meta(&ld) || sqlite3_exec(ld.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(report, "%s: cannot commit: %s\n", tmp, sqlite3_errmsg(ld.db));
        goto cleanup;
    }
    print_counts(&ld);
    if (sqlite3_close(ld.db) != SQLITE_OK) {
        fprintf(report, "%s: cannot close: %s\n", tmp, sqlite3_errmsg(ld.db));
        goto cleanup;
    }
    ld.db = NULL;
    /* Durable before visible: sync the file, rename it into place, sync the directory. */
    char *dir_copy = pm_strdup(db_path);
    if (sync_path(tmp, O_RDONLY) != 0 || rename(tmp, db_path) != 0) {
        fprintf(report, "%s: cannot put the new database in place: %s\n", db_path, strerror(errno));
        free(dir_copy);
        goto cleanup;
    }
    sync_path(dirname(dir_copy), O_RDONLY | O_DIRECTORY);
    free(dir_copy);
    fprintf(out, "wrote %s\n", db_path);
    ok = 1;
    goto cleanup;

failed:
    if (ld.n_problems > MAX_REPORTED)
        fprintf(report, "... and %zu more problems\n", ld.n_problems - MAX_REPORTED);
    fprintf(report, "load failed: %zu problem%s; %s was not changed\n", ld.n_problems,
            ld.n_problems == 1 ? "" : "s", db_path);
cleanup:
    if (chk.ld.stop)
        checker_fini(&chk);
    free(held);
    if (ld.db)
        sqlite3_close_v2(ld.db);
    if (cache)
        spatialite_cleanup_ex(cache);
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}
