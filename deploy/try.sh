#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's first command: install what patchbot needs, build it, start
# a real mail stack on loopback (postfix + dovecot, deploy/mailstack.sh)
# and the `patchbot run` daemon against it, post a sample series with
# git send-email, send a `#patchbot status` reply with mutt, and show the
# transcript patchbot mailed back.  Everything keeps running afterwards;
# `sh deploy/try.sh stop` stops it.  Needs root (the mail stack runs as
# root from its own configuration directory; nothing in /etc is changed).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
STACK=/tmp/pbtry        # short: dovecot's unix socket paths must stay short
TRY="$top/try"

stop() {
	if [ -f "$TRY/patchbot.pid" ]; then
		kill "$(cat "$TRY/patchbot.pid")" 2>/dev/null || true
		rm -f "$TRY/patchbot.pid"
	fi
	[ -d "$STACK" ] && sh deploy/mailstack.sh stop "$STACK" >/dev/null 2>&1 || true
	echo "patchbot and the mail stack are stopped"
}
if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "try: gave up waiting for: $*" >&2
			tail -n 20 "$TRY/patchbot.log" >&2 || true
			exit 1
		fi
		sleep 0.2
	done
}

echo "== installing packages and building"
sh deploy/install-deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -j"$(nproc)" >/dev/null)
pb() { "$top/build/bot/patchbot" -c "$TRY/config" "$@"; }

echo "== starting the mail stack in $STACK"
stop >/dev/null
rm -rf "$STACK"
mkdir -p "$STACK"
chmod 755 "$STACK"
sh deploy/mailstack.sh start "$STACK" >/dev/null
. "$STACK/env"

mkdir -p "$TRY"
sh deploy/mailstack.sh botconfig "$STACK" "$TRY/config" "$top/templates"
rm -f "$TRY/state.db" "$TRY/state.db-wal" "$TRY/state.db-shm"

echo "== starting patchbot run (log: try/patchbot.log)"
"$top/build/bot/patchbot" -c "$TRY/config" run >"$TRY/patchbot.log" 2>&1 &
echo $! >"$TRY/patchbot.pid"
wait_for 20 grep -q "IMAP: reading" "$TRY/patchbot.log"

echo "== posting the sample series to list@$PB_DOMAIN with git send-email"
# git send-email takes one message per file
rm -rf "$TRY/series"
mkdir -p "$TRY/series"
git mailsplit -o"$TRY/series" deploy/sample-series.mbox >/dev/null
GIT_CONFIG_GLOBAL=/dev/null git send-email --from="Sam Submitter <submitter@$PB_DOMAIN>" \
	--to="list@$PB_DOMAIN" --smtp-server=127.0.0.1 \
	--smtp-server-port="$PB_SMTP_PORT" --smtp-encryption=none \
	--suppress-cc=all --confirm=never "$TRY"/series/* >/dev/null
complete() {
	[ "$(pb series list --json | jq -r '.[0].versions[0].complete')" = true ]
}
wait_for 30 complete
pb series list

echo "== replying '#patchbot status' as reviewer@$PB_DOMAIN with mutt"
cover="<cover.1795781877.git.sam@example.org>"
home="$TRY/mutt-home"
mkdir -p "$home"
cat >"$home/muttrc" <<MUTTRC
set smtp_url="smtp://127.0.0.1:$PB_SMTP_PORT/"
set ssl_starttls=no
set ssl_force_tls=no
set record=""
set copy=no
set use_from=yes
set hostname="$PB_DOMAIN"
MUTTRC
cat >"$home/draft" <<DRAFT
From: Rita Reviewer <reviewer@$PB_DOMAIN>
To: list@$PB_DOMAIN
Subject: Re: [PATCH 0/2] mm/readahead: window fixes
In-Reply-To: $cover
References: $cover

Looks good to me.

Reviewed-by: Rita Reviewer <reviewer@$PB_DOMAIN>

#patchbot status
DRAFT
HOME="$home" mutt -n -F "$home/muttrc" -H "$home/draft" </dev/null >/dev/null
has_reply() {
	curl -s "$PB_IMAP_URL/INBOX" -u "reviewer:$PB_PASS" -X 'SEARCH ALL' |
		grep -q '^\* SEARCH [0-9]'
}
wait_for 30 has_reply

echo "== the transcript in reviewer@$PB_DOMAIN's mailbox"
curl -s "$PB_IMAP_URL/INBOX;MAILINDEX=1" -u "reviewer:$PB_PASS" | tr -d '\r'
cat <<DONE

== patchbot is running against the mail stack in $STACK
Try more by hand (mail for USER@$PB_DOMAIN, password "$PB_PASS", is
readable at $PB_IMAP_URL; users: bot, maintainer, submitter, reviewer, list):
  edit $home/draft (e.g. "#patchbot help"), then
  HOME=$home mutt -n -F $home/muttrc -H $home/draft </dev/null
  ./build/bot/patchbot -c try/config series show 1
  ./build/bot/patchbot -c try/config outbox list
  tail -f try/patchbot.log
Stop everything with: sh deploy/try.sh stop
DONE
