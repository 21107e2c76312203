#!/bin/sh
# The home screen shows sync as the sync client words it: a node enrolled
# with a real sync-server on loopback, synced once, reads "all sent" with
# the age of the last success; with the server gone and a new record
# waiting, a failed sync shows "N waiting" and the reason, marked "!",
# on two rows when it is longer than one (issue 10, item 13).
# While someone is logged in, the kiosk syncs in the background: a record
# saved before the UI started reaches the server with no `kiosk sync`.
. tests/tui/lib.inc

case $B in
/*) SERVER="$B/sync-server" ;;
*) SERVER="$(pwd)/$B/sync-server" ;;
esac
if [ ! -x "$SERVER" ]; then
	echo "no sync-server at $SERVER (build it first)" >&2
	exit 77
fi

make_node
# the server store key, as a systemd credential
mkdir -m 700 "$T/cred"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T/cred/outpost-server-key"
chmod 600 "$T/cred/outpost-server-key"
CREDENTIALS_DIRECTORY=$T/cred
export CREDENTIALS_DIRECTORY
"$SERVER" --data "$T/srv" --listen 127.0.0.1:0 --port-file "$T/port" \
    --log "$T/srv.log" 2>"$T/srv.err" &
SRV_PID=$!
trap 'kill -9 $SRV_PID 2>/dev/null; wait $SRV_PID 2>/dev/null; cleanup' EXIT
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ -s "$T/port" ] || fail "sync-server did not start"
tok=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region r1 --facility f1) || fail "enroll token"
cli enroll --insecure-http --server "http://127.0.0.1:$(cat "$T/port")" \
    --token "$tok" \
    >/dev/null 2>&1 || fail "enroll"
cli patient add --given Juma --family Mwangi >/dev/null || fail "patient add"
cli sync --once >/dev/null 2>&1 || fail "sync"
cli patient add --given Baraka --family Otieno >/dev/null || fail "patient add"

start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Sync:    +  all sent, last"
quit_kiosk
"$SERVER" --data "$T/srv" admin stats --json >"$T/stats.json" ||
    fail "admin stats"
grep -q '"patient": *2' "$T/stats.json" ||
    fail "the background sync did not deliver: $(cat "$T/stats.json")"

# the server goes away; a new record waits and the next sync fails
kill -9 $SRV_PID
wait $SRV_PID 2>/dev/null
cli patient add --given Neema --family Wanjiru >/dev/null || fail "patient add"
# and 100 more, so the line ("101 waiting, ...") is longer than one row
cli seed --patients 100 --encounters 0 >/dev/null || fail "seed"
cli sync --once >/dev/null 2>&1 && fail "sync worked without a server"
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Sync:    !  "
screen | grep -q "Sync:    !  [0-9]* waiting, last .*ago: ." ||
    fail "no pending count and reason on the sync line"
# the reason is whole, on a second row when it needs one (issue 10,
# item 13: it was cut at "will retr")
wait_for "  retry"
screen >"$T/home.txt"
row=$(grep -n "^ Sync:    !  101 waiting" "$T/home.txt" | cut -d: -f1)
[ -n "$row" ] || fail "no sync line with 101 waiting: $(cat "$T/home.txt")"
first=$(sed -n "${row}p" "$T/home.txt")
second=$(sed -n "$((row + 1))p" "$T/home.txt")
# the second row goes on under the text, from column 10, and ends it
case "$second" in
"          "[!\ ]*) ;;
*) fail "the long sync message did not go on to a second row: [$first] [$second]" ;;
esac
# cut between words, and nothing lost: the two rows read as one message
whole=$(printf '%s %s' "$(echo "$first" | sed 's/ *$//')" \
    "$(echo "$second" | sed 's/^ *//')")
echo "$whole" | grep -q \
    "101 waiting, last [0-9]* s ago: no connection to the server; will retry$" ||
    fail "the two rows do not read as the whole message: $whole"
quit_kiosk
