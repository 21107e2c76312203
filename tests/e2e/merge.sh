#!/bin/sh
# Issue 10, item 8: a patient merge made on one kiosk makes two records
# of one person one record everywhere.  Kiosk a registers Zawadi and the
# typo "Zawdi" (as self check-in did before "is this you?"), both sync to
# b; staff on a merge them; after sync the duplicate is gone from search
# on a and b, the server counts one person (admin stats, net of merges),
# a merge repeated on b and one pulled again change nothing, and a third
# kiosk enrolled afterwards pulls the merge with the patients and ends
# with one record too.  (Who may merge, by role and facility scope:
# tests/sync-server/test_policy.c against docs/SECURITY.md.)
. tests/e2e/lib.inc
sync_setup

server_start
kiosk_new a north
kiosk_new b north

zawadi=$(kiosk a patient add --given Zawadi --family Achieng \
    --birth-date 1988 --village Kisumu) || fail "add Zawadi"
zawdi=$(kiosk a patient add --given Zawdi --family Achieng \
    --birth-date 1988 --village Kisumu --phone 0722000111) ||
    fail "add Zawdi"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a: $(cat "$T/sync.err")"
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b: $(cat "$T/sync.err")"
n=$(kiosk b patient find Achieng | grep -c Achieng)
[ "$n" -eq 2 ] || fail "b should hold both records before the merge ($n)"

# staff on a: the same person
kiosk a patient merge "$zawadi" "$zawdi" >"$T/merge.out" ||
    fail "merge: $(cat "$T/merge.out")"
kiosk a patient find Achieng >"$T/a.find" || fail "find on a"
grep -q "$zawadi" "$T/a.find" || fail "a lost the survivor"
grep -q "$zawdi" "$T/a.find" && fail "a still finds the duplicate"
# the retired record is not found by its own phone either
kiosk a patient find 0722000111 >/dev/null 2>&1 &&
    fail "a finds the retired record by its phone"

sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a (merge): $(cat "$T/sync.err")"
same_manifest a
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b (merge): $(cat "$T/sync.err")"
kiosk b patient find Achieng >"$T/b.find" || fail "find on b"
[ "$(grep -c Achieng "$T/b.find")" -eq 1 ] ||
    fail "b: not one record after the merge: $(cat "$T/b.find")"
grep -q "$zawadi" "$T/b.find" || fail "b: the survivor is not the one left"

# the server: two patient records held, one person
"$SERVER" --data "$T/srv" admin stats --json >"$T/stats.json" || fail stats
grep -q '"patients":1,"patients_merged":1' "$T/stats.json" ||
    fail "server stats: $(cat "$T/stats.json")"
"$SERVER" --data "$T/srv" admin stats | grep -q '^patients: 1 people (1 more' ||
    fail "server stats text"

# a and b hold the same rows, the merge record included
kiosk a sync manifest --tables | sort >"$T/a.rows"
kiosk b sync manifest --tables | sort >"$T/b.rows"
grep -q '^merge ' "$T/b.rows" || fail "b holds no merge record"
cmp -s "$T/a.rows" "$T/b.rows" || fail "a and b hold different rows"

# the same merge again on b (it arrived already): nothing changes
kiosk b patient merge "$zawadi" "$zawdi" | grep -q "one record already" ||
    fail "b merged twice"
sync_once b
sync_once a
[ "$(kiosk a patient find Achieng | grep -c Achieng)" -eq 1 ] ||
    fail "a after b's sync"

# a third kiosk enrolled now pulls patients and merge in one go
kiosk_new c north
sync_once c
[ "$SYNC_RC" -eq 0 ] || fail "sync c: $(cat "$T/sync.err")"
kiosk c patient find Achieng >"$T/c.find" || fail "find on c"
[ "$(grep -c Achieng "$T/c.find")" -eq 1 ] ||
    fail "c: not one record: $(cat "$T/c.find")"
# pulled twice: the same
sync_once c
[ "$(kiosk c patient find Achieng | grep -c Achieng)" -eq 1 ] || fail "c again"

exit 0
