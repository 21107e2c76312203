#!/bin/sh
# The end-to-end sync tests against a sync-server on PostgreSQL (issue 12):
# one throwaway cluster (tests/tools/pgcluster.sh), a fresh database per
# script, each script run unchanged with OUTPOST_STORE set (tests/e2e/lib.inc
# then gives every sync-server run --store).  `make check` runs sync.sh;
# `make check-faults` sets OUTPOST_PG_E2E to the fault sweeps.  Then the
# in-process server tests of OUTPOST_PG_UNIT (test_policy, test_blob and
# test_breakglass_search: validation, authorisation, pull scopes,
# attachments, break-glass search limits) on the same cluster,
# each fixture in a fresh database (OUTPOST_TEST_PG, tests/sync-server/
# fixture.h); OUTPOST_PG_UNIT= (empty) skips them.
# Prints PASS:/FAIL: per script; skipped (77) only without PostgreSQL.
B=${OUTPOST_BUILD:-build}
scripts=${OUTPOST_PG_E2E:-sync}
for p in "$B/sync-server" "$B/kiosk" "$B/tests/tools/faultproxy"; do
	if [ ! -x "$p" ]; then
		echo "missing $p (build it first)" >&2
		exit 77
	fi
done
D=$(sh tests/tools/pgcluster.sh start) || exit $?
trap 'sh tests/tools/pgcluster.sh stop "$D"' EXIT INT TERM
rc=0 n=0
for s in $scripts; do
	n=$((n + 1))
	psql -q "host=$D dbname=postgres user=postgres" \
	    -c "CREATE DATABASE e$n TEMPLATE template0" || exit 1
	if OUTPOST_STORE="postgresql:///e$n?host=$D&user=postgres" \
	    sh "tests/e2e/$s.sh" >"$D/$s.out" 2>&1; then
		echo "PASS: postgresql/$s"
	else
		echo "FAIL: postgresql/$s"
		tail -n 30 "$D/$s.out" >&2
		rc=1
	fi
done
for t in ${OUTPOST_PG_UNIT-test_policy test_blob test_breakglass_search}; do
	if OUTPOST_TEST_PG=$D "$B/tests/sync-server/$t" >"$D/$t.out" 2>&1; then
		echo "PASS: postgresql/$t"
	else
		echo "FAIL: postgresql/$t"
		tail -n 30 "$D/$t.out" >&2
		rc=1
	fi
done
exit $rc
