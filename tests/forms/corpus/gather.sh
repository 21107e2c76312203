#!/bin/sh
# Gather a corpus of real XForms from public repositories already brought
# onto this machine with the workplace's `fetch` tool (bare git snapshots
# under ${MIRROR:-/work/.mirror}/OWNER+NAME/repo), for run.sh.  Run by
# hand, never by make check; the forms are third-party files and are
# never committed: they go to ${CORPUS:-/tmp/outpost-xform-corpus}, one
# file per distinct content (named by its SHA-256), with SOURCES listing
# repository, commit and path for each.
#
#   fetch github:getodk/javarosa      (and the others listed below), then
#   sh tests/forms/corpus/gather.sh
#
# A file is kept when it parses as an XForm: an XHTML/XForms document with
# an <instance> and a <bind> or a body control.  Layout files and other
# XML are left out.
set -u
MIRROR=${MIRROR:-/work/.mirror}
OUT=${CORPUS:-/tmp/outpost-xform-corpus}
# repository            path prefix (pattern for grep -E on the path)
REPOS="
getodk+javarosa         ^src/(test|jmh)/resources/
getodk+collect          ^(test-forms|collect_app/src/(test|androidTest))/
enketo+enketo           ^packages/(enketo-core|enketo-transformer)/test/
medic+cht-core          ^(config|tests|webapp/tests)/
medic+cht-conf          ^test/data/
XLSForm+pyxform         ^tests/
getodk+sample-forms     .
getodk+briefcase        ^test/
dimagi+commcare-core    ^src/test/resources/
"
rm -rf "$OUT"
mkdir -p "$OUT/forms"
: >"$OUT/SOURCES"
echo "$REPOS" | while read -r repo prefix; do
	[ -n "$repo" ] || continue
	git="$MIRROR/$repo/repo"
	if [ ! -d "$git" ]; then
		echo "gather: $repo not fetched (fetch github:${repo%%+*}/${repo#*+}); skipped" >&2
		continue
	fi
	commit=$(git --git-dir="$git" rev-parse HEAD)
	n=0
	git --git-dir="$git" ls-tree -r --name-only HEAD |
	    grep -E "$prefix" | grep -Ei '\.(xml|xhtml)$' |
	    while read -r path; do
		tmp="$OUT/tmp.xml"
		git --git-dir="$git" show "HEAD:$path" >"$tmp" 2>/dev/null || continue
		# an XForm: the XForms namespace, an instance, and binds or
		# controls
		grep -q 'http://www.w3.org/2002/xforms' "$tmp" &&
		    grep -q '<[a-z:]*instance' "$tmp" &&
		    grep -Eq '<([a-z]+:)?(bind|input|select1?|group|repeat)[ >]' "$tmp" ||
		    continue
		sum=$(sha256sum "$tmp" | cut -c1-16)
		if [ ! -e "$OUT/forms/$sum.xml" ]; then
			mv "$tmp" "$OUT/forms/$sum.xml"
		fi
		printf '%s\t%s\t%s\t%s\n' "$sum" "$repo" "$commit" "$path" \
		    >>"$OUT/SOURCES"
	done
done
rm -f "$OUT/tmp.xml"
echo "gather: $(ls "$OUT/forms" | wc -l) distinct forms from" \
    "$(cut -f4 "$OUT/SOURCES" | wc -l) files in $OUT" >&2
