#!/bin/sh
# `sync-server admin migrate` (issue 12): a region's SQLite store with two
# kiosks' work is copied into a throwaway PostgreSQL cluster; both stores
# then show the same manifest and the same stats; the server restarted on
# PostgreSQL (same key) sees nothing new from the kiosk that pushed, a
# kiosk holding a SQLite cursor re-pulls and ends with every row, new work
# flows; a second migrate into the non-empty store is refused.
. tests/e2e/lib.inc
sync_setup
PGD=$(sh tests/tools/pgcluster.sh start) || exit $?
trap 'sync_cleanup; sh tests/tools/pgcluster.sh stop "$PGD"' EXIT INT TERM
URI="postgresql:///postgres?host=$PGD&user=postgres"

server_start
kiosk_new a north
kiosk_new b north
kiosk a seed --patients 12 --encounters 6 >/dev/null || fail "seed a"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a: $(cat "$T/sync.err")"
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b"
kiosk b seed --patients 2 --encounters 1 --seed 7 >/dev/null || fail "seed b"
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b push"
server_stop
# a partner of the region (issue 16) travels too
"$SERVER" --data "$T/srv" admin partner add north \
    https://dispatch.example/cap --format cap --secret pw >/dev/null ||
    fail "partner add"

"$SERVER" --data "$T/srv" --store "$URI" admin migrate >"$T/migrate.out" ||
    fail "migrate: $(cat "$T/migrate.out")"
grep -q '^changes: [1-9]' "$T/migrate.out" || fail "no changes copied"
# The encrypted server.db (the store key of lib.inc) and the tables of
# issue 9: every record, scope entry (at its change's position) and
# refused flag copied.
for t in records scope; do
	sq=$(srv_sql "SELECT count(*) FROM $t" | tail -n 1)
	pg=$(psql -At "$URI" -c "SELECT count(*) FROM $t")
	[ "$sq" -gt 0 ] && [ "$sq" = "$pg" ] ||
	    fail "$t: $sq rows in SQLite, $pg in PostgreSQL"
	grep -q "^$t: $sq rows" "$T/migrate.out" || fail "$t not reported"
done
sq=$(srv_sql "SELECT count(*) FROM scope sc JOIN changes c ON c.pos = sc.pos
    ORDER BY 1" | tail -n 1)
pg=$(psql -At "$URI" -c "SELECT count(*) FROM scope sc JOIN changes c
    ON (c.xid, c.id) = (sc.xid, sc.id)")
[ "$sq" = "$pg" ] || fail "scope positions: $sq in SQLite, $pg mapped"
grep -q '^blob_owners: 0 rows' "$T/migrate.out" || fail "blob_owners"
for cmd in "manifest" "stats --json"; do
	# shellcheck disable=SC2086
	"$SERVER" --data "$T/srv" admin $cmd >"$T/sq.out" || fail "sqlite $cmd"
	# shellcheck disable=SC2086
	"$SERVER" --data "$T/srv" --store "$URI" admin $cmd >"$T/pg.out" ||
	    fail "postgresql $cmd"
	[ -s "$T/sq.out" ] || fail "empty $cmd"
	cmp -s "$T/sq.out" "$T/pg.out" ||
	    fail "$cmd differs: $(diff "$T/sq.out" "$T/pg.out" | head -5)"
done
"$SERVER" --data "$T/srv" --store "$URI" admin migrate >/dev/null 2>&1 &&
    fail "a second migrate was accepted"
grep -q '^partners: 1 rows' "$T/migrate.out" || fail "partners not copied"
# a partner added on PostgreSQL after the copy takes the next id
"$SERVER" --data "$T/srv" --store "$URI" admin partner add north \
    https://dispatch.example/fhir --format fhir >"$T/p.out" ||
    fail "partner add on postgresql: $(cat "$T/p.out")"
grep -q '^partner 2 added' "$T/p.out" || fail "partner id: $(cat "$T/p.out")"

mv "$T/srv/server.db" "$T/server.db.old" # only PostgreSQL from now on
printf '#!/bin/sh\nexec "%s" --store "%s" "$@"\n' "$(realpath "$SERVER")" \
    "$URI" >"$T/pg-server"
chmod +x "$T/pg-server"
SERVER=$T/pg-server
server_start
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a on postgresql: $(cat "$T/sync.err")"
case "$SYNC_OUT" in
"pushed 0 (already held 0)"*) ;;
*) fail "a pushed again after the move: $SYNC_OUT" ;;
esac
same_manifest a
same_manifest b
kiosk a seed --patients 2 --encounters 1 --seed 9 >/dev/null || fail "seed a2"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync a new work"
sync_once b
[ "$SYNC_RC" -eq 0 ] || fail "sync b on postgresql: $(cat "$T/sync.err")"
sync_once a
kiosk a sync manifest --tables | sort >"$T/a.rows"
kiosk b sync manifest --tables | sort >"$T/b.rows"
[ -s "$T/a.rows" ] || fail "a holds no rows"
cmp -s "$T/a.rows" "$T/b.rows" || fail "a and b hold different rows"
server_stop
