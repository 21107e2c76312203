#!/bin/sh
# Referrals on the screens (issue 14), 80x24, with a real sync-server on
# loopback: a CHW at clinic-1 refers a patient from the visit (F3: the
# facility, why, urgency); Home's F8 lists it as sent.  The CHW at
# clinic-2 (which never saw the patient) gets, after a sync, Home's
# "NEW: 1 to this facility", opens the list (F8), rejects without a
# reason (told to say why), accepts (F2) and marks the patient seen (F9:
# done there, it leaves the incoming list); clinic-1's list then says
# seen.
. tests/tui/lib.inc

start_server

# due dates change with the day the test runs: not part of the screens
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/g'
}

node_new() { # dir facility
	NODE=$1
	make_node
	t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
	    --region north --facility "$2") || fail "token $2"
	cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
	    fail "enrol $2"
	printf 'pass-word\nchw-pass\nchw-pass\n' | "$KIOSK" --data "$NODE" \
	    --passphrase-fd 0 user add chw1 --role chw --kdf-ms 5 \
	    >/dev/null 2>&1 || fail "chw on $2"
}
unlock_chw() {
	wait_for "This kiosk is locked."
	keys Up
	keys BSpace BSpace BSpace BSpace BSpace
	type_text "chw1"
	keys Down
	type_text "chw-pass"
	keys Enter
	wait_for "Unlocked. Welcome, chw1."
}
node_new "$T/c2" clinic-2
node_new "$T/c1" clinic-1
cli patient add --given Amina --family Okafor --sex female \
    --village Kisumu >/dev/null || fail "patient"

# clinic-1: the visit, F3, the referral
start "$KIOSK" --data "$T/c1" ui --idle-lock 0
unlock_chw
keys F3
type_text "Amina"
wait_for "> Amina"
keys Enter
wait_for "Enter start the visit"
keys Enter
wait_for "Patient: Amina Okafor"
keys F3
wait_for "Refer the patient"
type_text "clinic-2"
keys Enter
type_text "fever and stiff neck"
keys Right
expect_screen referral-new "(*) urgent"
keys F2
wait_for "Referred. It goes to the facility with the next sync."
keys Escape
wait_for "Patient: Amina Okafor"
keys F8
wait_for "End this visit?"
keys y
wait_for "Visit ended."
keys F8
wait_for "Referrals"
wait_for "OUT  urgent  sent"
keys Escape
quit_kiosk
cli sync --once >/dev/null || fail "clinic-1 sync"

# clinic-2: never saw Amina; the sync brings her and the referral
NODE=$T/c2
cli sync --once >/dev/null || fail "clinic-2 sync"
start "$KIOSK" --data "$T/c2" ui --idle-lock 0
unlock_chw
wait_for "NEW: 1 to this facility"
keys F8
wait_for "IN   urgent  received"
expect_screen referrals-in "Amina Okafor"
keys F6
wait_for "say why the referral is rejected"
keys F2
wait_for "Recorded. The other facility sees it after the next sync."
wait_for "IN   urgent  accepted"
keys F9
# seen: the referral is done here and leaves the incoming list
wait_for "0 to this facility, 0 from it"
keys Escape
quit_kiosk
cli sync --once >/dev/null || fail "clinic-2 sync 2"

# clinic-1 sees it seen
NODE=$T/c1
cli sync --once >/dev/null || fail "clinic-1 sync 2"
start "$KIOSK" --data "$T/c1" ui --idle-lock 0
unlock_chw
keys F8
wait_for "OUT  urgent  seen"
keys Escape
quit_kiosk
echo "referral screens: refer from the visit, received, accepted, seen, status back"
