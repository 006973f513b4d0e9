/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_maintainers: the MAINTAINERS parser and get_maintainer.pl's
 * matching rules, on tests/data/maintainers/MAINTAINERS (every field
 * type), read from a git repository as the bot reads it; and garbage.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maintainers.h"
#include "testutil.h"
#include "util.h"

static struct maintainers *fixture(void)
{
	struct maintainers *mt;
	struct buf err = BUF_INIT(1024);
	char *path = test_srcpath("tests/data/maintainers/MAINTAINERS");
	size_t len;
	char *text = test_read_file(path, &len);

	assert_int_equal(maintainers_parse(&mt, text, len, &err), 0);
	free(text);
	free(path);
	buf_release(&err);
	return mt;
}

/* "addr(role) addr(role) ..." for a file (and content, when not NULL). */
static char *who(const struct maintainers *mt, const char *path,
		 const char *content)
{
	struct maintainers_result r = { 0 };
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	if (path)
		maintainers_for_file(mt, path, &r);
	maintainers_for_content(mt, content, &r);
	for (size_t i = 0; i < r.nr; i++)
		buf_addf(&b, "%s%s(%s)", i ? " " : "", r.v[i].addr, r.v[i].role);
	maintainers_result_release(&r);
	return buf_detach(&b, NULL);
}

static void expect_who(const struct maintainers *mt, const char *path,
		       const char *content, const char *expected)
{
	char *got = who(mt, path, content);

	print_message("%s\n", path ? path : content);
	assert_string_equal(got, expected);
	free(got);
}

#define REST "linux-kernel@vger.kernel.org(list)"

static void test_fields_and_rules(void **state)
{
	struct maintainers *mt = fixture();

	(void)state;
	/* the preamble's indented M:/R:/F: lines are no sections; its six
	 * unindented lines are empty ones, as for get_maintainer.pl */
	assert_int_equal(maintainers_nr_sections(mt), 14);
	/* F: dir/ covers everything below; THE REST gives its list only */
	expect_who(mt, "mm/filemap.c", NULL,
		   "akpm@linux-foundation.org(maintainer) david@redhat.com(reviewer) "
		   "linux-mm@kvack.org(list) " REST);
	expect_who(mt, "mm/damon/core.c", NULL,
		   "akpm@linux-foundation.org(maintainer) david@redhat.com(reviewer) "
		   "linux-mm@kvack.org(list) " REST);
	/* X: takes the section away for that file only */
	expect_who(mt, "mm/hugetlb.c", NULL,
		   "muchun.song@linux.dev(maintainer) linux-mm@kvack.org(list) " REST);
	/* F: globs: mm*.h at the same depth, not below */
	expect_who(mt, "include/linux/mmzone.h", NULL,
		   "akpm@linux-foundation.org(maintainer) david@redhat.com(reviewer) "
		   "linux-mm@kvack.org(list) " REST);
	expect_who(mt, "include/linux/mm/types.h", NULL, REST);
	expect_who(mt, "include/linux/mm.c", NULL, REST);
	/* '*' must not reach into a subdirectory: the '/' count differs */
	expect_who(mt, "drivers/net/dummy.c", NULL,
		   "davem@davemloft.net(maintainer) netdev@vger.kernel.org(list) " REST);
	expect_who(mt, "drivers/net/wan/hdlc.c", NULL, REST);
	expect_who(mt, "drivers/net/loopback.c", NULL, REST);
	/* a directory named without its '/' */
	expect_who(mt, "drivers/net/wireguard/send.c", NULL,
		   "davem@davemloft.net(maintainer) netdev@vger.kernel.org(list) " REST);
	/* list annotations and bare addresses */
	expect_who(mt, "rust/kernel/lib.rs", NULL,
		   "ojeda@kernel.org(maintainer) alex.gaynor@gmail.com(reviewer) "
		   "rust-for-linux@vger.kernel.org(list) " REST);
	/* N: searches the path; a perl-only N: is skipped, not fatal */
	expect_who(mt, "drivers/soc/qcom/smem.c", NULL,
		   "andersson@kernel.org(maintainer) linux-arm-msm@vger.kernel.org(list) " REST);
	expect_who(mt, "README", NULL, REST);
	/* K: searches the patch; one address once */
	expect_who(mt, NULL, "+\tfolio_mark_dirty(folio);\n",
		   "willy@infradead.org(maintainer) linux-fsdevel@vger.kernel.org(list)");
	expect_who(mt, "mm/filemap.c", "+\tfolio_mark_dirty(folio);\n",
		   "akpm@linux-foundation.org(maintainer) david@redhat.com(reviewer) "
		   "linux-mm@kvack.org(list) " REST " willy@infradead.org(maintainer) "
		   "linux-fsdevel@vger.kernel.org(list)");
	expect_who(mt, NULL, "nothing of interest\n", "");
	maintainers_free(mt);
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(maintainers_glob_match("mm/", "mm/a/b/c.c"));
	assert_false(maintainers_glob_match("mm/", "mmx/a.c"));
	assert_true(maintainers_glob_match("drivers/*/foo.c", "drivers/net/foo.c"));
	assert_false(maintainers_glob_match("drivers/*/foo.c", "drivers/net/x/foo.c"));
	assert_true(maintainers_glob_match("fs/ext?/", "fs/ext4/inode.c"));
	assert_true(maintainers_glob_match("*", "Makefile"));
	assert_false(maintainers_glob_match("*", "mm/Makefile"));
	assert_true(maintainers_glob_match("*/", "mm/Makefile"));
	assert_false(maintainers_glob_match("", "mm/Makefile"));
	/* stars do not make it exponential */
	assert_false(maintainers_glob_match("*a*a*a*a*a*a*a*a*a*a*a*b",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_true(maintainers_wild_match("*.rs", "lib.rs"));
	assert_false(maintainers_wild_match("*.rs", "lib.rsx"));
}

static void test_garbage(void **state)
{
	struct maintainers *mt = NULL;
	struct buf err = BUF_INIT(1024);
	struct buf big = BUF_INIT(BUF_NOLIMIT);
	char junk[65536];
	unsigned seed = 1;
	char *r;

	(void)state;
	assert_int_equal(maintainers_parse(&mt, "A\0B", 3, &err), -1);
	assert_non_null(strstr(err.s, "NUL"));
	buf_reset(&err);
	for (size_t i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245 + 12345;
		junk[i] = "F:M:L:X:N:K: \t\n*/[(?\\ab@<>"[(seed >> 16) % 26];
	}
	assert_int_equal(maintainers_parse(&mt, junk, sizeof(junk), &err), 0);
	r = who(mt, "mm/filemap.c", "x");
	free(r);
	maintainers_free(mt);
	/* an overlong line, and no newline at the end */
	for (int i = 0; i < 10000; i++)
		buf_adds(&big, "F:");
	buf_adds(&big, "\nS\nF:\tmm/\nM:\tA <a@b.c>");
	assert_int_equal(maintainers_parse(&mt, big.s, big.len, &err), 0);
	r = who(mt, "mm/x.c", NULL);
	assert_string_equal(r, "a@b.c(maintainer)");
	free(r);
	maintainers_free(mt);
	/*
	 * Found by fuzz_maintainers: stacked quantifiers made glibc's
	 * regcomp() take gigabytes.  Such N: and K: lines are ignored.
	 */
	buf_reset(&big);
	buf_adds(&big, "S\nM:\tA <a@b.c>\nN:\tqc.r");
	for (int i = 0; i < 40; i++)
		buf_addch(&big, '+');
	buf_adds(&big, "\nK:\t(x{1000}){1000}\nF:\tmm/\n");
	assert_int_equal(maintainers_parse(&mt, big.s, big.len, &err), 0);
	r = who(mt, "mm/x.c", NULL);
	assert_string_equal(r, "a@b.c(maintainer)");
	free(r);
	maintainers_free(mt);
	assert_int_equal(maintainers_parse(&mt, big.s, MAINTAINERS_MAX_SIZE + 1, &err), -1);
	assert_non_null(strstr(err.s, "too large"));
	buf_release(&big);
	buf_release(&err);
}

/* A bare repository with MAINTAINERS (or not) committed on master. */
static char *make_repo(const char *text)
{
	char tmpl[] = "/tmp/pb-maint-XXXXXX";
	char *dir = xstrdup(mkdtemp(tmpl));
	git_repository *repo;
	git_treebuilder *tb;
	git_signature *sig;
	git_oid blob, tree_id, commit;
	git_tree *tree;

	assert_int_equal(git_repository_init(&repo, dir, 1), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, text[0] == 'x' ? "README" : "MAINTAINERS",
						&blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@example.org", 1700000000, 0), 0);
	assert_int_equal(git_commit_create_v(&commit, repo, "refs/heads/master", sig, sig,
					     NULL, "base", tree, 0), 0);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_repository_free(repo);
	return dir;
}

static void remove_tree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_load_from_git(void **state)
{
	char *path = test_srcpath("tests/data/maintainers/MAINTAINERS"), *text, *dir, *r;
	struct maintainers *mt = NULL;
	struct buf err = BUF_INIT(1024);
	size_t len;

	(void)state;
	text = test_read_file(path, &len);
	dir = make_repo(text);
	assert_int_equal(maintainers_load(&mt, dir, "master", &err), 1);
	r = who(mt, "mm/hugetlb.c", NULL);
	assert_string_equal(r, "muchun.song@linux.dev(maintainer) linux-mm@kvack.org(list) " REST);
	free(r);
	maintainers_free(mt);
	assert_int_equal(maintainers_load(&mt, dir, "no-such-branch", &err), -1);
	assert_non_null(strstr(err.s, "'no-such-branch' is not a revision"));
	remove_tree(dir);
	free(dir);
	/* a tree without MAINTAINERS: quietly nothing */
	dir = make_repo("x");
	buf_reset(&err);
	assert_int_equal(maintainers_load(&mt, dir, "master", &err), 0);
	assert_null(mt);
	assert_int_equal(err.len, 0);
	remove_tree(dir);
	free(dir);
	assert_int_equal(maintainers_load(&mt, "/nonexistent/repo", "master", &err), -1);
	buf_release(&err);
	free(text);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_and_rules),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_load_from_git),
	};
	int r;

	git_libgit2_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return r;
}
