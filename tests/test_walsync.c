/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_walsync: checkpoints in their own thread during a bulk import.  The
 * WAL stays within its bound, every message is in the database afterwards
 * (seen from another connection), and the database is sound.
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
