/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth: is the From address of a mail authenticated by a server we trust?
 *
 * Anyone can write a From header, and anyone can add Authentication-Results
 * headers before the mail reaches our server.  Only the topmost
 * Authentication-Results header counts, and only when its authserv-id is
 * the configured trusted one; it must show dkim=pass with a header.d that
 * aligns with the From domain, or dmarc=pass for the From domain.
 */
#ifndef PATCHBOT_AUTH_H
#define PATCHBOT_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "mail.h"

/* One parsed Authentication-Results header (RFC 8601). */
struct authres_result {
	char *method;   /* lowercased: "dkim", "dmarc", "spf", ... */
	char *result;   /* lowercased: "pass", "fail", "none", ... */
	char *header_d; /* header.d (dkim), lowercased, or NULL */
	char *header_i; /* header.i (dkim), or NULL */
	char *header_from; /* header.from (dmarc), lowercased, or NULL */
};
struct authres {
	char *authserv_id; /* lowercased */
	struct authres_result *results;
	size_t nr, alloc;
};

/* Parse one header value; 0, or -1 (with out released) when malformed.
 * Comments in parentheses are ignored; values may be quoted.  Bounded:
 * values over 4 KiB and more than 64 results are refused. */
int authres_parse(const char *value, struct authres *out);
void authres_release(struct authres *a);

/*
 * 1 when m's From is authenticated by trusted_authserv_id, 0 when not
 * (why says, in a sentence fit for the log, what was missing).
 */
int auth_from_is_authenticated(const struct mail *m,
			       const char *trusted_authserv_id,
			       struct buf *why);

/* Does DKIM domain d align (relaxed) with the From domain? */
bool auth_domain_aligns(const char *d, const char *from_domain);

#endif
