#!/bin/sh
# Appointments on Home (issue 15): with one appointment starting within
# the hour and one cancelled, Home says how many are today and tomorrow
# and shows the T-2 h reminder with its time, and lists the appointment
# (time, patient, clinician, status); a cancelled one is neither counted
# nor listed.  The reminder's time is masked in the compared screen (it is
# the test's now + 1 h), and the whole screen is compared only when
# now + 1 h is still today.
. tests/tui/lib.inc

# the reminder's clock time depends on when the test runs
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/;
	        s/due within 2 h: [0-9]{2}:[0-9]{2}/due within 2 h: HH:MM/;
	        s/(today|tomorrow)( +)[0-9]{2}:[0-9]{2}/\1\2HH:MM/'
}

make_node
pat=$(cli patient add --given Amina --family Otieno --sex female) ||
    fail "patient add"
now=$(date +%s)
start=$(( (now + 3600) * 1000 ))
end=$(( start + 1800000 ))
cli appt book "$pat" --slot 7 --start "$start" --end "$end" \
    --clinician dr-a >/dev/null || fail "appt book"
id=$(cli appt book "$pat" --slot 8 --start $((start + 1800000)) \
    --end $((end + 1800000)) | cut -d' ' -f1) || fail "appt book 2"
cli appt cancel "$id" "patient travelling" >/dev/null || fail "cancel"
cli appt list --days 2 | grep -q ' proposed dr-a ' || fail "appt list"

start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
wait_for "due within 2 h:"
if [ "$(date -d "@$((now + 3600))" +%Y%m%d)" = "$(date -d "@$now" +%Y%m%d)" ]
then
	wait_for "Appointments: today 1, tomorrow 0"
	# listed after the red flags (none here): when, who, with whom, status
	wait_for "> today    HH:MM  Amina Otieno"
	expect_screen appt-home "due within 2 h: "
else
	wait_for "Appointments: today 0, tomorrow 1"
fi
quit_kiosk

# red flags stay first (issue 10): with seeded red flags waiting, the
# appointment row comes after every one of them
cli seed --patients 30 --encounters 60 --seed 7 >"$T/seed.out" 2>&1 ||
    fail "seed: $(cat "$T/seed.out")"
red=$(sed -n 's/.*(\([0-9]*\) with red flags).*/\1/p' "$T/seed.out")
[ -n "$red" ] && [ "$red" -gt 0 ] || fail "no red flag: $(cat "$T/seed.out")"
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
wait_for "red flag"
screen | sed -n 4p | grep -q '!!' || fail "the first row is not a red flag"
# the list's rows: 4 to 13
last_red=$(screen | awk 'NR >= 4 && NR <= 13 && /!!/ { n = NR } END { print n }')
appt=$(screen | awk 'NR >= 4 && NR <= 13 && /Amina Otieno/ { print NR }')
if [ -n "$appt" ]; then
	[ "$appt" -gt "$last_red" ] || fail "the appointment above a red flag"
else # more red flags than rows: it is further down
	screen | grep -q "Rows 1-10 of " || fail "no scrolling for $red flags"
fi
quit_kiosk
echo "tui: Home shows today's and tomorrow's appointments and the T-2 h" \
    "reminder, after the red flags"
