#!/bin/sh
# Every form shipped in forms/xforms/ loads with `kiosk form check
# --strict`: no refusal and no warning.  Exit 0 pass, 77 skip, 1 fail.
set -u
B=${OUTPOST_BUILD:-build}
K="$B/kiosk"
if [ ! -x "$K" ]; then
	echo "$K not built" >&2
	exit 77
fi
n=0 fail=0
for f in forms/xforms/*.xml; do
	n=$((n + 1))
	if ! out=$("$K" form check --strict "$f" 2>&1); then
		echo "FAIL: $f" >&2
		echo "$out" >&2
		fail=1
		continue
	fi
	case $out in
	*"warnings: 0"*"languages:"*|*"languages:"*"warnings: 0"*) ;;
	*) echo "FAIL: $f: unexpected summary" >&2; echo "$out" >&2; fail=1 ;;
	esac
	# every shipped form is bilingual
	case $out in
	*"English"*"Français"*) ;;
	*) echo "FAIL: $f: not English and French" >&2; fail=1 ;;
	esac
done
if [ "$n" -lt 6 ]; then
	echo "FAIL: expected six shipped forms, found $n" >&2
	fail=1
fi
exit $fail
