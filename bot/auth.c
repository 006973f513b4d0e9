/* SPDX-License-Identifier: GPL-2.0-or-later */
/* auth: parse Authentication-Results (RFC 8601); decide if From is trusted. */
#include "auth.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define AUTHRES_MAX_LEN 4096
#define AUTHRES_MAX_RESULTS 64
/* Comments nest; real ones go two deep.  A cap keeps the walk boring. */
#define AUTHRES_MAX_DEPTH 16

struct parser {
	const char *s;
	size_t i;
};

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_keyword_char(char c)
{
	/* ldh-str (RFC 5321); '_' as well, which some vendors emit */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Skip CFWS: blanks and comments, which nest and may hold quoted-pairs.
 * The value reaches us unfolded, so there is no CRLF to see.
 */
static int skip_cfws(struct parser *p)
{
	for (;;) {
		int depth = 0;

		while (is_wsp(p->s[p->i]))
			p->i++;
		if (p->s[p->i] != '(')
			return 0;
		do {
			char c = p->s[p->i++];

			if (c == '\0')
				return -1;
			if (c == '(' && ++depth > AUTHRES_MAX_DEPTH)
				return -1;
			else if (c == ')')
				depth--;
			else if (c == '\\' && p->s[p->i++] == '\0')
				return -1;
		} while (depth);
	}
}

/* After a token there must be a separator, or two tokens ran together. */
static int at_separator(const struct parser *p)
{
	char c = p->s[p->i];

	return c == '\0' || c == ';' || c == '(' || is_wsp(c);
}

/* A Keyword, as a new lowercased string, or NULL when there is none. */
static char *parse_keyword(struct parser *p)
{
	size_t start = p->i;

	while (is_keyword_char(p->s[p->i]))
		p->i++;
	if (p->i == start)
		return NULL;
	return str_lower(xstrndup(p->s + start, p->i - start));
}

static int parse_quoted(struct parser *p, struct buf *out)
{
	p->i++; /* the opening quote */
	for (;;) {
		char c = p->s[p->i++];

		if (c == '\0')
			return -1;
		if (c == '"')
			return 0;
		if (c == '\\') {
			c = p->s[p->i++];
			if (c == '\0')
				return -1;
		}
		buf_addch(out, c);
	}
}

/*
 * A value: a quoted-string (RFC 2045 value), a quoted local-part followed
 * by "@domain", or a run of anything but blanks, comments, quotes and
 * ';'.  The run is looser than RFC 2045's token because real servers write
 * header.b=base64 with '/', '+' and '=' in it unquoted.
 */
static char *parse_value(struct parser *p)
{
	struct buf b = BUF_INIT(AUTHRES_MAX_LEN);
	size_t start = p->i;

	if (p->s[p->i] == '"') {
		if (parse_quoted(p, &b) < 0) {
			buf_release(&b);
			return NULL;
		}
		if (p->s[p->i] != '@')
			return buf_detach(&b, NULL);
		/* "quoted local"@domain: keep it as written */
		buf_release(&b);
	}
	for (;;) {
		char c = p->s[p->i];

		if (c == '\0' || c == ';' || c == '(' || c == ')' ||
		    c == '"' || c == '\\' || is_wsp(c))
			break;
		p->i++;
	}
	if (p->i == start)
		return NULL;
	return xstrndup(p->s + start, p->i - start);
}

static void result_release(struct authres_result *r)
{
	free(r->method);
	free(r->result);
	free(r->header_d);
	free(r->header_i);
	free(r->header_from);
}

void authres_release(struct authres *a)
{
	size_t i;

	free(a->authserv_id);
	for (i = 0; i < a->nr; i++)
		result_release(&a->results[i]);
	free(a->results);
	memset(a, 0, sizeof(*a));
}

/*
 * Store a property we use.  A second header.d in one result is refused:
 * which of the two would the server have meant?
 */
static int set_property(struct authres_result *r, const char *ptype,
			const char *prop, char *value)
{
	char **slot = NULL;
	int lower = 0;

	if (!strcmp(ptype, "header")) {
		if (!strcmp(prop, "d"))
			slot = &r->header_d, lower = 1;
		else if (!strcmp(prop, "i"))
			slot = &r->header_i;
		else if (!strcmp(prop, "from"))
			slot = &r->header_from, lower = 1;
	}
	if (!slot) {
		free(value);
		return 0;
	}
	if (*slot) {
		free(value);
		return -1;
	}
	*slot = lower ? str_lower(value) : value;
	return 0;
}

/*
 * The properties after "method=result": reasonspec and propspecs.  Bare
 * "key=value" pairs (Microsoft writes "action=none") are skipped rather
 * than refused; they carry nothing we read.
 */
static int parse_properties(struct parser *p, struct authres_result *r)
{
	for (;;) {
		char *ptype, *prop = NULL, *value = NULL;
		int ret;

		if (skip_cfws(p) < 0)
			return -1;
		if (p->s[p->i] == '\0' || p->s[p->i] == ';')
			return 0;
		ptype = parse_keyword(p);
		if (!ptype || skip_cfws(p) < 0)
			goto bad;
		if (p->s[p->i] == '.') {
			p->i++;
			if (skip_cfws(p) < 0 || !(prop = parse_keyword(p)) ||
			    skip_cfws(p) < 0)
				goto bad;
		}
		if (p->s[p->i] != '=')
			goto bad;
		p->i++;
		if (skip_cfws(p) < 0 || !(value = parse_value(p)) ||
		    !at_separator(p))
			goto bad;
		/* set_property() takes value, whatever it returns */
		ret = prop ? set_property(r, ptype, prop, value) : 0;
		if (!prop)
			free(value);
		free(ptype);
		free(prop);
		if (ret < 0)
			return -1;
		continue;
bad:
		free(ptype);
		free(prop);
		free(value);
		return -1;
	}
}

/* One resinfo after its ';': methodspec [reasonspec] *propspec. */
static int parse_resinfo(struct parser *p, struct authres_result *r)
{
	if (skip_cfws(p) < 0 || !(r->method = parse_keyword(p)) ||
	    skip_cfws(p) < 0)
		return -1;
	if (p->s[p->i] == '/') { /* method-version */
		p->i++;
		if (skip_cfws(p) < 0 || !is_digit(p->s[p->i]))
			return -1;
		while (is_digit(p->s[p->i]))
			p->i++;
		if (skip_cfws(p) < 0)
			return -1;
	}
	if (p->s[p->i] != '=')
		return -1;
	p->i++;
	if (skip_cfws(p) < 0 || !(r->result = parse_keyword(p)) ||
	    !at_separator(p))
		return -1;
	return parse_properties(p, r);
}

static int parse_version(struct parser *p)
{
	size_t save = p->i;

	while (is_digit(p->s[p->i]))
		p->i++;
	if (p->i > save && !at_separator(p))
		p->i = save; /* not a version after all: let the caller fail */
	return skip_cfws(p);
}

int authres_parse(const char *value, struct authres *out)
{
	struct parser p = { .s = value, .i = 0 };
	size_t len;
	int saw_none = 0;

	memset(out, 0, sizeof(*out));
	if (!value)
		return -1;
	len = strnlen(value, AUTHRES_MAX_LEN + 1);
	if (len > AUTHRES_MAX_LEN)
		return -1;
	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)value[k];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}

	if (skip_cfws(&p) < 0 || !(out->authserv_id = parse_value(&p)) ||
	    !at_separator(&p))
		goto bad;
	str_lower(out->authserv_id);
	if (skip_cfws(&p) < 0 || parse_version(&p) < 0)
		goto bad;

	for (;;) {
		struct authres_result *r;
		size_t save;

		if (skip_cfws(&p) < 0)
			goto bad;
		if (p.s[p.i] == '\0')
			break;
		if (p.s[p.i] != ';' || saw_none)
			goto bad;
		p.i++;
		if (skip_cfws(&p) < 0)
			goto bad;
		/* a ';' after the last result is common and harmless */
		if (p.s[p.i] == '\0' && out->nr)
			break;

		/* no-result: "; none", alone */
		save = p.i;
		if (!out->nr && !strncasecmp(p.s + p.i, "none", 4)) {
			p.i += 4;
			if (skip_cfws(&p) < 0)
				goto bad;
			if (p.s[p.i] == '\0' || p.s[p.i] == ';') {
				saw_none = 1;
				continue;
			}
			p.i = save;
		}

		if (out->nr >= AUTHRES_MAX_RESULTS)
			goto bad;
		ALLOC_GROW(out->results, out->nr + 1, out->alloc);
		r = &out->results[out->nr++];
		memset(r, 0, sizeof(*r));
		if (parse_resinfo(&p, r) < 0)
			goto bad;
	}
	if (!out->nr && !saw_none)
		goto bad;
	return 0;
bad:
	authres_release(out);
	return -1;
}

/*
 * Without the Public Suffix List we cannot find the organizational domain,
 * so a d= with no dot ("com") is refused: it would otherwise align with
 * every domain under that TLD.  For the same reason siblings (a.example.org
 * and b.example.org) do not align here although they do under DMARC's
 * relaxed mode; only equal domains and parent/child pairs do.
 */
static int plausible_domain(const char *d)
{
	size_t n = strlen(d);

	return n && d[0] != '.' && d[n - 1] != '.' && strchr(d, '.') &&
	       !strstr(d, "..");
}

/* Is child a subdomain of parent ("x.example.org" of "example.org")? */
static int is_subdomain(const char *child, const char *parent)
{
	size_t c = strlen(child), n = strlen(parent);

	return c > n + 1 && child[c - n - 1] == '.' &&
	       !strcasecmp(child + c - n, parent);
}

bool auth_domain_aligns(const char *d, const char *from_domain)
{
	if (!d || !from_domain || !plausible_domain(d) ||
	    !plausible_domain(from_domain))
		return false;
	return !strcasecmp(d, from_domain) || is_subdomain(from_domain, d) ||
	       is_subdomain(d, from_domain);
}

static void say(struct buf *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct buf *why, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	va_start(ap, fmt);
	buf_vaddf(why, fmt, ap);
	va_end(ap);
}

/*
 * The verdict of one result on from_domain: 1 and the why of a pass, 0 and
 * the why of a failure, or -1 when the method is not one we read.
 */
static int verdict(const struct authres_result *r, const char *from_domain,
		   char **reason)
{
	int pass = !strcmp(r->result, "pass");
	const char *d;

	if (!strcmp(r->method, "dkim")) {
		d = r->header_d ? r->header_d : "no domain";
		if (!pass)
			*reason = xasprintf("dkim=%s for '%s'", r->result, d);
		else if (!auth_domain_aligns(r->header_d, from_domain))
			*reason = xasprintf("DKIM signature is for '%s', "
					    "not aligned with '%s'", d, from_domain);
		else
			*reason = xasprintf("dkim=pass for '%s', aligned "
					    "with '%s'", d, from_domain);
		return pass && auth_domain_aligns(r->header_d, from_domain);
	}
	if (!strcmp(r->method, "dmarc")) {
		d = r->header_from ? r->header_from : "no domain";
		pass = pass && r->header_from &&
		       !strcasecmp(r->header_from, from_domain);
		if (pass)
			*reason = xasprintf("dmarc=pass for '%s'", d);
		else if (!strcmp(r->result, "pass"))
			*reason = xasprintf("dmarc=pass is for '%s', not '%s'",
					    d, from_domain);
		else
			*reason = xasprintf("dmarc=%s for '%s'", r->result, d);
		return pass;
	}
	return -1;
}

/*
 * Look through the results of the trusted header.  The first reason for
 * failing is kept: it is usually the one a user needs to hear.
 */
static int check_results(const struct authres *ar, const char *from_domain,
			 struct buf *why)
{
	char *first = NULL;
	size_t i;

	for (i = 0; i < ar->nr; i++) {
		char *reason = NULL;
		int v = verdict(&ar->results[i], from_domain, &reason);

		if (v == 1) {
			say(why, "%s", reason);
			free(reason);
			free(first);
			return 1;
		}
		if (!first)
			first = reason;
		else
			free(reason);
	}
	if (first)
		say(why, "%s", first);
	else
		say(why, "no dkim or dmarc result from '%s'", ar->authserv_id);
	free(first);
	return 0;
}

int auth_from_is_authenticated(const struct mail *m,
			       const char *trusted_authserv_id,
			       struct buf *why)
{
	const struct mail_header *h;
	struct authres ar;
	char *from_domain;
	const char *at;
	size_t pos = 0;
	int ret;

	if (!trusted_authserv_id || !*trusted_authserv_id) {
		say(why, "no trusted authserv-id is configured");
		return 0;
	}
	if (!m->from.email || !(at = strrchr(m->from.email, '@')) || !at[1]) {
		say(why, "the mail has no usable From address");
		return 0;
	}
	/*
	 * mail.h keeps the first From only; with two, a reader may be shown
	 * the other one, so neither is vouched for.
	 */
	if (mail_header_next(m, "From", &pos) &&
	    mail_header_next(m, "From", &pos)) {
		say(why, "more than one From header");
		return 0;
	}

	/*
	 * Only the topmost header: it was added last, by the server nearest
	 * to us.  Anything below it was there when the mail reached that
	 * server and may be forged, trusted id or not.
	 */
	pos = 0;
	h = mail_header_next(m, "Authentication-Results", &pos);
	if (!h) {
		say(why, "no Authentication-Results from '%s'",
		    trusted_authserv_id);
		return 0;
	}
	if (authres_parse(h->value, &ar) < 0) {
		say(why, "the topmost Authentication-Results is malformed");
		return 0;
	}
	if (strcasecmp(ar.authserv_id, trusted_authserv_id)) {
		say(why, "the topmost Authentication-Results is from '%s', "
			 "not '%s'", ar.authserv_id, trusted_authserv_id);
		authres_release(&ar);
		return 0;
	}

	from_domain = str_lower(xstrdup(at + 1));
	ret = check_results(&ar, from_domain, why);
	free(from_domain);
	authres_release(&ar);
	return ret;
}
