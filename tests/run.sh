#!/bin/sh
# Run the whole suite against $OUTPOST_BUILD (build/san under make check):
# every test program under $OUTPOST_BUILD/tests/*/, every tests/*/*.sh
# script, and every fuzz corpus replay, two at a time (OUTPOST_TEST_JOBS;
# SERIAL below run alone).  Programs print PASS:/FAIL:/SKIP:
# lines (tests/test.h); a script that prints none counts as one test by its
# exit status (0 pass, 77 skip with its last stderr line as the reason).
# Ends with one line: "N passed, N failed[, N skipped]".
set -u
B=${OUTPOST_BUILD:-build}
export OUTPOST_BUILD="$B"
export OUTPOST_SRC="$(pwd)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
logdir="$B/test-logs"
start=$(date +%s)
rm -rf "$logdir"; mkdir -p "$logdir"
pass=0 fail=0 skip=0
failed_names=""

count() { # name, exit status, output file
	name=$1 rc=$2 out=$3
	p=$(grep -c '^PASS: ' "$out"); f=$(grep -c '^FAIL: ' "$out")
	s=$(grep -c '^SKIP: ' "$out")
	grep -E '^(FAIL|SKIP): ' "$out" | sed "s|^|  $name: |"
	if [ $((p + f + s)) -eq 0 ]; then
		case $rc in
		0) p=1 ;;
		77) s=1; echo "  SKIP: $name: $(tail -n 1 "$out.err" 2>/dev/null)" ;;
		*) f=1 ;;
		esac
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or a sanitizer fired after the last case
	fi
	if [ "$f" -gt 0 ]; then
		failed_names="$failed_names $name"
		echo "  FAILED: $name (exit $rc); output:"
		# a script may report on stdout: its last lines too
		grep -Ev '^(PASS|SKIP): ' "$out" | tail -n 20 | sed 's/^/    /'
		tail -n 40 "$out.err" | sed 's/^/    /'
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# Every test as one line "name command...", in order.
list="$logdir/list"
: >"$list"
for t in $(find "$B/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
	echo "${t#$B/} $t" >>"$list"
done
# tests/deb/ is make check-deb's (Debian packages in a chroot: minutes).
for s in $(find tests -mindepth 2 -name '*.sh' -not -path 'tests/tools/*' \
    -not -path 'tests/fuzz/*' -not -path 'tests/deb/*' | sort); do
	echo "$s sh $s" >>"$list"
done
for r in $(find "$B/fuzz" -type f -name '*_replay' 2>/dev/null | sort); do
	n=$(basename "$r" _replay)
	echo "fuzz/$n $r tests/fuzz/corpus/$n" >>"$list"
done

# OUTPOST_TEST_JOBS tests at once (default 2: most wait on servers,
# sockets and timers); those that measure time, CPU or bandwidth, or load
# the machine on purpose, run alone afterwards.
SERIAL='^(tests/tui/idle_cpu.sh|tests/e2e/flood[a-z_]*.sh|tests/e2e/memory.sh|tests/kiosk/call/test_call_ladder|tests/sync-server/store/test_backend|tests/e2e/slow_link.sh) '
export LOGDIR="$logdir"
grep -Ev "$SERIAL" "$list" |
    xargs -L 1 -P "${OUTPOST_TEST_JOBS:-2}" sh tests/run_one.sh
grep -E "$SERIAL" "$list" | xargs -L 1 -P 1 sh tests/run_one.sh
while read -r name cmd; do
	out="$logdir/$(echo "$name" | tr '/' '_').log"
	count "$name" "$(cat "$out.rc" 2>/dev/null || echo 1)" "$out"
done <"$list"

# where the time went (CI's budget: make check under 20 minutes)
echo "slowest (seconds):"
sort -rn "$logdir/times" | head -n 12 | sed 's/^/  /'
echo "total: $(awk '{ s += $1 } END { print s }' "$logdir/times") s in tests," \
    "$(($(date +%s) - start)) s of wall time"
[ -n "$failed_names" ] && echo "failed:$failed_names"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
