/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * subs: subscriptions to files, directories, globs and C functions; their
 * confirmation round trip and one-click unsubscribe tokens; and finding the
 * subscriptions a touched path matches.
 *
 * A subscription belongs to one address.  Tokens are HMAC-SHA256 (GnuTLS)
 * over what they authorise, keyed with a secret that is made from
 * /dev/urandom on first use and kept in the store.  Subscriptions are
 * indexed by path in sqlite: a path pattern by itself, a glob by its
 * literal folder prefix, so that matching one file costs one index lookup
 * per folder level, however many subscriptions there are to other paths.
 */
#ifndef PATCHBOT_SUBS_H
#define PATCHBOT_SUBS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "mail.h"
#include "store.h"

/* Longest path pattern and function pattern accepted. */
#define SUBS_MAX_PATH 255
#define SUBS_MAX_FUNC 128

/*
 * Split and check "PATH[:FUNCTION]": no white space or control
 * characters, no "..", a function made of C name characters and glob
 * characters.  The path is normalised: no leading "./" or "/", no
 * trailing "/" ("mm/" and "mm" both mean mm and everything below).  Sets
 * new strings (*func "" when none); -1 with a reason in err.
 */
int subs_parse_spec(const char *spec, char **path, char **func, struct buf *err);
/* "path" or "path:func", a new string. */
char *subs_spec(const char *path, const char *func);

/*
 * Does glob pat match s?  "*" and "?" stay within a path component, "**"
 * crosses them (and "**" followed by "/" matches no folder too), "[...]"
 * is a class of characters.  (Matching a file, a glob without "/" is
 * tried on the file's name alone, as gitignore does: "*.h" is every header.)
 */
bool subs_glob_match(const char *pat, const char *s);

/* ---- tokens ------------------------------------------------------------- */

/* A 32-hex-digit token: HMAC-SHA256(secret, purpose "\n" data), cut to
 * 128 bits.  New string, or NULL on a database or random source error. */
char *subs_token(struct store *st, const char *purpose, const char *data);

/* ---- the store ---------------------------------------------------------- */

/* Add a subscription: 1 added, 0 there already, -1 error. */
int subs_add(struct store *st, const char *addr, const char *path,
	     const char *func, int64_t source);
/* Remove one (func "" for a path-only one), or all of addr's when path
 * is NULL: how many went, or -1. */
int subs_remove(struct store *st, const char *addr, const char *path,
		const char *func);
/* Remove the subscription with this unsubscribe token: 1, 0 none, -1. */
int subs_remove_token(struct store *st, const char *token, struct buf *what);
/* How many subscriptions addr has, or -1. */
int64_t subs_count(struct store *st, const char *addr);

/* Subscriptions counted by path pattern (the status page). */
struct subs_path {
	const char *path;
	int64_t subscriptions;  /* to the path, or to functions in it */
	int64_t addresses;      /* distinct subscribers */
	int64_t functions;      /* how many of them name a function */
};
typedef int (*subs_path_fn)(const struct subs_path *p, void *payload);
/* The limit most subscribed paths, most first; fn returns 0 to go on,
 * -1 to stop (returned).  0, or -1 on a database error. */
int subs_each_path(struct store *st, int limit, subs_path_fn fn, void *payload);

/* ---- matching ----------------------------------------------------------- */

struct subs_hit {
	int64_t id;
	const char *address, *path, *func, *token;
};
/* Called for each subscription whose path part matches file; returns 0 to
 * go on, -1 to stop (returned by subs_match_file). */
typedef int (*subs_hit_fn)(const struct subs_hit *hit, void *payload);
int subs_match_file(struct store *st, const char *file, subs_hit_fn fn,
		    void *payload);

/* ---- the confirmation round trip ---------------------------------------- */

/*
 * Ask sender (not authenticated) to confirm subscribing to path:func, for
 * the command mail m stored as row msg_row.  The requests of one mail share
 * one confirmation mail, rewritten as they come.  0 with what happened in
 * out, -1 with a reason in out (a limit), -2 on a database error.
 */
int subs_request(struct store *st, const struct config *cfg,
		 const struct mail *m, int64_t msg_row, const char *sender,
		 const char *path, const char *func, struct buf *out);

/*
 * Mail that is not a command: a reply to a confirmation (by In-Reply-To,
 * References or the bot+confirm-TOKEN address) starts the subscriptions it
 * asked for; mail to bot+unsubscribe-TOKEN ends that subscription.  Called
 * by the dispatcher before it looks for commands.  Returns 1 when m was
 * such a mail, 0 when not, -1 on a database error.
 */
int subs_handle_mail(struct store *st, const struct config *cfg,
		     const struct mail *m, int64_t msg_row);

/* ---- notices (subnotice.c) ---------------------------------------------- */

/* A series version became complete: one notice per subscriber whose
 * subscriptions its patches touch.  0, or -1 on a database error. */
int subs_version_complete(struct store *st, const struct config *cfg,
			  int64_t version_id);

/* Match one patch's diff against every subscription (pre-images from
 * cfg's tree): *hits says how many (subscription, patch) pairs.  For the
 * benchmark; 0 or -1. */
int subs_match_diff(struct store *st, const struct config *cfg,
		    const char *diff, size_t *hits);

#endif
