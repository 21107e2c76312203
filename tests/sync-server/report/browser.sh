#!/bin/sh
# The region report in a real browser (issue 17, Dashboard): a synthetic
# region (`sync-server admin synth`, 50 kiosks, OUTPOST_REPORT_VISITS visits,
# default 600), `admin report --out DIR`, then headless Chromium loads
# DIR/index.html from disk with its console logged: no console message at
# all is allowed (the page has no script, so any message is an error, such
# as a blocked or missing resource).  The screenshot is kept as a test
# artefact: $OUTPOST_BUILD/test-artefacts/report.png.  A page that does log
# to the console must be caught (the check can fail).
set -u
B=${OUTPOST_BUILD:-build}
SERVER=$B/sync-server
if [ ! -x "$SERVER" ]; then
	echo "missing $SERVER (build it first)" >&2
	exit 77
fi
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	echo "chromium missing (make deps)" >&2
	exit 77
fi
T=$(mktemp -d /tmp/outpost-report.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
mkdir -p "$T/cred" && chmod 700 "$T/cred"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$T/cred/outpost-server-key"
chmod 600 "$T/cred/outpost-server-key"
CREDENTIALS_DIRECTORY=$T/cred
export CREDENTIALS_DIRECTORY
mkdir -m 700 "$T/srv"
ART=$B/test-artefacts
mkdir -p "$ART"
failed=0

# Load FILE headless; its console lines into $T/console.  ARGS: the action.
browse() { # file action...
	f=$1
	shift
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --no-first-run --user-data-dir="$T/profile" \
	    --enable-logging=stderr --v=0 "$@" "file://$f" \
	    >"$T/stdout" 2>"$T/stderr"
	rc=$?
	grep 'CONSOLE' "$T/stderr" >"$T/console" || true
	return $rc
}

"$SERVER" --data "$T/srv" admin synth --region r1 --kiosks 50 \
    --facilities 10 --hubs 2 --visits "${OUTPOST_REPORT_VISITS:-600}" \
    >"$T/synth.out" 2>&1 || {
	cat "$T/synth.out" >&2
	echo "FAIL: report_synth"
	exit 1
}
if "$SERVER" --data "$T/srv" admin report --region r1 --out "$T/report" \
    >"$T/report.out" 2>&1 && [ -s "$T/report/index.html" ]; then
	echo "PASS: report_written"
	cat "$T/report.out" >&2
else
	cat "$T/report.out" >&2
	echo "FAIL: report_written"
	exit 1
fi

if browse "$T/report/index.html" --window-size=1280,2400 \
    --screenshot="$T/report.png" && [ -s "$T/report.png" ]; then
	cp "$T/report.png" "$ART/report.png"
	echo "PASS: report_screenshot"
else
	tail -n 5 "$T/stderr" >&2
	echo "FAIL: report_screenshot"
	failed=1
fi
if [ -s "$T/console" ]; then
	cat "$T/console" >&2
	echo "FAIL: report_no_console_errors"
	failed=1
else
	echo "PASS: report_no_console_errors"
fi

# the check can fail: a page that logs an error is caught
printf '<!DOCTYPE html><html><body><p>x</p><script>console.error("x")' \
    >"$T/bad.html"
printf '</script><img src="missing.png"></body></html>\n' >>"$T/bad.html"
browse "$T/bad.html" --dump-dom || true
if [ -s "$T/console" ]; then
	echo "PASS: report_console_check_can_fail"
else
	echo "FAIL: report_console_check_can_fail"
	failed=1
fi
exit $failed
