/* SPDX-License-Identifier: GPL-2.0-or-later */
/* testutil: shared helpers for the cmocka tests (corpora, fresh stores). */
#ifndef PATCHBOT_TESTUTIL_H
#define PATCHBOT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the includes above first */
#include <cmocka.h>

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

#endif
