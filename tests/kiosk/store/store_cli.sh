#!/bin/sh
# The kiosk store through its command line, as a clinic uses it:
# passphrases, no patient data in clear on disk (database, WAL, keyring,
# log), idempotent import, lockout and region recovery, export/restore.
set -u
K="$OUTPOST_BUILD/kiosk"
T=$(mktemp -d /tmp/outpost-cli-XXXXXX)
trap 'kill $SEEDPID 2>/dev/null; rm -rf "$T"' EXIT
SEEDPID=
D="$T/node"
fail() { echo "FAIL: $*" >&2; exit 1; }
k() { printf '%s\n' "$PASS" | "$K" --data "$D" --passphrase-fd 0 "$@"; }

PASS=correct-horse
printf 'correct-horse\n' | "$K" --data "$D" --passphrase-fd 0 init \
    --kdf-ms 5 --max-failures 3 --unlock-delay-ms 10 >/dev/null ||
    fail "init"
k seed --patients 30 --encounters 60 >/dev/null || fail "seed"

# A wrong passphrase: clear error, nothing changed; the right one opens.
before=$(sha256sum "$D/outpost.db" | cut -d' ' -f1)
out=$(printf 'wrong-horse\n' | "$K" --data "$D" --passphrase-fd 0 \
    patient find Mwangi 2>&1) && fail "wrong passphrase accepted"
echo "$out" | grep -q 'wrong passphrase for "admin" (1 of 3' ||
    fail "unclear wrong-passphrase message: $out"
after=$(sha256sum "$D/outpost.db" | cut -d' ' -f1)
[ "$before" = "$after" ] || fail "a wrong passphrase changed the database"
k db check >/dev/null || fail "right passphrase did not open"

# A register with the usual mess: any column order, quotes, a BOM.
printf '\357\273\277national_id,family,given,phone,village,sex,birth_date\n' >"$T/reg.csv"
cat >>"$T/reg.csv" <<'CSV'
NAT55501234,Zulukazi,Thandiwe,+254 700 987 123,Kiboswa,F,1987-03-14
NAT55509876,"Ochieng-Baraza, Jr",Philemon,0711222333,Kiboswa,M,1979
,Nobirth,Bad,,Kiboswa,Q,1990
CSV
out=$(k patient import "$T/reg.csv" 2>&1)
echo "$out" | grep -q 'Imported 2 new patients; 0 were already here; 1 rows skipped' ||
    fail "first import: $out"
echo "$out" | grep -q 'line 4: sex must be' || fail "bad row not named by line: $out"
out=$(k patient import "$T/reg.csv" 2>&1)
echo "$out" | grep -q 'Imported 0 new patients; 2 were already here' ||
    fail "second import duplicated rows: $out"
k patient find zulukazi | grep -q Thandiwe || fail "find by family name"
k patient find "thandiwe zulukasi" | grep -q Zulukazi || fail "find with a typo"
k patient find 0711222333 | grep -q Philemon || fail "find by phone"

# Nothing readable on disk, including a WAL caught mid-write.
(k seed --patients 3000 --encounters 0 --seed 7 >/dev/null 2>&1) &
SEEDPID=$!
i=0
while [ ! -s "$D/outpost.db-wal" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
mkdir "$T/snap" && cp "$D"/* "$T/snap/" 2>/dev/null
wait $SEEDPID
SEEDPID=
[ -s "$T/snap/outpost.db-wal" ] || fail "no WAL caught to inspect"
for needle in Zulukazi Thandiwe Philemon 987123 711222333 NAT55501234 \
    NAT55509876 Kiboswa Mwangi Otieno Wanjiru Nyalenda; do
	if grep -rqa "$needle" "$D" "$T/snap"; then
		fail "\"$needle\" is readable in $(grep -rla "$needle" "$D" "$T/snap")"
	fi
done
ls "$T/snap" | grep -q wal || fail "snapshot missing WAL"

# Lockout after 3 wrong tries, recovery with the region key.
"$K" region keygen --out "$T/region.key" >/dev/null || fail "keygen"
k region set-key "$T/region.key.pub" >/dev/null || fail "set-key"
for i in 1 2 3; do
	printf 'nope\n' | "$K" --data "$D" --passphrase-fd 0 db check \
	    >/dev/null 2>&1 && fail "wrong passphrase $i accepted"
done
out=$(k db check 2>&1) && fail "locked user let in"
echo "$out" | grep -q 'locked' || fail "lockout not explained: $out"
PASS=new-horse
printf 'new-horse\n' | "$K" --data "$D" --passphrase-fd 0 recover \
    --region-key "$T/region.key" --kdf-ms 5 >/dev/null || fail "recover"
k db check >/dev/null || fail "new passphrase after recovery"

# Export, and restore with the region key elsewhere.
k db export --out "$T/backup.opx" >/dev/null || fail "export"
grep -qa Zulukazi "$T/backup.opx" && fail "export holds clear text"
printf 'restored-pass\n' | "$K" --data "$T/restored" --passphrase-fd 0 \
    db restore --in "$T/backup.opx" --region-key "$T/region.key" \
    --kdf-ms 5 >/dev/null || fail "restore"
printf 'restored-pass\n' | "$K" --data "$T/restored" --passphrase-fd 0 \
    patient find Zulukazi | grep -q Thandiwe || fail "restored data"
"$K" region keygen --out "$T/other.key" >/dev/null
out=$(printf 'x-pass\n' | "$K" --data "$T/r2" --passphrase-fd 0 db restore \
    --in "$T/backup.opx" --region-key "$T/other.key" 2>&1) &&
    fail "restore with the wrong region key"
echo "$out" | grep -q 'does not open this export' || fail "wrong-key message: $out"
exit 0
