/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * subs_bench: the cost of finding every subscription a patch matches.
 * Ingests an mbox (real patches), takes the first P patches, makes S
 * subscriptions over the real paths those patches touch plus kernel-shaped
 * paths that no patch touches, and times subs_match_diff() per patch:
 * files (both names of a rename), folders, globs and functions.  Run with
 * S = 1,000 and 100,000 to see that the cost does not grow with
 * subscriptions to unrelated paths.
 *
 *   bench/subs_bench MBOX [SUBSCRIPTIONS [PATCHES [ON_REAL_PATHS]]]
 *
 * ON_REAL_PATHS (default a tenth) of the subscriptions name paths the
 * patches touch; the others are spread over kernel-shaped paths.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfunc.h"
#include "ingest.h"
#include "source.h"
#include "subs.h"
#include "util.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct strlist query(struct store *st, const char *sql)
{
	struct strlist l = { 0 };
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return l;
	while (sqlite3_step(s) == SQLITE_ROW)
		strlist_push(&l, (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return l;
}

int main(int argc, char **argv)
{
	static const char *const tops[] = { "drivers", "fs", "net", "arch", "sound",
					    "include/linux", "tools", "kernel" };
	struct buf err = BUF_INIT(4096);
	struct config cfg = { 0 };
	struct store st, subs;
	struct ingest in;
	struct mail_source *src;
	struct strlist diffs, paths, funcs;
	long nsubs = argc > 2 ? atol(argv[2]) : 100000;
	long npatches = argc > 3 ? atol(argv[3]) : 1000;
	long nreal = argc > 4 ? atol(argv[4]) : nsubs / 10;
	size_t hits = 0, total_hits = 0;
	double t0, worst = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: subs_bench MBOX [SUBSCRIPTIONS [PATCHES]]\n");
		return 2;
	}
	git_libgit2_init();
	srand(42);
	if (store_open(&st, ":memory:", &err) || store_open(&subs, ":memory:", &err)) {
		fprintf(stderr, "%s\n", err.s);
		return 1;
	}
	ingest_init(&in, &st, NULL);
	in.batch = 1000;
	src = source_open(argv[1], in.limits.max_size + 1, &err);
	if (!src || ingest_source(&in, src, 0, &err)) {
		fprintf(stderr, "cannot ingest '%s': %s\n", argv[1], err.s);
		return 1;
	}
	src->free(src);
	{
		char *sql = xasprintf("SELECT diff FROM patch_diffs ORDER BY patch_id LIMIT %ld", npatches);

		diffs = query(&st, sql);
		free(sql);
	}
	paths = query(&st, "SELECT DISTINCT new_path FROM patch_files WHERE new_path IS NOT NULL");
	funcs = query(&st, "SELECT DISTINCT func FROM hunks WHERE func != ''");
	printf("%zu patches, %zu real paths, %zu hunk functions\n", diffs.nr, paths.nr, funcs.nr);

	/* the subscriptions: nreal on real paths, the rest elsewhere */
	t0 = now();
	sqlite3_exec(subs.db, "BEGIN", NULL, NULL, NULL);
	for (long i = 0; i < nsubs; i++) {
		char *addr = xasprintf("user%ld@example.org", (long)(rand() % 20000));
		char *path, *func = xstrdup("");
		int kind = rand() % 100;

		if (i < nreal && paths.nr) {
			const char *p = paths.v[(size_t)rand() % paths.nr];
			const char *slash = strrchr(p, '/');

			if (kind < 60 || !slash)
				path = xstrdup(p);
			else if (kind < 80)
				path = xstrndup(p, (size_t)(slash - p));
			else if (kind < 95 && funcs.nr) {
				char *f = NULL;

				for (int k = 0; k < 5 && !f; k++)
					f = cfunc_from_context(funcs.v[(size_t)rand() % funcs.nr]);
				path = xstrdup(p);
				if (f) {
					free(func);
					func = f;
				}
			} else
				path = xasprintf("%.*s/*.c", (int)(slash - p), p);
		} else {
			const char *top = tops[rand() % 8];
			int a = rand() % 300, b = rand() % 40;

			if (kind < 60)
				path = xasprintf("%s/sub%d/part%d/file%d.c", top, a, b, rand() % 50);
			else if (kind < 80)
				path = xasprintf("%s/sub%d/part%d", top, a, b);
			else if (kind < 95) {
				path = xasprintf("%s/sub%d/part%d/file%d.c", top, a, b, rand() % 50);
				free(func);
				func = xasprintf("fn_%d_*", rand() % 1000);
			} else
				path = xasprintf("%s/sub%d/**/dma*.c", top, a);
		}
		if (subs_add(&subs, addr, path, func, 0) < 0)
			return 1;
		free(addr);
		free(path);
		free(func);
	}
	sqlite3_exec(subs.db, "COMMIT", NULL, NULL, NULL);
	printf("%ld subscriptions made in %.2f s\n", nsubs, now() - t0);

	t0 = now();
	for (size_t i = 0; i < diffs.nr; i++) {
		double t1 = now(), d;

		if (subs_match_diff(&subs, &cfg, diffs.v[i], &hits))
			return 1;
		d = now() - t1;
		if (d > worst)
			worst = d;
		total_hits += hits;
	}
	{
		double all = now() - t0;

		printf("matched %zu patches in %.3f s: %.1f us per patch (worst %.1f us),"
		       " %zu hits\n", diffs.nr, all, all / (double)diffs.nr * 1e6,
		       worst * 1e6, total_hits);
	}
	ingest_release(&in);
	store_close(&st);
	store_close(&subs);
	strlist_clear(&diffs);
	strlist_clear(&paths);
	strlist_clear(&funcs);
	buf_release(&err);
	return 0;
}
