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
#   criterion 1      bench/emergency.c: raise to durable, and to the first
#                    SMS handed to the modem, median and p99 of 100 runs on
#                    the disk (the CALL NOW card is not drawn yet)
#   make build/bench/emergency build/tests/escalate/test_escalate \
#        build/tests/escalate/test_cap \
#        build/tests/kiosk/store/test_emergency \
#        build/tests/kiosk/visit/test_emergency_pump \
#        build/tests/sync-server/test_emergency build/tests/tools/fakegw &&
#        sh bench/emergency.sh
set -eu
B=${OUTPOST_BUILD:-build}
export OUTPOST_BUILD="$B"
for p in tests/escalate/test_escalate tests/escalate/test_cap \
    tests/kiosk/store/test_emergency tests/kiosk/visit/test_emergency_pump \
    tests/sync-server/test_emergency tests/tools/fakegw bench/emergency; do
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
echo "== trigger latency: 100 runs"
"$B/bench/emergency" "${OUTPOST_EMERG_RUNS:-100}"
