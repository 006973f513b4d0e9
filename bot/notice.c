/* SPDX-License-Identifier: GPL-2.0-or-later */
/* notice: queue notices to the outbox (see notice.h). */
#include "notice.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "outbox.h"
#include "reply.h"
#include "util.h"

static const struct tschema commit_schema[] = {
	{ "id", TS_TEXT, NULL },
	{ "subject", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

static const struct tschema trailer_schema[] = {
	{ "line", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

const struct tschema notice_schema[] = {
	{ "bot_name", TS_TEXT, NULL },
	{ "author_name", TS_TEXT, NULL },
	{ "title", TS_TEXT, NULL },
	{ "version", TS_TEXT, NULL },
	{ "branch", TS_TEXT, NULL },
	{ "from_branch", TS_TEXT, NULL },
	{ "reason", TS_TEXT, NULL },
	{ "other_version", TS_TEXT, NULL },
	{ "commits", TS_LIST, commit_schema },
	{ "fixup", TS_TEXT, NULL },
	{ "fixer", TS_TEXT, NULL },
	{ "into", TS_TEXT, NULL },
	{ "new_trailers", TS_LIST, trailer_schema },
	{ "trailers_added", TS_BOOL, NULL },
	{ NULL, 0, NULL },
};

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* The people a notice goes to, besides the author. */
static void notice_cc(struct store *st, const struct config *cfg, int64_t vid,
		      const char *author, struct strlist *cc)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT DISTINCT m.from_email FROM trailers t JOIN patches p"
		" ON p.id = t.patch_id JOIN messages m ON m.id = t.source_id"
		" WHERE p.version_id = ? AND t.source_id != p.message_id ORDER BY m.from_email");

	if (cfg->queue_notify_list && cfg->list_address)
		strlist_push(cc, cfg->list_address);
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, vid);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *a = col(s, 0);

		if (*a && strcasecmp(a, author) && !strlist_has_icase(cc, a))
			strlist_push(cc, a);
	}
	sqlite3_reset(s);
}

static void add_commits(struct store *st, int64_t vid, struct tvars *tv)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT substr(c.commit_id, 1, 12), p.title FROM queue_commits c"
		" JOIN patches p ON p.id = c.patch_id WHERE c.version_id = ? ORDER BY c.idx");

	tvars_set_list(tv, "commits");
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, vid);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct tvars *item = tvars_add_item(tv, "commits");

		tvars_set(item, "id", col(s, 0));
		tvars_set(item, "subject", col(s, 1));
	}
	sqlite3_reset(s);
}

/*
 * The review trailers of vid that arrived since the last notice, into the
 * "new_trailers" list ("added" only moves the mark: the commits it
 * announces carry them), and the mark moved past them.  0 or -1.
 */
static int add_new_trailers(struct store *st, int64_t vid, bool list, struct tvars *tv)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT t.key || ': ' || t.value, p.n, p.total, t.id FROM trailers t"
		" JOIN patches p ON p.id = t.patch_id JOIN versions v ON v.id = p.version_id"
		" WHERE v.id = ? AND t.source_id != p.message_id AND t.key != 'Signed-off-by'"
		" AND t.id > v.trailers_noticed ORDER BY t.id");
	int64_t mark = 0;

	tvars_set_list(tv, "new_trailers");
	tvars_set_bool(tv, "trailers_added", false);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, vid);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (list) {
			struct tvars *item = tvars_add_item(tv, "new_trailers");

			if (sqlite3_column_int(s, 2) > 1)
				tvars_setf(item, "line", "[%d/%d] %s", sqlite3_column_int(s, 1),
					   sqlite3_column_int(s, 2), col(s, 0));
			else
				tvars_set(item, "line", col(s, 0));
		}
		mark = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	tvars_set_bool(tv, "trailers_added", list && mark);
	if (!mark)
		return 0;
	s = store_stmt(st, "UPDATE versions SET trailers_noticed = ? WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, mark);
	sqlite3_bind_int64(s, 2, vid);
	return store_done(st, s);
}

int notice_queue(struct store *st, const struct config *cfg, const struct notice *n)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT v.version, v.title, v.author_name, v.author_email, m.message_id,"
		" m.subject FROM versions v JOIN messages m ON m.id = coalesce(v.cover_id,"
		" (SELECT message_id FROM patches WHERE version_id = v.id ORDER BY n, id"
		"  LIMIT 1)) WHERE v.id = ?");
	struct buf body = BUF_INIT(1 << 20), raw = BUF_INIT(2 << 20), err = BUF_INIT(1024);
	char *name, *author = NULL, *author_name = NULL, *thread = NULL, *subject = NULL;
	char *msgid = NULL, *cause = NULL, *rsubject = NULL;
	struct strlist cc = { 0 }, rcpts = { 0 };
	struct tvars *tv;
	int ret = -1;

	if (!cfg || !cfg->bot_address)
		return 0;
	if (!s)
		return -1;
	tv = tvars_new();
	sqlite3_bind_int64(s, 1, n->version_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		tvars_setf(tv, "version", "%d", sqlite3_column_int(s, 0));
		tvars_set(tv, "title", col(s, 1));
		author_name = xstrdup(col(s, 2));
		author = xstrdup(col(s, 3));
		thread = xstrdup(col(s, 4));
		subject = xstrdup(col(s, 5));
	}
	sqlite3_reset(s);
	if (!author || !*author) {
		log_warnx("no %s notice for version %lld: it has no author address",
			  n->kind, (long long)n->version_id);
		ret = 0;
		goto out;
	}
	tvars_set(tv, "bot_name", cfg->bot_name);
	tvars_set(tv, "author_name", *author_name ? author_name : author);
	tvars_set(tv, "branch", n->branch ? n->branch : "");
	tvars_set(tv, "from_branch", n->from_branch ? n->from_branch : "");
	tvars_set(tv, "reason", n->reason ? n->reason : "");
	tvars_set(tv, "other_version", "");
	if (n->other_version)
		tvars_setf(tv, "other_version", "%d", n->other_version);
	tvars_set(tv, "fixup", n->fixup ? n->fixup : "");
	tvars_set(tv, "fixer", n->fixer ? n->fixer : "");
	tvars_set(tv, "into", n->into ? n->into : "");
	add_commits(st, n->version_id, tv);
	if (add_new_trailers(st, n->version_id, strcmp(n->kind, "added") != 0, tv)) {
		ret = -1;
		goto out;
	}
	name = xasprintf("queue-%s.txt", n->kind);
	ret = template_render_file(cfg->bot_templates, name, tv, &body, &err);
	free(name);
	if (ret) {
		log_warnx("no %s notice: %s", n->kind, err.s);
		ret = 0;
		goto out;
	}
	notice_cc(st, cfg, n->version_id, author, &cc);
	if (n->fixer) {
		const char *lt = strrchr(n->fixer, '<');
		char *faddr = lt ? xstrndup(lt + 1, strcspn(lt + 1, ">")) : xstrdup(n->fixer);

		if (*faddr && strcasecmp(faddr, author) && !strlist_has_icase(&cc, faddr))
			strlist_push(&cc, faddr);
		free(faddr);
	}
	cause = xasprintf("%s#%lld", n->cause_msgid ? n->cause_msgid : "patchbot",
			  (long long)n->history_id);
	name = xasprintf("notice-%s", n->kind);
	msgid = reply_message_id(name, cause, cfg->bot_address);
	free(name);
	buf_reset(&err);
	if (reply_compose(&(struct reply){
			.from_name = cfg->bot_name,
			.from_addr = cfg->bot_address,
			.to_name = author_name,
			.to_addr = author,
			.cc = &cc,
			.subject = subject,
			.in_reply_to = thread,
			.references = &thread,
			.nr_references = 1,
			.message_id = msgid,
			.date = now_seconds(),
			.body = body.s,
		}, &raw, &err)) {
		log_warnx("no %s notice for <%s>: %s", n->kind, thread, err.s);
		ret = 0;
		goto out;
	}
	strlist_push(&rcpts, author);
	for (size_t i = 0; i < cc.nr; i++)
		strlist_push(&rcpts, cc.v[i]);
	rsubject = reply_subject(subject);
	ret = outbox_add(st, &(struct outbox_mail){
		.kind = "notice",
		.cause_id = n->cause_id,
		.message_id = msgid,
		.envelope_from = cfg->bot_address,
		.rcpts = &rcpts,
		.subject = rsubject,
		.raw = raw.s,
		.len = raw.len,
	}) < 0 ? -1 : 0;
out:
	tvars_free(tv);
	strlist_clear(&cc);
	strlist_clear(&rcpts);
	free(author);
	free(author_name);
	free(thread);
	free(subject);
	free(msgid);
	free(cause);
	free(rsubject);
	buf_release(&body);
	buf_release(&raw);
	buf_release(&err);
	return ret;
}
