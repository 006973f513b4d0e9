/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * imap: the IMAP side of the daemon, with libetpan.  Connect (imaps://, or
 * imap:// and STARTTLS, which the server must offer; imap.tls = off only
 * for loopback test servers), log in, select the mailbox of imap.url,
 * fetch by UID what is new, flag it \Seen (and move it to
 * imap.doneMailbox when set), and wait for more with IDLE (renewed before
 * the 29-minute limit), or by polling servers without IDLE.  Nothing is
 * ever deleted.
 *
 * TLS certificates are checked here (libetpan with GnuTLS does not):
 * against the system's trust store and the host name of imap.url.  Every
 * network read and write times out after 60 s.  Callers must ignore
 * SIGPIPE: a server that hangs up mid-write is an error, not a signal.
 */
#ifndef PATCHBOT_IMAP_H
#define PATCHBOT_IMAP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

struct imap_conn;

/*
 * Connect, log in (the first line of imap.passwordFile, read now, else
 * imap.password), select the mailbox of imap.url (percent-decoded,
 * INBOX when the URL has none) and create imap.doneMailbox when it is
 * missing.  -1 with a reason in err, and *out NULL.
 */
int imap_open(struct imap_conn **out, const struct config *cfg, struct buf *err);
/* LOGOUT when the connection still works, and free; c may be NULL. */
void imap_close(struct imap_conn *c);

/* The selected mailbox's name and UIDVALIDITY. */
const char *imap_mailbox(const struct imap_conn *c);
uint32_t imap_uidvalidity(const struct imap_conn *c);

/*
 * Fetch every message with UID > after, in UID order, and call fn for
 * each with its raw bytes (RFC822, BODY.PEEK[] so nothing is flagged
 * before it is processed).  A message larger than max_size is passed cut
 * to max_size with full_size its real size.  fn returns 0 to go on, -1
 * to stop (imap_fetch_new then returns -1 too).  -1 on a connection error
 * (err set).  After a connection error every call fails at once: close
 * and open again.
 */
typedef int (*imap_message_fn)(void *payload, uint32_t uid, const char *raw,
			       size_t len, size_t full_size);
int imap_fetch_new(struct imap_conn *c, uint32_t after, size_t max_size,
		   imap_message_fn fn, void *payload, struct buf *err);

/*
 * Flag uid \Seen, and move it to imap.doneMailbox when that is set.  A
 * server without MOVE gets a COPY only: the original stays, flagged
 * \Seen, because emulating MOVE needs EXPUNGE, which would also remove
 * whatever else is flagged \Deleted.
 */
int imap_mark_done(struct imap_conn *c, uint32_t uid, struct buf *err);

/*
 * Wait until the server reports new mail (IDLE), at most timeout seconds;
 * without IDLE, sleep min(timeout, imap.pollSeconds).  Returns early (0)
 * when *stop becomes non-zero; checks it at least once a second.  Returns
 * 1 when there may be new mail, 0 on time-out or stop, -1 on a connection
 * error (err set).  New mail the server reported while the caller was
 * fetching or flagging makes it return 1 at once.
 */
int imap_wait(struct imap_conn *c, int timeout, volatile sig_atomic_t *stop,
	      struct buf *err);

#endif
