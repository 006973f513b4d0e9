#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Peak RSS and time of "patchbot ingest --react" on hostile mail (issue 9,
# "Hostile sizes"): each mbox holds one hostile mail followed by an
# ordinary command mail, which must still be answered.  Figures from
# /usr/bin/time -v, one line per case: elapsed, CPU (user + system), peak
# RSS, what became of the hostile mail and whether the next one was
# answered.  The last rows
# raise bot.maxMimeDepth to show what the nesting limit saves: libetpan's
# mailmime_parse() rescans the rest of the mail at every level.
#
# usage: bench/hostile.sh PATCHBOT [DEEPEST]
#   PATCHBOT  the patchbot binary (an -O2 build)
#   DEEPEST   the deepest nesting tried with the limit raised (default 4000)
set -eu

[ $# -ge 1 ] || { echo "usage: $0 PATCHBOT [DEEPEST]" >&2; exit 2; }
patchbot=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
deepest=${2:-4000}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/pbhostile.XXXXXX)
trap 'rm -rf "$work"' EXIT

# gen KIND N: one hostile mail of that kind and size, then the next mail
gen() {
	perl -e '
		my ($kind, $n) = @ARGV;
		sub head {
			my ($id, $extra) = @_;
			print "From mboxrd\@z Thu Jan  1 00:00:00 1970\n",
			    "From: $id <$id\@example.org>\nTo: patchbot\@example.org\n",
			    "Message-ID: <$id\@example.org>\n",
			    "Date: Tue, 2 Jan 2024 12:00:00 +0000\n", $extra;
		}
		if ($kind eq "big") {
			head("big", "Subject: big\n\nhelp\n");
			my $line = ("x" x 1023) . "\n";
			print $line for 1 .. $n * 1024;
		} elsif ($kind eq "parts") {
			head("parts", "Subject: parts\nMIME-Version: 1.0\n" .
			    "Content-Type: multipart/mixed; boundary=\"b\"\n\n");
			print "--b\nContent-Type: text/plain\n\npart $_\n" for 1 .. $n;
			print "--b--\n";
		} elsif ($kind eq "nested") {
			head("nested", "Subject: nested\nMIME-Version: 1.0\n");
			print "Content-Type: multipart/mixed; boundary=\"n$_\"\n\n--n$_\n"
			    for 1 .. $n;
			print "Content-Type: text/plain\n\nhelp\n";
			print "--n$_--\n" for reverse 1 .. $n;
		} elsif ($kind eq "refs") {
			head("refs", "Subject: Re: refs\nIn-Reply-To: <r0\@example.org>\nReferences:");
			print " <r$_\@example.org>\n" for 1 .. $n;
			print "\nhelp\n";
		} elsif ($kind eq "line") {
			head("line", "Subject: line\n\nhelp\n");
			print "y" x ($n * 1024), "\n";
		} elsif ($kind eq "subject") {
			head("subject", "Subject: " . (("s" x 63) . " ") x ($n * 16) . "\n\nhelp\n");
		}
		if ($kind ne "none") {
			print "\n";
		}
		head("next", "Subject: next\n\nhelp\n");
	' "$1" "$2" >"$work/mail.mbox"
}

# run LABEL KIND N [EXTRA CONFIG]
run() {
	rm -f "$work"/pb.db*
	{
		printf '[bot]\n\taddress = patchbot@example.org\n\tdatabase = pb.db\n'
		printf '\ttemplates = %s/templates\n' "$top"
		[ -n "${4:-}" ] && printf '\t%b\n' "$4"
		printf '[feedback]\n\tenable = false\n'
	} >"$work/pb.conf"
	gen "$2" "$3"
	size=$(wc -c <"$work/mail.mbox")
	(cd "$work" && /usr/bin/time -v -o time.txt "$patchbot" -c pb.conf ingest \
		--react mail.mbox >out.txt 2>err.txt) || true
	answered=$(cd "$work" && "$patchbot" -c pb.conf outbox list --json 2>/dev/null |
		grep -c 'next@example.org' || true)
	what=$(grep '^rejected ' "$work/out.txt" | head -n 1 | sed 's/^rejected [^ ]* //')
	grep -q 'dumped core\|Segmentation\|Aborted' "$work/err.txt" "$work/time.txt" &&
		what="crashed"
	[ -n "$what" ] || what="kept"
	awk -v l="$1" -v sz="$size" -v w="$what" -v a="$answered" '
		/Elapsed \(wall clock\)/ {
			t = $NF; s = 0; k = split(t, x, ":")
			for (i = 1; i <= k; i++) s = s * 60 + x[i]
		}
		/User time \(seconds\)|System time \(seconds\)/ { cpu += $NF }
		/Maximum resident set size/ { rss = $NF }
		END {
			printf "| %s | %.1f MiB | %.2f s | %.2f s | %.1f MiB | %s | %s |\n",
				l, sz / 1048576, s, cpu, rss / 1024, w, a ? "yes" : "NO"
		}' "$work/time.txt"
}

echo "| case | mbox | elapsed | CPU | peak RSS | the hostile mail | next answered |"
echo "|---|---|---|---|---|---|---|"
run "no hostile mail (baseline)" none 0
run "a 100 MiB mail" big 100
run "10,000 MIME parts" parts 10000
run "MIME nested 1,000 deep" nested 1000
run "MIME nested 50,000 deep" nested 50000
run "10,000 References" refs 10000
run "1,000 References" refs 1000
run "a 1 MiB line" line 1024
run "a 1 MiB subject" subject 1024
# what the prescan saves: the nesting limit raised, libetpan parses it all
d=1000
while [ "$d" -le "$deepest" ]; do
	run "nested $d deep, bot.maxMimeDepth raised" nested "$d" "maxMimeDepth = 1000000\n\tmaxMimeParts = 1000000"
	d=$((d * 2))
done
