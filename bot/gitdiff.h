/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gitdiff: read a git diff the way git apply does, for hunkapply: each
 * file's names (with a/ and b/ taken off, C-quoted names unquoted), modes,
 * new/deleted/renamed/copied, the index line's ids, binary patches, and
 * the hunks with their positions and context counts.  (diff.c reads diffs
 * for the store and is lenient; this one is for applying and is strict:
 * a hunk whose counts do not add up is corrupt, as for git.)
 */
#ifndef PATCHBOT_GITDIFF_H
#define PATCHBOT_GITDIFF_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* gitdiff_parse's answer for what it leaves to libgit2 */
#define GITDIFF_UNSUPPORTED 2

struct gitdiff_hunk {
	const char *header;      /* "@@ -a,b +c,d @@ ..." */
	size_t header_len;
	unsigned long oldpos, oldlines, newpos, newlines;
	unsigned long leading, trailing;
	const char *body, *body_end;
};

struct gitdiff_file {
	char *old_name, *new_name;
	unsigned old_mode, new_mode;
	bool is_new, is_delete, is_rename, is_copy;
	bool binary;
	const char *bin;          /* "literal N"/"delta N" line; NULL: no data */
	char old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
	struct gitdiff_hunk *h;
	size_t nr, alloc;
};

struct gitdiff {
	struct gitdiff_file *f;
	size_t nr, alloc;
};

/*
 * Parse text[0..len) (which must end with a newline).  0; 1 when corrupt
 * (err says where); GITDIFF_UNSUPPORTED for a diff that is not a git
 * diff, or has a header this does not read.  The structures point into
 * text.
 */
int gitdiff_parse(const char *text, size_t len, struct gitdiff *out, struct buf *err);
void gitdiff_release(struct gitdiff *d);

/* The start of the line after the one at p. */
const char *gitdiff_eol(const char *p, const char *end);

#endif
