/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_mail: mail_parse() decodes real and hostile mail into valid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "buf.h"
#include "mail.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------- */

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

static const char *corpora(void)
{
	const char *dir = getenv("PATCHBOT_CORPORA");

	/* a missing corpus is a broken setup, not a reason to skip */
	if (!dir || !*dir)
		fail_msg("PATCHBOT_CORPORA is not set");
	return dir;
}

/* Our own fixtures: $PATCHBOT_SRCDIR/tests/data/mail, or next to this file. */
static char *fixture_path(const char *name)
{
	const char *src = getenv("PATCHBOT_SRCDIR");

	if (src && *src)
		return xasprintf("%s/tests/data/mail/%s", src, name);
	{
		const char *file = __FILE__, *slash = strrchr(file, '/');
		int dirlen = slash ? (int)(slash - file) : 1;

		return xasprintf("%.*s/data/mail/%s", dirlen,
				 slash ? file : ".", name);
	}
}

static int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], k, min, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c < 0xe0)
			k = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c < 0xf0)
			k = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c < 0xf5)
			k = 3, min = 0x10000, cp = c & 0x07;
		else
			return 0;
		if (n - i <= k)
			return 0;
		for (unsigned j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void assert_utf8(const char *s)
{
	assert_non_null(s);
	if (!utf8_valid(s, strlen(s)))
		fail_msg("not valid UTF-8: '%s'", s);
}

/* Every string mail_parse() hands out is valid UTF-8 and has no CR/LF
 * where it would end up in a header. */
static void assert_mail_sane(const struct mail *m)
{
	size_t i;

	for (i = 0; i < m->nr_headers; i++) {
		assert_utf8(m->headers[i].name);
		assert_utf8(m->headers[i].value);
		assert_false(has_crlf(m->headers[i].value));
	}
	assert_utf8(m->message_id);
	assert_false(has_crlf(m->message_id));
	assert_true(strlen(m->message_id) > 0);
	if (m->in_reply_to)
		assert_utf8(m->in_reply_to);
	for (i = 0; i < m->nr_references; i++) {
		assert_utf8(m->references[i]);
		assert_false(has_crlf(m->references[i]));
	}
	assert_utf8(m->subject);
	assert_false(has_crlf(m->subject));
	assert_utf8(m->from.name);
	assert_utf8(m->from.email);
	for (i = 0; i < m->nr_to; i++) {
		assert_utf8(m->to[i].name);
		assert_utf8(m->to[i].email);
	}
	for (i = 0; i < m->nr_cc; i++) {
		assert_utf8(m->cc[i].name);
		assert_utf8(m->cc[i].email);
	}
	assert_utf8(m->content_type);
	assert_non_null(m->body);
	assert_int_equal(strlen(m->body), m->body_len);
	assert_utf8(m->body);
	assert_null(strstr(m->body, "\r\n"));
	if (m->attached_patch)
		assert_utf8(m->attached_patch);
}

/* Parse a string with the default limits; the test fails on error. */
static void parse_ok(struct mail *m, const char *raw)
{
	struct buf err = BUF_INIT(BUF_NOLIMIT);

	if (mail_parse(m, raw, strlen(raw), NULL, &err))
		fail_msg("mail_parse failed: %s", err.s);
	assert_mail_sane(m);
	buf_release(&err);
}

/* Parse and expect a rejection whose reason mentions `why`. */
static void parse_fails(const char *raw, size_t len,
			const struct mail_limits *lim, const char *why)
{
	struct buf err = BUF_INIT(BUF_NOLIMIT);
	struct mail m;

	assert_int_equal(mail_parse(&m, raw, len, lim, &err), -1);
	if (!strstr(err.s, why))
		fail_msg("reason '%s' does not mention '%s'", err.s, why);
	/* released: nothing left to free, nothing dangling */
	assert_null(m.headers);
	assert_null(m.body);
	assert_null(m.message_id);
	buf_release(&err);
}

/*
 * Parse a mail file; the corpus files are mboxes of one message each, so a
 * leading "From " line goes.  Returns what mail_parse() returned.
 */
static int parse_file(struct mail *m, const char *path, struct buf *err)
{
	size_t len;
	char *raw = read_whole(path, &len), *p = raw;
	int ret;

	if (len >= 5 && !memcmp(raw, "From ", 5)) {
		char *nl = memchr(raw, '\n', len);

		p = nl ? nl + 1 : raw + len;
		len -= (size_t)(p - raw);
	}
	ret = mail_parse(m, p, len, NULL, err);
	free(raw);
	return ret;
}

static void parse_fixture(struct mail *m, const char *name)
{
	struct buf err = BUF_INIT(BUF_NOLIMIT);
	char *path = fixture_path(name);

	if (parse_file(m, path, &err))
		fail_msg("'%s': %s", path, err.s);
	assert_mail_sane(m);
	free(path);
	buf_release(&err);
}

static void parse_corpus(struct mail *m, const char *name)
{
	struct buf err = BUF_INIT(BUF_NOLIMIT);
	char *path = xasprintf("%s/patchwork/mail/%s", corpora(), name);

	if (parse_file(m, path, &err))
		fail_msg("'%s': %s", path, err.s);
	assert_mail_sane(m);
	free(path);
	buf_release(&err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file names in dir, sorted; the test fails when dir is missing. */
static char **list_dir(const char *dir, size_t *nr)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t alloc = 0;

	if (!d)
		fail_msg("cannot open corpus directory '%s'", dir);
	*nr = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		ALLOC_GROW(names, *nr + 1, alloc);
		names[(*nr)++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, *nr, sizeof(*names), cmp_str);
	return names;
}

/* ---- headers ---------------------------------------------------------- */

static void test_rfc2047(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m,
		 "From: =?ISO-8859-1?Q?Andr=E9?= Smith <andre@example.org>\n"
		 "To: =?iso-8859-1?b?SvZyZw==?= <joerg@example.org>\n"
		 "Subject: =?UTF-8?Q?Rafa=C5=82?= =?UTF-8?B?IE1pxYJlY2tp?=\n"
		 "  and =?utf-8?q?caf=C3=A9?=\n"
		 "X-Plain: not =?encoded\n"
		 "\n"
		 "body\n");
	/* adjacent encoded words join without the blank between them */
	assert_string_equal(m.subject, "Rafał Miłecki and café");
	assert_string_equal(m.from.name, "André Smith");
	assert_string_equal(m.from.email, "andre@example.org");
	assert_int_equal(m.nr_to, 1);
	assert_string_equal(m.to[0].name, "Jörg");
	assert_string_equal(mail_header(&m, "x-plain"), "not =?encoded");
	mail_release(&m);
}

static void test_folded_and_raw_utf8(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m, "Subject: [PATCH v2 3/7] frob: a subject that goes on\n"
		     "\tand on\r\n"
		     "  and on\n"
		     "From: Rafał Miłecki <zajec5@example.org>\n"
		     "X-Bad: caf\xe9 \xff\xfe ok\n"
		     "\n"
		     "body\n");
	assert_string_equal(
		m.subject,
		"[PATCH v2 3/7] frob: a subject that goes on and on and on");
	/* unencoded UTF-8 stays as it is */
	assert_string_equal(m.from.name, "Rafał Miłecki");
	/* bytes that are not UTF-8 are replaced, not dropped or passed on */
	assert_string_equal(mail_header(&m, "X-Bad"),
			    "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd ok");
	mail_release(&m);
}

static void test_display_names(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m,
		 "From: \"Doe, John (Jr.)\" <john@example.org>\n"
		 "From: Second <second@example.org>\n"
		 "To: \"=?utf-8?q?J=C3=BCrgen?=\" <j@example.org>,\n"
		 "  plain@example.org\n"
		 "To: =?utf-8?b?5bCP5p6X?= <k@example.org>\n"
		 "Cc: team: a@example.org, \"B. B.\" <b@example.org>;,\n"
		 "  c@example.org\n"
		 "\n"
		 "body\n");
	/* the first From counts */
	assert_string_equal(m.from.name, "Doe, John (Jr.)");
	assert_string_equal(m.from.email, "john@example.org");
	assert_int_equal(m.nr_to, 3);
	assert_string_equal(m.to[0].name, "Jürgen");
	assert_string_equal(m.to[1].name, "");
	assert_string_equal(m.to[1].email, "plain@example.org");
	assert_string_equal(m.to[2].name, "小林");
	/* groups are flattened */
	assert_int_equal(m.nr_cc, 3);
	assert_string_equal(m.cc[0].email, "a@example.org");
	assert_string_equal(m.cc[1].name, "B. B.");
	assert_string_equal(m.cc[2].email, "c@example.org");
	mail_release(&m);
}

static void test_threading_headers(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m,
		 "Message-ID:\n <cover.1@example.org>\n"
		 "In-Reply-To: <parent@example.org> (Ann's mail of Monday)\n"
		 "In-Reply-To: <other@example.org>\n"
		 "References: <root@example.org>\n"
		 "\t<mid@example.org> junk <bad id@x> <<nested@example.org>\n"
		 "  <parent@example.org>\n"
		 "\n"
		 "body\n");
	assert_string_equal(m.message_id, "cover.1@example.org");
	assert_int_equal(m.message_id_synthetic, 0);
	assert_string_equal(m.in_reply_to, "parent@example.org");
	assert_int_equal(m.nr_references, 4);
	assert_string_equal(m.references[0], "root@example.org");
	assert_string_equal(m.references[1], "mid@example.org");
	assert_string_equal(m.references[2], "nested@example.org");
	assert_string_equal(m.references[3], "parent@example.org");
	mail_release(&m);
}

static void test_references_capped(void **state)
{
	struct buf raw = BUF_INIT(BUF_NOLIMIT);
	struct mail m;
	int i;

	(void)state;
	buf_adds(&raw, "References:");
	for (i = 0; i < 150; i++)
		buf_addf(&raw, "\n <ref%d@example.org>", i);
	buf_adds(&raw, "\n\nbody\n");
	parse_ok(&m, raw.s);
	/* the nearest ancestors are kept, oldest first */
	assert_int_equal(m.nr_references, 100);
	assert_string_equal(m.references[0], "ref50@example.org");
	assert_string_equal(m.references[99], "ref149@example.org");
	mail_release(&m);
	buf_release(&raw);
}

static void test_synthetic_message_id(void **state)
{
	const char *a = "Subject: one\n\nbody\n";
	const char *b = "Subject: two\n\nbody\n";
	struct buf raw = BUF_INIT(BUF_NOLIMIT);
	struct mail m1, m2, m3;
	char *id;

	(void)state;
	parse_ok(&m1, a);
	parse_ok(&m2, a);
	parse_ok(&m3, b);
	assert_int_equal(m1.message_id_synthetic, 1);
	assert_true(starts_with(m1.message_id, "synthetic-"));
	assert_non_null(strstr(m1.message_id, "@patchbot.invalid"));
	assert_int_equal(strlen(m1.message_id),
			 strlen("synthetic-@patchbot.invalid") + 40);
	/* same bytes, same id; other bytes, other id */
	assert_string_equal(m1.message_id, m2.message_id);
	assert_string_not_equal(m1.message_id, m3.message_id);
	id = xstrdup(m1.message_id);
	mail_release(&m1);
	mail_release(&m2);
	mail_release(&m3);

	/* an mbox From line does not change the id */
	parse_ok(&m1, "From nobody Mon Jan  1 00:00:00 2024\n"
		      "Subject: one\n\nbody\n");
	assert_string_equal(m1.message_id, id);
	mail_release(&m1);
	free(id);

	/* empty, bracket-only and overlong ids are unusable */
	parse_ok(&m1, "Message-ID:\nSubject: x\n\nbody\n");
	assert_int_equal(m1.message_id_synthetic, 1);
	mail_release(&m1);
	parse_ok(&m1, "Message-ID: <>\n\nbody\n");
	assert_int_equal(m1.message_id_synthetic, 1);
	mail_release(&m1);
	buf_adds(&raw, "Message-ID: <");
	for (int i = 0; i < 999; i++)
		buf_addch(&raw, 'a');
	buf_adds(&raw, "@example.org>\n\nbody\n");
	parse_ok(&m1, raw.s);
	assert_int_equal(m1.message_id_synthetic, 1);
	mail_release(&m1);
	buf_release(&raw);
}

static void test_dates(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m, "Subject: no date\n\nbody\n");
	assert_int_equal(m.date, 0);
	mail_release(&m);

	parse_ok(&m, "Date: Thu, 15 Sep 2016 13:06:44 +0100\n\nbody\n");
	assert_int_equal(m.date, 1473941204);
	mail_release(&m);

	parse_ok(&m, "Date: Mon, 29 Feb 2016 23:59:59 -0830\n\nbody\n");
	assert_int_equal(m.date, 1456820999);
	mail_release(&m);

	/* obsolete two-digit year */
	parse_ok(&m, "Date: 15 Sep 16 12:06:44 GMT\n\nbody\n");
	assert_int_equal(m.date, 1473941204);
	mail_release(&m);

	parse_ok(&m, "Date: Tue, 29 Feb 2017 10:00:00 +0000\n\nbody\n");
	assert_int_equal(m.date, 0);
	mail_release(&m);

	parse_ok(&m,
		 "Date: Wed, 4 Jun 207777777777777777777714 17:50:46 0\n\nx\n");
	assert_int_equal(m.date, 0);
	mail_release(&m);

	parse_ok(&m, "Date: yesterday, around noon\n\nbody\n");
	assert_int_equal(m.date, 0);
	mail_release(&m);
}

static void test_header_lookup(void **state)
{
	const struct mail_header *h;
	struct mail m;
	size_t pos = 0;

	(void)state;
	parse_ok(&m, "Received: one\n"
		     "Subject: s\n"
		     "received: two\n"
		     "RECEIVED: three\n"
		     "\n"
		     "body\n");
	assert_int_equal(m.nr_headers, 4);
	assert_string_equal(m.headers[1].name, "Subject");
	assert_string_equal(mail_header(&m, "RECEIVED"), "one");
	assert_null(mail_header(&m, "X-Missing"));
	h = mail_header_next(&m, "Received", &pos);
	assert_string_equal(h->value, "one");
	assert_int_equal(pos, 1);
	h = mail_header_next(&m, "Received", &pos);
	assert_string_equal(h->value, "two");
	assert_int_equal(pos, 3);
	h = mail_header_next(&m, "Received", &pos);
	assert_string_equal(h->value, "three");
	assert_null(mail_header_next(&m, "Received", &pos));
	mail_release(&m);
}

/* ---- bodies ----------------------------------------------------------- */

static void test_plain_body(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m, "Subject: x\r\n\r\nline one\r\nline two\r\n");
	assert_string_equal(m.content_type, "text/plain");
	assert_string_equal(m.body, "line one\nline two\n");
	assert_int_equal(m.html_only, 0);
	assert_int_equal(m.format_flowed, 0);
	assert_null(m.attached_patch);
	mail_release(&m);
}

static void test_quoted_printable(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m, "Content-Type: Text/Plain; charset=UTF-8\n"
		     "Content-Transfer-Encoding: quoted-printable\n"
		     "\n"
		     "Gr=C3=BC=C3=9Fe, a soft=\n"
		     " break and a=3Dsign.\n");
	assert_string_equal(m.content_type, "text/plain");
	assert_string_equal(m.body, "Grüße, a soft break and a=sign.\n");
	mail_release(&m);
}

static void test_base64_latin1(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m, "Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
		     "Content-Transfer-Encoding: base64\n"
		     "\n"
		     "R3L832UgYXVzIEv2bG4K\n");
	assert_string_equal(m.body, "Grüße aus Köln\n");
	mail_release(&m);
}

static void test_bogus_charset(void **state)
{
	struct buf err = BUF_INIT(BUF_NOLIMIT);
	const char *raw;
	struct mail m;

	(void)state;
	/* undeclared or unknown charset: UTF-8 when it is, Latin-1 if not */
	parse_ok(&m, "Content-Type: text/plain; charset=x-nonsense\n\n"
		     "caf\xc3\xa9\n");
	assert_string_equal(m.body, "café\n");
	mail_release(&m);
	parse_ok(&m,
		 "Content-Type: text/plain; charset=x-nonsense\n\ncaf\xe9\n");
	assert_string_equal(m.body, "café\n");
	mail_release(&m);
	parse_ok(&m, "Subject: no charset\n\ncaf\xe9\n");
	assert_string_equal(m.body, "café\n");
	mail_release(&m);
	/* declared UTF-8 that is not: replaced, NULs too */
	raw = "Content-Type: text/plain; charset=utf-8\n\ncaf\xe9\0!\n";
	assert_int_equal(mail_parse(&m, raw, strlen(raw) + 3, NULL, &err), 0);
	assert_mail_sane(&m);
	assert_string_equal(m.body, "caf\xef\xbf\xbd\xef\xbf\xbd!\n");
	mail_release(&m);
}

static void test_nested_patch_attachment(void **state)
{
	struct mail m;

	(void)state;
	parse_fixture(&m, "nested-patch.eml");
	assert_string_equal(m.content_type, "multipart/mixed");
	assert_string_equal(
		m.body, "The widget broke on Tuesdays; the patch is attached.");
	assert_non_null(m.attached_patch);
	assert_true(starts_with(m.attached_patch,
				"diff --git a/frob.c b/frob.c\n"));
	assert_non_null(strstr(m.attached_patch, "+int y;"));
	assert_null(strstr(m.body, "diff --git"));
	assert_int_equal(m.date, 1456820999);
	mail_release(&m);
}

static void test_html_only(void **state)
{
	struct mail m;

	(void)state;
	parse_fixture(&m, "html-only.eml");
	assert_int_equal(m.html_only, 1);
	assert_string_equal(m.content_type, "text/html");
	assert_string_equal(m.body, "Looks good to me & works.\n"
				    "Use a <b> tag, café é ☺\n"
				    "\n"
				    "Second paragraph\n");
	assert_null(strstr(m.body, "<div"));
	assert_null(strstr(m.body, "color"));
	mail_release(&m);
}

static void test_alternative_prefers_plain(void **state)
{
	struct mail m;

	(void)state;
	parse_fixture(&m, "alternative.eml");
	assert_int_equal(m.html_only, 0);
	assert_string_equal(m.content_type, "multipart/alternative");
	/* recorded, not undone: unflowing is the reader's business */
	assert_int_equal(m.format_flowed, 1);
	assert_string_equal(m.body, "Plain text wins. \nSecond line");
	mail_release(&m);
}

/*
 * libetpan's MIME parser sees only the MIME fields of the header: a folded
 * Content-Type among folded other fields, after and before them, still
 * gives the structure, and the other fields still come from the header.
 */
static void test_mime_fields_among_others(void **state)
{
	struct mail m;

	(void)state;
	parse_ok(&m, "From: A <a@x>\nSubject: folded\n subject\n"
		     "Content-Type: multipart/alternative;\n\tboundary=\"zz\"\n"
		     "X-Content-Type: text/html\nTo: b@y,\n c@z\n"
		     "content-transfer-encoding: 7bit\nMIME-Version: 1.0\n\n"
		     "--zz\nContent-Type: text/plain; charset=utf-8\n"
		     "Content-Transfer-Encoding: quoted-printable\n\n"
		     "caf=C3=A9\n--zz\nContent-Type: text/html\n\n<p>html</p>\n--zz--\n");
	assert_string_equal(m.content_type, "multipart/alternative");
	assert_string_equal(m.body, "caf\xc3\xa9");
	assert_string_equal(m.subject, "folded subject");
	assert_int_equal(m.nr_to, 2);
	assert_string_equal(m.to[1].email, "c@z");
	assert_int_equal(m.html_only, 0);
	mail_release(&m);
}

/* ---- limits ----------------------------------------------------------- */

static void test_limit_size(void **state)
{
	struct mail_limits lim = MAIL_LIMITS_DEFAULT;
	const char *raw =
		"Subject: big\n\n0123456789012345678901234567890123456789\n";

	(void)state;
	lim.max_size = 32;
	parse_fails(raw, strlen(raw), &lim, "over the limit of 32");
}

static void test_limit_nesting(void **state)
{
	struct buf raw = BUF_INIT(BUF_NOLIMIT);
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		buf_addf(&raw,
			 "Content-Type: multipart/mixed; boundary=\"b%d\"\n"
			 "\n"
			 "--b%d\n",
			 i, i);
	buf_adds(&raw, "Content-Type: text/plain\n\ndeep\n");
	for (i = 999; i >= 0; i--)
		buf_addf(&raw, "--b%d--\n", i);
	parse_fails(raw.s, raw.len, NULL, "nesting deeper than 32 levels");
	buf_release(&raw);
}

static void test_limit_parts(void **state)
{
	struct mail_limits lim = MAIL_LIMITS_DEFAULT;
	struct buf raw = BUF_INIT(BUF_NOLIMIT);
	struct mail m;
	int i;

	(void)state;
	buf_adds(&raw, "Content-Type: multipart/mixed; boundary=flat\n\n");
	for (i = 0; i < 40; i++)
		buf_addf(&raw, "--flat\nContent-Type: text/plain\n\npart %d\n",
			 i);
	buf_adds(&raw, "--flat--\n");
	lim.max_parts = 10;
	parse_fails(raw.s, raw.len, &lim, "more than 10 MIME parts");
	/* the default limit lets it through, every part in order */
	parse_ok(&m, raw.s);
	assert_true(starts_with(m.body, "part 0\npart 1\n"));
	assert_non_null(strstr(m.body, "part 39"));
	mail_release(&m);
	buf_release(&raw);
}

static void test_limit_headers(void **state)
{
	struct mail_limits lim = MAIL_LIMITS_DEFAULT;
	struct buf raw = BUF_INIT(BUF_NOLIMIT);
	int i;

	(void)state;
	for (i = 0; i < 20; i++)
		buf_addf(&raw, "X-H%d: v\n", i);
	buf_adds(&raw, "\nbody\n");
	lim.max_headers = 19;
	parse_fails(raw.s, raw.len, &lim, "more than 19 header fields");
	buf_release(&raw);
}

/* One field over max_field bytes, folded or not, wherever it is. */
static void test_limit_field(void **state)
{
	struct mail_limits lim = MAIL_LIMITS_DEFAULT;
	struct buf raw = BUF_INIT(BUF_NOLIMIT);
	struct mail m;
	int i;

	(void)state;
	buf_adds(&raw, "From: a@example.org\nReferences:");
	for (i = 0; i < 40; i++)
		buf_addf(&raw, " <r%02d@example.org>\n", i);
	buf_adds(&raw, "Subject: s\n\nbody\n");
	/* the name and 40 ids of 19 bytes: 771 bytes of References */
	lim.max_field = 700;
	parse_fails(raw.s, raw.len, &lim, "header field 'References' is 771 bytes, over the limit of 700");
	lim.max_field = 771;
	assert_int_equal(mail_parse(&m, raw.s, raw.len, &lim, NULL), 0);
	assert_int_equal(m.nr_references, 40);
	mail_release(&m);
	/* the last field of a mail without a body */
	buf_reset(&raw);
	buf_adds(&raw, "From: a@example.org\nSubject: ");
	for (i = 0; i < 100; i++)
		buf_adds(&raw, "0123456789");
	parse_fails(raw.s, raw.len, &lim, "over the limit of 771");
	buf_release(&raw);
}

static void test_nul_in_header(void **state)
{
	static const char raw[] = "From: <akpm@example.org\0@evil.example.net>\n"
				  "Subject: s\n\nbody\n";
	static const char body_nul[] = "From: <a@example.org>\nSubject: s\n\nbo\0dy\n";
	struct mail m;

	(void)state;
	/* a C string would end the address where the attacker wants */
	parse_fails(raw, sizeof(raw) - 1, NULL, "NUL byte in the header");
	/* in the body it is just bad text */
	assert_int_equal(mail_parse(&m, body_nul, sizeof(body_nul) - 1, NULL, NULL), 0);
	mail_release(&m);
}

static void test_malformed_boundary(void **state)
{
	const char *raw = "Content-Type: multipart/mixed; boundary=\"\\\"\"\n\n"
			  "--\"\n\nx\n";

	(void)state;
	/* would overrun a buffer inside libetpan */
	parse_fails(raw, strlen(raw), NULL, "boundary");
}

static void test_empty(void **state)
{
	(void)state;
	parse_fails("", 0, NULL, "empty");
}

/* ---- corpora ---------------------------------------------------------- */

static void test_corpus_mail_all(void **state)
{
	char *dir = xasprintf("%s/patchwork/mail", corpora());
	size_t nr, i;
	char **names = list_dir(dir, &nr);

	(void)state;
	assert_true(nr >= 20);
	for (i = 0; i < nr; i++) {
		struct mail m;

		parse_corpus(&m, names[i]);
		/* a few corpus mails have no Message-ID at all */
		assert_int_equal(m.message_id_synthetic,
				 mail_header(&m, "Message-ID") == NULL);
		mail_release(&m);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static void test_corpus_mail_specific(void **state)
{
	struct mail m;

	(void)state;
	parse_corpus(&m, "0010-invalid-charset.mbox");
	assert_non_null(strstr(m.body, "pow"));
	mail_release(&m);

	parse_corpus(&m, "0013-with-utf8-body.mbox");
	assert_non_null(strstr(m.body, "Rafał Miłecki"));
	assert_string_equal(m.from.name, "Rafał Miłecki");
	mail_release(&m);

	parse_corpus(&m, "0014-with-unencoded-utf8-headers.mbox");
	assert_non_null(strstr(m.subject, "Rafał Miłecki"));
	mail_release(&m);

	parse_corpus(&m, "0015-with-invalid-utf8-headers.mbox");
	assert_utf8(m.subject);
	mail_release(&m);

	parse_corpus(&m, "0016-no-subject.mbox");
	assert_string_equal(m.subject, "");
	mail_release(&m);

	parse_corpus(&m, "0019-multipart-patch.mbox");
	assert_true(strstr(m.body, "diff --git") || strstr(m.body, "---"));
	assert_null(strstr(m.body, "<div"));
	assert_int_equal(m.html_only, 0);
	mail_release(&m);

	parse_corpus(&m, "0020-multipart-comment.mbox");
	assert_null(strstr(m.body, "<div"));
	mail_release(&m);
}

static void test_corpus_fuzz(void **state)
{
	char *dir = xasprintf("%s/patchwork/fuzz", corpora());
	size_t nr, i;
	char **names = list_dir(dir, &nr);

	(void)state;
	assert_true(nr > 0);
	for (i = 0; i < nr; i++) {
		struct buf err = BUF_INIT(BUF_NOLIMIT);
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct mail m;

		if (parse_file(&m, path, &err)) {
			if (!err.len)
				fail_msg("'%s' rejected without a reason",
					 path);
			assert_false(strchr(err.s, '\n'));
		} else {
			assert_mail_sane(&m);
			mail_release(&m);
		}
		buf_release(&err);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_folded_and_raw_utf8),
		cmocka_unit_test(test_display_names),
		cmocka_unit_test(test_threading_headers),
		cmocka_unit_test(test_references_capped),
		cmocka_unit_test(test_synthetic_message_id),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_header_lookup),
		cmocka_unit_test(test_plain_body),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_base64_latin1),
		cmocka_unit_test(test_bogus_charset),
		cmocka_unit_test(test_nested_patch_attachment),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_alternative_prefers_plain),
		cmocka_unit_test(test_limit_size),
		cmocka_unit_test(test_mime_fields_among_others),
		cmocka_unit_test(test_limit_nesting),
		cmocka_unit_test(test_limit_parts),
		cmocka_unit_test(test_limit_headers),
		cmocka_unit_test(test_limit_field),
		cmocka_unit_test(test_nul_in_header),
		cmocka_unit_test(test_malformed_boundary),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_corpus_mail_all),
		cmocka_unit_test(test_corpus_mail_specific),
		cmocka_unit_test(test_corpus_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
