/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quiet: a maintainer silences patchbot's feedback to the submitter for
 * the thread's series, this version and every later one, until the
 * `feedback` command asks for it again.
 */
#include "command.h"
#include "feedback.h"
#include "util.h"

static enum cmd_result quiet_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	int was = feedback_is_quiet(c->st, c->series_id);

	(void)a;
	if (was < 0 || feedback_set_quiet(c->st, c->series_id, c->sender, true)) {
		buf_adds(c->out, "cannot record this: a database error");
		return CMD_ERROR;
	}
	if (was)
		buf_adds(c->out, "feedback for this series was already off");
	else
		buf_adds(c->out, "no more feedback to the submitter on this series "
				 "(\"feedback\" turns it back on)");
	return CMD_OK;
}

const struct command cmd_quiet = {
	.name = "quiet",
	.role = ROLE_MAINTAINER,
	.needs = NEEDS_SERIES,
	.usage = "quiet",
	.summary = "send no more feedback to the submitter on this series",
	.run = quiet_run,
};
