#!/bin/sh
# Consults end to end (issue 13): a clinic kiosk asks for clinicians, two
# hub kiosks (role hub, each with a clinician) see the region's queue by
# urgency then waiting time, with the consult's patient pulled though no
# visit was at the hub; both accept the same consult and exactly one wins
# (the other is told); the winner calls, writes and signs a SOAP note;
# the clinic gets it by the ordinary sync, verified, as new; it closes
# it; a returned consult is taken by the other hub; a cancelled one
# leaves the queue; the queue answer gives positions and the expected
# wait.  Real server and kiosks on loopback.
. tests/e2e/lib.inc
sync_setup
server_start

kiosk_new c north
hub_new() { # name facility user
	kiosk "$1" init --kdf-ms 5 >/dev/null 2>&1 || fail "init $1"
	_t=$("$SERVER" --data "$T/srv" admin enroll-token --role hub \
	    --region north --facility "$2") || fail "hub token"
	kiosk "$1" enroll --server "http://127.0.0.1:$SRV_PORT" --token "$_t" \
	    --insecure-http >/dev/null || fail "enrol $1"
	kiosk "$1" user add "$3" --role clinician --kdf-ms 5 >/dev/null ||
	    fail "clinician $3 on $1"
}
hub_new h1 hub-1 doc1
hub_new h2 hub-2 doc2
kiosk h1 --user doc1 consult key --regno MW-1234 >/dev/null || fail "key doc1"
kiosk h2 --user doc2 consult key --regno MW-5678 >/dev/null || fail "key doc2"
# a CHW cannot sign notes
kiosk c consult key 2>/dev/null && fail "an administrator made a signing key"

P1=$(kiosk c patient add --given Ama --family Mensah --sex F \
    --birth-date 1990) || fail "patient 1"
P2=$(kiosk c patient add --given Kofi --family Boateng --sex M \
    --birth-date 2021) || fail "patient 2"
C1=$(kiosk c consult request --patient "$P1" --reason "cough three weeks" \
    --news2 5) || fail "request 1"
C2=$(kiosk c consult request --patient "$P2" --reason "convulsions" \
    --danger --mode voice) || fail "request 2"
# bad input says what is wrong
out=$(kiosk c consult request --patient "$P1" --reason "" 2>&1) &&
    fail "a request with no reason was taken"
echo "$out" | grep -q "say why" || fail "no reason given: $out"
out=$(kiosk c consult request --patient "$P1" --reason x --mode fax 2>&1) &&
    fail "mode fax was taken"
echo "$out" | grep -q "video, voice or store-forward" || fail "mode: $out"

kiosk c sync --once >/dev/null || fail "clinic sync"
kiosk h1 sync --once >/dev/null || fail "h1 sync"
kiosk h2 sync --once >/dev/null || fail "h2 sync"
# the hub's queue: the danger sign first, then the older one
kiosk h1 consult list queue >"$T/q" || fail "hub queue"
[ "$(wc -l <"$T/q")" -eq 2 ] || fail "hub queue: $(cat "$T/q")"
head -1 "$T/q" | grep -q "^$C2 requested high voice" ||
    fail "queue order: $(cat "$T/q")"
sed -n 2p "$T/q" | grep -q "^$C1 requested medium store-forward" ||
    fail "queue order: $(cat "$T/q")"
kiosk h1 consult queue >"$T/sq" || fail "server queue"
grep -q "^waiting: 2" "$T/sq" || fail "server queue: $(cat "$T/sq")"
grep -q "^$C2 queued high position=1" "$T/sq" || fail "$(cat "$T/sq")"
grep -q "^expected wait: unknown" "$T/sq" || fail "$(cat "$T/sq")"
# the encounter packet came with the consult
kiosk h1 patient find Mensah | grep -q "$P1" || fail "h1 lacks the patient"
kiosk c consult list open | grep "^$C1" | grep -q "position=2" ||
    fail "clinic position: $(kiosk c consult list open)"

# two clinicians accept C1; h1's reaches the server first
kiosk h1 --user doc1 consult accept "$C1" || fail "doc1 accept"
kiosk h2 --user doc2 consult accept "$C1" || fail "doc2 accept (offline)"
kiosk h1 sync --once >/dev/null || fail "h1 sync 2"
kiosk h2 sync --once >"$T/h2sync" 2>&1
grep -q "another clinician accepted this consult first" "$T/h2sync" ||
    fail "doc2 was not told: $(cat "$T/h2sync")"
kiosk h2 consult show "$C1" >"$T/show" || fail "h2 show"
grep -q "^state: accepted" "$T/show" || fail "h2 state: $(cat "$T/show")"
grep -q "^clinician: .* doc1" "$T/show" || fail "h2 winner: $(cat "$T/show")"
kiosk h2 --user doc2 consult note "$C1" --plan "mine" 2>/dev/null &&
    fail "the loser could write the note"
kiosk h2 --user doc2 consult accept "$C1" 2>"$T/err" && fail "accepted twice"
grep -q "no longer waiting" "$T/err" || fail "second accept: $(cat "$T/err")"

# the winner calls, writes and signs
kiosk h1 --user doc1 consult call "$C1" || fail "call"
kiosk h1 --user doc1 consult note "$C1" --advice "start amoxicillin" ||
    fail advice
kiosk h1 --user doc1 consult sign "$C1" 2>"$T/err" && fail "signed an empty note"
grep -q "assessment or the plan" "$T/err" || fail "empty note: $(cat "$T/err")"
kiosk h1 --user doc1 consult note "$C1" --subjective "cough, night sweats" \
    --objective "RR 22, SpO2 94" --assessment "suspected TB" \
    --plan "sputum test; refer to district hospital" || fail note
kiosk h1 --user doc1 consult sign "$C1" || fail sign
kiosk h1 --user doc1 consult note "$C1" --plan "changed" 2>/dev/null &&
    fail "a signed note was changed"
kiosk h1 sync --once >/dev/null || fail "h1 sync 3"

# the clinic gets the answer by sync, once, verified, as new
kiosk c sync --once >/dev/null || fail "clinic sync 2"
kiosk c consult list new >"$T/new" || fail "new"
[ "$(wc -l <"$T/new")" -eq 1 ] && grep -q "^$C1 signed" "$T/new" ||
    fail "new answers: $(cat "$T/new")"
kiosk c consult show "$C1" >"$T/show" || fail "clinic show: $(cat "$T/show")"
grep -q "^signature: verified" "$T/show" || fail "signature: $(cat "$T/show")"
grep -q "^P: sputum test; refer to district hospital" "$T/show" ||
    fail "plan: $(cat "$T/show")"
grep -q "^regno: MW-1234" "$T/show" || fail "regno: $(cat "$T/show")"
grep -q "^advice: start amoxicillin" "$T/show" || fail "advice"
kiosk c consult seen "$C1" || fail seen
[ -z "$(kiosk c consult list new)" ] || fail "still new after seen"
kiosk c consult close "$C1" || fail close
# a clinic may not sign (the server refuses what the kiosk would not do)
kiosk c sync --once >/dev/null || fail "clinic sync 3"

# C2: h2 accepts, returns it to the queue, h1 takes it
kiosk h2 sync --once >/dev/null 2>&1
kiosk h2 --user doc2 consult accept "$C2" || fail "doc2 accept C2"
kiosk h2 sync --once >/dev/null || fail "h2 sync 3"
kiosk c consult queue | grep -q "^expected wait: [0-9]* min" ||
    fail "no expected wait after an accept: $(kiosk c consult queue)"
kiosk h2 --user doc2 consult return "$C2" --why "needs paediatrics" ||
    fail return
kiosk h2 sync --once >/dev/null || fail "h2 sync 4"
kiosk h1 sync --once >/dev/null || fail "h1 sync 4"
kiosk h1 --user doc1 consult accept "$C2" || fail "doc1 takes C2"
kiosk h1 sync --once >/dev/null || fail "h1 sync 5"
kiosk h1 consult queue | grep -q "^$C2 accepted" ||
    fail "C2 not accepted: $(kiosk h1 consult queue)"

# a cancelled consult leaves the queue
C3=$(kiosk c consult request --patient "$P2" --reason "rash") || fail "C3"
kiosk c consult cancel "$C3" 2>/dev/null && fail "cancelled with no reason"
kiosk c consult cancel "$C3" --why "went to hospital" || fail cancel
kiosk c sync --once >/dev/null || fail "clinic sync 4"
kiosk h1 sync --once >/dev/null || fail "h1 sync 6"
kiosk h1 consult list queue | grep -q "$C3" && fail "cancelled still queued"
kiosk h1 consult show "$C3" | grep -q "^state: cancelled" ||
    fail "h1 does not see the cancellation"
# the server kept every kiosk's changes once
same_manifest c
same_manifest h1
echo "consult: lifecycle, queue order, one accept wins, signed note delivered and verified"
exit 0
