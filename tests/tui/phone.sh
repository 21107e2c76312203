#!/bin/sh
# Phone numbers in E.164 (issue 10, item 12): with the node's country set
# (kiosk country KE), a number registered, imported or searched in local
# form (0756 477 422) is stored and matched as +254756477422, so a search
# for the local form finds it; a bad number is refused with the reason.
. tests/tui/lib.inc

make_node
cli country ZZ >/dev/null 2>"$T/err" && fail "an unknown country was taken"
grep -q "ZZ is not a country this kiosk knows" "$T/err" ||
    fail "no reason for an unknown country: $(cat "$T/err")"
cli country | grep -q "No country set" || fail "a country before any was set"
cli country ke | grep -q "Country: KE (+254)" || fail "kiosk country KE"
cli country | grep -q "^KE (+254)" || fail "the country was not kept"
# or at init
printf 'pass-word\npass-word\n' | "$KIOSK" --data "$T/n2" --passphrase-fd 0 \
    init --kdf-ms 5 --country UG >"$T/init2" 2>&1 || fail "init --country"
grep -q "Country: UG (phone numbers as +256...)" "$T/init2" ||
    fail "init did not say the country: $(cat "$T/init2")"
printf 'pass-word\n' | "$KIOSK" --data "$T/n2" --passphrase-fd 0 country |
    grep -q "^UG (+256)" || fail "init --country was not kept"

cli patient add --given Wanjiku --family Kamau --sex female \
    --phone "0756 477-422" --village Ahero >/dev/null || fail "patient add"
cli patient add --given Otieno --family Kamau --sex male \
    --phone "+256 772 123456" >/dev/null || fail "patient add (Uganda)"
cli patient add --given Bad --family Number --phone "07x6477422" \
    >/dev/null 2>"$T/err" && fail "a phone with a letter was taken"
grep -q "only digits, spaces and dashes" "$T/err" ||
    fail "no reason for a bad phone: $(cat "$T/err")"
cli patient find Wanjiku | grep -q "+254756477422" ||
    fail "not stored in E.164: $(cli patient find Wanjiku)"
cli patient find Otieno | grep -q "+256772123456" ||
    fail "an international number changed: $(cli patient find Otieno)"

cat >"$T/reg.csv" <<'CSV'
given,family,sex,birth_date,phone,village,national_id
Achieng,Odhiambo,F,1990,0711 222 333,Kombewa,
Broken,Phone,M,1980,0711,Kombewa,
CSV
cli patient import "$T/reg.csv" >"$T/imp" 2>"$T/err" &&
    fail "an import with a bad row said all is well"
grep -q "line 3: phone must have 6 to 15 digits; row skipped" "$T/err" ||
    fail "no reason for the bad row: $(cat "$T/err")"
cli patient find Achieng | grep -q "+254711222333" ||
    fail "imported number not in E.164: $(cli patient find Achieng)"

start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F3
wait_for "Name, phone, village"
type_text "0756477422"
expect_screen phone-find "1 found."
screen | grep -q "> Wanjiku .*+254756477422" ||
    fail "the local number did not find +254756477422"
# the Ugandan number with the same last digits is not the same number
screen | grep -q "Otieno" && fail "a search for a whole number found another"
keys Escape
wait_for "Today's patients"
keys F3
wait_for "Name, phone, village"
type_text "+254711222333"
wait_for "> Achieng"
keys Escape
wait_for "Today's patients"
quit_kiosk
