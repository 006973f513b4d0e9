/* SPDX-License-Identifier: GPL-2.0-or-later */
/* header: sanitise, RFC 2047-encode and fold fields of outgoing mail. */
#include "header.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/*
 * A line may hold 998 bytes (RFC 5322 2.1.1); 900 bytes of value leave
 * room for any name we write.  Display names are shorter in real life.
 */
#define HEADER_TEXT_MAX 900
#define HEADER_DISPLAY_MAX 256
/* Fold at 78 columns; a line with an encoded-word at 76 (RFC 2047 2). */
#define LINE_MAX_TEXT 78
#define LINE_MAX_ENCODED 76
#define ENCODED_WORD_MAX 75
/* "=?UTF-8?Q?" and "?=" */
#define ENCODED_WORD_OVERHEAD 12

static const char replacement_char[] = "\xef\xbf\xbd";

/*
 * White space and controls, which all become one space.  C1 controls and
 * U+2028/U+2029 count too: some readers break lines at them, which would
 * let a value look like two header lines on screen.
 */
static int is_blank(const unsigned char *p, size_t k)
{
	if (k == 1)
		return p[0] <= ' ' || p[0] == 0x7f;
	if (k == 2)
		return p[0] == 0xc2 && p[1] < 0xa0;
	if (k == 3)
		return p[0] == 0xe2 && p[1] == 0x80 &&
		       (p[2] == 0xa8 || p[2] == 0xa9);
	return 0;
}

char *header_sanitize(const char *value, size_t max)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	const unsigned char *p = (const unsigned char *)(value ? value : "");
	size_t n = strlen((const char *)p), i = 0;
	int space = 0;

	while (i < n) {
		size_t k = utf8_seq(p + i, n - i, NULL);
		const char *ch = (const char *)p + i;
		size_t chlen = k;

		if (!k) {
			ch = replacement_char;
			chlen = sizeof(replacement_char) - 1;
			k = 1;
		} else if (is_blank(p + i, k)) {
			/* only between two characters: trims both ends */
			space = b.len > 0;
			i += k;
			continue;
		}
		if (b.len + (size_t)space + chlen > max)
			break;
		if (space)
			buf_addch(&b, ' ');
		buf_add(&b, ch, chlen);
		space = 0;
		i += k;
	}
	return buf_detach(&b, NULL);
}

/* A header being written: out, and the column the last line reached. */
struct folder {
	struct buf *out;
	size_t col;
	int has_token; /* the current line holds more than the name */
};

/*
 * Add " token", first folding ("\n ") when it would run past limit and
 * the line already has something; a token too long for any line goes
 * where it is, since there is nowhere better.
 */
static void put_token(struct folder *f, const char *tok, size_t len,
		      size_t limit)
{
	if (f->has_token && f->col + 1 + len > limit) {
		buf_addch(f->out, '\n');
		f->col = 0;
	}
	buf_addch(f->out, ' ');
	buf_add(f->out, tok, len);
	f->col += 1 + len;
	f->has_token = 1;
}

/* The space-separated words of a sanitised ASCII value. */
static void put_words(struct folder *f, const char *s, size_t limit)
{
	while (*s) {
		size_t len = strcspn(s, " ");

		put_token(f, s, len, limit);
		s += len;
		s += strspn(s, " ");
	}
}

/*
 * Characters a Q-encoded word may carry as themselves.  In a phrase
 * (display names) RFC 2047 5(3) allows only letters, digits and "!*+-/";
 * in unstructured text any printable ASCII but "=?_" (4.2).
 */
static int q_literal(unsigned char c, int phrase)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	if (phrase)
		return c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
	return c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_';
}

static size_t q_cost(unsigned char c, int phrase)
{
	return c == ' ' || q_literal(c, phrase) ? 1 : 3;
}

static size_t b_cost(size_t n)
{
	return (n + 2) / 3 * 4;
}

static void q_encode(struct buf *b, const unsigned char *s, size_t n,
		     int phrase)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ') {
			buf_addch(b, '_');
		} else if (q_literal(s[i], phrase)) {
			buf_addch(b, s[i]);
		} else {
			buf_addch(b, '=');
			buf_addch(b, hex[s[i] >> 4]);
			buf_addch(b, hex[s[i] & 0xf]);
		}
	}
}

static void b_encode(struct buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		buf_addch(b, tab[v >> 18 & 63]);
		buf_addch(b, tab[v >> 12 & 63]);
		buf_addch(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		buf_addch(b, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* Bytes of s taken by its lead byte's character (s is valid UTF-8). */
static size_t utf8_char_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/*
 * How many bytes of s, in whole characters, fit in an encoded text of at
 * most room bytes.  Never splitting a character keeps every word
 * decodable on its own, as RFC 2047 5 asks.
 */
static size_t fit(const unsigned char *s, size_t n, size_t room, int use_b,
		  int phrase)
{
	size_t i = 0, cost = 0;

	while (i < n) {
		size_t k = utf8_char_len(s[i]), c = 0;

		if (k > n - i)
			k = n - i;
		if (use_b) {
			if (b_cost(i + k) > room)
				break;
		} else {
			for (size_t j = 0; j < k; j++)
				c += q_cost(s[i + j], phrase);
			if (cost + c > room)
				break;
			cost += c;
		}
		i += k;
	}
	return i;
}

/*
 * libetpan has no RFC 2047 encoder (mailmime_quoted_printable_write is
 * body quoted-printable: no '_', no word length, no charset wrapper), so
 * the words are made here.  The whole value is encoded, in B or Q,
 * whichever is shorter for it.
 */
static void put_encoded(struct folder *f, const char *value, int phrase)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t n = strlen(value), i = 0, qlen = 0;
	struct buf word = BUF_INIT(BUF_NOLIMIT);
	int use_b;

	for (size_t j = 0; j < n; j++)
		qlen += q_cost(s[j], phrase);
	use_b = b_cost(n) < qlen;

	while (i < n) {
		size_t room = 0, take;

		if (f->col + 1 < LINE_MAX_ENCODED)
			room = LINE_MAX_ENCODED - f->col - 1;
		if (room > ENCODED_WORD_MAX)
			room = ENCODED_WORD_MAX;
		room = room > ENCODED_WORD_OVERHEAD ?
			       room - ENCODED_WORD_OVERHEAD : 0;
		take = fit(s + i, n - i, room, use_b, phrase);
		if (!take) {
			/* not even one character left on this line */
			buf_addch(f->out, '\n');
			f->col = 0;
			f->has_token = 0;
			continue;
		}
		buf_reset(&word);
		buf_adds(&word, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?");
		if (use_b)
			b_encode(&word, s + i, take);
		else
			q_encode(&word, s + i, take, phrase);
		buf_adds(&word, "?=");
		put_token(f, word.s, word.len, LINE_MAX_ENCODED);
		i += take;
	}
	buf_release(&word);
}

/*
 * Plain ASCII can go as it is, unless it holds "=?": a reader would take
 * "=?utf-8?q?...?=" written by a sender for an encoded-word and decode it.
 */
static int needs_encoding(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return strstr(s, "=?") != NULL;
}

/* A field name: printable ASCII, no colon or blank (RFC 5322 2.2). */
static int name_ok(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ':')
			return 0;
	return 1;
}

/* Start a header in a scratch buffer; it reaches out whole or not at all. */
static void folder_start(struct folder *f, struct buf *scratch,
			 const char *name)
{
	buf_adds(scratch, name);
	buf_addch(scratch, ':');
	f->out = scratch;
	f->col = scratch->len;
	f->has_token = 0;
}

static int folder_finish(struct buf *scratch, struct buf *out)
{
	int ret;

	buf_addch(scratch, '\n');
	ret = buf_add(out, scratch->s, scratch->len);
	buf_release(scratch);
	return ret;
}

int header_add_text(struct buf *out, const char *name, const char *value)
{
	struct buf scratch = BUF_INIT(BUF_NOLIMIT);
	struct folder f;
	char *v;

	if (!name_ok(name))
		return error("refusing a header field name that is not one");
	v = header_sanitize(value, HEADER_TEXT_MAX);
	folder_start(&f, &scratch, name);
	if (needs_encoding(v))
		put_encoded(&f, v, 0);
	else
		put_words(&f, v, LINE_MAX_TEXT);
	free(v);
	return folder_finish(&scratch, out);
}

/* RFC 5322 specials, and the '"' that a quoted-string must escape. */
static int has_specials(const char *s)
{
	return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

int header_add_address(struct buf *out, const char *name,
		       const char *display, const char *addr)
{
	struct buf scratch = BUF_INIT(BUF_NOLIMIT);
	struct folder f;
	char *d, *angle;
	size_t limit = LINE_MAX_TEXT;

	if (!name_ok(name))
		return error("refusing a header field name that is not one");
	/* the address is not ours to mend; quoting it would hide the problem */
	if (!addr || !header_addr_ok(addr))
		return error("refusing an unsafe address for '%s'", name);

	d = header_sanitize(display, HEADER_DISPLAY_MAX);
	folder_start(&f, &scratch, name);
	if (!*d) {
		put_token(&f, addr, strlen(addr), limit);
		free(d);
		return folder_finish(&scratch, out);
	}
	if (needs_encoding(d)) {
		limit = LINE_MAX_ENCODED;
		put_encoded(&f, d, 1);
	} else if (has_specials(d)) {
		struct buf q = BUF_INIT(BUF_NOLIMIT);

		buf_addch(&q, '"');
		for (const char *p = d; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addch(&q, '\\');
			buf_addch(&q, *p);
		}
		buf_addch(&q, '"');
		put_token(&f, q.s, q.len, limit);
		buf_release(&q);
	} else {
		put_words(&f, d, limit);
	}
	angle = xasprintf("<%s>", addr);
	put_token(&f, angle, strlen(angle), limit);
	free(angle);
	free(d);
	return folder_finish(&scratch, out);
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* A domain: dot-separated labels of letters, digits and '-', or [literal]. */
static int domain_ok(const char *d)
{
	size_t n = strlen(d);

	if (!n)
		return 0;
	if (d[0] == '[')
		return n >= 3 && d[n - 1] == ']' &&
		       strspn(d + 1, ALNUM ":.") == n - 2;
	return d[0] != '.' && d[n - 1] != '.' && !strstr(d, "..") &&
	       strspn(d, ALNUM "-.") == n;
}

/*
 * Like curl's smtp.c, refuse rather than repair: an address with CR, LF,
 * blanks or the characters that end an address in a header or an SMTP
 * command is not one we will write.  UTF-8 is refused too: we do not
 * speak SMTPUTF8.  ':', '[' and ']' are only legal in a quoted local
 * part, which we do not write either.
 */
int header_addr_ok(const char *addr)
{
	const char *at, *p;
	size_t n;

	if (!addr)
		return 0;
	n = strlen(addr);
	if (!n || n > 254)
		return 0;
	at = strchr(addr, '@');
	if (!at || at == addr || strchr(at + 1, '@'))
		return 0;
	for (p = addr; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || strchr("<>,;\"\\()[]:", c))
			return 0;
	}
	return domain_ok(at + 1);
}
