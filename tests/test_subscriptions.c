/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_subscriptions: subscribe, confirm and unsubscribe by mail, the
 * limits against subscription bombing, matching paths, folders, globs,
 * renames and functions, and the notices, all through the ingest pipeline
 * with the configuration in tests/data/subs/.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "subs.h"
#include "testutil.h"
#include "util.h"

#define AUTH "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n"

struct env {
	struct config cfg;
	struct store st;
	struct ingest in;
	int seq;
};

static void env_open(struct env *e)
{
	struct buf err = BUF_INIT(1024);
	char *path = test_srcpath("tests/data/subs/patchbot.conf");

	memset(e, 0, sizeof(*e));
	if (config_load(&e->cfg, path, true, &err)) {
		print_error("%s\n", err.s);
		fail();
	}
	assert_int_equal(e->cfg.nr_errors, 0);
	free(path);
	buf_release(&err);
	test_store_open(&e->st);
	ingest_init(&e->in, &e->st, &e->cfg);
}

static void env_close(struct env *e)
{
	ingest_release(&e->in);
	store_close(&e->st);
	config_release(&e->cfg);
}

/* A mail to the bot; returns its Message-ID (static storage is avoided:
 * the caller frees it). */
static char *mail(struct env *e, const char *from, const char *to,
		  const char *headers, const char *body)
{
	char *id = xasprintf("m%d@test", ++e->seq);
	char *raw = xasprintf("From: %s\nTo: %s\nSubject: subscriptions\n"
			      "Message-ID: <%s>\n%s\n%s", from, to, id, headers, body);

	assert_int_equal(test_ingest_string(&e->in, raw, NULL), 0);
	free(raw);
	return id;
}

static void send(struct env *e, const char *from, const char *headers, const char *body)
{
	free(mail(e, from, "patchbot@example.org", headers, body));
}

static int64_t q(struct env *e, const char *sql)
{
	return test_query_int(&e->st, sql);
}

static char *qs(struct env *e, const char *sql)
{
	return test_query_str(&e->st, sql);
}

/* ---- patterns ----------------------------------------------------------- */

static void expect_spec(const char *in, const char *path, const char *func)
{
	struct buf err = BUF_INIT(1024);
	char *p, *f;

	if (!path) {
		assert_int_equal(subs_parse_spec(in, &p, &f, &err), -1);
		assert_true(err.len > 0);
	} else {
		assert_int_equal(subs_parse_spec(in, &p, &f, &err), 0);
		assert_string_equal(p, path);
		assert_string_equal(f, func);
		free(p);
		free(f);
	}
	buf_release(&err);
}

static void test_patterns(void **state)
{
	(void)state;
	expect_spec("mm/filemap.c:filemap_fault", "mm/filemap.c", "filemap_fault");
	expect_spec("./mm/", "mm", "");
	expect_spec("/mm//", "mm", "");
	expect_spec("mm/*.c:filemap_*", "mm/*.c", "filemap_*");
	expect_spec("../etc/passwd", NULL, NULL);
	expect_spec("mm/../../x", NULL, NULL);
	expect_spec("mm/x.c:foo(", NULL, NULL);
	expect_spec("mm/x.c:", NULL, NULL);
	expect_spec("/", NULL, NULL);

	assert_true(subs_glob_match("mm/*.c", "mm/filemap.c"));
	assert_false(subs_glob_match("mm/*.c", "mm/damon/core.c"));
	assert_true(subs_glob_match("drivers/**/dma*.c", "drivers/dma-buf.c"));
	assert_false(subs_glob_match("drivers/**/dma*.c", "drivers/xdma.c"));
	assert_true(subs_glob_match("drivers/**/dma*.c", "drivers/dma.c"));
	assert_true(subs_glob_match("drivers/**/dma*.c", "drivers/gpu/drm/dma-fence.c"));
	assert_false(subs_glob_match("drivers/**/dma*.c", "drivers/gpu/drm/dma-fence.h"));
	assert_true(subs_glob_match("mm/[a-f]*.c", "mm/filemap.c"));
	assert_false(subs_glob_match("mm/[!a-f]*.c", "mm/filemap.c"));
	assert_true(subs_glob_match("filemap_*", "filemap_fault"));
	assert_true(subs_glob_match("**/Kconfig", "Kconfig"));
}

static int collect(const struct subs_hit *h, void *payload)
{
	struct buf *b = payload;

	buf_addf(b, "%s%s", b->len ? " " : "", h->path);
	return 0;
}

static void expect_match(struct env *e, const char *file, const char *want)
{
	struct buf b = BUF_INIT(4096);

	assert_int_equal(subs_match_file(&e->st, file, collect, &b), 0);
	assert_string_equal(b.s, want);
	buf_release(&b);
}

static void test_matching(void **state)
{
	struct env e;
	static const char *const pats[] = {
		"mm/filemap.c", "mm", "mm/*.c", "drivers/**/dma*.c", "*.h",
		"mm/filemap", "m", "include/linux/mm.h", NULL,
	};

	(void)state;
	env_open(&e);
	for (size_t i = 0; pats[i]; i++)
		assert_int_equal(subs_add(&e.st, "a@example.org", pats[i], "", 0), 1);
	assert_int_equal(subs_add(&e.st, "a@example.org", "mm", "", 0), 0);
	/* the file, then its folders upward (plain paths and the globs filed
	 * under them, in the order they came), then globs filed under "" */
	expect_match(&e, "mm/filemap.c", "mm/filemap.c mm mm/*.c");
	expect_match(&e, "mm/damon/core.c", "mm");
	expect_match(&e, "mm/filemap.h", "mm *.h");
	expect_match(&e, "drivers/gpu/dma-fence.c", "drivers/**/dma*.c");
	expect_match(&e, "include/linux/mm.h", "include/linux/mm.h *.h");
	expect_match(&e, "mmx/a.c", "");
	env_close(&e);
}

/* ---- the commands ------------------------------------------------------- */

static char *last_detail(struct env *e)
{
	return qs(e, "SELECT status || ': ' || detail FROM commands ORDER BY id DESC LIMIT 1");
}

static void expect_detail(struct env *e, const char *want)
{
	char *d = last_detail(e);

	if (!strstr(d, want))
		print_error("command result '%s' lacks '%s'\n", d, want);
	assert_non_null(strstr(d, want));
	free(d);
}

static void test_commands_authenticated(void **state)
{
	struct env e;
	char *s;

	(void)state;
	env_open(&e);
	send(&e, "Rita <rita@example.org>", AUTH,
	     "subscribe mm/filemap.c:filemap_fault mm/\n");
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 2);
	assert_int_equal(q(&e, "SELECT count(*) FROM sub_requests"), 0);
	expect_detail(&e, "ok: subscribed <rita@example.org> to mm/filemap.c:filemap_fault\n"
			  "subscribed <rita@example.org> to mm");
	send(&e, "Rita <rita@example.org>", AUTH, "subscribe mm\n");
	expect_detail(&e, "was already subscribed to mm");

	send(&e, "Rita <rita@example.org>", "", "subscriptions\n");
	expect_detail(&e, "  mm  (stop: patchbot+unsubscribe-");
	expect_detail(&e, "mm/filemap.c:filemap_fault");
	s = qs(&e, "SELECT raw FROM outbox ORDER BY id DESC LIMIT 1");
	assert_non_null(strstr(s, "mm/filemap.c:filemap_fault"));
	free(s);

	/* unsubscribing by a forgeable From is refused */
	send(&e, "Rita <rita@example.org>", "", "unsubscribe mm\n");
	expect_detail(&e, "error: the receiving server did not confirm");
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 2);
	send(&e, "Rita <rita@example.org>", AUTH, "unsubscribe mm/\n");
	expect_detail(&e, "ok: unsubscribed <rita@example.org> from mm");
	send(&e, "Rita <rita@example.org>", AUTH, "unsubscribe mm/\n");
	expect_detail(&e, "error: <rita@example.org> is not subscribed to mm");
	send(&e, "Rita <rita@example.org>", AUTH, "unsubscribe all\n");
	expect_detail(&e, "removed all 1 subscriptions");
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 0);

	/* nobody subscribes someone else */
	send(&e, "Mallory <mallory@example.org>", AUTH, "subscribe victim@example.org mm/\n");
	expect_detail(&e, "error: 'victim@example.org' is an address");
	send(&e, "Mallory <mallory@example.org>", AUTH, "subscribe\n");
	expect_detail(&e, "needs a path");
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 0);
	env_close(&e);
}

/* The confirmation mail of the newest request: its Message-ID and token. */
static void newest_request(struct env *e, char **mail_id, char **token)
{
	*mail_id = qs(e, "SELECT mail_id FROM sub_requests ORDER BY id DESC LIMIT 1");
	*token = qs(e, "SELECT token FROM sub_requests ORDER BY id DESC LIMIT 1");
	assert_int_equal(strlen(*token), 32);
}

static void reply_to(struct env *e, const char *from, const char *to,
		     const char *irt, const char *extra)
{
	char *h = xasprintf("In-Reply-To: <%s>\n%s", irt, extra ? extra : "");

	free(mail(e, from, to, h, "yes please\n\n> quoted confirmation\n"));
	free(h);
}

static void test_confirmation(void **state)
{
	struct env e;
	char *mail_id, *token, *s, *addr;

	(void)state;
	env_open(&e);
	/* without authentication: a confirmation, no subscription yet */
	send(&e, "Rita <rita@example.org>", "", "subscribe mm/filemap.c\nsubscribe mm/vmscan.c\n");
	expect_detail(&e, "deferred: mm/vmscan.c: a confirmation request went to <rita@example.org>");
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 0);
	assert_int_equal(q(&e, "SELECT count(*) FROM sub_requests"), 1);
	/* one confirmation mail for both lines, and it is the whole answer:
	 * a transcript too would be a second mail to a maybe forged From */
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'subscribe-confirm'"), 1);
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'transcript'"), 0);
	newest_request(&e, &mail_id, &token);
	s = qs(&e, "SELECT raw FROM outbox WHERE kind = 'subscribe-confirm'");
	addr = xasprintf("Reply-To: patchbot+confirm-%s@example.org\n", token);
	if (!strstr(s, addr))
		print_error("no '%s' in:\n%s\n", addr, s);
	assert_non_null(strstr(s, addr));
	assert_non_null(strstr(s, "    mm/filemap.c\n    mm/vmscan.c\n"));
	assert_non_null(strstr(s, "To: rita@example.org"));
	/* the token is not in the Message-ID, nor derivable from the request */
	assert_null(strstr(mail_id, token));
	free(addr);
	free(s);

	/* an auto-reply to the confirmation does not confirm it */
	reply_to(&e, "rita@example.org", "patchbot@example.org", mail_id,
		 "Auto-Submitted: auto-replied\n");
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 0);
	/* a wrong token does nothing */
	free(mail(&e, "rita@example.org",
		  "patchbot+confirm-0123456789abcdef0123456789abcdef@example.org", "", "yes\n"));
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 0);

	/* a plain reply starts both */
	reply_to(&e, "Rita <rita@example.org>", "patchbot@example.org", mail_id, NULL);
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions WHERE address = 'rita@example.org'"), 2);
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'subscribe-done'"), 1);
	s = qs(&e, "SELECT raw FROM outbox WHERE kind = 'subscribe-done'");
	assert_non_null(strstr(s, "is now subscribed to:"));
	free(s);

	/* the token is single-use: after "unsubscribe all", replaying it
	 * starts nothing again */
	send(&e, "Rita <rita@example.org>", AUTH, "unsubscribe all\n");
	reply_to(&e, "Rita <rita@example.org>", "patchbot@example.org", mail_id, NULL);
	free(mail(&e, "rita@example.org", addr = xasprintf("patchbot+confirm-%s@example.org", token),
		  "", "yes\n"));
	free(addr);
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 0);
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'subscribe-done'"), 1);
	free(mail_id);
	free(token);

	/* the +confirm-TOKEN address works without In-Reply-To */
	send(&e, "Sam <sam@example.org>", "", "subscribe kernel/fork.c\n");
	newest_request(&e, &mail_id, &token);
	addr = xasprintf("patchbot+confirm-%s@example.org", token);
	free(mail(&e, "sam@example.org", addr, "", "ok\n"));
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions WHERE address = 'sam@example.org'"), 1);
	free(addr);
	free(mail_id);
	free(token);

	/* an expired request is refused */
	send(&e, "Sam <sam@example.org>", "", "subscribe kernel/exit.c\n");
	newest_request(&e, &mail_id, &token);
	assert_int_equal(sqlite3_exec(e.st.db, "UPDATE sub_requests SET expires = 1", NULL,
				      NULL, NULL), SQLITE_OK);
	reply_to(&e, "Sam <sam@example.org>", "patchbot@example.org", mail_id, NULL);
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions WHERE address = 'sam@example.org'"), 1);
	free(mail_id);
	free(token);

	/* a forged From: the confirmation goes to the victim, who ignores it */
	send(&e, "Victim <victim@example.org>", "", "subscribe mm/\n");
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'subscribe-confirm'"
			       " AND recipients = 'victim@example.org'"), 1);
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions WHERE address = 'victim@example.org'"), 0);
	/* and the forger cannot guess the confirmation's Message-ID */
	reply_to(&e, "Victim <victim@example.org>", "patchbot@example.org",
		 "patchbot.confirm.000000000000000000000000@example.org", NULL);
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions WHERE address = 'victim@example.org'"), 0);
	env_close(&e);
}

static void test_limits(void **state)
{
	struct env e;

	(void)state;
	env_open(&e);
	e.cfg.sub_max_pending = 2;
	e.cfg.sub_confirmations_per_hour = 4;
	e.cfg.sub_max_per_address = 2;
	for (int i = 0; i < 3; i++)
		send(&e, "victim@example.org", "", "subscribe mm/\n");
	expect_detail(&e, "error: mm: <victim@example.org> was sent 2 confirmation requests today");
	assert_int_equal(q(&e, "SELECT count(*) FROM sub_requests"), 2);
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'subscribe-confirm'"), 2);
	/* the global cap */
	send(&e, "a@example.org", "", "subscribe mm/\n");
	send(&e, "b@example.org", "", "subscribe mm/\n");
	send(&e, "c@example.org", "", "subscribe mm/\n");
	expect_detail(&e, "too many confirmation requests this hour");
	assert_int_equal(q(&e, "SELECT count(*) FROM sub_requests"), 4);
	/* subscriptions per address */
	send(&e, "d@example.org", AUTH, "subscribe a b c\n");
	expect_detail(&e, "error: subscribed <d@example.org> to a\nsubscribed <d@example.org> to b\n"
			  "c: <d@example.org> has 2 subscriptions, the most");
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 2);
	env_close(&e);
}

/* ---- notices ------------------------------------------------------------ */

static const char filemap_pre[] =
	"#include <linux/mm.h>\n"
	"\n"
	"static int filemap_read(int a)\n"
	"{\n"
	"\treturn a + 1;\n"
	"}\n"
	"\n"
	"vm_fault_t filemap_fault(struct vm_fault *vmf)\n"
	"{\n"
	"\tint x = 0;\n"
	"\n"
	"\treturn x;\n"
	"}\n";

static char *diff_of(const char *path, const char *old, const char *new)
{
	git_patch *p = NULL;
	git_buf out = { 0 };
	char *r;

	assert_int_equal(git_patch_from_buffers(&p, old, strlen(old), path, new,
						strlen(new), path, NULL), 0);
	assert_int_equal(git_patch_to_buf(&out, p), 0);
	r = xstrdup(out.ptr);
	git_buf_dispose(&out);
	git_patch_free(p);
	return r;
}

/* A repository with mm/filemap.c and kernel/old.c on master; its path. */
static char *make_repo(void)
{
	char tmpl[] = "/tmp/pbsubs.XXXXXX";
	char *dir, *cmd;
	FILE *f;

	assert_non_null(mkdtemp(tmpl));
	dir = xstrdup(tmpl);
	cmd = xasprintf("cd %s && mkdir mm kernel", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	cmd = xasprintf("%s/mm/filemap.c", dir);
	f = fopen(cmd, "w");
	assert_non_null(f);
	fputs(filemap_pre, f);
	fclose(f);
	free(cmd);
	cmd = xasprintf("cd %s && printf 'a\\nb\\nd\\n' > kernel/old.c &&"
			" GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1"
			" git -c init.defaultBranch=master init -q ."
			" && git add -A && GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x"
			" GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x"
			" git -c commit.gpgsign=false commit -q -m base", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return dir;
}

static void ingest_patch(struct env *e, const char *id, int n, const char *subject,
			 const char *diff)
{
	char *raw = xasprintf("From: Sam Submitter <sam@example.org>\nTo: linux-mm@kvack.org\n"
			      "Subject: [PATCH %d/2] %s\nDate: Fri, 27 Nov 2026 12:00:0%d +0000\n"
			      "Message-ID: <%s>\nIn-Reply-To: <cover@sam>\nReferences: <cover@sam>\n\n"
			      "A change.\n\nSigned-off-by: Sam Submitter <sam@example.org>\n---\n%s",
			      n, subject, n, id, diff);

	assert_int_equal(test_ingest_string(&e->in, raw, NULL), 0);
	free(raw);
}

static void test_notices(void **state)
{
	struct env e;
	char *repo = make_repo(), *post, *d1, *d2, *s, *cmd, *token, *addr;
	const char *cover = "From: Sam Submitter <sam@example.org>\nTo: linux-mm@kvack.org\n"
			    "Subject: [PATCH 0/2] mm: fault flags\n"
			    "Date: Fri, 27 Nov 2026 12:00:00 +0000\nMessage-ID: <cover@sam>\n\n"
			    "Two patches.\n";

	(void)state;
	env_open(&e);
	free(e.cfg.tree_repo);
	e.cfg.tree_repo = xstrdup(repo);
	/* rita: the function and the folder; dan: the function before it,
	 * which the hunk header names; bob: a renamed file's old name;
	 * carol: a function in a file the tree does not have */
	assert_int_equal(subs_add(&e.st, "rita@example.org", "mm/filemap.c", "filemap_f*", 0), 1);
	assert_int_equal(subs_add(&e.st, "rita@example.org", "mm", "", 0), 1);
	assert_int_equal(subs_add(&e.st, "dan@example.org", "mm/filemap.c", "filemap_read", 0), 1);
	assert_int_equal(subs_add(&e.st, "bob@example.org", "kernel/old.c", "", 0), 1);
	assert_int_equal(subs_add(&e.st, "carol@example.org", "mm/absent.c", "absent_fn", 0), 1);
	assert_int_equal(subs_add(&e.st, "erin@example.org", "fs", "", 0), 1);

	post = xstrdup(filemap_pre);
	{
		char *p = strstr(post, "vm_fault *vmf)");

		assert_non_null(p);
		post[p - post] = '\0';
		s = xasprintf("%svm_fault *vmf, int flags)%s", post, p + strlen("vm_fault *vmf)"));
		free(post);
		post = s;
	}
	d1 = diff_of("mm/filemap.c", filemap_pre, post);
	/* the hunk header names the function before: lei's dfhh: would too */
	assert_non_null(strstr(d1, "@@ static int filemap_read(int a)"));
	d2 = xstrdup("diff --git a/kernel/old.c b/kernel/new.c\n"
		     "similarity index 80%\nrename from kernel/old.c\nrename to kernel/new.c\n"
		     "--- a/kernel/old.c\n+++ b/kernel/new.c\n"
		     "@@ -1,3 +1,3 @@\n a\n-b\n+c\n d\n"
		     "diff --git a/mm/absent.c b/mm/absent.c\n"
		     "--- a/mm/absent.c\n+++ b/mm/absent.c\n"
		     "@@ -10,3 +10,3 @@ static void absent_fn(void)\n \tx();\n-\ty();\n+\tz();\n \tw();\n");

	assert_int_equal(test_ingest_string(&e.in, cover, NULL), 0);
	ingest_patch(&e, "p1@sam", 1, "mm: filemap_fault takes flags", d1);
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'subscription'"), 0);
	ingest_patch(&e, "p2@sam", 2, "kernel: rename old to new", d2);

	/* complete: one notice each for rita, bob and carol; none for dan */
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'subscription'"), 3);
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE recipients = 'dan@example.org'"), 0);
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE recipients = 'erin@example.org'"), 0);
	s = qs(&e, "SELECT raw FROM outbox WHERE recipients = 'rita@example.org'");
	assert_non_null(strstr(s, "In-Reply-To: <cover@sam>\n"));
	assert_non_null(strstr(s, "Subject: Re: [PATCH 0/2] mm: fault flags\n"));
	assert_non_null(strstr(s, "Auto-Submitted: auto-generated\n"));
	assert_non_null(strstr(s, "List-Unsubscribe: <mailto:patchbot+unsubscribe-"));
	assert_non_null(strstr(s, "[1/2] mm: filemap_fault takes flags\n    <p1@sam>\n"
				  "    https://lore.kernel.org/r/p1@sam\n"));
	assert_non_null(strstr(s, "    mm/filemap.c:filemap_f*: mm/filemap.c: filemap_fault()\n"));
	assert_non_null(strstr(s, "    mm: mm/filemap.c\n"));
	/* one notice for both patches: rita's "mm" covers mm/absent.c too */
	assert_non_null(strstr(s, "[2/2] kernel: rename old to new\n"));
	assert_non_null(strstr(s, "    mm: mm/absent.c\n"));
	free(s);
	s = qs(&e, "SELECT raw FROM outbox WHERE recipients = 'bob@example.org'");
	assert_non_null(strstr(s, "    kernel/old.c: kernel/old.c\n"));
	free(s);
	s = qs(&e, "SELECT raw FROM outbox WHERE recipients = 'carol@example.org'");
	assert_non_null(strstr(s, "mm/absent.c:absent_fn: mm/absent.c: absent_fn()"));
	free(s);

	/* again: no second notice (derived Message-IDs) */
	assert_int_equal(subs_version_complete(&e.st, &e.cfg,
					       q(&e, "SELECT id FROM versions")), 0);
	assert_int_equal(q(&e, "SELECT count(*) FROM outbox WHERE kind = 'subscription'"), 3);

	/* one-click unsubscribe: any mail to the address in the notice */
	token = qs(&e, "SELECT token FROM subscriptions WHERE address = 'bob@example.org'");
	addr = xasprintf("patchbot+unsubscribe-%s@example.org", token);
	free(mail(&e, "Someone <someone@example.net>", addr, "", "unsubscribe\n"));
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions WHERE address = 'bob@example.org'"), 0);
	assert_int_equal(q(&e, "SELECT count(*) FROM subscriptions"), 5);
	free(addr);
	free(token);

	cmd = xasprintf("rm -rf %s", repo);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(repo);
	free(post);
	free(d1);
	free(d2);
	env_close(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_commands_authenticated),
		cmocka_unit_test(test_confirmation),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_notices),
	};

	git_libgit2_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
