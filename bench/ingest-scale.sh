#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Is ingest's memory flat at a million messages?  Writes COPIES copies of
# the corpus from make-corpus.sh into one mbox, each copy's Message-IDs
# (and the In-Reply-To and References that point at them) made its own,
# so that every message is new and threads stay within their copy; then
# times "patchbot ingest --quiet" on it, printing resident memory every
# 100,000 messages and the peak at the end.
#
# usage: bench/ingest-scale.sh PATCHBOT CORPUSDIR [COPIES]
#   COPIES  default 10: 1,100,110 messages of the default corpus
#           (7.4 GB of mbox and about 9 GB of database in a temporary
#           folder under TMPDIR, removed afterwards)
set -eu
. "$(dirname "$0")/lib-time.sh"

[ $# -ge 2 ] || { echo "usage: $0 PATCHBOT CORPUSDIR [COPIES]" >&2; exit 2; }
patchbot=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
corpus=$(cd "$2" && pwd)/corpus.mbox
copies=${3:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/pbscale.XXXXXX")
trap 'rm -rf "$work"' EXIT

for k in $(seq 1 "$copies"); do
	# in the header only: a header ends at the first empty line
	awk -v k="$k" '
		/^From / { head = 1 }
		head && /^$/ { head = 0 }
		head && (/^(Message-I[dD]|In-Reply-To|References):/ ||
			 (fold && /^[ \t]/)) {
			gsub(/</, "<" k ".")
			fold = 1
			print
			next
		}
		{ fold = 0; print }' "$corpus"
done >"$work/big.mbox"
total=$(grep -c '^From ' "$work/big.mbox")
echo "$total messages, $(du -m "$work/big.mbox" | cut -f1) MiB of mbox"

printf '[bot]\n\tdatabase = %s/patchbot.db\n' "$work" >"$work/config"
/usr/bin/time -v -o "$work/time" "$patchbot" -c "$work/config" ingest --quiet \
	"$work/big.mbox" &
pid=$!
# the child of time is patchbot
sleep 1
pb=$(pgrep -P "$pid" | head -1)
next=100000
while kill -0 "$pb" 2>/dev/null; do
	n=$(sqlite3 "file:$work/patchbot.db?mode=ro" \
		"SELECT count(*) FROM messages" 2>/dev/null || echo 0)
	if [ "$n" -ge "$next" ]; then
		awk -v n="$n" '/VmRSS/ { printf "%8d messages  RSS %6.1f MiB\n", n, $2 / 1024 }' \
			"/proc/$pb/status" 2>/dev/null || true
		next=$((next + 100000))
	fi
	sleep 1
done
wait "$pid"
report patchbot "$total" "$work/time"
