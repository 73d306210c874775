/*
 * test_deadlines: the real binary with small limits (--idle-timeout 2 --request-timeout 3
 * --max-connection-time 8) against clients that are never idle but never finish:
 *   - N_LORIS slow-loris connections, each sending one byte of a request head every 500 ms
 *     (four times faster than the idle timeout), never its end; the last N_AFTER_ANSWER of
 *     them first send one whole request and read its answer, and only then trickle;
 *   - one keep-alive connection that sends complete requests, each head in four pieces over
 *     1.5 s (half the request timeout each, all of it in two requests), and reads
 *     every answer;
 *   - meanwhile a normal client asks GET /collections on a new connection every 100 ms.
 *
 * What must hold (README, limits):
 *  - every slow-loris connection is closed by the server between --request-timeout (3 s)
 *    and 3 s + GRACE after it opened (no earlier: the time counts from the opening), or, for
 *    those answered once, after the answer came; the server logs a cut for the request
 *    timeout for each;
 *  - the keep-alive connection is answered until it is closed, between --max-connection-time
 *    (8 s) and 8 s + GRACE after it opened, with at least three answers (so the time to send
 *    a request head counts afresh after each response), and the server logs a cut for the
 *    connection time;
 *  - every request of the normal client is answered 200, several of them while all the
 *    slow-loris connections are still open;
 *  - the server exits 0 on SIGTERM.
 * A server without the request timeout fails the first point (the slow clients are cut at
 * 8 s, by the connection time, or never), and so does one that does not go back to timing
 * the request head once a response is sent (those answered once are cut at 8 s); one that
 * times every request head from the connection's opening cuts the keep-alive connection at
 * about 3 s.
 *
 * usage: test_deadlines PARTNERMAP FIXTURE_DB
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "rawhttp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define IDLE_TIMEOUT 2
#define REQUEST_TIMEOUT 3
#define MAX_CONNECTION_TIME 8
/* How late after its deadline a cut may be seen: the watchdog looks four times a second, and
 * an ASan build on a loaded 2-core machine is slow to wake. Less than the 5 s between the
 * two deadlines, so that a slow-loris client cut by the connection time fails. */
#define GRACE 4.0
#define N_LORIS 6
#define N_AFTER_ANSWER 2   /* of them, answered once before they trickle */
#define NORMAL_MIN_EARLY 5 /* normal answers while every slow-loris client is still open */

static const char *bin, *db;
static pid_t server_pid;
static unsigned port;
static char logpath[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int start_server(void)
{
    static const char *const extra[] = {"--threads",
                                        "2",
                                        "--sessions",
                                        "4",
                                        "--idle-timeout",
                                        "2",
                                        "--request-timeout",
                                        "3",
                                        "--max-connection-time",
                                        "8",
                                        NULL};
    snprintf(logpath, sizeof logpath, "/tmp/pm_deadlines_%d.log", (int)getpid());
    int pid = rh_spawn_server(bin, db, extra, logpath, &port);
    server_pid = pid > 0 ? (pid_t)pid : 0;
    return pid > 0 ? 0 : -1;
}

/* How many lines of the server's log hold needle. */
static int log_count(const char *needle)
{
    FILE *f = fopen(logpath, "r");
    char line[1024];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* --- the normal client: a new connection per request ------------------------------------ */

static atomic_int stop_clients;
static atomic_int normal_ok, normal_fail, normal_ok_early;
static _Atomic double loris_first_cut; /* when the first slow-loris client was cut; 0: not yet */
static double t_start;

static void *normal_client(void *arg)
{
    (void)arg;
    static const char req[] = "GET /collections HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\n\r\n";
    while (!atomic_load(&stop_clients)) {
        struct rh_resp r;
        rh_exchange(port, NULL, req, sizeof req - 1, 5000, &r);
        double t = now_s();
        if (r.status == 200 && strstr(r.body, "\"collections\"")) {
            atomic_fetch_add(&normal_ok, 1);
            double first = atomic_load(&loris_first_cut);
            if (first == 0 || t < first)
                atomic_fetch_add(&normal_ok_early, 1);
        } else {
            atomic_fetch_add(&normal_fail, 1);
            printf("normal client: status %d at t=%.1f s%s%s\n", r.status, t - t_start,
                   r.timed_out ? " (timed out)" : "", r.reset ? " (reset)" : "");
        }
        rh_resp_fini(&r);
        usleep(100 * 1000);
    }
    return NULL;
}

/* --- the keep-alive client: complete requests, each head sent slowly ---------------------- */

static double ka_opened;
static _Atomic double ka_closed; /* 0 while open */
static int ka_answered, ka_bad;

/* Wait ms for fd to turn readable, which before a request is complete means that the server
 * closed it (or sent what it should not have). 1 then, else 0. */
static int closed_while_waiting(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) > 0;
}

static void *keepalive_client(void *arg)
{
    (void)arg;
    static const char *const pieces[] = {"GET /collections HTTP/1.1\r\n", "Host: 127.0.0.1\r\n",
                                         "Accept: application/json\r\n", "\r\n"};
    ka_opened = now_s();
    int fd = rh_connect(port, NULL);
    if (fd < 0) {
        atomic_store(&ka_closed, ka_opened);
        return NULL;
    }
    int broken = 0;
    while (!broken && !atomic_load(&stop_clients)) {
        for (size_t i = 0; i < sizeof pieces / sizeof pieces[0] && !broken; i++) {
            if (i && closed_while_waiting(fd, 500)) {
                broken = 1;
                break;
            }
            size_t len = strlen(pieces[i]);
            broken = send(fd, pieces[i], len, MSG_NOSIGNAL) != (ssize_t)len;
        }
        if (broken)
            break;
        int status = rh_read_response(fd, 5000);
        if (status == 200)
            ka_answered++;
        else if (status)
            ka_bad++; /* answered, but not 200 */
        else
            broken = 1;
    }
    if (broken)
        atomic_store(&ka_closed, now_s());
    close(fd);
    return NULL;
}

/* --- the slow-loris clients --------------------------------------------------------------- */

static const char loris[] =
    "GET /collections HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "X-Padding-That-Never-Ends: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

struct slow {
    int fd;
    int answered_first;               /* sent a whole request first: its status */
    double opened, last_sent, closed; /* closed: 0 while open */
    double from;                      /* the request timeout counts from here */
    size_t sent, received;
};

static void test_deadlines(void **state)
{
    (void)state;
    struct slow sl[N_LORIS];
    pthread_t tn, tk;

    t_start = now_s();
    static const char whole[] = "GET /collections HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < N_LORIS; i++) {
        struct slow *x = &sl[i];
        memset(x, 0, sizeof *x);
        x->opened = x->from = x->last_sent = now_s();
        x->fd = rh_connect(port, NULL);
        if (x->fd < 0) {
            x->closed = x->opened;
            continue;
        }
        if (i >= N_LORIS - N_AFTER_ANSWER) {
            if (send(x->fd, whole, sizeof whole - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof whole - 1))
                x->answered_first = rh_read_response(x->fd, 5000);
            /* The server times the next head from when it finished sending this answer,
             * which is a moment before the client has read it all. */
            x->from = x->last_sent = now_s();
        }
        fcntl(x->fd, F_SETFL, fcntl(x->fd, F_GETFL) | O_NONBLOCK);
    }
    /* The slow clients are open (in the kernel's backlog at least) before anyone else asks. */
    pthread_create(&tn, NULL, normal_client, NULL);
    pthread_create(&tk, NULL, keepalive_client, NULL);

    /* Trickle until every slow client is closed or the last deadline (plus slack) passed. */
    double end = t_start + MAX_CONNECTION_TIME + GRACE + 1;
    int n_open = N_LORIS;
    while (n_open && now_s() < end) {
        double t = now_s();
        n_open = 0;
        for (int i = 0; i < N_LORIS; i++) {
            struct slow *x = &sl[i];
            if (x->closed)
                continue;
            char buf[4096];
            ssize_t n = recv(x->fd, buf, sizeof buf, 0);
            if (n > 0) {
                x->received += (size_t)n;
            } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                x->closed = t;
            } else if (t - x->last_sent >= 0.5 && x->sent < sizeof loris - 1) {
                if (send(x->fd, loris + x->sent, 1, MSG_NOSIGNAL) == 1) {
                    x->sent++;
                    x->last_sent = t;
                } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    x->closed = t;
                }
            }
            if (x->closed) {
                double first = atomic_load(&loris_first_cut);
                if (first == 0 || x->closed < first)
                    atomic_store(&loris_first_cut, x->closed);
                continue;
            }
            n_open++;
        }
        usleep(50 * 1000);
    }
    for (int i = 0; i < N_LORIS; i++)
        if (sl[i].fd >= 0)
            close(sl[i].fd);

    /* The keep-alive client ends when it is cut off; the normal client when told. */
    while (!atomic_load(&ka_closed) && now_s() < end)
        usleep(50 * 1000);
    atomic_store(&stop_clients, 1);
    pthread_join(tk, NULL);
    pthread_join(tn, NULL);

    int failures = 0;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("not ok - " __VA_ARGS__);                                                       \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)
    for (int i = 0; i < N_LORIS; i++) {
        struct slow *x = &sl[i];
        double after = (x->closed ? x->closed : now_s()) - x->from;
        int first = i >= N_LORIS - N_AFTER_ANSWER;
        printf("slow-loris client %d%s: %zu bytes sent, %zu received, %s after %.2f s\n", i,
               first ? " (answered once first)" : "", x->sent, x->received,
               x->closed ? "closed by the server" : "still open", after);
        CHECK(x->fd >= 0, "slow-loris client %d could not connect", i);
        CHECK(!first || x->answered_first == 200,
              "slow-loris client %d: its first, whole request got %d", i, x->answered_first);
        CHECK(x->closed, "slow-loris client %d was still open after %.1f s", i, after);
        /* Answered once, the server's clock may have started up to a scheduling delay
         * before the client had read the answer: 0.25 s of slack below. */
        CHECK(!x->closed || after >= REQUEST_TIMEOUT - (first ? 0.25 : 0),
              "slow-loris client %d was closed after %.2f s, before the request timeout (%d s)", i,
              after, REQUEST_TIMEOUT);
        CHECK(!x->closed || after <= REQUEST_TIMEOUT + GRACE,
              "slow-loris client %d was closed only after %.2f s (request timeout %d s)", i, after,
              REQUEST_TIMEOUT);
    }
    double ka_end = atomic_load(&ka_closed);
    double ka_after = (ka_end ? ka_end : now_s()) - ka_opened;
    printf("keep-alive client: %d answered 200, %d otherwise, %s after %.2f s\n", ka_answered,
           ka_bad, ka_end ? "closed by the server" : "still open", ka_after);
    CHECK(ka_end, "the keep-alive connection was still open after %.1f s", ka_after);
    CHECK(!ka_end || ka_after >= MAX_CONNECTION_TIME,
          "the keep-alive connection was closed after %.2f s, before the connection time (%d s)",
          ka_after, MAX_CONNECTION_TIME);
    CHECK(!ka_end || ka_after <= MAX_CONNECTION_TIME + GRACE,
          "the keep-alive connection was closed only after %.2f s (connection time %d s)", ka_after,
          MAX_CONNECTION_TIME);
    CHECK(ka_answered >= 3 && ka_bad == 0,
          "the keep-alive connection got %d answers 200 and %d others", ka_answered, ka_bad);
    printf("normal client: %d answered (%d while every slow-loris client was open), %d failed\n",
           atomic_load(&normal_ok), atomic_load(&normal_ok_early), atomic_load(&normal_fail));
    CHECK(atomic_load(&normal_fail) == 0, "%d normal requests failed", atomic_load(&normal_fail));
    CHECK(atomic_load(&normal_ok_early) >= NORMAL_MIN_EARLY,
          "only %d normal requests were answered while the slow-loris clients were open",
          atomic_load(&normal_ok_early));
    CHECK(atomic_load(&normal_ok) >= 2 * NORMAL_MIN_EARLY, "only %d normal requests answered",
          atomic_load(&normal_ok));

    kill(server_pid, SIGTERM);
    int st = 0;
    waitpid(server_pid, &st, 0);
    server_pid = 0;
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the server did not exit 0 on SIGTERM (%d)", st);
    int cut_request = log_count("limit=request-timeout"),
        cut_total = log_count("limit=max-connection-time");
    printf("server log: %d cuts for the request timeout, %d for the connection time\n", cut_request,
           cut_total);
    CHECK(cut_request >= N_LORIS, "the server logged %d cuts for the request timeout (want %d)",
          cut_request, N_LORIS);
    CHECK(cut_total >= 1, "the server logged no cut for the connection time");
#undef CHECK
    if (failures)
        fail_msg("%d deadline checks failed; the server log is %s", failures, logpath);
    unlink(logpath);
}

static int setup(void **state)
{
    (void)state;
    return start_server();
}

static int teardown(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PARTNERMAP FIXTURE_DB\n", argv[0]);
        return 2;
    }
    bin = argv[1];
    db = argv[2];
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_deadlines)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
