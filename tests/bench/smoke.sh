#!/usr/bin/env bash
# ctest bench_smoke: run the harness on tiny data and check that the table was produced.
#   smoke.sh PARTNERMAP_BIN OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
bin="$1"; out="$2"
rm -rf "$out/results.md" "$out/results.csv"
"$HERE/run.sh" --smoke --partnermap "$bin" --out "$out"
grep -q '^| 300 | bbox | partnermap | [0-9]' "$out/results.md" || { echo "no bbox row in $out/results.md" >&2; exit 1; }
grep -q '^300,paging,partnermap,' "$out/results.csv" || { echo "no paging row in $out/results.csv" >&2; exit 1; }
awk -F, '$3=="partnermap" && $4+0 <= 0 {print "zero throughput: " $0; bad=1} END {exit bad}' "$out/results.csv"
echo "bench_smoke: table written to $out/results.md"
