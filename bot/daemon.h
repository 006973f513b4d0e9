/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon: `patchbot run` and `patchbot once`.  One process reads and
 * sends: it fetches what is new over IMAP, puts each message through the
 * ingest pipeline (its UID high-water mark committed in the same
 * transaction), flushes the outbox over SMTP, and waits with IDLE until new
 * mail or the next retry time.  Network errors never end it: it reconnects
 * with exponential backoff and jitter.  SIGTERM/SIGINT finish the message
 * in hand and exit 0; SIGHUP reloads the configuration.
 */
#ifndef PATCHBOT_DAEMON_H
#define PATCHBOT_DAEMON_H

#include <stdbool.h>

/* once: fetch, process, flush, exit.  Returns the exit status. */
int daemon_main(const char *config_path, bool explicit_path, bool once);

#endif
