#!/bin/sh
# Vital signs from the virtual device (devices/drv_virtual.c plays a
# script): readings appear on the visit screen as they arrive, NEWS2
# follows, and a dangerous SpO2 opens the red flag at once.  The readings
# are stored with their provenance (checked with `kiosk db check`).
. tests/tui/lib.inc

make_node
cli patient add --given Juma --family Mwangi --sex male --village Bondo \
    >/dev/null || fail "patient add"
cat >"$T/device.script" <<'SCRIPT'
# an oximeter and a BP cuff, as the virtual driver plays them
wait 300
spo2 97 pulse 72
wait 200
sys 118 dia 76 pulse 74
wait 200
spo2 89 pulse 128
SCRIPT
start env OUTPOST_VIRTUAL_DEVICE="$T/device.script" "$KIOSK" --data "$NODE" \
    ui --idle-lock 0

unlock
expect_screen device-home "virtual device attached"
keys F3
type_text "Juma"
wait_for "> Juma"
keys Enter
start_visit
# the oximeter's SpO2 89 scores 3 (scale 1): the alert opens by itself
expect_screen device-red-flag "Press F9 to acknowledge"
wait_for "F9 acknowledge"
# not acknowledged now: it stays on the visit and on home, and survives a
# restart of the kiosk
keys Escape
wait_for "RED FLAG recorded"
wait_for "finished (3 received)"
keys Escape
expect_screen device-home-flag "!! 1 red flag not acknowledged"
quit_kiosk
# (the device is left out now, so no new reading raises another flag)
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "!! 1 red flag not acknowledged"
# the red flag is the first row; it opens with its recorded cause
keys Enter
expect_screen device-flag-cause "RED FLAG NOT ACKNOWLEDGED"
keys F9
expect_screen device-acked-later "Red flag acknowledged."
keys Escape
wait_for "none waiting"
quit_kiosk
cli db check >"$T/check.out" 2>&1 || fail "db check: $(cat "$T/check.out")"
