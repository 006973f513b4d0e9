/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * try: does this series (version N) apply on top of the stack?  It is
 * applied on a scratch ref, refs/patchbot/try, not on a queue branch, and
 * the reply names the patch, file and hunk that fail.
 */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "queuecmd.h"
#include "util.h"

static enum cmd_result try_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	const struct strlist *br = &c->cfg->tree_branches;
	struct queue_who who = qcmd_who(c);
	struct buf why = BUF_INIT(8192);
	enum cmd_result r = CMD_ERROR;
	char *title = NULL, *on;
	git_reference *ref = NULL;
	int version = 0, b;
	struct queue q;
	git_oid tip;

	(void)a;
	if (qcmd_version(c, c->version_id, &version, &title) || qcmd_open(c, &q)) {
		free(title);
		return CMD_ERROR;
	}
	on = queue_branch_of(c->st, c->version_id);
	if (on) {
		buf_addf(c->out, "v%d of '%s' is queued on '%s', so it applies", version,
			 title, on);
		r = CMD_OK;
		goto out;
	}
	/* nothing of a try stays in the state */
	if (queue_savepoint(c->st))
		goto out;
	b = queue_try(&q, c->version_id, &who, &tip, &why);
	queue_rollback_savepoint(c->st);
	if (b) {
		buf_add(c->out, why.s, why.len);
		goto out;
	}
	if (git_reference_create(&ref, q.repo, "refs/patchbot/try", &tip, 1,
				 "patchbot: try") < 0)
		buf_addf(c->out, "v%d of '%s' applies on top of '%s' (at %.12s)", version,
			 title, br->v[br->nr - 1], git_oid_tostr_s(&tip));
	else
		buf_addf(c->out, "v%d of '%s' applies on top of '%s': refs/patchbot/try is"
				 " at %.12s", version, title, br->v[br->nr - 1],
			 git_oid_tostr_s(&tip));
	git_reference_free(ref);
	r = CMD_OK;
out:
	queue_close(&q);
	free(on);
	free(title);
	buf_release(&why);
	return r;
}

const struct command cmd_try = {
	.name = "try",
	.role = ROLE_ANYONE,
	.needs = NEEDS_SERIES,
	.usage = "try [vN]",
	.summary = "check that this series applies on top of the queue",
	.run = try_run,
};
