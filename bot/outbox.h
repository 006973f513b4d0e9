/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * outbox: mail patchbot has written and not yet sent, in sqlite.  A reply
 * is added in the same transaction as the message that caused it, under a
 * Message-ID derived from that message, so a retry can never produce two.
 * The SMTP sender (live-mail issue) delivers the rows; until then
 * `patchbot outbox list` and `outbox dump DIR` show them.
 */
#ifndef PATCHBOT_OUTBOX_H
#define PATCHBOT_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"
#include "util.h"

struct outbox_mail {
	const char *kind;          /* "transcript", "notice", ... */
	int64_t cause_id;          /* messages.id of the mail it answers */
	const char *message_id;    /* without <> */
	const char *envelope_from;
	const struct strlist *rcpts;
	const char *subject;       /* for listings */
	const char *raw;           /* the whole mail, LF line ends */
	size_t len;
};

/* 1 added, 0 already there (same Message-ID), -1 database error. */
int outbox_add(struct store *st, const struct outbox_mail *om);
/* Rows added since `since` for recipient (or all when NULL). */
int64_t outbox_count_since(struct store *st, const char *recipient,
			   int64_t since);
int outbox_list(struct store *st, FILE *out, bool json);
/*
 * A mail from bot.address came in (raw, len as received): when it is the
 * copy of a pending outbox mail (smtp.confirmCopy), the same Message-ID and
 * the same text under the header fields the servers added, the server took
 * that mail: it is marked sent, not sent again.  Called by ingest, in its
 * transaction.  1 marked, 0 not a pending mail's copy, -1 database error.
 */
int outbox_confirm_copy(struct store *st, const char *message_id,
			const char *raw, size_t len);

/* Make a pending or failed mail due now.  1 done, 0 no such mail, -1. */
int outbox_retry(struct store *st, int64_t id);
/* Write each pending mail to DIR/<id>.eml; *count says how many. */
int outbox_dump(struct store *st, const char *dir, size_t *count,
		struct buf *err);

#endif
