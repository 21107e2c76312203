#!/bin/sh
# Typing vital signs (issue 10, item 3): a letter is refused as it is
# typed, with the range; an impossible value (systolic 3000) is refused
# with the range; a possible but unusual one (respiration 0, systolic
# 300) is stored and scored only after Enter confirms it.
. tests/tui/lib.inc

make_node
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F4
wait_for "New patient."
type_text "Baraka"; keys Tab
type_text "Entry"; keys Tab
type_text "m"
keys F2
wait_for "Registered Baraka Entry."

# a letter while typing: refused at once, the digit before it kept
type_text "1x"
wait_for "Respiration: type digits only, from 0 to 80 /min."
wait_for "> Respiration      [1 "
keys BSpace
# respiration 0: asked again, not scored yet
type_text "0"; keys Enter
expect_screen vitals-unusual "is unusual: Enter again"
keys Enter
wait_for "Respiration saved."
# confirmed, it scores: 3 points, the red flag opens
wait_for "Press F9 to acknowledge"
keys F9
wait_for "3 pts"

# systolic 3000: impossible, refused with the range, text kept
keys Down Down
wait_for "> BP systolic"
type_text "3000"; keys Enter
expect_screen vitals-impossible "not saved, it must be from 40 to 300 mmHg"
wait_for "> BP systolic      [3000"
keys BSpace
wait_for "> BP systolic      [300 "
keys Enter
wait_for "BP systolic 300 mmHg is unusual"
# moving away does not lose it nor store it
keys Down
wait_for "> BP systolic      [300 "
keys Enter
wait_for "BP systolic saved."
wait_for "> BP diastolic"

# a decimal comma in the temperature, one separator only
keys Down Down Down
wait_for "> Temperature"
type_text "36,8,"
wait_for "Temperature: type digits only, from 25 to 45"
keys Enter
wait_for "Temperature saved."
wait_for "36.8"
keys Escape
wait_for "Today's patients"
quit_kiosk
