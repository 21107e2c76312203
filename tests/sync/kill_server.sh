#!/bin/sh
# SIGKILL the sync-server at random points while a kiosk pushes, restart
# it on the same port, sync again: nothing acknowledged is lost, nothing
# is stored twice, and the server database passes integrity_check.
#
# OUTPOST_FAULT_N kills (default 6; `make check-faults` runs 100).
. tests/sync/lib.inc
N=${OUTPOST_FAULT_N:-6}
sync_setup

server_start
kiosk_new a north
i=0
while [ $i -lt "$N" ]; do
	kiosk a seed --patients 2 --encounters 4 --seed "$i" >/dev/null ||
	    fail "seed $i"
	delay=$(awk -v s="$i" 'BEGIN { srand(s + 101); printf "%.3f", rand() * 0.4 }')
	kiosk a sync --once >/dev/null 2>&1 &
	k=$!
	sleep "$delay"
	server_kill9
	wait "$k" 2>/dev/null
	# Acknowledged before the kill => still there.
	acked=$(kiosk a sync status | sed -n 's/^acknowledged: //p')
	[ -n "$acked" ] || fail "kiosk sync status failed"
	held=$("$SERVER" --data "$T/srv" admin manifest | wc -l)
	[ "$held" -ge "$acked" ] ||
	    fail "kill $i: kiosk saw $acked acknowledged, server holds $held"
	server_start
	sync_once a
	[ "$SYNC_RC" -eq 0 ] ||
	    fail "sync after server kill $i: $(cat "$T/sync.err")"
	same_manifest a
	if [ $((i % 10)) -eq 0 ] && command -v sqlite3 >/dev/null; then
		r=$(sqlite3 "$T/srv/server.db" 'PRAGMA integrity_check')
		[ "$r" = ok ] || fail "server db after kill $i: $r"
	fi
	i=$((i + 1))
done
echo "kill_server: $N kills, converged every time"
exit 0
