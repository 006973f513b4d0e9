/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * promote: move the thread's queued series to the branch below its own
 * (mm-unstable to mm-stable); the branches above are rebuilt on top.
 */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "notice.h"
#include "queuecmd.h"
#include "util.h"

static enum cmd_result promote_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct queue_who who = qcmd_who(c);
	enum cmd_result r = CMD_ERROR;
	char *from = NULL, *title = NULL;
	const char *to;
	int64_t vid, h;
	int version = 0, i;
	struct queue q;

	if (qcmd_queued(c, a, &vid, &from))
		return CMD_ERROR;
	qcmd_version(c, vid, &version, &title);
	i = queue_branch_index(c->cfg, from);
	if (i <= 0) {
		buf_addf(c->out, i ? "v%d of '%s' is on '%s', which is not a queue branch" :
				     "v%d of '%s' is already on the bottom branch '%s'",
			 version, title, from);
		goto out_free;
	}
	to = c->cfg->tree_branches.v[i - 1];
	if (qcmd_open(c, &q))
		goto out_free;
	if (queue_savepoint(c->st))
		goto out;
	h = queue_history_add(c->st, vid, "moved", to, from, &who);
	if (h < 0 || queue_move(c->st, vid, to)) {
		queue_rollback_savepoint(c->st);
		buf_adds(c->out, "the database failed; nothing was changed");
		goto out;
	}
	if (qcmd_rebuild(c, &q))
		goto out;
	buf_addf(c->out, "moved v%d of '%s' from '%s' to '%s': ", version, title, from, to);
	qcmd_range(c, vid, c->out);
	if (notice_queue(c->st, c->cfg, &(struct notice){
			.kind = "moved", .version_id = vid, .branch = to,
			.from_branch = from, .cause_msgid = c->m->message_id,
			.cause_id = c->msg_row, .history_id = h }))
		goto out;
	r = CMD_OK;
out:
	queue_close(&q);
out_free:
	free(from);
	free(title);
	return r;
}

const struct command cmd_promote = {
	.name = "promote",
	.role = ROLE_MAINTAINER,
	.needs = NEEDS_SERIES | NEEDS_AUTH,
	.usage = "promote [vN]",
	.summary = "move this series to the branch below its own",
	.run = promote_run,
};
