/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue: put a version of the thread's series on top of a branch, in the
 * place of another version of it that is queued.  Each patch becomes one
 * commit; when one does not apply nothing changes.
 */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "notice.h"
#include "queuecmd.h"
#include "util.h"

static int queue_parse(struct cmd_args *a, struct buf *err)
{
	for (int i = 1; i < a->argc; i++) {
		int v = command_version_arg(a->argv[i]);

		if (v && !a->version)
			a->version = v;
		else if (!v && !a->branch)
			a->branch = a->argv[i];
		else {
			buf_addf(err, "'queue' takes one version and one branch, not also '%s'",
				 a->argv[i]);
			return -1;
		}
	}
	return 0;
}

/* Is vid complete?  If not, say so in out. */
static bool complete(struct cmd_ctx *c, int64_t vid, int version, const char *title)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT complete, total, (SELECT count(DISTINCT n) FROM patches"
		" WHERE version_id = v.id AND n BETWEEN 1 AND v.total) FROM versions v"
		" WHERE id = ?");
	bool ok = false;

	if (!s)
		return false;
	sqlite3_bind_int64(s, 1, vid);
	if (sqlite3_step(s) == SQLITE_ROW) {
		ok = sqlite3_column_int(s, 0) == 1;
		if (!ok)
			buf_addf(c->out, "v%d of '%s' is incomplete: %d of %d patches arrived",
				 version, title, sqlite3_column_int(s, 2),
				 sqlite3_column_int(s, 1));
	}
	sqlite3_reset(s);
	return ok;
}

static enum cmd_result queue_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	const struct strlist *br = &c->cfg->tree_branches;
	const char *branch = a->branch ? a->branch : br->v[br->nr - 1];
	struct queue_who who = qcmd_who(c);
	enum cmd_result r = CMD_ERROR;
	char *title = NULL, *old_branch = NULL, *old_title = NULL;
	int64_t vid = c->version_id, old, h1 = 0, h2;
	int version = 0, old_version = 0;
	struct queue q;

	if (queue_branch_index(c->cfg, branch) < 0) {
		buf_addf(c->out, "no branch '%s' in the queue; the branches are", branch);
		for (size_t i = 0; i < br->nr; i++)
			buf_addf(c->out, "%s '%s'", i ? "," : "", br->v[i]);
		return CMD_ERROR;
	}
	if (qcmd_version(c, vid, &version, &title) || !complete(c, vid, version, title)) {
		free(title);
		return CMD_ERROR;
	}
	if (qcmd_open(c, &q)) {
		free(title);
		return CMD_ERROR;
	}
	old = queue_find_series(c->st, c->series_id, &old_branch);
	if (old == vid) {
		if (!strcmp(old_branch, branch)) {
			buf_addf(c->out, "v%d of '%s' is already on '%s': ", version, title, branch);
			qcmd_range(c, vid, c->out);
			r = CMD_OK;
		} else {
			buf_addf(c->out, "v%d of '%s' is on '%s'; 'promote' moves it down the stack",
				 version, title, old_branch);
		}
		goto out;
	}
	if (old)
		qcmd_version(c, old, &old_version, &old_title);
	if (queue_savepoint(c->st))
		goto out;
	if (old && !a->branch) {
		/* the new version takes the old one's place on its branch */
		branch = old_branch;
		if (queue_replace(c->st, old, vid, &who))
			goto fail;
	} else if (old) {
		if (queue_remove(c->st, old) || queue_add(c->st, vid, branch, &who))
			goto fail;
	} else if (queue_add(c->st, vid, branch, &who)) {
		goto fail;
	}
	if (old) {
		char *d = xasprintf("v%d", version);

		h1 = queue_history_add(c->st, old, "superseded", old_branch, d, &who);
		free(d);
		if (h1 < 0)
			goto fail;
	}
	h2 = queue_history_add(c->st, vid, "queued", branch, "", &who);
	if (h2 < 0)
		goto fail;
	if (qcmd_rebuild(c, &q))
		goto out;
	buf_addf(c->out, "queued v%d of '%s' on '%s': ", version, title, branch);
	qcmd_range(c, vid, c->out);
	if (old)
		buf_addf(c->out, "; it takes the place of v%d", old_version);
	if (notice_queue(c->st, c->cfg, &(struct notice){
			.kind = "added", .version_id = vid, .branch = branch,
			.other_version = old_version, .cause_msgid = c->m->message_id,
			.cause_id = c->msg_row, .history_id = h2 }) ||
	    (old && notice_queue(c->st, c->cfg, &(struct notice){
			.kind = "superseded", .version_id = old, .branch = old_branch,
			.other_version = version, .cause_msgid = c->m->message_id,
			.cause_id = c->msg_row, .history_id = h1 })))
		goto out;
	r = CMD_OK;
	goto out;
fail:
	queue_rollback_savepoint(c->st);
	buf_adds(c->out, "the database failed; nothing was changed");
out:
	queue_close(&q);
	free(title);
	free(old_title);
	free(old_branch);
	return r;
}

const struct command cmd_queue = {
	.name = "queue",
	.role = ROLE_MAINTAINER,
	.needs = NEEDS_SERIES | NEEDS_AUTH,
	.usage = "queue [vN] [BRANCH]",
	.summary = "put this series on top of BRANCH, in place of a queued older version",
	.parse = queue_parse,
	.run = queue_run,
};
