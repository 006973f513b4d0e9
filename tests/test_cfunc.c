/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cfunc: finding C function definitions, and attributing a patch's
 * changed lines to them, including where lei's dfhh: goes wrong (a hunk
 * starting at a function's own signature, a hunk spanning two functions).
 * The diffs are made by libgit2 from before/after texts, as git would.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfunc.h"
#include "testutil.h"
#include "touched.h"
#include "util.h"

/* "name name ..." of the definitions in text. */
static char *names(const char *text, unsigned flags)
{
	struct cfunc_list l = { 0 };
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	cfunc_scan(text, strlen(text), flags, &l);
	for (size_t i = 0; i < l.nr; i++)
		buf_addf(&b, "%s%s", i ? " " : "", l.v[i].name);
	cfunc_list_release(&l);
	return buf_detach(&b, NULL);
}

static void expect_names(const char *text, unsigned flags, const char *want)
{
	char *got = names(text, flags);

	assert_string_equal(got, want);
	free(got);
}

static void test_definitions(void **state)
{
	(void)state;
	/* a header: macros, static inline, prototypes, pointers, initialisers */
	expect_names("#ifndef X_H\n#define X_H\n"
		     "#define MAX(a, b) ((a) > (b) ? (a) : (b))\n"
		     "#define LOCKED(x) do { \\\n\tlock(x); \\\n} while (0)\n"
		     "static inline int page_count(struct page *p)\n{\n\treturn p->count;\n}\n"
		     "extern int proto(int);\n"
		     "int __must_check other(void) __attribute__((cold));\n"
		     "struct ops { int (*fn)(int); void (*g)(void); };\n"
		     "static const struct ops o = { .fn = proto, .g = make(1) };\n"
		     "int (*hook)(int) = NULL;\n"
		     "static void (*handlers[4])(void);\n"
		     "DEFINE_MUTEX(lock);\n"
		     "EXPORT_SYMBOL(page_count);\n"
		     "#endif\n", 0, "page_count");
	/* K&R, annotations, strings and comments with braces */
	expect_names("int knr(a, b)\nint a;\nchar *b;\n{\n\treturn a;\n}\n"
		     "void locked(void) __acquires(l)\n{\n\tputs(\"}\");\n\t/* } */\n}\n"
		     "static int\nsplit_sig(int a,\n\t  int b)\n{\n\treturn '}';\n}\n",
		     0, "knr locked split_sig");
	/* a macro without ";" before a definition */
	expect_names("EXPORT_SYMBOL_GPL(x)\nstatic int after(void)\n{\n}\n", 0, "after");
	/* in a fragment, calls with blocks are no definitions */
	expect_names("\tlist_for_each_entry(p, h, l) {\n\t\tfoo(p);\n\t}\n}\n"
		     "static int fresh(void)\n{\n\treturn 0;\n}\n",
		     CFUNC_FRAGMENT, "fresh");
}

static void test_lines(void **state)
{
	const char *text = "/**\n * alpha - doc\n */\nstatic int\nalpha(void)\n{\n}\n"
			   "\nint beta(void) { return 0; }\n";
	struct cfunc_list l = { 0 };

	(void)state;
	cfunc_scan(text, strlen(text), 0, &l);
	assert_int_equal(l.nr, 2);
	assert_int_equal(l.v[0].doc, 1);
	assert_int_equal(l.v[0].start, 4);
	assert_int_equal(l.v[0].name_line, 5);
	assert_int_equal(l.v[0].end, 7);
	assert_null(cfunc_at(&l, 8));
	assert_string_equal(cfunc_at(&l, 2)->name, "alpha");
	assert_string_equal(cfunc_at(&l, 9)->name, "beta");
	cfunc_list_release(&l);
	{
		char *n = cfunc_from_context("static vm_fault_t filemap_fault(struct vm_fault *vmf)");

		assert_string_equal(n, "filemap_fault");
		free(n);
		assert_null(cfunc_from_context("struct foo {"));
		assert_null(cfunc_from_context("if (x)"));
	}
}

static const char pre[] =
	"#include <linux/mm.h>\n"      /* 1 */
	"\n"
	"static int alpha(int a)\n"    /* 3 */
	"{\n"
	"\treturn a + 1;\n"            /* 5 */
	"}\n"
	"\n"
	"static int beta(int b)\n"     /* 8 */
	"{\n"
	"\treturn b * 2;\n"            /* 10 */
	"}\n"
	"\n"
	"static int gamma(int c)\n"    /* 13 */
	"{\n"
	"\tint x = c;\n"
	"\n"
	"\tx += 1;\n"                  /* 17 */
	"\tx += 2;\n"
	"\tx += 3;\n"
	"\tx += 4;\n"
	"\treturn x;\n"
	"}\n";

/* The diff of pre -> post for mm/f.c, as git writes it; new string. */
static char *make_diff(const char *old, const char *new)
{
	git_patch *p = NULL;
	git_buf out = { 0 };
	char *r;

	assert_int_equal(git_patch_from_buffers(&p, old, strlen(old), "mm/f.c", new,
						strlen(new), "mm/f.c", NULL), 0);
	assert_int_equal(git_patch_to_buf(&out, p), 0);
	r = xstrdup(out.ptr);
	git_buf_dispose(&out);
	git_patch_free(p);
	return r;
}

/* pre with line n (1-based) replaced by repl (NULL: removed, with the
 * lines up to and including line last) */
static char *edit(const char *text, int n, int last, const char *repl)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	const char *p = text;

	for (int i = 1; *p; i++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);

		if (i == n && repl)
			buf_adds(&b, repl);
		if (i < n || i > last)
			buf_add(&b, p, len);
		p += len;
	}
	return buf_detach(&b, NULL);
}

static const char *tree_text;

static int preimage(const char *path, struct buf *out, void *payload)
{
	(void)payload;
	if (!tree_text || strcmp(path, "mm/f.c"))
		return 0;
	buf_adds(out, tree_text);
	return 1;
}

/* The functions a diff of pre -> post touches, seen with tree as pre-image. */
static char *funcs_of(const char *post, const char *tree)
{
	char *diff = make_diff(pre, post);
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	struct touched t;

	tree_text = tree;
	assert_int_equal(touched_parse(&t, diff, strlen(diff)), 0);
	assert_int_equal(t.nr_files, 1);
	touched_funcs(&t, 0, preimage, NULL);
	for (size_t i = 0; i < t.files[0].funcs.nr; i++)
		buf_addf(&b, "%s%s", i ? " " : "", t.files[0].funcs.v[i]);
	touched_release(&t);
	free(diff);
	return buf_detach(&b, NULL);
}

static void expect_funcs(const char *post, const char *tree, const char *want)
{
	char *got = funcs_of(post, tree);

	if (strcmp(got, want))
		print_error("functions: got '%s', want '%s'\n", got, want);
	assert_string_equal(got, want);
	free(got);
}

static void test_attribution(void **state)
{
	char *post, *moved = xasprintf("/* a */\n/* b */\n/* c */\n%s", pre);
	char *diff;

	(void)state;
	/* a hunk starting at beta's own signature: its header says alpha */
	post = edit(pre, 8, 8, "static int beta(long b)\n");
	diff = make_diff(pre, post);
	assert_non_null(strstr(diff, "@@ static int alpha(int a)"));
	free(diff);
	expect_funcs(post, pre, "beta");
	expect_funcs(post, NULL, "beta");      /* the hunk's own lines show it too */
	expect_funcs(post, moved, "beta");     /* the tree moved on: found nearby */
	free(post);

	/* one hunk spanning alpha and beta names both */
	post = edit(pre, 5, 5, "\treturn a + 2;\n");
	{
		char *p2 = edit(post, 10, 10, "\treturn b * 3;\n");

		expect_funcs(p2, pre, "alpha beta");
		expect_funcs(p2, moved, "alpha beta");
		free(p2);
	}
	free(post);

	/* a new function between beta and gamma: only its name */
	post = edit(pre, 13, 12, "static int delta(void)\n{\n\treturn 0;\n}\n\n");
	expect_funcs(post, pre, "delta");
	free(post);

	/* a deleted function */
	post = edit(pre, 8, 12, NULL);
	expect_funcs(post, pre, "beta");
	free(post);

	/* deep inside gamma, not in the tree: the hunk header says gamma */
	post = edit(pre, 18, 18, "\tx += 20;\n");
	expect_funcs(post, NULL, "gamma");
	expect_funcs(post, pre, "gamma");
	free(post);

	/* a tree whose file does not fit the hunk at all: the header again */
	post = edit(pre, 18, 18, "\tx += 20;\n");
	expect_funcs(post, "int unrelated(void)\n{\n}\n", "gamma");
	free(post);

	/* a global variable between functions belongs to none */
	post = edit(pre, 12, 12, "\nstatic int counter;\n");
	expect_funcs(post, pre, "");
	free(post);
	free(moved);
}

static void test_renames(void **state)
{
	const char *diff =
		"diff --git a/kernel/old.c b/kernel/new.c\n"
		"similarity index 90%\n"
		"rename from kernel/old.c\n"
		"rename to kernel/new.c\n"
		"--- a/kernel/old.c\n"
		"+++ b/kernel/new.c\n"
		"@@ -1,3 +1,3 @@ int f(void)\n"
		" a\n"
		"-b\n"
		"+c\n"
		" d\n";
	struct touched t;

	(void)state;
	assert_int_equal(touched_parse(&t, diff, strlen(diff)), 0);
	assert_string_equal(t.files[0].old_path, "kernel/old.c");
	assert_string_equal(t.files[0].new_path, "kernel/new.c");
	assert_non_null(t.files[0].hunks[0].body);
	touched_funcs(&t, 0, NULL, NULL);
	assert_int_equal(t.files[0].funcs.nr, 1);
	assert_string_equal(t.files[0].funcs.v[0], "f");
	touched_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_definitions),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_attribution),
		cmocka_unit_test(test_renames),
	};

	git_libgit2_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
