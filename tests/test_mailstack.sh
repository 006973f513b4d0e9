#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_mailstack: the loopback mail stack the end-to-end tests and the demo
# use (deploy/mailstack.sh) works with the real clients: a series sent with
# git send-email reaches the list and the bot, a mutt reply to bot+tag
# reaches the bot with its threading headers, and stop leaves nothing
# running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mail.sh"

begin "the stack starts and listens on loopback"
mailstack_up
dir=$MAILSTACK_DIR
status=$(sh "$MAILSTACK" status "$dir")
expect_contains "$status" "dovecot: running" "dovecot"
expect_contains "$status" "postfix: running" "postfix"
expect_eq "$(ss -Hltn "sport = :$PB_SMTP_PORT" | awk '{ print $4 }')" \
	"127.0.0.1:$PB_SMTP_PORT" "SMTP only on loopback"
expect_eq "$(ss -Hltn "sport = :$PB_IMAP_PORT" | awk '{ print $4 }')" \
	"127.0.0.1:$PB_IMAP_PORT" "IMAP only on loopback"

begin "a 2-patch series from git send-email reaches the list and the bot"
cd "$TEST_TMP" || exit 1
git init -q -b master repo
(
	cd repo || exit 1
	mkdir mm
	printf 'int filemap_fault(void)\n{\n\treturn 0;\n}\n' >mm/filemap.c
	git add mm && git commit -qm "mm: add filemap"
	sed -i 's/return 0/return 1/' mm/filemap.c
	git commit -qam "mm/filemap: return 1 from filemap_fault"
	echo '/* end */' >>mm/filemap.c
	git commit -qam "mm/filemap: mark the end of the file"
)
t0=$(date +%s%N)
ids=$(send_series repo 2)
expect_eq "$(echo "$ids" | wc -l)" 2 "git send-email sent two mails"
wait_for_mail list 2 15
expect_eq "$(mail_count list)" 2 "the list got both patches"
echo "# delivered to the list in $(ms_since "$t0") ms (send-email included)"
wait_for_mail bot 2 15
expect_eq "$(mail_count bot)" 2 "the bot got both patches"
first=$(echo "$ids" | sed -n 1p)
second=$(echo "$ids" | sed -n 2p)
for user in list bot; do
	m1=$(fetch_mail_id $user "$first")
	m2=$(fetch_mail_id $user "$second")
	expect_eq "$(echo "$m1" | mail_header Subject)" \
		"[PATCH 1/2] mm/filemap: return 1 from filemap_fault" "$user: subject 1/2"
	expect_eq "$(echo "$m1" | mail_header Message-ID)" "$first" "$user: Message-ID 1/2"
	expect_eq "$(echo "$m2" | mail_header Subject)" \
		"[PATCH 2/2] mm/filemap: mark the end of the file" "$user: subject 2/2"
	expect_eq "$(echo "$m2" | mail_header In-Reply-To)" "$first" "$user: 2/2 threads on 1/2"
	expect_eq "$(echo "$m1" | mail_header From)" \
		"Sam Submitter <submitter@example.org>" "$user: From"
	expect_contains "$m1" "+	return 1;" "$user: the diff is intact"
done
expect_eq "$(mail_count submitter)" 0 "nothing else got mail"

begin "a mutt reply to bot+tag reaches the bot with its threading headers"
t0=$(date +%s%N)
mid=$(send_reply "Mia Maintainer <maintainer@example.org>" \
	"bot+tag@example.org" "Re: [PATCH 1/2] mm/filemap: return 1 from filemap_fault" \
	"$first" "$first" "queue" "<reply.mailstack.$$@example.org>")
expect_eq "$mid" "<reply.mailstack.$$@example.org>" "mutt sent it"
wait_for_mail bot 3 15
echo "# delivered in $(ms_since "$t0") ms (mutt included)"
reply=$(fetch_mail_id bot "$mid")
expect_eq "$(echo "$reply" | mail_header Message-ID)" "$mid" "Message-ID kept"
expect_eq "$(echo "$reply" | mail_header In-Reply-To)" "$first" "In-Reply-To kept"
expect_eq "$(echo "$reply" | mail_header References)" "$first" "References kept"
expect_eq "$(echo "$reply" | mail_header Delivered-To)" "bot+tag@example.org" "to the +tag address"
expect_eq "$(mail_count list)" 2 "the list did not get it"

begin "unknown users and other domains are refused"
out=$(swaks -q rcpt --server "127.0.0.1:$PB_SMTP_PORT" \
	--from submitter@example.org --to nobody@example.org 2>&1)
expect_contains "$out" "550" "nobody@example.org"
out=$(swaks -q rcpt --server "127.0.0.1:$PB_SMTP_PORT" \
	--from submitter@example.org --to someone@example.com 2>&1)
expect_contains "$out" "550" "someone@example.com"

begin "stop leaves nothing running"
sh "$MAILSTACK" stop "$dir" >/dev/null
expect_eq "$?" 0 "stop succeeded"
expect_eq "$(pgrep -f "$dir/" | tr '\n' ' ')" "" "no process names the directory"
expect_eq "$(sh "$MAILSTACK" pids "$dir" | tr '\n' ' ')" "" "no process runs in it"
expect_eq "$(ss -Hltn "sport = :$PB_SMTP_PORT or sport = :$PB_IMAP_PORT")" "" \
	"the ports are closed"
sh "$MAILSTACK" status "$dir" >/dev/null
expect_eq "$?" 1 "status says it is down"

finish
