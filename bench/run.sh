#!/bin/sh
# make bench: every benchmark, each printing figures and ratios against a
# baseline measured in the same run.  Not part of make check.
set -eu
B=${OUTPOST_BUILD:-build}
T=$(mktemp -d /tmp/outpost-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT

# bench/store: the same store code on SQLCipher and on plain SQLite,
# interleaved five times each; medians compared.  Run twice: on the disk
# (synchronous=FULL, so fsync latency is in every save) and, where there
# is one, on a tmpfs (no fsync cost: what encryption alone costs in CPU).
store_bench() { # dir-for-data label
	P=${STORE_PATIENTS:-2000} E=${STORE_ENCOUNTERS:-1000}
	W=$(mktemp -d "$1/outpost-bench-XXXXXX")
	rm -f "$T/store_plain.txt" "$T/store_sqlcipher.txt"
	for r in 1 2 3 4 5; do
		for v in plain sqlcipher; do
			rm -rf "$W/$v"; mkdir "$W/$v"
			"$B/bench/store_$v" "$W/$v" "$P" "$E" >>"$T/store_$v.txt"
		done
	done
	rm -rf "$W"
	awk -v P="$T/store_plain.txt" -v C="$T/store_sqlcipher.txt" -v L="$2" '
function field(line, k,   i, n, a, kv) {
	n = split(line, a, " ")
	for (i = 1; i <= n; i++) { split(a[i], kv, "="); if (kv[1] == k) return kv[2] }
}
function median(file, k,   v, n, line, i, j, t) {
	n = 0
	while ((getline line < file) > 0) v[++n] = field(line, k) + 0
	close(file)
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return v[int((n + 1) / 2)]
}
BEGIN {
	ps = median(P, "save_per_s"); cs = median(C, "save_per_s")
	pr = median(P, "read_ms"); cr = median(C, "read_ms")
	pp = median(P, "save_p50_ms"); cp = median(C, "save_p50_ms")
	printf "%s: save sqlcipher %.0f/s, plain %.0f/s: overhead %+.1f%% (p50 %.2f vs %.2f ms)\n", L, cs, ps, (ps / cs - 1) * 100, cp, pp
	printf "%s: read sqlcipher %.1f ms, plain %.1f ms: overhead %+.1f%%\n", L, cr, pr, (cr / pr - 1) * 100
}'
}
echo "== bench/store: $B/bench/store_sqlcipher vs $B/bench/store_plain (medians of 5)"
store_bench "${TMPDIR:-/tmp}" "disk"
[ -d /dev/shm ] && store_bench /dev/shm "tmpfs"
echo "target: overhead at most 15% (perf-reliability.md G-21)"

echo "== bench/kdf: one unlock, and one guess of a thief with the keyring"
"$B/bench/kdf"

echo "== bench/forms_list: a form with a 30,000-item choice list (issue 11)"
"$B/bench/forms_list" 30000 3
echo "target: under 1 s (the quadratic walk took 6 s for 16,000 items)"

for extra in bench/*.sh; do
	[ -e "$extra" ] || continue
	case "$extra" in bench/run.sh) continue ;; esac
	echo "== $extra"
	OUTPOST_BUILD="$B" sh "$extra"
done
