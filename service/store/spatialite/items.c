/*
 * Items queries: request parameters compiled to SQL over a collection's view, and the cursors
 * that read the results.
 *
 * Two kinds of cursor. A plain query steps one prepared statement (cached by the session for
 * its SQL shape) ordered by sortby, name match or id. A near= query first finds its features
 * by geodesic distance — through the R*Tree, with a search box that holds the whole geodesic
 * disc, growing until it holds the k nearest, never measuring every row — and then reads the
 * page's features one by one by rowid, each with its distance.
 *
 * Only catalog identifiers are spliced into SQL; every value of a request is bound.
 */
#include "internal.h"

#include "geodesic_math.h"
#include "query/cql2.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- bound values ------------------------------------------------------------------------ */

static struct pm_sl_bind *bind_slot(struct pm_sl_binds *b)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->v = pm_realloc(b->v, b->cap * sizeof *b->v);
    }
    struct pm_sl_bind *v = &b->v[b->n++];
    memset(v, 0, sizeof *v);
    return v;
}

void pm_sl_binds_fini(struct pm_sl_binds *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].text);
    free(b->v);
    memset(b, 0, sizeof *b);
}

void pm_sl_bind_text(struct pm_sl_binds *b, const char *s)
{
    struct pm_sl_bind *v = bind_slot(b);
    v->type = PM_SL_TEXT;
    v->text = pm_strdup(s);
}

void pm_sl_bind_double(struct pm_sl_binds *b, double x)
{
    struct pm_sl_bind *v = bind_slot(b);
    v->type = PM_SL_DOUBLE;
    v->num = x;
}

void pm_sl_bind_int(struct pm_sl_binds *b, long long i)
{
    struct pm_sl_bind *v = bind_slot(b);
    v->type = PM_SL_INT;
    v->i = i;
}

void pm_sl_binds_append(struct pm_sl_binds *dst, const struct pm_sl_binds *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const struct pm_sl_bind *v = &src->v[i];
        if (v->type == PM_SL_TEXT)
            pm_sl_bind_text(dst, v->text);
        else if (v->type == PM_SL_DOUBLE)
            pm_sl_bind_double(dst, v->num);
        else
            pm_sl_bind_int(dst, v->i);
    }
}

int pm_sl_binds_apply(sqlite3_stmt *stmt, const struct pm_sl_binds *b, int first)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct pm_sl_bind *v = &b->v[i];
        int at = first + (int)i, rc;
        if (v->type == PM_SL_TEXT)
            rc = sqlite3_bind_text(stmt, at, v->text, -1, SQLITE_TRANSIENT);
        else if (v->type == PM_SL_DOUBLE)
            rc = sqlite3_bind_double(stmt, at, v->num);
        else
            rc = sqlite3_bind_int64(stmt, at, v->i);
        if (rc != SQLITE_OK)
            return -1;
    }
    return 0;
}

/* A statement of the session's cache (pm_sl_session_stmt) done with: reset and unbound,
 * ready for its next use. Accepts NULL. */
static void stmt_done(sqlite3_stmt *stmt)
{
    if (stmt) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
}

/* --- WHERE and ORDER BY ------------------------------------------------------------------ */

/* The R*Tree condition for one box. */
static void rtree_box(struct pm_strbuf *sql, struct pm_sl_binds *b, double w, double s, double e,
                      double n)
{
    pm_strbuf_append_str(sql, "(xmax >= ? AND xmin <= ? AND ymax >= ? AND ymin <= ?)");
    pm_sl_bind_double(b, w);
    pm_sl_bind_double(b, e);
    pm_sl_bind_double(b, s);
    pm_sl_bind_double(b, n);
}

/* `(R*Tree condition)` for a box; west > east is two boxes, either side of the antimeridian. */
static void rtree_boxes(struct pm_strbuf *sql, struct pm_sl_binds *b, const double box[4])
{
    int split = box[0] > box[2];
    pm_strbuf_append_str(sql, "(");
    rtree_box(sql, b, box[0], box[1], split ? 180 : box[2], box[3]);
    if (split) {
        pm_strbuf_append_str(sql, " OR ");
        rtree_box(sql, b, -180, box[1], box[2], box[3]);
    }
    pm_strbuf_append_str(sql, ")");
}

/* `_rowid IN (R*Tree search)` for a box. */
static void rtree_search(struct pm_strbuf *sql, struct pm_sl_binds *b,
                         const struct pm_collection *c, const double box[4])
{
    pm_strbuf_appendf(sql, "_rowid IN (SELECT pkid FROM idx_%s_geom WHERE ", c->base_table);
    rtree_boxes(sql, b, box);
    pm_strbuf_append_str(sql, ")");
}

/* The exact test for one box: a point is compared by its lon and lat (the view's _x, _y),
 * without a geometry function; lines are clipped against the box segment by segment (pm_box_meets),
 * which is exact for boxes of no width or height too and needs no GEOS. */
static void exact_box(struct pm_strbuf *sql, struct pm_sl_binds *b, const struct pm_collection *c,
                      double w, double s, double e, double n)
{
    if (!strcmp(c->geometry_type, "Point")) {
        pm_strbuf_append_str(sql, "(_x BETWEEN ? AND ? AND _y BETWEEN ? AND ?)");
        pm_sl_bind_double(b, w);
        pm_sl_bind_double(b, e);
        pm_sl_bind_double(b, s);
        pm_sl_bind_double(b, n);
        return;
    }
    pm_strbuf_append_str(sql, "pm_box_meets(_geojson, ?, ?, ?, ?) = 1");
    pm_sl_bind_double(b, w);
    pm_sl_bind_double(b, s);
    pm_sl_bind_double(b, e);
    pm_sl_bind_double(b, n);
}

/* `(exact test)` for a box, in two parts across the antimeridian. */
static void exact_boxes(struct pm_strbuf *sql, struct pm_sl_binds *b, const struct pm_collection *c,
                        const double box[4])
{
    int split = box[0] > box[2];
    pm_strbuf_append_str(sql, "(");
    exact_box(sql, b, c, box[0], box[1], split ? 180 : box[2], box[3]);
    if (split) {
        pm_strbuf_append_str(sql, " OR ");
        exact_box(sql, b, c, -180, box[1], box[2], box[3]);
    }
    pm_strbuf_append_str(sql, ")");
}

/* Does a box hold the collection's whole extent, so that every feature with a geometry is in
 * it? (The extent is the least box around every geometry, computed at load.) */
static int box_holds_extent(const struct pm_collection *c, const double box[4])
{
    const double *e = c->extent;
    return c->has_extent && box[0] <= box[2] && box[0] <= e[0] && box[1] <= e[1] &&
           box[2] >= e[2] && box[3] >= e[3];
}

void pm_sl_box_condition(struct pm_strbuf *sql, struct pm_sl_binds *b,
                         const struct pm_collection *c, const double box[4], int indexed)
{
    if (box_holds_extent(c, box)) {
        pm_strbuf_append_str(sql, "(_geom IS NOT NULL)"); /* no index needed */
        return;
    }
    pm_strbuf_append_str(sql, "(");
    if (indexed) {
        rtree_search(sql, b, c, box);
        pm_strbuf_append_str(sql, " AND ");
    }
    exact_boxes(sql, b, c, box);
    pm_strbuf_append_str(sql, ")");
}

/* The name search: names are indexed folded (lower case, no accents) in fts_<base_table>,
 * one FTS5 trigram table per collection, "|"-separated; a collection with search_via
 * (partnerships) searches the index of its cities instead, by the columns that hold their
 * ids. A query of three characters or more goes through the trigram index; a shorter one
 * (大连 is two) scans the names. Appends `AND rowid-of-table IN (...)` for `table`, with
 * rowid_expr naming the rowid, and binds the value. */
static void search_in(struct pm_strbuf *sql, struct pm_sl_binds *b, const char *rowid_expr,
                      const char *table, const char *folded)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)folded; *p; p++)
        chars += (*p & 0xc0) != 0x80;
    if (chars >= 3) {
        /* An FTS5 phrase: the text in double quotes, quotes doubled. */
        struct pm_strbuf phrase;
        pm_strbuf_init(&phrase);
        pm_strbuf_append_char(&phrase, '"');
        for (const char *p = folded; *p; p++) {
            if (*p == '"')
                pm_strbuf_append_char(&phrase, '"');
            pm_strbuf_append_char(&phrase, *p);
        }
        pm_strbuf_append_char(&phrase, '"');
        pm_strbuf_appendf(sql, " AND %s IN (SELECT rowid FROM fts_%s WHERE fts_%s MATCH ?)",
                          rowid_expr, table, table);
        pm_sl_bind_text(b, phrase.data);
        pm_strbuf_fini(&phrase);
    } else {
        pm_strbuf_appendf(sql, " AND %s IN (SELECT rowid FROM fts_%s WHERE instr(names, ?) > 0)",
                          rowid_expr, table);
        pm_sl_bind_text(b, folded);
    }
}

static void search_condition(struct pm_strbuf *sql, struct pm_sl_binds *b,
                             const struct pm_collection *c, const char *folded)
{
    if (!c->search_via) {
        search_in(sql, b, "_rowid", c->base_table, folded);
        return;
    }
    /* A feature whose cities (any of the columns) have a matching name. */
    pm_strbuf_append_str(sql, " AND (0");
    const char *v = c->search_via;
    char col[PM_SL_COLUMN_MAX];
    while (pm_sl_next_column(&v, col) > 0) {
        pm_strbuf_appendf(sql, " OR %s IN (SELECT id FROM cities WHERE 1", col);
        search_in(sql, b, "rowid", "cities", folded);
        pm_strbuf_append_str(sql, ")");
    }
    pm_strbuf_append_str(sql, ")");
}

/* ` WHERE 1 AND ...` of the query's conditions; with indexed 0, as a test of one row (no
 * search of the spatial index: see pm_sl_box_condition). */
static int compile_where(struct pm_session *s, struct pm_strbuf *sql, struct pm_sl_binds *b,
                         const struct pm_collection *c, const struct pm_items_params *p,
                         int indexed, struct pm_error *err)
{
    pm_strbuf_append_str(sql, " WHERE 1");
    if (p->has_bbox) {
        pm_strbuf_append_str(sql, " AND ");
        pm_sl_box_condition(sql, b, c, p->bbox, indexed);
    }
    if (p->has_datetime) {
        /* The feature's days [_first, _last] meet the requested days. */
        if (p->datetime.first[0]) {
            pm_strbuf_append_str(sql, " AND _last >= ?");
            pm_sl_bind_text(b, p->datetime.first);
        }
        if (p->datetime.last[0]) {
            pm_strbuf_append_str(sql, " AND _first <= ?");
            pm_sl_bind_text(b, p->datetime.last);
        }
    }
    for (size_t i = 0; i < p->n_filters; i++) {
        const struct pm_filter_def *f = NULL;
        for (size_t k = 0; k < c->n_filters; k++)
            if (!strcmp(c->filters[k].param, p->filters[i].param))
                f = &c->filters[k];
        /* Not a filter of the catalog: a property (a queryable as a query parameter), which
         * pm_items_params_parse has checked to be one of the collection's. */
        const char *col = f ? f->columns : p->filters[i].param;
        if (!f && !pm_collection_property(c, col, strlen(col)))
            continue;
        pm_strbuf_append_str(sql, " AND (");
        int first = 1;
        while (*col) {
            size_t len = strcspn(col, ",");
            pm_strbuf_appendf(sql, "%s%.*s = ?", first ? "" : " OR ", (int)len, col);
            pm_sl_bind_text(b, p->filters[i].value);
            first = 0;
            col += len;
            if (*col == ',')
                col++;
        }
        pm_strbuf_append_str(sql, ")");
    }
    if (p->filter) {
        pm_strbuf_append_str(sql, " AND ");
        if (pm_sl_compile_filter(s->db, c, p->filter, indexed, sql, b, err))
            return -1;
    }
    if (p->q) {
        if (!c->has_search)
            return pm_error_set(err, 400, "InvalidParameterValue",
                                "q: the collection %s has no name search", c->id);
        char *folded = pm_sl_fold(p->q, 1, 1);
        search_condition(sql, b, c, folded);
        free(folded);
    }
    return 0;
}

static void order_by(struct pm_strbuf *sql, struct pm_sl_binds *b, const struct pm_collection *c,
                     const struct pm_items_params *p)
{
    pm_strbuf_append_str(sql, " ORDER BY ");
    if (p->n_sort) {
        for (size_t i = 0; i < p->n_sort; i++) {
            long k = p->sort[i].property;
            pm_strbuf_appendf(sql, "%s %s, ", k < 0 ? "id" : c->props[k].name,
                              p->sort[i].descending ? "DESC" : "ASC");
        }
    } else if (p->q) {
        /* Best matches first: a whole name, then the start of a name, then anywhere. */
        char *folded = pm_sl_fold(p->q, 1, 1);
        pm_strbuf_append_str(sql, "(SELECT min(CASE WHEN instr(names, '|' || ? || '|') > 0 THEN 0 "
                                  "WHEN instr(names, '|' || ?) > 0 THEN 1 ELSE 2 END) ");
        if (c->search_via) {
            /* The best of the feature's cities. */
            pm_strbuf_append_str(sql, "FROM fts_cities WHERE rowid IN (SELECT rowid FROM cities "
                                      "WHERE id IN (NULL");
            const char *v = c->search_via;
            char col[PM_SL_COLUMN_MAX];
            while (pm_sl_next_column(&v, col) > 0)
                pm_strbuf_appendf(sql, ", %s", col);
            pm_strbuf_append_str(sql, "))), ");
        } else {
            pm_strbuf_appendf(sql, "FROM fts_%s WHERE rowid = _rowid), ", c->base_table);
        }
        /* The two uses bind the same value. */
        pm_sl_bind_text(b, folded);
        pm_sl_bind_text(b, folded);
        free(folded);
    }
    pm_strbuf_append_str(sql, "id");
}

/* Whether a query's rows may come as their stored heads: the caller writes whole features
 * (every property, the geometry as stored), and the collection has them. */
static int use_heads(const struct pm_collection *c, const struct pm_items_params *p)
{
    return c->heads && p->whole_features &&
           !(p->geometry == PM_GEOMETRY_GEODESIC && strcmp(c->geometry_type, "Point"));
}

/* Whether a query's rows may come from the collection's table of heads alone: whole features
 * with no condition but a box, which the table's points answer. */
static int heads_alone(const struct pm_collection *c, const struct pm_items_params *p)
{
    return use_heads(c, p) && !p->has_datetime && !p->filter;
}

/* `SELECT id, _geojson, <properties> FROM <from>`, or with heads `SELECT id, _head FROM
 * <from>` (from NULL: the collection's view). */
static void select_columns_from(struct pm_strbuf *sql, const struct pm_collection *c,
                                const char *from, int heads)
{
    if (heads) {
        pm_strbuf_append_str(sql, "SELECT id, _head");
    } else {
        pm_strbuf_append_str(sql, "SELECT id, _geojson");
        for (size_t i = 0; i < c->n_props; i++) {
            pm_strbuf_append_str(sql, ", ");
            pm_strbuf_append_str(sql, c->props[i].name);
        }
    }
    pm_strbuf_append_str(sql, " FROM ");
    pm_strbuf_append_str(sql, from ? from : c->view);
}

static void select_columns(struct pm_strbuf *sql, const struct pm_collection *c, int heads)
{
    select_columns_from(sql, c, NULL, heads);
}

/* --- cursors ------------------------------------------------------------------------------ */

/* A feature found by a near= query: its rowid, id (for ties) and distance. */
struct near_hit {
    long long rowid;
    char *id;
    double distance;
};

struct pm_cursor {
    struct pm_session *session;
    sqlite3_stmt *stmt; /* borrowed from the session's cache: reset, not finalized */
    size_t n_props;
    struct pm_value *values;
    int heads;                 /* the rows are id and _head (select_columns) */
    int geodesic;              /* densify LineStrings along the geodesic */
    struct pm_strbuf geometry; /* the densified geometry of the current row */
    double *xy;                /* its vertices, lon/lat pairs */
    size_t cap_xy;
    struct near_hit *hits; /* near=: the page, in order; NULL for a plain query */
    size_t n_hits, next_hit;
    /* numberMatched left for later: the WHERE clause and its values, and where the page
     * starts (-1 when it starts after a feature, not at a known position). */
    const struct pm_collection *collection;
    struct pm_strbuf count_where;
    struct pm_sl_binds count_binds;
    char *count_from;     /* what count_where is of (NULL: the collection's view) */
    long long count_most; /* counted up to this; past it numberMatched is left out */
    long long page_start;
    /* A box alone, of whole features of points (direct_open): no statement; the walk gives
     * the rowids, each row's head is read by the session's blob handle. */
    int direct;
    struct pm_sl_walk walk;
    double box[4];
    long long left;        /* rows still to give */
    struct pm_strbuf head; /* the current row's head */
    struct pm_strbuf id;   /* and its id */
    sqlite3_stmt *check;   /* the exact test of an entry on the box's edge, or NULL */
    struct pm_sl_binds check_b;
};

static struct pm_cursor *cursor_new(struct pm_session *s, sqlite3_stmt *stmt,
                                    const struct pm_collection *c, int heads)
{
    struct pm_cursor *cur = pm_calloc(1, sizeof *cur);
    cur->session = s;
    cur->stmt = stmt;
    cur->heads = heads;
    if (stmt)
        pm_sl_session_pin(s, stmt, 1);
    cur->n_props = c->n_props;
    cur->values = pm_calloc(c->n_props ? c->n_props : 1, sizeof *cur->values);
    pm_strbuf_init(&cur->geometry);
    cur->collection = c;
    pm_strbuf_init(&cur->count_where);
    cur->count_most = PM_COUNT_MAX;
    cur->page_start = -1;
    return cur;
}

static int count_matches(struct pm_session *s, const char *from, const struct pm_strbuf *where,
                         const struct pm_sl_binds *b, long long most, long long *out,
                         struct pm_error *err)
{
    struct pm_strbuf sql;
    pm_strbuf_init(&sql);
    /* Counted up to one past the cap: a larger count costs more than any page. */
    pm_strbuf_appendf(&sql, "SELECT count(*) FROM (SELECT 1 FROM %s%s LIMIT %lld)", from,
                      where->data, most + 1);
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    if (!stmt)
        return -1;
    int rc = -1;
    if (pm_sl_binds_apply(stmt, b, 1) == 0 && pm_sl_step(s, stmt) == SQLITE_ROW) {
        *out = sqlite3_column_int64(stmt, 0);
        rc = 0;
    } else {
        pm_sl_db_error(err, s->db, "count");
    }
    stmt_done(stmt);
    return rc;
}

/* Geodesic distance from (lon, lat) to a Point or LineString, whatever its length. */
static double distance_to(double lon, double lat, const char *geojson)
{
    struct pm_sl_coords it;
    double prev[2] = {0, 0}, cur[2], best = INFINITY;
    int n = 0;
    pm_sl_coords_start(&it, geojson);
    while (pm_sl_coords_next(&it, cur)) {
        if (n++)
            best = fmin(best, pm_geod_point_segment_m(lon, lat, prev[0], prev[1], cur[0], cur[1]));
        prev[0] = cur[0];
        prev[1] = cur[1];
    }
    /* No coordinates: no distance (INFINITY); a lone point: the distance to it. */
    return n == 1 ? pm_geod_distance_m(lon, lat, prev[0], prev[1]) : best;
}

static int hit_order(const void *a, const void *b)
{
    const struct near_hit *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void hits_free(struct near_hit *hits, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(hits[i].id);
    free(hits);
}

/* The candidate search of a near= query: the features matching `where` whose extent meets
 * the box, with what is needed to measure them. */
static void near_sql(const struct pm_collection *c, const struct pm_strbuf *where,
                     const double box[4], struct pm_strbuf *sql, struct pm_sl_binds *b)
{
    pm_strbuf_appendf(sql, "SELECT _rowid, id, _geojson FROM %s%s AND _geom IS NOT NULL AND ",
                      c->view, where->data);
    rtree_search(sql, b, c, box);
}

/* The features matching `where` within radius of the point, with their distances: the
 * R*Tree gives those whose extent meets the box around the geodesic disc; each is measured. */
static int near_candidates(struct pm_session *s, const struct pm_collection *c,
                           const struct pm_strbuf *where, const struct pm_sl_binds *b,
                           const double point[2], double radius, struct near_hit **out,
                           size_t *n_out, struct pm_error *err)
{
    double box[4];
    struct pm_strbuf sql;
    struct pm_sl_binds all = {0};
    pm_geod_disc_bbox(point[0], point[1], radius, box);
    pm_strbuf_init(&sql);
    pm_sl_binds_append(&all, b);
    near_sql(c, where, box, &sql, &all);
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    *out = NULL;
    *n_out = 0;
    if (!stmt) {
        pm_sl_binds_fini(&all);
        return -1;
    }
    size_t cap = 0;
    int rc = pm_sl_binds_apply(stmt, &all, 1);
    while (rc == 0 && (rc = pm_sl_step(s, stmt)) == SQLITE_ROW) {
        rc = 0;
        double d = distance_to(point[0], point[1], (const char *)sqlite3_column_text(stmt, 2));
        if (d > radius)
            continue;
        if (*n_out == cap) {
            cap = cap ? cap * 2 : 64;
            *out = pm_realloc(*out, cap * sizeof **out);
        }
        struct near_hit *h = &(*out)[(*n_out)++];
        h->rowid = sqlite3_column_int64(stmt, 0);
        h->id = pm_strdup((const char *)sqlite3_column_text(stmt, 1));
        h->distance = d;
    }
    if (rc != SQLITE_DONE) {
        pm_sl_db_error(err, s->db, "near");
        hits_free(*out, *n_out);
        *out = NULL;
        *n_out = 0;
    }
    stmt_done(stmt);
    pm_sl_binds_fini(&all);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Does the query narrow the collection at all? */
static int has_conditions(const struct pm_items_params *p)
{
    return p->has_bbox || p->has_datetime || p->n_filters || p->filter || p->q;
}

/* A box round point, about radius metres each way, by a sphere's arithmetic; the whole
 * width near a pole. The near= probes need no geodesic exactness: they only size the search,
 * whose answer comes from an exact disc holding k or more (near_open). */
static void probe_box(const double point[2], double radius, double box[4])
{
    double dlat = radius / 6356752.0 * (180 / M_PI); /* the polar radius: never too small */
    double lat = point[1], coslat = cos((fabs(lat) + dlat) * M_PI / 180);
    box[1] = fmax(-90, lat - dlat);
    box[3] = fmin(90, lat + dlat);
    if (fabs(lat) + dlat >= 89 || dlat / coslat >= 180) {
        box[0] = -180;
        box[2] = 180;
        return;
    }
    double dlon = dlat / coslat;
    box[0] = point[0] - dlon < -180 ? point[0] - dlon + 360 : point[0] - dlon;
    box[2] = point[0] + dlon > 180 ? point[0] + dlon - 360 : point[0] + dlon;
}

/* How many entries of the spatial index meet the probe box of `radius` about `point`,
 * counted up to `cap`. */
static int count_in_box(struct pm_session *s, const struct pm_collection *c, const double point[2],
                        double radius, long long cap, long long *found, struct pm_error *err)
{
    double box[4];
    struct pm_strbuf sql;
    struct pm_sl_binds b = {0};
    probe_box(point, radius, box);
    pm_strbuf_init(&sql);
    pm_strbuf_appendf(&sql, "SELECT count(*) FROM (SELECT 1 FROM idx_%s_geom WHERE ",
                      c->base_table);
    rtree_boxes(&sql, &b, box);
    pm_strbuf_append_str(&sql, " LIMIT ?)");
    pm_sl_bind_int(&b, cap);
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    int rc = -1;
    if (stmt && pm_sl_binds_apply(stmt, &b, 1) == 0 && pm_sl_step(s, stmt) == SQLITE_ROW) {
        *found = sqlite3_column_int64(stmt, 0);
        rc = 0;
    } else if (stmt) {
        pm_sl_db_error(err, s->db, "near");
    }
    stmt_done(stmt);
    pm_sl_binds_fini(&b);
    return rc;
}

/* The distance from `point` to the farthest corner of its probe box of `radius`: every
 * feature counted in that box lies within it, so a disc of that radius holds them all. */
static double disc_box_reach(const double point[2], double radius)
{
    double box[4];
    probe_box(point, radius, box);
    if (box[0] > box[2] || (box[0] == -180 && box[2] == 180))
        return PM_RADIUS_MAX; /* a box round a pole or across the antimeridian: be safe */
    double reach = 0;
    for (int i = 0; i < 4; i++)
        reach = fmax(
            reach, pm_geod_distance_m(point[0], point[1], box[i & 1 ? 2 : 0], box[i & 2 ? 3 : 1]));
    return reach;
}

static int near_open(struct pm_session *s, const struct pm_collection *c,
                     const struct pm_items_params *p, const struct pm_strbuf *where,
                     const struct pm_sl_binds *b, struct pm_cursor **out, long long *matched,
                     struct pm_strbuf *count_where, struct pm_sl_binds *count_binds,
                     struct pm_error *err)
{
    struct near_hit *hits = NULL;
    size_t n = 0;
    if (p->has_radius) {
        if (near_candidates(s, c, where, b, p->near, p->radius_m, &hits, &n, err))
            return -1;
        *matched = (long long)n;
    } else {
        /* k nearest. The spatial index first says how far to look: the disc grows from 1 km
         * until its box holds k entries (each probe stops at k, so a dense place costs no
         * more than a sparse one); the k nearest then lie within the farthest corner of that
         * box. The disc grows on while the query's other conditions leave fewer than k. */
        long long k = p->offset + p->limit + 1;
        double radius = 1e3;
        while (radius < PM_RADIUS_MAX) {
            long long found;
            if (count_in_box(s, c, p->near, radius, k, &found, err))
                return -1;
            if (found >= k)
                break;
            radius *= 2;
        }
        radius = fmin(disc_box_reach(p->near, radius), PM_RADIUS_MAX);
        for (;;) {
            if (near_candidates(s, c, where, b, p->near, radius, &hits, &n, err))
                return -1;
            if ((long long)n >= k || radius >= PM_RADIUS_MAX)
                break;
            hits_free(hits, n);
            radius = fmin(radius * 2, PM_RADIUS_MAX);
        }
        /* Every placed feature that matches, ordered by distance: counted after the page,
         * and only when the query has conditions. */
        if (!has_conditions(p)) {
            *matched = c->n_placed;
        } else {
            *matched = PM_MATCHED_LATER;
            pm_strbuf_append(count_where, where->data, where->len);
            pm_strbuf_append_str(count_where, " AND _geom IS NOT NULL");
            pm_sl_binds_append(count_binds, b);
        }
    }
    if (n)
        qsort(hits, n, sizeof *hits, hit_order);
    /* Keep only the page. */
    size_t from = (size_t)p->offset < n ? (size_t)p->offset : n;
    size_t to = from + (size_t)p->limit + 1 < n ? from + (size_t)p->limit + 1 : n;
    struct near_hit *page = pm_calloc(to - from ? to - from : 1, sizeof *page);
    for (size_t i = 0; i < n; i++) {
        if (i >= from && i < to) {
            page[i - from] = hits[i];
        } else {
            free(hits[i].id);
        }
    }
    free(hits);

    struct pm_strbuf sql;
    pm_strbuf_init(&sql);
    int heads = use_heads(c, p);
    select_columns(&sql, c, heads);
    pm_strbuf_append_str(&sql, " WHERE _rowid = ?");
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    if (!stmt) {
        hits_free(page, to - from);
        return -1;
    }
    *out = cursor_new(s, stmt, c, heads);
    (*out)->hits = page;
    (*out)->n_hits = to - from;
    (*out)->page_start = p->offset;
    (*out)->geodesic = p->geometry == PM_GEOMETRY_GEODESIC;
    return 0;
}

/* --- a box, in id order, by a walk of its index in rowid order ------------------------- */

/* The loader writes every table in id order, so rowid order is id order, and the spatial
 * index carries each rowid as its third dimension (sql/load.sql). The first features of a
 * box by id are then found without touching every feature in the box: the index is walked
 * best first with the least rowid as the score (SQLite's R*Tree takes the lowest score
 * first), so its entries in the box come in rowid order and the walk stops once the page is
 * full. Its cost follows the page, not the size of the box or of the collection. Rowids are
 * exact in the index's 32-bit floats up to 2^24. */
#define RID_EXACT_MAX 16777216LL
#define PM_COUNT_BOX 2000
/* A conditioned box counts numberMatched by walking it again, each entry tested on its row:
 * it gives up (numberMatched left out) past this many entries of the box, whatever the
 * matches among them. A selective filter over a large box would otherwise read every row;
 * as it is, the count costs at most as many row tests as the box's first 2,000 entries. */
#define PM_COUNT_WALK 2000

/* The index of c's trees in the store's (internal.h: pm_sl_store.trees). */
static size_t geom_tree(const struct pm_session *s, const struct pm_collection *c)
{
    return 2 * (size_t)(c - s->store->base.catalog.collections);
}

static size_t rid_tree(const struct pm_session *s, const struct pm_collection *c)
{
    return geom_tree(s, c) + 1;
}

/* Can a query go by the rowid walk? One with a box (bbox=, or S_INTERSECTS with a BBOX at
 * the top of a CQL2 filter), from the start or after a feature, into *box. Points and lines
 * alike: every candidate the walk gives is tested on its row (walk_open), and a plain box
 * counts numberMatched from the index (box_count). */
static int walkable(const struct pm_items_params *p, double box[4])
{
    /* Equality filters are left to the general way, whose plan may use an index of theirs:
     * a walk over a large box for a few matches would test every row in it. */
    if (p->q || p->n_sort || p->before || p->offset || p->has_near || p->n_filters ||
        (p->filter && pm_sl_filter_has_equality(p->filter)))
        return 0;
    if (p->has_bbox)
        memcpy(box, p->bbox, sizeof p->bbox);
    return p->has_bbox || (p->filter && pm_sl_filter_box(p->filter, box));
}

/* A box query by the walk (see above), joined to the rows, each tested on every condition
 * (the box's exact test, and the others), in one statement that stops at the end of the
 * page. It relies on the join keeping the walk's order, which CROSS JOIN (no reordering: the
 * index is the outer loop) and the rowid lookup of each row give. The walk itself passes
 * over a line whose segment clearly misses the box (pm_sl_entry_verdict) without its row.
 * numberMatched is counted the same way (from the start of the box), after the page and only
 * up to PM_COUNT_BOX matches among at most PM_COUNT_WALK entries: a count further than that
 * would cost more than the page. */
static int walk_open(struct pm_session *s, const struct pm_collection *c,
                     const struct pm_items_params *p, const double box[4], long long lo,
                     struct pm_cursor **out, long long *matched_out, struct pm_strbuf *count_where,
                     struct pm_sl_binds *count_binds, struct pm_error *err)
{
    struct pm_strbuf where, sql;
    struct pm_sl_binds b = {0};
    pm_strbuf_init(&where);
    pm_strbuf_init(&sql);
    /* A box alone, of whole features, is answered from the table of heads, which holds the
     * point of each for the box's exact test. */
    int heads = use_heads(c, p);
    const char *rows = heads_alone(c, p) ? c->heads : c->view;
    char *from = pm_asprintf("pm_walk AS r CROSS JOIN %s AS v", rows);
    int rc = compile_where(s, &where, &b, c, p, 0, err);
    if (rc == 0) {
        /* The collection's idx_<table>_rid, the box, and the rowid to start from. */
        pm_strbuf_append_str(&where, " AND v._rowid = r.rid AND r.tree = ? AND r.w = ? AND "
                                     "r.s = ? AND r.e = ? AND r.n = ? AND r.lo = ? AND r.most = ?");
        pm_sl_bind_int(&b, (long long)rid_tree(s, c));
        for (int i = 0; i < 4; i++)
            pm_sl_bind_double(&b, box[i]);
        /* The count from the start of the box; the page from lo. */
        pm_strbuf_reset(count_where);
        pm_strbuf_append(count_where, where.data, where.len);
        pm_sl_binds_fini(count_binds);
        pm_sl_binds_append(count_binds, &b);
        pm_sl_bind_int(count_binds, 0);
        pm_sl_bind_int(count_binds, PM_COUNT_WALK);
        pm_sl_bind_int(&b, lo);
        pm_sl_bind_int(&b, 0); /* the page stops at its LIMIT */
        select_columns_from(&sql, c, from, heads);
        pm_strbuf_append(&sql, where.data, where.len);
        pm_strbuf_append_str(&sql, " LIMIT ?");
        pm_sl_bind_int(&b, p->limit + 1);
        sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
        if (!stmt || pm_sl_binds_apply(stmt, &b, 1)) {
            if (stmt)
                pm_sl_db_error(err, s->db, "bind");
            stmt_done(stmt);
            rc = -1;
        } else {
            *out = cursor_new(s, stmt, c, heads);
            (*out)->page_start = p->after ? -1 : 0;
            (*out)->count_from = from;
            (*out)->count_most = PM_COUNT_BOX;
            from = NULL;
            *matched_out = PM_MATCHED_LATER;
        }
    }
    free(from);
    pm_strbuf_fini(&where);
    pm_strbuf_fini(&sql);
    pm_sl_binds_fini(&b);
    return rc ? -1 : 1;
}

/* The exact test of one candidate of the index (which holds 32-bit floats, rounded
 * outwards): `SELECT 1 FROM rows WHERE _rowid = ?1 AND (box)`, the box's values from ?2; rows
 * is the collection's view or its table of heads (which holds a point's _x, _y too). */
static void check_sql_for(const struct pm_collection *c, const char *rows, const double box[4],
                          struct pm_strbuf *sql, struct pm_sl_binds *b)
{
    pm_strbuf_appendf(sql, "SELECT 1 FROM %s WHERE _rowid = ? AND ", rows);
    exact_boxes(sql, b, c, box);
}

/* Test one candidate on its row with a statement of check_sql_for: 1 if it matches, 0 if
 * not, -1 with err. */
static int check_row(struct pm_session *s, sqlite3_stmt *check, const struct pm_sl_binds *check_b,
                     long long rowid, struct pm_error *err)
{
    pm_sl_binds_apply(check, check_b, 2);
    sqlite3_bind_int64(check, 1, rowid);
    int step = pm_sl_step(s, check);
    sqlite3_reset(check);
    if (step == SQLITE_ROW || step == SQLITE_DONE)
        return step == SQLITE_ROW;
    return pm_sl_db_error(err, s->db, "check");
}

/* --- a box alone, of whole features of points, without SQL ---------------------------- */

/* Can the page of a box go by direct_open: whole features of a collection of points with
 * heads, no condition but the box (not across the antimeridian, whose count walks in SQL)? */
static int direct_fits(const struct pm_collection *c, const struct pm_items_params *p,
                       const double box[4])
{
    return heads_alone(c, p) && !strcmp(c->geometry_type, "Point") && box[0] <= box[2];
}

/* The page of a box as a walk of the index in rowid order (the rowids from lo on), each
 * entry's head read from the table of heads by rowid with the session's blob handle: no
 * statement steps a row. An entry that clearly lies inside the box is given as it is; one too
 * close to its edge for the index's floats to tell is tested on its row (check_sql_for). */
static int direct_open(struct pm_session *s, const struct pm_collection *c,
                       const struct pm_items_params *p, const double box[4], long long lo,
                       struct pm_cursor **out, struct pm_error *err)
{
    struct pm_cursor *cur = cursor_new(s, NULL, c, 1);
    cur->direct = 1;
    memcpy(cur->box, box, sizeof cur->box);
    cur->left = p->limit + 1;
    cur->page_start = p->after ? -1 : 0;
    pm_strbuf_init(&cur->head);
    pm_strbuf_init(&cur->id);
    if (pm_sl_walk_start(&cur->walk, &s->rtrees, rid_tree(s, c), box, lo, 0)) {
        pm_sl_cursor_close(cur);
        return pm_error_set(err, 500, "ServerError", "the spatial index of %s cannot be read",
                            c->id);
    }
    *out = cur;
    return 0;
}

/* Is the point of this edge entry in the box? 1, 0, or -1 with err. */
static int direct_check(struct pm_cursor *cur, sqlite3_int64 rid, struct pm_error *err)
{
    struct pm_session *s = cur->session;
    if (!cur->check) {
        struct pm_strbuf sql;
        pm_strbuf_init(&sql);
        check_sql_for(cur->collection, cur->collection->heads, cur->box, &sql, &cur->check_b);
        cur->check = pm_sl_session_stmt(s, sql.data, err);
        pm_strbuf_fini(&sql);
        if (!cur->check)
            return -1;
        pm_sl_session_pin(s, cur->check, 1);
    }
    return check_row(s, cur->check, &cur->check_b, rid, err);
}

/* The head of row rid into cur->head, and its id (the slug after "id":") into cur->id. */
static int direct_read(struct pm_cursor *cur, sqlite3_int64 rid, struct pm_error *err)
{
    static const char prefix[] = "{\"type\":\"Feature\",\"id\":\"";
    struct pm_session *s = cur->session;
    const char *table = cur->collection->heads;
    int rc = SQLITE_ERROR;
    if (s->heads_blob && s->heads_blob_table == table)
        rc = sqlite3_blob_reopen(s->heads_blob, rid);
    if (rc != SQLITE_OK) {
        /* None yet, one of another table, or one that failed to move: a new one. */
        sqlite3_blob_close(s->heads_blob);
        s->heads_blob = NULL;
        rc = sqlite3_blob_open(s->db, "main", table, "_head", rid, 0, &s->heads_blob);
        s->heads_blob_table = rc == SQLITE_OK ? table : NULL;
    }
    int n = rc == SQLITE_OK ? sqlite3_blob_bytes(s->heads_blob) : 0;
    if (rc == SQLITE_OK) {
        pm_strbuf_reset(&cur->head);
        char *w = pm_strbuf_reserve(&cur->head, (size_t)n);
        rc = sqlite3_blob_read(s->heads_blob, w, n, 0);
        if (rc == SQLITE_OK)
            pm_strbuf_set_end(&cur->head, w + n);
    }
    if (rc != SQLITE_OK)
        return pm_sl_db_error(err, s->db, "read a head");
    /* The load's checks make every id a slug (a-z, 0-9 and -): it stands in the head as it
     * is, ended by the first quote. */
    const char *id = cur->head.data + sizeof prefix - 1;
    size_t len = (size_t)n >= sizeof prefix - 1 ? strcspn(id, "\"\\") : 0;
    if (!len || id[len] != '"' || memcmp(cur->head.data, prefix, sizeof prefix - 1))
        return pm_error_set(err, 500, "ServerError", "the head of row %lld of %s is malformed",
                            (long long)rid, table);
    pm_strbuf_reset(&cur->id);
    pm_strbuf_append(&cur->id, id, len);
    return 0;
}

static int direct_next(struct pm_cursor *cur, struct pm_feature_row *row, struct pm_error *err)
{
    while (cur->left > 0) {
        sqlite3_int64 rid;
        float b[6];
        int rc = pm_sl_walk_next(&cur->walk, &rid, b);
        if (rc < 0)
            return pm_error_set(err, 500, "ServerError", "the spatial index of %s cannot be read",
                                cur->collection->id);
        if (rc == 0)
            return 0;
        const double e[4] = {b[0], b[1], b[2], b[3]};
        int verdict = pm_sl_entry_verdict(0, rid, e, cur->box);
        if (verdict == PM_SL_OUTSIDE)
            continue;
        if (verdict == PM_SL_EDGE) {
            int in = direct_check(cur, rid, err);
            if (in < 0)
                return -1;
            if (!in)
                continue;
        }
        if (direct_read(cur, rid, err))
            return -1;
        cur->left--;
        row->id = cur->id.data;
        row->head = cur->head.data;
        row->head_len = cur->head.len;
        row->geometry = NULL;
        row->values = cur->values; /* not read */
        row->has_distance = 0;
        return 1;
    }
    return 0;
}

/* One integer of a one-row query with the values b; *found says whether there was one
 * (*out is untouched when not). */
static int query_binds_int(struct pm_session *s, const char *sql, const struct pm_sl_binds *b,
                           long long *out, int *found, struct pm_error *err)
{
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql, err);
    if (!stmt)
        return -1;
    pm_sl_binds_apply(stmt, b, 1);
    int rc = pm_sl_step(s, stmt);
    *found = rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL;
    if (*found)
        *out = sqlite3_column_int64(stmt, 0);
    stmt_done(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return pm_sl_db_error(err, s->db, "query");
    return 0;
}

/* numberMatched of a box (not across the antimeridian) from the spatial index, up to
 * PM_COUNT_BOX (*out = -1 past it, or when more than PM_COUNT_BOX entries meet the box's
 * edge: those are tested one by one, and a count of matches among the first of them would
 * say nothing of the rest). The index counts what clearly meets the box without reading rows
 * (pm_sl_rtree_count: a point inside it, a segment clearly crossing it; a part of the tree
 * inside it by the count kept for it, unread); only entries too close to its edge to tell are
 * tested on their rows. Points are counted in idx_<table>_geom, whose nodes are the tightest;
 * lines in idx_<table>_rid, whose ids carry the rising bit. */
static int box_count(struct pm_session *s, const struct pm_collection *c, const double box[4],
                     long long *out, struct pm_error *err)
{
    int lines = strcmp(c->geometry_type, "Point") != 0;
    struct pm_sl_rtree_counted *n = &s->counted;
    if (pm_sl_rtree_count(&s->rtrees, lines ? rid_tree(s, c) : geom_tree(s, c), box, PM_COUNT_BOX,
                          n))
        return pm_error_set(err, 500, "ServerError", "the spatial index of %s cannot be read",
                            c->id);
    *out = -1;
    if (n->inside > PM_COUNT_BOX || n->n_edge > PM_COUNT_BOX)
        return 0;
    long long matches = 0;
    int rc = 0;
    if (n->n_edge > 0) {
        struct pm_strbuf check_sql;
        struct pm_sl_binds check_b = {0};
        pm_strbuf_init(&check_sql);
        check_sql_for(c, c->view, box, &check_sql, &check_b);
        sqlite3_stmt *check = pm_sl_session_stmt(s, check_sql.data, err);
        pm_strbuf_fini(&check_sql);
        rc = check ? 0 : -1;
        for (size_t k = 0; rc == 0 && k < n->n_edge; k++) {
            /* A segment's id is 2 * rowid + rising. */
            int m = check_row(s, check, &check_b, lines ? n->edge[k] / 2 : n->edge[k], err);
            if (m < 0)
                rc = -1;
            matches += m > 0;
        }
        stmt_done(check);
        pm_sl_binds_fini(&check_b);
    }
    if (rc == 0 && n->inside + matches <= PM_COUNT_BOX)
        *out = n->inside + matches;
    return rc;
}

/* The same with one text or no parameter. */
static int query_int(struct pm_session *s, const char *sql, const char *text, long long *out,
                     int *found, struct pm_error *err)
{
    struct pm_sl_binds b = {0};
    if (text)
        pm_sl_bind_text(&b, text);
    int rc = query_binds_int(s, sql, &b, out, found, err);
    pm_sl_binds_fini(&b);
    return rc;
}

/* A box query in id order (see above), with or without other conditions: 1 with the cursor,
 * 0 when the query does not qualify (the caller takes the general way), -1 with err. */
static int box_open(struct pm_session *s, const struct pm_collection *c,
                    const struct pm_items_params *p, struct pm_cursor **out, long long *matched_out,
                    struct pm_strbuf *count_where, struct pm_sl_binds *count_binds,
                    struct pm_error *err)
{
    double box[4];
    if (!walkable(p, box))
        return 0;
    int conditioned = p->has_datetime || p->n_filters || p->filter;
    if (!conditioned && box_holds_extent(c, p->bbox)) {
        /* Every feature with a geometry: the first by id, and as many as the catalog says. */
        *matched_out = c->n_placed;
        return 0;
    }
    if (c->max_rowid >= RID_EXACT_MAX)
        return 0;
    long long lo = 1;
    if (p->after) {
        /* Rowid order is id order: the page starts past the greatest id up to p->after. */
        long long r;
        int found;
        char *sql = pm_asprintf("SELECT rowid FROM %s WHERE id <= ? ORDER BY id DESC LIMIT 1",
                                c->base_table);
        int rc = query_int(s, sql, p->after, &r, &found, err);
        free(sql);
        if (rc)
            return -1;
        if (found)
            lo = r + 1;
    }
    /* numberMatched of a plain box from the index alone (across the antimeridian, where an
     * entry may meet both halves, as the walk counts). */
    long long matched = -1;
    int countable = !conditioned && p->bbox[0] <= p->bbox[2];
    if (countable && box_count(s, c, p->bbox, &matched, err))
        return -1;
    if (countable && direct_fits(c, p, box)) {
        if (direct_open(s, c, p, box, lo, out, err))
            return -1;
        *matched_out = matched;
        return 1;
    }
    int rc = walk_open(s, c, p, box, lo, out, matched_out, count_where, count_binds, err);
    if (rc > 0 && countable)
        *matched_out = matched;
    return rc;
}

/* The id a page must start at to end just before p->before: limit features back from it
 * (NULL when fewer lie before it), and whether any feature lies before that start. */
static int page_start_before(struct pm_session *s, const struct pm_collection *c,
                             const struct pm_strbuf *where, const struct pm_sl_binds *b,
                             const struct pm_items_params *p, char **start, int *more_before,
                             struct pm_error *err)
{
    struct pm_strbuf sql;
    struct pm_sl_binds all = {0};
    pm_strbuf_init(&sql);
    pm_strbuf_appendf(&sql, "SELECT id FROM %s%s AND id < ? ORDER BY id DESC LIMIT 2 OFFSET ?",
                      c->view, where->data);
    pm_sl_binds_append(&all, b);
    pm_sl_bind_text(&all, p->before);
    pm_sl_bind_int(&all, p->limit - 1);
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    *start = NULL;
    *more_before = 0;
    int rc = -1;
    if (stmt && pm_sl_binds_apply(stmt, &all, 1) == 0) {
        int step = pm_sl_step(s, stmt);
        if (step == SQLITE_ROW) {
            *start = pm_strdup((const char *)sqlite3_column_text(stmt, 0));
            step = pm_sl_step(s, stmt);
            *more_before = step == SQLITE_ROW;
        }
        if (step == SQLITE_ROW || step == SQLITE_DONE)
            rc = 0;
        else
            pm_sl_db_error(err, s->db, "page start");
    }
    stmt_done(stmt);
    pm_sl_binds_fini(&all);
    return rc;
}

int pm_sl_items_open(struct pm_session *s, const struct pm_collection *c,
                     const struct pm_items_params *p, struct pm_cursor **out, long long *matched,
                     int *from_start, struct pm_error *err)
{
    struct pm_strbuf where, sql, count_where;
    struct pm_sl_binds b = {0}, count_binds = {0};
    pm_strbuf_init(&count_where);
    int rc = -1;
    pm_strbuf_init(&where);
    pm_strbuf_init(&sql);
    *out = NULL;
    *from_start = !p->after && !p->before && p->offset == 0;
    if (p->has_near && p->n_sort) {
        pm_error_set(err, 400, "InvalidParameterValue",
                     "sortby: not with near=, whose results are ordered by distance");
        goto done;
    }
    if (compile_where(s, &where, &b, c, p, 1, err))
        goto done;
    if (p->has_near) {
        rc = near_open(s, c, p, &where, &b, out, matched, &count_where, &count_binds, err);
        goto done;
    }
    /* The count is taken after the page (pm_sl_cursor_matched): a page that holds the last
     * match needs none. The WHERE clause is kept for it, without the paging conditions. */
    *matched = has_conditions(p) ? PM_MATCHED_LATER : c->n_features;
    pm_strbuf_append(&count_where, where.data, where.len);
    pm_sl_binds_append(&count_binds, &b);
    int walked = box_open(s, c, p, out, matched, &count_where, &count_binds, err);
    if (walked) {
        rc = walked < 0 ? -1 : 0;
        goto done;
    }
    select_columns(&sql, c, use_heads(c, p));
    pm_strbuf_append(&sql, where.data, where.len);
    /* Paging by key: the page after a feature, or the one that ends just before it. */
    if (p->after) {
        pm_strbuf_append_str(&sql, " AND id > ?");
        pm_sl_bind_text(&b, p->after);
    } else if (p->before) {
        char *start = NULL;
        int more_before;
        if (page_start_before(s, c, &where, &b, p, &start, &more_before, err))
            goto done;
        *from_start = !more_before;
        /* From that id on, a page and one more: the page ends just before p->before, and
         * the one more says a next page exists. When fewer than a page lie before it, the
         * page before is the first page. */
        if (start) {
            pm_strbuf_append_str(&sql, " AND id >= ?");
            pm_sl_bind_text(&b, start);
            free(start);
        }
    }
    order_by(&sql, &b, c, p);
    pm_strbuf_append_str(&sql, " LIMIT ? OFFSET ?");
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
    if (!stmt)
        goto done;
    if (pm_sl_binds_apply(stmt, &b, 1) ||
        sqlite3_bind_int64(stmt, (int)b.n + 1, p->limit + 1) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, (int)b.n + 2, p->offset) != SQLITE_OK) {
        sqlite3_reset(stmt);
        pm_sl_db_error(err, s->db, "bind");
        goto done;
    }
    *out = cursor_new(s, stmt, c, use_heads(c, p));
    (*out)->geodesic = p->geometry == PM_GEOMETRY_GEODESIC;
    (*out)->page_start = p->after || p->before ? -1 : p->offset;
    rc = 0;
done:
    if (rc == 0 && *matched == PM_MATCHED_LATER) {
        /* What the count after the page needs: the cursor takes the WHERE clause over. */
        pm_strbuf_fini(&(*out)->count_where);
        (*out)->count_where = count_where;
        (*out)->count_binds = count_binds;
        pm_strbuf_init(&count_where);
        memset(&count_binds, 0, sizeof count_binds);
    }
    pm_strbuf_fini(&count_where);
    pm_sl_binds_fini(&count_binds);
    pm_strbuf_fini(&where);
    pm_strbuf_fini(&sql);
    pm_sl_binds_fini(&b);
    return rc;
}

int pm_sl_cursor_matched(struct pm_cursor *cur, long returned, int more, long long *matched,
                         struct pm_error *err)
{
    if (!more && cur->page_start >= 0) {
        *matched = cur->page_start + returned;
        return 0;
    }
    if (count_matches(cur->session, cur->count_from ? cur->count_from : cur->collection->view,
                      &cur->count_where, &cur->count_binds, cur->count_most, matched, err))
        return -1;
    if (*matched > cur->count_most || (cur->count_from && cur->session->rtrees.capped))
        *matched = -1;
    return 0;
}

int pm_sl_summarize(struct pm_session *s, const struct pm_collection *c,
                    const struct pm_items_params *p, const struct pm_summary_request *req,
                    struct pm_summary *out, struct pm_error *err)
{
    struct pm_strbuf where, sql;
    struct pm_sl_binds b = {0};
    int rc = -1;
    memset(out, 0, sizeof *out);
    pm_strbuf_init(&where);
    pm_strbuf_init(&sql);
    if (compile_where(s, &where, &b, c, p, 1, err))
        goto done;
    /* One query: the groups, and (GROUP BY with ROLLUP being absent from SQLite) the totals
     * as a UNION ALL row that sorts first. */
    for (int total = 1; total >= 0; total--) {
        if (!total)
            pm_strbuf_append_str(&sql, " UNION ALL ");
        pm_strbuf_appendf(&sql, "SELECT %d, ", total);
        if (total || req->group_by == PM_GROUP_NONE)
            pm_strbuf_append_str(&sql, "NULL");
        else if (req->group_by == PM_GROUP_YEAR)
            pm_strbuf_append_str(&sql, "substr(_first, 1, 4)");
        else
            pm_strbuf_append_str(&sql, c->props[req->group_by].name);
        pm_strbuf_append_str(&sql, ", count(*)");
        for (size_t i = 0; i < req->n_counts; i++)
            pm_strbuf_appendf(&sql, ", count(DISTINCT %s)", c->props[req->counts[i]].name);
        pm_strbuf_appendf(&sql, " FROM %s%s", c->view, where.data);
        if (!total)
            pm_strbuf_append_str(&sql, " GROUP BY 2");
        if (req->group_by == PM_GROUP_NONE)
            break;
    }
    pm_strbuf_append_str(&sql, " ORDER BY 1 DESC, 2");
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
    if (!stmt)
        goto done;
    /* The WHERE clause appears once per part of the UNION, with the same values. */
    int parts = req->group_by == PM_GROUP_NONE ? 1 : 2, ok = 1;
    for (int i = 0; i < parts && ok; i++)
        ok = pm_sl_binds_apply(stmt, &b, 1 + i * (int)b.n) == 0;
    int step = SQLITE_ERROR;
    while (ok && (step = pm_sl_step(s, stmt)) == SQLITE_ROW) {
        long long *distinct;
        if (sqlite3_column_int(stmt, 0)) {
            out->count = sqlite3_column_int64(stmt, 2);
            distinct = out->distinct;
        } else {
            out->groups = pm_realloc(out->groups, (out->n_groups + 1) * sizeof *out->groups);
            struct pm_summary_group *g = &out->groups[out->n_groups++];
            memset(g, 0, sizeof *g);
            const unsigned char *key = sqlite3_column_text(stmt, 1);
            g->key = key ? pm_strdup((const char *)key) : NULL;
            g->count = sqlite3_column_int64(stmt, 2);
            distinct = g->distinct;
        }
        for (size_t i = 0; i < req->n_counts; i++)
            distinct[i] = sqlite3_column_int64(stmt, 3 + (int)i);
    }
    if (!ok || step != SQLITE_DONE) {
        pm_sl_db_error(err, s->db, "summary");
        pm_summary_fini(out);
    } else {
        rc = 0;
    }
    stmt_done(stmt);
done:
    pm_strbuf_fini(&where);
    pm_strbuf_fini(&sql);
    pm_sl_binds_fini(&b);
    return rc;
}

int pm_sl_feature_open(struct pm_session *s, const struct pm_collection *c, const char *id,
                       struct pm_cursor **out, struct pm_error *err)
{
    struct pm_strbuf sql;
    pm_strbuf_init(&sql);
    select_columns(&sql, c, 0);
    pm_strbuf_append_str(&sql, " WHERE id = ?");
    sqlite3_stmt *stmt = pm_sl_session_stmt(s, sql.data, err);
    pm_strbuf_fini(&sql);
    if (!stmt)
        return -1;
    if (sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        sqlite3_reset(stmt);
        return pm_sl_db_error(err, s->db, "bind");
    }
    *out = cursor_new(s, stmt, c, 0);
    return 0;
}

static void read_row(struct pm_cursor *cur, struct pm_feature_row *row)
{
    row->id = (const char *)sqlite3_column_text(cur->stmt, 0);
    row->has_distance = 0;
    if (cur->heads) {
        row->head = (const char *)sqlite3_column_text(cur->stmt, 1);
        row->head_len = (size_t)sqlite3_column_bytes(cur->stmt, 1);
        row->geometry = NULL;
        row->values = cur->values; /* not read */
        return;
    }
    row->head = NULL;
    row->geometry = (const char *)sqlite3_column_text(cur->stmt, 1);
    /* One call into the statement per column; the value's own accessors are cheaper. The
     * value is "unprotected" (SQLite's word: read without the connection's mutex), which is
     * safe here, as a session is only ever used by one thread at a time. */
    for (size_t i = 0; i < cur->n_props; i++)
        pm_sl_value_of(sqlite3_column_value(cur->stmt, (int)i + 2), &cur->values[i]);
    row->values = cur->values;
    if (cur->geodesic && row->geometry && strstr(row->geometry, "\"LineString\"")) {
        struct pm_sl_coords it;
        double pt[2];
        size_t n = 0;
        pm_sl_coords_start(&it, row->geometry);
        while (pm_sl_coords_next(&it, pt)) {
            if (2 * n + 2 > cur->cap_xy) {
                cur->cap_xy = cur->cap_xy ? 2 * cur->cap_xy : 16;
                cur->xy = pm_realloc(cur->xy, cur->cap_xy * sizeof *cur->xy);
            }
            cur->xy[2 * n] = pt[0];
            cur->xy[2 * n + 1] = pt[1];
            n++;
        }
        pm_strbuf_reset(&cur->geometry);
        pm_geod_densify_geojson(cur->xy, n, 50e3, &cur->geometry);
        row->geometry = cur->geometry.data;
    }
}

int pm_sl_cursor_next(struct pm_cursor *cur, struct pm_feature_row *row, struct pm_error *err)
{
    if (cur->direct)
        return direct_next(cur, row, err);
    if (cur->hits) {
        if (cur->next_hit == cur->n_hits)
            return 0;
        const struct near_hit *h = &cur->hits[cur->next_hit++];
        sqlite3_reset(cur->stmt);
        sqlite3_bind_int64(cur->stmt, 1, h->rowid);
        if (pm_sl_step(cur->session, cur->stmt) != SQLITE_ROW)
            return pm_sl_db_error(err, cur->session->db, "step");
        read_row(cur, row);
        row->has_distance = 1;
        row->distance_m = h->distance;
        return 1;
    }
    int rc = pm_sl_step(cur->session, cur->stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return pm_sl_db_error(err, cur->session->db, "step");
    read_row(cur, row);
    return 1;
}

void pm_sl_cursor_close(struct pm_cursor *cur)
{
    stmt_done(cur->stmt);
    if (cur->stmt)
        pm_sl_session_pin(cur->session, cur->stmt, 0);
    pm_sl_walk_fini(&cur->walk);
    pm_strbuf_fini(&cur->head);
    pm_strbuf_fini(&cur->id);
    stmt_done(cur->check);
    if (cur->check)
        pm_sl_session_pin(cur->session, cur->check, 0);
    pm_sl_binds_fini(&cur->check_b);
    hits_free(cur->hits, cur->n_hits);
    pm_strbuf_fini(&cur->geometry);
    free(cur->xy);
    pm_strbuf_fini(&cur->count_where);
    pm_sl_binds_fini(&cur->count_binds);
    free(cur->count_from);
    free(cur->values);
    free(cur);
}

/* Append the EXPLAIN QUERY PLAN of sql (with its values) to plan. */
static int explain_sql(struct pm_session *s, const char *sql, const struct pm_sl_binds *b,
                       struct pm_strbuf *plan, struct pm_error *err)
{
    char *text = pm_asprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, text, -1, &st, NULL) == SQLITE_OK) {
        pm_sl_binds_apply(st, b, 1);
        while (sqlite3_step(st) == SQLITE_ROW)
            pm_strbuf_appendf(plan, "%s\n", (const char *)sqlite3_column_text(st, 3));
        sqlite3_finalize(st);
        rc = 0;
    } else {
        pm_sl_db_error(err, s->db, "explain");
    }
    free(text);
    return rc;
}

int pm_spatialite_explain(struct pm_store *st, const struct pm_collection *c,
                          const struct pm_items_params *p, struct pm_strbuf *plan,
                          struct pm_error *err)
{
    struct pm_session *s;
    struct pm_strbuf where, sql;
    struct pm_sl_binds b = {0};
    int rc = -1;
    if (pm_store_borrow(st, &s, err))
        return -1;
    pm_strbuf_init(&where);
    pm_strbuf_init(&sql);
    if (compile_where(s, &where, &b, c, p, 1, err))
        goto done;
    if (p->has_near) {
        double box[4];
        pm_geod_disc_bbox(p->near[0], p->near[1], p->has_radius ? p->radius_m : 50e3, box);
        near_sql(c, &where, box, &sql, &b);
    } else {
        select_columns(&sql, c, 0);
        pm_strbuf_append(&sql, where.data, where.len);
        order_by(&sql, &b, c, p);
    }
    rc = explain_sql(s, sql.data, &b, plan, err);
done:
    pm_strbuf_fini(&where);
    pm_strbuf_fini(&sql);
    pm_sl_binds_fini(&b);
    pm_store_release(st, s);
    return rc;
}
