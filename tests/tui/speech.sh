#!/bin/sh
# Spoken check-in prompts (issue 10, item 9): with `kiosk ui --checkin
# --speech` the check-in screen's prompts are synthesized by eSpeak NG in
# the screen language, and without --speech nothing is.  There is no
# sound card here, so the kiosk's test-only sink OUTPOST_SPEECH_WAV_DIR
# (kiosk/tui/speech.c) writes each prompt as NNN-<voice>.wav; this checks
# the voice named, that the audio is speech-like (sox: 1 to 30 s, not
# silent), that a new screen speaks a new prompt, and that French and
# Kiswahili are different audio.
. tests/tui/lib.inc

if ! command -v sox >/dev/null 2>&1; then
	echo "sox is not installed (apt-get install sox)" >&2
	exit 77
fi
make_node
for L in fr sw; do
	printf 'pass-word\nsecret-%s\nsecret-%s\n' $L $L |
	    "$KIOSK" --data "$NODE" --passphrase-fd 0 user add "u$L" \
	    --role chw --lang $L --kdf-ms 5 >/dev/null 2>"$T/add.err" ||
	    fail "user add: $(cat "$T/add.err")"
done

# one WAV of the sink: "seconds rms"
stat_wav() {
	sox "$1" -n stat 2>&1 | awk '/^Length/ { l = $3 } /^RMS +amplitude/ { r = $3 }
	    END { print l, r }'
}
# the sink's file N (000, 001...) must exist with voice L and sound like
# a spoken sentence
check_wav() {
	f="$W/$1-$2.wav"
	i=0
	while [ ! -s "$f" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$f" ] || fail "no prompt $1 in voice $2: $(ls "$W")"
	set -- $(stat_wav "$f")
	awk -v l="$1" -v r="$2" 'BEGIN { exit !(l >= 1 && l <= 30 && r > 0.01) }' ||
	    fail "$f is not a spoken prompt (length $1 s, RMS $2)"
}

# check-in as the French-speaking staff unlocked it, then the next screen
for L in fr sw; do
	W="$T/wav-$L"
	mkdir -p "$W"
	export OUTPOST_SPEECH_WAV_DIR="$W"
	start "$KIOSK" --data "$NODE" --user "u$L" ui --checkin --speech \
	    --idle-lock 0
	wait_for "This kiosk is locked."
	type_text "secret-$L"
	keys Enter
	wait_for "Outpost"
	check_wav 000 $L
	type_text "Neema"; keys Tab
	type_text "Wanjiru$L"; keys Tab
	type_text "1990"; keys Enter
	check_wav 001 $L
	# the prompt with the patient's name ("Welcome, %s.") is not
	# spoken: only what has no argument
	sleep 0.3
	[ "$(ls "$W" | wc -l)" -eq 2 ] || fail "$L: unexpected prompts: $(ls "$W")"
	keys F12
	wait_for "This kiosk is locked."
	keys F10
	wait_for "Staff: type the passphrase to quit the kiosk."
	type_text "secret-$L"
	keys Enter
	wait_for "$(LANGUAGE=$L TEXTDOMAINDIR=$OUTPOST_LOCALEDIR gettext -d outpost \
	    "Quit the kiosk? Y quits, any other key stays.")"
	keys y
	wait_for "KIOSK-EXITED rc=0"
done
cmp -s "$T/wav-fr/000-fr.wav" "$T/wav-sw/000-sw.wav" &&
    fail "French and Kiswahili prompts are the same audio"
cmp -s "$T/wav-fr/000-fr.wav" "$T/wav-fr/001-fr.wav" &&
    fail "two screens spoke the same audio"

# off unless asked: the same check-in without --speech says nothing
W="$T/wav-off"
mkdir -p "$W"
export OUTPOST_SPEECH_WAV_DIR="$W"
start "$KIOSK" --data "$NODE" --user ufr ui --checkin --idle-lock 0
wait_for "This kiosk is locked."
type_text "secret-fr"
keys Enter
wait_for "Bienvenue. Enregistrez votre arrivée ici."
sleep 0.5
[ -z "$(ls "$W")" ] || fail "prompts spoken without --speech: $(ls "$W")"
echo "spoken prompts: fr $(stat_wav "$T/wav-fr/000-fr.wav"), sw $(stat_wav "$T/wav-sw/000-sw.wav") (seconds, RMS)"
