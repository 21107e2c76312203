#!/bin/sh
# bench/pg_crash: scale.md AC-3 at full size: 1000 SIGKILLs of PostgreSQL
# backends during ingest (each one crash-restarts the cluster), then the
# invariant queries of tests/sync-server/store/test_pg_crash.c (every
# acknowledged batch whole with its exact response, no key without its
# response, no change outside a batch, high-water marks consistent).
# About a second per kill on the 2-core machine.  make check runs 10 kills,
# make check-faults 200.  Needs `make test-progs` (the test program).
set -u
B=${OUTPOST_BUILD:-build}
P=$B/tests/sync-server/store/test_pg_crash
[ -x "$P" ] || { echo "bench/pg_crash: build $P first (make test-progs)" >&2; exit 1; }
OUTPOST_PG_KILLS=${PG_KILLS:-1000} "$P" 2>&1 | grep -E '^(PASS|FAIL|SKIP)|kills of'
