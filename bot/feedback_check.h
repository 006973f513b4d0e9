/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * feedback_check: reading a patch's changelog the way a maintainer does,
 * without a database: is it a fix, does it say what a user sees, does it
 * say who can trigger the bug, did the author sign it off; and the
 * routing rules of feedback.route.  Heuristics on words, kept here so that
 * the table of real-world changelogs in tests/test_feedback.c pins them.
 */
#ifndef PATCHBOT_FEEDBACK_CHECK_H
#define PATCHBOT_FEEDBACK_CHECK_H

#include <stdbool.h>

#include "buf.h"
#include "util.h"

struct changelog_facts {
	bool fix;        /* Fixes:, Cc: stable, Reported-by/Closes, "fix" */
	bool effect;     /* says what a user sees: crash, leak, slowdown... */
	bool perf_only;  /* the effect it names is about speed only */
	bool build_fix;  /* it fixes the build, not the running kernel */
	bool security;   /* says who can trigger it (user space, privileges) */
};

/*
 * Read title (the subject without its [PATCH] tags) and changelog (the
 * text before "---", trailers included) into f.  Either may be NULL.
 */
void changelog_read(const char *title, const char *changelog,
		    struct changelog_facts *f);

/* Does the fix need check 1 (no user-visible effect named)? */
bool changelog_wants_effect(const struct changelog_facts *f);
/* Does the fix need check 2 (nothing said about who can trigger it)? */
bool changelog_wants_security(const struct changelog_facts *f);

/*
 * The author of a patch: an in-body "From: Name <addr>" at the top of the
 * changelog, else the mail's sender (from_name, from_addr).  New strings.
 */
void changelog_author(const char *changelog, const char *from_name,
		      const char *from_addr, char **name, char **addr);

/*
 * Is there a "Signed-off-by:" for the author (the same address, or the
 * same name) anywhere in the changelog?
 */
bool changelog_signed_by(const char *changelog, const char *name,
			 const char *addr);

/*
 * Does a reply ask for a new version ("please resend", "send a v3",
 * "respin", "new version")?  Quoted lines do not count.
 */
bool reply_asks_resend(const char *body);

/*
 * A routing rule, written "PATTERN... | TEXT" in feedback.route: when a
 * series touches a file one of the patterns covers, the feedback says
 * TEXT.  A pattern with a '/' is a MAINTAINERS F: glob ("rust/" is the
 * directory and all below it); one without is matched against the file's
 * name in any directory ("*.rs", "Kconfig").
 */
struct feedback_route {
	struct strlist patterns;
	char *text;
};

/* 0, or -1 with err set ("route 'x' has no '|' before its text"). */
int feedback_route_parse(const char *spec, struct feedback_route *r,
			 struct buf *err);
void feedback_route_release(struct feedback_route *r);
bool feedback_route_match(const struct feedback_route *r, const char *path);

#endif
