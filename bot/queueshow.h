/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queueshow: the queue as text and JSON, for `patchbot queue list` and the
 * `list` and `pending` mail commands.
 */
#ifndef PATCHBOT_QUEUESHOW_H
#define PATCHBOT_QUEUESHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "queue.h"
#include "store.h"

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
