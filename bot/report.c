/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report: the static HTML status page (see report.h).  The rows come from
 * the queries the `list` and `pending` commands use (queueshow.c) and
 * from subs.c; this file only lays them out.  Every string that came
 * from mail goes through html_escape().
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "queueshow.h"
#include "subs.h"
#include "util.h"

/* How much of each list the page shows. */
#define REPORT_HISTORY 30
#define REPORT_RECENT 20
#define REPORT_PATHS 200

int html_escape(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int r = 0;

	while (n && !r) {
		uint32_t cp;
		size_t k = utf8_seq(p, n, &cp);

		if (!k) {
			/* not UTF-8: one replacement character per bad byte */
			r = buf_adds(out, "\xef\xbf\xbd");
			k = 1;
		} else if (cp == '&') {
			r = buf_adds(out, "&amp;");
		} else if (cp == '<') {
			r = buf_adds(out, "&lt;");
		} else if (cp == '>') {
			r = buf_adds(out, "&gt;");
		} else if (cp == '"') {
			r = buf_adds(out, "&quot;");
		} else if (cp == '\'') {
			r = buf_adds(out, "&#39;");
		} else if ((cp < 0x20 && cp != '\t' && cp != '\n') ||
			   (cp >= 0x7f && cp < 0xa0)) {
			r = buf_adds(out, "\xef\xbf\xbd");
		} else {
			r = buf_add(out, p, k);
		}
		p += k;
		n -= k;
	}
	return r;
}

/* "<tag attrs>" + escaped text + "</tag>"; tag and attrs are ours. */
static void el(struct buf *out, const char *open, const char *text, const char *close)
{
	buf_adds(out, open);
	html_escape(out, text);
	buf_adds(out, close);
}

/*
 * A link to a message: the queue.linkUrl pattern with the Message-ID
 * percent-encoded for %s (so that it stays one path segment), the whole
 * escaped for the attribute.  Nothing when there is no pattern or id.
 */
static void open_link(struct buf *out, const struct config *cfg, const char *msgid)
{
	const char *pat = cfg->queue_link_url, *pct;
	struct buf url = BUF_INIT(BUF_NOLIMIT);

	if (!pat || !*pat || !msgid || !*msgid || !(pct = strstr(pat, "%s")))
		return;
	buf_add(&url, pat, (size_t)(pct - pat));
	for (const unsigned char *p = (const unsigned char *)msgid; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~@!$+=", *p))
			buf_addch(&url, *p);
		else
			buf_addf(&url, "%%%02X", *p);
	}
	buf_adds(&url, pct + 2);
	buf_adds(out, "<a href=\"");
	html_escape(out, url.s);
	buf_adds(out, "\">");
	buf_release(&url);
}

static void close_link(struct buf *out, const struct config *cfg, const char *msgid)
{
	const char *pat = cfg->queue_link_url;

	if (pat && strstr(pat, "%s") && msgid && *msgid)
		buf_adds(out, "</a>");
}

static void fmt_time(int64_t t, const char *fmt, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(out, 32, fmt, &tm))
		snprintf(out, 32, "-");
}

/* <time> with the UTC date, saying how long ago it was. */
static void age(struct buf *out, int64_t t, int64_t now)
{
	char iso[32], day[32];
	int64_t d = now - t;

	fmt_time(t, "%Y-%m-%dT%H:%M:%SZ", iso);
	fmt_time(t, "%Y-%m-%d %H:%M UTC", day);
	buf_addf(out, "<time datetime=\"%s\" title=\"%s\">", iso, day);
	if (!t)
		buf_adds(out, "unknown");
	else if (d < 60)
		buf_adds(out, "just now");
	else if (d < 3600)
		buf_addf(out, "%lld min ago", (long long)(d / 60));
	else if (d < 2 * 86400)
		buf_addf(out, "%lld h ago", (long long)(d / 3600));
	else
		buf_addf(out, "%lld days ago", (long long)(d / 86400));
	buf_adds(out, "</time>");
}

static void author(struct buf *out, const char *name, const char *email)
{
	buf_adds(out, "<span class=\"author\">");
	html_escape(out, *name ? name : email);
	if (*name)
		el(out, " &lt;", email, "&gt;");
	buf_adds(out, "</span>");
}

/* The title line of a series version, linked to its first mail. */
static void series_title(struct buf *out, const struct config *cfg, int version,
			 const char *title, const char *msgid)
{
	buf_addf(out, "<div class=\"title\"><span class=\"v\">v%d</span> ", version);
	open_link(out, cfg, msgid);
	html_escape(out, title);
	close_link(out, cfg, msgid);
	buf_adds(out, "</div>\n");
}

struct render {
	struct store *st;
	const struct config *cfg;
	struct buf *out;
	int64_t now;
	int n, total;
	char tip[GIT_OID_HEXSZ + 1];
};

static int trailer_item(const struct version_trailer *t, void *payload)
{
	struct render *r = payload;

	el(r->out, "<li>", t->key, ": ");
	html_escape(r->out, t->value);
	buf_addf(r->out, " <span class=\"of\">(%d/%d)</span></li>\n", t->patches, r->total);
	return 0;
}

static int trailers(struct render *r, int64_t version_id, int total)
{
	struct buf items = BUF_INIT(BUF_NOLIMIT), *out = r->out;
	int rc;

	r->total = total;
	r->out = &items;
	rc = version_each_trailer(r->st, version_id, trailer_item, r);
	r->out = out;
	if (items.len)
		buf_addf(out, "<ul class=\"trailers\">\n%s</ul>\n", items.s);
	buf_release(&items);
	return rc;
}

static int commit_item(const struct queue_commit *c, void *payload)
{
	struct render *r = payload;

	buf_addf(r->out, "<li><code title=\"%s\">%.12s</code> %d/%d ", c->commit_id,
		 c->commit_id, c->n, c->total);
	el(r->out, "<span class=\"subject\">", c->title, "</span></li>\n");
	return 0;
}

static int queue_item(const struct queue_entry *e, void *payload)
{
	struct render *r = payload;
	struct buf *out = r->out;

	r->n++;
	buf_addf(out, "<li class=\"series\" id=\"q-%lld\" data-series=\"%lld\" data-version=\"%d\">\n",
		 (long long)e->version_id, (long long)e->series_id, e->version);
	series_title(out, r->cfg, e->version, e->title, e->msgid);
	buf_adds(out, "<div class=\"meta\">by ");
	author(out, e->author_name, e->author_email);
	buf_adds(out, ", posted ");
	age(out, e->posted, r->now);
	buf_adds(out, ", queued ");
	age(out, e->queued_at, r->now);
	el(out, " by ", e->queued_by, "");
	buf_addf(out, " &middot; series %lld</div>\n", (long long)e->series_id);
	if (trailers(r, e->version_id, e->total))
		return -1;
	if (*e->tip) {
		buf_addf(out, "<ol class=\"commits\">\n");
		if (queue_each_commit(r->st, e->version_id, commit_item, r))
			return -1;
		buf_adds(out, "</ol>\n");
		snprintf(r->tip, sizeof(r->tip), "%s", e->tip);
	} else {
		buf_adds(out, "<p class=\"note\">not built yet</p>\n");
	}
	buf_adds(out, "</li>\n");
	return 0;
}

/* Each branch, top first; the tip of an empty branch is the one below. */
static int render_queue(struct render *r, const char *base)
{
	const struct strlist *br = &r->cfg->tree_branches;
	struct buf *parts = xcalloc(br->nr ? br->nr : 1, sizeof(*parts));
	struct buf *out = r->out;
	int rc = 0;

	snprintf(r->tip, sizeof(r->tip), "%s", base ? base : "");
	for (size_t i = 0; i < br->nr && !rc; i++) {
		struct buf items = BUF_INIT(BUF_NOLIMIT);

		buf_init(&parts[i], BUF_NOLIMIT);
		r->out = &items;
		r->n = 0;
		rc = queue_each_entry(r->st, br->v[i], queue_item, r);
		r->out = &parts[i];
		buf_adds(r->out, "<section class=\"branch\" id=\"branch-");
		html_escape(r->out, br->v[i]);
		buf_adds(r->out, "\" data-branch=\"");
		html_escape(r->out, br->v[i]);
		el(r->out, "\">\n<h3>", br->v[i], "");
		buf_addf(r->out, " <span class=\"count\">%d series</span></h3>\n", r->n);
		buf_addf(r->out, "<p class=\"tip\">tip <code>%.12s</code></p>\n",
			 *r->tip ? r->tip : "unknown");
		if (r->n)
			buf_addf(r->out, "<ol class=\"series-list\">\n%s</ol>\n", items.s);
		else
			buf_adds(r->out, "<p class=\"empty\">empty</p>\n");
		buf_adds(r->out, "</section>\n");
		buf_release(&items);
	}
	r->out = out;
	for (size_t i = br->nr; i-- > 0;) {
		if (!rc)
			buf_add(out, parts[i].s, parts[i].len);
		buf_release(&parts[i]);
	}
	free(parts);
	return rc;
}

static int pending_item(const struct pending_entry *e, void *payload)
{
	struct render *r = payload;
	struct buf *out = r->out;

	r->n++;
	buf_addf(out, "<li class=\"series waiting\" id=\"w-%lld\" data-series=\"%lld\" data-version=\"%d\">\n",
		 (long long)e->version_id, (long long)e->series_id, e->version);
	series_title(out, r->cfg, e->version, e->title, e->msgid);
	buf_adds(out, "<div class=\"meta\">by ");
	author(out, e->author_name, e->author_email);
	buf_adds(out, ", posted ");
	age(out, e->posted, r->now);
	buf_addf(out, ", %d patch%s &middot; series %lld", e->total,
		 e->total == 1 ? "" : "es", (long long)e->series_id);
	if (e->feedback_sent)
		buf_adds(out, " <span class=\"badge feedback\">feedback sent</span>");
	buf_adds(out, "</div>\n");
	if (trailers(r, e->version_id, e->total))
		return -1;
	buf_adds(out, "</li>\n");
	return 0;
}

static int event_item(const struct queue_event *e, void *payload)
{
	struct render *r = payload;
	struct buf *out = r->out;

	r->n++;
	buf_adds(out, "<li class=\"event\">");
	age(out, e->at, r->now);
	el(out, " <b class=\"action\">", e->action, "</b>");
	buf_addf(out, " v%d ", e->version);
	el(out, "<span class=\"subject\">", e->title, "</span>");
	buf_addf(out, " (series %lld) ", (long long)e->series_id);
	el(out, !strcmp(e->action, "moved") ? "to <code>" : "on <code>", e->branch, "</code>");
	if (!strcmp(e->action, "moved") && *e->detail)
		el(out, " from <code>", e->detail, "</code>");
	else if (*e->detail)
		el(out, ": <q>", e->detail, "</q>");
	if (*e->by)
		el(out, " by ", e->by, "");
	buf_adds(out, "</li>\n");
	return 0;
}

/* The newest series versions, as they arrived. */
static int render_recent(struct render *r)
{
	sqlite3_stmt *s = store_stmt(r->st,
		"SELECT v.series_id, v.version, v.title, v.author_name, v.author_email,"
		" v.date, v.total, v.complete, v.state,"
		" (SELECT count(DISTINCT n) FROM patches WHERE version_id = v.id"
		"   AND n BETWEEN 1 AND v.total)"
		" FROM versions v ORDER BY v.id DESC LIMIT ?");
	int rc, n = 0;

	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, REPORT_RECENT);
	buf_adds(r->out, "<ol class=\"recent\">\n");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(s, 8);

		n++;
		buf_addf(r->out, "<li class=\"posted\" data-series=\"%lld\">",
			 (long long)sqlite3_column_int64(s, 0));
		age(r->out, sqlite3_column_int64(s, 5), r->now);
		buf_addf(r->out, " v%d ", sqlite3_column_int(s, 1));
		el(r->out, "<span class=\"subject\">",
		   (const char *)sqlite3_column_text(s, 2), "</span> by ");
		author(r->out, (const char *)sqlite3_column_text(s, 3),
		       (const char *)sqlite3_column_text(s, 4));
		buf_addf(r->out, ", %d/%d patch%s", sqlite3_column_int(s, 9),
			 sqlite3_column_int(s, 6), sqlite3_column_int(s, 6) == 1 ? "" : "es");
		if (!sqlite3_column_int(s, 7))
			buf_adds(r->out, " <span class=\"badge\">incomplete</span>");
		if (state && strcmp(state, "new"))
			el(r->out, " <span class=\"state\">", state, "</span>");
		buf_addf(r->out, " (series %lld)</li>\n", (long long)sqlite3_column_int64(s, 0));
	}
	sqlite3_reset(s);
	if (!n)
		buf_adds(r->out, "<li class=\"empty\">no series yet</li>\n");
	buf_adds(r->out, "</ol>\n");
	return rc == SQLITE_DONE ? 0 : store_error(r->st, "cannot read the recent series");
}

static int path_row(const struct subs_path *p, void *payload)
{
	struct render *r = payload;

	r->n++;
	el(r->out, "<tr><td><code>", p->path, "</code></td>");
	buf_addf(r->out, "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>\n",
		 (long long)p->subscriptions, (long long)p->functions,
		 (long long)p->addresses);
	return 0;
}

static const char css[] =
	":root{color-scheme:light dark}"
	"*{box-sizing:border-box;overflow-wrap:anywhere}"
	"body{font:16px/1.45 system-ui,-apple-system,sans-serif;margin:0 auto;"
	"max-width:60rem;padding:0 .75rem 2rem}"
	"h1{font-size:1.4rem;margin:.8rem 0 .2rem}"
	"h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #8886}"
	"h3{font-size:1.05rem;margin:1rem 0 .3rem}"
	"nav a{display:inline-block;margin:.2rem .8rem .2rem 0}"
	"ol,ul{padding-left:1.2rem}"
	".series-list{list-style:none;padding:0}"
	".series{margin:0 0 .7rem;padding:.5rem .7rem;border:1px solid #8886;border-radius:.4rem}"
	".title{font-weight:600}.v{color:#888;font-weight:400}"
	".meta,.tip,.count,.note,.empty,.of,time{color:#777;font-size:.9rem}"
	".trailers,.commits{margin:.3rem 0;font-size:.9rem}"
	"code{font-size:.85rem}"
	".badge{font-size:.8rem;padding:0 .3rem;border-radius:.3rem;background:#fd6;color:#000}"
	".recent li,.history li{margin-bottom:.4rem}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.25rem .4rem;border-bottom:1px solid #8884}"
	"td.n,th.n{text-align:right}"
	"footer{margin-top:2rem;color:#777;font-size:.85rem}";

int report_render(struct store *st, const struct config *cfg, const char *base,
		  int64_t now, struct buf *out)
{
	struct render r = { .st = st, .cfg = cfg, .out = out, .now = now };
	char when[32], iso[32];
	int rc;

	fmt_time(now, "%Y-%m-%d %H:%M UTC", when);
	fmt_time(now, "%Y-%m-%dT%H:%M:%SZ", iso);
	buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<title>patchbot: the patch queue</title>\n");
	buf_addf(out, "<style>%s</style>\n</head>\n<body>\n<header>\n<h1>The patch queue</h1>\n", css);
	buf_addf(out, "<p class=\"meta\">as of <time datetime=\"%s\">%s</time>", iso, when);
	if (base)
		el(out, ", on <code>", cfg->tree_base, "</code>");
	if (base)
		buf_addf(out, " at <code>%.12s</code>", base);
	buf_adds(out, "</p>\n<nav><a href=\"#queue\">Queue</a><a href=\"#waiting\">Waiting</a>"
		      "<a href=\"#activity\">Activity</a><a href=\"#subscriptions\">Subscriptions</a>"
		      "</nav>\n</header>\n<main>\n");

	buf_adds(out, "<section id=\"queue\">\n<h2>Queue</h2>\n");
	if ((rc = render_queue(&r, base)))
		return rc;
	buf_adds(out, "</section>\n");

	buf_adds(out, "<section id=\"waiting\">\n<h2>Waiting</h2>\n"
		      "<p class=\"note\">Complete series not queued, oldest first, newest version of each.</p>\n"
		      "<ol class=\"series-list\">\n");
	r.n = 0;
	if ((rc = queue_each_pending(st, pending_item, &r)))
		return rc;
	if (!r.n)
		buf_adds(out, "<li class=\"empty\">nothing waiting</li>\n");
	buf_adds(out, "</ol>\n</section>\n");

	buf_adds(out, "<section id=\"activity\">\n<h2>Recent activity</h2>\n"
		      "<h3>The queue</h3>\n<ol class=\"history\">\n");
	r.n = 0;
	if ((rc = queue_each_event(st, REPORT_HISTORY, event_item, &r)))
		return rc;
	if (!r.n)
		buf_adds(out, "<li class=\"empty\">nothing queued yet</li>\n");
	buf_adds(out, "</ol>\n<h3>Series posted</h3>\n");
	if ((rc = render_recent(&r)))
		return rc;
	buf_adds(out, "</section>\n");

	buf_adds(out, "<section id=\"subscriptions\">\n<h2>Subscriptions</h2>\n"
		      "<table class=\"subs\">\n<thead><tr><th>path</th><th class=\"n\">subscriptions</th>"
		      "<th class=\"n\">to functions</th><th class=\"n\">subscribers</th></tr></thead>\n<tbody>\n");
	r.n = 0;
	if ((rc = subs_each_path(st, REPORT_PATHS, path_row, &r)))
		return rc;
	buf_adds(out, "</tbody>\n</table>\n");
	if (!r.n)
		buf_adds(out, "<p class=\"empty\">no subscriptions</p>\n");
	buf_addf(out, "</section>\n</main>\n<footer>patchbot %s</footer>\n</body>\n</html>\n",
		 PACKAGE_VERSION);
	return 0;
}

/* All of len bytes, or -1. */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int report_write(struct store *st, const struct config *cfg, const char *dir,
		 struct buf *err)
{
	struct buf page = BUF_INIT(BUF_NOLIMIT);
	char base[GIT_OID_HEXSZ + 1];
	char *tmp = NULL, *dest = NULL;
	int fd = -1, rc = -1;
	bool made = false;

	queue_base_hex(st, cfg, base);
	if (report_render(st, cfg, *base ? base : NULL, now_seconds(), &page)) {
		buf_addf(err, "cannot make the status page: the database failed");
		goto out;
	}
	/* the page is for everyone: the daemon's umask (0077 in the
	 * systemd unit) must not hide the folder from the web server */
	if (!mkdir(dir, 0755)) {
		if (chmod(dir, 0755)) {
			buf_addf(err, "cannot make folder '%s' readable: %s", dir, strerror(errno));
			goto out;
		}
	} else if (errno != EEXIST) {
		buf_addf(err, "cannot create folder '%s': %s", dir, strerror(errno));
		goto out;
	}
	/* a temporary name in the same folder, so that rename is atomic */
	tmp = xasprintf("%s/." REPORT_INDEX ".XXXXXX", dir);
	dest = xasprintf("%s/" REPORT_INDEX, dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		buf_addf(err, "cannot write in '%s': %s", dir, strerror(errno));
		goto out;
	}
	made = true;
	/* mkstemp makes it 0600; a web server must read it */
	if (fchmod(fd, 0644) || write_all(fd, page.s, page.len) || fsync(fd)) {
		buf_addf(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		buf_addf(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, dest)) {
		buf_addf(err, "cannot replace '%s': %s", dest, strerror(errno));
		goto out;
	}
	log_debug(LOG_DB, "status page written to %s (%zu bytes)", dest, page.len);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && made)
		unlink(tmp);
	free(tmp);
	free(dest);
	buf_release(&page);
	return rc;
}

char *report_stamp(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT (SELECT coalesce(max(id), 0) FROM queue_history)"
		" || ':' || (SELECT count(*) || '/' || coalesce(max(id), 0) FROM series)"
		" || ':' || (SELECT coalesce(max(id), 0) FROM versions)"
		" || ':' || (SELECT coalesce(sum(complete), 0) FROM versions)"
		" || ':' || (SELECT coalesce(max(id), 0) FROM patches)"
		" || ':' || (SELECT coalesce(max(id), 0) FROM trailers)"
		" || ':' || (SELECT coalesce(max(id), 0) FROM feedback_sent)"
		" || ':' || (SELECT count(*) || '/' || coalesce(max(id), 0) FROM subscriptions)"
		" || ':' || (SELECT coalesce(group_concat(version_id || '@' || coalesce(tip, '-'), ','), '')"
		"   FROM queue)");
	char *r = NULL;

	if (!s)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		r = xstrdup((const char *)sqlite3_column_text(s, 0));
	else
		store_error(st, "cannot read the state of the status page");
	sqlite3_reset(s);
	return r;
}
