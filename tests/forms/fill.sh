#!/bin/sh
# `kiosk form check` and `kiosk form fill` on fixture forms: the submission
# XML for a complete answer file (volatile meta values masked), every
# failed required/constraint message (in English and in French) with a
# non-zero exit, a refused form with its line number, warnings listed.
# Exit 0 pass, 77 skip, 1 fail.
set -u
B=${OUTPOST_BUILD:-build}
K="$B/kiosk"
F=tests/forms/fixtures
if [ ! -x "$K" ]; then
	echo "$K not built" >&2
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# 1. a complete record
if ! "$K" --user nurse.amina form fill "$F/basic.xml" \
    --answers "$F/basic_ok.answers" >"$tmp/ok.xml" 2>"$tmp/ok.err"; then
	bad "fill basic_ok exited non-zero"
	cat "$tmp/ok.err" >&2
fi
sed -e 's|<instanceID>uuid:[0-9a-f-]\{36\}</instanceID>|<instanceID>UUID</instanceID>|' \
    -e 's|<\(time[A-Za-z]*\)>[0-9]\{4\}-[0-9-]*T[0-9:.]*[+-][0-9:]*</|<\1>TIME</|' \
    -e 's|<deviceID>[^<]*</deviceID>|<deviceID>DEVICE</deviceID>|' \
    "$tmp/ok.xml" >"$tmp/ok.masked"
if ! diff -u "$F/basic_ok.expected" "$tmp/ok.masked" >&2; then
	bad "basic_ok submission differs"
fi

# 2. wrong answers: every message, non-zero exit, nothing on stdout
if "$K" form fill "$F/basic.xml" --answers "$F/basic_bad.answers" \
    >"$tmp/bad.out" 2>"$tmp/bad.err"; then
	bad "fill basic_bad succeeded"
fi
[ -s "$tmp/bad.out" ] && bad "basic_bad printed a submission"
for want in "/data/age: Age must be 0 to 120" \
    "/data/name: Name is needed" \
    "/data/dob: Sorry, this response is invalid." \
    "/data/weight: \"heavy\" is not a number" \
    "/data/child[1]/cname: Sorry, this response is required."; do
	grep -qF "$want" "$tmp/bad.err" || bad "missing message: $want"
done
# non-relevant questions are not required: pregnant is for sex=f only
grep -q "/data/pregnant" "$tmp/bad.err" && bad "non-relevant question reported"

# 3. the same in French
"$K" form fill "$F/basic.xml" --lang Français --answers "$F/basic_bad.answers" \
    >/dev/null 2>"$tmp/fr.err"
grep -qF "/data/age: L'âge doit être entre 0 et 120" "$tmp/fr.err" ||
	bad "French constraint message missing"
grep -qF "/data/child[1]/cname: Désolé, cette réponse est obligatoire." \
    "$tmp/fr.err" || bad "French default required message missing"
grep -qF "/data/weight: « heavy » n'est pas un nombre" "$tmp/fr.err" ||
	bad "French entry message missing"
printf '/data/age_months=30\n/data/signs/unable_to_drink=yes\n' >"$tmp/sw.ans"
"$K" form fill forms/xforms/child_danger_signs.xml --lang Kiswahili \
    --answers "$tmp/sw.ans" >/dev/null 2>"$tmp/sw.err" && bad "sw fill passed"
grep -qF "/data/referral_advised: Samahani, jibu hili linahitajika." \
    "$tmp/sw.err" || bad "Swahili default required message missing"
"$K" form fill "$F/basic.xml" --lang Klingon >/dev/null 2>&1 &&
	bad "unknown language accepted"

# 4. refused with the line number; warnings listed
if "$K" form check "$F/refused.xml" >"$tmp/ref.out" 2>"$tmp/ref.err"; then
	bad "refused.xml was accepted"
fi
grep -q "refused: line 11: cht:extension-lib() is refused: it runs JavaScript" "$tmp/ref.err" ||
	{ bad "refusal reason"; cat "$tmp/ref.err" >&2; }
"$K" form check "$F/warned.xml" >"$tmp/w.out" 2>&1 || bad "warned.xml refused"
grep -q "warnings: 3" "$tmp/w.out" || { bad "warning count"; cat "$tmp/w.out" >&2; }
grep -q "line 15: upload" "$tmp/w.out" || bad "upload warning"
grep -q "line 16: appearance \"signature\"" "$tmp/w.out" || bad "appearance warning"
"$K" form check --strict "$F/warned.xml" >/dev/null 2>&1 && bad "--strict passed warnings"
"$K" form check /nonexistent.xml >/dev/null 2>&1 && bad "missing file accepted"
"$K" form bogus >/dev/null 2>&1
[ $? -eq 2 ] || bad "usage error exit status"

# 5. a shipped form filled end to end, repeats added by jr:count
cat >"$tmp/anc.answers" <<'ANS'
/data/visit_number=2
/data/gravida=3
/data/previous[1]/outcome=live_birth
/data/previous[2]/outcome=miscarriage
/data/exam/sbp=150
/data/exam/dbp=100
/data/exam/urine_protein=plus2
/data/exam/haemoglobin=10,2
/data/danger_signs=headache_vision
ANS
lmp=$(date -d '-143 days' +%Y-%m-%d 2>/dev/null) || lmp=""
if [ -n "$lmp" ]; then
	echo "/data/lmp=$lmp" >>"$tmp/anc.answers"
	if ! "$K" form fill forms/xforms/antenatal_visit.xml \
	    --answers "$tmp/anc.answers" >"$tmp/anc.xml" 2>"$tmp/anc.err"; then
		bad "antenatal fill"
		cat "$tmp/anc.err" >&2
	fi
	for want in "<gest_weeks>20</gest_weeks>" "<hypertension>yes</hypertension>" \
	    "<outcome>miscarriage</outcome>" "<haemoglobin loinc=\"718-7\" unit=\"g/dL\">10.2</haemoglobin>" \
	    "<fetal_heart_rate"; do
		grep -qF "$want" "$tmp/anc.xml" || bad "antenatal record lacks $want"
	done
	[ "$(grep -c '<previous>' "$tmp/anc.xml")" -eq 2 ] || bad "jr:count repeats"
fi
exit $fail
