#!/bin/sh
# Issue 9 (Low, TLS): the server offers only forward-secret AEAD suites.
# A TLS 1.2 client that asks for static-RSA AES128-SHA (no forward
# secrecy, CBC) is refused; one asking for ECDHE with AES-GCM, and a
# TLS 1.3 client, are served.
. tests/e2e/lib.inc
command -v openssl >/dev/null || { echo "openssl CLI not installed" >&2; exit 77; }
sync_setup

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
    -out "$T/cert.pem" >/dev/null 2>&1 || fail "openssl req"
server_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"

# hello ARGS...: handshake and print the negotiated cipher ("" if none).
hello() {
	openssl s_client -connect "127.0.0.1:$SRV_PORT" "$@" </dev/null \
	    2>/dev/null | sed -n 's/^New, .*Cipher is //p' | head -n 1
}
# "(NONE)" or nothing: no handshake.
ok() { [ -n "$1" ] && [ "$1" != "(NONE)" ]; }

for weak in AES128-SHA AES256-SHA AES128-GCM-SHA256 ECDHE-RSA-AES128-SHA \
    DHE-RSA-AES128-SHA; do
	c=$(hello -tls1_2 -cipher "$weak")
	ok "$c" && fail "TLS 1.2 $weak accepted ($c)"
done
for good in ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 \
    ECDHE-RSA-CHACHA20-POLY1305; do
	c=$(hello -tls1_2 -cipher "$good")
	[ "$c" = "$good" ] || fail "TLS 1.2 $good refused ($c)"
done
c=$(hello -tls1_3)
ok "$c" || fail "TLS 1.3 refused"
server_stop
exit 0
