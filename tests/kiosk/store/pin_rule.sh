#!/bin/sh
# Issue 9: a passphrase or PIN needs at least 6 characters, so a PIN at
# least 6 digits.  Every command that sets one refuses a shorter one and
# changes nothing: init, user add, user passwd, recover.  Without
# --kdf-mem/--kdf-ms, entries get the fixed Argon2id cost.
set -u
K="$OUTPOST_BUILD/kiosk"
T=$(mktemp -d /tmp/outpost-pin-XXXXXX)
trap 'rm -rf "$T"' EXIT
D="$T/node"
fail() { echo "FAIL: $*" >&2; exit 1; }

# init: a 5-digit PIN is refused and leaves no node behind
out=$(printf '12345\n' | "$K" --data "$D" --passphrase-fd 0 init \
    --kdf-ms 5 2>&1) && fail "init took a 5-digit PIN"
echo "$out" | grep -q 'at least 6' || fail "init did not say why: $out"
[ ! -e "$D/keyring" ] || fail "init left a keyring after refusing"
[ ! -e "$D/outpost.db" ] || fail "init left a database after refusing"
# a 6-digit PIN is enough; with no cost option the default cost is used
out=$(printf '482193\n' | "$K" --data "$D" --passphrase-fd 0 init \
    --region-key /dev/null 2>&1) && fail "init took /dev/null as a key"
"$K" region keygen --out "$T/region.key" >/dev/null || fail "keygen"
out=$(printf '482193\n' | "$K" --data "$D" --passphrase-fd 0 init \
    --region-key "$T/region.key.pub" 2>&1) || fail "init with 6 digits: $out"
echo "$out" | grep -q 'Argon2id, 2 passes, 65536 KiB, 1 lane' ||
    fail "init did not use the default cost: $out"

# user add: 4 digits refused, nothing added; 6 digits added (cheap cost)
out=$(printf '482193\n4821\n' | "$K" --data "$D" --passphrase-fd 0 \
    user add chw1 --role chw --kdf-mem 64 2>&1) && fail "user add took 4821"
echo "$out" | grep -q 'at least 6' || fail "user add did not say why: $out"
printf '482193\n' | "$K" --data "$D" --passphrase-fd 0 user list \
    >"$T/list" 2>&1 || fail "user list"
grep -q '^chw1 .*set' "$T/list" && fail "chw1 got a key after refusal"
printf '482193\n731904\n' | "$K" --data "$D" --passphrase-fd 0 \
    user add chw2 --role chw --kdf-mem 64 >/dev/null 2>&1 ||
    fail "user add with 6 digits"

# user passwd: too short refused, old PIN still opens
out=$(printf '731904\nabcde\n' | "$K" --data "$D" --user chw2 \
    --passphrase-fd 0 user passwd 2>&1) && fail "passwd took abcde"
echo "$out" | grep -q 'at least 6' || fail "passwd did not say why: $out"
out=$(printf '731904\n' | "$K" --data "$D" --user chw2 --passphrase-fd 0 \
    user list 2>&1) || fail "old PIN lost after a refusal: $out"

# recover: too short refused, the keyring unchanged
before=$(sha256sum "$D/keyring" | cut -d' ' -f1)
out=$(printf '1234\n' | "$K" --data "$D" --passphrase-fd 0 recover \
    --region-key "$T/region.key" --kdf-mem 64 2>&1) &&
    fail "recover took 1234"
echo "$out" | grep -q 'at least 6' || fail "recover did not say why: $out"
after=$(sha256sum "$D/keyring" | cut -d' ' -f1)
[ "$before" = "$after" ] || fail "a refused recover changed the keyring"

# the cost options: both at once is a usage error
out=$(printf '482193\n482193\n' | "$K" --data "$D" --passphrase-fd 0 \
    user add chw3 --role chw --kdf-mem 64 --kdf-ms 5 2>&1)
[ $? -eq 2 ] || fail "--kdf-mem with --kdf-ms accepted: $out"
exit 0
