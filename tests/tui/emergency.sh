#!/bin/sh
# Emergencies on the screens (issue 16), 80x24, with a real sync-server on
# loopback (it signs the kiosk's roster) and the folder modem standing in
# for the GSM modem (OUTPOST_TEST_MODEM_DIR: a modem cannot run here).
#   0. Before the roster is installed F11 shows the card that says to phone.
#   1. F11 on Home raises an incident at once: the CALL NOW card (services
#      nearest first, the script, the code), an SMS to level 1 within
#      seconds; a reply from the roster number is counted (the strip and
#      the card say who is coming), one from another number is shown and
#      not counted; the strip stays on Home; F9 closes it.
#   2. NEWS2 in the urgent band offers the urgent consult (F7); NEWS2 >= 7
#      opens the card with the confirm window (2 s here instead of 30:
#      OUTPOST_EMERGENCY_CONFIRM_S), nothing is sent during it, and it
#      sends on timeout; F8 cancels with the reason, which goes to who was
#      paged.
#   3. Degradation (criterion 10): the modem hangs and the server is gone:
#      the UI answers keys at once meanwhile and the card turns into the
#      no-network variant within 10 s; F2 records the CHW's call as the
#      yes, F8 cancels.
. tests/tui/lib.inc

start_server
# times of day and counters that move: not part of the screens
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/g' \
	    -e 's/\| [0-9]{2}:[0-9]{2} \|/| MM:SS |/' \
	    -e 's/in [0-9]+:[0-9]{2}\./in M:SS./' \
	    -e 's/go in [0-9]+ s/go in N s/' -e 's/sends in [0-9]+ s/sends in N s/' \
	    -e 's/^(  (Reply|\?)  ?)[0-9]{2}:[0-9]{2}/\1HH:MM/' \
	    -e 's/^ Sync: .*/ Sync:    (changes with the background sync)/' \
	    -e "s/$CODE_RE/CODE00/g"
}
CODE_RE='@@none@@'

make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility gede) || fail "token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol"
cat >"$T/spec" <<EOS
# Gede dispensary
version 1
valid-days 30
site gede-disp -3.30950 40.01730
landmark Gede disp
directions Behind the market, blue gate
service watamu-amb 20 -3.3540 40.0190 +254700000002 transport
voice watamu-amb +254711000002
service malindi-ems 35 -3.2192 40.1169 +254700000001 transport,obstetric
service kilifi-ch - -3.6305 39.8499 +254700000003 obstetric
level 300 watamu-amb
level 300 malindi-ems kilifi-ch
loops 5 600
EOS
"$SERVER" --data "$T/srv" admin roster sign "$T/spec" "$T/roster" \
    >/dev/null 2>"$T/sign.err" || fail "sign: $(cat "$T/sign.err")"
cli emergency phone +254712345678 >/dev/null || fail "callback number"
cli patient add --given Amina --family Okafor --sex female \
    --village Kisumu >/dev/null || fail "patient"
M=$T/modem
mkdir -p "$M/in"
sent() { [ -f "$M/sent" ] && wc -l <"$M/sent" | tr -d ' ' || echo 0; }
reply() { # from text
	printf '%s\n%s\n' "$1" "$2" >"$M/in/$(date +%s%N).sms"
}

start env OUTPOST_TEST_MODEM_DIR="$M" OUTPOST_EMERGENCY_CONFIRM_S=2 \
    "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Today's patients"

# 0. no roster yet: nobody can be paged, the card says to phone
keys F11
WAIT_S=1 wait_for "!! CALL NOW !!"
wait_for "This kiosk has no emergency roster from the server"
keys Escape
wait_for "Today's patients"
cli emergency roster "$T/roster" >/dev/null 2>"$T/err" ||
    fail "roster: $(cat "$T/err")"

# 1. the emergency key on Home: the card at once, level 1 paged
keys F11
WAIT_S=1 wait_for "!! CALL NOW !!  Incident"
code=$(screen | sed -n 's/.*!! CALL NOW !!  Incident \([0-9A-Z]\{6\}\).*/\1/p')
[ -n "$code" ] || fail "no incident code on the card"
CODE_RE=$code
wait_for "Paging level 1: 1 SMS sent"
grep -q "^+254700000002	EMERGENCY $code: " "$M/sent" ||
    fail "no page to level 1: $(cat "$M/sent" 2>/dev/null)"
grep -q "CHW +254712345678" "$M/sent" || fail "no callback in the page"
grep -q "Okafor\|Amina" "$M/sent" && fail "a name left the kiosk"
expect_screen emergency-card "Paging level 1: 1 SMS sent"
reply "+254799999999" "$code A"
wait_for "(not on the roster: not counted)"
screen | grep -q "said yes" && fail "a foreign reply was counted"
reply "+254700000002" " $(echo "$code" | tr 'A-Z' 'a-z')  a 20 "
wait_for "watamu-amb said yes: coming, about 20 min."
expect_screen emergency-acked "watamu-amb is coming"
# the strip on another screen
keys Escape
wait_for "Today's patients"
expect_screen emergency-strip-home "watamu-amb is coming"
keys F11
wait_for "watamu-amb said yes"
keys F9
wait_for "Recorded: help arrived."
wait_gone "!! EMERGENCY CODE00"
wait_for "Today's patients"

# 2. a visit: the urgent band offers the consult; NEWS2 >= 7 the card
keys F3
type_text "Amina"
wait_for "> Amina"
keys Enter
start_visit
wait_for "Patient: Amina Okafor"
type_text "26"; keys Enter
wait_for "F7 asks for an urgent consult."
keys F7
wait_for "Ask a clinician"
keys Escape
wait_for "Patient: Amina Okafor"
n0=$(sent)
type_text "90"; keys Enter # SpO2: 3 more, NEWS2 6
type_text "a"; keys Enter
type_text "120"; keys Enter
type_text "80"; keys Enter
type_text "135"; keys Enter # pulse: 3 more, NEWS2 9
WAIT_S=2 wait_for "the pages go in"
code2=$(screen | sed -n 's/.*!! CALL NOW !!  Incident \([0-9A-Z]\{6\}\).*/\1/p')
[ -n "$code2" ] && [ "$code2" != "$code" ] || fail "no new incident ($code2)"
CODE_RE=$code2
[ "$(sent)" = "$n0" ] || fail "a page went during the confirm window"
expect_screen emergency-confirm "the pages go in"
# nobody confirmed: the window ran out and level 1 was paged
WAIT_S=8 wait_for "Paging level 1: 1 SMS sent"
grep -q "EMERGENCY $code2: F NEWS2 9 (SpO2 90 RR 26 HR 135 BP 120" \
    "$M/sent" || fail "page after the window: $(tail -n 1 "$M/sent")"
keys F8
wait_for "Why cancel"
keys Enter
wait_for "Say why it is cancelled"
type_text "transported by a neighbour"
keys Enter
wait_for "Cancelled: everyone paged is told why."
wait_gone "!! EMERGENCY CODE00"
i=0
while ! grep -q "CANCELLED $code2: transported by a neighbour" "$M/sent" &&
    [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
grep -q "CANCELLED $code2: transported by a neighbour" "$M/sent" ||
    fail "no cancel to who was paged: $(tail -n 2 "$M/sent")"
# closed: back to the red flag under the card, seen
wait_for "!! RED FLAG !!  NEWS2"
keys F9
wait_for "Red flag acknowledged."

# 3. no modem (it hangs) and no server: the UI goes on, the card changes
kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null
echo "hang 60" >"$M/modem"
keys F11
WAIT_S=1 wait_for "!! CALL NOW !!  Incident"
code3=$(screen | sed -n 's/.*!! CALL NOW !!  Incident \([0-9A-Z]\{6\}\).*/\1/p')
CODE_RE=$code3
# a send hangs on the worker: keys still act at once
sleep 1
keys F1
WAIT_S=1 wait_for "Keys on this screen"
keys Space
WAIT_S=1 wait_gone "Keys on this screen"
WAIT_S=10 wait_for "!! NO NETWORK: PHONE NOW !!"
expect_screen emergency-no-network "If no phone works"
# the modem answers again: the hung send ends (unknown); the CHW's phone
# call is the yes (F2), then the cancel goes
echo ok >"$M/modem"
keys F2
wait_for "You phoned and they are coming."
wait_for "!! EMERGENCY CODE00 | help is coming"
keys F8
type_text "test of the card"
keys Enter
wait_for "Cancelled"
wait_gone "!! EMERGENCY CODE00"
wait_for "Visit: open"
keys Escape
wait_for "F4 register a patient"
quit_kiosk
exit 0
