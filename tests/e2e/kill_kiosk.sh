#!/bin/sh
# SIGKILL the kiosk at random points of a sync (through a proxy adding
# latency, so the kills land while requests are in flight), then sync
# again: the server ends up with the outbox exactly once and the kiosk's
# store passes `kiosk db check`.  New work is saved during the killed
# sync, before the retry and during it.  Every other round also refers a
# patient to another facility, whose kiosk (killed during its first pull)
# then holds each referral exactly once (issue 14).
#
# OUTPOST_FAULT_N kills (default 6; `make check-faults` runs 40, 100 by hand).
. tests/e2e/lib.inc
N=${OUTPOST_FAULT_N:-6}
sync_setup
# Full batches (about 10 changes each), so a re-sent batch after the fault
# has the same key as the one the server may already have committed.
export OUTPOST_SYNC_BATCH_BYTES=2048

server_start
proxy_start --latency 20 --seed 7
kiosk_new a north "http://127.0.0.1:$PROXY_PORT"
# Referral tasks go through the same kills (issue 14, criterion 11): every
# other round a CHW refers a patient to fac-south, whose kiosk, killed in
# the middle of its own pull, ends up with each referral exactly once.
kiosk a user add chw --role chw --kdf-ms 5 >/dev/null || fail "chw"
RP=$(kiosk a patient add --given Refer --family Once) || fail "patient"
i=0
while [ $i -lt "$N" ]; do
	kiosk a seed --patients 2 --encounters 3 --seed "$i" >/dev/null ||
	    fail "seed $i"
	if [ $((i % 2)) -eq 0 ]; then
		kiosk a --user chw referral new --patient "$RP" --to fac-south \
		    --reason "round $i" >/dev/null || fail "referral $i"
	fi
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
_t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility fac-south) || fail "token fac-south"
kiosk b init --kdf-ms 5 >/dev/null 2>&1 || fail "init b"
kiosk b enroll --server "http://127.0.0.1:$PROXY_PORT" --token "$_t" \
    --insecure-http >/dev/null || fail "enrol b"
# the target's first pull killed midway, then a whole one
printf '%s\n' "$PASS" | "$KIOSK" --data "$T/b" --passphrase-fd 0 sync \
    --once >/dev/null 2>&1 &
k=$!
sleep 0.3
kill -9 "$k" 2>/dev/null
wait "$k" 2>/dev/null
kiosk b sync --once >/dev/null || fail "b sync"
kiosk b db check >/dev/null 2>&1 || fail "db check of b"
kiosk a referral list outgoing | cut -d' ' -f1 | sort >"$T/ref.sent"
kiosk b referral list incoming | cut -d' ' -f1 | sort >"$T/ref.got"
[ "$(wc -l <"$T/ref.sent")" -eq $(( (N + 1) / 2 )) ] ||
    fail "referrals made: $(wc -l <"$T/ref.sent")"
cmp -s "$T/ref.sent" "$T/ref.got" ||
    fail "referrals delivered: $(diff "$T/ref.sent" "$T/ref.got" | head -5)"
echo "kill_kiosk: $N kills, converged every time; $(wc -l <"$T/ref.got") referrals delivered once"
exit 0
