/* SPDX-License-Identifier: GPL-2.0-or-later */
/* series: grouping patches into series versions (see series.h). */
#include "series.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util.h"

/* How many unresolved ancestors one message may anchor. */
#define MAX_ANCHORS 32

struct vinfo {
	int64_t id, series_id, cover_id;
	int version, label, total;
	char author[320];
};

static int load_version(struct store *st, int64_t id, struct vinfo *v)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT series_id, version, label, total, coalesce(cover_id, 0),"
		" author_email FROM versions WHERE id = ?");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 1 : store_error(st, "cannot read a version");
	}
	v->id = id;
	v->series_id = sqlite3_column_int64(s, 0);
	v->version = sqlite3_column_int(s, 1);
	v->label = sqlite3_column_int(s, 2);
	v->total = sqlite3_column_int(s, 3);
	v->cover_id = sqlite3_column_int64(s, 4);
	snprintf(v->author, sizeof(v->author), "%s",
		 (const char *)sqlite3_column_text(s, 5));
	sqlite3_reset(s);
	return 0;
}

/* The version a Message-ID stands for: 0 unknown, -1 known but in none. */
/* The version anchored at msgid (0: none); *weak says it was a guess. */
static int64_t anchor_of(struct store *st, const char *msgid, int *weak)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT version_id, weak FROM anchors WHERE msgid = ?");
	int64_t v = 0;

	*weak = 0;
	if (!s)
		return -2;
	store_bind_static(s, 1, msgid);
	if (sqlite3_step(s) == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
		*weak = sqlite3_column_int(s, 1);
	}
	sqlite3_reset(s);
	return v;
}

/*
 * The version a Message-ID stands for: 0 unknown, -1 a message that is in
 * none.  *weak: only a weak anchor says so (the message has not arrived).
 */
static int64_t version_of(struct store *st, const char *msgid, int *weak)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT coalesce(version_id, -1) FROM messages WHERE message_id = ?");
	int64_t v;

	*weak = 0;
	if (!s)
		return -2;
	store_bind_static(s, 1, msgid);
	v = store_int(st, s, 0);
	return v ? v : anchor_of(st, msgid, weak);
}

int series_find_thread(struct store *st, const char *const *ids, size_t nr,
		       int64_t *version_id, int64_t *msg_row)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT id, version_id FROM messages"
		" WHERE message_id = ? AND version_id IS NOT NULL");

	*version_id = 0;
	*msg_row = 0;
	if (!s)
		return -1;
	for (size_t i = 0; i < nr; i++) {
		sqlite3_reset(s);
		store_bind_static(s, 1, ids[i]);
		if (sqlite3_step(s) == SQLITE_ROW) {
			*msg_row = sqlite3_column_int64(s, 0);
			*version_id = sqlite3_column_int64(s, 1);
			sqlite3_reset(s);
			return 0;
		}
	}
	sqlite3_reset(s);
	return 0;
}

static int slot_taken(struct store *st, const struct vinfo *v,
		      const struct placement *p)
{
	sqlite3_stmt *s;

	if (p->cover)
		return v->cover_id != 0;
	s = store_stmt(st, "SELECT 1 FROM patches WHERE version_id = ? AND n = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, v->id);
	sqlite3_bind_int(s, 2, p->si->n ? p->si->n : 1);
	return (int)store_int(st, s, 0);
}

static int total_of(const struct placement *p)
{
	return p->si->total ? p->si->total : 1;
}

/* Can p be one more message of version v? */
static int joinable(struct store *st, const struct vinfo *v,
		    const struct placement *p)
{
	if (v->total != total_of(p))
		return 0;
	/* "[PATCH 1/4]" under a "[PATCH v3 0/4]" cover: git's -v was only
	 * given to the cover; an explicit, different version is not. */
	if (p->si->version_given && p->si->version != v->label)
		return 0;
	return slot_taken(st, v, p) == 0;
}

/* Is p a newer posting of v's series (it replies into v's thread)? */
static int newer_posting(const struct vinfo *v, const struct placement *p)
{
	if (strcasecmp(v->author, p->author_email))
		return 0;
	if (p->si->version > v->label)
		return 1;
	/* an unlabelled repost: same version and size, slot already taken */
	return p->si->version == v->label && v->total == total_of(p);
}

/* A message's own id is a strong anchor; an id it replies to, a weak one. */
static int add_anchor(struct store *st, const char *msgid, int64_t version_id,
		      int weak)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO anchors VALUES (?1, ?2, ?3) ON CONFLICT (msgid)"
		" DO UPDATE SET version_id = ?2, weak = ?3 WHERE weak = 1 OR ?3 = 0");

	if (!s)
		return -1;
	store_bind_static(s, 1, msgid);
	sqlite3_bind_int64(s, 2, version_id);
	sqlite3_bind_int(s, 3, weak);
	return store_done(st, s);
}

static int add_title(struct store *st, const char *author, const char *norm,
		     int64_t series_id)
{
	sqlite3_stmt *s;

	if (!*norm)
		return 0;
	s = store_stmt(st, "INSERT OR IGNORE INTO titles VALUES (?, ?, ?)");
	if (!s)
		return -1;
	store_bind_static(s, 1, author);
	store_bind_static(s, 2, norm);
	sqlite3_bind_int64(s, 3, series_id);
	return store_done(st, s);
}

/* An existing series this posting continues: by change-id, then title. */
static int64_t series_by_identity(struct store *st, const struct placement *p,
				  int64_t not_this)
{
	sqlite3_stmt *s;
	int64_t id = 0;

	if (p->change_id) {
		s = store_stmt(st, "SELECT id FROM series WHERE change_id = ?"
				   " AND id != ? ORDER BY id DESC LIMIT 1");
		if (!s)
			return -1;
		store_bind_static(s, 1, p->change_id);
		sqlite3_bind_int64(s, 2, not_this);
		id = store_int(st, s, 0);
		if (id)
			return id;
	}
	if (!*p->si->normalized || !*p->author_email)
		return 0;
	s = store_stmt(st, "SELECT series_id FROM titles WHERE author_email = ?"
			   " AND norm_title = ? AND series_id != ?"
			   " ORDER BY series_id DESC LIMIT 1");
	if (!s)
		return -1;
	store_bind_static(s, 1, p->author_email);
	store_bind_static(s, 2, p->si->normalized);
	sqlite3_bind_int64(s, 3, not_this);
	return store_int(st, s, 0);
}

/* The number a new version of series gets: its label unless taken. */
static int version_number(struct store *st, int64_t series_id, int label)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT 1 FROM versions WHERE series_id = ? AND version = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, series_id);
	sqlite3_bind_int(s, 2, label);
	if (!store_int(st, s, 0))
		return label;
	s = store_stmt(st, "SELECT max(version) + 1 FROM versions WHERE series_id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, series_id);
	return (int)store_int(st, s, label + 1);
}

static int64_t new_series(struct store *st, const struct placement *p)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO series (title, author_name, author_email, change_id, created)"
		" VALUES (?, ?, ?, ?, ?)");

	if (!s)
		return -1;
	store_bind_static(s, 1, p->si->title);
	store_bind_static(s, 2, p->author_name);
	store_bind_static(s, 3, p->author_email);
	store_bind_static(s, 4, p->change_id);
	sqlite3_bind_int64(s, 5, p->date);
	if (store_done(st, s))
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

static int64_t new_version(struct store *st, const struct placement *p,
			   int64_t series_id)
{
	sqlite3_stmt *s;
	int number;

	if (!series_id)
		series_id = series_by_identity(st, p, 0);
	if (series_id < 0)
		return -1;
	if (!series_id && (series_id = new_series(st, p)) < 0)
		return -1;
	number = version_number(st, series_id, p->si->version);
	if (number < 0)
		return -1;
	s = store_stmt(st,
		"INSERT INTO versions (series_id, version, label, total, rfc, resend,"
		" tags, title, author_name, author_email, date)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, series_id);
	sqlite3_bind_int(s, 2, number);
	sqlite3_bind_int(s, 3, p->si->version);
	sqlite3_bind_int(s, 4, total_of(p));
	sqlite3_bind_int(s, 5, p->si->rfc);
	sqlite3_bind_int(s, 6, p->si->resend);
	store_bind_static(s, 7, p->si->tags);
	store_bind_static(s, 8, p->si->title);
	store_bind_static(s, 9, p->author_name);
	store_bind_static(s, 10, p->author_email);
	sqlite3_bind_int64(s, 11, p->date);
	if (store_done(st, s))
		return -1;
	log_debug(LOG_DB, "new version %d of series %lld for <%s>", number,
		  (long long)series_id, p->message_id);
	return sqlite3_last_insert_rowid(st->db);
}

/* Messages without references: same author, version and size, close in time. */
static int64_t group_by_author(struct store *st, const struct placement *p)
{
	sqlite3_stmt *s;
	int64_t found = 0, ids[16];
	int nr = 0;

	if (total_of(p) < 2 || !p->date || !*p->author_email)
		return 0;
	s = store_stmt(st,
		"SELECT id FROM versions WHERE author_email = ? AND label = ?"
		" AND total = ? AND date BETWEEN ? AND ? ORDER BY date DESC, id DESC"
		" LIMIT 16");
	if (!s)
		return -1;
	store_bind_static(s, 1, p->author_email);
	sqlite3_bind_int(s, 2, p->si->version);
	sqlite3_bind_int(s, 3, total_of(p));
	sqlite3_bind_int64(s, 4, p->date - p->window);
	sqlite3_bind_int64(s, 5, p->date + p->window);
	while (sqlite3_step(s) == SQLITE_ROW && nr < 16)
		ids[nr++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	for (int i = 0; i < nr && !found; i++) {
		struct vinfo v;

		if (load_version(st, ids[i], &v) < 0)
			return -1;
		if (joinable(st, &v, p))
			found = v.id;
	}
	return found;
}

/*
 * A version begun by patches that had no cover (or no known thread) may
 * turn out, once its cover letter arrives, to continue an older series.
 * Move it there when it is alone in its own series.
 */
static int merge_into_known_series(struct store *st, const struct placement *p,
				   int64_t version_id)
{
	struct vinfo v;
	sqlite3_stmt *s;
	int64_t target;
	int number;

	if (load_version(st, version_id, &v))
		return -1;
	s = store_stmt(st, "SELECT count(*) FROM versions WHERE series_id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, v.series_id);
	if (store_int(st, s, 0) != 1)
		return 0;
	target = series_by_identity(st, p, v.series_id);
	if (target <= 0)
		return (int)target;
	number = version_number(st, target, v.label);
	if (number < 0)
		return -1;
	s = store_stmt(st, "UPDATE versions SET series_id = ?, version = ? WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, target);
	sqlite3_bind_int(s, 2, number);
	sqlite3_bind_int64(s, 3, version_id);
	if (store_done(st, s))
		return -1;
	s = store_stmt(st, "UPDATE OR IGNORE titles SET series_id = ? WHERE series_id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, target);
	sqlite3_bind_int64(s, 2, v.series_id);
	if (store_done(st, s))
		return -1;
	s = store_stmt(st, "DELETE FROM titles WHERE series_id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, v.series_id);
	if (store_done(st, s))
		return -1;
	s = store_stmt(st, "DELETE FROM series WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, v.series_id);
	log_debug(LOG_DB, "version %lld joins series %lld", (long long)version_id,
		  (long long)target);
	return store_done(st, s);
}

int series_place(struct store *st, const struct placement *p,
		 int64_t *version_id)
{
	const char *unknown[MAX_ANCHORS];
	size_t nr_unknown = 0;
	int64_t join = 0, link_series = 0, own;
	struct vinfo v;
	int weak;
	sqlite3_stmt *s;

	/* Did earlier mail reply to this one before it arrived? */
	own = anchor_of(st, p->message_id, &weak);
	if (own < -1)
		return -1;
	if (own > 0) {
		if (load_version(st, own, &v) < 0)
			return -1;
		if (joinable(st, &v, p))
			join = own;
		else if (!strcasecmp(v.author, p->author_email))
			link_series = v.series_id;
	}
	for (size_t i = 0; !join && !link_series && i < p->nr_ancestors; i++) {
		int64_t w = version_of(st, p->ancestors[i], &weak);

		if (w < -1)
			return -1;
		if (w < 0)
			continue;
		if (w > 0) {
			if (load_version(st, w, &v) < 0)
				return -1;
			if (joinable(st, &v, p))
				join = w;
			else if (newer_posting(&v, p))
				link_series = v.series_id;
			/*
			 * A weak anchor was a guess (a newer version replying
			 * into this thread put it there): the message it names
			 * may well be ours, so claim it below.
			 */
			if (join || link_series || !weak)
				continue;
		}
		if (nr_unknown < MAX_ANCHORS)
			unknown[nr_unknown++] = p->ancestors[i];
	}
	if (!join && !link_series && !p->nr_ancestors) {
		join = group_by_author(st, p);
		if (join < 0)
			return -1;
	}
	if (!join) {
		join = new_version(st, p, link_series);
		if (join < 0)
			return -1;
	}
	*version_id = join;

	if (add_anchor(st, p->message_id, join, 0))
		return -1;
	for (size_t i = 0; i < nr_unknown; i++)
		if (add_anchor(st, unknown[i], join, 1))
			return -1;
	if (p->cover) {
		/* without its row yet, series_set_cover() names the cover later */
		s = p->msg_row ?
			store_stmt(st, "UPDATE versions SET cover_id = ?1, title = ?2 WHERE id = ?3") :
			store_stmt(st, "UPDATE versions SET title = ?2 WHERE id = ?3");
		if (!s)
			return -1;
		if (p->msg_row)
			sqlite3_bind_int64(s, 1, p->msg_row);
		store_bind_static(s, 2, p->si->title);
		sqlite3_bind_int64(s, 3, join);
		if (store_done(st, s))
			return -1;
		if (!link_series && merge_into_known_series(st, p, join))
			return -1;
		if (p->change_id) {
			s = store_stmt(st, "UPDATE series SET change_id = ? WHERE change_id IS NULL"
					   " AND id = (SELECT series_id FROM versions WHERE id = ?)");
			if (!s)
				return -1;
			store_bind_static(s, 1, p->change_id);
			sqlite3_bind_int64(s, 2, join);
			if (store_done(st, s))
				return -1;
		}
	}
	/* rows that do not change are not written again */
	s = store_stmt(st, "UPDATE versions SET date = ?1 WHERE id = ?2 AND ?1 > 0 AND date > ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, p->date);
	sqlite3_bind_int64(s, 2, join);
	if (store_done(st, s) || load_version(st, join, &v))
		return -1;
	return add_title(st, p->author_email, p->si->normalized, v.series_id);
}

int series_set_cover(struct store *st, int64_t version_id, int64_t msg_row)
{
	sqlite3_stmt *s = store_stmt(st, "UPDATE versions SET cover_id = ? WHERE id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, msg_row);
	sqlite3_bind_int64(s, 2, version_id);
	return store_done(st, s);
}

int series_refresh(struct store *st, int64_t version_id, int n,
		   const char *title)
{
	sqlite3_stmt *s;
	int became_complete;

	if (title) {
		/* Without a cover, a version is named after its first patch. */
		s = store_stmt(st,
			"UPDATE versions SET title = ?1 WHERE id = ?2 AND cover_id IS NULL"
			" AND NOT EXISTS (SELECT 1 FROM patches WHERE version_id = ?2 AND n < ?3)");
		if (!s)
			return -1;
		store_bind_static(s, 1, title);
		sqlite3_bind_int64(s, 2, version_id);
		sqlite3_bind_int(s, 3, n);
		if (store_done(st, s))
			return -1;
	}
	/* only the change from incomplete to complete counts as an event */
	s = store_stmt(st,
		"UPDATE versions SET complete = 1 WHERE id = ? AND complete = 0 AND"
		" (SELECT count(*) FROM (SELECT n FROM patches p"
		"  WHERE p.version_id = versions.id AND p.n BETWEEN 1 AND versions.total"
		"  GROUP BY n)) >= versions.total");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	if (store_done(st, s))
		return -1;
	became_complete = sqlite3_changes(st->db) > 0;
	s = store_stmt(st,
		"UPDATE series SET title = (SELECT title FROM versions v"
		" WHERE v.series_id = series.id ORDER BY version DESC LIMIT 1)"
		" WHERE id = (SELECT series_id FROM versions WHERE id = ?)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version_id);
	return store_done(st, s) ? -1 : became_complete;
}
