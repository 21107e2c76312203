#!/bin/sh
# The wait after wrong passphrases (issue 10, item 6): each wrong try
# doubles the wait before the next one is checked (1 s, 2 s, 4 s...).  The
# screen counts it down as it runs instead of freezing, Esc stops it, and
# the reason of a refusal is shown whole (two rows), never cut.
. tests/tui/lib.inc

make_node
start "$KIOSK" --data "$NODE" ui --idle-lock 0
wait_for "This kiosk is locked."
wrong() {
	type_text "wrong-$1"
	keys Enter
}
wrong 1
wait_for "(1 of 10 tries used; each"
expect_screen unlock-refused "further try waits longer)"
# the second try waits 1 s, the third 2 s from the failure before it:
# counted down (what is left when Enter is pressed, under load less)
wrong 2
wait_for "(2 of 10 tries used"
wrong 3
wait_for "checking this one in 1 s"
wait_for "(3 of 10 tries used"
# the fourth waits 4 s: the seconds show as they run, and keys typed
# meanwhile neither freeze it nor reach the field
wrong 4
wait_for "checking this one in 3 s"
keys x y z
expect_screen unlock-waiting "checking this one in 2 s"
wait_for "checking this one in 1 s"
# Esc stops the wait; the try is not counted
keys Escape
wait_gone "checking this one in"
wait_for "Enter: unlock"
# the right passphrase, once the wait has run, unlocks
type_text "pass-word"
keys Enter
wait_for "checking this one in"
WAIT_S=15 wait_for "Unlocked. Welcome, admin."
quit_kiosk
