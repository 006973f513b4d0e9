/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_report: the HTML status page.  A store built through ingest (a
 * series in `git format-patch` mail, a review, the maintainer's queue
 * command, a hostile series that waits), then the page is checked for
 * what it must show and for escaping everything that came from mail;
 * html_escape on its own with hostile strings; writing the page
 * atomically; and the stamp the daemon uses to know when to rewrite it.
 */
#include <dirent.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "subs.h"
#include "testutil.h"
#include "util.h"

static char *tmp;            /* the test's folder */
static struct config cfg;

/* 2024-01-09 10:00 UTC: a week after the mail's dates. */
#define NOW 1704794400

/* master with one file; a two-patch series formatted into v1.mbox. */
static const char setup_script[] =
	"git init -q -b master repo && cd repo && mkdir -p mm &&"
	"printf 'int a;\\nint b;\\nint c;\\nint d;\\n' >mm/foo.c &&"
	"git add -A && git commit -q -m base &&"
	"git checkout -q -b s1 &&"
	"sed -i 's/int b;/int b = 1;/' mm/foo.c && git commit -q -am 'mm/foo: set b' &&"
	"printf 'int bar;\\n' >mm/bar.c && git add mm/bar.c &&"
	"git commit -q -m 'mm/foo: add bar' -m 'The bar is new.' &&"
	"git format-patch -q --thread --cover-letter -v1 --stdout master >../v1.mbox &&"
	"git checkout -q master && git branch -q -D s1";

static int setup(void **state)
{
	(void)state;
	tmp = test_bot_setup("pbreport", setup_script, &cfg,
			     "[auth]\n\trequireDkim = false\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rmtree(tmp);
	config_release(&cfg);
	return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("expected to find: %s\n", needle);
		fail();
	}
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle)) {
		print_error("did not expect: %s\n", needle);
		fail();
	}
}

/* Every byte of s is well-formed UTF-8. */
static void assert_utf8(const char *s)
{
	size_t n = strlen(s), k;

	for (const unsigned char *p = (const unsigned char *)s; n; p += k, n -= k) {
		k = utf8_seq(p, n, NULL);
		if (!k) {
			print_error("not UTF-8 at offset %zu\n", (size_t)((const char *)p - s));
			fail();
		}
	}
}

/* The part of page from the element with this id to the next "</section>". */
static char *section(const char *page, const char *id)
{
	char *key = xasprintf("id=\"%s\"", id);
	const char *a = strstr(page, key), *b;

	free(key);
	assert_non_null(a);
	b = strstr(a, "</section>");
	assert_non_null(b);
	return xstrndup(a, (size_t)(b - a));
}

static char *escaped(const char *s)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	assert_int_equal(html_escape(&b, s), 0);
	return buf_detach(&b, NULL);
}

static void test_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "<script>alert(\"x\")</script>",
		  "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" },
		{ "Tom & Jerry's <a href='x'>", "Tom &amp; Jerry&#39;s &lt;a href=&#39;x&#39;&gt;" },
		{ "&amp; stays text", "&amp;amp; stays text" },
		/* Latin-1 bytes, a lone continuation byte, an overlong '/' */
		{ "caf\xe9 \x80 \xc0\xaf", "caf\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd" },
		/* a sequence cut short at the end, a UTF-16 surrogate */
		{ "end \xe2\x82", "end \xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		/* controls but tab and newline; C1 controls */
		{ "a\x01" "b\x1b[31m\tc\nd\x7f", "a\xef\xbf\xbd" "b\xef\xbf\xbd[31m\tc\nd\xef\xbf\xbd" },
		{ "\xc2\x85", "\xef\xbf\xbd" },
		/* well-formed UTF-8 passes as it is */
		{ "Jos\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x90\xa7", "Jos\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x90\xa7" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escaped(cases[i].in);

		if (strcmp(got, cases[i].out)) {
			print_error("case %zu: got '%s'\n", i, got);
			fail();
		}
		assert_utf8(got);
		free(got);
	}
}

static int reply_seq;

/* A reply to the first patch of the series with a body. */
static void reply(struct ingest *in, const char *from, const char *body)
{
	char *irt = test_query_str(in->st,
		"SELECT m.message_id FROM messages m WHERE m.kind = 'patch' ORDER BY m.id LIMIT 1");
	int seq = ++reply_seq;
	char *raw = xasprintf("From: Someone <%s>\nTo: list@example.org\n"
			      "Subject: Re: [PATCH v1 1/2] mm/foo: set b\n"
			      "Message-ID: <r%d@example.org>\nIn-Reply-To: <%s>\n"
			      "References: <%s>\nDate: Tue, 2 Jan 2024 12:%02d:00 +0000\n\n%s\n",
			      from, seq, irt, irt, seq, body);

	assert_int_equal(test_ingest_string(in, raw, NULL), 0);
	free(raw);
	free(irt);
}

/* A complete one-patch series with a hostile subject and author name,
 * raw 8-bit bytes in the subject, and no Signed-off-by (so feedback). */
static const char hostile_mail[] =
	"From: \"Eve \\\"Q\\\" & Co\" <eve@example.org>\n"
	"To: list@example.org\n"
	"Subject: [PATCH] <script>alert(\"x\")</script> & 'q' caf\xe9\n"
	"Message-ID: <evil&1@example.org>\n"
	"Date: Wed, 3 Jan 2024 09:00:00 +0000\n"
	"\n"
	"Make c bigger.\n"
	"---\n"
	" mm/foo.c | 2 +-\n"
	" 1 file changed, 1 insertion(+), 1 deletion(-)\n"
	"\n"
	"diff --git a/mm/foo.c b/mm/foo.c\n"
	"--- a/mm/foo.c\n"
	"+++ b/mm/foo.c\n"
	"@@ -2,3 +2,3 @@\n"
	" int b;\n"
	"-int c;\n"
	"+int c = 3;\n"
	" int d;\n";

/* The store of the story: v1 reviewed and queued, the hostile series
 * waiting, three subscriptions. */
static void build(struct store *st, struct ingest *in)
{
	static const char *const mboxes[] = { "v1.mbox", NULL };

	test_fresh(st, in, &cfg, tmp, mboxes);
	reply(in, "rita@example.org", "Reviewed-by: Rita Reviewer <rita@example.org>");
	reply(in, "akpm@example.org", "#patchbot queue v1");
	assert_int_equal(test_query_int(st, "SELECT count(*) FROM queue"), 1);
	assert_int_equal(test_ingest_string(in, hostile_mail, NULL), 0);
	assert_int_equal(subs_add(st, "rita@example.org", "mm", "", 0), 1);
	assert_int_equal(subs_add(st, "bob@example.org", "mm", "filemap_*", 0), 1);
	assert_int_equal(subs_add(st, "rita@example.org", "mm/foo.c", "", 0), 1);
}

static char *render(struct store *st)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	assert_int_equal(report_render(st, &cfg, "0123456789abcdef0123456789abcdef01234567",
				       NOW, &b), 0);
	return buf_detach(&b, NULL);
}

static void test_page(void **state)
{
	struct store st;
	struct ingest in;
	char *page, *top, *bottom, *waiting, *subs, *activity, *c1, *c2, *needle;

	(void)state;
	build(&st, &in);
	page = render(&st);
	assert_utf8(page);
	assert_contains(page, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
	/* no script, no external resource */
	assert_lacks(page, "<script");
	assert_lacks(page, "src=");
	assert_lacks(page, "<link");

	/* the stack top first; the series on mm-unstable with its trailers
	 * and the commit ids the queue recorded */
	assert_true(strstr(page, "id=\"branch-mm-unstable\"") < strstr(page, "id=\"branch-mm-stable\""));
	top = section(page, "branch-mm-unstable");
	assert_contains(top, "<span class=\"count\">1 series</span>");
	assert_contains(top, "class=\"series\"");
	assert_contains(top, "<span class=\"v\">v1</span>");
	assert_contains(top, "Ann Author &lt;ann@example.org&gt;");
	assert_contains(top, "Reviewed-by: Rita Reviewer &lt;rita@example.org&gt; <span class=\"of\">(1/2)</span>");
	assert_contains(top, "by akpm@example.org");
	assert_contains(top, "days ago</time>");
	c1 = test_query_str(&st, "SELECT commit_id FROM queue_commits ORDER BY idx LIMIT 1");
	c2 = test_query_str(&st, "SELECT commit_id FROM queue_commits ORDER BY idx DESC LIMIT 1");
	assert_int_equal(strlen(c1), 40);
	needle = xasprintf("<code title=\"%s\">%.12s</code> 1/2 ", c1, c1);
	assert_contains(top, needle);
	free(needle);
	needle = xasprintf("<code title=\"%s\">%.12s</code> 2/2 ", c2, c2);
	assert_contains(top, needle);
	free(needle);
	needle = xasprintf("tip <code>%.12s</code>", c2);
	assert_contains(top, needle);
	free(needle);
	/* the cover letter is the link, its Message-ID percent-encoded */
	assert_contains(top, "<a href=\"https://lore.kernel.org/r/");
	/* mm-stable is empty, and its tip is the base */
	bottom = section(page, "branch-mm-stable");
	assert_contains(bottom, "<span class=\"count\">0 series</span>");
	assert_contains(bottom, "tip <code>0123456789ab</code>");
	assert_contains(bottom, "empty");

	/* the hostile series waits, every mail string escaped */
	waiting = section(page, "waiting");
	assert_contains(waiting, "class=\"series waiting\"");
	assert_contains(waiting, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
	assert_contains(waiting, "Eve &quot;Q&quot; &amp; Co &lt;eve@example.org&gt;");
	assert_contains(waiting, "href=\"https://lore.kernel.org/r/evil%261@example.org\"");
	assert_contains(waiting, "feedback sent");
	assert_lacks(waiting, "mm/foo: set b");

	activity = section(page, "activity");
	assert_contains(activity, "<b class=\"action\">queued</b> v1 <span class=\"subject\">");
	assert_contains(activity, "on <code>mm-unstable</code> by akpm@example.org");
	assert_contains(activity, "&lt;script&gt;");

	/* subscriptions per path, most first */
	subs = section(page, "subscriptions");
	assert_contains(subs, "<tr><td><code>mm</code></td><td class=\"n\">2</td>"
			      "<td class=\"n\">1</td><td class=\"n\">2</td></tr>");
	assert_contains(subs, "<tr><td><code>mm/foo.c</code></td><td class=\"n\">1</td>"
			      "<td class=\"n\">0</td><td class=\"n\">1</td></tr>");
	assert_true(strstr(subs, "<code>mm</code>") < strstr(subs, "<code>mm/foo.c</code>"));

	free(page);
	/* bytes that are not UTF-8 in the store (an old database) come out
	 * as U+FFFD, not as they are */
	assert_int_equal(store_exec(&st, "UPDATE versions SET title = CAST(X'3C62AD3EFF' AS TEXT)"
				   " WHERE author_email = 'eve@example.org'"), 0);
	page = render(&st);
	assert_utf8(page);
	assert_contains(page, "&lt;b\xef\xbf\xbd&gt;\xef\xbf\xbd</a>");

	free(c1);
	free(c2);
	free(top);
	free(bottom);
	free(waiting);
	free(activity);
	free(subs);
	free(page);
	test_fresh_done(&st, &in);
}

static void test_empty(void **state)
{
	struct store st;
	char *page;

	(void)state;
	test_store_open(&st);
	page = render(&st);
	assert_contains(page, "nothing waiting");
	assert_contains(page, "nothing queued yet");
	assert_contains(page, "no series yet");
	assert_contains(page, "no subscriptions");
	free(page);
	store_close(&st);
}

/* The files in dir but "." and ".." (a count). */
static int nr_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_write(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct store st;
	struct ingest in;
	struct stat sb;
	char *dir = xasprintf("%s/www", tmp), *file = xasprintf("%s/www/index.html", tmp);
	char *bad = xasprintf("%s/missing/www", tmp), *page;
	size_t len;
	ino_t first;
	mode_t old_mask;

	(void)state;
	build(&st, &in);
	/* the folder is created; the page is readable by a web server, even
	 * under the systemd unit's umask */
	old_mask = umask(077);
	assert_int_equal(report_write(&st, &cfg, dir, &err), 0);
	umask(old_mask);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0755);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	first = sb.st_ino;
	page = test_read_file(file, &len);
	assert_non_null(page);
	assert_contains(page, "id=\"branch-mm-unstable\"");
	assert_contains(page, "</html>\n");
	free(page);
	/* a rewrite replaces the file (a new inode: renamed, not rewritten in
	 * place) and leaves no temporary file behind */
	reply(&in, "akpm@example.org", "#patchbot promote");
	assert_int_equal(report_write(&st, &cfg, dir, &err), 0);
	assert_int_equal(stat(file, &sb), 0);
	assert_true(sb.st_ino != first);
	assert_int_equal(nr_files(dir), 1);
	page = test_read_file(file, &len);
	assert_contains(page, "<b class=\"action\">moved</b>");
	free(page);
	/* a folder that cannot be made is an error that names it */
	assert_int_equal(report_write(&st, &cfg, bad, &err), -1);
	assert_contains(err.s, "cannot create folder '");
	assert_contains(err.s, "missing/www");
	buf_release(&err);
	free(dir);
	free(file);
	free(bad);
	test_fresh_done(&st, &in);
}

/* The stamp moves with what the page shows, and only with it. */
static void test_stamp(void **state)
{
	struct store st;
	struct ingest in;
	char *a, *b, *c, *d;

	(void)state;
	build(&st, &in);
	a = report_stamp(&st);
	assert_non_null(a);
	/* a mail that changes nothing the page shows */
	assert_int_equal(test_ingest_string(&in, "From: x@example.org\nTo: list@example.org\n"
					    "Subject: lunch\nMessage-ID: <lunch@example.org>\n"
					    "Date: Wed, 3 Jan 2024 12:00:00 +0000\n\nsoup\n", NULL), 0);
	b = report_stamp(&st);
	assert_string_equal(a, b);
	/* a review trailer */
	reply(&in, "tom@example.org", "Tested-by: Tom Tester <tom@example.org>");
	c = report_stamp(&st);
	assert_string_not_equal(b, c);
	/* the queue */
	reply(&in, "akpm@example.org", "#patchbot promote");
	d = report_stamp(&st);
	assert_string_not_equal(c, d);
	free(a);
	free(b);
	free(c);
	free(d);
	test_fresh_done(&st, &in);
}

/* `patchbot check` on report.htmlDir: the daemon must be able to write
 * there, or to make the folder. */
static void test_check(void **state)
{
	static const struct {
		const char *dir;
		const char *problem; /* NULL: none about report.htmlDir */
	} cases[] = {
		{ "www", NULL },                 /* missing, but can be made */
		{ "repo", NULL },                /* there */
		{ "v1.mbox", "is not a folder" },
		{ "missing/www", "is missing and cannot be made in '" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = xasprintf("%s/check.conf", tmp);
		char *conf = xasprintf("[report]\n\thtmlDir = %s\n", cases[i].dir);
		struct buf err = BUF_INIT(4096);
		struct config c;
		const char *found = NULL;
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(conf, f);
		fclose(f);
		assert_int_equal(config_load(&c, path, true, &err), 0);
		config_check(&c);
		for (size_t j = 0; j < c.problems.nr; j++)
			if (strstr(c.problems.v[j], "'report.htmlDir'"))
				found = c.problems.v[j];
		if (!cases[i].problem && found) {
			print_error("%s: unexpected problem: %s\n", cases[i].dir, found);
			fail();
		}
		if (cases[i].problem) {
			assert_non_null(found);
			assert_contains(found, cases[i].problem);
		}
		config_release(&c);
		buf_release(&err);
		free(conf);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
