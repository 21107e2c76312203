#!/bin/sh
# Issue 9, item 5: memory per request, on the server and the kiosk.
#  1. 1,024 connections (32 addresses x 32) each sending 1 MiB push bodies
#     as fast as the server takes them, half as the kiosk's node with a
#     wrong signature, half as a node that does not exist: an unknown
#     node is refused from its headers, before its body; the others share
#     a 64 MiB budget (--body-memory).  Before: about 1 GB.
#  2. eight authenticated 1 MiB pushes of one-byte CBOR items at once:
#     refused as too_large before libcbor allocates them, and what the
#     requests took is given back.  Before: +302 MB, resident.
#  3. a hostile server answering 8 MiB of one-byte items: the kiosk
#     refuses the answer with a clear message and stays small.  Before:
#     1 GB.
# Thresholds are generous (RSS from /proc, not timing).  Under
# AddressSanitizer (make check) the allocator keeps freed memory in a
# quarantine and pays shadow memory, so the server's quarantine is bounded
# and the "given back" check only reported.
. tests/e2e/flood.inc
flood_setup
rss_now() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

server_start --max-per-ip 32
kiosk_new a north
node=$(node_of a)
base=$(rss_now "$SRV_PID")
socks() { ls -l "/proc/$SRV_PID/fd" 2>/dev/null | grep -c 'socket:'; }
base_socks=$(socks)

# 1. unauthenticated bodies
rss_start "$SRV_PID"
"$FLOOD" attack "$SRV_PORT" 8 --addrs 32 --slow-head 0 --slow-body 0 \
    --bodies 32 --node "$node" >"$T/attack" 2>&1 || fail "attack"
rss_peak
grow1=$(((RSS_PEAK - base) / 1024))
echo "bodies: $(cat "$T/attack"); server RSS +$grow1 MB (from $((base / 1024)) MB)"
set -- $(cat "$T/attack")
[ "$8" -ge 100 ] || fail "the attack sent only $8 whole bodies"
[ "$grow1" -lt 192 ] || fail "1 MiB bodies before any signature took +$grow1 MB"

# 2. authenticated pushes of one-byte items, once the server has closed
# the attack's connections (until then their bodies hold the budget, and
# a push is answered "busy": on a slow machine that took seconds)
i=0
while [ "$(socks)" -gt $((base_socks + 2)) ] && [ $i -lt 120 ]; do
	sleep 0.5
	i=$((i + 1))
done
base=$(rss_now "$SRV_PID")
rss_start "$SRV_PID"
"$FLOOD" items "$SRV_PORT" "$(token north)" 8 >"$T/items" 2>&1 ||
    fail "items: $(cat "$T/items")"
rss_peak
sleep 1
after=$(rss_now "$SRV_PID")
grow2=$(((RSS_PEAK - base) / 1024))
kept=$(((after - base) / 1024))
echo "items: answers $(cat "$T/items"); server RSS +$grow2 MB, +$kept MB after" \
    "(started $((i / 2)) s after the attack, its sockets closed)"
for a in $(cat "$T/items" | tr ' ' '\n' | paste -d: - -); do
	[ "$a" = "413:2" ] || fail "a push of a million items got $a, not too_large"
done
[ "$grow2" -lt 64 ] || fail "eight pushes of one-byte items took +$grow2 MB"
if [ "$SAN" -eq 0 ]; then
	[ "$kept" -lt 32 ] || fail "the pushes left +$kept MB resident"
fi

# 3. a hostile answer to the kiosk
rm -f "$T/hport"
"$FLOOD" serve "$T/hport" $((8 * 1024 * 1024)) 2>"$T/serve.err" &
PIDS="$PIDS $!"
wait_file "$T/hport"
kiosk h init --kdf-ms 5 >/dev/null 2>&1 || fail "init h"
# a well-formed token (the kiosk refuses a mistyped one before sending)
tok=$("$SERVER" --data "$T/srv" admin enroll-token --role clinic \
    --region north --facility f1) || fail "token"
printf '%s\n' "$PASS" | /usr/bin/time -f '%M' -o "$T/kmax" \
    "$KIOSK" --data "$T/h" --passphrase-fd 0 enroll --insecure-http \
    --server "http://127.0.0.1:$(cat "$T/hport")" --token "$tok" \
    >"$T/enroll.out" 2>"$T/enroll.err" && fail "enrolled with a hostile server"
kmax=$(($(tail -n 1 "$T/kmax") / 1024))
echo "kiosk: $(cat "$T/enroll.err" | tail -n 1); peak RSS $kmax MB"
grep -q "larger than a kiosk accepts" "$T/enroll.err" ||
    fail "no clear message: $(cat "$T/enroll.err")"
[ "$kmax" -lt 128 ] || fail "the kiosk reached $kmax MB on a hostile answer"
# a clean stop (and, under AddressSanitizer, no leak) after all that
server_stop
exit 0
