/*
 * Command line parsing for `partnermap [load|serve] [options]`. Strict: an unknown flag, a
 * missing value or a malformed number is a one-line error and a non-zero exit.
 */
#include "config.h"

#include "util/util.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
    "usage: partnermap COMMAND [OPTIONS]\n"
    "\n"
    "China–Japan partner cities and the Kitakyushu Initiative as OGC API – Features.\n"
    "\n"
    "commands:\n"
    "  load   build the database from a directory of CSV files\n"
    "  serve  serve the database over HTTP\n"
    "\n"
    "  partnermap COMMAND --help   options of a command\n"
    "  partnermap --version        the version\n";

static const char usage_load[] =
    "usage: partnermap load [--db FILE] DIR\n"
    "\n"
    "Build the database FILE from the CSV files in DIR (see sql/load_spec.sql), all or\n"
    "nothing: FILE is replaced only when every row loaded and every check passed. Each\n"
    "problem is reported as file:line: column: why.\n"
    "\n"
    "  --db FILE   the database to write (default $PARTNERMAP_DB or partnermap.sqlite)\n"
    "  --help      this text\n"
    "  --version   the version\n";

static const char usage_serve[] =
    "usage: partnermap serve [OPTIONS]\n"
    "\n"
    "Serve the database as OGC API – Features until SIGINT or SIGTERM.\n"
    "\n"
    "  --db FILE             the database (default $PARTNERMAP_DB or partnermap.sqlite)\n"
    "  --bind ADDR           the address to listen on (default 127.0.0.1)\n"
    "  --port N              the port (default 8080; 0 takes a free port)\n"
    "  --threads N           worker threads (default: one per core)\n"
    "  --sessions N          database sessions (default: 4 per thread)\n"
    "  --base-url URL        the URL clients reach the server at, for links\n"
    "                        (default: from the request's Host header)\n"
    "  --cors-origin ORIGIN  Access-Control-Allow-Origin (default *)\n"
    "  --viewer-dir DIR      the web viewer's files, served at /viewer/\n"
    "                        (default: the build's viewer folder)\n"
    "  --step-timeout-ms N   stop a query step that runs longer, answer 503 (default 5000)\n"
    "  --cache-mb N          memory for cached whole responses (default 64; 0: none)\n"
    "  --max-connections N   open connections in all (default 1024)\n"
    "  --max-connections-per-ip N  open connections from one address (default 64)\n"
    "  --idle-timeout S      close a connection idle this many seconds (default 15)\n"
    "  --request-timeout S   close a connection that takes longer to send a request head,\n"
    "                        from its opening or its previous response (default 30)\n"
    "  --max-connection-time S  close a connection open this many seconds in all, even\n"
    "                        in the middle of a response (default 600)\n"
    "  --max-url-bytes N     longest path and query string, else 414 (default 8192)\n"
    "  --max-header-bytes N  largest request headers, else 431 (default 16384)\n"
    "  --connection-memory N bytes per connection for request and buffers (default 131072)\n"
    "  --help                this text\n"
    "  --version             the version\n";

void pm_config_usage(const struct pm_config *cfg, void *out)
{
    const char *text = cfg->command == PM_CMD_LOAD    ? usage_load
                       : cfg->command == PM_CMD_SERVE ? usage_serve
                                                      : usage_main;
    fputs(text, (FILE *)out);
}

static int fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "partnermap%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see --help)\n");
    return -1;
}

static int parse_unsigned(const char *cmd, const char *flag, const char *v, long min, long max,
                          unsigned *out)
{
    long n;
    if (pm_parse_long(v, min, max, &n)) {
        fprintf(stderr, "partnermap %s: %s: expected a whole number from %ld to %ld, got '%s'\n",
                cmd, flag, min, max, v);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

/* The field of a serve limit flag, or NULL. */
static unsigned *limit_flag(struct pm_config *cfg, const char *flag)
{
    static const struct {
        const char *flag;
        size_t offset;
    } limits[] = {
        {"--max-connections", offsetof(struct pm_config, max_connections)},
        {"--max-connections-per-ip", offsetof(struct pm_config, max_connections_per_ip)},
        {"--idle-timeout", offsetof(struct pm_config, idle_timeout_s)},
        {"--request-timeout", offsetof(struct pm_config, request_timeout_s)},
        {"--max-connection-time", offsetof(struct pm_config, max_connection_time_s)},
        {"--max-url-bytes", offsetof(struct pm_config, max_url_bytes)},
        {"--max-header-bytes", offsetof(struct pm_config, max_header_bytes)},
        {"--connection-memory", offsetof(struct pm_config, connection_memory)},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (!strcmp(flag, limits[i].flag))
            return (unsigned *)((char *)cfg + limits[i].offset);
    return NULL;
}

int pm_config_parse(int argc, char **argv, struct pm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->db = getenv("PARTNERMAP_DB");
    if (!cfg->db || !*cfg->db)
        cfg->db = "partnermap.sqlite";
    cfg->bind = "127.0.0.1";
    cfg->port = 8080;
    cfg->cors_origin = "*";
    cfg->step_timeout_ms = 5000;
    cfg->cache_mb = 64;
#ifdef PM_VIEWER_DIR
    cfg->viewer_dir = PM_VIEWER_DIR;
#endif
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->threads = cores > 0 && cores < 256 ? (unsigned)cores : 1;

    int i = 1;
    if (i < argc && argv[i][0] != '-') {
        if (!strcmp(argv[i], "load"))
            cfg->command = PM_CMD_LOAD;
        else if (!strcmp(argv[i], "serve"))
            cfg->command = PM_CMD_SERVE;
        else
            return fail(NULL, "unknown command '%s'; expected load or serve", argv[i]);
        i++;
    }
    const char *cmd = cfg->command == PM_CMD_LOAD    ? "load"
                      : cfg->command == PM_CMD_SERVE ? "serve"
                                                     : NULL;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cfg->help = 1;
            continue;
        }
        if (!strcmp(a, "--version")) {
            cfg->version = 1;
            continue;
        }
        if (a[0] != '-' && cfg->command == PM_CMD_LOAD && !cfg->data_dir) {
            cfg->data_dir = a;
            continue;
        }
        if (a[0] != '-')
            return fail(cmd, "unexpected argument '%s'", a);
        int takes_value =
            cfg->command != PM_CMD_NONE &&
            (!strcmp(a, "--db") ||
             (cfg->command == PM_CMD_SERVE &&
              (!strcmp(a, "--bind") || !strcmp(a, "--port") || !strcmp(a, "--threads") ||
               !strcmp(a, "--sessions") || !strcmp(a, "--base-url") ||
               !strcmp(a, "--cors-origin") || !strcmp(a, "--viewer-dir") ||
               !strcmp(a, "--step-timeout-ms") || !strcmp(a, "--cache-mb") || limit_flag(cfg, a))));
        if (!takes_value)
            return fail(cmd, "unknown option '%s'", a);
        if (!v)
            return fail(cmd, "%s needs a value", a);
        i++;
        if (!strcmp(a, "--db")) {
            if (!*v)
                return fail(cmd, "%s needs a value", a);
            cfg->db = v;
        } else if (!strcmp(a, "--bind")) {
            cfg->bind = v;
        } else if (!strcmp(a, "--port")) {
            if (parse_unsigned(cmd, a, v, 0, 65535, &cfg->port))
                return -1;
        } else if (!strcmp(a, "--threads")) {
            if (parse_unsigned(cmd, a, v, 1, 256, &cfg->threads))
                return -1;
        } else if (!strcmp(a, "--sessions")) {
            if (parse_unsigned(cmd, a, v, 1, 4096, &cfg->sessions))
                return -1;
        } else if (!strcmp(a, "--base-url")) {
            size_t len = strlen(v);
            if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
                return fail(cmd, "--base-url: expected http:// or https://..., got '%s'", v);
            if (len && v[len - 1] == '/')
                return fail(cmd, "--base-url: leave out the trailing slash in '%s'", v);
            cfg->base_url = v;
        } else if (!strcmp(a, "--cors-origin")) {
            cfg->cors_origin = v;
        } else if (!strcmp(a, "--viewer-dir")) {
            cfg->viewer_dir = v;
        } else if (!strcmp(a, "--cache-mb")) {
            if (parse_unsigned(cmd, a, v, 0, 65536, &cfg->cache_mb))
                return -1;
        } else if (!strcmp(a, "--step-timeout-ms")) {
            if (parse_unsigned(cmd, a, v, 1, 3600000, &cfg->step_timeout_ms))
                return -1;
        } else {
            unsigned *limit = limit_flag(cfg, a);
            if (!limit || parse_unsigned(cmd, a, v, 1, 100000000, limit))
                return -1;
        }
    }
    if (cfg->help || cfg->version)
        return 0;
    if (cfg->command == PM_CMD_NONE)
        return fail(NULL, "%s", "no command given; expected load or serve");
    if (cfg->command == PM_CMD_LOAD && !cfg->data_dir)
        return fail(cmd, "%s", "no directory of CSV files given");
    if (!cfg->sessions)
        cfg->sessions = cfg->threads * 4;
    return 0;
}
