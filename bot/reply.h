/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reply: compose a mail patchbot sends in answer to another: threaded
 * (In-Reply-To, References), marked automatic (Auto-Submitted, X-Loop),
 * with a Message-ID derived from the mail it answers so that a retry can
 * never produce a second, different reply.  Every value taken from the
 * incoming mail goes through header.c (no CR/LF, encoded when not ASCII).
 */
#ifndef PATCHBOT_REPLY_H
#define PATCHBOT_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "util.h"

struct reply {
	const char *from_name;    /* the bot */
	const char *from_addr;
	const char *to_name;
	const char *to_addr;
	const struct strlist *cc; /* addresses, may be NULL */
	const char *subject;      /* of the mail answered; "Re: " is added */
	const char *in_reply_to;  /* its Message-ID, without <> */
	char *const *references;  /* its References, oldest first */
	size_t nr_references;
	const char *message_id;   /* of this reply, without <> */
	int64_t date;
	const char *body;         /* UTF-8 text, LF line ends */
};

/* The whole mail into out.  -1 with err set when an address is unsafe. */
int reply_compose(const struct reply *r, struct buf *out, struct buf *err);

/* A Message-ID for the reply of kind to cause_msgid: "<kind>.<hash>@<domain
 * of bot_addr>", the same every time for the same inputs.  New string. */
char *reply_message_id(const char *kind, const char *cause_msgid,
		       const char *bot_addr);

/* "Re: subject" without stacking prefixes; new string. */
char *reply_subject(const char *subject);

#endif
