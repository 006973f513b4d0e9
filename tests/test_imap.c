/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_imap: bot/imap.c against a real dovecot on loopback, started here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the includes above first */
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <libetpan/libetpan.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "imap.h"
#include "log.h"
#include "util.h"

/*
 * The server: one dovecot of our own, from a dovecot.conf written into a
 * fresh /tmp/pbi.XXXXXX (short, for dovecot's unix sockets), with a
 * self-signed certificate so STARTTLS and imaps:// are offered, and one
 * user per test so tests don't see each other's mail.  "poller" gets a
 * bare IMAP4rev1 capability (no IDLE, no MOVE) through a userdb field,
 * which exercises the polling and copy-only paths.
 */
static const char *const users[] = {
	"bot", "fetcher", "big", "idler", "mover", "inside", "poller", "boxer",
	"dead",
};

static struct server {
	char *dir;
	char *conf;
	int port;     /* plain IMAP with STARTTLS */
	int tls_port; /* imaps */
	pid_t pid;
} srv;

static const char *find_dovecot(void)
{
	static const char *const paths[] = {
		"/usr/sbin/dovecot", "/usr/local/sbin/dovecot",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		perror("free_port");
		exit(1);
	}
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) == EOF || fclose(f)) {
		fprintf(stderr, "cannot write '%s': %s\n", path, strerror(errno));
		exit(1);
	}
}

static int run(const char *cmd)
{
	int r = system(cmd);

	return r == -1 || !WIFEXITED(r) ? -1 : WEXITSTATUS(r);
}

/* Connect and read the greeting: dovecot is ready when it says so. */
static bool greets(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char buf[512];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = false;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	/* "* OK Waiting for authentication process" comes before it's up */
	while (got < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0)
			break;
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "ready.")) {
			ok = true;
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return ok;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void server_stop(void)
{
	int64_t until = ms_now() + 10000;

	if (srv.pid <= 0)
		return;
	kill(srv.pid, SIGTERM);
	while (!kill(srv.pid, 0) && ms_now() < until)
		nap_ms(20);
	srv.pid = 0;
}

static int server_start(void)
{
	const char *dovecot = find_dovecot();
	char tmpl[] = "/tmp/pbi.XXXXXX";
	struct buf pw = BUF_INIT(BUF_NOLIMIT), conf = BUF_INIT(BUF_NOLIMIT);
	uid_t uid;
	gid_t gid;
	char *path, *cmd, *owner = NULL, *group = NULL;
	int64_t until;
	FILE *f;

	if (!dovecot) {
		fprintf(stderr, "test_imap: dovecot not found: install the "
			"Debian package dovecot-imapd (apt-get install "
			"dovecot-imapd)\n");
		return -1;
	}
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return -1;
	}
	srv.dir = xstrdup(tmpl);
	chmod(srv.dir, 0755);
	if (geteuid() == 0) {
		/* the mail belongs to an unprivileged user, as dovecot wants */
		struct passwd *p = getpwnam("nobody");

		uid = p ? p->pw_uid : 65534;
		gid = p ? p->pw_gid : 65534;
	} else {
		/* unprivileged: every dovecot process runs as us */
		struct passwd *p = getpwuid(getuid());
		struct group *g = getgrgid(getgid());

		uid = getuid();
		gid = getgid();
		owner = xstrdup(p ? p->pw_name : "nobody");
		group = xstrdup(g ? g->gr_name : "nogroup");
	}
	cmd = xasprintf("mkdir -p %s/run %s/state %s/mail && chmod 755 %s/run "
			"%s/state && chown %u:%u %s/mail && "
			"openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
			"-subj /CN=localhost -keyout %s/key.pem -out %s/cert.pem "
			">%s/openssl.log 2>&1",
			srv.dir, srv.dir, srv.dir, srv.dir, srv.dir,
			(unsigned)uid, (unsigned)gid, srv.dir, srv.dir, srv.dir,
			srv.dir);
	if (run(cmd)) {
		fprintf(stderr, "test_imap: cannot prepare '%s' (see "
			"openssl.log there)\n", srv.dir);
		free(cmd);
		return -1;
	}
	free(cmd);

	for (size_t i = 0; i < sizeof(users) / sizeof(*users); i++)
		buf_addf(&pw, "%s:{PLAIN}pass:%u:%u::%s/mail/%s::%s\n",
			 users[i], (unsigned)uid, (unsigned)gid, srv.dir,
			 users[i],
			 strcmp(users[i], "poller") ? "" :
			 "userdb_imap_capability=IMAP4rev1");
	path = xasprintf("%s/passwd", srv.dir);
	write_text(path, pw.s);
	if (geteuid() == 0) {
		/* the auth process reads it as group dovecot */
		struct group *g = getgrnam("dovecot");

		if (g && chown(path, 0, g->gr_gid))
			perror("chown passwd");
		chmod(path, 0640);
	}
	free(path);
	buf_release(&pw);

	srv.port = free_port();
	do
		srv.tls_port = free_port();
	while (srv.tls_port == srv.port);
	buf_addf(&conf,
		 "# written by tests/test_imap.c\n"
		 "instance_name = pbimap-%d\n"
		 "base_dir = %s/run\n"
		 "state_dir = %s/state\n"
		 "log_path = %s/dovecot.log\n"
		 "protocols = imap\n"
		 "listen = 127.0.0.1\n"
		 "ssl = yes\n"
		 "ssl_cert = <%s/cert.pem\n"
		 "ssl_key = <%s/key.pem\n"
		 "disable_plaintext_auth = no\n"
		 "auth_mechanisms = plain login\n"
		 "first_valid_uid = 1\n"
		 "first_valid_gid = 1\n"
		 "mail_location = maildir:~/Maildir\n"
		 "mail_fsync = never\n"
		 "mailbox_idle_check_interval = 1s\n"
		 /*
		  * test_login_refused fails logins on purpose: no delay,
		  * and no per-IP penalty slowing down the tests after it
		  */
		 "auth_failure_delay = 0\n"
		 /* "* OK Still here" every second: IDLE must not take it for mail */
		 "imap_idle_notify_interval = 1 secs\n"
		 "passdb {\n"
		 "  driver = passwd-file\n"
		 "  args = scheme=PLAIN username_format=%%Ln %s/passwd\n"
		 "}\n"
		 "userdb {\n"
		 "  driver = passwd-file\n"
		 "  args = username_format=%%Ln %s/passwd\n"
		 "}\n"
		 "service anvil {\n"
		 "  unix_listener anvil-auth-penalty {\n"
		 "    mode = 0\n"
		 "  }\n"
		 "}\n"
		 "service imap-login {\n"
		 "  inet_listener imap {\n"
		 "    address = 127.0.0.1\n"
		 "    port = %d\n"
		 "  }\n"
		 "  inet_listener imaps {\n"
		 "    address = 127.0.0.1\n"
		 "    port = %d\n"
		 "  }\n"
		 "}\n",
		 (int)getpid(), srv.dir, srv.dir, srv.dir, srv.dir, srv.dir,
		 srv.dir, srv.dir, srv.port, srv.tls_port);
	if (owner)
		buf_addf(&conf,
			 "default_login_user = %s\n"
			 "default_internal_user = %s\n"
			 "default_internal_group = %s\n"
			 /* chroot needs root */
			 "service anvil {\n  chroot =\n}\n"
			 "service imap-login {\n  chroot =\n}\n",
			 owner, owner, group);
	free(owner);
	free(group);
	srv.conf = xasprintf("%s/dovecot.conf", srv.dir);
	write_text(srv.conf, conf.s);
	buf_release(&conf);

	cmd = xasprintf("%s -c %s", dovecot, srv.conf);
	if (run(cmd)) {
		fprintf(stderr, "test_imap: '%s' failed; see %s/dovecot.log\n",
			cmd, srv.dir);
		free(cmd);
		return -1;
	}
	free(cmd);
	path = xasprintf("%s/run/master.pid", srv.dir);
	until = ms_now() + 15000;
	while (ms_now() < until) {
		f = fopen(path, "r");
		if (f) {
			int pid = 0;

			if (fscanf(f, "%d", &pid) == 1)
				srv.pid = pid;
			fclose(f);
		}
		if (srv.pid > 0 && greets(srv.port))
			break;
		nap_ms(50);
	}
	free(path);
	if (srv.pid <= 0 || !greets(srv.port)) {
		fprintf(stderr, "test_imap: dovecot did not come up; see "
			"%s/dovecot.log\n", srv.dir);
		server_stop();
		return -1;
	}
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	return server_start();
}

static int group_teardown(void **state)
{
	(void)state;
	server_stop();
	if (srv.dir && !getenv("TEST_IMAP_KEEP")) {
		char *cmd = xasprintf("rm -rf '%s'", srv.dir);

		run(cmd);
		free(cmd);
	}
	free(srv.dir);
	free(srv.conf);
	return 0;
}

/* A config for user, reading mailbox ("" for none: INBOX by default). */
struct test_cfg {
	struct config cfg;
	char *url;
};

static void cfg_init(struct test_cfg *t, const char *user, const char *path)
{
	memset(t, 0, sizeof(*t));
	t->url = xasprintf("imap://127.0.0.1:%d%s", srv.port, path);
	t->cfg.imap_url = t->url;
	t->cfg.imap_user = (char *)user;
	t->cfg.imap_password = (char *)"pass";
	t->cfg.imap_tls = false;
	t->cfg.imap_poll_seconds = 60;
}

static void cfg_release(struct test_cfg *t)
{
	free(t->url);
}

static struct imap_conn *open_ok(struct test_cfg *t)
{
	struct buf err = BUF_INIT(4096);
	struct imap_conn *c = NULL;

	if (imap_open(&c, &t->cfg, &err))
		fail_msg("imap_open: %s", err.s);
	buf_release(&err);
	return c;
}

/* imap_open must fail; the error text is returned (caller frees). */
static char *open_fails(struct test_cfg *t)
{
	struct buf err = BUF_INIT(4096);
	struct imap_conn *c = (struct imap_conn *)&err; /* must become NULL */

	assert_int_equal(imap_open(&c, &t->cfg, &err), -1);
	assert_null(c);
	assert_true(err.len > 0);
	return buf_detach(&err, NULL);
}

/*
 * The other side: a plain libetpan session as user, standing in for mail
 * arriving (APPEND) and for a mail client looking at flags.
 */
static mailimap *peer_open(const char *user, const char *mailbox)
{
	mailimap *m = mailimap_new(0, NULL);
	int r;

	assert_non_null(m);
	mailimap_set_timeout(m, 10);
	r = mailimap_socket_connect(m, "127.0.0.1", (uint16_t)srv.port);
	assert_true(r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED);
	assert_int_equal(mailimap_login(m, user, "pass"), MAILIMAP_NO_ERROR);
	if (mailbox)
		assert_int_equal(mailimap_select(m, mailbox), MAILIMAP_NO_ERROR);
	return m;
}

static void peer_close(mailimap *m)
{
	mailimap_logout(m);
	mailimap_free(m);
}

static void deliver(const char *user, const char *mailbox, const char *msg)
{
	mailimap *m = peer_open(user, NULL);

	assert_int_equal(mailimap_append_simple(m, mailbox, msg, strlen(msg)),
			 MAILIMAP_NO_ERROR);
	peer_close(m);
}

/* SEARCH SEEN: libetpan has no helper for it. */
static struct mailimap_search_key *key_seen(void)
{
	return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_SEEN, NULL, NULL,
				       NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				       NULL, NULL, NULL, NULL, NULL, 0, NULL,
				       NULL, NULL, NULL, NULL, NULL, 0, NULL,
				       NULL, NULL);
}

/* UIDs of mailbox matching key (consumed). */
static size_t peer_search(const char *user, const char *mailbox,
			  struct mailimap_search_key *key, uint32_t *out,
			  size_t max)
{
	mailimap *m = peer_open(user, mailbox);
	clist *res = NULL;
	size_t n = 0;

	assert_int_equal(mailimap_uid_search(m, NULL, key, &res),
			 MAILIMAP_NO_ERROR);
	mailimap_search_key_free(key);
	for (clistiter *it = clist_begin(res); it; it = clist_next(it))
		if (n < max)
			out[n++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(res);
	peer_close(m);
	return n;
}

static bool peer_mailbox_exists(const char *user, const char *mailbox)
{
	mailimap *m = peer_open(user, NULL);
	clist *list = NULL;
	bool found;

	assert_int_equal(mailimap_list(m, "", mailbox, &list), MAILIMAP_NO_ERROR);
	found = clist_count(list) > 0;
	mailimap_list_result_free(list);
	peer_close(m);
	return found;
}

/* A small test message with CRLF line ends, as IMAP hands them out. */
static char *message(int n)
{
	return xasprintf("From: submitter@example.org\r\n"
			 "To: bot@example.org\r\n"
			 "Subject: [PATCH %d/3] mm: test %d\r\n"
			 "Message-ID: <test-%d@example.org>\r\n"
			 "\r\n"
			 "Body of message %d.\r\n",
			 n, n, n, n);
}

/* What imap_fetch_new handed over. */
struct got {
	size_t nr;
	uint32_t uid[16];
	char *raw[16];
	size_t len[16];
	size_t full[16];
	size_t stop_after; /* return -1 after this many (0: never) */
	struct imap_conn *mark; /* imap_mark_done each, as the daemon does */
};

static int collect(void *payload, uint32_t uid, const char *raw, size_t len,
		   size_t full_size)
{
	struct got *g = payload;

	assert_true(g->nr < 16);
	g->uid[g->nr] = uid;
	g->raw[g->nr] = xstrndup(raw, len);
	g->len[g->nr] = len;
	g->full[g->nr] = full_size;
	g->nr++;
	if (g->mark) {
		struct buf err = BUF_INIT(4096);

		if (imap_mark_done(g->mark, uid, &err))
			fail_msg("imap_mark_done: %s", err.s);
		buf_release(&err);
	}
	return g->stop_after && g->nr >= g->stop_after ? -1 : 0;
}

static void got_release(struct got *g)
{
	for (size_t i = 0; i < g->nr; i++)
		free(g->raw[i]);
	memset(g, 0, sizeof(*g));
}

static int fetch(struct imap_conn *c, uint32_t after, size_t max,
		 struct got *g)
{
	struct buf err = BUF_INIT(4096);
	int r = imap_fetch_new(c, after, max, collect, g, &err);

	if (r && err.len)
		print_message("imap_fetch_new: %s\n", err.s);
	buf_release(&err);
	return r;
}

static void test_open(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;

	(void)state;
	cfg_init(&t, "bot", "");
	c = open_ok(&t);
	assert_string_equal(imap_mailbox(c), "INBOX");
	assert_true(imap_uidvalidity(c) != 0);
	imap_close(c);
	cfg_release(&t);
}

static void test_fetch_in_order(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;
	struct got g = { 0 };
	char *msg[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		msg[i] = message(i + 1);
		deliver("fetcher", "INBOX", msg[i]);
	}
	cfg_init(&t, "fetcher", "/INBOX");
	c = open_ok(&t);

	assert_int_equal(fetch(c, 0, 1 << 20, &g), 0);
	assert_int_equal(g.nr, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(g.raw[i], msg[i]);
		assert_int_equal(g.len[i], strlen(msg[i]));
		assert_int_equal(g.full[i], strlen(msg[i]));
		if (i)
			assert_true(g.uid[i] > g.uid[i - 1]);
	}

	/* "last:*" matches the last message again; it must not come back */
	{
		uint32_t last = g.uid[2], first = g.uid[0];
		struct got none = { 0 }, rest = { 0 };

		assert_int_equal(fetch(c, last, 1 << 20, &none), 0);
		assert_int_equal(none.nr, 0);
		assert_int_equal(fetch(c, last + 100, 1 << 20, &none), 0);
		assert_int_equal(none.nr, 0);

		assert_int_equal(fetch(c, first, 1 << 20, &rest), 0);
		assert_int_equal(rest.nr, 2);
		assert_int_equal(rest.uid[0], g.uid[1]);
		got_release(&rest);

		/* fn says stop: nothing more is handed over, -1 */
		rest.stop_after = 1;
		assert_int_equal(fetch(c, 0, 1 << 20, &rest), -1);
		assert_int_equal(rest.nr, 1);
		assert_int_equal(rest.uid[0], first);
		got_release(&rest);
	}
	got_release(&g);
	imap_close(c);
	cfg_release(&t);
	for (int i = 0; i < 3; i++)
		free(msg[i]);
}

static void test_max_size_cut(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;
	struct got g = { 0 };
	struct buf big = BUF_INIT(BUF_NOLIMIT);
	char *small = message(1);

	(void)state;
	buf_adds(&big, "From: a@example.org\r\nSubject: big\r\n\r\n");
	for (int i = 0; big.len < 5000; i++)
		buf_addf(&big, "line %d of a long message\r\n", i);
	deliver("big", "INBOX", small);
	deliver("big", "INBOX", big.s);
	deliver("big", "INBOX", small);

	cfg_init(&t, "big", "");
	c = open_ok(&t);
	assert_int_equal(fetch(c, 0, 1000, &g), 0);
	assert_int_equal(g.nr, 3);
	assert_string_equal(g.raw[0], small);
	assert_int_equal(g.len[1], 1000);
	assert_int_equal(g.full[1], big.len);
	assert_memory_equal(g.raw[1], big.s, 1000);
	assert_string_equal(g.raw[2], small);
	assert_int_equal(g.full[2], strlen(small));
	got_release(&g);

	/* exactly max_size is not cut */
	assert_int_equal(fetch(c, 0, big.len, &g), 0);
	assert_int_equal(g.len[1], big.len);
	assert_int_equal(g.full[1], big.len);
	assert_string_equal(g.raw[1], big.s);
	got_release(&g);

	imap_close(c);
	cfg_release(&t);
	buf_release(&big);
	free(small);
}

/* Deliver msg as user after delay_ms, from a child process. */
static pid_t deliver_later(const char *user, const char *msg, long delay_ms)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		nap_ms(delay_ms);
		deliver(user, "INBOX", msg);
		/*
		 * Leave through exec: under valgrind (tests/valgrind.sh) an
		 * _exit() runs the leak check in the child, which counts all
		 * it inherited from the parent as lost and fails the exit.
		 */
		execl("/bin/true", "true", (char *)NULL);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_idle_wakes_up(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;
	struct buf err = BUF_INIT(4096);
	struct got g = { 0 };
	volatile sig_atomic_t stop = 0;
	char *msg = message(4);
	int64_t t0;
	pid_t pid;
	int r;

	(void)state;
	for (int i = 1; i <= 3; i++) {
		char *m = message(i);

		deliver("idler", "INBOX", m);
		free(m);
	}
	cfg_init(&t, "idler", "");
	c = open_ok(&t);
	assert_int_equal(fetch(c, 0, 1 << 20, &g), 0);
	assert_int_equal(g.nr, 3);

	/* nothing new: the wait times out, keepalives notwithstanding */
	t0 = ms_now();
	assert_int_equal(imap_wait(c, 3, &stop, &err), 0);
	assert_true(ms_now() - t0 >= 2900);
	assert_true(ms_now() - t0 < 5000);

	/* a stop request ends the wait within a second */
	stop = 1;
	t0 = ms_now();
	assert_int_equal(imap_wait(c, 60, &stop, &err), 0);
	assert_true(ms_now() - t0 < 1500);
	stop = 0;

	/* the 4th message arrives while we IDLE */
	pid = deliver_later("idler", msg, 300);
	t0 = ms_now();
	r = imap_wait(c, 30, &stop, &err);
	if (r < 0)
		fail_msg("imap_wait: %s", err.s);
	assert_int_equal(r, 1);
	assert_true(ms_now() - t0 < 5000);
	reap(pid);

	{
		struct got more = { 0 };

		assert_int_equal(fetch(c, g.uid[2], 1 << 20, &more), 0);
		assert_int_equal(more.nr, 1);
		assert_string_equal(more.raw[0], msg);
		got_release(&more);
	}
	/* mail that came while we were busy is reported at once */
	{
		char *m5 = message(5);
		struct got more = { 0 };

		deliver("idler", "INBOX", m5);
		t0 = ms_now();
		assert_int_equal(imap_wait(c, 30, &stop, &err), 1);
		assert_true(ms_now() - t0 < 2000);
		assert_int_equal(fetch(c, g.uid[2], 1 << 20, &more), 0);
		assert_int_equal(more.nr, 2);
		assert_string_equal(more.raw[1], m5);
		got_release(&more);
		free(m5);
	}
	got_release(&g);
	buf_release(&err);
	imap_close(c);
	cfg_release(&t);
	free(msg);
}

static void test_mark_done_seen(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;
	struct buf err = BUF_INIT(4096);
	struct got g = { 0 };
	uint32_t seen[8];
	char *m1 = message(1), *m2 = message(2);

	(void)state;
	deliver("bot", "INBOX", m1);
	deliver("bot", "INBOX", m2);
	cfg_init(&t, "bot", "");
	c = open_ok(&t);
	assert_int_equal(fetch(c, 0, 1 << 20, &g), 0);
	assert_int_equal(g.nr, 2);
	/* BODY.PEEK: fetching flags nothing */
	assert_int_equal(peer_search("bot", "INBOX", key_seen(),
				     seen, 8), 0);

	if (imap_mark_done(c, g.uid[1], &err))
		fail_msg("imap_mark_done: %s", err.s);
	assert_int_equal(peer_search("bot", "INBOX", key_seen(),
				     seen, 8), 1);
	assert_int_equal(seen[0], g.uid[1]);
	/* and it is still there */
	assert_int_equal(peer_search("bot", "INBOX", mailimap_search_key_new_all(),
				     seen, 8), 2);

	got_release(&g);
	buf_release(&err);
	imap_close(c);
	cfg_release(&t);
	free(m1);
	free(m2);
}

static void test_done_mailbox_move(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;
	struct buf err = BUF_INIT(4096);
	struct got g = { 0 };
	uint32_t uids[8];
	char *m1 = message(1), *m2 = message(2);

	(void)state;
	deliver("mover", "INBOX", m1);
	deliver("mover", "INBOX", m2);
	assert_false(peer_mailbox_exists("mover", "Done"));
	cfg_init(&t, "mover", "");
	t.cfg.imap_done_mailbox = (char *)"Done";
	c = open_ok(&t);
	/* created at open, so the first move cannot fail for want of it */
	assert_true(peer_mailbox_exists("mover", "Done"));
	assert_int_equal(fetch(c, 0, 1 << 20, &g), 0);
	assert_int_equal(g.nr, 2);
	if (imap_mark_done(c, g.uid[0], &err))
		fail_msg("imap_mark_done: %s", err.s);

	/* the server has MOVE: gone from INBOX, in Done, \Seen */
	assert_int_equal(peer_search("mover", "INBOX",
				     mailimap_search_key_new_all(), uids, 8), 1);
	assert_int_equal(uids[0], g.uid[1]);
	assert_int_equal(peer_search("mover", "Done",
				     key_seen(), uids, 8), 1);

	got_release(&g);
	buf_release(&err);
	imap_close(c);

	/* reading the done mailbox itself would move mail in circles */
	t.cfg.imap_done_mailbox = (char *)"inbox";
	{
		char *e = open_fails(&t);

		assert_non_null(strstr(e, "imap.doneMailbox 'inbox' is the "
					  "mailbox being read"));
		free(e);
	}
	cfg_release(&t);
	free(m1);
	free(m2);
}

/* The daemon flags and moves each message from inside the callback. */
static void test_mark_inside_fetch(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;
	struct got g = { 0 };
	uint32_t uids[8];
	char *msg[3];

	(void)state;
	for (int i = 0; i < 3; i++) {
		msg[i] = message(i + 1);
		deliver("inside", "INBOX", msg[i]);
	}
	cfg_init(&t, "inside", "");
	t.cfg.imap_done_mailbox = (char *)"Done";
	c = open_ok(&t);
	g.mark = c;
	assert_int_equal(fetch(c, 0, 1 << 20, &g), 0);
	assert_int_equal(g.nr, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(g.raw[i], msg[i]);
	assert_int_equal(peer_search("inside", "INBOX",
				     mailimap_search_key_new_all(), uids, 8), 0);
	assert_int_equal(peer_search("inside", "Done", key_seen(), uids, 8), 3);
	got_release(&g);
	imap_close(c);
	cfg_release(&t);
	for (int i = 0; i < 3; i++)
		free(msg[i]);
}

static void test_no_idle_no_move(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;
	struct buf err = BUF_INIT(4096);
	struct got g = { 0 }, more = { 0 };
	volatile sig_atomic_t stop = 0;
	uint32_t uids[8];
	char *m1 = message(1), *m2 = message(2);
	int64_t t0;
	int r;

	(void)state;
	deliver("poller", "INBOX", m1);
	cfg_init(&t, "poller", "");
	t.cfg.imap_done_mailbox = (char *)"Done";
	t.cfg.imap_poll_seconds = 1;
	c = open_ok(&t);
	assert_int_equal(fetch(c, 0, 1 << 20, &g), 0);
	assert_int_equal(g.nr, 1);

	/* no MOVE: copied, and the original stays, flagged \Seen */
	if (imap_mark_done(c, g.uid[0], &err))
		fail_msg("imap_mark_done: %s", err.s);
	assert_int_equal(peer_search("poller", "INBOX",
				     key_seen(), uids, 8), 1);
	assert_int_equal(uids[0], g.uid[0]);
	assert_int_equal(peer_search("poller", "Done",
				     key_seen(), uids, 8), 1);

	/* no IDLE: polling notices new mail within a poll interval */
	deliver("poller", "INBOX", m2);
	t0 = ms_now();
	r = imap_wait(c, 30, &stop, &err);
	if (r < 0)
		fail_msg("imap_wait: %s", err.s);
	assert_int_equal(r, 1);
	assert_true(ms_now() - t0 < 3000);
	assert_int_equal(fetch(c, g.uid[0], 1 << 20, &more), 0);
	assert_int_equal(more.nr, 1);
	assert_string_equal(more.raw[0], m2);

	got_release(&g);
	got_release(&more);
	buf_release(&err);
	imap_close(c);
	cfg_release(&t);
	free(m1);
	free(m2);
}

static void test_mailbox_from_url(void **state)
{
	struct test_cfg t;
	struct imap_conn *c;
	struct got g = { 0 };
	mailimap *m;
	char *msg = message(7), *e;

	(void)state;
	m = peer_open("boxer", NULL);
	assert_int_equal(mailimap_create(m, "Patch Box"), MAILIMAP_NO_ERROR);
	peer_close(m);
	deliver("boxer", "Patch Box", msg);

	cfg_init(&t, "boxer", "/Patch%20Box");
	c = open_ok(&t);
	assert_string_equal(imap_mailbox(c), "Patch Box");
	assert_int_equal(fetch(c, 0, 1 << 20, &g), 0);
	assert_int_equal(g.nr, 1);
	assert_string_equal(g.raw[0], msg);
	got_release(&g);
	imap_close(c);
	cfg_release(&t);

	cfg_init(&t, "boxer", "/Nowhere");
	e = open_fails(&t);
	assert_non_null(strstr(e, "mailbox 'Nowhere' cannot be selected: "));
	free(e);
	cfg_release(&t);
	free(msg);
}

static void test_login_refused(void **state)
{
	struct test_cfg t;
	char *e, *pwfile;

	(void)state;
	cfg_init(&t, "bot", "");
	t.cfg.imap_password = (char *)"wrong";
	e = open_fails(&t);
	assert_non_null(strstr(e, "login as 'bot' refused: "));
	free(e);

	/* the password file wins and is read at each open */
	pwfile = xasprintf("%s/bot.pw", srv.dir);
	write_text(pwfile, "pass\n");
	t.cfg.imap_password_file = pwfile;
	imap_close(open_ok(&t));
	write_text(pwfile, "nope\n");
	e = open_fails(&t);
	assert_non_null(strstr(e, "login as 'bot' refused: "));
	free(e);
	unlink(pwfile);
	e = open_fails(&t);
	assert_non_null(strstr(e, "cannot read imap.passwordFile '"));
	free(e);
	free(pwfile);

	t.cfg.imap_password_file = NULL;
	t.cfg.imap_password = NULL;
	e = open_fails(&t);
	assert_string_equal(e, "no password for 'bot': set imap.password or "
			       "imap.passwordFile");
	free(e);
	cfg_release(&t);
}

static void test_bad_urls(void **state)
{
	static const struct {
		const char *url, *want;
	} cases[] = {
		{ "http://127.0.0.1/", "is not imap://... or imaps://..." },
		{ "imap:///INBOX", "has no usable host" },
		{ "imap://127.0.0.1:0/", "has a bad port '0'" },
		{ "imap://127.0.0.1:99999/", "has a bad port '99999'" },
		{ "imap://127.0.0.1:x/", "has a bad port 'x'" },
		{ "imap://bot@127.0.0.1/", "holds a user name" },
		{ "imap://127.0.0.1/IN%0D%0ABOX", "has a bad mailbox name" },
		{ "imap://127.0.0.1/IN%zz", "has a bad mailbox name" },
		{ "imap://127.0.0.1/INBOX?x", "only a mailbox may follow" },
		{ "imap://[::1/INBOX", "no ']'" },
	};
	struct test_cfg t;

	(void)state;
	cfg_init(&t, "bot", "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *e;

		t.cfg.imap_url = (char *)cases[i].url;
		e = open_fails(&t);
		if (!strstr(e, cases[i].want))
			fail_msg("'%s': got '%s', want '%s'", cases[i].url, e,
				 cases[i].want);
		free(e);
	}
	cfg_release(&t);
}

static void test_tls_policy(void **state)
{
	struct test_cfg t;
	char *e;

	(void)state;
	/* plain IMAP only to loopback; refused before connecting */
	cfg_init(&t, "bot", "");
	free(t.url);
	t.url = xstrdup("imap://mail.example.org/INBOX");
	t.cfg.imap_url = t.url;
	e = open_fails(&t);
	assert_string_equal(e, "imap.tls = false is only for loopback test "
			       "servers, not for 'mail.example.org'");
	free(e);
	cfg_release(&t);

	/* STARTTLS is done, and a self-signed certificate is refused */
	cfg_init(&t, "bot", "");
	t.cfg.imap_tls = true;
	e = open_fails(&t);
	if (!strstr(e, "certificate of '127.0.0.1' not trusted: "))
		fail_msg("got '%s'", e);
	free(e);
	cfg_release(&t);

	/* imaps:// likewise */
	cfg_init(&t, "bot", "");
	free(t.url);
	t.url = xasprintf("imaps://127.0.0.1:%d/", srv.tls_port);
	t.cfg.imap_url = t.url;
	e = open_fails(&t);
	if (!strstr(e, "certificate of '127.0.0.1' not trusted: "))
		fail_msg("got '%s'", e);
	free(e);
	cfg_release(&t);
}

static void test_connection_refused(void **state)
{
	struct test_cfg t;
	char *e, *want;
	int port = free_port();

	(void)state;
	cfg_init(&t, "bot", "");
	free(t.url);
	t.url = xasprintf("imap://127.0.0.1:%d/", port);
	t.cfg.imap_url = t.url;
	e = open_fails(&t);
	want = xasprintf("cannot connect to 127.0.0.1:%d: Connection refused",
			 port);
	assert_string_equal(e, want);
	free(want);
	free(e);
	cfg_release(&t);
}

/* Disconnect user's sessions (doveadm signals their processes). */
static void kick(const char *user)
{
	char *cmd = xasprintf("doveadm -c %s kick %s >/dev/null", srv.conf, user);

	assert_int_equal(run(cmd), 0);
	free(cmd);
}

/* Last: stops the server under open sessions. */
static void test_server_gone(void **state)
{
	struct test_cfg t;
	struct imap_conn *a, *b;
	struct buf err = BUF_INIT(4096);
	struct got g = { 0 };
	volatile sig_atomic_t stop = 0;
	char *msg = message(1);
	int64_t t0;

	(void)state;
	deliver("dead", "INBOX", msg);
	cfg_init(&t, "dead", "");
	a = open_ok(&t);
	b = open_ok(&t);
	/*
	 * Stopping dovecot's master leaves running sessions to finish; kick
	 * them first (server_stop() then waits for the master).
	 */
	kick("dead");
	server_stop();

	assert_int_equal(imap_fetch_new(a, 0, 1 << 20, collect, &g, &err), -1);
	assert_int_equal(g.nr, 0);
	assert_true(err.len > 0);
	print_message("fetch after stop: %s\n", err.s);
	/* and again, without touching the dead session */
	buf_reset(&err);
	assert_int_equal(imap_fetch_new(a, 0, 1 << 20, collect, &g, &err), -1);
	assert_non_null(strstr(err.s, "was lost"));
	buf_reset(&err);
	assert_int_equal(imap_mark_done(a, 1, &err), -1);

	buf_reset(&err);
	t0 = ms_now();
	assert_int_equal(imap_wait(b, 30, &stop, &err), -1);
	assert_true(ms_now() - t0 < 5000);
	assert_true(err.len > 0);
	print_message("wait after stop: %s\n", err.s);

	imap_close(a);
	imap_close(b);
	buf_release(&err);
	cfg_release(&t);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_fetch_in_order),
		cmocka_unit_test(test_max_size_cut),
		cmocka_unit_test(test_idle_wakes_up),
		cmocka_unit_test(test_mark_done_seen),
		cmocka_unit_test(test_done_mailbox_move),
		cmocka_unit_test(test_mark_inside_fetch),
		cmocka_unit_test(test_no_idle_no_move),
		cmocka_unit_test(test_mailbox_from_url),
		cmocka_unit_test(test_login_refused),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_tls_policy),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_server_gone),
	};

	/* as in the daemon: a server hanging up must not kill us */
	signal(SIGPIPE, SIG_IGN);
	log_set_quiet(1);
	if (getenv("TEST_IMAP_DEBUG"))
		log_init(1, LOG_IMAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
