#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build every libFuzzer target (tests/fuzz/fuzz_*.c) with clang, libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer, against all of patchbot's
# library code.  Usage: build.sh [OUTDIR]  (default: build-fuzz)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build-fuzz}
mkdir -p "$out/obj"
pkgs="libetpan libgit2 sqlite3 libcurl gnutls zlib"
cflags="-g -O1 -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer
	-fsanitize=fuzzer-no-link,address,undefined
	-I$top/bot -I$top/commands $(pkg-config --cflags $pkgs)
	-DPATCHBOT_TEMPLATEDIR=\"/nonexistent\" -DPATCHBOT_SYSCONFDIR=\"/etc\"
	-DPACKAGE_VERSION=\"fuzz\""
libs="$(pkg-config --libs $pkgs) -lpthread -Wno-unused-command-line-argument"
objs=
for f in "$top"/bot/*.c "$top"/commands/*.c; do
	[ "$f" = "$top/bot/main.c" ] && continue
	dir=$(basename "$(dirname "$f")")
	o="$out/obj/$dir-$(basename "${f%.c}").o"
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ]; then
		# shellcheck disable=SC2086
		clang $cflags -w -c "$f" -o "$o"
	fi
	objs="$objs $o"
done
for t in "$top"/tests/fuzz/fuzz_*.c; do
	name=$(basename "${t%.c}")
	# shellcheck disable=SC2086
	clang $cflags -fsanitize=fuzzer "$t" $objs $libs -o "$out/$name"
done
echo "fuzz targets in $out"
