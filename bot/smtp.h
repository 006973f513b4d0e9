/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp: deliver the outbox with libcurl.  Several mails go over one
 * connection; the envelope sender is bot.address; each accepted mail is
 * marked sent in sqlite at once.  Temporary failures (4xx, connection
 * refused, time-outs) are retried with exponential backoff; permanent ones
 * (5xx) are marked failed with the server's answer.  Nothing is lost, and
 * across restarts nothing is sent twice: SMTP cannot say whether a mail
 * whose transfer a crash cut off was taken, so every mail also goes to
 * bot.address, and a copy that comes back marks it sent (smtp.confirmCopy;
 * see smtp_release_leases).
 */
#ifndef PATCHBOT_SMTP_H
#define PATCHBOT_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "store.h"

struct smtp_stats {
	size_t sent;
	size_t deferred;  /* temporary failure: retried later */
	size_t failed;    /* permanent failure */
};

/*
 * Call once per process before smtp_flush (curl_global_init), while no
 * other thread runs; smtp_global_cleanup undoes it at exit (optional).
 */
void smtp_global_init(void);
void smtp_global_cleanup(void);

/*
 * Deliver every pending outbox row that is due (next_attempt <= now).
 * Returns 0, also when some mails failed (that is recorded on the row and
 * logged); -1 when the database failed or the configuration has no
 * smtp.url, or the password cannot be read or would go out without TLS
 * (all logged; no row is touched then).  *next_due (may be NULL) is set to
 * the earliest next_attempt of the rows still pending, never before now,
 * or 0 when none are.  When the server could not be reached (or refused
 * the session: TLS, AUTH, MAIL FROM), only the mail tried is deferred, the
 * flush stops, and *next_due is no earlier than that mail's retry.  Must
 * not be called inside a transaction: each outcome is committed at once.
 * stats (may be NULL) is added to.
 */
int smtp_flush(struct store *st, const struct config *cfg,
	       struct smtp_stats *stats, int64_t *next_due);

/*
 * At start-up, when no transfer of this process can be under way: a mail
 * whose transfer a crash cut off (still in flight) may or may not have
 * reached the server.  With smtp.confirmCopy (and bot.address), it waits
 * smtp.confirmWait seconds for its copy to come back through the bot's
 * mailbox (outbox_confirm_copy marks it sent then) and only then goes
 * again; without, it is made due at once.  Returns how many, or -1.
 */
int smtp_release_leases(struct store *st, const struct config *cfg);

#endif
