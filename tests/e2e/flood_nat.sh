#!/bin/sh
# Issue 9, item 4: one address must not block every client behind it (a
# NAT).  An attacker on 127.0.0.1, the kiosks' own address, holds 40
# connections sending slow headers and 40 sending slow bodies (more than
# the server's 32 per address) for OUTPOST_FLOOD_S seconds while three
# kiosks behind that address save and sync in turn: every sync succeeds
# and the server holds each outbox exactly once.  The per-address cap
# counts only connections not yet authenticated, and a newcomer evicts
# the slowest of them instead of being refused (sync-server/guard.c);
# before, the attacker's 32 connections refused every kiosk.
. tests/e2e/flood.inc
flood_setup
S=${OUTPOST_FLOOD_S:-10}
server_start --max-per-ip 32
for k in a b c; do
	kiosk_new $k north
	kiosk $k seed --patients 2 --encounters 1 >/dev/null || fail "seed $k"
done
"$FLOOD" attack "$SRV_PORT" "$S" --from 127.0.0.1 --addrs 1 \
    --slow-head 40 --slow-body 40 --bodies 0 --node "$(node_of a)" \
    >"$T/attack" 2>&1 &
ATTACK=$!
PIDS="$PIDS $ATTACK"
sleep 1
until=$(($(date +%s) + S - 2))
ok=0 bad=0
while [ "$(date +%s)" -lt "$until" ]; do
	for k in a b c; do
		write_now $k $((ok + bad + 100))
		sync_once $k
		if [ "$SYNC_RC" -eq 0 ]; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
			[ -s "$T/sync.fail" ] || cp "$T/sync.err" "$T/sync.fail"
		fi
	done
done
wait "$ATTACK" || fail "attack: $(cat "$T/attack")"
echo "nat ${S}s: attacker $(cat "$T/attack"); kiosk syncs $ok ok, $bad failed"
[ "$bad" -eq 0 ] && [ "$ok" -ge 3 ] ||
    fail "kiosks behind the attacker's address did not sync: $(cat "$T/sync.fail" 2>/dev/null)"
for k in a b c; do same_manifest $k; done
# a clean stop (and, under AddressSanitizer, no leak) after all that
server_stop
exit 0
