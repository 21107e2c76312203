#!/bin/sh
# Referrals end to end (issue 14): two clinic kiosks of different
# facilities and a real sync-server on loopback.  A CHW at fac-a refers a
# patient to fac-b; fac-b's kiosk receives the referral with the patient
# and their visit (it had never seen them), marks it received on its own,
# accepts it and marks it seen; the referring kiosk sees each status.  A
# second referral passes its due-by unseen: the CHW gets a follow-up and
# records the outcome.  A third is rejected with a reason.  Each side is
# refused the other's steps.  A clinician at a hub refers from the consult
# that brought the patient there (and not without one).  The server's
# numbers (admin referrals) and manifests (every change once) match.
. tests/e2e/lib.inc
sync_setup
server_start

clinic_new() { # name facility
	kiosk "$1" init --kdf-ms 5 >/dev/null 2>&1 || fail "init $1"
	_t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
	    --region north --facility "$2") || fail "token $2"
	kiosk "$1" enroll --server "http://127.0.0.1:$SRV_PORT" --token "$_t" \
	    --insecure-http >/dev/null || fail "enrol $1"
	kiosk "$1" user add "chw-$1" --role chw --kdf-ms 5 >/dev/null ||
	    fail "chw on $1"
}
clinic_new a fac-a
clinic_new b fac-b
A() { kiosk a --user chw-a "$@"; }
B() { kiosk b --user chw-b "$@"; }

P=$(A patient add --given Ama --family Mensah --sex F --birth-date 1990) ||
    fail "patient"
# a visit of hers at fac-a (the history fac-b must receive)
C=$(A consult request --patient "$P" --reason "cough three weeks") ||
    fail "visit"
# bad input says what is wrong, and refers nothing
out=$(A referral new --patient "$P" --to fac-a --reason x 2>&1) &&
    fail "referred to its own facility"
echo "$out" | grep -q "another facility" || fail "own facility: $out"
out=$(A referral new --patient "$P" --to fac-b --reason x --urgency soon \
    2>&1) && fail "urgency soon taken"
echo "$out" | grep -q "routine, urgent, asap or stat" || fail "urgency: $out"
out=$(kiosk a referral new --patient "$P" --to fac-b --reason x 2>&1) &&
    fail "an administrator referred"
echo "$out" | grep -q "health worker or a clinician" || fail "admin: $out"
[ -z "$(A referral list outgoing)" ] || fail "a refused referral was kept"

R1=$(A referral new --patient "$P" --to fac-b --reason "suspected TB" \
    --urgency urgent --due-days 3 --visit "$C") || fail "refer 1"
R2=$(A referral new --patient "$P" --to fac-b --reason "x-ray" \
    --due-seconds 2) || fail "refer 2"
R3=$(A referral new --patient "$P" --to fac-b --reason "eye clinic") ||
    fail "refer 3"
A referral list outgoing | grep -q "^$R1 requested fac-a->fac-b urgent" ||
    fail "outgoing: $(A referral list outgoing)"

# fac-b had never seen her: the referral brings her and her visit
B patient find Mensah | grep -q "$P" && fail "fac-b had the patient before"
A sync --once >/dev/null || fail "a sync 1"
B sync --once >/dev/null || fail "b sync 1"
B patient find Mensah | grep -q "$P" || fail "fac-b did not get the patient"
B referral list incoming >"$T/in" || fail "incoming"
[ "$(wc -l <"$T/in")" -eq 3 ] || fail "incoming: $(cat "$T/in")"
grep -q "^$R1 received fac-a->fac-b urgent .*\"suspected TB\"" "$T/in" ||
    fail "R1 not received: $(cat "$T/in")"
# the referring side cannot accept, the target cannot cancel
A referral accept "$R1" 2>"$T/err" && fail "fac-a accepted its own referral"
grep -q "only the facility it is referred to" "$T/err" ||
    fail "side: $(cat "$T/err")"
B referral cancel "$R1" 2>"$T/err" && fail "fac-b cancelled"
grep -q "only the referring facility" "$T/err" || fail "side: $(cat "$T/err")"
B referral reject "$R3" 2>"$T/err" && fail "rejected with no reason"
grep -q "say why" "$T/err" || fail "reject: $(cat "$T/err")"

B referral accept "$R1" || fail "accept"
B referral start "$R1" || fail "in progress"
B referral reject "$R3" --why "no eye clinic this month" || fail "reject"
B sync --once >/dev/null || fail "b sync 2"
A sync --once >/dev/null || fail "a sync 2"
A referral show "$R1" | grep -q "^$R1 in-progress" ||
    fail "referrer status: $(A referral show "$R1")"
A referral show "$R3" >"$T/r3"
grep -q "^$R3 rejected" "$T/r3" && grep -q "no eye clinic" "$T/r3" ||
    fail "rejection: $(cat "$T/r3")"
B referral seen "$R1" || fail "seen"
B referral seen "$R1" 2>/dev/null && fail "seen twice"
B sync --once >/dev/null || fail "b sync 3"
A sync --once >/dev/null || fail "a sync 3"
A referral show "$R1" | grep -q "^$R1 completed" ||
    fail "not completed: $(A referral show "$R1")"

# R2's due-by passed unseen: a follow-up for the CHW, then the outcome
sleep 2
A referral list followup >"$T/fu"
[ "$(wc -l <"$T/fu")" -eq 1 ] && grep -q "^$R2 received .*follow-up-due" \
    "$T/fu" || fail "follow-up: $(cat "$T/fu")"
A referral outcome "$R2" "gone home" 2>"$T/err" && fail "a made-up outcome"
grep -q "seen-elsewhere, improved" "$T/err" || fail "outcome: $(cat "$T/err")"
A referral outcome "$R2" unreachable || fail "outcome"
[ -z "$(A referral list followup)" ] || fail "follow-up still due"
A referral show "$R2" | grep -q "^$R2 failed .*outcome=unreachable" ||
    fail "R2: $(A referral show "$R2")"
A sync --once >/dev/null || fail "a sync 4"
B sync --once >/dev/null || fail "b sync 4"
B referral show "$R2" | grep -q "^$R2 failed" ||
    fail "fac-b does not see the outcome: $(B referral show "$R2")"
[ -z "$(B referral list incoming)" ] ||
    fail "ended referrals still incoming: $(B referral list incoming)"

# a clinician at a hub refers from the consult that brought the patient
kiosk h init --kdf-ms 5 >/dev/null 2>&1 || fail "init h"
_t=$("$SERVER" --data "$T/srv" admin enroll-token --role hub \
    --region north --facility hub-1) || fail "hub token"
kiosk h enroll --server "http://127.0.0.1:$SRV_PORT" --token "$_t" \
    --insecure-http >/dev/null || fail "enrol h"
kiosk h user add doc --role clinician --kdf-ms 5 >/dev/null || fail "doc"
kiosk h sync --once >/dev/null || fail "h sync 1"
kiosk h --user doc referral new --patient "$P" --to fac-b \
    --reason "x" 2>"$T/err" && fail "a clinician referred without a consult"
grep -q "a clinician refers from a consult" "$T/err" ||
    fail "no consult: $(cat "$T/err")"
R4=$(kiosk h --user doc referral new --patient "$P" --to fac-b \
    --reason "needs surgery" --urgency asap --consult "$C") ||
    fail "clinician referral"
kiosk h sync --once >"$T/hsync" 2>&1 || fail "h sync 2"
grep -q "refused" "$T/hsync" && fail "the server refused: $(cat "$T/hsync")"
B sync --once >/dev/null || fail "b sync 5"
B referral list incoming | grep -q "^$R4 received hub-1->fac-b asap" ||
    fail "the clinician's referral: $(B referral list incoming)"
B sync --once >/dev/null || fail "b sync 6" # pushes its "received"

# the region's numbers: 4 issued, 1 seen, 1 rejected, 1 failed, 1 open
"$SERVER" --data "$T/srv" admin referrals --region north --json \
    --fhir "$T/fhir.json" >"$T/num" || fail "admin referrals"
for kv in '"issued":4' '"completed":1' '"rejected":1' '"failed":1' \
    '"open":1' '"followed_up":1' '"accepted":1' '"completion_rate":0.250000'; do
	grep -q "$kv" "$T/num" || fail "numbers lack $kv: $(cat "$T/num")"
done
[ "$(stat -c %a "$T/fhir.json")" = 600 ] || fail "FHIR file mode"
[ "$(grep -o '"resourceType":"Task"' "$T/fhir.json" | wc -l)" -eq 4 ] ||
    fail "FHIR tasks: $(head -c 300 "$T/fhir.json")"
# every change once on the server, and each fact once on each kiosk
same_manifest a
same_manifest b
same_manifest h
echo "referral: routed with the patient's history, received, accepted, seen, rejected, followed up; numbers match"
exit 0
