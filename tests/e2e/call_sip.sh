#!/bin/sh
# SIP credentials from enrolment to revocation, through the real programs:
# `admin sip-setup` turns SIP on; two kiosks enrol and get credentials (the
# server's table holds only HA1s); a real Kamailio started from the shipped
# config reads that table; `kiosk call check` registers (real baresip);
# after `admin revoke` the revoked kiosk is refused and the other is not.
set -u
. "$(dirname "$0")/lib.inc"
sync_setup
for t in baresip kamailio; do
	if ! command -v $t >/dev/null; then
		echo "$t missing (make deps)" >&2
		exit 77
	fi
done

free_port() { # a UDP+TCP port free on loopback, 20 in a row
	while :; do
		_p=$(( (($$ * 7919 + $(od -An -tu2 -N2 /dev/urandom)) % 1500) * 20 + 22000 ))
		ss -Haun "sport >= :$_p and sport < :$((_p + 20))" | grep -q . && continue
		ss -Hatn "sport >= :$_p and sport < :$((_p + 20))" | grep -q . && continue
		echo $_p
		return
	done
}
P=$(free_port)
mkdir -p "$T/srv"
# the region's coturn address goes to kiosks with their credentials
# (nothing listens there: a call check only registers)
"$SERVER" --data "$T/srv" admin sip-setup "127.0.0.1:$P" "127.0.0.1:$((P + 19))" \
    >/dev/null || fail "sip-setup"
"$SERVER" --data "$T/srv" admin sip-setup "not a registrar" 2>/dev/null &&
    fail "sip-setup took a bad registrar"
"$SERVER" --data "$T/srv" admin sip-setup "127.0.0.1:$P" "no relay" 2>/dev/null &&
    fail "sip-setup took a bad TURN address"
echo "PASS: sip_setup"
server_start
kiosk_new k1 r1
kiosk_new k2 r1
node() { kiosk "$1" sync status | sed -n 's/^enrolled: node \([0-9]*\),.*/\1/p'; }
n1=$(node k1)
sub=$T/srv/sip/subscriber
# the other line is k2's (node ids are never reused)
n2=$(sed -n 's/^n\([0-9]*\)::.*/\1/p' "$sub" | grep -vx "$n1")
[ -n "$n1" ] && [ -n "$n2" ] || fail "kiosks not enrolled"
[ "$(grep -c "^n$n1::[0-9a-f]\{32\}\$" "$sub")" -eq 1 ] ||
    fail "no HA1 line for node $n1"
[ "$(grep -c "^n$n2::[0-9a-f]\{32\}\$" "$sub")" -eq 1 ] ||
    fail "no HA1 line for node $n2"
[ "$(wc -l <"$sub")" -eq 3 ] || fail "subscriber table: $(cat "$sub")"
echo "PASS: credentials_issued_as_ha1"

setsid kamailio -f sync-server/kamailio/kamailio.cfg -DD -E -n 2 \
    -A "LISTEN=udp:127.0.0.1:$P" -A "DBDIR=\"text://$T/srv/sip\"" \
    -A "CTLSOCK=\"unix:$T/kam.ctl\"" >"$T/kam.log" 2>&1 &
KAM=$!
# its own process group (setsid), stopped as a group: lib.inc's SIGKILL
# to the main process alone would leave its worker children running
kam_stop() { kill -TERM "-$KAM" 2>/dev/null; wait "$KAM" 2>/dev/null; }
trap 'kam_stop; sync_cleanup' EXIT INT TERM
i=0
until ss -Haun "sport = :$P" | grep -q .; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "kamailio did not start: $(tail -n 5 "$T/kam.log")"
	sleep 0.05
done

check() { # kiosk port-offset
	kiosk "$1" call check --sip-port $((P + $2)) --ctrl-port $((P + $2 + 2)) \
	    --rtp-port $((P + 10 + $2)) >"$T/check.out" 2>&1
}
check k1 2 || fail "k1 not registered: $(cat "$T/check.out")"
grep -q "registered as n$n1" "$T/check.out" || fail "k1: $(cat "$T/check.out")"
grep -q "media relay: 127.0.0.1:$((P + 19))" "$T/check.out" ||
    fail "k1 has not the region's TURN relay: $(cat "$T/check.out")"
check k2 5 || fail "k2 not registered: $(cat "$T/check.out")"
echo "PASS: enrolled_kiosks_register"

# coturn's users are the table's HA1 digests (docs/OPERATIONS.md)
"$SERVER" --data "$T/srv" admin sip-turn-users >"$T/turnusers" ||
    fail "sip-turn-users"
for n in "$n1" "$n2"; do
	ha1=$(sed -n "s/^n$n:://p" "$sub")
	grep -qx "user=n$n:0x$ha1" "$T/turnusers" ||
	    fail "no coturn user for node $n: $(cat "$T/turnusers")"
done
[ "$(wc -l <"$T/turnusers")" -eq 2 ] || fail "coturn users: $(cat "$T/turnusers")"
echo "PASS: coturn_users_from_the_table"

# (db_text sees a change by the file's modification time, in seconds:
# the table was last written at k2's enrolment, seconds ago)
"$SERVER" --data "$T/srv" admin revoke "$n1" >/dev/null || fail "revoke"
grep -q "^n$n1:" "$sub" && fail "revoked node $n1 still in the table"
check k1 2 && fail "revoked kiosk k1 registered: $(cat "$T/check.out")"
grep -q "refused" "$T/check.out" || fail "k1's message: $(cat "$T/check.out")"
check k2 5 || fail "k2 refused after k1's revocation: $(cat "$T/check.out")"
echo "PASS: revoked_kiosk_cannot_register"
