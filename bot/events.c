/* SPDX-License-Identifier: GPL-2.0-or-later */
/* events: the reactions to ingest's events, in one place (see events.h). */
#include "events.h"

#include "log.h"

int events_version_complete(struct store *st, const struct config *cfg,
			    int64_t version_id)
{
	(void)st;
	log_debug(LOG_DB, "version %lld is complete", (long long)version_id);
	if (!cfg)
		return 0;
	return 0;
}
