/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * parse: find the command lines in the text a sender wrote.
 *
 * Commands are only in the sender's own text: not in quoted lines ("> "),
 * not in a top-posted reply's quoted part (from an "On ... wrote:" line or
 * an Outlook "-----Original Message-----" block down), not after a
 * signature separator ("-- "), not after a line that is just "thanks",
 * "quit" or "stop".  The prefixed form ("#patchbot queue v2") counts in the
 * signature block too (netdev's bots are driven from there), bare command
 * words there do not.
 *
 * Mail addressed to the bot may carry bare command lines (a line whose
 * first word is a known command name or alias); mail seen only through the
 * list must use the prefix, so that "drop the lock first" in a review is
 * never a command.
 */
#ifndef PATCHBOT_CMD_PARSE_H
#define PATCHBOT_CMD_PARSE_H

#include <stdbool.h>
#include <stddef.h>

struct cmdline {
	char *text;   /* the line as written, trimmed, rejoined if wrapped */
	char **argv;  /* words; argv[0] the command name, lowercased */
	size_t argc;  /* argv[argc] is NULL */
};

struct cmdlist {
	struct cmdline *items;
	size_t nr, alloc;
	size_t dropped; /* command lines beyond max_commands */
};

struct cmdparse_opts {
	const char *prefix;     /* e.g. "#patchbot" (matched case-insensitively) */
	bool bare_allowed;      /* the mail was addressed to the bot */
	/* Is word (lowercased) a command name or alias?  For bare lines. */
	bool (*is_command)(const char *word, void *payload);
	void *payload;
	bool format_flowed;     /* the text is format=flowed: unflow it first */
	bool delsp;             /* ... with DelSp=yes */
	size_t max_commands;    /* at most this many (0: 20) */
	size_t max_line;        /* longer lines are not commands (0: 1000) */
};

/* Never fails on any input; out must be zeroed.  Returns out->nr. */
size_t cmdparse(const char *text, size_t len, const struct cmdparse_opts *o,
		struct cmdlist *out);
void cmdlist_release(struct cmdlist *l);

#endif
