/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_header: outgoing header fields are single, folded, encoded and decodable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>

#include "header.h"
#include "util.h"

static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t k = *p < 0x80 ? 1 : *p >= 0xc2 && *p < 0xe0 ? 2 :
			   *p >= 0xe0 && *p < 0xf0 ? 3 : *p >= 0xf0 && *p < 0xf5 ? 4 : 0;

		if (!k)
			return 0;
		for (size_t i = 1; i < k; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += k;
	}
	return 1;
}

/*
 * One header field, as we must write it: printable ASCII, no CR, every LF
 * either the last byte or followed by the space of a fold, and lines no
 * longer than max (when max is not 0).
 */
static void assert_one_field(const char *h, size_t max)
{
	size_t col = 0, len = strlen(h);

	assert_true(len > 0);
	assert_int_equal(h[len - 1], '\n');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '\n') {
			if (i + 1 < len && h[i + 1] != ' ')
				fail_msg("a second field after byte %zu: '%s'", i, h);
			if (max && col > max)
				fail_msg("line of %zu > %zu in '%s'", col, max, h);
			col = 0;
			continue;
		}
		if (c < ' ' || c >= 0x7f)
			fail_msg("byte 0x%02x in '%s'", c, h);
		col++;
	}
}

/* The value after "Name: ", unfolded (a fold is "\n" before a blank). */
static char *unfold_value(const char *h)
{
	const char *colon = strchr(h, ':');
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char *t;

	assert_non_null(colon);
	for (const char *p = colon + 1; *p; p++)
		if (*p != '\n')
			buf_addch(&b, *p);
	t = str_trim_dup(b.s, b.len);
	buf_release(&b);
	return t;
}

static char *decode(const char *s)
{
	size_t idx = 0;
	char *out = NULL;

	assert_int_equal(mailmime_encoded_phrase_parse("utf-8", s, strlen(s),
						       &idx, "utf-8", &out),
			 MAILIMF_NO_ERROR);
	return out;
}

static char *text_header(const char *name, const char *value)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	assert_int_equal(header_add_text(&b, name, value), 0);
	return buf_detach(&b, NULL);
}

static char *address_header(const char *display, const char *addr)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	assert_int_equal(header_add_address(&b, "To", display, addr), 0);
	return buf_detach(&b, NULL);
}

static void test_sanitize(void **state)
{
	static const struct {
		const char *in;
		size_t max;
		const char *out;
	} cases[] = {
		{ "plain", 100, "plain" },
		{ "  a \t\t b  ", 100, "a b" },
		{ "a\r\nBcc: x@y", 100, "a Bcc: x@y" },
		{ "\r\n\r\n", 100, "" },
		{ "a\x01\x1f\x7f" "b", 100, "a b" },
		{ "a\xff" "b", 100, "a\xef\xbf\xbd" "b" },
		{ "\xc0\xaf", 100, "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong '/' */
		{ "\xed\xa0\x80", 100, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe2\x82", 100, "\xef\xbf\xbd\xef\xbf\xbd" }, /* cut short */
		{ "a\xc2\x85" "b", 100, "a b" },       /* NEL */
		{ "a\xe2\x80\xa8" "b", 100, "a b" },   /* LINE SEPARATOR */
		{ "caf\xc3\xa9", 100, "caf\xc3\xa9" },
		{ "caf\xc3\xa9", 4, "caf" },           /* no half é */
		{ "\xf0\x9f\x98\x80", 3, "" },         /* no part of an emoji */
		{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },
		{ "ab cd", 3, "ab" },                  /* no trailing blank */
		{ "ab cd", 0, "" },
		{ "\xff", 2, "" },
		{ "", 10, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *s = header_sanitize(cases[i].in, cases[i].max);

		if (strcmp(s, cases[i].out))
			fail_msg("case %zu: got '%s', want '%s'", i, s,
				 cases[i].out);
		free(s);
	}
	{
		char *s = header_sanitize(NULL, 10);

		assert_string_equal(s, "");
		free(s);
	}
}

static void test_injection(void **state)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char *h;

	(void)state;
	h = text_header("Subject", "Subject\r\nBcc: victim@x");
	assert_string_equal(h, "Subject: Subject Bcc: victim@x\n");
	free(h);
	h = text_header("Subject", "x\n\nbody");
	assert_string_equal(h, "Subject: x body\n");
	free(h);
	h = text_header("Subject", "x\rBcc: v@x\r");
	assert_string_equal(h, "Subject: x Bcc: v@x\n");
	free(h);
	h = text_header("Subject", "\xc3\xa9\r\nBcc: v@x");
	assert_one_field(h, 76);
	free(h);

	h = address_header("Eve\r\nBcc: victim@x", "eve@example.org");
	assert_string_equal(h, "To: \"Eve Bcc: victim@x\" <eve@example.org>\n");
	free(h);

	/* a bad address is refused whole, not mended */
	assert_int_equal(header_add_address(&b, "To", "Eve",
					    "eve@example.org\r\nBcc: v@x"),
			 -1);
	assert_int_equal(header_add_address(&b, "To", "Eve",
					    "eve@example.org>, v@x"),
			 -1);
	assert_int_equal(header_add_address(&b, "To", "Eve", NULL), -1);
	/* and so is a name that is not a field name */
	assert_int_equal(header_add_text(&b, "Subject: x\nBcc", "y"), -1);
	assert_int_equal(header_add_text(&b, "", "y"), -1);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_short_and_empty(void **state)
{
	char *h;

	(void)state;
	h = text_header("Subject", "[PATCH v2 1/3] fix it");
	assert_string_equal(h, "Subject: [PATCH v2 1/3] fix it\n");
	free(h);
	h = text_header("Subject", "");
	assert_string_equal(h, "Subject:\n");
	free(h);
	h = text_header("Subject", NULL);
	assert_string_equal(h, "Subject:\n");
	free(h);
}

static void test_fold(void **state)
{
	struct buf v = BUF_INIT(BUF_NOLIMIT);
	char *h, *u;

	(void)state;
	for (int i = 0; i < 60; i++)
		buf_addf(&v, "%sword%d", i ? " " : "", i * 37);
	h = text_header("Subject", v.s);
	assert_one_field(h, 78);
	assert_true(strchr(h, '\n') < strrchr(h, '\n')); /* it did fold */
	u = unfold_value(h);
	assert_string_equal(u, v.s);
	free(u);
	free(h);

	/* a word longer than a line stays whole on a line of its own */
	buf_reset(&v);
	buf_adds(&v, "short ");
	for (int i = 0; i < 100; i++)
		buf_addch(&v, 'x');
	buf_adds(&v, " tail");
	h = text_header("Subject", v.s);
	assert_one_field(h, 0);
	assert_non_null(strstr(h, "Subject: short\n xxxx"));
	assert_non_null(strstr(h, "xxx\n tail\n"));
	u = unfold_value(h);
	assert_string_equal(u, v.s);
	free(u);
	free(h);

	/* values are capped, lines stay under the 998 of RFC 5322 */
	buf_reset(&v);
	for (int i = 0; i < 5000; i++)
		buf_addch(&v, 'y');
	h = text_header("Subject", v.s);
	assert_one_field(h, 998);
	free(h);
	buf_release(&v);
}

/* Encode, check the lines, decode with libetpan: the same text back. */
static char *roundtrip(const char *value, const char *kind)
{
	char *h = text_header("Subject", value), *u, *d;
	char *want = header_sanitize(value, 900);

	assert_one_field(h, 76);
	if (kind && !strstr(h, kind))
		fail_msg("expected %s words in '%s'", kind, h);
	u = unfold_value(h);
	/* all encoded, every word within the 75 of RFC 2047 */
	for (const char *w = u; *w; w += strspn(w, " ")) {
		size_t n = strcspn(w, " ");

		assert_true(starts_with(w, "=?UTF-8?Q?") ||
			    starts_with(w, "=?UTF-8?B?"));
		assert_true(n <= 75 && w[n - 2] == '?' && w[n - 1] == '=');
		w += n;
	}
	d = decode(u);
	assert_string_equal(d, want);
	free(want);
	free(u);
	free(h);
	return d;
}

static void test_utf8_subject(void **state)
{
	struct buf v = BUF_INIT(BUF_NOLIMIT);

	(void)state;
	free(roundtrip("[PATCH] caf\xc3\xa9: fix the r\xc3\xa9sum\xc3\xa9 parser", "?Q?"));
	free(roundtrip("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d", "?B?"));
	/* "?", "=", "_" and "=?" survive the Q encoding */
	free(roundtrip("a_b =?x?= c?=d \xc3\xa9", NULL));
	/* ASCII that looks encoded is encoded, or readers would decode it */
	free(roundtrip("=?utf-8?q?not_encoded?=", NULL));

	for (int i = 0; i < 40; i++)
		buf_adds(&v, "gr\xc3\xbc\xc3\x9f" "e ");
	free(roundtrip(v.s, NULL));
	buf_reset(&v);
	for (int i = 0; i < 300; i++)
		buf_adds(&v, "\xd0\xb6");
	free(roundtrip(v.s, "?B?"));
	buf_release(&v);
}

/* Every word decodes on its own to whole characters: no emoji is split. */
static void test_no_split(void **state)
{
	static const char emoji[] = "\xf0\x9f\x98\x80";
	struct buf v = BUF_INIT(BUF_NOLIMIT);
	char *h, *u, *d;
	int words = 0;

	(void)state;
	buf_adds(&v, "x");
	for (int i = 0; i < 50; i++)
		buf_adds(&v, emoji);
	d = roundtrip(v.s, NULL);
	free(d);

	h = text_header("Subject", v.s);
	u = unfold_value(h);
	for (char *w = strtok(u, " "); w; w = strtok(NULL, " ")) {
		d = decode(w);
		assert_true(valid_utf8(d));
		words++;
		free(d);
	}
	assert_true(words > 1);
	free(u);
	free(h);

	/* the same with Q words, an é now and then across the word ends */
	buf_reset(&v);
	for (int i = 0; i < 80; i++)
		buf_adds(&v, "abcdefghijk\xc3\xa9");
	h = text_header("Subject", v.s);
	assert_non_null(strstr(h, "?Q?"));
	u = unfold_value(h);
	for (char *w = strtok(u, " "); w; w = strtok(NULL, " ")) {
		d = decode(w);
		assert_true(valid_utf8(d));
		free(d);
	}
	free(u);
	free(h);
	buf_release(&v);
}

/* A long field name leaves less room on the first line. */
static void test_long_name(void **state)
{
	char *h;

	(void)state;
	h = text_header("X-Patchbot-A-Rather-Long-Header-Name-For-Testing-The-Fold",
			"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_one_field(h, 76);
	free(h);
	h = text_header("X-Patchbot-A-Rather-Long-Header-Name-For-Testing-The-Fold-Even-Longer",
			"\xc3\xa9 plus some more text");
	assert_one_field(h, 76);
	assert_non_null(strstr(h, ":\n =?UTF-8?"));
	free(h);
}

static void test_display_names(void **state)
{
	static const struct {
		const char *display, *want;
	} cases[] = {
		{ "Alice Smith", "To: Alice Smith <a@example.org>\n" },
		{ "Doe, John", "To: \"Doe, John\" <a@example.org>\n" },
		{ "J. R. Hacker", "To: \"J. R. Hacker\" <a@example.org>\n" },
		{ "say \"hi\" \\o/", "To: \"say \\\"hi\\\" \\\\o/\" <a@example.org>\n" },
		{ "<evil@x.org>", "To: \"<evil@x.org>\" <a@example.org>\n" },
		{ "", "To: a@example.org\n" },
		{ " \r\n ", "To: a@example.org\n" },
		{ NULL, "To: a@example.org\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *h = address_header(cases[i].display, "a@example.org");

		if (strcmp(h, cases[i].want))
			fail_msg("got '%s', want '%s'", h, cases[i].want);
		assert_one_field(h, 78);
		free(h);
	}
}

/*
 * A non-ASCII display name is encoded under the phrase rules of RFC 2047
 * 5(3): a Q word holds letters, digits and "!*+-/" only (and its =XX and
 * _), so a quote, comma or '<' in the name cannot end the phrase.
 */
static void check_phrase(const char *display, const char *want)
{
	char *h = address_header(display, "jose@example.org"), *u, *lt, *d;

	assert_one_field(h, 76);
	u = unfold_value(h);
	lt = strrchr(u, '<');
	assert_non_null(lt);
	assert_string_equal(lt, "<jose@example.org>");
	assert_true(lt > u && lt[-1] == ' ');
	lt[-1] = '\0';
	for (char *w = u; (w = strstr(w, "=?UTF-8?Q?")); w += 10) {
		char *end = strstr(w + 10, "?=");

		for (char *p = w + 10; p < end; p++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/=_", *p))
				fail_msg("'%c' in a phrase Q word: '%s'", *p, h);
	}
	d = decode(u);
	assert_string_equal(d, want);
	free(d);
	free(u);
	free(h);
}

static void test_non_ascii_display(void **state)
{
	struct buf v = BUF_INIT(BUF_NOLIMIT);

	(void)state;
	check_phrase("Jos\xc3\xa9 P\xc3\xa9rez", "Jos\xc3\xa9 P\xc3\xa9rez");
	check_phrase("P\xc3\xa9rez, Jos\xc3\xa9 \"<x@y>\" (\\)",
		     "P\xc3\xa9rez, Jos\xc3\xa9 \"<x@y>\" (\\)");
	check_phrase("\xe5\xbc\xa0\xe4\xbc\x9f", "\xe5\xbc\xa0\xe4\xbc\x9f");
	for (int i = 0; i < 30; i++)
		buf_adds(&v, "J\xc3\xb6rg ");
	buf_rtrim(&v);
	check_phrase(v.s, v.s);
	buf_release(&v);
}

static void test_addr_ok(void **state)
{
	static const struct {
		const char *addr;
		int ok;
	} cases[] = {
		{ "alice@example.org", 1 },
		{ "a.b+tag@sub.example.org", 1 },
		{ "x!#$%&'*/=?^_`{|}~-@example.org", 1 },
		{ "a@[192.0.2.1]", 1 },
		{ "a@[IPv6:2001:db8::1]", 1 },
		{ "a@localhost", 1 },
		{ "", 0 },
		{ "@example.org", 0 },
		{ "alice@", 0 },
		{ "alice", 0 },
		{ "a@b@example.org", 0 },
		{ "alice@example..org", 0 },
		{ "alice@.example.org", 0 },
		{ "alice@example.org.", 0 },
		{ "alice@exa_mple.org", 0 },
		{ "alice@[", 0 },
		{ "alice@[]", 0 },
		{ "alice@example.org\r\nBcc: v@x", 0 },
		{ "alice@example.org\n", 0 },
		{ "ali ce@example.org", 0 },
		{ "alice\t@example.org", 0 },
		{ "<alice@example.org>", 0 },
		{ "alice@example.org>", 0 },
		{ "a,b@example.org", 0 },
		{ "a;b@example.org", 0 },
		{ "\"a\"@example.org", 0 },
		{ "a\\b@example.org", 0 },
		{ "a(b)@example.org", 0 },
		{ "a:b@example.org", 0 },
		{ "a\x7f@example.org", 0 },
		{ "j\xc3\xb6rg@example.org", 0 },
		{ "alice@ex\xc3\xa4mple.org", 0 },
		{ "alice@exa mple.org", 0 },
	};
	char big[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (header_addr_ok(cases[i].addr) != cases[i].ok)
			fail_msg("'%s': want %d", cases[i].addr, cases[i].ok);
	assert_int_equal(header_addr_ok(NULL), 0);

	/* 254 bytes is the most a path may hold */
	memset(big, 'a', sizeof(big));
	memcpy(big + 254 - 12, "@example.org", 13);
	assert_int_equal(strlen(big), 254);
	assert_int_equal(header_addr_ok(big), 1);
	memset(big, 'a', sizeof(big));
	memcpy(big + 255 - 12, "@example.org", 13);
	assert_int_equal(header_addr_ok(big), 0);
}

/* A full buffer takes nothing: no half header is left behind. */
static void test_full_buffer(void **state)
{
	struct buf b = BUF_INIT(20);

	(void)state;
	assert_int_equal(header_add_text(&b, "Subject", "short"), 0);
	assert_int_equal(header_add_text(&b, "Subject", "a longer subject"), -1);
	assert_string_equal(b.s, "Subject: short\n");
	assert_int_equal(header_add_address(&b, "To", "A", "a@example.org"), -1);
	assert_string_equal(b.s, "Subject: short\n");
	buf_release(&b);
}

/* Random bytes in: always one sane field out, and valid UTF-8 from sanitize. */
static void test_random(void **state)
{
	unsigned seed = 4242;
	char s[400];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct buf b = BUF_INIT(BUF_NOLIMIT);
		size_t n, max;
		char *t;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % (sizeof(s) - 1);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = (char)((seed >> 16) % 255 + 1);
		}
		s[n] = '\0';
		max = (seed >> 8) % 64;
		t = header_sanitize(s, max);
		assert_true(strlen(t) <= max);
		assert_true(valid_utf8(t));
		assert_null(strpbrk(t, "\r\n\t"));
		free(t);

		assert_int_equal(header_add_text(&b, "Subject", s), 0);
		assert_one_field(b.s, 0);
		buf_reset(&b);
		assert_int_equal(header_add_address(&b, "From", s,
						    "bot@example.org"),
				 0);
		assert_one_field(b.s, 0);
		buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_short_and_empty),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_utf8_subject),
		cmocka_unit_test(test_no_split),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_display_names),
		cmocka_unit_test(test_non_ascii_display),
		cmocka_unit_test(test_addr_ok),
		cmocka_unit_test(test_full_buffer),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
