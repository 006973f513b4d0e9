#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_formatpatch: a real repository, a real `git format-patch` series and
# its v2, ingested by patchbot: series, versions, files and hunk functions.
. "$(dirname "$0")/lib.sh"

cd "$TEST_TMP" || exit 1
cat >config <<CFG
[bot]
	database = state.db
CFG
pb() { "$PATCHBOT" -c "$TEST_TMP/config" "$@"; }

begin "a repository with a C file of several functions"
git init -q -b master repo && cd repo || exit 1
mkdir mm
{
	echo '/* filemap */'
	echo 'static int filemap_read(struct file *f)'
	echo '{'
	for i in 1 2 3 4 5 6 7 8; do echo "	int r$i = $i;"; done
	echo '	return 0;'
	echo '}'
	echo
	echo 'vm_fault_t filemap_fault(struct vm_fault *vmf)'
	echo '{'
	for i in 1 2 3 4 5 6 7 8; do echo "	int f$i = $i;"; done
	echo '	return 0;'
	echo '}'
} >mm/filemap.c
git add mm && git commit -q -m "mm: add filemap"
expect_eq "$(git rev-list --count HEAD)" 1

begin "a two-patch series with a cover letter, as git send-email would post it"
sed -i 's/int f6 = 6;/int f6 = 60;/' mm/filemap.c
git commit -q -am "mm/filemap: fix the fault path

Under memory pressure the fault path returned garbage.

Signed-off-by: Sam Submitter <sam@example.org>"
sed -i 's/int r7 = 7;/int r7 = 70;/' mm/filemap.c
printf 'int helper(void)\n{\n\treturn 1;\n}\n' >mm/helper.c
git add mm/helper.c
git commit -q -am "mm/filemap: add a helper

Signed-off-by: Sam Submitter <sam@example.org>"
git format-patch -q -2 --cover-letter --thread -o ../v1 >/dev/null
sed -i 's/\*\*\* SUBJECT HERE \*\*\*/filemap fixes/' ../v1/0000-cover-letter.patch
cat ../v1/*.patch >../v1.mbox
out=$(pb ingest ../v1.mbox)
expect_contains "$out" "patches 2, cover letters 1"

begin "series list shows one complete series"
json=$(pb series list --json)
expect_eq "$(echo "$json" | jq length)" 1
expect_eq "$(echo "$json" | jq -r '.[0].title')" "filemap fixes"
expect_eq "$(echo "$json" | jq -r '.[0].versions[0].complete')" true
expect_eq "$(echo "$json" | jq -r '.[0].author.email')" "sam@example.org"

begin "series show names the files and the functions each hunk is in"
json=$(pb series show 1 --json)
expect_eq "$(echo "$json" | jq -r '.versions[0].patches[0].files[0].new_path')" "mm/filemap.c"
expect_eq "$(echo "$json" | jq -r '.versions[0].patches[0].files[0].hunks[0].function')" \
	"vm_fault_t filemap_fault(struct vm_fault *vmf)"
expect_eq "$(echo "$json" | jq -r '.versions[0].patches[1].files | map(.new_path) | join(" ")')" \
	"mm/filemap.c mm/helper.c"
expect_eq "$(echo "$json" | jq -r '.versions[0].patches[1].files[0].hunks[0].function')" \
	"static int filemap_read(struct file *f)"
expect_eq "$(echo "$json" | jq -r '.versions[0].patches[1].files[1].status')" "A"
expect_eq "$(echo "$json" | jq -r '.versions[0].patches[0].trailers[0].key')" "Signed-off-by"

begin "v2, posted in reply to v1's cover letter, is the same series"
v1cover=$(sed -n 's/^Message-ID: <\(.*\)>$/\1/Ip' ../v1/0000-cover-letter.patch)
git commit -q --amend -m "mm/filemap: add a helper function

Signed-off-by: Sam Submitter <sam@example.org>"
next_second
git format-patch -q -2 -v2 --cover-letter --thread --in-reply-to="$v1cover" -o ../v2 >/dev/null
sed -i 's/\*\*\* SUBJECT HERE \*\*\*/filemap fixes/' ../v2/v2-0000-cover-letter.patch
cat ../v2/*.patch >../v2.mbox
pb ingest --quiet ../v2.mbox
json=$(pb series list --json)
expect_eq "$(echo "$json" | jq length)" 1
expect_eq "$(echo "$json" | jq -r '[.[0].versions[].version] | join(",")')" "1,2"
expect_eq "$(echo "$json" | jq -r '.[0].newest')" 2

begin "the same mbox again changes nothing"
out=$(pb ingest ../v2.mbox)
expect_contains "$out" "new 0, duplicate 3"

begin "standard input works too, and the text view names versions"
out=$(pb ingest <../v1.mbox)
expect_contains "$out" "read 3, new 0, duplicate 3"
out=$(pb series show "$v1cover")
expect_contains "$out" "versions: v1, v2"
expect_contains "$out" "v2 (newest)"

begin "usage errors exit 2, a missing series 1"
pb series frobnicate >/dev/null 2>&1
expect_eq $? 2
pb series show 999 >/dev/null 2>&1
expect_eq $? 1
"$PATCHBOT" -c "$TEST_TMP/nonexistent" series list >/dev/null 2>&1
expect_eq $? 1

begin "ingest answers nothing unless --react: an archive import sends no mail"
printf '[bot]\n\taddress = bot@example.org\n\tdatabase = react.db\n\ttemplates = %s/templates\n' \
	"$PATCHBOT_SRCDIR" >react.conf
printf 'From: A <a@example.org>\nTo: bot@example.org\nSubject: hi\nMessage-ID: <react1@x>\n\nhelp\n' >help.eml
"$PATCHBOT" -c react.conf ingest --quiet help.eml
expect_eq "$("$PATCHBOT" -c react.conf outbox list --json | jq length)" 0
printf 'From: A <a@example.org>\nTo: bot@example.org\nSubject: hi\nMessage-ID: <react2@x>\n\nhelp\n' >help2.eml
"$PATCHBOT" -c react.conf ingest --quiet --react help2.eml
expect_eq "$("$PATCHBOT" -c react.conf outbox list --json | jq length)" 1

begin "check reports unknown keys and bad values with the key"
printf '[bot]\n\tdatabase = x.db\n\tfrobnicate = 1\n\tmaxMessageSize = lots\n' >bad
out=$("$PATCHBOT" -c bad check)
expect_eq $? 1
expect_contains "$out" "unknown key 'bot.frobnicate'"
expect_contains "$out" "bad value for 'bot.maxMessageSize'"

finish
