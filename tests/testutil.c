/* SPDX-License-Identifier: GPL-2.0-or-later */
/* testutil: shared helpers for the cmocka tests (see testutil.h). */
#include "testutil.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

char *corpus_path(const char *rel)
{
	const char *dir = getenv("PATCHBOT_CORPORA");
	struct stat st;
	char *p;

	if (!dir || !*dir)
		dir = "../../shared/corpora";
	p = xasprintf("%s/%s", dir, rel);
	if (stat(p, &st) < 0) {
		print_error("corpus file '%s' is missing (set PATCHBOT_CORPORA)\n", p);
		free(p);
		fail();
	}
	return p;
}

char *test_srcpath(const char *rel)
{
	const char *dir = getenv("PATCHBOT_SRCDIR");

	return xasprintf("%s/%s", dir && *dir ? dir : "..", rel);
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct buf b = BUF_INIT(BUF_NOLIMIT);
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

void test_store_open(struct store *st)
{
	struct buf err = BUF_INIT(1024);

	git_libgit2_init();
	if (store_open(st, ":memory:", &err)) {
		print_error("%s\n", err.s);
		fail();
	}
	buf_release(&err);
}

void test_ingest_path(struct ingest *in, const char *path)
{
	struct buf err = BUF_INIT(1024);
	struct mail_source *src = source_open(path, in->limits.max_size + 1, &err);

	if (!src) {
		print_error("%s\n", err.s);
		fail();
	}
	assert_int_equal(ingest_source(in, src, 0, &err), 0);
	src->free(src);
	buf_release(&err);
}

int test_ingest_string(struct ingest *in, const char *raw, enum msg_kind *kind)
{
	struct mail_item item = {
		.raw = raw, .len = strlen(raw), .full_size = strlen(raw), .where = "test",
	};
	int r = ingest_message(in, &item, kind);

	if (!r)
		r = ingest_flush(in);
	return r;
}

int64_t test_query_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

char *test_query_str(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	char *v;

	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	else
		v = xstrdup("");
	sqlite3_finalize(s);
	return v;
}

char *test_tmpdir(const char *prefix)
{
	char *tmpl = xasprintf("/tmp/%s.XXXXXX", prefix);

	git_libgit2_init();
	assert_non_null(mkdtemp(tmpl));
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	return tmpl;
}

void test_git_ident(void)
{
	setenv("GIT_AUTHOR_NAME", "Ann Author", 1);
	setenv("GIT_AUTHOR_EMAIL", "ann@example.org", 1);
	setenv("GIT_AUTHOR_DATE", "2024-01-02T10:00:00Z", 1);
	setenv("GIT_COMMITTER_NAME", "Ann Author", 1);
	setenv("GIT_COMMITTER_EMAIL", "ann@example.org", 1);
	setenv("GIT_COMMITTER_DATE", "2024-01-02T10:00:00Z", 1);
}

void test_rmtree(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd))
		print_error("cannot remove %s\n", dir);
	free(cmd);
	free(dir);
}

void test_sh(const char *dir, const char *cmd)
{
	char *full = xasprintf("cd '%s' && { %s; } >/dev/null 2>&1", dir, cmd);

	if (system(full)) {
		print_error("command failed: %s\n", cmd);
		free(full);
		fail();
	}
	free(full);
}

char *test_sh_out(const char *dir, const char *cmd)
{
	char *full = xasprintf("cd '%s' && { %s; } 2>/dev/null", dir, cmd);
	char line[256] = "";
	FILE *p = popen(full, "r");

	assert_non_null(p);
	if (!fgets(line, sizeof(line), p))
		line[0] = 0;
	pclose(p);
	free(full);
	line[strcspn(line, "\n")] = 0;
	return xstrdup(line);
}

void test_config_write(struct config *cfg, const char *dir, const char *text)
{
	struct buf err = BUF_INIT(4096);
	char *path = xasprintf("%s/patchbot.conf", dir);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(config_load(cfg, path, true, &err), 0);
	assert_int_equal(cfg->nr_errors, 0);
	free(path);
	buf_release(&err);
}

void test_config_bot(struct config *cfg, const char *dir, const char *extra)
{
	char *rel = test_srcpath("templates"), *templates = realpath(rel, NULL);
	char *conf = xasprintf("[bot]\n\taddress = patchbot@example.org\n"
			       "\ttemplates = %s\n"
			       "[list]\n\taddress = list@example.org\n"
			       "[tree]\n\trepo = repo\n\tbase = master\n"
			       "[maintainer]\n\temail = akpm@example.org\n%s",
			       templates ? templates : rel, extra);

	test_config_write(cfg, dir, conf);
	free(conf);
	free(templates);
	free(rel);
}

char *test_bot_setup(const char *prefix, const char *script, struct config *cfg,
		     const char *extra)
{
	char *dir = test_tmpdir(prefix);

	test_git_ident();
	test_sh(dir, script);
	test_config_bot(cfg, dir, extra);
	return dir;
}

void test_fresh(struct store *st, struct ingest *in, const struct config *cfg,
		const char *dir, const char *const *mboxes)
{
	test_sh(dir, "cd repo && for b in $(git for-each-ref --format='%(refname)'"
		" refs/heads/mm-* refs/patchbot); do git update-ref -d $b; done");
	test_store_open(st);
	ingest_init(in, st, cfg);
	for (size_t i = 0; mboxes && mboxes[i]; i++) {
		char *p = xasprintf("%s/%s", dir, mboxes[i]);

		test_ingest_path(in, p);
		free(p);
	}
}

void test_fresh_done(struct store *st, struct ingest *in)
{
	ingest_release(in);
	store_close(st);
}

char *test_ref_hex(const char *dir, const char *name)
{
	char *repo = xasprintf("%s/repo", dir);
	char hex[GIT_OID_HEXSZ + 1] = "";
	git_repository *r;
	git_oid id;

	assert_int_equal(git_repository_open(&r, repo), 0);
	if (git_reference_name_to_id(&id, r, name) == 0)
		git_oid_tostr(hex, sizeof(hex), &id);
	git_repository_free(r);
	free(repo);
	return xstrdup(hex);
}
