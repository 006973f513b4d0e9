/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_abuse: hostile mail through the whole ingest pipeline, reacting as
 * the daemon does (issue 9, "Abuse").  Forged senders try every command
 * that changes the queue; Subject, From, Message-ID and References try to
 * smuggle headers into patchbot's replies; hostile sizes must be refused
 * with a reason while the next mail still gets through; a second bot
 * answering every reply must be cut off; subscription bombing must be
 * capped.  The repository and the series are made with git in a
 * temporary folder, as in test_queue.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "command.h"
#include "testutil.h"
#include "util.h"

static char *tmp;
static struct config cfg;
static int seq;

/* Under valgrind (tests/valgrind.sh) the biggest inputs are made smaller. */
static bool quick(void)
{
	const char *q = getenv("PATCHBOT_VALGRIND_QUICK");

	return q && *q && strcmp(q, "0");
}

static const char setup_script[] =
	"git init -q -b master repo && cd repo &&"
	"mkdir -p mm &&"
	"printf 'int a;\\nint b;\\nint c;\\nint d;\\nint e;\\n' >mm/foo.c &&"
	"git add -A && git commit -q -m base &&"
	"git checkout -q -b s1 &&"
	"sed -i 's/int b;/int b = 1;/' mm/foo.c && git commit -q -am 'mm/foo: set b' &&"
	"sed -i 's/int d;/int d = 1;/' mm/foo.c && git commit -q -am 'mm/foo: set d' &&"
	"git format-patch -q --thread -v1 --stdout master >../v1.mbox &&"
	"git checkout -q master && git checkout -q -b s2 &&"
	"sed -i 's/int b;/int b = 2;/' mm/foo.c && git commit -q -am 'mm/foo: set b' &&"
	"sed -i 's/int d;/int d = 2;/' mm/foo.c && git commit -q -am 'mm/foo: set d' &&"
	"git format-patch -q --thread -v2 --stdout master >../v2.mbox &&"
	"git checkout -q master && git branch -q -D s1 s2";

static int setup(void **state)
{
	(void)state;
	tmp = test_bot_setup("pbabuse", setup_script, &cfg,
			     "[auth]\n\ttrustedAuthservId = mx.example.org\n"
			     "\trequireDkim = true\n"
			     "[feedback]\n\tenable = false\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rmtree(tmp);
	config_release(&cfg);
	return 0;
}

/* Ingest len bytes (which may hold NUL) as one message. */
static void ingest_bytes(struct ingest *in, const char *raw, size_t len)
{
	struct mail_item item = {
		.raw = raw, .len = len, .full_size = len, .where = "abuse",
	};

	assert_int_equal(ingest_message(in, &item, NULL), 0);
	assert_int_equal(ingest_flush(in), 0);
}

static char *patch_msgid(struct store *st, int version)
{
	char *sql = xasprintf("SELECT m.message_id FROM messages m JOIN versions v"
			      " ON v.id = m.version_id WHERE v.version = %d AND m.kind = 'patch'"
			      " ORDER BY m.id LIMIT 1", version);
	char *r = test_query_str(st, sql);

	free(sql);
	assert_true(*r);
	return r;
}

/* The queue as the database and the branches have it, as one string. */
static char *queue_state(struct store *st)
{
	char *rows = test_query_str(st,
		"SELECT group_concat(x, ' ') FROM (SELECT v.version || ':' || q.branch"
		" || ':' || q.position AS x FROM queue q JOIN versions v"
		" ON v.id = q.version_id ORDER BY q.branch, q.position)");
	char *stable = test_ref_hex(tmp, "refs/heads/mm-stable");
	char *unstable = test_ref_hex(tmp, "refs/heads/mm-unstable");
	char *r = xasprintf("[%s] stable=%s unstable=%s", rows, stable, unstable);

	free(rows);
	free(stable);
	free(unstable);
	return r;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("expected '%s' in:\n%s\n", needle, hay);
		fail();
	}
}

#define AUTH_PASS "Authentication-Results: mx.example.org;\n" \
	" dkim=pass header.d=example.org header.s=s1; dmarc=pass header.from=example.org\n"

/* A maintainer's reply to the first patch of version v. */
static void command(struct ingest *in, const char *auth, int version, const char *body)
{
	char *irt = patch_msgid(in->st, version);
	char *raw = xasprintf("%sFrom: Andrew <akpm@example.org>\nTo: list@example.org\n"
			      "Subject: Re: [PATCH v%d 1/2] mm/foo: set b\n"
			      "Message-ID: <abuse-cmd%d@example.org>\nIn-Reply-To: <%s>\n"
			      "References: <%s>\nDate: Tue, 2 Jan 2024 12:00:00 +0000\n\n%s\n",
			      auth, version, ++seq, irt, irt, body);

	ingest_bytes(in, raw, strlen(raw));
	free(raw);
	free(irt);
}

/* The status and detail of the newest command patchbot recorded. */
static char *last_command(struct store *st)
{
	return test_query_str(st, "SELECT status || ': ' || detail FROM commands"
				  " ORDER BY id DESC LIMIT 1");
}

/* ---- forged senders ------------------------------------------------- */

static const char *const forgeries[] = {
	/* no Authentication-Results at all */
	"",
	/* the trusted server says DKIM and DMARC failed */
	"Authentication-Results: mx.example.org; dkim=fail reason=\"bad signature\""
	" header.d=example.org; dmarc=fail header.from=example.org\n",
	/* a forged pass below the trusted server's own (topmost) header */
	"Authentication-Results: mx.example.org; dkim=none; dmarc=none\n"
	"Authentication-Results: mx.example.org; dkim=pass header.d=example.org;"
	" dmarc=pass header.from=example.org\n",
	/* a pass from a server we do not trust */
	"Authentication-Results: mx.evil.example.net; dkim=pass header.d=example.org;"
	" dmarc=pass header.from=example.org\n",
	/* the trusted one, above a forged pass that claims the trusted id */
	"Authentication-Results: mx.evil.example.net; dkim=pass header.d=example.org\n"
	"Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n",
	/* a real DKIM pass, for the attacker's own domain */
	"Authentication-Results: mx.example.org; dkim=pass header.d=evil.example.net;"
	" dmarc=fail header.from=example.org\n",
	NULL,
};

/* A line that would change the queue, for each command that needs auth. */
static const char *queue_line(const struct command *cmd)
{
	if (!strcmp(cmd->name, "queue"))
		return "#patchbot queue v2";
	if (!strcmp(cmd->name, "drop"))
		return "#patchbot drop v1 nacked";
	if (!strcmp(cmd->name, "promote"))
		return "#patchbot promote v1";
	/* a command added later (fold, try build ...): its bare form */
	return NULL;
}

static void test_forged_sender_changes_nothing(void **state)
{
	const char *const mboxes[] = { "v1.mbox", "v2.mbox", NULL };
	struct store st;
	struct ingest in;
	char *before, *after, *r;
	size_t tried = 0;

	(void)state;
	test_fresh(&st, &in, &cfg, tmp, mboxes);
	command(&in, AUTH_PASS, 1, "#patchbot queue v1");
	r = last_command(&st);
	assert_contains(r, "ok");
	free(r);
	before = queue_state(&st);
	assert_contains(before, "[1:mm-unstable:");
	for (size_t f = 0; forgeries[f]; f++) {
		for (size_t c = 0; command_table[c]; c++) {
			const struct command *cmd = command_table[c];
			const char *line = queue_line(cmd);
			char *bare = NULL;

			if (!(cmd->needs & NEEDS_AUTH))
				continue;
			if (!line)
				line = bare = xasprintf("#patchbot %s v1", cmd->name);
			print_message("forgery %zu: %s\n", f, line);
			command(&in, forgeries[f], 1, line);
			r = last_command(&st);
			assert_contains(r, "error: ");
			/* a later command's own arguments may be refused first */
			if (!bare)
				assert_contains(r, "needs an authenticated sender");
			free(r);
			after = queue_state(&st);
			assert_string_equal(after, before);
			free(after);
			free(bare);
			tried++;
		}
	}
	assert_true(tried >= 3 * 6);
	/* `try` is anyone's, but `try build` runs the patches' code */
	for (size_t f = 0; forgeries[f]; f++) {
		command(&in, forgeries[f], 1, "#patchbot try v1 build");
		r = last_command(&st);
		assert_contains(r, "error: ");
		assert_contains(r, "needs an authenticated sender");
		free(r);
	}
	/* and the same lines, authenticated, do change it */
	command(&in, AUTH_PASS, 1, "#patchbot queue v2");
	after = queue_state(&st);
	assert_string_not_equal(after, before);
	assert_contains(after, "[2:mm-unstable:");
	free(after);
	command(&in, AUTH_PASS, 2, "#patchbot promote v2");
	after = queue_state(&st);
	assert_contains(after, "[2:mm-stable:");
	free(after);
	command(&in, AUTH_PASS, 2, "#patchbot drop v2 nacked");
	after = queue_state(&st);
	assert_contains(after, "[]");
	free(after);
	free(before);
	test_fresh_done(&st, &in);
}

/* ---- header injection ----------------------------------------------- */

/*
 * Every outgoing mail's header: each field line is one patchbot writes,
 * none twice, no CR, no NUL, no injected field.  Returns the number of
 * mails checked.
 */
static const char *const own_fields[] = {
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Auto-Submitted", "X-Loop", "Reply-To", "List-Unsubscribe",
	"List-Unsubscribe-Post", "Precedence", NULL,
};

static int check_outbox_headers(struct store *st)
{
	sqlite3_stmt *s;
	int n = 0;

	assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT raw, recipients FROM outbox ORDER BY id",
					    -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *raw = sqlite3_column_blob(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 0);
		const char *rcpts = (const char *)sqlite3_column_text(s, 1);
		const char *p = raw, *end = raw + len;
		int seen[32] = { 0 };

		n++;
		assert_null(memchr(raw, '\0', len));
		assert_null(memchr(raw, '\r', len));
		assert_null(strstr(rcpts, "victim"));
		while (p < end) {
			const char *line = p, *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
			const char *colon = memchr(line, ':', l);
			size_t i;

			if (!l)
				break; /* end of the header */
			p = nl ? nl + 1 : end;
			if (*line == ' ' || *line == '\t')
				continue; /* a continuation line */
			if (!colon) {
				print_error("header line without a colon: '%.*s'\n", (int)l, line);
				fail();
			}
			for (i = 0; own_fields[i]; i++)
				if ((size_t)(colon - line) == strlen(own_fields[i]) &&
				    !strncasecmp(line, own_fields[i], strlen(own_fields[i])))
					break;
			if (!own_fields[i]) {
				print_error("injected header field: '%.*s'\n", (int)l, line);
				fail();
			}
			if (seen[i]++) {
				print_error("header field '%s' twice\n", own_fields[i]);
				fail();
			}
		}
	}
	sqlite3_finalize(s);
	return n;
}

struct injection {
	const char *what;
	/* the mail's header; NUL is written as \x01 */
	const char *mail;
	/* answered (with safe values), or refused: NUL in the header is
	 * rejected, a From that cannot be parsed gets no reply */
	bool answered;
};

#define PAYLOAD "X-Injected: yes"
#define INJ_TO "To: patchbot@example.org\n"
#define INJ_DATE "Date: Tue, 2 Jan 2024 12:00:00 +0000\n"
static const struct injection injections[] = {
	{ "subject, encoded-word CRLF (Q)",
	  "From: Eve <eve@example.org>\n" INJ_TO
	  "Subject: =?utf-8?q?hi=0D=0AX-Injected:_yes=0D=0ABcc:_victim@example.net?=\n"
	  "Message-ID: <inj@example.org>\n" INJ_DATE, true },
	{ "subject, encoded-word CRLF (B)",
	  "From: Eve <eve@example.org>\n" INJ_TO
	  /* "hi\r\nX-Injected: yes\r\n\r\nbody" */
	  "Subject: =?utf-8?b?aGkNClgtSW5qZWN0ZWQ6IHllcw0KDQpib2R5?=\n"
	  "Message-ID: <inj@example.org>\n" INJ_DATE, true },
	{ "subject, bare CR",
	  "From: Eve <eve@example.org>\n" INJ_TO
	  "Subject: hi\r" PAYLOAD "\rBcc: victim@example.net\n"
	  "Message-ID: <inj@example.org>\n" INJ_DATE, true },
	{ "subject, folded",
	  "From: Eve <eve@example.org>\n" INJ_TO
	  "Subject: hi\n\n" PAYLOAD "\n"
	  "Message-ID: <inj@example.org>\n" INJ_DATE, true },
	{ "subject, NUL",
	  "From: Eve <eve@example.org>\n" INJ_TO
	  "Subject: hi\x01\r\n" PAYLOAD " =?utf-8?q?a=00=0D=0AX-Injected:_yes?=\n"
	  "Message-ID: <inj@example.org>\n" INJ_DATE, false },
	{ "from display name, encoded-word CRLF",
	  "From: =?utf-8?q?Eve=0D=0AX-Injected:_yes=0D=0ABcc:_victim@example.net?= <eve@example.org>\n"
	  INJ_TO "Subject: hi\nMessage-ID: <inj@example.org>\n" INJ_DATE, true },
	{ "from display name, quoted CR",
	  "From: \"Eve\r" PAYLOAD "\r\" <eve@example.org>\n"
	  INJ_TO "Subject: hi\nMessage-ID: <inj@example.org>\n" INJ_DATE, false },
	{ "from display name, NUL",
	  "From: \"Eve\x01" "a\" =?utf-8?q?b=00=0A" "X-Injected:_yes?= <eve@example.org>\n"
	  INJ_TO "Subject: hi\nMessage-ID: <inj@example.org>\n" INJ_DATE, false },
	{ "from address, CR in the local part",
	  "From: <\"eve\r" PAYLOAD "\"@example.org>\n"
	  INJ_TO "Subject: hi\nMessage-ID: <inj@example.org>\n" INJ_DATE, false },
	{ "message-id, bare CR",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <inj\r" PAYLOAD "@example.org>\n" INJ_DATE, true },
	{ "message-id, encoded-word CRLF",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <=?utf-8?q?inj=0D=0AX-Injected:_yes?=@example.org>\n" INJ_DATE, true },
	{ "message-id, folded",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <inj@example.org\n " PAYLOAD ">\n" INJ_DATE, true },
	{ "message-id, NUL",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <inj\x01\r\n" PAYLOAD "@example.org>\n" INJ_DATE, false },
	{ "in-reply-to, bare CR",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <inj@example.org>\n"
	  "In-Reply-To: <a\r" PAYLOAD "@example.org>\n" INJ_DATE, true },
	{ "references, bare CR",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <inj@example.org>\n"
	  "References: <a@example.org> <b\r" PAYLOAD "@example.org>\n" INJ_DATE, true },
	{ "references, encoded-word CRLF",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <inj@example.org>\n"
	  "References: <a@example.org> =?utf-8?q?=0D=0AX-Injected:_yes?= <b@example.org>\n"
	  INJ_DATE, true },
	{ "references, folded between ids",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <inj@example.org>\n"
	  "References: <a@example.org>\n " PAYLOAD "\n <b@example.org>\n" INJ_DATE, true },
	{ "references, NUL",
	  "From: Eve <eve@example.org>\n" INJ_TO "Subject: hi\n"
	  "Message-ID: <inj@example.org>\n"
	  "References: <a@example.org> <b\x01\r\n" PAYLOAD "@example.org>\n" INJ_DATE, false },
	{ NULL, NULL, false },
};

static void test_header_injection(void **state)
{
	(void)state;
	for (size_t i = 0; injections[i].what; i++) {
		struct store st;
		struct ingest in;
		char *raw = xasprintf("%s\nhelp\nsubscribe mm/foo.c\n", injections[i].mail);
		size_t len = strlen(raw);
		int n;

		print_message("injection: %s\n", injections[i].what);
		for (size_t k = 0; k < len; k++)
			if (raw[k] == '\x01')
				raw[k] = '\0';
		test_fresh(&st, &in, &cfg, tmp, NULL);
		ingest_bytes(&in, raw, len);
		n = check_outbox_headers(&st);
		/* the transcript and the subscription confirmation, or nothing */
		assert_int_equal(n, injections[i].answered ? 2 : 0);
		/* nothing that came in went out as a field of its own */
		assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"
						     " WHERE CAST(raw AS TEXT) LIKE '%' || char(10) || 'X-Injected%'"
						     " OR CAST(raw AS TEXT) LIKE '%' || char(10) || 'Bcc:%'"), 0);
		free(raw);
		test_fresh_done(&st, &in);
	}
}


/*
 * The same payloads in a patch: its Subject and author name go into the
 * feedback to the submitter and the queue notice, whose headers are made
 * from them too.
 */
static void test_header_injection_in_notices(void **state)
{
	static const char patch[] =
		"From: =?utf-8?q?Mallory=0D=0ABcc:_victim@example.net?= <mallory@example.org>\n"
		"To: list@example.org\n"
		"Subject: =?utf-8?q?[PATCH]_mm/foo:_set_b=0D=0AX-Injected:_yes?=\n"
		"Message-ID: <evil-patch@example.org>\n"
		"References: <a@example.org> =?utf-8?q?=0D=0AX-Injected:_yes?=\n"
		"Date: Tue, 2 Jan 2024 11:00:00 +0000\n\n"
		"Fixes a crash.\n\n"
		"---\n"
		"diff --git a/mm/foo.c b/mm/foo.c\n"
		"--- a/mm/foo.c\n"
		"+++ b/mm/foo.c\n"
		"@@ -1,5 +1,5 @@\n"
		" int a;\n"
		"-int b;\n"
		"+int b = 3;\n"
		" int c;\n"
		" int d;\n"
		" int e;\n"
		"-- \n2.39.2\n";
	static const char queue[] =
		AUTH_PASS
		"From: Andrew <akpm@example.org>\nTo: list@example.org\n"
		"Subject: Re: [PATCH] mm/foo: set b\n"
		"Message-ID: <evil-queue@example.org>\nIn-Reply-To: <evil-patch@example.org>\n"
		"References: <evil-patch@example.org>\n"
		"Date: Tue, 2 Jan 2024 12:00:00 +0000\n\n#patchbot queue\n";
	struct store st;
	struct ingest in;
	char *r;

	(void)state;
	cfg.feedback_enable = true;
	test_fresh(&st, &in, &cfg, tmp, NULL);
	ingest_bytes(&in, patch, sizeof(patch) - 1);
	ingest_bytes(&in, queue, sizeof(queue) - 1);
	r = last_command(&st);
	assert_contains(r, "ok");
	free(r);
	/* the feedback (no sign-off), the transcript and the queue notice */
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox WHERE kind = 'feedback'"), 1);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox WHERE kind = 'notice'"), 1);
	assert_int_equal(check_outbox_headers(&st), 3);
	test_fresh_done(&st, &in);
	cfg.feedback_enable = false;
}

/* ---- hostile sizes -------------------------------------------------- */

/*
 * Each case writes one hostile mail into an mbox, followed by an ordinary
 * command mail; ingest must refuse the first with the reason given (or,
 * when reason is NULL, take it with its values bounded) and still answer
 * the second.
 */
struct hostile {
	const char *what;
	const char *id;     /* its Message-ID's and From's local part */
	const char *reason; /* substring of the rejection, or NULL */
	void (*write)(FILE *f, size_t n);
	size_t n, n_quick;  /* the size; smaller under valgrind */
};

static void mail_head(FILE *f, const char *id, const char *extra)
{
	fprintf(f, "From mboxrd@z Thu Jan  1 00:00:00 1970\n"
		   "From: %s <%s@example.org>\nTo: patchbot@example.org\n"
		   "Message-ID: <%s@example.org>\nDate: Tue, 2 Jan 2024 12:00:00 +0000\n%s",
		id, id, id, extra);
}

static void write_big(FILE *f, size_t mib)
{
	char line[1024];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	mail_head(f, "big", "Subject: big\n\nhelp\n");
	for (size_t i = 0; i < mib * 1024; i++)
		fwrite(line, 1, sizeof(line), f);
}

static void write_parts(FILE *f, size_t n)
{
	mail_head(f, "parts", "Subject: parts\nMIME-Version: 1.0\n"
		  "Content-Type: multipart/mixed; boundary=\"b\"\n\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "--b\nContent-Type: text/plain\n\npart %zu\n", i);
	fputs("--b--\n", f);
}

static void write_nested(FILE *f, size_t depth)
{
	mail_head(f, "nested", "Subject: nested\nMIME-Version: 1.0\n");
	for (size_t i = 0; i < depth; i++)
		fprintf(f, "Content-Type: multipart/mixed; boundary=\"n%zu\"\n\n--n%zu\n", i, i);
	fputs("Content-Type: text/plain\n\nhelp\n", f);
	for (size_t i = depth; i-- > 0;)
		fprintf(f, "--n%zu--\n", i);
}

static void write_references(FILE *f, size_t n)
{
	mail_head(f, "refs", "Subject: Re: refs\nIn-Reply-To: <r0@example.org>\nReferences:");
	for (size_t i = 0; i < n; i++)
		fprintf(f, " <r%zu@example.org>\n", i);
	fputs("\nhelp\n", f);
}

static void write_long_line(FILE *f, size_t kib)
{
	mail_head(f, "line", "Subject: line\n\nhelp\n");
	for (size_t i = 0; i < kib * 1024; i++)
		fputc('y', f);
	fputc('\n', f);
}

static void write_long_subject(FILE *f, size_t kib)
{
	mail_head(f, "subject", "Subject: ");
	for (size_t i = 0; i < kib * 1024; i++)
		fputc(i % 64 == 63 ? ' ' : 's', f);
	fputs("\n\nhelp\n", f);
}

static const struct hostile hostiles[] = {
	{ "a 100 MiB mail", "big", "over the limit", write_big, 100, 11 },
	{ "10,000 MIME parts", "parts", "more than 1000 MIME parts", write_parts, 10000, 10000 },
	{ "MIME nested 1,000 deep", "nested", "MIME nesting deeper than 32", write_nested, 1000, 1000 },
	{ "MIME nested 50,000 deep", "nested", "MIME nesting deeper than 32", write_nested, 50000, 50000 },
	{ "10,000 References", "refs", "header field 'References' is", write_references, 10000, 10000 },
	/* long but plausible: kept, the reply's References cut to the last 100 */
	{ "1,000 References", "refs", NULL, write_references, 1000, 1000 },
	{ "a 1 MiB line", "line", NULL, write_long_line, 1024, 1024 },
	{ "a 1 MiB subject", "subject", "header field 'Subject' is", write_long_subject, 1024, 1024 },
	{ NULL, NULL, NULL, NULL, 0, 0 },
};

/* The most msg-ids in the References field of any outgoing mail. */
static size_t max_references(struct store *st)
{
	sqlite3_stmt *s;
	size_t most = 0;

	assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT CAST(raw AS TEXT) FROM outbox",
					    -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *p = strstr((const char *)sqlite3_column_text(s, 0), "\nReferences:");
		size_t n = 0;

		while (p && (p = strchr(p + 1, '<')) && (p = strchr(p, '>'))) {
			n++;
			/* the field ends at a line that does not start with a blank */
			if (p[1] == '\n' && p[2] != ' ' && p[2] != '\t')
				break;
		}
		if (n > most)
			most = n;
	}
	sqlite3_finalize(s);
	return most;
}

static void test_hostile_sizes(void **state)
{
	(void)state;
	for (size_t i = 0; hostiles[i].what; i++) {
		const struct hostile *h = &hostiles[i];
		char *path = xasprintf("%s/hostile.mbox", tmp);
		FILE *f = fopen(path, "w");
		struct store st;
		struct ingest in;
		char *r;

		print_message("hostile: %s\n", h->what);
		assert_non_null(f);
		h->write(f, quick() ? h->n_quick : h->n);
		/* the next mail, which must be answered */
		fputs("\n", f);
		mail_head(f, "next", "Subject: next\n\nhelp\n");
		fclose(f);
		test_fresh(&st, &in, &cfg, tmp, NULL);
		test_ingest_path(&in, path);
		r = test_query_str(&st, "SELECT kind || ': ' || coalesce(reject_reason, '')"
					" FROM messages ORDER BY id LIMIT 1");
		print_message("  -> %s\n", r);
		if (h->reason) {
			assert_contains(r, "rejected: ");
			assert_contains(r, h->reason);
		} else {
			char *sql = xasprintf("SELECT count(*) FROM outbox WHERE recipients"
					      " = '%s@example.org'", h->id);

			assert_false(strstr(r, "rejected"));
			/* kept, and answered like any other mail */
			assert_int_equal(test_query_int(&st, sql), 1);
			free(sql);
		}
		free(r);
		/* a reply to a kept hostile mail cites only its last References */
		assert_true(max_references(&st) <= 100);
		/* every reply stays small */
		assert_true(test_query_int(&st, "SELECT coalesce(max(length(raw)), 0) FROM outbox")
			    < 64 * 1024);
		assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"
						     " WHERE recipients = 'next@example.org'"), 1);
		test_fresh_done(&st, &in);
		remove(path);
		free(path);
	}
}

/* ---- two bots answering each other ---------------------------------- */

/*
 * An auto-responder that ignores Auto-Submitted and X-Loop answers every
 * mail patchbot sends it with a body that holds a command line.  It keeps
 * the thread (In-Reply-To, References) when keep_thread, else it starts a
 * new one each time.  Returns how many mails patchbot wrote to it.
 */
static int64_t bot_ping_pong(struct store *st, struct ingest *in, bool keep_thread)
{
	struct buf refs = BUF_INIT(BUF_NOLIMIT);
	int64_t last = 0, n;
	char *raw;
	int round;

	raw = xasprintf("From: Robot <robot@example.net>\nTo: patchbot@example.org\n"
			"Subject: hello\nMessage-ID: <robot0@example.net>\n"
			"Date: Tue, 2 Jan 2024 12:00:00 +0000\n\nhelp\n");
	ingest_bytes(in, raw, strlen(raw));
	free(raw);
	for (round = 1; round < 200; round++) {
		char *sql = xasprintf("SELECT id || ' ' || message_id || ' ' || subject FROM outbox"
				      " WHERE id > %lld AND recipients = 'robot@example.net'"
				      " ORDER BY id LIMIT 1", (long long)last);
		char *row = test_query_str(st, sql), *id, *subject;

		free(sql);
		if (!*row) {
			free(row);
			break;
		}
		last = strtoll(row, &id, 10);
		id++;
		subject = strchr(id, ' ');
		*subject++ = 0;
		if (keep_thread) {
			buf_addf(&refs, " <%s>", id);
			raw = xasprintf("From: Robot <robot@example.net>\nTo: patchbot@example.org\n"
					"Subject: Re: %s\nMessage-ID: <robot%d@example.net>\n"
					"In-Reply-To: <%s>\nReferences:%s\n"
					"Date: Tue, 2 Jan 2024 12:00:00 +0000\n\n"
					"Thank you for your mail. I am out of the office; about:\n"
					"help\n", subject, round, id, refs.s);
		} else {
			raw = xasprintf("From: Robot <robot@example.net>\nTo: patchbot@example.org\n"
					"Subject: about %s\nMessage-ID: <robot%d@example.net>\n"
					"Date: Tue, 2 Jan 2024 12:00:00 +0000\n\nhelp\n",
					subject, round);
		}
		ingest_bytes(in, raw, strlen(raw));
		free(raw);
		free(row);
	}
	buf_release(&refs);
	n = test_query_int(st, "SELECT count(*) FROM outbox WHERE recipients = 'robot@example.net'");
	print_message("robot %s the thread: %lld mails from patchbot, %d from the robot\n",
		      keep_thread ? "keeping" : "breaking", (long long)n, round);
	/* and patchbot said why it stopped */
	assert_true(test_query_int(st, "SELECT count(*) FROM suppressed") >= 1);
	return n;
}

static void test_two_bots(void **state)
{
	struct store st;
	struct ingest in;

	(void)state;
	/* the loop guard: a thread holding limits.threadReplies of ours */
	test_fresh(&st, &in, &cfg, tmp, NULL);
	assert_true(bot_ping_pong(&st, &in, true) <= (int64_t)cfg.thread_replies);
	test_fresh_done(&st, &in);
	/* a robot that breaks the thread runs into the per-sender limit */
	test_fresh(&st, &in, &cfg, tmp, NULL);
	assert_true(bot_ping_pong(&st, &in, false) <= (int64_t)cfg.replies_per_sender);
	test_fresh_done(&st, &in);
}

/* ---- subscription bombing ------------------------------------------- */

/* A subscription request from addr, without authentication. */
static void subscribe_from(struct ingest *in, const char *addr, int n)
{
	char *raw = xasprintf("From: <%s>\nTo: patchbot@example.org\n"
			      "Subject: subscribe\nMessage-ID: <sub%d-%s>\n"
			      "Date: Tue, 2 Jan 2024 12:00:00 +0000\n\n"
			      "subscribe mm/f%d.c\n", addr, n, addr, n);

	ingest_bytes(in, raw, strlen(raw));
	free(raw);
}

static int64_t mails_to(struct store *st, const char *addr, const char *kind)
{
	char *sql = xasprintf("SELECT count(*) FROM outbox WHERE recipients = '%s'"
			      " AND kind LIKE '%s'", addr, kind);
	int64_t n = test_query_int(st, sql);

	free(sql);
	return n;
}

static void test_subscription_bombing(void **state)
{
	const unsigned per_hour = cfg.sub_confirmations_per_hour;
	struct store st;
	struct ingest in;
	int64_t n;

	(void)state;
	/* one victim, 50 forged requests in its name */
	test_fresh(&st, &in, &cfg, tmp, NULL);
	for (int i = 0; i < 50; i++)
		subscribe_from(&in, "victim@example.net", i);
	n = mails_to(&st, "victim@example.net", "subscribe-confirm");
	print_message("one address: %lld confirmations, %lld mails in all\n", (long long)n,
		      (long long)mails_to(&st, "victim@example.net", "%"));
	assert_int_equal(n, cfg.sub_max_pending);
	/* and nothing else: no transcripts saying so to the victim */
	assert_int_equal(mails_to(&st, "victim@example.net", "%"), n);
	test_fresh_done(&st, &in);

	/* one request each from many addresses */
	cfg.sub_confirmations_per_hour = 10;
	test_fresh(&st, &in, &cfg, tmp, NULL);
	for (int i = 0; i < 40; i++) {
		char *addr = xasprintf("victim%d@example.net", i);

		subscribe_from(&in, addr, i);
		free(addr);
	}
	n = test_query_int(&st, "SELECT count(*) FROM outbox WHERE kind = 'subscribe-confirm'");
	print_message("40 addresses: %lld confirmations, %lld mails in all\n", (long long)n,
		      (long long)test_query_int(&st, "SELECT count(*) FROM outbox"));
	assert_int_equal(n, 10);
	assert_int_equal(test_query_int(&st, "SELECT count(*) FROM outbox"), 10);
	test_fresh_done(&st, &in);
	cfg.sub_confirmations_per_hour = per_hour;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_sender_changes_nothing),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_header_injection_in_notices),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_two_bots),
		cmocka_unit_test(test_subscription_bombing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
