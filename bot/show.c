/* SPDX-License-Identifier: GPL-2.0-or-later */
/* show: series list and series show, as text or JSON (see show.h). */
#include "show.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

/* One version as a JSON object; ?1 is bound to nothing, v is the row. */
#define VERSION_JSON                                                          \
	"json_object('version', v.version, 'label', v.label,"                \
	" 'total', v.total, 'received', (SELECT count(DISTINCT n) FROM patches" \
	"  WHERE version_id = v.id AND n BETWEEN 1 AND v.total),"            \
	" 'complete', json(CASE v.complete WHEN 1 THEN 'true' ELSE 'false' END)," \
	" 'rfc', json(CASE v.rfc WHEN 1 THEN 'true' ELSE 'false' END),"      \
	" 'tags', v.tags, 'title', v.title, 'state', v.state,"               \
	" 'date', strftime('%Y-%m-%dT%H:%M:%SZ', v.date, 'unixepoch'),"      \
	" 'cover', (SELECT message_id FROM messages WHERE id = v.cover_id)"

static const char list_json_sql[] =
	"SELECT json_group_array(json(j)) FROM (SELECT json_object("
	" 'id', s.id, 'title', s.title,"
	" 'author', json_object('name', s.author_name, 'email', s.author_email),"
	" 'change_id', s.change_id,"
	" 'newest', (SELECT max(version) FROM versions WHERE series_id = s.id),"
	" 'versions', (SELECT json_group_array(json(vj)) FROM (SELECT "
	VERSION_JSON ") AS vj FROM versions v WHERE v.series_id = s.id"
	"   ORDER BY v.version))) AS j"
	" FROM series s ORDER BY s.id)";

static const char show_json_sql[] =
	"SELECT json_object('id', s.id, 'title', s.title,"
	" 'author', json_object('name', s.author_name, 'email', s.author_email),"
	" 'change_id', s.change_id,"
	" 'newest', (SELECT max(version) FROM versions WHERE series_id = s.id),"
	" 'versions', (SELECT json_group_array(json(vj)) FROM (SELECT json_patch("
	VERSION_JSON "), json_object('patches', (SELECT json_group_array(json(pj)) FROM"
	"   (SELECT json_object('n', p.n, 'total', p.total, 'title', p.title,"
	"     'message_id', m.message_id,"
	"     'author', json_object('name', m.from_name, 'email', m.from_email),"
	"     'date', strftime('%Y-%m-%dT%H:%M:%SZ', m.date, 'unixepoch'),"
	"     'files', (SELECT json_group_array(json(fj)) FROM (SELECT json_object("
	"        'old_path', f.old_path, 'new_path', f.new_path, 'status', f.status,"
	"        'binary', json(CASE f.binary WHEN 1 THEN 'true' ELSE 'false' END),"
	"        'hunks', (SELECT json_group_array(json(hj)) FROM (SELECT json_object("
	"          'old_start', h.old_start, 'old_count', h.old_count,"
	"          'new_start', h.new_start, 'new_count', h.new_count,"
	"          'function', h.func) AS hj FROM hunks h WHERE h.patch_id = p.id"
	"          AND h.file_idx = f.idx ORDER BY h.idx))) AS fj"
	"        FROM patch_files f WHERE f.patch_id = p.id ORDER BY f.idx)),"
	"     'trailers', (SELECT json_group_array(json(tj)) FROM (SELECT json_object("
	"        'key', t.key, 'value', t.value, 'from', tm.message_id) AS tj"
	"        FROM trailers t JOIN messages tm ON tm.id = t.source_id"
	"        WHERE t.patch_id = p.id ORDER BY t.id))) AS pj"
	"   FROM patches p JOIN messages m ON m.id = p.message_id"
	"   WHERE p.version_id = v.id ORDER BY p.n, p.id)))) AS vj"
	"  FROM versions v WHERE v.series_id = s.id ORDER BY v.version)))"
	" FROM series s WHERE s.id = ?";

static void fmt_date(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M", &tm))
		snprintf(out, 32, "-");
}

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

static int print_json(struct store *st, sqlite3_stmt *s, FILE *out)
{
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_error(st, "cannot build JSON");
	}
	fprintf(out, "%s\n", sqlite3_column_type(s, 0) == SQLITE_NULL ? "[]" : col(s, 0));
	sqlite3_reset(s);
	return 0;
}

int show_series_list(struct store *st, FILE *out, bool json)
{
	sqlite3_stmt *s;
	int rc, any = 0;

	if (json) {
		s = store_stmt(st, list_json_sql);
		return s ? print_json(st, s, out) : -1;
	}
	s = store_stmt(st,
		"SELECT s.id, s.title, s.author_email,"
		" (SELECT group_concat('v' || version, ' ') FROM"
		"   (SELECT version FROM versions WHERE series_id = s.id ORDER BY version)),"
		" v.version, v.total, v.complete, v.state,"
		" (SELECT count(DISTINCT n) FROM patches WHERE version_id = v.id"
		"   AND n BETWEEN 1 AND v.total)"
		" FROM series s JOIN versions v ON v.id = (SELECT id FROM versions"
		"   WHERE series_id = s.id ORDER BY version DESC LIMIT 1)"
		" ORDER BY s.id");
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char have[32];

		if (!any++)
			fprintf(out, "%4s  %-12s %-7s %-9s %-10s %s\n", "ID", "VERSIONS",
				"PATCHES", "STATE", "AUTHOR", "TITLE");
		snprintf(have, sizeof(have), "%d/%d%s", sqlite3_column_int(s, 8),
			 sqlite3_column_int(s, 5), sqlite3_column_int(s, 6) ? "" : "!");
		fprintf(out, "%4lld  %-12s %-7s %-9s %-10.30s %s\n",
			(long long)sqlite3_column_int64(s, 0), col(s, 3), have, col(s, 7),
			col(s, 2), col(s, 1));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_error(st, "cannot list series");
	if (!any)
		fprintf(out, "no series yet\n");
	return 0;
}

/* A number names a series; anything else is a Message-ID in one. */
static int64_t resolve_series(struct store *st, const char *which)
{
	sqlite3_stmt *s;
	char *end, *id;
	long long n = strtoll(which, &end, 10);
	int64_t r;

	if (*which && !*end) {
		s = store_stmt(st, "SELECT id FROM series WHERE id = ?");
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, n);
		return store_int(st, s, 0);
	}
	id = msgid_normalize(which);
	if (!id)
		return 0;
	s = store_stmt(st,
		"SELECT v.series_id FROM messages m JOIN versions v ON v.id = m.version_id"
		" WHERE m.message_id = ?");
	if (!s) {
		free(id);
		return -1;
	}
	store_bind_text(s, 1, id);
	r = store_int(st, s, 0);
	free(id);
	return r;
}

static void show_patch_details(struct store *st, int64_t patch, FILE *out)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT f.status, coalesce(f.new_path, f.old_path), f.old_path, f.binary,"
		" (SELECT group_concat(CASE h.func WHEN '' THEN '@' || h.new_start"
		"   ELSE h.func END, '; ') FROM hunks h"
		"   WHERE h.patch_id = f.patch_id AND h.file_idx = f.idx)"
		" FROM patch_files f WHERE f.patch_id = ? ORDER BY f.idx");

	if (!s)
		return;
	sqlite3_bind_int64(s, 1, patch);
	while (sqlite3_step(s) == SQLITE_ROW) {
		fprintf(out, "        %s %s", col(s, 0), col(s, 1));
		if (!strcmp(col(s, 0), "R") || !strcmp(col(s, 0), "C"))
			fprintf(out, " (from %s)", col(s, 2));
		if (sqlite3_column_int(s, 3))
			fprintf(out, " (binary)");
		if (*col(s, 4))
			fprintf(out, ": %s", col(s, 4));
		fputc('\n', out);
	}
	sqlite3_reset(s);
	s = store_stmt(st, "SELECT key, value FROM trailers WHERE patch_id = ? ORDER BY id");
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, patch);
	while (sqlite3_step(s) == SQLITE_ROW)
		fprintf(out, "        %s: %s\n", col(s, 0), col(s, 1));
	sqlite3_reset(s);
}

static int show_version(struct store *st, int64_t vid, int newest, FILE *out)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT v.version, v.label, v.total, v.complete, v.state, v.date,"
		" v.rfc, v.tags, c.message_id, c.subject, v.author_name, v.author_email,"
		" (SELECT count(DISTINCT n) FROM patches WHERE version_id = v.id"
		"   AND n BETWEEN 1 AND v.total)"
		" FROM versions v LEFT JOIN messages c ON c.id = v.cover_id WHERE v.id = ?");
	struct { int64_t id; int n, total; char *title, *msgid; } *pv = NULL;
	size_t nr = 0, alloc = 0;
	char date[32];

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, vid);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_error(st, "cannot read a version");
	}
	fmt_date(sqlite3_column_int64(s, 5), date);
	fprintf(out, "\nv%d%s  %s  %d/%d %s  %s%s%s\n", sqlite3_column_int(s, 0),
		newest ? " (newest)" : "", date, sqlite3_column_int(s, 12),
		sqlite3_column_int(s, 2),
		sqlite3_column_int(s, 3) ? "complete" : "incomplete", col(s, 4),
		sqlite3_column_int(s, 6) ? "  RFC" : "",
		*col(s, 7) ? "  " : "");
	if (*col(s, 7))
		fprintf(out, "  tags: %s\n", col(s, 7));
	if (sqlite3_column_int(s, 1) != sqlite3_column_int(s, 0))
		fprintf(out, "  posted as v%d\n", sqlite3_column_int(s, 1));
	fprintf(out, "  from: %s <%s>\n", col(s, 10), col(s, 11));
	if (sqlite3_column_type(s, 8) != SQLITE_NULL)
		fprintf(out, "  cover: %s\n         <%s>\n", col(s, 9), col(s, 8));
	sqlite3_reset(s);

	/* patches first, then their details: the statement cache is shared */
	s = store_stmt(st,
		"SELECT p.id, p.n, p.total, p.title, m.message_id FROM patches p"
		" JOIN messages m ON m.id = p.message_id WHERE p.version_id = ?"
		" ORDER BY p.n, p.id");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, vid);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(pv, nr + 1, alloc);
		pv[nr].id = sqlite3_column_int64(s, 0);
		pv[nr].n = sqlite3_column_int(s, 1);
		pv[nr].total = sqlite3_column_int(s, 2);
		pv[nr].title = xstrdup(col(s, 3));
		pv[nr].msgid = xstrdup(col(s, 4));
		nr++;
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < nr; i++) {
		fprintf(out, "  [%d/%d] %s\n        <%s>\n", pv[i].n, pv[i].total,
			pv[i].title, pv[i].msgid);
		show_patch_details(st, pv[i].id, out);
		free(pv[i].title);
		free(pv[i].msgid);
	}
	free(pv);
	return 0;
}

int show_series(struct store *st, const char *which, FILE *out, bool json)
{
	int64_t id = resolve_series(st, which), *vids = NULL;
	size_t nr = 0, alloc = 0;
	sqlite3_stmt *s;
	int r = 0;

	if (id < 0)
		return -1;
	if (!id)
		return 1;
	if (json) {
		s = store_stmt(st, show_json_sql);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		return print_json(st, s, out);
	}
	s = store_stmt(st,
		"SELECT s.title, s.author_name, s.author_email, coalesce(s.change_id, ''),"
		" (SELECT group_concat('v' || version, ', ') FROM (SELECT version"
		"   FROM versions WHERE series_id = s.id ORDER BY version))"
		" FROM series s WHERE s.id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		fprintf(out, "series %lld: %s\nauthor: %s <%s>\nversions: %s\n",
			(long long)id, col(s, 0), col(s, 1), col(s, 2), col(s, 4));
		if (*col(s, 3))
			fprintf(out, "change-id: %s\n", col(s, 3));
	}
	sqlite3_reset(s);
	s = store_stmt(st, "SELECT id FROM versions WHERE series_id = ? ORDER BY version DESC");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(vids, nr + 1, alloc);
		vids[nr++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < nr && !r; i++)
		r = show_version(st, vids[i], i == 0, out);
	free(vids);
	return r;
}
