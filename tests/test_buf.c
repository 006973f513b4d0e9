/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_buf: the capped buffer keeps its promises at and past the cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void assert_buf(const struct buf *b, const char *s)
{
	assert_int_equal(b->len, strlen(s));
	assert_memory_equal(b->s, s, b->len + 1);
}

static void test_init(void **state)
{
	struct buf a = BUF_INIT(10), b;

	(void)state;
	buf_init(&b, 10);
	/* Never NULL, always terminated, even before the first append. */
	assert_non_null(a.s);
	assert_buf(&a, "");
	assert_buf(&b, "");
	buf_release(&a);
	buf_release(&b);
	assert_buf(&a, "");
	assert_int_equal(a.max, 10);
}

static void test_add(void **state)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	(void)state;
	assert_int_equal(buf_add(&b, "ab", 2), 0);
	assert_int_equal(buf_adds(&b, "cd"), 0);
	assert_int_equal(buf_addch(&b, 'e'), 0);
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_buf(&b, "abcde");
	/* Embedded NUL bytes are data. */
	assert_int_equal(buf_add(&b, "x\0y", 3), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.s, "abcdex\0y", 9);
	buf_release(&b);
}

static void test_grow(void **state)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	(void)state;
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_addch(&b, 'a' + i % 26), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.alloc > b.len);
	assert_int_equal(b.s[b.len], '\0');
	for (int i = 0; i < 100000; i++)
		assert_int_equal(b.s[i], 'a' + i % 26);
	buf_release(&b);
}

static void test_cap(void **state)
{
	struct buf b = BUF_INIT(5);

	(void)state;
	assert_int_equal(buf_adds(&b, "abc"), 0);
	/* Failing appends leave the buffer exactly as it was. */
	assert_int_equal(buf_adds(&b, "def"), -1);
	assert_buf(&b, "abc");
	assert_int_equal(buf_addf(&b, "%d", 1234), -1);
	assert_buf(&b, "abc");
	/* Up to the cap is fine; one byte more is not. */
	assert_int_equal(buf_adds(&b, "de"), 0);
	assert_buf(&b, "abcde");
	assert_int_equal(buf_addch(&b, 'f'), -1);
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_buf(&b, "abcde");
	/* A length that would overflow size_t is refused, not wrapped. */
	assert_int_equal(buf_add(&b, "x", (size_t)-1), -1);
	assert_buf(&b, "abcde");
	buf_release(&b);
}

static void test_cap_zero(void **state)
{
	struct buf b = BUF_INIT(0);

	(void)state;
	assert_int_equal(buf_addch(&b, 'a'), -1);
	assert_int_equal(buf_addf(&b, "%s", "x"), -1);
	assert_int_equal(buf_addf(&b, "%s", ""), 0);
	assert_buf(&b, "");
	buf_release(&b);
}

static void test_addf(void **state)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char *big;

	(void)state;
	assert_int_equal(buf_addf(&b, "%s-%d-%c", "v", 42, 'x'), 0);
	assert_int_equal(buf_addf(&b, "%s", ""), 0);
	assert_int_equal(buf_addf(&b, "/%05.1f", 2.5), 0);
	assert_buf(&b, "v-42-x/002.5");

	/* Longer than any initial allocation. */
	big = malloc(10001);
	assert_non_null(big);
	memset(big, 'z', 10000);
	big[10000] = '\0';
	buf_reset(&b);
	assert_int_equal(buf_addf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, 10002);
	assert_int_equal(b.s[0], '<');
	assert_int_equal(b.s[10001], '>');
	assert_int_equal(b.s[10002], '\0');
	free(big);
	buf_release(&b);
}

static void test_detach(void **state)
{
	struct buf b = BUF_INIT(100);
	size_t len = 99;
	char *s;

	(void)state;
	buf_adds(&b, "hello");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	/* The buffer is reusable, with its cap, and no longer holds s. */
	assert_buf(&b, "");
	assert_int_equal(b.max, 100);
	assert_true(b.s != s);
	buf_adds(&b, "again");
	assert_string_equal(s, "hello");
	free(s);
	buf_release(&b);

	/* Detaching an empty buffer gives a string the caller can free. */
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "");
	assert_true(s != buf_empty);
	free(s);
}

static void test_setlen_rtrim_reset(void **state)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	(void)state;
	buf_adds(&b, "abc \t\r\n ");
	buf_rtrim(&b);
	assert_buf(&b, "abc");
	buf_setlen(&b, 1);
	assert_buf(&b, "a");
	/* Growing by setlen is not allowed: ignored. */
	buf_setlen(&b, 10);
	assert_buf(&b, "a");
	buf_reset(&b);
	assert_buf(&b, "");
	buf_release(&b);

	/* On the shared empty string these must not write. */
	buf_rtrim(&b);
	buf_setlen(&b, 0);
	buf_reset(&b);
	assert_buf(&b, "");
	assert_int_equal(buf_empty[0], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cap_zero),
		cmocka_unit_test(test_addf),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_setlen_rtrim_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
