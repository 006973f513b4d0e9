/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * subnotice: when a series version is complete, one notice to each
 * subscriber whose subscriptions its patches touch, threaded under the
 * cover letter, with one-click unsubscribe addresses (see subs.h).
 * Functions are attributed with the file's pre-image from tree.repo, at
 * the top queue branch, else tree.base (touched.h).
 */
#include "subs.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "log.h"
#include "outbox.h"
#include "reply.h"
#include "template.h"
#include "touched.h"
#include "util.h"

static const struct tschema match_schema[] = {
	{ "spec", TS_TEXT, NULL },
	{ "what", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

static const struct tschema patch_schema[] = {
	{ "n", TS_TEXT, NULL },
	{ "total", TS_TEXT, NULL },
	{ "title", TS_TEXT, NULL },
	{ "message_id", TS_TEXT, NULL },
	{ "link", TS_TEXT, NULL },
	{ "matches", TS_LIST, match_schema },
	{ NULL, 0, NULL },
};

static const struct tschema sub_schema[] = {
	{ "spec", TS_TEXT, NULL },
	{ "unsubscribe_address", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

/* templates/notice-subscription.txt */
const struct tschema subs_notice_schema[] = {
	{ "bot_name", TS_TEXT, NULL },
	{ "title", TS_TEXT, NULL },
	{ "version", TS_TEXT, NULL },
	{ "total", TS_TEXT, NULL },
	{ "author", TS_TEXT, NULL },
	{ "patches", TS_LIST, patch_schema },
	{ "subscriptions", TS_LIST, sub_schema },
	{ NULL, 0, NULL },
};

/* The tree that pre-images come from, opened on first need. */
struct preimage {
	const struct config *cfg;
	bool tried;
	git_repository *repo;
	git_tree *tree;
};

static int read_preimage(const char *path, struct buf *out, void *payload)
{
	struct preimage *pi = payload;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int r = 0;

	if (!pi->tried) {
		const struct strlist *b = &pi->cfg->tree_branches;
		git_object *obj = NULL;
		char *top;

		pi->tried = true;
		if (!pi->cfg->tree_repo ||
		    git_repository_open_ext(&pi->repo, pi->cfg->tree_repo,
					    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
			return 0;
		top = b->nr ? xasprintf("refs/heads/%s", b->v[b->nr - 1]) : NULL;
		if ((!top || git_revparse_single(&obj, pi->repo, top) < 0) &&
		    git_revparse_single(&obj, pi->repo, pi->cfg->tree_base) < 0)
			obj = NULL;
		free(top);
		if (obj && git_object_peel((git_object **)&pi->tree, obj, GIT_OBJECT_TREE) < 0)
			pi->tree = NULL;
		git_object_free(obj);
	}
	if (!pi->tree)
		return 0;
	if (git_tree_entry_bypath(&te, pi->tree, path) < 0)
		return 0;
	if (git_tree_entry_type(te) == GIT_OBJECT_BLOB &&
	    git_blob_lookup(&blob, pi->repo, git_tree_entry_id(te)) == 0)
		r = buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob))
			? -1 : 1;
	git_blob_free(blob);
	git_tree_entry_free(te);
	return r;
}

struct hit {
	char *address, *spec, *token, *what;
	size_t patch;   /* index into the version's patches */
	int64_t sub;
};

struct matcher {
	struct touched *t;
	size_t file, patch;
	const char *name;
	struct preimage *pi;
	struct hit *v;
	size_t nr, alloc;
};

static void add_hit(struct matcher *mt, const struct subs_hit *h, const char *what)
{
	struct hit *x;

	/* one line per subscription and patch: later files join the first */
	for (size_t i = mt->nr; i-- > 0 && mt->v[i].patch == mt->patch;) {
		x = &mt->v[i];
		if (x->sub == h->id) {
			/* a patch touching hundreds of files under one folder
			 * names the first few: the notice stays readable, and
			 * the work linear */
			if (strlen(x->what) > 300) {
				if (!strstr(x->what, ", ...")) {
					char *w = xasprintf("%s, ...", x->what);

					free(x->what);
					x->what = w;
				}
			} else if (!strstr(x->what, what)) {
				char *w = xasprintf("%s, %s", x->what, what);

				free(x->what);
				x->what = w;
			}
			return;
		}
	}
	ALLOC_GROW(mt->v, mt->nr + 1, mt->alloc);
	x = &mt->v[mt->nr++];
	x->address = xstrdup(h->address);
	x->spec = subs_spec(h->path, h->func);
	x->token = xstrdup(h->token);
	x->what = xstrdup(what);
	x->patch = mt->patch;
	x->sub = h->id;
}

static int on_hit(const struct subs_hit *h, void *payload)
{
	struct matcher *mt = payload;
	struct touched_file *f = &mt->t->files[mt->file];
	struct buf what = BUF_INIT(4096);

	if (!*h->func) {
		add_hit(mt, h, mt->name);
		return 0;
	}
	/* only now is the file read and scanned: most files need no functions */
	touched_funcs(mt->t, mt->file, read_preimage, mt->pi);
	for (size_t i = 0; i < f->funcs.nr; i++)
		if (subs_glob_match(h->func, f->funcs.v[i]))
			buf_addf(&what, "%s%s()", what.len ? ", " : "", f->funcs.v[i]);
	if (what.len) {
		char *w = xasprintf("%s: %s", mt->name, what.s);

		add_hit(mt, h, w);
		free(w);
	}
	buf_release(&what);
	return 0;
}

/* Match one patch's diff; hits go to mt. */
static int match_patch(struct store *st, struct matcher *mt, const char *diff)
{
	struct touched t;
	int r = 0;

	if (touched_parse(&t, diff, strlen(diff))) {
		touched_release(&t);
		return 0;
	}
	mt->t = &t;
	for (size_t i = 0; i < t.nr_files && !r; i++) {
		const char *o = t.files[i].old_path, *n = t.files[i].new_path;

		mt->file = i;
		/* both names of a rename count */
		if (n) {
			mt->name = n;
			r = subs_match_file(st, n, on_hit, mt);
		}
		if (!r && o && (!n || strcmp(o, n))) {
			mt->name = o;
			r = subs_match_file(st, o, on_hit, mt);
		}
	}
	touched_release(&t);
	mt->t = NULL;
	return r;
}

static void hits_release(struct matcher *mt)
{
	for (size_t i = 0; i < mt->nr; i++) {
		free(mt->v[i].address);
		free(mt->v[i].spec);
		free(mt->v[i].token);
		free(mt->v[i].what);
	}
	free(mt->v);
	mt->v = NULL;
	mt->nr = mt->alloc = 0;
}

static void preimage_release(struct preimage *pi)
{
	git_tree_free(pi->tree);
	git_repository_free(pi->repo);
}

int subs_match_diff(struct store *st, const struct config *cfg,
		    const char *diff, size_t *hits)
{
	struct preimage pi = { .cfg = cfg };
	struct matcher mt = { .pi = &pi };
	int r = match_patch(st, &mt, diff);

	*hits = mt.nr;
	hits_release(&mt);
	preimage_release(&pi);
	return r;
}

/* The link to a patch: linkUrl with its "%s" replaced by msgid. */
static char *patch_link(const char *pattern, const char *msgid)
{
	const char *p = pattern ? strstr(pattern, "%s") : NULL;

	if (!pattern || !*pattern)
		return xstrdup("");
	if (!p)
		return xstrdup(pattern);
	return xasprintf("%.*s%s%s", (int)(p - pattern), pattern, msgid, p + 2);
}

struct patch_row {
	char *n, *total, *title, *msgid, *diff;
};

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	int c = strcmp(x->address, y->address);

	if (c)
		return c;
	return x->patch < y->patch ? -1 : x->patch > y->patch;
}

/* The notice for hits[0..nr), all to one address. */
static int send_notice(struct store *st, const struct config *cfg,
		       const struct hit *hits, size_t nr, const struct patch_row *p,
		       struct tvars *common, const char *thread, const char *subject,
		       int64_t cause)
{
	const char *addr = hits[0].address, *at = strrchr(cfg->bot_address, '@');
	struct buf body = BUF_INIT(1 << 20), raw = BUF_INIT(2 << 20);
	struct buf err = BUF_INIT(1024), lu = BUF_INIT(4096);
	struct strlist rcpts = { 0 };
	struct tvars *patch = NULL;
	char *msgid, *seed, *subj;
	int r = -1, nr_lu = 0;

	if (!at)
		return 0;
	tvars_set_list(common, "patches");
	tvars_set_list(common, "subscriptions");
	for (size_t i = 0; i < nr; i++) {
		const struct patch_row *pr = &p[hits[i].patch];
		struct tvars *m;
		bool seen = false;

		if (!i || hits[i].patch != hits[i - 1].patch) {
			char *link = patch_link(cfg->sub_link_url, pr->msgid);

			patch = tvars_add_item(common, "patches");
			tvars_set(patch, "n", pr->n);
			tvars_set(patch, "total", pr->total);
			tvars_set(patch, "title", pr->title);
			tvars_set(patch, "message_id", pr->msgid);
			tvars_set(patch, "link", link);
			tvars_set_list(patch, "matches");
			free(link);
		}
		m = tvars_add_item(patch, "matches");
		tvars_set(m, "spec", hits[i].spec);
		tvars_set(m, "what", hits[i].what);
		for (size_t j = 0; j < i && !seen; j++)
			seen = hits[j].sub == hits[i].sub;
		if (!seen) {
			struct tvars *s = tvars_add_item(common, "subscriptions");
			char *u = xasprintf("%.*s+unsubscribe-%s%s",
					    (int)(at - cfg->bot_address), cfg->bot_address,
					    hits[i].token, at);

			tvars_set(s, "spec", hits[i].spec);
			tvars_set(s, "unsubscribe_address", u);
			/* mail clients offer the first; a few more do no harm */
			if (nr_lu++ < 5)
				buf_addf(&lu, "%s<mailto:%s>", lu.len ? ", " : "", u);
			free(u);
		}
	}
	if (template_render_file(cfg->bot_templates, "notice-subscription.txt",
				 common, &body, &err)) {
		log_warnx("notice-subscription.txt: %s", err.s);
		r = 0;
		goto out;
	}
	seed = xasprintf("%s\n%s", thread, addr);
	msgid = reply_message_id("subscription", seed, cfg->bot_address);
	free(seed);
	if (reply_compose(&(struct reply){
			.from_name = cfg->bot_name, .from_addr = cfg->bot_address,
			.to_addr = addr, .subject = subject, .in_reply_to = thread,
			.message_id = msgid, .date = now_seconds(), .body = body.s,
		}, &raw, &err)) {
		log_warnx("no subscription notice to '%s': %s", addr, err.s);
		free(msgid);
		r = 0;
		goto out;
	}
	{
		/* a notice is generated, not a reply (RFC 3834), and can be
		 * stopped in one step (RFC 2369) */
		struct buf joined = BUF_INIT(2 << 20);
		char *sep = strstr(raw.s, "\n\n"), *auto_sub;

		buf_add(&joined, raw.s, sep ? (size_t)(sep - raw.s) + 1 : raw.len);
		header_add_text(&joined, "List-Unsubscribe", lu.s);
		if (sep)
			buf_adds(&joined, sep + 1);
		buf_release(&raw);
		auto_sub = strstr(joined.s, "Auto-Submitted: auto-replied\n");
		if (auto_sub) {
			size_t off = (size_t)(auto_sub - joined.s);

			buf_add(&raw, joined.s, off);
			buf_adds(&raw, "Auto-Submitted: auto-generated\n");
			buf_adds(&raw, joined.s + off + strlen("Auto-Submitted: auto-replied\n"));
			buf_release(&joined);
		} else {
			raw = joined;
		}
	}
	strlist_push(&rcpts, addr);
	subj = reply_subject(subject);
	r = outbox_add(st, &(struct outbox_mail){
		.kind = "subscription", .cause_id = cause, .message_id = msgid,
		.envelope_from = cfg->bot_address, .rcpts = &rcpts,
		.subject = subj, .raw = raw.s, .len = raw.len,
	}) < 0 ? -1 : 0;
	free(subj);
	free(msgid);
out:
	strlist_clear(&rcpts);
	buf_release(&body);
	buf_release(&raw);
	buf_release(&err);
	buf_release(&lu);
	return r;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return xstrdup(t ? (const char *)t : "");
}

int subs_version_complete(struct store *st, const struct config *cfg,
			  int64_t version_id)
{
	struct preimage pi = { .cfg = cfg };
	struct matcher mt = { .pi = &pi };
	struct patch_row *p = NULL;
	size_t nr = 0, alloc = 0;
	char *thread = NULL, *subject = NULL;
	int64_t cause = 0;
	sqlite3_stmt *s;
	int r = -1;

	if (!cfg || !cfg->bot_address)
		return 0;
	s = store_stmt(st, "SELECT 1 FROM subscriptions LIMIT 1");
	if (!s)
		return -1;
	if (store_int(st, s, 0) != 1)
		return 0;   /* nobody subscribed: nothing to read */
	s = store_stmt(st, "SELECT 0, 0, 0, 0, 0, m.message_id, m.subject, m.id"
			   " FROM versions v LEFT JOIN messages m ON m.id = v.cover_id"
			   " WHERE v.id = ?");
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, version_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
			thread = col_dup(s, 5);
			subject = col_dup(s, 6);
			cause = sqlite3_column_int64(s, 7);
		}
	}
	sqlite3_reset(s);
	s = store_stmt(st, "SELECT p.n, p.total, p.title, m.message_id, d.diff,"
			   " m.subject, m.id FROM patches p JOIN messages m"
			   " ON m.id = p.message_id JOIN patch_diffs d ON d.patch_id = p.id WHERE p.version_id = ? ORDER BY p.n, p.id");
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, version_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(p, nr + 1, alloc);
		p[nr] = (struct patch_row){ col_dup(s, 0), col_dup(s, 1), col_dup(s, 2),
					    col_dup(s, 3), col_dup(s, 4) };
		/* no cover letter: the thread hangs from the first patch */
		if (!thread) {
			thread = col_dup(s, 3);
			subject = col_dup(s, 5);
			cause = sqlite3_column_int64(s, 6);
		}
		nr++;
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < nr; i++) {
		mt.patch = i;
		if (match_patch(st, &mt, p[i].diff))
			goto out;
	}
	qsort(mt.v, mt.nr, sizeof(*mt.v), cmp_hit);
	for (size_t i = 0, j; i < mt.nr; i = j) {
		struct tvars *v = tvars_new();
		int sr;

		for (j = i + 1; j < mt.nr && !strcmp(mt.v[j].address, mt.v[i].address); j++)
			;
		/* each notice gets its own copy of the version's variables */
		tvars_set(v, "bot_name", cfg->bot_name);
		{
			sqlite3_stmt *q = store_stmt(st, "SELECT v.version, v.total, v.title,"
							 " v.author_name, v.author_email"
							 " FROM versions v WHERE v.id = ?");

			if (!q) {
				tvars_free(v);
				goto out;
			}
			sqlite3_bind_int64(q, 1, version_id);
			if (sqlite3_step(q) == SQLITE_ROW) {
				tvars_setf(v, "version", "v%d", sqlite3_column_int(q, 0));
				tvars_setf(v, "total", "%d", sqlite3_column_int(q, 1));
				tvars_set(v, "title", (const char *)sqlite3_column_text(q, 2));
				tvars_setf(v, "author", "%s <%s>", sqlite3_column_text(q, 3),
					   sqlite3_column_text(q, 4));
			}
			sqlite3_reset(q);
		}
		sr = send_notice(st, cfg, &mt.v[i], j - i, p, v, thread, subject, cause);
		tvars_free(v);
		if (sr)
			goto out;
	}
	if (mt.nr)
		log_info("version %lld: %zu subscription hits", (long long)version_id, mt.nr);
	r = 0;
out:
	for (size_t i = 0; i < nr; i++) {
		free(p[i].n);
		free(p[i].total);
		free(p[i].title);
		free(p[i].msgid);
		free(p[i].diff);
	}
	free(p);
	free(thread);
	free(subject);
	hits_release(&mt);
	preimage_release(&pi);
	return r;
}
