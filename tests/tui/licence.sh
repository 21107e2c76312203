#!/bin/sh
# Who may consult, on the hub's consult screen (issue 14), 80x24, with a
# real sync-server on loopback: with the region's signed licence list
# held, the clinician reads that their licence lets them consult; after
# the regulator revokes it and the kiosk syncs, the same screen says so
# in words, and Enter on a waiting consult is refused with the reason.
. tests/tui/lib.inc

start_server
"$SERVER" --data "$T/srv" admin licence add MW-1234 --regulator MMDC \
    --cadre "medical officer" --scope all --juris north --from 2020-01-01 \
    --to 2099-01-01 >/dev/null || fail "licence"

screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/; s/ [0-9]+ min/ N min/g'
}

make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility clinic-1) || fail "token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the clinic"
P=$(cli patient add --given Amina --family Okafor --sex female \
    --birth-date 1990-05-01) || fail "patient"
cli consult request --patient "$P" --reason "cough" >/dev/null ||
    fail "request"
cli sync --once >/dev/null || fail "clinic sync"
NODE=$T/hub
make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role hub \
    --region north --facility hub-1) || fail "hub token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the hub"
printf 'pass-word\ndoc-pass\ndoc-pass\n' | "$KIOSK" --data "$NODE" \
    --passphrase-fd 0 user add doc --role clinician --kdf-ms 5 >/dev/null 2>&1 ||
    fail "clinician"
printf 'doc-pass\n' | "$KIOSK" --data "$NODE" --passphrase-fd 0 --user doc \
    consult key --regno MW-1234 >/dev/null || fail "signing key"
cli sync --once >/dev/null || fail "hub sync"

hub_ui() {
	start "$KIOSK" --data "$NODE" ui --idle-lock 0
	wait_for "This kiosk is locked."
	keys Up
	keys BSpace BSpace BSpace BSpace BSpace
	type_text "doc"
	keys Down
	type_text "doc-pass"
	keys Enter
	wait_for "Unlocked. Welcome, doc."
	keys F5
	wait_for "Amina Okafor"
}
hub_ui
expect_screen licence-may-consult "Your licence lets you consult here."
keys Escape
wait_for "Consults:"
quit_kiosk

# the regulator's revocation, effective before today, reaches the hub
"$SERVER" --data "$T/srv" admin licence revoke MW-1234 --at 2021-01-01 \
    >/dev/null || fail "revoke"
cli sync --once >/dev/null || fail "hub sync 2"
hub_ui
expect_screen licence-revoked "licence is revoked"
keys Enter
wait_for "Choose another clinician"
keys Escape
wait_for "Consults:"
quit_kiosk
cli consult list queue | grep -q "requested" ||
    fail "the consult left the queue: $(cli consult list queue)"
