#!/bin/sh
# bench/pg_lifecycle: scale.md AC-8's timing, the throwaway PostgreSQL 15
# cluster of the tests (tests/tools/pgcluster.sh): RUNS (default 10)
# start + first query + stop cycles, each timed, then the checks that
# nothing is left (no process of the cluster, no directory).  Prints the
# median and the worst cycle with the load average, and whether the
# median met the goal (<= 2 s); exits 1 only when anything was left.  The
# correctness part alone runs in make check
# (tests/sync-server/store/pgcluster.sh), without a time bound: on a
# loaded machine initdb alone can take seconds (it runs once per build
# tree: pgcluster.sh copies a template after that, as measured here).
set -u
RUNS=${RUNS:-10}
ms() { date +%s%3N; }
command -v psql >/dev/null || { echo "pg_lifecycle: skipped (no psql)"; exit 0; }
: >/tmp/outpost-pg-lifecycle.$$
trap 'rm -f /tmp/outpost-pg-lifecycle.$$' EXIT
i=1
left=0
while [ "$i" -le "$RUNS" ]; do
	t0=$(ms)
	D=$(sh tests/tools/pgcluster.sh start) || {
		[ $? = 77 ] && { echo "pg_lifecycle: skipped (no PostgreSQL 15)"; exit 0; }
		echo "pg_lifecycle: start failed" >&2; exit 1; }
	psql -XAtq "host=$D dbname=postgres user=postgres" -c 'SELECT 1' >/dev/null ||
		{ echo "pg_lifecycle: no answer" >&2; left=1; }
	t1=$(ms)
	sh tests/tools/pgcluster.sh stop "$D" || left=1
	t2=$(ms)
	[ -e "$D" ] && { echo "pg_lifecycle: $D left" >&2; left=1; }
	if ps -eo stat=,args= | grep -v '^Z' | grep -F "$D" | grep -qv grep; then
		echo "pg_lifecycle: processes of $D left" >&2
		left=1
	fi
	echo "$((t2 - t0)) $((t1 - t0)) $((t2 - t1))" >>/tmp/outpost-pg-lifecycle.$$
	i=$((i + 1))
done
sort -n /tmp/outpost-pg-lifecycle.$$ | awk -v n="$RUNS" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
{ t[NR] = $1; s[NR] = $2; p[NR] = $3 }
END {
	m = int((n + 1) / 2)
	printf "pg_lifecycle: %d cycles, start+query+stop median %d ms (start %d, stop %d), worst %d ms; load average %s; goal median <= 2000 ms: %s\n", n, t[m], s[m], p[m], t[n], load, t[m] <= 2000 ? "met" : "MISSED"
}'
echo "pg_lifecycle: nothing left: $([ "$left" = 0 ] && echo yes || echo NO)"
exit "$left"
