#!/bin/sh
# No bare protocol numbers in the sync code (issue 8): the kiosk's sync
# client and the server's routes name every message key, change-array
# position, wire error code and path from common/protocol.h.  Fails on,
# e.g., `cborx_map_put(m, 3, ...)`, `cborx_map_uint(it, 1, &v)`,
# `case 7:`, `sync_err_code(&r, NULL) == 11`, `req_error(req, 5, ...)`,
# `f[4]` (a change array's position) or a "/v1/..." literal.  The patterns are first tried on known
# bad lines, so a broken pattern cannot pass silently.
set -u
files="kiosk/sync/client.c kiosk/sync/http.c kiosk/sync/thread.c
kiosk/sync/state.c kiosk/sync/apply.c kiosk/cli/cmd_sync.c kiosk/cli/cmd_enroll.c
sync-server/wire.c sync-server/httpd.c sync-server/auth.c
sync-server/server.c sync-server/routes.c $(ls sync-server/api/*.c)"

# Prints "file:line: text" for each bare number in the files given; the
# whole file is one string, so calls split over lines are caught too.
bare() {
	perl -0777 -ne '
	    my $f = $ARGV;
	    my @pat = (
		qr/\bcborx_map_\w+\(\s*[^,()]+,\s*\d+\s*[,)]/,
		qr/\bcase\s+\d+\s*:/,
		qr/\b(?:sync_err_code|tresp_code)\([^;{}]*?\)\s*[!=]=\s*\d+/,
		qr/\breq_error\(\s*[^,()]+,\s*\d+\s*,/,
		qr/(?:\bf|\bcbor_array_handle\([^;{}]*?\))\[\d+\]/,
		qr/"\/v\d+\//,
	    );
	    for my $p (@pat) {
		while (/$p/g) {
		    my $line = 1 + (substr($_, 0, $-[0]) =~ tr/\n//);
		    (my $m = $&) =~ s/\s+/ /g;
		    print "$f:$line: $m\n";
		}
	    }' "$@"
}

t=$(mktemp -d /tmp/outpost-names.XXXXXX)
trap 'rm -rf "$t"' EXIT
cat >"$t/bad.c" <<'BAD'
	cborx_map_put(m, 3, arr);
	cborx_map_put(
	    m, 1, cborx_bytes(c, n));
	if (cborx_map_uint(it, 2, &x) != 0)
	case 7:
	if (sync_err_code(&resp, NULL) == 11)
	req_error(req, 5, "revoked", -1);
	cborx_get_uint(f[4], &v);
	sync_signed_post(c, "/v1/push", b, n, &r);
BAD
found=$(bare "$t/bad.c" | wc -l)
if [ "$found" -ne 8 ]; then
	echo "FAIL: the check finds $found of 8 bare numbers in a bad file" >&2
	bare "$t/bad.c" >&2
	exit 1
fi
cat >"$t/good.c" <<'GOOD'
	cborx_map_put(m, PUSH_K_CHANGES, arr);
	if (cborx_map_uint(it, PUSHED_K_HW, &x) != 0)
	case WERR_CONFLICT:
	if (sync_err_code(&resp, NULL) == WERR_BAD_TOKEN)
	req_error(req, WERR_REVOKED, "revoked", -1);
	cborx_get_uint(f[PUSH_C_BODY], &v);
GOOD
if [ -n "$(bare "$t/good.c")" ]; then
	echo "FAIL: the check flags named constants" >&2
	exit 1
fi

for f in $files; do
	[ -s "$f" ] || { echo "FAIL: $f is missing" >&2; exit 1; }
done
out=$(bare $files)
if [ -n "$out" ]; then
	echo "FAIL: bare protocol numbers (name them in common/protocol.h):" >&2
	echo "$out" >&2
	exit 1
fi
echo "protocol_names: $(echo $files | wc -w) files, no bare keys or codes"
exit 0
