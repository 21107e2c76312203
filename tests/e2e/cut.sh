#!/bin/sh
# Cut the connection at many byte offsets of a push, both in the request
# (client -> server) and in the answer (server -> client, after the commit:
# the lost-acknowledgement case), through tests/tools/faultproxy.  After
# each cut the next run completes, the server holds the kiosk's outbox
# exactly once, and at most one batch is re-sent.  New work is saved
# during the cut run, between the cut and the retry, and during the retry
# (the lost answer followed by a new record used to wedge sync for good).  Batches are held to
# 2 KiB of CBOR here (OUTPOST_SYNC_BATCH_BYTES, at most ~10 changes), so a
# run is several batches and the cuts fall between and inside them.
# Every third round also refers a patient to another facility, whose
# kiosk then holds each referral exactly once (issue 14).
#
# OUTPOST_FAULT_N offsets (default 12; `make check-faults` runs 40, 100 by hand).
. tests/e2e/lib.inc
N=${OUTPOST_FAULT_N:-12}
sync_setup
export OUTPOST_SYNC_BATCH_BYTES=2048
BATCH_MAX=16 # changes that fit in 2 KiB, with room to spare

server_start
proxy_start
PP=$PROXY_PORT
kiosk_new a north "http://127.0.0.1:$PP"
# One uncut run of the same shape tells how many bytes a run moves.
kiosk a seed --patients 1 --encounters 2 --seed 999 >/dev/null || fail seed
sync_once a
up=$(echo "$SYNC_OUT" | sed -n 's/.* \([0-9]*\) bytes up.*/\1/p')
down=$(echo "$SYNC_OUT" | sed -n 's/.* \([0-9]*\) down.*/\1/p')
[ -n "$up" ] && [ "$up" -gt 100 ] || fail "no byte count: $SYNC_OUT"
proxy_stop
# Referral tasks go through the same cuts (issue 14, criterion 11): every
# third round a CHW refers a patient to fac-south, whose kiosk must end up
# with each referral exactly once.
kiosk a user add chw --role chw --kdf-ms 5 >/dev/null || fail "chw"
RP=$(kiosk a patient add --given Refer --family Once) || fail "patient"
maxdup=0 cuts=0 i=0
: >"$T/offsets"
while [ $i -lt "$N" ]; do
	kiosk a seed --patients 1 --encounters 2 --seed "$i" >/dev/null ||
	    fail "seed $i"
	if [ $((i % 3)) -eq 0 ]; then
		kiosk a --user chw referral new --patient "$RP" --to fac-south \
		    --reason "round $i" >/dev/null || fail "referral $i"
	fi
	# offsets spread over the whole exchange, a quarter in the answers
	if [ $((i % 4)) -eq 3 ]; then
		dir=down off=$((1 + (i * 53) % down))
	else
		dir=up off=$((1 + (i * 7919) % up))
	fi
	echo "$dir $off" >>"$T/offsets"
	# same proxy port every time: the kiosk's URL is fixed at enrolment
	rm -f "$T/pport"
	"$PROXY" --listen "127.0.0.1:$PP" --target "127.0.0.1:$SRV_PORT" \
	    --port-file "$T/pport" \
	    --cut-after "$off" --cut-dir "$dir" --cut-conns 1 \
	    $( [ $((i % 2)) -eq 1 ] && echo --reset ) --seed "$i" \
	    2>>"$T/proxy.log" &
	PROXY_PID=$!
	PIDS="$PIDS $PROXY_PID"
	wait_file "$T/pport"
	writer_start a "$((1000 + i))" # new work while the cut run goes on
	kiosk a sync --once >/dev/null 2>&1 # cut somewhere (or not at all)
	writer_wait
	# What the server holds beyond the kiosk's acknowledgement is what
	# the next run re-sends: the batch whose answer was lost.
	acked=$(kiosk a sync status | sed -n 's/^acknowledged: //p')
	[ -n "$acked" ] || fail "kiosk sync status failed"
	held=$("$SERVER" --data "$T/srv" admin manifest | wc -l)
	dups=$((held - acked))
	[ "$dups" -ge 0 ] || fail "cut at $dir $off: acknowledged $acked > held $held"
	[ "$dups" -le "$BATCH_MAX" ] ||
	    fail "cut at $dir $off re-sends $dups changes, more than a batch"
	[ "$dups" -gt "$maxdup" ] && maxdup=$dups
	grep -q "cut after" "$T/proxy.log" && cuts=$((cuts + 1))
	retry_converges a "$((2000 + i))" "run after a cut at $dir $off"
	: >"$T/proxy.log"
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	i=$((i + 1))
done
# the target facility's kiosk gets each referral once, none lost
_t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility fac-south) || fail "token fac-south"
kiosk b init --kdf-ms 5 >/dev/null 2>&1 || fail "init b"
kiosk b enroll --server "http://127.0.0.1:$SRV_PORT" --token "$_t" \
    --insecure-http >/dev/null || fail "enrol b"
kiosk b sync --once >/dev/null || fail "b sync"
kiosk a referral list outgoing | cut -d' ' -f1 | sort >"$T/ref.sent"
kiosk b referral list incoming | cut -d' ' -f1 | sort >"$T/ref.got"
[ "$(wc -l <"$T/ref.sent")" -eq $(( (N + 2) / 3 )) ] ||
    fail "referrals made: $(wc -l <"$T/ref.sent")"
cmp -s "$T/ref.sent" "$T/ref.got" ||
    fail "referrals delivered: $(diff "$T/ref.sent" "$T/ref.got" | head -5)"
distinct=$(sort -u "$T/offsets" | wc -l)
echo "cut: $distinct distinct offsets (of $up bytes up, $down down), $cuts cut a connection, at most $maxdup changes re-sent after one; $(wc -l <"$T/ref.got") referrals delivered once"
[ "$cuts" -gt 0 ] || fail "no run was actually cut"
exit 0
