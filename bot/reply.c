/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reply: compose threaded, automatic reply mail (see reply.h). */
#include "reply.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "header.h"

/* References we carry over: the nearest ones matter, and lines stay short. */
#define MAX_REFERENCES 20

char *reply_message_id(const char *kind, const char *cause_msgid,
		       const char *bot_addr)
{
	const char *at = bot_addr ? strrchr(bot_addr, '@') : NULL;
	char *seed = xasprintf("%s\n%s", kind, cause_msgid);
	char hex[41], *id;

	hash_hex(seed, strlen(seed), hex);
	id = xasprintf("patchbot.%s.%.24s@%s", kind, hex,
		       at && header_addr_ok(bot_addr) ? at + 1 : "patchbot.invalid");
	free(seed);
	return id;
}

char *reply_subject(const char *subject)
{
	const char *s = subject ? subject : "";

	while (*s == ' ')
		s++;
	if (starts_with_icase(s, "re:"))
		return xstrdup(s);
	return xasprintf("Re: %s", s);
}

/* A Message-ID is safe in a header when it has no white space or <>. */
static int msgid_ok(const char *id)
{
	return id && *id && strlen(id) < 900 && !strpbrk(id, " \t\r\n<>");
}

int reply_compose(const struct reply *r, struct buf *out, struct buf *err)
{
	char date[64], *subject;
	time_t t = (time_t)r->date;
	struct tm tm;
	size_t first;

	if (!header_addr_ok(r->from_addr) || !header_addr_ok(r->to_addr)) {
		buf_addf(err, "cannot reply to '%s': not a usable address",
			 r->to_addr ? r->to_addr : "");
		return -1;
	}
	if (!msgid_ok(r->message_id)) {
		buf_adds(err, "cannot reply: bad Message-ID for the reply");
		return -1;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	header_add_address(out, "From", r->from_name, r->from_addr);
	header_add_address(out, "To", r->to_name, r->to_addr);
	if (r->cc && r->cc->nr) {
		struct buf cc = BUF_INIT(BUF_NOLIMIT);

		for (size_t i = 0; i < r->cc->nr; i++) {
			if (!header_addr_ok(r->cc->v[i]))
				continue;
			buf_addf(&cc, "%s%s", cc.len ? ",\n " : "", r->cc->v[i]);
		}
		if (cc.len)
			buf_addf(out, "Cc: %s\n", cc.s);
		buf_release(&cc);
	}
	subject = reply_subject(r->subject);
	header_add_text(out, "Subject", subject);
	free(subject);
	buf_addf(out, "Date: %s\n", date);
	buf_addf(out, "Message-ID: <%s>\n", r->message_id);
	if (msgid_ok(r->in_reply_to)) {
		buf_addf(out, "In-Reply-To: <%s>\n", r->in_reply_to);
		buf_adds(out, "References:");
		first = r->nr_references > MAX_REFERENCES - 1
			? r->nr_references - (MAX_REFERENCES - 1) : 0;
		for (size_t i = first; i < r->nr_references; i++)
			if (msgid_ok(r->references[i]))
				buf_addf(out, "\n <%s>", r->references[i]);
		buf_addf(out, "\n <%s>\n", r->in_reply_to);
	}
	buf_adds(out, "MIME-Version: 1.0\n"
		      "Content-Type: text/plain; charset=utf-8\n"
		      "Content-Transfer-Encoding: 8bit\n"
		      "Auto-Submitted: auto-replied\n");
	buf_addf(out, "X-Loop: %s\n\n", r->from_addr);
	buf_adds(out, r->body);
	if (out->len && out->s[out->len - 1] != '\n')
		buf_addch(out, '\n');
	return 0;
}
