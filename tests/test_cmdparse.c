/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cmdparse: which lines of a reply are commands, and which never are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "mail.h"
#include "parse.h"
#include "source.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------- */

static bool known(const char *word, void *payload)
{
	static const char *const names[] = {
		"help",	   "status",  "queue",	   "drop",
		"promote", "try",     "fold",	   "list",
		"pending", "subscribe", "unsubscribe", "subscriptions",
		NULL
	};
	const char *const *n;

	(void)payload;
	for (n = names; *n; n++)
		if (!strcmp(word, *n))
			return true;
	return false;
}

/* Mail seen through the list: only "#patchbot ..." lines count. */
static struct cmdparse_opts list_opts(void)
{
	struct cmdparse_opts o = {
		.prefix = "#patchbot",
		.is_command = known,
	};
	return o;
}

/* Mail addressed to the bot: bare command words count too. */
static struct cmdparse_opts bot_opts(void)
{
	struct cmdparse_opts o = list_opts();

	o.bare_allowed = true;
	return o;
}

static size_t run(struct cmdlist *l, const struct cmdparse_opts *o,
		  const char *text)
{
	memset(l, 0, sizeof(*l));
	return cmdparse(text, strlen(text), o, l);
}

/* Command i of l has exactly the words given (NULL-terminated). */
static void expect_argv(const struct cmdlist *l, size_t i, ...)
{
	const struct cmdline *c;
	const char *w;
	size_t n = 0;
	va_list ap;

	assert_true(i < l->nr);
	c = &l->items[i];
	va_start(ap, i);
	while ((w = va_arg(ap, const char *))) {
		if (n >= c->argc)
			fail_msg("command %zu: missing word '%s'", i, w);
		assert_string_equal(c->argv[n], w);
		n++;
	}
	va_end(ap);
	assert_int_equal(c->argc, n);
	assert_null(c->argv[n]);
}

static char *read_whole(const char *path, size_t *len)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		fail_msg("cannot open '%s'", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	assert_false(ferror(f));
	fclose(f);
	return buf_detach(&b, len);
}

/* The reviews corpus: $PATCHBOT_SRCDIR/tests/data/reviews, or near us. */
static char *reviews_dir(void)
{
	const char *src = getenv("PATCHBOT_SRCDIR");
	const char *file = __FILE__, *slash = strrchr(file, '/');

	if (src && *src)
		return xasprintf("%s/tests/data/reviews", src);
	return xasprintf("%.*s/data/reviews", slash ? (int)(slash - file) : 1,
			 slash ? file : ".");
}

/* Options for a parsed mail, as the dispatcher will set them. */
static struct cmdparse_opts mail_opts(const struct mail *m)
{
	struct cmdparse_opts o = list_opts();
	const char *ct = mail_header(m, "Content-Type");

	o.format_flowed = m->format_flowed;
	o.delsp = ct && strcasestr(ct, "delsp=yes");
	return o;
}

/*
 * Does the text hold an unquoted line starting "#patchbot " that only the
 * structure of the mail (an original below, "thanks", a soft line break)
 * keeps from being a command?
 */
static int has_lookalike(const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (e - s > 10 && !strncasecmp(s, "#patchbot ", 10))
			return 1;
		s = e + 1;
	}
	return 0;
}

/* Parse one raw mail; the number of commands in it (printing them). */
static size_t commands_in_mail(const char *raw, size_t len, const char *where,
			       int *parsed, int *lookalike)
{
	struct mail m;
	struct buf err = BUF_INIT(1024);
	struct cmdparse_opts o;
	struct cmdlist l;
	size_t i, n;

	if (mail_parse(&m, raw, len, NULL, &err)) {
		buf_release(&err);
		*parsed = 0;
		return 0;
	}
	*parsed = 1;
	*lookalike = has_lookalike(m.body, m.body_len);
	o = mail_opts(&m);
	memset(&l, 0, sizeof(l));
	n = cmdparse(m.body, m.body_len, &o, &l);
	for (i = 0; i < l.nr; i++)
		print_error("%s: unexpected command '%s'\n", where,
			    l.items[i].text);
	n += l.dropped;
	cmdlist_release(&l);
	mail_release(&m);
	buf_release(&err);
	return n;
}

/* ---- what is the sender's own text ------------------------------------ */

static void test_quoted_lines(void **state)
{
	struct cmdlist l;
	struct cmdparse_opts o = bot_opts();

	(void)state;
	assert_int_equal(run(&l, &o,
			     "> #patchbot queue\n"
			     "   > #patchbot drop\n"
			     "\t>> queue v2\n"
			     ">queue\n"
			     ">\n"
			     "#patchbot status\n"),
			 1);
	expect_argv(&l, 0, "status", NULL);
	assert_string_equal(l.items[0].text, "#patchbot status");
	cmdlist_release(&l);
}

static void test_inline_reply(void **state)
{
	struct cmdlist l;
	struct cmdparse_opts o = list_opts();

	(void)state;
	assert_int_equal(
		run(&l, &o,
		    "On Mon, 1 Jan 2024 at 10:00, Jane Doe <jane@x.org> wrote:\n"
		    "> This frobs the widget.\n"
		    ">\n"
		    "> #patchbot drop\n"
		    "\n"
		    "Looks fine to me.\n"
		    "#patchbot queue v2\n"
		    "\n"
		    "> +\tspin_lock(&w->lock);\n"
		    "> +\tfrob(w);\n"
		    "\n"
		    "  #patchbot try\n"
		    "> trailing quote\n"),
		2);
	expect_argv(&l, 0, "queue", "v2", NULL);
	expect_argv(&l, 1, "try", NULL);
	assert_string_equal(l.items[1].text, "#patchbot try");
	cmdlist_release(&l);
}

static void test_top_posting(void **state)
{
	struct cmdlist l;
	struct cmdparse_opts o = list_opts();

	(void)state;
	assert_int_equal(
		run(&l, &o,
		    "#patchbot queue\n"
		    "\n"
		    "On Mon, 1 Jan 2024 at 10:00, Jane Doe <jane@x.org> wrote:\n"
		    "> #patchbot drop v1\n"
		    "> \n"
		    "> Jane\n"),
		1);
	expect_argv(&l, 0, "queue", NULL);
	cmdlist_release(&l);
}

/*
 * An attribution with the original below it unquoted (HTML turned into
 * text, some webmails) ends the sender's text, in any of its spellings.
 */
static void test_attribution_unquoted_original(void **state)
{
	static const char *const attributions[] = {
		"On Mon, 1 Jan 2024 at 10:00, Jane Doe <jane@x.org> wrote:\n",
		"On Mon, 1 Jan 2024 at 10:00, Jane Doe <\njane@x.org> wrote:\n",
		"On Mon, Jan 1, 2024 at 10:00 AM Jane Doe\n<jane@x.org> wrote:\n",
		"Jane Doe <jane@x.org> wrote:\n",
		"Am Mo., 1. Jan. 2024 um 10:00 Uhr schrieb Jane Doe <jane@x.org>:\n",
		"Am 01.01.24 um 10:00 schrieb Jane Doe:\n",
		"Le lun. 1 janv. 2024 à 10:00, Jane Doe <jane@x.org> a écrit :\n",
		NULL
	};
	const char *const *a;

	(void)state;
	for (a = attributions; *a; a++) {
		struct cmdparse_opts o = list_opts();
		struct cmdlist l;
		char *text = xasprintf("#patchbot queue\n\n%s\n"
				       "#patchbot drop\n", *a);

		assert_int_equal(run(&l, &o, text), 1);
		expect_argv(&l, 0, "queue", NULL);
		cmdlist_release(&l);
		free(text);
	}
}

static void test_outlook_original(void **state)
{
	static const char *const originals[] = {
		"-----Original Message-----\n"
		"From: Jane Doe <jane@x.org>\n"
		"Sent: Monday, January 1, 2024 10:00 AM\n"
		"Subject: [PATCH] mm: frob\n"
		"\n"
		"#patchbot queue\n",

		"________________________________\n"
		"From: Jane Doe <jane@x.org>\n"
		"Sent: Monday, January 1, 2024 10:00\n"
		"\n"
		"#patchbot queue\n",

		"From: Jane Doe <jane@x.org>\n"
		"Sent: Monday, January 1, 2024 10:00\n"
		"To: linux-mm@kvack.org\n"
		"\n"
		"#patchbot queue\n",

		"---------- Forwarded message ---------\n"
		"From: Jane Doe <jane@x.org>\n"
		"\n"
		"#patchbot queue\n",

		"-----Ursprüngliche Nachricht-----\n"
		"Von: Jane Doe <jane@x.org>\n"
		"\n"
		"#patchbot queue\n",
		NULL
	};
	const char *const *p;

	(void)state;
	for (p = originals; *p; p++) {
		struct cmdparse_opts o = list_opts();
		struct cmdlist l;
		char *text = xasprintf("Thanks for the patch, see below.\n"
				       "#patchbot status\n\n%s", *p);

		assert_int_equal(run(&l, &o, text), 1);
		expect_argv(&l, 0, "status", NULL);
		cmdlist_release(&l);
		free(text);
	}
}

static void test_signature(void **state)
{
	struct cmdlist l;
	struct cmdparse_opts o = bot_opts();

	(void)state;
	/* bare words under the separator are someone's signature */
	assert_int_equal(run(&l, &o,
			     "status\n"
			     "-- \n"
			     "queue v2\n"
			     "Try our product!\n"),
			 1);
	expect_argv(&l, 0, "status", NULL);
	cmdlist_release(&l);

	/* the prefixed form counts there, as netdev's "pw-bot: cr" does */
	assert_int_equal(run(&l, &o,
			     "Nacked, see the other thread.\n"
			     "-- \n"
			     "#patchbot drop v2 nacked\n"),
			 1);
	expect_argv(&l, 0, "drop", "v2", "nacked", NULL);
	cmdlist_release(&l);

	/* "--" whose trailing space was eaten is a separator too */
	assert_int_equal(run(&l, &o, "Hi\n--\nlist\n#PATCHBOT list\n"), 1);
	expect_argv(&l, 0, "list", NULL);
	cmdlist_release(&l);

	/* "---" (before a diffstat) and "--x" are not separators */
	assert_int_equal(run(&l, &o, "---\nqueue\n--x\nqueue\n"), 2);
	cmdlist_release(&l);
}

static void test_thanks_ends(void **state)
{
	static const char *const ends[] = { "thanks", "Thanks!", "THANKS.",
					    "Thanks,", "quit", "stop",
					    "  thanks  ", NULL };
	const char *const *e;
	struct cmdparse_opts o = bot_opts();
	struct cmdlist l;

	(void)state;
	for (e = ends; *e; e++) {
		char *text = xasprintf("queue\n%s\n#patchbot drop\nstatus\n",
				       *e);

		assert_int_equal(run(&l, &o, text), 1);
		expect_argv(&l, 0, "queue", NULL);
		cmdlist_release(&l);
		free(text);
	}

	/* words around "thanks" make it prose */
	assert_int_equal(run(&l, &o,
			     "thanks for the review\nThanks, Jane.\nqueue\n"),
			 1);
	cmdlist_release(&l);

	/* a signature after the sign-off still carries prefixed commands */
	assert_int_equal(run(&l, &o,
			     "Applied, thanks!\n"
			     "\n"
			     "Thanks,\n"
			     "Jakub\n"
			     "status\n"
			     "-- \n"
			     "#patchbot promote v3\n"),
			 1);
	expect_argv(&l, 0, "promote", "v3", NULL);
	cmdlist_release(&l);
}

/* ---- forms and words -------------------------------------------------- */

static void test_bare_and_prefixed(void **state)
{
	struct cmdparse_opts list = list_opts(), bot = bot_opts();
	struct cmdlist l;

	(void)state;
	assert_int_equal(run(&l, &list, "queue v2\n"), 0);
	cmdlist_release(&l);
	assert_int_equal(run(&l, &bot, "queue v2\n"), 1);
	expect_argv(&l, 0, "queue", "v2", NULL);
	assert_string_equal(l.items[0].text, "queue v2");
	cmdlist_release(&l);

	assert_int_equal(run(&l, &list, "drop the lock before calling this\n"),
			 0);
	cmdlist_release(&l);

	/* unknown first words are prose when bare */
	assert_int_equal(run(&l, &bot, "frobnicate v2\nPlease queue this\n"),
			 0);
	cmdlist_release(&l);

	/* the prefix must start the line */
	assert_int_equal(run(&l, &bot, "please #patchbot queue\n"), 0);
	cmdlist_release(&l);
	assert_int_equal(run(&l, &list, "#patchbot's queue is long\n"
					"#patchbotqueue\n"
					"#patchbot\n"
					"#patchbot   \t\n"),
			 0);
	cmdlist_release(&l);

	/* any word after the prefix, so the dispatcher can suggest one */
	assert_int_equal(run(&l, &list, "#patchbot qeueu v2\n"), 1);
	expect_argv(&l, 0, "qeueu", "v2", NULL);
	cmdlist_release(&l);

	/* "#patchbot:" as "pw-bot:" is written; tabs split words */
	assert_int_equal(run(&l, &list, "\t#patchbot:\tpromote \t v2\n"), 1);
	expect_argv(&l, 0, "promote", "v2", NULL);
	assert_string_equal(l.items[0].text, "#patchbot:\tpromote \t v2");
	cmdlist_release(&l);

	/* no is_command: no bare commands, and no crash */
	bot.is_command = NULL;
	assert_int_equal(run(&l, &bot, "queue\n#patchbot queue\n"), 1);
	cmdlist_release(&l);
}

static void test_case(void **state)
{
	struct cmdparse_opts o = bot_opts();
	struct cmdlist l;

	(void)state;
	assert_int_equal(run(&l, &o, "#PatchBot Queue V2 For-Next\nSTATUS\n"),
			 2);
	expect_argv(&l, 0, "queue", "V2", "For-Next", NULL);
	assert_string_equal(l.items[0].text, "#PatchBot Queue V2 For-Next");
	expect_argv(&l, 1, "status", NULL);
	cmdlist_release(&l);
}

static void test_several_in_order(void **state)
{
	struct cmdparse_opts o = bot_opts();
	struct cmdlist l;

	(void)state;
	assert_int_equal(run(&l, &o,
			     "Hi,\n"
			     "\n"
			     "drop v1\n"
			     "#patchbot queue v2 mm-unstable\r\n"
			     "\n"
			     "subscribe\n"
			     "promote v2 mm-stable\n"),
			 4);
	expect_argv(&l, 0, "drop", "v1", NULL);
	expect_argv(&l, 1, "queue", "v2", "mm-unstable", NULL);
	expect_argv(&l, 2, "subscribe", NULL);
	expect_argv(&l, 3, "promote", "v2", "mm-stable", NULL);
	assert_int_equal(l.dropped, 0);
	cmdlist_release(&l);
}

static void test_max_commands(void **state)
{
	struct cmdparse_opts o = list_opts();
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	struct cmdlist l;
	int i;

	(void)state;
	for (i = 0; i < 25; i++)
		buf_addf(&b, "#patchbot status %d\n", i);
	assert_int_equal(run(&l, &o, b.s), 20);
	assert_int_equal(l.dropped, 5);
	expect_argv(&l, 19, "status", "19", NULL);
	cmdlist_release(&l);

	o.max_commands = 3;
	assert_int_equal(run(&l, &o, b.s), 3);
	assert_int_equal(l.dropped, 22);
	cmdlist_release(&l);
	buf_release(&b);
}

static void test_max_line(void **state)
{
	struct cmdparse_opts o = list_opts();
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	struct cmdlist l;

	(void)state;
	buf_adds(&b, "#patchbot drop");
	while (b.len < 1001)
		buf_addch(&b, 'x');
	assert_int_equal(run(&l, &o, b.s), 0);
	cmdlist_release(&l);

	buf_setlen(&b, 1000);
	assert_int_equal(run(&l, &o, b.s), 1);
	cmdlist_release(&l);

	o.max_line = 20;
	assert_int_equal(run(&l, &o, "#patchbot queue v2 mm-unstable\n"
				     "#patchbot queue v2\n"),
			 1);
	expect_argv(&l, 0, "queue", "v2", NULL);
	cmdlist_release(&l);
	buf_release(&b);
}

static void test_sanitised(void **state)
{
	static const char text[] = "#patchbot \x01que\x1b[31mue v2\x7f\r\n"
				   "#patchbot try \xff\xfe v\xe2\x80\xae"
				   "3\xc2\xa0x\n";
	struct cmdparse_opts o = list_opts();
	struct cmdlist l;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(cmdparse(text, sizeof(text) - 1, &o, &l), 2);
	expect_argv(&l, 0, "que[31mue", "v2", NULL);
	expect_argv(&l, 1, "try", "\xef\xbf\xbd\xef\xbf\xbd", "v3", "x", NULL);
	cmdlist_release(&l);

	/* a NUL inside a line is dropped, not an end of the text */
	memset(&l, 0, sizeof(l));
	assert_int_equal(cmdparse("#patchbot st\0atus\n", 18, &o, &l), 1);
	expect_argv(&l, 0, "status", NULL);
	cmdlist_release(&l);
}

/* ---- line breaks ------------------------------------------------------ */

static void test_format_flowed(void **state)
{
	struct cmdparse_opts o = list_opts();
	struct cmdlist l;

	(void)state;
	o.format_flowed = true;
	/* a soft break inside a command, and a space-stuffed line */
	assert_int_equal(run(&l, &o,
			     "#patchbot queue v2 \n"
			     "mm-unstable\n"
			     " #patchbot status\n"),
			 2);
	expect_argv(&l, 0, "queue", "v2", "mm-unstable", NULL);
	assert_string_equal(l.items[0].text, "#patchbot queue v2 mm-unstable");
	expect_argv(&l, 1, "status", NULL);
	cmdlist_release(&l);

	/* DelSp=yes: the space before the soft break is not text */
	o.delsp = true;
	assert_int_equal(run(&l, &o, "#patchbot queue v2  \nmm-unsta \nble\n"),
			 1);
	expect_argv(&l, 0, "queue", "v2", "mm-unstable", NULL);
	cmdlist_release(&l);
	o.delsp = false;

	/* a quoted flowed line never flows into the sender's line */
	assert_int_equal(run(&l, &o,
			     "> Please send \n"
			     "#patchbot queue\n"
			     "> v2 \n"
			     ">> #patchbot drop\n"),
			 1);
	expect_argv(&l, 0, "queue", NULL);
	cmdlist_release(&l);

	/* text flowed onto a command line makes it prose */
	assert_int_equal(run(&l, &o, "Looks good, \n#patchbot queue\n"), 0);
	cmdlist_release(&l);

	/* "-- " is a separator, not a soft break */
	assert_int_equal(run(&l, &o,
			     "Jane\n"
			     "-- \n"
			     "#patchbot drop\n"),
			 1);
	expect_argv(&l, 0, "drop", NULL);
	cmdlist_release(&l);

	/* the same text not flowed: the trailing space means nothing */
	o.format_flowed = false;
	assert_int_equal(run(&l, &o, "#patchbot queue v2 \nmm-unstable\n"), 1);
	expect_argv(&l, 0, "queue", "v2", NULL);
	cmdlist_release(&l);
}

/* 61 columns: a client wrapping at 72 could have cut the line after it */
#define LONG_DROP \
	"#patchbot drop v2 the locking in patch 3 is still broken, see\n"

static void test_wrapped_line(void **state)
{
	struct cmdparse_opts o = bot_opts();
	struct cmdlist l;

	(void)state;
	/* a long line and a lone tail ending the paragraph: rejoined */
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "Jane's reply\n"
		    "\n"
		    "#patchbot queue v3 mm-unstable, the version Jane acked, after\n"
		    "the merge window\n"),
		2);
	expect_argv(&l, 0, "drop", "v2", "the", "locking", "in", "patch",
		    "3", "is", "still", "broken,", "see", "Jane's", "reply",
		    NULL);
	assert_string_equal(l.items[0].text,
			    "#patchbot drop v2 the locking in patch 3 is still "
			    "broken, see Jane's reply");
	assert_int_equal(l.items[1].argc, 11);
	cmdlist_release(&l);

	/* ... before a signature too */
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "Jane's reply\n"
		    "-- \n"
		    "Jane\n"),
		1);
	assert_int_equal(l.items[0].argc, 13);
	cmdlist_release(&l);

	/* short line: the next one is the writer's own line */
	assert_int_equal(run(&l, &o, "#patchbot queue v2\nmm-unstable\n"), 1);
	expect_argv(&l, 0, "queue", "v2", NULL);
	cmdlist_release(&l);

	/* the paragraph goes on: ambiguous, so not rejoined */
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "Jane's reply\n"
		    "and mine.\n"),
		1);
	assert_int_equal(l.items[0].argc, 11);
	cmdlist_release(&l);

	/* the next line is a command of its own, known or prefixed */
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "status\n"
		    "\n"
		    LONG_DROP
		    "#patchbot try v3\n"),
		4);
	cmdlist_release(&l);

	/* known words stay out even where bare commands don't count */
	o = list_opts();
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "queue v3 instead\n"),
		1);
	assert_int_equal(l.items[0].argc, 11);
	cmdlist_release(&l);

	/* nor quotes, signatures, "thanks" or an attribution */
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "thanks\n"
		    "\n"
		    LONG_DROP),
		1);
	assert_int_equal(l.items[0].argc, 11);
	cmdlist_release(&l);
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "Jane Doe <jane@x.org> wrote:\n"
		    "\n"
		    "> patch\n"),
		1);
	assert_int_equal(l.items[0].argc, 11);
	cmdlist_release(&l);
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "--\n"
		    "\n"),
		1);
	assert_int_equal(l.items[0].argc, 11);
	cmdlist_release(&l);

	/* format=flowed hard breaks are the writer's */
	o.format_flowed = true;
	assert_int_equal(
		run(&l, &o,
		    LONG_DROP
		    "Jane's reply\n"),
		1);
	assert_int_equal(l.items[0].argc, 11);
	cmdlist_release(&l);
}

/* ---- mail in ---------------------------------------------------------- */

static void test_html_only_mail(void **state)
{
	static const char raw[] =
		"From: Jane Doe <jane@x.org>\r\n"
		"To: linux-mm@kvack.org\r\n"
		"Subject: Re: [PATCH v2] mm: frob\r\n"
		"Message-ID: <html-cmd@x.org>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/html; charset=UTF-8\r\n"
		"\r\n"
		"<html><body><div dir=\"ltr\">Looks good.<br>"
		"<div>#patchbot&nbsp;queue v2</div>"
		"<div><br></div><div class=\"gmail_quote\">"
		"<div class=\"gmail_attr\">On Mon, 1 Jan 2024 at 10:00, Jim "
		"&lt;jim@x.org&gt; wrote:<br></div>"
		"<blockquote class=\"gmail_quote\">Please apply.<br>"
		"#patchbot drop v1</blockquote></div></div></body></html>\r\n";
	struct mail m;
	struct buf err = BUF_INIT(1024);
	struct cmdparse_opts o = list_opts();
	struct cmdlist l;

	(void)state;
	assert_int_equal(mail_parse(&m, raw, sizeof(raw) - 1, NULL, &err), 0);
	assert_true(m.html_only);
	memset(&l, 0, sizeof(l));
	assert_int_equal(cmdparse(m.body, m.body_len, &o, &l), 1);
	expect_argv(&l, 0, "queue", "v2", NULL);
	cmdlist_release(&l);
	mail_release(&m);
	buf_release(&err);
}

static void test_flowed_mail(void **state)
{
	static const char raw[] =
		"From: Jane Doe <jane@x.org>\n"
		"Subject: Re: [PATCH v2] mm: frob\n"
		"Message-ID: <flowed-cmd@x.org>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: text/plain; charset=UTF-8; format=flowed; "
		"delsp=yes\n"
		"\n"
		"> Please queue \n"
		"> it.\n"
		"\n"
		"#patchbot queue v2 mm-unsta \n"
		"ble\n";
	struct mail m;
	struct buf err = BUF_INIT(1024);
	struct cmdparse_opts o;
	struct cmdlist l;

	(void)state;
	assert_int_equal(mail_parse(&m, raw, sizeof(raw) - 1, NULL, &err), 0);
	assert_true(m.format_flowed);
	o = mail_opts(&m);
	assert_true(o.delsp);
	memset(&l, 0, sizeof(l));
	assert_int_equal(cmdparse(m.body, m.body_len, &o, &l), 1);
	expect_argv(&l, 0, "queue", "v2", "mm-unstable", NULL);
	cmdlist_release(&l);
	mail_release(&m);
	buf_release(&err);
}

/* ---- hostile input ---------------------------------------------------- */

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check_clean(const struct cmdlist *l)
{
	size_t i, j;

	for (i = 0; i < l->nr; i++) {
		const char *p;

		for (p = l->items[i].text; *p; p++)
			assert_false((unsigned char)*p < 0x20 && *p != '\t');
		assert_true(l->items[i].argc > 0);
		for (j = 0; j < l->items[i].argc; j++)
			assert_non_null(l->items[i].argv[j]);
	}
}

/*
 * 10 MiB shaped to hurt: random bytes, one endless line, endless
 * commands, flowed lines that never end, attributions and blank runs.
 * A quadratic scan would not finish in the time allowed.
 */
static void test_huge_inputs(void **state)
{
	static const char *const units[] = {
		"#patchbot queue v2\n", "On Mon, Jane wrote:\n", "\n",
		"x \n", "On Mon, Jane\n", "> \n", "-- \n",
		"#patchbot drop v2 the locking in patch 3 is still broken, see\n",
		NULL
	};
	/*
	 * Under valgrind (tests/valgrind.sh), ~50 times slower, 1 MiB and
	 * no time limit: there only memory errors count.
	 */
	const char *q = getenv("PATCHBOT_VALGRIND_QUICK");
	const bool quick = q && *q && strcmp(q, "0");
	const size_t size = quick ? 1u << 20 : 10u << 20;
	char *big = xmalloc(size);
	uint32_t x = 12345;
	size_t i;
	const char *const *u;
	struct cmdlist l;
	int pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		struct cmdparse_opts o = pass ? bot_opts() : list_opts();
		double t0;

		o.format_flowed = pass;
		for (i = 0; i < size; i++) {
			x = x * 1103515245u + 12345u;
			big[i] = (char)(x >> 16);
		}
		memset(&l, 0, sizeof(l));
		cmdparse(big, size, &o, &l);
		check_clean(&l);
		cmdlist_release(&l);

		memset(big, 'q', size);
		memset(&l, 0, sizeof(l));
		assert_int_equal(cmdparse(big, size, &o, &l), 0);
		cmdlist_release(&l);

		for (u = units; *u; u++) {
			size_t n = strlen(*u), k;

			for (k = 0; k + n <= size; k += n)
				memcpy(big + k, *u, n);
			t0 = seconds();
			memset(&l, 0, sizeof(l));
			cmdparse(big, k, &o, &l);
			check_clean(&l);
			assert_true(l.nr <= 20);
			if (u == units) {
				assert_int_equal(l.nr, 20);
				assert_int_equal(l.dropped, k / n - 20);
			}
			cmdlist_release(&l);
			if (!quick && seconds() - t0 > 10)
				fail_msg("'%.10s...' x %zu took too long", *u,
					 k / n);
		}
	}
	free(big);
}

/*
 * Mail made of the lines the rules look at, shuffled: whatever the mix,
 * no crash, at most max_commands, and in list mode every command is a
 * line that starts with the prefix.
 */
static void test_line_soup(void **state)
{
	static const char *const pieces[] = {
		"#patchbot queue v2", "#PATCHBOT:\tDrop", "#patchbot", "queue",
		"> #patchbot try", "-- ", "--", "thanks", "Thanks,", "",
		"On Mon, Jane <j@x.org> wrote:", "On Mon, Jane", "<j@x> wrote:",
		"-----Original Message-----", "From: J", "Sent: now",
		"______________________________", "x ", "> y ", ">> z ",
		" #patchbot status ", "\x01\x7f\xc2\x80\xff", "\r",
		"#patchbot drop v2 the locking in patch 3 is still broken, see",
		"Jane's reply",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	uint32_t x = 42;
	int iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		struct buf b = BUF_INIT(BUF_NOLIMIT);
		struct cmdparse_opts o = (iter & 1) ? bot_opts() : list_opts();
		struct cmdlist l;
		int k, lines;
		size_t i;

		x = x * 1103515245u + 12345u;
		lines = (int)(x >> 16) % 12;
		o.format_flowed = (x >> 8) & 1;
		o.delsp = (x >> 9) & 1;
		o.max_commands = (x >> 10) & 3;
		for (k = 0; k < lines; k++) {
			x = x * 1103515245u + 12345u;
			buf_adds(&b, pieces[(x >> 16) % npieces]);
			if ((x >> 4) & 7)
				buf_addch(&b, '\n');
		}
		memset(&l, 0, sizeof(l));
		cmdparse(b.s, b.len, &o, &l);
		check_clean(&l);
		assert_true(l.nr <= (o.max_commands ? o.max_commands : 20));
		for (i = 0; i < l.nr; i++) {
			const char *a;

			for (a = l.items[i].argv[0]; *a; a++)
				assert_false(*a >= 'A' && *a <= 'Z');
			if (!o.bare_allowed)
				assert_true(starts_with_icase(
					l.items[i].text, "#patchbot"));
		}
		cmdlist_release(&l);
		buf_release(&b);
	}
}

static void test_empty(void **state)
{
	struct cmdparse_opts o = list_opts();
	struct cmdlist l;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(cmdparse("", 0, &o, &l), 0);
	assert_int_equal(cmdparse(NULL, 0, &o, &l), 0);
	o.format_flowed = true;
	assert_int_equal(cmdparse("", 0, &o, &l), 0);
	assert_int_equal(cmdparse("\n\n \n", 4, &o, &l), 0);
	cmdlist_release(&l);
	cmdlist_release(&l);
}

/* ---- proof: ordinary mail holds no command ----------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Review replies as lists see them, many carrying "#patchbot" in text
 * that is not the sender's (quotes, originals) or not at a line's start.
 */
static void test_reviews_corpus(void **state)
{
	char *dir = reviews_dir();
	struct strlist names = { 0 };
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t i, with_prefix = 0, with_lookalike = 0, bad = 0;

	(void)state;
	if (!d)
		fail_msg("cannot open '%s'", dir);
	while ((de = readdir(d)))
		if (strlen(de->d_name) > 4 &&
		    !strcmp(de->d_name + strlen(de->d_name) - 4, ".eml"))
			strlist_push(&names, de->d_name);
	closedir(d);
	qsort(names.v, names.nr, sizeof(*names.v), cmp_str);
	assert_true(names.nr >= 15);
	for (i = 0; i < names.nr; i++) {
		char *path = xasprintf("%s/%s", dir, names.v[i]);
		size_t len;
		char *raw = read_whole(path, &len);
		int parsed, lookalike;

		if (strcasestr(raw, "#patchbot"))
			with_prefix++;
		bad += commands_in_mail(raw, len, names.v[i], &parsed,
					&lookalike);
		if (!parsed)
			fail_msg("'%s' does not parse", path);
		with_lookalike += (size_t)lookalike;
		free(raw);
		free(path);
	}
	/* the traps are there: the zero below means something */
	assert_true(with_prefix >= 10);
	assert_true(with_lookalike >= 5);
	assert_int_equal(bad, 0);
	strlist_clear(&names);
	free(dir);
}

static void test_patchwork_corpus(void **state)
{
	static const char *const dirs[] = { "mail", "series", "fuzz" };
	const char *root = getenv("PATCHBOT_CORPORA");
	size_t k, bad = 0, parsed_total = 0;

	(void)state;
	/* a missing corpus is a broken setup, not a reason to skip */
	if (!root || !*root)
		fail_msg("PATCHBOT_CORPORA is not set");
	for (k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
		char *path = xasprintf("%s/patchwork/%s", root, dirs[k]);
		struct buf err = BUF_INIT(1024);
		struct mail_source *src = source_open(path, 10u << 20, &err);
		struct mail_item item;
		int r;

		if (!src)
			fail_msg("%s", err.s);
		while ((r = src->next(src, &item, &err)) == 1) {
			int parsed, lookalike;

			bad += commands_in_mail(item.raw, item.len, item.where,
						&parsed, &lookalike);
			parsed_total += (size_t)parsed;
		}
		assert_int_equal(r, 0);
		src->free(src);
		buf_release(&err);
		free(path);
	}
	assert_true(parsed_total >= 50);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoted_lines),
		cmocka_unit_test(test_inline_reply),
		cmocka_unit_test(test_top_posting),
		cmocka_unit_test(test_attribution_unquoted_original),
		cmocka_unit_test(test_outlook_original),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_thanks_ends),
		cmocka_unit_test(test_bare_and_prefixed),
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_several_in_order),
		cmocka_unit_test(test_max_commands),
		cmocka_unit_test(test_max_line),
		cmocka_unit_test(test_sanitised),
		cmocka_unit_test(test_format_flowed),
		cmocka_unit_test(test_wrapped_line),
		cmocka_unit_test(test_html_only_mail),
		cmocka_unit_test(test_flowed_mail),
		cmocka_unit_test(test_huge_inputs),
		cmocka_unit_test(test_line_soup),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_reviews_corpus),
		cmocka_unit_test(test_patchwork_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
