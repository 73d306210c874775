#!/usr/bin/env bash
# partnermap benchmark: partnermap vs nginx (the same body as a static file) vs MapServer 8
# OGC API - Features (FastCGI behind nginx), on loopback, on synthetic data of several sizes.
#
#   tests/bench/run.sh                       # 10k, 100k, 1M cities; every peer; 2 s wrk runs
#   tests/bench/run.sh --quick               # 10k and 100k, 1 s wrk runs
#   tests/bench/run.sh --sizes 10000,100000  # choose the sizes (cities, and as many partnerships)
#   tests/bench/run.sh --smoke [--out DIR]   # tiny data, 1 s runs, no MapServer, no apt (ctest)
# Other options go to bench.py (--duration S, --conns N, --page-secs S, --scenarios a,b,
# --no-mapserver, --no-nginx, --reuse-db, --partnermap BIN, --out DIR; see bench.py --help).
# Results: build/bench/results.md, results.csv, latency.png, raw/ (wrk output, logs).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PACKAGES="wrk nginx-light cgi-mapserver mapserver-bin fcgiwrap spawn-fcgi gdal-bin gnuplot-nox python3 curl"

smoke=0; quick=0; have_sizes=0; have_bin=0; build=0; args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --quick) quick=1 ;;
    --build) build=1 ;;
    --sizes) have_sizes=1; args+=("$1" "$2"); shift ;;
    --sizes=*) have_sizes=1; args+=("$1") ;;
    --partnermap|--partnermap=*) have_bin=1; args+=("$1"); [ "$1" = --partnermap ] && { args+=("$2"); shift; } ;;
    -h|--help) sed -n '2,12p' "$0"; exec python3 "$HERE/bench.py" --help ;;
    *) args+=("$1") ;;
  esac
  shift
done

if [ "$smoke" = 1 ]; then
  command -v wrk >/dev/null || { echo "bench_smoke: wrk is missing: add wrk to the Makefile's PACKAGES" >&2; exit 1; }
else
  # install only what is missing, as the Makefile does
  missing=$(for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
  if [ -n "$missing" ]; then
    echo "installing:" $missing
    SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
  fi
  if [ "$have_bin" = 0 ] && { [ "$build" = 1 ] || [ ! -x "$REPO/build/partnermap" ]; }; then
    make -C "$REPO" build
  fi
fi
[ "$have_bin" = 1 ] || args+=(--partnermap "$REPO/build/partnermap")

if [ "$smoke" = 1 ]; then
  [ "$have_sizes" = 1 ] || args+=(--sizes 300)
  args=(--smoke --duration 1 --pause 0 --page-limit 100 --page-secs 3 "${args[@]}")
elif [ "$quick" = 1 ]; then
  [ "$have_sizes" = 1 ] || args+=(--sizes 10000,100000)
  args=(--duration 1 --pause 0.2 --page-secs 20 "${args[@]}")
fi
exec python3 "$HERE/bench.py" "${args[@]}"
