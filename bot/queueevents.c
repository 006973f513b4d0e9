/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queueevents: what the queue does when ingest reports an event: a newer
 * version of a queued series is complete, and queue.onNewVersion says
 * "drop": the queued one comes off its branch at once, with a notice; and
 * review trailers arrive for a queued series (queue.lateTrailers): its
 * commits are built again with them.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notice.h"
#include "queue.h"
#include "util.h"

/*
 * The queued version of version_id's series when version_id is a newer
 * version by its subject ("v3" after "v2"); else 0.  A posting with the
 * same label joins the series too (a RESEND, or the author's follow-up
 * fix in reply to a single patch, which `fold` takes): that is no reason
 * to drop what is queued.
 */
static int64_t older_queued(struct store *st, int64_t version_id, char **branch)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT q.version_id, q.branch FROM queue q JOIN versions o ON o.id = q.version_id"
		" JOIN versions n ON n.series_id = o.series_id WHERE n.id = ?"
		" AND o.version < n.version AND o.label < n.label");
	int64_t id = 0;

	*branch = NULL;
	if (!s)
		return 0;
	sqlite3_bind_int64(s, 1, version_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		*branch = xstrdup((const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_reset(s);
	return id;
}

int queue_version_complete(struct store *st, const struct config *cfg,
			   int64_t version_id)
{
	struct buf why = BUF_INIT(8192);
	struct queue_who who = { .email = cfg->bot_address, .when = 0 };
	char *branch = NULL, *reason;
	int64_t old, h;
	struct queue q;
	int r = 0, version;

	if (!cfg->tree_repo || !cfg->queue_on_new_version ||
	    strcmp(cfg->queue_on_new_version, "drop"))
		return 0;
	old = older_queued(st, version_id, &branch);
	if (!old)
		return 0;
	if (queue_open(&q, st, cfg, &why)) {
		log_warnx("queue: %s", why.s);
		goto out_free;
	}
	{
		sqlite3_stmt *s = store_stmt(st, "SELECT version FROM versions WHERE id = ?");

		if (!s) {
			r = -1;
			goto out;
		}
		sqlite3_bind_int64(s, 1, version_id);
		version = (int)store_int(st, s, 0);
	}
	reason = xasprintf("v%d was posted", version);
	if (queue_savepoint(st)) {
		free(reason);
		r = -1;
		goto out;
	}
	h = queue_history_add(st, old, "dropped", branch, reason, &who);
	if (h < 0 || queue_remove(st, old)) {
		queue_rollback_savepoint(st);
		r = -1;
	} else if (queue_build(&q, &why)) {
		/* the rest of the stack needs the old version: keep it */
		queue_rollback_savepoint(st);
		log_warnx("queue: not dropping the queued version for v%d: %s", version, why.s);
	} else if (queue_release(st)) {
		r = -1;
	} else {
		buf_reset(&why);
		if (queue_update_refs(&q, false, &why) < 0)
			log_warnx("queue: %s", why.s);
		log_info("queue: dropped the older version from '%s': %s", branch, reason);
		r = notice_queue(st, cfg, &(struct notice){
			.kind = "removed", .version_id = old, .branch = branch,
			.reason = reason, .history_id = h });
	}
	free(reason);
out:
	queue_close(&q);
out_free:
	free(branch);
	buf_release(&why);
	return r;
}

int queue_trailers_added(struct store *st, const struct config *cfg, int64_t msg_row)
{
	sqlite3_stmt *s;
	struct buf why = BUF_INIT(8192);
	struct queue q;
	int64_t ids[64];
	size_t nr = 0;
	int r = 0;

	if (!cfg->tree_repo || !cfg->queue_late_trailers)
		return 0;
	/* only trailers that are new: a repeated one was ignored with its row */
	s = store_stmt(st,
		"SELECT DISTINCT p.version_id FROM trailers t JOIN patches p ON p.id = t.patch_id"
		" JOIN queue q ON q.version_id = p.version_id WHERE t.source_id = ?"
		" AND t.key != 'Signed-off-by' AND t.source_id != p.message_id");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, msg_row);
	while (sqlite3_step(s) == SQLITE_ROW && nr < sizeof(ids) / sizeof(ids[0]))
		ids[nr++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (!nr)
		return 0;
	if (queue_open(&q, st, cfg, &why)) {
		log_warnx("queue: %s", why.s);
		buf_release(&why);
		return 0;
	}
	if (queue_savepoint(st)) {
		r = -1;
		goto out;
	}
	for (size_t i = 0; !r && i < nr; i++)
		r = queue_invalidate(st, ids[i]);
	if (r) {
		queue_rollback_savepoint(st);
	} else if (queue_build(&q, &why)) {
		/* the branch stays as it was; the trailers wait for the next rebuild */
		queue_rollback_savepoint(st);
		log_warnx("queue: cannot add the late trailers: %s", why.s);
	} else if (queue_release(st)) {
		r = -1;
	} else {
		buf_reset(&why);
		if (queue_update_refs(&q, false, &why) < 0)
			log_warnx("queue: %s", why.s);
		log_info("queue: review trailers for %zu queued version(s) arrived; rebuilt"
			 " from their commits up", nr);
	}
out:
	queue_close(&q);
	buf_release(&why);
	return r;
}
