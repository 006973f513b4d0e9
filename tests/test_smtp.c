/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_smtp: the outbox goes out through a scripted SMTP server on loopback. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "util.h"

/*
 * The fake server.  It listens before its thread starts, so a client can
 * connect at once (the kernel queues the connection): no waiting for
 * readiness.  It serves one connection at a time and records what it got
 * before it answers, so whatever the client saw acknowledged is on record
 * when smtp_flush() returns.  The script is read under the lock, and set
 * between flushes.
 *
 * RCPT answers go by local part: nobody@ is refused for good (550), busy@
 * for now (451), anything else is taken.
 */
struct fake {
	int lfd, port;
	int stop[2];
	pthread_t thread;
	pthread_mutex_t lock;

	/* script */
	int eod_code;          /* answer to the final ".", default 250 */
	int close_at_data;     /* this many DATA commands are answered by a hang-up */
	bool auth;             /* offer AUTH PLAIN */

	/* record */
	int connections;
	struct strlist froms;  /* MAIL FROM arguments */
	struct strlist rcpts;  /* accepted RCPT TO arguments, over all mails */
	struct strlist bodies; /* DATA as on the wire, without the final "." */
	struct strlist auths;  /* AUTH PLAIN responses (base64) */
};

struct conn {
	int fd, stop;
	char in[4096];
	size_t len, off;
};

/* One line with its line end (NUL-terminated in line); -1 at EOF or stop. */
static int read_line(struct conn *c, struct buf *line)
{
	buf_reset(line);
	for (;;) {
		while (c->off < c->len) {
			char ch = c->in[c->off++];

			buf_addch(line, ch);
			if (ch == '\n')
				return 0;
		}
		struct pollfd p[2] = {
			{ .fd = c->fd, .events = POLLIN },
			{ .fd = c->stop, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			return -1;
		n = read(c->fd, c->in, sizeof(c->in));
		if (n <= 0)
			return -1;
		c->len = (size_t)n;
		c->off = 0;
	}
}

static void say(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static bool command(const struct buf *line, const char *verb)
{
	return starts_with_icase(line->s, verb);
}

static void serve(struct fake *f, int fd)
{
	struct conn c = { .fd = fd, .stop = f->stop[0] };
	struct buf line = BUF_INIT(BUF_NOLIMIT), body = BUF_INIT(BUF_NOLIMIT);
	int accepted = 0;

	say(fd, "220 fake.test ESMTP ready\r\n");
	while (!read_line(&c, &line)) {
		pthread_mutex_lock(&f->lock);
		if (command(&line, "EHLO")) {
			say(fd, "250-fake.test\r\n250-8BITMIME\r\n");
			if (f->auth)
				say(fd, "250-AUTH PLAIN\r\n");
			say(fd, "250 SIZE 10485760\r\n");
		} else if (command(&line, "AUTH PLAIN")) {
			char *resp = str_trim_dup(line.s + 10, line.len - 10);

			if (!*resp) {
				free(resp);
				say(fd, "334 \r\n");
				pthread_mutex_unlock(&f->lock);
				if (read_line(&c, &line))
					goto out;
				pthread_mutex_lock(&f->lock);
				resp = str_trim_dup(line.s, line.len);
			}
			strlist_push(&f->auths, resp);
			free(resp);
			say(fd, "235 2.7.0 authenticated\r\n");
		} else if (command(&line, "MAIL FROM:")) {
			/* Only the address: libcurl adds SIZE=. */
			char *from = xstrndup(line.s + 10, strcspn(line.s + 10, " \r\n"));

			strlist_push(&f->froms, from);
			free(from);
			accepted = 0;
			say(fd, "250 2.1.0 ok\r\n");
		} else if (command(&line, "RCPT TO:")) {
			char *to = str_trim_dup(line.s + 8, line.len - 8);

			if (starts_with(to, "<nobody@")) {
				say(fd, "550 5.1.1 <nobody@example.org>: Recipient"
					" address rejected: User unknown\r\n");
			} else if (starts_with(to, "<busy@")) {
				say(fd, "451 4.2.0 mailbox busy, try later\r\n");
			} else {
				strlist_push(&f->rcpts, to);
				accepted++;
				say(fd, "250 2.1.5 ok\r\n");
			}
			free(to);
		} else if (command(&line, "DATA")) {
			if (f->close_at_data) {
				f->close_at_data--;
				pthread_mutex_unlock(&f->lock);
				goto out;
			}
			if (!accepted) {
				say(fd, "554 5.5.1 no valid recipients\r\n");
				pthread_mutex_unlock(&f->lock);
				continue;
			}
			say(fd, "354 go ahead\r\n");
			pthread_mutex_unlock(&f->lock);
			buf_reset(&body);
			while (!read_line(&c, &line) && strcmp(line.s, ".\r\n"))
				buf_add(&body, line.s, line.len);
			if (strcmp(line.s, ".\r\n"))
				goto out;
			pthread_mutex_lock(&f->lock);
			if (f->eod_code == 451) {
				say(fd, "451 4.3.0 queue full, try again later\r\n");
			} else if (f->eod_code == 550) {
				say(fd, "550 5.7.1 message content rejected\r\n");
			} else {
				strlist_push(&f->bodies, body.s);
				say(fd, "250 2.0.0 queued as 1234\r\n");
			}
		} else if (command(&line, "RSET") || command(&line, "NOOP")) {
			accepted = 0;
			say(fd, "250 2.0.0 ok\r\n");
		} else if (command(&line, "QUIT")) {
			say(fd, "221 2.0.0 bye\r\n");
			pthread_mutex_unlock(&f->lock);
			goto out;
		} else {
			say(fd, "502 5.5.2 command not recognised\r\n");
		}
		pthread_mutex_unlock(&f->lock);
	}
out:
	buf_release(&line);
	buf_release(&body);
}

static void *fake_main(void *payload)
{
	struct fake *f = payload;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = f->lfd, .events = POLLIN },
			{ .fd = f->stop[0], .events = POLLIN },
		};
		int fd;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		/* Multi-line replies go in several writes: no Nagle delay. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		pthread_mutex_lock(&f->lock);
		f->connections++;
		pthread_mutex_unlock(&f->lock);
		serve(f, fd);
		close(fd);
	}
	return NULL;
}

/* A listening socket on 127.0.0.1 with a port the kernel picked. */
static int listen_loopback(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void fake_start(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->eod_code = 250;
	f->lfd = listen_loopback(&f->port);
	assert_int_equal(pipe(f->stop), 0);
	pthread_mutex_init(&f->lock, NULL);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	assert_int_equal(write(f->stop[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	close(f->lfd);
	close(f->stop[0]);
	close(f->stop[1]);
	pthread_mutex_destroy(&f->lock);
	strlist_clear(&f->froms);
	strlist_clear(&f->rcpts);
	strlist_clear(&f->bodies);
	strlist_clear(&f->auths);
}

static int fake_connections(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->connections;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static void fake_script(struct fake *f, int eod_code, int close_at_data)
{
	pthread_mutex_lock(&f->lock);
	f->eod_code = eod_code;
	f->close_at_data = close_at_data;
	pthread_mutex_unlock(&f->lock);
}

/* Each test: a fresh store, a server, and a configuration pointing at it. */
struct ctx {
	struct store st;
	struct fake f;
	struct config cfg;
	struct smtp_stats stats;
	int64_t next_due;
	char password_file[64];
};

static int setup(void **state)
{
	struct ctx *c = xcalloc(1, sizeof(*c));

	test_store_open(&c->st);
	fake_start(&c->f);
	/* smtp.tls off: the fake server is on loopback and has no TLS. */
	c->cfg.smtp_url = xasprintf("smtp://127.0.0.1:%d", c->f.port);
	c->cfg.bot_address = xstrdup("bot@example.org");
	c->cfg.smtp_tls = false;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	fake_stop(&c->f);
	store_close(&c->st);
	free(c->cfg.smtp_url);
	free(c->cfg.bot_address);
	free(c->cfg.smtp_user);
	free(c->cfg.smtp_password_file);
	if (c->password_file[0])
		unlink(c->password_file);
	free(c);
	return 0;
}

/* Queue a mail to the space-separated recipients; returns its row id. */
static int64_t queue(struct ctx *c, const char *msgid, const char *rcpts,
		     const char *raw)
{
	struct strlist to = { 0 };
	struct outbox_mail om = {
		.kind = "notice", .message_id = msgid,
		.envelope_from = "bot@example.org", .rcpts = &to,
		.subject = "test", .raw = raw, .len = strlen(raw),
	};

	while (*rcpts) {
		size_t n = strcspn(rcpts, " ");
		char *a = xstrndup(rcpts, n);

		strlist_push(&to, a);
		free(a);
		rcpts += n + strspn(rcpts + n, " ");
	}
	assert_int_equal(outbox_add(&c->st, &om), 1);
	strlist_clear(&to);
	return sqlite3_last_insert_rowid(c->st.db);
}

static int flush(struct ctx *c)
{
	memset(&c->stats, 0, sizeof(c->stats));
	c->next_due = -1;
	return smtp_flush(&c->st, &c->cfg, &c->stats, &c->next_due);
}

static void sql(struct ctx *c, const char *q)
{
	assert_int_equal(sqlite3_exec(c->st.db, q, NULL, NULL, NULL), SQLITE_OK);
}

static int64_t row_int(struct ctx *c, int64_t id, const char *column)
{
	char *q = xasprintf("SELECT %s FROM outbox WHERE id = %lld", column,
			    (long long)id);
	int64_t v = test_query_int(&c->st, q);

	free(q);
	return v;
}

/* A new string; "" for NULL. */
static char *row_str(struct ctx *c, int64_t id, const char *column)
{
	char *q = xasprintf("SELECT coalesce(%s, '') FROM outbox WHERE id = %lld",
			    column, (long long)id);
	char *v = test_query_str(&c->st, q);

	free(q);
	return v;
}

static void assert_row_str(struct ctx *c, int64_t id, const char *column,
			   const char *want)
{
	char *v = row_str(c, id, column);

	assert_string_equal(v, want);
	free(v);
}

static void assert_row_has(struct ctx *c, int64_t id, const char *column,
			   const char *part)
{
	char *v = row_str(c, id, column);

	if (!strstr(v, part)) {
		print_error("%s is '%s', without '%s'\n", column, v, part);
		free(v);
		fail();
	}
	free(v);
}

static void assert_crlf_only(const char *s)
{
	for (const char *p = s; (p = strchr(p, '\n')); p++)
		assert_true(p > s && p[-1] == '\r');
	for (const char *p = s; (p = strchr(p, '\r')); p++)
		assert_int_equal(p[1], '\n');
}

static const char *mail_a =
	"From: bot@example.org\n"
	"To: rita@example.org\n"
	"Subject: first\n"
	"\n"
	"hello\n"
	".dot line\n"
	".\n"
	"crlf line\r\n"
	"no final newline";

static const char *mail_b =
	"From: bot@example.org\n"
	"Subject: second\n"
	"\n"
	"bare\rcarriage return\n";

static void test_one_connection(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);
	int64_t b = queue(c, "b@test", "sam@example.org", mail_b);

	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 2);
	assert_int_equal(c->stats.deferred, 0);
	assert_int_equal(c->stats.failed, 0);
	assert_int_equal(c->next_due, 0);
	/* Both mails over one connection, the bot as envelope sender. */
	assert_int_equal(fake_connections(&c->f), 1);
	assert_int_equal(c->f.bodies.nr, 2);
	assert_string_equal(c->f.froms.v[0], "<bot@example.org>");
	assert_string_equal(c->f.froms.v[1], "<bot@example.org>");
	assert_string_equal(c->f.rcpts.v[0], "<rita@example.org>");
	assert_string_equal(c->f.rcpts.v[1], "<sam@example.org>");
	/*
	 * CRLF everywhere, an existing CRLF not doubled, dot-stuffing, and a
	 * line end added to the last line.
	 */
	assert_string_equal(c->f.bodies.v[0],
		"From: bot@example.org\r\n"
		"To: rita@example.org\r\n"
		"Subject: first\r\n"
		"\r\n"
		"hello\r\n"
		"..dot line\r\n"
		"..\r\n"
		"crlf line\r\n"
		"no final newline\r\n");
	assert_crlf_only(c->f.bodies.v[1]);
	assert_non_null(strstr(c->f.bodies.v[1], "bare\r\ncarriage return\r\n"));

	assert_row_str(c, a, "state", "sent");
	assert_row_str(c, b, "state", "sent");
	assert_int_equal(row_int(c, a, "attempts"), 1);
	assert_row_str(c, a, "last_error", "");
	assert_true(row_int(c, a, "sent_at") >= now_seconds() - 5);
}

static void test_never_twice(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);

	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 1);
	/* Even when it is "due" by its next_attempt, a sent mail stays sent. */
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 0);
	assert_int_equal(c->f.bodies.nr, 1);
	/* Nothing due: no connection at all. */
	assert_int_equal(fake_connections(&c->f), 1);
	assert_int_equal(row_int(c, a, "attempts"), 1);
}

/* Mark a row as a crash leaves it: claimed, its transfer under way. */
static void cut_off(struct ctx *c, int64_t id)
{
	char *q = xasprintf("UPDATE outbox SET in_flight = 1, next_attempt = %lld"
			    " WHERE id = %lld", (long long)now_seconds() + 300,
			    (long long)id);

	sql(c, q);
	free(q);
}

/* Without smtp.confirmCopy, a send a crash cut off goes again at once. */
static void test_release_leases(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "lease@test", "rita@example.org", mail_a);
	int64_t b = queue(c, "tried@test", "rita@example.org", mail_a);
	char *q = xasprintf("UPDATE outbox SET next_attempt = %lld",
			    (long long)now_seconds() + 300);

	cut_off(c, a);
	/* b failed once before: its backoff is not a lease and stays */
	sql(c, q);
	free(q);
	sql(c, "UPDATE outbox SET attempts = 1, last_error = '451 later' WHERE message_id = 'tried@test'");
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 0);
	assert_int_equal(smtp_release_leases(&c->st, &c->cfg), 1);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 1);
	assert_row_str(c, a, "state", "sent");
	assert_int_equal(row_int(c, a, "in_flight"), 0);
	assert_row_str(c, b, "state", "pending");
	/* and a flush clears the mark of what it sent */
	assert_int_equal(smtp_release_leases(&c->st, &c->cfg), 0);
}

/* mail as a server delivers it: header fields on top, CRLF line ends */
static char *as_delivered(const char *mail)
{
	struct buf b = BUF_INIT(BUF_NOLIMIT);

	buf_adds(&b, "Return-Path: <bot@example.org>\r\n"
		     "Delivered-To: bot@example.org\r\n"
		     "Received: from localhost by mx.example.org;\r\n"
		     "\tFri, 27 Nov 2026 17:00:00 +0000\r\n");
	for (const char *p = mail; *p; p++) {
		if (*p == '\n' && (p == mail || p[-1] != '\r'))
			buf_addch(&b, '\r');
		buf_addch(&b, *p);
	}
	return buf_detach(&b, NULL);
}

/*
 * With smtp.confirmCopy every mail also goes to bot.address.  A send a
 * crash cut off waits for that copy: when it comes back, the mail is
 * marked sent and never goes twice; a mail with its Message-ID but other
 * text does not count; when no copy comes within smtp.confirmWait, the
 * mail goes again.
 */
static void test_cut_off_send_confirmed_by_copy(void **state)
{
	struct ctx *c = *state;
	int64_t a, b, d;
	char *copy, *forged;

	c->cfg.smtp_confirm_copy = true;
	c->cfg.smtp_confirm_wait = 300;
	a = queue(c, "a@test", "rita@example.org bot@example.org", mail_a);
	b = queue(c, "b@test", "sam@example.org", mail_b);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 2);
	/* the copy goes to the bot once, also when it is a recipient already */
	assert_int_equal(c->f.rcpts.nr, 4);
	assert_string_equal(c->f.rcpts.v[0], "<rita@example.org>");
	assert_string_equal(c->f.rcpts.v[1], "<bot@example.org>");
	assert_string_equal(c->f.rcpts.v[2], "<sam@example.org>");
	assert_string_equal(c->f.rcpts.v[3], "<bot@example.org>");
	assert_row_str(c, a, "state", "sent");
	assert_row_str(c, b, "state", "sent");

	/* a copy of a mail sent already changes nothing */
	copy = as_delivered(mail_b);
	assert_int_equal(outbox_confirm_copy(&c->st, "b@test", copy, strlen(copy)), 0);
	free(copy);

	d = queue(c, "d@test", "rita@example.org", mail_a);
	cut_off(c, d);
	assert_int_equal(smtp_release_leases(&c->st, &c->cfg), 1);
	assert_int_equal(row_int(c, d, "in_flight"), 2);
	assert_in_range(row_int(c, d, "next_attempt"), now_seconds() + 299,
			now_seconds() + 301);
	assert_row_has(c, d, "last_error", "waiting for its copy");
	/* it waits: nothing is sent */
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 0);
	assert_int_equal(c->f.bodies.nr, 2);

	/* the same Message-ID with other text is not its copy */
	forged = as_delivered(mail_b);
	assert_int_equal(outbox_confirm_copy(&c->st, "d@test", forged, strlen(forged)), 0);
	free(forged);
	/* nor is a mail that ends like it, without its first line */
	copy = as_delivered(strchr(mail_a, '\n') + 1);
	assert_int_equal(outbox_confirm_copy(&c->st, "d@test", copy, strlen(copy)), 0);
	free(copy);
	assert_row_str(c, d, "state", "pending");
	copy = as_delivered(mail_a);
	assert_int_equal(outbox_confirm_copy(&c->st, "d@test", copy, strlen(copy)), 1);
	free(copy);
	assert_row_str(c, d, "state", "sent");
	assert_int_equal(row_int(c, d, "in_flight"), 0);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->f.bodies.nr, 2);

	/* no copy came back in time: it goes again */
	d = queue(c, "e@test", "rita@example.org", mail_a);
	cut_off(c, d);
	assert_int_equal(smtp_release_leases(&c->st, &c->cfg), 1);
	sql(c, "UPDATE outbox SET next_attempt = 0 WHERE message_id = 'e@test'");
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 1);
	assert_int_equal(c->f.bodies.nr, 3);
	assert_row_str(c, d, "state", "sent");
	assert_int_equal(row_int(c, d, "in_flight"), 0);
}

static void test_temporary_failure(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);
	int64_t now = now_seconds(), next;

	fake_script(&c->f, 451, 0);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.deferred, 1);
	assert_row_str(c, a, "state", "pending");
	assert_int_equal(row_int(c, a, "attempts"), 1);
	/* One minute, plus at most 10% jitter. */
	next = row_int(c, a, "next_attempt");
	assert_in_range(next, now + 60, now_seconds() + 66);
	assert_int_equal(c->next_due, next);
	assert_row_has(c, a, "last_error", "451 4.3.0 queue full");

	/* Not due yet: nothing happens. */
	fake_script(&c->f, 250, 0);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent + c->stats.deferred + c->stats.failed, 0);
	assert_int_equal(fake_connections(&c->f), 1);
	assert_int_equal(c->f.bodies.nr, 0);

	/* Due now, and the server takes it. */
	sql(c, "UPDATE outbox SET next_attempt = 0");
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 1);
	assert_int_equal(c->f.bodies.nr, 1);
	assert_row_str(c, a, "state", "sent");
	assert_int_equal(row_int(c, a, "attempts"), 2);
	assert_row_str(c, a, "last_error", "");
	assert_int_equal(c->next_due, 0);
}

static void test_backoff_grows(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "busy@example.org", mail_a);
	int64_t now = now_seconds();

	/* A recipient refused with 451 defers like a 451 to the data. */
	sql(c, "UPDATE outbox SET attempts = 3");
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.deferred, 1);
	assert_int_equal(row_int(c, a, "attempts"), 4);
	assert_in_range(row_int(c, a, "next_attempt"), now + 480,
			now_seconds() + 528);
	assert_row_has(c, a, "last_error", "451 4.2.0 mailbox busy");

	/* Capped at an hour. */
	sql(c, "UPDATE outbox SET attempts = 20, next_attempt = 0");
	now = now_seconds();
	assert_int_equal(flush(c), 0);
	assert_in_range(row_int(c, a, "next_attempt"), now + 3600,
			now_seconds() + 3960);
}

static void test_permanent_failure(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "nobody@example.org", mail_a);
	int64_t b, d;

	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.failed, 1);
	assert_row_str(c, a, "state", "failed");
	assert_int_equal(row_int(c, a, "attempts"), 1);
	/* The server's own words, not just curl's "RCPT failed: 550". */
	assert_row_has(c, a, "last_error", "550 5.1.1 <nobody@example.org>:"
		       " Recipient address rejected: User unknown");
	assert_int_equal(c->next_due, 0);

	/* Refused after the data. */
	fake_script(&c->f, 550, 0);
	b = queue(c, "b@test", "rita@example.org", mail_b);
	assert_int_equal(flush(c), 0);
	assert_row_str(c, b, "state", "failed");
	assert_row_has(c, b, "last_error", "550 5.7.1 message content rejected");

	/* A failed mail is not tried again. */
	fake_script(&c->f, 250, 0);
	d = queue(c, "d@test", "rita@example.org", mail_b);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 1);
	assert_int_equal(c->stats.failed, 0);
	assert_row_str(c, d, "state", "sent");
	assert_int_equal(row_int(c, a, "attempts"), 1);
}

static void test_some_recipients_refused(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test",
			  "rita@example.org nobody@example.org sam@example.org",
			  mail_a);

	/* The mail reaches the recipients the server took. */
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 1);
	assert_row_str(c, a, "state", "sent");
	assert_int_equal(c->f.bodies.nr, 1);
	assert_int_equal(c->f.rcpts.nr, 2);
	assert_string_equal(c->f.rcpts.v[0], "<rita@example.org>");
	assert_string_equal(c->f.rcpts.v[1], "<sam@example.org>");
}

static void test_invalid_recipients(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "not-an-address two@@example.org", mail_a);
	int64_t b = queue(c, "b@test", "a@b@example.org rita@example.org", mail_b);

	assert_int_equal(flush(c), 0);
	assert_row_str(c, a, "state", "failed");
	assert_row_has(c, a, "last_error", "no valid recipient");
	assert_row_has(c, a, "last_error", "'not-an-address'");
	/* The valid one gets it; the invalid one is skipped (and logged). */
	assert_row_str(c, b, "state", "sent");
	assert_int_equal(c->f.rcpts.nr, 1);
	assert_string_equal(c->f.rcpts.v[0], "<rita@example.org>");
}

static void test_connection_refused(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);
	int64_t b = queue(c, "b@test", "sam@example.org", mail_b);
	int port, fd = listen_loopback(&port);

	/* A port nothing listens on any more. */
	close(fd);
	free(c->cfg.smtp_url);
	c->cfg.smtp_url = xasprintf("smtp://127.0.0.1:%d", port);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.deferred, 1);
	assert_int_equal(c->stats.sent + c->stats.failed, 0);
	assert_row_str(c, a, "state", "pending");
	assert_int_equal(row_int(c, a, "attempts"), 1);
	assert_true(row_int(c, a, "next_attempt") >= now_seconds() + 59);
	assert_row_has(c, a, "last_error", "onnect");
	/* The flush stopped there: the next mail was not tried. */
	assert_int_equal(row_int(c, b, "attempts"), 0);
	assert_int_equal(row_int(c, b, "next_attempt"), 0);
	assert_row_str(c, b, "last_error", "");
	/* And the next flush is not before the retry of the one tried. */
	assert_int_equal(c->next_due, row_int(c, a, "next_attempt"));
}

static void test_connection_lost(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);
	int64_t b = queue(c, "b@test", "sam@example.org", mail_b);

	/* The server hangs up at the first DATA; the second mail reconnects. */
	fake_script(&c->f, 250, 1);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.deferred, 1);
	assert_int_equal(c->stats.sent, 1);
	assert_row_str(c, a, "state", "pending");
	assert_int_equal(row_int(c, a, "attempts"), 1);
	assert_row_str(c, b, "state", "sent");
	assert_int_equal(fake_connections(&c->f), 2);
	assert_int_equal(c->next_due, row_int(c, a, "next_attempt"));
}

static void test_give_up(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);

	/* Six days in the outbox: a temporary failure is the last one. */
	sql(c, "UPDATE outbox SET created = created - 6 * 86400, attempts = 120");
	fake_script(&c->f, 451, 0);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.failed, 1);
	assert_row_str(c, a, "state", "failed");
	assert_row_has(c, a, "last_error", "gave up after 121 attempts: 451 4.3.0");
}

static void test_next_due(void **state)
{
	struct ctx *c = *state;
	int64_t later = now_seconds() + 1000;
	char *q = xasprintf("UPDATE outbox SET next_attempt = %lld + id",
			    (long long)later);

	assert_int_equal(flush(c), 0);
	assert_int_equal(c->next_due, 0);
	queue(c, "a@test", "rita@example.org", mail_a);
	queue(c, "b@test", "sam@example.org", mail_b);
	sql(c, q);
	free(q);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->next_due, later + 1);
	assert_int_equal(fake_connections(&c->f), 0);
	/* NULL stats and next_due are fine. */
	assert_int_equal(smtp_flush(&c->st, &c->cfg, NULL, NULL), 0);
}

static void write_password(struct ctx *c, const char *pw)
{
	FILE *f = fopen(c->password_file, "w");

	assert_non_null(f);
	fprintf(f, "%s\nsecond line is ignored\n", pw);
	fclose(f);
}

static void test_auth(void **state)
{
	struct ctx *c = *state;
	int fd;

	c->f.auth = true;
	strcpy(c->password_file, "/tmp/test_smtp_pw.XXXXXX");
	fd = mkstemp(c->password_file);
	assert_true(fd >= 0);
	close(fd);
	write_password(c, "s3cret");
	c->cfg.smtp_user = xstrdup("bot");
	c->cfg.smtp_password_file = xstrdup(c->password_file);

	/* Loopback without TLS may carry a password (it is a test server). */
	queue(c, "a@test", "rita@example.org", mail_a);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.sent, 1);
	assert_int_equal(c->f.auths.nr, 1);
	assert_string_equal(c->f.auths.v[0], "AGJvdABzM2NyZXQ="); /* \0bot\0s3cret */

	/* The file is read again at each flush. */
	write_password(c, "n3w");
	queue(c, "b@test", "rita@example.org", mail_b);
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->f.auths.nr, 2);
	assert_string_equal(c->f.auths.v[1], "AGJvdABuM3c="); /* \0bot\0n3w */
}

static void test_no_password_in_clear(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);

	c->cfg.smtp_user = xstrdup("bot");
	c->cfg.smtp_password = "s3cret";
	free(c->cfg.smtp_url);
	c->cfg.smtp_url = xstrdup("smtp://192.0.2.1:25");
	assert_int_equal(flush(c), -1);
	/* Refused before anything was tried: the row is as it was. */
	assert_int_equal(row_int(c, a, "attempts"), 0);
	assert_int_equal(row_int(c, a, "next_attempt"), 0);
	assert_row_str(c, a, "state", "pending");
	c->cfg.smtp_password = NULL;
}

static void test_tls_required(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);
	int64_t b = queue(c, "b@test", "sam@example.org", mail_b);

	/* smtp.tls on, and the server offers no STARTTLS: nothing goes out. */
	c->cfg.smtp_tls = true;
	assert_int_equal(flush(c), 0);
	assert_int_equal(c->stats.deferred, 1);
	assert_int_equal(c->f.froms.nr, 0);
	assert_int_equal(c->f.bodies.nr, 0);
	assert_int_equal(row_int(c, a, "attempts"), 1);
	assert_row_has(c, a, "last_error", "TLS");
	assert_int_equal(row_int(c, b, "attempts"), 0);
}

static void test_bad_config(void **state)
{
	struct ctx *c = *state;
	int64_t a = queue(c, "a@test", "rita@example.org", mail_a);

	free(c->cfg.smtp_url);
	c->cfg.smtp_url = NULL;
	assert_int_equal(flush(c), -1);
	c->cfg.smtp_url = xstrdup("http://127.0.0.1/");
	assert_int_equal(flush(c), -1);
	free(c->cfg.smtp_url);
	c->cfg.smtp_url = xstrdup("smtp://127.0.0.1:1");
	c->cfg.smtp_user = xstrdup("bot");
	/* A user without a password. */
	assert_int_equal(flush(c), -1);
	assert_int_equal(row_int(c, a, "attempts"), 0);
	assert_int_equal(row_int(c, a, "next_attempt"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_leases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_off_send_confirmed_by_copy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_temporary_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permanent_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_some_recipients_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_password_in_clear, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tls_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
	};
	int r;

	log_set_quiet(1);
	if (getenv("TEST_SMTP_DEBUG"))
		log_init(1, LOG_SMTP);
	smtp_global_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	smtp_global_cleanup();
	return r;
}
