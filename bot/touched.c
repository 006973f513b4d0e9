/* SPDX-License-Identifier: GPL-2.0-or-later */
/* touched: the files and functions a patch changes (see touched.h). */
#include "touched.h"

#include <stdlib.h>
#include <string.h>

#include "cfunc.h"

/* One line of text: [p, p + len), without its newline. */
struct tline {
	const char *p;
	size_t len;
};

static bool get_line(const char **pos, const char *end, struct tline *l)
{
	const char *nl;

	if (*pos >= end)
		return false;
	l->p = *pos;
	nl = memchr(*pos, '\n', (size_t)(end - *pos));
	l->len = nl ? (size_t)(nl - *pos) : (size_t)(end - *pos);
	*pos = nl ? nl + 1 : end;
	if (l->len && l->p[l->len - 1] == '\r')
		l->len--;
	return true;
}

static const char *num(const char *p, const char *e, unsigned long *v)
{
	const char *b = p;

	*v = 0;
	while (p < e && *p >= '0' && *p <= '9')
		*v = *v * 10 + (unsigned long)(*p++ - '0');
	return p == b ? NULL : p;
}

/* "@@ -a[,b] +c[,d] @@": the numbers, or false. */
static bool hunk_header(const struct tline *l, struct diff_hunk *h)
{
	const char *p = l->p + 4, *e = l->p + l->len;

	if (l->len < 4 || memcmp(l->p, "@@ -", 4))
		return false;
	h->old_count = h->new_count = 1;
	if (!(p = num(p, e, &h->old_start)))
		return false;
	if (p < e && *p == ',' && !(p = num(p + 1, e, &h->old_count)))
		return false;
	while (p < e && *p == ' ')
		p++;
	if (p >= e || *p != '+' || !(p = num(p + 1, e, &h->new_start)))
		return false;
	if (p < e && *p == ',' && !(p = num(p + 1, e, &h->new_count)))
		return false;
	return true;
}

/* The kind of a hunk body line: ' ', '-', '+', '\\', or 0 for none. */
static char body_kind(const struct tline *l)
{
	/* mail often strips the blank of an empty context line */
	char c = l->len ? l->p[0] : ' ';

	return c == ' ' || c == '-' || c == '+' || c == '\\' ? c : 0;
}

int touched_parse(struct touched *t, const char *text, size_t len)
{
	const char *pos = text, *end = text + len;
	size_t fi = 0, hi = 0;
	struct tline l;

	memset(t, 0, sizeof(*t));
	if (diff_parse(text, len, &t->d) || !t->d.nr_files)
		return -1;
	t->nr_files = t->d.nr_files;
	t->files = xcalloc(t->nr_files, sizeof(*t->files));
	for (size_t i = 0; i < t->nr_files; i++) {
		t->files[i].old_path = t->d.files[i].old_path;
		t->files[i].new_path = t->d.files[i].new_path;
		t->files[i].hunks = xcalloc(t->d.files[i].nr_hunks + 1,
					    sizeof(*t->files[i].hunks));
	}
	/*
	 * diff.c keeps the numbers, not the bodies: find each hunk's header
	 * again, in the same order, and note where its body runs.
	 */
	while (get_line(&pos, end, &l)) {
		struct diff_hunk h, *want;
		unsigned long old_left, new_left;
		const char *body = pos;

		if (!hunk_header(&l, &h))
			continue;
		while (fi < t->nr_files && hi >= t->d.files[fi].nr_hunks) {
			fi++;
			hi = 0;
		}
		if (fi >= t->nr_files)
			break;
		want = &t->d.files[fi].hunks[hi];
		if (want->old_start != h.old_start || want->new_start != h.new_start)
			continue;
		old_left = h.old_count;
		new_left = h.new_count;
		while ((old_left || new_left) && pos < end) {
			const char *save = pos;
			char k;

			get_line(&pos, end, &l);
			k = body_kind(&l);
			if (k == ' ' && old_left && new_left) {
				old_left--;
				new_left--;
			} else if (k == '-' && old_left) {
				old_left--;
			} else if (k == '+' && new_left) {
				new_left--;
			} else if (k != '\\') {
				pos = save;
				break;
			}
		}
		t->files[fi].hunks[hi].body = body;
		t->files[fi].hunks[hi].len = (size_t)(pos - body);
		hi++;
	}
	return 0;
}

void touched_release(struct touched *t)
{
	for (size_t i = 0; i < t->nr_files; i++) {
		free(t->files[i].hunks);
		strlist_clear(&t->files[i].funcs);
	}
	free(t->files);
	diff_release(&t->d);
	memset(t, 0, sizeof(*t));
}

static void add_func(struct touched_file *f, const char *name)
{
	for (size_t i = 0; i < f->funcs.nr; i++)
		if (!strcmp(f->funcs.v[i], name))
			return;
	strlist_push(&f->funcs, name);
}

/* The lines of a text, for comparing a hunk with the pre-image. */
struct lines {
	struct tline *v;
	size_t nr, alloc;
};

static void split_lines(const char *text, size_t len, struct lines *out)
{
	const char *pos = text, *end = text + len;
	struct tline l;

	while (get_line(&pos, end, &l)) {
		ALLOC_GROW(out->v, out->nr + 1, out->alloc);
		out->v[out->nr++] = l;
	}
}

/* A hunk's body, one side at a time. */
struct side {
	struct buf text;        /* the side's lines, prefix removed */
	struct lines lines;     /* the same, to compare */
	char *kinds;            /* per line: ' ' or the change ('-'/'+') */
	size_t nr, alloc;
};

static void side_add(struct side *s, const struct tline *l, char kind)
{
	if (l->len > 1)
		buf_add(&s->text, l->p + 1, l->len - 1);
	buf_addch(&s->text, '\n');
	ALLOC_GROW(s->kinds, s->nr + 1, s->alloc);
	s->kinds[s->nr++] = kind;
}

static void side_release(struct side *s)
{
	buf_release(&s->text);
	free(s->lines.v);
	free(s->kinds);
}

static bool same_line(const struct tline *a, const struct tline *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/* Does the old side fit the pre-image with its first line at line base? */
static bool fits(const struct lines *pre, const struct side *old, size_t base)
{
	if (base < 1 || base - 1 + old->lines.nr > pre->nr)
		return false;
	for (size_t i = 0; i < old->lines.nr; i++)
		if (!same_line(&pre->v[base - 1 + i], &old->lines.v[i]))
			return false;
	return true;
}

/* Where the old side sits in the pre-image: the fit nearest start, or 0. */
static size_t place(const struct lines *pre, const struct side *old,
		    unsigned long start)
{
	if (!old->lines.nr)
		return 0;
	if (fits(pre, old, start))
		return start;
	/* the tree moved on since the patch was made: look around */
	for (size_t d = 1; d <= pre->nr; d++) {
		if (start > d && fits(pre, old, start - d))
			return start - d;
		if (fits(pre, old, start + d))
			return start + d;
	}
	return 0;
}

/*
 * Attribute the changed lines of old (its '-' lines, and the places where
 * new lines go in) using the functions fl of a text whose line base is
 * old's first line.  fallback names what lines before any definition in
 * fl belong to (the hunk header), when fl is the hunk's own fragment.
 */
static void attribute(struct touched_file *f, const struct cfunc_list *fl,
		      const struct side *old, const char *inserts,
		      unsigned long base, const char *fallback)
{
	unsigned long first_def = fl->nr ? fl->v[0].doc : (unsigned long)-1;

	for (size_t i = 0; i <= old->nr; i++) {
		unsigned long line = base + i;
		const struct cfunc *fn = NULL;

		if (i < old->nr && old->kinds[i] == '-') {
			fn = cfunc_at(fl, line);
		} else if (inserts[i] && line > base) {
			/* new lines between line - 1 and line: inside one body */
			fn = cfunc_at(fl, line - 1);
			if (fn && fn != cfunc_at(fl, line))
				fn = NULL;
		} else {
			continue;
		}
		if (fn)
			add_func(f, fn->name);
		else if (fallback && line < first_def)
			add_func(f, fallback);
	}
}

static void hunk_funcs(struct touched_file *f, const struct diff_hunk *h,
		       const struct touched_hunk *th, const struct lines *pre,
		       const struct cfunc_list *prefl)
{
	const char *pos = th->body, *end = th->body + th->len;
	struct side old = { .text = BUF_INIT(BUF_NOLIMIT) };
	struct side new = { .text = BUF_INIT(BUF_NOLIMIT) };
	struct cfunc_list fl = { 0 };
	char *inserts, *fallback;
	struct tline l;
	size_t base = 0;

	/* inserts[i]: new lines go in before old line i (every line takes
	 * at least one byte, so len bounds the count; old_count is untrusted) */
	inserts = xcalloc(th->len + 2, 1);
	while (get_line(&pos, end, &l)) {
		char k = body_kind(&l);

		if (k == ' ' || k == '-')
			side_add(&old, &l, k);
		if (k == ' ' || k == '+')
			side_add(&new, &l, k);
		if (k == '+')
			inserts[old.nr] = 1;
	}
	split_lines(old.text.s, old.text.len, &old.lines);
	if (pre)
		base = place(pre, &old, h->old_count ? h->old_start : h->old_start + 1);
	if (base) {
		attribute(f, prefl, &old, inserts, base, NULL);
	} else {
		/* no tree to go by: the hunk's own lines and its header */
		fallback = cfunc_from_context(h->func);
		cfunc_scan(old.text.s, old.text.len, CFUNC_FRAGMENT, &fl);
		attribute(f, &fl, &old, inserts, 1, fallback);
		free(fallback);
		cfunc_list_release(&fl);
	}
	/* functions this hunk adds (or renames) count by their new name */
	cfunc_scan(new.text.s, new.text.len, CFUNC_FRAGMENT, &fl);
	for (size_t i = 0; i < fl.nr; i++)
		if (fl.v[i].name_line >= 1 && fl.v[i].name_line <= new.nr &&
		    new.kinds[fl.v[i].name_line - 1] == '+')
			add_func(f, fl.v[i].name);
	cfunc_list_release(&fl);
	free(inserts);
	side_release(&old);
	side_release(&new);
}

void touched_funcs(struct touched *t, size_t i, touched_preimage_fn preimage,
		   void *payload)
{
	struct touched_file *f = &t->files[i];
	const struct diff_file *df = &t->d.files[i];
	struct buf blob = BUF_INIT(64 << 20);
	struct lines pre = { 0 };
	struct cfunc_list prefl = { 0 };
	bool have = false;

	if (f->funcs_done)
		return;
	f->funcs_done = true;
	if (df->binary)
		return;
	if (preimage && df->old_path && df->status != DIFF_ADDED &&
	    preimage(df->old_path, &blob, payload) == 1) {
		have = true;
		split_lines(blob.s, blob.len, &pre);
		cfunc_scan(blob.s, blob.len, 0, &prefl);
	}
	for (size_t j = 0; j < df->nr_hunks; j++)
		if (f->hunks[j].body)
			hunk_funcs(f, &df->hunks[j], &f->hunks[j],
				   have ? &pre : NULL, &prefl);
	cfunc_list_release(&prefl);
	free(pre.v);
	buf_release(&blob);
}
