#!/bin/sh
# make deb (issue 18): the Debian packages outpost-kiosk and
# outpost-sync-server, built with dpkg-buildpackage -us -uc -b in a copy of
# the tree under build/deb/work/ (so nothing is written beside the
# checkout, and `dh clean` never touches the developer's build/), then
# checked with lintian.  The .debs and .changes land in OUT.
#
#   deb_build.sh [--out DIR] [--version V] [--commit C] [--name N]
#
#   --version V  the package version (default: debian/changelog's)
#   --commit C   build the programs of an earlier commit C (git archive),
#                with today's debian/ and packaging files laid over it: the
#                "version N" of the upgrade test (tests/deb/deb.sh)
#   --name N     the work folder's name (default cur, or the commit)
#   --no-lintian skip lintian (an older commit's build, for the test only)
#
# The copy is kept between runs and refreshed with the files' own times,
# so a second build compiles only what changed.
set -eu
OUT=build/deb
VERSION=
COMMIT=
NAME=
LINT=1
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--version) VERSION=$2; shift 2 ;;
	--commit) COMMIT=$2; shift 2 ;;
	--name) NAME=$2; shift 2 ;;
	--no-lintian) LINT=0; shift ;;
	*) echo "usage: deb_build.sh [--out DIR] [--version V] [--commit C] [--name N] [--no-lintian]" >&2; exit 2 ;;
	esac
done
for t in dpkg-buildpackage dh lintian; do
	command -v $t >/dev/null || {
		echo "deb_build: $t missing (make deps: debhelper, lintian)" >&2
		exit 1
	}
done
TOP=$(pwd)
[ -n "$NAME" ] || NAME=${COMMIT:-cur}
W=$TOP/build/deb/work/$NAME
SRC=$W/outpost
mkdir -p "$SRC" "$OUT"

# The packaging files, always today's (an older commit has none).
PACKAGING="debian kiosk/setup sync-server/coturn"

if [ -n "$COMMIT" ]; then
	full=$(git rev-parse --verify "$COMMIT^{commit}")
	if [ "$(cat "$W/commit" 2>/dev/null)" != "$full" ]; then
		rm -rf "$SRC" && mkdir -p "$SRC"
		git archive "$full" | tar -x -C "$SRC"
		echo "$full" >"$W/commit"
	fi
	rm -rf "$SRC/debian"
	# shellcheck disable=SC2086
	git ls-files -co --exclude-standard -- $PACKAGING | tar -cf - -T - |
	    tar -xpf - -C "$SRC"
else
	# Today's tree, tracked and new files alike; files gone from it are
	# removed from the copy (its build/ apart).
	git ls-files -co --exclude-standard | while IFS= read -r f; do
		[ -e "$f" ] && printf '%s\n' "$f"
	done | sort >"$W/files"
	(cd "$SRC" && find . -path ./build -prune -o -type f -print |
	    sed 's|^\./||' | sort) >"$W/files.old"
	comm -23 "$W/files.old" "$W/files" | (cd "$SRC" && xargs -r rm -f)
	rm -rf "$SRC/debian"
	tar -cf - -T "$W/files" | tar -xpf - -C "$SRC"
fi

if [ -n "$VERSION" ]; then
	{
		printf 'outpost (%s) bookworm; urgency=medium\n\n' "$VERSION"
		printf '  * Built by tests/tools/deb_build.sh%s.\n\n' \
		    "${COMMIT:+ from commit $COMMIT}"
		printf ' -- Outpost developers <outpost@example.org>  %s\n\n' \
		    "$(date -R)"
		cat "$SRC/debian/changelog"
	} >"$SRC/debian/changelog.new"
	mv "$SRC/debian/changelog.new" "$SRC/debian/changelog"
fi

rm -f "$W"/*.deb "$W"/*.changes "$W"/*.buildinfo
echo "== dpkg-buildpackage ($NAME${VERSION:+, version $VERSION})"
(cd "$SRC" && dpkg-buildpackage -us -uc -b -nc -j2) >"$W/build.log" 2>&1 || {
	tail -n 40 "$W/build.log" >&2
	echo "deb_build: dpkg-buildpackage failed: $W/build.log" >&2
	exit 1
}
cp "$W"/*.deb "$W"/*.changes "$OUT"/
for d in "$W"/*.deb; do echo "$OUT/$(basename "$d")"; done
[ "$LINT" -eq 1 ] || exit 0
echo "== lintian"
# Tags are explained where they are overridden (debian/*.lintian-overrides)
# or in debian/README.source; anything else fails the build.
if ! lintian --fail-on error,warning --tag-display-limit 0 "$W"/*.changes; then
	echo "deb_build: lintian found something new (above)" >&2
	exit 1
fi
echo "lintian: clean"
