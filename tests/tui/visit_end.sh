#!/bin/sh
# Ending a visit and who is asked what (issue 10, item 12): F8 asks before
# it ends the visit (any key but Y goes on); "Pregnant" is not asked of a
# man nor of a child under 10, and is of a woman.
. tests/tui/lib.inc

make_node
cli patient add --given Kamau --family Njoroge --sex male \
    --birth-date 1970 --village Awasi >/dev/null || fail "patient add"
cli patient add --given Neema --family Achieng --sex female \
    --birth-date "$(date -d '1 year ago' +%Y-%m-%d)" >/dev/null ||
    fail "patient add"
cli patient add --given Rehema --family Achieng --sex female \
    --birth-date 1995 >/dev/null || fail "patient add"
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."

open_patient() {
	keys F3
	type_text "$1"
	wait_for "> $1"
	keys Enter
	start_visit
	wait_for "Patient: $1"
}

open_patient Kamau
type_text "16"; keys Enter
wait_for "Respiration saved."
expect_screen visit-end-asked-before "Respiration saved."
screen | grep -q "Pregnant" && fail "Pregnant asked of a man"
keys F8
wait_for "End this visit? Y ends it, any other key goes on."
keys n
wait_gone "End this visit?"
wait_for "Patient: Kamau Njoroge"
keys F8
wait_for "End this visit?"
keys y
wait_for "Visit ended."
wait_for "Today's patients"

open_patient Neema
screen | grep -q "Pregnant" && fail "Pregnant asked of a one-year-old"
keys Escape
wait_for "Today's patients"
open_patient Rehema
wait_for "Pregnant"
keys Escape
wait_for "Today's patients"
quit_kiosk
