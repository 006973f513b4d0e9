/* SPDX-License-Identifier: GPL-2.0-or-later */
/* outbox: pending outgoing mail in sqlite (see outbox.h). */
#include "outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int outbox_add(struct store *st, const struct outbox_mail *om)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT OR IGNORE INTO outbox (message_id, kind, cause_id,"
		" envelope_from, recipients, subject, raw, created)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	struct buf rcpts = BUF_INIT(BUF_NOLIMIT);

	if (!s)
		return -1;
	for (size_t i = 0; i < om->rcpts->nr; i++) {
		if (i)
			buf_addch(&rcpts, ' ');
		buf_adds(&rcpts, om->rcpts->v[i]);
	}
	store_bind_text(s, 1, om->message_id);
	store_bind_text(s, 2, om->kind);
	if (om->cause_id)
		sqlite3_bind_int64(s, 3, om->cause_id);
	store_bind_text(s, 4, om->envelope_from);
	store_bind_text(s, 5, rcpts.s);
	store_bind_text(s, 6, om->subject ? om->subject : "");
	sqlite3_bind_blob(s, 7, om->raw, (int)om->len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, now_seconds());
	if (store_done(st, s)) {
		buf_release(&rcpts);
		return -1;
	}
	buf_release(&rcpts);
	if (!sqlite3_changes(st->db))
		return 0;
	log_debug(LOG_SMTP, "outbox: %s <%s> queued", om->kind, om->message_id);
	return 1;
}

int64_t outbox_count_since(struct store *st, const char *recipient,
			   int64_t since)
{
	sqlite3_stmt *s = recipient
		? store_stmt(st, "SELECT count(*) FROM outbox WHERE created >= ?"
				 " AND ' ' || recipients || ' ' LIKE '% ' || ? || ' %'")
		: store_stmt(st, "SELECT count(*) FROM outbox WHERE created >= ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, since);
	if (recipient)
		store_bind_text(s, 2, recipient);
	return store_int(st, s, -1);
}

/*
 * Does mail end with text, line for line?  The servers on the way add
 * header fields at the top (Received, Return-Path, Delivered-To) and may
 * write CRLF for LF; they change nothing else.
 */
static bool ends_with_text(const char *mail, size_t mlen, const char *text,
			   size_t tlen)
{
	size_t i = mlen, j = tlen;

	while (i && (mail[i - 1] == '\n' || mail[i - 1] == '\r'))
		i--;
	while (j && (text[j - 1] == '\n' || text[j - 1] == '\r'))
		j--;
	if (!j)
		return false;
	while (j) {
		if (text[j - 1] == '\r') {
			j--;
		} else if (i && mail[i - 1] == '\r') {
			i--;
		} else if (i && mail[i - 1] == text[j - 1]) {
			i--;
			j--;
		} else {
			return false;
		}
	}
	return i == 0 || mail[i - 1] == '\n';
}

int outbox_confirm_copy(struct store *st, const char *message_id,
			const char *raw, size_t len)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT id, raw FROM outbox WHERE message_id = ?"
		" AND state = 'pending'");
	int64_t id;
	bool same;
	int rc;

	if (!s)
		return -1;
	store_bind_static(s, 1, message_id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 0 : store_error(st, "cannot read the outbox");
	}
	id = sqlite3_column_int64(s, 0);
	same = ends_with_text(raw, len, sqlite3_column_blob(s, 1),
			      (size_t)sqlite3_column_bytes(s, 1));
	sqlite3_reset(s);
	if (!same) {
		log_warnx("a mail came back with the Message-ID of outbox mail"
			  " %lld but not its text: not taken as its copy",
			  (long long)id);
		return 0;
	}
	s = store_stmt(st,
		"UPDATE outbox SET state = 'sent', sent_at = ?, in_flight = 0,"
		" attempts = attempts + 1, last_error = NULL WHERE id = ?");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now_seconds());
	sqlite3_bind_int64(s, 2, id);
	if (store_done(st, s))
		return -1;
	log_info("SMTP: outbox mail %lld came back through the mailbox, so the"
		 " server took it: marked sent", (long long)id);
	return 1;
}

int outbox_retry(struct store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE outbox SET state = 'pending', next_attempt = 0,"
		" in_flight = 0 WHERE id = ? AND state != 'sent'");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (store_done(st, s))
		return -1;
	return sqlite3_changes(st->db) ? 1 : 0;
}

int outbox_list(struct store *st, FILE *out, bool json)
{
	sqlite3_stmt *s;
	int rc, any = 0;

	if (json) {
		s = store_stmt(st,
			"SELECT json_group_array(json_object('id', id, 'message_id', message_id,"
			" 'kind', kind, 'state', state, 'recipients', recipients,"
			" 'subject', subject, 'attempts', attempts, 'last_error', last_error,"
			" 'created', strftime('%Y-%m-%dT%H:%M:%SZ', created, 'unixepoch')))"
			" FROM (SELECT * FROM outbox ORDER BY id)");
		if (!s)
			return -1;
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			return store_error(st, "cannot list the outbox");
		}
		fprintf(out, "%s\n", (const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		return 0;
	}
	s = store_stmt(st, "SELECT id, state, kind, recipients, subject, attempts,"
			   " coalesce(last_error, '') FROM outbox ORDER BY id");
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!any++)
			fprintf(out, "%5s  %-8s %-10s %-30s %s\n", "ID", "STATE", "KIND",
				"TO", "SUBJECT");
		fprintf(out, "%5lld  %-8s %-10s %-30s %s\n",
			(long long)sqlite3_column_int64(s, 0),
			(const char *)sqlite3_column_text(s, 1),
			(const char *)sqlite3_column_text(s, 2),
			(const char *)sqlite3_column_text(s, 3),
			(const char *)sqlite3_column_text(s, 4));
		if (*(const char *)sqlite3_column_text(s, 6))
			fprintf(out, "       attempts %d, last error: %s\n",
				sqlite3_column_int(s, 5),
				(const char *)sqlite3_column_text(s, 6));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_error(st, "cannot list the outbox");
	if (!any)
		fprintf(out, "the outbox is empty\n");
	return 0;
}

int outbox_dump(struct store *st, const char *dir, size_t *count,
		struct buf *err)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT id, raw FROM outbox"
					 " WHERE state = 'pending' ORDER BY id");
	int rc;

	*count = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *path = xasprintf("%s/%lld.eml", dir,
				       (long long)sqlite3_column_int64(s, 0));
		FILE *f = fopen(path, "w");
		size_t n = (size_t)sqlite3_column_bytes(s, 1);

		if (!f || fwrite(sqlite3_column_blob(s, 1), 1, n, f) != n) {
			buf_addf(err, "cannot write '%s': %s", path, strerror(errno));
			if (f)
				fclose(f);
			free(path);
			sqlite3_reset(s);
			return -1;
		}
		if (fclose(f)) {
			buf_addf(err, "cannot write '%s': %s", path, strerror(errno));
			free(path);
			sqlite3_reset(s);
			return -1;
		}
		free(path);
		(*count)++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_error(st, "cannot read the outbox");
}
