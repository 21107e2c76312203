#!/bin/sh
# Break-glass from the screens (issue 17; docs/PROTOCOL.md §15, §15.1),
# through a real sync-server on loopback: facility f2 registered Zuhura
# and synced; on f1's kiosk Find names F7 (the node is enrolled), the
# break-glass screen searches the region on the server and lists her with
# f2 as her facility; no reason, and one too short, are refused with the
# letters counted; with a reason and a confirmation the access is
# recorded, the kiosk pulls her history and opens her.  The server lists
# the search (`admin breakglass --searches`) and the access with its
# reason (`admin breakglass`); `kiosk breakglass --search` answers the
# same fields.  Past the server's limit of searches (10 a minute for a
# user), the command is refused in the server's words and the screen says
# how long to wait.  With the server gone, the screen says
# that break-glass needs a link.
. tests/tui/lib.inc

make_node
start_server
NODEB="$T/nodeb"
printf 'pass-word\npass-word\n' | "$KIOSK" --data "$NODEB" --passphrase-fd 0 \
    init --kdf-ms 5 >/dev/null 2>&1 || fail "init node b"
clib() {
	printf 'pass-word\n' | "$KIOSK" --data "$NODEB" --passphrase-fd 0 "$@"
}
tok=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region r1 --facility f1) || fail "token f1"
cli enroll --insecure-http --server "$URL" --token "$tok" >/dev/null 2>&1 ||
    fail "enroll f1"
tok=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region r1 --facility f2) || fail "token f2"
clib enroll --insecure-http --server "$URL" --token "$tok" >/dev/null 2>&1 ||
    fail "enroll f2"
clib patient add --given Zuhura --family Mollel --sex female \
    --birth-date 1985-03-04 --village Moshi --phone +255711222333 \
    >/dev/null || fail "patient add on f2"
clib sync --once >/dev/null 2>&1 || fail "sync f2"
cli sync --once >/dev/null 2>&1 || fail "sync f1"

start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F3
wait_for "F7 a patient of another facility (break-glass)"
type_text "Zuhura"
wait_for "No patient found"
keys F7
wait_for "A patient of another facility: search the region"
type_text "zuhura"
keys Enter
expect_screen breakglass-found "Mollel"

# the reason: none, then too short, refused with the letters counted
keys Enter
wait_for "Why do you open this patient?"
keys Enter
wait_for "at least 10 letters (now 0)"
type_text "fainted"
wait_for "7 letters, 1 words"
keys Enter
wait_for "at least 10 letters (now 7)"
type_text " at the market, no record here"
wait_for "31 letters, 7 words"
keys Enter
expect_screen breakglass-confirm "Open this patient outside this facility's scope?"
keys Enter
WAIT_S=30 wait_for "Opened outside this facility's scope (recorded)."
wait_for "Zuhura"
screen | grep -q "Mollel" || fail "the patient screen does not show her"

# on the server: the search and the access, with the reason
"$SERVER" --data "$T/srv" admin breakglass --searches >"$T/searches.txt" ||
    fail "admin breakglass --searches"
grep -q " f1 .* 1 *zuhura$" "$T/searches.txt" ||
    fail "the search is not recorded: $(cat "$T/searches.txt")"
"$SERVER" --data "$T/srv" admin breakglass >"$T/access.txt" ||
    fail "admin breakglass"
grep -q "fainted at the market, no record here" "$T/access.txt" ||
    fail "the access is not recorded: $(cat "$T/access.txt")"
# the reason and the words stay out of the logs
grep -q "fainted\|zuhura" "$T/srv.log" "$NODE/kiosk.log" &&
    fail "the reason or the search words are in a log"

# the command line's search answers the same minimal fields
cli breakglass --search "0711 222 333" >"$T/cli.txt" 2>&1 ||
    fail "kiosk breakglass --search: $(cat "$T/cli.txt")"
grep -q "  Zuhura Mollel  1985  female  Moshi  f2$" "$T/cli.txt" ||
    fail "the command's search: $(cat "$T/cli.txt")"
grep -q "255711222333\|+255" "$T/cli.txt" && fail "the search answered a phone number"
cli breakglass --search "zu" >"$T/cli.txt" 2>&1 &&
    fail "a two-letter search was answered"
grep -q "at least 3 letters" "$T/cli.txt" ||
    fail "no reason for the refusal: $(cat "$T/cli.txt")"

# the limit: 10 searches a minute for one user (§15.1); the command's
# refusal in the server's words, the screen's in its own
i=0
while [ $i -lt 10 ]; do
	cli breakglass --search zuhura >/dev/null 2>&1
	i=$((i + 1))
done
cli breakglass --search zuhura >"$T/cli.txt" 2>&1 &&
    fail "an 11th search in a minute was answered"
grep -q "too many break-glass searches" "$T/cli.txt" ||
    fail "the limit's refusal: $(cat "$T/cli.txt")"
keys Escape
keys F3
wait_for "F7 a patient of another facility (break-glass)"
keys F7
wait_for "A patient of another facility: search the region"
type_text "zuhura"
keys Enter
wait_for "Too many searches: at most 10 a minute and 60 a day. Search again in"
keys Escape

# without the server: break-glass says it needs a link
kill $SRV 2>/dev/null
wait $SRV 2>/dev/null
keys Escape
keys F3
wait_for "F7 a patient of another facility (break-glass)"
keys F7
wait_for "A patient of another facility: search the region"
type_text "baraka"
keys Enter
WAIT_S=20 wait_for "Break-glass needs a link to the server"
keys Escape
keys Escape
quit_kiosk
