/* SPDX-License-Identifier: GPL-2.0-or-later */
/* walsync: WAL checkpoints in a thread of their own (see walsync.h). */
#include "walsync.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct walsync {
	struct store *st;
	sqlite3 *db;            /* the checkpointer's own connection */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;    /* a commit happened, or stop */
	pthread_cond_t idle;    /* a checkpoint finished */
	/* under lock: */
	size_t commits;         /* commits seen by the WAL hook */
	size_t checkpointed;    /* commits covered by a finished checkpoint */
	int frames;             /* pages in the WAL after the last commit */
	int max_frames;
	int stop;
	int error;              /* the first checkpoint error, or 0 */
	char *error_msg;
	struct walsync_stats stats;
};

/* sqlite calls this after each commit, in the writer's thread. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct walsync *w = arg;

	(void)db;
	(void)name;
	pthread_mutex_lock(&w->lock);
	w->commits++;
	w->frames = frames;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	return SQLITE_OK;
}

static void *run(void *arg)
{
	struct walsync *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		size_t target;
		int rc, log_frames = 0, done_frames = 0;

		while (!w->stop && w->checkpointed == w->commits)
			pthread_cond_wait(&w->work, &w->lock);
		if (w->stop)
			break;
		target = w->commits;
		pthread_mutex_unlock(&w->lock);
		/*
		 * PASSIVE: never blocks the writer, and copies every frame
		 * that no reader still needs (the writer, between its
		 * transactions, needs none).
		 */
		rc = sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
					       &log_frames, &done_frames);
		pthread_mutex_lock(&w->lock);
		w->checkpointed = target;
		w->stats.checkpoints++;
		if (rc == SQLITE_OK && log_frames == done_frames)
			w->stats.full++;
		/* BUSY: another process checkpoints; it does the work */
		if (rc != SQLITE_OK && rc != SQLITE_BUSY && !w->error) {
			w->error = rc;
			w->error_msg = xstrdup(sqlite3_errmsg(w->db));
		}
		pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void walsync_free(struct walsync *w)
{
	sqlite3_close(w->db);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w->error_msg);
	free(w);
}

struct walsync *walsync_start(struct store *st, int max_frames, struct buf *err)
{
	struct walsync *w = xcalloc(1, sizeof(*w));
	const char *file = sqlite3_db_filename(st->db, NULL);
	int e;

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	w->st = st;
	w->max_frames = max_frames;
	if (!file || !*file) {
		buf_addf(err, "the database has no file to checkpoint");
		walsync_free(w);
		return NULL;
	}
	if (sqlite3_open_v2(file, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		buf_addf(err, "cannot open '%s' for checkpoints: %s", file,
			 w->db ? sqlite3_errmsg(w->db) : "out of memory");
		walsync_free(w);
		return NULL;
	}
	/*
	 * A connection opens the WAL at its first read: until then a
	 * checkpoint through it does nothing and reports success.
	 */
	if (sqlite3_exec(w->db, "PRAGMA synchronous = NORMAL; SELECT 1 FROM sqlite_master",
			 NULL, NULL, NULL) != SQLITE_OK) {
		buf_addf(err, "cannot read '%s' for checkpoints: %s", file,
			 sqlite3_errmsg(w->db));
		walsync_free(w);
		return NULL;
	}
	e = pthread_create(&w->thread, NULL, run, w);
	if (e) {
		buf_addf(err, "cannot start the checkpoint thread: %s", strerror(e));
		walsync_free(w);
		return NULL;
	}
	/* replaces the automatic checkpoint, which is a WAL hook too */
	sqlite3_wal_hook(st->db, on_commit, w);
	return w;
}

void walsync_pace(struct walsync *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	if (w->frames >= w->max_frames && w->checkpointed < w->commits) {
		w->stats.waits++;
		while (w->checkpointed < w->commits)
			pthread_cond_wait(&w->idle, &w->lock);
	}
	pthread_mutex_unlock(&w->lock);
}

void walsync_stop(struct walsync *w, struct walsync_stats *stats)
{
	if (!w)
		return;
	/* sqlite's default threshold */
	sqlite3_wal_autocheckpoint(w->st->db, 1000);
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (w->error)
		log_warnx("background checkpoint failed: %s (sqlite error %d)",
			 w->error_msg, w->error);
	if (stats)
		*stats = w->stats;
	walsync_free(w);
}
