#!/bin/sh
# End to end through the real libusb path: `kiosk device read --once
# --json` (and `list`) against USB devices replayed by umockdev from the
# hand-written recordings in tests/devices/umockdev/ (see its README).
# Exit 0 pass, 77 skip (reason on stderr), 1 fail.
set -u
B=${OUTPOST_BUILD:-build}
K="$B/kiosk"
D=tests/devices/umockdev
if ! command -v umockdev-run >/dev/null 2>&1; then
	echo "umockdev-run not installed (Debian package umockdev)" >&2
	exit 77
fi
if [ ! -x "$K" ]; then
	echo "$K not built" >&2
	exit 77
fi
# umockdev preloads itself, so ASan cannot be first in the link order.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
unset OUTPOST_VIRTUAL_DEVICE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# case NAME DEVNODE IOCTL EXPECTED-EXIT: compare stdout with NAME.expected
check() {
	name=$1 node=$2 ioctl=$3 want=$4
	shift 4
	timeout 60 umockdev-run -d "$D/${name%%.*}.umockdev" \
	    -i "/dev/bus/usb/001/$node=$D/$ioctl" -- \
	    "$K" --data "$tmp/none" device "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want" ] || ! cmp -s "$tmp/out" "$D/$name.expected"; then
		echo "FAIL: $name (exit $rc, wanted $want)" >&2
		diff "$D/$name.expected" "$tmp/out" >&2
		sed 's/^/  stderr: /' "$tmp/err" >&2
		fail=1
	else
		echo "ok: $name" >&2
	fi
}

check cms50-v7 003 cms50-v7.ioctl 0 read --once --json
check cms50-hid 002 cms50-hid.ioctl 0 read --once --json
check omron-hem790it 004 omron-hem790it.ioctl 0 read --once --json
check contour-next 005 contour-next.ioctl 0 read --once --json
check phdc-bp 006 phdc-bp.ioctl 0 read --once --json
# An older CMS50 on the same cable: V7 finds no V7, the legacy driver reads.
check cms50-v7.legacy 003 cms50-legacy.ioctl 0 read --once --json
# Unplugged mid-stream: a clean error, no reading.
check cms50-v7.unplugged 003 cms50-v7-unplugged.ioctl 1 read --once --json
grep -q "No such device" "$tmp/err" || { echo "FAIL: unplugged: no reason" >&2; fail=1; }

# A device nobody knows is listed with its VID:PID, not hidden.
umockdev-run -d "$D/unknown.umockdev" -d "$D/cms50-hid.umockdev" -- \
    "$K" --data "$tmp/none" device list --json 2>"$tmp/err" |
    sort >"$tmp/out"
if ! sort "$D/list.expected" | cmp -s - "$tmp/out"; then
	echo "FAIL: list" >&2
	diff "$D/list.expected" "$tmp/out" >&2
	fail=1
fi

# Watch mode: the stored readings once, no repeat while attached, and a
# clean exit on SIGTERM.
timeout 60 umockdev-run -d "$D/omron-hem790it.umockdev" \
    -i "/dev/bus/usb/001/004=$D/omron-hem790it.ioctl" -- \
    timeout --preserve-status -s TERM 6 "$K" --data "$tmp/none" device read \
    --json >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 0 ] || ! cmp -s "$tmp/out" "$D/omron-hem790it.expected"; then
	echo "FAIL: watch (exit $rc)" >&2
	diff "$D/omron-hem790it.expected" "$tmp/out" >&2
	sed 's/^/  stderr: /' "$tmp/err" >&2
	fail=1
fi
exit $fail
