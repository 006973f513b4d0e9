/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ingest: the one pipeline every message goes through, whatever its source
 * (a file, a Maildir, stdin, IMAP): parse, classify, store, group into
 * series, attach review trailers.  One sqlite transaction per message, or
 * per batch of messages in bulk mode (a failure rolls the whole batch
 * back; a rerun redoes it).  Each message is prepared (parsed, no
 * database) and then stored; a bulk import prepares in a second thread
 * and checkpoints in a third (walsync.h).
 */
#ifndef PATCHBOT_INGEST_H
#define PATCHBOT_INGEST_H

#include <stddef.h>

#include "config.h"
#include "dispatch.h"
#include "mail.h"
#include "source.h"
#include "store.h"
#include "walsync.h"

enum msg_kind {
	KIND_PATCH,
	KIND_COVER,
	KIND_REPLY,
	KIND_PULL,
	KIND_OTHER,
	KIND_REJECTED,
	KIND_DUPLICATE,
};

struct ingest_stats {
	size_t read, added, duplicate;
	size_t patches, covers, replies, pulls, other, rejected;
	struct strlist reasons; /* "WHERE: REASON" for each rejected mail */
};

struct ingest {
	struct store *st;
	const struct config *cfg; /* NULL: defaults, and no commands */
	/*
	 * Run commands, feedback and notices (which write mail).  On for the
	 * daemon; off for `patchbot ingest` unless --react, so that importing
	 * years of a list's archive does not answer years-old mail.
	 */
	bool react;
	struct mail_limits limits;
	int64_t window;
	size_t batch;      /* messages per transaction */
	size_t in_batch;
	/* checkpoints in a thread of their own (bulk import), or NULL */
	struct walsync *walsync;
	/*
	 * ingest_source() reads and parses in a second thread while this
	 * one stores (bulk import).
	 */
	bool parse_ahead;
	struct ingest_stats stats;
	struct dispatch_stats commands;
	/*
	 * Called inside each transaction just before it commits, so that a
	 * source's progress (the IMAP UID high-water mark) commits together
	 * with the messages' effects and replies.  May be NULL.
	 */
	int (*before_commit)(struct store *st, void *payload);
	void *commit_payload;
};

void ingest_init(struct ingest *in, struct store *st, const struct config *cfg);
void ingest_release(struct ingest *in);

/*
 * Take one message.  Bad mail is recorded as rejected with its reason and
 * is not an error; -1 means the database failed (nothing of this message
 * is stored).  *kind (may be NULL) says what it was.
 */
int ingest_message(struct ingest *in, const struct mail_item *item,
		   enum msg_kind *kind);
/* Commit what the current batch holds. */
int ingest_flush(struct ingest *in);
/* Every message of a source; progress on stderr when show_progress. */
int ingest_source(struct ingest *in, struct mail_source *src,
		  int show_progress, struct buf *err);

const char *msg_kind_name(enum msg_kind k);

#endif
