#!/bin/sh
# The tree's layering rules (issue 8; docs/ARCHITECTURE.md), checked on the
# sources as they are:
#   1. no sqlite3_ call outside kiosk/store/ and sync-server/store/;
#   2. no table or index created outside the numbered migrations
#      (kiosk/store/schema.c, sync-server/store/);
#   3. no cycle between units: a unit is a folder, except that each file
#      directly in kiosk/ or sync-server/ is a unit of its own (main.c sits
#      above everything, kctx.c below the command line and the screens).
#      A symbol one object uses and another defines (nm on the build) is
#      an edge; a cycle fails, naming the units and the symbol.
# Production code only: tests/ and bench/ may reach into any layer.
set -u
cd "${OUTPOST_SRC:-.}"
rc=0
dirs="common model clinical escalate forms devices kiosk sync-server"
files=$(find $dirs -name '*.[ch]' | sort)

echo "== sqlite3 outside the stores"
bad=$(grep -ln 'sqlite3_[a-z_]*[[:space:]]*(' $files |
    grep -v '^kiosk/store/' | grep -v '^sync-server/store/')
if [ -n "$bad" ]; then
	echo "FAIL: sqlite3 calls in: $bad"
	rc=1
else
	echo "PASS: sqlite3_only_in_stores"
fi

echo "== tables outside migrations"
bad=$(grep -lnE 'CREATE[[:space:]]+(TABLE|INDEX|UNIQUE INDEX|TRIGGER)' $files |
    grep -v '^kiosk/store/schema\.c$' | grep -v '^sync-server/store/')
if [ -n "$bad" ]; then
	echo "FAIL: schema created outside migrations in: $bad"
	rc=1
else
	echo "PASS: schema_only_in_migrations"
fi

echo "== cycles between units"
# The references between compiled objects (nm: what each object uses and
# what it defines), so calls through a header declared elsewhere count.
B=${OUTPOST_BUILD:-build}
objs=$(cd "$B/obj" 2>/dev/null && find $dirs -name '*.o' | sort)
if [ -z "$objs" ]; then
	echo "SKIP: no_cycles_between_units: no objects under $B/obj (build first)"
	exit $rc
fi
for o in $objs; do
	nm -P --defined-only "$B/obj/$o" 2>/dev/null |
	    awk -v o="$o" '$2 ~ /^[TDRB]$/ { print "D", o, $1 }'
	nm -P -u "$B/obj/$o" 2>/dev/null | awk -v o="$o" '{ print "U", o, $1 }'
done | awk '
function unit(p,   d, n, a, i) {
	sub(/\.o$/, "", p)
	n = split(p, a, "/")
	if (n == 2 && (a[1] == "kiosk" || a[1] == "sync-server"))
		return p
	d = a[1]
	for (i = 2; i < n; i++)
		d = d "/" a[i]
	return d
}
$1 == "D" { def[$3] = $2; next }
$1 == "U" { nu++; uo[nu] = $2; us[nu] = $3 }
END {
	for (i = 1; i <= nu; i++) {
		if (!(us[i] in def)) continue
		u = unit(uo[i]); v = unit(def[us[i]])
		if (u == v) continue
		if (!((u, v) in edge)) {
			edge[u, v] = 1
			why[u, v] = uo[i] " uses " us[i] " from " def[us[i]]
		}
		nodes[u] = 1; nodes[v] = 1
	}
	for (e in edge) reach[e] = 1
	for (k in nodes) for (i in nodes) if ((i, k) in reach)
		for (j in nodes) if ((k, j) in reach) reach[i, j] = 1
	bad = 0
	for (e in edge) {
		split(e, p, SUBSEP)
		if ((p[2], p[1]) in reach) {
			print "  cycle through " p[1] " -> " p[2] ": " why[e]
			bad = 1
		}
	}
	n = 0; for (e in edge) n++
	if (bad) print "FAIL: no_cycles_between_units"
	else print "PASS: no_cycles_between_units (" n " edges between units)"
	exit bad
}' || rc=1
exit $rc
