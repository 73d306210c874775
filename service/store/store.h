/*
 * store: the storage interface the API reads through — the collection catalog, sessions,
 * cursors and feature rows, behind a table of function pointers (after Redis's connection
 * type). A backend (store/spatialite/) embeds struct pm_store first in its own struct.
 *
 * Threads: the catalog is read-only after open and may be read from any thread. A session
 * belongs to one thread at a time: borrow it, use it, release it; a cursor belongs to its
 * session. Borrowing never blocks — when none is free it fails with 503.
 */
#ifndef PM_STORE_H
#define PM_STORE_H

#include "query/query.h"
#include "util/util.h"

/* PM_PROP_DATE: an ISO 8601 date as precise as its source (YYYY, YYYY-MM or YYYY-MM-DD);
 * PM_PROP_DAY: always a whole day (YYYY-MM-DD). */
enum pm_prop_type { PM_PROP_STRING, PM_PROP_INTEGER, PM_PROP_NUMBER, PM_PROP_DATE, PM_PROP_DAY };

struct pm_property {
    char *name;
    enum pm_prop_type type;
    char *description;
};

/* An equality filter parameter and the columns it matches (any of them). */
struct pm_filter_def {
    char *param;
    char *columns; /* comma-separated view columns: catalog identifiers */
    char *description;
};

/* A link every feature of a collection carries, besides self and collection: href is a
 * path with "{id}" standing for the feature's id (URL-encoded when written). */
struct pm_feature_link {
    char *rel;
    char *title;
    char *href;
};

struct pm_collection {
    char *id;
    char *title;
    char *description;
    char *base_table;        /* the table whose R*Tree idx_<base_table>_geom indexes it */
    char *view;              /* the view the features are read from */
    char *geometry_type;     /* "Point", "LineString" */
    char *temporal_property; /* the property datetime applies to, or NULL */
    /* q= through the names of cities: the base table's columns (comma-separated) that hold
     * city ids, or NULL when the collection has a name index of its own (fts_<base_table>) */
    char *search_via;
    int has_extent;
    double extent[4];  /* xmin, ymin, xmax, ymax */
    char *tmin, *tmax; /* temporal extent (days) or NULL */
    struct pm_property *props;
    size_t n_props;
    struct pm_filter_def *filters;
    size_t n_filters;
    const char **filter_names; /* the params of `filters` */
    const char **prop_names;   /* the names of `props` */
    struct pm_items_spec spec; /* filter_names and prop_names, for pm_items_params_parse */
    struct pm_feature_link *links;
    size_t n_links;
    int has_search;       /* q= is answered (a name index exists) */
    long long n_features; /* all the features, counted once at open */
    long long n_placed;   /* those with a geometry (entries of the spatial index) */
    long long max_rowid;  /* the base table's greatest rowid (for the store), read at open */
    char *heads; /* the table of each feature's head (pm_feature_row), or NULL: none kept */
};

struct pm_catalog {
    struct pm_collection *collections;
    size_t n;
    char *data_version; /* changes with every load of different data: part of every ETag */
    char *loaded_at;
};

const struct pm_collection *pm_catalog_find(const struct pm_catalog *cat, const char *id);
/* The property of c named by the len bytes at name, or NULL. */
const struct pm_property *pm_collection_property(const struct pm_collection *c, const char *name,
                                                 size_t len);
/* Free everything the catalog owns (not the struct itself). Accepts NULL. */
void pm_catalog_fini(struct pm_catalog *cat);

enum pm_value_type { PM_VALUE_NULL, PM_VALUE_INT, PM_VALUE_REAL, PM_VALUE_TEXT };

struct pm_value {
    enum pm_value_type type;
    long long i;
    double r;
    const char *s; /* UTF-8, valid until the next cursor step */
    size_t len;    /* the bytes of s, if the store knows them; 0: count them */
};

/* One feature as the store returns it. Every pointer is owned by the cursor and valid until
 * the next pm_cursor_next or pm_cursor_close. values has the collection's n_props entries. */
struct pm_feature_row {
    const char *id;
    const char *geometry; /* GeoJSON geometry text, or NULL */
    struct pm_value *values;
    /* The feature's head as the load wrote it (pm_feature_writer_head of every property and
     * the geometry), or NULL; when given, geometry and values are not read. */
    const char *head;
    size_t head_len;
    int has_distance; /* a near= query: the geodesic distance from its point */
    double distance_m;
};

#define PM_SUMMARY_COUNTS 8

/* A summary: counts of an items query's features, grouped. */
struct pm_summary_request {
    long group_by; /* a property index, PM_GROUP_YEAR (the year of the collection's date), or
                      PM_GROUP_NONE */
    size_t n_counts;
    long counts[PM_SUMMARY_COUNTS]; /* property indexes: count their distinct values too */
};
#define PM_GROUP_NONE (-1)
#define PM_GROUP_YEAR (-2)

struct pm_summary_group {
    char *key; /* NULL for features without a value */
    long long count;
    long long distinct[PM_SUMMARY_COUNTS];
};

struct pm_summary {
    long long count; /* all matching features */
    long long distinct[PM_SUMMARY_COUNTS];
    struct pm_summary_group *groups;
    size_t n_groups;
};

void pm_summary_fini(struct pm_summary *s);

/* A filtered query counts its matches up to this many; past it numberMatched is left out. */
#define PM_COUNT_MAX 100000

struct pm_store;
struct pm_session;
struct pm_cursor;

struct pm_store_ops {
    int (*session_borrow)(struct pm_store *st, struct pm_session **out, struct pm_error *err);
    void (*session_release)(struct pm_session *s);
    int (*items_open)(struct pm_session *s, const struct pm_collection *c,
                      const struct pm_items_params *p, struct pm_cursor **out, long long *matched,
                      int *from_start, struct pm_error *err);
    int (*summarize)(struct pm_session *s, const struct pm_collection *c,
                     const struct pm_items_params *p, const struct pm_summary_request *req,
                     struct pm_summary *out, struct pm_error *err);
    int (*feature_open)(struct pm_session *s, const struct pm_collection *c, const char *id,
                        struct pm_cursor **out, struct pm_error *err);
    int (*cursor_next)(struct pm_cursor *cur, struct pm_feature_row *row, struct pm_error *err);
    int (*cursor_matched)(struct pm_cursor *cur, long returned, int more, long long *matched,
                          struct pm_error *err);
    void (*cursor_close)(struct pm_cursor *cur);
    void (*close)(struct pm_store *st);
};

struct pm_store {
    const struct pm_store_ops *ops;
    struct pm_catalog catalog;
};

/* Borrow a session: 0, or -1 with err 503 when every session is in use. */
int pm_store_borrow(struct pm_store *st, struct pm_session **out, struct pm_error *err);
/* Give a session back. Accepts NULL. */
void pm_store_release(struct pm_store *st, struct pm_session *s);
/* Open a cursor over the page of an items query — from p->offset, or after p->after, or
 * ending just before p->before — that yields up to p->limit + 1 rows: the one more only tells
 * the caller that a next page exists. *matched is the number of features the query matches
 * (numberMatched), or -1 when that would cost more than the page itself (more than
 * PM_COUNT_MAX matches of a filtered query: OGC 17-069r4 allows leaving it out).
 * *from_start says whether the page begins at the first matching feature. The order is p's
 * sortby, else by distance for near=, else by best name match for q=, else by id; ties are broken
 * by id, so pages neither repeat nor skip. Geometry is densified along the geodesic when p asks.
 * The cursor must be closed before its session is released. 0, or -1 with err (400 for a filter
 * that does not fit the collection). */
int pm_store_items(struct pm_store *st, struct pm_session *s, const struct pm_collection *c,
                   const struct pm_items_params *p, struct pm_cursor **out, long long *matched,
                   int *from_start, struct pm_error *err);
/* Count the features an items query matches (limit, offset and near ignored), grouped as
 * req says, ordered by key. The caller finishes out with pm_summary_fini. 0 or -1. */
int pm_store_summarize(struct pm_store *st, struct pm_session *s, const struct pm_collection *c,
                       const struct pm_items_params *p, const struct pm_summary_request *req,
                       struct pm_summary *out, struct pm_error *err);
/* A cursor over the one feature with this id (no row if there is none). */
int pm_store_feature(struct pm_store *st, struct pm_session *s, const struct pm_collection *c,
                     const char *id, struct pm_cursor **out, struct pm_error *err);
/* numberMatched when pm_store_items left it for later (PM_MATCHED_LATER): call it after the
 * page was read, with how many features the page returned and whether more followed. A page
 * that holds the last match and whose position is known needs no count at all. Sets
 * *matched (or -1: too many to count). 0, or -1 with err. */
#define PM_MATCHED_LATER (-2)
int pm_cursor_matched(struct pm_store *st, struct pm_cursor *cur, long returned, int more,
                      long long *matched, struct pm_error *err);
/* 1 with a row, 0 at the end, -1 with err on failure. */
int pm_cursor_next(struct pm_store *st, struct pm_cursor *cur, struct pm_feature_row *row,
                   struct pm_error *err);
/* Accepts NULL. */
void pm_cursor_close(struct pm_store *st, struct pm_cursor *cur);
/* Close the store and free everything. Accepts NULL. No session may be borrowed. */
void pm_store_close(struct pm_store *st);

#endif
