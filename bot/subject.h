/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * subject: read the tags of a patch mail's Subject, as maintainers write
 * them: "[PATCH v4 3/7]", "[PATCH RFC net-next v2 00/10]", "[PATCHv3]",
 * "[PATCH 1 of 2]", "[RFC PATCH]", "[PATCH RESEND]", "[net,v2,1/2]",
 * behind any number of "Re:", "Aw:", "Fwd:" prefixes.
 */
#ifndef PATCHBOT_SUBJECT_H
#define PATCHBOT_SUBJECT_H

#include <stdbool.h>

struct subject_info {
	int version;          /* from vN / VN / PATCHvN; 1 when not given */
	bool version_given;   /* a version tag was present */
	int n, total;         /* n/N or "n of N"; 0, 0 when absent */
	bool is_patch;        /* a [PATCH...] (or [Patch], [RFC], [net,...]) tag */
	bool rfc, resend;
	bool reply;           /* Re:/Aw:/Sv:/Antw:... prefix */
	bool forward;         /* Fwd:/Fw:/WG: prefix */
	char *tags;           /* other tags, space-separated ("net-next"), "" if none */
	char *title;          /* subject without prefixes and bracketed tags */
	char *normalized;     /* title lowercased, white space collapsed, for matching */
};

/* Never fails on any input; subject may be NULL (treated as ""). */
void subject_parse(const char *subject, struct subject_info *out);
void subject_info_release(struct subject_info *si);

#endif
