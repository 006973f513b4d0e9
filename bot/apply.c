/* SPDX-License-Identifier: GPL-2.0-or-later */
/* apply: one patch mail to one commit with libgit2 (see apply.h). */
#include "apply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hunkapply.h"
#include "log.h"

/* "Name <addr>" or "addr" into new strings; the name may come out empty. */
static void split_address(const char *s, char **name, char **email)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (!lt || !gt) {
		*name = xstrdup("");
		*email = str_trim_dup(s, strlen(s));
		return;
	}
	*email = str_trim_dup(lt + 1, (size_t)(gt - lt - 1));
	*name = str_trim_dup(s, (size_t)(lt - s));
	if (**name == '"') {
		size_t len = strlen(*name);
		char *unq = xstrndup(*name + 1, len > 1 && (*name)[len - 1] == '"' ?
					    len - 2 : len - 1);

		free(*name);
		*name = unq;
	}
}

/* A "Key: value" line, as git interpret-trailers sees one? */
static bool is_trailer_line(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-'))
		i++;
	return i > 0 && i + 1 < len && s[i] == ':' && s[i + 1] == ' ';
}

/* Does the last paragraph of text consist of trailer lines only? */
static bool ends_with_trailers(const char *text, size_t len)
{
	const char *para = text, *p, *end = text + len;
	bool any = false;

	for (p = text; p < end; p++)
		if (*p == '\n' && p + 1 < end && p[1] == '\n')
			para = p + 2;
	for (p = para; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l && !is_trailer_line(p, l) && !(any && (*p == ' ' || *p == '\t')))
			return false;
		any = any || l;
		p += l + 1;
	}
	return any;
}

/* Is line (no newline) one of the lines of text, compared case-insensitively? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (l == n && !strncasecmp(p, line, n))
			return true;
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

static const char *last_line(const struct buf *b)
{
	size_t end = b->len;

	while (end && b->s[end - 1] == '\n')
		end--;
	while (end && b->s[end - 1] != '\n')
		end--;
	return b->s + end;
}

char *apply_message(const struct apply_patch *p, const struct apply_ident *who,
		    char **author_name, char **author_email)
{
	struct buf msg = BUF_INIT(BUF_NOLIMIT), add = BUF_INIT(BUF_NOLIMIT);
	const char *body = p->changelog ? p->changelog : "";
	char *sob, *tail;

	*author_name = NULL;
	*author_email = NULL;
	while (*body == '\n' || *body == ' ' || *body == '\t')
		body++;
	/*
	 * In-body headers, as git mailinfo reads them: someone sending on
	 * behalf of the author puts "From: Author <addr>" (and maybe
	 * "Date:") first in the body; they override the mail's and are not
	 * part of the message.
	 */
	while (starts_with(body, "From: ") || starts_with(body, "Date: ")) {
		const char *nl = strchr(body, '\n');
		size_t l = nl ? (size_t)(nl - body) : strlen(body);

		if (starts_with(body, "From: ") && !*author_email) {
			char *v = xstrndup(body + 6, l - 6);

			split_address(v, author_name, author_email);
			free(v);
		}
		body += l;
		while (*body == '\n')
			body++;
	}
	if (!*author_email || !**author_email) {
		free(*author_name);
		free(*author_email);
		*author_name = xstrdup(p->from_name ? p->from_name : "");
		*author_email = xstrdup(p->from_email ? p->from_email : "");
	}
	buf_adds(&msg, p->title ? p->title : "");
	buf_addch(&msg, '\n');
	if (*body) {
		buf_addch(&msg, '\n');
		buf_adds(&msg, body);
		buf_rtrim(&msg);
		buf_addch(&msg, '\n');
	}
	for (size_t i = 0; p->trailers && i < p->trailers->nr; i++)
		if (!has_line(body, p->trailers->v[i]) && !has_line(add.s, p->trailers->v[i]))
			buf_addf(&add, "%s\n", p->trailers->v[i]);
	if (who->link_url && *who->link_url && p->message_id) {
		const char *pct = strstr(who->link_url, "%s");

		if (pct)
			buf_addf(&add, "Link: %.*s%s%s\n", (int)(pct - who->link_url),
				 who->link_url, p->message_id, pct + 2);
		else
			buf_addf(&add, "Link: %s\n", who->link_url);
	}
	sob = xasprintf("Signed-off-by: %s <%s>", who->name && *who->name ?
			who->name : who->email, who->email);
	tail = xstrdup(add.len ? last_line(&add) : *body ? last_line(&msg) : "");
	if (tail[0] && tail[strlen(tail) - 1] == '\n')
		tail[strlen(tail) - 1] = 0;
	if (strcmp(tail, sob))
		buf_addf(&add, "%s\n", sob);
	if (add.len) {
		if (!*body || !ends_with_trailers(body, strlen(body)))
			buf_addch(&msg, '\n');
		buf_add(&msg, add.s, add.len);
	}
	free(tail);
	free(sob);
	buf_release(&add);
	return buf_detach(&msg, NULL);
}

/* Where libgit2 was when applying failed: the file and the hunk. */
struct apply_where {
	const char *path;
	int hunk;
	char header[160];
};

static int on_delta(const git_diff_delta *d, void *payload)
{
	struct apply_where *w = payload;

	w->path = d->new_file.path ? d->new_file.path : d->old_file.path;
	w->hunk = 0;
	w->header[0] = 0;
	return 0;
}

static int on_hunk(const git_diff_hunk *h, void *payload)
{
	struct apply_where *w = payload;
	size_t n = h->header_len;

	w->hunk++;
	while (n && (h->header[n - 1] == '\n' || h->header[n - 1] == '\r'))
		n--;
	if (n >= sizeof(w->header))
		n = sizeof(w->header) - 1;
	memcpy(w->header, h->header, n);
	w->header[n] = 0;
	return 0;
}

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

/*
 * libgit2 1.5 gives a pure rename (similarity 100%, no mode lines) the
 * default mode 100644, so a renamed script loses its executable bit; git
 * keeps the old mode.  Copy it from the parent tree.
 */
static int fix_rename_modes(git_index *idx, git_tree *tree, git_diff *diff)
{
	size_t n = git_diff_num_deltas(diff);

	for (size_t i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const git_index_entry *e;
		git_tree_entry *te = NULL;
		git_index_entry copy;

		if (d->status != GIT_DELTA_RENAMED || d->old_file.mode != d->new_file.mode)
			continue;
		if (git_tree_entry_bypath(&te, tree, d->old_file.path) < 0)
			continue;
		e = git_index_get_bypath(idx, d->new_file.path, 0);
		if (e && e->mode != (uint32_t)git_tree_entry_filemode(te)) {
			copy = *e;
			copy.mode = (uint32_t)git_tree_entry_filemode(te);
			if (git_index_add(idx, &copy) < 0) {
				git_tree_entry_free(te);
				return -1;
			}
		}
		git_tree_entry_free(te);
	}
	return 0;
}

/* The general path: libgit2's git_apply_to_tree, for what hunk_apply leaves. */
static int apply_tree_libgit2(git_repository *repo, const git_oid *parent_tree,
			      const char *diff_text, git_oid *tree_out, struct buf *err)
{
	git_apply_options o;
	struct apply_where w = { 0 };
	git_diff *diff = NULL;
	git_tree *tree = NULL;
	git_index *idx = NULL;
	int r = -1;

	if (git_tree_lookup(&tree, repo, parent_tree) < 0) {
		buf_addf(err, "cannot read tree '%s': %s", git_oid_tostr_s(parent_tree),
			 git_msg());
		return -1;
	}
	if (git_diff_from_buffer(&diff, diff_text, strlen(diff_text)) < 0) {
		buf_addf(err, "cannot read the diff: %s", git_msg());
		r = 1;
		goto out;
	}
	git_apply_options_init(&o, GIT_APPLY_OPTIONS_VERSION);
	o.delta_cb = on_delta;
	o.hunk_cb = on_hunk;
	o.payload = &w;
	if (git_apply_to_tree(&idx, repo, tree, diff, &o) < 0) {
		if (w.path && w.hunk)
			buf_addf(err, "file '%s', hunk #%d (%s): %s", w.path, w.hunk,
				 w.header, git_msg());
		else if (w.path)
			buf_addf(err, "file '%s': %s", w.path, git_msg());
		else
			buf_addf(err, "%s", git_msg());
		r = 1;
		goto out;
	}
	if (fix_rename_modes(idx, tree, diff) < 0 ||
	    git_index_write_tree_to(tree_out, idx, repo) < 0) {
		buf_addf(err, "cannot write the tree: %s", git_msg());
		goto out;
	}
	r = 0;
out:
	git_index_free(idx);
	git_diff_free(diff);
	git_tree_free(tree);
	return r;
}

int apply_tree_to(git_repository *repo, struct packwriter *pw, const git_oid *parent_tree,
		  const char *diff_text, git_oid *tree_out, struct buf *err)
{
	int r = hunk_apply(repo, pw, parent_tree, diff_text, strlen(diff_text), tree_out, err);

	if (r != HUNK_FALLBACK)
		return r;
	log_debug(LOG_GIT, "applying with libgit2 (binary or unusual diff)");
	return apply_tree_libgit2(repo, parent_tree, diff_text, tree_out, err);
}

int apply_tree(git_repository *repo, const git_oid *parent_tree,
	       const char *diff_text, git_oid *tree_out, struct buf *err)
{
	return apply_tree_to(repo, NULL, parent_tree, diff_text, tree_out, err);
}

int apply_commit(git_repository *repo, const git_oid *parent,
		 const struct apply_patch *p, const struct apply_ident *who,
		 git_oid *out, struct buf *err)
{
	return apply_commit_to(repo, NULL, parent, p, who, out, err);
}

int apply_commit_to(git_repository *repo, struct packwriter *pw, const git_oid *parent,
		    const struct apply_patch *p, const struct apply_ident *who,
		    git_oid *out, struct buf *err)
{
	git_signature *author = NULL, *committer = NULL;
	git_commit *pc = NULL;
	git_tree *tree = NULL;
	git_buf raw = GIT_BUF_INIT;
	char *name = NULL, *email = NULL, *msg;
	git_oid tree_id;
	int r;

	if (git_commit_lookup(&pc, repo, parent) < 0) {
		buf_addf(err, "cannot read commit '%s': %s", git_oid_tostr_s(parent),
			 git_msg());
		return -1;
	}
	r = apply_tree_to(repo, pw, git_commit_tree_id(pc), p->diff, &tree_id, err);
	for (size_t i = 0; !r && p->fixups && i < p->fixups->nr; i++) {
		git_oid folded = tree_id;

		r = apply_tree_to(repo, pw, &folded, p->fixups->v[i], &tree_id, err);
	}
	if (r)
		goto out;
	r = -1;
	msg = apply_message(p, who, &name, &email);
	/* libgit2 refuses an empty name: git would use the address */
	if (git_signature_new(&author, *name ? name : email, email, p->date,
			      p->date_tz) < 0 ||
	    git_signature_new(&committer, who->name && *who->name ? who->name : who->email,
			      who->email, who->when, 0) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    git_commit_create_buffer(&raw, repo, author, committer, NULL, msg, tree, 1,
				     (const git_commit *[]){ pc }) < 0)
		buf_addf(err, "cannot write the commit: %s", git_msg());
	else if (pack_write(pw, repo, GIT_OBJECT_COMMIT, raw.ptr, raw.size, out, err) == 0)
		r = 0;
	git_buf_dispose(&raw);
	free(msg);
out:
	free(name);
	free(email);
	git_tree_free(tree);
	git_signature_free(author);
	git_signature_free(committer);
	git_commit_free(pc);
	return r;
}
