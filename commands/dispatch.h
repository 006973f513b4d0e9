/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dispatch: run the commands in one incoming mail and write the transcript
 * reply to the outbox, inside the transaction that stores the mail.
 */
#ifndef PATCHBOT_DISPATCH_H
#define PATCHBOT_DISPATCH_H

#include <stdint.h>

#include "config.h"
#include "mail.h"
#include "store.h"
#include "template.h"

struct dispatch_stats {
	size_t commands;     /* command lines run */
	size_t replies;      /* transcripts queued */
	size_t suppressed;   /* replies not sent: rate limit */
	size_t ignored;      /* mails with commands not answered (automatic) */
};

/*
 * Find and run the commands of m (stored as messages.id row, in the thread
 * of version thread_version or 0).  Returns 0 (also when there were none),
 * -1 on a database error.
 */
int dispatch_mail(struct store *st, const struct config *cfg,
		  const struct mail *m, int64_t row, int64_t thread_version,
		  struct dispatch_stats *stats);

/*
 * Why patchbot must not answer m (automatic mail, a bounce, its own mail,
 * a loop), as a phrase; NULL when it may.
 */
const char *dispatch_never_answer(const struct mail *m, const struct config *cfg);

/* Every template patchbot ships, with the schema it is rendered with. */
struct shipped_template {
	const char *name;
	const struct tschema *schema;
};
extern const struct shipped_template shipped_templates[];

#endif
