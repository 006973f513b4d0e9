/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * source: where raw mail comes from, behind one small interface (after
 * isync's driver.h) so that ingest, tests and the IMAP listener share one
 * pipeline.  Backends here: mbox (mboxo and mboxrd), Maildir, a folder of
 * mail files, a single message file, standard input, a public-inbox v2
 * archive (git epochs, read with libgit2).
 */
#ifndef PATCHBOT_SOURCE_H
#define PATCHBOT_SOURCE_H

#include <stddef.h>

#include "buf.h"

struct mail_item {
	/* The message's bytes; owned by the source, valid until next(). */
	const char *raw;
	size_t len;
	/* Its real size: larger than len when it was cut at the size cap. */
	size_t full_size;
	/* Where it came from, e.g. "list.mbox:3" or "Maildir/cur/123". */
	const char *where;
};

struct mail_source {
	/* 1: *item is the next message; 0: no more; -1: error (err set). */
	int (*next)(struct mail_source *src, struct mail_item *item,
		    struct buf *err);
	void (*free)(struct mail_source *src);
	/* Bytes read so far and in all (0 when unknown), for progress. */
	size_t (*progress)(struct mail_source *src, size_t *total);
};

/*
 * Open path: "-" is standard input; a folder with cur/ and new/ is a
 * Maildir; a folder with git/0.git (git/1.git ...) is a public-inbox v2
 * inbox, read epoch by epoch; a bare git repository whose HEAD commit holds
 * a blob "m" (or "d") is one such epoch (commits oldest first, those
 * without "m" skipped); any other folder is walked for mail files; a file
 * is an mbox when it starts with a "From " line, else one message.
 * Messages longer than cap bytes are cut at cap (full_size tells their
 * length).
 */
struct mail_source *source_open(const char *path, size_t cap, struct buf *err);
/* An mbox read from an open stream (not closed by the source). */
struct mail_source *source_mbox_stream(void *stdio_file, const char *name,
				       size_t cap);

/* Is line (of len bytes, without the newline) an mbox "From " separator? */
int mbox_is_separator(const char *line, size_t len);

#endif
