#!/bin/sh
# What the server refuses, end to end with the real programs (issue 9,
# item 3): a hub node registers a patient, which the table in
# docs/SECURITY.md does not allow.  `kiosk sync --once` still succeeds,
# says on stderr what was refused and what to do, `kiosk sync status`
# counts it, nothing stays pending and nothing is sent again; a clinic of
# the region never receives it.  `kiosk conflict list` works on the node.
. tests/e2e/lib.inc
sync_setup

server_start
kiosk h init --kdf-ms 5 >/dev/null 2>&1 || fail "init h"
tok=$("$SERVER" --data "$T/srv" admin enroll-token --role hub \
    --region north --facility hub1) || fail "hub token"
kiosk h enroll --insecure-http --server "http://127.0.0.1:$SRV_PORT" \
    --token "$tok" \
    >/dev/null || fail "enrol h"
kiosk_new b north
id=$(kiosk h patient add --given Chausiku --family Mwangi) ||
    fail "patient add"

sync_once h
[ "$SYNC_RC" -eq 0 ] || fail "sync h: $(cat "$T/sync.err")"
grep -q "refused by the server" "$T/sync.err" ||
    fail "no refusal said: $(cat "$T/sync.err")"
grep -q "ask the facility administrator" "$T/sync.err" ||
    fail "nothing to do said: $(cat "$T/sync.err")"
grep -q "$id" "$T/sync.err" || fail "the refused record is not named"

kiosk h sync status >"$T/status" || fail "status"
grep -q '^pending: 0 of ' "$T/status" || fail "wedged: $(cat "$T/status")"
grep -q '^refused by the server: 1 ' "$T/status" ||
    fail "status: $(cat "$T/status")"

sync_once h
case "$SYNC_OUT" in
"pushed 0 (already held 0)"*) ;;
*) fail "second run sent something: $SYNC_OUT" ;;
esac

sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b"
kiosk b sync manifest --tables >"$T/b.rows" || fail "manifest b"
if grep -q "$id" "$T/b.rows"; then
	fail "the refused patient reached b"
fi

kiosk h conflict list >"$T/conflicts" || fail "conflict list"
grep -q "no open conflicts" "$T/conflicts" || fail "conflicts listed"
echo "e2e: a hub's patient refused, reported, not wedged, not served"
