#!/bin/sh
# The kiosk locks itself when nobody touches it (here after 4 s; the
# default is 5 minutes): the half-typed patient disappears, the screen is
# cleared, and unlocking again starts a fresh session.
. tests/tui/lib.inc

make_node
start "$KIOSK" --data "$NODE" ui --idle-lock 4

unlock
wait_for "Unlocked. Welcome, admin."
keys F4
wait_for "New patient."
type_text "Zawadi"
wait_for "Zawadi"
WAIT_S=15 expect_screen idle-locked "Locked after 4 s without a key."
screen | grep -q "Zawadi" && fail "patient data still on screen after lock"

# a wrong passphrase is refused with words, not a code
type_text "wrong"
keys Enter
wait_for "Not unlocked:"
screen | grep -q "Not unlocked: .*[a-z]" || fail "no reason given"

unlock
expect_screen idle-unlocked-again "None yet."
quit_kiosk
