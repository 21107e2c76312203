#!/bin/sh
# Issue 9, item 2: one node must not stop sync for its whole region.  A
# rogue node of region north (tests/tools/hlcpoison) pushes changes
# stamped 2^63-1 and ten years ahead, and sends a request HLC of 2^63-1:
# each is refused with clock_ahead (code 15) and an alert, and kiosks b
# and c of the same region go on pushing and pulling, also after a server
# restart.  Before the fix the server stored the change, c merged its
# clock to 2^63-1 and every later request of c was refused.
. tests/e2e/lib.inc
sync_setup
POISON=$B/tests/tools/hlcpoison
[ -x "$POISON" ] || { echo "missing $POISON" >&2; exit 77; }

rows_match() { # a b
	kiosk "$1" sync manifest --tables | sort >"$T/$1.rows"
	kiosk "$2" sync manifest --tables | sort >"$T/$2.rows"
	[ -s "$T/$1.rows" ] || fail "$1 holds no rows"
	cmp -s "$T/$1.rows" "$T/$2.rows" || fail "$1 and $2 hold different rows"
}

both_sync() { # what
	for k in b c b; do
		sync_once $k
		[ "$SYNC_RC" -eq 0 ] || fail "$1: sync $k: $(cat "$T/sync.err")"
	done
	rows_match b c
	for k in b c; do
		kiosk $k sync status >"$T/status" || fail "status $k"
		grep -q '^last error: none' "$T/status" ||
		    fail "$1: $k: $(grep '^last error' "$T/status")"
	done
}

server_start
kiosk_new b north
kiosk_new c north
kiosk b seed --patients 3 --encounters 2 --seed 1 >/dev/null || fail "seed b"
both_sync "before the attack"

tok=$(token north) || fail "token"
"$POISON" "$SRV_PORT" "$tok" max +3650 hdr:max >"$T/poison.out" ||
    fail "hlcpoison"
printf '400 15\n400 15\n400 15\n' >"$T/poison.want"
cmp -s "$T/poison.out" "$T/poison.want" ||
    fail "poisoned pushes not refused with clock_ahead: $(cat "$T/poison.out")"
warnings=$("$SERVER" --data "$T/srv" admin stats --json |
    sed -n 's/.*"warnings":\([0-9]*\).*/\1/p')
[ "${warnings:-0}" -ge 3 ] || fail "no server warning for the poisoned clocks ($warnings)"

kiosk b seed --patients 2 --encounters 1 --seed 2 >/dev/null || fail "seed b"
kiosk c seed --patients 2 --encounters 1 --seed 3 >/dev/null || fail "seed c"
both_sync "after the attack"

server_stop
server_start
kiosk c seed --patients 1 --encounters 1 --seed 4 >/dev/null || fail "seed c"
both_sync "after a server restart"
exit 0
