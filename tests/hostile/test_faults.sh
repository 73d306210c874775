#!/usr/bin/env bash
# Faults around the database, as an operator meets them:
#  1. `serve` refuses to start, with exactly one line on stderr and a non-zero exit, on a
#     missing, unreadable (as nobody: root reads anything), empty, truncated or corrupted
#     file, on a meta.schema_version older or newer than the binary's, or absent, and on a
#     meta.sql_digest of another build (its tables or views differ), or absent.
#  2. `load` killed with SIGKILL at several moments leaves the previous database
#     byte-identical, and a running server (sent SIGHUP after each kill) still serves it.
#  3. `load` onto a filesystem too small for the new database (a tmpfs just larger than the
#     old one) fails with a clear message, leaves the old file intact and no *.loading-*.
#  4. A new database put in place by `load` while a client loop is asking, then SIGHUP: no
#     request fails, requests after the reload see the new data (numberMatched changes);
#     then a broken file renamed into place and SIGHUP: the new data stays served.
#
# usage: test_faults.sh PARTNERMAP FIXTURE_DIR GEODATA_DIR
set -u
bin=$(readlink -f "$1")
fixture=$(readlink -f "$2")
geodata=$(readlink -f "$3")
work=$(mktemp -d /tmp/pm_faults.XXXXXX)
chmod 755 "$work"
server_pid=
loop_pid=
mnt=
failures=0
passes=0
cleanup() {
    [ -n "$loop_pid" ] && kill "$loop_pid" 2>/dev/null
    [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
    [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passes=$((passes + 1)); }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }
check() { # check NAME COMMAND...
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# start_server DB LOG: serve DB on a free port in the background; sets server_pid and base.
start_server() {
    "$bin" serve --db "$1" --port 0 --threads 2 2>"$2" &
    server_pid=$!
    base=
    for _ in $(seq 1 100); do
        local port
        port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$2" 2>/dev/null)
        if [ -n "$port" ]; then
            base=http://127.0.0.1:$port
            return 0
        fi
        sleep 0.1
    done
    return 1
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
}

matched() { # matched URL: numberMatched of the FeatureCollection at URL, or the HTTP status
    curl -s --max-time 10 "$1" | grep -o '"numberMatched":[0-9]*' | cut -d: -f2
}

# wait_log FILE PATTERN COUNT: until PATTERN occurs COUNT times in FILE (10 s at most).
wait_log() {
    for _ in $(seq 1 100); do
        [ "$(grep -c -- "$2" "$1")" -ge "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

echo "# building the databases"
"$bin" load --db "$work/good.sqlite" "$fixture" >/dev/null || { echo "cannot load the fixture"; exit 1; }
size=$(stat -c %s "$work/good.sqlite")

# --- 1. serve refuses bad files ---------------------------------------------------------
echo "# 1. serve refuses to start on a bad database"
# refuses NAME DB [PREFIX...]: serve must exit non-zero within 15 s with one line on stderr.
refuses() {
    local name=$1 file=$2
    shift 2
    local err=$work/refuse.err
    "$@" "$bin" serve --db "$file" --port 0 >/dev/null 2>"$err" &
    local pid=$! rc=
    for _ in $(seq 1 150); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            rc=$?
            break
        fi
        if grep -q 'listening on' "$err"; then
            break
        fi
        sleep 0.1
    done
    if [ -z "$rc" ]; then
        not_ok "$name: serve started anyway (expected a refusal)"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 1
    fi
    local lines
    lines=$(wc -l <"$err")
    if [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ]; then
        ok "$name: exit $rc, one line: $(cat "$err")"
    else
        not_ok "$name: exit $rc, $lines lines on stderr:"
        sed 's/^/    /' "$err"
    fi
}

refuses "missing file" "$work/missing.sqlite"

if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
        cp "$work/good.sqlite" "$work/unreadable.sqlite"
        chmod 000 "$work/unreadable.sqlite"
        if setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$bin"; then
            refuses "unreadable file (chmod 000, as nobody)" "$work/unreadable.sqlite" \
                setpriv --reuid=nobody --regid=nogroup --clear-groups
        else
            echo "skip - unreadable file: nobody cannot run $bin (a parent directory is closed)"
        fi
    else
        echo "skip - unreadable file: root reads any file and setpriv or user nobody is missing"
    fi
else
    cp "$work/good.sqlite" "$work/unreadable.sqlite"
    chmod 000 "$work/unreadable.sqlite"
    refuses "unreadable file (chmod 000)" "$work/unreadable.sqlite"
fi

: >"$work/empty.sqlite"
refuses "empty file" "$work/empty.sqlite"
head -c 4096 "$work/good.sqlite" >"$work/trunc1.sqlite"
refuses "truncated to its first page" "$work/trunc1.sqlite"
head -c $((size / 2)) "$work/good.sqlite" >"$work/trunc2.sqlite"
refuses "truncated to half ($((size / 2)) of $size bytes)" "$work/trunc2.sqlite"
head -c 100 "$work/good.sqlite" >"$work/trunc3.sqlite"
refuses "truncated inside the header" "$work/trunc3.sqlite"
cp "$work/good.sqlite" "$work/hdr.sqlite"
printf 'this is not an SQLite header' | dd of="$work/hdr.sqlite" conv=notrunc status=none
refuses "header overwritten" "$work/hdr.sqlite"
cp "$work/good.sqlite" "$work/schema.sqlite"
dd if=/dev/urandom of="$work/schema.sqlite" bs=1 seek=100 count=3900 conv=notrunc status=none
refuses "the schema page (page 1) overwritten" "$work/schema.sqlite"

# Corruption in the middle of the file: the catalog read at start may not touch the damaged
# pages, in which case SQLite notices only when a query reaches them; then the server must
# keep answering, with a 5xx that shows only a request id for what it cannot read, and never
# crash. Two places: 64 KiB in the middle (SpatiaLite's spatial_ref_sys, which no query
# reads), and the pages of the tables behind the collections (found with dbstat).
corrupt_middle() { # corrupt_middle NAME FILE
    local name=$1 file=$2
    "$bin" serve --db "$file" --port 0 >/dev/null 2>"$work/middle.err" &
    local pid=$! started=
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        grep -q 'listening on' "$work/middle.err" && { started=1; break; }
        sleep 0.1
    done
    if [ -z "$started" ]; then
        wait "$pid"
        local rc=$?
        check "$name: refused (exit $rc): $(head -1 "$work/middle.err")" \
            test "$rc" -ne 0 -a "$(wc -l <"$work/middle.err")" -eq 1
        return
    fi
    local port
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/middle.err")
    echo "note: $name: serve starts; SQLite notices only at query time"
    local codes= leak=
    for c in cities partnerships memberships pilot-sites events; do
        for u in "items?limit=10000" "summary" "items/x" "items?q=dalian"; do
            local code
            code=$(curl -s -o "$work/middle.body" --max-time 10 -w '%{http_code}' \
                "http://127.0.0.1:$port/collections/$c/$u")
            codes="$codes $code"
            case $code in 5??)
                grep -q 'request id' "$work/middle.body" || leak="$leak $c/$u" ;;
            esac
        done
    done
    echo "    statuses of 20 queries over every collection:$codes"
    check "$name: the server survives every query" kill -0 "$pid"
    check "$name: every answer is 200, 404 (items/x, q) or a 5xx; none hangs" \
        sh -c "! echo '$codes' | grep -qE '(^| )(000|40[0-35-9]|4[1-9][0-9])'"
    check "$name: a 5xx shows only a request id${leak:+ (not so:$leak)}" test -z "$leak"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
cp "$work/good.sqlite" "$work/middle.sqlite"
dd if=/dev/urandom of="$work/middle.sqlite" bs=4096 seek=$((size / 4096 / 2)) count=16 \
    conv=notrunc status=none
corrupt_middle "64 KiB overwritten in the middle" "$work/middle.sqlite"
pages=$(sqlite3 "$work/good.sqlite" "SELECT group_concat(pageno, ' ') FROM dbstat WHERE name IN
    ('cities', 'partnerships', 'memberships', 'pilot_activities', 'events')" 2>/dev/null)
if [ -n "$pages" ]; then
    cp "$work/good.sqlite" "$work/tables.sqlite"
    for p in $pages; do
        # Page p starts at (p - 1) * 4096: its cells, past the 8-byte page header.
        dd if=/dev/urandom of="$work/tables.sqlite" bs=1 seek=$(((p - 1) * 4096 + 200)) \
            count=2000 conv=notrunc status=none
    done
    corrupt_middle "the pages of the collection tables ($pages) overwritten" "$work/tables.sqlite"
else
    echo "skip - corrupted tables: this sqlite3 has no dbstat to find their pages"
fi

for v in 0 1 3 999; do
    cp "$work/good.sqlite" "$work/v$v.sqlite"
    sqlite3 "$work/v$v.sqlite" "UPDATE meta SET value = '$v' WHERE key = 'schema_version'"
    refuses "meta.schema_version $v (the binary reads 2)" "$work/v$v.sqlite"
done
cp "$work/good.sqlite" "$work/nov.sqlite"
sqlite3 "$work/nov.sqlite" "DELETE FROM meta WHERE key = 'schema_version'"
refuses "no meta.schema_version" "$work/nov.sqlite"
# The same schema version, but built by a partnermap whose SQL (tables, views) differs.
cp "$work/good.sqlite" "$work/digest.sqlite"
sqlite3 "$work/digest.sqlite" "UPDATE meta SET value = '0123456789abcdef' WHERE key = 'sql_digest'"
refuses "meta.sql_digest of another build" "$work/digest.sqlite"
cp "$work/good.sqlite" "$work/nodigest.sqlite"
sqlite3 "$work/nodigest.sqlite" "DELETE FROM meta WHERE key = 'sql_digest'"
refuses "no meta.sql_digest (a database from before the digest)" "$work/nodigest.sqlite"
cp "$work/good.sqlite" "$work/nometa.sqlite"
sqlite3 "$work/nometa.sqlite" "DROP TABLE meta"
refuses "no meta table" "$work/nometa.sqlite"

# --- 2. load killed with SIGKILL ---------------------------------------------------------
echo "# 2. load killed with SIGKILL leaves the previous database as it was"
live=$work/live.sqlite
cp "$work/good.sqlite" "$live"
cp "$live" "$work/before.sqlite"
start_server "$live" "$work/kill.log" || { not_ok "the server starts"; exit 1; }
old=$(matched "$base/collections/cities/items")
start=$(date +%s.%N)
"$bin" load --db "$work/timing.sqlite" "$geodata" >/dev/null
took=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $start }")
echo "# a whole load of $geodata takes ${took} s here"
hups=0
# kill_load HOW: start a load onto $live, SIGKILL it when HOW says, then check.
kill_load() {
    local how=$1
    "$bin" load --db "$live" "$geodata" >/dev/null 2>&1 &
    local pid=$!
    local tmp=$live.loading-$pid
    case $how in
    after-*) sleep "${how#after-}" ;;
    file-appears) for _ in $(seq 1 5000); do [ -e "$tmp" ] && break; done ;;
    file-over-*)
        local want=${how#file-over-}
        for _ in $(seq 1 20000); do
            [ "$(stat -c %s "$tmp" 2>/dev/null || echo 0)" -gt "$want" ] && break
        done
        ;;
    esac
    local killed=0
    kill -9 "$pid" 2>/dev/null && killed=1
    wait "$pid" 2>/dev/null
    local rc=$?
    if [ "$killed" = 0 ] || [ "$rc" -ne 137 ]; then
        echo "skip - SIGKILL $how: the load had finished before the kill (exit $rc)"
        cp "$work/before.sqlite" "$work/restore.sqlite" && mv "$work/restore.sqlite" "$live"
        rm -f "$live".loading-*
        return
    fi
    local stray=no
    [ -e "$tmp" ] && stray="yes, $(stat -c %s "$tmp") bytes"
    check "SIGKILL $how: the database is byte-identical (stray $(basename "$tmp"): $stray)" \
        cmp -s "$live" "$work/before.sqlite"
    kill -HUP "$server_pid"
    hups=$((hups + 1))
    wait_log "$work/kill.log" 'msg="reloaded"' "$hups"
    check "SIGKILL $how: after SIGHUP the server still serves the old data" \
        test "$(matched "$base/collections/cities/items")" = "$old"
    strays=$((strays + 1))
    rm -f "$tmp"
}
strays=0
# The moments by file size stay below what a whole load of geodata/ writes (6.6 MB here): a
# kill after the load has finished would find nothing to interrupt.
for how in after-0.05 after-0.1 after-0.2 file-appears file-over-1000000 file-over-5000000; do
    kill_load "$how"
done
[ "$strays" -gt 0 ] && echo "note: each killed load left its $live.loading-PID" \
    "behind ($strays files); the next load removes them"
stop_server

# --- 3. a filesystem too small ------------------------------------------------------------
# The cause as partnermap reports it: its last line, or the one before "load failed: ...".
load_cause() {
    if tail -1 "$1" | grep -q '^load failed'; then tail -2 "$1" | head -1; else tail -1 "$1"; fi
}
echo "# 3. load onto a full filesystem"
if [ "$(id -u)" != 0 ]; then
    echo "skip - full filesystem: mounting a tmpfs needs root"
else
    mnt=$work/small
    mkdir -p "$mnt"
    # Room for the old database and 2 MiB: the new one (a load of geodata/) does not fit.
    mb=$((size / 1048576 + 3))
    if mount -t tmpfs -o size=${mb}m tmpfs "$mnt" 2>"$work/mount.err"; then
        cp "$work/good.sqlite" "$mnt/pm.sqlite"
        "$bin" load --db "$mnt/pm.sqlite" "$geodata" >"$work/full.out" 2>"$work/full.err"
        rc=$?
        check "full filesystem (tmpfs of ${mb} MiB): load exits non-zero" test "$rc" -ne 0
        echo "    its report: $(tr '\n' '|' <"$work/full.err")"
        cause=$(load_cause "$work/full.err")
        check "full filesystem: partnermap's own report says the disk is full ('$cause')" \
            sh -c "echo '$cause' | grep -qiE 'full|no space'"
        check "full filesystem: the old database is intact" \
            cmp -s "$mnt/pm.sqlite" "$work/good.sqlite"
        check "full filesystem: no *.loading-* is left" \
            sh -c "! ls '$mnt' | grep -q loading"
        umount "$mnt"
        # Room for SpatiaLite's tables of the new database but not for its rows.
        kb=$((size / 1024 + 7300))
        mount -t tmpfs -o size=${kb}k tmpfs "$mnt"
        cp "$work/good.sqlite" "$mnt/pm.sqlite"
        "$bin" load --db "$mnt/pm.sqlite" "$geodata" >"$work/full.out" 2>"$work/full.err"
        rc=$?
        echo "    its report on a tmpfs of ${kb} KiB: $(tr '\n' '|' <"$work/full.err" | head -c 600)"
        check "full filesystem later in the load: load exits non-zero" test "$rc" -ne 0
        cause=$(load_cause "$work/full.err")
        check "full filesystem later in the load: the report says the disk is full ('$cause')" \
            sh -c "echo '$cause' | grep -qiE 'full|no space'"
        check "full filesystem later in the load: the old database is intact" \
            cmp -s "$mnt/pm.sqlite" "$work/good.sqlite"
        check "full filesystem later in the load: no *.loading-* is left" \
            sh -c "! ls '$mnt' | grep -q loading"
        umount "$mnt"
        mnt=
    else
        echo "skip - full filesystem: mount -t tmpfs is not permitted here ($(cat "$work/mount.err"))"
        mnt=
    fi
fi

# --- 4. SIGHUP while a client is asking -----------------------------------------------------
echo "# 4. a new database and SIGHUP under a client loop"
hup=$work/hup.sqlite
cp "$work/good.sqlite" "$hup"
start_server "$hup" "$work/hup.log" || { not_ok "the server starts"; exit 1; }
url="$base/collections/cities/items?limit=1"
loop=$work/loop.out
: >"$loop"
(
    # At most 3000 requests or 60 s, until told to stop.
    end=$((SECONDS + 60))
    for _ in $(seq 1 3000); do
        [ -e "$work/stop" ] || [ "$SECONDS" -ge "$end" ] && break
        out=$(curl -s --max-time 10 -w '\n%{http_code}' "$url")
        code=${out##*$'\n'}
        m=$(printf '%s' "$out" | grep -o '"numberMatched":[0-9]*' | cut -d: -f2)
        echo "$code ${m:-none}" >>"$loop"
    done
) &
loop_pid=$!
sleep 1
"$bin" load --db "$hup" "$geodata" >/dev/null 2>"$work/hup.load.err" ||
    not_ok "load of $geodata while serving"
kill -HUP "$server_pid"
wait_log "$work/hup.log" 'msg="reloaded"' 1
echo "--- reloaded" >>"$loop"
sleep 1
printf 'not a database' >"$work/broken.tmp"
mv "$work/broken.tmp" "$hup"
kill -HUP "$server_pid"
wait_log "$work/hup.log" 'reload failed' 1
echo "--- broken" >>"$loop"
sleep 1
touch "$work/stop"
wait "$loop_pid"
loop_pid=
new=$(grep -v '^---' "$loop" | tail -1 | cut -d' ' -f2)
total=$(grep -vc '^---' "$loop")
bad=$(grep -v '^---' "$loop" | grep -vc '^200 ')
echo "    $total requests: $bad not 200; numberMatched before: $old, after: $new"
check "SIGHUP: the client loop made at least 30 requests" test "$total" -ge 30
check "SIGHUP: no request failed" test "$bad" -eq 0
check "SIGHUP: the new data has another numberMatched" test "$new" != "$old"
# After the "reloaded" line (skipping one request that may have started before it), every
# answer has the new count, and so after the broken file too.
after=$(sed -n '/^--- reloaded/,$p' "$loop" | grep -v '^---' | tail -n +2 | cut -d' ' -f2 |
    sort -u | tr '\n' ' ')
check "SIGHUP: every request after the reload sees the new data ($after)" \
    test "$after" = "$new "
after_broken=$(sed -n '/^--- broken/,$p' "$loop" | grep -v '^---' | cut -d' ' -f2 | sort -u |
    tr '\n' ' ')
check "SIGHUP with a broken file: the new data stays served ($after_broken)" \
    test "$after_broken" = "$new "
check "SIGHUP with a broken file: the log says so" grep -q 'reload failed' "$work/hup.log"
check "SIGHUP: the previous data was closed" grep -q 'previous data closed' "$work/hup.log"
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
check "the server exits 0 on SIGTERM after all this" test "$rc" -eq 0

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
