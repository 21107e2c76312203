#!/bin/sh
# Sync over HTTPS with a throwaway certificate made here: the kiosk trusts
# it through `kiosk enroll --ca`, and every record arrives exactly once.  A
# kiosk that does not trust the certificate gets a clear error and sends
# nothing.
. tests/e2e/lib.inc
command -v openssl >/dev/null || { echo "openssl CLI not installed" >&2; exit 77; }
sync_setup

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
    -out "$T/cert.pem" >/dev/null 2>&1 || fail "openssl req"
server_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
grep -q "(https)" "$T/srv.log" || fail "server did not start TLS"

kiosk_new a north "https://127.0.0.1:$SRV_PORT" --ca "$T/cert.pem"
kiosk a seed --patients 5 --encounters 4 >/dev/null || fail "seed"
sync_once a
[ "$SYNC_RC" -eq 0 ] || fail "sync over https: $(cat "$T/sync.err")"
same_manifest a

# Without the certificate the kiosk cannot even enrol.
kiosk b init --kdf-ms 5 >/dev/null 2>&1 || fail "init b"
tok=$(token north)
if kiosk b enroll --server "https://127.0.0.1:$SRV_PORT" --token "$tok" \
    >/dev/null 2>"$T/b.err"; then
	fail "enrolled without trusting the certificate"
fi
grep -q "secure connection" "$T/b.err" || fail "unclear error: $(cat "$T/b.err")"
# Plain HTTP to the HTTPS port is refused too.
kiosk b enroll --insecure-http --server "http://127.0.0.1:$SRV_PORT" \
    --token "$tok" \
    >/dev/null 2>&1 && fail "plain http accepted by the https server"
server_stop
exit 0
