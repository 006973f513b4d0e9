/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * subscribe: ask for a mail about every series that touches a file, a
 * folder, a glob or a C function.  A subscription belongs to the From
 * address; unless the receiving server authenticated it, it starts only
 * when the confirmation mailed to that address comes back (subs.h).
 */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "subs.h"
#include "util.h"

#define MAX_SPECS 20

/* Each argument is one PATH[:FUNCTION]; nobody subscribes someone else. */
static int subscribe_parse(struct cmd_args *a, struct buf *err)
{
	if (a->argc < 2) {
		buf_addf(err, "'%s' needs a path, e.g. mm/filemap.c:filemap_fault", a->argv[0]);
		return -1;
	}
	if (a->argc - 1 > MAX_SPECS) {
		buf_addf(err, "'%s' takes at most %d paths in one line", a->argv[0], MAX_SPECS);
		return -1;
	}
	for (int i = 1; i < a->argc; i++) {
		char *path, *func;

		if (strchr(a->argv[i], '@')) {
			buf_addf(err, "'%s' is an address: a subscription is always for the "
				      "sender's own address", a->argv[i]);
			return -1;
		}
		if (subs_parse_spec(a->argv[i], &path, &func, err))
			return -1;
		free(path);
		free(func);
	}
	return 0;
}

static enum cmd_result subscribe_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	enum cmd_result r = CMD_OK;
	bool deferred = false, elsewhere = !c->authenticated;

	for (int i = 1; i < a->argc; i++) {
		struct buf err = BUF_INIT(1024);
		char *path, *func, *spec;
		int64_t n;
		int added;

		if (subs_parse_spec(a->argv[i], &path, &func, &err))
			return CMD_ERROR; /* parse checked it already */
		spec = subs_spec(path, func);
		if (i > 1)
			buf_addch(c->out, '\n');
		n = subs_count(c->st, c->sender);
		if (n < 0) {
			r = CMD_ERROR;
			elsewhere = false;
			buf_addf(c->out, "%s: cannot read the subscriptions", spec);
		} else if (!c->authenticated) {
			int q = subs_request(c->st, c->cfg, c->m, c->msg_row, c->sender,
					     path, func, &err);

			if (q == -2) {
				buf_addf(c->out, "%s: cannot store the request", spec);
				r = CMD_ERROR;
				elsewhere = false;
			} else if (q < 0) {
				buf_addf(c->out, "%s: %s", spec, err.s);
				r = CMD_ERROR;
			} else {
				buf_addf(c->out, "%s: %s", spec, err.s);
				deferred = true;
			}
		} else if ((uint64_t)n >= c->cfg->sub_max_per_address) {
			buf_addf(c->out, "%s: <%s> has %lld subscriptions, the most one address "
				      "may hold (subscribe.maxPerAddress)", spec, c->sender,
				 (long long)n);
			r = CMD_ERROR;
		} else if ((added = subs_add(c->st, c->sender, path, func, c->msg_row)) < 0) {
			buf_addf(c->out, "%s: cannot store the subscription", spec);
			r = CMD_ERROR;
		} else {
			buf_addf(c->out, added ? "subscribed <%s> to %s" :
					 "<%s> was already subscribed to %s", c->sender, spec);
		}
		free(spec);
		free(path);
		free(func);
		buf_release(&err);
	}
	/* the confirmation, or the limit that held it back, is the answer */
	c->answered_elsewhere = elsewhere;
	return r == CMD_OK && deferred ? CMD_DEFERRED : r;
}

const struct command cmd_subscribe = {
	.name = "subscribe",
	.role = ROLE_ANYONE,
	.usage = "subscribe PATH[:FUNCTION]...",
	.summary = "mail me about series touching a file, folder, glob or function",
	.parse = subscribe_parse,
	.run = subscribe_run,
};
