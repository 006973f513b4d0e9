/* SPDX-License-Identifier: GPL-2.0-or-later */
/* subject: parse the reply prefixes and [PATCH ...] tags of a Subject. */
#include "subject.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

/*
 * Numbers beyond these are typos or hostile; we treat them as not given
 * rather than letting "v999999999999" overflow or sort a series oddly.
 */
#define MAX_VERSION 9999
#define MAX_INDEX 9999

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static const char *skip_space(const char *p)
{
	while (is_space((unsigned char)*p))
		p++;
	return p;
}

/*
 * Value of the digits in [p, end), or -1 when the range is empty, holds a
 * non-digit or the value exceeds max.  Leading zeros are fine ("00/10");
 * stopping as soon as max is passed keeps a long run from overflowing.
 */
static int parse_num(const char *p, const char *end, int max)
{
	int v = 0;

	if (p >= end)
		return -1;
	for (; p < end; p++) {
		if (!is_digit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -1;
	}
	return v;
}

static int is_all_digits(const char *p, const char *end)
{
	if (p >= end)
		return 0;
	for (; p < end; p++)
		if (!is_digit((unsigned char)*p))
			return 0;
	return 1;
}

/*
 * Reply and forward prefixes in the languages kernel people's mailers
 * use.  Matched only where prefixes can be: before the first patch tag.
 */
static const struct {
	const char *word;
	int forward;
} prefixes[] = {
	{ "antw", 0 }, { "odp", 0 }, { "re", 0 }, { "aw", 0 }, { "sv", 0 },
	{ "fwd", 1 }, { "fw", 1 }, { "wg", 1 }, { "tr", 1 },
};

/*
 * Length of the reply/forward prefix at p ("Re:", "Re[2]:", "AW :"), or 0.
 * *forward says which kind it was.
 */
static size_t match_prefix(const char *p, int *forward)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i].word);
		const char *q = p + n;

		if (strncasecmp(p, prefixes[i].word, n))
			continue;
		if (*q == '[') {
			const char *d = q + 1;

			while (is_digit((unsigned char)*d))
				d++;
			if (d == q + 1 || *d != ']')
				continue;
			q = d + 1;
		}
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != ':')
			continue;
		*forward = prefixes[i].forward;
		return (size_t)(q + 1 - p);
	}
	return 0;
}

/* The next space- or comma-separated token of [*p, end). */
static int next_token(const char **p, const char *end, const char **tok,
		      size_t *len)
{
	const char *s = *p;

	while (s < end && (is_space((unsigned char)*s) || *s == ','))
		s++;
	if (s == end)
		return 0;
	*tok = s;
	while (s < end && !is_space((unsigned char)*s) && *s != ',')
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return 1;
}

/* "v3", "V3": the version number (may be out of range: -1), or -2. */
static int token_version(const char *t, size_t n)
{
	if (n < 2 || (t[0] != 'v' && t[0] != 'V') ||
	    !is_all_digits(t + 1, t + n))
		return -2;
	return parse_num(t + 1, t + n, MAX_VERSION);
}

/*
 * "PATCH", "PATCHv3", "PATCH-v2", "RFCv2" and the like: word, then an
 * optional '-' and version.  Returns 1 and sets *version (-1 for none or
 * absurd, -2 when none was written) on a match.
 */
static int token_word(const char *t, size_t n, const char *word, int *version)
{
	size_t wl = strlen(word);

	if (n < wl || strncasecmp(t, word, wl))
		return 0;
	t += wl;
	n -= wl;
	if (!n) {
		*version = -2;
		return 1;
	}
	if (*t == '-') {
		t++;
		n--;
	}
	*version = token_version(t, n);
	return *version != -2;
}

/* "3/5": 1 with *n and *total set (-1 when absurd), else 0. */
static int token_fraction(const char *t, size_t len, int *n, int *total)
{
	const char *slash = memchr(t, '/', len);

	if (!slash || !is_all_digits(t, slash) ||
	    !is_all_digits(slash + 1, t + len))
		return 0;
	*n = parse_num(t, slash, MAX_INDEX);
	*total = parse_num(slash + 1, t + len, MAX_INDEX);
	return 1;
}

static int token_is(const char *t, size_t n, const char *word)
{
	return n == strlen(word) && !strncasecmp(t, word, n);
}

/* Older lists' "[RFC/PATCH]" and "[PATCH/RFC]". */
static int token_slashed(const char *t, size_t n)
{
	return token_is(t, n, "RFC/PATCH") || token_is(t, n, "PATCH/RFC");
}

/*
 * Is the bracketed text [p, end) a patch tag group?  It is when it names
 * PATCH or RFC, or carries a version or an n/N index (netdev's
 * "[net,v2,1/2]").  "[GIT PULL v2]" is a pull request, not a patch.
 */
static int is_patch_group(const char *p, const char *end)
{
	const char *t;
	size_t n;
	int v, a, b, found = 0;

	while (next_token(&p, end, &t, &n)) {
		if (token_is(t, n, "PULL"))
			return 0;
		if (token_slashed(t, n))
			found = 1;
		if (token_word(t, n, "PATCH", &v) ||
		    token_word(t, n, "RFC", &v) || token_version(t, n) != -2 ||
		    token_fraction(t, n, &a, &b))
			found = 1;
	}
	return found;
}

struct tag_state {
	struct subject_info *si;
	struct buf tags;
	int version_set, index_set;
};

static void set_version(struct tag_state *st, int v)
{
	/* The first valid version wins: "[PATCH v2] [PATCH v3]" is v2. */
	if (v < 1 || st->version_set)
		return;
	st->si->version = v;
	st->si->version_given = true;
	st->version_set = 1;
}

static void set_index(struct tag_state *st, int n, int total)
{
	if (n < 0 || total < 1 || st->index_set)
		return;
	st->si->n = n;
	st->si->total = total;
	st->index_set = 1;
}

static void add_tag(struct tag_state *st, const char *t, size_t n)
{
	/* The tags are bounded by the subject, so the cap never bites. */
	if (st->tags.len)
		buf_addch(&st->tags, ' ');
	buf_add(&st->tags, t, n);
}

static void parse_group(struct tag_state *st, const char *p, const char *end)
{
	const char *t, *t2, *t3;
	size_t n, n2, n3;
	int v, a, b;

	while (next_token(&p, end, &t, &n)) {
		if (token_slashed(t, n)) {
			st->si->rfc = true;
		} else if (token_word(t, n, "PATCH", &v)) {
			set_version(st, v);
		} else if (token_word(t, n, "RFC", &v)) {
			st->si->rfc = true;
			set_version(st, v);
		} else if (token_word(t, n, "RESEND", &v)) {
			st->si->resend = true;
			set_version(st, v);
		} else if ((v = token_version(t, n)) != -2) {
			set_version(st, v);
		} else if (token_fraction(t, n, &a, &b)) {
			set_index(st, a, b);
		} else if (is_all_digits(t, t + n)) {
			/* Mercurial writes "[PATCH 1 of 2]". */
			const char *q = p;

			if (next_token(&q, end, &t2, &n2) &&
			    token_is(t2, n2, "of") &&
			    next_token(&q, end, &t3, &n3) &&
			    is_all_digits(t3, t3 + n3)) {
				set_index(st, parse_num(t, t + n, MAX_INDEX),
					  parse_num(t3, t3 + n3, MAX_INDEX));
				p = q;
			} else {
				add_tag(st, t, n);
			}
		} else if (token_is(t, n, "v")) {
			const char *q = p;

			if (next_token(&q, end, &t2, &n2) &&
			    is_all_digits(t2, t2 + n2)) {
				v = parse_num(t2, t2 + n2, MAX_VERSION);
				set_version(st, v);
				p = q;
			} else {
				add_tag(st, t, n);
			}
		} else {
			add_tag(st, t, n);
		}
	}
	/* Any patch tag group marks a patch, even "[net,v2,1/2]". */
	st->si->is_patch = true;
}

/*
 * Copy of the title [p, end), trimmed, with folded header lines (white
 * space holding CR or LF) joined by one space so the title is safe to put
 * back into a header.
 */
static char *make_title(const char *p, const char *end)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	while (p < end && is_space((unsigned char)*p))
		p++;
	while (end > p && is_space((unsigned char)end[-1]))
		end--;
	while (p < end) {
		const char *q = p;
		int fold = 0;

		if (!is_space((unsigned char)*p)) {
			while (q < end && !is_space((unsigned char)*q))
				q++;
			buf_add(&b, p, (size_t)(q - p));
			p = q;
			continue;
		}
		while (q < end && is_space((unsigned char)*q)) {
			if (*q == '\r' || *q == '\n')
				fold = 1;
			q++;
		}
		if (fold)
			buf_addch(&b, ' ');
		else
			buf_add(&b, p, (size_t)(q - p));
		p = q;
	}
	return buf_detach(&b, NULL);
}

/* Does s[0..len) end in "(vN)", case-insensitive?  Sets *start. */
static int ends_with_version(const char *s, size_t len, size_t *start)
{
	size_t i;

	if (len < 4 || s[len - 1] != ')')
		return 0;
	i = len - 1;
	while (i > 0 && is_digit((unsigned char)s[i - 1]))
		i--;
	if (i == len - 1 || i < 2 || to_lower(s[i - 1]) != 'v' ||
	    s[i - 2] != '(')
		return 0;
	*start = i - 2;
	return 1;
}

static char *make_normalized(const char *title)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	size_t start;

	for (const char *p = skip_space(title); *p;) {
		if (is_space((unsigned char)*p)) {
			p = skip_space(p);
			if (*p)
				buf_addch(&b, ' ');
			continue;
		}
		buf_addch(&b, to_lower((unsigned char)*p));
		p++;
	}
	/* "... ground work (v3)": the version belongs in the tags. */
	if (ends_with_version(b.s, b.len, &start)) {
		buf_setlen(&b, start);
		buf_rtrim(&b);
	}
	return buf_detach(&b, NULL);
}

void subject_parse(const char *subject, struct subject_info *out)
{
	struct tag_state st = { .si = out, .tags = BUF_INIT(BUF_NOLIMIT) };
	const char *p = subject ? subject : "";
	const char *title = p;
	int found = 0, forward;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->version = 1;

	/*
	 * Prefixes and list tags ("[linux-mm]") in any order, up to the
	 * first patch tag group; then any further patch tag groups.  Each
	 * step moves p forward past what it examined, so this is linear
	 * even for a megabyte of "[" or "Re: ".
	 */
	for (;;) {
		const char *close;

		p = skip_space(p);
		if (!found && (n = match_prefix(p, &forward))) {
			p += n;
			title = p;
			if (forward)
				out->forward = true;
			else
				out->reply = true;
			continue;
		}
		if (*p != '[')
			break;
		close = strchr(p + 1, ']');
		if (!close)
			break;
		if (is_patch_group(p + 1, close)) {
			parse_group(&st, p + 1, close);
			found = 1;
			p = close + 1;
			title = p;
			continue;
		}
		if (found)
			break;
		p = close + 1;
	}
	if (found) {
		/* "[Patch 2/2]: title" */
		p = skip_space(title);
		if (*p == ':')
			title = p + 1;
	}
	out->title = make_title(title, title + strlen(title));
	out->normalized = make_normalized(out->title);
	out->tags = buf_detach(&st.tags, NULL);
}

void subject_info_release(struct subject_info *si)
{
	free(si->tags);
	free(si->title);
	free(si->normalized);
	memset(si, 0, sizeof(*si));
}
