#!/bin/sh
# Every screen in English, French and Kiswahili at 80x24 (issue 10, item
# 10): three CHWs whose language is en, fr and sw (`kiosk user add
# --lang`, `kiosk user set --lang`) each walk the same screens (home, find, register, the visit,
# the red flag, the emergency, the child danger signs, the forms, a form,
# asking a clinician and the consults list, the duplicates screen, ending
# the visit, quitting, every F1 help, and the self check-in flow handed
# over from Home with "is this you?"),
# and it fails when
#   - the kiosk reports text that does not fit: cut at the right edge,
#     past its rows, a key left off the key bar, a label longer than its
#     column, or text drawn over other text (OUTPOST_TEXT_REPORT, a
#     test-only report by msgid written by kiosk/tui/ui.c);
#   - a string goes through _() but has no translation (same report);
#   - a French or Kiswahili screen has a line identical to the English
#     one with a word that is not a name, a key or a unit (text that
#     never went through _()).
# Waits use the catalogue's own words (gettext(1)), so the walk itself
# shows each screen reached in its language.
. tests/tui/lib.inc
. tests/tui/lang.inc

make_node
born=$(date -d '3 years ago' +%Y-%m-%d)
for L in en fr sw; do
	printf 'pass-word\nsecret-%s\nsecret-%s\n' $L $L |
	    "$KIOSK" --data "$NODE" --passphrase-fd 0 user add "u$L" \
	    --role chw --lang $([ $L = sw ] && echo en || echo $L) --kdf-ms 5 \
	    >/dev/null 2>"$T/add.err" ||
	    fail "user add u$L: $(cat "$T/add.err")"
	cli patient add --given Amani --family "Otieno$L" --sex female \
	    --birth-date "$born" --village Siaya >/dev/null ||
	    fail "patient add"
done

# the kiosk's own language: English until set, an unknown one refused
cli language | grep -q "^en (English): none set" || fail "kiosk language: $(cli language)"
cli language de >/dev/null 2>"$T/lang.err" && fail "kiosk language de accepted"
grep -q 'no screens in "de"' "$T/lang.err" || fail "bad language: $(cat "$T/lang.err")"

# usw was added in English: an administrator changes that; a language
# without screens is refused, naming the ones there are
cli user set usw --lang sw >/dev/null || fail "user set usw --lang sw"
cli user set usw --lang de >/dev/null 2>"$T/set.err" && fail "--lang de accepted"
grep -q 'no screens in "de": the language is one of en (English) fr (Fran.ais) sw (Kiswahili)' \
    "$T/set.err" || fail "bad --lang: $(cat "$T/set.err")"

# Escape until the home screen's list heading shows.
go_home() {
	i=0
	while ! screen | grep -q -F -- "$(msg " Today's patients on this kiosk ")" &&
	    [ $i -lt 6 ]; do
		keys Escape
		sleep 0.2
		i=$((i + 1))
	done
	wait_tr " Today's patients on this kiosk "
}
# The kiosk quits from home: its question in the walk's language.
quit_here() {
	keys F10
	wait_tr "Quit the kiosk? Y quits, any other key stays."
	shot quit
	keys y
	wait_for "KIOSK-EXITED rc=0"
}
walk() {
	export OUTPOST_TEXT_REPORT="$T/report.$L"
	# the kiosk's own language (`kiosk language`) before anyone unlocks
	cli language $L >/dev/null || fail "kiosk language $L"
	start "$KIOSK" --data "$NODE" --user "u$L" ui --idle-lock 0
	wait_tr "This kiosk is locked."
	shot unlock
	type_text "secret-$L"
	keys Enter
	wait_tr "Unlocked. Welcome, %s."
	wait_tr " Today's patients on this kiosk "
	shot home
	help_shot home

	# find the child, her visit, the IMCI danger signs
	keys F3
	wait_tr "Name, phone, village, birth year or patient id:"
	type_text "Otieno$L"
	wait_for "> Amani"
	shot find
	help_shot find
	keys Enter
	# the patient before the visit; Enter starts it
	wait_tr "Enter start the visit   Esc back   F12 lock"
	shot patient
	help_shot patient
	keys Enter
	wait_tr "!  Child under 5: F6 checks the WHO general danger signs."
	shot vitals-child
	type_text "44"
	keys Enter
	wait_tr "!  NEWS2 not applicable: %s."
	shot vitals-child-news2
	keys F6
	wait_tr "child of 2 months to 5 years"
	shot danger
	help_shot danger
	type_text "2"
	wait_tr "VERY SEVERE DISEASE"
	shot danger-sign
	keys F9
	wait_tr "Red flag acknowledged."
	go_home

	# register an adult; the visit, a red flag, the emergency
	keys F4
	wait_tr "New patient. Given and family name are needed; the rest helps find them again."
	shot register
	help_shot register
	type_text "$given"; keys Tab
	type_text "$family"; keys Tab
	type_text "m"; keys Tab
	type_text "1980"; keys Tab
	# a phone number too short: the rule in the screen's language, the
	# cursor on the phone
	type_text "12"; keys Tab
	type_text "Kisumu"
	keys F2
	wait_tr "phone must have 6 to 15 digits"
	shot register-bad-phone
	keys BSpace BSpace
	keys F2
	wait_tr "Registered %s %s."
	shot vitals
	help_shot vitals
	type_text "18"; keys Enter
	type_text "97"; keys Enter
	type_text "a"; keys Enter
	type_text "120"; keys Enter
	type_text "80"; keys Enter
	type_text "72"; keys Enter
	type_text "a"; keys Enter
	type_text "37.1"; keys Enter
	wait_tr "%s saved."
	shot vitals-normal
	# a letter in a number field: the range, on the status line
	keys Up
	type_text "x"
	wait_tr "type digits only,"
	shot vitals-range
	keys Up Up Up Up Up Up Up
	type_text "26"
	keys Enter
	wait_tr "What to do now (RCP NEWS2 chart 4):"
	shot alert
	help_shot alert
	keys F9
	wait_tr "Red flag acknowledged."
	shot vitals-acked
	keys F11
	wait_tr "!! EMERGENCY !!"
	shot emergency
	keys Escape
	wait_tr "!! EMERGENCY recorded: call for help. F9 acknowledges it."
	shot vitals-emergency
	keys F9
	wait_tr "Red flag acknowledged."

	# ask a clinician from the visit (issue 13), then its status
	keys F7
	wait_tr "Type why   Left/Right how   F2 ask   Esc back"
	shot consult-ask
	help_shot consult-ask
	type_text "kikohozi"
	keys F2
	wait_tr "Consult asked"
	shot consult-asked
	keys Escape
	wait_tr "Visit: %s%s%.50s"

	# the forms of the visit and one form
	keys F5
	wait_tr "Forms for %s %s:"
	shot forms
	help_shot forms
	keys Enter
	wait_tr "Enter save  Up/Down move  F10 finish  Esc back (draft kept)  * required"
	shot form
	help_shot form
	keys Escape
	wait_tr "Visit: %s%s%.50s"

	# end the visit
	keys F8
	wait_tr "End this visit? Y ends it, any other key goes on."
	shot end-visit
	keys y
	wait_tr "Visit ended."
	shot home-after
	keys F5
	wait_tr "Consults asked from this kiosk"
	shot consults
	help_shot consults
	keys Escape
	go_home
	keys F6
	wait_tr "Probable duplicates: is each pair one person?"
	shot dups-none
	keys Escape
	go_home

	# hand the kiosk over to patients (F7), in this staff member's
	# language
	keys F7
	wait_tr "Welcome. Please check yourself in."
	shot checkin-start
	help_shot checkin

	# names far apart in each language: a near match would ask "is
	# this you?" (checkin_isyou.sh walks that screen)
	type_text "$cgiven"; keys Tab
	type_text "$cfamily"; keys Tab
	type_text "1990"; keys Enter
	wait_tr "A few more details, then press Enter."
	shot checkin-new
	type_text "07220000$n"
	keys Tab
	type_text "Kisumu"; keys Tab
	type_text "f"; keys Enter
	wait_tr "Why have you come today? (a few words, then Enter)"
	shot checkin-reason
	type_text "kikohozi"; keys Enter
	wait_tr "Do you agree?  Press 1 for yes, 2 for no (or Y, N)."
	shot checkin-consent
	type_text "y"
	wait_tr "Please take a seat; a health worker will call you."
	shot checkin-done
	keys Enter
	wait_tr "Welcome. Please check yourself in."
	# one letter off the adult registered above: "is this you?"; no
	# leaves the pair for staff
	type_text "${given%?}"; keys Tab
	type_text "$family"; keys Tab
	type_text "1980"; keys Enter
	wait_tr "Is this you?"
	shot checkin-isyou
	# the number keys answer (patients who do not read), as the letters do
	type_text "2"
	wait_tr "A few more details, then press Enter."
	keys Enter Enter Enter
	wait_tr "Why have you come today? (a few words, then Enter)"
	type_text "homa"; keys Enter
	wait_tr "Do you agree?  Press 1 for yes, 2 for no (or Y, N)."
	type_text "1"
	wait_tr "Please take a seat; a health worker will call you."
	keys Enter
	wait_tr "Welcome. Please check yourself in."
	# staff take it back with their unlock: the pair waits on F6
	keys F12
	wait_tr "Staff: unlock to take the kiosk back."
	type_text "secret-$L"
	keys Enter
	wait_tr " Today's patients on this kiosk "
	keys F6
	wait_tr "Probable duplicates: is each pair one person?"
	wait_for "${given%?}"
	shot dups
	help_shot dups
	keys Escape
	go_home
	quit_here
	check_report
}

# The three walks run at once (lang.inc), each on its own copy of the
# node, with its own names.
walk_copy() {
	case $L in
	en) given=Juma family=Hamisi cgiven=Neema cfamily=Wanjiru ;;
	fr) given=Pierre family=Kariuki cgiven=Aisha cfamily=Otembo ;;
	sw) given=Zawadi family=Mutua cgiven=Rehema cfamily=Lusweti ;;
	esac
	cp -a "$NODE" "$T/node.$L" || fail "copy the node"
	NODE="$T/node.$L"
	walk
}
run_walks walk_copy

# Text that never went through _() (lang.inc): names, keys, units and
# words both languages spell alike are allowed.
english_left ' Amani Otienoen Otienofr Otienosw Juma Hamisi Pierre Kariuki Zawadi Mutua
 Neema Wanjiru Aisha Otembo Rehema Lusweti Siaya Kisumu kikohozi homa uen ufr usw
 Jum Pierr Zawad
 Outpost NEWS2 IMCI WHO ACVPU SpO2 mmHg min Enter Esc Tab Space Up Down
 Village convulsions Respiration Sx
 F f m o y x Y N A C V P U YYYY MM DD HH MM '
echo "every screen in en, fr, sw: $(ls "$T/en" | wc -l) screens each, nothing cut, nothing untranslated"
