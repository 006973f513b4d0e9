#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the ingest benchmark's corpus from a git repository's history: real
# patches from git format-patch, grouped into series with cover letters,
# review replies and later versions (bench/corpus.pl does the mail).
#
# usage: bench/make-corpus.sh REPO OUTDIR [COMMITS] [MESSAGES]
#   REPO      a git repository (bare is fine), e.g. a clone of git/git
#   OUTDIR    where corpus.mbox and the slices go; keep it out of the tree
#   COMMITS   non-merge commits to take from HEAD (default 20000)
#   MESSAGES  messages to write (default 110000)
set -eu

[ $# -ge 2 ] || { echo "usage: $0 REPO OUTDIR [COMMITS] [MESSAGES]" >&2; exit 2; }
repo=$1
out=$2
commits=${3:-20000}
messages=${4:-110000}
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$out"
head=$(git --git-dir="$repo" rev-parse HEAD 2>/dev/null ||
       git -C "$repo" rev-parse HEAD)
gitdir=$(git -C "$repo" rev-parse --git-dir 2>/dev/null || echo "$repo")
case $gitdir in /*) ;; *) gitdir=$repo/$gitdir ;; esac

echo "format-patch: $commits non-merge commits up to $head" >&2
# -k keeps the bare title: corpus.pl writes the [PATCH vN k/N] tags itself
git --git-dir="$gitdir" format-patch --stdout -k --no-merges "-$commits" "$head" \
	>"$out/format-patch.mbox"
perl "$here/corpus.pl" "$messages" <"$out/format-patch.mbox" >"$out/corpus.mbox"
echo "$head" >"$out/corpus.head"

# Slices: the first N messages (every "From " line starts one: mboxrd).
for n in 1000 10000; do
	awk -v n="$n" '/^From / { if (++c > n) exit } { print }' \
		"$out/corpus.mbox" >"$out/slice-$n.mbox"
done
ls -l "$out"/*.mbox >&2
