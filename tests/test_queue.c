/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_queue: the patch queue by mail, through ingest.  A repository made
 * with git in a temporary folder; v1 and v2 of a series posted as `git
 * format-patch` mail; the maintainer replies queue, drop, promote; the
 * branches are checked with libgit2 and their trees against `git am` of
 * the same mail on the same base.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue.h"
#include "testutil.h"
#include "util.h"

static char *tmp;            /* the test's folder */
static struct config cfg;

/* Run a shell command in tmp; fail the test when it fails. */
static void sh(const char *cmd)
{
	test_sh(tmp, cmd);
}

/* The first line a shell command prints (new string). */
static char *sh_out(const char *cmd)
{
	return test_sh_out(tmp, cmd);
}

/*
 * The repository: master with a file to patch and an executable script,
 * then the commits that become the mail (each series on its own branch,
 * formatted into an mbox, then deleted so only master is left).
 */
static const char setup_script[] =
	"git init -q -b master repo && cd repo &&"
	"mkdir -p mm scripts &&"
	"printf 'int a;\\nint b;\\nint c;\\nint d;\\nint e;\\nint f;\\nint g;\\n' >mm/foo.c &&"
	"printf '#!/bin/sh\\necho hi\\n' >scripts/run.sh && chmod +x scripts/run.sh &&"
	"git add -A && git commit -q -m base &&"
	/* v1: two patches */
	"git checkout -q -b s1 &&"
	"sed -i 's/int b;/int b = 1;/' mm/foo.c && git commit -q -am 'mm/foo: set b' &&"
	"printf 'int bar;\\n' >mm/bar.c && git add mm/bar.c &&"
	"git commit -q -m 'mm/foo: add bar' -m 'The bar is new.' &&"
	"git format-patch -q --thread -v1 --stdout master >../v1.mbox &&"
	/* v2: the same, b = 2 */
	"git checkout -q master && git checkout -q -b s2 &&"
	"sed -i 's/int b;/int b = 2;/' mm/foo.c && git commit -q -am 'mm/foo: set b' &&"
	"printf 'int bar;\\n' >mm/bar.c && git add mm/bar.c &&"
	"git commit -q -m 'mm/foo: add bar' -m 'The bar is new.' &&"
	"git format-patch -q --thread -v2 --stdout master >../v2.mbox &&"
	/* a patch against a line master does not have */
	"git checkout -q master && git checkout -q -b bad &&"
	"sed -i 's/int f;/int f = 9;/' mm/foo.c && git commit -q -am 'mm/foo: first f' &&"
	"sed -i 's/int f = 9;/int f = 10;/' mm/foo.c && git commit -q -am 'mm/foo: retune f' &&"
	"git format-patch -q --stdout -1 >../bad.mbox &&"
	/* a pure rename of an executable script, sent on behalf of Bo */
	"git checkout -q master && git checkout -q -b mv &&"
	"git mv scripts/run.sh scripts/go.sh &&"
	"git commit -q --author='Bo Author <bo@example.org>' -m 'scripts: rename run to go' &&"
	"git format-patch -q --stdout --from='Sam Sender <sam@example.org>' -1 >../mv.mbox &&"
	/* follow-ups to v1: Fay's fix replies to 2/2; Gus's names its target */
	"git checkout -q master && git checkout -q -b fx s1 &&"
	"id=$(grep -i '^Message-Id:' ../v1.mbox | sed -n 2p | sed 's/.*<//; s/>.*//') &&"
	"sed -i 's/int bar;/int bar = 0;/' mm/bar.c &&"
	"git commit -q --author='Fay Fixer <fay@example.org>' -am 'mm/foo: fix build warning in the new helper' -m 'Signed-off-by: Fay Fixer <fay@example.org>' &&"
	"git format-patch -q --stdout --in-reply-to=\"$id\" -1 >../fix.mbox &&"
	"cat ../v1.mbox ../fix.mbox >../v1fix.mbox &&"
	"sed -i 's/int bar = 0;/int bar = 1;/' mm/bar.c &&"
	"git commit -q --author='Fay Fixer <fay@example.org>' -am 'mm/foo: fix the fix' &&"
	"git format-patch -q --stdout --in-reply-to=\"$id\" -1 >../fixbad.mbox &&"
	"git checkout -q -B gx s1 && sed -i 's/int d;/int d = 4;/' mm/foo.c &&"
	"git commit -q --author='Gus Fixer <gus@example.org>' -am 'mm/foo: initialise d too' &&"
	"git format-patch -q --stdout -1 >../fix2.mbox &&"
	/* a patch written in another time zone */
	"git checkout -q -b tz master && sed -i 's/int g;/int g = 7;/' mm/foo.c &&"
	"GIT_AUTHOR_DATE='2024-01-03T09:30:00-07:00' git commit -q -am 'mm/foo: set g' &&"
	"git format-patch -q --thread --stdout -1 >../tz.mbox &&"
	/* Ann's own follow-up to that single patch */
	"id=$(grep -i '^Message-Id:' ../tz.mbox | sed 's/.*<//; s/>.*//') &&"
	"sed -i 's/int g = 7;/int g = 8;/' mm/foo.c && git commit -q -am 'mm/foo: g is 8' &&"
	"git format-patch -q --stdout --in-reply-to=\"$id\" -1 >../tzfix.mbox &&"
	/* the same with an in-body Date:, which git am takes instead */
	"awk 'd == 0 && /^$/ { print; print \"Date: Thu, 4 Jan 2024 08:00:00 +0100\"; print \"\";"
	" d = 1; next } { print }' ../tz.mbox >../tzbody.mbox &&"
	"git checkout -q master && git branch -q -D s1 s2 bad mv fx gx tz";

static int setup(void **state)
{
	(void)state;
	tmp = test_bot_setup("pbqueue", setup_script, &cfg,
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

/* The Message-ID of the first patch of version v of the newest series. */
static char *patch_msgid(struct store *st, int version)
{
	char *sql = xasprintf("SELECT m.message_id FROM messages m JOIN versions v"
			      " ON v.id = m.version_id WHERE v.version = %d AND m.kind = 'patch'"
			      " ORDER BY v.series_id DESC, m.id LIMIT 1", version);
	char *r = test_query_str(st, sql);

	free(sql);
	return r;
}

static int reply_seq;

/* Reply to the first patch of version v with a command line. */
static void reply(struct ingest *in, const char *from, int version, const char *body)
{
	char *irt = patch_msgid(in->st, version);
	int seq = ++reply_seq;
	char *raw = xasprintf("From: Sender <%s>\nTo: list@example.org\n"
			      "Subject: Re: [PATCH v%d 1/2] mm/foo: set b\n"
			      "Message-ID: <cmd%d@example.org>\nIn-Reply-To: <%s>\n"
			      "References: <%s>\nDate: Tue, 2 Jan 2024 12:%02d:00 +0000\n\n%s\n",
			      from, version, seq, irt, irt, seq % 60, body);

	assert_int_equal(test_ingest_string(in, raw, NULL), 0);
	free(raw);
	free(irt);
}

/* The Message-ID of the patch mail with this title (new string). */
static char *msgid_of(struct store *st, const char *title)
{
	char *sql = xasprintf("SELECT m.message_id FROM messages m JOIN patches p"
			      " ON p.message_id = m.id WHERE p.title = '%s'", title);
	char *r = test_query_str(st, sql);

	free(sql);
	return r;
}

/* Reply to the mail msgid with a command line. */
static void reply_to(struct ingest *in, const char *from, const char *msgid,
		     const char *body)
{
	int seq = ++reply_seq;
	char *raw = xasprintf("From: Sender <%s>\nTo: list@example.org\n"
			      "Subject: Re: a follow-up\n"
			      "Message-ID: <cmd%d@example.org>\nIn-Reply-To: <%s>\n"
			      "References: <%s>\nDate: Tue, 2 Jan 2024 13:%02d:00 +0000\n\n%s\n",
			      from, seq, msgid, msgid, seq % 60, body);

	assert_int_equal(test_ingest_string(in, raw, NULL), 0);
	free(raw);
}

static char *tree_of(const char *rev)
{
	char *cmd = xasprintf("cd repo && git rev-parse '%s^{tree}'", rev);
	char *r = sh_out(cmd);

	free(cmd);
	return r;
}

/* The tree `git am` makes of mbox on master, in a scratch clone. */
static char *am_tree(const char *mbox)
{
	char *cmd = xasprintf("rm -rf am && git clone -q repo am && cd am &&"
			      " git checkout -q -B t origin/master && git am -q ../%s", mbox);
	char *r;

	sh(cmd);
	free(cmd);
	r = sh_out("cd am && git rev-parse 'HEAD^{tree}'");
	assert_int_equal(strlen(r), 40);
	return r;
}

/* The last transcript's text, or the notices' subjects and bodies. */
static char *outbox_kind(struct store *st, const char *kind)
{
	char *sql = xasprintf("SELECT group_concat(CAST(raw AS TEXT), '=====')"
			      " FROM (SELECT raw FROM outbox WHERE kind = '%s' ORDER BY id)", kind);
	char *r = test_query_str(st, sql);

	free(sql);
	return r;
}

static char *last_transcript(struct store *st)
{
	return test_query_str(st, "SELECT CAST(raw AS TEXT) FROM outbox WHERE kind = 'transcript'"
				  " ORDER BY id DESC LIMIT 1");
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("expected '%s' in:\n%s\n", needle, hay);
		fail();
	}
}

static void assert_eq_free(char *a, char *b)
{
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static const char *const v1v2[] = { "v1.mbox", "v2.mbox", NULL };

/* queue v1, queue v2 (in place), drop v2, queue, promote. */
static void test_story(void **state)
{
	struct store st;
	struct ingest in;
	char *t, *base = test_ref_hex(tmp, "refs/heads/master"), *tip, *n;

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, v1v2);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM versions WHERE complete = 1"), 2);
	reply(&in, "rita@example.org", 1, "Reviewed-by: Rita Reviewer <rita@example.org>");

	reply(&in, "akpm@example.org", 1, "#patchbot queue v1");
	t = last_transcript(&st);
	assert_contains(t, "queued v1 of 'mm/foo: set b' on 'mm-unstable'");
	free(t);
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-stable"), xstrdup(base));
	assert_eq_free(tree_of("mm-unstable"), am_tree("v1.mbox"));
	n = sh_out("cd repo && git rev-list --count master..mm-unstable");
	assert_eq_free(n, xstrdup("2"));
	/* the commit: author from the mail, trailers, Link, Signed-off-by */
	t = sh_out("cd repo && git log -1 --format='%an <%ae> %ad' --date=unix mm-unstable~1");
	assert_eq_free(t, xstrdup("Ann Author <ann@example.org> 1704189600"));
	t = sh_out("cd repo && git log -1 --format=%B mm-unstable~1 | grep -c "
		   "-e '^Reviewed-by: Rita Reviewer <rita@example.org>$'"
		   " -e '^Link: https://lore.kernel.org/r/.*@'"
		   " -e '^Signed-off-by: Sender <akpm@example.org>$'");
	assert_eq_free(t, xstrdup("3"));
	t = sh_out("cd repo && git log -1 --format='%cn <%ce> %cd' --date=unix mm-unstable");
	assert_eq_free(t, xstrdup("Sender <akpm@example.org> 1704196920"));
	t = outbox_kind(&st, "notice");
	assert_contains(t, "v1 of \"mm/foo: set b\" has been added to mm-unstable.");
	assert_contains(t, "Cc: list@example.org,\n rita@example.org");
	assert_contains(t, "mm/foo: add bar");
	free(t);

	reply(&in, "akpm@example.org", 2, "#patchbot queue v2");
	t = last_transcript(&st);
	assert_contains(t, "queued v2 of 'mm/foo: set b' on 'mm-unstable'");
	assert_contains(t, "it takes the place of v1");
	free(t);
	assert_eq_free(tree_of("mm-unstable"), am_tree("v2.mbox"));
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue"), 1);
	t = test_query_str(&st, "SELECT state FROM versions WHERE version = 1");
	assert_eq_free(t, xstrdup("superseded"));
	t = outbox_kind(&st, "notice");
	assert_contains(t, "It takes the place of v1.");
	assert_contains(t, "has been superseded by\nv2");
	free(t);

	reply(&in, "akpm@example.org", 2, "#patchbot drop v2 nacked");
	t = last_transcript(&st);
	assert_contains(t, "dropped v2 of 'mm/foo: set b' from 'mm-unstable' (it was nacked)");
	free(t);
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), xstrdup(base));
	t = outbox_kind(&st, "notice");
	assert_contains(t, "has been removed from mm-unstable.\n\nReason: it was nacked");
	free(t);

	reply(&in, "akpm@example.org", 2, "#patchbot queue\n#patchbot status");
	t = last_transcript(&st);
	assert_contains(t, "queued v2 of 'mm/foo: set b' on 'mm-unstable'");
	assert_contains(t, "complete; queued on mm-unstable;");
	assert_contains(t, "complete; superseded;");
	free(t);
	tip = test_ref_hex(tmp, "refs/heads/mm-unstable");

	reply(&in, "akpm@example.org", 2, "#patchbot promote");
	t = last_transcript(&st);
	assert_contains(t, "moved v2 of 'mm/foo: set b' from 'mm-unstable' to 'mm-stable'");
	free(t);
	/* same parent, same state: the very same commits, now on mm-stable */
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-stable"), xstrdup(tip));
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), xstrdup(tip));
	t = outbox_kind(&st, "notice");
	assert_contains(t, "has been moved from mm-unstable to mm-stable.");
	free(t);
	reply(&in, "akpm@example.org", 2, "#patchbot promote");
	t = last_transcript(&st);
	assert_contains(t, "already on the bottom branch 'mm-stable'");
	free(t);

	/* determinism and start-up repair: forget the commits and the refs */
	assert_int_equal(sqlite3_exec(st.db, "UPDATE queue SET parent = NULL, tip = NULL",
				      NULL, NULL, NULL), SQLITE_OK);
	sh("cd repo && git update-ref -d refs/heads/mm-stable && "
	   "git update-ref refs/heads/mm-unstable master");
	assert_int_equal(queue_reconcile(&st, &cfg), 0);
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-stable"), xstrdup(tip));
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), xstrdup(tip));
	free(tip);
	free(base);
	test_fresh_done(&st, &in);
}

/* A patch that does not apply changes nothing and says where it failed. */
static void test_does_not_apply(void **state)
{
	static const char *const mb[] = { "v1.mbox", NULL };
	struct store st;
	struct ingest in;
	char *t, *before, *bad = xasprintf("%s/bad.mbox", tmp);

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, mb);
	reply(&in, "akpm@example.org", 1, "#patchbot queue");
	before = test_ref_hex(tmp, "refs/heads/mm-unstable");
	/* the single bad patch is now the newest series' v1 */
	test_ingest_path(&in, bad);
	free(bad);
	reply(&in, "akpm@example.org", 1, "#patchbot try");
	t = last_transcript(&st);
	assert_contains(t, "patch 1/1 'mm/foo: retune f' of v1 does not apply on 'mm-unstable':"
			   " file 'mm/foo.c', hunk #1 (@@ -3,5 +3,5 @@ int b;): hunk at line 3 did not apply");
	free(t);
	reply(&in, "akpm@example.org", 1, "#patchbot queue mm-stable");
	t = last_transcript(&st);
	assert_contains(t, "patch 1/1 'mm/foo: retune f' of v1 does not apply on 'mm-stable':"
			   " file 'mm/foo.c', hunk #1");
	assert_contains(t, "nothing was changed");
	free(t);
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), before);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue"), 1);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue_history"), 1);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM versions WHERE state = 'queued'"), 1);
	test_fresh_done(&st, &in);
}

/* libgit2 1.5 drops the executable bit on a pure rename; we must not. */
static void test_rename_keeps_mode(void **state)
{
	static const char *const mb[] = { "mv.mbox", NULL };
	struct store st;
	struct ingest in;
	char *t;

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, mb);
	reply(&in, "akpm@example.org", 1, "#patchbot queue");
	t = sh_out("cd repo && git ls-tree mm-unstable scripts/go.sh | cut -c1-6");
	assert_eq_free(t, xstrdup("100755"));
	assert_eq_free(tree_of("mm-unstable"), am_tree("mv.mbox"));
	/* the in-body From: is the author, and not part of the message */
	t = sh_out("cd repo && git log -1 --format='%an <%ae>' mm-unstable");
	assert_eq_free(t, xstrdup("Bo Author <bo@example.org>"));
	t = sh_out("cd repo && git log -1 --format=%B mm-unstable | grep -c '^From:' || true");
	assert_eq_free(t, xstrdup("0"));
	test_fresh_done(&st, &in);
}

static void test_not_maintainer(void **state)
{
	struct store st;
	struct ingest in;
	char *t;

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, v1v2);
	reply(&in, "mallory@example.org", 1, "#patchbot queue v1");
	t = last_transcript(&st);
	assert_contains(t, "only a maintainer of this tree may use 'queue'");
	free(t);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue"), 0);
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), xstrdup(""));
	/* but anyone may look */
	reply(&in, "mallory@example.org", 1, "#patchbot pending");
	t = last_transcript(&st);
	assert_contains(t, "v2 'mm/foo: set b' by Ann Author <ann@example.org>");
	free(t);
	test_fresh_done(&st, &in);
}

static void test_list(void **state)
{
	struct store st;
	struct ingest in;
	char *t;

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, v1v2);
	reply(&in, "akpm@example.org", 2, "#patchbot queue\n#patchbot list");
	t = last_transcript(&st);
	assert_contains(t, "mm-unstable: 1 series, tip ");
	assert_contains(t, "  1. v2 'mm/foo: set b' by Ann Author <ann@example.org>, queued 2024-01-02,"
			   " 2 commits ");
	assert_contains(t, "mm-stable: 0 series");
	free(t);
	test_fresh_done(&st, &in);
}

/* queue.onNewVersion = drop: posting v2 takes v1 off at once. */
static void test_new_version_drops(void **state)
{
	static const char *const mb[] = { "v1.mbox", NULL };
	struct store st;
	struct ingest in;
	char *t, *v2 = xasprintf("%s/v2.mbox", tmp), *keep = cfg.queue_on_new_version;

	(void)state;
	cfg.queue_on_new_version = "drop";
	test_fresh(&st, &in, &cfg, tmp, mb);
	reply(&in, "akpm@example.org", 1, "#patchbot queue");
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue"), 1);
	test_ingest_path(&in, v2);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue"), 0);
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"),
		       test_ref_hex(tmp, "refs/heads/master"));
	t = outbox_kind(&st, "notice");
	assert_contains(t, "has been removed from mm-unstable.\n\nReason: v2 was posted");
	free(t);
	test_fresh_done(&st, &in);

	/* the author's follow-up to a single patch joins its series, same label */
	test_fresh(&st, &in, &cfg, tmp, (const char *const[]){ "tz.mbox", NULL });
	reply(&in, "akpm@example.org", 1, "#patchbot queue");
	free(v2);
	v2 = xasprintf("%s/tzfix.mbox", tmp);
	test_ingest_path(&in, v2);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue"), 1);
	t = msgid_of(&st, "mm/foo: g is 8");
	reply_to(&in, "akpm@example.org", t, "#patchbot fold");
	free(t);
	t = last_transcript(&st);
	assert_contains(t, "folded 'mm/foo: g is 8' into patch 1/1 'mm/foo: set g' of v1");
	free(t);
	t = sh_out("cd repo && git show mm-unstable:mm/foo.c | grep '^int g'");
	assert_eq_free(t, xstrdup("int g = 8;"));
	cfg.queue_on_new_version = keep;
	free(v2);
	test_fresh_done(&st, &in);
}

/* fold: a follow-up squashed into the queued patch it replies to, or names. */
static void test_fold(void **state)
{
	static const char *const mb[] = { "v1.mbox", "fix.mbox", "fixbad.mbox", "fix2.mbox",
					  NULL };
	struct store st;
	struct ingest in;
	char *t, *fix, *before, *below;

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, mb);
	fix = msgid_of(&st, "mm/foo: set b");
	reply_to(&in, "akpm@example.org", fix, "#patchbot queue v1");
	free(fix);
	before = test_ref_hex(tmp, "refs/heads/mm-unstable");
	assert_int_equal(strlen(before), 40);

	/* a fix-up that does not apply changes nothing and says where */
	fix = msgid_of(&st, "mm/foo: fix the fix");
	reply_to(&in, "akpm@example.org", fix, "#patchbot fold");
	free(fix);
	t = last_transcript(&st);
	assert_contains(t, "the fix-up 'mm/foo: fix the fix' does not apply to patch 2/2"
			   " 'mm/foo: add bar' of v1: file 'mm/bar.c', hunk #1");
	assert_contains(t, "nothing was changed");
	free(t);
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), xstrdup(before));
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue_folds"), 0);

	/* only a maintainer folds */
	fix = msgid_of(&st, "mm/foo: fix build warning in the new helper");
	reply_to(&in, "mallory@example.org", fix, "#patchbot fold");
	t = last_transcript(&st);
	assert_contains(t, "only a maintainer of this tree may use 'fold'");
	free(t);

	/* by default into the patch the follow-up replies to */
	below = sh_out("cd repo && git rev-parse mm-unstable~1");
	reply_to(&in, "akpm@example.org", fix, "#patchbot fold");
	t = last_transcript(&st);
	assert_contains(t, "folded 'mm/foo: fix build warning in the new helper' into patch"
			   " 2/2 'mm/foo: add bar' of v1 on 'mm-unstable': ");
	assert_contains(t, "(2 commits)");
	free(t);
	/* the same tree as git am of v1 and the fix, still two commits */
	assert_eq_free(tree_of("mm-unstable"), am_tree("v1fix.mbox"));
	t = sh_out("cd repo && git rev-list --count master..mm-unstable");
	assert_eq_free(t, xstrdup("2"));
	/* the commit keeps its author and names the fixer, as akpm's tree does */
	t = sh_out("cd repo && git log -1 --format='%an <%ae>' mm-unstable");
	assert_eq_free(t, xstrdup("Ann Author <ann@example.org>"));
	t = sh_out("cd repo && git log -1 --format=%B mm-unstable | grep -c"
		   " -e '^\\[fay@example.org: mm/foo: fix build warning in the new helper\\]$'"
		   " -e '^  Link: https://lore.kernel.org/r/.*@'"
		   " -e '^Signed-off-by: Fay Fixer <fay@example.org>$'");
	assert_eq_free(t, xstrdup("3"));
	/* the patch below it is the very same commit */
	assert_eq_free(sh_out("cd repo && git rev-parse mm-unstable~1"), below);
	t = outbox_kind(&st, "notice");
	assert_contains(t, "A fix-up has been folded into [2/2] mm/foo: add bar\nof v1 of"
			   " \"mm/foo: set b\" on mm-unstable:");
	assert_contains(t, "  from Fay Fixer <fay@example.org>");
	/* the fixer hears of it too */
	assert_contains(t, "Cc: list@example.org,\n fay@example.org\n");
	free(t);
	/* twice is once; and the follow-up is not pending any more */
	reply_to(&in, "akpm@example.org", fix, "#patchbot fold\n#patchbot pending");
	t = last_transcript(&st);
	assert_contains(t, "is already folded into patch 2/2");
	assert_contains(t, "v1 'mm/foo: initialise d too' by Gus Fixer");
	assert_null(strstr(t, "v1 'mm/foo: fix build warning in the new helper' by"));
	free(t);
	free(fix);

	/* a follow-up that replies to nothing names its target by subject */
	fix = msgid_of(&st, "mm/foo: initialise d too");
	reply_to(&in, "akpm@example.org", fix, "#patchbot fold");
	t = last_transcript(&st);
	assert_contains(t, "'mm/foo: initialise d too' does not reply to a queued patch");
	free(t);
	reply_to(&in, "akpm@example.org", fix, "#patchbot fold [PATCH v1 1/2] mm/foo: set b");
	t = last_transcript(&st);
	assert_contains(t, "folded 'mm/foo: initialise d too' into patch 1/2 'mm/foo: set b'");
	free(t);
	free(fix);
	t = sh_out("cd repo && git show mm-unstable~1:mm/foo.c | grep -c -e '^int d = 4;$'"
		   " -e '^int b = 1;$'");
	assert_eq_free(t, xstrdup("2"));
	assert_eq_free(tree_of("mm-unstable"), sh_out("cd am && sed -i 's/int d;/int d = 4;/'"
						       " mm/foo.c && git add -A && git write-tree"));
	/* the folds survive a rebuild from scratch, commit for commit */
	t = test_ref_hex(tmp, "refs/heads/mm-unstable");
	assert_int_equal(sqlite3_exec(st.db, "UPDATE queue SET parent = NULL, tip = NULL",
				      NULL, NULL, NULL), SQLITE_OK);
	sh("cd repo && git update-ref refs/heads/mm-unstable master");
	assert_int_equal(queue_reconcile(&st, &cfg), 0);
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), t);
	free(before);
	test_fresh_done(&st, &in);
}

/* Late trailers: a review after queueing goes into the commit, then the notice. */
static void test_late_trailers(void **state)
{
	struct store st;
	struct ingest in;
	char *t, *first, *below, *tip;

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, v1v2);
	reply(&in, "rita@example.org", 2, "Reviewed-by: Rita Reviewer <rita@example.org>");
	reply(&in, "akpm@example.org", 2, "#patchbot queue");
	first = test_ref_hex(tmp, "refs/heads/mm-unstable");
	below = sh_out("cd repo && git rev-parse mm-unstable~1");
	t = outbox_kind(&st, "notice");
	assert_null(strstr(t, "Review trailers that arrived"));
	free(t);

	/* Tess tests patch 1/2 after it was queued */
	reply(&in, "tess@example.org", 2, "Looks good here.\n\nTested-by: Tess Tester <tess@example.org>");
	tip = test_ref_hex(tmp, "refs/heads/mm-unstable");
	assert_string_not_equal(tip, first);
	t = sh_out("cd repo && git log -1 --format=%B mm-unstable~1 | grep -c"
		   " -e '^Tested-by: Tess Tester <tess@example.org>$'"
		   " -e '^Reviewed-by: Rita Reviewer <rita@example.org>$'");
	assert_eq_free(t, xstrdup("2"));
	/* rebuilt from that commit up, the tree the same */
	t = sh_out("cd repo && git rev-parse mm-unstable~1");
	assert_string_not_equal(t, below);
	free(t);
	assert_eq_free(tree_of("mm-unstable"), am_tree("v2.mbox"));
	t = sh_out("cd repo && git log -1 --format=%B mm-unstable | grep -c '^Tested-by:' || true");
	assert_eq_free(t, xstrdup("0"));
	/* the same trailer again changes nothing */
	reply(&in, "tess@example.org", 2, "Tested-by: Tess Tester <tess@example.org>");
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), xstrdup(tip));

	/* the next notice names it, once */
	reply(&in, "akpm@example.org", 2, "#patchbot promote");
	t = outbox_kind(&st, "notice");
	assert_contains(t, "has been moved from mm-unstable to mm-stable.");
	assert_contains(t, "Review trailers that arrived since the last notice (they are in the\n"
			   "commits now):\n  [1/2] Tested-by: Tess Tester <tess@example.org>\n");
	assert_null(strstr(t, "  [1/2] Reviewed-by: Rita"));
	assert_contains(t, "tess@example.org");
	free(t);
	reply(&in, "akpm@example.org", 2, "#patchbot drop");
	t = test_query_str(&st, "SELECT CAST(raw AS TEXT) FROM outbox WHERE kind = 'notice'"
				" ORDER BY id DESC LIMIT 1");
	assert_contains(t, "has been removed from mm-stable.");
	assert_null(strstr(t, "Review trailers"));
	free(t);
	free(first);
	free(below);
	free(tip);
	test_fresh_done(&st, &in);
}

/* queue.lateTrailers = false: the commits stay as they were queued. */
static void test_late_trailers_off(void **state)
{
	struct store st;
	struct ingest in;
	char *tip;

	(void)state;
	cfg.queue_late_trailers = false;
	test_fresh(&st, &in, &cfg, tmp, v1v2);
	reply(&in, "akpm@example.org", 2, "#patchbot queue");
	tip = test_ref_hex(tmp, "refs/heads/mm-unstable");
	reply(&in, "tess@example.org", 2, "Tested-by: Tess Tester <tess@example.org>");
	assert_eq_free(test_ref_hex(tmp, "refs/heads/mm-unstable"), tip);
	cfg.queue_late_trailers = true;
	test_fresh_done(&st, &in);
}

/* The author date keeps the mail's time zone, as git am does. */
static void test_author_date_zone(void **state)
{
	static const char *const mb[] = { "tz.mbox", NULL };
	struct store st;
	struct ingest in;
	char *t;

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, mb);
	reply(&in, "akpm@example.org", 1, "#patchbot queue");
	t = sh_out("cd repo && git log -1 --format=%ad --date=raw mm-unstable");
	assert_string_equal(t, "1704299400 -0700");
	free(am_tree("tz.mbox"));
	assert_eq_free(t, sh_out("cd am && git log -1 --format=%ad --date=raw"));
	assert_eq_free(tree_of("mm-unstable"), am_tree("tz.mbox"));
	test_fresh_done(&st, &in);

	test_fresh(&st, &in, &cfg, tmp, (const char *const[]){ "tzbody.mbox", NULL });
	reply(&in, "akpm@example.org", 1, "#patchbot queue");
	t = sh_out("cd repo && git log -1 --format=%ad --date=raw mm-unstable");
	assert_string_equal(t, "1704351600 +0100");
	free(am_tree("tzbody.mbox"));
	assert_eq_free(t, sh_out("cd am && git log -1 --format=%ad --date=raw"));
	t = sh_out("cd repo && git log -1 --format=%B mm-unstable | grep -c '^Date:' || true");
	assert_eq_free(t, xstrdup("0"));
	test_fresh_done(&st, &in);
}

/* try vN build: the result checked out and built in the sandbox. */
static void test_try_build(void **state)
{
	struct store st;
	struct ingest in;
	char *t, *keep = cfg.tree_build_command;
	int64_t keep_timeout = cfg.tree_build_timeout;

	(void)state;
	cfg.tree_build_command = "cat mm/foo.c; printf '%0300d\\n' 7;"
				 " grep -q 'int b = 1;' mm/foo.c && echo b is one";
	cfg.tree_build_timeout = 3;
	test_fresh(&st, &in, &cfg, tmp, v1v2);
	reply(&in, "mallory@example.org", 1, "#patchbot try v1 build");
	t = last_transcript(&st);
	assert_contains(t, "only a maintainer of this tree may use 'try build'");
	free(t);
	reply(&in, "akpm@example.org", 1, "#patchbot try v1 build");
	t = last_transcript(&st);
	assert_contains(t, "v1 of 'mm/foo: set b' applies on top of 'mm-unstable'");
	assert_contains(t, "the build passed in ");
	assert_contains(t, "| int b = 1;\n");
	assert_contains(t, "| b is one\n");
	free(t);
	reply(&in, "akpm@example.org", 2, "#patchbot try v2 build");
	t = last_transcript(&st);
	assert_contains(t, "the build failed: exit status 1");
	assert_contains(t, "| int b = 2;\n");
	/* a long line is cut, so that the mail's lines stay short */
	assert_contains(t, "| 000000000");
	assert_contains(t, "0000 [...]\n");
	assert_null(strstr(t, "07\n"));
	free(t);
	/* nothing of a try stays in the queue */
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM queue"), 0);
	cfg.tree_build_command = keep;
	cfg.tree_build_timeout = keep_timeout;
	test_fresh_done(&st, &in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_story),
		cmocka_unit_test(test_does_not_apply),
		cmocka_unit_test(test_rename_keeps_mode),
		cmocka_unit_test(test_not_maintainer),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_new_version_drops),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_try_build),
		cmocka_unit_test(test_late_trailers),
		cmocka_unit_test(test_late_trailers_off),
		cmocka_unit_test(test_author_date_zone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
