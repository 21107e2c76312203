#!/bin/sh
# Children of 5 to 15 (issue 10, item 4): NEWS2 does not apply and there
# is no score here, so the visit says so and names the WHO ETAT emergency
# signs to look for instead; the IMCI danger signs (F6) are for under 5s
# and cannot be ticked for an older child or an adult.  Birth dates are
# relative to today, so the screens never age.
. tests/tui/lib.inc

make_node
cli patient add --given Imani --family Kariuki --sex female \
    --birth-date "$(date -d '10 years ago' +%Y-%m-%d)" --village Ahero \
    >/dev/null || fail "patient add"
cli patient add --given Musa --family Traore --sex male \
    --birth-date "$(date -d '40 years ago' +%Y-%m-%d)" --village Awasi \
    >/dev/null || fail "patient add"
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."

keys F3
type_text "Imani"
wait_for "> Imani"
keys Enter
start_visit
wait_for "Patient: Imani Kariuki"
type_text "24"; keys Enter
expect_screen child-no-score "NEWS2 does not apply under 16 (age 10)"
wait_for "blocked or no breathing"
wait_for "convulsions, severe dehydration."
keys F6
wait_for "Danger signs (F6) are for children under 5; this patient is 10: look for"
wait_for " emergency signs listed here."
screen | grep -q "WHO IMCI" && fail "F6 opened for a 10-year-old"
keys Escape
wait_for "Today's patients"

# an adult: scored with NEWS2, and F6 refused too
keys F3
type_text "Musa Traore"
wait_for "> Musa"
keys Enter
start_visit
wait_for "Patient: Musa Traore"
type_text "24"; keys Enter
wait_for "NEWS2 at least 2"
keys F6
wait_for "Danger signs (F6) are for children under 5; this patient is 40: NEWS2"
wait_for "vital signs, F11 for an emergency."
keys Escape
wait_for "Today's patients"
quit_kiosk
