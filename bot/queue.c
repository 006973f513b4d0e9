/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queue: the queue state in sqlite and the branches built from it (see queue.h). */
#include "queue.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "log.h"
#include "mail.h"
#include "util.h"

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

int queue_open(struct queue *q, struct store *st, const struct config *cfg,
	       struct buf *err)
{
	git_object *obj = NULL, *commit = NULL;

	memset(q, 0, sizeof(*q));
	q->st = st;
	q->cfg = cfg;
	git_libgit2_init();
	if (!cfg->tree_repo) {
		buf_adds(err, "no queue: 'tree.repo' is not configured");
		goto fail;
	}
	if (git_repository_open_ext(&q->repo, cfg->tree_repo,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		buf_addf(err, "cannot open the tree '%s': %s", cfg->tree_repo, git_msg());
		goto fail;
	}
	if (git_revparse_single(&obj, q->repo, cfg->tree_base) < 0 ||
	    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		buf_addf(err, "cannot find the base '%s' in '%s': %s", cfg->tree_base,
			 cfg->tree_repo, git_msg());
		git_object_free(obj);
		goto fail;
	}
	git_oid_cpy(&q->base, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	if (pack_attach(q->repo, &q->pw, err))
		goto fail;
	q->tips = xcalloc(cfg->tree_branches.nr + 1, sizeof(*q->tips));
	return 0;
fail:
	queue_close(q);
	return -1;
}

void queue_close(struct queue *q)
{
	if (q->repo) {
		/* frees q->pw, which the odb owns */
		git_repository_free(q->repo);
		q->repo = NULL;
	}
	q->pw = NULL;
	free(q->tips);
	q->tips = NULL;
	if (q->st)
		git_libgit2_shutdown();
	q->st = NULL;
}

int queue_branch_index(const struct config *cfg, const char *branch)
{
	for (size_t i = 0; i < cfg->tree_branches.nr; i++)
		if (!strcmp(cfg->tree_branches.v[i], branch))
			return (int)i;
	return -1;
}

int64_t queue_find_series(struct store *st, int64_t series_id, char **branch)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT q.version_id, q.branch FROM queue q JOIN versions v"
		" ON v.id = q.version_id WHERE v.series_id = ? ORDER BY v.version DESC");
	int64_t id = 0;

	if (branch)
		*branch = NULL;
	if (!s)
		return 0;
	sqlite3_bind_int64(s, 1, series_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		if (branch)
			*branch = xstrdup(col(s, 1));
	}
	sqlite3_reset(s);
	return id;
}

char *queue_branch_of(struct store *st, int64_t version_id)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT branch FROM queue WHERE version_id = ?");
	char *b = NULL;

	if (!s)
		return NULL;
	sqlite3_bind_int64(s, 1, version_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		b = xstrdup(col(s, 0));
	sqlite3_reset(s);
	return b;
}

static int set_state(struct store *st, int64_t version_id, const char *state)
{
	sqlite3_stmt *s = store_stmt(st, "UPDATE versions SET state = ? WHERE id = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, state);
	sqlite3_bind_int64(s, 2, version_id);
	return store_done(st, s);
}

int queue_add(struct store *st, int64_t version_id, const char *branch,
	      const struct queue_who *who)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO queue (version_id, branch, position, queued_at, queued_by,"
		" queued_by_name, cause_id) VALUES (?1, ?2, (SELECT coalesce(max(position),"
		" 0) + 1 FROM queue WHERE branch = ?2), ?3, ?4, ?5, ?6)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	store_bind_text(s, 2, branch);
	sqlite3_bind_int64(s, 3, who->when);
	store_bind_text(s, 4, who->email);
	store_bind_text(s, 5, who->name ? who->name : "");
	if (who->cause_id)
		sqlite3_bind_int64(s, 6, who->cause_id);
	if (store_done(st, s))
		return -1;
	return set_state(st, version_id, "queued");
}

int queue_replace(struct store *st, int64_t old_id, int64_t version_id,
		  const struct queue_who *who)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE queue SET version_id = ?, queued_at = ?, queued_by = ?,"
		" queued_by_name = ?, cause_id = ?, parent = NULL, tip = NULL"
		" WHERE version_id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	sqlite3_bind_int64(s, 2, who->when);
	store_bind_text(s, 3, who->email);
	store_bind_text(s, 4, who->name ? who->name : "");
	if (who->cause_id)
		sqlite3_bind_int64(s, 5, who->cause_id);
	sqlite3_bind_int64(s, 6, old_id);
	if (store_done(st, s))
		return -1;
	s = store_stmt(st, "DELETE FROM queue_commits WHERE version_id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, old_id);
	if (store_done(st, s) || set_state(st, old_id, "superseded"))
		return -1;
	return set_state(st, version_id, "queued");
}

int queue_remove(struct store *st, int64_t version_id)
{
	sqlite3_stmt *s = store_stmt(st, "DELETE FROM queue WHERE version_id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	if (store_done(st, s))
		return -1;
	s = store_stmt(st, "DELETE FROM queue_commits WHERE version_id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	if (store_done(st, s))
		return -1;
	return set_state(st, version_id, "dropped");
}

int queue_move(struct store *st, int64_t version_id, const char *branch)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE queue SET branch = ?1, position = (SELECT coalesce(max(position),"
		" 0) + 1 FROM queue WHERE branch = ?1), parent = NULL, tip = NULL"
		" WHERE version_id = ?2");

	if (!s)
		return -1;
	store_bind_text(s, 1, branch);
	sqlite3_bind_int64(s, 2, version_id);
	return store_done(st, s);
}

int queue_invalidate(struct store *st, int64_t version_id)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE queue SET parent = NULL, tip = NULL WHERE version_id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	return store_done(st, s);
}

int64_t queue_history_add(struct store *st, int64_t version_id, const char *action,
			  const char *branch, const char *detail,
			  const struct queue_who *who)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO queue_history (version_id, action, branch, detail, by,"
		" cause_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	store_bind_text(s, 2, action);
	store_bind_text(s, 3, branch);
	store_bind_text(s, 4, detail ? detail : "");
	store_bind_text(s, 5, who ? who->email : NULL);
	if (who && who->cause_id)
		sqlite3_bind_int64(s, 6, who->cause_id);
	sqlite3_bind_int64(s, 7, who && who->when ? who->when : now_seconds());
	if (store_done(st, s))
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

/* One queue row, copied out so that the build may write while it walks. */
struct entry {
	int64_t version_id;
	int version;
	char *title, *by, *by_name, *parent, *tip;
	int64_t queued_at;
};

static void entries_free(struct entry *e, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(e[i].title);
		free(e[i].by);
		free(e[i].by_name);
		free(e[i].parent);
		free(e[i].tip);
	}
	free(e);
}

static struct entry *entries_of(struct store *st, const char *branch, size_t *nr)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT q.version_id, v.version, v.title, q.queued_by, q.queued_by_name,"
		" q.parent, q.tip, q.queued_at FROM queue q JOIN versions v"
		" ON v.id = q.version_id WHERE q.branch = ? ORDER BY q.position");
	struct entry *e = NULL;
	size_t alloc = 0;

	*nr = 0;
	if (!s)
		return NULL;
	store_bind_text(s, 1, branch);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(e, *nr + 1, alloc);
		e[*nr] = (struct entry){
			.version_id = sqlite3_column_int64(s, 0),
			.version = sqlite3_column_int(s, 1),
			.title = xstrdup(col(s, 2)),
			.by = xstrdup(col(s, 3)),
			.by_name = xstrdup(col(s, 4)),
			.parent = sqlite3_column_type(s, 5) == SQLITE_NULL ? NULL :
				  xstrdup(col(s, 5)),
			.tip = sqlite3_column_type(s, 6) == SQLITE_NULL ? NULL :
			       xstrdup(col(s, 6)),
			.queued_at = sqlite3_column_int64(s, 7),
		};
		(*nr)++;
	}
	sqlite3_reset(s);
	return e;
}

/* The review trailers of a patch: those not from the patch mail itself. */
static void review_trailers(struct store *st, int64_t patch_id, struct strlist *out)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT t.key, t.value FROM trailers t JOIN patches p ON p.id = t.patch_id"
		" WHERE t.patch_id = ? AND t.source_id != p.message_id"
		" AND t.key != 'Signed-off-by' ORDER BY t.id");

	if (!s)
		return;
	sqlite3_bind_int64(s, 1, patch_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		char *line = xasprintf("%s: %s", col(s, 0), col(s, 1));

		strlist_push(out, line);
		free(line);
	}
	sqlite3_reset(s);
}

/*
 * An in-body "Date:" line, among the in-body headers at the top of the
 * changelog (as apply_message() reads "From:"), overrides the mail's
 * date, as it does for `git am`.
 */
static void inbody_date(const char *body, int64_t *date, int *tz)
{
	while (*body == '\n' || *body == ' ' || *body == '\t')
		body++;
	while (starts_with(body, "From: ") || starts_with(body, "Date: ")) {
		size_t l = strcspn(body, "\n");

		if (starts_with(body, "Date: ") && l < 200) {
			char *v = xstrndup(body + 6, l - 6);
			int z = 0;
			int64_t t = mail_parse_date(v, &z);

			free(v);
			if (t) {
				*date = t;
				*tz = z;
				return;
			}
		}
		body += l;
		while (*body == '\n')
			body++;
	}
}

/* A "Key: value" line (the key letters, digits and dashes)? */
static bool trailer_like(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-'))
		i++;
	return i > 0 && i + 1 < len && s[i] == ':' && s[i + 1] == ' ';
}

/* Where the changelog's closing trailer paragraph starts, or its length. */
static size_t trailer_block(const char *text)
{
	size_t len = strlen(text), para = 0;

	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	for (size_t i = 0; i + 1 < len; i++)
		if (text[i] == '\n' && text[i + 1] == '\n')
			para = i + 2;
	for (size_t i = para; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - text - i) : len - i;

		if (l && !trailer_like(text + i, l))
			return len;
		i += l + 1;
	}
	return para < len ? para : len;
}

/*
 * The fix-ups folded into a patch (`fold`), the way Andrew Morton's tree
 * records them: each diff applied after the patch's own; in the
 * changelog, above its trailers, "[fixer@address: title of the fix]" with
 * the fix-up's Link: indented below; and the fixer's Signed-off-by among
 * the trailers (the fixer certified the DCO for the lines they added).
 * Returns the changelog with the notes (new string), or NULL for none.
 */
static char *folded_into(struct queue *q, int64_t patch_id, const char *changelog,
			 struct strlist *diffs, struct strlist *trailers)
{
	sqlite3_stmt *s = store_stmt(q->st,
		"SELECT f.diff, f.title, f.fixer_name, f.fixer_email, m.message_id"
		" FROM queue_folds f JOIN messages m ON m.id = f.source_id"
		" WHERE f.patch_id = ? ORDER BY f.id");
	const char *url = q->cfg->queue_link_url;
	struct buf notes = BUF_INIT(BUF_NOLIMIT);
	char *out = NULL;

	if (!s)
		return NULL;
	sqlite3_bind_int64(s, 1, patch_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *pct = url ? strstr(url, "%s") : NULL;
		char *sob;

		strlist_push(diffs, col(s, 0));
		buf_addf(&notes, "[%s: %s]\n", col(s, 3), col(s, 1));
		if (url && *url && pct)
			buf_addf(&notes, "  Link: %.*s%s%s\n", (int)(pct - url), url,
				 col(s, 4), pct + 2);
		sob = xasprintf("Signed-off-by: %s <%s>", *col(s, 2) ? col(s, 2) : col(s, 3),
				col(s, 3));
		if (!strlist_has_icase(trailers, sob))
			strlist_push(trailers, sob);
		free(sob);
	}
	sqlite3_reset(s);
	if (notes.len) {
		size_t at = trailer_block(changelog);
		struct buf c = BUF_INIT(BUF_NOLIMIT);

		buf_add(&c, changelog, at);
		buf_rtrim(&c);
		buf_addf(&c, "%s%s", c.len ? "\n\n" : "", notes.s);
		if (changelog[at]) {
			buf_addch(&c, '\n');
			buf_adds(&c, changelog + at);
		}
		out = buf_detach(&c, NULL);
	}
	buf_release(&notes);
	return out;
}

static int record_commit(struct store *st, int64_t version_id, int idx,
			 int64_t patch_id, const git_oid *id)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT OR REPLACE INTO queue_commits VALUES (?, ?, ?, ?)");
	char hex[GIT_OID_HEXSZ + 1];

	if (!s)
		return -1;
	git_oid_tostr(hex, sizeof(hex), id);
	sqlite3_bind_int64(s, 1, version_id);
	sqlite3_bind_int(s, 2, idx);
	sqlite3_bind_int64(s, 3, patch_id);
	store_bind_text(s, 4, hex);
	return store_done(st, s);
}

/* Build the commits of e on *cur; *cur becomes its tip.  As queue_build. */
static int build_entry(struct queue *q, const struct entry *e, const char *branch,
		       git_oid *cur, bool record, struct buf *why)
{
	sqlite3_stmt *s = NULL;
	struct apply_ident who = {
		.name = e->by_name, .email = e->by, .when = e->queued_at,
		.link_url = q->cfg->queue_link_url,
	};
	sqlite3_stmt *u;
	int idx = 0, r = 0;

	/* stepped while cached statements run and write: our own */
	if (sqlite3_prepare_v2(q->st->db,
		"SELECT p.id, p.n, p.total, p.title, p.changelog, d.diff, m.message_id,"
		" m.from_name, m.from_email, m.date, m.date_tz FROM patches p JOIN messages m"
		" ON m.id = p.message_id JOIN patch_diffs d ON d.patch_id = p.id"
		" WHERE p.version_id = ? AND p.n BETWEEN 1 AND p.total"
		" AND p.id = (SELECT min(id) FROM patches WHERE version_id = p.version_id"
		" AND n = p.n) ORDER BY p.n", -1, &s, NULL) != SQLITE_OK)
		return store_error(q->st, "cannot read the patches");
	sqlite3_bind_int64(s, 1, e->version_id);
	u = record ? store_stmt(q->st, "DELETE FROM queue_commits WHERE version_id = ?") : NULL;
	if (record && !u)
		goto fail;
	if (u) {
		sqlite3_bind_int64(u, 1, e->version_id);
		if (store_done(q->st, u))
			goto fail;
	}
	while (!r && sqlite3_step(s) == SQLITE_ROW) {
		struct strlist tr = { 0 }, fixups = { 0 };
		struct buf err = BUF_INIT(4096);
		char *changelog;
		struct apply_patch p = {
			.n = sqlite3_column_int(s, 1),
			.total = sqlite3_column_int(s, 2),
			.title = col(s, 3),
			.changelog = col(s, 4),
			.diff = col(s, 5),
			.message_id = col(s, 6),
			.from_name = col(s, 7),
			.from_email = col(s, 8),
			.date = sqlite3_column_int64(s, 9),
			.date_tz = sqlite3_column_int(s, 10),
			.trailers = &tr,
			.fixups = &fixups,
		};
		git_oid next;

		inbody_date(p.changelog, &p.date, &p.date_tz);
		changelog = folded_into(q, sqlite3_column_int64(s, 0), p.changelog, &fixups,
					&tr);
		if (changelog)
			p.changelog = changelog;
		review_trailers(q->st, sqlite3_column_int64(s, 0), &tr);
		r = apply_commit_to(q->repo, q->pw, cur, &p, &who, &next, &err);
		if (r == 1)
			buf_addf(why, "patch %d/%d '%s' of v%d does not apply on '%s': %s",
				 p.n, p.total, p.title, e->version, branch, err.s);
		else if (r)
			buf_addf(why, "cannot build v%d of '%s': %s", e->version, e->title,
				 err.s);
		else if (record && record_commit(q->st, e->version_id, idx++,
						 sqlite3_column_int64(s, 0), &next))
			r = -1;
		else {
			git_oid_cpy(cur, &next);
			q->nr_built++;
		}
		strlist_clear(&tr);
		strlist_clear(&fixups);
		free(changelog);
		buf_release(&err);
	}
	sqlite3_finalize(s);
	return r;
fail:
	sqlite3_finalize(s);
	return -1;
}

static bool tip_reusable(struct queue *q, const struct entry *e, const git_oid *cur)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid tip;
	git_odb *odb = NULL;
	bool ok;

	if (!e->parent || !e->tip)
		return false;
	git_oid_tostr(hex, sizeof(hex), cur);
	if (strcmp(hex, e->parent) || git_oid_fromstr(&tip, e->tip) < 0 ||
	    git_repository_odb(&odb, q->repo) < 0)
		return false;
	ok = git_odb_exists(odb, &tip);
	git_odb_free(odb);
	return ok;
}

static int record_entry(struct store *st, int64_t version_id, const git_oid *parent,
			const git_oid *tip)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE queue SET parent = ?, tip = ? WHERE version_id = ?");
	char p[GIT_OID_HEXSZ + 1], t[GIT_OID_HEXSZ + 1];

	if (!s)
		return -1;
	git_oid_tostr(p, sizeof(p), parent);
	git_oid_tostr(t, sizeof(t), tip);
	store_bind_text(s, 1, p);
	store_bind_text(s, 2, t);
	sqlite3_bind_int64(s, 3, version_id);
	return store_done(st, s);
}

/*
 * The objects of a build go into one pack (packwrite.h), written when the
 * outermost build_begin/build_end pair ends.  A failed build writes it
 * too: its objects are garbage, harmless, and git gc drops them.
 */
static int build_begin(struct queue *q, struct buf *why)
{
	return pack_begin(q->pw, why) ? -1 : 0;
}

static int build_end(struct queue *q, int r, struct buf *why)
{
	struct buf err = BUF_INIT(4096);

	if (pack_end(q->pw, &err)) {
		if (!r)
			buf_adds(why, err.s);
		else
			log_warnx("queue: %s", err.s);
		r = -1;
	}
	buf_release(&err);
	return r;
}

static int build_stack(struct queue *q, struct buf *why);

int queue_build(struct queue *q, struct buf *why)
{
	if (build_begin(q, why))
		return -1;
	return build_end(q, build_stack(q, why), why);
}

static int build_stack(struct queue *q, struct buf *why)
{
	const struct strlist *br = &q->cfg->tree_branches;
	git_oid cur;
	int r = 0;

	q->nr_built = 0;
	git_oid_cpy(&cur, &q->base);
	for (size_t b = 0; !r && b < br->nr; b++) {
		size_t nr;
		struct entry *e = entries_of(q->st, br->v[b], &nr);

		for (size_t i = 0; !r && i < nr; i++) {
			git_oid parent;

			if (tip_reusable(q, &e[i], &cur)) {
				git_oid_fromstr(&cur, e[i].tip);
				continue;
			}
			git_oid_cpy(&parent, &cur);
			r = build_entry(q, &e[i], br->v[b], &cur, true, why);
			if (!r && record_entry(q->st, e[i].version_id, &parent, &cur))
				r = -1;
		}
		git_oid_cpy(&q->tips[b], &cur);
		entries_free(e, nr);
	}
	if (r < 0 && !why->len)
		buf_adds(why, "the database failed while building the queue");
	return r;
}

int queue_try(struct queue *q, int64_t version_id, const struct queue_who *who,
	      git_oid *tip, struct buf *why)
{
	const struct strlist *br = &q->cfg->tree_branches;
	sqlite3_stmt *s = store_stmt(q->st, "SELECT version, title FROM versions WHERE id = ?");
	struct entry e = {
		.version_id = version_id,
		.by = (char *)who->email,
		.by_name = (char *)(who->name ? who->name : ""),
		.queued_at = who->when,
	};
	char *title = NULL;
	int r;

	if (build_begin(q, why))
		return -1;
	r = build_stack(q, why);
	if (r || !s)
		return build_end(q, r ? r : -1, why);
	sqlite3_bind_int64(s, 1, version_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		e.version = sqlite3_column_int(s, 0);
		title = xstrdup(col(s, 1));
	}
	sqlite3_reset(s);
	e.title = title;
	git_oid_cpy(tip, &q->tips[br->nr - 1]);
	r = build_entry(q, &e, br->v[br->nr - 1], tip, false, why);
	free(title);
	return build_end(q, r, why);
}

int queue_update_refs(struct queue *q, bool log_changes, struct buf *err)
{
	const struct strlist *br = &q->cfg->tree_branches;
	int moved = 0;

	for (size_t b = 0; b < br->nr; b++) {
		char *name = xasprintf("refs/heads/%s", br->v[b]);
		git_reference *ref = NULL;
		git_oid now;
		bool exists = git_reference_name_to_id(&now, q->repo, name) == 0;
		bool same = exists && git_oid_equal(&now, &q->tips[b]);

		if (!same) {
			if (git_reference_create(&ref, q->repo, name, &q->tips[b], 1,
						 "patchbot: queue") < 0) {
				buf_addf(err, "cannot update branch '%s': %s", br->v[b],
					 git_msg());
				free(name);
				return -1;
			}
			if (log_changes)
				log_info("queue: branch '%s' %s at %s", br->v[b],
					 exists ? "did not match the queue state; rebuilt" :
						  "was missing; created",
					 git_oid_tostr_s(&q->tips[b]));
			else
				log_debug(LOG_GIT, "branch '%s' now at %s", br->v[b],
					  git_oid_tostr_s(&q->tips[b]));
			moved++;
		}
		git_reference_free(ref);
		free(name);
	}
	return moved;
}

int queue_reconcile(struct store *st, const struct config *cfg)
{
	struct buf err = BUF_INIT(4096);
	struct queue q;
	int r = -1;

	if (!cfg || !cfg->tree_repo)
		return 0;
	if (queue_open(&q, st, cfg, &err)) {
		log_warnx("queue: %s", err.s);
		buf_release(&err);
		return -1;
	}
	if (store_begin(st))
		goto out;
	r = queue_build(&q, &err);
	if (r) {
		store_rollback(st);
		log_warnx("queue: cannot rebuild the branches: %s", err.s);
		r = -1;
		goto out;
	}
	if (store_commit(st)) {
		store_rollback(st);
		r = -1;
		goto out;
	}
	r = queue_update_refs(&q, true, &err) < 0 ? -1 : 0;
	if (r)
		log_warnx("queue: %s", err.s);
out:
	queue_close(&q);
	buf_release(&err);
	return r;
}

int queue_savepoint(struct store *st)
{
	return store_exec(st, "SAVEPOINT queue_command");
}

int queue_release(struct store *st)
{
	return store_exec(st, "RELEASE queue_command");
}

void queue_rollback_savepoint(struct store *st)
{
	sqlite3_exec(st->db, "ROLLBACK TO queue_command; RELEASE queue_command",
		     NULL, NULL, NULL);
}
