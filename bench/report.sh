#!/bin/sh
# bench/report: issue 17's "the report for the synthetic region is
# generated in <= 10 s".  A region of REPORT_VISITS visits (default
# 100,000) over 50 clinic kiosks in 10 facilities and 2 hubs is made with
# `sync-server admin synth` in a fresh SQLite store, then `admin report`
# runs RUNS times (default 3): elapsed, user and system CPU, peak RSS each,
# and the load average beside them (on a shared machine the elapsed time
# is mostly waiting for a core).  Release build.
set -eu
B=${OUTPOST_BUILD:-build}
SERVER=$B/sync-server
[ -x "$SERVER" ] || { echo "build $SERVER first (make)" >&2; exit 1; }
T=$(mktemp -d /tmp/outpost-bench-report.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -m 700 "$T/cred" "$T/srv"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T/cred/outpost-server-key"
chmod 600 "$T/cred/outpost-server-key"
CREDENTIALS_DIRECTORY=$T/cred
export CREDENTIALS_DIRECTORY
"$SERVER" --data "$T/srv" admin synth --region r1 --kiosks 50 \
    --facilities 10 --hubs 2 --visits "${REPORT_VISITS:-100000}"
i=0
while [ $i -lt "${RUNS:-3}" ]; do
	/usr/bin/time -f "report: %e s elapsed, %U s user, %S s system, %M KB peak RSS" \
	    "$SERVER" --data "$T/srv" admin report --region r1 --out "$T/report"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	i=$((i + 1))
done
ls -l "$T/report/index.html"
