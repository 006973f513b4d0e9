#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_demo: the README's first command, deploy/demo.sh, run as a user
# would (only the install and build steps are skipped: PATCHBOT names the
# binary under test).  It must post the sample series, get the maintainer's
# "queue" obeyed, and leave mail and branches that say so; then
# `demo.sh stop` must stop everything it started.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mail.sh"

DEMO="$TEST_TMP/demo"
# short: dovecot's unix sockets live under it
STACK=$(mktemp -d /tmp/pbd.XXXXXX)
demo() {
	PATCHBOT="$PATCHBOT" DEMO_DIR="$DEMO" DEMO_STACK="$STACK" \
		sh "$PATCHBOT_SRCDIR/deploy/demo.sh" "$@"
}
cleanup() {
	demo stop >/dev/null 2>&1
	rm -rf "$STACK" "$TEST_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

begin "deploy/demo.sh runs to its end"
t0=$(date +%s%N)
out=$(demo 2>&1)
expect_eq $? 0
echo "# demo.sh took $(ms_since "$t0") ms"
echo "$out" | sed 's/^/# /' | head -n 80

# the mail stack the demo started: for reading its mailboxes here
# shellcheck disable=SC1091
. "$STACK/env"

begin "the transcript says the series was queued"
expect_contains "$out" "queued v1 of 'mm/readahead: window fixes' on 'mm-unstable'" "shown"
transcript=$(curl -s --max-time 5 "$PB_IMAP_URL/INBOX" -u "maintainer:$PB_PASS" \
	-X 'SEARCH HEADER In-Reply-To "<demo.queue."' | tr -d '\r' |
	sed -n 's/^\* SEARCH *//p' | cut -d' ' -f1)
expect_eq "$([ -n "$transcript" ] && echo found)" found "in the maintainer's mailbox"
mail=$(fetch_mail maintainer "${transcript:-1}")
expect_contains "$mail" "> #patchbot queue"
expect_contains "$mail" "queued v1 of 'mm/readahead: window fixes' on 'mm-unstable'"
expect_eq "$(echo "$mail" | mail_header From)" "patchbot <bot@$PB_DOMAIN>"

begin "the submitter and the list got the 'added to mm-unstable' notice"
expect_contains "$out" "has been added to mm-unstable" "shown"
for u in submitter list reviewer; do
	n=$(curl -s --max-time 5 "$PB_IMAP_URL/INBOX" -u "$u:$PB_PASS" \
		-X 'SEARCH BODY "has been added to mm-unstable"' | tr -d '\r' |
		sed -n 's/^\* SEARCH *//p' | wc -w)
	expect_eq "$n" 1 "$u"
done

begin "mm-unstable holds the two commits, with the review and the maintainer's sign-off"
tree="$DEMO/tree"
expect_eq "$(git -C "$tree" log --format=%s master..mm-unstable)" \
"mm/readahead: start async readahead halfway
mm/readahead: clamp the window to the maximum"
expect_eq "$(git -C "$tree" rev-parse mm-stable)" "$(git -C "$tree" rev-parse master)" \
	"mm-stable is untouched"
first=$(git -C "$tree" log --format=%B -1 mm-unstable~1)
expect_contains "$first" "Reviewed-by: Rita Reviewer <reviewer@$PB_DOMAIN>"
expect_contains "$first" "Signed-off-by: Andrew Maintainer <maintainer@$PB_DOMAIN>"
expect_eq "$(git -C "$tree" show mm-unstable:mm/readahead.c | grep -c 'size / 2;\|next < max ? next : max;')" 2 \
	"both changes are in the tree"
expect_contains "$out" "commit $(git -C "$tree" rev-parse mm-unstable)" "git log is shown"

begin "the demo says why the maintainer's command was trusted, and how to go on"
expect_contains "$out" "auth.requireDkim = false"
expect_eq "$(grep -c 'requireDkim = false' "$DEMO/config")" 1 "the configuration says so"
expect_contains "$out" "mutt -n -F $DEMO/mutt/maintainer.muttrc -H $DEMO/mutt/help.draft"
expect_contains "$out" "sh deploy/demo.sh stop"

begin "the printed mutt command line works: 'help' by hand"
before=$(mail_count maintainer)
HOME="$DEMO/mutt" mutt -n -F "$DEMO/mutt/maintainer.muttrc" -H "$DEMO/mutt/help.draft" </dev/null
expect_eq $? 0 "mutt sent it"
wait_for_mail maintainer $((before + 1)) 30
expect_eq $? 0 "patchbot answered"

begin "demo.sh stop stops the daemon and the mail stack"
pid=$(cat "$DEMO/patchbot.pid")
out=$(demo stop 2>&1)
expect_contains "$out" "stopped"
expect_eq "$(kill -0 "$pid" 2>/dev/null && echo running)" "" "the daemon"
expect_eq "$(sh "$MAILSTACK" pids "$STACK" | wc -l)" 0 "the mail stack"
expect_contains "$(tail -n 3 "$DEMO/patchbot.log")" "patchbot stopping"

finish
