/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hunkapply: a git diff applied to only the blobs and trees it touches,
 * with git apply's rules (see hunkapply.h; the rules follow git's apply.c:
 * apply_one_fragment, find_pos, match_fragment, check_preimage and
 * apply_binary).  The diff is read by gitdiff.c.
 */
#include "hunkapply.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "binpatch.h"
#include "gitdiff.h"
#include "util.h"

/* git's mode of a submodule entry */
#define S_ISGITLINK(m) (((m) & S_IFMT) == 0160000)

/* ---- the files' contents ------------------------------------------- */

/* A path as the patch leaves it so far. */
struct fstate {
	char *path;
	bool exists;
	bool was_file;            /* a file in the parent tree */
	bool changed;             /* exists, mode, id or data set by the patch */
	unsigned mode;
	git_oid id;               /* content when !data */
	char *data;               /* content when set (new) */
	size_t len;
	bool have_data;
};

struct ctx {
	git_repository *repo;
	git_odb *odb;
	struct packwriter *pw;
	git_oid root;             /* the parent tree */
	struct fstate *s;
	size_t nr, alloc;
	struct buf *err;
	const char *end;          /* of the diff */
};

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

static unsigned canon_mode(unsigned mode)
{
	if (S_ISREG(mode))
		return (mode & 0100) ? 0100755 : 0100644;
	return mode;
}

/*
 * The entry at path in the parent tree, read from the raw trees (cheaper
 * than libgit2's parsed ones for a tree written a moment ago): 0 when
 * found, 1 when not, -1 on errors with c->err set.
 */
static int tree_lookup(struct ctx *c, const char *path, unsigned *mode, git_oid *id)
{
	git_oid cur = c->root;

	for (const char *p = path;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		git_odb_object *obj = NULL;
		const char *t, *end;
		bool found = false;

		if (git_odb_read(&obj, c->odb, &cur) < 0) {
			buf_addf(c->err, "cannot read tree '%s': %s", git_oid_tostr_s(&cur),
				 git_msg());
			return -1;
		}
		t = git_odb_object_data(obj);
		end = t + git_odb_object_size(obj);
		while (t < end && !found) {
			const char *sp = memchr(t, ' ', (size_t)(end - t));
			const char *nul = sp ? memchr(sp, 0, (size_t)(end - sp)) : NULL;

			if (!nul || end - nul < 21)
				break;
			if ((size_t)(nul - sp - 1) == len && !memcmp(sp + 1, p, len)) {
				*mode = (unsigned)strtoul(t, NULL, 8);
				git_oid_fromraw(id, (const unsigned char *)nul + 1);
				found = true;
			}
			t = nul + 21;
		}
		git_odb_object_free(obj);
		if (!found)
			return 1;
		if (!slash)
			return 0;
		if (!S_ISDIR(*mode))
			return 1;
		cur = *id;
		p = slash + 1;
	}
}

/* The state of path, looked up in the parent tree the first time. */
static struct fstate *state_of(struct ctx *c, const char *path)
{
	struct fstate *s;
	unsigned mode;
	git_oid id;

	for (size_t i = c->nr; i-- > 0;)
		if (!strcmp(c->s[i].path, path))
			return &c->s[i];
	ALLOC_GROW(c->s, c->nr + 1, c->alloc);
	s = &c->s[c->nr++];
	memset(s, 0, sizeof(*s));
	s->path = xstrdup(path);
	if (tree_lookup(c, path, &mode, &id) == 0) {
		/* a folder or a submodule in the way is there, not a file */
		s->exists = s->was_file = S_ISREG(mode) || S_ISLNK(mode);
		s->mode = mode;
		s->id = id;
	}
	return s;
}

static int load(struct ctx *c, struct fstate *s)
{
	git_odb_object *b = NULL;

	if (s->have_data)
		return 0;
	if (git_odb_read(&b, c->odb, &s->id) < 0) {
		buf_addf(c->err, "cannot read '%s': %s", s->path, git_msg());
		return -1;
	}
	s->len = git_odb_object_size(b);
	s->data = xmalloc(s->len + 1);
	memcpy(s->data, git_odb_object_data(b), s->len);
	s->have_data = true;
	git_odb_object_free(b);
	return 0;
}

struct line {
	const char *p;
	size_t len;
	bool patched;
};

struct image {
	struct line *l;
	size_t nr, alloc;
};

static void image_add(struct image *im, const char *p, size_t len, bool patched)
{
	ALLOC_GROW(im->l, im->nr + 1, im->alloc);
	im->l[im->nr++] = (struct line){ p, len, patched };
}

static void image_of(struct image *im, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	size_t lines = 1;

	/* one allocation for the whole file (with room for what hunks add) */
	for (const char *q = data; (q = memchr(q, '\n', (size_t)(end - q))); q++)
		lines++;
	im->alloc = lines + lines / 8 + 16;
	im->l = xmalloc(im->alloc * sizeof(*im->l));

	while (p < end) {
		const char *e = gitdiff_eol(p, end);

		image_add(im, p, (size_t)(e - p), false);
		p = e;
	}
}

/* git's match_fragment, without the white space corrections. */
static bool match_at(const struct image *img, const struct image *pre, size_t at,
		     bool match_beginning, bool match_end)
{
	if (pre->nr + at > img->nr)
		return false;
	if (match_end && pre->nr + at != img->nr)
		return false;
	if (match_beginning && at)
		return false;
	for (size_t i = 0; i < pre->nr; i++) {
		const struct line *a = &img->l[at + i], *b = &pre->l[i];

		if (a->patched || a->len != b->len || memcmp(a->p, b->p, a->len))
			return false;
	}
	return true;
}

/* git's find_pos: from line, alternately forwards and backwards. */
static long find_pos(const struct image *img, const struct image *pre, size_t line,
		     bool match_beginning, bool match_end)
{
	size_t back, fwd, cur;

	if (match_beginning)
		line = 0;
	else if (match_end)
		line = img->nr >= pre->nr ? img->nr - pre->nr : img->nr;
	if (line > img->nr)
		line = img->nr;
	back = fwd = cur = line;
	for (unsigned long i = 0;; i++) {
		if (match_at(img, pre, cur, match_beginning, match_end))
			return (long)cur;
again:
		if (back == 0 && fwd == img->nr)
			break;
		if (i & 1) {
			if (back == 0) {
				i++;
				goto again;
			}
			cur = --back;
		} else {
			if (fwd == img->nr) {
				i++;
				goto again;
			}
			cur = ++fwd;
		}
	}
	return -1;
}

/* Apply h to img (git's apply_one_fragment); false when it does not match. */
static bool apply_hunk(struct image *img, const struct gitdiff_hunk *h)
{
	struct image pre = { 0 }, post = { 0 };
	const char *p = h->body;
	size_t pos = h->newpos ? h->newpos - 1 : 0;
	long at;

	while (p < h->body_end) {
		const char *eol = gitdiff_eol(p, h->body_end);
		size_t len = (size_t)(eol - p);
		long plen = (long)len - 1;

		if (eol < h->body_end && *eol == '\\')
			plen--;
		switch (*p) {
		case '\n':
			if (plen >= 0) {
				image_add(&pre, p, 1, false);
				image_add(&post, p, 1, true);
			}
			break;
		case ' ':
			image_add(&pre, p + 1, (size_t)plen, false);
			image_add(&post, p + 1, (size_t)plen, true);
			break;
		case '-':
			image_add(&pre, p + 1, (size_t)plen, false);
			break;
		case '+':
			image_add(&post, p + 1, (size_t)plen, true);
			break;
		}
		p = eol;
	}
	at = find_pos(img, &pre, pos, !h->oldpos || h->oldpos == 1, !h->trailing);
	if (at >= 0) {
		size_t nr = img->nr - pre.nr + post.nr;

		if (nr > img->alloc) {
			img->alloc = nr;
			img->l = xrealloc(img->l, nr * sizeof(*img->l));
		}
		memmove(img->l + at + post.nr, img->l + at + pre.nr,
			(img->nr - (size_t)at - pre.nr) * sizeof(*img->l));
		if (post.nr)
			memcpy(img->l + at, post.l, post.nr * sizeof(*post.l));
		img->nr = nr;
	}
	free(pre.l);
	free(post.l);
	return at >= 0;
}

/* The hunks of f on s's content.  0, or 1 with err naming the hunk. */
static int apply_hunks(struct ctx *c, struct fstate *s, const struct gitdiff_file *f)
{
	struct image img = { 0 };
	size_t total = 0;
	char *out, *o;

	if (!f->nr)
		return 0;
	if (load(c, s) < 0)
		return -1;
	image_of(&img, s->data, s->len);
	for (size_t i = 0; i < f->nr; i++) {
		if (!apply_hunk(&img, &f->h[i])) {
			buf_addf(c->err,
				 "file '%s', hunk #%zu (%.*s): hunk at line %lu did not apply",
				 f->new_name ? f->new_name : f->old_name, i + 1,
				 (int)f->h[i].header_len, f->h[i].header, f->h[i].newpos);
			free(img.l);
			return 1;
		}
	}
	for (size_t i = 0; i < img.nr; i++)
		total += img.l[i].len;
	o = out = xmalloc(total + 1);
	for (size_t i = 0; i < img.nr; i++) {
		memcpy(o, img.l[i].p, img.l[i].len);
		o += img.l[i].len;
	}
	free(img.l);
	free(s->data);
	s->data = out;
	s->len = total;
	return 0;
}

/* A binary patch on s, as git's apply_binary: the result must hash to the
 * index line's new id. */
static int apply_binary(struct ctx *c, struct fstate *s, const struct gitdiff_file *f)
{
	const char *name = f->new_name ? f->new_name : f->old_name;
	const char *next;
	git_oid old, new;
	char *out;
	size_t out_len;
	struct buf why = BUF_INIT(1024);
	git_odb *odb = NULL;

	if (strlen(f->old_hex) != GIT_OID_HEXSZ || strlen(f->new_hex) != GIT_OID_HEXSZ ||
	    git_oid_fromstr(&old, f->old_hex) < 0 || git_oid_fromstr(&new, f->new_hex) < 0) {
		buf_addf(c->err, "file '%s': cannot apply binary patch without full index line",
			 name);
		return 1;
	}
	if (!f->is_new) {
		git_oid now = s->id;

		if (s->have_data)
			git_odb_hash(&now, s->data, s->len, GIT_OBJECT_BLOB);
		if (!git_oid_equal(&now, &old)) {
			buf_addf(c->err, "file '%s': the patch applies to %s, which does not match"
				 " the current contents", name, git_oid_tostr_s(&now));
			return 1;
		}
	} else if (s->len) {
		buf_addf(c->err, "file '%s': the patch applies to an empty file but it is not"
			 " empty", name);
		return 1;
	}
	if (git_oid_is_zero(&new)) {
		free(s->data);
		s->data = xmalloc(1);
		s->len = 0;
		s->have_data = true;
		return 0;
	}
	if (git_repository_odb(&odb, c->repo) == 0 &&
	    git_odb_exists_ext(odb, &new, GIT_ODB_LOOKUP_NO_REFRESH) == 1) {
		git_odb_free(odb);
		free(s->data);
		s->data = NULL;
		s->have_data = false;
		s->id = new;
		return 0;
	}
	git_odb_free(odb);
	if (!f->bin) {
		buf_addf(c->err, "file '%s': cannot apply binary patch without its data", name);
		return 1;
	}
	if (!f->is_new && load(c, s) < 0)
		return -1;
	if (binpatch_apply(f->bin, c->end, &next, s->data, s->len, &out, &out_len, &why) < 0) {
		buf_addf(c->err, "file '%s': %s", name, why.s);
		buf_release(&why);
		return 1;
	}
	buf_release(&why);
	git_odb_hash(&old, out, out_len, GIT_OBJECT_BLOB);
	if (!git_oid_equal(&old, &new)) {
		buf_addf(c->err, "file '%s': binary patch creates incorrect result", name);
		free(out);
		return 1;
	}
	free(s->data);
	s->data = out;
	s->len = out_len;
	s->have_data = true;
	return 0;
}

static int apply_content(struct ctx *c, struct fstate *s, const struct gitdiff_file *f)
{
	return f->binary ? apply_binary(c, s, f) : apply_hunks(c, s, f);
}

/*
 * A path git would put in a tree (its verify_path): relative, no empty,
 * "." or ".." part, no ".git" part, at most HUNK_MAX_DEPTH parts deep
 * (build_tree recurses once per part) and PATH_MAX bytes long.
 */
static bool path_ok(const char *path)
{
	size_t depth = 0;
	const char *p = path;

	if (strlen(path) >= PATH_MAX)
		return false;
	for (;;) {
		size_t len = strcspn(p, "/");

		if (!len || (len == 1 && p[0] == '.') ||
		    (len == 2 && !memcmp(p, "..", 2)) ||
		    (len == 4 && !strncasecmp(p, ".git", 4)) || ++depth > HUNK_MAX_DEPTH)
			return false;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

/* One file of the patch, as git's check_patch and apply_data would. */
static int apply_file(struct ctx *c, const struct gitdiff_file *f)
{
	struct fstate *src = NULL, *dst;
	const char *name = f->new_name ? f->new_name : f->old_name;
	unsigned mode;
	int r;

	if ((f->old_name && !path_ok(f->old_name)) || (f->new_name && !path_ok(f->new_name))) {
		const char *bad = f->old_name && !path_ok(f->old_name) ? f->old_name
									: f->new_name;

		buf_addf(c->err, "file '%.200s%s': not a path git accepts (an empty,"
			 " '.', '..' or '.git' part, over %d parts deep or too long)", bad,
			 strlen(bad) > 200 ? "..." : "", HUNK_MAX_DEPTH);
		return 1;
	}
	if (!f->is_new) {
		src = state_of(c, f->old_name);
		if (!src->exists) {
			buf_addf(c->err, "file '%s': %s", f->old_name,
				 src->mode ? "is not a file" : "does not exist in the tree");
			return src->mode && !S_ISDIR(src->mode) ? HUNK_FALLBACK : 1;
		}
		if (S_ISGITLINK(src->mode))
			return HUNK_FALLBACK;
	}
	if (f->is_delete) {
		if ((r = apply_content(c, src, f)))
			return r;
		if ((f->nr || f->binary) && (!src->have_data || src->len)) {
			buf_addf(c->err, "file '%s': removal patch leaves file contents", name);
			return 1;
		}
		src->exists = false;
		src->changed = true;
		free(src->data);
		src->data = NULL;
		src->have_data = false;
		return 0;
	}
	if (f->new_mode && S_ISGITLINK(f->new_mode))
		return HUNK_FALLBACK;
	if (f->is_new || f->is_rename || f->is_copy) {
		dst = state_of(c, f->new_name);
		/* state_of may move the array */
		src = f->is_new ? NULL : state_of(c, f->old_name);
		if (dst->exists) {
			buf_addf(c->err, "file '%s': already exists in the tree", f->new_name);
			return 1;
		}
		if (dst->mode && S_ISGITLINK(dst->mode))
			return HUNK_FALLBACK;
	} else if (strcmp(f->old_name, f->new_name))
		return HUNK_FALLBACK;     /* two names but no rename or copy */
	else
		dst = src;
	mode = f->new_mode ? f->new_mode : src ? src->mode : 0100644;
	if (src && (src->mode ^ mode) & S_IFMT) {
		buf_addf(c->err, "file '%s': new mode (%o) does not match old mode (%o)",
			 name, mode, src->mode);
		return 1;
	}
	if (dst != src) {
		free(dst->data);
		dst->data = NULL;
		dst->have_data = false;
		dst->len = 0;
		if (src) {
			if (load(c, src) < 0)
				return -1;
			dst->data = xmalloc(src->len + 1);
			memcpy(dst->data, src->data, src->len);
			dst->len = src->len;
			dst->id = src->id;
		} else
			dst->data = xmalloc(1);
		dst->have_data = true;
		if (f->is_rename && src) {
			src->exists = false;
			src->changed = true;
			free(src->data);
			src->data = NULL;
			src->have_data = false;
		}
	}
	dst->exists = dst->changed = true;
	dst->mode = canon_mode(mode);
	return apply_content(c, dst, f);
}

/* ---- the new tree -------------------------------------------------- */

struct change {
	const char *path;
	bool deleted;
	unsigned mode;
	git_oid id;
};

struct tentry {
	const char *name;
	size_t len;
	unsigned mode;
	git_oid id;
	bool gone;
};

/* "100644 " and the like, as git writes them in trees. */
static const char *mode_str(unsigned mode, char b[16])
{
	switch (mode) {
	case 0100644: return "100644 ";
	case 0100755: return "100755 ";
	case 040000: return "40000 ";
	case 0120000: return "120000 ";
	case 0160000: return "160000 ";
	}
	snprintf(b, 16, "%o ", mode);
	return b;
}

/* Paths in the order that keeps each folder's changes together. */
static int cmp_change(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct change *)a)->path;
	const unsigned char *y = (const unsigned char *)((const struct change *)b)->path;

	for (; *x && *x == *y; x++, y++)
		;
	return (*x == '/' ? 1 : *x) - (*y == '/' ? 1 : *y);
}

/* git's order of tree entries: a folder sorts as if its name ended in '/'. */
static int cmp_tentry(const void *a, const void *b)
{
	const struct tentry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = memcmp(x->name, y->name, n);
	unsigned char cx, cy;

	if (d)
		return d;
	cx = x->len > n ? (unsigned char)x->name[n] : S_ISDIR(x->mode) ? '/' : 0;
	cy = y->len > n ? (unsigned char)y->name[n] : S_ISDIR(y->mode) ? '/' : 0;
	return cx - cy;
}

/*
 * The tree at base (NULL: none) with the changes ch[0..n) applied, whose
 * paths all start with the folder's prefix (skip bytes).  *empty when
 * nothing is left in it (then nothing is written).
 */
static int build_tree(struct ctx *c, const git_oid *base, struct change *ch, size_t n,
		      size_t skip, git_oid *out, bool *empty)
{
	git_odb_object *obj = NULL;
	struct tentry *e = NULL;
	size_t nr = 0, alloc = 0, live = 0;
	char *raw = NULL, mode_buf[16];
	size_t rl = 0, need = 1;
	int r = -1;

	if (base) {
		const char *p, *end;

		if (git_odb_read(&obj, c->odb, base) < 0) {
			buf_addf(c->err, "cannot read tree '%s': %s", git_oid_tostr_s(base),
				 git_msg());
			goto out;
		}
		p = git_odb_object_data(obj);
		end = p + git_odb_object_size(obj);
		while (p < end) {
			const char *sp = memchr(p, ' ', (size_t)(end - p));
			const char *nul = sp ? memchr(sp, 0, (size_t)(end - sp)) : NULL;

			if (!nul || end - nul < 21) {
				buf_addf(c->err, "tree '%s' is corrupt", git_oid_tostr_s(base));
				goto out;
			}
			ALLOC_GROW(e, nr + 1, alloc);
			e[nr] = (struct tentry){ .name = sp + 1, .len = (size_t)(nul - sp - 1),
						 .mode = (unsigned)strtoul(p, NULL, 8) };
			git_oid_fromraw(&e[nr].id, (const unsigned char *)nul + 1);
			nr++;
			p = nul + 21;
		}
	}
	for (size_t i = 0; i < n;) {
		const char *name = ch[i].path + skip, *slash = strchr(name, '/');
		size_t len = slash ? (size_t)(slash - name) : strlen(name), j = i, k;
		struct change *direct = NULL;
		struct tentry *te = NULL;
		bool nested = false, sub_empty = true;
		git_oid sub_id;

		/* the changes under name: name itself, then name/... */
		while (j < n && !strncmp(ch[j].path + skip, name, len) &&
		       (ch[j].path[skip + len] == 0 || ch[j].path[skip + len] == '/')) {
			if (!ch[j].path[skip + len])
				direct = &ch[j];
			j++;
		}
		for (k = 0; k < nr; k++)
			if (!e[k].gone && e[k].len == len && !memcmp(e[k].name, name, len)) {
				te = &e[k];
				break;
			}
		if (j - i > (direct ? 1u : 0u)) {
			struct change *sub = ch + i + (direct ? 1 : 0);
			size_t subn = j - i - (direct ? 1 : 0);
			bool is_dir = te && S_ISDIR(te->mode);

			if (te && !is_dir && !direct) {
				buf_addf(c->err, "'%.*s' is a file, not a folder",
					 (int)(skip + len), ch[i].path);
				r = 1;
				goto out;
			}
			r = build_tree(c, is_dir ? &te->id : NULL, sub, subn, skip + len + 1,
				       &sub_id, &sub_empty);
			if (r)
				goto out;
			r = -1;
			if (direct && !direct->deleted && !sub_empty) {
				buf_addf(c->err, "'%.*s' is both a file and a folder",
					 (int)(skip + len), ch[i].path);
				r = 1;
				goto out;
			}
			nested = true;
		}
		if (te && (direct || nested))
			te->gone = true;
		if (direct && !direct->deleted) {
			ALLOC_GROW(e, nr + 1, alloc);
			e[nr++] = (struct tentry){ .name = name, .len = len,
						   .mode = direct->mode, .id = direct->id };
		} else if (nested && !sub_empty) {
			ALLOC_GROW(e, nr + 1, alloc);
			e[nr++] = (struct tentry){ .name = name, .len = len, .mode = 040000,
						   .id = sub_id };
		}
		i = j;
	}
	qsort(e, nr, sizeof(*e), cmp_tentry);
	for (size_t k = 0; k < nr; k++)
		need += e[k].len + 16 + GIT_OID_RAWSZ;
	raw = xmalloc(need);
	for (size_t k = 0; k < nr; k++) {
		const char *m;
		size_t ml;

		if (e[k].gone)
			continue;
		if (k + 1 < nr && !e[k + 1].gone && e[k + 1].len == e[k].len &&
		    !memcmp(e[k + 1].name, e[k].name, e[k].len)) {
			buf_addf(c->err, "'%.*s' would be in the tree twice", (int)e[k].len,
				 e[k].name);
			r = 1;
			goto out;
		}
		m = mode_str(e[k].mode, mode_buf);
		ml = strlen(m);
		memcpy(raw + rl, m, ml);
		memcpy(raw + rl + ml, e[k].name, e[k].len);
		raw[rl + ml + e[k].len] = 0;
		memcpy(raw + rl + ml + e[k].len + 1, e[k].id.id, GIT_OID_RAWSZ);
		rl += ml + e[k].len + 1 + GIT_OID_RAWSZ;
		live++;
	}
	*empty = !live;
	if ((live || !skip) &&
	    pack_write(c->pw, c->repo, GIT_OBJECT_TREE, raw ? raw : "", rl, out, c->err) < 0)
		goto out;
	r = 0;
out:
	free(raw);
	free(e);
	git_odb_object_free(obj);
	return r;
}

/* Write the changed blobs, then the trees from the root down to them. */
static int write_result(struct ctx *c, const git_oid *base, git_oid *out)
{
	struct change *ch = xcalloc(c->nr + 1, sizeof(*ch));
	size_t n = 0;
	bool empty;
	int r = -1;

	for (size_t i = 0; i < c->nr; i++) {
		struct fstate *s = &c->s[i];

		if (!s->changed)
			continue;
		if (!s->exists) {
			if (s->was_file)
				ch[n++] = (struct change){ .path = s->path, .deleted = true };
			continue;
		}
		ch[n] = (struct change){ .path = s->path, .mode = s->mode, .id = s->id };
		if (s->have_data &&
		    pack_write(c->pw, c->repo, GIT_OBJECT_BLOB, s->data, s->len, &ch[n].id,
			       c->err) < 0)
			goto out;
		n++;
	}
	qsort(ch, n, sizeof(*ch), cmp_change);
	r = build_tree(c, base, ch, n, 0, out, &empty);
out:
	free(ch);
	return r;
}

int hunk_apply(git_repository *repo, struct packwriter *pw, const git_oid *tree,
	       const char *diff, size_t len, git_oid *out, struct buf *err)
{
	struct gitdiff ps = { 0 };
	struct ctx c = { .repo = repo, .pw = pw, .err = err };

	struct buf tmp = BUF_INIT(BUF_NOLIMIT);
	size_t mark = err->len;
	int r;

	if (len > HUNK_MAX_DIFF)
		return HUNK_FALLBACK;
	/* a last line without its newline had one in the mail */
	if (len && diff[len - 1] != '\n') {
		buf_add(&tmp, diff, len);
		buf_addch(&tmp, '\n');
		diff = tmp.s;
		len = tmp.len;
	}
	c.end = diff + len;
	r = gitdiff_parse(diff, len, &ps, err);
	if (r == GITDIFF_UNSUPPORTED)
		r = HUNK_FALLBACK;
	if (r)
		goto out;
	c.root = *tree;
	if (git_repository_odb(&c.odb, repo) < 0 || !git_odb_exists(c.odb, tree)) {
		buf_addf(err, "cannot read tree '%s': %s", git_oid_tostr_s(tree), git_msg());
		r = -1;
		goto out;
	}
	for (size_t i = 0; !r && i < ps.nr; i++)
		r = apply_file(&c, &ps.f[i]);
	if (!r)
		r = write_result(&c, tree, out);
out:
	if (r == HUNK_FALLBACK)
		buf_setlen(err, mark);
	for (size_t i = 0; i < c.nr; i++) {
		free(c.s[i].path);
		free(c.s[i].data);
	}
	free(c.s);
	git_odb_free(c.odb);
	gitdiff_release(&ps);
	buf_release(&tmp);
	return r;
}
