/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * maintainers: the kernel's MAINTAINERS file, read from the tree with
 * libgit2, and who should see a patch to a given file.  The matching rules
 * are those of the kernel's scripts/get_maintainer.pl:
 *
 *   F: a glob matched from the start of the path; '*' and '?' as in the
 *      shell; a pattern ending in '/' is a directory and covers everything
 *      below it; any other pattern matches only paths with as many '/' as
 *      it has (so "*.c" in drivers/net/ does not cover drivers/net/wan/).
 *      A pattern without glob characters that names a directory of the path
 *      covers it as if it ended in '/' (get_maintainer.pl asks the disk).
 *   X: like F:, but a match takes the section away for that file.
 *   N: an extended regular expression searched in the path.
 *   K: an extended regular expression searched in the patch text.
 *
 * A section that covers a file only through a catch-all pattern starting
 * with '*' (the kernel's "THE REST") gives its lists, not its people, so
 * that not every patch is sent to the top maintainer.  Patterns and
 * regexes that do not compile (perl syntax, say) are skipped: MAINTAINERS
 * is data from the tree, never a reason to fail.
 */
#ifndef PATCHBOT_MAINTAINERS_H
#define PATCHBOT_MAINTAINERS_H

#include <stddef.h>

#include "buf.h"

/* Larger files are refused; the kernel's is about 0.8 MiB. */
#define MAINTAINERS_MAX_SIZE (4u << 20)

struct maintainers;

/* Who should see a change: "maintainer", "reviewer" or "list". */
struct maintainers_entry {
	const char *role;
	char *name;     /* display name, "" for most lists */
	char *addr;     /* lowercased */
	char *section;  /* the section's title */
};

struct maintainers_result {
	struct maintainers_entry *v;
	size_t nr, alloc;
};

/*
 * Parse the text of a MAINTAINERS file.  Returns 0 and sets *out, or -1
 * with err set (too large, not text).  Odd lines are skipped, not fatal.
 */
int maintainers_parse(struct maintainers **out, const char *text, size_t len,
		      struct buf *err);

/*
 * Read MAINTAINERS at revision rev of the repository at repo_path.
 * Returns 1 and sets *out; 0 when there is no such file at rev; -1 with
 * err set when the repository or the revision cannot be read.
 */
int maintainers_load(struct maintainers **out, const char *repo_path,
		     const char *rev, struct buf *err);

void maintainers_free(struct maintainers *m);
size_t maintainers_nr_sections(const struct maintainers *m);

/*
 * Add to r (no address twice) who should see a change to path, and, when
 * content is not NULL, whose K: regexes match content.
 */
void maintainers_for_file(const struct maintainers *m, const char *path,
			  struct maintainers_result *r);
void maintainers_for_content(const struct maintainers *m, const char *content,
			     struct maintainers_result *r);
void maintainers_result_release(struct maintainers_result *r);

/*
 * Does the F:-style pattern cover path?  Exposed for feedback routing
 * rules, which use the same globs.
 */
int maintainers_glob_match(const char *pattern, const char *path);
/* Does pattern match the whole of s?  '*' is any run of characters (also
 * '/', as get_maintainer.pl's ".*"), '?' one character. */
int maintainers_wild_match(const char *pattern, const char *s);

#endif
