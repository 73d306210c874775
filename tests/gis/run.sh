#!/usr/bin/env bash
# GIS import of partnermap, checked with the clients GIS users have, against the real server
# serving the real data: GDAL's OAPIF driver (ogrinfo, ogr2ogr to GeoPackage, small and large
# pages), GDAL's GeoJSON driver on the items URL, an RFC 7946 validator
# (@placemarkio/check-geojson, pinned in package.json), and the shell snippets and URLs of
# clients/gis/README.md. Needs gdal-bin, sqlite3, curl, node and npm.
#
# usage: run.sh PARTNERMAP DB [README]
# The last line is "N passed, N failed"; the exit status is 1 when a check failed.
set -uo pipefail
export LC_ALL=C
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export GDAL_HTTP_TIMEOUT=20 CPL_DEBUG=OFF

BIN=${1:?usage: run.sh PARTNERMAP DB [README]}
DB=${2:?usage: run.sh PARTNERMAP DB [README]}
HERE=$(cd "$(dirname "$0")" && pwd)
README=${3:-$HERE/../../clients/gis/README.md}
LAYERS=(cities partnerships memberships pilot-sites events)
declare -A GEOM=([cities]=POINT [partnerships]=LINESTRING [memberships]=POINT
                 [pilot-sites]=POINT [events]=POINT)
START=$SECONDS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/partnermap-gis.XXXXXX")
passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
skip() { skipped=$((skipped + 1)); printf 'skip  %s\n' "$*"; }
note() { printf '      %s\n' "$@"; }
summary() {
  echo "elapsed $((SECONDS - START)) s"
  if ((skipped)); then echo "$passed passed, $failed failed, $skipped skipped"
  else echo "$passed passed, $failed failed"; fi
}
t() { timeout 30 "$@"; }

SRV=
stop_server() {
  [[ -n $SRV ]] || return 0
  if kill -0 "$SRV" 2>/dev/null; then
    kill -TERM "$SRV" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SRV" 2>/dev/null
  fi
  wait "$SRV" 2>/dev/null
  SRV=
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 2' INT TERM

for tool in ogrinfo ogr2ogr sqlite3 curl node npm timeout; do
  if ! command -v "$tool" >/dev/null; then
    fail "tool $tool is missing (gdal-bin, sqlite3, curl, nodejs, npm)"; summary; exit 1
  fi
done

# ---- the server: --port 0, the port from its "listening on" line ----
# (PM_GIS_URL=http://127.0.0.1:PORT runs every check against a server already running,
# e.g. one behind a proxy that tries out a change of the API)
if [[ -n ${PM_GIS_URL:-} ]]; then
  BASE=${PM_GIS_URL%/}
else
  "$BIN" serve --db "$DB" --port 0 --threads 2 2>"$WORK/server.log" &
  SRV=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*|\1|p' "$WORK/server.log" | head -n 1)
    [[ -n $PORT ]] && break
    kill -0 "$SRV" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $PORT ]]; then
    fail "server did not log 'listening on http://127.0.0.1:PORT/' within 10 s"
    sed 's/^/      server: /' "$WORK/server.log"; summary; exit 1
  fi
  BASE=http://127.0.0.1:$PORT
fi
echo "server $BASE ($(ogrinfo --version))"
IN=$HERE/inspect.js

# ---- ogrinfo lists the five layers ----
if out=$(t ogrinfo -ro -so "OAPIF:$BASE/" 2>&1); then
  got=$(sed -n 's/^[0-9][0-9]*: \([^ ]*\).*/\1/p' <<<"$out" | sort | tr '\n' ' ')
  want=$(printf '%s\n' "${LAYERS[@]}" | sort | tr '\n' ' ')
  if [[ $got == "$want" ]]; then pass "ogrinfo OAPIF lists the five layers: $got"
  else fail "ogrinfo OAPIF layers: got '$got', want '$want'"; note "$out"; fi
else
  fail "ogrinfo -ro -so OAPIF:$BASE/ failed"; note "$out"
fi

# ---- helpers on a GeoPackage ----
gpkg_ids() { sqlite3 "$1" "SELECT id FROM \"$2\"" | sort; }
# "name Type" for every field of the layer, as ogrinfo reports it
gpkg_fields() { ogrinfo -ro -so "$1" "$2" 2>/dev/null | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\): \([A-Za-z0-9]*\) (.*/\1 \2/p'; }
gpkg_geomtypes() {  # "TYPE COUNT" lines, NULL for features without geometry
  ogr2ogr -f CSV /vsistdout/ "$1" -sql \
    "SELECT coalesce(ST_GeometryType(geom), 'NULL') AS t, count(*) AS n FROM \"$2\" GROUP BY t" 2>/dev/null |
    tail -n +2 | tr ',' ' ' | tr -d '"' | sort
}

# ---- each collection: OAPIF with large and small pages, GeoJSON driver, dates ----
declare -A MATCHED
for L in "${LAYERS[@]}"; do
  d=$WORK/$L; mkdir -p "$d"
  if ! t curl -fsS "$BASE/collections/$L/items?limit=1" -o "$d/limit1.json" ||
     ! t curl -fsS "$BASE/collections/$L/items?limit=10000" -o "$d/all.json" ||
     ! t curl -fsS "$BASE/collections/$L/queryables" -o "$d/queryables.json"; then
    fail "$L: the items or queryables requests failed"; continue
  fi
  n=$(node "$IN" matched "$d/limit1.json")
  MATCHED[$L]=$n
  node "$IN" summary "$d/all.json" "$d/queryables.json" >"$d/summary"
  node "$IN" ids "$d/all.json" | sort >"$d/server.ids"
  sv() { awk -v k="$1" '$1 == k { print $2 }' "$d/summary"; }
  if [[ $(sv returned) == "$n" && $(sv features) == "$n" && $(wc -l <"$d/server.ids") -eq $n ]]; then
    pass "$L: limit=10000 returns all $n features (numberMatched from limit=1)"
  else
    fail "$L: numberMatched $n, limit=10000 returned $(sv returned) ($(sv features) features)"
  fi
  # what GDAL's geometry types should be: the server's, and none other than expected
  want_geom=$( (awk '$1 == "geom" { print toupper($2), $3 }' "$d/summary"
                nulls=$(sv nullgeom); ((nulls > 0)) && echo "NULL $nulls") | sort)

  for ps in 1000 7; do
    g=$d/oapif-$ps.gpkg
    if ! t ogr2ogr -f GPKG "$g" "OAPIF:$BASE/" "$L" -oo PAGE_SIZE=$ps 2>"$d/oapif-$ps.err"; then
      fail "$L: ogr2ogr OAPIF PAGE_SIZE=$ps failed"; note "$(head -5 "$d/oapif-$ps.err")"; continue
    fi
    read -r count distinct < <(sqlite3 -separator ' ' "$g" "SELECT count(*), count(DISTINCT id) FROM \"$L\"")
    if [[ $count == "$n" && $distinct == "$n" ]]; then
      pass "$L: ogr2ogr OAPIF PAGE_SIZE=$ps copies $count features, $distinct distinct ids (numberMatched $n)"
    else
      fail "$L: ogr2ogr OAPIF PAGE_SIZE=$ps copies $count features, $distinct distinct ids; numberMatched $n"
    fi
    gpkg_ids "$g" "$L" >"$d/oapif-$ps.ids"
    if cmp -s "$d/oapif-$ps.ids" "$d/server.ids"; then
      pass "$L: OAPIF PAGE_SIZE=$ps ids are the server's ids"
    else
      fail "$L: OAPIF PAGE_SIZE=$ps ids differ from the server's"; note "$(diff "$d/server.ids" "$d/oapif-$ps.ids" | head -5)"
    fi
    gt=$(sqlite3 "$g" "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = '$L'")
    got_geom=$(gpkg_geomtypes "$g" "$L")
    if [[ $gt == "${GEOM[$L]}" && $got_geom == "$want_geom" && -z $(grep -v -e "^${GEOM[$L]} " -e '^NULL ' <<<"$got_geom") ]]; then
      pass "$L: OAPIF PAGE_SIZE=$ps layer is $gt, features: $(tr '\n' ' ' <<<"$got_geom")"
    else
      fail "$L: OAPIF PAGE_SIZE=$ps layer type '$gt' (want ${GEOM[$L]}), features '$got_geom' (server: '$want_geom')"
    fi
    gpkg_fields "$g" "$L" >"$d/oapif-$ps.fields"
  done

  # a small page gives what a large one gives: the same ids and the same field types
  if [[ -s $d/oapif-7.ids && -s $d/oapif-1000.ids ]] && cmp -s "$d/oapif-7.ids" "$d/oapif-1000.ids"; then
    pass "$L: PAGE_SIZE=7 and PAGE_SIZE=1000 copy the same $(wc -l <"$d/oapif-7.ids") ids"
  else
    fail "$L: PAGE_SIZE=7 and PAGE_SIZE=1000 copy different ids"
  fi
  if [[ -s $d/oapif-7.fields ]] && cmp -s "$d/oapif-7.fields" "$d/oapif-1000.fields"; then
    pass "$L: PAGE_SIZE=7 and PAGE_SIZE=1000 give the same field types"
  else
    fail "$L: the field types depend on the page size (GDAL guesses them from the first page when the server publishes no schema)"
    note "$(diff "$d/oapif-1000.fields" "$d/oapif-7.fields" | grep '^[<>]' | tr '\n' ' ')"
  fi

  # GeoJSON driver on the items URL
  g=$d/geojson.gpkg
  if t ogr2ogr -f GPKG "$g" "$BASE/collections/$L/items?limit=10000" -nln "$L" 2>"$d/geojson.err"; then
    read -r count distinct < <(sqlite3 -separator ' ' "$g" "SELECT count(*), count(DISTINCT id) FROM \"$L\"")
    if [[ $count == "$n" && $distinct == "$n" ]] && cmp -s <(gpkg_ids "$g" "$L") "$d/server.ids"; then
      pass "$L: ogr2ogr GeoJSON items?limit=10000 copies $count features, the server's ids"
    else
      fail "$L: ogr2ogr GeoJSON items?limit=10000 copies $count features, $distinct distinct ids; numberMatched $n"
    fi
  else
    fail "$L: ogr2ogr GeoJSON items?limit=10000 failed"; note "$(head -5 "$d/geojson.err")"
  fi
  # dates: every property the queryables declare {"type": "string", "format": "date"}
  # must hold RFC 3339 full-dates (what "date" means in JSON Schema), reach the GeoPackage
  # typed Date, and lose no value in any copy (GDAL writes NULL for a value that does not
  # parse as a date into a Date column)
  while read -r _ prop nonnull notfull firstbad; do
    if ((notfull == 0)); then
      pass "$L: $prop (queryables: format date) holds $nonnull RFC 3339 full-dates"
    else
      fail "$L: $prop is declared {\"format\": \"date\"} in /collections/$L/queryables but $notfull of its $nonnull values are not RFC 3339 full-dates (e.g. $firstbad)"
    fi
    if [[ -s $d/oapif-1000.fields ]]; then
      type=$(awk -v p="$prop" '$1 == p { print $2 }' "$d/oapif-1000.fields")
      if [[ $type == Date ]]; then pass "$L: ogr2ogr OAPIF types $prop Date"
      else fail "$L: ogr2ogr OAPIF types $prop '$type', not Date (declared format date)"; fi
    fi
    for copy in oapif-1000 oapif-7 geojson; do
      g=$d/$copy.gpkg; [[ -s $g ]] || continue
      kept=$(sqlite3 "$g" "SELECT count(\"$prop\") FROM \"$L\"")
      type=$(gpkg_fields "$g" "$L" | awk -v p="$prop" '$1 == p { print $2 }')
      if [[ $kept == "$nonnull" ]]; then
        pass "$L: $copy copy keeps all $kept values of $prop ($type)"
      else
        fail "$L: $copy copy keeps $kept of the $nonnull values of $prop: typed $type, GDAL wrote NULL for the others"
      fi
    done
  done < <(grep '^date ' "$d/summary")
done

# partnerships: when the affiliation was established reaches GIS as a date
if [[ -s $WORK/partnerships/oapif-1000.fields ]]; then
  dated=$(awk '$1 ~ /^established/ && ($2 == "Date" || $2 == "DateTime") { print $1 }' "$WORK/partnerships/oapif-1000.fields" | tr '\n' ' ')
  if [[ -n $dated ]]; then
    pass "partnerships: ogr2ogr OAPIF types $dated as Date"
  else
    fail "partnerships: no established* column is typed Date in the GeoPackage: $(grep '^established' "$WORK/partnerships/oapif-1000.fields" | tr '\n' ' ')"
    note "GDAL's OAPIF driver types a field from the JSON Schema of a link on the collection" \
         "with rel \"describedBy\" (GDAL 3.6 compares it case-sensitively; later GDAL, any case)" \
         "and type exactly \"application/schema+json\"; the schema describes a GeoJSON Feature:" \
         "{\"type\":\"object\",\"properties\":{\"properties\":{\"type\":\"object\",\"properties\":" \
         "{\"established\":{\"type\":\"string\",\"format\":\"date\"}}}}}. GDAL 3.6 ignores the queryables for types." \
         "A Date column keeps only YYYY-MM-DD values: GDAL writes NULL for '1979' and '1979-05'."
  fi
fi

# ---- RFC 7946: every items response, @placemarkio/check-geojson ----
if [[ ! -d $HERE/node_modules/@placemarkio/check-geojson ]]; then
  timeout 90 npm ci --prefix "$HERE" --no-audit --no-fund --loglevel=error >"$WORK/npm.log" 2>&1 ||
    { fail "npm ci --prefix $HERE failed"; note "$(tail -5 "$WORK/npm.log")"; }
fi
if [[ -d $HERE/node_modules/@placemarkio/check-geojson ]]; then
  printf '%s' '{"type":"Feature","geometry":{"type":"Point","coordinates":[1]},"properties":{}}' >"$WORK/bad.json"
  if node "$IN" check "$WORK/bad.json" >/dev/null; then
    fail "check-geojson accepts a Point with one coordinate: the validator is not working"
  else
    pass "check-geojson rejects a Point with one coordinate (the validator works)"
  fi
  files=()
  for L in "${LAYERS[@]}"; do [[ -s $WORK/$L/all.json ]] && files+=("$WORK/$L/all.json"); done
  if t curl -fsS "$BASE/collections/partnerships/items?limit=10000&geometry=geodesic" -o "$WORK/geodesic.json"; then
    files+=("$WORK/geodesic.json")
  fi
  for f in "${files[@]}"; do
    name=${f#"$WORK"/}
    if out=$(node "$IN" check "$f" 2>&1); then pass "RFC 7946 (check-geojson): $name has no issues"
    else fail "RFC 7946 (check-geojson): $name"; note "$out"; fi
  done
fi

# ---- clients/gis/README.md: every URL answers, every sh block runs ----
if [[ ! -f $README ]]; then
  fail "no $README"
else
  # every localhost:8080 URL, in prose, code or HTML; a ")" that closes a markdown
  # parenthesis is not part of it
  mapfile -t urls < <(grep -o "http://localhost:8080/[^[:space:]'\"\`<>]*" "$README" |
    sed 's/[.,;:]*$//' | awk '{ o = gsub(/\(/, "("); c = gsub(/\)/, ")");
                                 if (c > o) sub(/\)[.,;:]*$/, ""); print }' | sort -u)
  for u in "${urls[@]}"; do
    url=${u/http:\/\/localhost:8080/$BASE}
    hdr=$WORK/url.hdr
    if ! code=$(t curl -sS -o "$WORK/url.body" -D "$hdr" -w '%{http_code}' -H 'Origin: https://example.org' "$url"); then
      fail "README URL $u: request failed"; continue
    fi
    why=
    [[ $code == 200 ]] || why="status $code"
    grep -qi '^access-control-allow-origin: ' "$hdr" || why="$why no Access-Control-Allow-Origin"
    if [[ $u == *limit=10000* && -z $why ]]; then
      m=$(node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(d.numberMatched===d.numberReturned?"whole":d.numberReturned+" of "+d.numberMatched)' "$WORK/url.body")
      [[ $m == whole ]] || why="returns $m features"
    fi
    if [[ -z $why ]]; then pass "README URL $u answers 200 with CORS"
    else fail "README URL $u: $why"; fi
  done
  ((${#urls[@]} >= 5)) || fail "README: only ${#urls[@]} localhost:8080 URLs found"

  mkdir -p "$WORK/readme"
  awk -v dir="$WORK/readme" 'BEGIN { n = 0 }
       /^```sh[[:space:]]*$/ { n++; f = sprintf("%s/block-%d.sh", dir, n); inb = 1; next }
       /^```/ { inb = 0; next }
       inb { print > f }' "$README"
  blocks=("$WORK"/readme/block-*.sh)
  if ((${#blocks[@]} < 4)) || [[ ! -f ${blocks[0]} ]]; then
    fail "README: fewer than 4 sh blocks found"
  fi
  for b in "${blocks[@]}"; do
    [[ -f $b ]] || continue
    name=$(basename "$b" .sh)
    first=$(grep -m1 -v '^#' "$b" | cut -c1-70)
    if grep -q '| *jq ' "$b" && ! command -v jq >/dev/null; then
      skip "README $name ($first): jq is not installed"; continue
    fi
    run=$WORK/readme/$name; mkdir -p "$run"
    sed "s|http://localhost:8080|$BASE|g" "$b" >"$run/snippet.sh"
    # a failing HTTP request fails the snippet (curl -f), as a user would notice
    if (cd "$run" && timeout 60 bash -c 'set -eo pipefail; curl() { command curl -f "$@"; }; source ./snippet.sh' \
          >"$run/out" 2>"$run/err"); then
      why=
      for g in "$run"/*.gpkg; do
        [[ -f $g ]] || continue
        while read -r tab; do
          c=$(sqlite3 "$g" "SELECT count(*) FROM \"$tab\"")
          ((c > 0)) || why="$why $(basename "$g"):$tab is empty"
          want=${MATCHED[$tab]:-}
          # a whole collection, all of it
          if [[ -n $want && ( $(basename "$g") == partnermap.gpkg || $(basename "$g") == "$tab.gpkg" ) && $c != "$want" ]]; then
            why="$why $(basename "$g"):$tab has $c features, numberMatched $want"
          fi
        done < <(sqlite3 "$g" "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")
      done
      if [[ -f $run/partnermap.gpkg ]]; then
        tabs=$(sqlite3 "$run/partnermap.gpkg" "SELECT count(*) FROM gpkg_contents WHERE data_type = 'features'")
        [[ $tabs == 5 ]] || why="$why partnermap.gpkg has $tabs layers"
      fi
      for j in "$run"/*.geojson; do
        [[ -f $j ]] || continue
        [[ $(node "$IN" ids "$j" | wc -l) -gt 0 ]] || why="$why $(basename "$j") has no features"
      done
      if grep -qE '\| *(jq|python3)' "$b" && ! [[ -s $run/out ]]; then why="$why printed nothing"; fi
      if [[ -z $why ]]; then
        pass "README $name runs ($first ...; $(ls "$run" | grep -cE '\.(gpkg|geojson)$') files, $(wc -l <"$run/out") lines out)"
      else
        fail "README $name ($first ...):$why"
      fi
    else
      fail "README $name ($first ...) failed"; note "$(tail -5 "$run/err")"
    fi
  done
fi

stop_server
summary
((failed == 0))
