# SPDX-License-Identifier: GPL-2.0-or-later
# lib-mail.sh: helpers for end-to-end shell tests on a real mail stack
# (postfix + dovecot on loopback, deploy/mailstack.sh) driven by real
# clients: git send-email, mutt in batch mode, curl over IMAP.
# Source it after lib.sh:
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/lib-mail.sh"
#   mailstack_up
#   mid=$(send_series "$repo" 2)
#   wait_for_mail list 2 10 && fetch_mail_id list "$mid" | mail_header Subject
#
# The stack needs root and the packages of deploy/install-deps.sh.  Run as
# another user, a test that sources this file is skipped (exit 77).
#
# Addresses: USER@example.org for USER in bot, maintainer, submitter,
# reviewer, list; password "pass".  list@ reaches both the list and the bot
# mailbox; USER+tag@ reaches USER.  Git identities made after sourcing this
# file are Sam Submitter <submitter@example.org>, so that patches are sent
# from the author's own address.

if [ "$(id -u)" -ne 0 ]; then
	echo "# SKIP: the loopback mail stack needs root"
	exit 77
fi
for _tool in postfix dovecot curl mutt ss; do
	if ! command -v "$_tool" >/dev/null; then
		echo "not ok - $_tool is missing: run deploy/install-deps.sh"
		exit 1
	fi
done
if ! git send-email -h 2>&1 | grep -q "send-email.* \\[<options>\\]"; then
	echo "not ok - git send-email is missing: run deploy/install-deps.sh"
	exit 1
fi

PATCHBOT_SRCDIR=${PATCHBOT_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
MAILSTACK="$PATCHBOT_SRCDIR/deploy/mailstack.sh"
MAILSTACK_DIR=""

export GIT_AUTHOR_EMAIL=submitter@example.org
export GIT_COMMITTER_EMAIL=submitter@example.org

# mailstack_up: start a private stack in a short directory (/tmp/pbm.XXXXXX:
# unix socket paths must stay short, so not under $TEST_TMP) and read its
# env (PB_IMAP_PORT, PB_SMTP_PORT, PB_MAIL_DIR, PB_DOMAIN, PB_PASS, ...).
# The stack is stopped and removed when the test exits.
mailstack_up() {
	MAILSTACK_DIR=$(mktemp -d /tmp/pbm.XXXXXX) || return 1
	trap 'mailstack_down; rm -rf "$TEST_TMP"' EXIT
	trap 'exit 130' INT TERM
	_t0=$(date +%s%N)
	if ! sh "$MAILSTACK" start "$MAILSTACK_DIR" >"$TEST_TMP/mailstack.out" 2>&1; then
		sed 's/^/# /' "$TEST_TMP/mailstack.out"
		echo "not ok - the mail stack did not start"
		exit 1
	fi
	_t1=$(date +%s%N)
	# shellcheck disable=SC1091
	. "$MAILSTACK_DIR/env"
	export PB_MAIL_DIR PB_IMAP_PORT PB_SMTP_PORT PB_IMAP_URL PB_SMTP_URL \
		PB_DOMAIN PB_PASS
	echo "# mail stack up in $MAILSTACK_DIR ($(ms_since "$_t0" "$_t1") ms):" \
		"IMAP $PB_IMAP_PORT, SMTP $PB_SMTP_PORT"
}

# ms_since T0 [T1]: milliseconds from T0 to T1 (or now); both `date +%s%N`.
ms_since() {
	echo $(((${2:-$(date +%s%N)} - $1) / 1000000))
}

# mailstack_down: stop the stack (by pid) and remove its directory; after
# a failed test, show the end of its logs first.
mailstack_down() {
	[ -n "$MAILSTACK_DIR" ] || return 0
	if [ "${failed:-0}" -ne 0 ]; then
		for _log in postfix.log dovecot.log; do
			echo "# ---- $_log"
			tail -n 20 "$MAILSTACK_DIR/$_log" 2>/dev/null | sed 's/^/# /'
		done
		# PB_KEEP_LOGS=DIR keeps every log of a failed test for later
		if [ -n "${PB_KEEP_LOGS:-}" ]; then
			_keep="$PB_KEEP_LOGS/$(basename "$0").$$"
			mkdir -p "$_keep"
			cp "$MAILSTACK_DIR"/*.log "$TEST_TMP"/*.log "$_keep/" 2>/dev/null
			echo "# logs kept in $_keep"
		fi
	fi
	sh "$MAILSTACK" stop "$MAILSTACK_DIR" >/dev/null || true
	rm -rf "$MAILSTACK_DIR"
	MAILSTACK_DIR=""
}

# lmtp_hold / lmtp_release: stop postfix's deliveries to dovecot, and let
# them go again.  A test that stops dovecot while mail flows holds them
# first: postfix would otherwise be in the middle of an LMTP session at the
# kill, and then either deliver the mail twice (dovecot saved it but did not
# say "250") or keep it for minutes (its lmtp process waits out a timeout).
# Both are the mail stack's doing, and would hide what patchbot did.
# lmtp_hold returns once no mail is in postfix's active queue (at most 20 s).
lmtp_hold() {
	postconf -c "$PB_MAIL_DIR/postfix" -e 'defer_transports = lmtp' &&
		postfix -c "$PB_MAIL_DIR/postfix" reload >/dev/null 2>&1 || return 1
	sleep 1    # the reload restarts qmgr: let the old one go
	_end=$(($(date +%s) + 20))
	while postqueue -c "$PB_MAIL_DIR/postfix" -j |
		grep -q '"queue_name": *"active"'; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}
lmtp_release() {
	postconf -c "$PB_MAIL_DIR/postfix" -e 'defer_transports =' &&
		postfix -c "$PB_MAIL_DIR/postfix" reload >/dev/null 2>&1 &&
		postqueue -c "$PB_MAIL_DIR/postfix" -f
}

# postfix_took MESSAGE_ID: how many times postfix took in a mail with this
# Message-ID (given without its angle brackets): its cleanup service logs
# each mail it queues once.
postfix_took() {
	grep -cF ": message-id=<$1>" "$PB_MAIL_DIR/postfix.log"
}

# send_series REPO N [ARGS...]: git send-email the last N commits of REPO
# to list@example.org from submitter@example.org.  ARGS go to git
# send-email, which passes format-patch options (--cover-letter, -v2,
# --subject-prefix=...) on; a --cover-letter needs --force (or
# --cover-from-description) since its subject is git's template.  Prints the Message-IDs sent, in order.
send_series() {
	_repo=$1
	_n=$2
	shift 2
	_log="$TEST_TMP/send-email.$$.log"
	if ! git -C "$_repo" send-email \
		--from="Sam Submitter <submitter@$PB_DOMAIN>" \
		--to="list@$PB_DOMAIN" \
		--smtp-server=127.0.0.1 --smtp-server-port="$PB_SMTP_PORT" \
		--smtp-encryption=none --suppress-cc=all --confirm=never \
		--8bit-encoding=UTF-8 "$@" "-$_n" </dev/null >"$_log" 2>&1; then
		sed 's/^/# /' "$_log"
		return 1
	fi
	sed -n 's/^Message-I[Dd]: *//p' "$_log"
}

# send_reply FROM TO SUBJECT IN_REPLY_TO REFERENCES BODY [MESSAGE_ID]:
# send one mail with mutt in batch mode.  Empty IN_REPLY_TO or REFERENCES
# leave that header out.  mutt keeps the Message-ID given (one is made up
# when none is); it is printed.
send_reply() {
	_mid=${7:-}
	if [ -z "$_mid" ]; then
		_mid="<reply.$(date +%s%N).$$.$(od -An -N4 -tu4 /dev/urandom |
			tr -d ' ')@$PB_DOMAIN>"
	fi
	_mh="$TEST_TMP/mutt-home"
	mkdir -p "$_mh"
	cat >"$_mh/muttrc" <<EOF
set smtp_url="smtp://127.0.0.1:$PB_SMTP_PORT/"
set ssl_starttls=no
set ssl_force_tls=no
set record=""
set copy=no
set use_from=yes
set hostname="$PB_DOMAIN"
set charset="utf-8"
set send_charset="us-ascii:utf-8"
EOF
	{
		echo "From: $1"
		echo "To: $2"
		echo "Subject: $3"
		echo "Message-ID: $_mid"
		[ -n "$4" ] && echo "In-Reply-To: $4"
		[ -n "$5" ] && echo "References: $5"
		echo
		printf '%s\n' "$6"
	} >"$_mh/draft"
	if ! HOME="$_mh" mutt -n -F "$_mh/muttrc" -H "$_mh/draft" \
		</dev/null >"$_mh/out" 2>&1; then
		sed 's/^/# /' "$_mh/out"
		return 1
	fi
	echo "$_mid"
}

# mail_count USER: how many messages USER's INBOX holds.
mail_count() {
	curl -s --max-time 5 "imap://127.0.0.1:$PB_IMAP_PORT/INBOX" \
		-u "$1:$PB_PASS" -X 'SEARCH ALL' |
		tr -d '\r' | sed -n 's/^\* SEARCH//p' | wc -w
}

# wait_for_mail USER COUNT TIMEOUT: wait up to TIMEOUT seconds until USER's
# INBOX holds at least COUNT messages.  Fails (saying how many it found)
# when it does not.
wait_for_mail() {
	_end=$(($(date +%s) + $3))
	while :; do
		_have=$(($(mail_count "$1")))
		[ "$_have" -ge "$2" ] && return 0
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "# $1 has $_have of $2 messages after $3 s"
			return 1
		fi
		sleep 0.1
	done
}

# mail_seq USER MESSAGE_ID: the sequence number of the message with that
# Message-ID in USER's INBOX (empty if none).  Mail sent together may be
# delivered in any order (postfix delivers in parallel): find a message by
# its Message-ID rather than assume its position.
mail_seq() {
	curl -s --max-time 5 "imap://127.0.0.1:$PB_IMAP_PORT/INBOX" \
		-u "$1:$PB_PASS" -X "SEARCH HEADER Message-ID \"$2\"" |
		tr -d '\r' | sed -n 's/^\* SEARCH *//p' | cut -d' ' -f1
}

# fetch_mail_id USER MESSAGE_ID: print the message with that Message-ID
# from USER's INBOX, as fetch_mail does.  Fails if there is none.
fetch_mail_id() {
	_seq=$(mail_seq "$1" "$2")
	[ -n "$_seq" ] || return 1
	fetch_mail "$1" "$_seq"
}

# fetch_mail USER N: print message N (sequence number, from 1) of USER's
# INBOX as fetched over IMAP, with CRLF turned into LF.
fetch_mail() {
	curl -s --max-time 5 "imap://127.0.0.1:$PB_IMAP_PORT/INBOX;MAILINDEX=$2" \
		-u "$1:$PB_PASS" | tr -d '\r'
}

# mail_header NAME: the value of the first NAME header of the mail on
# standard input (case-insensitive, unfolded).
mail_header() {
	awk -v name="$1" '
		BEGIN { name = tolower(name) ":" }
		/^$/ { exit }
		/^[ \t]/ { if (found && !done) { sub(/^[ \t]+/, " "); v = v $0 }; next }
		{ if (found) done = 1 }
		!done && tolower(substr($0, 1, length(name))) == name {
			v = substr($0, length(name) + 1); sub(/^[ \t]+/, "", v)
			found = 1
		}
		END { if (found) print v }'
}

# write_bot_config FILE [EXTRA]: a patchbot configuration for the bot user
# of the running stack (plain IMAP and SMTP on loopback, no DKIM), its
# database beside FILE; EXTRA is appended as more configuration lines.
write_bot_config() {
	sh "$MAILSTACK" botconfig "$MAILSTACK_DIR" "$1" "$PATCHBOT_SRCDIR/templates" &&
		printf '%s\n' "${2:-}" >>"$1"
}

# pb ARGS...: patchbot with the configuration $TEST_TMP/config (the one a
# test writes with write_bot_config).
pb() { "$PATCHBOT" -c "$TEST_TMP/config" "$@"; }

# start_daemon: `pb run` in the background, its output appended to $LOG,
# its pid in $DAEMON.
start_daemon() {
	"$PATCHBOT" -c "$TEST_TMP/config" run >>"$LOG" 2>&1 &
	DAEMON=$!
}

# wait_until SECONDS COMMAND...: run COMMAND every $WAIT_STEP seconds (0.1
# unless set) until it succeeds, for at most SECONDS.  Giving up, it says
# what it waited for and, when $LOG names a file (the daemon's log), shows
# the last 15 lines of it; then it fails.
wait_until() {
	_end=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "# gave up waiting for: $*"
			if [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then
				tail -n 15 "$LOG" | sed 's/^/# daemon: /'
			fi
			return 1
		fi
		sleep "${WAIT_STEP:-0.1}"
	done
}
