#!/bin/sh
# Issue 9, item 4 (and the flood half of item 5): a flood from 64
# addresses (127.0.0.2-65, tests/tools/flood.c) mixing slow headers, slow
# bodies and 1 MiB bodies (claiming the kiosk's own node id with a wrong
# signature, or a node that does not exist) for OUTPOST_FLOOD_S seconds
# (10 under make check, 60 under make check-faults).  Throughout:
# /v1/health answers within 1 s (probed on a new connection every
# 200 ms), a legitimate kiosk syncs again and again, and the server's RSS
# stays under 256 MB; after it, the server holds the kiosk's outbox
# exactly once.  Each address holds 32 connections, twice the server's
# 1,024 in all: before the guard, health timed out and RSS reached 256 MB.
# The machine running the tests is shared (make -j, other suites), so a
# probe over 1 s is reported with the load average and more than one in
# 20 fails the test; under AddressSanitizer (make check's build, two to
# three times slower) probes over 1 s are only reported, a probe
# unanswered for 5 s fails, and each address floods 1 MiB bodies on 2
# connections instead of 8 (the attack's CPU cost, not its connection
# count, is what the sanitizers multiply).  make check-faults runs the 60 s flood on the
# release build, where the 1 s bound is the done-means of the issue.
. tests/e2e/flood.inc
flood_setup
S=${OUTPOST_FLOOD_S:-10}
# lib.inc lifts the per-address cap for its other tests; the default here
server_start --max-per-ip 32
kiosk_new a north
kiosk a seed --patients 3 --encounters 2 >/dev/null || fail "seed"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "first sync: $(cat "$T/sync.err")"
node=$(node_of a)
bodies=8 slow=12
[ "$SAN" -eq 1 ] && bodies=2 slow=15 # still 32 connections per address
rss_start "$SRV_PID"
"$FLOOD" attack "$SRV_PORT" "$S" --addrs 64 --slow-head $slow \
    --slow-body $slow --bodies $bodies --node "$node" >"$T/attack" 2>&1 &
ATTACK=$!
PIDS="$PIDS $ATTACK"
sleep 1
"$FLOOD" probe "$SRV_PORT" $((S - 2)) >"$T/probe" 2>&1 &
PROBE=$!
PIDS="$PIDS $PROBE"
sync_loop a $(($(date +%s) + S - 3))
wait "$PROBE" || fail "probe: $(cat "$T/probe")"
wait "$ATTACK" || fail "attack: $(cat "$T/attack")"
rss_peak
echo "flood ${S}s: $(cat "$T/attack"); health $(cat "$T/probe");" \
    "kiosk syncs $SYNC_OK ok, $SYNC_FAIL failed; server RSS peak" \
    "$((RSS_PEAK / 1024)) MB"
# probes N answered N max_ms N over_1s N failed N
set -- $(cat "$T/probe")
[ "${10}" -eq 0 ] || fail "health went unanswered (5 s): $*"
if [ "$8" -gt 0 ]; then
	echo "WARN: $8 of $2 health probes over 1 s (max $6 ms), load" \
	    "$(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
	[ "$SAN" -eq 1 ] || [ $(($8 * 20)) -le "$2" ] ||
	    fail "health did not answer within 1 s throughout: $*"
fi
[ "$SYNC_FAIL" -eq 0 ] && [ "$SYNC_OK" -ge 1 ] ||
    fail "the kiosk did not sync under the flood: $(cat "$T/sync.fail" 2>/dev/null)"
[ "$RSS_PEAK" -lt $((256 * 1024)) ] ||
    fail "server RSS reached $((RSS_PEAK / 1024)) MB"
grep -q 'guard: cut' "$T/srv.log" || fail "nothing cut"
same_manifest a
# a clean stop (and, under AddressSanitizer, no leak) after all that
server_stop
exit 0
