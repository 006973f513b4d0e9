/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queuecmd: what the commands that change the queue (queue, drop, promote)
 * and those that read it (list, pending, try) share: opening the tree,
 * naming a version, and the change-build-refs flow in which a patch that
 * does not apply leaves everything as it was.
 */
#ifndef PATCHBOT_QUEUECMD_H
#define PATCHBOT_QUEUECMD_H

#include "command.h"
#include "queue.h"

/* Open the queue; on failure the reason goes to c->out. */
int qcmd_open(struct cmd_ctx *c, struct queue *q);
/* The sender as the one who queues, at the command mail's date. */
struct queue_who qcmd_who(const struct cmd_ctx *c);

/* A version's number and title; 0 or -1 (no such version). */
int qcmd_version(struct cmd_ctx *c, int64_t vid, int *version, char **title);

/*
 * The queued version a command acts on: the vN given, or the version of
 * the series on the queue.  0 with *vid and *branch (new string) set; -1
 * with the reason in c->out.
 */
int qcmd_queued(struct cmd_ctx *c, const struct cmd_args *a, int64_t *vid,
		char **branch);

/*
 * Rebuild after the state changes made since queue_savepoint().  On
 * failure the savepoint is rolled back (nothing changes), the branches
 * stay as they were and the reason goes to c->out: -1.  On success the
 * savepoint is released and the branches moved: 0.
 */
int qcmd_rebuild(struct cmd_ctx *c, struct queue *q);

/* "abc123456789..def012345678 (3 commits)" of a queued version into out. */
void qcmd_range(struct cmd_ctx *c, int64_t vid, struct buf *out);

#endif
