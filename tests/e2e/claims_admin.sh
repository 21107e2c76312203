#!/bin/sh
# The claims commands of issue 15 with the real program, no kiosk:
# `admin payer set` refuses a bad item with its reason and keeps the
# good ones (`payer list`), `admin coverage` refuses an unknown payer and
# a patient not named by a UUID and records a good one, `admin claims`
# prints counts (and --json the same as JSON, every reason named),
# --fhir and --csv write their files mode 0600, --release of an unknown
# claim says so, bad usage exits 2.  The claims themselves are built from
# pushed evidence: tests/sync-server/test_claims.c and test_claim_push.c.
. tests/e2e/lib.inc
sync_setup
A="$SERVER --data $T/srv admin"
mkdir -p "$T/srv"

$A payer set NHIF name=NHIF min=300 presence=chw freq=1 \
    video=TV01:50000 voice=TA01:30000 endpoint=http://127.0.0.1:9/fhir \
    >"$T/out" 2>&1 || fail "payer set: $(cat "$T/out")"
$A payer set BAD min=ten >"$T/out" 2>&1 && fail "payer set min=ten accepted"
grep -q "whole numbers" "$T/out" || fail "no reason: $(cat "$T/out")"
$A payer list >"$T/out" 2>&1 || fail "payer list"
grep -q "^NHIF name=NHIF min=300 presence=chw freq=1 video=TV01:50000 voice=TA01:30000 endpoint=http://127.0.0.1:9/fhir$" \
    "$T/out" || fail "payer list: $(cat "$T/out")"
grep -q "^BAD" "$T/out" && fail "the refused payer was kept"

pat=0190d0a0-0000-7000-8000-000000000001
$A coverage $pat NOPE M-1 >"$T/out" 2>&1 && fail "unknown payer accepted"
grep -q "not configured" "$T/out" || fail "$(cat "$T/out")"
$A coverage not-a-uuid NHIF M-1 >"$T/out" 2>&1 && fail "bad patient accepted"
grep -q "record id" "$T/out" || fail "$(cat "$T/out")"
$A coverage $pat NHIF M-1 --from 2026-01-01 --to 2025-01-01 >"$T/out" 2>&1 &&
    fail "--to before --from accepted"
$A coverage $pat NHIF M-1 --from 2026-01-01 >"$T/out" 2>&1 ||
    fail "coverage: $(cat "$T/out")"

$A claims --build >"$T/out" 2>&1 || fail "claims: $(cat "$T/out")"
grep -q "^0 claim(s)" "$T/out" || fail "$(cat "$T/out")"
$A claims --json >"$T/out.json" 2>&1 || fail "claims --json"
for r in noshow cancelled presence failed_call too_short unsigned licence \
    coverage duplicate; do
	grep -q "\"$r\":0" "$T/out.json" || fail "no $r in $(cat "$T/out.json")"
done
grep -q '^{"claims":\[\],' "$T/out.json" || fail "$(cat "$T/out.json")"
umask 022
$A claims --fhir "$T/claims.json" --csv "$T/claims.csv" >/dev/null 2>&1 ||
    fail "exports"
[ "$(stat -c %a "$T/claims.json")" = 600 ] || fail "FHIR file mode"
[ "$(stat -c %a "$T/claims.csv")" = 600 ] || fail "CSV file mode"
grep -q '"resourceType":"Bundle"' "$T/claims.json" || fail "no bundle"
head -1 "$T/claims.csv" | grep -q '^business_id,status,' || fail "CSV header"
$A claims --release OP-000 >"$T/out" 2>&1 && fail "unknown release accepted"
grep -q "no claim with that business id" "$T/out" || fail "$(cat "$T/out")"
$A claims --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad usage did not exit 2"
echo "PASS: claims_admin"
