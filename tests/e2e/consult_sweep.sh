#!/bin/sh
# Store-and-forward under faults (issue 13): each round a clinic kiosk
# asks for a clinician (a new patient and visit), and a hub kiosk answers
# with a signed note, every sync of the round hit by one fault in turn:
# the connection cut at a moving byte offset (both directions), the
# kiosk killed mid-sync, the server killed mid-sync and restarted on the
# same port (as tests/e2e/{cut,kill_kiosk,kill_server}.sh).  New work is
# saved during the faulted syncs.  At the end every answer is on the
# clinic exactly once: one signed, verified note per consult, each new
# once, no conflict, and the server holds each kiosk's outbox once.
# Issue 14: each answer also carries a signed prescription, and every
# other one is cancelled: on the clinic each order and each cancel is
# there once, verified, and every cancel applied to its order.
#
# OUTPOST_CONSULT_N rounds (default 2, which already puts each fault on
# each kiosk's sync; `make check-faults` runs 15).
. tests/e2e/lib.inc
N=${OUTPOST_CONSULT_N:-2}
sync_setup
export OUTPOST_SYNC_BATCH_BYTES=2048

server_start
proxy_start
PP=$PROXY_PORT
proxy_stop
proxy_start_at() { # args...
	rm -f "$T/pport"
	"$PROXY" --listen "127.0.0.1:$PP" --target "127.0.0.1:$SRV_PORT" \
	    --port-file "$T/pport" "$@" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	PIDS="$PIDS $PROXY_PID"
	wait_file "$T/pport"
}
proxy_start_at
kiosk_new c north "http://127.0.0.1:$PP"
kiosk h init --kdf-ms 5 >/dev/null 2>&1 || fail "init h"
t=$("$SERVER" --data "$T/srv" admin enroll-token --role hub --region north \
    --facility hub-1) || fail "hub token"
kiosk h enroll --server "http://127.0.0.1:$PP" --token "$t" \
    --insecure-http >/dev/null || fail "enrol h"
proxy_stop
kiosk h user add doc --role clinician --kdf-ms 5 >/dev/null || fail "doc"
kiosk h --user doc consult key --regno MW-77 >/dev/null || fail "key"
kiosk c country IN >/dev/null || fail "country c"
kiosk h country IN >/dev/null || fail "country h"

# One sync of NAME hit by fault F (0 cut, 1 kiosk kill, 2 server kill),
# with new work on the clinic meanwhile; then retries until one succeeds.
faulty_sync() { # name round fault
	_d=$(awk -v s="$2" 'BEGIN { srand(s + 7); printf "%.3f", rand() * 0.5 }')
	case $3 in
	0)
		if [ $(($2 % 2)) -eq 1 ]; then _dir=down; else _dir=up; fi
		proxy_start_at --cut-after "$((200 + ($2 * 7919) % 2500))" \
		    --cut-dir "$_dir" --cut-conns 1 --seed "$2"
		writer_start c "$((5000 + $2))"
		kiosk "$1" sync --once >/dev/null 2>&1
		writer_wait
		;;
	1)
		proxy_start_at --latency 20 --seed "$2"
		printf '%s\n' "$PASS" | "$KIOSK" --data "$T/$1" \
		    --passphrase-fd 0 sync --once >/dev/null 2>&1 &
		_k=$!
		writer_start c "$((5000 + $2))"
		sleep "$_d"
		kill -9 "$_k" 2>/dev/null
		wait "$_k" 2>/dev/null
		writer_wait
		;;
	2)
		proxy_start_at --latency 10 --seed "$2"
		kiosk "$1" sync --once >/dev/null 2>&1 &
		_k=$!
		sleep "$_d"
		server_kill9
		wait "$_k" 2>/dev/null
		server_start
		;;
	esac
	proxy_stop
	proxy_start_at
	_n=0
	until kiosk "$1" sync --once >/dev/null 2>"$T/sync.err"; do
		_n=$((_n + 1))
		[ $_n -lt 3 ] || fail "$1 round $2 fault $3: $(cat "$T/sync.err")"
	done
	proxy_stop
}

i=0
while [ $i -lt "$N" ]; do
	p=$(kiosk c patient add --given "Round$i" --family Sweep --sex F \
	    --birth-date 1985) || fail "patient $i"
	kiosk c consult request --patient "$p" --reason "round $i" \
	    --news2 $((i % 9)) >/dev/null || fail "request $i"
	faulty_sync c "$i" $((i % 3))
	faulty_sync h "$i" $(((i + 1) % 3))
	for id in $(kiosk h consult list queue | cut -d' ' -f1); do
		kiosk h --user doc consult accept "$id" || fail "accept $id"
		kiosk h --user doc consult note "$id" --assessment "seen $i" \
		    --plan "plan for $id" || fail "note $id"
		kiosk h --user doc consult sign "$id" || fail "sign $id"
		rx=$(kiosk h --user doc rx issue "$id" ZNC20 --dose 20 \
		    --per-day 1 --days 10 2>"$T/rx.err") ||
		    fail "rx $id: $(cat "$T/rx.err")"
		if [ $((i % 2)) -eq 0 ]; then
			kiosk h --user doc rx cancel "$rx" --why "round $i" \
			    >/dev/null || fail "cancel $rx"
		fi
	done
	faulty_sync h "$((i + 100))" $(((i + 2) % 3))
	faulty_sync c "$((i + 200))" $(((i + 1) % 3))
	i=$((i + 1))
done
proxy_start_at
kiosk h sync --once >/dev/null || fail "last hub sync"
kiosk c sync --once >/dev/null || fail "last clinic sync"
kiosk c consult list all >"$T/all" || fail "list"
[ "$(wc -l <"$T/all")" -eq "$N" ] || fail "clinic holds $(wc -l <"$T/all") consults, not $N"
[ "$(grep -c ' signed ' "$T/all")" -eq "$N" ] ||
    fail "not every consult answered: $(cat "$T/all")"
[ "$(kiosk c consult list new | wc -l)" -eq "$N" ] || fail "new answers"
for id in $(cut -d' ' -f1 "$T/all"); do
	kiosk c consult show "$id" >"$T/show" || fail "show $id"
	grep -q "^signature: verified" "$T/show" || fail "$id: $(cat "$T/show")"
	grep -q "^P: plan for $id\$" "$T/show" || fail "$id plan"
done
# the prescriptions: N orders, one cancel per even round, each once,
# each cancel applied to its order, every order's signature verified
kiosk c rx list >"$T/rx" || fail "rx list"
ncancel=$(((N + 1) / 2))
[ "$(grep -c ' order ' "$T/rx")" -eq "$N" ] ||
    fail "clinic holds $(grep -c ' order ' "$T/rx") orders, not $N"
[ "$(grep -c ' cancel .* applied$' "$T/rx")" -eq "$ncancel" ] ||
    fail "cancels applied: $(cat "$T/rx")"
[ "$(grep -c ' order cancelled ' "$T/rx")" -eq "$ncancel" ] ||
    fail "orders cancelled: $(cat "$T/rx")"
[ "$(cut -d' ' -f1 "$T/rx" | sort -u | wc -l)" -eq "$((N + ncancel))" ] ||
    fail "a prescription twice: $(cat "$T/rx")"
for rx in $(grep ' order ' "$T/rx" | cut -d' ' -f1); do
	kiosk c rx show "$rx" | grep -q "^signature: verified" ||
	    fail "$rx not verified"
done
kiosk c conflict list | grep -q "no open conflicts" ||
    fail "conflicts on the clinic: $(kiosk c conflict list)"
same_manifest c
same_manifest h
grep -q "cut after" "$T/proxy.log" || fail "no sync was actually cut"
echo "consult_sweep: $N rounds, every answer, prescription and cancel on the clinic exactly once"
exit 0
