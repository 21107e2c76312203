#!/bin/sh
# Appointments end to end with the real programs (issue 15, the offline
# path, docs/PROTOCOL.md §11): an administrator defines a clinician's
# hours in the facility's zone; two kiosks of the facility, offline, each
# propose the same slot for their own patient (`kiosk appt book`); when
# they sync, the server books the first to arrive and refuses the second
# (one active appointment per slot), and each kiosk reads the answer in
# the same sync (booked on one, refused and off the list on the other);
# check-in evidence recorded on the
# kiosk reaches the server and is an audit row; the invariant query finds
# no slot with two active appointments.
. tests/e2e/lib.inc
sync_setup
command -v sqlcipher >/dev/null || { echo "sqlcipher missing" >&2; exit 77; }

server_start
"$SERVER" --data "$T/srv" admin schedule --clinician dr-a \
    --facility fac-north --region north --tz Africa/Nairobi \
    --hours "mon 08:00-12:00/30" --hours "tue 08:00-12:00/30" \
    --hours "wed 08:00-12:00/30" --hours "thu 08:00-12:00/30" \
    --hours "fri 08:00-12:00/30" --hours "sat 08:00-12:00/30" \
    --hours "sun 08:00-12:00/30" --days 7 >"$T/sched.out" ||
    fail "admin schedule: $(cat "$T/sched.out")"
grep -q "slots in the next 7 days" "$T/sched.out" || fail "$(cat "$T/sched.out")"
"$SERVER" --data "$T/srv" admin schedule --list --facility fac-north \
    --tz Africa/Nairobi --days 7 >"$T/slots" || fail "schedule --list"
# a slot of tomorrow morning, Nairobi time: its id, start and end (ms)
line=$(srv_sql "SELECT id, start_ms, end_ms FROM slots WHERE start_ms >
    (strftime('%s','now') + 86400) * 1000 ORDER BY start_ms LIMIT 1" |
    tail -1)
slot=${line%%|*}
rest=${line#*|}
start=${rest%%|*}
end=${rest#*|}
[ -n "$slot" ] && [ "$end" -gt "$start" ] || fail "no slot: $line"

kiosk_new a north
kiosk_new b north
pa=$(kiosk a patient add --given Amina --family Otieno) || fail "patient a"
pb=$(kiosk b patient add --given Baraka --family Mwangi) || fail "patient b"
ia=$(kiosk a appt book "$pa" --slot "$slot" --start "$start" --end "$end" \
    --clinician dr-a | cut -d' ' -f1) || fail "book a"
ib=$(kiosk b appt book "$pb" --slot "$slot" --start "$start" --end "$end" \
    --clinician dr-a | cut -d' ' -f1) || fail "book b"
kiosk a appt list --days 3 | grep -q "$ia .* proposed dr-a" ||
    fail "a does not list its proposal: $(kiosk a appt list --days 3)"

sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a: $(cat "$T/sync.err")"
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b: $(cat "$T/sync.err")"
hex() { printf '%s' "$1" | tr -d '-' | tr 'a-f' 'A-F'; }
sa=$(srv_sql "SELECT status FROM appointments WHERE hex(id) = '$(hex "$ia")'" | tail -1)
sb=$(srv_sql "SELECT status FROM appointments WHERE hex(id) = '$(hex "$ib")'" | tail -1)
[ "$sa" = booked ] || fail "a's appointment is '$sa', not booked"
[ "$sb" = refused ] || fail "b's appointment is '$sb', not refused"

# the answers came back in the same syncs (the same request again)
kiosk a appt list --days 3 | grep -q "^$ia .* booked dr-a" ||
    fail "a does not show its booking: $(kiosk a appt list --days 3)"
if kiosk b appt list --days 3 | grep -q "^$ib "; then
	fail "b still lists its refused proposal"
fi
kiosk a appt checkin "$ia" chw >/dev/null || fail "checkin"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a again: $(cat "$T/sync.err")"
sa=$(srv_sql "SELECT status || ' ' || checkin_by FROM appointments
    WHERE hex(id) = '$(hex "$ia")'" | tail -1)
[ "$sa" = "checked-in chw" ] || fail "after check-in: '$sa'"
n=$(srv_sql "SELECT count(*) FROM appt_events WHERE hex(appt) =
    '$(hex "$ia")'" | tail -1)
[ "$n" -eq 2 ] || fail "audit rows of a: $n"
d=$(srv_sql "SELECT count(*) FROM (SELECT slot FROM appointments WHERE
    status IN ('booked', 'checked-in', 'arrived', 'fulfilled')
    GROUP BY slot HAVING count(*) > 1)" | tail -1)
[ "$d" -eq 0 ] || fail "$d slots with two active appointments"
"$SERVER" --data "$T/srv" admin schedule --sweep >"$T/sweep" ||
    fail "sweep: $(cat "$T/sweep")"
grep -q '^0 appointments became no-shows' "$T/sweep" ||
    fail "a future appointment swept: $(cat "$T/sweep")"
echo "e2e: one slot proposed offline by two kiosks: one booked, one refused; check-in evidence audited"
