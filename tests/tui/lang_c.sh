#!/bin/sh
# The kiosk under LANG=C (no UTF-8 in the environment; issue 10, item
# 10): it switches itself to C.UTF-8 (common/i18n.c), so "°C" and the
# accents of French screens are drawn, and an accented name typed at
# registration is kept as typed, not dropped.
. tests/tui/lib.inc

make_node
printf 'pass-word\nsecret-fr\nsecret-fr\n' |
    "$KIOSK" --data "$NODE" --passphrase-fd 0 user add ufr --role chw \
    --lang fr --kdf-ms 5 >/dev/null 2>"$T/add.err" ||
    fail "user add: $(cat "$T/add.err")"
# start's own environment has LC_ALL=C.UTF-8: this one has only LANG=C
nstart=$((nstart + 1))
SOCK="$T/tmux.$nstart.sock"
tmux -S "$SOCK" -f /dev/null new-session -d -s k -x 80 -y 24 \
    "env -u LC_ALL -u LC_CTYPE -u LANGUAGE LANG=C TERM=screen $KIOSK --data $NODE --user ufr ui --idle-lock 0 2>$T/kiosk.stderr; echo KIOSK-EXITED rc=\$?; sleep 60" ||
    fail "tmux did not start"
wait_for "This kiosk is locked."
type_text "secret-fr"
keys Enter
wait_for "Déverrouillé. Bienvenue, ufr."
keys F4
wait_for "Nouveau patient. Prénom et nom obligatoires"
type_text "Zoé"; keys Tab
type_text "Müller-Ngũgĩ"; keys Tab
screen | grep -q "\[Zoé " || fail "the accented name was not kept as typed"
type_text "f"
keys F2
wait_for "Zoé Müller-Ngũgĩ inscrit(e)."
wait_for "°C"
screen | grep -q "Température      \[        \] °C" ||
    fail "\"°C\" or \"Température\" not drawn"
keys Escape
wait_for "Patients du jour"
keys F10
wait_for "Quitter le kiosque ? Y quitte"
keys y
wait_for "KIOSK-EXITED rc=0"
cli patient find "Zoé" >"$T/find.out" 2>&1 || fail "patient find: $(cat "$T/find.out")"
grep -q "Müller-Ngũgĩ" "$T/find.out" || fail "not stored as typed: $(cat "$T/find.out")"
