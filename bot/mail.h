/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mail: turn the raw bytes of one RFC 5322 message into decoded UTF-8 text
 * and the header values the rest of patchbot needs.  Uses libetpan for
 * header, address and MIME parsing, transfer decoding and charset
 * conversion.  Every mail is hostile: limits are checked before libetpan
 * sees the bytes, and nothing here crashes or aborts on bad input.
 */
#ifndef PATCHBOT_MAIL_H
#define PATCHBOT_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct mail_address {
	char *name;  /* decoded display name, UTF-8, may be "" */
	char *email; /* addr-spec as written (local@domain), never NULL */
};

struct mail_header {
	char *name;  /* as written, e.g. "Authentication-Results" */
	char *value; /* unfolded, RFC 2047 decoded to UTF-8, trimmed */
};

struct mail_limits {
	size_t max_size;      /* bytes of the raw message (default 10 MiB) */
	unsigned max_depth;   /* MIME nesting depth (default 32) */
	unsigned max_parts;   /* MIME parts in all (default 1000) */
	size_t max_headers;   /* header fields (default 1000) */
	size_t max_field;     /* bytes of one header field, folded (64 KiB) */
};
#define MAIL_LIMITS_DEFAULT \
	{ .max_size = 10u << 20, .max_depth = 32, .max_parts = 1000, \
	  .max_headers = 1000, .max_field = 64u << 10 }

struct mail {
	/* All header fields in order, decoded (for later lookups). */
	struct mail_header *headers;
	size_t nr_headers;

	char *message_id;      /* without <>; never NULL after mail_parse */
	int message_id_synthetic; /* 1 when made from a hash of the bytes */
	char *in_reply_to;     /* first msg-id of In-Reply-To, or NULL */
	char **references;     /* References msg-ids, oldest first */
	size_t nr_references;

	char *subject;         /* decoded, unfolded; "" when missing */
	struct mail_address from; /* email "" when missing or unparsable */
	struct mail_address *to;
	size_t nr_to;
	struct mail_address *cc;
	size_t nr_cc;
	int64_t date;          /* seconds since epoch (UTC); 0 when missing/bad */
	int date_tz;           /* the Date header's offset from UTC, in minutes */

	char *content_type;    /* top-level, lowercased "type/subtype" */
	/*
	 * The text of the mail in UTF-8: the text/plain parts in order (or
	 * text/html converted to text when there is no plain part), with
	 * inline patches included, as a reader would see them.
	 */
	char *body;
	size_t body_len;
	/*
	 * Text of text/x-patch, text/x-diff (and attached .patch or .diff)
	 * parts, concatenated in order; NULL when there are none.
	 */
	char *attached_patch;
	int format_flowed;     /* the body part was format=flowed */
	int html_only;         /* the body was converted from HTML */
	size_t size;           /* raw size in bytes */
};

/*
 * Parse raw bytes into m (which is zeroed first).  Returns 0 on success.
 * Returns -1 and writes a one-line reason (lowercase, no full stop) into
 * err when the mail is over a limit or cannot be parsed at all; m is then
 * released.  A mail with a bogus charset, broken base64, a bad Date or a
 * missing Message-ID is NOT an error: it falls back and succeeds.  A
 * leading mbox "From " line is skipped (and not hashed into a synthetic id).
 */
int mail_parse(struct mail *m, const char *raw, size_t len,
	       const struct mail_limits *lim, struct buf *err);
void mail_release(struct mail *m);

/* An RFC 5322 date to UTC seconds and its offset in minutes (*tz); 0 when
 * it is not a date we believe (also for an in-body "Date:" line). */
int64_t mail_parse_date(const char *value, int *tz);

/* First header named name (case-insensitive), or NULL. */
const char *mail_header(const struct mail *m, const char *name);
/*
 * The next header named name (case-insensitive) at index *pos or later,
 * with *pos moved past it; NULL when there is none.  Start with *pos = 0.
 */
const struct mail_header *mail_header_next(const struct mail *m,
					   const char *name, size_t *pos);

#endif
