#!/bin/sh
# A real full disk and a real read-only file system under the kiosk: a
# small tmpfs filled by seeding, then remounted read-only.  Each write must
# fail with words a CHW understands, lose nothing already saved, and leave
# a database that checks out once the medium is healthy again.
# Needs permission to mount (root, as on CI); skipped otherwise.
set -u
K="$OUTPOST_BUILD/kiosk"
M=$(mktemp -d /tmp/outpost-disk-XXXXXX)
trap 'umount "$M" 2>/dev/null; rmdir "$M"' EXIT
if ! mount -t tmpfs -o size=3m tmpfs "$M" 2>/dev/null; then
	echo "cannot mount a tmpfs here (needs root)" >&2
	exit 77
fi
D="$M/node"
fail() { echo "FAIL: $*" >&2; exit 1; }
k() { printf 'disk-pass\n' | "$K" --data "$D" --passphrase-fd 0 "$@"; }

printf 'disk-pass\n' | "$K" --data "$D" --passphrase-fd 0 init --kdf-ms 5 \
    >/dev/null 2>&1 || fail "init"
k seed --patients 20 --encounters 10 >/dev/null || fail "first seed"
k patient find Mwangi >/dev/null 2>&1
before=$(k patient find 1990 2>/dev/null | wc -l)

# Fill the disk.
out=$(k seed --patients 100000 --encounters 0 --seed 3 2>&1) &&
    fail "seeding 100000 patients fit in 3 MB?"
echo "$out" | grep -q 'storage is full' || fail "full disk not explained: $out"
out=$(k patient add --given Late --family Arrival 2>&1) &&
    fail "a write succeeded on a full disk"
echo "$out" | grep -q 'storage is full' || fail "second write: $out"

# Space again: everything committed is there and the database checks out.
mount -o remount,size=64m "$M" || fail "remount bigger"
k db check >/dev/null || fail "database damaged by the full disk"
[ "$(k patient find 1990 2>/dev/null | wc -l)" -ge "$before" ] ||
    fail "patients lost"
id=$(k patient add --given After --family Space) || fail "write after space"

# Read-only medium (what a failing SD card turns into).
mount -o remount,ro "$M" || fail "remount read-only"
out=$(k patient add --given Ro --family Write 2>&1) &&
    fail "a write succeeded on a read-only medium"
echo "$out" | grep -Eq 'read-only|cannot open' || fail "read-only not explained: $out"
mount -o remount,rw "$M" || fail "remount rw"
k db check >/dev/null || fail "database damaged by read-only medium"
k patient find After | grep -q "$id" || fail "saved patient lost"
exit 0
