#!/bin/sh
# A slow, stalling link and cut pulls, through tests/tools/faultproxy:
#  - kiosk a pushes at 64 kbit/s with 100 ms each way and 20% of packets
#    stalled 300 ms: the run completes, takes at least as long as the
#    link allows (the proxy really throttles), and the server holds a's
#    outbox exactly once;
#  - kiosk c pulls a's two pages through a proxy that cuts the answers at
#    several byte offsets, one cut per run: every run resumes from the
#    cursor stored with the last applied page (nothing is pulled twice
#    beyond the page in flight), and c ends with all of a's rows.
. tests/e2e/lib.inc
sync_setup

server_start
proxy_start --rate 64000 --latency 100 --stall-prob 0.2 --stall-ms 300 --seed 3
kiosk_new a north "http://127.0.0.1:$PROXY_PORT"
kiosk a seed --patients 10 --encounters 70 >/dev/null || fail "seed"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "slow sync: $(cat "$T/sync.err")"
up=$(echo "$SYNC_OUT" | sed -n 's/.* \([0-9]*\) bytes up.*/\1/p')
ms=$(echo "$SYNC_OUT" | sed -n 's/.* \([0-9]*\) ms$/\1/p')
req=$(echo "$SYNC_OUT" | sed -n 's/.* \([0-9]*\) requests.*/\1/p')
# serialisation at 64 kbit/s plus one round trip (200 ms) per request
min=$((up * 8 * 1000 / 64000 + req * 200))
[ "$ms" -ge "$min" ] || fail "took $ms ms, the link allows no less than $min"
same_manifest a
proxy_stop

# c talks to a fixed proxy port; each run gets a proxy cutting elsewhere
# (from 2000 bytes: past the licence and roster answers before the pull).
proxy_start
PP=$PROXY_PORT
kiosk_new c north "http://127.0.0.1:$PP"
proxy_stop
fixed_proxy() { # proxy options...
	rm -f "$T/pport"
	"$PROXY" --listen "127.0.0.1:$PP" --target "127.0.0.1:$SRV_PORT" \
	    --port-file "$T/pport" "$@" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	PIDS="$PIDS $PROXY_PID"
	wait_file "$T/pport"
}
total=0 cuts=0
for off in 2000 9000 26000 40000; do
	fixed_proxy --cut-after "$off" --cut-dir down --cut-conns 1 --seed "$off"
	sync_once c
	[ "$SYNC_RC" -ne 0 ] && cuts=$((cuts + 1))
	n=$(echo "$SYNC_OUT" | sed -n 's/.*pulled \([0-9]*\) .*/\1/p')
	total=$((total + ${n:-0}))
	proxy_stop
done
fixed_proxy
sync_once c
proxy_stop
[ "$SYNC_RC" -eq 0 ] || fail "final pull failed: $(cat "$T/sync.err")"
n=$(echo "$SYNC_OUT" | sed -n 's/.*pulled \([0-9]*\) .*/\1/p')
total=$((total + n))
[ "$cuts" -ge 2 ] || fail "only $cuts pulls were cut"
kiosk a sync manifest --tables | sort >"$T/a.rows"
kiosk c sync manifest --tables | sort >"$T/c.rows"
missing=$(comm -23 "$T/a.rows" "$T/c.rows" | wc -l)
[ "$missing" -eq 0 ] || fail "c lacks $missing of a's rows after cut pulls"
held=$(wc -l <"$T/a.rows")
[ "$total" -le $((held + 500)) ] ||
    fail "pulled $total changes for $held: restarted from the start"
echo "slow_link: $up bytes up in $ms ms (>= $min); $cuts cut pulls, $total changes pulled for $held rows"
exit 0
