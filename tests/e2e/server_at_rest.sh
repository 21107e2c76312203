#!/bin/sh
# The server store at rest (issue 9, item 10): server.db is SQLCipher under
# the store key.  A patient synced to the server is not in any file of its
# data directory in clear; a wrong key is refused with a clear message and
# changes nothing; the server does not start without a key; a plaintext
# server.db made by an older sync-server is encrypted in place on the
# first start with a key, its records kept.
. tests/e2e/lib.inc
sync_setup
command -v sqlcipher >/dev/null 2>&1 || {
	echo "no sqlcipher command (make deps installs it)" >&2
	exit 77
}

NAME=Zawadikarimu
no_name_in() { # dir what
	if grep -rqa "$NAME" "$1"; then
		fail "$2: the patient's name is in clear in $(grep -rla "$NAME" "$1")"
	fi
}

server_start
kiosk_new a north
kiosk a patient add --given "$NAME" --family Onyangowest >/dev/null ||
    fail "patient add"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a: $(cat "$T/sync.err")"
"$SERVER" --data "$T/srv" admin stats --json >"$T/stats.json" ||
    fail "admin stats"
grep -q '"patient":1' "$T/stats.json" ||
    fail "the server did not get the patient: $(cat "$T/stats.json")"
# while it runs (the WAL holds the push), then after a clean stop
no_name_in "$T/srv" "running server"
server_stop
no_name_in "$T/srv" "stopped server"

# A wrong key: refused, clearly, and server.db left as it was.
cp "$T/srv/server.db" "$T/before.db"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T/wrong.key"
chmod 600 "$T/wrong.key"
if "$SERVER" --data "$T/srv" --key-file "$T/wrong.key" \
    --listen 127.0.0.1:0 2>"$T/wrong.err"; then
	fail "the server started with a wrong key"
fi
grep -q "store key does not open server.db" "$T/wrong.err" ||
    fail "wrong key: unclear message: $(cat "$T/wrong.err")"
if "$SERVER" --data "$T/srv" --key-file "$T/wrong.key" admin stats \
    >/dev/null 2>"$T/wrong.err"; then
	fail "admin stats ran with a wrong key"
fi
grep -q "store key does not open it" "$T/wrong.err" ||
    fail "admin, wrong key: unclear message: $(cat "$T/wrong.err")"
cmp -s "$T/srv/server.db" "$T/before.db" ||
    fail "a refused wrong key changed server.db"

# No key at all, and a key file others can read: refused.
if env -u CREDENTIALS_DIRECTORY "$SERVER" --data "$T/srv" \
    --listen 127.0.0.1:0 2>"$T/nokey.err"; then
	fail "the server started without a key"
fi
grep -q "no store key: give --key-file" "$T/nokey.err" ||
    fail "no key: unclear message: $(cat "$T/nokey.err")"
chmod 644 "$T/wrong.key"
if "$SERVER" --data "$T/srv" --key-file "$T/wrong.key" admin stats \
    >/dev/null 2>"$T/mode.err"; then
	fail "a key file readable by others was accepted"
fi
grep -q "can be read by others" "$T/mode.err" ||
    fail "key mode: unclear message: $(cat "$T/mode.err")"

# A plaintext server.db (as an older sync-server left it) is encrypted on
# the first start with a key; its records stay.
KEYHEX=$(cat "$CREDENTIALS_DIRECTORY/outpost-server-key")
# the copy keeps the schema version of the tables it holds (sqlcipher_export
# copies tables, not user_version)
VER=$(srv_sql "PRAGMA user_version" | tail -1)
sqlcipher "$T/srv/server.db" >/dev/null 2>"$T/export.err" <<EOF || fail "export: $(cat "$T/export.err")"
PRAGMA key = "x'$KEYHEX'";
ATTACH DATABASE '$T/plain.db' AS plain KEY '';
SELECT sqlcipher_export('plain');
PRAGMA plain.user_version = $VER;
DETACH DATABASE plain;
EOF
grep -qa "$NAME" "$T/plain.db" || fail "the plaintext copy lacks the name"
mv "$T/plain.db" "$T/srv/server.db"
rm -f "$T/srv/server.db-wal" "$T/srv/server.db-shm"
server_start
"$SERVER" --data "$T/srv" admin stats --json >"$T/stats.json" ||
    fail "admin stats after encrypting"
grep -q '"patient":1' "$T/stats.json" ||
    fail "encrypting lost the patient: $(cat "$T/stats.json")"
grep -q "server.db was plaintext: encrypted" "$T/srv.log" ||
    fail "the log does not say the store was encrypted"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync after encrypting: $(cat "$T/sync.err")"
server_stop
no_name_in "$T/srv" "encrypted plaintext store"
exit 0
