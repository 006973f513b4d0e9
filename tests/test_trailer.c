/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_trailer: trailers from commit messages and from review replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <git2.h>

#include "trailer.h"

static int setup(void **state)
{
	(void)state;
	return git_libgit2_init() < 0;
}

static int teardown(void **state)
{
	(void)state;
	git_libgit2_shutdown();
	return 0;
}

static void assert_trailer(const struct trailer_list *l, size_t i,
			   const char *key, const char *value)
{
	assert_true(i < l->nr);
	assert_string_equal(l->items[i].key, key);
	assert_string_equal(l->items[i].value, value);
}

/* Reply: the whole list read from body. */
static struct trailer_list reply(const char *body, int want)
{
	struct trailer_list l = TRAILER_LIST_INIT;

	assert_int_equal(trailers_from_reply(body, &l), want);
	assert_int_equal(l.nr, want);
	return l;
}

static void test_changelog(void **state)
{
	struct trailer_list l = TRAILER_LIST_INIT;
	const char *msg =
		"net: fix the frobnicator\n"
		"\n"
		"The frobnicator frobbed twice.\n"
		"\n"
		"fixes: 0123456789ab (\"net: add the frobnicator\")\n"
		"CC: stable@vger.kernel.org\n"
		"Link: https://lore.kernel.org/r/1@x\n"
		"Change-ID: I0123\n"
		"X-Custom-Thing: kept as written  \n"
		"Signed-off-by: Jane Doe <jane@example.org>\n"
		"Signed-off-by: Jane Doe <jane@example.org>\n";

	(void)state;
	assert_int_equal(trailers_from_changelog(msg, &l), 7);
	assert_int_equal(l.nr, 7);
	assert_trailer(&l, 0, "Fixes", "0123456789ab (\"net: add the frobnicator\")");
	assert_trailer(&l, 1, "Cc", "stable@vger.kernel.org");
	assert_trailer(&l, 2, "Link", "https://lore.kernel.org/r/1@x");
	assert_trailer(&l, 3, "Change-Id", "I0123");
	assert_trailer(&l, 4, "X-Custom-Thing", "kept as written");
	/* A changelog keeps repeats: they record a chain of handling. */
	assert_trailer(&l, 5, "Signed-off-by", "Jane Doe <jane@example.org>");
	assert_trailer(&l, 6, "Signed-off-by", "Jane Doe <jane@example.org>");
	trailer_list_release(&l);
	assert_null(l.items);
	assert_int_equal(l.nr, 0);
}

static void test_changelog_patch(void **state)
{
	struct trailer_list l = TRAILER_LIST_INIT;
	const char *msg =
		"subject\n"
		"\n"
		"Body.\n"
		"\n"
		"Reviewed-by: A <a@x.org>\n"
		"Cc: long list,\n"
		"  continued\n"
		"---\n"
		" x.c | 1 +\n"
		"\n"
		"Acked-by: not <a@trailer>\n";

	(void)state;
	/* git stops at "---" and joins continuation lines. */
	assert_int_equal(trailers_from_changelog(msg, &l), 2);
	assert_trailer(&l, 0, "Reviewed-by", "A <a@x.org>");
	assert_trailer(&l, 1, "Cc", "long list, continued");
	trailer_list_release(&l);
}

static void test_changelog_none(void **state)
{
	struct trailer_list l = TRAILER_LIST_INIT;

	(void)state;
	assert_int_equal(trailers_from_changelog(NULL, &l), 0);
	assert_int_equal(trailers_from_changelog("", &l), 0);
	assert_int_equal(trailers_from_changelog("just a subject\n", &l), 0);
	assert_int_equal(trailers_from_changelog("subject\n\nno trailers here\n", &l), 0);
	assert_int_equal(l.nr, 0);
	trailer_list_release(&l);
}

static void test_reply_below_quote(void **state)
{
	struct trailer_list l = reply(
		"On Mon, 1 Jan 2024 at 10:00, John Smith <john@example.com> wrote:\n"
		"> The frobnicator frobbed twice.\n"
		">\n"
		"> Signed-off-by: John Smith <john@example.com>\n"
		"> ---\n"
		">  net/frob.c | 2 +-\n"
		">\n"
		"> diff --git a/net/frob.c b/net/frob.c\n"
		"> -\tfrob();\n"
		"> -\tfrob();\n"
		"> +\tfrob();\n"
		"\n"
		"Reviewed-by: Jane <jane@x.org>\n"
		"\n"
		"Thanks,\n"
		"Jane\n",
		1);

	(void)state;
	assert_trailer(&l, 0, "Reviewed-by", "Jane <jane@x.org>");
	trailer_list_release(&l);
}

static void test_reply_quoted(void **state)
{
	struct trailer_list l;

	(void)state;
	l = reply("> Reviewed-by: Jane <jane@x.org>\n", 0);
	l = reply("   > Reviewed-by: Jane <jane@x.org>\n", 0);
	l = reply(">> Acked-by: Jane <jane@x.org>\n", 0);
	trailer_list_release(&l);
}

static void test_reply_signature(void **state)
{
	struct trailer_list l;

	(void)state;
	l = reply("Thanks.\n-- \nReviewed-by: Jane <jane@x.org>\n", 0);
	l = reply("Thanks.\r\n-- \r\nReviewed-by: Jane <jane@x.org>\r\n", 0);
	l = reply("Thanks.\n--\nReviewed-by: Jane <jane@x.org>\n", 0);
	/* "---" is not a signature separator. */
	l = reply("Thanks.\n---\nReviewed-by: Jane <jane@x.org>\n", 1);
	trailer_list_release(&l);
}

static void test_reply_key_case(void **state)
{
	struct trailer_list l = reply(
		"acked-by: a <a@b>\n"
		"TESTED-BY: t@b\n"
		"  Reviewed-And-Tested-By : r <r@b>\r\n"
		"nacked-by: n <n@b>\n"
		"Reported-by:r@b\n"
		"suggested-BY: s <s@b>\n"
		"Reported-and-tested-by: rt <rt@b>",
		7);

	(void)state;
	assert_trailer(&l, 0, "Acked-by", "a <a@b>");
	assert_trailer(&l, 1, "Tested-by", "t@b");
	assert_trailer(&l, 2, "Reviewed-and-tested-by", "r <r@b>");
	assert_trailer(&l, 3, "Nacked-by", "n <n@b>");
	assert_trailer(&l, 4, "Reported-by", "r@b");
	assert_trailer(&l, 5, "Suggested-by", "s <s@b>");
	assert_trailer(&l, 6, "Reported-and-tested-by", "rt <rt@b>");
	trailer_list_release(&l);
}

static void test_reply_not_trailers(void **state)
{
	struct trailer_list l;

	(void)state;
	/* Mid-line, not at line start. */
	l = reply("Looks good. Reviewed-by: foo <foo@x.org>\n", 0);
	/* No address. */
	l = reply("Reviewed-by: me\nAcked-by:\nAcked-by:    \n", 0);
	/* Not a reviewer's key: a pasted Signed-off-by or a Cc. */
	l = reply("Signed-off-by: A <a@b>\nCc: c@d\nCo-developed-by: A <a@b>\n", 0);
	/* Not quite the key. */
	l = reply("Reviewed by: A <a@b>\nReviewed-by-me: A <a@b>\nXReviewed-by: A <a@b>\n", 0);
	/* Outlook top-posting leaves the original unquoted. */
	l = reply("Acked-by: A <a@b>\n\n-----Original Message-----\nFrom: x\n"
		  "Reviewed-by: B <b@c>\n", 1);
	trailer_list_release(&l);
	l = reply(NULL, 0);
	l = reply("", 0);
	trailer_list_release(&l);
}

static void test_reply_top_posted(void **state)
{
	struct trailer_list l = reply(
		"Looks fine to me.\n"
		"\n"
		"Acked-by: Jane <jane@x.org>\n"
		"\n"
		"On Tue, 2 Jan 2024, John wrote:\n"
		"> patch\n"
		"> Reviewed-by: Old <old@x.org>\n",
		1);

	(void)state;
	assert_trailer(&l, 0, "Acked-by", "Jane <jane@x.org>");
	trailer_list_release(&l);

	/* A greeting before the attribution, trailer after the quote. */
	l = reply("Hi,\n\nOn Tue, 2 Jan 2024, John wrote:\n> patch\n\n"
		  "Tested-by: T <t@x.org>\n", 1);
	assert_trailer(&l, 0, "Tested-by", "T <t@x.org>");
	trailer_list_release(&l);
}

static void test_reply_dedup_and_append(void **state)
{
	struct trailer_list l = TRAILER_LIST_INIT;

	(void)state;
	assert_int_equal(trailers_from_reply("Acked-by: A <a@b>\nacked-by:  A <a@b> \n"
					     "Reviewed-by: A <a@b>\n", &l), 2);
	/* A second reply adds only what is new. */
	assert_int_equal(trailers_from_reply("Acked-by: A <a@b>\nAcked-by: B <b@c>\n", &l), 1);
	assert_int_equal(l.nr, 3);
	assert_trailer(&l, 0, "Acked-by", "A <a@b>");
	assert_trailer(&l, 1, "Reviewed-by", "A <a@b>");
	assert_trailer(&l, 2, "Acked-by", "B <b@c>");
	trailer_list_release(&l);
}

static void test_reply_limits(void **state)
{
	struct trailer_list l = TRAILER_LIST_INIT;
	size_t n = 1000, len = 0;
	char *body = malloc(n * 64 + 1024);
	char *big;

	(void)state;
	assert_non_null(body);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(body + len, "Acked-by: a%zu <a%zu@b>\n", i, i);
	assert_int_equal(trailers_from_reply(body, &l), TRAILER_MAX);
	assert_int_equal(l.nr, TRAILER_MAX);
	/* A full list takes no more. */
	assert_int_equal(trailers_from_reply("Acked-by: new <n@b>\n", &l), 0);
	trailer_list_release(&l);
	free(body);

	big = malloc(TRAILER_VALUE_MAX + 64);
	assert_non_null(big);
	strcpy(big, "Acked-by: <");
	len = strlen(big);
	memset(big + len, 'x', TRAILER_VALUE_MAX);
	strcpy(big + len + TRAILER_VALUE_MAX, "@b>\nAcked-by: short <s@b>\n");
	l = reply(big, 1);
	assert_trailer(&l, 0, "Acked-by", "short <s@b>");
	trailer_list_release(&l);
	free(big);

	/* Control characters have no place in a value we might send. */
	l = reply("Acked-by: a\x1b[31m <a@b>\n", 0);
	trailer_list_release(&l);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* The body of the mbox's message number i (from 0), in place. */
static char *mbox_body(char *mbox, int i)
{
	char *p = mbox, *body, *next;

	for (; i > 0; i--) {
		p = strstr(p + 1, "\nFrom mboxrd@z ");
		assert_non_null(p);
	}
	body = strstr(p, "\n\n");
	assert_non_null(body);
	body += 2;
	next = strstr(body, "\nFrom mboxrd@z ");
	if (next)
		next[1] = '\0';
	return body;
}

/*
 * The patchwork corpus's review of "[PATCH -next] bpf: Use
 * PTR_ERR_OR_ZERO": an inline reply with a quoted Signed-off-by and one
 * Acked-by under the quote.
 */
static void test_corpus_reply(void **state)
{
	static const char *const dirs[] = { NULL, "../../shared/corpora",
					    "../shared/corpora" };
	const char *file = "/patchwork/series/bugs-multiple-content-types.mbox";
	struct trailer_list l = TRAILER_LIST_INIT;
	char *a = NULL, *b;
	char path[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !a; i++) {
		const char *d = i ? dirs[i] : getenv("PATCHBOT_CORPORA");

		if (!d)
			continue;
		snprintf(path, sizeof(path), "%s%s", d, file);
		a = read_file(path);
	}
	if (!a) {
		print_message("corpora not found; set PATCHBOT_CORPORA\n");
		skip();
	}
	b = strdup(a);
	assert_non_null(b);

	assert_int_equal(trailers_from_changelog(mbox_body(a, 0), &l), 1);
	assert_trailer(&l, 0, "Signed-off-by", "YueHaibing <yuehaibing@huawei.com>");
	trailer_list_release(&l);

	assert_int_equal(trailers_from_reply(mbox_body(b, 1), &l), 1);
	assert_trailer(&l, 0, "Acked-by", "Bj\xc3\xb6rn T\xc3\xb6pel <bjorn.topel@intel.com>");
	trailer_list_release(&l);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changelog),
		cmocka_unit_test(test_changelog_patch),
		cmocka_unit_test(test_changelog_none),
		cmocka_unit_test(test_reply_below_quote),
		cmocka_unit_test(test_reply_quoted),
		cmocka_unit_test(test_reply_signature),
		cmocka_unit_test(test_reply_key_case),
		cmocka_unit_test(test_reply_not_trailers),
		cmocka_unit_test(test_reply_top_posted),
		cmocka_unit_test(test_reply_dedup_and_append),
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_corpus_reply),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
