#!/bin/sh
# The clinician's screens in English, French and Kiswahili at 80x24 (issue
# 10, item 10; lang.sh and lang_more.sh walk the clinic's): with a real
# sync-server on loopback, a clinic asks three consults and books each
# clinician an appointment tomorrow; on a hub kiosk three clinicians whose
# language is en, fr and sw each walk Home, their schedule (F9), the
# consult queue, the patient, the SOAP note, the prescriptions, the
# referral form and the referrals list, with every F1 help.  Fails as
# lang.sh does (lang.inc): text cut, overlapping or untranslated, or
# English left on a French or Kiswahili screen.  The call screen is drawn
# in the three languages on a real call by
# tests/kiosk/tui/test_call_screen.c (a call in tmux would need a sound
# card).
. tests/tui/lib.inc
. tests/tui/lang.inc

start_server
export TZ=Africa/Nairobi

# waiting minutes change while the test runs
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/; s/ [0-9]+ min/ N min/g'
}

# the clinic: three patients, a consult for each
make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility clinic-1) || fail "token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the clinic"
for p in Amina Baraka Chausiku; do
	id=$(cli patient add --given "$p" --family Okafor --sex female \
	    --birth-date 1990-05-01 --village Kisumu) || fail "patient $p"
	echo "$id" >>"$T/pats"
	cli consult request --patient "$id" --reason "cough three weeks" \
	    --mode voice >/dev/null || fail "consult for $p"
done
# an appointment tomorrow with each clinician, for the schedule (F9)
day=$(TZ=Africa/Nairobi date -d tomorrow +%a | tr 'A-Z' 'a-z')
for L in en fr sw; do
	"$SERVER" --data "$T/srv" admin schedule --clinician "doc$L" \
	    --facility clinic-1 --region north --tz Africa/Nairobi \
	    --hours "$day 08:00-09:00/30" --days 7 >/dev/null ||
	    fail "admin schedule doc$L"
done
"$SERVER" --data "$T/srv" admin schedule --list --facility clinic-1 \
    --days 7 | awk -F'\t' 'NF > 1' | sort -n >"$T/slots" ||
    fail "schedule --list"
[ "$(wc -l <"$T/slots")" -eq 6 ] || fail "slots: $(cat "$T/slots")"
n=1
for L in en fr sw; do
	s=$(sed -n ${n}p "$T/slots")
	st=$(printf '%s' "$s" | cut -f2)
	cli appt book "$(sed -n $(( (n + 1) / 2 ))p "$T/pats")" \
	    --slot "$(printf '%s' "$s" | cut -f1)" --start "$st" \
	    --end $((st + 1800000)) --clinician "doc$L" >/dev/null ||
	    fail "book doc$L"
	n=$((n + 2))
done
cli sync --once >/dev/null || fail "clinic sync"
# the answers go up as the records' status with the next push
cli sync --once >/dev/null || fail "clinic sync, the answers"

# the hub: a clinician per language, each with a signing key
NODE=$T/hub
make_node
t=$("$SERVER" --data "$T/srv" admin enroll-token --role hub \
    --region north --facility hub-1) || fail "hub token"
cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
    fail "enrol the hub"
for L in en fr sw; do
	printf 'pass-word\ndoc-%s\ndoc-%s\n' $L $L | "$KIOSK" --data "$NODE" \
	    --passphrase-fd 0 user add "doc$L" --role clinician --lang $L \
	    --kdf-ms 5 >/dev/null 2>&1 || fail "clinician doc$L"
	printf 'doc-%s\n' $L | "$KIOSK" --data "$NODE" --passphrase-fd 0 \
	    --user "doc$L" consult key --regno "MW-$L" >/dev/null ||
	    fail "signing key doc$L"
done
cli country IN >/dev/null || fail "hub country"
cli sync --once >/dev/null || fail "hub sync"

walk() {
	export OUTPOST_TEXT_REPORT="$T/report.$L"
	start env OUTPOST_FORMULARY_DIR="$(pwd)/clinical/formulary" "$KIOSK" \
	    --data "$NODE" --user "doc$L" ui --idle-lock 0
	wait_for "This kiosk is locked."
	type_text "doc-$L"
	keys Enter
	wait_tr "Unlocked. Welcome, %s."
	wait_tr "Consults:"
	shot hub-home
	help_shot hub-home

	# the clinician's own schedule (F9): tomorrow's appointment
	keys F9
	wait_tr "My appointments: today and the next 6 days"
	wait_for "08:"
	shot schedule
	help_shot schedule
	keys Escape
	wait_tr "Consults:"

	# the queue, the first consult waiting accepted and opened
	keys F5
	WAIT_S=30 wait_tr "Consults: yours, then the queue (most urgent first)"
	WAIT_S=30 wait_for "Okafor"
	shot queue
	help_shot queue
	keys Enter
	wait_tr "Consult: the patient"
	shot consult-patient
	help_shot consult-patient

	# the referral form from the consult, left unsent
	keys F3
	wait_tr "To facility"
	shot refer
	help_shot refer
	keys Escape
	wait_tr "Consult: the patient"

	# the SOAP note, saved; its prescriptions
	keys F2
	wait_tr "S subjective"
	type_text "cough"
	keys F2
	wait_tr "Note saved; it goes with the next sync."
	shot note
	help_shot note
	keys F6
	wait_tr "Per day"
	shot rx
	help_shot rx
	keys Escape Escape Escape Escape
	wait_tr "Consults:"

	# the referrals list from Home
	keys F8
	wait_tr "Referrals"
	shot referrals
	help_shot referrals
	keys Escape
	wait_tr "Consults:"
	keys F10
	wait_tr "Quit the kiosk? Y quits, any other key stays."
	keys y
	wait_for "KIOSK-EXITED rc=0"
	check_report
}

# one after another: each accepts the first consult still waiting
for L in en fr sw; do
	walk
done

english_left ' Amina Baraka Chausiku Okafor Kisumu cough MW en fr sw docen docfr docsw
 Outpost NEWS2 IMCI WHO ACVPU SpO2 mmHg min mg mL kg Enter Esc Tab Space Up Down
 S O A P F N Y YYYY MM DD HH MM IN Dose plan three weeks '
echo "the clinician's screens in en, fr, sw: $(ls "$T/en" | wc -l) screens each, nothing cut, nothing untranslated"
