#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# reply-latency: time from a command mail accepted by postfix to patchbot's
# reply stored in the sender's mailbox, on the loopback mail stack, 20
# times; prints every figure, the median and the worst.  Needs root and
# deploy/install-deps.sh.  Usage: sh bench/reply-latency.sh BUILD_DIR
PATCHBOT=${1:-build}/bot/patchbot
[ -x "$PATCHBOT" ] || { echo "usage: $0 BUILD_DIR (with bot/patchbot built)"; exit 2; }
PATCHBOT=$(cd "$(dirname "$PATCHBOT")" && pwd)/patchbot
export PATCHBOT
. "$(dirname "$0")/../tests/lib.sh"
. "$(dirname "$0")/../tests/lib-mail.sh"

mailstack_up
write_bot_config "$TEST_TMP/config" "[limits]
	repliesPerSender = 1000"
"$PATCHBOT" -c "$TEST_TMP/config" run >"$TEST_TMP/daemon.log" 2>&1 &
daemon=$!
until grep -q "IMAP: reading" "$TEST_TMP/daemon.log"; do sleep 0.1; done

times=
for i in $(seq 1 20); do
	send_reply "Rita <reviewer@$PB_DOMAIN>" "bot@$PB_DOMAIN" "help $i" "" "" "help" >/dev/null
	# mutt returns once postfix has accepted the mail
	t0=$(date +%s%N)
	while [ "$(mail_count reviewer)" -lt "$i" ]; do sleep 0.02; done
	ms=$(ms_since "$t0")
	times="$times $ms"
	echo "reply $i: $ms ms"
done
kill "$daemon"
wait "$daemon"
echo "$times" | tr ' ' '\n' | grep . | sort -n | awk '
	{ v[NR] = $1 }
	END { printf "median %d ms, worst %d ms, best %d ms (n=%d)\n",
		(NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], v[1], NR }'
