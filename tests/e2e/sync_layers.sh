#!/bin/sh
# The kiosk's sync client is a stack of layers (kiosk/sync/sync_int.h):
#
#	thread.c > client.c > apply.c > http.c > state.c
#
# A file may call functions defined in the files below it, never in one
# above it (http.c learns about a stop through a flag its caller passes
# down, not by asking thread.c).  SQL belongs to the store: no sqlite3_
# call and no store_db() in these files or in kiosk/cli/cmd_sync.c
# (apply.c hands decoded records to kiosk/store/pulled.c).
# The checks are first tried on a bad pair of files.
set -u
layers="kiosk/sync/state.c kiosk/sync/http.c kiosk/sync/apply.c
kiosk/sync/client.c kiosk/sync/thread.c"
nosql="kiosk/sync/state.c kiosk/sync/http.c kiosk/sync/apply.c
kiosk/sync/client.c kiosk/sync/thread.c kiosk/cli/cmd_sync.c"

# Functions defined in a file: a name at the start of a line, then "(".
defs() {
	sed -n 's/^\([a-z_][a-z_0-9]*\)(.*/\1/p' "$1" | sort -u
}

# Calls in LOW of functions defined in HIGH ("low: name").
upcalls() { # low high
	for fn in $(defs "$2"); do
		if sed 's|/\*.*\*/||g' "$1" | grep -q "\<$fn("; then
			echo "$1 calls $fn() of $2"
		fi
	done
}

sqlcalls() { # files...
	grep -nE '\<sqlite3_[a-z_0-9]+[[:space:]]*\(|\<store_db[[:space:]]*\(' "$@"
}

t=$(mktemp -d /tmp/outpost-layers.XXXXXX)
trap 'rm -rf "$t"' EXIT
printf 'int\nlow_fn(void)\n{\n\treturn high_fn() + sqlite3_step(st);\n}\n' \
    >"$t/low.c"
printf 'int\nhigh_fn(void)\n{\n\treturn low_fn();\n}\n' >"$t/high.c"
[ -n "$(upcalls "$t/low.c" "$t/high.c")" ] &&
    [ -n "$(sqlcalls "$t/low.c")" ] && [ -z "$(sqlcalls "$t/high.c")" ] ||
    { echo "FAIL: the checks miss a planted up-call or SQL call" >&2; exit 1; }

rc=0
for f in $layers $nosql; do
	[ -s "$f" ] || { echo "FAIL: $f is missing" >&2; exit 1; }
done
i=0
for low in $layers; do
	i=$((i + 1))
	j=0
	for high in $layers; do
		j=$((j + 1))
		[ $j -gt $i ] || continue
		out=$(upcalls "$low" "$high")
		if [ -n "$out" ]; then
			echo "FAIL: $out" >&2
			rc=1
		fi
	done
done
out=$(sqlcalls $nosql)
if [ -n "$out" ]; then
	echo "FAIL: SQL outside the store:" >&2
	echo "$out" >&2
	rc=1
fi
[ $rc -eq 0 ] && echo "sync_layers: no up-calls, no SQL in the sync client"
exit $rc
