/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unsubscribe: end subscriptions of the sender's address, or all of them.
 * A forged From could end someone else's, so this needs an authenticated
 * sender; everyone else has the one-click address in every notice.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "subs.h"
#include "util.h"

static int unsubscribe_parse(struct cmd_args *a, struct buf *err)
{
	if (a->argc < 2) {
		buf_addf(err, "'%s' needs a path or 'all'", a->argv[0]);
		return -1;
	}
	for (int i = 1; i < a->argc; i++) {
		char *path, *func;

		if (!strcasecmp(a->argv[i], "all") && a->argc == 2)
			return 0;
		if (subs_parse_spec(a->argv[i], &path, &func, err))
			return -1;
		free(path);
		free(func);
	}
	return 0;
}

static enum cmd_result unsubscribe_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	enum cmd_result r = CMD_OK;

	if (!c->authenticated) {
		buf_addf(c->out, "the receiving server did not confirm a DKIM or DMARC pass "
				 "for <%s>, so patchbot cannot tell that this mail is yours: "
				 "send any mail to the unsubscribe address in a notice instead",
			 c->sender);
		return CMD_ERROR;
	}
	if (!strcasecmp(a->argv[1], "all")) {
		int n = subs_remove(c->st, c->sender, NULL, NULL);

		if (n < 0)
			return CMD_ERROR;
		buf_addf(c->out, "removed all %d subscriptions of <%s>", n, c->sender);
		return CMD_OK;
	}
	for (int i = 1; i < a->argc; i++) {
		struct buf err = BUF_INIT(1024);
		char *path, *func, *spec;
		int n;

		if (subs_parse_spec(a->argv[i], &path, &func, &err))
			return CMD_ERROR;
		spec = subs_spec(path, func);
		n = subs_remove(c->st, c->sender, path, func);
		if (i > 1)
			buf_addch(c->out, '\n');
		if (n < 0) {
			r = CMD_ERROR;
		} else if (!n) {
			buf_addf(c->out, "<%s> is not subscribed to %s", c->sender, spec);
			r = CMD_ERROR;
		} else {
			buf_addf(c->out, "unsubscribed <%s> from %s", c->sender, spec);
		}
		free(spec);
		free(path);
		free(func);
		buf_release(&err);
	}
	return r;
}

const struct command cmd_unsubscribe = {
	.name = "unsubscribe",
	.role = ROLE_ANYONE,
	.usage = "unsubscribe PATH[:FUNCTION]... | unsubscribe all",
	.summary = "end subscriptions (needs an authenticated sender)",
	.parse = unsubscribe_parse,
	.run = unsubscribe_run,
};
