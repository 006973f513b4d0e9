/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_corpus: patchwork's single-mail and fuzz corpora through the whole
 * ingest pipeline: each mail gives what the corpus README says, and bad
 * mail is stored or rejected with a reason while the run goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"

struct mail_case {
	const char *file;
	const char *kind;       /* messages.kind */
	const char *first_file; /* first file of the diff, or NULL */
	int nr_files;           /* -1: don't check */
	const char *pull_url;   /* substring of the pull URL, or NULL */
};

static const struct mail_case cases[] = {
	{ "0001-git-pull-request", "pull", NULL, 0, "git://" },
	{ "0002-git-pull-request-wrapped", "pull", NULL, 0, "://" },
	{ "0003-git-pull-request-with-diff", "patch", "arch/x86/include/asm/smp.h", -1, "://" },
	{ "0004-git-pull-request-git+ssh", "pull", NULL, 0, "git+ssh://" },
	{ "0005-git-pull-request-ssh", "pull", NULL, 0, "ssh://" },
	{ "0006-git-pull-request-http", "pull", NULL, 0, "http" },
	{ "0007-cvs-format-diff", "patch", NULL, -1, NULL },
	{ "0008-git-rename", "patch", NULL, 2, NULL },
	{ "0009-git-rename-with-diff", "patch", NULL, 2, NULL },
	{ "0010-invalid-charset", "patch", NULL, -1, NULL },
	{ "0011-no-newline-at-end-of-file", "patch", NULL, -1, NULL },
	{ "0012-invalid-header-char", "patch", NULL, -1, NULL },
	{ "0013-with-utf8-body", "patch", NULL, -1, NULL },
	{ "0014-with-unencoded-utf8-headers", "patch", NULL, -1, NULL },
	{ "0015-with-invalid-utf8-headers", "patch", NULL, -1, NULL },
	{ "0016-no-subject", "patch", NULL, -1, NULL },
	{ "0017-git-pull-request-git-2-14-3", "pull", NULL, 0, "://" },
	{ "0019-multipart-patch", "patch", NULL, -1, NULL },
	{ "0021-git-empty-new-file", "patch", NULL, 1, NULL },
	{ "0022-git-mode-change", "patch", NULL, 1, NULL },
	{ "0023-git-pull-request-newline-in-url", "pull", NULL, 0, "://" },
	{ "0024-git-pull-request-trailing-space", "pull", NULL, 0, "://" },
	{ "0025-git-add-binary-file", "patch", NULL, -1, NULL },
	{ "0026-git-add-mixed-binary-text-files", "patch", NULL, -1, NULL },
	{ "0027-git-modify-binary-file", "patch", NULL, -1, NULL },
};

static char *q(struct store *st, const char *fmt, const char *arg)
{
	char *sql = xasprintf(fmt, arg);
	char *r = test_query_str(st, sql);

	free(sql);
	return r;
}

static void test_mail_corpus(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mail_case *c = &cases[i];
		char *rel = xasprintf("patchwork/mail/%s.mbox", c->file);
		char *path = corpus_path(rel);
		struct store st;
		struct ingest in;
		char *s;

		print_message("%s\n", c->file);
		test_store_open(&st);
		ingest_init(&in, &st, NULL);
		test_ingest_path(&in, path);
		assert_int_equal(in.stats.read, 1);
		assert_int_equal(in.stats.rejected, 0);
		s = test_query_str(&st, "SELECT kind FROM messages");
		assert_string_equal(s, c->kind);
		free(s);
		if (c->pull_url) {
			s = test_query_str(&st, "SELECT pull_url FROM messages");
			assert_non_null(strstr(s, c->pull_url));
			free(s);
		}
		if (c->first_file) {
			s = test_query_str(&st, "SELECT coalesce(new_path, old_path)"
					       " FROM patch_files ORDER BY idx LIMIT 1");
			assert_string_equal(s, c->first_file);
			free(s);
		}
		if (c->nr_files >= 0)
			assert_int_equal(test_query_int(&st, "SELECT count(*) FROM patch_files"),
					 c->nr_files);
		if (!strcmp(c->kind, "patch"))
			assert_true(test_query_int(&st, "SELECT length(diff) FROM patch_diffs") > 0);
		ingest_release(&in);
		store_close(&st);
		free(path);
		free(rel);
	}
}

/* What the README says beyond the kind, file by file. */
static void test_mail_details(void **state)
{
	struct store st;
	struct ingest in;
	char *path = corpus_path("patchwork/mail");
	char *s;

	(void)state;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	test_ingest_path(&in, path);
	assert_int_equal(in.stats.rejected, 0);

	/* 0008: two renames; 0009: two renames and one changed line */
	s = q(&st, "SELECT group_concat(status || ' ' || old_path || ' ' || new_path, '|')"
		   " FROM patch_files f JOIN patches p ON p.id = f.patch_id JOIN messages m"
		   " ON m.id = p.message_id WHERE m.source LIKE '%%%s%%'", "0008-");
	assert_int_equal(strncmp(s, "R ", 2), 0);
	assert_non_null(strstr(s, "|R "));
	free(s);
	s = q(&st, "SELECT count(*) FROM hunks h JOIN patches p ON p.id = h.patch_id"
		   " JOIN messages m ON m.id = p.message_id WHERE m.source LIKE '%%%s%%'",
	      "0009-");
	assert_string_equal(s, "1");
	free(s);
	/* 0019, 0020: no HTML in the diff or in the text */
	s = q(&st, "SELECT count(*) FROM messages m LEFT JOIN patches p ON p.message_id = m.id"
		   " LEFT JOIN patch_diffs d ON d.patch_id = p.id"
		   " WHERE (m.body LIKE '%%<div%%' OR d.diff LIKE '%%<div%%')"
		   " AND m.source LIKE '%%%s%%'", "-multipart-");
	assert_string_equal(s, "0");
	free(s);
	s = q(&st, "SELECT kind FROM messages WHERE source LIKE '%%%s%%'", "0020-");
	assert_string_not_equal(s, "patch");
	free(s);
	/* 0016: no subject, still a patch */
	s = q(&st, "SELECT subject FROM messages WHERE source LIKE '%%%s%%'", "0016-");
	assert_string_equal(s, "");
	free(s);
	/* 0011: the marker stays in the stored diff */
	s = q(&st, "SELECT count(*) FROM patches p JOIN messages m ON m.id = p.message_id"
		   " JOIN patch_diffs d ON d.patch_id = p.id"
		   " WHERE d.diff LIKE '%%No newline at end of file%%' AND m.source LIKE '%%%s%%'",
	      "0011-");
	assert_string_equal(s, "1");
	free(s);
	/* 0025-0027: binary sections */
	s = q(&st, "SELECT count(*) FROM patch_files f JOIN patches p ON p.id = f.patch_id"
		   " JOIN messages m ON m.id = p.message_id WHERE f.binary AND m.source"
		   " LIKE '%%%s%%'", "binary");
	assert_true(atoi(s) >= 3);
	free(s);
	/* 0013: the UTF-8 body survives */
	s = q(&st, "SELECT count(*) FROM messages WHERE source LIKE '%%%s%%'"
		   " AND body GLOB '*[^ -~\n\t]*'", "0013-");
	assert_string_equal(s, "1");
	free(s);
	ingest_release(&in);
	store_close(&st);
	free(path);
}

/* Malformed mail: stored or rejected with a reason; the run goes on. */
static void test_fuzz_corpus(void **state)
{
	struct store st;
	struct ingest in;
	char *path = corpus_path("patchwork/fuzz");

	(void)state;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	test_ingest_path(&in, path);
	assert_true(in.stats.read >= 17);
	assert_int_equal(in.stats.read, in.stats.added + in.stats.rejected + in.stats.duplicate);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM messages WHERE"
					     " kind = 'rejected' AND coalesce(reject_reason, '') = ''"), 0);
	/* every stored id, subject and name is valid text for a reply header */
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM messages WHERE"
					     " message_id GLOB '*[\r\n]*'"), 0);
	ingest_release(&in);
	store_close(&st);
	free(path);
}

/* Inputs the fuzzers once crashed on: handled, and the run goes on. */
static void test_fuzz_regressions(void **state)
{
	const char *dir = getenv("PATCHBOT_SRCDIR");
	char *path = xasprintf("%s/tests/data/fuzz-regressions", dir && *dir ? dir : "..");
	struct store st;
	struct ingest in;

	(void)state;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	test_ingest_path(&in, path);
	assert_true(in.stats.read >= 3);
	assert_int_equal(in.stats.read, in.stats.added + in.stats.rejected);
	ingest_release(&in);
	store_close(&st);
	free(path);
}

/* Over the size limit: rejected with the reason, kept, the next one stored. */
static void test_limits(void **state)
{
	struct store st;
	struct ingest in;
	enum msg_kind k;
	struct buf big = BUF_INIT(BUF_NOLIMIT);
	char *s;

	(void)state;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	in.limits.max_size = 4096;
	buf_adds(&big, "Message-ID: <big@x>\nSubject: big\n\n");
	for (int i = 0; i < 200; i++)
		buf_adds(&big, "0123456789012345678901234567890123456789\n");
	assert_int_equal(test_ingest_string(&in, big.s, &k), 0);
	assert_int_equal(k, KIND_REJECTED);
	s = test_query_str(&st, "SELECT reject_reason FROM messages");
	assert_non_null(strstr(s, "over the limit"));
	free(s);
	/* MIME nested far too deep never reaches the MIME parser */
	buf_reset(&big);
	buf_adds(&big, "Message-ID: <deep@x>\nSubject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < 60; i++)
		buf_addf(&big, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	buf_adds(&big, "Content-Type: text/plain\n\nhi\n");
	assert_int_equal(test_ingest_string(&in, big.s, &k), 0);
	assert_int_equal(k, KIND_REJECTED);
	assert_int_equal(test_ingest_string(&in,
		"Message-ID: <ok@x>\nSubject: fine\n\nhello\n", &k), 0);
	assert_int_equal(k, KIND_OTHER);
	assert_int_equal(in.stats.rejected, 2);
	/* the rejected mail within the size limit is kept whole */
	assert_true(test_query_int(&st, "SELECT length(raw) FROM messages WHERE"
					" reject_reason LIKE '%nest%' OR reject_reason LIKE '%deep%'") > 0);
	buf_release(&big);
	ingest_release(&in);
	store_close(&st);
}

/* A mail without Message-ID gets a stable id: twice is a duplicate. */
static void test_synthetic_id(void **state)
{
	struct store st;
	struct ingest in;
	enum msg_kind k;
	const char *m = "From: A <a@x>\nSubject: no id\n\nbody\n";

	(void)state;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	assert_int_equal(test_ingest_string(&in, m, &k), 0);
	assert_int_equal(k, KIND_OTHER);
	assert_int_equal(test_ingest_string(&in, m, &k), 0);
	assert_int_equal(k, KIND_DUPLICATE);
	assert_int_equal(test_query_int(&st, "SELECT synthetic_id FROM messages"), 1);
	ingest_release(&in);
	store_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_corpus),
		cmocka_unit_test(test_mail_details),
		cmocka_unit_test(test_fuzz_corpus),
		cmocka_unit_test(test_fuzz_regressions),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_synthetic_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
