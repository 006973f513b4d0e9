/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * feedback: a maintainer asks patchbot to check the thread's series
 * version again and send its feedback to the submitter, even when it was
 * sent before or the series was quiet (which this turns off again).
 */
#include "command.h"
#include "feedback.h"
#include "util.h"

static enum cmd_result feedback_run_cmd(struct cmd_ctx *c, const struct cmd_args *a)
{
	bool sent = false;
	sqlite3_stmt *s;
	int label;

	(void)a;
	if (!c->cfg->feedback_enable) {
		buf_adds(c->out, "feedback is turned off in the configuration (feedback.enable)");
		return CMD_ERROR;
	}
	s = store_stmt(c->st, "SELECT label FROM versions WHERE id = ?");
	if (!s)
		goto db;
	sqlite3_bind_int64(s, 1, c->version_id);
	label = (int)store_int(c->st, s, 0);
	if (feedback_set_quiet(c->st, c->series_id, c->sender, false) ||
	    feedback_send_again(c->st, c->cfg, c->version_id, c->m->message_id,
				c->msg_row, &sent))
		goto db;
	if (sent)
		buf_addf(c->out, "feedback on v%d sent to the submitter", label);
	else
		buf_addf(c->out, "nothing is missing in v%d: no feedback sent", label);
	return CMD_OK;
db:
	buf_adds(c->out, "cannot send feedback: a database error");
	return CMD_ERROR;
}

const struct command cmd_feedback = {
	.name = "feedback",
	.role = ROLE_MAINTAINER,
	.needs = NEEDS_SERIES,
	.usage = "feedback [vN]",
	.summary = "check the series again and send the submitter its feedback",
	.run = feedback_run_cmd,
};
