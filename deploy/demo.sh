#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh: the README's first command.  On a fresh Debian 12 machine, as
# root, it shows a maintainer's first hour with patchbot, on real mail:
#
#   1. installs the packages (deploy/install-deps.sh) and builds patchbot;
#   2. starts postfix and dovecot on loopback ports (deploy/mailstack.sh),
#      from a configuration directory of their own; nothing in /etc changes
#      and no mail leaves the machine;
#   3. makes a small sample tree (a git repository with mm/readahead.c on
#      master) and starts the `patchbot run` daemon on it;
#   4. posts the sample series (deploy/sample-series.mbox) to the list with
#      git send-email, and a reviewer's Reviewed-by with mutt;
#   5. sends "#patchbot queue" as the maintainer, with mutt;
#   6. shows the transcript patchbot mailed back, the "added to mm-unstable"
#      notice the submitter got, and `git log` of mm-unstable.
#
# Everything keeps running afterwards; the end of the output says how to
# try more by hand.  `sh deploy/demo.sh stop` stops it all.
#
# Environment (the test suite sets them; nobody else needs to):
#   PATCHBOT    a built patchbot binary: skip installing and building
#   DEMO_DIR    where the configuration, database, log and tree go
#               (default ./demo in the source tree)
#   DEMO_STACK  the mail stack's directory (default /tmp/pbdemo; keep it
#               short, dovecot's unix sockets live under it)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
DEMO=${DEMO_DIR:-$top/demo}
STACK=${DEMO_STACK:-/tmp/pbdemo}
DOMAIN=example.org

stop() {
	if [ -f "$DEMO/patchbot.pid" ]; then
		pid=$(cat "$DEMO/patchbot.pid")
		if kill "$pid" 2>/dev/null; then
			# SIGTERM: it finishes the message in hand, then exits
			i=0
			while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
				sleep 0.1
				i=$((i + 1))
			done
		fi
		rm -f "$DEMO/patchbot.pid"
	fi
	if [ -f "$STACK/env" ]; then
		sh deploy/mailstack.sh stop "$STACK" >/dev/null 2>&1 || true
	fi
	echo "patchbot and the mail stack are stopped" \
		"(their files stay in $DEMO and $STACK)"
}

case "${1:-start}" in
stop)
	stop
	exit 0
	;;
start) ;;
*)
	echo "usage: sh deploy/demo.sh [start|stop]" >&2
	exit 2
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run me as root (the loopback mail stack needs it): sudo sh $0" >&2
	exit 1
fi

# wait_for SECONDS WHAT COMMAND...: poll until COMMAND succeeds.
wait_for() {
	end=$(($(date +%s) + $1))
	what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "demo: gave up waiting for $what; the daemon's log ends:" >&2
			tail -n 20 "$DEMO/patchbot.log" >&2 || true
			exit 1
		fi
		sleep 0.2
	done
}

if [ -n "${PATCHBOT:-}" ]; then
	pbbin=$PATCHBOT
else
	echo "== installing packages and building"
	sh deploy/install-deps.sh
	[ -x configure ] || ./autogen.sh >/dev/null 2>&1
	mkdir -p build
	(cd build && { [ -f Makefile ] || ../configure -q; } &&
		make -j"$(nproc)" >/dev/null)
	pbbin=$top/build/bot/patchbot
fi
pb() { "$pbbin" -c "$DEMO/config" "$@"; }

echo "== starting the mail stack in $STACK"
stop >/dev/null
rm -rf "$STACK" "$DEMO"
mkdir -p "$STACK" "$DEMO"
chmod 755 "$STACK"
# its daemons must not hold on to our output (a caller may read it to EOF)
if ! sh deploy/mailstack.sh start "$STACK" >"$DEMO/mailstack.log" 2>&1 </dev/null; then
	cat "$DEMO/mailstack.log" >&2
	exit 1
fi
# shellcheck disable=SC1091
. "$STACK/env"
IMAP="imap://127.0.0.1:$PB_IMAP_PORT"
echo "   SMTP 127.0.0.1:$PB_SMTP_PORT, IMAP 127.0.0.1:$PB_IMAP_PORT," \
	"domain $PB_DOMAIN, every password \"$PB_PASS\""

echo "== making the sample tree $DEMO/tree (mm/readahead.c on master)"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git init -q -b master "$DEMO/tree"
cp -R deploy/sample-tree/. "$DEMO/tree/"
git -C "$DEMO/tree" add .
GIT_AUTHOR_NAME="Andrew Maintainer" GIT_AUTHOR_EMAIL="maintainer@$DOMAIN" \
	GIT_COMMITTER_NAME="Andrew Maintainer" GIT_COMMITTER_EMAIL="maintainer@$DOMAIN" \
	GIT_AUTHOR_DATE="2026-11-01T00:00:00Z" GIT_COMMITTER_DATE="2026-11-01T00:00:00Z" \
	git -C "$DEMO/tree" commit -q -m "mm: toy readahead"

echo "== starting patchbot run (configuration $DEMO/config, log $DEMO/patchbot.log)"
sh deploy/mailstack.sh botconfig "$STACK" "$DEMO/config" "$top/templates"
cat >>"$DEMO/config" <<CONFIG
[tree]
	repo = $DEMO/tree
	base = master
	branch = mm-stable
	branch = mm-unstable
CONFIG
if ! pb check >"$DEMO/check.log" 2>&1; then
	echo "demo: the configuration has problems:" >&2
	cat "$DEMO/check.log" >&2
	exit 1
fi
"$pbbin" -c "$DEMO/config" run >"$DEMO/patchbot.log" 2>&1 </dev/null &
echo $! >"$DEMO/patchbot.pid"
wait_for 20 "the daemon to read its mailbox" grep -q "IMAP: reading" "$DEMO/patchbot.log"

echo "== posting the sample series to list@$DOMAIN with git send-email"
mkdir -p "$DEMO/series"
git mailsplit -o"$DEMO/series" deploy/sample-series.mbox >/dev/null
git send-email --from="Sam Submitter <submitter@$DOMAIN>" \
	--to="list@$DOMAIN" --smtp-server=127.0.0.1 \
	--smtp-server-port="$PB_SMTP_PORT" --smtp-encryption=none \
	--suppress-cc=all --confirm=never "$DEMO"/series/* >/dev/null
cover=$(sed -n 's/^Message-I[Dd]: *//p' "$DEMO/series/0001")
patch1=$(sed -n 's/^Message-I[Dd]: *//p' "$DEMO/series/0002")
complete() {
	[ "$(pb series list --json | jq -r '.[0].versions[0].complete')" = true ]
}
wait_for 30 "the series to arrive" complete
pb series list

# mutt, one configuration per user: SMTP to the stack, the user's INBOX
# over IMAP, the list known as a list (so that L is list-reply).
M="$DEMO/mutt"
mkdir -p "$M"
for u in maintainer submitter reviewer; do
	case $u in
	maintainer) name="Andrew Maintainer" ;;
	submitter) name="Sam Submitter" ;;
	reviewer) name="Rita Reviewer" ;;
	esac
	cat >"$M/$u.muttrc" <<MUTTRC
# mutt for $u@$DOMAIN on the demo's loopback mail stack
set from="$name <$u@$DOMAIN>"
set use_from=yes
set realname="$name"
set hostname="$DOMAIN"
set smtp_url="smtp://127.0.0.1:$PB_SMTP_PORT/"
set folder="imap://$u:$PB_PASS@127.0.0.1:$PB_IMAP_PORT/"
set spoolfile="+INBOX"
set ssl_starttls=no
set ssl_force_tls=no
set record=""
set copy=no
set postpone=no
set edit_headers=yes
set include=yes
set sort=threads
set mail_check=2
set timeout=5
subscribe list@$DOMAIN
MUTTRC
done
# send USER DRAFT: send DRAFT (headers, blank line, body) as USER with mutt
send() {
	HOME="$M" mutt -n -F "$M/$1.muttrc" -H "$2" </dev/null >/dev/null
}
mid() { echo "<demo.$1.$(date +%s%N)@$DOMAIN>"; }

echo "== Rita reviews patch 1 (mutt, reviewer@$DOMAIN)"
cat >"$M/review.draft" <<DRAFT
From: Rita Reviewer <reviewer@$DOMAIN>
To: Sam Submitter <submitter@$DOMAIN>
Cc: list@$DOMAIN
Subject: Re: [PATCH 1/2] mm/readahead: clamp the window to the maximum
Message-ID: $(mid review)
In-Reply-To: $patch1
References: $cover $patch1

Nice catch.

Reviewed-by: Rita Reviewer <reviewer@$DOMAIN>
DRAFT
send reviewer "$M/review.draft"
reviewed() {
	pb series show 1 --json |
		jq -e '[.versions[0].patches[0].trailers[] | select(.key == "Reviewed-by")] | length > 0'
}
wait_for 30 "Rita's Reviewed-by to be read" reviewed

queue_mid=$(mid queue)
echo "== Andrew queues the series: '#patchbot queue' (mutt, maintainer@$DOMAIN)"
cat >"$M/queue.draft" <<DRAFT
From: Andrew Maintainer <maintainer@$DOMAIN>
To: Sam Submitter <submitter@$DOMAIN>
Cc: list@$DOMAIN
Subject: Re: [PATCH 0/2] mm/readahead: window fixes
Message-ID: $queue_mid
In-Reply-To: $cover
References: $cover

Thanks, applied.

#patchbot queue
DRAFT
send maintainer "$M/queue.draft"

# imap_search USER CRITERIA: the sequence numbers of USER's INBOX matching
imap_search() {
	curl -s --max-time 5 "$IMAP/INBOX" -u "$1:$PB_PASS" -X "SEARCH $2" |
		tr -d '\r' | sed -n 's/^\* SEARCH *//p'
}
imap_has() { [ -n "$(imap_search "$1" "$2")" ]; }
# show USER CRITERIA: print the first mail of USER's INBOX matching, with
# only the headers a person reads
show() {
	n=$(imap_search "$1" "$2" | cut -d' ' -f1)
	curl -s --max-time 5 "$IMAP/INBOX;MAILINDEX=$n" -u "$1:$PB_PASS" |
		tr -d '\r' | awk '
			!body && /^$/ { body = 1; print; next }
			body { print "   " $0; next }
			/^[^ \t]/ { keep = /^(From|To|Cc|Subject|Date|In-Reply-To):/ }
			keep { print "   " $0 }'
}
transcript="HEADER In-Reply-To \"$queue_mid\""
notice='BODY "has been added to mm-unstable"'
wait_for 30 "the transcript" imap_has maintainer "$transcript"
wait_for 30 "the notice" imap_has submitter "$notice"

echo "== the transcript, in maintainer@$DOMAIN's INBOX"
show maintainer "$transcript"
echo "== the notice, in submitter@$DOMAIN's INBOX (Cc list@$DOMAIN)"
show submitter "$notice"
echo "== git log master..mm-unstable in $DEMO/tree"
git -C "$DEMO/tree" --no-pager log master..mm-unstable |
	sed 's/^/   /'

cat >"$M/help.draft" <<DRAFT
From: Andrew Maintainer <maintainer@$DOMAIN>
To: bot@$DOMAIN
Subject: help

help
list
DRAFT
cat >"$M/drop.draft" <<DRAFT
From: Andrew Maintainer <maintainer@$DOMAIN>
To: Sam Submitter <submitter@$DOMAIN>
Cc: list@$DOMAIN
Subject: Re: [PATCH 0/2] mm/readahead: window fixes
In-Reply-To: $cover
References: $cover

Sorry, this needs another round.

#patchbot drop to-be-updated
DRAFT
cat >"$M/subscribe.draft" <<DRAFT
From: Rita Reviewer <reviewer@$DOMAIN>
To: bot@$DOMAIN
Subject: subscribe

subscribe mm/readahead.c:ra_next_size
subscriptions
DRAFT

envs=
[ -z "${DEMO_DIR:-}" ] || envs="DEMO_DIR=$DEMO "
[ -z "${DEMO_STACK:-}" ] || envs="${envs}DEMO_STACK=$STACK "
cat <<DONE

== About authentication
Andrew's "queue" was obeyed because $DEMO/config says
auth.requireDkim = false: the trusted-deployment setting, for a server that
vouches for the From address itself.  That is honest only here: this mail
stack listens on 127.0.0.1 alone and has no DKIM, so it writes no
Authentication-Results header, and anyone on this machine could write
From: maintainer@$DOMAIN.  A real deployment keeps auth.requireDkim = true
and names its receiving server in auth.trustedAuthservId: then only a mail
whose topmost Authentication-Results, from that server, shows DKIM or DMARC
pass for the From domain may change the queue.  See docs/deploy.md.

== patchbot is still running; try more by hand
Addresses: maintainer@, submitter@, reviewer@, list@ and bot@ (patchbot),
all @$DOMAIN, password "$PB_PASS".  Mail to list@ reaches the list's and
patchbot's mailboxes; a command needs "#patchbot" on the list, not in mail
to bot@.  patchbot answers from bot@$DOMAIN.

Read and answer mail as one of them (interactive mutt over IMAP; in a
thread, r replies, L replies to the list; write "#patchbot status" on a
line of its own):
  HOME=$M mutt -n -F $M/maintainer.muttrc
  HOME=$M mutt -n -F $M/reviewer.muttrc

Or send a prepared mail in one go (edit the draft first if you like):
  HOME=$M mutt -n -F $M/maintainer.muttrc -H $M/help.draft </dev/null
  HOME=$M mutt -n -F $M/maintainer.muttrc -H $M/drop.draft </dev/null
  HOME=$M mutt -n -F $M/reviewer.muttrc -H $M/subscribe.draft </dev/null

Look inside:
  $pbbin -c $DEMO/config series show 1
  $pbbin -c $DEMO/config queue list
  $pbbin -c $DEMO/config outbox list
  git -C $DEMO/tree log --oneline --graph master mm-stable mm-unstable
  tail -f $DEMO/patchbot.log

Stop everything with: ${envs}sh deploy/demo.sh stop
DONE
