#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_ingest_kill: an archive import killed with SIGKILL, again and again,
# while its checkpoint thread copies the WAL into the database.  Each kill
# loses at most the batch in hand, the database stays sound, and reruns
# end with the same series, versions, patches and trailers as one clean
# import.
. "$(dirname "$0")/lib.sh"

cd "$TEST_TMP" || exit 1
SERIES=${KILL_SERIES:-4000}
BATCH=200
pb() { "$PATCHBOT" -c "$1" ingest --quiet --batch $BATCH big.mbox; }
q() { sqlite3 "$1" "$2"; }
for db in ref killed; do
	printf '[bot]\n\tdatabase = %s/%s.db\n' "$TEST_TMP" "$db" >"$db.conf"
done

begin "an archive: $SERIES series of a cover letter, four patches and two reviews"
awk -v n="$SERIES" 'BEGIN {
	for (s = 0; s < n; s++) {
		d = sprintf("Date: Tue, %d Jan 2024 %02d:%02d:00 +0000", s % 28 + 1, s % 24, s % 60)
		printf "From sam%d Mon Sep 17 00:00:00 2001\nFrom: Sam %d <sam%d@example.org>\n", s, s, s
		printf "To: list@example.org\nSubject: [PATCH 0/4] mm: series %d\n%s\n", s, d
		printf "Message-ID: <c%d@example.org>\n\nFour changes to mm, number %d.\n\n", s, s
		for (p = 1; p <= 4; p++) {
			printf "From sam%d Mon Sep 17 00:00:00 2001\nFrom: Sam %d <sam%d@example.org>\n", s, s, s
			printf "To: list@example.org\nSubject: [PATCH %d/4] mm: change %d of series %d\n", p, p, s
			printf "%s\nMessage-ID: <p%d.%d@example.org>\nIn-Reply-To: <c%d@example.org>\n", d, s, p, s
			printf "References: <c%d@example.org>\n\nThe change %d.\n\n", s, p
			printf "Signed-off-by: Sam %d <sam%d@example.org>\n---\n", s, s
			printf "diff --git a/mm/f%d.c b/mm/f%d.c\n--- a/mm/f%d.c\n+++ b/mm/f%d.c\n", p, p, p, p
			printf "@@ -%d,7 +%d,7 @@ int fn_%d(void)\n", s + 1, s + 1, p
			for (l = 0; l < 3; l++)
				printf " \tint a%d = %d;\n", l, l
			printf "-\tint b = %d;\n+\tint b = %d;\n", s, s + 1
			for (l = 0; l < 3; l++)
				printf " \tint c%d = %d;\n", l, l
			printf "\n"
		}
		for (r = 1; r <= 2; r++) {
			printf "From rev%d Mon Sep 17 00:00:00 2001\nFrom: Rita Reviewer <rita%d@example.org>\n", r, r
			printf "To: list@example.org\nSubject: Re: [PATCH %d/4] mm: change %d of series %d\n", r, r, s
			printf "%s\nMessage-ID: <r%d.%d@example.org>\nIn-Reply-To: <p%d.%d@example.org>\n", d, s, r, s, r
			printf "References: <c%d@example.org> <p%d.%d@example.org>\n\n", s, s, r
			printf "Looks right to me.\n\nReviewed-by: Rita Reviewer <rita%d@example.org>\n\n", r
		}
	}
}' >big.mbox
total=$((SERIES * 7))
expect_eq "$(grep -c '^From ' big.mbox)" "$total"

# what the import gave, in a form two databases can be compared by
summary() {
	q "$1" "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM series),
		(SELECT count(*) FROM versions), (SELECT count(*) FROM patches),
		(SELECT count(*) FROM hunks), (SELECT count(*) FROM trailers),
		(SELECT sum(length(body)) FROM messages)"
	q "$1" "SELECT m.message_id, p.n, v.version, s.title, v.cover_id IS NOT NULL
		FROM patches p JOIN messages m ON m.id = p.message_id
		JOIN versions v ON v.id = p.version_id JOIN series s ON s.id = v.series_id
		ORDER BY m.message_id" | md5sum
}

begin "one clean import"
pb ref.conf
ref=$(summary ref.db)
expect_contains "$ref" "$total|$SERIES|$SERIES|$((SERIES * 4))|$((SERIES * 4))|$((SERIES * 6))|"

begin "imports killed at random moments lose at most the batch in hand"
kills=0 bad=0 runs=0 n=0
# each run skips what the last one stored and is killed in the middle of
# what comes after: a tenth of a second more for each (slow builds, such
# as ASan's, take longer over the messages stored already)
while [ "$n" != "$total" ] && [ $runs -lt 20 ]; do
	runs=$((runs + 1))
	pb killed.conf &
	pid=$!
	sleep "$(awk -v r=$runs 'BEGIN { print 0.05 + r * 0.1 }')"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	n=$(q killed.db "SELECT count(*) FROM messages")
	ok=$(q killed.db "PRAGMA integrity_check")
	echo "# run $runs: $n messages stored"
	# a batch commits whole: what is stored ends at a batch's end
	if [ "$ok" != ok ] || { [ "$n" != "$total" ] && [ $((n % BATCH)) != 0 ]; }; then
		bad=$((bad + 1))
		echo "# after run $runs: $n messages, integrity: $ok"
	fi
done
expect_eq "$bad" 0
[ $kills -ge 2 ] && ok "$kills imports killed" || not_ok "only $kills imports were killed"

begin "the rerun completes the import: the same as the clean one, nothing twice"
pb killed.conf
expect_eq "$(summary killed.db)" "$ref"
expect_eq "$(q killed.db "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY message_id HAVING count(*) > 1)")" 0
expect_eq "$(q killed.db "PRAGMA integrity_check")" ok

finish
