#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# genman.sh: make a man page from its hand-written source (doc/*.in) and
# the program's own tables, so that the page cannot drift from --help.
#
#   patchbot help config --tsv   | sh doc/genman.sh doc/patchbot-config.5.in
#   patchbot help commands --tsv | sh doc/genman.sh doc/patchbot-commands.7.in
#
# The source is copied to standard output; its line @CONFIG_KEYS@ becomes one
# entry per configuration key (key, type, default, meaning; a subsection per
# [section]), its line @COMMANDS@ one entry per mail command (usage, who may,
# summary).  The tab-separated input is what `patchbot help ... --tsv`
# prints.  Text from the tables is escaped for roff.
set -eu
[ $# -eq 1 ] || { echo "usage: genman.sh SOURCE.in <TSV" >&2; exit 2; }
[ -r "$1" ] || { echo "genman: cannot read '$1'" >&2; exit 1; }
tsv=$(cat)
[ -n "$tsv" ] || { echo "genman: no table on standard input" >&2; exit 1; }
printf '%s\n' "$tsv" | awk -F '\t' -v src="$1" '
	# roff-safe text: backslashes, and no control character at a line start
	function esc(s) {
		gsub(/\\/, "\\e", s)
		if (s ~ /^[.'"'"']/)
			s = "\\&" s
		return s
	}
	# literal text (keys, values, command lines): hyphens are minus signs
	function code(s) {
		s = esc(s)
		gsub(/-/, "\\-", s)
		return s
	}
	{ nr++; for (i = 1; i <= 4; i++) f[nr, i] = $i
	  if (NF != 4) { printf "genman: line %d has %d fields, not 4\n", NR, NF > "/dev/stderr"; bad = 1 } }
	END {
		if (bad)
			exit 1
		while ((getline line < src) > 0) {
			if (line == "@CONFIG_KEYS@") {
				section = ""
				for (r = 1; r <= nr; r++) {
					key = f[r, 1]
					s = key; sub(/\..*/, "", s)
					if (s != section) {
						section = s
						printf ".SS [%s]\n", code(s)
					}
					print ".TP"
					printf "\\fB%s\\fR (\\fI%s\\fR", code(key), esc(f[r, 2])
					if (f[r, 3] != "-")
						printf ", default \\fB%s\\fR", code(f[r, 3])
					print ")"
					print esc(f[r, 4]) "."
				}
				keys = 1
			} else if (line == "@COMMANDS@") {
				for (r = 1; r <= nr; r++) {
					print ".TP"
					printf "\\fB%s\\fR \\(em %s\n", code(f[r, 2]), esc(f[r, 3])
					print esc(f[r, 4]) "."
				}
				commands = 1
			} else {
				print line
			}
		}
		if (!keys && !commands) {
			printf "genman: %s has neither @CONFIG_KEYS@ nor @COMMANDS@\n", src > "/dev/stderr"
			exit 1
		}
	}'
