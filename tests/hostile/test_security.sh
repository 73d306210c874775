#!/usr/bin/env bash
# Security hygiene of what the server sends:
#  - data is text, never markup: a city named <script>alert(1)</script> "q" & 'a' (a fixture
#    variant, loaded by the real loader) appears in the HTML pages only escaped, and so do a
#    q= and a filter= that the pages echo; the JSON carries the name exactly;
#  - HTML responses carry the Content-Security-Policy; every response (JSON, GeoJSON, HTML,
#    errors, 304, 204, HEAD, the viewer's files) carries X-Content-Type-Options: nosniff;
#  - the server binds 127.0.0.1 when --bind is not given (not 0.0.0.0, not ::).
#
# usage: test_security.sh PARTNERMAP FIXTURE_DIR
set -u
bin=$(readlink -f "$1")
fixture=$(readlink -f "$2")
work=$(mktemp -d /tmp/pm_security.XXXXXX)
server_pid=
failures=0
passes=0
trap '[ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

ok() { echo "ok - $1"; passes=$((passes + 1)); }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

evil='Dalian <script>alert(1)</script> "q" & '"'"'a'"'"
cp -r "$fixture" "$work/data"
# name_en of cn-dalian, as a quoted CSV field (quotes doubled). The gazetteer places Dalian
# by its GeoNames id, so the name is free.
csv_evil=$(printf '%s' "$evil" | sed 's/"/""/g')
awk -v name="\"$csv_evil\"" 'BEGIN { FS = OFS = "," }
    $1 == "cn-dalian" { $5 = name } { print }' "$fixture/cities.csv" >"$work/data/cities.csv"
check "the fixture with a hostile city name loads" \
    sh -c "'$bin' load --db '$work/evil.sqlite' '$work/data' >'$work/load.out' 2>&1"
[ -s "$work/evil.sqlite" ] || { cat "$work/load.out"; exit 1; }

# Started without --bind: the default address.
"$bin" serve --db "$work/evil.sqlite" --port 0 2>"$work/serve.log" &
server_pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.log" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.1
done
check "without --bind the server announces 127.0.0.1" test -n "$port"
base=http://127.0.0.1:$port
# The sockets listening on that port (state 0A), from /proc/net/tcp and tcp6: the local
# address in hex, 0100007F being 127.0.0.1.
hexport=$(printf '%04X' "$port")
listen=$(awk -v p=":$hexport" '$2 ~ p"$" && $4 == "0A" { print $2 }' /proc/net/tcp /proc/net/tcp6 |
    tr '\n' ' ')
check "it listens on 127.0.0.1:$port only (/proc/net/tcp*: $listen)" \
    test "$listen" = "0100007F:$hexport "
check "127.0.0.2:$port is refused (nothing listens on other addresses)" \
    sh -c "! curl -s -o /dev/null --max-time 3 'http://127.0.0.2:$port/'"

# --- escaping ----------------------------------------------------------------------------
name_json=$(curl -s "$base/collections/cities/items/cn-dalian" | jq -r .properties.name_en)
check "the JSON carries the name exactly" test "$name_json" = "$evil"
q_evil=$(printf '%s' '<script>alert(1)</script>' | jq -sRr @uri)
f_evil=$(printf '%s' "name_en = '<script>alert(1)</script>\"x\" & y'" | jq -sRr @uri)
pages=(
    "/collections/cities/items?f=html"
    "/collections/cities/items?f=html&limit=100"
    "/collections/cities/items/cn-dalian?f=html"
    "/collections/partnerships/items?f=html"
    "/collections/cities/items?f=html&q=$q_evil"
    "/collections/cities/items?f=html&filter=$f_evil"
    "/collections/cities/items?f=html&country=$q_evil"
    "/collections/cities/summary?f=html"
)
for p in "${pages[@]}"; do
    curl -s -D "$work/h" -o "$work/b" "$base$p"
    status=$(head -1 "$work/h" | cut -d' ' -f2)
    if [ "$status" != 200 ]; then
        not_ok "$p: status $status"
        continue
    fi
    check "$p: no <script>alert(1) unescaped" sh -c "! grep -q '<script>alert(1)' '$work/b'"
    check "$p: no raw '\" & '\"'\"'' from the name" sh -c "! grep -qF '\"q\" & ' '$work/b'"
    check "$p: Content-Security-Policy with script-src 'self'" \
        grep -qi "^Content-Security-Policy:.*script-src 'self'" "$work/h"
done
# The name is on the pages that list Dalian, escaped.
for p in "/collections/cities/items?f=html" "/collections/cities/items/cn-dalian?f=html"; do
    curl -s -o "$work/b" "$base$p"
    check "$p shows the name escaped (&lt;script&gt;alert(1)&lt;/script&gt; ... &amp;)" \
        sh -c "grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' '$work/b' && grep -qF '&amp; ' '$work/b'"
done

# --- headers on everything ---------------------------------------------------------------
etag=$(curl -s -D - -o /dev/null "$base/collections" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
# nosniff NAME CURL-ARGS...: the response carries X-Content-Type-Options: nosniff.
nosniff() {
    local name=$1
    shift
    curl -s -D "$work/h" -o /dev/null "$@"
    local status
    status=$(head -1 "$work/h" | cut -d' ' -f2)
    check "$name ($status): X-Content-Type-Options: nosniff" \
        grep -qi '^X-Content-Type-Options: nosniff' "$work/h"
}
nosniff "landing JSON" "$base/"
nosniff "landing HTML" "$base/?f=html"
nosniff "items GeoJSON" "$base/collections/cities/items"
nosniff "item GeoJSON" "$base/collections/cities/items/cn-dalian"
nosniff "api" "$base/api"
nosniff "404" "$base/nowhere"
nosniff "400" "$base/collections/cities/items?limit=x"
nosniff "405" -X POST "$base/collections"
nosniff "304" -H "If-None-Match: $etag" "$base/collections"
nosniff "OPTIONS 204" -X OPTIONS -H 'Origin: http://x' "$base/collections"
nosniff "HEAD" -I "$base/collections/cities/items"
nosniff "viewer file" "$base/viewer/"
nosniff "viewer redirect" "$base/viewer"
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
