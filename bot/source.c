/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * source: mbox, Maildir, folders, files, stdin and public-inbox v2 git
 * archives as mail sources.
 */
#include "source.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* ---- mbox ------------------------------------------------------------ */

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/*
 * A real separator is "From " SENDER DATE, where DATE has a month name, a
 * time and a four-digit year ("From 1a2b... Mon Sep 17 00:00:00 2001").
 * Checking the date keeps a body line such as "From hereon, ..." in an
 * unescaped git format-patch mbox from splitting a message.
 */
int mbox_is_separator(const char *line, size_t len)
{
	const char *p = line + 5, *end = line + len;
	int month = 0, time = 0, year = 0;

	if (len < 5 || memcmp(line, "From ", 5) || len > 1000)
		return 0;
	/* the sender: one token */
	if (p >= end || isspace((unsigned char)*p))
		return 0;
	while (p < end && !isspace((unsigned char)*p))
		p++;
	while (p < end) {
		const char *w;
		size_t n;

		while (p < end && isspace((unsigned char)*p))
			p++;
		w = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - w);
		if (!n)
			break;
		if (n == 3 || (n == 4 && w[3] == ','))
			for (int i = 0; i < 12; i++)
				if (!memcmp(w, months[i], 3))
					month = 1;
		if (n >= 4 && n <= 8 && isdigit((unsigned char)w[0]) &&
		    (w[1] == ':' || (isdigit((unsigned char)w[1]) && w[2] == ':')))
			time = 1;
		if (n == 4 && isdigit((unsigned char)w[0]) &&
		    isdigit((unsigned char)w[1]) && isdigit((unsigned char)w[2]) &&
		    isdigit((unsigned char)w[3]))
			year = 1;
	}
	return month && time && year;
}

/* Read in chunks: getline() and an append per line cost more than the parse. */
#define MBOX_CHUNK (256 * 1024)

struct mbox_source {
	struct mail_source src;
	FILE *f;
	int owns_file;
	char *name;
	char *chunk;      /* chunk[pos..len) is not read yet */
	size_t len, pos;
	int chunk_eof;
	int midline;      /* a line longer than the chunk is read in pieces */
	size_t run_start, run_len; /* chunk bytes that belong to msg next */
	struct buf msg;
	size_t full;
	size_t count;
	size_t read;
	size_t total;
	int started;
	int single;       /* no "From " line first: the whole stream is one mail */
	int eof;
	char *where;
};

static void mbox_add(struct mbox_source *m, const char *p, size_t n)
{
	m->full += n;
	/* Past the cap the rest is only counted; the mail will be rejected. */
	if (buf_add(&m->msg, p, n) && m->msg.len < m->msg.max)
		buf_add(&m->msg, p, m->msg.max - m->msg.len);
}

/* Lines that follow each other in the chunk are copied in one go. */
static void mbox_flush_run(struct mbox_source *m)
{
	if (m->run_len)
		mbox_add(m, m->chunk + m->run_start, m->run_len);
	m->run_len = 0;
}

static void mbox_keep(struct mbox_source *m, const char *p, size_t n)
{
	size_t off = (size_t)(p - m->chunk);

	if (m->run_len && m->run_start + m->run_len == off) {
		m->run_len += n;
		return;
	}
	mbox_flush_run(m);
	m->run_start = off;
	m->run_len = n;
}

/*
 * The next line with its newline, or the next piece of one longer than
 * the chunk (*start says whether it begins a line).  Returns its length,
 * 0 at the end, -1 on a read error.
 */
static ssize_t mbox_getline(struct mbox_source *m, const char **line, int *start)
{
	const char *nl;
	size_t n;

	for (;;) {
		n = m->len - m->pos;
		nl = n ? memchr(m->chunk + m->pos, '\n', n) : NULL;
		if (nl || m->chunk_eof || (!m->pos && m->len == MBOX_CHUNK))
			break;
		/* the pending run and the partial line move to the front */
		mbox_flush_run(m);
		memmove(m->chunk, m->chunk + m->pos, n);
		m->len = n;
		m->pos = 0;
		n = fread(m->chunk + m->len, 1, MBOX_CHUNK - m->len, m->f);
		m->len += n;
		if (!n) {
			if (ferror(m->f))
				return -1;
			m->chunk_eof = 1;
		}
	}
	if (nl)
		n = (size_t)(nl + 1 - (m->chunk + m->pos));
	*line = m->chunk + m->pos;
	*start = !m->midline;
	m->midline = !nl;
	m->pos += n;
	m->read += n;
	return (ssize_t)n;
}

static int mbox_next(struct mail_source *src, struct mail_item *item,
		     struct buf *err)
{
	struct mbox_source *m = (struct mbox_source *)src;
	int prev_blank = 0, start;
	const char *l;
	ssize_t n;

	buf_reset(&m->msg);
	m->full = 0;
	m->run_len = 0;
	if (m->eof)
		return 0;
	while ((n = mbox_getline(m, &l, &start)) > 0) {
		size_t len = (size_t)n;
		size_t body = len && l[len - 1] == '\n' ? len - 1 : len;

		if (!start) {
			/* the rest of a very long line */
			mbox_keep(m, l, len);
			prev_blank = 0;
			continue;
		}
		if (body && l[body - 1] == '\r')
			body--;
		if (!m->started) {
			m->started = 1;
			if (mbox_is_separator(l, body) || starts_with(l, "From "))
				continue;
			m->single = 1;
		}
		if (m->single) {
			mbox_keep(m, l, len);
			continue;
		}
		if (l[0] == 'F' && mbox_is_separator(l, body) &&
		    (prev_blank || !(m->msg.len + m->run_len))) {
			mbox_flush_run(m);
			if (!m->msg.len)
				continue; /* empty message: skip */
			/* the blank line before a separator is the mbox's */
			if (m->msg.s[m->msg.len - 1] == '\n')
				buf_setlen(&m->msg, m->msg.len - 1), m->full--;
			goto got;
		}
		prev_blank = body == 0;
		/* mboxrd: ">From ", ">>From " lose one '>' */
		if (l[0] == '>') {
			size_t i = 0;

			while (i < body && l[i] == '>')
				i++;
			if (body - i >= 5 && !memcmp(l + i, "From ", 5))
				l++, len--;
		}
		mbox_keep(m, l, len);
	}
	mbox_flush_run(m);
	if (n < 0) {
		buf_addf(err, "cannot read '%s': %s", m->name, strerror(errno));
		return -1;
	}
	m->eof = 1;
	if (!m->msg.len)
		return 0;
	if (!m->single && m->msg.s[m->msg.len - 1] == '\n' && m->msg.len > 1 &&
	    m->msg.s[m->msg.len - 2] == '\n')
		buf_setlen(&m->msg, m->msg.len - 1), m->full--;
got:
	m->count++;
	free(m->where);
	m->where = xasprintf("%s:%zu", m->name, m->count);
	item->raw = m->msg.s;
	item->len = m->msg.len;
	item->full_size = m->full;
	item->where = m->where;
	return 1;
}

static void mbox_free(struct mail_source *src)
{
	struct mbox_source *m = (struct mbox_source *)src;

	if (m->owns_file && m->f)
		fclose(m->f);
	free(m->chunk);
	free(m->name);
	free(m->where);
	buf_release(&m->msg);
	free(m);
}

static size_t mbox_progress(struct mail_source *src, size_t *total)
{
	struct mbox_source *m = (struct mbox_source *)src;

	*total = m->total;
	return m->read;
}

static struct mbox_source *mbox_new(FILE *f, const char *name, size_t cap)
{
	struct mbox_source *m = xcalloc(1, sizeof(*m));
	struct stat st;

	m->src.next = mbox_next;
	m->src.free = mbox_free;
	m->src.progress = mbox_progress;
	m->f = f;
	m->name = xstrdup(name);
	m->chunk = xmalloc(MBOX_CHUNK);
	buf_init(&m->msg, cap);
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		m->total = (size_t)st.st_size;
	return m;
}

struct mail_source *source_mbox_stream(void *stdio_file, const char *name,
				       size_t cap)
{
	return &mbox_new(stdio_file, name, cap)->src;
}

/* ---- a list of files (Maildir, folders) -------------------------------- */

struct files_source {
	struct mail_source src;
	struct strlist files;
	size_t next_file;
	int maildir;      /* every file is one message */
	size_t cap;
	struct mail_source *cur;
	size_t read, total;
};

static int files_next(struct mail_source *src, struct mail_item *item,
		      struct buf *err)
{
	struct files_source *fs = (struct files_source *)src;

	for (;;) {
		if (fs->cur) {
			int r = fs->cur->next(fs->cur, item, err);

			if (r)
				return r;
			{
				size_t t, done = fs->cur->progress(fs->cur, &t);

				fs->read += done;
			}
			fs->cur->free(fs->cur);
			fs->cur = NULL;
		}
		if (fs->next_file >= fs->files.nr)
			return 0;
		{
			const char *path = fs->files.v[fs->next_file++];
			FILE *f = fopen(path, "r");
			struct mbox_source *m;

			if (!f) {
				buf_addf(err, "cannot open '%s': %s", path,
					 strerror(errno));
				return -1;
			}
			m = mbox_new(f, path, fs->cap);
			m->owns_file = 1;
			if (fs->maildir) {
				m->started = 1;
				m->single = 1;
			}
			fs->cur = &m->src;
		}
	}
}

static void files_free(struct mail_source *src)
{
	struct files_source *fs = (struct files_source *)src;

	if (fs->cur)
		fs->cur->free(fs->cur);
	strlist_clear(&fs->files);
	free(fs);
}

static size_t files_progress(struct mail_source *src, size_t *total)
{
	struct files_source *fs = (struct files_source *)src;
	size_t t, cur = fs->cur ? fs->cur->progress(fs->cur, &t) : 0;

	*total = fs->total;
	return fs->read + cur;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}


/* Which files in a plain folder are mail: mbox and message files. */
static int is_mail_name(const char *name)
{
	static const char *const exts[] = { ".mbox", ".mbx", ".eml", ".msg",
					    ".mail", ".patch", NULL };
	const char *dot = strrchr(name, '.');

	if (!dot)
		return 1;
	for (int i = 0; exts[i]; i++)
		if (!strcmp(dot, exts[i]))
			return 1;
	return 0;
}

static int is_maildir(const char *path)
{
	struct stat st;
	char *cur = xasprintf("%s/cur", path), *nw = xasprintf("%s/new", path);
	int r = stat(cur, &st) == 0 && S_ISDIR(st.st_mode) &&
		stat(nw, &st) == 0 && S_ISDIR(st.st_mode);

	free(cur);
	free(nw);
	return r;
}

/* Add the files of dir (sorted); recurse into sub-folders when walking. */
static int add_dir(struct files_source *fs, const char *dir, int walk,
		   int depth, struct buf *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct strlist names = { 0 };

	if (!d) {
		buf_addf(err, "cannot read folder '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);

		strlist_push(&names, p);
		free(p);
	}
	closedir(d);
	if (names.nr)
		qsort(names.v, names.nr, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.nr; i++) {
		struct stat st;
		const char *base = strrchr(names.v[i], '/') + 1;

		if (stat(names.v[i], &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!walk || depth > 16)
				continue;
			if (is_maildir(names.v[i])) {
				char *c = xasprintf("%s/cur", names.v[i]);
				char *n = xasprintf("%s/new", names.v[i]);

				add_dir(fs, c, 0, depth + 1, err);
				add_dir(fs, n, 0, depth + 1, err);
				free(c);
				free(n);
			} else {
				add_dir(fs, names.v[i], 1, depth + 1, err);
			}
		} else if (S_ISREG(st.st_mode) && (!walk || is_mail_name(base))) {
			strlist_push(&fs->files, names.v[i]);
			fs->total += (size_t)st.st_size;
		}
	}
	strlist_clear(&names);
	return 0;
}

static struct files_source *files_new(size_t cap, int maildir)
{
	struct files_source *fs = xcalloc(1, sizeof(*fs));

	fs->src.next = files_next;
	fs->src.free = files_free;
	fs->src.progress = files_progress;
	fs->cap = cap;
	fs->maildir = maildir;
	return fs;
}

/* ---- public-inbox v2: git epochs holding one message each commit ------ */

/*
 * A public-inbox v2 inbox keeps its mail in git repositories ("epochs",
 * git/0.git, git/1.git, ...).  Each commit adds one message as the blob
 * "m" at the top of its tree; a commit without "m" (a deletion, which
 * writes "d") is skipped.  Messages come oldest first, epoch by epoch.
 */
struct pi_source {
	struct mail_source src;
	struct strlist epochs;
	size_t next_epoch;
	size_t cap;
	git_repository *repo;
	git_revwalk *walk;
	git_blob *blob;   /* the current message, owned until next() */
	const char *epoch;
	char *where;
	size_t read;
};

static const char *git_err(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static void pi_close_epoch(struct pi_source *ps)
{
	git_revwalk_free(ps->walk);
	git_repository_free(ps->repo);
	ps->walk = NULL;
	ps->repo = NULL;
}

/* Walk from HEAD (else refs/heads/master), parents before children. */
static int pi_open_epoch(struct pi_source *ps, const char *path, struct buf *err)
{
	if (git_repository_open_ext(&ps->repo, path,
				    GIT_REPOSITORY_OPEN_NO_SEARCH |
				    GIT_REPOSITORY_OPEN_BARE, NULL) ||
	    git_revwalk_new(&ps->walk, ps->repo) ||
	    git_revwalk_sorting(ps->walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) {
		buf_addf(err, "cannot read public-inbox epoch '%s': %s", path, git_err());
		pi_close_epoch(ps);
		return -1;
	}
	if (git_revwalk_push_head(ps->walk) &&
	    git_revwalk_push_ref(ps->walk, "refs/heads/master")) {
		/* an epoch with no commits yet holds no mail */
		pi_close_epoch(ps);
		return 0;
	}
	ps->epoch = path;
	return 0;
}

/* The blob name ("m" or "d") of commit id, or NULL when none (or on error). */
static git_blob *pi_blob(git_repository *repo, const git_oid *id, const char *name)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	const git_tree_entry *m;

	if (git_commit_lookup(&commit, repo, id) || git_commit_tree(&tree, commit))
		goto out;
	m = git_tree_entry_byname(tree, name);
	if (m && git_tree_entry_type(m) == GIT_OBJECT_BLOB)
		git_blob_lookup(&blob, repo, git_tree_entry_id(m));
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return blob;
}

static int pi_next(struct mail_source *src, struct mail_item *item,
		   struct buf *err)
{
	struct pi_source *ps = (struct pi_source *)src;
	git_oid id;

	git_blob_free(ps->blob);
	ps->blob = NULL;
	for (;;) {
		int r;

		if (!ps->walk) {
			if (ps->next_epoch >= ps->epochs.nr)
				return 0;
			if (pi_open_epoch(ps, ps->epochs.v[ps->next_epoch++], err))
				return -1;
			continue;
		}
		r = git_revwalk_next(&id, ps->walk);
		if (r == GIT_ITEROVER) {
			pi_close_epoch(ps);
			continue;
		}
		if (r) {
			buf_addf(err, "cannot walk public-inbox epoch '%s': %s",
				 ps->epoch, git_err());
			return -1;
		}
		ps->blob = pi_blob(ps->repo, &id, "m");
		if (ps->blob)
			break;
	}
	{
		size_t size = (size_t)git_blob_rawsize(ps->blob);
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &id);
		free(ps->where);
		ps->where = xasprintf("%s:%s", ps->epoch, hex);
		ps->read += size;
		item->raw = git_blob_rawcontent(ps->blob);
		item->full_size = size;
		/* like an mbox, a message over the cap is cut there */
		item->len = size > ps->cap ? ps->cap : size;
		item->where = ps->where;
	}
	return 1;
}

static void pi_free(struct mail_source *src)
{
	struct pi_source *ps = (struct pi_source *)src;

	git_blob_free(ps->blob);
	pi_close_epoch(ps);
	strlist_clear(&ps->epochs);
	free(ps->where);
	free(ps);
	git_libgit2_shutdown();
}

/* The size of the messages is not known up front: no ETA, only counts. */
static size_t pi_progress(struct mail_source *src, size_t *total)
{
	*total = 0;
	return ((struct pi_source *)src)->read;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Is path a bare git repository whose HEAD commit holds a blob "m" (or "d":
 * the newest commit may be a deletion)?
 */
static int is_pi_epoch(const char *path)
{
	char *objects = xasprintf("%s/objects", path), *head = xasprintf("%s/HEAD", path);
	git_repository *repo = NULL;
	git_oid id;
	git_blob *blob = NULL;
	int r = 0;

	if (!is_dir(objects) || access(head, F_OK))
		goto out;
	git_libgit2_init();
	if (!git_repository_open_ext(&repo, path,
				     GIT_REPOSITORY_OPEN_NO_SEARCH |
				     GIT_REPOSITORY_OPEN_BARE, NULL) &&
	    (!git_reference_name_to_id(&id, repo, "HEAD") ||
	     !git_reference_name_to_id(&id, repo, "refs/heads/master")))
		if (!(blob = pi_blob(repo, &id, "m")))
			blob = pi_blob(repo, &id, "d");
	r = blob != NULL;
	git_blob_free(blob);
	git_repository_free(repo);
	git_libgit2_shutdown();
out:
	free(objects);
	free(head);
	return r;
}

/* The epochs git/0.git, git/1.git, ... of a v2 inbox, in order; 0 if none. */
static size_t pi_inbox_epochs(const char *path, struct strlist *epochs)
{
	for (unsigned n = 0;; n++) {
		char *e = xasprintf("%s/git/%u.git", path, n);

		if (!is_dir(e)) {
			free(e);
			break;
		}
		strlist_push(epochs, e);
		free(e);
	}
	return epochs->nr;
}

static struct mail_source *pi_new(struct strlist *epochs, size_t cap)
{
	struct pi_source *ps = xcalloc(1, sizeof(*ps));

	git_libgit2_init();
	ps->src.next = pi_next;
	ps->src.free = pi_free;
	ps->src.progress = pi_progress;
	ps->epochs = *epochs;
	ps->cap = cap;
	return &ps->src;
}

struct mail_source *source_open(const char *path, size_t cap, struct buf *err)
{
	struct stat st;
	struct files_source *fs;

	if (!strcmp(path, "-"))
		return source_mbox_stream(stdin, "<stdin>", cap);
	if (stat(path, &st) < 0) {
		buf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		int maildir = is_maildir(path);
		struct strlist epochs = { 0 };

		if (!maildir && pi_inbox_epochs(path, &epochs))
			return pi_new(&epochs, cap);
		if (!maildir && is_pi_epoch(path)) {
			strlist_push(&epochs, path);
			return pi_new(&epochs, cap);
		}

		fs = files_new(cap, maildir);
		if (maildir) {
			char *c = xasprintf("%s/cur", path), *n = xasprintf("%s/new", path);
			int r = add_dir(fs, c, 0, 0, err) | add_dir(fs, n, 0, 0, err);

			free(c);
			free(n);
			if (r) {
				files_free(&fs->src);
				return NULL;
			}
		} else if (add_dir(fs, path, 1, 0, err)) {
			files_free(&fs->src);
			return NULL;
		}
		return &fs->src;
	}
	fs = files_new(cap, 0);
	strlist_push(&fs->files, path);
	fs->total = (size_t)st.st_size;
	return &fs->src;
}
