#!/bin/sh
# Issue 10, item 8: staff hand an unlocked kiosk over to patients from
# Home (F7) and take it back with their unlock (F12, passphrase), back on
# Home; the first check-in screen offers a language on keys 1-3, and the
# staff's language comes back with the kiosk; a half-typed check-in
# clears after its own idle time (OUTPOST_CHECKIN_IDLE_S, 60 s unless
# set), not the staff idle lock.
. tests/tui/lib.inc

make_node
start OUTPOST_CHECKIN_IDLE_S=5 "$KIOSK" --data "$NODE" ui --idle-lock 3
unlock
wait_for "F7 patients check themselves in"
keys F7
expect_screen checkin-handover "Please check yourself in."
wait_for "> 1 English"
# the CHW's keys do nothing here
keys F3 F4 F6
sleep 0.2
wait_for "Please check yourself in."
# a language: 2
type_text "2"
wait_for "> 2 Fran"
screen | grep -q "> 1 English" && fail "English still chosen"
screen | grep -q "Given name.*\[2" && fail "the digit went into the name"
# a digit once something is typed is text, not a language
type_text "Neema"
keys Tab
type_text "3"
wait_for "> 2 Fran"

# idle: the staff lock (3 s) does not apply; the check-in clears at 5 s
sleep 3.5
screen | grep -q "This kiosk is locked." && fail "the staff idle lock hit check-in"
screen | grep -q "Neema" || fail "cleared before its idle time"
WAIT_S=6 wait_for "Welcome. Start again here."
wait_gone "Neema"
# the next person starts in the staff's language
wait_for "> 1 English"

# take it back: F12 and the staff passphrase, then Home
type_text "2"
wait_for "> 2 Fran"
keys F12
wait_for "Staff: unlock to take the kiosk back."
type_text "pass-word"
keys Enter
wait_for "Today's patients"
# handed over again: the staff language (English) is in force
keys F7
wait_for "> 1 English"
keys F12
wait_for "Staff: unlock to take the kiosk back."
type_text "pass-word"
keys Enter
wait_for "Today's patients"
# back home the staff idle lock works again
WAIT_S=6 wait_for "Locked after 3 s without a key."
quit_kiosk
