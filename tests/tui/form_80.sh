#!/bin/sh
# Forms at 80 columns (issue 10, item 11): the adult consultation's
# Symptoms shows its tenth choice, Other, and it can be ticked; a choice
# list too long for the rows below scrolls with the marker in view; a
# group's end takes no row (it showed as an empty, unlabelled field); a
# note wraps instead of being cut, and the cursor stops on it, so a note
# after the last question is seen whole.
. tests/tui/lib.inc

make_node
cli patient add --given Musa --family Traore --sex male \
    --birth-date "$(date -d '40 years ago' +%Y-%m-%d)" >/dev/null ||
    fail "patient add"

open_visit() { # Musa's visit, with the kiosk started by ARGS
	start "$@"
	unlock
	wait_for "Unlocked. Welcome, admin."
	keys F3
	type_text "Musa"
	wait_for "> Musa"
	keys Enter
	start_visit
	wait_for "Patient: Musa Traore"
}

open_visit "$KIOSK" --data "$NODE" ui --idle-lock 0
choose_form "Adult consultation"
wait_for "Symptoms"
keys Down Down
wait_for " >  Symptoms"
wait_for "10[ ] Other"
keys Right Right Right Right Right Right Right Right Right
wait_for ">10[ ] Other"
keys F7
wait_for ">10[x] Other"
# ticking Other brings its question
expect_screen form80-symptoms "Other symptoms"
keys Escape
wait_for "Patient: Musa Traore"
keys Escape
wait_for "Today's patients"
quit_kiosk

open_visit env OUTPOST_FORMS="$(pwd)/tests/tui/forms_long" "$KIOSK" \
    --data "$NODE" ui --idle-lock 0
choose_form "Long lists (test)"
wait_for ">  Village"
screen | grep -q ">>" || fail "no sign that more villages follow"
n=0
while [ $n -lt 23 ]; do
	keys Right
	n=$((n + 1))
done
wait_for ">24(*) Lake shore"
wait_for "[Lake shore (any village by the wat]"
screen | grep -q "^  << " || fail "no sign that villages come before"
expect_screen form80-long-choices "Lake shore"
# no empty row: every list row has a label or is blank
screen | sed -n '5,15p' | grep -q '^ *\[' && fail "an unlabelled row"
keys Down Down
wait_for " >  Anything else"
# the note after the last question: the cursor stops on it and the whole
# text is shown below the list
keys Down
wait_for " > Before you refer"
expect_screen form80-note "THE END OF THE NOTE."
keys Escape
wait_for "Patient: Musa Traore"
keys Escape
wait_for "Today's patients"
quit_kiosk
