#!/bin/sh
# A patient at a self check-in kiosk cannot end the program (issue 10,
# item 5): F12 locks it, but F10 on the locked screen only asks for the
# staff passphrase, a wrong one quits nothing, and even after the right
# one the kiosk asks before it quits.  On the ordinary kiosk F10 asks too.
. tests/tui/lib.inc

still_running() {
	sleep 0.3
	screen | grep -q "KIOSK-EXITED" && fail "the kiosk quit"
	return 0
}

make_node
start "$KIOSK" --data "$NODE" ui --checkin --idle-lock 0
wait_for "Staff: unlock to start patient self check-in."
unlock
wait_for "Please check yourself in."

# what a patient tries: F12 (staff: leave), then F10, Enter, Y
keys F12
wait_for "This kiosk is locked."
keys F10
expect_screen checkin-quit-staff "Staff: type the passphrase to quit"
keys Enter y Y Enter
still_running
# a wrong passphrase quits nothing
type_text "guess"
keys Enter
wait_for "Not unlocked"
still_running
# Esc: no more quitting; the right passphrase goes back to check-in
keys Escape
wait_gone "Enter: unlock and quit"
type_text "pass-word"
keys Enter
wait_for "Please check yourself in."
still_running
# staff quit: passphrase, then N stays, then Y quits
keys F12
wait_for "This kiosk is locked."
keys F10
wait_for "Staff: type the passphrase to quit the kiosk."
type_text "pass-word"
keys Enter
wait_for "Quit the kiosk? Y quits, any other key stays."
keys n
wait_gone "Quit the kiosk?"
wait_for "Please check yourself in."
still_running
keys F12
wait_for "This kiosk is locked."
quit_checkin_kiosk

# the ordinary kiosk asks too: any key but Y stays
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F10
wait_for "Quit the kiosk? Y quits"
keys Escape
wait_gone "Quit the kiosk?"
still_running
quit_kiosk
