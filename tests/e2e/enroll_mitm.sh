#!/bin/sh
# Enrolment through a man in the middle (issue 9, item 6).  An on-path
# proxy (tests/tools/keyswap.c) captures the token and replaces the
# server's key in the enrolment answer with its own.  The token carries
# the fingerprint of the real key, so the kiosk refuses, says what to do
# and stores nothing; through the same proxy relaying honestly it enrols.
# http:// is refused without --insecure-http; a mistyped token is caught
# by its check character before anything is sent.
. tests/e2e/lib.inc
sync_setup
SWAP=$B/tests/tools/keyswap
[ -x "$SWAP" ] || { echo "missing $SWAP (build it first)" >&2; exit 77; }

swap_start() { # keyswap options
	rm -f "$T/kport"
	"$SWAP" --listen 127.0.0.1:0 --port-file "$T/kport" \
	    --target "127.0.0.1:$SRV_PORT" "$@" >"$T/swap.out" 2>>"$T/swap.err" &
	SWAP_PID=$!
	PIDS="$PIDS $SWAP_PID"
	wait_file "$T/kport"
	KPORT=$(cat "$T/kport")
}

server_start
kiosk a init --kdf-ms 5 >/dev/null 2>&1 || fail "init a"

# http:// without the development flag: refused before anything is sent
tok=$(token north) || fail "token"
kiosk a enroll --server "http://127.0.0.1:$SRV_PORT" --token "$tok" \
    >/dev/null 2>"$T/a.err" && fail "enrolled over http:// without the flag"
grep -q "refusing http://" "$T/a.err" || fail "http: $(cat "$T/a.err")"

# a mistyped token (one character changed): caught on the kiosk
case $tok in
0*) bad="1${tok#?}" ;;
*) bad="0${tok#?}" ;;
esac
kiosk a enroll --insecure-http --server "http://127.0.0.1:$SRV_PORT" \
    --token "$bad" >/dev/null 2>"$T/a.err" && fail "a mistyped token worked"
grep -q "mistyped" "$T/a.err" || fail "typo: $(cat "$T/a.err")"

# the attack: the proxy swaps the server key
swap_start
kiosk a enroll --insecure-http --server "http://127.0.0.1:$KPORT" \
    --token "$tok" >/dev/null 2>"$T/a.err" &&
    fail "the kiosk pinned the attacker's key"
grep -q "^swapped" "$T/swap.out" || fail "the proxy did not swap the key"
grep -q "does not match the token" "$T/a.err" ||
    fail "unclear refusal: $(cat "$T/a.err")"
kiosk a sync status >"$T/a.status" 2>&1
grep -q "^enrolled: node" "$T/a.status" &&
    fail "a refused enrolment left the kiosk enrolled: $(cat "$T/a.status")"
kiosk a sync --once >/dev/null 2>&1 && fail "the kiosk synced after refusing"
kill "$SWAP_PID"
wait "$SWAP_PID" 2>/dev/null

# the control: the same path relaying honestly, with a new token
swap_start --pass
tok=$(token north) || fail "token"
kiosk a enroll --insecure-http --server "http://127.0.0.1:$KPORT" \
    --token "$tok" >/dev/null 2>"$T/a.err" ||
    fail "honest relay: $(cat "$T/a.err")"
grep -q "^token " "$T/swap.out" || fail "the relay saw no enrolment"
kiosk a seed --patients 2 --encounters 1 >/dev/null || fail "seed"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync after enrolling: $(cat "$T/sync.err")"
same_manifest a
server_stop
exit 0
