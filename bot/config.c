/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config: the key table, loading with libgit2, and `check` (see config.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <git2.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feedback_check.h"
#include "util.h"

enum key_type {
	K_STRING,
	K_PATH,    /* relative paths are taken from the config file's folder */
	K_EMAIL,
	K_URL,     /* checked further by `check` */
	K_BOOL,
	K_SIZE,    /* 10m, 512k, 1048576 */
	K_UINT,
	K_SECONDS,
	K_MULTI,
	K_MULTI_EMAIL,
};

struct key {
	const char *name;  /* as documented; matched case-insensitively */
	enum key_type type;
	size_t offset;
	const char *def;
	const char *help;
};

#define OFF(f) offsetof(struct config, f)
static const struct key keys[] = {
	{ "bot.address", K_EMAIL, OFF(bot_address), NULL,
	  "the bot's own mail address (From of its replies, commands sent to it)" },
	{ "bot.name", K_STRING, OFF(bot_name), "patchbot",
	  "display name of the bot's mail" },
	{ "bot.database", K_PATH, OFF(bot_database), "patchbot.db",
	  "the sqlite state file" },
	{ "bot.templates", K_PATH, OFF(bot_templates), PATCHBOT_TEMPLATEDIR,
	  "folder of reply templates" },
	{ "bot.maxMessageSize", K_SIZE, OFF(max_message_size), "10m",
	  "largest mail accepted; larger ones are recorded as rejected" },
	{ "bot.maxMimeDepth", K_UINT, OFF(max_mime_depth), "32",
	  "deepest MIME nesting accepted" },
	{ "bot.maxMimeParts", K_UINT, OFF(max_mime_parts), "1000",
	  "most MIME parts accepted in one mail" },
	{ "imap.url", K_URL, OFF(imap_url), NULL,
	  "imap://host:port/MAILBOX or imaps://host:port/MAILBOX" },
	{ "imap.user", K_STRING, OFF(imap_user), NULL, "IMAP login" },
	{ "imap.password", K_STRING, OFF(imap_password), NULL,
	  "IMAP password (prefer imap.passwordFile)" },
	{ "imap.passwordFile", K_PATH, OFF(imap_password_file), NULL,
	  "file holding the IMAP password" },
	{ "imap.tls", K_BOOL, OFF(imap_tls), "true",
	  "imap:// must switch to TLS with STARTTLS (off: only for loopback test servers)" },
	{ "imap.pollSeconds", K_UINT, OFF(imap_poll_seconds), "60",
	  "how often to look for new mail when the server has no IDLE" },
	{ "imap.doneMailbox", K_STRING, OFF(imap_done_mailbox), NULL,
	  "move processed mail to this mailbox (default: leave it, flagged \\Seen)" },
	{ "smtp.url", K_URL, OFF(smtp_url), NULL,
	  "smtp://host:port or smtps://host:port" },
	{ "smtp.user", K_STRING, OFF(smtp_user), NULL,
	  "SMTP AUTH user (no AUTH when unset)" },
	{ "smtp.password", K_STRING, OFF(smtp_password), NULL,
	  "SMTP password (prefer smtp.passwordFile)" },
	{ "smtp.passwordFile", K_PATH, OFF(smtp_password_file), NULL,
	  "file holding the SMTP password" },
	{ "smtp.tls", K_BOOL, OFF(smtp_tls), "true",
	  "smtp:// must switch to TLS with STARTTLS (off: only for loopback servers)" },
	{ "smtp.confirmCopy", K_BOOL, OFF(smtp_confirm_copy), "true",
	  "send every mail to bot.address too: after a crash cut a send off, its copy in the mailbox proves the server took it, so it is not sent twice" },
	{ "smtp.confirmWait", K_SECONDS, OFF(smtp_confirm_wait), "300",
	  "seconds a send cut off by a crash waits for its copy before it is sent again" },
	{ "list.address", K_EMAIL, OFF(list_address), NULL,
	  "the mailing list the bot reads" },
	{ "tree.repo", K_PATH, OFF(tree_repo), NULL,
	  "path of the git repository holding the queue branches" },
	{ "tree.base", K_STRING, OFF(tree_base), "master",
	  "the upstream base the queue is built on" },
	{ "tree.branch", K_MULTI, OFF(tree_branches), NULL,
	  "queue branches, bottom to top (several lines; default mm-stable, mm-unstable)" },
	{ "tree.buildCommand", K_STRING, OFF(tree_build_command), NULL,
	  "shell command `try vN build` runs in the checkout, sandboxed (unset: no build testing)" },
	{ "tree.buildTimeout", K_SECONDS, OFF(tree_build_timeout), "1800",
	  "seconds a build may run before the whole sandbox is killed" },
	{ "tree.buildMemory", K_SIZE, OFF(tree_build_memory), "4g",
	  "address space limit of each build process (RLIMIT_AS)" },
	{ "tree.buildProcesses", K_UINT, OFF(tree_build_processes), "512",
	  "most processes a build may run at once (RLIMIT_NPROC, as an unprivileged uid)" },
	{ "tree.buildDisk", K_SIZE, OFF(tree_build_disk), "4g",
	  "size of the build's private tmpfs, which holds its copy of the checkout" },
	{ "tree.buildLogLines", K_UINT, OFF(tree_build_log_lines), "30",
	  "last lines of the build's output quoted in the reply" },
	{ "maintainer.email", K_MULTI_EMAIL, OFF(maintainers), NULL,
	  "addresses allowed to change the queue (several lines)" },
	{ "queue.linkUrl", K_STRING, OFF(queue_link_url), "https://lore.kernel.org/r/%s",
	  "Link: trailer of queued commits; %s is the patch's Message-ID (empty: none)" },
	{ "queue.onNewVersion", K_STRING, OFF(queue_on_new_version), "keep",
	  "keep: a queued version stays until the new one is queued; drop: posting it drops the old" },
	{ "queue.notifyList", K_BOOL, OFF(queue_notify_list), "true",
	  "Cc queue notices (added, removed, moved, superseded) to list.address" },
	{ "queue.lateTrailers", K_BOOL, OFF(queue_late_trailers), "true",
	  "review trailers sent after a series was queued go into its commits (rebuilt)" },
	{ "auth.trustedAuthservId", K_STRING, OFF(auth_trusted_authserv_id), NULL,
	  "authserv-id of the receiving server's Authentication-Results" },
	{ "auth.requireDkim", K_BOOL, OFF(auth_require_dkim), "true",
	  "queue commands need DKIM/DMARC pass (false: the server vouches for From)" },
	{ "series.window", K_SECONDS, OFF(series_window), "3600",
	  "seconds within which patches without references group by author" },
	{ "commands.prefix", K_STRING, OFF(command_prefix), "#patchbot",
	  "the word before a command in mail the bot sees through the list" },
	{ "limits.repliesPerSender", K_UINT, OFF(replies_per_sender), "20",
	  "replies to one address per hour; more are suppressed and logged" },
	{ "limits.repliesPerHour", K_UINT, OFF(replies_per_hour), "200",
	  "replies per hour in all" },
	{ "limits.threadReplies", K_UINT, OFF(thread_replies), "5",
	  "a mail whose References hold this many of patchbot's replies is not answered (a loop with another bot)" },
	{ "feedback.enable", K_BOOL, OFF(feedback_enable), "true",
	  "write to submitters when a complete series version misses something" },
	{ "feedback.effect", K_BOOL, OFF(feedback_effect), "true",
	  "ask for the user-visible effect of a fix that does not name one" },
	{ "feedback.security", K_BOOL, OFF(feedback_security), "true",
	  "ask whether a fix's bug can be triggered from user space, and with which privileges" },
	{ "feedback.maintainers", K_BOOL, OFF(feedback_maintainers), "true",
	  "name the MAINTAINERS entries (from tree.repo at tree.base) missing from To/Cc" },
	{ "feedback.tooSoon", K_BOOL, OFF(feedback_too_soon), "true",
	  "note a new version posted while the previous one is still discussed" },
	{ "feedback.signoff", K_BOOL, OFF(feedback_signoff), "true",
	  "ask for the author's missing Signed-off-by" },
	{ "feedback.discussionHours", K_UINT, OFF(feedback_discussion_hours), "24",
	  "replies to vN this recent make vN+1 too soon" },
	{ "feedback.ccList", K_BOOL, OFF(feedback_cc_list), "true",
	  "Cc the feedback to list.address" },
	{ "feedback.route", K_MULTI, OFF(feedback_routes), NULL,
	  "routing rule 'PATTERN... | TEXT': the feedback says TEXT to series touching PATTERN (several lines)" },
	{ "subscribe.confirmHours", K_UINT, OFF(sub_confirm_hours), "72",
	  "hours a subscription request waits for its confirmation" },
	{ "subscribe.maxPerAddress", K_UINT, OFF(sub_max_per_address), "100",
	  "most subscriptions one address may hold" },
	{ "subscribe.maxPending", K_UINT, OFF(sub_max_pending), "5",
	  "confirmation mails to one address per day" },
	{ "subscribe.confirmationsPerHour", K_UINT, OFF(sub_confirmations_per_hour), "100",
	  "confirmation mails per hour in all" },
	{ "subscribe.linkUrl", K_STRING, OFF(sub_link_url), "https://lore.kernel.org/r/%s",
	  "link to a patch in subscription notices; %s is its Message-ID (empty: none)" },
	{ "report.htmlDir", K_PATH, OFF(report_html_dir), NULL,
	  "folder of the HTML status page; the daemon rewrites it after each change (unset: no page)" },
};
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

static void problem(struct config *c, bool is_error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct config *c, bool is_error, const char *fmt, ...)
{
	struct buf b = BUF_INIT(4096);
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	strlist_push(&c->problems, b.s);
	buf_release(&b);
	if (is_error)
		c->nr_errors++;
}

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < NR_KEYS; i++)
		if (!strcasecmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static bool valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at && at != s && at[1] && !strchr(at + 1, '@') &&
	       !strpbrk(s, " \t\r\n<>,;\"");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static char *resolve_path(const struct config *c, const char *value)
{
	char *dir, *copy, *r;

	if (value[0] == '/' || !c->path)
		return xstrdup(value);
	copy = xstrdup(c->path);
	dir = dirname(copy);
	r = xasprintf("%s/%s", dir, value);
	free(copy);
	return r;
}

/* Store value into the field of k; report a bad value as a problem. */
static void set_key(struct config *c, const struct key *k, const char *value)
{
	char *field = (char *)c + k->offset;
	uint64_t n;
	int b;

	switch (k->type) {
	case K_STRING:
	case K_URL:
	case K_EMAIL:
		if (k->type == K_EMAIL && !valid_email(value)) {
			problem(c, true, "bad value for '%s': '%s' is not a mail address",
				k->name, value);
			return;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return;
	case K_PATH:
		free(*(char **)field);
		*(char **)field = resolve_path(c, value);
		return;
	case K_BOOL:
		if (git_config_parse_bool(&b, value) < 0) {
			problem(c, true, "bad value for '%s': '%s' is not a boolean",
				k->name, value);
			return;
		}
		*(bool *)field = b != 0;
		return;
	case K_SIZE:
		if (parse_size(value, &n) || n == 0 || n > ((uint64_t)1 << 32)) {
			problem(c, true, "bad value for '%s': '%s' is not a size between 1 and 4g",
				k->name, value);
			return;
		}
		*(size_t *)field = (size_t)n;
		return;
	case K_UINT:
		if (parse_size(value, &n) || n == 0 || n > 1000000) {
			problem(c, true, "bad value for '%s': '%s' is not a number between 1 and 1000000",
				k->name, value);
			return;
		}
		*(unsigned *)field = (unsigned)n;
		return;
	case K_SECONDS:
		if (parse_size(value, &n) || n > 86400 * 365) {
			problem(c, true, "bad value for '%s': '%s' is not a number of seconds",
				k->name, value);
			return;
		}
		*(int64_t *)field = (int64_t)n;
		return;
	case K_MULTI:
	case K_MULTI_EMAIL:
		if (k->type == K_MULTI_EMAIL && !valid_email(value)) {
			problem(c, true, "bad value for '%s': '%s' is not a mail address",
				k->name, value);
			return;
		}
		strlist_push((struct strlist *)field, value);
		return;
	}
}

static int load_entry(const git_config_entry *e, void *payload)
{
	struct config *c = payload;
	const struct key *k = find_key(e->name);

	if (!k) {
		problem(c, false, "unknown key '%s'", e->name);
		return 0;
	}
	if (!e->value) {
		/* "[bot] address" with no "=": git's implicit true */
		if (k->type == K_BOOL)
			set_key(c, k, "true");
		else
			problem(c, true, "bad value for '%s': no value given", k->name);
		return 0;
	}
	set_key(c, k, e->value);
	return 0;
}

static void set_defaults(struct config *c)
{
	for (size_t i = 0; i < NR_KEYS; i++)
		if (keys[i].def)
			set_key(c, &keys[i], keys[i].def);
}

int config_load(struct config *c, const char *path, bool explicit_path,
		struct buf *err)
{
	git_config *cfg = NULL;
	struct stat st;
	const char *file = path ? path : CONFIG_DEFAULT_PATH;
	int r;

	memset(c, 0, sizeof(*c));
	if (stat(file, &st) < 0) {
		if (explicit_path) {
			buf_addf(err, "cannot read configuration '%s': %s", file,
				 strerror(errno));
			return -1;
		}
		set_defaults(c);
		goto finish;
	}
	c->path = xstrdup(file);
	set_defaults(c);
	if (git_config_open_ondisk(&cfg, file) < 0) {
		const git_error *ge = git_error_last();

		buf_addf(err, "cannot parse configuration '%s': %s", file,
			 ge ? ge->message : "unknown error");
		config_release(c);
		return -1;
	}
	r = git_config_foreach(cfg, load_entry, c);
	git_config_free(cfg);
	if (r < 0) {
		buf_addf(err, "cannot read configuration '%s'", file);
		config_release(c);
		return -1;
	}
finish:
	if (c->queue_on_new_version && strcmp(c->queue_on_new_version, "keep") &&
	    strcmp(c->queue_on_new_version, "drop"))
		problem(c, true, "bad value for 'queue.onNewVersion': '%s' is not 'keep' or 'drop'",
			c->queue_on_new_version);
	if (!c->tree_branches.nr) {
		strlist_push(&c->tree_branches, "mm-stable");
		strlist_push(&c->tree_branches, "mm-unstable");
	}
	return 0;
}

void config_release(struct config *c)
{
	for (size_t i = 0; i < NR_KEYS; i++) {
		char *field = (char *)c + keys[i].offset;

		switch (keys[i].type) {
		case K_STRING: case K_PATH: case K_EMAIL: case K_URL:
			free(*(char **)field);
			break;
		case K_MULTI: case K_MULTI_EMAIL:
			strlist_clear((struct strlist *)field);
			break;
		default:
			break;
		}
	}
	strlist_clear(&c->problems);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static void check_url(struct config *c, const char *key, const char *url,
		      const char *plain, const char *tls)
{
	const char *p;

	if (!url) {
		problem(c, true, "missing '%s': the daemon needs it", key);
		return;
	}
	if (has_crlf(url) || strpbrk(url, " \t")) {
		problem(c, true, "bad value for '%s': white space in the URL", key);
		return;
	}
	if (starts_with(url, plain))
		p = url + strlen(plain);
	else if (starts_with(url, tls))
		p = url + strlen(tls);
	else {
		problem(c, true, "bad value for '%s': '%s' does not start with %s or %s",
			key, url, plain, tls);
		return;
	}
	if (!*p || *p == '/' || *p == ':')
		problem(c, true, "bad value for '%s': '%s' names no host", key, url);
}

static void check_password(struct config *c, const char *section,
			   const char *pw, const char *file)
{
	if (pw && file)
		problem(c, true, "both '%s.password' and '%s.passwordFile' are set: keep one",
			section, section);
	if (file && access(file, R_OK) < 0)
		problem(c, true, "bad value for '%s.passwordFile': cannot read '%s': %s",
			section, file, strerror(errno));
}

static void check_tree(struct config *c)
{
	git_repository *repo = NULL;
	git_object *obj = NULL;

	if (!c->tree_repo)
		return;
	if (git_repository_open_ext(&repo, c->tree_repo,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		problem(c, true, "bad value for 'tree.repo': '%s' is not a git repository",
			c->tree_repo);
		return;
	}
	if (git_revparse_single(&obj, repo, c->tree_base) < 0)
		problem(c, true, "bad value for 'tree.base': '%s' is not a revision in '%s'",
			c->tree_base, c->tree_repo);
	for (size_t i = 0; i < c->tree_branches.nr; i++) {
		int ok = 0;

		if (git_branch_name_is_valid(&ok, c->tree_branches.v[i]) < 0 || !ok)
			problem(c, true, "bad value for 'tree.branch': '%s' is not a valid branch name",
				c->tree_branches.v[i]);
	}
	git_object_free(obj);
	git_repository_free(repo);
}

/* The status page's folder: there and writable, or creatable (the
 * daemon makes the folder itself, not its parents). */
static void check_report_dir(struct config *c)
{
	const char *d = c->report_html_dir;
	char *copy, *parent;
	struct stat st;

	if (!d || !*d)
		return;
	if (!stat(d, &st)) {
		if (!S_ISDIR(st.st_mode))
			problem(c, true, "bad value for 'report.htmlDir': '%s' is not a folder", d);
		else if (access(d, W_OK | X_OK))
			problem(c, true, "bad value for 'report.htmlDir': cannot write in '%s'", d);
		return;
	}
	copy = xstrdup(d);
	parent = dirname(copy);
	if (access(parent, W_OK | X_OK))
		problem(c, true, "bad value for 'report.htmlDir': '%s' is missing and "
			"cannot be made in '%s'", d, parent);
	free(copy);
}

/* Build testing needs bwrap on PATH (Debian package bubblewrap). */
static void check_build(struct config *c)
{
	const char *path = getenv("PATH");
	char *dirs, *save = NULL;
	bool found = false;

	if (!c->tree_build_command)
		return;
	dirs = xstrdup(path && *path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/bwrap", d);

		found = access(f, X_OK) == 0;
		free(f);
	}
	free(dirs);
	if (!found)
		problem(c, true, "'tree.buildCommand' is set but 'bwrap' is not installed"
			" (Debian package bubblewrap): builds would not run sandboxed");
}

size_t config_check(struct config *c)
{
	if (!c->bot_address)
		problem(c, true, "missing 'bot.address': replies need a sender");
	check_url(c, "imap.url", c->imap_url, "imap://", "imaps://");
	check_url(c, "smtp.url", c->smtp_url, "smtp://", "smtps://");
	check_password(c, "imap", c->imap_password, c->imap_password_file);
	check_password(c, "smtp", c->smtp_password, c->smtp_password_file);
	if (!c->maintainers.nr)
		problem(c, false, "no 'maintainer.email': nobody can change the queue");
	if (c->auth_require_dkim && !c->auth_trusted_authserv_id)
		problem(c, true, "missing 'auth.trustedAuthservId': 'auth.requireDkim' is on, "
			"so queue commands need a trusted Authentication-Results header");
	if (c->bot_templates) {
		struct stat st;

		if (stat(c->bot_templates, &st) < 0 || !S_ISDIR(st.st_mode))
			problem(c, true, "bad value for 'bot.templates': '%s' is not a folder",
				c->bot_templates);
	}
	if (!c->command_prefix || !*c->command_prefix ||
	    strpbrk(c->command_prefix, " \t\r\n"))
		problem(c, true, "bad value for 'commands.prefix': it must be one word");
	for (size_t i = 0; i < c->feedback_routes.nr; i++) {
		struct feedback_route r;
		struct buf err = BUF_INIT(1024);

		if (feedback_route_parse(c->feedback_routes.v[i], &r, &err))
			problem(c, true, "bad value for 'feedback.route': %s", err.s);
		else
			feedback_route_release(&r);
		buf_release(&err);
	}
	check_tree(c);
	check_report_dir(c);
	check_build(c);
	return c->problems.nr;
}

void config_key_foreach(config_key_fn fn, void *payload)
{
	static const char *const type_names[] = {
		[K_STRING] = "string", [K_PATH] = "path", [K_EMAIL] = "address",
		[K_URL] = "url", [K_BOOL] = "bool", [K_SIZE] = "size",
		[K_UINT] = "number", [K_SECONDS] = "seconds",
		[K_MULTI] = "string, multi", [K_MULTI_EMAIL] = "address, multi",
	};

	for (size_t i = 0; i < NR_KEYS; i++)
		fn(keys[i].name, type_names[keys[i].type], keys[i].def,
		   keys[i].help, payload);
}
