/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * feedback: when a series version is complete, read it as a maintainer
 * would and, when something is missing, write to the submitter once: one
 * mail per version, a reply to the cover letter (or the first patch),
 * collecting every finding, each from its own template under
 * templates/feedback/.  The checks (each switched by a feedback.* key):
 *
 *   effect       a fix that does not say what a user sees
 *   security     a fix that does not say who can trigger the bug
 *   maintainers  MAINTAINERS entries missing from To/Cc (they get a Cc)
 *   too-soon     vN+1 while vN was still discussed
 *   route        files that go through another tree (feedback.route)
 *   signoff      no Signed-off-by from the patch's author
 *
 * The mail goes to the outbox in the caller's transaction, under a
 * Message-ID derived from the mail it answers, so a rerun never sends
 * two.  Nothing is sent when nothing is missing.
 */
#ifndef PATCHBOT_FEEDBACK_H
#define PATCHBOT_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "store.h"
#include "template.h"

/* The effect request has this many wordings, effect-1.txt ... */
#define FEEDBACK_EFFECT_VARIANTS 6

#define FEEDBACK_DCO_URL "https://developercertificate.org/"

/*
 * A version has just become complete: check it and queue the feedback
 * mail.  Does nothing when cfg is NULL, feedback.enable is off, the bot
 * has no address, the series is quiet, or the version had feedback.
 * Returns 0, or -1 on a database error.
 */
int feedback_check_version(struct store *st, const struct config *cfg,
			   int64_t version_id);

/*
 * Check version_id again and queue a new feedback mail, named after the
 * mail that asked (cause_msgid, messages.id cause_row), even when one was
 * sent before.  *sent says whether anything was missing (0 when not).
 * Returns 0, or -1 on a database error.
 */
int feedback_send_again(struct store *st, const struct config *cfg,
			int64_t version_id, const char *cause_msgid,
			int64_t cause_row, bool *sent);

/* Silence (quiet true) or allow feedback for a series.  0 or -1. */
int feedback_set_quiet(struct store *st, int64_t series_id, const char *by,
		       bool quiet);
/* 1 quiet, 0 not, -1 database error. */
int feedback_is_quiet(struct store *st, int64_t series_id);

/* The schemas of the shipped templates (listed in commands/dispatch.c). */
extern const struct tschema feedback_mail_schema[];
extern const struct tschema feedback_patches_schema[];
extern const struct tschema feedback_maintainers_schema[];
extern const struct tschema feedback_too_soon_schema[];
extern const struct tschema feedback_route_schema[];
extern const struct tschema feedback_signoff_schema[];

#endif
