#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Time "patchbot ingest --quiet" on slices of the corpus from make-corpus.sh
# (elapsed and peak RSS from /usr/bin/time -v), each into a fresh database,
# and "lei import" on the same first messages for comparison.
#
# usage: bench/ingest-bench.sh PATCHBOT CORPUSDIR [LEI_MESSAGES]
#   PATCHBOT      the patchbot binary (an -O2 build)
#   CORPUSDIR     the OUTDIR given to make-corpus.sh
#   LEI_MESSAGES  messages for lei (default 500; 0 skips lei)
set -eu

[ $# -ge 2 ] || { echo "usage: $0 PATCHBOT CORPUSDIR [LEI_MESSAGES]" >&2; exit 2; }
patchbot=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
corpus=$(cd "$2" && pwd)
lei_n=${3:-500}
work=$(mktemp -d /tmp/pbbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

slice() {
	[ -f "$corpus/slice-$1.mbox" ] ||
		awk -v n="$1" '/^From / { if (++c > n) exit } { print }' \
			"$corpus/corpus.mbox" >"$corpus/slice-$1.mbox"
	echo "$corpus/slice-$1.mbox"
}

. "$(dirname "$0")/lib-time.sh"

total=$(grep -c '^From ' "$corpus/corpus.mbox")
# the whole corpus RUNS times (default 3): this machine's load varies
runs=${RUNS:-3}
for n in 1000 10000 "$total"; do
	if [ "$n" = "$total" ]; then mbox=$corpus/corpus.mbox; else mbox=$(slice "$n"); fi
	k=1
	[ "$n" = "$total" ] && k=$runs
	for i in $(seq 1 "$k"); do
		rm -rf "$work/pb" && mkdir "$work/pb"
		printf '[bot]\n\tdatabase = %s/pb/patchbot.db\n' "$work" >"$work/pb/config"
		/usr/bin/time -v -o "$work/time" \
			"$patchbot" -c "$work/pb/config" ingest --quiet "$mbox"
		report patchbot "$n" "$work/time"
	done
done | tee "$work/runs"
# the median of the whole corpus's runs
grep " $total messages" "$work/runs" | sort -k4 -n |
	awk -v k="$runs" 'NR == int((k + 1) / 2) { sub(/^patchbot  /, "median    "); print }'

[ "$lei_n" -gt 0 ] || exit 0
command -v lei >/dev/null || { echo "lei: not installed (apt-get install lei)" >&2; exit 0; }
mbox=$(slice "$lei_n")
rm -rf "$work/pb" && mkdir "$work/pb"
printf '[bot]\n\tdatabase = %s/pb/patchbot.db\n' "$work" >"$work/pb/config"
/usr/bin/time -v -o "$work/time" "$patchbot" -c "$work/pb/config" ingest --quiet "$mbox"
report patchbot "$lei_n" "$work/time"
# lei keeps its store under XDG dirs: a throwaway home, and its daemon
# stopped afterwards
mkdir -p "$work/home"
(
	export HOME=$work/home XDG_DATA_HOME=$work/home/data \
		XDG_CONFIG_HOME=$work/home/config XDG_CACHE_HOME=$work/home/cache \
		XDG_RUNTIME_DIR=$work/home/run
	mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
	lei init "$work/home/lei-store" >/dev/null 2>&1 || true
	/usr/bin/time -v -o "$work/time" lei import -q --in-format=mboxrd "$mbox"
	lei daemon-kill >/dev/null 2>&1 || true
)
report lei "$lei_n" "$work/time"
