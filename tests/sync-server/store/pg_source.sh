#!/bin/sh
# scale.md AC-8's source check: the PostgreSQL store does not order its
# feed by a lock or a sequence.  Its sources use no advisory lock, no
# LISTEN/NOTIFY, no nextval/currval; every statement of pg_schema.c that
# orders rows of the feed (changes) orders them by xid first (a facility's
# pull by dxid, the delivery position: the xid of the change or of the
# scope entry that brought its patient in, PROTOCOL.md §5.3).
S=sync-server/store
files=$(ls $S/pg*.c $S/pg_int.h 2>/dev/null)
[ -n "$files" ] || { echo "FAIL: no PostgreSQL store sources" >&2; exit 1; }
# (one exception: a break-glass scope row takes a fresh id from the changes'
# sequence as its tie-break inside its own transaction's xid, which still
# orders it: pg_schema.c PG_BREAKGLASS_ADD, issue 17)
bad=$(grep -niE 'advisory|pg_advisory|\<listen\>|\<notify\>|nextval|currval|lastval' $files |
    grep -vF "nextval(pg_get_serial_sequence('changes', 'id')) FROM p\"")
if [ -n "$bad" ]; then
	echo "FAIL: lock or sequence ordering in the PostgreSQL store:" >&2
	echo "$bad" >&2
	exit 1
fi
# Join each statement's string pieces, then look at those reading changes.
stmts=$(awk '/^\t\[PG_[A-Z_]*\] = \{/ { s = "" } { s = s $0 }
    /\},$/ { gsub(/"[[:space:]]*"/, "", s); print s; s = "" }' "$S/pg_schema.c")
n=$(echo "$stmts" | grep -c 'FROM changes')
[ "$n" -ge 3 ] || { echo "FAIL: found only $n feed statements" >&2; exit 1; }
unordered=$(echo "$stmts" | grep 'FROM changes' | grep 'ORDER BY' |
    grep -vE 'ORDER BY (c\.|f\.)?d?xid' | grep -v 'GROUP BY entity' |
    grep -v 'FROM nodes ORDER BY')
if [ -n "$unordered" ]; then
	echo "FAIL: a feed statement not ordered by xid first:" >&2
	echo "$unordered" >&2
	exit 1
fi
