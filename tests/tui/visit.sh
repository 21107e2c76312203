#!/bin/sh
# A CHW's visit, end to end in the real kiosk (80x24 tmux): unlock,
# register a patient, type vital signs, see the red flag for a dangerous
# value and acknowledge it, go home and find the patient again with a
# typo in the name.  Screens are compared with tests/tui/expected/.
. tests/tui/lib.inc

make_node
start "$KIOSK" --data "$NODE" ui --idle-lock 0

unlock
expect_screen visit-home "Unlocked. Welcome, admin."
# every screen lists its keys on F1; any key closes the list
keys F1
expect_screen visit-help "Keys on this screen (Home)"
keys Space
wait_gone "Keys on this screen"

# register: names, sex, no birth date (the screen would age each year)
keys F4
wait_for "New patient."
type_text "Amina"; keys Tab
type_text "Okafor"; keys Tab
type_text "f"; keys Tab; keys Tab
type_text "0700111222"; keys Tab
type_text "Kisumu"
keys F2
wait_for "Registered Amina Okafor."

# vitals, typed: RR 18, SpO2 97, air, SBP 120, DIA 80, pulse 72, Alert,
# temperature 37.1: NEWS2 0
type_text "18"; keys Enter
type_text "97"; keys Enter
type_text "a"; keys Enter
type_text "120"; keys Enter
type_text "80"; keys Enter
type_text "72"; keys Enter
type_text "a"; keys Enter
type_text "37.1"; keys Enter
expect_screen visit-vitals-normal "Temperature saved."
# F1 here is this screen's help, not Home's (issue 10, item 13)
keys F1
expect_screen visit-vitals-help "Keys on this screen (Visit"
keys Space
wait_gone "Keys on this screen"

# a dangerous value: respiration 26 scores 3 -> red flag at once
keys Up Up Up Up Up Up Up Up
wait_for "> Respiration"
type_text "26"; keys Enter
expect_screen visit-red-flag "Press F9 to acknowledge"
keys F9
expect_screen visit-acknowledged "Red flag acknowledged."

# home lists the patient and the visit's state; find them again by a
# misspelt name
keys Escape
expect_screen visit-home-today "in visit"
keys F3
wait_for "Name, phone, village"
type_text "Amna Okafr"
expect_screen visit-find "> Amina"
keys Enter
start_visit
wait_for "Patient: Amina Okafor"
wait_for "26"
expect_screen visit-reopened "Visit: open"

# the emergency key, whatever the scores: recorded, then acknowledged
keys F11
expect_screen visit-emergency "!! EMERGENCY !!"
keys Escape
wait_for "!! EMERGENCY recorded"
keys F9
wait_for "Red flag acknowledged."
wait_gone "EMERGENCY recorded"

# leave, and check what the store holds with the command line
keys Escape
wait_for "Today's patients"
quit_kiosk
cli patient find "Amina Okafor" >"$T/find.out" 2>&1 || fail "patient find"
grep -q "Okafor" "$T/find.out" || fail "patient not stored: $(cat "$T/find.out")"
cli db check >"$T/check.out" 2>&1 || fail "db check: $(cat "$T/check.out")"
