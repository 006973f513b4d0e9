/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * series: decide which series version a patch or cover letter belongs to,
 * and link the versions of one series.
 *
 * A posting's messages are grouped by thread (In-Reply-To, References),
 * else by author + version + total within a time window.  Versions are
 * linked by b4's change-id, else by a posting that replies into an older
 * version's thread, else by author + normalised title.  Message-IDs that
 * were referenced before they arrived are remembered as "anchors", so mail
 * can arrive in any order.
 */
#ifndef PATCHBOT_SERIES_H
#define PATCHBOT_SERIES_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "subject.h"

struct placement {
	int64_t msg_row;          /* messages.id of the new message, or 0 */
	const char *message_id;
	const char *const *ancestors; /* nearest first */
	size_t nr_ancestors;
	const char *author_email; /* lowercased */
	const char *author_name;
	int64_t date;
	const struct subject_info *si;
	bool cover;
	const char *change_id;    /* or NULL */
	int64_t window;           /* seconds, for grouping without references */
};

/*
 * Find or create the version for p; returns 0 and sets *version_id, or -1
 * on a database error.  For a cover letter, it becomes the version's cover.
 */
int series_place(struct store *st, const struct placement *p,
		 int64_t *version_id);

/*
 * Name msg_row the cover letter of version_id: for a cover placed before
 * its message was stored (placement.msg_row 0).
 */
int series_set_cover(struct store *st, int64_t version_id, int64_t msg_row);

/*
 * After a patch was stored: recompute title, completeness, series title.
 * Returns 1 when the version has just become complete, 0, or -1.
 */
int series_refresh(struct store *st, int64_t version_id, int n,
		   const char *title);

/*
 * The version a thread belongs to: the first of ids (nearest first) that
 * is a known patch, cover or reply of a version.  Returns 0 and sets
 * *version_id (0 when none); *msg_row is the matching message's row.
 */
int series_find_thread(struct store *st, const char *const *ids, size_t nr,
		       int64_t *version_id, int64_t *msg_row);

#endif
