/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * feedback_int: what feedback.c (the checks) and feedback_mail.c (the
 * mail around their findings) share; not for other files.
 */
#ifndef PATCHBOT_FEEDBACK_INT_H
#define PATCHBOT_FEEDBACK_INT_H

#include <stdint.h>

#include "config.h"
#include "store.h"
#include "util.h"

/* Bounds: patches read from one version, files listed per route. */
#define MAX_PATCHES 1000
#define MAX_ROUTE_FILES 5

struct fb_patch {
	int n, total;
	int64_t id;
	char *title, *changelog, *diff, *author_name, *author_addr;
};

/* One version, read once; the checks only look at this. */
struct fb {
	struct store *st;
	const struct config *cfg;
	int64_t id, series_id, date;
	int version, label;
	char *title, *author_name, *author_email;
	char *anchor_id, *anchor_subject, *anchor_refs;
	struct fb_patch *p;
	size_t nr, alloc;
	struct strlist posted;  /* every address in From/To/Cc of the posting */
	/* what was found */
	struct strlist checks;  /* check names, in order */
	struct strlist texts;   /* each finding rendered */
	struct strlist cc;      /* missing addresses the mail Cc's */
	int variant;            /* effect wording used (from 1), 0 when none */
	char *templates;        /* bot.templates/feedback */
};

/*
 * Render mail.txt around f's findings and add the mail to the outbox,
 * with a Message-ID derived from seed, and record it in feedback_sent.
 * A mail that cannot be rendered or composed is logged and skipped.
 * Returns 0, or -1 on a database error.
 */
int feedback_mail_send(struct fb *f, const char *seed, int64_t cause_row);

#endif
