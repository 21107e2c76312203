#!/bin/sh
# `make demo` run again with another DEMO_PORT (issue 10, item 15): the
# node enrolled on the first run stays with its server, so the second run
# serves at that address and says so, syncs, and does not fail.  Without a
# terminal the demo stops before opening the kiosk screen.
set -u
B=${OUTPOST_BUILD:-build}
for p in "$B/kiosk" "$B/sync-server"; do
	[ -x "$p" ] || { echo "missing $p (build it first)" >&2; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/outpost-demo.XXXXXX")
trap 'rm -rf "$T"' EXIT
# two ports from the process id, below the kernel's ephemeral range
# (32768 and up: another test's outgoing connection can hold such a port
# when the server binds it); a clash fails the first run loudly
p1=$((20000 + $$ % 6000 * 2))
p2=$((p1 + 1))
DEMO_DATA="$T/d" DEMO_PORT=$p1 OUTPOST_BUILD=$B sh tests/tools/demo.sh \
    </dev/null >"$T/run1" 2>&1 || { cat "$T/run1"; echo "FAIL: first run"; exit 1; }
DEMO_DATA="$T/d" DEMO_PORT=$p2 OUTPOST_BUILD=$B sh tests/tools/demo.sh \
    </dev/null >"$T/run2" 2>&1 || { cat "$T/run2"; echo "FAIL: second run, DEMO_PORT changed"; exit 1; }
grep -q "enrolled with the server at 127.0.0.1:$p1" "$T/run2" ||
    { cat "$T/run2"; echo "FAIL: the second run did not say where the node is enrolled"; exit 1; }
grep -q "this sync failed" "$T/run2" &&
    { cat "$T/run2"; echo "FAIL: the second run did not sync"; exit 1; }
echo "PASS: demo_rerun"
