/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: patchbot's one configuration file, in git-config syntax, read
 * with libgit2's config API.  Every key is a row of one table (config.c),
 * which also drives `patchbot check` and the README's reference.
 */
#ifndef PATCHBOT_CONFIG_H
#define PATCHBOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "util.h"

struct config {
	char *path;         /* the file read, or NULL when none was */

	char *bot_address;
	char *bot_name;
	char *bot_database;
	char *bot_templates;
	size_t max_message_size;
	unsigned max_mime_depth;
	unsigned max_mime_parts;

	char *imap_url;
	char *imap_user;
	char *imap_password;
	char *imap_password_file;
	bool imap_tls;              /* false only for loopback test servers */
	unsigned imap_poll_seconds; /* servers without IDLE */
	char *imap_done_mailbox;    /* move processed mail here, or NULL */

	char *smtp_url;
	char *smtp_user;
	char *smtp_password;
	char *smtp_password_file;
	bool smtp_tls;              /* STARTTLS required on smtp:// */
	bool smtp_confirm_copy;     /* every mail also goes to bot.address */
	int64_t smtp_confirm_wait;  /* seconds a cut-off send waits for it */

	char *list_address;

	char *tree_repo;
	char *tree_base;
	struct strlist tree_branches; /* bottom to top */

	struct strlist maintainers;

	/* Build testing (`try vN build`, build.c): the sandbox's limits. */
	char *tree_build_command;     /* NULL: no build testing */
	int64_t tree_build_timeout;   /* seconds */
	size_t tree_build_memory;     /* RLIMIT_AS */
	unsigned tree_build_processes;/* RLIMIT_NPROC */
	size_t tree_build_disk;       /* the sandbox's tmpfs and RLIMIT_FSIZE */
	unsigned tree_build_log_lines;

	char *queue_link_url;       /* "https://lore.kernel.org/r/%s" */
	char *queue_on_new_version; /* "keep" or "drop" */
	bool queue_notify_list;     /* Cc notices to list.address */
	bool queue_late_trailers;   /* trailers after queueing go into the commits */

	char *auth_trusted_authserv_id;
	bool auth_require_dkim;

	int64_t series_window; /* seconds: grouping without references */

	char *command_prefix;          /* "#patchbot" */
	unsigned replies_per_sender;   /* per hour */
	unsigned replies_per_hour;     /* in all */
	unsigned thread_replies;       /* own transcripts above a mail: a loop */

	/* Feedback to submitters (feedback.c): the switches of each check. */
	bool feedback_enable;
	bool feedback_effect;
	bool feedback_security;
	bool feedback_maintainers;
	bool feedback_too_soon;
	bool feedback_signoff;
	unsigned feedback_discussion_hours;
	bool feedback_cc_list;
	struct strlist feedback_routes; /* "PATTERN... | TEXT" */

	/* Subscriptions (subs.c): the confirmation round trip and its limits. */
	unsigned sub_confirm_hours;
	unsigned sub_max_per_address;
	unsigned sub_max_pending;            /* confirmations per address a day */
	unsigned sub_confirmations_per_hour; /* in all */
	char *sub_link_url;                  /* "%s" is the Message-ID */

	/* The status page (report.c): rewritten by the daemon when set. */
	char *report_html_dir;

	/* Problems found while reading: unknown keys, bad values. */
	struct strlist problems;
	/* How many problems are errors (bad values) rather than warnings. */
	size_t nr_errors;
};

/* The file used when neither -c nor PATCHBOT_CONFIG names one. */
#define CONFIG_DEFAULT_PATH PATCHBOT_SYSCONFDIR "/patchbot/config"

/*
 * Read the configuration.  path NULL means the default file, which may be
 * missing (defaults apply); an explicitly named file must exist.  Returns
 * 0, or -1 with a reason in err when the file cannot be read or parsed.
 * Unknown keys and bad values do not fail: they are listed in c->problems.
 */
int config_load(struct config *c, const char *path, bool explicit_path,
		struct buf *err);
void config_release(struct config *c);

/*
 * The deeper checks of `patchbot check`: what the daemon will need
 * (addresses, URLs, readable password files, the repository and its base).
 * Appends to c->problems; returns the number of problems in all.
 */
size_t config_check(struct config *c);

/* For --help and the docs: every key with its type, default and meaning. */
typedef void (*config_key_fn)(const char *name, const char *type,
			      const char *def, const char *help, void *payload);
void config_key_foreach(config_key_fn fn, void *payload);

#endif
