#!/bin/sh
# Registering someone who is probably already registered (a name typed
# with a typo, the same birth year) shows the existing record first:
# Enter opens it and nothing new is created.
. tests/tui/lib.inc

make_node
cli patient add --given Amina --family Okafor --sex female \
    --birth-date 1980-05-12 --village Kisumu >/dev/null || fail "patient add"
start "$KIOSK" --data "$NODE" ui --idle-lock 0

unlock
wait_for "Unlocked. Welcome, admin."
keys F4
wait_for "New patient."
type_text "Amna"; keys Tab
type_text "Okafor"; keys Tab
type_text "f"; keys Tab
type_text "1980"
keys F2
expect_screen duplicate-warning "Probably already registered"
keys Enter
wait_for "Opened the existing record."
wait_for "Patient: Amina Okafor"
keys Escape
wait_for "Today's patients"
quit_kiosk
n=$(cli patient find "Okafor" | grep -c "Okafor")
[ "$n" -eq 1 ] || fail "expected one Okafor, found $n"
