#!/bin/sh
# The region's figures on an admin node (issue 17, Dashboard), 80x24, with
# a real sync-server on loopback: a synthetic region on the server
# (`admin synth`), an admin node enrolled and synced once (it fetches the
# figures), then F2 on Home shows the region with its facilities, Enter
# opens a facility with its kiosks, Esc goes back.  With the server gone
# the same figures still show, from the node's store, with their age.
# Times and the sparklines' shapes depend on the hour the test runs (the
# region is made relative to now): they are masked in the comparison,
# the counts are not.  A user who is not an administrator is refused.
. tests/tui/lib.inc

start_server

screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/g;
		s/[0-9]+(\.[0-9])? (s|min|h|d)( |,|\)|$)/N \2\3/g;
		s/(last 28 days) .*$/\1 ~spark~/;
		s/^( [> ] [^ ].* [0-9]+ +[0-9]+ +[0-9]+ +[0-9]+)   .*$/\1   ~spark~/;
		s/^( Kiosk [0-9]+) .* (vitals )/\1 ~spark~ \2/'
}

"$SERVER" --data "$T/srv" admin synth --region r1 --kiosks 12 \
    --facilities 4 --hubs 1 --visits 400 --seed 3 >"$T/synth.out" 2>&1 ||
    fail "synth: $(cat "$T/synth.out")"
make_node
printf 'pass-word\nchw-pass\nchw-pass\n' | "$KIOSK" --data "$NODE" \
    --passphrase-fd 0 user add amina --role chw --kdf-ms 5 >/dev/null 2>&1 ||
    fail "chw user"
t=$("$SERVER" --data "$T/srv" admin enroll-token --role admin \
    --region r1 --facility office) || fail "token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the admin node"
cli sync --once >/dev/null 2>"$T/sync.err" ||
    fail "admin sync: $(cat "$T/sync.err")"

start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Sync:"
keys F2
expect_screen dash-region "Up/Down choose   Enter open the facility"
keys Down
keys Enter
expect_screen dash-facility "Up/Down choose a kiosk"
keys Down
wait_for "> "
keys Escape
wait_for "Enter open the facility"
keys Escape
wait_for "Sync:"
quit_kiosk

# offline: the server is gone, the figures kept on the node still show
kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Sync:"
keys F2
wait_for "Figures of"
screen | grep -q "Visits    400" || fail "the kept figures do not show offline"
keys Escape
wait_for "Sync:"
quit_kiosk

# a CHW on the same node (added before enrolment: an enrolled admin node
# takes administrators only, issue 17's roles) is refused, and told why
start "$KIOSK" --data "$NODE" ui --idle-lock 0
wait_for "This kiosk is locked."
keys Up
keys BSpace BSpace BSpace BSpace BSpace
type_text "amina"
keys Down
type_text "chw-pass"
keys Enter
wait_for "Sync:"
keys F2
wait_for "The region's figures are for administrators."
quit_kiosk
