#!/bin/sh
# A lost push answer, then a new record, then the retry (issue 9, item 1).
# The server commits a full batch (512 changes, default batch settings),
# the answer is cut on its way back (faultproxy --cut-dir down), the CHW
# saves a new patient, and the kiosk syncs again.  The retry re-sends the
# same batch key with a larger outbox_last in its body; it must be
# answered as a replay, never refused as a conflict, and the server must
# end up holding the kiosk's outbox exactly once.  Each round cuts the
# answer at another byte.
#
# OUTPOST_FAULT_N rounds (default 4; `make check-faults` runs 40, 100 by hand).
. tests/e2e/lib.inc
N=${OUTPOST_FAULT_N:-4}
[ "$N" -gt 24 ] && N=24
sync_setup

server_start
proxy_start
PP=$PROXY_PORT
kiosk_new a north "http://127.0.0.1:$PP"
proxy_stop
lost=0 i=0
while [ $i -lt "$N" ]; do
	# more than one full batch (512 changes) waits to be pushed
	kiosk a seed --patients 5 --encounters 80 --seed "$i" >/dev/null ||
	    fail "seed $i"
	off=$((1 + (i * 37) % 120))
	rm -f "$T/pport"
	"$PROXY" --listen "127.0.0.1:$PP" --target "127.0.0.1:$SRV_PORT" \
	    --port-file "$T/pport" --cut-after "$off" --cut-dir down \
	    --cut-conns 1 $( [ $((i % 2)) -eq 1 ] && echo --reset ) \
	    2>>"$T/proxy.log" &
	PROXY_PID=$!
	PIDS="$PIDS $PROXY_PID"
	wait_file "$T/pport"
	kiosk a sync --once >/dev/null 2>&1 &&
	    fail "round $i: the sync was not cut"
	acked=$(kiosk a sync status | sed -n 's/^acknowledged: //p')
	held=$("$SERVER" --data "$T/srv" admin manifest | wc -l)
	[ -n "$acked" ] || fail "kiosk sync status failed"
	# the batch was committed and its answer lost
	[ "$held" -gt "$acked" ] ||
	    fail "round $i: cut at $off lost no committed batch ($held held, $acked acknowledged)"
	lost=$((lost + 1))
	# a new record between the cut and the retry
	kiosk a patient add --given "Retry$i" --family Lost --sex f \
	    --birth-date 1990-01-0$((1 + i % 9)) >/dev/null ||
	    fail "round $i: patient add"
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	rm -f "$T/pport"
	"$PROXY" --listen "127.0.0.1:$PP" --target "127.0.0.1:$SRV_PORT" \
	    --port-file "$T/pport" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	PIDS="$PIDS $PROXY_PID"
	wait_file "$T/pport"
	sync_once a
	[ "$SYNC_RC" -eq 0 ] ||
	    fail "round $i: retry after a lost answer (cut at $off): $(cat "$T/sync.err")"
	same_manifest a
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	i=$((i + 1))
done
grep -q push-conflict "$T/srv.log" && fail "the server logged a conflict"
echo "lost_answer: $lost answers lost after the commit, each retried with a new record, all converged"
exit 0
