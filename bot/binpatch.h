/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * binpatch: the forward hunk of a "GIT binary patch" ("literal N" or
 * "delta N", base85 lines of zlib data, then a blank line), decoded and
 * applied as git apply does (git's apply.c apply_binary_fragment and
 * patch-delta.c).
 */
#ifndef PATCHBOT_BINPATCH_H
#define PATCHBOT_BINPATCH_H

#include <stddef.h>

#include "buf.h"

/* A binary hunk may not inflate to more than this. */
#define BINPATCH_MAX (256u << 20)

/*
 * text..end starts at the "literal N" or "delta N" line.  The new
 * content (malloc'd, *out_len bytes) from old.  Sets *next to the line
 * after the hunk's blank line.  0, or -1 with err saying what is wrong.
 */
int binpatch_apply(const char *text, const char *end, const char **next,
		   const void *old, size_t old_len, char **out, size_t *out_len,
		   struct buf *err);

/* Skip the hunk at text without decoding it: the line after it. */
const char *binpatch_skip(const char *text, const char *end);

#endif
