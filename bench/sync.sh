#!/bin/sh
# bench/sync: the figures of issue 5 / research/perf-reliability.md §9.1-9.2
# for the sync path, on this machine, with the release build.
#
#   1. a seeded clinic day (60 encounters: each an encounter record and 7
#      vitals as observations, four in five with a form submission (the
#      adult consult with the CHW's note, or a child's danger signs),
#      NEWS2 red flags as alerts; plus 20 new patients) pushed on
#      loopback: bytes per encounter, forms included (goal <= 512) and
#      HTTP requests (goal <= 2);
#   2. the same day through tests/tools/faultproxy at 50 kbit/s each way,
#      300 ms each way (600 ms RTT) and 10% of packets stalled 1 s
#      (goal: median <= 20 s), RUNS times with different seeds;
#   3. server durable records/s with KIOSKS concurrent simulated kiosks
#      (bench/sync_load; goal >= 10,000) and the server's peak RSS;
#   4. restoring a replacement kiosk: a catchment of RESTORE_PATIENTS
#      patients (default 10,000) pulled by a fresh kiosk: bytes on the
#      wire (goal <= 2.5 MB), requests, time, the kiosk's peak RSS;
#   5. SQLite and PostgreSQL side by side (issue 12): section 3 again on a
#      sync-server with --store on a throwaway PostgreSQL 15 cluster
#      (tests/tools/pgcluster.sh, fsync and synchronous_commit on), and
#      the store backends' push call alone (bench/store_ingest, 8 threads,
#      10-record batches; scale.md AC-4b goal >= 25,000 records/s), with
#      PostgreSQL's pool of 4, of 8 and of 2, and the host's steal time.
#
# Usage: sh bench/sync.sh   (OUTPOST_BUILD=build by default; RUNS=5,
# KIOSKS=50, LOAD_SECONDS=10, RECORDS_PER_PUSH=100)
set -u
B=${OUTPOST_BUILD:-build}
RUNS=${RUNS:-5}
KIOSKS=${KIOSKS:-50}
LOAD_SECONDS=${LOAD_SECONDS:-10}
RPP=${RECORDS_PER_PUSH:-100}
for p in "$B/sync-server" "$B/kiosk" "$B/tests/tools/faultproxy" \
    "$B/bench/sync_load" "$B/bench/store_ingest"; do
	[ -x "$p" ] || { echo "bench/sync: build $p first (make bench)" >&2; exit 1; }
done
T=$(mktemp -d /tmp/outpost-bench-sync.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
PASS=bench-passphrase
# the server store key, as a systemd credential (docs/OPERATIONS.md)
mkdir -m 700 "$T/cred"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T/cred/outpost-server-key"
chmod 600 "$T/cred/outpost-server-key"
CREDENTIALS_DIRECTORY=$T/cred
export CREDENTIALS_DIRECTORY

kiosk() { _k=$1; shift; printf '%s\n%s\n' "$PASS" "$PASS" |
    "$B/kiosk" --data "$T/$_k" --passphrase-fd 0 "$@"; }
field() { echo "$1" | sed -n "s/.*$2.*/\1/p"; }

"$B/sync-server" --data "$T/srv" --listen 127.0.0.1:0 --port-file "$T/port" \
    --log "$T/srv.log" --max-per-ip 256 &
SRV=$!
PIDS="$PIDS $SRV"
while [ ! -s "$T/port" ]; do sleep 0.05; done
PORT=$(cat "$T/port")

day() { # name url seed -> $OUT
	kiosk "$1" init --kdf-ms 5 >/dev/null 2>&1
	kiosk "$1" seed --patients 20 --encounters 60 --seed "$3" >/dev/null
	# a region of its own: the figures are the day's push, nothing to pull
	tok=$("$B/sync-server" --data "$T/srv" admin enroll-token --role clinic \
	    --region "bench-$1" --facility f)
	kiosk "$1" enroll --insecure-http --server "$2" --token "$tok" >/dev/null
	OUT=$(kiosk "$1" sync --once)
}

echo "== 1. clinic day on loopback (60 encounters, 20 new patients)"
day d0 "http://127.0.0.1:$PORT" 1
up=$(field "$OUT" ' \([0-9]*\) bytes up')
down=$(field "$OUT" ' \([0-9]*\) down')
req=$(field "$OUT" ' \([0-9]*\) requests')
changes=$(field "$OUT" 'pushed \([0-9]*\) ')
echo "$OUT"
echo "changes=$changes requests=$req bytes_up=$up bytes_down=$down" \
    "bytes_per_encounter=$(( (up + down) / 60 )) (goal <= 512; HTTP headers" \
    "and bodies, not TCP/IP)"

echo "== 2. the same day at 50 kbit/s, 600 ms RTT, 10% of packets stalled 1 s"
i=1
: >"$T/times"
while [ $i -le "$RUNS" ]; do
	rm -f "$T/pport"
	"$B/tests/tools/faultproxy" --listen 127.0.0.1:0 --port-file "$T/pport" \
	    --target "127.0.0.1:$PORT" --rate 50000 --latency 300 \
	    --stall-prob 0.1 --stall-ms 1000 --seed "$i" 2>/dev/null &
	PX=$!
	PIDS="$PIDS $PX"
	while [ ! -s "$T/pport" ]; do sleep 0.05; done
	day "r$i" "http://127.0.0.1:$(cat "$T/pport")" "$((i + 10))"
	ms=$(field "$OUT" ' \([0-9]*\) ms')
	echo "run $i (seed $i): $OUT"
	echo "$ms" >>"$T/times"
	kill "$PX" 2>/dev/null
	wait "$PX" 2>/dev/null
	i=$((i + 1))
done
sort -n "$T/times" | awk -v n="$RUNS" '{ v[NR] = $1 }
    END { printf "day_sync_ms median=%d min=%d max=%d over %d runs (goal median <= 20000)\n",
        v[int((n + 1) / 2)], v[1], v[n], n }'

echo "== 3. $KIOSKS concurrent kiosks pushing $RPP records per request for ${LOAD_SECONDS}s"
"$B/bench/sync_load" "http://127.0.0.1:$PORT" "$B/sync-server" "$T/srv" \
    "$KIOSKS" "$LOAD_SECONDS" "$RPP"
echo "server_peak_rss_kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$SRV/status)" \
    "(goal >= 10000 records/s; the load generator shares the 2 cores)"
RP=${RESTORE_PATIENTS:-10000}
echo "== 4. restore: a fresh kiosk pulls a catchment of $RP patients"
kiosk src init --kdf-ms 5 >/dev/null 2>&1
kiosk src seed --patients "$RP" >/dev/null 2>&1
for k in src dst; do
	[ "$k" = dst ] && kiosk dst init --kdf-ms 5 >/dev/null 2>&1
	tok=$("$B/sync-server" --data "$T/srv" admin enroll-token --role clinic \
	    --region restore --facility f)
	kiosk "$k" enroll --insecure-http --server "http://127.0.0.1:$PORT" \
	    --token "$tok" >/dev/null
done
kiosk src sync --once >/dev/null
OUT=$(printf '%s\n' "$PASS" | /usr/bin/time -f "kiosk_peak_rss_kb=%M" \
    "$B/kiosk" --data "$T/dst" --passphrase-fd 0 sync --once 2>"$T/rss")
echo "$OUT"
echo "restore_bytes_down=$(field "$OUT" ' \([0-9]*\) down')" \
    "$(tail -n 1 "$T/rss") (goal <= 2.5 MB on the wire)"

kill "$SRV"
wait "$SRV" 2>/dev/null
grep "commits carried" "$T/srv.log" | sed 's/^.*store_sqlite: /server: /'

echo "== 5. SQLite and PostgreSQL side by side"
if ! PGD=$(PGCLUSTER_DURABLE=1 sh tests/tools/pgcluster.sh start); then
	echo "postgresql: skipped (no PostgreSQL 15: make deps)"
	exit 0
fi
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null;
    sh tests/tools/pgcluster.sh stop "$PGD"; rm -rf "$T"' EXIT
PGC="host=$PGD dbname=postgres user=postgres"
psql -Xq "$PGC" -c "CREATE DATABASE load" -c "CREATE DATABASE ingest"
# sync_load enrols through SERVER_BIN admin: give it the --store too
printf '#!/bin/sh\nexec "%s" --store "%s" "$@"\n' "$(realpath "$B/sync-server")" \
    "host=$PGD dbname=load user=postgres" >"$T/pg-server"
chmod +x "$T/pg-server"
rm -f "$T/port"
"$T/pg-server" --data "$T/pgsrv" --listen 127.0.0.1:0 --port-file "$T/port" \
    --log "$T/pgsrv.log" --max-per-ip 256 &
SRV=$!
PIDS="$PIDS $SRV"
while [ ! -s "$T/port" ]; do sleep 0.05; done
echo "-- section 3 on PostgreSQL ($KIOSKS kiosks, $RPP records per push):"
"$B/bench/sync_load" "http://127.0.0.1:$(cat "$T/port")" "$T/pg-server" \
    "$T/pgsrv" "$KIOSKS" "$LOAD_SECONDS" "$RPP"
kill "$SRV"
wait "$SRV" 2>/dev/null
grep "round trip" "$T/pgsrv.log" | sed 's/^.*store_pg: /server: /'
echo "-- the push call alone, SQLite then PostgreSQL (8 threads):"
# CPU seconds of the cluster's processes so far: the postmaster with the
# children it reaped, plus its live children (the pool's backends)
pg_cpu() {
	_pm=$(head -n 1 "$PGD/data/postmaster.pid")
	{ awk '{ print $14 + $15 + $16 + $17 }' "/proc/$_pm/stat"
	  for _c in $(cat /proc/"$_pm"/task/*/children); do
		awk '{ print $14 + $15 }' "/proc/$_c/stat" 2>/dev/null
	  done; } | awk -v tk="$(getconf CLK_TCK)" '{ s += $1 } END { print s / tk }'
}
# A backend that has exited but is not yet reaped is counted nowhere (not
# a live child, not yet in the postmaster's children's time): wait until
# the run's backends are gone (seen: 0.2 s of 8 s read without it).
pg_settle() {
	_pm=$(head -n 1 "$PGD/data/postmaster.pid")
	_i=0
	while [ $_i -lt 50 ]; do
		_left=0
		for _c in $(cat /proc/"$_pm"/task/*/children); do
			{ tr '\0' ' ' <"/proc/$_c/cmdline"; } 2>/dev/null |
			    grep -q ' ingest ' && _left=1
		done
		[ $_left = 0 ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	sleep 0.2
}
mkdir -p "$T/ingest"
# What the database server spent per record (includes the probe's and
# autovacuum's share): on an idle machine its 2 cores could give about
# 2 / that, minus the client's share (an estimate, not a measurement).
pg_per_record() {
	awk -v c0="$1" -v c1="$2" '/^postgresql_records_per_s=/ {
	split($2, kv, "="); split($1, rs, "="); split($5, sec, "=")
	n = rs[2] * sec[2]
	if (n > 0) printf "postgresql server CPU %.1f us per record (%.1f s for %d records); 2 idle cores at that cost: about %.0f records/s\n", (c1 - c0) * 1e6 / n, c1 - c0, n, 2 * n / (c1 - c0)
}' "$3"
}
# The pool: the default (4), then 8 and 2 (OUTPOST_PG_POOL, at most 8:
# AC-7).  A durable commit waits for its flush, so 8 connections keep the
# two cores busier than 4; with 2, more of the 8 pushers wait for a
# connection and are committed in groups (pg.c pg_group_push), larger
# ones.  host_steal_pct: CPU time the host gave to other machines; a
# figure taken at more than a few percent says more about the neighbours
# than about the store.
for pool in 4 8 2; do
	sq="$T/ingest"
	[ "$pool" = 4 ] || { sq=-; echo "-- PostgreSQL again, a pool of $pool:"; }
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	c0=$(pg_cpu)
	OUTPOST_PG_POOL=$pool "$B/bench/store_ingest" "$sq" \
	    "host=$PGD dbname=ingest user=postgres" 8 "$LOAD_SECONDS" 2>&1 |
	    awk '!/ info / || /group commits|commits carried/' | tee "$T/ingest.out"
	pg_settle
	c1=$(pg_cpu)
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	pg_per_record "$c0" "$c1" "$T/ingest.out"
done
