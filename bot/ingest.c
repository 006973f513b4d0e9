/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ingest: parse, classify, store and group one message (see ingest.h). */
#include "ingest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"
#include "events.h"
#include "log.h"
#include "outbox.h"
#include "series.h"
#include "subject.h"
#include "trailer.h"
#include "util.h"

#define MAX_ANCESTORS 64

const char *msg_kind_name(enum msg_kind k)
{
	static const char *const names[] = {
		[KIND_PATCH] = "patch", [KIND_COVER] = "cover",
		[KIND_REPLY] = "reply", [KIND_PULL] = "pull",
		[KIND_OTHER] = "other", [KIND_REJECTED] = "rejected",
		[KIND_DUPLICATE] = "duplicate",
	};
	return names[k];
}

void ingest_init(struct ingest *in, struct store *st, const struct config *cfg)
{
	memset(in, 0, sizeof(*in));
	in->st = st;
	in->limits = (struct mail_limits)MAIL_LIMITS_DEFAULT;
	in->window = 3600;
	in->batch = 1;
	in->cfg = cfg;
	in->react = true;
	if (cfg) {
		in->limits.max_size = cfg->max_message_size;
		in->limits.max_depth = cfg->max_mime_depth;
		in->limits.max_parts = cfg->max_mime_parts;
		in->window = cfg->series_window;
	}
}

void ingest_release(struct ingest *in)
{
	strlist_clear(&in->stats.reasons);
}

/* What one message is, once parsed. */
struct parsed {
	struct mail m;
	struct subject_info si;
	enum msg_kind kind;
	const char *patch_text;  /* text holding the diff */
	size_t patch_len;
	struct patch_split split;
	char *pull_url, *pull_ref;
	char *change_id;
	char *from_email;        /* lowercased */
	const char *ancestors[MAX_ANCESTORS];
	size_t nr_ancestors;
	/* parsed ahead too, so that storing is database work only */
	/* why the message is refused (m is then empty), or NULL */
	char *reject;
	char *changelog;         /* KIND_PATCH: the text above the diff */
	struct diff diff;        /* KIND_PATCH */
	/* KIND_PATCH: the changelog's trailers; KIND_REPLY: the reply's */
	struct trailer_list trailers;
};

static void parsed_release(struct parsed *p)
{
	mail_release(&p->m);
	subject_info_release(&p->si);
	free(p->pull_url);
	free(p->pull_ref);
	free(p->change_id);
	free(p->from_email);
	free(p->reject);
	free(p->changelog);
	diff_release(&p->diff);
	trailer_list_release(&p->trailers);
	memset(p, 0, sizeof(*p));
}

/* In-Reply-To, then References from the nearest back; no repeats, not self. */
static void collect_ancestors(struct parsed *p)
{
	const struct mail *m = &p->m;

#define ADD_ANCESTOR(id)                                                      \
	do {                                                                  \
		const char *a_ = (id);                                        \
		int dup_ = !strcmp(a_, m->message_id);                        \
		for (size_t j_ = 0; !dup_ && j_ < p->nr_ancestors; j_++)      \
			dup_ = !strcmp(p->ancestors[j_], a_);                 \
		if (!dup_ && p->nr_ancestors < MAX_ANCESTORS)                 \
			p->ancestors[p->nr_ancestors++] = a_;                 \
	} while (0)
	if (m->in_reply_to)
		ADD_ANCESTOR(m->in_reply_to);
	for (size_t i = m->nr_references; i-- > 0;)
		ADD_ANCESTOR(m->references[i]);
#undef ADD_ANCESTOR
}

static void classify(struct parsed *p)
{
	const struct mail *m = &p->m;
	int has_diff;

	subject_parse(m->subject, &p->si);
	p->from_email = str_lower(xstrdup(m->from.email));
	collect_ancestors(p);
	if (m->attached_patch &&
	    patch_split(m->attached_patch, strlen(m->attached_patch), &p->split)) {
		p->patch_text = m->attached_patch;
		p->patch_len = strlen(m->attached_patch);
		/* the mail's own text is the changelog */
		has_diff = 1;
	} else {
		p->patch_text = m->body;
		p->patch_len = m->body_len;
		has_diff = patch_split(m->body, m->body_len, &p->split);
	}

	pull_request_find(m->body, &p->pull_url, &p->pull_ref);
	if (p->si.reply || p->si.forward)
		p->kind = KIND_REPLY;
	else if (p->pull_url && !has_diff)
		p->kind = KIND_PULL;
	else if (p->si.is_patch && p->si.n == 0 && p->si.total > 0)
		p->kind = KIND_COVER;
	else if (has_diff)
		p->kind = KIND_PATCH;
	else if (p->nr_ancestors)
		p->kind = KIND_REPLY;
	else
		p->kind = KIND_OTHER;
	if (p->kind == KIND_COVER || (p->kind == KIND_PATCH && p->si.total <= 1))
		p->change_id = change_id_find(m->body);
}

static char *join_addresses(const struct mail_address *a, size_t nr)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	for (size_t i = 0; i < nr; i++) {
		if (i)
			buf_adds(&b, ", ");
		buf_adds(&b, a[i].email);
	}
	return buf_detach(&b, NULL);
}

/* Store the message, already placed in version (0: in none). */
static int64_t insert_message(struct ingest *in, const struct parsed *p,
			      const char *where, int64_t version)
{
	const struct mail *m = &p->m;
	sqlite3_stmt *s = store_stmt(in->st,
		"INSERT INTO messages (message_id, synthetic_id, in_reply_to, refs,"
		" subject, from_name, from_email, to_addrs, cc_addrs, date, arrived,"
		" size, kind, body, pull_url, pull_ref, source, version_id, date_tz)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	struct buf refs = BUF_INIT(BUF_NOLIMIT);
	char *to, *cc;
	int r;

	if (!s)
		return -1;
	for (size_t i = 0; i < m->nr_references; i++) {
		if (i)
			buf_addch(&refs, ' ');
		buf_adds(&refs, m->references[i]);
	}
	to = join_addresses(m->to, m->nr_to);
	cc = join_addresses(m->cc, m->nr_cc);
	store_bind_static(s, 1, m->message_id);
	sqlite3_bind_int(s, 2, m->message_id_synthetic);
	store_bind_static(s, 3, m->in_reply_to);
	store_bind_static(s, 4, refs.s);
	store_bind_static(s, 5, m->subject);
	store_bind_static(s, 6, m->from.name);
	store_bind_static(s, 7, p->from_email);
	store_bind_static(s, 8, to);
	store_bind_static(s, 9, cc);
	sqlite3_bind_int64(s, 10, m->date);
	sqlite3_bind_int64(s, 11, now_seconds());
	sqlite3_bind_int64(s, 12, (sqlite3_int64)m->size);
	store_bind_static(s, 13, msg_kind_name(p->kind));
	sqlite3_bind_text(s, 14, m->body, (int)m->body_len, SQLITE_STATIC);
	store_bind_static(s, 15, p->pull_url);
	store_bind_static(s, 16, p->pull_ref);
	store_bind_static(s, 17, where);
	if (version)
		sqlite3_bind_int64(s, 18, version);
	sqlite3_bind_int(s, 19, m->date_tz);
	r = store_done(in->st, s);
	buf_release(&refs);
	free(to);
	free(cc);
	return r ? -1 : sqlite3_last_insert_rowid(in->st->db);
}

static int insert_trailer(struct ingest *in, int64_t patch, int64_t source,
			  const struct trailer *t)
{
	sqlite3_stmt *s = store_stmt(in->st,
		"INSERT OR IGNORE INTO trailers (patch_id, source_id, key, value)"
		" VALUES (?, ?, ?, ?)");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, patch);
	sqlite3_bind_int64(s, 2, source);
	store_bind_static(s, 3, t->key);
	store_bind_static(s, 4, t->value);
	return store_done(in->st, s);
}

static int insert_diff(struct ingest *in, int64_t patch, const struct diff *d)
{
	sqlite3_stmt *s;

	for (size_t i = 0; i < d->nr_files; i++) {
		const struct diff_file *f = &d->files[i];
		char status[2] = { (char)f->status, 0 };

		s = store_stmt(in->st, "INSERT INTO patch_files VALUES (?, ?, ?, ?, ?, ?)");
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, patch);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		store_bind_static(s, 3, f->old_path);
		store_bind_static(s, 4, f->new_path);
		store_bind_static(s, 5, status);
		sqlite3_bind_int(s, 6, f->binary);
		if (store_done(in->st, s))
			return -1;
		for (size_t j = 0; j < f->nr_hunks; j++) {
			const struct diff_hunk *h = &f->hunks[j];

			s = store_stmt(in->st,
				"INSERT INTO hunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
			if (!s)
				return -1;
			sqlite3_bind_int64(s, 1, patch);
			sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
			sqlite3_bind_int64(s, 3, (sqlite3_int64)j);
			sqlite3_bind_int64(s, 4, (sqlite3_int64)h->old_start);
			sqlite3_bind_int64(s, 5, (sqlite3_int64)h->old_count);
			sqlite3_bind_int64(s, 6, (sqlite3_int64)h->new_start);
			sqlite3_bind_int64(s, 7, (sqlite3_int64)h->new_count);
			store_bind_static(s, 8, h->func ? h->func : "");
			if (store_done(in->st, s))
				return -1;
		}
	}
	return 0;
}

/* The configuration for what answers mail, or NULL when nothing may. */
static const struct config *reacting(const struct ingest *in)
{
	return in->react ? in->cfg : NULL;
}

static struct placement placement_of(const struct ingest *in,
				     const struct parsed *p, int64_t row)
{
	return (struct placement){
		.msg_row = row,
		.message_id = p->m.message_id,
		.ancestors = p->ancestors,
		.nr_ancestors = p->nr_ancestors,
		.author_email = p->from_email,
		.author_name = p->m.from.name,
		.date = p->m.date,
		.si = &p->si,
		.cover = p->kind == KIND_COVER,
		.change_id = p->change_id,
		.window = in->window,
	};
}

static int store_patch(struct ingest *in, struct parsed *p, int64_t row,
		       int64_t version)
{
	int64_t patch;
	const char *body = p->m.body;
	sqlite3_stmt *s;
	int n = p->si.n ? p->si.n : 1, r;

	s = store_stmt(in->st,
		"INSERT INTO patches (message_id, version_id, n, total, title, changelog,"
		" diff, diff_off, diff_len) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, row);
	sqlite3_bind_int64(s, 2, version);
	sqlite3_bind_int(s, 3, n);
	sqlite3_bind_int(s, 4, p->si.total ? p->si.total : 1);
	store_bind_static(s, 5, p->si.title);
	store_bind_static(s, 6, p->changelog);
	/* a diff in the mail text is already stored, in messages.body */
	if (p->patch_text == body) {
		sqlite3_bind_text(s, 7, "", 0, SQLITE_STATIC);
		sqlite3_bind_int64(s, 8, (sqlite3_int64)p->split.diff_start);
		sqlite3_bind_int64(s, 9, (sqlite3_int64)p->split.diff_len);
	} else {
		sqlite3_bind_text(s, 7, p->patch_text + p->split.diff_start,
				  (int)p->split.diff_len, SQLITE_STATIC);
	}
	if (store_done(in->st, s))
		return -1;
	patch = sqlite3_last_insert_rowid(in->st->db);
	if (insert_diff(in, patch, &p->diff))
		return -1;
	for (size_t i = 0; i < p->trailers.nr; i++)
		if (insert_trailer(in, patch, row, &p->trailers.items[i]))
			return -1;
	r = series_refresh(in->st, version, n, p->si.title);
	if (r == 1)
		r = events_version_complete(in->st, reacting(in), version);
	return r;
}

static int store_cover(struct ingest *in, int64_t row, int64_t version)
{
	int r;

	if (series_set_cover(in->st, version, row))
		return -1;
	r = series_refresh(in->st, version, 0, NULL);
	return r == 1 ? events_version_complete(in->st, reacting(in), version) : r;
}

/*
 * A reply joins the thread's version; the trailers it gives go to the
 * patch it answers, or to every patch of the version when it answers the
 * cover letter.
 */
static int store_reply(struct ingest *in, struct parsed *p, int64_t row,
		       int64_t version)
{
	const struct trailer_list *tl = &p->trailers;
	int64_t parent;
	sqlite3_stmt *s;

	if (!version || !tl->nr)
		return 0;
	/* the nearest ancestor that is a patch or the cover */
	parent = 0;
	s = store_stmt(in->st,
		"SELECT m.id, m.kind FROM messages m WHERE m.message_id = ?"
		" AND m.kind IN ('patch', 'cover')");
	for (size_t i = 0; s && !parent && i < p->nr_ancestors; i++) {
		sqlite3_reset(s);
		store_bind_static(s, 1, p->ancestors[i]);
		if (sqlite3_step(s) == SQLITE_ROW)
			parent = sqlite3_column_int64(s, 0);
	}
	if (s)
		sqlite3_reset(s);
	s = store_stmt(in->st,
		"SELECT p.id FROM patches p WHERE p.message_id = ?1 UNION ALL"
		" SELECT p.id FROM patches p JOIN versions v ON v.id = p.version_id"
		" WHERE v.cover_id = ?1 ORDER BY 1");
	if (!s || !parent)
		return s ? 0 : -1;
	{
		int64_t ids[1024];
		size_t nr = 0;
		int r = 0;

		sqlite3_bind_int64(s, 1, parent);
		while (sqlite3_step(s) == SQLITE_ROW && nr < 1024)
			ids[nr++] = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		for (size_t i = 0; i < nr && !r; i++)
			for (size_t j = 0; j < tl->nr && !r; j++)
				r = insert_trailer(in, ids[i], row, &tl->items[j]);
		if (!r && nr)
			r = events_trailers_added(in->st, reacting(in), row);
		return r;
	}
}

static int is_duplicate(struct ingest *in, const char *message_id)
{
	sqlite3_stmt *s = store_stmt(in->st, "SELECT 1 FROM messages WHERE message_id = ?");

	if (!s)
		return -1;
	store_bind_static(s, 1, message_id);
	return (int)store_int(in->st, s, 0);
}

static int store_rejected(struct ingest *in, const struct mail_item *item,
			  const char *reason)
{
	char hex[41], *id;
	sqlite3_stmt *s;
	int r;

	hash_hex(item->raw, item->len, hex);
	id = xasprintf("rejected-%s-%zu@patchbot.invalid", hex, item->full_size);
	r = is_duplicate(in, id);
	if (r) {
		free(id);
		if (r > 0)
			in->stats.duplicate++;
		return r < 0 ? -1 : KIND_DUPLICATE;
	}
	s = store_stmt(in->st,
		"INSERT INTO messages (message_id, synthetic_id, arrived, size, kind,"
		" reject_reason, raw, source) VALUES (?, 1, ?, ?, 'rejected', ?, ?, ?)");
	if (!s) {
		free(id);
		return -1;
	}
	store_bind_static(s, 1, id);
	sqlite3_bind_int64(s, 2, now_seconds());
	sqlite3_bind_int64(s, 3, (sqlite3_int64)item->full_size);
	store_bind_static(s, 4, reason);
	/* keep the bytes of a mail within the size limit, so nothing is lost */
	if (item->full_size == item->len)
		sqlite3_bind_blob(s, 5, item->raw, (int)item->len, SQLITE_STATIC);
	store_bind_static(s, 6, item->where);
	r = store_done(in->st, s);
	free(id);
	if (r)
		return -1;
	in->stats.rejected++;
	{
		char *line = xasprintf("%s: %s", item->where ? item->where : "?", reason);

		strlist_push(&in->stats.reasons, line);
		free(line);
	}
	log_info("rejected %s: %s", item->where ? item->where : "a message", reason);
	return KIND_REJECTED;
}

/* Mail from the bot itself: its copy of a reply it sent. */
static int from_bot(const struct ingest *in, const struct parsed *p)
{
	return !p->reject && in->cfg && in->cfg->bot_address &&
	       !strcasecmp(p->m.from.email, in->cfg->bot_address);
}

/*
 * The half of the work that needs no database: check the size, parse,
 * classify, and parse the diff and the trailers.  Bulk ingest runs it in
 * a thread of its own.  Fills *p, which parsed_release() frees.
 */
static void prepare(const struct ingest *in, const struct mail_item *item,
		    struct parsed *p)
{
	struct buf err = BUF_INIT(1024);

	memset(p, 0, sizeof(*p));
	if (item->full_size > in->limits.max_size) {
		buf_addf(&err, "message is %zu bytes, over the limit of %zu",
			 item->full_size, in->limits.max_size);
		p->reject = buf_detach(&err, NULL);
		return;
	}
	if (mail_parse(&p->m, item->raw, item->len, &in->limits, &err)) {
		p->reject = err.len ? buf_detach(&err, NULL)
				    : xstrdup("cannot parse the message");
		buf_release(&err);
		return;
	}
	buf_release(&err);
	classify(p);
	if (p->kind == KIND_PATCH) {
		const char *body = p->m.body;
		size_t clen = p->patch_text == body ? p->split.changelog_len
						    : p->m.body_len;

		p->changelog = str_trim_dup(body, clen);
		diff_parse(p->patch_text + p->split.diff_start, p->split.diff_len,
			   &p->diff);
		trailers_from_changelog(p->changelog, &p->trailers);
	} else if (p->kind == KIND_REPLY) {
		trailers_from_reply(p->m.body, &p->trailers);
	}
}

/*
 * The database half, inside a transaction; returns the kind or -1.
 * item->raw is needed only for a rejected message or the bot's own.
 */
static int store_prepared(struct ingest *in, const struct mail_item *item,
			  struct parsed *p)
{
	int64_t row, thread = 0, version = 0, unused;
	int r = 0;

	if (p->reject)
		return store_rejected(in, item, p->reject);
	/* our own mail coming back may confirm a send a crash cut off */
	if (from_bot(in, p) &&
	    outbox_confirm_copy(in->st, p->m.message_id, item->raw, item->len) < 0)
		return -1;
	r = is_duplicate(in, p->m.message_id);
	if (r) {
		if (r < 0)
			return -1;
		in->stats.duplicate++;
		return KIND_DUPLICATE;
	}
	/*
	 * Place the message before storing it, so that its row is written
	 * once: setting version_id afterwards rewrote the whole row, body
	 * and all.
	 */
	if (p->kind == KIND_PATCH || p->kind == KIND_COVER) {
		struct placement pl = placement_of(in, p, 0);

		r = series_place(in->st, &pl, &version);
	} else if (p->kind == KIND_REPLY || p->kind == KIND_OTHER) {
		r = series_find_thread(in->st, p->ancestors, p->nr_ancestors, &thread, &unused);
		if (p->kind == KIND_REPLY)
			version = thread;
	}
	row = r ? -1 : insert_message(in, p, item->where, version);
	if (row < 0)
		return -1;
	switch (p->kind) {
	case KIND_PATCH:
		r = store_patch(in, p, row, version);
		in->stats.patches++;
		break;
	case KIND_COVER:
		r = store_cover(in, row, version);
		in->stats.covers++;
		break;
	case KIND_REPLY:
	case KIND_OTHER:
		/* replies and direct mail may carry commands for the thread */
		if (p->kind == KIND_REPLY)
			r = store_reply(in, p, row, thread);
		if (!r)
			r = dispatch_mail(in->st, reacting(in), &p->m, row, thread,
					  &in->commands);
		if (p->kind == KIND_REPLY)
			in->stats.replies++;
		else
			in->stats.other++;
		break;
	default:
		r = 0;
		break;
	}
	/* a pull request may carry a diff too: it counts as both */
	if (p->pull_url && p->kind != KIND_REPLY)
		in->stats.pulls++;
	in->stats.added++;
	log_debug(LOG_MAIL, "%s <%s> %s", msg_kind_name(p->kind), p->m.message_id,
		  p->m.subject);
	return r ? -1 : (int)p->kind;
}

/* A prepared message into the batch, committing when the batch is full. */
static int ingest_prepared(struct ingest *in, const struct mail_item *item,
			   struct parsed *p, enum msg_kind *kind)
{
	int r;

	/*
	 * No savepoint per message: a failure rolls the whole batch back
	 * anyway, and a savepoint made sqlite copy every page a message
	 * touched into its sub-journal.
	 */
	if (!in->in_batch) {
		walsync_pace(in->walsync);
		if (store_begin(in->st))
			return -1;
	}
	in->stats.read++;
	r = store_prepared(in, item, p);
	if (r < 0) {
		/* a failed database keeps nothing of the batch: a rerun redoes it */
		store_rollback(in->st);
		in->in_batch = 0;
		return -1;
	}
	if (kind)
		*kind = (enum msg_kind)r;
	if (++in->in_batch >= in->batch)
		return ingest_flush(in);
	return 0;
}

int ingest_message(struct ingest *in, const struct mail_item *item,
		   enum msg_kind *kind)
{
	struct parsed p;
	int r;

	prepare(in, item, &p);
	r = ingest_prepared(in, item, &p, kind);
	parsed_release(&p);
	return r;
}

int ingest_flush(struct ingest *in)
{
	if (!in->in_batch)
		return 0;
	in->in_batch = 0;
	if ((in->before_commit && in->before_commit(in->st, in->commit_payload)) ||
	    store_commit(in->st)) {
		store_rollback(in->st);
		return -1;
	}
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show_progress_line(struct ingest *in, size_t done, size_t total,
			       const struct timespec *t0, int final)
{
	double secs = seconds_since(t0), rate = secs > 0 ? (double)in->stats.read / secs : 0;

	fprintf(stderr, "\r%zu messages, %.0f/s", in->stats.read, rate);
	if (total && done && done <= total && !final) {
		double eta = secs * (double)(total - done) / (double)done;

		fprintf(stderr, ", %zu%%, ETA %.0fs  ", (size_t)(100.0 * (double)done / (double)total), eta);
	}
	if (final)
		fputs("          \n", stderr);
}

static size_t source_progress(struct mail_source *src, size_t *total)
{
	*total = 0;
	return src->progress ? src->progress(src, total) : 0;
}

/* One thread: read, parse and store each message in turn. */
static int ingest_serial(struct ingest *in, struct mail_source *src,
			 int show_progress, struct buf *err)
{
	struct mail_item item;
	struct timespec t0;
	size_t done, total;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((r = src->next(src, &item, err)) > 0) {
		if (ingest_message(in, &item, NULL))
			return -1;
		if (show_progress && in->stats.read % 1000 == 0) {
			done = source_progress(src, &total);
			show_progress_line(in, done, total, &t0, 0);
		}
	}
	if (show_progress)
		show_progress_line(in, 0, 0, &t0, 1);
	if (ingest_flush(in))
		return -1;
	return r;
}

/*
 * Bulk ingest in two threads: a reader reads and prepares (parses)
 * messages into a ring of slots while the caller's thread stores them, in
 * the same order.  The reader also frees what it allocated, when it
 * reuses a slot: freeing another thread's blocks made glibc's malloc
 * fault in pages three times as often.
 */
#define PIPE_SLOTS 256
/* raw bytes parsed ahead at most (a slot may hold a 10 MiB mail) */
#define PIPE_BYTES ((size_t)32 << 20)

struct pipe_slot {
	struct parsed p;
	/* item.raw is a copy when the storing half needs it, else NULL */
	struct mail_item item;
	char *raw, *where;
};

struct pipeline {
	struct ingest *in;
	struct mail_source *src;
	struct pipe_slot *slots;
	pthread_mutex_t lock;
	pthread_cond_t filled;  /* a slot was filled, or the source ended */
	pthread_cond_t drained; /* a slot was stored, or stop */
	/* under lock: */
	size_t fill, stored;    /* slots prepared, slots stored (counts) */
	size_t bytes;           /* raw bytes prepared and not yet stored */
	size_t done, total;     /* the source's progress */
	int eof, result, stop;
	struct buf err;         /* the source's error */
};

static void slot_release(struct pipe_slot *s)
{
	parsed_release(&s->p);
	free(s->raw);
	free(s->where);
	memset(s, 0, sizeof(*s));
}

static void *pipe_reader(void *arg)
{
	struct pipeline *pl = arg;
	struct buf err = BUF_INIT(4096);
	int r = 0;

	for (size_t n = 0;; n++) {
		struct pipe_slot *s = &pl->slots[n % PIPE_SLOTS];
		struct mail_item item;
		size_t done, total;
		int stop;

		pthread_mutex_lock(&pl->lock);
		/* the slot's last message stored, and not too much in hand */
		while (!pl->stop && (pl->stored + PIPE_SLOTS <= n ||
				     (pl->bytes > PIPE_BYTES && pl->stored < n)))
			pthread_cond_wait(&pl->drained, &pl->lock);
		stop = pl->stop;
		pthread_mutex_unlock(&pl->lock);
		if (stop)
			break;
		slot_release(s);
		r = pl->src->next(pl->src, &item, &err);
		if (r <= 0)
			break;
		done = source_progress(pl->src, &total);
		prepare(pl->in, &item, &s->p);
		s->item = item;
		s->item.where = s->where = item.where ? xstrdup(item.where) : NULL;
		s->item.raw = NULL;
		/* xstrndup copies len bytes, NULs and all */
		if (s->p.reject || from_bot(pl->in, &s->p))
			s->item.raw = s->raw = xstrndup(item.raw, item.len);
		pthread_mutex_lock(&pl->lock);
		pl->fill = n + 1;
		pl->bytes += item.len;
		pl->done = done;
		pl->total = total;
		pthread_cond_signal(&pl->filled);
		pthread_mutex_unlock(&pl->lock);
	}
	pthread_mutex_lock(&pl->lock);
	pl->eof = 1;
	pl->result = r;
	if (r < 0)
		buf_adds(&pl->err, err.s);
	pthread_cond_signal(&pl->filled);
	pthread_mutex_unlock(&pl->lock);
	buf_release(&err);
	return NULL;
}

static int ingest_pipelined(struct ingest *in, struct mail_source *src,
			    int show_progress, struct buf *err)
{
	struct pipeline pl = { .in = in, .src = src, .err = BUF_INIT(4096) };
	struct timespec t0;
	pthread_t reader;
	int r = 0;

	pl.slots = xcalloc(PIPE_SLOTS, sizeof(*pl.slots));
	pthread_mutex_init(&pl.lock, NULL);
	pthread_cond_init(&pl.filled, NULL);
	pthread_cond_init(&pl.drained, NULL);
	if (pthread_create(&reader, NULL, pipe_reader, &pl)) {
		pthread_cond_destroy(&pl.drained);
		pthread_cond_destroy(&pl.filled);
		pthread_mutex_destroy(&pl.lock);
		free(pl.slots);
		return ingest_serial(in, src, show_progress, err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t n = 0;; n++) {
		struct pipe_slot *s = &pl.slots[n % PIPE_SLOTS];
		size_t done, total;

		pthread_mutex_lock(&pl.lock);
		while (pl.fill <= n && !pl.eof)
			pthread_cond_wait(&pl.filled, &pl.lock);
		if (pl.fill <= n) {
			pthread_mutex_unlock(&pl.lock);
			break;
		}
		done = pl.done;
		total = pl.total;
		pthread_mutex_unlock(&pl.lock);
		r = ingest_prepared(in, &s->item, &s->p, NULL);
		pthread_mutex_lock(&pl.lock);
		pl.stored = n + 1;
		pl.bytes -= s->item.len;
		pthread_cond_signal(&pl.drained);
		pthread_mutex_unlock(&pl.lock);
		if (r)
			break;
		if (show_progress && in->stats.read % 1000 == 0)
			show_progress_line(in, done, total, &t0, 0);
	}
	pthread_mutex_lock(&pl.lock);
	pl.stop = 1;
	pthread_cond_signal(&pl.drained);
	pthread_mutex_unlock(&pl.lock);
	pthread_join(reader, NULL);
	for (size_t i = 0; i < PIPE_SLOTS; i++)
		slot_release(&pl.slots[i]);
	free(pl.slots);
	pthread_cond_destroy(&pl.drained);
	pthread_cond_destroy(&pl.filled);
	pthread_mutex_destroy(&pl.lock);
	if (pl.err.len)
		buf_adds(err, pl.err.s);
	buf_release(&pl.err);
	if (r)
		return -1;
	if (show_progress)
		show_progress_line(in, 0, 0, &t0, 1);
	if (ingest_flush(in))
		return -1;
	return pl.result;
}

int ingest_source(struct ingest *in, struct mail_source *src, int show_progress,
		  struct buf *err)
{
	if (in->parse_ahead)
		return ingest_pipelined(in, src, show_progress, err);
	return ingest_serial(in, src, show_progress, err);
}
