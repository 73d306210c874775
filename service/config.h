/*
 * The command line and environment, turned into one struct pm_config. Parsing only: nothing
 * here opens files or sockets.
 */
#ifndef PM_CONFIG_H
#define PM_CONFIG_H

enum pm_command { PM_CMD_NONE, PM_CMD_LOAD, PM_CMD_SERVE };

struct pm_config {
    enum pm_command command;
    int help, version;
    const char *db;           /* --db, else $PARTNERMAP_DB, else "partnermap.sqlite" */
    const char *data_dir;     /* load: the CSV directory */
    const char *bind;         /* serve: default 127.0.0.1 */
    unsigned port;            /* default 8080 */
    unsigned threads;         /* default: one per core */
    unsigned sessions;        /* database sessions; default 4 per thread */
    const char *base_url;     /* NULL: from the Host header */
    const char *cors_origin;  /* default "*" */
    const char *viewer_dir;   /* the web viewer's files; default PM_VIEWER_DIR of the build */
    unsigned step_timeout_ms; /* the longest one query step may run; default 5000 */
    unsigned cache_mb;        /* memory for cached responses; default 64, 0: none */
    /* HTTP limits (see struct pm_http_config); 0: the default. */
    unsigned max_connections, max_connections_per_ip, idle_timeout_s, request_timeout_s,
        max_connection_time_s, max_url_bytes, max_header_bytes, connection_memory;
};

/* Parse argv. Returns 0, or -1 after printing one line that says what was wrong to stderr.
 * Strings point into argv or the environment. */
int pm_config_parse(int argc, char **argv, struct pm_config *cfg);

/* Print the usage of cfg->command (or of the whole binary) to out. */
void pm_config_usage(const struct pm_config *cfg, void *out);

#endif
