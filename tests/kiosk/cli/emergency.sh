#!/bin/sh
# `kiosk emergency` (kiosk/cli/cmd_emergency.c) on a node that is not
# enrolled: nothing open, raising and installing a roster refused with what
# to do (phone now; enrol first), unknown codes and a cancel without its
# reason refused; the callback number set, shown, and refused when not
# E.164.  The enrolled paths are tests/e2e/emergency.sh.
set -u
K="${OUTPOST_BUILD:-build}/kiosk"
[ -x "$K" ] || { echo "missing $K (build it first)" >&2; exit 77; }
D=$(mktemp -d /tmp/outpost-emerg-XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
k() { printf 'emerg-pass\n' | "$K" --data "$D/node" --passphrase-fd 0 "$@"; }

printf 'emerg-pass\nemerg-pass\n' | "$K" --data "$D/node" --passphrase-fd 0 \
    init --kdf-ms 5 >/dev/null 2>&1 || fail "init"

out=$(k emergency list 2>"$D/err") || fail "list: $(tail -n 3 "$D/err")"
[ "$out" = "No open emergency" ] || fail "list: $out"

k emergency raise --age 34 --sex F --news2 9 >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" -eq 1 ] || fail "raise without a roster: exit $rc, want 1"
grep -q 'not enrolled' "$D/err" || fail "raise: no reason: $(cat "$D/err")"
grep -q 'call the emergency number by phone' "$D/err" ||
    fail "raise: does not say to phone: $(cat "$D/err")"

printf 'not a roster' >"$D/roster.cbor"
k emergency roster "$D/roster.cbor" >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" -eq 1 ] || fail "roster when not enrolled: exit $rc, want 1"
grep -q 'kiosk enroll first' "$D/err" || fail "roster: $(cat "$D/err")"

k emergency ack 938NKR >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" -eq 1 ] || fail "ack of no incident: exit $rc, want 1"
grep -q 'no open emergency has the code 938NKR' "$D/err" ||
    fail "ack: $(cat "$D/err")"

k emergency cancel 938NKR >"$D/out" 2>"$D/err"
rc=$?
[ "$rc" -eq 2 ] || fail "cancel without --why: exit $rc, want 2"
grep -q -- '--why' "$D/err" || fail "cancel: $(cat "$D/err")"

# the callback number every page gives: E.164 or refused
out=$(k emergency phone 2>/dev/null)
case $out in "No callback number"*) ;; *) fail "phone unset: $out" ;; esac
k emergency phone 0712345678 >"$D/out" 2>"$D/err"
[ $? -eq 2 ] || fail "a local number was taken as the callback"
grep -q 'not an E.164 number' "$D/err" || fail "phone: $(cat "$D/err")"
k emergency phone +254712345678 >/dev/null 2>"$D/err" ||
    fail "phone: $(cat "$D/err")"
[ "$(k emergency phone 2>/dev/null)" = "Callback number +254712345678" ] ||
    fail "phone not kept: $(k emergency phone 2>&1)"

k emergency >"$D/out" 2>"$D/err"
[ $? -eq 2 ] || fail "no subcommand: want the usage (2)"
exit 0
