#!/bin/sh
# make demo: a demo node in demo-data/ (passphrase "demo-passphrase", user
# admin), seeded with synthetic patients and encounters and a sample clinic
# register, then what it holds and its integrity check.  Re-running keeps
# the node (nothing is imported twice).
set -eu
K=build/kiosk
D=${DEMO_DATA:-demo-data}
PASS=demo-passphrase
k() { printf '%s\n' "$PASS" | "$K" --data "$D" --passphrase-fd 0 "$@"; }

if [ ! -e "$D/keyring" ]; then
	echo "== kiosk init (demo node in $D, passphrase: $PASS)"
	printf '%s\n' "$PASS" | "$K" --data "$D" --passphrase-fd 0 init --kdf-ms 300
	echo "== kiosk seed"
	k seed --patients 200 --encounters 600
fi
echo "== kiosk patient import tests/data/sample-register.csv"
k patient import tests/data/sample-register.csv || true
echo "== kiosk patient find kiboswa"
k patient find kiboswa
echo "== kiosk db stats"
k db stats
echo "== kiosk db check"
k db check
