/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trailer: the "Key: value" lines of the kernel's patch process
 * (Signed-off-by, Reviewed-by, Acked-by, Tested-by, Reported-by,
 * Suggested-by, Co-developed-by, Fixes, Link, Closes, Cc, ...).
 */
#ifndef PATCHBOT_TRAILER_H
#define PATCHBOT_TRAILER_H

#include <stddef.h>

struct trailer {
	char *key;   /* canonical spelling, e.g. "Reviewed-by" */
	char *value; /* trimmed, e.g. "Jane Doe <jane@example.org>" */
};

struct trailer_list {
	struct trailer *items;
	size_t nr, alloc;
};

#define TRAILER_LIST_INIT { .items = NULL, .nr = 0, .alloc = 0 }

/* Limits against hostile mail: trailers in one list, bytes in a value. */
#define TRAILER_MAX 100
#define TRAILER_VALUE_MAX 500

/*
 * Both readers append to out, which must be initialised (TRAILER_LIST_INIT);
 * they return the number of trailers added, or -1 on error.  Values longer
 * than TRAILER_VALUE_MAX are dropped, not cut, and nothing is added once the
 * list holds TRAILER_MAX.  msg and body may be NULL.
 *
 * Trailers of a patch's changelog (the commit message): its last paragraph
 * of "Key: value" lines, as git interprets them.
 */
int trailers_from_changelog(const char *msg, struct trailer_list *out);
/*
 * Trailers given in a review reply: known trailer keys on unquoted lines
 * (not after a "-- " signature separator, not in "> " quotes) anywhere in
 * the text, as a reviewer writes "Reviewed-by: ..." under the quote.
 * Only the keys a reviewer gives count (not Signed-off-by), the value must
 * hold an address ('@' or '<'), and a (key, value) pair already in out is
 * not added again.
 */
int trailers_from_reply(const char *body, struct trailer_list *out);
void trailer_list_release(struct trailer_list *l);

#endif
