/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_apply: the applier against `git am`.  Each case makes a commit with
 * git in a temporary repository, formats it with `git format-patch`,
 * applies the mail with `git am` on a target commit and with patchbot's
 * applier (objects into one pack) on the same target, and compares the
 * trees.  git itself then checks the packs we wrote (git fsck).
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "diff.h"
#include "hunkapply.h"
#include "packwrite.h"
#include "testutil.h"
#include "util.h"

static char *tmp;

static void sh(const char *cmd)
{
	test_sh(tmp, cmd);
}

static char *sh_out(const char *cmd)
{
	return test_sh_out(tmp, cmd);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

/*
 * The base: a C file of 30 numbered lines, an executable script, a file
 * without a final newline, a folder with one file, a binary file.
 */
static const char setup_script[] =
	"git init -q -b master repo && cd repo &&"
	"mkdir -p src scripts lone &&"
	"seq 1 30 | sed 's/^/int line_/; s/$/;/' >src/a.c &&"
	"printf '#!/bin/sh\\necho hi\\n' >scripts/run.sh && chmod +x scripts/run.sh &&"
	"printf 'one\\ntwo' >src/noeol.txt &&"
	"printf 'alone\\n' >lone/only.txt &&"
	"printf 'keep\\n' >src/keep.txt &&"
	"printf '\\000\\001\\002binary\\n' >src/blob.bin &&"
	"git add -A && git commit -q -m base";

static int setup(void **state)
{

	(void)state;
	tmp = test_tmpdir("pbapply");
	test_git_ident();
	sh(setup_script);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rmtree(tmp);
	git_libgit2_shutdown();
	return 0;
}

/* Apply the one mail of mbox on the tree of target with one pack session. */
static int our_apply(const char *mbox, const char *target, git_oid *tree, struct buf *err)
{
	char *path = xasprintf("%s/repo", tmp), *file = xasprintf("%s/%s", tmp, mbox);
	char *text = slurp(file);
	git_repository *repo = NULL;
	struct packwriter *pw = NULL;
	struct patch_split ps;
	git_object *obj = NULL;
	git_tree *base = NULL;
	char *diff;
	int r;

	assert_int_equal(git_repository_open(&repo, path), 0);
	assert_int_equal(pack_attach(repo, &pw, err), 0);
	assert_int_equal(patch_split(text, strlen(text), &ps), 1);
	diff = xstrndup(text + ps.diff_start, ps.diff_len);
	assert_int_equal(git_revparse_single(&obj, repo, target), 0);
	assert_int_equal(git_object_peel((git_object **)&base, obj, GIT_OBJECT_TREE), 0);
	assert_int_equal(pack_begin(pw, err), 0);
	r = apply_tree_to(repo, pw, git_tree_id(base), diff, tree, err);
	assert_int_equal(pack_end(pw, err), 0);
	git_tree_free(base);
	git_object_free(obj);
	git_repository_free(repo);
	free(diff);
	free(text);
	free(file);
	free(path);
	return r;
}

/*
 * make: shell commands on a branch from master that make the patch's
 * commit; onto: commands on a branch from master that make the commit
 * the patch is applied to ("" for master itself); fmt: extra options of
 * git format-patch.  Compares our tree with git am's.
 */
static void same_as_git_am(const char *name, const char *make, const char *onto,
			   const char *fmt)
{
	struct buf err = BUF_INIT(4096);
	char *cmd, *want, *target = xasprintf("%s-onto", name);
	git_oid got;

	cmd = xasprintf("cd repo && git checkout -q -B %s-patch master && %s &&"
			" git add -A && git commit -q -m '%s' &&"
			" git format-patch -q %s --stdout -1 >../%s.mbox &&"
			" git checkout -q -B %s master && %s%s git commit -q --allow-empty -m onto &&"
			" git checkout -q -B %s-am %s && git am -q ../%s.mbox",
			name, make, name, fmt, name, target, onto, *onto ? " && git add -A &&" : "",
			name, target, name);
	sh(cmd);
	free(cmd);
	cmd = xasprintf("cd repo && git rev-parse %s-am^{tree}", name);
	want = sh_out(cmd);
	free(cmd);
	cmd = xasprintf("%s.mbox", name);
	if (our_apply(cmd, target, &got, &err)) {
		print_error("%s: %s\n", name, err.s);
		fail();
	}
	free(cmd);
	assert_string_equal(git_oid_tostr_s(&got), want);
	/* git can read what we wrote */
	cmd = xasprintf("cd repo && git cat-file -t %s", want);
	free(want);
	want = sh_out(cmd);
	assert_string_equal(want, "tree");
	free(cmd);
	free(want);
	free(target);
	buf_release(&err);
}

static void test_modify(void **state)
{
	(void)state;
	same_as_git_am("modify", "sed -i 's/line_3;/line_3 = 3;/; s/line_20;/line_20 = 20;/' src/a.c",
		       "", "");
}

/* The file gained lines above the hunks: git applies them shifted. */
static void test_offset(void **state)
{
	(void)state;
	same_as_git_am("offset", "sed -i 's/line_15;/line_15 = 15;/; s/line_25;/line_25 = 25;/' src/a.c",
		       "sed -i '1i /* one */\\n/* two */\\n/* three */' src/a.c", "");
}

/* The first and the last lines: hunks that must match at the start and the end. */
static void test_edges(void **state)
{
	(void)state;
	same_as_git_am("edges", "sed -i '1d; $a int tail;' src/a.c", "", "");
}

static void test_no_newline(void **state)
{
	(void)state;
	same_as_git_am("addeol", "printf 'one\\ntwo\\nthree\\n' >src/noeol.txt", "", "");
	same_as_git_am("dropeol", "printf 'int line_1;' >src/keep.txt", "", "");
	same_as_git_am("stilleol", "printf 'one\\nTWO' >src/noeol.txt", "", "");
}

static void test_new_and_deleted(void **state)
{
	(void)state;
	same_as_git_am("newdel",
		       "printf 'new\\n' >src/new.c && : >src/empty && git rm -q src/keep.txt &&"
		       " mkdir -p deep/er/still && printf 'x\\n' >deep/er/still/x.c",
		       "", "");
	/* the last file of a folder goes, and the folder with it */
	same_as_git_am("lastgone", "git rm -q lone/only.txt", "", "");
	/* a file becomes a folder */
	same_as_git_am("filedir", "git rm -q src/keep.txt && mkdir src/keep.txt &&"
		       " printf 'in\\n' >src/keep.txt/inner", "", "");
}

static void test_modes(void **state)
{
	(void)state;
	same_as_git_am("chmod", "chmod +x src/keep.txt && chmod -x scripts/run.sh", "", "");
	same_as_git_am("chmodedit", "chmod +x src/keep.txt && printf 'kept\\n' >src/keep.txt", "",
		       "");
}

/* libgit2 1.5 gave a pure rename 100644; git keeps the old mode. */
static void test_pure_rename_keeps_mode(void **state)
{
	char *mode;

	(void)state;
	same_as_git_am("mvexec", "git mv scripts/run.sh scripts/go.sh", "", "");
	mode = sh_out("cd repo && git ls-tree mvexec-am scripts/go.sh | cut -c1-6");
	assert_string_equal(mode, "100755");
	free(mode);
}

static void test_rename_copy(void **state)
{
	(void)state;
	same_as_git_am("mvedit", "git mv src/a.c src/b.c && sed -i 's/line_7;/line_7 = 7;/' src/b.c",
		       "", "-M");
	same_as_git_am("copy", "cp src/a.c src/c.c && sed -i 's/line_9;/line_9 = 9;/' src/c.c",
		       "", "-C -C");
	same_as_git_am("mvdir", "git mv lone elsewhere", "", "-M");
}

/* A binary patch goes through libgit2 and still matches git am. */
static void test_binary(void **state)
{
	(void)state;
	same_as_git_am("binary", "printf '\\000\\003binary\\n' >src/blob.bin &&"
		       " printf '\\001\\002' >src/new.bin && sed -i 's/line_2;/line_2 = 2;/' src/a.c",
		       "", "");
}

/*
 * Binary patches made in another clone, so that the new blobs are not in
 * the repository: a literal, then a delta on it, decoded and applied.
 */
static void test_binary_decoded(void **state)
{
	struct buf err = BUF_INIT(4096);
	char *want, *first;
	git_oid got;

	(void)state;
	sh("git clone -q -b master repo other && cd other &&"
	   " seq 1 3000 | gzip -9n >big.bin && git add big.bin && git commit -q -m big &&"
	   " printf 'X' | dd of=big.bin bs=1 seek=100 conv=notrunc status=none &&"
	   " printf 'Y' | dd of=src/blob.bin bs=1 seek=1 conv=notrunc status=none &&"
	   " git commit -q -am change && git format-patch -q -2 -o ../bin &&"
	   " grep -q '^delta ' ../bin/0002-change.patch &&"
	   " cd ../repo && ! git cat-file -e $(cd ../other && git rev-parse HEAD:big.bin) &&"
	   " git checkout -q -B bin-am master && git am -q ../bin/*.patch");
	want = sh_out("cd repo && git rev-parse bin-am~1^{tree}");
	assert_int_equal(our_apply("bin/0001-big.patch", "master", &got, &err), 0);
	assert_string_equal(git_oid_tostr_s(&got), want);
	free(want);
	first = xstrdup(git_oid_tostr_s(&got));
	want = sh_out("cd repo && git rev-parse bin-am^{tree}");
	assert_int_equal(our_apply("bin/0002-change.patch", first, &got, &err), 0);
	assert_string_equal(git_oid_tostr_s(&got), want);
	free(want);
	free(first);
	buf_release(&err);
}

/* Several files, several hunks, in one patch. */
static void test_many(void **state)
{
	(void)state;
	same_as_git_am("many",
		       "sed -i 's/line_6;/x;/; s/line_12;/y;/; s/line_27;/z;/' src/a.c &&"
		       " printf 'one\\ntwo\\n' >src/noeol.txt && printf 'a\\n' >zz.txt &&"
		       " printf 'b\\n' >0first.txt && git rm -q src/blob.bin",
		       "sed -i '1i /* shifted */' src/a.c", "");
}

/* Context that is not there: the error names the file and the hunk. */
static void test_does_not_apply(void **state)
{
	struct buf err = BUF_INIT(4096);
	git_oid got;

	(void)state;
	sh("cd repo && git checkout -q -B nope-patch master &&"
	   " sed -i 's/line_5;/line_5 = 5;/; s/line_25;/line_25 = 25;/' src/a.c &&"
	   " git commit -q -am nope && git format-patch -q --stdout -1 >../nope.mbox &&"
	   " git checkout -q -B nope-onto master && sed -i 's/line_24;/changed;/' src/a.c &&"
	   " git commit -q -am onto && git checkout -q -B nope-am nope-onto &&"
	   " ! git am -q ../nope.mbox && git am --abort");
	assert_int_equal(our_apply("nope.mbox", "nope-onto", &got, &err), 1);
	assert_string_equal(err.s, "file 'src/a.c', hunk #2 (@@ -22,7 +22,7 @@ int line_21;):"
				   " hunk at line 22 did not apply");
	buf_reset(&err);
	/* a new file that is already there */
	sh("cd repo && git checkout -q -B exists-patch master && git rm -q src/keep.txt &&"
	   " git commit -q -m gone && git checkout -q -B exists-patch2 exists-patch &&"
	   " printf 'keep\\n' >src/keep.txt && git add -A && git commit -q -m back &&"
	   " git format-patch -q --stdout -1 >../exists.mbox");
	assert_int_equal(our_apply("exists.mbox", "master", &got, &err), 1);
	assert_string_equal(err.s, "file 'src/keep.txt': already exists in the tree");
	buf_reset(&err);
	/* a hunk at line 1 must match at the start of the file, as in git */
	sh("cd repo && git checkout -q -B start-patch master && sed -i 's/line_2;/two;/' src/a.c &&"
	   " git commit -q -am start && git format-patch -q --stdout -1 >../start.mbox &&"
	   " git checkout -q -B start-onto master && sed -i '1i /* new */' src/a.c &&"
	   " git commit -q -am onto && git checkout -q -B start-am start-onto &&"
	   " ! git am -q ../start.mbox && git am --abort");
	assert_int_equal(our_apply("start.mbox", "start-onto", &got, &err), 1);
	assert_string_equal(err.s, "file 'src/a.c', hunk #1 (@@ -1,5 +1,5 @@):"
				   " hunk at line 1 did not apply");
	buf_release(&err);
}

/* Write a mail with a new file at path into $tmp/name. */
static void bad_path_mail(const char *name, const char *path)
{
	char *file = xasprintf("%s/%s", tmp, name);
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	fprintf(f, "From: A <a@example.org>\nSubject: [PATCH] bad path\n\n---\n"
		   "diff --git a/%s b/%s\nnew file mode 100644\n--- /dev/null\n"
		   "+++ b/%s\n@@ -0,0 +1 @@\n+x\n", path, path, path);
	fclose(f);
	free(file);
}

/*
 * Paths git would not put in a tree are refused, with the reason (the
 * fuzzer found a patch with thousands of "//" that overflowed the stack).
 */
static void test_bad_paths(void **state)
{
	const char *bad[] = { "src//a.c", "./a.c", "src/../a.c", ".git/config",
			      "src/.GIT/hooks/x", "/abs.c", "dir/" };
	struct buf err = BUF_INIT(4096), deep = BUF_INIT(BUF_NOLIMIT);
	git_oid got;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bad_path_mail("bad.mbox", bad[i]);
		assert_int_equal(our_apply("bad.mbox", "master", &got, &err), 1);
		if (!strstr(err.s, "not a path git accepts")) {
			print_error("%s: %s\n", bad[i], err.s);
			fail();
		}
		buf_reset(&err);
	}
	for (int i = 0; i < 20000; i++)
		buf_adds(&deep, "d/");
	buf_adds(&deep, "f.c");
	bad_path_mail("bad.mbox", deep.s);
	assert_int_equal(our_apply("bad.mbox", "master", &got, &err), 1);
	if (!strstr(err.s, "over 256 parts deep")) {
		print_error("%.200s\n", err.s);
		fail();
	}
	/* as deep as allowed is fine */
	buf_reset(&deep);
	for (int i = 0; i < HUNK_MAX_DEPTH - 1; i++)
		buf_adds(&deep, "d/");
	buf_adds(&deep, "f.c");
	bad_path_mail("deep.mbox", deep.s);
	buf_reset(&err);
	if (our_apply("deep.mbox", "master", &got, &err)) {
		print_error("%s\n", err.s);
		fail();
	}
	buf_release(&deep);
	buf_release(&err);
}

/* Folded fix-ups go into the same commit, on top of the patch. */
static void test_fixups(void **state)
{
	struct buf err = BUF_INIT(4096);
	char *path = xasprintf("%s/repo", tmp), *m1, *m2, *t1, *t2, *want;
	struct strlist fix = { 0 };
	struct patch_split ps;
	struct apply_ident who = { .name = "M", .email = "m@example.org", .when = 1 };
	struct apply_patch p = { .n = 1, .total = 1, .title = "fixed", .fixups = &fix,
				 .from_name = "A", .from_email = "a@example.org" };
	git_repository *repo = NULL;
	struct packwriter *pw = NULL;
	git_commit *c = NULL;
	git_oid master, out;

	(void)state;
	sh("cd repo && git checkout -q -B fix-patch master && sed -i 's/line_4;/four;/' src/a.c &&"
	   " git commit -q -am one && sed -i 's/line_6;/six;/' src/a.c && git commit -q -am two &&"
	   " git format-patch -q -2 -o ../fix && git checkout -q master");
	want = sh_out("cd repo && git rev-parse fix-patch^{tree}");
	m1 = xasprintf("%s/fix/0001-one.patch", tmp);
	m2 = xasprintf("%s/fix/0002-two.patch", tmp);
	t1 = slurp(m1);
	t2 = slurp(m2);
	assert_int_equal(patch_split(t1, strlen(t1), &ps), 1);
	t1[ps.diff_start + ps.diff_len] = 0;
	p.diff = t1 + ps.diff_start;
	assert_int_equal(patch_split(t2, strlen(t2), &ps), 1);
	t2[ps.diff_start + ps.diff_len] = 0;
	strlist_push(&fix, t2 + ps.diff_start);
	assert_int_equal(git_repository_open(&repo, path), 0);
	assert_int_equal(pack_attach(repo, &pw, &err), 0);
	assert_int_equal(git_reference_name_to_id(&master, repo, "refs/heads/master"), 0);
	assert_int_equal(pack_begin(pw, &err), 0);
	assert_int_equal(apply_commit_to(repo, pw, &master, &p, &who, &out, &err), 0);
	/* readable in the session, from the pack being written */
	assert_int_equal(git_commit_lookup(&c, repo, &out), 0);
	assert_string_equal(git_oid_tostr_s(git_commit_tree_id(c)), want);
	git_commit_free(c);
	assert_int_equal(pack_end(pw, &err), 0);
	/* and after it, from the pack on disk */
	assert_int_equal(git_commit_lookup(&c, repo, &out), 0);
	git_commit_free(c);
	git_repository_free(repo);
	strlist_clear(&fix);
	free(want);
	free(t1);
	free(t2);
	free(m1);
	free(m2);
	free(path);
	buf_release(&err);
}

/* Everything the cases wrote is a valid pack that git reads. */
static void test_git_fsck(void **state)
{
	char *n;

	(void)state;
	sh("cd repo && git fsck --no-dangling --strict");
	n = sh_out("cd repo && ls .git/objects/pack/*.idx | wc -l");
	assert_true(atoi(n) > 0);
	free(n);
	sh("cd repo && for i in .git/objects/pack/*.idx; do git verify-pack $i || exit 1; done");
	/* what deploy/patchbot-gc.timer does: one pack again, nothing lost */
	sh("cd repo && git gc --quiet && git fsck --no-dangling --strict");
	n = sh_out("cd repo && ls .git/objects/pack/*.pack | wc -l");
	assert_string_equal(n, "1");
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modify),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_no_newline),
		cmocka_unit_test(test_new_and_deleted),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_pure_rename_keeps_mode),
		cmocka_unit_test(test_rename_copy),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_binary_decoded),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_does_not_apply),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_fixups),
		cmocka_unit_test(test_git_fsck),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
