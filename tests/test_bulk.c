/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_bulk: the threads of a bulk import.
 * - walsync: checkpoints in their own thread.  The WAL stays within its
 *   bound, every message is in the database afterwards (seen from another
 *   connection), and the database is sound.
 * - parse ahead: a reader thread parses while the caller stores.  The
 *   database ends the same as with one thread, a source's error and a
 *   database's failure stop both threads, and nothing is stored twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "util.h"
#include "walsync.h"

#define MESSAGES 3000
#define BATCH 25
#define MAX_FRAMES 16

/* A patch mail of about 3 KB, one of a two-patch series per pair of i. */
static char *patch_mail(int i)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	buf_addf(&b,
		 "From: Sam Submitter <sam%d@example.org>\n"
		 "To: list@example.org\n"
		 "Subject: [PATCH %d/2] mm: change number %d\n"
		 "Date: Tue, 2 Jan 2024 10:%02d:%02d +0000\n"
		 "Message-ID: <walsync-%d@example.org>\n"
		 "\n"
		 "This changes the thing for the %dth time.\n\n"
		 "Signed-off-by: Sam Submitter <sam%d@example.org>\n"
		 "---\n"
		 "diff --git a/mm/f%d.c b/mm/f%d.c\n"
		 "--- a/mm/f%d.c\n"
		 "+++ b/mm/f%d.c\n"
		 "@@ -1,40 +1,40 @@ int fn(void)\n",
		 i / 2, i % 2 + 1, i, (i / 60) % 60, i % 60, i, i, i / 2,
		 i, i, i, i);
	for (int j = 0; j < 40; j++)
		buf_addf(&b, "-\tint line_%d_%d = %d; /* some text to fill */\n"
			     "+\tint line_%d_%d = %d; /* some text to fill */\n",
			 i, j, j, i, j, j + 1);
	return buf_detach(&b, NULL);
}

static off_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : sb.st_size;
}

static void test_bounded_wal(void **state)
{
	char *dir = test_tmpdir("pbwalsync");
	char *db = xasprintf("%s/patchbot.db", dir), *wal = xasprintf("%s-wal", db);
	struct walsync_stats ws = { 0 };
	struct buf err = BUF_INIT(1024);
	struct store st, check;
	struct walsync *w;
	struct ingest in;
	off_t wal_max = 0;
	char *ok;

	(void)state;
	assert_int_equal(store_open(&st, db, &err), 0);
	ingest_init(&in, &st, NULL);
	in.batch = BATCH;
	w = walsync_start(&st, MAX_FRAMES, &err);
	assert_non_null(w);
	in.walsync = w;
	for (int i = 0; i < MESSAGES; i++) {
		char *raw = patch_mail(i);
		struct mail_item item = {
			.raw = raw, .len = strlen(raw), .full_size = strlen(raw),
			.where = "test",
		};

		assert_int_equal(ingest_message(&in, &item, NULL), 0);
		free(raw);
		if (file_size(wal) > wal_max)
			wal_max = file_size(wal);
	}
	assert_int_equal(ingest_flush(&in), 0);
	walsync_stop(w, &ws);
	assert_int_equal(in.stats.added, MESSAGES);
	ingest_release(&in);

	/*
	 * The checkpoints ran beside the writer; a batch writes about 30
	 * pages, over the bound, so the writer waited before each.
	 */
	assert_true(ws.checkpoints > 0);
	assert_true(ws.full > 0);
	assert_true(ws.waits > 0);
	/*
	 * The import wrote hundreds of pages; the WAL held at most the bound
	 * and the batches committed while the last checkpoint ran.
	 */
	assert_true(wal_max > 0);
	assert_true(wal_max < (off_t)(16 * MAX_FRAMES) * (16384 + 24));

	/* what another connection sees before the writer closes */
	assert_int_equal(store_open(&check, db, &err), 0);
	assert_int_equal(test_query_int(&check, "SELECT count(*) FROM messages"), MESSAGES);
	assert_int_equal(test_query_int(&check, "SELECT count(*) FROM patches"), MESSAGES);
	assert_int_equal(test_query_int(&check, "SELECT count(*) FROM hunks"), MESSAGES);
	ok = test_query_str(&check, "PRAGMA integrity_check");
	assert_string_equal(ok, "ok");
	free(ok);
	store_close(&check);
	store_close(&st);
	buf_release(&err);
	free(wal);
	free(db);
	test_rmtree(dir);
}

/* What ingest made of the mail, in a form two stores can be compared by. */
static char *digest(struct store *st)
{
	return test_query_str(st,
		"SELECT group_concat(x, '|') FROM (SELECT m.message_id || ' ' || m.kind"
		" || ' ' || ifnull(m.version_id, '-') || ' ' || ifnull(m.reject_reason, '')"
		" || ' ' || ifnull(length(m.raw), '-') || ' ' || ifnull(length(m.body), '-')"
		" || ' ' || (SELECT count(*) FROM hunks h JOIN patches p ON p.id = h.patch_id"
		"            WHERE p.message_id = m.id)"
		" || ' ' || (SELECT count(*) FROM trailers t JOIN patches p ON p.id = t.patch_id"
		"            WHERE p.message_id = m.id) AS x"
		" FROM messages m ORDER BY m.id)");
}

/* Ingest path twice (the second time all duplicate) in one thread, then
 * in two: the same database. */
static void compare_modes(const char *path)
{
	char *d[2];
	size_t added[2], rejected[2];

	for (int ahead = 0; ahead < 2; ahead++) {
		struct store st;
		struct ingest in;

		test_store_open(&st);
		ingest_init(&in, &st, NULL);
		in.batch = 7;
		in.parse_ahead = ahead;
		test_ingest_path(&in, path);
		added[ahead] = in.stats.added;
		test_ingest_path(&in, path);
		assert_int_equal(in.stats.added, added[ahead]);
		rejected[ahead] = in.stats.rejected;
		d[ahead] = digest(&st);
		ingest_release(&in);
		store_close(&st);
	}
	assert_true(added[0] > 0);
	assert_int_equal(added[1], added[0]);
	assert_int_equal(rejected[1], rejected[0]);
	assert_string_equal(d[1], d[0]);
	free(d[0]);
	free(d[1]);
}

static void test_parse_ahead_same_result(void **state)
{
	static const char *const folders[] = {
		"patchwork/mail", "patchwork/series", "patchwork/fuzz",
	};
	char *dir, *mail;

	(void)state;
	for (size_t i = 0; i < sizeof(folders) / sizeof(*folders); i++) {
		char *path = corpus_path(folders[i]);

		compare_modes(path);
		free(path);
	}
	/*
	 * A public-inbox epoch of the single mails: the reader thread walks
	 * it with libgit2.
	 */
	dir = test_tmpdir("pbbulk");
	mail = corpus_path("patchwork/mail");
	{
		char *cmd = xasprintf("git init -q w && cd w && for f in '%s'/*; do"
				      " sed '1{/^From /d}' \"$f\" >m && git add m &&"
				      " git commit -q -m m || exit 1;"
				      " done && git clone -q --bare . ../inbox.git", mail);
		char *inbox = xasprintf("%s/inbox.git", dir);

		test_git_ident();
		test_sh(dir, cmd);
		compare_modes(inbox);
		free(inbox);
		free(cmd);
	}
	free(mail);
	test_rmtree(dir);
}

/* A source of generated patch mail that fails, or never ends. */
struct gen_source {
	struct mail_source src;
	int n, fail_at;  /* fail_at < 0: never ends */
	char *raw;
};

static int gen_next(struct mail_source *src, struct mail_item *item, struct buf *err)
{
	struct gen_source *g = (struct gen_source *)src;

	if (g->n == g->fail_at) {
		buf_addf(err, "generated source: read error after %d messages", g->n);
		return -1;
	}
	free(g->raw);
	g->raw = patch_mail(g->n++);
	*item = (struct mail_item){ .raw = g->raw, .len = strlen(g->raw),
				    .full_size = strlen(g->raw), .where = "gen" };
	return 1;
}

static void gen_free(struct mail_source *src)
{
	free(((struct gen_source *)src)->raw);
}

static int fail_second_commit(struct store *st, void *payload)
{
	int *commits = payload;

	(void)st;
	return ++*commits == 2 ? -1 : 0;
}

static void test_parse_ahead_errors(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct gen_source g = { .src = { .next = gen_next, .free = gen_free } };
	struct store st;
	struct ingest in;
	int commits = 0;

	(void)state;
	/* the source fails: what came before it is stored, and the error told */
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	in.batch = 10;
	in.parse_ahead = true;
	g.fail_at = 1234;
	assert_int_equal(ingest_source(&in, &g.src, 0, &err), -1);
	assert_non_null(strstr(err.s, "read error after 1234 messages"));
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM messages"), 1234);
	ingest_release(&in);
	store_close(&st);
	gen_free(&g.src);

	/*
	 * The database fails at the second commit of a source that never
	 * ends: both threads stop, and the first batch alone is kept.
	 */
	memset(&g, 0, sizeof(g));
	g.src = (struct mail_source){ .next = gen_next, .free = gen_free };
	g.fail_at = -1;
	buf_reset(&err);
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	in.batch = 10;
	in.parse_ahead = true;
	in.before_commit = fail_second_commit;
	in.commit_payload = &commits;
	assert_int_equal(ingest_source(&in, &g.src, 0, &err), -1);
	assert_int_equal(commits, 2);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM messages"), 10);
	ingest_release(&in);
	store_close(&st);
	gen_free(&g.src);
	buf_release(&err);
}

/* One message given as bytes (NULs and all), then the end. */
struct bytes_source {
	struct mail_source src;
	const char *raw;
	size_t len;
	int given;
};

static int bytes_next(struct mail_source *src, struct mail_item *item, struct buf *err)
{
	struct bytes_source *b = (struct bytes_source *)src;

	(void)err;
	if (b->given++)
		return 0;
	*item = (struct mail_item){ .raw = b->raw, .len = b->len, .full_size = b->len,
				    .where = "bytes" };
	return 1;
}

static void bytes_free(struct mail_source *src)
{
	(void)src;
}

/*
 * A rejected mail keeps its bytes: the reader thread copies them for the
 * storing thread, NULs included.
 */
static void test_parse_ahead_keeps_rejected_bytes(void **state)
{
	struct buf mail = BUF_INIT(BUF_NOLIMIT), err = BUF_INIT(4096);
	struct bytes_source b = { .src = { .next = bytes_next, .free = bytes_free } };
	struct store st;
	struct ingest in;
	sqlite3_stmt *q;

	(void)state;
	/* a header field over the 64 KiB limit, and NULs in the body */
	buf_adds(&mail, "Message-ID: <nul@x>\nSubject: ");
	for (int i = 0; i < 70000; i++)
		buf_addch(&mail, 'a');
	buf_adds(&mail, "\n\nbody");
	buf_add(&mail, "\0with\0NULs\n", 11);
	b.raw = mail.s;
	b.len = mail.len;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	in.parse_ahead = true;
	assert_int_equal(ingest_source(&in, &b.src, 0, &err), 0);
	assert_int_equal(in.stats.rejected, 1);
	assert_int_equal(sqlite3_prepare_v2(st.db, "SELECT raw FROM messages"
					    " WHERE kind = 'rejected'", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(q, 0), (int)mail.len);
	assert_memory_equal(sqlite3_column_blob(q, 0), mail.s, mail.len);
	sqlite3_finalize(q);
	ingest_release(&in);
	store_close(&st);
	buf_release(&mail);
	buf_release(&err);
}

/* An in-memory database has no file for a second connection. */
static void test_memory_database(void **state)
{
	struct buf err = BUF_INIT(1024);
	struct store st;

	(void)state;
	test_store_open(&st);
	assert_null(walsync_start(&st, MAX_FRAMES, &err));
	assert_non_null(strstr(err.s, "no file"));
	/* and stopping nothing is allowed */
	walsync_stop(NULL, NULL);
	store_close(&st);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounded_wal),
		cmocka_unit_test(test_memory_database),
		cmocka_unit_test(test_parse_ahead_same_result),
		cmocka_unit_test(test_parse_ahead_errors),
		cmocka_unit_test(test_parse_ahead_keeps_rejected_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
