#!/bin/sh
# Keys do nothing while the window is too small (issue 10, item 7): the
# screen then only says "make the window at least 80x24", so a key typed
# blind (F4, F10 then Y, Escape, text) must not act; at 80x24 again the
# same screen is there, as it was.
. tests/tui/lib.inc

make_node
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F4
wait_for "New patient."
type_text "Amina"

tmux -S "$SOCK" resize-window -t k -x 60 -y 20
expect_screen small-window "Make the window at least 80x24 (now 60x20)."
type_text "XYZ"
keys Escape F10 y Y Enter F2
sleep 0.3
screen | grep -q "KIOSK-EXITED" && fail "a key quit the kiosk while too small"
tmux -S "$SOCK" resize-window -t k -x 80 -y 24
wait_gone "Make the window"
# still registering, with only what was typed at full size
wait_for "New patient."
screen | grep -q "XYZ" && fail "text typed while too small reached the field"
screen | grep -q "\[Amina " || fail "the field lost what was typed"
keys Escape
wait_for "Today's patients"
quit_kiosk
