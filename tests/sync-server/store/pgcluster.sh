#!/bin/sh
# tests/tools/pgcluster.sh, the throwaway PostgreSQL cluster every
# PostgreSQL test uses (scale.md AC-8): it answers on a Unix socket in its
# own directory and on no TCP port, its server does not run as root, and
# after `stop` no process of it and not its directory is left.  Start and
# stop times are printed (figures, not asserted: bench/ measures speed).
# Skipped (77) only when PostgreSQL 15 is not installed.
fail() { echo "FAIL: $*" >&2; [ -n "${D:-}" ] && sh tests/tools/pgcluster.sh stop "$D" 2>/dev/null; exit 1; }
ms() { date +%s%3N; }

t0=$(ms)
D=$(sh tests/tools/pgcluster.sh start) || exit $?
t1=$(ms)
case "$D" in /tmp/outpost-pg.*) ;; *) fail "odd directory '$D'" ;; esac
[ -S "$D/.s.PGSQL.5432" ] || fail "no socket in $D"
q() { psql -XAtq "host=$D dbname=postgres user=postgres" -c "$1"; }
[ "$(q 'SELECT 1')" = 1 ] || fail "the cluster does not answer"
[ -z "$(q 'SHOW listen_addresses')" ] || fail "it listens on TCP"
[ "$(q 'SHOW unix_socket_directories')" = "$D" ] || fail "socket elsewhere"
pid=$(head -n 1 "$D/data/postmaster.pid")
owner=$(ps -o user= -p "$pid")
[ -n "$owner" ] || fail "no postmaster process $pid"
[ "$owner" != root ] || fail "the server runs as root"
t2=$(ms)
sh tests/tools/pgcluster.sh stop "$D" || fail "stop failed"
t3=$(ms)
[ ! -e "$D" ] || fail "$D left behind"
# The postmaster is gone (a zombie awaiting its reaper does not count).
st=$(ps -o stat= -p "$pid" 2>/dev/null)
case "$st" in "" | Z*) ;; *) fail "postmaster $pid still running ($st)" ;; esac
left=$(ps -eo stat=,args= | grep -v '^Z' | grep -F "$D" | grep -v grep)
[ -z "$left" ] || fail "processes left: $left"
echo "cluster start $((t1 - t0)) ms, stop $((t3 - t2)) ms (server user $owner)" >&2
