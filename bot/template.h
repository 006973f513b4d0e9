/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template: the one renderer for every mail patchbot writes.  Templates are
 * plain files in bot.templates that a maintainer can reword without
 * rebuilding.  Syntax (a small, logic-less subset of mustache):
 *
 *   {{name}}              the value of variable name
 *   {{#name}}...{{/name}} a section: for a list, repeated for each item
 *                         (inside, the item's variables and the outer ones);
 *                         for a bool or text, shown when true / non-empty
 *   {{^name}}...{{/name}} shown when name is false, empty or an empty list
 *   {{! comment }}        nothing
 *
 * A tag alone on its line (sections, comments) takes the whole line with
 * it, so templates read naturally.  Naming a variable that the template's
 * schema does not know is an error, found by template_check() for every
 * shipped template in the test suite.
 *
 * Names are made of A-Z a-z 0-9 _ . - (a dot is part of the name, not a
 * path).  Spaces inside a tag are allowed: {{ name }}.  Values are inserted
 * verbatim; these are plain-text mails, so nothing is escaped.  A variable
 * that is not set is an error at render time, never an empty string; a list
 * made with tvars_set_list() and no items is set.  Inside a list's section
 * a name is looked up in the item first, then in the enclosing scopes.
 * Sections nest at most 32 deep.  There is no way to write a literal "{{"
 * (no delimiter change, no partials, no {{{ }}} or {{& }}).
 */
#ifndef PATCHBOT_TEMPLATE_H
#define PATCHBOT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* What a template may name. Arrays end with a { NULL } entry. */
enum tschema_type { TS_TEXT, TS_BOOL, TS_LIST };
struct tschema {
	const char *name;
	enum tschema_type type;
	const struct tschema *items; /* for TS_LIST: the item's variables */
};

/*
 * Values for one rendering: text, bools and lists of nested tvars.  Setting
 * a name again replaces its value (whatever its type).  A name outside the
 * alphabet above is a bug in the caller: it is logged and ignored.  A NULL
 * value is the empty text.  Items belong to their tvars; tvars_free frees
 * the whole tree.
 */
struct tvars;
struct tvars *tvars_new(void);
void tvars_free(struct tvars *v);
void tvars_set(struct tvars *v, const char *name, const char *value);
void tvars_setf(struct tvars *v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tvars_set_bool(struct tvars *v, const char *name, bool value);
/* Append an item to list name (creating the list); returns the item. */
struct tvars *tvars_add_item(struct tvars *v, const char *name);
/* Make list name exist (possibly empty). */
void tvars_set_list(struct tvars *v, const char *name);

/*
 * Render text with v into out (appended).  0, or -1 with err set (an
 * unknown variable, a list or bool used as text, an unclosed section, a
 * mismatched end tag, output over out->max); on error out is left as it
 * was.  Errors in the text say the line: "line 4: section 'x' is not
 * closed".
 */
int template_render(const char *text, size_t len, const struct tvars *v,
		    struct buf *out, struct buf *err);

/* Template files larger than this are refused. */
#define TEMPLATE_MAX_FILE (256 * 1024)

/*
 * Append the contents of dir/name to out.  name must be a plain file name
 * (no "/", not starting with ".").  0, or -1 with err set.
 */
int template_read_file(const char *dir, const char *name, struct buf *out,
		       struct buf *err);

/* Read dir/name and render it; errors name the template. */
int template_render_file(const char *dir, const char *name,
			 const struct tvars *v, struct buf *out, struct buf *err);

/*
 * Does text name only what schema knows, with sections closed and {{name}}
 * used only for TS_TEXT?  Inside a TS_LIST section the item's names and the
 * outer ones are visible.  0, or -1 with err set ("line 3: unknown
 * variable 'x'").
 */
int template_check(const char *text, size_t len, const struct tschema *schema,
		   struct buf *err);

#endif
