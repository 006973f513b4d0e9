/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util: allocation wrappers and small string helpers shared by every file.
 *
 * The x* allocators abort only when memory is exhausted (as git's do); bad
 * input never reaches an abort.
 */
#ifndef PATCHBOT_UTIL_H
#define PATCHBOT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow array p (of *alloc elements) so that it holds at least nr elements. */
#define ALLOC_GROW(p, nr, alloc)                                               \
	do {                                                                   \
		if ((nr) > (alloc)) {                                          \
			(alloc) = (alloc) < 8 ? 8 : (alloc) * 2;               \
			if ((alloc) < (nr))                                    \
				(alloc) = (nr);                                \
			(p) = xrealloc((p), (alloc) * sizeof(*(p)));           \
		}                                                              \
	} while (0)

/* A growable list of owned strings. */
struct strlist {
	char **v;
	size_t nr, alloc;
};
void strlist_push(struct strlist *l, const char *s);
void strlist_clear(struct strlist *l);
bool strlist_has_icase(const struct strlist *l, const char *s);

bool starts_with(const char *s, const char *prefix);
bool starts_with_icase(const char *s, const char *prefix);
/* Lower-case ASCII letters in place; returns s. */
char *str_lower(char *s);
/* Copy of s[0..n) with leading and trailing white space removed. */
char *str_trim_dup(const char *s, size_t n);
/* Does the string hold a CR or LF (unsafe in a header)? */
bool has_crlf(const char *s);

/*
 * Normalise a Message-ID as found in a header: the first <...> group without
 * the angle brackets, or the trimmed value when there are none.  Returns a
 * new string, or NULL when nothing usable is there.
 */
char *msgid_normalize(const char *value);

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left), or 0 when
 * it is not one; its code point in *cp (may be NULL).
 */
size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* Hex-encoded git blob hash of the bytes (stable, used for synthetic ids). */
void hash_hex(const void *p, size_t n, char out[41]);

/* Seconds since the epoch, now. */
int64_t now_seconds(void);

#endif
