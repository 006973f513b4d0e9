/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queueshow: the queue as people and scripts read it: `patchbot queue
 * list [--json]` and the text of the `list` and `pending` mail commands.
 */
#include "queueshow.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* The entries of one branch, as text; *tip follows the stack upwards. */
static int describe_branch(struct store *st, const char *branch, char *tip,
			   struct buf *out)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT v.version, v.title, v.author_name, v.author_email,"
		" strftime('%Y-%m-%d', q.queued_at, 'unixepoch'), q.tip,"
		" (SELECT count(*) FROM queue_commits c WHERE c.version_id = q.version_id),"
		" substr(q.parent, 1, 12),"
		" v.series_id"
		" FROM queue q JOIN versions v ON v.id = q.version_id"
		" WHERE q.branch = ? ORDER BY q.position");
	struct buf lines = BUF_INIT(BUF_NOLIMIT);
	int n = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, branch);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *t = col(s, 5);

		n++;
		buf_addf(&lines, "  %d. v%d '%s' by %s <%s>, queued %s, %d commit%s",
			 n, sqlite3_column_int(s, 0), col(s, 1), col(s, 2), col(s, 3),
			 col(s, 4), sqlite3_column_int(s, 6),
			 sqlite3_column_int(s, 6) == 1 ? "" : "s");
		if (*t)
			buf_addf(&lines, " %s..%.12s", col(s, 7), t);
		buf_addf(&lines, " (series %lld)\n", (long long)sqlite3_column_int64(s, 8));
		if (*t)
			snprintf(tip, GIT_OID_HEXSZ + 1, "%s", t);
	}
	sqlite3_reset(s);
	buf_addf(out, "%s: %d series, tip %.12s\n", branch, n, *tip ? tip : "(unknown)");
	buf_add(out, lines.s, lines.len);
	if (!n)
		buf_adds(out, "  (empty)\n");
	buf_release(&lines);
	return 0;
}

int queue_describe(struct store *st, const struct config *cfg, const char *base,
		   const char *only, struct buf *out)
{
	char tip[GIT_OID_HEXSZ + 1];

	snprintf(tip, sizeof(tip), "%s", base ? base : "");
	if (base)
		buf_addf(out, "base %s at %.12s\n", cfg->tree_base, base);
	/* top branch first, as `git log` would show the stack */
	for (size_t i = cfg->tree_branches.nr; i-- > 0;) {
		struct buf one = BUF_INIT(BUF_NOLIMIT);
		char below[GIT_OID_HEXSZ + 1];
		int r;

		/* the tip of branch i depends on the branches below it */
		snprintf(below, sizeof(below), "%s", tip);
		for (size_t j = 0; j < i; j++) {
			struct buf skip = BUF_INIT(BUF_NOLIMIT);

			describe_branch(st, cfg->tree_branches.v[j], below, &skip);
			buf_release(&skip);
		}
		r = describe_branch(st, cfg->tree_branches.v[i], below, &one);
		if (!r && (!only || !strcmp(only, cfg->tree_branches.v[i])))
			buf_add(out, one.s, one.len);
		buf_release(&one);
		if (r)
			return -1;
	}
	return 0;
}

int queue_describe_pending(struct store *st, struct buf *out)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT v.series_id, v.version, v.title, v.author_name, v.author_email,"
		" strftime('%Y-%m-%d', v.date, 'unixepoch'), v.total,"
		" (SELECT count(*) FROM trailers t JOIN patches p ON p.id = t.patch_id"
		"   WHERE p.version_id = v.id AND t.source_id != p.message_id"
		"   AND t.key != 'Signed-off-by'),"
		" (SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.cause_id"
		"   WHERE m.version_id = v.id AND o.kind = 'feedback')"
		" FROM versions v WHERE v.complete = 1"
		" AND v.version = (SELECT max(version) FROM versions w"
		"   WHERE w.series_id = v.series_id AND w.complete = 1)"
		" AND NOT EXISTS (SELECT 1 FROM queue q JOIN versions w ON w.id = q.version_id"
		"   WHERE w.series_id = v.series_id)"
		" AND v.state NOT IN ('dropped', 'superseded', 'folded')"
		" ORDER BY v.date, v.id LIMIT 200");
	int n = 0;

	if (!s)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		n++;
		buf_addf(out, "  v%d '%s' by %s <%s>, posted %s, %d patch%s, %d review trailer%s"
			      "%s (series %lld)\n",
			 sqlite3_column_int(s, 1), col(s, 2), col(s, 3), col(s, 4), col(s, 5),
			 sqlite3_column_int(s, 6), sqlite3_column_int(s, 6) == 1 ? "" : "es",
			 sqlite3_column_int(s, 7), sqlite3_column_int(s, 7) == 1 ? "" : "s",
			 sqlite3_column_int(s, 8) ? ", feedback sent" : "",
			 (long long)sqlite3_column_int64(s, 0));
	}
	sqlite3_reset(s);
	if (!n)
		buf_adds(out, "  (nothing waiting)\n");
	return 0;
}

static int list_json(struct store *st, const struct config *cfg, const char *base,
		     FILE *out)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT json_object('name', ?1, 'series', (SELECT json_group_array(json(j))"
		" FROM (SELECT json_object('series', v.series_id, 'version', v.version,"
		" 'title', v.title, 'author', json_object('name', v.author_name, 'email',"
		" v.author_email), 'queued_at', q.queued_at, 'queued_by', q.queued_by,"
		" 'commits', (SELECT json_group_array(commit_id) FROM (SELECT commit_id"
		"   FROM queue_commits c WHERE c.version_id = q.version_id ORDER BY idx)))"
		" AS j FROM queue q JOIN versions v ON v.id = q.version_id"
		" WHERE q.branch = ?1 ORDER BY q.position)),"
		" 'tip', coalesce((SELECT tip FROM queue WHERE branch = ?1"
		"   ORDER BY position DESC LIMIT 1), ?2))");
	char tip[GIT_OID_HEXSZ + 1];

	if (!s)
		return -1;
	snprintf(tip, sizeof(tip), "%s", base ? base : "");
	fprintf(out, "{\"base\": \"%s\", \"branches\": [", base ? base : "");
	for (size_t i = 0; i < cfg->tree_branches.nr; i++) {
		sqlite3_reset(s);
		store_bind_text(s, 1, cfg->tree_branches.v[i]);
		store_bind_text(s, 2, *tip ? tip : NULL);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			return store_error(st, "cannot list the queue");
		}
		fprintf(out, "%s%s", i ? ", " : "", col(s, 0));
		sqlite3_reset(s);
		/* the next branch starts where this one ends */
		{
			struct buf skip = BUF_INIT(BUF_NOLIMIT);

			describe_branch(st, cfg->tree_branches.v[i], tip, &skip);
			buf_release(&skip);
		}
	}
	fprintf(out, "]}\n");
	return 0;
}

int queue_list(struct store *st, const struct config *cfg, FILE *out, bool json)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT), err = BUF_INIT(4096);
	char base[GIT_OID_HEXSZ + 1] = "";
	struct queue q;
	int r;

	if (cfg->tree_repo && !queue_open(&q, st, cfg, &err)) {
		git_oid_tostr(base, sizeof(base), &q.base);
		queue_close(&q);
	} else if (cfg->tree_repo) {
		log_warnx("%s", err.s);
	}
	buf_release(&err);
	if (json)
		return list_json(st, cfg, *base ? base : NULL, out);
	r = queue_describe(st, cfg, *base ? base : NULL, NULL, &b);
	fputs(b.s, out);
	buf_release(&b);
	return r;
}
