#!/bin/sh
# Licences end to end (issue 14): the registry's admin commands (add,
# import with a bad file changing nothing, suspend, revoke, reinstate,
# list --json), the signed snapshot a kiosk gets with each pull (a
# revocation arrives ahead of other data and blocks an accept offline,
# in words), the server's re-check of a consult accepted on an older
# snapshot (refused per change, wire error licence, audited, reported on
# the kiosk in words), and a note signed after a suspension: kept, flagged
# licence_lapsed on the kiosk and audited by the server; the prescriber's
# practice address and contact from the registry on India's printed
# sheet; a list over 60 KiB asked on its own route.  Real server and kiosks on loopback.  The FHIR export: tests/sync-server/test_registry.c.
. tests/e2e/lib.inc
sync_setup
server_start

adm() { "$SERVER" --data "$T/srv" admin licence "$@"; }

# --- the registry ---------------------------------------------------------
adm add MW-1 --regulator MMDC --cadre "medical officer" --scope all \
    --juris north --from 2020-01-01 --to 2099-01-01 --name "Dr One" \
    --address "Area 25 Health Centre, Lilongwe" --contact "+265991000001" \
    >/dev/null || fail "add MW-1"
# the contact is a phone number in E.164 or an e-mail address
adm add MW-9 --regulator MMDC --cadre nurse --scope all --juris north \
    --from 2020-01-01 --to 2099-01-01 --contact "0991 000 009" 2>"$T/err" &&
    fail "a contact that is neither E.164 nor e-mail was taken"
grep -q "contact \"0991 000 009\": give a phone number in E.164" "$T/err" ||
    fail "bad contact: $(cat "$T/err")"
printf 'regulator,regno,name,cadre,scope,jurisdictions,valid_from,valid_to,address,contact\n' \
    >"$T/ok.csv"
printf 'MMDC,MW-2,Dr Two,clinical officer,"consult,note,refer",north south,2020-01-01,2099-01-01,"Box 12, Zomba",two@zomba.example.mw\n' \
    >>"$T/ok.csv"
printf 'MMDC,MW-3,Dr Three,nurse,consult,south,2020-01-01,2099-01-01,,\n' \
    >>"$T/ok.csv"
cp "$T/ok.csv" "$T/bad.csv"
printf 'MMDC,MW-4,Dr Four,nurse,dance,north,2020-01-01,2099-01-01,,\n' \
    >>"$T/bad.csv"
printf 'MMDC,MW-5,Dr Five,nurse,all,north,2030-01-01,2020-01-01,,\n' \
    >>"$T/bad.csv"
printf 'MMDC,MW-6,Dr Six,nurse,all,north,2020-01-01,2099-01-01,Zomba,six@\n' \
    >>"$T/bad.csv"
adm import "$T/bad.csv" >"$T/out" 2>&1 && fail "a bad file was imported"
grep -q "line 4: scope" "$T/out" || fail "bad scope: $(cat "$T/out")"
grep -q "line 5: valid_to must be after valid_from" "$T/out" ||
    fail "bad dates: $(cat "$T/out")"
grep -q "line 6: contact \"six@\"" "$T/out" ||
    fail "bad contact: $(cat "$T/out")"
grep -q "nothing imported" "$T/out" || fail "not said: $(cat "$T/out")"
[ "$(adm list --json | grep -o '"regno"' | wc -l)" -eq 1 ] ||
    fail "a bad file changed the registry: $(adm list)"
adm import "$T/ok.csv" | grep -q "^2 licence(s) imported" || fail "import"
adm list --json >"$T/json" || fail "list --json"
grep -q '"regno":"MW-1",.*"address":"Area 25 Health Centre, Lilongwe","contact":"+265991000001"' \
    "$T/json" || fail "MW-1's address and contact: $(cat "$T/json")"
grep -q '"regno":"MW-2",.*"address":"Box 12, Zomba","contact":"two@zomba.example.mw"' \
    "$T/json" || fail "MW-2's address and contact: $(cat "$T/json")"
adm list >"$T/list" || fail list
grep -q "^MW-2 .* active .*clinical officer" "$T/list" ||
    fail "list: $(cat "$T/list")"
grep -q "^3 licence(s), registry version 3" "$T/list" ||
    fail "list: $(cat "$T/list")"
adm revoke NOPE 2>"$T/err" && fail "revoked an unknown licence"
grep -q "no licence NOPE" "$T/err" || fail "unknown: $(cat "$T/err")"
# the event log is append-only
srv_sql "DELETE FROM licence_events" 2>&1 | grep -q "append-only" ||
    fail "the licence event log could be deleted"
[ "$(srv_sql "SELECT count(*) FROM licence_events")" -eq 3 ] ||
    fail "events: $(srv_sql "SELECT count(*) FROM licence_events")"

# --- kiosks ---------------------------------------------------------------
kiosk_new c north
# one hub kiosk, two clinicians
kiosk h init --kdf-ms 5 >/dev/null 2>&1 || fail "init h"
_t=$("$SERVER" --data "$T/srv" admin enroll-token --role hub \
    --region north --facility hub-1) || fail "hub token"
kiosk h enroll --server "http://127.0.0.1:$SRV_PORT" --token "$_t" \
    --insecure-http >/dev/null || fail "enrol h"
for u in doc1:MW-1 doc2:MW-2; do
	kiosk h user add "${u%%:*}" --role clinician --kdf-ms 5 >/dev/null ||
	    fail "clinician $u"
	kiosk h --user "${u%%:*}" consult key --regno "${u#*:}" >/dev/null ||
	    fail "key $u"
done

P1=$(kiosk c patient add --given Ama --family Mensah --sex F \
    --birth-date 1990) || fail "patient 1"
C1=$(kiosk c consult request --patient "$P1" --reason "cough" --news2 5) ||
    fail "request 1"
C2=$(kiosk c consult request --patient "$P1" --reason "fever" --news2 3) ||
    fail "request 2"
kiosk c sync --once >/dev/null || fail "clinic sync"
kiosk h sync --once >/dev/null || fail "hub sync"
kiosk h licence list >"$T/l1" || fail "h1 licence list"
grep -q "^Licence list for north, version 1, 2 licences" "$T/l1" ||
    fail "h1 list: $(cat "$T/l1")"
grep -q "^doc1 *MW-1 *may consult" "$T/l1" || fail "h1: $(cat "$T/l1")"

# h2 accepts C2 on its version-1 snapshot; then the regulator's revocation,
# effective before the accept, reaches the registry
kiosk h --user doc2 consult accept "$C2" || fail "doc2 accept C2"
adm revoke MW-2 --at 2021-01-01 --reason "board order" >/dev/null ||
    fail "revoke MW-2"
# the server re-checks at sync: refused per change, in words, audited
kiosk h sync --once >"$T/hsync" 2>&1
grep -q "consult $C2: the server refused it: The clinician's licence is revoked" \
    "$T/hsync" || fail "h2 not told: $(cat "$T/hsync")"
[ "$(srv_sql "SELECT count(*) FROM alerts WHERE kind = 'licence-refused'")" \
    -eq 1 ] || fail "no licence-refused alert"
srv_sql "SELECT detail FROM alerts WHERE kind = 'licence-refused'" |
    grep -q "consult .*: consult by MW-2 at [0-9]*: revoked" ||
    fail "alert: $(srv_sql "SELECT detail FROM alerts")"
grep -q "refused: consult .* by MW-2" "$T/srv.log" || fail "server log"
grep -q "Mensah\|Ama" "$T/srv.log" && fail "patient name in the server log"
# the refused accept went back to the queue here
kiosk h consult list queue | grep -q "^$C2 requested" ||
    fail "C2 not back in the queue: $(kiosk h consult list queue)"
# the same sync brought the revocation (fetched before the pull)
kiosk h licence list >"$T/l2" || fail "h2 licence list"
grep -q "version 2" "$T/l2" || fail "h2 snapshot: $(cat "$T/l2")"
grep -q "^doc2 *MW-2 *may not consult: The clinician's licence is revoked" \
    "$T/l2" || fail "h2 list: $(cat "$T/l2")"
# ... and blocks the next accept offline, in words
kiosk h --user doc2 consult accept "$C1" 2>"$T/err" &&
    fail "a revoked clinician accepted offline"
grep -q "licence is revoked. Choose another clinician" "$T/err" ||
    fail "offline refusal: $(cat "$T/err")"

# --- a suspension between accept and sign ---------------------------------
kiosk h --user doc1 consult accept "$C1" || fail "doc1 accept"
kiosk h --user doc1 consult note "$C1" --assessment "viral" \
    --plan "fluids" || fail "note"
kiosk h sync --once >/dev/null || fail "h1 sync 2"
adm suspend MW-1 >/dev/null || fail "suspend MW-1"
kiosk h sync --once >/dev/null || fail "h1 sync 3"
kiosk h --user doc1 consult sign "$C1" || fail "a note after a lapse was refused"
kiosk h licence flags "$C1" | grep -q "^licence_lapsed note suspended" ||
    fail "not flagged: $(kiosk h licence flags "$C1")"
kiosk h sync --once >/dev/null || fail "h1 sync 4"
[ "$(srv_sql "SELECT count(*) FROM alerts WHERE kind = 'licence-lapsed'")" \
    -eq 1 ] || fail "no licence-lapsed alert"
kiosk c sync --once >/dev/null || fail "clinic sync 2"
kiosk c consult list new | grep -q "^$C1 signed" ||
    fail "the flagged note did not arrive: $(kiosk c consult list new)"
adm reinstate MW-1 | grep -q "MW-1 (MMDC) active" || fail reinstate

# --- the prescriber's address and contact on India's sheet ---------------
# from the registry through the signed snapshot to the printed sheet
kiosk h sync --once >/dev/null || fail "h1 sync 5"
kiosk h country IN >/dev/null || fail "country h"
RX=$(OUTPOST_FORMULARY_DIR="$(pwd)/clinical/formulary" kiosk h --user doc1 \
    rx issue "$C1" PCM500 --dose 500 --per-day 3 --days 5 2>"$T/err") ||
    fail "rx issue: $(cat "$T/err")"
kiosk h rx print "$RX" >"$T/sheet" 2>"$T/err" || fail "print: $(cat "$T/err")"
grep -q "^Address: Area 25 Health Centre, Lilongwe   Contact: +265991000001$" \
    "$T/sheet" || fail "the prescriber's address and contact: $(cat "$T/sheet")"

# --- a region's list too long to ride in a pull (docs/PROTOCOL.md §5.4) --
# over 60 KiB: the server answers that companion too_large and the kiosk
# asks /v1/licences itself, still before the page's records
printf 'regulator,regno,name,cadre,scope,jurisdictions,valid_from,valid_to,address,contact\n' \
    >"$T/big.csv"
awk 'BEGIN { for (i = 1; i <= 1500; i++)
    printf "MMDC,EW-%d,Dr Number %d,nurse,all,east,2020-01-01,2099-01-01,\"Plot %d, Health Post Road, Mangochi\",nurse%d@east.example.mw\n", i, i, i, i }' \
    >>"$T/big.csv"
adm import "$T/big.csv" | grep -q "^1500 licence(s) imported" || fail "big import"
kiosk_new e east
out=$(kiosk e sync --once) || fail "east sync"
kiosk e licence list >"$T/le" || fail "east licence list"
grep -q "^Licence list for east, version 1, 1500 licences" "$T/le" ||
    fail "the long list did not arrive: $(head -n 2 "$T/le")"
bytes=$(sed -n 's/.*licence snapshot east v1: 1500 licences, \([0-9]*\) bytes.*/\1/p' \
    "$T/srv.log")
[ "${bytes:-0}" -gt 61440 ] || fail "the snapshot is ${bytes:-?} bytes, not over 60 KiB"
# its push (its own node's record), the pull with its companions, then
# /v1/licences alone
case $out in
"pushed 1 "*"; 3 requests,"*) ;;
*) fail "east sync: $out" ;;
esac
out=$(kiosk e sync --once) || fail "east sync 2"
case $out in # the version held: the list rides in the pull no more
*"; 1 requests,"*) ;;
*) fail "east sync 2: $out" ;;
esac
echo "PASS: licence e2e"
