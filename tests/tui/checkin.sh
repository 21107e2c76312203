#!/bin/sh
# Patient self check-in: after a staff unlock, patients check themselves
# in and can reach nothing else.  Other patients' records (two Baraka
# Otienos born in 1975, of Siaya and Bondo) must never appear on any
# screen, even when someone types their names; a namesake is told apart
# by phone; a half-finished check-in goes back to the start when idle.
. tests/tui/lib.inc

make_node
cli patient add --given Baraka --family Otieno --birth-date 1975-03-02 \
    --phone 0711000001 --village Siaya --national-id NID-555 >/dev/null ||
    fail "patient add"
# a namesake born the same year: only the phone tells them apart
cli patient add --given Baraka --family Otieno --birth-date 1975-11-20 \
    --phone 0733000009 --village Bondo >/dev/null || fail "patient add"
start OUTPOST_CHECKIN_IDLE_S=6 "$KIOSK" --data "$NODE" ui --checkin --idle-lock 0

# every screen seen is checked for the other patient's data
seen() {
	screen >>"$T/all-screens"
}
never_shown() {
	seen
	# (not his names: whoever stands there typed them)
	for w in Siaya 0711000001 NID-555 1975-03-02 Bondo 0733000009 \
	    1975-11-20; do
		grep -q -- "$w" "$T/all-screens" &&
		    fail "another patient's data ($w) was shown"
	done
	return 0
}

wait_for "Staff: unlock to start patient self check-in."
unlock
expect_screen checkin-start "Please check yourself in."

# the CHW's keys do nothing here
keys F3 F4 F5 F10 Escape
sleep 0.2
wait_for "Please check yourself in."
wait_gone "Find a patient"

# a new patient: Neema Wanjiru, 1990
type_text "Neema"; keys Tab
type_text "Wanjiru"; keys Tab
type_text "1990"; keys Enter
expect_screen checkin-new "You are new here."
type_text "0722000002"; keys Tab
type_text "Kisumu"; keys Tab
type_text "f"; keys Enter
wait_for "Why have you come today?"
type_text "cough for two weeks"; keys Enter
expect_screen checkin-consent "Do you agree?"
type_text "y"
expect_screen checkin-done "You are checked in."
never_shown
keys Enter
wait_for "Please check yourself in."

# someone types the other patient's names with a wrong year: treated as a
# new person, nothing of the record shown
type_text "Baraka"; keys Tab
type_text "Otieno"; keys Tab
type_text "1976"; keys Enter
wait_for "You are new here."
never_shown
keys Escape
wait_for "Please check yourself in."

# the patient himself, exact names and year: two records match, so the
# phone decides; only his typed name is used
type_text "baraka"; keys Tab
type_text "otieno"; keys Tab
type_text "1975"; keys Enter
wait_for "type your phone number"
never_shown
type_text "0711 000 001"
keys Enter
wait_for "Welcome, baraka."
never_shown

# idle: back to an empty start
WAIT_S=15 wait_for "Welcome. Start again here."
expect_screen checkin-idle "Please check yourself in."
never_shown

# staff take the kiosk back with F12 and their passphrase
keys F12
wait_for "This kiosk is locked."
quit_checkin_kiosk

# the check-in is a visit waiting for the CHW on the ordinary kiosk
cli patient find "Neema Wanjiru" | grep -q Wanjiru || fail "Neema not registered"
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Today's patients"
wait_for "Neema"
screen | grep -q "Neema .*Wanjiru .*Kisumu .*checked in, waiting" ||
    fail "the check-in is not on the home screen"
screen | grep -q "Baraka" && fail "an unfinished check-in made a visit"
# the CHW carries on with the visit the patient opened, reason and all
keys Enter
wait_for "Patient: Neema Wanjiru"
wait_for "self check-in: cough for two weeks"
keys Escape
wait_for "Today's patients"
quit_kiosk
