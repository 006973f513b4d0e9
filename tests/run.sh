#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's test command: build and run the whole test suite twice, as
# built normally and with AddressSanitizer + UndefinedBehaviorSanitizer,
# then the unit tests of the plain build under valgrind.
set -eu
cd "$(dirname "$0")/.."
./autogen.sh >/dev/null 2>&1
status=0
passed=0
failed=0
for variant in plain sanitizers; do
	dir=build-test-$variant
	rm -rf "$dir"
	mkdir "$dir"
	flags=
	[ "$variant" = sanitizers ] && flags=--enable-sanitizers
	echo "== $variant build"
	(cd "$dir" && ../configure -q $flags && make -j"$(nproc)" >/dev/null)
	if ! (cd "$dir" && make -j"$(nproc)" check); then
		status=1
		# the failed tests' logs, kept to be shown last (CI shows the end)
		for trs in "$dir"/tests/*.trs; do
			grep -q '^:test-result: \(FAIL\|ERROR\)' "$trs" &&
				failed_logs="${failed_logs:-} ${trs%.trs}.log"
		done
	fi
	# count the test cases (cmocka's and the shell tests') in every log
	counts=$(cat "$dir"/tests/*.log | awk '
		/^\[  PASSED  \] [0-9]+ test/ { p += $4 }
		/^\[  FAILED  \] [0-9]+ test/ { f += $4 }
		/^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
		END { print p + 0, f + 0 }')
	passed=$((passed + ${counts% *}))
	failed=$((failed + ${counts#* }))
done
# the unit tests under valgrind, on the plain build (tests/valgrind.sh)
echo "== unit tests under valgrind"
vg_out=$(sh tests/valgrind.sh build-test-plain) || status=1
echo "$vg_out"
vg_ok=$(echo "$vg_out" | grep -c '^ok - ' || true)
vg_bad=$(echo "$vg_out" | grep -c '^not ok - ' || true)
passed=$((passed + vg_ok))
failed=$((failed + vg_bad))
# every parser's fuzz target, briefly (longer runs: tests/fuzz/run.sh 1800)
echo "== fuzz targets, ${FUZZ_SECONDS:-60} s each"
fuzz_out=$(sh tests/fuzz/run.sh "${FUZZ_SECONDS:-60}" build-test-fuzz) || status=1
echo "$fuzz_out"
# grep -c exits 1 when it counts nothing: not a failure here
fuzz_ok=$(echo "$fuzz_out" | grep -c '^ok - ' || true)
fuzz_bad=$(echo "$fuzz_out" | grep -c '^not ok - ' || true)
passed=$((passed + fuzz_ok))
failed=$((failed + fuzz_bad))
for log in ${failed_logs:-}; do
	echo "---- $log (failed; its last 300 lines)"
	tail -n 300 "$log"
done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
