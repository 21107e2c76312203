#!/bin/sh
# A throwaway PostgreSQL 15 cluster for tests (not a test itself).
#
#   pgcluster.sh start         a new cluster in /tmp/outpost-pg.XXXXXX (a copy
#                              of a template initdb made once per build tree), start
#                              it on a Unix socket in that directory only (no
#                              TCP), print the directory on stdout; with
#                              PGCLUSTER_OWNER=pid, stopped and removed once
#                              that process is gone
#   pgcluster.sh stop DIR      stop the cluster (immediate) and remove DIR
#   pgcluster.sh conninfo DIR  the libpq conninfo for the cluster's
#                              "postgres" database
#
# initdb refuses to run as root (CI runs as root), so as root the directory
# is given to the unprivileged user "nobody" and the server tools run as it
# through setpriv; clients may stay root, they connect over the socket.
# Settings are for speed (fsync off: the OS page cache survives a process
# kill, which is what the tests inject; power cuts are not simulated).
# synchronous_commit stays on: with it off, a commit is acknowledged before
# its WAL leaves the server's memory, and a killed backend (the server
# then resets its shared memory) loses it (test_pg_crash.c caught that);
# PGCLUSTER_DURABLE=1 keeps fsync, synchronous_commit and full-page writes
# on, for benchmarks of durable commits.
# PGCLUSTER_MAX_CONNECTIONS raises max_connections (default 60; the booking
# test runs 64 bookers, each on its own connection).
# Exit 77 with the reason on stderr when PostgreSQL is not installed.
set -u

pg_bindir() {
	for d in "$(pg_config --bindir 2>/dev/null)" /usr/lib/postgresql/15/bin; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

as_owner() { # command... as the cluster's owner
	if [ "$(id -u)" = 0 ]; then
		(cd / && setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@")
	else
		"$@"
	fi
}

# The template's directory: beside the build's output, so `make clean`
# removes it and nothing is left in /tmp.
template_dir() {
	root=$(cd "$(dirname "$0")/../.." && pwd)
	b=${OUTPOST_BUILD:-build}
	case "$b" in /*) ;; *) b="$root/$b" ;; esac
	mkdir -p "$b" || return 1
	echo "$b/pg-template-$(basename "$(dirname "$1")")"
}

case "${1:-}" in
start)
	BIN=$(pg_bindir) || {
		echo "PostgreSQL 15 server not installed (make deps)" >&2
		exit 77
	}
	D=$(mktemp -d /tmp/outpost-pg.XXXXXX) || exit 1
	if [ "$(id -u)" = 0 ]; then
		chown nobody:nogroup "$D" || { rm -rf "$D"; exit 1; }
	fi
	chmod 0711 "$D"
	# initdb once per build tree: its result is kept as a template
	# ($OUTPOST_BUILD/pg-template-<major>, never in /tmp) and each
	# cluster starts from a copy (0.1 s instead of initdb's seconds;
	# scale.md AC-8).  A template is made whole in a scratch directory
	# and renamed into place, so a concurrent start never copies half
	# of one; the loser of a race uses the winner's.
	T=$(template_dir "$BIN")
	if [ ! -f "$T/PG_VERSION" ]; then
		# initdb runs as the unprivileged owner, which may not be
		# able to reach the checkout (a clone under a 0700
		# directory): it writes into /tmp, and the result is copied
		# beside the build output by the caller.
		S=$(mktemp -d /tmp/outpost-pgtpl.XXXXXX) || { rm -rf "$D"; exit 1; }
		[ "$(id -u)" = 0 ] && chown nobody:nogroup "$S"
		chmod 0700 "$S"
		if ! as_owner "$BIN/initdb" -D "$S" -U postgres -A trust \
		    --no-sync -E UTF8 --locale=C >"$D/initdb.log" 2>&1; then
			cat "$D/initdb.log" >&2
			rm -rf "$D" "$S"
			exit 1
		fi
		N=$(mktemp -d "$T.new.XXXXXX") || { rm -rf "$D" "$S"; exit 1; }
		if cp -a "$S/." "$N/"; then
			[ "$(id -u)" = 0 ] && chown nobody:nogroup "$N"
			chmod 0700 "$N"
			mv -T "$N" "$T" 2>/dev/null || rm -rf "$N"
		else
			rm -rf "$N"
		fi
		rm -rf "$S"
	fi
	if ! cp -a "$T" "$D/data"; then
		echo "pgcluster.sh: cannot copy the template $T" >&2
		rm -rf "$D"
		exit 1
	fi
	fast="-c fsync=off -c full_page_writes=off"
	[ "${PGCLUSTER_DURABLE:-0}" = 1 ] && fast="-c max_wal_size=1GB"
	if ! as_owner "$BIN/pg_ctl" -D "$D/data" -l "$D/log" -w -s \
	    -o "-k $D -c listen_addresses= $fast \
	        -c max_connections=${PGCLUSTER_MAX_CONNECTIONS:-60} -c shared_buffers=128MB" \
	    start >/dev/null; then
		cat "$D/log" >&2
		as_owner "$BIN/pg_ctl" -D "$D/data" -m immediate -w -s stop \
		    >/dev/null 2>&1
		rm -rf "$D"
		exit 1
	fi
	# PGCLUSTER_OWNER: the test's pid; when it dies without stopping
	# the cluster (a sanitizer abort, a kill), a watchdog stops it and
	# removes the directory within a second or two.
	if [ -n "${PGCLUSTER_OWNER:-}" ]; then
		(
			while kill -0 "$PGCLUSTER_OWNER" 2>/dev/null && [ -d "$D" ]; do
				sleep 1
			done
			[ -d "$D" ] && sh "$0" stop "$D"
		) </dev/null >/dev/null 2>&1 &
	fi
	echo "$D"
	;;
stop)
	D=${2:?usage: pgcluster.sh stop DIR}
	case "$D" in /tmp/outpost-pg.*) ;; *)
		echo "pgcluster.sh: $D is not a test cluster" >&2
		exit 2 ;;
	esac
	BIN=$(pg_bindir) || exit 1
	rc=0
	if [ -f "$D/data/postmaster.pid" ]; then
		as_owner "$BIN/pg_ctl" -D "$D/data" -m immediate -w -s stop \
		    >/dev/null 2>&1 || rc=1
	fi
	rm -rf "$D"
	exit $rc
	;;
conninfo)
	echo "host=${2:?usage: pgcluster.sh conninfo DIR} dbname=postgres user=postgres"
	;;
*)
	echo "usage: pgcluster.sh start | stop DIR | conninfo DIR" >&2
	exit 2
	;;
esac
