/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diff: find the patch in a mail's text and read it: git diffs (renames,
 * copies, mode changes, binary, new and deleted files), plain "diff -u" and
 * CVS "Index:" diffs.  Also finds git pull requests and b4's change-id.
 */
#ifndef PATCHBOT_DIFF_H
#define PATCHBOT_DIFF_H

#include <stdbool.h>
#include <stddef.h>

struct diff_hunk {
	unsigned long old_start, old_count, new_start, new_count;
	char *func; /* function context after the second "@@", "" if none */
};

enum diff_status {
	DIFF_MODIFIED = 'M',
	DIFF_ADDED = 'A',
	DIFF_DELETED = 'D',
	DIFF_RENAMED = 'R',
	DIFF_COPIED = 'C',
};

struct diff_file {
	char *old_path; /* without a/ prefix; NULL for an added file */
	char *new_path; /* without b/ prefix; NULL for a deleted file */
	enum diff_status status;
	bool binary;
	bool mode_change;
	struct diff_hunk *hunks;
	size_t nr_hunks, alloc_hunks;
};

struct diff {
	struct diff_file *files;
	size_t nr_files, alloc_files;
};

/*
 * Split the text of a patch mail: the changelog is the text before the
 * "---" separator (or before the diff when there is none, less a diffstat
 * right before it), without trailing blank lines.  The diff runs from the
 * first diff header line to the last line that belongs to it: a trailing
 * "-- \n" signature such as git's "2.39.5" or a mailing list footer is not
 * part of it, while "-- " inside a hunk (counted by the hunk header) is.
 * Returns 1 when a diff was found (changelog and diff set, offsets into
 * text), 0 when none (then changelog_len is len and diff_len 0).
 */
struct patch_split {
	size_t changelog_len;   /* text[0..changelog_len) is the changelog */
	size_t diff_start, diff_len;
};
int patch_split(const char *text, size_t len, struct patch_split *out);

/*
 * Parse a diff (as located by patch_split; a whole mail body works too)
 * into files and hunks.  Returns 0, or -1 when nothing diff-like is there
 * (out is then empty).  Never crashes on bad input; stops recording after
 * 10,000 files and 100,000 hunks.  Every file has old_path or new_path.
 */
int diff_parse(const char *text, size_t len, struct diff *out);
void diff_release(struct diff *d);

/* A git pull request ("The following changes since commit ...", a URL and
 * a ref): returns 1 and sets *url and *ref (new strings; ref may be NULL)
 * when found, 0 otherwise. */
int pull_request_find(const char *text, char **url, char **ref);

/* b4's "change-id: 20240101-topic-0123abcd" line: new string or NULL. */
char *change_id_find(const char *text);

#endif
