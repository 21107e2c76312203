#!/bin/sh
# Build every libFuzzer harness tests/fuzz/<name>_fuzzer.c into
# build/fuzz/<name>_fuzzer with clang (-fsanitize=fuzzer,address,undefined),
# against the project libraries built with the same instrumentation.
# Run one with:  build/fuzz/NAME_fuzzer tests/fuzz/corpus/NAME
# (`make check` replays the corpora without libFuzzer: tests/fuzz/replay.c.)
set -eu
B=build/fuzz
SAN=fuzzer-no-link,address,undefined
MAKE=${MAKE:-make}
libs="$B/libserver.a $B/libforms.a $B/libdevices.a $B/libclinical.a $B/libmodel.a $B/libcommon.a"
$MAKE --no-print-directory BUILD=$B CC=clang SANITIZE=$SAN $libs >/dev/null
n=0
for src in tests/fuzz/*_fuzzer.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	$MAKE --no-print-directory BUILD=$B CC=clang SANITIZE=$SAN \
	    "$B/obj/tests/fuzz/$name.o" >/dev/null
	clang -fsanitize=fuzzer,address,undefined -o "$B/$name" \
	    "$B/obj/tests/fuzz/$name.o" $libs \
	    $(pkg-config --libs sqlcipher libmicrohttpd zlib libusb-1.0 libxml-2.0 libcbor libcrypto jansson) -lpthread -lm
	n=$((n + 1))
done
echo "built $n fuzzers in $B"
