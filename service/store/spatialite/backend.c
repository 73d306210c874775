/*
 * The SpatiaLite store: a read-only database, a fixed pool of connections (sessions) and the
 * items queries compiled to SQL.
 *
 * Each session is one SQLite connection opened read-only with SpatiaLite loaded, plus a small
 * cache of prepared statements keyed by their SQL text (the SQL of an items query depends
 * only on which parameters are present, so a few shapes cover all requests). A session is
 * used by one thread at a time; the pool hands them out under a mutex and never waits.
 *
 * Only identifiers from the catalog (view, table and column names, checked at open to be
 * plain [a-z0-9_] words) are spliced into SQL; every value from a request is bound.
 */
#include "internal.h"

#include <pthread.h>
#include <sqlite3.h>
/* spatialite.h needs sqlite3.h first */
#include <spatialite.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct pm_store_ops sl_ops;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* SQLite calls this every 4,096 virtual machine instructions; non-zero interrupts. A step's
 * time is counted from the first call (a few microseconds into the step), so that the many
 * short steps of a query never read the clock. */
static int past_deadline(void *arg)
{
    struct pm_session *s = arg;
    if (!s->stepping)
        return 0;
    long long now = now_ns();
    if (!s->deadline_ns)
        s->deadline_ns = now + (long long)s->store->step_timeout_ms * 1000000LL;
    return now > s->deadline_ns;
}

int pm_sl_step(struct pm_session *s, sqlite3_stmt *stmt)
{
    s->stepping = 1;
    s->deadline_ns = 0;
    int rc = sqlite3_step(stmt);
    s->stepping = 0;
    return rc;
}

void pm_spatialite_set_step_timeout(struct pm_store *st, unsigned ms)
{
    ((struct pm_sl_store *)st)->step_timeout_ms = ms ? ms : 1;
}

int pm_sl_db_error(struct pm_error *err, sqlite3 *db, const char *what)
{
    if (sqlite3_errcode(db) == SQLITE_INTERRUPT) {
        pm_log(PM_LOG_WARN, "msg=\"%s stopped: over the time limit\"", what);
        return pm_error_set(err, 503, "ServiceUnavailable",
                            "the query ran over the server's time limit; narrow it (a smaller "
                            "bbox, a simpler filter) and try again");
    }
    pm_log(PM_LOG_ERROR, "msg=\"%s failed\" sqlite=\"%s\"", what, sqlite3_errmsg(db));
    return pm_error_set(err, 500, "ServerError", "%s failed: %s", what, sqlite3_errmsg(db));
}

/* Prepared statement for `sql`, from the cache or newly prepared (then cached). The
 * statement stays owned by the session; callers reset it when done. */
sqlite3_stmt *pm_sl_session_stmt(struct pm_session *s, const char *sql, struct pm_error *err)
{
    for (size_t i = 0; i < PM_SL_STMT_CACHE; i++)
        if (s->cache[i].sql && !strcmp(s->cache[i].sql, sql))
            return s->cache[i].stmt;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
        pm_sl_db_error(err, s->db, "prepare");
        return NULL;
    }
    size_t slot = PM_SL_STMT_CACHE;
    for (size_t i = 0; i < PM_SL_STMT_CACHE && slot == PM_SL_STMT_CACHE; i++)
        if (!s->cache[i].sql)
            slot = i;
    if (slot == PM_SL_STMT_CACHE) {
        /* Round robin over the statements no cursor has pinned (a session has one cursor
         * open at a time, so one is always found). */
        do {
            slot = s->next_evict;
            s->next_evict = (s->next_evict + 1) % PM_SL_STMT_CACHE;
        } while (s->cache[slot].pinned);
        sqlite3_finalize(s->cache[slot].stmt);
        free(s->cache[slot].sql);
    }
    s->cache[slot].sql = pm_strdup(sql);
    s->cache[slot].stmt = stmt;
    return stmt;
}

void pm_sl_session_pin(struct pm_session *s, sqlite3_stmt *stmt, int on)
{
    for (size_t i = 0; i < PM_SL_STMT_CACHE; i++)
        if (s->cache[i].stmt == stmt)
            s->cache[i].pinned = on;
}

void pm_spatialite_init(void)
{
    /* No count of SQLite's memory use (nothing here reads it): counting takes one global
     * mutex on every allocation, which the load's two threads and the server's sessions would
     * all queue on. Must come before SQLite initialises itself. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    spatialite_initialize();
}

void pm_spatialite_shutdown(void)
{
    spatialite_shutdown();
}

const char *pm_spatialite_version(void)
{
    return spatialite_version();
}

/* The database as an SQLite URI with immutable=1: `load` never changes a file that is being
 * served (it renames a new one over it; the old one stays whole for those who have it
 * open), so SQLite may skip the file locks and the hot-journal and change checks it would
 * otherwise make, each with system calls, at the start of every read. */
static char *immutable_uri(const char *path)
{
    struct pm_strbuf uri;
    pm_strbuf_init(&uri);
    pm_strbuf_append_str(&uri, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            pm_strbuf_appendf(&uri, "%%%02X", (unsigned char)*p);
        else
            pm_strbuf_append_char(&uri, *p);
    }
    pm_strbuf_append_str(&uri, "?immutable=1");
    return uri.data;
}

static int open_connection(const char *path, sqlite3 **db, void **cache, struct pm_error *err)
{
    *db = NULL;
    *cache = NULL;
    char *uri = immutable_uri(path);
    int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                             NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        pm_error_set(err, 500, "ServerError", "cannot open database %s: %s", path,
                     *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    *cache = spatialite_alloc_connection();
    spatialite_init_ex(*db, *cache, 0);
    if (pm_sl_register_functions(*db)) {
        pm_error_set(err, 500, "ServerError", "cannot add SQL functions to %s", path);
        return -1;
    }
    sqlite3_busy_timeout(*db, 1000);
    return 0;
}

static void close_connection(sqlite3 *db, void *cache)
{
    sqlite3_close(db);
    if (cache)
        spatialite_cleanup_ex(cache);
}

int pm_sl_plain_identifier(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

int pm_sl_next_column(const char **v, char col[PM_SL_COLUMN_MAX])
{
    if (!*v || !**v)
        return 0;
    size_t len = strcspn(*v, ",");
    if (len == 0 || len >= PM_SL_COLUMN_MAX)
        return -1;
    memcpy(col, *v, len);
    col[len] = '\0';
    *v += len + ((*v)[len] == ',');
    return 1;
}

static char *column_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? pm_strdup((const char *)t) : NULL;
}

/* The one integer a query like "SELECT count(*) FROM ..." returns: 0, or -1 (the error is
 * the connection's). */
static int count_rows(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static int read_meta(sqlite3 *db, const char *path, struct pm_catalog *cat, struct pm_error *err)
{
    sqlite3_stmt *st;
    char *version = NULL, *digest = NULL;
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &st, NULL) != SQLITE_OK)
        return pm_error_set(err, 500, "ServerError",
                            "%s is not a partnermap database (%s); build one with "
                            "partnermap load",
                            path, sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        if (!k)
            continue;
        if (!strcmp(k, "schema_version"))
            version = column_dup(st, 1);
        else if (!strcmp(k, "data_version"))
            cat->data_version = column_dup(st, 1);
        else if (!strcmp(k, "loaded_at"))
            cat->loaded_at = column_dup(st, 1);
        else if (!strcmp(k, "sql_digest"))
            digest = column_dup(st, 1);
    }
    int rc = sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        free(version);
        free(digest);
        return pm_error_set(err, 500, "ServerError", "%s: cannot read meta: %s", path,
                            sqlite3_errmsg(db));
    }
    if (!version || strcmp(version, PM_SCHEMA_VERSION) || !cat->data_version) {
        pm_error_set(err, 500, "ServerError",
                     "%s has schema version %s; this partnermap reads version %s: build it "
                     "again with partnermap load",
                     path, version ? version : "(none)", PM_SCHEMA_VERSION);
        free(version);
        free(digest);
        return -1;
    }
    char mine[17];
    pm_sl_sql_digest(mine);
    if (!digest || strcmp(digest, mine)) {
        pm_error_set(err, 500, "ServerError",
                     "%s was built by another build of partnermap (SQL digest %s, this one's "
                     "%s): build it again with partnermap load",
                     path, digest ? digest : "(none)", mine);
        free(version);
        free(digest);
        return -1;
    }
    free(version);
    free(digest);
    return 0;
}

static int read_catalog(sqlite3 *db, const char *path, struct pm_catalog *cat, struct pm_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (read_meta(db, path, cat, err))
        return -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, title, description, base_table, view, geometry_type, "
                           "temporal_property, xmin, ymin, xmax, ymax, tmin, tmax, search_via, "
                           "heads FROM collections ORDER BY ord",
                           -1, &st, NULL) != SQLITE_OK)
        goto sql_error;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cat->collections = pm_realloc(cat->collections, (cat->n + 1) * sizeof *cat->collections);
        struct pm_collection *c = &cat->collections[cat->n++];
        memset(c, 0, sizeof *c);
        c->id = column_dup(st, 0);
        c->title = column_dup(st, 1);
        c->description = column_dup(st, 2);
        c->base_table = column_dup(st, 3);
        c->view = column_dup(st, 4);
        c->geometry_type = column_dup(st, 5);
        c->temporal_property = column_dup(st, 6);
        c->has_extent = sqlite3_column_type(st, 7) != SQLITE_NULL;
        for (int k = 0; k < 4; k++)
            c->extent[k] = sqlite3_column_double(st, 7 + k);
        c->tmin = column_dup(st, 11);
        c->tmax = column_dup(st, 12);
        c->search_via = column_dup(st, 13);
        c->heads = column_dup(st, 14);
        if (!pm_sl_plain_identifier(c->base_table) || !pm_sl_plain_identifier(c->view) ||
            (c->heads && !pm_sl_plain_identifier(c->heads)))
            goto bad_identifier;
        /* Column names, spliced into SQL: plain identifiers separated by commas. */
        const char *v = c->search_via;
        char name[PM_SL_COLUMN_MAX];
        int more;
        while ((more = pm_sl_next_column(&v, name)) > 0)
            if (!pm_sl_plain_identifier(name))
                goto bad_identifier;
        if (more < 0)
            goto bad_identifier;
    }
    if (rc != SQLITE_DONE)
        goto sql_error;
    sqlite3_finalize(st);
    st = NULL;

    for (size_t i = 0; i < cat->n; i++) {
        struct pm_collection *c = &cat->collections[i];
        if (sqlite3_prepare_v2(db,
                               "SELECT name, type, description FROM collection_properties "
                               "WHERE collection = ? ORDER BY ord",
                               -1, &st, NULL) != SQLITE_OK)
            goto sql_error;
        sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            c->props = pm_realloc(c->props, (c->n_props + 1) * sizeof *c->props);
            struct pm_property *p = &c->props[c->n_props++];
            const char *type = (const char *)sqlite3_column_text(st, 1);
            p->name = column_dup(st, 0);
            p->description = column_dup(st, 2);
            p->type = !strcmp(type, "integer")  ? PM_PROP_INTEGER
                      : !strcmp(type, "number") ? PM_PROP_NUMBER
                      : !strcmp(type, "date")   ? PM_PROP_DATE
                      : !strcmp(type, "day")    ? PM_PROP_DAY
                                                : PM_PROP_STRING;
            if (!pm_sl_plain_identifier(p->name))
                goto bad_identifier;
        }
        if (rc != SQLITE_DONE)
            goto sql_error;
        sqlite3_finalize(st);
        if (sqlite3_prepare_v2(db,
                               "SELECT param, columns, description FROM collection_filters "
                               "WHERE collection = ? ORDER BY param",
                               -1, &st, NULL) != SQLITE_OK)
            goto sql_error;
        sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            c->filters = pm_realloc(c->filters, (c->n_filters + 1) * sizeof *c->filters);
            struct pm_filter_def *f = &c->filters[c->n_filters++];
            f->param = column_dup(st, 0);
            f->columns = column_dup(st, 1);
            f->description = column_dup(st, 2);
            for (char *p = f->columns; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                      *p == ','))
                    goto bad_identifier;
        }
        if (rc != SQLITE_DONE)
            goto sql_error;
        sqlite3_finalize(st);
        st = NULL;
        c->filter_names = pm_calloc(c->n_filters ? c->n_filters : 1, sizeof(char *));
        for (size_t k = 0; k < c->n_filters; k++)
            c->filter_names[k] = c->filters[k].param;
        c->prop_names = pm_calloc(c->n_props ? c->n_props : 1, sizeof(char *));
        for (size_t k = 0; k < c->n_props; k++)
            c->prop_names[k] = c->props[k].name;
        c->spec.filter_names = c->filter_names;
        c->spec.n_filter_names = c->n_filters;
        c->spec.property_names = c->prop_names;
        c->spec.n_property_names = c->n_props;

        if (sqlite3_prepare_v2(db,
                               "SELECT rel, title, href FROM collection_links "
                               "WHERE collection = ? ORDER BY rowid",
                               -1, &st, NULL) != SQLITE_OK)
            goto sql_error;
        sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            c->links = pm_realloc(c->links, (c->n_links + 1) * sizeof *c->links);
            struct pm_feature_link *l = &c->links[c->n_links++];
            l->rel = column_dup(st, 0);
            l->title = column_dup(st, 1);
            l->href = column_dup(st, 2);
        }
        if (rc != SQLITE_DONE)
            goto sql_error;
        sqlite3_finalize(st);
        st = NULL;
        /* numberMatched of the whole collection, and of its placed features, and the
         * greatest rowid (items.c: the box walk), once, not on every request. */
        char *view_sql = pm_asprintf("SELECT count(*) FROM %s", c->view);
        char *index_sql = pm_asprintf("SELECT count(*) FROM idx_%s_geom", c->base_table);
        char *rowid_sql = pm_asprintf("SELECT coalesce(max(rowid), 0) FROM %s", c->base_table);
        rc = count_rows(db, view_sql, &c->n_features) || count_rows(db, index_sql, &c->n_placed) ||
             count_rows(db, rowid_sql, &c->max_rowid);
        free(view_sql);
        free(index_sql);
        free(rowid_sql);
        if (rc)
            goto sql_error;
        /* q= is answered where the load built a name index for the base table. */
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = 'fts_' || ?", -1, &st,
                               NULL) != SQLITE_OK)
            goto sql_error;
        sqlite3_bind_text(st, 1, c->base_table, -1, SQLITE_STATIC);
        c->has_search = sqlite3_step(st) == SQLITE_ROW || c->search_via;
        sqlite3_finalize(st);
        st = NULL;
    }
    return 0;

sql_error:
    pm_error_set(err, 500, "ServerError", "%s: cannot read the catalog: %s", path,
                 sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return -1;
bad_identifier:
    sqlite3_finalize(st);
    return pm_error_set(err, 500, "ServerError",
                        "%s: the catalog names an identifier that is not a plain word", path);
}

/* The spatial indexes of every collection, read into memory once (rtree.c): for points
 * idx_<table>_geom (which counts a box), for all idx_<table>_rid (which walks one). */
static int open_trees(struct pm_sl_store *st, const char *path, struct pm_error *err)
{
    const struct pm_catalog *cat = &st->base.catalog;
    st->n_trees = 2 * cat->n;
    st->trees = pm_calloc(st->n_trees ? st->n_trees : 1, sizeof *st->trees);
    for (size_t i = 0; i < cat->n; i++) {
        const struct pm_collection *c = &cat->collections[i];
        int lines = strcmp(c->geometry_type, "Point") != 0;
        char *geom = pm_asprintf("idx_%s_geom", c->base_table);
        char *rid = pm_asprintf("idx_%s_rid", c->base_table);
        char *why = NULL;
        if (!lines)
            st->trees[2 * i] = pm_sl_rtree_open(st->sessions[0].db, geom, 2, 0, &why);
        if (!why)
            st->trees[2 * i + 1] = pm_sl_rtree_open(st->sessions[0].db, rid, 3, lines, &why);
        free(geom);
        free(rid);
        if (why) {
            pm_error_set(err, 500, "ServerError", "%s: %s", path, why);
            free(why);
            return -1;
        }
    }
    return 0;
}

struct pm_store *pm_spatialite_open(const char *path, unsigned n_sessions, struct pm_error *err)
{
    struct pm_sl_store *st = pm_calloc(1, sizeof *st);
    st->base.ops = &sl_ops;
    pthread_mutex_init(&st->lock, NULL);
    if (n_sessions == 0)
        n_sessions = 1;
    st->sessions = pm_calloc(n_sessions, sizeof *st->sessions);
    st->step_timeout_ms = 5000;
    st->n_sessions = n_sessions;
    for (unsigned i = 0; i < n_sessions; i++) {
        struct pm_session *s = &st->sessions[i];
        s->store = st;
        if (open_connection(path, &s->db, &s->spatialite_cache, err))
            goto fail;
        if (pm_sl_rtree_reader_init(&s->rtrees, s->db)) {
            pm_error_set(err, 500, "ServerError", "cannot add SQL functions to %s", path);
            goto fail;
        }
        sqlite3_progress_handler(s->db, 4096, past_deadline, s);
    }
    if (read_catalog(st->sessions[0].db, path, &st->base.catalog, err) || open_trees(st, path, err))
        goto fail;
    for (unsigned i = 0; i < n_sessions; i++)
        pm_sl_rtree_reader_set(&st->sessions[i].rtrees, st->trees, st->n_trees);
    return &st->base;
fail:
    sl_ops.close(&st->base);
    return NULL;
}

static int sl_borrow(struct pm_store *base, struct pm_session **out, struct pm_error *err)
{
    struct pm_sl_store *st = (struct pm_sl_store *)base;
    *out = NULL;
    pthread_mutex_lock(&st->lock);
    for (unsigned i = 0; i < st->n_sessions; i++) {
        if (!st->sessions[i].in_use) {
            st->sessions[i].in_use = 1;
            *out = &st->sessions[i];
            break;
        }
    }
    pthread_mutex_unlock(&st->lock);
    if (!*out)
        return pm_error_set(err, 503, "ServiceUnavailable",
                            "all %u database sessions are busy; retry shortly", st->n_sessions);
    return 0;
}

static void sl_release(struct pm_session *s)
{
    pthread_mutex_lock(&s->store->lock);
    s->in_use = 0;
    pthread_mutex_unlock(&s->store->lock);
}

static void sl_close(struct pm_store *base)
{
    struct pm_sl_store *st = (struct pm_sl_store *)base;
    for (unsigned i = 0; i < st->n_sessions; i++) {
        struct pm_session *s = &st->sessions[i];
        for (size_t k = 0; k < PM_SL_STMT_CACHE; k++) {
            sqlite3_finalize(s->cache[k].stmt);
            free(s->cache[k].sql);
        }
        pm_sl_rtree_reader_fini(&s->rtrees);
        sqlite3_blob_close(s->heads_blob);
        free(s->counted.edge);
        if (s->db)
            close_connection(s->db, s->spatialite_cache);
    }
    free(st->sessions);
    for (size_t i = 0; i < st->n_trees; i++)
        pm_sl_rtree_free(st->trees[i]);
    free(st->trees);
    pm_catalog_fini(&st->base.catalog);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static const struct pm_store_ops sl_ops = {
    .session_borrow = sl_borrow,
    .session_release = sl_release,
    .items_open = pm_sl_items_open,
    .summarize = pm_sl_summarize,
    .feature_open = pm_sl_feature_open,
    .cursor_next = pm_sl_cursor_next,
    .cursor_matched = pm_sl_cursor_matched,
    .cursor_close = pm_sl_cursor_close,
    .close = sl_close,
};
