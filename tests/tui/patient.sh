#!/bin/sh
# The patient before the visit (issue 10, item 12): opening a found
# patient shows who they are, their visits, the last vital signs with
# their time, open referrals and unfinished forms, and starts nothing;
# Enter starts the visit.  A visit that recorded nothing can be cancelled
# (F4) and leaves no record; one with values cannot.
. tests/tui/lib.inc

make_node
# no birth date for the one whose screen is compared: an age would change
cli patient add --given Juma --family Mwangi --sex male \
    --village Ahero --phone +254711000002 >/dev/null || fail "patient add"
born=$(date -d '30 years ago' +%Y-%m-%d)
cli patient add --given Baraka --family Otieno --sex male \
    --birth-date "$born" >/dev/null || fail "patient add"

find_patient() {
	keys F3
	wait_for "Name, phone, village"
	type_text "$1"
	wait_for "> $1"
	keys Enter
	wait_for "Enter start the visit"
}

start env OUTPOST_FORMS="$(pwd)/tests/tui/forms" "$KIOSK" --data "$NODE" \
    ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."

# a visit with a value and a form left as a draft
find_patient Juma
wait_for "Visits: none recorded yet."
keys Enter
wait_for "Patient: Juma Mwangi"
type_text "24"; keys Enter
wait_for "NEWS2"
keys F5
wait_for "> Clinic visit (test)"
keys Enter
wait_for "Clinic visit (test)  -  Juma Mwangi"
type_text "headache"; keys Enter
keys Escape
wait_for "Patient: Juma Mwangi"
keys F8
wait_for "End this visit?"
keys y
wait_for "Visit ended."

# the summary: one visit, its respiration with the time, the draft
find_patient Juma
expect_screen patient-summary "Visits: 1, the last 1:"
wait_for "Resp 24/min"
wait_for "Referrals: none open."
wait_for "* Forms not finished: tui_clinic_visit"
wait_for "Phone: +254711000002"
# going back starts nothing
keys Escape
wait_for "Today's patients"
find_patient Juma
wait_for "Visits: 1, the last 1:"
keys Escape
wait_for "Today's patients"

# a visit that records nothing is cancelled and leaves no record
find_patient Baraka
wait_for "male, 30 years (born $born)"
wait_for "Visits: none recorded yet."
wait_for "Last vital signs: none recorded."
wait_for "Forms not finished: none."
keys Enter
wait_for "Patient: Baraka Otieno"
keys F4
wait_for "Visit cancelled: nothing was recorded, so nothing is kept."
wait_for "Today's patients"
find_patient Baraka
wait_for "Visits: none recorded yet."
keys Enter
wait_for "Patient: Baraka Otieno"
# with a value it cannot be cancelled
type_text "18"; keys Enter
wait_for "NEWS2"
keys F4
wait_for "This visit has recorded values, so it cannot be cancelled: F8 ends it."
wait_for "Patient: Baraka Otieno"
keys F8
wait_for "End this visit?"
keys y
wait_for "Visit ended."
find_patient Baraka
wait_for "Visits: 1, the last 1:"
keys Escape
wait_for "Today's patients"
quit_kiosk
