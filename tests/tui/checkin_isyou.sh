#!/bin/sh
# Issue 10, item 8: a one-letter typo at self check-in ("Zawdi" for
# Zawadi) no longer makes a second patient unseen.  The kiosk asks "is
# this you?" with the near record's names, birth year and village (never
# its phone), by the rule staff registration uses; yes checks the patient
# in on that record; no registers the new one and leaves the pair for
# staff, who resolve it later from Home (F6): F2 merges (one record: the
# visits show under the survivor, the duplicate leaves search), D keeps
# two people.
. tests/tui/lib.inc

make_node
cli patient add --given Zawadi --family Achieng --birth-date 1988-04-02 \
    --village Kisumu --phone 0711222333 >/dev/null || fail "patient add"
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "F7 patients check themselves in"
keys F7
wait_for "Please check yourself in."

checkin_as() { # given family year
	type_text "$1"; keys Tab
	type_text "$2"; keys Tab
	type_text "$3"; keys Enter
}
finish() { # reason
	wait_for "Why have you come today?"
	type_text "$1"; keys Enter
	wait_for "Do you agree?"
	type_text "y"
	wait_for "You are checked in."
	keys Enter
	wait_for "Please check yourself in."
}

# Zawadi herself, one letter short: yes
checkin_as Zawad Achieng 1988
expect_screen checkin-isyou "Is this you?"
wait_for "Zawadi Achieng"
wait_for "born 1988, from Kisumu"
screen | grep -q "0711222333\|04-02" && fail "more than names, year and village shown"
type_text "y"
finish "headache"

# someone else, one letter off, says no: a new patient, pair flagged
checkin_as Zawdi Achieng 1988
wait_for "Is this you?"
type_text "n"
wait_for "You are new here."
type_text "0733444555"; keys Tab
type_text "Kisumu"; keys Tab
type_text "f"; keys Enter
finish "fever"

# and once more, for a pair staff will keep apart
checkin_as Zawadii Achieng 1988
wait_for "Is this you?"
type_text "n"
wait_for "You are new here."
keys Enter Enter Enter
finish "cough"

# staff take the kiosk back: two pairs waiting
keys F12
wait_for "Staff: unlock to take the kiosk back."
type_text "pass-word"
keys Enter
wait_for "F6 probable duplicates: 2"
screen | grep -q "Zawdi" || fail "Zawdi's visit is not on Home"
keys F6
expect_screen dups-two "Probable duplicates: is each pair one person?"
# the first pair: keep Zawadi, merge Zawdi
keys F2
wait_for "Merged: one record now"
wait_gone "Zawdi"
# the second: different people
keys d
wait_for "Kept as two people."
wait_for "None waiting."
keys Escape
wait_for "F6 probable duplicates"
wait_gone "probable duplicates: "
# Zawdi's visit shows under Zawadi now
wait_for "Today's patients"
screen | grep -q "Zawdi" && fail "the merged record still shows"
[ "$(screen | grep -c 'Zawadi  *Achieng')" -eq 2 ] ||
    fail "both visits should show under Zawadi"
quit_kiosk

# search finds the survivor and the kept one, never the duplicate
cli patient find Achieng >"$T/find" || fail "find"
grep -q "Zawdi\|0733444555" "$T/find" && fail "the duplicate is still found"
[ "$(grep -c Achieng "$T/find")" -eq 2 ] || fail "find: $(cat "$T/find")"
