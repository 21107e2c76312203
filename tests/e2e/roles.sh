#!/bin/sh
# The four user roles on a kiosk (issue 17; model/role.h, docs/SECURITY.md
# "Roles and the access matrix"): before enrolment any role may be added;
# on an admin node a regional admin may be added and a CHW may not (with
# the node role that fits named), `--role admin` still makes a facility
# admin, and on a clinic node a regional admin is refused.
. tests/e2e/lib.inc
sync_setup
server_start

kiosk a init --kdf-ms 5 >/dev/null 2>&1 || fail "init a"
kiosk a user add early --role regional-admin --kdf-ms 5 >/dev/null 2>&1 ||
    fail "a regional admin before enrolment"
t=$("$SERVER" --data "$T/srv" admin enroll-token --role admin \
    --region north --facility office) || fail "admin token"
kiosk a enroll --server "http://127.0.0.1:$SRV_PORT" --token "$t" \
    --insecure-http >/dev/null 2>&1 || fail "enrol a"
kiosk a user add ra --role regional-admin --kdf-ms 5 >"$T/out" 2>&1 ||
    fail "regional admin on an admin node: $(cat "$T/out")"
grep -q "Added ra (regional-admin)" "$T/out" || fail "ra: $(cat "$T/out")"
kiosk a user add fa --role admin --kdf-ms 5 >"$T/out" 2>&1 ||
    fail "--role admin on an admin node: $(cat "$T/out")"
grep -q "Added fa (facility-admin)" "$T/out" || fail "fa: $(cat "$T/out")"
if kiosk a user add c1 --role chw --kdf-ms 5 >"$T/out" 2>&1; then
	fail "a CHW was added on an admin node"
fi
grep -q "role chw works on clinic nodes; this node is enrolled as admin" \
    "$T/out" || fail "chw refusal: $(cat "$T/out")"
kiosk a user list >"$T/list" 2>&1 || fail "list"
grep -q "c1" "$T/list" && fail "the refused CHW is listed"

kiosk_new b north "http://127.0.0.1:$SRV_PORT"
if kiosk b user add r2 --role regional-admin --kdf-ms 5 >"$T/out" 2>&1; then
	fail "a regional admin was added on a clinic node"
fi
grep -q "role regional-admin works on admin nodes; this node is enrolled as clinic" \
    "$T/out" || fail "regional admin refusal: $(cat "$T/out")"
kiosk b user add c2 --role chw --kdf-ms 5 >/dev/null 2>&1 ||
    fail "a CHW on a clinic node"
echo "roles: 4 roles, refusals name the node role that fits"
