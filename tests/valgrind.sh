#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every cmocka unit test binary under valgrind's memcheck: no definite
# or indirect leak, no invalid read or write, no use of uninitialised
# memory.  "Still reachable" blocks (libgit2's, sqlite's and libetpan's
# global caches) are not errors.  tests/valgrind.supp holds the
# third-party reports we cannot fix, each with its reason.
#
# Usage: valgrind.sh [BUILDDIR]   (default: build, a plain, non-sanitizer
# build: valgrind and ASan do not mix).  Prints one "ok - " or "not ok - "
# line per binary, as tests/fuzz/run.sh does, with its wall and CPU
# seconds, and the valgrind report of each failure.  VALGRIND_JOBS
# binaries run at once (default 2).  PATCHBOT_VALGRIND_QUICK=1 is set, so
# that the few heavy cases (the 10 MiB inputs of test_cmdparse, the
# 100 MiB mail of test_abuse) run on smaller inputs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

# one binary: valgrind.sh --one BUILDDIR NAME, its result in LOGS/NAME.result
if [ "${1:-}" = --one ]; then
	build=$2
	name=$3
	logs="$build/tests/valgrind"
	t0=$(date +%s)
	if (cd "$build" && /usr/bin/time -f '%U %S' -o "$logs/$name.time" \
		valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --error-exitcode=1 \
		--track-origins=yes --num-callers=30 \
		--suppressions="$top/tests/valgrind.supp" \
		--log-file="$logs/$name.vg" "tests/$name" >"$logs/$name.out" 2>&1); then
		result=ok
	else
		result="not ok"
	fi
	# the last line: time(1) puts "Command exited with ..." before it
	cpu=$(tail -n 1 "$logs/$name.time" | awk '{ printf "%d", $1 + $2 + 0.5 }')
	echo "$result - valgrind $name ($(($(date +%s) - t0)) s, CPU $cpu s)" >"$logs/$name.result"
	exit 0
fi

build=$(cd "${1:-$top/build}" && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
	echo "not ok - valgrind: not installed (apt-get install valgrind)"
	exit 1
fi
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$build/Makefile" 2>/dev/null; then
	echo "not ok - valgrind: '$build' is a sanitizer build; use a plain one"
	exit 1
fi

PATCHBOT_SRCDIR=${PATCHBOT_SRCDIR:-$top}
PATCHBOT_CORPORA=${PATCHBOT_CORPORA:-$top/../shared/corpora}
PATCHBOT_VALGRIND_QUICK=1
CMOCKA_MESSAGE_OUTPUT=stdout
export PATCHBOT_SRCDIR PATCHBOT_CORPORA PATCHBOT_VALGRIND_QUICK CMOCKA_MESSAGE_OUTPUT

logs="$build/tests/valgrind"
rm -rf "$logs"
mkdir -p "$logs"
names=
for src in "$top"/tests/test_*.c; do
	name=$(basename "${src%.c}")
	if [ -x "$build/tests/$name" ]; then
		names="$names $name"
	else
		echo "not ok - valgrind $name ($build/tests/$name is not built: make check TESTS=)" \
			>"$logs/$name.result"
	fi
done
start=$(date +%s)
# shellcheck disable=SC2086
printf '%s\n' $names | xargs -P "${VALGRIND_JOBS:-2}" -I{} sh "$0" --one "$build" {}

status=0
for src in "$top"/tests/test_*.c; do
	name=$(basename "${src%.c}")
	cat "$logs/$name.result"
	if ! grep -q '^ok - ' "$logs/$name.result"; then
		status=1
		[ -f "$logs/$name.out" ] && tail -n 20 "$logs/$name.out" | sed 's/^/# /'
		[ -f "$logs/$name.vg" ] && head -n 200 "$logs/$name.vg" | sed 's/^/# /'
	fi
done
echo "# valgrind: $(($(date +%s) - start)) s in all, ${VALGRIND_JOBS:-2} at a time"
exit $status
