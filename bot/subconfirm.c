/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * subconfirm: the subscription confirmation round trip and one-click
 * unsubscribe by mail (see subs.h).  A request from an unauthenticated
 * sender waits in sub_requests until its token comes back: as a reply to
 * the confirmation mail (its Message-ID is derived from the token, so it
 * cannot be guessed), or as mail to bot+confirm-TOKEN.
 */
#include "subs.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dispatch.h"
#include "header.h"
#include "log.h"
#include "outbox.h"
#include "reply.h"
#include "template.h"
#include "util.h"

static const struct tschema item_schema[] = {
	{ "spec", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

/* templates/subscribe-confirm.txt and subscribe-done.txt */
const struct tschema subs_confirm_schema[] = {
	{ "bot_name", TS_TEXT, NULL },
	{ "address", TS_TEXT, NULL },
	{ "items", TS_LIST, item_schema },
	{ "hours", TS_TEXT, NULL },
	{ "confirm_address", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

const struct tschema subs_done_schema[] = {
	{ "bot_name", TS_TEXT, NULL },
	{ "address", TS_TEXT, NULL },
	{ "items", TS_LIST, item_schema },
	{ "full", TS_BOOL, NULL },
	{ "max", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

/* "local+tag@domain" of the bot's address; NULL when it has no "@". */
static char *tagged(const char *bot, const char *tag)
{
	const char *at = bot ? strrchr(bot, '@') : NULL;

	if (!at)
		return NULL;
	return xasprintf("%.*s+%s%s", (int)(at - bot), bot, tag, at);
}

/* The token of a bot+KIND-TOKEN address in To or Cc, or NULL. */
static char *tag_token(const struct mail *m, const char *bot, const char *kind)
{
	const char *at = bot ? strrchr(bot, '@') : NULL;
	size_t local = at ? (size_t)(at - bot) : 0, klen = strlen(kind);

	if (!at)
		return NULL;
	for (size_t i = 0; i < m->nr_to + m->nr_cc; i++) {
		const char *a = i < m->nr_to ? m->to[i].email : m->cc[i - m->nr_to].email;
		const char *aat = strrchr(a, '@'), *t;

		if (!aat || strcasecmp(aat, at) || strncasecmp(a, bot, local) ||
		    a[local] != '+' || strncasecmp(a + local + 1, kind, klen) ||
		    a[local + 1 + klen] != '-')
			continue;
		t = a + local + 2 + klen;
		if (aat - t == 32)
			return str_lower(xstrndup(t, 32));
	}
	return NULL;
}

/* Send (or rewrite, while still in this transaction) a mail to addr. */
static int send_mail(struct store *st, const struct config *cfg,
		     const char *kind, int64_t cause, const char *to,
		     const char *subject, const char *in_reply_to,
		     const char *msgid, const char *reply_to,
		     const char *template, const struct tvars *v)
{
	struct buf body = BUF_INIT(1 << 20), raw = BUF_INIT(2 << 20);
	struct buf err = BUF_INIT(1024), extra = BUF_INIT(4096);
	struct strlist rcpts = { 0 };
	sqlite3_stmt *s;
	char *subj;
	int r = -1;

	if (template_render_file(cfg->bot_templates, template, v, &body, &err)) {
		log_warnx("%s: %s", template, err.s);
		r = 0;
		goto out;
	}
	if (reply_compose(&(struct reply){
			.from_name = cfg->bot_name, .from_addr = cfg->bot_address,
			.to_addr = to, .subject = subject, .in_reply_to = in_reply_to,
			.message_id = msgid, .date = now_seconds(), .body = body.s,
		}, &raw, &err)) {
		log_warnx("no %s mail to '%s': %s", kind, to, err.s);
		r = 0;
		goto out;
	}
	if (reply_to && !header_add_address(&extra, "Reply-To", NULL, reply_to)) {
		/* reply.c writes no Reply-To: put ours before the body */
		char *sep = strstr(raw.s, "\n\n");

		if (sep) {
			struct buf joined = BUF_INIT(2 << 20);

			buf_add(&joined, raw.s, (size_t)(sep - raw.s) + 1);
			buf_add(&joined, extra.s, extra.len);
			buf_adds(&joined, sep + 1);
			buf_release(&raw);
			raw = joined;
		}
	}
	s = store_stmt(st, "DELETE FROM outbox WHERE message_id = ? AND state = 'pending'");
	if (!s)
		goto out;
	store_bind_text(s, 1, msgid);
	if (store_done(st, s))
		goto out;
	strlist_push(&rcpts, to);
	subj = reply_subject(subject);
	r = outbox_add(st, &(struct outbox_mail){
		.kind = kind, .cause_id = cause, .message_id = msgid,
		.envelope_from = cfg->bot_address, .rcpts = &rcpts,
		.subject = subj, .raw = raw.s, .len = raw.len,
	}) < 0 ? -1 : 0;
	free(subj);
out:
	strlist_clear(&rcpts);
	buf_release(&body);
	buf_release(&raw);
	buf_release(&err);
	buf_release(&extra);
	return r;
}

/* The items of request id into list "items" of v; how many. */
static int64_t request_items(struct store *st, int64_t id, struct tvars *v)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT path, func FROM sub_request_items"
					 " WHERE request_id = ? ORDER BY path, func");
	int64_t n = 0;

	if (!s)
		return -1;
	tvars_set_list(v, "items");
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		char *spec = subs_spec((const char *)sqlite3_column_text(s, 0),
				       (const char *)sqlite3_column_text(s, 1));

		tvars_set(tvars_add_item(v, "items"), "spec", spec);
		free(spec);
		n++;
	}
	sqlite3_reset(s);
	return n;
}

static int64_t count_since(struct store *st, const char *addr, int64_t since)
{
	sqlite3_stmt *s;

	if (addr) {
		s = store_stmt(st, "SELECT count(*) FROM sub_requests"
				   " WHERE address = ? AND created >= ?");
		if (!s)
			return -1;
		store_bind_text(s, 1, addr);
	} else {
		s = store_stmt(st, "SELECT count(*) FROM sub_requests WHERE created >= ?2");
		if (!s)
			return -1;
	}
	sqlite3_bind_int64(s, 2, since);
	return store_int(st, s, -1);
}

int subs_request(struct store *st, const struct config *cfg,
		 const struct mail *m, int64_t msg_row, const char *sender,
		 const char *path, const char *func, struct buf *out)
{
	int64_t now = now_seconds(), id = 0, n;
	char *token = NULL, *msgid = NULL, *confirm = NULL, *data;
	struct tvars *v = NULL;
	sqlite3_stmt *s;
	int r = -2;

	s = store_stmt(st, "SELECT id, token, mail_id FROM sub_requests"
			   " WHERE cause_id = ? AND address = ?");
	if (!s)
		return -2;
	sqlite3_bind_int64(s, 1, msg_row);
	store_bind_text(s, 2, sender);
	if (sqlite3_step(s) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		token = xstrdup((const char *)sqlite3_column_text(s, 1));
		msgid = xstrdup((const char *)sqlite3_column_text(s, 2));
	}
	sqlite3_reset(s);
	if (!id) {
		/* limits against subscription bombing */
		n = count_since(st, sender, now - 86400);
		if (n < 0)
			goto out;
		if ((uint64_t)n >= cfg->sub_max_pending) {
			buf_addf(out, "<%s> was sent %lld confirmation requests today, the most "
				      "patchbot sends (subscribe.maxPending); try again tomorrow",
				 sender, (long long)n);
			r = -1;
			goto out;
		}
		n = count_since(st, NULL, now - 3600);
		if (n < 0)
			goto out;
		if ((uint64_t)n >= cfg->sub_confirmations_per_hour) {
			buf_adds(out, "too many confirmation requests this hour "
				      "(subscribe.confirmationsPerHour); try again later");
			r = -1;
			goto out;
		}
		data = xasprintf("%s\n%s", sender, m->message_id);
		token = subs_token(st, "confirm", data);
		free(data);
		if (!token)
			goto out;
		/* unguessable, like the token: a reply to it proves the mailbox */
		msgid = reply_message_id("confirm", token, cfg->bot_address);
		s = store_stmt(st, "INSERT INTO sub_requests (address, cause_id, token,"
				   " mail_id, created, expires) VALUES (?, ?, ?, ?, ?, ?)");
		if (!s)
			goto out;
		store_bind_text(s, 1, sender);
		sqlite3_bind_int64(s, 2, msg_row);
		store_bind_text(s, 3, token);
		store_bind_text(s, 4, msgid);
		sqlite3_bind_int64(s, 5, now);
		sqlite3_bind_int64(s, 6, now + (int64_t)cfg->sub_confirm_hours * 3600);
		if (store_done(st, s))
			goto out;
		id = sqlite3_last_insert_rowid(st->db);
	}
	s = store_stmt(st, "INSERT OR IGNORE INTO sub_request_items VALUES (?, ?, ?)");
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, path);
	store_bind_text(s, 3, func);
	if (store_done(st, s))
		goto out;
	v = tvars_new();
	if (request_items(st, id, v) < 0)
		goto out;
	{
		char *tag = xasprintf("confirm-%s", token);

		confirm = tagged(cfg->bot_address, tag);
		free(tag);
	}
	tvars_set(v, "bot_name", cfg->bot_name);
	tvars_set(v, "address", sender);
	tvars_setf(v, "hours", "%u", cfg->sub_confirm_hours);
	tvars_set(v, "confirm_address", confirm);
	if (send_mail(st, cfg, "subscribe-confirm", msg_row, sender, m->subject,
		      m->message_id, msgid, confirm, "subscribe-confirm.txt", v))
		goto out;
	buf_addf(out, "a confirmation request went to <%s>: reply to it within %u hours "
		      "to start the subscription", sender, cfg->sub_confirm_hours);
	r = 0;
out:
	tvars_free(v);
	free(token);
	free(msgid);
	free(confirm);
	return r;
}

/* The pending request a reply answers: by its token, or by the Message-ID
 * of its confirmation mail among In-Reply-To and References. */
static int64_t find_request(struct store *st, const struct mail *m,
			    const char *token)
{
	sqlite3_stmt *s;
	int64_t id = 0;

	if (token) {
		s = store_stmt(st, "SELECT id FROM sub_requests WHERE token = ?");
		if (!s)
			return -1;
		store_bind_text(s, 1, token);
		return store_int(st, s, 0);
	}
	s = store_stmt(st, "SELECT id FROM sub_requests WHERE mail_id = ?");
	if (!s)
		return -1;
	if (m->in_reply_to) {
		store_bind_text(s, 1, m->in_reply_to);
		id = store_int(st, s, 0);
	}
	for (size_t i = m->nr_references; !id && i-- > 0;) {
		store_bind_text(s, 1, m->references[i]);
		id = store_int(st, s, 0);
	}
	return id;
}

/* Start the subscriptions of request id; what happened goes to the log. */
static int confirm_request(struct store *st, const struct config *cfg,
			   int64_t id, int64_t msg_row)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT address, state, expires, mail_id"
					 " FROM sub_requests WHERE id = ?");
	char *addr = NULL, *state = NULL, *mail_id = NULL, *done_id = NULL;
	struct tvars *v = NULL;
	int64_t expires = 0, n;
	int r = -1;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		addr = xstrdup((const char *)sqlite3_column_text(s, 0));
		state = xstrdup((const char *)sqlite3_column_text(s, 1));
		expires = sqlite3_column_int64(s, 2);
		mail_id = xstrdup((const char *)sqlite3_column_text(s, 3));
	}
	sqlite3_reset(s);
	if (!addr) {
		r = 0;
		goto out;
	}
	if (strcmp(state, "pending")) {
		log_info("subscription request %lld for %s was already confirmed: token not reused",
			 (long long)id, addr);
		r = 0;
		goto out;
	}
	if (expires < now_seconds()) {
		log_info("subscription request %lld for %s has expired", (long long)id, addr);
		r = 0;
		goto out;
	}
	v = tvars_new();
	n = request_items(st, id, v);
	if (n < 0)
		goto out;
	if (subs_count(st, addr) + n > (int64_t)cfg->sub_max_per_address) {
		log_info("not subscribing %s: over subscribe.maxPerAddress", addr);
		tvars_set_bool(v, "full", true);
	} else {
		s = store_stmt(st, "SELECT path, func FROM sub_request_items WHERE request_id = ?");
		if (!s)
			goto out;
		sqlite3_bind_int64(s, 1, id);
		/* copy first: subs_add runs statements of its own */
		{
			struct strlist items = { 0 };
			int bad = 0;

			while (sqlite3_step(s) == SQLITE_ROW) {
				strlist_push(&items, (const char *)sqlite3_column_text(s, 0));
				strlist_push(&items, (const char *)sqlite3_column_text(s, 1));
			}
			sqlite3_reset(s);
			for (size_t i = 0; i + 1 < items.nr && !bad; i += 2)
				bad = subs_add(st, addr, items.v[i], items.v[i + 1], msg_row) < 0;
			strlist_clear(&items);
			if (bad)
				goto out;
		}
		tvars_set_bool(v, "full", false);
	}
	s = store_stmt(st, "UPDATE sub_requests SET state = 'confirmed', done_at = ?"
			   " WHERE id = ?");
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, now_seconds());
	sqlite3_bind_int64(s, 2, id);
	if (store_done(st, s))
		goto out;
	log_info("subscription request %lld for %s confirmed", (long long)id, addr);
	tvars_set(v, "bot_name", cfg->bot_name);
	tvars_set(v, "address", addr);
	tvars_setf(v, "max", "%u", cfg->sub_max_per_address);
	done_id = reply_message_id("subscribed", mail_id, cfg->bot_address);
	r = send_mail(st, cfg, "subscribe-done", msg_row, addr, "patchbot subscription",
		      mail_id, done_id, NULL, "subscribe-done.txt", v);
out:
	tvars_free(v);
	free(addr);
	free(state);
	free(mail_id);
	free(done_id);
	return r;
}

int subs_handle_mail(struct store *st, const struct config *cfg,
		     const struct mail *m, int64_t msg_row)
{
	char *token;
	int64_t id;
	int r;

	if (!cfg->bot_address)
		return 0;
	/* one-click unsubscribe: the token alone proves the subscription */
	token = tag_token(m, cfg->bot_address, "unsubscribe");
	if (token) {
		struct buf what = BUF_INIT(1024);

		r = subs_remove_token(st, token, &what);
		if (r > 0)
			log_info("unsubscribed %s (one-click address)", what.s);
		else if (!r)
			log_info("no subscription has the unsubscribe token of <%s>",
				 m->message_id);
		buf_release(&what);
		free(token);
		return r < 0 ? -1 : 1;
	}
	/* an auto-reply to the confirmation must not confirm it */
	if (dispatch_never_answer(m, cfg))
		return 0;
	token = tag_token(m, cfg->bot_address, "confirm");
	id = find_request(st, m, token);
	if (id < 0 || (!id && !token)) {
		free(token);
		return id < 0 ? -1 : 0;
	}
	if (!id)
		log_info("<%s> names a confirmation token patchbot never gave", m->message_id);
	free(token);
	if (id && confirm_request(st, cfg, id, msg_row))
		return -1;
	return 1;
}
