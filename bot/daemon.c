/* SPDX-License-Identifier: GPL-2.0-or-later */
/* daemon: the IMAP/SMTP main loop of `patchbot run` (see daemon.h). */
#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "imap.h"
#include "ingest.h"
#include "log.h"
#include "queue.h"
#include "report.h"
#include "smtp.h"
#include "store.h"
#include "util.h"

/* IDLE is renewed well before the 29-minute limit of RFC 2177. */
#define IDLE_SECONDS (25 * 60)
#define MAX_BACKOFF 300

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
}

static void set_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking read returns, and the loop sees the flag */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

struct daemon {
	struct config cfg;
	struct store st;
	struct ingest in;
	struct imap_conn *imap;
	const char *config_path;
	bool explicit_path;
	char *mailbox;
	uint32_t uidvalidity;
	uint32_t last_uid;
	uint32_t uid_in_hand;   /* the message being ingested */
	unsigned backoff;
	size_t processed;
	char *report_stamp;     /* the state the status page was written for */
};

static int load(struct daemon *d, struct config *cfg)
{
	struct buf err = BUF_INIT(4096);

	if (config_load(cfg, d->config_path, d->explicit_path, &err)) {
		error("%s", err.s);
		buf_release(&err);
		return -1;
	}
	buf_release(&err);
	if (cfg->nr_errors || !cfg->imap_url) {
		for (size_t i = 0; i < cfg->problems.nr; i++)
			error("%s", cfg->problems.v[i]);
		if (!cfg->imap_url)
			error("missing 'imap.url': the daemon has nowhere to read mail");
		config_release(cfg);
		return -1;
	}
	for (size_t i = 0; i < cfg->problems.nr; i++)
		log_warnx("%s", cfg->problems.v[i]);
	return 0;
}

/* The UID mark commits with the message that moved it (ingest's hook). */
static int save_uid(struct store *st, void *payload)
{
	struct daemon *d = payload;
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO imap_state (mailbox, uidvalidity, last_uid, updated)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (mailbox) DO UPDATE SET"
		" uidvalidity = ?2, last_uid = max(CASE WHEN uidvalidity = ?2"
		" THEN last_uid ELSE 0 END, ?3), updated = ?4");

	if (!s)
		return -1;
	store_bind_text(s, 1, d->mailbox);
	sqlite3_bind_int64(s, 2, d->uidvalidity);
	sqlite3_bind_int64(s, 3, d->uid_in_hand);
	sqlite3_bind_int64(s, 4, now_seconds());
	return store_done(st, s);
}

/* Where the last run stopped in this mailbox; 0 after UIDVALIDITY changed. */
static uint32_t load_uid(struct daemon *d)
{
	sqlite3_stmt *s = store_stmt(&d->st,
		"SELECT uidvalidity, last_uid FROM imap_state WHERE mailbox = ?");
	uint32_t uid = 0;

	if (!s)
		return 0;
	store_bind_text(s, 1, d->mailbox);
	if (sqlite3_step(s) == SQLITE_ROW) {
		uint32_t validity = (uint32_t)sqlite3_column_int64(s, 0);

		if (validity == d->uidvalidity)
			uid = (uint32_t)sqlite3_column_int64(s, 1);
		else
			log_info("mailbox '%s': UIDVALIDITY changed from %u to %u; "
				 "reading it again (duplicates are recognised)",
				 d->mailbox, validity, d->uidvalidity);
	}
	sqlite3_reset(s);
	return uid;
}

static int on_message(void *payload, uint32_t uid, const char *raw, size_t len,
		      size_t full_size)
{
	struct daemon *d = payload;
	struct buf err = BUF_INIT(1024);
	char *where = xasprintf("imap:%s:%u", d->mailbox, uid);
	struct mail_item item = {
		.raw = raw, .len = len, .full_size = full_size, .where = where,
	};
	enum msg_kind kind;
	int r;

	d->uid_in_hand = uid;
	r = ingest_message(&d->in, &item, &kind);
	free(where);
	if (r) {
		error("message %u in '%s' not processed: the database failed; "
		      "it will be read again", uid, d->mailbox);
		return -1;
	}
	d->last_uid = uid;
	d->processed++;
	log_debug(LOG_IMAP, "uid %u: %s", uid, msg_kind_name(kind));
	if (imap_mark_done(d->imap, uid, &err))
		log_warnx("cannot flag message %u as seen: %s", uid, err.s);
	buf_release(&err);
	/* SIGTERM: finish the message in hand, then stop */
	return stop_flag ? -1 : 0;
}

/* Sleep up to secs, waking for a signal; false when told to stop. */
static bool nap(unsigned secs)
{
	for (unsigned i = 0; i < secs * 10 && !stop_flag; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	return !stop_flag;
}

static void drop_imap(struct daemon *d)
{
	imap_close(d->imap);
	d->imap = NULL;
}

static int connect_imap(struct daemon *d)
{
	struct buf err = BUF_INIT(4096);

	if (imap_open(&d->imap, &d->cfg, &err)) {
		unsigned jitter = d->backoff ? (unsigned)rand() % (d->backoff / 4 + 1) : 0;

		log_warnx("IMAP: %s; trying again in %u s", err.s, d->backoff + jitter);
		buf_release(&err);
		d->imap = NULL;
		return -1;
	}
	buf_release(&err);
	free(d->mailbox);
	d->mailbox = xstrdup(imap_mailbox(d->imap));
	d->uidvalidity = imap_uidvalidity(d->imap);
	d->last_uid = load_uid(d);
	d->backoff = 0;
	log_info("IMAP: reading '%s' from UID %u", d->mailbox, d->last_uid + 1);
	return 0;
}

static void backoff(struct daemon *d)
{
	unsigned jitter;

	d->backoff = d->backoff ? d->backoff * 2 : 1;
	if (d->backoff > MAX_BACKOFF)
		d->backoff = MAX_BACKOFF;
	jitter = (unsigned)rand() % (d->backoff / 4 + 1);
	nap(d->backoff + jitter);
}

static int64_t flush_outbox(struct daemon *d)
{
	struct smtp_stats ss = { 0 };
	int64_t next_due = 0;

	if (!d->cfg.smtp_url)
		return 0;
	if (smtp_flush(&d->st, &d->cfg, &ss, &next_due))
		log_warnx("SMTP: the outbox could not be flushed");
	if (ss.sent || ss.deferred || ss.failed)
		log_info("SMTP: %zu sent, %zu deferred, %zu failed", ss.sent,
			 ss.deferred, ss.failed);
	return next_due;
}

/*
 * The status page (report.htmlDir), rewritten when the state it shows
 * changed: checked after a round that stored mail, never while idle.
 * force: write it whatever the state (start-up, a reload).  A failure is
 * logged and tried again after the next round.
 */
static void update_report(struct daemon *d, bool force)
{
	struct buf err = BUF_INIT(4096);
	char *stamp;

	if (!d->cfg.report_html_dir || !*d->cfg.report_html_dir)
		return;
	stamp = report_stamp(&d->st);
	if (!stamp)
		return;
	if (!force && d->report_stamp && !strcmp(stamp, d->report_stamp)) {
		free(stamp);
		return;
	}
	if (report_write(&d->st, &d->cfg, d->cfg.report_html_dir, &err)) {
		log_warnx("status page: %s", err.s);
		free(stamp);
		stamp = NULL;
	} else {
		log_debug(LOG_DB, "status page rewritten in '%s'", d->cfg.report_html_dir);
	}
	free(d->report_stamp);
	d->report_stamp = stamp;
	buf_release(&err);
}

static void reload(struct daemon *d)
{
	struct config fresh;

	reload_flag = 0;
	if (load(d, &fresh)) {
		log_warnx("SIGHUP: keeping the old configuration");
		return;
	}
	config_release(&d->cfg);
	d->cfg = fresh;
	d->in.cfg = &d->cfg;
	drop_imap(d);
	log_info("SIGHUP: configuration reloaded");
	update_report(d, true);
}

int daemon_main(const char *config_path, bool explicit_path, bool once)
{
	struct daemon d;
	struct buf err = BUF_INIT(4096);
	int status = 0;

	memset(&d, 0, sizeof(d));
	d.config_path = config_path;
	d.explicit_path = explicit_path;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (load(&d, &d.cfg))
		return 1;
	if (store_open(&d.st, d.cfg.bot_database, &err)) {
		error("%s", err.s);
		buf_release(&err);
		config_release(&d.cfg);
		return 1;
	}
	buf_release(&err);
	set_signals();
	smtp_global_init();
	smtp_release_leases(&d.st, &d.cfg);
	/* a crash may have left a branch out of step with the queue state */
	queue_reconcile(&d.st, &d.cfg);
	ingest_init(&d.in, &d.st, &d.cfg);
	d.in.before_commit = save_uid;
	d.in.commit_payload = &d;
	update_report(&d, true);
	log_info("patchbot %s running: %s", PACKAGE_VERSION, d.cfg.imap_url);

	while (!stop_flag) {
		struct buf e = BUF_INIT(4096);
		int64_t next_due, timeout;
		size_t before = d.processed;
		int r;

		if (reload_flag)
			reload(&d);
		if (!d.imap && connect_imap(&d)) {
			if (once) {
				status = 1;
				break;
			}
			backoff(&d);
			continue;
		}
		r = imap_fetch_new(d.imap, d.last_uid, d.in.limits.max_size + 1,
				   on_message, &d, &e);
		if (d.processed != before)
			update_report(&d, false);
		if (r < 0 && !stop_flag) {
			log_warnx("IMAP: %s", e.len ? e.s : "fetching stopped");
			drop_imap(&d);
			buf_release(&e);
			if (once) {
				status = 1;
				break;
			}
			backoff(&d);
			continue;
		}
		next_due = flush_outbox(&d);
		if (once || stop_flag) {
			buf_release(&e);
			break;
		}
		timeout = IDLE_SECONDS;
		if (next_due) {
			int64_t wait = next_due - now_seconds();

			timeout = wait < 1 ? 1 : wait < timeout ? wait : timeout;
		}
		if (imap_wait(d.imap, (int)timeout, &stop_flag, &e) < 0) {
			log_warnx("IMAP: %s", e.len ? e.s : "connection lost");
			drop_imap(&d);
		}
		buf_release(&e);
	}
	ingest_flush(&d.in);
	log_info("patchbot stopping: %zu message(s) processed", d.processed);
	drop_imap(&d);
	ingest_release(&d.in);
	store_close(&d.st);
	config_release(&d.cfg);
	free(d.mailbox);
	free(d.report_stamp);
	return status;
}
