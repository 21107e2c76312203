#!/bin/sh
# SIGKILL the sync-server at random points while two kiosks push at once
# (their pushes share group commits), restart it on the same port, sync
# again: nothing acknowledged is lost, nothing is stored twice, and the
# server database passes integrity_check.  New work is saved during the
# pushes, between the kill and the retry, and during the retry.
#
# OUTPOST_FAULT_N kills (default 6; `make check-faults` runs 40, 100 by hand).
. tests/e2e/lib.inc
N=${OUTPOST_FAULT_N:-6}
sync_setup
# Full batches (about 10 changes each), so a re-sent batch after the fault
# has the same key as the one the server may already have committed.
export OUTPOST_SYNC_BATCH_BYTES=2048

server_start
# Kiosk a goes through a proxy adding latency, so that kills often land
# after a commit while its answer is still on the way (a lost answer);
# kiosk b talks to the server directly.
proxy_start --latency 15 --seed 11
kiosk_new a north "http://127.0.0.1:$PROXY_PORT"
kiosk_new b north
i=0
while [ $i -lt "$N" ]; do
	kiosk a seed --patients 2 --encounters 4 --seed "$i" >/dev/null ||
	    fail "seed $i"
	kiosk b seed --patients 1 --encounters 3 --seed "$i" >/dev/null ||
	    fail "seed b $i"
	delay=$(awk -v s="$i" 'BEGIN { srand(s + 101); printf "%.3f", rand() * 0.4 }')
	kiosk a sync --once >/dev/null 2>&1 &
	k=$!
	kiosk b sync --once >/dev/null 2>&1 &
	kb=$!
	writer_start a "$((1000 + i))" # new work while the pushes run
	sleep "$delay"
	server_kill9
	wait "$k" 2>/dev/null
	wait "$kb" 2>/dev/null
	writer_wait
	# Acknowledged before the kill => still there.
	for k in a b; do
		acked=$(kiosk $k sync status | sed -n 's/^acknowledged: //p')
		node=$(kiosk $k sync status |
		    sed -n 's/^enrolled: node \([0-9]*\),.*/\1/p')
		[ -n "$acked" ] && [ -n "$node" ] ||
		    fail "kiosk $k sync status failed"
		held=$("$SERVER" --data "$T/srv" admin manifest --node "$node" |
		    wc -l)
		[ "$held" -ge "$acked" ] ||
		    fail "kill $i: $k saw $acked acknowledged, server holds $held"
	done
	server_start
	for k in a b; do
		retry_converges $k "$((2000 + i))" "sync $k after server kill $i"
	done
	if [ $((i % 10)) -eq 0 ] && command -v sqlcipher >/dev/null; then
		r=$(srv_sql 'PRAGMA integrity_check')
		[ "$r" = ok ] || fail "server db after kill $i: $r"
	fi
	i=$((i + 1))
done
echo "kill_server: $N kills, converged every time"
exit 0
