#!/bin/sh
# Issue 9, item 9: refused requests must not flood the log.  One client
# sends N unauthenticated pushes (no signature), then N with a forged one;
# the log grows by a bounded number of lines (about two per address per
# 10 s), each naming the client's address, and the counts add up to every
# refusal once the server stops.  Then 40 more addresses: the table is
# bounded, and those beyond it share a line.
. tests/e2e/lib.inc
command -v curl >/dev/null || { echo "curl not installed" >&2; exit 77; }
sync_setup
N=400
server_start
before=$(wc -l <"$T/srv.log")
t0=$(date +%s)
# One keep-alive connection, N requests (curl's URL globbing).
curl -s -o /dev/null -X POST --data-binary x \
    "http://127.0.0.1:$SRV_PORT/v1/push?[1-$N]" || fail "curl flood"
curl -s -o /dev/null -X POST --data-binary x -H "X-Outpost-Node: 1" \
    -H "X-Outpost-Seq: 1" -H "X-Outpost-HLC: 1" \
    -H "X-Outpost-Sig: $(printf '%0128d' 0)" \
    "http://127.0.0.1:$SRV_PORT/v1/pull?[1-$N]" || fail "curl forged"
# Many addresses (127.0.0.0/8 is all loopback): the table is small and
# fixed, so the ones beyond it share one line.
A=40
i=2
while [ $i -lt $((A + 2)) ]; do
	curl -s -o /dev/null -X POST --data-binary x --interface "127.0.0.$i" \
	    "http://127.0.0.1:$SRV_PORT/v1/push?[1-3]" || fail "curl from 127.0.0.$i"
	i=$((i + 1))
done
total=$((2 * N + 3 * A))
t1=$(date +%s)
server_stop
lines=$(($(wc -l <"$T/srv.log") - before))
# Two lines (the first refusal, then the count) per address (at most the
# table's 32 and one for the rest) per 10 s window; a run shorter than
# 10 s can still straddle two of the server's windows (a loaded machine
# once wrote 67 lines where one window allowed 66).
max=$((2 * 33 * ((t1 - t0) / 10 + 2)))
new=$(tail -n "$lines" "$T/srv.log" | grep -v 'signal\|stopping\|stopped')
nl=$(echo "$new" | grep -c .)
[ "$nl" -le "$max" ] ||
    fail "$total refused requests wrote $nl log lines (max $max)"
[ "$(echo "$new" | grep -c refused)" -ge 2 ] ||
    fail "refusals not logged: $new"
echo "$new" | grep 'refused' | grep -Eqv '127\.0\.0\.[0-9]+: |other addresses: ' &&
    fail "a refusal line without the client address: $new"
echo "$new" | grep -q '127\.0\.0\.1: .*refused requests in the last [0-9]* s (unknown node)' ||
    fail "no count line: $new"
# Every refusal is accounted for: first lines plus the counts.
firsts=$(echo "$new" | grep -c 'refused (')
counted=$(echo "$new" | sed -n 's/.*: \([0-9]*\) refused requests in the last.*/\1/p' |
    awk '{ s += $1 } END { print s + 0 }')
[ $((firsts + counted)) -eq "$total" ] ||
    fail "$firsts logged + $counted counted != $total refusals: $new"
echo "$new" | grep -q '127\.0\.0\.32: POST /v1/push refused' ||
    fail "a later address not named"
echo "$new" | grep -q '127\.0\.0\.33: POST /v1/push refused' ||
    fail "the first address beyond the table not named"
echo "$new" | grep -q 'other addresses: [0-9]* refused requests' ||
    fail "no shared line for the addresses beyond the table: $new"
exit 0
