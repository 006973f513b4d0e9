/* SPDX-License-Identifier: GPL-2.0-or-later */
/* trailer: read trailers from commit messages and from review replies. */
#include "trailer.h"

#include <git2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "util.h"

/*
 * Keys we know, in their canonical spelling, so that "acked-by" and
 * "Acked-By" end up as one key.  review: a reviewer gives it in a reply;
 * a Signed-off-by in a reply is the author's, quoted or pasted, not a
 * review.
 */
static const struct {
	const char *key;
	bool review;
} known_keys[] = {
	{ "Signed-off-by", false },
	{ "Reviewed-by", true },
	{ "Acked-by", true },
	{ "Tested-by", true },
	{ "Nacked-by", true },
	{ "Reported-by", true },
	{ "Suggested-by", true },
	{ "Reviewed-and-tested-by", true },
	{ "Reported-and-tested-by", true },
	{ "Requested-by", false },
	{ "Co-developed-by", false },
	{ "Cc", false },
	{ "Fixes", false },
	{ "Link", false },
	{ "Closes", false },
	{ "Message-ID", false },
	{ "Change-Id", false },
};

static int find_key(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		if (strlen(known_keys[i].key) == len &&
		    !strncasecmp(known_keys[i].key, key, len))
			return (int)i;
	return -1;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/*
 * The value trimmed, with git's continuation lines joined by one space,
 * or NULL when it is empty, too long or holds control characters that
 * have no business in a header we might write it into.
 */
static char *clean_value(const char *v, size_t len)
{
	struct buf b = BUF_INIT(TRAILER_VALUE_MAX);

	while (len && is_space((unsigned char)*v))
		v++, len--;
	while (len && is_space((unsigned char)v[len - 1]))
		len--;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)v[i];

		if (is_space(c)) {
			size_t j = i;
			bool fold = false;

			while (j < len && is_space((unsigned char)v[j])) {
				if (v[j] == '\n' || v[j] == '\r')
					fold = true;
				j++;
			}
			if (fold ? buf_addch(&b, ' ')
				 : buf_add(&b, v + i, j - i))
				goto fail;
			i = j;
			continue;
		}
		if (c < 0x20 || c == 0x7f || buf_addch(&b, c))
			goto fail;
		i++;
	}
	if (!b.len)
		goto fail;
	return buf_detach(&b, NULL);
fail:
	buf_release(&b);
	return NULL;
}

static bool has_trailer(const struct trailer_list *l, const char *key,
			const char *value)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i].key, key) &&
		    !strcmp(l->items[i].value, value))
			return true;
	return false;
}

/* Takes ownership of value. */
static void add_trailer(struct trailer_list *l, const char *key, char *value)
{
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr].key = xstrdup(key);
	l->items[l->nr].value = value;
	l->nr++;
}

int trailers_from_changelog(const char *msg, struct trailer_list *out)
{
	git_message_trailer_array arr = { 0 };
	int added = 0;

	if (git_message_trailers(&arr, msg ? msg : "")) {
		const git_error *e = git_error_last();

		return error("cannot read the trailers of a commit message: %s",
			     e && e->message ? e->message : "unknown error");
	}
	for (size_t i = 0; i < arr.count && out->nr < TRAILER_MAX; i++) {
		const char *key = arr.trailers[i].key;
		const char *v = arr.trailers[i].value;
		char *value = clean_value(v, strlen(v));
		int k = find_key(key, strlen(key));
		char *own_key;

		if (!value)
			continue;
		if (k >= 0) {
			add_trailer(out, known_keys[k].key, value);
		} else {
			/* Unknown keys are kept as written, but header-safe. */
			own_key = clean_value(key, strlen(key));
			if (!own_key) {
				free(value);
				continue;
			}
			add_trailer(out, own_key, value);
			free(own_key);
		}
		added++;
	}
	git_message_trailer_array_free(&arr);
	return added;
}

static bool line_is(const char *p, size_t len, const char *s)
{
	return len == strlen(s) && !strncasecmp(p, s, len);
}

/*
 * Is the line a review trailer?  Returns the index in known_keys and sets
 * *value to a fresh copy of the value.
 */
static int review_trailer(const char *p, size_t len, char **value)
{
	const char *key, *end = p + len;
	size_t klen;
	int k;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	key = p;
	while (p < end && *p != ':' && !is_space((unsigned char)*p))
		p++;
	klen = (size_t)(p - key);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != ':')
		return -1;
	k = find_key(key, klen);
	if (k < 0 || !known_keys[k].review)
		return -1;
	p++;
	/* An address: "Reviewed-by: me" or "Acked-by: (below)" don't count. */
	len = (size_t)(end - p);
	if (!memchr(p, '@', len) && !memchr(p, '<', len))
		return -1;
	*value = clean_value(p, len);
	return *value ? k : -1;
}

int trailers_from_reply(const char *body, struct trailer_list *out)
{
	const char *p = body ? body : "";
	int added = 0;

	while (*p && out->nr < TRAILER_MAX) {
		const char *eol = strchrnul(p, '\n');
		const char *next = *eol ? eol + 1 : eol;
		size_t len = (size_t)(eol - p);
		const char *s = p;
		char *value;
		int k;

		if (len && p[len - 1] == '\r')
			len--;
		if (line_is(p, len, "-- ") || line_is(p, len, "--"))
			break;
		while (s < p + len && (*s == ' ' || *s == '\t'))
			s++;
		/*
		 * Outlook top-posts without quoting the original, which may
		 * carry someone else's trailers.  "On ... wrote:" needs no
		 * rule: what follows it is quoted, and an inline reply puts
		 * its trailers after such a line.
		 */
		if (line_is(s, (size_t)(p + len - s),
			    "-----Original Message-----"))
			break;
		if (*s != '>' && (k = review_trailer(p, len, &value)) >= 0) {
			if (has_trailer(out, known_keys[k].key, value)) {
				free(value);
			} else {
				add_trailer(out, known_keys[k].key, value);
				added++;
			}
		}
		p = next;
	}
	return added;
}

void trailer_list_release(struct trailer_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}
