/*
 * The composition root: command line → config; `load` builds the database; `serve` opens the
 * store, starts the API over HTTP, reloads the database on SIGHUP and stops cleanly on
 * SIGINT/SIGTERM. The only file that names a backend.
 */
#include "api/api.h"
#include "config.h"
#include "http/http.h"
#include "store/spatialite/spatialite.h"
#include "util/util.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A store swapped out by a reload, once its last request has finished. */
static void retire_store(struct pm_store *store)
{
    pm_log(PM_LOG_INFO, "msg=\"previous data closed\" data_version=%s",
           store->catalog.data_version);
    pm_store_close(store);
}

/* SIGHUP: open the database file anew (a new load renames a new file into place) and serve
 * it from now on; requests under way finish on the old data. If the new file cannot be
 * opened, the old data stays served. Returns the store now served. */
static struct pm_store *reload(const struct pm_config *cfg, struct pm_api *api,
                               struct pm_store *current)
{
    struct pm_error err = {0};
    struct pm_store *fresh = pm_spatialite_open(cfg->db, cfg->sessions, &err);
    if (!fresh) {
        pm_log(PM_LOG_ERROR, "msg=\"reload failed; still serving the previous data\" error=\"%s\"",
               err.message);
        return current;
    }
    pm_spatialite_set_step_timeout(fresh, cfg->step_timeout_ms);
    pm_log(PM_LOG_INFO, "msg=\"reloaded\" db=%s data_version=%s", cfg->db,
           fresh->catalog.data_version);
    pm_api_swap_store(api, fresh, retire_store);
    return fresh;
}

static int serve(const struct pm_config *cfg)
{
    struct pm_error err = {0};
    if (access(cfg->db, R_OK) != 0) {
        fprintf(stderr,
                "partnermap serve: cannot read database %s (build it with partnermap load)\n",
                cfg->db);
        return 1;
    }
    /* Signals are taken by sigwait below, so every thread starts with them blocked. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct pm_store *store = pm_spatialite_open(cfg->db, cfg->sessions, &err);
    if (!store) {
        fprintf(stderr, "partnermap serve: %s\n", err.message);
        return 1;
    }
    pm_spatialite_set_step_timeout(store, cfg->step_timeout_ms);
    char fallback[300];
    snprintf(fallback, sizeof fallback, "http://%s:%u", cfg->bind, cfg->port);
    struct pm_api_config api_cfg = {.base_url = cfg->base_url,
                                    .fallback_base_url = fallback,
                                    .viewer_dir = cfg->viewer_dir,
                                    .cache_bytes = (size_t)cfg->cache_mb << 20};
    struct pm_api *api = pm_api_new(store, &api_cfg);
    struct pm_http_config http_cfg = {.bind = cfg->bind,
                                      .port = cfg->port,
                                      .threads = cfg->threads,
                                      .cors_origin = cfg->cors_origin,
                                      .max_connections = cfg->max_connections,
                                      .max_connections_per_ip = cfg->max_connections_per_ip,
                                      .idle_timeout_s = cfg->idle_timeout_s,
                                      .request_timeout_s = cfg->request_timeout_s,
                                      .max_connection_time_s = cfg->max_connection_time_s,
                                      .max_url_bytes = cfg->max_url_bytes,
                                      .max_header_bytes = cfg->max_header_bytes,
                                      .connection_memory = cfg->connection_memory};
    struct pm_http *http = pm_http_start(api, &http_cfg, &err);
    if (!http) {
        fprintf(stderr, "partnermap serve: %s\n", err.message);
        pm_api_free(api);
        pm_store_close(store);
        return 1;
    }
    pm_log(PM_LOG_INFO, "msg=\"serving\" db=%s data_version=%s collections=%zu sessions=%u",
           cfg->db, store->catalog.data_version, store->catalog.n, cfg->sessions);
    int sig = 0;
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        store = reload(cfg, api, store);
    pm_log(PM_LOG_INFO, "msg=\"stopping\" signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    pm_http_stop(http, 10000);
    pm_api_free(api);
    pm_store_close(store);
    pm_log(PM_LOG_INFO, "msg=\"stopped\"");
    return 0;
}

int main(int argc, char **argv)
{
    struct pm_config cfg;
    if (pm_config_parse(argc, argv, &cfg))
        return 2;
    if (cfg.version) {
        printf("partnermap %s (SQLite with SpatiaLite %s)\n", PM_VERSION, pm_spatialite_version());
        return 0;
    }
    if (cfg.help) {
        pm_config_usage(&cfg, stdout);
        return 0;
    }
    pm_spatialite_init();
    int rc = 1;
    if (cfg.command == PM_CMD_LOAD)
        rc = pm_spatialite_load(cfg.db, cfg.data_dir, stdout, stderr) ? 1 : 0;
    else
        rc = serve(&cfg);
    pm_spatialite_shutdown();
    return rc;
}
