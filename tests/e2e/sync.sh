#!/bin/sh
# A seeded kiosk syncs with a real sync-server on loopback: every record
# arrives exactly once (entity, id and body hash compared on both sides);
# a second kiosk of the same region pulls them and one of another region
# does not; a re-run sends nothing twice; admin stats and kiosk sync status
# agree; SIGTERM stops the server cleanly and nothing acknowledged is lost.
. tests/e2e/lib.inc
sync_setup

server_start
kiosk_new a north
kiosk_new b north
kiosk_new c south
kiosk a seed --patients 30 --encounters 15 >/dev/null || fail "seed"

sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a: $(cat "$T/sync.err")"
same_manifest a

# Nothing left: a second run pushes nothing and duplicates nothing.
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "second sync a"
case "$SYNC_OUT" in
"pushed 0 (already held 0)"*) ;;
*) fail "second run sent something: $SYNC_OUT" ;;
esac

kiosk a sync status >"$T/status" || fail "status"
grep -q '^pending: 0 of ' "$T/status" || fail "status: $(cat "$T/status")"
grep -q '^last error: none' "$T/status" || fail "status error"

# b (same region) pulls every clinical row of a; c (other region) none.
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b: $(cat "$T/sync.err")"
sync_once c
[ "$SYNC_RC" -eq 0 ] || fail "sync c"
kiosk a sync manifest --tables | sort >"$T/a.rows"
kiosk b sync manifest --tables | sort >"$T/b.rows"
kiosk c sync manifest --tables | sort >"$T/c.rows"
[ -s "$T/a.rows" ] || fail "a holds no rows"
missing=$(comm -23 "$T/a.rows" "$T/b.rows" | wc -l)
[ "$missing" -eq 0 ] || fail "b lacks $missing of a's rows"
leaked=$(comm -12 "$T/a.rows" "$T/c.rows" | wc -l)
[ "$leaked" -eq 0 ] || fail "c (other region) got $leaked of a's rows"
# b pulling again gets nothing new
sync_once b
case "$SYNC_OUT" in
*"pulled 0 (0 merged)"*) ;;
*) fail "b pulled again: $SYNC_OUT" ;;
esac
# b's own records go the other way
kiosk b seed --patients 3 --encounters 2 >/dev/null || fail "seed b"
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b push"
sync_once a
kiosk a sync manifest --tables | sort >"$T/a.rows"
kiosk b sync manifest --tables | sort >"$T/b.rows"
cmp -s "$T/a.rows" "$T/b.rows" || fail "a and b hold different rows"

"$SERVER" --data "$T/srv" admin stats --json >"$T/stats.json" || fail stats
grep -q '"pending":0' "$T/stats.json" || fail "stats: $(cat "$T/stats.json")"

# `kiosk sync --loop` keeps a kiosk in step and stops on SIGTERM.
kiosk a seed --patients 2 --encounters 1 --seed 77 >/dev/null || fail "seed"
printf '%s\n' "$PASS" |
    "$KIOSK" --data "$T/a" --passphrase-fd 0 sync --loop --interval 1 \
    >/dev/null 2>&1 &
LOOP=$!
PIDS="$PIDS $LOOP"
n=0
until kiosk a sync status | grep -q '^pending: 0 of '; do
	n=$((n + 1))
	[ $n -gt 100 ] && fail "sync --loop did not push"
	sleep 0.1
done
kill "$LOOP"
wait "$LOOP" || fail "sync --loop did not stop cleanly on SIGTERM"
same_manifest a

# A revoked kiosk is refused and says so; a used token enrols nobody.
node_c=$(kiosk c sync status | sed -n 's/^enrolled: node \([0-9]*\),.*/\1/p')
"$SERVER" --data "$T/srv" admin revoke "$node_c" >/dev/null || fail revoke
kiosk c seed --patients 1 --encounters 1 >/dev/null || fail "seed c"
sync_once c
[ "$SYNC_RC" -ne 0 ] || fail "revoked kiosk synced"
grep -q "revoked" "$T/sync.err" || fail "unclear refusal: $(cat "$T/sync.err")"
kiosk c sync status | grep -q '^last error: .*revoked' || fail "status"
kiosk d init --kdf-ms 5 >/dev/null 2>&1 || fail "init d"
# a token of the old form (no server fingerprint) is refused on the kiosk
kiosk d enroll --insecure-http --server "http://127.0.0.1:$SRV_PORT" --token \
    00112233445566778899aabbccddeeff >/dev/null 2>"$T/d.err" &&
    fail "enrolled with a made-up token"
grep -q "no server fingerprint" "$T/d.err" ||
    fail "token error: $(cat "$T/d.err")"
# the token may come like a passphrase instead of on the command line
tok=$(token north)
printf '%s\n%s\n' "$PASS" "$tok" |
    "$KIOSK" --data "$T/d" --passphrase-fd 0 enroll --insecure-http \
    --server "http://127.0.0.1:$SRV_PORT" >/dev/null ||
    fail "enrol with the token on the passphrase fd"
# a used token is refused by the server
kiosk d enroll --insecure-http --server "http://127.0.0.1:$SRV_PORT" \
    --token "$tok" >/dev/null 2>"$T/d.err" && fail "a token worked twice"
grep -q "refused the token" "$T/d.err" || fail "token error: $(cat "$T/d.err")"

# A clean stop keeps everything.
server_stop
SRV_PORT=0
n1=$(wc -l <"$T/s.man")
"$SERVER" --data "$T/srv" admin manifest | wc -l >"$T/n2"
[ "$(cat "$T/n2")" -ge "$n1" ] || fail "records lost across a restart"
echo "e2e: $n1 records from a, pulled by b, none to c"
exit 0
