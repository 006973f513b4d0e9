/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * try: does this series (version N) apply on top of the stack?  It is
 * applied on a scratch ref, refs/patchbot/try, not on a queue branch, and
 * the reply names the patch, file and hunk that fail.  `try vN build`
 * (maintainers, authenticated) also builds the result in the sandbox of
 * bot/build.c and says whether it passed, with the output's last lines.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build.h"
#include "command.h"
#include "queuecmd.h"
#include "util.h"

static int try_parse(struct cmd_args *a, struct buf *err)
{
	for (int i = 1; i < a->argc; i++) {
		int v = command_version_arg(a->argv[i]);

		if (v && !a->version)
			a->version = v;
		else if (!v && !a->text && !strcasecmp(a->argv[i], "build"))
			a->text = xstrdup("build");
		else {
			buf_addf(err, "'try' takes a version and 'build', not '%s'", a->argv[i]);
			return -1;
		}
	}
	return 0;
}

/* May this sender build?  If not, say why in c->out. */
static bool may_build(struct cmd_ctx *c)
{
	if (!c->maintainer)
		buf_adds(c->out, "only a maintainer of this tree may use 'try build'");
	else if (!c->authenticated)
		buf_addf(c->out, "'try build' runs code from the patches and needs an"
				 " authenticated sender: the receiving server did not confirm"
				 " a DKIM or DMARC pass for <%s>", c->sender);
	else if (!c->cfg->tree_build_command)
		buf_adds(c->out, "no build testing here: 'tree.buildCommand' is not configured");
	else
		return true;
	return false;
}

/* Build tip in the sandbox; the verdict and the output's tail into c->out. */
static enum cmd_result build(struct cmd_ctx *c, struct queue *q, const git_oid *tip)
{
	const struct config *cfg = c->cfg;
	struct build_opts o = {
		.command = cfg->tree_build_command,
		.timeout = cfg->tree_build_timeout,
		.max_memory = cfg->tree_build_memory,
		.max_procs = cfg->tree_build_processes,
		.max_disk = cfg->tree_build_disk,
		.log_lines = cfg->tree_build_log_lines,
	};
	struct build_result r = { 0 };
	struct buf err = BUF_INIT(4096);
	char *dir = NULL;
	int ret;

	ret = build_checkout(q->repo, tip, &dir, &err);
	if (!ret)
		ret = build_run(dir, &o, &r, &err);
	build_remove_dir(dir);
	free(dir);
	buf_adds(c->out, "\n");
	if (ret) {
		buf_addf(c->out, "the build could not start: %s", err.s);
		buf_release(&err);
		return CMD_ERROR;
	}
	build_describe(&r, &o, c->out);
	if (r.tail && *r.tail) {
		buf_addf(c->out, "; the last lines of its output:\n");
		for (const char *p = r.tail; *p;) {
			size_t l = strcspn(p, "\n");

			/* mail lines stay well under RFC 5322's 998 */
			if (l > 200)
				buf_addf(c->out, "| %.*s [...]\n", 200, p);
			else
				buf_addf(c->out, "| %.*s\n", (int)l, p);
			p += l + (p[l] == '\n');
		}
	}
	ret = r.passed;
	build_result_release(&r);
	buf_release(&err);
	return ret ? CMD_OK : CMD_ERROR;
}

static enum cmd_result try_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	const struct strlist *br = &c->cfg->tree_branches;
	struct queue_who who = qcmd_who(c);
	struct buf why = BUF_INIT(8192);
	enum cmd_result r = CMD_ERROR;
	char *title = NULL, *on;
	git_reference *ref = NULL;
	int version = 0, b;
	struct queue q;
	git_oid tip;

	if (a->text && !may_build(c))
		return CMD_ERROR;
	if (qcmd_version(c, c->version_id, &version, &title) || qcmd_open(c, &q)) {
		free(title);
		return CMD_ERROR;
	}
	on = queue_branch_of(c->st, c->version_id);
	if (on) {
		buf_addf(c->out, "v%d of '%s' is queued on '%s', so it applies", version,
			 title, on);
		r = CMD_OK;
		if (a->text) {
			/* build the top of the stack, which holds it */
			char *top = xasprintf("refs/heads/%s", br->v[br->nr - 1]);

			if (git_reference_name_to_id(&tip, q.repo, top) == 0)
				r = build(c, &q, &tip);
			free(top);
		}
		goto out;
	}
	/* nothing of a try stays in the state */
	if (queue_savepoint(c->st))
		goto out;
	b = queue_try(&q, c->version_id, &who, &tip, &why);
	queue_rollback_savepoint(c->st);
	if (b) {
		buf_add(c->out, why.s, why.len);
		goto out;
	}
	if (git_reference_create(&ref, q.repo, "refs/patchbot/try", &tip, 1,
				 "patchbot: try") < 0)
		buf_addf(c->out, "v%d of '%s' applies on top of '%s' (at %.12s)", version,
			 title, br->v[br->nr - 1], git_oid_tostr_s(&tip));
	else
		buf_addf(c->out, "v%d of '%s' applies on top of '%s': refs/patchbot/try is"
				 " at %.12s", version, title, br->v[br->nr - 1],
			 git_oid_tostr_s(&tip));
	git_reference_free(ref);
	r = a->text ? build(c, &q, &tip) : CMD_OK;
out:
	queue_close(&q);
	free(on);
	free(title);
	buf_release(&why);
	return r;
}

const struct command cmd_try = {
	.name = "try",
	.role = ROLE_ANYONE,
	.needs = NEEDS_SERIES,
	.usage = "try [vN] [build]",
	.summary = "check that this series applies on top of the queue (and, for"
		   " maintainers, that it builds)",
	.parse = try_parse,
	.run = try_run,
};
