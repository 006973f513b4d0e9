#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_e2e: `patchbot run` against a real postfix and dovecot on loopback,
# driven by real clients: a series posted with git send-email, a command
# reply sent with mutt, the transcript read back over IMAP.  Then the
# failures a daemon must survive: postfix down for a while, dovecot
# restarted, the daemon killed with SIGKILL in the middle of a batch.
# Along the way, the status page (report.htmlDir) follows what it stores.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mail.sh"

mailstack_up
page="$TEST_TMP/www/index.html"
# The SIGKILL below may cut a reply off before the server has it: that row
# waits smtp.confirmWait seconds for a copy that never comes, then goes
# again.  The default (300) is longer than the test waits.
write_bot_config "$TEST_TMP/config" "[report]
	htmlDir = $TEST_TMP/www
[smtp]
	confirmWait = 20"
LOG="$TEST_TMP/daemon.log"
DAEMON=
log_count() { grep -c "$1" "$LOG"; }
log_count_above() { [ "$(log_count "$1")" -gt "$2" ]; }
series_complete() {
	[ "$(pb series list --json | jq -r '.[0].versions[0].complete')" = true ]
}
outbox_field() {
	pb outbox list --json | jq -r "map(select(.id == $1)) | .[0].$2 // \"\""
}
outbox_failed_once() { [ -n "$(outbox_field "$1" last_error)" ]; }
outbox_unsent() {
	pb outbox list --json | jq '[.[] | select(.state != "sent")] | length'
}
outbox_all_sent() { [ "$(outbox_unsent)" = 0 ]; }

begin "the daemon connects and waits for mail"
start_daemon
wait_until 15 log_count_above "IMAP: reading 'INBOX'" 0
expect_eq $? 0
expect_contains "$(cat "$page")" "nothing waiting" "the status page, written at start-up"

begin "a series posted with git send-email is assembled"
repo="$TEST_TMP/repo"
git init -q -b master "$repo"
printf 'int a(void)\n{\n\treturn 1;\n}\n' >"$repo/a.c"
git -C "$repo" add a.c && git -C "$repo" commit -qm "a: add"
for i in 1 2; do
	echo "/* change $i */" >>"$repo/a.c"
	git -C "$repo" commit -qam "a: change $i

Signed-off-by: Sam Submitter <submitter@$PB_DOMAIN>"
done
git -C "$repo" format-patch -q -2 --cover-letter --thread -o "$TEST_TMP/out" >/dev/null
sed -i 's/\*\*\* SUBJECT HERE \*\*\*/two changes to a/; s/\*\*\* BLURB HERE \*\*\*/Two changes./' \
	"$TEST_TMP/out/0000-cover-letter.patch"
cover=$(sed -n 's/^Message-I[Dd]: *//p' "$TEST_TMP/out/0000-cover-letter.patch")
git -C "$repo" send-email --from="Sam Submitter <submitter@$PB_DOMAIN>" \
	--to="list@$PB_DOMAIN" --smtp-server=127.0.0.1 \
	--smtp-server-port="$PB_SMTP_PORT" --smtp-encryption=none \
	--suppress-cc=all --confirm=never "$TEST_TMP"/out/*.patch >/dev/null 2>&1
expect_eq $? 0 "git send-email"
wait_until 15 series_complete
expect_eq $? 0 "series complete"

begin "a status command sent with mutt gets a threaded transcript"
t0=$(date +%s%N)
mid=$(send_reply "Rita Reviewer <reviewer@$PB_DOMAIN>" "list@$PB_DOMAIN" \
	"Re: [PATCH 0/2] two changes to a" "$cover" "$cover" \
	"Looks good.

Reviewed-by: Rita Reviewer <reviewer@$PB_DOMAIN>

#patchbot status")
wait_for_mail reviewer 1 15
expect_eq $? 0 "transcript arrived"
echo "# command sent to reply in the mailbox: $(ms_since "$t0") ms"
reply=$(fetch_mail reviewer 1)
expect_eq "$(echo "$reply" | mail_header In-Reply-To)" "$mid"
expect_eq "$(echo "$reply" | mail_header Subject)" "Re: [PATCH 0/2] two changes to a"
expect_eq "$(echo "$reply" | mail_header Auto-Submitted)" "auto-replied"
expect_contains "$reply" "2 of 2 patches, complete"
expect_contains "$reply" "Reviewed-by: Rita Reviewer"
expect_contains "$(echo "$reply" | mail_header References)" "$cover"

begin "the status page shows the series waiting and its review"
wait_until 10 grep -q "Reviewed-by: Rita Reviewer" "$page"
expect_eq $? 0 "the review trailer is on the page"
expect_contains "$(cat "$page")" '<li class="series waiting"'
expect_contains "$(cat "$page")" "two changes to a"

begin "with postfix down, the reply waits in the outbox and goes out when it is back"
postfix -c "$PB_MAIL_DIR/postfix" stop >/dev/null 2>&1
# the command reaches the bot's mailbox straight over IMAP
printf 'From: Andrew <maintainer@%s>\r\nTo: bot@%s\r\nSubject: help while postfix is down\r\nMessage-ID: <down.%s@%s>\r\n\r\nhelp\r\n' \
	"$PB_DOMAIN" "$PB_DOMAIN" "$$" "$PB_DOMAIN" >"$TEST_TMP/cmd.eml"
inode=$(stat -c %i "$page")
curl -s "imap://127.0.0.1:$PB_IMAP_PORT/INBOX" -u "bot:$PB_PASS" -T "$TEST_TMP/cmd.eml"
wait_until 20 outbox_failed_once 2
expect_eq $? 0 "the failed delivery is recorded"
expect_eq "$(stat -c %i "$page")" "$inode" "a help mail changes nothing on the status page"
expect_eq "$(outbox_field 2 state)" pending "and the mail is still pending"
postfix -c "$PB_MAIL_DIR/postfix" start >/dev/null 2>&1
# the first retry comes about a minute after the failure
wait_for_mail maintainer 1 100
expect_eq $? 0 "the deferred reply arrived"
expect_eq "$(outbox_field 2 state)" sent

begin "dovecot restarted: the daemon reconnects and reads what came meanwhile"
reconnects=$(log_count "IMAP: reading 'INBOX'")
dv=$(cat "$PB_MAIL_DIR/dovecot/run/master.pid")
doveadm -c "$PB_MAIL_DIR/dovecot/dovecot.conf" kick bot >/dev/null 2>&1
kill "$dv"
wait_until 10 sh -c "! kill -0 $dv"
send_reply "Rita Reviewer <reviewer@$PB_DOMAIN>" "bot@$PB_DOMAIN" "help after restart" "" "" "help" >/dev/null
dovecot -c "$PB_MAIL_DIR/dovecot/dovecot.conf"
wait_for_mail reviewer 2 60
expect_eq $? 0 "reply to the mail that came while dovecot was down"
wait_until 5 log_count_above "IMAP: reading 'INBOX'" "$reconnects"
expect_eq $? 0 "reconnected"

begin "SIGKILL in the middle of a batch: no mail lost, no reply sent twice"
for i in 1 2 3 4 5 6 7 8 9 10; do
	send_reply "Sam Submitter <submitter@$PB_DOMAIN>" "bot@$PB_DOMAIN" "help $i" "" "" "help" >/dev/null
done
wait_for_mail submitter 1 30
kill -9 "$DAEMON"
wait "$DAEMON" 2>/dev/null
start_daemon
wait_for_mail submitter 10 60
expect_eq $? 0 "ten replies"
wait_until 20 outbox_all_sent
expect_eq "$(mail_count submitter)" 10 "exactly ten in the mailbox"
expect_eq "$(pb outbox list --json | jq 'map(select(.kind == "transcript")) | length')" 13

begin "SIGTERM ends the daemon cleanly"
kill -TERM "$DAEMON"
wait "$DAEMON"
expect_eq $? 0
expect_contains "$(tail -n 3 "$LOG")" "patchbot stopping"

finish
