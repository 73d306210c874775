#!/usr/bin/env python3
"""Deterministic synthetic data in partnermap's own CSV schema (sql/load_spec.sql).

usage: gen_data.py GEODATA_DIR OUT_DIR N [SEED]

Writes OUT_DIR/{countries,regions,gazetteer,cities,partnerships,initiatives,memberships,
pilot_activities,events}.csv: N cities (60 % Chinese, 40 % Japanese) and N partnerships
between them (each joins a CN and a JP city, no pair twice). countries, regions and the
gazetteer are copied from GEODATA_DIR, so the loader's checks (sql/checks*.sql) apply
unchanged:
  * every city is a gazetteer place of CN or JP moved by less than 20 km (a random offset of
    at most 0.12 degrees of latitude and 0.12 / cos(lat) degrees of longitude, i.e. at most
    ~17 km), given as lon/lat with geocode_method "source" and the place's region; a point
    that falls outside its country's bounds_wkt is drawn again, so every point lies inside
    its country's polygon and within 60 km of a gazetteer place of its region;
  * ids are slugs, names are unique per country, level and region.
The same (N, SEED) always gives byte-identical files. Python 3 standard library only.
"""
import csv
import math
import os
import random
import sys

CSV_FILES = ["countries", "regions", "gazetteer", "cities", "partnerships", "initiatives",
             "memberships", "pilot_activities", "events"]
KINDS = ["friendship", "sister", "friendship-cooperation", "friendship-exchange", "unspecified"]
LEVELS = ["city", "city", "city", "county", "town", "district"]
P_LEVELS = ["city", "city", "county-town", "province-prefecture"]


def parse_polygon(wkt):
    """Outer ring of POLYGON((x y, ...)) as a list of (x, y)."""
    body = wkt[wkt.index("((") + 2:wkt.index("))")]
    return [tuple(float(v) for v in p.split()) for p in body.split(",")]


def inside(ring, x, y):
    """Even-odd ray casting; a point on an edge counts as outside (it is redrawn)."""
    n = len(ring)
    res = False
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y):
            xc = xi + (y - yi) * (xj - xi) / (yj - yi)
            if x < xc:
                res = not res
            elif x == xc:
                return False
        j = i
    return res


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def copy(src, dst):
    with open(src, "rb") as f, open(dst, "wb") as g:
        g.write(f.read())


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    geodata, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 42
    if n < 10:
        sys.exit("N must be at least 10")
    rnd = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    for name in ("countries", "regions", "gazetteer"):
        copy(os.path.join(geodata, name + ".csv"), os.path.join(out, name + ".csv"))

    rings = {c["code"]: parse_polygon(c["bounds_wkt"])
             for c in read(os.path.join(geodata, "countries.csv"))
             if c["code"] in ("CN", "JP") and c["bounds_wkt"]}
    region_of = {(r["country"], r["admin1"]): r["id"]
                 for r in read(os.path.join(geodata, "regions.csv")) if r["admin1"]}
    bases = {"CN": [], "JP": []}
    for g in read(os.path.join(geodata, "gazetteer.csv")):
        c = g["country"]
        if c not in bases or (c, g["admin1"]) not in region_of:
            continue
        lon, lat = float(g["lon"]), float(g["lat"])
        if inside(rings[c], lon, lat):
            bases[c].append((lon, lat, region_of[(c, g["admin1"])]))
    for c in bases:
        bases[c].sort()
        if not bases[c]:
            sys.exit("no gazetteer place of %s lies in its bounds" % c)

    n_cn = n * 6 // 10
    counts = {"CN": n_cn, "JP": n - n_cn}
    ids = {"CN": [], "JP": []}
    nl = "\n"
    with open(os.path.join(out, "cities.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=nl)
        w.writerow(["id", "country", "region", "level", "name_en", "name_zh", "name_ja",
                    "name_local", "geonames_id", "population", "geocode_method",
                    "geocode_confidence", "lon", "lat", "source", "verification", "notes"])
        for c in ("CN", "JP"):
            pre = c.lower()
            for i in range(1, counts[c] + 1):
                while True:
                    blon, blat, region = bases[c][rnd.randrange(len(bases[c]))]
                    dlat = rnd.uniform(-0.12, 0.12)
                    dlon = rnd.uniform(-0.12, 0.12) / max(math.cos(math.radians(blat)), 0.2)
                    lon, lat = round(blon + dlon, 5), round(blat + dlat, 5)
                    if inside(rings[c], lon, lat):
                        break
                cid = "%s-b%07d" % (pre, i)
                ids[c].append(cid)
                local = ("合成市%d" % i) if c == "CN" else ("合成町%d" % i)
                w.writerow([cid, c, region, LEVELS[i % len(LEVELS)],
                            "Bench %s %07d" % (c, i),
                            local if c == "CN" else "", local if c == "JP" else "", "",
                            "", rnd.randrange(1000, 5000000), "source", "medium",
                            "%.5f" % lon, "%.5f" % lat,
                            "synthetic (tests/bench/gen_data.py seed %d)" % seed, "unverified", ""])

    seen = set()
    n_pairs = min(n, counts["CN"] * counts["JP"])
    with open(os.path.join(out, "partnerships.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=nl)
        w.writerow(["id", "cn_city", "jp_city", "kind", "level", "established",
                    "established_marks", "source", "verification", "notes"])
        i = 0
        while i < n_pairs:
            a = rnd.randrange(counts["CN"])
            b = rnd.randrange(counts["JP"])
            if (a, b) in seen:
                continue
            seen.add((a, b))
            i += 1
            y = rnd.randrange(1972, 2021)
            form = rnd.randrange(3)
            est = ("%d" % y if form == 0 else "%d-%02d" % (y, rnd.randrange(1, 13)) if form == 1
                   else "%d-%02d-%02d" % (y, rnd.randrange(1, 13), rnd.randrange(1, 29)))
            w.writerow(["p-%07d" % i, ids["CN"][a], ids["JP"][b], KINDS[i % len(KINDS)],
                        P_LEVELS[i % len(P_LEVELS)], est, "",
                        "synthetic (tests/bench/gen_data.py seed %d)" % seed, "unverified", ""])

    src = "synthetic (tests/bench/gen_data.py seed %d)" % seed
    with open(os.path.join(out, "initiatives.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=nl)
        w.writerow(["id", "name", "adopted", "venue_city", "url", "source", "verification", "notes"])
        w.writerow(["bench-initiative", "Benchmark initiative", "2000-09", ids["JP"][0], "",
                    src, "unverified", ""])
    k = max(10, n // 1000)
    with open(os.path.join(out, "memberships.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=nl)
        w.writerow(["id", "initiative", "city", "role", "since", "evidence", "source",
                    "verification", "notes"])
        for i in range(k):
            c = ids["CN" if i % 2 == 0 else "JP"]
            w.writerow(["m-%06d" % i, "bench-initiative", c[(i * 7919) % len(c)],
                        "member", "%d" % (2000 + i % 20), "", src, "unverified", ""])
    with open(os.path.join(out, "pilot_activities.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=nl)
        w.writerow(["id", "initiative", "city", "category", "theme", "title", "period_start",
                    "period_end", "status", "details", "source", "verification", "notes"])
        for i in range(k):
            w.writerow(["pilot-%06d" % i, "bench-initiative", ids["CN"][(i * 104729) % counts["CN"]],
                        "pilot", "air quality", "Pilot %d" % i, "2002-06", "2003-06", "completed",
                        "", src, "unverified", ""])
    with open(os.path.join(out, "events.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator=nl)
        w.writerow(["id", "initiative", "title", "type", "start_date", "end_date", "host_city",
                    "participants", "source", "verification", "notes"])
        for i in range(k):
            c = ids["JP" if i % 2 == 0 else "CN"]
            d = "%d-%02d-%02d" % (2001 + i % 20, 1 + i % 12, 1 + i % 28)
            w.writerow(["ev-%06d" % i, "bench-initiative", "Meeting %d" % i, "seminar", d, d,
                        c[(i * 31) % len(c)], "", src, "unverified", ""])
    print("gen_data: %d cities (%d CN, %d JP), %d partnerships, %d memberships/pilots/events -> %s"
          % (n, counts["CN"], counts["JP"], n_pairs, k, out))


if __name__ == "__main__":
    main()
