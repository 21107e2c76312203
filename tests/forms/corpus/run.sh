#!/bin/sh
# Load every form gathered by gather.sh with `kiosk form check` (release
# build: make) and report: per source repository the forms that load
# clean, load with warnings, are refused, or crash; the refusal reasons
# by count; the slowest loads.  Run by hand, never by make check.
#
#   sh tests/forms/corpus/gather.sh && sh tests/forms/corpus/run.sh
#
# Each form is loaded in its own process (timeout 60 s), timed from the
# outside (the process's whole run: start-up, parse, compile).
set -u
B=${OUTPOST_BUILD:-build}
K="$B/kiosk"
C=${CORPUS:-/tmp/outpost-xform-corpus}
if [ ! -x "$K" ] || [ ! -d "$C/forms" ]; then
	echo "run: needs $K (make) and $C (gather.sh)" >&2
	exit 77
fi
R="$C/results"
: >"$R"
for f in "$C"/forms/*.xml; do
	sum=$(basename "$f" .xml)
	t0=$(date +%s%N)
	timeout 60 "$K" form check "$f" >"$C/out" 2>"$C/err"
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	if [ "$rc" -eq 0 ]; then
		w=$(sed -n 's/^warnings: //p' "$C/out")
		[ "${w:-0}" -eq 0 ] && st=clean || st=warnings
		why=-
	elif [ "$rc" -eq 1 ] && grep -q 'refused' "$C/err"; then
		st=refused
		# the reason without line numbers or the expression's text
		why=$(sed -n 's/.*refused: line [0-9]*: //p' "$C/err" |
		    sed -e 's/ at offset.*//' -e 's/"[^"]*"/"…"/g' |
		    head -1 | cut -c1-90)
	else
		st=crash
		why="exit $rc: $(head -c 80 "$C/err" | tr '\n' ' ')"
	fi
	src=$(grep -m1 "^$sum	" "$C/SOURCES" | cut -f2)
	printf '%s\t%s\t%s\t%s\t%s\n' "$sum" "$src" "$st" "$ms" "$why" >>"$R"
done
rm -f "$C/out" "$C/err"
echo "| source | forms | clean | warnings | refused | crashed | loaded |"
echo "|---|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '
{ n[$2]++; s[$2, $3]++; N++; S[$3]++ }
END {
	for (r in n) {
		l = s[r, "clean"] + s[r, "warnings"]
		printf "| %s | %d | %d | %d | %d | %d | %.1f%% |\n", r, n[r],
		    s[r, "clean"], s[r, "warnings"], s[r, "refused"],
		    s[r, "crash"], 100 * l / n[r]
	}
	l = S["clean"] + S["warnings"]
	printf "| **all** | %d | %d | %d | %d | %d | **%.1f%%** |\n", N,
	    S["clean"], S["warnings"], S["refused"], S["crash"], 100 * l / N
}' "$R" | sort
echo
echo "Refusals by reason:"
awk -F'\t' '$3 == "refused" { print $5 }' "$R" | sort | uniq -c | sort -rn
echo
echo "Slowest loads (ms, whole process):"
sort -t'	' -k4 -rn "$R" | head -5 | awk -F'\t' '{ print $4, $2, $1 }'
