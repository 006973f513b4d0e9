/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hunkapply: apply a git diff to a tree the way `git am` (git apply
 * --index, no fuzz, no --3way) does, touching only what the diff touches:
 * each file's blob is read from the parent tree, its hunks applied where
 * their context matches exactly (at the stated line or, as git does, the
 * nearest shifted position), and only the trees on the paths from the root
 * to the changed files are written again.  New, deleted, renamed and
 * copied files, mode changes and "\ No newline at end of file" are
 * handled; a pure rename keeps the old mode, as git does.  Binary patches,
 * submodules and diffs that are not git diffs are left to the caller.
 */
#ifndef PATCHBOT_HUNKAPPLY_H
#define PATCHBOT_HUNKAPPLY_H

#include <git2.h>
#include <stddef.h>

#include "buf.h"
#include "packwrite.h"

/* hunk_apply's answer when the diff needs the general (libgit2) path */
#define HUNK_FALLBACK 2

/* Deepest path a diff may name, in parts ("a/b/c" is 3). */
#define HUNK_MAX_DEPTH 256

/* Diffs larger than this are left to the general path. */
#define HUNK_MAX_DIFF (64u << 20)

/*
 * Apply diff (len bytes) to tree and write the new blobs and trees with
 * pw (which may be NULL); the new tree's id into out.  0 on success; 1
 * when it does not apply, with err naming the file and hunk ("file
 * 'mm/foo.c', hunk #2 (@@ -10,6 +10,7 @@ f): hunk at line 10 did not
 * apply"); HUNK_FALLBACK when the diff is something this does not handle
 * (nothing written then); -1 on other errors with err set.
 */
int hunk_apply(git_repository *repo, struct packwriter *pw, const git_oid *tree,
	       const char *diff, size_t len, git_oid *out, struct buf *err);

#endif
