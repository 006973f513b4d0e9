/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_template: the reply renderer, its syntax, its errors and its limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "template.h"
#include "util.h"

/* Render tpl with v and expect exactly want. */
static void expect_render(const char *tpl, const struct tvars *v,
			  const char *want)
{
	struct buf out = BUF_INIT(BUF_NOLIMIT), err = BUF_INIT(BUF_NOLIMIT);
	int ret = template_render(tpl, strlen(tpl), v, &out, &err);

	if (ret)
		fail_msg("rendering '%s' failed: %s", tpl, err.s);
	assert_string_equal(out.s, want);
	assert_int_equal(err.len, 0);
	buf_release(&out);
	buf_release(&err);
}

/* Render tpl with v and expect it to fail with exactly want. */
static void expect_render_error(const char *tpl, const struct tvars *v,
				const char *want)
{
	struct buf out = BUF_INIT(BUF_NOLIMIT), err = BUF_INIT(BUF_NOLIMIT);

	buf_adds(&out, "kept");
	assert_int_equal(template_render(tpl, strlen(tpl), v, &out, &err), -1);
	assert_string_equal(err.s, want);
	/* A failed render leaves the output as it was. */
	assert_string_equal(out.s, "kept");
	buf_release(&out);
	buf_release(&err);
}

static void expect_check_error(const char *tpl, const struct tschema *schema,
			       const char *want)
{
	struct buf err = BUF_INIT(BUF_NOLIMIT);

	assert_int_equal(template_check(tpl, strlen(tpl), schema, &err), -1);
	assert_string_equal(err.s, want);
	buf_release(&err);
}

static void expect_check_ok(const char *tpl, const struct tschema *schema)
{
	struct buf err = BUF_INIT(BUF_NOLIMIT);

	if (template_check(tpl, strlen(tpl), schema, &err))
		fail_msg("checking '%s' failed: %s", tpl, err.s);
	buf_release(&err);
}

static void test_variables(void **state)
{
	struct tvars *v = tvars_new();

	(void)state;
	tvars_set(v, "name", "Ada");
	tvars_setf(v, "n", "%d patches", 3);
	tvars_set(v, "dotted.name-x_1", "ok");
	tvars_set(v, "empty", NULL);
	expect_render("", v, "");
	expect_render("no tags\n", v, "no tags\n");
	expect_render("Hello {{name}}, {{n}}.", v, "Hello Ada, 3 patches.");
	expect_render("{{ name }}{{\tname\t}}{{name }}", v, "AdaAdaAda");
	expect_render("[{{dotted.name-x_1}}][{{empty}}]", v, "[ok][]");
	/* Plain-text mail: nothing is escaped. */
	tvars_set(v, "html", "<a href=\"x\">&amp;</a>");
	expect_render("{{html}}", v, "<a href=\"x\">&amp;</a>");
	/* Setting again replaces, even across types. */
	tvars_set(v, "name", "Grace");
	expect_render("{{name}}", v, "Grace");
	tvars_set_bool(v, "name", true);
	expect_render_error("{{name}}", v, "line 1: 'name' is a bool, not text");
	tvars_add_item(v, "name");
	expect_render_error("{{name}}", v, "line 1: 'name' is a list, not text");
	tvars_set(v, "name", "back");
	expect_render("{{name}}", v, "back");
	/* Lone braces are text. */
	expect_render("{ } }} {x} {{name}}}", v, "{ } }} {x} back}");
	tvars_free(v);
}

static void test_bad_names_ignored(void **state)
{
	struct tvars *v = tvars_new();
	struct tvars *item;

	(void)state;
	tvars_set(v, "a b", "x");
	tvars_set(v, "", "x");
	tvars_set_bool(v, "a{", true);
	tvars_set_list(v, "é");
	/* The caller still gets an item to fill, and nothing leaks. */
	item = tvars_add_item(v, "no/slash");
	assert_non_null(item);
	tvars_set(item, "x", "y");
	expect_render("ok", v, "ok");
	tvars_free(v);
	tvars_free(NULL);
}

static void test_sections(void **state)
{
	struct tvars *v = tvars_new();
	struct tvars *it;

	(void)state;
	tvars_set_bool(v, "yes", true);
	tvars_set_bool(v, "no", false);
	tvars_set(v, "full", "text");
	tvars_set(v, "empty", "");
	tvars_set_list(v, "none");
	for (int i = 1; i <= 3; i++) {
		it = tvars_add_item(v, "items");
		tvars_setf(it, "i", "%d", i);
	}
	expect_render("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}", v, "Y");
	expect_render("{{^yes}}Y{{/yes}}{{^no}}N{{/no}}", v, "N");
	expect_render("{{#full}}[{{full}}]{{/full}}{{#empty}}E{{/empty}}", v,
		      "[text]");
	expect_render("{{^full}}F{{/full}}{{^empty}}E{{/empty}}", v, "E");
	expect_render("{{#items}}<{{i}}>{{/items}}", v, "<1><2><3>");
	expect_render("{{^items}}none{{/items}}", v, "");
	expect_render("{{#none}}x{{/none}}{{^none}}no items{{/none}}", v,
		      "no items");
	expect_render("{{# items }}{{ i }}{{/ items }}", v, "123");
	expect_render("a{{! a comment }}b{{!}}c{{!{{ not a tag}}d", v, "abcd");
	expect_render("a{{! spans\nlines }}b", v, "ab");
	/* The same name may open sections one after the other. */
	expect_render("{{#yes}}1{{/yes}}{{#yes}}2{{/yes}}", v, "12");
	tvars_free(v);
}

static void test_standalone_lines(void **state)
{
	struct tvars *v = tvars_new();
	struct tvars *it;

	(void)state;
	tvars_set(v, "name", "Ada");
	it = tvars_add_item(v, "items");
	tvars_set(it, "title", "one");
	it = tvars_add_item(v, "items");
	tvars_set(it, "title", "two");
	tvars_set_list(v, "none");
	tvars_set_bool(v, "yes", true);

	expect_render("Hello {{name}},\n\n{{#items}}\n- {{title}}\n{{/items}}\n\nBye\n",
		      v, "Hello Ada,\n\n- one\n- two\n\nBye\n");
	/* An empty list leaves no blank line either. */
	expect_render("a\n{{#none}}\n- {{x}}\n{{/none}}\nb\n", v, "a\nb\n");
	/* Indented, with trailing blanks, comments, CRLF, at the end. */
	expect_render("a\n  {{#yes}}  \nb\n\t{{/yes}}\n", v, "a\nb\n");
	expect_render("a\n{{! note }}\nb\n", v, "a\nb\n");
	expect_render("a\r\n{{#yes}}\r\nb\r\n{{/yes}}\r\n", v, "a\r\nb\r\n");
	expect_render("a\n{{#yes}}\nb\n{{/yes}}", v, "a\nb\n");
	expect_render("{{#yes}}\nfirst\n{{/yes}}\n", v, "first\n");
	/* A multi-line comment alone on its lines goes too. */
	expect_render("a\n{{! one\ntwo }}\nb\n", v, "a\nb\n");
	/* Not alone: text or another tag on the line keeps the line. */
	expect_render("x {{#yes}}\ny\n{{/yes}} z\n", v, "x \ny\n z\n");
	expect_render("{{#yes}}{{/yes}}\nb\n", v, "\nb\n");
	expect_render("{{name}}\n{{#yes}}\nb\n{{/yes}}\n", v, "Ada\nb\n");
	/* Variables are never standalone. */
	expect_render("a\n{{name}}\nb\n", v, "a\nAda\nb\n");
	/* A section closed on its own line after inline content. */
	expect_render("{{#items}}- {{title}}\n{{/items}}", v, "- one\n- two\n");
	tvars_free(v);
}

static void test_scopes(void **state)
{
	struct tvars *v = tvars_new();
	struct tvars *s, *p;

	(void)state;
	tvars_set(v, "project", "git");
	tvars_set(v, "who", "outer");
	for (int i = 1; i <= 2; i++) {
		s = tvars_add_item(v, "series");
		tvars_setf(s, "title", "series %d", i);
		tvars_set_bool(s, "applied", i == 2);
		for (int j = 1; j <= 2; j++) {
			p = tvars_add_item(s, "patches");
			tvars_setf(p, "n", "%d/%d", j, 2);
			if (j == 2)
				tvars_set(p, "who", "inner");
		}
	}
	expect_render("{{#series}}"
		      "{{title}} ({{project}}){{#applied}} applied{{/applied}}\n"
		      "{{#patches}}"
		      "  {{n}} of {{title}} in {{project}} by {{who}}\n"
		      "{{/patches}}"
		      "{{/series}}",
		      v,
		      "series 1 (git)\n"
		      "  1/2 of series 1 in git by outer\n"
		      "  2/2 of series 1 in git by inner\n"
		      "series 2 (git) applied\n"
		      "  1/2 of series 2 in git by outer\n"
		      "  2/2 of series 2 in git by inner\n");
	/* An item's name hides the outer one only inside that item. */
	expect_render("{{#series}}{{#patches}}{{who}},{{/patches}}{{/series}}{{who}}",
		      v, "outer,inner,outer,inner,outer");
	/* A name of the item is not visible after the section. */
	expect_render_error("{{#series}}{{/series}}{{title}}", v,
			    "line 1: template names unknown variable 'title'");
	tvars_free(v);
}

static void test_unknown_variables(void **state)
{
	struct tvars *v = tvars_new();

	(void)state;
	tvars_set(v, "a", "x");
	expect_render_error("ok\n{{a}} {{b}}", v,
			    "line 2: template names unknown variable 'b'");
	expect_render_error("{{#b}}{{/b}}", v,
			    "line 1: template names unknown variable 'b'");
	expect_render_error("{{^b}}{{/b}}", v,
			    "line 1: template names unknown variable 'b'");
	/* Even inside a section that is not shown, nothing is checked... */
	tvars_set_bool(v, "off", false);
	expect_render("{{#off}}{{b}}{{/off}}", v, "");
	/* ...which is what template_check() is for. */
	expect_render_error("{{x}}", NULL,
			    "line 1: template names unknown variable 'x'");
	expect_render("plain", NULL, "plain");
	tvars_free(v);
}

static void test_syntax_errors(void **state)
{
	struct tvars *v = tvars_new();
	struct buf tpl = BUF_INIT(BUF_NOLIMIT);

	(void)state;
	tvars_set_list(v, "patches");
	tvars_set_list(v, "a");
	tvars_set_list(v, "b");
	tvars_set(v, "x", "x");
	expect_render_error("Hi\n\n\n{{#patches}}\n- x\n", v,
			    "line 4: section 'patches' is not closed");
	expect_render_error("{{#a}}\n{{#b}}\n{{/a}}\n", v,
			    "line 3: end tag 'a' does not match section 'b' of line 2");
	expect_render_error("a\nb\n{{/x}}\n", v,
			    "line 3: end tag 'x' has no section to close");
	expect_render_error("a\n{{x}}\nb {{x\nc\n", v,
			    "line 3: tag '{{' is not closed");
	expect_render_error("{{", v, "line 1: tag '{{' is not closed");
	expect_render_error("{{!", v, "line 1: tag '{{' is not closed");
	expect_render_error("x\n{{}}", v, "line 2: tag '{{}}' names no variable");
	expect_render_error("{{ # }}", v,
			    "line 1: tag '{{ # }}' names no variable");
	expect_render_error("{{a b}}", v, "line 1: bad variable name 'a b'");
	expect_render_error("{{{x}}}", v, "line 1: '{{{' tags are not supported");
	expect_render_error("{{>part}}", v,
			    "line 1: '{{>' tags are not supported");
	expect_render_error("{{&x}}", v, "line 1: '{{&' tags are not supported");
	expect_render_error("{{=<% %>=}}", v,
			    "line 1: '{{=' tags are not supported");
	/* Long names are quoted only in part. */
	expect_render_error("{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}",
			    v,
			    "line 1: template names unknown variable "
			    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'");
	/* Line numbers count newlines inside tags and after standalone ones. */
	expect_render_error("{{! a\nb\nc }}\n{{#a}}\nx\n{{/a}}\n{{y}}\n", v,
			    "line 7: template names unknown variable 'y'");

	/* 32 nested sections are fine, 33 are not. */
	for (int i = 0; i < 32; i++)
		buf_adds(&tpl, "{{#a}}");
	for (int i = 0; i < 32; i++)
		buf_adds(&tpl, "{{/a}}");
	expect_render(tpl.s, v, "");
	buf_reset(&tpl);
	for (int i = 0; i < 33; i++)
		buf_adds(&tpl, "{{^a}}\n");
	expect_render_error(tpl.s, v,
			    "line 33: sections are nested more than 32 deep");
	buf_release(&tpl);
	tvars_free(v);
}

/* Templates are bytes with a length: a NUL is text, never an end. */
static void test_nul_bytes(void **state)
{
	struct tvars *v = tvars_new();
	struct buf out = BUF_INIT(BUF_NOLIMIT), err = BUF_INIT(BUF_NOLIMIT);

	(void)state;
	tvars_set(v, "x", "X");
	assert_int_equal(template_render("a\0b{{ x }}", 10, v, &out, &err), 0);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.s, "a\0bX", 4);
	/* ...and not a name character, nor a tag sigil. */
	assert_int_equal(template_render("{{\0x}}", 7, v, &out, &err), -1);
	assert_true(starts_with(err.s, "line 1: bad variable name '"));
	buf_reset(&err);
	assert_int_equal(template_render("{{x\0}}", 7, v, &out, &err), -1);
	assert_int_equal(out.len, 4);
	buf_release(&out);
	buf_release(&err);
	tvars_free(v);
}

static void test_output_cap(void **state)
{
	struct tvars *v = tvars_new();
	struct buf out = BUF_INIT(10), err = BUF_INIT(BUF_NOLIMIT);
	const char *tpl = "{{#l}}{{x}}{{/l}}";

	(void)state;
	tvars_set(v, "x", "abc");
	for (int i = 0; i < 3; i++)
		tvars_add_item(v, "l");
	/* 9 bytes fit under a cap of 10... */
	assert_int_equal(template_render(tpl, strlen(tpl), v, &out, &err), 0);
	assert_string_equal(out.s, "abcabcabc");
	/* ...and appending 9 more does not, leaving out untouched. */
	assert_int_equal(template_render(tpl, strlen(tpl), v, &out, &err), -1);
	assert_string_equal(err.s, "the rendered text is over 10 bytes");
	assert_string_equal(out.s, "abcabcabc");
	buf_reset(&err);
	/* Plain text past the cap, too. */
	buf_reset(&out);
	assert_int_equal(template_render("0123456789A", 11, v, &out, &err), -1);
	assert_string_equal(err.s, "the rendered text is over 10 bytes");
	assert_int_equal(out.len, 0);
	buf_release(&out);
	buf_release(&err);
	tvars_free(v);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_big_list(void **state)
{
	const char *tpl = "Series {{title}}:\n"
			  "{{#patches}}\n"
			  "[{{n}}/{{total}}] {{subject}} ({{title}})\n"
			  "{{/patches}}\n"
			  "{{^patches}}\nnone\n{{/patches}}\n";
	struct tvars *v = tvars_new();
	struct buf out = BUF_INIT(BUF_NOLIMIT), err = BUF_INIT(BUF_NOLIMIT);
	double t0 = seconds();
	char line[100];

	(void)state;
	tvars_set(v, "title", "big");
	tvars_set(v, "total", "10000");
	for (int i = 1; i <= 10000; i++) {
		struct tvars *p = tvars_add_item(v, "patches");

		tvars_setf(p, "n", "%d", i);
		tvars_setf(p, "subject", "patch number %d", i);
	}
	assert_int_equal(template_render(tpl, strlen(tpl), v, &out, &err), 0);
	/*
	 * Generous even for a sanitizer build; quadratic would be minutes.
	 * Not under valgrind (tests/valgrind.sh), ~50 times slower: there
	 * only memory errors count.
	 */
	if (!getenv("PATCHBOT_VALGRIND_QUICK"))
		assert_true(seconds() - t0 < 2.0);
	assert_true(starts_with(out.s, "Series big:\n"
					"[1/10000] patch number 1 (big)\n"));
	snprintf(line, sizeof(line), "[%d/%d] patch number %d (big)\n",
		 10000, 10000, 10000);
	assert_string_equal(out.s + out.len - strlen(line), line);
	buf_release(&out);
	buf_release(&err);
	tvars_free(v);
}

static void test_runaway(void **state)
{
	struct tvars *v = tvars_new();
	struct buf tpl = BUF_INIT(BUF_NOLIMIT), out = BUF_INIT(BUF_NOLIMIT),
		   err = BUF_INIT(BUF_NOLIMIT);

	(void)state;
	/* Each level repeats the outer list again: 10^32 empty passes. */
	for (int i = 0; i < 10; i++)
		tvars_add_item(v, "l");
	for (int i = 0; i < 32; i++)
		buf_adds(&tpl, "{{#l}}");
	for (int i = 0; i < 32; i++)
		buf_adds(&tpl, "{{/l}}");
	assert_int_equal(template_render(tpl.s, tpl.len, v, &out, &err), -1);
	assert_true(strstr(err.s, "steps to render") != NULL);
	buf_reset(&err);
	/* Two levels of a long list with an empty body: items count too. */
	for (int i = 0; i < 5000; i++)
		tvars_add_item(v, "l");
	assert_int_equal(template_render("{{#l}}{{#l}}{{/l}}{{/l}}", 24, v,
					 &out, &err), -1);
	assert_true(strstr(err.s, "steps to render") != NULL);
	buf_release(&tpl);
	buf_release(&out);
	buf_release(&err);
	tvars_free(v);
}

static const struct tschema patch_schema[] = {
	{ "n", TS_TEXT, NULL },
	{ "subject", TS_TEXT, NULL },
	{ "trailers", TS_LIST, NULL },
	{ NULL, TS_TEXT, NULL },
};

static const struct tschema series_schema[] = {
	{ "title", TS_TEXT, NULL },
	{ "applied", TS_BOOL, NULL },
	{ "patches", TS_LIST, patch_schema },
	{ NULL, TS_TEXT, NULL },
};

static void test_check(void **state)
{
	const char *good = "Series {{title}}\n"
			   "{{! the patches }}\n"
			   "{{#patches}}\n"
			   "{{n}} {{subject}} of {{title}}\n"
			   "{{#trailers}}x{{/trailers}}\n"
			   "{{/patches}}\n"
			   "{{^patches}}none{{/patches}}\n"
			   "{{#applied}}applied{{/applied}}{{^applied}}no{{/applied}}\n"
			   "{{#title}}{{title}}{{/title}}\n";

	(void)state;
	expect_check_ok(good, series_schema);
	expect_check_ok("no tags", series_schema);
	expect_check_ok("", NULL);
	expect_check_error("a\nb\n{{#patchs}}{{/patchs}}", series_schema,
			   "line 3: unknown variable 'patchs'");
	expect_check_error("{{title}}\n{{titel}}", series_schema,
			   "line 2: unknown variable 'titel'");
	/* An item's names are visible only inside its section. */
	expect_check_error("{{#patches}}{{/patches}}\n{{subject}}", series_schema,
			   "line 2: unknown variable 'subject'");
	/* Inverted sections do not open the item's scope. */
	expect_check_error("{{^patches}}{{subject}}{{/patches}}", series_schema,
			   "line 1: unknown variable 'subject'");
	expect_check_error("{{applied}}", series_schema,
			   "line 1: 'applied' is a bool, not text");
	expect_check_error("\n{{patches}}", series_schema,
			   "line 2: 'patches' is a list, not text");
	expect_check_error("{{#patches}}{{trailers}}{{/patches}}", series_schema,
			   "line 1: 'trailers' is a list, not text");
	expect_check_error("{{#patches}}\n{{n}}\n", series_schema,
			   "line 1: section 'patches' is not closed");
	expect_check_error("{{#patches}}{{/title}}", series_schema,
			   "line 1: end tag 'title' does not match section 'patches' of line 1");
	expect_check_error("{{x}}", NULL, "line 1: unknown variable 'x'");
}

/* A temporary folder holding one template; removed by the caller. */
static char *make_dir(void)
{
	char *dir = xstrdup("/tmp/test_template.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void write_file(const char *dir, const char *name, const char *s,
		       size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void remove_file(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	unlink(path);
	free(path);
}

static void test_render_file(void **state)
{
	char *dir = make_dir();
	struct tvars *v = tvars_new();
	struct buf out = BUF_INIT(BUF_NOLIMIT), err = BUF_INIT(BUF_NOLIMIT);
	struct buf want = BUF_INIT(BUF_NOLIMIT);
	char *big;

	(void)state;
	tvars_set(v, "name", "Ada");
	write_file(dir, "hello.txt", "Hello {{name}}\n", 15);
	write_file(dir, "bad.txt", "x\n{{#name}}\n", 12);
	assert_int_equal(template_render_file(dir, "hello.txt", v, &out, &err), 0);
	assert_string_equal(out.s, "Hello Ada\n");
	assert_int_equal(err.len, 0);

	assert_int_equal(template_render_file(dir, "bad.txt", v, &out, &err), -1);
	assert_string_equal(err.s,
			    "template 'bad.txt': line 2: section 'name' is not closed");
	assert_string_equal(out.s, "Hello Ada\n");
	buf_reset(&err);

	assert_int_equal(template_render_file(dir, "missing", v, &out, &err), -1);
	buf_addf(&want, "cannot read template 'missing' in '%s': No such file or directory",
		 dir);
	assert_string_equal(err.s, want.s);
	buf_reset(&err);

	/* Only plain names in the folder itself. */
	assert_int_equal(template_render_file(dir, "../etc/passwd", v, &out, &err), -1);
	assert_string_equal(err.s, "bad template name '../etc/passwd'");
	buf_reset(&err);
	assert_int_equal(template_render_file(dir, ".hidden", v, &out, &err), -1);
	assert_string_equal(err.s, "bad template name '.hidden'");
	buf_reset(&err);
	assert_int_equal(template_render_file(dir, "", v, &out, &err), -1);
	assert_string_equal(err.s, "bad template name ''");
	buf_reset(&err);
	assert_int_equal(template_render_file("/", "tmp", v, &out, &err), -1);
	assert_string_equal(err.s, "cannot read template 'tmp' in '/': Is a directory");
	buf_reset(&err);

	/* 256 KiB is the most; one byte more is refused. */
	big = xmalloc(TEMPLATE_MAX_FILE + 1);
	memset(big, 'x', TEMPLATE_MAX_FILE + 1);
	write_file(dir, "big", big, TEMPLATE_MAX_FILE);
	buf_reset(&out);
	assert_int_equal(template_render_file(dir, "big", v, &out, &err), 0);
	assert_int_equal(out.len, TEMPLATE_MAX_FILE);
	write_file(dir, "big", big, TEMPLATE_MAX_FILE + 1);
	buf_reset(&out);
	assert_int_equal(template_render_file(dir, "big", v, &out, &err), -1);
	buf_reset(&want);
	buf_addf(&want, "template 'big' in '%s' is over 256 KiB", dir);
	assert_string_equal(err.s, want.s);
	assert_int_equal(out.len, 0);
	free(big);

	remove_file(dir, "hello.txt");
	remove_file(dir, "bad.txt");
	remove_file(dir, "big");
	assert_int_equal(rmdir(dir), 0);
	free(dir);
	buf_release(&out);
	buf_release(&err);
	buf_release(&want);
	tvars_free(v);
}

/* xorshift: the same "random" cases on every run, so failures reproduce. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Render and check text; whatever it is, no crash, no leak, sane results. */
static void poke(const char *text, size_t len, const struct tvars *v)
{
	struct buf out = BUF_INIT(4096), err = BUF_INIT(BUF_NOLIMIT);

	if (template_render(text, len, v, &out, &err))
		assert_true(err.len > 0 && out.len == 0);
	else
		assert_true(err.len == 0 && out.len <= 4096);
	buf_reset(&err);
	if (template_check(text, len, series_schema, &err))
		assert_true(err.len > 0);
	buf_release(&out);
	buf_release(&err);
}

static void test_fuzz(void **state)
{
	static const char *const pieces[] = {
		"{{", "}}", "{", "}", "#", "^", "/", "!", " ", "\n", "\r\n",
		"\t", "title", "patches", "n", "applied", "x", "{{#patches}}",
		"{{/patches}}", "{{^applied}}", "{{/applied}}", "{{title}}",
		"{{n}}", "\0", "é",
	};
	const char *valid = "Series {{title}}\n"
			    "{{#patches}}\n"
			    "  {{n}} {{subject}} ({{title}})\n"
			    "{{#trailers}}{{! x }}t{{/trailers}}\n"
			    "{{/patches}}\n"
			    "{{^applied}}\nnot applied\n{{/applied}}\n";
	size_t vlen = strlen(valid);
	size_t npieces = sizeof(pieces) / sizeof(*pieces);
	struct tvars *v = tvars_new();
	struct buf text = BUF_INIT(BUF_NOLIMIT);
	uint32_t seed = 0x9e3779b9;

	(void)state;
	tvars_set(v, "title", "T");
	tvars_set_bool(v, "applied", false);
	for (int i = 0; i < 3; i++) {
		struct tvars *p = tvars_add_item(v, "patches");

		tvars_setf(p, "n", "%d", i);
		tvars_set(p, "subject", "s");
		tvars_add_item(p, "trailers");
	}
	poke(valid, vlen, v);
	/* Every prefix and every suffix of a valid template. */
	for (size_t i = 0; i <= vlen; i++) {
		poke(valid, i, v);
		poke(valid + i, vlen - i, v);
	}
	/* Random bytes, and random strings of template-ish pieces. */
	for (int round = 0; round < 5000; round++) {
		size_t n = rnd(&seed) % 64;

		buf_reset(&text);
		for (size_t i = 0; i < n; i++) {
			if (round % 2) {
				buf_addch(&text, (int)(rnd(&seed) & 0xff));
			} else {
				size_t k = rnd(&seed) % npieces;

				/* strlen would make "\0" empty */
				buf_add(&text, pieces[k],
					*pieces[k] ? strlen(pieces[k]) : 1);
			}
		}
		poke(text.s, text.len, v);
	}
	/* A valid template with single bytes flipped. */
	for (int round = 0; round < 2000; round++) {
		buf_reset(&text);
		buf_add(&text, valid, vlen);
		for (int k = 0; k < 3; k++) {
			size_t at = rnd(&seed) % vlen;

			text.s[at] = "{}#^/! \nx"[rnd(&seed) % 9];
		}
		poke(text.s, text.len, v);
	}
	buf_release(&text);
	tvars_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_bad_names_ignored),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_standalone_lines),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_unknown_variables),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_big_list),
		cmocka_unit_test(test_runaway),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_render_file),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
