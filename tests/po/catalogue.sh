#!/bin/sh
# The screen catalogues are complete (issue 10, item 10): every string the
# kiosk sources mark with _() or N_() (extracted afresh with xgettext,
# `make pot`) has a translation in po/fr.po and po/sw.po, none is fuzzy
# or empty, and msgfmt --check accepts both (format conversions agree
# with the msgid).  When it fails after new strings: `make po`, translate
# the new entries (msgid without msgstr) in each po/<lang>.po, run again.
set -u
for t in xgettext msgfmt msgcmp; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "$t is not installed (apt-get install gettext)" >&2
		exit 77
	fi
done
T=$(mktemp -d "${TMPDIR:-/tmp}/outpost-po.XXXXXX")
trap 'rm -rf "$T"' EXIT
rc=0
make -s --no-print-directory pot POT_OUT="$T/outpost.pot" >"$T/xgettext.log" 2>&1 || {
	cat "$T/xgettext.log" >&2
	echo "FAIL: extract: xgettext failed"
	exit 1
}
n=$(grep -c '^msgid ' "$T/outpost.pot")
for l in fr sw; do
	po=po/$l.po
	if ! msgfmt --check --statistics -o /dev/null "$po" >"$T/$l.stat" 2>&1; then
		cat "$T/$l.stat"
		echo "FAIL: ${l}_msgfmt_check: $po is refused by msgfmt --check"
		rc=1
		continue
	fi
	if grep -qE 'untranslated|fuzzy' "$T/$l.stat"; then
		echo "FAIL: ${l}_complete: $po: $(cat "$T/$l.stat")"
		rc=1
	else
		echo "PASS: ${l}_complete: $(cat "$T/$l.stat")"
	fi
	# every msgid of the sources is translated in the catalogue
	if ! msgcmp "$po" "$T/outpost.pot" >"$T/$l.cmp" 2>&1; then
		grep -A1 'used but not defined' "$T/$l.cmp" | head -40
		echo "FAIL: ${l}_covers_sources: $po lacks strings the sources show (make po, then translate them)"
		rc=1
	else
		echo "PASS: ${l}_covers_sources: all $((n - 1)) source strings"
	fi
done
exit $rc
