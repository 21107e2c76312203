#!/bin/sh
# The shipped Kamailio config (sync-server/kamailio/kamailio.cfg) passes
# `kamailio -c`, with its defaults and with the values a region sets.
set -u
cd "${OUTPOST_SRC:-.}"
if ! command -v kamailio >/dev/null; then
	echo "kamailio missing (make deps)" >&2
	exit 77
fi
cfg=sync-server/kamailio/kamailio.cfg
out=$(kamailio -c -f "$cfg" 2>&1) || {
	echo "$out" | tail -n 5
	echo "FAIL: kamailio_cfg_defaults"
	exit 1
}
echo "PASS: kamailio_cfg_defaults"
out=$(kamailio -c -f "$cfg" -A LISTEN=udp:127.0.0.1:25999 \
    -A 'DBDIR="text:///tmp/outpost-sip"' \
    -A 'CTLSOCK="unix:/tmp/outpost-kam.ctl"' 2>&1) || {
	echo "$out" | tail -n 5
	echo "FAIL: kamailio_cfg_region_values"
	exit 1
}
echo "PASS: kamailio_cfg_region_values"
# a broken config must fail the check (the check can fail)
bad=$(mktemp /tmp/outpost-kam-bad.XXXXXX)
sed 's/^loadmodule "auth_db.so"//' "$cfg" >"$bad"
if kamailio -c -f "$bad" >/dev/null 2>&1; then
	rm -f "$bad"
	echo "FAIL: kamailio_cfg_check_can_fail"
	exit 1
fi
rm -f "$bad"
echo "PASS: kamailio_cfg_check_can_fail"
