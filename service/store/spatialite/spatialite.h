/*
 * store/spatialite: the SQLite + SpatiaLite backend of the store, and the loader that builds
 * its database from CSV files. The only code that includes sqlite3.h and spatialite.h.
 */
#ifndef PM_STORE_SPATIALITE_H
#define PM_STORE_SPATIALITE_H

#include "store/store.h"

#include <stdio.h>

/* The schema version this binary reads and writes (meta.schema_version). */
#define PM_SCHEMA_VERSION "2"

/* Process-wide set-up and tear-down of SpatiaLite: call once at start and once at exit. */
void pm_spatialite_init(void);
void pm_spatialite_shutdown(void);
/* The SpatiaLite version string. */
const char *pm_spatialite_version(void);

/* Open the database at `path` read-only with a pool of `n_sessions` connections, and read
 * its catalog. Returns the store (caller frees with pm_store_close) or NULL with err set:
 * a missing or unreadable file, not a database, or a schema of another version. */
struct pm_store *pm_spatialite_open(const char *path, unsigned n_sessions, struct pm_error *err);

/* The longest a single step of a query may run before it is stopped and answered 503
 * (default 5000 ms): a pathological filter does not hold a session and a core. */
void pm_spatialite_set_step_timeout(struct pm_store *st, unsigned ms);

/* The query plan SQLite chooses for an items query (EXPLAIN QUERY PLAN, one line per step),
 * appended to plan: for tests that show the spatial index in use. For near=, the plan of the
 * first candidate search. 0, or -1 with err. */
int pm_spatialite_explain(struct pm_store *st, const struct pm_collection *c,
                          const struct pm_items_params *p, struct pm_strbuf *plan,
                          struct pm_error *err);

/* Build the database at `db_path` from the CSV files in `data_dir` (see sql/load_spec.sql).
 * All or nothing: the new database is written beside the old one and renamed into place only
 * when every row loaded and every check passed. Every problem is written to `report` as
 * "file:line: column: message"; progress and counts go to `out`. Returns 0 on success, -1 if
 * anything failed (the file at db_path is then as it was). */
int pm_spatialite_load(const char *db_path, const char *data_dir, FILE *out, FILE *report);

#endif
