/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queueshow: the queue as text and JSON, for `patchbot queue list` and the
 * `list` and `pending` mail commands, and the rows they are made of, for
 * the status page (report.c).
 */
#ifndef PATCHBOT_QUEUESHOW_H
#define PATCHBOT_QUEUESHOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "queue.h"
#include "store.h"

/*
 * One series version on a branch.  The strings belong to the query and
 * live until the callback returns.
 */
struct queue_entry {
	int64_t series_id, version_id;
	int version, total;
	const char *title, *author_name, *author_email;
	int64_t posted;         /* the version's date */
	int64_t queued_at;
	const char *queued_by;
	const char *parent;     /* hex id it was built on, "" when not built */
	const char *tip;        /* hex id of its last commit, "" when not built */
	int nr_commits;
	const char *msgid;      /* its cover letter's, else its first patch's */
};

/* One complete series not queued: its newest complete version. */
struct pending_entry {
	int64_t series_id, version_id;
	int version, total;
	const char *title, *author_name, *author_email;
	int64_t posted;
	int review_trailers;    /* trailers from replies, not Signed-off-by */
	bool feedback_sent;
	const char *msgid;
};

/* A commit of a queued version, in order. */
struct queue_commit {
	const char *commit_id;
	int n, total;
	const char *title;
};

/* A person's trailer a version's patches carry (Reviewed-by, Acked-by,
 * Tested-by, ..., not Signed-off-by), from the patches or from replies,
 * in the order first seen; patches says on how many of them. */
struct version_trailer {
	const char *key, *value;
	int patches;
};

/* One row of queue_history, newest first. */
struct queue_event {
	int64_t at;
	const char *action, *branch, *detail, *by;
	int64_t series_id;
	int version;
	const char *title;
};

/* Each callback returns 0 to go on, or -1 to stop (then returned). */
typedef int (*queue_entry_fn)(const struct queue_entry *e, void *payload);
typedef int (*pending_entry_fn)(const struct pending_entry *e, void *payload);
typedef int (*queue_commit_fn)(const struct queue_commit *c, void *payload);
typedef int (*version_trailer_fn)(const struct version_trailer *t, void *payload);
typedef int (*queue_event_fn)(const struct queue_event *e, void *payload);

/* The entries of branch, bottom first. */
int queue_each_entry(struct store *st, const char *branch, queue_entry_fn fn,
		     void *payload);
/* The complete series not queued, oldest first (at most 200). */
int queue_each_pending(struct store *st, pending_entry_fn fn, void *payload);
/* The commits of a queued version. */
int queue_each_commit(struct store *st, int64_t version_id, queue_commit_fn fn,
		      void *payload);
/* The *-by trailers of a version's patches, but Signed-off-by and
 * Co-developed-by. */
int version_each_trailer(struct store *st, int64_t version_id,
			 version_trailer_fn fn, void *payload);
/* The last limit events of the queue's history, newest first. */
int queue_each_event(struct store *st, int limit, queue_event_fn fn, void *payload);

/* The hex id of tree.base in tree.repo into base ("" when unknown,
 * logged). */
void queue_base_hex(struct store *st, const struct config *cfg,
		    char base[GIT_OID_HEXSZ + 1]);

/*
 * The stack, top branch first: each branch with its series versions in
 * order (version, title, author, date queued, commit range) and its tip.
 * base is the hex id of tree.base, or NULL when unknown; only names one
 * branch to show, or NULL for all.  0 or -1.
 */
int queue_describe(struct store *st, const struct config *cfg, const char *base,
		   const char *only, struct buf *out);

/* The complete series not queued: newest version, trailers, feedback. */
int queue_describe_pending(struct store *st, struct buf *out);

/* `patchbot queue list [--json]`.  0 or -1. */
int queue_list(struct store *st, const struct config *cfg, FILE *out, bool json);

#endif
