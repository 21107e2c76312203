#!/bin/sh
# `kiosk device decode`: each capture in tests/devices/captures/ decodes
# to its .expected JSON lines; bad frames are reported on stderr and yield
# nothing; malformed input is refused.  Exit 0 pass, 77 skip, 1 fail.
set -u
B=${OUTPOST_BUILD:-build}
K="$B/kiosk"
D=tests/devices/captures
if [ ! -x "$K" ]; then
	echo "$K not built" >&2
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for c in contec_cms50_v7:cms50-v7 contec_cms50_hid:cms50-hid \
    omron_hem790it:omron-hem790it ascensia_contour:contour \
    phdc_11073:phdc-bp omron_hem790it:omron-bad; do
	drv=${c%%:*} name=${c#*:}
	if ! "$K" device decode --driver "$drv" "$D/$name.hex" >"$tmp/out" \
	    2>"$tmp/err" || ! cmp -s "$tmp/out" "$D/$name.expected"; then
		echo "FAIL: $name" >&2
		diff "$D/$name.expected" "$tmp/out" >&2
		cat "$tmp/err" >&2
		fail=1
	fi
done
# The XOR failure is named on stderr.
"$K" device decode --driver omron_hem790it "$D/omron-bad.hex" 2>&1 >/dev/null |
    grep -q 'bad frame: reply to GME: XOR check' ||
    { echo "FAIL: bad frame not reported" >&2; fail=1; }
# Not hex, an unknown driver, no file: refused with a status.
printf '0c 80 zz\n' >"$tmp/bad.hex"
"$K" device decode --driver contec_cms50_v7 "$tmp/bad.hex" 2>"$tmp/err" &&
    { echo "FAIL: non-hex accepted" >&2; fail=1; }
grep -q "line 1: 'z' is not a hex digit" "$tmp/err" ||
    { echo "FAIL: no line number for bad hex" >&2; fail=1; }
"$K" device decode --driver nosuch "$D/contour.hex" 2>/dev/null
[ $? -eq 2 ] || { echo "FAIL: unknown driver not a usage error" >&2; fail=1; }
"$K" device decode --driver phdc_11073 "$tmp/missing.hex" 2>/dev/null &&
    { echo "FAIL: missing file accepted" >&2; fail=1; }
# The built-in drivers, and udev rules made from their ID tables.
"$K" device list --drivers >"$tmp/out" 2>&1
for d in contec_cms50_v7 contec_cms50_hid omron_hem790it ascensia_contour \
    phdc_11073 virtual; do
	grep -q "^$d " "$tmp/out" || { echo "FAIL: --drivers lacks $d" >&2; fail=1; }
done
"$K" device list --udev >"$tmp/out" 2>&1
grep -q 'ATTRS{idVendor}=="1a79", ATTRS{idProduct}=="7410"' "$tmp/out" &&
    grep -q 'ID_USB_INTERFACES}=="\*:0f????:\*"' "$tmp/out" ||
    { echo "FAIL: --udev rules" >&2; cat "$tmp/out" >&2; fail=1; }
exit $fail
