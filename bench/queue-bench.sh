#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Rebuild a 500-patch queue with patchbot and compare with `git am` of the
# same mbox on the same base, in the same run; check the final trees are
# the same; time `drop` of the bottom and of the top series.
#
# usage: bench/queue-bench.sh PATCHBOT GITREPO DATADIR [N] [BASE] [END]
#   PATCHBOT  the patchbot binary (an -O2 build)
#   GITREPO   a clone of git.git (bare is fine)
#   DATADIR   where the series and the scratch repositories go (made once,
#             reused: DATADIR/series.mbox, DATADIR/series.base)
#   N         patches (default 500); BASE..END the release cycle they come
#             from (default v2.46.0..v2.47.0)
set -eu

[ $# -ge 3 ] || { echo "usage: $0 PATCHBOT GITREPO DATADIR [N] [BASE] [END]" >&2; exit 2; }
patchbot=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
data=$(mkdir -p "$3" && cd "$3" && pwd)
n=${4:-500}
base=${5:-v2.46.0}
end=${6:-v2.47.0}
per=10          # patches per series: N/10 series

export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.org

top=$(cd "$(dirname "$0")/.." && pwd)
tfile=$(mktemp /tmp/pbqbench.XXXXXX)
trap 'rm -f "$tfile"' EXIT

# timed VAR CMD...: run CMD; VAR_wall and VAR_cpu (user + system) in s.
# The machine may be shared: CPU time is the steadier figure.
timed() {
	v=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$tfile" "$@"
	eval "$(awk -v v="$v" '{ printf "%s_wall=%.2f %s_cpu=%.2f\n", v, $1, v, $2 + $3 }' "$tfile")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# The series: the non-merge commits of BASE..END in topological order,
# linearised with `git am` (those that do not apply on the ones before are
# left out) until N apply; then format-patch of that line, so that the
# mbox applies in order on BASE.
if [ ! -f "$data/series.mbox" ] || [ "$(grep -c '^From [0-9a-f]\{40\} ' "$data/series.mbox")" != "$n" ]; then
	rm -rf "$data/line"
	git clone -q --shared --no-checkout "$src" "$data/line"
	git -C "$data/line" checkout -q -b line "$base"
	kept=0
	for c in $(git -C "$src" rev-list --reverse --topo-order --no-merges "$base..$end"); do
		if git -C "$src" format-patch -1 --stdout "$c" |
			git -C "$data/line" am -q >/dev/null 2>&1; then
			kept=$((kept + 1))
			[ "$kept" -ge "$n" ] && break
		else
			git -C "$data/line" am --abort >/dev/null 2>&1 || true
		fi
	done
	[ "$kept" -ge "$n" ] || { echo "only $kept patches apply in $base..$end" >&2; exit 1; }
	git -C "$src" rev-parse "$base^{commit}" >"$data/series.base"
	git -C "$data/line" format-patch -q --stdout "$base..line" >"$data/series.mbox"
	git -C "$data/line" rev-parse "line^{tree}" >"$data/series.tree"
fi
basec=$(cat "$data/series.base")

# `git am` of the mbox on the base, in a fresh clone.
rm -rf "$data/am"
git clone -q --shared --no-checkout "$src" "$data/am"
git -C "$data/am" checkout -q -b am "$basec"
timed am git -C "$data/am" am -q "$data/series.mbox"
am_tree=$(git -C "$data/am" rev-parse "HEAD^{tree}")

# The same patches as N/10 series of 10 posted to the bot: [PATCH k/10]
# subjects, each series threaded under its first patch.
perl -MPOSIX -e '
	my ($per) = @ARGV; my ($i, $s, $k) = (0, 0, 0); local $/ = undef;
	my @m = split /^(?=From [0-9a-f]{40} )/m, <STDIN>;
	for my $m (@m) {
		$s = int($i / $per) + 1; $k = $i % $per + 1; $i++;
		$m =~ s/^Subject: \[PATCH[^\]]*\]/Subject: [PATCH $k\/$per]/m;
		my $id = "<bench-$s-$k\@example.org>";
		my $first = "<bench-$s-1\@example.org>";
		my $hdr = "Message-ID: $id\n" . ($k > 1 ? "In-Reply-To: $first\nReferences: $first\n" : "");
		$m =~ s/^(From: )/$hdr$1/m;
		# a series is posted at once (series.window)
		my $t = 1704067200 + 600 * $s + $k;
		my $date = POSIX::strftime("%a, %d %b %Y %H:%M:%S +0000", gmtime($t));
		$m =~ s/^Date: .*$/Date: $date/m;
		print $m;
	}' "$per" <"$data/series.mbox" >"$data/posted.mbox"
nser=$(( (n + per - 1) / per ))

# The maintainer queues every series, one mail per series ("queue" in
# reply to its first patch), all in one mbox.
maint=maint@example.org
{
	s=1
	while [ "$s" -le "$nser" ]; do
		printf 'From bench Mon Sep 17 00:00:00 2001\n'
		printf 'From: Maintainer <%s>\nTo: bot@example.org\n' "$maint"
		printf 'Subject: Re: [PATCH 1/%d] series %d\n' "$per" "$s"
		printf 'Message-ID: <bench-queue-%d@example.org>\n' "$s"
		printf 'In-Reply-To: <bench-%d-1@example.org>\n' "$s"
		printf 'Date: Tue, 2 Jan 2024 12:%02d:00 +0000\n\n#patchbot queue\n\n' $((s % 60))
		s=$((s + 1))
	done
} >"$data/queue.mbox"

rm -rf "$data/pb" && mkdir "$data/pb"
git clone -q --bare --shared "$src" "$data/pb/tree.git"
cat >"$data/pb/config" <<EOF
[bot]
	database = $data/pb/patchbot.db
	address = bot@example.org
	templates = $top/templates
[limits]
	repliesPerSender = 100000
	repliesPerHour = 100000
[tree]
	repo = $data/pb/tree.git
	base = $basec
	branch = mm-unstable
[maintainer]
	email = $maint
[auth]
	requireDkim = false
[feedback]
	enable = false
EOF
timed ingest "$patchbot" -c "$data/pb/config" ingest --quiet "$data/posted.mbox"
timed queue "$patchbot" -c "$data/pb/config" ingest --quiet --react "$data/queue.mbox"
pb_tree=$(git -C "$data/pb/tree.git" rev-parse "mm-unstable^{tree}")
nr=$(git -C "$data/pb/tree.git" rev-list --count "$basec..mm-unstable")

# The rebuild alone: forget the built commits and sync.
sqlite3 "$data/pb/patchbot.db" 'UPDATE queue SET parent = NULL, tip = NULL'
timed rebuild "$patchbot" -c "$data/pb/config" queue sync
sync_tree=$(git -C "$data/pb/tree.git" rev-parse "mm-unstable^{tree}")
# git am once more after the rebuild, so that a change of load shows
git -C "$data/am" checkout -q -B am2 "$basec"
timed am2 git -C "$data/am" am -q "$data/series.mbox"

printf '%-44s %8s %8s\n' "" "wall s" "CPU s"
printf '%-44s %8s %8s\n' "git am of $n patches" "$am_wall" "$am_cpu"
printf '%-44s %8s %8s\n' "git am again, after the rebuild" "$am2_wall" "$am2_cpu"
printf '%-44s %8s %8s\n' "patchbot ingest of the $n patches" "$ingest_wall" "$ingest_cpu"
printf '%-44s %8s %8s\n' "patchbot queue, $nser mails ($nr commits)" "$queue_wall" "$queue_cpu"
printf '%-44s %8s %8s\n' "patchbot rebuild of $n patches (queue sync)" "$rebuild_wall" "$rebuild_cpu"
echo "rebuild vs git am: $(ratio "$am_wall" "$rebuild_wall")x wall, $(ratio "$am_cpu" "$rebuild_cpu")x CPU" \
	"(second git am: $(ratio "$am2_wall" "$rebuild_wall")x, $(ratio "$am2_cpu" "$rebuild_cpu")x)"
if [ "$am_tree" = "$pb_tree" ] && [ "$am_tree" = "$sync_tree" ]; then
	echo "final trees identical: $am_tree"
else
	echo "final trees DIFFER: git am $am_tree, queue $pb_tree, rebuild $sync_tree" >&2
	exit 1
fi

# drop the bottom series, then the top one (mail as the maintainer).
drop() {
	printf 'From bench Mon Sep 17 00:00:00 2001\nFrom: Maintainer <%s>\n' "$maint"
	printf 'To: bot@example.org\nSubject: Re: [PATCH 1/%d] series %d\n' "$per" "$1"
	printf 'Message-ID: <bench-drop-%d@example.org>\n' "$1"
	printf 'In-Reply-To: <bench-%d-1@example.org>\n' "$1"
	printf 'Date: Wed, 3 Jan 2024 12:00:00 +0000\n\n#patchbot drop obsolete\n\n'
}
drop 1 >"$data/drop-bottom.mbox"
drop "$nser" >"$data/drop-top.mbox"
timed dbot "$patchbot" -c "$data/pb/config" ingest --quiet --react "$data/drop-bottom.mbox"
nr1=$(git -C "$data/pb/tree.git" rev-list --count "$basec..mm-unstable")
timed dtop "$patchbot" -c "$data/pb/config" ingest --quiet --react "$data/drop-top.mbox"
nr2=$(git -C "$data/pb/tree.git" rev-list --count "$basec..mm-unstable")
printf '%-44s %8s %8s\n' "drop of the bottom series ($nr -> $nr1)" "$dbot_wall" "$dbot_cpu"
printf '%-44s %8s %8s\n' "drop of the top series ($nr1 -> $nr2)" "$dtop_wall" "$dtop_cpu"
packs=$(ls "$data/pb/tree.git/objects/pack" | grep -c '\.pack$')
echo "packs in the tree after the run: $packs"
