#!/usr/bin/env python3
"""partnermap benchmark driver (Python 3 standard library only). Run it through run.sh.

For each data size: generate the synthetic CSVs (gen_data.py), load them with
`partnermap load` (timed), start `partnermap serve`, and run every scenario with wrk against
partnermap, against nginx serving partnermap's identical response body as a static file, and
against MapServer 8 OGC API - Features (FastCGI behind nginx) reading the same SpatiaLite
database. Page through the whole `cities` collection with a keep-alive client that follows
the `next` links. Sample the servers' RSS from /proc while they work. Write results.md,
results.csv, latency.png and the raw wrk output to --out.
"""
import argparse
import csv
import hashlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

# name -> (partnermap path, MapServer path under /ogcapi or None, connections, what it is)
# {N} is replaced by the size; MapServer has no CQL2 filter and no near in 8.0, and ignores
# offset on an OGR layer, so those are not asked of it.
SCENARIOS = [
    ("landing", "/", "?f=json", 32, "landing page"),
    ("item", "/collections/cities/items/cn-b0000042",
     "/collections/cities/items/cn-b0000042?f=json", 32, "one feature by id"),
    ("bbox", "/collections/cities/items?bbox=135,34,136,35&limit=100",
     "/collections/cities/items?bbox=135,34,136,35&limit=100&f=json", 32,
     "bbox (Kansai, ~2.8 % of the rows) limit=100"),
    ("near", "/collections/cities/items?near=135.5,34.7&limit=10", None, 32,
     "near=135.5,34.7, k=10"),
    ("filter", "/collections/cities/items?limit=100&filter=" + urllib.parse.quote(
        "S_INTERSECTS(geometry,BBOX(130,31,136,36)) AND population > 2500000"),
     None, 2, "CQL2 S_INTERSECTS(BBOX) AND population > 2.5M, limit=100"),
    ("bbox_all", "/collections/cities/items?bbox=73,18,155,54&limit=100",
     "/collections/cities/items?bbox=73,18,155,54&limit=100&f=json", 2,
     "bbox holding every row, limit=100 (numberMatched = N)"),
    ("offset_deep", "/collections/cities/items?limit=100&offset={DEEP}", None, 2,
     "limit=100 at offset N-100 (the last page by OFFSET)"),
    ("after_deep", "/collections/cities/items?limit=100&after=jp-b{AFTER}", None, 2,
     "limit=100 after the id 100 from the end (keyset paging)"),
    ("partnerships_bbox", "/collections/partnerships/items?bbox=135,34,136,35&limit=100", None,
     2, "partnerships bbox limit=100 (a view with two joins)"),
    ("page10k", "/collections/cities/items?limit=10000",
     "/collections/cities/items?limit=10000&f=json", 4, "one 10,000-feature page"),
    # diagnostics: partnermap alone, one connection, so latency = service time
    ("diag_bbox_limit1", "/collections/cities/items?bbox=135,34,136,35&limit=1", "diag", 1,
     "bbox limit=1: per-request cost + numberMatched of the bbox"),
    ("diag_all_limit1", "/collections/cities/items?bbox=73,18,155,54&limit=1", "diag", 1,
     "bbox of every row, limit=1: numberMatched = N"),
    ("diag_items_limit1", "/collections/cities/items?limit=1", "diag", 1,
     "no filter, limit=1: count of the whole view"),
    ("diag_bbox_slim", "/collections/cities/items?bbox=135,34,136,35&limit=100&properties=name_en"
     "&skipGeometry=true", "diag", 1, "bbox limit=100, one property, no geometry"),
    ("diag_bbox_100_c1", "/collections/cities/items?bbox=135,34,136,35&limit=100", "diag", 1,
     "bbox limit=100, one connection"),
]
# Distinct-URL ("cold") variants for wrk: a Lua expression of c, a number unique to each request,
# so that every request misses the server's response cache and runs its query. The values move
# by millionths of a degree, so the work per request stays that of the named scenario.
COLD = {
    "item": '(c % {N} < {NCN}) and string.format("/collections/cities/items/cn-b%07d", '
            '1 + c % {N}) or string.format("/collections/cities/items/jp-b%07d", '
            '1 + c % {N} - {NCN})',
    # each round of it (ROUNDED) moves the south edge by a millionth of a degree more, so that
    # no round repeats a URL of another (which the response cache would answer)
    "bbox": 'string.format("/collections/cities/items?bbox=%.6f,%.6f,%.6f,35&limit=100", '
            '135 + c * 1e-6, 34 - {ROUND} * 1e-6, 136 + c * 1e-6)',
    "near": 'string.format("/collections/cities/items?near=%.6f,34.7&limit=10", 135.5 + c * 1e-6)',
    "filter": 'string.format("/collections/cities/items?limit=100&filter=S_INTERSECTS(geometry%%2C'
              'BBOX(130%%2C31%%2C136%%2C36))%%20AND%%20population%%20%%3E%%20%d", 2500000 + c)',
    "bbox_all": 'string.format("/collections/cities/items?bbox=73,18,%.6f,54&limit=100", '
                '155 + c * 1e-6)',
    "offset_deep": 'string.format("/collections/cities/items?limit=100&offset=%d", '
                   '{DEEP} - (c % {DEEPMOD}))',  # offsets from N/2 to N-100
    "after_deep": 'string.format("/collections/cities/items?limit=100&after=jp-b%07d", '
                  '{AFTER} - (c % {AFTERMOD}))',
    "partnerships_bbox": 'string.format("/collections/partnerships/items?bbox=%.6f,34,%.6f,35'
                         '&limit=100", 135 + c * 1e-6, 136 + c * 1e-6)',
    "page10k": 'string.format("/collections/cities/items?limit=%d", 10000 - (c % 1000))',
    "diag_bbox_limit1": 'string.format("/collections/cities/items?bbox=%.6f,34,%.6f,35&limit=1", '
                        '135 + c * 1e-6, 136 + c * 1e-6)',
    "diag_all_limit1": 'string.format("/collections/cities/items?bbox=73,18,%.6f,54&limit=1", '
                       '155 + c * 1e-6)',
    "diag_items_limit1": 'string.format("/collections/cities/items?limit=1&after=cn-b%07d", '
                         '1 + (c % {NJP}))',
    "diag_bbox_slim": 'string.format("/collections/cities/items?bbox=%.6f,34,%.6f,35&limit=100'
                      '&properties=name_en&skipGeometry=true", 135 + c * 1e-6, 136 + c * 1e-6)',
    "diag_bbox_100_c1": 'string.format("/collections/cities/items?bbox=%.6f,34,%.6f,35&limit=100", '
                        '135 + c * 1e-6, 136 + c * 1e-6)',
}
# The scenarios measured in rounds (--rounds), partnermap and nginx alternating.
ROUNDED = {"bbox"}
LUA = """-- generated by tests/bench/bench.py: a distinct URL per request (misses the response cache)
local counter = 0
local n_threads = 0
function setup(thread)
  thread:set("tid", n_threads)
  n_threads = n_threads + 1
end
function request()
  counter = counter + 1
  local c = counter * 16 + (tonumber(tid) or 0)
  return wrk.format("GET", %s)
end
"""

SERVERS = ["partnermap", "nginx-static", "mapserver"]


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kb(pid, field="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


class RssSampler:
    """Max over time of the summed VmRSS of some processes (and their children)."""

    def __init__(self, pids, with_children=False, period=0.05):
        self.pids, self.kids, self.period = list(pids), with_children, period
        self.peak = 0
        self.base = self.sample()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def sample(self):
        pids = set(self.pids)
        if self.kids:
            for p in self.pids:
                pids.update(children(p))
        return sum(rss_kb(p) for p in pids)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(self.period)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.sample())


def http_get(port, path, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def wait_http(port, path, secs=15):
    t = time.time() + secs
    while time.time() < t:
        try:
            st, _ = http_get(port, path, timeout=5)
            if st < 500:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def to_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def parse_wrk(text):
    r = {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "non2xx": 0, "errors": 0,
         "requests": 0}
    for line in text.splitlines():
        s = line.split()
        if not s:
            continue
        if s[0] == "Requests/sec:":
            r["rps"] = float(s[1])
        elif s[0] == "50%":
            r["p50"] = to_ms(s[1])
        elif s[0] == "99%":
            r["p99"] = to_ms(s[1])
        elif line.strip().startswith("Non-2xx"):
            r["non2xx"] = int(s[-1])
        elif line.strip().startswith("Socket errors"):
            r["errors"] = sum(int(x.strip(",")) for x in s[3::2])
        elif len(s) > 2 and s[1] == "requests" and s[2] == "in":
            r["requests"] = int(s[0])
    return r


class Bench:
    def __init__(self, a):
        self.a = a
        self.out = os.path.abspath(a.out)
        self.run = os.path.join(self.out, "run")
        self.raw = os.path.join(self.out, "raw")
        for d in (self.out, self.run, self.raw, os.path.join(self.run, "static"),
                  os.path.join(self.run, "nginx-tmp")):
            os.makedirs(d, exist_ok=True)
        self.procs = []   # (name, Popen or pid) we started, stopped in reverse order
        self.rows = []    # result rows (dicts)
        self.loads = {}   # size -> (seconds, rc)
        self.notes = []
        self.nginx_port = None
        self.fcgi_port = None
        self.nginx = None
        self.mapserv_pids = []

    # ---------------------------------------------------------------- data
    def data(self, n):
        d = os.path.join(self.out, "data", str(n))
        gen = os.path.join(HERE, "gen_data.py")
        h = hashlib.sha256()
        for f in [gen] + [os.path.join(self.a.geodata, x + ".csv")
                          for x in ("countries", "regions", "gazetteer")]:
            with open(f, "rb") as fh:
                h.update(fh.read())
        stamp = "%s n=%d seed=%d\n" % (h.hexdigest(), n, self.a.seed)
        sf = os.path.join(d, ".stamp")
        if not (os.path.exists(sf) and open(sf).read() == stamp):
            shutil.rmtree(d, ignore_errors=True)
            t = time.time()
            subprocess.run([sys.executable, gen, self.a.geodata, d, str(n), str(self.a.seed)],
                           check=True)
            with open(sf, "w") as f:
                f.write(stamp)
            log("generated %d in %.1f s" % (n, time.time() - t))
        return d

    def load(self, n, d):
        db = os.path.join(self.out, "db", "%d.sqlite" % n)
        os.makedirs(os.path.dirname(db), exist_ok=True)
        if self.a.reuse_db and os.path.exists(db):
            self.loads[n] = (None, 0)
            log("reusing %s (load not timed)" % db)
            return db
        t = time.time()
        with open(os.path.join(self.raw, "load-%d.log" % n), "w") as lf:
            rc = subprocess.run([self.a.partnermap, "load", "--db", db, d], stdout=lf,
                                stderr=subprocess.STDOUT).returncode
        dt = time.time() - t
        self.loads[n] = (dt, rc)
        log("load %d: %.1f s rc=%d" % (n, dt, rc))
        if rc != 0:
            sys.exit("partnermap load failed, see %s/load-%d.log" % (self.raw, n))
        return db

    # ---------------------------------------------------------------- servers
    def start_partnermap(self, db, n):
        port = free_port()
        lf = open(os.path.join(self.raw, "serve-%d.log" % n), "w")
        p = subprocess.Popen([self.a.partnermap, "serve", "--db", db, "--port", str(port)],
                             stdout=lf, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(("partnermap", p))
        if not wait_http(port, "/conformance"):
            sys.exit("partnermap serve did not come up, see %s/serve-%d.log" % (self.raw, n))
        return p, port

    def stop_proc(self, p, grace=10.0):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = [x for x in self.procs if x[1] is not p]

    def start_peers(self, dbs):
        self.nginx_port = free_port()
        if self.a.mapserver:
            self.fcgi_port = free_port()
            with open(os.path.join(self.run, "mapserver.conf"), "w") as f:
                f.write('CONFIG\n  ENV\n    MS_MAP_NO_PATH "1"\n  END\n  MAPS\n')
                for n, db in dbs.items():
                    f.write('    c%d "%s/c%d.map"\n' % (n, self.run, n))
                f.write("  END\nEND\n")
            tpl = open(os.path.join(HERE, "mapserver.map.in")).read()
            for n, db in dbs.items():
                base = "http://127.0.0.1:%d/fcgi/mapserv/c%d/ogcapi" % (self.nginx_port, n)
                with open(os.path.join(self.run, "c%d.map" % n), "w") as f:
                    f.write(tpl.replace("@NAME@", "c%d" % n).replace("@BASE_URL@", base)
                            .replace("@DB@", db))
            self.spawn_mapserv()
        conf = open(os.path.join(HERE, "nginx.conf.in")).read()
        conf = (conf.replace("@RUN@", self.run).replace("@PORT@", str(self.nginx_port))
                .replace("@FCGI_PORT@", str(self.fcgi_port or 9)))
        with open(os.path.join(self.run, "nginx.conf"), "w") as f:
            f.write(conf)
        self.nginx = subprocess.Popen(["nginx", "-c", os.path.join(self.run, "nginx.conf")],
                                      stdout=open(os.path.join(self.raw, "nginx.out"), "w"),
                                      stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(("nginx", self.nginx))
        os.makedirs(os.path.join(self.run, "static"), exist_ok=True)
        with open(os.path.join(self.run, "static", "ping.json"), "w") as f:
            f.write("{}")
        if not wait_http(self.nginx_port, "/static/ping.json"):
            sys.exit("nginx did not come up, see %s/nginx-error.log" % self.run)
        log("nginx on %d%s" % (self.nginx_port, ", MapServer FastCGI on %d (pids %s)" % (
            self.fcgi_port, self.mapserv_pids) if self.a.mapserver else ""))

    def spawn_mapserv(self):
        pidf = os.path.join(self.run, "mapserv.pid")
        if os.path.exists(pidf):
            os.unlink(pidf)
        env = dict(os.environ, MAPSERVER_CONFIG_FILE=os.path.join(self.run, "mapserver.conf"))
        for i in range(20):
            r = subprocess.run(["spawn-fcgi", "-a", "127.0.0.1", "-p", str(self.fcgi_port),
                                "-F", str(self.a.fcgi_children), "-P", pidf, "--",
                                "/usr/lib/cgi-bin/mapserv"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                break
            time.sleep(0.25)
        self.mapserv_pids = [int(x) for x in open(pidf).read().split()]

    def kill_mapserv(self):
        # mapserv in FastCGI mode only notices SIGTERM after its next request: KILL (ours)
        for pid in self.mapserv_pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in self.mapserv_pids:
            try:
                os.waitpid(pid, 0)
            except OSError:
                while os.path.exists("/proc/%d" % pid) and not open(
                        "/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z":
                    time.sleep(0.05)
        self.mapserv_pids = []

    def settle_mapserv(self, n, what):
        if not self.wait_idle(n, what + " (MapServer)", self.mapserv_pids, False, cap=5):
            self.kill_mapserv()
            self.spawn_mapserv()
            self.notes.append("%d %s: MapServer was still busy 5 s after wrk stopped: restarted "
                              "(queued requests dropped)" % (n, what))

    def settle_pm(self, n, what):
        if not self.wait_idle(n, what, [self.pm.pid], False, cap=10):
            self.stop_proc(self.pm, grace=0.1)
            self.pm, self.pm_port = self.start_partnermap(self.pm_db, n)
            self.notes.append("%d %s: partnermap was still busy 10 s after wrk stopped: "
                              "restarted (queued requests dropped; RSS and caches start again)"
                              % (n, what))

    def stop_all(self):
        for name, p in reversed(self.procs):
            self.stop_proc(p)
        self.procs = []
        self.kill_mapserv()

    # ---------------------------------------------------------------- measurements
    def wrk(self, url, conns, tag, pids, kids, lua=None):
        dur = self.a.duration
        cmd = ["wrk", "-t%d" % min(2, conns), "-c%d" % conns, "-d%ds" % dur, "--latency",
               "--timeout", "%ds" % max(5, 2 * dur), url]
        if lua:
            lf = os.path.join(self.run, "%s.lua" % tag)
            with open(lf, "w") as f:
                f.write(LUA % lua)
            cmd[1:1] = ["-s", lf]
        with RssSampler(pids, kids) as s:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=dur + 30)
        with open(os.path.join(self.raw, "wrk-%s.txt" % tag), "w") as f:
            f.write(" ".join(cmd) + "\n" + r.stdout + r.stderr)
        res = parse_wrk(r.stdout)
        res["rss_mb"] = s.peak / 1024.0
        time.sleep(self.a.pause)
        return res

    def wait_idle(self, n, what, pids, kids, cap=None):
        """Wait until the server stops burning CPU (requests queued before wrk stopped)."""
        def cpu():
            ps = set(pids)
            if kids:
                for p in pids:
                    ps.update(children(p))
            t = 0
            for p in ps:
                try:
                    with open("/proc/%d/stat" % p) as f:
                        v = f.read().rsplit(")", 1)[1].split()
                    t += int(v[11]) + int(v[12])
                except (OSError, IndexError, ValueError):
                    pass
            return t / os.sysconf("SC_CLK_TCK")
        t0, c0 = time.time(), cpu()
        cap = cap or (5 if self.a.smoke else 30)
        while time.time() - t0 < cap:
            time.sleep(0.25)
            c1 = cpu()
            if c1 - c0 < 0.02:
                break
            c0 = c1
        dt = time.time() - t0
        if dt > 1.0:
            self.notes.append("%d %s: the server kept working %.1f s after wrk stopped "
                              "(requests queued behind slow ones)%s" % (
                                  n, what, dt, "; gave up waiting" if dt >= cap else ""))
        return dt < cap

    def paging(self, port, first, n, pids, kids, max_pages=None, ids=False, cap=None):
        """Follow `next` from `first`; MB/s, per-page latency, RSS growth."""
        cap = cap or self.a.page_secs
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=min(120, cap + 15))
        path, pages, nbytes, feats, lat = first, 0, 0, 0, []
        seen, dup = set(), 0
        complete = False
        status_bad = 0
        with RssSampler(pids, kids) as s:
            base = s.base
            t0 = time.time()
            while path:
                t = time.time()
                try:
                    c.request("GET", path)
                    r = c.getresponse()
                    body = r.read()
                except OSError:
                    status_bad += 1
                    break
                lat.append((time.time() - t) * 1e3)
                if r.status != 200:
                    status_bad += 1
                    break
                pages += 1
                nbytes += len(body)
                feats += len(re.findall(rb'"type"\s*:\s*"Feature"', body))
                if ids:
                    for m in re.finditer(rb'"id"\s*:\s*"([^"]+)"\s*,\s*"(?:properties|geometry)"', body):
                        if m.group(1) in seen:
                            dup += 1
                        seen.add(m.group(1))
                nxt = None
                for chunk in (body[-8192:], body[:8192], body):
                    m = re.search(rb'\{[^{}]*"rel"\s*:\s*"next"[^{}]*\}', chunk)
                    if m:
                        h = re.search(rb'"href"\s*:\s*"([^"]+)"', m.group(0))
                        if h:
                            u = urllib.parse.urlsplit(h.group(1).decode())
                            nxt = u.path + ("?" + u.query if u.query else "")
                        break
                path = nxt
                if path is None:
                    complete = True
                if time.time() - t0 > cap or (max_pages and pages >= max_pages):
                    break
            el = time.time() - t0
        c.close()
        lat.sort()
        pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
        return {"pages": pages, "bytes": nbytes, "features": feats, "secs": el,
                "mbps": nbytes / 1e6 / el if el > 0 else 0.0, "rps": pages / el if el else 0,
                "p50": pct(0.5), "p99": pct(0.99), "rss_mb": s.peak / 1024.0,
                "rss_growth_mb": (s.peak - base) / 1024.0, "complete": complete,
                "unique": len(seen), "dup": dup, "bad": status_bad}

    def static_repeat(self, url_path, pages, pids):
        """Fetch the same static page `pages` times over one connection: the client's ceiling."""
        c = http.client.HTTPConnection("127.0.0.1", self.nginx_port, timeout=60)
        lat, nbytes = [], 0
        with RssSampler(pids, True) as s:
            t0 = time.time()
            for _ in range(max(1, pages)):
                t = time.time()
                c.request("GET", url_path)
                body = c.getresponse().read()
                lat.append((time.time() - t) * 1e3)
                nbytes += len(body)
                re.findall(rb'"type"\s*:\s*"Feature"', body)
                if time.time() - t0 > self.a.page_secs:
                    break
            el = time.time() - t0
        c.close()
        lat.sort()
        return {"pages": len(lat), "bytes": nbytes, "secs": el, "mbps": nbytes / 1e6 / el,
                "rps": len(lat) / el, "p50": lat[len(lat) // 2],
                "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))], "rss_mb": s.peak / 1024.0}

    def add(self, n, scen, server, res, body=None, note=""):
        row = {"size": n, "scenario": scen, "server": server, "rps": res.get("rps"),
               "p50_ms": res.get("p50"), "p99_ms": res.get("p99"), "peak_rss_mb": res.get("rss_mb"),
               "body_bytes": body, "non2xx": res.get("non2xx", 0), "errors": res.get("errors", 0),
               "mb_s": res.get("mbps"), "rss_growth_mb": res.get("rss_growth_mb"), "note": note}
        self.rows.append(row)
        log("%8d %-18s %-12s %10.1f req/s p50 %8.2f ms p99 %8.2f ms rss %6.1f MB %s" % (
            n, scen, server, row["rps"] or 0, row["p50_ms"] or float("nan"),
            row["p99_ms"] or float("nan"), row["peak_rss_mb"] or 0, note))

    def run_size(self, n, db):
        a = self.a
        self.pm_db = db
        self.pm, self.pm_port = self.start_partnermap(db, n)
        stat_dir = os.path.join(self.run, "static", str(n))
        os.makedirs(stat_dir, exist_ok=True)
        ms_prefix = "/fcgi/mapserv/c%d/ogcapi" % n
        only = set(a.scenarios.split(",")) if a.scenarios else None
        for name, pm_path, ms_path, conns, what in SCENARIOS:
            if only and name not in only:
                continue
            diag = ms_path == "diag"
            if diag and a.smoke:
                continue
            if diag:
                ms_path = None
            conns = min(conns, a.conns)
            njp = n - n * 6 // 10
            # the distinct-URL variants repeat only after about N requests (N/2 for offsets);
            # the notes say when a run made more requests than that (cache hits)
            subst = {"{DEEP}": str(max(0, n - 100)), "{DEEPMOD}": str(max(1, n // 2 - 100)),
                     "{AFTER}": "%07d" % max(1, njp - 100), "{AFTERMOD}": str(max(1, njp - 200)),
                     "{NJP}": str(njp), "{NCN}": str(n - njp), "{N}": str(n)}
            path = pm_path
            for k, v in subst.items():
                path = path.replace(k, v)
            st, body = http_get(self.pm_port, path)
            if st != 200:
                self.notes.append("%d %s: partnermap answered %d" % (n, name, st))
            with open(os.path.join(stat_dir, name + ".json"), "wb") as f:
                f.write(body)
            self.settle_pm(n, name)
            if not (diag and name in COLD):
                res = self.wrk("http://127.0.0.1:%d%s" % (self.pm_port, path), conns,
                               "%d-%s-partnermap" % (n, name), [self.pm.pid], False)
                self.add(n, name, "partnermap", res, len(body), "%d conn, same URL (response "
                         "cache)" % conns if name in COLD else "%d conn" % conns)
                self.settle_pm(n, name)
            cold = name in COLD and (not a.smoke or name == "bbox")
            static = self.nginx and not diag and (not a.smoke or name == "bbox")
            # The targets' scenario alternates the two a few times and keeps each one's median
            # round: a neighbour's burst on this shared machine then spoils one round, not the
            # ratio.
            rounds = a.rounds if name in ROUNDED and not a.smoke else 1
            cold_runs, static_runs = [], []
            for r in range(rounds):
                sfx = "-r%d" % (r + 1) if rounds > 1 else ""
                if cold:
                    lua = COLD[name].replace("{ROUND}", str(r))
                    for k, v in subst.items():
                        lua = lua.replace(k, v.lstrip("0") or "0")
                    res = self.wrk("http://127.0.0.1:%d%s" % (self.pm_port, path), conns,
                                   "%d-%s-partnermap-cold%s" % (n, name, sfx), [self.pm.pid],
                                   False, lua)
                    cold_runs.append(res)
                    distinct = {"item": n, "offset_deep": n // 2, "after_deep": njp - 200,
                                "diag_items_limit1": njp}.get(name)
                    if distinct and res["requests"] > distinct:
                        self.notes.append("%d %s (cold): %d requests over %d distinct URLs: some "
                                          "were answered from the response cache" % (
                                              n, name, res["requests"], distinct))
                    self.settle_pm(n, name + " (cold)")
                if static:
                    static_runs.append(self.wrk(
                        "http://127.0.0.1:%d/static/%d/%s.json" % (self.nginx_port, n, name),
                        conns, "%d-%s-nginx%s" % (n, name, sfx), [self.nginx.pid], True))
            if cold_runs:
                self.add(n, name, "partnermap-cold", median_run(cold_runs), len(body),
                         "%d conn, a distinct URL per request%s" % (conns, rounds_note(cold_runs)))
            if static_runs:
                self.add(n, name, "nginx-static", median_run(static_runs), len(body),
                         "%d conn%s" % (conns, rounds_note(static_runs)))
            if a.mapserver and ms_path and not a.smoke:
                url = "http://127.0.0.1:%d%s%s" % (self.nginx_port, ms_prefix, ms_path)
                mconns = min(conns, 2 * a.fcgi_children)
                try:
                    st, mbody = http_get(self.nginx_port, ms_prefix + ms_path, timeout=30)
                except OSError as e:
                    st, mbody = 0, b""
                    self.notes.append("%d %s: MapServer failed: %s" % (n, name, e))
                if st != 200:
                    self.notes.append("%d %s: MapServer answered %d: %s" % (
                        n, name, st, mbody[:200].decode("utf-8", "replace")))
                res = self.wrk(url, mconns, "%d-%s-mapserver" % (n, name), self.mapserv_pids, False)
                self.add(n, name, "mapserver", res, len(mbody), "%d conn" % mconns)
                self.settle_mapserv(n, name)
        if not only or "paging" in only:
            self.settle_pm(n, "before paging")
            self.paging_all(n, self.pm_port, self.pm, stat_dir, ms_prefix)
        # the server's own high-water mark over the whole size
        self.notes.append("%d: partnermap VmHWM after all scenarios %.1f MB" % (
            n, rss_kb(self.pm.pid, "VmHWM") / 1024.0))
        self.stop_proc(self.pm)

    def paging_all(self, n, port, pm, stat_dir, ms_prefix):
        a = self.a
        res = self.paging(port, "/collections/cities/items?limit=%d" % a.page_limit, n, [pm.pid],
                          False)
        note = "%d pages, %d features, %.0f MB in %.1f s, RSS +%.1f MB%s" % (
            res["pages"], res["features"], res["bytes"] / 1e6, res["secs"], res["rss_growth_mb"],
            "" if res["complete"] else ", STOPPED at the %d s cap (not complete)" % a.page_secs)
        if res["complete"] and res["features"] != n:
            note += ", MISMATCH: expected %d features" % n
        self.add(n, "paging", "partnermap", res, res["bytes"], note)
        self.paging_result = getattr(self, "paging_result", {})
        self.paging_result[n] = res
        if self.nginx and not a.smoke:
            # nginx: the same number of 10,000-feature pages, the static page10k body
            pg = os.path.join(stat_dir, "page10k.json")
            if os.path.exists(pg) and a.page_limit == 10000:
                r = self.static_repeat("/static/%d/page10k.json" % n, res["pages"], [self.nginx.pid])
                self.add(n, "paging", "nginx-static", r, r["bytes"],
                         "%d fetches of the static 10,000-feature page, one connection" % r["pages"])
        if a.mapserver and not a.smoke:
            pages = max(1, math.ceil(n / 10000))
            r = self.paging(self.nginx_port, ms_prefix + "/collections/cities/items?limit=10000&f=json",
                            n, self.mapserv_pids, False, max_pages=pages, ids=True,
                            cap=min(a.page_secs, 15))
            self.add(n, "paging", "mapserver", r, r["bytes"],
                     "%d pages, %d features, %d unique ids, %d duplicates%s" % (
                         r["pages"], r["features"], r["unique"], r["dup"],
                         "" if r["complete"] or r["pages"] >= pages else ", stopped at the 15 s cap"))
            self.settle_mapserv(n, "paging")

    # ---------------------------------------------------------------- report
    def pmrow(self, n, scen):
        """partnermap's query figure: the distinct-URL run if there is one, else the same-URL run."""
        return self.find(n, scen, "partnermap-cold") or self.find(n, scen, "partnermap")

    def find(self, n, scen, server):
        for r in self.rows:
            if r["size"] == n and r["scenario"] == scen and r["server"] == server:
                return r
        return None

    def report(self, started):
        a = self.a
        sizes = sorted({r["size"] for r in self.rows})
        f2 = lambda v, fmt="%.1f": "" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt % v
        # ratios
        for r in self.rows:
            r["vs_nginx"] = r["vs_mapserver"] = None
            if not r["server"].startswith("partnermap"):
                continue
            key = "mb_s" if r["scenario"] == "paging" else "rps"
            for peer, col in (("nginx-static", "vs_nginx"), ("mapserver", "vs_mapserver")):
                p = self.find(r["size"], r["scenario"], peer)
                if p and p.get(key) and r.get(key):
                    r[col] = r[key] / p[key]
        cols = ["size", "scenario", "server", "rps", "p50_ms", "p99_ms", "peak_rss_mb", "body_bytes",
                "mb_s", "rss_growth_mb", "vs_nginx", "vs_mapserver", "non2xx", "errors", "note"]
        with open(os.path.join(self.out, "results.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for r in self.rows:
                w.writerow([("%.4g" % r[c]) if isinstance(r.get(c), float) else r.get(c, "")
                            for c in cols])
        L = []
        git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
        try:
            st = os.stat(self.a.partnermap)
            binfo = "binary %s built %s" % (self.a.partnermap, time.strftime(
                "%Y-%m-%d %H:%M:%S", time.localtime(st.st_mtime)))
        except OSError:
            binfo = "binary ?"
        L.append("# partnermap benchmark")
        L.append("")
        L.append("%s, %d CPUs shared by client and servers (loopback), commit %s; wrk %ds per run, "
                 "at most %d connections, 2 threads; partnermap with its default threads%s%s; "
                 "total %.0f s; %s.%s"
                 % (time.strftime("%Y-%m-%d %H:%M %Z"), os.cpu_count(), git or "?", a.duration,
                    a.conns, "; nginx %s, 2 workers" % self.version(["nginx", "-v"])
                    if a.nginx else "; no nginx",
                    "; MapServer %s FastCGI x%d behind nginx (CLOSE_CONNECTION=DEFER)" % (
                        self.version(["mapserv", "-v"]), a.fcgi_children) if a.mapserver else "",
                    time.time() - started, binfo,
                    " SMOKE RUN: tiny data, one-second runs; the figures mean nothing."
                    if a.smoke else ""))
        L.append("")
        L.append("## Load (`partnermap load`, cities + as many partnerships)")
        L.append("")
        L.append("| cities | seconds | rows/s |")
        L.append("|---:|---:|---:|")
        for n in sizes:
            s, rc = self.loads.get(n, (None, 0))
            L.append("| %d | %s | %s |" % (n, f2(s), f2(2 * n / s if s else None, "%.0f")))
        L.append("")
        L.append("## Requests")
        L.append("")
        L.append("`partnermap` repeats one URL (after the first request it is answered from the "
                 "server's response cache); `partnermap-cold` sends a distinct URL per request "
                 "(coordinates moved by millionths of a degree, another id, ...), so every request "
                 "runs its query: that is the figure the targets use. "
                 "req/s and latency from wrk; paging rows: pages/s, per-page latency, MB/s. "
                 "Ratios are partnermap / peer (req/s, or MB/s for paging). RSS: peak of the "
                 "summed VmRSS of the server's processes during the run.")
        L.append("")
        L.append("| cities | scenario | server | req/s | p50 ms | p99 ms | peak RSS MB | body bytes "
                 "| MB/s | pm/nginx | pm/MapServer | non-2xx | note |")
        L.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in self.rows:
            L.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["size"], r["scenario"], r["server"], f2(r["rps"]), f2(r["p50_ms"], "%.2f"),
                f2(r["p99_ms"], "%.2f"), f2(r["peak_rss_mb"]), r["body_bytes"] or "",
                f2(r["mb_s"]), f2(r["vs_nginx"], "%.2f"), f2(r["vs_mapserver"], "%.0fx"),
                r["non2xx"] + r["errors"], r["note"]))
        if len(sizes) > 1:
            lo, hi = sizes[0], sizes[-1]
            L.append("")
            L.append("## Scaling of partnermap from %d to %d cities" % (lo, hi))
            L.append("")
            L.append("| scenario | " + " | ".join("p50 ms @%d" % n for n in sizes)
                     + " | p50 %d/%d | req/s %d/%d |" % (hi, lo, lo, hi))
            L.append("|---|" + "---:|" * (len(sizes) + 2))
            for name in [s[0] for s in SCENARIOS] + ["paging"]:
                rs = [self.pmrow(n, name) for n in sizes]
                if not rs[0] or not rs[-1]:
                    continue
                L.append("| %s | %s | %s | %s |" % (
                    name, " | ".join(f2(r and r["p50_ms"], "%.2f") for r in rs),
                    f2(rs[-1]["p50_ms"] / rs[0]["p50_ms"] if rs[0]["p50_ms"] else None, "%.1fx"),
                    f2(rs[0]["rps"] / rs[-1]["rps"] if rs[-1]["rps"] else None, "%.1fx")))
        diag = [(n, {k: self.pmrow(n, k) for k in (
            "diag_bbox_limit1", "diag_all_limit1", "diag_items_limit1", "diag_bbox_slim",
            "diag_bbox_100_c1", "offset_deep", "item")}) for n in sizes]
        if any(d["diag_bbox_limit1"] for n, d in diag):
            L.append("")
            L.append("## Where the time goes (partnermap, one connection, p50 = service time)")
            L.append("")
            L.append("| cities | bbox limit=1 ms | all-rows bbox limit=1 ms | no filter limit=1 ms "
                     "| bbox limit=100 ms | same, 1 property, no geometry ms | per extra feature us "
                     "| numberMatched=N extra ms |")
            L.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
            g = lambda d, k: d[k]["p50_ms"] if d[k] and d[k]["rps"] else float("nan")
            for n, d in diag:
                t1, ta, ti, t100, sl = (g(d, k) for k in ("diag_bbox_limit1", "diag_all_limit1",
                                                          "diag_items_limit1", "diag_bbox_100_c1",
                                                          "diag_bbox_slim"))
                L.append("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
                    n, f2(t1, "%.2f"), f2(ta, "%.2f"), f2(ti, "%.2f"), f2(t100, "%.2f"),
                    f2(sl, "%.2f"), f2((t100 - t1) / 99 * 1e3, "%.0f"), f2(ta - t1, "%.1f")))
        L.append("")
        L.append("## Targets")
        L.append("")
        for t in self.targets(sizes):
            L.append("- " + t)
        if self.notes:
            L.append("")
            L.append("## Notes")
            L.append("")
            for n in self.notes:
                L.append("- " + n)
        md = "\n".join(L) + "\n"
        with open(os.path.join(self.out, "results.md"), "w") as f:
            f.write(md)
        print(md)
        self.plot(sizes)

    @staticmethod
    def version(cmd):
        r = subprocess.run(cmd, capture_output=True, text=True)
        m = re.search(r"(\d+\.\d+\.\d+)", r.stdout + r.stderr)
        return m.group(1) if m else "?"

    def targets(self, sizes):
        T = []
        ok = lambda c: "MET" if c else "MISSED"
        for n in sizes:
            b = self.pmrow(n, "bbox")
            if not b:
                continue
            ng = self.find(n, "bbox", "nginx-static")
            ms = self.find(n, "bbox", "mapserver")
            hot = self.find(n, "bbox", "partnermap")
            if ng and ng["rps"]:
                T.append("%d: bbox limit=100 >= 50 %% of nginx static: %s (%.0f vs %.0f req/s = %.0f %%%s)"
                         % (n, ok(b["rps"] >= 0.5 * ng["rps"]), b["rps"], ng["rps"],
                            100 * b["rps"] / ng["rps"],
                            "; the same URL again and again, from the response cache: %.0f req/s = %.0f %%"
                            % (hot["rps"], 100 * hot["rps"] / ng["rps"]) if hot and hot is not b else ""))
            if ms and ms["rps"]:
                T.append("%d: bbox limit=100 > 100x MapServer: %s (%.0f vs %.1f req/s = %.0fx)"
                         % (n, ok(b["rps"] > 100 * ms["rps"]), b["rps"], ms["rps"],
                            b["rps"] / ms["rps"]))
            T.append("%d: bbox p99 < 10 ms at %d connections: %s (p99 %.2f ms%s)"
                     % (n, min(32, self.a.conns), ok(b["p99_ms"] < 10), b["p99_ms"],
                        "; same URL, cached: %.2f ms" % hot["p99_ms"] if hot and hot is not b else ""))
        if len(sizes) > 1:
            lo, hi = sizes[0], sizes[-1]
            for name in ("bbox", "near", "bbox_all"):
                r0, r1 = self.pmrow(lo, name), self.pmrow(hi, name)
                if r0 and r1 and r0["rps"]:
                    cost = r0["rps"] / r1["rps"] if r1["rps"] else float("inf")
                    T.append("%s at %d costs <= 2x its cost at %d (cost = 1 / saturated req/s): %s "
                             "(req/s %.0f -> %.0f = %.1fx the cost; p50 %.2f -> %.2f ms)" % (
                                 name, hi, lo, ok(cost <= 2), r0["rps"], r1["rps"], cost,
                                 r0["p50_ms"], r1["p50_ms"]))
        hi = sizes[-1] if sizes else None
        pr = getattr(self, "paging_result", {}).get(hi)
        if pr:
            T.append("%d: whole collection through paging >= 100 MB/s: %s (%.1f MB/s, %s)" % (
                hi, ok(pr["mbps"] >= 100 and pr["complete"]), pr["mbps"],
                "complete" if pr["complete"] else "stopped at the %d s cap after %d of %d features"
                % (self.a.page_secs, pr["features"], hi)))
            T.append("%d: RSS growth while paging < 64 MB: %s (+%.1f MB)" % (
                hi, ok(pr["rss_growth_mb"] < 64), pr["rss_growth_mb"]))
        b0 = self.pmrow(hi, "bbox")
        ba = self.pmrow(hi, "bbox_all")
        d0 = self.pmrow(hi, "diag_bbox_limit1")
        da = self.pmrow(hi, "diag_all_limit1")
        if b0 and ba and ba["rps"]:
            T.append("%d: numberMatched does not make a large query slow (bbox holding all %d rows vs "
                     "the Kansai bbox, both limit=100; cost = 1 / req/s, within 2x): %s (%.1f vs %.0f "
                     "req/s = %.1fx the cost%s)" % (
                         hi, hi, ok(b0["rps"] / ba["rps"] <= 2), ba["rps"], b0["rps"],
                         b0["rps"] / ba["rps"],
                         "; one connection, limit=1: %.2f vs %.2f ms" % (da["p50_ms"], d0["p50_ms"])
                         if d0 and da else ""))
        elif b0 and ba:
            T.append("%d: numberMatched does not make a large query slow: MISSED (the bbox holding "
                     "all rows completed no request within wrk's timeout)" % hi)
        for n in sizes:
            s, rc = self.loads.get(n, (None, 0))
            if n >= 1000000 and s:
                T.append("%d: load under a minute: %s (%.1f s)" % (n, ok(s < 60), s))
        return T

    def plot(self, sizes):
        if not shutil.which("gnuplot") or len(sizes) < 1:
            self.notes.append("no gnuplot: latency.png not drawn")
            return
        dat = os.path.join(self.out, "latency.dat")
        names = [s[0] for s in SCENARIOS] + ["paging"]
        with open(dat, "w") as f:
            f.write("# size " + " ".join("%s_p50 %s_p99" % (x, x) for x in names) + "\n")
            for n in sizes:
                vals = []
                for x in names:
                    r = self.pmrow(n, x)
                    ok = r and r["rps"] and r["p50_ms"] > 0
                    vals += [r["p50_ms"] if ok else float("nan"), r["p99_ms"] if ok else float("nan")]
                f.write("%d %s\n" % (n, " ".join("%.4g" % v for v in vals)))
        plots = ", ".join("'%s' using 1:%d with linespoints title '%s p50'" % (dat, 2 + 2 * i, x)
                          for i, x in enumerate(names))
        g = ("set terminal png size 1000,650 noenhanced; set output '%s';"
             "set logscale xy; set xlabel 'cities (and as many partnerships)';"
             "set ylabel 'partnermap p50 latency, ms (wrk, loopback)'; set key outside right;"
             "set grid; set datafile missing 'nan'; plot %s" % (
                 os.path.join(self.out, "latency.png"), plots))
        r = subprocess.run(["gnuplot", "-e", g], capture_output=True, text=True)
        if r.returncode != 0:
            self.notes.append("gnuplot failed: " + r.stderr.strip()[:300])


def median_run(runs):
    """The run of median req/s (the lower middle one of an even number)."""
    return sorted(runs, key=lambda r: r.get("rps") or 0)[(len(runs) - 1) // 2]


def rounds_note(runs):
    if len(runs) < 2:
        return ""
    return "; median of %d rounds alternating with the peer (req/s %s)" % (
        len(runs), ", ".join("%.0f" % (r.get("rps") or 0) for r in runs))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--partnermap", required=True)
    ap.add_argument("--geodata", default=os.path.join(REPO, "geodata"))
    ap.add_argument("--out", default=os.path.join(REPO, "build", "bench"))
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of the bbox scenario, partnermap and nginx alternating")
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--pause", type=float, default=0.3)
    ap.add_argument("--page-limit", type=int, default=10000)
    ap.add_argument("--page-secs", type=int, default=90, help="cap on the paging of one size")
    ap.add_argument("--fcgi-children", type=int, default=2)
    ap.add_argument("--scenarios", default="", help="comma list (and 'paging'); default all")
    ap.add_argument("--no-nginx", action="store_true")
    ap.add_argument("--no-mapserver", action="store_true")
    ap.add_argument("--reuse-db", action="store_true", help="do not reload an existing database")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--generate-only", action="store_true")
    a = ap.parse_args()
    a.conns = min(a.conns, 32)
    a.nginx = not a.no_nginx and shutil.which("nginx") is not None
    a.mapserver = (not a.no_mapserver and a.nginx and shutil.which("spawn-fcgi") is not None
                   and os.path.exists("/usr/lib/cgi-bin/mapserv"))
    if a.smoke:
        a.mapserver = False
    if not shutil.which("wrk"):
        sys.exit("wrk is missing (Debian package wrk)")
    started = time.time()
    b = Bench(a)
    sizes = [int(x) for x in a.sizes.split(",") if x]
    try:
        dbs = {}
        if a.generate_only:
            for n in sizes:
                b.data(n)
            return
        for n in sizes:
            dbs[n] = b.load(n, b.data(n))
        if a.nginx:
            b.start_peers(dbs)
        else:
            b.notes.append("nginx not installed: no static-file ceiling")
        if not a.mapserver and not a.smoke:
            b.notes.append("MapServer not measured (not installed or --no-mapserver)")
        for n in sizes:
            b.run_size(n, dbs[n])
    finally:
        b.stop_all()
    b.report(started)
    ok = any(r["server"] == "partnermap" and r["rps"] for r in b.rows)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
