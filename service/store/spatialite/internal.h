/*
 * What the files of store/spatialite share: bound values of compiled queries, the filter
 * compiler, and the SQL functions added to every connection. Not for use outside this folder.
 */
#ifndef PM_STORE_SPATIALITE_INTERNAL_H
#define PM_STORE_SPATIALITE_INTERNAL_H

#include "spatialite.h"

#include <pthread.h>
#include <sqlite3.h>

#include <spatialite.h>

#define PM_SL_STMT_CACHE 24

struct pm_sl_cached_stmt {
    char *sql;
    sqlite3_stmt *stmt;
    int pinned; /* an open cursor reads it: never evicted */
};

/* The spatial indexes read directly (rtree.c): of an R*Tree packed by `load`, the nodes above
 * the leaves, held in memory with the number of entries under each cell; shared by all
 * connections, read-only after pm_sl_rtree_open. */
struct pm_sl_rtree;
/* Read the R*Tree `name` of dims dimensions (2 or 3; lines: its ids are 2 * rowid + the
 * rising bit of a segment, as in idx_<table>_rid of lines). NULL with *why (caller frees). */
struct pm_sl_rtree *pm_sl_rtree_open(sqlite3 *db, const char *name, int dims, int lines,
                                     char **why);
void pm_sl_rtree_free(struct pm_sl_rtree *t);

/* What reads the leaves of the trees on one connection, and the table-valued function
 * pm_walk(tree, w, s, e, n, lo, most) on it: the column rid, the rowid of each entry of
 * trees[tree] (an idx_<table>_rid) meeting the box w, s, e, n (w > e: across the
 * antimeridian), from rowid lo on, in rowid order, at most `most` of them (0: all); of
 * segments, not those that clearly miss the box (pm_sl_entry_verdict). */
struct pm_sl_rtree_reader {
    sqlite3 *db;
    struct pm_sl_rtree *const *trees; /* borrowed; NULL where a tree is not read */
    size_t n;
    sqlite3_stmt **leaf; /* a leaf of each tree, prepared when first needed */
    int capped;          /* the last walk stopped at its `most` with more to give */
};
/* The walk of a tree (an idx_<table>_rid): the rowid of each entry that meets the box w, s,
 * e, n (w > e: across the antimeridian), from rowid lo on, in rowid order, at most `most` of
 * them (0: all; the reader's `capped` says whether it stopped there with more to give); for a
 * tree of segments, not those whose segment clearly misses the box (pm_sl_entry_verdict). Best
 * first, from a queue keyed by the least rowid under each cell (rtree.c). pm_walk is this walk
 * as a table-valued function. */
struct walk_item;
struct pm_sl_walk {
    struct pm_sl_rtree_reader *r;
    const struct pm_sl_rtree *t;
    size_t tree;
    double box[4];
    sqlite3_int64 lo, most, given;
    struct walk_item *heap;
    size_t n, cap;
};
/* 0, or -1 when trees[tree] is not a tree with rowids. The walk is zeroed or finished. */
int pm_sl_walk_start(struct pm_sl_walk *w, struct pm_sl_rtree_reader *r, size_t tree,
                     const double box[4], sqlite3_int64 lo, sqlite3_int64 most);
/* 1 with the next rowid (and, if box is not NULL, the entry's box: xmin, xmax, ymin, ymax,
 * rmin, rmax), 0 at the end, -1 when a leaf cannot be read. */
int pm_sl_walk_next(struct pm_sl_walk *w, sqlite3_int64 *rid, float box[6]);
/* Free what the walk holds (it may be started again). */
void pm_sl_walk_fini(struct pm_sl_walk *w);

/* Registers pm_walk on db (r must stay where it is). 0 or -1. */
int pm_sl_rtree_reader_init(struct pm_sl_rtree_reader *r, sqlite3 *db);
/* The trees the reader reads, by index (drops the statements of earlier ones). */
void pm_sl_rtree_reader_set(struct pm_sl_rtree_reader *r, struct pm_sl_rtree *const *trees,
                            size_t n);
/* Finalize the reader's statements (before the connection is closed). */
void pm_sl_rtree_reader_fini(struct pm_sl_rtree_reader *r);

/* The entries of a tree meeting a box (not across the antimeridian), counted up to a cap. */
struct pm_sl_rtree_counted {
    long long inside;    /* those that clearly meet it (PM_SL_INSIDE) */
    sqlite3_int64 *edge; /* the ids of those too close to its edge to tell: test their rows */
    size_t n_edge, cap_edge;
};
/* Count into *out (zeroed, or as a previous count left it: its edge array is reused; the
 * caller frees it) until inside or n_edge is past cap. 0, or -1 if a leaf cannot be read. */
int pm_sl_rtree_count(struct pm_sl_rtree_reader *r, size_t tree, const double box[4], long long cap,
                      struct pm_sl_rtree_counted *out);

/* One read-only connection and its prepared statements, used by one thread at a time. */
struct pm_session {
    struct pm_sl_store *store;
    sqlite3 *db;
    void *spatialite_cache;
    int in_use;
    struct pm_sl_cached_stmt cache[PM_SL_STMT_CACHE];
    size_t next_evict;
    struct pm_sl_rtree_reader rtrees;
    struct pm_sl_rtree_counted counted; /* the last count's, its edge array kept */
    /* Reads a feature's head from a table of heads by rowid (items.c: a box alone); NULL
     * until first needed. */
    sqlite3_blob *heads_blob;
    const char *heads_blob_table; /* the table it reads (a pm_collection's heads) */
    int stepping;                 /* in pm_sl_step */
    long long deadline_ns;        /* the step running past this (CLOCK_MONOTONIC; 0: not yet set) is
                                     interrupted */
};

struct pm_sl_store {
    struct pm_store base; /* first: a struct pm_store * is a struct pm_sl_store * */
    pthread_mutex_t lock;
    struct pm_session *sessions;
    unsigned n_sessions;
    unsigned step_timeout_ms; /* the longest one sqlite3_step may take */
    /* The spatial indexes, two for each collection of the catalog, by its index i:
     * trees[2 * i] its idx_<table>_geom (points only; NULL for lines), trees[2 * i + 1] its
     * idx_<table>_rid. */
    struct pm_sl_rtree **trees;
    size_t n_trees;
};

/* sqlite3_step with the session's time limit armed: a step that runs longer than
 * step_timeout_ms is interrupted (SQLITE_INTERRUPT, which pm_sl_db_error makes a 503). */
int pm_sl_step(struct pm_session *s, sqlite3_stmt *stmt);

/* The prepared statement for sql, from the session's cache or newly prepared (then cached;
 * the session keeps owning it: reset it when done, never finalize). NULL with err (500). */
sqlite3_stmt *pm_sl_session_stmt(struct pm_session *s, const char *sql, struct pm_error *err);
/* Pin (on = 1) or unpin a statement of the cache: an open cursor pins its statement, so
 * that the statements a lazy count or a near= search prepare meanwhile cannot evict it. */
void pm_sl_session_pin(struct pm_session *s, sqlite3_stmt *stmt, int on);
/* Log the connection's last error and set err to a 500 naming `what`. Returns -1. */
int pm_sl_db_error(struct pm_error *err, sqlite3 *db, const char *what);

/* The items operations of the store (items.c). */
int pm_sl_items_open(struct pm_session *s, const struct pm_collection *c,
                     const struct pm_items_params *p, struct pm_cursor **out, long long *matched,
                     int *from_start, struct pm_error *err);
int pm_sl_summarize(struct pm_session *s, const struct pm_collection *c,
                    const struct pm_items_params *p, const struct pm_summary_request *req,
                    struct pm_summary *out, struct pm_error *err);
int pm_sl_feature_open(struct pm_session *s, const struct pm_collection *c, const char *id,
                       struct pm_cursor **out, struct pm_error *err);
int pm_sl_cursor_next(struct pm_cursor *cur, struct pm_feature_row *row, struct pm_error *err);
int pm_sl_cursor_matched(struct pm_cursor *cur, long returned, int more, long long *matched,
                         struct pm_error *err);
void pm_sl_cursor_close(struct pm_cursor *cur);

/* Values bound to a compiled query, in the order of their "?" in the SQL. Texts are owned. */
struct pm_sl_bind {
    enum { PM_SL_TEXT, PM_SL_DOUBLE, PM_SL_INT } type;
    char *text;
    double num;
    long long i;
};

struct pm_sl_binds {
    struct pm_sl_bind *v;
    size_t n, cap;
};

void pm_sl_binds_fini(struct pm_sl_binds *b);
void pm_sl_bind_text(struct pm_sl_binds *b, const char *s);
void pm_sl_bind_double(struct pm_sl_binds *b, double x);
void pm_sl_bind_int(struct pm_sl_binds *b, long long i);
/* Append all of src's values to dst (copies). */
void pm_sl_binds_append(struct pm_sl_binds *dst, const struct pm_sl_binds *src);
/* Bind every value to stmt from parameter `first` on. 0 or -1. */
int pm_sl_binds_apply(sqlite3_stmt *stmt, const struct pm_sl_binds *b, int first);

/* The next name of a comma-separated list of columns (a collection's search_via) into col:
 * 1, 0 at the end, -1 for an empty or overlong name (the catalog refuses those at open). */
#define PM_SL_COLUMN_MAX 64
int pm_sl_next_column(const char **v, char col[PM_SL_COLUMN_MAX]);
/* Catalog identifiers are spliced into SQL, so they must be plain words: 1 when s is one
 * (a-z, 0-9 and _). */
int pm_sl_plain_identifier(const char *s);

/* `(features of c meeting box)`: the R*Tree (if indexed), then the exact test (a point by
 * its lon and lat, a line segment by segment); west > east crosses the antimeridian. For
 * bbox= and for S_INTERSECTS with a BBOX literal. Binds its values. Without the R*Tree it
 * is a test of one row, for a query that finds its candidates in the index itself. */
void pm_sl_box_condition(struct pm_strbuf *sql, struct pm_sl_binds *b,
                         const struct pm_collection *c, const double box[4], int indexed);

/* Compile a CQL2 filter over collection c into a boolean SQL expression appended to sql,
 * its values to binds. db is used to check geometry literals and take their extent (for the
 * spatial index, searched only if indexed: see pm_sl_box_condition). Returns 0, or -1 with
 * err: 400 for an unknown property, a type mismatch or an invalid geometry, naming the
 * position in the filter. */
int pm_sl_compile_filter(sqlite3 *db, const struct pm_collection *c,
                         const struct pm_cql_node *filter, int indexed, struct pm_strbuf *sql,
                         struct pm_sl_binds *binds, struct pm_error *err);

/* A box every match of the filter lies in: that of an S_INTERSECTS(geometry, BBOX(...))
 * the filter is, or is one operand of at its top (through ANDs). 1 with box, else 0. */
int pm_sl_filter_box(const struct pm_cql_node *filter, double box[4]);

/* Does the filter hold, at its top (through ANDs), an equality or IN, which an index of the
 * property might answer faster than any walk over a box? */
int pm_sl_filter_has_equality(const struct pm_cql_node *filter);

/* Reads the lon, lat pairs of a GeoJSON Point or LineString as the store keeps it (the
 * _geojson of a view), any number of them: pm_sl_coords_start, then pm_sl_coords_next until
 * it returns 0. */
struct pm_sl_coords {
    const char *p; /* NULL: no coordinates */
};
/* Does the segment a-b meet the box w s e n (edges included)? Liang–Barsky clipping. */
int pm_sl_segment_meets_box(double ax, double ay, double bx, double by, double w, double s,
                            double e, double n);
/* What an entry of an index (box e: xmin, xmax, ymin, ymax; id: its pkid) says of its
 * feature and a box (w, s, e, n; w > e across the antimeridian), without reading its row:
 * PM_SL_INSIDE (it meets the box), PM_SL_OUTSIDE (it does not) or PM_SL_EDGE (too close to
 * tell: test the row). line: the entries are two-point segments (sqlfuncs.c). */
enum { PM_SL_INSIDE, PM_SL_OUTSIDE, PM_SL_EDGE };
int pm_sl_entry_verdict(int line, sqlite3_int64 id, const double e[4], const double box[4]);
void pm_sl_coords_start(struct pm_sl_coords *it, const char *geojson);
int pm_sl_coords_next(struct pm_sl_coords *it, double xy[2]);

/* Register pm_date_first, pm_date_last, pm_casei, pm_accenti and pm_geodesic_m on db. */
int pm_sl_register_functions(sqlite3 *db);

/* Feature heads (heads.c). A column's value as the writer takes it (text valid as long as the
 * value is). */
void pm_sl_value_of(sqlite3_value *col, struct pm_value *v);
/* pm_feature_head(id, geometry, key1, value1, ...), for the load. 0 or -1. */
int pm_sl_register_head_function(sqlite3 *db);
/* Fill the table of heads of each collection that has one (collections.heads) from its view:
 * NULL, or what failed (the caller frees). */
char *pm_sl_build_heads(sqlite3 *db);

/* The digest of the SQL that shapes a database (schema, collection views, indexes), as 16 hex
 * digits: `load` stores it in meta.sql_digest and `serve` refuses a database whose digest
 * differs, so a file built by another build of partnermap is never half understood. */
void pm_sl_sql_digest(char out[17]);
/* s folded as pm_casei and/or pm_accenti do; caller frees. */
char *pm_sl_fold(const char *s, int casei, int accenti);

#endif
