/* SPDX-License-Identifier: GPL-2.0-or-later */
/* help: list the mail commands, generated from the command table. */
#include "command.h"
#include "template.h"
#include "util.h"

static const struct tschema help_command_schema[] = {
	{ "name", TS_TEXT, NULL },
	{ "usage", TS_TEXT, NULL },
	{ "summary", TS_TEXT, NULL },
	{ "aliases", TS_TEXT, NULL },
	{ "maintainer", TS_BOOL, NULL },
	{ "submitter", TS_BOOL, NULL },
	{ "authenticated", TS_BOOL, NULL },
	{ NULL, 0, NULL },
};

const struct tschema help_schema[] = {
	{ "commands", TS_LIST, help_command_schema },
	{ "prefix", TS_TEXT, NULL },
	{ "bot_address", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

static enum cmd_result help_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct tvars *v = tvars_new();
	struct buf err = BUF_INIT(1024);
	enum cmd_result r = CMD_OK;

	(void)a;
	for (size_t i = 0; commands_active[i]; i++) {
		const struct command *cmd = commands_active[i];
		struct tvars *item = tvars_add_item(v, "commands");
		struct buf aliases = BUF_INIT(256);

		for (size_t j = 0; cmd->aliases && cmd->aliases[j]; j++)
			buf_addf(&aliases, "%s%s", j ? ", " : "", cmd->aliases[j]);
		tvars_set(item, "name", cmd->name);
		tvars_set(item, "usage", cmd->usage);
		tvars_set(item, "summary", cmd->summary);
		tvars_set(item, "aliases", aliases.s);
		tvars_set_bool(item, "maintainer", cmd->role == ROLE_MAINTAINER);
		tvars_set_bool(item, "submitter", cmd->role == ROLE_SUBMITTER);
		tvars_set_bool(item, "authenticated", (cmd->needs & NEEDS_AUTH) != 0);
		buf_release(&aliases);
	}
	tvars_set(v, "prefix", c->cfg->command_prefix);
	tvars_set(v, "bot_address", c->cfg->bot_address ? c->cfg->bot_address : "");
	if (template_render_file(c->templates, "help.txt", v, c->out, &err)) {
		buf_addf(c->out, "cannot show help: %s", err.s);
		r = CMD_ERROR;
	}
	buf_release(&err);
	tvars_free(v);
	return r;
}

const struct command cmd_help = {
	.name = "help",
	.role = ROLE_ANYONE,
	.usage = "help",
	.summary = "list the commands patchbot understands",
	.run = help_run,
};
