/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fold: squash a small follow-up patch ("mm/foo: fix build warning in the
 * new helper"), the mail this command replies to, into the queued patch
 * it fixes: the patch the follow-up replies to, or the one named by
 * subject or Message-ID.  The fold is recorded in sqlite (queue_folds)
 * and the branch is rebuilt from that commit up; the commit keeps its
 * author and gains the fixer (see folded_into() in bot/queue.c).  When
 * the fix-up does not apply, nothing changes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apply.h"
#include "command.h"
#include "notice.h"
#include "queuecmd.h"
#include "util.h"

/* The follow-up: the patch mail the command replies to. */
struct followup {
	int64_t msg_row, patch_id, version_id;
	char *message_id, *title, *diff, *name, *email, *in_reply_to, *refs;
};

/* The queued patch it goes into. */
struct target {
	int64_t patch_id, version_id;
	int n, total, version;
	char *title, *series_title;
};

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

static void followup_release(struct followup *f)
{
	free(f->message_id);
	free(f->title);
	free(f->diff);
	free(f->name);
	free(f->email);
	free(f->in_reply_to);
	free(f->refs);
}

static void target_release(struct target *t)
{
	free(t->title);
	free(t->series_title);
}

static int fold_parse(struct cmd_args *a, struct buf *err)
{
	struct buf text = BUF_INIT(4096);

	(void)err;
	for (int i = 1; i < a->argc; i++)
		buf_addf(&text, "%s%s", text.len ? " " : "", a->argv[i]);
	if (text.len)
		a->text = buf_detach(&text, NULL);
	buf_release(&text);
	return 0;
}

/* Load the follow-up patch mail named by msgid; 0, or -1 when it is none. */
static int load_followup(struct cmd_ctx *c, const char *msgid, struct followup *f)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT m.id, p.id, p.version_id, m.message_id, p.title, d.diff,"
		" m.from_name, m.from_email, coalesce(m.in_reply_to, ''), m.refs,"
		" p.changelog FROM messages m JOIN patches p ON p.message_id = m.id"
		" JOIN patch_diffs d ON d.patch_id = p.id WHERE m.message_id = ?");
	int r = -1;

	memset(f, 0, sizeof(*f));
	if (!s || !msgid)
		return -1;
	store_bind_text(s, 1, msgid);
	if (sqlite3_step(s) == SQLITE_ROW) {
		struct apply_patch p = {
			.title = col(s, 4), .changelog = col(s, 10),
			.from_name = col(s, 6), .from_email = col(s, 7),
		};
		struct apply_ident who = { .email = "" };
		char *msg;

		f->msg_row = sqlite3_column_int64(s, 0);
		f->patch_id = sqlite3_column_int64(s, 1);
		f->version_id = sqlite3_column_int64(s, 2);
		f->message_id = xstrdup(col(s, 3));
		f->title = xstrdup(col(s, 4));
		f->diff = xstrdup(col(s, 5));
		f->in_reply_to = xstrdup(col(s, 8));
		f->refs = xstrdup(col(s, 9));
		/* the author as `git am` reads it: an in-body From: wins */
		msg = apply_message(&p, &who, &f->name, &f->email);
		free(msg);
		r = 0;
	}
	sqlite3_reset(s);
	return r;
}

/*
 * The queued patch whose mail (or cover letter) has Message-ID msgid.
 * 1 found, 0 none, -1 when it is the cover of a queued series of several
 * patches (the reason in c->out).
 */
static int queued_patch_by_msgid(struct cmd_ctx *c, const char *msgid, struct target *t)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT p.version_id, p.n, p.total FROM messages m JOIN patches p"
		" ON p.message_id = m.id JOIN queue q ON q.version_id = p.version_id"
		" WHERE m.message_id = ?1 UNION ALL"
		" SELECT v.id, 1, v.total FROM messages m JOIN versions v ON v.cover_id = m.id"
		" JOIN queue q ON q.version_id = v.id WHERE m.message_id = ?1");
	int r = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, msgid);
	if (sqlite3_step(s) == SQLITE_ROW) {
		t->version_id = sqlite3_column_int64(s, 0);
		t->n = sqlite3_column_int(s, 1);
		t->total = sqlite3_column_int(s, 2);
		r = 1;
	}
	sqlite3_reset(s);
	if (r == 1 && t->total > 1 && t->n == 1) {
		/* a cover letter names the series, not one of its patches */
		s = store_stmt(c->st, "SELECT 1 FROM versions v JOIN messages m"
				      " ON m.id = v.cover_id WHERE m.message_id = ?");
		if (!s)
			return -1;
		store_bind_text(s, 1, msgid);
		if (store_int(c->st, s, 0) == 1) {
			buf_addf(c->out, "<%s> is the cover letter of a series of %d patches;"
					 " name the patch to fold into: fold SUBJECT", msgid,
				 t->total);
			return -1;
		}
	}
	return r;
}

/* The queued patch whose title is title (case-insensitive): 1, 0, -1. */
static int queued_patch_by_title(struct cmd_ctx *c, const char *title, struct target *t)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT DISTINCT p.version_id, p.n, p.total FROM patches p"
		" JOIN queue q ON q.version_id = p.version_id"
		" WHERE p.title = ? COLLATE NOCASE AND p.n BETWEEN 1 AND p.total");
	int nr = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, title);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (!nr++) {
			t->version_id = sqlite3_column_int64(s, 0);
			t->n = sqlite3_column_int(s, 1);
			t->total = sqlite3_column_int(s, 2);
		}
	}
	sqlite3_reset(s);
	if (nr > 1) {
		buf_addf(c->out, "%d queued patches have the subject '%s'; name one by"
				 " its Message-ID", nr, title);
		return -1;
	}
	return nr;
}

/* Settle the target; 0, or -1 with the reason in c->out. */
static int find_target(struct cmd_ctx *c, const char *into, const struct followup *f,
		       struct target *t)
{
	sqlite3_stmt *s;
	int r = 0;

	memset(t, 0, sizeof(*t));
	if (into) {
		size_t len = strlen(into);

		if (!strchr(into, ' ') && strchr(into, '@')) {
			char *id = xstrndup(into + (*into == '<'),
					    len - (*into == '<') - (into[len - 1] == '>'));

			r = queued_patch_by_msgid(c, id, t);
			if (!r)
				buf_addf(c->out, "<%s> is not a patch of a queued series", id);
			free(id);
		} else {
			const char *title = into;

			/* "[PATCH v2 1/3] title" as copied from a subject */
			if (*title == '[' && strchr(title, ']'))
				title = strchr(title, ']') + 1;
			while (*title == ' ')
				title++;
			r = queued_patch_by_title(c, title, t);
			if (!r)
				buf_addf(c->out, "no queued patch has the subject '%s'", title);
		}
		if (r <= 0)
			return -1;
	} else {
		/* the patch the follow-up replies to, nearest first */
		struct strlist anc = { 0 }, refs = { 0 };
		char *all = xstrdup(f->refs), *save = NULL;

		if (*f->in_reply_to)
			strlist_push(&anc, f->in_reply_to);
		for (char *tok = strtok_r(all, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			strlist_push(&refs, tok);
		/* References run oldest first */
		for (size_t i = refs.nr; i-- > 0;)
			strlist_push(&anc, refs.v[i]);
		strlist_clear(&refs);
		free(all);
		for (size_t i = 0; !r && i < anc.nr; i++)
			r = queued_patch_by_msgid(c, anc.v[i], t);
		strlist_clear(&anc);
		if (r < 0)
			return -1;
		if (!r) {
			buf_addf(c->out, "'%s' does not reply to a queued patch; name the patch"
					 " to fold into: fold SUBJECT or fold MESSAGE-ID", f->title);
			return -1;
		}
	}
	/* the patch the queue builds for (version, n): the first that came */
	s = store_stmt(c->st,
		"SELECT p.id, p.title, v.version, v.title FROM patches p JOIN versions v"
		" ON v.id = p.version_id WHERE p.version_id = ? AND p.n = ? ORDER BY p.id LIMIT 1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, t->version_id);
	sqlite3_bind_int(s, 2, t->n);
	if (sqlite3_step(s) == SQLITE_ROW) {
		t->patch_id = sqlite3_column_int64(s, 0);
		t->title = xstrdup(col(s, 1));
		t->version = sqlite3_column_int(s, 2);
		t->series_title = xstrdup(col(s, 3));
	}
	sqlite3_reset(s);
	return t->patch_id ? 0 : -1;
}

/*
 * Does the fix-up apply to the commit the target was built as?  1 when
 * not (the file and hunk in c->out), 0 when it does or the commit is not
 * recorded (the rebuild then says), -1.
 */
static int check_applies(struct cmd_ctx *c, struct queue *q, const struct followup *f,
			 const struct target *t)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT commit_id FROM queue_commits WHERE patch_id = ?");
	struct buf err = BUF_INIT(4096);
	git_commit *commit = NULL;
	git_oid id, tree;
	int r = 0;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, t->patch_id);
	if (sqlite3_step(s) != SQLITE_ROW || git_oid_fromstr(&id, col(s, 0)) < 0 ||
	    git_commit_lookup(&commit, q->repo, &id) < 0) {
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	r = apply_tree(q->repo, git_commit_tree_id(commit), f->diff, &tree, &err);
	if (r == 1)
		buf_addf(c->out, "the fix-up '%s' does not apply to patch %d/%d '%s' of v%d: %s",
			 f->title, t->n, t->total, t->title, t->version, err.s);
	else if (r < 0)
		buf_add(c->out, err.s, err.len);
	git_commit_free(commit);
	buf_release(&err);
	return r;
}

static int record_fold(struct cmd_ctx *c, const struct followup *f, const struct target *t,
		       const struct queue_who *who)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"INSERT INTO queue_folds (patch_id, source_id, title, diff, fixer_name,"
		" fixer_email, by, cause_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, t->patch_id);
	sqlite3_bind_int64(s, 2, f->msg_row);
	store_bind_text(s, 3, f->title);
	store_bind_text(s, 4, f->diff);
	store_bind_text(s, 5, f->name);
	store_bind_text(s, 6, f->email);
	store_bind_text(s, 7, who->email);
	sqlite3_bind_int64(s, 8, c->msg_row);
	sqlite3_bind_int64(s, 9, who->when);
	if (store_done(c->st, s))
		return -1;
	/* a follow-up posted on its own is done with: not pending any more */
	s = store_stmt(c->st,
		"UPDATE versions SET state = 'folded' WHERE id = ? AND total = 1"
		" AND id NOT IN (SELECT version_id FROM queue)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, f->version_id);
	return store_done(c->st, s);
}

static enum cmd_result fold_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct queue_who who = qcmd_who(c);
	enum cmd_result r = CMD_ERROR;
	struct followup f;
	struct target t = { 0 };
	char *branch = NULL, *detail = NULL, *fixer = NULL, *into = NULL;
	sqlite3_stmt *s;
	struct queue q;
	int64_t h;

	if (load_followup(c, c->m->in_reply_to, &f)) {
		buf_adds(c->out, "this mail does not reply to a patch; reply 'fold' to the"
				 " follow-up patch that is to be folded");
		followup_release(&f);
		return CMD_ERROR;
	}
	branch = queue_branch_of(c->st, f.version_id);
	if (branch) {
		buf_addf(c->out, "'%s' is itself queued on '%s'; 'drop' it first", f.title,
			 branch);
		goto out_free;
	}
	if (find_target(c, a->text, &f, &t))
		goto out_free;
	s = store_stmt(c->st, "SELECT 1 FROM queue_folds WHERE patch_id = ? AND source_id = ?");
	if (!s)
		goto out_free;
	sqlite3_bind_int64(s, 1, t.patch_id);
	sqlite3_bind_int64(s, 2, f.msg_row);
	if (store_int(c->st, s, 0) == 1) {
		buf_addf(c->out, "'%s' is already folded into patch %d/%d '%s' of v%d", f.title,
			 t.n, t.total, t.title, t.version);
		r = CMD_OK;
		goto out_free;
	}
	branch = queue_branch_of(c->st, t.version_id);
	if (qcmd_open(c, &q))
		goto out_free;
	if (check_applies(c, &q, &f, &t)) {
		buf_adds(c->out, "\nnothing was changed");
		goto out;
	}
	if (queue_savepoint(c->st))
		goto out;
	detail = xasprintf("'%s' from %s into %d/%d", f.title, f.email, t.n, t.total);
	h = queue_history_add(c->st, t.version_id, "folded", branch, detail, &who);
	if (h < 0 || record_fold(c, &f, &t, &who) || queue_invalidate(c->st, t.version_id)) {
		queue_rollback_savepoint(c->st);
		buf_adds(c->out, "the database failed; nothing was changed");
		goto out;
	}
	if (qcmd_rebuild(c, &q))
		goto out;
	buf_addf(c->out, "folded '%s' into patch %d/%d '%s' of v%d on '%s': ", f.title,
		 t.n, t.total, t.title, t.version, branch);
	qcmd_range(c, t.version_id, c->out);
	fixer = *f.name ? xasprintf("%s <%s>", f.name, f.email) : xstrdup(f.email);
	into = t.total > 1 ? xasprintf("[%d/%d] %s", t.n, t.total, t.title) :
			     xasprintf("%s", t.title);
	if (notice_queue(c->st, c->cfg, &(struct notice){
			.kind = "folded", .version_id = t.version_id, .branch = branch,
			.fixup = f.title, .fixer = fixer, .into = into,
			.cause_msgid = c->m->message_id, .cause_id = c->msg_row,
			.history_id = h }))
		goto out;
	r = CMD_OK;
out:
	queue_close(&q);
out_free:
	followup_release(&f);
	target_release(&t);
	free(branch);
	free(detail);
	free(fixer);
	free(into);
	return r;
}

const struct command cmd_fold = {
	.name = "fold",
	.role = ROLE_MAINTAINER,
	.needs = NEEDS_AUTH,
	.usage = "fold [SUBJECT | MESSAGE-ID]",
	.summary = "squash the follow-up patch replied to into the queued patch it fixes",
	.parse = fold_parse,
	.run = fold_run,
};
