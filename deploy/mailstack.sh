#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mailstack.sh: a real mail stack on loopback for patchbot's end-to-end tests
# and the local demo: postfix (SMTP) delivering over LMTP into dovecot (IMAP),
# both run as root from configuration written under one directory, with no
# edits to /etc and nothing leaving the machine.
#
#   sh deploy/mailstack.sh start DIR    write the configuration, start both,
#                                       wait until they listen, print the env
#   sh deploy/mailstack.sh stop DIR     stop exactly what start started
#   sh deploy/mailstack.sh env DIR      print DIR/env (shell assignments)
#   sh deploy/mailstack.sh status DIR   say what runs
#   sh deploy/mailstack.sh pids DIR     the pids of every process of the stack
#   sh deploy/mailstack.sh botconfig DIR FILE TEMPLATES
#                                       write a patchbot configuration for the
#                                       bot user of the running stack
#
# The mail domain is example.org.  Its users are bot, maintainer, submitter,
# reviewer and list, each with the password "pass".  Mail to
# list@example.org reaches both the list and the bot mailbox; USER+tag@
# reaches USER's INBOX.  Unknown users and other domains are refused at RCPT
# time (default_transport = error: nothing leaves the machine).
#
# The ports are free ones picked at random, or MAILSTACK_IMAP_PORT and
# MAILSTACK_SMTP_PORT when set.  `. DIR/env` gives PB_MAIL_DIR, PB_IMAP_PORT,
# PB_SMTP_PORT, PB_IMAP_URL, PB_SMTP_URL, PB_DOMAIN and PB_PASS.
#
# Under DIR: env; dovecot/ (dovecot.conf, passwd, the LMTP socket, run/ and
# state/); postfix/ (main.cf, master.cf, the vmailbox and valias tables);
# spool/ and spool-data/ (postfix's queue and data directories, kept out of
# postfix/ because `postfix check` wants everything there owned by root);
# mail/USER/Maildir (owned by nobody:nogroup); dovecot.log and postfix.log.
#
# DIR is created if missing and made mode 755; every directory above it must
# be searchable by others (the dovecot and postfix users walk it).  Keep DIR's
# absolute path short (at most 60 bytes): dovecot's unix sockets live under
# it, and a unix socket path is limited to about 100 bytes.
#
# Needs root and the packages of deploy/install-deps.sh.  The packages' own
# system daemons need not run; this stack uses none of their files.
set -eu

DOMAIN=example.org
PASS=pass
USERS="bot maintainer submitter reviewer list"
# Mail is stored as this unprivileged user, which exists on every Debian.
MAIL_USER=nobody
MAIL_GROUP=nogroup

die() {
	echo "mailstack: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 start|stop|env|status|pids DIR | botconfig DIR FILE TEMPLATES" >&2
	exit 2
}

# pid_alive PID: true if PID runs and is not a zombie.
pid_alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) ||
		return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# stack_pids: every live process whose working directory is under $DIR
# (all postfix daemons run in the queue directory, dovecot's in base_dir) or
# whose command line names $DIR (dovecot's instance name carries it).
stack_pids() {
	{
		find /proc -mindepth 2 -maxdepth 2 -name cwd \
			-lname "$DIR/*" 2>/dev/null | cut -d/ -f3
		pgrep -f "$DIR/" || true
	} | sort -un | while read -r pid; do
		[ "$pid" != "$$" ] && pid_alive "$pid" && echo "$pid"
	done
	return 0
}

# listening PORT: true if something listens on TCP 127.0.0.1:PORT.
listening() {
	[ -n "$(ss -Hltn "src 127.0.0.1 and sport = :$1" 2>/dev/null)" ]
}

# free_port: a random TCP port nobody uses on this machine.
free_port() {
	i=0
	while [ $i -lt 50 ]; do
		n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		port=$((20000 + n % 40000))
		if [ -z "$(ss -Hatn "sport = :$port" 2>/dev/null)" ]; then
			echo "$port"
			return 0
		fi
		i=$((i + 1))
	done
	die "no free port found"
}

dovecot_pid() {
	cat "$DIR/dovecot/run/master.pid" 2>/dev/null || true
}

postfix_pid() {
	sed -n 's/ //g;1p' "$DIR/spool/pid/master.pid" 2>/dev/null || true
}

write_config() {
	imap_port=$1
	smtp_port=$2
	uid=$(id -u "$MAIL_USER")
	gid=$(getent group "$MAIL_GROUP" | cut -d: -f3)
	[ -n "$gid" ] || die "no group $MAIL_GROUP"

	mkdir -p "$DIR/dovecot/run" "$DIR/dovecot/state" "$DIR/mail" \
		"$DIR/postfix" "$DIR/spool" "$DIR/spool-data"
	chmod 755 "$DIR" "$DIR/dovecot" "$DIR/dovecot/run" \
		"$DIR/dovecot/state" "$DIR/postfix" "$DIR/spool"
	chown "$uid:$gid" "$DIR/mail"
	chmod 750 "$DIR/mail"
	chown postfix:postfix "$DIR/spool-data"
	chmod 700 "$DIR/spool-data"

	# dovecot: users, one passwd-file for passdb and userdb.
	: >"$DIR/dovecot/passwd"
	chgrp dovecot "$DIR/dovecot/passwd"
	chmod 640 "$DIR/dovecot/passwd"
	for u in $USERS; do
		echo "$u:{PLAIN}$PASS:$uid:$gid::$DIR/mail/$u::"
	done >"$DIR/dovecot/passwd"

	cat >"$DIR/dovecot/dovecot.conf" <<EOF
# Written by deploy/mailstack.sh: dovecot for patchbot's loopback mail stack.
instance_name = mailstack:$DIR/dovecot
base_dir = $DIR/dovecot/run
state_dir = $DIR/dovecot/state
log_path = $DIR/dovecot.log
hostname = mail.$DOMAIN
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1s
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Ln $DIR/dovecot/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%Ln $DIR/dovecot/passwd
}
protocol lmtp {
  auth_username_format = %Ln
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  unix_listener $DIR/dovecot/lmtp {
    user = postfix
    group = postfix
    mode = 0600
  }
}
EOF

	# postfix: main.cf, master.cf and the two lookup tables.
	userlist=$(echo "$USERS" | tr ' ' '|')
	domre=$(echo "$DOMAIN" | sed 's/\./\\./g')
	cat >"$DIR/postfix/vmailbox" <<EOF
# Written by deploy/mailstack.sh: which addresses exist (the value is unused:
# dovecot decides where mail goes).
/^($userlist)(\\+[^@]*)?@$domre\$/ ok
EOF
	cat >"$DIR/postfix/valias" <<EOF
# Written by deploy/mailstack.sh: the list reaches its archive and the bot.
list@$DOMAIN list@$DOMAIN, bot@$DOMAIN
EOF
	cat >"$DIR/postfix/main.cf" <<EOF
# Written by deploy/mailstack.sh: postfix for patchbot's loopback mail stack.
compatibility_level = 3.6
queue_directory = $DIR/spool
data_directory = $DIR/spool-data
mail_owner = postfix
myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = $DOMAIN
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file = $DIR/postfix.log
maillog_file_prefixes = $DIR
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtputf8_enable = no
smtpd_peername_lookup = no
in_flow_delay = 0
recipient_delimiter = +
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = regexp:$DIR/postfix/vmailbox
virtual_alias_maps = texthash:$DIR/postfix/valias
virtual_transport = lmtp:unix:$DIR/dovecot/lmtp
default_transport = error:mail leaves no loopback test stack
relay_transport = error:mail leaves no loopback test stack
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
queue_run_delay = 2s
minimal_backoff_time = 1s
maximal_backoff_time = 5s
delay_warning_time = 0
# dovecot restarts in the tests: a delivery that connected to its LMTP
# socket as it went away waits for a greeting that never comes (300 s)
lmtp_lhlo_timeout = 10s
EOF
	cat >"$DIR/postfix/master.cf" <<EOF
# Written by deploy/mailstack.sh.  The only listener is 127.0.0.1:$smtp_port.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$smtp_port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

	cat >"$DIR/env" <<EOF
PB_MAIL_DIR=$DIR
PB_IMAP_PORT=$imap_port
PB_SMTP_PORT=$smtp_port
PB_IMAP_URL=imap://127.0.0.1:$imap_port
PB_SMTP_URL=smtp://127.0.0.1:$smtp_port
PB_DOMAIN=$DOMAIN
PB_PASS=$PASS
EOF
}

# try_start IMAP_PORT SMTP_PORT: start both; true once both listen.
try_start() {
	write_config "$1" "$2"
	: >"$DIR/dovecot.log"
	: >"$DIR/postfix.log"
	dovecot -c "$DIR/dovecot/dovecot.conf" ||
		{ echo "mailstack: dovecot did not start" >&2; return 1; }
	postfix -c "$DIR/postfix" start >>"$DIR/postfix.start.log" 2>&1 ||
		{ echo "mailstack: postfix did not start" >&2; return 1; }
	# Up to 20 s for both to listen and for the LMTP socket.
	i=0
	while [ $i -lt 200 ]; do
		if listening "$1" && listening "$2" &&
			[ -S "$DIR/dovecot/lmtp" ]; then
			return 0
		fi
		if [ $i -gt 10 ] && ! pid_alive "$(dovecot_pid)"; then
			echo "mailstack: dovecot exited" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "mailstack: timed out waiting for ports $1 and $2" >&2
	return 1
}

do_start() {
	[ "$(id -u)" -eq 0 ] || die "start needs root"
	for cmd in dovecot postfix ss; do
		command -v "$cmd" >/dev/null ||
			die "$cmd missing: run deploy/install-deps.sh"
	done
	if pid_alive "$(dovecot_pid)" || pid_alive "$(postfix_pid)"; then
		die "already running in $DIR (stop it first)"
	fi
	[ -z "$(stack_pids)" ] || die "processes still run in $DIR"
	# Every directory above DIR must let the mail users through.
	d=$(dirname "$DIR")
	while [ "$d" != / ]; do
		perm=$(stat -c %A "$d")
		case "$perm" in
		?????????x | ?????????t) ;;
		*) die "$d is not searchable by others (mode $perm)" ;;
		esac
		d=$(dirname "$d")
	done
	tries=1
	[ -z "${MAILSTACK_IMAP_PORT:-}${MAILSTACK_SMTP_PORT:-}" ] && tries=3
	[ "${MAILSTACK_IMAP_PORT:-x}" != "${MAILSTACK_SMTP_PORT:-y}" ] ||
		die "IMAP and SMTP need two ports"
	n=0
	while :; do
		imap=${MAILSTACK_IMAP_PORT:-$(free_port)}
		smtp=${MAILSTACK_SMTP_PORT:-$(free_port)}
		[ "$imap" != "$smtp" ] || continue
		if try_start "$imap" "$smtp"; then
			cat "$DIR/env"
			return 0
		fi
		n=$((n + 1))
		echo "mailstack: logs:" >&2
		tail -n 5 "$DIR/dovecot.log" "$DIR/postfix.log" \
			"$DIR/postfix.start.log" >&2 2>/dev/null || true
		do_stop >/dev/null 2>&1 || true
		# A port another program took meanwhile: pick new ones.
		[ $n -lt $tries ] || die "could not start the mail stack in $DIR"
	done
}

# wait_gone PID SECONDS: wait until PID is gone (zombies count as gone).
wait_gone() {
	i=0
	while pid_alive "$1"; do
		[ $i -lt $(($2 * 10)) ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

do_stop() {
	[ "$(id -u)" -eq 0 ] || die "stop needs root"
	status=0
	pf=$(postfix_pid)
	if pid_alive "$pf"; then
		postfix -c "$DIR/postfix" stop >/dev/null 2>&1 || kill "$pf" 2>/dev/null || true
		wait_gone "$pf" 10 || { echo "mailstack: postfix $pf still runs" >&2; status=1; }
	fi
	dv=$(dovecot_pid)
	if pid_alive "$dv"; then
		kill -TERM "$dv" 2>/dev/null || true
		wait_gone "$dv" 10 || { echo "mailstack: dovecot $dv still runs" >&2; status=1; }
	fi
	# Children leave once their master has gone; wait for them too.
	i=0
	while [ -n "$(stack_pids)" ]; do
		if [ $i -ge 100 ]; then
			echo "mailstack: still running in $DIR:" "$(stack_pids | tr '\n' ' ')" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ $status -eq 0 ] && echo "mailstack: stopped ($DIR)"
	return $status
}

do_status() {
	running=0
	dv=$(dovecot_pid)
	pf=$(postfix_pid)
	# shellcheck disable=SC1091
	[ -r "$DIR/env" ] && . "$DIR/env"
	if pid_alive "$dv"; then
		echo "dovecot: running, pid $dv, IMAP 127.0.0.1:${PB_IMAP_PORT:-?}"
		running=$((running + 1))
	else
		echo "dovecot: not running"
	fi
	if pid_alive "$pf"; then
		echo "postfix: running, pid $pf, SMTP 127.0.0.1:${PB_SMTP_PORT:-?}"
		running=$((running + 1))
	else
		echo "postfix: not running"
	fi
	echo "processes: $(stack_pids | tr '\n' ' ')"
	[ $running -eq 2 ]
}

# botconfig FILE TEMPLATES: patchbot's configuration for the bot user
# (plain IMAP and SMTP on loopback, no DKIM), its database beside FILE.
do_botconfig() {
	. "$DIR/env"
	cat >"$1" <<CONFIG
# patchbot configuration for the loopback mail stack in $DIR
[bot]
	address = bot@$PB_DOMAIN
	database = $(cd "$(dirname "$1")" && pwd)/state.db
	templates = $2
[imap]
	url = imap://127.0.0.1:$PB_IMAP_PORT/INBOX
	user = bot
	password = $PB_PASS
	tls = false
[smtp]
	url = smtp://127.0.0.1:$PB_SMTP_PORT
	tls = false
[list]
	address = list@$PB_DOMAIN
[maintainer]
	email = maintainer@$PB_DOMAIN
[auth]
	# a loopback stack has no DKIM; a real deployment keeps this on
	requireDkim = false
CONFIG
}

if [ "${1:-}" = botconfig ]; then
	[ $# -eq 4 ] || usage
	bc_file=$3
	bc_templates=$4
	set -- botconfig "$2"
fi
[ $# -eq 2 ] || usage
action=$1
case "$2" in
/*) DIR=$2 ;;
*) DIR=$(pwd)/$2 ;;
esac
DIR=${DIR%/}
if [ "$action" = start ]; then
	mkdir -p "$DIR"
	chmod 755 "$DIR"
fi
[ -d "$DIR" ] || die "no directory $DIR"
DIR=$(cd "$DIR" && pwd -P)
[ ${#DIR} -le 60 ] || die "$DIR is too long (keep it to 60 bytes: unix sockets live under it)"

case "$action" in
start) do_start ;;
stop) do_stop ;;
env) cat "$DIR/env" ;;
status) do_status ;;
pids) stack_pids ;;
botconfig) do_botconfig "$bc_file" "$bc_templates" ;;
*) usage ;;
esac
