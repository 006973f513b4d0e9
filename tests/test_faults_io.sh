#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_faults_io: what the daemon meets below it, on the real mail stack.
# Another process holds sqlite's write lock for longer than the busy
# timeout; the database's file system fills up; dovecot goes away in the
# middle of a FETCH of a hundred messages; postfix is down for three
# minutes.  Each time: a clear log line, retries, no corruption, every
# message processed once and every reply delivered once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mail.sh"

command -v sqlite3 >/dev/null || {
	echo "not ok - sqlite3 is missing: run deploy/install-deps.sh"
	exit 1
}
mailstack_up
# the database lives on a small file system of its own, to fill it up
dbdir=$(mktemp -d /tmp/pbdb.XXXXXX)
if ! mount -t tmpfs -o size=64m tmpfs "$dbdir"; then
	echo "not ok - cannot mount a tmpfs for the disk-full case"
	exit 1
fi
write_bot_config "$TEST_TMP/config" "[limits]
	repliesPerSender = 1000
	repliesPerHour = 1000"
sed -i "s|database = .*|database = $dbdir/state.db|" "$TEST_TMP/config"
db="$dbdir/state.db"
LOG="$TEST_TMP/daemon.log"
DAEMON=
trap 'kill -9 $DAEMON 2>/dev/null; umount "$dbdir"; rmdir "$dbdir"; mailstack_down; rm -rf "$TEST_TMP"' EXIT
WAIT_STEP=0.2    # wait_until (lib-mail.sh) polls the database: not too often
q() { sqlite3 -cmd ".timeout 20000" "$db" "$1"; }
log_has() { grep -q "$1" "$LOG"; }
stored() { [ "$(q "SELECT count(*) FROM messages WHERE subject LIKE '$1%'")" = "$2" ]; }
outbox_empty() { [ "$(q "SELECT count(*) FROM outbox WHERE state != 'sent'")" = 0 ]; }
# append N mails "help TAG i" from USER straight into the bot's INBOX
append_help() {
	_i=1
	while [ "$_i" -le "$3" ]; do
		printf 'From: %s@%s\r\nTo: bot@%s\r\nSubject: help %s %d\r\nMessage-ID: <%s.%d.%s@%s>\r\nDate: %s\r\n\r\nhelp\r\n' \
			"$1" "$PB_DOMAIN" "$PB_DOMAIN" "$2" "$_i" "$2" "$_i" "$$" "$PB_DOMAIN" \
			"$(date -R)" >"$TEST_TMP/m.eml"
		curl -s "imap://127.0.0.1:$PB_IMAP_PORT/INBOX" -u "bot:$PB_PASS" \
			-T "$TEST_TMP/m.eml" || return 1
		_i=$((_i + 1))
	done
}
# box_dups USER: Message-IDs found more than once in USER's Maildir
box_dups() {
	for f in "$MAILSTACK_DIR/mail/$1"/Maildir/cur/* "$MAILSTACK_DIR/mail/$1"/Maildir/new/*; do
		[ -f "$f" ] && sed -n '/^$/q; s/^[Mm]essage-I[Dd]: *//p' "$f"
	done | sort | uniq -d | wc -l
}

begin "start"
start_daemon
wait_until 20 log_has "IMAP: reading 'INBOX'"
expect_eq $? 0

begin "sqlite busy: a writer holds the lock past the busy timeout"
lockfifo="$TEST_TMP/lock.fifo"
mkfifo "$lockfifo"
sqlite3 "$db" <"$lockfifo" >/dev/null 2>&1 &
LOCKER=$!
exec 7>"$lockfifo"
echo "BEGIN IMMEDIATE; DELETE FROM suppressed WHERE 0;" >&7
sleep 1
append_help submitter busy 5
wait_until 40 log_has "database is locked"
expect_eq $? 0 "the daemon says the database is locked"
grep -m2 "locked\|read again" "$LOG" | sed 's/^/# daemon: /'
expect_eq "$(sqlite3 -cmd ".timeout 1" "$db" "BEGIN IMMEDIATE; ROLLBACK;" 2>&1 | grep -c locked)" 1 \
	"and the lock is still held"
echo "ROLLBACK;" >&7
exec 7>&-
wait "$LOCKER"
wait_until 120 stored "help busy" 5
expect_eq $? 0 "all five stored once the lock is gone"
wait_for_mail submitter 5 60
expect_eq $? 0 "five replies"
expect_eq "$(mail_count submitter)" 5 "exactly five"
expect_eq "$(box_dups submitter)" 0 "none twice"

begin "disk full: the database's file system has no room left"
dd if=/dev/zero of="$dbdir/filler" bs=64k 2>/dev/null
before=$(q "SELECT count(*) FROM messages")
append_help reviewer full 5
wait_until 60 log_has "database or disk is full"
expect_eq $? 0 "the daemon says the disk is full"
grep -m2 "is full" "$LOG" | sed 's/^/# daemon: /'
expect_eq "$(q "SELECT count(*) FROM messages")" "$before" "nothing half-stored"
rm -f "$dbdir/filler"
wait_until 400 stored "help full" 5
expect_eq $? 0 "all five stored once there is room"
wait_for_mail reviewer 5 60
expect_eq $? 0 "five replies"
expect_eq "$(mail_count reviewer)" 5 "exactly five"
expect_eq "$(box_dups reviewer)" 0 "none twice"
expect_eq "$(q "PRAGMA integrity_check")" ok "the database is intact"

begin "dovecot goes away in the middle of a FETCH of 100 messages"
kill -STOP "$DAEMON"
# postfix keeps the replies until dovecot is back (lmtp_hold, lib-mail.sh)
lmtp_hold
expect_eq $? 0 "postfix holds its deliveries to dovecot"
append_help maintainer fetch 100
kill -CONT "$DAEMON"
wait_until 30 sh -c "[ \$(sqlite3 -cmd '.timeout 5000' '$db' \"SELECT count(*) FROM messages WHERE subject LIKE 'help fetch%'\") -gt 0 ]"
mid=$(q "SELECT count(*) FROM messages WHERE subject LIKE 'help fetch%'")
dv=$(cat "$PB_MAIL_DIR/dovecot/run/master.pid")
kill "$dv"
wait_until 10 sh -c "! kill -0 $dv"
echo "# dovecot stopped after $mid of 100 messages"
sleep 2
dovecot -c "$PB_MAIL_DIR/dovecot/dovecot.conf"
wait_until 300 stored "help fetch" 100
expect_eq $? 0 "all 100 stored"
wait_until 120 outbox_empty
expect_eq $? 0 "every reply sent"
# each reply reached postfix once: patchbot's part, whatever the stack does
q "SELECT o.message_id FROM messages m JOIN outbox o ON o.cause_id = m.id
	WHERE m.subject LIKE 'help fetch%'" >"$TEST_TMP/replies"
# how many of them postfix took in once; the others are named
took_once() {
	_n=0
	while read -r _reply; do
		_took=$(postfix_took "$_reply")
		[ "$_took" = 1 ] && _n=$((_n + 1))
		[ "$_took" = 1 ] || echo "# postfix took <$_reply> $_took times" >&2
	done <"$TEST_TMP/replies"
	echo "$_n"
}
# postfix's log is written by postlogd, a moment after the "250"
all_took_once() { [ "$(took_once 2>/dev/null)" = 100 ]; }
wait_until 10 all_took_once
expect_eq "$(took_once)" 100 "postfix took in each of the 100 replies once"
lmtp_release
expect_eq $? 0 "postfix delivers again"
wait_for_mail maintainer 100 120
r=$?
expect_eq $r 0 "100 replies"
# on a miss: which command got no reply in the mailbox, and its trail
if [ $r -ne 0 ]; then
	for f in "$MAILSTACK_DIR/mail/maintainer"/Maildir/cur/* \
		 "$MAILSTACK_DIR/mail/maintainer"/Maildir/new/*; do
		[ -f "$f" ] && sed -n '/^$/q; s/^In-Reply-To: *<\(.*\)>.*/\1/p' "$f"
	done | sort >"$TEST_TMP/answered"
	q "SELECT m.message_id, o.message_id, o.state, o.attempts, o.in_flight,
		ifnull(o.last_error, '') FROM messages m
		LEFT JOIN outbox o ON o.cause_id = m.id
		WHERE m.subject LIKE 'help fetch%' ORDER BY m.message_id" |
	while IFS='|' read -r cmd reply rest; do
		grep -qxF "$cmd" "$TEST_TMP/answered" && continue
		echo "# no reply in the mailbox to <$cmd>: outbox <$reply> $rest"
		[ -n "$reply" ] || continue
		qid=$(grep -F "$reply" "$MAILSTACK_DIR/postfix.log" |
			sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\):.*/\1/p' | head -1)
		[ -n "$qid" ] && grep -F "$qid" "$MAILSTACK_DIR/postfix.log" |
			sed 's/^/#   postfix: /'
		grep -F "$cmd" "$LOG" | sed 's/^/#   daemon: /'
	done
fi
expect_eq "$(mail_count maintainer)" 100 "exactly 100"
expect_eq "$(box_dups maintainer)" 0 "none twice"
expect_eq "$(q "SELECT count(*) FROM outbox WHERE state != 'sent'")" 0 "outbox empty"

begin "postfix down for minutes: the replies wait and go out once it is back"
postfix -c "$PB_MAIL_DIR/postfix" stop >/dev/null 2>&1
t_down=$(date +%s)
# from the list's address, whose mailbox no other part of this test uses
append_help list smtpdown 5
wait_until 60 stored "help smtpdown" 5
expect_eq $? 0 "all five stored while postfix is down"
# the first try fails at once, the second a minute later (the backoff
# doubles: the third comes two minutes after that)
tried() { [ "$(q "SELECT coalesce(max(attempts), 0) FROM outbox WHERE state = 'pending'")" -ge "$1" ]; }
wait_until 150 tried 2
expect_eq $? 0 "a second try failed too"
expect_eq "$(q "SELECT count(*) FROM outbox WHERE state = 'pending'")" 5 "all five wait"
# each flush tries the oldest due mail and stops at the refused connection
expect_eq "$([ "$(grep -c 'deferred: .*[Cc]ould.*connect' "$LOG")" -ge 2 ] && echo yes)" yes \
	"each failed try is logged"
# stay down until shortly before the third try
sleep 90
postfix -c "$PB_MAIL_DIR/postfix" start >/dev/null 2>&1
echo "# postfix was down for $(($(date +%s) - t_down)) s"
wait_for_mail list 5 180
expect_eq $? 0 "five replies once postfix is back"
expect_eq "$(mail_count list)" 5 "exactly five"
expect_eq "$(box_dups list)" 0 "none twice"
wait_until 30 outbox_empty
expect_eq $? 0 "outbox empty"
q "SELECT id, state, attempts, in_flight, last_error FROM outbox WHERE state != 'sent'" |
	sed 's/^/# unsent: /'

begin "the daemon stops cleanly after all that"
kill -TERM "$DAEMON"
wait "$DAEMON"
expect_eq $? 0
DAEMON=

finish
