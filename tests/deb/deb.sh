#!/bin/sh
# make check-deb (issue 18): the Debian packages on a clean Debian 12, in a
# chroot made with debootstrap from the Debian mirror (no container: this
# machine has no container runtime it may use; systemd is not PID 1 in the
# chroot, so each service's ExecStart= line is run as its unit's User= with
# setpriv, the way systemd would, with $CREDENTIALS_DIRECTORY and
# $NOTIFY_SOCKET set as systemd sets them).  Not part of make check: root,
# the network for the first run, and minutes.
#
#  1. version N: the packages of an earlier commit, whose kiosk has fewer
#     store migrations (OUTPOST_DEB_OLD, default aa13d34, 12 against 14),
#     built with today's debian/ (tests/tools/deb_build.sh --commit), are
#     installed with apt into the fresh chroot; their sync-server runs; a
#     provisioning folder (provision.conf, region.pub, admin-passphrase,
#     tokens) sets the kiosk up with outpost-setup, which enrols it; the
#     kiosk seeds patients and encounters and syncs them.
#  2. version N+1 (build/deb, make deb) is installed over it with dpkg, and
#     dpkg is killed mid-way (SIGKILL, during unpack or configure), then
#     finished with dpkg --configure -a and a second install.
#  3. systemd-analyze verify accepts every unit the packages ship.
#  4. the sync-server runs as its unit says (User=, ExecStart= with
#     --config, the credential), says READY=1 on $NOTIFY_SOCKET, answers
#     /v1/health, and its store (migrated at start) holds what the kiosk
#     pushed before the upgrade.
#  5. the kiosk's store migrates at its first unlock under N+1: that
#     process is SIGKILLed at growing delays until one run finishes, then
#     `kiosk db check` passes and `kiosk db stats` gives the same counts as
#     before the upgrade; the data directory is 0700 and the kiosk's; the
#     installed udev rules are what `kiosk device list --udev` prints.
#  6. purge removes every file the packages installed, their settings and
#     enabled units, and keeps the data directories (and the store key,
#     without which the kept server data could not be read).
#
# Caches (build/deb/cache): the debootstrap base as a tarball, apt's
# downloaded packages and lists; the old version's packages (build/deb/old).
# A second run downloads nothing that has not changed.
set -eu
[ -n "${DEB_NS:-}" ] || {
	# A private mount namespace: the chroot's mounts vanish with us.
	[ "$(id -u)" -eq 0 ] || { echo "check-deb needs root (debootstrap, chroot)" >&2; exit 77; }
	DEB_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
}
T0=$(date +%s)
SRV=
# Whatever happens, the servers this test started stop with it.
trap 'stop_server' EXIT
trap 'exit 1' INT TERM
TOP=$(pwd)
OUT=$TOP/build/deb
CACHE=$OUT/cache
CH=$OUT/chroot
MIRROR=${OUTPOST_DEB_MIRROR:-http://deb.debian.org/debian}
OLD=${OUTPOST_DEB_OLD:-aa13d34}
PASS=deb-test-passphrase
PORT=${OUTPOST_DEB_PORT:-18471}
step() { echo "== $* ($(($(date +%s) - T0)) s)"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
in_ch() { chroot "$CH" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
for t in debootstrap dpkg-deb python3 curl; do
	command -v $t >/dev/null || { echo "$t missing (make deps)" >&2; exit 77; }
done
ls "$OUT"/outpost-kiosk_*.deb "$OUT"/outpost-sync-server_*.deb >/dev/null 2>&1 ||
    fail "no packages in $OUT: run make deb (make check-deb does)"
NEW_K=$(ls -t "$OUT"/outpost-kiosk_*.deb | head -n 1)
NEW_S=$(ls -t "$OUT"/outpost-sync-server_*.deb | head -n 1)
NEW_V=$(dpkg-deb -f "$NEW_K" Version)

# --- version N: an earlier commit's programs, today's packaging ---------
old_full=$(git rev-parse --verify "$OLD^{commit}")
OLD_V=0.0.9+git$(git rev-parse --short=7 "$old_full")
if ! ls "$OUT/old/outpost-kiosk_${OLD_V}_"*.deb >/dev/null 2>&1; then
	step "building version N ($OLD_V)"
	tests/tools/deb_build.sh --commit "$old_full" --version "$OLD_V" \
	    --name "old-$(git rev-parse --short=7 "$old_full")" --out "$OUT/old" \
	    --no-lintian >/dev/null ||
	    fail "could not build the packages of $OLD"
fi
OLD_K=$(ls "$OUT/old/outpost-kiosk_${OLD_V}_"*.deb)
OLD_S=$(ls "$OUT/old/outpost-sync-server_${OLD_V}_"*.deb)
dpkg --compare-versions "$OLD_V" lt "$NEW_V" || fail "$OLD_V is not older than $NEW_V"

# --- a clean Debian 12 --------------------------------------------------
mkdir -p "$CACHE/archives/partial" "$CACHE/lists/partial"
if [ ! -s "$CACHE/bookworm-base.tar.gz" ]; then
	step "debootstrap bookworm from $MIRROR (cached for the next run)"
	rm -rf "$CACHE/base"
	debootstrap --variant=minbase --include=systemd,udev,ca-certificates \
	    bookworm "$CACHE/base" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
	    fail "debootstrap failed: $CACHE/debootstrap.log"
	tar -C "$CACHE/base" -czf "$CACHE/bookworm-base.tar.gz.new" .
	mv "$CACHE/bookworm-base.tar.gz.new" "$CACHE/bookworm-base.tar.gz"
	rm -rf "$CACHE/base"
fi
step "unpacking the chroot"
rm -rf "$CH"
mkdir -p "$CH"
tar -C "$CH" -xzf "$CACHE/bookworm-base.tar.gz"
mount -t proc proc "$CH/proc"
mount --bind "$CACHE/archives" "$CH/var/cache/apt/archives"
mount --bind "$CACHE/lists" "$CH/var/lib/apt/lists"
cp /etc/resolv.conf "$CH/etc/resolv.conf"
cat >"$CH/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
# a throwaway chroot: dpkg need not fsync every file
echo force-unsafe-io >"$CH/etc/dpkg/dpkg.cfg.d/outpost-test-unsafe-io"
printf '#!/bin/sh\nexit 101\n' >"$CH/usr/sbin/policy-rc.d"
chmod 755 "$CH/usr/sbin/policy-rc.d"
mkdir -p "$CH/tmp/debs"
cp "$OLD_K" "$OLD_S" "$NEW_K" "$NEW_S" "$CH/tmp/debs/"
# apt's lists are kept in the cache: fetched again when a day old
if [ -n "$(find "$CACHE/lists" -name '*_Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
	: >"$OUT/apt.log"
else
	in_ch apt-get -qq update >"$OUT/apt.log" 2>&1 || fail "apt-get update (see $OUT/apt.log)"
fi

step "installing version N ($OLD_V) with apt, and kamailio and coturn"
in_ch env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "/tmp/debs/$(basename "$OLD_K")" "/tmp/debs/$(basename "$OLD_S")" \
    kamailio coturn >>"$OUT/apt.log" 2>&1 || { tail -n 20 "$OUT/apt.log"; fail "installing $OLD_V"; }
in_ch id outpost >/dev/null || fail "no user outpost"
in_ch id outpost-sync >/dev/null || fail "no user outpost-sync"
in_ch id -nG outpost | grep -qw plugdev || fail "outpost is not in plugdev"
[ "$(in_ch stat -c '%a %U' /var/lib/outpost-kiosk)" = "700 outpost" ] ||
    fail "/var/lib/outpost-kiosk is $(in_ch stat -c '%a %U' /var/lib/outpost-kiosk)"
[ "$(in_ch stat -c '%a %U' /etc/outpost/store.key)" = "600 root" ] ||
    fail "the store key is $(in_ch stat -c '%a %U' /etc/outpost/store.key)"

# The server's store key as systemd hands it over (LoadCredential=).
mkdir -p "$CH/run/credentials/outpost-sync-server"
cp "$CH/etc/outpost/store.key" "$CH/run/credentials/outpost-sync-server/outpost-server-key"
in_ch chown -R outpost-sync: /run/credentials/outpost-sync-server
chmod 0500 "$CH/run/credentials/outpost-sync-server"

# run_server ARGS...: the sync-server as outpost-sync, in the background.
run_server() {
	chroot "$CH" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
	    CREDENTIALS_DIRECTORY=/run/credentials/outpost-sync-server \
	    ${NOTIFY:+NOTIFY_SOCKET=/run/notify} \
	    setpriv --reuid=outpost-sync --regid=outpost-sync --init-groups \
	    --no-new-privs -- "$@" >>"$OUT/server.log" 2>&1 &
	SRV=$!
}
stop_server() {
	[ -n "$SRV" ] || return 0
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
}
health() {
	i=0
	while [ $i -lt 100 ]; do
		code=$(curl -s -o "$OUT/health.out" -w '%{http_code}' \
		    "http://127.0.0.1:$PORT/v1/health" 2>/dev/null || true)
		[ "$code" = 200 ] && return 0
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}
# admin ARGS...: an admin command of the installed server, as its user.
admin() {
	chroot "$CH" /usr/bin/env -i PATH=/usr/bin:/bin \
	    CREDENTIALS_DIRECTORY=/run/credentials/outpost-sync-server \
	    setpriv --reuid=outpost-sync --regid=outpost-sync --init-groups \
	    -- sync-server --data /var/lib/outpost admin "$@"
}
# kiosk ARGS...: the installed kiosk as outpost, the passphrase on a pipe.
kiosk() {
	printf '%s\n' "$PASS" | chroot "$CH" /usr/bin/env -i PATH=/usr/bin:/bin \
	    LANG=C.UTF-8 setpriv --reuid=outpost --regid=outpost --init-groups \
	    -- kiosk --data /var/lib/outpost-kiosk --passphrase-fd 0 "$@"
}
counts() { # the counts a migration must keep (audit grows at each unlock)
	kiosk db stats | grep -E '^  (users|patients|encounters|observations|form_submissions|alerts|attachments|outbox) '
}

: >"$OUT/server.log"
step "version N: the sync-server, outpost-setup from a provisioning folder, seed, sync"
mkdir -p "$CH/var/lib/outpost"
in_ch chown outpost-sync: /var/lib/outpost
curl -s -o /dev/null "http://127.0.0.1:$PORT/" &&
    fail "something already listens on 127.0.0.1:$PORT (OUTPOST_DEB_PORT=...)"
run_server sync-server --data /var/lib/outpost --listen "127.0.0.1:$PORT"
health || { cat "$OUT/server.log"; fail "version N's sync-server did not answer"; }
P=$CH/root/outpost-provision
mkdir -p "$P"
in_ch kiosk region keygen --out /root/region >/dev/null || fail "region keygen"
cp "$CH/root/region.pub" "$P/region.pub"
printf '%s\n' "$PASS" >"$P/admin-passphrase"
cat >"$P/provision.conf" <<EOF
# made by tests/deb/deb.sh
admin = admin
server = http://127.0.0.1:$PORT
country = KE
insecure_http = yes
EOF
: >"$P/tokens"
for i in 1 2 3; do
	admin enroll-token --role clinic --region north --facility f1 >>"$P/tokens" ||
	    fail "enroll-token"
done
in_ch outpost-setup --from /root/outpost-provision >"$OUT/setup.log" 2>&1 ||
    { cat "$OUT/setup.log"; fail "outpost-setup"; }
grep -q '^line 1 node [0-9]' "$P/tokens.used" || fail "tokens.used: $(cat "$P/tokens.used")"
head -n 1 "$P/tokens" | grep -q -f - "$P/tokens.used" && fail "a token was copied into tokens.used"
grep -q -F "$PASS" "$OUT/setup.log" && fail "outpost-setup printed the passphrase"
# a second run keeps the node and the enrolment, and takes no token
in_ch outpost-setup --from /root/outpost-provision >>"$OUT/setup.log" 2>&1 ||
    fail "outpost-setup again"
[ "$(wc -l <"$P/tokens.used")" -eq 1 ] || fail "a second run took a token"
kiosk seed --patients 40 --encounters 80 >/dev/null || fail "kiosk seed"
kiosk sync --once >/dev/null || fail "kiosk sync under N"
kiosk db check >/dev/null || fail "db check under N"
BEFORE=$(counts)
V_OLD=$(kiosk db stats | sed -n 's/.*schema version \([0-9]*\).*/\1/p')
SRV_BEFORE=$(admin stats | grep -E '^(held|patients):')
stop_server
echo "   kiosk schema $V_OLD; $(echo "$BEFORE" | tr -s ' ' | tr '\n' ';')"

# N+1's new libraries first, as an operator's apt upgrade fetches them
# (dpkg -i alone does not; the kill below is about dpkg, not about apt)
step "N+1's dependencies with apt"
DEPS=$( (dpkg-deb -f "$NEW_K" Depends; dpkg-deb -f "$NEW_S" Depends) |
    tr ',' '\n' | sed 's/|.*//; s/(.*//; s/[[:space:]]//g' |
    grep -v '^outpost' | grep -v '^$' | sort -u)
in_ch env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $DEPS >"$OUT/deps.log" 2>&1 ||
    { tail -n 20 "$OUT/deps.log"; fail "N+1's dependencies"; }

step "installing N+1 ($NEW_V) with dpkg, killed mid-way, then finished"
in_ch dpkg -i "/tmp/debs/$(basename "$NEW_K")" "/tmp/debs/$(basename "$NEW_S")" \
    >"$OUT/dpkg-kill.log" 2>&1 &
DP=$!
# as soon as dpkg has begun to replace the kiosk package (its state is no
# longer version N installed), and OUTPOST_DEB_KILL_S later (default 0)
i=0
while [ $i -lt 1200 ] && kill -0 "$DP" 2>/dev/null &&
    [ "$(in_ch dpkg-query -W -f '${Version} ${db:Status-Abbrev}' outpost-kiosk 2>/dev/null)" = "$OLD_V ii " ]; do
	sleep 0.02
	i=$((i + 1))
done
sleep "${OUTPOST_DEB_KILL_S:-0}"
# $DP is dpkg itself (chroot and env exec it): it and its maintainer script
pkill -KILL -P "$DP" 2>/dev/null || true
kill -KILL "$DP" 2>/dev/null || true
wait "$DP" 2>/dev/null || true
echo "   dpkg killed: $(in_ch dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' outpost-kiosk outpost-sync-server | tr '\n' ';')"
rm -f "$CH/var/lib/dpkg/lock" "$CH/var/lib/dpkg/lock-frontend"
in_ch dpkg --configure -a >>"$OUT/dpkg-kill.log" 2>&1 || true
in_ch dpkg -i "/tmp/debs/$(basename "$NEW_K")" "/tmp/debs/$(basename "$NEW_S")" \
    >>"$OUT/dpkg-kill.log" 2>&1 || { tail -n 20 "$OUT/dpkg-kill.log"; fail "finishing the upgrade"; }
for p in outpost-kiosk outpost-sync-server; do
	st=$(in_ch dpkg-query -W -f '${Version} ${db:Status-Abbrev}' $p)
	[ "$st" = "$NEW_V ii " ] || fail "$p after the upgrade: $st"
done
in_ch dpkg --audit | grep -q . && fail "dpkg --audit: $(in_ch dpkg --audit)"

step "systemd-analyze verify, every unit"
UNITS=$(cd "$CH" && ls lib/systemd/system/outpost-*)
[ "$(echo "$UNITS" | wc -l)" -eq 7 ] || fail "expected 7 units, got: $UNITS"
for u in $UNITS; do
	# (--man=no: the chroot has no man; the pages are checked below)
	out=$(in_ch systemd-analyze verify --man=no "/$u" 2>&1) || { echo "$out"; fail "verify $u"; }
	# verify exits 0 on some warnings: none may name our units
	echo "$out" | grep -i 'outpost' && fail "verify $u: warnings above"
done
for m in man1/kiosk.1.gz man8/outpost-setup.8.gz man1/sync-server.1.gz; do
	[ -s "$CH/usr/share/man/$m" ] || fail "no $m (the units' Documentation=)"
done
echo "   $(echo "$UNITS" | wc -l) units verified"

step "the sync-server as its unit runs it: user, config, credential, READY=1, health"
unit=$CH/lib/systemd/system/outpost-sync-server.service
user=$(sed -n 's/^User=//p' "$unit")
exec_line=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$user" = outpost-sync ] || fail "User=$user"
sed -i "s/^listen = .*/listen = 127.0.0.1:$PORT/" "$CH/etc/outpost/sync-server.conf"
rm -f "$CH/run/notify"
python3 - "$CH/run/notify" >"$OUT/notify.out" 2>&1 <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.settimeout(60)
print(s.recv(256).decode(), flush=True)
EOF
NP=$!
i=0
while [ ! -S "$CH/run/notify" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
NOTIFY=1
# shellcheck disable=SC2086
run_server $exec_line
NOTIFY=
wait "$NP" || fail "no notification"
grep -qx 'READY=1' "$OUT/notify.out" || fail "notify said: $(cat "$OUT/notify.out")"
health || { tail -n 20 "$OUT/server.log"; fail "/v1/health"; }
grep -q "$(echo "$NEW_V" | sed 's/[-+~].*//')" "$OUT/health.out" || fail "health does not name the version"
pid_uid=$(ps -o uid= -p "$SRV" | tr -d ' ') # chroot, env and setpriv exec it
[ "$pid_uid" = "$(in_ch id -u outpost-sync)" ] || fail "the server runs as uid $pid_uid"
SRV_AFTER=$(admin stats | grep -E '^(held|patients):')
[ "$SRV_BEFORE" = "$SRV_AFTER" ] || fail "server store: before [$SRV_BEFORE] after [$SRV_AFTER]"
echo "   READY=1, health 200, as outpost-sync; $(echo "$SRV_AFTER" | head -n 1)"

step "the kiosk's store migrates at its first unlock, killed until it finishes"
kills=0
for d in 0.2 0.4 0.6 0.8 1.0 1.3 1.6 2.0 2.5 3.0; do
	printf '%s\n' "$PASS" | chroot "$CH" /usr/bin/env -i PATH=/usr/bin:/bin \
	    setpriv --reuid=outpost --regid=outpost --init-groups \
	    -- kiosk --data /var/lib/outpost-kiosk --passphrase-fd 0 db check \
	    >/dev/null 2>&1 &
	KP=$!
	sleep "$d"
	if kill -0 "$KP" 2>/dev/null; then
		kill -KILL "$KP" 2>/dev/null || true # the kiosk (exec'd)
		kills=$((kills + 1))
		wait "$KP" 2>/dev/null || true
	else
		wait "$KP" || fail "db check failed after $kills kills"
		break
	fi
done
kiosk db check >"$OUT/dbcheck.out" 2>&1 || { cat "$OUT/dbcheck.out"; fail "kiosk db check under N+1"; }
AFTER=$(counts)
V_NEW=$(kiosk db stats | sed -n 's/.*schema version \([0-9]*\).*/\1/p')
[ "$BEFORE" = "$AFTER" ] || fail "counts differ: before [$BEFORE] after [$AFTER]"
[ "$V_NEW" -gt "$V_OLD" ] || fail "no migration ran: schema $V_OLD then $V_NEW"
kiosk sync --once >/dev/null || fail "kiosk sync under N+1"
# which runs migrated (a run killed between two migrations logs one alone)
echo "   schema $V_OLD -> $V_NEW after $kills killed unlocks; same counts; db check passed"
echo "   migrations logged: $(grep -o 'schema migrated to version [0-9]*' \
    "$CH/var/lib/outpost-kiosk/kiosk.log" | awk '$NF > '"$V_OLD"' { printf "%s ", $NF }')"
[ "$(in_ch stat -c '%a %U' /var/lib/outpost-kiosk)" = "700 outpost" ] ||
    fail "/var/lib/outpost-kiosk is $(in_ch stat -c '%a %U' /var/lib/outpost-kiosk)"
rules=$(ls "$CH"/lib/udev/rules.d/*outpost-kiosk*.rules)
in_ch kiosk device list --udev | cmp -s - "$rules" ||
    fail "$rules is not what kiosk device list --udev prints"
stop_server

step "purge"
FILES=$(in_ch dpkg -L outpost-kiosk outpost-sync-server | sort -u)
in_ch env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
    outpost-kiosk outpost-sync-server >"$OUT/purge.log" 2>&1 ||
    { tail -n 20 "$OUT/purge.log"; fail "purge"; }
left=""
for f in $FILES; do
	[ -e "$CH$f" ] || continue
	[ -d "$CH$f" ] && continue # shared directories (and /lib -> usr/lib)
	left="$left $f"
done
[ -z "$left" ] || fail "left after purge:$left"
for f in /etc/outpost/sync-server.conf /etc/outpost/kamailio.env \
    /etc/outpost/turnserver.conf; do
	[ -e "$CH$f" ] && fail "$f left after purge"
done
ls "$CH"/etc/systemd/system/*/outpost-* 2>/dev/null && fail "enabled units left after purge"
[ -s "$CH/var/lib/outpost-kiosk/keyring" ] || fail "purge removed the kiosk's data"
[ -s "$CH/var/lib/outpost/server.db" ] || fail "purge removed the server's data"
[ -s "$CH/etc/outpost/store.key" ] || fail "purge removed the store key of the kept data"
echo "   $(echo "$FILES" | wc -l) paths gone; kept /var/lib/outpost-kiosk, /var/lib/outpost, /etc/outpost/store.key"

umount "$CH/var/lib/apt/lists" "$CH/var/cache/apt/archives" "$CH/proc" 2>/dev/null || true
[ -n "${KEEP:-}" ] || rm -rf "$CH"
echo "PASS: deb ($(($(date +%s) - T0)) s)"
