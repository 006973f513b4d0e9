/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apply: turn one patch mail into one commit with libgit2, the way `git am`
 * would: the patch applied to the parent's tree (objects written straight
 * to the object database, no work tree), the author from the mail (or from
 * an in-body "From:" line), and the message made of the subject, the
 * changelog, the trailers collected from review, a Link: and the
 * maintainer's Signed-off-by.
 */
#ifndef PATCHBOT_APPLY_H
#define PATCHBOT_APPLY_H

#include <git2.h>
#include <stdint.h>

#include "buf.h"
#include "packwrite.h"
#include "util.h"

/* One patch as stored (patches joined with its message). */
struct apply_patch {
	int n, total;
	const char *title;       /* subject without [PATCH] tags */
	const char *changelog;   /* the body above "---" */
	const char *diff;
	const char *message_id;  /* without <> */
	const char *from_name;
	const char *from_email;
	int64_t date;
	int date_tz;             /* the mail's offset from UTC, minutes */
	/* "Key: value" lines from review replies, in arrival order */
	const struct strlist *trailers;
	/* diffs folded into this patch (`fold`), applied after diff, in
	 * order, into the same commit; NULL for none */
	const struct strlist *fixups;
};

/* Who queued it: committer and Signed-off-by. */
struct apply_ident {
	const char *name;
	const char *email;
	int64_t when;            /* committer date (queued_at) */
	const char *link_url;    /* with one %s, or NULL / "" for none */
};

/*
 * The commit message for p (new string): title, blank line, changelog
 * without in-body From:/Date: lines, trailers not already there, Link:,
 * Signed-off-by (unless it is already the last line).  *author_name and
 * *author_email (new strings) are the in-body From: when there is one,
 * else the mail's From.
 */
char *apply_message(const struct apply_patch *p, const struct apply_ident *who,
		     char **author_name, char **author_email);

/*
 * Apply p on parent and write the commit; its id into out.  When the
 * patch does not apply, returns 1 with err saying the file and hunk
 * ("file 'mm/foo.c', hunk #2 (@@ -10,6 +10,7 @@): ..."); -1 on other
 * errors with err set; 0 on success.
 */
int apply_commit(git_repository *repo, const git_oid *parent,
		 const struct apply_patch *p, const struct apply_ident *who,
		 git_oid *out, struct buf *err);

/* Only the tree (no commit): for tests and `try`.  Same returns. */
int apply_tree(git_repository *repo, const git_oid *parent_tree,
	       const char *diff_text, git_oid *tree_out, struct buf *err);

/*
 * The same, writing the new objects with pw (see packwrite.h; NULL: into
 * the odb as usual).  The diff is applied by hunk_apply (only the touched
 * blobs and trees, git am's rules); binary and unusual diffs go through
 * libgit2's git_apply_to_tree.
 */
int apply_commit_to(git_repository *repo, struct packwriter *pw, const git_oid *parent,
		    const struct apply_patch *p, const struct apply_ident *who,
		    git_oid *out, struct buf *err);
int apply_tree_to(git_repository *repo, struct packwriter *pw, const git_oid *parent_tree,
		  const char *diff_text, git_oid *tree_out, struct buf *err);

#endif
