#!/bin/sh
# The kiosk takes its push and pull sizes from the server (issue 8): a
# server started with --push-changes 5 --pull-page 7 announces them at
# enrolment, the kiosk keeps them in its sync state and shows them, pushes
# in batches of at most 5 (a larger batch would be refused as too_large)
# and asks for pulls of 7 (the server's debug log records what was asked).
# When the server's push limit goes down later, the kiosk's batches follow.
. tests/e2e/lib.inc
sync_setup

server_start -v --push-changes 5 --pull-page 7
kiosk_new a north
kiosk_new b north
kiosk a sync status >"$T/status" || fail "status"
grep -q '^server limits: push 5 changes or 262144 bytes, pull pages of 7$' \
    "$T/status" || fail "limits not kept: $(cat "$T/status")"
kiosk a seed --patients 6 --encounters 3 >/dev/null || fail "seed"
n=$(kiosk a sync status | sed -n 's/^pending: \([0-9]*\) of .*/\1/p')
[ "${n:-0}" -gt 10 ] || fail "seeded only ${n:-0} changes"

sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a: $(cat "$T/sync.err")"
same_manifest a
# at least one push per 5 changes
req=$(printf '%s\n' "$SYNC_OUT" | sed -n 's/.*; \([0-9]*\) requests,.*/\1/p')
[ "${req:-0}" -ge $(((n + 4) / 5)) ] ||
    fail "$n changes in ${req:-?} requests: batches over 5? $SYNC_OUT"

before=$(grep -c 'pull of up to' "$T/srv.log")
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b: $(cat "$T/sync.err")"
case "$SYNC_OUT" in
*"pulled $n ("*) ;;
*) fail "b did not pull the $n changes: $SYNC_OUT" ;;
esac
asked=$(grep 'pull of up to' "$T/srv.log" | tail -n +$((before + 1)))
pages=$(printf '%s\n' "$asked" | grep -c 'up to 7 asked')
others=$(printf '%s\n' "$asked" | grep -vc 'up to 7 asked')
[ "$others" -eq 0 ] || fail "pulls not of 7: $asked"
[ "$pages" -ge $(((n + 6) / 7)) ] || fail "$n changes in $pages pages of 7"
kiosk a sync manifest --tables | sort >"$T/a.rows"
kiosk b sync manifest --tables | sort >"$T/b.rows"
cmp -s "$T/a.rows" "$T/b.rows" || fail "a and b hold different rows"

# A server whose limit went down after enrolment: the kiosk's push is
# refused as too_large, it halves its batches until they fit and keeps
# the smaller size.
server_stop
server_start -v --push-changes 3 --pull-page 7
kiosk a seed --patients 4 --encounters 2 --seed 5 >/dev/null || fail "seed"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a, lower limit: $(cat "$T/sync.err")"
same_manifest a
kiosk a sync status | grep -q '^server limits: push [1-3] changes or ' ||
    fail "smaller batch not kept: $(kiosk a sync status)"
echo "limits: $n changes pushed in batches of 5, pulled in $pages pages of 7"
exit 0
