#!/bin/sh
# bench/pg_crash: scale.md AC-3 at full size, timed: 1000 SIGKILLs of
# PostgreSQL backends during ingest (each one crash-restarts the cluster)
# and 1000 of a process ingesting through the store, then the invariant
# queries of tests/sync-server/store/test_pg_crash.c (every acknowledged
# batch whole with its exact response, no key without its response, every
# batch whole, no change outside a batch, every accepted change's record
# indexed, high-water marks consistent).  make check runs 10 of each,
# make check-faults 200 of each.  PG_KILLS and SERVER_KILLS
# change the numbers.  Needs `make test-progs` (the test program).
set -u
B=${OUTPOST_BUILD:-build}
P=$B/tests/sync-server/store/test_pg_crash
[ -x "$P" ] || { echo "bench/pg_crash: build $P first (make test-progs)" >&2; exit 1; }
for c in kill_postgres kill_ingester; do
	t0=$(date +%s)
	OUTPOST_PG_KILLS=${PG_KILLS:-1000} OUTPOST_PG_SERVER_KILLS=${SERVER_KILLS:-1000} \
	    "$P" "$c" 2>&1 | grep -E '^(PASS|FAIL|SKIP)|kills of'
	echo "$c: $(( $(date +%s) - t0 )) s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
