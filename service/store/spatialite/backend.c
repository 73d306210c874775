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
#include "spatialite.h"

#include <pthread.h>
#include <sqlite3.h>
/* spatialite.h needs sqlite3.h first */
#include <spatialite.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE 24

struct cached_stmt {
    char *sql;
    sqlite3_stmt *stmt;
};

struct pm_session {
    struct sl_store *store;
    sqlite3 *db;
    void *spatialite_cache;
    int in_use;
    struct cached_stmt cache[STMT_CACHE];
    size_t next_evict;
};

struct pm_cursor {
    struct pm_session *session;
    sqlite3_stmt *stmt; /* borrowed from the session's cache: reset, not finalized */
    size_t n_props;
    struct pm_value *values;
};

struct sl_store {
    struct pm_store base; /* first: a struct pm_store * is a struct sl_store * */
    pthread_mutex_t lock;
    struct pm_session *sessions;
    unsigned n_sessions;
};

static const struct pm_store_ops sl_ops;

static int db_error(struct pm_error *err, sqlite3 *db, const char *what)
{
    pm_log(PM_LOG_ERROR, "msg=\"%s failed\" sqlite=\"%s\"", what, sqlite3_errmsg(db));
    return pm_error_set(err, 500, "ServerError", "%s failed: %s", what, sqlite3_errmsg(db));
}

/* Prepared statement for `sql`, from the cache or newly prepared (then cached). The
 * statement stays owned by the session; callers reset it when done. */
static sqlite3_stmt *session_stmt(struct pm_session *s, const char *sql, struct pm_error *err)
{
    for (size_t i = 0; i < STMT_CACHE; i++)
        if (s->cache[i].sql && !strcmp(s->cache[i].sql, sql))
            return s->cache[i].stmt;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
        db_error(err, s->db, "prepare");
        return NULL;
    }
    size_t slot = STMT_CACHE;
    for (size_t i = 0; i < STMT_CACHE && slot == STMT_CACHE; i++)
        if (!s->cache[i].sql)
            slot = i;
    if (slot == STMT_CACHE) {
        slot = s->next_evict;
        s->next_evict = (s->next_evict + 1) % STMT_CACHE;
        sqlite3_finalize(s->cache[slot].stmt);
        free(s->cache[slot].sql);
    }
    s->cache[slot].sql = pm_strdup(sql);
    s->cache[slot].stmt = stmt;
    return stmt;
}

void pm_spatialite_init(void)
{
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

static int open_connection(const char *path, sqlite3 **db, void **cache, struct pm_error *err)
{
    *db = NULL;
    *cache = NULL;
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        pm_error_set(err, 500, "ServerError", "cannot open database %s: %s", path,
                     *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    *cache = spatialite_alloc_connection();
    spatialite_init_ex(*db, *cache, 0);
    sqlite3_busy_timeout(*db, 1000);
    return 0;
}

static void close_connection(sqlite3 *db, void *cache)
{
    sqlite3_close(db);
    if (cache)
        spatialite_cleanup_ex(cache);
}

/* Catalog identifiers are spliced into SQL, so they must be plain words. */
static int plain_identifier(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static char *column_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? pm_strdup((const char *)t) : NULL;
}

static int read_meta(sqlite3 *db, const char *path, struct pm_catalog *cat, struct pm_error *err)
{
    sqlite3_stmt *st;
    char *version = NULL;
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
    }
    int rc = sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        free(version);
        return pm_error_set(err, 500, "ServerError", "%s: cannot read meta: %s", path,
                            sqlite3_errmsg(db));
    }
    if (!version || strcmp(version, PM_SCHEMA_VERSION) || !cat->data_version) {
        pm_error_set(err, 500, "ServerError",
                     "%s has schema version %s; this partnermap reads version %s: build it "
                     "again with partnermap load",
                     path, version ? version : "(none)", PM_SCHEMA_VERSION);
        free(version);
        return -1;
    }
    free(version);
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
                           "temporal_property, xmin, ymin, xmax, ymax, tmin, tmax "
                           "FROM collections ORDER BY ord",
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
        if (!plain_identifier(c->base_table) || !plain_identifier(c->view))
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
                                                : PM_PROP_STRING;
            if (!plain_identifier(p->name))
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

struct pm_store *pm_spatialite_open(const char *path, unsigned n_sessions, struct pm_error *err)
{
    struct sl_store *st = pm_calloc(1, sizeof *st);
    st->base.ops = &sl_ops;
    pthread_mutex_init(&st->lock, NULL);
    if (n_sessions == 0)
        n_sessions = 1;
    st->sessions = pm_calloc(n_sessions, sizeof *st->sessions);
    st->n_sessions = n_sessions;
    for (unsigned i = 0; i < n_sessions; i++) {
        struct pm_session *s = &st->sessions[i];
        s->store = st;
        if (open_connection(path, &s->db, &s->spatialite_cache, err))
            goto fail;
    }
    if (read_catalog(st->sessions[0].db, path, &st->base.catalog, err))
        goto fail;
    return &st->base;
fail:
    sl_ops.close(&st->base);
    return NULL;
}

static int sl_borrow(struct pm_store *base, struct pm_session **out, struct pm_error *err)
{
    struct sl_store *st = (struct sl_store *)base;
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

/* Bound values of a compiled query, in order. */
struct binds {
    size_t n;
    struct {
        int is_text;
        const char *text;
        double num;
    } v[64];
};

static void bind_num(struct binds *b, double x)
{
    if (b->n < 64) {
        b->v[b->n].is_text = 0;
        b->v[b->n].num = x;
        b->n++;
    }
}

static void bind_text(struct binds *b, const char *s)
{
    if (b->n < 64) {
        b->v[b->n].is_text = 1;
        b->v[b->n].text = s;
        b->n++;
    }
}

/* The R*Tree condition for one box. */
static void rtree_box(struct pm_strbuf *sql, struct binds *b, double w, double s, double e,
                      double n)
{
    pm_strbuf_append_str(sql, "(xmax >= ? AND xmin <= ? AND ymax >= ? AND ymin <= ?)");
    bind_num(b, w);
    bind_num(b, e);
    bind_num(b, s);
    bind_num(b, n);
}

/* The exact test for one box: for points their MBR is the point itself, so MbrIntersects is
 * exact and needs no GEOS; other geometries are tested with ST_Intersects. */
static void exact_box(struct pm_strbuf *sql, struct binds *b, const struct pm_collection *c,
                      double w, double s, double e, double n)
{
    if (!strcmp(c->geometry_type, "Point"))
        pm_strbuf_append_str(sql, "MbrIntersects(_geom, BuildMbr(?, ?, ?, ?, 4326))");
    else
        pm_strbuf_append_str(sql, "ST_Intersects(_geom, BuildMbr(?, ?, ?, ?, 4326)) = 1");
    bind_num(b, w);
    bind_num(b, s);
    bind_num(b, e);
    bind_num(b, n);
}

/* WHERE clause of an items query. The bbox goes through the R*Tree of the base table; a box
 * whose west edge is east of its east edge crosses the antimeridian and is searched as two
 * boxes. */
static void compile_where(struct pm_strbuf *sql, struct binds *b, const struct pm_collection *c,
                          const struct pm_items_params *p)
{
    pm_strbuf_append_str(sql, " WHERE 1");
    if (p->has_bbox) {
        double w = p->bbox[0], s = p->bbox[1], e = p->bbox[2], n = p->bbox[3];
        int split = w > e;
        pm_strbuf_appendf(sql, " AND _rowid IN (SELECT pkid FROM idx_%s_geom WHERE ",
                          c->base_table);
        rtree_box(sql, b, w, s, split ? 180 : e, n);
        if (split) {
            pm_strbuf_append_str(sql, " OR ");
            rtree_box(sql, b, -180, s, e, n);
        }
        pm_strbuf_append_str(sql, ") AND (");
        exact_box(sql, b, c, w, s, split ? 180 : e, n);
        if (split) {
            pm_strbuf_append_str(sql, " OR ");
            exact_box(sql, b, c, -180, s, e, n);
        }
        pm_strbuf_append_str(sql, ")");
    }
    if (p->has_datetime) {
        /* The feature's days [_first, _last] intersect the requested days. */
        if (p->datetime.first[0]) {
            pm_strbuf_append_str(sql, " AND _last >= ?");
            bind_text(b, p->datetime.first);
        }
        if (p->datetime.last[0]) {
            pm_strbuf_append_str(sql, " AND _first <= ?");
            bind_text(b, p->datetime.last);
        }
    }
    for (size_t i = 0; i < p->n_filters; i++) {
        const struct pm_filter_def *f = NULL;
        for (size_t k = 0; k < c->n_filters; k++)
            if (!strcmp(c->filters[k].param, p->filters[i].param))
                f = &c->filters[k];
        if (!f)
            continue; /* pm_items_params_parse admits only the catalog's filters */
        pm_strbuf_append_str(sql, " AND (");
        const char *col = f->columns;
        int first = 1;
        while (*col) {
            size_t len = strcspn(col, ",");
            pm_strbuf_appendf(sql, "%s%.*s = ?", first ? "" : " OR ", (int)len, col);
            bind_text(b, p->filters[i].value);
            first = 0;
            col += len;
            if (*col == ',')
                col++;
        }
        pm_strbuf_append_str(sql, ")");
    }
}

static int bind_all(sqlite3_stmt *stmt, const struct binds *b)
{
    for (size_t i = 0; i < b->n; i++) {
        int rc = b->v[i].is_text
                     ? sqlite3_bind_text(stmt, (int)i + 1, b->v[i].text, -1, SQLITE_STATIC)
                     : sqlite3_bind_double(stmt, (int)i + 1, b->v[i].num);
        if (rc != SQLITE_OK)
            return -1;
    }
    return 0;
}

static int sl_count(struct pm_session *s, const struct pm_collection *c,
                    const struct pm_items_params *p, long long *out, struct pm_error *err)
{
    struct pm_strbuf sql;
    struct binds b = {0};
    pm_strbuf_init(&sql);
    pm_strbuf_appendf(&sql, "SELECT count(*) FROM %s", c->view);
    compile_where(&sql, &b, c, p);
    sqlite3_stmt *stmt = session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    if (!stmt)
        return -1;
    int rc = -1;
    if (bind_all(stmt, &b) == 0 && sqlite3_step(stmt) == SQLITE_ROW) {
        *out = sqlite3_column_int64(stmt, 0);
        rc = 0;
    } else {
        db_error(err, s->db, "count");
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

static void select_columns(struct pm_strbuf *sql, const struct pm_collection *c)
{
    pm_strbuf_append_str(sql, "SELECT id, _geojson");
    for (size_t i = 0; i < c->n_props; i++)
        pm_strbuf_appendf(sql, ", %s", c->props[i].name);
    pm_strbuf_appendf(sql, " FROM %s", c->view);
}

static struct pm_cursor *cursor_new(struct pm_session *s, sqlite3_stmt *stmt,
                                    const struct pm_collection *c)
{
    struct pm_cursor *cur = pm_calloc(1, sizeof *cur);
    cur->session = s;
    cur->stmt = stmt;
    cur->n_props = c->n_props;
    cur->values = pm_calloc(c->n_props ? c->n_props : 1, sizeof *cur->values);
    return cur;
}

static int sl_items(struct pm_session *s, const struct pm_collection *c,
                    const struct pm_items_params *p, long limit, long offset,
                    struct pm_cursor **out, struct pm_error *err)
{
    struct pm_strbuf sql;
    struct binds b = {0};
    pm_strbuf_init(&sql);
    select_columns(&sql, c);
    compile_where(&sql, &b, c, p);
    pm_strbuf_append_str(&sql, " ORDER BY id LIMIT ? OFFSET ?");
    sqlite3_stmt *stmt = session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    if (!stmt)
        return -1;
    if (bind_all(stmt, &b) || sqlite3_bind_int64(stmt, (int)b.n + 1, limit) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, (int)b.n + 2, offset) != SQLITE_OK) {
        sqlite3_reset(stmt);
        return db_error(err, s->db, "bind");
    }
    *out = cursor_new(s, stmt, c);
    return 0;
}

static int sl_feature(struct pm_session *s, const struct pm_collection *c, const char *id,
                      struct pm_cursor **out, struct pm_error *err)
{
    struct pm_strbuf sql;
    pm_strbuf_init(&sql);
    select_columns(&sql, c);
    pm_strbuf_append_str(&sql, " WHERE id = ?");
    sqlite3_stmt *stmt = session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    if (!stmt)
        return -1;
    if (sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        sqlite3_reset(stmt);
        return db_error(err, s->db, "bind");
    }
    *out = cursor_new(s, stmt, c);
    return 0;
}

static int sl_next(struct pm_cursor *cur, struct pm_feature_row *row, struct pm_error *err)
{
    int rc = sqlite3_step(cur->stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return db_error(err, cur->session->db, "step");
    row->id = (const char *)sqlite3_column_text(cur->stmt, 0);
    row->geometry = (const char *)sqlite3_column_text(cur->stmt, 1);
    for (size_t i = 0; i < cur->n_props; i++) {
        int col = (int)i + 2;
        struct pm_value *v = &cur->values[i];
        switch (sqlite3_column_type(cur->stmt, col)) {
        case SQLITE_INTEGER:
            v->type = PM_VALUE_INT;
            v->i = sqlite3_column_int64(cur->stmt, col);
            break;
        case SQLITE_FLOAT:
            v->type = PM_VALUE_REAL;
            v->r = sqlite3_column_double(cur->stmt, col);
            break;
        case SQLITE_NULL:
            v->type = PM_VALUE_NULL;
            break;
        default:
            v->type = PM_VALUE_TEXT;
            v->s = (const char *)sqlite3_column_text(cur->stmt, col);
            break;
        }
    }
    row->values = cur->values;
    return 1;
}

static void sl_cursor_close(struct pm_cursor *cur)
{
    sqlite3_reset(cur->stmt);
    sqlite3_clear_bindings(cur->stmt);
    free(cur->values);
    free(cur);
}

static void sl_close(struct pm_store *base)
{
    struct sl_store *st = (struct sl_store *)base;
    for (unsigned i = 0; i < st->n_sessions; i++) {
        struct pm_session *s = &st->sessions[i];
        for (size_t k = 0; k < STMT_CACHE; k++) {
            sqlite3_finalize(s->cache[k].stmt);
            free(s->cache[k].sql);
        }
        if (s->db)
            close_connection(s->db, s->spatialite_cache);
    }
    free(st->sessions);
    pm_catalog_fini(&st->base.catalog);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static const struct pm_store_ops sl_ops = {
    .session_borrow = sl_borrow,
    .session_release = sl_release,
    .items_count = sl_count,
    .items_open = sl_items,
    .feature_open = sl_feature,
    .cursor_next = sl_next,
    .cursor_close = sl_cursor_close,
    .close = sl_close,
};
