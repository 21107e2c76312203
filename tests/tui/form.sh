#!/bin/sh
# A form in the visit: answers are checked as they are typed (a broken
# constraint shows the form's own message), the language can change at
# any time, the draft is saved with every answer, and killing the kiosk (SIGKILL) mid-form loses nothing: after a
# restart the same form for the same patient resumes with every answer.
# F10 then stores the finished record.
. tests/tui/lib.inc

make_node
cli patient add --given Juma --family Mwangi --sex male >/dev/null ||
    fail "patient add"

open_form() {
	unlock
	wait_for "Unlocked. Welcome, admin."
	keys F3
	type_text "Juma"
	wait_for "> Juma"
	keys Enter
	start_visit
	wait_for "Patient: Juma Mwangi"
	keys F5
	wait_for "> Clinic visit (test)"
	keys Enter
	wait_for "Clinic visit (test)  -  Juma Mwangi"
}

start env OUTPOST_FORMS="$(pwd)/tests/tui/forms" "$KIOSK" --data "$NODE" \
    ui --idle-lock 0
open_form
# finishing an empty form names what is missing and goes there
keys Down Down
keys F10
wait_for "Not finished (1 to fix): Say why the patient came."
wait_for "> *Main complaint"
type_text "fever and cough"; keys Enter
type_text "99"; keys Enter
expect_screen form-constraint "Days must be 0 to 60."
keys BSpace BSpace
type_text "4"; keys Enter
wait_for "[4 "
type_text "1"
wait_for "[Yes"
keys Down
type_text "1"
type_text "3"
expect_screen form-answered "[Cannot drink, Convulsions"
# the other language, at any time; the draft keeps it
keys F6
expect_screen form-kiswahili "Language: Kiswahili"

# kill -9 in the middle of the form, then start again
pane=$(tmux -S "$SOCK" display-message -p -t k '#{pane_pid}')
pid=$(ps -o pid= --ppid "$pane" | tr -d ' ')
[ -n "$pid" ] || fail "no kiosk process under the pane"
kill -9 "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -0 "$pid" 2>/dev/null && fail "the kiosk survived kill -9"
tmux -S "$SOCK" kill-server
start env OUTPOST_FORMS="$(pwd)/tests/tui/forms" "$KIOSK" --data "$NODE" \
    ui --idle-lock 0
open_form
expect_screen form-resumed "Draft resumed: nothing was lost."
keys F6
wait_for "[English]"

keys F10
wait_for "finished and stored."
wait_for "Patient: Juma Mwangi"
# the forms list marks it finished in this visit (issue 10, item 11)
keys F5
wait_for "> Clinic visit (test)"
screen | grep -q "> Clinic visit (test) .*+ finished in this visit" ||
    fail "the finished form is not marked: $(screen | grep 'Clinic visit')"
keys Escape
wait_for "Patient: Juma Mwangi"
keys Escape
wait_for "Today's patients"
quit_kiosk
cli db check >"$T/check.out" 2>&1 || fail "db check: $(cat "$T/check.out")"
