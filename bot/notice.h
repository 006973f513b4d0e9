/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notice: the mail that tells a series' author (Cc the list, when
 * queue.notifyList, and everyone who sent a trailer) what the queue did
 * with it: added to a branch, removed, moved, superseded.  Rendered from
 * templates/queue-KIND.txt, threaded as a reply to the cover letter (or
 * the first patch), written to the outbox in the caller's transaction.
 * Every notice after "added" names the review trailers that arrived since
 * the one before (with queue.lateTrailers they are in the commits now).
 */
#ifndef PATCHBOT_NOTICE_H
#define PATCHBOT_NOTICE_H

#include <stdint.h>

#include "config.h"
#include "store.h"
#include "template.h"

struct notice {
	const char *kind;         /* "added", "removed", "moved", "superseded",
				   * "folded" */
	int64_t version_id;
	const char *branch;       /* where it is now, or was */
	const char *from_branch;  /* moved: where it was */
	const char *reason;       /* removed: why */
	int other_version;        /* added: the one replaced; superseded: the new one */
	const char *fixup;        /* folded: the follow-up's title */
	const char *fixer;        /* folded: "Name <address>" of its author (Cc'd) */
	const char *into;         /* folded: "[n/N] title" of the patch it went into */
	const char *cause_msgid;  /* the command mail, or NULL */
	int64_t cause_id;         /* its messages.id, or 0 */
	int64_t history_id;       /* queue_history row: one notice per event */
};

/* What the queue-*.txt templates may name. */
extern const struct tschema notice_schema[];

/* Queue the notice.  0 (also when it cannot be addressed: logged), -1 on a
 * database error. */
int notice_queue(struct store *st, const struct config *cfg, const struct notice *n);

#endif
