#!/bin/sh
# Consults on the screens (issue 13), 80x24, with a real sync-server on
# loopback: the CHW asks a clinician from the visit (F7) and sees the
# place in the queue; the clinician on a hub kiosk sees the queue (F5 on
# home), accepts, reads the patient (vital signs with their trend, red
# flags, visits), writes and signs the SOAP note and a prescription (F6,
# issue 14); the CHW's home then says a new answer and a new order came,
# F5 shows the answer, F6 its prescription, both signatures verified.
. tests/tui/lib.inc

start_server

# waiting minutes change while the test runs: not part of the screens
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/; s/ [0-9]+ min/ N min/g'
}

make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility clinic-1) || fail "token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the clinic"
CLINIC=$NODE
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
NODE=$CLINIC
cli patient add --given Amina --family Okafor --sex female \
    --birth-date 1990-05-01 --village Kisumu >/dev/null || fail "patient"

# the CHW: a visit with a fast breathing rate, then F7
start "$KIOSK" --data "$NODE" ui --idle-lock 0
SOCK_C=$SOCK
unlock
wait_for "Unlocked. Welcome, admin."
keys F3
type_text "Amina"
wait_for "> Amina"
keys Enter
start_visit
wait_for "Patient: Amina Okafor"
type_text "22"; keys Enter
wait_for "Respiration saved."
keys F7
type_text "cough three weeks"
expect_screen consult-request "Why"
keys Right
keys F2
wait_for "A clinician is asked."
# the sync thread sends it and brings the queue back; the screen follows
WAIT_S=60 wait_for "Place in the queue: 1 of 1"
expect_screen consult-request-queued "Place in the queue: 1 of 1"

# the clinician on the hub (in India: its formulary, issue 14)
NODE=$T/hub
cli country IN >/dev/null || fail "hub country"
start env OUTPOST_FORMULARY_DIR="$(pwd)/clinical/formulary" "$KIOSK" \
    --data "$NODE" ui --idle-lock 0
SOCK_H=$SOCK
wait_for "This kiosk is locked."
keys Up
keys BSpace BSpace BSpace BSpace BSpace
type_text "doc"
keys Down
type_text "doc-pass"
keys Enter
wait_for "Unlocked. Welcome, doc."
wait_for "Consults:"
keys F5
WAIT_S=60 wait_for "Amina Okafor"
WAIT_S=60 wait_for "Region: 1 waiting"
expect_screen consult-hub-queue "Amina Okafor"
keys Enter
expect_screen consult-patient "Resp. rate"
# F7 calls the clinic; this hub has no call account (the server has no
# SIP): it says so and stays (the call itself: tests/kiosk/tui/test_consult_call.c)
keys F7
wait_for "Calls are not set up on this hub."
keys F2
wait_for "S subjective"
type_text "cough, night sweats"; keys Tab
type_text "RR 22"; keys Tab
type_text "suspected TB"; keys Tab
type_text "sputum test; refer"; keys Tab
type_text "keep her warm"
# saved, then a prescription (issue 14): paracetamol 500 mg three times
# a day; signing the note then sends both in one sync
keys F2
wait_for "Note saved"
keys F6
wait_for "Medicine"
keys Tab
type_text "500"
keys Tab BSpace
type_text "3"
keys F8
wait_for "Prescription signed."
keys Escape
wait_for "S subjective"
keys F8
expect_screen consult-note "Note signed."
keys Escape
keys Escape
keys Escape
wait_for "Consults:"

# back to the CHW: the answer is new on the home screen
SOCK=$SOCK_C
keys Escape
keys Escape
i=0
while ! screen | grep -q "NEW: 1 answer(s), 1 prescription" &&
    [ $i -lt 60 ]; do
	keys Escape
	sleep 0.5
	i=$((i + 1))
done
wait_for "NEW: 1 answer"
keys F5
wait_for "Amina Okafor"
keys Enter
expect_screen consult-answer "signature verified"
# the prescription, for the patient: verified, read once
keys F6
expect_screen consult-answer-rx "signature verified"
keys Escape
keys Escape
keys Escape
quit_kiosk
SOCK=$SOCK_H
quit_kiosk
exit 0
