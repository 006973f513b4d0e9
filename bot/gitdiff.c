/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gitdiff: git diffs read as git apply reads them (see gitdiff.h). */
#include "gitdiff.h"

#include <stdlib.h>
#include <string.h>

#include "binpatch.h"
#include "util.h"

void gitdiff_release(struct gitdiff *ps)
{
	for (size_t i = 0; i < ps->nr; i++) {
		free(ps->f[i].old_name);
		free(ps->f[i].new_name);
		free(ps->f[i].h);
	}
	free(ps->f);
}

const char *gitdiff_eol(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

static bool has_prefix(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && !memcmp(p, prefix, n);
}

/* A C-style quoted name ("a/f\303\266o") from p; NULL when malformed. */
static char *unquote(const char *p, const char *end, const char **after)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	for (p++; p < end && *p != '"' && *p != '\n'; p++) {
		char c = *p;

		if (c == '\\') {
			if (++p >= end)
				break;
			switch (*p) {
			case 'a': c = '\a'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'v': c = '\v'; break;
			case '\\': case '"': c = *p; break;
			default:
				if (*p < '0' || *p > '3' || end - p < 3 ||
				    p[1] < '0' || p[1] > '7' || p[2] < '0' || p[2] > '7')
					goto bad;
				c = (char)(((p[0] - '0') << 6) | ((p[1] - '0') << 3) |
					   (p[2] - '0'));
				p += 2;
			}
		}
		buf_addch(&b, c);
	}
	if (p >= end || *p != '"')
		goto bad;
	if (after)
		*after = p + 1;
	return buf_detach(&b, NULL);
bad:
	buf_release(&b);
	return NULL;
}

/* Drop the first path component ("a/" of -p1); NULL when there is none. */
static char *strip_p1(char *name)
{
	char *slash = name ? strchr(name, '/') : NULL;
	char *r = slash && slash[1] ? xstrdup(slash + 1) : NULL;

	free(name);
	return r;
}

/*
 * The name on a "--- "/"+++ " line (strip: with its a/ or b/), or on a
 * "rename from " line (no prefix); "/dev/null" gives *null.  NULL when
 * unreadable.
 */
static char *line_name(const char *p, const char *eol, bool strip, bool *null)
{
	const char *e = eol;
	char *name;

	*null = false;
	if (e > p && e[-1] == '\n')
		e--;
	if (p < e && *p == '"')
		name = unquote(p, e, NULL);
	else {
		const char *tab = memchr(p, '\t', (size_t)(e - p));

		if (tab)
			e = tab;
		if (e - p == 9 && !memcmp(p, "/dev/null", 9)) {
			*null = true;
			return NULL;
		}
		name = e > p ? xstrndup(p, (size_t)(e - p)) : NULL;
	}
	return strip ? strip_p1(name) : name;
}

/* The name of "diff --git a/NAME b/NAME" when both sides are the same. */
static char *header_name(const char *p, const char *eol)
{
	const char *e = eol;
	size_t len, n;
	char *a, *b;

	if (e > p && e[-1] == '\n')
		e--;
	len = (size_t)(e - p);
	if (*p == '"') {
		const char *after;

		a = unquote(p, e, &after);
		if (!a || after >= e || *after != ' ')
			goto bad_a;
		b = after[1] == '"' ? unquote(after + 1, e, NULL) :
				      xstrndup(after + 1, (size_t)(e - after - 1));
	} else {
		if (len < 5 || (len - 5) % 2)
			return NULL;
		n = (len - 5) / 2;
		if (p[n + 2] != ' ')
			return NULL;
		a = xstrndup(p, n + 2);
		b = xstrndup(p + n + 3, n + 2);
	}
	a = strip_p1(a);
	b = strip_p1(b);
	if (a && b && !strcmp(a, b)) {
		free(b);
		return a;
	}
	free(b);
bad_a:
	free(a);
	return NULL;
}

static bool parse_mode(const char *p, const char *eol, unsigned *mode)
{
	char *end;
	unsigned long m = strtoul(p, &end, 8);

	if (end == p || (end < eol && *end != '\n' && *end != ' ' && *end != '\r'))
		return false;
	*mode = (unsigned)m;
	return true;
}

static bool parse_range(const char **p, unsigned long *start, unsigned long *count)
{
	char *e;

	*start = strtoul(*p, &e, 10);
	if (e == *p)
		return false;
	*count = 1;
	if (*e == ',') {
		const char *c = e + 1;

		*count = strtoul(c, &e, 10);
		if (e == c)
			return false;
	}
	*p = e;
	return true;
}

/*
 * One hunk at *pp (its "@@ -" line); advances *pp past it.  false when
 * corrupt (counts that do not add up, a line that is not ' ', '-', '+').
 */
static bool parse_hunk(const char **pp, const char *end, struct gitdiff_hunk *h)
{
	const char *p = *pp, *eol = gitdiff_eol(p, end), *q = p + 4;
	unsigned long oldl, newl;
	bool added = false, deleted = false;

	memset(h, 0, sizeof(*h));
	h->header = p;
	h->header_len = (size_t)(eol - p) - (eol[-1] == '\n');
	if (!parse_range(&q, &h->oldpos, &h->oldlines) || strncmp(q, " +", 2))
		return false;
	q += 2;
	if (!parse_range(&q, &h->newpos, &h->newlines) || strncmp(q, " @@", 3))
		return false;
	oldl = h->oldlines;
	newl = h->newlines;
	p = eol;
	h->body = p;
	while (p < end && (oldl || newl)) {
		eol = gitdiff_eol(p, end);
		switch (*p) {
		case '\n':
		case ' ':
			if (!oldl || !newl)
				return false;
			oldl--;
			newl--;
			if (!added && !deleted)
				h->leading++;
			h->trailing++;
			break;
		case '-':
			if (!oldl)
				return false;
			oldl--;
			deleted = true;
			h->trailing = 0;
			break;
		case '+':
			if (!newl)
				return false;
			newl--;
			added = true;
			h->trailing = 0;
			break;
		default:
			return false;
		}
		p = eol;
		/* eat the "\ No newline at end of file" too */
		if (p < end && *p == '\\')
			p = gitdiff_eol(p, end);
	}
	if (oldl || newl || (!added && !deleted))
		return false;
	h->body_end = p;
	*pp = p;
	return true;
}

/*
 * The git header at *pp ("diff --git ") and its hunks.  0, or
 * GITDIFF_UNSUPPORTED for what is left to libgit2, or 1 (corrupt) with err.
 */
static int parse_file(const char **pp, const char *end, struct gitdiff_file *f,
		      struct buf *err)
{
	const char *p = *pp, *eol = gitdiff_eol(p, end);
	char *def = header_name(p + 11, eol), *minus = NULL, *plus = NULL;
	bool null_old = false, null_new = false, nul;
	int r = GITDIFF_UNSUPPORTED;

	memset(f, 0, sizeof(*f));
	for (p = eol; p < end; p = eol) {
		eol = gitdiff_eol(p, end);
		if (has_prefix(p, eol, "old mode ")) {
			if (!parse_mode(p + 9, eol, &f->old_mode))
				goto out;
		} else if (has_prefix(p, eol, "new mode ")) {
			if (!parse_mode(p + 9, eol, &f->new_mode))
				goto out;
		} else if (has_prefix(p, eol, "deleted file mode ")) {
			f->is_delete = true;
			if (!parse_mode(p + 18, eol, &f->old_mode))
				goto out;
		} else if (has_prefix(p, eol, "new file mode ")) {
			f->is_new = true;
			if (!parse_mode(p + 14, eol, &f->new_mode))
				goto out;
		} else if (has_prefix(p, eol, "rename from ") ||
			   has_prefix(p, eol, "copy from ") ||
			   has_prefix(p, eol, "rename old ")) {
			const char *n = p + (*p == 'c' ? 10 :
					     has_prefix(p, eol, "rename from ") ? 12 : 11);

			f->is_rename = *p == 'r';
			f->is_copy = *p == 'c';
			free(f->old_name);
			f->old_name = line_name(n, eol, false, &nul);
			if (!f->old_name)
				goto out;
		} else if (has_prefix(p, eol, "rename to ") || has_prefix(p, eol, "copy to ") ||
			   has_prefix(p, eol, "rename new ")) {
			const char *n = p + (*p == 'c' ? 8 :
					     has_prefix(p, eol, "rename to ") ? 10 : 11);

			f->is_rename = *p == 'r';
			f->is_copy = *p == 'c';
			free(f->new_name);
			f->new_name = line_name(n, eol, false, &nul);
			if (!f->new_name)
				goto out;
		} else if (has_prefix(p, eol, "index ")) {
			const char *sp = memchr(p + 6, ' ', (size_t)(eol - p - 6));
			const char *dots = memchr(p + 6, '.', (size_t)(eol - p - 6));
			const char *e = sp ? sp : eol[-1] == '\n' ? eol - 1 : eol;

			if (dots && dots[1] == '.' && dots - p - 6 <= GIT_OID_HEXSZ &&
			    e - dots - 2 <= GIT_OID_HEXSZ && e > dots + 2) {
				memcpy(f->old_hex, p + 6, (size_t)(dots - p - 6));
				f->old_hex[dots - p - 6] = 0;
				memcpy(f->new_hex, dots + 2, (size_t)(e - dots - 2));
				f->new_hex[e - dots - 2] = 0;
			}

			/* "index a..b MODE" is the old mode only (git's gitdiff_index) */
			if (sp && !parse_mode(sp + 1, eol, &f->old_mode))
				goto out;
		} else if (has_prefix(p, eol, "similarity index ") ||
			   has_prefix(p, eol, "dissimilarity index ")) {
			continue;
		} else if (has_prefix(p, eol, "--- ")) {
			free(minus);
			minus = line_name(p + 4, eol, true, &null_old);
		} else if (has_prefix(p, eol, "+++ ")) {
			free(plus);
			plus = line_name(p + 4, eol, true, &null_new);
		} else
			break;
	}
	if (p < end && has_prefix(p, eol, "GIT binary patch")) {
		/* the forward hunk, then the reverse one we do not need */
		f->binary = true;
		f->bin = eol;
		if (eol >= end || (!has_prefix(eol, end, "literal ") &&
				   !has_prefix(eol, end, "delta ")))
			goto out;
		p = binpatch_skip(eol, end);
		if (has_prefix(p, end, "literal ") || has_prefix(p, end, "delta "))
			p = binpatch_skip(p, end);
	} else if (p < end && has_prefix(p, eol, "Binary files ")) {
		f->binary = true;
		p = eol;
	}
	if ((f->is_new || null_old) && (f->is_delete || null_new))
		goto out;
	f->is_new = f->is_new || null_old;
	f->is_delete = f->is_delete || null_new;
	if (!f->old_name && !f->is_new)
		f->old_name = minus ? xstrdup(minus) : def ? xstrdup(def) : NULL;
	if (!f->new_name && !f->is_delete)
		f->new_name = plus ? xstrdup(plus) : def ? xstrdup(def) : NULL;
	if ((!f->is_new && !f->old_name) || (!f->is_delete && !f->new_name))
		goto out;
	if ((f->is_rename || f->is_copy) && (f->is_new || f->is_delete)) {
		buf_addf(err, "file '%s': a rename or copy that is also a new or deleted file",
			 f->new_name ? f->new_name : f->old_name);
		r = 1;
		goto out;
	}
	if (f->is_new || f->is_delete) {
		/* git diffs name both sides the same for these */
		free(f->is_new ? f->old_name : f->new_name);
		if (f->is_new)
			f->old_name = NULL;
		else
			f->new_name = NULL;
	}
	while (p < end && has_prefix(p, gitdiff_eol(p, end), "@@ -")) {
		ALLOC_GROW(f->h, f->nr + 1, f->alloc);
		if (!parse_hunk(&p, end, &f->h[f->nr])) {
			buf_addf(err, "file '%s', hunk #%zu: corrupt patch",
				 f->new_name ? f->new_name : f->old_name, f->nr + 1);
			r = 1;
			goto out;
		}
		f->nr++;
	}
	*pp = p;
	r = 0;
out:
	free(def);
	free(minus);
	free(plus);
	return r;
}

int gitdiff_parse(const char *text, size_t len, struct gitdiff *ps, struct buf *err)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = gitdiff_eol(p, end);

		if (has_prefix(p, eol, "diff --git ")) {
			int r;

			ALLOC_GROW(ps->f, ps->nr + 1, ps->alloc);
			r = parse_file(&p, end, &ps->f[ps->nr], err);
			if (r) {
				struct gitdiff_file *f = &ps->f[ps->nr];

				free(f->old_name);
				free(f->new_name);
				free(f->h);
				return r;
			}
			ps->nr++;
			continue;
		}
		/* a traditional (not git) diff: "--- " "+++ " "@@ -" */
		if (has_prefix(p, eol, "--- ") && eol < end && has_prefix(eol, end, "+++ "))
			return GITDIFF_UNSUPPORTED;
		p = eol;
	}
	return ps->nr ? 0 : GITDIFF_UNSUPPORTED;
}
