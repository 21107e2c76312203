#!/bin/sh
# Prescriptions on the screens (issue 14), 80x24, one hub kiosk: the
# patient's allergies documented on the patient screen (F6); the
# clinician accepts a consult, opens the note (F2), then its
# prescriptions (F6): chooses the medicine (Left/Right), types the dose;
# F2 shows the checks (a dose over the maximum is blocked, in words),
# a soft block asks for the override reason, F8 signs; the signed order
# is listed with its registration number and a verified signature.
. tests/tui/lib.inc

# the age on the patient screen grows every year: not part of the screens
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/; s/[0-9]+ years \(born/NN years (born/'
}

FDIR=$(pwd)/clinical/formulary
make_node
cli country IN >/dev/null || fail "country"
printf 'pass-word\ndoc-pass\ndoc-pass\n' | "$KIOSK" --data "$NODE" \
    --passphrase-fd 0 user add doc --role clinician --kdf-ms 5 >/dev/null 2>&1 ||
    fail "clinician"
printf 'doc-pass\n' | "$KIOSK" --data "$NODE" --passphrase-fd 0 --user doc \
    consult key --regno MCI-4321 >/dev/null || fail "signing key"
p=$(cli patient add --given Meera --family Iyer --sex female \
    --birth-date 1988-02-11 --village Hosur) || fail "patient"
cli consult request --patient "$p" --reason "fever" --mode video \
    >/dev/null || fail "request"

start env OUTPOST_FORMULARY_DIR="$FDIR" "$KIOSK" --data "$NODE" ui \
    --idle-lock 0
wait_for "This kiosk is locked."
keys Up
keys BSpace BSpace BSpace BSpace BSpace
type_text "doc"
keys Down
type_text "doc-pass"
keys Enter
wait_for "Unlocked. Welcome, doc."
# the patient screen: F6 documents allergies (synced, used by the checks)
keys F3
type_text "Meera"
wait_for "> Meera"
keys Enter
wait_for "none documented (F6)"
keys F6
type_text "sulfa, latex"
keys Enter
expect_screen rx-allergies "Allergies saved"
keys Escape
keys Escape
wait_for "Consults:"
keys F5
wait_for "Meera Iyer"
keys Enter
wait_for "F2"
keys F2
wait_for "S subjective"
keys F6
wait_for "Medicine"
# paracetamol 500 mg first: 5,000 mg a dose is blocked
type_text ""
keys Tab
type_text "5000"
keys Tab BSpace
type_text "3"
keys F2
expect_screen rx-blocked "above the maximum"
# 1,000 mg three times a day passes; F8 signs
keys BTab
keys BSpace BSpace BSpace BSpace
type_text "1000"
keys F2
wait_for "The checks pass"
keys F8
expect_screen rx-signed "Prescription signed."
wait_for "signature verified"
# ibuprofen 600 mg is above the usual dose: a reason is asked for
keys BTab
wait_for "> Medicine"
keys Right Right
wait_for "ibuprofen 400 mg"
keys Tab
type_text "600"
keys F8
wait_for "give a reason to override"
keys Tab Tab Tab
type_text "severe pain, short course"
keys F8
wait_for "Prescription signed."
[ "$(cli rx list | grep -c ' order active ')" -eq 2 ] ||
    fail "two orders: $(cli rx list)"
cli rx list | grep -q ' IBU400 600 ' || fail "ibuprofen order"
[ "$(cli rx allergies "$p")" = "sulfa, latex" ] ||
    fail "allergies: $(cli rx allergies "$p")"
keys Escape
keys Escape
keys Escape
keys Escape
wait_for "Consults:"
quit_kiosk
exit 0
