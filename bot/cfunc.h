/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfunc: find the C function definitions in a source text and the lines
 * each one spans, so that a changed line can be attributed to the function
 * whose body holds it (subscriptions to FILE:FUNCTION).  It is a careful
 * heuristic, not a C parser: comments, strings and preprocessor lines are
 * skipped, and a definition is NAME(...) at brace depth 0 followed by "{"
 * (after optional annotations such as __acquires(x), or K&R parameter
 * declarations).  Prototypes, function pointers, macro calls and struct
 * initialisers do not count.
 */
#ifndef PATCHBOT_CFUNC_H
#define PATCHBOT_CFUNC_H

#include <stddef.h>

struct cfunc {
	char *name;
	/* 1-based lines: a comment right above the definition, the first
	 * token of the definition, its name, and its closing brace */
	unsigned long doc, start, name_line, end;
};

struct cfunc_list {
	struct cfunc *v;
	size_t nr, alloc;
};

enum {
	/*
	 * The text is a piece of a file (the lines of a hunk): braces may
	 * not balance, so a definition counts only when its first token is
	 * at column 0 after a type, as kernel style writes them; a call such
	 * as "	list_for_each_entry(p, h, l) {" is then no definition.
	 */
	CFUNC_FRAGMENT = 1 << 0,
};

/* Append the definitions in text to out, in order.  Never fails. */
void cfunc_scan(const char *text, size_t len, unsigned flags,
		struct cfunc_list *out);
void cfunc_list_release(struct cfunc_list *l);

/* The function whose lines (doc to end) hold line, or NULL. */
const struct cfunc *cfunc_at(const struct cfunc_list *l, unsigned long line);

/*
 * The function named by a hunk header's context ("static int foo(int a)"),
 * as git writes it after "@@": the identifier before the first "(".  A new
 * string, or NULL when there is none.
 */
char *cfunc_from_context(const char *context);

#endif
