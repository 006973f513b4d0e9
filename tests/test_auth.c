/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_auth: Authentication-Results parsing and the trusted-From decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "util.h"

#define MX "mx.example.org"

/*
 * Parse a mail made of the given header lines and ask whether its From is
 * authenticated by MX.  The reason goes to *why (owned by the caller) so
 * a test can check what was said.
 */
static int decide_by(const char *headers, const char *trusted, char **why)
{
	const struct mail_limits lim = MAIL_LIMITS_DEFAULT;
	struct buf err = BUF_INIT(BUF_NOLIMIT);
	struct buf reason = BUF_INIT(BUF_NOLIMIT);
	struct mail m;
	char *raw;
	int ret;

	raw = xasprintf("%sTo: list@example.net\n"
			"Subject: [PATCH] test\n"
			"Message-ID: <1@example.org>\n"
			"\n"
			"body\n",
			headers);
	if (mail_parse(&m, raw, strlen(raw), &lim, &err))
		fail_msg("mail_parse failed: %s", err.s);
	ret = auth_from_is_authenticated(&m, trusted, &reason);
	assert_true(ret == 0 || ret == 1);
	/* every answer comes with a reason, fit for one log line */
	assert_true(reason.len > 0);
	assert_false(has_crlf(reason.s));
	if (why)
		*why = buf_detach(&reason, NULL);
	buf_release(&reason);
	mail_release(&m);
	buf_release(&err);
	free(raw);
	return ret;
}

static int decide(const char *headers, char **why)
{
	return decide_by(headers, MX, why);
}

static void expect(const char *headers, int want, const char *why_has)
{
	char *why = NULL;
	int got = decide(headers, &why);

	if (got != want)
		fail_msg("got %d, want %d (%s) for:\n%s", got, want, why,
			 headers);
	if (why_has && !strstr(why, why_has))
		fail_msg("reason '%s' does not mention '%s'", why, why_has);
	free(why);
}

static void test_dkim_aligned(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.example.org;\n"
	       "\tdkim=pass (2048-bit key) header.d=example.org\n"
	       "\theader.i=@example.org header.s=sel header.b=abc+/Def=\n"
	       "From: Alice <alice@example.org>\n",
	       1, "example.org");
	/* the authserv-id is compared without regard to case */
	expect("Authentication-Results: MX.Example.ORG; DKIM=Pass header.d=EXAMPLE.org\n"
	       "From: alice@Example.Org\n",
	       1, NULL);
}

static void test_subdomains(void **state)
{
	(void)state;
	/* the From domain under the signing domain */
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n"
	       "From: alice@lists.example.org\n",
	       1, NULL);
	/* the signing domain under the From domain */
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=mail.example.org\n"
	       "From: alice@example.org\n",
	       1, NULL);
	/* a suffix that is not a label boundary */
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=ample.org\n"
	       "From: alice@example.org\n",
	       0, "not aligned");
	/* siblings: aligned under DMARC, not here (no Public Suffix List) */
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=a.example.org\n"
	       "From: alice@b.example.org\n",
	       0, "not aligned");
}

static void test_dkim_not_aligned(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=evil.org\n"
	       "From: alice@example.org\n",
	       0, "DKIM signature is for 'evil.org', not aligned with 'example.org'");
	expect("Authentication-Results: mx.example.org; dkim=pass\n"
	       "From: alice@example.org\n",
	       0, "not aligned");
}

static void test_dkim_fail(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.example.org; dkim=fail (bad signature) header.d=example.org\n"
	       "From: alice@example.org\n",
	       0, "dkim=fail for 'example.org'");
	expect("Authentication-Results: mx.example.org; dkim=none; spf=pass smtp.mailfrom=example.org\n"
	       "From: alice@example.org\n",
	       0, "dkim=none");
	expect("Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=alice@example.org\n"
	       "From: alice@example.org\n",
	       0, "no dkim or dmarc result");
	expect("Authentication-Results: mx.example.org; none\n"
	       "From: alice@example.org\n",
	       0, "no dkim or dmarc result");
}

static void test_dmarc(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=esp.net;\n"
	       " dmarc=pass (p=none dis=none) header.from=example.org\n"
	       "From: alice@example.org\n",
	       1, "dmarc=pass");
	expect("Authentication-Results: mx.example.org; dmarc=pass header.from=other.org\n"
	       "From: alice@example.org\n",
	       0, "dmarc=pass is for 'other.org', not 'example.org'");
	/* DMARC is exact: a subdomain is another From domain */
	expect("Authentication-Results: mx.example.org; dmarc=pass header.from=example.org\n"
	       "From: alice@sub.example.org\n",
	       0, NULL);
	expect("Authentication-Results: mx.example.org; dmarc=fail header.from=example.org\n"
	       "From: alice@example.org\n",
	       0, "dmarc=fail");
}

static void test_wrong_server(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.evil.org; dkim=pass header.d=example.org\n"
	       "From: alice@example.org\n",
	       0, "from 'mx.evil.org', not 'mx.example.org'");
	/* a prefix of the trusted id is another id */
	expect("Authentication-Results: mx.example.org.evil.org; dkim=pass header.d=example.org\n"
	       "From: alice@example.org\n",
	       0, "not 'mx.example.org'");
}

/* The sender wrote a passing header with our id; our server says fail. */
static void test_forged_below(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.example.org; dkim=fail header.d=example.org\n"
	       "Received: from evil by mx.example.org\n"
	       "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n"
	       "From: alice@example.org\n",
	       0, "dkim=fail");
	/* the topmost is from someone else: the forged trusted one is no help */
	expect("Authentication-Results: mx.other.net; dkim=fail header.d=example.org\n"
	       "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n"
	       "From: alice@example.org\n",
	       0, "from 'mx.other.net'");
	/* a topmost header we cannot read is not skipped either */
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=example.org garbage\n"
	       "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n"
	       "From: alice@example.org\n",
	       0, "malformed");
}

static void test_missing(void **state)
{
	(void)state;
	expect("From: alice@example.org\n", 0,
	       "no Authentication-Results from 'mx.example.org'");
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n",
	       0, "no usable From");
}

static void test_no_trusted_id(void **state)
{
	static const char ok[] =
		"Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n"
		"From: alice@example.org\n";
	char *why = NULL;

	(void)state;
	assert_int_equal(decide_by(ok, NULL, &why), 0);
	assert_non_null(strstr(why, "no trusted authserv-id"));
	free(why);
	assert_int_equal(decide_by(ok, "", &why), 0);
	free(why);
	assert_int_equal(decide_by(ok, "MX.EXAMPLE.ORG", NULL), 1);
}

static void test_comments_and_quotes(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.example.org (our (nested) server);\n"
	       " dkim=pass (good (really \\) good) signature) header.d=\"example.org\"\n"
	       "From: alice@example.org\n",
	       1, NULL);
	/* a quoted ';' is data, not a new result */
	expect("Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=\"x; dkim=pass header.d=example.org\"@evil.org\n"
	       "From: alice@example.org\n",
	       0, "no dkim or dmarc");
	/* ... and so is a ';' in a comment */
	expect("Authentication-Results: mx.example.org; spf=pass (x; dkim=pass header.d=example.org) smtp.mailfrom=evil.org\n"
	       "From: alice@example.org\n",
	       0, "no dkim or dmarc");
}

/* Without the Public Suffix List, a d= with no dot aligns with nothing. */
static void test_tld_refused(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=\"org\"\n"
	       "From: alice@example.org\n",
	       0, "not aligned");
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=com\n"
	       "From: alice@example.com\n",
	       0, "not aligned");
	assert_false(auth_domain_aligns("com", "example.com"));
	assert_false(auth_domain_aligns("example.com", "com"));
	assert_false(auth_domain_aligns("com", "com"));
	assert_false(auth_domain_aligns(".example.com", "example.com"));
	assert_false(auth_domain_aligns("example.com.", "x.example.com"));
	assert_false(auth_domain_aligns("", "example.com"));
	assert_false(auth_domain_aligns(NULL, "example.com"));
	assert_true(auth_domain_aligns("Example.COM", "example.com"));
	assert_true(auth_domain_aligns("example.com", "a.b.example.com"));
}

static void test_two_froms(void **state)
{
	(void)state;
	expect("Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n"
	       "From: alice@example.org\n"
	       "From: mallory@evil.org\n",
	       0, "more than one From");
}

/*
 * mail.c decodes RFC 2047 words in every header value, this one included,
 * so an encoded-word the trusted server copied from the envelope sender
 * (a valid unquoted local part) turns into results of its own.  Until
 * struct mail keeps the raw value of Authentication-Results, this is
 * known to pass; it is skipped so the suite stays green.
 */
static void test_encoded_word_injection(void **state)
{
	char *why = NULL;
	int got;

	(void)state;
	got = decide("Authentication-Results: mx.example.org; spf=pass\n"
		     " smtp.mailfrom==?utf-8?q?x=3B_dkim=3Dpass_header.d=3Dexample.org=3B_x=3Dy_a.b=3D?=@evil.org\n"
		     "From: alice@example.org\n",
		     &why);
	free(why);
	if (got)
		skip();
}

/* Field by field, what authres_parse() hands out. */
static void test_parse_fields(void **state)
{
	struct authres a;

	(void)state;
	assert_int_equal(authres_parse(
		"MX.Example.org 1; dkim=pass (2048-bit key) header.d=Example.ORG"
		" header.i=@Example.org header.s=sel header.b=abc;"
		" spf=pass smtp.mailfrom=alice@example.org;"
		" dmarc=pass (p=none dis=none) header.from=Example.org; arc=none",
		&a), 0);
	assert_string_equal(a.authserv_id, "mx.example.org");
	assert_int_equal(a.nr, 4);
	assert_string_equal(a.results[0].method, "dkim");
	assert_string_equal(a.results[0].result, "pass");
	assert_string_equal(a.results[0].header_d, "example.org");
	assert_string_equal(a.results[0].header_i, "@Example.org");
	assert_null(a.results[0].header_from);
	assert_string_equal(a.results[1].method, "spf");
	assert_null(a.results[1].header_d);
	assert_string_equal(a.results[2].method, "dmarc");
	assert_string_equal(a.results[2].header_from, "example.org");
	assert_string_equal(a.results[3].method, "arc");
	assert_string_equal(a.results[3].result, "none");
	authres_release(&a);

	/* the no-result form */
	assert_int_equal(authres_parse("mx.example.org; none", &a), 0);
	assert_int_equal(a.nr, 0);
	authres_release(&a);

	/* CFWS everywhere the grammar allows it, a method version, reason= */
	assert_int_equal(authres_parse(
		"(c) mx.example.org (c) ; (c) dkim (c) / (c) 1 (c) = (c) fail (c)"
		" reason=\"bad \\\"sig\\\"\" (c) header (c) . (c) d (c) = (c) x.org (c) ;",
		&a), 0);
	assert_int_equal(a.nr, 1);
	assert_string_equal(a.results[0].method, "dkim");
	assert_string_equal(a.results[0].result, "fail");
	assert_string_equal(a.results[0].header_d, "x.org");
	authres_release(&a);

	/* quoted authserv-id and a quoted local part */
	assert_int_equal(authres_parse(
		"\"mx.example.org\"; spf=pass smtp.mailfrom=\"a b\"@example.org",
		&a), 0);
	assert_string_equal(a.authserv_id, "mx.example.org");
	authres_release(&a);

	/* Microsoft's bare action=none is let through, and ignored */
	assert_int_equal(authres_parse(
		"spf=pass; dmarc=pass action=none header.from=example.org", &a),
		0);
	assert_string_equal(a.authserv_id, "spf=pass");
	authres_release(&a);
}

static void test_parse_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"mx.example.org",
		"mx.example.org;",
		"mx.example.org; ;",
		"mx.example.org; dkim",
		"mx.example.org; dkim=",
		"mx.example.org; =pass",
		"mx.example.org; dkim=pass header.d",
		"mx.example.org; dkim=pass header.d=",
		"mx.example.org; dkim=pass header.=x",
		"mx.example.org; dkim=pass garbage",
		"mx.example.org; dkim=pass header.d=a header.d=b",
		"mx.example.org; dkim=pass (unterminated",
		"mx.example.org; dkim=pass ((nested)",
		"mx.example.org; dkim=pass header.d=\"unterminated",
		"mx.example.org; dkim=pass header.d=\"x\\",
		"mx.example.org; none; dkim=pass",
		"mx.example.org; dkim=pass; none",
		"mx.example.org; dkim/=pass",
		"mx.example.org; dkim=pass\theader.d=a\x01",
		"mx.example.org 1x; dkim=pass",
		"mx.example.org dkim=pass",
		"mx.example.org; dkim=pass\"x\"",
		"(only a comment)",
	};
	struct authres a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (authres_parse(bad[i], &a) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_null(a.authserv_id);
		assert_null(a.results);
	}
	assert_int_equal(authres_parse(NULL, &a), -1);
}

static void test_parse_bounds(void **state)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	struct authres a;
	int i;

	(void)state;
	buf_adds(&b, "mx.example.org");
	for (i = 0; i < 64; i++)
		buf_adds(&b, "; spf=none");
	assert_int_equal(authres_parse(b.s, &a), 0);
	assert_int_equal(a.nr, 64);
	authres_release(&a);
	buf_adds(&b, "; spf=none");
	assert_int_equal(authres_parse(b.s, &a), -1);

	buf_reset(&b);
	buf_adds(&b, "mx.example.org; dkim=pass (");
	while (b.len < 4095)
		buf_addch(&b, 'x');
	buf_addch(&b, ')');
	assert_int_equal(b.len, 4096);
	assert_int_equal(authres_parse(b.s, &a), 0);
	authres_release(&a);
	buf_addch(&b, ' ');
	assert_int_equal(authres_parse(b.s, &a), -1);

	/* deep comments are refused, not walked */
	buf_reset(&b);
	buf_adds(&b, "mx.example.org; dkim=pass ");
	for (i = 0; i < 1000; i++)
		buf_addch(&b, '(');
	for (i = 0; i < 1000; i++)
		buf_addch(&b, ')');
	assert_int_equal(authres_parse(b.s, &a), -1);
	buf_release(&b);
}

/*
 * Random bytes, and every prefix of good values with bytes flipped: the
 * parser answers 0 or -1 and leaves nothing behind (ASan checks the rest).
 */
static void test_parse_robust(void **state)
{
	static const char *const seeds[] = {
		"mx.example.org (c (d)); dkim=pass (2048-bit key) header.d=example.org"
		" header.i=@example.org header.s=sel header.b=abc+/=;"
		" spf=pass smtp.mailfrom=\"a\\\"b\"@example.org; dmarc=pass"
		" (p=none dis=none) header.from=example.org; arc=none",
		"mx 1; none",
	};
	static const char alphabet[] = "();=.\"\\@ \tadkimpassnone/1";
	unsigned seed = 12345;
	struct authres a;
	int parsed = 0;
	char s[512];

	(void)state;
	for (size_t k = 0; k < sizeof(seeds) / sizeof(*seeds); k++) {
		size_t n = strlen(seeds[k]);

		for (size_t cut = 0; cut <= n; cut++) {
			memcpy(s, seeds[k], cut);
			s[cut] = '\0';
			if (!authres_parse(s, &a))
				authres_release(&a);
			for (size_t pos = 0; pos < cut; pos += 7) {
				char save = s[pos];

				s[pos] = alphabet[(cut + pos) % (sizeof(alphabet) - 1)];
				if (!authres_parse(s, &a))
					authres_release(&a);
				s[pos] = save;
			}
		}
	}
	/* sentences of the grammar's own words reach the deep paths */
	for (int round = 0; round < 20000; round++) {
		static const char *const words[] = {
			"mx", ";", " ", "dkim", "=", "pass", "header", ".",
			"d", "example.org", "(", ")", "\"", "\\", "none", "/",
			"1", "@", "reason", "from", "i", "; ", " (c) ",
		};
		size_t n, k;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 16) % 8;
		/* a good start, then a few words of noise */
		n = (size_t)snprintf(s, sizeof(s), "%s",
				     round & 1 ? "mx; dkim=pass" : "mx 1; spf=none ");
		for (size_t w = 0; w < k; w++) {
			const char *t;

			seed = seed * 1103515245u + 12345u;
			t = words[(seed >> 16) % (sizeof(words) / sizeof(*words))];
			if (n + strlen(t) >= sizeof(s))
				break;
			memcpy(s + n, t, strlen(t) + 1);
			n += strlen(t);
		}
		if (!authres_parse(s, &a)) {
			parsed++;
			authres_release(&a);
		}
	}
	/* or the generator is broken and the loop tests nothing */
	if (parsed < 1000)
		fail_msg("only %d of the sentences parsed", parsed);

	for (int round = 0; round < 20000; round++) {
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % (sizeof(s) - 1);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* half the time from the grammar's alphabet, to get deep */
			s[i] = (seed >> 16) & 1 ?
				       alphabet[(seed >> 17) % (sizeof(alphabet) - 1)] :
				       (char)((seed >> 17) % 255 + 1);
		}
		s[n] = '\0';
		if (!authres_parse(s, &a)) {
			assert_non_null(a.authserv_id);
			assert_true(a.nr <= 64);
			authres_release(&a);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dkim_aligned),
		cmocka_unit_test(test_subdomains),
		cmocka_unit_test(test_dkim_not_aligned),
		cmocka_unit_test(test_dkim_fail),
		cmocka_unit_test(test_dmarc),
		cmocka_unit_test(test_wrong_server),
		cmocka_unit_test(test_forged_below),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_no_trusted_id),
		cmocka_unit_test(test_comments_and_quotes),
		cmocka_unit_test(test_tld_refused),
		cmocka_unit_test(test_two_froms),
		cmocka_unit_test(test_encoded_word_injection),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_parse_robust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
