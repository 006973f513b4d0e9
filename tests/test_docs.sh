#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_docs: the README, the man page and deploy/config.example must not
# drift from the program: every configuration key and every subcommand
# patchbot knows is documented in each place.
. "$(dirname "$0")/lib.sh"

src=${PATCHBOT_SRCDIR:-$(dirname "$0")/..}
keys=$("$PATCHBOT" help config | awk '{ print $1 }')
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

finish
