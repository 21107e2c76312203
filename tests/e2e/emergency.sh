#!/bin/sh
# Emergency escalation end to end with the real programs (issue 16): the
# server signs a kiosk's roster (`sync-server admin roster sign`), the
# enrolled kiosk installs it against the key it pinned at enrolment and
# refuses a tampered and an older one (keeping the good one; expiry is
# tests/kiosk/store/test_emergency.c);
# `kiosk emergency raise` records an incident that pages level 1, `ack`
# (the CHW phoned and they are coming) stops it, `cancel --why` closes it;
# the incident reaches the server by sync as one record (entity 12) and
# one row of its incident table (cancelled); a roster signed with
# `--node N` reaches the kiosk by its next sync (POST /v1/roster).
. tests/e2e/lib.inc
sync_setup
server_start
kiosk_new k north
spec() { # version valid-days
	cat <<EOS
# Gede dispensary
version $1
valid-days $2
site gede-disp -3.30950 40.01730
landmark Gede disp
service watamu-amb 20 -3.3540 40.0190 +254700000002 transport
voice watamu-amb +254711000002
service malindi-ems 35 -3.2192 40.1169 +254700000001 transport,obstetric
service kilifi-ch - -3.6305 39.8499 +254700000003 obstetric
level 300 watamu-amb
level 300 malindi-ems kilifi-ch
loops 5 600
EOS
}
sign() { # version days out
	spec "$1" "$2" >"$T/spec$1"
	"$SERVER" --data "$T/srv" admin roster sign "$T/spec$1" "$3" \
	    >"$T/sign.out" 2>"$T/sign.err"
}
sign 3 30 "$T/r3" || fail "sign: $(cat "$T/sign.err")"
grep -q 'roster version 3 for gede-disp signed: 3 services, 2 levels' \
    "$T/sign.out" || fail "sign said: $(cat "$T/sign.out")"
# a roster nobody on a level can be paged from is not signed
spec 9 30 | sed 's/^level 300 watamu-amb$/level 300 nobody/' >"$T/bad"
"$SERVER" --data "$T/srv" admin roster sign "$T/bad" "$T/rbad" \
    2>"$T/sign.err" && fail "a level naming no service was signed"
grep -q 'unknown service nobody' "$T/sign.err" ||
    fail "sign refusal: $(cat "$T/sign.err")"

kiosk k emergency roster "$T/r3" >/dev/null 2>"$T/err" ||
    fail "install: $(cat "$T/err")"
# tampered: one byte of the landmark changed
sed 's/Gede disp/Gede dusp/' "$T/r3" >"$T/rt"
kiosk k emergency roster "$T/rt" >/dev/null 2>"$T/err" &&
    fail "a tampered roster was installed"
grep -q 'signature does not match' "$T/err" || fail "tamper: $(cat "$T/err")"
sign 2 30 "$T/r2" || fail "sign 2"
kiosk k emergency roster "$T/r2" >/dev/null 2>"$T/err" &&
    fail "an older roster was installed"
grep -q 'older than the one in use (version 3)' "$T/err" ||
    fail "older: $(cat "$T/err")"

out=$(kiosk k emergency raise --age 34 --sex F --news2 9 \
    --vitals "SpO2 84 RR 28 HR 132 BP 88 T39.1 V" 2>"$T/err") ||
    fail "raise: $(cat "$T/err")"
code=$(echo "$out" | sed -n 's/^Emergency \([0-9A-Z]\{6\}\) raised.*/\1/p')
[ -n "$code" ] || fail "raise said: $out"
kiosk k emergency list >"$T/list" 2>&1 || fail "list"
grep -q "^$code  paging .*loop 1 level 1" "$T/list" ||
    fail "list: $(cat "$T/list")"
kiosk k emergency ack "$code" --by chw-phoned --eta 20 >/dev/null \
    2>"$T/err" || fail "ack: $(cat "$T/err")"
grep -q "^$code  acknowledged" "$T/list" 2>/dev/null ||
    kiosk k emergency list | grep -q "^$code  acknowledged" ||
    fail "not acknowledged: $(kiosk k emergency list 2>&1)"
kiosk k emergency ack "$code" >/dev/null 2>"$T/err" &&
    fail "a second yes was taken"
kiosk k emergency cancel "$code" --why "transported by a neighbour" \
    >/dev/null 2>"$T/err" || fail "cancel: $(cat "$T/err")"
[ "$(kiosk k emergency list 2>/dev/null)" = "No open emergency" ] ||
    fail "still open after cancel"

sync_once k
[ "$SYNC_RC" -eq 0 ] || fail "sync: $(cat "$T/sync.err")"
n=$(srv_sql "SELECT count(*) FROM changes WHERE entity = 12" | tail -n 1)
[ "${n:-0}" -ge 1 ] || fail "no emergency change on the server ($n)"
st=$(srv_sql "SELECT code || ' ' || state FROM emerg_incidents" | tail -n 1)
[ "$st" = "$code cancelled" ] || fail "the server's incident: $st"

# roster delivery: version 4 kept for this kiosk, fetched by its sync
node=$(srv_sql "SELECT id FROM nodes" | tail -n 1)
spec 4 30 >"$T/spec4"
"$SERVER" --data "$T/srv" admin roster sign "$T/spec4" "$T/r4" \
    --node "$node" >"$T/sign.out" 2>"$T/sign.err" ||
    fail "sign --node: $(cat "$T/sign.err")"
grep -q 'kept for the node' "$T/sign.out" ||
    fail "sign --node said: $(cat "$T/sign.out")"
sync_once k
[ "$SYNC_RC" -eq 0 ] || fail "sync: $(cat "$T/sync.err")"
kiosk k emergency roster "$T/r3" >/dev/null 2>"$T/err" &&
    fail "version 3 installed over the fetched version 4"
grep -q 'older than the one in use (version 4)' "$T/err" ||
    fail "roster not fetched: $(cat "$T/err")"
exit 0
