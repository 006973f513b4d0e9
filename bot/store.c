/* SPDX-License-Identifier: GPL-2.0-or-later */
/* store: sqlite open, schema migrations, statement cache (see store.h). */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/*
 * Forward migrations: migrations[i] takes the schema from version i to
 * i + 1.  Never edit a released step; append a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: messages, series, versions, patches and their parts */
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  synthetic_id INTEGER NOT NULL DEFAULT 0,"
	"  in_reply_to TEXT,"
	"  refs TEXT NOT NULL DEFAULT '',"      /* space-separated, oldest first */
	"  subject TEXT NOT NULL DEFAULT '',"
	"  from_name TEXT NOT NULL DEFAULT '',"
	"  from_email TEXT NOT NULL DEFAULT '',"  /* lowercased */
	"  to_addrs TEXT NOT NULL DEFAULT '',"    /* comma-separated */
	"  cc_addrs TEXT NOT NULL DEFAULT '',"
	"  date INTEGER NOT NULL DEFAULT 0,"
	"  arrived INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN"
	"    ('patch', 'cover', 'reply', 'pull', 'other', 'rejected')),"
	"  reject_reason TEXT,"
	"  body TEXT,"
	"  raw BLOB,"                           /* kept for rejected mail only */
	"  pull_url TEXT, pull_ref TEXT,"
	"  version_id INTEGER REFERENCES versions(id),"
	"  source TEXT"
	");"
	"CREATE INDEX messages_version ON messages(version_id);"
	"CREATE INDEX messages_kind ON messages(kind);"
	"CREATE TABLE series ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  author_name TEXT NOT NULL DEFAULT '',"
	"  author_email TEXT NOT NULL,"
	"  change_id TEXT,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX series_change_id ON series(change_id);"
	"CREATE TABLE versions ("
	"  id INTEGER PRIMARY KEY,"
	"  series_id INTEGER NOT NULL REFERENCES series(id),"
	"  version INTEGER NOT NULL,"           /* number within the series */
	"  label INTEGER NOT NULL,"             /* as the subject said */
	"  total INTEGER NOT NULL,"
	"  rfc INTEGER NOT NULL DEFAULT 0,"
	"  resend INTEGER NOT NULL DEFAULT 0,"
	"  tags TEXT NOT NULL DEFAULT '',"
	"  title TEXT NOT NULL,"
	"  cover_id INTEGER REFERENCES messages(id),"
	"  author_name TEXT NOT NULL DEFAULT '',"
	"  author_email TEXT NOT NULL,"
	"  date INTEGER NOT NULL,"              /* earliest message date */
	"  complete INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'new'"
	");"
	"CREATE INDEX versions_series ON versions(series_id, version);"
	"CREATE INDEX versions_group ON versions(author_email, label, total, date);"
	"CREATE TABLE patches ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id),"
	"  version_id INTEGER NOT NULL REFERENCES versions(id),"
	"  n INTEGER NOT NULL,"
	"  total INTEGER NOT NULL,"
	"  title TEXT NOT NULL,"
	"  changelog TEXT NOT NULL,"
	"  diff TEXT NOT NULL"
	");"
	"CREATE INDEX patches_version ON patches(version_id, n);"
	"CREATE TABLE patch_files ("
	"  patch_id INTEGER NOT NULL REFERENCES patches(id),"
	"  idx INTEGER NOT NULL,"
	"  old_path TEXT, new_path TEXT,"
	"  status TEXT NOT NULL,"
	"  binary INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (patch_id, idx)"
	") WITHOUT ROWID;"
	"CREATE INDEX patch_files_new ON patch_files(new_path);"
	"CREATE INDEX patch_files_old ON patch_files(old_path);"
	"CREATE TABLE hunks ("
	"  patch_id INTEGER NOT NULL REFERENCES patches(id),"
	"  file_idx INTEGER NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  old_start INTEGER NOT NULL, old_count INTEGER NOT NULL,"
	"  new_start INTEGER NOT NULL, new_count INTEGER NOT NULL,"
	"  func TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (patch_id, file_idx, idx)"
	") WITHOUT ROWID;"
	"CREATE TABLE trailers ("
	"  id INTEGER PRIMARY KEY,"
	"  patch_id INTEGER NOT NULL REFERENCES patches(id),"
	"  source_id INTEGER NOT NULL REFERENCES messages(id),"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  UNIQUE (patch_id, key, value)"
	");"
	/* Message-IDs a version is known by: its own messages' and (weak)
	 * those they reply to that have not arrived yet, so that late
	 * arrivals find it. */
	"CREATE TABLE anchors ("
	"  msgid TEXT PRIMARY KEY,"
	"  version_id INTEGER NOT NULL REFERENCES versions(id),"
	"  weak INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	/* Normalised titles of covers and patches, to link versions. */
	"CREATE TABLE titles ("
	"  author_email TEXT NOT NULL,"
	"  norm_title TEXT NOT NULL,"
	"  series_id INTEGER NOT NULL REFERENCES series(id),"
	"  PRIMARY KEY (author_email, norm_title, series_id)"
	") WITHOUT ROWID;",

	/* 1 -> 2: replies waiting to be sent, and the commands mail gave */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL,"                 /* transcript, notice, ... */
	"  cause_id INTEGER REFERENCES messages(id),"
	"  envelope_from TEXT NOT NULL,"
	"  recipients TEXT NOT NULL,"           /* space-separated */
	"  subject TEXT NOT NULL DEFAULT '',"
	"  raw BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  sent_at INTEGER"
	");"
	"CREATE INDEX outbox_state ON outbox(state, next_attempt);"
	"CREATE INDEX outbox_recent ON outbox(created);"
	"CREATE TABLE commands ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  idx INTEGER NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  line TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  status TEXT NOT NULL,"               /* ok, error, deferred */
	"  detail TEXT NOT NULL DEFAULT '',"
	"  version_id INTEGER REFERENCES versions(id),"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX commands_message ON commands(message_id);"
	/* replies not sent because of a rate limit or a loop rule */
	"CREATE TABLE suppressed ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  reason TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	");",

	/*
	 * 2 -> 3: indexes that keep ingest linear at archive scale.  A review
	 * of a cover letter finds the version by cover_id, and moving a
	 * version to another series rewrites titles by series_id (and the
	 * foreign key check on deleting a series searches it); without these
	 * each was a full table scan per message.
	 */
	"CREATE INDEX versions_cover ON versions(cover_id);"
	"CREATE INDEX titles_series ON titles(series_id);",

	/* 3 -> 4: how far the IMAP listener got, per mailbox */
	"CREATE TABLE imap_state ("
	"  mailbox TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL"
	");",

	/*
	 * The patch queue (issue 4): which series version sits on which
	 * branch in which order.  The git branches are derived from it:
	 * parent and tip say what the entry was last built as, so a rebuild
	 * reuses every entry whose parent did not change (tip NULL: build
	 * again).  queued_at is the committer date, so that the same state
	 * always gives the same commit ids.
	 */
	"CREATE TABLE queue ("
	"  version_id INTEGER PRIMARY KEY REFERENCES versions(id),"
	"  branch TEXT NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  queued_at INTEGER NOT NULL,"
	"  queued_by TEXT NOT NULL,"            /* maintainer address */
	"  queued_by_name TEXT NOT NULL DEFAULT '',"
	"  cause_id INTEGER REFERENCES messages(id),"
	"  parent TEXT,"
	"  tip TEXT"
	");"
	"CREATE INDEX queue_branch ON queue(branch, position);"
	"CREATE TABLE queue_commits ("
	"  version_id INTEGER NOT NULL REFERENCES versions(id),"
	"  idx INTEGER NOT NULL,"
	"  patch_id INTEGER NOT NULL REFERENCES patches(id),"
	"  commit_id TEXT NOT NULL,"
	"  PRIMARY KEY (version_id, idx)"
	") WITHOUT ROWID;"
	/* what happened to queued versions: queued, superseded, dropped, moved */
	"CREATE TABLE queue_history ("
	"  id INTEGER PRIMARY KEY,"
	"  version_id INTEGER NOT NULL REFERENCES versions(id),"
	"  action TEXT NOT NULL,"
	"  branch TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  by TEXT,"
	"  cause_id INTEGER REFERENCES messages(id),"
	"  at INTEGER NOT NULL"
	");"
	"CREATE INDEX queue_history_version ON queue_history(version_id);",

	/*
	 * Feedback to submitters (issue 6): the mails sent per series
	 * version, with the checks they carried and the wording of the
	 * "effect" request (so the next one to that submitter differs), and
	 * the series a maintainer silenced with "quiet".  No foreign key on
	 * series_id: series merge (series.c deletes the emptied one).
	 */
	"CREATE TABLE feedback_sent ("
	"  id INTEGER PRIMARY KEY,"
	"  version_id INTEGER NOT NULL REFERENCES versions(id),"
	"  message_id TEXT NOT NULL,"           /* of the feedback mail */
	"  submitter TEXT NOT NULL,"            /* lowercased address */
	"  checks TEXT NOT NULL,"               /* space-separated names */
	"  variant INTEGER,"                    /* effect wording, or NULL */
	"  cause_id INTEGER REFERENCES messages(id),"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX feedback_sent_version ON feedback_sent(version_id);"
	"CREATE INDEX feedback_sent_submitter ON feedback_sent(submitter, id);"
	"CREATE TABLE feedback_quiet ("
	"  series_id INTEGER PRIMARY KEY,"
	"  by TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	");",

	/*
	 * Subscriptions (issue 7).  A subscription is indexed by prefix: a
	 * plain path by itself, a glob by its literal folder part, so that a
	 * touched file is matched with one lookup per folder level.  token
	 * is its one-click unsubscribe token.  A request waits for the
	 * confirmation round trip; its items are what it asks for, and
	 * mail_id is the confirmation mail's Message-ID (a reply to it
	 * confirms).  sub_secret keys the tokens' HMAC.
	 */
	"CREATE TABLE subscriptions ("
	"  id INTEGER PRIMARY KEY,"
	"  address TEXT NOT NULL,"              /* lowercased */
	"  path TEXT NOT NULL,"
	"  func TEXT NOT NULL DEFAULT '',"
	"  glob INTEGER NOT NULL,"
	"  prefix TEXT NOT NULL,"
	"  token TEXT NOT NULL UNIQUE,"
	"  source_id INTEGER REFERENCES messages(id),"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (address, path, func)"
	");"
	"CREATE INDEX subscriptions_prefix ON subscriptions(prefix);"
	"CREATE TABLE sub_requests ("
	"  id INTEGER PRIMARY KEY,"
	"  address TEXT NOT NULL,"
	"  cause_id INTEGER NOT NULL REFERENCES messages(id),"
	"  token TEXT NOT NULL UNIQUE,"
	"  mail_id TEXT NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending', 'confirmed')),"
	"  done_at INTEGER,"
	"  UNIQUE (cause_id, address)"
	");"
	"CREATE INDEX sub_requests_address ON sub_requests(address, created);"
	"CREATE INDEX sub_requests_created ON sub_requests(created);"
	"CREATE TABLE sub_request_items ("
	"  request_id INTEGER NOT NULL REFERENCES sub_requests(id),"
	"  path TEXT NOT NULL,"
	"  func TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (request_id, path, func)"
	") WITHOUT ROWID;"
	"CREATE TABLE sub_secret ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  secret BLOB NOT NULL,"
	"  created INTEGER NOT NULL"
	");",

	/*
	 * The queue by mail, the rest of issue 4.  queue_folds: follow-up
	 * patches folded (`fold`) into a queued patch, applied after it into
	 * the same commit, in id order.  versions.trailers_noticed: the
	 * highest trailers.id a queue notice has told the author about, so
	 * that the next notice names the review trailers added since.
	 * messages.date_tz: the Date header's offset from UTC in minutes, the
	 * zone of a queued commit's author date (as `git am` keeps it).
	 */
	"CREATE TABLE queue_folds ("
	"  id INTEGER PRIMARY KEY,"
	"  patch_id INTEGER NOT NULL REFERENCES patches(id),"  /* folded into */
	"  source_id INTEGER NOT NULL REFERENCES messages(id),"  /* the follow-up */
	"  title TEXT NOT NULL,"
	"  diff TEXT NOT NULL,"
	"  fixer_name TEXT NOT NULL DEFAULT '',"
	"  fixer_email TEXT NOT NULL,"
	"  by TEXT NOT NULL,"
	"  cause_id INTEGER REFERENCES messages(id),"
	"  at INTEGER NOT NULL,"
	"  UNIQUE (patch_id, source_id)"
	");"
	"CREATE INDEX queue_folds_patch ON queue_folds(patch_id);"
	"ALTER TABLE versions ADD COLUMN trailers_noticed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN date_tz INTEGER NOT NULL DEFAULT 0;",

	/*
	 * A patch's diff is stored once (issue 8).  When it lies in the mail
	 * text, patches.diff stays empty and diff_off, diff_len say where it
	 * is in messages.body (in bytes); storing it twice made an archive's
	 * database twice the size of its text and half as fast to import.
	 * An attached patch keeps its diff in patches.diff (diff_off NULL).
	 * Read diffs through patch_diffs.
	 */
	"ALTER TABLE patches ADD COLUMN diff_off INTEGER;"
	"ALTER TABLE patches ADD COLUMN diff_len INTEGER;"
	"CREATE VIEW patch_diffs (patch_id, diff) AS"
	"  SELECT p.id, CASE WHEN p.diff_off IS NULL THEN p.diff ELSE"
	"    CAST(substr(CAST(m.body AS BLOB), p.diff_off + 1, p.diff_len) AS TEXT)"
	"  END FROM patches p JOIN messages m ON m.id = p.message_id;",

	/*
	 * outbox.in_flight (issue 9): 1 while a transfer of the row is under
	 * way (set by the claim, cleared by its outcome); 2 when a stop cut
	 * that transfer off and the row waits for its copy to come back
	 * through the bot's own mailbox (smtp.confirmCopy) before it is sent
	 * again.  A copy that comes back proves the server took the mail.
	 */
	"ALTER TABLE outbox ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;",
};
#define NR_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_error(struct store *st, const char *what)
{
	return error("database '%s': %s: %s", st->path ? st->path : "?", what,
		     st->db ? sqlite3_errmsg(st->db) : "not open");
}

int store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("database '%s': %s", st->path, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int store_schema_version(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT max(version) FROM schema_version");

	return s ? (int)store_int(st, s, 0) : -1;
}

static int migrate(struct store *st, struct buf *err)
{
	int v;

	if (store_exec(st, "CREATE TABLE IF NOT EXISTS schema_version ("
		     " version INTEGER NOT NULL, applied INTEGER NOT NULL)"))
		goto fail;
	v = store_schema_version(st);
	if (v < 0)
		goto fail;
	if (v > NR_MIGRATIONS) {
		buf_addf(err, "database '%s' has schema version %d, newer than this patchbot knows (%d)",
			 st->path, v, NR_MIGRATIONS);
		return -1;
	}
	for (; v < NR_MIGRATIONS; v++) {
		sqlite3_stmt *s;

		if (store_begin(st) || store_exec(st, migrations[v]))
			goto fail_tx;
		s = store_stmt(st, "INSERT INTO schema_version VALUES (?, ?)");
		if (!s)
			goto fail_tx;
		sqlite3_bind_int(s, 1, v + 1);
		sqlite3_bind_int64(s, 2, now_seconds());
		if (store_done(st, s) || store_commit(st))
			goto fail_tx;
		log_debug(LOG_DB, "schema migrated to version %d", v + 1);
	}
	return 0;
fail_tx:
	store_rollback(st);
fail:
	buf_addf(err, "cannot set up the schema of database '%s'", st->path);
	return -1;
}

/*
 * sqlite's own locks, off: patchbot uses a connection from one thread
 * only.  With them, every sqlite3_malloc() and free() took a global mutex
 * to count memory, and every call on a connection its mutex: about 500
 * lock and unlock pairs per ingested message.  The global setting can
 * only be made before sqlite initialises, hence once, here.
 */
static void store_global_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(struct store *st, const char *path, struct buf *err)
{
	memset(st, 0, sizeof(*st));
	st->path = xstrdup(path);
	store_global_init();
	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		buf_addf(err, "cannot open database '%s': %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/*
	 * A batch of ingested mail dirties a few MiB of pages: with the
	 * default 2 MiB cache sqlite spilled them to the WAL mid-transaction
	 * and wrote them again at commit.  Each message's savepoint copies
	 * the pages it touches into a sub-journal, a temporary file by
	 * default; in memory that is a memcpy instead of two system calls a
	 * page (it is emptied when the savepoint is released).
	 */
	/*
	 * 16 KiB pages for a new database (an existing one keeps its own):
	 * most mail then fits in its row without overflow pages, and a commit
	 * writes a quarter of the WAL frames.  Import of the git.git corpus
	 * took 10% less CPU than with 4 KiB pages.  It must be set before
	 * journal_mode writes the first page.
	 */
	if (store_exec(st, "PRAGMA page_size = 16384") ||
	    store_exec(st, "PRAGMA journal_mode = WAL") ||
	    store_exec(st, "PRAGMA synchronous = NORMAL") ||
	    store_exec(st, "PRAGMA cache_size = -16384") ||
	    store_exec(st, "PRAGMA temp_store = MEMORY") ||
	    store_exec(st, "PRAGMA foreign_keys = ON") || migrate(st, err)) {
		if (!err->len)
			buf_addf(err, "cannot set up database '%s'", path);
		store_close(st);
		return -1;
	}
	return 0;
}

void store_close(struct store *st)
{
	for (int i = 0; i < STORE_STMT_CACHE; i++)
		sqlite3_finalize(st->cache[i].stmt);
	if (st->db)
		sqlite3_close(st->db);
	free(st->path);
	memset(st, 0, sizeof(*st));
}

int store_begin(struct store *st)
{
	if (store_exec(st, "BEGIN IMMEDIATE"))
		return -1;
	st->in_tx = 1;
	return 0;
}

int store_commit(struct store *st)
{
	if (store_exec(st, "COMMIT"))
		return -1;
	st->in_tx = 0;
	return 0;
}

void store_rollback(struct store *st)
{
	if (st->in_tx)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_tx = 0;
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) % STORE_STMT_CACHE;

	for (int probe = 0; probe < STORE_STMT_CACHE; probe++) {
		size_t i = (h + (size_t)probe) % STORE_STMT_CACHE;

		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
		if (!st->cache[i].sql) {
			if (sqlite3_prepare_v3(st->db, sql, -1,
					       SQLITE_PREPARE_PERSISTENT,
					       &st->cache[i].stmt, NULL) != SQLITE_OK) {
				store_error(st, "cannot prepare a statement");
				log_debug(LOG_DB, "statement: %s", sql);
				st->cache[i].stmt = NULL;
				return NULL;
			}
			st->cache[i].sql = sql;
			return st->cache[i].stmt;
		}
	}
	error("database: statement cache is full");
	return NULL;
}

int store_done(struct store *st, sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		store_error(st, "statement failed");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

void store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

void store_bind_static(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int64_t store_int(struct store *st, sqlite3_stmt *s, int64_t def)
{
	int64_t v = def;
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_error(st, "query failed");
	sqlite3_reset(s);
	return v;
}
