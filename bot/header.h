/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * header: writing header fields of outgoing mail safely.  Values copied
 * from incoming mail never carry CR or LF into a header (no header
 * injection), are length-limited, and are RFC 2047-encoded when they are
 * not ASCII; long values are folded.
 */
#ifndef PATCHBOT_HEADER_H
#define PATCHBOT_HEADER_H

#include <stddef.h>

#include "buf.h"

/*
 * A copy of value fit for a header: control characters (CR, LF, NUL, ...)
 * become spaces, runs of white space collapse to one, trimmed, cut to at
 * most max bytes on a UTF-8 character boundary, invalid UTF-8 replaced.
 */
char *header_sanitize(const char *value, size_t max);

/*
 * Append "Name: value\n" to out (LF line ends: the SMTP sender turns them
 * into CRLF), the value sanitised, RFC 2047 (UTF-8, Q or B) encoded when
 * not ASCII, folded at 78 columns.  For unstructured fields (Subject, ...).
 * Returns 0, or -1 when out is full or name is not a field name; the
 * header reaches out whole or not at all.
 */
int header_add_text(struct buf *out, const char *name, const char *value);

/*
 * "Name: Display Name <addr>\n" with the name encoded/quoted as needed,
 * or "Name: addr\n" when display is empty or NULL.  addr should be checked
 * by the caller; one that fails header_addr_ok() is refused here too (-1,
 * logged, nothing appended).  Returns 0, or -1 as header_add_text().
 */
int header_add_address(struct buf *out, const char *name,
		       const char *display, const char *addr);

/* Is addr a plain addr-spec safe for a header or an SMTP command? */
int header_addr_ok(const char *addr);

#endif
