/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queuecmd: shared steps of the queue commands (see queuecmd.h). */
#include "queuecmd.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

int qcmd_open(struct cmd_ctx *c, struct queue *q)
{
	struct buf err = BUF_INIT(4096);
	int r = queue_open(q, c->st, c->cfg, &err);

	if (r)
		buf_add(c->out, err.s, err.len);
	buf_release(&err);
	return r;
}

struct queue_who qcmd_who(const struct cmd_ctx *c)
{
	return (struct queue_who){
		.email = c->sender,
		.name = c->m->from.name,
		/* the mail's date, not the clock: replaying it gives the same ids */
		.when = c->m->date ? c->m->date : now_seconds(),
		.cause_id = c->msg_row,
	};
}

int qcmd_version(struct cmd_ctx *c, int64_t vid, int *version, char **title)
{
	sqlite3_stmt *s = store_stmt(c->st, "SELECT version, title FROM versions WHERE id = ?");
	int r = -1;

	*title = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, vid);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*version = sqlite3_column_int(s, 0);
		*title = xstrdup((const char *)sqlite3_column_text(s, 1));
		r = 0;
	}
	sqlite3_reset(s);
	return r;
}

int qcmd_queued(struct cmd_ctx *c, const struct cmd_args *a, int64_t *vid,
		char **branch)
{
	char *title = NULL;
	int version = 0;

	*branch = NULL;
	if (a->version) {
		*vid = c->version_id;
		*branch = queue_branch_of(c->st, *vid);
		if (*branch)
			return 0;
		qcmd_version(c, *vid, &version, &title);
		buf_addf(c->out, "v%d of '%s' is not queued", version, title ? title : "?");
		free(title);
		return -1;
	}
	*vid = queue_find_series(c->st, c->series_id, branch);
	if (*vid)
		return 0;
	qcmd_version(c, c->version_id, &version, &title);
	buf_addf(c->out, "no version of '%s' is queued", title ? title : "?");
	free(title);
	return -1;
}

int qcmd_rebuild(struct cmd_ctx *c, struct queue *q)
{
	struct buf why = BUF_INIT(8192);
	int r = queue_build(q, &why);

	if (r) {
		queue_rollback_savepoint(c->st);
		buf_add(c->out, why.s, why.len);
		buf_adds(c->out, "\nnothing was changed");
		buf_release(&why);
		return -1;
	}
	if (queue_release(c->st)) {
		buf_adds(c->out, "the database failed");
		buf_release(&why);
		return -1;
	}
	if (queue_update_refs(q, false, &why) < 0) {
		/* the state is right; start-up reconciliation repairs the refs */
		log_warnx("queue: %s", why.s);
	}
	buf_release(&why);
	return 0;
}

void qcmd_range(struct cmd_ctx *c, int64_t vid, struct buf *out)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT (SELECT count(*) FROM queue_commits WHERE version_id = ?1),"
		" substr(parent, 1, 12), substr(tip, 1, 12) FROM queue WHERE version_id = ?1");
	int n;

	if (!s)
		return;
	sqlite3_bind_int64(s, 1, vid);
	if (sqlite3_step(s) == SQLITE_ROW) {
		n = sqlite3_column_int(s, 0);
		if (n)
			buf_addf(out, "%s..%s (%d commit%s)",
				 (const char *)sqlite3_column_text(s, 1),
				 (const char *)sqlite3_column_text(s, 2), n, n == 1 ? "" : "s");
		else
			buf_adds(out, "no commits");
	}
	sqlite3_reset(s);
}
