/* SPDX-License-Identifier: GPL-2.0-or-later */
/* imap: read the bot's mailbox over IMAP with libetpan (see imap.h). */
#include "imap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/*
 * Every read and write on the connection gives up after this long, so a
 * server that stops answering costs a minute, not the daemon.
 */
#define IMAP_TIMEOUT 60
/* RFC 2177: clients should re-issue IDLE at least every 29 minutes. */
#define IMAP_IDLE_MAX (25 * 60)
/*
 * Bodies are fetched a few at a time: one UID FETCH response is held in
 * memory whole by libetpan, so a batch is capped in messages and bytes.
 */
#define FETCH_BATCH_MSGS 32
#define FETCH_BATCH_BYTES (4u << 20)

struct imap_conn {
	mailimap *imap;
	char *host;
	char *port;
	char *user;
	char *mailbox;
	char *done_mailbox;
	unsigned poll_seconds;
	uint32_t uidvalidity;
	bool has_idle;
	bool has_move;
	/* A transport error was seen: the session is unusable, reconnect. */
	bool broken;
};

/* The parts of imap.url. */
struct imap_url {
	bool tls;   /* imaps:// */
	char *host; /* without brackets */
	char *port;
	char *mailbox;
};

static void url_release(struct imap_url *u)
{
	free(u->host);
	free(u->port);
	free(u->mailbox);
	memset(u, 0, sizeof(*u));
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n); NULL when an escape is malformed or decodes to
 * NUL, CR or LF (the name goes into IMAP commands).
 */
static char *url_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || c == '\r' || c == '\n')
			goto bad;
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* imap[s]://host[:port][/mailbox], the mailbox percent-encoded. */
static int url_parse(struct imap_url *u, const char *url, struct buf *err)
{
	const char *p, *host, *host_end, *port = NULL, *end;
	size_t port_len = 0;

	memset(u, 0, sizeof(*u));
	if (starts_with_icase(url, "imaps://")) {
		u->tls = true;
		p = url + 8;
	} else if (starts_with_icase(url, "imap://")) {
		p = url + 7;
	} else {
		buf_addf(err, "imap.url '%s' is not imap://... or imaps://...", url);
		return -1;
	}
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p))) {
		/* not echoed: "user:password@" would go to the log */
		buf_adds(err, "imap.url holds a user name: set imap.user "
			 "(and imap.passwordFile) instead");
		return -1;
	}
	if (*p == '[') {
		host = p + 1;
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end) {
			buf_addf(err, "imap.url '%s' has no ']' after the address", url);
			return -1;
		}
		p = host_end + 1;
	} else {
		host = p;
		host_end = p + strcspn(p, ":/?#");
		p = host_end;
	}
	if (*p == ':') {
		port = ++p;
		port_len = (size_t)(end - p);
		p = end;
	}
	if (p != end || host_end == host) {
		buf_addf(err, "imap.url '%s' has no usable host", url);
		return -1;
	}
	if (port) {
		char *stop;
		unsigned long v;
		char *tmp = xstrndup(port, port_len);

		errno = 0;
		v = strtoul(tmp, &stop, 10);
		if (!port_len || *stop || errno || v == 0 || v > 65535 ||
		    !(*tmp >= '0' && *tmp <= '9')) {
			buf_addf(err, "imap.url '%s' has a bad port '%s'", url, tmp);
			free(tmp);
			return -1;
		}
		u->port = xasprintf("%lu", v);
		free(tmp);
	} else {
		u->port = xstrdup(u->tls ? "993" : "143");
	}
	u->host = xstrndup(host, (size_t)(host_end - host));
	if (*end == '/')
		end++;
	if (strpbrk(end, "?#") || strchr(end, ';')) {
		buf_addf(err, "imap.url '%s': only a mailbox may follow the host", url);
		url_release(u);
		return -1;
	}
	if (!*end) {
		u->mailbox = xstrdup("INBOX");
	} else {
		u->mailbox = url_decode(end, strlen(end));
		if (!u->mailbox) {
			buf_addf(err, "imap.url '%s' has a bad mailbox name", url);
			url_release(u);
			return -1;
		}
	}
	return 0;
}

/* Is host the loopback interface (where plain IMAP cannot be overheard)? */
static bool is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcasecmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static bool is_ip_literal(const char *host)
{
	struct in6_addr a;

	return inet_pton(AF_INET, host, &a) == 1 ||
	       inet_pton(AF_INET6, host, &a) == 1;
}

/* What went wrong, for an error message; server text when it refused. */
static void add_reason(struct buf *err, const struct imap_conn *c, int r)
{
	const char *why;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		why = "the connection was lost or timed out";
		break;
	case MAILIMAP_ERROR_PARSE:
		why = "the server's response cannot be parsed";
		break;
	case MAILIMAP_ERROR_FATAL:
		why = "the server closed the connection";
		break;
	case MAILIMAP_ERROR_MEMORY:
		why = "out of memory";
		break;
	case MAILIMAP_ERROR_SSL:
		why = "the TLS handshake failed";
		break;
	case MAILIMAP_ERROR_BAD_STATE:
		why = "the session is in the wrong state";
		break;
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		why = "connection refused";
		break;
	default:
		why = NULL;
		break;
	}
	if (!why && c->imap->imap_response && *c->imap->imap_response)
		why = c->imap->imap_response;
	if (!why)
		why = "the server refused";
	if (r == MAILIMAP_ERROR_FATAL && c->imap->imap_response &&
	    *c->imap->imap_response)
		buf_addf(err, "%s (%s)", why, c->imap->imap_response);
	else
		buf_adds(err, why);
}

/* Errors after which the session cannot be used any more. */
static bool is_transport_error(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_PROTOCOL:
		return true;
	default:
		return false;
	}
}

/*
 * Record a failed command: "<what>: <reason>".  Returns -1 so callers can
 * `return fail(...)`.
 */
static int fail(struct imap_conn *c, int r, struct buf *err, const char *what)
{
	if (is_transport_error(r))
		c->broken = true;
	buf_addf(err, "%s: ", what);
	add_reason(err, c, r);
	return -1;
}

static int check_usable(struct imap_conn *c, struct buf *err)
{
	if (!c || !c->imap) {
		buf_adds(err, "no IMAP connection");
		return -1;
	}
	if (c->broken) {
		buf_addf(err, "the connection to %s:%s was lost", c->host, c->port);
		return -1;
	}
	return 0;
}

/*
 * Connect by hand rather than with mailimap_socket_connect(), which
 * reports every failure as "connection refused": the operator needs to
 * tell a wrong host from a firewall from a stopped server.
 */
static int tcp_connect(const char *host, const char *port, struct buf *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, saved = 0, r;

	r = getaddrinfo(host, port, &hints, &res);
	if (r) {
		buf_addf(err, "cannot connect to %s:%s: %s", host, port,
			 r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		if (errno != EINPROGRESS) {
			saved = errno;
			goto next;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, IMAP_TIMEOUT * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			saved = ETIMEDOUT;
			goto next;
		}
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl)) {
			saved = errno;
			goto next;
		}
		if (!soerr)
			break;
		saved = soerr;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		buf_addf(err, "cannot connect to %s:%s: %s", host, port,
			 strerror(saved ? saved : ECONNREFUSED));
	return fd;
}

static void tls_set_sni(struct mailstream_ssl_context *ctx, void *data)
{
	char *host = data;

	/* RFC 6066: no SNI for address literals */
	if (!is_ip_literal(host))
		mailstream_ssl_set_server_name(ctx, host);
}

/*
 * libetpan, built with GnuTLS as Debian ships it, does not check the
 * server's certificate at all; do it here against the system's trust
 * store and the host name of imap.url, before the password is sent.
 */
static int tls_verify(struct imap_conn *c, struct buf *err)
{
	carray *chain = mailstream_get_certificate_chain(c->imap->imap_stream);
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_typed_vdata_st vd;
	unsigned n = 0, status = 0;
	int ret = -1, r;

	if (!chain || !carray_count(chain)) {
		buf_addf(err, "server '%s' sent no TLS certificate", c->host);
		goto out;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0 ||
	    gnutls_x509_trust_list_add_system_trust(tl, 0, 0) <= 0) {
		buf_addf(err, "cannot check the certificate of '%s': "
			 "no trusted certificates in the system store", c->host);
		goto out;
	}
	crts = xcalloc(carray_count(chain), sizeof(*crts));
	for (; n < carray_count(chain); n++) {
		MMAPString *der = carray_get(chain, n);
		gnutls_datum_t d = { (unsigned char *)der->str,
				     (unsigned)der->len };

		if (gnutls_x509_crt_init(&crts[n]) < 0)
			goto bad_cert;
		if (gnutls_x509_crt_import(crts[n], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[n]);
			goto bad_cert;
		}
	}
	vd.type = GNUTLS_DT_DNS_HOSTNAME;
	vd.data = (unsigned char *)c->host;
	vd.size = 0;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, &vd, 1, 0, &status,
					       NULL);
	if (r < 0) {
		buf_addf(err, "cannot check the certificate of '%s': %s",
			 c->host, gnutls_strerror(r));
		goto out;
	}
	if (status) {
		gnutls_datum_t text = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(
			    status, GNUTLS_CRT_X509, &text, 0) < 0)
			text.data = NULL;
		buf_addf(err, "certificate of '%s' not trusted: %s", c->host,
			 text.data ? (char *)text.data : "verification failed");
		gnutls_free(text.data);
		goto out;
	}
	ret = 0;
	goto out;
bad_cert:
	buf_addf(err, "server '%s' sent a certificate that cannot be read",
		 c->host);
out:
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	free(crts);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return ret;
}

/* Ask for CAPABILITY (it changes after STARTTLS and after login). */
static int refresh_capability(struct imap_conn *c, struct buf *err)
{
	struct mailimap_capability_data *cap = NULL;
	int r = mailimap_capability(c->imap, &cap);

	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, err, "CAPABILITY failed");
	mailimap_capability_data_free(cap);
	return 0;
}

/* The first line of path, read at each connect so rotation needs no restart. */
static char *read_password_file(const char *path, struct buf *err)
{
	FILE *f = fopen(path, "r");
	struct buf line = BUF_INIT(4096);
	int ch;

	if (!f) {
		buf_addf(err, "cannot read imap.passwordFile '%s': %s", path,
			 strerror(errno));
		return NULL;
	}
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (buf_addch(&line, ch)) {
			buf_addf(err, "imap.passwordFile '%s': the first line is too long",
				 path);
			goto bad;
		}
	}
	if (ferror(f)) {
		buf_addf(err, "cannot read imap.passwordFile '%s': %s", path,
			 strerror(errno));
		goto bad;
	}
	fclose(f);
	if (line.len && line.s[line.len - 1] == '\r')
		buf_setlen(&line, line.len - 1);
	return buf_detach(&line, NULL);
bad:
	fclose(f);
	buf_release(&line);
	return NULL;
}

static bool mail_reported(const struct imap_conn *c)
{
	const struct mailimap_selection_info *s = c->imap->imap_selection_info;

	return s && (s->sel_has_exists || s->sel_has_recent);
}

static void forget_reports(struct imap_conn *c)
{
	struct mailimap_selection_info *s = c->imap->imap_selection_info;

	if (s) {
		s->sel_has_exists = 0;
		s->sel_has_recent = 0;
	}
}

/* Make sure imap.doneMailbox exists, so the first move does not fail. */
static int ensure_done_mailbox(struct imap_conn *c, struct buf *err)
{
	clist *list = NULL;
	int r;

	if (!strcasecmp(c->done_mailbox, c->mailbox) ||
	    (!strcasecmp(c->mailbox, "INBOX") &&
	     !strcasecmp(c->done_mailbox, "INBOX"))) {
		buf_addf(err, "imap.doneMailbox '%s' is the mailbox being read",
			 c->done_mailbox);
		return -1;
	}
	r = mailimap_list(c->imap, "", c->done_mailbox, &list);
	if (r != MAILIMAP_NO_ERROR) {
		buf_addf(err, "mailbox '%s' cannot be listed: ", c->done_mailbox);
		add_reason(err, c, r);
		if (is_transport_error(r))
			c->broken = true;
		return -1;
	}
	if (list && clist_count(list)) {
		mailimap_list_result_free(list);
		return 0;
	}
	if (list)
		mailimap_list_result_free(list);
	log_info("IMAP: creating mailbox '%s' for processed mail", c->done_mailbox);
	r = mailimap_create(c->imap, c->done_mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		buf_addf(err, "mailbox '%s' cannot be created: ", c->done_mailbox);
		add_reason(err, c, r);
		return -1;
	}
	return 0;
}

static int open_session(struct imap_conn *c, const struct config *cfg,
			const struct imap_url *u, struct buf *err)
{
	mailstream *stream;
	char *password = NULL;
	int fd, r;

	c->imap = mailimap_new(0, NULL);
	if (!c->imap) {
		buf_adds(err, "out of memory");
		return -1;
	}
	mailimap_set_timeout(c->imap, IMAP_TIMEOUT);

	log_debug(LOG_IMAP, "connecting to %s:%s%s", c->host, c->port,
		  u->tls ? " (TLS)" : "");
	fd = tcp_connect(c->host, c->port, err);
	if (fd < 0)
		return -1;
	if (u->tls)
		stream = mailstream_ssl_open_with_callback_timeout(
			fd, IMAP_TIMEOUT, tls_set_sni, c->host);
	else
		stream = mailstream_socket_open_timeout(fd, IMAP_TIMEOUT);
	if (!stream) {
		close(fd);
		buf_addf(err, "cannot connect to %s:%s: %s", c->host, c->port,
			 u->tls ? "the TLS handshake failed" : "out of memory");
		return -1;
	}
	r = mailimap_connect(c->imap, stream);
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED) {
		/*
		 * PREAUTH on a plain connection is how a man in the middle
		 * keeps a client from STARTTLS (CVE-2020-12398 and kin); a
		 * bot has no use for a session it did not log into anyway.
		 */
		buf_addf(err, "server %s:%s greeted with PREAUTH: refusing a "
			 "session without login", c->host, c->port);
		return -1;
	}
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		buf_addf(err, "cannot connect to %s:%s: ", c->host, c->port);
		add_reason(err, c, r);
		return -1;
	}
	if (u->tls && tls_verify(c, err))
		return -1;
	if (refresh_capability(c, err))
		return -1;

	if (!u->tls && cfg->imap_tls) {
		if (!mailimap_has_extension(c->imap, "STARTTLS")) {
			buf_addf(err, "server %s:%s does not offer STARTTLS; use "
				 "imaps:// (or imap.tls = false for a loopback "
				 "test server)", c->host, c->port);
			return -1;
		}
		r = mailimap_socket_starttls_with_callback(c->imap, tls_set_sni,
							   c->host);
		if (r != MAILIMAP_NO_ERROR) {
			c->broken = true;
			buf_addf(err, "STARTTLS with %s:%s failed: ", c->host,
				 c->port);
			add_reason(err, c, r);
			return -1;
		}
		/*
		 * Bytes that came with the STARTTLS answer were sent in the
		 * clear and would be read as if protected (CVE-2020-15953).
		 */
		if (c->imap->imap_stream->read_buffer_len) {
			buf_addf(err, "server %s:%s sent data right after "
				 "STARTTLS: refusing it", c->host, c->port);
			return -1;
		}
		if (tls_verify(c, err) || refresh_capability(c, err))
			return -1;
	}

	if (cfg->imap_password_file) {
		password = read_password_file(cfg->imap_password_file, err);
		if (!password)
			return -1;
	} else if (cfg->imap_password) {
		password = xstrdup(cfg->imap_password);
	} else {
		buf_addf(err, "no password for '%s': set imap.password or "
			 "imap.passwordFile", c->user);
		return -1;
	}
	r = mailimap_login(c->imap, c->user, password);
	explicit_bzero(password, strlen(password));
	free(password);
	if (r != MAILIMAP_NO_ERROR) {
		buf_addf(err, "login as '%s' refused: ", c->user);
		add_reason(err, c, r);
		return -1;
	}
	if (refresh_capability(c, err))
		return -1;
	c->has_idle = mailimap_has_idle(c->imap);
	c->has_move = mailimap_has_extension(c->imap, "MOVE");

	r = mailimap_select(c->imap, c->mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		buf_addf(err, "mailbox '%s' cannot be selected: ", c->mailbox);
		add_reason(err, c, r);
		return -1;
	}
	c->uidvalidity = c->imap->imap_selection_info ?
		c->imap->imap_selection_info->sel_uidvalidity : 0;
	if (!c->uidvalidity) {
		buf_addf(err, "mailbox '%s' has no UIDVALIDITY", c->mailbox);
		return -1;
	}
	if (c->done_mailbox && ensure_done_mailbox(c, err))
		return -1;
	/* SELECT's EXISTS is not news: the caller fetches after opening. */
	forget_reports(c);
	log_debug(LOG_IMAP, "selected '%s', UIDVALIDITY %u, %s, %s",
		  c->mailbox, c->uidvalidity,
		  c->has_idle ? "IDLE" : "no IDLE (polling)",
		  c->has_move ? "MOVE" : "no MOVE");
	return 0;
}

int imap_open(struct imap_conn **out, const struct config *cfg, struct buf *err)
{
	struct imap_conn *c;
	struct imap_url u;

	*out = NULL;
	if (!cfg->imap_url) {
		buf_adds(err, "imap.url is not set");
		return -1;
	}
	if (!cfg->imap_user || !*cfg->imap_user) {
		buf_adds(err, "imap.user is not set");
		return -1;
	}
	if (has_crlf(cfg->imap_user)) {
		buf_adds(err, "imap.user holds a line break");
		return -1;
	}
	if (url_parse(&u, cfg->imap_url, err))
		return -1;
	if (!u.tls && !cfg->imap_tls && !is_loopback(u.host)) {
		buf_addf(err, "imap.tls = false is only for loopback test "
			 "servers, not for '%s'", u.host);
		url_release(&u);
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	c->host = xstrdup(u.host);
	c->port = xstrdup(u.port);
	c->mailbox = xstrdup(u.mailbox);
	c->user = xstrdup(cfg->imap_user);
	if (cfg->imap_done_mailbox && *cfg->imap_done_mailbox)
		c->done_mailbox = xstrdup(cfg->imap_done_mailbox);
	c->poll_seconds = cfg->imap_poll_seconds ? cfg->imap_poll_seconds : 60;
	if (open_session(c, cfg, &u, err)) {
		/* Don't LOGOUT a half-open session; just drop it. */
		c->broken = true;
		imap_close(c);
		url_release(&u);
		return -1;
	}
	url_release(&u);
	*out = c;
	return 0;
}

void imap_close(struct imap_conn *c)
{
	if (!c)
		return;
	if (c->imap) {
		if (!c->broken && c->imap->imap_stream) {
			/* A dead server must not hold up shutdown. */
			mailstream_low_set_timeout(
				mailstream_get_low(c->imap->imap_stream), 5);
			mailimap_logout(c->imap);
		}
		mailimap_free(c->imap);
	}
	free(c->host);
	free(c->port);
	free(c->user);
	free(c->mailbox);
	free(c->done_mailbox);
	free(c);
}

const char *imap_mailbox(const struct imap_conn *c)
{
	return c->mailbox;
}

uint32_t imap_uidvalidity(const struct imap_conn *c)
{
	return c->uidvalidity;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* UID SEARCH UID after+1:*, sorted, without the UIDs <= after. */
static int search_new(struct imap_conn *c, uint32_t after, uint32_t **uids,
		      size_t *nr, struct buf *err)
{
	struct mailimap_set *set = mailimap_set_new_interval(after + 1, 0);
	struct mailimap_search_key *key;
	clist *result = NULL;
	size_t n = 0, alloc = 0;
	uint32_t *v = NULL;
	int r;

	if (!set) {
		buf_adds(err, "out of memory");
		return -1;
	}
	key = mailimap_search_key_new_uid(set);
	if (!key) {
		mailimap_set_free(set);
		buf_adds(err, "out of memory");
		return -1;
	}
	r = mailimap_uid_search(c->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, err, "UID SEARCH failed");
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		/* "N:*" always matches the highest UID, even when it is < N */
		if (uid <= after)
			continue;
		ALLOC_GROW(v, n + 1, alloc);
		v[n++] = uid;
	}
	mailimap_search_result_free(result);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u32);
	*uids = v;
	*nr = n;
	return 0;
}

/* One message as the server returned it in a FETCH response. */
struct fetched {
	uint32_t uid;
	uint32_t size;
	bool has_size;
	const char *body;
	size_t body_len;
	bool has_body;
};

static void read_msg_att(const struct mailimap_msg_att *att, struct fetched *f)
{
	memset(f, 0, sizeof(*f));
	for (clistiter *it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			f->uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			f->size = st->att_data.att_rfc822_size;
			f->has_size = true;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (!st->att_data.att_body_section)
				break;
			f->body = st->att_data.att_body_section->sec_body_part;
			f->body_len = st->att_data.att_body_section->sec_length;
			if (!f->body)
				f->body_len = 0;
			f->has_body = true;
			break;
		default:
			break;
		}
	}
}

static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();

	for (size_t i = 0; set && i < n; i++) {
		if (mailimap_set_add_single(set, uids[i]) != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
	}
	return set;
}

/* UID FETCH set (UID RFC822.SIZE): sizes[i] for uids[i], 0 when gone. */
static int fetch_sizes(struct imap_conn *c, const uint32_t *uids, size_t n,
		       uint32_t *sizes, bool *present, struct buf *err)
{
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_fetch_type *ft =
		mailimap_fetch_type_new_fetch_att_list_empty();
	clist *result = NULL;
	int r;

	if (!set || !ft ||
	    mailimap_fetch_type_new_fetch_att_list_add(
		    ft, mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(
		    ft, mailimap_fetch_att_new_rfc822_size()) != MAILIMAP_NO_ERROR) {
		if (set)
			mailimap_set_free(set);
		if (ft)
			mailimap_fetch_type_free(ft);
		buf_adds(err, "out of memory");
		return -1;
	}
	r = mailimap_uid_fetch(c->imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, err, "UID FETCH (RFC822.SIZE) failed");
	memset(present, 0, n * sizeof(*present));
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		struct fetched f;
		uint32_t *hit;

		read_msg_att(clist_content(it), &f);
		if (!f.uid || !f.has_size)
			continue;
		hit = bsearch(&f.uid, uids, n, sizeof(*uids), cmp_u32);
		if (hit) {
			sizes[hit - uids] = f.size;
			present[hit - uids] = true;
		}
	}
	mailimap_fetch_list_free(result);
	return 0;
}

/*
 * UID FETCH set (UID BODY.PEEK[]) or, for a single large message,
 * BODY.PEEK[]<0.max>; calls fn in UID order.  1 when fn asked to stop.
 */
static int fetch_bodies(struct imap_conn *c, const uint32_t *uids,
			const uint32_t *sizes, size_t n, uint32_t partial,
			imap_message_fn fn, void *payload, struct buf *err)
{
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_fetch_type *ft =
		mailimap_fetch_type_new_fetch_att_list_empty();
	struct mailimap_section *sec = mailimap_section_new(NULL);
	struct mailimap_fetch_att *body = NULL;
	struct fetched *got = NULL;
	clist *result = NULL;
	int r, ret = 0;

	if (sec)
		body = partial ?
			mailimap_fetch_att_new_body_peek_section_partial(sec, 0, partial) :
			mailimap_fetch_att_new_body_peek_section(sec);
	if (!body && sec)
		mailimap_section_free(sec);
	if (!set || !ft || !body ||
	    mailimap_fetch_type_new_fetch_att_list_add(
		    ft, mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft, body) !=
		    MAILIMAP_NO_ERROR) {
		if (set)
			mailimap_set_free(set);
		if (ft)
			mailimap_fetch_type_free(ft);
		buf_adds(err, "out of memory");
		return -1;
	}
	r = mailimap_uid_fetch(c->imap, set, ft, &result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, err, "UID FETCH (BODY.PEEK[]) failed");

	/* Index the response by UID: servers may answer in any order. */
	got = xcalloc(n, sizeof(*got));
	for (clistiter *it = clist_begin(result); it; it = clist_next(it)) {
		struct fetched f;
		uint32_t *hit;

		read_msg_att(clist_content(it), &f);
		if (!f.uid || !f.has_body)
			continue; /* unsolicited FETCH, e.g. a flag change */
		hit = bsearch(&f.uid, uids, n, sizeof(*uids), cmp_u32);
		if (hit)
			got[hit - uids] = f;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = got[i].body_len, full = sizes[i];

		if (!got[i].has_body) {
			log_debug(LOG_IMAP, "uid %u vanished before its body "
				  "was fetched", uids[i]);
			continue;
		}
		/* Don't trust RFC822.SIZE over the bytes actually received. */
		if (full < len)
			full = len;
		if (partial && len > partial)
			len = partial;
		log_debug(LOG_IMAP, "uid %u: %zu of %zu bytes", uids[i], len,
			  full);
		if (fn(payload, uids[i], got[i].body ? got[i].body : "", len,
		       full)) {
			ret = 1;
			break;
		}
	}
	free(got);
	mailimap_fetch_list_free(result);
	return ret;
}

int imap_fetch_new(struct imap_conn *c, uint32_t after, size_t max_size,
		   imap_message_fn fn, void *payload, struct buf *err)
{
	uint32_t *uids = NULL, *sizes = NULL;
	bool *present = NULL;
	size_t nr = 0, i = 0;
	uint32_t cut;
	int ret = -1;

	if (check_usable(c, err))
		return -1;
	if (after == UINT32_MAX)
		return 0;
	if (!max_size)
		max_size = 1;
	cut = max_size > UINT32_MAX ? UINT32_MAX : (uint32_t)max_size;
	if (search_new(c, after, &uids, &nr, err))
		return -1;
	/*
	 * The SEARCH saw every message the server had told us about; an
	 * EXISTS arriving from here on is mail this call may miss, which
	 * imap_wait() then reports at once.
	 */
	forget_reports(c);
	if (!nr) {
		free(uids);
		return 0;
	}
	log_debug(LOG_IMAP, "%zu new message(s) after uid %u", nr, after);
	sizes = xcalloc(nr, sizeof(*sizes));
	present = xcalloc(nr, sizeof(*present));
	while (i < nr) {
		size_t n = nr - i < FETCH_BATCH_MSGS ? nr - i : FETCH_BATCH_MSGS;
		size_t j = 0;

		if (fetch_sizes(c, uids + i, n, sizes + i, present + i, err))
			goto out;
		while (j < n) {
			size_t k = j, bytes = 0;
			int r;

			if (!present[i + j]) {
				j++;
				continue;
			}
			if (sizes[i + j] > cut) {
				/* too big: its first max_size bytes, alone */
				r = fetch_bodies(c, uids + i + j, sizes + i + j,
						 1, cut, fn, payload, err);
				k = j + 1;
			} else {
				while (k < n && present[i + k] &&
				       sizes[i + k] <= cut &&
				       (k == j || bytes + sizes[i + k] <=
							  FETCH_BATCH_BYTES)) {
					bytes += sizes[i + k];
					k++;
				}
				r = fetch_bodies(c, uids + i + j, sizes + i + j,
						 k - j, 0, fn, payload, err);
			}
			if (r)
				goto out;
			j = k;
		}
		i += n;
	}
	ret = 0;
out:
	free(uids);
	free(sizes);
	free(present);
	return ret;
}

int imap_mark_done(struct imap_conn *c, uint32_t uid, struct buf *err)
{
	struct mailimap_set *set;
	struct mailimap_flag_list *flags;
	struct mailimap_store_att_flags *store = NULL;
	int r;

	if (check_usable(c, err))
		return -1;
	set = mailimap_set_new_single(uid);
	flags = mailimap_flag_list_new_empty();
	if (flags) {
		struct mailimap_flag *seen = mailimap_flag_new_seen();

		if (!seen || mailimap_flag_list_add(flags, seen) != MAILIMAP_NO_ERROR) {
			if (seen)
				mailimap_flag_free(seen);
			mailimap_flag_list_free(flags);
			flags = NULL;
		}
	}
	if (flags)
		store = mailimap_store_att_flags_new_add_flags_silent(flags);
	if (!set || !store) {
		if (set)
			mailimap_set_free(set);
		if (store)
			mailimap_store_att_flags_free(store);
		else if (flags)
			mailimap_flag_list_free(flags);
		buf_adds(err, "out of memory");
		return -1;
	}
	r = mailimap_uid_store(c->imap, set, store);
	mailimap_store_att_flags_free(store);
	if (r != MAILIMAP_NO_ERROR) {
		mailimap_set_free(set);
		buf_addf(err, "message %u cannot be flagged \\Seen: ", uid);
		add_reason(err, c, r);
		if (is_transport_error(r))
			c->broken = true;
		return -1;
	}
	if (!c->done_mailbox) {
		mailimap_set_free(set);
		return 0;
	}
	/*
	 * Nothing is ever deleted: without MOVE the message is only copied,
	 * and the original stays behind, flagged \Seen.  (COPY + \Deleted +
	 * EXPUNGE would emulate MOVE but could expunge other people's
	 * \Deleted mail along with ours.)
	 */
	if (c->has_move)
		r = mailimap_uid_move(c->imap, set, c->done_mailbox);
	else
		r = mailimap_uid_copy(c->imap, set, c->done_mailbox);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		buf_addf(err, "message %u cannot be %s to '%s': ", uid,
			 c->has_move ? "moved" : "copied", c->done_mailbox);
		add_reason(err, c, r);
		if (is_transport_error(r))
			c->broken = true;
		return -1;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One IDLE command, until the server says something, *stop, or until_ms.
 * 1 when it reported new mail, 0 otherwise, -1 on a connection error.
 */
static int idle_once(struct imap_conn *c, int64_t until_ms,
		     volatile sig_atomic_t *stop, struct buf *err)
{
	int fd, r;
	bool activity;

	r = mailimap_idle(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, err, "IDLE failed");
	fd = mailimap_idle_get_fd(c->imap);
	/* An EXISTS may have come in with the continuation, already read. */
	activity = c->imap->imap_stream->read_buffer_len > 0;
	while (!activity && !(stop && *stop)) {
		int64_t left = until_ms - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (left <= 0)
			break;
		r = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR) {
			c->broken = true;
			buf_addf(err, "IDLE: cannot wait for the server: %s",
				 strerror(errno));
			return -1;
		}
		if (r > 0)
			activity = true;
	}
	r = mailimap_idle_done(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, err, "IDLE failed");
	if (mail_reported(c))
		return 1;
	if (activity)
		log_debug(LOG_IMAP, "IDLE: the server spoke, but of no new mail");
	return 0;
}

/* Without IDLE: sleep in short slices, then NOOP for the news. */
static int poll_once(struct imap_conn *c, int64_t until_ms,
		     volatile sig_atomic_t *stop, struct buf *err)
{
	int64_t wake = now_ms() + (int64_t)c->poll_seconds * 1000;
	bool full = true;
	int r;

	if (wake > until_ms) {
		wake = until_ms;
		full = false;
	}
	while (!(stop && *stop)) {
		int64_t left = wake - now_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		if (left > 1000)
			left = 1000;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
	if (stop && *stop)
		return 0;
	r = mailimap_noop(c->imap);
	if (r != MAILIMAP_NO_ERROR)
		return fail(c, r, err, "NOOP failed");
	/*
	 * Some servers only report new mail to NOOP lazily; after a whole
	 * poll interval, looking is cheap (one UID SEARCH).
	 */
	return mail_reported(c) || full ? 1 : 0;
}

int imap_wait(struct imap_conn *c, int timeout, volatile sig_atomic_t *stop,
	      struct buf *err)
{
	int64_t deadline;

	if (check_usable(c, err))
		return -1;
	/* Mail reported while we were busy fetching or flagging. */
	if (mail_reported(c)) {
		forget_reports(c);
		return 1;
	}
	if (timeout < 0)
		timeout = 0;
	deadline = now_ms() + (int64_t)timeout * 1000;
	while (!(stop && *stop) && now_ms() < deadline) {
		int r;

		if (c->has_idle) {
			int64_t until = now_ms() + (int64_t)IMAP_IDLE_MAX * 1000;

			r = idle_once(c, until < deadline ? until : deadline,
				      stop, err);
		} else {
			r = poll_once(c, deadline, stop, err);
		}
		if (r) {
			forget_reports(c);
			return r;
		}
		if (!c->has_idle)
			break;
	}
	return 0;
}
