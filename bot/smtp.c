/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smtp: deliver the outbox with libcurl (see smtp.h). */
#include "smtp.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/*
 * Time limits.  A transfer that stalls is cut after SMTP_TRANSFER_TIMEOUT;
 * a flush starts no new transfer after SMTP_FLUSH_BUDGET, so the daemon
 * gets back to IMAP within a few minutes even with a long queue (what is
 * left is still due and goes out on the next flush).
 */
#define SMTP_CONNECT_TIMEOUT 10L
#define SMTP_TRANSFER_TIMEOUT 60L
#define SMTP_FLUSH_BUDGET 300
/*
 * A row is claimed for this long before its transfer starts, so that a
 * second patchbot process flushing the same database (the daemon and
 * `outbox flush`) does not send it too, and a crash mid-transfer retries
 * it later rather than never.
 */
#define SMTP_LEASE 300
/* Backoff after a temporary failure: 1 min, doubling, at most 1 hour. */
#define SMTP_BACKOFF_FIRST 60
#define SMTP_BACKOFF_MAX 3600
/* After this long in the outbox, a temporary failure becomes final. */
#define SMTP_GIVE_UP (5 * 24 * 3600)
/* The server's reply kept for last_error. */
#define SMTP_REPLY_MAX 512

static bool curl_ready;
static unsigned jitter_seed;

void smtp_global_init(void)
{
	CURLcode rc;

	if (curl_ready)
		return;
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		/* curl_easy_init() tries again and fails the flush then. */
		log_warnx("cannot initialise libcurl: %s", curl_easy_strerror(rc));
		return;
	}
	curl_ready = true;
	jitter_seed = (unsigned)time(NULL) ^ (unsigned)getpid();
}

void smtp_global_cleanup(void)
{
	if (!curl_ready)
		return;
	curl_global_cleanup();
	curl_ready = false;
}

/* Where in the SMTP dialogue a transfer got to (from libcurl's debug feed). */
enum smtp_phase {
	PHASE_SESSION,  /* connect, TLS, greeting, EHLO, AUTH */
	PHASE_MAIL,     /* MAIL FROM sent */
	PHASE_RCPT,     /* RCPT TO sent */
	PHASE_DATA,     /* DATA sent: the body and the final reply */
};

/* One mail being sent: the upload and what the server said. */
struct transfer {
	const char *body;
	size_t len, off;
	enum smtp_phase phase;
	/* The last complete reply (multi-line replies joined with spaces). */
	struct buf reply;
	int reply_done;
	/* After a failure libcurl says QUIT; "221 bye" explains nothing. */
	int quit;
	/* The recipient of the RCPT just sent, and the ones refused. */
	struct buf rcpt;
	struct buf refused;
};

static size_t read_body(char *dst, size_t size, size_t nmemb, void *payload)
{
	struct transfer *t = payload;
	size_t n = size * nmemb;

	if (n > t->len - t->off)
		n = t->len - t->off;
	memcpy(dst, t->body + t->off, n);
	t->off += n;
	return n;
}

/* Append line (one reply line, no line end) to the kept reply. */
static void note_reply_line(struct transfer *t, const char *line, size_t n)
{
	if (t->quit)
		return;
	if (t->reply_done) {
		buf_reset(&t->reply);
		t->reply_done = 0;
	}
	if (t->reply.len)
		buf_addch(&t->reply, ' ');
	for (size_t i = 0; i < n && t->reply.len < SMTP_REPLY_MAX; i++) {
		unsigned char c = (unsigned char)line[i];

		/* It goes into the database and the logs: printable only. */
		buf_addch(&t->reply, c < 0x20 || c == 0x7f ? '?' : c);
	}
	/* "250-..." continues; "250 ..." (or a bare "250") ends the reply. */
	if (n <= 3 || line[3] != '-')
		t->reply_done = 1;
	if (t->reply_done && t->phase == PHASE_RCPT && t->reply.s[0] != '2')
		buf_addf(&t->refused, "%s'%s' (%s)", t->refused.len ? ", " : "",
			 t->rcpt.s, t->reply.s);
}

static void note_command(struct transfer *t, const char *line, size_t n)
{
	if (n >= 10 && !strncasecmp(line, "MAIL FROM:", 10)) {
		t->phase = PHASE_MAIL;
	} else if (n >= 8 && !strncasecmp(line, "RCPT TO:", 8)) {
		t->phase = PHASE_RCPT;
		buf_reset(&t->rcpt);
		line += 8;
		n -= 8;
		if (n >= 2 && line[0] == '<' && line[n - 1] == '>') {
			line++;
			n -= 2;
		}
		buf_add(&t->rcpt, line, n);
		log_debug(LOG_SMTP, "> RCPT TO:<%s>", t->rcpt.s);
		return;
	} else if (n == 4 && !strncasecmp(line, "DATA", 4)) {
		t->phase = PHASE_DATA;
	} else if (n == 4 && !strncasecmp(line, "QUIT", 4)) {
		t->quit = 1;
	}
	/*
	 * AUTH and the base64 lines after it carry the password: only the
	 * envelope commands are worth a debug line.
	 */
	if (t->phase != PHASE_SESSION || (n >= 4 && !strncasecmp(line, "EHLO", 4)))
		log_debug(LOG_SMTP, "> %.*s", (int)n, line);
}

/*
 * libcurl hands us the SMTP dialogue here (CURLOPT_VERBOSE routes it to
 * this function, not to stderr).  Its own error texts say only "RCPT
 * failed: 550"; the server's words, which say why, come from here.
 */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size,
		    void *payload)
{
	struct transfer *t = payload;

	(void)h;
	/* curl_easy_cleanup() says QUIT after the last transfer. */
	if (!t)
		return 0;
	if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT) {
		if (type == CURLINFO_TEXT && size) {
			if (data[size - 1] == '\n')
				size--;
			log_debug(LOG_SMTP, "* %.*s", (int)size, data);
		}
		return 0;
	}
	while (size) {
		char *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;
		size_t line_len = n;

		if (line_len && data[line_len - 1] == '\r')
			line_len--;
		if (type == CURLINFO_HEADER_IN) {
			log_debug(LOG_SMTP, "< %.*s", (int)line_len, data);
			note_reply_line(t, data, line_len);
		} else {
			note_command(t, data, line_len);
		}
		if (!nl)
			break;
		data += n + 1;
		size -= n + 1;
	}
	return 0;
}

/*
 * The outbox stores LF line ends; SMTP wants CRLF everywhere.  Lines that
 * already end in CRLF are left alone, and a bare CR becomes CRLF too, since
 * RFC 5321 forbids it and servers disagree on what it means (the "SMTP
 * smuggling" family of bugs).  The last line gets its CRLF so that libcurl
 * ends the DATA with a plain ".".  Dot-stuffing is libcurl's job.
 */
static void to_crlf(struct buf *out, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r') {
			buf_add(out, "\r\n", 2);
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else if (p[i] == '\n') {
			buf_add(out, "\r\n", 2);
		} else {
			buf_addch(out, p[i]);
		}
	}
	if (out->len < 2 || memcmp(out->s + out->len - 2, "\r\n", 2))
		buf_add(out, "\r\n", 2);
}

/* An address fit for MAIL FROM or RCPT TO: one '@', nothing to split on. */
static bool address_ok(const char *a)
{
	const char *at = strchr(a, '@');

	if (!*a || strlen(a) > 254 || !at || at == a || !at[1] ||
	    strchr(at + 1, '@'))
		return false;
	for (; *a; a++)
		if ((unsigned char)*a <= ' ' || *a == 0x7f || *a == '<' ||
		    *a == '>')
			return false;
	return true;
}

static bool host_is_loopback(const char *host)
{
	return !strcasecmp(host, "localhost") || starts_with(host, "127.") ||
	       !strcmp(host, "[::1]") || !strcmp(host, "::1");
}

/*
 * The URL libcurl gets.  Without a path, libcurl would greet the server
 * with "EHLO localhost", which strict servers refuse; the domain of
 * bot.address is a name that resolves.  A path in smtp.url still wins.
 */
static char *transfer_url(const struct config *cfg, bool *plain,
			  bool *loopback)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *path = NULL, *url = NULL;
	const char *domain = NULL;

	if (cfg->bot_address)
		domain = strchr(cfg->bot_address, '@');
	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, cfg->smtp_url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		error("cannot parse 'smtp.url' '%s'", cfg->smtp_url);
		goto out;
	}
	if (strcasecmp(scheme, "smtp") && strcasecmp(scheme, "smtps")) {
		error("'smtp.url' '%s' is neither smtp:// nor smtps://",
		      cfg->smtp_url);
		goto out;
	}
	*plain = !strcasecmp(scheme, "smtp") && !cfg->smtp_tls;
	*loopback = host_is_loopback(host);
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
	    (!*path || !strcmp(path, "/")) && domain && domain[1] &&
	    !has_crlf(domain)) {
		char *p = xasprintf("/%s", domain + 1);

		curl_url_set(u, CURLUPART_PATH, p, 0);
		free(p);
	}
	if (curl_url_get(u, CURLUPART_URL, &url, 0))
		error("cannot parse 'smtp.url' '%s'", cfg->smtp_url);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	curl_url_cleanup(u);
	return url;
}

/* The first line of smtp.passwordFile, read at each flush. */
static char *read_password(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t alloc = 0;
	ssize_t n;

	if (!f) {
		log_warn("cannot open 'smtp.passwordFile' '%s'", path);
		return NULL;
	}
	n = getline(&line, &alloc, f);
	fclose(f);
	if (n < 0) {
		free(line);
		error("'smtp.passwordFile' '%s' is empty", path);
		return NULL;
	}
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* A handle set up with everything that holds for every mail of a flush. */
static CURL *open_handle(const struct config *cfg, char *errbuf)
{
	CURL *h;
	char *url, *password = NULL;
	bool plain = false, loopback = false;

	url = transfer_url(cfg, &plain, &loopback);
	if (!url)
		return NULL;
	/*
	 * smtp.tls = false is for a test server on this machine.  Anywhere
	 * else a password would cross the network in clear.
	 */
	if (plain && cfg->smtp_user && !loopback) {
		error("refusing to send the 'smtp.user' password without TLS to"
		      " '%s': set smtp.tls (or use smtps://)", cfg->smtp_url);
		curl_free(url);
		return NULL;
	}
	if (cfg->smtp_user) {
		if (cfg->smtp_password)
			password = xstrdup(cfg->smtp_password);
		else if (cfg->smtp_password_file)
			password = read_password(cfg->smtp_password_file);
		else
			error("'smtp.user' is set but neither 'smtp.password' nor"
			      " 'smtp.passwordFile' is");
		if (!password) {
			curl_free(url);
			return NULL;
		}
	}
	h = curl_easy_init();
	if (!h) {
		error("cannot set up libcurl");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_SMTP | CURLPROTO_SMTPS);
#endif
	/* Ignored by smtps://, which is TLS from the start. */
	curl_easy_setopt(h, CURLOPT_USE_SSL,
			 plain ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	if (cfg->smtp_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, password);
	}
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, SMTP_CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, SMTP_TRANSFER_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	/*
	 * By default one refused RCPT fails the whole transfer, and the other
	 * recipients would not get the mail either.  With this, the mail goes
	 * to the recipients the server took; the refused ones are logged.  A
	 * recipient refused with a 4xx is not retried: only a mail every
	 * recipient refused is.
	 */
#if LIBCURL_VERSION_NUM >= 0x080200
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#elif LIBCURL_VERSION_NUM >= 0x074500
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
out:
	if (password) {
		/* libcurl keeps its own copy. */
		explicit_bzero(password, strlen(password));
		free(password);
	}
	curl_free(url);
	return h;
}

/* What a flush does with a mail after its transfer. */
enum outcome {
	SENT,
	DEFER,       /* temporary: try again later */
	DEFER_STOP,  /* temporary and not about this mail: stop the flush */
	FAIL,        /* permanent */
};

static enum outcome classify(CURLcode rc, long code, enum smtp_phase phase)
{
	if (rc == CURLE_OK)
		return SENT;
	/*
	 * Before RCPT, nothing was about this mail: the server could not be
	 * reached, TLS or AUTH failed, or it refused our own MAIL FROM.  Every
	 * other mail would fail the same way, and a 5xx there (say "530
	 * authentication required") is a configuration problem that must not
	 * bounce the whole outbox.
	 */
	if (phase < PHASE_RCPT)
		return DEFER_STOP;
	if (code >= 500 && code < 600)
		return FAIL;
	return DEFER;
}

/* 60 s * 2^(attempts-1), at most an hour, plus up to 10% jitter. */
static int64_t backoff_seconds(int64_t attempts)
{
	int64_t d = SMTP_BACKOFF_FIRST;

	for (int64_t i = 1; i < attempts && d < SMTP_BACKOFF_MAX; i++)
		d *= 2;
	if (d > SMTP_BACKOFF_MAX)
		d = SMTP_BACKOFF_MAX;
	return d + (int64_t)(rand_r(&jitter_seed) % (int)(d / 10 + 1));
}

/*
 * Fault injection for tests/test_faults.sh: with PATCHBOT_TEST_KILL_AFTER_SEND
 * set to 1 the process is killed the moment the server has taken a mail,
 * before the database says so, the window no SMTP client can close.
 */
static void test_kill_after_send(void)
{
	const char *v = getenv("PATCHBOT_TEST_KILL_AFTER_SEND");

	if (v && !strcmp(v, "1"))
		raise(SIGKILL);
}

static int mark_sent(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE outbox SET state = 'sent', sent_at = ?, in_flight = 0,"
		" attempts = attempts + 1, last_error = NULL WHERE id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	return store_done(st, s);
}

static int mark_failed(struct store *st, int64_t id, int64_t attempts,
		       const char *why)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE outbox SET state = 'failed', attempts = ?, in_flight = 0,"
		" last_error = ? WHERE id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, attempts);
	store_bind_text(s, 2, why);
	sqlite3_bind_int64(s, 3, id);
	return store_done(st, s);
}

static int mark_deferred(struct store *st, int64_t id, int64_t attempts,
			 int64_t next, const char *why)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE outbox SET attempts = ?, next_attempt = ?, in_flight = 0,"
		" last_error = ? WHERE id = ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, attempts);
	sqlite3_bind_int64(s, 2, next);
	store_bind_text(s, 3, why);
	sqlite3_bind_int64(s, 4, id);
	return store_done(st, s);
}

/*
 * Claim a due row: push its next_attempt past the lease and mark it in
 * flight (in_flight 1, or 3 for a row whose earlier transfer a stop cut
 * off: see smtp_release_leases).  0 when another process took it (or it
 * is no longer pending), 1 claimed, -1 error.
 */
static int claim(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE outbox SET next_attempt = ?, in_flight = in_flight | 1"
		" WHERE id = ? AND state = 'pending' AND next_attempt <= ?");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now + SMTP_LEASE);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_int64(s, 3, now);
	if (store_done(st, s))
		return -1;
	return sqlite3_changes(st->db) ? 1 : 0;
}

int smtp_release_leases(struct store *st, const struct config *cfg)
{
	bool confirm = cfg->smtp_confirm_copy && cfg->bot_address;
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE outbox SET in_flight = ?1, next_attempt = ?2,"
		" last_error = ?3 WHERE state = 'pending' AND in_flight IN (1, 3)");
	int n;

	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, confirm ? 2 : 0);
	sqlite3_bind_int64(s, 2, confirm ? now_seconds() + cfg->smtp_confirm_wait : 0);
	store_bind_text(s, 3, confirm ? "its sending was cut off: waiting for its copy"
				      : "its sending was cut off");
	if (store_done(st, s))
		return -1;
	n = sqlite3_changes(st->db);
	if (n && confirm)
		log_info("SMTP: %d mail(s) whose sending was cut off wait up to"
			 " %lld s for their copies to come back before they go again",
			 n, (long long)cfg->smtp_confirm_wait);
	else if (n)
		log_info("SMTP: %d mail(s) whose sending was cut off will go out now", n);
	return n;
}

/* One outbox row, copied out of sqlite so no query stays open. */
struct row {
	int64_t id, attempts, created, in_flight;
	char *from;
	struct strlist rcpts;
	struct buf body;
};

static void row_release(struct row *r)
{
	free(r->from);
	strlist_clear(&r->rcpts);
	buf_release(&r->body);
}

/* 1 loaded, 0 gone, -1 error. */
static int load_row(struct store *st, int64_t id, struct row *r)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT envelope_from, recipients, raw, attempts, created,"
		" in_flight FROM outbox WHERE id = ? AND state = 'pending'");
	const char *rcpts;
	int rc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, BUF_NOLIMIT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_error(st, "cannot read the outbox");
	}
	r->id = id;
	r->from = xstrdup((const char *)sqlite3_column_text(s, 0));
	rcpts = (const char *)sqlite3_column_text(s, 1);
	while (*rcpts) {
		size_t n = strcspn(rcpts, " ");

		if (n) {
			char *a = xstrndup(rcpts, n);

			strlist_push(&r->rcpts, a);
			free(a);
		}
		rcpts += n;
		rcpts += strspn(rcpts, " ");
	}
	to_crlf(&r->body, sqlite3_column_blob(s, 2),
		(size_t)sqlite3_column_bytes(s, 2));
	r->attempts = sqlite3_column_int64(s, 3);
	r->created = sqlite3_column_int64(s, 4);
	r->in_flight = sqlite3_column_int64(s, 5);
	sqlite3_reset(s);
	return 1;
}

/* The ids of the due rows, oldest first, read before any is sent. */
static int due_ids(struct store *st, int64_t now, int64_t **ids, size_t *nr)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT id FROM outbox WHERE state = 'pending'"
		" AND next_attempt <= ? ORDER BY id");
	size_t alloc = 0;
	int rc;

	*ids = NULL;
	*nr = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ALLOC_GROW(*ids, *nr + 1, alloc);
		(*ids)[(*nr)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*nr = 0;
		return store_error(st, "cannot read the outbox");
	}
	return 0;
}

/* l with the envelope recipient a appended (out of memory is fatal). */
static struct curl_slist *rcpt_append(struct curl_slist *l, const char *a)
{
	struct curl_slist *n = curl_slist_append(l, a);

	if (!n) {
		fprintf(stderr, "fatal: out of memory\n");
		abort();
	}
	return n;
}

/*
 * Send one row over h and record the outcome.  self (or NULL) is an
 * envelope recipient added to every mail: the bot's own address, whose
 * copy confirms the send after a crash (smtp.confirmCopy).  Returns the
 * outcome, or -1 when the database failed; *retry_at is the row's
 * next_attempt after a temporary failure.
 */
static int deliver(struct store *st, CURL *h, char *errbuf, struct row *r,
		   const char *self, struct smtp_stats *stats, int64_t *retry_at)
{
	struct transfer t = {
		.body = r->body.s, .len = r->body.len,
		.reply = BUF_INIT(SMTP_REPLY_MAX + 8),
		.rcpt = BUF_INIT(1024), .refused = BUF_INIT(4096),
	};
	struct curl_slist *rcpts = NULL;
	char *from = NULL, *why = NULL;
	struct buf bad = BUF_INIT(4096);
	enum outcome out;
	int64_t now, attempts = r->attempts + 1;
	long code = 0;
	CURLcode rc;
	int ret = 0;

	for (size_t i = 0; i < r->rcpts.nr; i++) {
		const char *a = r->rcpts.v[i];

		if (address_ok(a))
			rcpts = rcpt_append(rcpts, a);
		else
			buf_addf(&bad, "%s'%s'", bad.len ? ", " : "", a);
	}
	if (bad.len)
		log_warnx("outbox mail %lld: skipping invalid recipient(s) %s",
			  (long long)r->id, bad.s);
	if (rcpts && self && address_ok(self) && !strlist_has_icase(&r->rcpts, self))
		rcpts = rcpt_append(rcpts, self);
	if (r->in_flight == 3)
		log_warnx("outbox mail %lld: no copy came back after a stop cut"
			  " its sending off; sending it again (it may arrive twice)",
			  (long long)r->id);
	if (!address_ok(r->from) || !rcpts) {
		why = !address_ok(r->from)
			? xasprintf("invalid envelope sender '%s'", r->from)
			: xasprintf("no valid recipient (%s)",
				    bad.len ? bad.s : "none given");
		out = FAIL;
		goto record;
	}
	from = xasprintf("<%s>", r->from);
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_READDATA, &t);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &t);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)t.len);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	/* The handle outlives this row: drop what points into it. */
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(h, CURLOPT_READDATA, NULL);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, NULL);
	out = classify(rc, code, t.phase);
	if (out != SENT) {
		const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);

		/*
		 * A 2xx or 3xx reply is the step before the one that broke
		 * (a connection lost after "354"): only a refusal explains.
		 */
		why = t.reply.len && (t.reply.s[0] == '4' || t.reply.s[0] == '5')
			? xasprintf("%s (%s)", t.reply.s, detail)
			: xstrdup(detail);
	}
record:
	now = now_seconds();
	switch (out) {
	case SENT:
		test_kill_after_send();
		ret = mark_sent(st, r->id, now);
		if (ret) {
			/*
			 * The server has it: its copy marks it sent when it
			 * comes back, else it goes again when the lease ends.
			 */
			log_warnx("outbox mail %lld was sent but cannot be marked"
				  " sent", (long long)r->id);
			break;
		}
		if (t.refused.len)
			log_warnx("outbox mail %lld: recipient(s) refused: %s",
				  (long long)r->id, t.refused.s);
		log_debug(LOG_SMTP, "outbox mail %lld sent (%s)",
			  (long long)r->id, t.reply.s);
		if (stats)
			stats->sent++;
		break;
	case FAIL:
		ret = mark_failed(st, r->id, attempts, why);
		log_warnx("outbox mail %lld failed: %s", (long long)r->id, why);
		if (stats)
			stats->failed++;
		break;
	case DEFER:
	case DEFER_STOP:
		/* Also when giving up: the server's state holds the flush back. */
		*retry_at = now + backoff_seconds(attempts);
		if (now - r->created >= SMTP_GIVE_UP) {
			char *final = xasprintf("gave up after %lld attempt%s: %s",
						(long long)attempts,
						attempts == 1 ? "" : "s", why);

			ret = mark_failed(st, r->id, attempts, final);
			log_warnx("outbox mail %lld failed: %s", (long long)r->id,
				  final);
			free(final);
			if (stats)
				stats->failed++;
			break;
		}
		ret = mark_deferred(st, r->id, attempts, *retry_at, why);
		log_warnx("outbox mail %lld deferred: %s", (long long)r->id, why);
		if (stats)
			stats->deferred++;
		break;
	}
	free(why);
	free(from);
	curl_slist_free_all(rcpts);
	buf_release(&bad);
	buf_release(&t.reply);
	buf_release(&t.rcpt);
	buf_release(&t.refused);
	return ret ? -1 : (int)out;
}

/*
 * When the next flush is due: the earliest next_attempt of the pending
 * rows, but not before now (rows left due by an early stop), and not
 * before hold (the server was unreachable: no point before the retry of
 * the mail that found out).
 */
static int next_due_time(struct store *st, int64_t now, int64_t hold,
			 int64_t *next_due)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT min(next_attempt) FROM outbox WHERE state = 'pending'");
	int64_t t;

	*next_due = 0;
	if (!s)
		return -1;
	t = store_int(st, s, -1);
	if (t < 0)
		return 0;
	if (t < now)
		t = now;
	if (t < hold)
		t = hold;
	*next_due = t;
	return 0;
}

int smtp_flush(struct store *st, const struct config *cfg,
	       struct smtp_stats *stats, int64_t *next_due)
{
	char errbuf[CURL_ERROR_SIZE];
	int64_t *ids = NULL, start = now_seconds(), hold = 0, due;
	size_t nr = 0;
	CURL *h = NULL;
	int status = 0;

	if (next_due)
		*next_due = 0;
	if (!cfg->smtp_url || !*cfg->smtp_url)
		return error("missing 'smtp.url': nowhere to send the outbox");
	/*
	 * Each outcome must be committed the moment it is known; inside the
	 * caller's transaction a rollback would forget a mail was sent.
	 */
	if (st->in_tx)
		return error("cannot flush the outbox inside a transaction");
	if (due_ids(st, start, &ids, &nr))
		return -1;
	/* libcurl connects at the first transfer, so only when one is due. */
	if (nr && !(h = open_handle(cfg, errbuf))) {
		free(ids);
		return -1;
	}
	for (size_t i = 0; i < nr; i++) {
		struct row r;
		int64_t now = now_seconds();
		int got;

		if (now - start >= SMTP_FLUSH_BUDGET) {
			log_debug(LOG_SMTP, "flush time is up: %zu mail(s) left",
				  nr - i);
			break;
		}
		got = claim(st, ids[i], now);
		if (got > 0)
			got = load_row(st, ids[i], &r);
		if (got < 0) {
			status = -1;
			break;
		}
		if (!got)
			continue;
		got = deliver(st, h, errbuf, &r,
			      cfg->smtp_confirm_copy ? cfg->bot_address : NULL,
			      stats, &hold);
		row_release(&r);
		if (got < 0) {
			status = -1;
			break;
		}
		/* The next mails would fail the same way; they keep their turn. */
		if (got == DEFER_STOP)
			break;
		hold = 0;
	}
	free(ids);
	/* Sends QUIT on the open connection. */
	if (h)
		curl_easy_cleanup(h);
	if (next_due_time(st, now_seconds(), hold, &due))
		return -1;
	if (next_due)
		*next_due = due;
	return status;
}
