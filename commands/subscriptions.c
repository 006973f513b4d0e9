/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * subscriptions: list the sender's subscriptions, each with its one-click
 * unsubscribe address.  The answer goes to the From address, so a forged
 * From shows the list to its owner only.
 */
#include <string.h>

#include "command.h"
#include "util.h"

static enum cmd_result subscriptions_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT path, func, token FROM subscriptions WHERE address = ?"
		" ORDER BY path, func");
	const char *bot = c->cfg->bot_address, *at = strrchr(bot, '@');
	int n = 0;

	(void)a;
	if (!s || !at)
		return CMD_ERROR;
	store_bind_text(s, 1, c->sender);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *func = (const char *)sqlite3_column_text(s, 1);

		if (!n++)
			buf_addf(c->out, "<%s> is subscribed to:\n", c->sender);
		buf_addf(c->out, "  %s%s%s  (stop: %.*s+unsubscribe-%s%s)\n",
			 sqlite3_column_text(s, 0), *func ? ":" : "", func,
			 (int)(at - bot), bot, sqlite3_column_text(s, 2), at);
	}
	sqlite3_reset(s);
	if (!n)
		buf_addf(c->out, "<%s> has no subscriptions", c->sender);
	return CMD_OK;
}

const struct command cmd_subscriptions = {
	.name = "subscriptions",
	.role = ROLE_ANYONE,
	.usage = "subscriptions",
	.summary = "list your subscriptions",
	.run = subscriptions_run,
};
