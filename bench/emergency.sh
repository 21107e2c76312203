#!/bin/sh
# Emergency escalation (issue 16) at the sizes of research emergency.md
# §7.10, beyond what make check runs (each test's default in brackets):
#   criterion 3/4/6  engine: 100,000 fake-clock schedules and interleavings
#                    (10,000), wall-clock jumps of a year, reboots
#   criterion 2      1,000 offline incidents, one SMS each (200)
#   criterion 5      10,000 kill points and 1,000 I/O faults in an
#                    escalation on the kiosk store (200, 40)
#                    and on the server's timer, with the mock SMS gateway
#                    (tests/sync-server/test_emergency.c crash, 40)
#   criterion 9      10,000 fuzzed CAP 1.2 documents (1,000)
#   criterion 1      bench/emergency.c: from the emergency key, and from the
#                    NEWS2 confirm window's timeout, to (a) durable on the
#                    disk, (b) the fast path's 200 from a real sync-server
#                    started here on loopback, (c) the first SMS handed to
#                    the (fake) modem port: median and p99 of 100 runs, with
#                    an fsync and a signed round-trip baseline of the same
#                    run (the CALL NOW card's drawing is not timed)
#   make build/bench/emergency build/tests/escalate/test_escalate \
#        build/tests/escalate/test_cap \
#        build/tests/kiosk/store/test_emergency \
#        build/tests/kiosk/visit/test_emergency_pump \
#        build/tests/sync-server/test_emergency build/tests/tools/fakegw \
#        build/sync-server &&
#        sh bench/emergency.sh
set -eu
B=${OUTPOST_BUILD:-build}
export OUTPOST_BUILD="$B"
for p in tests/escalate/test_escalate tests/escalate/test_cap \
    tests/kiosk/store/test_emergency tests/kiosk/visit/test_emergency_pump \
    tests/sync-server/test_emergency tests/tools/fakegw bench/emergency \
    sync-server; do
	[ -x "$B/$p" ] || { echo "build $B/$p first" >&2; exit 1; }
done
echo "== engine: 100,000 schedules and interleavings"
OUTPOST_ESC_N=${OUTPOST_ESC_N:-100000} "$B/tests/escalate/test_escalate" \
    schedules wall_jumps interleavings reboot
echo "== offline SMS: 1,000 incidents"
OUTPOST_EMERG_SMS_N=${OUTPOST_EMERG_SMS_N:-1000} \
    "$B/tests/kiosk/visit/test_emergency_pump" offline_sms 2>/dev/null
echo "== durability: 10,000 kill points, 1,000 I/O faults"
OUTPOST_EMERG_KILLS=${OUTPOST_EMERG_KILLS:-10000} \
OUTPOST_EMERG_FAULTS=${OUTPOST_EMERG_FAULTS:-1000} \
    "$B/tests/kiosk/store/test_emergency" kill_points io_faults 2>/dev/null
echo "== durability on the server: 10,000 kills of its timer"
OUTPOST_EMERG_SRV_KILLS=${OUTPOST_EMERG_SRV_KILLS:-10000} \
    "$B/tests/sync-server/test_emergency" crash 2>/dev/null
echo "== CAP 1.2: 10,000 fuzzed incidents"
OUTPOST_ESC_CAP_N=${OUTPOST_ESC_CAP_N:-10000} "$B/tests/escalate/test_cap" fuzzed
echo "== trigger latency: 100 runs, against a sync-server on loopback"
T=$(mktemp -d /tmp/outpost-bench-emerg.XXXXXX)
SRV=""
trap '[ -z "$SRV" ] || kill "$SRV" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -m 700 "$T/cred"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T/cred/outpost-server-key"
chmod 600 "$T/cred/outpost-server-key"
CREDENTIALS_DIRECTORY=$T/cred
export CREDENTIALS_DIRECTORY
"$B/sync-server" --data "$T/srv" --listen 127.0.0.1:0 --port-file "$T/port" \
    --log "$T/srv.log" &
SRV=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/port" ] || { echo "the sync-server did not start" >&2; exit 1; }
tok=$("$B/sync-server" --data "$T/srv" admin enroll-token --role clinic \
    --region bench-emerg --facility f)
"$B/bench/emergency" "${OUTPOST_EMERG_RUNS:-100}" \
    --server "http://127.0.0.1:$(cat "$T/port")" --token "$tok"
