#!/usr/bin/env bash
# The real server under valgrind (memcheck): started on the fixture database, driven with a
# few dozen requests of every kind (every resource in JSON and HTML, every query parameter,
# CQL2 text and JSON, streaming pages, errors 400/404/405/414/431, HEAD, OPTIONS, 304, the
# viewer), reloaded once with SIGHUP, stopped with SIGTERM. It must exit 0, with no memory
# error and no definite leak (--errors-for-leak-kinds=definite).
#
# usage: valgrind_serve.sh PARTNERMAP FIXTURE_DB
set -u
bin=$(readlink -f "$1")
db=$(readlink -f "$2")
work=$(mktemp -d /tmp/pm_valgrind.XXXXXX)
vg_pid=
trap '[ -n "$vg_pid" ] && kill -9 "$vg_pid" 2>/dev/null; rm -rf "$work"' EXIT
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }

cp "$db" "$work/db.sqlite"
valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --log-file="$work/valgrind.log" \
    "$bin" serve --db "$work/db.sqlite" --port 0 --threads 2 2>"$work/serve.log" &
vg_pid=$!
port=
for _ in $(seq 1 600); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.log" 2>/dev/null)
    [ -n "$port" ] && break
    kill -0 "$vg_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start under valgrind"; cat "$work/serve.log" "$work/valgrind.log"; exit 1; }
base=http://127.0.0.1:$port
echo "started under valgrind on port $port"

n=0
bad=0
req() { # req EXPECTED-STATUS CURL-ARGS...
    local want=$1
    shift
    local got
    got=$(curl -s -o /dev/null --max-time 60 -w '%{http_code}' "$@")
    n=$((n + 1))
    if [ "$got" != "$want" ]; then
        echo "unexpected: $* -> $got (expected $want)"
        bad=$((bad + 1))
    fi
}
enc() { printf '%s' "$1" | jq -sRr @uri; }

for f in json html; do
    req 200 "$base/?f=$f"
    req 200 "$base/conformance?f=$f"
    req 200 "$base/collections?f=$f"
done
req 200 "$base/api"
for c in cities partnerships memberships pilot-sites events; do
    req 200 "$base/collections/$c"
    req 200 "$base/collections/$c/items"
    req 200 "$base/collections/$c/items?f=html"
    req 200 "$base/collections/$c/queryables"
    req 200 "$base/collections/$c/sortables"
    req 200 "$base/collections/$c/summary"
    req 200 "$base/collections/$c/items?limit=10000&skipGeometry=true"
    req 404 "$base/collections/$c/items/nope"
done
req 200 "$base/collections/cities/items/cn-dalian"
req 200 "$base/collections/cities/items/cn-dalian?f=html"
req 200 "$base/collections/partnerships/items/dalian--kitakyushu"
req 200 "$base/collections/cities/items?bbox=120,30,125,40&country=CN"
req 200 "$base/collections/cities/items?bbox=170,-10,-170,60"
req 200 "$base/collections/partnerships/items?datetime=../1979-12-31&limit=100"
req 200 "$base/collections/partnerships/items?datetime=1973/1980"
req 200 "$base/collections/events/items?datetime=2001-03-20/P2D"
req 200 "$base/collections/cities/items?near=122.11356,37.50914&radius=300000"
req 200 "$base/collections/cities/items?near=130.4,33.6&limit=3"
req 200 "$base/collections/partnerships/items?near=130.4,33.6&limit=2"
req 200 "$base/collections/cities/items?sortby=-name_en,country"
req 200 "$base/collections/cities/items?properties=name_en,country"
req 200 "$base/collections/cities/items?q=$(enc 大连)"
req 200 "$base/collections/cities/items?q=kita"
req 200 "$base/collections/partnerships/items?geometry=geodesic"
req 200 "$base/collections/partnerships/summary?datetime=../2003-12-31&count=cn_city,cn_region"
req 200 "$base/collections/partnerships/summary?groupby=year"
req 200 "$base/collections/cities/items?offset=2&limit=2"
req 200 "$base/collections/partnerships/items?filter=$(enc "S_INTERSECTS(geometry, BBOX(125,30,135,36)) AND established < DATE('1990-01-01')")"
req 200 "$base/collections/cities/items?filter=$(enc "CASEI(name_en) LIKE 'da%' OR name_en IN ('Weihai', 'x') OR population BETWEEN 1 AND 2")"
req 200 "$base/collections/partnerships/items?filter=$(enc "T_INTERSECTS(established, INTERVAL('1970-01-01', '1980-12-31'))")"
req 200 "$base/collections/cities/items?filter=$(enc "S_WITHIN(geometry, POLYGON((120 30, 130 30, 130 40, 120 40, 120 30)))")"
req 200 "$base/collections/cities/items?filter-lang=cql2-json&filter=$(enc '{"op":"=","args":[{"property":"country"},"JP"]}')"
req 400 "$base/collections/cities/items?filter=$(enc "name_en = ")"
req 400 "$base/collections/cities/items?filter-lang=cql2-json&filter=$(enc '{"op":')"
req 400 "$base/collections/cities/items?limit=x"
req 400 "$base/collections/cities/items?nope=1"
req 400 "$base/collections/cities/items?bbox=nan,0,1,1"
req 404 "$base/nowhere"
req 405 -X POST -d x "$base/collections"
req 405 -X DELETE "$base/collections/cities/items/cn-dalian"
req 204 -X OPTIONS -H 'Origin: http://x' -H 'Access-Control-Request-Method: GET' "$base/collections"
req 200 -I "$base/collections/cities/items"
req 200 -I "$base/collections/cities"
etag=$(curl -s -D - -o /dev/null "$base/collections" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
req 304 -H "If-None-Match: $etag" "$base/collections"
req 414 "$base/collections/$(head -c 9000 /dev/zero | tr '\0' a)"
req 431 -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' b)" "$base/collections"
req 200 "$base/viewer/"
req 301 "$base/viewer"
# A page abandoned half-way: the stream's state is freed by libmicrohttpd's callback.
curl -s --max-time 60 "$base/collections/cities/items?limit=10000" | head -c 100 >/dev/null
# Concurrent requests, then a reload while some are under way.
for _ in 1 2 3 4; do curl -s -o /dev/null --max-time 60 "$base/collections/partnerships/items?geometry=geodesic" & done
kill -HUP "$vg_pid"
wait $(jobs -p | grep -v "^$vg_pid$") 2>/dev/null
for _ in $(seq 1 100); do grep -q 'msg="reloaded"' "$work/serve.log" && break; sleep 0.1; done
req 200 "$base/collections/cities/items"
echo "$n requests, $bad unexpected statuses"

kill -TERM "$vg_pid"
wait "$vg_pid"
rc=$?
vg_pid=
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$work/valgrind.log" | tail -1)
definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$work/valgrind.log" | tail -1)
echo "valgrind: exit $rc, ${errors:-?} errors, definitely lost: ${definite:-0} bytes"
if [ "$rc" -ne 0 ] || [ "${errors:-1}" != 0 ] || [ "$bad" -ne 0 ]; then
    sed -n '/== [A-Z].*\(Invalid\|uninitialised\|definitely lost\|Mismatched\|overlap\)/,/^==[0-9]*== $/p' \
        "$work/valgrind.log" | head -150
    grep -E 'ERROR SUMMARY|definitely lost' "$work/valgrind.log"
    exit 1
fi
echo "ok - the server ran $n requests and a reload under valgrind: exit 0, no errors"
