#!/bin/sh
# Issue 9 (Low, leak): `kiosk patient find` with no match freed nothing of
# the empty result (112 bytes).  Run it under LeakSanitizer (the build/san
# binaries of make check) or, for a build without sanitizers, valgrind;
# skipped when neither can see leaks.
set -u
K="${OUTPOST_BUILD:-build}/kiosk"
[ -x "$K" ] || { echo "missing $K (build it first)" >&2; exit 77; }
if grep -q __asan_init "$K" 2>/dev/null; then
	RUN=""
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
elif command -v valgrind >/dev/null; then
	RUN="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
else
	echo "no sanitizer build and no valgrind: cannot see leaks" >&2
	exit 77
fi
D=$(mktemp -d /tmp/outpost-find-XXXXXX)
trap 'rm -rf "$D"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
k() { printf 'find-pass\n' | $RUN "$K" --data "$D/node" --passphrase-fd 0 "$@"; }

printf 'find-pass\nfind-pass\n' | "$K" --data "$D/node" --passphrase-fd 0 \
    init --kdf-ms 5 >/dev/null 2>&1 || fail "init"
k seed --patients 3 --encounters 0 >/dev/null 2>&1 || fail "seed"

# No match: exit 1 with the hint, and nothing leaked.
out=$(k patient find Zzyzxqwv 2>"$D/err")
rc=$?
grep -Eq 'LeakSanitizer|definitely lost|indirectly lost' "$D/err" &&
    fail "leak on a search with no match: $(grep -E 'SUMMARY|lost' "$D/err")"
[ "$rc" -eq 1 ] || fail "no match: exit $rc, want 1: $(tail -n 3 "$D/err")"
echo "$out" | grep -q 'No patient matches' || fail "no hint: $out"

# A match still lists and leaks nothing.
k patient add --given Amani --family Leakfree >/dev/null 2>"$D/err" ||
    fail "add: $(tail -n 3 "$D/err")"
out=$(k patient find Leakfree 2>"$D/err") ||
    fail "find: $(tail -n 3 "$D/err")"
echo "$out" | grep -q Leakfree || fail "match not listed: $out"
exit 0
