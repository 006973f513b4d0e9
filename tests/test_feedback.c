/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_feedback: feedback to submitters.  First the changelog heuristics
 * against a table of changelogs modelled on real kernel mail, sign-offs,
 * routing rules; then mail in, feedback out, through ingest: the whole
 * mail for tests/data/feedback/series-fix.mbox (series-fix.expected;
 * PATCHBOT_UPDATE_GOLDEN=1 rewrites it), silence when nothing is
 * missing, the wording rotation, a version posted too soon, and the
 * quiet and feedback commands.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feedback.h"
#include "feedback_check.h"
#include "testutil.h"
#include "util.h"

/* ---- the changelog table ------------------------------------------- */

struct changelog_case {
	const char *title;
	const char *changelog;
	bool fix, ask_effect, ask_security;
};

#define SOB "\n\nSigned-off-by: A U Thor <author@example.org>"

static const struct changelog_case changelogs[] = {
	/* syzbot-reported fixes */
	{ "mm/khugepaged: fix use-after-free in collapse_file()",
	  "syzbot reported:\n\n BUG: KASAN: slab-use-after-free in collapse_file+0x1a2/0x1b0\n"
	  " Read of size 8 at addr ffff888012345678 by task khugepaged/42\n\n"
	  "The folio is put before the last access.  Take a reference first.\n\n"
	  "Fixes: 99cb0dbd47a1 (\"mm,thp: add read-only THP support for (non-shmem) FS\")\n"
	  "Reported-by: syzbot+0123456789abcdef@syzkaller.appspotmail.com\n"
	  "Closes: https://syzkaller.appspot.com/bug?extid=0123456789abcdef" SOB,
	  true, false, true },
	{ "fs/ntfs3: add a check in ni_read_frame()",
	  "Add the missing bounds check on the frame index.\n\n"
	  "Reported-by: syzbot+fedcba9876543210@syzkaller.appspotmail.com\n"
	  "Closes: https://syzkaller.appspot.com/bug?extid=fedcba9876543210" SOB,
	  true, true, true },
	{ "net: sched: validate the qdisc handle",
	  "syzbot found a general protection fault in qdisc_lookup() that an\n"
	  "unprivileged user can trigger through a user namespace.\n\n"
	  "Reported-by: syzbot+1111@syzkaller.appspotmail.com" SOB,
	  true, false, false },
	/* Fixes: tags with and without a symptom */
	{ "mm/mempolicy: use the policy's nodemask in mbind()",
	  "mbind() passed the task's nodemask instead of the policy's.\n\n"
	  "Fixes: 0123456789ab (\"mm/mempolicy: add MPOL_PREFERRED_MANY\")" SOB,
	  true, true, true },
	{ "mm/vmscan: fix a hang in shrink_folio_list()",
	  "Tasks hang in D state when a dirty folio is isolated twice under\n"
	  "heavy memcg pressure.\n\nCc: stable@vger.kernel.org" SOB,
	  true, false, true },
	{ "mm/page_alloc: fix the free page accounting of isolated blocks",
	  "NR_FREE_PAGES drifts after memory offlining, so /proc/meminfo shows\n"
	  "wrong values for MemFree.\n\n"
	  "Fixes: 0123456789ab (\"mm: page_alloc: consolidate free page accounting\")\n"
	  "Cc: <stable@vger.kernel.org>" SOB,
	  true, false, true },
	{ "mm/damon: correct the nr_accesses update",
	  "The aggregation used the sampling interval of the previous context.\n\n"
	  "Fixes: 0123456789ab (\"mm/damon: implement aggregation\")" SOB,
	  true, true, true },
	{ "mm: page_alloc: skip the zone lock when nothing is free",
	  "WARNING: CPU: 3 PID: 1 at mm/page_alloc.c:1234 rmqueue+0x1c/0x40\n"
	  "Call Trace:\n  rmqueue\n\nFixes: 0123456789ab (\"mm: pcp: batch frees\")" SOB,
	  true, false, true },
	{ "mm/zswap: fix a memory leak on the store error path",
	  "The entry is not freed when zpool_malloc() fails.\n\n"
	  "Fixes: 0123456789ab (\"mm/zswap: split zswap_store()\")" SOB,
	  true, false, true },
	{ "mm/gup: fix a deadlock with mmap_lock",
	  "lockdep reports a possible circular locking dependency between\n"
	  "mmap_lock and the folio lock.\n\nFixes: 0123456789ab (\"mm/gup: foo\")" SOB,
	  true, false, true },
	{ "mm/memcontrol: fix the stat flush threshold",
	  "Since v6.1 the per-cpu counter is never reset, so memory.stat goes stale.\n\n"
	  "Fixes: 0123456789ab (\"mm: memcg: flush stats\")" SOB,
	  true, false, true },
	{ "btrfs: fix data corruption with compressed extents",
	  "A partial write into a compressed extent overwrites data past the\n"
	  "end of the range.\n\nCC: stable@vger.kernel.org # 6.1+" SOB,
	  true, false, true },
	{ "ext4: fix data loss on fsync after truncate",
	  "fsync() after a truncate can return before the size is on disk.\n\n"
	  "Fixes: 0123456789ab (\"ext4: fast commit\")" SOB,
	  true, false, true },
	{ "io_uring: fix a NULL dereference in io_req_task_work_add()",
	  "The ring can be torn down while work is queued.  This can be\n"
	  "triggered by an unprivileged user with IORING_SETUP_SQPOLL and crashes\n"
	  "the kernel.\n\nFixes: 0123456789ab (\"io_uring: task work\")" SOB,
	  true, false, false },
	{ "mm/madvise: handle zero-length ranges",
	  "madvise(MADV_DONTNEED) with a zero length returned -EINVAL instead\n"
	  "of 0.\n\nFixes: 0123456789ab (\"mm/madvise: check the range\")" SOB,
	  true, false, true },
	{ "fs: fix mount failing on read-only devices",
	  "mount -o ro fails with -EACCES on a write-protected device since v6.5.\n"
	  "This needs CAP_SYS_ADMIN anyway, so it is not a security issue." SOB,
	  true, false, false },
	{ "mm/swapfile: fix a race in swap_free()",
	  "Two CPUs can drop the last reference concurrently.  Take the\n"
	  "cluster lock around the update.\n\nFixes: 0123456789ab (\"mm/swap: lockless\")" SOB,
	  true, true, true },
	{ "mm/hugetlb: check for a NULL vma",
	  "vma can be NULL here.  Fix this by checking it before use." SOB,
	  true, true, true },
	{ "mm/slub: fix a soft lockup in the free path",
	  "The loop spins forever on a corrupted freelist; a soft lockup\n"
	  "follows.  Fix it by bounding the walk." SOB,
	  true, false, true },
	{ "nvme: fix EIO on reads after a controller reset",
	  "Users see EIO on reads issued during a reset.\n\n"
	  "Closes: https://bugzilla.kernel.org/show_bug.cgi?id=218000" SOB,
	  true, false, true },
	{ "mm/shmem: fix the inode count",
	  "This has no user-visible effect today, but a later patch relies on\n"
	  "the count.\n\nFixes: 0123456789ab (\"shmem: count inodes\")" SOB,
	  true, false, true },
	/* performance fixes: the numbers are the effect, no security question */
	{ "mm/readahead: clamp the window to the maximum",
	  "ra_next_size() doubled the window without looking at the maximum,\n"
	  "halving throughput (fio seq read, 128k max: 410 MB/s before, 820 MB/s\n"
	  "after).\n\nFixes: 1234567890ab (\"mm: toy readahead\")" SOB,
	  true, false, false },
	{ "mm/compaction: fix latency spikes in isolate_migratepages()",
	  "p99 latency of a memcached workload went from 2ms to 20ms with\n"
	  "proactive compaction.\n\nFixes: 0123456789ab (\"mm: proactive compaction\")" SOB,
	  true, false, false },
	{ "mm/mmap: fix a performance regression in munmap()",
	  "will-it-scale/munmap1 dropped by 12% (ops/s) with the maple tree\n"
	  "conversion.\n\nFixes: 0123456789ab (\"mm: maple tree\")" SOB,
	  true, false, false },
	/* build and tool fixes: the compiler's message says it */
	{ "mm: fix build error without CONFIG_SWAP",
	  "mm/swap.c:12:5: error: implicit declaration of function 'swp_offset'\n\n"
	  "Reported-by: kernel test robot <lkp@intel.com>\n"
	  "Closes: https://lore.kernel.org/oe-kbuild-all/202401010000.abc@intel.com/" SOB,
	  true, false, false },
	{ "mm: fix sparse warning about __rcu",
	  "Reported-by: kernel test robot <lkp@intel.com>" SOB,
	  true, false, false },
	/* features and cleanups are no fixes */
	{ "mm: add a sysctl for the watermark boost factor",
	  "Add vm.watermark_boost_factor so that admins can tune it.", false, false, false },
	{ "mm: remove the unused vma_is_foo() helper",
	  "No functional change.", false, false, false },
	{ "mm: fix a typo in a comment", "s/teh/the/", false, false, false },
	{ "mm: fix kernel-doc warnings", "Describe the missing parameters.", false, false, false },
	{ "Documentation/mm: fix the description of overcommit",
	  "The text said the opposite of what the code does.", false, false, false },
	{ "mm: avoid unnecessary TLB flushes in mprotect()",
	  "This reduces the TLB flushes by 30% in the mprotect benchmark.", false, false, false },
	{ "Revert \"mm: page_alloc: batch frees\"",
	  "This reverts commit 0123456789ab.  It causes boot failures on arm64.",
	  false, false, false },
	{ "mm/vmstat: add the nr_unaccepted counter",
	  "Show it in /proc/vmstat.", false, false, false },
	{ "mm: fix checkpatch warnings in mm/memory.c", "Whitespace only.", false, false, false },
};

static void test_changelog_table(void **state)
{
	size_t n = sizeof(changelogs) / sizeof(changelogs[0]);

	(void)state;
	assert_true(n >= 30);
	for (size_t i = 0; i < n; i++) {
		const struct changelog_case *c = &changelogs[i];
		struct changelog_facts f;

		changelog_read(c->title, c->changelog, &f);
		print_message("%s\n", c->title);
		assert_int_equal(f.fix, c->fix);
		assert_int_equal(changelog_wants_effect(&f), c->ask_effect);
		assert_int_equal(changelog_wants_security(&f), c->ask_security);
	}
}

static void test_signoff(void **state)
{
	char *name, *addr;

	(void)state;
	assert_true(changelog_signed_by("x\n\nSigned-off-by: Fay <FAY@example.org>",
					"", "fay@example.org"));
	assert_true(changelog_signed_by("signed-off-by: Fay Fixer <f@other.org>",
					"Fay Fixer", "fay@example.org"));
	assert_false(changelog_signed_by("Acked-by: Fay <fay@example.org>", "Fay",
					 "fay@example.org"));
	assert_false(changelog_signed_by("Signed-off-by: Sam <sam@example.org>",
					 "Fay", "fay@example.org"));
	assert_false(changelog_signed_by(NULL, "Fay", "fay@example.org"));
	/* a patch passed on: the in-body From is the author */
	changelog_author("From: \"Ann Author\" <Ann@Example.org>\n\nText",
			 "Sam", "sam@example.org", &name, &addr);
	assert_string_equal(name, "Ann Author");
	assert_string_equal(addr, "ann@example.org");
	free(name);
	free(addr);
	changelog_author("Text", "Sam", "Sam@example.org", &name, &addr);
	assert_string_equal(addr, "sam@example.org");
	free(name);
	free(addr);
}

static void test_routes(void **state)
{
	struct feedback_route r;
	struct buf err = BUF_INIT(1024);

	(void)state;
	assert_int_equal(feedback_route_parse("rust/ *.rs | via the Rust tree", &r, &err), 0);
	assert_int_equal(r.patterns.nr, 2);
	assert_string_equal(r.text, "via the Rust tree");
	assert_true(feedback_route_match(&r, "rust/kernel/lib.rs"));
	assert_true(feedback_route_match(&r, "rust/Makefile"));
	assert_true(feedback_route_match(&r, "drivers/gpu/nova/driver.rs"));
	assert_false(feedback_route_match(&r, "drivers/gpu/nova/driver.rsx"));
	assert_false(feedback_route_match(&r, "mm/rust.c"));
	feedback_route_release(&r);
	assert_int_equal(feedback_route_parse("Documentation/*/index.rst|docs", &r, &err), 0);
	assert_true(feedback_route_match(&r, "Documentation/mm/index.rst"));
	assert_false(feedback_route_match(&r, "Documentation/mm/x/index.rst"));
	feedback_route_release(&r);
	assert_int_equal(feedback_route_parse("rust/ no bar", &r, &err), -1);
	assert_non_null(strstr(err.s, "has no '|'"));
	buf_reset(&err);
	assert_int_equal(feedback_route_parse(" | text only", &r, &err), -1);
	assert_int_equal(feedback_route_parse("rust/ |  ", &r, &err), -1);
	buf_release(&err);
}

static void test_resend(void **state)
{
	(void)state;
	assert_true(reply_asks_resend("Looks fine otherwise, please send a v3 with that."));
	assert_true(reply_asks_resend("Could you respin on top of mm-unstable?"));
	assert_true(reply_asks_resend("Please resend after the merge window."));
	assert_false(reply_asks_resend("> please resend\nReviewed-by: R <r@example.org>"));
	assert_false(reply_asks_resend("Reviewed-by: R <r@example.org>"));
}

/* ---- through ingest ---------------------------------------------------- */

/* A bare repository with the fixture MAINTAINERS committed on master. */
static char *make_tree(void)
{
	char tmpl[] = "/tmp/pb-fb-XXXXXX";
	char *dir = xstrdup(mkdtemp(tmpl)), *path, *text;
	git_repository *repo;
	git_treebuilder *tb;
	git_signature *sig;
	git_oid blob, tree_id, commit;
	git_tree *tree;

	path = test_srcpath("tests/data/maintainers/MAINTAINERS");
	text = test_read_file(path, NULL);
	assert_non_null(text);
	assert_int_equal(git_repository_init(&repo, dir, 1), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, repo, text, strlen(text)), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "MAINTAINERS", &blob,
						GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@example.org", 1700000000, 0), 0);
	assert_int_equal(git_commit_create_v(&commit, repo, "refs/heads/master", sig, sig,
					     NULL, "base", tree, 0), 0);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_repository_free(repo);
	free(text);
	free(path);
	return dir;
}

static void remove_tree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void load_config(struct config *cfg, const char *tree)
{
	struct buf err = BUF_INIT(1024);
	char *path = test_srcpath("tests/data/feedback/patchbot.conf");

	if (config_load(cfg, path, true, &err)) {
		print_error("%s\n", err.s);
		fail();
	}
	assert_int_equal(cfg->nr_errors, 0);
	if (tree)
		cfg->tree_repo = xstrdup(tree);
	buf_release(&err);
	free(path);
}

/* The feedback mails in the outbox, without Date lines. */
static char *feedback_text(struct store *st)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT raw FROM outbox"
					    " WHERE kind = 'feedback' ORDER BY id",
					    -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *p = sqlite3_column_blob(s, 0);
		const char *end = p + sqlite3_column_bytes(s, 0);

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

static void test_series_fix_end_to_end(void **state)
{
	char *tree = make_tree(), *mbox = test_srcpath("tests/data/feedback/series-fix.mbox");
	char *exp_path = test_srcpath("tests/data/feedback/series-fix.expected");
	char *expected = test_read_file(exp_path, NULL), *got, *s;
	struct config cfg;
	struct store st;
	struct ingest in;

	(void)state;
	load_config(&cfg, tree);
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	test_ingest_path(&in, mbox);
	/* a second reading changes nothing: the same Message-ID */
	test_ingest_path(&in, mbox);
	assert_int_equal(feedback_check_version(&st, &cfg, 1), 0);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 1);
	s = test_query_str(&st, "SELECT recipients FROM outbox");
	assert_string_equal(s, "fay@example.org list@example.org akpm@linux-foundation.org "
			       "david@redhat.com linux-kernel@vger.kernel.org ojeda@kernel.org "
			       "alex.gaynor@gmail.com rust-for-linux@vger.kernel.org");
	free(s);
	s = test_query_str(&st, "SELECT checks || ' ' || variant FROM feedback_sent");
	assert_string_equal(s, "effect security maintainers route signoff 5");
	free(s);
	got = feedback_text(&st);
	assert_non_null(strstr(got, "\nIn-Reply-To: <fix-cover@example.org>\n"));
	assert_non_null(strstr(got, "\nTo: Fay Fixer <fay@example.org>\n"));
	assert_non_null(strstr(got, "\nSubject: Re: [PATCH 0/2] mm: a filemap fix"));
	if (getenv("PATCHBOT_UPDATE_GOLDEN")) {
		FILE *f = fopen(exp_path, "w");

		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	} else {
		assert_non_null(expected);
		assert_string_equal(got, expected);
	}
	free(got);
	free(expected);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
	remove_tree(tree);
	free(tree);
	free(mbox);
	free(exp_path);
}

/* One patch mail: changelog, then a one-line diff of path. */
static void post(struct ingest *in, const char *id, const char *from,
		 const char *subject, const char *reply_to, const char *date,
		 const char *changelog, const char *path)
{
	char *refs = reply_to ? xasprintf("In-Reply-To: <%s>\nReferences: <%s>\n",
					  reply_to, reply_to) : xstrdup("");
	char *diff = path ? xasprintf("---\n\ndiff --git a/%s b/%s\nindex 1111111..2222222 100644\n"
				      "--- a/%s\n+++ b/%s\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
				      path, path, path, path) : xstrdup("");
	char *raw = xasprintf("From: %s\nTo: list@example.org\nSubject: %s\n"
			      "Date: %s\nMessage-ID: <%s>\n%s\n%s\n%s",
			      from, subject, date, id, refs, changelog, diff);

	assert_int_equal(test_ingest_string(in, raw, NULL), 0);
	free(raw);
	free(refs);
	free(diff);
}

#define FAY "Fay Fixer <fay@example.org>"
#define DATE "Mon, 06 Jan 2025 10:00:00 +0000"
#define CLEAN "mm: add a helper\n\nSigned-off-by: " FAY "\n"

static void test_nothing_missing(void **state)
{
	char *tree = make_tree(), *mbox = test_srcpath("tests/data/commands/series.mbox");
	struct config cfg;
	struct store st;
	struct ingest in;

	(void)state;
	/* without tree.repo: a perf fix with numbers and a feature, signed off */
	load_config(&cfg, NULL);
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	test_ingest_path(&in, mbox);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM versions WHERE complete"), 1);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 0);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
	/* with MAINTAINERS: a fix that says it all, Cc'ing everyone it names */
	load_config(&cfg, tree);
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	assert_int_equal(test_ingest_string(&in,
		"From: " FAY "\nTo: list@example.org\n"
		"Cc: Andrew Morton <akpm@linux-foundation.org>, david@redhat.com,\n"
		" linux-mm@kvack.org, linux-kernel@vger.kernel.org\n"
		"Subject: [PATCH] mm: fix a leak in x_alloc()\n"
		"Date: " DATE "\nMessage-ID: <clean@example.org>\n\n"
		"x_alloc() leaks a page on every failed call: 4 kB a time under\n"
		"memory pressure, from user space through read(2) with no privileges.\n\n"
		"Signed-off-by: " FAY "\n---\n\n"
		"diff --git a/mm/x.c b/mm/x.c\nindex 1111111..2222222 100644\n"
		"--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n", NULL), 0);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM versions WHERE complete"), 1);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 0);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
	remove_tree(tree);
	free(tree);
	free(mbox);
}

/* Fixes without an effect from one submitter: the wording changes every
 * time, and the same posting always gets the same wording. */
static void rotation(int *variants, size_t n, const char *from)
{
	struct config cfg;
	struct store st;
	struct ingest in;

	load_config(&cfg, NULL);
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	for (size_t i = 0; i < n; i++) {
		char *id = xasprintf("rot-%zu@example.org", i);
		char *subject = xasprintf("[PATCH] mm: fix the counter in function_%zu()", i);
		char *sql = xasprintf("SELECT variant FROM feedback_sent WHERE id = %zu", i + 1);

		post(&in, id, from, subject, NULL, DATE,
		     "Use the right index.\n\nSigned-off-by: " FAY, "mm/x.c");
		variants[i] = (int)test_query_int(&st, sql);
		free(id);
		free(subject);
		free(sql);
	}
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
}

static void test_rotation(void **state)
{
	int a[12], b[12], seen[FEEDBACK_EFFECT_VARIANTS + 1] = { 0 }, distinct = 0;

	(void)state;
	rotation(a, 12, FAY);
	rotation(b, 12, FAY);
	for (size_t i = 0; i < 12; i++) {
		print_message("series %zu: wording %d\n", i, a[i]);
		assert_true(a[i] >= 1 && a[i] <= FEEDBACK_EFFECT_VARIANTS);
		assert_int_equal(a[i], b[i]);
		if (i)
			assert_int_not_equal(a[i], a[i - 1]);
		if (!seen[a[i]]++)
			distinct++;
	}
	assert_true(distinct >= 4);
	/* every wording exists and reads differently */
	for (int i = 1; i <= FEEDBACK_EFFECT_VARIANTS; i++) {
		char *p = xasprintf("templates/feedback/effect-%d.txt", i), *path = test_srcpath(p);
		char *t = test_read_file(path, NULL);

		assert_non_null(t);
		for (int j = 1; j < i; j++) {
			char *q = xasprintf("templates/feedback/effect-%d.txt", j), *qp = test_srcpath(q);
			char *u = test_read_file(qp, NULL);
			const char *ti = strchr(t, '\n'), *tj = strchr(u, '\n');

			assert_string_not_equal(ti, tj);
			free(u);
			free(q);
			free(qp);
		}
		free(t);
		free(p);
		free(path);
	}
}

static void test_too_soon(void **state)
{
	struct config cfg;
	struct store st;
	struct ingest in;
	char *s;

	(void)state;
	load_config(&cfg, NULL);
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	post(&in, "ts-v1@example.org", FAY, "[PATCH] mm: add a helper", NULL,
	     "Mon, 06 Jan 2025 10:00:00 +0000", CLEAN, "mm/x.c");
	post(&in, "ts-r1@example.org", "Rita Reviewer <rita@example.org>",
	     "Re: [PATCH] mm: add a helper", "ts-v1@example.org",
	     "Tue, 07 Jan 2025 08:00:00 +0000", "Why not use the existing one?", NULL);
	post(&in, "ts-v2@example.org", FAY, "[PATCH v2] mm: add a helper", NULL,
	     "Tue, 07 Jan 2025 10:00:00 +0000", CLEAN, "mm/x.c");
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM versions"), 2);
	s = test_query_str(&st, "SELECT checks FROM feedback_sent");
	assert_string_equal(s, "too-soon");
	free(s);
	s = feedback_text(&st);
	assert_non_null(strstr(s, "v2 arrived while v1 was still being discussed"));
	assert_non_null(strstr(s, "In-Reply-To: <ts-v2@example.org>"));
	free(s);
	/* a maintainer asked for it: no note, and so no mail */
	post(&in, "tb-v1@example.org", FAY, "[PATCH] mm: add another helper", NULL,
	     "Mon, 06 Jan 2025 10:00:00 +0000", CLEAN, "mm/y.c");
	post(&in, "tb-r1@example.org", "Andrew <akpm@example.org>",
	     "Re: [PATCH] mm: add another helper", "tb-v1@example.org",
	     "Tue, 07 Jan 2025 08:00:00 +0000", "Please send a v2 with the comment fixed.", NULL);
	post(&in, "tb-v2@example.org", FAY, "[PATCH v2] mm: add another helper", NULL,
	     "Tue, 07 Jan 2025 10:00:00 +0000", CLEAN, "mm/y.c");
	/* old replies are not a discussion still going */
	post(&in, "tc-v1@example.org", FAY, "[PATCH] mm: add a third helper", NULL,
	     "Mon, 06 Jan 2025 10:00:00 +0000", CLEAN, "mm/z.c");
	post(&in, "tc-r1@example.org", "Rita Reviewer <rita@example.org>",
	     "Re: [PATCH] mm: add a third helper", "tc-v1@example.org",
	     "Mon, 06 Jan 2025 11:00:00 +0000", "Nice.", NULL);
	post(&in, "tc-v2@example.org", FAY, "[PATCH v2] mm: add a third helper", NULL,
	     "Fri, 10 Jan 2025 10:00:00 +0000", CLEAN, "mm/z.c");
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM versions"), 6);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 1);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
}

static void test_quiet_and_feedback_commands(void **state)
{
	struct config cfg;
	struct store st;
	struct ingest in;
	char *s;

	(void)state;
	load_config(&cfg, NULL);
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	post(&in, "q-v1@example.org", FAY, "[PATCH] mm: add a helper", NULL, DATE,
	     "Add it.", "mm/x.c");
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox WHERE kind = 'feedback'"), 1);
	/* quiet needs a maintainer */
	post(&in, "q-c0@example.org", FAY, "Re: [PATCH] mm: add a helper", "q-v1@example.org",
	     DATE, "#patchbot quiet", NULL);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM feedback_quiet"), 0);
	post(&in, "q-c1@example.org", "Andrew <akpm@example.org>", "Re: [PATCH] mm: add a helper",
	     "q-v1@example.org", DATE, "#patchbot quiet", NULL);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM feedback_quiet"), 1);
	s = test_query_str(&st, "SELECT detail FROM commands WHERE name = 'quiet' AND status = 'ok'");
	assert_non_null(strstr(s, "no more feedback"));
	free(s);
	/* v2 misses its sign-off too, but the series is quiet */
	post(&in, "q-v2@example.org", FAY, "[PATCH v2] mm: add a helper", NULL,
	     "Wed, 08 Jan 2025 10:00:00 +0000", "Add it, v2.", "mm/x.c");
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM versions"), 2);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox WHERE kind = 'feedback'"), 1);
	/* feedback: check again, send, and the series is no longer quiet */
	post(&in, "q-c2@example.org", "Andrew <akpm@example.org>", "Re: [PATCH v2] mm: add a helper",
	     "q-v2@example.org", DATE, "#patchbot feedback", NULL);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM feedback_quiet"), 0);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox WHERE kind = 'feedback'"), 2);
	s = test_query_str(&st, "SELECT detail FROM commands WHERE name = 'feedback'");
	assert_string_equal(s, "feedback on v2 sent to the submitter");
	free(s);
	s = test_query_str(&st, "SELECT checks FROM feedback_sent ORDER BY id DESC");
	assert_string_equal(s, "signoff");
	free(s);
	/* and when nothing is missing it says so */
	post(&in, "q-v3@example.org", FAY, "[PATCH v3] mm: add a helper", NULL,
	     "Fri, 10 Jan 2025 10:00:00 +0000", CLEAN, "mm/x.c");
	post(&in, "q-c3@example.org", "Andrew <akpm@example.org>", "Re: [PATCH v3] mm: add a helper",
	     "q-v3@example.org", DATE, "#patchbot feedback", NULL);
	s = test_query_str(&st, "SELECT detail FROM commands WHERE name = 'feedback' ORDER BY id DESC");
	assert_string_equal(s, "nothing is missing in v3: no feedback sent");
	free(s);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox WHERE kind = 'feedback'"), 2);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
}

static void test_switched_off(void **state)
{
	struct config cfg;
	struct store st;
	struct ingest in;

	(void)state;
	load_config(&cfg, NULL);
	cfg.feedback_signoff = false;
	test_store_open(&st);
	ingest_init(&in, &st, &cfg);
	post(&in, "off-1@example.org", FAY, "[PATCH] mm: add a helper", NULL, DATE,
	     "Add it.", "mm/x.c");
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 0);
	cfg.feedback_signoff = true;
	cfg.feedback_enable = false;
	post(&in, "off-2@example.org", FAY, "[PATCH] mm: add a second helper", NULL, DATE,
	     "Add it.", "mm/x.c");
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 0);
	ingest_release(&in);
	store_close(&st);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changelog_table),
		cmocka_unit_test(test_signoff),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_resend),
		cmocka_unit_test(test_series_fix_end_to_end),
		cmocka_unit_test(test_nothing_missing),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_too_soon),
		cmocka_unit_test(test_quiet_and_feedback_commands),
		cmocka_unit_test(test_switched_off),
	};

	git_libgit2_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
