/* SPDX-License-Identifier: GPL-2.0-or-later */
/* events: the reactions to ingest's events, in one place (see events.h). */
#include "events.h"

#include "feedback.h"
#include "log.h"
#include "queue.h"
#include "subs.h"

int events_version_complete(struct store *st, const struct config *cfg,
			    int64_t version_id)
{
	(void)st;
	log_debug(LOG_DB, "version %lld is complete", (long long)version_id);
	if (!cfg)
		return 0;
	if (feedback_check_version(st, cfg, version_id))
		return -1;
	/* queue.onNewVersion = drop: the queued older version goes */
	if (queue_version_complete(st, cfg, version_id))
		return -1;
	/* one notice per subscriber whose subscriptions the version touches */
	if (subs_version_complete(st, cfg, version_id))
		return -1;
	return 0;
}

int events_trailers_added(struct store *st, const struct config *cfg, int64_t msg_row)
{
	if (!cfg)
		return 0;
	/* queue.lateTrailers: a queued series' commits take them in */
	return queue_trailers_added(st, cfg, msg_row);
}
