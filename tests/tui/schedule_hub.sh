#!/bin/sh
# A hub clinician's own schedule (issue 15), 80x24, with a real
# sync-server on loopback: dr "dra" has slots tomorrow morning at clinic-1
# (Africa/Nairobi, the kiosks' zone too).  The clinic asks a consult for
# Amina (which brings her into the hubs' scope, docs/PROTOCOL.md §5.3) and
# books her 08:00 with dra and 08:30 with drb.  On the hub, dra's Home F9
# lists tomorrow's 08:00 with the patient and where she lives, not drb's;
# the hub's administrator is told the schedule is for clinicians.  Once the
# clinic checks her in and both sync, the schedule says so.
. tests/tui/lib.inc

start_server
export TZ=Africa/Nairobi

screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/g;
	        s/(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{2} [A-Z][a-z]{2}/DDD DD MMM/g'
}

day=$(date -d tomorrow +%a | tr 'A-Z' 'a-z')
for c in dra drb; do
	"$SERVER" --data "$T/srv" admin schedule --clinician $c \
	    --facility clinic-1 --region north --tz Africa/Nairobi \
	    --hours "$day 08:00-09:00/30" --days 7 >"$T/sched.out" ||
	    fail "admin schedule: $(cat "$T/sched.out")"
done
# dra's schedule came first: its 08:00; drb's 08:30
"$SERVER" --data "$T/srv" admin schedule --list --facility clinic-1 \
    --days 7 >"$T/slots" || fail "schedule --list"
[ "$(wc -l <"$T/slots")" -eq 5 ] || fail "slots: $(cat "$T/slots")"
awk -F'\t' 'NF > 1' "$T/slots" | sort -n >"$T/ids"
s1=$(sed -n 1p "$T/ids")
s4=$(sed -n 4p "$T/ids")

# the clinic: Amina, a consult, two appointments
NODE=$T/clinic
make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility clinic-1) || fail "token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the clinic"
pat=$(cli patient add --given Amina --family Okafor --sex female \
    --village Kisumu) || fail "patient"
cli consult request --patient "$pat" --reason "cough three weeks" \
    --mode voice >/dev/null || fail "consult"
book() { # slot-line clinician
	id=$(printf '%s' "$1" | cut -f1)
	st=$(printf '%s' "$1" | cut -f2)
	cli appt book "$pat" --slot "$id" --start "$st" \
	    --end $((st + 1800000)) --clinician "$2" | cut -d' ' -f1
}
a1=$(book "$s1" dra) || fail "book dra"
book "$s4" drb >/dev/null || fail "book drb"
cli sync --once >/dev/null || fail "clinic sync"
cli appt list --days 3 | grep -q "^$a1 .* booked dra" ||
    fail "not booked: $(cli appt list --days 3)"
# the answer goes up as the record's status with the next push
cli sync --once >/dev/null || fail "clinic sync, the answers"

# the hub: dra, a clinician (and its administrator)
NODE=$T/hub
make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role hub \
    --region north --facility hub-1) || fail "hub token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the hub"
printf 'pass-word\ndoc-pass\ndoc-pass\n' | "$KIOSK" --data "$NODE" \
    --passphrase-fd 0 user add dra --role clinician --kdf-ms 5 \
    >/dev/null 2>&1 || fail "clinician dra"
cli sync --once >/dev/null || fail "hub sync"

unlock_as() { # user passphrase
	wait_for "This kiosk is locked."
	keys Up
	keys BSpace BSpace BSpace BSpace BSpace
	type_text "$1"
	keys Down
	type_text "$2"
	keys Enter
	wait_for "Unlocked. Welcome, $1."
}

start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock_as admin pass-word
keys F9
wait_for "The schedule is for clinicians on a hub node."
keys F12
unlock_as dra doc-pass
keys F9
wait_for "My appointments: today and the next 6 days"
expect_screen schedule-hub "Amina Okafor"
screen | grep -q "08:30" && fail "drb's appointment on dra's schedule"
keys F1
expect_screen schedule-help "Keys on this screen (My schedule)"
keys Space
wait_gone "Keys on this screen"

# the clinic checks her in; after both sync the schedule says so
NODE=$T/clinic
cli appt checkin "$a1" chw >/dev/null || fail "checkin"
cli sync --once >/dev/null || fail "clinic sync 2"
NODE=$T/hub
cli sync --once >/dev/null || fail "hub sync 2"
keys Escape
wait_for "F3 or / find a patient"
keys F9
wait_for "08:00  Amina Okafor"
screen | grep -q "08:00  Amina Okafor .* checked in" ||
    fail "the check-in is not on the schedule"
keys Escape
wait_for "F3 or / find a patient"
quit_kiosk
echo "tui: a hub clinician's schedule lists their appointments with the" \
    "check-in"
