#!/bin/sh
# Finding a patient among many (issue 10, item 12): the results say how
# many were found and scroll past the ten on the screen, so the last one
# can be reached and opened.
. tests/tui/lib.inc

make_node
for g in Abena Adjoa Akosua Ama Efua Esi Yaa Kofi Kwame Kwesi Yaw Kojo Kwaku Fiifi; do
	cli patient add --given "$g" --family Mensah --sex female \
	    --village Ahero >/dev/null || fail "patient add $g"
done
start "$KIOSK" --data "$NODE" ui --idle-lock 0
unlock
wait_for "Unlocked. Welcome, admin."
keys F3
wait_for "Name, phone, village"
type_text "Mensah"
expect_screen find-many "14 found. Rows 1-10: Up/Down scrolls."
keys Down Down Down Down Down Down Down Down Down Down Down Down Down
wait_for "14 found. Rows 5-14: Up/Down scrolls."
line=$(screen | grep "^  > " | sed 's/^  > //')
[ -n "$line" ] || fail "no line marked > after scrolling"
given=$(echo "$line" | awk '{ print $1 }')
keys Enter
start_visit
wait_for "Patient: $given Mensah"
keys Escape
wait_for "Today's patients"
quit_kiosk
