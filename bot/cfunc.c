/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cfunc: a heuristic finder of C function definitions (see cfunc.h). */
#include "cfunc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum tok_kind { T_END, T_IDENT, T_OTHER, T_PUNCT };

struct token {
	enum tok_kind kind;
	const char *p;
	size_t len;
	unsigned long line;
	bool col0;              /* the first character of its line */
	bool after_comment;     /* a comment came right before it */
};

struct lexer {
	const char *text, *p, *e;
	unsigned long line;
	bool bol;               /* nothing but blanks since the line began */
	/* the block of comments just read, for kernel-doc above a function */
	unsigned long comment_start, comment_end;
	bool comment_last;      /* no token since that block */
};

static bool ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '$';
}

/* Skip a string or character literal; stops at a newline, for safety. */
static void skip_literal(struct lexer *lx)
{
	char q = *lx->p++;

	while (lx->p < lx->e && *lx->p != q && *lx->p != '\n') {
		if (*lx->p == '\\' && lx->p + 1 < lx->e && lx->p[1] != '\n')
			lx->p++;
		lx->p++;
	}
	if (lx->p < lx->e && *lx->p == q)
		lx->p++;
}

static void note_comment(struct lexer *lx, unsigned long start)
{
	if (!lx->comment_last || lx->comment_end + 1 < start)
		lx->comment_start = start;
	lx->comment_end = lx->line;
	lx->comment_last = true;
}

/* White space, comments and preprocessor lines. */
static void skip_blank(struct lexer *lx)
{
	while (lx->p < lx->e) {
		char c = *lx->p;

		if (c == '\n') {
			lx->line++;
			lx->bol = true;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx->p++;
		} else if (c == '/' && lx->p + 1 < lx->e && lx->p[1] == '*') {
			unsigned long start = lx->line;

			lx->p += 2;
			while (lx->p < lx->e && !(*lx->p == '*' && lx->p + 1 < lx->e &&
						  lx->p[1] == '/')) {
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			lx->p = lx->p < lx->e ? lx->p + 2 : lx->e;
			note_comment(lx, start);
		} else if (c == '/' && lx->p + 1 < lx->e && lx->p[1] == '/') {
			while (lx->p < lx->e && *lx->p != '\n')
				lx->p++;
			note_comment(lx, lx->line);
		} else if (c == '#' && lx->bol) {
			/* a directive runs on over backslash-newlines */
			while (lx->p < lx->e && *lx->p != '\n') {
				if (*lx->p == '\\' && lx->p + 1 < lx->e && lx->p[1] == '\n') {
					lx->line++;
					lx->p++;
				}
				lx->p++;
			}
		} else {
			return;
		}
	}
}

static struct token next_token(struct lexer *lx)
{
	struct token t = { 0 };

	skip_blank(lx);
	if (lx->p >= lx->e)
		return t;
	t.p = lx->p;
	t.line = lx->line;
	t.col0 = t.p == lx->text || t.p[-1] == '\n';
	t.after_comment = lx->comment_last;
	lx->bol = false;
	lx->comment_last = false;
	if (ident_char((unsigned char)*lx->p)) {
		t.kind = isdigit((unsigned char)*lx->p) ? T_OTHER : T_IDENT;
		while (lx->p < lx->e && ident_char((unsigned char)*lx->p))
			lx->p++;
	} else if (*lx->p == '"' || *lx->p == '\'') {
		t.kind = T_OTHER;
		skip_literal(lx);
	} else {
		t.kind = T_PUNCT;
		lx->p++;
	}
	t.len = (size_t)(lx->p - t.p);
	return t;
}

static bool tok_is(const struct token *t, const char *s)
{
	return t->len == strlen(s) && !memcmp(t->p, s, t->len);
}

/* Words that may stand before "(" without naming a function. */
static bool not_a_name(const struct token *t)
{
	static const char *const words[] = {
		"if", "while", "for", "switch", "return", "sizeof", "typeof",
		"__typeof__", "_Alignof", "alignof", "_Generic", "asm", "__asm__",
		"do", "else", "case", "defined", "void", "char", "short", "int",
		"long", "float", "double", "signed", "unsigned", "_Bool", "bool",
		"struct", "union", "enum", "const", "volatile", "static", "extern",
		"inline", "__inline__", "register", "__attribute__", "__attribute",
		"_Static_assert", "static_assert", "__declspec", NULL,
	};

	for (size_t i = 0; words[i]; i++)
		if (tok_is(t, words[i]))
			return true;
	return false;
}

/* Annotations between ")" and "{": __attribute__((x)), __acquires(l). */
static bool annotation(const struct token *t)
{
	return t->kind == T_IDENT && t->len > 2 && t->p[0] == '_' && t->p[1] == '_';
}

enum state {
	S_DECL,     /* reading a declaration at depth 0 */
	S_PARAMS,   /* inside the candidate's parameter list */
	S_PARENS,   /* inside other parentheses at depth 0 */
	S_AFTER,    /* after the candidate's ")": "{" makes it a definition */
	S_BODY,     /* inside braces */
};

struct scan {
	unsigned flags;
	enum state state;
	int depth, pdepth;
	/* the declaration being read */
	unsigned long stmt_line, doc_line;
	bool stmt_col0, has_eq, stmt_started;
	size_t ntok;
	struct token prev, cand;
	size_t cand_ntok;       /* tokens before the candidate's name */
	bool knr;               /* parameters are bare names: K&R allowed */
	bool after_tok;         /* some token came after ")" */
	bool param_ident;       /* the last parameter token was a name */
	size_t open;            /* index of the open definition, or (size_t)-1 */
};

static void reset_decl(struct scan *s)
{
	s->state = S_DECL;
	s->stmt_started = false;
	s->has_eq = false;
	s->ntok = 0;
	s->cand.kind = T_END;
	s->prev.kind = T_END;
}

static void start_decl(struct scan *s, const struct lexer *lx, const struct token *t)
{
	s->stmt_started = true;
	s->stmt_line = t->line;
	s->stmt_col0 = t->col0;
	s->doc_line = t->line;
	if (t->after_comment && lx->comment_end + 1 >= t->line)
		s->doc_line = lx->comment_start;
}

static void add_def(struct scan *s, struct cfunc_list *out)
{
	struct cfunc *f;

	ALLOC_GROW(out->v, out->nr + 1, out->alloc);
	f = &out->v[out->nr];
	f->name = xstrndup(s->cand.p, s->cand.len);
	f->doc = s->doc_line;
	f->start = s->stmt_line;
	f->name_line = s->cand.line;
	f->end = 0;
	s->open = out->nr++;
}

static bool fragment_ok(const struct scan *s)
{
	return !(s->flags & CFUNC_FRAGMENT) || (s->stmt_col0 && s->cand_ntok > 0);
}

/* One token at brace depth 0, outside a body. */
static void decl_token(struct scan *s, const struct lexer *lx,
		       const struct token *t, struct cfunc_list *out)
{
	bool punct = t->kind == T_PUNCT;
	char c = punct ? t->p[0] : 0;

	if (!s->stmt_started)
		start_decl(s, lx, t);
	switch (s->state) {
	case S_DECL:
		if (c == '(') {
			if (s->prev.kind == T_IDENT && !not_a_name(&s->prev) && !s->has_eq) {
				s->cand = s->prev;
				s->cand_ntok = s->ntok - 1;
				s->state = S_PARAMS;
				s->knr = true;
				s->param_ident = false;
			} else {
				s->state = S_PARENS;
			}
			s->pdepth = 1;
		} else if (c == ';' || c == '}') {
			reset_decl(s);
			return;
		} else if (c == '{') {
			s->depth = 1;
			s->state = S_BODY;
			s->open = (size_t)-1;
			return;
		} else if (c == '=') {
			s->has_eq = true;
		}
		break;
	case S_PARENS:
	case S_PARAMS:
		if (c == '(') {
			s->pdepth++;
		} else if (c == ')') {
			if (--s->pdepth == 0) {
				s->state = s->state == S_PARAMS ? S_AFTER : S_DECL;
				s->after_tok = false;
			}
		} else if (c == ';' || c == '{' || c == '}') {
			/* unbalanced: no declaration we understand */
			reset_decl(s);
			if (c == '{') {
				s->depth = 1;
				s->state = S_BODY;
				s->open = (size_t)-1;
			}
			return;
		} else if (s->state == S_PARAMS && s->pdepth == 1) {
			/* K&R lists bare names: "f(a, b)" */
			if (t->kind == T_IDENT && (s->param_ident || tok_is(t, "void")))
				s->knr = false;
			else if (punct && c != ',')
				s->knr = false;
			else if (t->kind == T_OTHER)
				s->knr = false;
			s->param_ident = t->kind == T_IDENT;
		}
		break;
	case S_AFTER:
		if (c == '{') {
			if (fragment_ok(s)) {
				add_def(s, out);
			} else {
				s->open = (size_t)-1;
			}
			s->depth = 1;
			s->state = S_BODY;
			return;
		}
		if (c == '(' && s->pdepth == 0 && !annotation(&s->prev)) {
			/* "EXPORT_SYMBOL(x)" without ";", then a new declaration */
			if (s->prev.kind == T_IDENT && !not_a_name(&s->prev) &&
			    !(s->flags & CFUNC_FRAGMENT)) {
				s->cand = s->prev;
				s->cand_ntok = 1;
				s->state = S_PARAMS;
				s->knr = true;
				s->param_ident = false;
				s->pdepth = 1;
				break;
			}
			reset_decl(s);
			return;
		}
		if (c == '(') {
			s->pdepth++;
		} else if (c == ')') {
			if (s->pdepth > 0)
				s->pdepth--;
		} else if (s->pdepth > 0) {
			;
		} else if (c == ';' || c == ',') {
			/* a prototype, unless K&R declarations follow ")" */
			if (!s->knr || !s->after_tok || s->flags & CFUNC_FRAGMENT) {
				reset_decl(s);
				return;
			}
		} else if (punct && c != '*' && c != '[' && c != ']') {
			reset_decl(s);
			return;
		}
		s->after_tok = true;
		break;
	case S_BODY:
		break;
	}
	s->prev = *t;
	s->ntok++;
}

void cfunc_scan(const char *text, size_t len, unsigned flags,
		struct cfunc_list *out)
{
	struct lexer lx = { .text = text, .p = text, .e = text + len, .line = 1,
			    .bol = true };
	struct scan s = { .flags = flags, .open = (size_t)-1 };
	struct token t;

	reset_decl(&s);
	while ((t = next_token(&lx)).kind != T_END) {
		char c = t.kind == T_PUNCT ? t.p[0] : 0;

		if (s.state != S_BODY) {
			decl_token(&s, &lx, &t, out);
			continue;
		}
		if (c == '{') {
			s.depth++;
		} else if (c == '}' && --s.depth == 0) {
			if (s.open != (size_t)-1)
				out->v[s.open].end = t.line;
			s.open = (size_t)-1;
			reset_decl(&s);
		}
	}
	/* a fragment may end inside a body: it runs to the end */
	if (s.open != (size_t)-1)
		out->v[s.open].end = lx.line;
}

void cfunc_list_release(struct cfunc_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const struct cfunc *cfunc_at(const struct cfunc_list *l, unsigned long line)
{
	size_t lo = 0, hi = l->nr;

	/* definitions do not overlap and come in order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].end < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < l->nr && l->v[lo].doc <= line && line <= l->v[lo].end)
		return &l->v[lo];
	return NULL;
}

char *cfunc_from_context(const char *context)
{
	const char *open = context ? strchr(context, '(') : NULL;
	const char *e = open, *b;

	if (!open)
		return NULL;
	while (e > context && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	b = e;
	while (b > context && ident_char((unsigned char)b[-1]))
		b--;
	if (b == e || isdigit((unsigned char)*b))
		return NULL;
	{
		struct token t = { .kind = T_IDENT, .p = b, .len = (size_t)(e - b) };

		if (not_a_name(&t))
			return NULL;
	}
	return xstrndup(b, (size_t)(e - b));
}
