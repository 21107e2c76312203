#!/bin/sh
# A child under 5: NEWS2 says it does not apply, and the WHO IMCI danger
# signs screen (F6) classifies VERY SEVERE DISEASE from a single sign,
# records the red flag and asks for acknowledgement; the IMCI form then
# starts from what that screen has.  The child's birth
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
start_visit
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
# the IMCI form starts from the danger signs screen (issue 10, item 4):
# the sign ticked is "yes", the ones looked for "no", the age in months
# from the birth date; nothing is asked twice
choose_form "Child danger signs"
expect_screen imci-form-prefilled "6 answers taken from the visit"
# it opens, and a resumed draft reopens, at the first question not yet
# answered (issue 10, item 11)
screen | grep -q "^ > \*I have told the caregiver" ||
    fail "the form does not start at the first unanswered question"
keys Escape
wait_for "Patient: Amani Otieno"
keys F5
wait_for "* draft saved"
keys Escape
choose_form "Child danger signs"
wait_for "Draft resumed: nothing was lost."
screen | grep -q "^ > \*I have told the caregiver" ||
    fail "the resumed draft does not start at the first unanswered question"
keys Escape
wait_for "Patient: Amani Otieno"
keys Escape
wait_for "Today's patients"
quit_kiosk
