#!/bin/sh
# Red flags never drop off Home (issue 10, items 1 and 2): a red flag
# nobody acknowledged stays at the top of Home however many patients come
# after it, the list scrolls, and opening the flag shows its recorded
# cause (when, the score, what scored 3) even when the score now is low.
# The alert does not open again when the band rises within one response
# level (a 3 in one parameter, then 5-6), and does at the next level (7+).
# Red flags raised on earlier days (seeded) are listed too.
. tests/tui/lib.inc

make_node
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."

# register a patient from Home and type their vital signs
register() {
	keys F4
	wait_for "New patient."
	type_text "$1"; keys Tab
	type_text "$2"; keys Tab
	type_text "$3"
	keys F2
	wait_for "Registered $1 $2."
}

register Juma Redflag m
# respiration 26 scores 3: red flag (urgent level), the alert opens
type_text "26"; keys Enter
wait_for "Press F9 to acknowledge"
keys Escape
wait_for "RED FLAG recorded"
wait_for "scored 3: Respiration rate"
# SpO2 93 (2 points): NEWS2 5, medium, the same response level: the
# alert stays shut and the next value can be typed at once
type_text "93"; keys Enter
wait_for "SpO2 saved."
wait_for "> Oxygen given"
type_text "a"
wait_for "NEWS2 at least 5"
keys Enter
wait_for "> BP systolic"
# systolic 90 scores 3: NEWS2 8, high, emergency level: it opens again
type_text "90"; keys Enter
wait_for "emergency response"
keys Escape
wait_for "scored 3: Respiration rate, Systolic BP"
keys Escape
# two red flags recorded: the urgent one and the emergency one
wait_for "2 red flags waiting"

# eleven more patients, each with a vital sign typed
for n in Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliet Kilo; do
	register "$n" "${n}son" f
	type_text "18"; keys Enter
	wait_for "Respiration saved."
	keys Escape
	wait_for "today's patients"
done
expect_screen redflag-home-many "Rows 1-10 of 14"
# scroll to the bottom: the first patient of the day comes into view,
# the red flag row scrolls away and comes back
keys Down Down Down Down Down Down Down Down Down Down Down Down Down
expect_screen redflag-home-scrolled "Rows 5-14 of 14"
keys Up Up Up Up Up Up Up Up Up Up Up Up Up
wait_for "Rows 1-10 of 14"
wait_for "> !! Juma"
# open the red flag: its recorded cause, and the score now
keys Enter
expect_screen redflag-cause "RED FLAG NOT ACKNOWLEDGED"
# acknowledging the newest is acknowledging the patient's earlier one
keys F9
wait_for "Red flag acknowledged."
keys Escape
wait_for "none waiting"
quit_kiosk

# red flags of earlier days (seeded visits of the last 30 days) are on
# Home although none of their visits is today's
NODE="$T/node2"
make_node
cli seed --patients 30 --encounters 60 --seed 7 >"$T/seed.out" 2>&1 ||
    fail "seed: $(cat "$T/seed.out")"
red=$(sed -n 's/.*(\([0-9]*\) with red flags).*/\1/p' "$T/seed.out")
[ -n "$red" ] && [ "$red" -gt 0 ] || fail "the seed raised no red flag: $(cat "$T/seed.out")"
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
if [ "$red" -eq 1 ]; then
	wait_for "!! 1 red flag waiting (any day)"
else
	wait_for "!! $red red flags waiting (any day)"
fi
wait_for "$red red flag"
keys Enter
wait_for "RED FLAG NOT ACKNOWLEDGED"
wait_for "NEWS2 "
wait_for "Now: no vital signs taken in this visit yet."
keys Escape
wait_for "F9 acknowledges it."
wait_for "Cause: NEWS2"
keys Escape
wait_for "red flag"
wait_for "F3 find a patient"
quit_kiosk
