#!/bin/sh
# The screens of issues 15-17 in English, French and Kiswahili at 80x24
# (issue 10, item 10; lang.sh walks the clinic's first screens,
# lang_hub.sh the clinician's), through a real sync-server on loopback and
# the folder modem standing in for the GSM modem (OUTPOST_TEST_MODEM_DIR).
# Each language has its own facility (its clinician's slots tomorrow
# morning, Africa/Nairobi), its clinic kiosk, a second kiosk of the
# facility and an admin node of a synthetic region; the three walks run at
# once.  Each walks, with every F1 help:
#   - the CALL NOW card without a roster, with one (level 1 paged), Home's
#     status strip, help arrived (F9);
#   - the waitlist (F7 on the patient): not listed, listed, and later the
#     offer of a freed slot;
#   - booking (F2 in the visit): the slot list, a slot taken with the
#     alternatives, booked, the cancel reasons, cancelled, a reschedule;
#     Home's appointment rows;
#   - break-glass (F7 on Find): found, the reason refused, the
#     confirmation, opened;
#   - the unlock: a wrong passphrase; the second factor: enrolment after
#     the grace (QR code, a wrong code, the recovery codes), the unlock's
#     code field;
#   - the administrators' dashboard (F2 on the admin node): region,
#     facility;
#   - with the server gone: booking's "no link" and its proposal,
#     break-glass's "needs a link".
# Fails as lang.sh does (lang.inc): text cut, overlapping or untranslated,
# or English left on a French or Kiswahili screen.
. tests/tui/lib.inc
. tests/tui/lang.inc

command -v oathtool >/dev/null 2>&1 || { echo "no oathtool" >&2; exit 77; }
start_server
export TZ=Africa/Nairobi

# what changes with the day and hour of the run, and random codes (clock
# times but those of the slots, on the hour and the half hour)
CODE_RE='@@none@@'
screen() {
	tmux -S "$SOCK" capture-pane -p -t k |
	    sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM/g' \
	    -e 's/[0-9]{2}:(0[1-9]|[1245][0-9]|3[1-9])/HH:MM/g' \
	    -e 's/ [0-9]:[0-9]{2}\./ M:SS./g' \
	    -e 's/^ Sync: .*/ Sync: ~/' \
	    -e 's/[0-9]+(\.[0-9])? (s|min|h|d)( |,|\)|$)/N \2\3/g' \
	    -e 's/^[█▀▄][█▀▄ ]*[█▀]/[qr]/' \
	    -e 's/[A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4}/XXXX XXXX XXXX XXXX/' \
	    -e 's/\b[2-9A-Z]{5}-[2-9A-Z]{5}\b/xxxxx-xxxxx/g' \
	    -e "s/$CODE_RE/CODE00/g"
}

# the region of the dashboard, apart from the clinics'
"$SERVER" --data "$T/srv" admin synth --region rs --kiosks 6 \
    --facilities 2 --hubs 1 --visits 100 --seed 3 >"$T/synth.out" 2>&1 ||
    fail "synth: $(cat "$T/synth.out")"
cat >"$T/spec" <<EOS
# Gede dispensary
version 1
valid-days 30
site gede-disp -3.30950 40.01730
landmark Gede disp
directions Behind the market, blue gate
service watamu-amb 20 -3.3540 40.0190 +254700000002 transport
level 300 watamu-amb
loops 5 600
EOS
"$SERVER" --data "$T/srv" admin roster sign "$T/spec" "$T/roster" \
    >/dev/null 2>"$T/sign.err" || fail "sign: $(cat "$T/sign.err")"

node_new() { # dir role region facility
	NODE=$1
	[ -d "$NODE" ] || make_node
	t=$("$SERVER" --data "$T/srv" admin enroll-token --role "$2" \
	    --region "$3" --facility "$4") || fail "token $4"
	cli enroll --server "$URL" --token "$t" --insecure-http >/dev/null ||
	    fail "enrol $4"
}
# another facility's patient, for break-glass
node_new "$T/z" clinic north fz
cli patient add --given Zuhura --family Mollel --sex female \
    --birth-date 1985-03-04 --village Moshi >/dev/null || fail "Zuhura"
cli sync --once >/dev/null 2>&1 || fail "sync fz"

day=$(TZ=Africa/Nairobi date -d tomorrow +%a | tr 'A-Z' 'a-z')
for L in en fr sw; do
	"$SERVER" --data "$T/srv" admin schedule --clinician Kamau \
	    --facility "f$L" --region north --tz Africa/Nairobi \
	    --hours "$day 08:00-10:00/30" --service gp --langs sw,en \
	    --days 7 >"$T/sched.out" ||
	    fail "admin schedule: $(cat "$T/sched.out")"
	"$SERVER" --data "$T/srv" admin schedule --list --facility "f$L" \
	    --days 7 | head -1 >"$T/slot1.$L" || fail "schedule --list"
	node_new "$T/o$L" clinic north "f$L"
	cli patient add --given Neema --family Wanjiru >"$T/other.$L" ||
	    fail "patient on o$L"
	# the clinic kiosk: a CHW and a clinician in L, added before it
	# is enrolled
	NODE=$T/k$L
	make_node
	printf 'pass-word\nsecret-%s\nsecret-%s\n' $L $L | "$KIOSK" \
	    --data "$NODE" --passphrase-fd 0 user add "u$L" --role chw \
	    --lang $L --kdf-ms 5 >/dev/null 2>&1 || fail "user u$L"
	printf 'pass-word\ndoc-%s\ndoc-%s\n' $L $L | "$KIOSK" \
	    --data "$NODE" --passphrase-fd 0 user add "doc$L" \
	    --role clinician --lang $L --kdf-ms 5 >/dev/null 2>&1 ||
	    fail "user doc$L"
	cli language $L >/dev/null || fail "kiosk language $L"
	node_new "$T/k$L" clinic north "f$L"
	cli patient add --given Amina --family Otieno --sex female \
	    --village Kisumu >/dev/null || fail "Amina"
	cli patient add --given Baraka --family Mwangi --sex male \
	    >/dev/null || fail "Baraka"
	cli emergency phone +254712345678 >/dev/null || fail "callback"
	cli sync --once >/dev/null 2>&1 || fail "sync k$L"
	# the admin node, its administrator in L
	NODE=$T/a$L
	make_node
	cli user set admin --lang $L >/dev/null || fail "admin --lang $L"
	cli language $L >/dev/null || fail "kiosk language $L"
	node_new "$T/a$L" admin rs office
	cli sync --once >/dev/null 2>"$T/sync.err" ||
	    fail "admin sync: $(cat "$T/sync.err")"
done

kiosk_ui() { # node user passphrase
	start env TZ=Africa/Nairobi OUTPOST_TEST_MODEM_DIR="$T/modem.$L" \
	    "$KIOSK" --data "$1" --user "$2" ui --idle-lock 0
	wait_tr "This kiosk is locked."
	type_text "$3"
	keys Enter
}
as_user() { # user passphrase, on the unlock screen
	wait_tr "This kiosk is locked."
	keys Up
	keys BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace
	type_text "$1"
	keys Down
	type_text "$2"
	keys Enter
}
# Home: its key bar's F10 (its heading changes with appointments)
wait_home() {
	wait_for "F10 $(msg "quit")"
}
go_home() {
	i=0
	while ! screen | grep -q -F -- "F10 $(msg "quit")" &&
	    [ $i -lt 8 ]; do
		keys Escape
		sleep 0.2
		i=$((i + 1))
	done
	wait_home
}
quit_here() {
	go_home
	keys F10
	wait_tr "Quit the kiosk? Y quits, any other key stays."
	keys y
	wait_for "KIOSK-EXITED rc=0"
}
find_open() { # name: its patient screen
	keys F3
	wait_tr "Name, phone, village, birth year or patient id:"
	type_text "$1"
	wait_for "> $1"
	keys Enter
	wait_tr "Enter start the visit   Esc back   F12 lock"
}
# Down until a row matching the extended regular expression RE is the
# chosen one.
choose_re() {
	i=0
	while ! screen | grep -q -E -- "$1" && [ $i -lt 8 ]; do
		keys Down
		sleep 0.15
		i=$((i + 1))
	done
	screen | grep -q -E -- "$1" || fail "no row $1"
}
choose() {
	choose_re "> $1"
}

# The CHW unlocks, starts Amina's visit and opens its appointments (F2).
amina_booking() {
	kiosk_ui "$K" "u$L" "secret-$L"
	wait_tr "Unlocked. Welcome, %s."
	find_open Amina
	keys Enter
	wait_tr "Visit: %s%s%.50s"
	keys F2
}

walk() {
	export OUTPOST_TEXT_REPORT="$T/report.$L"
	mkdir -p "$T/modem.$L/in"
	K=$T/k$L

	# 1. the CALL NOW card: no roster, then level 1 paged; the strip
	kiosk_ui "$K" "u$L" "secret-$L"
	wait_tr "Unlocked. Welcome, %s."
	keys F11
	wait_tr "!! CALL NOW !!"
	wait_tr_head "This kiosk has no emergency roster from the server, so it cannot page anyone or list the services near you. Ask the supervisor to enrol the kiosk and install its roster."
	shot emerg-noroster
	help_shot emerg-noroster
	keys Escape
	wait_home
	NODE=$K cli emergency roster "$T/roster" >/dev/null 2>"$T/err.$L" ||
	    fail "roster: $(cat "$T/err.$L")"
	keys F11
	wait_tr "!! CALL NOW !!  Incident %s"
	CODE_RE=$(screen | awk -v p="$(msg "!! CALL NOW !!  Incident %s")" '
	    i = index($0, p) { s = substr($0, i + length(p))
	        if (match(s, /[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]/))
	            print substr(s, RSTART, RLENGTH); exit }')
	[ -n "$CODE_RE" ] || fail "no incident code on the card"
	wait_tr "Paging level %d: %d SMS sent, %d failed. Next level in %u:%02u."
	shot emerg-card
	help_shot emerg-card
	keys Escape
	wait_home
	shot home-strip
	keys F11
	wait_tr "!! CALL NOW !!  Incident %s"
	keys F9
	wait_tr "Recorded: help arrived. The emergency is closed."
	shot emerg-closed

	# 2. the waitlist: Baraka listed
	go_home
	find_open Baraka
	keys F7
	wait_tr "Not on the waitlist. List the patient below."
	shot waitlist
	help_shot waitlist
	keys Left
	type_text "gp"
	keys F2
	wait_tr "Listed. The server has it after the next sync."
	shot waitlist-listed
	quit_here
	NODE=$K cli sync --once >/dev/null 2>&1 || fail "sync the waitlist"

	# 3. booking from Amina's visit: the slots, one taken meanwhile
	amina_booking
	wait_tr "online, as of %s"
	wait_tr "Free slots, next 7 days (facility time)"
	shot book
	help_shot book
	(
		NODE=$T/o$L
		s=$(cat "$T/slot1.$L")
		st=$(printf '%s' "$s" | cut -f2)
		cli appt book "$(cat "$T/other.$L")" --slot "$(printf '%s' "$s" |
		    cut -f1)" --start "$st" --end $((st + 1800000)) \
		    --clinician Kamau >/dev/null && cli sync --once >/dev/null 2>&1
	) || fail "o$L books the first slot"
	# 08:00 taken: the alternatives, 09:00 booked, moved to 09:30, then
	# cancelled with a reason
	keys F2
	wait_tr "Slot taken. The server offers these: choose one, F2 books it"
	wait_for "> 08:30-09:00"
	shot book-taken
	keys Down
	wait_for "> 09:00-09:30"
	keys F2
	wait_tr "Booked."
	shot book-booked
	keys Tab
	choose "09:30-10:00"
	keys Tab
	keys F6
	wait_tr "Moved: booked in the new slot, the old one cancelled."
	shot book-moved
	choose_re '> .* 09:30  '
	keys F8
	wait_tr "Cancel the chosen appointment: why?"
	shot book-cancel
	keys Down Down
	keys Enter
	wait_tr "Cancelled: the slot is free again."
	shot book-cancelled
	# one booked for Home's rows (the other kiosk's booking reaches
	# this one only at a later sync)
	keys Tab
	keys Up Up Up
	choose "08:30-09:00"
	keys F2
	wait_tr "Booked."
	go_home
	wait_tr "today %d, tomorrow %d"
	shot home-appt
	quit_here
	NODE=$K cli sync --once >/dev/null 2>&1 || fail "sync the bookings"

	# 4. the freed slot offered to Baraka; break-glass; the second
	# factor
	NODE=$K cli user mfa policy required --grace-days 0 >/dev/null ||
	    fail "mfa policy"
	kiosk_ui "$K" "u$L" "secret-$L"
	wait_tr "Unlocked. Welcome, %s."
	find_open Baraka
	keys F7
	wait_tr "A FREED SLOT IS OFFERED TO THIS PATIENT"
	shot waitlist-offer
	go_home
	keys F3
	wait_tr "F7 a patient of another facility (break-glass)"
	keys F7
	wait_tr "A patient of another facility: search the region on the server."
	shot breakglass
	help_shot breakglass
	type_text "zuhura"
	keys Enter
	wait_for "Mollel"
	shot breakglass-found
	keys Enter
	wait_tr "Why do you open this patient? Required, at least 10 letters;"
	keys Enter
	wait_tr "%d letters, %d words (at least %d letters)"
	shot breakglass-reason
	type_text "fainted at the market, no record here"
	keys Enter
	wait_tr "Open this patient outside this facility's scope?"
	shot breakglass-confirm
	keys Enter
	WAIT_S=30 wait_tr "Opened outside this facility's scope (recorded)."
	shot breakglass-opened
	go_home
	keys F12
	# a wrong passphrase first: the keyring's words in the language
	as_user "doc$L" "not-the-$L"
	wait_tr "Not unlocked: %s"
	shot unlock-wrong
	sleep 1.2
	as_user "doc$L" "doc-$L"
	wait_tr_head "A second factor is needed to go on."
	shot mfa-enrol
	help_shot mfa-enrol
	key=$(tmux -S "$SOCK" capture-pane -p -t k |
	    grep -oE '[A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4}' |
	    tr -d ' \n')
	[ ${#key} -eq 32 ] || fail "no key on the enrolment screen: $key"
	good=$(oathtool --totp -b "$key")
	type_text "$(printf '%06d' $(( (1${good} - 1000000 + 500000) % 1000000 )))"
	keys Enter
	wait_tr "Not set up: %s"
	shot mfa-wrong
	sleep 1.1
	type_text "$(oathtool --totp -b "$key")"
	keys Enter
	wait_tr "Write these down now and keep them apart from the phone:"
	shot mfa-codes
	keys Enter
	wait_home
	keys F12
	as_user "doc$L" "doc-$L"
	wait_tr "Type the code from your authenticator app."
	shot unlock-code
	help_shot unlock-code
	type_text "$(oathtool --totp -b "$key" -N "@$(( $(date +%s) + 30 ))")"
	keys Enter
	wait_tr "Unlocked. Welcome, %s."
	quit_here

	# 5. the administrators' dashboard
	kiosk_ui "$T/a$L" admin pass-word
	wait_tr "Unlocked. Welcome, %s."
	keys F2
	wait_tr "Up/Down choose   Enter open the facility   Esc home"
	shot dash
	help_shot dash
	keys Down Enter
	wait_tr "Up/Down choose a kiosk   Esc back to the region"
	shot dash-facility
	help_shot dash-facility
	keys Escape Escape
	keys F10
	wait_tr "Quit the kiosk? Y quits, any other key stays."
	keys y
	wait_for "KIOSK-EXITED rc=0"
}

# 6. no server: booking proposes, break-glass needs a link
walk_nolink() {
	export OUTPOST_TEXT_REPORT="$T/report.$L"
	K=$T/k$L
	amina_booking
	WAIT_S=20 wait_tr "no link: booking will be proposed"
	shot book-nolink
	choose "09:00-09:30" # 08:30 is Amina's already
	keys F2
	wait_tr "Proposed. No link now: the server answers at the next sync."
	shot book-proposed
	go_home
	keys F3
	wait_tr "F7 a patient of another facility (break-glass)"
	keys F7
	type_text "zuhura"
	keys Enter
	WAIT_S=20 wait_tr "Break-glass needs a link to the server, and there is none now."
	shot breakglass-nolink
	quit_here
	check_report
}

run_walks walk
kill "$SRV" 2>/dev/null
wait "$SRV" 2>/dev/null
run_walks walk_nolink 50

# names, typed text, the roster's and the synthetic region's words, and
# words French spells as English (Service, Code, note)
english_left ' Amina Otieno Kamau Baraka Mwangi Zuhura Mollel Kisumu Moshi fz fen ffr fsw
 uen ufr usw docen docfr docsw admin dr gp sw en fr rs office f00 f01 hub synth
 fainted at the market no record here Behind blue gate Gede disp
 Outpost NEWS2 IMCI WHO SpO2 SMS CODE00 XXXX xxxxx qr Enter Esc Tab Space Up Down
 Service Code note Sync F F6 f m Y N YYYY MM DD HH MM N s min h d '
echo "the screens of issues 15-17 in en, fr, sw: $(ls "$T/en" | wc -l) screens each, nothing cut, nothing untranslated"
