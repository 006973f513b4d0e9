#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every fuzz target for SECONDS each (default 60), one per core at a
# time (FUZZ_JOBS), seeded from the mail corpora and the test data.  A crash
# fails the run; its input is left in OUTDIR/crash-* and belongs in
# tests/data/fuzz-regressions/ once fixed.
# Usage: run.sh [SECONDS] [OUTDIR]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
out=${2:-$top/build-fuzz}
corpora=${PATCHBOT_CORPORA:-$top/../shared/corpora}
sh "$top/tests/fuzz/build.sh" "$out" >/dev/null

seeds="$out/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/mail" "$seeds/subject" "$seeds/cmdparse" "$seeds/template" \
	"$seeds/authres" "$seeds/maintainers"
cp "$top"/tests/data/maintainers/* "$top"/tests/data/fuzz-regressions/* \
	"$seeds/maintainers/" 2>/dev/null || true
i=0
for f in "$corpora"/patchwork/*/* "$top"/tests/data/*/*.eml \
	"$top"/tests/data/*/*/*.eml "$top"/tests/data/fuzz-regressions/*; do
	[ -f "$f" ] || continue
	i=$((i + 1))
	head -c 65536 "$f" >"$seeds/mail/$i"
	sed -n 's/^Subject: //p' "$f" | head -n 1 >"$seeds/subject/$i"
done
for f in "$top"/tests/data/reviews/*.eml "$top"/tests/data/commands/*/in.eml; do
	[ -f "$f" ] && cp "$f" "$seeds/cmdparse/"
done
cp "$top"/templates/*.txt "$seeds/template/"
# diffs against fuzz_hunkapply's tree, then the mail seeds (they hold diffs)
mkdir -p "$seeds/hunkapply"
printf 'diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n' \
	>"$seeds/hunkapply/modify"
printf 'diff --git a/run.sh b/go.sh\nsimilarity index 100%%\nrename from run.sh\nrename to go.sh\n' \
	>"$seeds/hunkapply/rename"
printf 'diff --git a/noeol b/noeol\nindex 814f4a4..f0c2e1d 100644\n--- a/noeol\n+++ b/noeol\n@@ -1,2 +1,2 @@\n one\n-two\n\\ No newline at end of file\n+two\n' \
	>"$seeds/hunkapply/noeol"
printf 'diff --git a/dir/b.bin b/dir/b.bin\nnew file mode 100644\nindex 0000000000000000000000000000000000000000..9c07b6a85f0bbc1ea4eac9cdc4a2e9b5a0f9a6bf\nGIT binary patch\nliteral 3\nKcmZQzWMT#Y01f~H\n\nliteral 0\nHcmV?d00001\n\n' \
	>"$seeds/hunkapply/binary"
cp "$seeds"/mail/* "$seeds/hunkapply/" 2>/dev/null || true
printf 'mx.example.org; dkim=pass (2048-bit key) header.d=example.org header.i=@example.org header.s=s1 header.b=abc; spf=pass smtp.mailfrom=a@example.org; dmarc=pass (p=none dis=none) header.from=example.org' >"$seeds/authres/1"
printf 'mx.example.org 1; none' >"$seeds/authres/2"
printf 'mx.example.org; dkim=fail reason="bad signature" header.d="ex ample.org"; arc=none' >"$seeds/authres/3"

# run_target NAME: one target for $secs seconds; its verdict in NAME.result
run_target() {
	name=$1
	bin="$out/$name"
	case $name in
	fuzz_mail | fuzz_mbox | fuzz_diff) seed=$seeds/mail ;;
	fuzz_subject | fuzz_html_escape) seed=$seeds/subject ;;
	fuzz_cmdparse) seed=$seeds/cmdparse ;;
	fuzz_template) seed=$seeds/template ;;
	fuzz_authres) seed=$seeds/authres ;;
	fuzz_maintainers) seed=$seeds/maintainers ;;
	fuzz_hunkapply) seed=$seeds/hunkapply ;;
	*) seed=$seeds/mail ;;
	esac
	work="$out/corpus-$name"
	mkdir -p "$work"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=131072 -artifact_prefix="$out/crash-$name-" \
		-print_final_stats=1 "$work" "$seed" >"$out/$name.log" 2>&1; then
		stats=$(grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$out/$name.log" |
			tail -n 1)
		echo "ok - $name: ${secs}s, $stats" >"$out/$name.result"
	else
		{
			echo "not ok - $name: crashed, see $out/$name.log"
			tail -n 30 "$out/$name.log" | sed 's/^/# /'
		} >"$out/$name.result"
	fi
}

# one target per core (FUZZ_JOBS), each for the whole $secs
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
names=
running=0
for src in "$top"/tests/fuzz/fuzz_*.c; do
	name=$(basename "${src%.c}")
	names="$names $name"
	rm -f "$out/$name.result"
	run_target "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
status=0
for name in $names; do
	if [ -f "$out/$name.result" ]; then
		cat "$out/$name.result"
	else
		echo "not ok - $name: no verdict"
	fi
	grep -q '^ok - ' "$out/$name.result" 2>/dev/null || status=1
done
exit $status
