#!/bin/sh
# bench/pg_callgrind: PostgreSQL's own instructions per 10-record push
# (issue 12, scale.md AC-4b), a figure that does not move with the host.
# Throughput on this shared machine moves by +-40% from one minute to the
# next (sync-server/README.md "Measured"); the instructions the database
# backend executes for one push do not (about 1% between runs).
#
# A throwaway cluster (tests/tools/pgcluster.sh) is restarted under
# valgrind --tool=callgrind; bench/store_ingest pushes on one connection
# (OUTPOST_PG_POOL=1, one thread, no freshness probe) for 8 s and then for
# 20 s, each run its own backend; the difference of the two backends'
# instruction counts over the difference of their pushes is the cost of
# one push, without connection set-up and schema migrations.
#
# Usage: sh bench/pg_callgrind.sh   (OUTPOST_BUILD=build by default)
set -u
B=${OUTPOST_BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
	echo "bench/pg_callgrind: valgrind not installed (make deps), skipped"
	exit 0
fi
[ -x "$B/bench/store_ingest" ] ||
    { echo "bench/pg_callgrind: build $B/bench/store_ingest first (make bench)" >&2; exit 1; }
BIN=$(pg_config --bindir 2>/dev/null)
[ -x "$BIN/postgres" ] || BIN=/usr/lib/postgresql/15/bin
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@")
	else
		"$@"
	fi
}
D=$(OUTPOST_BUILD="$B" sh "$ROOT/tests/tools/pgcluster.sh" start) || exit 1
VG=""
cleanup() {
	as_owner "$BIN/pg_ctl" -D "$D/data" -m immediate -w stop >/dev/null 2>&1
	[ -n "$VG" ] && kill "$VG" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# the same cluster, restarted under callgrind (durable, as bench/sync.sh)
as_owner "$BIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null || exit 1
mkdir "$D/cg" && chmod 0777 "$D/cg"
as_owner valgrind --tool=callgrind --callgrind-out-file="$D/cg/cg.%p" \
    "$BIN/postgres" -D "$D/data" -k "$D" -c listen_addresses= \
    -c autovacuum=off -c max_wal_size=1GB -c shared_buffers=128MB \
    >"$D/valgrind.log" 2>&1 &
VG=$!
i=0
until "$BIN/pg_isready" -q -h "$D"; do
	i=$((i + 1))
	[ $i -gt 240 ] && { echo "bench/pg_callgrind: postgres under valgrind did not start" >&2; exit 1; }
	sleep 0.5
done
CONN="host=$D dbname=postgres user=postgres"

# A run of S seconds; prints "instructions pushes" of its backend: the
# largest of the callgrind files written after it (each backend writes its
# own as it exits, a little after the client has gone, so this waits until
# no new one has come for 4 s; the next run starts only then).
run() {
	ls "$D/cg" | sort >"$D/before"
	out=$(OUTPOST_PG_POOL=1 OUTPOST_BENCH_PROBE=0 "$B/bench/store_ingest" - \
	    "$CONN" 1 "$1" 2>&1) || { echo "store_ingest failed: $out" >&2; return 1; }
	p=$(echo "$out" | sed -n 's/.*pushes=\([0-9]*\).*/\1/p' | head -n 1)
	i=0 n=0 still=0
	while [ "$n" -eq 0 ] || [ "$still" -lt 8 ]; do
		sleep 0.5
		m=$(ls "$D/cg" | sort | comm -13 "$D/before" - | while read -r f; do
			grep -l '^totals:' "$D/cg/$f"
		done | wc -l)
		if [ "$m" -eq "$n" ]; then still=$((still + 1)); else n=$m still=0; fi
		i=$((i + 1))
		[ $i -gt 240 ] && { echo "bench/pg_callgrind: no callgrind output" >&2; return 1; }
	done
	ir=$(ls "$D/cg" | sort | comm -13 "$D/before" - | while read -r f; do
		sed -n 's/^summary: \([0-9]*\).*/\1/p' "$D/cg/$f"
	done | sort -n | tail -n 1)
	echo "$ir $p"
}
run 3 >/dev/null || exit 1 # schema migrations, caches
r8=$(run 8) || exit 1
r20=$(run 20) || exit 1
echo "$r8 $r20" | awk '{
	if ($4 <= $2) { print "bench/pg_callgrind: too few pushes under valgrind" > "/dev/stderr"; exit 1 }
	per = ($3 - $1) / ($4 - $2)
	printf "pg_instructions_per_push=%.0f per_record=%.0f (10-record pushes on one connection; %d and %d pushes)\n", per, per / 10, $2, $4
}'
