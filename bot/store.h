/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store: the sqlite database, patchbot's source of truth.  Opening it turns
 * on WAL and foreign keys and applies the forward migrations; statements
 * are prepared once and reused (store_stmt), since ingest runs them for
 * every message.
 */
#ifndef PATCHBOT_STORE_H
#define PATCHBOT_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "buf.h"

/*
 * Slots for prepared statements, one per SQL literal that runs: the
 * daemon runs nearly all of them (ingest, commands, queue, feedback,
 * subscriptions: about 150 call sites), and a full cache fails the call.
 */
#define STORE_STMT_CACHE 512

struct store {
	sqlite3 *db;
	char *path;
	/* Cache of prepared statements keyed by the SQL text's address. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_CACHE];
	int in_tx;
};

/* Open (creating when missing) and migrate.  path ":memory:" for tests. */
int store_open(struct store *st, const char *path, struct buf *err);
void store_close(struct store *st);
/* The schema version the database is at. */
int store_schema_version(struct store *st);

/* Run SQL text (no results); 0, or -1 with the error logged. */
int store_exec(struct store *st, const char *sql);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/*
 * A prepared statement for sql, reset and with its bindings cleared.  sql
 * must be a string literal (the cache keys on its address).  NULL on error
 * (logged).
 */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);
/* Run a statement to completion; returns 0 or -1 (logged). */
int store_done(struct store *st, sqlite3_stmt *s);
/* Bind a C string, NULL binding SQL NULL. */
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
/*
 * The same without sqlite's copy of the string: v must stay as it is
 * until the statement has run (store_done(), store_int() or the last
 * sqlite3_step()).  For the ingest path, where copying every bound
 * string cost a malloc and a free each.
 */
void store_bind_static(sqlite3_stmt *s, int i, const char *v);
/* Single-integer query helper: the first column of the first row, or def. */
int64_t store_int(struct store *st, sqlite3_stmt *s, int64_t def);
/* Log the database's last error and return -1. */
int store_error(struct store *st, const char *what);

#endif
