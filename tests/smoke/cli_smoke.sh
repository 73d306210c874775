#!/usr/bin/env bash
# Smoke test of the real binary from the command line, as an operator uses it:
# load (good data, then bad data that must fail and leave the database untouched), serve on a
# free port, a few requests, SIGTERM, exit 0; plus --help, --version and the one-line errors
# for a bad flag and a missing database.
#
# usage: cli_smoke.sh PARTNERMAP FIXTURE_DIR
set -u
bin=$1
fixture=$2
work=$(mktemp -d)
server_pid=
failures=0
passes=0
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

check() { # check NAME COMMAND...: run, count a failure if it fails
    local name=$1
    shift
    if "$@"; then
        echo "ok - $name"
        passes=$((passes + 1))
    else
        echo "not ok - $name"
        failures=$((failures + 1))
    fi
}

# --- load -------------------------------------------------------------------------------
db=$work/pm.sqlite
check "load of the fixture succeeds" "$bin" load --db "$db" "$fixture"
check "the database exists" test -s "$db"
cp "$db" "$work/before.sqlite"

cp -r "$fixture" "$work/bad"
# The record on line 3 gets a bad date, the one on line 5 (after a field that spans two
# lines) an unknown city: both must be reported, with their lines.
sed -i 's/,1986-10-23,/,1986-13-45,/' "$work/bad/partnerships.csv"
sed -i 's/^shanghai--yokohama,cn-shanghai,/shanghai--yokohama,cn-nowhere,/' "$work/bad/partnerships.csv"
"$bin" load --db "$db" "$work/bad" >"$work/bad.out" 2>"$work/bad.err"
rc=$?
check "a bad load exits non-zero" test "$rc" -ne 0
check "the bad date is reported as file:line: column: why" \
    grep -q '^partnerships.csv:3: established: expected an ISO 8601 date' "$work/bad.err"
check "the unknown city is reported too" \
    grep -q "^partnerships.csv:5: cn_city: unknown city 'cn-nowhere'" "$work/bad.err"
check "the old database is untouched" cmp -s "$db" "$work/before.sqlite"
check "no temporary file is left" test -z "$(ls "$work" | grep loading)"

# A place moved out of its country (the gazetteer's Dalian put in the Pacific) fails the
# country check of sql/checks_after.sql (pm_in_polygon against countries.bounds_wkt).
cp -r "$fixture" "$work/moved"
sed -i 's/^1814087,\(.*\),121.60222,38.91222$/1814087,\1,150.5,20.25/' "$work/moved/gazetteer.csv"
"$bin" load --db "$db" "$work/moved" >"$work/moved.out" 2>"$work/moved.err"
check "a load with a place outside its country exits non-zero" test $? -ne 0
check "the place outside its country is reported with its line" \
    grep -q '^cities.csv:2: geonames_id: the point (150.5 20.25) of cn-dalian is not in China' \
    "$work/moved.err"
check "the old database is still untouched" cmp -s "$db" "$work/before.sqlite"

# --- CLI manners ------------------------------------------------------------------------
check "--help exits 0" sh -c "'$bin' --help >/dev/null"
check "serve --help exits 0" sh -c "'$bin' serve --help >/dev/null"
check "--version names the version" sh -c "'$bin' --version | grep -q '^partnermap [0-9]'"
"$bin" serve --bogus >/dev/null 2>"$work/flag.err"
check "a bad flag exits non-zero" test $? -ne 0
check "with one line naming it" sh -c "[ \$(wc -l <'$work/flag.err') -eq 1 ] && grep -q -- --bogus '$work/flag.err'"
"$bin" serve --db "$work/missing.sqlite" --port 0 >/dev/null 2>"$work/missing.err"
check "a missing database exits non-zero" test $? -ne 0
check "with one line naming it" sh -c "[ \$(wc -l <'$work/missing.err') -eq 1 ] && grep -q missing.sqlite '$work/missing.err'"
printf 'not a database at all' >"$work/junk.sqlite"
"$bin" serve --db "$work/junk.sqlite" --port 0 >/dev/null 2>"$work/junk.err"
check "a file that is not a database exits non-zero" test $? -ne 0

# --- serve ------------------------------------------------------------------------------
"$bin" serve --db "$db" --port 0 2>"$work/serve.log" &
server_pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.log")
    [ -n "$port" ] && break
    sleep 0.1
done
check "the server announces its port" test -n "$port"
base=http://127.0.0.1:$port
check "the landing page answers 200" \
    sh -c "curl -sf '$base/' | grep -q '\"service-desc\"'"
check "the partnerships include Dalian–Kitakyushu 1979-05-01" \
    sh -c "curl -sf '$base/collections/partnerships/items/dalian--kitakyushu' | grep -q '\"established\":\"1979-05-01\"'"
check "an unknown parameter is a 400" \
    sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$base/collections/cities/items?nope=1') = 400 ]"
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
check "SIGTERM stops the server with exit 0" test "$rc" -eq 0
check "the access log has one line per request" \
    sh -c "[ \$(grep -c 'request=' '$work/serve.log') -ge 3 ]"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
