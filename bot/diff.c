/* SPDX-License-Identifier: GPL-2.0-or-later */
/* diff: locate and read the patch in a mail, and find pull requests. */

/*
 * This is a hand-written line scanner rather than libgit2's
 * git_diff_from_buffer(): that one rejects plain "diff -u" and CVS diffs,
 * gives up on the small damage mail does to patches (stripped trailing
 * blanks, signatures, list footers) and does more work than we need.  Every
 * line is looked at a bounded number of times, so the cost is linear in the
 * size of the mail whatever its content.
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diff.h"
#include "util.h"

/* Hostile mail must not make us allocate without bound. */
#define MAX_FILES 10000
#define MAX_HUNKS 100000

struct line {
	const char *p;
	size_t len; /* without the newline and a CR before it */
	size_t end; /* offset just past the newline */
};

static inline __attribute__((always_inline)) bool
next_line(const char *text, size_t len, size_t off, struct line *l)
{
	const char *nl;

	if (off >= len)
		return false;
	l->p = text + off;
	nl = memchr(l->p, '\n', len - off);
	if (nl) {
		l->len = (size_t)(nl - l->p);
		l->end = (size_t)(nl - text) + 1;
	} else {
		l->len = len - off;
		l->end = len;
	}
	if (l->len && l->p[l->len - 1] == '\r')
		l->len--;
	return true;
}

static bool line_starts(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->len >= n && !memcmp(l->p, prefix, n);
}

static inline __attribute__((always_inline)) bool
line_starts_icase(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);

	/* most lines differ at once: spare them the call */
	return l->len >= n && (l->p[0] | 0x20) == (prefix[0] | 0x20) &&
	       !strncasecmp(l->p, prefix, n);
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of l without trailing white space. */
static size_t rtrim_len(const struct line *l)
{
	size_t n = l->len;

	while (n && is_blank((unsigned char)l->p[n - 1]))
		n--;
	return n;
}

static bool line_blank(const struct line *l)
{
	return rtrim_len(l) == 0;
}

/* A line that is exactly s, give or take trailing white space. */
static bool line_is(const struct line *l, const char *s)
{
	size_t n = strlen(s);

	return rtrim_len(l) == n && !memcmp(l->p, s, n);
}

/* The line after a signature separator: git's version ("2.39.5"). */
static bool version_like(const struct line *l)
{
	size_t n = rtrim_len(l);
	bool dot = false;

	if (!n || n > 40 || l->p[0] < '0' || l->p[0] > '9')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l->p[i];

		if (c == '.')
			dot = true;
		else if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
			 !(c >= 'A' && c <= 'Z') && c != '-' && c != '_' &&
			 c != '+')
			return false;
	}
	return dot;
}

/*
 * "-- " ends a mail's text; so does "--" when a version follows (some
 * mailers eat the trailing space).  Inside a hunk "-- " would be the
 * removal of a line "- ", so there it only counts when the version follows:
 * a version line cannot continue a hunk, so the two readings can only both
 * fit at the very end of a hunk.
 */
static bool at_signature(const char *text, size_t len, const struct line *l,
			 bool in_hunk)
{
	struct line next;
	bool dash_space = l->len == 3 && !memcmp(l->p, "-- ", 3);
	bool dash = l->len == 2 && !memcmp(l->p, "--", 2);

	if (!dash_space && !dash)
		return false;
	if (dash_space && !in_hunk)
		return true;
	return next_line(text, len, l->end, &next) && version_like(&next);
}

/* Parse a decimal number, saturating; NULL when there is no digit. */
static const char *parse_ulong(const char *p, const char *e, unsigned long *v)
{
	unsigned long n = 0;
	const char *start = p;

	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		n = n > (ULONG_MAX - d) / 10 ? ULONG_MAX : n * 10 + d;
	}
	if (p == start)
		return NULL;
	*v = n;
	return p;
}

/* "@@ -a[,b] +c[,d] @@ func"; *func and *func_len name the trimmed func. */
static bool parse_hunk_header(const struct line *l, struct diff_hunk *h,
			      const char **func, size_t *func_len)
{
	const char *p = l->p, *e = l->p + l->len;

	if (!line_starts(l, "@@ -"))
		return false;
	p += 4;
	if (!(p = parse_ulong(p, e, &h->old_start)))
		return false;
	h->old_count = 1;
	if (p < e && *p == ',' && !(p = parse_ulong(p + 1, e, &h->old_count)))
		return false;
	if (p >= e || *p != ' ')
		return false;
	while (p < e && *p == ' ')
		p++;
	if (p >= e || *p != '+')
		return false;
	if (!(p = parse_ulong(p + 1, e, &h->new_start)))
		return false;
	h->new_count = 1;
	if (p < e && *p == ',' && !(p = parse_ulong(p + 1, e, &h->new_count)))
		return false;
	while (p < e && *p == ' ')
		p++;
	if (e - p < 2 || p[0] != '@' || p[1] != '@')
		return false;
	p += 2;
	while (p < e && is_blank((unsigned char)*p))
		p++;
	while (e > p && is_blank((unsigned char)e[-1]))
		e--;
	*func = p;
	*func_len = (size_t)(e - p);
	return true;
}

/*
 * Undo git's C-style quoting of a name; s[0] is the opening quote.  Returns
 * a new string and sets *endp past the closing quote, or NULL when the
 * quoting is broken (then the caller takes the name as it stands).
 */
static char *unquote_c(const char *s, const char *e, const char **endp)
{
	char *out = xmalloc((size_t)(e - s) + 1), *o = out;

	for (s++; s < e; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"') {
			*o = '\0';
			*endp = s + 1;
			return out;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		if (++s >= e)
			break;
		switch (*s) {
		case 'a': *o++ = '\a'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'v': *o++ = '\v'; break;
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		default: {
			unsigned v = 0;
			int i;

			for (i = 0; i < 3 && s < e && *s >= '0' && *s <= '7';
			     i++, s++)
				v = v * 8 + (unsigned)(*s - '0');
			/* A NUL would cut the name short: call it broken. */
			if (!i || !(v & 0xff))
				goto broken;
			*o++ = (char)(v & 0xff);
			s--;
		}
		}
	}
broken:
	free(out);
	return NULL;
}

/* A name that may be quoted, running to e; unquoted ones lose trailing
 * blanks (mail adds them, file names rarely end in them). */
static char *name_dup(const char *p, const char *e)
{
	const char *end;

	if (p < e && *p == '"') {
		char *s = unquote_c(p, e, &end);

		if (s)
			return s;
	}
	while (e > p && is_blank((unsigned char)e[-1]))
		e--;
	return xstrndup(p, (size_t)(e - p));
}

/* The name on a "---"/"+++" line: a tab starts the timestamp. */
static char *header_name_dup(const char *p, const char *e)
{
	const char *tab;

	if (p < e && *p == '"')
		return name_dup(p, e);
	tab = memchr(p, '\t', (size_t)(e - p));
	return name_dup(p, tab ? tab : e);
}

/* "x/" for a single character x: git's a/ b/ (or c/ w/ i/ o/) prefixes. */
static bool has_prefix1(const char *s)
{
	return s[0] && s[0] != '/' && s[1] == '/';
}

/*
 * The two names of "diff --git A B".  Unquoted names with spaces are
 * ambiguous; like git we prefer a split where both sides name the same
 * file.  Renames get their names again from "rename from/to", and the
 * "---"/"+++" lines override these anyway.
 */
static void parse_git_names(const char *p, const char *e, char **a, char **b)
{
	size_t n = (size_t)(e - p), mid = n / 2;
	const char *q, *end;

	*a = *b = NULL;
	if (p < e && *p == '"' && (*a = unquote_c(p, e, &end))) {
		while (end < e && *end == ' ')
			end++;
		*b = name_dup(end, e);
		return;
	}
	/* An unquoted name followed by a quoted one. */
	q = p;
	for (int tries = 0; tries < 3; tries++) {
		char *s;

		q = memmem(q, (size_t)(e - q), " \"", 2);
		if (!q)
			break;
		s = unquote_c(q + 1, e, &end);
		if (s && end == e) {
			*a = xstrndup(p, (size_t)(q - p));
			*b = s;
			return;
		}
		free(s);
		q++;
	}
	if (n % 2 && p[mid] == ' ') {
		if (mid >= 2 && has_prefix1(p) && has_prefix1(p + mid + 1) &&
		    !memcmp(p + 2, p + mid + 3, mid - 2))
			goto split_mid;
		if (!memcmp(p, p + mid + 1, mid))
			goto split_mid;
	}
	q = NULL;
	if (n >= 2 && !memcmp(p, "a/", 2))
		q = memmem(p, n, " b/", 3);
	if (!q)
		q = memchr(p, ' ', n);
	if (!q) {
		*a = xstrndup(p, n);
		*b = xstrndup(p, n);
		return;
	}
	*a = xstrndup(p, (size_t)(q - p));
	*b = name_dup(q + 1, e);
	return;
split_mid:
	*a = xstrndup(p, mid);
	*b = xstrndup(p + mid + 1, n - mid - 1);
}

/* a/ and b/, or the pairs diff.mnemonicPrefix uses (c/ i/ w/ o/). */
static bool git_prefixes(const char *a, const char *b)
{
	if (!has_prefix1(a) || !has_prefix1(b))
		return false;
	if (a[0] == 'a' && b[0] == 'b')
		return true;
	return a[0] != b[0] && strchr("ciwo", a[0]) && strchr("ciwo", b[0]);
}

/* Drop the first n bytes of a string in place. */
static void strip_front(char *s, size_t n)
{
	memmove(s, s + n, strlen(s + n) + 1);
}

/* One line of a "GIT binary patch": length letter plus base85 data. */
static bool binary_data_line(const struct line *l)
{
	static const char b85[] = "0123456789"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz"
				  "!#$%&()*+-;<=>?@^_`{|}~";
	unsigned char c;
	size_t bytes;

	if (l->len < 6)
		return false;
	c = (unsigned char)l->p[0];
	if (c >= 'A' && c <= 'Z')
		bytes = c - 'A' + 1;
	else if (c >= 'a' && c <= 'z')
		bytes = c - 'a' + 27;
	else
		return false;
	if (l->len != 1 + (bytes + 3) / 4 * 5)
		return false;
	for (size_t i = 1; i < l->len; i++)
		if (!l->p[i] || !strchr(b85, l->p[i]))
			return false;
	return true;
}

enum scan_state { S_TEXT, S_HUNK, S_BINARY };
enum file_kind { K_GIT, K_INDEX, K_PLAIN };

struct scanner {
	const char *text;
	size_t len;
	struct diff *out;      /* NULL: only find where the diff ends */
	struct diff_file *cur; /* NULL when not recording this file */
	size_t nr_hunks;
	enum scan_state state;
	enum file_kind kind;
	bool in_file;
	/* Headers may still come: no "---"/"+++" or hunk yet. */
	bool pending;
	bool git_prefix; /* the "diff --git" names had a/ b/ prefixes */
	unsigned long old_left, new_left;
};

static void start_file(struct scanner *sc, enum file_kind kind)
{
	struct diff *d = sc->out;

	sc->in_file = true;
	sc->pending = true;
	sc->kind = kind;
	sc->git_prefix = false;
	sc->cur = NULL;
	if (!d || d->nr_files >= MAX_FILES)
		return;
	ALLOC_GROW(d->files, d->nr_files + 1, d->alloc_files);
	sc->cur = &d->files[d->nr_files++];
	memset(sc->cur, 0, sizeof(*sc->cur));
	sc->cur->status = DIFF_MODIFIED;
}

static void set_str(char **dst, char *val)
{
	free(*dst);
	*dst = val;
}

/* Paths from a "---"/"+++" pair (or "Binary files A and B differ"). */
static void set_paths(struct scanner *sc, char *old, char *new)
{
	struct diff_file *f = sc->cur;
	bool old_null = !strcmp(old, "/dev/null");
	bool new_null = !strcmp(new, "/dev/null");

	if (!f || f->status == DIFF_RENAMED || f->status == DIFF_COPIED) {
		free(old);
		free(new);
		return;
	}
	if (sc->kind == K_GIT) {
		if (sc->git_prefix && !old_null && has_prefix1(old))
			strip_front(old, 2);
		if (sc->git_prefix && !new_null && has_prefix1(new))
			strip_front(new, 2);
	} else if ((old_null || starts_with(old, "a/")) &&
		   (new_null || starts_with(new, "b/")) &&
		   !(old_null && new_null)) {
		if (!old_null)
			strip_front(old, 2);
		if (!new_null)
			strip_front(new, 2);
	}
	if (old_null && !new_null) {
		f->status = DIFF_ADDED;
		free(old);
		old = NULL;
	} else if (new_null && !old_null) {
		f->status = DIFF_DELETED;
		free(new);
		new = NULL;
	}
	set_str(&f->old_path, old);
	set_str(&f->new_path, new);
}

/* Extended header lines of a git diff, before its "---"/"+++" or hunks. */
static bool git_header(struct scanner *sc, const struct line *l)
{
	struct diff_file *f = sc->cur;
	const char *e = l->p + l->len;

	if (line_starts(l, "new file mode ")) {
		if (f) {
			f->status = DIFF_ADDED;
			set_str(&f->old_path, NULL);
		}
	} else if (line_starts(l, "deleted file mode ")) {
		if (f) {
			f->status = DIFF_DELETED;
			set_str(&f->new_path, NULL);
		}
	} else if (line_starts(l, "old mode ") || line_starts(l, "new mode ")) {
		if (f)
			f->mode_change = true;
	} else if (line_starts(l, "rename from ") ||
		   line_starts(l, "copy from ")) {
		size_t skip = l->p[0] == 'r' ? 12 : 10;

		if (f) {
			f->status = l->p[0] == 'r' ? DIFF_RENAMED : DIFF_COPIED;
			set_str(&f->old_path, name_dup(l->p + skip, e));
		}
	} else if (line_starts(l, "rename to ") || line_starts(l, "copy to ")) {
		size_t skip = l->p[0] == 'r' ? 10 : 8;

		if (f) {
			f->status = l->p[0] == 'r' ? DIFF_RENAMED : DIFF_COPIED;
			set_str(&f->new_path, name_dup(l->p + skip, e));
		}
	} else if (line_is(l, "GIT binary patch")) {
		if (f)
			f->binary = true;
		sc->pending = false;
		sc->state = S_BINARY;
	} else if (!line_starts(l, "index ") &&
		   !line_starts(l, "similarity index ") &&
		   !line_starts(l, "dissimilarity index ")) {
		return false;
	}
	return true;
}

/* "Binary files A and B differ", from git and from diff -r. */
static bool binary_files(struct scanner *sc, const struct line *l)
{
	const char *p, *e = l->p + rtrim_len(l), *and;

	if (!line_starts(l, "Binary files "))
		return false;
	p = l->p + 13;
	if (e - p < 7 || memcmp(e - 7, " differ", 7))
		return false;
	e -= 7;
	and = memmem(p, (size_t)(e - p), " and ", 5);
	if (!sc->in_file || !sc->pending)
		start_file(sc, K_PLAIN);
	sc->pending = false;
	if (!sc->cur)
		return true;
	sc->cur->binary = true;
	if (and)
		set_paths(sc, name_dup(p, and), name_dup(and + 5, e));
	return true;
}

/* The last two words of "diff -urN a/x b/x" name the files. */
static void diff_cmd_names(struct scanner *sc, const struct line *l)
{
	const char *e = l->p + rtrim_len(l), *b_start, *a_end, *a_start;

	b_start = e;
	while (b_start > l->p && !is_blank((unsigned char)b_start[-1]))
		b_start--;
	a_end = b_start;
	while (a_end > l->p && is_blank((unsigned char)a_end[-1]))
		a_end--;
	a_start = a_end;
	while (a_start > l->p && !is_blank((unsigned char)a_start[-1]))
		a_start--;
	if (a_start == a_end || b_start == e || *a_start == '-')
		return;
	set_paths(sc, xstrndup(a_start, (size_t)(a_end - a_start)),
		  xstrndup(b_start, (size_t)(e - b_start)));
}

static bool pair_at(const char *text, size_t len, const struct line *l,
		    struct line *plus)
{
	return line_starts(l, "--- ") && next_line(text, len, l->end, plus) &&
	       line_starts(plus, "+++ ");
}

static void add_hunk(struct scanner *sc, const struct diff_hunk *h,
		     const char *func, size_t func_len)
{
	struct diff_file *f = sc->cur;

	if (!f || sc->nr_hunks >= MAX_HUNKS)
		return;
	ALLOC_GROW(f->hunks, f->nr_hunks + 1, f->alloc_hunks);
	f->hunks[f->nr_hunks] = *h;
	f->hunks[f->nr_hunks].func = xstrndup(func, func_len);
	f->nr_hunks++;
	sc->nr_hunks++;
	/* "diff -N" shows a new file as a diff against an empty one. */
	if (sc->kind != K_GIT && f->nr_hunks == 1 &&
	    f->status == DIFF_MODIFIED) {
		if (!h->old_start && !h->old_count && f->new_path) {
			f->status = DIFF_ADDED;
			set_str(&f->old_path, NULL);
		} else if (!h->new_start && !h->new_count && f->old_path) {
			f->status = DIFF_DELETED;
			set_str(&f->new_path, NULL);
		}
	}
}

/*
 * A line outside hunk bodies.  Returns the offset past what it consumed
 * (a "---" line takes its "+++" line along), or 0 when the line is not part
 * of a diff.
 */
static size_t header_line(struct scanner *sc, const struct line *l)
{
	const char *e = l->p + l->len;
	struct line next;
	struct diff_hunk h;
	const char *func;
	size_t func_len;

	if (line_starts(l, "diff --git ")) {
		char *a, *b;

		const char *ne = l->p + rtrim_len(l);

		start_file(sc, K_GIT);
		parse_git_names(l->p + 11, ne < l->p + 11 ? l->p + 11 : ne, &a,
				&b);
		if (git_prefixes(a, b)) {
			sc->git_prefix = true;
			strip_front(a, 2);
			strip_front(b, 2);
		}
		if (sc->cur) {
			sc->cur->old_path = a;
			sc->cur->new_path = b;
		} else {
			free(a);
			free(b);
		}
		return l->end;
	}
	if (line_starts(l, "diff -")) {
		/* CVS's "diff -u -r1.2 x" belongs to the "Index:" before it. */
		if (!(sc->in_file && sc->pending && sc->kind == K_INDEX)) {
			start_file(sc, K_PLAIN);
			diff_cmd_names(sc, l);
		}
		return l->end;
	}
	if (line_starts(l, "Index: ")) {
		if (!next_line(sc->text, sc->len, l->end, &next) ||
		    !line_starts(&next, "===="))
			return 0;
		start_file(sc, K_INDEX);
		if (sc->cur) {
			char *s = str_trim_dup(l->p + 7, l->len - 7);

			sc->cur->old_path = s;
			sc->cur->new_path = xstrdup(s);
		}
		return next.end;
	}
	if (pair_at(sc->text, sc->len, l, &next)) {
		struct line at;

		/* Outside a file's headers only a hunk makes it a diff. */
		if (!sc->in_file || !sc->pending) {
			if (!next_line(sc->text, sc->len, next.end, &at) ||
			    !line_starts(&at, "@@ -"))
				return 0;
			start_file(sc, K_PLAIN);
		}
		sc->pending = false;
		if (sc->cur)
			set_paths(sc, header_name_dup(l->p + 4, e),
				  header_name_dup(next.p + 4,
						  next.p + next.len));
		return next.end;
	}
	if (parse_hunk_header(l, &h, &func, &func_len)) {
		/* A hunk with no file before it is skipped, body and all. */
		if (sc->in_file)
			add_hunk(sc, &h, func, func_len);
		sc->pending = false;
		sc->old_left = h.old_count;
		sc->new_left = h.new_count;
		if (sc->old_left || sc->new_left)
			sc->state = S_HUNK;
		return l->end;
	}
	if (sc->in_file && sc->pending && sc->kind == K_GIT &&
	    git_header(sc, l))
		return l->end;
	if (binary_files(sc, l))
		return l->end;
	if (line_starts(l, "\\ ") || line_starts(l, "Only in ") ||
	    line_starts(l, "RCS file: ") ||
	    line_starts(l, "retrieving revision "))
		return l->end;
	return 0;
}

/* Does the line continue the current hunk body?  Counts it if so. */
static bool hunk_body_line(struct scanner *sc, const struct line *l)
{
	/* Mail often strips the blank of an empty context line. */
	char c = l->len ? l->p[0] : ' ';

	switch (c) {
	case ' ':
		if (sc->old_left)
			sc->old_left--;
		if (sc->new_left)
			sc->new_left--;
		return true;
	case '-':
		if (!sc->old_left)
			return false;
		sc->old_left--;
		return true;
	case '+':
		if (!sc->new_left)
			return false;
		sc->new_left--;
		return true;
	case '\\':
		return true;
	}
	return false;
}

/* Scan the diff from off; returns the end of the last line of the diff. */
static size_t scan(struct scanner *sc, size_t off)
{
	size_t end = off, next;
	struct line l;

	while (next_line(sc->text, sc->len, off, &l)) {
		if (sc->state == S_HUNK) {
			if (at_signature(sc->text, sc->len, &l, true))
				break;
			if (hunk_body_line(sc, &l)) {
				if (!sc->old_left && !sc->new_left)
					sc->state = S_TEXT;
				off = end = l.end;
				continue;
			}
			sc->state = S_TEXT;
		} else if (sc->state == S_BINARY) {
			if (binary_data_line(&l) || line_starts(&l, "literal ") ||
			    line_starts(&l, "delta ")) {
				off = end = l.end;
				continue;
			}
			if (!l.len) {
				off = l.end;
				continue;
			}
			sc->state = S_TEXT;
		}
		/* Text before the first file may hold a signature of its own. */
		if (sc->in_file && at_signature(sc->text, sc->len, &l, false))
			break;
		next = header_line(sc, &l);
		if (next)
			end = next;
		else
			next = l.end;
		off = next;
	}
	return end;
}

/* Where the diff starts: the line and a few after it must agree. */
static bool diff_starts_here(const char *text, size_t len,
			     const struct line *l)
{
	struct line n, plus;
	size_t off;

	if (line_starts(l, "diff --git "))
		return true;
	if (line_starts(l, "Index: ")) {
		if (!next_line(text, len, l->end, &n) ||
		    !line_starts(&n, "===="))
			return false;
		/* CVS puts "RCS file:", "retrieving revision", "diff" here. */
		off = n.end;
		for (int i = 0; i < 5 && next_line(text, len, off, &n); i++) {
			if (pair_at(text, len, &n, &plus))
				return true;
			off = n.end;
		}
		return false;
	}
	if (line_starts(l, "diff -")) {
		off = l->end;
		for (int i = 0; i < 3 && next_line(text, len, off, &n); i++) {
			if (pair_at(text, len, &n, &plus))
				return true;
			off = n.end;
		}
		return false;
	}
	return pair_at(text, len, l, &plus) &&
	       next_line(text, len, plus.end, &n) && line_starts(&n, "@@ -");
}

/* Start of the line that ends at off (off > 0, text[off - 1] a newline). */
static size_t line_before(const char *text, size_t off)
{
	size_t i = off - 1;

	while (i > 0 && text[i - 1] != '\n')
		i--;
	return i;
}

static void line_at(const char *text, size_t b, size_t e, struct line *l)
{
	l->p = text + b;
	l->len = e - b;
	if (l->len && l->p[l->len - 1] == '\n')
		l->len--;
	if (l->len && l->p[l->len - 1] == '\r')
		l->len--;
	l->end = e;
}

static size_t trim_blank_lines(const char *text, size_t pos)
{
	struct line l;

	while (pos > 0 && text[pos - 1] == '\n') {
		size_t b = line_before(text, pos);

		line_at(text, b, pos, &l);
		if (!line_blank(&l))
			break;
		pos = b;
	}
	return pos;
}

/* " 3 files changed, 10 insertions(+)" */
static bool diffstat_summary(const struct line *l)
{
	size_t i = 0;

	while (i < l->len && l->p[i] == ' ')
		i++;
	if (i == l->len || l->p[i] < '0' || l->p[i] > '9')
		return false;
	while (i < l->len && l->p[i] >= '0' && l->p[i] <= '9')
		i++;
	return l->len - i >= 13 &&
	       (!memcmp(l->p + i, " file changed", 13) ||
		!memcmp(l->p + i, " files changed", 14));
}

/* With no "---" separator, a diffstat may sit right before the diff. */
static size_t trim_diffstat(const char *text, size_t pos)
{
	size_t p = trim_blank_lines(text, pos), b;
	struct line l;

	while (p > 0 && text[p - 1] == '\n') {
		b = line_before(text, p);
		line_at(text, b, p, &l);
		if (!line_starts(&l, " create mode ") &&
		    !line_starts(&l, " delete mode ") &&
		    !line_starts(&l, " mode change ") &&
		    !line_starts(&l, " rename ") && !line_starts(&l, " copy "))
			break;
		p = b;
	}
	if (p == 0 || text[p - 1] != '\n')
		return pos;
	b = line_before(text, p);
	line_at(text, b, p, &l);
	if (!diffstat_summary(&l))
		return pos;
	p = b;
	while (p > 0 && text[p - 1] == '\n') {
		b = line_before(text, p);
		line_at(text, b, p, &l);
		if (!line_starts(&l, " ") || !memchr(l.p, '|', l.len))
			break;
		p = b;
	}
	return p;
}

int patch_split(const char *text, size_t len, struct patch_split *out)
{
	struct scanner sc = { .text = text, .len = len };
	size_t off = 0, sep = (size_t)-1;
	struct line l;

	out->changelog_len = len;
	out->diff_start = len;
	out->diff_len = 0;
	if (!text)
		return 0;
	for (; next_line(text, len, off, &l); off = l.end) {
		if (sep == (size_t)-1 && line_is(&l, "---"))
			sep = off;
		if (diff_starts_here(text, len, &l))
			break;
	}
	if (off >= len)
		return 0;
	out->diff_start = off;
	out->diff_len = scan(&sc, off) - off;
	if (sep != (size_t)-1)
		out->changelog_len = trim_blank_lines(text, sep);
	else
		out->changelog_len =
			trim_blank_lines(text, trim_diffstat(text, off));
	return 1;
}

static void file_release(struct diff_file *f)
{
	free(f->old_path);
	free(f->new_path);
	for (size_t i = 0; i < f->nr_hunks; i++)
		free(f->hunks[i].func);
	free(f->hunks);
}

int diff_parse(const char *text, size_t len, struct diff *out)
{
	struct scanner sc = { .text = text, .len = len, .out = out };
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -1;
	scan(&sc, 0);
	/* A file must be named to be of any use (think "diff -q"). */
	for (size_t i = 0; i < out->nr_files; i++) {
		struct diff_file *f = &out->files[i];

		if ((!f->old_path || !*f->old_path) &&
		    (!f->new_path || !*f->new_path))
			file_release(f);
		else
			out->files[n++] = *f;
	}
	out->nr_files = n;
	if (!n) {
		diff_release(out);
		return -1;
	}
	return 0;
}

void diff_release(struct diff *d)
{
	for (size_t i = 0; i < d->nr_files; i++)
		file_release(&d->files[i]);
	free(d->files);
	memset(d, 0, sizeof(*d));
}

/* Skip leading blanks of a line. */
static void ltrim(struct line *l)
{
	while (l->len && is_blank((unsigned char)l->p[0])) {
		l->p++;
		l->len--;
	}
}

/* Length of the word at the start of p[0..n). */
static size_t word_len(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && !is_blank((unsigned char)p[i]))
		i++;
	return i;
}

/* What git request-pull prints: "scheme://..." or scp-like "user@host:". */
static bool url_like(const char *p, size_t n)
{
	size_t i = 0;

	/* It may end up on a command line or in a reply header. */
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			return false;
	i = 0;
	while (i < n && ((p[i] >= 'a' && p[i] <= 'z') ||
			 (p[i] >= 'A' && p[i] <= 'Z') ||
			 (p[i] >= '0' && p[i] <= '9') || p[i] == '+' ||
			 p[i] == '-' || p[i] == '_' || p[i] == '.'))
		i++;
	if (!i || i == n)
		return false;
	if (n - i > 3 && !memcmp(p + i, "://", 3))
		return true;
	return p[i] == '@' && memchr(p + i, ':', n - i);
}

static bool ref_like(const char *p, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !strchr("/._-+", c))
			return false;
	}
	return true;
}

static bool ends_with_mem(const char *p, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && !memcmp(p + n - m, suffix, m);
}

int pull_request_find(const char *text, char **url, char **ref)
{
	size_t len, off = 0;
	struct line l, next;
	int phase = 0;
	size_t ulen, rlen;
	const char *r;

	*url = *ref = NULL;
	if (!text)
		return 0;
	len = strlen(text);
	for (; next_line(text, len, off, &l); off = l.end) {
		ltrim(&l);
		if (phase == 0) {
			if (line_starts_icase(&l,
					      "the following changes since commit"))
				phase = 1;
		} else if (phase == 1) {
			/* "are available in the git repository at:" or
			 * "are available at:" depending on git's age. */
			if (line_starts_icase(&l, "are available") &&
			    ends_with_mem(l.p, rtrim_len(&l), "at:"))
				phase = 2;
		} else if (!line_blank(&l)) {
			break;
		}
	}
	if (phase != 2 || off >= len)
		return 0;
	l.len = rtrim_len(&l);
	ulen = word_len(l.p, l.len);
	if (!url_like(l.p, ulen))
		return 0;
	r = l.p + ulen;
	rlen = l.len - ulen;
	while (rlen && is_blank((unsigned char)*r))
		r++, rlen--;
	rlen = word_len(r, rlen);
	if (rlen) {
		*url = xstrndup(l.p, ulen);
		*ref = xstrndup(r, rlen);
		return 1;
	}
	/*
	 * No ref after the URL: a mailer may have wrapped the line, leaving
	 * the ref (or the rest of the URL) alone on the next one.
	 */
	if (next_line(text, len, l.end, &next)) {
		ltrim(&next);
		next.len = rtrim_len(&next);
		if (ref_like(next.p, next.len)) {
			if (ends_with_mem(l.p, ulen, "/") ||
			    ends_with_mem(l.p, ulen, ".git") ||
			    !strncmp(next.p, "tags/", 5) ||
			    !strncmp(next.p, "refs/", 5)) {
				*ref = xstrndup(next.p, next.len);
			} else {
				*url = xmalloc(ulen + next.len + 1);
				memcpy(*url, l.p, ulen);
				memcpy(*url + ulen, next.p, next.len);
				(*url)[ulen + next.len] = '\0';
				return 1;
			}
		}
	}
	*url = xstrndup(l.p, ulen);
	return 1;
}

char *change_id_find(const char *text)
{
	size_t len, off = 0;
	struct line l;

	if (!text)
		return NULL;
	len = strlen(text);
	for (; next_line(text, len, off, &l); off = l.end) {
		const char *p;
		size_t n;

		if (!line_starts_icase(&l, "change-id:"))
			continue;
		p = l.p + 10;
		n = l.len - 10;
		while (n && is_blank((unsigned char)*p))
			p++, n--;
		n = word_len(p, n);
		if (ref_like(p, n) && !memchr(p, '/', n))
			return xstrndup(p, n);
	}
	return NULL;
}
