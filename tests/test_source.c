/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_source: mbox splitting (mboxo, mboxrd), Maildir, folders, files,
 * public-inbox v2 git epochs.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"
#include "testutil.h"
#include "util.h"

static char *tmpdir;

static int setup(void **state)
{
	char tmpl[] = "/tmp/pbsrc.XXXXXX";

	(void)state;
	tmpdir = xstrdup(mkdtemp(tmpl));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(tmpdir);
	return 0;
}

static char *write_file(const char *name, const char *content)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

/* All messages of path, as one string with "\n=====\n" between them. */
static char *read_all(const char *path, size_t cap, size_t *count)
{
	struct buf err = BUF_INIT(1024), out = BUF_INIT(BUF_NOLIMIT);
	struct mail_source *src = source_open(path, cap, &err);
	struct mail_item item;
	int r;

	assert_non_null(src);
	*count = 0;
	while ((r = src->next(src, &item, &err)) > 0) {
		if ((*count)++)
			buf_adds(&out, "=====\n");
		buf_add(&out, item.raw, item.len);
	}
	assert_int_equal(r, 0);
	src->free(src);
	buf_release(&err);
	return buf_detach(&out, NULL);
}

static void test_separator(void **state)
{
	(void)state;
	assert_true(mbox_is_separator("From 1a2b3c Mon Sep 17 00:00:00 2001", 36));
	assert_true(mbox_is_separator("From user@example.org Thu Jan  1 00:00:00 2015",
				      strlen("From user@example.org Thu Jan  1 00:00:00 2015")));
	assert_true(mbox_is_separator("From MAILER-DAEMON Fri Jul  8 12:08:34 2011",
				      strlen("From MAILER-DAEMON Fri Jul  8 12:08:34 2011")));
	assert_false(mbox_is_separator("From hereon, the frobnicator is off.",
				       strlen("From hereon, the frobnicator is off.")));
	assert_false(mbox_is_separator("From: someone", 13));
	assert_false(mbox_is_separator("From ", 5));
}

/* git format-patch output is unescaped mboxo: a body line "From hereon"
 * after a blank line must not split the message. */
static void test_format_patch_mbox(void **state)
{
	char *path = write_file("fp.mbox",
		"From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n"
		"From: A <a@x>\nSubject: [PATCH 1/2] one\n\n"
		"First paragraph.\n\nFrom hereon, the widget is frobbed at 10:00 in 2024.\n"
		"---\n f | 1 +\n\n"
		"From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001\n"
		"From: A <a@x>\nSubject: [PATCH 2/2] two\n\nbody two\n");
	size_t n;
	char *all = read_all(path, 1 << 20, &n);

	(void)state;
	assert_int_equal(n, 2);
	assert_non_null(strstr(all, "From hereon, the widget"));
	assert_non_null(strstr(all, " f | 1 +\n=====\nFrom: A"));
	free(all);
	free(path);
}

static void test_mboxrd_unescape(void **state)
{
	char *path = write_file("rd.mbox",
		"From a@x Thu Jan  1 00:00:00 2015\nSubject: one\n\n>From the start\n"
		">>From deeper\n> quoted From stays\n\n"
		"From a@x Thu Jan  1 00:00:01 2015\r\nSubject: two\r\n\r\nbody\r\n");
	size_t n;
	char *all = read_all(path, 1 << 20, &n);

	(void)state;
	assert_int_equal(n, 2);
	assert_string_equal(all,
		"Subject: one\n\nFrom the start\n>From deeper\n> quoted From stays\n"
		"=====\nSubject: two\r\n\r\nbody\r\n");
	free(all);
	free(path);
}

/*
 * The reader takes the file in chunks of 256 KiB: messages, escaped lines
 * and separators that straddle a chunk boundary, and a line longer than a
 * chunk, come out as they went in.
 */
static void test_mbox_chunk_boundaries(void **state)
{
	struct buf file = BUF_INIT(BUF_NOLIMIT), want = BUF_INIT(BUF_NOLIMIT);
	char *path, *all;
	size_t n;

	(void)state;
	for (int i = 0; i < 400; i++) {
		buf_addf(&file, "From a@x Thu Jan  1 00:00:%02d 2015\n", i % 60);
		if (i)
			buf_adds(&want, "=====\n");
		buf_addf(&file, "Subject: m%d\n\n", i);
		buf_addf(&want, "Subject: m%d\n\n", i);
		for (int j = 0; j < i % 37; j++) {
			buf_addf(&file, ">From line %d of %d, and some text to fill it\n", j, i);
			buf_addf(&want, "From line %d of %d, and some text to fill it\n", j, i);
		}
		if (i == 200 || i == 201) {
			/* longer than a chunk, and a line that looks like a separator */
			for (int k = 0; k < 300000; k++)
				buf_addch(&file, 'x'), buf_addch(&want, 'x');
			buf_adds(&file, "\nFrom a@x Thu Jan  1 00:00:00 2015 inside\n");
			buf_adds(&want, "\nFrom a@x Thu Jan  1 00:00:00 2015 inside\n");
		}
		buf_addf(&file, "end of %d\n\n", i);
		buf_addf(&want, "end of %d\n", i);
	}
	path = write_file("chunks.mbox", file.s);
	all = read_all(path, 1 << 20, &n);
	assert_int_equal(n, 400);
	assert_int_equal(strlen(all), want.len);
	assert_string_equal(all, want.s);
	free(all);
	free(path);
	buf_release(&file);
	buf_release(&want);
}

static void test_single_file_and_cap(void **state)
{
	char *path = write_file("one.eml", "Subject: x\n\nFrom the body, no split\n\n"
					   "From a@x Thu Jan  1 00:00:00 2015\nstill one\n");
	struct buf err = BUF_INIT(1024);
	struct mail_source *src;
	struct mail_item item;
	size_t n;
	char *all = read_all(path, 1 << 20, &n);

	(void)state;
	assert_int_equal(n, 1);
	assert_non_null(strstr(all, "still one"));
	free(all);
	/* over the cap: cut, and full_size tells the real length */
	src = source_open(path, 10, &err);
	assert_non_null(src);
	assert_int_equal(src->next(src, &item, &err), 1);
	assert_int_equal(item.len, 10);
	assert_true(item.full_size > 10);
	src->free(src);
	buf_release(&err);
	free(path);
}

static void test_maildir_and_folder(void **state)
{
	char *walk = xasprintf("%s/walk", tmpdir);
	char *md = xasprintf("%s/Maildir", walk), *p;
	size_t n;
	char *all;

	(void)state;
	p = xasprintf("%s/cur", md);
	assert_int_equal(mkdir(walk, 0755), 0);
	assert_int_equal(mkdir(md, 0755), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/new", md);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	free(write_file("walk/Maildir/cur/1.host:2,S", "Subject: a\n\nA\n"));
	free(write_file("walk/Maildir/new/2.host", "Subject: b\n\nB\n"));
	free(write_file("walk/Maildir/new/.hidden", "Subject: no\n\n"));
	all = read_all(md, 1 << 20, &n);
	assert_int_equal(n, 2);
	assert_string_equal(all, "Subject: a\n\nA\n=====\nSubject: b\n\nB\n");
	free(all);
	/* a plain folder is walked, Maildirs inside it included */
	free(write_file("walk/x.mbox", "From a@x Thu Jan  1 00:00:00 2015\nSubject: c\n\nC\n"));
	free(write_file("walk/notes.md", "not mail\n"));
	all = read_all(walk, 1 << 20, &n);
	assert_int_equal(n, 3);
	assert_null(strstr(all, "not mail"));
	free(all);
	free(md);
	free(walk);
}

/*
 * One commit on top of parent (NULL: the first) whose tree holds name as a
 * blob, the way public-inbox writes "m" for a message and "d" for a
 * deletion; HEAD (refs/heads/master) moves to it.
 */
static void commit_blob(git_repository *repo, git_oid *out, const git_oid *parent,
			const char *name, const char *content)
{
	git_signature *sig;
	git_treebuilder *tb;
	git_tree *tree;
	git_commit *pc = NULL;
	git_oid blob, tid;

	assert_int_equal(git_signature_new(&sig, "i", "i@example.org", 1700000000, 0), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, repo, content, strlen(content)), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, name, &blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tid, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tid), 0);
	if (parent)
		assert_int_equal(git_commit_lookup(&pc, repo, parent), 0);
	assert_int_equal(git_commit_create_v(out, repo, "HEAD", sig, sig, NULL, "m",
					     tree, parent ? 1 : 0, pc), 0);
	git_commit_free(pc);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_signature_free(sig);
}

/* A bare epoch holding the messages msgs[0..nr), "d" commits in between. */
static void make_epoch(const char *path, const char *const *msgs, size_t nr)
{
	git_repository *repo;
	git_oid prev, cur;

	assert_int_equal(git_repository_init(&repo, path, 1), 0);
	for (size_t i = 0; i < nr; i++) {
		commit_blob(repo, &cur, i ? &prev : NULL, "m", msgs[i]);
		prev = cur;
		if (i == 0) {
			/* a deletion: no "m", nothing to read */
			commit_blob(repo, &cur, &prev, "d", msgs[i]);
			prev = cur;
		}
	}
	git_repository_free(repo);
}

static void test_public_inbox(void **state)
{
	static const char *const e0[] = {
		"Message-ID: <1@x>\nSubject: one\n\n1\n",
		"Message-ID: <2@x>\nSubject: two\n\n2\n",
		"Message-ID: <3@x>\nSubject: three\n\n3\n",
	};
	static const char *const e1[] = { "Message-ID: <4@x>\nSubject: four\n\n4\n" };
	char *inbox = xasprintf("%s/inbox", tmpdir);
	char *git = xasprintf("%s/git", inbox);
	char *ep0 = xasprintf("%s/0.git", git), *ep1 = xasprintf("%s/1.git", git);
	char *all;
	size_t n;

	(void)state;
	git_libgit2_init();
	assert_int_equal(mkdir(inbox, 0755), 0);
	assert_int_equal(mkdir(git, 0755), 0);
	make_epoch(ep0, e0, 3);
	/* one epoch alone: its messages, oldest first, the deletion skipped */
	all = read_all(ep0, 1 << 20, &n);
	assert_int_equal(n, 3);
	assert_string_equal(all, "Message-ID: <1@x>\nSubject: one\n\n1\n=====\n"
				 "Message-ID: <2@x>\nSubject: two\n\n2\n=====\n"
				 "Message-ID: <3@x>\nSubject: three\n\n3\n");
	free(all);
	/* the inbox: epoch 0, then epoch 1 */
	make_epoch(ep1, e1, 1);
	all = read_all(inbox, 1 << 20, &n);
	assert_int_equal(n, 4);
	assert_non_null(strstr(all, "<3@x>\nSubject: three\n\n3\n=====\nMessage-ID: <4@x>"));
	free(all);
	/* the cap cuts a message as it does in an mbox */
	all = read_all(ep1, 10, &n);
	assert_int_equal(n, 1);
	assert_string_equal(all, "Message-ID");
	free(all);
	git_libgit2_shutdown();
	free(ep0);
	free(ep1);
	free(git);
	free(inbox);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_separator),
		cmocka_unit_test(test_format_patch_mbox),
		cmocka_unit_test(test_mboxrd_unescape),
		cmocka_unit_test(test_mbox_chunk_boundaries),
		cmocka_unit_test(test_single_file_and_cap),
		cmocka_unit_test(test_maildir_and_folder),
		cmocka_unit_test(test_public_inbox),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
