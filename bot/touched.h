/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * touched: what a patch touches, for subscriptions: its files (both names
 * of a rename) and, per file, the C functions whose lines it changes.
 *
 * lei's dfhh: only sees the hunk header (the last line before the hunk
 * that looks like a function start), so it names the previous function for
 * a hunk that starts at a function's own signature, and only the first one
 * for a hunk spanning two.  Here every changed line is attributed to the
 * function whose body holds it in the pre-image of the file (read by the
 * caller, e.g. from the tree's git repository), functions a hunk adds or
 * removes count by their names, and the hunk header is the fallback when
 * the file is not in the tree or the hunk does not fit it.
 */
#ifndef PATCHBOT_TOUCHED_H
#define PATCHBOT_TOUCHED_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diff.h"
#include "util.h"

/* Where a hunk's body lies in the diff text (lines after its header). */
struct touched_hunk {
	const char *body;  /* NULL when the body was not found */
	size_t len;
};

struct touched_file {
	const char *old_path, *new_path; /* from the parsed diff; may be NULL */
	struct touched_hunk *hunks;      /* one per d.files[i].hunks */
	bool funcs_done;
	struct strlist funcs;            /* names, no repeats */
};

struct touched {
	struct diff d;
	struct touched_file *files;      /* one per d.files */
	size_t nr_files;
};

/* Parse diff text (which must outlive t).  0, or -1 when it has no diff. */
int touched_parse(struct touched *t, const char *text, size_t len);
void touched_release(struct touched *t);

/*
 * The pre-image of path: append the file's bytes to out and return 1, 0
 * when the file is not in the tree, -1 on an error (then the hunk headers
 * are used, as for 0).
 */
typedef int (*touched_preimage_fn)(const char *path, struct buf *out,
				   void *payload);

/*
 * Fill t->files[i].funcs (once; later calls return at once).  preimage
 * may be NULL: then only the hunk headers and the added or removed
 * definitions count.
 */
void touched_funcs(struct touched *t, size_t i, touched_preimage_fn preimage,
		   void *payload);

#endif
