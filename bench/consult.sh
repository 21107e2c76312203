#!/bin/sh
# Consult calls, each rung of the ladder: bytes per second on the wire,
# setup time from "answer" to two-way media, the kiosk's RSS with baresip
# (bench/consult.c).  Runs in a private network namespace when it can
# (root), so loopback's counters see only the call; otherwise on the
# shared loopback, and says the rates are then not clean.
#   make build/bench/consult && sh bench/consult.sh
set -u
B=${OUTPOST_BUILD:-build}
[ -x "$B/bench/consult" ] || { echo "build $B/bench/consult first" >&2; exit 1; }
export OUTPOST_SRC=${OUTPOST_SRC:-$(pwd)}
echo "consult calls: opus/codec2 over DTLS-SRTP through Kamailio on loopback"
echo "goals: voice <= 16 kbit/s; codec2 <= 3.2 kbit/s + headers; setup <= 3 s"
if unshare -n true 2>/dev/null; then
	exec unshare -n sh -c "ip link set lo up && '$B/bench/consult' --netns"
fi
exec "$B/bench/consult"
