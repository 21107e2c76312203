#!/bin/sh
# kiosk/setup/outpost-setup answered at the keyboard (issue 18): driven in
# a tmux terminal against a real sync-server, it asks for the
# administrator, the passphrase twice (not echoed: it never shows on the
# screen), the region key, the server and the token (not echoed); the node
# is made and enrolled, and no process's argv or environment ever held the
# passphrase or the token (every process of the session is read from
# /proc while it runs).  A second run keeps the node and asks for no
# token.  The provisioning-folder path is tested by tests/deb/deb.sh.
# As root the kiosk runs as `nobody` (OUTPOST_SETUP_ACCOUNT), as the
# package runs it as `outpost`.
. tests/e2e/lib.inc
command -v tmux >/dev/null || { echo "tmux is not installed" >&2; exit 77; }
sync_setup
chmod 755 "$T"
SETUP=$(pwd)/kiosk/setup/outpost-setup
case $KIOSK in /*) K=$KIOSK ;; *) K=$(pwd)/$KIOSK ;; esac
server_start
TOK=$(token north)
"$K" region keygen --out "$T/region" >/dev/null || fail "region keygen"
chmod 644 "$T/region.pub"
SECRET=setup-pass-$$
DATA=$T/node
SOCK=$T/tmux.sock
W="tmux -S $SOCK"
# A folder holding only insecure_http (the test server is http://): every
# answer comes from the keyboard.
mkdir "$T/prov"
echo "insecure_http = yes" >"$T/prov/provision.conf"
chmod -R a+rX "$T/prov"
$W new-session -d -x 80 -y 24 "env OUTPOST_SETUP_KIOSK=$K OUTPOST_SETUP_ACCOUNT=nobody \
    sh $SETUP --from $T/prov --data $DATA --no-start; echo SETUP-EXIT=\$?; sleep 600"
PIDS="$PIDS $($W display -p '#{pane_pid}')"

screen() { $W capture-pane -p; }
# wait_for TEXT: poll the screen (bounded), fail with it when it never shows
wait_for() {
	_i=0
	while :; do
		_s=$(screen 2>/dev/null) || fail "the terminal is gone, waiting for: $1"
		printf '%s\n' "$_s" | grep -qF "$1" && return 0
		_i=$((_i + 1))
		[ $_i -gt 1200 ] && { printf '%s\n' "$_s" >&2; fail "never showed: $1"; }
		sleep 0.05
	done
}
# Every process's argv and environment, to search for the secrets.
LEAKS=$T/leaks
: >"$LEAKS"
watch_procs() {
	while [ -S "$SOCK" ]; do
		for p in /proc/[0-9]*; do
			{ tr '\0' ' ' <"$p/cmdline"; tr '\0' ' ' <"$p/environ"; } \
			    2>/dev/null | grep -F -e "$SECRET" -e "$TOK" >>"$LEAKS"
		done
		sleep 0.02
	done
}
watch_procs &
WATCH=$!
PIDS="$PIDS $WATCH"

wait_for "Administrator's user name [admin]:"
$W send-keys Enter
wait_for "Passphrase or PIN for admin"
$W send-keys "$SECRET" Enter
wait_for "Type it again:"
$W send-keys "$SECRET" Enter
wait_for "The region's public key file"
$W send-keys "$T/region.pub" Enter
wait_for "The region's server"
$W send-keys "http://127.0.0.1:$SRV_PORT" Enter
wait_for "Enrolment token"
$W send-keys "$TOK" Enter
wait_for "SETUP-EXIT="
out=$(screen)
echo "$out" | grep -q "SETUP-EXIT=0" || { echo "$out" >&2; fail "outpost-setup failed"; }
echo "$out" | grep -q "enrolled as node 1 in region north" || { echo "$out" >&2; fail "not enrolled"; }
echo "PASS: setup_keyboard"
echo "$out" | grep -qF "$SECRET" && fail "the passphrase showed on the screen"
echo "$out" | grep -qF "$TOK" && fail "the token showed on the screen"
[ -s "$DATA/keyring" ] || fail "no node made"
[ "$(stat -c %a "$DATA")" = 700 ] || fail "data directory mode $(stat -c %a "$DATA")"
echo "PASS: setup_no_echo"
kill "$WATCH" 2>/dev/null
[ -s "$LEAKS" ] && fail "a secret in a process's argv or environment: $(head -c 200 "$LEAKS")"
echo "PASS: setup_no_secret_in_argv_or_env"
$W kill-server 2>/dev/null
# Again: the node is kept, it is enrolled, so only the passphrase is asked.
rm -f "$SOCK"
$W new-session -d -x 80 -y 24 "env OUTPOST_SETUP_KIOSK=$K OUTPOST_SETUP_ACCOUNT=nobody \
    sh $SETUP --data $DATA --no-start; echo SETUP-EXIT=\$?; sleep 600"
wait_for "Administrator's user name [admin]:"
$W send-keys Enter
wait_for "Passphrase or PIN for admin"
$W send-keys "$SECRET" Enter
wait_for "Type it again:"
$W send-keys "$SECRET" Enter
wait_for "SETUP-EXIT="
out=$(screen)
echo "$out" | grep -q "SETUP-EXIT=0" || { echo "$out" >&2; fail "second run failed"; }
echo "$out" | grep -q "already has a node" || fail "second run: node not kept"
echo "$out" | grep -q "Already enrolled: enrolled: node 1" || fail "second run: enrolled again"
echo "PASS: setup_again_keeps_the_node"
$W kill-server 2>/dev/null
exit 0
