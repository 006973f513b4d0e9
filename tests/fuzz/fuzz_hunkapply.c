/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_hunkapply: libFuzzer target for the diff applier (gitdiff.c,
 * hunkapply.c) and the binary patch decoder (binpatch.c): the input is
 * applied as a diff to a small tree (a file, a script, a file without a
 * final newline, a folder) in a repository made once in /tmp; what it
 * writes goes to an in-memory object database, emptied after each input.
 */
#include <git2.h>
#include <git2/sys/mempack.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hunkapply.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static git_repository *repo;
static git_odb_backend *mem;
static git_oid root;

static int setup(void)
{
	char tmpl[] = "/tmp/fuzz_hunkapply.XXXXXX";
	git_treebuilder *sub = NULL, *top = NULL;
	git_oid a, run, noeol, dir;
	git_odb *odb = NULL;

	git_libgit2_init();
	if (!mkdtemp(tmpl) || git_repository_init(&repo, tmpl, 1) < 0 ||
	    git_repository_odb(&odb, repo) < 0 ||
	    git_blob_create_from_buffer(&a, repo, "a\nb\nc\nd\ne\nf\ng\n", 14) < 0 ||
	    git_blob_create_from_buffer(&run, repo, "#!/bin/sh\necho hi\n", 18) < 0 ||
	    git_blob_create_from_buffer(&noeol, repo, "one\ntwo", 7) < 0 ||
	    git_treebuilder_new(&sub, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, sub, "x.c", &a, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&dir, sub) < 0 ||
	    git_treebuilder_new(&top, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, top, "a", &a, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_insert(NULL, top, "run.sh", &run, GIT_FILEMODE_BLOB_EXECUTABLE) < 0 ||
	    git_treebuilder_insert(NULL, top, "noeol", &noeol, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_insert(NULL, top, "dir", &dir, GIT_FILEMODE_TREE) < 0 ||
	    git_treebuilder_write(&root, top) < 0 ||
	    git_mempack_new(&mem) < 0 || git_odb_add_backend(odb, mem, 1000) < 0)
		abort();
	git_treebuilder_free(sub);
	git_treebuilder_free(top);
	git_odb_free(odb);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct buf err = BUF_INIT(1 << 16);
	char *text;
	git_oid out;

	if (!ready)
		ready = !setup();
	text = xstrndup((const char *)data, size);
	hunk_apply(repo, NULL, &root, text, size, &out, &err);
	git_mempack_reset(mem);
	buf_release(&err);
	free(text);
	return 0;
}
