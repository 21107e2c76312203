#!/bin/sh
# make bench: every benchmark, each printing figures and ratios against a
# baseline measured in the same run.  Not part of make check.
set -eu
B=${OUTPOST_BUILD:-build}
T=$(mktemp -d /tmp/outpost-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT

# bench/store: the same store code on SQLCipher and on plain SQLite,
# interleaved three times each; medians compared.
echo "== bench/store: $B/bench/store_sqlcipher vs $B/bench/store_plain"
P=${STORE_PATIENTS:-2000} E=${STORE_ENCOUNTERS:-1000}
for r in 1 2 3; do
	for v in plain sqlcipher; do
		rm -rf "$T/$v"; mkdir "$T/$v"
		"$B/bench/store_$v" "$T/$v" "$P" "$E" | tee -a "$T/store_$v.txt"
	done
done
awk -v P="$T/store_plain.txt" -v C="$T/store_sqlcipher.txt" '
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
	pp = median(P, "save_p99_ms"); cp = median(C, "save_p99_ms")
	printf "store save: sqlcipher %.0f/s, plain %.0f/s; overhead %+.1f%% (p99 %.2f vs %.2f ms)\n", cs, ps, (ps / cs - 1) * 100, cp, pp
	printf "store read: sqlcipher %.1f ms, plain %.1f ms; overhead %+.1f%%\n", cr, pr, (cr / pr - 1) * 100
	printf "target: overhead at most 15%% (perf-reliability.md G-21)\n"
}'
for extra in bench/*.sh; do
	[ -e "$extra" ] || continue
	case "$extra" in bench/run.sh) continue ;; esac
	echo "== $extra"
	OUTPOST_BUILD="$B" sh "$extra"
done
