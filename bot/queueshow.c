/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queueshow: the queue as people and scripts read it: `patchbot queue
 * list [--json]`, the text of the `list` and `pending` mail commands, and
 * the rows behind them that the status page (report.c) shows too.
 */
#include "queueshow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* A date as YYYY-MM-DD (UTC). */
static void fmt_day(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
		snprintf(out, 16, "-");
}

/* The caller's callback, whichever of the row types it takes. */
union row_fn {
	queue_entry_fn entry;
	pending_entry_fn pending;
	queue_commit_fn commit;
	version_trailer_fn trailer;
	queue_event_fn event;
};

/* Step s to the end, handing each row to row(); the query's error or
 * the callback's -1 stops it. */
static int each_row(struct store *st, sqlite3_stmt *s,
		    int (*row)(sqlite3_stmt *s, union row_fn fn, void *payload),
		    union row_fn fn, void *payload, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row(s, fn, payload)) {
			sqlite3_reset(s);
			return -1;
		}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_error(st, what);
}

/* The Message-ID a version is best linked by: the cover letter's, else
 * the first patch's. */
#define VERSION_MSGID \
	"coalesce((SELECT message_id FROM messages WHERE id = v.cover_id)," \
	" (SELECT m.message_id FROM patches p JOIN messages m ON m.id = p.message_id" \
	"   WHERE p.version_id = v.id ORDER BY p.n, p.id LIMIT 1), '')"

static int entry_row(sqlite3_stmt *s, union row_fn fn, void *payload)
{
	struct queue_entry e = {
		.series_id = sqlite3_column_int64(s, 0),
		.version_id = sqlite3_column_int64(s, 1),
		.version = sqlite3_column_int(s, 2),
		.title = col(s, 3),
		.author_name = col(s, 4),
		.author_email = col(s, 5),
		.posted = sqlite3_column_int64(s, 6),
		.queued_at = sqlite3_column_int64(s, 7),
		.queued_by = col(s, 8),
		.parent = col(s, 9),
		.tip = col(s, 10),
		.nr_commits = sqlite3_column_int(s, 11),
		.msgid = col(s, 12),
		.total = sqlite3_column_int(s, 13),
	};

	return fn.entry(&e, payload);
}

int queue_each_entry(struct store *st, const char *branch, queue_entry_fn fn,
		     void *payload)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT v.series_id, v.id, v.version, v.title, v.author_name,"
		" v.author_email, v.date, q.queued_at, q.queued_by, q.parent, q.tip,"
		" (SELECT count(*) FROM queue_commits c WHERE c.version_id = q.version_id),"
		" " VERSION_MSGID ", v.total"
		" FROM queue q JOIN versions v ON v.id = q.version_id"
		" WHERE q.branch = ? ORDER BY q.position");

	if (!s)
		return -1;
	store_bind_text(s, 1, branch);
	return each_row(st, s, entry_row, (union row_fn){ .entry = fn }, payload,
			"cannot read the queue");
}

static int pending_row(sqlite3_stmt *s, union row_fn fn, void *payload)
{
	struct pending_entry e = {
		.series_id = sqlite3_column_int64(s, 0),
		.version_id = sqlite3_column_int64(s, 1),
		.version = sqlite3_column_int(s, 2),
		.title = col(s, 3),
		.author_name = col(s, 4),
		.author_email = col(s, 5),
		.posted = sqlite3_column_int64(s, 6),
		.total = sqlite3_column_int(s, 7),
		.review_trailers = sqlite3_column_int(s, 8),
		.feedback_sent = sqlite3_column_int(s, 9) != 0,
		.msgid = col(s, 10),
	};

	return fn.pending(&e, payload);
}

int queue_each_pending(struct store *st, pending_entry_fn fn, void *payload)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT v.series_id, v.id, v.version, v.title, v.author_name, v.author_email,"
		" v.date, v.total,"
		" (SELECT count(*) FROM trailers t JOIN patches p ON p.id = t.patch_id"
		"   WHERE p.version_id = v.id AND t.source_id != p.message_id"
		"   AND t.key != 'Signed-off-by'),"
		" (SELECT count(*) FROM feedback_sent f WHERE f.version_id = v.id),"
		" " VERSION_MSGID
		" FROM versions v WHERE v.complete = 1"
		" AND v.version = (SELECT max(version) FROM versions w"
		"   WHERE w.series_id = v.series_id AND w.complete = 1)"
		" AND v.series_id NOT IN (SELECT w.series_id FROM queue q"
		"   JOIN versions w ON w.id = q.version_id)"
		" AND v.state NOT IN ('dropped', 'superseded', 'folded')"
		" ORDER BY v.date, v.id LIMIT 200");

	if (!s)
		return -1;
	return each_row(st, s, pending_row, (union row_fn){ .pending = fn }, payload,
			"cannot read the series waiting");
}

static int commit_row(sqlite3_stmt *s, union row_fn fn, void *payload)
{
	struct queue_commit c = {
		.commit_id = col(s, 0),
		.n = sqlite3_column_int(s, 1),
		.total = sqlite3_column_int(s, 2),
		.title = col(s, 3),
	};

	return fn.commit(&c, payload);
}

int queue_each_commit(struct store *st, int64_t version_id, queue_commit_fn fn,
		      void *payload)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT c.commit_id, p.n, p.total, p.title FROM queue_commits c"
		" JOIN patches p ON p.id = c.patch_id WHERE c.version_id = ?"
		" ORDER BY c.idx");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	return each_row(st, s, commit_row, (union row_fn){ .commit = fn }, payload,
			"cannot read the queued commits");
}

static int trailer_row(sqlite3_stmt *s, union row_fn fn, void *payload)
{
	struct version_trailer t = {
		.key = col(s, 0),
		.value = col(s, 1),
		.patches = sqlite3_column_int(s, 2),
	};

	return fn.trailer(&t, payload);
}

int version_each_trailer(struct store *st, int64_t version_id,
			 version_trailer_fn fn, void *payload)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT t.key, t.value, count(DISTINCT t.patch_id) FROM trailers t"
		" JOIN patches p ON p.id = t.patch_id"
		" WHERE p.version_id = ? AND t.key LIKE '%-by'"
		" AND t.key NOT IN ('Signed-off-by', 'Co-developed-by')"
		" GROUP BY t.key, t.value ORDER BY min(t.id)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	return each_row(st, s, trailer_row, (union row_fn){ .trailer = fn }, payload,
			"cannot read the trailers");
}

static int event_row(sqlite3_stmt *s, union row_fn fn, void *payload)
{
	struct queue_event e = {
		.at = sqlite3_column_int64(s, 0),
		.action = col(s, 1),
		.branch = col(s, 2),
		.detail = col(s, 3),
		.by = col(s, 4),
		.series_id = sqlite3_column_int64(s, 5),
		.version = sqlite3_column_int(s, 6),
		.title = col(s, 7),
	};

	return fn.event(&e, payload);
}

int queue_each_event(struct store *st, int limit, queue_event_fn fn, void *payload)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT h.at, h.action, h.branch, h.detail, h.by, v.series_id,"
		" v.version, v.title FROM queue_history h"
		" JOIN versions v ON v.id = h.version_id"
		" ORDER BY h.id DESC LIMIT ?");

	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, limit);
	return each_row(st, s, event_row, (union row_fn){ .event = fn }, payload,
			"cannot read the queue history");
}

struct describe {
	struct buf *lines;
	char *tip;
	int n;
};

static int describe_entry(const struct queue_entry *e, void *payload)
{
	struct describe *d = payload;
	char day[16];

	d->n++;
	fmt_day(e->queued_at, day);
	buf_addf(d->lines, "  %d. v%d '%s' by %s <%s>, queued %s, %d commit%s",
		 d->n, e->version, e->title, e->author_name, e->author_email, day,
		 e->nr_commits, e->nr_commits == 1 ? "" : "s");
	if (*e->tip)
		buf_addf(d->lines, " %.12s..%.12s", e->parent, e->tip);
	buf_addf(d->lines, " (series %lld)\n", (long long)e->series_id);
	if (*e->tip)
		snprintf(d->tip, GIT_OID_HEXSZ + 1, "%s", e->tip);
	return 0;
}

/* The entries of one branch, as text; *tip follows the stack upwards. */
static int describe_branch(struct store *st, const char *branch, char *tip,
			   struct buf *out)
{
	struct buf lines = BUF_INIT(BUF_NOLIMIT);
	struct describe d = { .lines = &lines, .tip = tip };
	int r = queue_each_entry(st, branch, describe_entry, &d);

	buf_addf(out, "%s: %d series, tip %.12s\n", branch, d.n, *tip ? tip : "(unknown)");
	buf_add(out, lines.s, lines.len);
	if (!d.n)
		buf_adds(out, "  (empty)\n");
	buf_release(&lines);
	return r;
}

void queue_base_hex(struct store *st, const struct config *cfg,
		    char base[GIT_OID_HEXSZ + 1])
{
	struct buf err = BUF_INIT(4096);
	struct queue q;

	*base = 0;
	if (cfg->tree_repo && !queue_open(&q, st, cfg, &err)) {
		git_oid_tostr(base, GIT_OID_HEXSZ + 1, &q.base);
		queue_close(&q);
	} else if (cfg->tree_repo) {
		log_warnx("%s", err.s);
	}
	buf_release(&err);
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

static int describe_pending(const struct pending_entry *e, void *payload)
{
	struct buf *out = payload;
	char day[16];

	fmt_day(e->posted, day);
	buf_addf(out, "  v%d '%s' by %s <%s>, posted %s, %d patch%s, %d review trailer%s"
		      "%s (series %lld)\n",
		 e->version, e->title, e->author_name, e->author_email, day,
		 e->total, e->total == 1 ? "" : "es",
		 e->review_trailers, e->review_trailers == 1 ? "" : "s",
		 e->feedback_sent ? ", feedback sent" : "", (long long)e->series_id);
	return 0;
}

int queue_describe_pending(struct store *st, struct buf *out)
{
	size_t len = out->len;

	if (queue_each_pending(st, describe_pending, out))
		return -1;
	if (out->len == len)
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
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char base[GIT_OID_HEXSZ + 1];
	int r;

	queue_base_hex(st, cfg, base);
	if (json)
		return list_json(st, cfg, *base ? base : NULL, out);
	r = queue_describe(st, cfg, *base ? base : NULL, NULL, &b);
	fputs(b.s, out);
	buf_release(&b);
	return r;
}
