#!/bin/sh
# Registering someone who is probably already registered (a name typed
# with a typo, the same birth year) shows the existing record first:
# Enter opens it and nothing new is created; F2 again saves anyway and
# leaves the pair for staff on the duplicates screen.
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

# a field the store refuses: the message names it and the cursor goes
# there, with what was typed kept (issue 10, item 13)
keys F4
wait_for "New patient."
type_text "Zuberi"; keys Tab
type_text "Kombo"; keys Tab
type_text "m"; keys Tab
type_text "2090"; keys Tab
type_text "0711"
keys F2
wait_for "Birth date/year: birth date must be YYYY-MM-DD or YYYY"
wait_for "> Birth date/year  [2090"
keys BSpace BSpace BSpace BSpace
type_text "1990"
keys F2
expect_screen register-bad-phone "Phone: phone must have 6 to 15 digits"
wait_for "> Phone            [0711"
keys Escape
wait_for "Today's patients"

# F2 again registers anyway, and leaves the pair for staff (issue 10,
# item 8): Home counts it, F6 lists it
keys F4
wait_for "New patient."
type_text "Amna"; keys Tab
type_text "Okafor"; keys Tab
type_text "f"; keys Tab
type_text "1980"
keys F2
wait_for "Probably already registered"
keys F2
wait_for "Registered Amna Okafor."
keys Escape
wait_for "F6 probable duplicates: 1"
keys F6
wait_for "registration: saved anyway"
wait_for "keep  Amina"
wait_for "merge Amna"
keys Escape
wait_for "Today's patients"
quit_kiosk
n=$(cli patient find "Okafor" | grep -c "Okafor")
[ "$n" -eq 2 ] || fail "expected Amina and Amna Okafor, found $n"
