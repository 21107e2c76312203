#!/bin/sh
# A child under 5: NEWS2 says it does not apply, and the WHO IMCI danger
# signs screen (F6) classifies VERY SEVERE DISEASE from a single sign,
# records the red flag and asks for acknowledgement.  The child's birth
# date is three years before today, so the screens never age.
. tests/tui/lib.inc

make_node
born=$(date -d '3 years ago' +%Y-%m-%d)
cli patient add --given Amani --family Otieno --sex female \
    --birth-date "$born" --village Siaya >/dev/null || fail "patient add"
start "$KIOSK" --data "$NODE" ui --idle-lock 0

unlock
wait_for "Unlocked. Welcome, admin."
keys F3
type_text "Amani"
wait_for "> Amani"
keys Enter
wait_for "Child under 5: F6"
type_text "44"; keys Enter
expect_screen danger-vitals "NEWS2 not applicable"
keys F6
wait_for "child of 2 months to 5 years"
type_text "2"
expect_screen danger-sign "VERY SEVERE DISEASE"
keys F9
wait_for "Red flag acknowledged."
keys Escape
wait_for "Patient: Amani Otieno"
keys Escape
wait_for "Today's patients"
quit_kiosk
