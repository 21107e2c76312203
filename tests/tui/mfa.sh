#!/bin/sh
# The second factor at unlock (issue 17): `kiosk user mfa enrol` shows a
# QR code and the key, takes a first code (from oathtool, an independent
# RFC 6238 implementation) and prints ten recovery codes; the unlock
# screen then asks for a code, refuses a wrong one like a wrong passphrase
# (counted, without saying which was wrong), and unlocks with the right
# one; the command line refuses the passphrase alone and a code used
# before, and takes a recovery code once.
. tests/tui/lib.inc

command -v oathtool >/dev/null 2>&1 ||
	{ echo "oathtool is not installed (apt-get install oathtool)" >&2; exit 77; }

make_node
# a wrong first code saves nothing
printf 'pass-word\n000000\n' | "$KIOSK" --data "$NODE" --passphrase-fd 0 \
    user mfa enrol admin >/dev/null 2>"$T/bad.err" && fail "a wrong first code enrolled"
grep -q "nothing was saved" "$T/bad.err" || fail "wrong first code: no reason"
cli user mfa status admin | grep -q "no second factor" || fail "status before"
# enrol: the passphrase, then (once the key is shown) the first code
. tests/kiosk/cli/totp.inc
totp_enrol "$KIOSK" "$NODE" admin pass-word "$T" ||
    { cat "$T/enrol.err" >&2; fail "enrolment failed"; }
[ -n "$KEY" ] || fail "no key shown"
# the QR code (half blocks) and the otpauth URI's key, ten recovery codes
grep -q '▄' "$T/enrol.out" || fail "no QR code drawn"
[ "$(grep -c '^ *[0-9]*\. [2-9A-Z]\{5\}-[2-9A-Z]\{5\}$' "$T/enrol.out")" = 10 ] ||
	fail "not ten recovery codes"
REC1=$(sed -n 's/^ *1\. //p' "$T/enrol.out")
REC2=$(sed -n 's/^ *2\. //p' "$T/enrol.out")
# from now on the passphrase alone opens nothing
cli user mfa status admin >/dev/null 2>"$T/st.err" && fail "no code asked after enrolment"
grep -q "no code given" "$T/st.err" || fail "after enrolment: no reason"

start "$KIOSK" --data "$NODE" ui --idle-lock 0
wait_for "This kiosk is locked."
type_text "pass-word"
keys Enter
expect_screen unlock-code "6 digits from your authenticator app"
# a wrong code: refused like a wrong passphrase, counted
type_text "123456"
keys Enter
wait_for "wrong passphrase or code"
wait_for "1 of 10 tries used"
# the next code (+30 s: inside the window, after the enrolment's) unlocks
CODE=$(oathtool --totp -b -N "now + 30 seconds" "$KEY")
type_text "pass-word"
keys Enter
wait_for "Type the code from your authenticator app."
type_text "$CODE"
keys Enter
WAIT_S=15 wait_for "Unlocked. Welcome, admin."
quit_kiosk

# the command line: an empty code is refused
printf 'pass-word\n\n' | "$KIOSK" --data "$NODE" --passphrase-fd 0 \
    user mfa status admin >/dev/null 2>"$T/cli.err" && fail "unlocked without a code"
grep -q "also needs the code" "$T/cli.err" || fail "empty code: no reason"
# the code the screen used: refused (never twice)
printf 'pass-word\n%s\n' "$CODE" | "$KIOSK" --data "$NODE" --passphrase-fd 0 \
    user mfa status admin >/dev/null 2>"$T/cli.err" && fail "a code was accepted twice"
grep -q "wrong passphrase or code" "$T/cli.err" || fail "replay: no reason"
# a recovery code, typed in lower case: once
printf 'pass-word\n%s\n' "$(echo "$REC1" | tr 'A-Z' 'a-z')" |
    "$KIOSK" --data "$NODE" --passphrase-fd 0 user mfa status admin \
    >"$T/rec.out" 2>"$T/rec.err" || { cat "$T/rec.err" >&2; fail "recovery code refused"; }
grep -q "9 left" "$T/rec.err" || fail "recovery code: no count left"
grep -q "9 recovery codes left" "$T/rec.out" || fail "status after a recovery code"
printf 'pass-word\n%s\n' "$REC1" | "$KIOSK" --data "$NODE" --passphrase-fd 0 \
    user mfa status admin >/dev/null 2>&1 && fail "a recovery code worked twice"
printf 'pass-word\n%s\n' "$REC2" | "$KIOSK" --data "$NODE" --passphrase-fd 0 \
    user mfa remove admin >/dev/null 2>"$T/rm.err" || { cat "$T/rm.err" >&2; fail "remove"; }
cli user mfa status admin | grep -q "no second factor" || fail "status after removal"
# neither the key nor a recovery code reached the log
grep -q -e "$KEY" -e "$REC1" "$NODE/kiosk.log" && fail "a secret in the log"
exit 0
