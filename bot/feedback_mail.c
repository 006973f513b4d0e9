/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * feedback_mail: the schemas of the feedback templates, and the one mail
 * per version that carries the findings (see feedback.h).
 */
#include "feedback.h"

#include <stdlib.h>
#include <string.h>

#include "feedback_int.h"
#include "log.h"
#include "outbox.h"
#include "reply.h"

static const struct tschema finding_schema[] = {
	{ "text", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

const struct tschema feedback_mail_schema[] = {
	{ "submitter_name", TS_TEXT, NULL },
	{ "title", TS_TEXT, NULL },
	{ "version", TS_TEXT, NULL },
	{ "findings", TS_LIST, finding_schema },
	{ "bot_name", TS_TEXT, NULL },
	{ "prefix", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

static const struct tschema patch_item_schema[] = {
	{ "n", TS_TEXT, NULL },
	{ "total", TS_TEXT, NULL },
	{ "title", TS_TEXT, NULL },
	{ "author", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

/* effect-N.txt and security.txt */
const struct tschema feedback_patches_schema[] = {
	{ "submitter_name", TS_TEXT, NULL },
	{ "patches", TS_LIST, patch_item_schema },
	{ "one", TS_BOOL, NULL },
	{ NULL, 0, NULL },
};

const struct tschema feedback_signoff_schema[] = {
	{ "patches", TS_LIST, patch_item_schema },
	{ "one", TS_BOOL, NULL },
	{ "dco_url", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

static const struct tschema person_schema[] = {
	{ "name", TS_TEXT, NULL },
	{ "addr", TS_TEXT, NULL },
	{ "role", TS_TEXT, NULL },
	{ "section", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

const struct tschema feedback_maintainers_schema[] = {
	{ "people", TS_LIST, person_schema },
	{ NULL, 0, NULL },
};

const struct tschema feedback_too_soon_schema[] = {
	{ "version", TS_TEXT, NULL },
	{ "previous", TS_TEXT, NULL },
	{ "replies", TS_TEXT, NULL },
	{ "hours", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

static const struct tschema route_item_schema[] = {
	{ "text", TS_TEXT, NULL },
	{ "files", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

const struct tschema feedback_route_schema[] = {
	{ "routes", TS_LIST, route_item_schema },
	{ NULL, 0, NULL },
};

/* Split "a b c" (References) into a strlist. */
static void split_refs(const char *refs, struct strlist *out)
{
	const char *p = refs;

	while (*p) {
		size_t len = strcspn(p, " ");

		if (len) {
			char *id = xstrndup(p, len);

			strlist_push(out, id);
			free(id);
		}
		p += len + (p[len] == ' ');
	}
}

static int record_sent(struct fb *f, const char *msgid, int64_t cause_row)
{
	struct buf checks = BUF_INIT(1024);
	sqlite3_stmt *s = store_stmt(f->st,
		"INSERT INTO feedback_sent (version_id, message_id, submitter, checks,"
		" variant, cause_id, created) VALUES (?, ?, ?, ?, ?, ?, ?)");
	int r;

	if (!s)
		return -1;
	for (size_t i = 0; i < f->checks.nr; i++)
		buf_addf(&checks, "%s%s", i ? " " : "", f->checks.v[i]);
	sqlite3_bind_int64(s, 1, f->id);
	store_bind_text(s, 2, msgid);
	store_bind_text(s, 3, f->author_email);
	store_bind_text(s, 4, checks.s);
	if (f->variant)
		sqlite3_bind_int(s, 5, f->variant);
	if (cause_row)
		sqlite3_bind_int64(s, 6, cause_row);
	sqlite3_bind_int64(s, 7, now_seconds());
	r = store_done(f->st, s);
	buf_release(&checks);
	return r;
}

/* Render the mail around the findings and add it to the outbox. */
int feedback_mail_send(struct fb *f, const char *seed, int64_t cause_row)
{
	struct buf body = BUF_INIT(1 << 20), raw = BUF_INIT(2 << 20), err = BUF_INIT(1024);
	struct strlist cc = { 0 }, rcpts = { 0 }, refs = { 0 };
	struct tvars *v = tvars_new();
	char *msgid = reply_message_id("feedback", seed, f->cfg->bot_address), *subject;
	int ret = 0;

	tvars_set(v, "submitter_name", *f->author_name ? f->author_name : f->author_email);
	tvars_set(v, "title", f->title);
	tvars_setf(v, "version", "%d", f->label);
	tvars_set(v, "bot_name", f->cfg->bot_name);
	tvars_set(v, "prefix", f->cfg->command_prefix);
	for (size_t i = 0; i < f->texts.nr; i++)
		tvars_set(tvars_add_item(v, "findings"), "text", f->texts.v[i]);
	if (template_render_file(f->templates, "mail.txt", v, &body, &err)) {
		log_warnx("no feedback for <%s>: %s", f->anchor_id, err.s);
		goto out;
	}
	if (f->cfg->feedback_cc_list && f->cfg->list_address)
		strlist_push(&cc, f->cfg->list_address);
	for (size_t i = 0; i < f->cc.nr; i++)
		strlist_push(&cc, f->cc.v[i]);
	split_refs(f->anchor_refs, &refs);
	buf_reset(&err);
	if (reply_compose(&(struct reply){
		.from_name = f->cfg->bot_name,
		.from_addr = f->cfg->bot_address,
		.to_name = f->author_name,
		.to_addr = f->author_email,
		.cc = &cc,
		.subject = f->anchor_subject,
		.in_reply_to = f->anchor_id,
		.references = refs.v,
		.nr_references = refs.nr,
		.message_id = msgid,
		.date = now_seconds(),
		.body = body.s,
	}, &raw, &err)) {
		log_warnx("no feedback for <%s>: %s", f->anchor_id, err.s);
		goto out;
	}
	strlist_push(&rcpts, f->author_email);
	for (size_t i = 0; i < cc.nr; i++)
		if (!strlist_has_icase(&rcpts, cc.v[i]))
			strlist_push(&rcpts, cc.v[i]);
	subject = reply_subject(f->anchor_subject);
	ret = outbox_add(f->st, &(struct outbox_mail){
		.kind = "feedback",
		.cause_id = cause_row,
		.message_id = msgid,
		.envelope_from = f->cfg->bot_address,
		.rcpts = &rcpts,
		.subject = subject,
		.raw = raw.s,
		.len = raw.len,
	});
	free(subject);
	if (ret == 1)
		ret = record_sent(f, msgid, cause_row);
	else if (ret == 0)
		log_debug(LOG_DB, "feedback <%s> is already in the outbox", msgid);
	log_info("feedback to %s on '%s' v%d: %zu finding(s)", f->author_email,
		 f->title, f->label, f->texts.nr);
out:
	tvars_free(v);
	strlist_clear(&cc);
	strlist_clear(&rcpts);
	strlist_clear(&refs);
	free(msgid);
	buf_release(&body);
	buf_release(&raw);
	buf_release(&err);
	return ret < 0 ? -1 : 0;
}

