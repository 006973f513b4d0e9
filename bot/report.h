/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report: the status page, static HTML for a web server to serve (no
 * JavaScript, no external resources, readable on a phone): each queue
 * branch with its series, the series waiting to be queued, recent
 * activity and subscription counts.  `patchbot report --html DIR` writes
 * it; with report.htmlDir set, the daemon rewrites it after each change.
 * Everything that came from mail is HTML-escaped by html_escape().
 */
#ifndef PATCHBOT_REPORT_H
#define PATCHBOT_REPORT_H

#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "store.h"

/* The file report_write() writes in its folder. */
#define REPORT_INDEX "index.html"

/*
 * Append s to out as HTML text, fit for element content and quoted
 * attribute values: & < > " ' become character references; a byte that
 * does not start well-formed UTF-8 and a control character (but tab,
 * newline) become U+FFFD.  0, or -1 when out is full.
 */
int html_escape(struct buf *out, const char *s);

/*
 * The page, as of now (ages are measured from it); base is the hex id of
 * tree.base, or NULL when unknown.  0, or -1 on a database error (logged).
 */
int report_render(struct store *st, const struct config *cfg, const char *base,
		  int64_t now, struct buf *out);

/*
 * Render the page and replace DIR/index.html with it atomically (a
 * temporary file in DIR, then rename), creating DIR when missing.  0, or
 * -1 with the reason in err.
 */
int report_write(struct store *st, const struct config *cfg, const char *dir,
		 struct buf *err);

/*
 * A fingerprint of the state the page shows (queue, series, trailers,
 * feedback, subscriptions): when it did not change, neither did the page
 * (but for its ages).  A new string, or NULL on a database error.
 */
char *report_stamp(struct store *st);

#endif
