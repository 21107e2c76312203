#!/bin/sh
# make lint: formatting (clang-format --dry-run against .clang-format),
# banned functions (STYLE.md), and cppcheck.  Exits non-zero on findings.
set -u
rc=0
files=$(git ls-files '*.c' '*.h')
echo "== clang-format"
if command -v clang-format >/dev/null; then
	clang-format --dry-run --Werror $files 2>&1 | grep -E '^[^ ].*(warning|error)' | cut -d: -f1 | sort | uniq -c
	clang-format --dry-run --Werror $files >/dev/null 2>&1 || rc=1
else
	echo "clang-format missing (make deps)"; rc=1
fi
echo "== banned functions"
banned='\<(gets|sprintf|vsprintf|strcpy|strcat|strncpy|strncat|strtok|atoi|atol)[[:space:]]*\('
if echo "$files" | xargs grep -nE "$banned" | grep -v '^tests/fuzz/' ; then rc=1; fi
raw='\<(malloc|calloc|realloc|strdup|strndup)[[:space:]]*\('
if echo "$files" | grep -v '^common/xmalloc\.c$' | xargs grep -nE "$raw" |
    grep -vE '(x|cbor_|sqlcipher_|sqlite3_)(malloc|calloc|realloc|strdup|strndup)' ; then
	rc=1
fi
echo "== cppcheck"
if command -v cppcheck >/dev/null; then
	cppcheck -q --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr --suppress=missingIncludeSystem -I common -I model -I . -D_GNU_SOURCE \
	    common model clinical escalate forms devices kiosk sync-server || rc=1
else
	echo "cppcheck missing (make deps)"; rc=1
fi
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
