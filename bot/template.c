/* SPDX-License-Identifier: GPL-2.0-or-later */
/* template: values, parser and renderer for reply templates (template.h). */
#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* ---- values ---------------------------------------------------------- */

enum tvar_type { TV_TEXT, TV_BOOL, TV_LIST };

struct tvar {
	char *name;
	enum tvar_type type;
	bool b;
	char *text;
	size_t textlen;
	struct tvars **items;
	size_t nr, alloc;
};

/*
 * A scope holds few names (a dozen at most), so a linear search beats a
 * hash table here; lists keep their items in an array, so appending 10,000
 * patches stays linear.
 */
struct tvars {
	struct tvar *v;
	size_t nr, alloc;
};

static bool is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static bool is_name(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_name_char((unsigned char)s[i]))
			return false;
	return true;
}

struct tvars *tvars_new(void)
{
	return xcalloc(1, sizeof(struct tvars));
}

static void tvar_clear(struct tvar *t)
{
	free(t->text);
	t->text = NULL;
	t->textlen = 0;
	for (size_t i = 0; i < t->nr; i++)
		tvars_free(t->items[i]);
	free(t->items);
	t->items = NULL;
	t->nr = t->alloc = 0;
	t->b = false;
}

void tvars_free(struct tvars *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nr; i++) {
		tvar_clear(&v->v[i]);
		free(v->v[i].name);
	}
	free(v->v);
	free(v);
}

static struct tvar *tvars_find(const struct tvars *v, const char *name,
			       size_t len)
{
	for (size_t i = 0; i < v->nr; i++)
		if (!strncmp(v->v[i].name, name, len) && !v->v[i].name[len])
			return &v->v[i];
	return NULL;
}

/*
 * The slot for name, emptied and given type (a list stays as it is); NULL
 * for a name no template could ever write, which is a bug in the caller,
 * not bad input.
 */
static struct tvar *tvars_slot(struct tvars *v, const char *name,
			       enum tvar_type type)
{
	size_t len = strlen(name);
	struct tvar *t;

	if (!is_name(name, len)) {
		log_warnx("bad template variable name '%s'", name);
		return NULL;
	}
	t = tvars_find(v, name, len);
	if (t) {
		if (t->type == TV_LIST && type == TV_LIST)
			return t;
		tvar_clear(t);
	} else {
		ALLOC_GROW(v->v, v->nr + 1, v->alloc);
		t = &v->v[v->nr++];
		memset(t, 0, sizeof(*t));
		t->name = xstrdup(name);
	}
	t->type = type;
	return t;
}

void tvars_set(struct tvars *v, const char *name, const char *value)
{
	struct tvar *t = tvars_slot(v, name, TV_TEXT);

	if (!t)
		return;
	t->text = xstrdup(value ? value : "");
	t->textlen = strlen(t->text);
}

void tvars_setf(struct tvars *v, const char *name, const char *fmt, ...)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	struct tvar *t;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	t = tvars_slot(v, name, TV_TEXT);
	if (!t) {
		buf_release(&b);
		return;
	}
	t->text = buf_detach(&b, NULL);
	/* A "%c" of NUL ends the value, as it would in tvars_set. */
	t->textlen = strlen(t->text);
}

void tvars_set_bool(struct tvars *v, const char *name, bool value)
{
	struct tvar *t = tvars_slot(v, name, TV_BOOL);

	if (t)
		t->b = value;
}

struct tvars *tvars_add_item(struct tvars *v, const char *name)
{
	struct tvar *t = tvars_slot(v, name, TV_LIST);
	struct tvars *item = tvars_new();

	/*
	 * Even for a bad name the caller gets an item to fill, so that it
	 * need not check; the item is kept nowhere and would leak, so park
	 * it under a name that no template can write.
	 */
	if (!t) {
		t = tvars_find(v, "", 0);
		if (!t) {
			ALLOC_GROW(v->v, v->nr + 1, v->alloc);
			t = &v->v[v->nr++];
			memset(t, 0, sizeof(*t));
			t->name = xstrdup("");
			t->type = TV_LIST;
		}
	}
	ALLOC_GROW(t->items, t->nr + 1, t->alloc);
	t->items[t->nr++] = item;
	return item;
}

void tvars_set_list(struct tvars *v, const char *name)
{
	tvars_slot(v, name, TV_LIST);
}

/* ---- parsing --------------------------------------------------------- */

/*
 * The parser turns the text into a flat array of nodes.  A section's
 * children are the nodes after it up to its end index, so rendering and
 * checking are simple walks, and a syntax error is found before any byte
 * is written.
 */
enum node_type { N_TEXT, N_VAR, N_SECTION, N_INVERTED };

struct node {
	enum node_type type;
	int line;
	size_t off, len; /* the text, or the variable's name */
	size_t end;      /* sections: index of the first node after them */
};

#define MAX_DEPTH 32
/* How much of a bad tag an error message quotes. */
#define QUOTE_MAX 40

struct parse {
	const char *text;
	size_t len;
	struct node *n;
	size_t nr, alloc;
	struct buf *err;

	/* open sections, as indexes into n */
	size_t stack[MAX_DEPTH];
	size_t depth;
	/* text not yet made a node starts here */
	size_t text_start;
	/* newlines are counted up to here; line starts at line_start */
	size_t counted, line_start;
	int line;
};

/* One tag: {{ sigil name }}, the text between open and close. */
struct tag {
	size_t open, close;
	int sigil, line;
	size_t name, len;
};

static void add_node(struct parse *p, enum node_type type, int line,
		     size_t off, size_t len)
{
	struct node *n;

	if (type == N_TEXT && !len)
		return;
	ALLOC_GROW(p->n, p->nr + 1, p->alloc);
	n = &p->n[p->nr++];
	n->type = type;
	n->line = line;
	n->off = off;
	n->len = len;
	n->end = p->nr;
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Count the newlines up to to, moving line and line_start. */
static void count_lines(struct parse *p, size_t to)
{
	for (size_t i = p->counted; i < to; i++) {
		if (p->text[i] == '\n') {
			p->line++;
			p->line_start = i + 1;
		}
	}
	if (to > p->counted)
		p->counted = to;
}

/*
 * Where a standalone tag's line ends (past its newline), or 0 when the tag
 * shares its line with something other than blanks.
 */
static size_t standalone_end(const struct parse *p, const struct tag *t)
{
	size_t i;

	/* Another tag earlier on the line: not alone. */
	if (p->text_start > p->line_start)
		return 0;
	for (i = p->line_start; i < t->open; i++)
		if (!is_blank(p->text[i]))
			return 0;
	for (i = t->close + 2; i < p->len && is_blank(p->text[i]); i++)
		;
	if (i == p->len)
		return i;
	if (p->text[i] == '\n')
		return i + 1;
	if (p->text[i] == '\r' && i + 1 < p->len && p->text[i + 1] == '\n')
		return i + 2;
	return 0;
}

static int parse_error(struct parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int parse_error(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(p->err, fmt, ap);
	va_end(ap);
	return -1;
}

static int quote_len(size_t len)
{
	return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

/* Split the tag's content into sigil and name; blanks are allowed around. */
static void split_tag(const struct parse *p, struct tag *t)
{
	const char *s = p->text;
	size_t a = t->open + 2, b = t->close;

	while (a < b && isspace((unsigned char)s[a]))
		a++;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	t->sigil = 0;
	if (a < b && s[a] && strchr("#^/!>&{=", s[a])) {
		t->sigil = s[a++];
		while (a < b && isspace((unsigned char)s[a]))
			a++;
	}
	t->name = a;
	t->len = b - a;
}

static int open_section(struct parse *p, const struct tag *t)
{
	if (p->depth == MAX_DEPTH)
		return parse_error(p, "line %d: sections are nested more than %d deep",
				   t->line, MAX_DEPTH);
	p->stack[p->depth++] = p->nr;
	add_node(p, t->sigil == '#' ? N_SECTION : N_INVERTED, t->line,
		 t->name, t->len);
	return 0;
}

static int close_section(struct parse *p, const struct tag *t)
{
	const char *name = p->text + t->name;
	struct node *s;

	if (!p->depth)
		return parse_error(p, "line %d: end tag '%.*s' has no section to close",
				   t->line, quote_len(t->len), name);
	s = &p->n[p->stack[--p->depth]];
	if (s->len != t->len || memcmp(p->text + s->off, name, s->len))
		return parse_error(p, "line %d: end tag '%.*s' does not match "
				   "section '%.*s' of line %d",
				   t->line, quote_len(t->len), name,
				   quote_len(s->len), p->text + s->off,
				   s->line);
	s->end = p->nr;
	return 0;
}

static int parse_tag(struct parse *p, const struct tag *t)
{
	const char *name = p->text + t->name;

	if (t->sigil == '!')
		return 0;
	if (t->sigil && !strchr("#^/", t->sigil))
		return parse_error(p, "line %d: '{{%c' tags are not supported",
				   t->line, t->sigil);
	if (!t->len)
		return parse_error(p, "line %d: tag '{{%.*s}}' names no variable",
				   t->line, quote_len(t->close - t->open - 2),
				   p->text + t->open + 2);
	if (!is_name(name, t->len))
		return parse_error(p, "line %d: bad variable name '%.*s'",
				   t->line, quote_len(t->len), name);
	switch (t->sigil) {
	case '#':
	case '^':
		return open_section(p, t);
	case '/':
		return close_section(p, t);
	default:
		add_node(p, N_VAR, t->line, t->name, t->len);
		return 0;
	}
}

static int parse(struct parse *p)
{
	for (;;) {
		const char *o, *c;
		struct tag t;
		size_t skip = 0;

		o = memmem(p->text + p->text_start, p->len - p->text_start,
			   "{{", 2);
		if (!o)
			break;
		t.open = (size_t)(o - p->text);
		count_lines(p, t.open);
		t.line = p->line;
		c = memmem(o + 2, p->len - t.open - 2, "}}", 2);
		if (!c)
			return parse_error(p, "line %d: tag '{{' is not closed",
					   t.line);
		t.close = (size_t)(c - p->text);
		split_tag(p, &t);

		if (t.sigil && strchr("#^/!", t.sigil))
			skip = standalone_end(p, &t);
		if (skip) {
			/* The line goes, from its start to past its newline. */
			add_node(p, N_TEXT, p->line, p->text_start,
				 p->line_start - p->text_start);
			p->text_start = skip;
		} else {
			add_node(p, N_TEXT, p->line, p->text_start,
				 t.open - p->text_start);
			p->text_start = t.close + 2;
		}
		count_lines(p, p->text_start);
		if (parse_tag(p, &t))
			return -1;
	}
	add_node(p, N_TEXT, p->line, p->text_start, p->len - p->text_start);
	if (p->depth) {
		const struct node *s = &p->n[p->stack[p->depth - 1]];

		return parse_error(p, "line %d: section '%.*s' is not closed",
				   s->line, quote_len(s->len),
				   p->text + s->off);
	}
	return 0;
}

static int parse_text(struct parse *p, const char *text, size_t len,
		      struct buf *err)
{
	memset(p, 0, sizeof(*p));
	p->text = text ? text : "";
	p->len = text ? len : 0;
	p->err = err;
	p->line = 1;
	if (parse(p)) {
		free(p->n);
		p->n = NULL;
		return -1;
	}
	return 0;
}

/* ---- rendering ------------------------------------------------------- */

/*
 * Each list item that a section names again inside itself multiplies the
 * work; an empty body writes nothing, so the output cap cannot stop a
 * runaway template.  Counting node visits and repeats can.
 */
#define MAX_STEPS (1UL << 22)

struct render {
	const struct parse *p;
	struct buf *out, *err;
	/* innermost last; sections nest at most MAX_DEPTH deep */
	const struct tvars *scope[MAX_DEPTH + 1];
	size_t nscope;
	unsigned long steps;
};

static const struct tvar *lookup(const struct render *r, const struct node *n)
{
	const char *name = r->p->text + n->off;

	for (size_t i = r->nscope; i-- > 0;) {
		const struct tvar *t = tvars_find(r->scope[i], name, n->len);

		if (t)
			return t;
	}
	return NULL;
}

static const char *type_name(enum tvar_type t)
{
	return t == TV_LIST ? "a list" : t == TV_BOOL ? "a bool" : "text";
}

/* Count a node visited or an item repeated, failing past the budget. */
static int step(struct render *r)
{
	if (++r->steps <= MAX_STEPS)
		return 0;
	buf_addf(r->err, "the template takes over %lu steps to render",
		 MAX_STEPS);
	return -1;
}

static int render_range(struct render *r, size_t i, size_t end)
{
	const struct node *nodes = r->p->n;

	while (i < end) {
		const struct node *n = &nodes[i];
		const char *name = r->p->text + n->off;
		const struct tvar *t;
		bool show;

		if (step(r))
			return -1;
		if (n->type == N_TEXT) {
			if (buf_add(r->out, r->p->text + n->off, n->len))
				goto too_big;
			i++;
			continue;
		}
		t = lookup(r, n);
		if (!t) {
			buf_addf(r->err, "line %d: template names unknown variable '%.*s'",
				 n->line, quote_len(n->len), name);
			return -1;
		}
		if (n->type == N_VAR) {
			if (t->type != TV_TEXT) {
				buf_addf(r->err, "line %d: '%s' is %s, not text",
					 n->line, t->name,
					 type_name(t->type));
				return -1;
			}
			if (buf_add(r->out, t->text, t->textlen))
				goto too_big;
			i++;
			continue;
		}

		switch (t->type) {
		case TV_LIST:
			show = t->nr > 0;
			break;
		case TV_BOOL:
			show = t->b;
			break;
		default:
			show = t->textlen > 0;
			break;
		}
		if (n->type == N_INVERTED) {
			if (!show && render_range(r, i + 1, n->end))
				return -1;
		} else if (t->type == TV_LIST) {
			for (size_t k = 0; k < t->nr; k++) {
				int ret;

				if (step(r))
					return -1;
				r->scope[r->nscope++] = t->items[k];
				ret = render_range(r, i + 1, n->end);
				r->nscope--;
				if (ret)
					return -1;
			}
		} else if (show && render_range(r, i + 1, n->end)) {
			return -1;
		}
		i = n->end;
	}
	return 0;

too_big:
	buf_addf(r->err, "the rendered text is over %zu bytes", r->out->max);
	return -1;
}

int template_render(const char *text, size_t len, const struct tvars *v,
		    struct buf *out, struct buf *err)
{
	struct parse p;
	struct render r = { .p = &p, .out = out, .err = err };
	size_t oldlen = out->len;
	int ret;

	if (parse_text(&p, text, len, err))
		return -1;
	if (v)
		r.scope[r.nscope++] = v;
	ret = render_range(&r, 0, p.nr);
	/* All or nothing: a half-written reply must not go out. */
	if (ret)
		buf_setlen(out, oldlen);
	free(p.n);
	return ret;
}

/* ---- checking -------------------------------------------------------- */

struct check {
	const struct parse *p;
	struct buf *err;
	const struct tschema *scope[MAX_DEPTH + 1];
	size_t nscope;
};

static const struct tschema *schema_lookup(const struct check *c,
					   const struct node *n)
{
	const char *name = c->p->text + n->off;

	for (size_t i = c->nscope; i-- > 0;)
		for (const struct tschema *s = c->scope[i]; s->name; s++)
			if (!strncmp(s->name, name, n->len) && !s->name[n->len])
				return s;
	return NULL;
}

static int check_range(struct check *c, size_t i, size_t end)
{
	const struct node *nodes = c->p->n;

	/* Unlike rendering, sections never repeat: one visit per node. */
	while (i < end) {
		const struct node *n = &nodes[i];
		const char *name = c->p->text + n->off;
		const struct tschema *s;
		int ret;

		if (n->type == N_TEXT) {
			i++;
			continue;
		}
		s = schema_lookup(c, n);
		if (!s) {
			buf_addf(c->err, "line %d: unknown variable '%.*s'",
				 n->line, quote_len(n->len), name);
			return -1;
		}
		if (n->type == N_VAR) {
			if (s->type != TS_TEXT) {
				buf_addf(c->err, "line %d: '%s' is %s, not text",
					 n->line, s->name,
					 s->type == TS_LIST ? "a list"
							    : "a bool");
				return -1;
			}
			i++;
			continue;
		}
		if (n->type == N_SECTION && s->type == TS_LIST && s->items) {
			c->scope[c->nscope++] = s->items;
			ret = check_range(c, i + 1, n->end);
			c->nscope--;
		} else {
			ret = check_range(c, i + 1, n->end);
		}
		if (ret)
			return -1;
		i = n->end;
	}
	return 0;
}

int template_check(const char *text, size_t len, const struct tschema *schema,
		   struct buf *err)
{
	static const struct tschema none[] = { { NULL, TS_TEXT, NULL } };
	struct parse p;
	struct check c = { .p = &p, .err = err };
	int ret;

	if (parse_text(&p, text, len, err))
		return -1;
	c.scope[c.nscope++] = schema ? schema : none;
	ret = check_range(&c, 0, p.nr);
	free(p.n);
	return ret;
}

/* ---- files ----------------------------------------------------------- */

int template_read_file(const char *dir, const char *name, struct buf *out,
		       struct buf *err)
{
	size_t start = out->len;
	char *path;
	struct stat st;
	int fd, saved;

	if (!*name || *name == '.' || strchr(name, '/')) {
		buf_addf(err, "bad template name '%s'", name);
		return -1;
	}
	path = xasprintf("%s/%s", dir, name);
	/* O_NONBLOCK: a FIFO in the folder must not hang the bot at open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	free(path);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) < 0)
		goto fail_fd;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail_fd;
	}
	for (;;) {
		char chunk[8192];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_fd;
		if (!n)
			break;
		/* Checked while reading: the file may grow after fstat. */
		if (out->len - start + (size_t)n > TEMPLATE_MAX_FILE) {
			buf_addf(err, "template '%s' in '%s' is over %d KiB",
				 name, dir, TEMPLATE_MAX_FILE / 1024);
			goto fail_quiet;
		}
		if (buf_add(out, chunk, (size_t)n)) {
			buf_addf(err, "template '%s' in '%s' is over %zu bytes",
				 name, dir, out->max);
			goto fail_quiet;
		}
	}
	close(fd);
	return 0;

fail_fd:
	saved = errno;
	close(fd);
	errno = saved;
fail:
	buf_addf(err, "cannot read template '%s' in '%s': %s", name, dir,
		 strerror(errno));
	buf_setlen(out, start);
	return -1;

fail_quiet:
	close(fd);
	buf_setlen(out, start);
	return -1;
}

int template_render_file(const char *dir, const char *name,
			 const struct tvars *v, struct buf *out,
			 struct buf *err)
{
	struct buf text = BUF_INIT(TEMPLATE_MAX_FILE);
	size_t errlen = err->len;
	int ret;

	if (template_read_file(dir, name, &text, err)) {
		buf_release(&text);
		return -1;
	}
	/* Say which file is wrong: a reply can use several. */
	buf_addf(err, "template '%s': ", name);
	ret = template_render(text.s, text.len, v, out, err);
	if (!ret)
		buf_setlen(err, errlen);
	buf_release(&text);
	return ret;
}
