/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apply_check: patchbot's applier against real history.  For each mail of
 * a `git format-patch` mbox (its "From <commit>" line names the commit),
 * apply the mail's diff to the tree of the commit's parent, as the queue
 * does (objects into one pack), and compare with the commit's own tree.
 * Prints the commits whose tree differs or that do not apply, and the
 * time the whole loop took.
 *
 * With BASE, the mails are applied in a chain instead, each on the tree
 * the one before gave, from BASE's tree, as a queue rebuild does (without
 * the commits and the database); prints the final tree.
 *
 * usage: bench/apply_check REPO MBOX [BASE]
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "diff.h"
#include "packwrite.h"
#include "util.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char chunk[65536];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct packwriter *pw = NULL;
	struct buf err = BUF_INIT(BUF_NOLIMIT);
	size_t len, nr = 0, bad = 0;
	char *text, *p, *end;
	double t0;

	git_oid chain;
	bool chained = argc == 4;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s REPO MBOX [BASE]\n", argv[0]);
		return 2;
	}
	git_libgit2_init();
	text = slurp(argv[2], &len);
	if (!text || git_repository_open(&repo, argv[1]) < 0 ||
	    pack_attach(repo, &pw, &err) < 0 || pack_begin(pw, &err) < 0) {
		fprintf(stderr, "cannot open '%s' or '%s' %s\n", argv[1], argv[2], err.s);
		return 1;
	}
	if (chained) {
		git_object *o = NULL, *t = NULL;

		if (git_revparse_single(&o, repo, argv[3]) < 0 ||
		    git_object_peel(&t, o, GIT_OBJECT_TREE) < 0) {
			fprintf(stderr, "no tree '%s'\n", argv[3]);
			return 1;
		}
		chain = *git_object_id(t);
		git_object_free(t);
		git_object_free(o);
	}
	t0 = now();
	end = text + len;
	for (p = text; p < end;) {
		char *next = p, hex[41];
		git_commit *c = NULL, *parent = NULL;
		struct patch_split ps;
		git_oid id, tree;
		char *diff;
		int r;

		do {
			next = memmem(next + 1, (size_t)(end - next - 1), "\nFrom ", 6);
		} while (next && (end - next < 47 || next[46] != ' '));
		next = next ? next + 1 : end;
		memcpy(hex, p + 5, 40);
		hex[40] = 0;
		if (strncmp(p, "From ", 5) || patch_split(p, (size_t)(next - p), &ps) != 1 ||
		    (!chained && (git_oid_fromstr(&id, hex) < 0 ||
				  git_commit_lookup(&c, repo, &id) < 0 ||
				  git_commit_parentcount(c) != 1 ||
				  git_commit_parent(&parent, c, 0) < 0))) {
			git_commit_free(c);
			p = next;
			continue;
		}
		diff = xstrndup(p + ps.diff_start, ps.diff_len);
		buf_reset(&err);
		r = apply_tree_to(repo, pw, chained ? &chain : git_commit_tree_id(parent), diff,
				  &tree, &err);
		nr++;
		if (chained && !r)
			chain = tree;
		else if (r) {
			printf("%s does not apply: %s\n", hex, err.s);
			bad++;
		} else if (!git_oid_equal(&tree, git_commit_tree_id(c))) {
			printf("%s gives tree %s, git has %s\n", hex, git_oid_tostr_s(&tree),
			       git_oid_tostr_s(git_commit_tree_id(c)));
			bad++;
		}
		free(diff);
		git_commit_free(parent);
		git_commit_free(c);
		p = next;
	}
	buf_reset(&err);
	if (pack_end(pw, &err) < 0)
		fprintf(stderr, "%s\n", err.s);
	printf("%zu patches, %zu differ or fail, %.3f s (%zu objects written)\n", nr, bad,
	       now() - t0, pack_objects_written(pw));
	if (chained)
		printf("final tree %s\n", git_oid_tostr_s(&chain));
	git_repository_free(repo);
	free(text);
	buf_release(&err);
	git_libgit2_shutdown();
	return bad ? 1 : 0;
}
