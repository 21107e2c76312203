#!/bin/sh
# SIGKILL the kiosk at random points of a sync (through a proxy adding
# latency, so the kills land while requests are in flight), then sync
# again: the server ends up with the outbox exactly once and the kiosk's
# store passes `kiosk db check`.  New work is saved during the killed
# sync, before the retry and during it.
#
# OUTPOST_FAULT_N kills (default 6; `make check-faults` runs 100).
. tests/e2e/lib.inc
N=${OUTPOST_FAULT_N:-6}
sync_setup
# Full batches (about 10 changes each), so a re-sent batch after the fault
# has the same key as the one the server may already have committed.
export OUTPOST_SYNC_BATCH_BYTES=2048

server_start
proxy_start --latency 20 --seed 7
kiosk_new a north "http://127.0.0.1:$PROXY_PORT"
i=0
while [ $i -lt "$N" ]; do
	kiosk a seed --patients 2 --encounters 3 --seed "$i" >/dev/null ||
	    fail "seed $i"
	delay=$(awk -v s="$i" 'BEGIN { srand(s + 1); printf "%.3f", rand() * 0.6 }')
	printf '%s\n' "$PASS" |
	    "$KIOSK" --data "$T/a" --passphrase-fd 0 sync --once \
	    >/dev/null 2>&1 &
	k=$!
	writer_start a "$((1000 + i))" # new work while the sync runs
	sleep "$delay"
	kill -9 "$k" 2>/dev/null
	wait "$k" 2>/dev/null
	writer_wait
	retry_converges a "$((2000 + i))" "sync after kill $i ($delay s)"
	if [ $((i % 10)) -eq 0 ]; then
		kiosk a db check >/dev/null 2>&1 || fail "db check after kill $i"
	fi
	i=$((i + 1))
done
echo "kill_kiosk: $N kills, converged every time"
exit 0
