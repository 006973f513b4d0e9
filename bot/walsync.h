/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * walsync: WAL checkpoints in a thread of their own, for bulk ingest.
 *
 * sqlite's automatic checkpoint runs inside the commit that crosses its
 * threshold: the committing thread copies the WAL's pages into the
 * database and then waits for two fdatasync()s.  Importing an archive
 * spent a quarter of its wall time there.  With a walsync the commit only
 * appends to the WAL; a second connection, in a second thread, copies and
 * syncs while ingest parses and stores the next batch.
 *
 * Durability is unchanged: a commit is as durable as it was under
 * "synchronous = NORMAL" (the WAL reaches the disk at the checkpoint), and
 * a crash loses at most what had not been checkpointed, which a rerun of
 * the import redoes (ingest skips the messages it has).
 *
 * The WAL stays bounded: when it holds more than max_frames pages,
 * walsync_pace() makes the writer wait for the checkpoint of its last
 * commit, so that its next transaction starts the WAL over.
 */
#ifndef PATCHBOT_WALSYNC_H
#define PATCHBOT_WALSYNC_H

#include <stddef.h>

#include "buf.h"
#include "store.h"

/* The bound for bulk ingest: 64 MiB of 16 KiB pages. */
#define WALSYNC_MAX_FRAMES 4096

struct walsync;

struct walsync_stats {
	size_t checkpoints;   /* checkpoints run */
	size_t full;          /* ... that emptied the WAL */
	size_t waits;         /* times the writer waited for one */
};

/*
 * Take over st's checkpoints (its automatic checkpoint is turned off).
 * NULL with err set when no second connection or thread can be had (an
 * in-memory database, say): st then keeps checkpointing on its own.
 */
struct walsync *walsync_start(struct store *st, int max_frames, struct buf *err);
/* Call before each write transaction: waits while the WAL is too long. */
void walsync_pace(struct walsync *w);
/*
 * Wait for the last checkpoint, stop the thread and give st its automatic
 * checkpoint back.  Fills *stats when not NULL.  w may be NULL.
 */
void walsync_stop(struct walsync *w, struct walsync_stats *stats);

#endif
