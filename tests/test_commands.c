/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_commands: command mail in, reply out.  Each folder under
 * tests/data/commands/ holds in.eml and, when patchbot must answer,
 * expected.eml: the reply compared after removing the Date header.  The
 * series in series.mbox is ingested first.  PATCHBOT_UPDATE_GOLDEN=1
 * rewrites the expected files.  Then the dispatcher's rules: roles,
 * authentication, rate limits.
 */
#include <dirent.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "command.h"
#include "dispatch.h"
#include "outbox.h"
#include "testutil.h"
#include "util.h"

static void load_config(struct config *cfg)
{
	struct buf err = BUF_INIT(1024);
	char *path = test_srcpath("tests/data/commands/patchbot.conf");

	if (config_load(cfg, path, true, &err)) {
		print_error("%s\n", err.s);
		fail();
	}
	assert_int_equal(cfg->nr_errors, 0);
	buf_release(&err);
	free(path);
}

/* The pending replies, without their Date lines, in order. */
static char *outbox_text(struct store *st)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT raw FROM outbox ORDER BY id",
					    -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *raw = sqlite3_column_blob(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 0);
		const char *p = raw, *end = raw + len;

		if (b.len)
			buf_adds(&b, "=====\n");
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

			if (!starts_with(p, "Date: "))
				buf_add(&b, p, l);
			p += l;
		}
	}
	sqlite3_finalize(s);
	return buf_detach(&b, NULL);
}

static void run_case(struct config *cfg, const char *dir, const char *name)
{
	char *in_path = xasprintf("%s/%s/in.eml", dir, name);
	char *exp_path = xasprintf("%s/%s/expected.eml", dir, name);
	char *series = xasprintf("%s/series.mbox", dir);
	char *expected = test_read_file(exp_path, NULL), *got;
	struct store st;
	struct ingest in;

	print_message("case %s\n", name);
	test_store_open(&st);
	ingest_init(&in, &st, cfg);
	test_ingest_path(&in, series);
	test_ingest_path(&in, in_path);
	got = outbox_text(&st);
	if (getenv("PATCHBOT_UPDATE_GOLDEN")) {
		if (*got) {
			FILE *f = fopen(exp_path, "w");

			assert_non_null(f);
			fputs(got, f);
			fclose(f);
		} else {
			remove(exp_path);
		}
	} else if (expected) {
		assert_string_equal(got, expected);
	} else {
		/* no expected.eml: patchbot must stay silent */
		assert_string_equal(got, "");
	}
	free(got);
	free(expected);
	ingest_release(&in);
	store_close(&st);
	free(in_path);
	free(exp_path);
	free(series);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden(void **state)
{
	char *dir = test_srcpath("tests/data/commands");
	struct strlist cases = { 0 };
	struct config cfg;
	struct dirent *de;
	DIR *d = opendir(dir);

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && !strchr(de->d_name, '.'))
			strlist_push(&cases, de->d_name);
	closedir(d);
	qsort(cases.v, cases.nr, sizeof(*cases.v), cmp_str);
	assert_true(cases.nr >= 10);
	load_config(&cfg);
	for (size_t i = 0; i < cases.nr; i++)
		run_case(&cfg, dir, cases.v[i]);
	config_release(&cfg);
	strlist_clear(&cases);
	free(dir);
}

/* Every shipped template names only what its schema has. */
static void test_shipped_templates(void **state)
{
	char *dir = test_srcpath("templates");

	(void)state;
	for (size_t i = 0; shipped_templates[i].name; i++) {
		char *path = xasprintf("%s/%s", dir, shipped_templates[i].name);
		char *text = test_read_file(path, NULL);
		struct buf err = BUF_INIT(1024);

		print_message("template %s\n", shipped_templates[i].name);
		assert_non_null(text);
		if (template_check(text, strlen(text), shipped_templates[i].schema, &err)) {
			print_error("%s: %s\n", path, err.s);
			fail();
		}
		buf_release(&err);
		free(text);
		free(path);
	}
	free(dir);
}

/* ---- the dispatcher's rules, with a command of the test's own ---------- */

static enum cmd_result frob_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	(void)a;
	buf_addf(c->out, "frobbed version %lld", (long long)c->version_id);
	return CMD_OK;
}

static const struct command cmd_frob = {
	.name = "frob",
	.role = ROLE_MAINTAINER,
	.needs = NEEDS_SERIES | NEEDS_AUTH,
	.usage = "frob [vN]",
	.summary = "a maintainer's command for the test",
	.run = frob_run,
};

static enum cmd_result own_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	(void)a;
	buf_adds(c->out, "yours");
	return CMD_OK;
}

static const struct command cmd_own = {
	.name = "own",
	.role = ROLE_SUBMITTER,
	.needs = NEEDS_SERIES,
	.usage = "own",
	.summary = "a submitter's command for the test",
	.run = own_run,
};

static const struct command *const test_table[] = { &cmd_frob, &cmd_own, NULL };

#define COVER "cover.1795781877.git.sam@example.org"

static char *command_status(struct store *st, const char *msgid)
{
	char *sql = xasprintf("SELECT group_concat(c.status || ': ' || c.detail, ' | ')"
			      " FROM commands c JOIN messages m ON m.id = c.message_id"
			      " WHERE m.message_id = '%s'", msgid);
	char *r = test_query_str(st, sql);

	free(sql);
	return r;
}

static void send_mail(struct ingest *in, const char *id, const char *from,
		      const char *extra_headers, const char *body)
{
	char *raw = xasprintf("From: %s\nTo: linux-mm@kvack.org\nSubject: Re: [PATCH 0/2] x\n"
			      "Message-ID: <%s>\nIn-Reply-To: <" COVER ">\n%s\n%s",
			      from, id, extra_headers, body);

	assert_int_equal(test_ingest_string(in, raw, NULL), 0);
	free(raw);
}

static void test_roles_and_auth(void **state)
{
	struct store st;
	struct ingest in;
	struct config cfg;
	char *series = test_srcpath("tests/data/commands/series.mbox"), *s;

	(void)state;
	load_config(&cfg);
	commands_active = test_table;
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	test_ingest_path(&in, series);

	send_mail(&in, "a1@x", "Rita <rita@example.org>", "", "#patchbot frob\n");
	s = command_status(&st, "a1@x");
	assert_string_equal(s, "error: only a maintainer of this tree may use 'frob'");
	free(s);

	send_mail(&in, "a2@x", "Andrew <akpm@example.org>", "", "#patchbot frob\n");
	s = command_status(&st, "a2@x");
	assert_non_null(strstr(s, "error: 'frob' changes the queue and needs an authenticated sender"));
	free(s);

	send_mail(&in, "a3@x", "Andrew <akpm@example.org>",
		  "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n",
		  "#patchbot frob v1\n");
	s = command_status(&st, "a3@x");
	assert_int_equal(strncmp(s, "ok: frobbed version ", 20), 0);
	free(s);

	/* a forged header below the trusted one does not count */
	send_mail(&in, "a4@x", "Andrew <akpm@example.org>",
		  "Authentication-Results: mx.example.org; dkim=fail header.d=example.org\n"
		  "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n",
		  "#patchbot frob\n");
	s = command_status(&st, "a4@x");
	assert_non_null(strstr(s, "needs an authenticated sender"));
	free(s);

	/* the wrong authserv-id does not count either */
	send_mail(&in, "a5@x", "Andrew <akpm@example.org>",
		  "Authentication-Results: mx.evil.org; dkim=pass header.d=example.org\n",
		  "#patchbot frob\n");
	s = command_status(&st, "a5@x");
	assert_non_null(strstr(s, "needs an authenticated sender"));
	free(s);

	/* the series' author may use a submitter's command, others not */
	send_mail(&in, "a6@x", "Sam <sam@example.org>", "", "#patchbot own\n");
	s = command_status(&st, "a6@x");
	assert_string_equal(s, "ok: yours");
	free(s);
	send_mail(&in, "a7@x", "Rita <rita@example.org>", "", "#patchbot own\n");
	s = command_status(&st, "a7@x");
	assert_string_equal(s, "error: only the author of this series or a maintainer may use 'own'");
	free(s);

	/* a version that does not exist: say what there is */
	send_mail(&in, "a8@x", "Sam <sam@example.org>", "", "#patchbot own v3\n");
	s = command_status(&st, "a8@x");
	assert_string_equal(s, "error: this thread belongs to 'mm/readahead: window fixes'"
			       " which has v1; there is no v3");
	free(s);

	commands_active = command_table;
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
	free(series);
}

static void test_rate_limits(void **state)
{
	struct store st;
	struct ingest in;
	struct config cfg;

	(void)state;
	load_config(&cfg);
	cfg.replies_per_sender = 2;
	cfg.replies_per_hour = 3;
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	for (int i = 0; i < 4; i++) {
		char *raw = xasprintf("From: <storm@example.org>\nTo: patchbot@example.org\n"
				      "Subject: loop\nMessage-ID: <storm%d@x>\n\nhelp\n", i);

		assert_int_equal(test_ingest_string(&in, raw, NULL), 0);
		free(raw);
	}
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 2);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM suppressed"), 2);
	{
		char *raw = xasprintf("From: <other@example.org>\nTo: patchbot@example.org\n"
				      "Subject: hi\nMessage-ID: <other1@x>\n\nhelp\n");

		assert_int_equal(test_ingest_string(&in, raw, NULL), 0);
		free(raw);
		raw = xasprintf("From: <third@example.org>\nTo: patchbot@example.org\n"
				"Subject: hi\nMessage-ID: <third1@x>\n\nhelp\n");
		assert_int_equal(test_ingest_string(&in, raw, NULL), 0);
		free(raw);
	}
	/* the global limit of 3 stops the third sender */
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(in.commands.suppressed, 3);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
}

/* The same command mail twice: one reply (the Message-ID is derived). */
static void test_one_reply_per_mail(void **state)
{
	struct store st;
	struct ingest in;
	struct config cfg;
	const char *raw = "From: <a@example.org>\nTo: patchbot@example.org\n"
			  "Subject: hi\nMessage-ID: <once@x>\n\nhelp\nhelp\n";

	(void)state;
	load_config(&cfg);
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	assert_int_equal(test_ingest_string(&in, raw, NULL), 0);
	assert_int_equal(test_ingest_string(&in, raw, NULL), 0);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM commands"), 2);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
}

/* Ordinary review mail and the corpora, through the pipeline: no commands. */
static void test_no_commands_in_reviews(void **state)
{
	static const char *const dirs[] = { "patchwork/mail", "patchwork/series",
					    "patchwork/fuzz" };
	struct store st;
	struct ingest in;
	struct config cfg;
	char *reviews = test_srcpath("tests/data/reviews");

	(void)state;
	load_config(&cfg);
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	test_ingest_path(&in, reviews);
	assert_true(in.stats.read >= 15);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = corpus_path(dirs[i]);

		test_ingest_path(&in, p);
		free(p);
	}
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM commands"), 0);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 0);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
	free(reviews);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_shipped_templates),
		cmocka_unit_test(test_roles_and_auth),
		cmocka_unit_test(test_rate_limits),
		cmocka_unit_test(test_one_reply_per_mail),
		cmocka_unit_test(test_no_commands_in_reviews),
	};

	git_libgit2_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
