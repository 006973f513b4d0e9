/* SPDX-License-Identifier: GPL-2.0-or-later */
/* testutil: shared helpers for the cmocka tests (see testutil.h). */
#include "testutil.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

char *corpus_path(const char *rel)
{
	const char *dir = getenv("PATCHBOT_CORPORA");
	struct stat st;
	char *p;

	if (!dir || !*dir)
		dir = "../../shared/corpora";
	p = xasprintf("%s/%s", dir, rel);
	if (stat(p, &st) < 0) {
		print_error("corpus file '%s' is missing (set PATCHBOT_CORPORA)\n", p);
		free(p);
		fail();
	}
	return p;
}

char *test_srcpath(const char *rel)
{
	const char *dir = getenv("PATCHBOT_SRCDIR");

	return xasprintf("%s/%s", dir && *dir ? dir : "..", rel);
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

void test_store_open(struct store *st)
{
	struct buf err = BUF_INIT(1024);

	git_libgit2_init();
	if (store_open(st, ":memory:", &err)) {
		print_error("%s\n", err.s);
		fail();
	}
	buf_release(&err);
}

void test_ingest_path(struct ingest *in, const char *path)
{
	struct buf err = BUF_INIT(1024);
	struct mail_source *src = source_open(path, in->limits.max_size + 1, &err);

	if (!src) {
		print_error("%s\n", err.s);
		fail();
	}
	assert_int_equal(ingest_source(in, src, 0, &err), 0);
	src->free(src);
	buf_release(&err);
}

int test_ingest_string(struct ingest *in, const char *raw, enum msg_kind *kind)
{
	struct mail_item item = {
		.raw = raw, .len = strlen(raw), .full_size = strlen(raw), .where = "test",
	};
	int r = ingest_message(in, &item, kind);

	if (!r)
		r = ingest_flush(in);
	return r;
}

int64_t test_query_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

char *test_query_str(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	char *v;

	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	else
		v = xstrdup("");
	sqlite3_finalize(s);
	return v;
}
