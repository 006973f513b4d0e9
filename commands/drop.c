/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * drop: take the thread's series (or version N of it) off its branch; what
 * is above it is rebuilt without it.  The reason goes into the notice.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "notice.h"
#include "queuecmd.h"
#include "util.h"

/* The reasons maintainers give most, as the notice words them. */
static const struct {
	const char *word;
	const char *text;
} known_reasons[] = {
	{ "to-be-updated", "an updated version will be issued" },
	{ "nacked", "it was nacked" },
	{ "obsolete", "it is obsolete" },
	{ "withdrawn", "it was withdrawn" },
};

static int drop_parse(struct cmd_args *a, struct buf *err)
{
	struct buf text = BUF_INIT(4096);
	int i = 1;

	(void)err;
	if (i < a->argc && command_version_arg(a->argv[i]))
		a->version = command_version_arg(a->argv[i++]);
	for (; i < a->argc; i++)
		buf_addf(&text, "%s%s", text.len ? " " : "", a->argv[i]);
	if (text.len) {
		for (size_t k = 0; k < sizeof(known_reasons) / sizeof(known_reasons[0]); k++)
			if (!strcasecmp(text.s, known_reasons[k].word)) {
				buf_reset(&text);
				buf_adds(&text, known_reasons[k].text);
				break;
			}
		a->text = buf_detach(&text, NULL);
	}
	buf_release(&text);
	return 0;
}

static enum cmd_result drop_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct queue_who who = qcmd_who(c);
	enum cmd_result r = CMD_ERROR;
	char *branch = NULL, *title = NULL;
	int64_t vid, h;
	int version = 0;
	struct queue q;

	if (qcmd_queued(c, a, &vid, &branch))
		return CMD_ERROR;
	qcmd_version(c, vid, &version, &title);
	if (qcmd_open(c, &q))
		goto out_free;
	if (queue_savepoint(c->st))
		goto out;
	h = queue_history_add(c->st, vid, "dropped", branch, a->text, &who);
	if (h < 0 || queue_remove(c->st, vid)) {
		queue_rollback_savepoint(c->st);
		buf_adds(c->out, "the database failed; nothing was changed");
		goto out;
	}
	if (qcmd_rebuild(c, &q))
		goto out;
	buf_addf(c->out, "dropped v%d of '%s' from '%s'", version, title, branch);
	if (a->text)
		buf_addf(c->out, " (%s)", a->text);
	if (notice_queue(c->st, c->cfg, &(struct notice){
			.kind = "removed", .version_id = vid, .branch = branch,
			.reason = a->text, .cause_msgid = c->m->message_id,
			.cause_id = c->msg_row, .history_id = h }))
		goto out;
	r = CMD_OK;
out:
	queue_close(&q);
out_free:
	free(branch);
	free(title);
	return r;
}

const struct command cmd_drop = {
	.name = "drop",
	.role = ROLE_MAINTAINER,
	.needs = NEEDS_SERIES | NEEDS_AUTH,
	.usage = "drop [vN] [REASON...]",
	.summary = "take this series off its branch, saying why",
	.parse = drop_parse,
	.run = drop_run,
};
