/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue: the maintainer's patch queue.  sqlite's queue table says which
 * series version sits on which branch (tree.branch, bottom to top) in
 * which order; the branches are derived from it with libgit2, each on top
 * of the one below, the lowest on tree.base.  A rebuild reuses every entry
 * whose parent commit did not change, so it starts at the first position
 * that changed.  The same state always gives the same commit ids.
 *
 * The state functions work inside the caller's transaction; queue_build
 * writes git objects (harmless if the transaction is undone) and records
 * the commits in sqlite; queue_update_refs then moves the branches.  A
 * crash between the two is repaired by queue_reconcile at start-up.
 */
#ifndef PATCHBOT_QUEUE_H
#define PATCHBOT_QUEUE_H

#include <git2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "packwrite.h"
#include "store.h"

struct queue {
	struct store *st;
	const struct config *cfg;
	git_repository *repo;
	struct packwriter *pw;  /* a build's objects go into one pack */
	git_oid base;
	git_oid *tips;          /* per tree.branch, after queue_build */
	size_t nr_built;        /* commits written by the last build */
};

/* Open tree.repo and resolve tree.base.  -1 with err set. */
int queue_open(struct queue *q, struct store *st, const struct config *cfg,
	       struct buf *err);
void queue_close(struct queue *q);

/* The index of branch in tree.branch, or -1. */
int queue_branch_index(const struct config *cfg, const char *branch);

/* Who queues, and when (the committer date of the version's commits). */
struct queue_who {
	const char *email;
	const char *name;
	int64_t when;
	int64_t cause_id;       /* messages.id of the command mail, or 0 */
};

/* The queued version of series_id (0 when none), and its branch (new
 * string, may be NULL). */
int64_t queue_find_series(struct store *st, int64_t series_id, char **branch);
/* The branch version_id is queued on (new string), or NULL. */
char *queue_branch_of(struct store *st, int64_t version_id);

/* Put version_id on top of branch.  0 or -1. */
int queue_add(struct store *st, int64_t version_id, const char *branch,
	      const struct queue_who *who);
/* Put version_id in the place of old_id (same branch and position). */
int queue_replace(struct store *st, int64_t old_id, int64_t version_id,
		  const struct queue_who *who);
int queue_remove(struct store *st, int64_t version_id);
/* Move version_id to the top of branch; its commits get rebuilt. */
int queue_move(struct store *st, int64_t version_id, const char *branch);
/* Build version_id again at the next rebuild (its trailers changed). */
int queue_invalidate(struct store *st, int64_t version_id);

/* Record what happened (queued, superseded, dropped, moved); returns the
 * history row's id, or -1. */
int64_t queue_history_add(struct store *st, int64_t version_id, const char *action,
			  const char *branch, const char *detail,
			  const struct queue_who *who);

/*
 * Build every branch from the state.  0 done (q->tips set); 1 when a
 * patch does not apply (why: "patch 2/3 'title' of v2 does not apply on
 * 'mm-unstable': file 'x', hunk #1 (...): ..."); -1 on other errors.
 */
int queue_build(struct queue *q, struct buf *why);
/*
 * Build the stack, then version_id on top of the top branch without
 * recording it (the `try` command): 0 with *tip set, 1 when a patch does
 * not apply (why says which), -1.
 */
int queue_try(struct queue *q, int64_t version_id, const struct queue_who *who,
	      git_oid *tip, struct buf *why);
/* Point each branch at its tip; the number of branches moved, or -1. */
int queue_update_refs(struct queue *q, bool log_changes, struct buf *err);

/*
 * Start-up: compare each branch with the state, rebuild what differs and
 * log it.  A configuration without tree.repo does nothing.  0 or -1.
 */
int queue_reconcile(struct store *st, const struct config *cfg);

/*
 * Ingest's event: version_id is complete.  With queue.onNewVersion = drop,
 * an older queued version of its series comes off its branch, with a
 * notice (kept, and logged, when the stack above needs it).  0 or -1.
 */
int queue_version_complete(struct store *st, const struct config *cfg,
			   int64_t version_id);

/*
 * Ingest's event: the reply msg_row gave review trailers to patches.  With
 * queue.lateTrailers, each queued version among them is built again from
 * its first commit up, so that its commits carry them (the next notice
 * names them, see notice.h).  A rebuild that fails is logged and undone.
 * 0 or -1.
 */
int queue_trailers_added(struct store *st, const struct config *cfg, int64_t msg_row);

/* Savepoints, so that a failed command undoes only its own changes. */
int queue_savepoint(struct store *st);
int queue_release(struct store *st);
void queue_rollback_savepoint(struct store *st);

#endif
