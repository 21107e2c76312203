#!/bin/sh
# `kiosk form fill ... --patient ID --save`: the finished record goes into
# the node's encrypted store as that patient's form submission (counted by
# `kiosk db stats`), with the node id as deviceID; an incomplete record
# stores nothing.  Exit 0 pass, 77 skip, 1 fail.
set -u
B=${OUTPOST_BUILD:-build}
K="$B/kiosk"
if [ ! -x "$K" ]; then
	echo "$K not built" >&2
	exit 77
fi
T=$(mktemp -d /tmp/outpost-form-XXXXXX)
trap 'rm -rf "$T"' EXIT
D="$T/node"
PASS=form-test-horse
fail() { echo "FAIL: $*" >&2; exit 1; }
k() { printf '%s\n' "$PASS" | "$K" --data "$D" --passphrase-fd 0 "$@"; }
printf '%s\n%s\n' "$PASS" "$PASS" | "$K" --data "$D" --passphrase-fd 0 \
    init --kdf-ms 5 >/dev/null 2>&1 || fail "init"
pid=$(k patient add --given Amina --family Odhiambo 2>/dev/null) ||
	fail "patient add"
cat >"$T/ok" <<'ANS'
/data/age_months=30
/data/signs/unable_to_drink=no
/data/signs/vomits_everything=no
/data/signs/convulsions=yes
/data/signs/lethargic=no
/data/signs/convulsing_now=no
/data/referral_advised=OK
ANS
k form fill forms/xforms/child_danger_signs.xml --answers "$T/ok" \
    --patient "$pid" --save >"$T/out.xml" 2>"$T/err" || {
	cat "$T/err" >&2; fail "fill --save"; }
grep -q "<danger>yes</danger>" "$T/out.xml" || fail "danger not computed"
node=$(k db stats 2>/dev/null | sed -n 's/^node \([0-9a-f-]*\),.*/\1/p')
grep -q "<deviceID>$node</deviceID>" "$T/out.xml" || fail "deviceID is not the node id"
grep -q "^saved uuid:" "$T/err" || fail "no saved line"
k db stats 2>/dev/null | grep -q "form_submissions *1$" || fail "not stored"
# incomplete: nothing stored
head -n 2 "$T/ok" >"$T/part"
k form fill forms/xforms/child_danger_signs.xml --answers "$T/part" \
    --patient "$pid" --save >/dev/null 2>&1 && fail "incomplete record saved"
k db stats 2>/dev/null | grep -q "form_submissions *1$" || fail "incomplete stored"
"$K" form fill forms/xforms/child_danger_signs.xml --save >/dev/null 2>&1
[ $? -eq 2 ] || fail "--save without --patient is a usage error"
exit 0
