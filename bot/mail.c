/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mail: parse one message with libetpan into decoded UTF-8 (see mail.h). */
#include "mail.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/charconv.h>
#include <libetpan/mailimf.h>
#include <libetpan/mailmime.h>
#include <libetpan/mailmime_content.h>
#include <libetpan/mailmime_decode.h>
#include <libetpan/mailmime_types_helper.h>
#include <libetpan/mmapstring.h>

#include "util.h"

/* RFC 5322 line limit; a longer id cannot be written back into a header. */
#define MAX_MSGID 998
/* The nearest ancestors matter most for threading; older ones are noise. */
#define MAX_REFERENCES 100

static const char replacement_char[] = "\xef\xbf\xbd"; /* U+FFFD */

/* ---- UTF-8 ----------------------------------------------------------- */

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* Does the word hold a byte equal to c? (exact: no false positives) */
#define HAS_BYTE(w, c) \
	((((w) ^ (ONES * (c))) - ONES) & ~((w) ^ (ONES * (c))) & HIGHS)

/*
 * Length of the leading run of bytes that need no care: ASCII other than
 * NUL and CR (and LF when stop_lf).  Eight bytes at a time, as most mail
 * is plain ASCII.
 */
static size_t plain_run(const unsigned char *p, size_t n, int stop_lf)
{
	size_t i = 0;

	while (i + 8 <= n) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if ((w & HIGHS) || HAS_BYTE(w, 0) || HAS_BYTE(w, '\r') ||
		    (stop_lf && HAS_BYTE(w, '\n')))
			break;
		i += 8;
	}
	while (i < n && p[i] && p[i] < 0x80 && p[i] != '\r' &&
	       !(stop_lf && p[i] == '\n'))
		i++;
	return i;
}

/*
 * utf8_seq() for the common well-formed two- and three-byte sequences
 * inline (E0 and ED have narrower second bytes: left to utf8_seq()).
 */
static inline size_t utf8_step(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] >= 0xc2 && p[0] < 0xe0 && (p[1] & 0xc0) == 0x80)
		return 2;
	if (n >= 3 && p[0] >= 0xe1 && p[0] < 0xf0 && p[0] != 0xed &&
	    (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80)
		return 3;
	return utf8_seq(p, n, NULL);
}

static int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		uint64_t w;

		if (i + 8 <= n) {
			memcpy(&w, p + i, 8);
			if (!(w & HIGHS)) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_step(p + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

enum text_mode {
	TEXT_BODY, /* CRLF becomes LF */
	TEXT_HEADER, /* any run of CR/LF and the blanks after it: one space */
};

/*
 * Append s[0..n) to b as valid UTF-8: ill-formed bytes and NULs become
 * U+FFFD (so strlen() of the result is its length).  Copies runs of good
 * bytes at once; mail is mostly ASCII.  Returns -1 when b is full.
 */
static int add_text(struct buf *b, const char *s, size_t n, enum text_mode mode)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, k;

#define FLUSH()                                              \
	do {                                                 \
		if (i > run && buf_add(b, s + run, i - run)) \
			return -1;                           \
	} while (0)

	for (;;) {
		unsigned c;

		i += plain_run(p + i, n - i, mode == TEXT_HEADER);
		if (i >= n)
			break;
		c = p[i];
		if (c == '\r' || c == '\n') {
			if (mode == TEXT_BODY) {
				/* a lone CR is data */
				if (i + 1 < n && p[i + 1] == '\n') {
					FLUSH();
					run = ++i;
				} else {
					i++;
				}
				continue;
			}
			FLUSH();
			while (i < n && (p[i] == '\r' || p[i] == '\n' ||
					 p[i] == ' ' || p[i] == '\t'))
				i++;
			if (buf_addch(b, ' '))
				return -1;
			run = i;
			continue;
		}
		k = c ? utf8_step(p + i, n - i) : 0;
		if (k) {
			i += k;
			continue;
		}
		FLUSH();
		if (buf_adds(b, replacement_char))
			return -1;
		run = ++i;
	}
	FLUSH();
#undef FLUSH
	return 0;
}

/* Detach b with leading and trailing blanks removed. */
static char *detach_trimmed(struct buf *b)
{
	size_t skip = 0;
	char *s;

	buf_rtrim(b);
	while (skip < b->len && (b->s[skip] == ' ' || b->s[skip] == '\t'))
		skip++;
	s = buf_detach(b, NULL);
	if (skip)
		memmove(s, s + skip, strlen(s + skip) + 1);
	return s;
}

/* A header-safe UTF-8 copy of s: no CR/LF, no ill-formed bytes, trimmed. */
static char *clean_dup(const char *s)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	add_text(&b, s, strlen(s), TEXT_HEADER);
	return detach_trimmed(&b);
}

/* ---- headers ---------------------------------------------------------- */

/*
 * Decode an unstructured value (folded, maybe with RFC 2047 words) to
 * UTF-8.  libetpan's phrase decoder costs an iconv_open per word, so it
 * only runs when there is an encoded word to decode.
 */
static char *decode_value(const char *raw)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	size_t len = strlen(raw), idx = 0;
	char *dec = NULL;

	if (strstr(raw, "=?") &&
	    mailmime_encoded_phrase_parse("utf-8", raw, len, &idx, "utf-8",
					  &dec) == MAILIMF_NO_ERROR) {
		add_text(&b, dec, strlen(dec), TEXT_HEADER);
		free(dec);
		/* the decoder stops at a stray "=?"; keep what follows */
		if (idx < len)
			add_text(&b, raw + idx, len - idx, TEXT_HEADER);
	} else {
		add_text(&b, raw, len, TEXT_HEADER);
	}
	return detach_trimmed(&b);
}

/*
 * RFC 2047 words mean something only in unstructured text and in display
 * names.  Decoding them in structured fields would let a sender smuggle
 * syntax in: an envelope address "=?utf-8?q?x=3B_dkim=3Dpass...?=@evil.org"
 * copied by our server into Authentication-Results would decode into a
 * forged "dkim=pass" result.  So every other field keeps its raw text.
 */
static int is_text_field(const char *name)
{
	static const char *const text_fields[] = {
		"Subject", "Comments", "Keywords", "From", "To", "Cc",
		"Reply-To", "Sender", "Thread-Topic", "Summary", NULL,
	};

	for (int i = 0; text_fields[i]; i++)
		if (!strcasecmp(name, text_fields[i]))
			return 1;
	return 0;
}

static char *raw_value(const char *raw)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	add_text(&b, raw, strlen(raw), TEXT_HEADER);
	return detach_trimmed(&b);
}

/* Usable as a Message-ID: non-empty, printable, fits in a header line. */
static int msgid_usable(const char *id, size_t n)
{
	size_t i;

	if (!n || n > MAX_MSGID)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
			return 0;
	}
	return 1;
}

static char *msgid_get(const char *value)
{
	char *id = msgid_normalize(value);

	if (id && !msgid_usable(id, strlen(id))) {
		free(id);
		id = NULL;
	}
	return id;
}

struct span {
	const char *p;
	size_t len;
};

/*
 * Every <id> of a References value, oldest first, the last MAX_REFERENCES
 * kept.  A plain scan rather than libetpan's msg-id-list parser, which
 * gives up on the first piece of garbage and loses the whole chain.
 */
static void parse_references(struct mail *m, const char *v)
{
	struct span *sp = NULL;
	size_t nr = 0, alloc = 0, i, first;
	const char *lt = strchr(v, '<');

	if (!lt) {
		char *id = msgid_get(v);

		if (id) {
			m->references = xmalloc(sizeof(*m->references));
			m->references[0] = id;
			m->nr_references = 1;
		}
		return;
	}
	while (lt) {
		const char *q = lt + 1;

		while (*q && *q != '>' && *q != '<')
			q++;
		if (*q == '<') {
			lt = q;
			continue;
		}
		if (!*q)
			break;
		ALLOC_GROW(sp, nr + 1, alloc);
		sp[nr].p = lt + 1;
		sp[nr].len = (size_t)(q - lt - 1);
		nr++;
		lt = strchr(q + 1, '<');
	}
	first = nr > MAX_REFERENCES ? nr - MAX_REFERENCES : 0;
	if (nr > first)
		m->references = xcalloc(nr - first, sizeof(*m->references));
	for (i = first; i < nr; i++) {
		char *id = str_trim_dup(sp[i].p, sp[i].len);

		if (msgid_usable(id, strlen(id)))
			m->references[m->nr_references++] = id;
		else
			free(id);
	}
	free(sp);
}

static void address_set(struct mail_address *a,
			const struct mailimf_mailbox *mb)
{
	a->name = decode_value(mb->mb_display_name ? mb->mb_display_name : "");
	a->email = clean_dup(mb->mb_addr_spec ? mb->mb_addr_spec : "");
}

static void parse_from(struct mail *m, const char *v)
{
	struct mailimf_mailbox_list *mbl = NULL;
	struct mailimf_address_list *al = NULL;
	size_t idx = 0, len = strlen(v);
	clistiter *it;

	if (mailimf_mailbox_list_parse(v, len, &idx, &mbl) ==
	    MAILIMF_NO_ERROR) {
		it = clist_begin(mbl->mb_list);
		if (it)
			address_set(&m->from, clist_content(it));
		mailimf_mailbox_list_free(mbl);
		return;
	}
	/* "From: group: a@b;" is legal, if odd */
	idx = 0;
	if (mailimf_address_list_parse(v, len, &idx, &al) != MAILIMF_NO_ERROR)
		return;
	for (it = clist_begin(al->ad_list); it; it = clist_next(it)) {
		struct mailimf_address *ad = clist_content(it);
		struct mailimf_mailbox_list *g;

		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			address_set(&m->from, ad->ad_data.ad_mailbox);
			break;
		}
		g = ad->ad_data.ad_group->grp_mb_list;
		if (g && clist_begin(g->mb_list)) {
			address_set(&m->from,
				    clist_content(clist_begin(g->mb_list)));
			break;
		}
	}
	mailimf_address_list_free(al);
}

static void add_address(struct mail_address **list, size_t *nr, size_t *alloc,
			const struct mailimf_mailbox *mb)
{
	ALLOC_GROW(*list, *nr + 1, *alloc);
	address_set(&(*list)[*nr], mb);
	(*nr)++;
}

static void parse_address_list(struct mail_address **list, size_t *nr,
			       size_t *alloc, const char *v)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0;
	clistiter *it, *jt;

	if (mailimf_address_list_parse(v, strlen(v), &idx, &al) !=
	    MAILIMF_NO_ERROR)
		return;
	for (it = clist_begin(al->ad_list); it; it = clist_next(it)) {
		struct mailimf_address *ad = clist_content(it);
		struct mailimf_mailbox_list *g;

		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			add_address(list, nr, alloc, ad->ad_data.ad_mailbox);
			continue;
		}
		g = ad->ad_data.ad_group->grp_mb_list;
		if (!g)
			continue;
		for (jt = clist_begin(g->mb_list); jt; jt = clist_next(jt))
			add_address(list, nr, alloc, clist_content(jt));
	}
	mailimf_address_list_free(al);
}

static int64_t days_from_civil(int64_t y, unsigned mon, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= mon <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/*
 * Date header to UTC seconds, 0 when it is not a date we believe; its
 * offset from UTC (minutes) into *tz, as `git am` keeps it.  Field
 * ranges are checked here because libetpan hands over whatever numbers it
 * found (the fuzz corpus has years with twenty digits).
 */
static int64_t parse_date(const char *v, int *tz)
{
	static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30,
					       31, 31, 30, 31, 30, 31 };
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;
	int64_t t = 0, y;
	int zone, off = 0;

	*tz = 0;
	if (mailimf_date_time_parse(v, strlen(v), &idx, &dt) !=
	    MAILIMF_NO_ERROR)
		return 0;
	y = dt->dt_year;
	/* RFC 5322 4.3: obsolete two- and three-digit years */
	if (y >= 0 && y < 50)
		y += 2000;
	else if (y >= 50 && y < 1000)
		y += 1900;
	if (y < 1970 || y > 9999 || dt->dt_month < 1 || dt->dt_month > 12 ||
	    dt->dt_day < 1 || dt->dt_day > mdays[dt->dt_month - 1] ||
	    (dt->dt_month == 2 && dt->dt_day == 29 &&
	     (y % 4 || (y % 100 == 0 && y % 400))) ||
	    dt->dt_hour < 0 || dt->dt_hour > 23 || dt->dt_min < 0 ||
	    dt->dt_min > 59 || dt->dt_sec < 0 || dt->dt_sec > 60)
		goto out;
	zone = dt->dt_zone;
	if (zone >= -9959 && zone <= 9959 &&
	    (zone < 0 ? -zone : zone) % 100 < 60)
		off = (zone / 100) * 60 + zone % 100;
	t = days_from_civil(y, (unsigned)dt->dt_month, (unsigned)dt->dt_day) *
		    86400 +
	    dt->dt_hour * 3600 + dt->dt_min * 60 + dt->dt_sec -
	    (int64_t)off * 60;
	if (t < 0)
		t = 0;
	else
		*tz = off;
out:
	mailimf_date_time_free(dt);
	return t;
}

int64_t mail_parse_date(const char *value, int *tz)
{
	return parse_date(value, tz);
}

/* Fill m->headers and the header-derived fields from the raw field list. */
static void parse_headers(struct mail *m, struct mailimf_fields *hf)
{
	size_t alloc_to = 0, alloc_cc = 0;
	int seen_from = 0, seen_date = 0, seen_irt = 0, seen_refs = 0;
	int seen_msgid = 0;
	clistiter *it;

	m->headers = xcalloc((size_t)clist_count(hf->fld_list) + 1,
			     sizeof(*m->headers));
	for (it = clist_begin(hf->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *f = clist_content(it);
		struct mailimf_optional_field *of;
		struct mail_header *h;
		const char *name, *raw;

		if (f->fld_type != MAILIMF_FIELD_OPTIONAL_FIELD)
			continue;
		of = f->fld_data.fld_optional_field;
		name = of->fld_name;
		raw = of->fld_value ? of->fld_value : "";
		h = &m->headers[m->nr_headers++];
		h->name = clean_dup(name);
		h->value = is_text_field(name) ? decode_value(raw) : raw_value(raw);

		if (!strcasecmp(name, "Subject")) {
			if (!m->subject)
				m->subject = xstrdup(h->value);
		} else if (!strcasecmp(name, "From")) {
			if (!seen_from++)
				parse_from(m, raw);
		} else if (!strcasecmp(name, "To")) {
			parse_address_list(&m->to, &m->nr_to, &alloc_to, raw);
		} else if (!strcasecmp(name, "Cc")) {
			parse_address_list(&m->cc, &m->nr_cc, &alloc_cc, raw);
		} else if (!strcasecmp(name, "Date")) {
			if (!seen_date++)
				m->date = parse_date(raw, &m->date_tz);
		} else if (!strcasecmp(name, "Message-ID")) {
			if (!seen_msgid++)
				m->message_id = msgid_get(h->value);
		} else if (!strcasecmp(name, "In-Reply-To")) {
			if (!seen_irt++)
				m->in_reply_to = msgid_get(h->value);
		} else if (!strcasecmp(name, "References")) {
			if (!seen_refs++)
				parse_references(m, h->value);
		}
	}
	if (!m->subject)
		m->subject = xstrdup("");
	if (!m->from.name)
		m->from.name = xstrdup("");
	if (!m->from.email)
		m->from.email = xstrdup("");
}

/* ---- limits ----------------------------------------------------------- */

/* Case-insensitive memmem for short ASCII needles. */
static const char *memcasemem(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	if (!k || k > n)
		return NULL;
	for (i = 0; i + k <= n; i++)
		if ((h[i] | 0x20) == (needle[0] | 0x20) &&
		    !strncasecmp(h + i, needle, k))
			return h + i;
	return NULL;
}

/* The boundary parameter inside a Content-Type header, or len 0. */
static struct span find_boundary(const char *h, size_t n)
{
	struct span b = { NULL, 0 };
	const char *p = h, *end = h + n, *q;

	while ((q = memcasemem(p, (size_t)(end - p), "boundary"))) {
		p = q + 8;
		while (p < end &&
		       (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p < end && *p == '=')
			break;
	}
	if (!q)
		return b;
	p++;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p < end && *p == '"') {
		q = ++p;
		while (q < end && *q != '"' && *q != '\r' && *q != '\n')
			q += *q == '\\' && q + 1 < end ? 2 : 1;
	} else {
		q = p;
		while (q < end && *q != ';' && *q != ' ' && *q != '\t' &&
		       *q != '\r' && *q != '\n')
			q++;
	}
	if (q > end)
		q = end;
	b.p = p;
	b.len = (size_t)(q - p);
	return b;
}

struct prescan {
	const struct mail_limits *lim;
	struct span *stack; /* open boundaries, outermost first */
	size_t depth, alloc;
	unsigned parts, messages;
};

/*
 * A "--boundary" line: a delimiter closes the parts nested inside it and
 * opens a new one; a close delimiter ends its multipart.
 */
static int scan_delimiter(struct prescan *ps, const char *line, size_t ll,
			  struct buf *err)
{
	size_t k = ps->depth;

	while (k--) {
		const struct span *b = &ps->stack[k];
		const char *rest;
		size_t left;

		if (ll - 2 < b->len || memcmp(line + 2, b->p, b->len))
			continue;
		rest = line + 2 + b->len;
		left = ll - 2 - b->len;
		if (left >= 2 && rest[0] == '-' && rest[1] == '-') {
			ps->depth = k;
			return 0;
		}
		while (left && (*rest == ' ' || *rest == '\t')) {
			rest++;
			left--;
		}
		if (left)
			continue;
		ps->depth = k + 1;
		if (++ps->parts > ps->lim->max_parts) {
			buf_addf(err, "more than %u MIME parts",
				 ps->lim->max_parts);
			return -1;
		}
		return 0;
	}
	return 0;
}

/* A Content-Type header h[0..n), continuation lines included. */
static int scan_content_type(struct prescan *ps, const char *h, size_t n,
			     struct buf *err)
{
	struct span b;

	/*
	 * libetpan's mailmime_extract_boundary() overruns its buffer when
	 * the boundary is a lone double quote, written boundary="\"".
	 */
	if (memmem(h, n, "\"\\\"\"", 4)) {
		buf_adds(err, "malformed MIME boundary");
		return -1;
	}
	if (!memcasemem(h, n, "multipart")) {
		/* each embedded message is a recursion in libetpan too */
		if (memcasemem(h, n, "message/") &&
		    ++ps->messages > ps->lim->max_parts) {
			buf_addf(err, "more than %u MIME parts",
				 ps->lim->max_parts);
			return -1;
		}
		return 0;
	}
	b = find_boundary(h, n);
	if (!b.len)
		return 0;
	if (ps->depth >= ps->lim->max_depth) {
		buf_addf(err, "MIME nesting deeper than %u levels",
			 ps->lim->max_depth);
		return -1;
	}
	ALLOC_GROW(ps->stack, ps->depth + 1, ps->alloc);
	ps->stack[ps->depth++] = b;
	return 0;
}

/*
 * RFC 5322 has no NUL; every header value becomes a C string, which a NUL
 * would cut short (an address could end where the attacker wants it to).
 */
static int nul_in_header(const char *s, size_t n, struct buf *err)
{
	if (!memchr(s, '\0', n))
		return 0;
	buf_adds(err, "NUL byte in the header");
	return -1;
}

/*
 * Bound the MIME structure from the raw bytes before libetpan sees them:
 * mailmime_parse() rescans the rest of the message for every nested
 * boundary, so deep nesting costs quadratic time.  Content-Type lines
 * open boundaries, delimiter lines close the ones above them; the stack
 * height is an upper bound of the nesting libetpan will recurse into.
 */
static int prescan(const char *s, size_t n, const struct mail_limits *lim,
		   struct buf *err)
{
	struct prescan ps = { .lim = lim };
	size_t headers = 0, field = 0, i, next;
	int in_headers = 1, ret = -1;

	for (i = 0; i < n; i = next) {
		const char *line = s + i;
		const char *eol = memchr(line, '\n', n - i);
		size_t ll = eol ? (size_t)(eol - line) : n - i;
		int new_field;

		next = eol ? i + ll + 1 : n;
		if (ll && line[ll - 1] == '\r')
			ll--;
		new_field = in_headers && (!ll || (line[0] != ' ' && line[0] != '\t'));
		/*
		 * A field ends where the next begins: one that big is abuse
		 * (a megabyte of Subject would reach every reply and title).
		 */
		if (new_field && headers && i - field > lim->max_field) {
			size_t nl = strcspn(s + field, ":\r\n");

			buf_addf(err, "header field '%.*s' is %zu bytes, over the limit of %zu",
				 (int)(nl < 64 ? nl : 64), s + field, i - field,
				 lim->max_field);
			goto out;
		}
		if (in_headers && !ll) {
			in_headers = 0;
			if (nul_in_header(s, i, err))
				goto out;
		} else if (new_field) {
			field = i;
			if (++headers > lim->max_headers) {
				buf_addf(err, "more than %zu header fields",
					 lim->max_headers);
				goto out;
			}
		}
		if (ll >= 3 && line[0] == '-' && line[1] == '-' && ps.depth) {
			if (scan_delimiter(&ps, line, ll, err))
				goto out;
		} else if (ll >= 12 && (line[0] | 0x20) == 'c' &&
			   !strncasecmp(line, "content-type", 12)) {
			while (next < n &&
			       (s[next] == ' ' || s[next] == '\t')) {
				eol = memchr(s + next, '\n', n - next);
				next = eol ? (size_t)(eol - s) + 1 : n;
			}
			if (scan_content_type(&ps, line, next - i, err))
				goto out;
		}
	}
	if (in_headers && headers && n - field > lim->max_field) {
		buf_addf(err, "header field is %zu bytes, over the limit of %zu",
			 n - field, lim->max_field);
		goto out;
	}
	if (in_headers && nul_in_header(s, n, err))
		goto out;
	ret = 0;
out:
	free(ps.stack);
	return ret;
}

/* The same limits, exactly, on the tree libetpan built. */
static int check_tree(const struct mailmime *mime, unsigned depth,
		      unsigned *parts, const struct mail_limits *lim,
		      struct buf *err)
{
	clistiter *it;

	if (!mime || mime->mm_type == MAILMIME_SINGLE)
		return 0;
	if (++depth > lim->max_depth) {
		buf_addf(err, "MIME nesting deeper than %u levels",
			 lim->max_depth);
		return -1;
	}
	if (mime->mm_type == MAILMIME_MESSAGE) {
		if (!mime->mm_data.mm_message.mm_msg_mime)
			return 0;
		if (++*parts > lim->max_parts)
			goto too_many;
		return check_tree(mime->mm_data.mm_message.mm_msg_mime, depth,
				  parts, lim, err);
	}
	for (it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list); it;
	     it = clist_next(it)) {
		if (++*parts > lim->max_parts)
			goto too_many;
		if (check_tree(clist_content(it), depth, parts, lim, err))
			return -1;
	}
	return 0;
too_many:
	buf_addf(err, "more than %u MIME parts", lim->max_parts);
	return -1;
}

/* ---- body ------------------------------------------------------------- */

static const char *type_name(const struct mailmime_content *ct)
{
	const struct mailmime_type *t = ct->ct_type;

	if (!t)
		return "";
	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
	    t->tp_data.tp_discrete_type) {
		switch (t->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT:
			return "text";
		case MAILMIME_DISCRETE_TYPE_IMAGE:
			return "image";
		case MAILMIME_DISCRETE_TYPE_AUDIO:
			return "audio";
		case MAILMIME_DISCRETE_TYPE_VIDEO:
			return "video";
		case MAILMIME_DISCRETE_TYPE_APPLICATION:
			return "application";
		case MAILMIME_DISCRETE_TYPE_EXTENSION: {
			const char *e =
				t->tp_data.tp_discrete_type->dt_extension;

			return e ? e : "";
		}
		}
	} else if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
		   t->tp_data.tp_composite_type) {
		switch (t->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE:
			return "message";
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:
			return "multipart";
		case MAILMIME_COMPOSITE_TYPE_EXTENSION: {
			const char *e = t->tp_data.tp_composite_type->ct_token;

			return e ? e : "";
		}
		}
	}
	return "";
}

static int is_type(const struct mailmime_content *ct, const char *type,
		   const char *subtype)
{
	return ct && !strcasecmp(type_name(ct), type) &&
	       (!subtype ||
		(ct->ct_subtype && !strcasecmp(ct->ct_subtype, subtype)));
}

static char *content_type_dup(const struct mailmime_content *ct)
{
	char *s, *c;

	if (!ct)
		return xstrdup("text/plain");
	s = xasprintf("%s/%s", type_name(ct),
		      ct->ct_subtype ? ct->ct_subtype : "");
	c = clean_dup(s);
	free(s);
	return str_lower(c);
}

static int ends_with_icase(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

enum part_kind { PART_OTHER, PART_PLAIN, PART_HTML, PART_PATCH };

static enum part_kind part_kind(struct mailmime *mime, int top)
{
	struct mailmime_content *ct = mime->mm_content_type;
	struct mailmime_single_fields sf;
	const char *fn;

	mailmime_single_fields_init(&sf, mime->mm_mime_fields, ct);
	fn = sf.fld_disposition_filename ? sf.fld_disposition_filename
					 : sf.fld_content_name;
	if (is_type(ct, "text", "x-patch") || is_type(ct, "text", "x-diff") ||
	    (fn &&
	     (ends_with_icase(fn, ".patch") || ends_with_icase(fn, ".diff"))))
		return PART_PATCH;
	if (!ct || is_type(ct, "text", "plain"))
		return PART_PLAIN;
	if (is_type(ct, "text", "html"))
		return PART_HTML;
	/* a lone text/whatever is still what the sender wrote */
	if (top && is_type(ct, "text", NULL))
		return PART_PLAIN;
	return PART_OTHER;
}

static int charset_is(const char *cs, const char *const *names)
{
	for (; *names; names++)
		if (!strcasecmp(cs, *names))
			return 1;
	return 0;
}

/* Latin-1 never fails to convert: the fallback for undeclared 8-bit text. */
static void add_latin1(struct buf *dst, const char *s, size_t n)
{
	char *out = NULL;
	size_t outlen = 0;

	if (charconv_buffer("utf-8", "iso-8859-1", s, n, &out, &outlen) ==
	    MAIL_CHARCONV_NO_ERROR) {
		add_text(dst, out, outlen, TEXT_BODY);
		charconv_buffer_free(out);
	} else {
		add_text(dst, s, n, TEXT_BODY);
	}
}

/* Pure 7-bit text without escapes reads the same in every ASCII superset. */
static int plain_ascii(const char *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if ((w & HIGHS) || HAS_BYTE(w, 0) || HAS_BYTE(w, 0x1b))
			return 0;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!c || c >= 0x80 || c == 0x1b)
			return 0;
	}
	return 1;
}

/* Append text in charset cs to dst as UTF-8; never fails, falls back. */
static void add_charset_text(struct buf *dst, const char *cs, const char *s,
			     size_t n)
{
	static const char *const utf8[] = { "utf-8", "utf8", NULL };
	static const char *const ascii[] = { "us-ascii", "ascii", "",
					     "ansi_x3.4-1968", NULL };
	/* 7-bit encodings that are not ASCII supersets */
	static const char *const seven_bit[] = {
		"utf-7", "utf7", "unicode-1-1-utf-7", "hz-gb-2312", "hz", NULL
	};
	char *out = NULL;
	size_t outlen = 0;
	int r;

	if (charset_is(cs, utf8)) {
		add_text(dst, s, n, TEXT_BODY);
		return;
	}
	if (charset_is(cs, ascii) ||
	    (!charset_is(cs, seven_bit) && plain_ascii(s, n))) {
		if (utf8_valid(s, n))
			add_text(dst, s, n, TEXT_BODY);
		else
			add_latin1(dst, s, n);
		return;
	}
	r = charconv_buffer("utf-8", cs, s, n, &out, &outlen);
	if (r == MAIL_CHARCONV_NO_ERROR) {
		add_text(dst, out, outlen, TEXT_BODY);
		charconv_buffer_free(out);
		return;
	}
	/* bogus charset: trust the bytes when they are UTF-8 */
	if (utf8_valid(s, n))
		add_text(dst, s, n, TEXT_BODY);
	else
		add_latin1(dst, s, n);
}

/* Decode the transfer encoding and charset of a single part into dst. */
static void add_part(struct buf *dst, struct mailmime *mime)
{
	struct mailmime_data *d = mime->mm_data.mm_single;
	const char *s, *cs = "us-ascii";
	char *dec = NULL;
	size_t n, declen = 0, idx = 0;

	if (!d || d->dt_type != MAILMIME_DATA_TEXT ||
	    !d->dt_data.dt_text.dt_data)
		return;
	s = d->dt_data.dt_text.dt_data;
	n = d->dt_data.dt_text.dt_length;
	if ((d->dt_encoding == MAILMIME_MECHANISM_BASE64 ||
	     d->dt_encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) &&
	    mailmime_part_parse(s, n, &idx, d->dt_encoding, &dec, &declen) ==
		    MAILIMF_NO_ERROR) {
		s = dec;
		n = declen;
	}
	if (mime->mm_content_type)
		cs = mailmime_content_charset_get(mime->mm_content_type);
	if (dst->len && dst->s[dst->len - 1] != '\n')
		buf_addch(dst, '\n');
	add_charset_text(dst, cs ? cs : "us-ascii", s, n);
	if (dec)
		mmap_string_unref(dec);
}

struct body {
	struct buf plain, html, patch;
	int have_plain, have_html, have_patch, flowed;
};

static int has_plain(struct mailmime *mime)
{
	clistiter *it;

	if (mime->mm_type == MAILMIME_SINGLE)
		return part_kind(mime, 0) == PART_PLAIN;
	if (mime->mm_type != MAILMIME_MULTIPLE)
		return 0;
	for (it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list); it;
	     it = clist_next(it))
		if (has_plain(clist_content(it)))
			return 1;
	return 0;
}

static void collect(struct body *b, struct mailmime *mime, int top)
{
	clistiter *it;
	struct mailmime *pick = NULL;
	const char *fmt;

	switch (mime->mm_type) {
	case MAILMIME_SINGLE:
		switch (part_kind(mime, top)) {
		case PART_PLAIN:
			add_part(&b->plain, mime);
			b->have_plain = 1;
			fmt = mime->mm_content_type
				      ? mailmime_content_param_get(
						mime->mm_content_type, "format")
				      : NULL;
			if (fmt && !strcasecmp(fmt, "flowed"))
				b->flowed = 1;
			break;
		case PART_HTML:
			add_part(&b->html, mime);
			b->have_html = 1;
			break;
		case PART_PATCH:
			add_part(&b->patch, mime);
			b->have_patch = 1;
			break;
		case PART_OTHER:
			break;
		}
		break;
	case MAILMIME_MULTIPLE:
		if (!is_type(mime->mm_content_type, "multipart",
			     "alternative")) {
			for (it = clist_begin(
				     mime->mm_data.mm_multipart.mm_mp_list);
			     it; it = clist_next(it))
				collect(b, clist_content(it), 0);
			break;
		}
		/* the first alternative with plain text, else the richest */
		for (it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list);
		     it; it = clist_next(it)) {
			pick = clist_content(it);
			if (has_plain(pick))
				break;
		}
		if (pick)
			collect(b, pick, 0);
		break;
	default:
		/* an attached message is not this mail's text */
		break;
	}
}

/* ---- HTML to text ----------------------------------------------------- */

static void ensure_newline(struct buf *out)
{
	if (out->len && out->s[out->len - 1] != '\n')
		buf_addch(out, '\n');
}

static void add_codepoint(struct buf *out, unsigned long cp)
{
	char u[4];

	if (cp == '\r')
		return; /* CRLF normalisation already happened */
	if (!cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		buf_adds(out, replacement_char);
	} else if (cp < 0x80) {
		buf_addch(out, (int)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(out, u, 4);
	}
}

/* Decode the entity at s[i] == '&'; returns the index after it. */
static size_t html_entity(struct buf *out, const char *s, size_t n, size_t i)
{
	static const struct {
		const char *name;
		const char *text;
	} names[] = {
		{ "lt", "<" },	  { "gt", ">" },   { "amp", "&" },
		{ "quot", "\"" }, { "apos", "'" }, { "nbsp", " " },
	};
	size_t j = i + 1, k;

	if (j < n && s[j] == '#') {
		unsigned long cp = 0;
		int hex = j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X');
		size_t digits = 0;

		j += hex ? 2 : 1;
		for (; j < n && digits < 8; j++, digits++) {
			char c = s[j];
			int v;

			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				v = c - 'A' + 10;
			else
				break;
			cp = cp * (hex ? 16 : 10) + (unsigned long)v;
		}
		if (!digits || j >= n || s[j] != ';') {
			buf_addch(out, '&');
			return i + 1;
		}
		add_codepoint(out, cp);
		return j + 1;
	}
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t l = strlen(names[k].name);

		if (n - j > l && !memcmp(s + j, names[k].name, l) &&
		    s[j + l] == ';') {
			buf_adds(out, names[k].text);
			return j + l + 1;
		}
	}
	buf_addch(out, '&');
	return i + 1;
}

/* Handle the markup at s[i] == '<'; returns the index after it. */
static size_t html_tag(struct buf *out, const char *s, size_t n, size_t i)
{
	static const char *const blocks[] = {
		"p",   "div", "tr", "li", "h1",	   "h2",
		"h3",  "h4",  "h5", "h6", "table", "blockquote",
		"pre", "hr",  "ul", "ol", NULL
	};
	char name[16];
	size_t j = i + 1, l = 0;
	const char *gt;
	int closing = 0;

	if (j + 2 < n && !memcmp(s + j, "!--", 3)) {
		const char *end = memmem(s + j + 3, n - j - 3, "-->", 3);

		return end ? (size_t)(end - s) + 3 : n;
	}
	if (j < n && s[j] == '/') {
		closing = 1;
		j++;
	}
	if (j >= n ||
	    !((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
	      (!closing && (s[j] == '!' || s[j] == '?')))) {
		buf_addch(out, '<');
		return i + 1;
	}
	while (j < n && l + 1 < sizeof(name) &&
	       ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
		(s[j] >= '0' && s[j] <= '9')))
		name[l++] = (char)(s[j++] | 0x20);
	name[l] = '\0';
	gt = memchr(s + j, '>', n - j);
	if (!gt)
		return n;
	j = (size_t)(gt - s) + 1;
	if (!closing && (!strcmp(name, "script") || !strcmp(name, "style"))) {
		const char *e = memcasemem(
			s + j, n - j, name[1] == 'c' ? "</script" : "</style");

		if (!e)
			return n;
		gt = memchr(e, '>', n - (size_t)(e - s));
		return gt ? (size_t)(gt - s) + 1 : n;
	}
	if (!strcmp(name, "br")) {
		buf_addch(out, '\n');
	} else {
		const char *const *b;

		for (b = blocks; *b; b++)
			if (!strcmp(name, *b)) {
				ensure_newline(out);
				break;
			}
	}
	return j;
}

/*
 * Text of an HTML part for a reader of plain mail: markup dropped, block
 * elements on their own lines, common entities decoded, no run of blank
 * lines.  Good enough for reviews; a patch in HTML is mangled anyway.
 */
static void html_to_text(struct buf *out, const char *s, size_t n)
{
	struct buf tmp = BUF_INIT(out->max);
	size_t i = 0, blank = 0;

	while (i < n) {
		size_t j = i;

		if (s[i] == '<') {
			i = html_tag(&tmp, s, n, i);
			continue;
		}
		if (s[i] == '&') {
			i = html_entity(&tmp, s, n, i);
			continue;
		}
		while (j < n && s[j] != '<' && s[j] != '&')
			j++;
		buf_add(&tmp, s + i, j - i);
		i = j;
	}
	/* drop trailing blanks on lines and squeeze blank lines */
	for (i = 0; i < tmp.len;) {
		const char *eol = memchr(tmp.s + i, '\n', tmp.len - i);
		size_t ll = eol ? (size_t)(eol - tmp.s) - i : tmp.len - i;
		size_t t = ll;

		while (t &&
		       (tmp.s[i + t - 1] == ' ' || tmp.s[i + t - 1] == '\t'))
			t--;
		if (!t) {
			blank++;
		} else {
			if (blank && out->len)
				buf_addch(out, '\n');
			blank = 0;
			buf_add(out, tmp.s + i, t);
			buf_addch(out, '\n');
		}
		i += ll + 1;
	}
	buf_release(&tmp);
}

/* ---- entry points ----------------------------------------------------- */

/* Is the header field at p (up to its colon) one mailmime_fields_parse() reads? */
static int is_mime_field(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t k = colon ? (size_t)(colon - p) : 0;

	return (k > 8 && !strncasecmp(p, "content-", 8)) ||
	       (k == 12 && !strncasecmp(p, "mime-version", 12));
}

/*
 * Drop from s[0..hdr_end) (the header as mailimf parsed it) every field
 * but the MIME ones, moving the rest of s[0..len) down behind them;
 * returns the new length.  mailmime_parse() parses the whole header again,
 * addresses and dates typed, only to pick out its Content-* fields: that
 * cost more than the MIME structure of most mail.  The fields it stops at
 * are the same ones (a field that is no valid optional field ends both
 * parses), so what follows them reaches it unchanged.
 */
static size_t keep_mime_fields(char *s, size_t hdr_end, size_t len)
{
	size_t i = 0, out = 0;

	while (i < hdr_end) {
		size_t start = i;
		const char *nl;

		/* a field and its continuation lines */
		do {
			nl = memchr(s + i, '\n', hdr_end - i);
			i = nl ? (size_t)(nl - s) + 1 : hdr_end;
		} while (i < hdr_end && (s[i] == ' ' || s[i] == '\t'));
		if (is_mime_field(s + start, i - start)) {
			memmove(s + out, s + start, i - start);
			out += i - start;
		}
	}
	memmove(s + out, s + hdr_end, len - hdr_end);
	return out + len - hdr_end;
}

static void parse_body(struct mail *m, struct mailmime *msg, size_t cap)
{
	struct body b;
	struct buf text = BUF_INIT(cap);

	buf_init(&b.plain, cap);
	buf_init(&b.html, cap);
	buf_init(&b.patch, cap);
	b.have_plain = b.have_html = b.have_patch = b.flowed = 0;
	if (msg)
		collect(&b, msg, 1);
	if (b.have_plain || !b.have_html) {
		m->body = buf_detach(&b.plain, &m->body_len);
	} else {
		html_to_text(&text, b.html.s, b.html.len);
		m->body = buf_detach(&text, &m->body_len);
		m->html_only = 1;
	}
	m->format_flowed = b.have_plain && b.flowed;
	if (b.have_patch)
		m->attached_patch = buf_detach(&b.patch, NULL);
	buf_release(&b.plain);
	buf_release(&b.html);
	buf_release(&b.patch);
}

int mail_parse(struct mail *m, const char *raw, size_t len,
	       const struct mail_limits *lim, struct buf *err)
{
	static const struct mail_limits defaults = MAIL_LIMITS_DEFAULT;
	struct mailimf_fields *hf = NULL;
	struct mailmime *mime = NULL, *msg = NULL;
	unsigned parts = 0;
	size_t idx, cap, copy_len;
	char *copy = NULL;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	if (!lim)
		lim = &defaults;
	m->size = len;
	if (len > lim->max_size) {
		buf_addf(err, "message is %zu bytes, over the limit of %zu",
			 len, lim->max_size);
		goto out;
	}
	/* an mbox "From " line is not a header; ids must not depend on it */
	if (len >= 5 && !memcmp(raw, "From ", 5)) {
		const char *nl = memchr(raw, '\n', len);
		size_t skip = nl ? (size_t)(nl - raw) + 1 : len;

		raw += skip;
		len -= skip;
	}
	if (!len) {
		buf_adds(err, "message is empty");
		goto out;
	}
	if (prescan(raw, len, lim, err))
		goto out;
	/*
	 * libetpan's quoted-printable decoder reads past the end of a part
	 * that ends in "=" (found by fuzz_mail): parse a copy followed by
	 * NUL bytes, so that it reads those instead of someone else's memory.
	 */
	copy = xmalloc(len + 8);
	memcpy(copy, raw, len);
	memset(copy + len, 0, 8);

	idx = 0;
	if (mailimf_optional_fields_parse(copy, len, &idx, &hf) !=
	    MAILIMF_NO_ERROR) {
		hf = NULL;
		buf_adds(err, "cannot parse the header");
		goto out;
	}
	if ((size_t)clist_count(hf->fld_list) > lim->max_headers) {
		buf_addf(err, "more than %zu header fields", lim->max_headers);
		goto out;
	}
	copy_len = keep_mime_fields(copy, idx, len);
	memset(copy + copy_len, 0, 8);
	idx = 0;
	if (mailmime_parse(copy, copy_len, &idx, &mime) != MAILIMF_NO_ERROR) {
		mime = NULL;
		buf_adds(err, "cannot parse the MIME structure");
		goto out;
	}
	if (mime->mm_type == MAILMIME_MESSAGE)
		msg = mime->mm_data.mm_message.mm_msg_mime;
	if (check_tree(msg, 0, &parts, lim, err))
		goto out;

	parse_headers(m, hf);
	if (!m->message_id) {
		char hex[41];

		hash_hex(raw, len, hex);
		m->message_id = xasprintf("synthetic-%s@patchbot.invalid", hex);
		m->message_id_synthetic = 1;
	}
	m->content_type = content_type_dup(msg ? msg->mm_content_type : NULL);
	/* decoding shrinks; charset conversion and U+FFFD can grow */
	cap = lim->max_size < BUF_NOLIMIT / 4 ? lim->max_size * 4 + 1024
					      : BUF_NOLIMIT;
	parse_body(m, msg, cap);
	ret = 0;
out:
	if (hf)
		mailimf_fields_free(hf);
	if (mime)
		mailmime_free(mime);
	free(copy);
	if (ret)
		mail_release(m);
	return ret;
}

static void address_release(struct mail_address *a)
{
	free(a->name);
	free(a->email);
}

void mail_release(struct mail *m)
{
	size_t i;

	for (i = 0; i < m->nr_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->message_id);
	free(m->in_reply_to);
	for (i = 0; i < m->nr_references; i++)
		free(m->references[i]);
	free(m->references);
	free(m->subject);
	address_release(&m->from);
	for (i = 0; i < m->nr_to; i++)
		address_release(&m->to[i]);
	free(m->to);
	for (i = 0; i < m->nr_cc; i++)
		address_release(&m->cc[i]);
	free(m->cc);
	free(m->content_type);
	free(m->body);
	free(m->attached_patch);
	memset(m, 0, sizeof(*m));
}

const struct mail_header *mail_header_next(const struct mail *m,
					   const char *name, size_t *pos)
{
	size_t i;

	for (i = *pos; i < m->nr_headers; i++)
		if (!strcasecmp(m->headers[i].name, name)) {
			*pos = i + 1;
			return &m->headers[i];
		}
	return NULL;
}

const char *mail_header(const struct mail *m, const char *name)
{
	size_t pos = 0;
	const struct mail_header *h = mail_header_next(m, name, &pos);

	return h ? h->value : NULL;
}
