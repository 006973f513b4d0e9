/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report_bench: the cost of the status page.  Ingests an mbox (real
 * series, reviews and versions) into a fresh database file, puts Q of
 * its complete series versions on the queue (rows written straight into
 * the queue tables, with made-up commit ids: the page reads only the
 * rows), adds S subscriptions over the paths the patches touch, then
 * times report_stamp(), which the daemon runs after every round of mail,
 * and report_render(), which it runs when the stamp moved.
 *
 *   bench/report_bench MBOX [QUEUED [SUBSCRIPTIONS [RUNS]]]
 *
 * Defaults: 300 queued versions (mm-unstable's size on a busy day, a
 * sixth of them on mm-stable), 10,000 subscriptions, 20 runs.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "report.h"
#include "source.h"
#include "subs.h"
#include "util.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void exec_or_die(struct store *st, const char *sql)
{
	if (store_exec(st, sql))
		exit(1);
}

int main(int argc, char **argv)
{
	struct buf err = BUF_INIT(4096);
	struct config cfg = { 0 };
	struct store st;
	struct ingest in;
	struct mail_source *src;
	long queued = argc > 2 ? atol(argv[2]) : 300;
	long nsubs = argc > 3 ? atol(argv[3]) : 10000;
	long runs = argc > 4 ? atol(argv[4]) : 20;
	char path[] = "/tmp/report-bench.XXXXXX";
	char *db, *sql;
	double *stamp_ms, *render_ms, t0;
	size_t page_len = 0;
	int fd;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: report_bench MBOX [QUEUED [SUBSCRIPTIONS [RUNS]]]\n");
		return 2;
	}
	git_libgit2_init();
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	db = xasprintf("%s.db", path);
	unlink(path);
	if (store_open(&st, db, &err)) {
		fprintf(stderr, "%s\n", err.s);
		return 1;
	}
	/* defaults for everything, as the daemon would have them */
	strlist_push(&cfg.tree_branches, "mm-stable");
	strlist_push(&cfg.tree_branches, "mm-unstable");
	cfg.tree_base = "master";
	cfg.queue_link_url = "https://lore.kernel.org/r/%s";

	ingest_init(&in, &st, NULL);
	in.batch = 500;
	src = source_open(argv[1], in.limits.max_size + 1, &err);
	if (!src || ingest_source(&in, src, 0, &err) < 0) {
		fprintf(stderr, "%s\n", err.len ? err.s : "ingest failed");
		return 1;
	}
	src->free(src);
	printf("ingested %zu messages: %lld series, %lld versions (%lld complete), %lld trailers\n",
	       in.stats.read,
	       (long long)store_int(&st, store_stmt(&st, "SELECT count(*) FROM series"), 0),
	       (long long)store_int(&st, store_stmt(&st, "SELECT count(*) FROM versions"), 0),
	       (long long)store_int(&st, store_stmt(&st,
				    "SELECT count(*) FROM versions WHERE complete = 1"), 0),
	       (long long)store_int(&st, store_stmt(&st, "SELECT count(*) FROM trailers"), 0));

	/* the queue: the newest complete version of QUEUED series, a sixth
	 * of them on mm-stable; one made-up commit per patch */
	exec_or_die(&st, "BEGIN");
	sql = xasprintf(
		"INSERT INTO queue (version_id, branch, position, queued_at, queued_by, parent, tip)"
		" SELECT id, CASE WHEN rn %% 6 = 0 THEN 'mm-stable' ELSE 'mm-unstable' END, rn,"
		" date + 86400, 'akpm@linux-foundation.org', printf('%%040d', rn - 1),"
		" printf('%%040d', rn) FROM (SELECT v.id, v.date, row_number() OVER (ORDER BY v.id) AS rn"
		"  FROM versions v WHERE v.complete = 1 AND v.version = (SELECT max(version)"
		"  FROM versions w WHERE w.series_id = v.series_id) ORDER BY v.id DESC LIMIT %ld)",
		queued);
	exec_or_die(&st, sql);
	free(sql);
	exec_or_die(&st,
		"INSERT INTO queue_commits (version_id, idx, patch_id, commit_id)"
		" SELECT p.version_id, row_number() OVER (PARTITION BY p.version_id ORDER BY p.n),"
		" p.id, printf('%040x', p.id) FROM patches p JOIN queue q ON q.version_id = p.version_id;"
		"INSERT INTO queue_history (version_id, action, branch, by, at)"
		" SELECT version_id, 'queued', branch, queued_by, queued_at FROM queue;");
	/* subscriptions: the touched paths in turn, every fifth to a function */
	exec_or_die(&st, "CREATE TEMP TABLE bench_paths AS SELECT DISTINCT new_path AS p"
			 " FROM patch_files WHERE new_path IS NOT NULL");
	sql = xasprintf(
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld)"
		" INSERT INTO subscriptions (address, path, func, glob, prefix, token, created)"
		" SELECT 'sub' || (i %% 5000) || '@example.org',"
		" (SELECT p FROM bench_paths WHERE rowid = 1 + (i * 7919) %%"
		"   (SELECT count(*) FROM bench_paths)),"
		" CASE WHEN i %% 5 = 0 THEN 'f' || i ELSE '' END, 0, '', printf('%%032x', i), 0"
		" FROM n WHERE 1 ON CONFLICT DO NOTHING", nsubs);
	exec_or_die(&st, sql);
	free(sql);
	exec_or_die(&st, "COMMIT");
	printf("queued %lld versions with %lld commits, %lld subscriptions on %lld paths\n",
	       (long long)store_int(&st, store_stmt(&st, "SELECT count(*) FROM queue"), 0),
	       (long long)store_int(&st, store_stmt(&st, "SELECT count(*) FROM queue_commits"), 0),
	       (long long)store_int(&st, store_stmt(&st, "SELECT count(*) FROM subscriptions"), 0),
	       (long long)store_int(&st, store_stmt(&st,
				    "SELECT count(DISTINCT path) FROM subscriptions"), 0));

	stamp_ms = xcalloc((size_t)runs, sizeof(double));
	render_ms = xcalloc((size_t)runs, sizeof(double));
	for (long i = 0; i < runs; i++) {
		struct buf page = BUF_INIT(BUF_NOLIMIT);
		char *stamp;

		t0 = now();
		stamp = report_stamp(&st);
		stamp_ms[i] = (now() - t0) * 1e3;
		if (!stamp)
			return 1;
		free(stamp);
		t0 = now();
		if (report_render(&st, &cfg, NULL, (int64_t)time(NULL), &page))
			return 1;
		render_ms[i] = (now() - t0) * 1e3;
		page_len = page.len;
		buf_release(&page);
	}
	qsort(stamp_ms, (size_t)runs, sizeof(double), cmp_double);
	qsort(render_ms, (size_t)runs, sizeof(double), cmp_double);
	printf("report_stamp:  median %.2f ms, max %.2f ms (%ld runs)\n",
	       stamp_ms[runs / 2], stamp_ms[runs - 1], runs);
	printf("report_render: median %.2f ms, max %.2f ms, page %zu bytes\n",
	       render_ms[runs / 2], render_ms[runs - 1], page_len);

	free(stamp_ms);
	free(render_ms);
	ingest_release(&in);
	store_close(&st);
	strlist_clear(&cfg.tree_branches);
	unlink(db);
	sql = xasprintf("%s-wal", db);
	unlink(sql);
	free(sql);
	sql = xasprintf("%s-shm", db);
	unlink(sql);
	free(sql);
	free(db);
	buf_release(&err);
	return 0;
}
