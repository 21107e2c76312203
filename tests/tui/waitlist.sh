#!/bin/sh
# The waitlist end to end (issue 15), 80x24, with a real sync-server on
# loopback.  Amina holds tomorrow's 09:00 slot with dr-a; Baraka is put
# on the waitlist from his patient screen (F7: urgency, service, F2) and
# the sync lists him.  Amina's appointment is cancelled; the sync that
# carries the cancel brings Baraka's kiosk the offer: his waitlist screen
# shows it with its expiry, Enter accepts, and the next sync books the
# slot for him (the kiosk's appointment list and the entry say booked).
. tests/tui/lib.inc

start_server

# times change with the day the test runs: not part of the screens
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/g;
	        s/ [0-9]{2}:[0-9]{2} \(gp\)/ HH:MM (gp)/'
}

make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility clinic-1) || fail "token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol"
"$SERVER" --data "$T/srv" admin schedule --clinician dr-a \
    --facility clinic-1 --region north --tz Africa/Nairobi \
    --hours "sun 09:00-10:00/30" --hours "mon 09:00-10:00/30" \
    --hours "tue 09:00-10:00/30" --hours "wed 09:00-10:00/30" \
    --hours "thu 09:00-10:00/30" --hours "fri 09:00-10:00/30" \
    --hours "sat 09:00-10:00/30" \
    --service gp --langs sw,en --days 3 >/dev/null || fail "schedule"
# the first slot more than 2 hours ahead (an offer is held half the time
# to its start, at most 4 h)
now=$(($(date +%s) * 1000))
slot=$("$SERVER" --data "$T/srv" admin schedule --list --facility clinic-1 \
    --days 3 | awk -v n="$now" '$2 > n + 7200000 { print $1, $2, $3; exit }')
[ -n "$slot" ] || fail "no slot"
set -- $slot
sid=$1 sstart=$2 send=$(($2 + $3 * 60000))

amina=$(cli patient add --given Amina --family Otieno --sex female) ||
    fail "patient add"
cli patient add --given Baraka --family Mwangi --sex male >/dev/null ||
    fail "patient add"
appt=$(cli appt book "$amina" --slot "$sid" --start "$sstart" \
    --end "$send" --clinician dr-a | cut -d' ' -f1) || fail "appt book"
cli sync --once >/dev/null || fail "sync 1"
cli appt list --days 3 | grep -q " booked dr-a $amina" ||
    fail "Amina not booked: $(cli appt list --days 3)"

# Baraka's patient screen: F7, urgent, gp, F2 lists him
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F3
type_text "Baraka"
wait_for "> Baraka"
keys Enter
wait_for "Enter start the visit"
keys F7
wait_for "Not on the waitlist. List the patient below."
keys Left
wait_for "Urgency: < urgent: within 30 days >"
type_text "gp"
keys F2
wait_for "Listed. The server has it after the next sync."
wait_for "to send"
keys Escape
keys Escape
wait_for "F4 register a patient"
quit_kiosk
cli sync --once >/dev/null || fail "sync 2"
cli appt wait status | grep -q " waiting - urgent" ||
    fail "not waiting: $(cli appt wait status)"

# Amina's appointment is cancelled: the sync carries the cancel and
# brings Baraka's offer
cli appt cancel "$appt" "patient travelling" >/dev/null || fail "cancel"
cli sync --once >/dev/null || fail "sync 3"
cli appt wait status | grep -q " offered - urgent" ||
    fail "no offer: $(cli appt wait status)"

start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F3
type_text "Baraka"
wait_for "> Baraka"
keys Enter
wait_for "Enter start the visit"
keys F7
wait_for "A FREED SLOT IS OFFERED TO THIS PATIENT"
expect_screen waitlist-offer "Enter accepts"
keys Enter
wait_for "Accepted: the next sync books the slot."
wait_for "accepting"
keys Escape
keys Escape
wait_for "F4 register a patient"
quit_kiosk
cli sync --once >/dev/null || fail "sync 4"
cli appt wait status | grep -q " booked - urgent" ||
    fail "not booked: $(cli appt wait status)"
cli appt list --days 3 | grep " booked " | grep -qv "$amina" ||
    fail "no booking for Baraka: $(cli appt list --days 3)"
# the next sync pushes the booking: the server's replay says booked
cli sync --once >/dev/null || fail "sync 5"
cli appt list --days 3 | grep -q " booked " || fail "booking lost"
echo "tui: a cancelled slot is offered to the waiting patient's kiosk, accepted and booked"
