#!/bin/sh
# User switching: F12 locks, and the next person unlocks as themselves
# (the title then names them).  The kiosk also works in a larger
# terminal, and says so in words when the window is too small.
. tests/tui/lib.inc

make_node
printf 'pass-word\nchw-pass\nchw-pass\n' | "$KIOSK" --data "$NODE" \
    --passphrase-fd 0 user add chw1 --role chw --kdf-ms 5 >/dev/null 2>&1 ||
    fail "user add"
start "$KIOSK" --data "$NODE" ui --idle-lock 0

unlock
wait_for "Unlocked. Welcome, admin."
keys F12
wait_for "This kiosk is locked."
# the user field is above the passphrase: go up, replace the name
keys Up
keys BSpace BSpace BSpace BSpace BSpace
type_text "chw1"
keys Down
type_text "chw-pass"
keys Enter
wait_for "Unlocked. Welcome, chw1."
screen | head -n 1 | grep -q "chw1 | " || fail "the title does not name chw1"

# larger, then too small, then back
tmux -S "$SOCK" resize-window -t k -x 100 -y 30
wait_for "Today's patients"
screen | tail -n 1 | grep -q "F1 help" || fail "no key bar at 100x30"
tmux -S "$SOCK" resize-window -t k -x 70 -y 20
wait_for "Make the window at least 80x24 (now 70x20)."
tmux -S "$SOCK" resize-window -t k -x 80 -y 24
expect_screen switch-chw1-home "Today's patients"
# after a lock the name of whoever was working stays (issue 10, item 13)
keys F12
wait_for "This kiosk is locked."
wait_for "User             [chw1 "
quit_kiosk
