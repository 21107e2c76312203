#!/bin/sh
# Hot-plug on the visit screen: the vitals screen is open with no device;
# a device is plugged in (the virtual device "attaches" when its script
# appears) and the kiosk notices it, says so and takes its readings into
# the visit without the CHW doing anything; pulled out, it says so too.
. tests/tui/lib.inc

make_node
cli patient add --given Amina --family Otieno --sex female --village Bondo \
    >/dev/null || fail "patient add"
start env OUTPOST_VIRTUAL_DEVICE="$T/plugged.script" "$KIOSK" --data "$NODE" \
    ui --idle-lock 0
unlock
wait_for "no device"
keys F3
type_text "Amina"
wait_for "> Amina"
keys Enter
start_visit
wait_for "vital signs and NEWS2"
cat >"$T/script.tmp" <<'SCRIPT'
wait 300
spo2 98 pulse 76
SCRIPT
mv "$T/script.tmp" "$T/plugged.script"
wait_for "Device attached: virtual"
wait_for "finished (1 received)"
screen | grep -q "98" || fail "the plugged-in device's SpO2 is not on the visit"
rm -f "$T/plugged.script"
wait_for "Device removed"
keys Escape
wait_for "F3 find a patient"
quit_kiosk
cli db check >"$T/check.out" 2>&1 || fail "db check: $(cat "$T/check.out")"
