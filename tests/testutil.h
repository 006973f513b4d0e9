/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * testutil: shared helpers for the cmocka tests (corpora, fresh stores,
 * scratch git repositories made with the git command).
 */
#ifndef PATCHBOT_TESTUTIL_H
#define PATCHBOT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the includes above first */
#include <cmocka.h>

#include "config.h"
#include "ingest.h"
#include "store.h"

/* $PATCHBOT_CORPORA/rel, failing the test when the corpora are missing. */
char *corpus_path(const char *rel);
/* $PATCHBOT_SRCDIR/rel (the source tree; ".." when unset). New string. */
char *test_srcpath(const char *rel);
/* The whole file (NUL-terminated; its length in *len), or NULL if missing. */
char *test_read_file(const char *path, size_t *len);
/* A fresh in-memory store; fails the test on error. */
void test_store_open(struct store *st);
/* Ingest every message of path (file, folder, "-") with default limits. */
void test_ingest_path(struct ingest *in, const char *path);
/* Ingest a message given as a string. */
int test_ingest_string(struct ingest *in, const char *raw, enum msg_kind *kind);
/* First column of the first row of sql as an integer (-1 on no row). */
int64_t test_query_int(struct store *st, const char *sql);
/* First column of the first row of sql as a new string ("" on no row). */
char *test_query_str(struct store *st, const char *sql);

/*
 * A new temporary folder /tmp/<prefix>.XXXXXX (new string) for a test
 * that runs git: libgit2 initialised, the user's and the system's git
 * configuration kept out.
 */
char *test_tmpdir(const char *prefix);
/* Ann Author <ann@example.org> at 2024-01-02 10:00 UTC as git's author
 * and committer, so commits and their mail are the same on every run. */
void test_git_ident(void);
/*
 * The fixture of the tests that drive the bot through ingest: a new
 * test_tmpdir(prefix) (returned), test_git_ident, the shell script run in
 * it (it makes dir/repo and the mail), test_config_bot(cfg, dir, extra).
 */
char *test_bot_setup(const char *prefix, const char *script, struct config *cfg,
		     const char *extra);
/* Remove the folder dir and everything in it, and free dir. */
void test_rmtree(char *dir);
/* Run a shell command in dir, output dropped; fail the test when it fails. */
void test_sh(const char *dir, const char *cmd);
/* The first line a shell command run in dir prints (new string). */
char *test_sh_out(const char *dir, const char *cmd);
/* Write text as dir/patchbot.conf and load it into cfg; fail on any error. */
void test_config_write(struct config *cfg, const char *dir, const char *text);
/*
 * The usual bot for the tests, loaded into cfg: patchbot@example.org on
 * list@example.org, the tree dir/repo on master, akpm@example.org the
 * maintainer, the source tree's templates; then the sections in extra.
 */
void test_config_bot(struct config *cfg, const char *dir, const char *extra);
/*
 * A fresh in-memory store and ingest for cfg, with the branches patchbot
 * made in dir/repo removed and the mboxes (names in dir, NULL-terminated;
 * mboxes may be NULL) ingested.  test_fresh_done releases both.
 */
void test_fresh(struct store *st, struct ingest *in, const struct config *cfg,
		const char *dir, const char *const *mboxes);
void test_fresh_done(struct store *st, struct ingest *in);
/* The hex id the ref name points at in the repository dir/repo, or "" (new). */
char *test_ref_hex(const char *dir, const char *name);

#endif
