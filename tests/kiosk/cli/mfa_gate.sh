#!/bin/sh
# The second-factor policy on the command line (issue 17; kiosk/kctx.c,
# kiosk/store/mfapolicy.h): once a clinician's or administrator's grace is
# over and they have no second factor, every `kiosk` command that acts as
# them is refused (exit 1) with what to do, `kiosk user mfa enrol NAME`,
# and changes nothing (not even the policy), while they may still see and
# set up their own second factor; a CHW is exempt; commands that need no
# user (`form check`) work.  After enrolment the passphrase and a code
# (oathtool, when installed) let the clinician act again.
set -u
K="${OUTPOST_BUILD:-build}/kiosk"
[ -x "$K" ] || { echo "missing $K (build it first)" >&2; exit 77; }
D=$(mktemp -d /tmp/outpost-mfagate-XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# as USER with PASS: the rest of the line
as() {
	u=$1 p=$2
	shift 2
	printf '%s\n' "$p" | "$K" --data "$D/node" --passphrase-fd 0 --user "$u" "$@"
}

printf 'admin-pass\nadmin-pass\n' | "$K" --data "$D/node" --passphrase-fd 0 \
    init --kdf-ms 5 >/dev/null 2>"$D/err" || fail "init: $(cat "$D/err")"
printf 'admin-pass\ndoc-pass1\n' | "$K" --data "$D/node" --passphrase-fd 0 \
    user add doc --role clinician --kdf-ms 5 >/dev/null 2>&1 || fail "add doc"
printf 'admin-pass\nchw-pass1\n' | "$K" --data "$D/node" --passphrase-fd 0 \
    user add chw1 --role chw --kdf-ms 5 >/dev/null 2>&1 || fail "add chw1"

# within the grace (14 days by default): everyone acts
as admin admin-pass user list >/dev/null 2>"$D/err" ||
    fail "admin refused within the grace: $(cat "$D/err")"
as doc doc-pass1 patient add --given Within --family Grace >/dev/null 2>"$D/err" ||
    fail "doc refused within the grace: $(cat "$D/err")"

# the grace is over now
as admin admin-pass user mfa policy required --grace-days 0 >/dev/null ||
    fail "policy"

# the administrator: refused, told what to do, nothing changed
as admin admin-pass user list >"$D/out" 2>"$D/err" && fail "admin listed users"
grep -q 'user mfa enrol admin' "$D/err" || fail "no way out said: $(cat "$D/err")"
[ -s "$D/out" ] && fail "a refused command printed: $(cat "$D/out")"
as admin admin-pass user mfa policy off >/dev/null 2>&1 &&
    fail "an administrator without a second factor turned the policy off"
as chw1 chw-pass1 user mfa policy | grep -q "required for clinicians" ||
    fail "the policy changed"
as admin admin-pass patient add --given Refused --family Admin >/dev/null 2>&1 &&
    fail "admin added a patient"
as admin admin-pass user mfa enrol doc >/dev/null 2>"$D/err" </dev/null &&
    fail "admin enrolled another user"
grep -q 'user mfa enrol admin' "$D/err" || fail "enrol doc: $(cat "$D/err")"

# the clinician: refused the same way, may see their own status only
as doc doc-pass1 patient find Grace >/dev/null 2>"$D/err" && fail "doc searched"
grep -q 'user mfa enrol doc' "$D/err" || fail "doc: $(cat "$D/err")"
as doc doc-pass1 user mfa status doc 2>"$D/err" | grep -q "doc: no second factor" ||
    fail "doc's own status refused: $(cat "$D/err")"
as doc doc-pass1 user mfa status admin >/dev/null 2>&1 &&
    fail "doc saw another user's status"

# a CHW is exempt; what needs no user works for anyone
as chw1 chw-pass1 patient find Refused 2>/dev/null | grep -q Refused &&
    fail "the refused admin's patient was stored"
as chw1 chw-pass1 patient find Grace 2>"$D/err" | grep -q Grace ||
    fail "chw1 refused: $(cat "$D/err")"
"$K" --data "$D/node" form check forms/xforms/vitals_triage.xml >/dev/null 2>"$D/err" ||
    fail "form check: $(cat "$D/err")"
# the refusals are in the audit log (kiosk db check reads the chain)
as chw1 chw-pass1 db check >/dev/null 2>"$D/err" || fail "db check: $(cat "$D/err")"

echo "PASS: mfa_gate/refused"
if ! command -v oathtool >/dev/null 2>&1; then
	echo "SKIP: mfa_gate/enrolled (oathtool is not installed: apt-get install oathtool)"
	exit 0
fi
# doc enrols (the one command left to them), then acts with a code
. tests/kiosk/cli/totp.inc
totp_enrol "$K" "$D/node" doc doc-pass1 "$D" ||
    fail "enrolment refused: $(cat "$D/enrol.err")"
[ -n "$KEY" ] || fail "no key shown"
CODE=$(oathtool --totp -b -N "now + 30 seconds" "$KEY")
printf 'doc-pass1\n%s\n' "$CODE" | "$K" --data "$D/node" --passphrase-fd 0 \
    --user doc patient find Grace 2>"$D/err" | grep -q Grace ||
    fail "doc refused after enrolment: $(cat "$D/err")"
# the administrator is still held
as admin admin-pass user list >/dev/null 2>&1 && fail "admin let through"
echo "PASS: mfa_gate/enrolled"
exit 0
