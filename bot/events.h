/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * events: what other parts of patchbot react to, called by ingest inside
 * the transaction that stores the mail which caused the event, so that
 * every reply an event causes commits (or not) together with that mail.
 * Each feature adds its call here: one place to read what happens when.
 */
#ifndef PATCHBOT_EVENTS_H
#define PATCHBOT_EVENTS_H

#include <stdint.h>

#include "config.h"
#include "store.h"

/*
 * All N patches of a series version have arrived.  cfg may be NULL (plain
 * ingest without a configuration): then nothing that writes mail runs.
 * Returns 0, or -1 on a database error (the mail's transaction is undone).
 */
int events_version_complete(struct store *st, const struct config *cfg,
			    int64_t version_id);

/*
 * The reply in messages row msg_row gave review trailers to patches
 * already stored (late trailers).  cfg as above.  0, or -1.
 */
int events_trailers_added(struct store *st, const struct config *cfg, int64_t msg_row);

#endif
