/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status: what patchbot knows of the thread's series: its versions, how
 * complete each is, the trailers each patch collected, and its state.
 */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "template.h"
#include "util.h"

static const struct tschema trailer_schema[] = {
	{ "key", TS_TEXT, NULL },
	{ "value", TS_TEXT, NULL },
	{ NULL, 0, NULL },
};

static const struct tschema patch_schema[] = {
	{ "n", TS_TEXT, NULL },
	{ "total", TS_TEXT, NULL },
	{ "title", TS_TEXT, NULL },
	{ "message_id", TS_TEXT, NULL },
	{ "trailers", TS_LIST, trailer_schema },
	{ NULL, 0, NULL },
};

static const struct tschema version_schema[] = {
	{ "version", TS_TEXT, NULL },
	{ "label", TS_TEXT, NULL },
	{ "relabelled", TS_BOOL, NULL },
	{ "received", TS_TEXT, NULL },
	{ "total", TS_TEXT, NULL },
	{ "complete", TS_BOOL, NULL },
	{ "newest", TS_BOOL, NULL },
	{ "selected", TS_BOOL, NULL },
	{ "state", TS_TEXT, NULL },
	{ "date", TS_TEXT, NULL },
	{ "patches", TS_LIST, patch_schema },
	{ NULL, 0, NULL },
};

const struct tschema status_schema[] = {
	{ "title", TS_TEXT, NULL },
	{ "author", TS_TEXT, NULL },
	{ "versions", TS_LIST, version_schema },
	{ NULL, 0, NULL },
};

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* Copies of one row's text columns, so that the next query may run. */
struct row {
	int64_t id;
	char *col[9];
};

static void rows_free(struct row *r, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		for (size_t j = 0; j < 9; j++)
			free(r[i].col[j]);
	free(r);
}

/* Run s to the end, keeping ncol text columns after the id in column 0. */
static struct row *rows_read(sqlite3_stmt *s, int ncol, size_t max, size_t *nr)
{
	struct row *r = NULL;
	size_t alloc = 0;

	*nr = 0;
	while (*nr < max && sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(r, *nr + 1, alloc);
		memset(&r[*nr], 0, sizeof(r[*nr]));
		r[*nr].id = sqlite3_column_int64(s, 0);
		for (int j = 0; j < ncol; j++)
			r[*nr].col[j] = xstrdup(col(s, j + 1));
		(*nr)++;
	}
	sqlite3_reset(s);
	return r;
}

static int add_patches(struct cmd_ctx *c, int64_t vid, struct tvars *ver)
{
	sqlite3_stmt *s = store_stmt(c->st,
		"SELECT p.id, p.n, p.total, p.title, m.message_id FROM patches p"
		" JOIN messages m ON m.id = p.message_id WHERE p.version_id = ?"
		" ORDER BY p.n, p.id");
	struct row *p;
	size_t nr;

	if (!s)
		return -1;
	tvars_set_list(ver, "patches");
	sqlite3_bind_int64(s, 1, vid);
	p = rows_read(s, 4, 1000, &nr);
	for (size_t i = 0; i < nr; i++) {
		struct tvars *item = tvars_add_item(ver, "patches");

		tvars_set(item, "n", p[i].col[0]);
		tvars_set(item, "total", p[i].col[1]);
		tvars_set(item, "title", p[i].col[2]);
		tvars_set(item, "message_id", p[i].col[3]);
		tvars_set_list(item, "trailers");
		s = store_stmt(c->st, "SELECT key, value FROM trailers WHERE patch_id = ?"
				      " AND key != 'Signed-off-by' ORDER BY id");
		if (!s) {
			rows_free(p, nr);
			return -1;
		}
		sqlite3_bind_int64(s, 1, p[i].id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			struct tvars *t = tvars_add_item(item, "trailers");

			tvars_set(t, "key", col(s, 0));
			tvars_set(t, "value", col(s, 1));
		}
		sqlite3_reset(s);
	}
	rows_free(p, nr);
	return 0;
}

static enum cmd_result status_run(struct cmd_ctx *c, const struct cmd_args *a)
{
	struct tvars *v = tvars_new();
	struct buf err = BUF_INIT(1024);
	enum cmd_result r = CMD_ERROR;
	struct row *ver = NULL;
	size_t nr = 0;
	sqlite3_stmt *s;

	(void)a;
	s = store_stmt(c->st, "SELECT title, author_name, author_email FROM series"
			      " WHERE id = ?");
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, c->series_id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		tvars_set(v, "title", col(s, 0));
		tvars_setf(v, "author", "%s <%s>", col(s, 1), col(s, 2));
	}
	sqlite3_reset(s);
	tvars_set_list(v, "versions");
	s = store_stmt(c->st,
		"SELECT v.id, v.version, v.label, v.total, v.complete,"
		" coalesce((SELECT 'queued on ' || branch FROM queue WHERE version_id = v.id),"
		"   v.state),"
		" strftime('%Y-%m-%d', v.date, 'unixepoch'),"
		" (SELECT count(DISTINCT n) FROM patches WHERE version_id = v.id"
		"   AND n BETWEEN 1 AND v.total),"
		" v.version = (SELECT max(version) FROM versions WHERE series_id = v.series_id)"
		" FROM versions v WHERE v.series_id = ? ORDER BY v.version");
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, c->series_id);
	ver = rows_read(s, 8, 100, &nr);
	for (size_t i = 0; i < nr; i++) {
		struct tvars *item = tvars_add_item(v, "versions");
		char **f = ver[i].col;

		tvars_set(item, "version", f[0]);
		tvars_set(item, "label", f[1]);
		tvars_set_bool(item, "relabelled", strcmp(f[0], f[1]) != 0);
		tvars_set(item, "total", f[2]);
		tvars_set_bool(item, "complete", !strcmp(f[3], "1"));
		tvars_set(item, "state", f[4]);
		tvars_set(item, "date", f[5]);
		tvars_set(item, "received", f[6]);
		tvars_set_bool(item, "newest", !strcmp(f[7], "1"));
		tvars_set_bool(item, "selected", ver[i].id == c->version_id);
		if (add_patches(c, ver[i].id, item))
			goto out;
	}
	if (template_render_file(c->templates, "status.txt", v, c->out, &err)) {
		buf_addf(c->out, "cannot show the status: %s", err.s);
		goto out;
	}
	r = CMD_OK;
out:
	rows_free(ver, nr);
	buf_release(&err);
	tvars_free(v);
	return r;
}

const struct command cmd_status = {
	.name = "status",
	.role = ROLE_ANYONE,
	.needs = NEEDS_SERIES,
	.usage = "status [vN]",
	.summary = "show what patchbot knows of this thread's series",
	.run = status_run,
};
