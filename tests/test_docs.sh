#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_docs: the README, the man pages and deploy/config.example must not
# drift from the program: every configuration key, every subcommand and
# every mail command patchbot knows is documented in each place, and the
# man pages render without warnings and are installed.
. "$(dirname "$0")/lib.sh"

src=${PATCHBOT_SRCDIR:-$(dirname "$0")/..}
keys=$("$PATCHBOT" help config | awk '{ print $1 }')
build=${PATCHBOT_BUILDDIR:-$(dirname "$PATCHBOT")/..}
commands=$("$PATCHBOT" help commands --tsv | cut -f1)
subcommands=$("$PATCHBOT" --help | awk '/^subcommands:/ { on = 1; next } on && !NF { exit } on { print $1 }')

begin "every configuration key is in the README's reference"
missing=
for k in $keys; do
	grep -q "| \`$k\` |" "$src/README.md" || missing="$missing $k"
done
expect_eq "$missing" ""

begin "every configuration key is in deploy/config.example, in its section"
missing=
for k in $keys; do
	section=${k%%.*}
	name=${k#*.}
	awk -v s="[$section]" -v n="$name" '
		/^\[/ { in_s = (tolower($0) == tolower(s)) }
		in_s && tolower($0) ~ "^[ \t]*#?" tolower(n) " =" { found = 1 }
		END { exit !found }' "$src/deploy/config.example" || missing="$missing $k"
done
expect_eq "$missing" ""

begin "every subcommand is in the README and the man page"
missing=
for s in $subcommands; do
	grep -q "^| \`$s" "$src/README.md" || missing="$missing README:$s"
	grep -q "^\.BR* $s\|^\.B $s\|^\.BR \"$s" "$src/doc/patchbot.1" || missing="$missing man:$s"
done
expect_eq "$missing" ""

begin "every subcommand has --help"
bad=
for s in $subcommands; do
	"$PATCHBOT" "$s" --help >/dev/null 2>&1 || bad="$bad $s"
done
expect_eq "$bad" ""

begin "help --tsv has the keys and commands of the human-readable help"
expect_eq "$("$PATCHBOT" help config --tsv | cut -f1)" "$keys" "keys"
expect_eq "$("$PATCHBOT" help commands --tsv | awk -F '\t' 'NF != 4' | wc -l)" 0 "four fields a command"
expect_eq "$(echo "$commands" | wc -l)" "$("$PATCHBOT" help commands | wc -l)" "commands"
expect_contains "$commands" "queue"

begin "every configuration key is in patchbot-config(5), with its default"
missing=
"$PATCHBOT" help config --tsv >"$TEST_TMP/keys.tsv"
while IFS="$(printf '\t')" read -r k type def help; do
	line=$(grep -F "\\fB$k\\fR (" "$build/doc/patchbot-config.5") || { missing="$missing $k"; continue; }
	[ "$def" = - ] && continue
	def_roff=$(printf '%s' "$def" | sed 's/-/\\-/g')
	case "$line" in
	*"default \\fB$def_roff\\fR"*) ;;
	*) missing="$missing $k(default)" ;;
	esac
done <"$TEST_TMP/keys.tsv"
expect_eq "$missing" ""

begin "every mail command is in patchbot-commands(7) and in the README's command table"
missing=
for c in $commands; do
	grep -q "^\\\\fB$c[ \\\\]" "$build/doc/patchbot-commands.7" || missing="$missing man:$c"
	grep -q "^| \`$c[\` ]" "$src/README.md" || missing="$missing README:$c"
done
expect_eq "$missing" ""

begin "the examples in patchbot-commands(7) use only commands patchbot knows"
unknown=
used=$(sed -n 's/^#patchbot \([a-z]*\).*/\1/p' "$src/doc/patchbot-commands.7.in" | sort -u)
for w in $used; do
	echo "$commands" | grep -qx "$w" || unknown="$unknown $w"
done
expect_eq "$unknown" ""
expect_eq "$([ "$(echo "$used" | wc -w)" -ge 5 ] && echo enough)" enough "examples of several commands"

begin "the man pages render without warnings"
for page in "$src/doc/patchbot.1" "$build/doc/patchbot-config.5" \
	"$build/doc/patchbot-commands.7"; do
	name=$(basename "$page")
	expect_eq "$(groff -man -ww -z "$page" 2>&1)" "" "groff -ww $name"
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>"$TEST_TMP/man.err")
	expect_eq "$(cat "$TEST_TMP/man.err")" "" "man -l $name"
	expect_contains "$out" "NAME" "man -l $name renders"
done
expect_contains "$(MANWIDTH=80 man -l "$build/doc/patchbot-config.5" 2>&1)" \
	"subscribe.confirmationsPerHour" "a key as a reader sees it"

begin "make install installs the three man pages"
rm -rf "$TEST_TMP/inst"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$build" install-man \
	DESTDIR="$TEST_TMP/inst" >"$TEST_TMP/install.log" 2>&1
expect_eq $? 0 "make install-man"
for p in man1/patchbot.1 man5/patchbot-config.5 man7/patchbot-commands.7; do
	found=$(find "$TEST_TMP/inst" -path "*/man/$p" | head -n 1)
	expect_eq "$([ -s "$found" ] && echo installed)" installed "$p"
done

begin "the keys docs/deploy.md names exist"
sections=$(echo "$keys" | cut -d. -f1 | sort -u | paste -sd'|')
named=$(grep -oE '`('"$sections"')\.[A-Za-z]+' "$src/docs/deploy.md" | tr -d '`' | sort -u)
unknown=
for k in $named; do
	echo "$keys" | grep -qx "$k" || unknown="$unknown $k"
done
expect_eq "$unknown" ""
expect_eq "$([ "$(echo "$named" | wc -w)" -ge 10 ] && echo many)" many "it names keys"
expect_contains "$(cat "$src/README.md")" "(docs/deploy.md)" "the README links it"

begin "deploy/patchbot.service is a valid, hardened unit"
if command -v systemd-analyze >/dev/null; then
	# verify wants ExecStart to exist: point it at the binary under test
	sed "s|/usr/local/bin/patchbot|$PATCHBOT|" "$src/deploy/patchbot.service" \
		>"$TEST_TMP/patchbot.service"
	expect_eq "$(systemd-analyze verify "$TEST_TMP/patchbot.service" 2>&1)" "" "systemd-analyze verify"
	exposure=$(systemd-analyze security --offline=true "$TEST_TMP/patchbot.service" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "# exposure level $exposure (0 is best, 10 worst)"
	expect_eq "$(awk -v e="${exposure:-99}" 'BEGIN { print (e <= 2.0) ? "low" : "high: " e }')" low \
		"systemd-analyze security"
else
	echo "# systemd-analyze is missing: unit not checked"
fi
expect_contains "$(cat "$src/deploy/patchbot.service")" "ExecStart=/usr/local/bin/patchbot -c /etc/patchbot/config run"

finish
