/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_series: patchwork's series corpus through the whole ingest pipeline.
 * Each thread must give the cover letters, patches and comments and the
 * patch groups that the corpus README lists; where patchwork sees two
 * groups that are versions of one series, patchbot must link them.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"

struct series_case {
	const char *file;
	int covers, patches, replies;
	const char *groups;     /* patches per version, in order of arrival */
	const char *versions;   /* when one series: its version numbers */
};

static const struct series_case cases[] = {
	{ "base-single-patch", 0, 1, 0, "1", "1" },
	{ "base-cover-letter", 1, 2, 0, "2", "1" },
	{ "base-no-cover-letter", 0, 2, 0, "2", "1" },
	{ "base-deep-threaded", 1, 2, 0, "2", "1" },
	{ "base-out-of-order", 1, 2, 0, "2", "1" },
	{ "base-different-versions", 1, 4, 0, "4", "3" },
	{ "bugs-multiple-references", 1, 4, 0, "4", "2" },
	{ "base-no-references", 0, 2, 0, "2", "2" },
	{ "base-no-references-no-cover", 1, 2, 0, "2", "1" },
	{ "bugs-multiple-content-types", 0, 1, 1, "1", "1" },
	{ "revision-basic", 2, 4, 0, "2,2", "1,2" },
	{ "revision-threaded-to-cover", 2, 4, 0, "2,2", "1,2" },
	{ "revision-threaded-to-patch", 2, 4, 0, "2,2", "1,2" },
	{ "revision-out-of-order", 2, 4, 0, "2,2", "1,2" },
	{ "revision-unlabeled", 2, 4, 0, "2,2", "1,2" },
	{ "revision-threaded-to-single-patch", 0, 2, 0, "1,1", "1,2" },
	{ "revision-no-cover-letter", 1, 4, 0, "2,2", "1,2" },
	{ "revision-unlabeled-noreferences", 0, 4, 0, "2,2", "2,3" },
	{ "bugs-nocover-noversion", 0, 4, 0, "2,2", "1,2" },
	{ "bugs-nocover", 0, 4, 0, "2,2", "1,2" },
	{ "bugs-unnumbered", 1, 2, 0, "1,1", NULL },
	{ "bugs-spamming", 0, 3, 0, "1,1,1", "2,3,4" },
	{ "bugs-mixed-versions", 0, 2, 0, "1,1", NULL },
	{ "base-incomplete", 1, 1, 0, "1", "1" },
	{ "base-extra-patches", 1, 3, 0, "3", "1" },
	{ "mercurial-cover-letter", 1, 2, 0, "2", "1" },
	{ "mercurial-no-cover-letter", 0, 2, 0, "2", "1" },
	{ "dependency-base-patch", 1, 2, 0, "2", "1" },
};

static void run_case(const struct series_case *c)
{
	struct store st;
	struct ingest in;
	char *rel = xasprintf("patchwork/series/%s.mbox", c->file);
	char *path = corpus_path(rel);
	char *groups, *versions;

	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	test_ingest_path(&in, path);

	print_message("%s\n", c->file);
	assert_int_equal(in.stats.covers, c->covers);
	assert_int_equal(in.stats.patches, c->patches);
	assert_int_equal(in.stats.replies, c->replies);
	assert_int_equal(in.stats.rejected, 0);
	groups = test_query_str(&st,
		"SELECT group_concat(c) FROM (SELECT count(p.id) AS c FROM versions v"
		" LEFT JOIN patches p ON p.version_id = v.id GROUP BY v.id ORDER BY v.id)");
	assert_string_equal(groups, c->groups);
	if (c->versions) {
		assert_int_equal(test_query_int(&st, "SELECT count(*) FROM series"), 1);
		versions = test_query_str(&st,
			"SELECT group_concat(version) FROM"
			" (SELECT version FROM versions ORDER BY version)");
		assert_string_equal(versions, c->versions);
		free(versions);
	}
	free(groups);
	ingest_release(&in);
	store_close(&st);
	free(path);
	free(rel);
}

static void test_corpus_series(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Ingesting the same thread twice changes nothing. */
static void test_idempotent(void **state)
{
	struct store st;
	struct ingest in;
	char *path = corpus_path("patchwork/series/revision-basic.mbox");

	(void)state;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	test_ingest_path(&in, path);
	test_ingest_path(&in, path);
	assert_int_equal(in.stats.read, 12);
	assert_int_equal(in.stats.added, 6);
	assert_int_equal(in.stats.duplicate, 6);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM versions"), 2);
	ingest_release(&in);
	store_close(&st);
	free(path);
}

/* Every order of arrival of a two-version thread gives the same result. */
static void test_any_order(void **state)
{
	static const char *const msgs[] = {
		"Message-ID: <c1@x>\nFrom: A <a@x>\nDate: Thu, 1 Jan 2015 00:00:00 +0000\n"
		"Subject: [PATCH 0/2] frob the widget\n\ncover\n",
		"Message-ID: <p1@x>\nFrom: A <a@x>\nIn-Reply-To: <c1@x>\nReferences: <c1@x>\n"
		"Date: Thu, 1 Jan 2015 00:00:01 +0000\nSubject: [PATCH 1/2] widget: one\n\n"
		"one\n---\ndiff --git a/w.c b/w.c\n--- a/w.c\n+++ b/w.c\n@@ -1 +1 @@\n-a\n+b\n",
		"Message-ID: <p2@x>\nFrom: A <a@x>\nIn-Reply-To: <c1@x>\nReferences: <c1@x>\n"
		"Date: Thu, 1 Jan 2015 00:00:02 +0000\nSubject: [PATCH 2/2] widget: two\n\n"
		"two\n---\ndiff --git a/w.c b/w.c\n--- a/w.c\n+++ b/w.c\n@@ -1 +1 @@\n-b\n+c\n",
		"Message-ID: <c2@x>\nFrom: A <a@x>\nIn-Reply-To: <c1@x>\nReferences: <c1@x>\n"
		"Date: Fri, 2 Jan 2015 00:00:00 +0000\nSubject: [PATCH v2 0/2] frob the widget\n\ncover\n",
		"Message-ID: <q1@x>\nFrom: A <a@x>\nIn-Reply-To: <c2@x>\nReferences: <c1@x> <c2@x>\n"
		"Date: Fri, 2 Jan 2015 00:00:01 +0000\nSubject: [PATCH v2 1/2] widget: one\n\n"
		"one\n---\ndiff --git a/w.c b/w.c\n--- a/w.c\n+++ b/w.c\n@@ -1 +1 @@\n-a\n+b\n",
		"Message-ID: <q2@x>\nFrom: A <a@x>\nIn-Reply-To: <c2@x>\nReferences: <c1@x> <c2@x>\n"
		"Date: Fri, 2 Jan 2015 00:00:02 +0000\nSubject: [PATCH v2 2/2] widget: two\n\n"
		"two\n---\ndiff --git a/w.c b/w.c\n--- a/w.c\n+++ b/w.c\n@@ -1 +1 @@\n-b\n+c\n",
	};
	/* a handful of permutations, including fully reversed */
	static const int orders[][6] = {
		{ 0, 1, 2, 3, 4, 5 }, { 5, 4, 3, 2, 1, 0 }, { 4, 1, 5, 2, 3, 0 },
		{ 3, 0, 5, 1, 4, 2 }, { 2, 5, 0, 4, 1, 3 },
	};

	(void)state;
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		struct store st;
		struct ingest in;
		char *s;

		test_store_open(&st);
		ingest_init(&in, &st, NULL);
		for (int i = 0; i < 6; i++)
			assert_int_equal(test_ingest_string(&in, msgs[orders[o][i]], NULL), 0);
		print_message("order %zu\n", o);
		assert_int_equal(test_query_int(&st, "SELECT count(*) FROM series"), 1);
		s = test_query_str(&st, "SELECT group_concat(x, ' ') FROM (SELECT"
			" v.version || ':' || v.complete || ':' || (SELECT message_id FROM"
			" messages WHERE id = v.cover_id) AS x FROM versions v ORDER BY v.version)");
		assert_string_equal(s, "1:1:c1@x 2:1:c2@x");
		free(s);
		ingest_release(&in);
		store_close(&st);
	}
}

/* A b4 change-id links versions even without threading or equal titles. */
static void test_change_id(void **state)
{
	struct store st;
	struct ingest in;

	(void)state;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	assert_int_equal(test_ingest_string(&in,
		"Message-ID: <a@x>\nFrom: A <a@x>\nDate: Thu, 1 Jan 2015 00:00:00 +0000\n"
		"Subject: [PATCH 0/1] first name\n\ncover\n\n---\nchange-id: 20150101-topic-abc\n",
		NULL), 0);
	assert_int_equal(test_ingest_string(&in,
		"Message-ID: <b@x>\nFrom: A <a@x>\nDate: Thu, 8 Jan 2015 00:00:00 +0000\n"
		"Subject: [PATCH v2 0/1] a better name\n\ncover\n\n---\nchange-id: 20150101-topic-abc\n",
		NULL), 0);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM series"), 1);
	assert_int_equal(test_query_int(&st, "SELECT max(version) FROM versions"), 2);
	ingest_release(&in);
	store_close(&st);
}

/* Review trailers from replies land on the patch, or on all for the cover. */
static void test_review_trailers(void **state)
{
	struct store st;
	struct ingest in;
	char *path = corpus_path("patchwork/series/base-cover-letter.mbox");
	enum msg_kind k;
	char *s;

	(void)state;
	test_store_open(&st);
	ingest_init(&in, &st, NULL);
	test_ingest_path(&in, path);
	free(path);
	assert_int_equal(test_ingest_string(&in,
		"Message-ID: <r1@x>\nFrom: R <r@x>\n"
		"In-Reply-To: <1473632524-8585-2-git-send-email-stephenfinucane@gmail.com>\n"
		"Subject: Re: [PATCH 1/2] test: Add some lorem ipsum\n\n"
		"> +lorem\n\nReviewed-by: Rita Reviewer <r@x>\n", &k), 0);
	assert_int_equal(k, KIND_REPLY);
	assert_int_equal(test_ingest_string(&in,
		"Message-ID: <r2@x>\nFrom: T <t@x>\n"
		"In-Reply-To: <1473632524-8585-1-git-send-email-stephenfinucane@gmail.com>\n"
		"Subject: Re: [PATCH 0/2] A sample series\n\n"
		"For the series:\nTested-by: Tom Tester <t@x>\n", &k), 0);
	s = test_query_str(&st, "SELECT group_concat(x, '|') FROM (SELECT p.n || ' ' ||"
		" t.key || ' ' || t.value AS x FROM trailers t JOIN patches p ON"
		" p.id = t.patch_id WHERE t.key != 'Signed-off-by' ORDER BY p.n, t.key)");
	assert_string_equal(s, "1 Reviewed-by Rita Reviewer <r@x>|1 Tested-by Tom Tester <t@x>|"
			       "2 Tested-by Tom Tester <t@x>");
	free(s);
	ingest_release(&in);
	store_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_series),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_any_order),
		cmocka_unit_test(test_change_id),
		cmocka_unit_test(test_review_trailers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
