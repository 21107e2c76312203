#!/bin/sh
# The server as a process (issue 9, item 10).
#  1. No core dump: started with the core limit raised and core files
#     written to its working directory (when the kernel does that), the
#     server's own limit is 0, and a SIGABRT leaves no core file.
#  2. --user NAME (as root): once listening, every uid and gid of the
#     process is NAME's, with no supplementary groups; it still enrols
#     and syncs a kiosk, writing its store as NAME; a non-root start with
#     --user is refused.  Skipped when not root, with the reason.
. tests/e2e/lib.inc
sync_setup
case $SERVER in
/*) ABS=$SERVER ;;
*) ABS=$(pwd)/$SERVER ;;
esac

# 1. core dumps
mkdir "$T/crash"
(
	ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)"
	cd "$T/crash" || exit 1
	# ASan would turn core dumps off itself: let the server decide.
	ASAN_OPTIONS="disable_coredump=0:${ASAN_OPTIONS:-}" exec "$ABS" \
	    --data "$T/srv" --listen 127.0.0.1:0 --port-file "$T/port" \
	    --log "$T/srv.log"
) &
SRV_PID=$!
PIDS="$PIDS $SRV_PID"
wait_file "$T/port"
grep -q '^Max core file size *0 *0 ' "/proc/$SRV_PID/limits" ||
    fail "core dumps allowed: $(grep core "/proc/$SRV_PID/limits")"
kill -ABRT "$SRV_PID"
wait "$SRV_PID" 2>/dev/null
sleep 0.2
ls "$T/crash" | grep -q core && fail "a crash left a core file: $(ls "$T/crash")"
rm -f "$T/port"

# 2. --user
if [ "$(id -u)" -ne 0 ]; then
	"$SERVER" --data "$T/srv" --listen 127.0.0.1:0 --user nobody \
	    2>"$T/user.err" && fail "--user worked without root"
	echo "not root: the privilege drop itself needs root" >&2
	exit 77
fi
RUN_USER=nobody
id "$RUN_USER" >/dev/null 2>&1 || {
	echo "no user $RUN_USER to drop to" >&2
	exit 77
}
uid=$(id -u "$RUN_USER")
gid=$(id -g "$RUN_USER")
# the user must reach the data directory; the port file is written after
# the drop, into a directory the user owns
chmod 711 "$T"
mkdir "$T/run"
chown "$RUN_USER" "$T/run"
"$SERVER" --data "$T/srv" --listen 127.0.0.1:0 --port-file "$T/run/port" \
    --log "$T/srv.log" --max-per-ip 256 --user "$RUN_USER" &
SRV_PID=$!
PIDS="$PIDS $SRV_PID"
wait_file "$T/run/port"
SRV_PORT=$(cat "$T/run/port")
st=/proc/$SRV_PID/status
grep -q "^Uid:	$uid	$uid	$uid	$uid\$" "$st" ||
    fail "uids not all $RUN_USER's: $(grep Uid "$st")"
grep -q "^Gid:	$gid	$gid	$gid	$gid\$" "$st" ||
    fail "gids not all $RUN_USER's: $(grep Gid "$st")"
grep -q "^Groups:[[:space:]]*\$" "$st" || fail "supplementary groups kept: $(grep Groups "$st")"
grep -q '^Max core file size *0 *0 ' "/proc/$SRV_PID/limits" ||
    fail "core dumps allowed after the drop"
kiosk_new a north
kiosk a seed --patients 3 --encounters 2 >/dev/null || fail "seed"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync with a dropped server: $(cat "$T/sync.err")"
same_manifest a
[ "$(stat -c %u "$T/srv/server.db")" = "$uid" ] ||
    fail "server.db is not the user's"
server_stop
exit 0
