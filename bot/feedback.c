/* SPDX-License-Identifier: GPL-2.0-or-later */
/* feedback: run the checks on a complete version and queue one mail. */
#include "feedback.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feedback_check.h"
#include "feedback_int.h"
#include "log.h"
#include "maintainers.h"
#include "util.h"

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

static void fb_release(struct fb *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		free(f->p[i].title);
		free(f->p[i].changelog);
		free(f->p[i].diff);
		free(f->p[i].author_name);
		free(f->p[i].author_addr);
	}
	free(f->p);
	free(f->title);
	free(f->author_name);
	free(f->author_email);
	free(f->anchor_id);
	free(f->anchor_subject);
	free(f->anchor_refs);
	free(f->templates);
	strlist_clear(&f->posted);
	strlist_clear(&f->checks);
	strlist_clear(&f->texts);
	strlist_clear(&f->cc);
}

/* "a@b, c@d" into list, lowercased, no duplicates. */
static void add_addresses(struct strlist *list, const char *csv)
{
	const char *p = csv;

	while (*p) {
		size_t len = strcspn(p, ",");
		char *a = str_lower(str_trim_dup(p, len));

		if (*a && !strlist_has_icase(list, a))
			strlist_push(list, a);
		free(a);
		p += len + (p[len] == ',');
	}
}

static int fb_load(struct fb *f)
{
	sqlite3_stmt *s = store_stmt(f->st,
		"SELECT v.series_id, v.version, v.label, v.title, v.author_name,"
		" v.author_email, v.date, m.message_id, m.subject, m.refs"
		" FROM versions v LEFT JOIN messages m ON m.id = coalesce(v.cover_id,"
		"  (SELECT message_id FROM patches WHERE version_id = v.id"
		"   ORDER BY n, id LIMIT 1))"
		" WHERE v.id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, f->id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return -1;
	}
	f->series_id = sqlite3_column_int64(s, 0);
	f->version = sqlite3_column_int(s, 1);
	f->label = sqlite3_column_int(s, 2);
	f->title = xstrdup(col(s, 3));
	f->author_name = xstrdup(col(s, 4));
	f->author_email = xstrdup(col(s, 5));
	f->date = sqlite3_column_int64(s, 6);
	f->anchor_id = xstrdup(col(s, 7));
	f->anchor_subject = xstrdup(col(s, 8));
	f->anchor_refs = xstrdup(col(s, 9));
	sqlite3_reset(s);
	s = store_stmt(f->st,
		"SELECT p.id, p.n, p.total, p.title, p.changelog, d.diff,"
		" m.from_name, m.from_email FROM patches p"
		" JOIN messages m ON m.id = p.message_id"
		" JOIN patch_diffs d ON d.patch_id = p.id"
		" WHERE p.version_id = ? ORDER BY p.n, p.id");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, f->id);
	while (f->nr < MAX_PATCHES && sqlite3_step(s) == SQLITE_ROW) {
		struct fb_patch *p;

		ALLOC_GROW(f->p, f->nr + 1, f->alloc);
		p = &f->p[f->nr++];
		p->id = sqlite3_column_int64(s, 0);
		p->n = sqlite3_column_int(s, 1);
		p->total = sqlite3_column_int(s, 2);
		p->title = xstrdup(col(s, 3));
		p->changelog = xstrdup(col(s, 4));
		p->diff = xstrdup(col(s, 5));
		changelog_author(p->changelog, col(s, 6), col(s, 7),
				 &p->author_name, &p->author_addr);
	}
	sqlite3_reset(s);
	s = store_stmt(f->st,
		"SELECT from_email, to_addrs, cc_addrs FROM messages"
		" WHERE version_id = ? AND kind IN ('patch', 'cover')");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, f->id);
	while (sqlite3_step(s) == SQLITE_ROW)
		for (int i = 0; i < 3; i++)
			add_addresses(&f->posted, col(s, i));
	sqlite3_reset(s);
	return f->anchor_id[0] ? 0 : -1;
}

/* Render templates/feedback/name into a finding; a broken template is
 * logged and leaves the finding out, never the whole mail. */
static void add_finding(struct fb *f, const char *check, const char *name,
			const struct tvars *v)
{
	struct buf out = BUF_INIT(256 << 10), err = BUF_INIT(1024);

	if (template_render_file(f->templates, name, v, &out, &err)) {
		log_warnx("feedback for <%s>: %s", f->anchor_id, err.s);
	} else {
		buf_rtrim(&out);
		strlist_push(&f->checks, check);
		strlist_push(&f->texts, out.s);
	}
	buf_release(&out);
	buf_release(&err);
}

static void add_patch_item(struct tvars *v, const struct fb_patch *p)
{
	struct tvars *item = tvars_add_item(v, "patches");

	tvars_setf(item, "n", "%d", p->n);
	tvars_setf(item, "total", "%d", p->total);
	tvars_set(item, "title", p->title);
	if (*p->author_name)
		tvars_setf(item, "author", "%s <%s>", p->author_name, p->author_addr);
	else
		tvars_set(item, "author", p->author_addr);
}

/* The effect wording, 1 to FEEDBACK_EFFECT_VARIANTS: from the first
 * Message-ID, so tests can predict it, but never the one the submitter
 * got last time, so it does not read like a form letter. */
static int pick_variant(struct fb *f, const char *seed)
{
	sqlite3_stmt *s = store_stmt(f->st,
		"SELECT variant FROM feedback_sent WHERE submitter = ?"
		" AND variant IS NOT NULL ORDER BY id DESC LIMIT 1");
	char hex[41];
	int v, last;

	hash_hex(seed, strlen(seed), hex);
	hex[8] = '\0';
	v = (int)(strtoul(hex, NULL, 16) % FEEDBACK_EFFECT_VARIANTS) + 1;
	if (!s)
		return -1;
	store_bind_text(s, 1, f->author_email);
	last = (int)store_int(f->st, s, 0);
	if (v == last)
		v = v % FEEDBACK_EFFECT_VARIANTS + 1;
	return v;
}

static int check_fixes(struct fb *f)
{
	struct tvars *effect = tvars_new(), *sec = tvars_new();
	size_t ne = 0, ns = 0;

	tvars_set_list(effect, "patches");
	tvars_set_list(sec, "patches");
	for (size_t i = 0; i < f->nr; i++) {
		struct changelog_facts cf;

		changelog_read(f->p[i].title, f->p[i].changelog, &cf);
		if (f->cfg->feedback_effect && changelog_wants_effect(&cf)) {
			add_patch_item(effect, &f->p[i]);
			ne++;
		}
		if (f->cfg->feedback_security && changelog_wants_security(&cf)) {
			add_patch_item(sec, &f->p[i]);
			ns++;
		}
	}
	if (ne) {
		char *name;

		f->variant = pick_variant(f, f->anchor_id);
		if (f->variant < 0)
			goto fail;
		name = xasprintf("effect-%d.txt", f->variant);
		tvars_set(effect, "submitter_name", f->author_name);
		tvars_set_bool(effect, "one", ne == 1);
		add_finding(f, "effect", name, effect);
		free(name);
	}
	if (ns) {
		tvars_set(sec, "submitter_name", f->author_name);
		tvars_set_bool(sec, "one", ns == 1);
		add_finding(f, "security", "security.txt", sec);
	}
	tvars_free(effect);
	tvars_free(sec);
	return 0;
fail:
	tvars_free(effect);
	tvars_free(sec);
	return -1;
}

/* Who the patch should have reached: sections of its files, K: content. */
static int check_maintainers(struct fb *f)
{
	struct maintainers *mt = NULL;
	struct maintainers_result r = { 0 };
	struct buf err = BUF_INIT(1024);
	struct tvars *v;
	sqlite3_stmt *s;
	int ret = 0;

	if (!f->cfg->tree_repo || !f->cfg->tree_base)
		return 0;
	if (maintainers_load(&mt, f->cfg->tree_repo, f->cfg->tree_base, &err) <= 0) {
		if (err.len)
			log_warnx("feedback: not checking Cc's: %s", err.s);
		buf_release(&err);
		return 0;
	}
	buf_release(&err);
	s = store_stmt(f->st,
		"SELECT coalesce(new_path, old_path), old_path FROM patch_files"
		" WHERE patch_id = ? ORDER BY idx");
	for (size_t i = 0; s && i < f->nr; i++) {
		sqlite3_bind_int64(s, 1, f->p[i].id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			maintainers_for_file(mt, col(s, 0), &r);
			if (sqlite3_column_type(s, 1) != SQLITE_NULL &&
			    strcmp(col(s, 0), col(s, 1)))
				maintainers_for_file(mt, col(s, 1), &r);
		}
		sqlite3_reset(s);
		maintainers_for_content(mt, f->p[i].diff, &r);
	}
	if (!s)
		ret = -1;
	v = tvars_new();
	tvars_set_list(v, "people");
	for (size_t i = 0; i < r.nr; i++) {
		const struct maintainers_entry *e = &r.v[i];
		struct tvars *item;

		if (strlist_has_icase(&f->posted, e->addr) ||
		    !strcasecmp(e->addr, f->author_email) ||
		    (f->cfg->bot_address && !strcasecmp(e->addr, f->cfg->bot_address)) ||
		    strlist_has_icase(&f->cc, e->addr))
			continue;
		item = tvars_add_item(v, "people");
		tvars_set(item, "name", e->name);
		tvars_set(item, "addr", e->addr);
		tvars_set(item, "role", e->role);
		tvars_set(item, "section", e->section);
		strlist_push(&f->cc, e->addr);
	}
	if (f->cc.nr)
		add_finding(f, "maintainers", "maintainers.txt", v);
	tvars_free(v);
	maintainers_result_release(&r);
	maintainers_free(mt);
	return ret;
}

/* vN+1 while replies to vN were still coming, and nobody asked for it. */
static int check_too_soon(struct fb *f)
{
	int64_t prev, since = f->date - (int64_t)f->cfg->feedback_discussion_hours * 3600;
	int64_t replies = 0;
	bool asked = false;
	sqlite3_stmt *s;
	struct tvars *v;

	if (f->version < 2)
		return 0;
	s = store_stmt(f->st, "SELECT id FROM versions WHERE series_id = ? AND version = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, f->series_id);
	sqlite3_bind_int(s, 2, f->version - 1);
	prev = store_int(f->st, s, 0);
	if (!prev)
		return 0;
	s = store_stmt(f->st,
		"SELECT from_email, date, body FROM messages WHERE version_id = ?"
		" AND kind = 'reply'");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, prev);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *from = col(s, 0), *body = col(s, 2);
		int64_t date = sqlite3_column_int64(s, 1);

		if (f->cfg->bot_address && !strcasecmp(from, f->cfg->bot_address))
			continue;
		if (strlist_has_icase(&f->cfg->maintainers, from) &&
		    reply_asks_resend(body))
			asked = true;
		if (date >= since && date <= f->date)
			replies++;
	}
	sqlite3_reset(s);
	if (asked || !replies)
		return 0;
	v = tvars_new();
	tvars_setf(v, "version", "%d", f->label);
	tvars_setf(v, "previous", "%d", f->label > 1 ? f->label - 1 : f->version - 1);
	tvars_setf(v, "replies", "%lld", (long long)replies);
	tvars_setf(v, "hours", "%u", f->cfg->feedback_discussion_hours);
	add_finding(f, "too-soon", "too-soon.txt", v);
	tvars_free(v);
	return 0;
}

static int check_routes(struct fb *f)
{
	struct tvars *v = tvars_new();
	size_t found = 0;
	sqlite3_stmt *s = store_stmt(f->st,
		"SELECT DISTINCT coalesce(pf.new_path, pf.old_path) FROM patch_files pf"
		" JOIN patches p ON p.id = pf.patch_id WHERE p.version_id = ?"
		" ORDER BY 1");

	tvars_set_list(v, "routes");
	for (size_t i = 0; s && i < f->cfg->feedback_routes.nr; i++) {
		struct feedback_route r;
		struct buf err = BUF_INIT(1024), files = BUF_INIT(4096);
		size_t nf = 0;

		if (feedback_route_parse(f->cfg->feedback_routes.v[i], &r, &err)) {
			log_warnx("feedback: skipping a route: %s", err.s);
			buf_release(&err);
			continue;
		}
		sqlite3_bind_int64(s, 1, f->id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			if (!feedback_route_match(&r, col(s, 0)))
				continue;
			if (nf < MAX_ROUTE_FILES)
				buf_addf(&files, "%s%s", nf ? ", " : "", col(s, 0));
			nf++;
		}
		sqlite3_reset(s);
		if (nf > MAX_ROUTE_FILES)
			buf_addf(&files, " and %zu more", nf - MAX_ROUTE_FILES);
		if (nf) {
			struct tvars *item = tvars_add_item(v, "routes");

			tvars_set(item, "text", r.text);
			tvars_set(item, "files", files.s);
			found++;
		}
		feedback_route_release(&r);
		buf_release(&err);
		buf_release(&files);
	}
	if (found)
		add_finding(f, "route", "route.txt", v);
	tvars_free(v);
	return s ? 0 : -1;
}

static void check_signoff(struct fb *f)
{
	struct tvars *v = tvars_new();
	size_t n = 0;

	tvars_set_list(v, "patches");
	for (size_t i = 0; i < f->nr; i++) {
		if (changelog_signed_by(f->p[i].changelog, f->p[i].author_name,
					f->p[i].author_addr))
			continue;
		add_patch_item(v, &f->p[i]);
		n++;
	}
	tvars_set_bool(v, "one", n == 1);
	tvars_set(v, "dco_url", FEEDBACK_DCO_URL);
	if (n)
		add_finding(f, "signoff", "signoff.txt", v);
	tvars_free(v);
}

static int run_checks(struct fb *f)
{
	const struct config *c = f->cfg;

	if (((c->feedback_effect || c->feedback_security) && check_fixes(f)) ||
	    (c->feedback_maintainers && check_maintainers(f)) ||
	    (c->feedback_too_soon && check_too_soon(f)) || check_routes(f))
		return -1;
	if (c->feedback_signoff)
		check_signoff(f);
	return 0;
}

static bool can_send(const struct config *cfg)
{
	return cfg && cfg->feedback_enable && cfg->bot_address && cfg->bot_templates;
}

/* Check version_id; send when something is missing.  seed names the mail
 * answered (the Message-ID the feedback's own is derived from). */
static int feedback_run(struct store *st, const struct config *cfg,
			int64_t version_id, const char *seed, int64_t cause_row,
			bool *sent)
{
	struct fb f = { .st = st, .cfg = cfg, .id = version_id };
	int r = -1;

	*sent = false;
	if (fb_load(&f))
		goto out;
	f.templates = xasprintf("%s/feedback", cfg->bot_templates);
	if (run_checks(&f))
		goto out;
	r = 0;
	if (!f.texts.nr) {
		log_debug(LOG_DB, "feedback: nothing missing in version %lld",
			  (long long)version_id);
		goto out;
	}
	r = feedback_mail_send(&f, seed ? seed : f.anchor_id, cause_row);
	*sent = !r;
out:
	fb_release(&f);
	return r;
}

int feedback_check_version(struct store *st, const struct config *cfg,
			   int64_t version_id)
{
	sqlite3_stmt *s;
	bool sent;
	int q;

	if (!can_send(cfg))
		return 0;
	s = store_stmt(st, "SELECT count(*) FROM feedback_sent WHERE version_id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	if (store_int(st, s, 0) > 0)
		return 0;
	s = store_stmt(st, "SELECT series_id FROM versions WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	q = feedback_is_quiet(st, store_int(st, s, 0));
	if (q)
		return q < 0 ? -1 : 0;
	return feedback_run(st, cfg, version_id, NULL, 0, &sent);
}

int feedback_send_again(struct store *st, const struct config *cfg,
			int64_t version_id, const char *cause_msgid,
			int64_t cause_row, bool *sent)
{
	*sent = false;
	if (!can_send(cfg))
		return 0;
	return feedback_run(st, cfg, version_id, cause_msgid, cause_row, sent);
}

int feedback_set_quiet(struct store *st, int64_t series_id, const char *by,
		       bool quiet)
{
	sqlite3_stmt *s;

	if (!quiet) {
		s = store_stmt(st, "DELETE FROM feedback_quiet WHERE series_id = ?");
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, series_id);
		return store_done(st, s);
	}
	s = store_stmt(st, "INSERT OR REPLACE INTO feedback_quiet (series_id, by, created)"
			   " VALUES (?, ?, ?)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, series_id);
	store_bind_text(s, 2, by);
	sqlite3_bind_int64(s, 3, now_seconds());
	return store_done(st, s);
}

int feedback_is_quiet(struct store *st, int64_t series_id)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM feedback_quiet WHERE series_id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, series_id);
	return store_int(st, s, 0) == 1;
}
