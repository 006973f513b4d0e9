/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests for bot/diff.c: splitting patch mails, reading diffs, pull requests. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diff.h"
#include "util.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Parse s, expecting success. */
static void parse_ok(const char *s, struct diff *d)
{
	assert_int_equal(diff_parse(s, strlen(s), d), 0);
}

static void assert_path(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_non_null(got), assert_string_equal(got, want);
}

static void assert_file(const struct diff_file *f, int status,
			const char *old_path, const char *new_path)
{
	assert_int_equal(f->status, status);
	assert_path(f->old_path, old_path);
	assert_path(f->new_path, new_path);
}

static void assert_hunk(const struct diff_hunk *h, unsigned long os,
			unsigned long oc, unsigned long ns, unsigned long nc,
			const char *func)
{
	assert_int_equal(h->old_start, os);
	assert_int_equal(h->old_count, oc);
	assert_int_equal(h->new_start, ns);
	assert_int_equal(h->new_count, nc);
	assert_string_equal(h->func, func);
}

/* The diff part of s as patch_split finds it, as a new string. */
static char *split_diff(const char *s, struct patch_split *ps)
{
	assert_int_equal(patch_split(s, strlen(s), ps), 1);
	return xstrndup(s + ps->diff_start, ps->diff_len);
}

static void test_modified_hunks_and_func(void **state)
{
	struct diff d;

	(void)state;
	parse_ok("diff --git a/src/foo.c b/src/foo.c\n"
		 "index 1234567..89abcde 100644\n"
		 "--- a/src/foo.c\n"
		 "+++ b/src/foo.c\n"
		 "@@ -10,7 +10,8 @@ static int foo(void)\n"
		 " a\n b\n c\n-d\n+e\n+f\n g\n h\n i\n"
		 "@@ -100 +101,2 @@\n"
		 "-x\n+y\n+z\n"
		 "@@ -200,0 +202,1 @@   trailing blanks   \n"
		 "+w\n",
		 &d);
	assert_int_equal(d.nr_files, 1);
	assert_file(&d.files[0], DIFF_MODIFIED, "src/foo.c", "src/foo.c");
	assert_false(d.files[0].binary);
	assert_false(d.files[0].mode_change);
	assert_int_equal(d.files[0].nr_hunks, 3);
	assert_hunk(&d.files[0].hunks[0], 10, 7, 10, 8, "static int foo(void)");
	/* ",count" left out means 1 */
	assert_hunk(&d.files[0].hunks[1], 100, 1, 101, 2, "");
	assert_hunk(&d.files[0].hunks[2], 200, 0, 202, 1, "trailing blanks");
	diff_release(&d);
	assert_null(d.files);
}

static void test_new_and_deleted(void **state)
{
	struct diff d;

	(void)state;
	parse_ok("diff --git a/new.c b/new.c\n"
		 "new file mode 100644\n"
		 "index 0000000..1111111\n"
		 "--- /dev/null\n"
		 "+++ b/new.c\n"
		 "@@ -0,0 +1,2 @@\n"
		 "+one\n+two\n"
		 "diff --git a/old.c b/old.c\n"
		 "deleted file mode 100755\n"
		 "index 2222222..0000000\n"
		 "--- a/old.c\n"
		 "+++ /dev/null\n"
		 "@@ -1 +0,0 @@\n"
		 "-gone\n",
		 &d);
	assert_int_equal(d.nr_files, 2);
	assert_file(&d.files[0], DIFF_ADDED, NULL, "new.c");
	assert_int_equal(d.files[0].nr_hunks, 1);
	assert_hunk(&d.files[0].hunks[0], 0, 0, 1, 2, "");
	assert_file(&d.files[1], DIFF_DELETED, "old.c", NULL);
	assert_hunk(&d.files[1].hunks[0], 1, 1, 0, 0, "");
	diff_release(&d);
}

static void test_empty_new_file_and_mode_change(void **state)
{
	struct diff d;

	(void)state;
	parse_ok("diff --git a/banana b/banana\n"
		 "new file mode 100644\n"
		 "index 000000000000..e69de29bb2d1\n"
		 "diff --git a/run.sh b/run.sh\n"
		 "old mode 100644\n"
		 "new mode 100755\n",
		 &d);
	assert_int_equal(d.nr_files, 2);
	assert_file(&d.files[0], DIFF_ADDED, NULL, "banana");
	assert_int_equal(d.files[0].nr_hunks, 0);
	assert_false(d.files[0].mode_change);
	assert_file(&d.files[1], DIFF_MODIFIED, "run.sh", "run.sh");
	assert_true(d.files[1].mode_change);
	assert_int_equal(d.files[1].nr_hunks, 0);
	diff_release(&d);
}

static void test_rename_and_copy(void **state)
{
	struct diff d;

	(void)state;
	parse_ok("diff --git a/old name.c b/new name.c\n"
		 "similarity index 90%\n"
		 "rename from old name.c\n"
		 "rename to new name.c\n"
		 "index 1111111..2222222 100644\n"
		 "--- a/old name.c\t\n"
		 "+++ b/new name.c\t\n"
		 "@@ -1 +1 @@ int x;\n"
		 "-a\n+b\n"
		 "diff --git a/lib/x.c b/lib/y.c\n"
		 "similarity index 100%\n"
		 "copy from lib/x.c\n"
		 "copy to lib/y.c\n",
		 &d);
	assert_int_equal(d.nr_files, 2);
	assert_file(&d.files[0], DIFF_RENAMED, "old name.c", "new name.c");
	assert_int_equal(d.files[0].nr_hunks, 1);
	assert_hunk(&d.files[0].hunks[0], 1, 1, 1, 1, "int x;");
	assert_file(&d.files[1], DIFF_COPIED, "lib/x.c", "lib/y.c");
	assert_int_equal(d.files[1].nr_hunks, 0);
	diff_release(&d);
}

static void test_binary(void **state)
{
	struct diff d;

	(void)state;
	parse_ok("diff --git a/img.png b/img.png\n"
		 "index 1111111..2222222 100644\n"
		 "Binary files a/img.png and b/img.png differ\n"
		 "diff --git a/new.bin b/new.bin\n"
		 "new file mode 100644\n"
		 "index 0000000..3333333\n"
		 "Binary files /dev/null and b/new.bin differ\n"
		 "diff --git a/pixel.bmp b/pixel.bmp\n"
		 "new file mode 100644\n"
		 "index 0000000..9710347\n"
		 "GIT binary patch\n"
		 "literal 142\n"
		 "zcmZ?r?PGv|E+AC{#Eft(0hV9^lFE7z3>E+r{}~t{2+VVG4=P5;5yxUeQzj#`nE?RC\n"
		 "Ceh3`^\n"
		 "\n"
		 "literal 0\n"
		 "HcmV?d00001\n"
		 "\n"
		 "diff --git a/t.sh b/t.sh\n"
		 "--- a/t.sh\n"
		 "+++ b/t.sh\n"
		 "@@ -1 +1 @@\n"
		 "-a\n+b\n",
		 &d);
	assert_int_equal(d.nr_files, 4);
	assert_file(&d.files[0], DIFF_MODIFIED, "img.png", "img.png");
	assert_true(d.files[0].binary);
	assert_file(&d.files[1], DIFF_ADDED, NULL, "new.bin");
	assert_true(d.files[1].binary);
	assert_file(&d.files[2], DIFF_ADDED, NULL, "pixel.bmp");
	assert_true(d.files[2].binary);
	assert_int_equal(d.files[2].nr_hunks, 0);
	assert_file(&d.files[3], DIFF_MODIFIED, "t.sh", "t.sh");
	assert_false(d.files[3].binary);
	assert_int_equal(d.files[3].nr_hunks, 1);
	diff_release(&d);
}

static void test_quoted_paths(void **state)
{
	struct diff d;

	(void)state;
	parse_ok("diff --git \"a/with space\\t\\\"q\\\"\" \"b/with space\\t\\\"q\\\"\"\n"
		 "--- \"a/with space\\t\\\"q\\\"\"\n"
		 "+++ \"b/with space\\t\\\"q\\\"\"\n"
		 "@@ -1 +1 @@\n-a\n+b\n"
		 "diff --git \"a/caf\\303\\251\\\\x\" \"b/caf\\303\\251\\\\x\"\n"
		 "new file mode 100644\n"
		 "diff --git a/plain \"b/new\\nline\"\n"
		 "similarity index 100%\n"
		 "rename from plain\n"
		 "rename to \"new\\nline\"\n",
		 &d);
	assert_int_equal(d.nr_files, 3);
	assert_file(&d.files[0], DIFF_MODIFIED, "with space\t\"q\"",
		    "with space\t\"q\"");
	assert_file(&d.files[1], DIFF_ADDED, NULL, "caf\xc3\xa9\\x");
	assert_file(&d.files[2], DIFF_RENAMED, "plain", "new\nline");
	diff_release(&d);
}

/* git diff --no-prefix, as in the corpus's binary patches */
static void test_no_prefix(void **state)
{
	struct diff d;

	(void)state;
	parse_ok("diff --git dir/a.c dir/a.c\n"
		 "index 1111111..2222222 100644\n"
		 "--- dir/a.c\n"
		 "+++ dir/a.c\n"
		 "@@ -1 +1 @@\n-a\n+b\n"
		 "diff --git b/x a/x\n"
		 "deleted file mode 100644\n",
		 &d);
	assert_int_equal(d.nr_files, 2);
	assert_file(&d.files[0], DIFF_MODIFIED, "dir/a.c", "dir/a.c");
	/* "b/" and "a/" in that order are real directories, not prefixes */
	assert_file(&d.files[1], DIFF_DELETED, "b/x", NULL);
	diff_release(&d);
}

static void test_plain_unified(void **state)
{
	struct diff d;

	(void)state;
	parse_ok("--- a/Makefile\t2024-01-01 10:00:00.000000000 +0100\n"
		 "+++ b/Makefile\t2024-01-02 10:00:00.000000000 +0100\n"
		 "@@ -1,2 +1,2 @@ all:\n"
		 " x\n-y\n+z\n"
		 "--- orig/README\t2024-01-01\n"
		 "+++ README\t2024-01-02\n"
		 "@@ -1 +1 @@\n"
		 "-y\n+z\n"
		 "diff -urN a/new.txt b/new.txt\n"
		 "--- a/new.txt\t1970-01-01 00:00:00.000000000 +0000\n"
		 "+++ b/new.txt\t2024-01-02 10:00:00.000000000 +0100\n"
		 "@@ -0,0 +1 @@\n"
		 "+hello\n"
		 "Only in b: other\n"
		 "Binary files a/logo.png and b/logo.png differ\n",
		 &d);
	assert_int_equal(d.nr_files, 4);
	assert_file(&d.files[0], DIFF_MODIFIED, "Makefile", "Makefile");
	assert_hunk(&d.files[0].hunks[0], 1, 2, 1, 2, "all:");
	/* only one side has a prefix: leave both alone */
	assert_file(&d.files[1], DIFF_MODIFIED, "orig/README", "README");
	/* diff -N shows a new file against an empty one */
	assert_file(&d.files[2], DIFF_ADDED, NULL, "new.txt");
	assert_file(&d.files[3], DIFF_MODIFIED, "logo.png", "logo.png");
	assert_true(d.files[3].binary);
	diff_release(&d);
}

static void test_cvs_index(void **state)
{
	const char *s = "Some text.\n\n"
			"Index: bfd/elf-bfd.h\n"
			"===================================================================\n"
			"RCS file: /cvs/src/src/bfd/elf-bfd.h,v\n"
			"retrieving revision 1.329\n"
			"diff -u -p -r1.329 elf-bfd.h\n"
			"--- bfd/elf-bfd.h\t17 Aug 2011 00:39:38 -0000\t1.329\n"
			"+++ bfd/elf-bfd.h\t5 Dec 2011 20:15:49 -0000\n"
			"@@ -198,6 +198,7 @@ struct elf_link_hash_entry\n"
			"   a;\n   b;\n   c;\n+  d;\n \n   e;\n   f;\n"
			"Index: bfd/elflink.c\n"
			"===================================================================\n"
			"--- bfd/elflink.c\t(revision 1)\n"
			"+++ bfd/elflink.c\t(working copy)\n"
			"@@ -1 +1 @@\n-a\n+b\n";
	struct patch_split ps;
	struct diff d;
	char *diff = split_diff(s, &ps);

	assert_int_equal(ps.changelog_len, strlen("Some text.\n"));
	assert_int_equal(ps.diff_start, strlen("Some text.\n\n"));
	assert_int_equal(ps.diff_start + ps.diff_len, strlen(s));
	parse_ok(diff, &d);
	assert_int_equal(d.nr_files, 2);
	assert_file(&d.files[0], DIFF_MODIFIED, "bfd/elf-bfd.h",
		    "bfd/elf-bfd.h");
	assert_hunk(&d.files[0].hunks[0], 198, 6, 198, 7,
		    "struct elf_link_hash_entry");
	assert_file(&d.files[1], DIFF_MODIFIED, "bfd/elflink.c",
		    "bfd/elflink.c");
	diff_release(&d);
	free(diff);
}

static const char format_patch[] =
	"Fix the frobnicator.\n"
	"\n"
	"The old code said:\n"
	"--- not a diff\n"
	"+++ nor this\n"
	"and went on.\n"
	"\n"
	"Signed-off-by: A U Thor <author@example.org>\n"
	"---\n"
	"v2: reworded\n"
	"\n"
	" frob.c | 3 ++-\n"
	" 1 file changed, 2 insertions(+), 1 deletion(-)\n"
	"\n"
	"diff --git a/frob.c b/frob.c\n"
	"index 1111111..2222222 100644\n"
	"--- a/frob.c\n"
	"+++ b/frob.c\n"
	"@@ -1,3 +1,4 @@\n"
	" a\n"
	"-- \n"
	"--- x\n"
	"+b\n"
	"+c\n"
	"+-- \n"
	"-- \n"
	"2.39.5\n"
	"\n";

static void test_split_format_patch(void **state)
{
	struct patch_split ps;
	struct diff d;
	char *diff = split_diff(format_patch, &ps);
	const char *sob = strstr(format_patch, "Signed-off-by");

	(void)state;
	/* the changelog stops before "---", "--- not a diff" is inside it */
	assert_int_equal(ps.changelog_len,
			 (size_t)(strchr(sob, '\n') + 1 - format_patch));
	assert_true(starts_with(diff, "diff --git a/frob.c b/frob.c\n"));
	/* "-- " and "--- x" inside the hunk are content; the signature not */
	assert_true(strstr(diff, "+-- \n") != NULL);
	assert_null(strstr(diff, "2.39.5"));
	assert_int_equal(strlen(diff) - strlen("+b\n+c\n+-- \n"),
			 (size_t)(strstr(diff, "+b\n") - diff));
	parse_ok(diff, &d);
	assert_int_equal(d.nr_files, 1);
	assert_int_equal(d.files[0].nr_hunks, 1);
	assert_hunk(&d.files[0].hunks[0], 1, 3, 1, 4, "");
	diff_release(&d);
	/* parsing the whole mail gives the same */
	parse_ok(format_patch, &d);
	assert_int_equal(d.nr_files, 1);
	assert_file(&d.files[0], DIFF_MODIFIED, "frob.c", "frob.c");
	diff_release(&d);
	free(diff);
}

/* A hunk whose last line removes "- ", then git's signature. */
static void test_split_dash_line_at_hunk_end(void **state)
{
	const char *s = "diff --git a/x b/x\n"
			"--- a/x\n"
			"+++ b/x\n"
			"@@ -1,2 +1 @@\n"
			" a\n"
			"-- \n"
			"-- \n"
			"2.39.5\n";
	struct patch_split ps;
	char *diff = split_diff(s, &ps);

	(void)state;
	assert_int_equal(ps.changelog_len, 0);
	assert_int_equal(strlen(diff), strlen(s) - strlen("-- \n2.39.5\n"));
	free(diff);

	/* a hunk that claims more lines than it has, then "--" and a version */
	s = "--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n--\n2.39.5\n";
	diff = split_diff(s, &ps);
	assert_string_equal(diff, "--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n");
	free(diff);
}

static void test_split_no_separator(void **state)
{
	/* a pull request: shortlog, diffstat, then the diff */
	const char *s = "Please pull.\n"
			"\n"
			" a.c | 2 +-\n"
			" 1 file changed, 1 insertion(+), 1 deletion(-)\n"
			"diff --git a/a.c b/a.c\n"
			"--- a/a.c\n"
			"+++ b/a.c\n"
			"@@ -1 +1 @@\n"
			"-a\n"
			"+b\n"
			"_______________________________________________\n"
			"list mailing list\n"
			"--\n"
			"2.1\n";
	struct patch_split ps;
	char *diff = split_diff(s, &ps);

	(void)state;
	assert_int_equal(ps.changelog_len, strlen("Please pull.\n"));
	/* the list footer is not part of the diff */
	assert_true(ends_with(diff, "\n+b\n"));
	free(diff);
}

static void test_split_none(void **state)
{
	const char *s = "Just a comment.\n"
			"---\n"
			"--- this looks like\n"
			"+++ a header\n"
			"but no hunk follows\n"
			"Index: foo\n"
			"not a separator\n"
			"diff -u is what I used\n";
	struct patch_split ps;
	struct diff d;

	(void)state;
	assert_int_equal(patch_split(s, strlen(s), &ps), 0);
	assert_int_equal(ps.changelog_len, strlen(s));
	assert_int_equal(ps.diff_len, 0);
	assert_int_equal(patch_split("", 0, &ps), 0);
	assert_int_equal(diff_parse("", 0, &d), -1);
	assert_int_equal(diff_parse("@@ -1 +1 @@\n-a\n+b\n", 18, &d), -1);
	assert_null(d.files);
}

/* "--- a" + "+++ " + "@@ " starts a plain diff -u; CRLF lines are fine. */
static void test_split_plain_crlf(void **state)
{
	const char *s = "Fix it.\r\n"
			"\r\n"
			"--- a/x.c\r\n"
			"+++ b/x.c\r\n"
			"@@ -1,3 +1,3 @@ f()\r\n"
			" a\r\n"
			"\r\n"
			"-b\r\n"
			"+c\r\n"
			"-- \r\n"
			"sig\r\n";
	struct patch_split ps;
	struct diff d;
	char *diff = split_diff(s, &ps);

	(void)state;
	assert_int_equal(ps.changelog_len, strlen("Fix it.\r\n"));
	assert_true(ends_with(diff, "+c\r\n"));
	parse_ok(diff, &d);
	assert_file(&d.files[0], DIFF_MODIFIED, "x.c", "x.c");
	/* the empty line (a mangled " ") counted as context */
	assert_hunk(&d.files[0].hunks[0], 1, 3, 1, 3, "f()");
	diff_release(&d);
	free(diff);
}

static void test_pull_request_literal(void **state)
{
	char *url, *ref;

	(void)state;
	assert_int_equal(pull_request_find(
				 "Hi,\n\nThe following changes since commit "
				 "0123456789abcdef0123456789abcdef01234567:\n\n"
				 "  Linux 6.9 (2024-05-12 14:12:29 -0700)\n\n"
				 "are available in the Git repository at:\n\n"
				 "  git@example.org:linux.git for-linus\n\n"
				 "for you to fetch changes up to ...\n",
				 &url, &ref),
			 1);
	assert_string_equal(url, "git@example.org:linux.git");
	assert_string_equal(ref, "for-linus");
	free(url);
	free(ref);

	/* a URL wrapped in the middle is joined again */
	assert_int_equal(pull_request_find(
				 "The following changes since commit abc:\n"
				 "are available at:\n"
				 "  https://example.org/pub/scm/li\n"
				 "nux\n\n",
				 &url, &ref),
			 1);
	assert_string_equal(url, "https://example.org/pub/scm/linux");
	assert_null(ref);
	free(url);

	assert_int_equal(pull_request_find("are available in the git "
					   "repository at:\n  git://x/y z\n",
					   &url, &ref),
			 0);
	assert_int_equal(pull_request_find(
				 "The following changes since commit abc:\n"
				 "are available in the git repository at:\n"
				 "\n  not a url\n",
				 &url, &ref),
			 0);
	assert_null(url);
	assert_null(ref);
}

static void test_change_id(void **state)
{
	char *id;

	(void)state;
	id = change_id_find("Cover text.\n\n---\nbase-commit: abc\n"
			    "Change-Id:   20240610-topic-abc123  \n\nBest\n");
	assert_non_null(id);
	assert_string_equal(id, "20240610-topic-abc123");
	free(id);
	id = change_id_find("change-id: 20240101-x-0123abcd");
	assert_string_equal(id, "20240101-x-0123abcd");
	free(id);
	assert_null(change_id_find("change-id:\n> change-id: 1-2-3\n"));
	assert_null(change_id_find(""));
}

static void test_caps(void **state)
{
	struct buf_like {
		char *s;
		size_t len;
	} b = { 0 };
	size_t alloc = 1 << 22;
	struct diff d;
	size_t total = 0;

	(void)state;
	b.s = xmalloc(alloc);
	for (int i = 0; i < 10005; i++)
		b.len += (size_t)sprintf(b.s + b.len,
					 "diff --git a/f%d b/f%d\n"
					 "old mode 100644\nnew mode 100755\n",
					 i, i);
	parse_ok(b.s, &d);
	assert_int_equal(d.nr_files, 10000);
	assert_string_equal(d.files[9999].new_path, "f9999");
	diff_release(&d);

	b.len = (size_t)sprintf(b.s, "--- a/x\n+++ b/x\n");
	for (int i = 0; i < 100005; i++)
		b.len += (size_t)sprintf(b.s + b.len, "@@ -%d +%d @@\n-a\n+b\n",
					 i + 1, i + 1);
	parse_ok(b.s, &d);
	for (size_t i = 0; i < d.nr_files; i++)
		total += d.files[i].nr_hunks;
	assert_int_equal(total, 100000);
	diff_release(&d);
	free(b.s);
}

/* Every entry point on text; must not crash, leak or read out of bounds. */
static void poke(const char *text, size_t len)
{
	struct patch_split ps;
	struct diff d;
	char *url, *ref, *copy = xstrndup(text, len);

	if (patch_split(text, len, &ps)) {
		assert_true(ps.changelog_len <= ps.diff_start);
		assert_true(ps.diff_start + ps.diff_len <= len);
		if (!diff_parse(text + ps.diff_start, ps.diff_len, &d))
			diff_release(&d);
	}
	if (!diff_parse(text, len, &d)) {
		for (size_t i = 0; i < d.nr_files; i++)
			assert_true(d.files[i].old_path || d.files[i].new_path);
		diff_release(&d);
	}
	if (pull_request_find(copy, &url, &ref)) {
		free(url);
		free(ref);
	}
	free(change_id_find(copy));
	free(copy);
}

static void test_robustness(void **state)
{
	static const char *const starts[] = {
		"diff --git ", "diff --git \"", "diff --git a/", "@@ -",
		"@@ -1,99999999999999999999999 +1,", "--- ",
		"Index: ", "Binary files ", "rename from \"",
		"The following changes since commit x\nare available at:\n  ",
		"change-id: ", "diff -u ",
	};
	const size_t big = 1 << 20;
	char *buf = xmalloc(big + 64);
	unsigned seed = 12345;
	const char *sample = format_patch;

	(void)state;
	/* every truncation of a real patch */
	for (size_t n = 0; n <= strlen(sample); n++)
		poke(sample, n);
	/* random bytes, biased towards the characters diffs are made of */
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand_r(&seed) % 512);

		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed) % 16;

			buf[i] = r < 8 ? "-+@ \n\"\\d"[r] : (char)rand_r(&seed);
		}
		poke(buf, n);
	}
	/* one 1 MiB line after each kind of header start */
	for (size_t k = 0; k < sizeof(starts) / sizeof(*starts); k++) {
		size_t n = strlen(starts[k]);
		const char *fill = "a \"\\";

		for (int f = 0; f < 4; f++) {
			memcpy(buf, starts[k], n);
			memset(buf + n, fill[f], big - n);
			buf[big] = '\n';
			memcpy(buf + big + 1, "+++ b\n@@ -1 +1 @@\n", 18);
			poke(buf, big + 19);
		}
	}
	/* a 1 MiB unquoted name of two equal halves */
	memcpy(buf, "diff --git a/", 13);
	memset(buf + 13, 'x', big);
	memcpy(buf + 13 + big / 2, " b/", 3);
	poke(buf, 13 + big);
	free(buf);
}

/*
 * The patchwork corpus.  Skipped because their body needs MIME decoding
 * (the full pipeline test covers them): 0010 (quoted-printable), 0019 and
 * 0020 (multipart/alternative with an HTML part).  0007 is multipart too,
 * but 7bit text/plain parts, so its raw body serves.
 */
static char *corpus_body(const char *name)
{
	const char *dir = getenv("PATCHBOT_CORPORA");
	char path[4096];
	FILE *f;
	char *s, *body;
	long n;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/patchwork/mail/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open '%s'", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	s = xmalloc((size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	body = strstr(s, "\n\n");
	assert_non_null(body);
	body = xstrdup(body + 2);
	free(s);
	return body;
}

static void corpus_pull(const char *name, const char *want_url,
			const char *want_ref, bool has_diff)
{
	char *body = corpus_body(name), *url, *ref;
	struct patch_split ps;

	assert_int_equal(pull_request_find(body, &url, &ref), 1);
	assert_string_equal(url, want_url);
	assert_path(ref, want_ref);
	assert_int_equal(patch_split(body, strlen(body), &ps), has_diff);
	free(url);
	free(ref);
	free(body);
}

static void test_corpus_pull_requests(void **state)
{
	const char *benh = "git.kernel.org/pub/scm/linux/kernel/git/benh/"
			   "powerpc.git";
	char url[256];

	(void)state;
	snprintf(url, sizeof(url), "git://%s", benh);
	corpus_pull("0001-git-pull-request.mbox", url, "next", false);
	/* 0002 wraps "since commit\n<sha>" */
	corpus_pull("0002-git-pull-request-wrapped.mbox", url, "next", false);
	snprintf(url, sizeof(url), "git+ssh://%s", benh);
	corpus_pull("0004-git-pull-request-git+ssh.mbox", url, "next", false);
	snprintf(url, sizeof(url), "ssh://%s", benh);
	corpus_pull("0005-git-pull-request-ssh.mbox", url, "next", false);
	snprintf(url, sizeof(url), "http://%s", benh);
	corpus_pull("0006-git-pull-request-http.mbox", url, "next", false);
	/* no ref at all, a trailing blank after the URL */
	corpus_pull("0017-git-pull-request-git-2-14-3.mbox",
		    "git://git.kernel.org/pub/scm/linux/kernel/git/davem/net",
		    NULL, false);
	corpus_pull("0023-git-pull-request-newline-in-url.mbox",
		    "https://git.kernel.org/pub/scm/linux/kernel/git/"
		    "matthias.bgg/linux.git/",
		    "tags/v5.4-next-soc", false);
	corpus_pull("0024-git-pull-request-trailing-space.mbox",
		    "git://git.kernel.org/pub/scm/linux/kernel/git/nsekhar/"
		    "linux-davinci.git",
		    "tags/davinci-for-v5.6/soc", false);
}

static void test_corpus_pull_with_diff(void **state)
{
	char *body = corpus_body("0003-git-pull-request-with-diff.mbox");
	struct patch_split ps;
	struct diff d;
	char *diff;

	(void)state;
	corpus_pull("0003-git-pull-request-with-diff.mbox",
		    "git://git.kernel.org/pub/scm/linux/kernel/git/tip/"
		    "linux-2.6-tip.git",
		    "x86-fixes-for-linus", true);
	diff = split_diff(body, &ps);
	assert_true(starts_with(diff, "diff --git a/arch/x86/include/asm/smp.h"));
	/* neither the diffstat nor the list footer */
	assert_null(memmem(body, ps.changelog_len, "6 files changed", 15));
	assert_true(ps.changelog_len > 20);
	assert_memory_equal(body + ps.changelog_len - 13, "UP platforms\n", 13);
	assert_null(strstr(diff, "Linuxppc-dev mailing list"));
	parse_ok(diff, &d);
	assert_int_equal(d.nr_files, 3);
	assert_file(&d.files[0], DIFF_MODIFIED, "arch/x86/include/asm/smp.h",
		    "arch/x86/include/asm/smp.h");
	assert_hunk(&d.files[0].hunks[0], 40, 10, 40, 7,
		    "DECLARE_EARLY_PER_CPU(u16, x86_cpu_to_apicid);");
	assert_hunk(&d.files[2].hunks[0], 793, 13, 793, 21,
		    "void set_mtrr_aps_delayed_init(void)");
	diff_release(&d);
	free(diff);
	free(body);
}

/* Split and parse a corpus mail, returning the diff; checks it has no
 * signature and that the changelog does not run into the diff. */
static void corpus_diff(const char *name, struct diff *d)
{
	char *body = corpus_body(name), *diff, *url, *ref;
	struct patch_split ps;

	assert_int_equal(pull_request_find(body, &url, &ref), 0);
	diff = split_diff(body, &ps);
	assert_true(ps.changelog_len <= ps.diff_start);
	assert_null(strstr(diff, "\n-- \n"));
	parse_ok(diff, d);
	free(diff);
	free(body);
}

static void test_corpus_diffs(void **state)
{
	static const char *const plain[] = {
		"0012-invalid-header-char.mbox",
		"0013-with-utf8-body.mbox",
		"0014-with-unencoded-utf8-headers.mbox",
		"0015-with-invalid-utf8-headers.mbox",
		"0016-no-subject.mbox",
	};
	struct diff d;

	(void)state;
	corpus_diff("0007-cvs-format-diff.mbox", &d);
	assert_int_equal(d.nr_files, 3);
	assert_file(&d.files[0], DIFF_MODIFIED, "bfd/elf-bfd.h",
		    "bfd/elf-bfd.h");
	assert_file(&d.files[2], DIFF_MODIFIED, "bfd/elfxx-mips.c",
		    "bfd/elfxx-mips.c");
	assert_hunk(&d.files[2].hunks[0], 7260, 6, 7260, 7,
		    "_bfd_mips_elf_create_dynamic_sections (b");
	diff_release(&d);

	corpus_diff("0008-git-rename.mbox", &d);
	assert_int_equal(d.nr_files, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(d.files[i].status, DIFF_RENAMED);
		assert_int_equal(d.files[i].nr_hunks, 0);
	}
	assert_file(&d.files[0], DIFF_RENAMED,
		    "package/rpi-userland/rpi-userland-add-pkgconfig-files.patch",
		    "package/rpi-userland/rpi-userland-000-add-pkgconfig-files.patch");
	diff_release(&d);

	corpus_diff("0009-git-rename-with-diff.mbox", &d);
	assert_int_equal(d.nr_files, 2);
	assert_int_equal(d.files[0].status, DIFF_RENAMED);
	assert_int_equal(d.files[1].status, DIFF_RENAMED);
	assert_int_equal(d.files[0].nr_hunks, 1);
	assert_hunk(&d.files[0].hunks[0], 100, 7, 100, 7, "");
	assert_int_equal(d.files[1].nr_hunks, 0);
	diff_release(&d);

	corpus_diff("0011-no-newline-at-end-of-file.mbox", &d);
	assert_int_equal(d.nr_files, 3);
	assert_file(&d.files[1], DIFF_ADDED, NULL,
		    "tools/testing/selftests/powerpc/vphn/vphn.c");
	assert_hunk(&d.files[1].hunks[0], 0, 0, 1, 1, "");
	assert_file(&d.files[2], DIFF_ADDED, NULL,
		    "tools/testing/selftests/powerpc/vphn/vphn.h");
	diff_release(&d);

	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++) {
		corpus_diff(plain[i], &d);
		assert_true(d.nr_files >= 1);
		diff_release(&d);
	}

	corpus_diff("0021-git-empty-new-file.mbox", &d);
	assert_int_equal(d.nr_files, 1);
	assert_file(&d.files[0], DIFF_ADDED, NULL, "banana");
	assert_int_equal(d.files[0].nr_hunks, 0);
	diff_release(&d);

	corpus_diff("0022-git-mode-change.mbox", &d);
	assert_int_equal(d.nr_files, 1);
	assert_file(&d.files[0], DIFF_MODIFIED, "scripts/kconfig/nconf-cfg.sh",
		    "scripts/kconfig/nconf-cfg.sh");
	assert_true(d.files[0].mode_change);
	assert_int_equal(d.files[0].nr_hunks, 0);
	diff_release(&d);
}

static void test_corpus_binary(void **state)
{
	struct diff d;

	(void)state;
	corpus_diff("0025-git-add-binary-file.mbox", &d);
	assert_int_equal(d.nr_files, 1);
	assert_file(&d.files[0], DIFF_ADDED, NULL, "pixel.bmp");
	assert_true(d.files[0].binary);
	diff_release(&d);

	corpus_diff("0026-git-add-mixed-binary-text-files.mbox", &d);
	assert_int_equal(d.nr_files, 2);
	assert_file(&d.files[0], DIFF_ADDED, NULL, "pixel.bmp");
	assert_true(d.files[0].binary);
	assert_file(&d.files[1], DIFF_ADDED, NULL, "quit.sh");
	assert_false(d.files[1].binary);
	assert_int_equal(d.files[1].nr_hunks, 1);
	assert_hunk(&d.files[1].hunks[0], 0, 0, 1, 3, "");
	diff_release(&d);

	corpus_diff("0027-git-modify-binary-file.mbox", &d);
	assert_int_equal(d.nr_files, 1);
	assert_file(&d.files[0], DIFF_MODIFIED, "pixel.bmp", "pixel.bmp");
	assert_true(d.files[0].binary);
	diff_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modified_hunks_and_func),
		cmocka_unit_test(test_new_and_deleted),
		cmocka_unit_test(test_empty_new_file_and_mode_change),
		cmocka_unit_test(test_rename_and_copy),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_quoted_paths),
		cmocka_unit_test(test_no_prefix),
		cmocka_unit_test(test_plain_unified),
		cmocka_unit_test(test_cvs_index),
		cmocka_unit_test(test_split_format_patch),
		cmocka_unit_test(test_split_dash_line_at_hunk_end),
		cmocka_unit_test(test_split_no_separator),
		cmocka_unit_test(test_split_none),
		cmocka_unit_test(test_split_plain_crlf),
		cmocka_unit_test(test_pull_request_literal),
		cmocka_unit_test(test_change_id),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_robustness),
		cmocka_unit_test(test_corpus_pull_requests),
		cmocka_unit_test(test_corpus_pull_with_diff),
		cmocka_unit_test(test_corpus_diffs),
		cmocka_unit_test(test_corpus_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
