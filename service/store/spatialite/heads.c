/*
 * Feature heads: each feature's GeoJSON up to its last property, written at load by the same
 * writer the server uses (pm_feature_writer_head), and stored in the feature's row. A page of
 * whole features (every property, the geometry) is then copied from the rows instead of being
 * written from a dozen columns each; the links, which name the server's own address, are still
 * written per request.
 *
 * The load writes the heads from the collection's view, by the catalog's properties in their
 * order (pm_sl_build_heads): the same values and keys the server would write them from.
 */
#include "internal.h"

#include "geojson/geojson.h"

#include <stdlib.h>
#include <string.h>

void pm_sl_value_of(sqlite3_value *col, struct pm_value *v)
{
    switch (sqlite3_value_type(col)) {
    case SQLITE_INTEGER:
        v->type = PM_VALUE_INT;
        v->i = sqlite3_value_int64(col);
        break;
    case SQLITE_FLOAT:
        v->type = PM_VALUE_REAL;
        v->r = sqlite3_value_double(col);
        break;
    case SQLITE_NULL:
        v->type = PM_VALUE_NULL;
        break;
    default:
        v->type = PM_VALUE_TEXT;
        v->s = (const char *)sqlite3_value_text(col);
        v->len = (size_t)sqlite3_value_bytes(col);
        break;
    }
}

/* The writer of one statement's heads, built from its constant keys. */
struct head_writer {
    struct pm_feature_writer w;
    struct pm_strbuf out;
    struct pm_value *values;
};

static void head_writer_free(void *p)
{
    struct head_writer *hw = p;
    pm_feature_writer_fini(&hw->w);
    pm_strbuf_fini(&hw->out);
    free(hw->values);
    free(hw);
}

/* pm_feature_head(id, geometry, key1, value1, key2, value2, ...): the head of the feature
 * with this id, GeoJSON geometry text (or NULL) and properties. The keys must be constants
 * of the statement: their writer is built once and kept with the first (sqlite3_set_auxdata),
 * and the others carry a mark that SQLite drops if they ever change. */
static void feature_head_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (argc < 2 || argc % 2) {
        sqlite3_result_error(ctx, "pm_feature_head: expected id, geometry, then key, value pairs",
                             -1);
        return;
    }
    size_t n = (size_t)(argc - 2) / 2;
    struct head_writer *hw = n ? sqlite3_get_auxdata(ctx, 2) : NULL;
    for (size_t k = 1; hw && k < n; k++)
        if (sqlite3_get_auxdata(ctx, 2 + 2 * (int)k) != hw)
            hw = NULL;
    int fresh = !hw;
    if (fresh) {
        const char **names = pm_calloc(n ? n : 1, sizeof *names);
        for (size_t k = 0; k < n; k++)
            if (!(names[k] = (const char *)sqlite3_value_text(argv[2 + 2 * k]))) {
                free(names);
                sqlite3_result_error(ctx, "pm_feature_head: a key is NULL", -1);
                return;
            }
        hw = pm_calloc(1, sizeof *hw);
        pm_feature_writer_init_keys(&hw->w, names, n);
        free(names);
        pm_strbuf_init(&hw->out);
        hw->values = pm_calloc(n ? n : 1, sizeof *hw->values);
    }
    const char *id = (const char *)sqlite3_value_text(argv[0]);
    if (id) {
        for (size_t k = 0; k < n; k++)
            pm_sl_value_of(argv[3 + 2 * k], &hw->values[k]);
        struct pm_feature_row row = {
            .id = id, .geometry = (const char *)sqlite3_value_text(argv[1]), .values = hw->values};
        pm_strbuf_reset(&hw->out);
        pm_feature_writer_head(&hw->w, &hw->out, &row);
        sqlite3_result_text(ctx, hw->out.data, (int)hw->out.len, SQLITE_TRANSIENT);
    } else {
        sqlite3_result_error(ctx, "pm_feature_head: the id is NULL", -1);
    }
    /* Kept last, and hw not touched after: SQLite may free it at once. */
    if (fresh && n) {
        for (size_t k = 1; k < n; k++)
            sqlite3_set_auxdata(ctx, 2 + 2 * (int)k, hw, NULL);
        sqlite3_set_auxdata(ctx, 2, hw, head_writer_free);
    } else if (fresh) {
        head_writer_free(hw);
    }
}

int pm_sl_register_head_function(sqlite3 *db)
{
    return sqlite3_create_function(db, "pm_feature_head", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                   NULL, feature_head_fn, NULL, NULL) == SQLITE_OK
               ? 0
               : -1;
}

/* Fill the table of heads of one collection from its view, by the catalog's properties. */
static char *build_collection(sqlite3 *db, const char *id, const char *view, const char *heads)
{
    if (!pm_sl_plain_identifier(view) || !pm_sl_plain_identifier(heads))
        return pm_asprintf("collection %s: its view or table of heads is not a plain name", id);
    struct pm_strbuf keys, sql;
    pm_strbuf_init(&keys);
    pm_strbuf_init(&sql);
    char *why = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM collection_properties WHERE collection = ? "
                           "ORDER BY ord",
                           -1, &st, NULL) != SQLITE_OK) {
        why = pm_asprintf("cannot read the properties of %s: %s", id, sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while (!why && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!pm_sl_plain_identifier(name))
            why = pm_asprintf("collection %s: property %s is not a plain name", id,
                              name ? name : "NULL");
        else
            pm_strbuf_appendf(&keys, ", '%s', %s", name, name);
    }
    sqlite3_finalize(st);
    if (why)
        goto done;
    pm_strbuf_appendf(&sql,
                      "INSERT INTO %s (_rowid, id, _x, _y, _head) SELECT _rowid, id, _x, _y, "
                      "pm_feature_head(id, _geojson%s) FROM %s ORDER BY _rowid",
                      heads, keys.data ? keys.data : "", view);
    if (sqlite3_exec(db, sql.data, NULL, NULL, NULL) != SQLITE_OK)
        why = pm_asprintf("cannot write the heads of %s: %s", id, sqlite3_errmsg(db));
done:
    pm_strbuf_fini(&keys);
    pm_strbuf_fini(&sql);
    return why;
}

char *pm_sl_build_heads(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, view, heads FROM collections WHERE heads IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return pm_asprintf("cannot read the catalog: %s", sqlite3_errmsg(db));
    char *why = NULL;
    while (!why && sqlite3_step(st) == SQLITE_ROW)
        why = build_collection(db, (const char *)sqlite3_column_text(st, 0),
                               (const char *)sqlite3_column_text(st, 1),
                               (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    return why;
}
