/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * command: the mail command language as data (after tmux's cmd_entry and
 * git's command table).  Each command is one file in commands/ holding one
 * `const struct command`; table.c lists them.  The dispatcher enforces
 * .role and .needs before .run, and `help` is printed from the table.
 */
#ifndef PATCHBOT_COMMAND_H
#define PATCHBOT_COMMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "mail.h"
#include "store.h"

enum cmd_role {
	ROLE_ANYONE,
	ROLE_SUBMITTER,  /* the series' author, or a maintainer */
	ROLE_MAINTAINER, /* listed in maintainer.email */
};

enum cmd_needs {
	NEEDS_SERIES = 1 << 0,  /* the thread must belong to a series */
	NEEDS_AUTH = 1 << 1,    /* From must be authenticated (see auth.h) */
};

enum cmd_result {
	CMD_OK,
	CMD_ERROR,
	CMD_DEFERRED,    /* accepted, carried out later */
};

/* What a command's arguments said, filled by its parse function. */
struct cmd_args {
	int argc;
	char **argv;        /* argv[0] is the command name */
	int version;        /* from a "vN" argument, 0 when none */
	const char *branch; /* a branch argument, or NULL */
	char *text;         /* free text (a reason), or NULL; owned */
};

/* Everything a command may look at while it runs. */
struct cmd_ctx {
	struct store *st;
	const struct config *cfg;
	const struct mail *m;     /* the command mail */
	int64_t msg_row;          /* its messages.id */
	const char *sender;       /* its From address, lowercased */
	bool maintainer;          /* sender is in maintainer.email */
	bool authenticated;       /* From passed auth (or auth is off) */
	int64_t thread_version;   /* versions.id of the thread, 0 if none */
	int64_t series_id;        /* resolved when NEEDS_SERIES */
	int64_t version_id;       /* the version the command acts on */
	const char *templates;    /* folder of templates */
	struct buf *out;          /* the result text for the transcript */
	/*
	 * Set by a command whose answer went out otherwise (a subscription
	 * confirmation) or must not go out at all (held back by a limit
	 * against mail bombing).  When every command of a mail sets it, no
	 * transcript is sent: to an unauthenticated, maybe forged, address
	 * it would be one more mail the limits are there to stop.
	 */
	bool answered_elsewhere;
};

struct command {
	const char *name;
	const char *const *aliases; /* NULL-terminated, or NULL */
	enum cmd_role role;
	unsigned needs;
	const char *usage;
	const char *summary;
	/* Check and take the arguments; -1 with a reason in err. May be NULL
	 * (then only a "vN" argument is accepted). */
	int (*parse)(struct cmd_args *a, struct buf *err);
	enum cmd_result (*run)(struct cmd_ctx *c, const struct cmd_args *a);
};

/* The table (table.c), NULL-terminated. */
extern const struct command *const command_table[];
/* The table lookups and help use: command_table, except in unit tests. */
extern const struct command *const *commands_active;

/* The command named or aliased by word (lowercase), or NULL. */
const struct command *command_find(const char *word);
/* The command name nearest to word (for "did you mean"), or NULL. */
const char *command_nearest(const char *word);
/* Is word a command name or alias?  (For the bare-line parser.) */
bool command_is_known(const char *word, void *payload);
/* Parse a "vN" word: N, or 0 when word is not one. */
int command_version_arg(const char *word);

#endif
