/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * buf: the one growable byte buffer, with a size cap because mail is hostile.
 *
 * Modelled on git's strbuf and curl's dynbuf: b->s is never NULL and always
 * NUL-terminated; the caller owns the buffer; buf_detach() is the only way
 * to take ownership of the bytes.  Every append fails (returns -1, leaves
 * the buffer as it was) when it would take the length past b->max.
 */
#ifndef PATCHBOT_BUF_H
#define PATCHBOT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *s;
	size_t len;
	size_t alloc;
	size_t max;
};

extern char buf_empty[];
#define BUF_INIT(cap) { .s = buf_empty, .len = 0, .alloc = 0, .max = (cap) }
#define BUF_NOLIMIT ((size_t)-1 / 2)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
/* Ownership of the bytes passes to the caller; b is re-initialised. */
char *buf_detach(struct buf *b, size_t *len);

int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, int c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Shorten to len (len <= b->len). */
void buf_setlen(struct buf *b, size_t len);
/* Remove trailing white space. */
void buf_rtrim(struct buf *b);

#endif
