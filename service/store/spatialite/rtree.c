/*
 * The spatial indexes as the server reads them. Each idx_<table>_geom and idx_<table>_rid is
 * an SQLite R*Tree that `load` packs (load.c) and nothing writes afterwards (the server opens
 * the file immutable), so its nodes can be read as they are stored. At open, every node above
 * the leaves is read into memory with the number of entries under each of its cells: at a
 * million entries, about 400 nodes of 20,000. A leaf is read when a request first needs it,
 * one statement step, decoded, and kept for every later request (leaf_get): none of the R*Tree
 * module's work per cell (a callback with the cell's coordinates as doubles, a queue entry for
 * each, a blob handle for each node), and no reading or decoding of a leaf twice.
 *
 * - pm_sl_rtree_count: how many entries meet a box, up to a cap. A cell whose box lies inside
 *   the query box adds its count unread, so that a box holding more than the cap is known as
 *   such from memory alone.
 * - pm_walk, a table-valued function: the entries of an idx_<table>_rid (whose third dimension
 *   is the rowid) that meet a box, in rowid order: best first, from a queue keyed by the
 *   least rowid under each cell, in which an opened leaf (its entries in rowid order) stands
 *   as one item at its next entry. It stops when its caller does (the end of the page).
 *
 * The format, as SQLite's ext/rtree/rtree.c writes it: node 1 is the root, and its first two
 * bytes give the depth of the tree (0: the root is a leaf). Every node: two bytes the root's
 * depth or unused, two bytes its number of cells, then the cells, each an 8-byte id (a child's
 * node number, or at a leaf the entry's id) and two 4-byte floats per dimension, min then max;
 * all big-endian.
 */
#include "internal.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_LEAF -1  /* a cell whose id is the node number of a leaf, read when needed */
#define RT_ENTRY -2 /* a cell that is an entry: its id is the entry's */
#define RT_MAX_DEPTH 40

struct rt_cell {
    float box[6]; /* xmin, xmax, ymin, ymax[, rmin, rmax] */
    sqlite3_int64 id;
    int32_t child;  /* the node in memory below, or RT_LEAF or RT_ENTRY */
    uint32_t count; /* the entries under the cell */
};

struct rt_node {
    uint32_t first, n; /* its cells: cells[first .. first + n) */
};

/* A leaf, decoded: its entries' ids and boxes. */
struct rt_entry {
    float box[6]; /* as rt_cell */
    sqlite3_int64 id;
};
struct rt_leaf {
    int n;
    struct rt_entry e[];
};

struct pm_sl_rtree {
    char *name;
    char *leaf_sql; /* SELECT data FROM "<name>_node" WHERE nodeno = ? */
    int dims, lines;
    int cell_size;
    struct rt_node *nodes; /* nodes[0] is the root */
    size_t n_nodes;
    struct rt_cell *cells;
    size_t n_cells;
    /* The leaves read so far, decoded, by node number (up to the greatest of a leaf): shared
     * by all connections, each set once (leaf_get) and freed with the tree. */
    _Atomic(struct rt_leaf *) *leaves;
    size_t n_leaf_slots;
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static sqlite3_int64 be64(const unsigned char *p)
{
    return (sqlite3_int64)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Coordinate k of the cell at p (xmin, xmax, ymin, ymax, ...). */
static float cell_coord(const unsigned char *p, int k)
{
    uint32_t u = be32(p + 8 + 4 * k);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void cell_box(const unsigned char *p, int dims, float *box)
{
    for (int k = 0; k < 2 * dims; k++)
        box[k] = cell_coord(p, k);
}

/* Node `no`: its data (valid until st is reset) and its number of cells, or -1 when it is
 * missing or malformed. */
static int read_node(sqlite3_stmt *st, sqlite3_int64 no, int cell_size, const unsigned char **data)
{
    sqlite3_bind_int64(st, 1, no);
    if (sqlite3_step(st) != SQLITE_ROW)
        return -1;
    const unsigned char *d = sqlite3_column_blob(st, 0);
    int bytes = sqlite3_column_bytes(st, 0);
    if (!d || bytes < 4)
        return -1;
    int n = d[2] << 8 | d[3];
    if (4 + n * cell_size > bytes)
        return -1;
    *data = d;
    return n;
}

/* Read node `no` at `level` into memory with what lies above the leaves under it; its index
 * in t->nodes, or -1. *count: the entries under it. */
static int load_node(struct pm_sl_rtree *t, sqlite3_stmt *st, sqlite3_int64 no, int level,
                     uint32_t *count)
{
    const unsigned char *d;
    int n = read_node(st, no, t->cell_size, &d);
    if (n < 0) {
        sqlite3_reset(st);
        return -1;
    }
    size_t index = t->n_nodes++, first = t->n_cells;
    t->nodes = pm_realloc(t->nodes, t->n_nodes * sizeof *t->nodes);
    t->nodes[index] = (struct rt_node){(uint32_t)first, (uint32_t)n};
    t->n_cells += (size_t)n;
    t->cells = pm_realloc(t->cells, (t->n_cells ? t->n_cells : 1) * sizeof *t->cells);
    for (int i = 0; i < n; i++) {
        struct rt_cell *c = &t->cells[first + (size_t)i];
        memset(c, 0, sizeof *c);
        c->id = be64(d + 4 + i * t->cell_size);
        cell_box(d + 4 + i * t->cell_size, t->dims, c->box);
        c->child = level > 0 ? RT_LEAF : RT_ENTRY;
        c->count = 1;
    }
    sqlite3_reset(st);
    *count = 0;
    for (int i = 0; i < n; i++) {
        struct rt_cell *c = &t->cells[first + (size_t)i];
        if (level > 1) {
            uint32_t below;
            int child = load_node(t, st, c->id, level - 1, &below);
            if (child < 0)
                return -1;
            c = &t->cells[first + (size_t)i]; /* the array may have moved */
            c->child = child;
            c->count = below;
        } else if (level == 1) {
            const unsigned char *leaf;
            int m = read_node(st, c->id, t->cell_size, &leaf);
            sqlite3_reset(st);
            if (m < 0 || c->id < 0)
                return -1;
            c->count = (uint32_t)m;
            if ((size_t)c->id >= t->n_leaf_slots)
                t->n_leaf_slots = (size_t)c->id + 1;
        }
        *count += c->count;
    }
    return (int)index;
}

struct pm_sl_rtree *pm_sl_rtree_open(sqlite3 *db, const char *name, int dims, int lines, char **why)
{
    struct pm_sl_rtree *t = pm_calloc(1, sizeof *t);
    t->name = pm_strdup(name);
    t->dims = dims;
    t->lines = lines;
    t->cell_size = 8 + 8 * dims;
    t->leaf_sql = sqlite3_mprintf("SELECT data FROM \"%w_node\" WHERE nodeno = ?", name);
    sqlite3_stmt *st = NULL;
    const unsigned char *d;
    int depth = -1;
    uint32_t count;
    if (sqlite3_prepare_v2(db, t->leaf_sql, -1, &st, NULL) == SQLITE_OK &&
        read_node(st, 1, t->cell_size, &d) >= 0)
        depth = d[0] << 8 | d[1];
    sqlite3_reset(st);
    if (depth < 0 || depth > RT_MAX_DEPTH || load_node(t, st, 1, depth, &count) != 0) {
        const char *tree_name = name,
                   *reason = !st ? sqlite3_errmsg(db) : "a node is missing or malformed";
        *why = pm_asprintf("the spatial index %s cannot be read: %s", tree_name, reason);
        sqlite3_finalize(st);
        pm_sl_rtree_free(t);
        return NULL;
    }
    sqlite3_finalize(st);
    t->leaves = pm_calloc(t->n_leaf_slots ? t->n_leaf_slots : 1, sizeof *t->leaves);
    return t;
}

void pm_sl_rtree_free(struct pm_sl_rtree *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->leaves && i < t->n_leaf_slots; i++)
        free(atomic_load(&t->leaves[i]));
    free(t->leaves);
    free(t->name);
    sqlite3_free(t->leaf_sql);
    free(t->nodes);
    free(t->cells);
    free(t);
}

/* --- Reading leaves on one connection ------------------------------------------------ */

static sqlite3_stmt *leaf_stmt(struct pm_sl_rtree_reader *r, size_t tree)
{
    if (!r->leaf[tree] &&
        sqlite3_prepare_v2(r->db, r->trees[tree]->leaf_sql, -1, &r->leaf[tree], NULL) != SQLITE_OK)
        r->leaf[tree] = NULL;
    return r->leaf[tree];
}

/* Entries by id: by rowid (a segment's id is 2 * rowid + its rising bit). */
static int entry_order(const void *a, const void *b)
{
    sqlite3_int64 x = ((const struct rt_entry *)a)->id, y = ((const struct rt_entry *)b)->id;
    return (x > y) - (x < y);
}

/* Leaf `no` of tree `tree`, decoded, its entries in id order: from the tree's leaves read so far,
 * or read now and kept there (a leaf never changes while the file is open; two threads reading it
 * at once keep the first). Up to every leaf is kept: 32 bytes an entry. NULL when it cannot be
 * read. */
static const struct rt_leaf *leaf_get(struct pm_sl_rtree_reader *r, size_t tree, sqlite3_int64 no)
{
    const struct pm_sl_rtree *t = r->trees[tree];
    if (no < 0 || (size_t)no >= t->n_leaf_slots)
        return NULL;
    _Atomic(struct rt_leaf *) *slot = &t->leaves[no];
    struct rt_leaf *leaf = atomic_load_explicit(slot, memory_order_acquire);
    if (leaf)
        return leaf;
    sqlite3_stmt *st = leaf_stmt(r, tree);
    const unsigned char *d;
    int n = st ? read_node(st, no, t->cell_size, &d) : -1;
    if (n >= 0) {
        leaf = pm_malloc(sizeof *leaf + (size_t)n * sizeof leaf->e[0]);
        leaf->n = n;
        for (int i = 0; i < n; i++) {
            const unsigned char *p = d + 4 + i * t->cell_size;
            memset(leaf->e[i].box, 0, sizeof leaf->e[i].box);
            cell_box(p, t->dims, leaf->e[i].box);
            leaf->e[i].id = be64(p);
        }
    }
    if (st)
        sqlite3_reset(st);
    if (!leaf)
        return NULL;
    qsort(leaf->e, (size_t)leaf->n, sizeof leaf->e[0], entry_order);
    struct rt_leaf *first = NULL;
    if (!atomic_compare_exchange_strong_explicit(slot, &first, leaf, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        free(leaf);
        leaf = first;
    }
    return leaf;
}

/* Does the box b (xmin, xmax, ymin, ymax) meet q (w, s, e, n; w > e across the
 * antimeridian)? */
static int meets_x(float xmin, float xmax, const double q[4])
{
    return q[0] <= q[2] ? xmax >= q[0] && xmin <= q[2] : xmax >= q[0] || xmin <= q[2];
}

static int box_meets(const float *b, const double q[4])
{
    return meets_x(b[0], b[1], q) && b[3] >= q[1] && b[2] <= q[3];
}

/* Does b lie inside q (not across the antimeridian)? */
static int box_inside(const float *b, const double q[4])
{
    return q[0] <= q[2] && b[0] >= q[0] && b[1] <= q[2] && b[2] >= q[1] && b[3] <= q[3];
}

/* What an entry's box says of its feature and q (pm_sl_entry_verdict), for an entry that
 * meets q. */
static int entry_verdict(const struct pm_sl_rtree *t, sqlite3_int64 id, const float *b,
                         const double q[4])
{
    const double e[4] = {b[0], b[1], b[2], b[3]};
    return pm_sl_entry_verdict(t->lines, id, e, q);
}

/* Count an entry that meets the box, or keep its id for a test of its row. */
static void count_entry(const struct pm_sl_rtree *t, sqlite3_int64 id, const float *b,
                        const double box[4], struct pm_sl_rtree_counted *out)
{
    int v = entry_verdict(t, id, b, box);
    if (v == PM_SL_INSIDE) {
        out->inside++;
    } else if (v == PM_SL_EDGE) {
        if (out->n_edge == out->cap_edge) {
            out->cap_edge = out->cap_edge ? 2 * out->cap_edge : 64;
            out->edge = pm_realloc(out->edge, out->cap_edge * sizeof *out->edge);
        }
        out->edge[out->n_edge++] = id;
    }
}

int pm_sl_rtree_count(struct pm_sl_rtree_reader *r, size_t tree, const double box[4], long long cap,
                      struct pm_sl_rtree_counted *out)
{
    const struct pm_sl_rtree *t = tree < r->n ? r->trees[tree] : NULL;
    out->inside = 0;
    out->n_edge = 0;
    if (!t)
        return -1;
    /* From memory: the cells inside the box counted, the leaves on its edge gathered. */
    size_t *stack = pm_calloc(t->n_nodes, sizeof *stack), depth = 0;
    sqlite3_int64 *leaves = NULL;
    size_t n_leaves = 0, cap_leaves = 0;
    stack[depth++] = 0;
    while (depth > 0 && out->inside <= cap && out->n_edge <= (size_t)cap) {
        const struct rt_node *node = &t->nodes[stack[--depth]];
        for (uint32_t i = 0; i < node->n; i++) {
            const struct rt_cell *c = &t->cells[node->first + i];
            if (!box_meets(c->box, box))
                continue;
            if (c->child == RT_ENTRY) {
                count_entry(t, c->id, c->box, box, out);
            } else if (box_inside(c->box, box)) {
                out->inside += c->count;
            } else if (c->child >= 0) {
                stack[depth++] = (size_t)c->child;
            } else {
                if (n_leaves == cap_leaves) {
                    cap_leaves = cap_leaves ? 2 * cap_leaves : 64;
                    leaves = pm_realloc(leaves, cap_leaves * sizeof *leaves);
                }
                leaves[n_leaves++] = c->id;
            }
        }
    }
    free(stack);
    /* Then the leaves on the edge, until the count is past the cap. */
    int rc = 0;
    for (size_t k = 0; k < n_leaves && out->inside <= cap && out->n_edge <= (size_t)cap; k++) {
        const struct rt_leaf *leaf = leaf_get(r, tree, leaves[k]);
        if (!leaf) {
            rc = -1;
            break;
        }
        for (int i = 0; i < leaf->n; i++)
            if (box_meets(leaf->e[i].box, box))
                count_entry(t, leaf->e[i].id, leaf->e[i].box, box, out);
    }
    free(leaves);
    return rc;
}

/* --- the walk (internal.h: pm_sl_walk) ------------------------------------------------- */

/* A cell of the tree not yet opened (its least rowid, id and child as rt_cell), or an open
 * leaf (child WALK_OPEN): its entries from pos on, score the rowid of entries[pos]. */
#define WALK_OPEN -3
struct walk_item {
    double score; /* the least rowid under it */
    sqlite3_int64 id;
    int32_t child; /* as rt_cell, or WALK_OPEN */
    int32_t pos;
    const struct rt_leaf *leaf;
    const float *box; /* of an entry: its box */
};

static void heap_push(struct pm_sl_walk *c, struct walk_item it)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->heap = pm_realloc(c->heap, c->cap * sizeof *c->heap);
    }
    size_t i = c->n++;
    while (i > 0 && c->heap[(i - 1) / 2].score > it.score) {
        c->heap[i] = c->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    c->heap[i] = it;
}

static struct walk_item heap_pop(struct pm_sl_walk *c)
{
    struct walk_item top = c->heap[0], last = c->heap[--c->n];
    size_t i = 0;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= c->n)
            break;
        if (k + 1 < c->n && c->heap[k + 1].score < c->heap[k].score)
            k++;
        if (c->heap[k].score >= last.score)
            break;
        c->heap[i] = c->heap[k];
        i = k;
    }
    if (c->n > 0)
        c->heap[i] = last;
    return top;
}

/* Does the entry's box b meet the box, with a rowid from lo on (and of segments, may its
 * segment meet the box)? */
static int walk_wants(const struct pm_sl_walk *c, sqlite3_int64 id, const float *b)
{
    return box_meets(b, c->box) && b[4] >= (double)c->lo &&
           !(c->t->lines && entry_verdict(c->t, id, b, c->box) == PM_SL_OUTSIDE);
}

/* Queue a cell of a node (its box b) if anything under it may be given: it meets the box, and
 * holds a rowid from lo on. */
static void walk_offer(struct pm_sl_walk *c, const struct rt_cell *cell)
{
    const float *b = cell->box;
    if (!box_meets(b, c->box) || b[5] < (double)c->lo)
        return;
    if (cell->child == RT_ENTRY && !walk_wants(c, cell->id, b))
        return;
    heap_push(c, (struct walk_item){b[4], cell->id, cell->child, 0, NULL, b});
}

/* Queue an open leaf at its first entry from pos on that may be given, if any. Its entries
 * are in rowid order, so the queue holds one item a leaf, not one an entry. */
static void walk_resume(struct pm_sl_walk *c, const struct rt_leaf *leaf, int pos)
{
    for (; pos < leaf->n; pos++) {
        const struct rt_entry *e = &leaf->e[pos];
        if (walk_wants(c, e->id, e->box)) {
            heap_push(c, (struct walk_item){e->box[4], e->id, WALK_OPEN, pos, leaf, e->box});
            return;
        }
    }
}

int pm_sl_walk_start(struct pm_sl_walk *c, struct pm_sl_rtree_reader *r, size_t tree,
                     const double box[4], sqlite3_int64 lo, sqlite3_int64 most)
{
    c->n = 0;
    c->r = r;
    r->capped = 0;
    c->t = tree < r->n ? r->trees[tree] : NULL;
    if (!c->t || c->t->dims != 3)
        return -1;
    c->tree = tree;
    memcpy(c->box, box, sizeof c->box);
    c->lo = lo;
    c->most = most;
    c->given = 0;
    const struct rt_node *root = &c->t->nodes[0];
    for (uint32_t i = 0; i < root->n; i++)
        walk_offer(c, &c->t->cells[root->first + i]);
    return 0;
}

int pm_sl_walk_next(struct pm_sl_walk *c, sqlite3_int64 *rid, float box[6])
{
    const struct pm_sl_rtree *t = c->t;
    while (c->n > 0) {
        struct walk_item it = heap_pop(c);
        int entry = it.child == RT_ENTRY || it.child == WALK_OPEN;
        if (entry && c->most && c->given == c->most) {
            c->r->capped = 1; /* there is one more */
            break;
        }
        if (entry) {
            if (box)
                memcpy(box, it.box, 6 * sizeof *box);
            if (it.child == WALK_OPEN)
                walk_resume(c, it.leaf, it.pos + 1);
            *rid = t->lines ? it.id >> 1 : it.id;
            c->given++;
            return 1;
        }
        if (it.child >= 0) {
            const struct rt_node *node = &t->nodes[it.child];
            for (uint32_t i = 0; i < node->n; i++)
                walk_offer(c, &t->cells[node->first + i]);
            continue;
        }
        const struct rt_leaf *leaf = leaf_get(c->r, c->tree, it.id);
        if (!leaf)
            return -1;
        walk_resume(c, leaf, 0);
    }
    return 0;
}

void pm_sl_walk_fini(struct pm_sl_walk *c)
{
    free(c->heap);
    c->heap = NULL;
    c->n = c->cap = 0;
}

/* --- pm_walk, the table-valued function ------------------------------------------------ */

/* pm_walk(tree, w, s, e, n, lo, most): rid, the rowid of each entry the walk of the reader's
 * tree `tree` gives for that box, from rowid lo on, at most `most` (see pm_sl_walk). */
enum { WALK_RID, WALK_TREE, WALK_W, WALK_S, WALK_E, WALK_N, WALK_LO, WALK_MOST, WALK_COLUMNS };

struct walk_cursor {
    sqlite3_vtab_cursor base;
    struct pm_sl_walk w;
    sqlite3_int64 rid;
    int eof;
};

struct walk_vtab {
    sqlite3_vtab base;
    struct pm_sl_rtree_reader *r;
};

static int walk_next(sqlite3_vtab_cursor *cur)
{
    struct walk_cursor *c = (struct walk_cursor *)cur;
    struct walk_vtab *vt = (struct walk_vtab *)cur->pVtab;
    int rc = pm_sl_walk_next(&c->w, &c->rid, NULL);
    if (rc < 0) {
        sqlite3_free(vt->base.zErrMsg);
        vt->base.zErrMsg = sqlite3_mprintf("pm_walk: a leaf of %s cannot be read", c->w.t->name);
        return SQLITE_ERROR;
    }
    c->eof = rc == 0;
    return SQLITE_OK;
}

static int walk_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                       sqlite3_value **argv)
{
    (void)idx_num;
    (void)idx_str;
    struct walk_cursor *c = (struct walk_cursor *)cur;
    struct walk_vtab *vt = (struct walk_vtab *)cur->pVtab;
    c->eof = 1;
    if (argc != WALK_COLUMNS - 1)
        return SQLITE_ERROR;
    sqlite3_int64 tree = sqlite3_value_int64(argv[0]);
    double box[4];
    for (int k = 0; k < 4; k++)
        box[k] = sqlite3_value_double(argv[1 + k]);
    if (tree < 0 || pm_sl_walk_start(&c->w, vt->r, (size_t)tree, box, sqlite3_value_int64(argv[5]),
                                     sqlite3_value_int64(argv[6]))) {
        sqlite3_free(vt->base.zErrMsg);
        vt->base.zErrMsg = sqlite3_mprintf("pm_walk: no tree %lld with rowids", (long long)tree);
        return SQLITE_ERROR;
    }
    c->eof = 0;
    return walk_next(cur);
}

static int walk_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(rid INTEGER, tree HIDDEN, w HIDDEN, "
                                      "s HIDDEN, e HIDDEN, n HIDDEN, lo HIDDEN, most HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    struct walk_vtab *vt = sqlite3_malloc(sizeof *vt);
    if (!vt)
        return SQLITE_NOMEM;
    memset(vt, 0, sizeof *vt);
    vt->r = aux;
    *out = &vt->base;
    return SQLITE_OK;
}

static int walk_disconnect(sqlite3_vtab *vtab)
{
    sqlite3_free(vtab);
    return SQLITE_OK;
}

/* Every argument must be given as an equality; the walk is then the cheapest way in. */
static int walk_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    (void)vtab;
    unsigned seen = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *k = &info->aConstraint[i];
        if (k->iColumn < WALK_TREE || !k->usable || k->op != SQLITE_INDEX_CONSTRAINT_EQ ||
            seen & 1u << k->iColumn)
            continue;
        seen |= 1u << k->iColumn;
        info->aConstraintUsage[i].argvIndex = k->iColumn;
        info->aConstraintUsage[i].omit = 1;
    }
    if (seen != ((1u << WALK_COLUMNS) - 1) - 1)
        return SQLITE_CONSTRAINT;
    info->estimatedCost = 10;
    info->estimatedRows = 100;
    return SQLITE_OK;
}

static int walk_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out)
{
    (void)vtab;
    struct walk_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int walk_close(sqlite3_vtab_cursor *cur)
{
    struct walk_cursor *c = (struct walk_cursor *)cur;
    pm_sl_walk_fini(&c->w);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int walk_eof(sqlite3_vtab_cursor *cur)
{
    return ((struct walk_cursor *)cur)->eof;
}

static int walk_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    struct walk_cursor *c = (struct walk_cursor *)cur;
    if (col == WALK_RID)
        sqlite3_result_int64(ctx, c->rid);
    else if (col == WALK_TREE)
        sqlite3_result_int64(ctx, (sqlite3_int64)c->w.tree);
    else if (col == WALK_LO)
        sqlite3_result_int64(ctx, c->w.lo);
    else if (col == WALK_MOST)
        sqlite3_result_int64(ctx, c->w.most);
    else
        sqlite3_result_double(ctx, c->w.box[col - WALK_W]);
    return SQLITE_OK;
}

static int walk_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((struct walk_cursor *)cur)->rid;
    return SQLITE_OK;
}

static sqlite3_module walk_module = {
    .xConnect = walk_connect,
    .xBestIndex = walk_best_index,
    .xDisconnect = walk_disconnect,
    .xOpen = walk_open,
    .xClose = walk_close,
    .xFilter = walk_filter,
    .xNext = walk_next,
    .xEof = walk_eof,
    .xColumn = walk_column,
    .xRowid = walk_rowid,
};

int pm_sl_rtree_reader_init(struct pm_sl_rtree_reader *r, sqlite3 *db)
{
    memset(r, 0, sizeof *r);
    r->db = db;
    return sqlite3_create_module(db, "pm_walk", &walk_module, r) == SQLITE_OK ? 0 : -1;
}

void pm_sl_rtree_reader_set(struct pm_sl_rtree_reader *r, struct pm_sl_rtree *const *trees,
                            size_t n)
{
    pm_sl_rtree_reader_fini(r);
    r->trees = trees;
    r->n = n;
    r->leaf = pm_calloc(n ? n : 1, sizeof *r->leaf);
}

void pm_sl_rtree_reader_fini(struct pm_sl_rtree_reader *r)
{
    for (size_t i = 0; r->leaf && i < r->n; i++)
        sqlite3_finalize(r->leaf[i]);
    free(r->leaf);
    r->leaf = NULL;
    r->trees = NULL;
    r->n = 0;
}
