/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * list and pending: the queue by mail, no thread needed.  `list` shows the
 * stack branch by branch; `pending` the complete series not yet queued,
 * so that a maintainer can run the queue from a mail client alone.
 */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "queueshow.h"
#include "queuecmd.h"
#include "util.h"

static int list_parse(struct cmd_args *a, struct buf *err)
{
	if (a->argc > 2) {
		buf_addf(err, "'list' takes one branch, not also '%s'", a->argv[2]);
		return -1;
	}
	if (a->argc == 2)
		a->branch = a->argv[1];
	return 0;
}

static enum cmd_result list_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	char base[GIT_OID_HEXSZ + 1];
	int r;

	if (a->branch && queue_branch_index(c->cfg, a->branch) < 0) {
		buf_addf(c->out, "no branch '%s' in the queue", a->branch);
		return CMD_ERROR;
	}
	queue_base_hex(c->st, c->cfg, base);
	r = queue_describe(c->st, c->cfg, *base ? base : NULL, a->branch, c->out);
	return r ? CMD_ERROR : CMD_OK;
}

static int pending_parse(struct cmd_args *a, struct buf *err)
{
	if (a->argc > 1) {
		buf_addf(err, "'pending' takes no argument '%s'", a->argv[1]);
		return -1;
	}
	return 0;
}

static enum cmd_result pending_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	(void)a;
	buf_adds(c->out, "complete series not queued, oldest first:\n");
	return queue_describe_pending(c->st, c->out) ? CMD_ERROR : CMD_OK;
}

const struct command cmd_list = {
	.name = "list",
	.role = ROLE_ANYONE,
	.usage = "list [BRANCH]",
	.summary = "show the queue, branch by branch",
	.parse = list_parse,
	.run = list_run,
};

const struct command cmd_pending = {
	.name = "pending",
	.role = ROLE_ANYONE,
	.usage = "pending",
	.summary = "show the complete series not yet queued",
	.parse = pending_parse,
	.run = pending_run,
};
