/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dispatch: find the commands in a mail, enforce who may do what, run
 * them, and queue one transcript reply, all in the transaction that stores
 * the mail (see dispatch.h).
 */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "command.h"
#include "feedback.h"
#include "log.h"
#include "notice.h"
#include "outbox.h"
#include "parse.h"
#include "reply.h"
#include "subs.h"
#include "util.h"

extern const struct tschema help_schema[];
extern const struct tschema status_schema[];
extern const struct tschema subs_confirm_schema[];
extern const struct tschema subs_done_schema[];
extern const struct tschema subs_notice_schema[];

static const struct tschema command_result_schema[] = {
	{ "line", TS_TEXT, NULL },
	{ "ok", TS_BOOL, NULL },
	{ "error", TS_BOOL, NULL },
	{ "deferred", TS_BOOL, NULL },
	{ "result", TS_TEXT, NULL },
	{ "usage", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

static const struct tschema transcript_schema[] = {
	{ "bot_name", TS_TEXT, NULL },
	{ "sender_name", TS_TEXT, NULL },
	{ "subject", TS_TEXT, NULL },
	{ "prefix", TS_TEXT, NULL },
	{ "commands", TS_LIST, command_result_schema },
	{ "dropped", TS_TEXT, NULL },
	{ "max_commands", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

const struct shipped_template shipped_templates[] = {
	{ "transcript.txt", transcript_schema },
	{ "help.txt", help_schema },
	{ "status.txt", status_schema },
	{ "queue-added.txt", notice_schema },
	{ "queue-removed.txt", notice_schema },
	{ "queue-moved.txt", notice_schema },
	{ "queue-superseded.txt", notice_schema },
	{ "queue-folded.txt", notice_schema },
	{ "feedback/mail.txt", feedback_mail_schema },
	{ "feedback/effect-1.txt", feedback_patches_schema },
	{ "feedback/effect-2.txt", feedback_patches_schema },
	{ "feedback/effect-3.txt", feedback_patches_schema },
	{ "feedback/effect-4.txt", feedback_patches_schema },
	{ "feedback/effect-5.txt", feedback_patches_schema },
	{ "feedback/effect-6.txt", feedback_patches_schema },
	{ "feedback/security.txt", feedback_patches_schema },
	{ "feedback/maintainers.txt", feedback_maintainers_schema },
	{ "feedback/too-soon.txt", feedback_too_soon_schema },
	{ "feedback/route.txt", feedback_route_schema },
	{ "feedback/signoff.txt", feedback_signoff_schema },
	{ "subscribe-confirm.txt", subs_confirm_schema },
	{ "subscribe-done.txt", subs_done_schema },
	{ "notice-subscription.txt", subs_notice_schema },
	{ NULL, NULL },
};

#define MAX_COMMANDS 20

/* Is addr the bot's address, or its address with a +tag? */
static bool is_bot_address(const char *addr, const char *bot)
{
	const char *at = strrchr(bot, '@'), *aat = strrchr(addr, '@');
	size_t local = (size_t)(at - bot);

	if (!at || !aat || strcasecmp(at, aat))
		return false;
	if ((size_t)(aat - addr) == local)
		return !strncasecmp(addr, bot, local);
	return (size_t)(aat - addr) > local && addr[local] == '+' &&
	       !strncasecmp(addr, bot, local);
}

static bool addressed_to_bot(const struct mail *m, const char *bot)
{
	for (size_t i = 0; i < m->nr_to; i++)
		if (is_bot_address(m->to[i].email, bot))
			return true;
	for (size_t i = 0; i < m->nr_cc; i++)
		if (is_bot_address(m->cc[i].email, bot))
			return true;
	return false;
}

static char *trimmed(const char *s)
{
	return str_trim_dup(s, strlen(s));
}

const char *dispatch_never_answer(const struct mail *m, const struct config *cfg)
{
	const struct mail_header *h;
	const char *v, *at;
	size_t pos = 0;

	if (!*m->from.email)
		return "it has no From address";
	if (cfg->bot_address && is_bot_address(m->from.email, cfg->bot_address))
		return "it is the bot's own mail";
	at = strrchr(m->from.email, '@');
	if (at && (!strncasecmp(m->from.email, "mailer-daemon", (size_t)(at - m->from.email)) ||
		   !strncasecmp(m->from.email, "postmaster", (size_t)(at - m->from.email))))
		return "it comes from a mailer daemon";
	v = mail_header(m, "Auto-Submitted");
	if (v) {
		char *t = trimmed(v);
		bool no = !strcasecmp(t, "no") || starts_with_icase(t, "no;") ||
			  starts_with_icase(t, "no ");

		free(t);
		if (!no)
			return "it is automatic mail (Auto-Submitted)";
	}
	v = mail_header(m, "Return-Path");
	if (v && strstr(v, "<>"))
		return "it is a bounce (null return path)";
	if (m->content_type && !strcmp(m->content_type, "multipart/report"))
		return "it is a delivery or read report";
	while ((h = mail_header_next(m, "X-Loop", &pos))) {
		char *t = trimmed(h->value);
		bool ours = cfg->bot_address && !strcasecmp(t, cfg->bot_address);

		free(t);
		if (ours)
			return "it carries our X-Loop header";
	}
	v = mail_header(m, "Precedence");
	if (v) {
		char *t = trimmed(v);
		bool bulk = !strcasecmp(t, "bulk") || !strcasecmp(t, "junk");

		free(t);
		if (bulk)
			return "it is bulk mail (Precedence)";
	}
	return NULL;
}

static int record_suppressed(struct store *st, int64_t row, const char *reason)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO suppressed (message_id, reason, created) VALUES (?, ?, ?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, row);
	store_bind_text(s, 2, reason);
	sqlite3_bind_int64(s, 3, now_seconds());
	return store_done(st, s);
}

static int record_command(struct cmd_ctx *c, size_t idx, const struct cmdline *cl,
			  const char *status, const char *detail)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"INSERT INTO commands (message_id, idx, sender, line, name, status,"
		" detail, version_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->msg_row);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)idx);
	store_bind_text(s, 3, c->sender);
	store_bind_text(s, 4, cl->text);
	store_bind_text(s, 5, cl->argv[0]);
	store_bind_text(s, 6, status);
	store_bind_text(s, 7, detail);
	if (c->version_id)
		sqlite3_bind_int64(s, 8, c->version_id);
	sqlite3_bind_int64(s, 9, now_seconds());
	return store_done(c->st, s);
}

/* The default argument parser: at most one "vN". */
static int parse_version_only(struct cmd_args *a, struct buf *err)
{
	for (int i = 1; i < a->argc; i++) {
		int v = command_version_arg(a->argv[i]);

		if (v && !a->version) {
			a->version = v;
			continue;
		}
		buf_addf(err, "'%s' takes no argument '%s'", a->argv[0], a->argv[i]);
		return -1;
	}
	return 0;
}

/* "this thread belongs to 'foo' which has v1, v2 and v3" */
static void describe_series(struct cmd_ctx *c, int64_t series_id, struct buf *out)
{
	sqlite3_stmt *s = store_stmt(c->st, "SELECT title FROM series WHERE id = ?");
	int n = 0, total;

	if (!s)
		return;
	sqlite3_bind_int64(s, 1, series_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		buf_addf(out, "this thread belongs to '%s' which has ",
			 (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	s = store_stmt(c->st, "SELECT count(*) FROM versions WHERE series_id = ?");
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, series_id);
	total = (int)store_int(c->st, s, 0);
	s = store_stmt(c->st, "SELECT version FROM versions WHERE series_id = ?"
			      " ORDER BY version");
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, series_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		n++;
		buf_addf(out, "%sv%d", n == 1 ? "" : n == total ? " and " : ", ",
			 sqlite3_column_int(s, 0));
	}
	sqlite3_reset(s);
}

/* Settle which series and version the command is about. */
static int resolve_series(struct cmd_ctx *c, const struct cmd_args *a,
			  struct buf *err)
{
	sqlite3_stmt *s;

	if (!c->thread_version) {
		buf_adds(err, "this mail does not reply to a patch series patchbot knows");
		return -1;
	}
	s = store_stmt(c->st, "SELECT series_id FROM versions WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->thread_version);
	c->series_id = store_int(c->st, s, 0);
	c->version_id = c->thread_version;
	if (!a->version)
		return 0;
	s = store_stmt(c->st, "SELECT id FROM versions WHERE series_id = ? AND version = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, c->series_id);
	sqlite3_bind_int(s, 2, a->version);
	c->version_id = store_int(c->st, s, 0);
	if (c->version_id)
		return 0;
	describe_series(c, c->series_id, err);
	buf_addf(err, "; there is no v%d", a->version);
	return -1;
}

static bool is_series_author(struct cmd_ctx *c)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT 1 FROM versions WHERE id = ? AND author_email = ?");

	if (!s)
		return false;
	sqlite3_bind_int64(s, 1, c->version_id);
	store_bind_text(s, 2, c->sender);
	return store_int(c->st, s, 0) == 1;
}

/* Run one command line; its result text goes to c->out. */
static enum cmd_result run_one(struct cmd_ctx *c, const struct cmdline *cl,
			       const char **usage)
{
	const struct command *cmd = command_find(cl->argv[0]);
	struct cmd_args a = { .argc = (int)cl->argc, .argv = cl->argv };
	struct buf err = BUF_INIT(4096);
	enum cmd_result r = CMD_ERROR;

	*usage = NULL;
	c->series_id = 0;
	c->version_id = 0;
	if (!cmd) {
		const char *near = command_nearest(cl->argv[0]);

		buf_addf(c->out, "unknown command '%s'", cl->argv[0]);
		if (near)
			buf_addf(c->out, "; did you mean '%s'?", near);
		return CMD_ERROR;
	}
	*usage = cmd->usage;
	if ((cmd->parse ? cmd->parse(&a, &err) : parse_version_only(&a, &err)))
		goto fail;
	if (((cmd->needs & NEEDS_SERIES) || a.version) && resolve_series(c, &a, &err))
		goto fail;
	if (cmd->role == ROLE_MAINTAINER && !c->maintainer) {
		buf_addf(&err, "only a maintainer of this tree may use '%s'", cmd->name);
		goto fail;
	}
	if (cmd->role == ROLE_SUBMITTER && !c->maintainer && !is_series_author(c)) {
		buf_addf(&err, "only the author of this series or a maintainer may use '%s'",
			 cmd->name);
		goto fail;
	}
	if ((cmd->needs & NEEDS_AUTH) && !c->authenticated) {
		buf_addf(&err, "'%s' changes the queue and needs an authenticated sender: "
			       "the receiving server did not confirm a DKIM or DMARC pass for <%s>",
			 cmd->name, c->sender);
		goto fail;
	}
	*usage = NULL;
	r = cmd->run(c, &a);
	if (r == CMD_ERROR)
		*usage = cmd->usage;
	goto out;
fail:
	buf_add(c->out, err.s, err.len);
out:
	free(a.text);
	buf_release(&err);
	return r;
}

static const char *result_name(enum cmd_result r)
{
	return r == CMD_OK ? "ok" : r == CMD_DEFERRED ? "deferred" : "error";
}

/*
 * How many of patchbot's own transcripts the thread above m holds.  Two
 * bots answering each other build a thread that alternates between them;
 * people rarely reply to patchbot's replies more than once or twice.
 */
static int64_t own_replies_above(struct store *st, const struct mail *m)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT count(*) FROM outbox WHERE message_id = ? AND kind = 'transcript'");
	int64_t n = 0;

	if (!s)
		return -1;
	for (size_t i = 0; i <= m->nr_references; i++) {
		const char *id = i < m->nr_references ? m->references[i] : m->in_reply_to;

		/* In-Reply-To is usually the last of References */
		if (!id || (i == m->nr_references && m->nr_references &&
			    !strcmp(id, m->references[m->nr_references - 1])))
			continue;
		sqlite3_reset(s);
		store_bind_text(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW)
			n += sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	return n;
}

/* Is another reply to sender allowed now?  NULL, or why not. */
static const char *rate_limited(struct store *st, const struct config *cfg,
				const char *sender)
{
	int64_t hour_ago = now_seconds() - 3600;
	int64_t n = outbox_count_since(st, sender, hour_ago);

	if (n < 0)
		return NULL;
	if ((uint64_t)n >= cfg->replies_per_sender)
		return "the per-sender reply limit (limits.repliesPerSender) was reached";
	n = outbox_count_since(st, NULL, hour_ago);
	if (n >= 0 && (uint64_t)n >= cfg->replies_per_hour)
		return "the global reply limit (limits.repliesPerHour) was reached";
	return NULL;
}

static int queue_transcript(struct cmd_ctx *c, const struct cmdlist *cl,
			    struct tvars *tv)
{
	struct buf body = BUF_INIT(1 << 20), raw = BUF_INIT(2 << 20), err = BUF_INIT(1024);
	struct strlist rcpts = { 0 };
	char *msgid, *subject;
	struct reply r;
	int ret = -1;

	(void)cl;
	if (template_render_file(c->templates, "transcript.txt", tv, &body, &err)) {
		/* a broken template must not lose the answer */
		log_warnx("transcript template: %s", err.s);
		buf_reset(&body);
		buf_addf(&body, "patchbot could not render its reply template (%s).\n"
				"Your commands were carried out; ask the maintainer for details.\n",
			 err.s);
	}
	msgid = reply_message_id("transcript", c->m->message_id, c->cfg->bot_address);
	r = (struct reply){
		.from_name = c->cfg->bot_name,
		.from_addr = c->cfg->bot_address,
		.to_name = c->m->from.name,
		.to_addr = c->sender,
		.subject = c->m->subject,
		.in_reply_to = c->m->message_id,
		.references = c->m->references,
		.nr_references = c->m->nr_references,
		.message_id = msgid,
		.date = now_seconds(),
		.body = body.s,
	};
	buf_reset(&err);
	if (reply_compose(&r, &raw, &err)) {
		log_warnx("no transcript for <%s>: %s", c->m->message_id, err.s);
		ret = record_suppressed(c->st, c->msg_row, err.s);
		goto out;
	}
	strlist_push(&rcpts, c->sender);
	subject = reply_subject(c->m->subject);
	ret = outbox_add(c->st, &(struct outbox_mail){
		.kind = "transcript",
		.cause_id = c->msg_row,
		.message_id = msgid,
		.envelope_from = c->cfg->bot_address,
		.rcpts = &rcpts,
		.subject = subject,
		.raw = raw.s,
		.len = raw.len,
	});
	free(subject);
	ret = ret < 0 ? -1 : 0;
out:
	strlist_clear(&rcpts);
	free(msgid);
	buf_release(&body);
	buf_release(&raw);
	buf_release(&err);
	return ret;
}

int dispatch_mail(struct store *st, const struct config *cfg,
		  const struct mail *m, int64_t row, int64_t thread_version,
		  struct dispatch_stats *stats)
{
	struct cmdlist cl = { 0 };
	struct cmdparse_opts o;
	struct tvars *tv = NULL;
	struct buf why = BUF_INIT(1024);
	struct cmd_ctx c;
	const char *no, *ct;
	char *sender = NULL;
	bool elsewhere;
	int ret = 0;

	if (!cfg || !cfg->bot_address || !m->body)
		return 0;
	/*
	 * A reply to a subscription confirmation, or mail to a one-click
	 * unsubscribe address, is no command mail: subs.c takes it whole.
	 */
	ret = subs_handle_mail(st, cfg, m, row);
	if (ret)
		return ret < 0 ? -1 : 0;
	ct = mail_header(m, "Content-Type");
	o = (struct cmdparse_opts){
		.prefix = cfg->command_prefix,
		.bare_allowed = addressed_to_bot(m, cfg->bot_address),
		.is_command = command_is_known,
		.format_flowed = m->format_flowed,
		.delsp = ct && strcasestr(ct, "delsp=yes"),
		.max_commands = MAX_COMMANDS,
	};
	if (!cmdparse(m->body, m->body_len, &o, &cl))
		goto out;
	no = dispatch_never_answer(m, cfg);
	if (no) {
		log_info("not answering the %zu command(s) in <%s>: %s", cl.nr,
			 m->message_id, no);
		if (stats)
			stats->ignored++;
		ret = record_suppressed(st, row, no);
		goto out;
	}
	if (cfg->thread_replies &&
	    own_replies_above(st, m) >= (int64_t)cfg->thread_replies) {
		no = "its thread already holds limits.threadReplies of patchbot's "
		     "replies (a loop with another bot?)";
		log_warnx("not answering the %zu command(s) in <%s>: %s", cl.nr,
			  m->message_id, no);
		if (stats)
			stats->suppressed++;
		ret = record_suppressed(st, row, no);
		goto out;
	}
	sender = str_lower(xstrdup(m->from.email));
	c = (struct cmd_ctx){
		.st = st,
		.cfg = cfg,
		.m = m,
		.msg_row = row,
		.sender = sender,
		.maintainer = strlist_has_icase(&cfg->maintainers, sender),
		.thread_version = thread_version,
		.templates = cfg->bot_templates,
	};
	c.authenticated = !cfg->auth_require_dkim ||
		auth_from_is_authenticated(m, cfg->auth_trusted_authserv_id, &why) == 1;
	tv = tvars_new();
	tvars_set(tv, "bot_name", cfg->bot_name);
	tvars_set(tv, "sender_name", *m->from.name ? m->from.name : sender);
	tvars_set(tv, "subject", m->subject);
	tvars_set(tv, "prefix", cfg->command_prefix);
	tvars_setf(tv, "max_commands", "%d", MAX_COMMANDS);
	tvars_set(tv, "dropped", "");
	if (cl.dropped)
		tvars_setf(tv, "dropped", "%zu", cl.dropped);
	tvars_set_list(tv, "commands");
	elsewhere = cl.nr > 0;
	for (size_t i = 0; i < cl.nr; i++) {
		struct buf result = BUF_INIT(256 << 10);
		struct tvars *item = tvars_add_item(tv, "commands");
		const char *usage;
		enum cmd_result r;

		c.out = &result;
		c.answered_elsewhere = false;
		r = run_one(&c, &cl.items[i], &usage);
		elsewhere = elsewhere && c.answered_elsewhere;
		buf_rtrim(&result);
		tvars_set(item, "line", cl.items[i].text);
		tvars_set_bool(item, "ok", r == CMD_OK);
		tvars_set_bool(item, "error", r == CMD_ERROR);
		tvars_set_bool(item, "deferred", r == CMD_DEFERRED);
		tvars_set(item, "result", result.s);
		tvars_set(item, "usage", usage ? usage : "");
		log_info("command '%s' from %s: %s", cl.items[i].text, sender, result_name(r));
		ret = record_command(&c, i, &cl.items[i], result_name(r), result.s);
		buf_release(&result);
		if (ret)
			goto out;
		if (stats)
			stats->commands++;
	}
	if (elsewhere) {
		log_info("no transcript for <%s>: a subscription confirmation answers it, "
			 "or a limit against subscription bombing holds it back", m->message_id);
		goto out;
	}
	no = rate_limited(st, cfg, sender);
	if (no) {
		log_warnx("not replying to %s about <%s>: %s", sender, m->message_id, no);
		if (stats)
			stats->suppressed++;
		ret = record_suppressed(st, row, no);
		goto out;
	}
	ret = queue_transcript(&c, &cl, tv);
	if (!ret && stats)
		stats->replies++;
out:
	tvars_free(tv);
	free(sender);
	cmdlist_release(&cl);
	buf_release(&why);
	return ret;
}
