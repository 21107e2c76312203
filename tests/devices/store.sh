#!/bin/sh
# Readings into the encrypted store: `kiosk device read --patient` (new
# encounter) and `--encounter` save each plausible value as an
# observation, an implausible one is refused, and `kiosk db check` still
# passes.  Uses the virtual device, so it runs without USB.
set -u
B=${OUTPOST_BUILD:-build}
K="$B/kiosk"
if [ ! -x "$K" ]; then
	echo "$K not built" >&2
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'store-test-passphrase\nstore-test-passphrase\n' >"$tmp/pp"
k() { "$K" --data "$tmp/node" --passphrase-fd 3 "$@" 3<"$tmp/pp"; }
fail() { echo "FAIL: $*" >&2; cat "$tmp/err" >&2 2>/dev/null; exit 1; }

k init --kdf-ms 10 >/dev/null 2>&1 || fail "kiosk init"
pid=$(k patient add --given Ama --family Mensah 2>/dev/null) ||
    fail "patient add"
cat >"$tmp/script" <<'END'
spo2 97 pulse 72
finger-out
sys 120 dia 80 pulse 70 time 2024-05-17T09:30:00 flags stored
sys 80 dia 90
glucose-mmol 5.4
END
export OUTPOST_VIRTUAL_DEVICE="$tmp/script"
k device read --driver virtual --once --json --patient "$pid" \
    >"$tmp/out" 2>"$tmp/err" || fail "device read --patient"
[ "$(wc -l <"$tmp/out")" -eq 6 ] || fail "6 JSON values expected"
grep -q 'reading rejected: dia not below sys' "$tmp/err" ||
    fail "implausible BP not reported"
enc=$(sed -n 's/^encounter //p' "$tmp/err")
[ -n "$enc" ] || fail "no encounter id printed"
k db stats >"$tmp/stats" 2>/dev/null || fail "db stats"
grep -Eq 'observations +6$' "$tmp/stats" || fail "6 observations expected: $(cat "$tmp/stats")"
grep -Eq 'encounters +1$' "$tmp/stats" || fail "1 encounter expected"

# Into the same encounter again: 6 more, no new encounter.
k device read --driver virtual --once --encounter "$enc" \
    >/dev/null 2>"$tmp/err" || fail "device read --encounter"
k db stats >"$tmp/stats" 2>/dev/null
grep -Eq 'observations +12$' "$tmp/stats" || fail "12 observations expected"
grep -Eq 'encounters +1$' "$tmp/stats" || fail "still 1 encounter expected"
k device read --driver virtual --once --encounter no-such-encounter \
    >/dev/null 2>"$tmp/err" && fail "unknown encounter accepted"
k db check >/dev/null 2>"$tmp/err" || fail "db check"
exit 0
