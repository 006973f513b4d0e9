# SPDX-License-Identifier: GPL-2.0-or-later
# lib-time.sh: the ingest benchmarks' report of a "/usr/bin/time -v" file.

# report LABEL MESSAGES TIMEFILE: elapsed, messages/s and peak RSS, one line
report() {
	awk -v l="$1" -v n="$2" '
		/Elapsed \(wall clock\)/ {
			t = $NF; s = 0; k = split(t, a, ":")
			for (i = 1; i <= k; i++) s = s * 60 + a[i]
		}
		/Maximum resident set size/ { rss = $NF }
		END {
			printf "%-10s %8d messages %8.2f s %9.0f msg/s  peak RSS %6.1f MiB\n",
				l, n, s, n / s, rss / 1024
		}' "$3"
}
