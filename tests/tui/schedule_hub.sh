#!/bin/sh
# A hub clinician's own schedule (issue 15), 80x24, with a real
# sync-server on loopback: dra and drb have slots tomorrow morning at
# clinic-1 (Africa/Nairobi, the kiosks' zone too).  No consult: an
# appointment alone brings its patient to the hub where its clinician is a
# user (docs/PROTOCOL.md §5.3).  The clinic books Amina 08:00 with dra and
# 08:30 with drb, and Chausiku 08:00 with drb (`kiosk appt book`).  Then
# the hub enrols and adds its clinician dra, who brings Amina's booking
# with her.  On the clinic's booking screen Baraka takes dra's 08:30 (the
# slot row names dra; the proposal records her).  After both sync, dra's
# Home F9 lists 08:00 Amina and 08:30 Baraka with where they live, not
# drb's; Chausiku never reaches the hub; the hub's administrator is told
# the schedule is for clinicians.  Once the clinic checks Amina in and
# both sync, the schedule says so.
. tests/tui/lib.inc

start_server
export TZ=Africa/Nairobi

screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/g;
	        s/(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{2} [A-Z][a-z]{2}/DDD DD MMM/g'
}

day=$(TZ=Africa/Nairobi date -d tomorrow +%a | tr 'A-Z' 'a-z')
for c in dra drb; do
	"$SERVER" --data "$T/srv" admin schedule --clinician $c \
	    --facility clinic-1 --region north --tz Africa/Nairobi \
	    --hours "$day 08:00-09:00/30" --days 7 >"$T/sched.out" ||
	    fail "admin schedule: $(cat "$T/sched.out")"
done
# dra's schedule came first: her 08:00 and 08:30, then drb's
"$SERVER" --data "$T/srv" admin schedule --list --facility clinic-1 \
    --days 7 >"$T/slots" || fail "schedule --list"
[ "$(wc -l <"$T/slots")" -eq 5 ] || fail "slots: $(cat "$T/slots")"
awk -F'\t' 'NF > 1' "$T/slots" | sort -n >"$T/ids"
s1=$(sed -n 1p "$T/ids")
s3=$(sed -n 3p "$T/ids")
s4=$(sed -n 4p "$T/ids")
# the list names each slot's clinician
[ "$(cut -f5 "$T/ids" | tr '\n' ' ')" = "dra dra drb drb " ] ||
    fail "clinicians: $(cat "$T/ids")"

# the clinic: Amina and Chausiku, three appointments, no consult
NODE=$T/clinic
make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility clinic-1) || fail "token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the clinic"
pat=$(cli patient add --given Amina --family Okafor --sex female \
    --village Kisumu) || fail "patient"
pat3=$(cli patient add --given Chausiku --family Njeri --sex female \
    --village Bondo) || fail "patient 3"
cli patient add --given Baraka --family Mwangi --sex male \
    --village Siaya >/dev/null || fail "patient 2"
book() { # patient slot-line clinician
	id=$(printf '%s' "$2" | cut -f1)
	st=$(printf '%s' "$2" | cut -f2)
	cli appt book "$1" --slot "$id" --start "$st" \
	    --end $((st + 1800000)) --clinician "$3" | cut -d' ' -f1
}
a1=$(book "$pat" "$s1" dra) || fail "book dra"
book "$pat" "$s4" drb >/dev/null || fail "book drb"
book "$pat3" "$s3" drb >/dev/null || fail "book drb 2"
cli sync --once >/dev/null || fail "clinic sync"
cli appt list --days 3 | grep -q "^$a1 .* booked dra" ||
    fail "not booked: $(cli appt list --days 3)"
# the answer goes up as the record's status with the next push
cli sync --once >/dev/null || fail "clinic sync, the answers"

# the hub: dra, a clinician (and its administrator), added after
# Amina's booking: her user record brings it
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

# the clinic's booking screen: Baraka takes dra's 08:30, the one free
NODE=$T/clinic
start env TZ=Africa/Nairobi "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F3
type_text "Baraka"
wait_for "> Baraka"
keys Enter
start_visit
wait_for "Patient: Baraka Mwangi"
keys F2
wait_for "online, as of"
wait_for "> 08:30-09:00  dra"
keys F2
wait_for "+ Booked."
keys Escape
wait_for "Patient: Baraka Mwangi"
keys Escape
wait_for "F3 or / find a patient"
quit_kiosk
[ "$(cli appt list --days 3 | grep -c " booked dra ")" -eq 2 ] ||
    fail "the screen's booking names no clinician: $(cli appt list --days 3)"
cli sync --once >/dev/null || fail "clinic sync 3"
cli sync --once >/dev/null || fail "clinic sync 4"
NODE=$T/hub
cli sync --once >/dev/null || fail "hub sync 2"
# Chausiku, booked with drb only, never came to the hub
cli appt list --days 3 | grep -q "$pat3" &&
    fail "another clinician's patient pulled to the hub"

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
wait_for "08:30  Baraka Mwangi"
expect_screen schedule-hub "Amina Okafor"
[ "$(screen | grep -c "Amina Okafor")" -eq 1 ] ||
    fail "drb's appointment of Amina on dra's schedule"
keys F1
expect_screen schedule-help "Keys on this screen (My schedule)"
keys Space
wait_gone "Keys on this screen"

# the clinic checks her in; after both sync the schedule says so
NODE=$T/clinic
cli appt checkin "$a1" chw >/dev/null || fail "checkin"
cli sync --once >/dev/null || fail "clinic sync 5"
NODE=$T/hub
cli sync --once >/dev/null || fail "hub sync 3"
keys Escape
wait_for "F3 or / find a patient"
keys F9
wait_for "08:00  Amina Okafor"
screen | grep -q "08:00  Amina Okafor .* checked in" ||
    fail "the check-in is not on the schedule"
keys Escape
wait_for "F3 or / find a patient"
quit_kiosk
echo "tui: a hub clinician's schedule lists the appointments booked with" \
    "them, from the clinic's screen too, not another's, with the check-in"
