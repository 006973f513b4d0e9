#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_faults: mail keeps flowing through the real mail stack (series sent
# with git send-email, reviews, status and help commands, the maintainer's
# queue commands sent over SMTP with curl) while `patchbot run` is killed
# with SIGKILL at random moments and restarted.  Afterwards every message
# is processed exactly once, every reply is in its recipients' mailboxes
# exactly once, and every queue branch is where the state says.
#
# FAULT_UNITS units of ten messages each (a cover letter and three
# patches, a review with a command, a queue command, four help mails) and
# FAULT_KILLS kills.  `make check` runs a small flow; the figures in README
# come from FAULT_UNITS=100 FAULT_KILLS=50 (1,000 messages).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mail.sh"

UNITS=${FAULT_UNITS:-12}
KILLS=${FAULT_KILLS:-12}
command -v sqlite3 >/dev/null || {
	echo "not ok - sqlite3 is missing: run deploy/install-deps.sh"
	exit 1
}

mailstack_up
repo="$TEST_TMP/tree"
git init -q -b master "$repo"
echo "a tree" >"$repo/README"
git -C "$repo" add README && git -C "$repo" commit -qm "base"
write_bot_config "$TEST_TMP/config" "[tree]
	repo = $repo
[limits]
	repliesPerSender = 100000
	repliesPerHour = 100000
[smtp]
	confirmWait = 20"
db="$TEST_TMP/state.db"
LOG="$TEST_TMP/daemon.log"
sent="$TEST_TMP/sent-ids"
: >"$sent"

# rand_ms MIN MAX: a random number of milliseconds in [MIN, MAX).
rand_ms() {
	echo $(($1 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % ($2 - $1)))
}

# The supervisor: start the daemon, kill it with SIGKILL after a random
# while, KILLS times (every fifth start instead kills itself right after
# the server took its first reply); then leave one running.  Its pid is in
# $pidfile.
pidfile="$TEST_TMP/daemon.pid"
killed="$TEST_TMP/killed"
supervise() {
	_k=0
	while [ "$_k" -lt "$KILLS" ]; do
		# every fifth start dies the moment the server has taken a
		# reply, before the database knows (the SMTP window); it has
		# up to 20 s to get there
		if [ $((_k % 5)) = 4 ]; then
			PATCHBOT_TEST_KILL_AFTER_SEND=1 \
				"$PATCHBOT" -c "$TEST_TMP/config" run >>"$LOG" 2>&1 &
			echo $! >"$pidfile"
			_n=0
			while [ "$_n" -lt 200 ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; do
				sleep 0.1
				_n=$((_n + 1))
			done
		else
			"$PATCHBOT" -c "$TEST_TMP/config" run >>"$LOG" 2>&1 &
			echo $! >"$pidfile"
			sleep "$(printf '0.%03d' "$(rand_ms 0 999)")"
			sleep "$(($(rand_ms 0 3000) / 1000))"
		fi
		kill -9 "$(cat "$pidfile")" 2>/dev/null
		wait "$(cat "$pidfile")" 2>/dev/null
		_k=$((_k + 1))
		echo "$_k" >"$killed"
	done
	"$PATCHBOT" -c "$TEST_TMP/config" run >>"$LOG" 2>&1 &
	echo $! >"$pidfile"
	echo done >>"$killed"
	wait
}

# smtp_send FROM TO FILE: submit one mail to postfix with curl.
smtp_send() {
	curl -s --max-time 20 "smtp://127.0.0.1:$PB_SMTP_PORT" \
		--mail-from "$1" --mail-rcpt "$2" -T "$3"
}

# mail_file FILE FROM TO SUBJECT MESSAGE-ID IN-REPLY-TO BODY
mail_file() {
	{
		printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n' "$2" "$3" "$4" "$5"
		printf 'Date: %s\n' "$(date -R)"
		[ -n "$6" ] && printf 'In-Reply-To: <%s>\nReferences: <%s>\n' "$6" "$6"
		printf '\n%s\n' "$7"
	} >"$1"
	echo "$5" >>"$sent"
}

t0=$(date +%s)
supervise &
SUPERVISOR=$!
trap 'kill -9 $(cat "$pidfile" 2>/dev/null) $SUPERVISOR 2>/dev/null; mailstack_down; rm -rf "$TEST_TMP"' EXIT

begin "$UNITS series posted with git send-email while the daemon is killed"
ok=0
i=1
while [ "$i" -le "$UNITS" ]; do
	git -C "$repo" checkout -q -b "s$i" master
	for n in 1 2 3; do
		printf 'int s%d_%d(void)\n{\n\treturn %d;\n}\n' "$i" "$n" "$n" >>"$repo/s$i.c"
		git -C "$repo" add "s$i.c"
		git -C "$repo" commit -qm "s$i: step $n

Step $n of series $i.

Signed-off-by: Sam Submitter <submitter@$PB_DOMAIN>"
	done
	out="$TEST_TMP/out/s$i"
	git -C "$repo" format-patch -q -3 --cover-letter --thread -o "$out" >/dev/null
	sed -i "s/\*\*\* SUBJECT HERE \*\*\*/series $i/; s/\*\*\* BLURB HERE \*\*\*/Series $i./" \
		"$out/0000-cover-letter.patch"
	# git names a cover letter <cover.SECONDS.git.EMAIL>: two series
	# formatted within one second would share it
	sed -i "s/<cover\./<cover.s$i./" "$out"/*.patch
	sed -n 's/^Message-I[Dd]: *<\(.*\)>/\1/p' "$out"/*.patch >>"$sent"
	git -C "$repo" checkout -q master
	git -C "$repo" send-email --from="Sam Submitter <submitter@$PB_DOMAIN>" \
		--to="list@$PB_DOMAIN" --smtp-server=127.0.0.1 \
		--smtp-server-port="$PB_SMTP_PORT" --smtp-encryption=none \
		--suppress-cc=all --confirm=never "$out"/*.patch >/dev/null 2>&1 &&
		ok=$((ok + 1))
	i=$((i + 1))
done
expect_eq "$ok" "$UNITS" "git send-email runs that succeeded"
# the reviews and queue commands must reach the bot after the series
wait_for_mail bot $((UNITS * 4)) 120
expect_eq $? 0 "series in the bot's mailbox"

begin "reviews, status and help commands while the daemon is killed"
mails="$TEST_TMP/mails"
mkdir -p "$mails"
i=1
while [ "$i" -le "$UNITS" ]; do
	cover=$(sed -n 's/^Message-I[Dd]: *<\(.*\)>/\1/p' "$TEST_TMP/out/s$i/0000-cover-letter.patch")
	mail_file "$mails/r$i" "Rita Reviewer <reviewer@$PB_DOMAIN>" "list@$PB_DOMAIN" \
		"Re: [PATCH 0/3] series $i" "review.$i.$$@$PB_DOMAIN" "$cover" \
		"Looks good.

Reviewed-by: Rita Reviewer <reviewer@$PB_DOMAIN>

#patchbot status"
	smtp_send "reviewer@$PB_DOMAIN" "list@$PB_DOMAIN" "$mails/r$i"
	for h in 1 2 3 4; do
		mail_file "$mails/h$i.$h" "Helper $h <submitter+h$h@$PB_DOMAIN>" \
			"bot@$PB_DOMAIN" "help $i.$h" "help.$i.$h.$$@$PB_DOMAIN" "" "help"
		smtp_send "submitter+h$h@$PB_DOMAIN" "bot@$PB_DOMAIN" "$mails/h$i.$h"
	done
	i=$((i + 1))
done
wait_for_mail bot $((UNITS * 9)) 120
expect_eq $? 0 "reviews and help mails in the bot's mailbox"

begin "the maintainer queues every series while the daemon is killed"
i=1
while [ "$i" -le "$UNITS" ]; do
	cover=$(sed -n 's/^Message-I[Dd]: *<\(.*\)>/\1/p' "$TEST_TMP/out/s$i/0000-cover-letter.patch")
	mail_file "$mails/q$i" "Andrew Maintainer <maintainer@$PB_DOMAIN>" \
		"bot@$PB_DOMAIN" "Re: [PATCH 0/3] series $i" "queue.$i.$$@$PB_DOMAIN" \
		"$cover" "queue"
	smtp_send "maintainer@$PB_DOMAIN" "bot@$PB_DOMAIN" "$mails/q$i"
	i=$((i + 1))
done
total=$(wc -l <"$sent")
expect_eq "$(sort "$sent" | uniq -d | wc -l)" 0 "Message-IDs sent twice"
expect_eq "$total" $((UNITS * 10)) "messages sent"

WAIT_STEP=0.2    # wait_until (lib-mail.sh): all_settled asks sqlite twice
q() { sqlite3 -cmd ".timeout 5000" "$db" "$1"; }
supervisor_done() { grep -q done "$killed" 2>/dev/null; }
all_settled() {
	[ "$(q "SELECT count(*) FROM messages WHERE message_id IN ($ids)")" = "$total" ] &&
		[ "$(q "SELECT count(*) FROM outbox WHERE state != 'sent'")" = 0 ]
}
ids=$(sed "s/.*/'&'/" "$sent" | paste -sd, -)

begin "after $KILLS kills every message is processed exactly once"
wait_until 600 supervisor_done
expect_eq $? 0 "the supervisor killed the daemon $KILLS times"
wait_until 600 all_settled
expect_eq $? 0 "every message stored and every reply sent"
echo "# $total messages, $KILLS kills, settled in $(($(date +%s) - t0)) s"
expect_eq "$(q "SELECT count(*) FROM messages WHERE message_id IN ($ids)")" "$total" \
	"every message sent is in the store"
# every mail in the bot's mailbox (its own notices to the list too) once
box_ids() {
	for f in "$MAILSTACK_DIR/mail/$1"/Maildir/cur/* "$MAILSTACK_DIR/mail/$1"/Maildir/new/*; do
		[ -f "$f" ] || continue
		sed -n '/^$/q; s/^[Mm][Ee][Ss][Ss][Aa][Gg][Ee]-[Ii][Dd]: *<\(.*\)>.*/\1/p' "$f"
	done
}
# (the bot's copies of its last replies may still be on their way in)
bot_box_stored() {
	[ "$(box_ids bot | sort -u | wc -l)" = "$(q "SELECT count(*) FROM messages")" ]
}
wait_until 60 bot_box_stored
expect_eq "$(box_ids bot | sort -u | wc -l)" "$(q "SELECT count(*) FROM messages")" \
	"the store holds every mail of the bot's mailbox"
expect_eq "$(q "SELECT count(*) FROM commands c JOIN messages m ON m.id = c.message_id
	WHERE m.message_id LIKE 'queue.%'")" "$UNITS" "one queue command per queue mail"
expect_eq "$(q "SELECT count(*) FROM (SELECT cause_id FROM outbox
	WHERE kind = 'transcript' GROUP BY cause_id HAVING count(*) > 1)")" 0 \
	"no command mail got two transcripts"
expect_eq "$(q "SELECT count(*) FROM outbox WHERE kind = 'transcript'")" $((UNITS * 6)) \
	"one transcript per command mail"

begin "every reply is in each recipient's mailbox exactly once"
for u in bot list maintainer reviewer submitter; do
	box_ids "$u" | sort | uniq -c | awk -v u="$u" '{ print u, $2, $1 }'
done >"$TEST_TMP/boxes"
q "SELECT message_id, recipients FROM outbox" | tr '|' ' ' |
	awk '{ for (i = 2; i <= NF; i++) { r = $i; sub(/@.*/, "", r); sub(/\+.*/, "", r);
		print r, $1 } }' | sort -u >"$TEST_TMP/expected"
missing=0
dups=0
while read -r user mid; do
	n=$(awk -v u="$user" -v m="$mid" '$1 == u && $2 == m { print $3 }' "$TEST_TMP/boxes")
	[ -z "$n" ] && missing=$((missing + 1))
	if [ -n "$n" ] && [ "$n" -gt 1 ]; then
		dups=$((dups + 1))
		echo "# twice in $user's mailbox: $mid, to $(q "SELECT recipients FROM outbox
			WHERE message_id = '$mid'")"
	fi
done <"$TEST_TMP/expected"
# SMTP has no two-phase commit: a kill after the server took a mail and
# before the database says so leaves the mail in doubt.  Its copy to the
# bot's own mailbox (smtp.confirmCopy) settles it: a copy that comes back
# marks it sent.  Only a mail whose copy did not come back within
# smtp.confirmWait goes again, and the daemon warns of each: none should.
cutoff=$(sed -n 's/.*SMTP: \([0-9]*\) mail(s) whose sending was cut off.*/\1/p' "$LOG" |
	awk '{ n += $1 } END { print n + 0 }')
confirmed=$(grep -c 'came back through the mailbox' "$LOG" || true)
resent=$(grep -c 'no copy came back' "$LOG" || true)
echo "# $(wc -l <"$TEST_TMP/expected") deliveries expected; $dups twice;" \
	"$cutoff sends cut off by a kill, $confirmed confirmed by their copy," \
	"$resent sent again"
expect_eq "$missing" 0 "replies missing from a mailbox"
expect_eq "$dups" 0 "replies delivered twice"
expect_eq "$(awk '$3 > 1' "$TEST_TMP/boxes" | wc -l)" "$dups" \
	"no other Message-ID twice in any mailbox"

begin "every branch is where the state says"
pb queue list --json >"$TEST_TMP/queue.json"
for b in mm-stable mm-unstable; do
	want=$(jq -r --arg b "$b" '.branches[] | select(.name == $b) | .tip' "$TEST_TMP/queue.json")
	have=$(git -C "$repo" rev-parse "refs/heads/$b" 2>/dev/null)
	expect_eq "$have" "$want" "branch $b"
done
expect_eq "$(jq '[.branches[].series[]] | length' "$TEST_TMP/queue.json")" "$UNITS" \
	"series queued"
expect_eq "$(git -C "$repo" rev-list --count master..mm-unstable)" $((UNITS * 3)) \
	"commits on mm-unstable"
echo "# branches repaired at start-up: $(grep -c 'did not match the queue state\|was missing; created' "$LOG" || true)"
echo "# daemon starts: $(grep -c ' running: ' "$LOG" || true)"

begin "a kill right after the server took a reply: its copy settles it"
kill -9 "$(cat "$pidfile")" 2>/dev/null
wait "$(cat "$pidfile")" 2>/dev/null
mail_file "$mails/cut" "Helper <submitter+cut@$PB_DOMAIN>" "bot@$PB_DOMAIN" \
	"help once" "cut.$$@$PB_DOMAIN" "" "help"
smtp_send "submitter+cut@$PB_DOMAIN" "bot@$PB_DOMAIN" "$mails/cut"
# the daemon kills itself between the server's 250 and the database
PATCHBOT_TEST_KILL_AFTER_SEND=1 "$PATCHBOT" -c "$TEST_TMP/config" run >>"$LOG" 2>&1 &
echo $! >"$pidfile"
cut_pid=$(cat "$pidfile")
wait "$cut_pid"
expect_eq "$?" 137 "the daemon died of the kill after the send"
reply_id=$(q "SELECT o.message_id FROM outbox o JOIN messages m ON m.id = o.cause_id
	WHERE m.message_id = 'cut.$$@$PB_DOMAIN'")
expect_eq "$(q "SELECT state || ' ' || in_flight FROM outbox WHERE message_id = '$reply_id'")" \
	"pending 1" "the database does not know the reply went out"
start_daemon
echo "$DAEMON" >"$pidfile"
reply_settled() {
	[ "$(q "SELECT state FROM outbox WHERE message_id = '$reply_id'")" = sent ]
}
wait_until 120 reply_settled
expect_eq $? 0 "the reply is marked sent"
expect_eq "$(box_ids submitter | grep -c "^$reply_id\$")" 1 \
	"the reply is in the submitter's mailbox once"
expect_eq "$(grep -c "outbox mail [0-9]* came back through the mailbox" "$LOG")" \
	"$((confirmed + 1))" "its copy confirmed it"
expect_eq "$(grep -c 'no copy came back' "$LOG" || true)" "$resent" \
	"nothing was sent again"

# after a failure, what the daemon complained of, and the pending mail
if [ "$failed" -ne 0 ]; then
	grep -i "error\|warning\|cannot\|does not" "$LOG" | sed 's/[0-9a-f]\{40\}/ID/g' |
		sort | uniq -c | sort -rn | head -n 40 | sed 's/^/# daemon: /'
	q "SELECT kind, state, attempts, last_error FROM outbox WHERE state != 'sent'" |
		head -n 20 | sed 's/^/# unsent: /'
	q "SELECT detail FROM commands WHERE status = 'error'" | head -n 20 |
		sed 's/^/# command error: /'
	sort "$sent" | while read -r id; do
		[ "$(q "SELECT count(*) FROM messages WHERE message_id = '$id'")" = 1 ] ||
			echo "# not stored: $id"
	done
	postqueue -c "$PB_MAIL_DIR/postfix" -p 2>/dev/null | tail -n 5 | sed 's/^/# postfix queue: /'
fi
finish
