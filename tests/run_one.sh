#!/bin/sh
# One test of tests/run.sh: run COMMAND... with its output in
# $LOGDIR/<name>.log and .log.err, then write its exit status (.rc) and
# its duration in seconds to $LOGDIR/times.  Called by xargs -P, so
# several run at once (tests/README.md: what must run alone).
name=$1; shift
out="$LOGDIR/$(echo "$name" | tr '/' '_').log"
t0=$(date +%s)
"$@" >"$out" 2>"$out.err" </dev/null
rc=$?
echo "$rc" >"$out.rc"
echo "$(($(date +%s) - t0)) $name" >>"$LOGDIR/times"
echo "== $name ($(($(date +%s) - t0)) s)"
