/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * subs: subscription patterns, tokens, the subscription store and matching
 * a touched path against it (see subs.h).
 */
#include "subs.h"

#include <ctype.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int subs_parse_spec(const char *spec, char **path, char **func, struct buf *err)
{
	const char *colon = strrchr(spec, ':'), *p;
	size_t plen = colon ? (size_t)(colon - spec) : strlen(spec);
	char *s;

	*path = *func = NULL;
	for (p = spec; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\\') {
			buf_addf(err, "'%s' is not a path: no blanks or control characters", spec);
			return -1;
		}
	if (colon) {
		for (p = colon + 1; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("_*?[]!", *p)) {
				buf_addf(err, "'%s' is not a C function name or glob", colon + 1);
				return -1;
			}
		if (!colon[1] || strlen(colon + 1) > SUBS_MAX_FUNC) {
			buf_addf(err, "'%s' has an empty or overlong function name", spec);
			return -1;
		}
	}
	/* "./mm/", "/mm" and "mm/" all mean mm */
	while (plen >= 2 && !strncmp(spec, "./", 2)) {
		spec += 2;
		plen -= 2;
	}
	while (plen && *spec == '/') {
		spec++;
		plen--;
	}
	while (plen && spec[plen - 1] == '/')
		plen--;
	if (!plen || plen > SUBS_MAX_PATH) {
		buf_addf(err, "'%.*s' is not a path in the tree", (int)(plen > 300 ? 300 : plen), spec);
		return -1;
	}
	s = xstrndup(spec, plen);
	if (!strcmp(s, "..") || starts_with(s, "../") || strstr(s, "/../") ||
	    (plen >= 3 && !strcmp(s + plen - 3, "/.."))) {
		buf_addf(err, "'%s' leaves the tree ('..')", s);
		free(s);
		return -1;
	}
	*path = s;
	*func = xstrdup(colon ? colon + 1 : "");
	return 0;
}

char *subs_spec(const char *path, const char *func)
{
	return func && *func ? xasprintf("%s:%s", path, func) : xstrdup(path);
}

/* The literal folder part of a glob: drivers for "drivers/ ** /dma*.c". */
static char *glob_prefix(const char *pat)
{
	const char *w = strpbrk(pat, "*?["), *slash = w;

	while (slash > pat && slash[-1] != '/')
		slash--;
	return xstrndup(pat, slash > pat ? (size_t)(slash - pat - 1) : 0);
}

static bool class_match(const char **pp, char c)
{
	const char *p = *pp + 1;
	bool neg = *p == '!' || *p == '^', hit = false;

	if (neg)
		p++;
	for (bool first = true; *p && (first || *p != ']'); first = false, p++) {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			hit |= c >= p[0] && c <= p[2];
			p += 2;
		} else {
			hit |= c == *p;
		}
	}
	if (!*p)
		return false; /* no closing ']' */
	*pp = p + 1;
	return hit != neg && c != '/';
}

bool subs_glob_match(const char *p, const char *s)
{
	while (*p) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '/') {
				/* a "**" folder may be no folder at all */
				if (subs_glob_match(p + 1, s))
					return true;
			}
			for (; *s; s++)
				if (subs_glob_match(p, s))
					return true;
			return subs_glob_match(p, s);
		}
		if (*p == '*') {
			p++;
			for (;; s++) {
				if (subs_glob_match(p, s))
					return true;
				if (!*s || *s == '/')
					return false;
			}
		}
		if (!*s)
			return false;
		if (*p == '?') {
			if (*s == '/')
				return false;
			p++;
			s++;
		} else if (*p == '[') {
			if (!class_match(&p, *s))
				return false;
			s++;
		} else {
			if (*p != *s)
				return false;
			p++;
			s++;
		}
	}
	return !*s;
}

/* ---- tokens ------------------------------------------------------------- */

static int read_random(unsigned char *out, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return error("cannot open '/dev/urandom' for the token secret");
	while (got < n) {
		ssize_t r = read(fd, out + got, n - got);

		if (r <= 0) {
			close(fd);
			return error("cannot read '/dev/urandom' for the token secret");
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

/* The HMAC key, made on first use. */
static int secret(struct store *st, unsigned char key[32])
{
	sqlite3_stmt *s = store_stmt(st, "SELECT secret FROM sub_secret WHERE id = 1");
	int found = 0;

	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
		memcpy(key, sqlite3_column_blob(s, 0), 32);
		found = 1;
	}
	sqlite3_reset(s);
	if (found)
		return 0;
	if (read_random(key, 32))
		return -1;
	s = store_stmt(st, "INSERT OR REPLACE INTO sub_secret VALUES (1, ?, ?)");
	if (!s)
		return -1;
	sqlite3_bind_blob(s, 1, key, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now_seconds());
	return store_done(st, s);
}

char *subs_token(struct store *st, const char *purpose, const char *data)
{
	unsigned char key[32], mac[32];
	char *msg, *hex;

	if (secret(st, key))
		return NULL;
	msg = xasprintf("%s\n%s", purpose, data);
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, sizeof(key), msg, strlen(msg),
			     mac) < 0) {
		free(msg);
		error("cannot compute a token: HMAC-SHA256 failed");
		return NULL;
	}
	free(msg);
	hex = xmalloc(33);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return hex;
}

/* ---- the store ---------------------------------------------------------- */

int subs_add(struct store *st, const char *addr, const char *path,
	     const char *func, int64_t source)
{
	char *data = xasprintf("%s\n%s\n%s", addr, path, func);
	char *token = subs_token(st, "unsubscribe", data);
	bool glob = is_glob(path);
	char *prefix = glob ? glob_prefix(path) : xstrdup(path);
	sqlite3_stmt *s;
	int r = -1;

	free(data);
	if (!token)
		goto out;
	s = store_stmt(st, "INSERT OR IGNORE INTO subscriptions (address, path, func,"
			   " glob, prefix, token, source_id, created)"
			   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (!s)
		goto out;
	store_bind_text(s, 1, addr);
	store_bind_text(s, 2, path);
	store_bind_text(s, 3, func);
	sqlite3_bind_int(s, 4, glob);
	store_bind_text(s, 5, prefix);
	store_bind_text(s, 6, token);
	if (source)
		sqlite3_bind_int64(s, 7, source);
	sqlite3_bind_int64(s, 8, now_seconds());
	if (!store_done(st, s))
		r = sqlite3_changes(st->db) > 0;
out:
	free(prefix);
	free(token);
	return r;
}

int subs_remove(struct store *st, const char *addr, const char *path,
		const char *func)
{
	sqlite3_stmt *s;

	if (path) {
		s = store_stmt(st, "DELETE FROM subscriptions WHERE address = ?"
				   " AND path = ? AND func = ?");
		if (!s)
			return -1;
		store_bind_text(s, 2, path);
		store_bind_text(s, 3, func ? func : "");
	} else {
		s = store_stmt(st, "DELETE FROM subscriptions WHERE address = ?");
		if (!s)
			return -1;
	}
	store_bind_text(s, 1, addr);
	if (store_done(st, s))
		return -1;
	return sqlite3_changes(st->db);
}

int subs_remove_token(struct store *st, const char *token, struct buf *what)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT id, address, path, func FROM subscriptions WHERE token = ?");
	int64_t id = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, token);
	if (sqlite3_step(s) == SQLITE_ROW) {
		char *spec = subs_spec((const char *)sqlite3_column_text(s, 2),
				       (const char *)sqlite3_column_text(s, 3));

		id = sqlite3_column_int64(s, 0);
		buf_addf(what, "%s from %s", (const char *)sqlite3_column_text(s, 1), spec);
		free(spec);
	}
	sqlite3_reset(s);
	if (!id)
		return 0;
	s = store_stmt(st, "DELETE FROM subscriptions WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return store_done(st, s) ? -1 : 1;
}

int64_t subs_count(struct store *st, const char *addr)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT count(*) FROM subscriptions WHERE address = ?");

	if (!s)
		return -1;
	store_bind_text(s, 1, addr);
	return store_int(st, s, -1);
}

int subs_each_path(struct store *st, int limit, subs_path_fn fn, void *payload)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT path, count(*), count(DISTINCT address), sum(func != '')"
		" FROM subscriptions GROUP BY path"
		" ORDER BY count(*) DESC, path LIMIT ?");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct subs_path p = {
			.path = (const char *)sqlite3_column_text(s, 0),
			.subscriptions = sqlite3_column_int64(s, 1),
			.addresses = sqlite3_column_int64(s, 2),
			.functions = sqlite3_column_int64(s, 3),
		};

		if (fn(&p, payload)) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_error(st, "cannot count subscriptions");
}

/* ---- matching ----------------------------------------------------------- */

/* One index lookup: the subscriptions filed under key. */
static int match_key(struct store *st, const char *key, const char *file,
		     subs_hit_fn fn, void *payload)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT id, address, path, func, token, glob FROM subscriptions"
		" WHERE prefix = ?");
	int r = 0, rc;

	if (!s)
		return -1;
	store_bind_text(s, 1, key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(s, 2);
		struct subs_hit h = {
			.id = sqlite3_column_int64(s, 0),
			.address = (const char *)sqlite3_column_text(s, 1),
			.path = path,
			.func = (const char *)sqlite3_column_text(s, 3),
			.token = (const char *)sqlite3_column_text(s, 4),
		};

		/* a plain path filed under key is key itself: it matches; a
		 * glob without "/" is for a name at any depth, as in gitignore */
		if (sqlite3_column_int(s, 5)) {
			const char *base = strrchr(file, '/');

			if (!subs_glob_match(path, strchr(path, '/') || !base ? file : base + 1))
				continue;
		}
		if ((r = fn(&h, payload)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_error(st, "cannot read subscriptions");
	sqlite3_reset(s);
	return r;
}

int subs_match_file(struct store *st, const char *file, subs_hit_fn fn,
		    void *payload)
{
	char *key = xstrdup(file);
	int r;

	/* the file, then each folder above it, then "" (globs like "*.c") */
	for (;;) {
		char *slash;

		if ((r = match_key(st, key, file, fn, payload)) || !*key)
			break;
		slash = strrchr(key, '/');
		*(slash ? slash : key) = '\0';
	}
	free(key);
	return r;
}
