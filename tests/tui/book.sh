#!/bin/sh
# Booking from the visit (issue 15), 80x24, with a real sync-server on
# loopback: an administrator gives dr-a four slots tomorrow morning
# (Africa/Nairobi, the kiosk's zone too).  From the visit, F2 opens the
# appointments: the free slots by day, online.  Another kiosk of the
# facility takes 08:00 meanwhile, so F2 on it answers "slot taken" with
# the 3 alternatives; one of them is booked at once.  F8 cancels it with a
# reason from the list; a new booking is moved (F6) to another slot, the
# old one cancelled with it on the server.  Then the server stops
# answering (SIGSTOP: a dead link that accepts and never replies): the
# screen says "no link" within a second or so and F2 saves a proposal;
# once the server answers again a sync brings "booked"; a reason typed
# ("other") cancels one more.
. tests/tui/lib.inc

start_server
export TZ=Africa/Nairobi

# day names and dates change with the day the test runs
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/g;
	        s/(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{2} [A-Z][a-z]{2}/DDD DD MMM/g;
	        s/as of [0-9]{2}:[0-9]{2}/as of HH:MM/'
}
srv_sql() { # sql on the server's encrypted store (as tests/e2e/lib.inc)
	printf 'PRAGMA key = "x'"'"'%s'"'"'";\n%s;\n' \
	    "$(cat "$CREDENTIALS_DIRECTORY/outpost-server-key")" "$1" |
	    sqlcipher "$T/srv/server.db" | tail -1
}
command -v sqlcipher >/dev/null || { echo "sqlcipher missing" >&2; exit 77; }

day=$(TZ=Africa/Nairobi date -d tomorrow +%a | tr 'A-Z' 'a-z')
"$SERVER" --data "$T/srv" admin schedule --clinician dr-a \
    --facility clinic-1 --region north --tz Africa/Nairobi \
    --hours "$day 08:00-10:00/30" --days 7 >"$T/sched.out" ||
    fail "admin schedule: $(cat "$T/sched.out")"
"$SERVER" --data "$T/srv" admin schedule --list --facility clinic-1 \
    --days 7 >"$T/slots" || fail "schedule --list"
first=$(head -1 "$T/slots")
slot1=$(printf '%s' "$first" | cut -f1)
start1=$(printf '%s' "$first" | cut -f2)
[ "$(wc -l <"$T/slots")" -eq 5 ] || fail "slots: $(cat "$T/slots")"

node_new() { # dir facility
	NODE=$1
	make_node
	t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
	    --region north --facility "$2") || fail "token $2"
	cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
	    fail "enrol $2"
}
node_new "$T/k2" clinic-1
other=$(cli patient add --given Baraka --family Mwangi) || fail "patient 2"
node_new "$T/k1" clinic-1
pat=$(cli patient add --given Amina --family Otieno --sex female \
    --village Kisumu) || fail "patient"
cli sync --once >/dev/null 2>&1 || fail "sync k1"

start env TZ=Africa/Nairobi "$KIOSK" --data "$T/k1" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F3
type_text "Amina"
wait_for "> Amina"
keys Enter
start_visit
wait_for "Patient: Amina Otieno"
keys F2
wait_for "online, as of"
expect_screen book-slots "> 08:00-08:30"
# whose slot: dr-a is no user of this kiosk, so the server's id is shown
screen | grep -q "> 08:00-08:30  dr-a" || fail "the slot's clinician"
keys F1
expect_screen book-help "Keys on this screen (Appointments)"
keys Space
wait_gone "Keys on this screen"

# kiosk 2 books 08:00 for its own patient (the offline path, then sync)
NODE=$T/k2
cli appt book "$other" --slot "$slot1" --start "$start1" \
    --end $((start1 + 1800000)) --clinician dr-a >/dev/null || fail "k2 book"
cli sync --once >/dev/null 2>&1 || fail "sync k2"
NODE=$T/k1

# F2 on 08:00: taken, with the alternatives
keys F2
expect_screen book-taken "Choose one of the alternatives shown"
screen | grep -q "> 08:30-09:00" || fail "the nearest alternative first"
keys Down
keys F2
wait_for "+ Booked."
screen | grep -q "09:00  booked" || fail "booked 09:00 not listed"
screen | grep -q "08:00  refused    slot taken" || fail "refusal in words"
# the slot list refreshed after the booking: the link is known up again
# (keys pressed while it is asked would go by sync)
wait_for "online, as of"

# F8: cancel the booked one (chosen after booking) with a reason
keys F8
wait_for "Cancel the chosen appointment: why?"
keys Down Down
wait_for "> patient travelling"
keys Enter
wait_for "Cancelled: the slot is free again."
screen | grep -q "09:00  cancelled  patient travelling" ||
    fail "cancel not listed"
wait_for "online, as of"

# book 08:30, then move it (F6) to 09:30
keys Tab
wait_for "> 08:30-09:00"
keys F2
wait_for "+ Booked."
wait_for "online, as of"
keys Tab
keys Down Down
wait_for "> 09:30-10:00"
keys Tab
keys F6
wait_for "Moved: booked in the new slot, the old one cancelled."
wait_for "online, as of" # the slot list asked again after the move
expect_screen book-moved "Moved: booked"
screen | grep -q "08:30  cancelled  rescheduled" || fail "old not cancelled"
screen | grep -q "09:30  booked" || fail "new not booked"

# the server: 09:00 cancelled with its reason, 08:30 cancelled with the
# reschedule, 09:30 booked, 08:00 kiosk 2's; one active per slot
got=$(srv_sql "SELECT group_concat((s.start_ms / 60000 % 1440) || ' ' ||
    a.status || ' ' || CASE a.reason WHEN '' THEN '-' ELSE a.reason END, ', ') FROM
    (SELECT * FROM appointments ORDER BY slot, status) a
    JOIN slots s ON s.id = a.slot")
want="300 booked -, 300 refused slot_taken, 330 cancelled rescheduled, 360 cancelled patient travelling, 390 booked -"
[ "$got" = "$want" ] || fail "server: '$got', not '$want'"
# the screen's booking names the slot's clinician (their hub pulls it);
# kiosk 2's patient's appointment is here too once a pull brought it
[ "$(cli appt list --days 3 | awk -v o="$other" '$NF != o {print $3, $4, $5}')" = \
    "09:30 booked dr-a" ] || fail "kiosk list: $(cli appt list --days 3)"

# a dead link: the server accepts and never answers
kill -STOP "$SRV"
keys Escape
wait_for "Patient: Amina Otieno"
keys F2
WAIT_S=3 wait_for "no link: booking will be proposed"
# the slots last fetched: 08:30 and 09:00 (free again after the cancel),
# with their clinician
wait_for "> 08:30-09:00  dr-a"
keys Down
wait_for "> 09:00-09:30"
keys F2
wait_for "Proposed. No link now: the server answers at the next sync."
screen | grep -q "09:00  proposed   answered at the next sync" ||
    fail "proposal not listed"
# the same slot again: not a second proposal
keys F2
wait_for "This patient has that slot already."
kill -CONT "$SRV"
i=0
until cli sync --once >/dev/null 2>&1 || [ $i -ge 10 ]; do
	sleep 1
	i=$((i + 1))
done
keys Escape
wait_for "Patient: Amina Otieno"
keys F2
wait_for "online, as of"
screen | grep -q "09:00  booked" || fail "the proposal was not booked"

# a reason of one's own: 09:30 (the fifth row) cancelled with it
keys Tab
keys Down Down Down Down
wait_for "> DDD DD MMM 09:30  booked"
keys F8
wait_for "Cancel the chosen appointment: why?"
keys Down Down Down Down
wait_for "> other (type it)"
type_text "clinic closed"
keys Enter
wait_for "Cancelled: the slot is free again."
screen | grep -q "09:30  cancelled  clinic closed" ||
    fail "the typed reason is not listed"
[ "$(srv_sql "SELECT reason FROM appointments a JOIN slots s ON
    s.id = a.slot WHERE (s.start_ms / 60000 % 1440) = 390")" = \
    "clinic closed" ] || fail "the server did not keep the typed reason"
keys Escape
keys Escape
wait_for "F3 or / find a patient"
quit_kiosk
echo "tui: book online, slot taken and an alternative, cancel with a" \
    "reason, reschedule, a dead link's proposal booked after sync"
