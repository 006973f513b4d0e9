/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_subject: the tags of real and hostile patch subjects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "subject.h"

struct expect {
	const char *subject;
	int version;
	bool version_given;
	int n, total;
	bool is_patch, rfc, resend, reply, forward;
	const char *tags, *title, *normalized;
};

/*
 * One row per form we must read; most subjects are from the patchwork
 * corpora (grep '^Subject:' in series/ and mail/).
 */
static const struct expect cases[] = {
	/* corpora */
	{ "[PATCH 1/2] test: Add some lorem ipsum", 1, false, 1, 2, true, false, false, false, false,
	  "", "test: Add some lorem ipsum", "test: add some lorem ipsum" },
	{ "[PATCH v2 1/2] test: Add some lorem ipsum", 2, true, 1, 2, true, false, false, false, false,
	  "", "test: Add some lorem ipsum", "test: add some lorem ipsum" },
	{ "[PATCH v2] test: Add some lorem ipsum", 2, true, 0, 0, true, false, false, false, false,
	  "", "test: Add some lorem ipsum", "test: add some lorem ipsum" },
	{ "[PATCH 3/2] test: Remove Markdown formatting", 1, false, 3, 2, true, false, false, false, false,
	  "", "test: Remove Markdown formatting", "test: remove markdown formatting" },
	{ "[PATCH v2 0/4] A sample series", 2, true, 0, 4, true, false, false, false, false,
	  "", "A sample series", "a sample series" },
	{ "[PATCH V2 3/4] PM / OPP: opp-microvolt is not optional if regulators", 2, true, 3, 4,
	  true, false, false, false, false, "", "PM / OPP: opp-microvolt is not optional if regulators",
	  "pm / opp: opp-microvolt is not optional if regulators" },
	{ "[PATCH net-next v3 0/4] net: dsa: Multi-CPU ground work (v3)", 3, true, 0, 4, true, false,
	  false, false, false, "net-next", "net: dsa: Multi-CPU ground work (v3)",
	  "net: dsa: multi-cpu ground work" },
	{ "[PATCH 0 of 2] Sample Mercurial patches", 1, false, 0, 2, true, false, false, false, false,
	  "", "Sample Mercurial patches", "sample mercurial patches" },
	{ "[PATCH 1 of 2] contrib: fix check-commit to not reject commits", 1, false, 1, 2, true,
	  false, false, false, false, "", "contrib: fix check-commit to not reject commits",
	  "contrib: fix check-commit to not reject commits" },
	{ "[PATCH -next] bpf: Use PTR_ERR_OR_ZERO in xsk_map_inc()", 1, false, 0, 0, true, false,
	  false, false, false, "-next", "bpf: Use PTR_ERR_OR_ZERO in xsk_map_inc()",
	  "bpf: use ptr_err_or_zero in xsk_map_inc()" },
	{ "Re: [PATCH -next] bpf: Use PTR_ERR_OR_ZERO in xsk_map_inc()", 1, false, 0, 0, true,
	  false, false, true, false, "-next", "bpf: Use PTR_ERR_OR_ZERO in xsk_map_inc()",
	  "bpf: use ptr_err_or_zero in xsk_map_inc()" },
	{ "[Patch 2/2]: powerpc/hotplug/mm: Fix hot-add memory node assoc", 1, false, 2, 2, true,
	  false, false, false, false, "", "powerpc/hotplug/mm: Fix hot-add memory node assoc",
	  "powerpc/hotplug/mm: fix hot-add memory node assoc" },
	{ "[Patch]: Fix ld pr11138 FAILures on mips*.", 1, false, 0, 0, true, false, false, false,
	  false, "", "Fix ld pr11138 FAILures on mips*.", "fix ld pr11138 failures on mips*." },
	{ "[net,v2,1/2] net: ieee802154: remove explicit set skb->sk", 2, true, 1, 2, true, false,
	  false, false, false, "net", "net: ieee802154: remove explicit set skb->sk",
	  "net: ieee802154: remove explicit set skb->sk" },
	{ "[dpdk-dev] [PATCH] kni: fix compilation error when debug enabled", 1, false, 0, 0, true,
	  false, false, false, false, "", "kni: fix compilation error when debug enabled",
	  "kni: fix compilation error when debug enabled" },
	{ "[Buildroot] [PATCH 01/11] package/rpi-userland: rename patches", 1, false, 1, 11, true,
	  false, false, false, false, "", "package/rpi-userland: rename patches",
	  "package/rpi-userland: rename patches" },
	{ "[snowpatch] [PATCH 1/3] Test commit; please ignore", 1, false, 1, 3, true, false, false,
	  false, false, "", "Test commit; please ignore", "test commit; please ignore" },
	{ "[GIT PULL] soc: updates for v5.5", 1, false, 0, 0, false, false, false, false, false, "",
	  "[GIT PULL] soc: updates for v5.5", "[git pull] soc: updates for v5.5" },
	{ "MAINTAINERS: Update entry for BCM5301X ARM", 1, false, 0, 0, false, false, false, false,
	  false, "", "MAINTAINERS: Update entry for BCM5301X ARM",
	  "maintainers: update entry for bcm5301x arm" },
	{ "", 1, false, 0, 0, false, false, false, false, false, "", "", "" },

	/* the forms maintainers write */
	{ "[RFC PATCH v2 net-next 3/5] foo", 2, true, 3, 5, true, true, false, false, false,
	  "net-next", "foo", "foo" },
	{ "[PATCH v4 3/7] foo", 4, true, 3, 7, true, false, false, false, false, "", "foo", "foo" },
	{ "[PATCH RFC net-next v2 00/10] foo", 2, true, 0, 10, true, true, false, false, false,
	  "net-next", "foo", "foo" },
	{ "[PATCHv3] foo", 3, true, 0, 0, true, false, false, false, false, "", "foo", "foo" },
	{ "[PATCH-v2 2/3] foo", 2, true, 2, 3, true, false, false, false, false, "", "foo", "foo" },
	{ "[PATCH v 5] foo", 5, true, 0, 0, true, false, false, false, false, "", "foo", "foo" },
	{ "[RFC PATCH] foo", 1, false, 0, 0, true, true, false, false, false, "", "foo", "foo" },
	{ "[RFC/PATCH v3] foo", 3, true, 0, 0, true, true, false, false, false, "", "foo", "foo" },
	{ "[PATCH/RFC 2/3] foo", 1, false, 2, 3, true, true, false, false, false, "", "foo",
	  "foo" },
	{ "[GIT PULL v2] foo", 1, false, 0, 0, false, false, false, false, false, "",
	  "[GIT PULL v2] foo", "[git pull v2] foo" },
	{ "[RFC] foo", 1, false, 0, 0, true, true, false, false, false, "", "foo", "foo" },
	{ "[PATCH RESEND] foo", 1, false, 0, 0, true, false, true, false, false, "", "foo", "foo" },
	{ "[PATCH RESEND v2 1/2] foo", 2, true, 1, 2, true, false, true, false, false, "", "foo",
	  "foo" },
	{ "[net-next v2 1/2] foo", 2, true, 1, 2, true, false, false, false, false, "net-next",
	  "foo", "foo" },
	{ "[PATCH mm-hotfixes] foo", 1, false, 0, 0, true, false, false, false, false,
	  "mm-hotfixes", "foo", "foo" },
	{ "[PATCH bpf-next,v3,2/4] foo", 3, true, 2, 4, true, false, false, false, false,
	  "bpf-next", "foo", "foo" },
	{ "[PATCH] [PATCH] foo", 1, false, 0, 0, true, false, false, false, false, "", "foo",
	  "foo" },
	{ "[PATCH] [media] foo", 1, false, 0, 0, true, false, false, false, false, "",
	  "[media] foo", "[media] foo" },
	{ "[PATCH v0] foo", 1, false, 0, 0, true, false, false, false, false, "", "foo", "foo" },
	{ "[PATCH v999999999999] foo", 1, false, 0, 0, true, false, false, false, false, "", "foo",
	  "foo" },
	{ "[PATCH v9999 9999/9999] foo", 9999, true, 9999, 9999, true, false, false, false, false,
	  "", "foo", "foo" },
	{ "[PATCH 10000/3] foo", 1, false, 0, 0, true, false, false, false, false, "", "foo",
	  "foo" },
	{ "[PATCH 1/99999999999999999999] foo", 1, false, 0, 0, true, false, false, false, false,
	  "", "foo", "foo" },
	{ "[PATCH]", 1, false, 0, 0, true, false, false, false, false, "", "", "" },
	{ "[PATCH", 1, false, 0, 0, false, false, false, false, false, "", "[PATCH", "[patch" },

	/* prefixes */
	{ "Re: [PATCH] foo", 1, false, 0, 0, true, false, false, true, false, "", "foo", "foo" },
	{ "RE: Re[2]: AW: Sv: Antw: Odp: [PATCH v2] foo", 2, true, 0, 0, true, false, false, true,
	  false, "", "foo", "foo" },
	{ "Fwd: FW: WG: Tr: [PATCH] foo", 1, false, 0, 0, true, false, false, false, true, "",
	  "foo", "foo" },
	{ "Aw: Fwd: plain subject", 1, false, 0, 0, false, false, false, true, true, "",
	  "plain subject", "plain subject" },
	{ "[linux-mm] Re : [Bug 123] [PATCH 2/3] foo", 1, false, 2, 3, true, false, false, true,
	  false, "", "foo", "foo" },
	{ "Re: [linux-mm] foo", 1, false, 0, 0, false, false, false, true, false, "",
	  "[linux-mm] foo", "[linux-mm] foo" },
	{ "Ref: foo", 1, false, 0, 0, false, false, false, false, false, "", "Ref: foo",
	  "ref: foo" },
	{ "[PATCH] Re: keep me", 1, false, 0, 0, true, false, false, false, false, "",
	  "Re: keep me", "re: keep me" },

	/* normalisation */
	{ "[PATCH v2]   Foo\tBAR \r\n  baz  (V2) ", 2, true, 0, 0, true, false, false, false, false,
	  "", "Foo\tBAR baz  (V2)", "foo bar baz" },
	{ "[PATCH] foo(v12)", 1, false, 0, 0, true, false, false, false, false, "", "foo(v12)",
	  "foo" },
	{ "[PATCH] foo (v)", 1, false, 0, 0, true, false, false, false, false, "", "foo (v)",
	  "foo (v)" },
	{ "[PATCH] Grüße über", 1, false, 0, 0, true, false, false, false, false, "",
	  "Grüße über", "grüße über" },
};

#define CHECK_INT(field)                                                       \
	do {                                                                   \
		if ((int)si.field != (int)e->field) {                          \
			print_error("'%s': " #field " is %d, want %d\n",        \
				    e->subject, (int)si.field, (int)e->field); \
			bad++;                                                 \
		}                                                              \
	} while (0)
#define CHECK_STR(field)                                                       \
	do {                                                                   \
		if (strcmp(si.field, e->field)) {                              \
			print_error("'%s': " #field " is '%s', want '%s'\n",    \
				    e->subject, si.field, e->field);           \
			bad++;                                                 \
		}                                                              \
	} while (0)

/* Reports every wrong field of a case, not just the first. */
static int check(const struct expect *e)
{
	struct subject_info si;
	int bad = 0;

	subject_parse(e->subject, &si);
	CHECK_INT(version);
	CHECK_INT(version_given);
	CHECK_INT(n);
	CHECK_INT(total);
	CHECK_INT(is_patch);
	CHECK_INT(rfc);
	CHECK_INT(resend);
	CHECK_INT(reply);
	CHECK_INT(forward);
	CHECK_STR(tags);
	CHECK_STR(title);
	CHECK_STR(normalized);
	subject_info_release(&si);
	assert_null(si.title);
	assert_null(si.tags);
	assert_null(si.normalized);
	return bad;
}

static void test_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad += check(&cases[i]);
	assert_int_equal(bad, 0);
}

static void test_null(void **state)
{
	struct subject_info si;

	(void)state;
	subject_parse(NULL, &si);
	assert_int_equal(si.version, 1);
	assert_false(si.is_patch);
	assert_string_equal(si.title, "");
	assert_string_equal(si.tags, "");
	assert_string_equal(si.normalized, "");
	subject_info_release(&si);
	/* Releasing twice is harmless. */
	subject_info_release(&si);
}

/* The strings are the caller's: changing the input must not change them. */
static void test_fresh_strings(void **state)
{
	char subject[] = "[PATCH net] foo";
	struct subject_info si;

	(void)state;
	subject_parse(subject, &si);
	memset(subject, 'x', sizeof(subject) - 1);
	assert_string_equal(si.title, "foo");
	assert_string_equal(si.tags, "net");
	assert_true(si.title != si.normalized);
	subject_info_release(&si);
}

static char *repeat(const char *unit, size_t total)
{
	size_t n = strlen(unit);
	char *s = malloc(total + 1);

	assert_non_null(s);
	for (size_t i = 0; i < total; i++)
		s[i] = unit[i % n];
	s[total] = '\0';
	return s;
}

#define MIB (1024 * 1024)

static void test_huge(void **state)
{
	static const char *const units[] = {
		"[", "Re: ", "]", "[PATCH v2 1/2] ", "[a] ", "Re[", "[PATCH ", "v1 of ",
		" \t\r\n", "(v2)",
	};
	struct subject_info si;

	(void)state;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		char *s = repeat(units[i], MIB);

		subject_parse(s, &si);
		assert_non_null(si.title);
		subject_info_release(&si);
		free(s);
	}

	/* Every prefix is stripped, however many. */
	{
		char *s = repeat("Re: ", MIB);

		subject_parse(s, &si);
		assert_true(si.reply);
		assert_string_equal(si.title, "");
		subject_info_release(&si);
		free(s);
	}
}

/* Every byte value, in every position of a short subject. */
static void test_binary(void **state)
{
	char s[8];
	struct subject_info si;

	(void)state;
	for (int c = 1; c < 256; c++) {
		for (size_t pos = 0; pos < sizeof(s) - 1; pos++) {
			memcpy(s, "[P v2]x", sizeof(s));
			s[pos] = (char)c;
			subject_parse(s, &si);
			assert_non_null(si.normalized);
			subject_info_release(&si);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_fresh_strings),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
